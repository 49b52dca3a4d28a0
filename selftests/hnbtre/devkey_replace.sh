#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Replacement of the device key (key rotation after a CMP key update,
# Documentation/enrolment.md): only by CAP_SYS_ADMIN, only while the TrE
# state is trusted, only over an admitted key; the old key stops working
# the moment the new one is admitted, the replacement is audited, and a
# refused replacement changes nothing.  TS 33.320 7.2.2 NOTE 2b.
. "$(dirname "$0")/gate_lib.sh"
tap_init 18

ring=%:.hnbtre_device
check "module loads" fresh_module
head -c 32 /dev/zero > "$WORK/digest"
openssl genpkey -quiet -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$WORK/new.key"
wrap_key "$WORK/new.key" "$WORK/new.wrapped"
openssl pkey -in "$WORK/new.key" -pubout -out "$WORK/new.pub"
check "trusted" make_trusted
check_write "no device key yet: replacement refused (ENOKEY)" \
	ENOKEY $SFS/device_key_replace "$WORK/new.wrapped"
check "the refused replacement admitted nothing" \
	sh -c "keyctl link $ring @s && ! keyctl search $ring asymmetric hnbtre:device"
old=$(load_device_key)
check "device key admitted" test -n "$old"
check_write "device_key still admits one key per load (EEXIST)" \
	EEXIST $SFS/device_key "$WORK/new.wrapped"
check "without CAP_SYS_ADMIN: EPERM" \
	sh -c "capsh --drop=cap_sys_admin -- -c '$WRITE $SFS/device_key_replace < $WORK/new.wrapped' | grep -qx EPERM"
head -c 40 "$WORK/new.wrapped" > "$WORK/short"
check_write "a malformed wrapper: EBADMSG" EBADMSG $SFS/device_key_replace "$WORK/short"
current() { keyctl search $ring asymmetric hnbtre:device; }
old_in_place() {
	[ "$(current)" = "$old" ] &&
	keyctl pkey_sign "$old" 0 "$WORK/digest" enc=pkcs1 hash=sha256 > /dev/null
}
check "refusals left the old key in place and working" old_in_place
tampered_refused() {
	tamper && [ "$(state)" = tampered ] &&
	expect_errno EKEYREJECTED $SFS/device_key_replace < "$WORK/new.wrapped"
}
check "tampered: replacement refused (EKEYREJECTED)" tampered_refused
check "still the old key" test "$(current)" = "$old"
repaired() { repair && [ "$(state)" = trusted ]; }
check "repaired: trusted again" repaired
check_write "replacement while trusted succeeds" OK $SFS/device_key_replace "$WORK/new.wrapped"
new=$(current)
check "a new key is the device key" test -n "$new" -a "$new" != "$old"
signed_by_new() {
	keyctl pkey_sign "$new" 0 "$WORK/digest" enc=pkcs1 hash=sha256 > "$WORK/sig" &&
	openssl pkeyutl -verify -pubin -inkey "$WORK/new.pub" -in "$WORK/digest" \
		-sigfile "$WORK/sig" -pkeyopt digest:sha256 > /dev/null
}
check "it signs with the new private key" signed_by_new
# Revoked, not only unlinked: a handle opened on it before fails too.
old_revoked() {
	local flags
	! keyctl pkey_sign "$old" 0 "$WORK/digest" enc=pkcs1 hash=sha256 2>/dev/null &&
	flags=$(awk -v id="$(printf %08x "$old")" '$1 == id { print $3 }' /proc/keys) &&
	{ [ -z "$flags" ] || [[ $flags == ?R* ]]; } || { echo "old key: flags $flags"; return 1; }
}
check "the old key stops working: revoked" old_revoked
check "audited with both serials" \
	sh -c "dmesg | grep -q 'op=hnbtre_key_replace result=replaced old=$old new=$new '"
check "unloaded through the test-build hook" unload_with_keys
rm -rf "$WORK"
tap_done
