#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Writes that raise no fsnotify event, or not on the watched inode (issue
# 15 §2): each path is tried as root on a trusted device against a
# designated component.  Each passes if the component's bytes could not
# change, or if the state is no longer trusted and the device key refuses
# to sign.  The block device under a filesystem cannot be denied: there
# the periodic re-validation must find the change.  TAP 13; run as root in
# a VM.
. "$(dirname "$0")/gate_lib.sh"
CHANGE=$(dirname "$(readlink -f "$0")")/change_file
INTERVAL=3
tap_init 17

# Designated: c1..c3 on tmpfs, a lower-only and an upper file of an
# overlay, and a file of an ext4 filesystem on a loop device.
make_components "$WORK/c" 3
OV=$WORK/ov
mkdir -p "$OV" && mount -t tmpfs tmpfs "$OV" && mkdir "$OV"/{lower,upper,work,merged}
echo "only in the lower layer" > "$OV/lower/l" && sign_component "$OV/lower/l"
echo "in the upper layer" > "$OV/upper/u" && sign_component "$OV/upper/u"
mount -t overlay -o "lowerdir=$OV/lower,upperdir=$OV/upper,workdir=$OV/work" \
	overlay "$OV/merged"
EXT=$WORK/ext
modprobe loop 2>/dev/null
truncate -s 32M "$WORK/ext.img" && mkfs.ext4 -q -F -b 4096 "$WORK/ext.img" &&
	LOOP=$(losetup -f --show "$WORK/ext.img") && mkdir -p "$EXT" && mount "$LOOP" "$EXT"
head -c 8192 /dev/urandom > "$EXT/e" && sign_component "$EXT/e" && sync
mkdir -p "$WORK/orig"
COMPONENTS=("$WORK"/c/c* "$OV/merged/l" "$OV/merged/u" "$EXT/e")
for f in "${COMPONENTS[@]}"; do
	cp -a "$f" "$WORK/orig/$(basename "$f")"
done
echo evil > "$WORK/evil"
head -c 1000 /dev/urandom > "$WORK/data"
openssl dgst -sha256 -binary "$WORK/data" > "$WORK/digest"

check "module loads with revalidate_seconds=$INTERVAL" fresh_module revalidate_seconds=$INTERVAL
key=$(load_device_key)
signed_manifest "$WORK/m" 1 "${COMPONENTS[@]}"
check "trusted start" sh -c "cat '$WORK/m' > $SFS/manifest && [ \"\$(cat $SFS/state)\" = trusted ]"

sign() { keyctl pkey_sign "$key" 0 "$WORK/digest" enc=pkcs1 hash=sha256 > /dev/null; }

# restore: every component's signed bytes back (a new inode, as an
# offline repair or an update would), then validate: trusted again.
restore() {
	local f orig
	for f in "${COMPONENTS[@]}"; do
		orig=$WORK/orig/$(basename "$f")
		if ! cmp -s "$f" "$orig"; then
			cp -a "$orig" "$f.new" && mv "$f.new" "$f" || return 1
		fi
	done
	echo 1 > $SFS/validate
	[ "$(state)" = trusted ] || { echo "not trusted after restore: $(state)"; cat $SFS/components; return 1; }
}

# resisted FILE: the attack on FILE failed: its bytes are the signed ones,
# or the state is not trusted and the key refuses to sign.
resisted() {
	local orig
	orig=$WORK/orig/$(basename "$1")
	# What the next reader sees, not what the page cache kept.
	sync && echo 3 > /proc/sys/vm/drop_caches
	cmp -s "$1" "$orig" && { echo "bytes unchanged"; return 0; }
	[ "$(state)" != trusted ] || { echo "changed, state trusted"; return 1; }
	sign 2>/dev/null && { echo "changed, state $(state), and the key signed"; return 1; }
	echo "changed, state $(state), sign refused"
}

# attack NAME FILE COMMAND...: a trusted device, COMMAND against FILE;
# what the attack printed and how it was resisted follow as comments.
attack_run() {
	local file=$1 out
	shift
	restore || return 1
	out=$("$@" 2>&1)
	{ echo "attack: $(echo $out)"; resisted "$file"; } | tee "$WORK/last"
	return "${PIPESTATUS[0]}"
}
attack() {
	local name=$1
	shift
	: > "$WORK/last"
	check "$name" attack_run "$@"
	sed 's/^/# /' "$WORK/last"
}

C=$WORK/c/c2
attack "MAP_SHARED store after validation" "$C" "$CHANGE" mmap "$C"
# The mapping must exist before the file is held: a new inode (as an
# update would leave) is mapped, then validated, then stored through.
map_then_validate() {
	cp -a "$C" "$C.new" && mv "$C.new" "$C" &&
	"$CHANGE" mmap-early "$C" "echo 1 > $SFS/validate"
}
attack "MAP_SHARED mapping taken before validation, store after" "$C" map_then_validate
attack "splice from a pipe" "$C" "$CHANGE" splice "$C"
attack "AIO pwrite (io_submit)" "$C" "$CHANGE" aio "$C"
attack "copy_file_range" "$C" "$CHANGE" copy-range "$C" "$WORK/evil"
attack "fallocate punch hole" "$C" "$CHANGE" punch "$C"
write_through_bind_mount() {
	mkdir -p "$WORK/bind" && mount --bind "$WORK/c" "$WORK/bind" || return 1
	echo evil 1<> "$WORK/bind/c2"
	umount "$WORK/bind"
}
attack "write through a bind mount of its directory" "$C" write_through_bind_mount
attack "overlay: write to the lower layer's file" "$OV/merged/l" \
	sh -c "echo evil 1<> '$OV/lower/l'"
attack "overlay: write to the upper layer's file" "$OV/merged/u" \
	sh -c "echo evil 1<> '$OV/upper/u'"
loop_direct_io() {
	local dev
	dev=$(losetup -f --show --direct-io=on "$C") || return 1
	printf evil | dd of="$dev" conv=notrunc 2>/dev/null
	losetup -d "$dev"
}
attack "loop device with direct I/O on the component" "$C" loop_direct_io
attack "write(2)" "$C" sh -c "echo evil 1<> '$C'"

# The block device under ext4 cannot be denied by inode, and raises no
# event: the periodic re-validation must leave trusted within a few
# intervals, without anyone asking.
raw_write_caught() {
	local block i
	restore || return 1
	block=$(debugfs -R "bmap /e 0" "$LOOP" 2>/dev/null)
	[ -n "$block" ] || { echo "no block for /e"; return 1; }
	printf evil | dd of="$LOOP" bs=1 seek=$((block * 4096)) conv=notrunc oflag=sync 2>/dev/null
	echo 3 > /proc/sys/vm/drop_caches
	cmp -s "$EXT/e" "$WORK/orig/e" && { echo "the raw write did not reach the file"; return 1; }
	[ "$(state)" = trusted ] || echo "note: state $(state) at once"
	for i in $(seq $((INTERVAL * 5 * 10))); do
		[ "$(state)" != trusted ] && break
		sleep 0.1
	done
	resisted "$EXT/e"
}
check "raw write to the block device under the filesystem: found by periodic re-validation" \
	raw_write_caught
check "the parameter is read-only: root cannot switch it off" \
	fails sh -c "echo 0 > /sys/module/hnbtre/parameters/revalidate_seconds"
check "restored: trusted" restore

# Held components keep their filesystems busy: unload first.
unload_with_keys "$key" > /dev/null 2>&1
check "module unloads" test ! -d $SFS
umount "$EXT" && losetup -d "$LOOP"
umount "$OV/merged" && umount "$OV"
rm -rf "$WORK"
tap_done
