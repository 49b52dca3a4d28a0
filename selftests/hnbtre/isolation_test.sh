#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Isolation of a device that is not trusted (TS 33.320 8.3.2.2): the
# device's own nftables rule set, installed by policy/init/hnbtre-start
# and kept by the watcher policy/init/hnbtre-isolate exactly while the TrE
# state is not trusted.  The device is this VM's root network namespace
# (the TrE and its audit events are there); the network is the namespace
# hnb-net with the H(e)MS (its TR-069 port and distress receiver) and
# another host.  TAP 14; run as root in a VM.
. "$(dirname "$0")/gate_lib.sh"
. "$(dirname "$0")/boot_lib.sh"
boot_init 14

DEV_ADDR=10.98.0.2
HEMS_ADDR=10.98.0.1
OTHER=10.98.0.3
boot_image "$HEMS_ADDR" 5 500 || exit 1

# The network: one veth pair, the H(e)MS and another host behind it.
netns_pair net "$HEMS_ADDR" root && ip -n hnb-net addr add $OTHER/24 dev net0 || exit 1
ip netns exec hnb-net $HEMS --listen $HEMS_ADDR --port 7547 \
	--cert "$PKI/hems.pem" --key "$PKI/hems.key" --ca "$PKI/root.pem" \
	--public-url https://hems.hnbtre.test:7547 --distress-tcp-port $PORT \
	--revocation off serve 2> "$WORK/hems.log" &
hems_pid=$!
mkdir -p "$WORK/www"
ip netns exec hnb-net busybox httpd -f -p $OTHER:7547 -h "$WORK/www" &
other_pid=$!
ip netns exec hnb-net busybox httpd -f -p $HEMS_ADDR:8080 -h "$WORK/www" &
other_port_pid=$!

watcher=
stop_watcher() {
	[ -n "$watcher" ] && kill "$watcher" 2>/dev/null
	watcher=
}
cleanup() {
	stop_watcher
	kill $hems_pid $other_pid $other_port_pid 2>/dev/null
	nft delete table inet hnbtre_isolation 2>/dev/null
	ip netns del hnb-net 2>/dev/null
	unload_with_keys > /dev/null 2>&1
}
trap cleanup EXIT

# start_conf ALLOW: the script's configuration.
start_conf() { write_start_conf "MANIFEST=$WORK/m" "ISOLATION_ALLOW=\"$1\"" ISOLATION_RECHECK=3; }
# boot: the script as init runs it, its status in $WORK/status.
boot() {
	"$START" "$WORK/start.conf" 2> "$WORK/start.log"
	echo $? > "$WORK/status"
	watcher=$(sed -n 's/^hnbtre-start: watcher pid //p' "$WORK/start.log")
}
shutdown() { stop_watcher; unload_with_keys > /dev/null 2>&1; }
status_is() { [ "$(cat "$WORK/status") $(state)" = "$1" ]; }
# reaches ADDR PORT: a TCP connection from the device opens (within 3 s:
# a dropped SYN waits that long).  connects ADDR PORT: the same, three
# tries of 5 s, for what must be reachable on a loaded host.
reaches() { timeout 3 bash -c "echo > /dev/tcp/$1/$2" 2>/dev/null; }
connects() {
	local i
	for i in 1 2 3; do
		timeout 5 bash -c "echo > /dev/tcp/$1/$2" 2>/dev/null && return 0
	done
	return 1
}
isolated() { nft list table inet hnbtre_isolation > /dev/null 2>&1; }
not() { ! "$@"; }
indications() {
	local n
	n=$($HEMS --json distress | jq "[.[] | select(.identity == \"$id\")] | length")
	[ "$n" = "$1" ]
}
# only_repair_reachable: the H(e)MS and its distress receiver yes, the
# other host and another port of the H(e)MS's host no.
only_repair_reachable() {
	local fail=0
	connects $HEMS_ADDR 7547 || { echo "# the H(e)MS is not reachable"; fail=1; }
	connects $HEMS_ADDR $PORT || { echo "# the distress receiver is not reachable"; fail=1; }
	! reaches $OTHER 7547 || { echo "# $OTHER:7547 is reachable"; fail=1; }
	! reaches $HEMS_ADDR 8080 || { echo "# $HEMS_ADDR:8080 is reachable"; fail=1; }
	! ping -c 1 -W 1 $OTHER > /dev/null || { echo "# $OTHER answers ping"; fail=1; }
	return $fail
}
wait_for reaches $HEMS_ADDR $PORT || { echo "the H(e)MS did not start"; exit 1; }
wait_for reaches $OTHER 7547 || { echo "the other host did not start"; exit 1; }

ALLOW="tcp/$HEMS_ADDR/7547 tcp/$HEMS_ADDR/$PORT udp/$HEMS_ADDR/53 ike/$HEMS_ADDR"

start_conf "tcp/$HEMS_ADDR/7547 tcp/hems.example/$PORT"
boot
check "a malformed ISOLATION_ALLOW: exit 2, no TrE loaded, no rule set" \
	sh -c "[ \"\$(cat $WORK/status)\" = 2 ] && [ ! -d $SFS ] &&
	       ! nft list table inet hnbtre_isolation > /dev/null 2>&1"

start_conf "$ALLOW"
boot
check "intact device: trusted, no rule set once start-up returns" \
	sh -c "[ \"\$(cat $WORK/status) \$(cat $SFS/state)\" = '0 trusted' ] &&
	       ! nft list table inet hnbtre_isolation > /dev/null 2>&1"
check "trusted: the other host is reachable" connects $OTHER 7547
shutdown

echo "patched" > "$WORK/c/c1"
boot
check "patched component: failed, isolated once start-up returns" \
	sh -c "[ \"\$(cat $WORK/status) \$(cat $SFS/state)\" = '1 failed' ] &&
	       nft list table inet hnbtre_isolation > /dev/null"
check "failed: the H(e)MS and the distress receiver only" only_repair_reachable
check "the distress indication reached the H(e)MS" wait_for indications 1

cp -a "$WORK/c1.good" "$WORK/c/c1.new" && mv "$WORK/c/c1.new" "$WORK/c/c1"
"$HNBTRE" validate > /dev/null
state_lifted() { [ "$(state)" = trusted ] && wait_for not isolated; }
check "repaired and re-validated: trusted, the rule set removed" state_lifted
check "trusted again: the other host is reachable" connects $OTHER 7547

# A watch of its own: the transition wakes it, not its timeout.
"$HNBTRE" watch --timeout 60 trusted > "$WORK/watched" 2> "$WORK/watch.err" &
sleep 0.5
tamper
woke() {
	wait_for test -s "$WORK/watched" && grep -qx tampered "$WORK/watched" &&
		! grep . "$WORK/watch.err"
}
check "hnbtre watch wakes on the TrE's audit record of the tamper" woke
state_isolated() { [ "$(state)" = tampered ] && wait_for isolated; }
check "tampered at run time: isolated again" state_isolated
check "tampered: the H(e)MS and the distress receiver only" only_repair_reachable

nft delete table inet hnbtre_isolation
check "the rule set deleted by hand while tampered comes back" wait_for isolated

shutdown
check "no TrE: watch reports none" sh -c "[ \"\$($HNBTRE watch)\" = none ]"
check "watch refuses a bad timeout" \
	sh -c "! $HNBTRE watch --timeout -1 trusted 2> /dev/null"
tap_done
