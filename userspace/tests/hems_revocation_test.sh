#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Device certificates checked by hnbtre-hems (TS 33.320 8.3.2.1;
# Documentation/tr069.md, "Revocation of device certificates"): OCSP from
# the responder the certificate's AIA names (an `openssl ocsp` on this
# test's own loopback, where the test PKI points) or a CRL file, strict
# and soft-fail, answers cached until their nextUpdate.  A device is
# admitted when its first request gets a CWMP answer (204 to an empty
# POST) and refused with 403.  Needs $HNBTRE, $PKI, root (own network
# namespace: the ports are the test PKI's, 8888 for OCSP).
PLAN=16
# A loopback of our own: no other test's responder or server in the way.
if [ "${1:-}" != in-netns ]; then
	unshare -n true 2>/dev/null && exec unshare -n "$0" in-netns
	echo "TAP version 13"
	echo "1..$PLAN"
	for i in $(seq $PLAN); do
		echo "ok $i # SKIP needs a network namespace (unshare -n)"
	done
	exit 0
fi
. "$(dirname "$0")/tap.sh"
HEMS=$(dirname "$HNBTRE")/hnbtre-hems
tap_plan $PLAN
ip link set lo up

# The test CA's database: device good, device-revoked revoked.
ca=$tmp/ca
ca_database "$ca" device device-revoked || exit 1

# responder_start [OPTIONS...]: openssl ocsp where the AIA points.
responder_start() {
	openssl ocsp -index "$ca/index.txt" -port 8888 -CA "$PKI/root.pem" \
		-rsigner "$PKI/ocsp.pem" -rkey "$PKI/ocsp.key" -rmd sha256 -ignore_err \
		"$@" > "$tmp/ocsp.log" 2>&1 &
	responder=$!
	wait_port 8888
}
responder_stop() {
	[ -n "${responder:-}" ] && kill "$responder" 2>/dev/null && wait "$responder" 2>/dev/null
	responder=
}

# hems_start OPTIONS...: a fresh H(e)MS (empty cache) on 127.0.0.1:7547.
hems_start() {
	hems_stop
	: > "$tmp/hems.log"
	"$HEMS" --db "$tmp/hems.db" serve --listen 127.0.0.1 --port 7547 \
		--cert "$PKI/hems.pem" --key "$PKI/hems.key" --ca "$PKI/root.pem" \
		--public-url https://hems.hnbtre.test:7547 "$@" >> "$tmp/hems.log" 2>&1 &
	hems=$!
	wait_port 7547
}
hems_stop() {
	[ -n "${hems:-}" ] && kill "$hems" 2>/dev/null && wait "$hems" 2>/dev/null
	hems=
}
trap 'hems_stop; responder_stop; rm -rf "$tmp"' EXIT

# session CERT [SECONDS]: the HTTP status of an empty POST as device CERT
# ($PKI/CERT.pem, or a path), given SECONDS (default 20); the answer's
# body in $tmp/answer.
session() {
	local cert=$1
	[ -f "$cert" ] || cert=$PKI/$1.pem
	curl -s -o "$tmp/answer" -w '%{http_code}' --max-time "${2:-20}" \
		--resolve hems.hnbtre.test:7547:127.0.0.1 --cacert "$PKI/root.pem" \
		--cert "$cert" --key "$PKI/device.key" -X POST --data-binary '' \
		https://hems.hnbtre.test:7547/
}

# admitted CERT LOG-LINE / refused CERT LOG-LINE: the answer and the log.
admitted() {
	local code
	code=$(session "$1")
	[ "$code" = 204 ] && grep -q -- "$2" "$tmp/hems.log" ||
		{ echo "HTTP $code"; cat "$tmp/hems.log"; false; }
}
# A refusal says why (issue 19): to the device, a CWMP Fault 8001 whose
# FaultString is the log's line; to the operator, a row of the audit trail.
refused() {
	local code
	code=$(session "$1")
	[ "$code" = 403 ] && grep -q -- "$2" "$tmp/hems.log" &&
		[ "$(sqlite3 "$tmp/hems.db" 'SELECT count(*) FROM devices')" = 0 ] &&
		grep -q "<FaultCode>8001</FaultCode>" "$tmp/answer" &&
		grep -q -- "<FaultString>$2" "$tmp/answer" &&
		sqlite3 "$tmp/hems.db" "SELECT operator || ' ' || command || ' ' || detail FROM audit
			ORDER BY id DESC LIMIT 1" | grep -q -- "^hnbtre-hems refused $2" ||
		{ echo "HTTP $code"; cat "$tmp/hems.log" "$tmp/answer"; false; }
}
ID=$(cat "$PKI/identity")

responder_start -nmin 60 || exit 1
# TS 33.320 8.3.2.1 "shall": checked unless the operator says otherwise.
hems_start || exit 1
check "by default: OCSP from the responder the certificate names, strict" admitted device \
	"certificate of $ID: good (OCSP http://127.0.0.1:8888)"
hems_start --revocation ocsp --ocsp-responder aia || exit 1
check "OCSP (AIA) good: session" admitted device \
	"certificate of $ID: good (OCSP http://127.0.0.1:8888)"
check "OCSP revoked: no session, nothing stored" refused device-revoked \
	"certificate of $ID is revoked (OCSP http://127.0.0.1:8888, reason keyCompromise): no session"
