# `any` of several policies, in order; the challenges of each when none
# passes, 403 when one authenticated but its require failed; allow/deny
# and auth both must pass; a jwks_url over HTTPS checked against jwks_ca
# (and a server whose certificate another CA signed refused); a reload
# whose key files vanished fails and the old keys go on working.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use TestCerts qw(new_ca new_cert);
use Test::More;
use JSON::PP qw(encode_json decode_json);
use IPC::Open2;

my $py = '/usr/bin/python3';
plan skip_all => 'python3-jwt is not installed'
    unless -x $py && system("$py -c 'import jwt, cryptography' 2>/dev/null") == 0;

my $t = BouncerTest->new;
my $d = $t->dir;
TestCerts::run("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out $d/rsa.key");
TestCerts::run("openssl pkey -in $d/rsa.key -pubout -out $d/rsa.pub");
$t->write_file('keys', "partner:k-partner\n");
$t->write_file('hs.secret', 'x' x 40);
my $now = time;
my %spec = (
    reader => { key => "$d/rsa.key", alg => 'RS256', claims => { sub => 'rita', scope => 'read', exp => $now + 600 } },
    writer => { key => "$d/rsa.key", alg => 'RS256', claims => { sub => 'will', scope => 'write', exp => $now + 600 } },
    kid => { key => "$d/rsa.key", alg => 'RS256', claims => { sub => 'kim', exp => $now + 600 }, headers => { kid => 'k1' } },
);
my $pid = open2(my $out, my $in, $py, "$FindBin::Bin/tools/jwt_mint.py");
print $in encode_json(\%spec);
close $in;
my %tok = %{ decode_json(do { local $/; <$out> }) };
waitpid $pid, 0;

# The JWKS over HTTPS, from a server our CA signed, and one another CA signed.
my $ca = new_ca($d, 'idca');
my $rogue_ca = new_ca($d, 'rogue');
my $srv = new_cert($ca, 'id', names => ['localhost']);
my $rogue = new_cert($rogue_ca, 'rogue-id', names => ['localhost']);
my $jwks = `$py -c 'import json, jwt
from cryptography.hazmat.primitives import serialization
k = serialization.load_pem_private_key(open("$d/rsa.key", "rb").read(), None).public_key()
j = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(k)); j["kid"] = "k1"
print(json.dumps({"keys": [j]}))'`;
my ($p, $be, $ids, $idr) = map { $t->port } 1 .. 4;
$t->backend($ids, sub { [200, ['Content-Type' => 'application/json'], $jwks] }, tls => $srv);
$t->backend($idr, sub { [200, ['Content-Type' => 'application/json'], $jwks] }, tls => $rogue);
$t->backend($be);
my $conf = <<C;
upstreams = ( { name = "app"; servers = ( { address = "127.0.0.1:$be"; } ); } );
auth_policies = (
  { name = "tokens"; jwt = { keys = "$d/rsa.pub"; algorithms = [ "RS256" ];
      require = ( { claim = "scope"; contains = "read"; } ); }; },
  { name = "partners"; api_key = { keys = "$d/keys"; }; },
  { name = "either"; any = [ "tokens", "partners" ]; },
  { name = "tls_jwks"; jwt = { jwks_url = "https://localhost:$ids/jwks"; jwks_ca = "$ca->{cert}";
      algorithms = [ "RS256" ]; }; },
  { name = "rogue_jwks"; jwt = { jwks_url = "https://localhost:$idr/jwks"; jwks_ca = "$ca->{cert}";
      algorithms = [ "RS256" ]; }; }
);
servers = ( { listen = [ "127.0.0.1:$p" ];
  routes = (
    { match = { prefix = "/tls"; }; auth = "tls_jwks"; upstream = "app"; },
    { match = { prefix = "/rogue"; }; auth = "rogue_jwks"; upstream = "app"; },
    { match = { prefix = "/denied"; }; auth = "either"; deny = [ "127.0.0.0/8" ]; upstream = "app"; },
    { match = { prefix = "/"; }; auth = "either"; upstream = "app";
      request_headers = { set = [ "X-Who: \$auth_user \$auth_method" ]; }; } ); } );
C
$t->config($conf);
$t->start(ports => [$p]);
sub get { my ($path, @h) = @_; http_request($p, 'GET', $path, headers => \@h) || { status => 0, headers => {} } }
sub who { (eval { decode_json($_[0]{body}) } || {})->{headers}{'x-who'} }

my $r = get('/x', Authorization => "Bearer $tok{reader}");
is($r->{status}, 200, 'any: the first policy passes');
is(who($r), 'rita jwt', '... as jwt');
$r = get('/x', 'X-API-Key' => 'k-partner');
is($r->{status}, 200, 'any: the second passes when the first has no credential');
is(who($r), 'partner api_key', '... as api_key');
$r = get('/x', Authorization => "Bearer $tok{reader}", 'X-API-Key' => 'wrong');
is($r->{status}, 200, 'the first that passes wins; the others are not needed');
$r = get('/x');
is($r->{status}, 401, 'none passes: 401');
my @ch = grep { /^WWW-Authenticate:/i } @{ $r->{header_lines} };
# Field names compare without case: HTTP/2 sends them in lower case.
s/^([^:]+)/\L$1/ for @ch;
is_deeply(\@ch, [ 'www-authenticate: Bearer realm="tokens"', 'www-authenticate: ApiKey realm="partners", header="X-API-Key"' ],
          '... with the challenge of each, in order');
