# JWT authentication: tokens made with PyJWT and keys made with the
# openssl CLI, for RS256, ES256, EdDSA and HS256, from a header, a cookie
# or a query argument; require and claims_to_headers; every attack of the
# spec refused with a 401 (403 for require) and a reason at info; a JWKS
# file and a jwks_url the helper fetches, an unknown kid waiting for it.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use TestCerts;
use Test::More;
use JSON::PP qw(encode_json decode_json);
use IPC::Open2;

my $py = '/usr/bin/python3';
plan skip_all => 'python3-jwt is not installed'
    unless -x $py && system("$py -c 'import jwt, cryptography' 2>/dev/null") == 0;

my $t = BouncerTest->new;
my $d = $t->dir;
sub run { TestCerts::run(@_) }
run("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out $d/rsa.key");
run("openssl pkey -in $d/rsa.key -pubout -out $d/rsa.pub");
run("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out $d/rsa2.key");
run("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out $d/ec.key");
run("openssl pkey -in $d/ec.key -pubout -out $d/ec.pub");
run("openssl genpkey -algorithm ED25519 -out $d/ed.key");
run("openssl pkey -in $d/ed.key -pubout -out $d/ed.pub");
$t->write_file('hs.secret', "a-secret-of-at-least-thirty-two-bytes-0123456789\n");

# JWKS documents: the file knows k1 (rsa) and e1 (ec); the URL first k1, then k1 and k2.
sub jwks {
    my (@keys) = @_;
    my $script = 'import json, sys, jwt
from cryptography.hazmat.primitives import serialization
out = []
for kid, f in zip(sys.argv[1::2], sys.argv[2::2]):
    k = serialization.load_pem_private_key(open(f, "rb").read(), None).public_key()
    alg = jwt.algorithms.RSAAlgorithm if "rsa" in f else jwt.algorithms.ECAlgorithm
    j = json.loads(alg.to_jwk(k)); j["kid"] = kid; out.append(j)
print(json.dumps({"keys": out}))';
    my $out = `$py -c '$script' @keys`;
    die "jwks: $out" if $?;
    return $out;
}
$t->write_file('jwks.json', jwks(k1 => "$d/rsa.key", e1 => "$d/ec.key"));
my $url_jwks = jwks(k1 => "$d/rsa.key");
my ($p, $be, $js) = ($t->port, $t->port, $t->port);
$t->backend($be);
$t->backend($js, sub {
    my ($q) = @_;
    return [200, [], '{"keys": [ {"kty": "RSA", "n": "@@"} ]'] if $q->{path} eq '/garbage';
    return [500, [], 'down'] if $q->{path} eq '/down';
    return [200, ['Content-Type' => 'application/json'], BouncerTest::slurp("$d/url-jwks.json")];
});
$t->write_file('url-jwks.json', $url_jwks);

my $now = time;
my %base = (sub => 'alice', iss => 'https://id.example/', aud => 'api', exp => $now + 600,
            scope => 'read write', role => 'ops', email => 'alice@example.com', groups => ['a', 'b']);
