# WebSocket tunnels across reloads: an old worker keeps its tunnels past
# shutdown_timeout, until each ends or its route's drain_timeout passes;
# then bouncer sends a close frame (1001, going away) each way, at a frame
# boundary, masked towards the backend, and the old worker exits once its
# last tunnel is gone.  Each tunnel has one access log line.  Beyond
# max_draining_generations the oldest generation's tunnels end at once, and
# a quit ends every tunnel by shutdown_timeout.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use WebSocket qw(ws_frame ws_read_frame ws_echo_server);
use Test::More;
use IO::Socket::INET;
use JSON::PP;
use Time::HiRes qw(time);

my $t = BouncerTest->new;
my $d = $t->dir;
my ($p, $ws) = map { $t->port } 1 .. 2;
my $server = ws_echo_server($ws, "$d/ws.log");
push @{ $t->{backends} }, { pid => $server, port => $ws };
sub conf {
    my ($gen) = @_;
    return <<C;
shutdown_timeout = "1s";
max_draining_generations = 1;
upstreams = ( { name = "ws"; servers = ( { address = "127.0.0.1:$ws"; } ); } );
servers = ( { listen = [ "127.0.0.1:$p" ];
  routes = ( { match = { prefix = "/short"; }; upstream = "ws"; websocket = { drain_timeout = "2500ms"; }; },
             { match = { prefix = "/"; }; upstream = "ws"; } ); } );
# generation $gen
C
}
$t->config(conf(1), access_format => 'json');
$t->start(ports => [$p]);

