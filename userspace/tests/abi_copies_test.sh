#!/bin/bash
# One definition of the ABI: every magic, name, word and layout that the
# kernel, libhnbtre and the selftests share is spelled in
# kernel/uapi/linux/hnbtre.h only (the distress indication, between
# userspace programs alone, in libhnbtre's hnbtre_distress.h).  C code of
# the tree (kernel/, userspace/, selftests/) includes them; this test fails
# on any copy left in a C source or header.  Shell scripts and the documentation spell the ABI
# as a user of it does (keyctl descriptions, securityfs words) and are not
# checked, except that none writes a manifest by hand.  TOP=DIR checks another checkout.
set -u
top=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
uapi=kernel/uapi/linux/hnbtre.h
n=0
failed=0

# sources [HOME]: tracked C sources and headers but HOME (the uapi header).
sources() {
	git -C "$top" ls-files -- 'kernel/*.[ch]' 'userspace/*.[ch]' \
		'selftests/*.[ch]' | grep -vx "${1:-$uapi}"
}

# none_found WHAT HITS: one TAP result "no WHAT", failed by any HITS.
none_found() {
	n=$((n + 1))
	if [ -z "$2" ]; then
		echo "ok $n - no $1"
	else
		echo "not ok $n - $1: found"
		echo "$2" | sed 's/^/# /'
		failed=$((failed + 1))
	fi
}

# copies NAME ERE [HOME]: failed by every line of code outside HOME (the
# uapi header) matching ERE; comments may quote the ABI.
copies() {
	none_found "copy of $1 outside ${3:-the uapi header}" "$(cd "$top" && sources "${3:-}" |
		xargs -d '\n' grep -nE -- "$2" | grep -vE '^[^:]+:[0-9]+:[[:space:]]*(/?\*|//)')"
}

echo "TAP version 13"
echo "1..17"
if [ ! -f "$top/$uapi" ]; then
	# The checkout has no uapi header: everything it spells is a copy.
	uapi=/nonexistent
fi
copies "the manifest trailer magic" 'hnbtre manifest signature'
copies "the manifest header line" 'hnbtre-manifest 1\\n'
copies "the device key wrapper magic" 'HNBTRE-DEVKEY-1'
copies "the attestation magic" 'HNBTRE-ATTEST-[0-9]'
copies "the package preamble" '2WIRE_SP'
copies "the key descriptions" '"hnbtre:(device|distress)"'
copies "the keyring names" '"\.hnbtre_(device|roots|[a-z]+_signers)"'
copies "the identity URI prefix" 'urn:hnbtre:identity:'
copies "the signer role arc" '133552708805364161004282974501280483023'
copies "the securityfs directory" '"/sys/kernel/security/hnbtre'
copies "the state words" '"(unvalidated|tampered)"'
copies "the package and distress words" \
	'"(accepted signed=|unknown-signer|bad-signature|too-long|refused tre-failed|refused not-designated|refused corrupted)'
copies "the attestation offsets" '#define[[:space:]]+[A-Z_]*OFF_[A-Z_]+[[:space:]]+[0-9]'
copies "the distress indication header" 'HNBTRE-DISTRESS 1' \
	userspace/include/hnbtre_distress.h
copies "the distress message format" 'hnbtre-distress-1' \
	userspace/include/hnbtre_distress.h
copies "the attestation flags" '#define[[:space:]]+[A-Z_]*FLAG_(VALIDATED|HAS_MANIFEST)[[:space:]]'

# Shell tests and scripts build manifests with `hnbtre manifest build`
# (selftests/hnbtre/pki_lib.sh), never by writing the format themselves;
# cli_test.sh checks that command against the format, and this test
# names it.
none_found "test or script writing a manifest by hand" "$(cd "$top" &&
	git ls-files -- 'selftests/*.sh' 'userspace/tests/*.sh' 'scripts/*' |
	grep -vxE 'userspace/tests/(cli|abi_copies)_test.sh' |
	xargs -d '\n' grep -n 'hnbtre-manifest 1')"
exit $((failed != 0))
