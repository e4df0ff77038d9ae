# HTTP/2 to clients: ALPN h2 on TLS, h2c with prior knowledge, streams
# proxied as HTTP/1.1 from validated fields only, bodies both ways under
# flow control, the limits (streams, header list, idle, resets) and the
# known attacks (rapid reset, CONTINUATION, PING and empty-DATA floods,
# HPACK bombs, zero windows), 421 for coalesced requests, GOAWAY on reload.
# Clients: curl, nghttp, h2load, and python3-h2 frame by frame
# (t/tools/h2client.py).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use TestCerts qw(new_ca new_cert);
use Test::More;
use JSON::PP;
use Digest::SHA qw(sha256_hex);
use Time::HiRes qw(time sleep);

my $t = BouncerTest->new;
my $d = $t->dir;
my ($p, $tp, $plain, $be, $big, $slow, $sp) = map { $t->port } 1 .. 7;
my $root = new_ca($d, 'root');
my $a_cert = new_cert($root, 'a', names => ['a.test']);
my $b_cert = new_cert($root, 'b', names => ['b.test']);
my $c_cert = new_cert($root, 'c', names => ['c.test']);
my $client = "$FindBin::Bin/tools/h2client.py";

# 5 MB of a pattern that is not all one byte; and a body of no length.
my $five = join '', map { sprintf "%07d\n", $_ } 0 .. 5 * 1024 * 1024 / 8 - 1;
$t->backend($be);
$t->backend($big, sub {
    my $r = shift;
    return [204, [], ''] if $r->{path} =~ m{^/big/204};
    return { raw => "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n" }
        if $r->{path} =~ m{^/big/chunked};
    return { raw => "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly part", then_close => 1 }
        if $r->{path} =~ m{^/big/cut};
    return { raw => "HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n"
                    . "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nhints\n" }
        if $r->{path} =~ m{^/big/hints};
    return [200, ['Content-Type' => 'application/octet-stream'], $five];
});
$t->backend($slow, sub { return { sleep => 1, response => [200, [], "slow\n"] } });

$t->config(<<C);
limits = { send_timeout = "2s"; };
status = { listen = [ "127.0.0.1:$sp" ]; };
upstreams = (
  { name = "be"; servers = ( { address = "127.0.0.1:$be"; } ); },
  { name = "big"; servers = ( { address = "127.0.0.1:$big"; } ); },
  { name = "slow"; servers = ( { address = "127.0.0.1:$slow"; } ); keepalive = 256; }
);
servers = (
  { listen = [ "127.0.0.1:$p" ]; http2_cleartext = true; tls_listen = [ "127.0.0.1:$tp" ];
    names = [ "a.test", "localhost" ];
    tls = { certificates = ( { cert = "$a_cert->{cert}"; key = "$a_cert->{key}"; } ); };
    routes = ( { match = { prefix = "/big"; }; upstream = "big"; },
               { match = { prefix = "/slow"; }; upstream = "slow"; },
               { match = { prefix = "/own"; }; respond = { status = 200; body = "own\\n"; }; },
               { match = { prefix = "/"; }; upstream = "be"; } ); },
  { tls_listen = [ "127.0.0.1:$tp" ]; names = [ "b.test" ]; http2 = false;
    tls = { certificates = ( { cert = "$b_cert->{cert}"; key = "$b_cert->{key}"; } ); };
    routes = ( { match = { prefix = "/"; }; respond = { status = 200; body = "b\\n"; }; } ); },
  { tls_listen = [ "127.0.0.1:$tp" ]; names = [ "c.test" ];
    tls = { certificates = ( { cert = "$c_cert->{cert}"; key = "$c_cert->{key}"; } ); };
    routes = ( { match = { prefix = "/"; }; respond = { status = 200; body = "c\\n"; }; } ); },
  { listen = [ "127.0.0.1:$plain" ];
    routes = ( { match = { prefix = "/"; }; upstream = "be"; } ); }
);
C
$t->start(ports => [$p, $tp, $plain, $sp]);

