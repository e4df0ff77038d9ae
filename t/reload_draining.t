# Old generations drain in-flight requests after a reload; beyond
# max_draining_generations the oldest is ended at once.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use IO::Socket::INET;
use Test::More;

my $t = BouncerTest->new;
my ($p, $be) = ($t->port, $t->port);
$t->backend($be, sub { { sleep => 4, response => [200, [], "slow $_[0]{path}\n"] } });
sub conf { $t->config(<<C) }
max_draining_generations = 1;
upstreams = ( { name = "app"; servers = ( { address = "127.0.0.1:$be"; } ); } );
servers = ( { listen = [ "127.0.0.1:$p" ]; routes = ( { match = { prefix = "/"; }; upstream = "app"; } ); } );
# $_[0]
C
conf(1);
$t->start(ports => [$p]);

sub slow {
    my ($path) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $p) or die;
    syswrite $s, "GET $path HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
    wait_until(sub { grep { $_->{path} eq $path } $t->backend_requests($be) }) or die "no $path";
    return $s;
}
sub drain { my $s = shift; my $b = ''; while (sysread($s, $b, 4096, length $b)) { } $b }

my $s1 = slow('/one');
conf(2);
my ($rc, undef, $err) = $t->cmd('reload');
is($rc, 0, 'first reload') or diag($err);
my $s2 = slow('/two');
conf(3);
($rc, undef, $err) = $t->cmd('reload');
is($rc, 0, 'second reload') or diag($err);
ok($t->wait_log(qr/more than 1 generations draining: stopping generation 1 now/), 'the oldest generation is ended');
is(drain($s1), '', 'its in-flight request was cut');
like(drain($s2), qr/slow \/two/, 'the next generation finished its request');

$t->done;
done_testing;
