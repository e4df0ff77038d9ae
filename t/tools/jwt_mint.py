#!/usr/bin/python3
"""Mints the tokens of t/auth_jwt.t with PyJWT; the attacks are made by hand.

Reads a JSON object {name: spec} on stdin and prints {name: token}.  A spec:
  key: a PEM private key file, or secret: a file whose bytes are the HMAC key
  alg, claims, headers (extra JOSE header members)
  raw: [header, payload, signature] written as given (for alg none and the like)
  tamper: "payload" (a claim changed after signing) or "signature"
  confuse: a file whose bytes (a public key's PEM) sign an HS256 token by hand,
    which PyJWT refuses to do: the algorithm confusion attack
"""
import base64
import hashlib
import hmac
import json
import sys

import jwt
from cryptography.hazmat.primitives import serialization


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b'=').decode()


def mint(spec):
    if 'raw' in spec:
        h, p, s = spec['raw']
        return '.'.join([b64(json.dumps(h).encode()) if isinstance(h, dict) else h,
                         b64(json.dumps(p).encode()) if isinstance(p, dict) else p, s])
    if 'confuse' in spec:
        with open(spec['confuse'], 'rb') as f:
            secret = f.read()
        hp = b64(json.dumps({'alg': 'HS256', 'typ': 'JWT'}).encode()) + '.' + \
            b64(json.dumps(spec['claims']).encode())
        return hp + '.' + b64(hmac.new(secret, hp.encode(), hashlib.sha256).digest())
    if 'key' in spec:
        with open(spec['key'], 'rb') as f:
            key = serialization.load_pem_private_key(f.read(), None)
    else:
        with open(spec['secret'], 'rb') as f:
            key = f.read().rstrip(b'\n')
    tok = jwt.encode(spec['claims'], key, algorithm=spec['alg'], headers=spec.get('headers'))
    h, p, s = tok.split('.')
    if spec.get('tamper') == 'payload':
        claims = dict(spec['claims'], sub='mallory')
        p = b64(json.dumps(claims).encode())
    elif spec.get('tamper') == 'signature':
        s = ('A' if s[0] != 'A' else 'B') + s[1:]
    return '.'.join([h, p, s])


specs = json.load(sys.stdin)
json.dump({name: mint(spec) for name, spec in specs.items()}, sys.stdout)
