#!/bin/bash
# hnbtre-distress on the host: its configuration for the IKE/IPsec
# transport is checked before anything else happens (no TrE here, so a
# valid one gets as far as reading the TrE's state, and no further).
# Needs $HNBTRE (the CLI, next to hnbtre-distress) and $PKI.
. "$(dirname "$0")/tap.sh"
DISTRESS=$(dirname "$HNBTRE")/hnbtre-distress

# conf EXTRA: a distress.conf with transport ike and EXTRA members.
conf() {
	cat > "$tmp/distress.conf" <<EOC
{ "server": "10.99.1.1", "port": 4450, "transport": "ike", "auth": "sig",
  "credential_certificate": "distress.pem", $1 }
EOC
}
# invalid EXTRA: refused as an invalid configuration, nothing written.
invalid() {
	conf "$1"
	"$DISTRESS" --config "$tmp/distress.conf" 2> "$tmp/err"
	[ $? = 1 ] && grep -q 'invalid configuration' "$tmp/err" &&
	[ ! -e "$tmp/state" ] || { cat "$tmp/err"; false; }
}
long=$(printf 'd%.0s' $(seq 100))

tap_plan 5
check "ike without ike_dir: invalid" invalid "\"state_dir\": \"$tmp/state\""
check "ike_child not a string: invalid" \
	invalid "\"state_dir\": \"$tmp/state\", \"ike_dir\": \"ike\", \"ike_child\": 1"
check "ike_child of 64 bytes: invalid" \
	invalid "\"state_dir\": \"$tmp/state\", \"ike_dir\": \"ike\", \"ike_child\": \"$(printf 'c%.0s' $(seq 64))\""
check "state_dir too long for the unix sockets: invalid" \
	invalid "\"state_dir\": \"$tmp/state/$long\", \"ike_dir\": \"ike\""
valid() {
	conf "\"state_dir\": \"$tmp/state\", \"ike_dir\": \"ike\", \"ike_child\": \"d\""
	"$DISTRESS" --config "$tmp/distress.conf" 2> "$tmp/err"
	[ $? = 1 ] && ! grep -q 'invalid configuration' "$tmp/err" &&
	grep -q 'cannot read identity and state from the TrE' "$tmp/err" &&
	! grep -q 'ike: charon' "$tmp/err"
}
check "a valid ike configuration: read, then the TrE asked first (no charon)" valid
exit $((failed > 0))
