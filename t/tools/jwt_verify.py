#!/usr/bin/env python3
"""The cases of t/jwt_verify.t: writes JWKS files from the keys the test made
in DIR, signs tokens with PyJWT (the attacks by hand), runs jwt_check on each
and prints TAP.

usage: jwt_verify.py JWT_CHECK DIR
"""
import base64
import hashlib
import hmac
import json
import os
import subprocess
import sys
import time

import jwt
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

check, d = sys.argv[1], sys.argv[2]
now = int(time.time())


def key(name):
    with open(os.path.join(d, name + '.key'), 'rb') as f:
        return serialization.load_pem_private_key(f.read(), None)


def path(name):
    return os.path.join(d, name)


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b'=').decode()


def jwk(k, **extra):
    pub = k.public_key()
    if name_of(k) == 'rsa':
        j = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(pub))
    elif name_of(k) == 'ec':
        j = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(pub))
    else:
        j = json.loads(jwt.algorithms.OKPAlgorithm.to_jwk(pub))
    j.update(extra)
    return j


def name_of(k):
    t = type(k).__name__.lower()
    return 'rsa' if 'rsa' in t else 'ec' if 'elliptic' in t else 'okp'


def write(name, text):
    with open(path(name), 'w' if isinstance(text, str) else 'wb') as f:
        f.write(text)
    return path(name)


rsa, rsa1024, p256, p384, p521, ed = (key(n) for n in ('rsa', 'rsa1024', 'p256', 'p384', 'p521', 'ed25519'))
with open(path('hs.secret'), 'rb') as f:
    secret = f.read()
with open(path('rsa.pub'), 'rb') as f:
    rsa_pem = f.read()

write('all.jwks', json.dumps({'keys': [
    jwk(rsa, kid='rsa1', use='sig'), jwk(p256, kid='p256'), jwk(p384, kid='p384', alg='ES384'),
    jwk(p521, kid='p521'), jwk(ed, kid='ed'),
    {'kty': 'oct', 'kid': 'hs', 'k': b64(secret)},
    {'kty': 'oct', 'kid': 'enc', 'k': b64(b'e' * 32), 'use': 'enc'},
]}))
write('nokid.jwks', json.dumps({'keys': [jwk(p256), jwk(rsa), jwk(ed)]}))
write('rs512only.jwks', json.dumps({'keys': [jwk(rsa, alg='RS512')]}))
write('enconly.jwks', json.dumps({'keys': [jwk(rsa, use='enc')]}))
write('small.jwks', json.dumps({'keys': [jwk(rsa1024, kid='small')]}))
write('badcurve.jwks', json.dumps({'keys': [jwk(p256, kid='p', alg='ES384')]}))
write('rsa_pem_as_jwks.jwks', json.dumps({'keys': [{'kty': 'oct', 'k': b64(rsa_pem)}]}))

claims = {'sub': 'alice', 'iss': 'https://idp', 'aud': 'api', 'exp': now + 600, 'iat': now}
ALL = 'HS256,HS384,HS512,RS256,RS384,RS512,PS256,PS384,PS512,ES256,ES384,ES512,EdDSA'


def sign(alg, k, c=None, headers=None):
    return jwt.encode(claims if c is None else c, k, algorithm=alg, headers=headers)


def by_hand(header, c, signer):
    si = b64(json.dumps(header).encode()) + '.' + b64(json.dumps(c).encode())
    return si + '.' + b64(signer(si.encode()))


def with_sig(token, sig):
    return token.rsplit('.', 1)[0] + '.' + sig


cases = []  # (name, keys, algs, token, want, args, env)


def case(name, keys, algs, token, want, args=(), env=None):
    cases.append((name, keys, algs, token, want, list(args), env or {}))


S = 'secret:' + path('hs.secret')
# Every algorithm verifies, through a PEM, a certificate and a JWKS.
for alg in ('HS256', 'HS384', 'HS512'):
    case('%s with the secret' % alg, S, ALL, sign(alg, secret), 'ok ' + alg)
    case('%s with the JWKS oct key (kid)' % alg, path('all.jwks'), ALL, sign(alg, secret, headers={'kid': 'hs'}),
         'ok %s kid=hs' % alg)
