#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# IKEv2 with the hnbtre charon plugin on both ends, certificates and
# revocation in both directions (TS 33.320 7.2.2): the SeGW checks the
# device certificate by CRL, OCSP or both; the device checks the SeGW's
# certificate by OCSP and its name against what it connected to.  An
# `openssl ocsp` responder and a CRL over HTTP run on each side's loopback,
# where the test certificates point.
. "$(dirname "$0")/gate_lib.sh"
. "$(dirname "$0")/ike_lib.sh"
ike_init 16

up() {
	make_trusted && load_device_key > /dev/null && expect_rim &&
	revocation_servers && segw_with_plugin && dev_with_plugin
}
check "trusted TrE, device key, revocation servers, both charons up" up

# --- revocation of the device certificate, checked by the SeGW
revoked_device() {
	REVOKE="$1" SEGW_REVOCATION=strict segw_with_plugin &&
	vici segw --flush-certs > /dev/null &&
	DEV_CERT=device-revoked dev_with_plugin && refused &&
	segw_logged "certificate was revoked" &&
	segw_logged "$2"
}
check "device certificate revoked, SeGW checks the CRL: rejected" \
	revoked_device "enable_ocsp = no" "fetching crl from 'http://127.0.0.1:8080/root.crl'"
check "device certificate revoked, SeGW checks OCSP: rejected" \
	revoked_device "enable_crl = no" "requesting ocsp status from 'http://127.0.0.1:8888'"
good_device() {
	REVOKE="$1" SEGW_REVOCATION=strict segw_with_plugin &&
	vici segw --flush-certs > /dev/null &&
	dev_with_plugin && attaches && segw_logged "$2" &&
	segw_logged "certificate status is good"
}
check "good device certificate, SeGW strict on the CRL: accepted" \
	good_device "enable_ocsp = no" "crl correctly signed by"
check "good device certificate, SeGW strict on OCSP: accepted" \
	good_device "enable_crl = no" "ocsp response correctly signed by"
check "good device certificate, SeGW strict on both (OCSP first): accepted" \
	good_device "" "ocsp response correctly signed by"

# --- the SeGW's certificate, checked by the device
segw_ocsp_good() {
	segw_with_plugin && DEV_REVOCATION=strict dev_with_plugin &&
	vici dev --flush-certs > /dev/null && attaches &&
	dev_logged "requesting ocsp status from 'http://127.0.0.1:8888'" &&
	dev_logged "ocsp response correctly signed by" &&
	dev_logged "certificate status is good" &&
	! dev_logged "hnbtre: the OCSP response .* not recommended" > /dev/null
}
check "SeGW certificate good by OCSP (device strict): attached" segw_ocsp_good
ocsp_sha1() {
	stop_pidfile "$WORK/ocsp-dev.pid" && ocsp_start dev sha1 &&
	vici dev --flush-certs > /dev/null && attaches &&
	dev_logged "certificate status is good" &&
	dev_logged "hnbtre: the OCSP response for \"O=hnbtre test operator, CN=segw.hnbtre.test\" is signed with SHA1: not recommended"
}
check "OCSP response signed with SHA-1: accepted, logged as not recommended" ocsp_sha1
stop_pidfile "$WORK/ocsp-dev.pid"
ocsp_start dev
ocsp_sig_sha256() {
	ip netns exec hnb-dev openssl ocsp -issuer "$PKI/root.pem" \
		-cert "$PKI/segw.pem" -url http://127.0.0.1:8888 \
		-CAfile "$PKI/root.pem" -resp_text 2>/dev/null |
		grep -q 'Signature Algorithm: sha256WithRSAEncryption'
}
check "the responder signs with SHA-256" ocsp_sig_sha256
segw_revoked() {
	SEGW_CERT=segw-revoked segw_with_plugin &&
	DEV_REVOCATION=strict dev_with_plugin && refused &&
	dev_logged "certificate was revoked"
}
check "SeGW certificate revoked: device aborts" segw_revoked
san_mismatch() {
	SEGW_CERT=segw-badsan SEGW_ID=$1 segw_with_plugin &&
	DEV_REMOTE_ID=$1 dev_with_plugin && refused &&
	dev_logged "no trusted RSA public key found for '$1'"
}
check "SeGW certificate without the FQDN the device asked for: device aborts" \
	san_mismatch segw.hnbtre.test
check "SeGW certificate without the address the device connected to: device aborts" \
	san_mismatch $SEGW_ADDR
by_address() {
	SEGW_ID=$SEGW_ADDR segw_with_plugin &&
	DEV_REMOTE_ID=$SEGW_ADDR dev_with_plugin && attaches &&
	dev_logged "authentication of '$SEGW_ADDR' with RSA_EMSA_PKCS1_SHA2_256 successful"
}
check "connecting by address, the certificate's iPAddress matches: attached" by_address
responder_down() {
	segw_with_plugin && stop_pidfile "$WORK/ocsp-dev.pid" &&
	DEV_REVOCATION=$1 dev_with_plugin &&
	vici dev --flush-certs > /dev/null && "$2" &&
	dev_logged "$3"
}
check "OCSP responder down, device strict: aborts" \
	responder_down strict refused "certificate status is not available"
check "OCSP responder down, device relaxed: attaches, logs the missing status" \
	responder_down relaxed attaches "certificate status is not available"
ocsp_start dev
check "the SeGW's charon ran through every case" charon_alive segw


tap_done
