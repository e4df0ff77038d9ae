# Garbage from clients: whatever bytes arrive, each connection gets a 4xx or
# 5xx status or is closed, the worker never dies, nothing reaches the
# backend that is not a well-formed request, and the next good request is
# served.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use Test::More;

my $t = BouncerTest->new;
my ($p, $be) = ($t->port, $t->port);
$t->backend($be, sub { [200, [], "fine\n"] });
$t->config(<<C, level => 'notice');
limits = { header_timeout = "1s"; lingering_timeout = "1s"; };
upstreams = ( { name = "app"; servers = ( { address = "127.0.0.1:$be"; } ); } );
servers = ( { listen = [ "127.0.0.1:$p" ]; routes = ( { match = { prefix = "/"; }; upstream = "app"; } ); } );
C
$t->start(ports => [$p]);
my @w = $t->worker_pids;

my @cases = (
    "\x00\x01\x02\x03\r\n\r\n",
    "GET\r\n\r\n",
    "GET / HTTP/1.1\r\n\r\n",
    "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n",
    "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1x\r\n\r\n",
    "GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n",
    "GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n",
    "GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, identity\r\n\r\n",
    "GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 0\r\n\r\n",
    "GET / HTTP/1.1\r\nHost: a\r\n\x00Bad: x\r\n\r\n",
    "GET / HTTP/1.1\r\nHost: a\r\nBad\x7f: x\r\n\r\n",
    "GET /\x7f HTTP/1.1\r\nHost: a\r\n\r\n",
    "GET / HTTP/1.1\r\nHost: a\r\n : x\r\n\r\n",
    "GET / HTTP/1.1\rHost: a\r\n\r\n",
    "GET / HTTP/9.9\r\nHost: a\r\n\r\n",
    "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
    "GET / HTTP/1.1\r\nHost: a b\r\n\r\n",
    "GET /%ZZ HTTP/1.1\r\nHost: a\r\n\r\n",
    "GET /../../etc/passwd HTTP/1.1\r\nHost: a\r\n\r\n",
    "GET http:// HTTP/1.1\r\nHost: a\r\n\r\n",
    "GET ftp://x/ HTTP/1.1\r\nHost: a\r\n\r\n",
    "GET * HTTP/1.1\r\nHost: a\r\n\r\n",
    "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabc\r\n0\r\n\r\n",
    "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n",
    ("A" x 20000) . "\r\n\r\n",
    "GET / HTTP/1.1\r\n" . ("X: y\r\n" x 200) . "\r\n",
);
srand(42);
for (1 .. 40) {
    push @cases, join '', map { chr(int rand 256) } 1 .. (1 + int rand 300);
}

my ($answered, $closed) = (0, 0);
for my $c (@cases) {
    my $out = raw_request($p, $c, timeout => 3);
    if ($out =~ /^HTTP\/1.1 ([45]\d\d) /) {
        $answered++;
    } elsif ($out eq '') {
        $closed++;
    } else {
        fail('unexpected answer to garbage: ' . substr($out, 0, 40));
    }
}
is($answered + $closed, scalar @cases, "every bad input got an error status ($answered) or a close ($closed)");
my @reached = grep { $_->{path} !~ m{^/} } $t->backend_requests($be);
is(scalar @reached, 0, 'nothing malformed reached the backend');
is_deeply([$t->worker_pids], \@w, 'the worker never died');
is(http_request($p, 'GET', '/after')->{body}, "fine\n", 'and a good request is served');
unlike($t->error_log, qr/\[(error|crit|alert)\]/, 'bad input is never logged as a server error');

$t->done;
done_testing;
