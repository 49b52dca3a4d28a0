#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Helpers of the gate_, identity_ and attest_ selftests on top of lib.sh:
# the device key wrapper, the TrE states, expected refusals, hnbtre-start's
# configuration.  Sourced.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# A session keyring of our own: what we link there we possess.
if [ -z "${HNBTRE_KEY_SESSION:-}" ]; then
	HNBTRE_KEY_SESSION=1 exec keyctl session - "$0" "$@"
fi

# refuses TEXT NAME COMMAND...: one TAP result, ok when COMMAND fails and
# its stderr contains TEXT (the strerror text that keyctl prints).
refuses() {
	local want=$1 name=$2
	shift 2
	check "$name" fails_saying "$want" "$@"
}

# fails_saying TEXT COMMAND...: COMMAND fails and its stderr contains TEXT.
fails_saying() {
	local want=$1 err
	shift
	if err=$("$@" 2>&1 >/dev/null); then
		echo succeeded
		return 1
	fi
	[[ $err == *"$want"* ]] || { echo "$err"; return 1; }
}

# wrap_key PKCS8_PEM OUT: the documented wrapper, built without project code.
wrap_key() {
	{ printf 'HNBTRE-DEVKEY-1\0'
	  openssl pkcs8 -topk8 -nocrypt -in "$1" -outform DER; } > "$2"
}

# attestation_says LINE: an attestation signed with the device key (loaded
# for it) has the field LINE, as verify-attestation prints the fields
# whatever the verdict; the module is unloaded afterwards.
attestation_says() {
	local serial nonce=00112233445566778899aabbccddeeff ret=0
	serial=$(load_device_key) &&
	"$HNBTRE" attest --nonce $nonce > "$WORK/att" || return 1
	"$HNBTRE" verify-attestation --cert "$PKI/device.pem" --roots "$PKI/root.pem" --nonce $nonce \
		"$WORK/att" > "$WORK/att.out"
	grep -qx "$1" "$WORK/att.out" || { grep "${1%% *}" "$WORK/att.out"; ret=1; }
	unload_with_keys "$serial"
	return $ret
}

# write_start_conf SETTING...: policy/init/hnbtre-start's configuration
# ($WORK/start.conf) of a test image (boot_lib.sh, replace_lib.sh):
# identity $id, the distress function in $D, the keys wrapped in $WORK;
# then each SETTING (NAME=value), e.g. the manifest.
write_start_conf() {
	{
		cat <<EOC
IDENTITY=$id
MODULE=$MODULE
ROOT_CERTS="$PKI/signer.der $PKI/pkg-signer.der $PKI/ima.der"
DEVICE_KEY=$WORK/device.wrapped
ATTEST_KEY=$WORK/attest.wrapped
ATTEST_CERT=$PKI/attest.der
CLEAR_KEYS=yes
DISTRESS=$D/hnbtre-distress
HNBTRE=$HNBTRE
WATCHER_PIDFILE=$WORK/watcher.pid
EOC
		printf '%s\n' "$@"
	} > "$WORK/start.conf"
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

# attests [trusted|failed]: an attestation the TrE makes now verifies
# for the test PKI's device certificate: valid, or (failed) rejected for
# its state alone, so signed by an attestation key of the operator.
attests() {
	local n out want
	n=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
	"$HNBTRE" attest --nonce "$n" > "$WORK/att" || return 1
	out=$("$HNBTRE" verify-attestation --cert "$PKI/device.pem" --roots "$PKI/root.pem" \
		--nonce "$n" "$WORK/att" | tail -n 1)
	want=valid
	[ "${1:-trusted}" = trusted ] || want="rejected: state not trusted"
	[ "$out" = "$want" ] || { echo "verify-attestation: $out"; return 1; }
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
