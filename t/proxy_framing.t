# Framing through bouncer: chunked bodies both ways (bouncer re-frames what
# it forwards), bodies delimited by close, HTTP/1.0 clients, upstream
# keep-alive reuse, unix-socket and IPv6 addresses, the size limits, the
# header timeout and Expect: 100-continue.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use IO::Socket::INET;
use JSON::PP;
use Test::More;
use Time::HiRes qw(time);

my $t = BouncerTest->new;
my $d = $t->dir;
my ($p, $be) = ($t->port, $t->port);
my $sock = "$d/be.sock";
my $handler = sub {
    my $r = shift;
    if ($r->{path} eq '/chunked') {
        return { raw => "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n6\r\n world\r\n0\r\nX-T: 1\r\n\r\n" };
    }
    if ($r->{path} eq '/eof') {
        return { raw => "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end", then_close => 1 };
    }
    if ($r->{path} eq '/bad-chunk') {
        return { raw => "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", then_close => 1 };
    }
    if ($r->{path} eq '/early-hints') {
        return { raw => "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nhint" };
    }
    if ($r->{path} eq '/hop') {
        return { raw => "HTTP/1.1 200 OK\r\nConnection: X-Private, keep-alive\r\nX-Private: secret\r\nKeep-Alive: timeout=5\r\nTrailer: X-T\r\nUpgrade: h2c\r\nProxy-Connection: keep-alive\r\nX-Public: yes\r\nContent-Length: 2\r\n\r\nok" };
    }
    if ($r->{path} eq '/no-body-304') {
        return { raw => "HTTP/1.1 304 Not Modified\r\nContent-Length: 100\r\nETag: \"x\"\r\n\r\n" };
    }
    if ($r->{path} eq '/no-body-204') {
        return { raw => "HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\n\r\n" };
    }
    if ($r->{path} eq '/huge-head') {
        return { raw => "HTTP/1.1 200 OK\r\nX-Big: " . ('h' x 20000) . "\r\nContent-Length: 0\r\n\r\n", then_close => 1 };
    }
    if ($r->{path} eq '/short') {
        return { raw => "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten..", then_close => 1 };
    }
    if ($r->{path} eq '/garbage') {
        return { raw => "NOT HTTP\r\n\r\n", then_close => 1 };
    }
    return [200, [], encode_json({ path => $r->{path}, body => $r->{body}, conn => $r->{conn},
                                   te => $r->{headers}{'transfer-encoding'},
                                   cl => $r->{headers}{'content-length'},
                                   expect => $r->{headers}{expect},
                                   h => $r->{headers} })];
};
$t->backend($be, $handler);
$t->backend($sock, sub { [200, [], "over unix\n"] });
# The IPv6 listener only where the machine has an IPv6 loopback.
require IO::Socket::IP;
my $have_v6 = IO::Socket::IP->new(LocalHost => '::1', LocalPort => 0, Listen => 1) ? 1 : 0;
my $v6 = $have_v6 ? qq(, "[::1]:$p") : '';
$t->config(<<C);
limits = { max_body_size = "1k"; max_uri_size = "256"; max_header_size = "2k"; header_timeout = "1s"; };
upstreams = ( { name = "app"; servers = ( { address = "127.0.0.1:$be"; } ); },
              { name = "unix"; servers = ( { address = "unix:$sock"; } ); } );
servers = ( { listen = [ "127.0.0.1:$p"$v6 ];
  routes = ( { match = { prefix = "/unix"; }; upstream = "unix"; },
             { match = { prefix = "/big"; }; upstream = "app"; max_body_size = "100k"; },
             { match = { prefix = "/"; }; upstream = "app"; } ); } );
C
$t->start(ports => [$p]);

# Chunked request: decoded and sent on as chunked.
my $out = raw_request($p, "POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n3;ext\r\nabc\r\n4\r\ndefg\r\n0\r\nTrailer: 1\r\n\r\n");
my $r = parse_response($out);
my $j = decode_json($r->{body});
is($j->{body}, 'abcdefg', 'chunked request body arrives whole');
is($j->{te}, 'chunked', 'forwarded chunked');
ok(!defined $j->{cl}, 'without Content-Length');

