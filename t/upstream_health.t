# Active health checks from the helper process (one prober, not one per
# worker), shared verdicts that survive a reload, 502 at once when every
# server is down, passive recovery through one trial request, slow_start,
# and zero client errors while a backend is stopped under load.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use Test::More;
use Time::HiRes qw(time sleep);
use POSIX ();

my $t = BouncerTest->new;
my $d = $t->dir;
my ($p, $a, $b, $c, $e, $f, $g) = map { $t->port } 1 .. 7;

# /healthz answers 500 while the flag file of that backend exists.
sub handler {
    my ($port) = @_;
    return sub {
        my ($req) = @_;
        if ($req->{path} eq '/healthz') {
            return [-e "$d/sick-$port" ? 500 : 200, [], 'health'];
        }
        return [200, [], $port];
    };
}
$t->backend($_, handler($_)) for $a, $b, $e, $f;
$t->backend($c, sub { [$_[0]{path} eq '/healthz' ? 503 : 200, [], 'c'] });
$t->config(<<C, workers => 2);
upstreams = (
  { name = "app"; health_check = { path = "/healthz"; interval = "200ms"; timeout = "500ms"; fails = 2; passes = 2; };
    servers = ( { address = "127.0.0.1:$a"; }, { address = "127.0.0.1:$b"; } ); },
  { name = "lone"; health_check = { path = "/healthz"; interval = "200ms"; fails = 1; expect = [ "2xx" ]; };
    servers = ( { address = "127.0.0.1:$c"; } ); },
  { name = "ramp"; servers = ( { address = "127.0.0.1:$e"; },
                               { address = "127.0.0.1:$g"; max_fails = 1; fail_timeout = "1s"; slow_start = "3s"; } ); },
  { name = "load"; retries = 2; servers = ( { address = "127.0.0.1:$e"; }, { address = "127.0.0.1:$f"; } ); }
);
servers = ( { listen = [ "127.0.0.1:$p" ];
  routes = ( { match = { prefix = "/lone"; }; upstream = "lone"; },
             { match = { prefix = "/ramp"; }; upstream = "ramp"; },
             { match = { prefix = "/load"; }; upstream = "load"; },
             { match = { prefix = "/"; }; upstream = "app"; } ); } );
C
$t->start(ports => [$p]);

my ($rc, $out) = $t->cmd('status');
like($out, qr/\d+\(helper\)/, 'status lists the helper process');

sub probes_of {
    my ($port) = @_;
    return scalar grep { $_->{path} eq '/healthz' } $t->backend_requests($port);
}
sub served_by {
    my ($port) = @_;
    return scalar grep { $_->{path} ne '/healthz' } $t->backend_requests($port);
}

# One prober for two workers: about one probe per interval, not two.
ok(wait_until(sub { probes_of($a) >= 1 }, 5), 'the helper probes the servers');
my $n0 = probes_of($a);
my $t0 = time;
sleep 1.2;
my $rate = (probes_of($a) - $n0) / (time - $t0);
cmp_ok($rate, '<=', 7.5, sprintf('one probe per 200ms interval, not one per worker (%.1f/s)', $rate));

# A failing check takes a server out after `fails` failures, logged once.
open my $fh, '>', "$d/sick-$b" or die;
close $fh;
ok($t->wait_log(qr/\[notice\].*upstream server 127\.0\.0\.1:$b of "app" is down: 2 health checks failed, the last: status 500/), 'down after two failed checks, at notice');
my $before = served_by($b);
my %seen;
$seen{ http_request($p, 'GET', '/x')->{body} }++ for 1 .. 20;
is_deeply([ keys %seen ], [ $a ], 'while down, every request goes to the healthy server');
is(served_by($b), $before, 'the checked-down server got no request');

# The verdict is shared memory: a reload keeps it.
($rc, undef, my $err) = $t->cmd('reload');
is($rc, 0, 'reload') or diag($err);
%seen = ();
$seen{ http_request($p, 'GET', '/x')->{body} }++ for 1 .. 10;
is_deeply([ keys %seen ], [ $a ], 'right after the reload the server is still known to be down');

unlink "$d/sick-$b";
ok($t->wait_log(qr/\[notice\].*upstream server 127\.0\.0\.1:$b of "app" is up: 2 health checks passed/), 'up again after two passing checks');
%seen = ();
$seen{ http_request($p, 'GET', '/x')->{body} }++ for 1 .. 10;
ok($seen{$b}, 'and it takes requests again');
my @down_lines = $t->error_log =~ /of "app" is down:/g;
is(scalar @down_lines, 1, 'going down was logged once (by one prober, not per worker)');

# Every server down: 502 at once, and the log says why.
ok($t->wait_log(qr/upstream server 127\.0\.0\.1:$c of "lone" is down: 1 health check failed, the last: status 503/), 'the lone server fails its check (503 is not in expect)');
$t0 = time;
my $r = http_request($p, 'GET', '/lone');
is($r->{status}, 502, 'every server down: 502');
cmp_ok(time - $t0, '<', 2, 'at once, without waiting on a timeout');
like($t->error_log, qr/no live upstreams: every server is down/, 'the error log says why');

# Passive recovery: a dead server is tried again after fail_timeout by one
# trial request, comes back logged, and ramps up under slow_start.
http_request($p, 'GET', '/ramp') for 1 .. 4;
ok($t->wait_log(qr/upstream server 127\.0\.0\.1:$g of "ramp" is down: 1 failure/), 'the dead ramp server is marked down');
$t->backend($g, handler($g));
sleep 1.2;
http_request($p, 'GET', '/ramp') for 1 .. 4;
ok($t->wait_log(qr/upstream server 127\.0\.0\.1:$g of "ramp" is up again/), 'a trial request brings it back, logged');
my $g_before = served_by($g);
http_request($p, 'GET', '/ramp') for 1 .. 30;
my $g_got = served_by($g) - $g_before;
cmp_ok($g_got, '<', 12, "slow_start: the recovered server gets a small share at first ($g_got of 30)");
sleep 3.2;
$g_before = served_by($g);
http_request($p, 'GET', '/ramp') for 1 .. 30;
$g_got = served_by($g) - $g_before;
cmp_ok($g_got, '>=', 10, "...and its full share once slow_start has passed ($g_got of 30)");

# A backend stopped under load: the clients see no error.
my @kids;
for my $k (1 .. 4) {
    my $pid = fork // die;
    if ($pid == 0) {
        my $bad = 0;
        my $end = time + 2.5;
        while (time < $end) {
            my $res = http_request($p, 'GET', "/load/$k");
            $bad++ unless $res && $res->{status} == 200;
        }
        open my $o, '>', "$d/load-$k" or die;
        print $o $bad;
        close $o;
        POSIX::_exit(0);
    }
    push @kids, $pid;
}
sleep 0.8;
$t->stop_backend($f);
waitpid $_, 0 for @kids;
my $errors = 0;
$errors += BouncerTest::slurp("$d/load-$_") for 1 .. 4;
ok(served_by($f) > 0, 'the stopped backend had taken part of the load');
is($errors, 0, 'a backend stopped under load: zero client errors');

$t->done;
done_testing;
