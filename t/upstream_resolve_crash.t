# The helper killed halfway through publishing a re-resolved address set
# (SIGKILL at a crash point of the test build): the workers go on serving
# from the last complete set without a pause, and the helper respawned in
# its place publishes new sets that take effect as before.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use Test::More;
use TinyDNS qw(dns_server);

my $t = BouncerTest->new(hooks => 1);
my $d = $t->dir;
my ($p, $bp, $dns) = map { $t->port } 1 .. 3;

sub zone { $t->write_file('zone', join('', map { "$_\n" } @_)) }
zone('A 127.0.0.2 1');
my $dpid = dns_server('127.0.0.1', $dns, "$d/zone") or die "dns server: $!";
push @{ $t->{backends} }, { pid => $dpid, port => $dns };

$t->backend($bp, sub { [200, [], 'two'] }, addr => '127.0.0.2');
$t->backend($bp, sub { [200, [], 'three'] }, addr => '127.0.0.3');
$t->backend($bp, sub { [200, [], 'four'] }, addr => '127.0.0.4');
$t->config(<<C, workers => 2);
upstreams = ( { name = "dyn"; resolver = "127.0.0.1:$dns"; resolve_interval = "1s";
                servers = ( { address = "localhost:$bp"; resolve = true; } ); } );
servers = ( { listen = [ "127.0.0.1:$p" ]; routes = ( { match = { prefix = "/"; }; upstream = "dyn"; } ); } );
C
$t->start(ports => [$p]);
ok($t->wait_log(qr/now resolves to 127\.0\.0\.2:$bp/), 'the helper resolved the name');
is(http_request($p, 'GET', '/')->{body}, 'two', 'requests go to the resolved address');

sub bodies { join ',', map { (http_request($p, 'GET', '/', timeout => 3) // {})->{body} // 'nothing' } 1 .. 6 }

$t->expect_alert(qr/helper process \d+ exited on signal SIGKILL/);
$t->crash('peer-set-addrs');
zone('A 127.0.0.3 1');
ok($t->wait_log(qr/helper process \d+ exited on signal SIGKILL/), 'the helper died halfway through publishing 127.0.0.3');
# The respawned helper may have published 127.0.0.3 already: either whole set.
like(bodies(), qr/^((two|three),){5}(two|three)$/, 'every worker answers at once, from a complete set');
ok($t->wait_log(qr/now resolves to 127\.0\.0\.3:$bp/), 'the respawned helper publishes the new set');
ok(wait_until(sub { bodies() eq join(',', ('three') x 6) }, 5), 'and every worker uses it');
zone('A 127.0.0.4 1');
ok($t->wait_log(qr/now resolves to 127\.0\.0\.4:$bp/), 'later changes are published too');
ok(wait_until(sub { bodies() eq join(',', ('four') x 6) }, 5), 'and used');
is(scalar(() = $t->error_log =~ /exited on signal/g), 1, 'one process died: the one the test killed');

$t->done;
done_testing;
