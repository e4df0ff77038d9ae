# The status listener and the counters behind it: known traffic over two
# workers (so many 2xx, 4xx and 502s), one worker SIGKILLed, reloads good
# and bad, and the figures must add up exactly in /metrics, /status.json,
# `bouncer status` and `bouncer status --json`.  /metrics passes promtool's
# check (lint included) when promtool is installed, and what promtool does
# not check: buckets never decrease, the +Inf bucket is _count.  Gauges
# come back to zero when a worker holding connections is killed.  allow and
# auth guard the listener; its own requests are not counted; a status
# address a server block listens on is refused by check (t/config_errors.t).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use IO::Socket::INET;
use Digest::SHA ();
use MIME::Base64 qw(encode_base64);
use Test::More;

my $t = BouncerTest->new;
my ($p, $sp, $be, $dead) = ($t->port, $t->port, $t->port, $t->port);
$t->backend($be, sub {
    my ($r) = @_;
    return [404, [], 'none'] if $r->{path} =~ m{^/nf};
    return [200, [], 'ok'];
});
my $d = $t->dir;

sub conf {
    my (%o) = @_;
    my $status = $o{status} // '';
    return <<C;
auth_policies = ( { name = "ops"; basic = { realm = "ops"; users = "$d/htpasswd"; }; } );
upstreams = ( { name = "app"; servers = ( { address = "127.0.0.1:$be"; } ); keepalive = 4; },
              { name = "gone"; servers = ( { address = "127.0.0.1:$dead"; } ); } );
status = { listen = [ "127.0.0.1:$sp" ]; $status };
servers = ( { listen = [ "127.0.0.1:$p" ]; names = [ "shop" ];
  routes = ( { name = "nf"; match = { prefix = "/nf"; }; upstream = "app"; },
             { name = "private"; match = { prefix = "/private"; }; auth = "ops"; upstream = "app"; },
             { match = { prefix = "/dead"; }; upstream = "gone"; },
             { name = "ok"; match = { prefix = "/"; }; upstream = "app"; } ); } );
C
}
# {SHA}, one of the formats Apache's htpasswd writes (-s).
$t->write_file('htpasswd', 'ops:{SHA}' . Digest::SHA::sha1_base64('secret') . "=\n");
$t->config(conf(), workers => 2);
$t->start(ports => [$p, $sp]);

sub get { http_request($_[0], 'GET', $_[1], headers => $_[2] || []) || { status => 0, body => '' } }

# The samples of /metrics, as name{labels} => value.
sub scrape {
    my $r = get($sp, '/metrics');
    my %m;
    for (split /\n/, $r->{body} // '') {
        next if /^#/;
        $m{$1} = $2 if /^(\S+) (\S+)$/;
    }
    return (\%m, $r);
}
sub requests {
    my ($m, $route, $code) = @_;
    return $m->{"bouncer_http_requests_total{server=\"shop\",route=\"$route\",code=\"$code\"}"} // -1;
}
sub counts_are {
    my ($want, $name) = @_;
    my $m;
    my $ok = BouncerTest::wait_until(sub {
        ($m) = scrape();
        for my $k (keys %$want) {
            my ($route, $code) = split / /, $k;
            return 0 unless requests($m, $route, $code) == $want->{$k};
        }
        return 1;
    }, 10);
    ok($ok, $name) or diag(join ', ', map { "$_=" . requests($m, split / /, $_) } sort keys %$want);
    return $m;
}

get($p, '/x') for 1 .. 20;
get($p, '/nf') for 1 .. 7;
my @dead = map { get($p, '/dead')->{status} } 1 .. 5;
is("@dead", '502 502 502 502 502', 'the dead upstream gives 502s');
my $want = { 'ok 2xx' => 20, 'nf 4xx' => 7, 'prefix:/dead 5xx' => 5, 'ok 5xx' => 0 };
my $m = counts_are($want, '20 2xx, 7 404s and 5 502s counted, by route and class');
is($m->{'bouncer_upstream_failures_total{upstream="gone",server="127.0.0.1:' . $dead . '",kind="connect"}'},
   5, 'five connect failures of the dead server');
