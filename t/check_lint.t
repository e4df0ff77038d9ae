# bouncer check's warnings: each one from a minimal config, at the FILE:LINE
# and setting path of what it is about; exit 0 with warnings only, 1 with
# --strict; a clean config gets no warning at all; --certs lists the
# certificates with their names and days left; start logs the warnings
# once, a reload only their count.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use TestCerts qw(new_ca new_cert);
use Test::More;

my $t = BouncerTest->new;
my $d = $t->dir;

my $ca = new_ca($d, 'root');
my $soon = new_cert($ca, 'soon', names => ['soon.test', 'www.soon.test'], days => 5);
my $later = new_cert($ca, 'later', names => ['later.test'], days => 400);
my $client = new_cert($ca, 'client', cn => 'bouncer', client => 1, days => 5);
TestCerts::run("htpasswd -c -b -B -C 4 $d/htpasswd alice secret");

my $head = <<C;
pid_file = "$d/b.pid";
log = { error = { path = "$d/error.log"; }; access = { path = "$d/access.log"; }; };
cache_zones = ( { name = "z"; path = "$d/cache"; } );
upstreams = ( { name = "app"; servers = ( { address = "127.0.0.1:9"; } ); } );
C
my $route = '{ match = { prefix = "/"; }; upstream = "app"; }';
my $basic = qq{{ basic = { realm = "r"; users = "$d/htpasswd"; }; }};

