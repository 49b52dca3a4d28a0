#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Forged attestations over real TR-069 (issue 17, section 2): root on the
# device, while the gate is open, runs the agent with attest_shim.so (mode
# filter).  The TrE's genuine session attestation for the Inform is
# re-signed by the device key through keyctl (forge_lib.sh) with another
# state, TIM, RIM or counter, and goes to the H(e)MS inside the mutual-TLS
# session that the same device key authenticates (libhnbtre's TLS key
# reaches the key through the same two keyctl operations).  The H(e)MS
# refuses each for its reason (HTTP 403, fault 8001, audited) and records
# none of the forger's claims; the genuine blob through the same path is
# accepted.  TAP; run as root in a VM.
. "$(dirname "$0")/gate_lib.sh"
. "$(dirname "$0")/tr069_lib.sh"
. "$(dirname "$0")/forge_lib.sh"
tr069_init $((3 + FORGERIES))
[ -f "$ATTEST_SHIM" ] || skip_all $((3 + FORGERIES)) "needs attest_shim.so"
tr069_setup || exit 1

key=$(keyctl search %:.hnbtre_device asymmetric hnbtre:device)
# The forger the shim runs in the agent at each attestation, on this
# session's genuine blob.
forger_script "$WORK/forger" "$key"

# attacker_session: one session of the agent with the shim preloaded,
# doing what $WORK/shim.ctl says.
attacker_session() {
	LD_PRELOAD=$ATTEST_SHIM ATTEST_SHIM_CTL=$WORK/shim.ctl cwmpd $URL
}
last_attestation() {
	db "SELECT verdict || '|' || coalesce(state, '') || '|' || coalesce(tim, '') || '|' ||
	    coalesce(rim, '') || '|' || coalesce(counter, '') FROM attestations ORDER BY id DESC LIMIT 1"
}

check "trusted TrE, device key loaded, H(e)MS with the operator's release" \
	eval '[ "$(state)" = trusted ] && [ -n "$key" ] && hems_start'

# genuine_through_filter: the session's genuine blob through the same
# preload and filter is accepted, the TrE's claims recorded.
genuine_through_filter() {
	: > "$WORK/hems.log"
	echo "filter tee $WORK/through" > "$WORK/shim.ctl" && attacker_session &&
	cwmpd_said "Inform delivered" && [ -s "$WORK/through" ] &&
	grep -q "attestation of $IDENTITY (Inform): valid" "$WORK/hems.log" &&
	[[ "$(last_attestation)" =~ ^"valid|trusted|$(cat $SFS/tim)|$(cat $SFS/rim)|"[0-9]+$ ]] ||
	{ cat "$WORK/cwmpd.out" "$WORK/hems.log"; last_attestation; return 1; }
}
check "control: the session's genuine blob through the forger's path is accepted" \
	genuine_through_filter

# forged WHAT CERT HOW REASON: the forgery of this session's blob (forger
# WHAT CERT HOW) is refused for REASON: the agent hears it (fault 8001),
# the H(e)MS logs and audits it and records the verdict with none of the
# forgery's claims; the device key did sign it (only the verifier stands
# in the way), and it differs from the session's genuine blob.
forged() {
	: > "$WORK/hems.log"
	rm -f "$WORK/forged"*
	echo "filter $WORK/forger $1 $2 $3" > "$WORK/shim.ctl" && ! attacker_session &&
	cwmpd_said "the ACS refused (HTTP 403, fault 8001): attestation (Inform): $4" &&
	grep -qF "attestation of $IDENTITY (Inform): $4" "$WORK/hems.log" &&
	[ "$(last_attestation)" = "$4||||" ] &&
	hems_cli audit | grep "hnbtre-hems.*$IDENTITY.*refused" |
		grep -qF "attestation (Inform): $4" &&
	signed_by "$PKI/device.pem" "$WORK/forged" &&
	! cmp -s "$WORK/genuine" "$WORK/forged" ||
	{ cat "$WORK/cwmpd.out" "$WORK/hems.log"; last_attestation; hems_cli audit | tail -n 2
	  return 1; }
}
check_forgeries

after_forgeries() {
	: > "$WORK/hems.log"
	echo pass > "$WORK/shim.ctl" && attacker_session &&
	grep -q "attestation of $IDENTITY (Inform): valid" "$WORK/hems.log" ||
	{ cat "$WORK/cwmpd.out" "$WORK/hems.log"; return 1; }
}
check "after the forgeries the genuine attestation is accepted" after_forgeries
tap_done
