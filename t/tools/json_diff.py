#!/usr/bin/env python3
"""Differential test of bouncer's JSON parser against Python's json module.

Writes a corpus (hand-written y_ must-accept, n_ must-refuse and i_ either
cases in the style of JSONTestSuite, then random g_ values and m_ mutations
of them), runs objs/t/json_check on all of it, parses each case with a
strict Python reader, and prints TAP: one test per case that the two agree.

The Python side is made as strict as RFC 8259 and our parser: bytes are
decoded as strict UTF-8 (no overlongs, surrogates or code points above
U+10FFFF), NaN/Infinity are refused (parse_constant), duplicate keys are
refused (object_pairs_hook), and a string holding a lone surrogate (which
json.loads builds from "\\ud800") is refused.  Numbers are kept as written
(parse_int/parse_float) and printed as literal=%.17g, as json_check does.

The documented disagreements (DOCUMENTED below) are limits: our depth
bound, which Python does not have.

usage: json_diff.py JSON_CHECK WORKDIR [SEED] [COUNT]
"""
import json
import os
import random
import subprocess
import sys

DEPTH = 512  # json_check -d: Python's own recursion limit is about 1000

Y = {
    'null': b'null', 'true': b'true', 'false': b'false',
    'int': b'123', 'neg': b'-123', 'zero': b'0', 'negzero': b'-0', 'frac': b'0.5',
    'exp': b'1e10', 'exp_cap': b'1E10', 'exp_plus': b'1e+10', 'exp_minus': b'1e-10',
    'frac_exp': b'-1.25E-7', 'zero_exp': b'0e0', 'zero_frac': b'0.000', 'big_int': b'9' * 400,
    'huge': b'1e400', 'neg_huge': b'-1e400', 'tiny': b'1e-400', 'denormal': b'4.9e-324',
    'max_double': b'1.7976931348623157e308', 'round': b'0.1', 'long_frac': b'3.14159265358979323846264338327950288',
    'empty_string': b'""', 'string': b'"abc"', 'escapes': b'"\\"\\\\\\/\\b\\f\\n\\r\\t"',
    'u_escape': b'"\\u0041\\u00e9\\u20ac\\uFFFF"', 'u_upper': b'"\\u00C9\\uABCD"',
    'u_nul': b'"\\u0000"', 'pair': b'"\\ud83d\\ude00"', 'pair_max': b'"\\udbff\\udfff"',
    'pair_min': b'"\\ud800\\udc00"', 'utf8_2': '"é"'.encode(), 'utf8_3': '"€"'.encode(),
    'utf8_4': '"😀"'.encode(), 'utf8_max': b'"\xf4\x8f\xbf\xbf"', 'utf8_d7ff': b'"\xed\x9f\xbf"',
    'utf8_e000': b'"\xee\x80\x80"', 'nonchar_fffe': b'"\xef\xbf\xbe"', 'del': b'"\x7f"',
    'c1_control': b'"\xc2\x80"', 'empty_array': b'[]', 'empty_object': b'{}',
    'array': b'[1,"a",true,false,null,[],{}]', 'object': b'{"a":1,"b":[2],"c":{"d":null}}',
    'ws': b' \t\r\n[ \t\r\n1 \t\r\n, \t\r\n2 \t\r\n] \t\r\n',
    'ws_object': b'{ "a" : 1 , "b" : 2 }', 'empty_key': b'{"":1}', 'nul_key': b'{"\\u0000":1}',
    'case_keys': b'{"a":1,"A":2}', 'escaped_key_distinct': b'{"a":1,"\\u0062":2}',
    'same_key_nested': b'{"a":{"a":{"a":1}}}', 'same_key_siblings': b'[{"a":1},{"a":2}]',
    'nested_100': b'[' * 100 + b']' * 100, 'nested_obj_50': b'{"a":' * 50 + b'1' + b'}' * 50,
    'slash': b'"/"', 'long_string': b'"' + b'x' * 5000 + b'"', 'many_members': b'{' + b','.join(b'"k%d":%d' % (i, i) for i in range(300)) + b'}',
    'array_of_strings': b'["a","b","c"]', 'trailing_nl': b'{}\n', 'leading_ws': b'\n\n{}',
}

