#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# reboot_seal.sh first|second: a sealed device key (Documentation/devkey.md,
# "Keys at rest") across a real reboot, in two boots of one VM with one TPM
# state, run by scripts/run-reboot-test.  Phase first (a fresh TPM): the
# device key sealed with hnbtre key seal and the attestation key with key
# seal --attest, both unsealed by a trusted start-up with manifest version
# 1.  Phase second (the same TPM after the reboot): the verdict PCR is
# reset, the same blobs are unsealed again, by a start-up with manifest
# version 2 over changed components (another RIM): an update does not
# break unsealing.  Phase first's TAP lines and the blobs are kept in
# $HNBTRE_REBOOT_SHARE; phase second prints the one TAP stream of both.
. "$(dirname "$0")/gate_lib.sh"
phase=${1:-}
FIRST_CHECKS=5
reboot_init "$phase" $FIRST_CHECKS 6

blob=$HNBTRE_REBOOT_SHARE/device.sealed
attest_blob=$HNBTRE_REBOOT_SHARE/attest.sealed
id=$(cat "$PKI/identity")
seal_word() { sed -n "s/^$1 //p" $SFS/seal; }
keyctl new_session > /dev/null
# start VERSION: components and a manifest of VERSION, loaded with both
# sealed blobs: trusted, the sealed device key admitted and signing for
# device.pem.
start() {
	make_components "$WORK/c$1" 2 &&
	signed_manifest "$WORK/m$1" "$1" "$WORK/c$1"/c* &&
	expect_errno OK $SFS/device_key < "$blob" &&
	expect_errno OK $SFS/attest_key < "$attest_blob" &&
	expect_errno OK $SFS/attest_cert < "$PKI/attest.der" &&
	cat "$WORK/m$1" > $SFS/manifest && [ "$(state)" = trusted ] &&
	[ "$(seal_word device_key)" = admitted ] &&
	keyctl link %:.hnbtre_device @s &&
	key=$(keyctl search %:.hnbtre_device asymmetric hnbtre:device) &&
	head -c 32 /dev/urandom > "$WORK/dg" &&
	keyctl pkey_sign "$key" 0 "$WORK/dg" enc=pkcs1 hash=sha256 > "$WORK/sig" &&
	openssl x509 -in "$PKI/device.pem" -pubkey -noout > "$WORK/pub.pem" &&
	openssl pkeyutl -verify -pubin -inkey "$WORK/pub.pem" -in "$WORK/dg" \
		-sigfile "$WORK/sig" -pkeyopt digest:sha256 > /dev/null
}
# attest_key_released: the attestation key's trusted blob admitted, its
# failed one not, and an attestation the TrE signs with it verifies.
attest_key_released() {
	[ "$(seal_word attest_key_trusted)" = admitted ] &&
	[ "$(seal_word attest_key_failed)" = not-released ] && attests trusted
}

if [ "$phase" = first ]; then
	exec 3>&1 > >(tee "$HNBTRE_REBOOT_SHARE/seal-first.tap")
	tee_pid=$!
	check "a fresh TPM: the device key sealed (parent made)" \
		"$HNBTRE" key seal "$PKI/device.key" "$blob"
	check "the attestation key sealed to both verdicts in one file (key seal --attest)" \
		"$HNBTRE" key seal --attest "$PKI/attest.key" "$attest_blob"
	fresh_module identity="$id" > /dev/null
	check "trusted start-up with manifest version 1: the sealed key unsealed and signing" start 1
	check "... the attestation key's trusted blob released, the TrE attests with it" \
		attest_key_released
	check "the RIM of version 1 kept for the second boot" \
		eval "cat $SFS/rim > $HNBTRE_REBOOT_SHARE/rim1"
	exec >&3
	wait $tee_pid
	tap_done
fi

replay_first_boot "$HNBTRE_REBOOT_SHARE/seal-first.tap" $FIRST_CHECKS
check "after the reboot the verdict PCR is at its reset value" \
	pcr_is sha256:12 "$(printf '0%.0s' $(seq 64))"
fresh_module identity="$id" > /dev/null
check "the same blob, manifest version 2 over other components: trusted, unsealed, signing" start 2
check "... and the same attestation key blobs: the trusted one released again, attesting" \
	attest_key_released
check "the RIM changed (an update), unsealing did not break" \
	eval "[ \"\$(cat $SFS/rim)\" != \"\$(cat $HNBTRE_REBOOT_SHARE/rim1)\" ]"
check "PCR 12 capped again" \
	eval "! pcr_is sha256:12 $(printf '0%.0s' $(seq 64)) > /dev/null"
check_write "a copy of the blob in this boot after the release: EKEYEXPIRED" \
	EKEYEXPIRED $SFS/distress_key "$blob"
unload_pinned
rm -rf "$WORK"
tap_done
