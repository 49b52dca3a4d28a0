#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Non-regular files at a component path (issue 15 §6): a FIFO, a socket,
# a character and a block device node, a directory and a symlink each get
# the verdict "missing" at once; validate, tim, components and the
# distress decision never block.  TAP 13; run as root in a VM.
. "$(dirname "$0")/lib.sh"
CHANGE=$(dirname "$(readlink -f "$0")")/change_file
tap_init 10

make_components "$WORK/c" 3
cp -a "$WORK/c" "$WORK/orig"
C=$WORK/c/c2
check "module loads" fresh_module
signed_manifest "$WORK/m" 1 "$WORK"/c/c*
check "trusted start" sh -c "cat '$WORK/m' > $SFS/manifest && [ \"\$(cat $SFS/state)\" = trusted ]"

# unblock: a validation stuck in open() of a FIFO gets its writer.  A
# process waiting for the validation cannot be killed (it waits for
# hnbtre_lock), so this is the only way on.
unblock() { [ -p "$C" ] && timeout 5 sh -c ": > '$C'"; }

# at_component NAME MAKE: c2 replaced by what MAKE creates there; the
# validation, tim and components answer within 10 s, the state is failed
# and c2 is missing.
at_component() {
	local make=$1 t0 t1 pid i
	rm -rf "$C" && $make "$C" || return 1
	t0=$(date +%s)
	sh -c "echo 1 > $SFS/validate" &
	pid=$!
	for i in $(seq 100); do
		kill -0 $pid 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 $pid 2>/dev/null; then
		echo "validate did not return within 10 s"
		unblock
		wait $pid
		return 1
	fi
	wait $pid
	timeout 10 cat $SFS/tim > /dev/null || { echo "tim blocked"; return 1; }
	timeout 10 cat $SFS/components > "$WORK/components" || { echo "components blocked"; return 1; }
	timeout 10 cat $SFS/distress > /dev/null || { echo "distress blocked"; return 1; }
	t1=$(date +%s)
	[ "$(state)" = failed ] || { echo "state $(state)"; return 1; }
	grep -qx "missing $C sha256:- normal" "$WORK/components" || { cat "$WORK/components"; return 1; }
	echo "answered in $((t1 - t0)) s"
}
fifo() { mkfifo "$1"; }
socket() { "$CHANGE" socket "$1" > /dev/null; }
chardev() { mknod "$1" c 1 3; }
blockdev() { mknod "$1" b 7 0; }
directory() { mkdir "$1" && cp -a "$WORK/orig/c2" "$1/c2"; }
symlink() { ln -s "$WORK/orig/c2" "$1"; }
for type in fifo socket chardev blockdev directory symlink; do
	check "$type at the component path: missing at once" at_component $type
done
rm -rf "$C" && cp -a "$WORK/orig/c2" "$C" && echo 1 > $SFS/validate
check "a regular file again: trusted" test "$(state)" = trusted
check "module unloads" rmmod hnbtre
rm -rf "$WORK"
tap_done
