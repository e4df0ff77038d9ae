# worker/redis.c against a real redis-server, through objs/t/redis_check
# (bouncer's event loop and the module, driven line by line): the script's
# decisions are common/gcra.h's; NOSCRIPT after SCRIPT FLUSH or a restart
# costs one SCRIPT LOAD; AUTH from password_file, a wrong password failing
# with one log line; SELECT; a unix socket; a Redis that stops answering
# fails calls within the timeout and then at once, and the connection comes
# back after it answers again; 10,000 calls in flight on one connection, none
# lost; max_pending.  And the redis group's errors through `bouncer check`.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use RedisServer;
use POSIX qw(:sys_wait_h);
use Test::More;
use Time::HiRes qw(time sleep);

my $root = BouncerTest->root;
my $drv_bin = "$root/objs/t/redis_check";
plan skip_all => 'objs/t/redis_check is not built (make unit builds it)' unless -x $drv_bin;
plan skip_all => 'redis-server is not installed (t/deps.sh installs it)'
    unless RedisServer::binary();

my $t = BouncerTest->new;
my $d = $t->dir;
my $r = RedisServer->new(dir => $d, name => 'r1', port => $t->port);

my $nconf = 0;
sub conf {
    my ($redis) = @_;
    $nconf++;
    return $t->write_file("c$nconf.conf", <<C);
pid_file = "$d/b.pid";
redis = { $redis };
upstreams = ( { name = "app"; servers = ( { address = "127.0.0.1:9"; } ); } );
servers = ( { listen = [ "127.0.0.1:1" ]; routes = ( { match = { prefix = "/"; }; upstream = "app"; } ); } );
C
}

my @drivers;
sub driver {
    my ($conf) = @_;
    my $err = "$d/driver-" . (@drivers + 1) . ".err";
    pipe(my $cr, my $pw) or die;
    pipe(my $pr, my $cw) or die;
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        open STDIN, '<&', $cr or die;
        open STDOUT, '>&', $cw or die;
        open STDERR, '>', $err or die;
        exec $drv_bin, $conf or die "exec: $!";
    }
    close $cr;
    close $cw;
    $pw->autoflush(1);
    my $drv = { pid => $pid, in => $pw, out => $pr, err => $err };
    push @drivers, $drv;
    return $drv;
}

# Sends a command and returns its answer (for seq, every line of it).
sub ask {
    my ($drv, $line) = @_;
    print { $drv->{in} } "$line\n";
    my @lines;
    local $SIG{ALRM} = sub { die "redis_check did not answer \"$line\" within 60 s\n" };
    alarm 60;
    while (defined(my $l = readline $drv->{out})) {
        chomp $l;
        push @lines, $l;
        last unless $line =~ /^seq / && $l !~ /^seq /;
    }
    alarm 0;
    return $line =~ /^seq / ? @lines : $lines[0] // '';
}

sub log_of { BouncerTest::slurp($_[0]{err}) }

sub quit {
    my ($drv) = @_;
    return unless $drv->{pid};
    print { $drv->{in} } "quit\n";
    close $drv->{in};
    waitpid $drv->{pid}, 0;
    is($? >> 8, 0, 'redis_check exits cleanly');
    $drv->{pid} = undef;
}

sub burst {
    my ($drv, @args) = @_;
    my $l = ask($drv, "burst @args");
    my %h = $l =~ /(\w+)=(\S+)/g;
    $h{line} = $l;
    $h{ahead} = [ $h{ahead} eq '-' ? () : split /,/, $h{ahead} ];
    return \%h;
}

# ---- the script's arithmetic is bn_gcra()'s ---------------------------------------

