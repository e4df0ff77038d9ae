# The WAF as an attacker sees it: ways to get a payload past it, or to make
# the backend see something other than what it inspected.  The value that
# straddles max_body is inspected as far as max_body; a query of more than
# 1,000 arguments is inspected whole; Content-Type variants the backend
# reads as JSON are parsed as JSON; several Content-Type lines, or a
# charset no inspector reads (IBM037, UTF-7), are refused; a text line
# longer than a piece is inspected in overlapping pieces; a value the
# worker has no memory left to gather is not passed half-inspected; a
# site's transform chain gets its own input, not another chain's scratch.
# And the framing stays whole: pipelined requests after a held body,
# chunked and Content-Length alike, reach the backend as sent and are each
# inspected.  SQL shaped by sqlmap's tampers and boundaries (lines after a
# "#" comment, a value that closes a `name` or a comment) is refused.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use IO::Socket::INET;
use Test::More;
use Time::HiRes qw(sleep);

my $t = BouncerTest->new;
my $d = $t->dir;
my ($p, $be) = ($t->port, $t->port);
$t->backend($be);
$t->write_file('site.rules', <<'R');
id=1000001 contains="&lt;" transforms=url,unicode,nul,lower parts=query severity=critical msg="an encoded tag"
R
$t->config(<<C);
limits = { waf_body_memory = "200k"; max_body_size = "4m"; };
upstreams = ( { name = "be"; servers = ( { address = "127.0.0.1:$be"; } ); } );
servers = ( { listen = [ "127.0.0.1:$p" ];
  waf = { mode = "block"; max_body = "8k"; };
  routes = ( { match = { prefix = "/strict/"; }; upstream = "be"; waf = { strict_body = true; }; },
             { match = { prefix = "/roomy/"; }; upstream = "be"; waf = { max_body = "150k"; }; },
             { match = { prefix = "/site/"; }; upstream = "be"; waf = { rules = "$d/site.rules"; }; },
             { match = { prefix = "/"; }; upstream = "be"; } ); } );
C
$t->start(ports => [$p]);

sub readable { my $rin = ''; vec($rin, fileno($_[0]), 1) = 1; select($rin, undef, undef, 0.05) > 0 }
sub seen { scalar grep { (split /\?/, $_->{path})[0] eq $_[0] } $t->backend_requests($be) }
sub got { my ($g) = grep { $_->{path} eq $_[0] } $t->backend_requests($be); $g }
sub post {
    my ($path, $ctype, $body, @h) = @_;
    my $r = http_request($p, 'POST', $path, headers => [ defined $ctype ? ('Content-Type' => $ctype) : (), @h ],
                         body => $body);
    return $r ? $r->{status} : 0;
}
# --- the value that straddles max_body (8k): what of it lies within is inspected
# The body comes in two goes, the first past max_body: the WAF decides on
# what it has (a backend that waits for the rest answers nothing before it).
sub straddle {
    my ($path, $ctype, $first, $rest) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $p) or die;
    syswrite $s, "POST $path HTTP/1.1\r\nHost: x\r\nContent-Type: $ctype\r\nContent-Length: "
        . (length($first) + length($rest)) . "\r\nConnection: close\r\n\r\n$first";
    my $out = '';
    wait_until(sub { sysread($s, $out, 65536, length $out) if readable($s); $out =~ /\r\n\r\n/ }, 3);
    syswrite $s, $rest if $out eq '';
    $out .= read_to_eof($s, 5);
    my $r = parse_response($out);
    return $r ? $r->{status} : 0;
}
my $tail = 'x' x 9000;
my $xss = '<script>alert(document.cookie)</script>';
my $form = 'application/x-www-form-urlencoded';
is(straddle('/straddle/form', $form, "q=$xss$tail", 'x' x 100), 403,
   'form: an attack at the start of a value cut by max_body');
is(straddle('/straddle/json', 'application/json', "{\"q\": \"$xss$tail", 'x' x 100 . '"}'), 403,
   'JSON: the same in a string');
is(straddle('/straddle/mp', 'multipart/form-data; boundary=zz',
            "--zz\r\nContent-Disposition: form-data; name=\"c\"\r\n\r\n$xss$tail", "\r\n--zz--\r\n"), 403,
   'multipart: the same in a field');
is(straddle('/straddle/text', 'text/plain', ('y' x 8000) . "\n$xss" . ('z' x 300), 'z' x 100), 403,
   'text: the last line within max_body');
is(seen("/straddle/$_"), 0, "$_: not sent on") for qw(form json mp text);
is(straddle('/straddle/ok', $form, "q=fine$tail", 'x' x 100), 200, 'a benign value cut by max_body passes');

# A body over max_body read whole in one go: its end is not the parser's.
is(post('/over/json', 'application/json', "{\"q\": \"$tail\"}"), 200, 'benign JSON over max_body, read at once, passes');
is(post('/over/mp', 'multipart/form-data; boundary=zz',
        "--zz\r\nContent-Disposition: form-data; name=\"c\"\r\n\r\n$tail\r\n--zz--\r\n"), 200,
   'so does benign multipart');
