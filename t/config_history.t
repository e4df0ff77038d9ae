# config_history: every config that loads is kept, with its @included
# files, in bouncer.conf.history/ beside the pid file; `bouncer history`
# lists the entries; `bouncer rollback [N]` loads one through the reload
# path, a second rollback going on back; the file is written only with
# --write; status and check say when the running config is not the file's.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use Digest::SHA qw(sha256_hex);
use Test::More;

my $t = BouncerTest->new;
my $d = $t->dir;
my $port = $t->port;
my $hist = "$d/bouncer.conf.history";

# The main file includes routes.conf, which says what the server answers:
# a rollback must serve the included file as it was.
sub routes {
    my ($body) = @_;
    $t->write_file('routes.conf', <<C);
servers = ( { listen = [ "127.0.0.1:$port" ];
  routes = ( { match = { prefix = "/"; }; respond = { status = 200; body = "$body\\n"; }; } ); } );
C
}
my $main = "\@include \"routes.conf\"\n";

sub body { my $r = http_request($port, 'GET', '/'); return $r ? $r->{body} : '(no answer)' }

# `bouncer history` as rows: [N, entry, sha256 (12 digits), notes].
sub history {
    my ($rc, $out, $err) = $t->cmd('history');
    my @rows = map { [ /^\s+(\d+|-)\s+(\d+)\s+\S+ \S+\s+([0-9a-f]{12})\s*(.*)$/ ] }
        grep { /^\s+(\d+|-)\s+\d+\s+\S+ \S+\s+[0-9a-f]{12}/ } split /\n/, $out;
    return ($rc, $out, $err, @rows);
}

sub entries { opendir my $dh, $hist or return (); return sort grep { /^\d+$/ } readdir $dh }

sub wait_body {
    my ($want) = @_;
    return wait_until(sub { body() eq "$want\n" }, 10);
}

# ---- A, B, C -------------------------------------------------------------------
routes('A');
$t->config($main);
$t->start(ports => [$port]);
is(body(), "A\n", 'A serves');
# Only the running config in the history: rollback says so.
my ($rc, $out, $err) = $t->cmd('rollback', '3');
is($rc, 1, 'rollback 3 with one config loaded fails');
like($err, qr/rollback 3: there is no config before the running one in the history: it holds only the running one/,
     'and says the history holds only the running one');
routes('B');
my $took;
($rc, $err, $took) = $t->reload_config($main);
ok($rc == 0 && $took, 'B loads') or diag($err);
is(body(), "B\n", 'B serves');
routes('C');
($rc, $err, $took) = $t->reload_config($main);
ok($rc == 0 && $took, 'C loads') or diag($err);
is(body(), "C\n", 'C serves');

my @rows;
($rc, $out, $err, @rows) = history();
is($rc, 0, 'history runs') or diag($err);
is(scalar @rows, 3, 'three entries') or diag($out);
is(join(' ', map { $_->[0] } @rows), '0 1 2', 'numbered 0 (running), 1, 2');
is(join(' ', map { $_->[1] } @rows), '3 2 1', 'newest first: C, B, A');
like($rows[0][3], qr/^running/, 'the newest is the one running');
my %sha = (C => $rows[0][2], B => $rows[1][2], A => $rows[2][2]);
is(scalar(keys %{ { map { $_ => 1 } values %sha } }), 3, 'three different hashes');

