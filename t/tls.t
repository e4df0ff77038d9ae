# TLS termination: protocol floor, SNI picking the server block and its
# certificate (exact, wildcard, default), RSA and ECDSA side by side, the
# chain from the PEM file, ALPN, client certificates (mTLS), 421 for a Host
# of another block, redirect_http and HSTS, the handshake timeout,
# pipelined records that OpenSSL holds while more bytes arrive, bad
# certificates at check and reload, and a reload with a renewed certificate.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use TestCerts qw(new_ca new_cert);
use Test::More;
use JSON::PP;
use IO::Socket::INET;

my $t = BouncerTest->new;
my $d = $t->dir;
my ($pp, $tp, $be) = map { $t->port } 1 .. 3;

my $root = new_ca($d, 'root');
my $inter = new_ca($d, 'inter', $root);
my $a_rsa = new_cert($inter, 'a-rsa', names => ['a.test'], chain => [$inter]);
my $a_ec = new_cert($inter, 'a-ec', names => ['a.test'], type => 'ec', chain => [$inter]);
my $b = new_cert($root, 'b', names => ['b.test']);
my $w = new_cert($root, 'w', names => ['*.w.test']);
my $cc = new_cert($root, 'c', names => ['c.test']);

# An OCSP response for the RSA certificate of a.test, made by the intermediate.
sub make_ocsp {
    TestCerts::run("openssl ocsp -issuer $inter->{cert} -cert $a_rsa->{cert} -reqout $d/ocsp.req -no_nonce");
    open my $i, '>', "$d/ocsp-index.txt" or die;
    close $i;
    TestCerts::run("openssl ocsp -index $d/ocsp-index.txt -rsigner $inter->{cert} -rkey $inter->{key} "
                   . "-CA $inter->{cert} -reqin $d/ocsp.req -respout $d/a.ocsp -ndays 1");
}
make_ocsp();
my $clients = new_ca($d, 'clients');
my $alice = new_cert($clients, 'alice', cn => 'alice', client => 1);
my $mallory_ca = new_ca($d, 'mallory-ca');
my $mallory = new_cert($mallory_ca, 'mallory', cn => 'mallory', client => 1);

$t->backend($be, sub {
    return { stream => 3 * 1024 * 1024 + 5 } if $_[0]{path} eq '/c/big';
    return { sleep => 0.3, response => BouncerTest::echo_handler(@_) } if $_[0]{path} eq '/pause1';
    return $_[0]{path} =~ m{^/slow} ? { sleep => 2, response => [200, [], 'slow done'] } : BouncerTest::echo_handler(@_);
});
my $conf = sub {
    my ($b_cert, $handshake_timeout) = @_;
    $handshake_timeout //= '1s';
    return <<C;
limits = { tls_handshake_timeout = "$handshake_timeout"; max_body_size = "4m"; };
cache_zones = ( { name = "z"; path = "$d/cache"; } );
upstreams = ( { name = "be"; servers = ( { address = "127.0.0.1:$be"; } ); } );
servers = (
  { listen = [ "127.0.0.1:$pp" ]; tls_listen = [ "127.0.0.1:$tp" ]; names = [ "a.test" ];
    tls = { certificates = ( { cert = "$a_rsa->{cert}"; key = "$a_rsa->{key}"; ocsp_file = "$d/a.ocsp"; },
                             { cert = "$a_ec->{cert}"; key = "$a_ec->{key}"; } );
            redirect_http = true; hsts = "max-age=31536000"; };
    routes = ( { match = { prefix = "/cached"; }; upstream = "be";
                 cache = { zone = "z"; valid = ( { status = [ "200" ]; ttl = "1m"; } ); }; },
               { match = { prefix = "/"; }; upstream = "be"; } ); },
  { tls_listen = [ "127.0.0.1:$tp" ]; names = [ "b.test" ];
    tls = { certificates = ( { cert = "$b_cert->{cert}"; key = "$b_cert->{key}"; } );
            client_ca = "$clients->{cert}"; };
    routes = ( { match = { prefix = "/"; }; upstream = "be";
                 request_headers = { set = [ "X-Client-Subject: \$ssl_client_subject" ]; }; } ); },
  { tls_listen = [ "127.0.0.1:$tp" ]; names = [ "*.w.test" ];
    tls = { certificates = ( { cert = "$w->{cert}"; key = "$w->{key}"; } ); protocols = [ "TLSv1.3" ]; };
    routes = ( { match = { prefix = "/"; }; respond = { status = 200; body = "wild\\n"; }; } ); },
  { tls_listen = [ "127.0.0.1:$tp" ]; names = [ "c.test" ]; http2 = false;
    tls = { certificates = ( { cert = "$cc->{cert}"; key = "$cc->{key}"; } ); session_tickets = false;
            ciphers = "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES256-GCM-SHA384"; };
    routes = ( { match = { prefix = "/"; }; respond = { status = 200; body = "c\\n"; }; } ); }
);
C
};
$t->config($conf->($b), access_format => 'json', workers => 2);
$t->start(ports => [$pp, $tp]);

