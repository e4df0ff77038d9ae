#!/usr/bin/env perl
# make bench's lock scenario, both sides:
#   lock.pl backend PORT DELAY_MS LOG   a slow origin: every answer (100 bytes, max-age=3600)
#                                       comes DELAY_MS after its request; one line per request in LOG
#   lock.pl client PORT PATH N          N requests for PATH at once, each on its own connection;
#                                       prints how many ms after the fill's answer (MISS) the last
#                                       waiter's (HIT) was complete, then the count of each status
use strict;
use warnings;
use IO::Socket::INET;
use Time::HiRes qw(time sleep);
use POSIX ();

my $mode = shift // '';
if ($mode eq 'backend') {
    my ($port, $delay, $log) = @ARGV;
    my $l = IO::Socket::INET->new(Listen => 1024, LocalAddr => '127.0.0.1', LocalPort => $port, ReuseAddr => 1)
        or die "lock.pl: listen on $port: $!\n";
    $SIG{CHLD} = 'IGNORE';
    while (1) {
        my $c = $l->accept or next;
        my $pid = fork;
        if (defined $pid && $pid == 0) {
            close $l;
            my $buf = '';
            while (1) {
                while ($buf !~ /\r\n\r\n/) {
                    my $n = sysread($c, $buf, 65536, length $buf);
                    POSIX::_exit(0) unless $n;
                }
                $buf =~ s/^(.*?)\r\n\r\n//s;
                my ($path) = $1 =~ /^\S+ (\S+)/;
                open my $f, '>>', $log or die;
                print $f "$path\n";
                close $f;
                sleep $delay / 1000;
                my $body = 'l' x 100;
                syswrite $c, "HTTP/1.1 200 OK\r\nCache-Control: max-age=3600\r\nContent-Length: 100\r\n\r\n$body"
                    or POSIX::_exit(0);
            }
        }
        close $c;
    }
}
die "usage: lock.pl backend PORT DELAY_MS LOG | client PORT PATH N\n" unless $mode eq 'client';
my ($port, $path, $n) = @ARGV;
my @c;
for (1 .. $n) {
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port) or die "lock.pl: connect: $!\n";
    push @c, { s => $s, out => '' };
}
syswrite $_->{s}, "GET $path HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n" for @c;
my $end = time + 30;
while (time < $end && grep { !$_->{done} } @c) {
    my $rin = '';
    vec($rin, fileno($_->{s}), 1) = 1 for grep { !$_->{done} } @c;
    next unless select(my $rout = $rin, undef, undef, 0.5) > 0;
    my $now = time;
    for my $k (grep { !$_->{done} } @c) {
        next unless vec($rout, fileno($k->{s}), 1);
        next if sysread($k->{s}, $k->{out}, 65536, length $k->{out});
        $k->{done} = $now;
        close $k->{s};
    }
}
my (%count, $fill, $last);
for my $k (@c) {
    my ($st) = $k->{out} =~ /^X-Cache-Status: (\S+)/mi;
    $st = 'none' unless $k->{done} && $k->{out} =~ m{^HTTP/1\.1 200 } && $st;
    $count{$st}++;
    $fill = $k->{done} if $st eq 'MISS';
    $last = $k->{done} if $st eq 'HIT' && (!$last || $k->{done} > $last);
}
printf "%.2f %s\n", ($fill && $last ? ($last - $fill) * 1000 : -1),
    join(',', map { "$_=$count{$_}" } sort keys %count);
