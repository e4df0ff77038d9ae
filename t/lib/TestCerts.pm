# Test certificates made with the openssl command line: a root CA, an
# intermediate, leaves (RSA or ECDSA) for given names, expired ones, client
# certificates.  Everything lands in one directory.
package TestCerts;
use strict;
use warnings;
use Exporter 'import';

our @EXPORT_OK = qw(new_ca new_cert);

sub run {
    my (@cmd) = @_;
    my $out = `@cmd 2>&1`;
    die "failed: @cmd\n$out" if $? != 0;
    return $out;
}

# Keys are 0600: run as root, bouncer's master reads them before its
# workers become the unprivileged user, who never needs them.
sub keygen {
    my ($key, $type) = @_;
    if (($type // 'rsa') eq 'ec') {
        run("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out '$key'");
    } else {
        run("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out '$key'");
    }
    chmod 0600, $key;
}

# A CA: { dir, name, key, cert }.  With $parent, an intermediate signed by it.
sub new_ca {
    my ($dir, $name, $parent) = @_;
    my $ca = { dir => $dir, name => $name, key => "$dir/$name.key", cert => "$dir/$name.pem" };
    keygen($ca->{key}, 'ec');
    my $ext = "$dir/$name.ext";
    open my $f, '>', $ext or die;
    print $f "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n"
           . "subjectKeyIdentifier=hash\n";
    close $f;
    if ($parent) {
        run("openssl req -new -key '$ca->{key}' -subj '/CN=$name' -out '$dir/$name.csr'");
        run("openssl x509 -req -in '$dir/$name.csr' -CA '$parent->{cert}' -CAkey '$parent->{key}' "
            . "-CAcreateserial -days 365 -extfile '$ext' -out '$ca->{cert}'");
    } else {
        run("openssl req -x509 -new -key '$ca->{key}' -subj '/CN=$name' -days 365 "
            . "-addext 'basicConstraints=critical,CA:TRUE' -addext 'keyUsage=critical,keyCertSign,cRLSign' "
            . "-out '$ca->{cert}'");
    }
    return $ca;
}

# A leaf signed by $ca: returns { key, cert } (cert holds the chain when
# $opt{chain} lists intermediates).  $opt{type} 'rsa' or 'ec', $opt{names},
# $opt{client} for a client certificate, $opt{expired} for one that ended.
sub new_cert {
    my ($ca, $file, %opt) = @_;
    my $dir = $ca->{dir};
    my $key = "$dir/$file.key";
    my $crt = "$dir/$file.pem";
    keygen($key, $opt{type});
    my @names = @{ $opt{names} || ['localhost'] };
    my $ext = "$dir/$file.ext";
    open my $f, '>', $ext or die;
    print $f "basicConstraints=CA:FALSE\n";
    print $f $opt{client} ? "extendedKeyUsage=clientAuth\n"
                          : "extendedKeyUsage=serverAuth\nsubjectAltName=" . join(',', map { "DNS:$_" } @names) . "\n";
    close $f;
    my $cn = $opt{cn} // $names[0];
    run("openssl req -new -key '$key' -subj '/O=Bouncer Test/CN=$cn' -out '$dir/$file.csr'");
    if ($opt{expired}) {
        # openssl ca can set both dates; x509 -req cannot end in the past.
        my $db = "$dir/$file-db";
        mkdir $db;
        open my $i, '>', "$db/index.txt" or die; close $i;
        open my $s, '>', "$db/serial" or die; print $s "1000\n"; close $s;
        open my $c, '>', "$db/ca.cnf" or die;
        print $c "[ca]\ndefault_ca=d\n[d]\ndatabase=$db/index.txt\nserial=$db/serial\nnew_certs_dir=$db\n"
               . "default_md=sha256\npolicy=p\ncopy_extensions=none\n[p]\ncommonName=supplied\norganizationName=optional\n";
        close $c;
        run("openssl ca -batch -config '$db/ca.cnf' -cert '$ca->{cert}' -keyfile '$ca->{key}' "
            . "-startdate 20200101000000Z -enddate 20200201000000Z -extfile '$ext' "
            . "-in '$dir/$file.csr' -out '$crt'");
    } else {
        run("openssl x509 -req -in '$dir/$file.csr' -CA '$ca->{cert}' -CAkey '$ca->{key}' "
            . "-CAcreateserial -days " . ($opt{days} // 90) . " -extfile '$ext' -out '$crt'");
    }
    if ($opt{chain}) {
        open my $o, '>>', $crt or die;
        for my $inter (@{ $opt{chain} }) {
            open my $in, '<', $inter->{cert} or die;
            local $/;
            my $pem = <$in>;
            print {$o} $pem;
        }
        close $o;
    }
    return { key => $key, cert => $crt };
}

1;