# A config of $head and $body (a log or upstreams of the body's own
# replaces the head's); the line that holds "#W" (the marker is dropped) is
# where the warning must point.
my $n = 0;
sub conf {
    my ($body) = @_;
    my $h = $head;
    for my $k (qw(log upstreams)) {
        $h =~ s/^$k = .*\n//m if $body =~ /^$k = /m;
    }
    my $text = "$h$body";
    my @lines = split /\n/, $text;
    my ($line) = grep { $lines[$_ - 1] =~ /#W/ } 1 .. @lines;
    $text =~ s/#W//;
    my $f = $t->write_file('c' . ++$n . '.conf', $text);
    return ($f, $line);
}

sub check {
    my ($f, @opt) = @_;
    return $t->cmd('-c', $f, 'check', @opt);
}

# [ name, body with a #W line, path, what the message must say ]
my @cases = (
    [ 'a route with inline auth that caches',
      qq{servers = ( { listen = [ "127.0.0.1:1" ]; routes = (\n  { match = { prefix = "/"; }; upstream = "app"; auth = $basic;\n    cache = { zone = "z"; }; } #W\n); } );\n},
      'servers[0].routes[0].cache', qr/caches and has auth \(its own\).*\$auth_user/ ],
    [ 'a route that caches under the auth of its server block',
      qq{servers = ( { listen = [ "127.0.0.1:1" ]; auth = $basic; routes = (\n  { match = { prefix = "/"; }; upstream = "app";\n    cache = { zone = "z"; valid = ( { status = [ "200" ]; ttl = "1m"; } ); }; } #W\n); } );\n},
      'servers[0].routes[0].cache', qr/has auth \(the server block's\)/ ],
    [ 'cache valid that stores whatever the cookies',
      qq{servers = ( { listen = [ "127.0.0.1:1" ]; routes = (\n  { match = { prefix = "/"; }; upstream = "app";\n    cache = { zone = "z";\n      valid = ( { status = [ "200" ]; ttl = "1m"; } ); }; } #W\n); } );\n},
      'servers[0].routes[0].cache.valid', qr/whatever Cookie the request sent.*\$cookie_session/ ],
    [ 'a websocket idle_timeout under a minute',
      qq{servers = ( { listen = [ "127.0.0.1:1" ]; routes = (\n  { match = { prefix = "/ws"; }; upstream = "app";\n    websocket = { idle_timeout = "30s"; }; } #W\n); } );\n},
      'servers[0].routes[0].websocket.idle_timeout', qr/"30s" closes a WebSocket.*at least "60s"/ ],
    [ 'real_ip.from 0.0.0.0/0',
      qq{servers = ( { listen = [ "127.0.0.1:1" ];\n  real_ip = { from = [ "10.0.0.0/8",\n    "0.0.0.0/0" ]; }; #W\n  routes = ( $route ); } );\n},
      'servers[0].real_ip.from[1]', qr/"0\.0\.0\.0\/0" trusts X-Forwarded-For from every client/ ],
    [ 'real_ip.from ::/0 with another header',
      qq{servers = ( { listen = [ "127.0.0.1:1" ];\n  real_ip = { header = "X-Real-IP"; from = [ "::/0" ]; }; #W\n  routes = ( $route ); } );\n},
      'servers[0].real_ip.from[0]', qr/"::\/0" trusts X-Real-IP from every client/ ],
    [ 'forwarded = "none"',
      qq{servers = ( { listen = [ "127.0.0.1:1" ];\n  forwarded = "none"; #W\n  routes = ( $route ); } );\n},
      'servers[0].forwarded', qr/backends see bouncer's address, not the client's/ ],
    [ 'the access log off',
      qq{log = { access = {\n  format = "off"; }; }; #W\nservers = ( { listen = [ "127.0.0.1:1" ]; routes = ( $route ); } );\n},
      'log.access.format', qr/"off": no request is logged/ ],
    [ 'TLS with neither redirect_http nor hsts',
      qq{servers = ( { listen = [ "127.0.0.1:1" ]; tls_listen = [ "127.0.0.1:2" ];\n  tls = { certificates = ( { cert = "$later->{cert}"; key = "$later->{key}"; } ); }; #W\n  routes = ( $route ); } );\n},
      'servers[0].tls', qr/neither redirect_http nor hsts.*hsts = "max-age=31536000"/ ],
    [ 'the status listener open to everyone (allow = [])',
      qq{servers = ( { listen = [ "127.0.0.1:1" ]; routes = ( $route ); } );\nstatus = { listen = [ "0.0.0.0:3" ];\n  allow = [ ]; }; #W\n},
      'status.allow', qr/anyone who reaches 0\.0\.0\.0:3 may read \/metrics/ ],
    [ 'the status listener allowing ::/0',
      qq{servers = ( { listen = [ "127.0.0.1:1" ]; routes = ( $route ); } );\nstatus = { listen = [ "[::]:3" ]; allow = [ "127.0.0.1/32",\n  "::/0" ]; }; #W\n},
      'status.allow[1]', qr/anyone who reaches \[::\]:3 may read/ ],
    [ 'ciphers that name RC4 and 3DES',
      qq{servers = ( { listen = [ "127.0.0.1:1" ]; tls_listen = [ "127.0.0.1:2" ];\n  tls = { certificates = ( { cert = "$later->{cert}"; key = "$later->{key}"; } );\n    hsts = "max-age=31536000";\n    ciphers = "RC4-SHA:DES-CBC3-SHA:!aNULL:ECDHE-RSA-AES128-GCM-SHA256"; }; #W\n  routes = ( $route ); } );\n},
      'servers[0].tls.ciphers', qr/weak ciphers \([^)]*\): RC4-SHA, DES-CBC3-SHA; take them out/ ],
    [ 'ciphers that let anonymous ones in',
      qq{servers = ( { listen = [ "127.0.0.1:1" ]; tls_listen = [ "127.0.0.1:2" ];\n  tls = { certificates = ( { cert = "$later->{cert}"; key = "$later->{key}"; } );\n    hsts = "max-age=31536000";\n    ciphers = "ALL:\@SECLEVEL=0"; }; #W\n  routes = ( $route ); } );\n},
      'servers[0].tls.ciphers', qr/weak ciphers \([^)]*\): let in: [^;]*ADH-AES/ ],
    [ 'compress on a route that answers itself',
      qq{servers = ( { listen = [ "127.0.0.1:1" ]; routes = (\n  { match = { prefix = "/"; }; respond = { body = "x"; };\n    compress = { }; } #W\n); } );\n},
      'servers[0].routes[0].compress', qr/does nothing here: only responses from an upstream/ ],
    [ 'compress_memory below one Brotli stream',
      qq{limits = { compress_memory = "1m"; };\nservers = ( { listen = [ "127.0.0.1:1" ]; routes = (\n  { match = { prefix = "/"; }; upstream = "app";\n    compress = { brotli_level = 4; }; } #W\n); } );\n},
      'servers[0].routes[0].compress', qr/one br stream at this brotli_level of unknown or large length takes up to \d+ KiB of encoder state, more than limits\.compress_memory \(1024 KiB\): its responses go out in another algorithm/ ],
    [ 'compress_memory below any stream',
      qq{limits = { compress_memory = "100k"; };\nservers = ( { listen = [ "127.0.0.1:1" ]; routes = (\n  { match = { prefix = "/"; }; upstream = "app";\n    compress = { algorithms = [ "gzip" ]; }; } #W\n); } );\n},
      'servers[0].routes[0].compress', qr/one gzip stream of unknown or large length takes up to 2\d\d KiB .*nothing is ever compressed; raise compress_memory/ ],
    [ 'max_body_size 0 on a route without auth',
      qq{servers = ( { listen = [ "127.0.0.1:1" ]; routes = (\n  { match = { prefix = "/"; }; upstream = "app";\n    max_body_size = 0; } #W\n); } );\n},
      'servers[0].routes[0].max_body_size', qr/0 \(unlimited\) on a route without auth/ ],
    [ 'limits.max_body_size 0 reaching a route without auth',
      qq{limits = {\n  max_body_size = "0"; }; #W\nservers = ( { listen = [ "127.0.0.1:1" ]; routes = (\n  { match = { prefix = "/up"; }; upstream = "app"; name = "uploads"; },\n  { match = { prefix = "/"; }; upstream = "app"; max_body_size = "1m"; } ); } );\n},
      'limits.max_body_size', qr/applies to 1 route without auth \("uploads"\)/ ],
    [ 'a certificate that expires in 5 days',
      qq{servers = ( { listen = [ "127.0.0.1:1" ]; tls_listen = [ "127.0.0.1:2" ];\n  tls = { hsts = "max-age=31536000"; certificates = (\n    { key = "$soon->{key}";\n      cert = "$soon->{cert}"; } ); }; #W\n  routes = ( $route ); } );\n},
      'servers[0].tls.certificates[0].cert', qr/certificate "\Q$soon->{cert}\E" expires in 5 days \(\d{4}-\d\d-\d\d [\d:]+ UTC\); renew it/ ],
    [ "an upstream's client certificate that expires in 5 days",
      qq{upstreams = ( { name = "tls"; servers = ( { address = "127.0.0.1:9"; } );\n  tls = { verify = false; key = "$client->{key}";\n    cert = "$client->{cert}"; }; } ); #W\nservers = ( { listen = [ "127.0.0.1:1" ]; routes = ( { match = { prefix = "/"; }; upstream = "tls"; } ); } );\n},
      'upstreams[0].tls.cert', qr/certificate "\Q$client->{cert}\E" expires in 5 days/ ],
);

for my $c (@cases) {
    my ($name, $body, $path, $msg) = @$c;
    my ($f, $line) = conf($body);
    my ($rc, $out, $err) = check($f);
    is($rc, 0, "$name: check exits 0 (a warning only)") or diag($err);
    my @w = grep { /: warning: / } split /\n/, $err;
    is(scalar @w, 1, "$name: one warning") or diag($err);
    like($w[0] // '', qr/^\Q$f:$line: warning: $path: \E/, "$name: at $path, line $line")
        or diag($err);
    like($w[0] // '', $msg, "$name: what it says");
    like($out, qr/configuration is valid, with 1 warning$/m, "$name: check says valid, with 1 warning");
    ($rc, $out, $err) = check($f, '--strict');
    is($rc, 1, "$name: --strict exits 1");
    like($err, qr/\Q$f:$line: warning: $path: \E.*\nbouncer: \Q$f\E: configuration has 1 warning \(--strict\)$/,
         "$name: --strict prints the warning and says why it failed");
}

# What must not warn.
my @clean = (
    [ 'cache keyed on the user, under auth',
      qq{servers = ( { listen = [ "127.0.0.1:1" ]; routes = ( { match = { prefix = "/"; }; upstream = "app"; auth = $basic;\n  cache = { zone = "z"; key = "\$scheme\$host\$request_uri\$auth_user"; }; } ); } );\n} ],
    [ 'cache valid keyed on the session cookie',
      qq{servers = ( { listen = [ "127.0.0.1:1" ]; routes = ( { match = { prefix = "/"; }; upstream = "app";\n  cache = { zone = "z"; key = "\$scheme\$host\$request_uri\$cookie_sid"; valid = ( { status = [ "200" ]; ttl = "1m"; } ); }; } ); } );\n} ],
    [ 'cache without valid nor auth',
      qq{servers = ( { listen = [ "127.0.0.1:1" ]; routes = ( { match = { prefix = "/"; }; upstream = "app"; cache = { zone = "z"; }; } ); } );\n} ],
    [ 'a short idle_timeout with websocket off',
      qq{servers = ( { listen = [ "127.0.0.1:1" ]; routes = ( { match = { prefix = "/"; }; upstream = "app"; websocket = { enabled = false; idle_timeout = "5s"; }; } ); } );\n} ],
    [ 'idle_timeout of a minute',
      qq{servers = ( { listen = [ "127.0.0.1:1" ]; routes = ( { match = { prefix = "/"; }; upstream = "app"; websocket = { idle_timeout = "60s"; }; } ); } );\n} ],
    [ 'real_ip.from a network', qq{servers = ( { listen = [ "127.0.0.1:1" ]; real_ip = { from = [ "10.0.0.0/8", "::1/128" ]; }; routes = ( $route ); } );\n} ],
    [ 'TLS with hsts only',
      qq{servers = ( { tls_listen = [ "127.0.0.1:2" ]; tls = { certificates = ( { cert = "$later->{cert}"; key = "$later->{key}"; } ); hsts = "max-age=31536000"; }; routes = ( $route ); } );\n} ],
    [ 'TLS with redirect_http only',
      qq{servers = ( { listen = [ "127.0.0.1:1" ]; tls_listen = [ "127.0.0.1:2" ]; tls = { certificates = ( { cert = "$later->{cert}"; key = "$later->{key}"; } ); redirect_http = true; }; routes = ( $route ); } );\n} ],
    [ 'a careful TLS config',
      qq{servers = ( { listen = [ "127.0.0.1:1" ]; tls_listen = [ "127.0.0.1:2" ];\n  tls = { certificates = ( { cert = "$later->{cert}"; key = "$later->{key}"; } ); protocols = [ "TLSv1.2", "TLSv1.3" ];\n    ciphers = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:!RC4:!3DES:!aNULL:-MD5";\n    hsts = "max-age=31536000; includeSubDomains"; redirect_http = true; };\n  routes = ( $route ); } );\n} ],
    [ 'the status listener on 0.0.0.0 with its default allow',
      qq{servers = ( { listen = [ "127.0.0.1:1" ]; routes = ( $route ); } );\nstatus = { listen = [ "0.0.0.0:3" ]; };\n} ],
    [ 'the status listener on loopback with allow = []',
      qq{servers = ( { listen = [ "127.0.0.1:1" ]; routes = ( $route ); } );\nstatus = { listen = [ "127.0.0.1:3", "[::1]:4" ]; allow = [ ]; };\n} ],
    [ 'the status listener open, but with auth',
      qq{servers = ( { listen = [ "127.0.0.1:1" ]; routes = ( $route ); } );\nstatus = { listen = [ "0.0.0.0:3" ]; allow = [ ]; auth = $basic; };\n} ],
    [ 'max_body_size 0 on a route with auth',
      qq{servers = ( { listen = [ "127.0.0.1:1" ]; routes = ( { match = { prefix = "/"; }; upstream = "app"; auth = $basic; max_body_size = 0; } ); } );\n} ],
    [ 'limits.max_body_size 0, every route with a limit or auth',
      qq{limits = { max_body_size = 0; };\nservers = ( { listen = [ "127.0.0.1:1" ]; routes = (\n  { match = { prefix = "/a"; }; upstream = "app"; auth = $basic; },\n  { match = { prefix = "/"; }; upstream = "app"; max_body_size = "10m"; },\n  { match = { exact = "/h"; }; respond = { status = 200; }; } ); } );\n} ],
);
for my $c (@clean) {
    my ($name, $body) = @$c;
    my ($f) = conf($body);
    my ($rc, $out, $err) = check($f, '--strict');
    is($rc, 0, "no warning: $name (--strict exits 0)");
    is($err, '', "no warning: $name (nothing on stderr)");
    is($out, "bouncer: $f: configuration is valid\n", "no warning: $name (check says valid)");
}

# The shipped default config.
my ($rc, $out, $err) = $t->cmd('-c', BouncerTest->root . '/etc/bouncer.conf', 'check', '--strict');
is($rc, 0, 'etc/bouncer.conf: check --strict exits 0');
is($err, '', 'etc/bouncer.conf: no warning');

# Several warnings: each on its line, --strict counts them.
{
    my ($f) = conf(qq{log = { access = { format = "off"; }; };\nservers = ( { listen = [ "127.0.0.1:1" ]; forwarded = "none"; routes = ( $route ); } );\n});
    ($rc, $out, $err) = check($f);
    is($rc, 0, 'two warnings: exit 0');
    is(scalar(() = $err =~ /: warning: /g), 2, 'two warnings: both printed');
    like($out, qr/with 2 warnings$/m, 'two warnings: counted');
    ($rc, $out, $err) = check($f, '--strict');
    is($rc, 1, 'two warnings: --strict exits 1');
    like($err, qr/configuration has 2 warnings \(--strict\)/, 'two warnings: --strict counts them');
}

# Errors come first and decide: a config with an error gets no warnings.
{
    my ($f) = conf(qq{servers = ( { listen = [ "127.0.0.1:1" ]; forwarded = "none"; real_ip = { from = [ "0/0" ]; }; routes = ( $route ); } );\n});
    ($rc, $out, $err) = check($f);
    is($rc, 1, 'an error: exit 1');
    like($err, qr/real_ip\.from\[0\]: "0\/0": expected an address or network/, '"0/0" is refused, as before');
    unlike($err, qr/warning:/, 'no warnings for a config with errors');
}

# TLS 1.0 and 1.1 stay errors.
{
    my ($f) = conf(qq{servers = ( { tls_listen = [ "127.0.0.1:2" ]; tls = { certificates = ( { cert = "$later->{cert}"; key = "$later->{key}"; } ); hsts = "max-age=1"; protocols = [ "TLSv1.1", "TLSv1.2" ]; }; routes = ( $route ); } );\n});
    ($rc, $out, $err) = check($f);
    is($rc, 1, 'TLSv1.1: an error still');
    like($err, qr/tls\.protocols\[0\]: "TLSv1\.1": expected "TLSv1\.2" or "TLSv1\.3"/, 'TLSv1.1: the same message');
}

# --certs: every certificate, with its subject, names, file and days left.
my ($certs_conf, $soon_line) = conf(qq{upstreams = ( { name = "app"; servers = ( { address = "127.0.0.1:9"; } ); },
  { name = "tls"; servers = ( { address = "127.0.0.1:9"; } ); tls = { verify = false; cert = "$client->{cert}"; key = "$client->{key}"; }; } );
servers = (
  { names = [ "later.test" ]; tls_listen = [ "127.0.0.1:2" ];
    tls = { hsts = "max-age=31536000"; certificates = ( { cert = "$later->{cert}"; key = "$later->{key}"; } ); };
    routes = ( $route ); },
  { names = [ "soon.test" ]; tls_listen = [ "127.0.0.1:4" ];
    tls = { hsts = "max-age=31536000"; certificates = ( { key = "$soon->{key}";
      cert = "$soon->{cert}"; } ); }; #W
    routes = ( { match = { prefix = "/"; }; upstream = "tls"; } ); } );
status = { tls_listen = [ "127.0.0.1:3" ]; tls = { certificates = ( { cert = "$later->{cert}"; key = "$later->{key}"; } ); }; };
});
($rc, $out, $err) = check($certs_conf, '--certs');
is($rc, 0, '--certs: exit 0 (near expiry is a warning)') or diag($err);
my $date = qr/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/;
like($out, qr/^\Q$later->{cert}\E: servers\[0\]\.tls\.certificates\[0\] \("later\.test"\): subject "CN=later\.test,O=Bouncer Test", names "later\.test", expires $date \(in 400 days\)$/m,
     '--certs: the 400-day certificate, its subject, names and days left');
like($out, qr/^\Q$soon->{cert}\E: servers\[1\]\.tls\.certificates\[0\] \("soon\.test"\): subject "CN=soon\.test,O=Bouncer Test", names "soon\.test, www\.soon\.test", expires $date \(in 5 days\)$/m,
     '--certs: the 5-day certificate, both names');
like($out, qr/^\Q$later->{cert}\E: status\.tls\.certificates\[0\]: subject "CN=later\.test,O=Bouncer Test"/m,
     "--certs: the status listener's");
like($out, qr/^\Q$client->{cert}\E: upstreams\[1\]\.tls\.cert \("tls", a client certificate\): subject "CN=bouncer,O=Bouncer Test", names "", expires $date \(in 5 days\)$/m,
     "--certs: an upstream's client certificate");
is(scalar(() = $out =~ /^\//mg), 4, '--certs: four certificates, one line each');
like($err, qr/^\Q$certs_conf:$soon_line: warning: servers[1].tls.certificates[0].cert: certificate "$soon->{cert}" expires in 5 days\E/m,
     '--certs: the 5-day one is warned about');
is(scalar(() = $err =~ /expires in/g), 2, '--certs: the 400-day one is not (the client certificate is)');
($rc, $out, $err) = check($certs_conf, '--certs', '--strict');
is($rc, 1, '--certs --strict: exit 1 for a certificate near its end');

# --certs with a certificate file that is not there: the loader's error.
{
    my ($f) = conf(qq{servers = ( { tls_listen = [ "127.0.0.1:2" ]; tls = { hsts = "max-age=1"; certificates = ( { cert = "$d/missing.pem"; key = "$later->{key}"; } ); }; routes = ( $route ); } );\n});
    ($rc, $out, $err) = check($f, '--certs');
    is($rc, 1, '--certs, a missing certificate: exit 1');
    like($err, qr/^\Q$f\E:\d+: servers\[0\]\.tls: cannot read certificate "\Q$d\E\/missing\.pem": No such file or directory$/m,
         '--certs, a missing certificate: the loader says which and why');
    is($out, '', '--certs, a missing certificate: no listing');
}

# Bad use of the options.
($rc, $out, $err) = $t->cmd('check', '--bogus');
is($rc, 2, 'check --bogus: usage error');
like($err, qr/unexpected argument "--bogus".*check \[--strict\]/s, 'check --bogus: the usage names --strict');

# start logs each warning once at warn; a reload logs their count only.
my ($p, $sp) = ($t->port, $t->port);
my $body = qq{upstreams = ( { name = "app"; servers = ( { address = "127.0.0.1:9"; } ); } );
servers = ( { listen = [ "127.0.0.1:$p" ]; forwarded = "none"; routes = ( $route ); } );
};
$t->config($body);
$t->start(ports => [$p]);
my @warn = grep { /\[warn\].*warning: servers\[0\]\.forwarded: "none"/ } split /\n/, $t->error_log;
is(scalar @warn, 1, 'start: the warning is in the error log once, at warn') or diag($t->error_log);
like($warn[0] // '', qr/\Q$d\E\/bouncer\.conf:\d+: warning: servers\[0\]\.forwarded/, 'start: with its FILE:LINE');
my ($rrc, $rerr, $took) = $t->reload_config($body . qq{status = { listen = [ "0.0.0.0:$sp" ]; allow = [ "0.0.0.0/0" ]; };\n});
ok($rrc == 0 && $took, 'reload with two warnings succeeds') or diag($rerr);
ok(wait_until(sub { $t->error_log =~ /\[notice\].*the configuration has 2 warnings; `bouncer check` lists them/ }, 10),
   'reload: their count, at notice');
@warn = grep { /warning: / } split /\n/, $t->error_log;
is(scalar @warn, 1, 'reload: the warnings themselves are not logged again');
unlike($rerr, qr/warning/, 'reload: `bouncer reload` prints no warning');
$t->done;

done_testing;
