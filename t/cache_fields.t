# The cache reads a header on several lines as one field (RFC 9110 5.3):
# a later Cache-Control: private or no-store line is obeyed, a Vary on two
# lines names both, and the variant key takes every line of the request
# header it names.  Safe methods never invalidate; every other method,
# unknown ones too, does on a non-error answer (RFC 9111 4.4).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use Test::More;

my $t = BouncerTest->new;
my $d = $t->dir;
my ($p, $be) = ($t->port, $t->port);
my $serial = 0;
$t->backend($be, sub {
    my ($r) = @_;
    my $n = ++$serial;
    my $path = $r->{path};
    my $ae = $r->{headers}{'accept-encoding'} // '-';
    my $al = $r->{headers}{'accept-language'} // '-';
    return [200, ['Cache-Control' => 'max-age=3600', 'Cache-Control' => 'private'], "private #$n"]
        if $path =~ m{^/c/private2};
    return [200, ['Cache-Control' => 'max-age=3600', 'Cache-Control' => 'no-store'], "nostore #$n"]
        if $path =~ m{^/c/nostore2};
    return [200, ['Cache-Control' => 'max-age=3600', 'Cache-Control' => 'no-cache'], "nocache #$n"]
        if $path =~ m{^/c/nocache2};
    return [200, ['Cache-Control' => 'max-age=3600', 'Vary' => 'Accept-Encoding'], "ae $ae #$n"]
        if $path =~ m{^/c/vary-ae};
    return [200, ['Cache-Control' => 'max-age=3600', 'Vary' => 'Accept-Language', 'Vary' => 'Accept-Encoding'],
            "al $al ae $ae #$n"] if $path =~ m{^/c/vary2};
    return [500, [], "failed #$n"] if $r->{method} eq 'POST' && $path =~ m{/fail};
    return [200, ['Cache-Control' => 'max-age=3600'], "$r->{method} #$n"];
});
$t->config(<<C);
cache_zones = ( { name = "main"; path = "$d/cache"; memory = "1m"; } );
upstreams = ( { name = "be"; servers = ( { address = "127.0.0.1:$be"; } ); } );
servers = ( { listen = [ "127.0.0.1:$p" ];
  routes = ( { match = { prefix = "/c/"; }; upstream = "be"; cache = { zone = "main"; }; } ); } );
C
$t->start(ports => [$p]);

sub req {
    my ($method, $path, @h) = @_;
    my $raw = "$method $path HTTP/1.1\r\nHost: localhost\r\n";
    while (@h) {
        my ($n, $v) = splice(@h, 0, 2);
        $raw .= "$n: $v\r\n";
    }
    return parse_response(raw_request($p, "${raw}Connection: close\r\n\r\n"), head => $method eq 'HEAD');
}
sub status { $_[0]{headers}{'x-cache-status'} // '' }

# --- a second Cache-Control line
for my $what (qw(private2 nostore2 nocache2)) {
    my $a = req('GET', "/c/$what");
    my $b = req('GET', "/c/$what");
    isnt(status($b), 'HIT', "$what: a later Cache-Control line is obeyed (not stored)");
    isnt($a->{body}, $b->{body}, "$what: each request reaches the backend");
}
# ... and on the request: a second line with no-store
req('GET', '/c/reqnostore', 'Cache-Control' => 'max-stale=5', 'Cache-Control' => 'no-store');
isnt(status(req('GET', '/c/reqnostore')), 'HIT', "a request's later no-store line keeps it out");

# --- Vary keyed on every line of the request header
my $r = req('GET', '/c/vary-ae', 'Accept-Encoding' => 'gzip', 'Accept-Encoding' => 'br');
like($r->{body}, qr/^ae gzip, br #/, 'the backend got both lines');
$r = req('GET', '/c/vary-ae', 'Accept-Encoding' => 'gzip');
is(status($r), 'MISS', 'a gzip-only client is not served the gzip+br variant');
like($r->{body}, qr/^ae gzip #/, 'it gets its own');
$r = req('GET', '/c/vary-ae', 'Accept-Encoding' => 'gzip,br');
is(status($r), 'HIT', 'one line "gzip,br" is the same variant as the two lines');
like($r->{body}, qr/^ae gzip, br #/, 'and gets it');
$r = req('GET', '/c/vary-ae', 'Accept-Encoding' => 'gzip');
is(status($r), 'HIT', 'the gzip variant is stored apart');
like($r->{body}, qr/^ae gzip #/, 'with its own body');
# Accept-Encoding's tokens are case-insensitive (RFC 9110 12.5.3), and blanks
# are not part of a list's members: the same variant.
$r = req('GET', '/c/vary-ae', 'Accept-Encoding' => "GZIP ,\tBR ");
is(status($r), 'HIT', '"GZIP ,<tab>BR " is the variant of "gzip, br"');
like($r->{body}, qr/^ae gzip, br #/, 'and gets its body');
$r = req('GET', '/c/vary-ae', 'Accept-Encoding' => 'br, gzip');
is(status($r), 'MISS', 'another order is another variant (order may matter to the origin)');

# --- Vary on two response lines names both headers
req('GET', '/c/vary2', 'Accept-Language' => 'fr', 'Accept-Encoding' => 'gzip');
$r = req('GET', '/c/vary2', 'Accept-Language' => 'fr', 'Accept-Encoding' => 'br');
is(status($r), 'MISS', 'the second Vary line counts: another encoding is another variant');
$r = req('GET', '/c/vary2', 'Accept-Language' => 'de', 'Accept-Encoding' => 'gzip');
is(status($r), 'MISS', 'and so does the first');
$r = req('GET', '/c/vary2', 'Accept-Language' => 'fr', 'Accept-Encoding' => 'gzip');
is(status($r), 'HIT', 'the same values: HIT');
like($r->{body}, qr/^al fr ae gzip #/, 'with its body');

# --- safe methods never invalidate; others do on success
req('GET', '/c/safe');
is(status(req('GET', '/c/safe')), 'HIT', 'stored');
for my $m (qw(OPTIONS TRACE HEAD)) {
    my $x = req($m, '/c/safe');
    ok($x && $x->{status} == 200, "$m answered");
    is(status(req('GET', '/c/safe')), 'HIT', "$m does not invalidate");
}
req('POST', '/c/safe/fail');
req('GET', '/c/safe/fail');
is(status(req('GET', '/c/safe/fail')), 'HIT', 'stored');
req('POST', '/c/safe/fail');
is(status(req('GET', '/c/safe/fail')), 'HIT', 'an unsafe method that failed (500) does not invalidate');
for my $m (qw(POST PUT DELETE PATCH FROB)) {
    req('GET', "/c/m-$m");
    is(status(req('GET', "/c/m-$m")), 'HIT', "$m: stored first");
    my $x = req($m, "/c/m-$m");
    is($x && $x->{status}, 200, "$m answered");
    is(status(req('GET', "/c/m-$m")), 'MISS', "$m invalidates");
}

$t->done;
done_testing;
