# defer_accept: a new connection reaches accept() once its first bytes are
# in; until then the kernel holds it half-open (SYN_RECV in /proc/net/tcp,
# bouncer's side).  A request sent at once is answered as ever; a client
# that says nothing is accepted after a second all the same and then meets
# header_timeout.  With defer_accept = false, by reload on the kept
# listener, a connection is established and accepted at once.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use IO::Socket::INET;
use Test::More;
use Time::HiRes qw(sleep time);

my $t = BouncerTest->new;
my ($p, $be) = ($t->port, $t->port);
$t->backend($be, sub { [200, [], "proxied"] });
my $routes = <<C;
limits = { header_timeout = "1s"; };
upstreams = ( { name = "app"; servers = ( { address = "127.0.0.1:$be"; } ); } );
servers = ( { listen = [ "127.0.0.1:$p" ]; routes = ( { match = { prefix = "/"; }; upstream = "app"; } ); } );
C
$t->config($routes);
$t->start(ports => [$p]);

# The state of bouncer's side of the connection from client port $cp.
sub server_state {
    my ($cp) = @_;
    my $want = sprintf('0100007F:%04X 0100007F:%04X', $p, $cp);
    open my $f, '<', '/proc/net/tcp' or die "/proc/net/tcp: $!";
    for (<$f>) {
        my @c = split;
        return { '01' => 'ESTABLISHED', '03' => 'SYN_RECV' }->{ $c[3] } // $c[3]
            if "$c[1] $c[2]" eq $want;
    }
    return 'none';
}

my $r = http_request($p, 'GET', '/at-once');
is($r && $r->{status}, 200, 'a request sent at once is answered');
is($r && $r->{body}, 'proxied', 'with the backend\'s body');

my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $p) or die;
sleep 0.3;
is(server_state($s->sockport), 'SYN_RECV', 'a silent client is held half-open by the kernel');
syswrite $s, "GET /late HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
my $raw = '';
while (sysread($s, $raw, 4096, length $raw)) { }
$r = parse_response($raw);
is($r && $r->{body}, 'proxied', 'its request, once sent, is answered');
close $s;

$s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $p) or die;
my $t0 = time;
my $got = sysread($s, my $buf, 100);
my $took = time - $t0;
ok(defined $got && $got == 0, 'a client that never sends is closed in the end');
ok($took > 1.6 && $took < 5, "after the second of deferral, then header_timeout") or diag("${took}s");
close $s;

my ($rc, $err, $took_over) = $t->reload_config("defer_accept = false;\n$routes");
is($rc, 0, 'reload with defer_accept = false') or diag($err);
ok($took_over, 'a new worker took over');
$s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $p) or die;
sleep 0.3;
is(server_state($s->sockport), 'ESTABLISHED', 'defer_accept = false: established at once, on the kept listener');
close $s;
is(http_request($p, 'GET', '/off')->{status}, 200, 'defer_accept = false: requests are answered');

$t->done;
done_testing;
