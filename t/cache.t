# The shared cache: what is stored and what never is (a 500, Set-Cookie,
# private, an answer to Authorization), freshness from s-maxage, max-age,
# Expires or `valid`, hits in every worker, HEAD from a stored GET, 304
# from a fresh entry, expiry, unsafe methods invalidating, bodies of any
# size or framing, a cut body never stored, the disk bound, and the cache
# kept across a reload and a killed worker.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use Test::More;
use Time::HiRes qw(sleep time);
use IO::Socket::INET;

my $t = BouncerTest->new;
my $d = $t->dir;
my ($p, $be) = map { $t->port } 1 .. 2;

# The backend answers by path; every answer carries a serial number, so a
# test can tell a stored answer from a fresh one.
my $serial = 0;
$t->backend($be, sub {
    my ($r) = @_;
    my $n = "$$-" . ++$serial;
    my $path = $r->{path};
    return [200, ['Cache-Control' => 'max-age=600'], 'm'] if $path =~ m{^/m/};
    return { sleep => 0.7, response => [200, ['Cache-Control' => 'max-age=60'], "locked $n"] } if $path =~ m{^/l/};
    return { sleep => 1.5, response => [200, ['Cache-Control' => 'max-age=60'], "slowfill $n"] } if $path =~ m{^/lt/};
    if ($path =~ m{^/u/}) {
        # The first answer expires at once; the slow refresh stays fresh,
        # however late the test looks at it.
        my $slow = -e "$d/u-slow";
        return { sleep => ($slow ? 1 : 0),
                 response => [200, ['Cache-Control' => $slow ? 'max-age=60' : 'max-age=1'], "updating $n"] };
    }
    if ($path =~ m{^/(c|s)/(reval|stale|sie)}) {
        my $mode = BouncerTest::slurp("$d/mode") || 'ok';
        return { close => 1 } if $mode eq 'close';
        return { sleep => 2, response => [200, [], 'late'] } if $mode eq 'slow';
        return [500, [], "broken $n"] if $mode eq '500';
        return [304, ['Cache-Control' => 'max-age=60', 'ETag' => '"r1"']]
            if ($r->{headers}{'if-none-match'} // '') eq '"r1"';
        return [200, ['Cache-Control' => ($path =~ /sie/ ? 'max-age=1, stale-if-error=60' : 'max-age=1'),
                      'ETag' => '"r1"', 'X-Serial' => $n], "body of $path $n"];
    }
    return [200, ['Cache-Control' => 'max-age=60', 'ETag' => '"v1"',
                  'Last-Modified' => 'Wed, 01 Jan 2025 00:00:00 GMT', 'X-Serial' => $n], "fresh $path"]
        if $path =~ m{^/c/(fresh|head|cond|post)};
    return [200, ['Cache-Control' => 's-maxage=60, max-age=0', 'X-Serial' => $n], "shared $n"] if $path =~ m{^/c/smaxage};
    return [500, ['Cache-Control' => 'max-age=60'], "error $n"] if $path =~ m{^/c/error};
    return [503, [], "unavailable $n"] if $path =~ m{^/c/listed503};
    return [200, ['Cache-Control' => 'max-age=60', 'Set-Cookie' => 'sid=secret'], "cookie $n"] if $path =~ m{^/c/cookie};
    return [200, ['Cache-Control' => 'private, max-age=60'], "private $n"] if $path =~ m{^/c/private};
    return [200, ['Cache-Control' => 'no-store'], "nostore $n"] if $path =~ m{^/c/nostore};
    return [200, ['Cache-Control' => 'max-age=60'], "auth $n"] if $path =~ m{^/c/auth-plain};
    return [200, ['Cache-Control' => 'public, max-age=60'], "auth-public $n"] if $path =~ m{^/c/auth-public};
    return [200, [], "none $n"] if $path =~ m{^/c/nofresh};
    return [200, [], "listed $n"] if $path =~ m{^/c/listed200};
    return [200, ['Cache-Control' => 'max-age=2'], "own $n"] if $path =~ m{^/c/ownttl};
    # A Date of now: one long past would make the response as old (RFC 9111 4.2.3).
    return [200, ['Date' => POSIX::strftime('%a, %d %b %Y %H:%M:%S GMT', gmtime),
                  'Expires' => POSIX::strftime('%a, %d %b %Y %H:%M:%S GMT', gmtime(time + 60))],
            "expires $n"] if $path =~ m{^/c/expires};
    return [200, ['Cache-Control' => 'max-age=1'], "short $n"] if $path =~ m{^/c/short};
    return [200, ['Cache-Control' => 'max-age=60', 'Vary' => '*'], "varystar $n"] if $path =~ m{^/c/varystar};
    return [200, ['Cache-Control' => 'max-age=60', 'Vary' => 'Accept-Language, Accept-Encoding'],
            "vary " . ($r->{headers}{'accept-language'} // '-') . " $n"] if $path =~ m{^/c/vary};
    return { stream => 1024 * 1024 + 7 } if $path =~ m{^/c/big};
    return { stream => 300_000, chunked => 1 } if $path =~ m{^/c/chunked};
    return { raw => "HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\nContent-Length: 100\r\n\r\nonly part", then_close => 1 } if $path =~ m{^/c/cut};
    return [200, ['Cache-Control' => 'max-age=60'], 'x' x 3000 . " $n"] if $path =~ m{^/c/disk};
    return [200, [], "plain $n"];
});
$t->config(<<C, workers => 2, access_format => 'json');
limits = { keepalive_requests = 10000; };
cache_zones = ( { name = "main"; path = "$d/cache"; memory = "1m"; },
                { name = "brief"; path = "$d/brief"; memory = "1m"; inactive = "1s"; },
                { name = "tiny"; path = "$d/tiny"; memory = "256k"; },
                { name = "small"; path = "$d/small"; memory = "1m"; max_size = "20k"; } );
upstreams = ( { name = "be"; servers = ( { address = "127.0.0.1:$be"; } ); },
              { name = "impatient"; read_timeout = "1s"; retries = 0; servers = ( { address = "127.0.0.1:$be"; } ); } );
servers = ( { listen = [ "127.0.0.1:$p" ];
  routes = ( { match = { prefix = "/c/disk"; }; upstream = "be"; cache = { zone = "small"; }; },
             { match = { prefix = "/c/brief"; }; upstream = "be"; rewrite = { regex = "^/c/brief"; replace = "/c/fresh-brief"; };
               cache = { zone = "brief"; }; },
             { match = { prefix = "/l/"; }; upstream = "be"; cache = { zone = "main"; lock = true; }; },
             { match = { prefix = "/m/"; }; upstream = "be"; cache = { zone = "tiny"; }; },
             { match = { prefix = "/lt/"; }; upstream = "be"; cache = { zone = "main"; lock = true; lock_timeout = "300ms"; }; },
             { match = { prefix = "/u/"; }; upstream = "be"; cache = { zone = "main"; use_stale = [ "updating" ]; }; },
             { match = { prefix = "/s/"; }; upstream = "impatient";
               cache = { zone = "main"; use_stale = [ "error", "timeout", "http_5xx" ]; }; },
             { match = { prefix = "/c/"; }; upstream = "be";
               cache = { zone = "main"; valid = ( { status = [ "200", "503" ]; ttl = "10m"; } );
                         purge_allow = [ "127.0.0.0/8" ]; }; },
             { match = { prefix = "/quiet/"; }; upstream = "be"; rewrite = { regex = "^/quiet/(.*)"; replace = "/c/\$1"; };
               cache = { zone = "main"; status_header = false; }; },
             { match = { prefix = "/"; }; upstream = "be"; } ); } );
C
$t->start(ports => [$p]);

sub get {
    my ($path, @h) = @_;
    return http_request($p, 'GET', $path, headers => \@h);
}
sub seen { scalar grep { $_->{path} eq $_[0] } $t->backend_requests($be) }

# --- miss, then hits in every worker
my $r = get('/c/fresh');
is($r->{headers}{'x-cache-status'}, 'MISS', 'first request: MISS');
is($r->{body}, 'fresh /c/fresh', 'the upstream body');
my $first = $r->{headers}{'x-serial'};
my %statuses;
for (1 .. 8) {
    $r = get('/c/fresh');
    $statuses{$r->{headers}{'x-cache-status'}}++;
    is($r->{headers}{'x-serial'}, $first, 'the stored answer') if $_ == 1;
}
is_deeply(\%statuses, { HIT => 8 }, 'eight more: all HIT, whichever worker took them');
is(seen('/c/fresh'), 1, 'the backend saw one request');
like($r->{headers}{age}, qr/^\d+$/, 'hits carry Age');
is($r->{headers}{server}, 'bouncer', 'and bouncer\'s Server');
is($r->{body}, 'fresh /c/fresh', 'the stored body');
my @pids = map { /"worker_pid":(\d+)/ ? $1 : () } grep { /"cache":"HIT"/ } split /\n/, $t->access_log;
my %wp = map { $_ => 1 } @pids;
ok(scalar(keys %wp) >= 1, 'the access log has cache HIT lines with the worker pid');

# --- never stored
for my $case (['/c/error', 'a 500 with max-age (no valid entry lists 500)'],
              ['/c/cookie', 'a response with Set-Cookie'],
              ['/c/private', 'Cache-Control: private'],
              ['/c/nostore', 'Cache-Control: no-store'],
              ['/c/varystar', 'Vary: *']) {
    my ($path, $what) = @$case;
    next if $path eq '/c/nofresh';
    my $a = get($path);
    my $b = get($path);
    isnt($b->{body}, $a->{body}, "$what: not stored") ;
}
# --- Vary: one stored variant per combination of the named request headers
my $en = get('/c/vary', 'Accept-Language' => 'en');
is($en->{headers}{'x-cache-status'}, 'MISS', 'Vary: the en variant is fetched');
my $fr = get('/c/vary', 'Accept-Language' => 'fr');
is($fr->{headers}{'x-cache-status'}, 'MISS', 'the fr variant is another entry');
my $en2 = get('/c/vary', 'Accept-Language' => 'en');
is($en2->{headers}{'x-cache-status'}, 'HIT', 'en again: HIT');
is($en2->{body}, $en->{body}, 'with the en body');
my $fr2 = get('/c/vary', 'Accept-Language' => 'fr');
is("$fr2->{headers}{'x-cache-status'} $fr2->{body}", "HIT $fr->{body}", 'fr again: HIT, with the fr body');
is(get('/c/vary', 'Accept-Language' => 'en', 'Accept-Encoding' => 'gzip')->{headers}{'x-cache-status'}, 'MISS',
   'a difference in the second named header is a third variant');
is(get('/c/vary')->{headers}{'x-cache-status'}, 'MISS', 'no Accept-Language at all: a variant of its own');

my $a1 = get('/c/auth-plain', Authorization => 'Basic dTpw');
my $a2 = get('/c/auth-plain', Authorization => 'Basic dTpw');
isnt($a2->{body}, $a1->{body}, 'an answer to Authorization is not shared');
is(get('/c/auth-plain')->{headers}{'x-cache-status'}, 'MISS', 'not even with requests without it');
$a1 = get('/c/auth-public', Authorization => 'Basic dTpw');
$a2 = get('/c/auth-public');
is($a2->{body}, $a1->{body}, '...unless the response says public');
my $s1 = get('/c/smaxage');
is(get('/c/smaxage')->{body}, $s1->{body}, 's-maxage wins over max-age=0 for a shared cache');

# --- valid: TTLs for answers without their own
$r = get('/c/listed200');
is(get('/c/listed200')->{body}, $r->{body}, 'no freshness, but 200 listed in valid: stored');
$r = get('/c/listed503');
is(get('/c/listed503')->{body}, $r->{body}, 'a 503 listed in valid: stored');
$r = get('/quiet/nofresh');
isnt(get('/quiet/nofresh')->{body}, $r->{body}, 'no freshness and no valid list: not stored');
ok(!exists $r->{headers}{'x-cache-status'}, 'status_header = false: no X-Cache-Status');
$r = get('/c/expires');
is(get('/c/expires')->{body}, $r->{body}, 'Expires - Date gives freshness');

# --- expiry: the response's own max-age=2 beats valid's 10m.  Two seconds,
# not one: an age counts whole seconds, and two requests a moment apart
# can straddle a second's turn (over HTTP/2 each starts a client process).
$r = get('/c/ownttl');
is(get('/c/ownttl')->{headers}{'x-cache-status'}, 'HIT', 'fresh for a second');
sleep 2.6;
my $e = get('/c/ownttl');
is($e->{headers}{'x-cache-status'}, 'EXPIRED', 'then EXPIRED');
isnt($e->{body}, $r->{body}, 'and fetched again');
is(get('/c/ownttl')->{body}, $e->{body}, 'the new answer is stored');

# --- revalidation: a stale entry is checked with its validators; a 304 refreshes it
my $v1 = get('/c/reval');
is($v1->{headers}{'x-cache-status'}, 'MISS', 'stored with max-age=1');
sleep 1.6;
my $v2 = get('/c/reval');
is($v2->{headers}{'x-cache-status'}, 'REVALIDATED', 'expired: revalidated upstream');
is($v2->{body}, $v1->{body}, 'the stored body is served');
my ($cond) = grep { $_->{path} eq '/c/reval' && $_->{headers}{'if-none-match'} } $t->backend_requests($be);
is($cond && $cond->{headers}{'if-none-match'}, '"r1"', 'the upstream got If-None-Match with the stored ETag');
is(get('/c/reval')->{headers}{'x-cache-status'}, 'HIT', 'the 304 gave the entry a new lease (max-age=60)');
is(get('/c/reval', 'Cache-Control' => 'no-cache')->{headers}{'x-cache-status'}, 'REVALIDATED', 'request no-cache forces a revalidation');

# --- use_stale: error, timeout, http_5xx
for my $case (['500', 'http_5xx'], ['close', 'error'], ['slow', 'timeout']) {
    my ($mode, $what) = @$case;
    unlink "$d/mode";
    my $fresh = get("/s/stale-$mode");
    sleep 1.6;
    $t->write_file('mode', $mode);
    my $st = get("/s/stale-$mode");
    is($st->{headers}{'x-cache-status'} // '', 'STALE', "use_stale $what: the stale entry answers");
    is($st->{status} . ' ' . $st->{body}, "200 $fresh->{body}", "...with its status and body");
}
unlink "$d/mode";
my $nos = get('/c/stale-nouse');
sleep 1.6;
$t->write_file('mode', '500');
my $passed = get('/c/stale-nouse');
is($passed->{status}, 500, 'without use_stale the 500 goes to the client');
unlink "$d/mode";
my $sie = get('/c/sie');
sleep 1.6;
$t->write_file('mode', '500');
is(get('/c/sie')->{headers}{'x-cache-status'} // '', 'STALE', 'the response\'s own stale-if-error lets a stale entry answer');
unlink "$d/mode";

# --- lock: fifty concurrent misses for one cold key make one upstream request
my @r = http_parallel($p, [ map { ['GET', '/l/cold'] } 1 .. 50 ], timeout => 30);
is(scalar(grep { $_ && $_->{status} == 200 } @r), 50, 'fifty concurrent requests for a cold key: all answered');
is(seen('/l/cold'), 1, 'and the backend saw one');
my %ls;
$ls{$_->{headers}{'x-cache-status'}}++ for @r;
is_deeply(\%ls, { MISS => 1, HIT => 49 }, 'one MISS filled it, forty-nine waited for it');
is(scalar(keys %{{ map { $_->{body} => 1 } @r }}), 1, 'all got the same answer');
# lock_timeout shorter than the fill: the waiters go upstream themselves.
@r = http_parallel($p, [ map { ['GET', '/lt/cold'] } 1 .. 4 ], timeout => 30);
is(scalar(grep { $_ && $_->{status} == 200 } @r), 4, 'with a short lock_timeout all are answered');
cmp_ok(seen('/lt/cold'), '>', 1, 'after lock_timeout the waiters fetched for themselves');

# --- use_stale updating: one request starts a refresh, every one gets the stale entry
my $u0 = get('/u/page');
sleep 1.6;
$t->write_file('u-slow', '1');
@r = http_parallel($p, [ map { ['GET', '/u/page'] } 1 .. 5 ], timeout => 30);
unlink "$d/u-slow";
my %us;
$us{$_->{headers}{'x-cache-status'}}++ for @r;
is($us{UPDATING}, 4, 'four get the stale entry at once (UPDATING)');
# The one that found the entry stale no longer waits for the refresh (it
# used to be EXPIRED, with the new body): the refresh runs in the
# background, and that request too gets the stale entry (t/cache_stale_refresh.t).
is($us{STALE}, 1, 'one starts the refresh and gets the stale entry too (STALE)');
is(scalar(grep { $_->{body} eq $u0->{body} } @r), 5, 'all answers are the stale body');
ok(wait_until(sub { get('/u/page')->{headers}{'x-cache-status'} eq 'HIT' }, 10),
   'and once refreshed the entry is fresh');

# --- HEAD from a stored GET; conditional requests
get('/c/head');
$r = http_request($p, 'HEAD', '/c/head');
is($r->{headers}{'x-cache-status'}, 'HIT', 'HEAD is answered from the stored GET');
is($r->{headers}{'content-length'}, length('fresh /c/head'), 'with its Content-Length');
is(scalar(grep { $_->{method} eq 'HEAD' } $t->backend_requests($be)), 0, 'the backend never saw the HEAD');
get('/c/cond');
$r = get('/c/cond', 'If-None-Match' => '"v0", "v1"');
is($r->{status}, 304, 'If-None-Match with the stored ETag: 304 from the cache');
is($r->{headers}{etag}, '"v1"', 'with the ETag');
is($r->{body}, '', 'and no body');
is(get('/c/cond', 'If-None-Match' => '"v2"')->{status}, 200, 'another ETag: 200');
is(get('/c/cond', 'If-Modified-Since' => 'Thu, 01 May 2025 00:00:00 GMT')->{status}, 304, 'If-Modified-Since after Last-Modified: 304');
is(get('/c/cond', 'If-Modified-Since' => 'Sun, 01 Dec 2024 00:00:00 GMT')->{status}, 200, 'before it: 200');
is(seen('/c/cond'), 1, 'all from one upstream request');

# --- request no-cache goes upstream; unsafe methods invalidate
$r = get('/c/fresh', 'Cache-Control' => 'no-cache');
is($r->{headers}{'x-cache-status'}, 'EXPIRED', 'request no-cache: fetched again');
is(seen('/c/fresh'), 2, 'the backend saw it');
get('/c/post');
is(get('/c/post')->{headers}{'x-cache-status'}, 'HIT', 'stored');
is(http_request($p, 'POST', '/c/post', body => 'x')->{headers}{'x-cache-status'}, 'BYPASS', 'POST: BYPASS');
is(get('/c/post')->{headers}{'x-cache-status'}, 'MISS', 'and the stored answer is gone (RFC 9111 4.4)');

# --- purge: the PURGE method from purge_allow, and `bouncer purge`
get('/c/purgeme');
is(get('/c/purgeme')->{headers}{'x-cache-status'}, 'HIT', 'stored');
is(http_request($p, 'PURGE', '/c/purgeme')->{status}, 200, 'PURGE from an allowed network: 200');
is(get('/c/purgeme')->{headers}{'x-cache-status'}, 'MISS', 'the entry is gone');
is(http_request($p, 'PURGE', '/c/nothing-here')->{status}, 404, 'PURGE of what is not cached: 404');
is(http_request($p, 'PURGE', '/l/cold')->{status}, 403, 'PURGE on a route without purge_allow: 403');
is(get('/l/cold')->{headers}{'x-cache-status'}, 'HIT', 'and nothing was purged there');
get('/c/purge2');
my ($prc, $pout, $perr) = $t->cmd('purge', "http://LOCALHOST:$p/c/purge2");
is($prc, 0, 'bouncer purge URL: exit 0') or diag($perr);
like($pout, qr/purged from cache zone "main"/, 'and says where from');
is(get('/c/purge2')->{headers}{'x-cache-status'}, 'MISS', 'the URL\'s entry is gone');
get('/c/purge3');
($prc, $pout, $perr) = $t->cmd('purge', '--key', 'httplocalhost/c/purge3', '--zone', 'main');
is($prc, 0, 'bouncer purge --key KEY --zone NAME') or diag($perr);
is(get('/c/purge3')->{headers}{'x-cache-status'}, 'MISS', 'the key\'s entry is gone');
($prc, undef, $perr) = $t->cmd('purge', "http://localhost/c/never");
is($prc, 1, 'purging what is not cached: exit 1');
like($perr, qr/nothing cached under "httplocalhost\/c\/never"/, 'with a message');
($prc, undef, $perr) = $t->cmd('purge', '--key', 'x', '--zone', 'nope');
like($perr, qr/no cache zone named "nope"/, 'an unknown zone');
($prc, undef, $perr) = $t->cmd('purge', 'ftp://x/y');
is($prc, 2, 'not an http URL: a usage error');

# --- bodies: 1 MiB, chunked, cut short
my $big = get('/c/big');
is(length($big->{body}), 1024 * 1024 + 7, 'a 1 MiB body on the miss');
my $big2 = get('/c/big');
is($big2->{headers}{'x-cache-status'}, 'HIT', 'stored');
ok($big2->{body} eq $big->{body}, 'and served whole, byte for byte');
is(seen('/c/big'), 1, 'from one upstream request');
$r = get('/c/chunked');
# The stream handler sends no Cache-Control: the valid list (200, 10m) applies.
my $r2 = get('/c/chunked');
is($r2->{headers}{'x-cache-status'}, 'HIT', 'a chunked body is stored');
is(length($r2->{body}), 300_000, 'and served with its length');
$r = get('/c/cut');
$r2 = get('/c/cut');
is($r2->{headers}{'x-cache-status'} // '', 'MISS', 'a body cut short is not stored');
my @tmp = glob("$d/cache/.tmp-*");
is(scalar @tmp, 0, 'and no temporary file stays behind');

# --- the memory bound: a 256k index holds fewer than 2500 entries; the
# least recently used go (with their files), the newest stay
{
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $p) or die;
    my $n = 2500;
    my $req = join '', map { "GET /m/$_ HTTP/1.1\r\nHost: localhost\r\n\r\n" } 1 .. $n;
    my $off = 0;
    my $in = '';
    my $got = 0;
    binmode $s;
    $s->blocking(0);
    my $end = time + 60;
    while ($got < $n && time < $end) {
        if ($off < length $req) {
            my $w = syswrite($s, $req, 65536, $off);
            $off += $w if $w;
        }
        my $r = sysread($s, $in, 65536, length $in);
        $got = () = $in =~ m{HTTP/1\.1 200}g if $r;
        select(undef, undef, undef, 0.001) unless $r;
    }
    close $s;
    is($got, $n, "$n different entries into the 256k zone");
}
my @files = grep { -f } glob("$d/tiny/*/*");
cmp_ok(scalar @files, '<', 2500, 'the index bound evicted entries (' . scalar(@files) . ' files left)');
cmp_ok(scalar @files, '>', 1000, 'while keeping as many as fit');
is(get('/m/2500')->{headers}{'x-cache-status'}, 'HIT', 'the newest entry stays');
is(get('/m/1')->{headers}{'x-cache-status'}, 'MISS', 'the least recently used went');

# --- the disk bound: 20k holds about six 3 KiB answers
get("/c/disk$_") for 1 .. 12;
my $du = 0;
$du += -s $_ for grep { -f } glob("$d/small/*/*");
cmp_ok($du, '<=', 20 * 1024, "max_size bounds the files on disk ($du bytes)");
is(get('/c/disk12')->{headers}{'x-cache-status'}, 'HIT', 'the newest entries stay');
is(get('/c/disk1')->{headers}{'x-cache-status'}, 'MISS', 'the least recently used went');

# --- kept across a reload and a killed worker
my ($rc, undef, $err) = $t->cmd('reload');
is($rc, 0, 'reload') or diag($err);
ok(wait_until(sub { get('/c/fresh')->{headers}{'x-cache-status'} eq 'HIT' }, 5), 'a reload keeps the cache');
my ($w) = $t->worker_pids;
sleep 1.1;
$t->expect_alert(qr/worker process \d+ exited on signal SIGKILL/);
kill 'KILL', $w;
ok(wait_until(sub { !grep { $_ == $w } $t->worker_pids }, 5), 'a worker killed');
is(get('/c/fresh')->{headers}{'x-cache-status'}, 'HIT', 'the cache is still there');
is(seen('/c/fresh'), 2, 'and nothing more reached the backend');

# --- the manager drops entries unused for longer than inactive (1s here)
get('/c/brief');
is(get('/c/brief')->{headers}{'x-cache-status'}, 'HIT', 'stored in the zone with inactive = 1s');
ok(wait_until(sub { !grep { -f } glob("$d/brief/*/*") }, 15), 'left unused, it is evicted and its file removed');
is(get('/c/brief')->{headers}{'x-cache-status'}, 'MISS', 'so the next request misses');

# --- a restart keeps the cache: the loader indexes the files again, and
# throws away the temporary files of a writer that died
$t->stop;
$t->write_file("$d/cache/.tmp-99999-1", 'half a body');
$t->start(ports => [$p]);
ok($t->wait_log(qr/cache zone "main": \d+ entries loaded from disk/), 'the loader indexed the zone at start');
is(get('/c/fresh')->{headers}{'x-cache-status'}, 'HIT', 'a stored answer survives a restart');
is(get('/c/big')->{headers}{'x-cache-status'}, 'HIT', 'a large one too');
ok(!-e "$d/cache/.tmp-99999-1", 'a dead writer\'s temporary file is gone');
is(seen('/c/fresh'), 2, 'still nothing more at the backend');

$t->done;
done_testing;
