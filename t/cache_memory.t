# The cache's memory tier: a small entry, once hit, is served from the zone's
# shared memory, not from its file (shown by scribbling over the file in
# place: the hits still bring the original bytes); a large entry is always
# served from its file (the scribble shows); copies follow the entry (purge,
# a new version after expiry), and so do the files workers keep open for
# large entries; hot_memory bounds the copies (the least recently used give
# way); hot_max_object = "0" turns the tier off; a hit sent from its file
# reaches the client with head and body in one segment; bad settings are
# refused by `bouncer check`.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use File::Find;
use IO::Socket::INET;
use Socket qw(IPPROTO_TCP);
use Test::More;
use Time::HiRes qw(sleep);

my $t = BouncerTest->new;
my $d = $t->dir;
my ($p, $be) = map { $t->port } 1 .. 2;

my $serial = 0; # the backend's, in its own process
my $big = 'B' x (40 * 1024);
$t->backend($be, sub {
    my ($r) = @_;
    my $n = ++$serial;
    return [200, ['Cache-Control' => 'max-age=600'], $big . $n] if $r->{path} =~ m{^/big\d};
    if ($r->{path} =~ m{^/bigshort}) {
        # The first version goes stale at once; the next stays fresh
        # however slowly a loaded host lets the test read it six times.
        my $again = -e "$d/bigshort-seen";
        open my $f, '>', "$d/bigshort-seen" or die;
        close $f;
        return [200, ['Cache-Control' => $again ? 'max-age=600' : 'max-age=1'], $big . $n];
    }
    return [200, ['Cache-Control' => 'max-age=1'], "short $n"] if $r->{path} =~ m{/short};
    return [200, ['Cache-Control' => 'max-age=600'], ('x' x 1500) . " $r->{path} $n"] if $r->{path} =~ m{^/bound/};
    return [200, ['Cache-Control' => 'max-age=600', 'ETag' => '"s"', 'X-Serial' => $n], "small $r->{path} $n"];
});
$t->config(<<C, workers => 2);
cache_zones = ( { name = "hot"; path = "$d/hot"; memory = "1m"; hot_max_object = "16k"; },
                { name = "bound"; path = "$d/bound"; memory = "1m"; hot_memory = "8k"; },
                { name = "cold"; path = "$d/cold"; memory = "1m"; hot_max_object = "0"; } );
upstreams = ( { name = "be"; servers = ( { address = "127.0.0.1:$be"; } ); } );
servers = ( { listen = [ "127.0.0.1:$p" ];
  routes = ( { match = { prefix = "/cold/"; }; upstream = "be"; cache = { zone = "cold"; }; },
             { match = { prefix = "/bound/"; }; upstream = "be"; cache = { zone = "bound"; }; },
             { match = { prefix = "/"; }; upstream = "be";
               cache = { zone = "hot"; purge_allow = [ "127.0.0.0/8" ]; }; } ); } );
C
$t->start(ports => [$p]);

