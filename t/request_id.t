# X-Request-Id: a client's value of 1 to 128 printable ASCII characters
# (0x21-0x7e) is the request's id, else one is made (32 hex digits).  It
# is $request_id and the JSON log's request_id, goes upstream as exactly one
# X-Request-Id line (in place of the client's), and comes back on every
# response: proxied, bouncer's own errors, cache hits, the WAF's 403.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use JSON::PP;
use Test::More;

my $t = BouncerTest->new;
my ($p, $be, $down) = ($t->port, $t->port, $t->port);
my $d = $t->dir;
$t->backend($be, sub {
    my ($q) = @_;
    return [200, ['X-Request-Id' => 'upstream-own', 'Cache-Control' => 'max-age=60'], "cached\n"]
        if $q->{path} =~ m{^/cached};
    return [200, ['X-Request-Id' => 'upstream-own'], "ok\n"];
});
$t->config(<<C, access_format => 'json');
cache_zones = ( { name = "c"; path = "$d/cache"; max_size = "10m"; memory = "1m"; } );
upstreams = ( { name = "app"; servers = ( { address = "127.0.0.1:$be"; } ); },
              { name = "gone"; servers = ( { address = "127.0.0.1:$down"; } ); } );
servers = ( { listen = [ "127.0.0.1:$p" ];
  routes = ( { match = { exact = "/local"; }; respond = { status = 200; body = "hi\\n"; }; },
             { match = { prefix = "/cached"; }; upstream = "app"; cache = { zone = "c"; key = "\$scheme\$host\$uri"; }; },
             { match = { prefix = "/waf"; }; upstream = "app"; waf = { mode = "block"; }; },
             { match = { prefix = "/down"; }; upstream = "gone"; },
             { match = { prefix = "/own"; }; upstream = "app";
               request_headers = { set = [ "X-Request-Id: up-\$request_id" ]; };
               response_headers = { set = [ "X-Request-Id: down-\$request_id" ]; }; },
             { match = { prefix = "/app"; }; upstream = "app"; } ); } );
C
$t->start(ports => [$p]);

