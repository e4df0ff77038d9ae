# Config errors: each names the file, the line and the setting's path, and
# says what was expected; `check` reports them all; unknown settings get a
# hint; settings of later releases are refused, not ignored.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use Test::More;

my $t = BouncerTest->new;
my $d = $t->dir;

sub check_conf {
    my ($text) = @_;
    my $f = $t->write_file('c.conf', $text);
    my ($rc, $out, $err) = $t->cmd('-c', $f, 'check');
    return ($rc, $err, $f);
}

my $ok = <<C;
pid_file = "$d/b.pid";
upstreams = ( { name = "app"; servers = ( { address = "127.0.0.1:9"; } ); } );
servers = ( { listen = [ "127.0.0.1:1" ]; routes = ( { match = { prefix = "/"; }; upstream = "app"; } ); } );
C
my ($rc, $err) = check_conf($ok);
is($rc, 0, 'a minimal config passes check') or diag($err);

my @cases = (
    [ "workerz = 2;\n$ok", qr/c\.conf:1: workerz: unknown setting \(did you mean "workers"\?\)/, 'unknown setting with a hint' ],
    [ "workers = \"many\";\n$ok", qr/c\.conf:1: workers: expected "auto" or a number/, 'workers value' ],
    [ "daemon = 1;\n$ok", qr/c\.conf:1: daemon: expected true or false/, 'boolean type' ],
    [ "limits = { header_timeout = \"10 seconds\"; };\n$ok", qr/c\.conf:1: limits\.header_timeout: expected a duration/, 'bad duration' ],
    [ "limits = { max_body_size = \"1x\"; };\n$ok", qr/c\.conf:1: limits\.max_body_size: expected a size/, 'bad size' ],
    [ "log = { error = { level = \"loud\"; }; };\n$ok", qr/log\.error\.level: unknown value "loud" \(expected one of: debug/, 'bad log level' ],
    [ "log = { access = { format = \"xml\"; }; };\n$ok", qr/log\.access\.format: unknown value "xml" \(expected one of: combined, json, off, or a template of \$variables\)/, 'bad access format' ],
    [ "backlog = 0;\n$ok", qr/backlog: 0 is out of range/, 'out of range integer' ],
    [ "busy_poll = \"50\";\n$ok", qr/c\.conf:1: busy_poll: expected a time such as "50us" or "1ms" \(at most 10000us\), or 0/, 'busy_poll without a unit' ],
    [ "busy_poll = \"1s\";\n$ok", qr/busy_poll: expected a time such as "50us"/, 'busy_poll in seconds' ],
    [ "busy_poll = \"20ms\";\n$ok", qr/busy_poll: expected a time .*at most 10000us/, 'busy_poll too long' ],
    [ "busy_poll = 5;\n$ok", qr/busy_poll: expected a time/, 'busy_poll as a bare number' ],
    [ "defer_accept = \"yes\";\n$ok", qr/c\.conf:1: defer_accept: expected true or false/, 'defer_accept not a boolean' ],
    [ "tcp_notsent_lowat = \"lots\";\n$ok", qr/c\.conf:1: tcp_notsent_lowat: expected a size/, 'tcp_notsent_lowat not a size' ],
    [ "tcp_notsent_lowat = \"2g\";\n$ok", qr/c\.conf:1: tcp_notsent_lowat: expected at most "1g"/, 'tcp_notsent_lowat too large' ],
    [ $ok =~ s/upstream = "app"; \}/upstream = "app"; websocket = { drain_timeout = "soon"; }; }/r,
      qr/c\.conf:3: servers\[0\]\.routes\[0\]\.websocket\.drain_timeout: expected a duration/, 'websocket.drain_timeout not a duration' ],
    [ $ok =~ s/upstream = "app"; \}/upstream = "app"; websocket = { drain_timeout = "8d"; }; }/r,
      qr/c\.conf:3: servers\[0\]\.routes\[0\]\.websocket\.drain_timeout: expected at most "7d"/, 'websocket.drain_timeout too long' ],
    [ $ok =~ s/name = "app"; servers/name = "app"; balance = "round-robin"; servers/r,
      qr/c\.conf:2: upstreams\[0\]\.balance: unknown value "round-robin" \(expected one of: round_robin, least_conn, ip_hash, hash, random2\)/, 'the style guide example' ],
    [ $ok =~ s/upstream = "app"; \}/upstream = "nope"; }/r, qr/c\.conf:3: servers\[0\]\.routes\[0\]\.upstream: no upstream is named "nope"/, 'dangling upstream reference' ],
    [ $ok =~ s/prefix = "\/"/regex = "^(\/x"/r, qr/routes\[0\]\.match\.regex: regex "\^\(\/x" does not compile at offset 4: missing closing parenthesis/, 'regex with PCRE2 message and offset' ],
    [ $ok =~ s/"127\.0\.0\.1:1" \]/"127.0.0.1:1", "127.0.0.1:1" ]/r, qr/servers\[0\]\.listen\[1\]: "127\.0\.0\.1:1" is listed twice in this server block/, 'address twice in one block' ],
    [ $ok =~ s/127\.0\.0\.1:9/127.0.0.1:70000/r, qr/servers\[0\]\.address: "127\.0\.0\.1:70000": the port must be a number from 1 to 65535/, 'bad port' ],
    [ $ok =~ s/127\.0\.0\.1:9/::1:80/r, qr/needs brackets/, 'IPv6 without brackets' ],
    [ "cache_zones = ( { name = \"x\"; } );\n$ok", qr/c\.conf:1: cache_zones\[0\]\.path: required/, 'a cache zone without path' ],
    [ "cache_zones = ( { name = \"x\"; path = \"/tmp/a\"; memory = \"1k\"; } );\n$ok", qr/cache_zones\[0\]\.memory: expected at least "256k"/, 'a cache zone too small' ],
    [ "cache_zones = ( { name = \"x\"; path = \"/tmp/a\"; }, { name = \"x\"; path = \"/tmp/b\"; } );\n$ok", qr/cache_zones\[1\]\.name: another cache zone is named "x"/, 'two zones of one name' ],
    [ "status = { listen = [ \"127.0.0.1:1\" ]; };\n$ok", qr/c\.conf:1: status\.listen\[0\]: "127\.0\.0\.1:1" is also a server block's address; the status listener needs one of its own/, 'status on a server block\'s address' ],
    [ "status = { allow = [ \"127.0.0.1\" ]; };\n$ok", qr/c\.conf:1: status\.listen: the status listener needs at least one listen or tls_listen address/, 'status without an address' ],
    [ "status = { listen = [ \"127.0.0.1:2\" ]; latency_buckets = [ \"1s\", \"500ms\" ]; };\n$ok", qr/c\.conf:1: status\.latency_buckets\[1\]: "500ms" is not more than the bucket before it/, 'latency buckets out of order' ],
    [ "status = { listen = [ \"127.0.0.1:2\" ]; latency_buckets = [ \"1.5ms\" ]; };\n$ok", qr/status\.latency_buckets\[0\]: expected a duration such as "5ms" or "2\.5s", more than 0/, 'a latency bucket below a millisecond' ],
    [ $ok =~ s/\{ match = \{ prefix = "\/"; \}; upstream = "app"; \}/{ name = "a"; match = { prefix = "\/"; }; upstream = "app"; }, { name = "a"; match = { prefix = "\/b"; }; upstream = "app"; }/r, qr/routes\[1\]\.name: route 1 of this server block is named "a" too/, 'two routes of one name' ],
    [ "rate_limits = ( { name = \"x\"; key = \"\$remote_addr\"; rate = \"1r/s\"; scope = \"cluster\"; } );\n$ok",
      qr/rate_limits\[0\]\.scope: "cluster" needs the redis group/, 'rate_limits scope cluster without redis' ],
    [ $ok =~ s/listen = \[/tls_listen = [ "127.0.0.1:2" ]; listen = [/r, qr/servers\[0\]\.tls: required with tls_listen/, 'tls_listen without tls' ],
    [ $ok =~ s/listen = \[/tls = { certificates = ( { cert = "x"; key = "y"; } ); }; listen = [/r, qr/servers\[0\]\.tls: this server has no tls_listen address/, 'tls without tls_listen' ],
    [ $ok =~ s/listen = \[/tls_listen = [ "127.0.0.1:2" ]; tls = { protocols = [ "TLSv1.1" ]; certificates = ( { cert = "x"; key = "y"; } ); }; listen = [/r, qr/tls\.protocols\[0\]: "TLSv1\.1": expected "TLSv1\.2" or "TLSv1\.3"/, 'old TLS versions refused' ],
    [ $ok =~ s/listen = \[/tls_listen = [ "127.0.0.1:1" ]; tls = { certificates = ( { cert = "x"; key = "y"; } ); }; listen = [/r, qr/"127\.0\.0\.1:1" is (listed twice|a plain listener)/, 'one address both plain and TLS' ],
    [ $ok =~ s/upstream = "app"; \}/upstream = "app"; cache = { zone = "x"; }; }/r, qr/routes\[0\]\.cache\.zone: no cache zone is named "x"/, 'cache with an unknown zone' ],
    [ "cache_zones = ( { name = \"x\"; path = \"/tmp/a\"; } );\n" . ($ok =~ s/upstream = "app"; \}/upstream = "app"; cache = { zone = "x"; use_stale = [ "always" ]; valid = ( { status = [ "99" ]; ttl = "1m"; } ); }; }/r), qr/cache\.use_stale\[0\]: unknown value "always".*\n.*cache\.valid\[0\]\.status\[0\]: expected a final status/s, 'bad use_stale, bad valid status' ],
    [ $ok =~ s/upstream = "app"; \}/upstream = "app"; auth = { }; waf = { mode = "on"; }; rate_limit = "x"; }/r,
      qr/routes\[0\]\.auth: expected exactly one of basic, jwt, api_key, forward, any.*\n.*routes\[0\]\.rate_limit: no rate_limits entry is named "x".*\n.*routes\[0\]\.waf\.mode: unknown value "on"/,
      'an empty auth, an unknown rate_limit, a bad waf mode' ],
    [ $ok =~ s/name = "app"; servers/name = "app"; balance = "hash"; servers/r, qr/upstreams\[0\]\.hash_key: required with balance = "hash"/, 'hash without hash_key' ],
    [ $ok =~ s/name = "app"; servers/name = "app"; hash_key = "\$uri"; servers/r, qr/upstreams\[0\]\.hash_key: used only with balance = "hash"/, 'hash_key without hash' ],
    [ $ok =~ s/name = "app"; servers/name = "app"; balance = "hash"; hash_key = "\$nope"; servers/r, qr/upstreams\[0\]\.hash_key: .*nope/, 'hash_key with an unknown variable' ],
    [ $ok =~ s/name = "app"; servers/name = "app"; balance = "ip_hash"; servers/r =~ s/address = "127\.0\.0\.1:9";/address = "127.0.0.1:9"; backup = true;/r, qr/servers\[0\]\.backup: backup servers cannot be used with balance = "ip_hash"/, 'backup with ip_hash' ],
    [ $ok =~ s/name = "app"; servers/name = "app"; health_check = { interval = "1s"; }; servers/r, qr/upstreams\[0\]\.health_check\.path: required/, 'health_check without path' ],
    [ $ok =~ s/name = "app"; servers/name = "app"; health_check = { path = "\/h"; expect = [ "2xx", "ok" ]; }; servers/r, qr/health_check\.expect\[1\]: expected a status \("200"\) or a class \("2xx"\), not "ok"/, 'health_check expect' ],
    [ $ok =~ s/name = "app"; servers/name = "app"; sticky = { cookie = "a b"; }; servers/r, qr/sticky\.cookie: a cookie name is a token/, 'sticky cookie name' ],
    [ $ok =~ s/name = "app"; servers/name = "app"; sticky = { cookie = "s"; samesite = "None"; }; servers/r, qr/sticky\.samesite: browsers ignore SameSite=None without secure = true/, 'SameSite=None without secure' ],
    [ $ok =~ s/name = "app"; servers/name = "app"; resolver = "unix:\/tmp\/dns";  servers/r, qr/upstreams\[0\]\.resolver: expected "IP:port" of a DNS server/, 'resolver not IP:port' ],
    [ $ok =~ s/address = "127\.0\.0\.1:9";/address = "unix:\/tmp\/x.sock"; resolve = true;/r, qr/servers\[0\]\.resolve: a unix socket has no name to resolve/, 'resolve on a unix socket' ],
    [ $ok =~ s/name = "app"; servers/name = "app"; queue = { size = -1; }; servers/r, qr/queue\.size: -1 is out of range/, 'queue size' ],
    [ $ok =~ s/name = "app"; servers/name = "app"; queue = { sise = 1; }; servers/r, qr/queue\.sise: unknown setting \(did you mean "size"\?\)/, 'queue unknown setting' ],
    [ $ok =~ s/address = "127\.0\.0\.1:9";/address = "127.0.0.1:9"; max_conns = -1;/r, qr/max_conns: -1 is out of range/, 'max_conns range' ],
    [ $ok =~ s/\{ match = \{ prefix = "\/"; \}; upstream = "app"; \}/{ upstream = "app"; }/r, qr/routes\[0\]\.match: required/, 'route without match' ],
    [ $ok =~ s/upstream = "app"; \}/upstream = "app"; respond = { status = 200; }; }/r, qr/routes\[0\]: expected exactly one of upstream, redirect or respond/, 'two actions' ],
    [ $ok =~ s/upstreams = .*\n//r, qr/no upstream is named "app"/, 'no upstreams at all' ],
    [ "servers = ();\n", qr/servers: at least one server block is needed/, 'no servers' ],
    [ "a = ;\n", qr/c\.conf:1: syntax error/, 'syntax error with its line' ],
);
for my $v ('"50us"', '"1ms"', '"10000us"', '0', '"0us"') {
    my ($rc1, $err1) = check_conf("busy_poll = $v;\n$ok");
    is($rc1, 0, "busy_poll = $v passes check") or diag($err1);
}
# max_uri_size defaults to "8k", or max_header_size when that is smaller;
# one set above max_header_size is still an error.
for my $v ('max_header_size = "4k";', 'max_header_size = "1k";', 'max_header_size = "32k";',
           'max_header_size = "4k"; max_uri_size = "4k";') {
    my ($rc1, $err1) = check_conf("limits = { $v };\n$ok");
    is($rc1, 0, "limits = { $v } passes check") or diag($err1);
}
push @cases, [ "limits = { max_header_size = \"4k\"; max_uri_size = \"8k\"; };\n$ok",
               qr/c\.conf:1: limits\.max_uri_size: expected from "16" to max_header_size/,
               'max_uri_size above max_header_size' ];
