# The credential files as the real tools write them: Apache's htpasswd
# (apache2-utils) in each of its formats, read and checked through
# common/htpasswd.c by the driver objs/t/pw_check; and an API keys file.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use Digest::SHA qw(sha256_hex);
use POSIX ();
use Test::More;

my $t = BouncerTest->new;
my $dir = $t->dir;
my $check = BouncerTest->root . '/objs/t/pw_check';
plan skip_all => 'htpasswd is not installed (make test installs apache2-utils)'
    unless grep { -x "$_/htpasswd" } split /:/, $ENV{PATH};
BAIL_OUT("$check is not built (make unit builds it)") unless -x $check;

# Runs @cmd with $stdin as its input: (exit status, stdout, stderr).
sub run {
    my ($stdin, @cmd) = @_;
    $t->write_file('in', $stdin);
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        open STDIN, '<', "$dir/in" or POSIX::_exit(126);
        open STDOUT, '>', "$dir/out" or POSIX::_exit(126);
        open STDERR, '>', "$dir/err" or POSIX::_exit(126);
        exec @cmd or POSIX::_exit(127);
    }
    waitpid $pid, 0;
    return ($? >> 8, BouncerTest::slurp("$dir/out"), BouncerTest::slurp("$dir/err"));
}

# Adds (or replaces) $user with $pw in $file, with htpasswd's @flags.
sub htpasswd {
    my ($file, $user, $pw, @flags) = @_;
    my @c = -e "$dir/$file" ? () : ('-c');
    my ($rc, undef, $err) = run($pw, 'htpasswd', @c, '-i', @flags, "$dir/$file", $user);
    $rc == 0 or die "htpasswd @flags $file $user: $err";
}

sub check {
    my ($file, $user, $pw) = @_;
    my ($rc, $out, $err) = run($pw, $check, "$dir/$file", $user);
    chomp $out;
    return ($rc, $out, $err);
}

my @formats = (
    [ 'bcrypt cost 4', 'bcrypt', '-B', '-C', '4' ],
    [ 'bcrypt cost 12', 'bcrypt', '-B', '-C', '12' ],
    [ 'bcrypt, the default cost', 'bcrypt', '-B' ],
    [ 'APR1 (-m, the default)', 'apr1', '-m' ],
    [ '{SHA}', 'sha1', '-s' ],
    [ 'SHA-256 crypt', 'sha256', '-2' ],
    [ 'SHA-256 crypt, rounds=1000', 'sha256', '-2', '-r', '1000' ],
    [ 'SHA-512 crypt', 'sha512', '-5' ],
    [ 'SHA-512 crypt, rounds=20000', 'sha512', '-5', '-r', '20000' ],
);
my $i = 0;
for my $f (@formats) {
    my ($name, $kind, @flags) = @$f;
    my $file = 'users' . $i++;
    my $pw = "s3cret pass \x{e9}t\x{e9} $i";
    htpasswd($file, 'alice', $pw, @flags);
    htpasswd($file, 'bob', 'hunter2', @flags);
    my ($rc, $out) = check($file, 'alice', $pw);
    ok($rc == 0 && $out eq $kind, "$name: the right password ($kind)") or diag("rc $rc, $out");
    ($rc) = check($file, 'alice', "${pw}x");
    is($rc, 1, "$name: a wrong password");
    ($rc) = check($file, 'alice', 'hunter2');
    is($rc, 1, "$name: another user's password");
    ($rc) = check($file, 'bob', 'hunter2');
    is($rc, 0, "$name: the second user");
    ($rc) = check($file, 'carol', 'hunter2');
    is($rc, 3, "$name: a user who is not there");
}

# One file of every format, then a password changed in place.
for my $f (@formats) {
    my ($name, $kind, @flags) = @$f;
    next if grep { $_ eq '12' } @flags;
    htpasswd('mixed', $kind . scalar(@flags), "pw-$kind", @flags);
}
for my $f (@formats) {
    my ($name, $kind, @flags) = @$f;
    next if grep { $_ eq '12' } @flags;
    my ($rc, $out, $err) = check('mixed', $kind . scalar(@flags), "pw-$kind");
    ok($rc == 0 && $out eq $kind, "a file of every format: $name") or diag("rc $rc: $out $err");
}
htpasswd('mixed', 'apr11', 'changed', '-B');
my ($rc, $out) = check('mixed', 'apr11', 'changed');
ok($rc == 0 && $out eq 'bcrypt', 'a password changed with htpasswd -B is bcrypt now');
($rc) = check('mixed', 'apr11', 'pw-apr1');
is($rc, 1, 'and the old one fails');

# Plain text (-p) and DES crypt (-d) are refused where they are.
for my $f ([ 'plain text', '-p' ], [ 'DES crypt', '-d' ]) {
    my ($name, $flag) = @$f;
    my $file = "refused$flag";
    htpasswd($file, 'alice', 'good', '-B', '-C', '4');
    htpasswd($file, 'bob', 'badpass', $flag);
    my ($rc2, $out2, $err) = check($file, 'alice', 'good');
    is($rc2, 2, "$name: the file does not load");
    like($err, qr{^\Q$dir/$file\E:2: a plain-text password or a DES crypt hash \(the two cannot be told apart},
         "$name: FILE:LINE and why");
    like($err, qr/make a bcrypt hash with htpasswd -B/, "$name: and what to do");
}

# An API keys file: keys, and digests of keys that are not written down.
my $key = 'Zm9vYmFy-0123456789abcdef';
$t->write_file('keys', "# partners\nacme:$key\r\nglobex:sha256:" . sha256_hex('globex-secret') . "\n");
($rc, $out) = run($key, $check, '-k', "$dir/keys");
ok($rc == 0 && $out eq "acme\n", 'an API key names its entry');
($rc, $out) = run('globex-secret', $check, '-k', "$dir/keys");
ok($rc == 0 && $out eq "globex\n", 'a key given by its SHA-256');
($rc) = run("${key}x", $check, '-k', "$dir/keys");
is($rc, 1, 'a wrong key matches nothing');
$t->write_file('badkeys', "acme:$key\nglobex:sha256:1234\n");
my $err;
($rc, undef, $err) = run($key, $check, '-k', "$dir/badkeys");
ok($rc == 2 && $err =~ /^\Q$dir\E\/badkeys:2: sha256: takes 64 hex digits/, 'a bad digest: FILE:LINE')
    or diag($err);

done_testing;
