# Headless Chromium (Debian's package) driven over the DevTools protocol:
# a page opened, JavaScript evaluated in it, every request it made seen,
# a screenshot taken.  The protocol rides a WebSocket (t/lib/WebSocket.pm's
# frames); only what the tests need.
package Chromium;
use strict;
use warnings;
use IO::Socket::INET;
use MIME::Base64 qw(decode_base64);
use POSIX ();
use Time::HiRes qw(time sleep);
use WebSocket qw(ws_frame ws_read_frame);

sub binary {
    for my $b (qw(chromium chromium-browser google-chrome)) {
        for my $d (split /:/, $ENV{PATH}) {
            return "$d/$b" if -x "$d/$b";
        }
    }
    return undef;
}

# Starts the browser on a free debugging port with a profile in $dir;
# returns the object, or undef (with $@) when it does not come up.
sub new {
    my ($class, %opt) = @_;
    my $bin = binary() or do { $@ = 'no chromium'; return undef };
    my $port = $opt{port} or die 'port';
    my $dir = $opt{dir} or die 'dir';
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        open STDOUT, '>', "$dir/chromium.log";
        open STDERR, '>&', \*STDOUT;
        no warnings 'exec';
        exec { $bin } $bin, '--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
            '--no-first-run', '--no-default-browser-check', "--user-data-dir=$dir/profile",
            "--remote-debugging-port=$port", '--window-size=1280,1000', 'about:blank';
        POSIX::_exit(127);
    }
    my $self = bless { pid => $pid, port => $port, id => 0, events => [], buf => '' }, $class;
    my $ws;
    for (1 .. 200) {
        ($ws) = grep { defined } ($self->_json_list =~ /"webSocketDebuggerUrl":\s*"(ws:[^"]+\/page\/[^"]+)"/);
        last if $ws;
        sleep 0.1;
    }
    if (!$ws) {
        $@ = "chromium did not open its debugging port";
        $self->quit;
        return undef;
    }
    my ($path) = $ws =~ m{^ws://[^/]+(/.*)$};
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port, Timeout => 10)
        or do { $@ = "connect: $!"; $self->quit; return undef };
    binmode $s;
    syswrite $s, "GET $path HTTP/1.1\r\nHost: 127.0.0.1:$port\r\nUpgrade: websocket\r\n"
        . "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        . "Sec-WebSocket-Version: 13\r\n\r\n";
    my $head = '';
    while ($head !~ /\r\n\r\n/) { sysread($s, $head, 4096, length $head) or last }
    if ($head !~ m{^HTTP/1\.1 101}) {
        $@ = "no WebSocket: $head";
        $self->quit;
        return undef;
    }
    ($self->{buf}) = $head =~ /\r\n\r\n(.*)$/s;
    $self->{s} = $s;
    return $self;
}

sub _json_list {
    my ($self) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $self->{port}, Timeout => 2)
        or return '';
    syswrite $s, "GET /json/list HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    # It may keep the connection open: read what Content-Length says.
    my $out = '';
    my $end = time + 5;
    while (time < $end) {
        my $rin = '';
        vec($rin, fileno($s), 1) = 1;
        last unless select(my $rout = $rin, undef, undef, 0.5) > 0;
        last unless sysread($s, $out, 65536, length $out);
        my ($len) = $out =~ /^Content-Length:\s*(\d+)/mi;
        last if defined $len && $out =~ /\r\n\r\n/ && length($out) - $+[0] >= $len;
    }
    return $out;
}

# Sends a command; returns its result (a hash), keeping the events that
# came meanwhile.  Dies on a protocol error or after $timeout seconds.
sub call {
    my ($self, $method, $params, $timeout) = @_;
    my $id = ++$self->{id};
    my $msg = BouncerTest::encode_json({ id => $id, method => $method, params => $params || {} });
    syswrite $self->{s}, ws_frame(1, $msg, mask => 1);
    my $end = time + ($timeout // 30);
    my $text = '';
    while (time < $end) {
        my ($fin, $op, $payload) = ws_read_frame($self->{s}, \$self->{buf});
        die "chromium closed the connection" unless defined $op;
        $text .= $payload;
        next unless $fin;
        my $m = BouncerTest::decode_json($text);
        $text = '';
        if (defined $m->{id} && $m->{id} == $id) {
            die "$method: $m->{error}{message}" if $m->{error};
            return $m->{result};
        }
        push @{ $self->{events} }, $m if $m->{method};
    }
    die "$method: no answer in time";
}

sub events { @{ $_[0]{events} } }

# The value of a JavaScript expression in the page (JSON-able).
sub eval_js {
    my ($self, $expr) = @_;
    my $r = $self->call('Runtime.evaluate', { expression => $expr, returnByValue => \1 });
    die "evaluate: $r->{exceptionDetails}{text}" if $r->{exceptionDetails};
    return $r->{result}{value};
}

sub screenshot {
    my ($self, $file) = @_;
    my $r = $self->call('Page.captureScreenshot', { format => 'png' });
    open my $f, '>', $file or die "$file: $!";
    binmode $f;
    print $f decode_base64($r->{data});
    close $f;
}

sub quit {
    my ($self) = @_;
    return unless $self->{pid};
    close $self->{s} if $self->{s};
    kill 'TERM', $self->{pid};
    for (1 .. 50) {
        last if waitpid($self->{pid}, POSIX::WNOHANG()) == $self->{pid};
        sleep 0.1;
    }
    kill 'KILL', $self->{pid};
    waitpid $self->{pid}, 0;
    $self->{pid} = undef;
}

sub DESTROY { $_[0]->quit }

1;
