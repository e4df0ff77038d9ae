# The upstream keep-alive pool: reuse, keepalive_timeout, keepalive = 0,
# the pool's size limit, and per-route timeouts.
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
    return { sleep => 1.5, response => [200, [], encode_json({ conn => $r->{conn} })] } if $r->{path} =~ /slow/;
    return [200, [], encode_json({ conn => $r->{conn}, connection => $r->{headers}{connection} })];
});
$t->config(<<C);
upstreams = (
  { name = "pooled"; servers = ( { address = "127.0.0.1:$be"; } ); keepalive_timeout = "1s"; read_timeout = "1s"; },
  { name = "nopool"; servers = ( { address = "127.0.0.1:$be"; } ); keepalive = 0; },
  { name = "one"; servers = ( { address = "127.0.0.1:$be"; } ); keepalive = 1; }
);
servers = ( { listen = [ "127.0.0.1:$p" ];
  routes = ( { match = { prefix = "/nopool"; }; upstream = "nopool"; },
             { match = { prefix = "/one"; }; upstream = "one"; },
             { match = { prefix = "/patient"; }; upstream = "pooled"; timeouts = { read = "5s"; }; },
             { match = { prefix = "/"; }; upstream = "pooled"; } ); } );
C
$t->start(ports => [$p]);

sub conn_of { decode_json(http_request($p, 'GET', $_[0])->{body})->{conn} }

my $a = conn_of('/a');
is(conn_of('/b'), $a, 'the next request reuses the pooled connection');
sleep 1.6;
isnt(conn_of('/c'), $a, 'after keepalive_timeout the pooled connection is gone');

my $j = decode_json(http_request($p, 'GET', '/nopool/1')->{body});
is($j->{connection}, 'close', 'keepalive = 0 sends Connection: close');
isnt(decode_json(http_request($p, 'GET', '/nopool/2')->{body})->{conn}, $j->{conn}, 'and reuses nothing');

# Two at once through an upstream with keepalive = 1: one connection is kept.
my @s = map { IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $p) } 1 .. 2;
syswrite $_, "GET /one/slow HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n" for @s;
my %conns;
for my $s (@s) {
    my $b = '';
    while (sysread($s, $b, 4096, length $b)) { }
    $conns{ decode_json(parse_response($b)->{body})->{conn} }++;
}
is(scalar keys %conns, 2, 'two concurrent requests used two connections');
my $next = conn_of('/one/after');
ok($conns{$next}, 'one of them was kept for the next request');

# Per-route timeouts override the upstream's.
is(http_request($p, 'GET', '/slow')->{status}, 504, 'read_timeout of the upstream: 504');
is(http_request($p, 'GET', '/patient/slow')->{status}, 200, 'a route with a longer read timeout waits');

$t->done;
done_testing;
