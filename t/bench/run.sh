#!/usr/bin/env bash
# make bench: bouncer, nginx and HAProxy side by side, doing the same work in front of the
# same backend, one worker (one thread) each, so every figure is per core.
#
#   t/bench/run.sh [-d SECONDS] [-r ROUNDS] [-c CONNS] [-n IDLE_CONNS] [-w WAITERS] [-l] [SCENARIO...]
#
#   -d  seconds of load per measurement (default 5)
#   -r  rounds; each round runs every proxy once, in turn: A B C A B C ... (default 3)
#   -c  client connections wrk keeps open (default 64)
#   -n  connections for the idle scenario (default 10000)
#   -w  concurrent misses of one key in the lock scenario (default 50)
#   -l  access logs on in all three proxies (default off in all three)
#
# Scenarios (default: all):
#   plain     keep-alive proxying of a 100-byte response
#   close     a new client connection per request
#   big64     64 KiB responses          big1m     1 MiB responses
#   tls       HTTPS keep-alive          tlsclose  a full TLS handshake per request
#   cache     cache hits, 100 bytes     cache64   cache hits, 64 KiB
#   idle      worker memory for IDLE_CONNS idle keep-alive client connections
#   basic     keep-alive requests with HTTP Basic credentials: bouncer's bcrypt user (remembered
#             after the first check) beside nginx's auth_basic with a {SHA} user (HAProxy left out)
#   jwtrs     keep-alive requests with an RS256 bearer token, verified by bouncer each time
#   jwtes     the same with ES256 (nginx, which has no JWT in its free edition, only proxies:
#             its figures are there for scale; HAProxy left out)
#   ratelimit keep-alive requests through a rate limit keyed on the client address, at a rate
#             it never reaches, beside nginx's limit_req (HAProxy left out): the cost of the
#             decision per request
#   ratelimitc the same with scope = "cluster", against a redis-server of its own (127.0.0.1)
#   waf       keep-alive GETs with three query arguments through the WAF at paranoia 1, beside
#             nginx + ModSecurity v3 + OWASP CRS 3.3.4 at paranoia 1 (Debian's
#             libnginx-mod-http-modsecurity and modsecurity-crs; without them nginx only
#             proxies); compare its cpu/req with plain's for what inspection costs
#   wafjson   the same with a 16 KiB JSON body POSTed (wrk -s): body inspection, held until the
#             decision (nginx + ModSecurity over 4 connections: with more, none of its requests
#             would finish within the run)
#   post      that POST without the WAF: wafjson's latency and CPU less post's are what
#             inspecting and holding the body add
#   gzip      keep-alive requests with Accept-Encoding: gzip for a 10 KiB text response,
#             compressed on the way through at level 5: bouncer's compress beside nginx's
#             gzip on (gzip_comp_level 5; HAProxy left out)
#   h2        HTTP/2 over TLS: h2load, 10 connections of 10 concurrent streams each, for the
#             100-byte response, beside nginx and HAProxy with HTTP/2 on (h2load gives no
#             percentiles: the p99 column holds its mean time per request)
#   lock      WAITERS concurrent misses of one cold key on a cache-locked route, in front of
#             an origin that takes 200 ms (t/bench/lock.pl): how long after the fill's answer
#             the last waiter is answered, and how many requests reached the origin (HAProxy
#             has no cache lock and is left out)
#
# For every proxy and scenario it prints the medians over the rounds of req/s, p99 latency,
# CPU time of the proxy's processes per request (user+sys from /proc, microseconds) and peak
# RSS of the serving process (VmHWM, reset before each run), the ratios to nginx, and the
# CPU per request the backend and wrk spent while that proxy was measured (a proxy that
# sleeps and is woken for every event makes its neighbours pay for the wakeups); then
# bouncer against the better of the other two, for each target of issue 7.
# The load is loopback only; the run stops by itself and removes what it made.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BOUNCER=${BOUNCER:-$ROOT/objs/bouncer}
IDLE=${IDLE:-$ROOT/objs/bench_idle}
DUR=5 ROUNDS=3 CONNS=64 NIDLE=10000 LOGS=0 WAITERS=50
while getopts "d:r:c:n:w:l" o; do
  case $o in
  d) DUR=$OPTARG ;; r) ROUNDS=$OPTARG ;; c) CONNS=$OPTARG ;; n) NIDLE=$OPTARG ;; w) WAITERS=$OPTARG ;; l) LOGS=1 ;;
  *) exit 2 ;;
  esac
done
shift $((OPTIND - 1))
ALL=(idle plain close big64 big1m tls tlsclose h2 cache cache64 basic jwtrs jwtes ratelimit ratelimitc waf wafjson post gzip lock)
SCENARIOS=("${@:-${ALL[@]}}")
read -r -a SCENARIOS <<<"${SCENARIOS[*]}"
for s in "${SCENARIOS[@]}"; do
  [[ " ${ALL[*]} " == *" $s "* ]] || { echo "bench: unknown scenario $s (know: ${ALL[*]})" >&2; exit 2; }
