# The same tests over HTTP/2: the proxy, routing, cache, compression,
# forwarding, WAF and gateway tests run again with BOUNCER_TEST_H2=1, where
# every plain listener takes h2c and the test clients speak HTTP/2
# (t/lib/BouncerTest.pm).  What a client gets and what a backend receives
# must not depend on the protocol; where HTTP/2 itself differs (a malformed
# field resets the stream), the test says so.  Not here: tests that speak
# raw HTTP/1.1 bytes throughout, and timing ones (auth_basic_flood).
use strict;
use warnings;
use FindBin;
use File::Temp qw(tempfile);
use Test::More;

my @files = qw(proxy_basic routing forwarded cache compress
               auth_any auth_api_key auth_basic auth_cache auth_forward auth_headers
               auth_jwks_fetch auth_jwt auth_strip
               limit_conn limits_fds ratelimit ratelimit_cluster
               cache_stale_refresh waf waf_attack waf_bodies waf_rules);

local $ENV{BOUNCER_TEST_H2} = 1;
for my $f (@files) {
    my $path = "$FindBin::Bin/$f.t";
    my (undef, $out) = tempfile('h2parity-XXXXXX', TMPDIR => 1, UNLINK => 1);
    system("$^X $path >$out 2>&1");
    my $rc = $? >> 8;
    open my $fh, '<', $out or die "$out: $!";
    my @lines = <$fh>;
    close $fh;
    my @failed = grep { /^not ok/ } @lines;
    my ($plan) = grep { /^1\.\.\d+/ } @lines;
    ok($rc == 0 && !@failed && $plan && $plan !~ /^1\.\.0/, "$f.t over HTTP/2")
        or diag("exit $rc\n", @failed ? @failed : @lines[($#lines > 20 ? $#lines - 20 : 0) .. $#lines]);
}
done_testing;
