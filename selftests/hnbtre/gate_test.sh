#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The TrE gate on the device key: every state x sign/decrypt/query, the
# gate following the state live, unreadable key material, bypass attempts,
# unload refusal, wrapper parsing errors.  TAP 13; run as root in a VM.
. "$(dirname "$0")/gate_lib.sh"

echo "TAP version 13"
load_module || bail "insmod failed"
openssl x509 -in "$pki/device.pem" -pubkey -noout > "$work/devpub.pem"
head -c 1000 /dev/urandom > "$work/data"
openssl dgst -sha256 -binary "$work/data" > "$work/digest"
head -c 32 /dev/urandom > "$work/secret"
openssl pkeyutl -encrypt -pubin -inkey "$work/devpub.pem" \
	-pkeyopt rsa_padding_mode:pkcs1 -in "$work/secret" -out "$work/cipher"

sign() {
	keyctl pkey_sign "$1" 0 "$work/digest" enc=pkcs1 hash=sha256 > "$work/sig" &&
	openssl dgst -sha256 -verify "$work/devpub.pem" -signature "$work/sig" \
		"$work/data" >/dev/null
}
decrypt() {
	keyctl pkey_decrypt "$1" 0 "$work/cipher" enc=pkcs1 > "$work/plain" &&
	cmp -s "$work/plain" "$work/secret"
}
query_ops() { keyctl pkey_query "$1" 0 enc=pkcs1 hash=sha256; }
query_open() {
	query_ops "$1" >&2 query_ops "$1" | grep -q '^sign=y' && query_ops "$1" | grep -q '^dec=y'; }
query_closed() {
	query_ops "$1" | grep -q '^sign=n' && query_ops "$1" | grep -q '^dec=n' &&
	query_ops "$1" | grep -q '^verify=y'
}
# matrix STATE KEY: the three operations in a state
matrix() {
	local st=$1 key=$2
	if [ "$st" = trusted ]; then
		check "$st: sign works, openssl verifies it" sign "$key"
		check "$st: decrypt works" decrypt "$key"
		check "$st: query advertises sign and decrypt" query_open "$key"
	else
		refuses "Key was rejected" "$st: sign refused with EKEYREJECTED" sign "$key"
		refuses "Key was rejected" "$st: decrypt refused with EKEYREJECTED" decrypt "$key"
		check "$st: query hides sign and decrypt" query_closed "$key"
	fi
}

# Wrapper parsing
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out "$work/small.key" 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/ec.key" 2>/dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072 -out "$work/big.key" 2>/dev/null
wrap_key "$work/small.key" "$work/small.wrapped"
wrap_key "$work/ec.key" "$work/ec.wrapped"
wrap_key "$work/big.key" "$work/big.wrapped"
wrap_key "$pki/device.key" "$work/device.wrapped"
head -c -1 "$work/device.wrapped" > "$work/truncated.wrapped"
cp "$work/device.wrapped" "$work/trailing.wrapped"; echo >> "$work/trailing.wrapped"
refuses "Invalid argument" "1024-bit RSA key refused" \
	keyctl padd asymmetric hnbtre:device @s < "$work/small.wrapped"
refuses "Package not installed" "EC key refused with ENOPKG" \
	keyctl padd asymmetric hnbtre:device @s < "$work/ec.wrapped"
refuses "Bad message" "truncated wrapper refused with EBADMSG" \
	keyctl padd asymmetric hnbtre:device @s < "$work/truncated.wrapped"
refuses "Bad message" "trailing bytes refused with EBADMSG" \
	keyctl padd asymmetric hnbtre:device @s < "$work/trailing.wrapped"
refuses "Invalid argument" "other key description refused" \
	keyctl padd asymmetric other %:.hnbtre_device < "$work/device.wrapped"
check "the keyring is still empty after the refusals" \
	test -z "$(keyctl rdescribe %:.hnbtre_device >/dev/null && keyctl list %:.hnbtre_device | grep -v 'keyring is empty')"

# Load once
key=$(load_device_key) && ok "device key loaded into .hnbtre_device" ||
	{ not_ok "device key loaded into .hnbtre_device"; finish; }
refuses "File exists" "second device key refused with EEXIST" \
	keyctl padd asymmetric hnbtre:device %:.hnbtre_device < "$work/big.wrapped"
other=$(keyctl newring other @s)
bigkey=$(keyctl padd asymmetric hnbtre:device "$other" < "$work/big.wrapped") &&
	ok "3072-bit key accepted outside the device keyring" ||
	not_ok "3072-bit key accepted outside the device keyring"
refuses "Key was rejected" "a user key cannot enter .hnbtre_device" \
	keyctl link "$(keyctl add user hnbtre:device secret "$other")" %:.hnbtre_device
modprobe pkcs8_key_parser
openssl pkcs8 -topk8 -nocrypt -in "$pki/device.key" -outform DER > "$work/device.pk8"
refuses "Key was rejected" "the stock PKCS#8 parser's key cannot enter .hnbtre_device" \
	keyctl padd asymmetric stock %:.hnbtre_device < "$work/device.pk8"
stock=$(keyctl padd asymmetric stock "$other" < "$work/device.pk8")
refuses "Key was rejected" "linking an ungated key into .hnbtre_device refused" \
	keyctl link "$stock" %:.hnbtre_device

# Unreadable by every path
for cmd in read pipe print; do
	refuses "" "keyctl $cmd fails" keyctl $cmd "$key"
done
check "setperm can grant read" keyctl setperm "$key" 0x3f3f0000
refuses "" "keyctl read fails even after setperm grants read" keyctl read "$key"
check "/proc/keys shows no key material" \
	sh -c "! grep -a -F \"$(openssl rsa -in "$pki/device.key" -noout -modulus 2>/dev/null | cut -c9-40)\" /proc/keys"

# The matrix, and the gate following the state live on one key handle
matrix "$(state)" "$key"
make_trusted && ok "validation makes the TrE trusted" || not_ok "validation makes the TrE trusted"
matrix trusted "$key"
tamper
check "tampering closes the TrE at once" test "$(state)" = tampered
matrix tampered "$key"
revalidate
check "validation after tampering: failed" test "$(state)" = failed
matrix failed "$key"
repair
check "repair and re-validation: trusted" test "$(state)" = trusted
matrix trusted "$key"
tamper
third=$(keyctl newring third @s)
keyctl link "$key" "$third"
refuses "Key was rejected" "linking the key into another keyring does not bypass the gate" \
	sign "$(keyctl search "$third" asymmetric hnbtre:device)"
refuses "Key was rejected" "a gated key in another keyring is gated too" \
	keyctl pkey_sign "$bigkey" 0 "$work/digest" enc=pkcs1 hash=sha256
check "refusals are audited with key, operation and state" \
	sh -c "dmesg | grep -q 'op=hnbtre_key_refused key=$key operation=sign state=tampered'"
check "stock key on the same material is not affected by hnbtre" sign "$stock"

refuses "in use" "rmmod refused while a gated key exists" rmmod hnbtre
check "module still loaded" grep -q '^hnbtre ' /proc/modules
finish
