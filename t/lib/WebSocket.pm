# A small WebSocket (RFC 6455) toolkit for the tests: frames both ways, an
# echo server, and a client over a plain socket.  Only what the tests need.
package WebSocket;
use strict;
use warnings;
use Digest::SHA qw(sha1_base64);
use MIME::Base64 qw(encode_base64);
use IO::Socket::INET;
use POSIX ();
use Exporter 'import';

our @EXPORT_OK = qw(ws_frame ws_read_frame ws_accept ws_echo_server);

sub ws_accept {
    my ($key) = @_;
    return sha1_base64($key . '258EAFA5-E914-47DA-95CA-C5AB0DC85B11') . '=';
}

# A frame; masked (as a client must) when $mask is set.
sub ws_frame {
    my ($opcode, $payload, %opt) = @_;
    my $fin = exists $opt{fin} ? $opt{fin} : 1;
    my $len = length $payload;
    my $head = chr(($fin ? 0x80 : 0) | $opcode);
    my $m = $opt{mask} ? 0x80 : 0;
    if ($len < 126) { $head .= chr($m | $len) }
    elsif ($len < 65536) { $head .= chr($m | 126) . pack('n', $len) }
    else { $head .= chr($m | 127) . pack('Q>', $len) }
    if ($opt{mask}) {
        my $key = pack('N', int(rand(2**32)));
        my $k = $key x (int($len / 4) + 1);
        return $head . $key . ($payload ^ substr($k, 0, $len));
    }
    return $head . $payload;
}

sub read_n {
    my ($s, $buf, $n) = @_;
    while (length $$buf < $n) {
        my $got = sysread($s, $$buf, 1 << 20, length $$buf);
        return undef if !$got;
    }
    return substr($$buf, 0, $n, '');
}

# Reads one frame: (fin, opcode, payload, masked), or () at EOF.
sub ws_read_frame {
    my ($s, $buf) = @_;
    my $h = read_n($s, $buf, 2) // return;
    my ($b0, $b1) = unpack('CC', $h);
    my $len = $b1 & 0x7f;
    if ($len == 126) { $len = unpack('n', read_n($s, $buf, 2) // return) }
    elsif ($len == 127) { $len = unpack('Q>', read_n($s, $buf, 8) // return) }
    my $key = ($b1 & 0x80) ? (read_n($s, $buf, 4) // return) : undef;
    my $p = $len ? (read_n($s, $buf, $len) // return) : '';
    if (defined $key) {
        my $k = $key x (int($len / 4) + 1);
        $p ^= substr($k, 0, $len);
    }
    return ($b0 & 0x80 ? 1 : 0, $b0 & 0x0f, $p, defined $key ? 1 : 0);
}

sub write_all {
    my ($s, $data) = @_;
    my $off = 0;
    while ($off < length $data) {
        my $n = syswrite($s, $data, length($data) - $off, $off);
        return 0 if !defined $n;
        $off += $n;
    }
    return 1;
}

# An echo server on $port (forks; returns the pid).  A request without
# Upgrade gets a plain 200 "plain"; /refuse gets 403; otherwise 101 and
# every message comes back whole, pings get pongs, a close is answered.
# What it saw is appended to $log, one line per request head, and every
# frame a tunnel brought to "$log.frames": "PATH OPCODE masked|unmasked
# LENGTH", and for a close frame its status code.
sub ws_echo_server {
    my ($port, $log) = @_;
    my $l = IO::Socket::INET->new(Listen => 64, LocalAddr => '127.0.0.1', LocalPort => $port,
                                  ReuseAddr => 1) or die "ws server: $!";
    my $pid = fork // die;
    if ($pid) { close $l; return $pid }
    setpgrp(0, 0);
    $SIG{CHLD} = 'IGNORE';
    while (1) {
        my $c = $l->accept or next;
        my $k = fork;
        if (defined $k && $k == 0) { close $l; serve($c, $log); POSIX::_exit(0) }
        close $c;
    }
}

sub serve {
    my ($c, $log) = @_;
    binmode $c;
    my $buf = '';
    while (1) {
        while ($buf !~ /\r\n\r\n/) {
            sysread($c, $buf, 65536, length $buf) or return;
        }
        $buf =~ s/^(.*?)\r\n\r\n//s;
        my $head = $1;
        if (open my $f, '>>', $log) { print $f join('|', split /\r\n/, $head), "\n"; close $f }
        my ($path) = $head =~ /^GET (\S+)/;
        my ($key) = $head =~ /^Sec-WebSocket-Key:\s*(\S+)/mi;
        if ($head !~ /^Upgrade:\s*websocket/mi) {
            write_all($c, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nplain");
            next;
        }
        if (($path // '') =~ /refuse/) {
            write_all($c, "HTTP/1.1 403 Forbidden\r\nContent-Length: 7\r\n\r\nrefused");
            next;
        }
        write_all($c, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      . "Sec-WebSocket-Accept: " . ws_accept($key) . "\r\n\r\n");
        my ($msg, $mop) = ('', 0);
        while (1) {
            my ($fin, $op, $p, $masked) = ws_read_frame($c, \$buf);
            return if !defined $fin;
            if (open my $f, '>>', "$log.frames") {
                printf $f "%s %d %s %d%s\n", $path, $op, $masked ? 'masked' : 'unmasked', length $p,
                    $op == 8 && length $p >= 2 ? ' ' . unpack('n', $p) : '';
                close $f;
            }
            if ($op == 9) { write_all($c, ws_frame(10, $p)); next }
            if ($op == 8) { write_all($c, ws_frame(8, $p)); shutdown($c, 1); sleep 1; return }
            $mop = $op if $op != 0;
            $msg .= $p;
            if ($fin) { write_all($c, ws_frame($mop, $msg)) or return; $msg = '' }
        }
    }
}

1;
