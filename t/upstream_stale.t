# A pooled upstream connection that the backend closes just as bouncer
# reuses it (the classic keep-alive race): idempotent requests whose body
# bouncer still holds are sent again, once, on a new connection; others get
# 502, never a silent failure.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use JSON::PP;
use Test::More;

my $t = BouncerTest->new;
my ($p, $be) = ($t->port, $t->port);
# Answers the first request of each connection; on any later one it closes
# without a word, as a backend whose keep-alive timer just fired.
$t->backend($be, sub {
    my $r = shift;
    return { close => 1 } if $r->{nth} > 1;
    return [200, [], encode_json({ conn => $r->{conn}, body => $r->{body}, method => $r->{method} })];
});
$t->config(<<C);
upstreams = ( { name = "app"; servers = ( { address = "127.0.0.1:$be"; } ); } );
servers = ( { listen = [ "127.0.0.1:$p" ];
  routes = ( { match = { prefix = "/waf/"; }; upstream = "app"; waf = { mode = "block"; }; },
             { match = { prefix = "/"; }; upstream = "app"; } ); } );
C
$t->start(ports => [$p]);

is(http_request($p, 'GET', '/prime')->{status}, 200, 'first request leaves a pooled connection');
my $r = http_request($p, 'GET', '/again');
is($r->{status}, 200, 'GET on the dead pooled connection is retried on a new one');
like($t->error_log, qr/\[info\].*a pooled upstream connection was closed; retrying on a new one/, 'and the retry is logged');

$r = http_request($p, 'PUT', '/put', body => 'payload');
is($r->{status}, 200, 'PUT with a body bouncer still holds is retried too');
is(decode_json($r->{body})->{body}, 'payload', 'with its whole body');

# A chunked body is not kept as it streams; one the WAF held whole is, so
# it can be sent again.
my $chunked = "PUT /waf/put HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    . "4\r\nheld\r\n5\r\n body\r\n0\r\n\r\n";
is(http_request($p, 'GET', '/prime2')->{status}, 200, 'another pooled connection');
$r = parse_response(raw_request($p, $chunked));
is($r->{status}, 200, 'a chunked PUT the WAF held is retried on a new connection');
is(decode_json($r->{body})->{body}, 'held body', 'with its whole body');

$r = http_request($p, 'POST', '/post', body => 'once');
is($r->{status}, 502, 'POST is not replayed: 502');
my @posts = grep { $_->{path} eq '/post' } $t->backend_requests($be);
is(scalar @posts, 1, 'the backend saw the POST once');

$t->done;
done_testing;
