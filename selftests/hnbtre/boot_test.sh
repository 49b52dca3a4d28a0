#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The init integration policy/init/hnbtre-start: secure start-up at boot,
# the distress function started by the TrE or, without the TrE's helper,
# by the script, never when it is corrupted; the watcher
# policy/init/hnbtre-isolate for the states the TrE starts nothing for
# (tampered at run time, unvalidated); the reference H(e)MS records what
# arrives.  TAP 14; run as root in a VM.
. "$(dirname "$0")/gate_lib.sh"
. "$(dirname "$0")/boot_lib.sh"
boot_init 14

# The normal code, the distress function's own directory, a tre component.
boot_image 127.0.0.1 3 200 tre || exit 1

# start_conf [DISTRESS_BY_TRE [MORE]]: the script's configuration.
start_conf() { write_start_conf "MANIFEST=$WORK/m" "DISTRESS_BY_TRE=${1:-yes}" TAMPER_GRACE=1 "${2:-}"; }
# boot: the script as init runs it, its status in $WORK/status.
boot() {
	"$START" "$WORK/start.conf" 2> "$WORK/start.log"
	echo $? > "$WORK/status"
}
# shutdown: the module and its keys gone, as at power-off.
shutdown() { stop_pidfile "$WORK/watcher.pid"; unload_with_keys > /dev/null 2>&1; }
status_is() { [ "$(cat "$WORK/status")" = "$1" ]; }
# indications N [STATE]: the H(e)MS recorded N distress indications of
# $id (the last one reporting the TrE state STATE).
indications() {
	local i got want="$1${2:+ $2}"
	for i in $(seq 100); do
		got=$($HEMS --json distress | jq -r "map(select(.identity == \"$id\")) |
			\"\\(length)\" + (if \"${2:-}\" == \"\" then \"\" else \" \\(last.state)\" end)")
		[ "$got" = "$want" ] && return 0
		sleep 0.2
	done
	echo "the H(e)MS has \"$got\", not \"$want\""
	return 1
}

distress_receiver $PORT
trap 'kill $hems_pid 2>/dev/null; shutdown' EXIT

start_conf
boot
check "intact device: start-up ends trusted, exit 0, the distress function idle" \
	sh -c "[ \"\$(cat $WORK/status) \$(cat $SFS/state)\" = '0 trusted' ] &&
	       head -n 1 $SFS/distress | grep -qx idle"
check "the device key was loaded and signs" \
	sh -c "keyctl link %:.hnbtre_device @s && head -c 32 /dev/zero > $WORK/digest &&
	       keyctl pkey_sign \$(keyctl search %:.hnbtre_device asymmetric hnbtre:device) 0 \
	       $WORK/digest enc=pkcs1 hash=sha256 > /dev/null"
shutdown

echo "patched" > "$WORK/c/c1"
boot
check "patched component: start-up ends failed, exit 1, the TrE started the function" \
	sh -c "[ \"\$(cat $WORK/status) \$(cat $SFS/state)\" = '1 failed' ] &&
	       head -n 1 $SFS/distress | grep -qx started"
check "the H(e)MS recorded its indication" indications 1
shutdown

start_conf no
boot
check "no TrE helper: outcome off, the script started the function" \
	sh -c "[ \"\$(cat $WORK/status)\" = 1 ] && head -n 1 $SFS/distress | grep -qx off &&
	       grep -q 'starting the distress function' $WORK/start.log"
check "the H(e)MS recorded its indication" indications 2
shutdown

# The states the TrE starts nothing for (TS 33.320 7.12: every state that
# stops normal communication).  restore FILE GOOD: the good copy renamed
# over it, as an update would.
restore() { cp -a "$2" "$1.new" && mv "$1.new" "$1"; }
restore "$WORK/c/c1" "$WORK/c1.good"
start_conf
boot
tamper
tampered_reported() {
	indications 3 failed && head -n 1 $SFS/distress | grep -qx started &&
	[ "$(state)" = failed ]
}
check "tampered at run time: the TrE re-validates (failed) and starts the function" \
	tampered_reported
restore "$WORK/c/c1" "$WORK/c1.good"
check "repaired: trusted again" sh -c "$HNBTRE validate > /dev/null"
echo "changed" | rewrite_component "$WORK/t/tre1"
tre_refused() {
	local i
	for i in $(seq 50); do
		head -n 1 $SFS/distress | grep -qx "refused tre-failed" && break
		sleep 0.2
	done
	head -n 1 $SFS/distress | grep -qx "refused tre-failed" && sleep 3 && indications 3
}
check "a tre component tampered at run time: refused as when the TrE failed, nothing sent" \
	tre_refused
shutdown
restore "$WORK/t/tre1" "$WORK/tre1.good"

head -c 200 "$WORK/m" > "$WORK/m.refused"
start_conf yes "MANIFEST=$WORK/m.refused"
boot
check "manifest refused: unvalidated, not started without DISTRESS_UNVALIDATED" \
	sh -c "[ \"\$(cat $WORK/status) \$(cat $SFS/state)\" = '1 unvalidated' ] &&
	       grep -q 'not started (DISTRESS_UNVALIDATED)' $WORK/start.log"
shutdown
start_conf yes "MANIFEST=$WORK/m.refused
DISTRESS_UNVALIDATED=yes"
boot
check "with DISTRESS_UNVALIDATED=yes: started, the H(e)MS records an unvalidated indication" \
	indications 4 unvalidated
shutdown

start_conf no
printf '\0' >> "$D/hnbtre-distress"
boot
check "corrupted distress function: not started by the script" \
	sh -c "[ \"\$(cat $WORK/status)\" = 1 ] &&
	       grep -q 'is not an intact component: not started' $WORK/start.log"
still_four() { sleep 3 && indications 4; }
check "nothing more reached the H(e)MS" still_four
shutdown

sed -i '/^DEVICE_KEY=/d' "$WORK/start.conf"
boot
check "configuration without DEVICE_KEY: exit 2, no TrE loaded" \
	sh -c "[ \"\$(cat $WORK/status)\" = 2 ] && [ ! -d $SFS ]"
tap_done
