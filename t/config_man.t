# etc/bouncer.conf.5, the configuration reference, held to the loader:
# every setting the loader accepts (its own lists in common/conf*.c, read
# by LoaderSettings.pm) is an ".It Ic NAME" item under the ".Ss" heading
# that is its group's path, and every such item is a setting of that group;
# each item has a type, a "Default:" line and an example; the defaults it
# states are what `bouncer dump` fills in; every config in EXAMPLES passes
# `bouncer check`; and the page renders without a warning.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use LoaderSettings;
use TestCerts qw(new_ca new_cert);
use File::Copy qw(copy);
use Test::More;

my $t = BouncerTest->new;
my $d = $t->dir;
my $root = BouncerTest->root;
my $page_file = "$root/etc/bouncer.conf.5";
my $page = BouncerTest::slurp($page_file);
ok(length $page, 'etc/bouncer.conf.5 is there') or BAIL_OUT('no page');

# ---- the page's items --------------------------------------------------------
#
# An item is ".It Ic NAME Ar type" at some depth of .Bl lists; its body is
# every line down to the next .It of its own list or that list's .El.  Its
# group is the path of the .Ss above it ("servers.routes.cache"); under
# TOP-LEVEL SETTINGS, before any .Ss, the top level's ("").  Elsewhere an
# item has no group, which is an error below.
my (@items, @open, $group);
my @lines = split /\n/, $page;
for my $n (0 .. $#lines) {
    my $l = $lines[$n];
    if ($l =~ /^\.Sh\s+(.*)$/) {
        $group = $1 eq 'TOP-LEVEL SETTINGS' ? '' : undef;
    } elsif ($l =~ /^\.Ss\s+(.*)$/) {
        my $title = $1;
        $group = $title =~ /^[a-z_]+(?:\.[a-z_]+)*$/ ? $title : undef;
    }
    if ($l =~ /^\.El\b/) {
        pop @open;
    }
    # The items whose list is still open hold this line, but an .It of
    # their own list ends them.
    my $depth = scalar @open;
    for my $it (grep { !$_->{done} } @items) {
        if ($it->{depth} > $depth || ($it->{depth} == $depth && $l =~ /^\.It\b/)) {
            $it->{done} = 1;
        } else {
            push @{ $it->{body} }, $l;
        }
    }
    if ($l =~ /^\.Bl\b/) {
        push @open, $n;
    } elsif ($l =~ /^\.It Ic (\S+)(.*)$/) {
        push @items, { name => $1, head => $2, group => $group, line => $n + 1,
                       depth => scalar @open, body => [] };
    }
}
cmp_ok(scalar @items, '>', 200, 'the page has its .It Ic items') or BAIL_OUT('no items');

sub where { my ($it) = @_; return "$it->{name} (etc/bouncer.conf.5:$it->{line})" }
sub full { my ($g, $name) = @_; return $g eq '' ? $name : "$g.$name" }

# ---- the page names every setting, and only settings ------------------------

my %accepts = LoaderSettings::groups();
my %on_page;
my (@stray, @dup);
for my $it (@items) {
    if (!defined $it->{group}) {
        push @stray, where($it) . ' is not under a group\'s heading';
        next;
    }
    my $key = full($it->{group}, $it->{name});
    push @dup, where($it) if $on_page{$key}++;
    push @stray, where($it) . " under \"$it->{group}\": the loader has no setting $key"
        unless $accepts{ $it->{group} } && $accepts{ $it->{group} }{ $it->{name} };
}
my @missing;
for my $g (sort keys %accepts) {
    push @missing, grep { !$on_page{$_} } map { full($g, $_) } sort keys %{ $accepts{$g} };
}
is(join("\n", @missing), '', 'every setting the loader accepts is an item under its group');
is(join("\n", @stray), '', 'every item is a setting the loader accepts, in its group');
is(join("\n", @dup), '', 'no setting is described twice');

# Each item: a type after its name, one "Default:" line, and an example
# (a .Bd -literal block) that sets it.
my (@untyped, @no_default, @no_example);
for my $it (@items) {
    push @untyped, where($it) unless $it->{head} =~ /^\s+Ar\s+\S/;
    my @def = grep { /^Default:/ } @{ $it->{body} };
    push @no_default, where($it) . ' has ' . scalar(@def) . ' "Default:" lines' if @def != 1;
    my $body = join "\n", @{ $it->{body} };
    my ($ex) = $body =~ /^\.Bd -literal[^\n]*\n(.*?)^\.Ed$/ms;
    push @no_example, where($it)
        unless defined $ex && $ex =~ /^\s*\Q$it->{name}\E\s*=/;
}
is(join("\n", @untyped), '', 'every item says its type (.It Ic NAME Ar TYPE)');
is(join("\n", @no_default), '', 'every item has one "Default:" line');
is(join("\n", @no_example), '', 'every item has an example that sets it');

