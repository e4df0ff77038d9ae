# An upstream that answers (200) while the client is still sending its
# body: bouncer lingers after the response as it does after an error of its
# own (reads and drops the rest of the body for lingering_timeout), so the
# client, still sending, reads the whole response rather than a reset that
# throws its tail away.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use IO::Socket::INET;
use POSIX ();
use Socket qw(SOL_SOCKET SO_RCVBUF pack_sockaddr_in inet_aton);
use Test::More;
use Time::HiRes qw(time sleep);

$SIG{PIPE} = 'IGNORE'; # a reset connection is a failed test, not a dead one
my $t = BouncerTest->new;
my ($p, $be) = map { $t->port } 1 .. 2;
my $rsize = 32768;
my $bsize = 2 * 1024 * 1024;

# Answers as soon as it has the head, then reads the body to its end while
# the answer goes out: a server that does not need the body.
my $listen = IO::Socket::INET->new(Listen => 16, LocalAddr => '127.0.0.1', LocalPort => $be,
                                   ReuseAddr => 1) or die "backend: $!";
my $bpid = fork // die "fork: $!";
if ($bpid == 0) {
    setpgrp(0, 0);
    $SIG{CHLD} = 'IGNORE';
    while (1) {
        my $c = $listen->accept or next;
        next if fork;
        my ($in, $head) = ('', '');
        while ($in !~ /\r\n\r\n/) { sysread($c, $in, 65536, length $in) or POSIX::_exit(0) }
        my $out = "HTTP/1.1 200 OK\r\nContent-Length: $rsize\r\n\r\n" . ('r' x $rsize);
        $c->blocking(0);
        while (1) {
            my ($r, $w) = ('', '');
            vec($r, fileno($c), 1) = 1;
            vec($w, fileno($c), 1) = 1 if length $out;
            select($r, $w, undef, 1) or next;
            if (length $out && vec($w, fileno($c), 1)) {
                my $n = syswrite($c, $out);
                substr($out, 0, $n, '') if $n;
            }
            if (vec($r, fileno($c), 1)) {
                my $n = sysread($c, my $junk, 65536);
                last if defined $n && $n == 0;
                last if !defined $n && !$!{EAGAIN};
            }
        }
        POSIX::_exit(0);
    }
}
close $listen;
push @{ $t->{backends} }, { pid => $bpid, port => $be };

$t->config(<<C);
limits = { max_body_size = "0"; lingering_timeout = "5s"; };
upstreams = ( { name = "app"; servers = ( { address = "127.0.0.1:$be"; } ); } );
servers = ( { listen = [ "127.0.0.1:$p" ]; routes = ( { match = { prefix = "/"; }; upstream = "app"; } ); } );
C
$t->start(ports => [$p]);

# Sends the body in small pieces with pauses, reading nothing until it is
# all sent (or the connection refuses more), then reads what came.
sub slow_upload {
    # A small receive buffer: most of the response waits in bouncer's send
    # queue while the client sends, where a reset would discard it.
    my $s = IO::Socket::INET->new(Proto => 'tcp') or die "socket: $!";
    setsockopt($s, SOL_SOCKET, SO_RCVBUF, 4096) or die "SO_RCVBUF: $!";
    $s->connect(pack_sockaddr_in($p, inet_aton('127.0.0.1'))) or die "connect: $!";
    binmode $s;
    syswrite $s, "POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: $bsize\r\n\r\n";
    my $piece = 'b' x 16384;
    my $sent = 0;
    $s->blocking(0);
    while ($sent < $bsize) {
        my $w = syswrite($s, $piece);
        last if !defined $w && !$!{EAGAIN};
        $sent += $w // 0;
        sleep 0.005;
    }
    $s->blocking(1);
    my $out = read_to_eof($s);
    close $s;
    return ($out, $sent);
}

my ($out, $sent) = slow_upload();
my $r = parse_response($out);
is($r && $r->{status}, 200, 'the client, still sending, gets the early 200');
is(length($r ? $r->{body} : ''), $rsize, 'and all of its body');
is($sent, $bsize, 'bouncer read the rest of the body instead of resetting the connection');
like($r ? $r->{headers}{connection} // '' : '', qr/close/i, 'the response says the connection closes');

$t->done;
done_testing;
