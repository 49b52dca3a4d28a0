#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Helpers of the gate_, identity_ and attest_ selftests on top of lib.sh:
# the device key wrapper, the TrE states, expected refusals.  Sourced.
. "$(dirname "$0")/lib.sh"

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

# load_device_key: the test device key into .hnbtre_device, linked into our
# session keyring for possession; prints the key's serial.
load_device_key() {
	wrap_key "$PKI/device.key" "$WORK/device.wrapped" &&
	keyctl padd asymmetric hnbtre:device %:.hnbtre_device < "$WORK/device.wrapped" &&
	keyctl link %:.hnbtre_device @s
}

# make_trusted: signed components and a signed manifest over them.
make_trusted() {
	make_components "$WORK/c" 2 &&
	signed_manifest "$WORK/m" 1 "$WORK"/c/c* &&
	cat "$WORK/m" > $SFS/manifest &&
	[ "$(state)" = trusted ]
}

tamper() { echo tampered > "$WORK/c/c1"; }

# repair: the original content and signature back, then validate.
repair() {
	echo "component 1 of $WORK/c" > "$WORK/c/c1" &&
	sign_component "$WORK/c/c1" &&
	echo 1 > $SFS/validate
}

# unload_with_keys KEY...: remove the gated keys, then the module must
# unload once the key garbage collector has run.  The device key (and the
# distress credential, if the test made $WORK/distress.wrapped) is KEEP,
# but 6.1 unlinks by type and description: unlinking a decoy (same
# description, not KEEP) from .hnbtre_device removes the real key.
unload_with_keys() {
	local decoys key i

	decoys=$(keyctl padd asymmetric hnbtre:device @s < "$WORK/device.wrapped")
	if [ -f "$WORK/distress.wrapped" ]; then
		decoys="$decoys $(keyctl padd asymmetric hnbtre:distress @s < "$WORK/distress.wrapped")"
	fi
	for key in $decoys "$@"; do
		keyctl unlink "$key" %:.hnbtre_device >/dev/null 2>&1
		keyctl unlink "$key" >/dev/null 2>&1
	done
	keyctl clear @s
	for i in $(seq 50); do
		rmmod hnbtre 2>/dev/null && return 0
		sleep 0.1
	done
	rmmod hnbtre
}
