# bouncer upgrade (and SIGUSR2): the running master starts the binary it
# was started from as a new master on the same listening sockets; once the
# new workers accept, the old master's workers drain and it exits.  Under a
# steady load of new and keep-alive connections no request fails; the pid
# file, the control socket and systemd's MAINPID move to the new master; a
# request in flight on the old workers completes.  A binary that fails, a
# bad config and a new master that never serves leave the old one serving,
# and `bouncer upgrade` says why; upgrades chain.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use File::Copy qw(copy);
use IO::Socket::INET;
use POSIX qw(:sys_wait_h);
use Test::More;
use Time::HiRes qw(sleep);

my $t = BouncerTest->new(subreaper => 1);
my ($p, $be) = ($t->port, $t->port);
my $d = $t->dir;

# The binary runs from a copy in the test's folder, so that the test can
# put something else at its path, as `make install` would.
my $bin = $t->bin;
copy($bin, "$d/bouncer") or die "copy: $!";
chmod 0755, "$d/bouncer";
sub put_binary {
    my ($script) = @_;
    unlink "$d/bouncer";
    if (defined $script) {
        $t->write_file("bouncer", $script);
        chmod 0755, "$d/bouncer";
    } else {
        copy($bin, "$d/bouncer") or die "copy: $!";
        chmod 0755, "$d/bouncer";
    }
}

# /slow waits until the test releases it: a request in flight across the
# upgrade, on an old worker.
$t->backend($be, sub {
    my ($req) = @_;
    if ($req->{path} eq '/slow') {
        sleep 0.05 until -e "$d/release";
        return [200, [], 'slow done'];
    }
    return [200, [], 'ok'];
});
my $conf = <<C;
upgrade_timeout = "3s";
upstreams = ( { name = "app"; servers = ( { address = "127.0.0.1:$be"; } ); } );
servers = ( { listen = [ "127.0.0.1:$p" ]; routes = ( { match = { prefix = "/"; }; upstream = "app"; } ); } );
C
$t->config($conf, workers => 2);

my $notify = $t->notify_socket("$d/notify.sock");
my @got;
sub messages { @got = $notify->messages }

{
    local $ENV{NOTIFY_SOCKET} = "$d/notify.sock";
    $t->set_bin("$d/bouncer");
    $t->start(ports => [$p]);
    $t->set_bin($bin); # the commands run from the build, whatever is put there
}
my $old = $t->master_pid;
ok(wait_until(sub { grep { $_->{READY} } messages() }, 10), 'READY=1 from the first master');

sub pid_file { my $s = BouncerTest::slurp("$d/bouncer.pid"); chomp $s; $s }
sub status_pid {
    my ($rc, $out) = $t->cmd('status');
    return $rc == 0 && $out =~ /^pid: (\d+)$/m ? $1 : 0;
}
# The descriptors of a master, by what they are (the test's own inherited
# ones aside): an upgraded master holds what a started one does.
sub fd_kinds {
    my ($pid) = @_;
    my @k;
    for my $f (glob "/proc/$pid/fd/*") {
        my $l = readlink($f) // next;
        $l =~ s/\[\d+\]$//;
        push @k, $l;
    }
    return join ' ', sort @k;
}
my $fds_at_start = fd_kinds($old);

# ---- the load: new connections and keep-alive ones, counting failures ----

