#!/bin/sh
# Runs testssl.sh (Debian package testssl.sh) against a bouncer TLS listener
# with default settings, a 90-day RSA and ECDSA certificate pair signed by a
# throwaway CA that testssl is told to trust.  Prints testssl's findings of
# severity MEDIUM and above; exits 1 when one is HIGH or CRITICAL, except
# those no lab certificate can avoid (no OCSP or CRL URI, no CAA record).
#   t/tools/testssl.sh [objs/bouncer]
set -eu
bin=$(realpath "${1:-objs/bouncer}")
command -v testssl >/dev/null || { echo "testssl.sh: apt-get install testssl.sh" >&2; exit 2; }
d=$(mktemp -d /tmp/bouncer-testssl-XXXXXX)
trap 'kill $pid 2>/dev/null; rm -rf "$d"' EXIT INT TERM
cd "$d"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
backend=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem \
    -subj /CN=testssl-ca -days 365 2>/dev/null
for type in rsa ec; do
    if [ $type = rsa ]; then opt="-newkey rsa:2048"; else opt="-newkey ec -pkeyopt ec_paramgen_curve:P-256"; fi
    openssl req -new $opt -nodes -keyout $type.key -out $type.csr -subj /CN=bouncer.test 2>/dev/null
    printf 'subjectAltName=DNS:bouncer.test\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' > ext
    openssl x509 -req -in $type.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 90 \
        -extfile ext -out $type.pem 2>/dev/null
done
cat > bouncer.conf <<C
daemon = false; workers = 1; pid_file = "$d/b.pid";
log = { error = { path = "$d/error.log"; }; access = { path = "$d/access.log"; }; };
upstreams = ( { name = "app"; servers = ( { address = "127.0.0.1:$backend"; } ); } );
servers = ( { tls_listen = [ "127.0.0.1:$port" ]; names = [ "bouncer.test" ];
  tls = { certificates = ( { cert = "$d/rsa.pem"; key = "$d/rsa.key"; },
                           { cert = "$d/ec.pem"; key = "$d/ec.key"; } );
          hsts = "max-age=31536000"; };
  routes = ( { match = { prefix = "/"; }; respond = { status = 200; body = "ok\\n"; }; } ); } );
C
"$bin" -c bouncer.conf start --foreground >bouncer.out 2>&1 &
pid=$!
sleep 1
testssl --quiet --warnings batch --color 0 --add-ca "$d/ca.pem" --ip 127.0.0.1 \
    --severity MEDIUM --jsonfile "$d/result.json" "https://bouncer.test:$port" >testssl.out 2>&1 || true
python3 - "$d/result.json" <<'P'
import json, sys
items = json.load(open(sys.argv[1]))
lab = ("cert_revocation", "cert_caaRecord", "DNS_CAArecord", "cert_chain_of_trust")
bad = 0
for i in items:
    if i.get("severity") in ("MEDIUM", "HIGH", "CRITICAL"):
        excused = i["id"].startswith(lab)
        print(f'{i["severity"]:8} {i["id"]}: {i["finding"]}' + (" (lab certificate)" if excused else ""))
        if i["severity"] in ("HIGH", "CRITICAL") and not excused:
            bad += 1
print(f"testssl: {bad} finding(s) rated HIGH or CRITICAL")
sys.exit(1 if bad else 0)
P
