# busy_poll: a busy worker polls a little before it sleeps, and an idle one
# sleeps.  Requests keep flowing with the longest setting; once the traffic
# stops, the worker's CPU time stops growing; reload and quit still reach it.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use IO::Socket::INET;
use POSIX ();
use Test::More;
use Time::HiRes qw(sleep time);

my $t = BouncerTest->new;
my ($p, $be) = ($t->port, $t->port);
$t->backend($be, sub { return [200, [], "hello $_[0]{path}"] });
$t->config(<<C);
busy_poll = "10ms";
upstreams = ( { name = "app"; servers = ( { address = "127.0.0.1:$be"; } ); keepalive = 4; } );
servers = ( { listen = [ "127.0.0.1:$p" ]; routes = ( { match = { prefix = "/"; }; upstream = "app"; } ); } );
C
$t->start(ports => [$p]);
my ($w) = $t->worker_pids;

# utime + stime of a process, in clock ticks (fields 14 and 15, after "(comm)").
sub cpu_ticks {
    my $stat = BouncerTest::slurp("/proc/$_[0]/stat");
    $stat =~ s/^.*\) //s;
    my @f = split ' ', $stat;
    return $f[11] + $f[12];
}

# A keep-alive connection with requests one after another: the worker is busy
# and polls between them; every answer is the right one.
my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $p) or die;
my $good = 0;
for my $i (1 .. 200) {
    syswrite $s, "GET /r$i HTTP/1.1\r\nHost: a\r\n\r\n";
    my $raw = '';
    until ($raw =~ /\r\n\r\n/ && length($raw) >= index($raw, "\r\n\r\n") + 4 + ($raw =~ /Content-Length: (\d+)/i)[0]) {
        sysread($s, $raw, 65536, length $raw) or last;
    }
    my $r = parse_response($raw);
    $good++ if $r && $r->{status} == 200 && $r->{body} eq "hello /r$i";
}
is($good, 200, 'busy polling: 200 requests on one connection, each answered right');
close $s;

# Idle now: polling stops after 10ms, so a second of idleness costs the worker
# next to nothing.  A worker that kept polling would burn the whole second.
sleep 0.2;
my $c0 = cpu_ticks($w);
my $t0 = time;
sleep 1.5;
my $used = (cpu_ticks($w) - $c0) / POSIX::sysconf(POSIX::_SC_CLK_TCK()) / (time - $t0);
cmp_ok($used, '<', 0.1, 'an idle worker sleeps (CPU share over 1.5 s of idleness)')
    or diag("worker used $used of a CPU while idle");

# An idle connection open in the background does not keep it busy either.
my $idle = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $p) or die;
sleep 0.2;
$c0 = cpu_ticks($w);
$t0 = time;
sleep 1;
$used = (cpu_ticks($w) - $c0) / POSIX::sysconf(POSIX::_SC_CLK_TCK()) / (time - $t0);
cmp_ok($used, '<', 0.1, 'an idle keep-alive connection does not keep the worker polling');
close $idle;

# Signals still reach a worker in the middle of its polling: reload while a
# client sends requests back to back, then the new worker answers.
my $busy = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $p) or die;
syswrite $busy, "GET /before HTTP/1.1\r\nHost: a\r\n\r\n";
my ($rc) = $t->cmd('reload');
is($rc, 0, 'reload during traffic');
ok(BouncerTest::wait_until(sub { my @n = $t->worker_pids; @n == 1 && $n[0] != $w }, 10),
   'a new worker replaces the old one');
my $r = parse_response(raw_request($p, "GET /after HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"));
is($r && $r->{body}, 'hello /after', 'the new worker answers');
close $busy;

$t->done;
done_testing;
