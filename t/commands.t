# The command line: start (daemonized and in the foreground), status,
# version, check, reload (valid, invalid, unbindable listener, listeners
# added and removed), reopen, quit, stop; the pid file lock; process titles.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use IO::Socket::INET;
use Test::More;

my $t = BouncerTest->new;
my $d = $t->dir;
my ($p, $p2, $be) = ($t->port, $t->port, $t->port);
$t->backend($be, sub { [200, [], "backend\n"] });

sub conf_text {
    my (%o) = @_;
    my $listen = join ', ', map { "\"127.0.0.1:$_\"" } @{ $o{ports} || [$p] };
    my $body = $o{body} // 'respond = { status = 200; body = "one\n"; };';
    return <<C;
upstreams = ( { name = "app"; servers = ( { address = "127.0.0.1:$be"; } ); } );
servers = ( { listen = [ $listen ];
  routes = ( { match = { prefix = "/app"; }; upstream = "app"; },
             { match = { prefix = "/"; }; $body } ); } );
C
}

my ($rc, $out, $err) = $t->cmd('version');
is($rc, 0, 'version exits 0');
like($out, qr/^bouncer version \d+\.\d+\.\d+\n.*OpenSSL.*PCRE2.*libconfig.*\nconfigure arguments:/s, 'version and configure options');

($rc, $out, $err) = $t->cmd('frobnicate');
is($rc, 2, 'unknown command: exit 2');
like($err, qr/unknown command "frobnicate"/, 'and says so');

# status, stop, quit, reload without a running master.
$t->config(conf_text(), workers => 2);
($rc, $out) = $t->cmd('status');
is($rc, 3, 'status with nothing running exits 3');
like($out, qr/bouncer is not running/, 'and says not running');
($rc, $out) = $t->cmd('status', '--json');
is($rc, 3, 'status --json with nothing running exits 3 too');
is($out, qq({"running": false}\n), 'and says so in JSON');
($rc, undef, $err) = $t->cmd('reload');
is($rc, 1, 'reload with nothing running fails');
like($err, qr/not running/, 'and says not running');

# Daemonized start: returns once up; status; then stop.
$t->write_file('daemon.conf', (BouncerTest::slurp("$d/bouncer.conf") =~ s/daemon = false;/daemon = true;/r));
($rc, $out, $err) = $t->cmd('-c', "$d/daemon.conf", 'start');
is($rc, 0, 'start (daemon) exits 0') or diag($err);
ok(-f "$d/bouncer.pid", 'pid file written');
my $mpid = BouncerTest::slurp("$d/bouncer.pid") + 0;
ok($mpid > 0 && kill(0, $mpid), 'the daemon runs') ;
my $r = http_request($p, 'GET', '/');
is($r->{body}, "one\n", 'the daemon serves');
like(BouncerTest::slurp("/proc/$mpid/cmdline"), qr/^bouncer: master process -c \Q$d\E\/daemon\.conf/, 'master process title');
($rc, $out) = $t->cmd('-c', "$d/daemon.conf", 'status');
is($rc, 0, 'status exits 0');
like($out, qr/bouncer is running\npid: $mpid\ngeneration: 1\nuptime: \d+s\nworkers: \d+ \d+\n/, 'status: pid, generation, uptime, workers');
my ($w1) = $out =~ /workers: (\d+)/;
like(BouncerTest::slurp("/proc/$w1/cmdline"), qr/^bouncer: worker process/, 'worker process title');
my $stat = BouncerTest::slurp("/proc/$w1/stat");
like($stat, qr/^\d+ \(bouncer: worker\)/, 'worker comm name');

