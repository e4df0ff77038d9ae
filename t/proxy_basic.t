# Proxying: requests reach the backend with X-Forwarded-For, bodies go up,
# responses come back, keep-alive on both sides, 502 and 504.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use Test::More;
use JSON::PP;

my $t = BouncerTest->new;
my ($p, $be, $dead, $slow) = ($t->port, $t->port, $t->port, $t->port);

$t->backend($be);
$t->backend($slow, sub { my $r = shift; return { sleep => 3, response => [200, [], "late"] } });
$t->config(<<C);
upstreams = (
  { name = "app"; servers = ( { address = "127.0.0.1:$be"; } ); },
  { name = "dead"; servers = ( { address = "127.0.0.1:$dead"; } ); retries = 0; },
  { name = "slow"; servers = ( { address = "127.0.0.1:$slow"; } ); read_timeout = "1s"; }
);
servers = ( {
  listen = [ "127.0.0.1:$p" ];
  routes = (
    { match = { prefix = "/dead"; }; upstream = "dead"; },
    { match = { prefix = "/slow"; }; upstream = "slow"; },
    { match = { prefix = "/app/"; }; upstream = "app"; }
  );
} );
C
$t->start(ports => [$p]);

my $r = http_request($p, 'GET', '/app/hello?x=1', headers => ['X-Forwarded-For' => '10.9.9.9']);
is($r->{status}, 200, 'GET proxied');
my $echo = decode_json($r->{body});
is($echo->{path}, '/app/hello?x=1', 'path and query reach the backend unchanged');
is($echo->{headers}{'x-forwarded-for'}, '10.9.9.9, 127.0.0.1', 'X-Forwarded-For gets the peer appended');
is($echo->{headers}{'x-real-ip'}, '127.0.0.1', 'X-Real-IP is the client');
is($echo->{headers}{'host'}, 'localhost', 'Host passed unchanged');
is($r->{headers}{server}, 'bouncer', 'Server: bouncer, no version');
ok(!exists $echo->{headers}{connection} || $echo->{headers}{connection} !~ /close/i,
   'no Connection: close sent upstream (keep-alive)');

$r = http_request($p, 'POST', '/app/post', body => 'a=1&b=2');
is($r->{status}, 200, 'POST proxied');
is(decode_json($r->{body})->{body}, 'a=1&b=2', 'request body reached the backend');

for my $m (qw(PUT DELETE)) {
    $r = http_request($p, $m, '/app/x', body => 'zz');
    is(decode_json($r->{body})->{method}, $m, "$m proxied");
}
$r = http_request($p, 'HEAD', '/app/head');
is($r->{status}, 200, 'HEAD proxied');
is($r->{body}, '', 'HEAD has no body');

# Three requests on one client connection, the backend sees them on one too.
my $raw = join '', map { "GET /app/ka$_ HTTP/1.1\r\nHost: a\r\n\r\n" } 1 .. 3;
my $out = raw_request($p, $raw, until => qr/ka3.*\}\s*$/s, timeout => 5);
my @resp;
while (my $x = parse_response($out)) { push @resp, $x; $out = $x->{rest}; last if $out eq '' }
is(scalar @resp, 3, 'three pipelined requests, three responses');
like($resp[2]{body}, qr/ka3/, 'answered in order');

# Large response streamed.
$t->stop;
my $big = $t->port;
$t->backend($big, sub { [200, ['Content-Type' => 'application/octet-stream'], 'z' x (3 * 1024 * 1024)] });
$t->config(<<C);
upstreams = ( { name = "big"; servers = ( { address = "127.0.0.1:$big"; } ); },
              { name = "dead"; servers = ( { address = "127.0.0.1:$dead"; } ); retries = 0; },
              { name = "slow"; servers = ( { address = "127.0.0.1:$slow"; } ); read_timeout = "1s"; } );
servers = ( { listen = [ "127.0.0.1:$p" ];
  routes = ( { match = { prefix = "/dead"; }; upstream = "dead"; },
             { match = { prefix = "/slow"; }; upstream = "slow"; },
             { match = { prefix = "/"; }; upstream = "big"; } ); } );
C
$t->start(ports => [$p]);
$r = http_request($p, 'GET', '/big');
is(length($r->{body}), 3 * 1024 * 1024, '3 MiB response arrives whole');

$r = http_request($p, 'GET', '/dead');
is($r->{status}, 502, 'connection refused upstream: 502');
unlike($r->{body}, qr/127\.0\.0\.1|$dead/, '502 page leaks no upstream address');
like($t->error_log, qr/\[error\].*connect\(\) to upstream failed.*Connection refused/, 'the error log says why');

$r = http_request($p, 'GET', '/slow');
is($r->{status}, 504, 'upstream read timeout: 504');
unlike($r->{body}, qr/127\.0\.0\.1/, '504 page leaks no upstream address');

my $proto = BouncerTest::h2_mode() ? 'HTTP/2.0' : 'HTTP/1.1';
like($t->access_log, qr/"GET \/dead \Q$proto\E" 502 /, 'access log has the 502');

$t->done;
done_testing;
