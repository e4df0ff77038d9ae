# Runs the C unit tests (t/unit/*.c, built by `make unit` into objs/t/unit/).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use Test::More;

my $dir = BouncerTest->root . '/objs/t/unit';
my @bins = grep { -x $_ } glob "$dir/*";
ok(@bins, 'unit tests are built (make unit)') or BAIL_OUT('run make unit first');
for my $bin (@bins) {
    my $out = `$bin 2>&1`;
    my $rc = $? >> 8;
    my ($plan) = $out =~ /^1\.\.(\d+)$/m;
    my $oks = () = $out =~ /^ok \d+/mg;
    my $name = $bin =~ s{.*/}{}r;
    ok($rc == 0 && defined $plan && $plan == $oks && $oks > 0, "unit/$name: $oks of " . ($plan // '?'))
        or diag($out);
    ok($out !~ /(AddressSanitizer|runtime error:)/, "unit/$name: no sanitizer report") or diag($out);
}
done_testing;
