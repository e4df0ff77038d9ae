# WebSockets through bouncer: a real echo exchange (text, binary, fragments,
# ping/pong, close handshake, a 16 MiB message), a tunnel idle longer than
# read_timeout that survives, idle_timeout ending a tunnel (with a close
# frame), refused and malformed handshakes, and routes that do not tunnel.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use WebSocket qw(ws_frame ws_read_frame ws_accept ws_echo_server);
use Test::More;
use IO::Socket::INET;
use Time::HiRes qw(sleep);

my $t = BouncerTest->new;
my $d = $t->dir;
my ($p, $ws) = map { $t->port } 1 .. 2;
my $server = ws_echo_server($ws, "$d/ws.log");
push @{ $t->{backends} }, { pid => $server, port => $ws };
$t->config(<<C, access_format => 'json');
upstreams = ( { name = "ws"; read_timeout = "1s"; servers = ( { address = "127.0.0.1:$ws"; } ); } );
servers = ( { listen = [ "127.0.0.1:$p" ];
  routes = ( { match = { prefix = "/short"; }; upstream = "ws"; websocket = { idle_timeout = "1500ms"; }; },
             { match = { prefix = "/off"; }; upstream = "ws"; websocket = { enabled = false; }; },
             { match = { prefix = "/"; }; upstream = "ws"; websocket = { idle_timeout = "3s"; }; } ); } );
C
$t->start(ports => [$p]);

