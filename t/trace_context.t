# W3C Trace Context (log.trace_context, on by default): a valid traceparent
# from the client is continued (its trace id and flags, a span id of
# bouncer's own as the parent-id the upstream gets) with its tracestate;
# one that is invalid or absent is replaced by a fresh one (flags 00) and
# its tracestate dropped.  The trace id is the JSON log's trace_id and
# $trace_id.  Off, both headers pass through untouched and nothing is made.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use JSON::PP;
use Test::More;

my $t = BouncerTest->new;
my ($p, $be) = ($t->port, $t->port);
$t->backend($be);
my $body = <<C;
upstreams = ( { name = "app"; servers = ( { address = "127.0.0.1:$be"; } ); } );
servers = ( { listen = [ "127.0.0.1:$p" ];
  routes = ( { match = { exact = "/local"; }; respond = { status = 200; body = "hi\\n"; }; },
             { match = { prefix = "/"; }; upstream = "app"; } ); } );
C
$t->config($body, access_format => 'json', workers => 2);
$t->start(ports => [$p]);

my $seq = 0;
# One request with these header lines: what the backend got (its
# traceparent and tracestate lines) and the access log's line.
sub one {
    my ($path, @lines) = @_;
    my $tag = "t" . ++$seq;
    my $raw = raw_request($p, "GET $path?seq=$tag HTTP/1.1\r\nHost: localhost\r\n"
                             . join('', map { "$_\r\n" } @lines) . "Connection: close\r\n\r\n");
    my $r = parse_response($raw);
    my $line;
    wait_until(sub { ($line) = grep { /seq=$tag"/ } split /\n/, $t->access_log; $line }, 5);
    my ($b) = -e $t->dir . "/backend-$be.log"
        ? grep { $_->{path} =~ /seq=$tag$/ } $t->backend_requests($be) : ();
    my %got = (parent => [], state => []);
    if ($b) {
        for (@{ $b->{raw_headers} }) {
            push @{ $got{parent} }, $1 if /^traceparent:\s*(.*)$/i;
            push @{ $got{state} }, $1 if /^tracestate:\s*(.*)$/i;
        }
    }
    return ($r, \%got, $line ? decode_json($line) : undef);
}

my $tid = '4bf92f3577b34da6a3ce929d0e0e4736';
my $pid = '00f067aa0ba902b7';

# A valid one is continued.
my ($r, $g, $j) = one('/a', "traceparent: 00-$tid-$pid-01", 'tracestate: congo=t61rcWkgMzE',
                      'tracestate: rojo=00f067aa0ba902b7');
is($r->{status}, 200, 'proxied');
is(scalar @{ $g->{parent} }, 1, 'the upstream gets one traceparent');
my ($v, $t2, $span, $fl) = split /-/, $g->{parent}[0] // '';
is("$v-$t2", "00-$tid", '... with the same trace id');
like($span, qr/^[0-9a-f]{16}$/, '... a span id');
isnt($span, $pid, "... bouncer's own, not the client's parent-id");
isnt($span, '0' x 16, '... not all zero');
is($fl, '01', '... the flags kept');
is_deeply($g->{state}, ['congo=t61rcWkgMzE, rojo=00f067aa0ba902b7'],
          'its tracestate lines go on, as one');
is($j->{trace_id}, $tid, "the log's trace_id");
my ($r2, $g2) = one('/a', "traceparent: 00-$tid-$pid-00");
my $span2 = (split /-/, $g2->{parent}[0] // '')[2];
isnt($span2, $span, 'a new span id for every request');
like($g2->{parent}[0], qr/-00$/, 'flags 00 kept too');

# A later version: its first four fields are read, it goes on as version 00
# with the sampled flag alone (the one a later version is known to share).
($r, $g, $j) = one('/a', "traceparent: cc-$tid-$pid-09-what-the-future-holds", 'tracestate: a=1');
like($g->{parent}[0] // '', qr/^00-$tid-[0-9a-f]{16}-01$/, 'version cc: continued as 00, sampled kept');
is_deeply($g->{state}, ['a=1'], '... with its tracestate');
($r, $g, $j) = one('/a', "traceparent: 01-$tid-$pid-02");
like($g->{parent}[0] // '', qr/^00-$tid-[0-9a-f]{16}-00$/, 'version 01 of 55 characters: continued');

# Invalid ones are replaced, and their tracestate dropped.
my %seen;
for my $case ([ "traceparent: 00-" . uc($tid) . "-$pid-01", 'upper-case hex' ],
              [ "traceparent: 00-" . ('0' x 32) . "-$pid-01", 'an all-zero trace id' ],
              [ "traceparent: 00-$tid-" . ('0' x 16) . "-01", 'an all-zero parent id' ],
              [ "traceparent: 00-" . substr($tid, 1) . "-$pid-01", 'a trace id one short' ],
              [ "traceparent: 00-$tid-${pid}0-01", 'a parent id one long' ],
              [ "traceparent: 00-$tid-$pid-1", 'flags one short' ],
              [ "traceparent: 00-$tid-$pid-0g", 'flags not hex' ],
              [ "traceparent: 00-$tid-$pid-01-extra", 'version 00 with more after it' ],
              [ "traceparent: ff-$tid-$pid-01", 'version ff' ],
              [ "traceparent: cc-$tid-$pid-01.x", 'a later version, no "-" after the flags' ],
              [ "traceparent: 0-$tid-$pid-01", 'a version of one digit' ],
              [ "traceparent: 00_${tid}_${pid}_01", 'other separators' ],
              [ "traceparent: 00-$tid-$pid-01", "traceparent: 00-$tid-$pid-01", 'two lines' ],
              [ 'traceparent:', 'empty' ],
              [ 'none at all' ]) {
    my $name = pop @$case;
    ($r, $g, $j) = one('/a', @$case, 'tracestate: k=v');
    is(scalar @{ $g->{parent} }, 1, "$name: one traceparent upstream");
    my ($fv, $ft, $fs, $ff) = split /-/, $g->{parent}[0] // '';
    ok($fv eq '00' && $ft =~ /^[0-9a-f]{32}$/ && $ft ne $tid && $ft ne '0' x 32
       && $fs =~ /^[0-9a-f]{16}$/ && $fs ne '0' x 16, "$name: a fresh one");
    is($ff, '00', "$name: flags 00");
    is_deeply($g->{state}, [], "$name: no tracestate");
    is($j->{trace_id}, $ft, "$name: the log's trace_id is the fresh one");
    $seen{$ft}++;
}
is(scalar keys %seen, 15, 'every fresh trace id is new');

# Bouncer's own answer still has a trace id in the log.
($r, $g, $j) = one('/local', "traceparent: 00-$tid-$pid-01");
is($j->{trace_id}, $tid, 'a fixed response logs the trace id too');

# Fresh ids from both workers, on many connections: none repeats.
my %ids;
my @res = http_parallel($p, [ map { [ 'GET', "/many?n=$_" ] } 1 .. 40 ]);
ok(wait_until(sub { (() = $t->access_log =~ /"\/many\?n=/g) == 40 }, 10), 'forty more lines');
for my $l (grep { /"\/many\?n=/ } split /\n/, $t->access_log) {
    my $x = decode_json($l);
    $ids{$x->{trace_id}}++;
    $ids{"w$x->{worker_pid}"} = 1;
}
my @spans = map { (split /-/, $_->{headers}{traceparent} // '')[2] // '' }
    grep { $_->{path} =~ /^\/many/ } $t->backend_requests($be);
my %sp = map { $_ => 1 } @spans;
is(scalar keys %sp, 40, 'and forty span ids');

# Each new worker draws its own ids: the first fresh trace id of every
# generation differs (a generator seeded before fork would repeat it).
$t->stop;
$t->config($body, access_format => 'json');
$t->start(ports => [$p]);
my @first;
for my $gen (1 .. 3) {
    if ($gen > 1) {
        my ($rc, $err, $took) = $t->reload_config($body, access_format => 'json');
        ok($took, "reload $gen: new workers") or diag($err);
    }
    ($r, $g, $j) = one('/a');
    push @first, $j->{trace_id};
}
my %f = map { $_ => 1 } grep { defined } @first;
is(scalar keys %f, 3, "three generations' first trace ids: all different");

# Off: what the client sent goes on untouched, and nothing is made.
$t->stop;
$t->config($body, access_format => 'json');
my $conf = BouncerTest::slurp($t->dir . '/bouncer.conf');
$conf =~ s/(log = \{)/$1\n  trace_context = false;/;
$t->write_file('bouncer.conf', $conf);
$t->start(ports => [$p]);
($r, $g, $j) = one('/a', "traceparent: 00-" . uc($tid) . "-$pid-01", 'tracestate: k=v',
                   'tracestate: k2=v2');
is_deeply($g->{parent}, ["00-" . uc($tid) . "-$pid-01"], 'off: even an invalid traceparent passes as it came');
is_deeply($g->{state}, ['k=v', 'k2=v2'], 'off: tracestate lines too');
is($j->{trace_id}, undef, 'off: no trace_id logged');
($r, $g, $j) = one('/a');
is_deeply($g->{parent}, [], 'off: none made');
is_deeply($g->{state}, [], 'off: no tracestate');

$t->done;
done_testing;