my %tok_spec = (
    rs => { key => "$d/rsa.key", alg => 'RS256', claims => \%base },
    rs_kid => { key => "$d/rsa.key", alg => 'RS256', claims => \%base, headers => { kid => 'k1' } },
    rs2_kid2 => { key => "$d/rsa2.key", alg => 'RS256', claims => \%base, headers => { kid => 'k2' } },
    rs2_kid3 => { key => "$d/rsa2.key", alg => 'RS256', claims => \%base, headers => { kid => 'k3' } },
    rs_kid_unknown => { key => "$d/rsa.key", alg => 'RS256', claims => \%base, headers => { kid => 'nope' } },
    rs_kid_path => { key => "$d/rsa.key", alg => 'RS256', claims => \%base, headers => { kid => '../../../etc/passwd' } },
    es => { key => "$d/ec.key", alg => 'ES256', claims => \%base },
    es_kid => { key => "$d/ec.key", alg => 'ES256', claims => \%base, headers => { kid => 'e1' } },
    ed => { key => "$d/ed.key", alg => 'EdDSA', claims => \%base },
    hs => { secret => "$d/hs.secret", alg => 'HS256', claims => \%base },
    ps => { key => "$d/rsa.key", alg => 'PS256', claims => \%base },
    rs_other_key => { key => "$d/rsa2.key", alg => 'RS256', claims => \%base },
    expired => { key => "$d/rsa.key", alg => 'RS256', claims => { %base, exp => $now - 120 } },
    expired_in_leeway => { key => "$d/rsa.key", alg => 'RS256', claims => { %base, exp => $now - 5 } },
    not_yet => { key => "$d/rsa.key", alg => 'RS256', claims => { %base, nbf => $now + 120 } },
    wrong_iss => { key => "$d/rsa.key", alg => 'RS256', claims => { %base, iss => 'https://evil/' } },
    wrong_aud => { key => "$d/rsa.key", alg => 'RS256', claims => { %base, aud => 'other' } },
    aud_array => { key => "$d/rsa.key", alg => 'RS256', claims => { %base, aud => ['x', 'api'] } },
    no_scope => { key => "$d/rsa.key", alg => 'RS256', claims => { %base, scope => 'write' } },
    wrong_role => { key => "$d/rsa.key", alg => 'RS256', claims => { %base, role => 'guest' } },
    ctl_claim => { key => "$d/rsa.key", alg => 'RS256', claims => { %base, email => "a\r\nX-Evil: 1" } },
    tampered => { key => "$d/rsa.key", alg => 'RS256', claims => \%base, tamper => 'payload' },
    bad_sig => { key => "$d/rsa.key", alg => 'RS256', claims => \%base, tamper => 'signature' },
    none => { raw => [ { alg => 'none', typ => 'JWT' }, \%base, '' ] },
    none_caps => { raw => [ { alg => 'NONE' }, \%base, '' ] },
    confused => { confuse => "$d/rsa.pub", claims => \%base },
    not_json => { raw => [ 'bm90IGpzb24', 'e30', 'AAAA' ] },
    not_object => { raw => [ 'WzFd', 'e30', 'AAAA' ] },
    deep => { raw => [ { alg => 'RS256' }, '' . ('W' x 10), 'AAAA' ] },
);
my $pid = open2(my $out, my $in, $py, "$FindBin::Bin/tools/jwt_mint.py");
print $in encode_json(\%tok_spec);
close $in;
my %tok = %{ decode_json(do { local $/; <$out> }) };
waitpid $pid, 0;

$t->config(<<C, level => 'info');
upstreams = ( { name = "app"; servers = ( { address = "127.0.0.1:$be"; } ); } );
auth_policies = (
  { name = "rs"; jwt = { keys = "$d/rsa.pub"; algorithms = [ "RS256" ]; issuer = "https://id.example/";
      audience = [ "api" ]; leeway = "30s";
      require = ( { claim = "scope"; contains = "read"; }, { claim = "role"; equals = [ "admin", "ops" ]; } );
      claims_to_headers = [ "sub: X-User", "email: X-Email" ]; }; },
  { name = "es"; jwt = { keys = "$d/ec.pub"; algorithms = [ "ES256" ];
      from = [ "cookie:token", "query:access_token" ]; }; },
  { name = "ed"; jwt = { keys = "$d/ed.pub"; algorithms = [ "EdDSA" ]; }; },
  { name = "hs"; jwt = { secret_file = "$d/hs.secret"; keys = "$d/rsa.pub"; algorithms = [ "HS256", "RS256" ]; }; },
  { name = "set"; jwt = { keys = "$d/jwks.json"; algorithms = [ "RS256", "ES256" ]; leeway = "0s"; }; },
  { name = "url"; jwt = { jwks_url = "http://127.0.0.1:$js/jwks.json"; algorithms = [ "RS256" ]; }; },
  { name = "urlbad"; jwt = { jwks_url = "http://127.0.0.1:$js/garbage"; keys = "$d/rsa.pub"; algorithms = [ "RS256" ]; }; },
  { name = "urldown"; jwt = { jwks_url = "http://127.0.0.1:$js/down"; algorithms = [ "RS256" ]; }; }
);
servers = ( { listen = [ "127.0.0.1:$p" ];
  routes = (
    { match = { prefix = "/es"; }; auth = "es"; upstream = "app"; },
    { match = { prefix = "/ed"; }; auth = "ed"; upstream = "app"; },
    { match = { prefix = "/hs"; }; auth = "hs"; upstream = "app"; strip_credentials = true; },
    { match = { prefix = "/set"; }; auth = "set"; upstream = "app"; },
    { match = { prefix = "/urlbad"; }; auth = "urlbad"; upstream = "app"; },
    { match = { prefix = "/urldown"; }; auth = "urldown"; upstream = "app"; },
    { match = { prefix = "/url"; }; auth = "url"; upstream = "app"; },
    { match = { prefix = "/"; }; auth = "rs"; upstream = "app";
      request_headers = { set = [ "X-Claims: \$jwt_claim_scope|\$jwt_claim_groups|\$jwt_claim_exp|\$auth_user|\$auth_method" ]; }; } ); } );
