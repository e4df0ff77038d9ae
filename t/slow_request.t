# log.slow_request: a request whose whole time passes it is logged at warn
# in the error log with where the time went (reading the head, access
# checks, connecting upstream, the upstream's first byte, in all), its
# method, uri (escaped), status and request id.  "0s", the default: off.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use Test::More;
use IO::Socket::INET;
use Time::HiRes qw(sleep);

my $t = BouncerTest->new;
my $d = $t->dir;
my ($p, $be, $auth) = ($t->port, $t->port, $t->port);
$t->backend($be, sub {
    my ($q) = @_;
    return { sleep => 0.6, response => [200, [], "slow\n"] } if $q->{path} =~ m{^/slow};
    return [200, [], "fast\n"];
});
$t->backend($auth, sub {
    my ($q) = @_;
    return { sleep => 0.5, response => [401, [], "no\n"] }
        if ($q->{headers}{'x-forwarded-uri'} // '') =~ /deny/;
    return { sleep => 0.5, response => [200, ['X-User' => 'alice'], ''] };
});
my $body = <<C;
upstreams = ( { name = "app"; servers = ( { address = "127.0.0.1:$be"; } ); } );
auth_policies = ( { name = "sso"; forward = { url = "http://127.0.0.1:$auth/verify"; timeout = "5s";
                                              user_header = "X-User"; }; } );
servers = ( { listen = [ "127.0.0.1:$p" ];
  routes = ( { match = { exact = "/local"; }; respond = { status = 200; body = "hi\\n"; }; },
             { match = { prefix = "/checked"; }; auth = "sso"; upstream = "app"; },
             { match = { prefix = "/quoted"; }; upstream = "app";
               rewrite = { regex = "^/quoted(.*)\$"; replace = "/slow\\"\$1"; }; },
             { match = { prefix = "/"; }; upstream = "app"; } ); } );
C
sub with_slow {
    my ($value) = @_;
    my $conf = BouncerTest::slurp("$d/bouncer.conf");
    $conf =~ s/(log = \{)/$1\n  slow_request = "$value";/;
    $t->write_file('bouncer.conf', $conf);
}
$t->config($body);
with_slow('400ms');
$t->start(ports => [$p]);

my $slow_re = qr/\[warn\] \d+: \*\d+ slow request: (\d+)ms, head (\d+)ms, access (\d+)ms, upstream connect (\S+), first byte (\S+), method (\S+), uri "(.*)", status (\d+), request id (\S+), client: 127\.0\.0\.1/;

sub slow_line {
    my ($id) = @_;
    my $line;
    wait_until(sub { ($line) = grep { /request id \Q$id\E,/ } split /\n/, $t->error_log; $line }, 5);
    return $line && $line =~ $slow_re ? { line => $line, total => $1, head => $2, access => $3,
        connect => $4, first => $5, method => $6, uri => $7, status => $8, id => $9 } : undef;
}

# Waits for the access log line of the request with this user agent: the
# request is over, and a slow line, if any, is written before it.
sub logged {
    my ($ua) = @_;
    return wait_until(sub { $t->access_log =~ /"\Q$ua\E"\n/ }, 5);
}

# The upstream is slow to answer.
# (The client cannot send a quote in a target; a rewrite can make one.)
my $r = http_request($p, 'GET', '/quoted/x?q=%22x%22', headers => ['X-Request-Id' => 'rid-slow']);
is($r->{status}, 200, 'a slow upstream answers');
my $s = slow_line('rid-slow');
ok($s, 'a warn line with the timings') or diag($t->error_log);
cmp_ok($s->{total}, '>=', 600, 'total: at least the upstream\'s 600 ms');
cmp_ok($s->{head}, '<', 300, 'the head came at once');
cmp_ok($s->{access}, '<', 300, 'nothing to check');
like($s->{connect}, qr/^\d+ms$/, 'upstream connect in ms');
(my $first = $s->{first}) =~ s/ms$//;
cmp_ok($first, '>=', 600, 'first byte: the upstream\'s wait');
cmp_ok($first, '<=', $s->{total}, '... within the total');
is($s->{method}, 'GET', 'the method');
is($s->{uri}, '/slow\\"/x?q=%22x%22', 'the uri as sent upstream, its quote escaped');
is($s->{status}, 200, 'the status');

# A fast one is not logged.
http_request($p, 'GET', '/fast', headers => ['X-Request-Id' => 'rid-fast', 'User-Agent' => 'fast-ua']);
ok(logged('fast-ua'), 'a fast request is over');
unlike($t->error_log, qr/slow request: .*rid-fast/, '... and not in the error log');

# The time goes to access checks: a forward auth service that takes 500 ms.
$r = http_request($p, 'GET', '/checked/x', headers => ['X-Request-Id' => 'rid-auth']);
is($r->{status}, 200, 'admitted after the auth service answered');
$s = slow_line('rid-auth');
ok($s, 'logged as slow') or diag($t->error_log);
cmp_ok($s->{access}, '>=', 500, 'access: the auth service\'s 500 ms');
(my $fb = $s->{first}) =~ s/ms$//;
cmp_ok($fb, '<', 400, 'the upstream itself was fast');

# Refused in access, after the same wait: the request ends there.
$r = http_request($p, 'GET', '/checked/deny', headers => ['X-Request-Id' => 'rid-deny']);
is($r->{status}, 401, 'refused by the auth service');
$s = slow_line('rid-deny');
ok($s, 'logged as slow') or diag($t->error_log);
cmp_ok($s->{access}, '>=', 500, 'access: the auth service\'s 500 ms');
is($s->{status}, 401, 'with its status');
is($s->{first}, '-', 'no upstream asked');

# The time goes to the head: a client that sends half of it, waits, then the rest.
my $c = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $p) or die "connect: $!";
syswrite $c, "GET /local HTTP/1.1\r\nHost: localhost\r\n";
sleep 0.6;
syswrite $c, "X-Request-Id: rid-head\r\nConnection: close\r\n\r\n";
my $out = read_to_eof($c, 5);
like($out, qr/^HTTP\/1\.1 200/, 'a slow head, then a fixed response');
$s = slow_line('rid-head');
ok($s, 'logged as slow') or diag($t->error_log);
cmp_ok($s->{head}, '>=', 600, 'head: the client\'s 600 ms');
is($s->{connect}, '-', 'no upstream: connect "-"');
is($s->{first}, '-', 'no upstream: first byte "-"');

# Off by default.
$t->stop;
$t->config($body);
$t->start(ports => [$p]);
http_request($p, 'GET', '/slow', headers => ['X-Request-Id' => 'rid-off', 'User-Agent' => 'off-ua']);
ok(logged('off-ua'), 'a slow request with slow_request unset is over');
unlike($t->error_log, qr/slow request: .*rid-off/, '... and not logged as slow');

# A bad value is the config's error.
with_slow('soon');
my ($rc, undef, $err) = $t->cmd('-c', "$d/bouncer.conf", 'check');
isnt($rc, 0, 'slow_request = "soon" fails check');
like($err, qr/log\.slow_request: expected a duration/, '... saying what it expected');

$t->done;
done_testing;
