# A reload that fails changes nothing, shared memory included: a failure
# in a later part of the new config leaves the live cache zone's limits
# as they were (nothing is evicted by the bound it never got), and the
# zone the failed config would have added is not left mapped in the
# master, nor its folder on disk.  A good reload then takes both.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use Test::More;

my $t = BouncerTest->new;
my $d = $t->dir;
my ($p, $be) = map { $t->port } 1 .. 2;

my $serial = 0;
$t->backend($be, sub {
    my ($r) = @_;
    return [200, ['Cache-Control' => 'max-age=600'], 'x' x 3000 . ' ' . ++$serial];
});
$t->write_file('afile', "a file, not a folder\n");

sub conf_text {
    my ($main, @more) = @_;
    my $zones = join(",\n", qq({ name = "main"; path = "$d/cache"; memory = "1m"; $main }), @more);
    return <<C;
cache_zones = ( $zones );
upstreams = ( { name = "be"; servers = ( { address = "127.0.0.1:$be"; } ); } );
servers = ( { listen = [ "127.0.0.1:$p" ];
  routes = ( { match = { prefix = "/c/"; }; upstream = "be"; cache = { zone = "main"; }; } ); } );
C
}

$t->config(conf_text('max_size = "1m";'), workers => 2);
$t->start(ports => [$p]);

sub status { http_request($p, 'GET', $_[0])->{headers}{'x-cache-status'} // '' }

# The master's shared anonymous mappings: zones, the peer table and the like.
sub shared_maps {
    scalar grep { m{ /dev/zero \(deleted\)$} } split /\n/, BouncerTest::slurp("/proc/" . $t->master_pid . "/maps");
}

is(status("/c/$_"), 'MISS', "/c/$_ stored") for 1 .. 5;
is(status('/c/1'), 'HIT', 'and served from the cache');
my $maps = shared_maps();
ok($maps > 0, "the master maps its zones ($maps shared mappings)");

# A smaller bound for main (5 entries of 3k would not fit 8k), a new zone,
# then a zone whose folder cannot be made: the reload fails on the last.
$t->config(conf_text('max_size = "8k"; hot_memory = "0";',
                     qq({ name = "extra"; path = "$d/extra"; memory = "1m"; }),
                     qq({ name = "broken"; path = "$d/afile/sub"; memory = "1m"; })), workers => 2);
my ($rc, undef, $err) = $t->cmd('reload');
isnt($rc, 0, 'the reload fails');
like($err, qr/cache zone "broken": cannot create/, 'on the zone whose folder cannot be made');
is(shared_maps(), $maps, 'the zone it mapped is unmapped again');
ok(!-e "$d/extra", 'and the folder it made is gone');

is(status('/c/6'), 'MISS', 'a new entry after the failed reload');
is(join(',', map { status("/c/$_") } 1 .. 6), join(',', ('HIT') x 6),
   'every entry is still there: the live zone kept its bound of 1m');

# A good reload takes the new bound and the new zone.
my $took;
($rc, $err, $took) = $t->reload_config(conf_text('max_size = "8k";',
                                                 qq({ name = "extra"; path = "$d/extra"; memory = "1m"; })),
                                       workers => 2);
is($rc, 0, 'a good reload') or diag($err);
ok($took, 'and its workers took over');
is(shared_maps(), $maps + 1, 'it maps the new zone');
ok(-d "$d/extra", 'and makes its folder');
is(status('/c/7'), 'MISS', 'a new entry under the new bound');
my $hits = grep { status("/c/$_") eq 'HIT' } 1 .. 7;
ok($hits <= 2, "and the 8k bound holds ($hits of 7 entries left)");

$t->done;
done_testing();
