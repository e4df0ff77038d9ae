# A 101 from the backend opens a tunnel only when it completes the client's
# WebSocket handshake (RFC 6455 4.1): Upgrade: websocket, Connection:
# upgrade and the Sec-WebSocket-Accept that the key calls for.  A backend
# tricked into anything less gets the client a 502 and a closed connection,
# never a raw tunnel past the routes.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use WebSocket qw(ws_accept);
use IO::Socket::INET;
use Test::More;

my $key = 'dGhlIHNhbXBsZSBub25jZQ==';
my $good = ws_accept($key);
my %answers = (
    good     => "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: $good\r\n",
    wrong    => "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: x$good\r\n",
    none     => "Upgrade: websocket\r\nConnection: Upgrade\r\n",
    other    => "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " . ws_accept('AAAAAAAAAAAAAAAAAAAAAA==') . "\r\n",
    noupgrade => "Connection: Upgrade\r\nSec-WebSocket-Accept: $good\r\n",
    h2c      => "Upgrade: h2c\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: $good\r\n",
    noconn   => "Upgrade: websocket\r\nSec-WebSocket-Accept: $good\r\n",
);
my $t = BouncerTest->new;
my ($p, $be) = ($t->port, $t->port);
$t->backend($be, sub {
    my ($r) = @_;
    my ($case) = $r->{path} =~ m{^/ws/(\w+)};
    return [404, [], 'no'] unless $case && $answers{$case};
    return { raw => "HTTP/1.1 101 Switching Protocols\r\n$answers{$case}\r\n" };
});
$t->config(<<C);
upstreams = ( { name = "be"; servers = ( { address = "127.0.0.1:$be"; } ); } );
servers = ( { listen = [ "127.0.0.1:$p" ];
  routes = ( { match = { prefix = "/ws/"; }; upstream = "be"; } ); } );
C
$t->start(ports => [$p]);

for my $case (sort keys %answers) {
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $p, Timeout => 5) or die $!;
    binmode $s;
    syswrite $s, "GET /ws/$case HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n"
               . "Connection: Upgrade\r\nSec-WebSocket-Key: $key\r\nSec-WebSocket-Version: 13\r\n\r\n";
    my $buf = '';
    while ($buf !~ /\r\n\r\n/) { sysread($s, $buf, 65536, length $buf) or last }
    if ($case eq 'good') {
        like($buf, qr{^HTTP/1\.1 101 }, 'a complete handshake: 101');
        close $s;
        next;
    }
    like($buf, qr{^HTTP/1\.1 502 }, "$case: 502");
    # Bytes sent now would go to the backend raw if a tunnel were open.
    syswrite $s, "GET /ws/smuggled-$case HTTP/1.1\r\nHost: x\r\n\r\n";
    my $more = '';
    1 while sysread($s, $more, 65536, length $more);
    is($more, '', "$case: and the connection closes");
    close $s;
}
ok(!grep({ $_->{path} =~ /smuggled/ } $t->backend_requests($be)), 'nothing went through to the backend');

$t->done;
done_testing;
