# The status listener over TLS (tls_listen with a tls group, as a server
# block has), and the TLS counters: client handshakes by protocol and the
# open TLS connections.  The listener's own handshakes are not counted.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use TestCerts qw(new_ca new_cert);
use IO::Socket::SSL;
use Test::More;

my $t = BouncerTest->new;
my $d = $t->dir;
my ($tp, $sp, $be) = ($t->port, $t->port, $t->port);
my $ca = new_ca($d, 'root');
my $site = new_cert($ca, 'site', names => ['shop.test']);
my $ops = new_cert($ca, 'ops', names => ['status.test']);
$t->backend($be, sub { [200, [], 'ok'] });
$t->config(<<C, workers => 2);
upstreams = ( { name = "app"; servers = ( { address = "127.0.0.1:$be"; } ); } );
status = { tls_listen = [ "127.0.0.1:$sp" ];
           tls = { certificates = ( { cert = "$ops->{cert}"; key = "$ops->{key}"; } ); }; };
servers = ( { tls_listen = [ "127.0.0.1:$tp" ]; names = [ "shop.test" ];
              tls = { certificates = ( { cert = "$site->{cert}"; key = "$site->{key}"; } );
                      protocols = [ "TLSv1.3" ]; };
              routes = ( { match = { prefix = "/"; }; upstream = "app"; } ); } );
C
$t->start(ports => [$tp, $sp]);

sub https {
    my ($port, $name, $path, $keep) = @_;
    my $s = IO::Socket::SSL->new(PeerAddr => '127.0.0.1', PeerPort => $port, SSL_hostname => $name,
                                 SSL_verifycn_name => $name, SSL_ca_file => $ca->{cert},
                                 SSL_verify_mode => SSL_VERIFY_PEER) or return undef;
    print $s "GET $path HTTP/1.1\r\nHost: $name\r\n" . ($keep ? '' : "Connection: close\r\n") . "\r\n";
    return $s if $keep;
    local $/;
    my $out = <$s>;
    close $s;
    return parse_response($out);
}

my @ok = map { my $r = https($tp, 'shop.test', '/x'); $r && $r->{status} } 1 .. 3;
is("@ok", '200 200 200', 'three requests over TLS 1.3');
my $held = https($tp, 'shop.test', '/held', 1);
ok($held, 'a fourth connection kept open');
my $m;
ok(BouncerTest::wait_until(sub {
    my $r = https($sp, 'status.test', '/metrics');
    $m = $r ? $r->{body} : '';
    $m =~ /^bouncer_client_tls_connections 1$/m;
}, 10), 'the status listener answers over TLS, with its own certificate; one TLS connection open')
    or diag($m);
like($m, qr/^bouncer_tls_handshakes_total\{protocol="TLSv1\.3"\} 4$/m,
     'four client handshakes, TLS 1.3; the status listener\'s not among them');
like($m, qr/^bouncer_tls_handshakes_total\{protocol="TLSv1\.2"\} 0$/m, 'none in TLS 1.2');
close $held;
ok(BouncerTest::wait_until(sub {
    my $r = https($sp, 'status.test', '/metrics');
    ($r ? $r->{body} : '') =~ /^bouncer_client_tls_connections 0$/m;
}, 10), 'closed: none open');
my $plain = http_request($sp, 'GET', '/metrics');
ok(!$plain || $plain->{status} == 400, 'plain HTTP to the TLS status port is refused');

$t->done;
done_testing;
