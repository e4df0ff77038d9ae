# Access log: Apache combined by default, one JSON object a line with the
# spec's keys, or off; error log line format.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use JSON::PP;
use Test::More;

my $t = BouncerTest->new;
my ($p, $be) = ($t->port, $t->port);
$t->backend($be, sub { [201, ['X-Powered-By' => 'PHP/5', 'Server' => 'Apache/2.2'], "made\n"] });
my $body = <<C;
upstreams = ( { name = "app"; servers = ( { address = "127.0.0.1:$be"; } ); } );
servers = ( { listen = [ "127.0.0.1:$p" ];
  routes = ( { match = { exact = "/local"; }; respond = { status = 200; body = "hi\\n"; }; },
             { match = { prefix = "/"; }; upstream = "app"; } ); } );
C
$t->config($body);
$t->start(ports => [$p]);

my $r = http_request($p, 'GET', '/a?q=%22x%22', headers => ['User-Agent' => 'tester "1"', 'Referer' => 'http://r/']);
is($r->{status}, 201, 'proxied');
ok(!exists $r->{headers}{'x-powered-by'}, 'X-Powered-By is not shown to clients');
is($r->{headers}{server}, 'bouncer', "the upstream's Server is replaced");
ok(wait_until(sub { $t->access_log =~ /\n?.*"GET/ }), 'a line was written');
like($t->access_log,
     qr{^127\.0\.0\.1 - - \[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\] "GET /a\?q=%22x%22 HTTP/1\.1" 201 \d+ "http://r/" "tester \\"1\\""\n$},
     'combined format, quotes escaped');
is($r->{body}, "made\n", 'body passed');
like($t->error_log, qr{^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[notice\] \d+: bouncer [\d.]+ started}m,
     'error log line format');

# A bad request still gets a line.
raw_request($p, "BAD\x01 / HTTP/1.1\r\n\r\n");
ok(wait_until(sub { $t->access_log =~ /" 400 \d+ "-" "-"\n$/ }), 'a 400 is logged too');

$t->stop;
$t->config($body, access_format => 'json');
$t->start(ports => [$p]);
unlink $t->dir . '/access.log.x';
http_request($p, 'GET', '/b', headers => ['User-Agent' => "ua\xe9"]);
http_request($p, 'GET', '/local');
ok(wait_until(sub { my @l = grep { /\/local/ } split /\n/, $t->access_log; @l }), 'JSON lines written');
my @lines = grep { /^\{/ } split /\n/, $t->access_log;
my ($j) = map { decode_json($_) } grep { /"\/b"/ } @lines;
my ($l) = map { decode_json($_) } grep { /"\/local"/ } @lines;
ok($j, 'the JSON line parses');
my @keys = qw(time remote_addr request_id method uri protocol status bytes_sent request_time
              bytes_received upstream_time upstream_addr upstream_status cache user_agent referer worker_pid
              tls_protocol tls_resumed tls_client_subject auth_user rate_limit waf trace_id);
is_deeply([sort keys %$j], [sort @keys], 'every key of the spec, bytes_received, and only those');
like($j->{time}, qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d$/, 'time: ISO 8601 with ms and offset');
is($j->{status}, 201, 'status is a number');
is($j->{upstream_status}, 201, 'upstream_status');
is($j->{upstream_addr}, "127.0.0.1:$be", 'upstream_addr');
ok($j->{upstream_time} >= 0 && $j->{request_time} >= 0, 'times are numbers');
is($j->{user_agent}, "ua\xe9", 'bytes above 0x7e escaped, and they round-trip');
is($j->{referer}, undef, 'null where a key does not apply');
like($j->{request_id}, qr/^[0-9a-f]{32}$/, 'request_id');
is($j->{worker_pid}, ($t->worker_pids)[0], 'worker_pid');
is($l->{upstream_addr}, undef, 'no upstream for a fixed response');
is($j->{bytes_received}, length("GET /b HTTP/1.1\r\nHost: localhost\r\nUser-Agent: ua\xe9\r\nConnection: close\r\n\r\n"),
   'bytes_received: the request head');
isnt($j->{request_id}, $l->{request_id}, 'request ids differ');

$t->stop;
unlink $t->dir . '/access.log';
$t->config($body, access_format => 'off');
$t->start(ports => [$p]);
http_request($p, 'GET', '/c');
ok(!-e $t->dir . '/access.log' || -z $t->dir . '/access.log', 'format off writes nothing');

$t->done;
done_testing;