sub get { http_request($p, 'GET', $_[0]) }
sub seen { scalar grep { $_->{path} eq $_[0] } $t->backend_requests($be) }
sub files {
    my @f;
    find(sub { push @f, $File::Find::name if -f && !/\.tmp/ }, "$d/$_[0]") if -d "$d/$_[0]";
    return @f;
}
# Overwrites the last 8 bytes of every stored file in place (same inode, same
# size): what is served from a file shows it, what is served from memory not.
sub scribble {
    for my $f (files($_[0])) {
        open my $h, '+<', $f or die "$f: $!";
        seek $h, -8, 2;
        print $h 'ZZZZZZZZ';
        close $h;
    }
}
sub scribbled { ($_[0] // '') =~ /ZZZZZZZZ$/ }

# Small: MISS, then a HIT from the file (which puts it in memory), then the
# file is scribbled over and the hits go on, from memory, in both workers.
my $r = get('/s1');
is($r->{headers}{'x-cache-status'}, 'MISS', 'small: first request MISS');
my $body = $r->{body};
$r = get('/s1');
is($r->{headers}{'x-cache-status'}, 'HIT', 'small: then HIT');
is(scalar(files('hot')), 1, 'small: stored on disk');
scribble('hot');
my ($hits, $same) = (0, 0);
for (1 .. 10) {
    $r = get('/s1');
    $hits++ if ($r->{headers}{'x-cache-status'} // '') eq 'HIT';
    $same++ if $r->{body} eq $body && $r->{headers}{'x-serial'} eq '1';
}
is($hits, 10, 'small: every request is a HIT');
is($same, 10, 'small: the original body and headers each time, not the file\'s scribble (from memory)');
is(seen('/s1'), 1, 'small: the backend was asked once');
$r = http_request($p, 'HEAD', '/s1');
is($r->{status}, 200, 'small: HEAD from memory');
is($r->{headers}{'content-length'}, length $body, 'small: HEAD has the length');
is($r->{body}, '', 'small: and no body');
$r = http_request($p, 'GET', '/s1', headers => ['If-None-Match' => '"s"']);
is($r->{status}, 304, 'small: conditional GET from memory: 304');

# Purge drops the copy too.
is(http_request($p, 'PURGE', '/s1')->{status}, 200, 'purge: 200');
$r = get('/s1');
is($r->{headers}{'x-cache-status'}, 'MISS', 'purge: the next request is a MISS');
is(seen('/s1'), 2, 'purge: and reaches the backend');

# Large (above hot_max_object): always from its file.
$r = get('/big1');
my $first = $r->{body};
ok(length $first > length $big && substr($first, 0, length $big) eq $big, 'large: MISS, whole');
$r = get('/big1');
is($r->{headers}{'x-cache-status'}, 'HIT', 'large: HIT');
ok($r->{body} eq $first, 'large: the stored body, whole');
scribble('hot');
($hits, $same) = (0, 0);
for (1 .. 6) {
    $r = get('/big1');
    $hits++ if ($r->{headers}{'x-cache-status'} // '') eq 'HIT';
    $same++ if scribbled($r->{body}) && length $r->{body} == length $first;
}
is($hits, 6, 'large: HITs');
is($same, 6, 'large: each from its file (the scribble shows), never from memory');

# A large entry's file kept open by a worker serves only its own version:
# after expiry the new version is fetched, stored and served.
my $v1 = get('/bigshort')->{body};
is(get('/bigshort')->{headers}{'x-cache-status'}, 'HIT', 'kept file: HIT');
get('/bigshort') for 1 .. 4; # both workers keep it open
sleep 2.2;
my $v2 = get('/bigshort')->{body};
ok($v2 ne $v1, 'kept file: a new version once stale');
my $k = 0;
for (1 .. 6) { $r = get('/bigshort'); $k++ if $r->{body} eq $v2 && $r->{headers}{'x-cache-status'} eq 'HIT' }
is($k, 6, 'kept file: every later HIT is the new version, in every worker');
is(http_request($p, 'PURGE', '/bigshort')->{status}, 200, 'kept file: purge');
is(get('/bigshort')->{headers}{'x-cache-status'}, 'MISS', 'kept file: after purge, a MISS');

# A new version after expiry replaces the copy in memory.
$r = get('/v/short');
$r = get('/v/short');
is($r->{headers}{'x-cache-status'}, 'HIT', 'expiry: HIT while fresh');
my $old = $r->{body};
sleep 2.2;
$r = get('/v/short');
isnt($r->{body}, $old, 'expiry: a new version once stale');
my $new = $r->{body};
$r = get('/v/short');
is($r->{body}, $new, 'expiry: and the new version is what hits serve');

# The tier is off with hot_max_object = "0".
get('/cold/a');
get('/cold/a');
scribble('cold');
$r = get('/cold/a');
is($r->{headers}{'x-cache-status'}, 'HIT', 'tier off: HIT');
ok(scribbled($r->{body}), 'tier off: from the file, no copy in memory');

# A hit from a file leaves with sendfile(); its head must ride in the body's
# first segment, not go alone (a wakeup and an ACK more for the client per
# response).  Counted by the client: TCP_INFO's tcpi_data_segs_in, on one
# keep-alive connection whose first response opened the receive window.
use constant TCP_INFO => 11;    # linux/tcp.h
sub data_segs_in { unpack('x152 L', getsockopt($_[0], IPPROTO_TCP, TCP_INFO) // die "TCP_INFO: $!") }
sub ka_get {
    my ($s, $path) = @_;
    my ($raw, $resp) = ('');
    syswrite $s, "GET $path HTTP/1.1\r\nHost: localhost\r\n\r\n";
    until (($resp = parse_response($raw)) && defined $resp->{headers}{'content-length'}
           && length $resp->{body} == $resp->{headers}{'content-length'}) {
        sysread($s, $raw, 65536, length $raw) or last;
    }
    return $resp;
}
get($_) for qw(/big3 /cold/seg);
my $ka = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $p) or die;
ka_get($ka, '/big3');
for my $path (qw(/cold/seg /big3 /cold/seg /big3)) {
    my $before = data_segs_in($ka);
    $r = ka_get($ka, $path);
    is($r->{headers}{'x-cache-status'}, 'HIT', "one segment: $path is a HIT from its file");
    is(data_segs_in($ka) - $before, 1, "one segment: head and body of $path in one segment");
}
close $ka;

# hot_memory = "8k" and ~1.6 KiB entries (2 KiB slab chunks): at most four
# copies; the least recently used give way.
for my $i (1 .. 8) { get("/bound/$i") for 1 .. 2 }
scribble('bound');
my @kept = grep { !scribbled(get("/bound/$_")->{body}) } reverse 1 .. 8;
ok(@kept >= 1 && @kept <= 4, 'bound: only what hot_memory holds stays in memory (' . scalar(@kept) . ' of 8)');
ok(scalar(grep { $_ >= 5 } @kept) == scalar(@kept), 'bound: and it is the most recently used');

# Settings checked.
for my $bad (['hot_max_object = "2m";', qr/hot_max_object.*at most "1m"/],
             ['hot_memory = "900k";', qr/hot_memory.*three quarters/]) {
    $t->write_file('bad.conf', <<C);
cache_zones = ( { name = "z"; path = "$d/z"; memory = "1m"; $bad->[0] } );
upstreams = ( { name = "be"; servers = ( { address = "127.0.0.1:$be"; } ); } );
servers = ( { listen = [ "127.0.0.1:$p" ]; routes = ( { match = { prefix = "/"; }; upstream = "be"; } ); } );
C
    my ($rc, $out, $err) = $t->cmd('-c', "$d/bad.conf", 'check');
    is($rc, 1, "check refuses $bad->[0]");
    like($out . $err, $bad->[1], "and says why: $bad->[0]");
}

$t->done;
done_testing;
