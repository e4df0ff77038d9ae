# The WAF and request bodies: held until the decision, then sent whole;
# max_body both ways (strict_body refuses, else the rest passes
# uninspected); "100 Continue" sent when the WAF first needs the body (and
# not when the head alone is refused); bodies that claim a type and do not
# parse are refused; a body that stops mid-way, or too slowly, ends cleanly;
# limits.waf_body_memory: over it, 503, never growth.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use BouncerTest;
use IO::Socket::INET;
use Test::More;
use Time::HiRes qw(sleep time);

my $t = BouncerTest->new;
my ($p, $be) = ($t->port, $t->port);
$t->backend($be);
$t->config(<<C);
limits = { body_timeout = "1s"; waf_body_memory = "200k"; max_body_size = "4m"; };
upstreams = ( { name = "be"; servers = ( { address = "127.0.0.1:$be"; } ); } );
servers = ( { listen = [ "127.0.0.1:$p" ];
  waf = { mode = "block"; max_body = "8k"; };
  routes = ( { match = { prefix = "/strict/"; }; upstream = "be"; waf = { strict_body = true; }; },
             { match = { prefix = "/files/"; }; upstream = "be"; waf = { inspect_files = true; }; },
             { match = { prefix = "/roomy/"; }; upstream = "be"; waf = { max_body = "150k"; }; },
             { match = { prefix = "/"; }; upstream = "be"; } ); } );
C
$t->start(ports => [$p]);

sub seen { scalar grep { (split /\?/, $_->{path})[0] eq $_[0] } $t->backend_requests($be) }
sub body_of { my ($g) = grep { $_->{path} eq $_[0] } $t->backend_requests($be); $g && $g->{body} }
sub post {
    my ($path, $ctype, $body) = @_;
    return http_request($p, 'POST', $path, headers => ['Content-Type' => $ctype], body => $body);
}
my $attack = '<script>alert(1)</script>';
my $form = 'application/x-www-form-urlencoded';