done

for t in wrk openssl curl "$BOUNCER" "$IDLE"; do
  command -v "$t" >/dev/null || { echo "bench: missing $t (apt-get install wrk openssl curl; make)" >&2; exit 2; }
done
if [[ " ${SCENARIOS[*]} " == *" h2 "* ]]; then
  command -v h2load >/dev/null || { echo "bench: the h2 scenario needs h2load (apt-get install nghttp2-client)" >&2; exit 2; }
fi
command -v nginx >/dev/null || { echo "bench: nginx is needed for the backend (apt-get install nginx-light)" >&2; exit 2; }
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if (( $(ulimit -n) < NIDLE + 1000 )); then
  echo "bench: the descriptor limit $(ulimit -n) is too low for $NIDLE idle connections (-n)" >&2
  exit 2
fi

W=$(mktemp -d /tmp/bouncer-bench.XXXXXX)
chmod 755 "$W"
PIDS=()
cleanup() {
  for p in "${PIDS[@]:-}"; do [[ -n $p ]] && kill "$p" 2>/dev/null || true; done
  sleep 0.5
  for p in "${PIDS[@]:-}"; do [[ -n $p ]] && kill -9 "$p" 2>/dev/null || true; done
  rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

BE=19080 NG=19081 NGS=19441 HA=19082 HAS=19442 BO=19084 BOS=19444 SLOW=19085 RD=19086
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
  -subj /CN=localhost -keyout "$W/key.pem" -out "$W/cert.pem" 2>/dev/null
cat "$W/cert.pem" "$W/key.pem" >"$W/both.pem"
mkdir -p "$W/www" "$W/ngcache" "$W/bocache"
head -c 100 /dev/zero | tr '\0' s >"$W/www/small"
head -c 65536 /dev/zero | tr '\0' b >"$W/www/big64"
head -c 1048576 /dev/zero | tr '\0' m >"$W/www/big1m"
# 10 KiB that compresses as a page does (about 4:1), for the gzip scenario.
awk 'BEGIN { srand(7); split("lorem ipsum dolor sit amet <div class=\"item\"> </div> consectetur elit", w, " ");
  while (n < 10240) { s = w[int(rand() * 11) + 1] " " int(rand() * 1000) " "; printf "%s", s; n += length(s) } }' |
  head -c 10240 >"$W/www/text10k"

# Credentials for the auth scenarios: one user in each proxy's file, tokens signed with
# keys made here (python3-jwt, apache2-utils).
AUTHS=0
for s in "${SCENARIOS[@]}"; do [[ $s == basic || $s == jwt* ]] && AUTHS=1; done
if ((AUTHS)); then
  command -v htpasswd >/dev/null && /usr/bin/python3 -c 'import jwt, cryptography' 2>/dev/null ||
    { echo "bench: the auth scenarios need htpasswd and python3-jwt (apt-get install apache2-utils python3-jwt)" >&2; exit 2; }
  htpasswd -c -b -B -C 10 "$W/htpasswd.bcrypt" bench bench-password 2>/dev/null
  htpasswd -c -b -s "$W/htpasswd.sha" bench bench-password 2>/dev/null
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$W/rs.key" 2>/dev/null
  openssl pkey -in "$W/rs.key" -pubout -out "$W/rs.pub" 2>/dev/null
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$W/es.key" 2>/dev/null
  openssl pkey -in "$W/es.key" -pubout -out "$W/es.pub" 2>/dev/null
  TOKENS=$(echo "{\"rs\": {\"key\": \"$W/rs.key\", \"alg\": \"RS256\", \"claims\": {\"sub\": \"bench\", \"exp\": $(( $(date +%s) + 86400 ))}},
                 \"es\": {\"key\": \"$W/es.key\", \"alg\": \"ES256\", \"claims\": {\"sub\": \"bench\", \"exp\": $(( $(date +%s) + 86400 ))}}}" |
    /usr/bin/python3 "$ROOT/t/tools/jwt_mint.py")
  RS_TOKEN=$(/usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["rs"])' <<<"$TOKENS")
  ES_TOKEN=$(/usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["es"])' <<<"$TOKENS")
fi
BASIC=$(printf %s bench:bench-password | base64)

# The WAF scenarios: nginx gets ModSecurity and the CRS when Debian's packages are there.
WAFS=0 MODSEC_LOAD="" MODSEC=""
for s in "${SCENARIOS[@]}"; do [[ $s == waf* || $s == post ]] && WAFS=1; done
if ((WAFS)); then
  MSMOD=/usr/share/nginx/modules/ngx_http_modsecurity_module.so
  if [[ -f $MSMOD && -f /etc/modsecurity/crs/crs-setup.conf && -f /etc/nginx/modsecurity.conf ]]; then
    cat >"$W/modsec.conf" <<C
