# make install DESTDIR=...: the binary, the config (never over an existing
# one) and the reference config beside it, the log, run and cache folders,
# the systemd unit, logrotate rule and man pages with the configured paths
# in them; make uninstall.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use Test::More;

my $t = BouncerTest->new;
my $root = BouncerTest->root;
my $dest = $t->dir . '/dest';
my %mk;
for (split /\n/, BouncerTest::slurp("$root/objs/config.mk")) {
    $mk{$1} = $2 if /^(\w+) = (.*)$/;
}

my $out = `make -s -C $root install DESTDIR=$dest 2>&1`;
is($?, 0, 'make install succeeds') or diag($out);
ok(-x "$dest$mk{SBINDIR}/bouncer", "binary in $mk{SBINDIR}");
ok(-f "$dest$mk{CONF_PATH}", "config at $mk{CONF_PATH}");
ok(-d "$dest$mk{LOG_PATH}", "log folder $mk{LOG_PATH}");
(my $piddir = $mk{PID_PATH}) =~ s{/[^/]+$}{};
ok(-d "$dest$piddir", "run folder $piddir");
ok(-d "$dest$mk{CACHE_PATH}", "cache folder $mk{CACHE_PATH}");

my ($rc, undef, $err) = $t->cmd('-c', "$dest$mk{CONF_PATH}", 'check');
is($rc, 0, 'the installed config passes check') or diag($err);
(my $example = $mk{CONF_PATH}) =~ s{[^/]+$}{bouncer.conf.example};
ok(-f "$dest$example", "the reference config beside it, $example");
is(BouncerTest::slurp("$dest$example"), BouncerTest::slurp("$root/etc/bouncer.conf.example"),
   'as shipped');
($rc, undef, $err) = $t->cmd('-c', "$dest$example", 'check');
is($rc, 0, 'the installed reference passes check') or diag($err);

# The systemd unit and the logrotate rule name the configured paths.
my $unit = BouncerTest::slurp("$dest$mk{PREFIX}/lib/systemd/system/bouncer.service");
like($unit, qr{^ExecStart=\Q$mk{SBINDIR}\E/bouncer -c \Q$mk{CONF_PATH}\E start --foreground$}m,
     'the systemd unit starts the installed binary with the installed config');
like($unit, qr{^ExecReload=\Q$mk{SBINDIR}\E/bouncer -c \Q$mk{CONF_PATH}\E reload$}m, 'and reloads it');
like($unit, qr{^ReadWritePaths=\Q$piddir\E/ \Q$mk{LOG_PATH}\E \Q$mk{CACHE_PATH}\E$}m,
     'and may write the run, log and cache folders only');
