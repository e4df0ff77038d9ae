# Balancing across workers: least_conn and random2 on shared connection
# counts, ip_hash and consistent hash (removing a server moves only its
# keys), max_conns with the queue, slow_start, sticky cookies.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use Test::More;
use Time::HiRes qw(time sleep);
use Fcntl qw(:flock);
use IO::Socket::INET;

my $t = BouncerTest->new;
my $d = $t->dir;
my ($p, $sa, $sb, $sc, $slow) = map { $t->port } 1 .. 5;

# Each backend answers with its port; /slow holds the request a while and
# records when it started and ended, so overlap can be counted afterwards.
sub handler {
    my ($port) = @_;
    return sub {
        my ($req) = @_;
        if ($req->{path} =~ m{/hold}) {
            my $t0 = time;
            sleep 0.6;
            if (open my $f, '>>', "$d/spans-$port") {
                flock $f, LOCK_EX;
                printf $f "%.3f %.3f\n", $t0, time;
                close $f;
            }
        }
        return [200, [], $port];
    };
}
$t->backend($_, handler($_)) for $sa, $sb, $sc;

my $conf = sub {
    my ($hash_servers) = @_;
    return <<C;
upstreams = (
  { name = "lc"; balance = "least_conn";
    servers = ( { address = "127.0.0.1:$sa"; }, { address = "127.0.0.1:$sb"; } ); },
  { name = "r2"; balance = "random2";
    servers = ( { address = "127.0.0.1:$sa"; }, { address = "127.0.0.1:$sb"; }, { address = "127.0.0.1:$sc"; } ); },
  { name = "iph"; balance = "ip_hash";
    servers = ( { address = "127.0.0.1:$sa"; }, { address = "127.0.0.1:$sb"; }, { address = "127.0.0.1:$sc"; } ); },
  { name = "h"; balance = "hash"; hash_key = "\$arg_k";
    servers = ( $hash_servers ); },
  { name = "limited"; queue = { size = 3; timeout = "5s"; };
    servers = ( { address = "127.0.0.1:$sc"; max_conns = 1; } ); },
  { name = "noqueue";
    servers = ( { address = "127.0.0.1:$sc"; max_conns = 1; } ); },
  { name = "shortq"; queue = { size = 5; timeout = "300ms"; };
    servers = ( { address = "127.0.0.1:$sc"; max_conns = 1; } ); },
  { name = "sticky"; sticky = { cookie = "srv"; max_age = "1h"; secure = true; samesite = "Strict"; };
    servers = ( { address = "127.0.0.1:$sa"; }, { address = "127.0.0.1:$sb"; } ); }
);
servers = ( { listen = [ "127.0.0.1:$p" ];
  routes = ( { match = { prefix = "/lc"; }; upstream = "lc"; },
             { match = { prefix = "/r2"; }; upstream = "r2"; },
             { match = { prefix = "/iph"; }; upstream = "iph"; },
             { match = { prefix = "/h"; }; upstream = "h"; },
             { match = { prefix = "/limited"; }; upstream = "limited"; },
             { match = { prefix = "/noqueue"; }; upstream = "noqueue"; },
             { match = { prefix = "/shortq"; }; upstream = "shortq"; },
             { match = { prefix = "/sticky"; }; upstream = "sticky"; } ); } );
C
};
my $three = qq{{ address = "127.0.0.1:$sa"; }, { address = "127.0.0.1:$sb"; }, { address = "127.0.0.1:$sc"; }};
$t->config($conf->($three), workers => 2);
$t->start(ports => [$p]);

sub spans {
    my ($port) = @_;
    my @s = map { [split / /] } grep { length } split /\n/, BouncerTest::slurp("$d/spans-$port");
    unlink "$d/spans-$port";
    return @s;
}

sub max_overlap {
    my @ev;
    for (@_) { push @ev, [$_->[0], 1], [$_->[1], -1] }
    my ($n, $max) = (0, 0);
    for (sort { $a->[0] <=> $b->[0] || $a->[1] <=> $b->[1] } @ev) {
        $n += $_->[1];
        $max = $n if $n > $max;
    }
    return $max;
}