$r = get('/x', Authorization => "Bearer $tok{writer}");
is($r->{status}, 403, 'one authenticated but failed require, none passed: 403');
$r = get('/x', Authorization => "Bearer $tok{writer}", 'X-API-Key' => 'k-partner');
is($r->{status}, 200, '... unless a later one passes');
is(get('/denied/x', 'X-API-Key' => 'k-partner')->{status}, 403, 'deny and auth: a good key does not lift deny');

ok(wait_until(sub { get("/tls/x", Authorization => "Bearer $tok{kid}")->{status} == 200 }) || diag($t->error_log),
   'a jwks_url over HTTPS, its certificate checked against jwks_ca');
is(get('/rogue/x', Authorization => "Bearer $tok{kid}")->{status}, 401,
   'a jwks_url whose certificate another CA signed gives no keys');
ok($t->wait_log(qr/\[warn\].*jwks_url "https:\/\/localhost:$idr\/jwks".*certificate/),
   '... and the failed check is logged');

# A reload whose key files are gone fails; the running keys go on.
rename "$d/rsa.pub", "$d/rsa.pub.gone";
my ($rc, $err) = $t->reload_config($conf);
isnt($rc, 0, 'a reload with the PEM key file gone fails');
like($err, qr/rsa\.pub/, '... naming the file');
is(get('/x', Authorization => "Bearer $tok{reader}")->{status}, 200, '... and the old keys still verify');
rename "$d/rsa.pub.gone", "$d/rsa.pub";
unlink "$d/keys";
($rc) = $t->reload_config($conf);
isnt($rc, 0, 'a reload with the API keys file gone fails');
is(get('/x', 'X-API-Key' => 'k-partner')->{status}, 200, '... and the old keys still pass');

# Many long challenges come whole; bad policies are refused by check.
my $many = join ",\n", map { "  { name = \"p$_\"; api_key = { keys = \"$d/keys.many\"; realm = \"" . ('r' x 200) . "$_\"; }; }" } 1 .. 16;
$t->write_file('keys.many', "k:v\n");
my $t3 = BouncerTest->new;
my $p3 = $t3->port;
$t3->config(<<C);
auth_policies = (
$many,
  { name = "all"; any = [ @{[ join ', ', map { "\"p$_\"" } 1 .. 16 ]} ]; }
);
servers = ( { listen = [ "127.0.0.1:$p3" ]; routes = ( { match = { prefix = "/"; }; auth = "all"; respond = { status = 200; }; } ); } );
C
$t3->start(ports => [$p3]);
$r = http_request($p3, 'GET', '/');
my @chs = grep { /^WWW-Authenticate:/i } @{ $r->{header_lines} };
is(scalar @chs, 16, 'an any of 16 policies with 200-byte realms: 16 challenges');
is(scalar(grep { /^WWW-Authenticate: ApiKey realm="r{200}\d+", header="X-API-Key"$/i } @chs), 16, '... each whole');
$t3->done;
for my $bad ([ 'claims_to_headers = [ "sub: Host" ];', qr/Host frames or routes the request/ ],
             [ 'claims_to_headers = [ "sub: transfer-encoding" ];', qr/frames or routes the request/ ]) {
    $t->write_file('bad.conf', "daemon = false;\nauth_policies = ( { name = \"j\"; jwt = { keys = \"$d/rsa.pub\"; algorithms = [ \"RS256\" ]; $bad->[0] }; } );\n"
        . "servers = ( { listen = [ \"127.0.0.1:1\" ]; routes = ( { match = { prefix = \"/\"; }; auth = \"j\"; respond = { status = 200; }; } ); } );\n");
    my ($crc, $o, $e) = $t->cmd('-c', "$d/bad.conf", 'check');
    like($o . $e, $bad->[1], "check refuses $bad->[0]");
}
my $seventeen = join ",\n", map { "  { name = \"q$_\"; api_key = { keys = \"$d/keys.many\"; }; }" } 1 .. 17;
$t->write_file('bad.conf', "daemon = false;\nauth_policies = (\n$seventeen,\n  { name = \"all\"; any = [ "
    . join(', ', map { "\"q$_\"" } 1 .. 17) . " ]; }\n);\nservers = ( { listen = [ \"127.0.0.1:1\" ]; routes = ( { match = { prefix = \"/\"; }; respond = { status = 200; }; } ); } );\n");
my ($crc, $o, $e) = $t->cmd('-c', "$d/bad.conf", 'check');
like($o . $e, qr/any: expected at most 16 policies/, 'check refuses an any of 17 policies');

$t->done;
done_testing;
