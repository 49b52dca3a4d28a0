#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The TrE gate on the device key: every state x sign/decrypt/query, the
# gate following the state live, unreadable key material, bypass attempts,
# unload refusal, wrapper parsing errors.  TAP 13; run as root in a VM.
. "$(dirname "$0")/gate_lib.sh"
tap_init 52
fresh_module || exit 1
openssl x509 -in "$PKI/device.pem" -pubkey -noout > "$WORK/devpub.pem"
head -c 1000 /dev/urandom > "$WORK/data"
openssl dgst -sha256 -binary "$WORK/data" > "$WORK/digest"
head -c 32 /dev/urandom > "$WORK/secret"
openssl pkeyutl -encrypt -pubin -inkey "$WORK/devpub.pem" \
	-pkeyopt rsa_padding_mode:pkcs1 -in "$WORK/secret" -out "$WORK/cipher"

sign() {
	keyctl pkey_sign "$1" 0 "$WORK/digest" enc=pkcs1 hash=sha256 > "$WORK/sig" &&
	openssl dgst -sha256 -verify "$WORK/devpub.pem" -signature "$WORK/sig" \
		"$WORK/data" >/dev/null
}
decrypt() {
	keyctl pkey_decrypt "$1" 0 "$WORK/cipher" enc=pkcs1 > "$WORK/plain" &&
	cmp -s "$WORK/plain" "$WORK/secret"
}
query_ops() { keyctl pkey_query "$1" 0 enc=pkcs1 hash=sha256; }
query_open() {
	query_ops "$1" | grep -q '^sign=y' && query_ops "$1" | grep -q '^decrypt=y'
}
query_closed() {
	query_ops "$1" | grep -q '^sign=n' && query_ops "$1" | grep -q '^decrypt=n' &&
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
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out "$WORK/small.key" 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$WORK/ec.key" 2>/dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072 -out "$WORK/big.key" 2>/dev/null
wrap_key "$WORK/small.key" "$WORK/small.wrapped"
wrap_key "$WORK/ec.key" "$WORK/ec.wrapped"
wrap_key "$WORK/big.key" "$WORK/big.wrapped"
wrap_key "$PKI/device.key" "$WORK/device.wrapped"
head -c -1 "$WORK/device.wrapped" > "$WORK/truncated.wrapped"
cp "$WORK/device.wrapped" "$WORK/trailing.wrapped"; echo >> "$WORK/trailing.wrapped"
refuses "Invalid argument" "1024-bit RSA key refused" \
	keyctl padd asymmetric hnbtre:device @s < "$WORK/small.wrapped"
refuses "Package not installed" "EC key refused with ENOPKG" \
	keyctl padd asymmetric hnbtre:device @s < "$WORK/ec.wrapped"
refuses "Bad message" "truncated wrapper refused with EBADMSG" \
	keyctl padd asymmetric hnbtre:device @s < "$WORK/truncated.wrapped"
refuses "Bad message" "trailing bytes refused with EBADMSG" \
	keyctl padd asymmetric hnbtre:device @s < "$WORK/trailing.wrapped"
refuses "Permission denied" "keyctl cannot add to .hnbtre_device, whatever the key" \
	keyctl padd asymmetric hnbtre:device %:.hnbtre_device < "$WORK/device.wrapped"
check_write "device_key: a truncated wrapper refused with EBADMSG" \
	EBADMSG $SFS/device_key "$WORK/truncated.wrapped"
check_write "device_key: trailing bytes refused with EBADMSG" \
	EBADMSG $SFS/device_key "$WORK/trailing.wrapped"
check_write "device_key: a 1024-bit key refused with EINVAL" \
	EINVAL $SFS/device_key "$WORK/small.wrapped"
check_write "device_key: not a wrapper, refused with EBADMSG" \
	EBADMSG $SFS/device_key "$PKI/ima.der"
check "the keyring is still empty after the refusals" \
	test -z "$(keyctl rdescribe %:.hnbtre_device >/dev/null && keyctl list %:.hnbtre_device | grep -v 'keyring is empty')"

# mutated_wrappers N: N random mutations of the wrapper (byte flips,
# truncations, length bytes) are accepted or refused with a parser errno,
# never anything else; accepted ones go to a scratch keyring, cleared after.
mutated_wrappers() {
	local scratch i size off err bad=0
	scratch=$(keyctl newring scratch @s)
	size=$(stat -c %s "$WORK/device.wrapped")
	for i in $(seq "$1"); do
		cp "$WORK/device.wrapped" "$WORK/mutant"
		off=$((RANDOM % size))
		case $((i % 3)) in
		0) printf "\\x$(printf %02x $((RANDOM % 256)))" |
			dd of="$WORK/mutant" bs=1 seek=$off conv=notrunc status=none ;;
		1) truncate -s $off "$WORK/mutant" ;;
		2) off=$((16 + RANDOM % 40))
		   printf '\x84' | dd of="$WORK/mutant" bs=1 seek=$off conv=notrunc status=none ;;
		esac
		err=$(keyctl padd asymmetric hnbtre:device "$scratch" < "$WORK/mutant" 2>&1 >/dev/null)
		case $err in
		""|*"Bad message"*|*"Package not installed"*|*"Invalid argument"*) ;;
		*) echo "mutation $i at $off: $err"; bad=1 ;;
		esac
	done
	keyctl clear "$scratch"
	keyctl unlink "$scratch" @s
	return $bad
}
check "300 mutated wrappers: accepted or EBADMSG/ENOPKG/EINVAL, no crash" \
	mutated_wrappers 300

