# Differential test of the strict JSON parser (common/json.c) against
# Python's json module made strict: t/tools/json_diff.py writes the corpus
# (hand-written y_/n_/i_ cases, random values and their mutations), runs
# objs/t/json_check on it and prints TAP.  JSON_DIFF_SEED and JSON_DIFF_COUNT
# pick another random corpus.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use Test::More;
use File::Path ();
use POSIX ();

my $root = BouncerTest->root;
my $check = "$root/objs/t/json_check";
plan skip_all => 'objs/t/json_check is not built (make unit)' unless -x $check;
plan skip_all => 'python3 is not installed' unless system('python3 -c 1 2>/dev/null') == 0;
my $t = BouncerTest->new;
# The script speaks TAP itself; the folder goes after it, unless BOUNCER_KEEP.
system 'python3', "$root/t/tools/json_diff.py", $check, $t->dir . '/corpus',
    $ENV{JSON_DIFF_SEED} // 8259, $ENV{JSON_DIFF_COUNT} // 300;
my $rc = $? == -1 ? 255 : $? >> 8;
File::Path::remove_tree($t->dir) unless $ENV{BOUNCER_KEEP};
POSIX::_exit($rc);
