#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Helpers of the gate_, identity_ and attest_ selftests on top of lib.sh:
# the device key wrapper, the TrE states, expected refusals.  Sourced.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# A session keyring of our own: what we link there we possess.
if [ -z "${HNBTRE_KEY_SESSION:-}" ]; then
	HNBTRE_KEY_SESSION=1 exec keyctl session - "$0" "$@"
fi

# refuses TEXT NAME COMMAND...: one TAP result, ok when COMMAND fails and
# its stderr contains TEXT (the strerror text that keyctl prints).
refuses() {
	local want=$1 name=$2 err
	shift 2
	tap_n=$((tap_n + 1))
	if err=$("$@" 2>&1 >/dev/null); then
		echo "not ok $tap_n - $name"
		echo "# succeeded"
		tap_failed=$((tap_failed + 1))
	elif [[ $err == *"$want"* ]]; then
		echo "ok $tap_n - $name"
	else
		echo "not ok $tap_n - $name"
		echo "$err" | sed 's/^/# /'
		tap_failed=$((tap_failed + 1))
	fi
}

# wrap_key PKCS8_PEM OUT: the documented wrapper, built without project code.
wrap_key() {
	{ printf 'HNBTRE-DEVKEY-1\0'
	  openssl pkcs8 -topk8 -nocrypt -in "$1" -outform DER; } > "$2"
}

# admit_key device|distress WRAPPED: the key into .hnbtre_device through
# its securityfs file, the keyring linked into our session keyring for
# possession; prints the key's serial.
admit_key() {
	cat "$2" > "$SFS/$1_key" &&
	keyctl link %:.hnbtre_device @s &&
	keyctl search %:.hnbtre_device asymmetric "hnbtre:$1"
}

# load_attest_key: the test attestation key and its certificate into the
# TrE (attestation.md), as hnbtre-start loads them.
load_attest_key() {
	wrap_key "$PKI/attest.key" "$WORK/attest.wrapped" &&
	cat "$WORK/attest.wrapped" > "$SFS/attest_key" &&
	cat "$PKI/attest.der" > "$SFS/attest_cert"
}

# load_device_key: the test device key admitted, and the attestation key
# with it; prints the device key's serial.
load_device_key() {
	wrap_key "$PKI/device.key" "$WORK/device.wrapped" &&
	load_attest_key &&
	admit_key device "$WORK/device.wrapped"
}

# make_trusted: signed components and a signed manifest over them.
make_trusted() {
	make_components "$WORK/c" 2 &&
	signed_manifest "$WORK/m" 1 "$WORK"/c/c* &&
	cat "$WORK/m" > $SFS/manifest &&
	[ "$(state)" = trusted ]
}

tamper() { echo tampered | rewrite_component "$WORK/c/c1"; }

# repair: the original content and signature back, then validate.
repair() {
	echo "component 1 of $WORK/c" > "$WORK/c/c1" &&
	sign_component "$WORK/c/c1" &&
	echo 1 > $SFS/validate
}

# unload_with_keys KEY...: remove the gated keys the test made outside
# .hnbtre_device, then the module must unload once the key garbage
# collector has run.  Nothing takes the keys out of .hnbtre_device, and
# the admitted device key holds the module until reboot, except in a
# build with test hooks (devkey.md): unload_pinned does that.
unload_with_keys() {
	local key

	for key in "$@"; do
		keyctl unlink "$key" >/dev/null 2>&1
	done
	keyctl clear @s
	unload_pinned
}
