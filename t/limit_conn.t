# limit_conn: concurrent requests per key, shared by every worker; a slow
# backend holds slots until its answers end; a WebSocket tunnel holds one
# while open; a worker SIGKILLed while holding slots does not leak them.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use WebSocket qw(ws_frame ws_read_frame ws_echo_server);
use Test::More;
use IO::Socket::INET;
use Time::HiRes qw(time sleep);

my $t = BouncerTest->new;
my $d = $t->dir;
my ($p, $be, $ws) = map { $t->port } 1 .. 3;
$t->backend($be, sub { $_[0]{path} =~ /slow/ ? { sleep => 1.5, response => [200, [], 'slow'] } : [200, [], 'quick'] });
my $server = ws_echo_server($ws, "$d/ws.log");
push @{ $t->{backends} }, { pid => $server, port => $ws };
$t->config(<<C, workers => 2);
upstreams = ( { name = "app"; servers = ( { address = "127.0.0.1:$be"; } ); },
              { name = "ws"; servers = ( { address = "127.0.0.1:$ws"; } ); } );
limit_conn = ( { name = "two"; key = "\$remote_addr"; max = 2; },
               { name = "one_ws"; key = "\$remote_addr"; max = 1; status = 503; } );
servers = ( { listen = [ "127.0.0.1:$p" ];
  routes = ( { match = { prefix = "/ws"; }; upstream = "ws"; limit_conn = "one_ws"; },
             { match = { prefix = "/free"; }; limit_conn = "off"; upstream = "app"; },
             { match = { prefix = "/"; }; upstream = "app"; } );
  limit_conn = "two"; } );
C
$t->start(ports => [$p]);

my $t0 = time;
my @r = http_parallel($p, [ map { ['GET', '/slow'] } 1 .. 5 ]);
my @st = sort map { $_ ? $_->{status} : 0 } @r;
is("@st", '200 200 429 429 429', 'max 2: two slow requests pass, three more at once get 429');
my ($rej) = grep { $_ && $_->{status} == 429 } @r;
is($rej->{headers}{'retry-after'}, '1', '... with Retry-After: 1');
@r = http_parallel($p, [ map { ['GET', '/quick'] } 1 .. 2 ]);
is(join(' ', map { $_->{status} } @r), '200 200', 'once they ended, their slots are back');
@r = http_parallel($p, [ map { ['GET', '/free/slow'] } 1 .. 4 ]);
is(join(' ', map { $_->{status} } @r), '200 200 200 200', 'limit_conn = "off" lifts the block\'s rule');

# A tunnel holds its slot while open.
sub ws_open {
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $p) or die;
    syswrite $s, "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               . "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    my $buf = '';
    while ($buf !~ /\r\n\r\n/) { sysread($s, $buf, 65536, length $buf) or last }
    my ($status) = $buf =~ /^HTTP\/1\.1 (\d+)/;
    return ($s, $status // 0);
}
my ($s1, $st1) = ws_open();
is($st1, 101, 'a tunnel opens');
my ($s2, $st2) = ws_open();
is($st2, 503, 'a second one, over max 1: the rule\'s status');
close $s1;
ok(wait_until(sub { my ($s, $st) = ws_open(); close $s; $st == 101 }), 'once the first closed, another opens');

# A worker killed while it holds slots: the master gives them back.
my @socks;
for (1 .. 2) {
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $p) or die;
    syswrite $s, "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n";
    push @socks, $s;
}
sleep 0.5;
is(http_request($p, 'GET', '/quick')->{status}, 429, 'two slow requests hold both slots');
$t->expect_alert(qr/exited on signal SIGKILL/);
kill 'KILL', $t->worker_pids;
close $_ for @socks;
ok(wait_until(sub { $t->worker_pids == 2 }), 'the workers are replaced');
ok(wait_until(sub { my $r = http_request($p, 'GET', '/quick'); $r && $r->{status} == 200 }, 5),
   'the slots the killed workers held are given back');

$t->done;
done_testing;
