# bouncer top on a real terminal (tmux): it shows the routes and upstream
# servers with their figures, refreshes every second, sorts by the key
# pressed, and q quits it with the terminal as it was.  Without a terminal
# it prints one view and exits.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use Test::More;

my ($tmux) = grep { -x } map { "$_/tmux" } split /:/, $ENV{PATH};
plan skip_all => 'tmux is not installed' unless $tmux;

my $t = BouncerTest->new;
my ($p, $be, $dead) = ($t->port, $t->port, $t->port);
$t->backend($be, sub { [200, [], 'ok'] });
my $d = $t->dir;
$t->config(<<C, workers => 2);
upstreams = ( { name = "app"; servers = ( { address = "127.0.0.1:$be"; } ); },
              { name = "gone"; servers = ( { address = "127.0.0.1:$dead"; } ); } );
servers = ( { listen = [ "127.0.0.1:$p" ]; names = [ "shop" ];
  routes = ( { name = "zz-dead"; match = { prefix = "/dead"; }; upstream = "gone"; },
             { name = "aa-app"; match = { prefix = "/"; }; upstream = "app"; } ); } );
C
$t->start(ports => [$p]);
sub get { http_request($p, 'GET', $_[0]) }
get('/x') for 1 .. 12;
get('/dead') for 1 .. 3;

# Without a terminal: one view, then exit.
my ($rc, $out) = $t->cmd('top');
is($rc, 0, 'top without a terminal exits');
like($out, qr/^shop aa-app\s+[\d.]+\s+[\d.]+\s+\S+\s+12$/m, 'a row for the route with its 12 requests');
like($out, qr/^shop zz-dead\s+[\d.]+\s+[\d.]+\s+\S+\s+3$/m, 'and the other with its 3');
like($out, qr/^gone 127\.0\.0\.1:$dead\s+up\s+0\s+0\s/m, 'a row for each upstream server');

my $session = "bouncer-top-$$";
my $sock = "$d/tmux.sock";
sub tmux { system($tmux, '-S', $sock, @_) }
sub pane { my $s = `$tmux -S $sock capture-pane -p -t $session 2>/dev/null`; $s }
tmux('new-session', '-d', '-s', $session, '-x', '140', '-y', '40',
     "$t->{bin} -c $t->{conf} top; echo TOP-EXITED \$?; sleep 30") == 0 or BAIL_OUT('tmux');
ok(BouncerTest::wait_until(sub { pane() =~ /ROUTE/ }, 10), 'top draws its view') or diag(pane());
like(pane(), qr/^bouncer \S+  pid \d+  up .*workers 2/m, 'the header: version, pid, workers');

# It refreshes: new requests show within a few seconds.
get('/x') for 1 .. 8;
ok(BouncerTest::wait_until(sub { pane() =~ /^shop aa-app\s.*\s20\s*$/m }, 10),
   'it refreshes: the route now has 20 requests') or diag(pane());

# Sorted by rate first: the busier route above.  n sorts by name.
get('/dead') for 1 .. 20;
ok(BouncerTest::wait_until(sub { pane() =~ /^shop zz-dead.*\n(?:.*\n)*?^shop aa-app/m }, 10),
   'by rate: the busier route on top') or diag(pane());
tmux('send-keys', '-t', $session, 'n');
ok(BouncerTest::wait_until(sub { pane() =~ /sort: name/ && pane() =~ /^shop aa-app.*\n(?:.*\n)*?^shop zz-dead/m }, 10),
   'n: by name') or diag(pane());
tmux('send-keys', '-t', $session, 'e');
ok(BouncerTest::wait_until(sub { pane() =~ /sort: errors/ }, 10), 'e: by errors');

tmux('send-keys', '-t', $session, 'q');
ok(BouncerTest::wait_until(sub { pane() =~ /TOP-EXITED 0/ }, 10), 'q quits, with status 0') or diag(pane());
unlike(pane(), qr/ROUTE/, 'and the terminal is as it was (its own screen is gone)');
tmux('kill-server');

$t->done;
done_testing;
