# resolve = true with resolver = "IP:port": the helper asks that DNS server
# (a small one run by this test), follows a changed answer within its TTL
# without a reload, and keeps the last good addresses when the name fails.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use Test::More;
use IO::Socket::INET;
use POSIX ();

my $t = BouncerTest->new;
my $d = $t->dir;
my ($p, $bp, $dns) = map { $t->port } 1 .. 3;

# The zone: "A <ip> <ttl>" lines for any name, or "SERVFAIL".
sub zone { $t->write_file('zone', join('', map { "$_\n" } @_)) }
zone('A 127.0.0.2 1');

my $sock = IO::Socket::INET->new(Proto => 'udp', LocalAddr => '127.0.0.1', LocalPort => $dns)
    or die "dns: $!";
my $dpid = fork // die;
if ($dpid == 0) {
    setpgrp(0, 0);
    while (1) {
        my $q;
        my $peer = $sock->recv($q, 1500) // next;
        next if length $q < 12;
        my ($id) = unpack('n', $q);
        my $off = 12;
        $off += 1 + ord(substr($q, $off, 1)) while ord(substr($q, $off, 1)) != 0;
        my $question = substr($q, 12, $off + 5 - 12);
        my $qtype = unpack('n', substr($q, $off + 1, 2));
        my @lines = split /\n/, BouncerTest::slurp("$d/zone");
        if (grep { /SERVFAIL/ } @lines) {
            $sock->send(pack('nnnnnn', $id, 0x8182, 1, 0, 0, 0) . $question);
            next;
        }
        my @ans;
        for (@lines) {
            my ($type, $ip, $ttl) = split / /;
            next unless $type eq 'A' && $qtype == 1;
            push @ans, pack('nnnNn', 0xc00c, 1, 1, $ttl, 4) . pack('C4', split /\./, $ip);
        }
        $sock->send(pack('nnnnnn', $id, 0x8180, 1, scalar @ans, 0, 0) . $question . join('', @ans));
    }
}
close $sock;
push @{ $t->{backends} }, { pid => $dpid, port => $dns };

$t->backend($bp, sub { [200, [], 'one'] });
$t->backend($bp, sub { [200, [], 'two'] }, addr => '127.0.0.2');
$t->backend($bp, sub { [200, [], 'three'] }, addr => '127.0.0.3');
$t->config(<<C, workers => 2);
upstreams = ( { name = "dyn"; resolver = "127.0.0.1:$dns"; resolve_interval = "1s";
                servers = ( { address = "localhost:$bp"; resolve = true; } ); } );
servers = ( { listen = [ "127.0.0.1:$p" ]; routes = ( { match = { prefix = "/"; }; upstream = "dyn"; } ); } );
C
$t->start(ports => [$p]);

ok($t->wait_log(qr/upstream server localhost:$bp of "dyn" now resolves to 127\.0\.0\.2:$bp/), 'the helper resolved the name through the resolver');
is(http_request($p, 'GET', '/')->{body}, 'two', 'requests go to the resolved address');
zone('A 127.0.0.3 1');
ok($t->wait_log(qr/now resolves to 127\.0\.0\.3:$bp/), 'a changed answer is seen once its TTL ran out');
ok(wait_until(sub { http_request($p, 'GET', '/')->{body} eq 'three' }, 5), 'and takes effect without a reload');
my @r = map { http_request($p, 'GET', '/')->{body} } 1 .. 6;
is(join(',', @r), join(',', ('three') x 6), 'in every worker');
zone('SERVFAIL');
ok($t->wait_log(qr/\[warn\].*cannot resolve "localhost" of upstream "dyn"; keeping its last good addresses/), 'a failing name is a warning');
is(http_request($p, 'GET', '/')->{body}, 'three', 'and the last good address stays in use');

$t->done;
done_testing;
