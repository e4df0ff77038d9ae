# tcp_notsent_lowat: a client that stops reading holds bouncer's response
# back, and what waits unsent in its socket stays near the bound (what the
# kernel queues is seen in /proc/net/tcp: the socket's send queue, whose
# in-flight part the client's full receive window fixes); with the bound
# off (0, by reload, on the kept listener) the queue grows far beyond it.
# The body arrives whole either way once the client reads.  A bound of one
# byte, below any segment, still lets every kind of response out whole:
# the bytes bouncer holds back for the next write or the FIN (MSG_MORE)
# must never wait for room that only their sending would make.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use IO::Socket::INET;
use Test::More;
use Time::HiRes qw(sleep);

my $t = BouncerTest->new;
my ($p, $be) = ($t->port, $t->port);
my $size = 16 * 1024 * 1024;
my $chunked = join('', map { sprintf("%x\r\n", 9000) . ('c' x 9000) . "\r\n" } 1 .. 30);
$t->backend($be, sub {
    my ($r) = @_;
    return { raw => "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${chunked}0\r\n\r\n" }
        if $r->{path} eq '/chunked';
    return [200, ['Cache-Control' => 'max-age=600'], 'h' x 40000] if $r->{path} eq '/cached';
    return { stream => $r->{path} eq '/big' ? $size : 3_000_000 };
});
my $d = $t->dir;
my $routes = <<C;
cache_zones = ( { name = "z"; path = "$d/z"; hot_max_object = "0"; } );
upstreams = ( { name = "app"; servers = ( { address = "127.0.0.1:$be"; } ); } );
servers = ( { listen = [ "127.0.0.1:$p" ];
  routes = ( { match = { exact = "/cached"; }; upstream = "app"; cache = { zone = "z"; }; },
             { match = { prefix = "/"; }; upstream = "app"; } ); } );
C
$t->config("tcp_notsent_lowat = \"16k\";\n$routes");
$t->start(ports => [$p]);

# The send queue of bouncer's side of the one connection to $p, in bytes.
sub send_queue {
    open my $f, '<', '/proc/net/tcp' or die "/proc/net/tcp: $!";
    my $want = sprintf(':%04X', $p);
    for (<$f>) {
        my @c = split;
        return hex((split /:/, $c[4])[0]) if $c[1] =~ /\Q$want\E$/ && $c[3] eq '01';
    }
    return undef;
}

# Asks for the body, reads nothing for a while, then reads it all.
sub stalled {
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $p) or die;
    syswrite $s, "GET /big HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
    sleep 1;
    my $q = send_queue();
    my ($raw, $n) = ('', 0);
    while (($n = sysread($s, $raw, 1 << 20, length $raw))) { }
    my $r = parse_response($raw);
    return ($q, $r && $r->{status} == 200 && length($r->{body}) == $size);
}

my ($bounded, $whole) = stalled();
ok(defined $bounded, 'the stalled connection is found in /proc/net/tcp');
ok($whole, 'tcp_notsent_lowat = "16k": the body arrives whole once read');
cmp_ok($bounded // 1e9, '<', 256 * 1024, 'tcp_notsent_lowat = "16k": the stalled socket holds little');

my ($rc, $err, $took) = $t->reload_config("tcp_notsent_lowat = 0;\n$routes");
is($rc, 0, 'reload with tcp_notsent_lowat = 0') or diag($err);
ok($took, 'a new worker took over');
my ($unbounded, $whole0) = stalled();
ok($whole0, 'tcp_notsent_lowat = 0: the body arrives whole once read');
diag("send queue of a stalled client: $bounded bytes with 16k, $unbounded without a bound");
cmp_ok($unbounded, '>', $bounded + 512 * 1024,
       'with the bound the stalled socket holds far less (the kernel\'s default lets it fill)');

($rc, $err, $took) = $t->reload_config("tcp_notsent_lowat = 1;\n$routes");
is($rc, 0, 'reload with tcp_notsent_lowat = 1') or diag($err);
ok($took, 'a new worker took over');
for my $case (['/spliced', 3_000_000], ['/chunked', 270_000], ['/cached', 40_000], ['/cached', 40_000]) {
    my ($path, $len) = @$case;
    my $r = http_request($p, 'GET', $path, timeout => 10);
    is($r && length $r->{body}, $len, "tcp_notsent_lowat = 1: $path on a closing connection arrives whole");
}

$t->done;
done_testing;