# --- max_body
my $pad = 'a=' . ('x' x 9000);
my $r = post('/late', $form, "$pad&q=$attack");
is($r->{status}, 200, 'an attack past max_body passes (strict_body false)');
is(body_of('/late'), "$pad&q=$attack", 'and the backend has the whole body, held part and rest');
$r = post('/strict/late', $form, "$pad&q=1");
is($r->{status}, 413, 'strict_body: a body over max_body is refused (413)');
is(seen('/strict/late'), 0, 'and not sent on');
$r = post('/early', $form, "q=$attack&$pad");
is($r->{status}, 403, 'an attack within max_body of a longer body is refused');
is(seen('/early'), 0, 'and not sent on');
my $big = 'a=' . ('y' x 100_000);
$r = post('/roomy/big', $form, $big);
is($r->{status}, 200, 'a 100 KiB body within max_body passes');
is(body_of('/roomy/big'), $big, 'byte for byte');
{
    # The same body in small pieces (a slow client; HTTP/2 cuts it into
    # DATA frames): what the WAF holds stays within the same memory.
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $p) or die "connect: $!";
    syswrite $s, "POST /roomy/pieces HTTP/1.1\r\nHost: a\r\nContent-Type: $form\r\n"
                 . "Content-Length: " . length($big) . "\r\nConnection: close\r\n\r\n";
    for (my $o = 0; $o < length $big; $o += 4096) {
        syswrite $s, substr($big, $o, 4096);
        sleep 0.005;
    }
    my $res = BouncerTest::parse_response(BouncerTest::read_to_eof($s, 10));
    is($res && $res->{status}, 200, 'a 100 KiB body in 4 KiB pieces passes within waf_body_memory');
    ok((body_of('/roomy/pieces') // '') eq $big, 'byte for byte');
}

# --- bodies that do not parse
my @bad = (
    ['application/json', '{"a": 1,}', 'a trailing comma'],
    ['application/json', '{"a": 1, "a": 2}', 'a duplicate key'],
    ['application/json', '{' . join(',', map { "\"k$_\":0" } 0 .. 15) . ',"k0":1}', 'a duplicate 17th key'],
    ['application/json', '{' . join(',', map { "\"k$_\":0" } 0 .. 16) . ',"k16":1}', 'a duplicate 18th key'],
    ['application/json', '{' . join(',', map { "\"k$_\":0" } 0 .. 9999) . ',"k5000":1}', 'a duplicate among 10,000 keys'],
    ['application/json', '{"o": {' . join(',', map { "\"k$_\":0" } 0 .. 99) . '}, "p": {'
        . join(',', map { "\"k$_\":0" } 0 .. 99) . ',"k99":1}}', 'a duplicate in the second of two large objects'],
    ['application/json', ('[' x 100) . (']' x 100), 'nested too deep'],
    ['application/json', "{\"a\": \"\xc0\xaf\"}", 'overlong UTF-8'],
    ['application/json', '{"a": "unterminated', 'a body that ends inside a string'],
    ['application/vnd.api+json', '{"a" 1}', 'a +json type'],
    ['multipart/form-data', "--x\r\n\r\n", 'multipart without a boundary parameter'],
    ['multipart/form-data; boundary=x', "--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nv", 'multipart without its closing delimiter'],
    ['multipart/form-data; boundary=x', "--x\r\nContent-Disposition: form-data; name=\"a\"\r\n" . ("X-Pad: " . ('p' x 100) . "\r\n") x 100 . "\r\nv\r\n--x--\r\n", 'multipart with a huge part head'],
    ['multipart/form-data; boundary=x', join('', map { "--x\r\nContent-Disposition: form-data; name=\"a$_\"\r\n\r\n\r\n" } 1 .. 1200) . "--x--\r\n", 'multipart with endless parts'],
);
my $i = 0;
for my $b (@bad) {
    my ($ctype, $body, $what) = @$b;
    my $path = "/bad/" . $i++;
    my $roomy = length($body) > 8000 ? "/roomy$path" : $path;
    $r = post($roomy, $ctype, $body);
    is($r && $r->{status}, 403, "$what: refused");
    is(seen($roomy), 0, "$what: not sent on");
}
ok($t->wait_log(qr/rule 200002 \(the request body does not parse as its Content-Type says\) in body after none: "duplicate key"/),
   'the log says why the body did not parse');
# NUL and overlong UTF-8: an encoding trick in a field a parser took apart
# (form, JSON, multipart), binary data in raw bytes (a body of no parsed
# type, a file's contents).
my $mpf = sub {
    my ($field, $content) = @_;
    "--zz\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\n$field\r\n"
        . "--zz\r\nContent-Disposition: form-data; name=\"upload\"; filename=\"a.bin\"\r\n"
        . "Content-Type: application/octet-stream\r\n\r\n$content\r\n--zz--\r\n";
};
is(post('/nul/json', 'application/json', '{"f": "file.php\\u0000.jpg"}')->{status}, 403, 'a NUL in a JSON string: refused');
ok($t->wait_log(qr/rule 920270 \(NUL byte in the request\) in body "f"/), 'by 920270, in the body');
is(post('/nul/form', $form, 'f=file.php%00.jpg')->{status}, 403, 'a NUL in a form field: refused');
is(post('/nul/form2', $form, 'f=a%C0%AFb')->{status}, 403, 'overlong UTF-8 in a form field: refused');
is(post('/nul/mp', 'multipart/form-data; boundary=zz', $mpf->("a\0b", 'x'))->{status}, 403,
   'a NUL in a multipart field: refused');
my $binary = "GIF89a\0\0\x01\xc0\xaf\xc1\xbf\0\xff\0end";
is(post('/nul/bin', 'application/octet-stream', $binary)->{status}, 200,
   'NUL and overlong bytes in a body of no parsed type: binary data, it passes');
is(body_of('/nul/bin'), $binary, 'byte for byte');
is(post('/files/nul', 'multipart/form-data; boundary=zz', $mpf->('My holiday', $binary))->{status}, 200,
   'and in a file\'s contents with inspect_files');
is(post('/nul/bin2', 'application/octet-stream', "\0\xc0\xaf<script>alert(1)</script>")->{status}, 403,
   'an attack among them is still found');

# Large objects: their keys are checked by a table, where an object's own
# keys, and only those, count.
for my $ok (['{' . join(',', map { "\"k$_\":{" . join(',', map { "\"k$_\":1" } 0 .. 19) . '}' } 0 .. 299) . '}',
             'an object of 300 keys, each an object of 20 of the same names'],
            ['[' . join(',', map { '{' . join(',', map { "\"k$_\":1" } 0 .. 40) . '}' } 1 .. 50) . ']',
             'fifty objects of the same 41 keys in a row'],
            ['{' . join(',', map { "\"k$_\":0" } 0 .. 4999) . "}", "an object of 5,000 keys"]) {
    my ($body, $what) = @$ok;
    is(post('/roomy/keys', 'application/json', $body)->{status}, 200, "$what: passes");
}
my $json = '{"name": "Ann", "tags": ["a", "b"], "n": 1.5e3, "ok": true, "none": null, "nested": {"deep": [{"x": "y"}]}}';
is(post('/good.json', 'application/json', $json)->{status}, 200, 'well-formed JSON passes');
is(body_of('/good.json'), $json, 'as it was');
is(post('/plain', 'text/plain', "line one\nline two; nothing here\n")->{status}, 200, 'plain text passes');
is(post('/plain-bad', 'text/plain', "line one\nline <script>alert(1)</script>\n")->{status}, 403,
   'an attack on a line of a text body is refused');
is(post('/no-type', '', "q=$attack")->{status}, 403, 'a body without a type is inspected as text');

# --- multipart: field values and file names; contents only with inspect_files
my $mp = sub {
    my ($fname, $content) = @_;
    "--zz\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nMy holiday\r\n"
        . "--zz\r\nContent-Disposition: form-data; name=\"upload\"; filename=\"$fname\"\r\n"
        . "Content-Type: application/octet-stream\r\n\r\n$content\r\n--zz--\r\n";
};
my $mct = 'multipart/form-data; boundary=zz';
is(post('/up/1', $mct, $mp->('photo.jpg', $attack))->{status}, 200, 'a file\'s contents are not inspected by default');
is(post('/files/1', $mct, $mp->('photo.jpg', $attack))->{status}, 403, 'inspect_files: they are');
is(post('/up/2', $mct, $mp->('../../../etc/passwd', 'data'))->{status}, 403, 'a file name is inspected');
is(post('/files/2', $mct, $mp->('photo.jpg', 'plain bytes'))->{status}, 200, 'a benign upload passes');

# --- 100 Continue
sub expect_continue {
    my ($path, $query, $body) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $p) or die;
    syswrite $s, "POST $path$query HTTP/1.1\r\nHost: x\r\nContent-Type: $form\r\nContent-Length: "
        . length($body) . "\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n";
    my $first = '';
    my $rin = '';
    vec($rin, fileno($s), 1) = 1;
    sysread($s, $first, 65536) if select(my $rout = $rin, undef, undef, 3);
    syswrite $s, $body if $first =~ /^HTTP\/1\.1 100/;
    my $rest = BouncerTest::read_to_eof($s, 5);
    return ($first, $rest);
}
my ($first, $rest) = expect_continue('/cont/ok', '', 'a=1&b=2');
like($first, qr/^HTTP\/1\.1 100 Continue\r\n\r\n/, '100 Continue when the WAF needs the body');
my $resp = parse_response($first =~ s/^HTTP\/1\.1 100 Continue\r\n\r\n//r . $rest);
is($resp && $resp->{status}, 200, 'then the answer');
my ($g) = grep { $_->{path} eq '/cont/ok' } $t->backend_requests($be);
is($g && $g->{body}, 'a=1&b=2', 'the backend has the body');
ok($g && !exists $g->{headers}{expect}, 'and no Expect (bouncer answered it)');
($first, $rest) = expect_continue('/cont/bad', '', "q=$attack");
like($first, qr/^HTTP\/1\.1 100 Continue/, 'an attack in the body: 100 Continue first');
$resp = parse_response($first =~ s/^HTTP\/1\.1 100 Continue\r\n\r\n//r . $rest);
is($resp && $resp->{status}, 403, 'then 403');
($first, $rest) = expect_continue('/cont/head', "?q=%3Cscript%3Ealert(1)%3C/script%3E", 'a=1');
like($first, qr/^HTTP\/1\.1 403/, 'an attack in the head: 403 at once, no 100 Continue');

# --- a body that stops mid-way; one that comes too slowly
{
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $p) or die;
    syswrite $s, "POST /cut HTTP/1.1\r\nHost: x\r\nContent-Type: $form\r\nContent-Length: 100\r\n\r\na=1&b=";
    sleep 0.2;
    close $s;
    ok($t->wait_log(qr/client closed the connection while sending the body.*POST \/cut/), 'a body that stops: logged');
    is(seen('/cut'), 0, 'and nothing sent on');
    my $start = time;
    $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $p) or die;
    syswrite $s, "POST /slow HTTP/1.1\r\nHost: x\r\nContent-Type: $form\r\nContent-Length: 100\r\n\r\na=1";
    my $out = BouncerTest::read_to_eof($s, 5);
    like($out, qr/^HTTP\/1\.1 408/, 'a body slower than body_timeout: 408');
    cmp_ok(time - $start, '<', 4, 'after about body_timeout');
    is(seen('/slow'), 0, 'and nothing sent on');
}

