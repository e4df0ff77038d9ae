# Chunked bodies larger than every buffer on the way, through slow readers:
# a 16 MiB chunked upload arrives whole and in order, and a 16 MiB chunked
# response (chunks of odd sizes) reaches a client that reads in small bites.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use Digest::MD5 qw(md5_hex);
use IO::Socket::INET;
use Test::More;
use Time::HiRes qw(sleep);

my $SIZE = 16 * 1024 * 1024;
my $t = BouncerTest->new;
my ($p, $be) = ($t->port, $t->port);
$t->backend($be, sub {
    my $r = shift;
    return { stream => $SIZE, chunked => 1 } if $r->{path} eq '/down';
    return [200, [], length($r->{body}) . ' ' . md5_hex($r->{body})];
});
$t->config(<<C);
limits = { max_body_size = "0"; };
upstreams = ( { name = "app"; servers = ( { address = "127.0.0.1:$be"; } ); } );
servers = ( { listen = [ "127.0.0.1:$p" ]; routes = ( { match = { prefix = "/"; }; upstream = "app"; } ); } );
C
$t->start(ports => [$p]);

# Upload, chunked, in chunks of varying size, with a byte pattern that
# shows any reordering or loss.
my $body = join '', map { sprintf "%08d", $_ } 0 .. ($SIZE / 8 - 1);
my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $p) or die;
syswrite $s, "POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
my ($off, $i) = (0, 0);
while ($off < length $body) {
    my $k = 1 + ($i++ * 104729) % 70000;
    $k = length($body) - $off if $k > length($body) - $off;
    my $out = sprintf("%x\r\n", $k) . substr($body, $off, $k) . "\r\n";
    my $o = 0;
    while ($o < length $out) { my $w = syswrite($s, $out, length($out) - $o, $o); die unless defined $w; $o += $w }
    $off += $k;
}
syswrite $s, "0\r\n\r\n";
my $resp = '';
while (sysread($s, $resp, 4096, length $resp)) { }
my $r = parse_response($resp);
is($r->{body}, length($body) . ' ' . md5_hex($body), '16 MiB chunked upload arrives whole and in order');

# Download, chunked, read slowly in small pieces.
$s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $p) or die;
syswrite $s, "GET /down HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
my $raw = '';
my $n = 0;
while (my $k = sysread($s, $raw, 4096, length $raw)) {
    sleep 0.001 if ++$n % 64 == 0;
}
$r = parse_response($raw);
is($r->{headers}{'transfer-encoding'}, 'chunked', 'the response stays chunked');
is(length $r->{body}, $SIZE, '16 MiB chunked response arrives whole');
like($raw, qr/\r\n0\r\n\r\n$/, 'with its terminator');

$t->done;
done_testing;