Include /etc/nginx/modsecurity.conf
SecRuleEngine On
SecRequestBodyAccess On
SecResponseBodyAccess Off
SecAuditEngine Off
Include /etc/modsecurity/crs/crs-setup.conf
SecAction "id:900000,phase:1,nolog,pass,t:none,setvar:tx.paranoia_level=1"
Include /usr/share/modsecurity-crs/rules/*.conf
C
    MODSEC_LOAD="load_module $MSMOD;" MODSEC="modsecurity on; modsecurity_rules_file $W/modsec.conf;"
  else
    echo "bench: no ModSecurity for nginx (apt-get install libnginx-mod-http-modsecurity modsecurity-crs):" \
      "in the waf scenarios nginx only proxies" >&2
  fi
  # 16 KiB of JSON like an API's: objects of strings and numbers.
  /usr/bin/python3 - "$W/waf.json" <<'P'
import json, sys
items = [{"id": i, "name": "item %d" % i, "note": "a plain description of item %d, nothing more" % i,
          "tags": ["red", "small"], "price": i * 1.5} for i in range(130)]
s = json.dumps({"items": items})
while len(s) > 16384:
    items.pop()
    s = json.dumps({"items": items})
open(sys.argv[1], "w").write(s)
P
  cat >"$W/wafjson.lua" <<C
local f = io.open("$W/waf.json", "rb")
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
C
fi

if ((LOGS)); then
  NGLOG="access_log $W/ng.access;" HALOG="log stdout format raw local0" BOLOG=combined
else
  NGLOG="access_log off;" HALOG="" BOLOG=off
fi

# The backend: nginx, one worker, files from the page cache; /cache* adds a max-age.
cat >"$W/backend.conf" <<C
worker_processes 1; daemon off; error_log $W/be.err; pid $W/be.pid;
worker_rlimit_nofile 19900;
events { worker_connections 16000; }
http { access_log off; keepalive_requests 1000000;
  server { listen 127.0.0.1:$BE backlog=8192; root $W/www;
    location = /cache { alias $W/www/small; add_header Cache-Control "max-age=3600"; }
    location = /cache64 { alias $W/www/big64; add_header Cache-Control "max-age=3600"; }
    location = /posted { return 200 "ok\\n"; }
    location = /gzip { alias $W/www/text10k; } } }
C
# The same upstream head from all three: what bouncer sends by default (forwarded =
# "x-forwarded" and X-Request-Id), which nginx and HAProxy send when told to.  bouncer's
# traceparent, which neither of the others makes, is off (trace_context = false).
NGFWD='proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for; proxy_set_header X-Real-IP $remote_addr;
      proxy_set_header X-Forwarded-Proto $scheme; proxy_set_header X-Forwarded-Host $host;
      proxy_set_header X-Request-Id $request_id;'
cat >"$W/nginx.conf" <<C
$MODSEC_LOAD
worker_processes 1; daemon off; error_log $W/ng.err; pid $W/ng.pid;
worker_rlimit_nofile 19900;
events { worker_connections 16000; }
http { $NGLOG keepalive_requests 1000000;
  proxy_cache_path $W/ngcache keys_zone=c:10m max_size=256m;
  limit_req_zone \$binary_remote_addr zone=rl:10m rate=10000000r/s;
  upstream be { server 127.0.0.1:$BE; keepalive 64; }
  upstream slow { server 127.0.0.1:$SLOW; keepalive 64; }
  server { listen 127.0.0.1:$NG backlog=8192; listen 127.0.0.1:$NGS ssl http2 backlog=8192;
    ssl_certificate $W/cert.pem; ssl_certificate_key $W/key.pem;
    ssl_protocols TLSv1.2 TLSv1.3; ssl_session_cache shared:S:10m;
    location / { proxy_pass http://be; proxy_http_version 1.1; proxy_set_header Connection "";
      $NGFWD }
    location /cache { proxy_pass http://be; proxy_http_version 1.1; proxy_set_header Connection "";
      $NGFWD proxy_cache c; }
    location /auth/basic { auth_basic bench; auth_basic_user_file $W/htpasswd.sha; rewrite ^ /small break;
      proxy_pass http://be; proxy_http_version 1.1; proxy_set_header Connection "";
      $NGFWD }
    # /limited, and /limited-cluster too
    location /limited { limit_req zone=rl burst=1000 nodelay; rewrite ^ /small break;
      proxy_pass http://be; proxy_http_version 1.1; proxy_set_header Connection "";
      $NGFWD }
    location /auth/ { rewrite ^ /small break; proxy_pass http://be; proxy_http_version 1.1; proxy_set_header Connection "";
      $NGFWD }
    location /post { rewrite ^ /posted break; proxy_pass http://be; proxy_http_version 1.1;
      proxy_set_header Connection ""; $NGFWD }
    location /waf { $MODSEC rewrite ^ /posted break; proxy_pass http://be; proxy_http_version 1.1;
      proxy_set_header Connection ""; $NGFWD }
    location /gzip { proxy_pass http://be; proxy_http_version 1.1; proxy_set_header Connection "";
      $NGFWD
      gzip on; gzip_types text/plain; gzip_comp_level 5; gzip_min_length 1024; gzip_proxied any; gzip_vary on; }
    location /lock { proxy_pass http://slow; proxy_http_version 1.1; proxy_set_header Connection "";
      proxy_cache c; proxy_cache_lock on; proxy_cache_lock_timeout 5s;
      add_header X-Cache-Status \$upstream_cache_status; } } }
C
cat >"$W/haproxy.cfg" <<C
global
  nbthread 1
  maxconn 9990
  $HALOG
defaults
  mode http
  timeout connect 5s
  timeout client 60s
  timeout server 60s
  timeout http-keep-alive 60s
  option forwardfor
  http-reuse always
  ${HALOG:+log global}
  ${HALOG:+option httplog}
cache c
  total-max-size 256
  max-object-size 1048576
  max-age 3600
frontend f
  bind 127.0.0.1:$HA backlog 8192
  bind 127.0.0.1:$HAS ssl crt $W/both.pem alpn h2,http/1.1 backlog 8192
  http-request set-var(txn.cacheable) bool(true) if { path_beg /cache }
  http-request set-header X-Real-IP %[src]
  http-request set-header X-Forwarded-Proto https if { ssl_fc }
  http-request set-header X-Forwarded-Proto http if !{ ssl_fc }
  http-request set-header X-Forwarded-Host %[req.hdr(host)]
  http-request set-header X-Request-Id %[uuid]
  http-request cache-use c if { var(txn.cacheable) -m bool }
  http-response cache-store c if { var(txn.cacheable) -m bool }
  default_backend b
backend b
  server s1 127.0.0.1:$BE
C
AUTH_POLICIES= AUTH_ROUTES= REDIS_ROUTES=
REDIS='rate_limits = ( { name = "rl"; key = "$remote_addr"; rate = "10000000r/s"; burst = 1000; } );'
if [[ " ${SCENARIOS[*]} " == *" ratelimitc "* ]]; then
  command -v redis-server >/dev/null || { echo "bench: ratelimitc needs redis-server (apt-get install redis-server)" >&2; exit 2; }
  printf 'port %s\nbind 127.0.0.1\nsave ""\nappendonly no\ndir %s\n' "$RD" "$W" >"$W/redis.conf"
  REDIS="redis = { address = \"127.0.0.1:$RD\"; timeout = \"1s\"; };
rate_limits = ( { name = \"rl\"; key = \"\$remote_addr\"; rate = \"10000000r/s\"; burst = 1000; },
  { name = \"rlc\"; key = \"\$remote_addr\"; rate = \"10000000r/s\"; burst = 1000; scope = \"cluster\"; } );"
  REDIS_ROUTES="{ match = { prefix = \"/limited-cluster\"; }; rate_limit = \"rlc\"; upstream = \"be\";
        rewrite = { regex = \"^.*\$\"; replace = \"/small\"; }; },"
fi
if ((AUTHS)); then
  AUTH_POLICIES="auth_policies = ( { name = \"b\"; basic = { users = \"$W/htpasswd.bcrypt\"; }; },
  { name = \"rs\"; jwt = { keys = \"$W/rs.pub\"; algorithms = [ \"RS256\" ]; }; },
  { name = \"es\"; jwt = { keys = \"$W/es.pub\"; algorithms = [ \"ES256\" ]; }; } );"
  AUTH_ROUTES="{ match = { prefix = \"/auth/basic\"; }; auth = \"b\"; upstream = \"be\"; rewrite = { regex = \"^.*\$\"; replace = \"/small\"; }; },
      { match = { prefix = \"/auth/rs\"; }; auth = \"rs\"; upstream = \"be\"; rewrite = { regex = \"^.*\$\"; replace = \"/small\"; }; },
      { match = { prefix = \"/auth/es\"; }; auth = \"es\"; upstream = \"be\"; rewrite = { regex = \"^.*\$\"; replace = \"/small\"; }; },"
fi
sed -e "s#@W@#$W#g; s#@BE@#127.0.0.1:$BE#; s#@SLOW@#127.0.0.1:$SLOW#; s#@HTTP@#127.0.0.1:$BO#; s#@HTTPS@#127.0.0.1:$BOS#; s#@LOG@#$BOLOG#" \
  "$HERE/bouncer.conf.in" | AUTH_POLICIES="$AUTH_POLICIES" AUTH_ROUTES="$AUTH_ROUTES" REDIS="$REDIS" REDIS_ROUTES="$REDIS_ROUTES" \
  perl -pe 's/^\s*\@AUTH_POLICIES\@$/$ENV{AUTH_POLICIES}/; s/^\s*\@AUTH_ROUTES\@$/$ENV{AUTH_ROUTES}/;
            s/^\s*\@REDIS\@$/$ENV{REDIS}/; s/^\s*\@REDIS_ROUTES\@$/$ENV{REDIS_ROUTES}/' >"$W/bouncer.conf"

spawn() { "$@" >>"$W/daemons.log" 2>&1 & PIDS+=($!); }
declare -A MAIN PORT SPORT
spawn nginx -c "$W/backend.conf"; MAIN[backend]=$!
if [[ " ${SCENARIOS[*]} " == *" lock "* ]]; then
  command -v perl >/dev/null || { echo "bench: the lock scenario needs perl" >&2; exit 2; }
  spawn perl "$HERE/lock.pl" backend "$SLOW" 200 "$W/slow.log"
fi
[[ -n $REDIS_ROUTES ]] && spawn redis-server "$W/redis.conf"
spawn nginx -c "$W/nginx.conf"; MAIN[nginx]=$!; PROXIES=(nginx)
if command -v haproxy >/dev/null; then
  spawn haproxy -f "$W/haproxy.cfg"; MAIN[haproxy]=$!; PROXIES+=(haproxy)
else
  echo "bench: haproxy is not installed; comparing with nginx only" >&2
fi
spawn "$BOUNCER" -c "$W/bouncer.conf" start --foreground; MAIN[bouncer]=$!; PROXIES+=(bouncer)
PORT=([nginx]=$NG [haproxy]=$HA [bouncer]=$BO) SPORT=([nginx]=$NGS [haproxy]=$HAS [bouncer]=$BOS)

# The processes of a proxy: its main process and every child.
procs() { echo "${MAIN[$1]}" $(pgrep -P "${MAIN[$1]}" || true); }
# The process that serves: nginx's and bouncer's worker, HAProxy itself.
server_pid() {
  case $1 in
  haproxy) echo "${MAIN[$1]}" ;;
  bouncer) pgrep -P "${MAIN[$1]}" -f 'worker process$' | head -1 ;;
  *) pgrep -P "${MAIN[$1]}" | head -1 ;;
  esac
}
# utime + stime: fields 14 and 15 of /proc/PID/stat, counted after the "(comm)" that may hold spaces.
cpu_ticks() { local t=0 p; for p in $(procs "$1"); do
  t=$((t + $(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | awk '{print $12 + $13}' || echo 0))); done; echo $t; }
kib() { awk -v k="$2" '$1 == k":" {print $2}' "/proc/$1/status"; }
HZ=$(getconf CLK_TCK)

for i in $(seq 50); do
  ok=1
  for p in "${PROXIES[@]}"; do
    curl -sf -o /dev/null "http://127.0.0.1:${PORT[$p]}/small" || ok=0
  done
  ((ok)) && break
  sleep 0.1
done
for p in "${PROXIES[@]}"; do
  curl -sf -o /dev/null "http://127.0.0.1:${PORT[$p]}/small" ||
    { echo "bench: $p is not answering; see below" >&2; cat "$W"/*.err "$W/daemons.log" >&2 || true; exit 1; }
done

path_of() { case $1 in big64) echo /big64 ;; big1m) echo /big1m ;; cache) echo /cache ;; cache64) echo /cache64 ;;
  basic) echo /auth/basic ;; jwtrs) echo /auth/rs ;; jwtes) echo /auth/es ;; ratelimit) echo /limited ;;
  ratelimitc) echo /limited-cluster ;; waf) echo "/waf?q=blue+running+shoes&page=2&sort=price_asc" ;;
  wafjson) echo /waf/json ;; post) echo /post ;; gzip) echo /gzip ;;
  *) echo /small ;; esac; }
# The auth scenarios' credentials, as curl and wrk take them.
auth_header() { case $1 in basic) echo "Authorization: Basic $BASIC" ;; jwtrs) echo "Authorization: Bearer $RS_TOKEN" ;;
  jwtes) echo "Authorization: Bearer $ES_TOKEN" ;; gzip) echo "Accept-Encoding: gzip" ;; *) echo "X-Bench: 1" ;; esac; }
skip_for() { [[ $1 == haproxy && ( $2 == basic || $2 == jwt* || $2 == ratelimit* || $2 == waf* || $2 == post || $2 == gzip ) ]]; }
url_of() {
  if [[ $2 == tls* || $2 == h2 ]]; then echo "https://127.0.0.1:${SPORT[$1]}$(path_of "$2")"
  else echo "http://127.0.0.1:${PORT[$1]}$(path_of "$2")"; fi
}

declare -A RPS LAT CPU BCPU WCPU RSS M L C R B K NHELD LMS LREQ
# idle first, on processes that have served nothing but the warm-up: memory kept from the
# load of other scenarios would hide the cost of the connections.
if [[ " ${SCENARIOS[*]} " == *" idle "* ]]; then
  for p in "${PROXIES[@]}"; do
    for i in $(seq 20); do curl -sf -o /dev/null "$(url_of "$p" plain)"; done
    sp=$(server_pid "$p")
    base=$(kib "$sp" VmRSS)
    # HAProxy wants two descriptors per connection it may take (maxconn); under a hard
    # limit of 20,000 it holds at most 9,990.
    n=$NIDLE
    [[ $p == haproxy ]] && ((n > 9900)) && n=9900
    NHELD[$p]=$n
    coproc HOLD { "$IDLE" 127.0.0.1 "${PORT[$p]}" "$n" /small 120; }
    if read -r -t 60 line <&"${HOLD[0]}" && [[ $line == ready* ]]; then
      sleep 3 # what the burst of connecting took, each proxy gives back (or not) by then
      held=$(kib "$sp" VmRSS)
      RSS[idle,$p]=$((held - base))
      RPS[idle,$p]="$base"
    else
      echo "  note: idle $p: the connections were not all served" >&2
    fi
    exec {HOLD[1]}>&-
    wait "$HOLD_PID" 2>/dev/null || true
    sleep 1
  done
fi

# lock: a cold key per proxy and round, WAITERS clients at once; the origin
# log says how many of them reached it.
if [[ " ${SCENARIOS[*]} " == *" lock "* ]]; then
  for ((r = 1; r <= ROUNDS; r++)); do
    for p in "${PROXIES[@]}"; do
      [[ $p == haproxy ]] && continue
      read -r ms counts < <(perl "$HERE/lock.pl" client "${PORT[$p]}" "/lock-$p-$r" "$WAITERS")
      [[ $counts == *none* ]] && echo "  note: lock $p round $r: not all answered 200 from the cache or origin ($counts)" >&2
      LMS[$p]+="$ms "
      LREQ[$p]+="$(grep -c "^/lock-$p-$r\$" "$W/slow.log" || true) "
    done
  done
fi

for s in "${SCENARIOS[@]}"; do
  [[ $s == idle || $s == lock ]] && continue
  for p in "${PROXIES[@]}"; do skip_for "$p" "$s" || curl -sfk -o /dev/null -H "$(auth_header "$s")" "$(url_of "$p" "$s")" \
    $([[ $s == wafjson || $s == post ]] && echo "-H Content-Type:application/json --data-binary @$W/waf.json") || { echo "bench: $p does not answer $s with a 2xx:" >&2; curl -sk -i -H "$(auth_header "$s")" "$(url_of "$p" "$s")" >&2; grep -v "^#" "$W/bouncer.err" | tail -5 >&2; exit 1; }; done # fill caches
  for ((r = 1; r <= ROUNDS; r++)); do
    for p in "${PROXIES[@]}"; do
      skip_for "$p" "$s" && continue
      extra=(-H "$(auth_header "$s")")
      [[ $s == close || $s == tlsclose ]] && extra+=(-H "Connection: close")
      [[ $s == wafjson || $s == post ]] && extra+=(-s "$W/wafjson.lua")
      # ModSecurity takes a good part of a second for a 16 KiB body: wrk's
      # default 2 s would time every request of the queue out.
      [[ $s == waf* ]] && extra+=(--timeout 60s)
      # ModSecurity spends about a fifth of a second of CPU on the 16 KiB
      # body: with CONNS connections none would be answered within the
      # run.  Its rate is bound by that CPU whatever the concurrency, so it
      # gets four; the CPU per request is what the scenario compares.
      conns=$CONNS
      [[ $s == wafjson && $p == nginx && -n $MODSEC ]] && conns=4
      sp=$(server_pid "$p")
      echo 5 >"/proc/$sp/clear_refs" 2>/dev/null || true
      c0=$(cpu_ticks "$p") b0=$(cpu_ticks backend)
      if [[ $s == h2 ]]; then
        out=$(/usr/bin/time -f "%U %S" -o "$W/wrk.time" h2load -c10 -m10 -t1 -D "$DUR" "$(url_of "$p" "$s")" 2>&1)
        c1=$(cpu_ticks "$p") b1=$(cpu_ticks backend)
        reqs=$(awk '/^requests:/ {print $8}' <<<"$out")
        rps=$(awk '/^finished in/ {sub(/,/, "", $4); print $4}' <<<"$out")
        p99=$(awk '$1 == "time" && $3 == "request:" {v = $6; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v);
                   print v * (u == "us" ? 0.001 : u == "s" ? 1000 : 1)}' <<<"$out")
        errs=$(awk '/^requests:/ && ($10 > 0 || $12 > 0) {print "failed " $10 ", errored " $12}
                    /^status codes:/ && ($5 + $7 + $9 > 0) {print "non-2xx " $5 + $7 + $9}' <<<"$out")
        grep -q "Application protocol: h2" <<<"$out" || errs+=" not HTTP/2"
      else
      out=$(/usr/bin/time -f "%U %S" -o "$W/wrk.time" wrk -t1 -c"$conns" -d"${DUR}s" --latency "${extra[@]}" "$(url_of "$p" "$s")" 2>&1)
      c1=$(cpu_ticks "$p") b1=$(cpu_ticks backend)
      reqs=$(awk '/requests in/ {print $1}' <<<"$out")
      rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
      p99=$(awk '$1 == "99%" {v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v);
                 print v * (u == "us" ? 0.001 : u == "s" ? 1000 : 1)}' <<<"$out")
      errs=$(grep -E 'Non-2xx|Socket errors' <<<"$out" | tr -s ' ' | tr '\n' ';' || true)
      fi
      [[ -n $errs ]] && echo "  note: $s $p round $r: $errs" >&2
      RPS[$s,$p]+="$rps "
      LAT[$s,$p]+="$p99 "
      CPU[$s,$p]+="$(awk -v t=$((c1 - c0)) -v hz="$HZ" -v n="${reqs:-0}" 'BEGIN {printf "%.1f", (n > 0 ? t * 1e6 / hz / n : 0)}') "
      RSS[$s,$p]+="$(kib "$sp" VmHWM) "
      BCPU[$s,$p]+="$(awk -v t=$((b1 - b0)) -v hz="$HZ" -v n="${reqs:-0}" 'BEGIN {printf "%.1f", (n > 0 ? t * 1e6 / hz / n : 0)}') "
      WCPU[$s,$p]+="$(awk -v n="${reqs:-0}" '{printf "%.1f", (n > 0 ? ($1 + $2) * 1e6 / n : 0)}' "$W/wrk.time") "
    done
  done
done

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR] = $1} END {print (NR ? a[int((NR + 1) / 2)] : 0)}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}'; }
echo
echo "bench: $ROUNDS rounds of ${DUR}s, $CONNS connections, access logs $( ((LOGS)) && echo on || echo off), $(nproc) CPUs"
printf "%-9s %-8s %10s %9s %10s %9s %8s %8s %8s %8s\n" scenario proxy req/s p99 cpu/req peakRSS "req/s÷" "cpu÷" backend wrk
printf "%-9s %-8s %10s %9s %10s %9s %8s %8s %8s %8s\n" "" "" "(median)" "(median)" "(µs)" "(KiB)" nginx nginx "(µs/req)" "(µs/req)"
for s in "${SCENARIOS[@]}"; do
  if [[ $s == idle ]]; then
    for p in "${PROXIES[@]}"; do
      [[ -n ${RSS[idle,$p]:-} ]] || continue
      printf "%-9s %-8s %s idle connections: %s KiB above a baseline of %s KiB (%.0f bytes each)\n" idle "$p" \
        "${NHELD[$p]}" "${RSS[idle,$p]}" "${RPS[idle,$p]}" "$(awk -v k="${RSS[idle,$p]}" -v n="${NHELD[$p]}" 'BEGIN {print k * 1024 / n}')"
    done
    continue
  fi
  if [[ $s == lock ]]; then
    for p in "${PROXIES[@]}"; do
      [[ -n ${LMS[$p]:-} ]] || continue
      printf "%-9s %-8s the last of %s waiters answered %s ms after the fill (median; rounds: %s), origin requests per round: %s\n" \
        lock "$p" "$WAITERS" "$(median <<<"${LMS[$p]}")" "${LMS[$p]% }" "${LREQ[$p]% }"
    done
    continue
  fi
  for p in "${PROXIES[@]}"; do
    skip_for "$p" "$s" && continue
    M[$p]=$(median <<<"${RPS[$s,$p]}") L[$p]=$(median <<<"${LAT[$s,$p]}")
    C[$p]=$(median <<<"${CPU[$s,$p]}") R[$p]=$(median <<<"${RSS[$s,$p]}")
    B[$p]=$(median <<<"${BCPU[$s,$p]}") K[$p]=$(median <<<"${WCPU[$s,$p]}")
  done
  for p in "${PROXIES[@]}"; do
    skip_for "$p" "$s" && continue
    printf "%-9s %-8s %10s %7sms %10s %9s %8s %8s %8s %8s\n" "$s" "$p" "${M[$p]}" "${L[$p]}" "${C[$p]}" "${R[$p]}" \
      "$(ratio "${M[$p]}" "${M[nginx]}")" "$(ratio "${C[$p]}" "${C[nginx]}")" "${B[$p]}" "${K[$p]}"
  done
done

# The WAF's scan alone, without HTTP around it (t/tools/waf_cost.c).
if ((WAFS)) && [[ -x $ROOT/objs/t/waf_cost ]]; then
  echo
  "$ROOT/objs/t/waf_cost" 9
fi

# bouncer against the better of the others, target by target.
echo
echo "bouncer against the better of nginx and HAProxy (targets of issue 7):"
for s in "${SCENARIOS[@]}"; do
  if [[ $s == idle ]]; then
    [[ -n ${RSS[idle,bouncer]:-} ]] &&
      printf "  %-9s %s KiB for %s connections (target: at most %s KiB per 10,000) %s\n" idle "${RSS[idle,bouncer]}" "$NIDLE" 2560 \
        "$(awk -v k="${RSS[idle,bouncer]}" -v n="$NIDLE" 'BEGIN {print k * 10000 / n <= 2560 ? "met" : "NOT MET"}')"
    continue
  fi
  [[ $s == lock ]] && continue
  if [[ $s == ratelimit* ]]; then
    printf "  %-9s bouncer %s µs of CPU per request through its rate limit (nginx limit_req: %s µs)\n" "$s" \
      "$(median <<<"${CPU[$s,bouncer]}")" "$(median <<<"${CPU[$s,nginx]}")"
    continue
  fi
  if [[ $s == waf* ]]; then
    # What inspection adds: against plain for the GET, against post for the body.
    base=plain; [[ $s == wafjson ]] && base=post
    printf "  %-9s bouncer %s µs of CPU per request with the WAF, %s µs more than %s (nginx%s: %s µs)\n" "$s" \
      "$(median <<<"${CPU[$s,bouncer]}")" \
      "$(awk -v a="$(median <<<"${CPU[$s,bouncer]}")" -v b="$(median <<<"${CPU[$base,bouncer]:-0}")" 'BEGIN {printf "%.1f", (b > 0 ? a - b : 0)}')" \
      "$base" "$([[ -n $MODSEC ]] && echo " + ModSecurity + CRS" || echo ", proxying only")" "$(median <<<"${CPU[$s,nginx]}")"
    continue
  fi
  [[ $s == post ]] && continue
  if [[ $s == gzip ]]; then
    printf "  %-9s bouncer %s req/s, %s µs of CPU per compressed 10 KiB response (nginx gzip on: %s req/s, %s µs): %sx the rate, %sx the CPU\n" \
      "$s" "$(median <<<"${RPS[$s,bouncer]}")" "$(median <<<"${CPU[$s,bouncer]}")" "$(median <<<"${RPS[$s,nginx]}")" \
      "$(median <<<"${CPU[$s,nginx]}")" "$(ratio "$(median <<<"${RPS[$s,bouncer]}")" "$(median <<<"${RPS[$s,nginx]}")")" \
      "$(ratio "$(median <<<"${CPU[$s,bouncer]}")" "$(median <<<"${CPU[$s,nginx]}")")"
    continue
  fi
  if [[ $s == basic || $s == jwt* ]]; then
    printf "  %-9s bouncer %s µs of CPU per verified request (nginx %s: %s µs)\n" "$s" \
      "$(median <<<"${CPU[$s,bouncer]}")" "$([[ $s == basic ]] && echo "auth_basic {SHA}" || echo "proxying only, no JWT")" \
      "$(median <<<"${CPU[$s,nginx]}")"
    continue
  fi
  best=0 bestlat=0
  for p in "${PROXIES[@]}"; do
    [[ $p == bouncer ]] && continue
    m=$(median <<<"${RPS[$s,$p]}") l=$(median <<<"${LAT[$s,$p]}")
    awk -v a="$m" -v b="$best" 'BEGIN {exit !(a > b)}' && best=$m
    awk -v a="$l" -v b="$bestlat" 'BEGIN {exit !(b == 0 || a < b)}' && bestlat=$l
  done
  m=$(median <<<"${RPS[$s,bouncer]}") l=$(median <<<"${LAT[$s,bouncer]}")
  want=1.1; [[ $s == tlsclose ]] && want=1.0
  rr=$(ratio "$m" "$best") lr=$(ratio "$l" "$bestlat")
  verdict=$(awk -v r="$rr" -v w="$want" -v l="$lr" 'BEGIN {print (r >= w && l <= 1.1) ? "met" : "NOT MET"}')
  line=$(printf "  %-9s req/s %sx (target %sx), p99 %sx (target 1.1x)" "$s" "$rr" "$want" "$lr")
  if [[ $s == plain ]]; then
    cr=$(ratio "$(median <<<"${CPU[plain,bouncer]}")" "$(median <<<"${CPU[plain,nginx]}")")
    line+=$(printf ", cpu/req %sx nginx (target 0.8x)" "$cr")
    verdict=$(awk -v v="$verdict" -v c="$cr" 'BEGIN {print (v == "met" && c <= 0.8) ? "met" : "NOT MET"}')
  fi
  echo "$line: $verdict"
done
