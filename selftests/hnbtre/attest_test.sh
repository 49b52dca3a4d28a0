#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Attestation: the transaction file's errnos, the attestation key's files,
# a blob verified by plain openssl, its fields, availability while the
# gate is closed, rejection of replayed and altered attestations by
# `hnbtre verify-attestation` (libhnbtre), forgeries made with everything
# userspace can do with the device key while the gate is open, and 10000
# hostile writes.
. "$(dirname "$0")/gate_lib.sh"
. "$(dirname "$0")/forge_lib.sh"
tap_init 58
HOSTILE=$(dirname "$(readlink -f "$0")")/attest_hostile

id=$(cat "$PKI/identity")
fresh_module identity="$id" || exit 1
openssl x509 -in "$PKI/attest.pem" -pubkey -noout > "$WORK/attpub.pem"

# field BLOB OFFSET BYTES: big-endian unsigned integer
field() { od -An -tu"$3" --endian=big -j "$2" -N "$3" "$1" | tr -d ' '; }
hexat() { od -An -tx1 -v -j "$2" -N "$3" "$1" | tr -d ' \n'; }
# split BLOB: BLOB.body and BLOB.sig at the documented offset
split_blob() {
	local body_len
	body_len=$(field "$1" 16 4)
	head -c "$body_len" "$1" > "$1.body" &&
	tail -c +$((body_len + 1)) "$1" > "$1.sig"
}
openssl_verifies() {
	split_blob "$1" &&
	openssl dgst -sha256 -verify "$WORK/attpub.pem" -signature "$1.sig" "$1.body" |
		grep -qx 'Verified OK'
}
verify() {
	"$HNBTRE" verify-attestation --cert "$PKI/device.pem" --roots "$PKI/root.pem" "$@"
}
rejected() {
	local why=$1
	shift
	local out
	out=$(verify "$@")
	[ $? = 1 ] && grep -qx "rejected: $why.*" <<< "$out"
}

nonce=00112233445566778899aabbccddeeff0123456789abcdef
nonce2=ffeeddccbbaa99887766554433221100

