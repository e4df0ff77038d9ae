# A 304 to a revalidation updates the stored response (RFC 9111 3.2,
# 4.3.4): "the cache MUST add each header field in the provided response to
# the stored response, replacing field values that are already present",
# but Content-Length, which describes the stored body; the body stays; the
# freshness is judged again from the updated fields, and the answer to the
# request that revalidated carries them, as every later hit does.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use Test::More;
use Time::HiRes qw(sleep);

my $t = BouncerTest->new;
my $d = $t->dir;
my ($p, $be) = ($t->port, $t->port);
my $big = 'b' x (2 * 1024 * 1024);

$t->backend($be, sub {
    my ($r) = @_;
    my $inm = $r->{headers}{'if-none-match'} // '';
    my $path = $r->{path};
    if ($path eq '/c/update') {
        return [304, ['ETag' => '"v1"', 'Cache-Control' => 'max-age=3600', 'Test-Header' => 'b',
                      'New-Header' => 'n', 'Content-Length' => '10'], ''] if $inm eq '"v1"';
        return [200, ['ETag' => '"v1"', 'Cache-Control' => 'max-age=1', 'Test-Header' => 'a',
                      'X-Keep' => 'k'], 'hello'];
    }
    if ($path eq '/c/bare') {
        # A 304 that says nothing of freshness: the stored max-age=1 holds again.
        return [304, ['ETag' => '"v2"'], ''] if $inm eq '"v2"';
        return [200, ['ETag' => '"v2"', 'Cache-Control' => 'max-age=1', 'Test-Header' => 'a'], 'bare'];
    }
    if ($path eq '/c/big') {
        return [304, ['ETag' => '"v3"', 'Cache-Control' => 'max-age=3600', 'Test-Header' => 'b'], '']
            if $inm eq '"v3"';
        return [200, ['ETag' => '"v3"', 'Cache-Control' => 'max-age=1', 'Test-Header' => 'a'], $big];
    }
    if ($path eq '/c/nostore') {
        return [304, ['ETag' => '"v4"', 'Cache-Control' => 'no-store'], ''] if $inm eq '"v4"';
        return [200, ['ETag' => '"v4"', 'Cache-Control' => 'max-age=1'], 'nostore'];
    }
    if ($path =~ m{^/(?:c|v)/cookie$}) {
        return [304, ['ETag' => '"v5"', 'Set-Cookie' => 'sid=alice-secret'], ''] if $inm eq '"v5"';
        return [200, ['ETag' => '"v5"', 'Cache-Control' => 'max-age=1'], 'cookie'];
    }
    if ($path =~ m{^/(?:c|v)/private$}) {
        return [304, ['ETag' => '"v6"', 'Cache-Control' => 'private, max-age=3600',
                      'X-User' => 'alice'], ''] if $inm eq '"v6"';
        return [200, ['ETag' => '"v6"', 'Cache-Control' => 'max-age=1'], 'private'];
    }
    if ($path =~ m{^/(?:c|v)/auth$}) {
        my $auth = $r->{headers}{'authorization'} // 'none';
        return [304, ['ETag' => '"v7"', 'X-User' => "user:$auth"], ''] if $inm eq '"v7"';
        return [200, ['ETag' => '"v7"', 'Cache-Control' => 'public, max-age=1'], 'auth'];
    }
    if ($path eq '/c/authpublic') {
        my $auth = $r->{headers}{'authorization'} // 'none';
        return [304, ['ETag' => '"v8"', 'Cache-Control' => 'public, max-age=3600',
                      'X-Shared' => 'yes'], ''] if $inm eq '"v8"';
        return [200, ['ETag' => '"v8"', 'Cache-Control' => 'public, max-age=1'], 'authpublic'];
    }
    if ($path eq '/c/othertag') {
        # A 304 naming a strong tag that is not the stored one's (4.3.4).
        return [304, ['ETag' => '"other"', 'Cache-Control' => 'max-age=3600', 'Test-Header' => 'b'], '']
            if $inm eq '"v9"';
        return [200, ['ETag' => '"v9"', 'Cache-Control' => 'max-age=1', 'Test-Header' => 'a'], 'tag'];
    }
    if ($path eq '/c/swr') {
        return [304, ['ETag' => '"v10"', 'Cache-Control' => 'max-age=3600', 'Test-Header' => 'b'], '']
            if $inm eq '"v10"';
        return [200, ['ETag' => '"v10"', 'Cache-Control' => 'max-age=1, stale-while-revalidate=60',
                      'Test-Header' => 'a'], 'swr'];
    }
    return [404, [], 'no'];
});
$t->config(<<C);
cache_zones = ( { name = "main"; path = "$d/cache"; memory = "4m"; } );
upstreams = ( { name = "be"; servers = ( { address = "127.0.0.1:$be"; } ); } );
servers = ( { listen = [ "127.0.0.1:$p" ];
  routes = ( { match = { prefix = "/c/"; }; upstream = "be"; cache = { zone = "main"; }; },
             { match = { prefix = "/v/"; }; upstream = "be";
               cache = { zone = "main"; valid = ( { status = [ "200" ]; ttl = "10m"; } ); }; } ); } );