is($m->{'bouncer_upstream_requests_total{upstream="app",server="127.0.0.1:' . $be . '"}'}, 27,
   'the live server answered 27');
is($m->{'bouncer_upstream_up{upstream="app",server="127.0.0.1:' . $be . '"}'}, 1, 'and is up');

# The histograms: cumulative, +Inf is _count, _count is the requests.
my ($text) = get($sp, '/metrics')->{body};
my (%last, $decreasing, $inf_mismatch);
for (split /\n/, $text) {
    next unless /^(\w+)_bucket\{(.*),le="([^"]+)"\} (\d+)$/;
    my ($name, $labels, $le, $v) = ($1, $2, $3, $4);
    $decreasing++ if defined $last{"$name$labels"} && $v < $last{"$name$labels"};
    $last{"$name$labels"} = $v;
    if ($le eq '+Inf') {
        my ($count) = $text =~ /^\Q${name}_count{$labels}\E (\d+)$/m;
        $inf_mismatch++ unless defined $count && $count == $v;
    }
}
ok(scalar keys %last, 'histograms are there');
ok(!$decreasing, 'no bucket is below the one before it');
ok(!$inf_mismatch, 'every +Inf bucket equals its _count');
like($text, qr/^bouncer_http_request_duration_seconds_count\{server="shop",route="ok"\} 20$/m,
     "the route's duration histogram counted its 20 requests");
like($text, qr/^bouncer_build_info\{version="[^"]+",openssl="OpenSSL [^"]+",pcre2="10\.[^"]+",libconfig="1\.[^"]+"\} 1$/m,
     'build info with the library versions');
my ($promtool) = grep { -x } map { "$_/promtool" } split /:/, $ENV{PATH};
SKIP: {
    skip 'promtool (Debian package prometheus) is not installed', 1 unless $promtool;
    my $f = $t->write_file('metrics.txt', $text);
    my $out = `$promtool check metrics < $f 2>&1`;
    is($? >> 8, 0, 'promtool check metrics passes, lint included') or diag($out);
}

# And as Prometheus's own Python client reads it (Debian's
# python3-prometheus-client): every family, every sample.
SKIP: {
    skip 'python3-prometheus-client is not installed', 2
        unless system('/usr/bin/python3 -c "import prometheus_client" 2>/dev/null') == 0;
    my $f = $t->write_file('metrics-py.txt', $text);
    my $py = "import sys\nfrom prometheus_client.parser import text_string_to_metric_families as p\n"
           . "fams = list(p(open(sys.argv[1]).read()))\n"
           . "print(len(fams), sum(len(f.samples) for f in fams))\n";
    my $script = $t->write_file('parse.py', $py);
    my $out = `/usr/bin/python3 $script $f 2>&1`;
    my ($nf, $ns) = $out =~ /^(\d+) (\d+)$/m;
    my $want_f = () = $text =~ /^# TYPE /mg;
    my $want_s = () = $text =~ /^[a-z]/mg;
    is($nf, $want_f, "prometheus_client reads every family ($want_f)") or diag($out);
    is($ns, $want_s, "and every sample ($want_s)");
}

