#!/bin/sh
# make demo: bouncer in the foreground on 127.0.0.1:8080 in front of two
# demo backends, with its files under objs/demo.  Ctrl-C stops it.
set -eu
dir=$(cd "$(dirname "$0")/.." && pwd)/objs/demo
mkdir -p "$dir"
chmod 755 "$dir"
sed "s#@DIR@#$dir#g" etc/demo.conf >"$dir/demo.conf"
cat <<MSG

bouncer demo: listening on http://127.0.0.1:8080/ in front of two backends.
Try, in another terminal:

  curl -i http://127.0.0.1:8080/            # round robin: run it twice
  curl -i http://127.0.0.1:8080/healthz     # answered by bouncer itself
  curl -i http://127.0.0.1:8080/old         # a redirect
  curl -i http://127.0.0.1:8080/cached/x    # twice: X-Cache-Status MISS, then HIT
  objs/bouncer -c $dir/demo.conf status
  objs/bouncer -c $dir/demo.conf reload
  tail -f $dir/access.log

Ctrl-C (or: objs/bouncer -c $dir/demo.conf stop) ends it.

MSG
exec objs/bouncer -c "$dir/demo.conf" start --foreground
