# allow and deny on a server block and its routes: a route that sets
# neither list takes the block's, a list it sets replaces the block's
# (allow = [] opens it), deny wins where both match.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use Test::More;

my $t = BouncerTest->new;
my ($p, $p2) = ($t->port, $t->port);
$t->config(<<C);
servers = (
  { listen = [ "127.0.0.1:$p" ]; allow = [ "10.0.0.0/8" ];
    routes = ( { match = { prefix = "/open"; }; allow = [ ]; respond = { status = 200; body = "open"; }; },
               { match = { prefix = "/ownlist"; }; allow = [ "127.0.0.0/8" ]; respond = { status = 200; body = "own"; }; },
               { match = { prefix = "/denyonly"; }; deny = [ "192.0.2.0/24" ]; respond = { status = 200; body = "x"; }; },
               { match = { prefix = "/"; }; respond = { status = 200; body = "inherited"; }; } ); },
  { listen = [ "127.0.0.1:$p2" ]; deny = [ "127.0.0.0/8" ];
    routes = ( { match = { prefix = "/undenied"; }; deny = [ ]; respond = { status = 200; body = "undenied"; }; },
               { match = { prefix = "/both"; }; allow = [ "127.0.0.0/8" ]; respond = { status = 200; body = "x"; }; },
               { match = { prefix = "/"; }; respond = { status = 200; body = "x"; }; } ); }
);
C
$t->start(ports => [$p, $p2]);
sub st { my $r = http_request(@_); $r ? $r->{status} : 0 }

is(st($p, 'GET', '/x'), 403, "a route without lists takes the block's allow");
is(st($p, 'GET', '/open'), 200, 'allow = [] opens a route');
is(st($p, 'GET', '/ownlist'), 200, "a route's own allow replaces the block's");
is(st($p, 'GET', '/denyonly'), 403, "a route that sets only deny still takes the block's allow");
is(st($p2, 'GET', '/x'), 403, "the block's deny is inherited");
is(st($p2, 'GET', '/undenied'), 200, 'deny = [] lifts it');
is(st($p2, 'GET', '/both'), 403, 'deny wins where both match');

$t->done;
done_testing;
