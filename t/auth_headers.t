# What authentication sets on the upstream request, as an attacker tries to
# set it himself: the headers of claims_to_headers and copy_headers never
# come from the client (in any case, on several lines, and in an any where
# another policy is the one that passes), and a claim holding CR, LF or
# NUL never becomes a header line of its own, nor cuts a value short.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use Test::More;
use TestJWT;

my $t = BouncerTest->new;
my $d = $t->dir;
my $secret = 'a-secret-of-at-least-thirty-two-bytes-0123456789';
$t->write_file('hs.secret', "$secret\n");
$t->write_file('api-keys', "partner:k-partner-123\n");

# The claims are JSON written by hand, escapes and all.
sub token { TestJWT::hs256($secret, $_[0]) }

my ($p, $be, $auth) = ($t->port, $t->port, $t->port);
$t->backend($be);
$t->backend($auth, sub {
    my ($q) = @_;
    return [200, ['X-Fwd-User' => 'svc-alice'], ''] if ($q->{headers}{authorization} // '') eq 'Bearer fwd';
    return [401, [], 'no'];
});
$t->config(<<C);
upstreams = ( { name = "app"; servers = ( { address = "127.0.0.1:$be"; } ); } );
auth_policies = (
  { name = "tok"; jwt = { secret_file = "$d/hs.secret"; algorithms = [ "HS256" ];
                          claims_to_headers = [ "sub: X-User", "role: X-Role" ]; }; },
  { name = "key"; api_key = { keys = "$d/api-keys"; }; },
  { name = "fwd"; forward = { url = "http://127.0.0.1:$auth/v"; copy_headers = [ "X-Fwd-User" ]; }; },
  { name = "either"; any = [ "key", "tok", "fwd" ]; }
);
servers = ( { listen = [ "127.0.0.1:$p" ];
  routes = (
    { match = { prefix = "/any"; }; auth = "either"; upstream = "app"; },
    { match = { prefix = "/"; }; auth = "tok"; upstream = "app";
      request_headers = { set = [ "X-Sub: \$auth_user", "X-Claim: \$jwt_claim_role",
                                  "X-List: \$jwt_claim_groups" ]; }; } ); } );
C
$t->start(ports => [$p]);

sub get { http_request($p, 'GET', $_[0], headers => [ @_[1 .. $#_] ]) || { status => (BouncerTest::h2_mode() ? "reset" : 0), headers => {} } }
sub last_seen { ($t->backend_requests($be))[-1] }
sub lines_named { my ($q, $re) = @_; grep { /^$re:/i } @{ $q->{raw_headers} } }

# any: the api key passes; the jwt's and the forward service's headers are
# the client's to set only if nothing drops them.
my $r = get('/any/x', 'X-API-Key' => 'k-partner-123', 'X-User' => 'admin', 'x-role' => 'root',
            'X-USER' => 'admin2', 'x-fwd-user' => 'root');
is($r->{status}, 200, 'any: the api key passes');
my $q = last_seen();
is(scalar lines_named($q, 'x-user'), 0, "any: the client's X-User (two lines, two cases) is not sent, "
   . 'though the policy that names it did not run');
is(scalar lines_named($q, 'x-role'), 0, "any: nor the client's X-Role");
is(scalar lines_named($q, 'x-fwd-user'), 0, "any: nor the client's X-Fwd-User (a copy_headers name)");

$r = get('/any/x', Authorization => 'Bearer fwd', 'X-Fwd-User' => 'root');
is($r->{status}, 200, 'any: the forward service admits');
is_deeply([ lines_named(last_seen(), 'x-fwd-user') ], ['X-Fwd-User: svc-alice'],
          "... and only the service's X-Fwd-User goes upstream");

$r = get('/any/x', 'X-User' => "a\r\n b", 'X-API-Key' => 'k-partner-123');
is($r->{status}, BouncerTest::h2_mode() ? 'reset' : 400,
   'obs-fold in a request header: 400 (HTTP/2: CR LF in a value resets the stream)');

# Claims with control characters.
$r = get('/x', Authorization => 'Bearer ' . token('{"sub":"alice","role":"admin\u0000-not","groups":["a","b\r\nX-Injected: 2"],"exp":9999999999}'));
is($r->{status}, 200, 'a token whose claims hold NUL, CR, LF passes');
$q = last_seen();
is(scalar lines_named($q, 'x-injected'), 0, 'no claim becomes a header line of its own');
is_deeply([ map { s/\s+$//r } lines_named($q, 'x-claim') ], ['X-Claim:'], '$jwt_claim_role holding a NUL is empty, not "admin"');
is_deeply([ lines_named($q, 'x-list') ], ['X-List: a'], '$jwt_claim_groups: the member with CR LF is left out');
is(scalar lines_named($q, 'x-role'), 0, 'claims_to_headers: the role is not sent');
is_deeply([ lines_named($q, 'x-sub') ], ['X-Sub: alice'], 'a clean sub is $auth_user');

my $before = scalar $t->backend_requests($be);
for my $sub ('bob\r\nX-Injected: 1', 'alice\u0000x') {
    $r = get('/x', Authorization => 'Bearer ' . token(qq({"sub":"$sub","exp":9999999999})));
    is($r->{status}, 401, "a sub claim \"$sub\" is refused: it would be \$auth_user");
}
is(scalar $t->backend_requests($be), $before, '... and reaches no backend');
like($t->error_log, qr/\[info\].*jwt auth: the token's sub claim holds a control character/,
     '... logged at info');

$t->done;
done_testing;
