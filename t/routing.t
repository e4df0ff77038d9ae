# Routing: server blocks by Host (exact, wildcard, default per listener),
# routes (exact, prefix, regex, methods; first match wins; 404), respond,
# redirect, rewrite, allow/deny, request and response header rules,
# host_header, forwarded modes.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use JSON::PP;
use Test::More;

my $t = BouncerTest->new;
my ($p, $p2, $be) = ($t->port, $t->port, $t->port);
$t->backend($be, sub {
    my $r = shift;
    return [200, ['X-Powered-By' => 'x', 'X-Secret' => 's', 'X-Keep' => 'k'],
            encode_json({ path => $r->{path}, headers => $r->{headers}, raw => $r->{raw_headers} })];
});
$t->config(<<C);
upstreams = (
  { name = "app"; servers = ( { address = "127.0.0.1:$be"; } ); },
  { name = "named"; servers = ( { address = "127.0.0.1:$be"; } ); host_header = "backend.internal"; }
);
servers = (
  { listen = [ "127.0.0.1:$p" ];
    names = [ "default.test" ];
    routes = ( { match = { prefix = "/"; }; respond = { status = 200; body = "default\\n"; }; } ); },
  { listen = [ "127.0.0.1:$p", "127.0.0.1:$p2" ];
    names = [ "example.com", "*.example.com" ];
    forwarded = "both";
    routes = (
      { match = { exact = "/exact"; }; respond = { status = 200; body = "exact\\n"; content_type = "text/x-test"; }; },
      { match = { prefix = "/only-post"; methods = [ "POST" ]; }; respond = { status = 201; body = "posted\\n"; }; },
      { match = { prefix = "/only-post"; }; respond = { status = 200; body = "not a post\\n"; }; },
      { match = { regex = "^/static/.+\\\\.(css|js)\$"; }; respond = { status = 200; body = "static\\n"; }; },
      { match = { exact = "/old"; }; redirect = { to = "/new"; status = 308; };
        response_headers = { add = [ "X-Moved: yes" ]; }; },
      { match = { exact = "/fixed"; }; respond = { status = 200; body = "fixed\\n"; };
        response_headers = { set = [ "Cache-Control: max-age=60", "Content-Type: text/x-set" ];
                             add = [ "X-Req: \$request_uri" ]; remove = [ "Server" ]; }; },
      { match = { exact = "/fixed-denied"; }; deny = [ "127.0.0.0/8" ]; respond = { status = 200; body = "x"; };
        response_headers = { add = [ "X-Fixed: 1" ]; }; },
      { match = { prefix = "/admin"; }; allow = [ "10.0.0.0/8" ]; respond = { status = 200; body = "admin\\n"; }; },
      { match = { prefix = "/denied"; }; deny = [ "127.0.0.0/8" ]; respond = { status = 200; body = "no\\n"; }; },
      { match = { prefix = "/api/"; }; upstream = "app";
        rewrite = { regex = "^/api/(.*)\$"; replace = "/v2/\$1"; };
        request_headers = { set = [ "X-Env: prod" ]; add = [ "X-Via-Bouncer: 1" ]; remove = [ "X-Debug" ]; };
        response_headers = { remove = [ "X-Secret" ]; set = [ "X-Frame-Options: DENY" ]; add = [ "X-Added: 1" ]; }; },
      { match = { prefix = "/named"; }; upstream = "named"; }
    ); },
  { listen = [ "127.0.0.1:$p2" ];
    names = [ "other.test" ];
    forwarded = "none";
    routes = ( { match = { prefix = "/"; }; upstream = "app"; } ); }
);
C
$t->start(ports => [$p, $p2]);