my $key = 'dGhlIHNhbXBsZSBub25jZQ==';
my %wrote; # bytes each client sent, by path
sub open_tunnel {
    my ($path) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $p) or die $!;
    binmode $s;
    my $req = "GET $path HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            . "Sec-WebSocket-Key: $key\r\nSec-WebSocket-Version: 13\r\n\r\n";
    syswrite $s, $req;
    $wrote{$path} = length $req;
    my $buf = '';
    while ($buf !~ /\r\n\r\n/) { sysread($s, $buf, 65536, length $buf) or last }
    my ($head) = $buf =~ /^(.*?\r\n\r\n)/s;
    die "no 101 on $path" unless ($head // '') =~ m{^HTTP/1\.1 101 };
    $buf = substr($buf, length $head);
    return { s => $s, buf => \$buf, path => $path, head_len => length $head, got => length $head };
}
sub send_raw {
    my ($c, $bytes) = @_;
    syswrite $c->{s}, $bytes;
    $wrote{$c->{path}} += length $bytes;
}
sub read_frame {
    my ($c) = @_;
    my @f = ws_read_frame($c->{s}, $c->{buf});
    return @f;
}
sub echo {
    my ($c, $text) = @_;
    send_raw($c, ws_frame(1, $text, mask => 1));
    my ($fin, $op, $pl) = read_frame($c);
    return defined $pl && $op == 1 && $pl eq $text;
}
sub eof_next {
    my ($c) = @_;
    my $rest = ${ $c->{buf} };
    return $rest eq '' && !sysread($c->{s}, $rest, 10);
}
sub log_line {
    my ($path) = @_;
    for my $l (split /\n/, $t->access_log) {
        my $j = eval { decode_json($l) } or next;
        return $j if ($j->{uri} // '') eq $path;
    }
    return undef;
}
sub frames { grep { /^\Q$_[0]\E / } split /\n/, BouncerTest::slurp("$d/ws.log.frames") }
sub alive { kill 0, $_[0] }

# Two tunnels in generation 1, then a reload.
my ($old) = $t->worker_pids;
my $long = open_tunnel('/long');
my $short = open_tunnel('/short');
ok(echo($long, 'before') && echo($short, 'before'), 'two tunnels open in generation 1');
my $reloaded = time;
my ($rc, $err, $took) = $t->reload_config(conf(2), access_format => 'json');
ok($rc == 0 && $took, 'reloaded') or diag($err);

# Past shutdown_timeout the old worker has closed all but its tunnels.
ok($t->wait_log(qr/shutdown_timeout passed: closing every connection but 2 websocket tunnels/),
   'shutdown_timeout passes in the old worker');
ok(alive($old), 'the old worker is still there');
ok(echo($long, 'after shutdown_timeout'), 'a tunnel open across a reload keeps working past shutdown_timeout');
ok(echo($short, 'after shutdown_timeout'), 'and so does the other');

# /short: drain_timeout (2.5s after the reload) ends it.  The client is in
# the middle of a frame's header then: bouncer's close frame waits for the
# frame's end, which comes in one write with a frame that must not pass.
my $big = ws_frame(2, 'b' x 1000, mask => 1);
send_raw($short, substr($big, 0, 5));
my ($fin, $op, $pl) = read_frame($short);
my $ended = time;
is_deeply([$op, $pl], [8, pack('n', 1001)], 'drain_timeout: the client gets a close frame, 1001 going away');
cmp_ok($ended - $reloaded, '>=', 2.4, 'not before drain_timeout');
ok($t->wait_log(qr/websocket tunnel open past drain_timeout after a reload; closing/), 'and the log says why');
send_raw($short, substr($big, 5) . ws_frame(1, 'too late', mask => 1));
send_raw($short, ws_frame(8, pack('n', 1001), mask => 1));
shutdown($short->{s}, 1);
ok(eof_next($short), 'then bouncer closes the connection');
ok(wait_until(sub { grep { / 8 / } frames('/short') }), 'the backend got a close frame');
is_deeply([frames('/short')],
          ['/short 1 masked 6', '/short 1 masked 22', '/short 2 masked 1000', '/short 8 masked 2 1001'],
          'the backend saw the whole frame, then a masked close frame 1001, and nothing after');

# /short's access log line: status 101, its duration, bytes both ways.
my $j;
ok(wait_until(sub { $j = log_line('/short') }), 'the ended tunnel has an access log line');
is($j->{status}, 101, 'status 101');
cmp_ok($j->{request_time}, '>=', 2.4, "request_time is the tunnel's duration ($j->{request_time})");
cmp_ok($j->{request_time}, '<', $ended - $reloaded + 5, 'and no more');
is($j->{bytes_received}, $wrote{'/short'}, "bytes_received: all the client sent ($wrote{'/short'})");
my $sent = $short->{head_len} + length(ws_frame(1, 'before')) + length(ws_frame(1, 'after shutdown_timeout')) + 4;
is($j->{bytes_sent}, $sent, "bytes_sent: the 101 head, the echoes and the close frame ($sent)");
my @lines = grep { /"uri":"\/short"/ } split /\n/, $t->access_log;
is(scalar @lines, 1, 'one line, when it ended');

# /long stays (drain_timeout 1h); the old worker exits when it ends.
ok(echo($long, 'still'), 'the tunnel without a short drain_timeout still works');
ok(alive($old), 'the old worker stays for it');
send_raw($long, ws_frame(8, pack('n', 1000), mask => 1));
($fin, $op, $pl) = read_frame($long);
is_deeply([$op, $pl], [8, pack('n', 1000)], "the client's close handshake completes");
ok(eof_next($long), 'and the backend closes');
close $long->{s};
ok(wait_until(sub { !alive($old) }), 'the old worker exits after its last tunnel');
ok(wait_until(sub { log_line('/long') }), 'that tunnel is logged too');
cmp_ok(log_line('/long')->{request_time}, '>', 1, 'having outlived shutdown_timeout');

# max_draining_generations = 1: the oldest draining generation ends at once,
# its tunnels too, with a close frame.
my $m = open_tunnel('/m');
($rc, $err, $took) = $t->reload_config(conf(3), access_format => 'json');
ok($rc == 0 && $took, 'reloaded again') or diag($err);
ok(echo($m, 'draining'), 'a tunnel of generation 2 works after the reload');
my $n = open_tunnel('/n');
($rc, $err, $took) = $t->reload_config(conf(4), access_format => 'json');
ok($rc == 0 && $took, 'and again') or diag($err);
ok($t->wait_log(qr/more than 1 generations draining: stopping generation 2 now/), 'generation 2 is stopped');
($fin, $op, $pl) = read_frame($m);
is_deeply([$op, $pl], [8, pack('n', 1001)], 'its tunnel gets a close frame');
ok(eof_next($m), 'and ends');
ok(wait_until(sub { log_line('/m') }), 'with its access log line');
ok(echo($n, 'still'), "generation 3's tunnel goes on");

# quit: every tunnel ends by shutdown_timeout, a draining one too.
my $q = open_tunnel('/q');
my $quit = time;
($rc) = $t->cmd('quit');
is($rc, 0, 'quit');
cmp_ok(time - $quit, '>=', 0.9, 'it waited for shutdown_timeout');
for my $c ($n, $q) {
    ($fin, $op, $pl) = read_frame($c);
    is_deeply([$op, $pl], [8, pack('n', 1001)], "quit: $c->{path} got a close frame");
    ok(eof_next($c), 'and ended');
}
ok(wait_until(sub { log_line('/n') && log_line('/q') }), 'both are logged');

$t->done;
done_testing;