sub h2 {
    my ($port, @args) = @_;
    my @cmd = ('/usr/bin/python3', $client, $port, @args);
    open(my $fh, '-|', @cmd) or die "h2client: $!";
    local $/;
    my $out = <$fh>;
    close $fh;
    my $j = eval { decode_json($out) };
    diag("h2client @args: $out") unless $j;
    return $j // {};
}

my $nreq = 0;
sub h2req {
    my ($port, $reqs, @o) = @_;
    my $f = $t->write_file('h2req-' . $nreq++ . '.json', encode_json($reqs));
    return h2($port, @o, 'requests', "\@$f");
}

sub status_of { my $s = shift; return undef unless $s && $s->{headers}; my ($st) = grep { $_->[0] eq ':status' } @{ $s->{headers} }; return $st ? $st->[1] : undef }

sub field_of { my ($s, $n) = @_; my @v = map { $_->[1] } grep { $_->[0] eq $n } @{ $s->{headers} || [] }; return @v ? join(', ', @v) : undef }

sub curl { my @a = @_; my $out = `curl -sS --max-time 20 @a 2>&1`; return $out }

my @resolve = map { "--resolve $_.test:$tp:127.0.0.1" } qw(a b c);

# --- ALPN and h2c
is(curl('-k', @resolve, '--http2', '-o /dev/null', '-w "%{http_version} %{http_code}"', "https://a.test:$tp/x"),
   '2 200', 'curl --http2 over TLS: ALPN h2, 200');
is(curl('-k', @resolve, '--http2', '-o /dev/null', '-w "%{http_version}"', "https://b.test:$tp/x"),
   '1.1', 'a block with http2 = false: ALPN gives http/1.1');
is(curl('--http2-prior-knowledge', '-o /dev/null', '-w "%{http_version} %{http_code}"', "http://127.0.0.1:$p/x"),
   '2 200', 'h2c with prior knowledge on a listener with http2_cleartext');
is(curl('--http2', '-o /dev/null', '-w "%{http_version} %{http_code}"', "http://127.0.0.1:$p/x"),
   '1.1 200', 'no h2c Upgrade: an Upgrade: h2c request is answered in HTTP/1.1');
is(curl('-o /dev/null', '-w "%{http_version} %{http_code}"', "http://127.0.0.1:$p/x"),
   '1.1 200', 'HTTP/1.1 on the h2c listener as before');
