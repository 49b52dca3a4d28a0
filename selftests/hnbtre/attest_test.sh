#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Attestation: the transaction file's errnos, a blob verified by plain
# openssl, its fields, availability while the gate is closed, rejection of
# replayed and altered attestations by `hnbtre verify-attestation`, and
# 10000 hostile writes.
. "$(dirname "$0")/gate_lib.sh"
tap_init 32
HOSTILE=$(dirname "$(readlink -f "$0")")/attest_hostile

id=$(cat "$PKI/identity")
fresh_module identity="$id" || exit 1
openssl x509 -in "$PKI/device.pem" -pubkey -noout > "$WORK/devpub.pem"

# attest NONCE_HEX OUT: one transaction on one fd, as the docs describe.
attest() {
	local hex=$1 out=$2
	exec 3<>$SFS/attest || return 1
	printf "$(echo "$hex" | sed 's/../\\x&/g')" >&3 &&
	cat <&3 > "$out"
	local rc=$?
	exec 3<&-
	return $rc
}
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
	openssl dgst -sha256 -verify "$WORK/devpub.pem" -signature "$1.sig" "$1.body" |
		grep -qx 'Verified OK'
}
verify() { "$HNBTRE" verify-attestation --cert "$PKI/device.pem" "$@"; }
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
state_is() { [ "$(field "$1" 22 1)" = "$2" ]; }
fields_match() {
	[ "$(field "$1" 22 1) $(hexat "$1" 64 32) $(hexat "$1" 96 32) $(field "$1" 24 8)" = \
	  "1 $(cut -d: -f2 $SFS/tim) $(cut -d: -f2 $SFS/rim) 1" ]
}
nonce_identity() {
	[ "$(hexat "$1" 154 24)" = "$nonce" ] &&
	[ "$(tail -c +$((154 + 24 + 1)) "$1.body")" = "$id" ]
}
counter_increases() {
	attest $nonce2 "$WORK/a2" && [ "$(field "$WORK/a2" 32 8)" -gt "$(field "$1" 32 8)" ]
}
other_identity() {
	openssl req -new -x509 -key "$PKI/device.key" -subj "/CN=someone-else" \
		-days 1 -out "$WORK/other.pem" 2>/dev/null &&
	"$HNBTRE" verify-attestation --cert "$WORK/other.pem" --nonce $nonce "$1" > "$WORK/out"
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
	[ "$(tail -c +155 "$WORK/a5" | head -c 18)" = BBBBBBBBBBBBBBBBBB ]
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
check "no device key: ENOKEY" no_key

key=$(load_device_key)
check "attestation while unvalidated" attest $nonce "$WORK/a0"
check "unvalidated attestation says so (state 0)" state_is "$WORK/a0" 0
check "plain openssl verifies the unvalidated attestation" openssl_verifies "$WORK/a0"
check "validation makes the TrE trusted" make_trusted
check "attestation while trusted" attest $nonce "$WORK/a1"
check "plain openssl verifies the signature over the body" openssl_verifies "$WORK/a1"
check "the body starts with the format identifier" \
	test "$(head -c 16 "$WORK/a1")" = "HNBTRE-ATTEST-1"
check "nonce and identity are in the blob" nonce_identity "$WORK/a1"
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
tap_done