C
$t->start(ports => [$p]);

sub get { my ($path, @h) = @_; http_request($p, 'GET', $path, headers => \@h) || { status => (BouncerTest::h2_mode() ? "reset" : 0), headers => {}, body => '' } }
sub bearer { (Authorization => "Bearer $_[0]") }
sub echo { eval { decode_json($_[0]{body}) } || {} }
sub be_count { scalar $t->backend_requests($be) }

my $r = get('/x', bearer($tok{rs}), 'X-User' => 'mallory', 'X-Email' => 'evil@example');
is($r->{status}, 200, 'RS256: a good token passes');
my $e = echo($r);
is($e->{headers}{'x-user'}, 'alice', 'claims_to_headers: sub, not the client\'s X-User');
is($e->{headers}{'x-email'}, 'alice@example.com', '... email');
is($e->{headers}{'x-claims'}, "read write|a,b|" . ($now + 600) . "|alice|jwt",
   '$jwt_claim_ (a string, an array joined, a number), $auth_user, $auth_method');
is($e->{headers}{authorization}, "Bearer $tok{rs}", 'the token goes on without strip_credentials');
is(get('/x', bearer($tok{aud_array}))->{status}, 200, 'aud as an array holding the audience');
is(get('/x', bearer($tok{expired_in_leeway}))->{status}, 200, 'expired 5 s ago, within the leeway');
is(get('/x', 'Authorization' => "bearer $tok{rs}")->{status}, 200, 'the Bearer scheme in lower case');
is(get('/es/x', Cookie => "a=b; token=$tok{es}")->{status}, 200, 'ES256 from a cookie');
is(get("/es/x?access_token=$tok{es}")->{status}, 200, 'ES256 from a query argument');
is(get('/ed/x', bearer($tok{ed}))->{status}, 200, 'EdDSA (Ed25519)');
$r = get('/hs/x', bearer($tok{hs}));
is($r->{status}, 200, 'HS256 with secret_file');
ok(!exists echo($r)->{headers}{authorization}, '... strip_credentials: the token is not sent upstream');
is(get('/hs/x', bearer($tok{rs}))->{status}, 200, 'RS256 on a route that takes HS256 and RS256');
is(get('/set/x', bearer($tok{rs_kid}))->{status}, 200, 'JWKS file: kid k1 (RSA)');
is(get('/set/x', bearer($tok{es_kid}))->{status}, 200, 'JWKS file: kid e1 (EC)');
is(get('/set/x', bearer($tok{rs}))->{status}, 200, 'JWKS file: no kid, the keys of its type are tried');

$r = get('/x');
is($r->{status}, 401, 'no token: 401');
is($r->{headers}{'www-authenticate'}, 'Bearer realm="rs"', '... and the challenge has no error');
my $before = be_count();
my @refused = (
    [bearer($tok{expired}), 'expired'], [bearer($tok{not_yet}), 'not yet valid'],
    [bearer($tok{wrong_iss}), 'wrong issuer'], [bearer($tok{wrong_aud}), 'wrong audience'],
    [bearer($tok{tampered}), 'a tampered payload'], [bearer($tok{bad_sig}), 'a tampered signature'],
    [bearer($tok{none}), 'alg none'], [bearer($tok{none_caps}), 'alg NONE'],
    [bearer($tok{es}), 'an algorithm not listed (ES256 on an RS256 route)'],
    [bearer($tok{ps}), 'PS256, not listed'],
    [bearer($tok{rs_other_key}), 'signed by another key'],
    [bearer($tok{not_json}), 'a header that is not JSON'], [bearer($tok{not_object}), 'a header that is not an object'],
    [bearer($tok{deep}), 'a nested, broken payload'],
    [bearer(substr($tok{rs}, 0, -10)), 'truncated'],
    [bearer(join '.', (split /\./, $tok{rs})[0, 1]), 'two segments'],
    [bearer("$tok{rs}.AAAA"), 'four segments'],
    [bearer($tok{rs} =~ s/\./.!!/r), 'bad base64url'],
    [bearer(''), 'an empty token'], [bearer('a.b.c'), 'garbage'],
    ['Authorization' => "Basic $tok{rs}", 'another scheme'],
    [bearer($tok{rs_kid_path}), 'a kid with path characters (no kid key on this route)'],
);
for my $c (@refused) {
    $r = get('/x', $c->[0], $c->[1]);
    # HTTP/2 resets a stream whose field value ends in whitespace (RFC 9113 8.2.1).
    my $want = BouncerTest::h2_mode() && $c->[1] =~ /\s$/ ? 'reset' : 401;
    is($r->{status}, $want, "$c->[2]: $want");
}
like(get('/x', bearer($tok{expired}))->{headers}{'www-authenticate'} // '', qr/^Bearer realm="rs", error="invalid_token"$/,
     'a bad token: error="invalid_token"');
