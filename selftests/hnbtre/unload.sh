#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Unloading is safe: a securityfs file held open pins the module (no
# read or write through freed code), and the module's keyrings, still
# linked from a session keyring or named by serial after rmmod, never
# call into it again.  Any Oops in the guest fails the run (scripts/vm).
. "$(dirname "$0")/gate_lib.sh"
tap_init 13

check "module loads" fresh_module
# Every file, in every direction its mode allows, held open by this shell.
fds=()
files=0
for f in $SFS/*; do
	files=$((files + 1))
	if [ "$(stat -c %A "$f" | cut -c2)" = r ]; then
		exec {fd}< "$f" && fds+=("$fd:r:$f")
	fi
	if [ "$(stat -c %A "$f" | cut -c3)" = w ]; then
		exec {fd}> "$f" && fds+=("$fd:w:$f")
	fi
done
check "every securityfs file opened for reading and for writing (${#fds[@]} of $files files)" \
	test ${#fds[@]} -ge "$files" -a "$files" -ge 10
check "rmmod refused while a securityfs file is open" fails rmmod hnbtre
use_all() {
	local entry fd dir
	for entry in "${fds[@]}"; do
		fd=${entry%%:*} dir=${entry#*:} dir=${dir%%:*}
		if [ "$dir" = r ]; then
			cat <&"$fd" > /dev/null 2>&1
		else
			/bin/echo 0 >&"$fd" 2>/dev/null
		fi
	done
	return 0
}
check "each open file still reads and writes" use_all
close_all() {
	local entry
	for entry in "${fds[@]}"; do
		eval "exec ${entry%%:*}>&-"
	done
}
close_all
check "rmmod succeeds once they are closed" rmmod hnbtre

# The keyrings outlive the module where userspace holds them.
check "module loads again" fresh_module
wrap_key "$PKI/device.key" "$WORK/device.wrapped"
keyctl link %:.hnbtre_device @s
dev=$(keyctl search @s keyring .hnbtre_device)
roots=$(grep '\.hnbtre_roots' /proc/keys | cut -d' ' -f1)
roots=$((16#$roots))
# Adds into the roots keyring by serial while the module goes away.
( for _ in $(seq 400); do
	keyctl padd asymmetric "" "$roots" < "$PKI/signer.der" > /dev/null 2>&1
  done ) &
racer=$!
check "rmmod with .hnbtre_device linked into the session keyring" rmmod hnbtre
wait $racer
check "no key can be added to the old .hnbtre_device" \
	fails keyctl padd asymmetric hnbtre:device "$dev" < "$WORK/device.wrapped"
user=$(keyctl add user u v @s)
check "nothing can be linked into it" fails keyctl link "$user" "$dev"
check "nothing can be added to the old .hnbtre_roots" \
	fails keyctl padd asymmetric "" "$roots" < "$PKI/signer.der"
check "the session keyring can still be listed and cleared" \
	sh -c "keyctl show @s > /dev/null && keyctl clear @s"
check "no Oops or BUG in the kernel log" \
	sh -c "! dmesg | grep -E 'Oops|BUG:|general protection|unable to handle'"
check "module loads once more" fresh_module
rmmod hnbtre
rm -rf "$WORK"
tap_done
