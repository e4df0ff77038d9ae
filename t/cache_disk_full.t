# A cache zone on a full disk (a 64k tmpfs, in a mount namespace of
# bouncer's own): a body that does not fit is not stored, the client still
# gets all of it, and the failure is logged at most once a second per zone
# and counted (bouncer status).  What fits is stored as before.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use Test::More;
use Time::HiRes qw(time);

plan skip_all => 'a full disk is a tmpfs mounted in a mount namespace: needs root and unshare(1)'
    unless $> == 0 && -x '/usr/bin/unshare'
    && system("/usr/bin/unshare --mount --propagation private sh -c 'mount -t tmpfs -o size=64k tmpfs /mnt' 2>/dev/null") == 0;

my $t = BouncerTest->new;
my $d = $t->dir;
my ($p, $be) = map { $t->port } 1 .. 2;
mkdir "$d/full";

my $big = join('', map { sprintf "%07d\n", $_ } 1 .. 25_000); # 200k, every line different
$t->backend($be, sub {
    my ($r) = @_;
    return [200, ['Cache-Control' => 'max-age=600'], $r->{path} =~ /big/ ? $big : 'small ' . 'x' x 3000];
});
$t->config(<<C, workers => 2);
cache_zones = ( { name = "main"; path = "$d/full/cache"; memory = "1m"; } );
upstreams = ( { name = "be"; servers = ( { address = "127.0.0.1:$be"; } ); } );
servers = ( { listen = [ "127.0.0.1:$p" ];
  routes = ( { match = { prefix = "/c/"; }; upstream = "be"; cache = { zone = "main"; }; } ); } );
C
$t->start(ports => [$p], wrap => [ '/usr/bin/unshare', '--mount', '--propagation', 'private',
    'sh', '-c', "mount -t tmpfs -o size=64k,mode=0755 tmpfs '$d/full' && exec \"\$0\" \"\$@\"" ]);

sub get { http_request($p, 'GET', $_[0], timeout => 10) // {} }

is(get('/c/small')->{headers}{'x-cache-status'}, 'MISS', 'a small body is stored');
is(get('/c/small')->{headers}{'x-cache-status'}, 'HIT', 'and served from the cache');

my $start = time;
my @r = map { get('/c/big') } 1 .. 6;
my $secs = time - $start;
is(scalar(grep { ($_->{status} // 0) == 200 && ($_->{body} // '') eq $big } @r), 6,
   'a body the disk cannot hold reaches the client whole, every time');
is(scalar(grep { ($_->{headers}{'x-cache-status'} // '') eq 'MISS' } @r), 6, 'and is never stored');

ok($t->wait_log(qr/\[error\] .*cache zone "main": cannot write ".*", the response is not stored \(\d+ failed writes so far.*No space left on device/),
   'the full disk is logged, with the reason');
my $lines = () = $t->error_log =~ /cache zone "main": cannot write/g;
ok($lines >= 1 && $lines <= int($secs) + 2, "at most once a second ($lines lines for 6 failures in ${secs}s)");
my (undef, $out) = $t->cmd('status');
like($out, qr/cache zone main: 1 entries, \d+ bytes, 6 failed writes/, 'bouncer status counts them');
is(get('/c/small')->{headers}{'x-cache-status'}, 'HIT', 'what was stored is still served');

$t->done;
done_testing;
