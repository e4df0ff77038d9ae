#!/bin/sh
# make demo [PORT=8080]: bouncer in the foreground on 127.0.0.1:PORT in front
# of two demo backends on PORT+1 and PORT+2, with its files under objs/demo
# (or the folder given second).  Ctrl-C stops it.
set -eu
port=${1:-8080}
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${2:-$root/objs/demo}
case $port in
'' | *[!0-9]*) port=0 ;;
esac
if [ "$port" -lt 1 ] || [ "$port" -gt 65533 ]; then
    echo "make demo: PORT=${1:-} is not a port from 1 to 65533 (the backends take the next two)" >&2
    exit 1
fi
port1=$((port + 1))
port2=$((port + 2))

# The ports must be free before the banner says they are bouncer's.  perl
# is part of every Debian system (perl-base); without it bouncer's own bind
# error says the same, only later.
if command -v perl >/dev/null 2>&1; then
    busy=$(perl -MIO::Socket::INET -e '
        for my $p (@ARGV) {
            IO::Socket::INET->new(LocalAddr => "127.0.0.1", LocalPort => $p, Listen => 1,
                                  ReuseAddr => 1) or print "$p ($!)\n";
        }' "$port" "$port1" "$port2")
    if [ -n "$busy" ]; then
        echo "make demo: the demo needs 127.0.0.1 ports $port, $port1 and $port2, and these are taken:" >&2
        echo "$busy" | sed 's/^/  port /' >&2
        other=$((port + 1000))
        [ "$other" -le 65533 ] || other=9080
        echo "Stop what holds them, or move the demo: make demo PORT=$other" >&2
        exit 1
    fi
fi

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
chmod 755 "$dir"
sed -e "s#@DIR@#$dir#g" -e "s#@PORT@#$port#g" -e "s#@PORT1@#$port1#g" -e "s#@PORT2@#$port2#g" \
    "$root/etc/demo.conf" >"$dir/demo.conf"
cat <<MSG

bouncer demo: listening on http://127.0.0.1:$port/ in front of two backends
(ports $port1 and $port2).  It runs in the foreground.  Try, in another terminal:

  curl -i http://127.0.0.1:$port/            # round robin: run it twice
  curl -i http://127.0.0.1:$port/healthz     # answered by bouncer itself
  curl -i http://127.0.0.1:$port/old         # a redirect
  curl -i http://127.0.0.1:$port/cached/x    # twice: X-Cache-Status MISS, then HIT
  objs/bouncer -c $dir/demo.conf status
  objs/bouncer -c $dir/demo.conf reload
  tail -f $dir/access.log

Ctrl-C (or: objs/bouncer -c $dir/demo.conf stop) ends it.

MSG
exec "$root/objs/bouncer" -c "$dir/demo.conf" start --foreground
