#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# IKEv2 between a device and a SeGW (two charons in two network
# namespaces) with the hnbtre charon plugin: AUTH signed in the TrE, the
# TrE's trust anchor, the attestation Notify bound to the SA, the
# gateway's policy, hostile Notify contents, the TrE's state over the
# life of an SA.  Certificates and revocation: ike_certs.sh.
. "$(dirname "$0")/gate_lib.sh"
. "$(dirname "$0")/ike_lib.sh"
ike_init 27

: > "$WORK/shim.ctl"

wrong_rim() { echo "sha256:$(printf '%064d' 0)" > "$WORK/rims/$(cat "$PKI/identity")"; }

# --- stock strongSwan on both ends, file keys: the bench itself works
baseline() { segw_plain && dev_plain && attaches; }
check "stock strongSwan, file keys: CHILD_SA up, traffic passes" baseline

# --- trusted device: AUTH by the TrE, attestation verified
trusted_tre() { make_trusted && load_device_key > /dev/null && expect_rim; }
check "the TrE is trusted, the device key loaded" trusted_tre
trusted_device() {
	segw_with_plugin && dev_with_plugin && attaches &&
	segw_logged "$(verdict verified valid require accept "$(tim)")"
}
check "trusted device: CHILD_SA up, traffic passes, SeGW logged the verified TIM $(tim)" \
	trusted_device
check "the attestation rode as Notify 40970 in IKE_AUTH" \
	segw_logged "parsed IKE_AUTH request 1 .*N((40970))"
no_key_file() {
	[ -z "$(find "$WORK/dev/swanctl/private" "$WORK/dev/swanctl/x509ca" -type f)" ] &&
	vici dev --list-conns | grep -q 'local public key authentication'
}
check "no private key file and no CA file on the device" no_key_file
check "the device signed AUTH in the TrE (RFC 7427, PKCS#1 v1.5 SHA-256)" \
	sh -c "grep -q 'private key in the TrE' '$WORK/dev/charon.log' &&
	       grep -q 'authentication of .* (myself) with RSA_EMSA_PKCS1_SHA2_256 successful' '$WORK/dev/charon.log'"
check "the SeGW root is a trust anchor because .hnbtre_roots holds its key" \
	grep -q "hnbtre: trust anchor 'O=hnbtre test operator, CN=hnbtre test root CA' (key held in .hnbtre_roots)" \
	"$WORK/dev/charon.log"
foreign_root() {
	DEV_ROOT=evil-root dev_with_plugin && refused &&
	grep -q "evil-root.pem' is not a trust anchor" "$WORK/dev/charon.log" &&
	dev_logged "no trusted RSA public key found for 'segw.hnbtre.test'"
}
check "a root the TrE does not hold is no trust anchor: device aborts" foreign_root

# --- the gateway's policy and reference store
dev_with_plugin > /dev/null
tim_differs_require() {
	wrong_rim && refused &&
	segw_logged "$(verdict rejected 'TIM differs from the expected RIM' require reject)" &&
	dev_logged "received AUTHENTICATION_FAILED notify error"
}
check "TIM differs from the reference store, require: IKE_SA rejected" tim_differs_require
tim_differs_log() {
	segw_with_plugin "policy = log" && attaches &&
	segw_logged "$(verdict rejected 'TIM differs from the expected RIM' log accept "$(tim)")"
}
check "TIM differs from the reference store, log: accepted and logged" tim_differs_log
per_connection() {
	segw_with_plugin "policy = log" "connections { hnb { policy = require } }" &&
	refused && segw_logged "$(verdict rejected 'TIM differs from the expected RIM' require reject)"
}
check "per-connection policy overrides the global one" per_connection
policy_off() {
	segw_with_plugin "policy = off" && attaches && ! segw_logged "hnbtre: attestation"
}
check "policy off: accepted, nothing checked or logged" policy_off
no_reference() {
	rm "$WORK/rims/$(cat "$PKI/identity")" && segw_with_plugin && refused &&
	segw_logged "$(verdict rejected 'no reference RIM for this identity' require reject)"
}
check "no reference RIM for the identity, require: rejected" no_reference
expect_rim
notify_missing() {
	dev_with_plugin "attest = no" && refused &&
	segw_logged "$(verdict rejected 'no attestation Notify' require reject)"
}
check "Notify missing, require: rejected" notify_missing

# --- an attacker on the device: what reaches the Notify (attest_shim)
ATTACKER=yes dev_with_plugin > /dev/null
replayed() {
	echo "capture $WORK/captured" > "$WORK/shim.ctl" && attaches &&
	segw_logged "$(verdict verified valid require accept)" &&
	echo "replay $WORK/captured" > "$WORK/shim.ctl" && refused &&
	segw_logged "$(verdict rejected 'wrong nonce (replayed or for another request)' require reject)"
}
check "a valid attestation replayed from another SA: rejected" replayed
# hostile MODE REASON: the Notify data MODE makes is refused for REASON,
# and the SeGW's charon lives on.
hostile() {
	echo "$1" > "$WORK/shim.ctl" && refused &&
	segw_logged "$(verdict rejected "$2" require reject)" && charon_alive segw
}
check "truncated attestation: rejected, charon up" hostile truncate "malformed attestation"
check "oversized Notify (5000 bytes appended): rejected, charon up" hostile oversize "oversized attestation Notify"
check "one trailing byte: rejected, charon up" hostile trailing "malformed attestation"
check "garbage signature: rejected, charon up" hostile badsig "bad signature"
check "wrong type (other format identifier): rejected, charon up" hostile wrongtype "malformed attestation"
check "undefined state byte: rejected, charon up" hostile badstate "malformed attestation"
check "random bytes: rejected, charon up" hostile random "malformed attestation"
after_hostile() {
	echo pass > "$WORK/shim.ctl" && attaches &&
	segw_logged "$(verdict verified valid require accept)"
}
check "after all that the genuine attestation is accepted" after_hostile

# --- the TrE's state decides
segw_with_plugin > /dev/null
dev_with_plugin > /dev/null
tampered_reauth() {
	local i
	log_mark
	initiate && traffic_passes || return 1
	tamper
	[ "$(state)" = tampered ] || return 1
	vici dev --rekey --ike segw --reauth > /dev/null 2>&1
	for i in $(seq 100); do
		dev_logged "hnbtre: the TrE refused to sign" >/dev/null && break
		sleep 0.2
	done
	dev_logged "hnbtre: the TrE refused to sign with key [0-9]*: the TrE state is not trusted" &&
	sleep 1 && ! vici dev --list-sas | grep -q ESTABLISHED
}
check "tampered after the SA came up: reauthentication fails" tampered_reauth
failed_device() {
	echo 1 > $SFS/validate 2>/dev/null
	[ "$(state)" = failed ] && refused &&
	dev_logged "hnbtre: the TrE refused to sign" &&
	! segw_logged "hnbtre: attestation"
}
check "failed device: IKE_AUTH fails, the TrE refused to sign" failed_device
repaired() { repair && [ "$(state)" = trusted ] && attaches; }
check "repaired and re-validated: attaches again" repaired
check "the SeGW's charon ran through every case" charon_alive segw

tap_done
