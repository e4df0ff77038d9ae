# RedisServer: a real redis-server (Debian's package) for a test: on a free
# port and a unix socket in the test's folder, with its own config and
# folder, nothing saved to disk; stopped when the object goes.  cmd() talks
# RESP over a socket of its own, so no redis-cli is needed.
package RedisServer;

use strict;
use warnings;
use IO::Socket::INET;
use IO::Socket::UNIX;
use POSIX qw(:sys_wait_h);
use Time::HiRes qw(sleep time);

sub binary {
    for my $b ('/usr/bin/redis-server', split(/:/, $ENV{PATH} // '')) {
        my $p = -d $b ? "$b/redis-server" : $b;
        return $p if -x $p && $p =~ /redis-server$/;
    }
    return undef;
}

# new(dir => ..., port => ..., name => 'r1', password => 'x', conf => "extra lines")
sub new {
    my ($class, %opt) = @_;
    my $name = $opt{name} // 'redis';
    my $dir = "$opt{dir}/$name";
    mkdir $dir;
    my $self = bless {
        %opt,
        dir => $dir,
        socket => "$dir/redis.sock",
        owner => $$,
    }, $class;
    $self->start;
    return $self;
}

sub port { $_[0]{port} }
sub socket_path { $_[0]{socket} }
sub pid { $_[0]{pid} }
sub log { my $f = "$_[0]{dir}/redis.log"; open my $h, '<', $f or return ''; local $/; <$h> // '' }

# Starts it afresh (nothing is kept across a restart) and waits until it
# answers PING.
sub start {
    my ($self) = @_;
    my $d = $self->{dir};
    my $conf = "port $self->{port}\nbind 127.0.0.1\nprotected-mode no\ndir $d\n"
        . "save \"\"\nappendonly no\nunixsocket $self->{socket}\nunixsocketperm 777\n"
        . "logfile $d/redis.log\ndaemonize no\n";
    if (defined $self->{password}) {
        (my $q = $self->{password}) =~ s/(["\\])/\\$1/g;
        $conf .= "requirepass \"$q\"\n";
    }
    $conf .= $self->{conf} // '';
    open my $f, '>', "$d/redis.conf" or die "$d/redis.conf: $!";
    print $f $conf;
    close $f;
    my $bin = binary() or die "redis-server is not installed (apt-get install redis-server)";
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        open STDIN, '<', '/dev/null';
        open STDOUT, '>>', "$d/redis.out";
        open STDERR, '>&', \*STDOUT;
        exec $bin, "$d/redis.conf" or die "exec $bin: $!";
    }
    $self->{pid} = $pid;
    my $deadline = time + 10;
    while (time < $deadline) {
        my $r = eval { $self->cmd('PING') };
        return $self if defined $r && $r eq 'PONG';
        die "redis-server exited: " . $self->log if waitpid($pid, WNOHANG) == $pid;
        sleep 0.02;
    }
    die "redis-server did not answer within 10 s: " . $self->log;
}

sub stop {
    my ($self, $sig) = @_;
    return unless $self->{pid};
    kill 'CONT', $self->{pid};
    kill $sig // 'TERM', $self->{pid};
    waitpid $self->{pid}, 0;
    $self->{pid} = undef;
    close $self->{sock} if $self->{sock};
    $self->{sock} = undef;
}

sub signal { kill $_[1], $_[0]{pid} }

sub _read_line {
    my ($self) = @_;
    while ($self->{buf} !~ /\r\n/) {
        my $n = sysread($self->{sock}, $self->{buf}, 65536, length $self->{buf});
        die "redis closed the connection\n" unless $n;
    }
    $self->{buf} =~ s/^(.*?)\r\n//s;
    return $1;
}

sub _read_reply {
    my ($self) = @_;
    my $l = $self->_read_line;
    my ($t, $v) = (substr($l, 0, 1), substr($l, 1));
    return $v if $t eq '+' || $t eq ':';
    return "ERROR $v" if $t eq '-';
    if ($t eq '$') {
        return undef if $v < 0;
        while (length $self->{buf} < $v + 2) {
            my $n = sysread($self->{sock}, $self->{buf}, 65536, length $self->{buf});
            die "redis closed the connection\n" unless $n;
        }
        my $s = substr($self->{buf}, 0, $v);
        substr($self->{buf}, 0, $v + 2) = '';
        return $s;
    }
    if ($t eq '*') {
        return undef if $v < 0;
        return [ map { $self->_read_reply } 1 .. $v ];
    }
    die "redis: a reply of unknown type: $l\n";
}

# One command on the test's own connection (made, and AUTHed, on first
# use); returns its reply: a string, a number, "ERROR ..." or an array.
sub cmd {
    my ($self, @args) = @_;
    if (!$self->{sock}) {
        $self->{sock} = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $self->{port},
                                              Timeout => 5)
            or die "connect to redis: $!\n";
        $self->{buf} = '';
        if (defined $self->{password}) {
            my $p = $self->{password};
            syswrite($self->{sock}, "*2\r\n\$4\r\nAUTH\r\n\$" . length($p) . "\r\n$p\r\n");
            $self->_read_reply;
        }
    }
    my $req = '*' . @args . "\r\n" . join('', map { '$' . length($_) . "\r\n$_\r\n" } @args);
    syswrite($self->{sock}, $req) == length $req or die "write to redis: $!\n";
    return $self->_read_reply;
}

# INFO commandstats as { evalsha => calls, script|load => calls, ... }.
sub commandstats {
    my ($self) = @_;
    my %calls;
    for (split /\r?\n/, $self->cmd('INFO', 'commandstats')) {
        $calls{$1} = $2 if /^cmdstat_([^:]+):calls=(\d+)/;
    }
    return \%calls;
}

sub DESTROY {
    my ($self) = @_;
    $self->stop if ($self->{owner} // 0) == $$;
}

1;
