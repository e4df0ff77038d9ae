# `bouncer explain` against a running bouncer from the same config: for each
# request, the route, upstream, target sent upstream and cache key that
# explain names are what the running bouncer does (the backend that
# answered, the target it received, X-Cache-Status on a second request,
# and a purge of explain's key emptying the entry), across two server
# blocks by Host, a plain and a TLS listener (SNI and the 421 rule),
# prefix, exact, regex and method-restricted routes, a rewrite, a cached
# route, an authenticated one and a denied one; bad input is answered
# with the status the worker gives.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use TestCerts qw(new_ca new_cert);
use JSON::PP;
use MIME::Base64 ();
use Test::More;

my $t = BouncerTest->new;
my $d = $t->dir;
my ($p, $tp, $ba, $bb) = map { $t->port } 1 .. 4;
my $root = new_ca($d, 'root');
my $one = new_cert($root, 'one', names => ['one.test']);
my $three = new_cert($root, 'three', names => ['three.test']);
my $hash = `openssl passwd -6 pw-alice`;
chomp $hash;
$t->write_file('users', "alice:$hash\n");

for ([$ba, 'A'], [$bb, 'B']) {
    my ($port, $name) = @$_;
    $t->backend($port, sub {
        my $r = shift;
        return [200, ['X-Backend' => $name, 'Cache-Control' => 'max-age=600'], $r->{path}];
    });
}
$t->config(<<C);
cache_zones = ( { name = "z"; path = "$d/cache"; memory = "1m"; } );
auth_policies = ( { name = "staff"; basic = { users = "$d/users"; realm = "staff"; }; } );
upstreams = (
  { name = "a"; servers = ( { address = "127.0.0.1:$ba"; } ); },
  { name = "b"; servers = ( { address = "127.0.0.1:$bb"; } ); }
);
servers = (
  { listen = [ "127.0.0.1:$p" ]; tls_listen = [ "127.0.0.1:$tp" ]; names = [ "one.test" ];
    tls = { certificates = ( { cert = "$one->{cert}"; key = "$one->{key}"; } ); };
    routes = (
      { name = "exact"; match = { exact = "/exact"; }; upstream = "a"; },
      { name = "post-only"; match = { prefix = "/post-only"; methods = [ "POST" ]; }; upstream = "a"; },
      { name = "regex"; match = { regex = "^/re/[0-9]+\$"; }; upstream = "a"; },
      { name = "api"; match = { prefix = "/api/"; }; upstream = "a";
        rewrite = { regex = "^/api/(.*)\$"; replace = "/v2/\$1"; }; },
      { name = "cached"; match = { prefix = "/cached/"; }; upstream = "a"; cache = { zone = "z"; }; },
      { name = "private"; match = { prefix = "/private"; }; upstream = "a"; auth = "staff"; },
      { name = "denied"; match = { prefix = "/denied"; }; deny = [ "127.0.0.0/8" ]; upstream = "a"; },
      { name = "rest"; match = { prefix = "/"; }; upstream = "b"; }
    ); },
  { listen = [ "127.0.0.1:$p" ]; names = [ "two.test" ];
    routes = ( { name = "two"; match = { prefix = "/two/"; }; upstream = "b"; } ); },
  { tls_listen = [ "127.0.0.1:$tp" ]; names = [ "three.test" ];
    tls = { certificates = ( { cert = "$three->{cert}"; key = "$three->{key}"; } ); };
    routes = ( { name = "three"; match = { prefix = "/"; }; upstream = "b"; } ); }
);
C
$t->start(ports => [$p, $tp]);

