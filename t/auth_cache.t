# Authentication and the cache (RFC 9111 3.5): a request that passed
# authentication counts as carrying Authorization whatever carried the
# credential, stripped or not: its response is stored only when it says
# public, s-maxage or must-revalidate, so one user's answer is never
# another's HIT.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use Test::More;

my $t = BouncerTest->new;
my ($p, $auth, $be) = ($t->port, $t->port, $t->port);
$t->backend($auth, sub {
    my ($q) = @_;
    my ($u) = ($q->{headers}{cookie} // '') =~ /session=(\w+)/;
    return $u ? [200, ['X-User' => $u], ''] : [401, [], 'who?'];
});
$t->backend($be, sub {
    my ($q) = @_;
    my $cc = $q->{path} =~ /public/ ? 'public, max-age=60'
           : $q->{path} =~ /smax/ ? 's-maxage=60'
           : $q->{path} =~ /mustrev/ ? 'max-age=60, must-revalidate' : 'max-age=60';
    return [200, ['Cache-Control' => $cc, 'Content-Type' => 'text/plain'],
            'for ' . ($q->{headers}{'x-user'} // 'nobody')];
});
my $d = $t->dir;
$t->config(<<C);
cache_zones = ( { name = "c"; path = "$d/cache"; } );
upstreams = ( { name = "app"; servers = ( { address = "127.0.0.1:$be"; } ); } );
auth_policies = ( { name = "sso";
  forward = { url = "http://127.0.0.1:$auth/check"; pass_headers = [ "Cookie" ]; copy_headers = [ "X-User" ];
              user_header = "X-User"; }; } );
servers = ( { listen = [ "127.0.0.1:$p" ];
  routes = ( { match = { prefix = "/"; }; auth = "sso"; strip_credentials = true; upstream = "app";
               cache = { zone = "c"; }; } ); } );
C
$t->start(ports => [$p]);

sub get { http_request($p, 'GET', $_[0], headers => [Cookie => "session=$_[1]"]) }

my $r = get('/private', 'alice');
is($r->{body}, 'for alice', "alice gets her page");
$r = get('/private', 'bob');
is($r->{body}, 'for bob', "bob gets his, not alice's: max-age alone is not stored for an authenticated request");
isnt($r->{headers}{'x-cache-status'} // '', 'HIT', '... and it is no HIT');
$r = get('/private', 'alice');
is($r->{body}, 'for alice', "alice again: still her own");
isnt($r->{headers}{'x-cache-status'} // '', 'HIT', '... not from the cache');

for my $path ('/public', '/smax', '/mustrev') {
    get($path, 'alice');
    $r = get($path, 'bob');
    is($r->{headers}{"x-cache-status"}, "HIT", "$path: the response says it may be shared: a HIT") or diag(explain $r);
    is($r->{body}, 'for alice', "$path: ... as the backend allowed");
}
$r = http_request($p, 'GET', '/public');
is($r->{status}, 401, 'an unauthenticated request gets no HIT either');

$t->done;
done_testing;
