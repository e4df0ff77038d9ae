# Bodies stream through bounded buffers with backpressure: 256 MiB to a
# client that reads nothing for 3 s, and 256 MiB up to a backend that reads
# nothing for 3 s, leave the worker's RSS within a few MiB; then every byte
# arrives.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use IO::Socket::INET;
use Test::More;
use Time::HiRes qw(sleep time);
use POSIX ();

my $SIZE = 256 * 1024 * 1024;
my $t = BouncerTest->new;
my ($p, $be, $up) = map { $t->port } 1 .. 3;
$t->backend($be, sub { { stream => $SIZE } });

# The upload sink: accepts, reads nothing for 3 s, then counts the body.
my $sink = IO::Socket::INET->new(Listen => 8, LocalAddr => '127.0.0.1', LocalPort => $up, ReuseAddr => 1) or die;
my $sink_pid = fork // die;
if ($sink_pid == 0) {
    my $c = $sink->accept;
    sleep 3;
    my ($buf, $head) = ('', '');
    while ($head !~ /\r\n\r\n/) { sysread($c, $head, 65536, length $head) or POSIX::_exit(1) }
    my ($len) = $head =~ /Content-Length: (\d+)/i;
    my $got = length($head) - index($head, "\r\n\r\n") - 4;
    while ($got < $len) { my $n = sysread($c, $buf, 1 << 20) or last; $got += $n }
    syswrite $c, "HTTP/1.1 200 OK\r\nContent-Length: " . length($got) . "\r\nConnection: close\r\n\r\n$got";
    POSIX::_exit(0);
}
close $sink;

$t->config(<<C);
limits = { max_body_size = "0"; send_timeout = "30s"; };
upstreams = ( { name = "app"; servers = ( { address = "127.0.0.1:$be"; } ); },
              { name = "sink"; servers = ( { address = "127.0.0.1:$up"; } ); read_timeout = "30s"; send_timeout = "30s"; } );
servers = ( { listen = [ "127.0.0.1:$p" ];
  routes = ( { match = { prefix = "/up"; }; upstream = "sink"; },
             { match = { prefix = "/"; }; upstream = "app"; } ); } );
C
$t->start(ports => [$p]);
my ($w) = $t->worker_pids;
sub rss { (BouncerTest::slurp("/proc/$w/status") =~ /VmRSS:\s+(\d+) kB/)[0] }

my $before = rss();
my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $p) or die;
syswrite $s, "GET /big HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
sleep 3;
my $during = rss();
cmp_ok($during - $before, '<', 4096, sprintf('download: worker RSS grew %d KiB while the client read nothing', $during - $before));
my ($got, $buf, $head) = (0, '', '');
while ($head !~ /\r\n\r\n/) { sysread($s, $head, 65536, length $head) or last }
$got = length($head) - index($head, "\r\n\r\n") - 4;
while (my $n = sysread($s, $buf, 1 << 20)) { $got += $n }
is($got, $SIZE, 'then all 256 MiB arrived');

# Upload: the backend reads nothing for 3 s.
$before = rss();
my $pid = fork // die;
if ($pid == 0) {
    my $c = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $p) or POSIX::_exit(2);
    syswrite $c, "PUT /up HTTP/1.1\r\nHost: a\r\nContent-Length: $SIZE\r\nConnection: close\r\n\r\n";
    my $chunk = 'p' x (1 << 20);
    my $left = $SIZE;
    while ($left > 0) {
        my $n = syswrite($c, $chunk, $left < length $chunk ? $left : length $chunk);
        POSIX::_exit(3) if !defined $n;
        $left -= $n;
    }
    my $resp = '';
    while (sysread($c, $resp, 4096, length $resp)) { }
    POSIX::_exit($resp =~ /\r\n\r\n$SIZE$/ ? 0 : 1);
}
sleep 2.5;
$during = rss();
cmp_ok($during - $before, '<', 4096, sprintf('upload: worker RSS grew %d KiB while the backend read nothing', $during - $before));
waitpid $pid, 0;
is($? >> 8, 0, 'then the backend received all 256 MiB');
waitpid $sink_pid, 0;

$t->done;
done_testing;
