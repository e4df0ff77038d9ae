# The WAF's rules: a site's own file beside the built-in set (regex,
# contains, transforms, severities adding up to the threshold), paranoia
# levels, exclusions, a rule that would run away (ReDoS) cut by the match
# limits and counted as a match, and `check` naming FILE:LINE for a bad
# rules file or setting.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use Test::More;
use Time::HiRes qw(time);

my $t = BouncerTest->new;
my $d = $t->dir;
my ($p, $be) = ($t->port, $t->port);
$t->backend($be);
$t->write_file('site.rules', <<'R');
# The site's own rules.
id=1000001 contains="forbidden-word" transforms=url,lower severity=critical msg="a word the site refuses"
id=1000002 regex="(?i)\bsecret_[a-z]+" parts=query,body transforms=url severity=warning msg="a secret name"
id=1000003 regex="internal" parts=header severity=notice msg="an internal hint"
id=1000004 regex="^(a+)+$" parts=query transforms=url severity=critical msg="a rule that backtracks without end"
id=1000005 contains="strict-only" severity=critical paranoia=3 msg="only at paranoia 3"
id=1000006 contains="field-only" raw=no severity=critical msg="not in raw body bytes"
R
$t->config(<<C);
upstreams = ( { name = "be"; servers = ( { address = "127.0.0.1:$be"; } ); } );
servers = ( { listen = [ "127.0.0.1:$p" ];
  waf = { mode = "block"; rules = "$d/site.rules"; };
  routes = ( { match = { prefix = "/p3/"; }; upstream = "be"; waf = { paranoia = 3; }; },
             { match = { prefix = "/t10/"; }; upstream = "be"; waf = { threshold = 10; }; },
             { match = { prefix = "/noword/"; }; upstream = "be"; waf = { exclude = [ 1000001 ]; }; },
             { match = { prefix = "/builtin/"; }; upstream = "be"; waf = { rules = ""; }; },
             { match = { prefix = "/"; }; upstream = "be"; } ); } );
C
$t->start(ports => [$p]);

sub st {
    my ($path, @h) = @_;
    my $r = http_request($p, 'GET', $path, headers => \@h);
    return $r ? $r->{status} : 0;
}

is(st('/x?q=FORBIDDEN-%57ord'), 403, 'a contains rule, after url and lower');
is(st('/x', 'X-Note' => 'say forbidden-word'), 403, 'in any part by default');
is(st('/x?q=secret_key'), 200, 'a warning alone (3) is under the threshold (5)');
is(st('/x?q=secret_key', 'X-Hint' => 'internal'), 403, 'a warning and a notice add up to it');
ok($t->wait_log(qr/rule 1000002 \(a secret name\) in query "q".*rule 1000003 \(an internal hint\) in header "(?i:X-Hint)"/), # HTTP/2: names in lower case
   'the log names both');
is(st('/t10/x?q=forbidden-word'), 200, 'threshold 10: one critical match passes');
is(st('/t10/x?q=forbidden-word&r=%3Cscript%3Ealert(1)%3C/script%3E'), 403, 'two reach it');
is(st('/noword/x?q=forbidden-word'), 200, 'exclude: the rule is not run there');
is(st('/builtin/x?q=forbidden-word'), 200, 'rules = "" on a route: the built-in set only');
is(st('/builtin/x?q=%3Cscript%3Ealert(1)%3C/script%3E'), 403, 'which still blocks');
# A built-in regex rule: JavaScript that waits, after a closed string
# (MongoDB's $where), and the same words in prose.
is(st("/builtin/x?q=%27%3Bd%3Dnew%20Date()%3Bdo%7Bcd%3Dnew%20Date()%3B%7Dwhile(cd-d%3C10000)%3B%2F%2F"), 403,
   'built-in 934200: a blind JavaScript injection');
ok($t->wait_log(qr/rule 934200 \(JavaScript injection into a server-side query\) in query "q"/),
   'the log names 934200');
is(st("/builtin/x?q=x%20%3D%20%27a%27%3B%20for%20(i%20%3D%200%3B%20i%20%3C%20n%3B%20i%2B%2B)%20%7B%7D%20%2F%2F%20loop"), 200,
   'code with a closed string, "for (" and a comment that says something: not it');
is(st('/builtin/x?q=*(%7C(mail%3D*))'), 403, 'built-in 936100: an LDAP filter opened in the value');
is(st('/builtin/x?q=admin*)((%7CuserPassword%3D*)'), 403, '936100: one that closes the filter first');
is(st('/builtin/x?q=pick%20(a%20%7C%20b)%20(x%3D1)'), 200, '936100: parentheses and "=" in prose');
is(st('/x?q=strict-only'), 200, 'a paranoia 3 rule does not run at paranoia 1');
is(st('/p3/x?q=strict-only'), 403, 'it does at paranoia 3');

