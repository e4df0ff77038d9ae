# No two files of a folder call each other in a circle (t/tools/cycles.pl,
# from the objects' symbols): the request's owner calls down, and what a
# lower file reports goes back through a callback it was given.  Calls
# only for now: every worker/ file still includes http.h, which the
# request-phases work splits next.
use strict;
use warnings;
use FindBin;
use Test::More;

my $root = "$FindBin::Bin/..";
for my $dir (qw(common worker master)) {
    my $out = `cd $root && t/tools/cycles.pl -c $dir 2>&1`;
    is($? >> 8, 0, "$dir/: no call cycle") or diag($out);
}
done_testing;