my $one_drv = driver(conf(qq{address = "127.0.0.1:${\ $r->port}";}));
my $base = 1_700_000_000_000_000;
my @cases = (
    [ 'seq1', 100_000, 3, map { $base + $_ } 0, 0, 0, 0, 0, 0, 50_000, 100_000, 100_001, 250_000,
      250_000, 1_000_000, 1_000_000, 1_000_000, 1_000_000, 1_000_000, 1_000_001 ],
    [ 'seq2', 1000, 0, map { $base + $_ } 0, 1, 999, 1000, 1000, 1999, 2000, 5000, 5001, 5002 ],
    [ 'seq3', 60_000_000, 10, map { $base + $_ * 1_000_000 } 0 .. 15, 30, 60, 61, 120, 1000 ],
    [ 'seq4', 1, 0, map { $base + $_ } 0, 0, 1, 1, 2, 10, 10, 11 ],
);
for my $c (@cases) {
    my ($key, $interval, $burst, @nows) = @$c;
    my @out = ask($one_drv, "seq $key $interval $burst @nows");
    my ($m, $x, $tat) = $out[-1] =~ /^seq match=(\d+) mismatch=(\d+) tat=(\d+)/;
    is("$m/$x", scalar(@nows) . '/0', "$key: every decision and number as bn_gcra()'s")
        or diag(join "\n", @out);
    is($r->cmd('GET', "bouncer:rl:$key"), $tat, "$key: the TAT stored is bn_gcra()'s, under bouncer:rl:");
}
# Just past the moment it no longer matters: TAT - now, and a little.
my $pttl = $r->cmd('PTTL', 'bouncer:rl:seq3');
ok($pttl > 59_000 && $pttl <= 60_000 + 100,
   "the key expires when its TAT stops mattering: 60 s on, and a little ($pttl ms)");

# On Redis's clock: a burst of 20 at 1/s, burst 5, in one pipeline.
my $res = burst($one_drv, 'clock', 1_000_000, 5, 20);
is("$res->{ok}/$res->{declined}/$res->{error}/$res->{null}", '6/14/0/0', 'burst 5: 6 of 20 admitted at once')
    or diag($res->{line});
