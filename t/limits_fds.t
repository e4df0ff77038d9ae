# Out of descriptors (EMFILE) or at worker_connections: the worker pauses
# accepting, keeps serving what it has open, logs at most once a second,
# and takes the waiting connections once descriptors are free again.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use IO::Socket::INET;
use Test::More;

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
