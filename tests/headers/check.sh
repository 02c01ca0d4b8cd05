#!/bin/sh
# Every public header compiles alone and all of them together, with
# -Wall -Wextra -Werror, as GNU C11 and as strict C99 (-pedantic).
# Only the public include directories are on the path, so a header that
# includes one that is not installed fails here. And tulpen/tulpen.h
# includes every other one.
#
# usage: check.sh SRC-INCLUDE-DIR BUILD-INCLUDE-DIR [CC...]
set -u
src=$1
bld=$2
shift 2
[ $# -gt 0 ] || set -- cc
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

headers=$( {
	(cd "$src" && ls tulpen/*.h)
	(cd "$bld" 2>/dev/null && ls tulpen/*.h 2>/dev/null)
} | sort -u)
if [ -z "$headers" ]; then
	echo "no headers found under $src/tulpen"
	exit 1
fi
fail=0
# compile NAME FILE: try every dialect, report each failure
compile() {
	for std in "-std=gnu11" "-std=c99 -pedantic"; do
		# shellcheck disable=SC2086
		if ! "$@" $std -Wall -Wextra -Werror -fsyntax-only \
		    -I"$src" -I"$bld" "$tmp/t.c" 2>"$tmp/err"; then
			echo "FAIL: $name ($std)"
			sed 's/^/    /' "$tmp/err"
			fail=1
		else
			echo "ok: $name ($std)"
		fi
	done
}
for h in $headers; do
	printf '#include <%s>\n#include <%s>\n' "$h" "$h" >"$tmp/t.c"
	name="$h alone (and twice)"
	compile "$@"
done
: >"$tmp/t.c"
for h in $headers; do
	printf '#include <%s>\n' "$h" >>"$tmp/t.c"
done
name="all $(echo "$headers" | wc -l) headers together"
compile "$@"
# The umbrella header gathers every other one.
for h in $headers; do
	[ "$h" = tulpen/tulpen.h ] && continue
	if grep -q "^#include \"$h\"" "$src/tulpen/tulpen.h"; then
		echo "ok: tulpen/tulpen.h includes $h"
	else
		echo "FAIL: tulpen/tulpen.h does not include $h"
		fail=1
	fi
done
exit $fail
