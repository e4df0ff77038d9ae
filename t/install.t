# make install DESTDIR=...: the binary, the config (never over an existing
# one) and the reference config beside it, the log, run and cache folders,
# the systemd unit, logrotate rule and man pages with the configured paths
# in them; configure's --logrotatedir and its default for a prefix; make
# uninstall.
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
$mk{LOGROTATE_DIR} //= '/etc/logrotate.d'; # a config.mk older than --logrotatedir
my $default_paths = $mk{PREFIX} eq '/usr/local' && $mk{CONF_PATH} eq '/usr/local/etc/bouncer/bouncer.conf'
    && $mk{PID_PATH} eq '/usr/local/var/run/bouncer.pid' && $mk{LOG_PATH} eq '/usr/local/var/log/bouncer'
    && $mk{CACHE_PATH} eq '/usr/local/var/cache/bouncer';

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
# Run as installed (on a test port, with the test's pid file and logs): with
# no backend set up yet, it answers a page that says what to edit, not 502.
{
    my $p = $t->port;
    my $body = BouncerTest::slurp("$dest$mk{CONF_PATH}");
    $body =~ s{^(workers|user|group) = [^;]*;\n}{}mg;
    $body =~ s{^log = \{.*?^\};\n}{}ms;
    $body =~ s{listen = \[.*\];}{listen = [ "127.0.0.1:$p" ];} or die 'no listen in the installed config';
    $t->config($body);
    $t->start(ports => [$p]);
    my $r = http_request($p, 'GET', '/');
    is($r->{status}, 200, 'the installed config answers a request itself');
    like($r->{body}, qr{no backend is set up yet.*edit \Q$mk{CONF_PATH}\E}s,
         'with a page that says there is no backend yet, and which file to edit');
    is(http_request($p, 'GET', '/healthz')->{body}, "ok\n", 'and /healthz');
    $t->stop;
}
like(BouncerTest::slurp("$dest$mk{CONF_PATH}"), qr{^# upstreams = \(}m, 'the example upstream is there, commented out');

(my $example = $mk{CONF_PATH}) =~ s{[^/]+$}{bouncer.conf.example};
ok(-f "$dest$example", "the reference config beside it, $example");
SKIP: {
    skip 'configured with other paths', 1 unless $default_paths;
    is(BouncerTest::slurp("$dest$example"), BouncerTest::slurp("$root/etc/bouncer.conf.example"),
       'as shipped, with the default paths');
}
($rc, undef, $err) = $t->cmd('-c', "$dest$example", 'check');
is($rc, 0, 'the installed reference passes check') or diag($err);

# The systemd unit and the logrotate rule name the configured paths.
my $unit = BouncerTest::slurp("$dest$mk{PREFIX}/lib/systemd/system/bouncer.service");
like($unit, qr{^ExecStart=\Q$mk{SBINDIR}\E/bouncer -c \Q$mk{CONF_PATH}\E start --foreground$}m,
     'the systemd unit starts the installed binary with the installed config');
like($unit, qr{^ExecReload=\Q$mk{SBINDIR}\E/bouncer -c \Q$mk{CONF_PATH}\E reload$}m, 'and reloads it');
like($unit, qr{^ReadWritePaths=\Q$piddir\E/ \Q$mk{LOG_PATH}\E \Q$mk{CACHE_PATH}\E$}m,
     'and may write the run, log and cache folders only');
my $rot = BouncerTest::slurp("$dest$mk{LOGROTATE_DIR}/bouncer");
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
$out = `make -s -C $root install DESTDIR=$other PREFIX=/opt/bx SBINDIR=/opt/bx/sbin LOG_PATH=/opt/bx/log CONF_PATH=/opt/bx/etc/b.conf PID_PATH=/opt/bx/run/b.pid CACHE_PATH=/opt/bx/cache MANDIR=/opt/bx/man LOGROTATE_DIR=/opt/bx/logrotate 2>&1`;
is($?, 0, 'make install with other paths') or diag($out);
$unit = BouncerTest::slurp("$other/opt/bx/lib/systemd/system/bouncer.service");
like($unit, qr{^ExecStart=/opt/bx/sbin/bouncer -c /opt/bx/etc/b\.conf start --foreground$}m,
     'the unit names them');
like($unit, qr{^ReadWritePaths=/opt/bx/run/ /opt/bx/log /opt/bx/cache$}m, 'its writable folders too');
ok(-f "$other/opt/bx/logrotate/bouncer" && !-e "$other/etc/logrotate.d/bouncer",
   'the logrotate rule in LOGROTATE_DIR, and not in /etc/logrotate.d');
unlike($unit . BouncerTest::slurp("$other/opt/bx/logrotate/bouncer"), qr{/usr/local}, 'and no default path is left');
# The configs too: their comments name the configured paths.
my $oexample = BouncerTest::slurp("$other/opt/bx/etc/bouncer.conf.example");
unlike($oexample . BouncerTest::slurp("$other/opt/bx/etc/b.conf"), qr{/usr/local},
       'the installed config and reference name no default path');
like($oexample, qr{^#pid_file = "/opt/bx/run/b\.pid";$}m, 'the reference names the configured pid file');
like($oexample, qr{^#control_socket = "/opt/bx/run/b\.sock";$}m, 'and control socket');
like($oexample, qr{^\s+#path = "/opt/bx/log/error\.log";$}m, 'and error log');
like($oexample, qr{^\s+path = "/opt/bx/cache";}m, 'and cache folder');
($rc, undef, $err) = $t->cmd('-c', "$other/opt/bx/etc/bouncer.conf.example", 'check');
is($rc, 0, 'that reference passes check') or diag($err);
($rc, undef, $err) = $t->cmd('-c', "$other/opt/bx/etc/b.conf", 'check');
is($rc, 0, 'and so does that config') or diag($err);
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

# ./configure --logrotatedir=DIR, and its default: /etc/logrotate.d for the
# system-wide prefixes, where logrotate reads; PREFIX/etc/logrotate.d for
# any other, so that an install writes nothing outside its prefix.
my $help = `$root/configure --help`;
like($help, qr{^\s+--logrotatedir=DIR\s}m, './configure --help names --logrotatedir');
my %rotdir = ('' => '/etc/logrotate.d', '--prefix=/usr' => '/etc/logrotate.d',
              '--prefix=/usr/local' => '/etc/logrotate.d', '--prefix=/opt/bx' => '/opt/bx/etc/logrotate.d',
              '--prefix=/opt/bx/' => '/opt/bx/etc/logrotate.d',
              '--prefix=/opt/bx --logrotatedir=/etc/logrotate.d' => '/etc/logrotate.d',
              '--logrotatedir=/srv/rot' => '/srv/rot');
my %cmk;
for my $opts (sort keys %rotdir) {
    my $cdir = $t->dir . '/configured';
    system('rm', '-rf', $cdir);
    mkdir $cdir or die;
    $out = `cd $cdir && $root/configure $opts 2>&1`;
    is($?, 0, "./configure $opts") or diag($out);
    %cmk = map { /^(\w+) = (.*)$/ ? ($1 => $2) : () } split /\n/, BouncerTest::slurp("$cdir/objs/config.mk");
    is($cmk{LOGROTATE_DIR}, $rotdir{$opts}, "./configure $opts: the logrotate rule goes to $rotdir{$opts}");
    like($out, qr{^  logrotate:\s+\Q$rotdir{$opts}\E/bouncer$}m, 'and it says so');
}
# What configure --prefix=/opt/bx wrote, installed: nothing lands outside the prefix.
$out = `cd $t->{dir}/configured && $root/configure --prefix=/opt/bx 2>&1`;
%cmk = map { /^(\w+) = (.*)$/ ? ($1 => $2) : () } split /\n/, BouncerTest::slurp("$t->{dir}/configured/objs/config.mk");
my $pfx = $t->dir . '/prefixed';
my $vars = join ' ', map { "$_=$cmk{$_}" } qw(PREFIX SBINDIR CONF_PATH PID_PATH LOG_PATH CACHE_PATH MANDIR LOGROTATE_DIR);
$out = `make -s -C $root install DESTDIR=$pfx $vars 2>&1`;
is($?, 0, 'make install as ./configure --prefix=/opt/bx set it up') or diag($out);
ok(-f "$pfx/opt/bx/etc/logrotate.d/bouncer", 'the logrotate rule in /opt/bx/etc/logrotate.d');
my @outside = grep { !m{^/opt/bx/} } map { s{^\Q$pfx\E}{}r } split /\n/, `find $pfx -type f`;
is("@outside", '', 'and nothing outside /opt/bx');
unlike(BouncerTest::slurp("$pfx/opt/bx/etc/bouncer/bouncer.conf.example"), qr{/usr/local},
       'the reference config names no /usr/local path');

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
ok(!-e "$dest$mk{PREFIX}/lib/systemd/system/bouncer.service" && !-e "$dest$mk{LOGROTATE_DIR}/bouncer",
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