# explain's answer as a hash of its first value per key (and lists).
sub ask {
    my (@args) = @_;
    my ($rc, $out, $err) = $t->cmd('explain', @args);
    my %e = (rc => $rc, out => $out, err => $err);
    for (split /\n/, $out) {
        my ($k, $v) = /^(\w+): (.*)$/ or next;
        $e{$k} //= $v;
        push @{ $e{"all_$k"} }, $v;
    }
    ($e{status_code}) = ($e{status} // '') =~ /^(\d+)/;
    ($e{route_name}) = ($e{route} // '') =~ /^(\S+)/;
    ($e{upstream_name}) = ($e{upstream} // '') =~ /^(\S+)/;
    return \%e;
}

# The same request by curl: (status, headers text, body).
sub curl {
    my ($method, $url, @h) = @_;
    my ($host, $port) = $url =~ m{^https?://([^/:]+):(\d+)};
    my @hh = map { ('-H', $_) } @h;
    my $q = join ' ', map { "'$_'" } @hh;
    my $code = `curl -sS --path-as-is --max-time 10 --resolve $host:$port:127.0.0.1 --cacert $root->{cert} -X '$method' $q -D $d/h -o $d/b -w '%{http_code}' '$url' 2>$d/curl.err`;
    return ($code, BouncerTest::slurp("$d/h"), BouncerTest::slurp("$d/b"));
}

sub header {
    my ($text, $name) = @_;
    return $text =~ /^\Q$name\E:\s*([^\r\n]*)/mi ? $1 : undef;
}

# Explains a request and makes it: what explain says is what happened.
sub same {
    my ($what, $method, $url, %o) = @_;
    my @h = @{ $o{headers} || [] };
    my $e = ask((map { ('-H', $_) } @h), $method, $url);
    is($e->{rc}, 0, "$what: explain answers") or diag($e->{err});
    my ($code, $head, $body) = curl($method, $url, @h);
    if (defined $e->{status_code}) {
        is($code, $e->{status_code}, "$what: bouncer answers $e->{status_code} as explain says ($e->{status})");
        ok(!defined header($head, 'X-Backend'), "$what: no backend was reached");
    } else {
        is($code, 200, "$what: proxied");
        is(header($head, 'X-Backend'), uc $e->{upstream_name}, "$what: upstream $e->{upstream_name} answered");
        is($body, $e->{upstream_target}, "$what: the backend got the target explain names ($body)");
    }
    is($e->{route_name}, $o{route}, "$what: route " . ($o{route} // 'none')) if exists $o{route};
    return ($e, $code, $head, $body);
}

my $u = "http://one.test:$p";
my $s = "https://one.test:$tp";
same('exact', 'GET', "$u/exact", route => 'exact');
same('exact is exact', 'GET', "$u/exact/more", route => 'rest');
same('GET on a POST-only route', 'GET', "$u/post-only", route => 'rest');
same('POST on a POST-only route', 'POST', "$u/post-only", route => 'post-only');
same('regex', 'GET', "$u/re/123", route => 'regex');
same('regex that does not match', 'GET', "$u/re/12a", route => 'rest');
my ($e) = same('rewrite keeps the query', 'GET', "$u/api/users?id=7", route => 'api');
is($e->{upstream_target}, '/v2/users?id=7', 'rewrite: explain says the rewritten target');
like($e->{rewrite}, qr{^/api/users\?id=7 -> /v2/users\?id=7$}, 'rewrite: line');
same('normalised path routes as the worker', 'GET', "$u/x/../api/%75sers", route => 'api');
same('second block by Host', 'GET', "http://two.test:$p/two/x", route => 'two');
($e) = same('Host header overrides the URL host', 'GET', "$u/two/x", headers => ['Host: two.test'], route => 'two');
like($e->{server}, qr/two\.test/, 'Host header: the second block');
same('unknown Host: the default block', 'GET', "http://nobody.test:$p/exact", route => 'exact');
same('404 in the second block', 'GET', "http://two.test:$p/nothing");
($e) = same('TLS listener, SNI one.test', 'GET', "$s/exact", route => 'exact');
like($e->{tls}, qr/^SNI one\.test/, 'TLS: SNI line');
($e) = same('TLS, SNI three.test', 'GET', "https://three.test:$tp/x", route => 'three');
($e) = same('TLS: Host of another block than SNI chose', 'GET', "$s/x", headers => ['Host: three.test']);
is($e->{status_code}, 421, '421 rule');
($e) = same('denied path', 'GET', "$u/denied/x", route => 'denied');
is($e->{status_code}, 403, 'denied: 403');
like($e->{access}, qr{^allow/deny: allow \[\] deny \[127\.0\.0\.0/8\]}, 'denied: the acl line');
my $e2 = ask('--from', '10.1.2.3', 'GET', "$u/denied/x");
ok(!defined $e2->{status_code} && $e2->{upstream_name} eq 'a', 'denied: another client passes');

# Authentication: explain names the policy; the request needs credentials.
$e = ask('GET', "$u/private/x");
is($e->{route_name}, 'private', 'auth: route');
ok((grep { /^auth: policy staff \(basic\)/ } @{ $e->{all_access} }), 'auth: policy named');
ok((grep { /auth/ && /not decided here/ } @{ $e->{all_runtime} }), 'auth: a runtime decision');
my ($code) = curl('GET', "$u/private/x");
is($code, 401, 'auth: bouncer asks for credentials');
my ($code2, $head2, $body2) = curl('GET', "$u/private/x", 'Authorization: Basic ' . MIME::Base64::encode_base64('alice:pw-alice', ''));
is($code2, 200, 'auth: with credentials proxied');
is(header($head2, 'X-Backend'), 'A', 'auth: to upstream a');
is($body2, $e->{upstream_target}, 'auth: the target explain names');

# The cache: explain's key and cacheability against X-Cache-Status.
($e) = same('cached route', 'GET', "$u/cached/a?x=1", route => 'cached');
is($e->{cache_zone}, 'z', 'cache: zone');
is($e->{cache_key}, "httpone.test/cached/a?x=1", 'cache: the key of $scheme$host$request_uri');
like($e->{cacheable}, qr/^yes/, 'cache: cacheable');
my (undef, $h) = curl('GET', "$u/cached/a?x=1");
is(header($h, 'X-Cache-Status'), 'HIT', 'cache: the second request is a HIT');
my ($prc, $pout, $perr) = $t->cmd('purge', '--key', $e->{cache_key}, '--zone', 'z');
is($prc, 0, "cache: purge of explain's key") or diag($perr);
(undef, $h) = curl('GET', "$u/cached/a?x=1");
is(header($h, 'X-Cache-Status'), 'MISS', "cache: explain's key was the entry's");
($e) = same('cached route, POST', 'POST', "$u/cached/a?x=1");
like($e->{cacheable}, qr/^no: the method/, 'cache: POST not cacheable');
(undef, $h) = curl('POST', "$u/cached/a?x=1");
is(header($h, 'X-Cache-Status'), 'BYPASS', 'cache: POST bypasses');
($e) = same('cached route, no-store', 'GET', "$u/cached/b", headers => ['Cache-Control: no-store']);
like($e->{cacheable}, qr/no-store/, 'cache: no-store not cacheable');
(undef, $h) = curl('GET', "$u/cached/b", 'Cache-Control: no-store');
is(header($h, 'X-Cache-Status'), 'BYPASS', 'cache: no-store bypasses');
($e) = same('cached route over TLS', 'GET', "$s/cached/c");
is($e->{cache_key}, 'httpsone.test/cached/c', 'cache: https key');
(undef, $h) = curl('GET', "$s/cached/c");
is(header($h, 'X-Cache-Status'), 'HIT', 'cache: https second request HIT');
$e = ask('GET', "$u/exact");
is($e->{cache}, 'off', 'a route without cache');

# Bad input: the worker's status, or a usage error.
same('../ escaping the root', 'GET', "$u/../etc/passwd");
is(ask('GET', "$u/../etc/passwd")->{status_code}, 400, '../ escaping: 400');
same('bad Host', 'GET', "$u/exact", headers => ['Host: a b']);
is(ask('-H', 'Host: a b', 'GET', "$u/exact")->{status_code}, 400, 'bad Host: 400');
same('bad method', 'G(T', "$u/exact");
like(ask('G(T', "$u/exact")->{status}, qr/^(400|501)/, 'bad method: refused');
$e = ask('GET', "https://one.test:$p/");
like($e->{status}, qr/^none: .*TLS handshake fails/, 'https to a plain port');
$e = ask('GET', "http://one.test:$tp/");
like($e->{status}, qr/^400 .*plain HTTP request was sent to HTTPS port/, 'http to a TLS port');
my ($c3, $h3) = curl('GET', "http://one.test:$tp/");
is($c3, 400, 'http to a TLS port: bouncer says 400 too');
$e = ask('GET', "http://one.test:1/");
like($e->{status}, qr/no listener on port 1/, 'no listener');
for my $bad ('ftp://x/', 'http://', 'http://host:99999/', 'http://[::1/', 'one.test/x') {
    my ($rc, undef, $err) = $t->cmd('explain', 'GET', $bad);
    is($rc, 2, "URL $bad: usage error");
    like($err, qr/^bouncer: explain: /, "URL $bad: says why");
}
my ($rc, undef, $err) = $t->cmd('explain', 'GET');
is($rc, 2, 'no URL: usage error');
($rc, undef, $err) = $t->cmd('explain', '-H', 'nocolon', 'GET', "$u/");
is($rc, 2, '-H without a colon: usage error');

# --json: one object, lists as arrays, the status a number.
($rc, my $out) = $t->cmd('explain', '--json', 'GET', "$u/api/x?y");
is($rc, 0, '--json answers');
my $j = eval { decode_json($out) };
ok($j, '--json is JSON') or diag($out);
is($j->{upstream_target}, '/v2/x?y', '--json: target');
is($j->{status}, 0, '--json: no status of its own');
is(ref $j->{upstream_server}, 'ARRAY', '--json: servers a list');
($rc, $out) = $t->cmd('explain', '--json', 'GET', "http://two.test:$p/none");
$j = decode_json($out);
is($j->{status}, 404, '--json: 404');

$t->done;
done_testing;
