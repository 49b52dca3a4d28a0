# SPDX-License-Identifier: GPL-2.0-only
# Sourced by the host shell tests: a temp dir, TAP results, exit status,
# and what the selftests also make with the test PKI (signed manifests,
# the CA database: selftests/hnbtre/pki_lib.sh).
# Needs $HNBTRE (the CLI) and $PKI (scripts/mkpki).
set -u
HNBTRE=${HNBTRE:?} PKI=${PKI:?}
. "$(dirname "${BASH_SOURCE[0]}")/../../selftests/hnbtre/pki_lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
failed=0

# check NAME COMMAND...: one TAP result from COMMAND's exit status.
check() {
	local name=$1
	shift
	n=$((n + 1))
	if "$@" > "$tmp/out" 2>&1; then
		echo "ok $n - $name"
	else
		echo "not ok $n - $name"
		sed 's/^/# /' "$tmp/out"
		failed=$((failed + 1))
	fi
}

fails() { ! "$@"; }
