# Out of descriptors (EMFILE) or at worker_connections: the worker pauses
# accepting, keeps serving what it has open, logs at most once a second,
# and takes the waiting connections once descriptors are free again; a
# request that cannot open its upstream socket is said once a second too.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use IO::Socket::INET;
use Test::More;
use Time::HiRes qw(sleep);

my $t = BouncerTest->new;
my ($p, $be) = ($t->port, $t->port);
$t->backend($be, sub { [200, [], "proxied\n"] });
$t->config(<<C);
worker_connections = 1000;
upstreams = ( { name = "app"; servers = ( { address = "127.0.0.1:$be"; } ); } );
servers = ( { listen = [ "127.0.0.1:$p" ];
  routes = ( { match = { exact = "/local"; }; respond = { status = 200; body = "local\\n"; }; },
             { match = { prefix = "/"; }; upstream = "app"; } ); } );
C
$t->start(ports => [$p], nofile => 48);
ok($t->wait_log(qr/\[warn\].*descriptor limit \(48, hard limit 48\) is below what worker_connections = 1000 needs/),
   'start warns that the hard limit is too low');

$t->expect_alert(qr/\[crit\].*accept4\(\) failed; not accepting new connections for \d+ms \(24: Too many open files\)/);
# Each connection starts its request at once, so that (defer_accept
# waiting for first bytes) they come to accept() in the order they were made.
my @conns;
for (1 .. 60) {
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $p, Timeout => 2) or last;
    syswrite $s, "GET /";
    push @conns, $s;
}
ok($t->wait_log(qr/\[crit\].*accept4\(\) failed; .*\(24: Too many open files\)/), 'EMFILE is logged at crit');

# Accepted connections whose requests need an upstream socket that cannot
# be opened: each gets its 502, and the crit line comes at most once a
# second, counting the ones it left out.  Keep-alive, so that no descriptor
# frees up between them.
$t->expect_alert(qr/\[crit\].*socket\(\) for an upstream connection failed; \d+ more since the last report \(24: Too many open files\)/);
my $n502 = 0;
sub upstream_502 {
    my ($s) = @_;
    syswrite $s, "x HTTP/1.1\r\nHost: a\r\n\r\n";
    my $b = '';
    $s->timeout(5);
    until ($b =~ /^(.*?\r\n\r\n)/s && $1 =~ /Content-Length: (\d+)/ && length($b) >= $+[0] + $1) {
        sysread($s, $b, 4096, length $b) or last;
    }
    $n502++ if $b =~ /^HTTP\/1.1 502 /;
}
upstream_502($_) for @conns[1 .. 20];
is($n502, 20, 'requests on accepted connections that cannot reach the upstream get 502');
my $sec = time;
sleep 0.1 while time == $sec;
upstream_502($conns[21]);
my @fd_lines = grep { /socket\(\) for an upstream connection failed/ } split /\n/, $t->error_log;
my %fd_per_sec;
$fd_per_sec{ substr($_, 0, 19) }++ for @fd_lines;
ok(@fd_lines >= 1 && !grep({ $_ > 1 } values %fd_per_sec), 'out of descriptors for upstream sockets: at most one crit line a second');
my $counted = 0;
$counted += 1 + (/failed; (\d+) more/)[0] for @fd_lines;
is($counted, 21, 'and together they count every failure');

# An open connection is still served.
syswrite $conns[0], "local HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
my $buf = '';
while (sysread($conns[0], $buf, 4096, length $buf)) { }
like($buf, qr/^HTTP\/1.1 200 .*local\n$/s, 'an accepted connection is served during the pause');

my @lines = grep { /accept4\(\) failed/ } split /\n/, $t->error_log;
my %per_sec;
$per_sec{ substr($_, 0, 19) . (/^\S+ \S+ \[\w+\] (\d+):/)[0] }++ for @lines;
ok(!grep({ $_ > 1 } values %per_sec), 'logged at most once per second per worker');

# Free the descriptors: the connections waiting in the queue get served.
close $_ for @conns[0 .. 39];
my $last = $conns[-1];
syswrite $last, "proxied HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
$buf = '';
$last->timeout(10);
while (sysread($last, $buf, 4096, length $buf)) { }
like($buf, qr/^HTTP\/1.1 200 .*proxied\n$/s, 'a connection that waited in the queue is served once descriptors are free');
close $_ for @conns;
my $r = http_request($p, 'GET', '/after');
is($r->{status}, 200, 'new connections are accepted again');
my @w = $t->worker_pids;
is(scalar @w, 1, 'the worker never crashed');

# worker_connections: the same pause, logged at warn.
$t->stop;
$t->config(<<C);
worker_connections = 16;
servers = ( { listen = [ "127.0.0.1:$p" ];
  routes = ( { match = { prefix = "/"; }; respond = { status = 200; body = "ok\\n"; }; } ); } );
C
$t->start(ports => [$p]);
@conns = ();
for (1 .. 30) {
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $p, Timeout => 2) or last;
    push @conns, $s;
}
ok($t->wait_log(qr/\[warn\].*worker_connections are not enough; not accepting new connections/),
   'at worker_connections the worker pauses, logged at warn');
close $_ for @conns;
ok(wait_until(sub { my $x = http_request($p, 'GET', '/'); $x && $x->{status} == 200 }), 'and recovers');

$t->done;
done_testing;
