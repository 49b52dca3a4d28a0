#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# TR-069 revocation and time (Documentation/tr069.md, "Revocation" and
# "Time"): hnbtre-cwmpd checks the ACS certificate by OCSP, stapled by
# hnbtre-hems or asked of an `openssl ocsp` responder on the device's
# loopback (where the certificate's AIA points), and checks validity
# against its last known-good time when the clock is behind.
. "$(dirname "$0")/gate_lib.sh"
. "$(dirname "$0")/tr069_lib.sh"
tr069_init 15
# the clock back to real time, however a clock test ended (by the uptime:
# bash's SECONDS follows the wall clock)
REAL_TIME=$(date +%s)
uptime_s() { cut -d. -f1 /proc/uptime; }
UPTIME=$(uptime_s)
restore_clock() { date -s "@$((REAL_TIME + $(uptime_s) - UPTIME))" > /dev/null; }
trap 'restore_clock; teardown' EXIT

hems_said() { grep -q -- "$1" "$WORK/hems.log" || { tail -n 5 "$WORK/hems.log"; return 1; }; }
# no_inform: the H(e)MS never saw an Inform since its log was emptied
no_inform() { ! grep -q "Inform from" "$WORK/hems.log"; }
responder_up() { stop_pidfile "$WORK/ocsp-dev.pid" && ocsp_start dev; }
responder_down() { stop_pidfile "$WORK/ocsp-dev.pid"; }
# staple CERT [DIGEST]: the responder's answer about CERT, saved as the
# H(e)MS will staple it, with a CertID by DIGEST (openssl ocsp: -sha1
# unless given, and only for the -cert options after it).
staple() {
	ip netns exec hnb-dev openssl ocsp -issuer "$PKI/root.pem" ${2:+"$2"} \
		-cert "$PKI/$1.pem" -url http://127.0.0.1:8888 -CAfile "$PKI/root.pem" \
		-respout "$WORK/staple.der" > /dev/null 2>&1
}
fresh_hems() { : > "$WORK/hems.log"; hems_start "$@"; }

check "bench with the OCSP responder (hems good, hems-revoked revoked)" tr069_setup

# 1. Good by the responder in the AIA; hard is the default.
good() {
	fresh_hems && cwmpd $URL && cwmpd_said "Inform delivered" &&
	cwmpd_said "ACS certificate status good (OCSP, http://127.0.0.1:8888)" &&
	! cwmpd_said "SHA-1" > /dev/null
}
check "ACS certificate good by OCSP (AIA responder, nonce): session" good

# 2, 3. Revoked: no session, whatever the policy.
revoked() {
	fresh_hems --cert "$PKI/hems-revoked.pem" --key "$PKI/hems-revoked.key" &&
	! cwmpd $URL "$@" && cwmpd_said "the ACS certificate is revoked" && no_inform
}
check "ACS certificate revoked, --ocsp hard: refused" revoked
check "ACS certificate revoked, --ocsp soft: refused" revoked --ocsp soft

# 4-6. Responder down.
down_hard() {
	responder_down && fresh_hems && ! cwmpd $URL &&
	cwmpd_said "no OCSP status for the ACS certificate (.*): refused (--ocsp hard)" &&
	no_inform
}
check "responder down, --ocsp hard (default): refused" down_hard
down_soft() {
	fresh_hems && cwmpd $URL --ocsp soft && cwmpd_said "Inform delivered" &&
	cwmpd_said "warning: no OCSP status for the ACS certificate"
}
check "responder down, --ocsp soft: session with a warning" down_soft
check "responder down, --ocsp off: session, no OCSP" \
	eval 'fresh_hems && cwmpd $URL --ocsp off && cwmpd_said "Inform delivered" && ! grep -q OCSP "$WORK/cwmpd.out"'

# 7. Stapled: the responder is down, the H(e)MS staples a response with a
# SHA-256 CertID.
stapled() {
	responder_up && staple hems -sha256 && responder_down &&
	fresh_hems --ocsp-staple "$WORK/staple.der" && cwmpd $URL &&
	cwmpd_said "ACS certificate status good (OCSP, stapled)" &&
	! cwmpd_said "SHA-1" > /dev/null
}
check "responder down, stapled response (SHA-256 CertID): session, log says stapled" stapled