# curl over TLS: (exit code, status, headers text, body).
sub curl {
    my ($host, $path, @extra) = @_;
    my $out = `curl -sS --max-time 10 --resolve $host:$tp:127.0.0.1 --cacert $root->{cert} -D $d/h -o $d/b -w '%{http_code}' @extra https://$host:$tp$path 2>$d/curl.err`;
    my $rc = $? >> 8;
    return ($rc, $out, BouncerTest::slurp("$d/h"), BouncerTest::slurp("$d/b"));
}

# openssl s_client: what it printed (stdout and stderr).
sub s_client {
    my ($args, $input) = @_;
    $input //= '';
    open my $f, '>', "$d/in" or die;
    print $f $input;
    close $f;
    return `timeout 10 openssl s_client -connect 127.0.0.1:$tp $args < $d/in 2>&1`;
}

sub peer_cert_text {
    my ($args) = @_;
    my $out = s_client("$args -showcerts");
    my ($pem) = $out =~ /(-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----)/s;
    return '' unless $pem;
    open my $f, '>', "$d/peer.pem" or die;
    print $f $pem;
    close $f;
    return `openssl x509 -in $d/peer.pem -noout -text -subject 2>&1`;
}

# --- basics, chain, HSTS, access log fields
my ($rc, $code, $h, $body) = curl('a.test', '/hello?x=1');
# The error log too: once, on a busy machine, this first request timed out,
# and the log says how far its connection got (accepted, handshake, head).
is($rc, 0, 'curl verifies a.test against the root: the intermediate came from the PEM file')
    or diag(BouncerTest::slurp("$d/curl.err") . $t->error_log);
is($code, '200', 'https request proxied');
like($h, qr/^Strict-Transport-Security: max-age=31536000\r$/mi, 'hsts on https responses');
my $seen = decode_json($body);
is($seen->{headers}{'x-forwarded-proto'}, 'https', 'the backend is told the scheme was https');
ok(wait_until(sub { $t->access_log =~ /"tls_protocol":"TLSv1\.3"/ }, 5), 'the access log has tls_protocol');
like($t->access_log, qr/"tls_resumed":false/, 'and tls_resumed');

# --- pipelined requests and a 2 MiB upload over TLS
my $pout = s_client('-servername a.test -quiet', join('', map { "GET /p$_ HTTP/1.1\r\nHost: a.test\r\n\r\n" } 1 .. 3)
                . "GET /p4 HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n");
