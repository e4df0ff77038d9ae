# Basic authentication against htpasswd files made by Apache's htpasswd in
# every format bouncer accepts; bad Authorization headers of every kind;
# strip_credentials; remembered credentials; files refused at load and on
# reload.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use Test::More;
use MIME::Base64;

my ($htpasswd) = grep { -x } map { "$_/htpasswd" } split /:/, $ENV{PATH};
plan skip_all => 'htpasswd (apache2-utils) is not installed' unless $htpasswd;

my $t = BouncerTest->new;
my $d = $t->dir;
my $users = "$d/htpasswd";
my %flag = (bc => '-B -C 5', md5 => '-m', sha1 => '-s', sha256 => '-2', sha512 => '-5');
for my $u (sort keys %flag) {
    my $c = -e $users ? '' : '-c';
    system("$htpasswd $c -b $flag{$u} $users $u pw-$u >/dev/null 2>&1") == 0
        or BAIL_OUT("htpasswd $flag{$u} failed");
}
my $file = BouncerTest::slurp($users);
like($file, qr/^bc:\$2y\$05\$/m, 'htpasswd -B wrote a bcrypt line');
like($file, qr/^md5:\$apr1\$/m, 'htpasswd -m wrote an APR1 line');
like($file, qr/^sha1:\{SHA\}/m, 'htpasswd -s wrote a {SHA} line');
like($file, qr/^sha256:\$5\$/m, 'htpasswd -2 wrote a SHA-256 crypt line');
like($file, qr/^sha512:\$6\$/m, 'htpasswd -5 wrote a SHA-512 crypt line');

my ($p, $be) = ($t->port, $t->port);
$t->backend($be);
my $conf = <<C;
upstreams = ( { name = "app"; servers = ( { address = "127.0.0.1:$be"; } ); } );
auth_policies = ( { name = "ops"; basic = { realm = "ops"; users = "$users"; }; } );
servers = (
  { listen = [ "127.0.0.1:$p" ]; auth = "ops";
    routes = ( { match = { prefix = "/strip"; }; strip_credentials = true; upstream = "app"; },
               { match = { prefix = "/inline"; };
                 auth = { basic = { realm = "inline realm"; users = "$users"; }; }; upstream = "app"; },
               { match = { prefix = "/"; }; upstream = "app";
                 request_headers = { set = [ "X-Who: \$auth_user \$auth_method" ]; }; } ); }
);
C
$t->config($conf, level => 'debug');
$t->start(ports => [$p]);

sub basic { 'Basic ' . encode_base64($_[0], '') }
sub get {
    my ($path, @h) = @_;
    my $r = http_request($p, 'GET', $path, headers => \@h);
    return $r || { status => (BouncerTest::h2_mode() ? "reset" : 0), headers => {}, body => '' };
}
sub echo { eval { BouncerTest::decode_json($_[0]{body}) } || {} }
sub hashes { my @m = $t->error_log =~ /a password hash was computed/g; scalar @m }
sub be_count { scalar $t->backend_requests($be) }

for my $u (sort keys %flag) {
    my $r = get('/x', Authorization => basic("$u:pw-$u"));
    is($r->{status}, 200, "$u: the right password passes");
    is(echo($r)->{headers}{'x-who'}, "$u basic", "$u: \$auth_user and \$auth_method");
    is(echo($r)->{headers}{authorization}, basic("$u:pw-$u"), "$u: Authorization goes on");
    $r = get('/x', Authorization => basic("$u:wrong"));
    is($r->{status}, 401, "$u: a wrong password is refused");
}
my $r = get('/x');
is($r->{status}, 401, 'no credentials: 401');
is($r->{headers}{'www-authenticate'}, 'Basic realm="ops", charset="UTF-8"', '... with the challenge');
$r = get('/inline/x');
is($r->{headers}{'www-authenticate'}, 'Basic realm="inline realm", charset="UTF-8"',
   'an inline policy has its own realm');