# ---- libconfig text, as `bouncer dump` writes it -----------------------------

# Every member of the tree: [ path of its group, name, scalar text or undef ].
sub members {
    my ($text) = @_;
    my @tok;
    while ($text =~ /\G\s*("(?:[^"\\]|\\.)*"|[-\w.+]+|[{}()\[\]=:;,])/gc) {
        push @tok, $1;
    }
    $text =~ /\G\s*\z/gc
        or die "cannot read libconfig text from: " . substr($text, pos($text) // 0, 60) . "\n";
    my (@out, $group, $value);
    # The members of a group, its "{" taken, down to its "}".
    $group = sub {
        my ($here) = @_;
        while ((my $m = shift @tok) ne '}') {
            shift @tok;    # = or :
            $value->($here, $m);
            shift @tok if $tok[0] eq ';' || $tok[0] eq ',';
        }
    };
    $value = sub {
        my ($path, $name) = @_;
        my $open = shift @tok;
        my $here = $path eq '' ? $name : "$path.$name";
        push @out, [ $path, $name, $open =~ /^[{(\[]$/ ? undef : $open ];
        if ($open eq '{') {
            $group->($here);
        } elsif ($open eq '(' || $open eq '[') {
            my $close = $open eq '(' ? ')' : ']';
            # The members of an element are named by its place.
            for (my $i = 0; (my $e = shift @tok) ne $close; $i++) {
                $group->("$here\[$i]") if $e eq '{';
                shift @tok if $tok[0] eq ',';
            }
        }
    };
    push @tok, '}';    # the file is the root group's inside
    $group->('');
    return @out;
}

# The files the configs below name, made in folder $dir.
my $ca = new_ca($d, 'root');
my $site = new_cert($ca, 'site', names => [ 'example.com', 'www.example.com' ]);
TestCerts::run("htpasswd -c -b -B -C 4 $d/htpasswd.src alice secret");
TestCerts::run("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out $d/jwt.key");
TestCerts::run("openssl pkey -in $d/jwt.key -pubout -out $d/jwt.pem.src");
sub make_files {
    my ($dir) = @_;
    mkdir $dir;
    copy($site->{cert}, "$dir/example.com.crt") or die $!;
    copy($site->{key}, "$dir/example.com.key") or die $!;
    chmod 0600, "$dir/example.com.key";
    copy($ca->{cert}, "$dir/ca.pem") or die $!;
    copy("$d/htpasswd.src", "$dir/htpasswd") or die $!;
    copy("$d/jwt.pem.src", "$dir/jwt.pem") or die $!;
    $t->write_file("$dir/api-keys", "partner:k-partner-1\n");
    return $dir;
}

# A config with every group the loader reads and, in each, only what it
# requires: its dump has every default the loader fills in.
my $minimal = <<'EOF';
cache_zones = ( { name = "z"; path = "cache"; } );
status = { listen = [ "127.0.0.1:9145" ]; };
redis = { address = "127.0.0.1:6379"; };
rate_limits = ( { name = "r"; key = "$remote_addr"; rate = "10r/s"; } );
limit_conn = ( { name = "c"; key = "$remote_addr"; max = 10; } );
auth_policies = (
  { name = "b"; basic = { users = "htpasswd"; }; },
  { name = "j"; jwt = { keys = "jwt.pem"; algorithms = [ "ES256" ];
                        require = ( { claim = "scope"; contains = "read"; } ); }; },
  { name = "k"; api_key = { keys = "api-keys"; }; },
  { name = "f"; forward = { url = "http://127.0.0.1:9000/verify"; }; },
  { name = "a"; any = [ "b", "k" ]; }
);
upstreams = (
  { name = "u"; servers = ( { address = "127.0.0.1:8080"; } );
    queue = { }; health_check = { path = "/"; }; sticky = { cookie = "s"; };
    tls = { ca = "ca.pem"; }; }
);
servers = (
  { listen = [ "127.0.0.1:8080" ]; tls_listen = [ "127.0.0.1:8443" ];
    real_ip = { }; waf = { mode = "detect"; };
    tls = { certificates = ( { cert = "example.com.crt"; key = "example.com.key"; } ); };
    routes = (
      { match = { prefix = "/"; }; upstream = "u"; timeouts = { }; websocket = { }; compress = { };
        request_headers = { }; auth = { basic = { users = "htpasswd"; }; };
        cache = { zone = "z"; valid = ( { status = [ "200" ]; ttl = "1m"; } ); }; },
      { match = { exact = "/r"; }; redirect = { to = "/"; }; },
      { match = { exact = "/x"; }; respond = { }; }
    ); }
);
EOF
my $mdir = make_files("$d/minimal");
my $mconf = $t->write_file("$mdir/bouncer.conf", $minimal);
my ($rc, $out, $err) = $t->cmd('-c', $mconf, 'dump');
is($rc, 0, 'the config of every group with what it requires dumps') or diag($err);
my @minimal_dump = members($out);
($rc, my $example_dump, $err) = $t->cmd('-c', "$root/etc/bouncer.conf.example", 'dump');
is($rc, 0, 'etc/bouncer.conf.example dumps') or diag($err);

# The groups LoaderSettings.pm gives the loader's lists are the groups the
# dumps put their settings in.
my @misplaced;
for my $m (@minimal_dump, members($example_dump)) {
    my $g = LoaderSettings::alias($m->[0]);
    push @misplaced, full($m->[0], $m->[1]) . " (read as $g)"
        unless $accepts{$g} && $accepts{$g}{ $m->[1] };
}
is(join("\n", @misplaced), '', 'each setting dump writes is in the group LoaderSettings.pm says');

# ---- the defaults the page states are the loader's ---------------------------

# A "Default:" line that starts with a value (a string, a number, true or
# false) states it; one that starts with words ("the server block's")
# states none to compare.
my %stated;
for my $it (grep { defined $_->{group} } @items) {
    my ($def) = grep { /^Default:/ } @{ $it->{body} };
    next unless defined $def;
    (my $v = $def) =~ s/^Default:\s*//;
    $v =~ s/\\e/\\/g;
    $v =~ s/\\&//g;
    $stated{ full($it->{group}, $it->{name}) } = $1
        if $v =~ /^("(?:[^"\\]|\\.)*"|true|false|-?\d+)(?=[\s.,;]|$)/;
}
# What the dump adds to the file: the settings the file leaves out.
my %written = map { full($_->[0], $_->[1]) => 1 } members($minimal);
my (@wrong, $compared);
my %seen;
for my $m (@minimal_dump) {
    next unless defined $m->[2] && !$written{ full($m->[0], $m->[1]) };
    my $key = full(LoaderSettings::alias($m->[0]), $m->[1]);
    next if $seen{$key}++ || !exists $stated{$key};
    my ($page_v, $dump_v) = ($stated{$key}, $m->[2]);
    # A build configured with other paths fills in its own.
    next if $page_v =~ m{^"/usr/local/} && $dump_v !~ m{^"/usr/local/};
    $compared++;
    push @wrong, "$key: the page says $page_v, dump $dump_v" if $page_v ne $dump_v;
}
is(join("\n", @wrong), '', 'the defaults the page states are those bouncer dump fills in');
cmp_ok($compared // 0, '>', 100, "defaults compared: " . ($compared // 0));

# ---- every example in EXAMPLES passes check -----------------------------------

my ($examples) = $page =~ /^\.Sh EXAMPLES\n(.*?)^\.Sh /ms;
my @configs = ($examples // '') =~ /^\.Bd -literal[^\n]*\n(.*?)^\.Ed$/msg;
cmp_ok(scalar @configs, '>=', 5, 'EXAMPLES has its configs');
my $i = 0;
for my $c (@configs) {
    $i++;
    my $dir = make_files("$d/example$i");
    # roff escapes out; the files named in /usr/local/etc/bouncer/ are
    # made in the example's folder.
    $c =~ s/\\e/\\/g;
    $c =~ s/\\&//g;
    $c =~ s/\\\(dq/"/g;
    $c =~ s{/usr/local/etc/bouncer/}{$dir/}g;
    my $conf = $t->write_file("$dir/bouncer.conf", $c);
    ($rc, $out, $err) = $t->cmd('-c', $conf, 'check', '--strict');
    is($rc, 0, "example $i passes check, without a warning") or diag("$err\n$c");
}

# ---- it renders without warnings -----------------------------------------------

SKIP: {
    skip 'no man(1) here (apt-get install man-db groff-base)', 1
        unless system('command -v man >/dev/null 2>&1') == 0;
    system("man --warnings -E UTF-8 -l '$page_file' >/dev/null 2>'$d/man.err'");
    is(BouncerTest::slurp("$d/man.err"), '', 'man --warnings renders it without a word');
}
SKIP: {
    skip 'no mandoc here', 1 unless system('command -v mandoc >/dev/null 2>&1') == 0;
    my $lint = `mandoc -T lint -W warning '$page_file' 2>&1`;
    # Its own database's state is the host's, not the page's.
    my @bad = grep { /: (?:WARNING|ERROR|UNSUPP):/ } split /\n/, $lint;
    is(join("\n", @bad), '', 'mandoc -T lint finds nothing wrong');
}

done_testing;
