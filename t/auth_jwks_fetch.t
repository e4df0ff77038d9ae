# The helper's JWKS fetch as a JWKS server may answer it: chunked, in
# several chunks, each in its own write.  The keys it brings verify tokens
# (HS256 with an "oct" key, signed here), and the helper survives the
# parse under the sanitizers (a size line brings no data to copy).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use Test::More;
use JSON::PP qw(encode_json);
use TestJWT;

my $t = BouncerTest->new;
my $d = $t->dir;
my $secret = 'a-secret-of-at-least-thirty-two-bytes-0123456789';
$t->write_file('hs.secret', "another-secret-of-at-least-thirty-two-bytes\n");

sub token { TestJWT::hs256($secret, '{"sub":"alice","exp":9999999999}', $_[0]) }

my $jwks = encode_json({ keys => [ { kty => 'oct', kid => 'k1', k => TestJWT::b64url($secret) } ] });
my @pieces = (substr($jwks, 0, 10), substr($jwks, 10, 20), substr($jwks, 30));
my ($p, $js) = ($t->port, $t->port);
$t->backend($js, sub {
    return { raw => "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                    . join('', map { sprintf("%x\r\n%s\r\n", length $_, $_) } @pieces) . "0\r\n\r\n",
             then_close => 1 };
});
$t->config(<<C);
auth_policies = ( { name = "url"; jwt = { secret_file = "$d/hs.secret";
                    jwks_url = "http://127.0.0.1:$js/jwks.json"; algorithms = [ "HS256" ]; }; } );
servers = ( { listen = [ "127.0.0.1:$p" ];
  routes = ( { match = { prefix = "/"; }; auth = "url"; respond = { status = 200; body = "in"; }; } ); } );
C
$t->start(ports => [$p]);

ok($t->wait_log(qr/\[info\].*jwks_url "http:\/\/127\.0\.0\.1:$js\/jwks\.json": 1 keys/),
   'a chunked JWKS is fetched and taken');
ok(wait_until(sub { (http_request($p, 'GET', '/x', headers => [Authorization => 'Bearer ' . token('k1')]) || {})->{status} == 200 }),
   "a token of its key passes");
unlike($t->error_log, qr/helper process \d+ exited/, 'the helper never died');

$t->done;
done_testing;
