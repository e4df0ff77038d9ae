# make dist: bouncer-VERSION.tar.gz, VERSION from configure's BN_VERSION
# line, unpacking to bouncer-VERSION/ with what a build and the tests need
# (every file git tracks, executable ones still executable), never .git or
# objs/, and nothing left in the tree.  Unpacked, with no .git, the tree
# makes the same tarball again, leaving out its own objs/ and tarballs.
# (make distcheck, which builds and installs from the tarball, is too slow
# for the suite: CI runs it.)
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use Test::More;

my $t = BouncerTest->new;
my $root = BouncerTest->root;
my $d = $t->dir;
my $git = -e "$root/.git" && system("git -C '$root' ls-files >/dev/null 2>&1") == 0;
my $status = $git ? `git -C '$root' status --porcelain 2>&1` : '';

my ($version) = BouncerTest::slurp("$root/configure") =~ /^BN_VERSION=(\S+)$/m;
ok(defined $version, 'configure says the version: ' . ($version // '?'));
$version //= '?';
my $name = "bouncer-$version";

my $out = `make -s -C '$root' dist DISTDIR='$d' 2>&1`;
is($?, 0, 'make dist DISTDIR=...') or diag($out);
my $tarball = "$d/$name.tar.gz";
ok(-f $tarball, "it makes $name.tar.gz");

# Entries as "bouncer-VERSION/PATH" ("dir/" for a folder), with their modes.
my %mode;
for (`tar tzvf '$tarball' 2>&1`) {
    $mode{$2} = $1 if m{^(\S+)\s+\S+\s+\d+\s+\S+\s+\S+\s+(.*?)\n?$};
}
ok(%mode, 'tar lists it');
my @outside = grep { !m{^\Q$name\E/} } sort keys %mode;
is_deeply(\@outside, [], "every entry is under $name/");
my %in = map { substr($_, length("$name/")) => $mode{$_} } keys %mode;
is_deeply([grep { m{^(?:\.git|objs)(?:/|$)} } sort keys %in], [], 'no .git or objs/ in it');
is_deeply([grep { /\.tar\.gz$/ } sort keys %in], [], 'nor a tarball');
for my $f (qw(configure Makefile README COPYING .gitignore etc/bouncer.8 etc/bouncer.conf
              etc/bouncer.conf.example etc/bouncer.service etc/bouncer.logrotate t/
              t/lib/BouncerTest.pm t/distcheck.sh common/ worker/ master/ master/main.c)) {
    ok(exists $in{$f}, "it has $f");
}
like($in{configure} // '', qr/^-rwx/, 'configure is executable in it');

SKIP: {
    skip 'not a git checkout', 3 unless $git;
    my @tracked = grep { -e "$root/$_" || -l "$root/$_" } split /\n/, `git -C '$root' ls-files`;
    cmp_ok(scalar @tracked, '>', 100, 'git tracks the tree');
    is_deeply([grep { !exists $in{$_} } @tracked], [], 'every file git tracks is in it');
    is(`git -C '$root' status --porcelain 2>&1`, $status, 'and make dist left the tree as it was');
}

# The unpacked tree has no .git, nor objs/config.mk (make dist needs no
# ./configure): its list is every file but objs/ and tarballs.
mkdir "$d/unpacked" or die;
system('tar', '-C', "$d/unpacked", '-xzf', $tarball) == 0 or die 'tar -x';
my $u = "$d/unpacked/$name";
ok(-x "$u/configure" && !-e "$u/.git", "it unpacks to $name/, with no .git");
mkdir "$u/objs";
$t->write_file("unpacked/$name/objs/bouncer.o", "left by make\n");
$t->write_file("unpacked/$name/bouncer-0.0.1.tar.gz", "an old release\n");
mkdir "$d/again" or die;
$out = `make -s -C '$u' dist DISTDIR='$d/again' 2>&1`;
is($?, 0, 'make dist in the unpacked tree') or diag($out);
my @again = map { chomp; $_ } `tar tzf '$d/again/$name.tar.gz' 2>&1`;
is_deeply([sort @again], [sort keys %mode], 'makes a tarball of the same files');

done_testing;
