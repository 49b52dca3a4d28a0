#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Operator commands of hnbtre-hems (Documentation/tr069.md, "Operator
# commands"; issue 19 section 2): accept a device's current RIM, reset it,
# force a repair Download; each audited with the operator and the device,
# refusals change nothing.  The session side of repair is in hems_test.
# Needs $HNBTRE (the CLI, next to hnbtre-hems) and $PKI.
. "$(dirname "$0")/tap.sh"
HEMS=$(dirname "$HNBTRE")/hnbtre-hems
DEVICE=0005B9-0000000001
live=/opt/hnb/current
db() { sqlite3 "$tmp/hems.db" "$@"; }
hems() { "$HEMS" --db "$tmp/hems.db" "$@"; }
rim() { printf 'sha256:%064d' "$1"; }

echo "TAP version 13"
echo "1..9"

mkdir -p "$tmp/v1/bin"
echo "app 1" > "$tmp/v1/bin/app"
image_manifest "$tmp/v1" "$live" 7 "$tmp/m" &&
"$HNBTRE" pkg build --dir "$tmp/v1" --prefix "$live" --manifest "$tmp/m" --version 3 \
	-o "$tmp/p.unsigned" > /dev/null &&
"$HNBTRE" pkg sign --cert "$PKI/pkg-signer.pem" --key "$PKI/pkg-signer.key" -o "$tmp/p.pkg" \
	"$tmp/p.unsigned" || exit 1

hems devices > /dev/null
# A device the PVE rejects: stored RIM 1, its TrE now signs TIM 2; a
# later attestation with a bad signature claims TIM 3.
db "INSERT INTO devices (identity, cert, rim, status) VALUES ('$DEVICE', x'', '$(rim 1)', 'maintenance');
    INSERT INTO devices (identity, cert) VALUES ('other', x'');
    INSERT INTO attestations (identity, time, nonce, verdict, tim) VALUES
	('$DEVICE', 't1', 'n1', 'valid', '$(rim 1)'),
	('$DEVICE', 't2', 'n2', 'TIM differs from the expected RIM', '$(rim 2)'),
	('$DEVICE', 't3', 'n3', 'bad signature', '$(rim 3)'),
	('other', 't4', 'n4', 'bad signature', '$(rim 4)')"

store_version_7() { [ "$(db 'PRAGMA user_version')" = 7 ]; }
check "the store has schema version 7 (audit, updates.repair, releases)" store_version_7

accepted() {
	hems --operator alice accept "$DEVICE" 2> "$tmp/err" &&
	grep -qx "hnbtre-hems: audit: accept by alice on $DEVICE: RIM $(rim 1) -> $(rim 2)" "$tmp/err" &&
	[ "$(db "SELECT rim, status, coalesce(expected_rim, '-') FROM devices WHERE identity = '$DEVICE'")" = "$(rim 2)|ok|-" ] &&
	[ "$(db "SELECT operator, identity, command, detail FROM audit")" = "alice|$DEVICE|accept|RIM $(rim 1) -> $(rim 2)" ]
}
check "accept: the TIM of the last properly signed attestation becomes the RIM, audited" accepted

# refused WHAT COMMAND...: exit 1, WHAT said, no device or audit change.
refused() {
	local what=$1 before
	shift
	before=$(db "SELECT * FROM devices; SELECT * FROM updates; SELECT count(*) FROM audit")
	hems --operator alice "$@" 2> "$tmp/err"
	[ $? = 1 ] && grep -q "$what" "$tmp/err" &&
	[ "$(db "SELECT * FROM devices; SELECT * FROM updates; SELECT count(*) FROM audit")" = "$before" ] ||
		{ cat "$tmp/err"; false; }
}
check "accept with only a badly signed attestation: refused, nothing changed" \
	refused "no attestation of other with a valid signature" accept other
check "accept of an unknown device: refused, nothing changed" refused "no device" accept none

repair() {
	hems --operator bob repair "$DEVICE" "$tmp/p.pkg" > "$tmp/said" 2> "$tmp/err" &&
	grep -q "^repair update 1 of $DEVICE requested" "$tmp/said" &&
	grep -q "^hnbtre-hems: audit: repair by bob on $DEVICE: update 1: $tmp/p.pkg, expected RIM sha256:" "$tmp/err" &&
	[ "$(db "SELECT state, repair FROM updates WHERE id = 1")" = "requested|1" ]
}
check "repair: an update sent whatever the attestation says, audited" repair
check "repair of an unknown device: refused, nothing changed" refused "no device" repair none "$tmp/p.pkg"

reset() {
	db "UPDATE devices SET status = 'maintenance', expected_rim = '$(rim 5)', expected_state = 'sent' WHERE identity = '$DEVICE'"
	hems --operator carol reset "$DEVICE" 2> "$tmp/err" &&
	grep -qx "hnbtre-hems: audit: reset by carol on $DEVICE: RIM $(rim 2) forgotten, 1 pending cancelled" "$tmp/err" &&
	[ "$(db "SELECT coalesce(rim, '-'), coalesce(expected_rim, '-'), coalesce(expected_state, '-'), status FROM devices WHERE identity = '$DEVICE'")" = "-|-|-|ok" ] &&
	[ "$(db "SELECT state FROM updates WHERE id = 1")" = cancelled ]
}
check "reset: RIM and expectation forgotten, the pending repair cancelled, audited" reset

update_audited() {
	hems update "$DEVICE" "$tmp/p.pkg" > /dev/null 2> "$tmp/err" &&
	grep -q "^hnbtre-hems: audit: update by $(id -un) on $DEVICE: update 2: " "$tmp/err" &&
	[ "$(db "SELECT operator, command, repair FROM audit JOIN updates ON updates.id = 2 ORDER BY audit.id DESC LIMIT 1")" = "$(id -un)|update|0" ]
}
check "update without --operator: audited with the account's name" update_audited

audit_list() {
	hems --json show "$DEVICE" |
		jq -e '[.audit[].command] == ["accept", "repair", "reset", "update"] and
		       (.audit[0].operator == "alice")' > /dev/null &&
	[ "$(hems --json audit | jq length)" = 4 ]
}
check "show and audit list the audit trail in order" audit_list
exit $((failed > 0))
