# A server whose name resolves to several addresses, one of which refuses
# (localhost on a stock Debian host: ::1 and 127.0.0.1, with the backend
# listening on 127.0.0.1 only): every address is tried before a 502, the
# refused one costs no retry, and passive health judges each address on
# its own.  Without keep-alive, so that every request dials.  First a name re-resolved through a DNS server the test runs
# (resolve = true), then, as root in a mount namespace with its own
# /etc/hosts, a name resolved at load.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use Test::More;
use TinyDNS qw(dns_server);

my $t = BouncerTest->new;
my $d = $t->dir;
my ($p, $bp, $dns) = map { $t->port } 1 .. 3;
# 127.0.0.2 first: nothing listens there, so half the picks of the old
# rotation would have met a refusal with no retry left.
$t->write_file('zone', "A 127.0.0.2 300\nA 127.0.0.1 300\n");
my $dpid = dns_server('127.0.0.1', $dns, "$d/zone") or die "dns server: $!";
push @{ $t->{backends} }, { pid => $dpid, port => $dns };
$t->backend($bp, sub { [200, [], "ok $_[0]{method}"] });
$t->config(<<C);
upstreams = ( { name = "dyn"; resolver = "127.0.0.1:$dns"; retries = 0; keepalive = 0;
                servers = ( { address = "two.bouncer-test:$bp"; resolve = true; } ); } );
servers = ( { listen = [ "127.0.0.1:$p" ]; routes = ( { match = { prefix = "/"; }; upstream = "dyn"; } ); } );
C
$t->start(ports => [$p]);
ok($t->wait_log(qr/upstream server two\.bouncer-test:$bp of "dyn" now resolves to/), 'the name resolved to its two addresses');
my @r = map { http_request($p, $_ % 2 ? 'GET' : 'POST', '/', $_ % 2 ? () : (body => 'x')) } 1 .. 10;
is(scalar(grep { $_ && $_->{status} == 200 } @r), 10, 'resolve = true, retries = 0: every request reaches the address that answers');
like($t->error_log, qr/\[warn\].*trying the next address of two\.bouncer-test:$bp/, 'the next address is tried, and that is said');
unlike($t->error_log, qr/no further upstream to try|no live upstreams/, 'no request ran out of servers');
$t->done;

SKIP: {
    skip 'a private /etc/hosts needs root and unshare(1)', 7
        unless $> == 0 && -x '/usr/bin/unshare'
        && system("/usr/bin/unshare --mount --propagation private true 2>/dev/null") == 0;
    my $t2 = BouncerTest->new;
    my $d2 = $t2->dir;
    my ($p2, $bp2, $other) = map { $t2->port } 1 .. 3;
    # Debian's /etc/hosts as installed.
    $t2->write_file('hosts', "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n");
    $t2->backend($bp2, sub { [200, [], "ok $_[0]{method}"] });
    $t2->backend($other, sub { [200, [], "other"] });
    $t2->config(<<C);
upstreams = ( { name = "lh"; retries = 0; keepalive = 0; servers = ( { address = "localhost:$bp2"; } ); },
              { name = "pair"; retries = 0; keepalive = 0; servers = ( { address = "localhost:$bp2"; fail_timeout = "30s"; },
                                                        { address = "127.0.0.1:$other"; } ); } );
servers = ( { listen = [ "127.0.0.1:$p2" ];
  routes = ( { match = { prefix = "/pair"; }; upstream = "pair"; },
             { match = { prefix = "/"; }; upstream = "lh"; } ); } );
C
    $t2->start(ports => [$p2], wrap => [ '/usr/bin/unshare', '--mount', '--propagation', 'private',
        'sh', '-c', "mount --bind '$d2/hosts' /etc/hosts && exec \"\$0\" \"\$@\"" ]);
    my @lh = map { http_request($p2, $_ % 2 ? 'GET' : 'POST', '/', $_ % 2 ? () : (body => 'x')) } 1 .. 10;
    is(scalar(grep { $_ && $_->{status} == 200 } @lh), 10, 'localhost (::1 and 127.0.0.1), retries = 0: no request gets a 502');
    is(scalar(grep { $_ && $_->{body} =~ /^ok (GET|POST)$/ } @lh), 10, 'each answered by the backend on 127.0.0.1');
    like($t2->error_log, qr/\[notice\].*upstream server localhost:$bp2 \(\[::1\]:$bp2\) of "lh" is down/,
         'the refusing address is marked down on its own, named with the name');
    my @refused = $t2->error_log =~ /connect\(\) to upstream failed.*upstream: "\[::1\]:$bp2"/g;
    is(scalar @refused, 1, 'and not dialled again within fail_timeout');

    # Beside another server: a refusal by the name's first address goes to
    # its second, not to the other server, and costs no retry.
    my @pair = map { http_request($p2, 'GET', '/pair')->{body} } 1 .. 6;
    is(scalar(grep { defined && ($_ eq 'ok GET' || $_ eq 'other') } @pair), 6, 'an upstream of a name and an address: every request answered');
    unlike($t2->error_log, qr/no further upstream to try|no live upstreams/, 'no request ran out of servers');
    ok($t2->error_log !~ /upstream server localhost:$bp2 \(127\.0\.0\.1:$bp2\) of "\w+" is down/, 'the address that answers is never marked down');
    $t2->done;
}
done_testing;
