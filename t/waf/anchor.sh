#!/usr/bin/env bash
# The anchor of the WAF figures: nginx + ModSecurity v3 + OWASP CRS 3.3.4
# (Debian's libnginx-mod-http-modsecurity and modsecurity-crs) measured by
# t/waf/measure on the corpus of t/waf/build-corpus.sh, and bouncer beside it
# on the same corpus.  Everything listens on 127.0.0.1, under a temporary
# directory in /tmp, and is stopped on exit.  Run as root from the top of
# the tree (it installs the Debian packages when they are missing).
#
#   t/waf/anchor.sh [-p LEVELS] [-H HALF] [-o DIR] [--no-crs] [--bouncer BIN] [-- MEASURE_ARGS]
#
#   -p LEVELS      CRS paranoia levels to run, comma-separated (default 1; e.g. 1,2)
#   -H HALF        corpus half: report (default), tune, heldout or all
#   -o DIR         where the JSON and TSV summaries go (default objs/waf-results)
#   --no-crs       measure bouncer only
#   --bouncer BIN  also measure bouncer (BIN, e.g. objs/bouncer) with waf mode "block"
#                  at each paranoia level of -p
#   --bouncer-plain  measure that bouncer without a waf group (a baseline: 0% blocked;
#                  what it still refuses shows as "other")
#   anything after -- goes to t/waf/measure (e.g. --parts query,json)
#
# The CRS set-up: Debian's /etc/nginx/modsecurity.conf (the recommended
# ModSecurity configuration: request body access, the JSON body processor),
# with SecRuleEngine On; crs-setup.conf as Debian ships it (anomaly scoring,
# inbound threshold 5) with tx.paranoia_level set; then every rules/*.conf.
# A blocked request is answered 403.

set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
LEVELS=1 HALF=report OUT=$ROOT/objs/waf-results CRS=1 BOUNCER="" PLAIN=0
MEASURE_ARGS=()
while (($#)); do
  case $1 in
  -p) LEVELS=$2; shift 2 ;;
  -H) HALF=$2; shift 2 ;;
  -o) OUT=$2; shift 2 ;;
  --no-crs) CRS=0; shift ;;
  --bouncer) BOUNCER=$(cd "$(dirname "$2")" && pwd)/$(basename "$2"); shift 2 ;;
  --bouncer-plain) PLAIN=1; shift ;;
  --) shift; MEASURE_ARGS=("$@"); break ;;
  -h|--help) sed -n '2,/^$/p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "anchor: unknown argument $1" >&2; exit 2 ;;
  esac
done
[[ $LEVELS =~ ^[1-4](,[1-4])*$ ]] || { echo "anchor: -p takes levels 1-4, e.g. 1,2" >&2; exit 2; }
if ((PLAIN)) && [[ -z $BOUNCER ]]; then echo "anchor: --bouncer-plain needs --bouncer BIN" >&2; exit 2; fi
if [[ -n $BOUNCER && ! -x $BOUNCER ]]; then echo "anchor: $BOUNCER is not an executable" >&2; exit 2; fi
IFS=, read -r -a PLS <<<"$LEVELS"

CORPUS=$ROOT/objs/waf-corpus
[[ -f $CORPUS/$HALF/sqli.txt || ( $HALF == all && -f $CORPUS/sqli.txt ) ]] || sh "$HERE/build-corpus.sh" "$CORPUS"