# Chunked response: re-framed, extensions and trailers dropped.
$out = raw_request($p, "GET /chunked HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
like($out, qr/Transfer-Encoding: chunked\r\n.*\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n$/s, 'chunked response re-framed by bouncer');
unlike($out, qr/x=y|X-T/, 'chunk extensions and trailers are not passed');

# HTTP/1.0 client: no chunked, body delimited by close.
$out = raw_request($p, "GET /chunked HTTP/1.0\r\n\r\n");
like($out, qr/^HTTP\/1.1 200 .*\r\n\r\nhello world$/s, 'HTTP/1.0 client gets the body delimited by close');
unlike($out, qr/Transfer-Encoding/, 'and no Transfer-Encoding');

# Response delimited by the upstream closing.
$r = http_request($p, 'GET', '/eof');
is($r->{body}, 'until the end', 'read-until-close body reaches an HTTP/1.1 client');
is($r->{headers}{'transfer-encoding'}, 'chunked', 're-framed as chunked');

# HTTP/1.0 keep-alive.
$out = raw_request($p, "GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /b HTTP/1.0\r\n\r\n");
my $r1 = parse_response($out);
like($r1->{headers}{connection} // '', qr/keep-alive/i, 'HTTP/1.0 keep-alive honoured');
my $r2 = parse_response($r1->{rest});
like($r2->{body}, qr/"\/b"/, 'second request on the 1.0 connection');

# Upstream keep-alive: several client connections, one upstream connection.
my %conns;
for (1 .. 5) {
    my $x = http_request($p, 'GET', "/ka$_");
    $conns{ decode_json($x->{body})->{conn} }++;
}
is(scalar keys %conns, 1, 'five requests reused one upstream connection');

# Upstream closed a pooled connection: the next request goes on a new one.
$t->stop_backend($be);
$t->backend($be, $handler);
$r = http_request($p, 'GET', '/after-restart');
is($r->{status}, 200, 'a pooled connection closed by a restarted backend is not used');

is(http_request($p, 'GET', '/unix')->{body}, "over unix\n", 'unix socket upstream');
my $s6 = $have_v6 && IO::Socket::IP->new(PeerHost => '::1', PeerPort => $p);
SKIP: {
    skip 'no IPv6 loopback', 1 unless $s6;
    syswrite $s6, "GET /unix HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
    my $b = '';
    while (sysread($s6, $b, 4096, length $b)) { }
    like($b, qr/over unix/, 'IPv6 listener');
}

# Upstream errors.
$out = raw_request($p, "GET /bad-chunk HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
ok($out =~ /^HTTP\/1.1 502 / || ($out =~ /^HTTP\/1.1 200 / && $out !~ /\r\n0\r\n\r\n$/),
   'a bad chunk from the upstream: 502 while nothing was sent, else a cut response, never a complete one');
is(http_request($p, 'GET', '/garbage')->{status}, 502, 'an invalid upstream head: 502');
$out = raw_request($p, "GET /short HTTP/1.1\r\nHost: a\r\n\r\n", timeout => 5);
like($out, qr/^HTTP\/1.1 200 .*\r\n\r\nonly ten\.\.$/s, 'a body cut by the upstream: the client gets what came, then the close');
like($t->error_log, qr/\[error\].*connection closed prematurely.*GET \/short/, 'and the error log says so');

# Limits.
$r = http_request($p, 'POST', '/x', body => 'x' x 2000);
is($r->{status}, 413, 'Content-Length over max_body_size: 413');
like($r->{headers}{connection} // '', qr/close/, 'and the connection closes');
is(http_request($p, 'POST', '/big', body => 'x' x 2000)->{status}, 200, 'a route may raise max_body_size');
$out = raw_request($p, "POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" . ("100\r\n" . ('y' x 256) . "\r\n") x 8 . "0\r\n\r\n");
is(parse_response($out)->{status}, 413, 'a chunked body over max_body_size: 413');
# Bare LF in chunked framing: a lenient proxy in front would end the body
# at it and send what follows as a request of its own; here it is 400, and
# what follows never reaches the backend as a request, nor as a trailer.
for my $tail ("0\r\n\nGET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n",
              "0\r\nGET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n",
              "3\nabc\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n",
              "3\r\nabc\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n") {
    (my $name = $tail) =~ s/([\r\n])/$1 eq "\r" ? '\r' : '\n'/ge;
    $out = raw_request($p, "POST /smuggle HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n$tail");
    my $sr = parse_response($out);
    is($sr && $sr->{status}, 400, "chunked framing $name: 400");
    unlike($sr ? $sr->{rest} : '', qr/HTTP\/1/, 'and no second response');
}
is(scalar(grep { $_->{path} eq '/smuggled' } $t->backend_requests($be)), 0,
   'the smuggled request never reached the backend');
is(http_request($p, 'GET', '/' . ('u' x 300))->{status}, 414, 'long URI: 414');
is(http_request($p, 'GET', '/', headers => ['X-Big' => 'h' x 2100])->{status}, 431, 'large head: 431');
is(http_request($p, 'GET', '/', headers => [map { ("X-$_" => 1) } 1 .. 101])->{status}, 431, 'more than max_headers: 431');
$out = raw_request($p, "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello");
is(parse_response($out)->{status}, 400, 'two Content-Length: 400');
$out = raw_request($p, "GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n");
is(parse_response($out)->{status}, 501, 'unsupported Transfer-Encoding: 501');
$out = raw_request($p, "POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n");
is(parse_response($out)->{status}, 400, 'malformed chunked request: 400');

# A head that arrives in pieces is read on as the pieces come.
{
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $p) or die;
    my $t0 = time;
    for my $piece ("GET /pie", "ces HTTP/1.1\r\nHo", "st: a\r\nConnection: close\r\n", "\r\n") {
        syswrite $s, $piece;
        select undef, undef, undef, 0.2;
    }
    my $b = '';
    while (sysread($s, $b, 4096, length $b)) { }
    like($b, qr/^HTTP\/1.1 200 .*"\/pieces"/s, 'a head sent in four pieces is answered');
    cmp_ok(time - $t0, '<', 1.5, 'as soon as it is whole, not at header_timeout');
}

# Header timeout: a head that never completes gets 408.
$out = raw_request($p, "GET / HTTP/1.1\r\nHost: a\r\n", timeout => 5);
is(parse_response($out)->{status}, 408, 'incomplete head after header_timeout: 408');
# An idle connection that sent nothing is just closed.
$out = raw_request($p, '', timeout => 5);
is($out, '', 'a silent connection is closed without a response');

# Expect: 100-continue is answered by bouncer; the upstream never sees Expect.
my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $p) or die;
syswrite $s, "POST /expect HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n";
my $b = '';
sysread($s, $b, 4096);
like($b, qr/^HTTP\/1.1 100 Continue\r\n\r\n/, '100 Continue before the body');
syswrite $s, "hello";
while (sysread($s, $b, 4096, length $b)) { }
$b =~ s/^HTTP\/1.1 100 Continue\r\n\r\n//;
$j = decode_json(parse_response($b)->{body});
is($j->{body}, 'hello', 'the body followed');
ok(!defined $j->{expect}, 'Expect is not forwarded');

# 1xx interim responses reach HTTP/1.1 clients.
$out = raw_request($p, "GET /early-hints HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
like($out, qr/^HTTP\/1.1 103 Early Hints\r\nLink: <\/a.css>; rel=preload\r\n\r\nHTTP\/1.1 200 OK\r\n/, '103 Early Hints passed through before the final response');
like($out, qr/\r\n\r\nhint$/, 'and then the final response');
$out = raw_request($p, "GET /early-hints HTTP/1.0\r\n\r\n");
unlike($out, qr/103/, 'but not to HTTP/1.0 clients');

# Hop-by-hop headers are removed both ways.
$out = raw_request($p, "GET /echo HTTP/1.1\r\nHost: a\r\nConnection: close, X-Mine\r\nX-Mine: 1\r\nKeep-Alive: 300\r\nTE: trailers\r\nTrailer: X\r\nProxy-Connection: keep-alive\r\nUpgrade: websocket\r\nX-Other: 2\r\n\r\n");
$j = decode_json(parse_response($out)->{body});
my @seen = grep { exists $j->{h}{$_} } qw(x-mine keep-alive te trailer proxy-connection upgrade);
is("@seen", '', 'request: Connection-named and hop-by-hop headers removed');
is($j->{h}{'x-other'}, '2', 'other headers kept');
$r = http_request($p, 'GET', '/hop');
my @rseen = grep { exists $r->{headers}{$_} } qw(x-private keep-alive trailer upgrade proxy-connection);
is("@rseen", '', 'response: Connection-named and hop-by-hop headers removed');
is($r->{headers}{'x-public'}, 'yes', 'other response headers kept');

# HEAD, 204 and 304 have no body, whatever the headers say.
$out = raw_request($p, "GET /no-body-304 HTTP/1.1\r\nHost: a\r\n\r\nGET /no-body-204 HTTP/1.1\r\nHost: a\r\n\r\nGET /a HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
$r1 = parse_response($out);
is($r1->{status}, 304, 'a 304 response');
is($r1->{headers}{'content-length'}, '100', '304 keeps the Content-Length of the representation');
$r2 = parse_response($r1->{rest});
is($r2->{status}, 204, '204 right after: the 304 had no body');
ok(!exists $r2->{headers}{'transfer-encoding'}, '204 has no framing headers');
like(parse_response($r2->{rest})->{body}, qr/"\/a"/, 'and the next response follows the 204 directly');

# An upstream head over max_upstream_header_size: 502.
is(http_request($p, 'GET', '/huge-head')->{status}, 502, 'upstream head too large: 502');

# A pooled connection the backend closed while idle: an idempotent request
# is sent again on a new connection, and no client sees an error.
my $be2 = $t->port;
$t->backend($be2, sub { my $r = shift;
    return { raw => "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\none", then_close => 1 } if $r->{path} eq '/first';
    return [200, [], "fresh"] });
$t->stop;
$t->config(<<C2);
upstreams = ( { name = "app"; servers = ( { address = "127.0.0.1:$be2"; } ); } );
servers = ( { listen = [ "127.0.0.1:$p" ]; routes = ( { match = { prefix = "/"; }; upstream = "app"; } ); } );
C2
$t->start(ports => [$p]);
is(http_request($p, 'GET', '/first')->{body}, 'one', 'the first response leaves a connection the backend then closes');
my $ok = 0;
for (1 .. 5) { my $x = http_request($p, 'GET', '/next'); $ok++ if $x && $x->{body} eq 'fresh' }
is($ok, 5, 'later requests never see the dead pooled connection');

$t->done;
done_testing;