C
$t->start(ports => [$p]);

sub req {
    my ($path, $extra) = @_;
    $extra //= '';
    return parse_response(raw_request($p,
        "GET $path HTTP/1.1\r\nHost: localhost\r\n${extra}Connection: close\r\n\r\n"));
}
# What the backend was last sent for path.
sub last_sent {
    my ($path) = @_;
    my @r = grep { $_->{path} eq $path } $t->backend_requests($be);
    return $r[-1];
}
sub st { $_[0]{headers}{'x-cache-status'} // '' }

# --- fields replaced, added and kept; the body and its length stay
req('/c/update');
sleep 2.1;
my $r = req('/c/update');
is(st($r), 'REVALIDATED', 'the stale entry is revalidated, and the origin says 304');
is($r->{headers}{'test-header'}, 'b', "the 304's value replaces the stored one in this answer");
is($r->{headers}{'new-header'}, 'n', "a field only the 304 has is added");
is($r->{headers}{'x-keep'}, 'k', 'a stored field the 304 lacks stays');
is($r->{headers}{'cache-control'}, 'max-age=3600', "Cache-Control too is the 304's");
is($r->{body}, 'hello', 'the stored body is served');
is($r->{headers}{'content-length'}, 5, "Content-Length is the stored body's, not the 304's 10");
$r = req('/c/update');
is(st($r), 'HIT', "the 304's max-age=3600 makes it fresh (4.3.4: freshness from the updated fields)");
is($r->{headers}{'test-header'}, 'b', 'and the stored copy has the new value');
is($r->{headers}{'new-header'}, 'n', 'and the added field');
is($r->{body}, 'hello', 'with the same body');

# --- a 304 without Cache-Control: the stored one governs again
req('/c/bare');
sleep 2.1;
is(st(req('/c/bare')), 'REVALIDATED', 'revalidated');
is(st(req('/c/bare')), 'HIT', "the stored max-age=1 counts again from the 304's time");

# --- a body over 1 MiB: renewed, its stored fields kept
req('/c/big');
sleep 2.1;
$r = req('/c/big');
is(st($r), 'REVALIDATED', 'a large entry is revalidated');
is(length($r->{body}), length($big), 'and served whole');
is($r->{headers}{'test-header'}, 'b', "the answer to the revalidation carries the 304's fields");
$r = req('/c/big');
is(st($r), 'HIT', "the 304's freshness renews it");
is($r->{headers}{'test-header'}, 'a', 'its stored fields stay (the body is not copied to rewrite them)');
is(length($r->{body}), length($big), 'and the body is served whole from the file');

# --- a 304 that says no-store: not fresh, never served as fresh
req('/c/nostore');
sleep 2.1;
req('/c/nostore');
isnt(st(req('/c/nostore')), 'HIT', 'a 304 with no-store does not renew the entry');

# --- a 304 whose fields may not be shared: its client gets them, nobody
# else, whether or not the route's `valid` would give the entry a lease
for my $pre ('/c', '/v') {
    req("$pre/cookie");
    sleep 2.1;
    $r = req("$pre/cookie", "Cookie: sid=alice\r\n");
    is(st($r), 'REVALIDATED', "$pre: a 304 with Set-Cookie answers the client that revalidated");
    is($r->{headers}{'set-cookie'}, 'sid=alice-secret', "$pre: which gets its cookie");
    is($r->{body}, 'cookie', "$pre: and the stored body");
    $r = req("$pre/cookie");
    ok(!defined $r->{headers}{'set-cookie'}, "$pre: the next client does not get that cookie");
    is(st($r), 'MISS', "$pre: the entry was dropped: the next client is a miss");
    ok(!defined last_sent("$pre/cookie")->{headers}{'if-none-match'},
       "$pre: and the origin is asked afresh, without the dropped entry's validators");

    req("$pre/private");
    sleep 2.1;
    $r = req("$pre/private");
    is($r->{headers}{'x-user'}, 'alice', "$pre: a 304 that turns private answers its client with its fields");
    $r = req("$pre/private");
    is(st($r), 'MISS', "$pre: then the entry is gone, not a shared HIT");
    ok(!defined $r->{headers}{'x-user'}, "$pre: and the next client does not get the private field");

    # A 304 to a request with credentials, not itself public: the stored
    # public response stays as it was (RFC 9111 3.5).
    req("$pre/auth");
    sleep 2.1;
    $r = req("$pre/auth", "Authorization: Bearer alice\r\n");
    is(st($r), 'REVALIDATED', "$pre: a request with credentials revalidates the public entry");
    is($r->{headers}{'x-user'}, 'user:Bearer alice', "$pre: and gets the 304's fields");
    $r = req("$pre/auth");
    is(st($r), 'REVALIDATED', "$pre: the entry was not renewed from that 304: the next client revalidates");
    is($r->{headers}{'x-user'}, 'user:none', "$pre: and gets its own 304's fields, not alice's");
}

# A 304 to a request with credentials that says public itself is shared.
req('/c/authpublic');
sleep 2.1;
is(st(req('/c/authpublic', "Authorization: Bearer alice\r\n")), 'REVALIDATED', 'revalidated with credentials');
$r = req('/c/authpublic');
is(st($r), 'HIT', "a 304 that says public renews the shared entry");
is($r->{headers}{'x-shared'}, 'yes', 'with its fields');

# --- a 304 that names another strong entity-tag updates nothing (4.3.4)
req('/c/othertag');
sleep 2.1;
$r = req('/c/othertag');
is($r->{headers}{'test-header'}, 'a', "a 304 naming another entity-tag does not change the stored fields");
is($r->{headers}{'etag'}, '"v9"', 'nor its ETag');
isnt(st(req('/c/othertag')), 'HIT', 'nor renew it');

# --- a background refresh (stale-while-revalidate) answered 304 updates the
# stored fields too
req('/c/swr');
sleep 2.1;
$r = req('/c/swr');
is(st($r), 'STALE', 'within stale-while-revalidate: the stale entry, and a refresh in the background');
is($r->{headers}{'test-header'}, 'a', 'with the stored fields');
ok(wait_until(sub { (req('/c/swr')->{headers}{'test-header'} // '') eq 'b' }, 5),
   "the background refresh's 304 updated the stored fields");
$r = req('/c/swr');
is(st($r), 'HIT', "and renewed the entry from the 304's max-age");
is($r->{body}, 'swr', 'with the stored body');

$t->done;
done_testing;
