# The man pages: etc/bouncer.8 (and etc/bouncer.conf.5, when the tree has
# it) render without a warning from man and groff; bouncer.8 has an entry
# for every command `bouncer help` lists and names every option it shows;
# its SIGNALS section names each signal the master's handle_signal() acts
# on, and no other.  Read from the binary and the source, so the page
# cannot fall behind either.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use Test::More;

my $t = BouncerTest->new;
my $root = BouncerTest->root;
my $page = BouncerTest::slurp("$root/etc/bouncer.8");
ok($page =~ /^\.Dt BOUNCER 8$/m, 'etc/bouncer.8 is an mdoc page of section 8');

SKIP: {
    skip 'man is not installed (apt-get install man-db groff-base)', 2
        unless system('command -v man >/dev/null 2>&1') == 0;
    local $ENV{LC_ALL} = 'C.UTF-8';
    for my $p ('etc/bouncer.8', 'etc/bouncer.conf.5') {
        next unless -f "$root/$p";
        my $err = `man --warnings -E UTF-8 -l '$root/$p' 2>&1 >/dev/null`;
        is($err, '', "$p renders without a warning");
    }
}

my ($rc, $help) = $t->cmd('help');
is($rc, 0, 'bouncer help');
my ($commands) = $help =~ /^commands:\n(.*?)\n\n/ms;
my @commands = do { my %seen; grep { !$seen{$_}++ } ($commands // '') =~ /^  ([a-z]+)\b/mg };
cmp_ok(scalar @commands, '>=', 10, 'help lists the commands: ' . join(' ', @commands));
for my $c (@commands) {
    ok($page =~ /^\.It (?:Xo\n)?\.?Cm \Q$c\E\b/m, "bouncer.8 has an entry for $c");
}
ok($page =~ /^\.It Cm help$/m, 'and for help');

# Every option help shows, "-c" as "Fl c" and "--json" as "Fl -json".
my %flags = map { $_ => 1 } $help =~ /(?<![\w-])(--?[A-Za-z][\w-]*)/g;
ok($flags{'-c'} && $flags{'--foreground'}, 'help shows the options: ' . join(' ', sort keys %flags));
for my $f (sort keys %flags) {
    (my $mdoc = $f) =~ s/^-//;
    ok($page =~ /\bFl \Q$mdoc\E(?![\w-])/, "bouncer.8 names $f");
}

# The signals of the master's handle_signal(): its "case SIGNAME:" lines.
my ($body) = join('', map { BouncerTest::slurp($_) } glob "$root/master/*.c")
    =~ /^handle_signal\(void\)\n\{\n(.*?)^\}\n/ms;
my @signals = ($body // '') =~ /^\s*case (SIG[A-Z0-9]+):/mg;
cmp_ok(scalar @signals, '>=', 6, 'the master handles: ' . join(' ', @signals));
my ($section) = $page =~ /^\.Sh SIGNALS\n(.*?)^\.Sh /ms;
my %documented = map { $_ => 1 } ($section // '') =~ /\bDv (SIG[A-Z0-9]+)/g;
for my $s (@signals) {
    ok($documented{$s}, "SIGNALS names $s");
}
my %handled = map { $_ => 1 } @signals;
is_deeply([grep { !$handled{$_} } sort keys %documented], [],
          'and no signal the master does not handle');

done_testing;