read_enodata() { cat $SFS/attest 2>&1 | grep -q 'No data available'; }
nonce_einval() { head -c "$1" /dev/zero | expect_errno EINVAL $SFS/attest; }
no_key() { ! attest $nonce "$WORK/none" 2> "$WORK/err" && grep -q 'Required key not available' "$WORK/err"; }
cert_len() { field "$1" 154 2; }
state_is() { [ "$(field "$1" 22 1)" = "$2" ]; }
fields_match() {
	[ "$(field "$1" 22 1) $(hexat "$1" 64 32) $(hexat "$1" 96 32) $(field "$1" 24 8)" = \
	  "1 $(cut -d: -f2 $SFS/tim) $(cut -d: -f2 $SFS/rim) 1" ]
}
nonce_identity() {
	[ "$(hexat "$1" 156 24)" = "$nonce" ] &&
	[ "$(tail -c +$((156 + 24 + 1)) "$1.body" | head -c ${#id})" = "$id" ]
}
# the attestation certificate follows the identity, byte for byte attest.der
cert_inside() {
	[ "$(cert_len "$1")" = "$(stat -c %s "$PKI/attest.der")" ] &&
	tail -c +$((156 + 24 + ${#id} + 1)) "$1.body" | cmp -s - "$PKI/attest.der"
}
counter_increases() {
	attest $nonce2 "$WORK/a2" && [ "$(field "$WORK/a2" 32 8)" -gt "$(field "$1" 32 8)" ]
}
other_identity() {
	openssl req -new -x509 -key "$PKI/device.key" -subj "/CN=someone-else" \
		-days 1 -out "$WORK/other.pem" 2>/dev/null &&
	"$HNBTRE" verify-attestation --cert "$WORK/other.pem" --roots "$PKI/root.pem" \
		--nonce $nonce "$1" > "$WORK/out"
	[ $? = 1 ] && grep -qx 'rejected: wrong identity.*' "$WORK/out"
}
cli_attest() {
	"$HNBTRE" attest --nonce $nonce2 > "$WORK/a3" && verify --nonce $nonce2 "$WORK/a3"
}
partial_reads() {
	exec 4<>$SFS/attest
	printf '0123456789abcdef' >&4 && dd bs=7 status=none <&4 > "$WORK/a4"
	exec 4<&-
	openssl_verifies "$WORK/a4"
}
second_write() {
	exec 4<>$SFS/attest
	printf 'AAAAAAAAAAAAAAAA' >&4 && printf 'BBBBBBBBBBBBBBBBBB' >&4 && cat <&4 > "$WORK/a5"
	exec 4<&-
	[ "$(tail -c +157 "$WORK/a5" | head -c 18)" = BBBBBBBBBBBBBBBBBB ]
}
state3_verified() { state_is "$1" 3 && openssl_verifies "$1"; }
not_trusted() { rejected "state not trusted" --nonce $nonce "$1"; }
gated_sign() {
	openssl dgst -sha256 -binary /dev/null > "$WORK/d"
	! keyctl pkey_sign "$key" 0 "$WORK/d" enc=pkcs1 hash=sha256 > /dev/null
}
hostile() {
	"$HOSTILE" 10000 > "$WORK/hostile.tap"
	local rc=$?
	sed 's/^/# /' "$WORK/hostile.tap" >&2
	[ $rc = 0 ]
}

# without CAP_SYS_ADMIN: open fails with EPERM; other users: EACCES (0600)
no_cap() {
	setpriv --inh-caps=-sys_admin --bounding-set=-sys_admin \
		cat $SFS/attest 2>&1 | grep -q 'Operation not permitted'
}
other_user() {
	setpriv --reuid=65534 --regid=65534 --clear-groups \
		cat $SFS/attest 2>&1 | grep -q 'Permission denied'
}

check "open without CAP_SYS_ADMIN: EPERM" no_cap
check "open by another user: EACCES" other_user
check "read without a nonce: ENODATA" read_enodata
check "15-byte nonce: EINVAL" nonce_einval 15
check "65-byte nonce: EINVAL" nonce_einval 65
wrap_key "$PKI/device.key" "$WORK/device.wrapped"
key=$(admit_key device "$WORK/device.wrapped")
check "device key but no attestation key: ENOKEY" no_key
wrap_key "$PKI/attest.key" "$WORK/attest.wrapped"
check_write "attest_key: not a wrapper, EBADMSG" EBADMSG $SFS/attest_key "$PKI/attest.der"
check_write "attest_cert: not DER, EBADMSG" EBADMSG $SFS/attest_cert "$PKI/attest.pem"
mark=$(klog_mark)
check_write "attest_key: the device key's own key, ENOTUNIQ (keyctl users could forge attestations)" \
	ENOTUNIQ $SFS/attest_key "$WORK/device.wrapped"
check "the kernel log says why" \
	eval "klog_since '$mark' | grep -q 'attestation key refused: it is the device key'"
check_write "attest_key: the wrapped attestation key is loaded" \
	OK $SFS/attest_key "$WORK/attest.wrapped"
check_write "attest_key: a second key, EEXIST" EEXIST $SFS/attest_key "$WORK/device.wrapped"
check_write "attest_cert: the device certificate is not the key's, EKEYREJECTED" \
	EKEYREJECTED $SFS/attest_cert "$PKI/device.der"
check "attestation key without its certificate: ENOKEY" no_key
check_write "attest_cert: the attestation certificate is loaded" \
	OK $SFS/attest_cert "$PKI/attest.der"
check_write "attest_cert: a second certificate, EEXIST" EEXIST $SFS/attest_cert "$PKI/attest.der"
# no keyctl route: the device keyring holds the device key alone
check "the attestation key is in no keyring" \
	test "$(keyctl rlist %:.hnbtre_device | wc -w)" = 1
check "attestation while unvalidated" attest $nonce "$WORK/a0"
check "unvalidated attestation says so (state 0)" state_is "$WORK/a0" 0
check "plain openssl verifies the unvalidated attestation" openssl_verifies "$WORK/a0"
check "validation makes the TrE trusted" make_trusted
check "attestation while trusted" attest $nonce "$WORK/a1"
check "plain openssl verifies the signature over the body" openssl_verifies "$WORK/a1"
check "the body starts with the format identifier" \
	test "$(head -c 16 "$WORK/a1")" = "HNBTRE-ATTEST-2"
check "nonce and identity are in the blob" nonce_identity "$WORK/a1"
check "the attestation certificate is in the blob" cert_inside "$WORK/a1"
check "state, TIM, RIM and manifest version are the TrE's" fields_match "$WORK/a1"
check "verdict counts: 2 components ok" \
	test "$(field "$WORK/a1" 128 4) $(field "$WORK/a1" 132 4)" = "0 2"
check "hnbtre verify-attestation: valid" verify --nonce $nonce "$WORK/a1"
check "the counter increases" counter_increases "$WORK/a1"
check "replayed attestation (other nonce) rejected: wrong nonce" \
	rejected "wrong nonce" --nonce $nonce2 "$WORK/a1"
cp "$WORK/a1" "$WORK/altered"
printf '\x03' | dd of="$WORK/altered" bs=1 seek=22 conv=notrunc status=none
check "altered attestation rejected: bad signature" \
	rejected "bad signature" --nonce $nonce "$WORK/altered"
head -c 100 "$WORK/a1" > "$WORK/truncated"
check "truncated attestation rejected: malformed" \
	rejected "malformed" --nonce $nonce "$WORK/truncated"
check "unexpected RIM rejected: TIM differs" \
	rejected "TIM differs" --nonce $nonce --rim "sha256:$(printf '%064d' 0)" "$WORK/a1"
check "certificate of another identity rejected: wrong identity" other_identity "$WORK/a1"
check "hnbtre attest --nonce writes a valid attestation" cli_attest

# Forgeries, while the gate is open (trusted): what root can do with the
# device key.  Each takes the genuine blob, claims something else, and
# signs with the device key by one of the routes keyctl offers.
# forged_rejected WHAT CERT HOW REASON [HASH]: a forgery (forge) that the device
# key did sign, refused by the verifier for REASON
forged_rejected() {
	local what=$1 cert=$2 how=$3 reason=$4 hash=${5:-sha256} f="$WORK/forged-$1-$3-$5"
	forge "$key" "$WORK/a1" "$what" "$cert" "$how" "$f" "$hash" &&
	rejected "$reason" --nonce $nonce "$f"
}
# control: the route works, the forgery is the device key's signature
forged_ok() {
	forge "$key" "$WORK/a1" tim - raw "$WORK/ctl" && signed_by "$PKI/device.pem" "$WORK/ctl"
}
check "control: the device key signs a forged body, openssl verifies it" \
	forged_ok
check "forged state, pkey_sign sha256: rejected" \
	forged_rejected state - pkcs1 "bad signature"
check "forged TIM, pkey_sign sha256, attestation certificate inside: rejected" \
	forged_rejected tim - pkcs1 "bad signature"
check "forged RIM, pkey_sign sha256: rejected" \
	forged_rejected rim - pkcs1 "bad signature"
check "forged counter, pkey_decrypt enc=raw (hand-made PKCS#1): rejected" \
	forged_rejected counter - raw "bad signature"
check "forged TIM, pkey_sign sha512: rejected" \
	forged_rejected tim - pkcs1 "bad signature" sha512
check "forged TIM, the device certificate inside, pkey_sign: not an attestation signer" \
	forged_rejected tim "$PKI/device.der" pkcs1 "not signed by an attestation key"
check "forged TIM, the device certificate inside, raw RSA: not an attestation signer" \
	forged_rejected tim "$PKI/device.der" raw "not signed by an attestation key"
check "a format 1 blob signed by the device key: malformed" \
	forged_rejected v1 - pkcs1 "malformed"
check "the attestation key's certificate for another identity: not an attestation signer" \
	forged_rejected none "$PKI/attest-other.der" pkcs1 "not signed by an attestation key"
check "the attestation key under an untrusted CA: not an attestation signer" \
	forged_rejected none "$PKI/evil-attest.der" pkcs1 "not signed by an attestation key"
check "partial 7-byte reads on one fd give one verifiable blob" partial_reads
check "a second write on the fd replaces the nonce" second_write

tamper
check "attestation is available while tampered (gate closed)" attest $nonce "$WORK/a6"
check "tampered attestation: state 3, verified by openssl" state3_verified "$WORK/a6"
check "tampered attestation rejected: state not trusted" not_trusted "$WORK/a6"
check "tampered: the userspace sign is refused meanwhile" gated_sign
repair
check "10000 hostile writes: documented errnos, well-formed blobs, state unchanged" hostile
check "the module unloads once the device key is gone" unload_with_keys "$key"
# The other order: the attestation key first, then the same key as the
# device key, by admission or by replacement.
fresh_module identity="$id"
mark=$(klog_mark)
check "device_key: the attestation key's own key, ENOTUNIQ, no device key" \
	eval "expect_errno OK $SFS/attest_key < $WORK/attest.wrapped &&
	      expect_errno ENOTUNIQ $SFS/device_key < $WORK/attest.wrapped &&
	      klog_since '$mark' | grep -q 'device key refused: it is the attestation key' &&
	      keyctl link %:.hnbtre_device @s && ! keyctl search %:.hnbtre_device asymmetric hnbtre:device 2>/dev/null"
key=$(admit_key device "$WORK/device.wrapped")
check "device_key_replace with the attestation key while trusted: ENOTUNIQ, the device key stays" \
	eval "make_trusted && expect_errno ENOTUNIQ $SFS/device_key_replace < $WORK/attest.wrapped &&
	      [ \"\$(keyctl search %:.hnbtre_device asymmetric hnbtre:device)\" = $key ]"
check "the module unloads" unload_with_keys "$key"
tap_done
