#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# reboot_floor.sh first|second: the anti-rollback floor in a TPM NV counter
# (rollback_nv_index=, Documentation/kernel.md "Anti-rollback") across a
# real reboot, in two boots of one VM with one TPM state, run by
# scripts/run-reboot-test.  Phase first (a fresh TPM): the counter
# defined, the module loaded with it, an update to version 3 validates
# trusted.  Phase second (the same TPM after the reboot): the module reads
# floor 3 at load; version 2 is refused before any manifest is active,
# version 3 loads trusted.  Phase first's TAP lines are kept in
# $HNBTRE_REBOOT_SHARE; phase second prints the one TAP stream of both.
. "$(dirname "$0")/lib.sh"
phase=${1:-}
FIRST_CHECKS=3
reboot_init "$phase" $FIRST_CHECKS 5

nv=0x1500021
status_floor() { sed -n 's/^floor //p' $SFS/status; }
make_components "$WORK/c" 2
# manifest V: a manifest of version V over the same components.
manifest() { signed_manifest "$WORK/m$1" "$1" "$WORK"/c/c* && echo "$WORK/m$1"; }
loads_trusted() { cat "$(manifest "$1")" > $SFS/manifest && [ "$(state)" = trusted ]; }
floor_is() { [ "$(status_floor)" = "$1" ] || { echo "floor $(status_floor), expected $1"; return 1; }; }

if [ "$phase" = first ]; then
	exec 3>&1 > >(tee "$HNBTRE_REBOOT_SHARE/floor-first.tap")
	tee_pid=$!
	check "a fresh TPM: counter defined, module loaded with rollback_nv_index, floor 1" \
		eval "tpm2_nvdefine $nv -C o -s 8 -a 'nt=counter|ownerread|ownerwrite|authread|authwrite' >/dev/null &&
		      fresh_module rollback_nv_index=$nv && floor_is 1"
	check "update to version 3: trusted" loads_trusted 3
	check "floor 3 in the status and in the TPM" \
		eval "floor_is 3 && [ \$(tpm2_nvread $nv -C $nv | xxd -p) = 0000000000000003 ]"
	# The results on the share before this boot ends.
	exec >&3
	wait $tee_pid
	tap_done
fi

# Phase second: first the results of phase first.
replay_first_boot "$HNBTRE_REBOOT_SHARE/floor-first.tap" $FIRST_CHECKS
check "after the reboot: the module loads with floor 3 from the TPM" \
	eval "fresh_module rollback_nv_index=$nv && floor_is 3"
check "version 2 refused (ESTALE) with no manifest active" \
	eval "expect_errno ESTALE $SFS/manifest < \$(manifest 2) && ! cat $SFS/manifest 2>/dev/null &&
	      [ \$(state) = unvalidated ]"
check "version 1 refused (ESTALE)" eval "expect_errno ESTALE $SFS/manifest < \$(manifest 1)"
check "version 3 loads trusted" loads_trusted 3
check "version 2 refused after version 3 too" \
	eval "expect_errno ESTALE $SFS/manifest < \$(manifest 2) && [ \$(state) = trusted ]"
unload_pinned
rm -rf "$WORK"
tap_done
