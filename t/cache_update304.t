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
    return [404, [], 'no'];
});
$t->config(<<C);
cache_zones = ( { name = "main"; path = "$d/cache"; memory = "4m"; } );
upstreams = ( { name = "be"; servers = ( { address = "127.0.0.1:$be"; } ); } );
servers = ( { listen = [ "127.0.0.1:$p" ];
  routes = ( { match = { prefix = "/c/"; }; upstream = "be"; cache = { zone = "main"; }; } ); } );
C
$t->start(ports => [$p]);

sub req {
    my ($path) = @_;
    return parse_response(raw_request($p, "GET $path HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"));
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
$r = req('/c/big');
is(st($r), 'HIT', "the 304's freshness renews it");
is($r->{headers}{'test-header'}, 'a', 'its stored fields stay (the body is not copied to rewrite them)');

# --- a 304 that says no-store: not fresh, never served as fresh
req('/c/nostore');
sleep 2.1;
req('/c/nostore');
isnt(st(req('/c/nostore')), 'HIT', 'a 304 with no-store does not renew the entry');

$t->done;
done_testing;
