#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# reboot_replace.sh first|second: the image replacement of
# distress_replace_test.sh (TS 33.320 7.12.4, Documentation/distress.md)
# across a REAL reboot, in two boots of one VM disk and TPM state, run by
# scripts/run-reboot-test.  Phase first: an ext4 file system on the disk
# $HNBTRE_REBOOT_DISK holds the image, its install root, the distress
# function, the H(e)MS database and the work files; start-up trusted with
# image 1, a TR-069 session stores the RIM, a replacement is queued; a
# corrupted normal component -> failed -> the TrE starts the distress
# function ("reboot": true) -> REPLACE -> installed -> sync -> reboot(2),
# which ends the VM.  Phase second: the same disk; the results of phase
# first (kept on the disk) and the reboot's outcome, then secure start-up
# from the new slot -> trusted with the new RIM, and the next TR-069
# session renews the H(e)MS's stored RIM.  Phase second prints the one
# TAP stream of both.  Run as root in a VM; it formats the disk.
. "$(dirname "$0")/gate_lib.sh"
. "$(dirname "$0")/tr069_lib.sh"
phase=${1:-}
FIRST_CHECKS=4
checks=$(reboot_plan "$phase" $FIRST_CHECKS 7) || exit 2
tr069_init $checks
# Never format a disk nobody named.
[ -n "${HNBTRE_REBOOT_DISK:-}" ] ||
	skip_all $checks "needs HNBTRE_REBOOT_DISK (scripts/run-reboot-test)"

P=/persist
mkdir -p $P
if [ "$phase" = first ]; then
	mkfs.ext4 -q -F "$HNBTRE_REBOOT_DISK" && mount "$HNBTRE_REBOOT_DISK" $P &&
	mkdir $P/work || exit 1
	# The results also go to the disk: phase second replays them.
	exec > >(tee -a $P/first.tap)
else
	mount "$HNBTRE_REBOOT_DISK" $P
fi
rm -rf "$WORK"
WORK=$P/work
. "$(dirname "$0")/replace_lib.sh"

if [ "$phase" = first ]; then
	replace_net && replace_setup true && replace_hems || exit 1
	new_rim=$(replacement_rim)
	boot "MANIFEST=$WORK/m1"
	check "start-up with image 1: trusted" started_trusted
	check "TR-069 session: the H(e)MS stores the device's RIM" replace_first_session
	check "replace: the package queued with the platform RIM of its manifest" replace_queue
	echo tampered | rewrite_component "$WORK/c/c1"
	echo 1 > $SFS/validate
	check "normal component corrupted: failed, the TrE started the distress function" \
		replace_failed_started
	# The function fetches and installs the package, then reboots: this
	# VM ends here.  Still running after that long, the phase failed;
	# phase second sees its exit status.
	sleep 600
	echo "# no reboot within 600 s" >&2
	exit 1
fi

# Phase second: first the results of phase first from the disk.
replay_first_boot $P/first.tap $FIRST_CHECKS

new_rim=$(replacement_rim)
rebooted_installed() {
	mountpoint -q $P || { echo "the disk of the first boot did not mount"; return 1; }
	is "${HNBTRE_FIRST_STATUS:-}" 126 &&
	cmp "$WORK/img/bin/app" "$R/current/bin/app" &&
	is "$(sed -n 2p "$R/current/.hnbtre/manifest")" "version 2"
}
check "first boot ended by the distress function's reboot, the new image installed" \
	rebooted_installed
check "H(e)MS: the authentic indication was answered with the package, expected RIM set" \
	replace_answered

replace_net && replace_hems
boot "INSTALL_ROOT=$R"
check "after the reboot: start-up from the new slot ends trusted with the new RIM" \
	replace_rebooted
check "the device still needs maintenance until it reports" is "$(device status)" maintenance
check "next TR-069 session: the H(e)MS renews the stored RIM to the new one" replace_renewed
check "both sides hold the same RIM" is "$(col rim devices)" "$(cat $SFS/rim)"
check "show lists the replacement as sent" \
	is "$($HEMS_CLI --json show "$id" | jq -r '.replacements[-1].state')" sent
tap_done
