# Passive health with no health_check, two servers, one of them dead: the
# live one is the last server up, and stays up, even when it fails once
# while the dead one is only due its trial request (its fail_timeout over,
# nothing proven yet).  Every other request succeeds through it, and each
# time the dead one is marked down, the first time and every trial that
# fails after, the error log says so at notice.  The same with the live
# server a backup.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use Test::More;
use Time::HiRes qw(sleep time);

my $t = BouncerTest->new;
my ($p, $live, $spare, $dead) = map { $t->port } 1 .. 4;
# /slow outlasts read_timeout: a failure of the live server, once.
my $handler = sub { $_[0]{path} =~ m{/slow$} ? { sleep => 3, close => 1 } : [200, [], "live"] };
$t->backend($live, $handler);
$t->backend($spare, $handler);
# fail_timeout 1s, read_timeout 1.5s: the slow request times out after the
# dead server's fail_timeout, before any other request claims its trial.
$t->config(<<C);
upstreams = (
  { name = "pair"; read_timeout = "1500ms";
    servers = ( { address = "127.0.0.1:$dead"; max_fails = 1; fail_timeout = "1s"; },
                { address = "127.0.0.1:$live"; max_fails = 1; fail_timeout = "1s"; } ); },
  { name = "spare"; read_timeout = "1500ms";
    servers = ( { address = "127.0.0.1:$dead"; max_fails = 1; fail_timeout = "1s"; },
                { address = "127.0.0.1:$spare"; max_fails = 1; fail_timeout = "1s"; backup = true; } ); }
);
servers = ( { listen = [ "127.0.0.1:$p" ];
  routes = ( { match = { prefix = "/pair/"; }; upstream = "pair"; },
             { match = { prefix = "/spare/"; }; upstream = "spare"; } ); } );
C
$t->start(ports => [$p]);

for my $up ('pair', 'spare') {
    my $srv = $up eq 'pair' ? $live : $spare;
    my $r = http_request($p, 'GET', "/$up/first");
    is($r->{status}, 200, "$up: the dead server's refused connect is retried on the live one");
    ok($t->wait_log(qr/\[notice\].*upstream server 127\.0\.0\.1:$dead of "$up" is down: 1 failure/),
       "$up: the dead server is marked down, at notice");

    # The live server's one failure lands while the dead one is due its trial.
    $r = http_request($p, 'GET', "/$up/slow", timeout => 10);
    isnt($r->{status}, 200, "$up: the slow request fails (status $r->{status})");

    my ($n, $bad, $first_bad) = (0, 0, '');
    my $end = time + 2.6;
    while (time < $end) {
        $r = http_request($p, 'GET', "/$up/r$n");
        $n++;
        next if $r && $r->{status} == 200 && $r->{body} eq 'live';
        $bad++;
        $first_bad ||= $r ? "$r->{status} $r->{body}" : 'no response';
    }
    cmp_ok($n, '>', 10, "$up: requests kept coming past two more fail_timeouts ($n)");
    is($bad, 0, "$up: every one succeeded through the live server" . ($bad ? " (first failure: $first_bad)" : ''));
    my $log = $t->error_log;
    unlike($log, qr/upstream server 127\.0\.0\.1:$srv of "$up" is down/, "$up: the live server was never marked down");
    unlike($log, qr{no live upstreams.*"GET /$up/}, "$up: no request found every server down");
    my @down = $log =~ /\[notice\].*upstream server 127\.0\.0\.1:$dead of "$up" is down/g;
    cmp_ok(scalar @down, '>=', 3,
           "$up: each time the dead server goes down again (its trial failed) is a notice too (" . scalar(@down) . ')');
}

$t->done;
done_testing;
