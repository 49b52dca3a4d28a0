#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The device identity: set once from identity= or a write-locked TPM NV
# index, read-only afterwards, its source in the status, and the same
# identity as in the device certificate.
. "$(dirname "$0")/gate_lib.sh"
tap_init 20

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
check "without a source, identity reads ENODATA, status says identity -" \
	sh -c "insmod '$MODULE' && cat $SFS/identity 2>&1 | grep -q 'No data available' &&
	       grep -qx 'identity -' $SFS/status"
rmmod hnbtre
check "identity= sets the identity, status says identity parameter" \
	sh -c "insmod '$MODULE' identity='$id' && [ \"\$(cat $SFS/identity)\" = '$id' ] &&
	       grep -qx 'identity parameter' $SFS/status"
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

# TPM NV index (Documentation/devkey.md, "Identity"): only a written index
# whose write lock lasts until it is deleted is the identity.
nv=0x1500016
nvid="NV-$id"
printf '%s' "$nvid" > "$WORK/nvid"
printf 'NV-changed-%s' "$id" | head -c ${#nvid} > "$WORK/nvother"
klog_start=$(klog_mark)
# refused_index REASON: loaded with the index, the identity stays unset,
# the status says so and the kernel log has REASON.
refused_index() {
	insmod "$MODULE" identity_nv_index=$nv || return 1
	! cat $SFS/identity 2>/dev/null && grep -qx 'identity -' $SFS/status &&
	klog_since "$klog_start" | grep -q "identity NV index 0x01500016 refused: .*$1" ||
		{ echo "identity $(cat $SFS/identity 2>&1), no '$1' in the kernel log"; return 1; }
}
define() {
	tpm2_nvundefine $nv -C o >/dev/null 2>&1
	tpm2_nvdefine $nv -C o -s "${#nvid}" -a "ownerread|ownerwrite|authread|authwrite$1" >/dev/null &&
	tpm2_nvwrite $nv -C o -i "$WORK/nvid" >/dev/null
}
if [ -e /dev/tpm0 ] && define ""; then
	check "an index anyone with its (empty) authorization can rewrite is refused" \
		refused_index "not write-locked"
	rmmod hnbtre
	define "|write_stclear" && tpm2_nvwritelock $nv -C o >/dev/null
	check "an index locked only until the next TPM reset is refused" \
		refused_index "write lock ends at the next TPM reset"
	rmmod hnbtre
	define "|writedefine" && tpm2_nvwritelock $nv -C o >/dev/null
	check "a written, write-locked index (writedefine) is the identity" \
		sh -c "insmod '$MODULE' identity_nv_index=$nv && [ \"\$(cat $SFS/identity)\" = '$nvid' ] &&
		       grep -qx 'identity tpm-nv' $SFS/status"
	check "root: tpm2_nvwrite of the locked index is refused, owner or index auth" \
		sh -c "! tpm2_nvwrite $nv -C o -i '$WORK/nvother' 2>/dev/null &&
		       ! tpm2_nvwrite $nv -C $nv -i '$WORK/nvother' 2>/dev/null &&
		       [ \"\$(tpm2_nvread $nv -C $nv)\" = '$nvid' ]"
	check "the attestation says the identity is the TPM's (flag bit 2)" \
		attestation_says "identity_source tpm-nv"
	check "after a reload the identity is still the locked one" \
		sh -c "insmod '$MODULE' identity_nv_index=$nv && [ \"\$(cat $SFS/identity)\" = '$nvid' ]"
	rmmod hnbtre
	check "identity= takes precedence over the NV index, reported as parameter" \
		sh -c "insmod '$MODULE' identity='$id' identity_nv_index=$nv && [ \"\$(cat $SFS/identity)\" = '$id' ] &&
		       grep -qx 'identity parameter' $SFS/status"
	check "the attestation says the identity is the parameter's" \
		attestation_says "identity_source parameter"
	check "root without the owner authorization cannot undefine it to define another" \
		undefine_refused_under_owner_auth $nv
	check "a missing NV index leaves the identity unset" \
		sh -c "insmod '$MODULE' identity_nv_index=0x1500017 && ! cat $SFS/identity 2>/dev/null &&
		       grep -qx 'identity -' $SFS/status"
	rmmod hnbtre
	tpm2_nvundefine $nv -C o >/dev/null 2>&1
else
	for t in "an index anyone with its (empty) authorization can rewrite is refused" \
		 "an index locked only until the next TPM reset is refused" \
		 "a written, write-locked index (writedefine) is the identity" \
		 "root: tpm2_nvwrite of the locked index is refused, owner or index auth" \
		 "the attestation says the identity is the TPM's (flag bit 2)" \
		 "the attestation says the identity is the parameter's" \
		 "after a reload the identity is still the locked one" \
		 "identity= takes precedence over the NV index, reported as parameter" \
		 "root without the owner authorization cannot undefine it to define another" \
		 "a missing NV index leaves the identity unset"; do
		tap_n=$((tap_n + 1))
		echo "ok $tap_n # SKIP $t: no TPM 2.0 NV index could be defined"
	done
fi
tap_done
