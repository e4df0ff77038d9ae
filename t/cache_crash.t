# A worker killed while it holds the cache index's lock, halfway through
# an update (SIGKILL at a crash point of the test build: an entry taken
# out of its hash chain, still on the LRU list): the next process to take
# the lock rebuilds the index instead of walking the torn lists, the other
# workers go on serving and storing, the helper reads the files on disk
# back into the index, and nothing dies in a loop.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use Test::More;

my $t = BouncerTest->new(hooks => 1);
my $d = $t->dir;
my ($p, $be) = map { $t->port } 1 .. 2;

my $serial = 0;
$t->backend($be, sub {
    my ($r) = @_;
    return [200, ['Cache-Control' => 'max-age=600'], "$r->{path} " . 'x' x 3000 . ' ' . ++$serial];
});
$t->config(<<C, workers => 2);
cache_zones = ( { name = "main"; path = "$d/cache"; memory = "1m"; max_size = "14k"; } );
upstreams = ( { name = "be"; servers = ( { address = "127.0.0.1:$be"; } ); } );
servers = ( { listen = [ "127.0.0.1:$p" ];
  routes = ( { match = { prefix = "/c/"; }; upstream = "be"; cache = { zone = "main"; }; } ); } );
C
$t->start(ports => [$p]);

sub get { http_request($p, 'GET', $_[0], timeout => 5) // {} }
sub cached { (get($_[0])->{headers}{'x-cache-status'} // '') eq 'HIT' }

is(get("/c/$_")->{headers}{'x-cache-status'}, 'MISS', "/c/$_ stored") for 1 .. 4;
ok(cached('/c/1'), 'and served from the cache');

# Storing a fifth entry goes over max_size: the least recently used (/c/2)
# is dropped, and the worker doing it dies with the lock held.
$t->expect_alert(qr/worker process \d+ exited on signal SIGKILL/);
# A worker this young counts as dying right after its start: one back-off.
$t->expect_alert(qr/worker process died 1 times in a row/);
$t->crash('cache-drop');
get('/c/5');
ok($t->wait_log(qr/worker process \d+ exited on signal SIGKILL/), 'the worker died halfway through dropping an entry');
ok($t->crashed('cache-drop'), 'at the crash point');

my @bodies = map { get("/c/$_")->{body} // '' } 6 .. 11;
is(scalar(grep { /^\/c\/\d+ x{3000} \d+$/ } @bodies), 6, 'the workers go on serving, and storing over max_size');
ok($t->wait_log(qr/cache zone "main": a process died while changing its index; rebuilt it empty/),
   'the next locker rebuilt the index');
ok(cached('/c/11'), 'what is stored after the crash is served from the cache');
ok(wait_until(sub { cached('/c/10') && cached('/c/11') }, 15), 'in every worker');
ok($t->wait_log(qr/cache zone "main": \d+ entries loaded from disk/, 15), 'the helper read the files back');
is(scalar(() = $t->error_log =~ /exited on signal/g), 1, 'one process died: the one the test killed');
unlike($t->error_log, qr/died (\d{2,}|[2-9]) times in a row/, 'no crash loop');

$t->done;
done_testing;
