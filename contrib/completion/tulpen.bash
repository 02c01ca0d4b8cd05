# bash completion for tulpen                               -*- shell-script -*-
# SPDX-License-Identifier: MIT
#
# Options are read from `tulpen [COMMAND] --help` (which lists every one),
# so they follow the installed binary; subcommands, state names after
# `state` and `exclude`, and the values of --style, --source and --color
# are known here. Needs bash 4; does not need the bash-completion package.

# Single TCP states (explain takes one) and ss's groups (filters take both).
_tulpen_states="established syn-sent syn-recv fin-wait-1 fin-wait-2
time-wait closed close-wait last-ack listening closing"
_tulpen_groups="all connected synchronized bucket big"
_tulpen_commands="explain pcap watch serve doctor help"
# The lister's filter words: ss's expression language (docs/filters.md).
_tulpen_filter_words="state exclude sport dport src dst dev fwmark cgroup
autobound and or not"

# The long options of `$1 $2 --help`, as typed: "--style=" for those that
# take a value after '='.
_tulpen_options()
{
	"$1" $2 --help 2>/dev/null |
		grep -o -- '--[a-z][a-z0-9-]*=\{0,1\}' | sort -u
}

# Complete the value @cur of option @opt of subcommand @cmd; returns 1 when
# @opt takes no value.
_tulpen_value()
{
	local cmd=$1 opt=$2 cur=$3 words=

	case $opt in
	--style) words="table ss netstat" ;;
	--source)
		if [ "$cmd" = watch ]; then
			words="auto bpf sampled"
		else
			words="auto netlink proc"
		fi
		;;
	--color | --colour) words="auto always never" ;;
	--format) words="table json ndjson" ;;
	--compat) words="rfc zeek" ;;
	--bpf-without) words="accept timewait connect" ;;
	--proc-root)
		compopt -o filenames 2>/dev/null
		mapfile -t COMPREPLY < <(compgen -d -- "$cur")
		return 0
		;;
	--netns)
		# the lister's --netns is a flag; watch's takes a path,
		# doctor's a name under /run/netns (or a path or a pid)
		if [ "$cmd" = doctor ]; then
			mapfile -t COMPREPLY < <(compgen -W \
				"$(ls /run/netns 2>/dev/null)" -- "$cur")
			return 0
		fi
		[ "$cmd" = watch ] || return 1
		compopt -o filenames 2>/dev/null
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		return 0
		;;
	--nl-replay | --nl-record | --services-file | --passwd-file)
		compopt -o filenames 2>/dev/null
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		return 0
		;;
	-N | --net)
		# a name under /run/netns, or all (a path or a pid works too)
		words="all $(ls /run/netns 2>/dev/null)"
		;;
	-F | --filter | --web-config)
		# the lister's -F and serve's --web-config read a file; pcap's
		# --filter is an expression
		[ "$cmd" = pcap ] && { COMPREPLY=(); return 0; }
		compopt -o filenames 2>/dev/null
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		return 0
		;;
	--resolve-timeout | --interval | --summary-every | --duration | \
	--ringbuf-mb | --wakeup-kb | --top | --idle-timeout | --linger | \
	-f | --listen | -l | --top-k | --owners-max-age | --max-connections | \
	--timeout | --doctor-every | --watch | --close-wait | --close-wait-age | \
	--ephemeral-pct | --syn-sent | --accept-queue-pct | --syn-queue-pct | \
	--orphans-pct | --fin-wait1 | --fin-wait2 | --retrans-pct | \
	--retrans-min | --stuck-queue | --tcp-mem-pct)
		# -l is the lister's --listening: a value only for serve
		[ "$opt" = -l ] && [ "$cmd" != serve ] && return 1
		COMPREPLY=()
		return 0
		;;
	*) return 1 ;;
	esac
	mapfile -t COMPREPLY < <(compgen -W "$words" -- "$cur")
	return 0
}

_tulpen()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev= cmd= opt=

	COMPREPLY=()
	[ "$COMP_CWORD" -gt 0 ] && prev=${COMP_WORDS[COMP_CWORD - 1]}
	if [ "$COMP_CWORD" -gt 1 ]; then
		case ${COMP_WORDS[1]} in
		explain | pcap | watch | serve | doctor | help) cmd=${COMP_WORDS[1]} ;;
		esac
	fi

	# --opt=VALUE: bash splits it at '=' into "--opt" "=" "VALUE".
	if [ "$cur" = "=" ]; then
		_tulpen_value "$cmd" "$prev" "" && return 0
	elif [ "$prev" = "=" ] && [ "$COMP_CWORD" -gt 1 ]; then
		opt=${COMP_WORDS[COMP_CWORD - 2]}
		_tulpen_value "$cmd" "$opt" "$cur" && return 0
	elif [ "${prev#-}" != "$prev" ]; then
		_tulpen_value "$cmd" "$prev" "$cur" && return 0
	fi

	case $prev in
	state | exclude | excl)
		if [ "$cmd" != explain ]; then
			mapfile -t COMPREPLY < <(compgen -W \
				"$_tulpen_states $_tulpen_groups" -- "$cur")
			return 0
		fi
		;;
	esac

	if [ "${cur#-}" != "$cur" ]; then
		mapfile -t COMPREPLY < <(compgen -W \
			"$(_tulpen_options "${COMP_WORDS[0]}" "$cmd")" -- "$cur")
		# "--style=": the value follows without a space
		[ "${#COMPREPLY[@]}" -eq 1 ] && [ "${COMPREPLY[0]%=}" != \
			"${COMPREPLY[0]}" ] && compopt -o nospace 2>/dev/null
		return 0
	fi

	case $cmd in
	"")
		if [ "$COMP_CWORD" -eq 1 ]; then
			mapfile -t COMPREPLY < <(compgen -W \
				"$_tulpen_commands $_tulpen_filter_words" \
				-- "$cur")
		else
			mapfile -t COMPREPLY < <(compgen -W \
				"$_tulpen_filter_words" -- "$cur")
		fi
		;;
	explain)
		mapfile -t COMPREPLY < <(compgen -W "$_tulpen_states" -- "$cur")
		;;
	pcap)
		compopt -o filenames 2>/dev/null
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		;;
	watch)
		mapfile -t COMPREPLY < <(compgen -W \
			"state exclude port sport dport" -- "$cur")
		;;
	help)
		[ "$COMP_CWORD" -eq 2 ] &&
			mapfile -t COMPREPLY < <(compgen -W "$_tulpen_commands" \
				-- "$cur")
		;;
	esac
	return 0
}

complete -F _tulpen tulpen
