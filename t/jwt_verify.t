# JWS verification (common/jwt.c) against tokens signed by another
# implementation: keys made with the openssl command line (RSA 2048 and
# 1024, P-256, P-384, P-521, secp256k1, Ed25519, an HS secret, a
# certificate), tokens signed by Python's PyJWT (and, for the attacks, by
# hand), each checked through objs/t/jwt_check by t/tools/jwt_verify.py,
# which prints TAP: every algorithm verifies, every attack is refused with
# its reason.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use Test::More;
use File::Path ();
use POSIX ();

my $root = BouncerTest->root;
my $check = "$root/objs/t/jwt_check";
plan skip_all => 'objs/t/jwt_check is not built (make unit)' unless -x $check;
my ($python) = grep { system("$_ -c 'import jwt, cryptography' 2>/dev/null") == 0 }
    qw(python3 /usr/bin/python3);
plan skip_all => 'needs python3 with jwt and cryptography (apt-get install python3-jwt python3-cryptography)'
    unless $python;

my $t = BouncerTest->new;
my $d = $t->dir;
sub openssl { system('openssl', @_) == 0 or BAIL_OUT("openssl @_ failed") }
for (['rsa', 'RSA', 'rsa_keygen_bits:2048'], ['rsa1024', 'RSA', 'rsa_keygen_bits:1024'],
     ['p256', 'EC', 'ec_paramgen_curve:P-256'], ['p384', 'EC', 'ec_paramgen_curve:P-384'],
     ['p521', 'EC', 'ec_paramgen_curve:P-521'], ['k256', 'EC', 'ec_paramgen_curve:secp256k1'],
     ['ed25519', 'ED25519']) {
    my ($name, $alg, $opt) = @$_;
    openssl('genpkey', '-quiet', '-algorithm', $alg, ($opt ? ('-pkeyopt', $opt) : ()), '-out', "$d/$name.key");
    openssl('pkey', '-in', "$d/$name.key", '-pubout', '-out', "$d/$name.pub");
}
openssl('req', '-x509', '-key', "$d/rsa.key", '-subj', '/CN=jwt', '-days', '1', '-out', "$d/rsa.crt");
openssl('rand', '-out', "$d/hs.secret", '64');
# The script speaks TAP itself; its folder (private keys) goes after it,
# unless BOUNCER_KEEP, as every test's does.
system $python, "$root/t/tools/jwt_verify.py", $check, $d;
my $rc = $? == -1 ? 255 : $? >> 8;
File::Path::remove_tree($d) unless $ENV{BOUNCER_KEEP};
POSIX::_exit($rc);
