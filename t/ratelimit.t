# rate_limits: GCRA in shared memory, exact across workers; burst, delay
# (two-stage), dry_run, status, empty keys, keys apart, keys after auth,
# a full zone, the 429 and its fields, the log kept from flooding, a
# reload that keeps the budget, and check's refusals.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use Test::More;
use Time::HiRes qw(time sleep);
use IO::Socket::INET;
use POSIX ();

my $t = BouncerTest->new;
my $d = $t->dir;
my ($p, $auth) = ($t->port, $t->port);
$t->write_file('keys', "alice:k-alice\nbob:k-bob\n");
$t->backend($auth, sub { ($_[0]{headers}{authorization} // '') eq 'Bearer ok' ? [200, [], ''] : [401, [], 'no'] });
my $conf = <<C;
rate_limits = (
  { name = "basic"; key = "\$remote_addr"; rate = "5r/s"; burst = 3; },
  { name = "accurate"; key = "\$remote_addr"; rate = "20r/s"; burst = 5; },
  { name = "delayed"; key = "\$remote_addr"; rate = "10r/s"; burst = 5; delay = 2; },
  { name = "smooth"; key = "\$remote_addr"; rate = "10r/s"; burst = 3; delay = 0; },
  { name = "dry"; key = "\$remote_addr"; rate = "1r/m"; dry_run = true; },
  { name = "busy"; key = "\$remote_addr"; rate = "1r/m"; status = 503; },
  { name = "by_header"; key = "\$http_x_key"; rate = "1r/m"; },
  { name = "tiny"; key = "\$http_x_key"; rate = "1r/m"; memory = "64k"; },
  { name = "per_key"; key = "\$api_key_name"; rate = "1r/m"; },
  { name = "pre_auth"; key = "\$remote_addr"; rate = "1r/m"; burst = 1; }
);
auth_policies = ( { name = "keys"; api_key = { keys = "$d/keys"; }; },
                  { name = "svc"; forward = { url = "http://127.0.0.1:$auth/"; }; } );
servers = ( { listen = [ "127.0.0.1:$p" ];
  routes = (
    { match = { prefix = "/basic"; }; rate_limit = "basic"; respond = { status = 200; body = "ok"; }; },
    { match = { prefix = "/accurate"; }; rate_limit = [ "accurate" ]; respond = { status = 200; body = "ok"; }; },
    { match = { prefix = "/delayed"; }; rate_limit = "delayed"; respond = { status = 200; body = "ok"; }; },
    { match = { prefix = "/smooth"; }; rate_limit = "smooth"; respond = { status = 200; body = "ok"; }; },
    { match = { prefix = "/dry"; }; rate_limit = "dry"; respond = { status = 200; body = "ok"; }; },
    { match = { prefix = "/busy"; }; rate_limit = "busy"; respond = { status = 200; body = "ok"; }; },
    { match = { prefix = "/header"; }; rate_limit = "by_header"; respond = { status = 200; body = "ok"; }; },
    { match = { prefix = "/tiny"; }; rate_limit = "tiny"; respond = { status = 200; body = "ok"; }; },
    { match = { prefix = "/keyed"; }; auth = "keys"; rate_limit = "per_key"; respond = { status = 200; body = "ok"; }; },
    { match = { prefix = "/pre"; }; auth = "svc"; rate_limit = "pre_auth"; respond = { status = 200; body = "ok"; }; },
    { match = { prefix = "/"; }; respond = { status = 200; body = "free"; }; } ); } );
C
$t->config($conf, workers => 2, access_format => 'json');
$t->start(ports => [$p]);

sub st { my $r = http_request($p, 'GET', $_[0], headers => [ @_[1 .. $#_] ]); $r ? $r->{status} : 0 }

# At once: over HTTP/2, six streams of one connection, taken in order.
my @s = BouncerTest::h2_mode() ? map { $_ ? $_->{status} : 0 } http_parallel($p, [ map { [ 'GET', '/basic' ] } 1 .. 6 ])
                               : map { st('/basic') } 1 .. 6;
is("@s", '200 200 200 200 429 429', 'rate 5r/s, burst 3: the first four at once, then 429');
my $r = http_request($p, 'GET', '/basic');
is($r->{status}, 429, 'still over');
like($r->{headers}{'retry-after'}, qr/^[1-9]\d*$/, 'Retry-After: whole seconds, at least 1');
is($r->{headers}{'ratelimit-policy'}, '"basic";q=8;w=1', 'RateLimit-Policy');
like($r->{headers}{ratelimit}, qr/^"basic";r=0;t=[1-9]\d*$/, 'RateLimit');
ok(wait_until(sub { $t->access_log =~ /"status":429.*"rate_limit":"basic"/ }), "the JSON log's rate_limit names the rule");
sleep 0.25;
is(st('/basic'), 200, 'a request passes again once the rate allows one');

# Accuracy: 6 clients over new connections, 2 workers, 3 seconds.
my $start = time;
my @kids;
for my $k (1 .. 6) {
    my $pid = fork // die;
    if ($pid == 0) {
        my ($ok, $n) = (0, 0);
        while (time - $start < 3) {
            # Over HTTP/2 a client takes a while to start (t/tools/h2client.py):
            # ten streams a connection keep the load well over the budget.
            my @r = BouncerTest::h2_mode()
                ? http_parallel($p, [ map { [ 'GET', '/accurate', [] ] } 1 .. 10 ])
                : http_request($p, 'GET', '/accurate');
            $ok += grep { $_ && $_->{status} == 200 } @r;
            $n += @r;
        }
        open my $f, '>', "$d/acc-$k"; print $f "$ok $n\n"; close $f;
        POSIX::_exit(0);
    }
    push @kids, $pid;
}
waitpid $_, 0 for @kids;
my $elapsed = time - $start;
my ($admitted, $sent) = (0, 0);
for (1 .. 6) { my ($o, $n) = split ' ', BouncerTest::slurp("$d/acc-$_"); $admitted += $o; $sent += $n }
my $budget = 20 * $elapsed + 5;
cmp_ok($sent, '>', $budget * 2, "the clients sent well over the budget ($sent requests)");
cmp_ok(abs($admitted - $budget) / $budget, '<', 0.10,
       sprintf('two workers together admit within 10%% of rate x time + burst: %d for %.1f', $admitted, $budget));

# delay = 2: of 6 at once, 1 + 2 pass at once, 3 wait their turn (0.1 s apart).
my @par = map { my $t0 = time; [ $t0 ] } 1 .. 6;
my $t0 = time;
my @res = http_parallel($p, [ map { ['GET', '/delayed'] } 1 .. 6 ]);
is(join(' ', map { $_->{status} } @res), '200 200 200 200 200 200', 'delay: six within rate + burst all pass');
my $took = time - $t0;
cmp_ok($took, '>=', 0.25, sprintf('... the last ones waited their turn (%.2f s for all)', $took));
# (Over HTTP/2 the client is a python process that takes a while to start.)
cmp_ok($took, '<', BouncerTest::h2_mode() ? 4 : 2, '... not longer than their turn');
# Twelve at once: more than a full bucket holds however long the last
# batch or the client's start took (a loaded host's python over HTTP/2 can
# take a second, which refills the bucket whole).
@res = http_parallel($p, [ map { ['GET', '/delayed'] } 1 .. 12 ]);
ok((grep { $_->{status} == 429 } @res), 'beyond burst: rejected, not delayed');

# delay = 0: every excess request waits.
$t0 = time;
@res = http_parallel($p, [ map { ['GET', '/smooth'] } 1 .. 4 ]);
is(join(' ', map { $_->{status} } @res), '200 200 200 200', 'delay 0: all four pass');
cmp_ok(time - $t0, '>=', 0.28, 'delay 0: ... smoothed to the rate');

# dry_run: never rejects, logs what it would have.
@s = map { st('/dry') } 1 .. 3;
is("@s", '200 200 200', 'dry_run never rejects');
ok($t->wait_log(qr/\[warn\].*would have rejected by rate_limit "dry" for key "127\.0\.0\.1"/), '... and logs what it would have');

# status.
st('/busy');
is(st('/busy'), 503, 'status = 503');

# An empty key is not limited; keys are apart.
@s = map { st('/header') } 1 .. 3;
is("@s", '200 200 200', 'an empty key is not limited');
is(st('/header', 'X-Key' => 'a'), 200, 'key a: its first');
is(st('/header', 'X-Key' => 'a'), 429, 'key a: over');
is(st('/header', 'X-Key' => 'b'), 200, 'key b has a budget of its own');

# Keys after auth: counted per API key, and not for requests auth refused.
is(st('/keyed', 'X-API-Key' => 'nope'), 401, 'a bad key gets 401 (auth first for an identity key)');
is(st('/keyed', 'X-API-Key' => 'k-alice'), 200, 'alice: her first');
is(st('/keyed', 'X-API-Key' => 'k-alice'), 429, 'alice: over');
is(st('/keyed', 'X-API-Key' => 'k-bob'), 200, 'bob has his own budget');

# A key of the client is counted before auth: a flood never reaches the auth service.
my $asked0 = scalar $t->backend_requests($auth);
@s = map { st('/pre', Authorization => 'Bearer ok') } 1 .. 5;
is("@s", '200 200 429 429 429', 'a client-keyed limit on an auth route');
is(scalar($t->backend_requests($auth)) - $asked0, 2, '... the rejected ones never cost an auth call');

# The log: at most 5 lines a second per rule, then a summary.
my $before = () = $t->error_log =~ /rejected by rate_limit "tiny"/g;
my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $p) or die;
my $n = 900; # under keepalive_requests (1000)
my $req = join '', map { "GET /tiny HTTP/1.1\r\nHost: x\r\nX-Key: k" . ($_ % 50) . "\r\n\r\n" } 1 .. $n;
print $s $req;
my ($got, $buf) = (0, '');
my $end = time + 20;
while ($got < $n && time < $end) {
    my $k = sysread($s, $buf, 65536, length $buf) or last;
    $got = () = $buf =~ /HTTP\/1\.1 \d{3}/g;
}
close $s;
is($got, $n, "$n pipelined requests, 50 keys: all answered");
my $lines = (() = $t->error_log =~ /rejected by rate_limit "tiny"/g) - $before;
cmp_ok($lines, '<=', 12, "... the log has at most a few lines for them ($lines)");
ok($t->wait_log(qr/\[warn\].*\d+ more rejected by rate_limit "tiny" in the last second/, 5) || do { st('/tiny'); sleep 1.1; st('/tiny'); $t->wait_log(qr/more rejected by rate_limit "tiny"/) },
   '... and a line that counts the ones left out');

# A full zone (64k, room for about 450 keys): 50,000 distinct keys, never an
# error; it forgets the least recently used.
my ($sentk, $okk) = (0, 0);
for my $batch (0 .. 99) {
    $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $p) or die;
    print $s join '', map { "GET /tiny HTTP/1.1\r\nHost: x\r\nX-Key: fill-$batch-$_\r\n\r\n" } 1 .. 500;
    $sentk += 500;
    $buf = '';
    my $want = 500;
    my $have = 0;
    while ($have < $want) {
        my $k = sysread($s, $buf, 65536, length $buf) or last;
        $have = () = $buf =~ /HTTP\/1\.1 \d{3}/g;
    }
    $okk += () = $buf =~ /HTTP\/1\.1 200/g;
    close $s;
}
is($okk, $sentk, "a full zone: $sentk new keys each got their first request");
is(st('/'), 200, 'and the worker goes on');

# A reload keeps the budget.
st('/header', 'X-Key' => 'kept');
my ($rc) = $t->reload_config($conf, workers => 2, access_format => 'json');
is($rc, 0, 'reload');
is(st('/header', 'X-Key' => 'kept'), 429, 'the budget of a key survives a reload');

# check: a key of identity on a route without auth; bad values.
for my $bad ([ 'rate_limits = ( { name = "x"; key = "$api_key_name"; rate = "1r/s"; } );', 'rate_limit = "x";', qr/no auth: it would never apply/ ],
             [ 'rate_limits = ( { name = "x"; key = "$remote_addr"; rate = "ten"; } );', 'rate_limit = "x";', qr/expected N\/s/ ],
             [ 'rate_limits = ( { name = "x"; key = "$remote_addr"; rate = "1r/s"; burst = 1; delay = 2; } );', 'rate_limit = "x";', qr/at most burst/ ],
             [ 'rate_limits = ( { name = "x"; key = "$remote_addr"; rate = "1r/s"; memory = "8k"; } );', 'rate_limit = "x";', qr/at least "64k"/ ],
             [ '', 'rate_limit = "nope";', qr/no rate_limits entry is named "nope"/ ]) {
    $t->write_file('bad.conf', "daemon = false;\n$bad->[0]\nservers = ( { listen = [ \"127.0.0.1:1\" ]; routes = ( { match = { prefix = \"/\"; }; $bad->[1] respond = { status = 200; }; } ); } );\n");
    my ($crc, $out, $err) = $t->cmd('-c', "$d/bad.conf", 'check');
    isnt($crc, 0, "check refuses: $bad->[1] $bad->[0]");
    like($out . $err, qr/bad\.conf:\d+: .*$bad->[2]/, '... with FILE:LINE and why');
}

$t->done;
done_testing;
