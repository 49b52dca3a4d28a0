#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Renewal of the device certificate, scheduled (Documentation/enrolment.md,
# "Renewal"; TS 33.320 7.2.2 NOTE 2b): hnbtre-cwmpd, before a session,
# finds less than --renew-below of the certificate's lifetime left and
# runs --renew-cmd (here `hnbtre enrol` and a reload of the device's
# charon); that session and the next IKE SA present the renewed
# certificate, as the H(e)MS and the SeGW see it (serial numbers on the
# server side).  One operator namespace holds the SeGW's charon, the
# H(e)MS and the CMP server.  The CMP server's certificates carry no
# AIA/OCSP: the H(e)MS runs with --revocation off, hnbtre-cwmpd with
# --ocsp off, both charons with the revocation plugin's OCSP and CRL
# fetching off.
. "$(dirname "$0")/gate_lib.sh"
. "$(dirname "$0")/ike_lib.sh"
. "$(dirname "$0")/tr069_lib.sh"
CHECKS=12
tap_init $CHECKS
ike_prereqs && [ -x "$CWMPD" ] && [ -x "$HEMS" ] ||
	skip_all $CHECKS "needs strongSwan, busybox, veth, the plugin, hnbtre-cwmpd and hnbtre-hems"
# tr069_lib's addresses (the H(e)MS certificate names 10.99.1.1); the
# SeGW and the CMP server are at the same address.
SEGW_ADDR=$HEMS_ADDR
CMP_ADDR=$HEMS_ADDR
CMP_NS=hnb-hems
. "$(dirname "$0")/enrol_lib.sh"
id=$(cat "$PKI/identity")
IDENTITY=$id
ID_DEV="CN=$id"
REVOKE="enable_ocsp = no
enable_crl = no"
renew_teardown() {
	hems_stop
	cmp_stop_all
	ike_teardown
	ip netns del hnb-hems 2>/dev/null
	unload_with_keys > /dev/null 2>&1
}
trap renew_teardown EXIT

# operator_net: hnb-dev and hnb-hems (tr069_lib), and the name hnb-segw
# for the same namespace (ike_lib's charons run in hnb-$ROLE).
operator_net() {
	net_setup && touch /run/netns/hnb-segw &&
	mount --bind /run/netns/hnb-hems /run/netns/hnb-segw && xfrm_warm_up
}
# dev_charon: the device's charon with the plugin, the enrolled
# certificate and the root the TrE holds.
dev_charon() {
	charon_up dev yes "cert = $WORK/op.pem" "roots = $PKI/root.pem" "attest = yes" &&
	swanctl_dev segw.hnbtre.test relaxed && load_conf dev
}
# hex_serials: the serial numbers in swanctl --list-certs output, as
# serial_of writes them.
hex_serials() { sed -n 's/^ *serial: *//p' | tr -d : | tr a-f A-F | sed 's/^0*//'; }
# segw_saw SERIAL: the SeGW, its certificate cache flushed before the last
# SA, verified a device certificate with SERIAL and no other of ours.
segw_certs() { vici segw --list-certs --subject "CN=$id" | hex_serials; }
segw_saw() {
	local seen
	seen=$(segw_certs)
	[ "$seen" = "$1" ] || { echo "SeGW certificate cache: ${seen:-nothing}, expected $1"; return 1; }
}
new_sa() { vici segw --flush-certs > /dev/null && attaches; }
# hems_saw SERIAL: the certificate of the device's last session at the
# H(e)MS has SERIAL.
hems_saw() {
	local seen
	rm -f "$WORK/hems-cert.der"
	sqlite3 "$WORK/hems.db" \
		"SELECT writefile('$WORK/hems-cert.der', cert) FROM devices WHERE identity = '$id'" > /dev/null &&
	seen=$(openssl x509 -inform DER -in "$WORK/hems-cert.der" -noout -serial | sed 's/^serial=0*//')
	[ "$seen" = "$1" ] || { echo "H(e)MS: ${seen:-nothing}, expected $1"; return 1; }
}
# session [CWMPD OPTIONS]: one TR-069 session with the enrolled certificate.
renew_cmd="$HNBTRE enrol --server $(cmp_url 8830) --roots $PKI/root.pem --cert $WORK/op.pem &&
STRONGSWAN_CONF=$WORK/dev/strongswan.conf swanctl --reload-settings --uri unix://$WORK/dev/vici"
session() {
	cwmpd $URL --cert "$WORK/op.pem" --ocsp off --renew-cmd "$renew_cmd" "$@" ||
	{ cat "$WORK/cwmpd.out"; return 1; }
}

setup() {
	operator_net && fresh_module identity="$id" && load_device_key > /dev/null &&
	make_trusted && factory_release && expect_rim && keyctl link $ring @s > /dev/null
}
check "bench: namespaces, TrE trusted with the vendor key, its release registered at the H(e)MS" setup
check "CMP servers: 240-second certificates (8829), one-day (8830)" \
	eval 'cmp_start 8829 --seconds 240 && cmp_start 8830'
check "initial enrolment: a 240-second certificate" \
	enrol 8829 --initial --vendor-cert "$PKI/device.pem" --cert "$WORK/op.pem"
first=$(serial_of "$WORK/op.pem")
REVOKE=$REVOKE segw_with_plugin > /dev/null
dev_charon > /dev/null
check "IKE SA with the short-lived certificate: the SeGW saw serial $first" \
	eval 'new_sa && segw_saw "$first"'
check "TR-069 session, more than --renew-below 0.25 left: no renewal, the H(e)MS saw $first" \
	eval 'hems_start && session --renew-below 0.25 && ! cwmpd_said "renew" > /dev/null &&
	      hems_saw "$first"'
# below 0.75 of its 300 s (notBefore is backdated by 60 s): at most 220 s left
wait_below() {
	local i
	for i in $(seq 240); do
		openssl x509 -in "$WORK/op.pem" -noout -checkend 220 > /dev/null || return 0
		sleep 1
	done
	return 1
}
check "the certificate's remaining lifetime falls below 0.75" wait_below
check "next TR-069 session with --renew-below 0.75: the agent ran the renewal first" \
	eval 'session --renew-below 0.75 && cwmpd_said "renew: " &&
	      [ "$(serial_of "$WORK/op.pem")" != "$first" ]'
renewed=$(serial_of "$WORK/op.pem")
check "renewed: a one-day certificate for the TrE's new key" \
	eval 'openssl x509 -in "$WORK/op.pem" -noout -checkend 3600 > /dev/null &&
	      signs_for "$WORK/op.pem"'
# renewed_is SERIAL_CHECK...: the renewal gave a new serial, and the check
# sees it (else both would see the old one and agree).
renewed_is() { [ "$renewed" != "$first" ] && "$@"; }
check "that session presented the renewed certificate: the H(e)MS saw $renewed" \
	renewed_is hems_saw "$renewed"
check "the next TR-069 session: the H(e)MS saw $renewed again, no second renewal" \
	eval 'session --renew-below 0.75 && ! cwmpd_said "renew: " > /dev/null && hems_saw "$renewed"'
check "a new IKE SA: CHILD_SA up, traffic passes" new_sa
check "... and the SeGW saw the renewed certificate ($renewed), not $first" \
	renewed_is segw_saw "$renewed"
tap_done