# least_conn, counted across both workers: four held requests at once end
# up two and two, whichever worker accepted each.
my @r = http_parallel($p, [ map { ['GET', '/lc/hold'] } 1 .. 4 ]);
is(scalar(grep { $_ && $_->{status} == 200 } @r), 4, 'least_conn: all four answered');
my %n;
$n{$_->{body}}++ for @r;
is_deeply([ sort { $a <=> $b } values %n ], [2, 2], 'least_conn: two held requests on each server');
spans($_) for $sa, $sb;

# random2 spreads and answers everything.
%n = ();
$n{ http_request($p, 'GET', '/r2')->{body} }++ for 1 .. 60;
is(scalar(keys %n), 3, 'random2 uses all three servers');
cmp_ok((sort { $a <=> $b } values %n)[0], '>=', 5, 'random2: no server starved');

# ip_hash: one client address always goes to one server.
%n = ();
$n{ http_request($p, 'GET', '/iph')->{body} }++ for 1 .. 10;
is(scalar(keys %n), 1, 'ip_hash: every request of one client on one server');

# hash: each key sticks to a server; taking one server out moves only its keys.
my %before;
$before{$_} = http_request($p, 'GET', "/h?k=key$_")->{body} for 1 .. 60;
my %again;
$again{$_} = http_request($p, 'GET', "/h?k=key$_")->{body} for 1 .. 60;
is_deeply(\%again, \%before, 'hash: the same key goes to the same server');
my %per;
$per{$_}++ for values %before;
is(scalar(keys %per), 3, 'hash: keys spread over all three servers');
$t->config($conf->(qq{{ address = "127.0.0.1:$sa"; }, { address = "127.0.0.1:$sb"; }}), workers => 2);
my ($rc, $out, $err) = $t->cmd('reload');
is($rc, 0, 'reload without the third server') or diag($err);
wait_until(sub { http_request($p, 'GET', '/h?k=probe') && !grep { $_ eq $sc } map { http_request($p, 'GET', "/h?k=key$_")->{body} } 1 .. 5 }, 10);
my ($moved, $stayed, $wrong) = (0, 0, 0);
for my $k (1 .. 60) {
    my $now = http_request($p, 'GET', "/h?k=key$k")->{body};
    if ($before{$k} eq $sc) { $moved++ }
    elsif ($now eq $before{$k}) { $stayed++ }
    else { $wrong++ }
}
is($wrong, 0, "consistent hash: no key of the remaining servers moved ($stayed stayed, $moved were on the removed one)");
$t->config($conf->($three), workers => 2);
($rc, undef, $err) = $t->cmd('reload');
is($rc, 0, 'reload with three servers again') or diag($err);
wait_until(sub { grep { $_ eq $sc } map { http_request($p, 'GET', "/h?k=key$_")->{body} } 1 .. 20 }, 10);

# max_conns = 1 with a queue: five requests, the server never sees two at
# once, and the fifth... the queue holds 3, so 1 + 3 are served, 1 gets 503.
spans($sc);
@r = http_parallel($p, [ map { ['GET', '/limited/hold'] } 1 .. 5 ]);
my @st = sort map { $_ ? $_->{status} : 0 } @r;
is_deeply(\@st, [200, 200, 200, 200, 503], 'max_conns 1, queue 3: four served in turn, the fifth refused');
is(max_overlap(spans($sc)), 1, 'the server never had two requests at once');
like($t->error_log, qr/every upstream server is at max_conns and the queue is full/, 'a full queue is logged');

# Without a queue, the second concurrent request is refused at once.
@r = http_parallel($p, [ map { ['GET', '/noqueue/hold'] } 1 .. 2 ]);
is_deeply([ sort map { $_->{status} } @r ], [200, 503], 'max_conns without a queue: 503');
spans($sc);

