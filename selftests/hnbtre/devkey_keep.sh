#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The device key and the distress credential never leave .hnbtre_device,
# whatever root does with keyctl, and once the device key is admitted
# the module stays loaded until reboot: a reload would reset the TrE
# (rollback floor, admitted key, roots).  TS 33.320 7.2.2, 8.3.2.2.
. "$(dirname "$0")/gate_lib.sh"
tap_init 39

ring=%:.hnbtre_device
check "module loads" fresh_module
key=$(load_device_key)
wrap_key "$PKI/distress.key" "$WORK/distress.wrapped"
dkey=$(admit_key distress "$WORK/distress.wrapped")
check "device key and distress credential admitted" \
	test -n "$key" -a -n "$dkey"
ring_id=$(keyctl search @s keyring .hnbtre_device)
# Each attempt fails with the errno devkey.md lists.
# What an attack could change: the keyring's members, their attributes.
view() {
	local k
	for k in $ring_id $(keyctl rlist $ring | tr ' ' '\n' | sort); do
		keyctl rdescribe "$k" || return 1
	done
}
before=$(view)
# A decoy of the same type and description, made where root may.
decoy_device=$(keyctl padd asymmetric hnbtre:device @s < "$WORK/device.wrapped")
decoy_distress=$(keyctl padd asymmetric hnbtre:distress @s < "$WORK/distress.wrapped")
other=$(keyctl newring other @s)
for kind in device distress; do
	if [ $kind = device ]; then k=$key decoy=$decoy_device; else k=$dkey decoy=$decoy_distress; fi
	refuses "Permission denied" "$kind: move to another keyring refused" \
		keyctl move "$k" $ring "$other"
	refuses "Permission denied" "$kind: move of a decoy by description refused" \
		keyctl move "$decoy" $ring "$other"
	refuses "Permission denied" "$kind: unlink refused" \
		keyctl unlink "$k" $ring
	refuses "Permission denied" "$kind: unlink of a decoy by description refused" \
		keyctl unlink "$decoy" $ring
	refuses "Permission denied" "$kind: link into another keyring refused" \
		keyctl link "$k" "$other"
	refuses "Permission denied" "$kind: setperm refused" \
		keyctl setperm "$k" 0x3f3f3f3f
	refuses "Permission denied" "$kind: chown refused" \
		keyctl chown "$k" 65534
	refuses "Permission denied" "$kind: chgrp refused" \
		keyctl chgrp "$k" 65534
	refuses "Operation not permitted" "$kind: invalidate refused" \
		keyctl invalidate "$k"
	refuses "Permission denied" "$kind: revoke refused" \
		keyctl revoke "$k"
	refuses "Permission denied" "$kind: timeout refused" \
		keyctl timeout "$k" 1
	refuses "Permission denied" "$kind: update refused" \
		keyctl pupdate "$k" < "$WORK/device.wrapped"
done
refuses "Permission denied" "keyring: clear refused" \
	keyctl clear $ring
refuses "Permission denied" "keyring: setperm refused" \
	keyctl setperm $ring 0x3f3f3f3f
refuses "Permission denied" "keyring: chown refused" \
	keyctl chown $ring 65534
refuses "Operation not permitted" "keyring: invalidate refused" \
	keyctl invalidate $ring
refuses "Permission denied" "keyring: revoke refused" \
	keyctl revoke $ring
refuses "Permission denied" "keyring: a new restriction refused" \
	keyctl restrict_keyring $ring
refuses "Permission denied" "keyring: a decoy cannot be added" \
	keyctl padd asymmetric hnbtre:device $ring < "$WORK/device.wrapped"
sleep 1.5
unchanged() {
	local now
	now=$(view)
	[ "$now" = "$before" ] || { diff <(echo "$before") <(echo "$now"); return 1; }
}
check "after all that: both keys in .hnbtre_device, attributes unchanged" unchanged
head -c 32 /dev/zero > "$WORK/digest"
refuses "Key was rejected" "the device key is still the gated one (unvalidated: refused)" \
	keyctl pkey_sign "$key" 0 "$WORK/digest" enc=pkcs1 hash=sha256

# The whole chain of the reset attack: drop every link root can reach,
# let the garbage collector run, unload, reload.
reset_attack() {
	local i
	keyctl move "$key" $ring "$other" 2>/dev/null
	keyctl move "$dkey" $ring "$other" 2>/dev/null
	keyctl unlink "$decoy_device" $ring 2>/dev/null
	keyctl unlink "$decoy_distress" $ring 2>/dev/null
	keyctl unlink "$decoy_device" @s
	keyctl unlink "$decoy_distress" @s
	keyctl clear "$other"
	keyctl unlink $ring @s
	for i in $(seq 30); do
		rmmod hnbtre 2>/dev/null && { echo "unloaded"; return 1; }
		sleep 0.1
	done
	return 0
}
check "rmmod refused after every link root can drop is gone" reset_attack
check "the module is still loaded and still holds both keys" \
	sh -c "grep -q '^hnbtre ' /proc/modules && keyctl link $ring @s &&
	       keyctl rlist $ring | grep -qw $key && keyctl rlist $ring | grep -qw $dkey"
# One reference per gated key, and the module's own: 3 once the decoys
# are collected.
refcnt_is() {
	local i
	for i in $(seq 50); do
		[ "$(cat /sys/module/hnbtre/refcnt)" = "$1" ] && return 0
		sleep 0.1
	done
	echo "refcnt $(cat /sys/module/hnbtre/refcnt), expected $1"
	return 1
}
check "the module holds itself beyond its two keys (refcnt 3)" refcnt_is 3
# Only a module built with test hooks can be unloaded now.
check "unloaded through the test-build hook" unload_with_keys
rm -rf "$WORK"
tap_done
