# smart_accept: a new connection's first request is not ACKed on its own but
# by the response (delayed ACK mode, inherited from the listener); with
# smart_accept = false the kernel ACKs it at once.  Switching it by reload
# applies to the listener bouncer keeps.  Seen from the client: TCP_INFO's
# count of its unacknowledged segments a few milliseconds after it sent the
# request, while the backend takes its time to answer.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use IO::Socket::INET;
use Socket qw(IPPROTO_TCP);
use Test::More;
use Time::HiRes qw(sleep);

use constant TCP_INFO => 11;    # linux/tcp.h

my $t = BouncerTest->new;
my ($p, $be) = ($t->port, $t->port);
$t->backend($be, sub { return { sleep => 0.3, response => [200, [], "slow"] } });
my $routes = <<C;
upstreams = ( { name = "app"; servers = ( { address = "127.0.0.1:$be"; } ); } );
servers = ( { listen = [ "127.0.0.1:$p" ]; routes = ( { match = { prefix = "/"; }; upstream = "app"; } ); } );
C
$t->config($routes);
$t->start(ports => [$p]);

# How many of 5 new connections still had their request unacknowledged 5 ms
# after sending it (the kernel's delayed ACK waits 40 ms); every response
# must arrive whole all the same.
sub unacked_requests {
    my ($n, $answered) = (0, 0);
    for (1 .. 5) {
        my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $p) or die;
        syswrite $s, "GET /x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
        sleep 0.005;
        my $info = getsockopt($s, IPPROTO_TCP, TCP_INFO) or die "TCP_INFO: $!";
        # struct tcp_info: 8 bytes of u8 fields, then rto, ato, snd_mss,
        # rcv_mss and unacked (u32 each).
        $n++ if unpack('x24 L', $info) > 0;
        my $raw = '';
        while (sysread($s, $raw, 4096, length $raw)) { }
        my $r = parse_response($raw);
        $answered++ if $r && $r->{status} == 200 && $r->{body} eq 'slow';
        close $s;
    }
    return ($n, $answered);
}

my ($n, $answered) = unacked_requests();
cmp_ok($n, '>=', 3, 'smart_accept (default): the request waits for the response to be ACKed')
    or diag("$n of 5 unacknowledged");
is($answered, 5, 'smart_accept: every response arrives');

my ($rc, $err, $took) = $t->reload_config("smart_accept = false;\n$routes");
is($rc, 0, 'reload with smart_accept = false') or diag($err);
ok($took, 'a new worker took over');
($n, $answered) = unacked_requests();
is($n, 0, 'smart_accept = false: the kernel ACKs each request at once, on the kept listener');
is($answered, 5, 'smart_accept = false: every response arrives');

$t->done;
done_testing;
