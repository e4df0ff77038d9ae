# Reloads lose no request sent on a kept-alive connection: old workers keep
# their idle keep-alive connections, answer the next request on each with
# "Connection: close", and close only what is left when shutdown_timeout
# ends.  Clients that never retry reuse their connections back to back
# while the config is reloaded 50 times; every request gets a whole answer.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use IO::Socket::INET;
use Test::More;
use POSIX ();

my $t = BouncerTest->new;
my ($p, $be) = ($t->port, $t->port);
$t->backend($be, sub { [200, [], "ok " . $_[0]{path} . "\n"] });
sub conf { $t->config(<<C, workers => 2) }
shutdown_timeout = "5s";
max_draining_generations = 64;
upstreams = ( { name = "app"; servers = ( { address = "127.0.0.1:$be"; } ); keepalive = 8; } );
servers = ( { listen = [ "127.0.0.1:$p" ];
  routes = ( { match = { prefix = "/own"; }; respond = { status = 200; body = "own\n"; }; },
             { match = { prefix = "/"; }; upstream = "app"; } ); } );
# generation $_[0]
C
conf(0);
$t->start(ports => [$p]);

my $stopfile = $t->dir . "/stop-clients";
my $results = $t->dir . "/client-results";

# Reads one response with a Content-Length body; (body, closing) or () when
# the connection ended before the whole answer.
sub read_response {
    my ($s) = @_;
    my $buf = '';
    while (1) {
        if ($buf =~ /^HTTP\/1\.1 200 [^\r\n]*\r\n(.*?)\r\n\r\n/s) {
            my $head = $1;
            my ($len) = $head =~ /^Content-Length:\s*(\d+)/mi;
            my $at = index($buf, "\r\n\r\n") + 4;
            if (defined $len && length($buf) >= $at + $len) {
                return (substr($buf, $at, $len), $head =~ /^Connection:\s*close/mi ? 1 : 0);
            }
        }
        my $k = sysread($s, $buf, 4096, length $buf);
        return () if !$k;
    }
}

# Keep-alive clients, each sending its next request the moment the last
# answer is in; a new connection only after "Connection: close".  Never a
# retry: a request without its answer counts as lost.
my @kids;
for my $k (1 .. 4) {
    my $pid = fork // die;
    if ($pid == 0) {
        my ($n, $lost, $conns, $s) = (0, 0, 0);
        my $what = $k % 2 ? 'own' : 'app';
        while (!-e $stopfile) {
            $n++;
            my $path = "/$what/$k/$n";
            if (!$s) {
                $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $p, Timeout => 5);
                $conns++;
                if (!$s) { $lost++; print STDERR "client $k: connect: $!\n"; next }
            }
            if (!syswrite $s, "GET $path HTTP/1.1\r\nHost: a\r\n\r\n") {
                $lost++;
                print STDERR "client $k: request $n could not be sent\n";
                undef $s;
                next;
            }
            my ($body, $closing) = read_response($s);
            my $want = $what eq 'own' ? "own\n" : "ok $path\n";
            if (!defined $body || $body ne $want) {
                $lost++;
                print STDERR "client $k: request $n got no whole answer\n";
                undef $s;
                next;
            }
            undef $s if $closing;
        }
        open my $f, '>>', $results;
        print $f "$k $n $lost $conns\n";
        close $f;
        POSIX::_exit(0);
    }
    push @kids, $pid;
}

my $reload_fail = 0;
for my $i (1 .. 50) {
    conf($i);
    my ($rc, $out, $err) = $t->cmd('reload');
    $reload_fail++ if $rc != 0;
    # The next reload once this one's workers serve: old ones then drain.
    wait_until(sub { $t->error_log =~ /reloaded: generation @{[$i + 1]}\b/ }, 10);
}
is($reload_fail, 0, '50 reloads succeeded');
open my $f, '>', $stopfile;
close $f;
waitpid $_, 0 for @kids;
my ($total, $lost, $conns) = (0, 0, 0);
for (split /\n/, BouncerTest::slurp($results)) {
    my (undef, $n, $l, $c) = split / /;
    ($total, $lost, $conns) = ($total + $n, $lost + $l, $conns + $c);
}
cmp_ok($total, '>', 200, "the clients made $total requests on $conns connections");
cmp_ok($conns, '>', 4, 'old workers closed connections after an answer with Connection: close');
is($lost, 0, 'not one request went without its whole answer');

# Idle connections do not hold old workers past their next request.
ok(wait_until(sub { my @w = $t->worker_pids; @w == 2 }, 15), 'only the new generation runs at the end');

$t->done;
done_testing;
