#!/usr/bin/zsh -f
# SPDX-License-Identifier: MIT
# The zsh completion (contrib/completion/_tulpen), with the completion
# system's builtins replaced by recorders: what it offers for subcommands,
# options (every long option of the lister's table in the source), option
# values, --proc-root and the states after `state`.
emulate -L zsh
T=${TULPEN:?set TULPEN to the binary}
SRC=${TULPEN_SRCDIR:-${0:h}/../..}
integer pass=0 fail=0
typeset -a got

# The recorders: every candidate offered goes into $got.
compadd() {
	local -a names
	local arrays=0
	while (( $# )); do
		case $1 in
		-S|-t|-P|-J|-X) shift ;;
		-a) arrays=1 ;;
		--) shift; break ;;
		-*) ;;
		*) break ;;
		esac
		shift
	done
	if (( arrays )); then
		for a in "$@"; do names+=(${(P)a}); done
	else
		names=("$@")
	fi
	got+=($names)
}
compset() { return 0 }
_files() { got+=(FILES) }
_directories() { got+=(DIRS) }
_message() { got+=(MESSAGE) }
_describe() { local -a c; c=(${(P)4}); got+=(${c%%:*}) }

source $SRC/contrib/completion/_tulpen || exit 1

# comp WORD... : complete the last word of "tulpen WORD...".
comp() {
	words=($T "$@")
	CURRENT=${#words}
	got=()
	_tulpen
	got=(${(ou)got})
}
ok() { print "ok - $1"; pass+=1 }
nok() { print "not ok - $1"; fail+=1 }
only() {
	local name=$1; shift
	local -a want; want=(${(ou)@})
	if [[ "$got" == "$want" ]]; then ok $name
	else nok "$name: got '$got', wanted '$want'"; fi
}
has() {
	local name=$1 w; shift
	for w in "$@"; do
		if (( ! ${got[(Ie)$w]} )); then
			nok "$name: '$w' not offered (got: $got)"; return
		fi
	done
	ok $name
}

comp ''
only "first word" explain pcap watch serve doctor help state exclude sport dport \
	src dst dev fwmark cgroup autobound and or not
comp help ''
only "help COMMAND" explain pcap watch serve doctor help
comp --
opts=(${(f)"$(grep -oE '\{ "[a-z0-9-]+", (no|required|optional)_argument' \
	$SRC/cli/list_opts.c | cut -d'"' -f2 | sort -u)"})
(( ${#opts} > 10 )) || nok "options read from cli/list_opts.c: $opts"
missing=()
for o in $opts; do
	(( ${got[(Ie)--$o]} || ${got[(Ie)--$o=]} )) || missing+=($o)
done
(( ${#missing} == 0 )) && ok "tulpen --<TAB>: all ${#opts} long options" ||
	nok "tulpen --<TAB>: missing $missing"
comp --style=
only "--style=" table ss netstat
comp --style ''
only "--style <TAB>" table ss netstat
comp watch --source=
only "watch --source=" auto bpf sampled
comp --source=
only "--source=" auto netlink proc
comp pcap --format ''
only "pcap --format <TAB>" table json ndjson
comp pcap --compat=
only "pcap --compat=" rfc zeek
comp watch --bpf-without ''
only "watch --bpf-without <TAB>" accept timewait connect
for sub in pcap watch serve doctor; do
	comp $sub --
	subopts=(${(f)"$(grep -oE '\{ ?"[a-z0-9-]+", (no|required|optional)_argument' \
		$SRC/cli/cmd_$sub.c | cut -d'"' -f2 | sort -u)"})
	missing=()
	for o in $subopts; do
		(( ${got[(Ie)--$o]} || ${got[(Ie)--$o=]} )) || missing+=($o)
	done
	(( ${#subopts} > 5 && ${#missing} == 0 )) &&
		ok "tulpen $sub --<TAB>: all ${#subopts} long options" ||
		nok "tulpen $sub --<TAB>: missing $missing"
done
comp --proc-root ''
only "--proc-root <TAB>: directories" DIRS
comp --proc-root=
only "--proc-root=: directories" DIRS
comp pcap -v ''
only "pcap: files" FILES
comp --interval ''
only "a number: nothing but a message" MESSAGE
comp explain --
has "explain --<TAB>" --json --dot --ascii --no-count --proc-root= --help \
	--version
comp explain ''
only "explain: single states" established syn-sent syn-recv fin-wait-1 \
	fin-wait-2 time-wait closed close-wait last-ack listening closing
comp -t state ''
has "state <TAB>: states and groups" close-wait time-wait all bucket big
comp watch ''
only "watch <TAB>" state exclude port sport dport
comp --netns ''
has "the lister's --netns is a flag" state exclude dport
comp -F ''
only "-F FILE: files" FILES
comp pcap -f ''
only "pcap -f: an expression" MESSAGE
comp serve --web-config ''
only "serve --web-config: files" FILES
comp watch --netns ''
only "watch --netns <TAB>: files" FILES
comp --net=
has "--net=: all" all

print "zsh completion: $pass passed, $fail failed"
(( fail == 0 ))
