#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Forged attestations over real IKE (issue 17, section 2): root on the
# device, while the gate is open, takes the TrE's genuine blob for the
# IKE_SA being set up (ike_attest_shim.so, mode filter, in the device's
# charon), claims another state, TIM, RIM or counter, re-signs the body
# with the device key through the routes keyctl offers (forge_lib.sh)
# and sends it as the attestation Notify.  The SeGW's plugin refuses each
# for its reason and its charon lives on; the genuine blob of the same SA
# through the same path is accepted.  TAP; run as root in a VM.
. "$(dirname "$0")/gate_lib.sh"
. "$(dirname "$0")/ike_lib.sh"
. "$(dirname "$0")/forge_lib.sh"
ike_init 12

: > "$WORK/shim.ctl"
FORGE_LIB=$(dirname "$(readlink -f "$0")")/forge_lib.sh

make_trusted && key=$(load_device_key) && expect_rim
setup() {
	[ "$(state)" = trusted ] && [ -n "$key" ] &&
	segw_with_plugin && ATTACKER=yes dev_with_plugin
}
check "trusted TrE, device key loaded, SeGW with the plugin, attacker in the device's charon" \
	setup

# The forger the shim runs in charon at each IKE_AUTH: this SA's genuine
# blob on stdin (kept as sa-genuine), the forgery (sa-forged, its body and
# signature beside it) on stdout.  forger FIELD CERT HOW: forge's.
printf '%s\n' '#!/bin/bash' ". '$FORGE_LIB'" \
	"cat > '$WORK/sa-genuine' &&" \
	"forge $key '$WORK/sa-genuine' \"\$1\" \"\$2\" \"\$3\" '$WORK/sa-forged' &&" \
	"cat '$WORK/sa-forged'" > "$WORK/forger"
chmod +x "$WORK/forger"

genuine_through_filter() {
	echo "filter tee $WORK/sa-through" > "$WORK/shim.ctl" && attaches &&
	[ -s "$WORK/sa-through" ] &&
	segw_logged "$(verdict verified valid require accept "$(tim)")"
}
check "control: this SA's genuine blob through the forger's path is accepted" \
	genuine_through_filter

# forged WHAT CERT HOW REASON: the forgery of this SA's blob (forger WHAT
# CERT HOW) is refused for REASON; the device key did sign it (only the
# verifier stands in the way), it differs from this SA's genuine blob, and
# the SeGW's charon lives on.
forged() {
	rm -f "$WORK/sa-forged"*
	echo "filter $WORK/forger $1 $2 $3" > "$WORK/shim.ctl" && refused &&
	segw_logged "$(verdict rejected "$4" require reject)" &&
	signed_by "$PKI/device.pem" "$WORK/sa-forged" &&
	! cmp -s "$WORK/sa-genuine" "$WORK/sa-forged" &&
	charon_alive segw
}
check "forged state (failed), pkey_sign: bad signature" \
	forged state - pkcs1 "bad signature"
check "forged TIM, pkey_sign: bad signature" \
	forged tim - pkcs1 "bad signature"
check "forged RIM, pkey_sign: bad signature" \
	forged rim - pkcs1 "bad signature"
check "forged counter, pkey_decrypt enc=raw (hand-made PKCS#1): bad signature" \
	forged counter - raw "bad signature"
check "forged TIM, raw RSA: bad signature" \
	forged tim - raw "bad signature"
check "the genuine claims re-signed by the device key: bad signature" \
	forged none - pkcs1 "bad signature"
bad_signer="not signed by an attestation key of the operator for this identity"
check "forged TIM, the device certificate as signer, pkey_sign: not an attestation key" \
	forged tim "$PKI/device.der" pkcs1 "$bad_signer"
check "forged state, the device certificate as signer, raw RSA: not an attestation key" \
	forged state "$PKI/device.der" raw "$bad_signer"
after_forgeries() {
	echo pass > "$WORK/shim.ctl" && attaches &&
	segw_logged "$(verdict verified valid require accept "$(tim)")"
}
check "after the forgeries the genuine attestation is accepted" after_forgeries
check "the SeGW's charon ran through every case" charon_alive segw

tap_done
