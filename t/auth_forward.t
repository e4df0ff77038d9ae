# Forward authentication: every request asks a real auth service first
# (parked while it answers), on a keep-alive pool of its own.  2xx admits
# and copies headers, 401/403 go back as the service sent them, anything
# else or no answer in time is a 503, and a backend never sees a request
# the service did not admit.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use Test::More;
use IO::Socket::INET;

my $t = BouncerTest->new;
my ($p, $auth, $be, $down) = ($t->port, $t->port, $t->port, $t->port);
$t->backend($auth, sub {
    my ($q) = @_;
    my $a = $q->{headers}{authorization} // '';
    my $uri = $q->{headers}{'x-forwarded-uri'} // '';
    # A service that lets its own network, or one host name, in without a login.
    return [200, ['X-User' => 'inside'], ''] if $uri =~ m{^/kept/inside}
        && (($q->{headers}{'x-forwarded-for'} // '') =~ /^10\./
            || ($q->{headers}{'x-forwarded-host'} // '') eq 'intranet.test');
    return [401, ['WWW-Authenticate' => 'Bearer realm="sso"', 'Content-Type' => 'text/plain',
                  'X-Login' => 'https://login.example/'], 'login please'] if $a eq '';
    return { sleep => 3, response => [200, [], ''] } if $a eq 'Bearer slow';
    return [302, ['Location' => '/elsewhere'], ''] if $a eq 'Bearer weird';
    return { close => 1 } if $a eq 'Bearer close';
    return { raw => "garbage\r\n\r\n", then_close => 1 } if $a eq 'Bearer garbage';
    return [500, [], 'oops'] if $a eq 'Bearer broken';
    return [403, ['Content-Type' => 'text/plain', 'X-Reason' => 'not admin'], 'admins only']
        if $a eq 'Bearer good' && $uri =~ m{^/admin};
    return [200, ['X-User' => 'alice', 'X-Roles' => 'reader', 'X-Other' => 'not copied'], '']
        if $a eq 'Bearer good';
    return [200, ['X-User' => "evil\x01injected"], ''] if $a eq 'Bearer ctl';
    # Short lines, bare LF: each grows by two bytes when written again.
    return { raw => "HTTP/1.1 401\nContent-Type:text/plain\n" . join('', map { "a$_:$_\n" } 10 .. 70)
                    . "Content-Length:4\n\nnope" } if $a eq 'Bearer terse';
    return [401, [], 'bad token'];
});
$t->backend($be);
$t->config(<<C, workers => 2);
upstreams = ( { name = "app"; servers = ( { address = "127.0.0.1:$be"; } ); } );
auth_policies = (
  { name = "sso";
    forward = { url = "http://127.0.0.1:$auth/verify?from=bouncer"; timeout = "1s";
                copy_headers = [ "X-User", "X-Roles" ]; user_header = "X-User"; }; },
  { name = "kept";
    forward = { url = "http://127.0.0.1:$auth/kept"; cache = "30s"; user_header = "X-User"; }; },
  { name = "gone";
    forward = { url = "http://127.0.0.1:$down/verify"; }; }
);
servers = (
  { listen = [ "127.0.0.1:$p" ]; auth = "sso"; real_ip = { from = [ "127.0.0.0/8" ]; };
    routes = ( { match = { prefix = "/public"; }; auth = "off"; upstream = "app"; },
               { match = { prefix = "/kept"; }; auth = "kept"; upstream = "app"; },
               { match = { prefix = "/down"; }; auth = "gone"; upstream = "app"; },
               { match = { prefix = "/"; }; upstream = "app";
                 request_headers = { set = [ "X-Auth-Seen: \$auth_user/\$auth_method" ]; }; } ); }
);
C
$t->start(ports => [$p]);

sub req { http_request($p, 'GET', $_[0], headers => [ @_[1 .. $#_] ]) }
sub be_count { scalar $t->backend_requests($be) }
sub auth_reqs { [ $t->backend_requests($auth) ] }

my $r = req('/x?a=1', Authorization => 'Bearer good', 'X-User' => 'mallory', 'X-Roles' => 'admin');
is($r->{status}, 200, 'a 2xx from the service admits');
my $echo = eval { BouncerTest::decode_json($r->{body}) } || {};
is($echo->{headers}{'x-user'}, 'alice', "copy_headers: the service's X-User, not the client's");
is($echo->{headers}{'x-roles'}, 'reader', "... and X-Roles");
ok(!exists $echo->{headers}{'x-other'}, 'a header not in copy_headers is not copied');
is($echo->{headers}{authorization}, 'Bearer good', 'the credential goes on (strip_credentials is off)');
is($echo->{headers}{'x-auth-seen'}, 'alice/forward', '$auth_user and $auth_method');
my $q = auth_reqs()->[-1];
is($q->{method}, 'GET', 'the question is a GET');
is($q->{path}, '/verify?from=bouncer', "to the url's path and query");
is($q->{headers}{'x-forwarded-method'}, 'GET', 'X-Forwarded-Method');
is($q->{headers}{'x-forwarded-uri'}, '/x?a=1', 'X-Forwarded-Uri: the target as received');
is($q->{headers}{'x-forwarded-for'}, '127.0.0.1', 'X-Forwarded-For: the client');
is($q->{headers}{authorization}, 'Bearer good', 'pass_headers: Authorization');
ok(!exists $q->{headers}{'x-user'}, 'headers not in pass_headers stay with the request');
is($q->{body}, '', 'no body goes to the service');

my $before = be_count();
$r = req('/x');
is($r->{status}, 401, "no credential: the service's 401");
is($r->{headers}{'www-authenticate'}, 'Bearer realm="sso"', "... with its challenge");
is($r->{headers}{'x-login'}, 'https://login.example/', '... its other headers');
is($r->{body}, 'login please', '... and its body');
is($r->{headers}{'content-type'}, 'text/plain', '... and content type');

$r = req('/admin/panel', Authorization => 'Bearer good');
is($r->{status}, 403, "the service decides by path: its 403");
is($r->{headers}{'x-reason'}, 'not admin', "... with its headers");
is($r->{body}, 'admins only', '... and body');

for my $case (['Bearer slow', 'no answer within timeout'], ['Bearer weird', 'a 3xx'],
              ['Bearer close', 'a close without answer'], ['Bearer garbage', 'a malformed answer'],
              ['Bearer broken', 'a 500']) {
    $r = req('/x', Authorization => $case->[0]);
    is($r && $r->{status}, 503, "$case->[1] from the service: 503");
}
$r = req('/x', Authorization => 'Bearer ctl');
is($r->{status}, 503, 'an answer with a control character in a header value is malformed: 503');

$r = req('/x', Authorization => 'Bearer terse');
is($r->{status}, 401, "a 401 of many short header lines ending in bare LF goes back");
is($r->{headers}{'content-type'}, 'text/plain', '... with its content type');
is_deeply([ grep { /^a\d/ } @{ $r->{header_lines} } ], [ map { "a$_: $_" } 10 .. 70 ],
          '... and every line as the service sent it, each on its own');
is($r->{body}, 'nope', '... and its body');

$r = req('/down/x', Authorization => 'Bearer good');
is($r->{status}, 503, 'an auth service that refuses connections: 503');
is(be_count(), $before, 'the backend saw none of the refused requests');

my $n = @{ auth_reqs() };
$r = req('/public/x');
is($r->{status}, 200, 'auth = "off" on a route turns the inherited policy off');
is(scalar @{ auth_reqs() }, $n, '... and the service is not asked');

# Keep-alive: questions reuse the pool's connections.
req('/k', Authorization => 'Bearer good') for 1 .. 5;
my @last = @{ auth_reqs() }[-5 .. -1];
my %conns = map { $_->{conn} => 1 } @last;
cmp_ok(scalar keys %conns, '<', 5, 'the service sees fewer connections than questions');

# A client that goes while its request waits for the service.
$before = be_count();
my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $p) or die;
print $s "GET /gone HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer slow\r\n\r\n";
select undef, undef, undef, 0.3;
close $s;
ok(wait_until(sub { $t->access_log =~ m{"GET /gone HTTP/1.1" 499 } }),
   'a client gone while parked is logged with 499');
select undef, undef, undef, 3.2; # the service's answer comes after 3 s
is(be_count(), $before, '... and its request never reaches the backend');
$r = req('/x', Authorization => 'Bearer good');
is($r->{status}, 200, 'the worker goes on serving');
like($t->access_log, qr/^127\.0\.0\.1 - alice \[/m, 'the access log names the user');

# forward.cache: answers kept in shared memory, for every worker.
sub asked { scalar grep { $_->{path} eq '/kept' } @{ auth_reqs() } }
my $a0 = asked();
my @st = map { req('/kept/a', Authorization => 'Bearer good')->{status} } 1 .. 6;
is("@st", '200 200 200 200 200 200', 'kept: six requests admitted');
is(asked() - $a0, 1, '... and the service asked once, whichever worker answered');
req('/kept/b', Authorization => 'Bearer good');
is(asked() - $a0, 2, 'another URI is asked about again');
req('/kept/a', Authorization => 'Bearer other');
is(asked() - $a0, 3, 'another credential is asked about again');
req('/kept/a?x=1', Authorization => 'Bearer good');
is(asked() - $a0, 4, 'the query is part of the URI');
$r = req('/kept/a');
is($r->{status}, 401, 'no credential on a kept route: 401');
$r = req('/kept/a');
is($r->{status}, 401, '... kept too');
is($r->{body}, 'login please', '... with the body');
is(asked() - $a0, 5, '... asked once');
$r = http_request($p, 'POST', '/kept/a', headers => [Authorization => 'Bearer good'], body => 'x');
is(asked() - $a0, 6, 'another method is asked about again');

# The question tells the service who asks and by what name: its answer for
# one client, or one host, is not another's.
sub inside { my ($host, @h) = @_; http_request($p, 'GET', '/kept/inside', host => $host, headers => \@h)->{status} }
is(inside('localhost', 'X-Forwarded-For' => '10.1.2.3'), 200, 'kept: the service lets 10.1.2.3 in without a login');
is(inside('localhost', 'X-Forwarded-For' => '10.1.2.3'), 200, '... again, from the cache');
is(asked() - $a0, 7, '... asked once');
is(inside('localhost', 'X-Forwarded-For' => '203.0.113.9'), 401, 'another client address is asked about again: 401');
is(inside('intranet.test'), 200, 'the service lets the host intranet.test in');
is(inside('localhost'), 401, 'another host is asked about again: 401');
is(asked() - $a0, 10, '... each of them asked');

$t->done;
done_testing;
