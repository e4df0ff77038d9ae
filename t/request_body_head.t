# The request head stays as it came while the body streams: everything that
# reads the head after the body (the cache's Authorization rule and Vary
# key, variables in response headers, the access log) sees the head, never
# body bytes, whether the body came late, in pieces, or larger than the
# client buffer.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use IO::Socket::INET;
use JSON::PP;
use Test::More;
use Time::HiRes qw(sleep);

my $t = BouncerTest->new;
my $d = $t->dir;
my ($p, $be) = ($t->port, $t->port);
my $serial = 0;
$t->backend($be, sub {
    my ($r) = @_;
    my $n = ++$serial;
    my $who = $r->{headers}{authorization} // 'anonymous';
    my $lang = $r->{headers}{'accept-language'} // '-';
    my $len = length($r->{body} // '');
    return [200, ['Cache-Control' => 'max-age=60', 'Vary' => 'Accept-Language'],
            "lang $lang body $len #$n"] if $r->{path} =~ m{^/c/vary};
    return [200, ['Cache-Control' => 'max-age=60'], "private to $who body $len #$n"];
});
$t->config(<<C, access_format => 'json');
cache_zones = ( { name = "main"; path = "$d/cache"; memory = "1m"; } );
upstreams = ( { name = "be"; servers = ( { address = "127.0.0.1:$be"; } ); } );
servers = ( { listen = [ "127.0.0.1:$p" ];
  routes = ( { match = { prefix = "/c/"; }; upstream = "be"; cache = { zone = "main"; };
               response_headers = { set = [ "X-Tag: \$http_x_tag" ]; }; } ); } );
C
$t->start(ports => [$p]);

# Sends a head, then the body in pieces with pauses, and reads the answer.
sub slow_body {
    my ($method, $path, $headers, $body, %opt) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $p, Timeout => 10) or die;
    binmode $s;
    my $head = "$method $path HTTP/1.1\r\nHost: localhost\r\n";
    $head .= "$_\r\n" for @$headers;
    $head .= "Content-Length: " . length($body) . "\r\nConnection: close\r\n\r\n";
    syswrite $s, $head;
    my $pieces = $opt{pieces} // 1;
    my $size = int((length($body) + $pieces - 1) / $pieces);
    for (my $off = 0; $off < length $body; $off += $size) {
        sleep($opt{pause} // 0.3);
        my $chunk = substr($body, $off, $size);
        while (length $chunk) {
            my $w = syswrite $s, $chunk;
            die "write: $!" unless defined $w;
            substr($chunk, 0, $w, '');
        }
    }
    my $out = '';
    while (sysread($s, $out, 65536, length $out)) {}
    close $s;
    return parse_response($out);
}

# The body overwrites the head in a buffer that is reset once drained: the
# bytes Authorization was read from would then be the body's.
my $body = 'B' x 300;
my $r = slow_body('GET', '/c/priv', ['Authorization: Bearer alice-secret-token', 'X-Tag: t1',
                                     'User-Agent: agent-alice', 'Referer: http://ref/alice'], $body);
is($r->{status}, 200, 'a GET with a late body is answered');
is($r->{body}, 'private to Bearer alice-secret-token body 300 #1', 'the backend got head and body');
is($r->{headers}{'x-tag'}, 't1', 'a variable read after the body sees the head');
$r = http_request($p, 'GET', '/c/priv');
isnt($r->{headers}{'x-cache-status'}, 'HIT', 'an answer to Authorization is not served to others');
unlike($r->{body}, qr/alice/, "nobody else gets Alice's answer");

# In pieces, larger than the client's buffer (max_header_size + room).
for my $case ([1, 0.3, 300], [8, 0.05, 5000], [20, 0.02, 200_000]) {
    my ($pieces, $pause, $len) = @$case;
    my $lang = "fr-$len";
    $r = slow_body('POST', "/c/vary-$len", ["Accept-Language: $lang", "X-Tag: tag-$len",
                                            "User-Agent: agent-$len"],
                   'Z' x $len, pieces => $pieces, pause => $pause);
    is($r->{status}, 200, "$len bytes in $pieces pieces: answered");
    like($r->{body}, qr/^lang \Q$lang\E body $len #/, "$len bytes: the backend got the head and the whole body");
    is($r->{headers}{'x-tag'}, "tag-$len", "$len bytes: variables see the head");
    # A GET of the same path: the POST invalidated it, so this is stored
    # now, under the Vary value of the GET's own head.
    $r = slow_body('GET', "/c/vary-$len", ["Accept-Language: $lang"], 'Q' x $len,
                   pieces => $pieces, pause => $pause);
    is($r->{headers}{'x-cache-status'}, 'MISS', "$len bytes: GET with a body, MISS");
    $r = http_request($p, 'GET', "/c/vary-$len", headers => ['Accept-Language' => $lang]);
    is($r->{headers}{'x-cache-status'}, 'HIT', "$len bytes: stored under its own Vary value");
    $r = http_request($p, 'GET', "/c/vary-$len", headers => ['Accept-Language' => 'de']);
    isnt($r->{headers}{'x-cache-status'}, 'HIT', "$len bytes: another language is not served it");
}

ok(wait_until(sub { (() = $t->access_log =~ /\n/g) >= 14 }), 'every request logged');
my @log = map { decode_json($_) } split /\n/, $t->access_log;
my ($alice) = grep { $_->{uri} eq '/c/priv' && ($_->{user_agent} // '') eq 'agent-alice' } @log;
ok($alice, 'the log has the User-Agent of the head, not body bytes');
is($alice && $alice->{referer}, 'http://ref/alice', 'and its Referer');
for my $len (300, 5000, 200_000) {
    ok((grep { $_->{method} eq 'POST' && ($_->{user_agent} // '') eq "agent-$len" } @log),
       "$len bytes: the log has the head's User-Agent");
}

$t->done;
done_testing;
