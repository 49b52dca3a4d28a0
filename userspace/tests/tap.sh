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

# tap_plan N: the TAP header for N results.
tap_plan() { printf 'TAP version 13\n1..%s\n' "$1"; }

# wait_port PORT: something listens on TCP PORT within 5 s (asked of the
# kernel: no connection that a server would count).
wait_port() {
	local i
	for i in $(seq 50); do
		ss -Hltn "sport = :$1" | grep -q . && return 0
		sleep 0.1
	done
	return 1
}

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
