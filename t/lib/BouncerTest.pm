# BouncerTest: the integration test harness.  Each test gets a temp folder,
# free ports, a bouncer started from a config it writes, scriptable backends
# that record what they received, raw-socket HTTP clients, and two checks at
# teardown: no [alert]/[crit]/[emerg] line it did not declare, and no
# sanitizer report.
package BouncerTest;

use strict;
use warnings;
use Cwd qw(abs_path);
use Errno qw(EINTR);
use Exporter qw(import);
use Fcntl qw(:flock);
use File::Basename qw(dirname);
use File::Temp qw(tempdir);
use IO::Socket::INET;
use Socket qw(IPPROTO_TCP TCP_CORK);
use JSON::PP;
use POSIX qw(:sys_wait_h);
use Test::More;
use Time::HiRes qw(sleep time);

our @EXPORT = qw(http_request http_parallel raw_request read_to_eof parse_response wait_until);

my $ROOT = abs_path(dirname(__FILE__) . '/../..');

# BOUNCER_TEST_H2=1 runs a test over HTTP/2 (t/h2_parity.t): every server
# block's plain listeners take h2c, and http_request() and http_parallel()
# speak HTTP/2 with prior knowledge (t/tools/h2client.py, on python3-h2),
# handing back what came as the HTTP/1.1 clients do.  raw_request() stays
# bytes on the wire.
my $H2 = $ENV{BOUNCER_TEST_H2};
sub h2_mode { $H2 }

sub new {
    my ($class, %opt) = @_;
    my $dir = tempdir('bouncer-test-XXXXXX', TMPDIR => 1, CLEANUP => !$ENV{BOUNCER_KEEP});
    # Tests run as root in CI: the workers (nobody) must reach the folder.
    chmod 0755, $dir;
    my $self = bless {
        dir => $dir,
        bin => $opt{hooks} ? "$ROOT/objs/bouncer-hooks" : $ENV{BOUNCER_BIN} || "$ROOT/objs/bouncer",
        backends => [],
        expected_alerts => [],
        pid => undef,
        conf => "$dir/bouncer.conf",
        owner => $$,
    }, $class;
    if ($opt{subreaper}) {
        # A master started by `bouncer upgrade` is the old master's child;
        # once that one exits it becomes ours, to stop and reap.
        require 'syscall.ph';
        syscall(&SYS_prctl(), 36, 1, 0, 0, 0) == 0 or die "PR_SET_CHILD_SUBREAPER: $!";
    }
    if ($opt{hooks}) {
        # The crash points of common/testhook.h: crash() arms one.
        plan skip_all => "objs/bouncer-hooks is not built (make test builds it)"
            unless -x $self->{bin};
        mkdir "$dir/crash";
        chmod 0777, "$dir/crash";
        $ENV{BOUNCER_CRASH_DIR} = "$dir/crash";
    }
    return $self;
}

# Arms crash point $name (a test made with hooks => 1): the next process of
# bouncer that reaches it SIGKILLs itself, and only that one.
sub crash {
    my ($self, $name) = @_;
    $self->write_file("crash/$name", '');
    chmod 0666, "$self->{dir}/crash/$name";
}

# Whether the armed crash point $name went off.
sub crashed { !-e "$_[0]{dir}/crash/$_[1]" }

sub dir { $_[0]{dir} }
sub bin { $_[0]{bin} }
sub root { $ROOT }

my %used_ports;

# A port free right now on 127.0.0.1 (and not handed out before in this test).
sub port {
    for (1 .. 100) {
        my $s = IO::Socket::INET->new(Listen => 1, LocalAddr => '127.0.0.1', LocalPort => 0,
                                      ReuseAddr => 1) or next;
        my $p = $s->sockport;
        close $s;
        next if $used_ports{$p}++;
        return $p;
    }
    die "no free port";
}

sub write_file {
    my ($self, $name, $content) = @_;
    my $path = $name =~ m{^/} ? $name : "$self->{dir}/$name";
    open my $f, '>', $path or die "$path: $!";
    print $f $content;
    close $f;
    return $path;
}

