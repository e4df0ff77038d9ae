# API keys: from a header or a query argument, plain or as a SHA-256 in the
# keys file; $api_key_name; strip_credentials for both places; the
# challenge; bad files refused at load.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use Test::More;
use Digest::SHA qw(sha256_hex);

my $t = BouncerTest->new;
my $d = $t->dir;
$t->write_file('api-keys', "# partners\npartner:k-partner-123\n\nhashed:sha256:"
               . sha256_hex('k-hashed-456') . "\n");
my ($p, $be) = ($t->port, $t->port);
$t->backend($be);
my $conf = <<C;
upstreams = ( { name = "app"; servers = ( { address = "127.0.0.1:$be"; } ); } );
auth_policies = (
  { name = "partners"; api_key = { keys = "$d/api-keys"; }; },
  { name = "byquery"; api_key = { keys = "$d/api-keys"; from = [ "query:api_key" ]; }; }
);
servers = (
  { listen = [ "127.0.0.1:$p" ];
    routes = ( { match = { prefix = "/q/strip"; }; auth = "byquery"; strip_credentials = true; upstream = "app"; },
               { match = { prefix = "/q"; }; auth = "byquery"; upstream = "app"; },
               { match = { prefix = "/strip"; }; auth = "partners"; strip_credentials = true; upstream = "app"; },
               { match = { prefix = "/"; }; auth = "partners"; upstream = "app";
                 request_headers = { set = [ "X-Key: \$api_key_name \$auth_user \$auth_method" ]; }; } ); }
);
C
$t->config($conf);
$t->start(ports => [$p]);

sub get { http_request($p, 'GET', $_[0], headers => [ @_[1 .. $#_] ]) || { status => (BouncerTest::h2_mode() ? "reset" : 0), headers => {} } }
sub echo { eval { BouncerTest::decode_json($_[0]{body}) } || {} }
sub be_count { scalar $t->backend_requests($be) }

my $r = get('/x', 'X-API-Key' => 'k-partner-123');
is($r->{status}, 200, 'a plain key passes');
is(echo($r)->{headers}{'x-key'}, 'partner partner api_key', '$api_key_name, $auth_user, $auth_method');
is(echo($r)->{headers}{'x-api-key'}, 'k-partner-123', 'the key goes on without strip_credentials');
$r = get('/x', 'X-API-Key' => 'k-hashed-456');
is($r->{status}, 200, 'a key given by its SHA-256 passes');
is(echo($r)->{headers}{'x-key'}, 'hashed hashed api_key', '... under its name');

my $before = be_count();
$r = get('/x');
is($r->{status}, 401, 'no key: 401');
is($r->{headers}{'www-authenticate'}, 'ApiKey realm="partners", header="X-API-Key"', '... with the challenge');
for my $k ('k-partner-12', 'k-partner-1234', 'K-PARTNER-123', '', 'partner', 'sha256:' . sha256_hex('k-hashed-456'),
           "k-partner-123\x01") {
    $r = get('/x', 'X-API-Key' => $k);
    # A control in a field: 400 in HTTP/1.1; in HTTP/2 the stream is reset.
    my $bad = BouncerTest::h2_mode() ? 'reset' : 400;
    is($r->{status}, $k =~ /\x01/ ? $bad : 401, "a wrong key ('" . ($k =~ s/[^ -~]/?/gr) . "') is refused");
}
is(be_count(), $before, 'no refused request reached the backend');

$r = get('/q/x?a=1&api_key=k-partner-123&b=2');
is($r->{status}, 200, 'a key from the query');
is(echo($r)->{path}, '/q/x?a=1&api_key=k-partner-123&b=2', '... stays in the target without strip');
$r = get('/q/x?api_key=nope');
is($r->{status}, 401, 'a wrong key from the query: 401');
is($r->{headers}{'www-authenticate'}, 'ApiKey realm="byquery", query="api_key"', '... the challenge names the argument');
$r = get('/q/strip/x?a=1&api_key=k-partner-123&b=2');
is($r->{status}, 200, 'strip_credentials with a query key');
is(echo($r)->{path}, '/q/strip/x?a=1&b=2', '... the argument is gone, the others stay');
$r = get('/q/strip/x?api_key=k-partner-123');
is(echo($r)->{path}, '/q/strip/x', '... and a query of only the key goes whole');
$r = get('/strip/x', 'X-API-Key' => 'k-partner-123');
ok(!exists echo($r)->{headers}{'x-api-key'}, 'strip_credentials with a header key: the header is gone');

# Bad files: refused by check with FILE:LINE.
for my $bad (["dup:a\ndup:b\n", 2, 'a duplicate name'], ["x:sha256:zz\n", 1, 'bad hex'],
             ["nocolon\n", 1, 'no colon'], ["a:k1\nb:k1\n", 2, 'a duplicate key']) {
    $t->write_file('bad-keys', $bad->[0]);
    $t->write_file('bad.conf', "daemon = false;\n" . ($conf =~ s{\Q$d\E/api-keys}{$d/bad-keys}gr));
    my ($rc, $out, $err) = $t->cmd('-c', "$d/bad.conf", 'check');
    isnt($rc, 0, "check refuses a keys file with $bad->[2]");
    like($out . $err, qr/\Q$d\E\/bad-keys:$bad->[1]: /, '... naming FILE:LINE');
}

$t->done;
done_testing;
