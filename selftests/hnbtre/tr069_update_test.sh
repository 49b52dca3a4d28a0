#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The verified software update of TS 33.320 8.3.2.2 and TR 33.820 Annex A end to end (the bench is
# tr069_lib.sh; Documentation/tr069.md, "Software update"): the H(e)MS
# computes the expected platform RIM from a real signed package, checks a
# fresh attestation before it sends Download, the TrE verifies and
# installs, re-validates and self-checks, TransferComplete and the Inform
# with 7 TRANSFER COMPLETE follow, and the H(e)MS renews the stored RIM.
# Then each failure path, the agent killed during the download and
# during the install, the activation of the installed code (restart or
# reboot) before TransferComplete, and the agent killed at each step of it.
. "$(dirname "$0")/gate_lib.sh"
. "$(dirname "$0")/tr069_lib.sh"
tr069_init 10

# Nothing this test starts may outlive it: the kselftest runner's log
# descriptor is inherited, and a holder keeps the VM's output open.  Its
# processes carry this variable; those still running at the end are
# reported and stopped.
export TR069_UPDATE_TEST=$$
leftovers() {
	local env pid ppid found=0
	for env in /proc/[0-9]*/environ; do
		pid=${env#/proc/}
		pid=${pid%%/*}
		ppid=$(cut -d' ' -f4 "/proc/$pid/stat" 2>/dev/null)
		[ "$pid" != $$ ] && [ "$pid" != "$BASHPID" ] && [ "$ppid" != $$ ] &&
		[ "$ppid" != "$BASHPID" ] &&
		grep -qz "^TR069_UPDATE_TEST=$$\$" "$env" 2>/dev/null || continue
		echo "# still running: $pid $(tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null)"
		kill -KILL "$pid" 2>/dev/null
		found=1
	done
	return $found
}
trap 'pkg_server_stop; teardown; leftovers' EXIT
tr069_setup || exit 1

# verified N: update N was verified: the device runs manifest N + 1 with
# the TIM the H(e)MS expected, which is now the stored RIM.
verified() {
	local want_rim
	want_rim=$(platform_rim "$1")
	[ "$(state)" = trusted ] && [ "$(cat $SFS/tim)" = "$want_rim" ] &&
	[ "$(sed -n 2p $SFS/manifest)" = "version $(($1 + 1))" ] &&
	[ "$(update_row "state || ' ' || fault || ' ' || self_check || ' ' || reported_tim")" = \
	  "verified 0 Passed $want_rim" ] &&
	[ "$(db "SELECT rim || ' ' || manifest_version || ' ' || status || ' ' ||
		  coalesce(expected_rim, '-') FROM devices")" = "$want_rim $(($1 + 1)) ok -" ]
}

# 1. TS 33.320 8.3.2.2 and TR 33.820 Annex A: update -> PVE -> Download -> TrE-verified install ->
# re-validation and self-check -> TransferComplete -> Inform with
# 7 TRANSFER COMPLETE and M Download -> fresh attestation -> RIM renewed.
full_flow() {
	local out rim patch
	release 1 && hems_start && cwmpd $URL &&
	out=$(hems_cli update "$IDENTITY" "$WORK/release1.pkg") || { show_all; return 1; }
	echo "# $out"
	rim=$(platform_rim 1)
	patch=$(patch_rim 1)
	[ "$rim" != "$patch" ] && [ "$rim" != "$(cat $SFS/tim)" ] &&
	[ "$(update_row "state || ' ' || package_version || ' ' || manifest_version || ' ' ||
			 expected_rim || ' ' || patch_rim")" = "requested 1 2 $rim $patch" ] &&
	cwmpd $URL && cwmpd_said "request Download" && cwmpd_said "self-check: passed" &&
	cwmpd_said "TransferComplete delivered" && verified 1 &&
	cmp "$WORK/v1/bin/data" "$live/bin/data" &&
	[ "$(db "SELECT count(*) FROM events WHERE code = '7 TRANSFER COMPLETE'")" = 1 ] &&
	[ "$(db "SELECT count(*) FROM events WHERE code = 'M Download' AND command_key = '1'")" = 1 ] &&
	[ "$(db "SELECT last_tim FROM devices")" = "$rim" ] &&
	[ "$(last_verdict)" = valid ] &&
	hems_cli --json show "$IDENTITY" > "$WORK/show.json" &&
	jq -e --arg rim "$rim" '.updates[0].state == "verified" and
		.updates[0].expected_rim == $rim and .device.rim == $rim' \
		"$WORK/show.json" > /dev/null &&
	jq -e '.transfers == [] and .events == [] and .settings.self_check == "Passed"' \
		"$WORK/cwmpd/state.json" > /dev/null || { show_all; return 1; }
}
check "TS 33.320 8.3.2.2 and TR 33.820 Annex A flow: PVE, Download, install, self-check, TransferComplete, RIM renewed" full_flow

# 2. PVE fails (the device's TIM differs from the stored RIM): no
# Download, the device is marked for maintenance, the update stays
# requested; the device is refused and its log says why.
pve_fails() {
	release 2 && hems_cli update "$IDENTITY" "$WORK/release2.pkg" > /dev/null &&
	db "UPDATE devices SET rim = 'sha256:$(printf '%064d' 0)'" &&
	! cwmpd $URL && ! cwmpd_said "request Download" > /dev/null &&
	cwmpd_said "the ACS refused (HTTP 403, fault 8001): attestation (GetParameterValues): TIM differs from the expected RIM; the device is marked for maintenance" &&
	[ "$(last_verdict)" = "TIM differs from the expected RIM" ] &&
	[ "$(db "SELECT status FROM devices")" = maintenance ] &&
	[ "$(update_row state)" = requested ] &&
	[ "$(sed -n 2p $SFS/manifest)" = "version 2" ] || { show_all; return 1; }
}
check "PVE fails before the update: no Download, device marked for maintenance, refused with the reason" pve_fails

# 3. The TIM after the update is not what the H(e)MS expects (its
# expected value is not the package's): installed, TransferComplete 0,
# then the fresh attestation shows the mismatch: the device is marked,
# the stored RIM is not renewed, and the measure "reboot" reboots it.
tim_mismatch() {
	local old_rim
	old_rim=$(cat $SFS/tim)
	db "UPDATE devices SET rim = '$old_rim', status = 'ok';
	    UPDATE updates SET expected_rim = 'sha256:$(printf '%064d' 7)' WHERE state = 'requested'" &&
	hems_start --on-mismatch reboot &&
	cwmpd $URL --reboot-cmd "touch $WORK/rebooted" && cwmpd_said "request Download" &&
	cwmpd_said "self-check: passed" && cwmpd_said "request Reboot" && [ -e "$WORK/rebooted" ] &&
	grep -q "Reboot sent to $IDENTITY" "$WORK/hems.log" &&
	[ "$(cat $SFS/tim)" = "$(platform_rim 2)" ] &&
	[ "$(update_row "state || ' ' || fault || ' ' || reported_tim")" = \
	  "mismatch 0 $(cat $SFS/tim)" ] &&
	[ "$(db "SELECT status || ' ' || rim FROM devices")" = "maintenance $old_rim" ] &&
	grep -q "TIM after the update is $(cat $SFS/tim), not the expected RIM" "$WORK/hems.log" ||
	{ show_all; return 1; }
}
check "TIM after the update != expected RIM: device marked, RIM not renewed, Reboot" tim_mismatch

# The operator has looked at the device: its RIM is what it runs.
accept_device() {
	db "UPDATE devices SET rim = '$(cat $SFS/tim)', status = 'ok', expected_rim = NULL,
	    expected_state = NULL"
}

# pkg_server_start FILE ID: openssl s_server -WWW serving FILE as
# /package/ID on port 7548 (a FIFO makes a download that stalls).
pkg_server_start() {
	mkdir -p "$WORK/www/package" && rm -f "$WORK/www/package/$2" || return 1
	if [ "$1" = fifo ]; then
		mkfifo "$WORK/www/package/$2"
	else
		cp "$1" "$WORK/www/package/$2"
	fi || return 1
	# alone after the &: $! is then s_server itself
	(cd "$WORK/www" && exec ip netns exec hnb-hems openssl s_server -quiet \
		-accept $HEMS_ADDR:7548 -cert "$PKI/hems.pem" -key "$PKI/hems.key" -WWW \
		>> "$WORK/pkg_server.log" 2>&1) &
	echo $! > "$WORK/pkg_server.pid"
	wait_port 7548
}
pkg_server_stop() { stop_pid_file "$WORK/pkg_server.pid"; }


# 4. Killed during the download (the package server stalls after 32 KiB):
# the restarted agent discards the partial file, downloads again,
# installs, and the TransferComplete reaches the H(e)MS.
killed_downloading() {
	local id writer agent
	accept_device && release 3 &&
	hems_start --public-url https://hems.hnbtre.test:7548 &&
	hems_cli update "$IDENTITY" "$WORK/release3.pkg" > /dev/null &&
	id=$(update_row id) && pkg_server_start fifo "$id" || return 1
	(head -c 32768 "$WORK/release3.pkg"; exec sleep 60) > "$WORK/www/package/$id" &
	writer=$!
	cwmpd $URL > /dev/null 2>&1 &
	agent=$!
	wait_for bash -c "[ \$(stat -c %s '$WORK/cwmpd/download.pkg' 2>/dev/null || echo 0) -ge 4096 ]" &&
	jq -e '.transfers[0].phase == "download"' "$WORK/cwmpd/state.json" > /dev/null
	local stalled=$?
	kill -KILL "$(cat "$WORK/cwmpd.pid")"
	wait $agent
	kill $writer
	pkg_server_stop
	[ $stalled = 0 ] || { echo "# the download did not stall"; show_all; return 1; }
	[ "$(update_row state)" = sent ] &&
	pkg_server_start "$WORK/release3.pkg" "$id" &&
	cwmpd $URL && cwmpd_said "discarding the interrupted download" &&
	cwmpd_said "TransferComplete delivered" && verified 3 || { show_all; return 1; }
	pkg_server_stop
}
check "agent killed during the download: restarted, TransferComplete delivered, RIM renewed" \
	killed_downloading

# 5. Killed during the install (HNBTRE_PKG_FAULT=3: while the payload is
# written to the staging slot): the package stays, the restarted agent
# recovers and installs it again, and the TransferComplete follows.
killed_installing() {
	release 4 && hems_start && hems_cli update "$IDENTITY" "$WORK/release4.pkg" > /dev/null &&
	! HNBTRE_PKG_FAULT=3 cwmpd $URL &&
	jq -e '.transfers[0].state == "pending" and .transfers[0].phase == "install"' \
		"$WORK/cwmpd/state.json" > /dev/null &&
	[ -s "$WORK/cwmpd/download.pkg" ] && [ "$(sed -n 2p $SFS/manifest)" = "version 4" ] &&
	cwmpd $URL && cwmpd_said "resuming the interrupted install" &&
	cwmpd_said "TransferComplete delivered" && verified 4 &&
	[ ! -e "$WORK/root/slots/.staging" ] && [ ! -e "$WORK/cwmpd/download.pkg" ] ||
	{ show_all; cat "$WORK/cwmpd/state.json"; return 1; }
}
check "agent killed during the install: install recovered, TransferComplete delivered" \
	killed_installing

# 6. The update history at the H(e)MS, readable and as JSON.
history() {
	hems_cli show "$IDENTITY" > "$WORK/show.txt" &&
	[ "$(grep -c '^  id=.* state=verified ' "$WORK/show.txt")" = 3 ] &&
	grep -q '^  id=2 .* state=mismatch ' "$WORK/show.txt" &&
	hems_cli --json show "$IDENTITY" |
		jq -e '[.updates[].state] == ["verified", "mismatch", "verified", "verified"]' \
		> /dev/null || { cat "$WORK/show.txt"; return 1; }
}
check "hnbtre-hems show: the update history (3 verified, 1 mismatch)" history

# Activation (tr069.md): the installed code runs before TransferComplete.
# agent N [OPTIONS]: the agent with a restart command that counts, its
# boot id from $WORK/boot_id.
restarts() { grep -c . "$WORK/restarts" 2>/dev/null || echo 0; }
agent() {
	cwmpd $URL --restart-cmd "echo restarted >> $WORK/restarts" \
		--boot-id-file "$WORK/boot_id" --reboot-cmd "echo rebooted >> $WORK/reboots" "$@"
}
said_before() {	# said_before FIRST SECOND: both logged, in that order
	awk -v a="$1" -v b="$2" 'index($0, a) && !x { x = NR } index($0, b) { y = NR }
		END { exit !(x && y && x < y) }' "$WORK/cwmpd.out" || { cat "$WORK/cwmpd.out"; return 1; }
}
echo boot-1 > "$WORK/boot_id"

# 7. Without the Reboot command: --restart-cmd runs, then TransferComplete.
restarted() {
	release 5 && hems_start && hems_cli update "$IDENTITY" "$WORK/release5.pkg" > /dev/null &&
	agent && [ "$(restarts)" = 1 ] &&
	said_before "restart: echo restarted" "TransferComplete delivered" && verified 5 ||
	{ show_all; return 1; }
}
check "installed without Reboot: the services restarted, then TransferComplete" restarted

# 8. With the Annex E Reboot command: reboot, no TransferComplete before
# it; after the reboot (another boot id) TransferComplete from the
# persisted state.
rebooted() {
	release 6 --reboot && hems_cli update "$IDENTITY" "$WORK/release6.pkg" > /dev/null &&
	agent && cwmpd_said "reboot: the installed code runs after it" &&
	[ "$(grep -c . "$WORK/reboots")" = 1 ] && [ "$(update_row state)" = sent ] &&
	jq -e '.transfers[0].activate == "reboot"' "$WORK/cwmpd/state.json" > /dev/null &&
	echo boot-2 > "$WORK/boot_id" && agent && [ "$(grep -c . "$WORK/reboots")" = 1 ] &&
	cwmpd_said "the installed code runs (reboot)" && cwmpd_said "TransferComplete delivered" &&
	verified 6 && [ "$(restarts)" = 1 ] || { show_all; cat "$WORK/cwmpd/state.json"; return 1; }
}
check "installed with Reboot: rebooted, TransferComplete only after the reboot" rebooted

# 9. Killed at each step after the install (HNBTRE_CWMPD_FAULT): after the
# result, before the restart, after it, after sending TransferComplete;
# and before the reboot.  The next agent restarts (or reboots) once and
# the TransferComplete reaches the H(e)MS.
killed_activating() {
	local n=7 step before want_restarts
	for step in installed activate restarted transfer-complete reboot-activate; do
		before=$(restarts)
		if [ $step = reboot-activate ]; then
			release $n --reboot && hems_cli update "$IDENTITY" "$WORK/release$n.pkg" > /dev/null &&
			! HNBTRE_CWMPD_FAULT=activate agent && [ "$(update_row state)" = sent ] &&
			agent && [ "$(grep -c . "$WORK/reboots")" = 2 ] && [ "$(update_row state)" = sent ] &&
			echo boot-3 > "$WORK/boot_id" && agent || { echo "# step $step"; show_all; return 1; }
			want_restarts=$before
		else
			release $n && hems_cli update "$IDENTITY" "$WORK/release$n.pkg" > /dev/null &&
			! HNBTRE_CWMPD_FAULT=$step agent && agent ||
			{ echo "# step $step"; show_all; return 1; }
			want_restarts=$((before + 1))
		fi
		cwmpd_said "TransferComplete delivered" && verified $n &&
		[ "$(restarts)" = "$want_restarts" ] &&
		jq -e '.transfers == []' "$WORK/cwmpd/state.json" > /dev/null ||
		{ echo "# step $step: restarts $(restarts), not $want_restarts"; show_all; return 1; }
		echo "# killed at $step: TransferComplete delivered, restarts $(restarts)"
		n=$((n + 1))
	done
}
check "agent killed at each step of the activation: restarted or rebooted once, TransferComplete delivered" \
	killed_activating

# 10. The servers stopped, nothing the test started is still running.
stopped() { pkg_server_stop; hems_stop; leftovers; }
check "no process of the test left running (package server, H(e)MS, agents)" stopped
tap_done