for alg in ('RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'):
    case('%s with the PEM' % alg, path('rsa.pub'), ALL, sign(alg, rsa), 'ok ' + alg)
    case('%s with the certificate' % alg, path('rsa.crt'), alg, sign(alg, rsa), 'ok ' + alg)
    case('%s with the JWKS (kid)' % alg, path('all.jwks'), ALL, sign(alg, rsa, headers={'kid': 'rsa1'}),
         'ok %s kid=rsa1' % alg)
for alg, k, kid in (('ES256', p256, 'p256'), ('ES384', p384, 'p384'), ('ES512', p521, 'p521'), ('EdDSA', ed, 'ed')):
    case('%s with the PEM' % alg, path(kid if kid != 'ed' else 'ed25519') + '.pub', ALL, sign(alg, k), 'ok ' + alg)
    case('%s with the JWKS (kid)' % alg, path('all.jwks'), ALL, sign(alg, k, headers={'kid': kid}),
         'ok %s kid=%s' % (alg, kid))
for alg, k in (('ES256', p256), ('RS256', rsa), ('EdDSA', ed)):
    case('%s without a kid: every key of the JWKS that fits is tried' % alg, path('nokid.jwks'), ALL, sign(alg, k),
         'ok ' + alg)
case('secret and JWKS together', S + ',' + path('nokid.jwks'), ALL, sign('HS256', secret), 'ok HS256')
case('the claims come back', S, 'HS256', sign('HS256', secret, {'sub': 'bob', 'n': [1, 2.5]}),
     'ok HS256 \n{"sub":"bob","n":[1=1,2.5=2.5]}')

# alg none and algorithms not listed.
good = sign('RS256', rsa)
for none in ('none', 'None', 'NONE', 'nOnE'):
    h = b64(json.dumps({'alg': none, 'typ': 'JWT'}).encode())
    unsigned = h + '.' + good.split('.')[1] + '.'
    case('alg %s, no signature' % none, path('rsa.pub'), ALL, unsigned, 'error: malformed token')
    case('alg %s, with a signature' % none, path('rsa.pub'), ALL, with_sig(h + '.' + good.split('.')[1] + '.x',
                                                                          good.split('.')[2]), 'error: alg none')
case('alg not listed', path('rsa.pub'), 'ES256,PS256', good, 'error: algorithm not allowed')
case('alg unknown', path('rsa.pub'), ALL, by_hand({'alg': 'RS1'}, claims, lambda s: b'x' * 32), 'error: unknown algorithm')

# Algorithm confusion: HS256 with the RSA public key's PEM as the secret.
confused = by_hand({'alg': 'HS256', 'typ': 'JWT'}, claims, lambda s: hmac.new(rsa_pem, s, hashlib.sha256).digest())
case('HS256 keyed with the RSA PEM, against the PEM', path('rsa.pub'), 'RS256,HS256', confused,
     'error: no key for the algorithm')
case('HS256 keyed with the RSA PEM, against the RSA JWKS', path('nokid.jwks'), ALL, confused,
     'error: no key for the algorithm')
case('HS256 keyed with the RSA PEM, against the certificate', path('rsa.crt'), ALL, confused,
     'error: no key for the algorithm')
case('(control: the same token against that PEM as an oct key verifies)', path('rsa_pem_as_jwks.jwks'), 'HS256',
     confused, 'ok HS256')
case('RS256 token never with a secret', S, ALL, good, 'error: no key for the algorithm')
case('ES256 token never with the RSA key', path('rsa.pub'), ALL, sign('ES256', p256), 'error: no key for the algorithm')
case('EdDSA token never with an EC key', path('p256.pub'), ALL, sign('EdDSA', ed), 'error: no key for the algorithm')

# Tampering.
h, p, s = good.split('.')
other = b64(json.dumps(dict(claims, sub='mallory')).encode())
case('tampered payload', path('rsa.pub'), ALL, h + '.' + other + '.' + s, 'error: bad signature')
flipped = ('B' if s[10] != 'B' else 'C')
case('tampered signature', path('rsa.pub'), ALL, h + '.' + p + '.' + s[:10] + flipped + s[11:], 'error: bad signature')
case('truncated signature', path('rsa.pub'), ALL,
     with_sig(good, b64(base64.urlsafe_b64decode(s + '==')[:-8])), 'error: bad signature')
