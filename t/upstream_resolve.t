# resolve = true with resolver = "IP:port": the helper asks that DNS server
# (a small one run by this test), follows a changed answer within its TTL
# without a reload, and keeps the last good addresses when the name fails.
# Then, as root in a mount namespace whose /etc/resolv.conf names the test's
# server: the system's resolver every resolve_interval, and a name that did
# not resolve when bouncer started.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use Test::More;
use TinyDNS qw(dns_server);

my $t = BouncerTest->new;
my $d = $t->dir;
my ($p, $bp, $dns) = map { $t->port } 1 .. 3;

# The zone: "A <ip> <ttl>" lines for any name, or "SERVFAIL".
sub zone { $t->write_file('zone', join('', map { "$_\n" } @_)) }
zone('A 127.0.0.2 1');

my $dpid = dns_server('127.0.0.1', $dns, "$d/zone") or die "dns server: $!";
push @{ $t->{backends} }, { pid => $dpid, port => $dns };

$t->backend($bp, sub { [200, [], 'one'] });
$t->backend($bp, sub { [200, [], 'two'] }, addr => '127.0.0.2');
$t->backend($bp, sub { [200, [], 'three'] }, addr => '127.0.0.3');
$t->config(<<C, workers => 2);
upstreams = ( { name = "dyn"; resolver = "127.0.0.1:$dns"; resolve_interval = "1s";
                servers = ( { address = "localhost:$bp"; resolve = true; } ); } );
servers = ( { listen = [ "127.0.0.1:$p" ]; routes = ( { match = { prefix = "/"; }; upstream = "dyn"; } ); } );
C
$t->start(ports => [$p]);

ok($t->wait_log(qr/upstream server localhost:$bp of "dyn" now resolves to 127\.0\.0\.2:$bp/), 'the helper resolved the name through the resolver');
is(http_request($p, 'GET', '/')->{body}, 'two', 'requests go to the resolved address');
zone('A 127.0.0.3 1');
ok($t->wait_log(qr/now resolves to 127\.0\.0\.3:$bp/), 'a changed answer is seen once its TTL ran out');
ok(wait_until(sub { http_request($p, 'GET', '/')->{body} eq 'three' }, 5), 'and takes effect without a reload');
my @r = map { http_request($p, 'GET', '/')->{body} } 1 .. 6;
is(join(',', @r), join(',', ('three') x 6), 'in every worker');
zone('SERVFAIL');
ok($t->wait_log(qr/\[warn\].*cannot resolve "localhost" of upstream "dyn"; keeping its last good addresses/), 'a failing name is a warning');
is(http_request($p, 'GET', '/')->{body}, 'three', 'and the last good address stays in use');

$t->done;

SKIP: {
    skip 'the system resolver case needs root and unshare(1)', 8
        unless $> == 0 && -x '/usr/bin/unshare'
        && system("/usr/bin/unshare --mount --propagation private true 2>/dev/null") == 0;
    my $t2 = BouncerTest->new;
    my $d2 = $t2->dir;
    my ($p2, $bp2) = map { $t2->port } 1 .. 2;
    $t2->write_file('zone', "SERVFAIL\n");
    my $spid = dns_server('127.0.0.77', 53, "$d2/zone");
    skip 'cannot bind 127.0.0.77:53', 8 unless $spid;
    push @{ $t2->{backends} }, { pid => $spid, port => 53 };
    $t2->write_file('resolv.conf', "nameserver 127.0.0.77\n");
    $t2->backend($bp2, sub { [200, [], 'four'] }, addr => '127.0.0.4');
    $t2->backend($bp2, sub { [200, [], 'five'] }, addr => '127.0.0.5');
    $t2->config(<<C);
upstreams = ( { name = "sys"; resolve_interval = "1s";
                servers = ( { address = "app.bouncer-test:$bp2"; resolve = true; } ); } );
servers = ( { listen = [ "127.0.0.1:$p2" ]; routes = ( { match = { prefix = "/"; }; upstream = "sys"; } ); } );
C
    $t2->start(ports => [$p2], wrap => [ '/usr/bin/unshare', '--mount', '--propagation', 'private',
        'sh', '-c', "mount --bind '$d2/resolv.conf' /etc/resolv.conf && exec \"\$0\" \"\$@\"" ]);
    my $r = http_request($p2, 'GET', '/');
    is($r->{status}, 502, 'a name that did not resolve at start: its server is skipped (502), bouncer runs');
    ok($t2->wait_log(qr/cannot resolve "app\.bouncer-test" of upstream "sys"; keeping its last good addresses/), 'and the helper says so');
    $t2->write_file('zone', "A 127.0.0.4 300\n");
    ok($t2->wait_log(qr/now resolves to 127\.0\.0\.4:$bp2/), 'once DNS answers, the system resolver (resolv.conf) is used');
    ok(wait_until(sub { (http_request($p2, 'GET', '/') // {})->{body} eq 'four' }, 5), 'and the server takes requests');
    $t2->write_file('zone', "A 127.0.0.5 300\n");
    ok($t2->wait_log(qr/now resolves to 127\.0\.0\.5:$bp2/), 'without a resolver, the TTL (300s) is not waited for: resolve_interval (1s) is');
    ok(wait_until(sub { (http_request($p2, 'GET', '/') // {})->{body} eq 'five' }, 5), 'and the new address is used');
    $t2->done;
}
done_testing;
