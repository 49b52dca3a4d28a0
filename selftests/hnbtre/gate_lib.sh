#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Shared by the gate_, identity_ and attest_ tests: TAP helpers, the module,
# the device key wrapper and the TrE states.  Sourced, not run.

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=1; echo "not ok $n - $1"; }
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }
# check NAME COMMAND...: passes when COMMAND succeeds.
check() { local name=$1; shift; if "$@"; then ok "$name"; else not_ok "$name"; fi; }
# refuses ERRNO_TEXT NAME COMMAND...: passes when COMMAND fails and its
# stderr names the expected error (strerror text, as keyctl prints it).
refuses() {
	local want=$1 name=$2 err
	shift 2
	if err=$("$@" 2>&1 >/dev/null); then
		not_ok "$name (succeeded)"
	elif [[ $err == *"$want"* ]]; then
		ok "$name"
	else
		not_ok "$name (got: $err)"
	fi
}
finish() { echo "1..$n"; exit $failed; }
bail() { echo "Bail out! $*"; exit 1; }

# The checkout: selftests/hnbtre/ or build/kselftest/hnbtre/ below it.
find_top() {
	local dir
	dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
	while [ "$dir" != / ]; do
		[ -f "$dir/kernel/hnbtre.ko" ] && [ -d "$dir/build/pki" ] &&
			{ echo "$dir"; return; }
		dir=$(dirname "$dir")
	done
	return 1
}
top=${HNBTRE_TOP:-$(find_top)} || bail "no checkout with kernel/hnbtre.ko and build/pki"
pki=$top/build/pki
sfs=/sys/kernel/security/hnbtre
work=$(mktemp -d /tmp/hnbtre-gate.XXXXXX)
comp=$work/components

[ "$(id -u)" = 0 ] || { echo "1..0 # SKIP needs root (run in scripts/vm)"; exit 4; }
# A session keyring of our own: keys linked there are possessed.
if [ -z "${HNBTRE_GATE_SESSION:-}" ]; then
	HNBTRE_GATE_SESSION=1 exec keyctl session - "$0" "$@"
fi

# wrap_key PKCS8_PEM OUT: the documented wrapper, without project code.
wrap_key() {
	{ printf 'HNBTRE-DEVKEY-1\0'
	  openssl pkcs8 -topk8 -nocrypt -in "$1" -outform DER; } > "$2"
}

load_module() {
	grep -q '^hnbtre ' /proc/modules || insmod "$top/kernel/hnbtre.ko" "$@"
}

state() { cat $sfs/state; }

# sign_manifest OUT: a manifest over $comp, signed like `hnbtre manifest sign`.
sign_manifest() {
	local version=$1 out=$2 f
	{ echo "hnbtre-manifest 1"; echo "version $version"
	  for f in $(find "$comp" -type f | LC_ALL=C sort); do
		echo "$f sha256:$(sha256sum < "$f" | cut -d' ' -f1) normal"
	  done; } > "$work/manifest"
	openssl cms -sign -binary -nosmimecap -md sha256 -outform DER \
		-signer "$pki/signer.pem" -inkey "$pki/signer.key" \
		-in "$work/manifest" -out "$work/manifest.p7"
	cat "$work/manifest" "$work/manifest.p7" > "$out"
	perl -e 'print pack("N", -s $ARGV[0]), "~hnbtre manifest signature~\n"' \
		"$work/manifest.p7" >> "$out"
}

# make_trusted: two signed components and a manifest over them.
make_trusted() {
	mkdir -p "$comp"
	echo "stack" > "$comp/hnb-stack"
	echo "segw=operator" > "$comp/hnb.conf"
	keyctl padd asymmetric "" %:.hnbtre_roots < "$pki/ima.der" >/dev/null 2>&1 || true
	evmctl ima_sign --key "$pki/ima.key" -a sha256 "$comp/hnb-stack" >/dev/null
	evmctl ima_sign --key "$pki/ima.key" -a sha256 "$comp/hnb.conf" >/dev/null
	sign_manifest 1 "$work/manifest.signed"
	cat "$work/manifest.signed" > $sfs/manifest
	[ "$(state)" = trusted ] || { cat $sfs/components >&2; false; }
}

tamper() { echo "segw=evil" > "$comp/hnb.conf"; }

repair() {
	echo "segw=operator" > "$comp/hnb.conf"
	evmctl ima_sign --key "$pki/ima.key" -a sha256 "$comp/hnb.conf" >/dev/null
	echo 1 > $sfs/validate
}

# revalidate: validate now (after tamper: failed).
revalidate() { echo 1 > $sfs/validate 2>/dev/null || true; }

# load_device_key: the test device key into .hnbtre_device, which is then
# linked into our session keyring (possession); prints the key's serial.
load_device_key() {
	wrap_key "$pki/device.key" "$work/device.wrapped"
	keyctl padd asymmetric hnbtre:device %:.hnbtre_device < "$work/device.wrapped" &&
	keyctl link %:.hnbtre_device @s
}