N = {
    'empty': b'', 'ws_only': b'  \n', 'trailing_comma_array': b'[1,]', 'trailing_comma_object': b'{"a":1,}',
    'double_comma': b'[1,,2]', 'leading_comma': b'[,1]', 'comma_only': b'[,]', 'obj_comma_only': b'{,}',
    'missing_colon': b'{"a" 1}', 'missing_value': b'{"a":}', 'missing_comma': b'[1 2]',
    'unquoted_key': b'{a:1}', 'number_key': b'{1:1}', 'single_quotes': b"['a']", 'single_quote_key': b"{'a':1}",
    'mismatch_1': b'[}', 'mismatch_2': b'{]', 'mismatch_3': b'[1}', 'unclosed_array': b'[1',
    'unclosed_object': b'{"a":1', 'unclosed_string': b'"abc', 'close_only': b']', 'two_values': b'1 2',
    'two_objects': b'{}{}', 'garbage_after': b'[1]x', 'comment_block': b'/* c */ 1', 'comment_line': b'1 // c',
    'comment_hash': b'# c\n1', 'comment_in_array': b'[1/**/]', 'leading_zero': b'01', 'neg_leading_zero': b'-01',
    'double_zero': b'00', 'plus': b'+1', 'lone_minus': b'-', 'minus_space': b'- 1', 'dot_end': b'1.',
    'dot_start': b'.5', 'dot_exp': b'1.e5', 'e_end': b'1e', 'e_sign_end': b'1e+', 'double_dot': b'1.2.3',
    'double_e': b'1e5e5', 'hex': b'0x10', 'nan': b'NaN', 'inf': b'Infinity', 'neg_inf': b'-Infinity',
    'nan_lower': b'nan', 'array_nan': b'[NaN]', 'true_cap': b'True', 'null_cap': b'NULL', 'tru': b'tru',
    'nul': b'nul', 'truex': b'truex', 'fals': b'fals', 'undefined': b'undefined',
    'raw_tab': b'"a\tb"', 'raw_nl': b'"a\nb"', 'raw_nul': b'"\x00"', 'raw_1f': b'"\x1f"', 'raw_cr': b'"\r"',
    'bad_escape_x': b'"\\x41"', 'bad_escape_a': b'"\\a"', 'bad_escape_U': b'"\\U0041"', 'bad_escape_0': b'"\\0"',
    'escape_nul': b'"\\\x00"', 'short_u': b'"\\u12"', 'bad_hex': b'"\\u12G4"', 'u_end': b'"\\u',
    'lone_high': b'"\\ud800"', 'lone_high_end': b'"\\udbff"', 'lone_low': b'"\\udc00"', 'high_high': b'"\\ud800\\ud800"',
    'high_then_char': b'"\\ud800x"', 'high_then_escape': b'"\\ud800\\n"', 'high_then_bmp': b'"\\ud800\\u0041"',
    'low_high': b'"\\udc00\\ud800"', 'lone_high_key': b'{"\\ud800":1}',
    'utf8_cont': b'"\x80"', 'utf8_lone_bf': b'"\xbf"', 'utf8_overlong_2': b'"\xc0\xaf"', 'utf8_overlong_c1': b'"\xc1\xbf"',
    'utf8_overlong_3': b'"\xe0\x80\xaf"', 'utf8_overlong_3b': b'"\xe0\x9f\xbf"', 'utf8_overlong_4': b'"\xf0\x80\x80\xaf"',
    'utf8_overlong_4b': b'"\xf0\x8f\xbf\xbf"', 'utf8_surrogate_d800': b'"\xed\xa0\x80"', 'utf8_surrogate_dfff': b'"\xed\xbf\xbf"',
    'utf8_cesu_pair': b'"\xed\xa0\xbd\xed\xb8\x80"', 'utf8_110000': b'"\xf4\x90\x80\x80"', 'utf8_f5': b'"\xf5\x80\x80\x80"',
    'utf8_5byte': b'"\xf8\x88\x80\x80\x80"', 'utf8_ff': b'"\xff"', 'utf8_fe': b'"\xfe"', 'utf8_truncated_2': b'"\xc3"',
    'utf8_truncated_3': b'"\xe2\x82"', 'utf8_truncated_4': b'"\xf0\x9f\x98"', 'utf8_bad_cont': b'"\xc3x"',
    'utf8_in_key': b'{"\xc0\x80":1}', 'utf8_outside': b'\xc3\xa9', 'bom': b'\xef\xbb\xbf{}', 'nbsp_ws': b'\xc2\xa01',
    'formfeed_ws': b'\x0c1', 'vtab_ws': b'\x0b1', 'nul_after': b'1\x00', 'dup_key': b'{"a":1,"a":2}',
    'dup_key_nested': b'{"x":{"b":1,"b":1}}', 'dup_key_escaped': b'{"\\u0061":1,"a":2}',
    'dup_key_many': b'{' + b','.join(b'"k%d":%d' % (i, i) for i in range(50)) + b',"k7":0}',
    'dup_empty_key': b'{"":1,"":2}', 'colon_in_array': b'[1:2]', 'array_as_key': b'{[]:1}',
    'extra_close': b'[]]', 'extra_close_obj': b'{}}', 'object_no_value': b'{"a"}', 'lone_colon': b':',
    'string_key_no_colon_end': b'{"a"', 'emoji_raw_outside': '😀'.encode(), 'escaped_outside': b'\\n',
}

