#!/bin/bash
# The man pages (Documentation/man/*.scd, rendered by scdoc) against the
# programs: the long options of each program's --help are exactly those in
# its page's SYNOPSIS, COMMANDS and OPTIONS, and hnbtre(7) lists exactly
# the module parameters of kernel/.  Needs $HNBTRE (the CLI; the other
# programs are next to it) and scdoc.
. "$(dirname "$0")/tap.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)
bin=$(dirname "$HNBTRE")
man=$top/Documentation/man

tap_plan 10

# options_of_page PAGE: long options in the sections that define them.
options_of_page() {
	MANWIDTH=200 man -l "$1" 2>/dev/null |
		awk '/^[A-Z]/ { keep = ($0 ~ /^(SYNOPSIS|COMMANDS|OPTIONS)$/) } keep' |
		grep -o -- '--[a-z][a-z0-9-]*' | grep -vx -- --help | sort -u
}
options_of_help() {
	"$@" --help 2>&1 | grep -o -- '--[a-z][a-z0-9-]*' | grep -vx -- --help | sort -u
}
same_options() {
	local page=$1
	shift
	diff -u --label "--help of $*" --label "man page $page" \
		<(options_of_help "$@") <(options_of_page "$tmp/$page")
}

pages_render() {
	local src
	for src in "$man"/*.scd; do
		scdoc < "$src" > "$tmp/$(basename "$src" .scd)" || return 1
		[ -s "$tmp/$(basename "$src" .scd)" ] || return 1
	done
}
check "scdoc renders every page" pages_render
for prog in hnbtre hnbtre-cwmpd hnbtre-hems hnbtre-distress; do
	check "$prog --help and $prog(8) name the same options" same_options "$prog.8" "$bin/$prog"
done
for prog in hnbtre-start hnbtre-isolate; do
	check "$prog --help and $prog(8) name the same options" \
		same_options "$prog.8" "$top/policy/init/$prog"
done

# --help is a request, not a usage error: help on stdout, exit 0.
help_succeeds() {
	local prog
	for prog in "$bin"/hnbtre "$bin"/hnbtre-cwmpd "$bin"/hnbtre-hems "$bin"/hnbtre-distress \
		"$top"/policy/init/hnbtre-start "$top"/policy/init/hnbtre-isolate; do
		"$prog" --help > "$tmp/help" 2>/dev/null || { echo "$prog --help: exit $?"; return 1; }
		grep -q -- --help "$tmp/help" || grep -qi usage "$tmp/help" ||
			{ echo "$prog --help: no help on stdout"; return 1; }
	done
}
check "every program's --help prints its help on stdout and exits 0" help_succeeds

# hnbtre(7)'s PARAMETERS: each module_param of kernel/, nothing else.
params_of_page() {
	MANWIDTH=200 man -l "$tmp/hnbtre.7" 2>/dev/null |
		awk '/^[A-Z]/ { keep = ($0 == "PARAMETERS") } keep' |
		sed -n 's/^       \([a-z_]*\)$/\1/p' | sort -u
}
params_of_kernel() {
	sed -n 's/.*module_param(\([a-z_]*\),.*/\1/p; s/.*module_param_named(\([a-z_]*\),.*/\1/p' \
		"$top"/kernel/*.c | sort -u
}
check "hnbtre(7) lists exactly the module parameters of kernel/" \
	diff -u --label kernel/ --label hnbtre.7 <(params_of_kernel) <(params_of_page)

# The comparison can fail: an option only in the help is found.
check "an option missing from a page is reported" fails same_options hnbtre.8 \
	bash -c 'echo "usage: x --not-in-the-page"' x
exit $((failed > 0))