# 8. A SHA-1 CertID: accepted and logged.
stapled_sha1() {
	responder_up && staple hems && responder_down &&
	fresh_hems --ocsp-staple "$WORK/staple.der" && cwmpd $URL &&
	cwmpd_said "ACS certificate status good (OCSP, stapled)" &&
	cwmpd_said "matched by a SHA-1 CertID: accepted, SHA-1 is not recommended"
}
check "stapled response with a SHA-1 CertID: accepted and logged" stapled_sha1

# 9. A staple about another certificate is not taken: the responder is
# asked (down here), so hard refuses.
stapled_other() {
	responder_up && staple hems -sha256 && responder_down &&
	fresh_hems --cert "$PKI/hems-revoked.pem" --key "$PKI/hems-revoked.key" \
		--ocsp-staple "$WORK/staple.der" && ! cwmpd $URL &&
	cwmpd_said "stapled OCSP response not used: OCSP response is not about this certificate" &&
	cwmpd_said "refused (--ocsp hard)" && no_inform
}
check "stapled response about another certificate: not used, responder asked" stapled_other

# 10, 11. Time.  After the sessions above the state holds a known-good
# time; at the epoch the agent sets the clock forward to it.  "The epoch"
# is a day after it: Linux refuses a wall clock before the boot.
EPOCH=86400
clock_restored() {
	local kept
	kept=$(cat "$WORK/cwmpd/known-good-time") && [ "$kept" -ge "$REAL_TIME" ] &&
	responder_up && fresh_hems && date -s @$EPOCH > /dev/null &&
	cwmpd $URL; local rc=$?
	[ "$(date +%s)" -ge "$kept" ] && restore_clock && [ $rc = 0 ] &&
	cwmpd_said "clock [0-9]* was behind the last known-good time: set to $kept" &&
	cwmpd_said "Inform delivered" && cwmpd_said "status good (OCSP"
}
check "clock at the epoch: set to the persisted known-good time, session" clock_restored
no_time() {
	rm -f "$WORK/cwmpd/known-good-time" && fresh_hems && date -s @$EPOCH > /dev/null &&
	cwmpd $URL; local rc=$?
	[ "$(date +%s)" -lt $((EPOCH + 3600)) ]; local still=$?
	restore_clock
	[ $rc != 0 ] && [ $still = 0 ] && cwmpd_said "certificate is not yet valid" && no_inform
}
check "clock at the epoch, no known-good time: refused (certificate not yet valid)" no_time
check "known-good time persisted again after the next session" \
	eval 'cwmpd $URL && [ "$(cat "$WORK/cwmpd/known-good-time")" -ge "$REAL_TIME" ]'

# 14, 15. The ACS's Date (acs_date_shim.so in the H(e)MS) moves the
# known-good time at most a day past the device's clock: an ACS ten years
# ahead moves it by a day, not ten years; one ten years behind does not
# move it back.
SHIM=$(dirname "$(readlink -f "$0")")/acs_date_shim.so
real_now() { echo $((REAL_TIME + $(uptime_s) - UPTIME)); }
date_ahead() {
	local kept now
	ACS_DATE_OFFSET=$((10 * 365 * 86400)) LD_PRELOAD=$SHIM fresh_hems &&
	cwmpd $URL && cwmpd_said "Inform delivered" &&
	cwmpd_said "is more than 86400 s ahead of the clock" || return 1
	kept=$(cat "$WORK/cwmpd/known-good-time") now=$(real_now)
	echo "known-good time $kept, now $now"
	[ "$kept" -ge $((now + 86400 - 60)) ] && [ "$kept" -le $((now + 86400 + 60)) ]
}
check "ACS Date ten years ahead: the known-good time moves one day, not ten years" date_ahead
date_behind() {
	local before after rc
	before=$(cat "$WORK/cwmpd/known-good-time")
	ACS_DATE_OFFSET=$((-10 * 365 * 86400)) LD_PRELOAD=$SHIM fresh_hems &&
	cwmpd $URL; rc=$?
	after=$(cat "$WORK/cwmpd/known-good-time")
	restore_clock
	echo "known-good time $before, then $after"
	[ $rc = 0 ] && [ "$after" -ge "$before" ] && [ "$after" -le $((before + 120)) ]
}
check "ACS Date ten years behind: the known-good time does not move back" date_behind

tap_done
