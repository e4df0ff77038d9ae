# Range requests on a caching route (RFC 9110 14, RFC 9111 3.3-3.4): a
# stored 200 answers one byte range with a 206 cut from it (from the
# memory tier, from its file with sendfile, and over TLS with pread), an
# unsatisfiable one with a 416, and anything else (several ranges, bad
# syntax, another unit, an If-Range that does not hold, HEAD) with the
# whole 200; a 304 comes before the range; the fill asks the upstream for
# the whole, never a part; a 206 from the upstream is passed on and never
# stored, nor does it displace a stored entry.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use TestCerts qw(new_ca new_cert);
use POSIX qw(strftime);
use Test::More;
use Time::HiRes qw(sleep time);

my $t = BouncerTest->new;
my $d = $t->dir;
my ($p, $tp, $be) = map { $t->port } 1 .. 3;

# Bodies whose every slice is unique: numbered lines.
my $small = join '', map { sprintf "%03d\n", $_ } 0 .. 249;    # 1000 bytes, memory tier
my $big = join '', map { sprintf "%07d\n", $_ } 0 .. 4999;     # 40000 bytes, over hot_max_object
my $lm = 'Mon, 01 Jan 2024 00:00:00 GMT';

$t->backend($be, sub {
    my ($r) = @_;
    my $path = $r->{path};
    my $now = strftime('%a, %d %b %Y %H:%M:%S GMT', gmtime);
    my @v = ('Date' => $now, 'Last-Modified' => $lm, 'X-Stored' => 'yes');
    return [200, ['Cache-Control' => 'max-age=3600', 'ETag' => '"v1"', @v], $small]
        if $path eq '/c/small';
    return [200, ['Cache-Control' => 'max-age=3600', 'ETag' => '"v1"', 'Accept-Ranges' => 'none', @v], $big]
        if $path eq '/c/big';
    return [200, ['Cache-Control' => 'max-age=3600', 'ETag' => 'W/"w1"', 'Date' => $now, 'Last-Modified' => $now],
            $small] if $path eq '/c/weak';
    if ($path eq '/c/reval') {
        # Stored, and validated before each use (RFC 9111 5.2.2.4).
        return [304, ['ETag' => '"r1"']] if ($r->{headers}{'if-none-match'} // '') eq '"r1"';
        return [200, ['Cache-Control' => 'no-cache', 'ETag' => '"r1"', @v], $small];
    }
    return [200, ['Cache-Control' => 'max-age=1', @v], $small] if $path eq '/c/short';
    if ($path eq '/c/swr') {
        # First the whole, then (to the background refresh, which asks for
        # the whole) a part only.
        my $again = -e "$d/swr-seen";
        open my $f, '>', "$d/swr-seen" or die;
        close $f;
        return [206, ['Cache-Control' => 'max-age=3600', 'Content-Range' => 'bytes 0-1/1000'], '00'] if $again;
        return [200, ['Cache-Control' => 'max-age=1, stale-while-revalidate=600', @v], $small];
    }
    if ($path eq '/c/part' || $path eq '/n/part' || $path eq '/c/authpart') {
        # An origin that honours Range itself.
        return [206, ['Cache-Control' => 'max-age=3600', 'Content-Range' => 'bytes 0-1/1000'], '00']
            if defined $r->{headers}{range};
        return [200, ['Cache-Control' => 'max-age=3600', @v], $small];
    }
    return [404, [], 'none'];
});

my $root = new_ca($d, 'root');
my $cert = new_cert($root, 'leaf', names => ['localhost']);
$t->config(<<C);
cache_zones = ( { name = "main"; path = "$d/cache"; memory = "1m"; hot_max_object = "16k"; } );
upstreams = ( { name = "be"; servers = ( { address = "127.0.0.1:$be"; } ); } );
servers = ( { listen = [ "127.0.0.1:$p" ]; tls_listen = [ "127.0.0.1:$tp" ];
  tls = { certificates = ( { cert = "$cert->{cert}"; key = "$cert->{key}"; } ); };
  routes = ( { match = { prefix = "/c/"; }; upstream = "be"; cache = { zone = "main"; }; },
             { match = { prefix = "/n/"; }; upstream = "be"; } ); } );
C
$t->start(ports => [$p, $tp]);

sub request_bytes {
    my ($method, $path, @h) = @_;
    my $raw = "$method $path HTTP/1.1\r\nHost: localhost\r\n";
    while (@h) {
        my ($n, $v) = splice(@h, 0, 2);
        $raw .= "$n: $v\r\n";
    }
    return $raw;
}

# Every response read here is checked for its framing: Content-Length is
# the length of the body that came (nothing is left over on a closed
# connection either).
sub framed {
    my ($r, $what) = @_;
    return $r if !$r || $r->{status} == 304;
    is($r->{headers}{'content-length'}, length $r->{body}, "$what: Content-Length is the body's length")
        unless $r->{head};
    return $r;
}

sub req {
    my ($method, $path, @h) = @_;
    my $raw = request_bytes($method, $path, @h) . "Connection: close\r\n\r\n";
    my $r = parse_response(raw_request($p, $raw), head => $method eq 'HEAD');
    $r->{head} = 1 if $r && $method eq 'HEAD';
    is($r && $r->{rest}, '', "$method $path @h: nothing after the response") if $r && $method ne 'HEAD';
    return framed($r, "$method $path @h");
}
sub status { $_[0] ? $_[0]{headers}{'x-cache-status'} // '' : '' }
sub range_seen {
    my ($path) = @_;
    return grep { $_->{path} eq $path && (defined $_->{headers}{range} || defined $_->{headers}{'if-range'}) }
        $t->backend_requests($be);
}
sub fills { scalar grep { $_->{path} eq $_[0] } $t->backend_requests($be) }

# --- The fill: RFC 9111 3.4 lets a cache combine parts, bouncer keeps only
# complete responses, so the upstream is asked for the whole (no Range, no
# If-Range) and the filling client gets the whole 200 (RFC 9110 14.2: "A
# server MAY ignore the Range header field").
for my $c (['/c/small', $small], ['/c/big', $big]) {
    my ($path, $body) = @$c;
    my $r = req('GET', $path, 'Range' => 'bytes=0-9', 'If-Range' => '"v1"');
    is($r && $r->{status}, 200, "$path: the fill answers the whole 200");
    is(status($r), 'MISS', "$path: MISS");
    ok($r && $r->{body} eq $body, "$path: the whole body");
    is(scalar range_seen($path), 0, "$path: the backend saw neither Range nor If-Range");
}

# --- RFC 9110 14.2, 15.3.7: one range of a stored 200 is a 206 with that
# slice and Content-Range "bytes first-last/complete-length"; 14.1.2: a
# last-pos past the end is clamped, a suffix-range counts from the end;
# 15.5.17: none satisfiable is a 416 with Content-Range "bytes */length".
# The stored fields go with the 206 (RFC 9111 3.4: a 206 cut from a
# stored 200 carries its fields; cache-tests partial-use-stored-headers).
for my $c (['/c/small', $small], ['/c/big', $big]) {
    my ($path, $body) = @$c;
    my $size = length $body;
    for my $case (['bytes=0-0', 0, 0], ['bytes=0-99', 0, 99], ['bytes=100-', 100, $size - 1],
                  ['bytes=-10', $size - 10, $size - 1], ["bytes=990-2000", 990, $path eq '/c/small' ? 999 : 2000],
                  ['bytes=39990-99999', 39990, 39999]) {
        my ($range, $first, $last) = @$case;
        next if $first >= $size;
        my $r = req('GET', $path, 'Range' => $range);
        is($r && $r->{status}, 206, "$path $range: 206 Partial Content");
        is(status($r), 'HIT', "$path $range: from the cache");
        is($r && $r->{headers}{'content-range'}, "bytes $first-$last/$size", "$path $range: Content-Range");
        ok($r && $r->{body} eq substr($body, $first, $last - $first + 1), "$path $range: the slice");
        is($r && $r->{headers}{'accept-ranges'}, 'bytes', "$path $range: Accept-Ranges: bytes (one, bouncer's)");
        is($r && $r->{headers}{'x-stored'}, 'yes', "$path $range: the stored fields go with it");
        is($r && $r->{headers}{etag}, '"v1"', "$path $range: its ETag too");
    }
    my $r = req('GET', $path, 'Range' => 'bytes=99999-');
    is($r && $r->{status}, 416, "$path 99999-: 416 Range Not Satisfiable (RFC 9110 15.5.17)");
    is($r && $r->{headers}{'content-range'}, "bytes */$size", "$path: Content-Range: bytes */$size");
    is($r && $r->{body}, '', "$path: no body");
    is(status($r), 'HIT', "$path 416: from the cache");
    ok($r && !defined $r->{headers}{'cache-control'}, "$path 416: not with the 200's Cache-Control");

    # RFC 9110 14.2: a server MAY ignore Range; bouncer does for several
    # ranges (no multipart/byteranges), and MUST for an invalid one or an
    # unknown unit (14.1: "bytes" is the only unit it knows).
    for my $range ('bytes=0-1,5-6', 'bytes=abc', 'bytes=5-2', 'items=0-1', 'bytes 0-1') {
        $r = req('GET', $path, 'Range' => $range);
        is($r && $r->{status}, 200, "$path $range: the whole 200");
        ok($r && $r->{body} eq $body, "$path $range: the whole body");
        ok($r && !defined $r->{headers}{'content-range'}, "$path $range: no Content-Range");
        is($r && $r->{headers}{'accept-ranges'}, 'bytes', "$path $range: Accept-Ranges: bytes");
        is(status($r), 'HIT', "$path $range: HIT");
    }
    $r = req('GET', $path);
    is($r && $r->{headers}{'accept-ranges'}, 'bytes', "$path: a plain HIT says Accept-Ranges: bytes");
}
is(fills('/c/small') + fills('/c/big'), 2, 'every range came from the two stored entries');

# --- Ranges of the file, over keep-alive: each response is framed right
# for the next one (sendfile stops at the slice's end).
{
    my $raw = request_bytes('GET', '/c/big', 'Range' => 'bytes=100-199') . "\r\n"
            . request_bytes('GET', '/c/big', 'Range' => 'bytes=99999-') . "\r\n"
            . request_bytes('GET', '/c/big', 'Range' => 'bytes=-8') . "Connection: close\r\n\r\n";
    my $out = raw_request($p, $raw);
    my $a = framed(parse_response($out), 'keep-alive 1');
    my $b = $a && framed(parse_response($a->{rest}), 'keep-alive 2');
    my $c = $b && framed(parse_response($b->{rest}), 'keep-alive 3');
    is($a && $a->{status}, 206, 'keep-alive: a 206');
    ok($a && $a->{body} eq substr($big, 100, 100), 'keep-alive: its slice');
    is($b && $b->{status}, 416, 'keep-alive: then a 416');
    is($c && $c->{status}, 206, 'keep-alive: then a 206 again');
    is($c && $c->{body}, "0004999\n", 'keep-alive: the last 8 bytes');
    is($c && $c->{rest}, '', 'keep-alive: nothing more');
}

# --- Over TLS the file is read with pread into the buffer to encrypt, and
# so it is for an HTTP/2 stream, which frames it.  The key has the scheme
# ($scheme$host$request_uri): https fills its own, once for both.
for my $proto (['--http1.1', 'HTTP/1\.1', 'MISS', 200], ['--http2', 'HTTP/2', 'HIT', 206]) {
    my ($opt, $status_re, $fill, $first_status) = @$proto;
    my @curl = ('curl', '-sS', '--max-time', '10', '--cacert', $root->{cert}, '-o', "$d/tls-body",
                '-D', "$d/tls-head", $opt);
    system(@curl, '-r', '0-9', "https://localhost:$tp/c/big") == 0 or diag("curl: $?");
    like(BouncerTest::slurp("$d/tls-head"), qr{^$status_re $first_status .*^X-Cache-Status: $fill\r$}msi,
         "TLS $opt: the first Range: $first_status ($fill; a miss fills with the whole 200)");
    for my $case (['39000-39999', 39000, 1000], ['12345-20000', 12345, 7656]) {
        my ($range, $first, $len) = @$case;
        system(@curl, '-r', $range, "https://localhost:$tp/c/big") == 0 or diag("curl: $?");
        my $head = BouncerTest::slurp("$d/tls-head");
        like($head, qr{^$status_re 206 }, "TLS $opt $range: 206");
        like($head, qr{^Content-Range: bytes $first-\d+/40000\r$}mi, "TLS $opt $range: Content-Range");
        ok(BouncerTest::slurp("$d/tls-body") eq substr($big, $first, $len), "TLS $opt $range: the slice");
    }
}

# --- RFC 9110 13.1.5 If-Range: the Range applies only when the validator
# matches; otherwise the whole 200.  An entity-tag matches by strong
# comparison (8.8.3.2: a weak tag never matches); a date only when it is
# the stored Last-Modified exactly and that is strong (8.8.2.2: the
# stored Date at least a second later).
my @ir = (['"v1"', 206, 'the strong ETag'], ['W/"v1"', 200, 'the same tag, weak'],
          ['"v2"', 200, 'another ETag'], [$lm, 206, 'the Last-Modified date'],
          ['Monday, 01-Jan-24 00:00:00 GMT', 206, 'the Last-Modified date in RFC 850 form'],
          ['Mon, 01 Jan 2024 00:00:01 GMT', 200, 'a second later'],
          ['Sun, 31 Dec 2023 23:59:59 GMT', 200, 'a second earlier'], ['garbage', 200, 'no date']);
for my $c (@ir) {
    my ($v, $want, $what) = @$c;
    my $r = req('GET', '/c/small', 'Range' => 'bytes=0-3', 'If-Range' => $v);
    is($r && $r->{status}, $want, "If-Range $what: $want");
    is($r && $r->{body}, $want == 206 ? "000\n" : $small, "If-Range $what: the body") if $r;
}
my $weak_lm = req('GET', '/c/weak')->{headers}{'last-modified'};
my $r = req('GET', '/c/weak', 'Range' => 'bytes=0-3', 'If-Range' => 'W/"w1"');
is($r && $r->{status}, 200, 'If-Range: a stored weak ETag never matches (8.8.3.2)');
$r = req('GET', '/c/weak', 'Range' => 'bytes=0-3', 'If-Range' => $weak_lm);
is($r && $r->{status}, 200, 'If-Range: a Last-Modified equal to Date is weak (8.8.2.2)');
$r = req('GET', '/c/weak', 'Range' => 'bytes=0-3');
is($r && $r->{status}, 206, 'the same entry without If-Range: 206');

# --- RFC 9110 14.2: Range is evaluated after the preconditions: a
# matching If-None-Match or If-Modified-Since is a 304 (13.2.2).
$r = req('GET', '/c/small', 'Range' => 'bytes=0-3', 'If-None-Match' => '"v1"');
is($r && $r->{status}, 304, 'If-None-Match and Range: 304');
$r = req('GET', '/c/small', 'Range' => 'bytes=0-3', 'If-Modified-Since' => $lm);
is($r && $r->{status}, 304, 'If-Modified-Since and Range: 304');
$r = req('GET', '/c/small', 'Range' => 'bytes=0-3', 'If-None-Match' => '"v0"');
is($r && $r->{status}, 206, 'a failed If-None-Match leaves the Range: 206');

# --- RFC 9110 14.2: "A server MUST ignore a Range header field received
# with a request method that is unrecognized or for which range handling
# is not defined" (GET only): HEAD gets the 200's head.
$r = req('HEAD', '/c/small', 'Range' => 'bytes=0-3');
is($r && $r->{status}, 200, 'HEAD with Range: 200');
is($r && $r->{headers}{'content-length'}, 1000, "HEAD with Range: the whole's Content-Length");
ok($r && !defined $r->{headers}{'content-range'}, 'HEAD with Range: no Content-Range');
is($r && $r->{headers}{'accept-ranges'}, 'bytes', 'HEAD: Accept-Ranges: bytes');
is(status($r), 'HIT', 'HEAD: HIT');

# --- A REVALIDATED serve (RFC 9111 4.3.4: the stored response, updated by
# the 304, is what is used): the range is cut from it; the revalidation
# itself carries the validators, not the Range.
req('GET', '/c/reval');
$r = req('GET', '/c/reval', 'Range' => 'bytes=10-19');
is(status($r), 'REVALIDATED', 'no-cache entry: REVALIDATED');
is($r && $r->{status}, 206, 'REVALIDATED: 206');
is($r && $r->{body}, substr($small, 10, 10), 'REVALIDATED: the slice');
my @reval = grep { $_->{path} eq '/c/reval' } $t->backend_requests($be);
is($reval[-1]{headers}{'if-none-match'}, '"r1"', 'the revalidation sent the ETag');
is(scalar range_seen('/c/reval'), 0, 'and no Range');

# --- A STALE serve (RFC 9111 4.2.4 with the request's max-stale), and a
# background refresh answered with a 206 (RFC 9111 3.4: a part does not
# replace the whole): the stale entry stays.
req('GET', '/c/short');
req('GET', '/c/swr');
sleep 2.1; # max-age=1: both stale now
$r = req('GET', '/c/short', 'Range' => 'bytes=-4', 'Cache-Control' => 'max-stale=600');
is(status($r), 'STALE', 'max-stale: STALE');
is($r && $r->{status}, 206, 'STALE: 206');
is($r && $r->{body}, "249\n", 'STALE: the slice');
$r = req('GET', '/c/swr', 'Range' => 'bytes=4-7');
is(status($r), 'STALE', 'stale-while-revalidate: STALE');
is($r && $r->{body}, "001\n", 'stale-while-revalidate: the slice');
ok(wait_until(sub { fills('/c/swr') >= 2 }, 10), 'the background refresh reached the backend');
is(scalar range_seen('/c/swr'), 0, 'the refresh asked for the whole');
ok($t->wait_log(qr/upstream answered 206/, 10), 'the 206 it got is a failed refresh');
$r = req('GET', '/c/swr');
like(status($r), qr/^(STALE|UPDATING)$/, 'the stale entry is still there after the 206');
ok($r && $r->{body} eq $small, 'whole');

# --- RFC 9111 3.4: a 206 from the upstream is passed on and never stored.
# A request that bypasses the cache (no-store) takes its Range upstream.
$r = req('GET', '/n/part', 'Range' => 'bytes=0-1');
is($r && $r->{status}, 206, 'a route without cache: the backend saw Range and its 206 passes');
is($r && $r->{body}, '00', 'with its body');
is($r && $r->{headers}{'content-range'}, 'bytes 0-1/1000', 'and its Content-Range');
$r = req('GET', '/c/part', 'Range' => 'bytes=0-1', 'Cache-Control' => 'no-store');
is($r && $r->{status}, 206, 'a bypassing request on a caching route: the 206 passes');
is(status($r), 'BYPASS', 'BYPASS');
is(scalar range_seen('/c/part'), 1, 'its Range went upstream');
$r = req('GET', '/c/part', 'Range' => 'bytes=0-1');
is(status($r), 'MISS', 'the 206 was not stored: the next is a MISS');
is($r && $r->{status}, 200, 'which fills with the whole');
is(scalar range_seen('/c/part'), 1, 'asking without Range');
req('GET', '/c/part', 'Range' => 'bytes=0-1', 'Cache-Control' => 'no-store');
$r = req('GET', '/c/part', 'Range' => 'bytes=4-7');
is(status($r), 'HIT', "another bypassing 206 left the entry alone: HIT");
is($r && $r->{body}, "001\n", 'its slice');

# A request with credentials keeps its Range: its answer is rarely one the
# cache may store (RFC 9111 3.5), so the whole would be fetched for nobody.
$r = req('GET', '/c/authpart', 'Range' => 'bytes=0-1', 'Authorization' => 'Bearer x');
is($r && $r->{status}, 206, 'a request with Authorization on a miss: the origin saw its Range');
is($r && $r->{body}, '00', 'and its 206 passes');
is(scalar range_seen('/c/authpart'), 1, 'the Range went upstream');
$r = req('GET', '/c/authpart', 'Range' => 'bytes=0-1');
is($r && $r->{status}, 200, 'without credentials the miss fills with the whole');
is(scalar range_seen('/c/authpart'), 1, 'asking without Range');

$t->done;
done_testing;
