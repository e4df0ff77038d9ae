# Response compression (a route's compress group): gzip and Brotli chosen
# by the client's Accept-Encoding q-values and the route's order; what is
# never coded (no-transform, a backend's own Content-Encoding, HEAD, 204,
# 304, ranges, short bodies, other types, HTTP/1.0 framing aside); Vary
# and ETag; large and slow bodies streamed; cache hits coded on the way
# out from the identity entry; limits.compress_memory; config errors.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use Test::More;
use IO::Socket::INET;
use IO::Uncompress::Gunzip qw(gunzip $GunzipError);
use Compress::Raw::Zlib;

my $t = BouncerTest->new;
my $d = $t->dir;
my ($p, $be) = map { $t->port } 1 .. 2;

# Text that compresses as pages do, the same for the backend and the test.
sub text {
    my ($n, $seed) = @_;
    srand($seed);
    my @w = qw(lorem ipsum dolor sit amet <div class="x"> </div> {"key": consectetur adipiscing
               elit sed do eiusmod tempor);
    my $s = '';
    $s .= $w[rand @w] . ' ' . int(rand(100000)) . ' ' while length $s < $n;
    return substr($s, 0, $n);
}
my $page = text(8000, 1);
my $big = text(5 * 1024 * 1024, 2);
my ($part1, $part2) = (text(3000, 3), text(5000, 4));
my $first = 'first piece ' x 300;
my $rest = text(20000, 5);
my $serial = 0;

sub gz_bytes {
    my ($in) = @_;
    my ($z) = Compress::Raw::Zlib::Deflate->new(-WindowBits => WANT_GZIP, -AppendOutput => 1);
    my $out = '';
    $z->deflate($in, $out);
    $z->flush($out);
    return $out;
}
my $pregz = gz_bytes($page);

$t->backend($be, sub {
    my ($r) = @_;
    my $path = $r->{path};
    my $html = ['Content-Type' => 'text/html; charset=utf-8'];
    my $plain = ['Content-Type' => 'text/plain'];
    $path =~ s{^/(?:gzonly|plain)/}{/};
    return [200, [@$html, 'ETag' => '"t1"'], $page] if $path eq '/text';
    return [200, ['Content-Type' => 'application/json; charset=utf-8'], $page] if $path eq '/json';
    return [200, ['Content-Type' => 'image/svg+xml'], $page] if $path eq '/svg';
    return [200, $plain, 'short ' x 10] if $path eq '/small';
    return [200, ['Content-Type' => 'image/png'], $page] if $path eq '/png';
    return [200, [@$plain, 'Content-Encoding' => 'gzip'], $pregz] if $path eq '/gz';
    return [200, [@$plain, 'Cache-Control' => 'public, no-transform'], $page] if $path eq '/notransform';
    return [200, [@$html, 'Vary' => 'Accept-Language'], $page] if $path eq '/vary';
    return [200, [@$html, 'Vary' => 'accept-encoding, Cookie'], $page] if $path eq '/varyae';
    return [204, $plain, ''] if $path eq '/204';
    if ($path eq '/cond') {
        return [304, ['ETag' => '"c1"']] if ($r->{headers}{'if-none-match'} // '') =~ /c1/;
        return [200, [@$html, 'ETag' => '"c1"'], $page];
    }
    if ($path eq '/range') {
        return [206, [@$plain, 'Content-Range' => 'bytes 0-9/8000'], substr($page, 0, 10)]
            if $r->{headers}{range};
        return [200, [@$plain, 'Accept-Ranges' => 'bytes'], $page];
    }
    return { chunks => [[0, $part1], [0, $part2]], headers => $plain } if $path eq '/chunked';
    return { chunks => [[0, $first], ["$d/go", $rest]], headers => $plain } if $path eq '/slow';
    return { chunks => [[0, $first], ["$d/go2", $rest]], headers => $plain } if $path eq '/slow2';
    return [200, $plain, $big] if $path eq '/big';
    if ($path =~ m{^/k/}) {
        $serial++;
        return [200, [@$html, 'Cache-Control' => 'max-age=60', 'ETag' => '"k1"',
                      'X-Serial' => "$$-$serial"], $page];
    }
    return [404, $plain, 'no such page'];
});
$t->config(<<C);
limits = { keepalive_requests = 10000; };
cache_zones = ( { name = "main"; path = "$d/cache"; memory = "1m"; } );
upstreams = ( { name = "be"; servers = ( { address = "127.0.0.1:$be"; } ); } );
servers = ( { listen = [ "127.0.0.1:$p" ];
  routes = ( { match = { prefix = "/k/"; }; upstream = "be"; cache = { zone = "main"; }; compress = {}; },
             { match = { prefix = "/gzonly/"; }; upstream = "be";
               compress = { algorithms = [ "gzip" ]; gzip_level = 9; }; },
             { match = { prefix = "/plain/"; }; upstream = "be"; },
             { match = { prefix = "/"; }; upstream = "be"; compress = {}; } ); } );
C
$t->start(ports => [$p]);

sub get {
    my ($path, @h) = @_;
    return http_request($p, 'GET', $path, headers => \@h);
}
sub ungzip {
    my ($in) = @_;
    my $out;
    gunzip(\$in => \$out) or return "gunzip failed: $GunzipError";
    return $out;
}
sub unbrotli {
    my ($in) = @_;
    my $f = $t->write_file('in.br', $in);
    my $out = `brotli -dc $f 2>&1`;
    return $? == 0 ? $out : "brotli -d failed: $out";
}
sub decoded {
    my ($r) = @_;
    my $ce = $r->{headers}{'content-encoding'} // '';
    return $ce eq 'gzip' ? ungzip($r->{body}) : $ce eq 'br' ? unbrotli($r->{body}) : $r->{body};
}
sub ce { $_[0]{headers}{'content-encoding'} // 'identity' }

# --- curl --compressed: it offers deflate, gzip, br (and zstd) alike; the
# route's order puts br first
{
    my $body = `curl -s --compressed -D $d/curl.h http://127.0.0.1:$p/text`;
    my $h = BouncerTest::slurp("$d/curl.h");
    is($body, $page, 'curl --compressed: the page as the backend sent it');
    like($h, qr/^Content-Encoding: br\r$/mi, '... sent as br, first in the route\'s order');
    like($h, qr/^Vary: Accept-Encoding\r$/mi, '... with Vary: Accept-Encoding');
    like($h, qr/^ETag: W\/"t1"\r$/mi, '... and the strong ETag made weak');
    unlike($h, qr/^Content-Length:/mi, '... and no Content-Length');
    like($h, qr/^Transfer-Encoding: chunked\r$/mi, '... chunked');
    $body = `curl -s --compressed -H 'Accept-Encoding: gzip' http://127.0.0.1:$p/json`;
    is($body, $page, 'curl: application/json; charset=utf-8 in gzip');
}

# --- negotiation
my @cases = (
    ['gzip', 'gzip'],
    ['br', 'br'],
    ['gzip, br', 'br', 'equal q: the route\'s order'],
    ['br;q=0.5, gzip;q=0.8', 'gzip', 'the higher q'],
    ['gzip;q=0.5, br;q=0.8', 'br'],
    ['gzip; q=0.999, br;Q=0.998', 'gzip', 'three decimals, any case of q'],
    ['GZIP', 'gzip', 'tokens in any case'],
    ['x-gzip', 'gzip', 'x-gzip is gzip'],
    ['*', 'br', '* accepts any'],
    ['*;q=0', 'identity', '*;q=0 refuses all'],
    ['*, br;q=0', 'gzip', '* with br refused'],
    ['br;q=0, gzip;q=0', 'identity', 'q=0 refuses'],
    ['gzip, gzip;q=0', 'identity', 'listed twice: the refusal holds'],
    ['identity', 'identity', 'identity only'],
    ['gzip;q=0.5, identity', 'identity', 'identity preferred by q'],
    ['deflate, zstd', 'identity', 'only codings bouncer does not make'],
    ['', 'identity', 'empty Accept-Encoding'],
    ['gzip;q=2, br;q=abc', 'identity', 'weights that are not qvalues'],
    ['gzip;level=9, br;q=0.5;x=1', 'identity', 'other parameters'],
    [',,; ;=,gz ip, "br", br/2, ;q=1', 'identity', 'junk'],
    ['junk;;;, gzip ; q = 0.3', 'gzip', 'junk beside a good member'],
);
for my $c (@cases) {
    my ($ae, $want, $what) = @$c;
    my $r = get('/text', 'Accept-Encoding' => $ae);
    is(ce($r), $want, "Accept-Encoding \"$ae\": $want" . ($what ? " ($what)" : ''));
    is(decoded($r), $page, '... and the page decodes') if $want ne 'identity';
}
{
    my $r = get('/gzonly/text', 'Accept-Encoding' => 'br, gzip');
    is(ce($r), 'gzip', 'algorithms = [ "gzip" ]: gzip, though br is offered too');
    is(decoded($r), $page, '... at gzip_level 9');
    $r = get('/gzonly/text', 'Accept-Encoding' => 'br');
    is(ce($r), 'identity', '... and identity to a client that only takes br');
}

# --- identity, and the fields of each case
{
    my $r = get('/text');
    is(ce($r), 'identity', 'no Accept-Encoding: identity');
    is($r->{headers}{'content-length'}, length $page, '... with its Content-Length');
    is($r->{headers}{etag}, '"t1"', '... its strong ETag');
    is($r->{headers}{vary}, 'Accept-Encoding', '... and Vary: Accept-Encoding, as any response of the type');
    is($r->{body}, $page, '... the page');

    $r = get('/small', 'Accept-Encoding' => 'gzip');
    is(ce($r), 'identity', 'a body below min_length: identity');
    is($r->{headers}{vary}, 'Accept-Encoding', '... with Vary');

    $r = get('/png', 'Accept-Encoding' => 'gzip');
    is(ce($r), 'identity', 'image/png: identity');
    ok(!exists $r->{headers}{vary}, '... and no Vary: not a type the route compresses');

    $r = get('/svg', 'Accept-Encoding' => 'gzip');
    is(ce($r), 'gzip', 'image/svg+xml: compressed');

    $r = get('/plain/text', 'Accept-Encoding' => 'gzip');
    is(ce($r), 'identity', 'a route without compress: identity');
    ok(!exists $r->{headers}{vary}, '... and no Vary');

    $r = get('/notransform', 'Accept-Encoding' => 'gzip');
    is(ce($r), 'identity', 'Cache-Control: no-transform: identity');
    is($r->{body}, $page, '... the body untouched');

    $r = get('/gz', 'Accept-Encoding' => 'gzip, br');
    is($r->{headers}{'content-encoding'}, 'gzip', 'the backend\'s gzip: Content-Encoding once');
    is($r->{body}, $pregz, '... its bytes as it sent them (never coded twice)');

    $r = get('/vary', 'Accept-Encoding' => 'gzip');
    is($r->{headers}{vary}, 'Accept-Language, Accept-Encoding', 'Vary merged with the backend\'s');
    $r = get('/varyae', 'Accept-Encoding' => 'gzip');
    is($r->{headers}{vary}, 'accept-encoding, Cookie', 'a Vary that names Accept-Encoding: no second one');
    is(ce($r), 'gzip', '... and the page is coded');

    $r = http_request($p, 'HEAD', '/text', headers => ['Accept-Encoding' => 'gzip']);
    is($r->{status}, 200, 'HEAD: 200');
    is(ce($r), 'identity', '... not coded (no body)');
    is($r->{headers}{'content-length'}, length $page, '... the Content-Length of the representation');
    is($r->{headers}{vary}, 'Accept-Encoding', '... with Vary');

    $r = get('/204', 'Accept-Encoding' => 'gzip');
    is($r->{status}, 204, "a 204 answer");
    is(ce($r), 'identity', '... not coded');

    $r = get('/cond', 'Accept-Encoding' => 'gzip', 'If-None-Match' => 'W/"c1"');
    is($r->{status}, 304, "a 304 answer");
    is(ce($r), 'identity', '... not coded');
    is($r->{headers}{etag}, 'W/"c1"', '... with the ETag of the coded 200 it stands for');
    is($r->{headers}{vary}, 'Accept-Encoding', '... and its Vary');

    $r = get('/range', 'Accept-Encoding' => 'gzip', 'Range' => 'bytes=0-9');
    is($r->{status}, 206, 'a Range request: 206');
    is(ce($r), 'identity', '... of the identity bytes');
    is($r->{body}, substr($page, 0, 10), '... as the backend sent them');
    is($r->{headers}{vary}, 'Accept-Encoding', '... with Vary');
    $r = get('/range', 'Accept-Encoding' => 'gzip');
    is(ce($r), 'gzip', 'the same page without Range: gzip');
    ok(!exists $r->{headers}{'accept-ranges'}, '... without Accept-Ranges (no ranges of the coded bytes)');

    $r = get('/chunked', 'Accept-Encoding' => 'gzip');
    is(ce($r), 'gzip', 'a chunked backend answer (no length): coded');
    is(decoded($r), $part1 . $part2, '... and decodes to its chunks');
}

# --- HTTP/1.0: the coded body ends with the connection
{
    my $out = BouncerTest::raw_request($p, "GET /text HTTP/1.0\r\nAccept-Encoding: gzip\r\n\r\n");
    my $r = parse_response($out);
    is(ce($r), 'gzip', 'HTTP/1.0: coded');
    ok(!exists $r->{headers}{'transfer-encoding'} && !exists $r->{headers}{'content-length'},
       '... neither chunked nor with a length');
    is($r->{headers}{connection}, 'close', '... Connection: close');
    is(ungzip($r->{body}), $page, '... the body, up to the close, decodes');
}

# --- keep-alive: two coded answers on one connection, then one that is not
{
    my $req = "GET /text HTTP/1.1\r\nHost: a\r\nAccept-Encoding: gzip\r\n\r\n"
            . "GET /chunked HTTP/1.1\r\nHost: a\r\nAccept-Encoding: br\r\n\r\n"
            . "GET /text HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
    my $out = BouncerTest::raw_request($p, $req);
    my $a = parse_response($out);
    my $b = $a && parse_response($a->{rest});
    my $c = $b && parse_response($b->{rest});
    ok($a && $b && $c, 'three answers on one connection');
    is(decoded($a), $page, '... the first, gzip, decodes');
    is(decoded($b), $part1 . $part2, '... the second, br, too');
    is($c && $c->{body}, $page, '... and the third is identity');
}

# --- 5 MB, both codings: streamed, and exactly the backend's bytes
for my $enc ('gzip', 'br') {
    my $r = get('/big', 'Accept-Encoding' => $enc);
    is(ce($r), $enc, "5 MB in $enc");
    ok(length($r->{body}) < length($big) / 2, '... much smaller on the wire (' . length($r->{body}) . ' bytes)');
    ok(decoded($r) eq $big, '... and decodes to exactly the backend\'s 5 MB');
}
{
    # The access log counts the bytes sent: the coded ones.
    my $proto = BouncerTest::h2_mode() ? 'HTTP/2.0' : 'HTTP/1.1';
    wait_until(sub { scalar(() = $t->access_log =~ m{"GET /big \Q$proto\E" 200 }g) >= 2 });
    my @sizes = $t->access_log =~ m{"GET /big \Q$proto\E" 200 (\d+)}g;
    ok(@sizes == 2 && $sizes[0] < length($big) / 2, "the access log has the coded size ($sizes[0] bytes)");
}

# --- a slow backend: its first chunk reaches the client before it finishes
{
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $p, Timeout => 5) or die;
    binmode $s;
    syswrite $s, "GET /slow HTTP/1.1\r\nHost: a\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n";
    my ($buf, $plain) = ('', '');
    my ($inf) = Compress::Raw::Zlib::Inflate->new(-WindowBits => WANT_GZIP);
    my $end = time + 10;
    my $head;
    while (time < $end && index($plain, $first) < 0) {
        my $rin = '';
        vec($rin, fileno($s), 1) = 1;
        next unless select($rin, undef, undef, 0.2);
        last unless sysread($s, $buf, 65536, length $buf);
        if (!defined $head && $buf =~ s/^(.*?\r\n\r\n)//s) {
            $head = $1;
        }
        # Whole chunks so far, inflated as they come.
        while (defined $head && $buf =~ /^([0-9a-f]+)\r\n/ && length($buf) >= length($1) + 2 + hex($1) + 2) {
            my $n = hex $1;
            $buf =~ s/^[0-9a-f]+\r\n//;
            my $data = substr($buf, 0, $n, '');
            $buf =~ s/^\r\n//;
            my $o;
            $inf->inflate($data, $o);
            $plain .= $o // '';
        }
    }
    like($head // '', qr/Content-Encoding: gzip/, 'a slow chunked backend: gzip');
    is($plain, $first, '... its first chunk decodes at the client while the backend waits');
    ok(!-e "$d/go", '... before the backend sent the rest');
    $t->write_file('go', '');
    $buf .= BouncerTest::read_to_eof($s);
    close $s;
    my $r = parse_response("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n$buf");
    my $o;
    $inf->inflate($r->{body}, $o);
    is($plain . ($o // ''), $first . $rest, '... then the rest, and the whole decodes');
}

# --- the cache stores identity and codes each hit for its client
{
    my $r = get('/k/page', 'Accept-Encoding' => 'gzip');
    is($r->{headers}{'x-cache-status'}, 'MISS', 'cache: MISS');
    is(ce($r), 'gzip', '... coded on the way out');
    is(decoded($r), $page, '... and decodes');
    my $serial1 = $r->{headers}{'x-serial'};
    $r = get('/k/page');
    is($r->{headers}{'x-cache-status'}, 'HIT', 'no Accept-Encoding: a HIT');
    is(ce($r), 'identity', '... of the same entry, identity');
    is($r->{body}, $page, '... its body');
    is($r->{headers}{'content-length'}, length $page, '... with its length');
    is($r->{headers}{etag}, '"k1"', '... its strong ETag');
    is($r->{headers}{vary}, 'Accept-Encoding', '... and Vary');
    is($r->{headers}{'x-serial'}, $serial1, '... the stored answer');
    for my $enc ('br', 'gzip') {
        $r = get('/k/page', 'Accept-Encoding' => $enc);
        is($r->{headers}{'x-cache-status'}, 'HIT', "Accept-Encoding: $enc: a HIT");
        is(ce($r), $enc, "... coded in $enc");
        is(decoded($r), $page, '... and decodes');
        is($r->{headers}{etag}, 'W/"k1"', '... with the weak ETag');
        is($r->{headers}{vary}, 'Accept-Encoding', '... and Vary');
    }
    $r = get('/k/page', 'Accept-Encoding' => 'gzip', 'If-None-Match' => 'W/"k1"');
    is($r->{status}, 304, 'the weak ETag revalidates at the cache: 304');
    is($r->{headers}{etag}, 'W/"k1"', '... with the weak ETag');
    $r = http_request($p, 'HEAD', '/k/page', headers => ['Accept-Encoding' => 'gzip']);
    is(ce($r), 'identity', 'HEAD from the cache: not coded');
    $r = get('/k/page', 'Accept-Encoding' => 'gzip', 'Range' => 'bytes=10-19');
    is($r->{status}, 206, 'a Range from the cache: 206');
    is($r->{body}, substr($page, 10, 10), '... of the identity bytes');
    is(ce($r), 'identity', '... not coded');
    my $out = BouncerTest::raw_request($p, "GET /k/page HTTP/1.0\r\nHost: localhost\r\nAccept-Encoding: br\r\n\r\n");
    $r = parse_response($out);
    is($r->{headers}{'x-cache-status'}, 'HIT', 'HTTP/1.0: a HIT');
    is(ce($r), 'br', '... in br, ending with the connection');
    ok(!exists $r->{headers}{'transfer-encoding'}, '... not chunked');
    is(decoded($r), $page, '... and decodes');
    is(scalar(grep { $_->{path} eq '/k/page' } $t->backend_requests($be)), 1,
       'the backend saw one request for the cached page');
}

# --- bouncer explain says what the route does and what this request would get
{
    my ($rc, $out) = $t->cmd('explain', '-H', 'Accept-Encoding: gzip;q=0.5, br;q=0.4', 'GET',
                             "http://localhost:$p/text");
    like($out, qr/^compress: br, gzip for text\/\*, application\/json, application\/javascript, image\/svg\+xml, of at least 1024 bytes or of unknown length$/m,
         'explain: the route\'s compress');
    like($out, qr/^compress_request: gzip, if the response/m, '... and the coding this request would get');
    ($rc, $out) = $t->cmd('explain', 'GET', "http://localhost:$p/text");
    like($out, qr/^compress_request: identity: no Accept-Encoding$/m, '... identity without Accept-Encoding');
    ($rc, $out) = $t->cmd('explain', 'GET', "http://localhost:$p/plain/text");
    like($out, qr/^compress: off$/m, '... off on a route without compress');
}

# --- bad input
{
    my $r = get('/text', 'Accept-Encoding' => ('x' x 8000) . ', gzip;q=0.1');
    is(ce($r), 'gzip', 'an 8 KB Accept-Encoding: parsed whole');
    my $out = BouncerTest::raw_request($p, "GET /text HTTP/1.1\r\nHost: a\r\nAccept-Encoding: "
                                           . ('gzip, ' x 4000) . "\r\nConnection: close\r\n\r\n");
    like($out, qr/^HTTP\/1\.1 431 /, 'one over max_header_size: 431');
    $r = get('/text', 'Accept-Encoding' => 'gzip', 'Accept-Encoding' => 'br;q=0');
    is(ce($r), 'gzip', 'two Accept-Encoding lines are one list');
    $r = get('/text', 'Accept-Encoding' => "gzip;q=0.\x7f");
    # A control in a field: 400 in HTTP/1.1; HTTP/2 resets the stream.
    ok(BouncerTest::h2_mode() ? !defined $r : defined $r, 'a weight with a DEL in it: answered');
}

# --- limits.compress_memory: beyond it, responses go out as they are
{
    my $t2 = BouncerTest->new;
    my $p2 = $t2->port;
    $t2->config(<<C);
limits = { compress_memory = "1k"; };
upstreams = ( { name = "be"; servers = ( { address = "127.0.0.1:$be"; } ); } );
servers = ( { listen = [ "127.0.0.1:$p2" ]; routes = ( { match = { prefix = "/"; }; upstream = "be"; compress = {}; } ); } );
C
    $t2->start(ports => [$p2]);
    my $r = http_request($p2, 'GET', '/text', headers => ['Accept-Encoding' => 'gzip, br']);
    is(ce($r), 'identity', 'compress_memory = "1k": identity');
    is($r->{body}, $page, '... the page');
    is($r->{headers}{vary}, 'Accept-Encoding', '... with Vary');
    $t2->done;

    # Room for one gzip stream (278 KiB) and no Brotli one (2.8 MiB at level
    # 4): each stream's state is given back when it ends, however it ends.
    my $t3 = BouncerTest->new;
    my $p3 = $t3->port;
    $t3->config(<<C);
limits = { compress_memory = "300k"; };
upstreams = ( { name = "be"; servers = ( { address = "127.0.0.1:$be"; } ); } );
servers = ( { listen = [ "127.0.0.1:$p3" ]; routes = ( { match = { prefix = "/"; }; upstream = "be"; compress = {}; } ); } );
C
    $t3->start(ports => [$p3]);
    my $get3 = sub { http_request($p3, 'GET', $_[0], headers => ['Accept-Encoding' => $_[1] // 'br, gzip']) };
    $r = $get3->('/text');
    is(ce($r), 'gzip', 'compress_memory = "300k": br does not fit, gzip does');
    is(decoded($r), $page, '... and decodes');
    $r = $get3->('/text');
    is(ce($r), 'gzip', '... and again: the first stream gave its state back');
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $p3, Timeout => 5) or die;
    syswrite $s, "GET /slow2 HTTP/1.1\r\nHost: a\r\nAccept-Encoding: gzip\r\n\r\n";
    my $got = '';
    my $end = time + 10;
    while (time < $end && $got !~ /\r\n\r\n[0-9a-f]+\r\n/) {
        my $rin = '';
        vec($rin, fileno($s), 1) = 1;
        next unless select($rin, undef, undef, 0.2);
        last unless sysread($s, $got, 65536, length $got);
    }
    like($got, qr/Content-Encoding: gzip/, 'a slow stream holds the only gzip state');
    $r = $get3->('/text');
    is(ce($r), 'identity', '... meanwhile another response goes out identity');
    is($r->{body}, $page, '... whole');
    close $s;
    $t3->write_file("$d/go2", '');
    ok(wait_until(sub { ce($get3->('/text', 'gzip')) eq 'gzip' }),
       'the client gone mid-stream: its state was freed, the next response is gzip');
    $t3->done;
}

# --- config errors
{
    my $ok = <<C;
pid_file = "$d/c.pid";
upstreams = ( { name = "app"; servers = ( { address = "127.0.0.1:9"; } ); } );
servers = ( { listen = [ "127.0.0.1:1" ]; routes = ( { match = { prefix = "/"; }; upstream = "app"; COMPRESS } ); } );
C
    my @bad = (
        ['compress = { gzip_level = 10; };', qr/c\.conf:3: servers\[0\]\.routes\[0\]\.compress\.gzip_level: 10 is out of range \(expected 1 to 9\)/, 'gzip_level 10'],
        ['compress = { gzip_level = 0; };', qr/compress\.gzip_level: 0 is out of range \(expected 1 to 9\)/, 'gzip_level 0'],
        ['compress = { brotli_level = 12; };', qr/compress\.brotli_level: 12 is out of range \(expected 0 to 11\)/, 'brotli_level 12'],
        ['compress = { algorithms = [ "zstd" ]; };', qr/compress\.algorithms\[0\]: unknown algorithm "zstd" \(expected any of: br, gzip\)/, 'an unknown algorithm'],
        ['compress = { algorithms = [ "gzip", "gzip" ]; };', qr/compress\.algorithms\[1\]: "gzip" is listed twice/, 'an algorithm twice'],
        ['compress = { algorithms = [ ]; };', qr/compress\.algorithms: expected at least one of: br, gzip/, 'no algorithm'],
        ['compress = { types = [ "text" ]; };', qr/compress\.types\[0\]: "text" is not a media type pattern \(expected "type\/subtype" or "type\/\*"/, 'a type without a subtype'],
        ['compress = { types = [ "*/json" ]; };', qr/compress\.types\[0\]: "\*\/json" is not a media type pattern/, 'a star type'],
        ['compress = { types = [ "text/ html" ]; };', qr/compress\.types\[0\]: "text\/ html" is not a media type pattern/, 'a space in a type'],
        ['compress = { min_length = "big"; };', qr/compress\.min_length: expected a size/, 'min_length not a size'],
        ['compress = { level = 5; };', qr/compress\.level: unknown setting/, 'an unknown setting'],
    );
    for my $c (@bad) {
        my ($set, $re, $what) = @$c;
        my $f = $t->write_file('c.conf', $ok =~ s/COMPRESS/$set/r);
        my ($rc, $out, $err) = $t->cmd('-c', $f, 'check');
        isnt($rc, 0, "check refuses $what");
        like($err, $re, '... saying what was expected') or diag($err);
    }
    my $f = $t->write_file('c.conf', "limits = { compress_memory = \"lots\"; };\n" . ($ok =~ s/COMPRESS//r));
    my ($rc, $out, $err) = $t->cmd('-c', $f, 'check');
    like($err, qr/c\.conf:1: limits\.compress_memory: expected a size/, 'compress_memory not a size');
    $f = $t->write_file('c.conf', "limits = { compress_memory = \"16m\"; };\n"
        . ($ok =~ s/COMPRESS/compress = { types = [ "text\/*", "application\/xml" ]; min_length = "256"; algorithms = [ "gzip", "br" ]; gzip_level = 1; brotli_level = 0; };/r));
    ($rc, $out, $err) = $t->cmd('-c', $f, 'check');
    is($rc, 0, 'a full compress group passes check') or diag($err);
}

$t->done;
done_testing;
