#!/bin/bash
# SPDX-License-Identifier: MIT
# The bash completion (contrib/completion/tulpen.bash), sourced and asked
# as bash would ask it: subcommands, every long option (read from the
# source's option table, so the test fails when one is missing), the values
# of --style/--source/--color in both spellings, directories for
# --proc-root, and state names that the lister and explain both accept.
set -u
T=${TULPEN:?set TULPEN to the binary}
SRC=${TULPEN_SRCDIR:-$(dirname "$0")/../..}
pass=0
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# shellcheck source=../../contrib/completion/tulpen.bash
. "$SRC/contrib/completion/tulpen.bash" || exit 1

ok() { echo "ok - $1"; pass=$((pass + 1)); }
nok() { echo "not ok - $1"; fail=$((fail + 1)); }

# comp WORD... : complete the last word, as bash splits the line (give
# "--style" "=" "n" for --style=n). The replies go to $reply, one a line.
comp() {
	COMP_WORDS=("$T" "$@")
	COMP_CWORD=$#
	COMPREPLY=()
	_tulpen
	reply=$(printf '%s\n' "${COMPREPLY[@]}" | sort)
}

# has NAME WANTED... : every WANTED is among the replies.
has() {
	name=$1
	shift
	for w in "$@"; do
		if ! printf '%s\n' "$reply" | grep -qxF -- "$w"; then
			nok "$name: '$w' not offered (got: $(echo $reply))"
			return
		fi
	done
	ok "$name"
}

# only NAME WANTED... : the replies are exactly WANTED.
only() {
	name=$1
	shift
	want=$(printf '%s\n' "$@" | sort)
	if [ "$reply" = "$want" ]; then
		ok "$name"
	else
		nok "$name: got '$(echo $reply)', wanted '$*'"
	fi
}

comp ""
has "first word: subcommands and filter words" explain pcap watch serve doctor \
	help state exclude sport dport src dst
comp ex
only "first word 'ex'" explain exclude
comp help ""
only "help COMMAND" explain pcap watch serve doctor help

# Every long option of the lister's table, from the source.
opts=$(grep -oE '\{ "[a-z0-9-]+", (no|required|optional)_argument' \
	"$SRC/cli/list_opts.c" | cut -d'"' -f2 | sort -u)
[ -n "$opts" ] || nok "no options read from cli/list_opts.c"
comp --
missing=
for o in $opts; do
	printf '%s\n' "$reply" | grep -qxE -- "--$o=?" || missing="$missing $o"
done
if [ -z "$missing" ]; then
	ok "tulpen --<TAB>: all $(echo $opts | wc -w) long options"
else
	nok "tulpen --<TAB>: missing$missing"
fi
comp --sty
only "--sty" --style=
comp -t --proc-
only "--proc- after -t" --proc-root=
comp --style = ""
only "--style=<TAB>" table ss netstat
comp --style = n
only "--style=n" netstat
comp --style ""
only "--style <TAB>" table ss netstat
comp --source = ""
only "--source=<TAB>" auto netlink proc
comp watch --source = ""
only "watch --source=<TAB>" auto bpf sampled
comp pcap --format = ""
only "pcap --format=<TAB>" table json ndjson
comp pcap --compat ""
only "pcap --compat <TAB>" rfc zeek
comp watch --bpf-without = ""
only "watch --bpf-without=<TAB>" accept timewait connect
comp --colour = a
only "--colour=a" auto always
comp --resolve-timeout ""
only "--resolve-timeout takes a number: nothing offered"
comp --json ""
has "after --json: filter words" state exclude dport src and not
comp --netns ""
has "the lister's --netns is a flag: filter words" state exclude
comp -l ""
has "the lister's -l is a flag: filter words" state dport
comp serve -l ""
only "serve -l takes ADDR:PORT: nothing offered"
comp pcap -f ""
only "pcap -f takes an expression: nothing offered"
comp pcap --filter ""
only "pcap --filter takes an expression: nothing offered"
comp -N a
has "-N a: all" all

# --proc-root: directories only.
mkdir -p "$tmp/d/procdir"
: >"$tmp/d/procfile"
cd "$tmp/d" || exit 1
comp --proc-root proc
only "--proc-root proc: the directory, not the file" procdir
comp --proc-root = proc
only "--proc-root=proc" procdir
comp -F procf
only "-F FILE: files" procfile
comp serve --web-config proc
only "serve --web-config FILE: files" procdir procfile
cd - >/dev/null || exit 1

# Every long option of the other subcommands' tables.
for sub in explain pcap watch serve doctor; do
	opts=$(grep -oE '\{ ?"[a-z0-9-]+", (no|required|optional)_argument' \
		"$SRC/cli/cmd_$sub.c" | cut -d'"' -f2 | sort -u)
	comp "$sub" --
	missing=
	for o in $opts; do
		printf '%s\n' "$reply" | grep -qxE -- "--$o=?" ||
			missing="$missing $o"
	done
	if [ -n "$opts" ] && [ -z "$missing" ]; then
		ok "tulpen $sub --<TAB>: all $(echo $opts | wc -w) long options"
	else
		nok "tulpen $sub --<TAB>: missing$missing (of: $(echo $opts))"
	fi
done

# explain: its options, and single states.
comp explain --n
only "explain --n" --no-count
comp explain --
has "explain --<TAB>" --json --dot --ascii --no-count --proc-root= --help \
	--version
comp explain clos
only "explain clos" close-wait closed closing

# States after state/exclude, each accepted by the lister.
comp -tan state ""
has "state <TAB>" established syn-sent syn-recv fin-wait-1 fin-wait-2 \
	time-wait closed close-wait last-ack listening closing all connected \
	synchronized bucket big
states=$reply
comp exclude time
only "exclude time" time-wait
# all in one listing; one by one only to name the culprit
args=
for s in $states; do
	args="$args state $s"
done
bad=
# shellcheck disable=SC2086
if ! "$T" --proc-root "$SRC/tests/fixtures/proc/basic" -t $args \
	>/dev/null 2>&1; then
	for s in $states; do
		"$T" --proc-root "$SRC/tests/fixtures/proc/basic" -t state \
			"$s" >/dev/null 2>&1 || bad="$bad $s"
	done
	[ -n "$bad" ] || bad=" (together)"
fi
[ -z "$bad" ] && ok "every completed state is a valid filter" ||
	nok "the lister refuses the completed states$bad"
comp explain ""
bad=
for s in $reply; do
	"$T" explain --no-count "$s" >/dev/null 2>&1 || bad="$bad $s"
done
[ -z "$bad" ] && [ -n "$reply" ] &&
	ok "explain: every completed state is explained" ||
	nok "explain refuses the completed states$bad"

# watch: its filter words.
comp watch ""
only "watch <TAB>" state exclude port sport dport

echo "completion: $pass passed, $fail failed"
[ "$fail" = 0 ]
