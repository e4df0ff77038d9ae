# Large response bodies on plain connections move socket to socket with
# splice(2), through a kernel pipe: every byte arrives in order through a slow
# reader, the connections stay usable for the next request, and a body the
# upstream cuts short reaches the client short, never padded or hung.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use Digest::MD5 qw(md5_hex);
use IO::Socket::INET;
use Test::More;
use Time::HiRes qw(sleep);

my $SIZE = 4 * 1024 * 1024;
my $pattern = join '', map { sprintf "%08d", $_ } 0 .. ($SIZE / 8 - 1);

my $t = BouncerTest->new;
my ($p, $be) = ($t->port, $t->port);
$t->backend($be, sub {
    my $r = shift;
    return [200, [], $pattern] if $r->{path} eq '/big';
    return [200, [], "small $r->{conn}"] if $r->{path} eq '/small';
    return { raw => "HTTP/1.1 200 OK\r\nContent-Length: $SIZE\r\n\r\n" . substr($pattern, 0, 1 << 20),
             then_close => 1 } if $r->{path} eq '/cut';
    return { raw => "HTTP/1.0 200 OK\r\n\r\n" . $pattern, then_close => 1 } if $r->{path} eq '/eof';
    return [404, [], ''];
});
$t->config(<<C);
upstreams = ( { name = "app"; servers = ( { address = "127.0.0.1:$be"; } ); keepalive = 4; } );
servers = ( { listen = [ "127.0.0.1:$p" ]; routes = ( { match = { prefix = "/"; }; upstream = "app"; } ); } );
C
$t->start(ports => [$p]);

sub read_response_on {
    my ($s, $slow) = @_;
    my ($raw, $n) = ('', 0);
    until ($raw =~ /\r\n\r\n/) { sysread($s, $raw, 65536, length $raw) or return undef }
    my ($len) = $raw =~ /^Content-Length: (\d+)/mi;
    my $want = index($raw, "\r\n\r\n") + 4 + $len;
    while (length $raw < $want) {
        my $k = sysread($s, $raw, $slow ? 4096 : 262144, length $raw);
        last unless $k;
        sleep 0.001 if $slow && ++$n % 32 == 0;
    }
    return parse_response($raw);
}

# A 4 MiB body read in small bites: the kernel pipe fills, the client's socket
# says EAGAIN many times over, and the order of the bytes shows any slip.
my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $p) or die;
syswrite $s, "GET /big HTTP/1.1\r\nHost: a\r\n\r\n";
my $r = read_response_on($s, 1);
is($r->{status}, 200, 'large response: 200');
is(length $r->{body}, $SIZE, 'large response: every byte');
is(md5_hex($r->{body}), md5_hex($pattern), 'large response: in order');

# The same client connection serves the next request, over the same upstream
# connection: the spliced body left nothing behind on either.
syswrite $s, "GET /small HTTP/1.1\r\nHost: a\r\n\r\n";
$r = read_response_on($s, 0);
is($r->{status}, 200, 'keep-alive after a spliced body: next request answered');
my @reqs = $t->backend_requests($be);
is($r->{body}, "small $reqs[0]{conn}", 'and the upstream connection was reused');

# Twenty more in a row on one connection: spare kernel pipes are reused, and
# none is left holding bytes of an earlier body.
my $ok = 0;
for (1 .. 20) {
    syswrite $s, "GET /big HTTP/1.1\r\nHost: a\r\n\r\n";
    my $x = read_response_on($s, 0);
    $ok++ if $x && length $x->{body} == $SIZE && $x->{body} eq $pattern;
}
is($ok, 20, 'twenty large responses in a row on one connection, each whole');
close $s;

# Cut short by the upstream after 1 MiB of 4 MiB: the client gets 1 MiB and
# then the connection closes; nothing is invented to fill the gap.
$s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $p) or die;
syswrite $s, "GET /cut HTTP/1.1\r\nHost: a\r\n\r\n";
my $raw = '';
while (sysread($s, $raw, 262144, length $raw)) { }
my ($head, $body) = split /\r\n\r\n/, $raw, 2;
like($head, qr/^HTTP\/1\.1 200/, 'cut body: the head was sent');
is(length $body, 1 << 20, 'cut body: the client got what came, and the close');
is($body, substr($pattern, 0, 1 << 20), 'cut body: those bytes intact');
ok($t->wait_log(qr/prematurely/), 'cut body: logged');

# A body that ends at the upstream's close, to an HTTP/1.0 client (no
# re-framing needed, so it is spliced too).
$s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $p) or die;
syswrite $s, "GET /eof HTTP/1.0\r\nHost: a\r\n\r\n";
$raw = '';
while (sysread($s, $raw, 262144, length $raw)) { }
($head, $body) = split /\r\n\r\n/, $raw, 2;
is(length $body, $SIZE, 'close-delimited body to an HTTP/1.0 client: every byte');
is(md5_hex($body), md5_hex($pattern), 'close-delimited body: in order');

# Many at once: each has its own kernel pipe.
my @res = http_parallel($p, [map { ['GET', '/big'] } 1 .. 12]);
is(scalar(grep { $_->{status} == 200 && $_->{body} eq $pattern } @res), 12,
   'twelve concurrent large responses, each whole');

$t->done;
done_testing;