my @ahead = @{ $res->{ahead} };
ok(!grep({ $ahead[$_] > $_ * 1_000_000 || $ahead[$_] < $_ * 1_000_000 - 500_000 } 0 .. $#ahead),
   'each admitted one is an interval further ahead (minus the time passed)') or diag($res->{line});
ok($res->{retry} > 500_000 && $res->{retry} <= 1_000_000, "retry of the first refused: under 1 s ($res->{retry} us)");
my $one = ask($one_drv, 'call clock 1000000 5');
like($one, qr/^declined (\d+)/, 'one more call is refused too');
my $pt = $r->cmd('PTTL', 'bouncer:rl:clock');
ok($pt > 5000 && $pt <= 6000 + 200, "its key lives until its TAT, 6 s on ($pt ms)");
like(ask($one_drv, 'up'), qr/^up 1/, 'bn_redis_up()');

my $stats = $r->commandstats;
cmp_ok($stats->{evalsha} // 0, '>=', 21 + 50, 'INFO commandstats counts the EVALSHAs')
    or diag(explain $stats);

# ---- NOSCRIPT -------------------------------------------------------------------------

my $loads = $stats->{'script|load'} // 0;
is($r->cmd('SCRIPT', 'FLUSH'), 'OK', 'SCRIPT FLUSH');
$res = burst($one_drv, 'flushed', 1_000_000, 100, 50);
is("$res->{ok}/$res->{error}", '50/0', 'after SCRIPT FLUSH the calls still work') or diag($res->{line});
is(($r->commandstats->{'script|load'} // 0) - $loads, 1,
   'one SCRIPT LOAD for the 50 calls that met NOSCRIPT in one pipeline');

# ---- cancel -----------------------------------------------------------------------------

is(ask($one_drv, 'cancel gone 60000000 0'), 'cancelled', 'a call cancelled at once');
like(ask($one_drv, 'call gone 60000000 0'), qr/^declined/,
     'its callback never ran (redis_check exits on that), but Redis made the decision');
unlike(log_of($one_drv), qr/unavailable|alert|crit/, 'nothing logged so far');
quit($one_drv);

# ---- 10,000 in flight on one connection, and max_pending ------------------------------------

my $p = driver(conf(qq{address = "127.0.0.1:${\ $r->port}"; timeout = "30s"; max_pending = 10000;}));
ask($p, 'call warm 1 0');
$res = burst($p, 'many', 1, 0, 10_000);
is("$res->{ok}/$res->{declined}/$res->{error}/$res->{null}", '10000/0/0/0', '10,000 pipelined calls, none lost')
    or diag($res->{line});
my $rate = int(10_000 / ($res->{usec} / 1e6));
diag("10,000 pipelined GCRA calls through one TCP connection: $res->{usec} us, $rate calls/s");
$res = burst($p, 'many', 1, 0, 10_001);
is("$res->{ok}/$res->{error}/$res->{null}", '10000/0/1', 'the 10,001st call in flight fails at once (max_pending)')
    or diag($res->{line});
quit($p);

# ---- a unix socket, SELECT -------------------------------------------------------------------

my $u = driver(conf(qq{address = "unix:${\ $r->socket_path}"; database = 3; timeout = "30s";}));
like(ask($u, 'call sel 1000000 0'), qr/^ok 0/, 'through the unix socket');
$res = burst($u, 'unix', 1, 0, 10_000);
is("$res->{ok}/$res->{error}", '10000/0', '10,000 pipelined through the unix socket') or diag($res->{line});
diag("10,000 pipelined GCRA calls through one unix socket: $res->{usec} us, "
     . int(10_000 / ($res->{usec} / 1e6)) . ' calls/s');
is($r->cmd('SELECT', 3), 'OK', 'SELECT 3 (the test\'s connection)');
is($r->cmd('EXISTS', 'bouncer:rl:sel'), 1, 'the key is in database 3');
is($r->cmd('SELECT', 0), 'OK', 'SELECT 0');
is($r->cmd('EXISTS', 'bouncer:rl:sel'), 0, 'and not in database 0');
quit($u);

# ---- AUTH ---------------------------------------------------------------------------------

my $pw = 'p4ss w0rd:"x"';
my $r2 = RedisServer->new(dir => $d, name => 'r2', port => $t->port, password => $pw);
$t->write_file('pw', "$pw\n");
$t->write_file('wrong', "nope\n");
my $good = driver(conf(qq{address = "127.0.0.1:${\ $r2->port}"; password_file = "$d/pw";}));
like(ask($good, 'call authed 1000000 0'), qr/^ok/, 'AUTH with the password of password_file');
unlike(log_of($good), qr/unavailable/, 'nothing logged');
quit($good);

my $bad = driver(conf(qq{address = "127.0.0.1:${\ $r2->port}"; password_file = "$d/wrong";}));
like(ask($bad, 'call denied 1000000 0'), qr/^error/, 'a wrong password: the call fails');
like(ask($bad, 'call denied 1000000 0'), qr/^(null|error)/, 'and the next') for 1 .. 5;
like(ask($bad, 'up'), qr/^up 0/, 'bn_redis_up() says so');
my @un = log_of($bad) =~ /(\[error\].*unavailable.*)/g;
is(scalar @un, 1, 'logged once') or diag(log_of($bad));
like($un[0] // '', qr/AUTH: (WRONGPASS|ERR)/, 'with why') or diag(log_of($bad));
quit($bad);

my $none = driver(conf(qq{address = "127.0.0.1:${\ $r2->port}";}));
like(ask($none, 'call noauth 1000000 0'), qr/^error/, 'no password where one is needed: the call fails');
like(log_of($none), qr/unavailable: .*NOAUTH/, 'logged with why');
quit($none);
$r2->stop;

# ---- a Redis that stops answering: SIGSTOP ------------------------------------------------------

my $s = driver(conf(qq{address = "127.0.0.1:${\ $r->port}"; timeout = "50ms";}));
like(ask($s, 'call stop 1000 5'), qr/^ok/, 'a call before');
$r->signal('STOP');
my $e = ask($s, 'call stop 1000 5');
my ($ms) = $e =~ /^error ms=([\d.]+)/;
ok(defined $ms && $ms >= 45 && $ms < 1000, "a stopped Redis: BN_ERROR after the timeout ($e)");
my $t0 = time;
my @fast = map { ask($s, 'call stop 1000 5') } 1 .. 20;
my $took = time - $t0;
is(scalar(grep { $_ eq 'null' } @fast), 20, 'while it is down, calls fail at once') or diag("@fast");
ok($took < 0.5, sprintf('20 of them in %.3f s', $took));
$r->signal('CONT');
ok(wait_until(sub { ask($s, 'call stop 1000 5') =~ /^ok/ }, 20), 'after SIGCONT the connection is re-made');
my $log = log_of($s);
my @down = $log =~ /\[error\].*(unavailable.*)/g;
is(scalar @down, 1, 'unavailable logged once') or diag($log);
like($down[0] // '', qr/a call took more than 50ms/, 'with why');
is(scalar(() = $log =~ /\[notice\].* is back/g), 1, 'and back once') or diag($log);
like(ask($s, 'up'), qr/^up 1/, 'bn_redis_up() again');
quit($s);

# ---- killed and restarted, fresh: NOSCRIPT ----------------------------------------------------

my $k = driver(conf(qq{address = "127.0.0.1:${\ $r->port}"; timeout = "200ms";}));
like(ask($k, 'call kill 1000 5'), qr/^ok/, 'a call before');
$r->stop('KILL');
$t0 = time;
like(ask($k, 'call kill 1000 5'), qr/^(error|null)/, 'Redis killed: the call fails');
@fast = map { ask($k, 'call kill 1000 5') } 1 .. 10;
is(scalar(grep { $_ eq 'null' } @fast), 10, 'and the next ones at once') or diag("@fast");
ok(time - $t0 < 1, sprintf('in %.3f s', time - $t0));
$r->start;
ok(wait_until(sub { ask($k, 'call kill 1000 5') =~ /^ok/ }, 20), 'restarted: calls work again');
$stats = $r->commandstats;
is($stats->{'script|load'}, 1, 'the fresh Redis had no script: NOSCRIPT, one SCRIPT LOAD')
    or diag(explain $stats);
$log = log_of($k);
is(scalar(() = $log =~ /\[error\].*unavailable/g), 1, 'unavailable logged once') or diag($log);
is(scalar(() = $log =~ /\[notice\].* is back/g), 1, 'back once') or diag($log);
quit($k);

for my $drv (@drivers) {
    unlike(log_of($drv), qr/(AddressSanitizer|LeakSanitizer|runtime error:|BUG)/,
           "no sanitizer report nor BUG from $drv->{err}");
}

# ---- the redis group's errors -------------------------------------------------------------

sub check_err {
    my ($redis, $re, $name) = @_;
    my $f = conf($redis);
    my ($rc, undef, $err) = $t->cmd('-c', $f, 'check');
    isnt($rc, 0, "$name: check fails");
    like($err, $re, $name);
}
my $cf = qr/c\d+\.conf:2: /;
check_err('address = "127.0.0.1";', qr/${cf}redis\.address: "127\.0\.0\.1": expected "host:port"/, 'address without a port');
check_err('address = "no-such-host.invalid:6379";', qr/${cf}redis\.address: .*no-such-host\.invalid/, 'address that does not resolve');
check_err('timeout = "1s";', qr/${cf}redis\.address: required/, 'address missing');
check_err(qq{address = "127.0.0.1:6379"; password_file = "$d/missing";}, qr/${cf}redis\.password_file: \Q$d\E\/missing: cannot open: No such file/, 'password_file missing');
$t->write_file('empty', "\n");
check_err(qq{address = "127.0.0.1:6379"; password_file = "$d/empty";}, qr/${cf}redis\.password_file: .*empty/, 'password_file empty');
check_err('address = "127.0.0.1:6379"; on_error = "ignore";', qr/${cf}redis\.on_error: unknown value "ignore" \(expected one of: local, allow, deny\)/, 'bad on_error');
check_err('address = "127.0.0.1:6379"; timeout = 0;', qr/${cf}redis\.timeout: expected more than 0/, 'timeout 0');
check_err('address = "127.0.0.1:6379"; databse = 1;', qr/${cf}redis\.databse: unknown setting/, 'unknown setting');
my ($rc, undef, $err) = $t->cmd('-c', conf(qq{address = "127.0.0.1:6379"; password_file = "$d/pw"; database = 2; timeout = "20ms"; on_error = "deny"; max_pending = 100;}), 'check');
is($rc, 0, 'a full redis group passes check') or diag($err);

$r->stop;
done_testing;