sub start_load {
    my ($name) = @_;
    my $pid = fork // die "fork: $!";
    return $pid if $pid;
    my ($ok, $fail, $n, @why) = (0, 0, 0);
    my $ka;
    local $SIG{TERM} = sub {
        open my $f, '>', "$d/$name.result" or die;
        print $f "$ok $fail\n", map { "$_\n" } @why[0 .. ($#why < 9 ? $#why : 9)];
        close $f;
        POSIX::_exit(0);
    };
    while (1) {
        $n++;
        my $keepalive = $n % 2;
        my $s = $keepalive && $ka ? $ka : IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                                                PeerPort => $p, Timeout => 5);
        if (!$s) {
            $fail++;
            push @why, "connect: $!";
            next;
        }
        my $req = "GET /n$n HTTP/1.1\r\nHost: x\r\n" . ($keepalive ? '' : "Connection: close\r\n")
            . "\r\n";
        my $buf = '';
        my $sent = syswrite($s, $req);
        my $res;
        while (defined $sent) {
            my $rin = '';
            vec($rin, fileno($s), 1) = 1;
            last unless select($rin, undef, undef, 10);
            my $r = sysread($s, $buf, 65536, length $buf);
            last if !$r;
            $res = parse_response($buf);
            last if $res && length($res->{body}) >= ($res->{headers}{'content-length'} // 0);
            $res = undef;
        }
        if ($res && $res->{status} == 200 && $res->{body} eq 'ok') {
            $ok++;
        } else {
            $fail++;
            push @why, "request $n (" . ($keepalive ? 'keep-alive' : 'new') . "): "
                . ($res ? "status $res->{status}" : "no response: $!");
        }
        # A draining worker answers "Connection: close": a new connection
        # next time, as any client does.
        if ($keepalive && $res && ($res->{headers}{connection} // '') !~ /close/i) {
            $ka = $s;
        } else {
            close $s;
            $ka = undef if $keepalive;
        }
        sleep 0.002; # steady, not flat out: the host runs other tests
        if ($n % 20 == 0) {
            open my $f, '>', "$d/$name.progress.tmp" or die;
            print $f $ok;
            close $f;
            rename "$d/$name.progress.tmp", "$d/$name.progress";
        }
    }
}
sub load_ok { my $s = BouncerTest::slurp("$d/$_[0].progress"); $s eq '' ? 0 : $s }
sub stop_load {
    my ($pid, $name) = @_;
    kill 'TERM', $pid;
    waitpid $pid, 0;
    my ($line, @why) = split /\n/, BouncerTest::slurp("$d/$name.result");
    my ($ok, $fail) = split / /, $line // '0 0';
    return ($ok, $fail, @why);
}

# ---- upgrade under load, with a request in flight ----

my $slow = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $p) or die "connect: $!";
syswrite $slow, "GET /slow HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
ok(wait_until(sub { grep { $_->{path} eq '/slow' } $t->backend_requests($be) }, 10),
   'a slow request is in flight');

my $load = start_load('load1');
ok(wait_until(sub { load_ok('load1') >= 100 }, 30), 'the load runs');
my $before = load_ok('load1');
my (undef, $history_before) = $t->cmd('history');
my ($rc, $out, $err) = $t->cmd('upgrade');
is($rc, 0, 'bouncer upgrade succeeds') or diag($err);
my ($new) = $out =~ /^upgraded: pid (\d+), bouncer \S+ \(was pid $old, bouncer \S+\)$/m;
ok($new && $new != $old, 'and names the new master and the old one') or diag($out);
$new //= 0;
like($out, qr/\Astarted "[^"]+" as pid $new\nupgraded: [^\n]*\n\z/,
     'two lines: the binary started and its pid, then the upgrade (as the README shows)');
# The config history carries over: the same entries, the same one running.
# The new master loaded the same config again: the entry may say when
# (not within the second it first loaded).
my (undef, $history_after) = $t->cmd('history');
like($history_before, qr/^\s+0\s+1\s.*running$/m, 'before: the history has the running entry');
(my $history_same = $history_after) =~ s/; loaded again [\d-]+ [\d:]+$//mg;
is($history_same, $history_before, 'after: the history is the same, kept by the new master');
ok(wait_until(sub { load_ok('load1') >= $before + 200 }, 30), 'the load goes on after it');
my ($ok, $fail, @why) = stop_load($load, 'load1');
cmp_ok($ok, '>=', 300, "$ok requests served across the upgrade");
is($fail, 0, 'none refused, reset or failed') or diag(join "\n", @why);

is(pid_file(), $new, 'the pid file names the new master');
is(status_pid(), $new, 'bouncer status answers from the new master');
($rc, $out) = $t->cmd('status');
like($out, qr/^version: \S+$/m, 'and says its version');
ok(kill(0, $old) && waitpid($old, WNOHANG) == 0,
   'the old master waits for its worker with the request in flight');

$t->write_file('release', '');
my $res = parse_response(read_to_eof($slow, 15));
ok($res && $res->{status} == 200 && $res->{body} eq 'slow done',
   'the request in flight completes on the old worker');
ok(wait_until(sub { waitpid($old, WNOHANG) == $old }, 20), 'then the old master exits');
is($? >> 8, 0, 'with status 0');
$t->set_master_pid($new);
ok(wait_until(sub { $t->worker_pids == 2 }, 10), 'the new master has its 2 workers');
is(http_request($p, 'GET', '/')->{body}, 'ok', 'and serves');
ok(-S "$d/bouncer.sock" && !-e "$d/bouncer.sock.new", 'the control socket is at its path');
is(fd_kinds($new), $fds_at_start, 'the new master holds the descriptors a started one does');

ok(wait_until(sub { grep { ($_->{MAINPID} // 0) == $new && $_->{READY} } messages() }, 10),
   'systemd hears READY=1 from the new master');
my @order = map {
    $_->{READY} && ($_->{MAINPID} // 0) == $old ? 'ready-old'
    : $_->{READY} && ($_->{MAINPID} // 0) == $new ? 'ready-new'
    : ($_->{MAINPID} // 0) == $new ? 'mainpid-new'
    : $_->{STOPPING} ? 'stopping'
    : '?'
} @got;
is("@order", 'ready-old mainpid-new ready-new',
   'MAINPID=<new> from the old master first, then READY=1 from the new one, no STOPPING=1');

# ---- failures: the running master keeps serving, and says why ----

sub upgrade_fails {
    my ($what, $why_re) = @_;
    my ($frc, $fout, $ferr) = $t->cmd('upgrade');
    isnt($frc, 0, "$what: bouncer upgrade fails");
    like($ferr, $why_re, "$what: and says why") or diag($ferr);
    like($ferr, qr/the running master \(pid $new\) keeps serving/, "$what: and who serves");
    is(status_pid(), $new, "$what: the running master still answers");
    is(pid_file(), $new, "$what: and the pid file names it");
    is(http_request($p, 'GET', '/')->{body}, 'ok', "$what: and it serves");
}

my $load2 = start_load('load2');
ok(wait_until(sub { load_ok('load2') >= 40 }, 30), 'a load runs through the failures');

put_binary("#!/bin/sh\nexit 1\n");
upgrade_fails('a binary that exits 1', qr/the new master exited with code 1 before it served/);

unlink "$d/bouncer";
upgrade_fails('no binary at the path', qr/cannot run "\Q$d\E\/bouncer": No such file/);

put_binary("#!/bin/sh\nexec sleep 60\n");
upgrade_fails('a new master that never serves',
              qr/not serving after upgrade_timeout \(3000ms\); killed it/);

put_binary();
$t->config("servers = broken;", workers => 2);
upgrade_fails('a bad config', qr/bouncer\.conf:\d+: .*\n.*configuration has errors/);
$t->config($conf, workers => 2);

($ok, $fail, @why) = stop_load($load2, 'load2');
is($fail, 0, "no request failed during the failed upgrades ($ok served)") or diag(join "\n", @why);
ok(wait_until(sub { $t->worker_pids == 2 }, 10), 'the same master, still 2 workers');

# ---- SIGUSR2, and a second generation of the chain ----

my $second = $new;
kill 'USR2', $second;
my $third;
ok(wait_until(sub {
    my $pf = pid_file();
    $third = $pf if $pf && $pf != $second;
    return $third && status_pid() == $third;
}, 20), 'SIGUSR2 upgrades too: the pid file and bouncer status name a third master');
ok(wait_until(sub { !-e "/proc/$second" || BouncerTest::slurp("/proc/$second/stat") =~ /^\d+ \(.*\) Z/ }, 20),
   'and the second master exits');
waitpid($second, 0); # ours since its parent, the first master, exited
$t->set_master_pid($third);
ok(wait_until(sub { $t->worker_pids == 2 }, 10), 'the third master has its 2 workers');
is(http_request($p, 'GET', '/')->{body}, 'ok', 'and serves');
is(fd_kinds($third), $fds_at_start, 'and holds the same descriptors');
ok(wait_until(sub { grep { ($_->{MAINPID} // 0) == $third && $_->{READY} } messages() }, 10),
   'READY=1 with MAINPID of the third master');

# Every master's error log line of the failed upgrades is an error, no alert.
unlike($t->error_log, qr/\[(?:alert|crit|emerg)\]/, 'no alert along the way');

$t->done;
done_testing;
