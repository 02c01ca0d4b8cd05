#!/bin/sh
# clang-format over the C sources of the tree, with the repository's
# .clang-format. With --check, change nothing: list the files whose format
# differs and exit 1 if there are any. Without it, reformat them in place.
#
# usage: scripts/format.sh [--check] [FILE...]
set -u
cd "$(dirname "$0")/.." || exit 1
check=0
if [ "${1:-}" = --check ]; then
	check=1
	shift
fi
cf=${CLANG_FORMAT:-clang-format}
if ! command -v "$cf" >/dev/null 2>&1; then
	echo "format: $cf not found (Debian package clang-format)"
	exit 1
fi
if [ $# -eq 0 ]; then
	# The tracked C sources; bpf/vmlinux.h and build trees are generated.
	if git rev-parse --git-dir >/dev/null 2>&1; then
		set -- $(git ls-files '*.c' '*.h' | grep -v '/vmlinux\.h$')
	else
		set -- $(find bench bpf cli examples fuzz include lib tests \
			-name '*.[ch]' ! -name vmlinux.h 2>/dev/null | sort)
	fi
fi
if [ "$check" = 0 ]; then
	exec "$cf" -i --style=file "$@"
fi
bad=0
for f in "$@"; do
	if ! "$cf" --style=file --dry-run --Werror "$f" >/dev/null 2>&1; then
		echo "format: $f differs from .clang-format" \
			"(scripts/format.sh $f fixes it)"
		bad=$((bad + 1))
	fi
done
if [ "$bad" -gt 0 ]; then
	echo "format: $bad of $# files differ"
	exit 1
fi
echo "format: all $# files match .clang-format"
