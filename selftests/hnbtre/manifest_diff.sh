#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The kernel's and libhnbtre's manifest parsers and TIM functions are two
# implementations of one grammar (Documentation/manifest.md): each body
# here goes to both, the kernel through securityfs (signed by the trusted
# signer), libhnbtre through `hnbtre rim` and `hnbtre tim`.  Both must
# give the same verdict (accepted or refused), and for an accepted body
# the same RIM and the same TIM of the files as they are.  The bodies:
# ones built with `hnbtre manifest build` and variants of them, one
# grammar rule broken (or kept) at a time, and the libFuzzer corpus of
# the userspace parser.  Each gets a fresh version, so that rollback and
# same-version rules of the kernel do not decide.
. "$(dirname "$0")/lib.sh"
CORPUS_MAX=${HNBTRE_DIFF_CORPUS_MAX:-200}
tap_init 37

# The trailer magic as the uapi header defines it.
MAGIC=$(sed -n 's/^#define HNBTRE_MANIFEST_SIG_MAGIC\t*"\(.*\)\\n"$/\1/p' \
	"$TOP/kernel/uapi/linux/hnbtre.h")

# sign BODY OUT: BODY signed as `hnbtre manifest sign` signs, but whatever
# BODY holds (the CLI signs only what libhnbtre accepts).
sign() {
	openssl cms -sign -binary -nosmimecap -md sha256 -outform DER \
		-signer "$PKI/signer.pem" -inkey "$PKI/signer.key" \
		-in "$1" -out "$2.der" 2> /dev/null || return 1
	{ cat "$1" "$2.der"
	  printf "$(printf '\\%03o' $(($(stat -c %s "$2.der") >> 24 & 255)) \
		$(($(stat -c %s "$2.der") >> 16 & 255)) $(($(stat -c %s "$2.der") >> 8 & 255)) \
		$(($(stat -c %s "$2.der") & 255)))"
	  printf '%s\n' "$MAGIC"
	} > "$2"
}

# status KEY: that line of the module's status snapshot.
status() { sed -n "s/^$1 //p" $SFS/status; }

# kernel_verdict BODY: "accepted RIM TIM" or "refused ERRNO" from the
# module.  A body whose version is not above the active one's is given a
# fresh module first, so that the grammar decides, not the rollback rule.
kernel_verdict() {
	local version active got
	version=$(sed -n '2s/^version \([0-9]\{1,20\}\)$/\1/p' "$1")
	active=$(status version)
	if [ -n "$version" ] && [ "$active" != - ] &&
	   ! awk -v a="$version" -v b="$active" 'BEGIN { exit !(length(a) > length(b) ||
		(length(a) == length(b) && a > b)) }'; then
		fresh_module > /dev/null || return 1
	fi
	sign "$1" "$1.signed" || return 1
	got=$("$WRITE" $SFS/manifest < "$1.signed")
	if [ "$got" = OK ]; then
		echo "accepted $(status rim) $(status tim)"
	else
		echo "refused $got"
	fi
}

# user_verdict BODY: "accepted RIM TIM" or "refused" from libhnbtre.
user_verdict() {
	local rim tim
	if rim=$("$HNBTRE" rim "$1" 2> /dev/null) && tim=$("$HNBTRE" tim "$1" 2> /dev/null); then
		echo "accepted $rim $tim"
	else
		echo refused
	fi
}

# agree BODY: the same verdict and digests from both.
agree() {
	local k u
	k=$(kernel_verdict "$1") || return 1
	u=$(user_verdict "$1")
	[ "${k%% *}" = "${u%% *}" ] && { [ "${k%% *}" = refused ] || [ "$k" = "$u" ]; } || {
		echo "kernel:    $k"
		echo "libhnbtre: $u"
		head -c 600 "$1" | cat -A | head -n 8
		return 1
	}
}

# variant NAME EXPECT FILTER...: a body of c1..c3 built with `hnbtre
# manifest build` (a fresh version), passed through FILTER; both must
# agree and give EXPECT (accepted|refused): the grammar rule.
n_case=0
version=100
body() {
	version=$((version + 1))
	"$HNBTRE" manifest build --version $version "$@"
}
next_case() { n_case=$((n_case + 1)); echo "$WORK/case$n_case"; }
expect() { agree "$2" && user_verdict "$2" | grep -q "^$1"; }
variant() {
	local name=$1 want=$2 f
	shift 2
	f=$(next_case)
	body "$C"/c1 "$C"/c2 "$C"/c3 | "$@" > "$f"
	check "$name: $want by both" expect "$want" "$f"
}

