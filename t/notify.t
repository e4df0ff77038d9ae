# systemd's notify protocol, as a unit of Type=notify hears it: a fake
# NOTIFY_SOCKET sees READY=1 (with MAINPID and a STATUS) once bouncer
# serves, RELOADING=1 with MONOTONIC_USEC then READY=1 around a reload, good
# or failed, and STOPPING=1 at the end; nothing but the master speaks.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use Test::More;

my $t = BouncerTest->new;
my ($p, $be) = ($t->port, $t->port);
my $d = $t->dir;
$t->backend($be);
my $notify = $t->notify_socket("$d/notify.sock");
my @got;
sub messages { @got = $notify->messages }
my $conf = <<C;
upstreams = ( { name = "app"; servers = ( { address = "127.0.0.1:$be"; } ); } );
servers = ( { listen = [ "127.0.0.1:$p" ]; routes = ( { match = { prefix = "/"; }; upstream = "app"; } ); } );
C
$t->config($conf, workers => 2);
sub wait_for {
    my ($key, $n) = @_;
    return BouncerTest::wait_until(sub { (grep { exists $_->{$key} } messages()) >= $n }, 10);
}

{
    local $ENV{NOTIFY_SOCKET} = "$d/notify.sock";
    $t->start(ports => [$p]);
}
ok(wait_for('READY', 1), 'READY=1 once bouncer serves');
my ($ready) = grep { exists $_->{READY} } @got;
is($ready->{MAINPID}, $t->master_pid, 'MAINPID is the master');
like($ready->{STATUS} // '', qr/^serving: generation 1, 2 workers$/, 'STATUS says what serves');
is(http_request($p, 'GET', '/')->{status}, 200, 'and it does');

my ($rc, $err, $took) = $t->reload_config($conf, workers => 2);
ok($took, 'reloaded') or diag($err);
ok(wait_for('READY', 2), 'READY=1 again after the reload');
my ($reloading) = grep { exists $_->{RELOADING} } @got;
ok($reloading, 'RELOADING=1 first');
like($reloading->{MONOTONIC_USEC} // '', qr/^\d+$/, 'with MONOTONIC_USEC');
my $now = `cat /proc/uptime` =~ /^([\d.]+)/ ? $1 * 1e6 : 0;
cmp_ok(abs(($reloading->{MONOTONIC_USEC} // 0) - $now), '<', 60e6, 'of CLOCK_MONOTONIC, in microseconds');
my @order = map { exists $_->{RELOADING} ? 'R' : exists $_->{READY} ? 'Y' : '?' } @got;
is("@order", 'Y R Y', 'in that order');
like($got[-1]{STATUS} // '', qr/^serving: generation 2, 2 workers$/, 'generation 2');

$t->config("servers = broken;", workers => 2);
($rc) = $t->cmd('reload');
isnt($rc, 0, 'a bad config does not reload');
ok(wait_for('READY', 3), 'READY=1 after the failed reload too (systemd must not wait)');
like($got[-1]{STATUS} // '', qr/the last reload failed/, 'and STATUS says it failed');
$t->config($conf, workers => 2);

($rc) = $t->cmd('quit');
ok(wait_for('STOPPING', 1), 'STOPPING=1 at quit');
my @kinds = map { join ',', sort keys %$_ } @got;
is(scalar(grep { !/READY|RELOADING|STOPPING/ } @kinds), 0, 'every message is one of the master\'s')
    or diag(join ' | ', @kinds);

$t->done;
done_testing;