is(got('/over/json') && got('/over/json')->{body}, "{\"q\": \"$tail\"}", 'whole');
# strict_body: a chunked body over max_body, read at once, is refused too.
{
    my $body = "a=$tail&q=$xss";
    my $out = raw_request($p, "POST /strict/chunked HTTP/1.1\r\nHost: x\r\nContent-Type: $form\r\n"
        . "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        . sprintf("%x\r\n%s\r\n0\r\n\r\n", length $body, $body));
    my $x = parse_response($out);
    is($x && $x->{status}, 413, 'strict_body: a chunked body over max_body read at once: 413');
    is(seen('/strict/chunked'), 0, 'and not sent on');
}

# --- a query of more than max_args (1,000) arguments: an attack past the
# last one inspected must not pass; within it, every one is inspected
my $r = http_request($p, 'GET', '/many?' . ('a&' x 1000) . 'q=%3Cscript%3Ealert(1)%3C/script%3E');
is($r && $r->{status}, 403, 'an attack after 1,000 query arguments');
$r = http_request($p, 'GET', '/many-ok?' . ('a&' x 1000) . 'q=1');
is($r && $r->{status}, 403, 'more than max_args arguments, however benign: refused (920380)');
$r = http_request($p, 'GET', '/many-ok?' . ('a&' x 998) . 'q=1');
is($r && $r->{status}, 200, 'max_args arguments pass');
$r = http_request($p, 'GET', '/many-bad?' . ('a&' x 998) . 'q=%3Cscript%3Ealert(1)%3C/script%3E');
is($r && $r->{status}, 403, 'and the last of them is inspected');

# --- Content-Type: what a backend reads as JSON is parsed as JSON
my $json_sqli = '{"q": "1\u0027 OR \u00271\u0027=\u00271\u0027 -- "}';
is(post('/ct/json', 'application/json', $json_sqli), 403, 'JSON escapes are decoded (application/json)');
is(post('/ct/text-json', 'text/json', $json_sqli), 403, 'text/json is JSON too');
is(post('/ct/x-json', 'application/x-json', $json_sqli), 403, 'so is application/x-json');
is(post('/ct/bad-text-json', 'text/json', '{"a": 1,}'), 403, 'and a text/json body that does not parse is refused');
is(post('/ct/twice', 'application/json', $json_sqli, 'Content-Type' => 'application/json'), 403,
   'two Content-Type lines: refused');
is(post('/ct/twice-benign', $form, 'a=1', 'Content-Type' => 'text/plain'), 403,
   'two Content-Type lines, whatever the body');
ok($t->wait_log(qr/rule 200002 .* "several Content-Type header lines"/), 'the log says why');
is(post('/ct/one', "$form; charset=UTF-8", 'a=1'), 200, 'one Content-Type with charset=UTF-8 passes');
is(post('/ct/quoted', 'multipart/form-data; boundary="a,b"',
        "--a,b\r\nContent-Disposition: form-data; name=\"c\"\r\n\r\nfine\r\n--a,b--\r\n"), 200,
   'a comma in a quoted boundary is not two Content-Types');
is(seen("/ct/$_"), 0, "$_: not sent on") for qw(json text-json x-json bad-text-json twice twice-benign);

# --- charsets an inspector cannot read: the bytes mean something else to the backend
# "<script>alert(1)</script>" in IBM037 (EBCDIC), as ASP.NET decodes a form
# body whose Content-Type names that charset.
my $ebcdic = join '', map { sprintf '%%%02X', $_ }
    (0x4C, 0xA2, 0x83, 0x99, 0x89, 0x97, 0xA3, 0x6E, 0x81, 0x93, 0x85, 0x99, 0xA3, 0x4D, 0xF1,
     0x5D, 0x4C, 0x61, 0xA2, 0x83, 0x99, 0x89, 0x97, 0xA3, 0x6E);
is(post('/cs/ibm037', "$form; charset=ibm037", "q=$ebcdic"), 403, 'charset=ibm037: refused');
is(post('/cs/utf7', 'text/plain; charset="utf-7"', '+ADw-script+AD4-alert(1)+ADw-/script+AD4-'), 403,
   'charset="utf-7" (quoted): refused');
is(post('/cs/latin1', "$form; charset=ISO-8859-1", 'q=caf%E9'), 200, 'charset=ISO-8859-1 passes');
is(post('/cs/ascii', 'text/plain; charset=us-ascii', 'hello'), 200, 'charset=us-ascii passes');
is(seen("/cs/$_"), 0, "$_: not sent on") for qw(ibm037 utf7);

# --- a text line longer than a piece (4 KiB): the pieces overlap
is(post('/roomy/piece', 'text/plain', ('x' x 4082) . '<img src=x onerror=alert(1)>'), 403, 'an attack cut at the piece boundary of a long line');
is(post('/roomy/piece-ok', 'text/plain', ('x y ' x 5000)), 200, 'a long benign line passes');

# --- the site's transform chain gets its own input
is(http_request($p, 'GET', '/site/chain?q=%26lt%3B%C3%A9%5C')->{status}, 403,
   'a site rule on url,unicode,nul,lower sees what that chain makes, after the XSS chain ran');

# --- framing: pipelined requests after a held body
{
    my $b1 = 'a=1&b=two';
    my $bytes = "POST /pipe/1 HTTP/1.1\r\nHost: x\r\nContent-Type: $form\r\nContent-Length: " . length($b1)
        . "\r\n\r\n$b1"
        . "POST /pipe/2 HTTP/1.1\r\nHost: x\r\nContent-Type: $form\r\nTransfer-Encoding: chunked\r\n\r\n"
        . "4\r\nc=3&\r\n3\r\nd=4\r\n0\r\n\r\n"
        . "POST /pipe/3 HTTP/1.1\r\nHost: x\r\nContent-Type: $form\r\nContent-Length: 31\r\n\r\n"
        . "q=%3Cscript%3Ealert(1)%3C/script%3E"
        . "GET /pipe/4 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    my $out = raw_request($p, $bytes);
    my @st;
    while (my $x = parse_response($out)) { push @st, $x->{status}; $out = $x->{rest} }
    is($st[0], 200, 'pipelined: a held Content-Length body');
    is($st[1], 200, 'pipelined: then a held chunked body');
    is(got('/pipe/1') && got('/pipe/1')->{body}, $b1, 'the first body as sent');
    is(got('/pipe/2') && got('/pipe/2')->{body}, 'c=3&d=4', 'the chunked one re-framed, as sent');
    is($st[2], 403, 'the third, an attack, is inspected on its own');
    is(seen('/pipe/3'), 0, 'and not sent on');
}
{
    # A held chunked body over max_body: the held part, then the rest, once each.
    my $big = 'a=' . ('w' x 20000);
    my $chunks = join '', map { sprintf("%x\r\n%s\r\n", length $_, $_) } unpack '(a3000)*', $big;
    my $out = raw_request($p, "POST /big-chunked HTTP/1.1\r\nHost: x\r\nContent-Type: $form\r\n"
        . "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n${chunks}0\r\n\r\n");
    my $x = parse_response($out);
    is($x && $x->{status}, 200, 'a chunked body over max_body passes');
    is(got('/big-chunked') && got('/big-chunked')->{body}, $big, 'whole, once, in order');
}

# --- a value the worker has no memory left to gather is not passed half-seen
{
    # Another request holds 140,000 of the 200k; this one's body fits
    # beside it, but the value it carries cannot grow past a few KiB.
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $p) or die;
    syswrite $s, "POST /roomy/hog HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 140000\r\n"
        . "Expect: 100-continue\r\n\r\n";
    # The WAF asks for the body once it has made room for it.
    my $first = '';
    ok(wait_until(sub { sysread($s, $first, 100, length $first) if readable($s); $first =~ /\r\n\r\n/ }, 5)
       && $first =~ /^HTTP\/1\.1 100 Continue/, 'the hog holds its room');
    my $st = post('/roomy/squeezed', $form, 'q=' . ('v' x 40000) . $xss);
    is($st, 503, 'an attack beyond what memory let the WAF gather is not passed: 503');
    is(seen('/roomy/squeezed'), 0, 'and not sent on');
    close $s;
}

