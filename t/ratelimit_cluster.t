# scope = "cluster": one budget for two bouncer instances through a real
# redis-server.  Traffic split 90/10 between them: together they admit
# within 15% of the budget (not twice it, not half each); Redis runs the
# script; Redis killed mid-run: each on_error does what it says; Redis
# back, fresh (NOSCRIPT): the cluster budget holds again.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use RedisServer;
use Test::More;
use Time::HiRes qw(time sleep);
use POSIX ();

plan skip_all => 'redis-server is not installed' unless RedisServer::binary();

my $t1 = BouncerTest->new;
my $t2 = BouncerTest->new;
my $rport = $t1->port;
my $redis = RedisServer->new(dir => $t1->dir, port => $rport);
my ($p1, $p2) = ($t1->port, $t2->port);
sub conf {
    my ($port, $on_error) = @_;
    return <<C;
redis = { address = "127.0.0.1:$rport"; timeout = "200ms"; on_error = "$on_error"; };
rate_limits = ( { name = "fleet"; key = "\$http_x_tenant"; rate = "20r/s"; burst = 5; scope = "cluster"; },
                { name = "fleet_slow"; key = "\$http_x_tenant"; rate = "1r/m"; burst = 1; scope = "cluster"; } );
servers = ( { listen = [ "127.0.0.1:$port" ];
  routes = ( { match = { prefix = "/slow"; }; rate_limit = "fleet_slow"; respond = { status = 200; body = "ok"; }; },
             { match = { prefix = "/"; }; rate_limit = "fleet"; respond = { status = 200; body = "ok"; }; } ); } );
C
}
$t1->config(conf($p1, 'local'), workers => 2);
$t2->config(conf($p2, 'local'), workers => 2);
$t1->start(ports => [$p1]);
$t2->start(ports => [$p2]);

sub st { my ($p, $path, $tenant) = @_; my $r = http_request($p, 'GET', $path, headers => ['X-Tenant' => $tenant]); $r ? $r->{status} : 0 }

# 4 clients for 3 s, 90% of requests to the first instance.
my $start = time;
my @kids;
for my $k (1 .. 4) {
    my $pid = fork // die;
    if ($pid == 0) {
        srand($$);
        my %ok = (1 => 0, 2 => 0);
        my $sent = 0;
        while (time - $start < 3) {
            my $which = rand() < 0.9 ? 1 : 2;
            $ok{$which}++ if st($which == 1 ? $p1 : $p2, '/x', 'acme') == 200;
            $sent++;
        }
        open my $f, '>', $t1->dir . "/c-$k"; print $f "$ok{1} $ok{2} $sent\n"; close $f;
        POSIX::_exit(0);
    }
    push @kids, $pid;
}
waitpid $_, 0 for @kids;
my $elapsed = time - $start;
my ($a1, $a2, $sent) = (0, 0, 0);
for (1 .. 4) {
    my ($x, $y, $z) = split ' ', BouncerTest::slurp($t1->dir . "/c-$_");
    $a1 += $x; $a2 += $y; $sent += $z;
}
my $budget = 20 * $elapsed + 5;
my $total = $a1 + $a2;
cmp_ok(abs($total - $budget) / $budget, '<', 0.15,
       sprintf('two instances together admit within 15%% of the budget: %d for %.0f (%d + %d)', $total, $budget, $a1, $a2));
cmp_ok($a2, '<', $total * 0.3, '... the one with 10% of the traffic admitted about its share, not half');
# Every decision is Redis's: as many script runs as requests, give or take
# the ones a worker's cached verdict answered.  (How many requests that is
# depends on the client: over HTTP/2 the python client sends far fewer.)
cmp_ok($redis->commandstats->{evalsha} // 0, '>', $sent / 2,
       "Redis ran the script (INFO commandstats evalsha) for most of the $sent requests")
    or diag("evalsha: " . ($redis->commandstats->{evalsha} // 0));

# Redis killed: on_error = "local" limits on each host alone.
$redis->stop('KILL');
my @s = map { st($p1, '/slow', 'beta') } 1 .. 4;
is("@s", '200 200 429 429', 'on_error = "local": this host enforces the rule on its own');
ok($t1->wait_log(qr/\[error\].*redis 127\.0\.0\.1:$rport unavailable/), 'Redis going is logged');
my $lines = () = $t1->error_log =~ /redis .* unavailable/g;
cmp_ok($lines, '<=', 2, "... once (a line per worker at most: $lines)");

my ($rc) = $t1->reload_config(conf($p1, 'allow'), workers => 2);
is($rc, 0, 'reload to on_error = "allow"');
@s = map { st($p1, '/slow', 'gamma') } 1 .. 4;
is("@s", '200 200 200 200', 'on_error = "allow": no limit while Redis is gone');
($rc) = $t1->reload_config(conf($p1, 'deny'), workers => 2);
@s = map { st($p1, '/slow', 'delta') } 1 .. 2;
is("@s", '503 503', 'on_error = "deny": 503');

# Redis back, a fresh instance: NOSCRIPT, the script loaded again, the budget holds.
$redis->start;
($rc) = $t1->reload_config(conf($p1, 'local'), workers => 2);
# The second instance was never reloaded: its workers find Redis again on
# their own, after their back-off (at most 5 s), as traffic comes.
ok(wait_until(sub { st($p2, '/x', 'poke'); (() = $t2->error_log =~ /redis 127\.0\.0\.1:$rport is back/g) >= 1 }, 20),
   'Redis back: the other instance finds it again on its own, and says so')
    or diag(join "\n", grep { /redis/ } split /\n/, $t2->error_log);
@s = map { st($_ % 2 ? $p1 : $p2, '/slow', 'epsilon') } 1 .. 4;
is("@s", '200 200 429 429', '... and one cluster budget holds again across both instances');
cmp_ok($redis->commandstats->{'script|load'} // 0, '>=', 1, 'the script was loaded into the fresh Redis');

$t1->done;
$t2->done;
$redis->stop;
done_testing;