if ((CRS)); then
  need=()
  command -v nginx >/dev/null || need+=(nginx)
  [[ -f /usr/share/nginx/modules/ngx_http_modsecurity_module.so ]] || need+=(libnginx-mod-http-modsecurity)
  [[ -f /etc/modsecurity/crs/crs-setup.conf ]] || need+=(modsecurity-crs)
  if ((${#need[@]})); then
    echo "anchor: installing ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y --no-install-recommends "${need[@]}" >/dev/null 2>&1 ||
      { apt-get update >/dev/null && apt-get install -y --no-install-recommends "${need[@]}" >/dev/null; }
  fi
fi

W=$(mktemp -d /tmp/waf-anchor.XXXXXX)
chmod 755 "$W"
PIDS=()
cleanup() {
  for p in "${PIDS[@]:-}"; do [[ -n $p ]] && kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]:-}"; do
    [[ -n $p ]] || continue
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null || true
  done
  rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
wait_port() {   # port, pid, log
  for _ in $(seq 100); do
    if (echo >/dev/tcp/127.0.0.1/"$1") 2>/dev/null; then return 0; fi
    kill -0 "$2" 2>/dev/null || { echo "anchor: the server on port $1 died:" >&2; tail -20 "$3" >&2; return 1; }
    sleep 0.1
  done
  echo "anchor: nothing listens on port $1" >&2; tail -20 "$3" >&2; return 1
}
status_of() {   # url
  curl -s -o /dev/null -w '%{http_code}' -H 'Host: www.example.com' -H 'User-Agent: Mozilla/5.0' -H 'Accept: */*' "$1"
}
# A trivial injection is blocked and a plain request is not, or nothing is measured.
sanity() {   # base url, name
  local bad ok
  bad=$(status_of "$1/search?q=1%27%20or%20%271%27%3D%271")
  ok=$(status_of "$1/search?q=hello%20world")
  if [[ $bad != 403 || $ok != 200 ]]; then
    echo "anchor: $2: ?q=1' or '1'='1 gave $bad (want 403), ?q=hello world gave $ok (want 200)" >&2
    return 1
  fi
}

# The backend: answers 200 to everything, bodies read and dropped.
BE=$(free_port)
cat >"$W/backend.conf" <<C
worker_processes 1; daemon off; error_log $W/be.err; pid $W/be.pid;
events { worker_connections 1024; }
http { access_log off; keepalive_requests 1000000; client_max_body_size 16m;
  server { listen 127.0.0.1:$BE; location / { return 200 "ok\n"; } } }
C
nginx -p "$W" -c "$W/backend.conf" -e "$W/be.err" 2>>"$W/be.err" &
PIDS+=($!)
wait_port "$BE" "$!" "$W/be.err"

mkdir -p "$OUT"
JSONS=()

run_crs() {   # paranoia level
  local pl=$1 port d
  port=$(free_port)
  d=$W/crs$pl
  mkdir -p "$d"
  # ModSecurity v3 has no IncludeOptional
  local before="" after=""
  [[ -f /etc/modsecurity/crs/REQUEST-900-EXCLUSION-RULES-BEFORE-CRS.conf ]] &&
    before="Include /etc/modsecurity/crs/REQUEST-900-EXCLUSION-RULES-BEFORE-CRS.conf"
  [[ -f /etc/modsecurity/crs/RESPONSE-999-EXCLUSION-RULES-AFTER-CRS.conf ]] &&
    after="Include /etc/modsecurity/crs/RESPONSE-999-EXCLUSION-RULES-AFTER-CRS.conf"
  cat >"$d/modsec.conf" <<C
Include /etc/nginx/modsecurity.conf
SecRuleEngine On
SecRequestBodyAccess On
SecResponseBodyAccess Off
SecAuditEngine Off
SecDebugLogLevel 0
Include /etc/modsecurity/crs/crs-setup.conf
SecAction "id:900000,phase:1,nolog,pass,t:none,setvar:tx.paranoia_level=$pl"
$before
Include /usr/share/modsecurity-crs/rules/*.conf
$after
C
  cat >"$d/nginx.conf" <<C
load_module /usr/share/nginx/modules/ngx_http_modsecurity_module.so;
worker_processes 2; daemon off; error_log $d/error.log notice; pid $d/nginx.pid;
events { worker_connections 1024; }
http { access_log off; keepalive_requests 1000000; client_max_body_size 16m;
  upstream be { server 127.0.0.1:$BE; keepalive 32; }
  server { listen 127.0.0.1:$port;
    modsecurity on; modsecurity_rules_file $d/modsec.conf;
    location / { proxy_pass http://be; proxy_http_version 1.1; proxy_set_header Connection ""; } } }
C
  nginx -p "$d" -c "$d/nginx.conf" -e "$d/error.log" 2>>"$d/error.log" &
  local pid=$!
  PIDS+=($pid)
  wait_port "$port" "$pid" "$d/error.log"
  # ModSecurity-nginx logs "rules loaded inline/local/remote: 0/N/0"
  local rules
  rules=$(sed -n 's|.*rules loaded inline/local/remote: [0-9]*/\([0-9]*\)/.*|\1|p' "$d/error.log" | tail -n 1)
  if [[ -z $rules || $rules -lt 500 ]]; then
    echo "anchor: CRS did not load (rules: ${rules:-none}):" >&2; tail -20 "$d/error.log" >&2; return 1
  fi
  echo "anchor: nginx + ModSecurity + CRS 3.3.4, paranoia $pl: $rules rules loaded"
  sanity "http://127.0.0.1:$port" "crs-pl$pl"
  python3 "$HERE/measure" --corpus "$CORPUS" --half "$HALF" --label "crs-pl$pl" \
    --json "$OUT/crs-pl$pl.json" --tsv "$OUT/crs-pl$pl.tsv" "${MEASURE_ARGS[@]}" "http://127.0.0.1:$port"
  JSONS+=("$OUT/crs-pl$pl.json")
  kill "$pid"
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
}

run_bouncer() {   # paranoia level
  local pl=$1 port d waf label
  port=$(free_port)
  d=$W/bouncer$pl
  mkdir -p "$d"
  waf="waf = { mode = \"block\"; paranoia = $pl; };" label=bouncer-p$pl
  ((PLAIN)) && waf="" label=bouncer-nowaf
  cat >"$d/bouncer.conf" <<C
daemon = false;
workers = 2;
pid_file = "$d/bouncer.pid";
control_socket = "$d/bouncer.sock";
log = { error = { path = "$d/error.log"; level = "notice"; };
        access = { path = "$d/access.log"; format = "off"; }; };
servers = ( { listen = [ "127.0.0.1:$port" ];
              $waf
              routes = ( { match = { prefix = "/"; }; upstream = "be"; } ); } );
upstreams = ( { name = "be"; servers = ( { address = "127.0.0.1:$BE"; } ); } );
C
  "$BOUNCER" -c "$d/bouncer.conf" check >"$d/check.out" 2>&1 || {
    echo "anchor: bouncer refuses the configuration:" >&2; cat "$d/check.out" >&2; return 1; }
  "$BOUNCER" -c "$d/bouncer.conf" start --foreground >>"$d/stderr" 2>&1 &
  local pid=$!
  PIDS+=($pid)
  wait_port "$port" "$pid" "$d/stderr"
  if ((PLAIN)); then
    echo "anchor: $("$BOUNCER" version 2>/dev/null | head -n 1), no waf"
  else
    echo "anchor: $("$BOUNCER" version 2>/dev/null | head -n 1), waf paranoia $pl"
    sanity "http://127.0.0.1:$port" "$label"
  fi
  python3 "$HERE/measure" --corpus "$CORPUS" --half "$HALF" --label "$label" \
    --json "$OUT/$label.json" --tsv "$OUT/$label.tsv" "${MEASURE_ARGS[@]}" "http://127.0.0.1:$port"
  JSONS+=("$OUT/$label.json")
  if grep -E '\[(alert|crit|emerg)\]' "$d/error.log" "$d/stderr" 2>/dev/null | head -5; then
    echo "anchor: bouncer logged the lines above" >&2
  fi
  kill "$pid"
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
}

for pl in "${PLS[@]}"; do
  if ((CRS)); then run_crs "$pl"; fi
  if [[ -n $BOUNCER ]] && ! ((PLAIN && pl != PLS[0])); then run_bouncer "$pl"; fi
done
echo
echo "=== summary (half: $HALF) ==="
python3 "$HERE/measure" --table "${JSONS[@]}"
echo "summaries in $OUT"