I = {
    # RFC 8259 leaves these to the implementation; we and Python must still agree.
    'nonchar_ffff_raw': b'"\xef\xbf\xbf"', 'nonchar_ffff_escaped': b'"\\uffff"', 'nonchar_10ffff': b'"\\udbff\\udfff"',
    'huge_exp': b'1e999999', 'huge_neg_exp': b'1e-999999', 'long_exp': b'1e' + b'0' * 300 + b'1',
    'int_64': b'9223372036854775808', 'neg_int_64': b'-9223372036854775809', 'precision': b'1.0000000000000001',
    'many_digits': b'0.' + b'1' * 1000, 'nested_500': b'[' * 500 + b']' * 500,
    'nested_600': b'[' * 600 + b']' * 600, 'nul_escape_in_key': b'{"a\\u0000b":1,"a":2}',
}

# name -> (what we say, why it differs): only limits.
DOCUMENTED = {
    'i_nested_600': ('error: nested too deep', 'our depth bound (json_check -d %d); Python has none' % DEPTH),
}


def strict(s):
    for ch in s:
        if 0xd800 <= ord(ch) <= 0xdfff:
            raise ValueError('lone surrogate')
    return s


class Obj:
    def __init__(self, pairs):
        keys = set()
        for k, _ in pairs:
            if k in keys:
                raise ValueError('duplicate key')
            keys.add(k)
        self.pairs = pairs


def esc(s):
    out = []
    for c in strict(s).encode('utf-8'):
        if c < 0x20 or c > 0x7e or c in (0x22, 0x5c):
            out.append('\\x%02x' % c)
        else:
            out.append(chr(c))
    return '"' + ''.join(out) + '"'


def canon(v):
    if v is None:
        return 'null'
    if v is True:
        return 'true'
    if v is False:
        return 'false'
    if isinstance(v, tuple):
        return '%s=%s' % (v[1], '%.17g' % float(v[1]))
    if isinstance(v, str):
        return esc(v)
    if isinstance(v, list):
        return '[' + ','.join(canon(x) for x in v) + ']'
    return '{' + ','.join(esc(k) + ':' + canon(x) for k, x in v.pairs) + '}'


def refuse(name):
    raise ValueError('constant ' + name)


def python_result(data):
    try:
        text = data.decode('utf-8', errors='strict')
        v = json.loads(text, object_pairs_hook=Obj, parse_constant=refuse,
                       parse_int=lambda s: ('num', s), parse_float=lambda s: ('num', s))
        return canon(v)
    except (ValueError, RecursionError):
        return 'error'


# --- random cases ---------------------------------------------------------

WS = ' \t\r\n'


def ws(r):
    return ''.join(r.choice(WS) for _ in range(r.choice([0, 0, 0, 1, 2])))


def gen_number(r):
    k = r.randrange(8)
    if k == 0:
        return str(r.randrange(-1000, 1000))
    if k == 1:
        return str(r.randrange(-10**30, 10**30))
    if k == 2:
        return repr(r.uniform(-1e6, 1e6))
    if k == 3:
        return '%s%d.%de%s%d' % (r.choice(['', '-']), r.randrange(10), r.randrange(10**6),
                                 r.choice(['', '+', '-']), r.randrange(400))
    if k == 4:
        return r.choice(['0', '-0', '0.0', '-0.0e-0', '1E1'])
    if k == 5:
        return '%de%d' % (r.randrange(1, 10), r.randrange(-330, 330))
    if k == 6:
        return repr(r.random() * 10 ** r.randrange(-300, 300))
    return str(r.randrange(10**17, 10**19))


def gen_char(r):
    k = r.randrange(10)
    if k < 5:
        return chr(r.randrange(0x20, 0x7f))
    if k == 5:
        return chr(r.randrange(0, 0x20))
    if k == 6:
        return chr(r.randrange(0x80, 0x800))
    if k == 7:
        c = r.randrange(0x800, 0x10000)
        return chr(c) if not 0xd800 <= c <= 0xdfff else 'x'
    if k == 8:
        return chr(r.randrange(0x10000, 0x110000))
    return r.choice('"\\/')


