# etc/bouncer.conf.example, the annotated reference: it passes check as it
# is, and again with its commented-out settings (TLS) put in, given the
# files they name; and it names every setting the loader accepts, as read
# from the loader's own lists in common/conf*.c (LoaderSettings.pm), so it
# cannot fall behind.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use TestCerts qw(new_ca new_cert);
use LoaderSettings;
use File::Copy qw(copy);
use Test::More;

my $t = BouncerTest->new;
my $d = $t->dir;
my $root = BouncerTest->root;
my $example = "$root/etc/bouncer.conf.example";

my ($rc, $out, $err) = $t->cmd('-c', $example, 'check');
is($rc, 0, 'etc/bouncer.conf.example passes check') or diag($err);

# The commented-out settings: a line "#name = ...", with no space after the
# "#"; when it opens a group or a list ("#tls = {", "#auth_policies = ("),
# every line down to the "#};" or "#);" under it.
my $text = BouncerTest::slurp($example);
my ($full, $open) = ('', undef);
for my $l (split /^/, $text) {
    if (defined $open) {
        $l =~ s/^([ \t]*)#/$1/;
        $open = undef if $l =~ /^\Q$open\E[})];/;
    } elsif ($l =~ s/^([ \t]*)#(?=\w+ = )/$1/) {
        my $indent = $1;
        $open = $indent if $l =~ /= [{(][ \t]*(?:#.*)?$/;
    }
    $full .= $l;
}
isnt($full, $text, 'the example has commented-out settings');

# The files they name, in the config's folder (relative paths).
my $ca = new_ca($d, 'root');
my %files = (
    'example.com.rsa' => new_cert($ca, 'rsa', names => ['example.com']),
    'example.com.ecdsa' => new_cert($ca, 'ecdsa', names => ['example.com'], type => 'ec'),
    'client' => new_cert($ca, 'bouncer-client', cn => 'bouncer', client => 1),
);
for my $f (keys %files) {
    copy($files{$f}{cert}, "$d/$f.crt") or die "$f: $!";
    copy($files{$f}{key}, "$d/$f.key") or die "$f: $!";
    chmod 0600, "$d/$f.key";
}
TestCerts::run("openssl ocsp -issuer $ca->{cert} -cert $files{'example.com.ecdsa'}{cert} "
               . "-reqout $d/ocsp.req -no_nonce");
$t->write_file('ocsp-index.txt', '');
TestCerts::run("openssl ocsp -index $d/ocsp-index.txt -rsigner $ca->{cert} -rkey $ca->{key} "
               . "-CA $ca->{cert} -reqin $d/ocsp.req -respout $d/example.com.ocsp -ndays 1");
# The files of the commented-out auth_policies.
TestCerts::run("htpasswd -c -b -B -C 4 $d/htpasswd alice secret");
$t->write_file('api-keys', "partner:k-partner-1\n");
TestCerts::run("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out $d/jwt.key");
TestCerts::run("openssl pkey -in $d/jwt.key -pubout -out $d/jwt-public.pem");
# The system's CA bundle is the default; a host without one gets ours.
$full =~ s{"/etc/ssl/certs/ca-certificates\.crt"}{"$ca->{cert}"}g
    unless -f '/etc/ssl/certs/ca-certificates.crt';
my $full_conf = $t->write_file('full.conf', $full);
($rc, $out, $err) = $t->cmd('-c', $full_conf, 'check');
is($rc, 0, 'with its commented-out settings in, it passes check too') or diag($err);

# Every name in the loader's lists of known settings, but those it refuses
# as not supported yet (t/lib/LoaderSettings.pm reads them from
# common/conf*.c).
my %accepted = LoaderSettings::accepted();
my %not_yet = LoaderSettings::not_yet();
cmp_ok(scalar keys %accepted, '>', 100, 'the settings were read from common/conf*.c')
    or diag(join ' ', sort keys %accepted);

# Set in the file check accepted: at the start of a line, or after "{", "(",
# ";" or ",", never in the middle of a sentence.
my @missing = grep { $full !~ /(?:^|[{(;,])[ \t]*\Q$_\E[ \t]*=/m } sort keys %accepted;
is("@missing", '', 'the example sets every setting the loader accepts');

# What is not supported yet is named only in the note that says so, and
# the note is there only while something is.
my ($note) = $text =~ /^# ---- not yet implemented -+\n((?:#.*\n)*)/m;
if (%not_yet) {
    ok($note, 'the example has a "not yet implemented" note');
    like($note // '', qr/\b\Q$_\E\b/, "$_ is in the note") for sort keys %not_yet;
} else {
    ok(!$note, 'every setting is implemented, and the example has no "not yet implemented" note');
}

done_testing;
