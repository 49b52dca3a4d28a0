#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The device identity: set once from identity= or a TPM NV index, read-only
# afterwards, and the same identity as in the device certificate.
. "$(dirname "$0")/gate_lib.sh"
tap_init 14

id=$(cat "$PKI/identity")
params=/sys/module/hnbtre/parameters

# refused_load PARAM: insmod fails with EINVAL and nothing stays loaded.
refused_load() {
	insmod "$MODULE" "$1" 2>&1 | grep -q 'Invalid parameters\|Invalid argument' &&
	! grep -q '^hnbtre ' /proc/modules
}

[ -d $SFS ] && unload_pinned
check "identity with a space refused with EINVAL" refused_load "identity=\"has space\""
check "identity with a non-ASCII byte refused" refused_load "identity=caf$(printf "\\xc3\\xa9")"
check "identity longer than 128 bytes refused" \
	refused_load "identity=$(printf 'x%.0s' $(seq 129))"
check "without a source, identity reads ENODATA" \
	sh -c "insmod '$MODULE' && cat $SFS/identity 2>&1 | grep -q 'No data available'"
rmmod hnbtre
check "identity= sets the identity" \
	sh -c "insmod '$MODULE' identity='$id' && [ \"\$(cat $SFS/identity)\" = '$id' ]"
check "identity is read-only in securityfs (mode 0444)" \
	test "$(stat -c %a $SFS/identity)" = 444
check "writing identity fails, even as root" \
	sh -c "! echo other > $SFS/identity 2>/dev/null && [ \"\$(cat $SFS/identity)\" = '$id' ]"
check "the module parameter is read-only" \
	sh -c "[ \"\$(stat -c %a $params/identity)\" = 444 ] &&
	       ! echo other > $params/identity 2>/dev/null &&
	       [ \"\$(cat $SFS/identity)\" = '$id' ]"
check "the device certificate's CN carries the identity" \
	sh -c "openssl x509 -in '$PKI/device.pem' -noout -subject -nameopt multiline |
	       grep -qx '    commonName *= $id'"
check "the device certificate's identity URI carries the identity" \
	sh -c "openssl x509 -in '$PKI/device.pem' -noout -ext subjectAltName |
	       grep -q 'URI:urn:hnbtre:identity:$id\$'"
rmmod hnbtre

# TPM NV index: an ordinary index readable with its (empty) auth value.
nv=0x1500016
nvid="NV-$id"
if [ -e /dev/tpm0 ] && printf '%s' "$nvid" > "$WORK/nvid" &&
   tpm2_nvdefine $nv -C o -s "${#nvid}" -a "ownerread|ownerwrite|authread|authwrite" >/dev/null 2>&1 &&
   tpm2_nvwrite $nv -C o -i "$WORK/nvid" >/dev/null 2>&1; then
	check "identity_nv_index reads the identity from the TPM" \
		sh -c "insmod '$MODULE' identity_nv_index=$nv && [ \"\$(cat $SFS/identity)\" = '$nvid' ]"
	tpm2_nvwrite $nv -C o -i <(printf 'NV-changed-%s' "$id" | head -c ${#nvid}) >/dev/null 2>&1
	check "changing the NV index later does not change the identity" \
		test "$(cat $SFS/identity)" = "$nvid"
	rmmod hnbtre
	check "identity= takes precedence over the NV index" \
		sh -c "insmod '$MODULE' identity='$id' identity_nv_index=$nv && [ \"\$(cat $SFS/identity)\" = '$id' ]"
	rmmod hnbtre
	check "a missing NV index leaves the identity unset" \
		sh -c "insmod '$MODULE' identity_nv_index=0x1500017 && ! cat $SFS/identity 2>/dev/null"
	rmmod hnbtre
else
	for t in "identity_nv_index reads the identity from the TPM" \
		 "changing the NV index later does not change the identity" \
		 "identity= takes precedence over the NV index" \
		 "a missing NV index leaves the identity unset"; do
		tap_n=$((tap_n + 1))
		echo "ok $tap_n - $t # SKIP no TPM 2.0 NV index could be defined"
	done
fi
tap_done
