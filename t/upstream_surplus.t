# Idle upstream connections over keepalive (keepalive_surplus_timeout): a
# burst that needed more connections than the pool keeps leaves them idle,
# and the next burst within the timeout reuses them instead of connecting
# again; past it only keepalive of them are left.  With 0, the surplus is
# closed at once, as the pool did before there was a surplus.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use JSON::PP;
use IO::Socket::INET;
use Test::More;
use Time::HiRes qw(sleep);

my $t = BouncerTest->new;
my ($p, $be) = ($t->port, $t->port);
$t->backend($be, sub {
    my $r = shift;
    return { sleep => 0.4, response => [200, [], encode_json({ conn => $r->{conn} })] };
});
$t->config(<<C);
upstreams = (
  { name = "burst"; servers = ( { address = "127.0.0.1:$be"; } ); keepalive = 2;
    keepalive_surplus_timeout = "1s"; keepalive_timeout = "30s"; },
  { name = "strict"; servers = ( { address = "127.0.0.1:$be"; } ); keepalive = 2;
    keepalive_surplus_timeout = "0s"; keepalive_timeout = "30s"; }
);
servers = ( { listen = [ "127.0.0.1:$p" ];
  routes = ( { match = { prefix = "/strict"; }; upstream = "strict"; },
             { match = { prefix = "/"; }; upstream = "burst"; } ); } );
C
$t->start(ports => [$p]);

# $n requests at once; the backend connections that served them.
sub burst {
    my ($path, $n) = @_;
    my @s = map { IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $p) or die $! } 1 .. $n;
    syswrite $_, "GET $path HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n" for @s;
    my @conns;
    for my $s (@s) {
        my $b = '';
        while (sysread($s, $b, 4096, length $b)) { }
        my $r = parse_response($b);
        push @conns, $r->{status} == 200 ? decode_json($r->{body})->{conn} : "status $r->{status}";
    }
    return @conns;
}
sub distinct { my %h = map { $_ => 1 } @_; return scalar keys %h }
sub common { my ($a, $b) = @_; my %h = map { $_ => 1 } @$a; return scalar grep { $h{$_} } @$b }

my @first = burst('/a', 5);
is(distinct(@first), 5, 'five requests at once take five connections');
my @second = burst('/b', 5);
is(common(\@first, \@second), 5, 'a burst within keepalive_surplus_timeout reuses all five');
sleep 1.5;
my @third = burst('/c', 5);
is(common(\@second, \@third), 2, 'past it only keepalive (2) of them were left');
is(distinct(@third), 5, 'and three were connected anew');

my @sf = burst('/strict/a', 5);
is(distinct(@sf), 5, 'keepalive_surplus_timeout = 0: five connections for five requests');
my @ss = burst('/strict/b', 5);
is(common(\@sf, \@ss), 2, 'the next burst finds only keepalive (2) of them');

# A bad value is refused by name, and the running config stays.
my $bad = $t->config(<<C, file => 'bad.conf');
upstreams = ( { name = "u"; servers = ( { address = "127.0.0.1:$be"; } ); keepalive_surplus_timeout = "soon"; } );
servers = ( { listen = [ "127.0.0.1:$p" ]; routes = ( { match = { prefix = "/"; }; upstream = "u"; } ); } );
C
my ($rc, undef, $err) = $t->cmd('-c', $bad, 'check');
isnt($rc, 0, 'check refuses a keepalive_surplus_timeout that is not a duration');
like($err, qr/keepalive_surplus_timeout/, 'naming the setting');

$t->done;
done_testing;
