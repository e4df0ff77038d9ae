# What the error log says about requests: the context after a message has
# only the parts that are known (no "(null)" target, no empty "server: ,"),
# the HTTP/2 preface is named as such, a retry is announced only when
# there is another server to try, and a missing @include names its file.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use Test::More;

my $t = BouncerTest->new;
my $d = $t->dir;
my ($p, $be, $dead, $dead2) = map { $t->port } 1 .. 4;
$t->backend($be, sub { [200, [], "fine\n"] });
$t->config(<<C);
upstreams = ( { name = "app"; servers = ( { address = "127.0.0.1:$be"; } ); },
              { name = "lone"; servers = ( { address = "127.0.0.1:$dead"; } ); },
              { name = "pair"; servers = ( { address = "127.0.0.1:$dead2"; }, { address = "127.0.0.1:$be"; } ); } );
servers = ( { listen = [ "127.0.0.1:$p" ];
              routes = ( { match = { prefix = "/lone"; }; upstream = "lone"; },
                         { match = { prefix = "/pair"; }; upstream = "pair"; },
                         { match = { prefix = "/"; }; upstream = "app"; } ); } );
C
$t->start(ports => [$p]);

# Lines about connection n (its "*N" id), once one is there.
sub lines_about {
    my ($re) = @_;
    $t->wait_log($re);
    return join "\n", grep { /$re/ } split /\n/, $t->error_log;
}

# A request-target refused: the method, and nothing made up for the rest.
my $r = parse_response(raw_request($p, "GET /a\x7fb HTTP/1.1\r\nHost: a\r\n\r\n"));
is($r && $r->{status}, 400, 'a bad request-target: 400');
my $l = lines_about(qr/invalid character in request-target/);
like($l, qr/invalid character in request-target, client: 127\.0\.0\.1, request: "GET"$/m,
     'its log line shows the method, no target and no version');
unlike($l, qr/\(null\)/, 'and no "(null)"');
unlike($l, qr/server: ,/, 'and no empty server');

# The HTTP/2 connection preface on a plain listener: said so, and its
# request line as it came (not "HTTP/1.1").
$r = parse_response(raw_request($p, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"));
is($r && $r->{status}, 505, 'the HTTP/2 preface on an HTTP/1.1 listener: 505');
$l = lines_about(qr/HTTP\/2 connection preface/);
like($l, qr/\[info\] .*client sent an invalid request: an HTTP\/2 connection preface \(HTTP\/2 is not supported on this listener\), client: 127\.0\.0\.1, request: "PRI \*"$/m,
     'logged at info as an HTTP/2 preface, with its request line as sent');
unlike($t->error_log, qr/PRI \* HTTP\/1\.1/, 'not as "PRI * HTTP/1.1"');

# HTTP/1.0 without Host to a lone dead server: no "server: ," and no
# "trying another server", since there is none.
$r = parse_response(raw_request($p, "GET /lone HTTP/1.0\r\n\r\n"));
is($r && $r->{status}, 502, 'a lone server that refuses connections: 502');
$l = lines_about(qr/request: "GET \/lone HTTP\/1\.0"/);
like($l, qr/\[error\] .*no upstream could be reached, client: 127\.0\.0\.1, request: "GET \/lone HTTP\/1\.0", upstream: "127\.0\.0\.1:$dead"/,
     'the failure is logged with its request and upstream');
unlike($l, qr/trying another server/, 'no "trying another server" when there is no other');
unlike($l, qr/server: ,/, 'no empty "server: ," for a request without Host');

# With a second server, the retry is announced and goes there.
$r = http_request($p, 'GET', '/pair', host => 'pair.test');
is($r && $r->{status}, 200, 'a dead server and a live one: the retry succeeds');
like(lines_about(qr/request: "GET \/pair HTTP\/1\.1"/),
     qr/\[warn\] .*upstream could not be reached; trying another server, client: 127\.0\.0\.1, server: pair\.test, request: "GET \/pair HTTP\/1\.1"/,
     'and announces "trying another server", with the server named');

# A missing @include: the file it names, made absolute, and why.
$t->write_file('inc.conf', "workers = 1;\n\@include \"nothere.conf\"\n");
my ($rc, undef, $err) = $t->cmd('-c', "$d/inc.conf", 'check');
isnt($rc, 0, 'a missing @include fails check');
like($err, qr/^\Q$d\E\/inc\.conf:2: cannot open include file "\Q$d\E\/nothere\.conf": No such file or directory$/m,
     'naming the file and the reason');

$t->done;
done_testing;