# 8 characters off leave 334, whose last character carries 4 bits beyond the
# last byte; they must not be zero, or the text decodes (to a short signature).
B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
cut = good[:-8]
if B64URL.index(cut[-1]) % 16 == 0:
    cut = cut[:-1] + B64URL[B64URL.index(cut[-1]) + 1]
case('truncated text (stray bits in the last character)', path('rsa.pub'), ALL, cut, 'error: bad base64url')
case('truncated to 2 segments', path('rsa.pub'), ALL, h + '.' + p, 'error: malformed token')
case('4 segments', path('rsa.pub'), ALL, good + '.' + s, 'error: malformed token')
case('PS256 signature under an RS256 header', path('rsa.pub'), ALL,
     b64(json.dumps({'alg': 'RS256'}).encode()) + '.' + p + '.' + sign('PS256', rsa).split('.')[2], 'error: bad signature')
case('bad base64url: +', path('rsa.pub'), ALL, h + '.' + p.replace('e', '+', 1) + '.' + s, 'error: bad base64url')
case('bad base64url: padding', path('rsa.pub'), ALL, good + '==', 'error: bad base64url')
case('bad base64url: a newline', path('rsa.pub'), ALL, good + '\n', 'error: bad base64url')
case('header not JSON', path('rsa.pub'), ALL, b64(b'{"alg":"RS256"') + '.' + p + '.' + s, 'error: header is not JSON')
case('header not an object', path('rsa.pub'), ALL, b64(b'["RS256"]') + '.' + p + '.' + s, 'error: header is not an object')
case('header with crit', path('rsa.pub'), ALL, sign('RS256', rsa, headers={'crit': ['exp'], 'exp': 1}), 'error: crit header')
nested = {'a': json.loads('[' * 18 + '1' + ']' * 18)}
case('deeply nested claims', path('rsa.pub'), ALL, sign('RS256', rsa, dict(claims, **nested)), 'error: claims are not JSON')
case('claims not an object', S, ALL, by_hand({'alg': 'HS256'}, [1], lambda s: hmac.new(secret, s, hashlib.sha256).digest()),
     'error: claims are not an object')
case('oversized token', path('rsa.pub'), ALL, sign('RS256', rsa, dict(claims, pad='x' * 13000)), 'error: token too large')
case('a large token under the bound', path('rsa.pub'), ALL, sign('RS256', rsa, dict(claims, pad='x' * 11000)), 'ok RS256')

# Time, issuer, audience.
case('expired', S, ALL, sign('HS256', secret, dict(claims, exp=now - 100)), 'error: expired')
case('expired, within the leeway', S, ALL, sign('HS256', secret, dict(claims, exp=now - 100)), 'ok HS256',
     env={'JWT_LEEWAY': '200'})
case('expired, past the leeway', S, ALL, sign('HS256', secret, dict(claims, exp=now - 300)), 'error: expired',
     env={'JWT_LEEWAY': '200'})
case('not yet valid', S, ALL, sign('HS256', secret, dict(claims, nbf=now + 100)), 'error: not yet valid')
case('not yet valid, within the leeway', S, ALL, sign('HS256', secret, dict(claims, nbf=now + 100)), 'ok HS256',
     env={'JWT_LEEWAY': '200'})
case('exp as a string', S, ALL, sign('HS256', secret, dict(claims, exp=str(now + 100))), 'error: exp is not a number')
case('nbf as a string', S, ALL, sign('HS256', secret, dict(claims, nbf='0')), 'error: nbf is not a number')
case('iat in the future is not checked', S, ALL, sign('HS256', secret, dict(claims, iat=now + 9999)), 'ok HS256')
case('right issuer and audience', S, ALL, sign('HS256', secret), 'ok HS256', ['https://idp', 'other,api'])
case('wrong issuer', S, ALL, sign('HS256', secret), 'error: wrong issuer', ['https://idp2'])
case('no issuer', S, ALL, sign('HS256', secret, {'exp': now + 60}), 'error: wrong issuer', ['https://idp'])
case('wrong audience (string)', S, ALL, sign('HS256', secret), 'error: wrong audience', ['https://idp', 'web'])
case('wrong audience (array)', S, ALL, sign('HS256', secret, dict(claims, aud=['web', 'app'])), 'error: wrong audience',
     ['https://idp', 'api'])
