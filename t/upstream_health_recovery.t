# Passive health must not leave a worker failing every request for a while
# after its backends come back: the last server standing is never marked
# down (with every server down nothing could take requests until
# fail_timeout, however soon they return), and a pooled connection the
# backend closed under a request that cannot be replayed is the keep-alive
# race, not a failure of the server.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use Test::More;

my $t = BouncerTest->new;
my ($p, $a, $b, $s1, $s2) = map { $t->port } 1 .. 5;
my $answer = sub { [200, [], "$_[0]{port}"] };
$t->backend($_, $answer) for $a, $b, $s2;
# Answers the first request of each connection; on a later one it closes
# without a word, as a backend whose keep-alive timer just fired.
$t->backend($s1, sub { $_[0]{nth} > 1 ? { close => 1 } : [200, [], "$_[0]{port}"] });
$t->config(<<C);
upstreams = ( { name = "two"; keepalive = 0;
                servers = ( { address = "127.0.0.1:$a"; fail_timeout = "30s"; },
                            { address = "127.0.0.1:$b"; fail_timeout = "30s"; } ); },
              { name = "pool"; servers = ( { address = "127.0.0.1:$s1"; fail_timeout = "30s"; },
                                           { address = "127.0.0.1:$s2"; fail_timeout = "30s"; } ); } );
servers = ( { listen = [ "127.0.0.1:$p" ];
  routes = ( { match = { prefix = "/pool"; }; upstream = "pool"; },
             { match = { prefix = "/"; }; upstream = "two"; } ); } );
C
$t->start(ports => [$p]);

# Both backends die for a moment.
is(http_request($p, 'GET', '/')->{status}, 200, 'both servers answer at first');
$t->stop_backend($_) for $a, $b;
is(http_request($p, 'GET', '/')->{status}, 502, 'with both gone: 502');
$t->backend($_, $answer) for $a, $b;
my @after = map { http_request($p, 'GET', '/')->{status} } 1 .. 4;
is(join(',', @after), '200,200,200,200', 'once they are back, requests succeed at once, not after fail_timeout');
my $log = $t->error_log;
my @down = $log =~ /upstream server 127\.0\.0\.1:(?:$a|$b) of "two" is down/g;
is(scalar @down, 1, 'the first to fail was marked down, the last standing was not');
unlike($log, qr/no live upstreams/, 'no request found every server down');

# The keep-alive race with a POST: 502 (it cannot be replayed), and the
# server is not held to blame.
is(http_request($p, 'GET', '/pool/a')->{body}, $s1, 'a pooled connection to the first server');
is(http_request($p, 'GET', '/pool/b')->{body}, $s2, 'and one to the second');
is(http_request($p, 'POST', '/pool/c', body => 'x')->{status}, 502, 'a POST meets the closed pooled connection: 502');
unlike($t->error_log, qr/upstream server 127\.0\.0\.1:$s1 of "pool" is down/, 'and the server is not marked down for it');
is(http_request($p, 'GET', '/pool/d')->{body}, $s2, 'round robin goes on');
is(http_request($p, 'GET', '/pool/e')->{body}, $s1, 'to both servers');

$t->done;
done_testing;
