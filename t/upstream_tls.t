# HTTPS to upstreams: certificates verified against `ca` (and the name),
# SNI, a client certificate, sessions resumed per server, and never under
# another upstream's trust settings.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use TestCerts qw(new_ca new_cert);
use Test::More;

my $t = BouncerTest->new;
my $d = $t->dir;
my ($p, $good, $other, $mtls) = map { $t->port } 1 .. 4;

my $ca = new_ca($d, 'upca');
my $rogue_ca = new_ca($d, 'rogue');
my $srv = new_cert($ca, 'app', names => ['app.internal', 'localhost']);
my $rogue = new_cert($rogue_ca, 'rogue-app', names => ['app.internal']);
my $clients = new_ca($d, 'clients');
my $me = new_cert($clients, 'bouncer-client', cn => 'bouncer', client => 1);

my $h = sub {
    return { stream => 2 * 1024 * 1024 + 3 } if $_[0]{path} =~ m{/big$};
    return [200, [], length($_[0]{body}) . ' bytes'] if $_[0]{method} eq 'POST';
    return [200, [], "$_[0]{port} sni=" . ($_[0]{tls_sni} // '-') . " reused=$_[0]{tls_reused}"];
};
$t->backend($good, $h, tls => $srv);
$t->backend($other, $h, tls => $rogue);
$t->backend($mtls, sub { [200, [], 'client=' . ($_[0]{tls_client} // '-')] },
            tls => { %$srv, client_ca => $clients->{cert} });
$t->config(<<C, workers => 1);
upstreams = (
  { name = "trusted"; keepalive = 0; tls = { ca = "$ca->{cert}"; sni = "app.internal"; };
    servers = ( { address = "127.0.0.1:$good"; } ); },
  { name = "byname"; keepalive = 0; tls = { ca = "$ca->{cert}"; };
    servers = ( { address = "localhost:$good"; } ); },
  { name = "untrusted"; keepalive = 0; tls = { ca = "$ca->{cert}"; sni = "app.internal"; };
    servers = ( { address = "127.0.0.1:$other"; } ); },
  { name = "wrongname"; keepalive = 0; tls = { ca = "$ca->{cert}"; sni = "db.internal"; };
    servers = ( { address = "127.0.0.1:$good"; } ); },
  { name = "noverify"; keepalive = 0; tls = { verify = false; };
    servers = ( { address = "127.0.0.1:$other"; } ); },
  { name = "same-server-other-ca"; keepalive = 0; tls = { ca = "$rogue_ca->{cert}"; sni = "app.internal"; };
    servers = ( { address = "127.0.0.1:$good"; } ); },
  { name = "mtls"; tls = { ca = "$ca->{cert}"; sni = "app.internal"; cert = "$me->{cert}"; key = "$me->{key}"; };
    servers = ( { address = "127.0.0.1:$mtls"; } ); },
  { name = "mtls-nocert"; tls = { ca = "$ca->{cert}"; sni = "app.internal"; };
    servers = ( { address = "127.0.0.1:$mtls"; } ); }
);
servers = ( { listen = [ "127.0.0.1:$p" ];
  routes = ( { match = { prefix = "/trusted"; }; upstream = "trusted"; },
             { match = { prefix = "/byname"; }; upstream = "byname"; },
             { match = { prefix = "/untrusted"; }; upstream = "untrusted"; },
             { match = { prefix = "/wrongname"; }; upstream = "wrongname"; },
             { match = { prefix = "/noverify"; }; upstream = "noverify"; },
             { match = { prefix = "/otherca"; }; upstream = "same-server-other-ca"; },
             { match = { prefix = "/mtls-nocert"; }; upstream = "mtls-nocert"; },
             { match = { prefix = "/mtls"; }; upstream = "mtls"; } ); } );
C
$t->start(ports => [$p]);

my $r = http_request($p, 'GET', '/trusted');
is($r->{status}, 200, 'a server whose certificate the ca vouches for: 200');
like($r->{body}, qr/^$good sni=app\.internal reused=0$/, 'SNI from the upstream\'s sni setting; a first, full handshake');
$r = http_request($p, 'GET', '/trusted');
like($r->{body}, qr/reused=1$/, 'the next connection to that server resumes the session');
$r = http_request($p, 'GET', '/trusted/big');
is(length($r->{body}), 2 * 1024 * 1024 + 3, 'a 2 MiB response from an HTTPS upstream arrives whole');
$r = http_request($p, 'POST', '/trusted/up', body => 'u' x (900 * 1024));
is($r->{body}, (900 * 1024) . ' bytes', 'a 900 KiB upload to an HTTPS upstream arrives whole');
$r = http_request($p, 'GET', '/byname');
like($r->{body}, qr/sni=localhost /, 'without sni, the server\'s host name is sent and checked');

$r = http_request($p, 'GET', '/untrusted');
is($r->{status}, 502, 'a certificate from another CA: 502');
like($t->error_log, qr/TLS handshake with upstream failed: (unable to get local issuer certificate|certificate verify failed)/, 'and the log says why');
my @seen = grep { $_->{path} =~ /untrusted/ } $t->backend_requests($other);
is(scalar @seen, 0, 'the request never reached the untrusted server');
$r = http_request($p, 'GET', '/wrongname');
is($r->{status}, 502, 'a trusted certificate for another name: 502');
like($t->error_log, qr/TLS handshake with upstream failed: (hostname mismatch|certificate verify failed)/, 'a name mismatch is a failed handshake');
$r = http_request($p, 'GET', '/noverify');
is($r->{status}, 200, 'verify = false accepts any certificate');

# The session made under one ca must not let another upstream (other
# trust, same server) skip verification.
$r = http_request($p, 'GET', '/otherca');
is($r->{status}, 502, 'same server, an upstream that does not trust its CA: 502, no session reused across');

$r = http_request($p, 'GET', '/mtls');
is($r->{status}, 200, 'a client certificate for a server that asks for one');
like($r->{body}, qr/client=.*CN=bouncer/, 'the server saw bouncer\'s certificate');
$r = http_request($p, 'GET', '/mtls-nocert');
is($r->{status}, 502, 'without it that server refuses: 502');

$t->done;
done_testing;
