# What a client writes in Host and the request-target reaches the backend
# only once checked, and as it was checked: Host is uri-host [":" port]
# (RFC 9110 7.2) or 400, and goes upstream byte for byte; the cache key is
# built from the same value; without Host (HTTP/1.0) the block's name is
# the host for routing, the key and upstream alike; a fragment in the
# target is 400 (RFC 9112 3.2), as is a decoded NUL or control in the path.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use JSON::PP;
use Test::More;

my $t = BouncerTest->new;
my $d = $t->dir;
my ($p, $be) = ($t->port, $t->port);
my $serial = 0;
$t->backend($be, sub {
    my ($r) = @_;
    my $host = $r->{headers}{host} // '(none)';
    $serial++;
    return [302, ['Location' => "http://$host/login", 'Cache-Control' => 'max-age=60'],
            "host=$host"] if $r->{path} =~ m{^/c/};
    return [200, [], "path=$r->{path} host=$host"];
});
$t->config(<<C);
cache_zones = ( { name = "main"; path = "$d/cache"; memory = "1m"; } );
upstreams = ( { name = "be"; servers = ( { address = "127.0.0.1:$be"; } ); } );
servers = ( { listen = [ "127.0.0.1:$p" ]; names = [ "*.wild.test", "site.test", "example.com" ];
  routes = ( { match = { prefix = "/admin"; }; deny = [ "127.0.0.0/8" ]; upstream = "be"; },
             { match = { prefix = "/c/"; }; upstream = "be"; cache = { zone = "main"; }; },
             { match = { prefix = "/"; }; upstream = "be"; } ); } );
C
$t->start(ports => [$p]);

sub raw {
    my ($req) = @_;
    return parse_response(raw_request($p, $req));
}
sub seen { scalar $t->backend_requests($be) }

# --- Host: junk after the port must not reach the backend (nor the cache)
my $before = seen();
for my $bad ('example.com:80@evil.example', 'example.com:8o', 'example.com:123456',
             'example.com:80:90', 'user@example.com', 'example.com/x', 'exa%6dple.com',
             'example.com\\x', 'a b', 'example.com;x', '[::1', '[zz::1]', '[]', ':80',
             "example.com\x01", 'example.com,evil.example', '[::1]x', 'example.com:65536',
             'example.com:99999') {
    my $r = raw("GET /c/home HTTP/1.1\r\nHost: $bad\r\nConnection: close\r\n\r\n");
    is($r && $r->{status}, 400, "Host: $bad is 400");
}
is(seen(), $before, 'none of them reached the backend');
my $r = raw("GET /c/home HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n");
is($r->{status}, 302, 'a plain Host is served');
isnt($r->{headers}{'x-cache-status'}, 'HIT', 'and nothing was stored for it by the bad ones');
is($r->{headers}{location}, 'http://example.com/login', "the backend's own redirect");

# Valid forms go upstream exactly as the client wrote them.
for my $good ('Example.COM:8080', 'example.com:', 'example.com.', 'x.wild.test', '127.0.0.1:80',
              'example.com:65535',
              '[::1]:8080', '[2001:db8::1]', 'site.test:1') {
    $r = raw("GET /echo HTTP/1.1\r\nHost: $good\r\nConnection: close\r\n\r\n");
    is($r && $r->{body}, "path=/echo host=$good", "Host: $good goes upstream byte for byte");
}
# An empty Host names no server: as if there were none, the block's name
# goes upstream (HTTP/1.1 to the backend needs a Host).
$r = raw("GET /echo HTTP/1.1\r\nHost:\r\nConnection: close\r\n\r\n");
is($r && $r->{body}, 'path=/echo host=site.test', 'an empty Host: the block\'s name goes upstream');
# The absolute form's authority is checked the same way, and replaces Host.
$r = raw("GET http://example.com:80\@evil.example/echo HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n");
is($r->{status}, 400, 'absolute-form with userinfo: 400');
$r = raw("GET http://Site.Test:81/echo HTTP/1.1\r\nHost: other\r\nConnection: close\r\n\r\n");
is($r->{body}, 'path=/echo host=Site.Test:81', 'absolute-form: its authority goes upstream');

# --- a fragment slips past the route's deny if the path is cut at '?' only
$before = seen();
is(raw("GET /admin HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n")->{status}, 403,
   '/admin is denied');
for my $target ('/admin#/../x', '/x#frag', '/#', '/a?b#c', 'http://example.com/admin#/../x') {
    $r = raw("GET $target HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n");
    is($r && $r->{status}, 400, "$target: 400");
}
is(seen(), $before, 'no fragment reached the backend');

# --- decoded NUL and controls in the path
$before = seen();
for my $target ('/api/a%00b', '/a%0ab', '/a%0D%0Ab', '/a%1fb', '/a%7Fb', '/%00') {
    $r = raw("GET $target HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n");
    is($r && $r->{status}, 400, "$target: 400");
}
is(seen(), $before, 'none reached the backend');
$r = raw("GET /a%41b%20c HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n");
is($r->{body}, 'path=/a%41b%20c host=example.com', 'other escapes pass as they were written');

# --- HTTP/1.0 without Host: routing, key and upstream Host agree
$r = raw("GET /c/ten HTTP/1.0\r\n\r\n");
is($r->{status}, 302, 'HTTP/1.0 without Host is served');
is($r->{body}, 'host=site.test', "the upstream is sent the block's first plain name");
$r = raw("GET /c/ten HTTP/1.1\r\nHost: site.test\r\nConnection: close\r\n\r\n");
is($r->{headers}{'x-cache-status'}, 'HIT', 'stored under that name');
is($r->{body}, 'host=site.test', "and what is stored there is that name's answer");
$r = raw("GET /c/ten HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n");
is($r->{headers}{'x-cache-status'}, 'MISS', 'another name has its own entry');
is($r->{body}, 'host=example.com', 'and its own answer');

$t->done;
done_testing;