sub get { my ($port, $path, %o) = @_; http_request($port, $o{method} // 'GET', $path, %o) }

is(get($p, '/', host => 'default.test')->{body}, "default\n", 'exact name');
is(get($p, '/', host => 'unknown.test')->{body}, "default\n", 'unknown name: the first server of the listener');
is(get($p, '/', host => 'DEFAULT.test:8080')->{body}, "default\n", 'Host is case-insensitive and the port is ignored');
is(get($p, '/exact', host => 'example.com')->{body}, "exact\n", 'second server by name');
is(get($p, '/exact', host => 'a.b.example.com')->{body}, "exact\n", 'wildcard name');
is(get($p, '/exact', host => 'example.com.')->{body}, "exact\n", 'trailing dot');
is(get($p2, '/exact', host => 'nothing.test')->{body}, "exact\n", 'default of the second listener is its first server');
like(get($p2, '/x', host => 'other.test')->{body}, qr/"path":"\/x"/, 'third server by name on the second listener');
is(get($p, '/exact', host => 'other.test')->{body}, "default\n", 'a name served on another listener only is not found here');
my $r;
SKIP: {
    # HTTP/2 has no absolute-form: :authority says it (RFC 9113 8.3.1).
    skip 'absolute-form is HTTP/1.1 only', 1 if BouncerTest::h2_mode();
    $r = get($p, 'http://example.com/exact', host => 'default.test');
    is($r->{body}, "exact\n", 'absolute-form: its host replaces Host');
}
# Over HTTP/2 a malformed :authority resets the stream (RFC 9113 8.1.1).
my $bad = get($p, '/', host => 'bad host');
is($bad ? $bad->{status} : 'reset', BouncerTest::h2_mode() ? 'reset' : 400, 'an invalid Host: 400');

my $e = get($p, '/exact', host => 'example.com');
is($e->{headers}{'content-type'}, 'text/x-test', 'respond content_type');
is(get($p, '/exact/', host => 'example.com')->{status}, 404, 'exact does not match a longer path; nothing else does: 404');
like(get($p, '/exact/', host => 'example.com')->{body}, qr/404 Not Found/, 'bouncer-made 404 page');
is(get($p, '/only-post', host => 'example.com', method => 'POST', body => 'x')->{status}, 201, 'method listed: match');
# A fixed answer to a request whose body was not read: the connection ends
# after it, or the body would be read as the next request.
my $raw = raw_request($p, "POST /exact HTTP/1.1\r\nHost: example.com\r\nContent-Length: 30\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n");
my @st = $raw =~ /^HTTP\/1.1 (\d+)/mg;
is("@st", '200', 'a body left unread is never parsed as a request');
like($raw, qr/Connection: close/, 'the response says the connection closes');
is(get($p, '/only-post', host => 'example.com')->{body}, "not a post\n", 'method not listed: the next route');
is(get($p, '/static/a/b.css', host => 'example.com')->{body}, "static\n", 'regex route');
is(get($p, '/static/a/b.png', host => 'example.com')->{status}, 404, 'regex does not match');
$r = get($p, '/old?x=1', host => 'example.com');
is($r->{status}, 308, 'redirect status');
is($r->{headers}{'x-moved'}, 'yes', "a redirect route's response_headers are on its answer");
{
    my $f = get($p, '/fixed?q=1', host => 'example.com');
    is($f->{body}, "fixed\n", 'respond route answers');
    is($f->{headers}{'cache-control'}, 'max-age=60', "a respond route's response_headers set a header");
    is($f->{headers}{'content-type'}, 'text/x-set', 'set replaces the Content-Type bouncer would send');
    is($f->{headers}{'x-req'}, '/fixed?q=1', 'add, with variables expanded');
    ok(!defined $f->{headers}{server}, 'remove takes away the Server header bouncer adds');
    my $d = get($p, '/fixed-denied', host => 'example.com');
    is($d->{status}, 403, 'a denied request on a respond route: 403');
    ok(!defined $d->{headers}{'x-fixed'}, "bouncer's error page does not carry the route's response_headers");
}
is($r->{headers}{location}, '/new', 'redirect Location');
is(get($p, '/admin', host => 'example.com')->{status}, 403, 'allow list without the client: 403');
is(get($p, '/denied', host => 'example.com')->{status}, 403, 'deny list with the client: 403');

$r = get($p, '/api/users?id=7', host => 'example.com',
         headers => ['X-Env' => 'dev', 'X-Debug' => '1', 'X-Forwarded-Host' => 'evil', 'Forwarded' => 'for=1.2.3.4']);
my $j = decode_json($r->{body});
is($j->{path}, '/v2/users?id=7', 'rewrite with a capture; query kept');
is($j->{headers}{'x-env'}, 'prod', 'set replaces the client value');
is($j->{headers}{'x-via-bouncer'}, '1', 'add appends');
ok(!exists $j->{headers}{'x-debug'}, 'remove removes');
is($j->{headers}{'x-forwarded-host'}, 'example.com', 'X-Forwarded-Host replaced');
is($j->{headers}{'x-forwarded-proto'}, 'http', 'X-Forwarded-Proto');
like($j->{headers}{forwarded}, qr/^for=127\.0\.0\.1;proto=http;host="example\.com"$/, 'RFC 7239 Forwarded replaces the client\'s');
ok(!exists $r->{headers}{'x-secret'}, 'response header removed');
is($r->{headers}{'x-frame-options'}, 'DENY', 'response header set');
is($r->{headers}{'x-added'}, '1', 'response header added');
is($r->{headers}{'x-keep'}, 'k', 'other response headers pass');

$j = decode_json(parse_response(raw_request($p, "GET http://Example.com:8080/api/abs HTTP/1.1\r\nHost: default.test\r\nConnection: close\r\n\r\n"))->{body});
is($j->{headers}{host}, 'Example.com:8080', 'absolute-form: its authority is the Host sent upstream');
is($j->{path}, '/v2/abs', 'and its path the target');
$j = decode_json(parse_response(raw_request($p2, "GET /api/old HTTP/1.0\r\n\r\n"))->{body});
is($j->{headers}{host}, 'example.com',
   "no Host from an HTTP/1.0 client: the block's name is sent, as \$host and the cache key say");
$j = decode_json(get($p, '/named', host => 'example.com')->{body});
is($j->{headers}{host}, 'backend.internal', 'host_header replaces Host');

$j = decode_json(get($p2, '/none', host => 'other.test', headers => ['X-Forwarded-For' => '9.9.9.9'])->{body});
is($j->{headers}{'x-forwarded-for'}, '9.9.9.9', 'forwarded = none passes the header untouched');
ok(!exists $j->{headers}{'x-real-ip'}, 'and adds nothing');

# Normalised matching: these all meet the /admin route (403 for us), yet the
# target forwarded elsewhere is the one the client wrote.
for my $path ('/x/../admin', '/%61dmin', '//admin', '/./admin', '/admin/./x/..', '/%2e%2e/x/../admin/') {
    my $x = get($p, $path, host => 'example.com');
    if ($path eq '/%2e%2e/x/../admin/') {
        is($x->{status}, 400, "$path: .. above the root is 400");
    } else {
        is($x->{status}, 403, "$path is matched as /admin");
    }
}
is(get($p, '/admi%6E', host => 'example.com')->{status}, 403, 'lower-case hex escape decoded too');
is(get($p, '/bad%zz', host => 'example.com')->{status}, 400, 'a broken escape: 400');
$j = decode_json(get($p, '/api/a/../b%2Fc?x', host => 'example.com')->{body});
is($j->{path}, '/v2/b%2Fc?x', 'rewrite works on the normalised path; %2F stays encoded');
$j = decode_json(get($p, '/named/./x', host => 'example.com')->{body});
is($j->{path}, '/named/./x', 'without a rewrite the original target is forwarded');

$t->done;
done_testing;