my $before = be_count();
my @bad = (
    ['Basic', 'the scheme alone'],
    ['Basic ', 'the scheme and a space'],
    ['Basic !!!!', 'not base64'],
    ['Basic ' . encode_base64('bc:pw-bc', '') . '=', 'bad padding'],
    ['Basic ' . substr(encode_base64('bc:pw-bc', ''), 0, -1), 'truncated base64'],
    [basic('nocolon'), 'no colon'],
    [basic(':pw-bc'), 'an empty user'],
    [basic("bc:pw-bc\x00"), 'a NUL in the password'],
    [basic("bc\x01:pw-bc"), 'a control character in the user'],
    [basic("\xff\xfe:\xc3\x28"), 'not UTF-8'],
    [basic('nobody:pw'), 'an unknown user'],
    ['Bearer abc', 'another scheme'],
    ['basic ' . encode_base64('bc:pw-bc', ''), 'the scheme in lower case (valid)', 200],
    [basic('bc:' . ('x' x 900)), 'a long password'],
    [basic('bc:pw-bc') . ', ' . basic('bc:pw-bc'), 'two credentials in one header'],
);
for my $b (@bad) {
    $r = get('/x', Authorization => $b->[0]);
    # HTTP/2 resets a stream whose field value ends in whitespace (RFC 9113 8.2.1).
    my $want = BouncerTest::h2_mode() && $b->[0] =~ /\s$/ ? 'reset' : $b->[2] // 401;
    is($r->{status}, $want, "$b->[1]: $want");
}
$r = get('/x', Authorization => basic('bc:pw-bc'), Authorization => basic('bc:pw-bc'));
is($r->{status}, 401, 'two Authorization headers: 401');
$r = get('/x', Authorization => 'Basic ' . ('A' x 70000));
is($r->{status}, 431, 'an Authorization header over max_header_size: 431');
is(be_count(), $before + 1, 'only the one valid request of them reached the backend');
like($t->error_log, qr/\[info\].*basic auth: the Authorization header is not valid base64/,
     'bad base64 is logged at info');

$r = get('/strip/x', Authorization => basic('md5:pw-md5'));
is($r->{status}, 200, 'strip_credentials: admitted');
ok(!exists echo($r)->{headers}{authorization}, '... and Authorization is not sent upstream');

# Remembered credentials: the second request with the same password costs no hash.
get('/x', Authorization => basic('bc:pw-bc'));
my $h = hashes();
$r = get('/x', Authorization => basic('bc:pw-bc'));
is($r->{status}, 200, 'a remembered credential passes');
is(hashes(), $h, '... without computing a hash');
$r = get('/x', Authorization => basic('bc:other'));
is($r->{status}, 401, 'another password for the same user is not remembered');
is(hashes(), $h + 1, '... and costs a hash');

like($t->access_log, qr/^127\.0\.0\.1 - sha1 \[/m, 'the access log names the user');

# A plain-text or DES line is refused at load, with FILE:LINE.
my $plain = "$d/plain";
system("$htpasswd -c -b -p $plain alice secret >/dev/null 2>&1");
my $bad = $conf =~ s/users = "\Q$users\E"; \}; \} \);/users = "$plain"; }; } );/r;
$t->write_file('bad.conf', "daemon = false;\n$bad");
my ($crc, $cout, $cerr) = $t->cmd('-c', "$d/bad.conf", 'check');
isnt($crc, 0, 'check refuses a plain-text htpasswd file');
like($cout . $cerr, qr/\Q$plain\E:1: /, '... naming FILE:LINE');

# A realm goes into WWW-Authenticate as a quoted-string: one that would end
# it, or end the header line, is refused at load.
for my $realm ('a\\"b', 'a\\nX-Evil: 1', 'back\\\\slash') {
    my $badrealm = $conf =~ s/realm = "ops";/realm = "$realm";/r;
    $t->write_file('bad.conf', "daemon = false;\n$badrealm");
    my ($rrc, $rout, $rerr) = $t->cmd('-c', "$d/bad.conf", 'check');
    isnt($rrc, 0, "check refuses realm = \"$realm\"");
    like($rout . $rerr, qr/bad\.conf:\d+: auth_policies\[0\]\.basic\.realm: expected a realm without quotes/,
         '... naming the file, the line and the setting');
}

# A reload that cannot read the file fails; the old users keep working.
rename $users, "$users.gone";
my ($rc) = $t->reload_config($conf, level => 'debug');
isnt($rc, 0, 'a reload with the htpasswd file gone fails');
$r = get('/x', Authorization => basic('sha512:pw-sha512'));
is($r->{status}, 200, '... and the old users still pass');

$t->done;
done_testing;
