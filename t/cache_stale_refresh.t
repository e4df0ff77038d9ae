# Background refresh of stale entries (stale-while-revalidate, RFC 5861 3,
# and use_stale updating): no client waits for the origin.  The request that
# finds the entry stale gets it at once (STALE), the others too (UPDATING),
# the backend is asked once, and once the refresh is done the next request
# is a HIT with the new body.  A refresh revalidates with the stored
# validators (a 304 renews the entry), never with the client's own; an
# answer that may not be stored drops the entry; one
# that fails (500, a closed connection, a timeout) leaves the stale entry,
# logs once, and the next request tries again; a worker told to quit during
# a refresh finishes it and exits.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use Test::More;
use Time::HiRes qw(sleep time);
use IO::Socket::INET;
use POSIX ();

my $t = BouncerTest->new;
my $d = $t->dir;
my ($p, $be) = map { $t->port } 1 .. 2;
my $DELAY = 1.5;

# Every answer carries a serial number; once "$d/slow" exists the backend
# takes $DELAY to answer.  It records when it got each request and when it
# answered, in "$d/times" (path, got, answered).
$t->backend($be, sub {
    my ($r) = @_;
    my $path = $r->{path};
    my $got = time;
    my $n = "$$-" . int($got * 1000);
    my $mode = BouncerTest::slurp("$d/mode") || 'ok';
    # The first answer goes stale at once; the refresh (made while slow, or
    # in mode "fresh") stays fresh however late a loaded host lets the test
    # look at it.
    my $ttl = (-e "$d/slow" || $mode eq 'fresh') ? 60 : 1;
    sleep $DELAY if -e "$d/slow";
    my $res;
    if ($path =~ m{^/fail/} && $mode eq 'close') {
        $res = { close => 1 };
    } elsif ($path =~ m{^/fail/} && $mode eq 'timeout') {
        $res = { sleep => 2, response => [200, [], 'late'] };
    } elsif ($path =~ m{^/fail/} && $mode eq '500') {
        $res = [500, [], "broken $n"];
    } elsif ($path =~ m{/gone} && -e "$d/nostore") {
        $res = [200, ['Cache-Control' => 'no-store'], "gone $n"];
    } elsif ($path =~ m{^/upd/}) {
        $res = [200, ['Cache-Control' => "max-age=$ttl"], "upd $n"];
    } elsif ($path =~ m{/reval} && ($r->{headers}{'if-none-match'} // '') eq '"e1"') {
        $res = [304, ['Cache-Control' => 'max-age=60, stale-while-revalidate=60', 'ETag' => '"e1"']];
    } else {
        $res = [200, ['Cache-Control' => "max-age=$ttl, stale-while-revalidate=60", 'ETag' => '"e1"'],
                "body of $path $n"];
    }
    if (open my $f, '>>', "$d/times") {
        printf $f "%s %.6f %.6f\n", $path, $got, time;
        close $f;
    }
    return $res;
});
$t->config(<<C, workers => 2);
cache_zones = ( { name = "main"; path = "$d/cache"; memory = "1m"; } );
upstreams = ( { name = "be"; servers = ( { address = "127.0.0.1:$be"; } ); },
              { name = "impatient"; read_timeout = "1s"; retries = 0;
                servers = ( { address = "127.0.0.1:$be"; } ); } );
servers = ( { listen = [ "127.0.0.1:$p" ];
  routes = ( { match = { prefix = "/upd/"; }; upstream = "be";
               cache = { zone = "main"; use_stale = [ "updating" ]; }; },
             { match = { prefix = "/fail/"; }; upstream = "impatient"; cache = { zone = "main"; }; },
             { match = { prefix = "/"; }; upstream = "be"; cache = { zone = "main"; }; } ); } );
C
$t->start(ports => [$p]);

sub get {
    my ($path, @h) = @_;
    return http_request($p, 'GET', $path, headers => \@h);
}
sub seen { scalar grep { $_->{path} eq $_[0] } $t->backend_requests($be) }
# When the backend answered the requests for $path, in order.
sub answered {
    my ($path) = @_;
    return map { (split / /)[2] } grep { (split / /)[0] eq $path } split /\n/, BouncerTest::slurp("$d/times");
}
sub status { $_[0] ? $_[0]{headers}{'x-cache-status'} // '' : 'none' }

# One response read off a keep-alive connection (Content-Length framing).
sub read_response {
    my ($s) = @_;
    my $buf = '';
    my $end = time + 10;
    while (time < $end) {
        if ($buf =~ /\r\n\r\n/) {
            my $r = parse_response($buf);
            my $len = $r->{headers}{'content-length'} // 0;
            return $r if $r && length($r->{body}) >= $len;
        }
        my $rin = '';
        vec($rin, fileno($s), 1) = 1;
        next unless select(my $rout = $rin, undef, undef, 0.1);
        sysread($s, $buf, 65536, length $buf) or last;
    }
    return parse_response($buf);
}

# A stale entry on $path, several concurrent requests for it: all answered
# at once from it, one refresh, then a HIT with the new body.
sub refresh_case {
    my ($path, $what) = @_;
    unlink "$d/slow";
    my $first = get($path);
    is(status($first), 'MISS', "$what: stored");
    sleep 1.6; # max-age=1: stale now
    $t->write_file('slow', '1');
    my $before = seen($path);

    # The request that finds it stale, on a keep-alive connection.
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $p) or die "connect: $!";
    my $start = time;
    syswrite $s, "GET $path HTTP/1.1\r\nHost: localhost\r\n\r\n";
    my $r = read_response($s);
    my $took = time - $start;
    my $client_done = time;
    is(status($r), 'STALE', "$what: the request that found the entry stale gets it (STALE)");
    is($r && $r->{body}, $first->{body}, "$what: the stale body");
    cmp_ok($took, '<', $DELAY / 2, "$what: at once (${\ sprintf '%.3f', $took}s), not after the backend's ${DELAY}s");
    ok(wait_until(sub { seen($path) > $before }, 5), "$what: the refresh reached the backend");

    # The same connection goes on while the refresh is in flight.
    syswrite $s, "GET $path HTTP/1.1\r\nHost: localhost\r\n\r\n";
    my $r2 = read_response($s);
    is(status($r2), 'UPDATING', "$what: the keep-alive connection's next request: the stale entry (UPDATING)");
    close $s;
    my @more = http_parallel($p, [ map { ['GET', $path] } 1 .. 4 ], timeout => 10);
    is(scalar(grep { status($_) eq 'UPDATING' && $_->{body} eq $first->{body} } @more), 4,
       "$what: four concurrent requests get the stale entry too");

    ok(wait_until(sub { answered($path) > $before }, 10), "$what: the backend answered the refresh");
    my ($answered) = (answered($path))[-1];
    cmp_ok($client_done, '<', $answered, "$what: the client had its answer before the backend answered");
    unlink "$d/slow";
    my $hit;
    ok(wait_until(sub { $hit = get($path); status($hit) eq 'HIT' }, 10), "$what: then a HIT");
    isnt($hit->{body}, $first->{body}, "$what: with the new body");
    is(seen($path) - $before, 1, "$what: the backend was asked once");
}

refresh_case('/swr/page', 'stale-while-revalidate');
refresh_case('/upd/page', 'use_stale updating');

# --- conditional revalidation from the background: the stored validators,
# not the client's; a 304 renews the entry.
unlink "$d/slow";
my $v1 = get('/swr/reval');
sleep 1.6;
my $before = seen('/swr/reval');
my $r = get('/swr/reval', 'If-None-Match' => '"other"');
is(status($r) . " $r->{status}", 'STALE 200', 'revalidation: the stale entry at once, a 200 for the client\'s own ETag');
ok(wait_until(sub { seen('/swr/reval') > $before }, 5), 'the refresh reached the backend');
my ($cond) = (grep { $_->{path} eq '/swr/reval' } $t->backend_requests($be))[-1];
is($cond->{headers}{'if-none-match'}, '"e1"', 'with the stored ETag, not the client\'s');
ok(wait_until(sub { status(get('/swr/reval')) eq 'HIT' }, 10), 'the 304 renewed the entry: HIT');
is(get('/swr/reval')->{body}, $v1->{body}, 'with the stored body');
is(seen('/swr/reval') - $before, 1, 'one upstream request');

# --- an answer that may no longer be stored drops the stale entry: the
# clients get the origin's word again, not a copy it disowned.
my $g0 = get('/swr/gone');
sleep 1.6;
$t->write_file('nostore', '1');
is(status(get('/swr/gone')), 'STALE', 'no-store now: the stale entry answers once more');
my $g;
ok(wait_until(sub { $g = get('/swr/gone'); status($g) eq 'MISS' }, 10), 'then the entry is gone: MISS');
like($g->{body}, qr/^gone /, 'with the origin\'s answer');
unlink "$d/nostore";

# --- a refresh that fails leaves the stale entry, logs once, and the next
# request tries again.
unlink "$d/mode";
my $f0 = get('/fail/page');
is(status($f0), 'MISS', 'failures: stored');
sleep 1.6;
my %logged = ('500' => qr/upstream answered 500; the stale cached response stays/,
              'close' => qr/upstream prematurely closed connection; the stale cached response stays/,
              'timeout' => qr/upstream timed out; the stale cached response stays/);
for my $mode ('500', 'close', 'timeout') {
    $t->write_file('mode', $mode);
    my $n = () = $t->error_log =~ /$logged{$mode}/g;
    my $seen = seen('/fail/page');
    my $st = get('/fail/page');
    is(status($st) . " $st->{status} $st->{body}", "STALE 200 $f0->{body}", "refresh failing ($mode): the stale entry answers");
    ok(wait_until(sub { (() = $t->error_log =~ /$logged{$mode}/g) > $n }, 10),
       "refresh failing ($mode): logged");
    my $after = () = $t->error_log =~ /$logged{$mode}/g;
    is($after - $n, 1, "refresh failing ($mode): once");
    like($t->error_log, qr/$logged{$mode}.*background cache refresh for client: 127\.0\.0\.1.*request: "GET \/fail\/page"/,
         "refresh failing ($mode): the line says which refresh");
    is(seen('/fail/page') - $seen, 1, "refresh failing ($mode): one upstream request");
}
# The refreshed entry stays fresh (max-age=60), so a loaded host that is
# slow to poll cannot see it go stale again and count a second refresh.
$t->write_file('mode', 'fresh');
my $seen = seen('/fail/page');
my $late = () = $t->error_log =~ /$logged{timeout}/g;
is(status(get('/fail/page')), 'STALE', 'after the failures the entry is still there, stale');
ok(wait_until(sub { status(get('/fail/page')) eq 'HIT' }, 10), 'the next refresh works: HIT');
# The upstream's read timeout is 1s: on a loaded host a refresh may run out
# of it, and is logged; then the next request tries again.  Every upstream
# request beyond the one that worked is such a logged failure.
my $late_now = () = $t->error_log =~ /$logged{timeout}/g;
is(seen('/fail/page') - $seen - ($late_now - $late), 1, 'one more upstream request');
unlink "$d/mode";

# --- quit during a refresh: the worker finishes it and exits cleanly; the
# stored answer outlives it (the next start finds it on disk).
unlink "$d/slow";
my $q0 = get('/swr/quit');
sleep 1.6;
$t->write_file('slow', '1');
$before = seen('/swr/quit');
is(status(get('/swr/quit')), 'STALE', 'quit: a refresh is in flight');
ok(wait_until(sub { seen('/swr/quit') > $before }, 5), 'quit: it reached the backend');
my $master = $t->master_pid;
my $qpid = fork // die;
if ($qpid == 0) {
    my ($rc) = $t->cmd('quit');
    POSIX::_exit($rc);
}
waitpid $qpid, 0;
is($? >> 8, 0, 'quit exited 0');
ok(wait_until(sub { waitpid($master, POSIX::WNOHANG()) == $master }, 10), 'the master exited');
$t->{pid} = undef;
ok(answered('/swr/quit') > $before, 'the refresh was answered before the worker exited');
unlink "$d/slow";
$t->start(ports => [$p]);
my $q;
ok(wait_until(sub { $q = get('/swr/quit'); status($q) eq 'HIT' }, 10), 'after a restart: the refreshed entry, a HIT');
isnt($q->{body}, $q0->{body}, 'with the new body');

$t->done;
done_testing;
