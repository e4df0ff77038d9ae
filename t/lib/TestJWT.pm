# TestJWT: HS256 tokens signed in Perl, for tests that need a token whose
# claims are JSON written by hand (escapes and all) and no Python.
package TestJWT;

use strict;
use warnings;
use Digest::SHA qw(hmac_sha256);
use MIME::Base64 qw(encode_base64);

# base64url without padding (RFC 7515 2).
sub b64url {
    my $s = encode_base64($_[0], '');
    $s =~ tr{+/}{-_};
    $s =~ s/=+$//;
    return $s;
}

# A token of the JSON text $claims signed with $secret; $kid goes into the
# header when given.
sub hs256 {
    my ($secret, $claims, $kid) = @_;
    my $head = defined $kid ? qq({"alg":"HS256","typ":"JWT","kid":"$kid"}) : '{"alg":"HS256","typ":"JWT"}';
    my $hp = b64url($head) . '.' . b64url($claims);
    return "$hp." . b64url(hmac_sha256($hp, $secret));
}

1;
