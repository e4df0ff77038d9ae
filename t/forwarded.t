# Who the client was: X-Forwarded-For, X-Real-IP, X-Forwarded-Proto/-Host,
# RFC 7239 Forwarded, real_ip from trusted proxies only, and variables in
# header values and redirects.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use JSON::PP;
use Test::More;

my $t = BouncerTest->new;
my ($p, $p2, $be) = ($t->port, $t->port, $t->port);
$t->backend($be, sub { [200, [], encode_json({ h => $_[0]{headers}, path => $_[0]{path} })] });
$t->config(<<C, access_format => 'json');
upstreams = ( { name = "app"; servers = ( { address = "127.0.0.1:$be"; } ); } );
servers = (
  { listen = [ "127.0.0.1:$p" ];
    names = [ "trusting.test" ];
    real_ip = { from = [ "127.0.0.0/8", "10.0.0.0/8" ]; };
    routes = (
      { match = { prefix = "/guarded"; }; deny = [ "203.0.113.0/24" ]; upstream = "app"; },
      { match = { prefix = "/inside"; }; allow = [ "198.51.100.0/24" ]; upstream = "app"; },
      { match = { regex = "^/r/([a-z]+)/(\\\\d+)\$"; }; redirect = { to = "https://\$host/\$2/\$1?from=\$remote_addr"; status = 302; }; },
      { match = { prefix = "/"; }; upstream = "app";
        request_headers = { set = [ "X-Client: \$remote_addr", "X-Req: \$method \$uri \$args", "X-Id: \${request_id}" ];
                            add = [ "X-Cookie: \$cookie_session", "X-Arg: \$arg_q", "X-Hdr: \$http_x_custom_thing", "X-Server: \$server_name \$scheme" ]; };
        response_headers = { set = [ "X-Echo-Host: \$host" ]; }; }
    ); },
  { listen = [ "127.0.0.1:$p2" ];
    real_ip = { from = [ "10.0.0.0/8" ]; };
    routes = ( { match = { prefix = "/guarded"; }; deny = [ "203.0.113.0/24" ]; upstream = "app"; },
               { match = { prefix = "/"; }; upstream = "app"; } ); }
);
C
$t->start(ports => [$p, $p2]);

# Peer 127.0.0.1 is trusted on $p: the client is the rightmost untrusted address.
my $r = http_request($p, 'GET', '/a?q=1&x=2', host => 'trusting.test',
    headers => ['X-Forwarded-For' => '6.6.6.6, 203.0.113.9, 10.1.1.1', 'X-Forwarded-Proto' => 'https',
                'Cookie' => 'a=1; session=abc; z=2', 'X-Custom-Thing' => 'yes']);
