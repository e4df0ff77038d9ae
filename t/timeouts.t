# Every limit and timeout: header_timeout against a slow drip (slowloris),
# body_timeout, send_timeout, keepalive_timeout, keepalive_requests, and the
# upstream connect, read and send timeouts (504); lingering after an early
# error so the client reads the response.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use IO::Socket::INET;
use Test::More;
use Time::HiRes qw(time sleep);
use POSIX ();

my $t = BouncerTest->new;
my ($p, $be, $sink) = map { $t->port } 1 .. 3;
$t->backend($be, sub {
    my $r = shift;
    return { stream => 50 * 1024 * 1024 } if $r->{path} eq '/huge';
    return [200, [], "ok\n"];
});

# An upstream that never answers a SYN: a TEST-NET-2 address routed to the
# loopback device, where no one owns it.  Needs root (CI runs as root).
my $blackhole = '198.51.100.7';
my $route_added = $> == 0 && system("ip route add 198.51.100.0/24 dev lo 2>/dev/null") == 0;
my $have_blackhole = $route_added || `ip route show 198.51.100.0/24 2>/dev/null` =~ /dev lo/;
END { system("ip route del 198.51.100.0/24 dev lo 2>/dev/null") if $route_added }
# An upstream that accepts (in the kernel) and never reads.
my $deaf = IO::Socket::INET->new(Listen => 16, LocalAddr => '127.0.0.1', LocalPort => $sink) or die;

$t->config(<<C);
limits = { header_timeout = "1s"; body_timeout = "1s"; send_timeout = "1s"; keepalive_timeout = "1s";
           keepalive_requests = 3; max_body_size = "0"; lingering_timeout = "2s"; };
upstreams = (
  { name = "app"; servers = ( { address = "127.0.0.1:$be"; } ); },
  { name = "full"; servers = ( { address = "$blackhole:80"; } ); connect_timeout = "1s"; retries = 0; },
  { name = "deaf"; servers = ( { address = "127.0.0.1:$sink"; } ); send_timeout = "1s"; read_timeout = "30s"; }
);
servers = ( { listen = [ "127.0.0.1:$p" ];
  routes = ( { match = { prefix = "/full"; }; upstream = "full"; },
             { match = { prefix = "/deaf"; }; upstream = "deaf"; },
             { match = { prefix = "/small"; }; upstream = "app"; max_body_size = "1k"; },
             { match = { prefix = "/"; }; upstream = "app"; } ); } );
C
$t->start(ports => [$p]);

sub conn { IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $p) or die "connect: $!" }
sub read_all { read_to_eof(@_) }

# Slowloris: a byte every 300 ms never completes the head in time.
my $s = conn();
my $start = time;
my $resp = '';
for my $ch (split //, "GET / HTTP/1.1\r\nHost: a\r\nX-Slow: aaaaaaaaaaaaaaaaaaaa\r\n\r\n") {
    last if !defined syswrite($s, $ch);
    my $rin = '';
    vec($rin, fileno($s), 1) = 1;
    if (select($rin, undef, undef, 0.3)) { $resp = read_all($s, 2); last }
}
like($resp, qr/^HTTP\/1.1 408 /, 'a slowly dripped head gets 408');
cmp_ok(time - $start, '<', 4, 'at header_timeout, not per byte');

# body_timeout: the body stops coming.
$s = conn();
syswrite $s, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc";
$resp = read_all($s, 5);
like($resp, qr/^HTTP\/1.1 408 /, 'a stalled body gets 408 after body_timeout');

# keepalive_timeout: an idle connection is closed.
$s = conn();
syswrite $s, "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
$start = time;
$resp = read_all($s, 5);
like($resp, qr/^HTTP\/1.1 200 .*ok\n$/s, 'first response');
cmp_ok(time - $start, '>=', 0.9, 'then the idle connection is closed after keepalive_timeout');

# keepalive_requests: the third response closes the connection.
$resp = raw_request($p, "GET /1 HTTP/1.1\r\nHost: a\r\n\r\n" x 4, timeout => 5);
my @codes = $resp =~ /^HTTP\/1.1 (\d+)/mg;
is(scalar @codes, 3, 'three responses on one connection, the fourth request unanswered');
my @parts = split /(?=HTTP\/1.1 )/, $resp;
like($parts[2], qr/Connection: close/, 'the third says Connection: close');

# send_timeout: a client that reads nothing of a large response is dropped.
$s = conn();
syswrite $s, "GET /huge HTTP/1.1\r\nHost: a\r\n\r\n";
ok($t->wait_log(qr/\[info\].*client timed out reading the response/, 10), 'send_timeout ends the response');
$resp = read_all($s, 10);
cmp_ok(length $resp, '<', 50 * 1024 * 1024, 'and the client did not get it all');

# Upstream connect timeout.
SKIP: {
    skip 'needs root to route a black hole', 3 unless $have_blackhole;
    $start = time;
    my $r = http_request($p, 'GET', '/full');
    is($r->{status}, 504, 'connect_timeout: 504');
    cmp_ok(time - $start, '<', 4, 'after about connect_timeout');
    like($t->error_log, qr/upstream timed out while connecting/, 'logged');
}

# Upstream send timeout: it never reads the body.
my $pid = fork // die;
if ($pid == 0) {
    my $u = conn();
    syswrite $u, "PUT /deaf HTTP/1.1\r\nHost: a\r\nContent-Length: " . (64 * 1024 * 1024) . "\r\n\r\n";
    my $chunk = 'u' x 65536;
    $u->blocking(0);
    my $out = '';
    my $end = time + 15;
    while (time < $end) {
        my $w = syswrite($u, $chunk);
        my $n = sysread($u, $out, 4096, length $out);
        last if defined $n && $n == 0;
        last if $out =~ /\r\n\r\n/;
        sleep 0.01 if !defined $w;
    }
    POSIX::_exit($out =~ /^HTTP\/1.1 504 / ? 0 : 1);
}
waitpid $pid, 0;
is($? >> 8, 0, 'upstream send_timeout: 504');

# Lingering: a body too large is refused with 413, and the client, still
# sending, reads the 413 rather than a reset.
$s = conn();
syswrite $s, "POST /small HTTP/1.1\r\nHost: a\r\nContent-Length: 2000000\r\n\r\n";
my $sent = 0;
$s->blocking(0);
my $chunk = 'b' x 65536;
while ($sent < 2000000) {
    my $w = syswrite($s, $chunk);
    last if !defined $w && $! != POSIX::EAGAIN();
    $sent += $w // 0;
    last if !defined $w;
}
$s->blocking(1);
$resp = read_all($s, 5);
like($resp, qr/^HTTP\/1.1 413 /, 'the client reads its 413 while it was still sending');

$t->done;
done_testing;
