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
tap_init 35

DEV_ADDR=10.99.2.2
CMP_ADDR=10.99.2.1
. "$(dirname "$0")/enrol_lib.sh"
id=$(cat "$PKI/identity")
cleanup() {
	cmp_stop_all
	unload_with_keys > /dev/null 2>&1
	ip netns del hnb-dev 2>/dev/null
	ip netns del hnb-cmp 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT

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

# Output files are made with their final mode: not a file left at the
# temporary name (readable by all, and held open by a reader), and not
# one whose mode the umask decides.
install -m 0666 /dev/null "$WORK/op.pem.tmp"
install -m 0666 /dev/null "$WORK/dev.key.tmp"
exec 7< "$WORK/dev.key.tmp"
check "key update with --key-out, under umask 077, KEY.tmp left readable and open" \
	eval '(umask 077 && enrol 8829 --cert "$WORK/op.pem" --key-out "$WORK/dev.key")'
check "... the reader of the file left at KEY.tmp gets nothing of the key" \
	eval '[ "$(wc -c <&7)" = 0 ]'
exec 7<&-
check "... KEY is 0600, the certificate 0644 (public, whatever the umask)" \
	eval '[ "$(stat -c %a "$WORK/dev.key") $(stat -c %a "$WORK/op.pem")" = "600 644" ]'

# With a TPM, --key-out stores the new key sealed (devkey.md, "Keys at
# rest"), for a verdict PCR still at its reset value in this boot: the
# next start-up (a fresh module with that verdict_pcr=, at the end)
# admits it.
zero=$(printf '0%.0s' $(seq 64))
seal_pcr=
if [ -e /dev/tpmrm0 ] && command -v tpm2_pcrread > /dev/null; then
	for p in 8 9 13 14 15; do
		[ "$(pcr_value sha256:$p)" = "${zero^^}" ] && { seal_pcr=$p; break; }
	done
fi
# check_sealed NAME COMMAND...: check, or skipped without a TPM and a PCR.
check_sealed() {
	if [ -z "$seal_pcr" ]; then
		tap_n=$((tap_n + 1))
		echo "ok $tap_n # SKIP $1: needs a TPM 2.0, tpm2-tools and a PCR at its reset value"
	else
		check "$@"
	fi
}
sealed_out() {
	enrol 8829 --cert "$WORK/op.pem" --key-out "$WORK/dev.sealed" --verdict-pcr "$seal_pcr" &&
	[ "$(head -c 15 "$WORK/dev.sealed")" = HNBTRE-SEALED-1 ] &&
	! grep -qa HNBTRE-DEVKEY-1 "$WORK/dev.sealed" &&
	[ "$(stat -c %a "$WORK/dev.sealed")" = 600 ] ||
	{ head -c 16 "$WORK/dev.sealed" | od -c | head -2; return 1; }
}
check_sealed "key update with --key-out and a TPM: a sealed blob (HNBTRE-SEALED-1, 0600), no clear key" sealed_out
cp "$WORK/op.pem" "$WORK/sealed-for.pem"
snapshot
not_renewed() { enrol 8829 --cert "$WORK/op.pem" --renew-below 0.5 | grep -q 'not renewed'; }
check "--renew-below 0.5 with most of the lifetime left: not renewed" not_renewed
check "... and nothing changed" unchanged
# 40 s (from 60 s before issuance): 40% of the lifetime left at once, and
# still valid after the next RSA key generation under TCG (20 s was not
# always enough)
check "CMP server issuing 40-second certificates" cmp_start 8830 --seconds 40
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
next_start_admits() {
	fresh_module identity="$id" verdict_pcr="$seal_pcr" &&
	cat "$WORK/dev.sealed" > $SFS/device_key && make_trusted &&
	grep -qx 'device_key admitted' $SFS/seal && keyctl link $ring @s > /dev/null &&
	signs_for "$WORK/sealed-for.pem" || { cat $SFS/seal; return 1; }
}
check_sealed "the next start-up (verdict_pcr=$seal_pcr) unseals it: the TrE signs for the enrolled certificate" \
	next_start_admits
tap_done
