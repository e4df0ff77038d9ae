#!/bin/sh
# Installs what the test suite needs and this machine lacks: perl with its
# core modules and prove, openssl (test certificates), curl (a TLS client),
# IO::Socket::SSL (HTTPS test backends), htpasswd (apache2-utils: users
# files as operators make them) and Debian's python3 with PyJWT and
# cryptography (tokens signed as identity providers sign them), and
# redis-server (the Redis that the cluster limits' tests start), promtool
# (Debian's prometheus: /metrics checked as Prometheus checks it) and the
# Python client's parser (python3-prometheus-client), chromium
# (the status dashboard in a real browser), tmux (bouncer top on a
# terminal), nghttp and h2load (nghttp2-client) with python3-h2 (HTTP/2
# clients, the last one frame by frame), brotli (the command that checks
# what Brotli bouncer made decodes, t/compress.t) and man with groff (the
# man pages rendered as man renders them).  As root on Debian/Ubuntu it uses apt-get, as ./configure does;
# otherwise it prints the command to run.
set -u
missing=""
command -v prove >/dev/null 2>&1 || missing="$missing perl"
command -v openssl >/dev/null 2>&1 || missing="$missing openssl"
command -v curl >/dev/null 2>&1 || missing="$missing curl"
command -v htpasswd >/dev/null 2>&1 || missing="$missing apache2-utils"
command -v redis-server >/dev/null 2>&1 || [ -x /usr/bin/redis-server ] || missing="$missing redis-server"
command -v promtool >/dev/null 2>&1 || missing="$missing prometheus"
/usr/bin/python3 -c 'import prometheus_client' >/dev/null 2>&1 || missing="$missing python3-prometheus-client"
command -v chromium >/dev/null 2>&1 || missing="$missing chromium"
command -v tmux >/dev/null 2>&1 || missing="$missing tmux"
command -v nghttp >/dev/null 2>&1 && command -v h2load >/dev/null 2>&1 || missing="$missing nghttp2-client"
/usr/bin/python3 -c 'import h2' >/dev/null 2>&1 || missing="$missing python3-h2"
command -v brotli >/dev/null 2>&1 || missing="$missing brotli"
command -v man >/dev/null 2>&1 && command -v groff >/dev/null 2>&1 || missing="$missing man-db groff-base"
perl -MIO::Socket::SSL -e 1 >/dev/null 2>&1 || missing="$missing libio-socket-ssl-perl"
/usr/bin/python3 -c 'import jwt, cryptography' >/dev/null 2>&1 || missing="$missing python3-jwt python3-cryptography"
for m in Test::More JSON::PP IO::Socket::INET Time::HiRes File::Temp; do
    perl -M"$m" -e 1 >/dev/null 2>&1 || { missing="$missing perl"; break; }
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "make test: installing with apt-get:$missing"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null &&
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null && exit 0
fi
echo "make test: missing:$missing; as root run: apt-get install$missing" >&2
exit 1