# What each entry holds: its SHA-256 over loaded.conf, its files as they were.
for my $e ([1, 'A'], [2, 'B'], [3, 'C']) {
    my ($n, $name) = @$e;
    my $dir = sprintf('%s/%06d', $hist, $n);
    my $meta = BouncerTest::slurp("$dir/entry");
    my ($full) = $meta =~ /^sha256\t([0-9a-f]{64})$/m;
    is(substr($full // '', 0, 12), $sha{$name}, "entry $n: the hash history shows");
    is(sha256_hex(BouncerTest::slurp("$dir/loaded.conf")), $full, "entry $n: it is loaded.conf's");
    like(BouncerTest::slurp("$dir/loaded.conf"), qr/"$name\\n"/, "entry $n: loaded.conf has $name, included");
    like(BouncerTest::slurp("$dir/files/routes.conf"), qr/"$name\\n"/, "entry $n: files/routes.conf kept");
    is(BouncerTest::slurp("$dir/files/bouncer.conf"), BouncerTest::slurp("$d/bouncer.conf"),
       "entry $n: files/bouncer.conf kept");
    like($meta, qr{^include\troutes\.conf\t\Q$d\E/routes\.conf$}m, "entry $n: its include listed");
    is((stat $dir)[2] & 07777, 0700, "entry $n: folder mode 0700");
    is((stat "$dir/loaded.conf")[2] & 07777, 0600, "entry $n: files mode 0600");
}
is((stat $hist)[2] & 07777, 0700, 'history folder mode 0700');
like(BouncerTest::slurp("$d/bouncer.conf.last-good"), qr/\@include "routes.conf"/,
     'last-good is still written');

# The same config again: no new entry.
($rc, $out, $err) = $t->cmd('reload');
is($rc, 0, 'a reload of the same config works') or diag($err);
is(scalar(() = entries()), 3, 'it adds no entry');

# ---- a config that fails never enters ----------------------------------------
routes('D');
$t->config($main . "no_such_setting = 1;\n");
($rc, $out, $err) = $t->cmd('reload');
is($rc, 1, 'D fails to load');
like($err, qr/no_such_setting: unknown setting/, 'and says why');
is(scalar(() = entries()), 3, 'D is not in the history');
is(body(), "C\n", 'C still serves');
$t->config($main); # the file without D's error, routes.conf still D's

# status: the file differs from the running config (routes.conf changed).
($rc, $out, $err) = $t->cmd('status');
like($out, qr/^config running: history entry 3$/m, 'status names the entry running');
like($out, qr/^config file: it differs from the running config \(changed since it loaded\)/m,
     'status: the file was edited since it loaded');

# ---- rollback -------------------------------------------------------------------
my @old = $t->worker_pids;
($rc, $out, $err) = $t->cmd('rollback');
is($rc, 0, 'rollback works') or diag($err);
like($out, qr/rolled back to history entry 2: generation \d+/, 'it says to which entry');
ok(wait_body('B'), 'B serves again, from its own routes.conf (the file now says D)');
ok(!grep({ my $o = $_; grep { $_ == $o } $t->worker_pids } @old), 'through new workers');
($rc, $out, $err, @rows) = history();
is($rows[0][1], 4, 'the rollback is a new entry');
is($rows[0][2], $sha{B}, 'holding B');
like($rows[0][3], qr/running; a rollback to entry 2/, 'a rollback to entry 2');
is(join(' ', map { $_->[0] } @rows), '0 - - 1', 'rollback 1 would now load A');
like(BouncerTest::slurp("$d/bouncer.conf.last-good"), qr/\@include "routes.conf"/,
     'last-good follows');

($rc, $out, $err) = $t->cmd('rollback');
is($rc, 0, 'a second rollback works') or diag($err);
like($out, qr/rolled back to history entry 1:/, 'to entry 1');
ok(wait_body('A'), 'A serves, not C');
($rc, $out, $err, @rows) = history();
is($rows[0][2], $sha{A}, 'the newest entry holds A');
like($rows[0][3], qr/a rollback to entry 1/, 'a rollback to entry 1');

# Nothing before A: a clear error, and nothing changes.
($rc, $out, $err) = $t->cmd('rollback');
is($rc, 1, 'no config before A: rollback fails');
like($err, qr/there is no config before the running one in the history/, 'and says so');
($rc, $out, $err) = $t->cmd('rollback', '7');
is($rc, 1, 'rollback 7 fails');
like($err, qr/rollback 7: there is no config before the running one in the history: of the ${\ scalar @rows} configs it holds, none is older than the one the running config rolled back to/,
     'with the same reason, and how many configs the history holds (' . scalar(@rows) . ')');
is(body(), "A\n", 'A still serves');

# The files are untouched, and status and check say so.
like(BouncerTest::slurp("$d/routes.conf"), qr/"D\\n"/, 'routes.conf untouched');
ok(!glob("$d/*.replaced-*"), 'nothing replaced');
($rc, $out, $err) = $t->cmd('status');
like($out, qr/^config running: history entry 5, a rollback to entry 1$/m, 'status: which entry runs');
like($out, qr/^config file: it differs from the running config \(the rollback did not write it\)/m,
     'status: the file differs');
($rc, $out, $err) = $t->cmd('check');
is($rc, 0, 'check: the file is valid');
like($out, qr/note: the running config differs from this file: it is history entry 5, a rollback to entry 1/,
     'check: the running config differs');

# ---- a plain reload reads the file again -------------------------------------
($rc, $out, $err) = $t->cmd('reload');
is($rc, 0, 'reload after rollbacks') or diag($err);
ok(wait_body('D'), 'it loads the file: D serves');
($rc, $out, $err, @rows) = history();
is($rows[0][1], 6, 'a new entry');
unlike($rows[0][3], qr/rollback/, 'not a rollback');
is(join(' ', map { $_->[0] } @rows), '0 1 2 3 4 5', 'every older entry is reachable again');
($rc, $out, $err) = $t->cmd('status');
unlike($out, qr/^config file:/m, 'status: the file is what runs');

# Bad input.
for my $bad ('abc', '-1', '1x', '') {
    ($rc, $out, $err) = $t->cmd('rollback', $bad);
    is($rc, 2, "rollback \"$bad\": usage error");
    like($err, qr/rollback: "\Q$bad\E" is not a number of configs to go back/, "rollback \"$bad\": says why");
}
($rc, $out, $err) = $t->cmd('rollback', '0');
is($rc, 1, 'rollback 0 is refused');
like($err, qr/rollback 0 is the running config/, 'and says why');
($rc, $out, $err) = $t->cmd('rollback', '99');
is($rc, 1, 'rollback 99: beyond the history');
like($err, qr/rollback 99: there are only 5 configs before the running one/, 'says how many there are');
is(body(), "D\n", 'D still serves');

# ---- a rollback that fails to load ---------------------------------------------
# An entry whose text no longer loads (edited by hand here): a reload
# error, and nothing changes.
my $e5 = sprintf('%s/%06d/loaded.conf', $hist, 5);
my $saved = BouncerTest::slurp($e5);
(my $broken = $saved) =~ s/status = 200/status = 999/;
$t->write_file($e5, $broken);
($rc, $out, $err) = $t->cmd('rollback');
is($rc, 1, 'a rollback whose config fails to load fails');
like($err, qr{\Q$e5\E:\d+: servers\.\[0\]|\Q$e5\E:\d+: servers\[0\]}, 'the error names the entry\'s file');
like($err, qr/rollback failed; the running configuration is unchanged/, 'nothing changed');
is(body(), "D\n", 'D still serves');
is(scalar(() = entries()), 6, 'no entry for it');
$t->write_file($e5, $saved);

# ---- rollback --write --------------------------------------------------------------
($rc, $out, $err) = $t->cmd('rollback', '--write');
is($rc, 0, 'rollback --write works') or diag($err);
like($out, qr/rolled back to history entry 5:/, 'to the entry before (A)');
like($out, qr{\Q$d\E/bouncer\.conf: unchanged}, 'the main file was the same');
like($out, qr{wrote \Q$d\E/routes\.conf \(the file it replaced is \Q$d\E/routes\.conf\.replaced-\d{8}-\d{6}\)},
     'routes.conf written, the old one kept');
ok(wait_body('A'), 'A serves');
like(BouncerTest::slurp("$d/routes.conf"), qr/"A\\n"/, 'routes.conf holds A');
my ($kept) = glob("$d/routes.conf.replaced-*");
like(BouncerTest::slurp($kept // ''), qr/"D\\n"/, 'the replaced file holds D');
($rc, $out, $err) = $t->cmd('status');
unlike($out, qr/^config file:/m, 'status: the file is what runs now');
like($out, qr/^config running: history entry 7, a rollback to entry 5 \(the same as the file\)$/m,
     'status: a rollback, the same as the file');
($rc, $out, $err) = $t->cmd('check');
unlike($out, qr/note:/, 'check: no difference');

# A plain edit, then --write 0: the running config back into the file.
routes('E');
($rc, $out, $err) = $t->cmd('rollback', '--write', '0');
is($rc, 0, 'rollback --write 0 works') or diag($err);
like(BouncerTest::slurp("$d/routes.conf"), qr/"A\\n"/, 'routes.conf holds the running A again');
is(body(), "A\n", 'A serves, no reload');

# ---- without a running bouncer --------------------------------------------------
$t->done;
($rc, $out, $err, @rows) = history();
is($rc, 0, 'history works without a running bouncer');
like($out, qr/bouncer is not running: 0 is the config that loaded last/, 'and says it is not running');
is($rows[0][0], '0', 'the newest is 0');
unlike($out, qr/running;|  running/, 'none is marked running');
($rc, $out, $err) = $t->cmd('rollback');
is($rc, 1, 'rollback without a running bouncer fails');
like($err, qr/bouncer is not running/, 'and says so');

# ---- config_history = 2: pruned ----------------------------------------------------
{
    my $t2 = BouncerTest->new;
    my $d2 = $t2->dir;
    my $p2 = $t2->port;
    my $conf = sub {
        "config_history = 2;\nservers = ( { listen = [ \"127.0.0.1:$p2\" ]; routes = ( { match = { prefix = \"/\"; }; respond = { status = 200; body = \"$_[0]\\n\"; }; } ); } );\n";
    };
    $t2->config($conf->('one'));
    $t2->start(ports => [$p2]);
    for my $b ('two', 'three', 'four') {
        my ($r, $e) = $t2->reload_config($conf->($b));
        is($r, 0, "config_history = 2: $b loads") or diag($e);
    }
    opendir my $dh, "$d2/bouncer.conf.history";
    my @e = sort grep { /^\d+$/ } readdir $dh;
    is("@e", '000003 000004', 'only the newest two are kept');
    my ($r, $o, $e) = $t2->cmd('history');
    is(scalar(() = $o =~ /^\s+\d+\s+\d+\s/mg), 2, 'history lists two');
    ($r, $o, $e) = $t2->cmd('rollback', '2');
    is($r, 1, 'rollback 2 is beyond the history');
    like($e, qr/rollback 2: there is only 1 config before the running one/, 'and says so');
    ($r, $o, $e) = $t2->cmd('rollback');
    is($r, 0, 'rollback 1 works') or diag($e);
    is(http_request($p2, 'GET', '/')->{body}, "three\n", 'three serves');
    opendir $dh, "$d2/bouncer.conf.history";
    @e = sort grep { /^\d+$/ } readdir $dh;
    is("@e", '000004 000005', 'the rollback is kept, the oldest pruned');
    $t2->done;
}

# ---- config_history = 0: last-good only --------------------------------------------
{
    my $t3 = BouncerTest->new;
    my $d3 = $t3->dir;
    my $p3 = $t3->port;
    $t3->config("config_history = 0;\nservers = ( { listen = [ \"127.0.0.1:$p3\" ]; routes = ( { match = { prefix = \"/\"; }; respond = { status = 200; body = \"x\\n\"; }; } ); } );\n");
    $t3->start(ports => [$p3]);
    ok(-f "$d3/bouncer.conf.last-good", 'config_history = 0: last-good is written');
    ok(!-e "$d3/bouncer.conf.history", 'and no history');
    my ($r, $o, $e) = $t3->cmd('history');
    is($r, 1, 'history: off');
    like($e, qr/config_history = 0 in the running config: the history is off/, 'history says so');
    ($r, $o, $e) = $t3->cmd('rollback');
    is($r, 1, 'rollback: off');
    like($e, qr/config_history = 0 in the running config: no history is kept/, 'rollback says so');
    $t3->done;
    ($r, $o, $e) = $t3->cmd('history');
    like($e, qr/config_history = 0 in the config: the history is off/, 'history says so without bouncer too');
}

done_testing;
