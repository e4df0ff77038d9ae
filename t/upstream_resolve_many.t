# Several servers with resolve = true whose lookups are in flight at once
# (a resolver that never answers): the helper keeps each lookup's poll
# entry once (it once added them twice, writing past its arrays: ASan
# reported it), times them out, and the names that resolved at load keep
# serving.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use IO::Socket::INET;
use Test::More;

my $t = BouncerTest->new;
my ($p, $bp, $dns) = map { $t->port } 1 .. 3;
my $silent = IO::Socket::INET->new(LocalAddr => "127.0.0.1:$dns", Proto => 'udp') or die "udp: $!";
$t->backend($bp, sub { [200, [], 'one'] });
$t->config(<<C);
upstreams = ( { name = "dyn"; resolver = "127.0.0.1:$dns"; resolve_interval = "1s";
                servers = ( { address = "localhost:$bp"; resolve = true; },
                            { address = "localhost:$bp"; resolve = true; },
                            { address = "localhost:$bp"; resolve = true; },
                            { address = "localhost:$bp"; resolve = true; } ); } );
servers = ( { listen = [ "127.0.0.1:$p" ]; routes = ( { match = { prefix = "/"; }; upstream = "dyn"; } ); } );
C
$t->start(ports => [$p]);
ok($t->wait_log(qr/cannot resolve "localhost"/, 15), 'the lookups in flight time out');
my $r = http_request($p, 'GET', '/');
is($r && $r->{status}, 200, 'the addresses found at load keep serving');
ok(kill(0, grep { defined } $t->master_pid), 'the master is still there');
$t->done;
done_testing;