# --- waf_body_memory: bodies held at once may not pass it
# A form of short fields, $len bytes: what the WAF holds is the body, and
# the field being read (a field of 140 KB would need as much again).
sub pairs {
    my ($len) = @_;
    my ($rest, $k) = ('', 0);
    $rest .= '&b' . $k++ . '=' . ('x' x 190) while length($rest) < $len;
    return substr($rest, 0, $len);
}
{
    my @s;
    for my $k (1 .. 2) {
        my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $p) or die;
        syswrite $s, "POST /roomy/hold$k HTTP/1.1\r\nHost: x\r\nContent-Type: $form\r\nContent-Length: 140000\r\n\r\na=1";
        push @s, $s;
        sleep 0.2;
    }
    my $out = BouncerTest::read_to_eof($s[1], 3);
    like($out, qr/^HTTP\/1\.1 503/, 'a body that would pass waf_body_memory: 503');
    ok($t->wait_log(qr/\[warn\].*waf: limits\.waf_body_memory \(204800 bytes\) is all held/), 'logged at warn');
    syswrite $s[0], pairs(139997);
    $out = BouncerTest::read_to_eof($s[0], 5);
    like($out, qr/^HTTP\/1\.1 200/, 'the body within it goes on');
    close $_ for @s;
    # Its memory came back: the same again fits.
    $r = post('/roomy/again', $form, 'a=1' . pairs(139997));
    is($r->{status}, 200, 'once it is done, its memory is given back');
}

$t->done;
done_testing;
