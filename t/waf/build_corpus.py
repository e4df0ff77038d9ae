#!/usr/bin/env python3
# Builds the WAF measurement corpus from public payload lists that Debian
# and npm packages carry (see SOURCES.md); t/waf/build-corpus.sh installs
# them and calls this.  Nothing here is filtered by what any WAF detects:
# every list is taken as it comes, deduplicated, with empty and comment
# lines dropped.  Lists far larger than the others are sampled
# deterministically (the lines with the smallest SHA-1) so that one
# fuzzer's output does not drown the hand-written lists.
#
# Usage: build_corpus.py SRCDIR OUTDIR BENIGN_FILE
#   SRCDIR holds the unpacked sources (layout made by build-corpus.sh).
#
# Output: OUTDIR/{sqli,xss,traversal,cmdi,benign}.txt, one payload per
# line (raw bytes, UTF-8 where the source is), and the halves
# OUTDIR/tune/*.txt and OUTDIR/report/*.txt chosen by the first byte of
# the SHA-1 of the line prefixed with "half:" (even: tune, odd: report).  A payload that
# contains CR or LF after decoding cannot be one line and is dropped (the
# count is printed); NUL and other bytes are kept as they are.
# OUTDIR/counts.tsv lists what each source gave.

import configparser
import glob
import hashlib
import os
import re
import sys
import urllib.parse

MIN_LEN = 3   # "'" or "1" alone is a probe, not an attack

srcdir, outdir, benign_file = sys.argv[1:4]
counts = []          # (category, source, lines given after dedup in it)
dropped_nl = {}


def sha(b):
    return hashlib.sha1(b).digest()


def read_lines(path):
    with open(path, 'rb') as f:
        for line in f.read().split(b'\n'):
            line = line.rstrip(b'\r')
            if not line.strip() or line.lstrip().startswith(b'#'):
                continue
            yield line


def sample(lines, cap):
    lines = list(dict.fromkeys(lines))
    if cap is None or len(lines) <= cap:
        return lines
    return sorted(lines, key=sha)[:cap]


class Category:
    def __init__(self, name):
        self.name = name
        self.items = {}      # payload -> None (ordered set)
        self.rest = {}       # lines a cap left out: the held-out set

    def add(self, source, lines, cap=None):
        lines = [l for l in lines if l is not None]
        good = []
        for l in lines:
            if b'\n' in l or b'\r' in l:
                dropped_nl[self.name] = dropped_nl.get(self.name, 0) + 1
                continue
            if len(l.strip()) < MIN_LEN:
                continue
            good.append(l)
        kept = sample(good, cap)
        if len(kept) < len(dict.fromkeys(good)):
            chosen = set(kept)
            for l in dict.fromkeys(good):
                if l not in chosen:
                    self.rest[l] = None
        good = kept
        new = 0
        for l in good:
            if l not in self.items:
                self.items[l] = None
                new += 1
        counts.append((self.name, source, len(good), new))


def urldec(line):
    return urllib.parse.unquote_to_bytes(line)


def p(*parts):
    return os.path.join(srcdir, *parts)


WFUZZ = p('wfuzz')
WAPITI = p('wapiti')
LIBINJ = p('libinjection', 'data')
CRS = p('crs-tests')
BLNS = p('blns', 'blns.txt')


def blns_section(title):
    # A section starts with "#\tTitle" after a blank line; the "#" lines
    # under it describe it.
    out, on, prev_blank = [], False, True
    with open(BLNS, 'rb') as f:
        for line in f.read().split(b'\n'):
            if line.startswith(b'#'):
                if prev_blank:
                    on = line[1:].strip().decode() == title
                prev_blank = False
                continue
            prev_blank = not line.strip()
            if on and line.strip():
                out.append(line)
    return out


def wapiti_ini(path):
    cp = configparser.RawConfigParser(strict=False, interpolation=None)
    cp.read(path, encoding='utf-8')
    return [cp[s]['payload'] for s in cp.sections() if 'payload' in cp[s]]


def wapiti_subst(s):
    if isinstance(s, bytes):
        s = s.decode('utf-8', 'surrogateescape')
    if '[EXTERNAL_ENDPOINT]' in s:
        return None
    s = s.replace('__XSS__', 'xss1').replace('[VALUE]', '1')
    s = s.replace('[TIME]', '5').replace('[LF]', '\n')
    s = s.replace('[TAB]', '\t').replace('[FF]', '\f').replace('[TIMEOUT]', '')
    s = s.replace('[ATTR_SEP]', ' ').replace('[VALUE_SEP]', '"')
    s = s.replace('[DIRVALUE]', '/var/www').replace('[EXTVALUE]', 'php')
    s = s.replace('[FILE_NAME]', 'index.php').replace('\\0', '\0')
    return s.encode('utf-8', 'surrogateescape')


def crs_tests(prefix):
    # The CRS regression tests carry their attack in a query string
    # (uri: /?x=...) or a form body (data: x=...); take every value.
    out = []
    for y in sorted(glob.glob(os.path.join(CRS, prefix + '*', '*.yaml'))):
        with open(y, 'rb') as f:
            for line in f:
                m = re.match(rb'\s*(uri|data):\s*(.*?)\s*$', line)
                if not m:
                    continue
                v = m.group(2)
                if v[:1] in (b'"', b"'") and v[-1:] == v[:1]:
                    v = v[1:-1]
                if m.group(1) == b'uri':
                    if b'?' not in v:
                        continue
                    v = v.split(b'?', 1)[1]
                for kv in v.split(b'&'):
                    if b'=' in kv:
                        val = kv.split(b'=', 1)[1]
                        out.append(urldec(val.replace(b'+', b' ')))
    return out


