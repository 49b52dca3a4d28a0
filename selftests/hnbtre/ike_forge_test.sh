#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Forged attestations over real IKE (issue 17, section 2): root on the
# device, while the gate is open, takes the TrE's genuine blob for the
# IKE_SA being set up (attest_shim.so, mode filter, in the device's
# charon), claims another state, TIM, RIM or counter, re-signs the body
# with the device key through the routes keyctl offers (forge_lib.sh)
# and sends it as the attestation Notify.  The SeGW's plugin refuses each
# for its reason and its charon lives on; the genuine blob of the same SA
# through the same path is accepted.  TAP; run as root in a VM.
. "$(dirname "$0")/gate_lib.sh"
. "$(dirname "$0")/ike_lib.sh"
. "$(dirname "$0")/forge_lib.sh"
ike_init $((4 + FORGERIES))

: > "$WORK/shim.ctl"

make_trusted && key=$(load_device_key) && expect_rim
setup() {
	[ "$(state)" = trusted ] && [ -n "$key" ] &&
	segw_with_plugin && ATTACKER=yes dev_with_plugin
}
check "trusted TrE, device key loaded, SeGW with the plugin, attacker in the device's charon" \
	setup

# The forger the shim runs in charon at each IKE_AUTH, on this SA's
# genuine blob.
forger_script "$WORK/forger" "$key"

genuine_through_filter() {
	echo "filter tee $WORK/sa-through" > "$WORK/shim.ctl" && attaches &&
	[ -s "$WORK/sa-through" ] &&
	segw_logged "$(verdict verified valid require accept "$(tim)")"
}
check "control: this SA's genuine blob through the forger's path is accepted" \
	genuine_through_filter

# forged WHAT CERT HOW REASON: the forgery of this SA's blob (forger WHAT
# CERT HOW) is refused for REASON; the device key did sign it (only the
# verifier stands in the way), it differs from this SA's genuine blob, no
# TIM of it is logged (a forger's claim is not the device's), and
# the SeGW's charon lives on.
forged() {
	rm -f "$WORK/forged"*
	echo "filter $WORK/forger $1 $2 $3" > "$WORK/shim.ctl" && refused &&
	segw_logged "$(verdict rejected "$4" require reject -)" &&
	signed_by "$PKI/device.pem" "$WORK/forged" &&
	! cmp -s "$WORK/genuine" "$WORK/forged" &&
	charon_alive segw
}
check_forgeries
after_forgeries() {
	echo pass > "$WORK/shim.ctl" && attaches &&
	segw_logged "$(verdict verified valid require accept "$(tim)")"
}
check "after the forgeries the genuine attestation is accepted" after_forgeries
check "the SeGW's charon ran through every case" charon_alive segw

tap_done
