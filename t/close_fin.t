# A response on a connection bouncer then closes carries the FIN in its
# last segment, not in a packet of its own: proxied with a plain body, a
# chunked one (the FIN rides with the terminator) and a spliced large one;
# one of bouncer's own (respond); a cache hit from the memory tier.  Seen from
# the client: TCP_INFO's count of segments received without data, at EOF,
# is only the SYN-ACK.  And a response held back for its FIN is never lost:
# a client that sent more bytes bouncer never read (which turns close()
# into a reset) still gets the whole response.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use IO::Socket::INET;
use Socket qw(IPPROTO_TCP);
use Test::More;
use Time::HiRes qw(sleep time);

use constant TCP_INFO => 11;    # linux/tcp.h

my $t = BouncerTest->new;
my ($p, $be) = ($t->port, $t->port);
my $big = 300_000;
$t->backend($be, sub {
    my ($r) = @_;
    return { stream => $big } if $r->{path} eq '/big';
    return { raw => "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n" }
        if $r->{path} eq '/chunked';
    return { sleep => 0.4, response => [200, [], 'slow'] } if $r->{path} eq '/slow';
    return [200, ['Cache-Control' => 'max-age=600'], 'stored'] if $r->{path} eq '/cached';
    return [200, [], 'small'];
});
my $d = $t->dir;
$t->config(<<C);
cache_zones = ( { name = "z"; path = "$d/cache"; } );
upstreams = ( { name = "app"; servers = ( { address = "127.0.0.1:$be"; } ); keepalive = 4; } );
servers = ( { listen = [ "127.0.0.1:$p" ];
  routes = ( { match = { exact = "/own"; }; respond = { status = 200; body = "own"; }; },
             { match = { exact = "/cached"; }; upstream = "app"; cache = { zone = "z"; }; },
             { match = { prefix = "/"; }; upstream = "app"; } ); } );
C
$t->start(ports => [$p]);

# One request with "Connection: close", read to EOF: the parsed response,
# how many segments without data came in (struct tcp_info: segs_in at
# byte 140, data_segs_in at 152), and how long the first byte took.
sub closing_request {
    my ($path, $extra) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $p) or die;
    my $start = time;
    syswrite $s, "GET $path HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
    if (defined $extra) {
        sleep 0.1;
        syswrite $s, $extra;
    }
    my $raw = '';
    my $first;
    while (sysread($s, $raw, 65536, length $raw)) { $first //= time - $start }
    my $info = getsockopt($s, IPPROTO_TCP, TCP_INFO) or die "TCP_INFO: $!";
    my ($segs, $data) = (unpack('x140 L', $info), unpack('x152 L', $info));
    close $s;
    return (parse_response($raw), $segs - $data, $first // 0);
}

closing_request('/cached') for 1 .. 2;    # stored, then copied into memory by a hit
for my $case (['/small', 'small'], ['/chunked', 'hello world'], ['/big', 'z' x $big], ['/own', 'own'],
              ['/cached', 'stored']) {
    my ($path, $want) = @$case;
    my ($whole, $tries, $timed, $alone) = (0, 0, 0, 0);
    # The kernel ACKs the request on its own (a segment without data) when
    # the answer takes longer than its delayed-ACK timer (40 ms at least):
    # a loaded host, not bouncer.  Only answers that began sooner than that
    # count for the FIN; up to ten tries to get three of them.
    # A large answer can also fill a slow reader's window, and the kernel's
    # window probes are segments without data too: there the tries go on
    # until one is clean, which shows the FIN rides with the data (a FIN
    # sent on its own would make all ten bare).
    my $big_case = $path eq '/big';
    while ($tries < 10 && ($big_case ? $timed == $alone : $timed < 3)) {
        my ($r, $bare, $first) = closing_request($path);
        $tries++;
        $whole++ if $r && $r->{status} == 200 && $r->{body} eq $want;
        next if $first > 0.03;
        $timed++;
        $alone++ if $bare > 1;
    }
    is($whole, $tries, "$path: every response arrives whole before EOF");
  SKIP: {
        skip "$path: no answer began within 30 ms in $tries tries (a loaded host)", 1 unless $timed;
        my $allowed = $big_case ? $timed - 1 : $timed == 3 ? 1 : 0;
        cmp_ok($alone, '<=', $allowed, "$path: the FIN rides in the last data segment")
            or diag("$alone of $timed had a segment without data besides the SYN-ACK");
    }
}

my ($r) = closing_request('/slow', "GET /unread HTTP/1.1\r\nHost: a\r\n\r\n");
ok($r && $r->{status} == 200 && $r->{body} eq 'slow',
   'unread bytes from the client: the response still arrives whole');
is(scalar(grep { $_->{path} eq '/unread' } $t->backend_requests($be)), 0,
   'and what came after "Connection: close" went nowhere');

$t->done;
done_testing;