# --- SQL the way sqlmap's tampers and boundaries shape it
{
    # A line comment ends at the line's end (space2hash): the lines after it
    # are the query, in the query string, a JSON string and a cookie alike.
    my $hashed = join '', map { "$_#x\n" } qw(1) , ('OR', '4021=(SELECT', '4021', 'FROM', 'PG_SLEEP(5))--');
    (my $q = $hashed) =~ s/([^A-Za-z0-9])/sprintf("%%%02X", ord $1)/ge;
    is(http_request($p, 'GET', "/tamper/q?id=$q")->{status}, 403, 'space2hash in the query: 403');
    (my $j = $hashed) =~ s/\n/\\n/g;
    is(post('/tamper/json', 'application/json', qq({"id": "$j"})), 403, 'in a JSON string: 403');
    # The value closes a quoted name or a comment it lands in.
    is(http_request($p, 'GET', '/tamper/c', headers => [ Cookie => 'sort=abc` WHERE 9502=9502 OR NOT 9502=9502-- x' ])
       ->{status}, 403, 'a closed backtick name, then a clause, in a cookie: 403');
    (my $c = 'abc*/ OR 4591=(SELECT 4591 FROM PG_SLEEP(5))--') =~ s/([^A-Za-z0-9])/sprintf("%%%02X", ord $1)/ge;
    is(http_request($p, 'GET', "/tamper/k?x=$c")->{status}, 403, 'a closed comment, then SQL: 403');
    is(seen("/tamper/$_"), 0, "/tamper/$_ not sent on") for qw(q json c k);
    # Prose and code with the same marks pass.
    for my $ok ("# Title\nSome text, or other text.", "found in `/usr/share/common-licenses/GPL-3'.",
                "[root\@host root]# fdisk -lu /dev/hda") {
        (my $v = $ok) =~ s/([^A-Za-z0-9])/sprintf("%%%02X", ord $1)/ge;
        is(http_request($p, 'GET', "/tamper/ok?v=$v")->{status}, 200, "passes: $ok");
    }
}

$t->done;
done_testing;
