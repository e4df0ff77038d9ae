# A server its health checks marked down, then a reload that stops probing
# it (the upstream loses its health_check, or the server is drained with
# down = true): what the old checks said goes with them, and passive health
# alone decides, so the server takes requests again; checks that come back
# start from nothing, as at a start.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use Test::More;

my $t = BouncerTest->new;
my ($p, $a, $b) = map { $t->port } 1 .. 3;
my $sick = $t->write_file('sick', '');
$t->backend($a, sub { $_[0]{path} eq '/hc' && -e $sick ? [503, [], "sick"] : [200, [], "a"] });
$t->backend($b, sub { [200, [], "b"] });
my $conf = sub {
    my ($hc, $a_extra) = @_;
    return <<C;
upstreams = ( { name = "u"; $hc
    servers = ( { address = "127.0.0.1:$a"; $a_extra }, { address = "127.0.0.1:$b"; } ); } );
servers = ( { listen = [ "127.0.0.1:$p" ];
  routes = ( { match = { prefix = "/"; }; upstream = "u"; } ); } );
C
};
my $hc = 'health_check = { path = "/hc"; interval = "200ms"; fails = 1; passes = 1; };';
my $slow_hc = 'health_check = { path = "/hc"; interval = "1s"; passes = 3; };';
my $served_by_a = sub { scalar grep { http_request($p, 'GET', "/x$_")->{body} eq 'a' } 1 .. 10 };

$t->config($conf->($hc, ''));
$t->start(ports => [$p]);
ok($t->wait_log(qr/127\.0\.0\.1:$a of "u" is down: 1 health check failed/), 'a fails its health check');
is($served_by_a->(), 0, 'and takes no requests');

unlink $sick;
my ($rc, $err, $took) = $t->reload_config($conf->('', ''));
ok($took, "reloaded without the health_check $err");
is($served_by_a->(), 5, 'a takes its share again: no check is left to bring it up');
my (undef, $out) = $t->cmd('status');
like($out, qr/upstream u: 127\.0\.0\.1:$a up, 127\.0\.0\.1:$b up/, 'status says it is up');

# The checks back (a healthy now, three passes to come up): nothing old
# holds it down while they learn.
($rc, $err, $took) = $t->reload_config($conf->($slow_hc, ''));
ok($took, "health_check back $err");
is($served_by_a->(), 5, 'a serves at once: the verdict of the checks before is forgotten');

# Drained (down = true) while checked down, then put back without checks.
$t->write_file('sick', '');
($rc, $err, $took) = $t->reload_config($conf->($hc, ''));
ok($took && $t->wait_log(qr/is down: 1 health check failed(?s:.*)is down: 1 health check failed/),
   'checked down again');
($rc, $err, $took) = $t->reload_config($conf->($hc, 'down = true;'));
ok($took, "drained $err");
unlink $sick;
($rc, $err, $took) = $t->reload_config($conf->('', ''));
ok($took, "put back $err");
is($served_by_a->(), 5, 'a serves again');

$t->done;
done_testing;
