#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The anti-rollback floor in a TPM NV counter (rollback_nv_index=,
# Documentation/kernel.md "Anti-rollback"): raised when a higher version
# validates trusted, kept across a module reload, and root with tpm2-tools
# cannot lower it, write it, or undefine it and define it anew (nor clear
# the owner hierarchy) to get below it.  reboot_floor.sh shows the same
# across a real reboot.
. "$(dirname "$0")/gate_lib.sh"
tap_init 21

nv=0x1500020
load() { fresh_module rollback_nv_index=$nv "$@"; }
status_floor() { sed -n 's/^floor //p' $SFS/status; }
# counter: the counter's value as tpm2-tools reads it (decimal).
counter() { printf '%d' "0x$(tpm2_nvread $nv -C $nv 2>/dev/null | xxd -p)"; }
# floor_is N: the module and the TPM agree on N.
floor_is() {
	[ "$(status_floor)" = "$1" ] && [ "$(counter)" = "$1" ] ||
		{ echo "status: floor $(status_floor), counter $(counter), expected $1"; return 1; }
}
# refused_version V ERRNO: a manifest of version V is refused with ERRNO
# and the state stays what it was.
refused_version() {
	local before
	before=$(state)
	signed_manifest "$WORK/m$1" "$1" "$WORK"/c/c* &&
	expect_errno "$2" $SFS/manifest < "$WORK/m$1" &&
	[ "$(state)" = "$before" ]
}
loads_trusted() {
	signed_manifest "$WORK/m$1" "$1" "$WORK"/c/c* &&
	cat "$WORK/m$1" > $SFS/manifest && [ "$(state)" = trusted ]
}
# klog_has TEXT: the kernel log since the test started has TEXT.
klog_has() { klog_since "$klog_start" | grep -q "$1" || { echo "no '$1' in the kernel log"; return 1; }; }
klog_start=$(klog_mark)
refused_load() {
	! insmod "$MODULE" rollback_nv_index=$nv 2>/dev/null && [ ! -d $SFS ] &&
	klog_has "$1"
}

[ -e /dev/tpm0 ] || skip_all 21 "no TPM"
[ -d $SFS ] && unload_pinned
make_components "$WORK/c" 2
tpm2_nvundefine $nv -C o >/dev/null 2>&1

check "a configured index that does not exist: the module is refused" \
	refused_load "0x01500020: cannot read its public area"
tpm2_nvdefine $nv -C o -s 8 -a "ownerread|ownerwrite|authread|authwrite" >/dev/null
check "an ordinary index (it could be written down): refused, reason logged" \
	refused_load "0x01500020 refused: not an NV counter"
tpm2_nvundefine $nv -C o >/dev/null
tpm2_nvdefine $nv -C o -s 8 -a "nt=counter|ownerread|ownerwrite|authread|authwrite" >/dev/null
loads_at() { load && floor_is "$1"; }
check "a fresh counter: the module loads, status shows floor 1" loads_at 1
raises_to() { loads_trusted "$1" && floor_is "$1"; }
check "version 3 validates trusted: the counter counts to 3" raises_to 3
check "version 2 refused (ESTALE)" refused_version 2 ESTALE
check "a module reload keeps the floor: status floor 3" loads_at 3
nothing_active() { ! cat $SFS/manifest 2>/dev/null; }
check "after the reload: version 2 refused (ESTALE), nothing active" \
	eval "refused_version 2 ESTALE && nothing_active"
check "after the reload: version 3 loads trusted, floor 3" raises_to 3
check "a version more than 1024 above the floor refused (ERANGE)" \
	refused_version 1028 ERANGE
# An update that does not validate can still be rolled back.
failed_update() {
	echo "not signed" > "$WORK/c/unsigned" &&
	signed_manifest "$WORK/m5" 5 "$WORK"/c/c* "$WORK/c/unsigned" &&
	cat "$WORK/m5" > $SFS/manifest && [ "$(state)" = failed ] && floor_is 3
}
check "version 5 that validates failed leaves the floor at 3" failed_update

# Root's attempts, each with tpm2-tools on /dev/tpm0.
printf '\0\0\0\0\0\0\0\1' > "$WORK/one"
check "root: tpm2_nvwrite of 1 into the counter is refused by the TPM" \
	bash -c "! tpm2_nvwrite $nv -C o -i '$WORK/one' 2>/dev/null && [ \$(tpm2_nvread $nv -C $nv | xxd -p) = 0000000000000003 ]"
check "root: tpm2_nvwrite with the index's own authorization is refused too" \
	bash -c "! tpm2_nvwrite $nv -C $nv -i '$WORK/one' 2>/dev/null && [ \$(tpm2_nvread $nv -C $nv | xxd -p) = 0000000000000003 ]"
# Undefine and define anew, possible with the empty owner authorization
# of this VM's TPM: the new counter starts above the old one's value.
recreate() {
	unload_pinned
	tpm2_nvundefine $nv -C o >/dev/null &&
	tpm2_nvdefine $nv -C o -s 8 -a "nt=counter|ownerread|ownerwrite|authread|authwrite" >/dev/null &&
	load && [ "$(status_floor)" -gt 3 ] ||
		{ echo "floor after undefine and define: $(status_floor)"; return 1; }
}
check "root: undefine, define anew, reload: the floor is above 3, not 0" recreate
check "... and version 2 is still refused (ESTALE)" refused_version 2 ESTALE
check "root without the owner authorization: tpm2_nvundefine is refused" \
	undefine_refused_under_owner_auth $nv
# TPM2_Clear (empty lockout authorization here) deletes every owner index;
# a counter defined afterwards still starts above every earlier count.
after_clear() {
	local before
	before=$(status_floor)
	unload_pinned
	tpm2_clear -c l >/dev/null &&
	tpm2_nvdefine $nv -C o -s 8 -a "nt=counter|ownerread|ownerwrite|authread|authwrite" >/dev/null &&
	load && [ "$(status_floor)" -gt "$before" ] ||
		{ echo "floor before the clear $before, after: $(status_floor)"; return 1; }
}
check "root: tpm2_clear, define anew, reload: the floor only rose" after_clear
check "... and version 2 is still refused (ESTALE)" refused_version 2 ESTALE
# While the module runs: the counter swapped for an ordinary index that
# says 0; a higher version then validates trusted and the module reads
# the index to raise the floor.
swapped_index() {
	local before
	before=$(status_floor)
	tpm2_nvundefine $nv -C o >/dev/null &&
	tpm2_nvdefine $nv -C o -s 8 -a "ownerread|ownerwrite|authread|authwrite" >/dev/null &&
	head -c 8 /dev/zero > "$WORK/zero8" && tpm2_nvwrite $nv -C o -i "$WORK/zero8" >/dev/null &&
	loads_trusted $((before + 1)) && floor_is_status "$before" &&
	refused_version $((before - 1)) ESTALE
}
floor_is_status() { [ "$(status_floor)" = "$1" ] || { echo "status: floor $(status_floor), expected $1"; return 1; }; }
check "root swaps the counter for an index that says 0: the floor stays" swapped_index
check "the attestation says the floor is the TPM's (flag bit 3)" attestation_says "floor tpm"
tpm2_nvundefine $nv -C o >/dev/null 2>&1
check "without rollback_nv_index: status says floor -" \
	eval "fresh_module && grep -qx 'floor -' $SFS/status"
check "... and the attestation says floor boot" attestation_says "floor boot"
rm -rf "$WORK"
tap_done
