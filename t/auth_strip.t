# strip_credentials as an attacker (or a sloppy client) tests it: the
# credential never reaches the upstream another way (a second Cookie
# line, the same token in another place the policy reads, the query
# argument twice or with its name percent-encoded), and the request's
# other cookies go on as they came, however many there are.
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

my $tok = TestJWT::hs256($secret, '{"sub":"alice","exp":9999999999}');

my ($p, $be) = ($t->port, $t->port);
$t->backend($be);
$t->config(<<C);
upstreams = ( { name = "app"; servers = ( { address = "127.0.0.1:$be"; } ); } );
auth_policies = (
  { name = "tok"; jwt = { secret_file = "$d/hs.secret"; algorithms = [ "HS256" ];
                          from = [ "cookie:token", "cookie:jwt", "header:Authorization" ]; }; },
  { name = "q"; api_key = { keys = "$d/api-keys"; from = [ "query:api_key" ]; }; }
);
servers = ( { listen = [ "127.0.0.1:$p" ];
  routes = (
    { match = { prefix = "/tok"; }; auth = "tok"; strip_credentials = true; upstream = "app"; },
    { match = { prefix = "/q"; }; auth = "q"; strip_credentials = true; upstream = "app"; } ); } );
C
$t->start(ports => [$p]);

# What the upstream got: the target and the header lines the client could set.
sub sent {
    my ($path, @h) = @_;
    my $r = http_request($p, 'GET', $path, headers => \@h);
    my $q = ($t->backend_requests($be))[-1];
    return ($r ? $r->{status} : 0, $q->{path},
            [ grep { /^(cookie|authorization):/i } @{ $q->{raw_headers} } ]);
}

my ($st, $path, $lines) = sent('/tok/x', Cookie => 'a=1', Cookie => "token=$tok");
is($st, 200, 'the token in a second Cookie line passes');
is_deeply($lines, ['Cookie: a=1'], '... and only the other cookie goes upstream');

($st, $path, $lines) = sent('/tok/x', Cookie => "pref=a,b; token=$tok; c=3");
is_deeply($lines, ['Cookie: pref=a,b; c=3'], 'a cookie whose value holds a comma goes on whole');

my $many = join ';', map { "c$_=1" } 1 .. 400;
($st, $path, $lines) = sent('/tok/x', Cookie => "token=$tok;$many");
is($st, 200, 'the token and 400 cookies written without spaces');
is_deeply($lines, ['Cookie: ' . join('; ', map { "c$_=1" } 1 .. 400)],
          '... the 400 go on, written again with "; " between them');

($st, $path, $lines) = sent('/tok/x', Cookie => "token=$tok; jwt=$tok", Authorization => "Bearer $tok");
is($st, 200, 'the token in two cookies and the Authorization header');
is_deeply($lines, [], "... none of the places the policy reads reaches the upstream");

($st, $path) = sent('/q/x?api_key=k-partner-123&a=1&api_key=k-partner-123');
is($st, 200, 'the key twice in the query');
is($path, '/q/x?a=1', '... both are gone');
($st, $path) = sent('/q/x?api_key=k-partner-123&api%5Fkey=k-partner-123&api%5fkey=x&b=2&api_key2=y');
is($st, 200, 'the key, and again under a percent-encoded name');
is($path, '/q/x?b=2&api_key2=y', '... the upstream, which decodes names, sees none of them');

$t->done;
done_testing;
