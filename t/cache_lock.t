# The cache lock's waiting list: concurrent misses of one key, in two
# workers, make one upstream request, and every waiter is answered from it
# (HIT) as soon as the fill ends, not after lock_timeout; a fill that fails
# (a 500 that is not stored, an upstream that closes) wakes the waiters and
# one of them fills; a waiter whose client leaves is dropped cleanly; a fill
# whose response names a Vary gives its lock back too.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use Test::More;
use Time::HiRes qw(sleep time);
use IO::Socket::INET;

my $t = BouncerTest->new;
my $d = $t->dir;
my ($p, $be) = map { $t->port } 1 .. 2;

# The first request for a /fail-* path fails (slowly), every later one fills.
# No upstream keep-alive and no retries: a filler whose upstream closes gets
# its 502 (a pooled connection that fails is tried again once).
my $serial = 0;
$t->backend($be, sub {
    my ($r) = @_;
    my $n = "$$-" . ++$serial;
    my $path = $r->{path};
    my $first = mkdir "$d/seen-" . ($path =~ s{/}{_}gr);
    if ($path =~ m{^/k/fail-500}) {
        return { sleep => 1, response => [500, [], "broken $n"] } if $first;
    } elsif ($path =~ m{^/k/fail-close}) {
        return { sleep => 1, close => 1 } if $first;
    }
    if ($path =~ m{^/k/vary}) {
        my $lang = $r->{headers}{'accept-language'} // '-';
        return { sleep => 1, response => [200, ['Cache-Control' => 'max-age=60', 'Vary' => 'Accept-Language'],
                                          "lang $lang $n"] };
    }
    return { sleep => ($path =~ m{^/k/gone} ? 1.5 : 1),
             response => [200, ['Cache-Control' => 'max-age=60'], "filled $path $n"] };
});
$t->config(<<C, workers => 2);
cache_zones = ( { name = "main"; path = "$d/cache"; memory = "1m"; } );
upstreams = ( { name = "be"; retries = 0; keepalive = 0; servers = ( { address = "127.0.0.1:$be"; } ); } );
servers = ( { listen = [ "127.0.0.1:$p" ];
  routes = ( { match = { prefix = "/k/"; }; upstream = "be"; cache = { zone = "main"; lock = true; lock_timeout = "20s"; }; },
             { match = { prefix = "/"; }; upstream = "be"; } ); } );
C
$t->start(ports => [$p]);

sub seen { scalar grep { $_->{path} eq $_[0] } $t->backend_requests($be) }
sub statuses { my %s; $s{$_->{headers}{'x-cache-status'} // '-'}++ for @_; \%s }

# --- twenty concurrent misses of one key, a fill of 1 s
my @r = http_parallel($p, [ map { ['GET', '/k/one'] } 1 .. 20 ], timeout => 30);
is(scalar(grep { $_ && $_->{status} == 200 } @r), 20, 'twenty concurrent misses: all answered');
is(seen('/k/one'), 1, 'the backend saw exactly one request');
is_deeply(statuses(@r), { MISS => 1, HIT => 19 }, 'one filled, nineteen waited and got it from the cache');
is(scalar(keys %{{ map { $_->{body} => 1 } @r }}), 1, 'every waiter got the body');
like($r[0]{body}, qr{^filled /k/one }, '...the backend\'s');
# A waiter past lock_timeout (20 s) would have gone upstream itself: one
# backend request means every waiter was answered within it.
my $pids = join ',', sort $t->worker_pids;

# --- the filler fails: the waiters wake and one of them fills
for my $how ('500', 'close') {
    my $path = "/k/fail-$how";
    @r = http_parallel($p, [ map { ['GET', $path] } 1 .. 10 ], timeout => 30);
    my $failed = $how eq '500' ? 500 : 502;
    is(scalar(grep { $_ && $_->{status} == $failed } @r), 1, "a filler that gets a $how: its client gets $failed");
    my @ok = grep { $_ && $_->{status} == 200 } @r;
    is(scalar(@ok), 9, "...the nine waiters get 200");
    is(seen($path), 2, '...from the one of them that filled next');
    is_deeply(statuses(@ok), { MISS => 1, HIT => 8 }, '...the others from the cache');
    is(scalar(keys %{{ map { $_->{body} => 1 } @ok }}), 1, '...all the same body');
}

# --- a fill whose response varies: its lock (on the key before the Vary
# was known) goes too, and the waiters of the other variant fill theirs
@r = http_parallel($p, [ (map { ['GET', '/k/vary', ['Accept-Language' => 'en']] } 1 .. 4),
                         (map { ['GET', '/k/vary', ['Accept-Language' => 'fr']] } 1 .. 4) ], timeout => 30);
is(scalar(grep { $_ && $_->{status} == 200 } @r), 8, 'Vary: eight concurrent misses of two variants, all answered');
is(scalar(grep { $_->{body} =~ /^lang en / } @r[0 .. 3]), 4, '...each with its own variant (en)');
is(scalar(grep { $_->{body} =~ /^lang fr / } @r[4 .. 7]), 4, '...each with its own variant (fr)');
is(seen('/k/vary'), 2, '...one upstream request per variant');
is_deeply(statuses(@r), { MISS => 2, HIT => 6 }, '...the others waited for theirs');

# --- waiters whose clients leave while the fill runs
sub send_get {
    my ($path) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $p, Timeout => 5) or die "connect: $!";
    syswrite $s, "GET $path HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
    return $s;
}
# bouncer has read what a client sent: its side of the connection holds nothing.
sub read_by_bouncer {
    my @ports = map { $_->sockport } @_;
    my %left;
    for (`ss -Htn state established '( sport = :$p )'`) {
        my ($recvq, undef, undef, $peer) = split ' ';
        $left{$1} = $recvq if $peer =~ /:(\d+)$/;
    }
    return !grep { ($left{$_} // 1) != 0 } @ports;
}
my $filler = send_get('/k/gone');
ok(wait_until(sub { seen('/k/gone') == 1 }, 10), 'a slow fill started');
my @waiters = map { send_get('/k/gone') } 1 .. 6;
ok(wait_until(sub { read_by_bouncer(@waiters) }, 10), 'six waiters are in');
close $_ for splice @waiters, 0, 4;
my @stay = map { parse_response(read_to_eof($_, 20)) } $filler, @waiters;
is(scalar(grep { $_ && $_->{status} == 200 } @stay), 3, 'four waiters left: the filler and the two that stayed are answered');
is_deeply(statuses(@stay), { MISS => 1, HIT => 2 }, '...the two from the cache');
is(seen('/k/gone'), 1, '...after one upstream request');
my $after = http_request($p, 'GET', '/k/gone');
is($after->{headers}{'x-cache-status'} // '', 'HIT', 'the next request is a HIT');
is(join(',', sort $t->worker_pids), $pids, 'no worker crashed');

$t->done;
done_testing;
