#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Enrolment to the operator PKI over CMPv2 (Documentation/enrolment.md,
# TS 33.310 9.5, TS 33.320 7.2.2 NOTE 2b): `hnbtre enrol` against the
# test CMP server (userspace/tests/cmp_server) in its own network
# namespace.  Initial request authenticated by the vendor certificate
# (signed by the TrE key) and by a pre-shared reference value (MAC); key
# update signed by the current TrE key; renewal below a fraction of the
# lifetime; and every response the device must refuse, after which the
# certificate file and the TrE's key are unchanged.
. "$(dirname "$0")/gate_lib.sh"
tap_init 30

DEV_ADDR=10.99.2.2
CMP_ADDR=10.99.2.1
SERVER=$TOP/build/tests/cmp_server
id=$(cat "$PKI/identity")
ring=%:.hnbtre_device
cleanup() {
	local f
	for f in "$WORK"/cmp-*.pid; do stop_pidfile "$f"; done
	ip netns del hnb-dev 2>/dev/null
	ip netns del hnb-cmp 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT

# cmp_start PORT [OPTION...]: the operator's CMP server, issuing from the
# test root (evil-root with --evil-ca), answering as cmp.pem (evil-cmp.pem
# with --evil-signer).
cmp_start() {
	local port=$1 signer=cmp ca=root i
	shift
	if [ "${1:-}" = --evil-signer ]; then signer=evil-cmp; shift; fi
	if [ "${1:-}" = --evil-ca ]; then ca=evil-root; shift; fi
	ip netns exec hnb-cmp "$SERVER" "$port" "$PKI/$ca.pem" "$PKI/$ca.key" \
		"$PKI/$signer.pem" "$PKI/$signer.key" "$PKI/root.pem" "$@" \
		> "$WORK/cmp-$port.log" 2>&1 &
	echo $! > "$WORK/cmp-$port.pid"
	for i in $(seq 100); do
		ip netns exec hnb-cmp bash -c "echo > /dev/tcp/127.0.0.1/$port" 2>/dev/null &&
			return 0
		sleep 0.1
	done
	return 1
}
# enrol PORT ARGS...: hnbtre enrol from the device's namespace (nsenter:
# `ip netns exec` would mount a /sys without securityfs).
enrol() {
	local port=$1
	shift
	nsenter --net=/run/netns/hnb-dev "$HNBTRE" enrol --server "http://$CMP_ADDR:$port/pkix/" \
		--roots "$PKI/root.pem" "$@"
}
tre_key() { keyctl search $ring asymmetric hnbtre:device; }
# signs_for CERT: the TrE's device key is the key of CERT.
signs_for() {
	local key
	key=$(tre_key) &&
	openssl x509 -in "$1" -pubkey -noout > "$WORK/pub" &&
	keyctl pkey_sign "$key" 0 "$WORK/digest" enc=pkcs1 hash=sha256 > "$WORK/sig" &&
	openssl pkeyutl -verify -pubin -inkey "$WORK/pub" -in "$WORK/digest" \
		-sigfile "$WORK/sig" -pkeyopt digest:sha256 > /dev/null
}
names_identity() {
	openssl x509 -in "$1" -noout -subject -ext subjectAltName |
		grep -q "CN *= *$id" &&
	openssl x509 -in "$1" -noout -ext subjectAltName | grep -q "URI:urn:hnbtre:identity:$id" &&
	openssl verify -CAfile "$PKI/root.pem" "$1" > /dev/null
}
# snapshot / unchanged: the certificate file and the TrE's key.
snapshot() { before="$(sha256sum < "$WORK/op.pem") $(tre_key)"; }
unchanged() {
	local now
	now="$(sha256sum < "$WORK/op.pem") $(tre_key)"
	[ "$now" = "$before" ] || { echo "changed: $before -> $now"; return 1; }
}
# refused TEXT NAME ENROL_ARGS...: enrol fails, says TEXT, changes nothing.
refused() {
	local text=$1 name=$2 out changes=
	shift 2
	snapshot
	tap_n=$((tap_n + 1))
	if out=$(enrol "$@" --cert "$WORK/op.pem" 2>&1); then
		echo "not ok $tap_n - $name"
		echo "# succeeded: $out"
		tap_failed=$((tap_failed + 1))
	elif [[ $out != *"$text"* ]] || ! changes=$(unchanged); then
		echo "not ok $tap_n - $name"
		echo "$out$changes" | sed 's/^/# /'
		tap_failed=$((tap_failed + 1))
	else
		echo "ok $tap_n - $name"
		echo "$out" | grep -v '^[0-9A-F]*:error:' | sed 's/^/# /'
	fi
}

head -c 32 /dev/zero > "$WORK/digest"
check "module loads with the identity" fresh_module identity="$id"
check "trusted" make_trusted
vendor_key=$(load_device_key)
check "vendor key admitted" test -n "$vendor_key"
check "namespaces" netns_pair cmp $CMP_ADDR
check "CMP server (signed responses)" cmp_start 8829
check "initial request authenticated by the vendor certificate" \
	enrol 8829 --initial --vendor-cert "$PKI/device.pem" --cert "$WORK/op.pem"
check "the certificate names the identity and chains to the root" names_identity "$WORK/op.pem"
check "the TrE's device key is the certificate's key" signs_for "$WORK/op.pem"
check "the vendor key was replaced" test "$(tre_key)" != "$vendor_key"
cp "$WORK/op.pem" "$WORK/op1.pem"
key1=$(tre_key)
check "key update signed by the current TrE key" enrol 8829 --cert "$WORK/op.pem"
check "a new certificate for a new key in the TrE" \
	sh -c "! cmp -s $WORK/op.pem $WORK/op1.pem && [ \"\$(keyctl search $ring asymmetric hnbtre:device)\" != $key1 ]"
check "the TrE's key is the new certificate's" signs_for "$WORK/op.pem"
snapshot
not_renewed() { enrol 8829 --cert "$WORK/op.pem" --renew-below 0.5 | grep -q 'not renewed'; }
check "--renew-below 0.5 with most of the lifetime left: not renewed" not_renewed
check "... and nothing changed" unchanged
check "CMP server issuing 20-second certificates" cmp_start 8830 --seconds 20
check "a short-lived certificate" enrol 8830 --cert "$WORK/op.pem"
cp "$WORK/op.pem" "$WORK/short.pem"
check "--renew-below 0.5 renews the short-lived certificate" \
	enrol 8829 --cert "$WORK/op.pem" --renew-below 0.5
check "renewed: a one-day certificate for the TrE's new key" \
	sh -c "! cmp -s $WORK/op.pem $WORK/short.pem && openssl x509 -in $WORK/op.pem -noout -checkend 3600 > /dev/null"
check "the TrE's key is the renewed certificate's" signs_for "$WORK/op.pem"

# What the device must refuse; nothing replaced after each.
cmp_start 8831 --evil-signer
refused "key update refused or failed" "a response signed by a CMP server of an unknown CA" 8831
cmp_start 8832 --other-identity
refused "does not name the TrE's identity" "a certificate for another identity" 8832
cmp_start 8833 --other-key
refused "does not match our enrollment key" "a certificate for another public key" 8833
cmp_start 8834 --record "$WORK/recorded.der"
enrol 8834 --cert "$WORK/op.pem" > /dev/null
cmp_start 8835 --replay "$WORK/recorded.der"
refused "key update refused or failed" "a replayed response (earlier transaction ID and nonces)" 8835
refused "no root the TrE holds" "--roots the TrE does not hold" 8829 --roots "$PKI/evil-root.pem"
check "CMP server accepting a pre-shared reference value (MAC)" \
	cmp_start 8836 --secret "$PKI/cmp.secret"
check "initial request authenticated by the reference value (MAC)" \
	enrol 8836 --initial --secret "$PKI/cmp.secret" --reference "$id" --cert "$WORK/mac.pem"
check "the TrE's key is the MAC-enrolled certificate's" signs_for "$WORK/mac.pem"
cmp_start 8837 --evil-ca --secret "$PKI/cmp.secret"
refused "does not chain to a root the TrE holds" \
	"a MAC-protected response with a certificate of an unknown CA" \
	8837 --initial --secret "$PKI/cmp.secret" --reference "$id"
tamper
refused "not trusted" "a key update while the TrE is tampered" 8829
check "unloaded through the test-build hook" unload_with_keys
tap_done
