#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Replacement of the normal code image from the reference H(e)MS (TS
# 33.320 7.12.4, Documentation/distress.md): a normal component corrupted
# -> failed -> the TrE starts the distress function -> PSK indication over
# TLS to hnbtre-hems -> REPLACE with the queued signed package ->
# installed, TrE-verified -> "reboot" (a fresh module load and the boot
# script policy/init/hnbtre-start) -> trusted with the new RIM, which the
# H(e)MS renews at the device's next TR-069 session.  Forged indications
# get no package; a failed TrE attempts no replacement.  Run as root in a
# VM.  The device is the root network namespace (the TrE's usermode helper
# runs there), the H(e)MS is in hnb-hems behind a veth pair.
. "$(dirname "$0")/gate_lib.sh"
. "$(dirname "$0")/tr069_lib.sh"
tr069_init 22

. "$(dirname "$0")/replace_lib.sh"
[ -d $SFS ] && unload_pinned
replace_net || exit 1
# No reboot: the test does what it leads to (reboot_device).
replace_setup false || exit 1
new_rim=$(replacement_rim)

# reboot: what the distress function's reboot leads to, without one: the
# module and its keys gone, then start-up again.
reboot_device() {
	unload_with_keys > /dev/null 2>&1
	boot "INSTALL_ROOT=$R"
}
# until_true SECONDS COMMAND...: poll (TCG is slow).
until_true() {
	local i n=$(($1 * 5))
	shift
	for i in $(seq $n); do
		"$@" > /dev/null 2>&1 && return 0
		sleep 0.2
	done
	"$@"
}

replace_hems || exit 1
boot "MANIFEST=$WORK/m1"
check "start-up with image 1: trusted" started_trusted
check "TR-069 session: the H(e)MS stores the device's RIM" replace_first_session
check "replace: the package queued with the platform RIM of its manifest" replace_queue

# Forged indications (unauthenticated, or a PSK tag that does not verify)
# over plain TCP: recorded, but never answered with the package.
forged() {	# forged AUTH TAG_LEN SEQUENCE ANSWER
	local msg
	msg="{\"format\":\"hnbtre-distress-1\",\"identity\":\"$id\",\"sequence\":$3,\"time\":$(date +%s),\"state\":\"failed\",\"failed\":[]}"
	is "$({ printf 'HNBTRE-DISTRESS 1 %s %d %d\n%s' "$1" ${#msg} "$2" "$msg"
		head -c "$2" /dev/zero; } |
		ip netns exec hnb-hems busybox nc $HEMS_ADDR $TCP_PORT)" "$4" &&
	is "$(col state replacements)" requested
}
check "unauthenticated indication: recorded as such, no package" \
	forged none 0 1 "ACCEPTED recorded as unauthenticated"
check "indication with a wrong PSK tag: rejected, no package" \
	forged psk 32 2 "REJECTED not authentic"

echo tampered | rewrite_component "$WORK/c/c1"
echo 1 > $SFS/validate
check "normal component corrupted: failed, the TrE started the distress function" \
	replace_failed_started
sent() { is "$(col state replacements)" sent; }
check "H(e)MS: authentic indication answered with the package (REPLACE)" until_true 60 sent
check "H(e)MS: recorded with the indication it answers, expected RIM set" replace_answered
installed() { is "$(cat $SFS/state)" trusted && cmp "$WORK/img/bin/app" "$R/current/bin/app"; }
replaced() {
	until_true 60 installed && is "$(cat $SFS/rim)" "$new_rim" &&
	is "$(sed -n 2p $SFS/manifest)" "version 2"
}
check "device: installed, TrE-verified and re-validated: trusted with the new RIM" replaced

reboot_device
check "after the reboot: start-up from the new slot ends trusted" replace_rebooted
check "the device still needs maintenance until it reports" is "$(device status)" maintenance
check "next TR-069 session: the H(e)MS renews the stored RIM to the new one" replace_renewed
check "both sides hold the same RIM" is "$(col rim devices)" "$(cat $SFS/rim)"
check "show lists the replacement as sent" \
	is "$($HEMS_CLI --json show "$id" | jq -r '.replacements[-1].state')" sent

