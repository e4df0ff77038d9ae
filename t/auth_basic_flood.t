# bcrypt never blocks the event loop: with one worker, 20 clients sending
# a different wrong password each time to a cost-12 bcrypt route, a client
# with the right password still gets in and a probe on another route stays
# fast; every hash computed is an attempt not answered from the
# remembered credentials, and the bounded queue answers 503 past its size.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use Test::More;
use MIME::Base64;
use Time::HiRes qw(time sleep);
use POSIX ();

my ($htpasswd) = grep { -x } map { "$_/htpasswd" } split /:/, $ENV{PATH};
plan skip_all => 'htpasswd (apache2-utils) is not installed' unless $htpasswd;

my $t = BouncerTest->new;
my $d = $t->dir;
system("$htpasswd -c -b -B -C 12 $d/htpasswd alice right-password >/dev/null 2>&1") == 0
    && system("$htpasswd -b -B -C 12 $d/htpasswd bob bobs-password >/dev/null 2>&1") == 0
    or BAIL_OUT('htpasswd failed');
my $p = $t->port;
$t->config(<<C, level => 'debug', workers => 1);
auth_threads = 2;
auth_policies = ( { name = "ops"; basic = { users = "$d/htpasswd"; max_pending = 6; }; } );
servers = ( { listen = [ "127.0.0.1:$p" ];
  routes = ( { match = { prefix = "/probe"; }; respond = { status = 200; body = "ok"; }; },
             { match = { prefix = "/"; }; auth = "ops"; respond = { status = 200; body = "in"; }; } ); } );
C
$t->start(ports => [$p]);

sub auth { [ Authorization => 'Basic ' . encode_base64($_[0], '') ] }

# The flood: 20 clients, each 4 attempts with passwords never tried before.
my @kids;
for my $k (1 .. 20) {
    my $pid = fork // die;
    if ($pid == 0) {
        my @st;
        for my $i (1 .. 4) {
            my $r = http_request($p, 'GET', '/x', headers => auth("alice:wrong-$k-$i"), timeout => 30);
            push @st, $r ? $r->{status} : 0;
        }
        open my $f, '>', "$d/flood-$k" or POSIX::_exit(1);
        print $f "@st\n";
        close $f;
        POSIX::_exit(0);
    }
    push @kids, $pid;
}

# Meanwhile: the right password (a 503 is retried, as a client would), and
# a probe on a route without auth.
my (@lat, @right);
my $end = time + 4;
my $next_right = time + 0.5;
while (time < $end || !grep { $_ == 200 } @right) {
    last if time > $end + 20;
    my $t0 = time;
    my $r = http_request($p, 'GET', '/probe', timeout => 10);
    push @lat, (time - $t0) * 1000 if $r && $r->{status} == 200;
    if (time >= $next_right) {
        my $rr = http_request($p, 'GET', '/x', headers => auth('alice:right-password'), timeout => 30);
        push @right, $rr ? $rr->{status} : 0;
        $next_right = time + 0.3;
    }
    sleep 0.01;
}
waitpid $_, 0 for @kids;
my @flood = map { split ' ', BouncerTest::slurp("$d/flood-$_") } 1 .. 20;

ok((grep { $_ == 200 } @right), 'the right password gets 200 during the flood ('
   . scalar(@right) . " attempts: @right)");
# Once in, the same credentials are remembered: no hash, no queue.
my @again = map { my $r = http_request($p, 'GET', '/x', headers => auth('alice:right-password')); $r ? $r->{status} : 0 } 1 .. 5;
is("@again", '200 200 200 200 200', 'the remembered credential passes at once, five times');

@lat = sort { $a <=> $b } @lat;
my $p99 = $lat[int(0.99 * $#lat)];
cmp_ok(scalar @lat, '>', 20, 'the probe was answered throughout (' . scalar(@lat) . ' times)');
cmp_ok($p99, '<', 100, sprintf('the probe\'s p99 stays under 100 ms: %.1f ms (median %.1f ms)',
                               $p99, $lat[int($#lat / 2)]));
diag(sprintf('probe p99 %.1f ms, median %.1f ms, max %.1f ms over %d requests',
             $p99, $lat[int($#lat / 2)], $lat[-1], scalar @lat));

my $n401 = grep { $_ == 401 } @flood;
my $n503 = grep { $_ == 503 } @flood;
is($n401 + $n503, 80, 'every flood attempt got 401 or 503');
cmp_ok($n503, '>', 0, "the bounded queue's 503 is seen ($n503 of 80)");
cmp_ok($n401, '>', 0, "and wrong passwords were checked ($n401 of 80)");
my $right_401 = grep { $_ == 401 } @right;
is($right_401, 0, 'the right password is never refused as wrong');
my @h = $t->error_log =~ /a password hash was computed/g;
my $right_hashed = grep { $_ == 200 } @right;
# Hashes: each 401 of the flood, and the right password's first 200 (the
# later ones, and the five after, were remembered).
is(scalar @h, $n401 + 1, 'hashes computed = attempts not answered from memory or the queue limit'
   . " (" . scalar(@h) . ")");
like($t->error_log, qr/\[warn\].*password checks already wait for policy "ops"/, 'the 503s are logged');

# Many connections with the same new credentials at once (a client whose
# remembered credential just expired): one check, which they all wait for.
my $h0 = () = $t->error_log =~ /a password hash was computed/g;
my @same = http_parallel($p, [ map { ['GET', '/x', auth('bob:bobs-password')] } 1 .. 12 ]);
is(join(' ', map { $_ ? $_->{status} : 0 } @same), join(' ', (200) x 12),
   'twelve concurrent requests with the same credentials all pass');
my $h1 = () = $t->error_log =~ /a password hash was computed/g;
is($h1 - $h0, 1, '... on one hash, computed once for all of them');

$t->done;
done_testing;