# A config with the boilerplate every test needs; $body is the rest.
sub config {
    my ($self, $body, %opt) = @_;
    my $d = $self->{dir};
    my $workers = $opt{workers} // 1;
    $self->{workers} = $workers =~ /^\d+$/ ? $workers : undef;
    my $level = $opt{level} // 'info';
    my $format = $opt{access_format} // 'combined';
    my $text = <<C;
daemon = false;
workers = $workers;
pid_file = "$d/bouncer.pid";
log = {
  error = { path = "$d/error.log"; level = "$level"; };
  access = { path = "$d/access.log"; format = "$format"; };
};
$body
C
    if ($H2) {
        $text =~ s/(?<![\w])(listen\s*=\s*\[)/http2_cleartext = true; $1/g;
        $text =~ s/(status\s*=\s*\{\s*)http2_cleartext = true; /$1/g;
    }
    return $self->write_file($opt{file} // 'bouncer.conf', $text);
}

# Writes $body as the config (as config() does), reloads, and waits up to
# 10 s for a new generation to take over: as many workers as before, none
# of them an old one.  Returns (reload's exit status, its stderr, whether
# the new workers took over).
sub reload_config {
    my ($self, $body, %opt) = @_;
    my @old = $self->worker_pids;
    my %old = map { $_ => 1 } @old;
    $self->config($body, %opt);
    my ($rc, undef, $err) = $self->cmd('reload');
    my $took = $rc == 0
        && wait_until(sub { my @n = $self->worker_pids; @n == @old && !grep { $old{$_} } @n }, 10);
    return ($rc, $err, $took);
}

# Runs a bouncer command; returns (exit status, stdout, stderr).
sub cmd {
    my ($self, @args) = @_;
    my $d = $self->{dir};
    my $conf = $self->{conf};
    if (@args && $args[0] eq '-c') {
        (undef, $conf) = splice(@args, 0, 2);
    }
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        open STDOUT, '>', "$d/cmd.out" or die;
        open STDERR, '>', "$d/cmd.err" or die;
        exec $self->{bin}, '-c', $conf, @args or die "exec: $!";
    }
    waitpid $pid, 0;
    my $rc = $? >> 8;
    return ($rc, slurp("$d/cmd.out"), slurp("$d/cmd.err"));
}

sub slurp {
    my ($path) = @_;
    open my $f, '<', $path or return '';
    local $/;
    my $s = <$f>;
    close $f;
    return $s // '';
}

# Starts bouncer in the foreground from $self->{conf}; waits until every
# port in @ports accepts connections, the control socket answers and the
# workers config() asked for are running (the master binds the ports before
# it forks them, so a connection alone does not say a worker is there).
sub start {
    my ($self, %opt) = @_;
    my $d = $self->{dir};
    my @ports = @{ $opt{ports} || [] };
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        if ($opt{nofile}) {
            # A low hard limit, for the EMFILE test.
            exec 'sh', '-c', "ulimit -n $opt{nofile} && exec \"\$0\" \"\$@\" >>'$d/stderr.log' 2>&1",
                $self->{bin}, '-c', $self->{conf}, 'start', '--foreground';
        }
        open STDOUT, '>>', "$d/stderr.log" or die;
        open STDERR, '>>', "$d/stderr.log" or die;
        # wrap: a command line bouncer runs under (a namespace, say).
        exec @{ $opt{wrap} || [] }, $self->{bin}, '-c', $self->{conf}, 'start', '--foreground'
            or die "exec: $!";
    }
    $self->{pid} = $pid;
    my $ok = wait_until(sub {
        return 0 if waitpid($pid, WNOHANG) == $pid;
        for my $p (@ports) {
            my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $p) or return 0;
            close $s;
        }
        return -S "$d/bouncer.sock" || $opt{no_control};
    }, 15);
    if (!$ok) {
        my $err = slurp("$d/stderr.log") . slurp("$d/error.log");
        $self->{pid} = undef if waitpid($pid, WNOHANG) == $pid;
        die "bouncer did not start:\n$err";
    }
    # Soft: a test may start workers that are meant to fail.  A busy host
    # (the suite under ASan, in parallel) can take seconds to start them;
    # a client sent before they run waits in the listen queue, and a
    # client with a deadline of its own (curl --max-time) then fails for
    # no fault of bouncer's, as t/tls.t once did.
    wait_until(sub { $self->worker_pids >= $self->{workers} }, 15) if $self->{workers};
    return $pid;
}

sub master_pid { $_[0]{pid} }

# After `bouncer upgrade`: the new master is the one stop() ends (a test
# made with subreaper => 1 reaps it).
sub set_master_pid { $_[0]{pid} = $_[1] }

# Runs bouncer from $path (a copy a test may replace) from now on.
sub set_bin { $_[0]{bin} = $_[1] }

