# No two files of a folder call or include each other in a circle
# (t/tools/cycles.pl, from the objects' symbols and the #include lines): the
# request's owner calls down, and what a lower file reports goes back
# through a callback it was given; the types every file needs live in
# headers of no file's own (worker/types.h, phase_types.h, cache_types.h),
# and each file has a header of its own for what it exports.
use strict;
use warnings;
use FindBin;
use Test::More;

my $root = "$FindBin::Bin/..";
for my $dir (qw(common worker master)) {
    my $out = `cd $root && t/tools/cycles.pl $dir 2>&1`;
    is($? >> 8, 0, "$dir/: no call or include cycle") or diag($out);
}
done_testing;