def enc_string(r, s):
    out = ['"']
    for ch in s:
        c = ord(ch)
        simple = {'"': '\\"', '\\': '\\\\', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t'}
        if ch in simple and (c < 0x20 or ch in '"\\' or r.random() < 0.5):
            out.append(simple[ch])
        elif c < 0x20 or r.random() < 0.15:
            if c >= 0x10000:
                c -= 0x10000
                hi, lo = 0xd800 + (c >> 10), 0xdc00 + (c & 0x3ff)
                out.append(r.choice(['\\u%04x\\u%04x', '\\u%04X\\u%04X']) % (hi, lo))
            else:
                out.append(r.choice(['\\u%04x', '\\u%04X']) % c)
        elif ch == '/' and r.random() < 0.3:
            out.append('\\/')
        else:
            out.append(ch)
    out.append('"')
    return ''.join(out)


def gen_value(r, depth):
    k = r.randrange(10 if depth < 6 else 6)
    if k == 0:
        return r.choice(['null', 'true', 'false'])
    if k in (1, 2):
        return gen_number(r)
    if k in (3, 4, 5):
        return enc_string(r, ''.join(gen_char(r) for _ in range(r.randrange(12))))
    if k in (6, 7):
        items = [gen_value(r, depth + 1) for _ in range(r.randrange(5))]
        return '[' + ws(r) + (ws(r) + ',' + ws(r)).join(items) + ws(r) + ']'
    n = r.randrange(5)
    keys = [''.join(gen_char(r) for _ in range(r.randrange(4))) for _ in range(n)]
    if n > 1 and r.random() < 0.1:
        keys[-1] = keys[0]  # a duplicate: both must refuse
    members = [enc_string(r, key) + ws(r) + ':' + ws(r) + gen_value(r, depth + 1) for key in keys]
    return '{' + ws(r) + (ws(r) + ',' + ws(r)).join(members) + ws(r) + '}'


INTERESTING = b'{}[],:"\\ \t\n0123456789-+.eEtrufalsn/\x00\x1f\x7f\x80\xbf\xc0\xc3\xe0\xed\xf0\xf4\xff'


def mutate(r, data):
    b = bytearray(data)
    for _ in range(r.randrange(1, 4)):
        op = r.randrange(5)
        if op == 0 and b:
            del b[r.randrange(len(b))]
        elif op == 1:
            b.insert(r.randrange(len(b) + 1), r.choice(INTERESTING))
        elif op == 2 and b:
            b[r.randrange(len(b))] = r.choice(INTERESTING)
        elif op == 3 and b:
            b = b[:r.randrange(len(b))]
        elif op == 4 and b:
            i = r.randrange(len(b))
            b[i:i] = b[i:i + r.randrange(1, 8)]
    return bytes(b)


def main():
    sys.setrecursionlimit(20000)
    check, work = sys.argv[1], sys.argv[2]
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 8259
    count = int(sys.argv[4]) if len(sys.argv) > 4 else 300
    r = random.Random(seed)
    cases = []
    for prefix, table in (('y', Y), ('n', N), ('i', I)):
        for name, data in table.items():
            cases.append(('%s_%s' % (prefix, name), data))
    for i in range(count):
        data = (ws(r) + gen_value(r, 0) + ws(r)).encode('utf-8', errors='surrogatepass')
        cases.append(('g_%d' % i, data))
        cases.append(('m_%d' % i, mutate(r, data)))
    os.makedirs(work, exist_ok=True)
    paths = []
    for name, data in cases:
        p = os.path.join(work, name + '.json')
        with open(p, 'wb') as f:
            f.write(data)
        paths.append(p)
    out = subprocess.run([check, '-d', str(DEPTH)] + paths, stdout=subprocess.PIPE).stdout
    ours = out.decode('ascii', errors='replace').split('\n')
    print('1..%d' % (len(cases) + 1))
    print('%sok 1 - json_check gave one line per case (%d cases, seed %d)' %
          ('' if len(ours) == len(cases) + 1 else 'not ', len(cases), seed))
    n = 1
    counts = {'accepted': 0, 'refused': 0}
    for (name, data), line in zip(cases, ours):
        n += 1
        py = python_result(data)
        we = 'error' if line.startswith('error: ') else line
        counts['refused' if we == 'error' else 'accepted'] += 1
        if name in DOCUMENTED:
            want, why = DOCUMENTED[name]
            good = line.startswith(want + ' @') and py != 'error'
            print('%sok %d - %s: documented difference: %s' % ('' if good else 'not ', n, name, why))
        else:
            good = we == py
            if name.startswith('y_'):
                good = good and we != 'error'
            elif name.startswith('n_'):
                good = good and we == 'error'
            print('%sok %d - %s: %s' % ('' if good else 'not ', n, name, 'accepted' if we != 'error' else line))
        if not good:
            print('#   input:  %r' % data[:200])
            print('#   ours:   %s' % line[:400])
            print('#   python: %s' % py[:400])
    print('# %(accepted)d accepted, %(refused)d refused by both' % counts)


main()
