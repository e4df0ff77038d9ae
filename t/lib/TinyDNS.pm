# A tiny authoritative DNS server over UDP for the tests: every name gets
# the A records of the zone file ("A <ip> <ttl>" lines), or SERVFAIL when
# the file says so.  Only what the resolver tests need.
package TinyDNS;
use strict;
use warnings;
use IO::Socket::INET;
use POSIX ();
use Exporter 'import';

our @EXPORT_OK = qw(dns_server);

sub slurp {
    open my $f, '<', $_[0] or return '';
    local $/;
    return <$f> // '';
}

# Returns the server's pid, or undef when the address cannot be bound.
sub dns_server {
    my ($addr, $port, $zone) = @_;
    my $sock = IO::Socket::INET->new(Proto => 'udp', LocalAddr => $addr, LocalPort => $port)
        or return undef;
    my $pid = fork // die "fork: $!";
    if ($pid) {
        close $sock;
        return $pid;
    }
    setpgrp(0, 0);
    while (1) {
        my $q;
        $sock->recv($q, 1500) // next;
        next if length $q < 17;
        my ($id) = unpack('n', $q);
        my $off = 12;
        $off += 1 + ord(substr($q, $off, 1)) while $off < length $q && ord(substr($q, $off, 1)) != 0;
        my $question = substr($q, 12, $off + 5 - 12);
        my $qtype = unpack('n', substr($q, $off + 1, 2));
        my @lines = split /\n/, slurp($zone);
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

1;