# etc/grafana-dashboard.json asks only for metrics that are there, in
# expressions Prometheus parses.
my $dash = BouncerTest::decode_json(BouncerTest::slurp(BouncerTest->root . '/etc/grafana-dashboard.json'));
my @exprs = map { map { $_->{expr} } @{ $_->{targets} } } @{ $dash->{panels} };
ok(scalar @exprs, 'the Grafana dashboard has queries');
my %names = map { s/_(?:bucket|sum|count)$//r => 1 } map { /\b(bouncer_\w+)/g } @exprs;
my @absent = grep { $text !~ /^# TYPE \Q$_\E /m } sort keys %names;
is("@absent", '', 'every metric the dashboard asks for is exported');
SKIP: {
    skip 'promtool is not installed', 1 unless $promtool;
    my $rules = "groups:\n  - name: dashboard\n    rules:\n"
              . join('', map { "      - record: dashboard:q$_\n        expr: '" . ($exprs[$_] =~ s/'/''/gr) . "'\n" } 0 .. $#exprs);
    my $f = $t->write_file('rules.yml', $rules);
    my $out = `$promtool check rules $f 2>&1`;
    is($? >> 8, 0, "promtool parses the dashboard's queries") or diag($out);
}

# Its own requests are not client traffic.
get($sp, '/metrics') for 1 .. 5;
get($sp, '/status.json');
($m) = scrape();
is(requests($m, 'ok', '2xx'), 20, "the status listener's requests are not counted");
ok(!grep({ /server="status"/ } keys %$m), 'nor listed');

# Gauges: two idle connections are open; killing every worker closes them,
# and the gauge is back at zero, not left where the dead worker had it.
my @idle = map { IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $p) or die } 1 .. 2;
ok(BouncerTest::wait_until(sub { (scrape())[0]{bouncer_client_connections} == 2 }, 10),
   'two client connections open') or diag((scrape())[0]{bouncer_client_connections});
my @old = $t->worker_pids;
kill 'KILL', $old[0];
$t->expect_alert(qr/exited on signal SIGKILL/);
ok(BouncerTest::wait_until(sub { my @n = $t->worker_pids; @n == 2 && !grep { $_ == $old[0] } @n }, 10),
   'the killed worker is replaced');
kill 'KILL', $old[1];
ok(BouncerTest::wait_until(sub { my @n = $t->worker_pids; @n == 2 && !grep { $_ == $old[1] } @n }, 10),
   'and the other');
ok(BouncerTest::wait_until(sub { (scrape())[0]{bouncer_client_connections} == 0 }, 10),
   'the connections of the dead workers are no longer counted open');
close $_ for @idle;
($m) = scrape();
is($m->{'bouncer_worker_restarts_total{signal="SIGKILL"}'}, 2, 'two restarts after SIGKILL counted');
is(requests($m, 'ok', '2xx'), 20, "the dead workers' requests are still counted");

get($p, '/x') for 1 .. 3;
counts_are({ 'ok 2xx' => 23 }, 'the new workers add to them');

# A reload, and one that fails: counted, and nothing goes back.
my ($rc, $err, $took) = $t->reload_config(conf(), workers => 2);
ok($rc == 0 && $took, 'reloaded') or diag($err);
$t->config("servers = oops;", workers => 2);
($rc) = $t->cmd('reload');
isnt($rc, 0, 'a bad config does not reload');
$t->config(conf(), workers => 2);
($m) = scrape();
is($m->{'bouncer_reloads_total{result="ok"}'}, 1, 'one reload counted');
is($m->{'bouncer_reloads_total{result="failed"}'}, 1, 'one failed reload counted');
is($m->{bouncer_generation}, 2, 'generation 2');
is(requests($m, 'ok', '2xx'), 23, 'the counts survive the reload');
is(requests($m, 'nf', '4xx'), 7, 'all of them');

# /status.json: the same figures.
my $j = eval { BouncerTest::decode_json(get($sp, '/status.json')->{body}) } || {};
is_deeply($j->{requests}, { '1xx' => 0, '2xx' => 23, '3xx' => 0, '4xx' => 7, '5xx' => 5 },
          '/status.json: the same requests by class');
my ($okr) = grep { $_->{route} eq 'ok' } @{ $j->{routes} || [] };
is($okr && $okr->{duration}{count}, 23, "/status.json: the route's histogram count");
my ($gone) = grep { $_->{upstream} eq 'gone' } @{ $j->{upstreams} || [] };
is($gone && $gone->{failures}{connect}, 5, '/status.json: the connect failures');
is(scalar(grep { $_->{kind} eq 'worker' && $_->{generation} == 2 } @{ $j->{workers} || [] }), 2,
   '/status.json: two workers of generation 2');
is($j->{config}{file}, "$d/bouncer.conf", '/status.json: the config file');
is($j->{reloads}{ok}, 1, '/status.json: reloads');

# bouncer status and --json.
my ($src, $out) = $t->cmd('status');
is($src, 0, 'bouncer status');
like($out, qr/^requests: 35 \(2xx 23, 3xx 0, 4xx 7, 5xx 5\)$/m, 'status: requests by class');
like($out, qr/^errors: 14\.29% 5xx$/m, 'status: the error ratio');
like($out, qr/^p99: <= \d+\.\d{3}s$/m, 'status: p99');
like($out, qr/^upstream gone: 127\.0\.0\.1:$dead up$/m, 'status: upstream health');
like($out, qr/^rate: [\d.]+\/s/m, 'status: a rate');
($src, $out) = $t->cmd('status', '--json');
my $sj = eval { BouncerTest::decode_json($out) } || {};
is($src, 0, 'bouncer status --json');
is_deeply($sj->{requests}, $j->{requests}, 'status --json: the figures of /status.json');

# The dashboard: one page, its script and style allowed by nonce and
# nothing else; the table without JavaScript has the figures.
my $page = get($sp, '/');
is($page->{status}, 200, 'the dashboard');
my ($nonce) = ($page->{headers}{'content-security-policy'} // '') =~ /script-src 'nonce-([0-9a-f]{32})'/;
ok($nonce, "a CSP that allows only the page's own script") or diag($page->{headers}{'content-security-policy'});
like($page->{headers}{'content-security-policy'} // '', qr/default-src 'none'/, "and nothing else by default");
like($page->{body}, qr/<script nonce="\Q$nonce\E">/, 'the script carries the nonce') if $nonce;
unlike($page->{body}, qr/<(?:script|link|img)[^>]+(?:src|href)=/i, 'no external script, style or image');
like($page->{body}, qr{<tr><td>shop ok</td><td>0</td><td>23</td><td>0</td><td>0</td><td>0</td></tr>},
     'the no-JS table: the route "ok"');
like($page->{body}, qr{<tr><td>shop prefix:/dead</td><td>0</td><td>0</td><td>0</td><td>0</td><td>5</td></tr>},
     'the no-JS table: the 502s');
is(get($sp, '/nope')->{status}, 404, 'other paths: 404');
my $post = http_request($sp, 'POST', '/metrics', body => 'x');
is($post && $post->{status}, 405, 'POST: 405');

# Client requests an auth policy decides are counted by outcome.
my $basic = 'Basic ' . encode_base64('ops:secret', '');
my @auth = map { get($p, '/private', $_)->{status} } [], [Authorization => 'Basic ' . encode_base64('ops:no', '')],
                                                    [Authorization => $basic];
is("@auth", '401 401 200', 'the private route: two refused, one let in');
($m) = scrape();
is($m->{'bouncer_auth_requests_total{policy="ops",outcome="unauthorized"}'}, 2, 'auth: two unauthorized');
is($m->{'bouncer_auth_requests_total{policy="ops",outcome="ok"}'}, 1,
   'auth: one ok (the status listener\'s own not among them)');

# allow and auth.
($rc, $err, $took) = $t->reload_config(conf(status => 'allow = [ "10.0.0.0/8" ];'), workers => 2);
ok($took, 'reloaded with allow = [ "10.0.0.0/8" ]') or diag($err);
is(get($sp, '/metrics')->{status}, 403, 'a client outside allow: 403');
($rc, $err, $took) = $t->reload_config(conf(status => 'auth = "ops";'), workers => 2);
ok($took, 'reloaded with auth = "ops"') or diag($err);
is(get($sp, '/metrics')->{status}, 401, 'without credentials: 401');
is(get($sp, '/metrics', [Authorization => 'Basic ' . encode_base64('ops:wrong', '')])->{status},
   401, 'with a wrong password: 401');
is(get($sp, '/metrics', [Authorization => $basic])->{status}, 200, 'with the right one: 200');

$t->done;
done_testing;