my $h = decode_json($r->{body})->{h};
is($h->{'x-real-ip'}, '203.0.113.9', 'real_ip: rightmost address that is not a trusted hop');
is($h->{'x-forwarded-for'}, '6.6.6.6, 203.0.113.9, 10.1.1.1, 127.0.0.1', 'X-Forwarded-For gets the peer appended');
is($h->{'x-forwarded-proto'}, 'https', 'a trusted proxy\'s X-Forwarded-Proto is kept');
is($h->{'x-client'}, '203.0.113.9', '$remote_addr is the real client');
is($h->{'x-req'}, 'GET /a q=1&x=2', '$method $uri $args');
like($h->{'x-id'}, qr/^[0-9a-f]{32}$/, '${request_id}');
is($h->{'x-cookie'}, 'abc', '$cookie_session');
is($h->{'x-arg'}, '1', '$arg_q');
is($h->{'x-hdr'}, 'yes', '$http_x_custom_thing');
is($h->{'x-server'}, 'trusting.test http', '$server_name $scheme');
is($r->{headers}{'x-echo-host'}, 'trusting.test', 'variables in response headers');
my ($line) = grep { /"\/a\?q=1/ } split /\n/, $t->access_log;
like($line, qr/"remote_addr":"203\.0\.113\.9"/, 'the access log has the real client');
like($line, qr/"request_id":"$h->{'x-id'}"/, 'the same request_id as the header');

$r = http_request($p, 'GET', '/r/abc/42', host => 'trusting.test');
is($r->{status}, 302, 'redirect');
is($r->{headers}{location}, 'https://trusting.test/42/abc?from=127.0.0.1', 'redirect with captures and variables');

# allow and deny judge \$remote_addr: the real client behind a trusted
# proxy, the peer itself when it is not trusted.
is(http_request($p, 'GET', '/guarded', host => 'trusting.test',
                headers => ['X-Forwarded-For' => '203.0.113.9'])->{status}, 403,
   'deny: the client behind a trusted proxy is judged');
is(http_request($p, 'GET', '/guarded', host => 'trusting.test',
                headers => ['X-Forwarded-For' => '198.51.100.7'])->{status}, 200,
   'deny: another client passes');
is(http_request($p, 'GET', '/inside', host => 'trusting.test',
                headers => ['X-Forwarded-For' => '198.51.100.7'])->{status}, 200,
   'allow: a listed client behind the proxy passes');
is(http_request($p, 'GET', '/inside', host => 'trusting.test')->{status}, 403,
   'allow: the proxy itself is not listed');
is(http_request($p2, 'GET', '/guarded', headers => ['X-Forwarded-For' => '203.0.113.9'])->{status}, 200,
   'an untrusted peer cannot make itself denied (or allowed) by a header');

# Peer not trusted on $p2: its headers are not believed.
$r = http_request($p2, 'GET', '/b', headers => ['X-Forwarded-For' => '1.2.3.4', 'X-Forwarded-Proto' => 'https',
                                               'X-Forwarded-Host' => 'evil.test', 'X-Real-IP' => '9.9.9.9']);
$h = decode_json($r->{body})->{h};
is($h->{'x-real-ip'}, '127.0.0.1', 'an untrusted peer cannot choose its address');
is($h->{'x-forwarded-for'}, '1.2.3.4, 127.0.0.1', 'its X-Forwarded-For is kept as a list with the peer appended');
# Many lines (as many as max_headers allows, each long): one list, in order,
# the peer last, and exactly one X-Forwarded-For line upstream.
my @xff = map { ('X-Forwarded-For' => join(', ', map { "10.$_.0.1" } 1 .. 10) . ", 192.0.2.$_") } 1 .. 90;
$r = http_request($p2, 'GET', '/b', headers => \@xff);
is($r->{status}, 200, '90 X-Forwarded-For lines are served');
$h = decode_json($r->{body})->{h};
is($h->{'x-forwarded-for'}, join(', ', (map { $xff[2 * $_ + 1] } 0 .. 89), '127.0.0.1'),
   'they are joined in order, the peer appended once');
is($h->{'x-forwarded-proto'}, 'http', 'its X-Forwarded-Proto is replaced');
is($h->{'x-forwarded-host'}, 'localhost', 'its X-Forwarded-Host is replaced');

# Everything trusted: the leftmost address is the client.
$r = http_request($p, 'GET', '/c', host => 'trusting.test', headers => ['X-Forwarded-For' => '10.0.0.1, 10.0.0.2']);
is(decode_json($r->{body})->{h}{'x-real-ip'}, '10.0.0.1', 'all hops trusted: the leftmost');
# Garbage in the list stops the walk.
$r = http_request($p, 'GET', '/c', host => 'trusting.test', headers => ['X-Forwarded-For' => '5.5.5.5, junk, 10.0.0.2']);
is(decode_json($r->{body})->{h}{'x-real-ip'}, '10.0.0.2', 'an invalid entry is not trusted past');

# Config: unknown variables are config errors.
my $bad = $t->write_file('bad.conf', "servers = ( { listen = [ \"127.0.0.1:1\" ]; routes = ( { match = { prefix = \"/\"; }; respond = { status = 200; }; request_headers = { set = [ \"X-A: \$nope\" ]; }; } ); } );\n");
my ($rc, undef, $err) = $t->cmd('-c', $bad, 'check');
like($err, qr/request_headers\.set\[0\]: "\$nope": unknown variable "\$nope"/, 'unknown variable: config error');
$bad = $t->write_file('bad2.conf', "servers = ( { listen = [ \"127.0.0.1:1\" ]; routes = ( { match = { prefix = \"/\"; }; redirect = { to = \"/\$1\"; }; } ); } );\n");
($rc, undef, $err) = $t->cmd('-c', $bad, 'check');
like($err, qr/redirect\.to: "\/\$1": regex captures \(\$1\) are not available here/, 'captures need a regex route');

$t->done;
done_testing;
