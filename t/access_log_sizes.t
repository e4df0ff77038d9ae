# Access log lines with fields of every size up to the limits, in both
# formats: a line is never written past its buffer (the worker lives, and
# under ASan nothing is reported), JSON lines always parse, and a field too
# long is cut at a whole escape with "..." at the end.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use JSON::PP;
use Test::More;

my $t = BouncerTest->new;
my ($p, $be) = ($t->port, $t->port);
$t->backend($be, sub { [200, [], "ok\n"] });
my $body = <<C;
limits = { max_uri_size = "64k"; max_header_size = "256k"; };
upstreams = ( { name = "app"; servers = ( { address = "127.0.0.1:$be"; } ); } );
servers = ( { listen = [ "127.0.0.1:$p" ];
  routes = ( { match = { prefix = "/"; }; upstream = "app"; } ); } );
C

# Each character kind grows differently when escaped: 1x, 2x ("), 4x (\xHH
# in combined) or 6x (\u00HH in JSON).
my @kinds = (['a', 'plain'], ['"', 'quotes'], ["\xe9", 'high bytes']);
my @sizes = (0, 1, 100, 1000, 2047, 2048, 2049, 3000, 8100, 16000, 40000);

for my $format (qw(combined json)) {
    $t->config($body, access_format => $format);
    $t->start(ports => [$p]);
    my ($pid) = $t->worker_pids;
    my $n = 0;
    for my $k (@kinds) {
        my ($ch, $kind) = @$k;
        for my $size (@sizes) {
            my $uri = '/' . ('u' x $size);
            $uri .= 'x' if $ch eq 'a';
            my $ua = $ch x $size;
            my $ref = 'r' x ($size * 2);
            my $r = http_request($p, 'GET', $uri,
                                 headers => [$size ? ('User-Agent' => $ua, 'Referer' => $ref) : ()]);
            $n++;
            ok($r && $r->{status} == 200, "$format, $kind, $size bytes: answered")
                or diag($r ? $r->{status} : 'no answer');
        }
    }
    ok(wait_until(sub { (() = $t->access_log =~ /\n/g) >= $n }), "$format: a line for each request");
    is(($t->worker_pids)[0], $pid, "$format: the worker never died");
    my @lines = split /\n/, $t->access_log;
    is(scalar @lines, $n, "$format: one line each");
    my $longest = 0;
    my ($cut, $whole) = (0, 0);
    for my $l (@lines) {
        $longest = length $l if length $l > $longest;
        if ($format eq 'json') {
            my $j = eval { decode_json($l) };
            ok($j, 'a JSON line parses') or diag(substr($l, 0, 200) . '...' . substr($l, -200));
            next unless $j;
            for my $f (qw(uri user_agent referer)) {
                next unless defined $j->{$f};
                $j->{$f} =~ /\.\.\.$/ ? $cut++ : $whole++;
            }
        } else {
            like($l, qr/^127\.0\.0\.1 - - \[[^\]]+\] "GET \/u*(?:x|\.\.\.)? HTTP\/1\.1" 200 \d+ "[^"]*" "(?:[^"\\]|\\.)*"$/,
                 'a combined line keeps its shape')
                or diag(substr($l, 0, 200) . '...' . substr($l, -200));
            $cut++ if $l =~ /\.\.\. HTTP/;
        }
    }
    cmp_ok($longest, '<', 16384, "$format: no line over 16 KiB ($longest)");
    ok($cut > 0, "$format: long fields are cut with '...' ($cut)");
    # A field that fits is whole: the 1000-byte requests are.
    my ($small) = grep { /u{1000}x/ } @lines;
    ok($small && $small =~ /u{1000}x/, "$format: a field that fits is logged whole");
    $t->stop;
    unlink $t->dir . '/access.log';
}

$t->done;
done_testing;