# A queue timeout shorter than the wait: 503.
@r = http_parallel($p, [ map { ['GET', '/shortq/hold'] } 1 .. 3 ]);
is_deeply([ sort map { $_->{status} } @r ], [200, 503, 503], 'queue timeout: 503 for those that waited too long');
like($t->error_log, qr/upstream queue timed out/, 'the queue timeout is logged');
spans($sc);

# Sticky: the first answer sets the cookie; with it, every request goes to
# the same server; a forged value is ignored and replaced.
my $first = http_request($p, 'GET', '/sticky');
my $cookie = $first->{headers}{'set-cookie'} // '';
like($cookie, qr/^srv=[0-9a-f]{32}; Path=\/; Max-Age=3600; Secure; HttpOnly; SameSite=Strict$/, 'sticky: the cookie and its attributes');
unlike($cookie, qr/127\.0\.0\.1|$sa|$sb/, 'the cookie does not carry the address');
my ($val) = $cookie =~ /^srv=([0-9a-f]+)/;
my %sn;
for (1 .. 10) {
    my $res = http_request($p, 'GET', '/sticky', headers => [ Cookie => "x=1; srv=$val" ]);
    $sn{$res->{body}}++;
    ok(!defined $res->{headers}{'set-cookie'}, 'no new cookie while pinned') if $_ == 1;
}
is_deeply([ keys %sn ], [ $first->{body} ], 'sticky: ten requests with the cookie all on the first server');
my $forged = http_request($p, 'GET', '/sticky', headers => [ Cookie => 'srv=' . ('0' x 32) ]);
is($forged->{status}, 200, 'a forged cookie is not an error');
like($forged->{headers}{'set-cookie'} // '', qr/^srv=[0-9a-f]{32};/, 'a forged cookie is replaced');
my $pinned = $first->{body};
$t->stop_backend($pinned);
my $moved_to = http_request($p, 'GET', '/sticky', headers => [ Cookie => "srv=$val" ]);
is($moved_to->{status}, 200, 'pinned server gone: the request goes elsewhere');
isnt($moved_to->{body}, $pinned, '...to the other server');
like($moved_to->{headers}{'set-cookie'} // '', qr/^srv=[0-9a-f]{32};/, '...and the cookie is issued again');
isnt(($moved_to->{headers}{'set-cookie'} =~ /^srv=([0-9a-f]+)/)[0], $val, '...naming the new server');

$t->done;

# A worker killed while it holds the only max_conns slot: the master gives
# the slot back, so the server is not blocked forever.
{
    my $t3 = BouncerTest->new;
    my ($p3, $held) = map { $t3->port } 1 .. 2;
    $t3->backend($held, sub { $_[0]{path} eq '/hang' ? { sleep => 30, response => [200, [], 'late'] } : [200, [], 'ok'] });
    $t3->config(<<C);
upstreams = ( { name = "one"; servers = ( { address = "127.0.0.1:$held"; max_conns = 1; } ); } );
servers = ( { listen = [ "127.0.0.1:$p3" ]; routes = ( { match = { prefix = "/"; }; upstream = "one"; } ); } );
C
    $t3->start(ports => [$p3]);
    $t3->expect_alert(qr/worker process \d+ exited on signal SIGKILL/);
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $p3) or die;
    syswrite $s, "GET /hang HTTP/1.1\r\nHost: x\r\n\r\n";
    ok(wait_until(sub { grep { $_->{path} eq '/hang' } $t3->backend_requests($held) }, 5), 'a request holds the only slot');
    is(http_request($p3, 'GET', '/')->{status}, 503, 'meanwhile the server is at max_conns: 503');
    my ($w) = $t3->worker_pids;
    sleep 1.1; # older than the master's crash-loop window: an ordinary crash
    kill 'KILL', $w;
    close $s;
    ok(wait_until(sub { my @w = $t3->worker_pids; @w && $w[0] != $w }, 5), 'the killed worker is replaced');
    ok(wait_until(sub { (http_request($p3, 'GET', '/') // {})->{status} == 200 }, 5), 'and its slot was given back: the server takes a request again');
    $t3->done;
}
done_testing;
