# Upstream choice: smooth weighted round robin, a failed connect retried on
# the next server, passive health (max_fails, fail_timeout), backup servers,
# down and weight 0.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use Test::More;

my $t = BouncerTest->new;
my ($p, $a, $b, $c, $dead, $bk, $sick) = map { $t->port } 1 .. 7;
$t->backend($_, sub { [200, [], "$_[0]{port}"] }) for $a, $b, $c, $bk;
$t->backend($sick, sub { [503, [], "sick"] });
$t->config(<<C);
upstreams = (
  { name = "weighted"; servers = ( { address = "127.0.0.1:$a"; weight = 5; },
                                   { address = "127.0.0.1:$b"; }, { address = "127.0.0.1:$c"; } ); },
  { name = "flaky"; servers = ( { address = "127.0.0.1:$dead"; fail_timeout = "30s"; },
                                { address = "127.0.0.1:$a"; } ); },
  { name = "picky"; servers = ( { address = "127.0.0.1:$sick"; max_fails = 2; fail_timeout = "30s"; },
                               { address = "127.0.0.1:$b"; } );
    passive_fail_on = [ "error", "timeout", "http_503" ]; },
  { name = "tolerant"; servers = ( { address = "127.0.0.1:$sick"; max_fails = 1; },
                                   { address = "127.0.0.1:$c"; } ); },
  { name = "backup"; servers = ( { address = "127.0.0.1:$dead"; },
                                 { address = "127.0.0.1:$b"; down = true; },
                                 { address = "127.0.0.1:$c"; weight = 0; },
                                 { address = "127.0.0.1:$bk"; backup = true; } ); retries = 3; }
);
servers = ( { listen = [ "127.0.0.1:$p" ];
  routes = ( { match = { prefix = "/w"; }; upstream = "weighted"; },
             { match = { prefix = "/f"; }; upstream = "flaky"; },
             { match = { prefix = "/picky"; }; upstream = "picky"; },
             { match = { prefix = "/tolerant"; }; upstream = "tolerant"; },
             { match = { prefix = "/b"; }; upstream = "backup"; } ); } );
C
$t->start(ports => [$p]);

my @seq = map { http_request($p, 'GET', '/w')->{body} } 1 .. 14;
my %n;
$n{$_}++ for @seq;
is_deeply([ @n{$a, $b, $c} ], [10, 2, 2], 'weights 5:1:1 over 14 requests: 10, 2, 2');
my $run = 0;
my $max = 0;
for (@seq) { $run = $_ eq $a ? $run + 1 : 0; $max = $run if $run > $max }
cmp_ok($max, '<', 5, "smooth: the heavy server never takes five in a row (longest run $max)");

my @f = map { http_request($p, 'GET', '/f') } 1 .. 6;
is(scalar(grep { $_->{status} == 200 && $_->{body} eq $a } @f), 6, 'a refused connect is retried on the next server: no client sees it');
my @refused = $t->error_log =~ /connect\(\) to upstream failed.*Connection refused/g;
is(scalar @refused, 1, 'after max_fails the dead server is not tried again within fail_timeout');
like($t->error_log, qr/\[notice\].*upstream server 127\.0\.0\.1:$dead of "flaky" is down: 1 failure within 30000ms/, 'marking it down is logged');

my $r = http_request($p, 'GET', '/b');
is($r->{body}, $bk, 'down, weight 0 and dead primaries: the backup answers');

# passive_fail_on with http_503: two 503s mark the server down.
my @picky = map { http_request($p, 'GET', '/picky')->{status} } 1 .. 10;
is(scalar(grep { $_ == 503 } @picky), 2, 'with http_503 listed, the sick server answers twice (max_fails = 2)...');
is(join(',', @picky[4 .. 9]), '200,200,200,200,200,200', '...and then no more');
like($t->error_log, qr/upstream server 127\.0\.0\.1:$sick of "picky" is down: 2 failures/, 'marked down by its 503s');
# Without http_503 in the list, a 503 is an answer like any other.
my @tolerant = map { http_request($p, 'GET', '/tolerant')->{status} } 1 .. 6;
is(scalar(grep { $_ == 503 } @tolerant), 3, 'by default 5xx answers do not count against a server');

$t->done;
done_testing;