my $seq = 0;
# Sends one request with these header lines; returns the response, what the
# backend got (or undef) and the access log's line for it.
sub one {
    my ($path, @lines) = @_;
    my $tag = "t" . ++$seq;
    $path .= ($path =~ /\?/ ? '&' : '?') . "seq=$tag";
    my $before = () = $t->backend_requests_safe($be);
    my $raw = raw_request($p, "GET $path HTTP/1.1\r\nHost: localhost\r\n"
                             . join('', map { "$_\r\n" } @lines) . "Connection: close\r\n\r\n");
    my $r = parse_response($raw);
    my ($line) = ();
    wait_until(sub { ($line) = grep { /seq=$tag"/ } split /\n/, $t->access_log; $line }, 5);
    my @got = $t->backend_requests_safe($be);
    my ($b) = grep { $_->{path} =~ /seq=$tag$/ } @got;
    return ($r, $b, $line ? decode_json($line) : undef);
}

sub BouncerTest::backend_requests_safe {
    my ($self, $port) = @_;
    return -e "$d/backend-$port.log" ? $self->backend_requests($port) : ();
}

sub id_lines {
    my ($lines) = @_;
    return grep { /^x-request-id:/i } @$lines;
}

# A client's id is kept.
my ($r, $b, $j) = one('/app', 'X-Request-Id: abc-123_Z~!');
is($r->{status}, 200, 'proxied');
is_deeply([id_lines($b->{raw_headers})], ['X-Request-Id: abc-123_Z~!'],
          "the upstream gets the client's id, one line");
is_deeply([id_lines($r->{header_lines})], ['X-Request-Id: abc-123_Z~!'],
          "the client gets it back, in place of the upstream's own");
is($j->{request_id}, 'abc-123_Z~!', "and it is the log's request_id");

# 128 characters are kept; 129 are not.
my $long = join '', map { chr(0x21 + $_ % 94) } 0 .. 127;
($r, $b, $j) = one('/app', "X-Request-Id: $long");
is($b->{headers}{'x-request-id'}, $long, '128 printable characters are kept');
is($r->{headers}{'x-request-id'}, $long, '... and come back');
is($j->{request_id}, $long, '... and are logged');

my %made;
for my $case ([ "X-Request-Id: ${long}x", '129 characters' ],
              [ "X-Request-Id: a b", 'a space' ],
              [ "X-Request-Id: a\tb", 'a tab (a control byte the parser lets through)' ],
              [ "X-Request-Id: caf\xe9", 'a byte above 0x7e' ],
              [ "X-Request-Id:", 'an empty value' ],
              [ "X-Request-Id: one", "X-Request-Id: two", 'two lines' ],
              [ 'no X-Request-Id at all' ]) {
    my $name = pop @$case;
    ($r, $b, $j) = one('/app', @$case);
    my $id = $r->{headers}{'x-request-id'} // '';
    like($id, qr/^[0-9a-f]{32}$/, "$name: an id is made");
    is_deeply([id_lines($b->{raw_headers})], ["X-Request-Id: $id"],
              "$name: the upstream gets the made id, one line");
    is(scalar(id_lines($r->{header_lines})), 1, "$name: the client gets one line");
    is($j->{request_id}, $id, "$name: the log has the same id");
    $made{$id}++;
}
is(scalar keys %made, 7, 'every made id is new');

# Bouncer's own answers carry it too.
($r, undef, $j) = one('/local', 'X-Request-Id: mine-1');
is($r->{headers}{'x-request-id'}, 'mine-1', 'a fixed response');
($r, undef, $j) = one('/nothing-here', 'X-Request-Id: mine-2');
is($r->{status}, 404, 'no route: 404');
is($r->{headers}{'x-request-id'}, 'mine-2', '... with the id');
($r, undef, $j) = one('/down', 'X-Request-Id: mine-3');
is($r->{status}, 502, 'upstream down: 502');
is($r->{headers}{'x-request-id'}, 'mine-3', '... with the id');
is($j->{request_id}, 'mine-3', '... logged');

# A head refused by the parser: the id is made, and still sent.
my $raw = raw_request($p, "GET / HTTP/1.1\r\nHost: localhost\r\nX-Request-Id: bad\x01\r\n\r\n");
$r = parse_response($raw);
is($r->{status}, 400, 'a control byte in a header: 400');
like($r->{headers}{'x-request-id'} // '', qr/^[0-9a-f]{32}$/, '... with an id made for it');

# A cache hit answers with this request's id, not the stored one's.
($r) = one('/cached/a', 'X-Request-Id: fill-1');
is($r->{headers}{'x-request-id'}, 'fill-1', 'the cache fill: its id');
($r, $b, $j) = one('/cached/a', 'X-Request-Id: hit-2');
is($r->{headers}{'x-cache-status'}, 'HIT', 'then a hit');
is_deeply([id_lines($r->{header_lines})], ['X-Request-Id: hit-2'], "... with its own id, one line");
is($j->{request_id}, 'hit-2', '... logged');

# A route that sets X-Request-Id itself decides it, one line each way.
($r, $b, $j) = one('/own', 'X-Request-Id: r9');
is_deeply([id_lines($b->{raw_headers})], ['X-Request-Id: up-r9'], "a route's own request rule");
is_deeply([id_lines($r->{header_lines})], ['X-Request-Id: down-r9'], "a route's own response rule");

# The WAF's 403 names the id on its page, as HTML text.
($r, $b, $j) = one("/waf?q=1'%20OR%20'1'='1", 'X-Request-Id: <b>x&y</b>');
is($r->{status}, 403, 'the WAF blocks');
is_deeply([id_lines($r->{header_lines})], ['X-Request-Id: <b>x&y</b>'], '... X-Request-Id once');
like($r->{body}, qr/Request ID: &#60;b&#62;x&#38;y&#60;\/b&#62;</, '... the page names it, escaped');
unlike($r->{body}, qr/<b>/, '... and runs nothing the client sent');

$t->done;
done_testing;
