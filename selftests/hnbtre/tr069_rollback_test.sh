#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# A failed update (TR 33.820 Annex A step 7', issue 19): the TrE takes
# back exactly the manifest a failed one replaced and nothing else
# (kernel.md, "Anti-rollback"); the agent's policy rolls back to the
# previous slot and reports the fault in TransferComplete, or stays
# isolated for repair (tr069.md, "A failed update: roll back or isolate").
. "$(dirname "$0")/gate_lib.sh"
. "$(dirname "$0")/tr069_lib.sh"
tr069_init 6
tr069_setup || exit 1

zeros=$(printf '%064d' 0)
version() { sed -n 2p $SFS/manifest; }

# manifest_v VERSION OUT [SED]: the components c1 and c2 in a manifest of
# VERSION, its body edited by SED, signed.
manifest_v() {
	"$HNBTRE" manifest build --version "$1" "$WORK"/c/c* | sed "${3:-}" > "$2.body" &&
	"$HNBTRE" manifest sign --key "$PKI/signer.key" --cert "$PKI/signer.pem" \
		"$2.body" "$2"
}

# 1. The attack as root: go back below the active manifest.  Refused,
# except to exactly the manifest that a manifest which never validated
# trusted replaced; audited as such.
tre_takes_back_only_the_previous() {
	local before
	manifest_v 2 "$WORK/m2bad" "\$s/sha256:[0-9a-f]*/sha256:$zeros/" &&
	manifest_v 1 "$WORK/m1other" '$d' && manifest_v 2 "$WORK/m2" || return 1
	expect_errno OK $SFS/manifest < "$WORK/m2bad" && [ "$(state)" = failed ] || return 1
	expect_errno ESTALE $SFS/manifest < "$WORK/m1other" &&
	[ "$(state)" = failed ] && [ "$(version)" = "version 2" ] || return 1
	before=$(klog_mark)
	expect_errno OK $SFS/manifest < "$WORK/m" && [ "$(state)" = trusted ] &&
	[ "$(version)" = "version 1" ] &&
	klog_since "$before" | grep -q 'state failed -> trusted (manifest-rollback)' ||
	{ dmesg | tail -5; return 1; }
	# a manifest that validated trusted cannot be left for an older one
	expect_errno OK $SFS/manifest < "$WORK/m2" && [ "$(state)" = trusted ] &&
	expect_errno ESTALE $SFS/manifest < "$WORK/m" && [ "$(version)" = "version 2" ] &&
	[ "$(state)" = trusted ]
}
check "the TrE takes back only the manifest a never-trusted one replaced; none after a trusted validation" \
	tre_takes_back_only_the_previous

# The device runs release 2 (manifest version 3) from the install root,
# installed before the H(e)MS first sees it; the operator registered
# that release, so its first attestation is that release's.
base_release() {
	release 2 && "$HNBTRE" pkg install --root "$WORK/root" --roots "$PKI/root.pem" \
		"$WORK/release2.pkg" > /dev/null && [ "$(state)" = trusted ] &&
	[ "$(version)" = "version 3" ] && [ "$(readlink "$WORK/root/current")" = slots/g1 ] &&
	hems_cli release "$WORK/release2.pkg" > /dev/null 2>&1 &&
	hems_start && cwmpd $URL && [ "$(last_verdict)" = valid ]
}

# back_on_release2: what a rollback leaves: slot g1, manifest version 3,
# trusted, its TIM.
back_on_release2() {
	[ "$(readlink "$WORK/root/current")" = slots/g1 ] && [ "$(version)" = "version 3" ] &&
	[ "$(state)" = trusted ] && [ "$(cat $SFS/tim)" = "$(platform_rim 2)" ] &&
	cmp "$WORK/v2/bin/app" "$live/bin/app"
}

# 2. The default policy: release 3's manifest names a component the
# device does not have, so the TrE's re-validation fails; the agent
# switches back, the TrE takes the previous manifest, re-validates
# (trusted), and TransferComplete carries the fault.
rolled_back() {
	base_release && RELEASE_EXTRA="$WORK/c/absent sha256:$zeros normal" release 3 &&
	hems_cli update "$IDENTITY" "$WORK/release3.pkg" > /dev/null &&
	cwmpd $URL && cwmpd_said "request Download" &&
	cwmpd_said "re-validation against the new manifest: failed" &&
	cwmpd_said "rolled back to version 2" && cwmpd_said "TransferComplete delivered" &&
	back_on_release2 &&
	[ "$(update_row "state || ' ' || fault")" = "failed 9002" ] &&
	update_row fault_string | grep -q "rolled back" ||
	{ show_all; return 1; }
}
check "failed re-validation, default policy: rolled back, re-validated trusted, TransferComplete 9002" \
	rolled_back

# 3. The TrE refuses the new manifest itself (signed by a signer it does
# not admit): the agent switches back and the TrE re-validates, so the
# switch's tamper ends trusted and the fault is reported.
manifest_refused() {
	RELEASE_SIGNER=evil-signer release 4 &&
	hems_cli update "$IDENTITY" "$WORK/release4.pkg" > /dev/null &&
	cwmpd $URL && cwmpd_said "the TrE refused the manifest" &&
	cwmpd_said "TransferComplete delivered" && back_on_release2 &&
	[ "$(update_row "state || ' ' || fault")" = "failed 9019" ] || { show_all; return 1; }
}
check "the TrE refuses the new manifest: switched back, re-validated trusted, TransferComplete 9019" \
	manifest_refused

# 4. --policy isolate: the device stays on the failed update, isolated
# for repair: the TrE says failed, the device key is closed, so no
# TransferComplete reaches the H(e)MS (repair through the distress function).
isolated() {
	RELEASE_EXTRA="$WORK/c/absent sha256:$zeros normal" release 5 &&
	hems_cli update "$IDENTITY" "$WORK/release5.pkg" > /dev/null &&
	! cwmpd $URL --policy isolate &&
	cwmpd_said "re-validation against the new manifest: failed" &&
	cwmpd_said "left for repair (--policy isolate)" && [ "$(state)" = failed ] &&
	[ "$(version)" = "version 6" ] && [ "$(readlink "$WORK/root/current")" != slots/g1 ] &&
	[ "$(update_row state)" = sent ] &&
	jq -e '.transfers[0].state == "done" and .transfers[0].fault == 9002' \
		"$WORK/cwmpd/state.json" > /dev/null || { show_all; return 1; }
}
check "failed re-validation, --policy isolate: stays failed on the new slot, no TransferComplete" isolated

# 5. A policy that is neither: a usage error, nothing happens.
bad_policy() {
	cwmpd $URL --policy maybe
	[ $? = 2 ] && cwmpd_said "--policy"
}
check "--policy other than rollback or isolate: usage error (exit 2)" bad_policy

stopped() { hems_stop; ! pgrep -f "$CWMPD" > /dev/null; }
check "the H(e)MS stopped, no agent left running" stopped
tap_done
