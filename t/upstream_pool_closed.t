# A backend that closes its connection after answering, without saying
# Connection: close (a keep-alive timer, a one-shot server): that
# connection never goes back to bouncer's pool, and a pooled one is checked
# before it is reused, so a request that cannot be replayed (a POST with a
# body of several MiB) is never sent down a connection the backend has
# already shut.  Both when the FIN follows the response a moment later and
# when it rides in the response's last segment.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use IO::Socket::INET;
use Test::More;
use List::Util qw(min);
use Time::HiRes qw(sleep time);

my $t = BouncerTest->new;
my ($p, $late, $corked) = map { $t->port } 1 .. 3;
my $size = 4 * 1024 * 1024;
for my $be ($late, $corked) {
    $t->backend($be, sub {
        my $r = shift;
        if ($r->{method} eq 'GET') {
            return { raw => "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", then_close => 1,
                     fin_with_data => $be == $corked };
        }
        return [200, [], 'got ' . length($r->{body})];
    });
}
$t->config(<<C);
limits = { max_body_size = "0"; };
upstreams = ( { name = "late"; servers = ( { address = "127.0.0.1:$late"; } ); },
              { name = "corked"; servers = ( { address = "127.0.0.1:$corked"; } ); } );
servers = ( { listen = [ "127.0.0.1:$p" ];
  routes = ( { match = { prefix = "/late"; }; upstream = "late"; },
             { match = { prefix = "/corked"; }; upstream = "corked"; } ); } );
C
$t->start(ports => [$p]);

# A large POST, sent as the client can while reading the answer.
sub big_post {
    my ($path) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $p, Timeout => 10) or return '';
    binmode $s;
    syswrite $s, "POST $path HTTP/1.1\r\nHost: a\r\nContent-Length: $size\r\nConnection: close\r\n\r\n";
    my $chunk = 'p' x 65536;
    my ($sent, $out) = (0, '');
    $s->blocking(0);
    my $end = time + 30;
    while (time < $end) {
        my ($r, $w) = ('', '');
        vec($r, fileno($s), 1) = 1;
        vec($w, fileno($s), 1) = 1 if $sent < $size;
        select($r, $w, undef, 0.5) or next;
        if (vec($r, fileno($s), 1)) {
            my $n = sysread($s, $out, 65536, length $out);
            last if defined $n && $n == 0;
            last if !defined $n && !$!{EAGAIN};
        }
        if ($sent < $size && vec($w, fileno($s), 1)) {
            my $n = syswrite($s, $chunk, min(65536, $size - $sent));
            $sent += $n if $n;
        }
    }
    close $s;
    return $out;
}

for my $name ('late', 'corked') {
    my $ok = 0;
    for my $i (1 .. 10) {
        my $g = http_request($p, 'GET', "/$name/get");
        # The first request on this route's connection made it; the close
        # reaches bouncer after the answer (or with it).
        sleep 0.3;
        my $r = parse_response(big_post("/$name/post"));
        $ok++ if $r && $r->{status} == 200 && $r->{body} eq "got $size" && $g->{status} == 200;
    }
    # "got N": the backend read all N bytes of the body.
    is($ok, 10, "$name FIN: 10 of 10 POSTs after a GET whose connection the backend closed succeed, each received whole");
}
unlike($t->error_log, qr/\[error\]/, 'no request failed upstream');

$t->done;
done_testing;
