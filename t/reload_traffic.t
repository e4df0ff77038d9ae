# No request is refused or cut across 20 reloads: a client loop runs
# proxied requests (new connections, and keep-alive ones that retry a
# request only when the connection closed before any byte of the answer, as
# RFC 9112 9.3.1 allows) while the config is reloaded 20 times.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use IO::Socket::INET;
use Test::More;
use Time::HiRes qw(time);
use POSIX ();

my $t = BouncerTest->new;
my ($p, $be) = ($t->port, $t->port);
$t->backend($be, sub { [200, [], "ok " . $_[0]{path} . "\n"] });
sub conf { $t->config(<<C, workers => 2) }
upstreams = ( { name = "app"; servers = ( { address = "127.0.0.1:$be"; } ); keepalive = 8; } );
servers = ( { listen = [ "127.0.0.1:$p" ]; routes = ( { match = { prefix = "/"; }; upstream = "app"; } ); } );
# generation $_[0]
C
conf(0);
$t->start(ports => [$p]);

my $stopfile = $t->dir . "/stop-clients";
my $results = $t->dir . "/client-results";

# One client using a new connection per request, one using keep-alive.
my @kids;
for my $mode (qw(close keepalive)) {
    my $pid = fork // die;
    if ($pid == 0) {
        my ($n, $fail, $retries) = (0, 0, 0);
        my $s;
        while (!-e $stopfile) {
            $n++;
            my $path = "/$mode/$n";
            if ($mode eq 'close') {
                my $r = http_request($p, 'GET', $path, timeout => 10);
                $fail++, print STDERR "close $n: " . ($r ? $r->{status} : 'no response') . "\n"
                    unless $r && $r->{status} == 200 && $r->{body} eq "ok $path\n";
                next;
            }
            my $got;
            for my $try (1 .. 2) {
                $s //= IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $p, Timeout => 5);
                syswrite $s, "GET $path HTTP/1.1\r\nHost: a\r\n\r\n";
                my $buf = '';
                while (1) {
                    my $k = sysread($s, $buf, 4096, length $buf);
                    last if !$k;
                    last if $buf =~ /\r\n\r\n/ && $buf =~ /ok \Q$path\E\n$/;
                }
                my $close = $buf =~ /Connection: close/i;
                if ($buf eq '') {
                    # Closed before any byte: the request was not taken.
                    $retries++;
                    undef $s;
                    next;
                }
                $got = $buf;
                undef $s if $close || $buf !~ /ok \Q$path\E\n$/;
                last;
            }
            $fail++, print STDERR "keepalive $n: " . ($got // 'nothing') . "\n"
                unless defined $got && $got =~ /^HTTP\/1.1 200/ && $got =~ /ok \Q$path\E\n$/;
        }
        open my $f, '>>', $results;
        print $f "$mode $n $fail $retries\n";
        close $f;
        POSIX::_exit(0);
    }
    push @kids, $pid;
}

my $reload_fail = 0;
for my $i (1 .. 20) {
    conf($i);
    my ($rc, $out, $err) = $t->cmd('reload');
    $reload_fail++ if $rc != 0;
    select undef, undef, undef, 0.15;
}
is($reload_fail, 0, '20 reloads succeeded');
my ($rc, $out) = $t->cmd('status');
like($out, qr/generation: 21/, 'generation 21 after 20 reloads');
open my $f, '>', $stopfile; close $f;
waitpid $_, 0 for @kids;
my %res;
for (split /\n/, BouncerTest::slurp($results)) {
    my ($mode, $n, $fail, $retries) = split / /;
    $res{$mode} = [$n, $fail, $retries];
}
cmp_ok($res{close}[0], '>', 20, "new-connection client made $res{close}[0] requests");
is($res{close}[1], 0, 'none of them failed');
cmp_ok($res{keepalive}[0], '>', 20, "keep-alive client made $res{keepalive}[0] requests");
is($res{keepalive}[1], 0, "none failed ($res{keepalive}[2] safe retries of closed idle connections)");

# Old generations drained and exited.
ok(wait_until(sub { my @w = $t->worker_pids; @w == 2 }, 15), 'only the new generation runs at the end');

$t->done;
done_testing;