def libinj(pattern, cap=None):
    res = []
    for f in sorted(glob.glob(os.path.join(LIBINJ, pattern))):
        lines = [urldec(l) for l in read_lines(f)]
        res.append((os.path.basename(f), lines))
    return res


cats = {n: Category(n) for n in ('sqli', 'xss', 'traversal', 'cmdi')}

# --- SQL injection
c = cats['sqli']
c.add('wfuzz Injections/SQL.txt', read_lines(os.path.join(WFUZZ, 'Injections', 'SQL.txt')))
c.add('wapiti blindSQLPayloads.txt',
      [wapiti_subst(l) for l in read_lines(os.path.join(WAPITI, 'blindSQLPayloads.txt'))])
for name, lines in libinj('sqli-*.txt'):
    c.add('libinjection data/' + name, lines, cap=250)

# --- XSS
c = cats['xss']
c.add('wfuzz Injections/XSS.txt', read_lines(os.path.join(WFUZZ, 'Injections', 'XSS.txt')))
c.add('wapiti xssPayloads.ini',
      [wapiti_subst(s) for s in wapiti_ini(os.path.join(WAPITI, 'xssPayloads.ini'))])
c.add('blns Script Injection', blns_section('Script Injection'))
for name, lines in libinj('xss-*.txt'):
    if name == 'xss-shazzer.txt':
        # id|browser|charset|...|payload: the vector is the last field
        lines = [urldec(l.split(b'|')[-1]) for l in read_lines(os.path.join(LIBINJ, name))]
        c.add('libinjection data/' + name, lines, cap=600)
    else:
        c.add('libinjection data/' + name, lines, cap=600)

# --- Path traversal / LFI
c = cats['traversal']
c.add('wfuzz Injections/Traversal.txt', read_lines(os.path.join(WFUZZ, 'Injections', 'Traversal.txt')))
# dirTraversal.txt is the dotdotpwn-style template of the two others:
# {FILE} is the target, as in dirTraversal-nix.txt
for f in ('dirTraversal-nix.txt', 'dirTraversal-win.txt', 'dirTraversal.txt'):
    c.add('wfuzz vulns/' + f, [l.replace(b'{FILE}', b'etc/passwd')
                              for l in read_lines(os.path.join(WFUZZ, 'vulns', f))])
c.add('wapiti fileHandlingPayloads.ini',
      [wapiti_subst(s) for s in wapiti_ini(os.path.join(WAPITI, 'fileHandlingPayloads.ini'))])
c.add('blns File Inclusion', blns_section('File Inclusion'))
c.add('CRS 3.3.4 regression tests 930 (LFI)', crs_tests('REQUEST-930'))

# --- OS command injection
c = cats['cmdi']
c.add('wapiti execPayloads.txt',
      [wapiti_subst(l) for l in read_lines(os.path.join(WAPITI, 'execPayloads.txt'))])
c.add('CRS 3.3.4 regression tests 932 (RCE)', crs_tests('REQUEST-932'))
c.add('blns Command Injection (Ruby)', blns_section('Command Injection (Ruby)'))
gen = os.path.join(srcdir, 'cmdi-commix-technique.txt')
if os.path.exists(gen):
    c.add('cmdi-gen.py (commix classic technique, generated)', read_lines(gen))

benign = Category('benign')
benign.add('t/waf/benign.txt (generated, BSD-2)', read_lines(benign_file))
cats['benign'] = benign

os.makedirs(os.path.join(outdir, 'tune'), exist_ok=True)
os.makedirs(os.path.join(outdir, 'report'), exist_ok=True)
os.makedirs(os.path.join(outdir, 'heldout'), exist_ok=True)
summary = []
for name, c in cats.items():
    items = list(c.items)
    halves = {'tune': [], 'report': []}
    for l in items:
        # salted, so the halves do not follow the sampling order above
        halves['tune' if sha(b'half:' + l)[0] % 2 == 0 else 'report'].append(l)
    # held out: what the caps left of the large lists, in neither half
    rest = [l for l in c.rest if l not in c.items]
    for sub, lst in (('', items), ('tune', halves['tune']), ('report', halves['report']),
                     ('heldout', rest)):
        with open(os.path.join(outdir, sub, name + '.txt'), 'wb') as f:
            for l in lst:
                f.write(l + b'\n')
    summary.append((name, len(items), len(halves['tune']), len(halves['report']), len(rest)))

with open(os.path.join(outdir, 'counts.tsv'), 'w') as f:
    f.write('category\tsource\tlines\tnew\n')
    for row in counts:
        f.write('%s\t%s\t%d\t%d\n' % row)
for row in counts:
    print('%-9s %-55s %6d %6d new' % row)
for name, n, t, r, h in summary:
    print('%-9s total %5d  tune %5d  report %5d  held out %5d  (dropped for CR/LF: %d)'
          % (name, n, t, r, h, dropped_nl.get(name, 0)))
