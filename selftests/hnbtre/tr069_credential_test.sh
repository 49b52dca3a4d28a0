#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# A credential failure stops normal communication (TS 33.320 7.12): a
# trusted device whose certificate expired, or that the H(e)MS refuses
# because its certificate is revoked, opens no session and starts the
# distress function with that reason; the H(e)MS records it and marks the
# device for maintenance.  The function still does nothing when a `tre`
# component failed (Documentation/tr069.md, "Device certificate expired
# or revoked"; distress.md).
. "$(dirname "$0")/gate_lib.sh"
. "$(dirname "$0")/tr069_lib.sh"
tr069_init 5

DISTRESS=$TOP/build/bin/hnbtre-distress
DPORT=7550
hems_db() { sqlite3 "$WORK/hems.db" "$@"; }

# The distress function's files (PSK: the distress credential opens only
# while the TrE is not trusted) and the receiver's PSK for the identity.
D=$WORK/distress
mkdir -p "$D" "$WORK/psk"
cp "$PKI/distress.psk" "$D/psk"
cp "$PKI/distress.psk" "$WORK/psk/$IDENTITY"
cat > "$D/distress.conf" <<EOF
{ "server": "$HEMS_ADDR", "port": $DPORT, "transport": "tcp", "auth": "psk",
  "psk_file": "psk", "device_certificate": "$PKI/device.pem", "state_dir": "$WORK/dstate",
  "attempts": 2, "backoff_ms": 100, "backoff_max_ms": 200, "timeout_ms": 2000 }
EOF
REPAIR="$DISTRESS --config $D/distress.conf"
# the H(e)MS with its distress receiver (PSK) on port $DPORT
receiver_start() {
	hems_start --distress-tcp-port $DPORT --distress-psk-dir "$WORK/psk" "$@"
}
# credential_indication VERDICT: the H(e)MS's last indication names the
# device certificate with VERDICT, authentic, attested state trusted; the
# device is marked for maintenance.
credential_indication() {
	[ "$(hems_db "SELECT authenticated || ' ' || state FROM distress ORDER BY id DESC LIMIT 1")" = \
	  "1 trusted" ] &&
	hems_db "SELECT failed FROM distress ORDER BY id DESC LIMIT 1" |
		jq -e --arg v "$1" '.[] | select(.class == "credential" and .verdict == $v)' > /dev/null &&
	[ "$(hems_db "SELECT status FROM devices WHERE identity = '$IDENTITY'")" = maintenance ] ||
	{ cat "$WORK/cwmpd.out" "$WORK/hems.log"; hems_db "SELECT * FROM distress"; return 1; }
}

# A certificate for the device key that expired in 2020 (openssl ca
# backdates it; the device's TrE key is the same).
expired_cert() {
	local ca=$WORK/expired
	mkdir -p "$ca" && : > "$ca/index.txt" && echo 1000 > "$ca/serial" &&
	cat > "$ca/ca.cnf" <<EOC &&
[ca]
default_ca = expired
[expired]
database = $ca/index.txt
new_certs_dir = $ca
certificate = $PKI/root.pem
private_key = $PKI/root.key
serial = $ca/serial
default_md = sha256
policy = anything
copy_extensions = copy
[anything]
organizationName = supplied
commonName = supplied
EOC
	openssl req -new -key "$PKI/device.key" -subj "/O=hnbtre test operator/CN=$IDENTITY" \
		-addext "subjectAltName=URI:urn:hnbtre:identity:$IDENTITY" -out "$ca/csr.pem" &&
	openssl ca -config "$ca/ca.cnf" -batch -notext -in "$ca/csr.pem" -out "$WORK/expired.pem" \
		-startdate 20200101000000Z -enddate 20200201000000Z 2> /dev/null
}

# The bench: the device's responder also knows device (good) and
# device-revoked (revoked); the H(e)MS's own responder, on its loopback
# where the certificates' AIA points, the same.
setup() {
	net_setup && fresh_module identity="$IDENTITY" && load_device_key > /dev/null &&
	make_trusted && ca_database "$WORK/ca" "hems hems-badsan device" "hems-revoked device-revoked" &&
	ocsp_start dev && ocsp_start hems && expired_cert
}
check "bench: trusted device, responders, an expired certificate for the device key" setup

# 1. Expired: no session (the H(e)MS sees no Inform); the function reports
# it, though the TrE is trusted.
expired() {
	receiver_start && ! cwmpd $URL --cert "$WORK/expired.pem" --repair-cmd "$REPAIR" &&
	cwmpd_said "the device certificate is expired" &&
	cwmpd_said "distress: .* --reason certificate-expired" &&
	! grep -q "Inform from" "$WORK/hems.log" && [ "$(state)" = trusted ] &&
	credential_indication expired
}
check "device certificate expired: no session, distress indication (credential expired), device marked" \
	expired

# 2. Revoked: the H(e)MS checks device certificates by OCSP and refuses
# it; the agent asks its certificate's responder, which says revoked.
# The TrE's device key becomes the revoked certificate's.
revoked() {
	hems_db "UPDATE devices SET status = 'ok'" &&
	fresh_module identity="$IDENTITY" && wrap_key "$PKI/device-revoked.key" "$WORK/revoked.wrapped" &&
	admit_key device "$WORK/revoked.wrapped" > /dev/null && load_attest_key && make_trusted &&
	receiver_start --revocation ocsp --ocsp-responder aia && ! cwmpd $URL --cert "$PKI/device-revoked.pem" \
		--repair-cmd "$REPAIR" &&
	grep -q "certificate of $IDENTITY is revoked" "$WORK/hems.log" &&
	cwmpd_said "the device certificate is revoked (OCSP" &&
	cwmpd_said "distress: .* --reason certificate-revoked" && credential_indication revoked ||
	{ cat "$WORK/cwmpd.out"; tail -n 5 "$WORK/hems.log"; return 1; }
}
check "device certificate revoked, refused by the H(e)MS: distress indication (credential revoked)" revoked

# 3. The refusal of an integrity failure stands: with a `tre` component
# failed the function sends nothing (exit 6), whatever the reason.
tre_failed_refused() {
	local before
	before=$(hems_db "SELECT count(*) FROM distress")
	echo "tre 1" > "$WORK/tre1" && sign_component "$WORK/tre1" &&
	signed_manifest "$WORK/mtre" 2 "$WORK"/c/c* --class tre "$WORK/tre1" &&
	cat "$WORK/mtre" > $SFS/manifest && [ "$(state)" = trusted ] &&
	echo changed | rewrite_component "$WORK/tre1" && echo 1 > $SFS/validate;
	[ "$(state)" = failed ] || { echo "state $(state)"; return 1; }
	$REPAIR --reason certificate-expired 2> "$WORK/tre.log"
	[ $? = 6 ] && grep -q "the TrE itself failed" "$WORK/tre.log" &&
	[ "$(hems_db "SELECT count(*) FROM distress")" = "$before" ] || { cat "$WORK/tre.log"; return 1; }
}
check "a tre component failed: the function refuses (exit 6), nothing sent" tre_failed_refused

# 4. A trusted device with a good certificate: nothing to report.
nothing() {
	fresh_module identity="$IDENTITY" && load_device_key > /dev/null && make_trusted &&
	$REPAIR 2> "$WORK/nothing.log"
	[ $? = 4 ] && grep -q "nothing to report" "$WORK/nothing.log"
}
check "trusted, no reason: nothing to report (exit 4)" nothing
tap_done