check "module loads, signers admitted" fresh_module
C=$WORK/img
make_components "$C" 3
variant "as built" accepted sed ''
variant "header version 2" refused sed '1s/ 1$/ 2/'
variant "header with a trailing blank" refused sed '1s/$/ /'
variant "CRLF line ends" refused sed 's/$/\r/'
variant "an empty line" refused sed '3s/^/\n/'
variant "uppercase hex digest" refused sed '3s/sha256:\([0-9a-f]*\)/sha256:\U\1/'
variant "digest of 63 hex digits" refused sed '3s/sha256:[0-9a-f]/sha256:/'
variant "digest of 65 hex digits" refused sed '3s/sha256:/sha256:0/'
variant "sha1: digest" refused sed '3s/sha256:[0-9a-f]\{24\}/sha1:/'
variant "unknown class" refused sed '3s/ [a-z]*$/ kernel/'
variant "no class" refused sed '3s/ [a-z]*$//'
variant "an extra field" refused sed '3s/$/ x/'
variant "two blanks between fields" refused sed '3s/ sha256/  sha256/'
variant "a tab between fields" refused sed '3s/ sha256/\tsha256/'
variant "relative path" refused sed '3s/^\///'
variant "path with /../" refused sed '3s/^\/tmp\//\/tmp\/..\/tmp\//'
variant "path with //" refused sed '3s/^\/tmp\//\/\/tmp\//'
variant "path ending in /" refused sed '3s/ sha256/\/ sha256/'
variant "components out of order" refused sed '3{h;d};4{G}'
variant "a component twice" refused sed '3p'
variant "version with a leading zero" refused sed '2s/version /version 0/'
variant "version with a plus sign" refused sed '2s/version /version +/'
variant "version above 2^64-1" refused sed '2s/version .*/version 18446744073709551616/'
variant "no version line" refused sed '2d'
variant "no final newline" refused head -c -1
variant "header and version only (no component)" refused sed '3,$d'
variant "a NUL byte in a path" refused sed '3s/c1/c\x001/'
variant "a byte above 0x7f in a path (UTF-8 names)" accepted sed '5s/c3/c\xe93/'
variant "a DEL byte (0x7f) in a path" refused sed '5s/c3/c\x7f3/'

# Accepted bodies whose TIM differs from their RIM: a component missing,
# one changed after the build, the classes the kernel knows.
variant "a component missing: accepted, its digest \"-\"" accepted sed "3s|$C/c1|$C/c1.gone|"
C2=$WORK/img2
make_components "$C2" 2
f=$(next_case)
body --class tre "$C2"/c1 "$C2"/c2 > "$f"
echo changed | rewrite_component "$C2/c2" && sign_component "$C2/c2"
check "a component changed after the build, class tre: accepted by both" expect accepted "$f"
f=$(next_case)
body --class distress "$C"/c1 > "$f"
check "class distress: accepted by both" expect accepted "$f"

variant "a path of 4095 bytes" accepted sed "5s|$C/c3|/$(printf 'x%.0s' $(seq 4094))|"
variant "a path of 4096 bytes" refused sed "5s|$C/c3|/$(printf 'x%.0s' $(seq 4095))|"
variant "the largest version" accepted sed '2s/version .*/version 18446744073709551615/'

# body_of FILE: FILE without its signature and trailer if it has a
# trailer, as `hnbtre rim` reads it; the kernel gets it signed anew.
body_of() {
	local size der
	size=$(stat -c %s "$1")
	if [ "$size" -gt $((4 + ${#MAGIC} + 1)) ] &&
	   [ "$(tail -c $((${#MAGIC} + 1)) "$1")" = "$MAGIC" ]; then
		der=$(tail -c $((4 + ${#MAGIC} + 1)) "$1" | head -c 4 | od -An -tu1 |
		      awk '{ print ((($1 * 256 + $2) * 256 + $3) * 256 + $4) }')
		if [ "$der" -le $((size - 4 - ${#MAGIC} - 1)) ]; then
			head -c $((size - 4 - ${#MAGIC} - 1 - der)) "$1"
			return
		fi
	fi
	cat "$1"
}

# The userspace fuzzer's corpus: the seeds, and what make fuzz grew.
corpus() {
	local f i=0 failed=0
	for f in "$TOP"/userspace/fuzz/corpus/manifest/* "$TOP"/build/fuzz/corpus-manifest_fuzz/*; do
		[ -f "$f" ] || continue
		i=$((i + 1))
		[ $i -le "$CORPUS_MAX" ] || break
		body_of "$f" > "$WORK/corpus"
		agree "$WORK/corpus" > "$WORK/corpus.out" || {
			echo "$f:"; cat "$WORK/corpus.out"; failed=$((failed + 1))
		}
	done
	echo "$i inputs, $failed disagreements"
	[ $i -gt 0 ] && [ $failed = 0 ]
}
check "the fuzz corpora: the same verdict, RIM and TIM from both" corpus

unload_pinned > /dev/null 2>&1
rm -rf "$WORK"
tap_done
