#!/bin/sh
# run_short.sh FUZZER CORPUS [SECONDS] - one libFuzzer target for a fixed
# short time (10 s by default), starting from the corpus kept in the repo.
# New inputs and crash artifacts go to a temporary directory (the repo's
# corpus is read only); a crash fails with the reproducer's path printed.
set -u
fuzzer=$1
corpus=$2
secs=${3:-10}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/new" "$tmp/art"
"$fuzzer" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 \
	-print_final_stats=1 -artifact_prefix="$tmp/art/" \
	"$tmp/new" "$corpus"
rc=$?
if [ "$rc" != 0 ]; then
	for f in "$tmp"/art/*; do
		[ -e "$f" ] || continue
		echo "reproducer ($(basename "$f")):"
		od -An -tx1 "$f" | head -20
	done
fi
exit "$rc"