responder_stop
check "responder down: the good answer is cached until its nextUpdate" admitted device \
	"certificate of $ID: good (OCSP, cached until "
check "responder down: the revoked answer is cached too" refused device-revoked \
	"certificate of $ID is revoked (OCSP, cached until "
hems_start --revocation ocsp --ocsp-responder aia || exit 1
check "responder down, strict: no session" refused device \
	"no revocation status for the certificate of $ID (OCSP http://127.0.0.1:8888: .*): no session (strict)"
hems_start --revocation ocsp --ocsp-responder aia --revocation-policy soft || exit 1
check "responder down, soft: session with a warning" admitted device \
	"warning: no revocation status for the certificate of $ID (OCSP http://127.0.0.1:8888: .*): session continues (soft)"
responder_start || exit 1
check "soft still refuses a revoked certificate" refused device-revoked \
	"certificate of $ID is revoked (OCSP http://127.0.0.1:8888, reason keyCompromise): no session"

# Issue 19 section 4: a responder that never answers delays only the
# device it is asked about.  Another device (its own key and identity in
# this test, issued by the test root) names a responder on port 8889 that
# accepts and never answers (the agent's OCSP client gives up after 10 s).
slow_id=0005B9-0000000777
openssl req -new -key "$PKI/device.key" -subj "/O=hnbtre test operator/CN=$slow_id" \
	-out "$tmp/slow.csr" 2>/dev/null &&
printf '%s\n' "authorityInfoAccess=OCSP;URI:http://127.0.0.1:8889" \
	"extendedKeyUsage=clientAuth" > "$tmp/slow.ext" &&
openssl x509 -req -in "$tmp/slow.csr" -CA "$PKI/root.pem" -CAkey "$PKI/root.key" \
	-set_serial 0x7777 -days 30 -extfile "$tmp/slow.ext" -out "$tmp/slow.pem" \
	2>/dev/null || exit 1
python3 -c 'import socket, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 8889))
s.listen(16)
time.sleep(120)' &
silent=$!
wait_port 8889
hems_start --revocation ocsp --ocsp-responder aia || exit 1
session "$tmp/slow.pem" > "$tmp/slow.code" &
slow=$!
sleep 1
other_served() {
	local code start=$SECONDS
	code=$(session device 4)
	echo "HTTP $code after $((SECONDS - start)) s"
	[ "$code" = 204 ] && grep -q "certificate of $ID: good (OCSP http://127.0.0.1:8888)" "$tmp/hems.log" ||
		{ cat "$tmp/hems.log"; false; }
}
check "a responder that never answers: another device's session completes meanwhile" other_served
slow_refused() {
	wait "$slow"
	[ "$(cat "$tmp/slow.code")" = 403 ] &&
	grep -q "no revocation status for the certificate of $slow_id (OCSP http://127.0.0.1:8889: .*): no session (strict)" "$tmp/hems.log" ||
		{ cat "$tmp/slow.code" "$tmp/hems.log"; false; }
}
check "the device whose responder never answers: no session (strict) after the timeout" slow_refused
kill "$silent" 2>/dev/null
wait "$silent" 2>/dev/null
responder_stop

# CRLs: current, expired (nextUpdate passed), signed by somebody else.
openssl ca -config "$ca/ca.cnf" -gencrl -out "$tmp/root.crl" 2>/dev/null &&
openssl ca -config "$ca/ca.cnf" -gencrl -crl_lastupdate 20200101000000Z \
	-crl_nextupdate 20200201000000Z -out "$tmp/expired.crl" 2>/dev/null || exit 1
hems_start --revocation crl --crl "$tmp/root.crl" || exit 1
check "CRL: a listed certificate gets no session" refused device-revoked \
	"certificate of $ID is revoked (CRL $tmp/root.crl, reason keyCompromise): no session"
check "CRL: an unlisted certificate gets a session" admitted device \
	"certificate of $ID: good (CRL $tmp/root.crl)"
hems_start --revocation crl --crl "$tmp/expired.crl" || exit 1
check "CRL expired, strict: no session" refused device \
	"no revocation status for the certificate of $ID (CRL $tmp/expired.crl: the CRL expired at .*): no session (strict)"
hems_start --revocation crl --crl "$tmp/expired.crl" --revocation-policy soft || exit 1
check "CRL expired, soft: session with a warning" admitted device \
	"warning: no revocation status for the certificate of $ID (CRL $tmp/expired.crl: the CRL expired at .*): session continues (soft)"
hems_stop
bad_option() {
	"$HEMS" --db "$tmp/hems.db" serve --listen 127.0.0.1 --port 7547 \
		--cert "$PKI/hems.pem" --key "$PKI/hems.key" --ca "$PKI/root.pem" \
		--public-url https://hems.hnbtre.test:7547 --revocation crl 2> "$tmp/err"
	[ $? = 2 ] && grep -q -- "--revocation crl needs --crl" "$tmp/err"
}
check "--revocation crl without --crl: refused at start" bad_option
off_said() {
	hems_start --revocation off &&
	admitted device "device certificates are not checked for revocation (--revocation off)"
}
check "--revocation off: a session without a check, said at start" off_said
exit $((failed > 0))
