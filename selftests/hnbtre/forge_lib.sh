#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Forged attestations: what root on the device makes with the device key
# while the gate is open (issue 17, section 2), for the tests that show
# every verifier refuses them (attest_test.sh: hnbtre verify-attestation,
# ike_forge_test.sh: the SeGW's plugin over IKE, distress_forge_test.sh:
# the distress receiver).  Needs python3, openssl and keyctl; sourced on
# its own as well (by forger_script's forger).

# attest NONCE_HEX OUT: one transaction on one fd of the TrE's attest
# file, as attestation.md describes.  The nonce goes in one write (cat of
# a file): printf writes again after each newline byte.
attest() {
	local hex=$1 out=$2
	printf "$(echo "$hex" | sed 's/../\\x&/g')" > "$out.nonce" || return 1
	exec 3<>"${SFS:-/sys/kernel/security/hnbtre}/attest" || return 1
	cat "$out.nonce" >&3 &&
	cat <&3 > "$out"
	local rc=$?
	exec 3<&-
	return $rc
}

# forge_body BLOB FIELD CERT OUT: OUT = the body of BLOB with FIELD
# claimed otherwise (state, tim, rim, counter, v1: the format 1
# identifier, none), the certificate replaced by CERT (DER) unless "-",
# lengths adjusted for a 2048-bit signature; prints nothing.
forge_body() {
	python3 - "$@" <<'EOP'
import struct, sys
blob, what, cert, out = sys.argv[1:5]
b = bytearray(open(blob, 'rb').read())
body_len = struct.unpack('>I', b[16:20])[0]
nl, il = b[152], b[153]
cl = struct.unpack('>H', b[154:156])[0]
body = b[:body_len]
if what == 'state':
	body[22] = 2
if what == 'tim':
	body[64:96] = b'\x11' * 32
if what == 'rim':
	body[96:128] = b'\x22' * 32
if what == 'counter':
	body[32:40] = struct.pack('>Q', 1)
if what == 'v1':
	body[0:16] = b'HNBTRE-ATTEST-1\n'
if cert != '-':
	c = open(cert, 'rb').read()
	body = body[:156 + nl + il] + c
	body[154:156] = struct.pack('>H', len(c))
body[16:20] = struct.pack('>I', len(body))
body[20:22] = struct.pack('>H', 256)
open(out, 'wb').write(body)
EOP
}

# sign_pkcs1 KEY BODY HASH OUT: keyctl pkey_sign with KEY (a serial)
sign_pkcs1() {
	openssl dgst -"$3" -binary "$2" > "$2.dgst" &&
	keyctl pkey_sign "$1" 0 "$2.dgst" enc=pkcs1 hash="$3" > "$4"
}

# sign_raw KEY BODY OUT: EMSA-PKCS1-v1_5 of SHA-256 built here, then
# KEY's raw RSA (pkey_decrypt enc=raw) over it
sign_raw() {
	{ printf '\x00\x01'; head -c 202 /dev/zero | tr '\0' '\377'; printf '\x00'
	  printf '\x30\x31\x30\x0d\x06\x09\x60\x86\x48\x01\x65\x03\x04\x02\x01\x05\x00\x04\x20'
	  openssl dgst -sha256 -binary "$2"; } > "$2.em" &&
	keyctl pkey_decrypt "$1" 0 "$2.em" enc=raw > "$3"
}

# forge KEY BLOB FIELD CERT HOW OUT [HASH]: OUT = forge_body of BLOB
# signed by KEY through HOW: pkcs1 (pkey_sign, HASH sha256 by default)
# or raw (pkey_decrypt enc=raw); OUT.body is the forged body.
forge() {
	local key=$1 blob=$2 what=$3 cert=$4 how=$5 out=$6 hash=${7:-sha256}
	forge_body "$blob" "$what" "$cert" "$out.body" || return 1
	if [ "$how" = raw ]; then
		sign_raw "$key" "$out.body" "$out.sig"
	else
		sign_pkcs1 "$key" "$out.body" "$hash" "$out.sig"
	fi || { echo "the device key did not sign" >&2; return 1; }
	cat "$out.body" "$out.sig" > "$out"
}

# forger_script OUT KEY: OUT, the forger attest_shim.so runs in mode
# filter (in charon or hnbtre-cwmpd) at each attestation: the genuine
# blob on its stdin (kept as $WORK/genuine), the forgery ($WORK/forged,
# its body and signature beside it) on its stdout.  OUT FIELD CERT HOW:
# forge's, with KEY.
forger_script() {
	printf '%s\n' '#!/bin/bash' ". '$(readlink -f "${BASH_SOURCE[0]}")'" \
		"cat > '$WORK/genuine' &&" \
		"forge $2 '$WORK/genuine' \"\$1\" \"\$2\" \"\$3\" '$WORK/forged' &&" \
		"cat '$WORK/forged'" > "$1" && chmod +x "$1"
}

# check_forgeries: what root on the device signs with the device key
# while the gate is open, FORGERIES checks, each of the caller's
# `forged WHAT CERT HOW REASON`: the forgery presented to its verifier is
# rejected with REASON.
FORGERIES=8
check_forgeries() {
	local bad_signer="not signed by an attestation key of the operator for this identity"

	check "forged state (failed), pkey_sign: bad signature" \
		forged state - pkcs1 "bad signature"
	check "forged TIM, pkey_sign: bad signature" \
		forged tim - pkcs1 "bad signature"
	check "forged RIM, pkey_sign: bad signature" \
		forged rim - pkcs1 "bad signature"
	check "forged counter, pkey_decrypt enc=raw (hand-made PKCS#1): bad signature" \
		forged counter - raw "bad signature"
	check "forged TIM, raw RSA: bad signature" \
		forged tim - raw "bad signature"
	check "the genuine claims re-signed by the device key: bad signature" \
		forged none - pkcs1 "bad signature"
	check "forged TIM, the device certificate as signer, pkey_sign: not an attestation key" \
		forged tim "$PKI/device.der" pkcs1 "$bad_signer"
	check "forged state, the device certificate as signer, raw RSA: not an attestation key" \
		forged state "$PKI/device.der" raw "$bad_signer"
}

# signed_by CERT_PEM FORGED: FORGED (from forge, SHA-256) carries a
# signature of CERT's key over its body: the route did sign.
signed_by() {
	openssl x509 -in "$1" -pubkey -noout > "$2.pub" &&
	openssl dgst -sha256 -verify "$2.pub" -signature "$2.sig" "$2.body" |
		grep -qx 'Verified OK'
}
