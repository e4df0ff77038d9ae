# The WAF: each category of attack blocked in each part of a request (the
# path, a query argument, a form, JSON and multipart body, a cookie, a
# custom header), with a 403 that names the request id and nothing behind
# bouncer, a log line that says which rule saw what where, the rule ids in
# the access log, and the backend never asked.  Benign requests pass with
# their bodies intact; detect mode passes and logs; a route's waf group is
# merged over its block's (exclude adds, mode off turns it off).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use JSON::PP;
use Test::More;

my $t = BouncerTest->new;
my $d = $t->dir;
my ($p, $be) = ($t->port, $t->port);
$t->backend($be);
$t->config(<<C, access_format => 'json');
upstreams = ( { name = "be"; servers = ( { address = "127.0.0.1:$be"; } ); } );
servers = ( { listen = [ "127.0.0.1:$p" ];
  waf = { mode = "block"; };
  routes = ( { match = { prefix = "/detect/"; }; upstream = "be"; waf = { mode = "detect"; }; },
             { match = { prefix = "/off/"; }; upstream = "be"; waf = { mode = "off"; }; },
             { match = { prefix = "/nosqli/"; }; upstream = "be"; waf = { exclude = [ 942100 ]; }; },
             { match = { prefix = "/own"; }; respond = { status = 200; body = "own"; }; },
             { match = { prefix = "/rw/"; }; upstream = "be"; rewrite = { regex = "^.*\$"; replace = "/clean"; }; },
             { match = { prefix = "/"; }; upstream = "be"; } ); } );
C
$t->start(ports => [$p]);

sub seen { scalar grep { (split /\?/, $_->{path})[0] eq $_[0] } $t->backend_requests($be) }

