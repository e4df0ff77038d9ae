# make demo PORT=...: the demo moves to PORT (backends on the next two
# ports), runs in the foreground until Ctrl-C (SIGINT to its process group),
# and refuses, before its banner, ports that are taken.  Its config passes
# check --strict.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use IO::Socket::INET;
use POSIX qw(:sys_wait_h);
use Test::More;

my $t = BouncerTest->new;
my $d = $t->dir;
my $root = BouncerTest->root;

sub listener {
    my ($port) = @_;
    return IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => $port, Listen => 1,
                                 ReuseAddr => 1);
}

# Three free ports in a row.
sub free_run {
    for (1 .. 100) {
        my $p = $t->port;
        next if $p > 65533;
        my @held = map { listener($_) } $p + 1, $p + 2;
        return $p if !grep { !defined } @held;
    }
    die "no three free ports in a row";
}

# Starts make demo @args in a process group of its own, as a shell starts a
# foreground job, so that Ctrl-C (SIGINT to the group) reaches make and
# bouncer together.  Its output goes to $out.
sub start_demo {
    my ($out, @args) = @_;
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        setpgrp(0, 0);
        open STDOUT, '>', $out or die;
        open STDERR, '>&', \*STDOUT or die;
        exec 'make', '-s', '-C', $root, 'demo', @args or die "exec: $!";
    }
    return $pid;
}

# Ctrl-C; what is left of the group after 20 s gets SIGKILL.
sub stop_demo {
    my ($pid) = @_;
    kill 'INT', -$pid;
    my $gone = wait_until(sub { waitpid($pid, WNOHANG) == $pid }, 20);
    if (!$gone) {
        kill 'KILL', -$pid;
        waitpid $pid, 0;
    }
    return $gone;
}

# A make demo that should refuse to start: (exit status, output).  One that
# starts anyway is stopped, and its status counts as 0.
sub make_demo {
    my (@args) = @_;
    my $pid = start_demo("$d/refused.out", @args);
    my $rc = wait_until(sub { waitpid($pid, WNOHANG) == $pid }, 10) ? $? >> 8 : 0;
    stop_demo($pid) if !$rc;
    return ($rc, BouncerTest::slurp("$d/refused.out"));
}

# A port taken: a clear message, no banner, nothing started.
my $p = free_run();
my $holder = listener($p + 1) or die "listen: $!";
my ($rc, $out) = make_demo("PORT=$p", "DEMO_DIR=$d/busy");
isnt($rc, 0, 'make demo fails when a port it needs is taken');
like($out, qr/port \Q@{[$p + 1]}\E \(Address already in use\)/, 'it names the port and why')
    or diag($out);
like($out, qr/make demo PORT=\d+/, 'and says how to move the demo');
unlike($out, qr/listening on/, 'before the banner');
ok(!-e "$d/busy", 'and starts nothing');
close $holder;

($rc, $out) = make_demo('PORT=70000', "DEMO_DIR=$d/bad");
isnt($rc, 0, 'PORT=70000 is refused');
like($out, qr/PORT=70000 is not a port/, 'with a message') or diag($out);

# The demo on the ports asked for, in the foreground.
$p = free_run();
my $pid = start_demo("$d/stderr.log", "PORT=$p", "DEMO_DIR=$d");
my $up = wait_until(sub {
    return 0 if waitpid($pid, WNOHANG) == $pid;
    for my $q ($p, $p + 1, $p + 2) {
        my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $q) or return 0;
        close $s;
    }
    return -S "$d/bouncer.sock";
}, 30);
ok($up, "make demo PORT=$p: listening on $p, @{[$p + 1]} and @{[$p + 2]}")
    or diag(BouncerTest::slurp("$d/stderr.log"));
like(BouncerTest::slurp("$d/stderr.log"), qr{listening on http://127\.0\.0\.1:$p/},
     'the banner names the port');
my %seen;
for (1 .. 4) {
    my $r = http_request($p, 'GET', '/');
    $seen{$1}++ if $r && $r->{body} =~ /hello from demo backend (\d)/;
}
is(join(',', sort keys %seen), '1,2', 'both demo backends answer through it');
is((http_request($p, 'GET', '/healthz') // {})->{status}, 200, '/healthz');
my @cache = map { (http_request($p, 'GET', '/cached/x') // {})->{headers}{'x-cache-status'} // '' } 1 .. 2;
is("@cache", 'MISS HIT', '/cached/x twice: MISS, then HIT, as the banner says');

# The demo's config is clean: no warning from check --strict, none in its
# error log at start.
my ($crc, $cout, $cerr) = $t->cmd('-c', "$d/demo.conf", 'check', '--strict');
is($crc, 0, 'check --strict passes the demo config') or diag($cerr);
unlike($cerr, qr/warning/, 'without a warning');
unlike(BouncerTest::slurp("$d/error.log"), qr/\[(warn|error)\]/, 'and its error log has no warning');

ok(stop_demo($pid), 'Ctrl-C ends it');
$pid = undef;
ok(!IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $p), 'and its port is closed');

$t->done;
done_testing;

# A test that died on the way still ends the demo it started.
END { local $?; stop_demo($pid) if $pid }