my $key = 'dGhlIHNhbXBsZSBub25jZQ==';
sub handshake {
    my ($path, %opt) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $p) or die $!;
    binmode $s;
    my $version = $opt{version} // '1.1';
    my $req = "GET $path HTTP/$version\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            . ($opt{nokey} ? '' : "Sec-WebSocket-Key: $key\r\n") . "Sec-WebSocket-Version: 13\r\n\r\n";
    syswrite $s, $req;
    my $buf = '';
    while ($buf !~ /\r\n\r\n/) { sysread($s, $buf, 65536, length $buf) or last }
    my ($head) = $buf =~ /^(.*?\r\n\r\n)/s;
    $buf = substr($buf, length($head // ''));
    return ($s, $head // '', \$buf);
}

my ($s, $head, $buf) = handshake('/chat');
like($head, qr{^HTTP/1\.1 101 }, '101 Switching Protocols');
like($head, qr/^Upgrade: websocket\r$/mi, 'Upgrade: websocket');
like($head, qr/^Connection: upgrade\r$/mi, 'Connection: upgrade');
like($head, qr/^Sec-WebSocket-Accept: \Q${\ ws_accept($key)}\E\r$/mi, 'the upstream\'s Sec-WebSocket-Accept reaches the client');
my @seen = split /\n/, BouncerTest::slurp("$d/ws.log");
like($seen[-1], qr/\|Upgrade: websocket\|Connection: upgrade/i, 'the upstream got Upgrade and Connection: upgrade');
like($seen[-1], qr/Sec-WebSocket-Key: \Q$key\E/, 'and the key');

syswrite $s, ws_frame(1, 'hello', mask => 1);
my ($fin, $op, $pl) = ws_read_frame($s, $buf);
is_deeply([$fin, $op, $pl], [1, 1, 'hello'], 'text frame echoed');
my $bin = join '', map { chr($_ % 256) } 0 .. 999;
syswrite $s, ws_frame(2, $bin, mask => 1);
($fin, $op, $pl) = ws_read_frame($s, $buf);
ok($op == 2 && $pl eq $bin, 'binary frame echoed byte for byte');
syswrite $s, ws_frame(1, 'frag', mask => 1, fin => 0) . ws_frame(0, 'men', mask => 1, fin => 0)
           . ws_frame(0, 'ted', mask => 1);
($fin, $op, $pl) = ws_read_frame($s, $buf);
is_deeply([$op, $pl], [1, 'fragmented'], 'a fragmented message arrives whole');
syswrite $s, ws_frame(9, 'are you there', mask => 1);
($fin, $op, $pl) = ws_read_frame($s, $buf);
is_deeply([$op, $pl], [10, 'are you there'], 'ping gets pong');

# Idle longer than the upstream read_timeout (1s), shorter than idle_timeout (3s).
sleep 1.8;
syswrite $s, ws_frame(1, 'still here', mask => 1);
($fin, $op, $pl) = ws_read_frame($s, $buf);
is($pl, 'still here', 'a tunnel idle past read_timeout survives');

my $big = 'x' x (16 * 1024 * 1024);
substr($big, $_ * 4096, 1) = chr(65 + $_ % 26) for 0 .. 4095;
syswrite($s, $_) for unpack('(a1048576)*', ws_frame(2, $big, mask => 1));
($fin, $op, $pl) = ws_read_frame($s, $buf);
ok(defined $pl && length($pl) == length($big) && $pl eq $big, 'a 16 MiB message echoed intact');

syswrite $s, ws_frame(8, pack('n', 1000) . 'bye', mask => 1);
($fin, $op, $pl) = ws_read_frame($s, $buf);
is_deeply([$op, $pl], [8, pack('n', 1000) . 'bye'], 'close handshake answered');
my $rest = '';
my $eof = !sysread($s, $rest, 10);
ok($eof, 'after the upstream closes, bouncer closes the client');
close $s;
ok($t->wait_log(qr/websocket tunnel closed after \d+ms: \d+ bytes from the client, \d+ bytes to it/), 'the tunnel is logged with its duration and bytes');
ok(wait_until(sub { $t->access_log =~ /"status":101/ }, 5), 'the tunnel has an access log line with status 101');

# idle_timeout ends a quiet tunnel.
($s, $head, $buf) = handshake('/short');
like($head, qr{^HTTP/1\.1 101 }, 'second tunnel open');
($fin, $op, $pl) = ws_read_frame($s, $buf);
is_deeply([$op, $pl], [8, pack('n', 1001)], 'idle_timeout ends a quiet tunnel with a close frame, 1001 going away');
syswrite $s, ws_frame(8, pack('n', 1001), mask => 1);
my $got = sysread($s, $rest, 10);
ok(!$got, 'then the connection closes');
ok($t->wait_log(qr/websocket tunnel idle for 1500ms; closing/), 'and says so');
close $s;

# The upstream refuses: an ordinary response, and the connection stays HTTP.
($s, $head, $buf) = handshake('/refuse');
like($head, qr{^HTTP/1\.1 403 }, 'a refused upgrade is an ordinary response');
syswrite $s, "GET /plain HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
my $more = $$buf;
while (sysread($s, $more, 65536, length $more)) {}
like($more, qr/refused.*HTTP\/1\.1 200 .*plain$/s, 'the same connection then serves a plain request');
close $s;

# Malformed handshakes: 400, never a tunnel.
($s, $head) = handshake('/chat', nokey => 1);
like($head, qr{^HTTP/1\.1 400 }, 'no Sec-WebSocket-Key: 400');
close $s;
($s, $head) = handshake('/chat', version => '1.0');
like($head, qr{^HTTP/1\.1 400 }, 'an upgrade over HTTP/1.0: 400');
close $s;

# A route with websocket disabled: the upgrade headers do not pass.
($s, $head, $buf) = handshake('/off');
like($head, qr{^HTTP/1\.1 200 }, 'websocket disabled: an ordinary request');
@seen = split /\n/, BouncerTest::slurp("$d/ws.log");
unlike($seen[-1], qr/Upgrade:/i, 'and the upstream never saw Upgrade');
close $s;

$t->done;

# --- the same over TLS (wss://): the tunnel reads and writes records, and
# a close passes on as close_notify then FIN
{
    require TestCerts;
    require IO::Socket::SSL;
    my $t2 = BouncerTest->new;
    my $d2 = $t2->dir;
    my ($tp, $ws2) = map { $t2->port } 1 .. 2;
    my $ca = TestCerts::new_ca($d2, 'ca');
    my $crt = TestCerts::new_cert($ca, 'ws', names => ['ws.test']);
    my $srv2 = ws_echo_server($ws2, "$d2/ws.log");
    push @{ $t2->{backends} }, { pid => $srv2, port => $ws2 };
    $t2->config(<<C);
upstreams = ( { name = "ws"; servers = ( { address = "127.0.0.1:$ws2"; } ); } );
servers = ( { tls_listen = [ "127.0.0.1:$tp" ]; names = [ "ws.test" ];
  tls = { certificates = ( { cert = "$crt->{cert}"; key = "$crt->{key}"; } ); };
  routes = ( { match = { prefix = "/"; }; upstream = "ws"; } ); } );
C
    $t2->start(ports => [$tp]);
    my $s2 = IO::Socket::SSL->new(PeerAddr => '127.0.0.1', PeerPort => $tp, SSL_hostname => 'ws.test',
                                  SSL_ca_file => $ca->{cert}) or die "wss: $IO::Socket::SSL::SSL_ERROR";
    syswrite $s2, "GET /chat HTTP/1.1\r\nHost: ws.test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                . "Sec-WebSocket-Key: $key\r\nSec-WebSocket-Version: 13\r\n\r\n";
    my $b2 = '';
    while ($b2 !~ /\r\n\r\n/) { sysread($s2, $b2, 65536, length $b2) or last }
    like($b2, qr{^HTTP/1\.1 101 }, 'wss: 101 over TLS');
    $b2 =~ s/^.*?\r\n\r\n//s;
    my $msg = join '', map { chr(($_ * 7) % 256) } 1 .. 300_000;
    syswrite($s2, $_) for unpack('(a16384)*', ws_frame(2, $msg, mask => 1));
    my ($f2, $o2, $p2) = ws_read_frame($s2, \$b2);
    ok(defined $p2 && $p2 eq $msg, 'wss: a 300 KB message echoed intact');
    syswrite $s2, ws_frame(8, pack('n', 1000), mask => 1);
    ($f2, $o2, $p2) = ws_read_frame($s2, \$b2);
    is($o2, 8, 'wss: close answered');
    my $rest2 = '';
    ok(!sysread($s2, $rest2, 10), 'wss: then the connection ends');
    close $s2;
    $t2->done;
}
done_testing;
