#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# hnbtre-cwmpd's session retry policy (TR-069 3.2.1.1, Documentation/
# tr069.md): an agent whose sessions fail (here: no device key, no ACS)
# waits between m * 2^(n-1) and m * 2^n seconds after the n-th failure in
# a row, instead of starting a session at every poll with its events
# still queued; the ACS's CWMPRetryMinimumWaitInterval and
# CWMPRetryIntervalMultiplier replace --retry-wait and the factor 2.
# Needs $HNBTRE and $PKI.
. "$(dirname "$0")/tap.sh"
CWMPD=$(dirname "$HNBTRE")/hnbtre-cwmpd

tap_plan 5

# run_agent SECONDS SETTINGS_JSON OPTION...: the agent for SECONDS from a
# state with SETTINGS; $tmp/sessions has the time (EPOCH.MS) of each
# session (its attempt to use the device key), $tmp/log "EPOCH.MS FAILURE
# WAIT" per failed session as the agent logs it.
run_agent() {
	local seconds=$1 settings=$2
	shift 2
	rm -rf "$tmp/state" "$tmp/sessions" && mkdir -p "$tmp/state" "$tmp/sfs" &&
	echo trusted > "$tmp/sfs/state" &&
	cat > "$tmp/state/state.json" <<JSON &&
{ "format": 1, "events": [ { "code": "0 BOOTSTRAP", "key": "" } ], "attributes": {},
  "notified": {}, "settings": $settings, "transfers": [] }
JSON
	HNBTRE_SECURITYFS=$tmp/sfs timeout "$seconds" "$CWMPD" --acs https://127.0.0.1:9/ \
		--cert "$PKI/device.pem" --ca "$PKI/root.pem" --state-dir "$tmp/state" \
		--ocsp off "$@" 2>&1 |
	while IFS= read -r line; do
		case $line in
		*"no device key in"*) date +%s.%3N >> "$tmp/sessions";;
		*"session failed ("*) printf '%s %s\n' "$(date +%s.%3N)" \
			"$(sed -n 's/.*(\([0-9]*\) in a row): the next in \([0-9]*\) s$/\1 \2/p' <<< "$line")";;
		esac
	done > "$tmp/log"
}

run_agent 9 '{}' --retry-wait 1

# waits_within: the n-th wait logged is in [2^(n-1), 2^n] s (m = 1).
waits_within() {
	cat "$tmp/log"
	[ "$(wc -l < "$tmp/log")" -ge 3 ] &&
	awk '{ lo = 2 ^ ($2 - 1); if ($3 < lo || $3 > 2 * lo) exit 1 }' "$tmp/log"
}
check "--retry-wait 1: after the n-th failed session in a row a wait in [2^(n-1), 2^n] s" \
	waits_within
# kept: each next session starts no sooner than the wait logged after the
# one before, and not much later
kept() {
	paste -d ' ' "$tmp/log" <(tail -n +2 "$tmp/sessions") | tee /dev/stderr |
	awk 'NF == 4 { gap = $4 - $1; if (gap < $3 - 0.05 || gap > $3 + 1.5) exit 1 }'
}
check "the next session starts after the wait said, not at the next poll" kept
check "3 or 4 sessions in 9 s (one per 1 s poll before)" \
	eval 'cat "$tmp/sessions"; n=$(wc -l < "$tmp/sessions"); [ $n -ge 3 ] && [ $n -le 4 ]'

run_agent 8 '{ "retry_min_wait": "3", "retry_multiplier": "1000" }' --retry-wait 1
check "set by the ACS, minimum wait 3 s, multiplier 1000: every wait 3 s" \
	eval 'cat "$tmp/log"; [ "$(wc -l < "$tmp/log")" -ge 2 ] && awk '\''$3 != 3 { exit 1 }'\'' "$tmp/log"'
check "--retry-wait 0 refused" \
	eval '! "$CWMPD" --acs https://127.0.0.1:9/ --cert "$PKI/device.pem" --ca "$PKI/root.pem" \
		--state-dir "$tmp/state" --retry-wait 0'
exit $((failed > 0))