# Repair mode of the TR-069 agent (tr069.md): the image corrupted again;
# the function the TrE starts finds nothing queued.  Then a replacement is
# queued, and the agent, seeing failed, runs no session but the distress
# function, which fetches the package, has the TrE verify it, installs it
# and re-validates; trusted again, the agent has its session.
authentic() { sqlite3 "$WORK/hems.db" "SELECT count(*) FROM distress WHERE authenticated = 1"; }
# Polled: the count is read at each try.
authentic_is() { is "$(authentic)" "$1"; }
echo corrupted | rewrite_component "$R/current/bin/app"
echo 1 > $SFS/validate
reported() { is "$(cat $SFS/state)" failed && until_true 60 authentic_is 2; }
check "image corrupted again: failed, indication recorded, nothing to replace" reported
repair_session() {
	! pgrep -x hnbtre-distress > /dev/null && sleep 1 &&
	$HEMS_CLI replace "$id" "$WORK/img.pkg" > /dev/null &&
	"$CWMPD" --acs "$URL" --cert "$PKI/device.pem" --ca "$PKI/root.pem" \
		--state-dir "$WORK/cwmpd" --repair-cmd "$D/hnbtre-distress" --once \
		> "$WORK/cwmpd.out" 2>&1
	grep -q "repair mode: the TrE says failed; no session, only repair" "$WORK/cwmpd.out" &&
	grep -q "repair mode: the TrE says trusted" "$WORK/cwmpd.out" &&
	cmp "$WORK/img/bin/app" "$R/current/bin/app" || { cat "$WORK/cwmpd.out"; return 1; }
}
check "agent in repair mode: only the distress function runs, the image is replaced" repair_session
check "then the agent's session: the H(e)MS verifies the attestation, RIM kept" \
	eval 'is "$(col verdict attestations)" valid && is "$(col rim devices)" "$new_rim" &&
	      is "$(col status devices)" ok && grep -q "Inform delivered" "$WORK/cwmpd.out"'
no_repair() {
	echo corrupted | rewrite_component "$R/current/bin/app" && echo 1 > $SFS/validate &&
	until_true 60 authentic_is 4 && sleep 1 &&
	! "$CWMPD" --acs "$URL" --cert "$PKI/device.pem" --ca "$PKI/root.pem" \
		--state-dir "$WORK/cwmpd" --repair-cmd "$D/hnbtre-distress" --once \
		> "$WORK/cwmpd.out" 2>&1 &&
	grep -q "repair mode: the TrE says failed$" "$WORK/cwmpd.out" &&
	! grep -q "Inform delivered" "$WORK/cwmpd.out" || { cat "$WORK/cwmpd.out"; return 1; }
}
check "repair mode with nothing queued: still failed, no session" no_repair
# Repaired by hand, so that the TrE's own failure below is a transition.
rewrite_component "$R/current/bin/app" < "$WORK/img/bin/app"
echo 1 > $SFS/validate

# The TrE's own failure: the function reports nothing, no replacement.
$HEMS_CLI replace "$id" "$WORK/img.pkg" > /dev/null
echo changed | rewrite_component "$WORK/t/tre1"
echo 1 > $SFS/validate
tre_failed() { is "$(cat $SFS/state)" failed && is "$(head -n 1 $SFS/distress)" "refused tre-failed"; }
check "TrE component failed: the TrE does not start the distress function" tre_failed
"$D/hnbtre-distress" 2> "$WORK/tre.log"
rc=$?
check "started anyway: exit 6, nothing sent" \
	sh -c "[ $rc = 6 ] && [ \"\$(sqlite3 '$WORK/hems.db' \"SELECT state FROM replacements ORDER BY id DESC LIMIT 1\")\" = requested ]"
check "the H(e)MS recorded five authentic indications in all" is "$(authentic)" 5
check "the H(e)MS did not crash" kill -0 "$(cat "$WORK/server.pid")"
tap_done