# A second start is refused while the first holds the pid file.
($rc, undef, $err) = $t->cmd('-c', "$d/daemon.conf", 'start', '--foreground');
is($rc, 1, 'second start refused');
like($err, qr/already running \(pid $mpid/, 'because bouncer is already running');
ok(kill(0, $mpid), 'the first one still runs');

($rc, $out, $err) = $t->cmd('-c', "$d/daemon.conf", 'stop');
is($rc, 0, 'stop exits 0') or diag($err);
ok(wait_until(sub { !kill(0, $mpid) || BouncerTest::slurp("/proc/$mpid/stat") =~ /^\d+ \(.*\) Z/ }, 5),
   'stop returns once the master is gone');
ok(!-e "$d/bouncer.pid", 'pid file removed');
ok(!-e "$d/bouncer.sock", 'control socket removed');

# A stale pid file (a crashed master) does not stop a start.
$t->write_file('bouncer.pid', "999999\n");
$t->start(ports => [$p]);
is(http_request($p, 'GET', '/')->{body}, "one\n", 'started over a stale pid file');
ok(-f "$d/bouncer.conf.last-good", 'last-good config kept beside the pid file');

# Control socket permissions.
my $mode = (stat "$d/bouncer.sock")[2] & 07777;
is(sprintf('%o', $mode), '600', 'control socket is mode 0600');

# Reload with a valid config: new generation, new answer, listener added.
$t->config(conf_text(ports => [$p, $p2], body => 'respond = { status = 200; body = "two\n"; };'), workers => 2);
($rc, $out, $err) = $t->cmd('reload');
is($rc, 0, 'reload exits 0') or diag($err);
like($out, qr/generation 2/, 'reload reports the new generation');
ok(wait_until(sub { (http_request($p, 'GET', '/') // {})->{body} eq "two\n" }), 'new config serves after reload');
is(http_request($p2, 'GET', '/')->{body}, "two\n", 'a listener added by reload answers');
like(BouncerTest::slurp("$d/bouncer.conf.last-good"), qr/two/, 'last-good updated');

# Reload with errors: nothing changes, errors printed, exit non-zero.
$t->config(conf_text(ports => [$p, $p2], body => 'respond = { status = 200; body = "three\n"; }; bogus = 1;'), workers => 2);
($rc, $out, $err) = $t->cmd('reload');
is($rc, 1, 'reload with a bad config exits 1');
like($err, qr/bouncer\.conf:\d+: servers\[0\]\.routes\[1\]\.bogus: unknown setting/, 'and prints the error');
like($err, qr/running configuration is unchanged/, 'and says nothing changed');
is(http_request($p, 'GET', '/')->{body}, "two\n", 'the old config still serves');
($rc, $out) = $t->cmd('status');
like($out, qr/generation: 2/, 'no new generation');

# Reload with a listener that cannot be bound.
my $blocker = IO::Socket::INET->new(Listen => 1, LocalAddr => '127.0.0.1', LocalPort => 0);
my $busy = $blocker->sockport;
$t->config(conf_text(ports => [$p, $busy], body => 'respond = { status = 200; body = "four\n"; };'), workers => 2);
($rc, $out, $err) = $t->cmd('reload');
is($rc, 1, 'reload with an unbindable listener exits 1');
like($err, qr/cannot listen on 127\.0\.0\.1:$busy: bind\(\) failed: Address already in use/, 'and names the address');
is(http_request($p, 'GET', '/')->{body}, "two\n", 'the old config still serves');
is(http_request($p2, 'GET', '/')->{body}, "two\n", 'its listeners stay open');
close $blocker;

# Reload refuses what cannot change while running, and a config that is gone.
my $cur = BouncerTest::slurp("$d/bouncer.conf");
$t->write_file('bouncer.conf', $cur =~ s{pid_file = "[^"]*";}{pid_file = "$d/other.pid";}r);
# (The command would look for the master at the new path: signal it instead.)
kill 'HUP', $t->master_pid;
ok($t->wait_log(qr/\[error\].*pid_file and control_socket cannot change on reload/),
   'reload with a new pid_file is refused, and the log says why');
ok($t->wait_log(qr/reload failed; the running configuration is unchanged/), 'nothing changed');
rename "$d/bouncer.conf", "$d/bouncer.conf.away";
$t->write_file('probe.conf', $cur);
($rc, undef, $err) = $t->cmd('-c', "$d/probe.conf", 'reload');
is($rc, 1, 'reload when the config file is gone fails');
like($err, qr/bouncer\.conf: cannot open: No such file or directory/, 'naming the file');
rename "$d/bouncer.conf.away", "$d/bouncer.conf";
$t->write_file('bouncer.conf', $cur);
is(http_request($p, 'GET', '/')->{body}, "two\n", 'still serving the running config');

# A reload that removes a listener closes it once the old workers are gone.
$t->config(conf_text(ports => [$p], body => 'respond = { status = 200; body = "five\n"; };'), workers => 2);
($rc, undef, $err) = $t->cmd('reload');
is($rc, 0, 'reload removing a listener') or diag($err);
ok(wait_until(sub { !IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $p2) }), 'the removed listener is closed');
is(http_request($p, 'GET', '/')->{body}, "five\n", 'the kept one serves the new config');

# SIGHUP reloads too.
$t->config(conf_text(ports => [$p], body => 'respond = { status = 200; body = "six\n"; };'), workers => 2);
kill 'HUP', $t->master_pid;
ok(wait_until(sub { (http_request($p, 'GET', '/') // {})->{body} eq "six\n" }), 'SIGHUP reloads');

# reopen: logrotate moves the files, reopen makes new ones.
http_request($p, 'GET', '/before-rotate');
rename "$d/access.log", "$d/access.log.1";
rename "$d/error.log", "$d/error.log.1";
($rc, undef, $err) = $t->cmd('reopen');
is($rc, 0, 'reopen exits 0') or diag($err);
ok(wait_until(sub { -f "$d/access.log" && -f "$d/error.log" }), 'new log files created');
ok(wait_until(sub {
    http_request($p, 'GET', '/after-rotate');
    BouncerTest::slurp("$d/access.log") =~ /after-rotate/;
}), 'workers write to the new access log');
unlike(BouncerTest::slurp("$d/access.log"), qr/before-rotate/, 'the old lines stayed in the rotated file');
like(BouncerTest::slurp("$d/access.log.1"), qr/before-rotate/, 'rotated file kept its lines');
kill 'USR1', $t->master_pid;
ok($t->wait_log(qr/logs reopened/), 'SIGUSR1 reopens too');

# quit: graceful; the command returns when the master has exited.
my $master = $t->master_pid;
($rc, undef, $err) = $t->cmd('quit');
is($rc, 0, 'quit exits 0') or diag($err);
ok(wait_until(sub { waitpid($master, 1) == $master || !kill(0, $master) }, 5), 'the master exited');
$t->{pid} = undef;

# Signals: TERM stops.
$t->start(ports => [$p]);
$master = $t->master_pid;
kill 'TERM', $master;
ok(wait_until(sub { waitpid($master, 1) == $master }, 10), 'SIGTERM stops the master');
$t->{pid} = undef;
ok(!-e "$d/bouncer.pid", 'and removes the pid file');

$t->done;
done_testing;
