# The WAF on the benign corpus kept in the tree (t/waf/benign.txt, 2,494
# inputs of natural text, names with apostrophes, prose with SQL words,
# pasted code, URLs, non-English text): every input in every request part
# (query, form, JSON, cookie, a custom header, the path) through a real
# bouncer at paranoia 1, each answered 200 or 403 by t/waf/measure.  False
# positives must stay within the target of 1% in every part, and the
# refused ones are listed.  (The attack corpora are fetched by
# t/waf/build-corpus.sh, their licences keep them out of the tree; the
# figures on them are t/waf/anchor.sh's.)
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use JSON::PP;
use Test::More;

-x '/usr/bin/python3' or plan skip_all => 'needs /usr/bin/python3 for t/waf/measure';

my $t = BouncerTest->new;
my $d = $t->dir;
my ($p, $be) = ($t->port, $t->port);
$t->backend($be, sub { [200, [], 'ok'] });
$t->config(<<C, level => 'warn');
upstreams = ( { name = "be"; servers = ( { address = "127.0.0.1:$be"; } ); keepalive = 16; } );
servers = ( { listen = [ "127.0.0.1:$p" ]; waf = { mode = "block"; };
  routes = ( { match = { prefix = "/"; }; upstream = "be"; } ); } );
C
$t->start(ports => [$p]);

# measure reads CATEGORY.txt of the half it is given: the benign set alone.
mkdir "$d/corpus";
system('cp', "$FindBin::Bin/waf/benign.txt", "$d/corpus/benign.txt") == 0 or die "cp: $?";
my $rc = system('/usr/bin/python3', "$FindBin::Bin/waf/measure", '--corpus', "$d/corpus", '--half', 'all',
                '--categories', 'benign', '--json', "$d/fp.json", '--dump', "$d/fp.tsv",
                '--concurrency', '4', "http://127.0.0.1:$p");
is($rc, 0, 'measure ran');
my $sum = decode_json(BouncerTest::slurp("$d/fp.json"));
my $benign = $sum->{results}{benign};
ok($benign, 'a summary of the benign set') or diag(BouncerTest::slurp("$d/fp.json"));
my @refused = grep { (split /\t/)[2] eq '403' } split /\n/, BouncerTest::slurp("$d/fp.tsv");
diag("refused: $_") for @refused;
for my $part (qw(query form json cookie header path)) {
    my $r = $benign->{$part};
    ok($r && $r->{sent} > 2000, "benign in the $part: sent") or next;
    cmp_ok($r->{blocked} / $r->{sent}, '<=', 0.01,
           sprintf('benign in the %s: %d of %d refused (target: at most 1%%)', $part, $r->{blocked}, $r->{sent}));
    is(scalar(keys %{ $r->{other} }), 0, "benign in the $part: every answer a 200 or a 403")
        or diag(explain($r->{other}));
}

$t->done;
done_testing;