for my $v ('"16k"', '0', '131072', '"1g"') {
    my ($rc1, $err1) = check_conf("tcp_notsent_lowat = $v;\n$ok");
    is($rc1, 0, "tcp_notsent_lowat = $v passes check") or diag($err1);
}
for my $c (@cases) {
    my ($text, $re, $name) = @$c;
    my ($rc2, $err2) = check_conf($text);
    isnt($rc2, 0, "$name: check fails");
    like($err2, $re, "$name: message") or diag($err2);
}

# Every semantic error is reported, not only the first.
($rc, $err) = check_conf("workerz = 1;\nbacklog = -5;\n" . ($ok =~ s/upstream = "app"; \}/upstream = "nope"; }/r));
my @lines = grep { /c\.conf:\d+: / } split /\n/, $err;
is(scalar @lines, 3, 'check reports all three errors') or diag($err);

# @include is taken from the main file's folder, errors name the included file.
$t->write_file('inc.conf', "backlog = \"x\";\n");
my $main = $t->write_file('sub.conf', "\@include \"inc.conf\"\n$ok");
my ($rc3, undef, $err3) = $t->cmd('-c', $main, 'check');
isnt($rc3, 0, 'error inside an included file');
like($err3, qr{\Q$d\E/inc\.conf:1: backlog: expected an integer}, 'the included file and line are named');