my $r = raw_request($plain, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", timeout => 3);
like($r, qr/^HTTP\/1\.1 505/, 'the preface on a listener without http2_cleartext: 505');
ok($t->wait_log(qr/an HTTP\/2 connection preface \(HTTP\/2 is not supported on this listener\)/),
   'and the error log says what the client tried') or diag($t->error_log);

# --- what the backend gets
my $j = h2req($p, [ { path => '/echo?q=1', headers => [ [ 'cookie', 'a=1' ], [ 'cookie', 'b=2' ],
                                                       [ 'x-custom', 'v' ], [ 'te', 'trailers' ] ] } ]);
my $s = $j->{streams}{1};
is(status_of($s), 200, 'a GET over h2c is proxied');
my $echo = eval { decode_json($s->{body}) } // {};
is($echo->{path}, '/echo?q=1', 'the path and query reach the backend');
is($echo->{headers}{cookie}, 'a=1; b=2', 'cookie pieces are joined with "; " (RFC 9113 8.2.3)');
is($echo->{headers}{host}, 'localhost', 'Host comes from :authority');
is($echo->{headers}{'x-custom'}, 'v', 'fields pass');
ok(!exists $echo->{headers}{te}, 'TE: trailers goes no further');
is($echo->{headers}{'x-forwarded-for'}, '127.0.0.1', 'X-Forwarded-For as for HTTP/1.1');
is($echo->{headers}{'x-forwarded-proto'}, 'http', 'X-Forwarded-Proto http on h2c');
is(field_of($s, 'server'), 'bouncer', 'the response fields come back in lower case');
ok(!defined field_of($s, 'connection') && !defined field_of($s, 'transfer-encoding'),
   'no connection-specific field in the response');

$j = h2req($tp, [ { path => '/tls' } ], '--tls', '--sni', 'a.test', '--authority', 'a.test');
$echo = eval { decode_json($j->{streams}{1}{body}) } // {};
is($echo->{headers}{'x-forwarded-proto'}, 'https', 'X-Forwarded-Proto https over TLS');
is($echo->{headers}{host}, 'a.test', 'and Host from :authority');

# --- request bodies
my $body = join '', map { chr(32 + $_ % 90) } 1 .. 300_000;
$j = h2req($p, [ { method => 'POST', path => '/post', headers => [ [ 'content-length', length $body ] ], body => $body },
                 { method => 'POST', path => '/post2', body => $body, chunks => [ 1000, 65000, 100000, 134000 ] } ]);
$echo = eval { decode_json($j->{streams}{1}{body}) } // {};
ok(($echo->{body} // '') eq $body, 'a body with content-length, larger than the window, arrives whole');
is($echo->{headers}{'content-length'}, length $body, 'with its content-length');
$echo = eval { decode_json($j->{streams}{3}{body}) } // {};
ok(($echo->{body} // '') eq $body, 'a body without content-length arrives whole');
is($echo->{headers}{'transfer-encoding'}, 'chunked', 'framed chunked for the backend');
$t->write_file('up.bin', $body);
my $out = curl('--http2-prior-knowledge', "--data-binary \@$d/up.bin", "http://127.0.0.1:$p/curlpost");
$echo = eval { decode_json($out) } // {};
is(length($echo->{body} // ''), length $body, 'curl --http2-prior-knowledge POST: the body arrives whole');

# --- responses
$out = curl('-k', @resolve, '--http2', "-o $d/five.out", '-w "%{http_code} %{size_download}"', "https://a.test:$tp/big/x");
is($out, '200 ' . length($five), 'a 5 MB response over TLS h2');
is(sha256_hex(BouncerTest::slurp("$d/five.out")), sha256_hex($five), 'its bytes are the backend\'s');
$j = h2req($p, [ { method => 'HEAD', path => '/big/head' }, { path => '/big/204' }, { path => '/big/chunked' } ]);
is(status_of($j->{streams}{1}), 200, 'HEAD: 200');
is($j->{streams}{1}{body_len}, 0, 'HEAD: no body');
is(field_of($j->{streams}{1}, 'content-length'), length($five), 'HEAD: the length of the representation');
is(status_of($j->{streams}{3}), 204, 'a 204 answer');
is($j->{streams}{3}{body_len}, 0, '204: no body');
is($j->{streams}{5}{body}, 'hello world', 'a chunked response: its body, unframed');
ok($j->{streams}{5}{ended}, 'and the stream ends');
$j = h2req($p, [ map { { path => "/many/$_" } } 1 .. 50 ]);
is(scalar(grep { status_of($_) && status_of($_) == 200 } values %{ $j->{streams} }), 50,
   '50 streams at once on one connection: all answered');
is(scalar(grep { my $e = eval { decode_json($j->{streams}{$_}{body}) }; $e && $e->{path} eq '/many/' . (($_ + 1) / 2) } keys %{ $j->{streams} }), 50,
   'each with its own answer');

$out = `nghttp -nv http://127.0.0.1:$p/nghttp 2>&1`;
like($out, qr/recv \(stream_id=13\) :status: 200/, 'nghttp: 200');
for my $u ("https://127.0.0.1:$tp/h2load", "http://127.0.0.1:$p/h2load") {
    $out = `h2load -n 1000 -c 4 -m 10 $u 2>&1`;
    like($out, qr/requests: 1000 total, 1000 started, 1000 done, 1000 succeeded, 0 failed/, "h2load 1000 requests, 4 x 10 streams: $u");
}

is_deeply(h2req($p, [ { path => '/own' } ])->{settings}, { 3 => 128, 6 => 16384, 2 => 0 },
          'SETTINGS: 128 streams, a 16k header list (max_header_size), no push');

# --- malformed requests: reset, and nothing reaches the backend
my $before = scalar $t->backend_requests($be);
my @bad = (
    [ 'an upper-case field name', [ [ 'X-Upper', 'v' ] ] ],
    [ 'CR LF in a value', [ [ 'x-a', "v\r\nx-injected: 1" ] ] ],
    [ 'a NUL in a value', [ [ 'x-a', "v\0w" ] ] ],
    [ 'a leading space in a value', [ [ 'x-a', ' v' ] ] ],
    [ 'a trailing tab in a value', [ [ 'x-a', "v\t" ] ] ],
    [ 'connection: close', [ [ 'connection', 'close' ] ] ],
    [ 'transfer-encoding: chunked', [ [ 'transfer-encoding', 'chunked' ] ] ],
    [ 'te: gzip', [ [ 'te', 'gzip' ] ] ],
    [ 'upgrade: websocket', [ [ 'upgrade', 'websocket' ] ] ],
    [ 'a host other than :authority', [ [ 'host', 'evil.test' ] ] ],
);
for my $b (@bad) {
    $j = h2req($p, [ { path => '/bad', headers => $b->[1] } ]);
    is($j->{streams}{1}{reset}, 1, "$b->[0]: the stream is reset with PROTOCOL_ERROR");
}
my @rawbad = (
    [ 'no :path', [ [ ':method', 'GET' ], [ ':scheme', 'http' ], [ ':authority', 'localhost' ] ] ],
    [ 'an unknown pseudo-header', [ [ ':method', 'GET' ], [ ':scheme', 'http' ], [ ':path', '/bad' ], [ ':authority', 'localhost' ], [ ':evil', 'x' ] ] ],
    [ 'a pseudo-header after a field', [ [ ':method', 'GET' ], [ ':scheme', 'http' ], [ 'x-a', 'b' ], [ ':path', '/bad' ] ] ],
    [ 'a :path with a space', [ [ ':method', 'GET' ], [ ':scheme', 'http' ], [ ':path', '/bad x HTTP/1.1' ], [ ':authority', 'localhost' ] ] ],
    [ 'a :method with a space', [ [ ':method', 'GET /x' ], [ ':scheme', 'http' ], [ ':path', '/bad' ], [ ':authority', 'localhost' ] ] ],
    [ 'an :authority with userinfo', [ [ ':method', 'GET' ], [ ':scheme', 'http' ], [ ':path', '/bad' ], [ ':authority', 'u@localhost' ] ] ],
);
for my $b (@rawbad) {
    $j = h2req($p, [ { raw_headers => $b->[1] } ]);
    is($j->{streams}{1}{reset}, 1, "$b->[0]: reset with PROTOCOL_ERROR");
}
$j = h2req($p, [ { method => 'POST', path => '/bad', headers => [ [ 'content-length', '10' ] ], body => '12345' },
                 { method => 'POST', path => '/bad', headers => [ [ 'content-length', '3' ] ], body => '12345' } ]);
is($j->{streams}{1}{reset}, 1, 'DATA shorter than content-length: reset');
is($j->{streams}{3}{reset}, 1, 'DATA longer than content-length: reset');
sleep 0.5;
is(scalar(grep { $_->{path} eq '/bad' && length($_->{body} // '') > 0 } $t->backend_requests($be)), 0,
   'no refused request reached the backend with a body');
is(scalar(grep { $_->{path} eq '/bad' } $t->backend_requests($be)), 0,
   'none of the malformed requests reached the backend');
ok($t->wait_log(qr/client sent a malformed HTTP\/2 request on stream 1: a field value with a control or whitespace at an end/),
   'the error log says why') or diag($t->error_log);
is(status_of(h2req($p, [ { path => '/own' } ])->{streams}{1}), 200, 'and bouncer serves on');

# An upstream that closes before its body ended: the client gets the head
# and what came, then the reset (as an HTTP/1.1 client sees the close),
# every time, however the ends of the two arrive.
$j = h2req($p, [ map { { path => "/big/cut/$_" } } 1 .. 120 ]);
my @cut = map { $j->{streams}{ 2 * $_ - 1 } } 1 .. 120;
is(scalar(grep { ($_->{headers} && status_of($_) // 0) == 200 } @cut), 120, 'a response cut short: its HEADERS come, every time');
is(scalar(grep { $_->{body} eq 'only part' } @cut), 120, '... and what came of its body');
is(scalar(grep { ($_->{reset} // -1) == 2 } @cut), 120, '... then RST_STREAM INTERNAL_ERROR');
ok(!$j->{goaway}, "120 streams bouncer reset for the upstream's fault are not the client's: no GOAWAY");

# Expect: 100-continue: the client gets its 100 as HEADERS of its own and
# sends the body at once, not after its own timeout.
$t->write_file('expect.bin', 'e' x 50_000);
like(curl('--http2-prior-knowledge', '-H "Expect: 100-continue"', '--expect100-timeout 8',
          '--data-binary @' . $t->dir . '/expect.bin', '-o /dev/null', '-w "%{http_code} %{time_total}"',
          "http://127.0.0.1:$p/expect"), qr/^200 [0-3]\./,
     'Expect: 100-continue over HTTP/2: 100 comes, the body goes, 200 well before the 8 s timeout');
my ($ex) = grep { $_->{path} eq '/expect' } $t->backend_requests($be);
ok($ex && $ex->{body} eq 'e' x 50_000, '... and the backend has the whole body');

# 103 Early Hints from the backend: HEADERS of their own before the final ones.
my $hints = `nghttp -v http://127.0.0.1:$p/big/hints 2>&1`;
like($hints, qr/:status: 103.*link: <\/s\.css>; rel=preload.*:status: 200/s,
     'a 103 from the backend reaches the client as interim HEADERS, then the 200');

# A body of no length in the read that brought its HEADERS: still a body.
$j = h2($p, 'body_one_write', '/onewrite', 'secret-body');
is(status_of($j->{streams}{1}), 200, 'HEADERS and DATA of no content-length in one write: answered');
my ($one) = grep { $_->{path} eq '/onewrite' } $t->backend_requests($be);
is($one && $one->{body}, 'secret-body', '... and the backend has the body');
like($one ? join("\n", @{ $one->{raw_headers} }) : '', qr/^Transfer-Encoding: chunked$/mi, '... chunked');

# --- attacks
$j = h2($p, 'rapid_reset', 500);
is($j->{goaway}{code}, 11, 'rapid reset: GOAWAY ENHANCE_YOUR_CALM');
sleep 0.5;
my $rapid = grep { $_->{path} =~ m{^/rapid/} } $t->backend_requests($be);
cmp_ok($rapid, '<=', 100, "rapid reset: at most http2_max_resets requests reached the backend ($rapid)");
ok($t->wait_log(qr/client reset more streams than http2_max_resets: the HTTP\/2 connection is closed/),
   'and the log says so');
# MadeYouReset: the client makes bouncer reset its streams (a window
# overflow is a stream error), each after its request went upstream.
$j = h2($p, 'made_reset', '/slow/made', 1000);
is($j->{goaway}{code}, 11, 'streams bouncer resets for the client count too: GOAWAY ENHANCE_YOUR_CALM');
cmp_ok($j->{sent}, '<', 1000, "before the client is done ($j->{sent} streams)");
sleep 1.5;
my $made = grep { $_->{path} =~ m{^/slow/made/} } $t->backend_requests($slow);
cmp_ok($made, '<=', 110, "at most http2_max_resets requests (and one batch) reached the backend ($made)");
ok($t->wait_log(qr/client made bouncer reset more streams than http2_max_resets/), 'and the log says so');
is(h2($p, 'empty_data', 300)->{goaway}{code}, 11, 'empty DATA flood: GOAWAY ENHANCE_YOUR_CALM');
is(h2($p, 'ping_flood', 5000)->{goaway}{code}, 11, 'PING flood: GOAWAY ENHANCE_YOUR_CALM');
$j = h2($p, 'continuation', 100);
ok($j->{goaway} && $j->{goaway}{code} != 0, 'CONTINUATION flood: the connection ends with an error GOAWAY');
$j = h2($p, 'hpack_bomb', 3000);
is(status_of($j->{streams}{1}), 200, 'HPACK: a 4000-byte field is fine');
is(status_of($j->{streams}{3}), 431, "HPACK bomb ($j->{wire} bytes naming it 3000 times): 431");
$j = h2($p, 'over_limit', 140);
my %seen;
$seen{ ($_->{reset} // 'none') . '/' . (status_of($_) // '-') }++ for values %{ $j->{streams} };
is($seen{'none/200'}, 128, 'over the stream limit before SETTINGS are acknowledged: 128 answered');
is($seen{'7/-'}, 12, 'and 12 refused with REFUSED_STREAM');
my $t0 = time;
$j = h2($p, 'zero_window', '/big/zero', 15);
ok(($j->{streams}{1}{reset} // -1) >= 0 || $j->{goaway} || $j->{closed},
   'a client that never opens its window: the stream or connection ends');
cmp_ok($j->{after}, '<', 10, "after send_timeout, not the client's patience ($j->{after}s)");
is(status_of(h2req($p, [ { path => '/own' } ])->{streams}{1}), 200, 'bouncer serves on after the attacks');

# --- coalescing: 421
$j = h2req($tp, [ { path => '/x' } ], '--tls', '--sni', 'a.test', '--authority', 'b.test');
is(status_of($j->{streams}{1}), 421, 'SNI a.test, :authority b.test: 421');
$j = h2req($tp, [ { path => '/x' } ], '--tls', '--sni', '127.0.0.1', '--authority', 'b.test');
is(status_of($j->{streams}{1}), 421, 'no SNI, :authority of a block with http2 = false: 421');
$j = h2req($tp, [ { path => '/x' } ], '--tls', '--sni', '127.0.0.1', '--authority', 'c.test');
is(status_of($j->{streams}{1}), 421, 'no SNI, :authority the certificate does not cover: 421');
$j = h2req($tp, [ { path => '/own' } ], '--tls', '--sni', '127.0.0.1', '--authority', 'a.test');
is(status_of($j->{streams}{1}), 200, 'no SNI, :authority the certificate covers: 200');

# --- metrics: requests by protocol, HTTP/2 connections, floods told to calm
sub metric {
    my ($re) = @_;
    my $r = http_request($sp, 'GET', '/metrics');
    my ($v) = ($r ? $r->{body} : '') =~ /^$re (\d+)$/m;
    return $v;
}
cmp_ok(metric(qr/bouncer_http_requests_by_protocol_total\{protocol="HTTP\/2"\}/) // 0, '>', 100,
       'metrics: requests over HTTP/2 are counted');
cmp_ok(metric(qr/bouncer_http_requests_by_protocol_total\{protocol="HTTP\/1\.1"\}/) // 0, '>', 0,
       '... apart from those over HTTP/1.1');
cmp_ok(metric(qr/bouncer_http2_calm_total/) // 0, '>=', 4,
       'rapid reset and the floods each counted as told ENHANCE_YOUR_CALM');
{
    open(my $h, '-|', '/usr/bin/python3', $client, $p, 'hold', '/slow/metrics', 8) or die;
    is(scalar <$h>, "started\n", 'an HTTP/2 connection is open');
    is(metric(qr/bouncer_client_http2_connections/), 1, 'bouncer_client_http2_connections says 1');
    local $/;
    <$h>;
    close $h;
    ok(wait_until(sub { (metric(qr/bouncer_client_http2_connections/) // -1) == 0 }, 5),
       'and 0 once it closed');
}

# --- logs
like($t->access_log, qr{"GET /echo\?q=1 HTTP/2\.0" 200 }, 'the access log says HTTP/2.0');
like($t->error_log, qr/request: "GET \/x HTTP\/2\.0", stream: 1/, 'the error log names the stream');

# --- GOAWAY on reload: the open stream finishes, no new one is taken
open(my $hold, '-|', '/usr/bin/python3', $client, $p, 'hold', '/slow/hold', 8) or die;
my $line = <$hold>;
is($line, "started\n", 'a stream is open');
sleep 0.3;
$t->cmd('reload');
local $/;
$j = eval { decode_json(<$hold>) } // {};
close $hold;
is(status_of($j->{streams}{1}), 200, 'reload: the open stream gets its answer') or diag(encode_json($j));
is($j->{goaway}{code}, 0, 'and a GOAWAY NO_ERROR');
ok(!$j->{after_goaway} || !$j->{after_goaway}{headers}, 'a stream opened after GOAWAY is not answered');
$t->done;

# --- the limits set
my $t2 = BouncerTest->new;
my $p2 = $t2->port;
my $be2 = $t2->port;
$t2->backend($be2);
$t2->config(<<C);
limits = { http2_max_concurrent_streams = 4; http2_max_header_list_size = "1k"; keepalive_requests = 3;
           http2_idle_timeout = "1s"; http2_max_resets = 5; header_timeout = "1s"; };
upstreams = ( { name = "be"; servers = ( { address = "127.0.0.1:$be2"; } ); } );
servers = ( { listen = [ "127.0.0.1:$p2" ]; http2_cleartext = true;
              routes = ( { match = { prefix = "/"; }; upstream = "be"; } ); } );
C
$t2->start(ports => [$p2]);
$j = h2req($p2, [ { path => '/a' } ]);
is_deeply($j->{settings}, { 3 => 4, 6 => 1024, 2 => 0 }, 'SETTINGS say the limits set');
$j = h2req($p2, [ map { { path => "/k$_" } } 1 .. 3 ]);
is(scalar(grep { status_of($_) } values %{ $j->{streams} }), 3, 'keepalive_requests = 3: three streams answered') or diag(encode_json($j));
is($j->{goaway}{last}, 5, 'then GOAWAY names the third stream the last');
$j = h2req($p2, [ { path => '/big-head', headers => [ [ 'x-long', 'v' x 1500 ] ] } ]);
is(status_of($j->{streams}{1}), 431, 'a header list over http2_max_header_list_size: 431');
is(h2($p2, 'rapid_reset', 20)->{goaway}{code}, 11, 'http2_max_resets = 5: GOAWAY after the sixth reset');
$j = h2($p2, 'head_stall', 6);
ok($j->{closed} || $j->{goaway}, 'a head that never ends (HEADERS, no END_HEADERS): the connection ends');
cmp_ok($j->{after}, '<', 4, "after header_timeout ($j->{after}s)");
ok($t2->wait_log(qr/client timed out sending an HTTP\/2 request head/), 'and the log says so');
$j = h2($p2, 'idle', 5);
is($j->{goaway}{code}, 0, 'an idle connection gets GOAWAY NO_ERROR');
ok($j->{closed}, 'and is closed');
cmp_ok($j->{after}, '<', 4, "after http2_idle_timeout ($j->{after}s)");
$t2->done;

done_testing;