case('audience in an array', S, ALL, sign('HS256', secret, dict(claims, aud=['web', 'api'])), 'ok HS256',
     ['https://idp', 'api'])
case('no audience', S, ALL, sign('HS256', secret, {'iss': 'https://idp'}), 'error: wrong audience', ['https://idp', 'api'])

# Key ids.
case('unknown kid', path('all.jwks'), ALL, sign('RS256', rsa, headers={'kid': 'rsa2'}), 'declined: unknown kid')
for bad in ('../all.jwks', '/etc/passwd', '..%2fall', 'rsa1\u0000', 'rsa1/'):
    case('kid %r' % bad, path('all.jwks'), ALL, sign('RS256', rsa, headers={'kid': bad}), 'declined: unknown kid')
case('kid of a key of another type', path('all.jwks'), ALL, sign('RS256', rsa, headers={'kid': 'p256'}),
     'error: no key for the algorithm')
case('kid of a use=enc key (skipped at load)', path('all.jwks'), ALL, sign('HS256', b'e' * 32, headers={'kid': 'enc'}),
     'declined: unknown kid')
case('a key whose alg is RS512, token RS256', path('rs512only.jwks'), ALL, good, 'error: no key for the algorithm')
case('only a use=enc key', path('enconly.jwks'), ALL, good, 'error: no key for the algorithm')

# ECDSA forms and curves.
def der_es256(si):
    return p256.sign(si, ec.ECDSA(hashes.SHA256()))
case('ES256 signature in DER form', path('p256.pub'), ALL, by_hand({'alg': 'ES256'}, claims, der_es256),
     'error: bad signature')
case('ES256 header, signed with P-384', path('p384.pub'), ALL,
     by_hand({'alg': 'ES256'}, claims, lambda si: bytes(96)), 'error: no key for the algorithm')
case('ES384 token against a P-256 key', path('p256.pub'), ALL, sign('ES384', p384), 'error: no key for the algorithm')
case('ES512 token against the JWKS P-384 key by kid', path('all.jwks'), ALL, sign('ES512', p521, headers={'kid': 'p384'}),
     'error: no key for the algorithm')
case('ES256 signature of the wrong length', path('p256.pub'), ALL, with_sig(sign('ES256', p256), b64(bytes(63))),
     'error: bad signature')

# Keys refused at load.
case('RSA 1024 PEM refused', path('rsa1024.pub'), ALL, good, 'load error: RSA key of 1024 bits (at least 2048 needed)')
case('RSA 1024 in a JWKS refused', path('small.jwks'), ALL, good,
     'load error: keys[0] (kid "small"): RSA key of 1024 bits (at least 2048 needed)')
case('secp256k1 refused', path('k256.pub'), ALL, good, 'load error: EC curve secp256k1 (expected P-256, P-384 or P-521)')
case('a JWKS key whose alg does not fit its curve', path('badcurve.jwks'), ALL, good,
     'load error: keys[0] (kid "p"): alg ES384 does not fit crv P-256')
case('a private key file is not a public key', path('rsa.key'), ALL, good,
     'load error: neither a JWKS nor a PEM PUBLIC KEY or CERTIFICATE')

print('1..%d' % len(cases))
for i, (name, keys, algs, token, want, args, env) in enumerate(cases, 1):
    e = dict(os.environ, **env)
    r = subprocess.run([check, keys, algs] + args, input=token.encode(), stdout=subprocess.PIPE, env=e)
    out = r.stdout.decode(errors='replace').rstrip('\n')
    good_ = out.startswith(want) if '\n' not in want else out == want
    print('%sok %d - %s: %s' % ('' if good_ else 'not ', i, name, want.split('\n')[0]))
    if not good_:
        print('#   got: %s' % out.replace('\n', ' | '))
