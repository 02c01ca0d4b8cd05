#!/bin/sh
# Install into a temporary DESTDIR, then build the examples against the
# installed copy with pkg-config alone, as a program outside the tree
# would, and run each from the source tree. Also checks that every public
# header of the tree is installed, that each installed header compiles
# with nothing but the installed include directory, that the man page and
# docs are there, and that the shared library exports only tulpen_*.
#
# usage: run.sh BUILDDIR SRCDIR PREFIX LIBDIR INCLUDEDIR DATADIR MANDIR CC...
# EXTRA_CFLAGS: added when building the examples (the sanitizer of the
# build, whose runtime the installed library needs).
set -u
build=$1 src=$2 prefix=$3 libdir=$4 incdir=$5 datadir=$6 mandir=$7
shift 7
[ $# -gt 0 ] || set -- cc
abs() { case $1 in /*) echo "$1" ;; *) echo "$prefix/$1" ;; esac; }
libdir=$(abs "$libdir") incdir=$(abs "$incdir")
datadir=$(abs "$datadir") mandir=$(abs "$mandir")

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
dest=$tmp/dest
fail=0
bad() {
	echo "FAIL: $*"
	fail=1
}

if ! meson install -C "$build" --no-rebuild --destdir "$dest" \
    >"$tmp/install.log" 2>&1; then
	cat "$tmp/install.log"
	bad "meson install --destdir failed"
	exit 1
fi

# The library, its soname and what it exports.
so=$dest$libdir/libtulpen.so
[ -e "$so" ] || bad "$so is not installed"
soname=$(readelf -d "$so" 2>/dev/null | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
case $soname in
libtulpen.so.[0-9]*) echo "ok: soname $soname" ;;
*) bad "soname is '$soname'" ;;
esac
[ -e "$dest$libdir/$soname" ] || bad "$soname is not installed"
nm -D --defined-only "$so" | awk '{ print $NF }' | sed 's/@.*//' >"$tmp/syms"
n=$(grep -vc '^TULPEN_0$' "$tmp/syms")
others=$(grep -v '^tulpen_' "$tmp/syms" | grep -v '^TULPEN_0$')
if [ -n "$others" ] || [ "$n" -lt 10 ]; then
	bad "exports other than tulpen_* ($n in all):" $others
else
	echo "ok: $n symbols exported, all tulpen_*"
fi
grep -qx tulpen_version "$tmp/syms" || bad "tulpen_version is not exported"
# Exported is exactly what the installed headers declare: no internal
# helper, and no declared function missing from the library.
/usr/bin/python3 - "$tmp/syms" "$dest$incdir"/tulpen/*.h <<'PY' || fail=1
import re, sys
comments = re.compile(r'/\*.*?\*/|//[^\n]*', re.S)
cpp = re.compile(r'^[ \t]*#[^\n]*', re.M)
text = ' '.join(cpp.sub(' ', comments.sub(' ', open(p).read()))
                for p in sys.argv[2:])
names = set(re.findall(r'\btulpen_\w+\b', text))
inline = set(re.findall(r'static\s+inline[^;{(]*\b(tulpen_\w+)\s*\(', text))
funcs = set(re.findall(r'\b(tulpen_\w+)\s*\(', text)) - inline
syms = set(open(sys.argv[1]).read().split()) - {'TULPEN_0'}
extra, missing = sorted(syms - names), sorted(funcs - syms)
for s in extra:
    print('FAIL: exported but not in the installed headers:', s)
for s in missing:
    print('FAIL: declared in the installed headers, not exported:', s)
if not extra and not missing:
    print('ok: the exports are the %d functions and data the headers declare'
          % len(syms))
sys.exit(1 if extra or missing else 0)
PY

# Every header of the tree is installed and compiles on its own.
for h in "$src"/include/tulpen/*.h; do
	h=${h##*/}
	[ -e "$dest$incdir/tulpen/$h" ] || bad "tulpen/$h is not installed"
done
for h in "$dest$incdir"/tulpen/*.h; do
	printf '#include <tulpen/%s>\n' "${h##*/}" >"$tmp/h.c"
	"$@" -Wall -Wextra -Werror -fsyntax-only -I"$dest$incdir" "$tmp/h.c" ||
		bad "installed tulpen/${h##*/} does not compile alone"
done

# The man page and every doc.
[ -e "$dest$mandir/man1/tulpen.1" ] || bad "the man page is not installed"
for d in "$src"/docs/*.md; do
	[ -e "$dest$datadir/doc/tulpen/${d##*/}" ] ||
		bad "docs/${d##*/} is not installed"
done

# The shell completions.
[ -e "$dest$datadir/bash-completion/completions/tulpen" ] ||
	bad "the bash completion is not installed"
[ -e "$dest$datadir/zsh/vendor-completions/_tulpen" ] ||
	bad "the zsh completion is not installed"

# pkg-config sees only the installed copy.
PKG_CONFIG_PATH=$dest$libdir/pkgconfig:$dest$(abs share)/pkgconfig
PKG_CONFIG_SYSROOT_DIR=$dest
export PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR
if ! flags=$(pkg-config --cflags --libs tulpen); then
	bad "pkg-config --cflags --libs tulpen"
	exit 1
fi
echo "pkg-config: $flags"
v=$(pkg-config --modversion tulpen)

for ex in list_sockets explain_state summarise_capture; do
	# shellcheck disable=SC2086
	if ! "$@" -std=gnu11 -Wall -Wextra -Werror ${EXTRA_CFLAGS:-} \
	    -o "$tmp/$ex" "$src/examples/$ex.c" $flags; then
		bad "$ex does not build against the installed library"
		continue
	fi
	if ! (cd "$src" && LD_LIBRARY_PATH=$dest$libdir "$tmp/$ex" \
	    >"$tmp/$ex.out" 2>"$tmp/$ex.err"); then
		bad "$ex exits non-zero:"
		cat "$tmp/$ex.err"
		continue
	fi
	# it really ran the installed library, not one from elsewhere
	if ! LD_LIBRARY_PATH=$dest$libdir ldd "$tmp/$ex" |
	    grep -q "$dest$libdir/$soname"; then
		bad "$ex is not linked with the installed $soname"
	fi
	echo "ok: $ex ($(wc -c <"$tmp/$ex.out") bytes of output)"
done
# What each prints, checked loosely: JSON, the state, connections.
grep -q '^\[' "$tmp/list_sockets.out" 2>/dev/null ||
	bad "list_sockets did not print a JSON array"
/usr/bin/python3 -c 'import json,sys; json.load(open(sys.argv[1]))' \
	"$tmp/list_sockets.out" 2>/dev/null ||
	bad "list_sockets printed invalid JSON"
grep -q "libtulpen $v" "$tmp/explain_state.out" 2>/dev/null ||
	bad "explain_state did not print tulpen_version() = $v"
grep -q 'TIME-WAIT' "$tmp/explain_state.out" 2>/dev/null ||
	bad "explain_state did not explain TIME-WAIT"
[ -s "$tmp/summarise_capture.out" ] ||
	bad "summarise_capture printed nothing"
exit $fail
