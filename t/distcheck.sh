#!/bin/sh
# make distcheck: the release tarball, unpacked in a fresh folder (no .git,
# no objs/), must configure, build and pass the unit tests; install under a
# DESTDIR everything an installed bouncer needs, where its config.mk says;
# run from there; uninstall leaving only the config; and make the same
# tarball again.  A file the build needs but the tarball lacks fails here.
# DISTCHECK_TEST=1 runs the whole suite in the unpacked tree too.
#
#   t/distcheck.sh bouncer-VERSION.tar.gz
set -eu

[ $# -eq 1 ] && [ -f "$1" ] || { echo "usage: t/distcheck.sh bouncer-VERSION.tar.gz" >&2; exit 2; }
tarball=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
name=$(basename "$tarball" .tar.gz)
work=$(mktemp -d "${TMPDIR:-/tmp}/bouncer-distcheck-XXXXXX")
trap 'rm -rf "$work"' EXIT
started=$(date +%s)

fail() { echo "distcheck: $*" >&2; exit 1; }
step() { echo "== distcheck: $*"; }
# quietly CMD...: its output only when it fails.
quietly() {
    "$@" >"$work/step.log" 2>&1 || { tail -n 20 "$work/step.log" >&2; fail "$* failed"; }
}

step "unpacking $(basename "$tarball") in $work"
tar -C "$work" -xzf "$tarball"
[ -d "$work/$name" ] || fail "$(basename "$tarball") does not unpack to $name/"
for junk in "$work"/*; do
    [ "$junk" = "$work/$name" ] || fail "the tarball holds $(basename "$junk") beside $name/"
done
cd "$work/$name"
[ ! -e .git ] && [ ! -e objs ] || fail "the tarball holds .git or objs/"
version=$(sed -n 's/^BN_VERSION=//p' configure)
[ "$name" = "bouncer-$version" ] || fail "$name/ holds configure of version $version"

step "./configure; make; make unit; prove t/unit.t"
quietly ./configure
quietly make -j2
quietly make -j2 unit
quietly prove t/unit.t

if [ -n "${DISTCHECK_TEST:-}" ]; then
    step "make test"
    make test PROVE_FLAGS="${PROVE_FLAGS:-}"
fi

mk() { sed -n "s/^$1 = //p" objs/config.mk; }
dest=$work/dest
sbin=$(mk SBINDIR) conf=$(mk CONF_PATH) mandir=$(mk MANDIR) prefix=$(mk PREFIX)
logrotate=$(mk LOGROTATE_DIR)
step "make install DESTDIR=$dest"
quietly make install DESTDIR="$dest"
for f in "$sbin/bouncer" "$conf" "${conf%/*}/bouncer.conf.example" "$mandir/man8/bouncer.8" \
    "$prefix/lib/systemd/system/bouncer.service" "$logrotate/bouncer"; do
    [ -s "$dest$f" ] || fail "make install did not install $f"
done
[ ! -f etc/bouncer.conf.5 ] || [ -s "$dest$mandir/man5/bouncer.conf.5" ] \
    || fail "make install did not install $mandir/man5/bouncer.conf.5"
for d in "$(mk LOG_PATH)" "$(mk CACHE_PATH)" "$(dirname "$(mk PID_PATH)")"; do
    [ -d "$dest$d" ] || fail "make install did not make the folder $d"
done

step "the installed bouncer runs: version, check of the installed configs"
"$dest$sbin/bouncer" version | grep -q "^bouncer version $version\$" \
    || fail "the installed binary is not version $version"
quietly "$dest$sbin/bouncer" -c "$dest$conf" check
quietly "$dest$sbin/bouncer" -c "$dest${conf%/*}/bouncer.conf.example" check

step "make uninstall leaves only the config"
quietly make uninstall DESTDIR="$dest"
left=$(cd "$dest" && find . -type f | sed 's|^\.||')
[ "$left" = "$conf" ] || fail "make uninstall left: $left"

step "make dist again, from the unpacked tree"
mkdir "$work/again"
quietly make dist DISTDIR="$work/again"
tar tzf "$tarball" | sort >"$work/first.list"
tar tzf "$work/again/$name.tar.gz" | sort >"$work/again.list"
diff -u "$work/first.list" "$work/again.list" >&2 \
    || fail "make dist in the unpacked tree does not make the same tarball"

echo "distcheck: $(basename "$tarball") is ready for release ($(($(date +%s) - started))s)"
