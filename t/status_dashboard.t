# The status dashboard in a real browser: headless Chromium (Debian's
# package) loads it while traffic flows; a known burst of 502s must show in
# the chart data the page draws and in its tables, matching /status.json;
# no request leaves the page's origin and the CSP refuses nothing of the
# page's own; with JavaScript off, the server's table shows the same.  A
# screenshot is kept in objs/t/status_dashboard.png.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use Chromium;
use File::Copy qw(copy);
use Test::More;
use Time::HiRes qw(sleep);

plan skip_all => 'chromium is not installed' unless Chromium::binary();

my $t = BouncerTest->new;
my ($p, $sp, $be, $dead, $cdp) = ($t->port, $t->port, $t->port, $t->port, $t->port);
$t->backend($be, sub { [200, [], 'ok'] });
my $d = $t->dir;
$t->config(<<C, workers => 2);
upstreams = ( { name = "app"; servers = ( { address = "127.0.0.1:$be"; } ); },
              { name = "gone"; servers = ( { address = "127.0.0.1:$dead"; } ); } );
status = { listen = [ "127.0.0.1:$sp" ]; };
servers = ( { listen = [ "127.0.0.1:$p" ]; names = [ "shop" ];
  routes = ( { name = "dead"; match = { prefix = "/dead"; }; upstream = "gone"; },
             { name = "app"; match = { prefix = "/"; }; upstream = "app"; } ); } );
C
$t->start(ports => [$p, $sp]);
sub get { http_request($_[0], 'GET', $_[1]) || { status => 0, body => '' } }

my $b = Chromium->new(port => $cdp, dir => $d);
ok($b, 'chromium runs') or BAIL_OUT("chromium: $@");
$b->call('Network.enable');
$b->call('Log.enable');
$b->call('Page.enable');
my $origin = "http://127.0.0.1:$sp";
$b->call('Page.navigate', { url => "$origin/" });

sub chart { my $j = $b->eval_js('JSON.stringify(window.bouncerChart || null)'); $j ? BouncerTest::decode_json($j) : undef }
ok(BouncerTest::wait_until(sub { my $c = chart(); $c && @{ $c->{time} } >= 2 }, 20),
   'the page polls /status.json and keeps points');

# Traffic, then the burst, while the page polls.
get($p, '/x') for 1 .. 10;
my @burst = map { get($p, '/dead')->{status} } 1 .. 7;
is("@burst", join(' ', ('502') x 7), 'a burst of seven 502s');
get($p, '/x') for 1 .. 5;

# What the charts draw are rates between polls: over the points, the 5xx
# that came in them add up to the burst.
sub drawn {
    my ($c, $class) = @_;
    my $sum = 0;
    for my $i (0 .. $#{ $c->{time} }) {
        my $dt = $i ? $c->{time}[$i] - $c->{time}[$i - 1] : 1;
        $dt = 1 if $dt < 1;
        $sum += $c->{rate}{$class}[$i] * $dt;
    }
    return int($sum + 0.5);
}
my $c;
ok(BouncerTest::wait_until(sub { $c = chart(); drawn($c, '5xx') == 7 && drawn($c, '2xx') == 15 }, 20),
   'the chart data holds the seven 502s and the fifteen 200s')
    or diag(BouncerTest::encode_json($c // {}));
ok((grep { $_ > 0 } @{ $c->{rate}{'5xx'} }) >= 1, 'a point of the 5xx line is above zero');

my $status = BouncerTest::decode_json(get($sp, '/status.json')->{body});
is($status->{requests}{'5xx'}, 7, '/status.json: seven 5xx');
my $row = $b->eval_js(q{
    (function () {
      var out = [];
      document.querySelectorAll('#tables tr').forEach(function (tr) {
        out.push(Array.prototype.map.call(tr.children, function (td) { return td.textContent; }).join('|'));
      });
      return out.join('\n');
    })()
});
like($row, qr/^shop dead\|0\|0\|0\|0\|7$/m, "the page's table: the burst, as /status.json has it");
like($row, qr/^shop app\|0\|15\|0\|0\|0$/m, "and the route's 200s");
like($row, qr/^gone 127\.0\.0\.1:$dead\|up\|0\|0\|0\|7\|0\|0\|0$/m, 'and the dead server\'s connect failures');
my $figures = $b->eval_js(q{document.getElementById('figures').textContent});
like($figures, qr/upstream servers up/, 'the figures are drawn');

$b->screenshot("$d/dashboard.png");
ok(-s "$d/dashboard.png" > 10_000, 'a screenshot');
mkdir "$FindBin::Bin/../objs/t";
copy("$d/dashboard.png", "$FindBin::Bin/../objs/t/status_dashboard.png");

# On a phone: nothing wider than the screen.
$b->call('Emulation.setDeviceMetricsOverride', { width => 390, height => 844, deviceScaleFactor => 2, mobile => \1 });
ok(BouncerTest::wait_until(sub { ($b->eval_js('window.innerWidth') // 0) == 390 }, 10), 'a phone-sized screen');
sleep 1.5; # a redraw at that width
is($b->eval_js('document.documentElement.scrollWidth <= window.innerWidth'), 1,
   'the page fits its width: no sideways scrolling') or diag($b->eval_js('document.documentElement.scrollWidth'));
$b->screenshot("$d/dashboard-phone.png");
copy("$d/dashboard-phone.png", "$FindBin::Bin/../objs/t/status_dashboard_phone.png");
$b->call('Emulation.clearDeviceMetricsOverride');

# Nothing from anywhere else, nothing the CSP had to refuse.
my @urls = map { $_->{params}{request}{url} } grep { $_->{method} eq 'Network.requestWillBeSent' } $b->events;
ok(scalar(@urls) >= 3, 'the page made its requests') or diag("@urls");
is(join(' ', grep { index($_, "$origin/") != 0 } @urls), '', "every request went to the page's origin");
my @csp = grep { ($_->{params}{entry}{text} // '') =~ /Content Security Policy/i }
          grep { $_->{method} eq 'Log.entryAdded' } $b->events;
is(scalar @csp, 0, 'the CSP refused nothing of the page') or diag(BouncerTest::encode_json($csp[0]));

# Without JavaScript: the server's table, the same figures.
$b->call('Emulation.setScriptExecutionDisabled', { value => \1 });
$b->call('Page.navigate', { url => "$origin/" });
ok(BouncerTest::wait_until(sub { ($b->eval_js('document.readyState') // '') eq 'complete' }, 10),
   'the page loads without JavaScript');
my $nojs = $b->eval_js('document.getElementById("tables").innerText');
like($nojs, qr/shop dead\s+0\s+0\s+0\s+0\s+7/, 'the no-JS table shows the burst');
is($b->eval_js('getComputedStyle(document.getElementById("live")).display'), 'none',
   'and the live parts stay hidden');

$b->quit;
$t->done;
done_testing;