my @paths = $pout =~ /"path":"(\/p\d)"/g;
is("@paths", '/p1 /p2 /p3 /p4', 'four pipelined requests over TLS, answered in order');
{
    open my $f, '>', "$d/upload" or die;
    print $f join('', map { sprintf("%07d\n", $_) } 1 .. 262144);
    close $f;
    my ($urc, $ucode, $uh, $ubody) = curl('a.test', '/upload', '--data-binary', "\@$d/upload");
    my $echo = eval { decode_json($ubody) } // {};
    is(length($echo->{body} // ''), 2 * 1024 * 1024, 'a 2 MiB upload over TLS reaches the backend whole');
    ok(($echo->{body} // '') eq BouncerTest::slurp("$d/upload"), 'byte for byte');
}

my ($drc, $dcode, $dh, $dbody) = curl('a.test', '/c/big');
is(length($dbody), 3 * 1024 * 1024 + 5, 'a 3 MiB download over TLS arrives whole');

# --- a cache hit over TLS (read and encrypted, not sendfile)
my ($c1rc, $c1code, $c1h, $c1body) = curl('a.test', '/cached/x');
my ($c2rc, $c2code, $c2h, $c2body) = curl('a.test', '/cached/x');
like($c2h, qr/^X-Cache-Status: HIT\r$/mi, 'a cached response over https: HIT');
ok(length($c2body) > 0 && $c2body eq $c1body, 'with the stored body');

# --- protocol floor: TLS 1.0 and 1.1 refused by the server
for my $v ('tls1', 'tls1_1') {
    my $out = s_client("-servername a.test -$v -cipher 'DEFAULT\@SECLEVEL=0'");
    like($out, qr/alert protocol version.*Cipher is \(NONE\)/s, "-$v: refused with a protocol_version alert");
}
ok($t->wait_log(qr/TLS handshake failed: .*(unsupported protocol|no protocols available|version too low)/), 'the server refused the old version (logged at info)');
my $out = s_client('-servername a.test -tls1_2 -brief', '');
like($out, qr/Protocol version: TLSv1\.2/, 'TLS 1.2 is accepted');

# --- renegotiation refused
$out = `(printf 'R\n'; sleep 1) | timeout 10 openssl s_client -connect 127.0.0.1:$tp -servername a.test -tls1_2 2>&1`;
like($out, qr/RENEGOTIATING.*no renegotiation/s, 'a client asking to renegotiate gets a no_renegotiation alert');

# --- RSA and ECDSA for the same name
like(peer_cert_text("-servername a.test -tls1_2 -cipher ECDHE-ECDSA-AES128-GCM-SHA256"), qr/id-ecPublicKey/, 'an ECDSA-only client gets the ECDSA certificate');
like(peer_cert_text("-servername a.test -tls1_2 -cipher ECDHE-RSA-AES128-GCM-SHA256"), qr/rsaEncryption/, 'an RSA-only client gets the RSA certificate');

# --- OCSP stapling, per certificate
my $st = s_client("-servername a.test -tls1_2 -cipher ECDHE-RSA-AES128-GCM-SHA256 -status");
like($st, qr/OCSP Response Status: successful/, 'the RSA certificate comes with its stapled OCSP response');
my ($produced_first) = $st =~ /Produced At: (.*)/;
$st = s_client("-servername a.test -tls1_2 -cipher ECDHE-ECDSA-AES128-GCM-SHA256 -status");
like($st, qr/OCSP response: no response sent/, 'the ECDSA one has none configured: none sent');

# --- SNI: exact, wildcard, unknown and none get the default
like(peer_cert_text('-servername b.test'), qr/subject=.*CN\s*=\s*b\.test/, 'SNI b.test: its certificate');
like(peer_cert_text('-servername x.w.test'), qr/subject=.*CN\s*=\s*\*\.w\.test/, 'SNI x.w.test: the wildcard certificate');
like(peer_cert_text('-servername nobody.test'), qr/subject=.*CN\s*=\s*a\.test/, 'an unknown name: the default server\'s certificate');
like(peer_cert_text('-noservername'), qr/subject=.*CN\s*=\s*a\.test/, 'no SNI: the default server\'s certificate');
($rc, $code, $h, $body) = curl('x.w.test', '/');
is("$code $body", "200 wild\n", 'the wildcard block serves its routes');
$out = s_client('-servername x.w.test -tls1_2', '');
like($out, qr/alert protocol version|no protocols available|wrong version|unsupported protocol/i, 'that block allows TLS 1.3 only: its protocols apply after SNI');

# --- ciphers of a block (TLS 1.2)
$out = s_client('-servername c.test -tls1_2 -cipher ECDHE-RSA-AES128-GCM-SHA256');
like($out, qr/Cipher is \(NONE\)/, 'a cipher the block does not list: no handshake');
like(s_client('-servername c.test -tls1_2 -brief'), qr/Ciphersuite: ECDHE-RSA-AES256-GCM-SHA384/, 'the block\'s own list decides');

# --- ALPN
like(s_client('-servername a.test -alpn http/1.1'), qr/ALPN protocol: http\/1\.1/, 'ALPN: http/1.1 chosen');
like(s_client('-servername a.test -alpn h2,http/1.1'), qr/ALPN protocol: h2/, 'ALPN: h2 chosen before http/1.1 where the block has http2');
like(s_client('-servername a.test -alpn http/1.1,h2'), qr/ALPN protocol: h2/, 'ALPN: h2 chosen whatever the client\'s order');
like(s_client('-servername c.test -alpn h2,http/1.1'), qr/ALPN protocol: http\/1\.1/, 'ALPN: http/1.1 on a block with http2 = false (SNI picks it)');
like(s_client('-servername c.test -alpn h2'), qr/No ALPN negotiated/, 'ALPN h2 only on a block with http2 = false: none chosen, the handshake goes on');
like(s_client('-servername a.test -alpn spdy/3'), qr/No ALPN negotiated/, 'ALPN: a protocol bouncer does not speak: none chosen');

# --- 421: a Host of another block than the handshake's
$out = s_client('-servername a.test -quiet', "GET / HTTP/1.1\r\nHost: x.w.test\r\nConnection: close\r\n\r\n");
like($out, qr{^HTTP/1\.1 421 }m, 'SNI a.test, Host of another block: 421');
$out = s_client('-noservername -quiet', "GET / HTTP/1.1\r\nHost: b.test\r\nConnection: close\r\n\r\n");
like($out, qr{^HTTP/1\.1 421 }m, 'no SNI, Host of the block with client_ca: 421, its certificate rules cannot be skipped');
$out = s_client('-noservername -quiet', "GET / HTTP/1.1\r\nHost: x.w.test\r\nConnection: close\r\n\r\n");
like($out, qr{^HTTP/1\.1 200 .*wild}ms, 'no SNI: Host picks a block that asks nothing more');

# --- mTLS
my $before = () = $t->backend_requests($be);
($rc) = curl('b.test', '/');
isnt($rc, 0, 'no client certificate: the handshake fails');
($rc) = curl('b.test', '/', '--cert', $mallory->{cert}, '--key', $mallory->{key});
isnt($rc, 0, 'a certificate from another CA: the handshake fails');
my $after = () = $t->backend_requests($be);
is($after, $before, 'neither reached the backend');
($rc, $code, $h, $body) = curl('b.test', '/me', '--cert', $alice->{cert}, '--key', $alice->{key});
is($code, '200', 'a valid client certificate: served');
$seen = decode_json($body);
is($seen->{headers}{'x-client-subject'}, 'CN=alice,O=Bouncer Test', '$ssl_client_subject (RFC 2253) reaches the backend');
ok(wait_until(sub { $t->access_log =~ /"tls_client_subject":"CN=alice,O=Bouncer Test"/ }, 5), 'tls_client_subject in the access log');

# --- redirect_http on the plain listener
my $r = http_request($pp, 'GET', '/path?q=1', host => 'a.test');
is($r->{status}, 308, 'plain request to a redirect_http server: 308');
is($r->{headers}{location}, "https://a.test:$tp/path?q=1", 'to the same host and path on the tls_listen port');
ok(!defined $r->{headers}{'strict-transport-security'}, 'no HSTS over plain http');

# --- handshake timeout
my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $tp) or die;
my $got = '';
my $t0 = time;
sysread($s, $got, 10);
ok(time - $t0 <= 4, 'a client that never handshakes is closed (tls_handshake_timeout 1s)');
ok($t->wait_log(qr/TLS handshake timed out/), 'and it is logged');
close $s;

# --- plain HTTP sent to the TLS port: a 400 in plain text that says this
# port expects HTTPS, then the connection closes
$t0 = time;
my $pr = parse_response(raw_request($tp, "GET /plain HTTP/1.1\r\nHost: a.test\r\n\r\n"));
is($pr && $pr->{status}, 400, 'plain HTTP to the TLS port: 400');
like($pr && $pr->{body}, qr/The plain HTTP request was sent to HTTPS port/, 'saying that the port expects HTTPS');
is($pr && $pr->{headers}{connection}, 'close', 'with Connection: close');
ok(time - $t0 < 4, 'and the connection closes at once');
ok($t->wait_log(qr/\[info\] \d+: \*\d+ client sent a plain HTTP request to a TLS port, client: 127\.0\.0\.1/),
   'logged at info');
$pr = parse_response(raw_request($tp, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"));
is($pr && $pr->{status}, 400, 'the HTTP/2 cleartext preface on the TLS port: 400 too');

# --- a client that leaves before or during the handshake: said so, at
# info, not "unknown error"
my $left_before = sub { scalar(() = $t->error_log =~ /\[info\] .*client closed the connection before the TLS handshake/g) };
my $n_before = $left_before->(); # the probes of start() did so too
raw_request($tp, '', shutdown => 1);
ok(wait_until(sub { $left_before->() > $n_before }), 'a client that closes before sending anything: logged as such');
raw_request($tp, "\x16\x03\x01\x00\x50\x01", shutdown => 1);
ok($t->wait_log(qr/\[info\] .*client closed the connection during the TLS handshake/),
   'one that closes in the middle of its ClientHello: logged as such');
unlike($t->error_log, qr/unknown error/, 'no "unknown error"');

# --- a burst of new connections: their handshakes wait in the worker's
# queue and run a few per pass of the event loop; every one completes, and
# each answer is the one its request asked for
# The handshakes wait their turn in the queue, which counts against the
# handshake timeout: the 1 s of the case above would end some of them on a
# loaded host (ASan), so the burst runs with the default 10 s.
my (undef, undef, $took) = $t->reload_config($conf->($b, '10s'), access_format => 'json', workers => 2);
ok($took, 'reloaded with the default handshake timeout for the burst');
my @burst = map { ('-o', "$d/burst$_", "https://a.test:$tp/burst$_") } 1 .. 40;
my @codes = split /\n/, `curl -sS -Z --parallel-max 40 --max-time 20 --resolve a.test:$tp:127.0.0.1 --cacert $root->{cert} -w '%{http_code}\\n' @burst 2>$d/curl.err`;
is(scalar(grep { $_ eq '200' } @codes), 40, '40 TLS handshakes at once: every one completes')
    or diag(join(' ', @codes) . BouncerTest::slurp("$d/curl.err"));
is(scalar(grep { BouncerTest::slurp("$d/burst$_") =~ m{/burst$_\b} } 1 .. 40), 40, 'and each got its own answer');

# --- records OpenSSL holds and bytes the socket holds: two pipelined
# requests in two records of one segment (one read() takes both, OpenSSL
# keeps the second while the first waits on the backend), then a third
# that arrives meanwhile.  The socket's last read() was short, but bytes
# came after it: each of the three is answered, in order.
{
    require IO::Socket::SSL;
    my $s = IO::Socket::SSL->new(PeerAddr => '127.0.0.1', PeerPort => $tp, SSL_hostname => 'a.test',
                                 SSL_ca_file => $root->{cert}) or die "TLS client: $IO::Socket::SSL::SSL_ERROR";
    my $get = "GET %s HTTP/1.1\r\nHost: a.test\r\n\r\n";
    setsockopt($s, Socket::IPPROTO_TCP(), 3, 1);    # TCP_CORK: both records in one segment
    syswrite $s, sprintf($get, '/pause1');
    syswrite $s, sprintf($get, '/held2');
    setsockopt($s, Socket::IPPROTO_TCP(), 3, 0);
    select(undef, undef, undef, 0.1);
    syswrite $s, sprintf($get, '/later3');
    my ($raw, @paths) = ('');
    my $end = time + 8;
    while (@paths < 3 && time < $end) {
        my $r = parse_response($raw);
        if ($r && defined $r->{headers}{'content-length'}
            && length $r->{body} == $r->{headers}{'content-length'}) {
            push @paths, decode_json($r->{body})->{path};
            $raw = $r->{rest};
            next;
        }
        my $sel = '';
        vec($sel, fileno($s), 1) = 1;
        next if !$s->pending && !select(my $rd = $sel, undef, undef, 0.5);
        sysread($s, $raw, 65536, length $raw) // last;
    }
    is("@paths", '/pause1 /held2 /later3', 'pipelined over TLS, a record held and one late: all answered, in order');
    close $s;
}

# --- sessions resume in other processes: tickets (TLS 1.3) and the shared
# session cache (TLS 1.2 without tickets), across a reload, so on workers
# that did not make them.
my $req = "GET /resume HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n";
$out = s_client("-servername a.test -sess_out $d/sess13 -ign_eof", sprintf($req, 'a.test'));
like($out, qr/^New, TLSv1\.3/m, 'a first TLS 1.3 connection: a new session');
$out = s_client("-servername c.test -tls1_2 -sess_out $d/sess12 -ign_eof", sprintf($req, 'c.test'));
like($out, qr/^New, TLSv1\.2/m, 'a first TLS 1.2 connection to a server without tickets');
my @pids_before = $t->worker_pids;
my ($rrc, undef, $rerr) = $t->cmd('reload');
is($rrc, 0, 'reload: new worker processes') or diag($rerr);
ok(wait_until(sub { my @now = $t->worker_pids; !grep { my $o = $_; grep { $_ == $o } @now } @pids_before }, 10), 'the old workers are gone');
$out = s_client("-servername a.test -sess_in $d/sess13 -sess_out $d/sess13b -ign_eof", sprintf($req, 'a.test'));
like($out, qr/^Reused, TLSv1\.3/m, 'the ticket resumes on a worker that did not make it');
# A TLS 1.3 ticket is used once: the resumed connection brings a new one, and
# that one resumes the next connection (a client resumes connection after
# connection, never falling back to a full handshake every other time).
$out = s_client("-servername a.test -sess_in $d/sess13b -ign_eof", sprintf($req, 'a.test'));
like($out, qr/^Reused, TLSv1\.3/m, 'the ticket issued on a resumed connection resumes the next one');
$out = s_client("-servername c.test -tls1_2 -sess_in $d/sess12 -ign_eof", sprintf($req, 'c.test'));
like($out, qr/^Reused, TLSv1\.2/m, 'the session id resumes from the shared cache on another worker');
# TLS 1.3 with session_tickets = false: the ticket names a session kept in
# the shared cache (stateful), so the cache must have it.
s_client("-servername c.test -tls1_3 -sess_out $d/sess13s -ign_eof", sprintf($req, 'c.test'));
$out = s_client("-servername c.test -tls1_3 -sess_in $d/sess13s -ign_eof", sprintf($req, 'c.test'));
like($out, qr/^Reused, TLSv1\.3/m, 'TLS 1.3 without stateless tickets resumes from the shared cache');
ok(wait_until(sub { $t->access_log =~ /"tls_resumed":true/ }, 5), 'the access log says tls_resumed');
my %made = map { $_ => 1 } @pids_before;
my @resumed = grep { /"tls_resumed":true/ } split /\n/, $t->access_log;
ok(scalar(grep { /"worker_pid":(\d+)/ && !$made{$1} } @resumed) >= 2, 'both resumed on workers other than those that made them');

# --- bad certificates: check fails naming the file, reload changes nothing
my $expired = new_cert($root, 'expired', names => ['b.test'], expired => 1);
my $cfg = $t->config($conf->($expired), access_format => 'json', workers => 2, file => 'bad.conf');
my ($crc, undef, $cerr) = $t->cmd('-c', $cfg, 'check');
isnt($crc, 0, 'an expired certificate fails check');
like($cerr, qr/servers\[1\]\.tls: certificate "\Q$expired->{cert}\E" has expired/, 'naming the file');
$cfg = $t->config($conf->({ cert => $b->{cert}, key => $a_rsa->{key} }), file => 'bad.conf');
($crc, undef, $cerr) = $t->cmd('-c', $cfg, 'check');
like($cerr, qr/private key "\Q$a_rsa->{key}\E" does not match certificate "\Q$b->{cert}\E"/, 'a key that does not match its certificate');
$cfg = $t->config($conf->({ cert => "$d/nope.pem", key => $b->{key} }), file => 'bad.conf');
($crc, undef, $cerr) = $t->cmd('-c', $cfg, 'check');
like($cerr, qr{cannot read certificate "\Q$d\E/nope\.pem": No such file}, 'a missing certificate file');
$t->config($conf->({ cert => $b->{cert}, key => $a_rsa->{key} }), access_format => 'json', workers => 2);
($rrc, undef, $rerr) = $t->cmd('reload');
isnt($rrc, 0, 'reload with a bad key fails');
like($rerr, qr/does not match/, 'and says why');
($rc, $code) = curl('a.test', '/');
is($code, '200', 'the running configuration keeps serving')
    or diag("curl exit $rc: " . BouncerTest::slurp("$d/curl.err") . $t->error_log);

# --- reload with a renewed certificate, without dropping a request in flight
open my $slow, '-|', "curl -sS --max-time 15 --resolve a.test:$tp:127.0.0.1 --cacert $root->{cert} https://a.test:$tp/slow 2>&1" or die;
ok(wait_until(sub { grep { $_->{path} eq '/slow' } $t->backend_requests($be) }, 5), 'a slow https request is in flight');
my $old_serial = (peer_cert_text('-servername b.test') =~ /Serial Number:\s*\n?\s*([0-9a-f:]+)/i)[0];
my $renewed = new_cert($root, 'b', names => ['b.test']);    # same files, new certificate
sleep 1;
make_ocsp();                                                # and a fresh OCSP response
$t->config($conf->($renewed), access_format => 'json', workers => 2);
($rrc, undef, $rerr) = $t->cmd('reload');
is($rrc, 0, 'reload with the renewed certificate (same file names, as certbot leaves them)') or diag($rerr);
my $new_serial;
ok(wait_until(sub { $new_serial = (peer_cert_text('-servername b.test') =~ /Serial Number:\s*\n?\s*([0-9a-f:]+)/i)[0]; $new_serial && $new_serial ne $old_serial }, 10), 'new connections get the renewed certificate');
my $slow_out = do { local $/; <$slow> };
close $slow;
is($slow_out, 'slow done', 'the request in flight during the reload completed');
$st = s_client("-servername a.test -tls1_2 -cipher ECDHE-RSA-AES128-GCM-SHA256 -status");
my ($produced) = $st =~ /Produced At: (.*)/;
ok($produced && $produced ne $produced_first, "after the reload the OCSP file is read again ($produced_first, then $produced)");

$t->done;

# --- ticket keys rotate every ticket_key_rotation; a ticket made under the
# previous key still resumes, one two rotations old does not
{
    my $t2 = BouncerTest->new;
    my $tp2 = $t2->port;
    $t2->config(<<C);
upstreams = ( { name = "be"; servers = ( { address = "127.0.0.1:1"; } ); } );
servers = ( { tls_listen = [ "127.0.0.1:$tp2" ]; names = [ "a.test" ];
  tls = { certificates = ( { cert = "$a_rsa->{cert}"; key = "$a_rsa->{key}"; } ); ticket_key_rotation = "2s"; };
  routes = ( { match = { prefix = "/"; }; respond = { status = 200; body = "ok\\n"; }; } ); } );
C
    $t2->start(ports => [$tp2]);
    my $sc = sub {
        my ($args) = @_;
        open my $f, '>', "$d/in2" or die;
        print $f "GET / HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n";
        close $f;
        return `timeout 10 openssl s_client -connect 127.0.0.1:$tp2 -servername a.test -ign_eof $args < $d/in2 2>&1`;
    };
    like($sc->("-sess_out $d/rot.sess"), qr/^New, TLSv1\.3/m, 'a ticket under the current key');
    ok($t2->wait_log(qr/TLS session ticket keys rotated/), 'the master rotates the keys');
    like($sc->("-sess_in $d/rot.sess"), qr/^Reused, TLSv1\.3/m, 'a ticket made under the previous key still resumes');
    like($sc->("-sess_out $d/rot2.sess"), qr/^New/m, 'another ticket');
    my $n = () = $t2->error_log =~ /TLS session ticket keys rotated/g;
    ok(wait_until(sub { my $m = () = $t2->error_log =~ /TLS session ticket keys rotated/g; $m >= $n + 2 }, 10), 'two more rotations');
    like($sc->("-sess_in $d/rot2.sess"), qr/^New, TLSv1\.3/m, 'a ticket two rotations old no longer resumes: a full handshake');
    $t2->done;
}
done_testing;
