# RFC 9111's freshness, through a real bouncer and a real backend: the age
# a response comes with (Age, 4.2.3, 5.1), Cache-Control on several lines
# and in odd syntax (5.2, RFC 9110 5.3), Expires in the three date forms
# (RFC 9110 5.6.7, RFC 9111 5.3), heuristic freshness (4.2.2), the
# request's directives (5.2.1), no-cache and must-revalidate in responses
# (5.2.2.4, 5.2.2.2), the targeted fields (RFC 9213), and the entries of
# an older format dropped at load.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use POSIX qw(strftime);
use Test::More;
use Time::HiRes qw(time sleep);

my $t = BouncerTest->new;
my $d = $t->dir;
my ($p, $be) = ($t->port, $t->port);

sub imf { strftime('%a, %d %b %Y %H:%M:%S GMT', gmtime($_[0])) }

# What each path answers: its headers name the case.
$t->backend($be, sub {
    my ($r) = @_;
    my $now = int(CORE::time());
    my $body = sprintf('%s %.6f', $r->{path}, time);
    my $path = $r->{path};
    my %case = (
        '/c/age58'        => ['Cache-Control' => 'max-age=60', 'Age' => '58'],
        '/c/age-none'     => ['Cache-Control' => 'max-age=60'],
        '/c/age-bad'      => ['Cache-Control' => 'max-age=60', 'Age' => 'abc'],
        '/c/age-list'     => ['Cache-Control' => 'max-age=60', 'Age' => '58, 1'],
        '/c/age-huge'     => ['Cache-Control' => 'max-age=60', 'Age' => '99999999999999999999'],
        '/c/lines'        => ['Cache-Control' => 'public', 'Cache-Control' => 'max-age=3600'],
        '/c/quoted'       => ['Cache-Control' => 'max-age="3600"'],
        '/c/single'       => ['Cache-Control' => "max-age='3600'"],
        '/c/inquotes'     => ['Cache-Control' => 'extension="max-age=3600", x=1'],
        '/c/upper'        => ['Cache-Control' => 'MAX-AGE=3600'],
        '/c/exp-imf'      => ['Date' => imf($now), 'Expires' => imf($now + 3600)],
        '/c/exp-850'      => ['Date' => imf($now),
                              'Expires' => strftime('%A, %d-%b-%y %H:%M:%S GMT', gmtime($now + 3600))],
        '/c/exp-asctime'  => ['Date' => imf($now),
                              'Expires' => strftime('%a %b %e %H:%M:%S %Y', gmtime($now + 3600))],
        '/c/exp-zero'     => ['Date' => imf($now), 'Expires' => '0'],
        '/c/exp-past'     => ['Date' => imf($now), 'Expires' => imf($now - 3600)],
        '/c/exp-two'      => ['Date' => imf($now), 'Expires' => imf($now + 3600), 'Expires' => imf($now + 7200)],
        '/c/maxage-bad'   => ['Date' => imf($now), 'Expires' => imf($now + 3600), 'Cache-Control' => 'max-age=abc'],
        '/c/maxage-wins'  => ['Date' => imf($now), 'Expires' => imf($now - 3600), 'Cache-Control' => 'max-age=3600'],
        '/c/heur'         => ['Date' => imf($now), 'Last-Modified' => imf($now - 10 * 86400)],
        '/h0/heur'        => ['Date' => imf($now), 'Last-Modified' => imf($now - 10 * 86400)],
        '/c/heur-none'    => ['Date' => imf($now)],
        '/c/404heur'      => ['Date' => imf($now), 'Last-Modified' => imf($now - 10 * 86400)],
        '/c/nc'           => ['Cache-Control' => 'no-cache, max-age=3600', 'ETag' => '"v1"'],
        '/c/nc-novalid'   => ['Cache-Control' => 'no-cache, max-age=3600'],
        '/c/mr'           => ['Cache-Control' => 'max-age=1, must-revalidate'],
        '/c/pr'           => ['Cache-Control' => 'max-age=1, proxy-revalidate'],
        '/c/plain1'       => ['Cache-Control' => 'max-age=1'],
        '/c/sm'           => ['Cache-Control' => 's-maxage=1'],
        '/c/cdn'          => ['Cache-Control' => 'no-store', 'CDN-Cache-Control' => 'max-age=3600'],
        '/c/cdn-bad'      => ['Cache-Control' => 'no-store', 'CDN-Cache-Control' => 'max-age=3600, ,'],
        '/c/own'          => ['Cache-Control' => 'max-age=3600', 'CDN-Cache-Control' => 'max-age=3600',
                              'Bouncer-Cache-Control' => 'no-store'],
        '/c/cdn-cookie'   => ['CDN-Cache-Control' => 'max-age=3600', 'Set-Cookie' => 'sid=1'],
        '/t0/cdn'         => ['Cache-Control' => 'no-store', 'CDN-Cache-Control' => 'max-age=3600'],
        '/c/stale'        => ['Cache-Control' => 'max-age=1'],
        '/s/swr-in'       => ['Cache-Control' => 'max-age=1, stale-while-revalidate=30'],
        '/s/swr-out'      => ['Cache-Control' => 'max-age=1, stale-while-revalidate=1'],
        '/s/sie-in'       => ['Cache-Control' => 'max-age=1, stale-if-error=30'],
        '/s/sie-out'      => ['Cache-Control' => 'max-age=1, stale-if-error=1'],
        '/c/fresh'        => ['Cache-Control' => 'max-age=3600'],
    );
    if ($path eq '/c/nc' && ($r->{headers}{'if-none-match'} // '') eq '"v1"') {
        return [304, ['ETag' => '"v1"', 'Cache-Control' => 'no-cache, max-age=3600'], ''];
    }
    if ($path =~ m{^/(c/(mr|pr|sm|plain1)|s/sie)} && -e "$d/down") {
        return [500, [], 'down'];
    }
    my $h = $case{$path} // ['Cache-Control' => 'max-age=3600'];
    return [$path =~ m{/404} ? 404 : 200, $h, $body];
});
$t->config(<<C);
cache_zones = ( { name = "main"; path = "$d/cache"; memory = "1m"; } );
upstreams = ( { name = "be"; servers = ( { address = "127.0.0.1:$be"; } ); } );
servers = ( { listen = [ "127.0.0.1:$p" ];
  routes = (
    { match = { prefix = "/h0/"; }; upstream = "be"; cache = { zone = "main"; heuristic_max = "0s"; }; },
    { match = { prefix = "/t0/"; }; upstream = "be"; cache = { zone = "main"; targeted = false; }; },
    { match = { prefix = "/s/"; }; upstream = "be"; cache = { zone = "main"; }; },
    { match = { prefix = "/c/"; }; upstream = "be";
      cache = { zone = "main"; use_stale = [ "error", "timeout", "http_5xx" ]; }; }
  ); } );
C

# An entry of the format before this one (BNC1), placed where a GET of /c/old
# would find it: the loader drops it, never reads it as this format.
mkdir "$d/cache";
{
    require Digest::SHA;
    my $key = substr(Digest::SHA::sha256_hex("httplocalhost/c/old"), 0, 32);
    # Made as bouncer makes its folders, writable by its workers' user.
    mkdir "$d/cache/" . substr($key, 0, 2);
    chmod 0777, "$d/cache", "$d/cache/" . substr($key, 0, 2);
    my $lines = "Cache-Control: max-age=3600\r\n";
    my $meta = sprintf('BNC1 %d %d 200 %d', CORE::time(), CORE::time() + 3600, length $lines);
    $meta .= ' ' x (127 - length $meta) . "\n";
    $t->write_file('cache/' . substr($key, 0, 2) . "/$key", $meta . $lines . 'old format');
    $t->{old_entry} = "$d/cache/" . substr($key, 0, 2) . "/$key";
}

$t->start(ports => [$p]);

sub req {
    my ($path, @h) = @_;
    my $raw = "GET $path HTTP/1.1\r\nHost: localhost\r\n";
    while (@h) {
        my ($n, $v) = splice(@h, 0, 2);
        $raw .= "$n: $v\r\n";
    }
    return parse_response(raw_request($p, "${raw}Connection: close\r\n\r\n"));
}
sub st { $_[0]{headers}{'x-cache-status'} // '' }
sub upstream_hits { scalar grep { $_->{path} eq $_[0] } $t->backend_requests($be) }
# Twice: is the second answer the stored one?
sub stored {
    my ($path, @h) = @_;
    my $a = req($path, @h);
    my $b = req($path, @h);
    return st($b) eq 'HIT' && $a->{body} eq $b->{body};
}

# --- 4.2.3, 5.1: Age
{
    my $a = req('/c/age58');
    cmp_ok($a->{headers}{age} // -1, '>=', 58, 'Age: the Age sent on includes the upstream\'s (58)');
    my $b = req('/c/age58');
    is(st($b), 'HIT', 'Age 58 with max-age=60: fresh at first');
    cmp_ok($b->{headers}{age}, '>=', 58, 'and a hit says its age from the upstream\'s on');
    req('/c/age-none');
    sleep 3.1;
    isnt(st(req('/c/age58')), 'HIT', 'Age 58 with max-age=60: stale two seconds later, not after 60');
    is(st(req('/c/age-none')), 'HIT', 'without Age, the same max-age=60 is still fresh');
    ok(stored('/c/age-bad'), 'Age: an invalid value is ignored (5.1), the response is fresh');
    my $l = req('/c/age-list');
    cmp_ok($l->{headers}{age}, '>=', 58, 'Age "58, 1": the first member counts');
    is(st(req('/c/age-huge')), 'MISS', 'Age past 2^31 saturates: stale at once, not stored fresh');
}

# --- 5.2, RFC 9110 5.3: Cache-Control's syntax and lines
ok(stored('/c/lines'), 'max-age in a second Cache-Control line counts');
ok(stored('/c/quoted'), 'max-age="3600" (a quoted-string argument) counts (5.2)');
ok(!stored('/c/single'), "max-age='3600' is not a delta-seconds: not fresh");
ok(!stored('/c/inquotes'), '"max-age" inside a quoted string is not a directive');
ok(stored('/c/upper'), 'directive names are case-insensitive (5.2)');

# --- RFC 9110 5.6.7, RFC 9111 5.3: Expires
ok(stored('/c/exp-imf'), 'Expires as an IMF-fixdate');
ok(stored('/c/exp-850'), 'Expires in the obsolete RFC 850 form');
ok(stored('/c/exp-asctime'), "Expires in asctime's form");
ok(!stored('/c/exp-zero'), 'Expires: 0 is an invalid date: already expired');
ok(!stored('/c/exp-past'), 'Expires in the past');
ok(!stored('/c/exp-two'), 'two Expires lines: not a date, stale (4.2.1)');
ok(stored('/c/maxage-wins'), 'max-age wins over a past Expires (5.3)');
ok(!stored('/c/maxage-bad'), 'a max-age that is no number is stale, not overridden by Expires (4.2.1)');

# --- 4.2.2: heuristic freshness
ok(stored('/c/heur'), 'Last-Modified 10 days before Date, no explicit freshness: heuristically fresh');
ok(!stored('/h0/heur'), 'heuristic_max = "0s" turns heuristics off');
ok(!stored('/c/heur-none'), 'no Last-Modified, no freshness: not stored');
ok(stored('/c/404heur'), 'a 404 is heuristically cacheable too (RFC 9110 15.1)');

# --- 5.2.1: the request's directives
{
    req('/c/fresh');
    sleep 1.1; # an age of 0 is within max-age=0 (5.2.1.1): let it age
    isnt(st(req('/c/fresh', 'Cache-Control' => 'max-age=0')), 'HIT',
         'request max-age=0: an entry a second old is not taken');
    is(st(req('/c/fresh')), 'HIT', 'a plain request still gets the entry');
    isnt(st(req('/c/fresh', 'Cache-Control' => 'min-fresh=100000')), 'HIT',
         'request min-fresh past the entry\'s freshness: not from the cache');
    is(st(req('/c/fresh', 'Cache-Control' => 'min-fresh=10')), 'HIT', 'a min-fresh it meets: a hit');

    my $r = req('/c/never-stored', 'Cache-Control' => 'only-if-cached');
    is($r->{status}, 504, 'only-if-cached with nothing stored: 504');
    is(upstream_hits('/c/never-stored'), 0, 'and the origin is not asked');
    is(st(req('/c/fresh', 'Cache-Control' => 'only-if-cached')), 'HIT', 'only-if-cached with it stored: a hit');

    req('/c/stale');
    sleep 2.1;
    my $n = upstream_hits('/c/stale');
    $r = req('/c/stale', 'Cache-Control' => 'max-stale=60');
    is(st($r), 'STALE', 'request max-stale=60 takes a second-old stale entry');
    is(upstream_hits('/c/stale'), $n, 'without asking the origin');
    isnt(st(req('/c/stale', 'Cache-Control' => 'max-stale=0')), 'STALE', 'max-stale=0 does not');
}

# --- 5.2.2.4: no-cache responses are stored and revalidated before each use
{
    my $a = req('/c/nc');
    my $b = req('/c/nc');
    is(st($b), 'REVALIDATED', 'a no-cache response is stored and revalidated on the next use');
    is($b->{body}, $a->{body}, 'and the stored body is served after the 304');
    my @seen = grep { $_->{path} eq '/c/nc' } $t->backend_requests($be);
    is($seen[-1]{headers}{'if-none-match'}, '"v1"', 'the revalidation sent the stored ETag');
    ok(!stored('/c/nc-novalid'), 'no-cache without a validator: not worth storing');
}

# --- 5.2.2.2, 5.2.2.8: must-revalidate and proxy-revalidate forbid stale, even with use_stale
{
    req($_) for qw(/c/mr /c/pr /c/sm /c/plain1);
    sleep 2.1;
    $t->write_file('down', '');
    is(req('/c/mr')->{status}, 500, 'must-revalidate: an upstream 5xx is not hidden by a stale entry');
    is(req('/c/pr')->{status}, 500, 'proxy-revalidate: the same for a shared cache');
    is(req('/c/sm')->{status}, 500, 's-maxage implies proxy-revalidate (5.2.2.10)');
    my $r = req('/c/plain1');
    is(st($r), 'STALE', 'without it use_stale http_5xx serves the stale entry');
    unlink "$d/down";
}

# --- RFC 5861: the stale windows, on a route without use_stale
{
    req($_) for qw(/s/swr-in /s/swr-out /s/sie-in /s/sie-out);
    sleep 3.2; # all expired a second after they came; the 1 s windows are over too
    is(st(req('/s/swr-in')), 'STALE', 'stale-while-revalidate=30: served stale within the window (5861 3)');
    isnt(st(req('/s/swr-out')), 'STALE', 'stale-while-revalidate=1: not once the window is over');
    $t->write_file('down', '');
    is(st(req('/s/sie-in')), 'STALE', 'stale-if-error=30: an upstream 500 is answered stale within it (5861 4)');
    is(req('/s/sie-out')->{status}, 500, 'stale-if-error=1: past the window the error goes through');
    unlink "$d/down";
}

# --- RFC 9213: targeted fields
ok(stored('/c/cdn'), 'CDN-Cache-Control: max-age=3600 overrides Cache-Control: no-store for this cache');
ok(!stored('/c/cdn-bad'), 'an invalid CDN-Cache-Control is ignored whole: Cache-Control governs');
ok(!stored('/c/own'), 'Bouncer-Cache-Control is the most specific: its no-store wins');
ok(!exists req('/c/own')->{headers}{'bouncer-cache-control'}, 'and it is not passed on to the client');
ok(exists req('/c/cdn')->{headers}{'cdn-cache-control'}, 'CDN-Cache-Control is, for the CDNs beyond');
ok(!stored('/c/cdn-cookie'), 'a Set-Cookie still keeps it out, whatever the targeted field says');
ok(!stored('/t0/cdn'), 'targeted = false: the route obeys Cache-Control alone');

# --- the entry format
ok(!-e $t->{old_entry}, 'an entry of the older format was removed at load');
my $r = req('/c/old');
is(st($r), 'MISS', 'and never served');
unlike($r->{body}, qr/old format/, 'its body is not what the client gets');

$t->done;
done_testing;