my $rot = BouncerTest::slurp("$dest/etc/logrotate.d/bouncer");
like($rot, qr{^\Q$mk{LOG_PATH}\E/\*\.log \{$}m, 'the logrotate rule rotates the log folder');
like($rot, qr{^\s+\Q$mk{SBINDIR}\E/bouncer -c \Q$mk{CONF_PATH}\E reopen }m, 'then reopens the logs');

# The man pages: bouncer.8, and bouncer.conf.5 when the tree has it.
my @pages = ('man8/bouncer.8', -f "$root/etc/bouncer.conf.5" ? ('man5/bouncer.conf.5') : ());
my $src8 = BouncerTest::slurp("$root/etc/bouncer.8");
for my $p (@pages) {
    ok(-f "$dest$mk{MANDIR}/$p", "man page $mk{MANDIR}/$p");
}
my $man8 = BouncerTest::slurp("$dest$mk{MANDIR}/man8/bouncer.8");
like($man8, qr{^\.It Pa \Q$mk{CONF_PATH}\E$}m, 'bouncer.8 names the configured config');
like($man8, qr{^\.It Pa \Q$mk{PID_PATH}\E$}m, 'and pid file');
# Not the unit's "/bouncer -c CONF_PATH" put into what the page says.
is(() = $man8 =~ m{/bouncer -c }g, () = $src8 =~ m{/bouncer -c }g,
   'and no -c is written into its commands');

my $other = $t->dir . '/other';
$out = `make -s -C $root install DESTDIR=$other PREFIX=/opt/bx SBINDIR=/opt/bx/sbin LOG_PATH=/opt/bx/log CONF_PATH=/opt/bx/etc/b.conf PID_PATH=/opt/bx/run/b.pid CACHE_PATH=/opt/bx/cache MANDIR=/opt/bx/man 2>&1`;
is($?, 0, 'make install with other paths') or diag($out);
$unit = BouncerTest::slurp("$other/opt/bx/lib/systemd/system/bouncer.service");
like($unit, qr{^ExecStart=/opt/bx/sbin/bouncer -c /opt/bx/etc/b\.conf start --foreground$}m,
     'the unit names them');
like($unit, qr{^ReadWritePaths=/opt/bx/run/ /opt/bx/log /opt/bx/cache$}m, 'its writable folders too');
unlike($unit . BouncerTest::slurp("$other/etc/logrotate.d/bouncer"), qr{/usr/local}, 'and no default path is left');
for my $p (@pages) {
    my $text = BouncerTest::slurp("$other/opt/bx/man/$p");
    ok($text ne '', "man page in MANDIR=/opt/bx/man: $p");
    unlike($text, qr{/usr/local}, "$p: no default path is left");
}
$man8 = BouncerTest::slurp("$other/opt/bx/man/man8/bouncer.8");
for my $path ('/opt/bx/etc/b.conf', '/opt/bx/etc/bouncer.conf.example', '/opt/bx/run/b.pid',
              '/opt/bx/run/b.sock', '/opt/bx/run/bouncer.conf.history/', '/opt/bx/log/error.log',
              '/opt/bx/cache/', '/opt/bx/lib/systemd/system/bouncer.service') {
    like($man8, qr{^\.It Pa \Q$path\E$}m, "bouncer.8 lists $path in FILES");
}

# A configured path that starts with a default one is replaced once.
my $sub = $t->dir . '/sub';
$out = `make -s -C $root install DESTDIR=$sub PID_PATH=/usr/local/var/run/bouncer/b.pid 2>&1`;
is($?, 0, 'make install with the pid file in a folder of the default run folder') or diag($out);
$man8 = BouncerTest::slurp("$sub$mk{MANDIR}/man8/bouncer.8");
like($man8, qr{^\.It Pa /usr/local/var/run/bouncer/b\.pid$}m, 'bouncer.8 names that pid file');
like($man8, qr{^\.It Pa /usr/local/var/run/bouncer/bouncer\.conf\.history/$}m,
     'and the history folder beside it');
unlike($man8, qr{/bouncer/bouncer/}, 'not that folder twice');

# An operator's edits survive a second install.
open my $f, '>>', "$dest$mk{CONF_PATH}" or die;
print $f "# edited by the operator\n";
close $f;
$out = `make -s -C $root install DESTDIR=$dest 2>&1`;
is($?, 0, 'second make install succeeds');
like(BouncerTest::slurp("$dest$mk{CONF_PATH}"), qr/edited by the operator/, 'the existing config is kept');
ok(-f "$dest$mk{CONF_PATH}.default", 'the shipped one goes beside it');

$out = `make -s -C $root uninstall DESTDIR=$dest 2>&1`;
is($?, 0, 'make uninstall succeeds');
ok(!-e "$dest$mk{SBINDIR}/bouncer", 'binary removed');
ok(-f "$dest$mk{CONF_PATH}", 'config left in place');
ok(!-e "$dest$example", 'the reference config removed');
ok(!-e "$dest$mk{PREFIX}/lib/systemd/system/bouncer.service" && !-e "$dest/etc/logrotate.d/bouncer",
   'the unit and the logrotate rule removed');
ok(!grep({ -e "$dest$mk{MANDIR}/$_" } @pages), 'the man pages removed');

# systemd's own reading of the unit, installed where its binary and folders
# exist (no DESTDIR: verify checks that ExecStart names an executable).
SKIP: {
    skip 'no systemd-analyze', 2 unless `sh -c 'command -v systemd-analyze'` =~ /\S/;
    my $p = $t->dir . '/verify';
    $out = `make -s -C $root install PREFIX=$p SBINDIR=$p/sbin CONF_PATH=$p/etc/bouncer.conf PID_PATH=$p/run/bouncer.pid LOG_PATH=$p/log CACHE_PATH=$p/cache MANDIR=$p/man LOGROTATE_DIR=$p/logrotate 2>&1`;
    is($?, 0, 'make install under a prefix of its own') or diag($out);
    # Its findings go to the journal unless told otherwise.
    $out = `SYSTEMD_LOG_TARGET=console systemd-analyze verify $p/lib/systemd/system/bouncer.service 2>&1`;
    is("$?: $out", '0: ', 'systemd-analyze verify finds nothing to say about the unit');
}

done_testing;