# raw=no: the rule runs on a form's fields, not on the lines of a body of
# no parsed type.
sub post_st {
    my ($ctype, $body) = @_;
    my $r = http_request($p, 'POST', '/x', headers => ['Content-Type' => $ctype], body => $body);
    return $r ? $r->{status} : 0;
}
is(post_st('application/x-www-form-urlencoded', 'a=field-only'), 403, 'raw=no: a form field is inspected');
is(post_st('text/plain', "a line with field-only in it\n"), 200, 'raw=no: a text body\'s line is not');

# ReDoS: the match limit cuts the rule off, and that counts as its match.
my $start = time;
is(st('/x?q=' . ('a' x 5000) . '!'), 403, 'a pathological input for a backtracking rule: refused');
my $took = time - $start;
# (Over HTTP/2 the client is a python process that takes a while to start.)
cmp_ok($took, '<', BouncerTest::h2_mode() ? 4 : 2, sprintf('within bounded time (%.3fs)', $took));
ok($t->wait_log(qr/rule 1000004 .*1 regex runs hit the match limit/), 'the log says the match limit was hit');
is(st('/x?q=aaaa'), 403, 'the rule still matches what it should');
is(st('/x?q=abc'), 200, 'and not what it should not');

# max_args: arguments past it are not inspected, so more of them is a match.
is(st('/x?' . join('&', map { "a$_=1" } 1 .. 1000)), 200, '1,000 query arguments pass');
is(st('/x?' . join('&', map { "a$_=1" } 1 .. 1001)), 403, '1,001 are refused (max_args)');
ok($t->wait_log(qr/rule 920380 \(more query arguments than waf\.max_args\) in query after none: "too many fields"/),
   'and the log says why');

$t->done;

# --- check: a rules file with an error, by FILE:LINE; settings out of range.
sub check_err {
    my ($conf) = @_;
    $t->config($conf, file => 'c.conf');
    my ($rc, $out, $err) = $t->cmd('-c', "$d/c.conf", 'check');
    return ($rc, $out . $err);
}
my $srv = sub { "upstreams = ( { name = \"be\"; servers = ( { address = \"127.0.0.1:$be\"; } ); } );\n"
                . "servers = ( { listen = [ \"127.0.0.1:$p\" ]; waf = { $_[0] }; routes = ( { match = { prefix = \"/\"; }; upstream = \"be\"; } ); } );" };
my @cases = (
    ["id=1 msg=\"x\"\n", qr/bad\.rules:1: expected exactly one of detect, regex, contains, flag, malformed/, 'a rule with no operator'],
    ["# fine\nid=2 regex=\"(\" msg=\"x\"\n", qr/bad\.rules:2: regex does not compile at offset 1/, 'a regex that does not compile'],
    ["id=3 contains=\"a\" msg=\"x\" severity=huge\n", qr/bad\.rules:1: severity: expected one of critical, error, warning, notice/, 'an unknown severity'],
    ["id=942100 contains=\"a\" msg=\"x\"\n", qr/rule id 942100 is used twice/, 'an id the built-in set has'],
    ["id=4 contains=\"a\" msg=\"x\" transforms=url,rot13\n", qr/bad\.rules:1: unknown transform/, 'an unknown transform'],
    ["id=5 contains=\"a\" msg=\"unterminated\n", qr/bad\.rules:1: unterminated quoted value/, 'an unterminated quote'],
    ["id=6 contains=\"a\" msg=\"x\" parts=elbow\n", qr/bad\.rules:1: parts: expected all/, 'an unknown part'],
    ["id=7 contains=\"a\" msg=\"x\" raw=maybe\n", qr/bad\.rules:1: raw: expected yes or no/, 'raw neither yes nor no'],
);
for my $c (@cases) {
    my ($rules, $re, $what) = @$c;
    $t->write_file('bad.rules', $rules);
    my ($rc, $out) = check_err($srv->("mode = \"block\"; rules = \"$d/bad.rules\";"));
    isnt($rc, 0, "check refuses $what");
    like($out, $re, "and says where: $what");
}
for my $c (['mode = "loud";', qr/waf\.mode: unknown value "loud" \(expected one of: off, detect, block\)/],
           ['mode = "block"; paranoia = 5;', qr/waf\.paranoia: 5 is out of range \(expected 1 to 4\)/],
           ['mode = "block"; exclude = [ 999999 ];', qr/waf\.exclude: no WAF rule has id 999999/],
           ['mode = "block"; exclude = [ "x" ];', qr/waf\.exclude\[0\]: expected a rule id/],
           ['mode = "block"; max_body = "0";', qr/waf\.max_body: expected from "1" to "64m"/],
           ['mode = "block"; max_depth = 2000;', qr/waf\.max_depth: 2000 is out of range \(expected 1 to 1024\)/],
           ['mode = "block"; match_limit = 10;', qr/waf\.match_limit: 10 is out of range/],
           ['mode = "block"; rules = "/nonexistent.rules";', qr/cannot open "\/nonexistent\.rules"/],
           ['mode = "block"; inspect = true;', qr/waf\.inspect: unknown setting/]) {
    my ($rc, $out) = check_err($srv->($c->[0]));
    isnt($rc, 0, "check refuses waf = { $c->[0] }");
    like($out, $c->[1], "with a clear message: $c->[0]");
}
done_testing;
