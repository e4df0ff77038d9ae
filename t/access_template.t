# log.access.format as a template of variables: every key of the JSON
# line is a variable of its name, beside those of header values; one that
# is empty or does not apply prints "-"; values are escaped as the combined
# format escapes them, so a client cannot forge a field or a line.  An
# unknown variable, or a format that is neither a name nor a template, is a
# config error that `check` names.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use Test::More;

my $t = BouncerTest->new;
my $d = $t->dir;
my ($p, $be) = ($t->port, $t->port);
$t->backend($be, sub { [203, [], "made\n"] });
my $body = <<C;
upstreams = ( { name = "app"; servers = ( { address = "127.0.0.1:$be"; } ); } );
servers = ( { listen = [ "127.0.0.1:$p" ];
  routes = ( { match = { exact = "/local"; }; respond = { status = 200; body = "hi\\n"; }; },
             { match = { prefix = "/"; }; upstream = "app"; } ); } );
C
# Fields split by "|": a value may hold spaces.
my @vars = qw(remote_addr status request_time upstream_time request_id trace_id upstream_status
              upstream_addr cache method request_uri uri args bytes_sent bytes_received protocol
              worker_pid tls_protocol tls_resumed tls_client_subject auth_user rate_limit waf
              referer user_agent http_x_evil time);
my $format = join '|', map { "\$$_" } @vars;
$t->config($body, access_format => "$format|\${status}x|\\\"quoted\\\"");
$t->start(ports => [$p]);

sub fields {
    my ($re) = @_;
    my $line;
    wait_until(sub { ($line) = grep { $_ =~ $re } split /\n/, $t->access_log; $line }, 5);
    return undef unless $line;
    my @f = split /\|/, $line, -1;
    my %h;
    @h{@vars, 'glued', 'literal'} = @f;
    $h{count} = scalar @f;
    return \%h;
}

my $r = http_request($p, 'GET', '/a/b?x=1', headers => [
    'X-Request-Id' => 'rid-1', 'User-Agent' => "ua \"q\" \\ end", 'X-Evil' => "tab\there caf\xe9",
    'traceparent' => '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
]);
is($r->{status}, 203, 'proxied');
my $f = fields(qr/rid-1/);
ok($f, 'a line was written');
is($f->{count}, @vars + 2, 'one field per variable, no more');
is($f->{remote_addr}, '127.0.0.1', '$remote_addr');
is($f->{status}, '203', '$status');
like($f->{request_time}, qr/^\d+\.\d{3}$/, '$request_time: seconds with ms');
like($f->{upstream_time}, qr/^\d+\.\d{3}$/, '$upstream_time');
is($f->{request_id}, 'rid-1', '$request_id');
is($f->{trace_id}, '4bf92f3577b34da6a3ce929d0e0e4736', '$trace_id');
is($f->{upstream_status}, '203', '$upstream_status');
is($f->{upstream_addr}, "127.0.0.1:$be", '$upstream_addr');
is($f->{cache}, '-', '$cache: the route does not cache');
is($f->{method}, 'GET', '$method');
is($f->{request_uri}, '/a/b?x=1', '$request_uri: the target, query and all');
is($f->{uri}, '/a/b', '$uri: the path, as in header values');
is($f->{args}, 'x=1', '$args');
like($f->{bytes_sent}, qr/^[1-9]\d*$/, '$bytes_sent');
like($f->{bytes_received}, qr/^[1-9]\d*$/, '$bytes_received');
is($f->{protocol}, 'HTTP/1.1', '$protocol');
is($f->{worker_pid}, ($t->worker_pids)[0], '$worker_pid');
is($f->{tls_protocol}, '-', '$tls_protocol: plain HTTP');
is($f->{tls_resumed}, '-', '$tls_resumed: plain HTTP');
is($f->{tls_client_subject}, '-', '$tls_client_subject');
is($f->{auth_user}, '-', '$auth_user: no one authenticated');
is($f->{rate_limit}, '-', '$rate_limit');
is($f->{waf}, '-', '$waf');
is($f->{referer}, '-', '$referer: none sent');
is($f->{user_agent}, 'ua \\"q\\" \\\\ end', 'quotes and backslashes are escaped');
is($f->{http_x_evil}, 'tab\\x09here caf\\xe9', 'control bytes and bytes above 0x7e: \\xHH');
like($f->{time}, qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d$/, '$time: ISO 8601');
is($f->{glued}, '203x', '${status} ends a name before letters');
is($f->{literal}, '"quoted"', 'literals are written as they are');

# Bouncer's own answer: what only an upstream has is "-".
http_request($p, 'GET', '/local', headers => ['X-Request-Id' => 'rid-2']);
$f = fields(qr/rid-2/);
is($f->{status}, '200', 'a fixed response');
is($f->{upstream_time}, '-', 'no upstream: $upstream_time "-"');
is($f->{upstream_status}, '-', '$upstream_status "-"');
is($f->{upstream_addr}, '-', '$upstream_addr "-"');
is($f->{args}, '-', 'no query: $args "-"');
is($f->{http_x_evil}, '-', 'a header not sent: "-"');

# A head the parser refused still gets a line, with what is known.
raw_request($p, "BAD\x01 / HTTP/1.1\r\n\r\n");
$f = fields(qr/^127\.0\.0\.1\|400\|/);
ok($f, 'a 400 is logged');
is($f->{method}, '-', 'no method: "-"');
like($f->{request_id}, qr/^[0-9a-f]{32}$/, 'a request id all the same');

# The template is the config's to check.
sub check_format {
    my ($fmt, $extra) = @_;
    my $conf = <<C;
pid_file = "$d/b.pid";
log = { access = { path = "$d/x.log"; format = "$fmt"; }; };
upstreams = ( { name = "app"; servers = ( { address = "127.0.0.1:9"; } ); } );
servers = ( { listen = [ "127.0.0.1:1" ]; routes = ( { match = { prefix = "/"; }; upstream = "app";
  ${\ ($extra // '') } } ); } );
C
    my $file = $t->write_file('c.conf', $conf);
    my ($rc, undef, $err) = $t->cmd('-c', $file, 'check');
    return ($rc, $err);
}
my ($rc, $err) = check_format(join ' ', map { "\$$_" } @vars);
is($rc, 0, 'every variable above passes check') or diag($err);
($rc, $err) = check_format('$remote_addr $nope');
isnt($rc, 0, 'an unknown variable fails check');
like($err, qr/c\.conf:2: log\.access\.format: "\$remote_addr \$nope": unknown variable "\$nope"/,
     '... naming it, the file, the line and the setting');
($rc, $err) = check_format('$status $');
like($err, qr/log\.access\.format: .*"\$" without a variable name/, 'a "$" without a name');
($rc, $err) = check_format('${status');
like($err, qr/log\.access\.format: .*without its "\}"/, 'a "${" without "}"');
($rc, $err) = check_format('$1 $status');
like($err, qr/log\.access\.format: .*regex captures \(\$1\) are not available here/, 'no captures');
($rc, $err) = check_format('tsv');
like($err, qr/log\.access\.format: unknown value "tsv" \(expected one of: combined, json, off, or a template of \$variables\)/,
     'neither a name nor a template');
($rc, $err) = check_format('combined',
    'request_headers = { set = [ "X-Status: $status" ]; };');
like($err, qr/request_headers\.set\[0\]: "\$status": "\$status" is known only in log\.access\.format/,
     "a log variable in a header value: it is the log's alone");

$t->done;
done_testing;
