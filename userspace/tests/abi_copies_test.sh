#!/bin/bash
# One definition of the ABI: every magic, name, word and layout that the
# kernel, libhnbtre and the selftests share is spelled in
# kernel/uapi/linux/hnbtre.h only.  C code of the tree (kernel/,
# userspace/, selftests/) includes it; this test fails on any copy left in
# a C source or header.  Shell scripts and the documentation spell the ABI
# as a user of it does (keyctl descriptions, securityfs words) and are not
# checked.  TOP=DIR checks another checkout.
set -u
top=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
uapi=kernel/uapi/linux/hnbtre.h
n=0
failed=0

# Tracked C sources and headers, the uapi header excepted.
sources() {
	git -C "$top" ls-files -- 'kernel/*.[ch]' 'userspace/*.[ch]' \
		'selftests/*.[ch]' | grep -vx "$uapi"
}

# copies NAME ERE: one TAP result, failed by every line of code matching
# ERE; comments may quote the ABI.
copies() {
	local name=$1 re=$2 hits
	n=$((n + 1))
	hits=$(cd "$top" && sources | xargs -d '\n' grep -nE -- "$re" |
		grep -vE '^[^:]+:[0-9]+:[[:space:]]*(/?\*|//)')
	if [ -z "$hits" ]; then
		echo "ok $n - no copy of $name outside the uapi header"
	else
		echo "not ok $n - copies of $name outside the uapi header"
		echo "$hits" | sed 's/^/# /'
		failed=$((failed + 1))
	fi
}

echo "TAP version 13"
echo "1..14"
if [ ! -f "$top/$uapi" ]; then
	# The checkout has no uapi header: everything it spells is a copy.
	uapi=/nonexistent
fi
copies "the manifest trailer magic" 'hnbtre manifest signature'
copies "the manifest header line" 'hnbtre-manifest 1\\n'
copies "the device key wrapper magic" 'HNBTRE-DEVKEY-1'
copies "the attestation magic" 'HNBTRE-ATTEST-1'
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
copies "the attestation flags" '#define[[:space:]]+[A-Z_]*FLAG_(VALIDATED|HAS_MANIFEST)[[:space:]]'
exit $((failed != 0))