# Load once
key=$(load_device_key)
check "device key loaded into .hnbtre_device" test -n "$key"
check_write "second device key refused with EEXIST" EEXIST $SFS/device_key "$WORK/big.wrapped"
other=$(keyctl newring other @s)
bigkey=$(keyctl padd asymmetric hnbtre:device "$other" < "$WORK/big.wrapped")
check "3072-bit key accepted outside the device keyring" test -n "$bigkey"
refuses "Permission denied" "a user key cannot be linked into .hnbtre_device" \
	keyctl link "$(keyctl add user hnbtre:device secret "$other")" %:.hnbtre_device
modprobe pkcs8_key_parser
openssl pkcs8 -topk8 -nocrypt -in "$PKI/device.key" -outform DER > "$WORK/device.pk8"
check_write "the stock PKCS#8 parser's key cannot enter .hnbtre_device" \
	EBADMSG $SFS/distress_key "$WORK/device.pk8"
stock=$(keyctl padd asymmetric stock "$other" < "$WORK/device.pk8")
refuses "Permission denied" "linking an ungated key into .hnbtre_device refused" \
	keyctl link "$stock" %:.hnbtre_device

# Unreadable by every path
for cmd in read pipe print; do
	refuses "" "keyctl $cmd fails" keyctl $cmd "$key"
done
refuses "Permission denied" "setperm cannot grant read" keyctl setperm "$key" 0x3f3f0000
check "/proc/keys shows no key material" \
	sh -c "! grep -a -F \"$(openssl rsa -in "$PKI/device.key" -noout -modulus 2>/dev/null | cut -c9-40)\" /proc/keys"

# The matrix, and the gate following the state live on one key handle
matrix "$(state)" "$key"
check "validation makes the TrE trusted" make_trusted
matrix trusted "$key"
tamper
check "tampering closes the TrE at once" test "$(state)" = tampered
matrix tampered "$key"
echo 1 > $SFS/validate 2>/dev/null
check "validation after tampering: failed" test "$(state)" = failed
matrix failed "$key"
repair 2>/dev/null
check "repair and re-validation: trusted" test "$(state)" = trusted
matrix trusted "$key"
tamper
third=$(keyctl newring third @s)
refuses "Permission denied" "the device key cannot be linked into another keyring" \
	keyctl link "$key" "$third"
refuses "Key was rejected" "a gated key in another keyring is gated too" \
	keyctl pkey_sign "$bigkey" 0 "$WORK/digest" enc=pkcs1 hash=sha256
check "refusals are audited with key, operation and state" \
	sh -c "dmesg | grep -q 'op=hnbtre_key_refused key=$key operation=sign state=tampered'"
check "stock key on the same material is not affected by hnbtre" sign "$stock"

refuses "in use" "rmmod refused while a gated key exists" rmmod hnbtre
check "module still loaded" grep -q '^hnbtre ' /proc/modules
refuses "Permission denied" "the device key cannot be unlinked" \
	keyctl unlink "$key" %:.hnbtre_device
refuses "Permission denied" "the device key cannot be revoked" keyctl revoke "$key"
refuses "not permitted" "the device key cannot be invalidated (KEEP)" keyctl invalidate "$key"
check_write "no second device key while the first exists" \
	EEXIST $SFS/device_key "$WORK/device.wrapped"
check "unload succeeds once every gated key is gone" \
	unload_with_keys "$key" "$bigkey"
tap_done
