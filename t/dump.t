# `bouncer dump`: the effective config, @includes inlined and defaults
# written out, as libconfig text that `bouncer check` accepts and that
# dumps to itself; a dump of a config with errors prints nothing.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use Test::More;

my $t = BouncerTest->new;
my $d = $t->dir;
my $root = BouncerTest->root;

# Dumps $conf into $out; returns (exit status, text, stderr).
sub dump_to {
    my ($conf, $out) = @_;
    my ($rc, $text, $err) = $t->cmd('-c', $conf, 'dump');
    $t->write_file($out, $text) if defined $out;
    return ($rc, $text, $err);
}

sub check_ok {
    my ($conf, $what) = @_;
    my ($rc, undef, $err) = $t->cmd('-c', $conf, 'check');
    is($rc, 0, "$what passes check") or diag($err);
}

# The shipped example sets every setting; its dump is valid and stable.
# Its relative paths are taken from the folder of the file: the dump is
# written beside a copy of it.
my $example = BouncerTest::slurp("$root/etc/bouncer.conf.example");
$t->write_file('example.conf', $example);
my ($rc, $d1, $err) = dump_to("$d/example.conf", 'example.dump');
is($rc, 0, 'example: dump') or diag($err);
like($d1, qr/^limits\s*:\s*\{/m, 'example: groups written out');
unlike($d1, qr/#/, 'example: no comments left');
check_ok("$d/example.dump", 'example: dump');
my (undef, $d2) = dump_to("$d/example.dump");
ok($d1 eq $d2, 'example: dump of the dump is the same text');

# A small config with an @include: the included upstream is inlined and
# what was not written appears with its default.
$t->write_file('ups.conf', qq{upstreams = ( { name = "app"; servers = ( { address = "127.0.0.1:1"; } ); } );\n});
$t->config(<<C);
\@include "ups.conf"
servers = ( { listen = [ "127.0.0.1:1" ]; names = [ "a.test" ]; strip_credentials = true;
              routes = ( { match = { prefix = "/"; }; upstream = "app"; } ); } );
C
($rc, $d1, $err) = dump_to("$d/bouncer.conf", 'small.dump');
is($rc, 0, 'include: dump') or diag($err);
unlike($d1, qr/\@include/, 'include: inlined');
like($d1, qr/name = "app";/, 'include: the included upstream is there');
like($d1, qr/^\s*header_timeout = "10s";/m, 'default: limits.header_timeout = "10s" though not written');
like($d1, qr/^\s*connect_timeout = "5s";/m, 'default: an upstream\'s connect_timeout');
like($d1, qr/^\s*weight = 1;/m, 'default: a server\'s weight');
like($d1, qr/^\s*workers = 1;/m, 'written: workers as the file says');
like($d1, qr/routes = \(.*?strip_credentials = true;/s,
     'a route that inherits strip_credentials shows the block\'s value');
check_ok("$d/small.dump", 'include: dump');
(undef, $d2) = dump_to("$d/small.dump");
ok($d1 eq $d2, 'include: dump of the dump is the same text');

# Errors: nothing on stdout, the errors as check prints them.
$t->config(qq{limits = { header_timeout = "soon"; };\nservers = ( );\n});
($rc, $d1, $err) = dump_to("$d/bouncer.conf");
is($rc, 1, 'errors: dump fails');
is($d1, '', 'errors: nothing dumped');
like($err, qr/limits\.header_timeout: expected a duration/, 'errors: reported');

done_testing;