# A payload in each part of a request, as a client would send it.
sub pct { my $s = shift; $s =~ s/([^A-Za-z0-9_.~-])/sprintf('%%%02X', ord $1)/ge; $s }
my %in = (
    query => sub { ['GET', "$_[1]?q=" . pct($_[0])] },
    form => sub { ['POST', $_[1], ['Content-Type' => 'application/x-www-form-urlencoded'], 'q=' . pct($_[0])] },
    json => sub { ['POST', $_[1], ['Content-Type' => 'application/json'],
                   encode_json({ user => { notes => [ 'fine', $_[0] ] } })] },
    multipart => sub {
        my $b = "----bouncertest42";
        ['POST', $_[1], ['Content-Type' => "multipart/form-data; boundary=$b"],
         "--$b\r\nContent-Disposition: form-data; name=\"comment\"\r\n\r\n$_[0]\r\n--$b--\r\n"] },
    cookie => sub { ['GET', $_[1], ['Cookie' => 'theme=dark; note=' . pct($_[0])]] },
    # Edge whitespace is not part of a field value (RFC 9110 5.5; HTTP/2
    # refuses it outright): what arrives is the value within.
    header => sub { (my $v = $_[0]) =~ s/([\x00-\x1f\x7f])/sprintf('%%%02X', ord $1)/ge;
                    $v =~ s/^ +| +$//g;
                    ['GET', $_[1], ['X-Note' => $v]] },
);
sub send_in {
    my ($part, $payload, $path) = @_;
    my ($method, $target, $headers, $body) = @{ $in{$part}->($payload, $path) };
    return http_request($p, $method, $target, headers => $headers // [], body => $body);
}

my %attacks = (
    sqli => "1' OR '1'='1' -- ",
    xss => '<script>alert(document.cookie)</script>',
    traversal => '../../../../etc/passwd',
    cmdi => '; cat /etc/passwd',
);
my $n = 0;
for my $cat (sort keys %attacks) {
    for my $part (sort keys %in) {
        my $path = "/app/$cat-$part-" . $n++;
        my $r = send_in($part, $attacks{$cat}, $path);
        is($r && $r->{status}, 403, "$cat in the $part: 403");
        is(seen($path), 0, "$cat in the $part: the backend was not asked");
    }
}

# The path itself.
my $r = http_request($p, 'GET', '/files/..%2f..%2f..%2fetc%2fpasswd');
is($r->{status}, 403, 'traversal in the path: 403');

# What the client and the log see.
$r = send_in('query', $attacks{sqli}, '/page/what');
my $id = $r->{headers}{'x-request-id'};
like($id, qr/^[0-9a-f]{32}$/, 'the 403 carries X-Request-Id');
like($r->{body}, qr/Request ID: \Q$id\E/, 'and its page names it');
unlike($r->{body}, qr/127\.0\.0\.1|$be|942100|sql/i, 'the page says nothing of the backend or the rule');
ok($t->wait_log(qr/\[warn\].*waf: blocked, score \d+ \(threshold 5\), request id \Q$id\E: rule 942100 \(SQL injection[^)]*\) in query "q" after url[a-z,]*: "1' OR '1'='1'/),
   'the error log: the rule, the part, the argument, the transforms and an excerpt, at warn');
ok(wait_until(sub { $t->access_log =~ /"request_id":"\Q$id\E".*"waf":"942100"/ }, 5),
   'the access log names the rule');

# Detect mode: passes, logs what it would have done.
$r = send_in('query', $attacks{xss}, '/detect/x');
is($r->{status}, 200, 'detect mode: the request passes');
is(seen('/detect/x'), 1, 'detect mode: the backend has it');
ok($t->wait_log(qr/waf: would block \(mode detect\).*rule 941100/), 'detect mode: logged as a block it would have made');

# A route that turns it off; one that excludes a rule keeps the mode.
is(send_in('query', $attacks{sqli}, '/off/x')->{status}, 200, 'mode off on a route: passes');
is(send_in('query', $attacks{sqli}, '/nosqli/x')->{status}, 200, 'exclude 942100: SQL injection passes there');
is(send_in('query', $attacks{xss}, '/nosqli/y')->{status}, 403, 'but the route keeps the block mode: XSS is refused');
# A value found clean where a rule is excluded is remembered as clean for
# that route's rules only.
is(send_in('query', $attacks{sqli}, '/nosqli/z')->{status}, 200, 'the excluded rule lets it by once more');
is(send_in('query', $attacks{sqli}, '/page/again')->{status}, 403, 'the same value on a route that runs the rule: 403');
is(send_in('cookie', "theme=dark", '/page/c')->{status}, 200, 'a clean cookie value passes');
is(send_in('cookie', "theme=dark", '/page/c2')->{status}, 200, 'and passes again (remembered clean)');
is(send_in('query', $attacks{xss}, '/own')->{status}, 403, 'a route of its own (respond) is inspected too');
is(send_in('query', $attacks{xss}, '/rw/x')->{status}, 403, 'what the client sent is inspected, not what a rewrite made of it');
is(seen('/clean'), 0, 'and the rewritten request never left');

# Benign requests pass, bodies as they were sent.
my @benign = ("O'Brien", "Let's select the best union of ideas", "drop me a line at bob\@example.com",
              "I'd like 1 or 2 of those", "I <3 you, and 3 < 5 is true", "C:\\Users\\Public", "rock & roll",
              "naïve café ünïcode", "SELECT is a keyword; use it wisely", "price: \$5 - \$10 (50% off)");
for my $part (sort keys %in) {
    my $ok = 0;
    for my $i (0 .. $#benign) {
        my $path = "/ok/$part-$i";
        my $r = send_in($part, $benign[$i], $path);
        $ok++ if $r && $r->{status} == 200 && seen($path) == 1;
        diag("benign refused in the $part: $benign[$i]") if !$r || $r->{status} != 200;
    }
    is($ok, scalar @benign, "benign text in the $part passes");
}
my $json = encode_json({ map { ("k$_" => "value number $_ with some words") } 1 .. 2000 });
$r = http_request($p, 'POST', '/ok/big-json', headers => ['Content-Type' => 'application/json'], body => $json);
is($r->{status}, 200, 'a large benign JSON body passes');
my ($got) = grep { $_->{path} eq '/ok/big-json' } $t->backend_requests($be);
is($got && $got->{body}, $json, 'the backend received it byte for byte');
is($got && $got->{headers}{'content-length'}, length $json, 'with its Content-Length');

# A chunked body is held too, and re-framed.
my $chunked = "POST /ok/chunked HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
    . "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\na=1&b\r\n4\r\n=two\r\n0\r\n\r\n";
$r = parse_response(raw_request($p, $chunked));
is($r->{status}, 200, 'a benign chunked form passes');
($got) = grep { $_->{path} eq '/ok/chunked' } $t->backend_requests($be);
is($got && $got->{body}, 'a=1&b=two', 'the backend has the whole body');
$chunked = "POST /bad/chunked HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
    . "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n6\r\nq=%3Cs\r\n1a\r\ncript%3Ealert(1)%3C/script\r\n3\r\n%3E\r\n0\r\n\r\n";
$r = parse_response(raw_request($p, $chunked));
is($r->{status}, 403, 'an attack cut across chunks is seen whole');
is(seen('/bad/chunked'), 0, 'and never sent on');

# Pipelined: an answer of bouncer's own, then a request whose body comes
# later: the second waits for its body, then goes on.
{
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $p) or die;
    syswrite $s, "GET /own HTTP/1.1\r\nHost: x\r\n\r\n"
        . "POST /ok/pipelined HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        . "Content-Length: 9\r\nConnection: close\r\n\r\n";
    select undef, undef, undef, 0.3;
    syswrite $s, "a=1&b=two";
    my $out = BouncerTest::read_to_eof($s, 5);
    my $r1 = parse_response($out);
    my $r2 = $r1 && parse_response($r1->{rest});
    is($r1 && $r1->{status}, 200, 'pipelined: the first answered');
    is($r2 && $r2->{status}, 200, 'pipelined: the second, its body read late, answered too');
}

$t->done;
done_testing;
