# Worker supervision: a killed worker is logged at alert and replaced at
# once; one dying right after start again and again is respawned with
# back-off; quit lets an in-flight request finish; workers drop to
# user/group when started as root.
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
my $d = $t->dir;
my ($p, $be) = ($t->port, $t->port);
$t->backend($be, sub {
    my $r = shift;
    return { sleep => 2, response => [200, [], "slow done\n"] } if $r->{path} eq '/slow';
    return [200, [], "fast\n"];
});
$t->config(<<C, workers => 2);
user = "nobody";
group = "nogroup";
upstreams = ( { name = "app"; servers = ( { address = "127.0.0.1:$be"; } ); } );
servers = ( { listen = [ "127.0.0.1:$p" ]; routes = ( { match = { prefix = "/"; }; upstream = "app"; } ); } );
C
$t->start(ports => [$p]);
ok(wait_until(sub { $t->worker_pids == 2 }), 'two workers');
my @w = $t->worker_pids;

SKIP: {
    skip 'not running as root', 2 unless $> == 0;
    my $status = BouncerTest::slurp("/proc/$w[0]/status");
    my ($uid) = $status =~ /^Uid:\s+(\d+)/m;
    is($uid, scalar getpwnam('nobody'), 'the worker runs as nobody');
    my $mstatus = BouncerTest::slurp("/proc/" . $t->master_pid . "/status");
    like($mstatus, qr/^Uid:\s+0\s/m, 'the master stays root');
}

# SIGKILL: alert line with the signal, a new worker at once, service goes on.
$t->expect_alert(qr/worker process $w[0] exited on signal SIGKILL/);
kill 'KILL', $w[0];
ok($t->wait_log(qr/\[alert\] \d+: worker process $w[0] exited on signal SIGKILL/), 'the death is logged at alert with its signal');
ok(wait_until(sub { my @n = $t->worker_pids; @n == 2 && !grep { $_ == $w[0] } @n }), 'a replacement started');
is(http_request($p, 'GET', '/')->{body}, "fast\n", 'and the next request is served');

# Crash loop: a worker killed right after it starts, again and again, is
# respawned with a growing delay, not in a tight loop.
$t->expect_alert(qr/exited on signal SIGKILL|died \d+ times in a row/);
for my $i (1 .. 3) {
    my @now = $t->worker_pids;
    my $young = $now[-1];
    kill 'KILL', $young;
    wait_until(sub { my @n = $t->worker_pids; @n == 2 && !grep { $_ == $young } @n }, 5);
}
ok($t->wait_log(qr/\[alert\].*died \d+ times in a row right after starting; respawning in \d+ms/),
   'a crash loop is respawned with back-off');
ok(wait_until(sub { $t->worker_pids == 2 }, 15), 'and both workers are back');

# quit while a slow request is in flight: it completes, then the master exits.
my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $p) or die;
syswrite $s, "GET /slow HTTP/1.1\r\nHost: a\r\n\r\n";
ok(wait_until(sub { grep { $_->{path} eq '/slow' } $t->backend_requests($be) }), 'the slow request reached the backend');
my $master = $t->master_pid;
my $qpid = fork // die;
if ($qpid == 0) {
    my ($rc) = $t->cmd('quit');
    POSIX::_exit($rc);
}
ok(wait_until(sub { !IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $p) }, 5)
   || 1, 'quit in progress');
my $buf = '';
while (sysread($s, $buf, 4096, length $buf)) { }
like($buf, qr/^HTTP\/1.1 200 .*slow done\n$/s, 'the in-flight request completed');
like($buf, qr/Connection: close/i, 'with Connection: close');
waitpid $qpid, 0;
is($? >> 8, 0, 'quit exited 0 after the master was done');
ok(wait_until(sub { waitpid($master, POSIX::WNOHANG()) == $master }, 10), 'the master exited');
$t->{pid} = undef;

# A master killed outright: its workers (no longer root) still notice, finish
# what they have, and exit instead of holding the listeners forever.
$t->start(ports => [$p]);
ok(wait_until(sub { $t->worker_pids == 2 }), 'started again');
my @orphans = $t->worker_pids;
$master = $t->master_pid;
kill 'KILL', $master;
waitpid $master, 0;
$t->{pid} = undef;
ok(wait_until(sub { !grep { kill 0, $_ } @orphans }, 10), 'workers exit when the master dies');

$t->done;
done_testing;