is(get('/hs/x', bearer($tok{confused}))->{status}, 401, 'algorithm confusion: HS256 signed with the RSA public key: 401');
is(get('/set/x', bearer($tok{rs_kid_unknown}))->{status}, 401, 'an unknown kid: 401');
is(get('/set/x', bearer($tok{rs_kid_path}))->{status}, 401, 'a kid with path characters: an unknown kid');
$r = get('/x', bearer($tok{no_scope}));
is($r->{status}, 403, 'require: scope without "read": 403');
is($r->{headers}{'www-authenticate'}, 'Bearer realm="rs", error="insufficient_scope"', '... insufficient_scope');
is(get('/x', bearer($tok{wrong_role}))->{status}, 403, 'require: role not among equals: 403');
is(get('/x', 'Authorization' => 'Bearer ' . ('A' x 70000))->{status}, 431, 'a token over max_header_size: 431');
$r = get('/x', bearer($tok{ctl_claim}));
is($r->{status}, 200, 'a claim with CR LF passes authentication');
ok(!exists echo($r)->{headers}{'x-evil'}, '... but never becomes a header line of its own');
is(be_count(), $before + 1, 'no refused request reached the backend');
like($t->error_log, qr/\[info\].*jwt auth: token refused: .*expired/i, 'the reason is logged at info');

# jwks_url: fetched by the helper; an unknown kid waits for a new fetch.
sub fetched { scalar $t->backend_requests($js) }
# Waited for by its log line: a request before it would itself ask for a
# fetch, and spend the once a minute the k2 case below needs.
ok($t->wait_log(qr/\[info\].*jwks_url "http:\/\/127\.0\.0\.1:$js\/jwks\.json": 1 keys/),
   'the helper fetched the jwks_url at start');
ok(wait_until(sub { get('/url/x', bearer($tok{rs_kid}))->{status} == 200 }), 'a token of kid k1 passes');
my $f0 = fetched();
$t->write_file('url-jwks.json', jwks(k1 => "$d/rsa.key", k2 => "$d/rsa2.key"));
$r = get('/url/x', bearer($tok{rs2_kid2}));
is($r->{status}, 200, 'kid k2, unknown until now: the request waits for a fetch, then passes');
is(fetched(), $f0 + 1, '... which was one fetch');
my $t0 = time;
$r = get('/url/x', bearer($tok{rs2_kid3}));
is($r->{status}, 401, 'another unknown kid within the minute: 401');
# (Over HTTP/2 the test's client is a python process of its own, which
# takes a while to start on a loaded host.)
cmp_ok(time - $t0, '<', BouncerTest::h2_mode() ? 5 : 3, '... at once or within 2 s');
is(fetched(), $f0 + 1, '... and no more fetches (at most one a minute)');

# A jwks_url that answers garbage, or an error: logged, the keys it had kept.
ok($t->wait_log(qr/\[warn\].*jwks_url "http:\/\/127\.0\.0\.1:$js\/garbage".*the keys it gave before are kept/),
   'a JWKS that does not parse is logged, and not taken');
ok($t->wait_log(qr/\[warn\].*jwks_url "http:\/\/127\.0\.0\.1:$js\/down".*not a 200/), 'an error answer is logged');
is(get('/urlbad/x', bearer($tok{rs}))->{status}, 200, '... the keys file still serves');
is(get('/urldown/x', bearer($tok{rs}))->{status}, 401, 'no JWKS yet: 401');

$t->done;
done_testing;