# The worker pids of the running master, from its children.
sub worker_pids {
    my ($self) = @_;
    my @pids;
    for my $f (glob "/proc/[0-9]*/stat") {
        open my $fh, '<', $f or next;
        my $stat = <$fh> // next;
        close $fh;
        my ($pid, $ppid) = $stat =~ /^(\d+) \(.*\) \S+ (\d+)/ or next;
        next unless $ppid == ($self->{pid} // -1);
        my $cmd = slurp("/proc/$pid/cmdline");
        push @pids, $pid if $cmd =~ /worker process/ && $cmd !~ /shutting down/;
    }
    @pids = sort { $a <=> $b } @pids;
    return wantarray ? @pids : scalar @pids;
}

sub stop {
    my ($self) = @_;
    my $pid = $self->{pid} or return;
    kill 'TERM', $pid;
    my $done = wait_until(sub { waitpid($pid, WNOHANG) == $pid }, 20);
    if (!$done) {
        kill 'KILL', $pid;
        waitpid $pid, 0;
        diag("bouncer did not stop on TERM");
    }
    $self->{pid} = undef;
}

# Declares an alert/crit line the test provokes on purpose.
sub expect_alert {
    my ($self, $re) = @_;
    push @{ $self->{expected_alerts} }, $re;
}

sub error_log { slurp("$_[0]{dir}/error.log") }
sub access_log { slurp("$_[0]{dir}/access.log") }

# Waits until $re appears in the error log.
sub wait_log {
    my ($self, $re, $secs) = @_;
    return wait_until(sub { $self->error_log =~ $re }, $secs // 10);
}

sub wait_until {
    my ($cond, $secs) = @_;
    my $end = time + ($secs // 10);
    while (time < $end) {
        return 1 if $cond->();
        sleep 0.05;
    }
    return $cond->() ? 1 : 0;
}

# A fake $NOTIFY_SOCKET for systemd's notify protocol: a datagram socket
# at $path.  Its messages() are all that came so far, each a hash of its
# NAME=value lines.
sub notify_socket {
    my ($self, $path) = @_;
    require IO::Socket::UNIX;
    my $sock = IO::Socket::UNIX->new(Type => Socket::SOCK_DGRAM(), Local => $path)
        or die "socket: $!";
    return bless { sock => $sock, got => [] }, 'BouncerTest::Notify';
}

sub BouncerTest::Notify::messages {
    my ($self) = @_;
    my $rin = '';
    vec($rin, fileno($self->{sock}), 1) = 1;
    while (select(my $rout = $rin, undef, undef, 0) > 0) {
        my $m;
        $self->{sock}->recv($m, 4096) // last;
        push @{ $self->{got} }, { map { /^([A-Z_]+)=(.*)$/ ? ($1 => $2) : () } split /\n/, $m };
    }
    return @{ $self->{got} };
}

# ---- backends ----------------------------------------------------------------

# Starts an HTTP/1.1 backend on $port.  $handler gets the request (method,
# path, version, headers (lower-case names), body) and returns
# [status, [name => value, ...], body], or a hash with extra actions:
# { close => 1 } (close without answering), { sleep => secs, ... },
# { raw => "bytes" } (sent as is; then_close => 1 closes after it, fin_with_data => 1
# sends the FIN in the same segment as the last bytes), { chunks => [[pause, bytes],
# ...], headers => [...] } (a chunked body in pieces, see below).
# Every request is appended to backend-PORT.log for backend_requests().
sub backend {
    my ($self, $port, $handler, %opt) = @_;
    $handler //= \&echo_handler;
    my $log = "$self->{dir}/backend-$port.log";
    my $listen;
    if ($port =~ m{^/}) {
        require IO::Socket::UNIX;
        unlink $port;
        $listen = IO::Socket::UNIX->new(Listen => 128, Local => $port) or die "backend on $port: $!";
        chmod 0777, $port;
        $log = "$self->{dir}/backend-unix.log";
    } else {
        $listen = IO::Socket::INET->new(Listen => 128, LocalAddr => $opt{addr} // '127.0.0.1',
                                        LocalPort => $port, ReuseAddr => 1)
            or die "backend on $port: $!";
    }
    my $tls_ctx;
    if (my $o = $opt{tls}) {
        # Made before the connections fork, so that every one of them
        # shares its ticket keys: sessions can resume.
        require IO::Socket::SSL;
        $tls_ctx = IO::Socket::SSL::SSL_Context->new(SSL_server => 1,
            SSL_cert_file => $o->{cert}, SSL_key_file => $o->{key},
            $o->{client_ca} ? (SSL_ca_file => $o->{client_ca}, SSL_verify_mode => 0x03) : ())
            or die "backend TLS context: $IO::Socket::SSL::SSL_ERROR";
    }
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        # Its own process group, so stopping it ends its connections too.
        setpgrp(0, 0);
        $SIG{CHLD} = 'IGNORE';
        $SIG{TERM} = sub { POSIX::_exit(0) };
        while (1) {
            my $c = $listen->accept or next;
            my $child = fork;
            if (defined $child && $child == 0) {
                close $listen;
                my %tls;
                if (my $o = $opt{tls}) {
                    # HTTPS: the test certificate; what the handshake was
                    # like goes into each request's record.
                    IO::Socket::SSL->start_SSL($c, SSL_server => 1, SSL_reuse_ctx => $tls_ctx)
                        or POSIX::_exit(0);
                    my $ssl = $c->_get_ssl_object;
                    %tls = (tls_sni => scalar($c->get_servername),
                            tls_reused => Net::SSLeay::session_reused($ssl) ? 1 : 0,
                            tls_client => scalar($c->peer_certificate("subject")));
                }
                serve_connection($c, $handler, $log, $port, \%tls);
                POSIX::_exit(0);
            }
            close $c;
        }
    }
    close $listen;
    push @{ $self->{backends} }, { pid => $pid, port => $port, addr => $opt{addr} };
    return $pid;
}

sub stop_backend {
    my ($self, $port) = @_;
    for my $b (@{ $self->{backends} }) {
        next unless $b->{port} eq $port && $b->{pid};
        kill 'TERM', -$b->{pid};
        waitpid $b->{pid}, 0;
        $b->{pid} = 0;
    }
}

sub echo_handler {
    my ($req) = @_;
    my $body = encode_json({ method => $req->{method}, path => $req->{path},
                             headers => $req->{headers}, body => $req->{body} });
    return [200, ['Content-Type' => 'application/json'], $body];
}

sub read_line {
    my ($c, $bufref) = @_;
    while ($$bufref !~ /\n/) {
        my $n = sysread($c, $$bufref, 65536, length $$bufref);
        return undef if !$n;
    }
    $$bufref =~ s/^([^\n]*\n)//;
    return $1;
}

sub read_exact {
    my ($c, $bufref, $len) = @_;
    while (length $$bufref < $len) {
        my $n = sysread($c, $$bufref, 65536, length $$bufref);
        return undef if !$n;
    }
    return substr($$bufref, 0, $len, '');
}

sub serve_connection {
    my ($c, $handler, $log, $port, $tls) = @_;
    my $buf = '';
    my $conn = $c->can('peerport') && $c->peerport ? $c->peerport : "$$";
    my $nth = 0;
    binmode $c;
    while (1) {
        my $line = read_line($c, \$buf) // return;
        $line =~ s/\r?\n$//;
        my ($method, $path, $version) = split / /, $line;
        my (%h, @raw);
        while (defined(my $hl = read_line($c, \$buf))) {
            $hl =~ s/\r?\n$//;
            last if $hl eq '';
            push @raw, $hl;
            my ($n, $v) = $hl =~ /^([^:]+):\s*(.*?)\s*$/;
            $n = lc $n;
            $h{$n} = exists $h{$n} ? "$h{$n}, $v" : $v;
        }
        my $body = '';
        if (($h{'transfer-encoding'} // '') =~ /chunked/i) {
            while (1) {
                my $sz = read_line($c, \$buf) // return;
                $sz =~ s/[;\r\n].*//s;
                $sz = hex($sz);
                if ($sz == 0) {
                    while (defined(my $t = read_line($c, \$buf))) { last if $t =~ /^\r?\n$/ }
                    last;
                }
                $body .= read_exact($c, \$buf, $sz) // return;
                read_exact($c, \$buf, 2);
            }
        } elsif (my $len = $h{'content-length'}) {
            $body = read_exact($c, \$buf, $len) // return;
        }
        my $req = { method => $method, path => $path, version => $version, headers => \%h,
                    raw_headers => \@raw, body => $body, port => $port, conn => $conn,
                    nth => ++$nth, %{ $tls || {} } };
        if (open my $f, '>>', $log) {
            flock $f, LOCK_EX;
            print $f encode_json($req), "\n";
            close $f;
        }
        my $res = $handler->($req);
        if (ref $res eq 'HASH') {
            sleep $res->{sleep} if $res->{sleep};
            return if $res->{close};
            if (my $n = $res->{stream}) {
                # A large body written in pieces, never held whole; chunked
                # in pieces of odd sizes when asked.
                my $head = $res->{chunked}
                    ? "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                    : "HTTP/1.1 200 OK\r\nContent-Length: $n\r\n\r\n";
                syswrite($c, $head) or return;
                my $piece = 'z' x 65536;
                my $i = 0;
                while ($n > 0) {
                    my $k = $res->{chunked} ? 1000 + ($i++ * 7919) % 60000 : 65536;
                    $k = $n if $k > $n;
                    my $out = $res->{chunked} ? sprintf("%x\r\n", $k) . substr($piece, 0, $k) . "\r\n"
                                              : substr($piece, 0, $k);
                    my $off = 0;
                    while ($off < length $out) {
                        my $w = syswrite($c, $out, length($out) - $off, $off);
                        return if !defined $w;
                        $off += $w;
                    }
                    $n -= $k;
                }
                syswrite($c, "0\r\n\r\n") if $res->{chunked};
                next;
            }
            if (my $chunks = $res->{chunks}) {
                # A chunked body in pieces: [pause, bytes] each, the pause
                # seconds, or a file to wait for (at most 10 s), so that a
                # test can see what came before the rest is sent.
                my $out = "HTTP/1.1 " . ($res->{status} // 200) . " X\r\n";
                my @h = @{ $res->{headers} || [] };
                for (my $i = 0; $i < @h; $i += 2) {
                    $out .= "$h[$i]: $h[$i + 1]\r\n";
                }
                syswrite($c, "${out}Transfer-Encoding: chunked\r\n\r\n") or return;
                for my $piece (@$chunks) {
                    my ($pause, $data) = @$piece;
                    if ($pause && $pause =~ m{^/}) {
                        my $until = time + 10;
                        select(undef, undef, undef, 0.02) while !-e $pause && time < $until;
                    } elsif ($pause) {
                        select(undef, undef, undef, $pause);
                    }
                    syswrite($c, sprintf("%x\r\n", length $data) . $data . "\r\n") or return;
                }
                syswrite($c, "0\r\n\r\n") or return;
                next;
            }
            if (defined $res->{raw}) {
                # fin_with_data: corked, the FIN is coalesced with the last
                # data segment instead of following it.
                setsockopt($c, IPPROTO_TCP, TCP_CORK, 1) if $res->{fin_with_data};
                syswrite $c, $res->{raw};
                shutdown($c, 1) if $res->{fin_with_data};
                return if $res->{then_close};
                next;
            }
            $res = $res->{response};
        }
        my ($status, $headers, $rbody) = @$res;
        $rbody //= '';
        my $out = "HTTP/1.1 $status X\r\n";
        my %has;
        for (my $i = 0; $i < @$headers; $i += 2) {
            $out .= "$headers->[$i]: $headers->[$i + 1]\r\n";
            $has{lc $headers->[$i]} = 1;
        }
        $out .= "Content-Length: " . length($rbody) . "\r\n"
            unless $has{'content-length'} || $has{'transfer-encoding'};
        $out .= "\r\n";
        $out .= $rbody unless $method eq 'HEAD';
        my $off = 0;
        while ($off < length $out) {
            my $n = syswrite($c, $out, length($out) - $off, $off);
            return if !defined $n;
            $off += $n;
        }
        return if ($h{connection} // '') =~ /close/i;
    }
}

sub backend_requests {
    my ($self, $port) = @_;
    my @r;
    my $file = $port =~ m{^/} ? "backend-unix.log" : "backend-$port.log";
    for my $l (split /\n/, slurp("$self->{dir}/$file")) {
        push @r, decode_json($l);
    }
    return @r;
}

# ---- clients -------------------------------------------------------------------

# Sends raw bytes, reads until the server closes or $timeout passes.
sub raw_request {
    my ($port, $bytes, %opt) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port, Timeout => 5)
        or return undef;
    binmode $s;
    syswrite $s, $bytes if length $bytes;
    shutdown($s, 1) if $opt{shutdown};
    my $out = '';
    my $end = time + ($opt{timeout} // 10);
    my $sel = '';
    vec($sel, fileno($s), 1) = 1;
    while (time < $end) {
        my $r = $sel;
        my $n = select($r, undef, undef, 0.2);
        next if $n == 0;
        my $got = sysread($s, $out, 65536, length $out);
        last if !$got;
        last if $opt{until} && $out =~ $opt{until};
    }
    close $s;
    return $out;
}

# Reads from $s until the server closes or $secs (10) pass; returns the bytes.
sub read_to_eof {
    my ($s, $secs) = @_;
    my $b = '';
    my $end = time + ($secs // 10);
    while (time < $end) {
        my $rin = '';
        vec($rin, fileno($s), 1) = 1;
        next unless select($rin, undef, undef, 0.1);
        my $n = sysread($s, $b, 65536, length $b);
        last if !$n;
    }
    return $b;
}

# Parses one response from the start of $bytes: {status, headers, body, rest}.
sub parse_response {
    my ($bytes, %opt) = @_;
    return undef unless defined $bytes && $bytes =~ s/^HTTP\/1\.([01]) (\d{3})[^\r\n]*\r\n//;
    my $r = { version => "1.$1", status => $2, headers => {}, header_lines => [] };
    while ($bytes =~ s/^([^\r\n]*)\r\n//) {
        my $l = $1;
        last if $l eq '';
        push @{ $r->{header_lines} }, $l;
        my ($n, $v) = $l =~ /^([^:]+):\s*(.*)$/;
        $r->{headers}{lc $n} = exists $r->{headers}{lc $n} ? "$r->{headers}{lc $n}, $v" : $v;
    }
    my $h = $r->{headers};
    if ($opt{head} || $r->{status} == 204 || $r->{status} == 304 || $r->{status} < 200) {
        $r->{body} = '';
    } elsif (($h->{'transfer-encoding'} // '') =~ /chunked/i) {
        my $body = '';
        while ($bytes =~ s/^([0-9a-fA-F]+)[^\r\n]*\r\n//) {
            my $sz = hex $1;
            if ($sz == 0) { $bytes =~ s/^\r\n//; last }
            $body .= substr($bytes, 0, $sz, '');
            $bytes =~ s/^\r\n//;
        }
        $r->{body} = $body;
    } elsif (defined $h->{'content-length'}) {
        $r->{body} = substr($bytes, 0, $h->{'content-length'}, '');
    } else {
        $r->{body} = $bytes;
        $bytes = '';
    }
    $r->{rest} = $bytes;
    return $r;
}

# One request on a new connection (Connection: close); returns the parsed
# response, or undef when nothing came back.
# Requests over one HTTP/2 connection, as http_request() takes them:
# [ [method, path, %opt]... ] -> responses in order (undef: reset or none).
sub h2_requests {
    my ($port, $reqs, %o) = @_;
    my @j;
    for my $q (@$reqs) {
        my ($method, $path, %opt) = @$q;
        my ($hd, @h, $authority) = ($opt{headers} || []);
        for (my $i = 0; $i < @$hd; $i += 2) {
            if (lc $hd->[$i] eq 'host') { $authority = $hd->[$i + 1]; next }
            push @h, [ lc $hd->[$i], $hd->[$i + 1] ];
        }
        push @h, [ 'content-length', length $opt{body} ] if defined $opt{body};
        push @j, { method => $method, path => $path, headers => \@h,
                   authority => $authority // $opt{host} // 'localhost',
                   defined $opt{body} ? (body => $opt{body}) : () };
    }
    my ($fh, $file) = File::Temp::tempfile('h2req-XXXXXX', TMPDIR => 1, UNLINK => 1);
    print $fh encode_json(\@j);
    close $fh;
    my $out = `/usr/bin/python3 $ROOT/t/tools/h2client.py $port requests \@$file @{[ $o{timeout} // 20 ]}`;
    unlink $file;
    my $res = eval { decode_json($out) } or return map { undef } @$reqs;
    my @r;
    for my $k (0 .. $#$reqs) {
        my $st = $res->{streams}{ 2 * $k + 1 };
        if (!$st || !@{ $st->{headers} || [] }) { push @r, undef; next }
        utf8::downgrade($st->{body}); # bytes, as the HTTP/1.1 clients give them
        # A stream reset after its fields: what came, as a cut HTTP/1.1 response.
        my $r = { version => '2', headers => {}, header_lines => [], body => $st->{body}, rest => '',
                  defined $st->{reset} ? (reset => $st->{reset}) : () };
        for my $f (@{ $st->{headers} }) {
            my ($n, $v) = @$f;
            if ($n eq ':status') { $r->{status} = $v; next }
            push @{ $r->{header_lines} }, "$n: $v";
            $r->{headers}{$n} = exists $r->{headers}{$n} ? "$r->{headers}{$n}, $v" : $v;
        }
        push @r, $r;
    }
    return @r;
}

sub http_request {
    my ($port, $method, $path, %opt) = @_;
    return (h2_requests($port, [ [ $method, $path, %opt ] ], timeout => $opt{timeout}))[0] if $H2;
    my $headers = $opt{headers} || [];
    my $body = $opt{body};
    my $req = "$method $path HTTP/1.1\r\nHost: " . ($opt{host} // 'localhost') . "\r\n";
    for (my $i = 0; $i < @$headers; $i += 2) {
        $req .= "$headers->[$i]: $headers->[$i + 1]\r\n";
    }
    $req .= "Content-Length: " . length($body) . "\r\n" if defined $body;
    $req .= "Connection: close\r\n\r\n";
    $req .= $body if defined $body;
    my $out = raw_request($port, $req, timeout => $opt{timeout});
    return parse_response($out, head => $method eq 'HEAD');
}

# Sends every request at once, each on its own connection, then reads all
# the answers: [ [method, path, headers], ... ] -> parsed responses, in order.
sub http_parallel {
    my ($port, $reqs, %opt) = @_;
    return h2_requests($port, [ map { [ $_->[0], $_->[1], headers => $_->[2] ] } @$reqs ], %opt) if $H2;
    my @socks;
    for my $q (@$reqs) {
        my ($method, $path, $headers) = @$q;
        my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port, Timeout => 5)
            or die "connect: $!";
        binmode $s;
        my $req = "$method $path HTTP/1.1\r\nHost: localhost\r\n";
        $headers ||= [];
        for (my $i = 0; $i < @$headers; $i += 2) {
            $req .= "$headers->[$i]: $headers->[$i + 1]\r\n";
        }
        syswrite $s, "${req}Connection: close\r\n\r\n";
        push @socks, { s => $s, out => '', open => 1 };
    }
    my $end = time + ($opt{timeout} // 20);
    while (time < $end && grep { $_->{open} } @socks) {
        my $rin = '';
        vec($rin, fileno($_->{s}), 1) = 1 for grep { $_->{open} } @socks;
        next unless select(my $rout = $rin, undef, undef, 0.2) > 0;
        for my $k (grep { $_->{open} } @socks) {
            next unless vec($rout, fileno($k->{s}), 1);
            my $n = sysread($k->{s}, $k->{out}, 65536, length $k->{out});
            if (!$n) { $k->{open} = 0; close $k->{s} }
        }
    }
    return map { parse_response($_->{out}) } @socks;
}

# ---- teardown ------------------------------------------------------------------

sub done {
    my ($self) = @_;
    return if $self->{done}++;
    $self->stop;
    $self->kill_backends;
    my @bad;
    for my $l (split /\n/, $self->error_log) {
        next unless $l =~ /\[(alert|crit|emerg)\]/;
        next if grep { $l =~ $_ } @{ $self->{expected_alerts} };
        push @bad, $l;
    }
    ok(!@bad, 'no unexpected alert, crit or emerg lines in the error log')
        or diag(join "\n", @bad);
    my $san = slurp("$self->{dir}/stderr.log");
    ok($san !~ /(AddressSanitizer|LeakSanitizer|runtime error:|UndefinedBehaviorSanitizer)/,
       'no sanitizer report') or diag($san);
}

sub kill_backends {
    my ($self) = @_;
    for my $b (@{ $self->{backends} }) {
        next unless $b->{pid};
        kill 'TERM', -$b->{pid};
        waitpid $b->{pid}, 0;
        $b->{pid} = undef;
    }
}

# A test that died, or stopped bouncer without done(), still takes its
# backends down: a backend left running holds prove's output pipe open and
# prove waits for it forever.  Only in the process that made them: forked
# children carry a copy of this object too.
sub DESTROY {
    my ($self) = @_;
    return unless ($self->{owner} // 0) == $$;
    if (!$self->{done} && $self->{pid}) {
        $self->done;
    } else {
        $self->kill_backends;
    }
}

1;
