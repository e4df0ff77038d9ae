# What a worker running as another user could use against root: workers
# are not dumpable (no other process of their user may ptrace them and read
# keys) unless debug_dumpable says so; the master never follows a symbolic
# link at a log or cache path, nor creates or chowns anything in a folder
# the workers' user can write.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use Test::More;

plan skip_all => 'workers change user only when bouncer starts as root' unless $> == 0;
my $nobody = getpwnam('nobody');
plan skip_all => 'no user nobody' unless defined $nobody;

my $t = BouncerTest->new;
my $d = $t->dir;
my $p = $t->port;
my $base = <<C;
user = "nobody";
group = "nogroup";
servers = ( { listen = [ "127.0.0.1:$p" ]; routes = ( { match = { prefix = "/"; }; respond = { status = 200; body = "ok\\n"; }; } ); } );
C

# The kernel gives the files under /proc/PID (but for the folder itself)
# of a process that is not dumpable to root; a dumpable one's belong to
# its user.
sub proc_owner { (stat "/proc/$_[0]/mem")[4] }
sub proc_uid { BouncerTest::slurp("/proc/$_[0]/status") =~ /^Uid:\s+(\d+)/m ? $1 : undef }

$t->config($base);
$t->start(ports => [$p]);
my ($w) = $t->worker_pids;
is(proc_uid($w), $nobody, 'the worker runs as nobody');
is(proc_owner($w), 0, 'and is not dumpable: another nobody process cannot ptrace it');

my ($rc, $err, $took) = $t->reload_config("debug_dumpable = true;\n$base");
ok($took, 'reload with debug_dumpable = true') or diag($err);
($w) = $t->worker_pids;
is(proc_owner($w), $nobody, 'debug_dumpable makes workers dumpable again (core dumps)');

# A symbolic link at a log path (as a worker able to write the folder
# would plant one, to /etc/shadow say) is refused at reopen, and what it
# points to keeps its owner.
my $victim = $t->write_file('victim', "root's\n");
unlink "$d/access.log";
symlink $victim, "$d/access.log" or die "symlink: $!";
$t->expect_alert(qr/reopening logs failed/);
$t->cmd('reopen');
ok($t->wait_log(qr/\[alert\].*reopening logs failed: cannot open the log "\Q$d\E\/access\.log": it is a symbolic link, which bouncer does not follow there/),
   'reopen refuses a symbolic link at a log path, and says so');
is((stat $victim)[4], 0, 'and the file it points to is not given to the workers');

# A cache zone whose path is a symbolic link: the reload fails, clearly.
mkdir "$d/elsewhere";
symlink "$d/elsewhere", "$d/cache" or die "symlink: $!";
($rc, $err) = $t->reload_config(qq{cache_zones = ( { name = "z"; path = "$d/cache"; memory = "1m"; } );\n$base});
isnt($rc, 0, 'a reload with a cache path that is a symbolic link fails');
like($err, qr/cache zone "z": cannot give "\Q$d\E\/cache" to the workers: it is a symbolic link, which bouncer does not follow there/,
     'and says why');
is((stat "$d/elsewhere")[4], 0, 'and the folder it points to is not chowned');
is(http_request($p, 'GET', '/')->{body}, "ok\n", 'the old workers keep serving');
$t->stop;

# Starts from $conf as a daemon, so that a start that should have been
# refused does not hang the test; stops what did start.
sub start_refused {
    my ($conf) = @_;
    my ($rc, undef, $e) = $t->cmd('-c', $conf, 'start');
    $t->cmd('-c', $conf, 'stop') if $rc == 0;
    return ($rc, $e);
}

# A folder the workers' user can write: neither a cache zone nor a log may
# be made there by root.
mkdir "$d/theirs";
chown $nobody, -1, "$d/theirs";
my $conf = $t->write_file('theirs.conf', <<C);
daemon = true;
workers = 1;
pid_file = "$d/bouncer.pid";
log = { error = { path = "$d/error.log"; }; access = { path = "$d/theirs/access.log"; }; };
$base
C
my ($rc2, $e2) = start_refused($conf);
isnt($rc2, 0, 'start refuses a log in a folder the workers can write');
like($e2, qr/refusing "\Q$d\E\/theirs\/access\.log": the folder "\Q$d\E\/theirs" can be written by user "nobody", who the workers run as/,
     'and names the folder');
ok(!-e "$d/theirs/access.log", 'and creates nothing there');

$conf = $t->write_file('theirs2.conf', <<C);
daemon = true;
workers = 1;
pid_file = "$d/bouncer.pid";
log = { error = { path = "$d/error.log"; }; access = { path = "$d/access2.log"; }; };
cache_zones = ( { name = "z"; path = "$d/theirs/cache"; memory = "1m"; } );
$base
C
($rc2, $e2) = start_refused($conf);
isnt($rc2, 0, 'start refuses a cache zone in a folder the workers can write');
like($e2, qr/cache zone "z": refusing "\Q$d\E\/theirs\/cache": the folder "\Q$d\E\/theirs" can be written by user "nobody"/,
     'and names the folder');
ok(!-e "$d/theirs/cache", 'and makes nothing there');

# A link in the workers' folder to one of root's: where it leads is not
# theirs, but the link is.
mkdir "$d/roots";
symlink "$d/roots", "$d/theirs/link" or die "symlink: $!";
$conf = $t->write_file('theirs3.conf', <<C);
daemon = true;
workers = 1;
pid_file = "$d/bouncer.pid";
log = { error = { path = "$d/error.log"; }; access = { path = "$d/theirs/link/access.log"; }; };
$base
C
($rc2, $e2) = start_refused($conf);
isnt($rc2, 0, 'start refuses a log behind a link in a folder the workers can write');
like($e2, qr/the folder "\Q$d\E\/theirs" can be written by user "nobody"/, 'and names that folder');
ok(!-e "$d/roots/access.log", 'and creates nothing where the link leads');

# A symbolic link at a log path at start is refused too.
symlink $victim, "$d/error-link.log" or die "symlink: $!";
$conf = $t->write_file('link.conf', <<C);
daemon = true;
workers = 1;
pid_file = "$d/bouncer.pid";
log = { error = { path = "$d/error-link.log"; }; access = { path = "$d/access2.log"; }; };
$base
C
($rc2, $e2) = start_refused($conf);
isnt($rc2, 0, 'start refuses a symbolic link at the error log path');
like($e2, qr/cannot open the log "\Q$d\E\/error-link\.log": it is a symbolic link/, 'and says so');
is((stat $victim)[4], 0, 'and the file it points to keeps its owner');

$t->done;
done_testing;