# start refuses a bad config with the same messages.
$t->write_file('bouncer.conf', "workerz = 1;\n$ok");
my ($rc4, $o4, $e4) = $t->cmd('start', '--foreground');
isnt($rc4, 0, 'start refuses a bad config');
like($e4, qr/workerz: unknown setting/, 'and says why');

# The limits the default max_uri_size makes, on a running bouncer: with
# max_header_size "4k" a request-target up to 4k is read (a longer one is
# 414: the head filled up within its target), with "32k" the "8k" default
# holds (414).
my $p = $t->port;
my $routes = qq{servers = ( { listen = [ "127.0.0.1:$p" ]; routes = ( { match = { prefix = "/"; }; respond = { status = 200; }; } ); } );};
$t->config("limits = { max_header_size = \"4k\"; };\n$routes");
$t->start(ports => [$p]);
is(http_request($p, 'GET', '/' . ('u' x 3900))->{status}, 200, 'max_header_size "4k": a 3.9k URI passes');
is(http_request($p, 'GET', '/' . ('u' x 5000))->{status}, 414, 'a 5k URI: 414');
is(http_request($p, 'GET', '/', headers => ['X-Big' => 'h' x 5000])->{status}, 431,
   'a 5k header: 431');
my ($rc6, $err6, $took) = $t->reload_config("limits = { max_header_size = \"32k\"; };\n$routes");
ok($rc6 == 0 && $took, 'reloaded with max_header_size "32k"') or diag($err6);
is(http_request($p, 'GET', '/' . ('u' x 8000))->{status}, 200, 'max_header_size "32k": an 8000-byte URI passes');
is(http_request($p, 'GET', '/' . ('u' x 9000))->{status}, 414, 'a 9k URI: 414, the "8k" default');
$t->done;

# The shipped config passes check as it is.
my ($rc5, undef, $e5) = $t->cmd('-c', BouncerTest->root . '/etc/bouncer.conf', 'check');
is($rc5, 0, 'etc/bouncer.conf passes check') or diag($e5);

done_testing;
