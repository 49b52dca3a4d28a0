#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Tamper after validation, by each kind of change: writing a designated
# component is refused with ETXTBSY; every change that does not need it
# open for writing makes the very next read of state say tampered, and an
# audit record names the change.  Repair and re-validation return to
# trusted.
. "$(dirname "$0")/lib.sh"
tap_init 20

# tampered_by NAME CHANGE REASON: a trusted device, CHANGE on c2, then
# state and audit.
tampered_by() {
	local change=$1 reason=$2 target=$WORK/img/c2 before
	restore || return 1
	[ "$(state)" = trusted ] || { echo "not trusted before: $(state)"; return 1; }
	before=$(klog_mark)
	$change "$target" || return 1
	# No sleep: the transition happens inside the changing syscall.
	[ "$(state)" = tampered ] || { echo "state $(state)"; return 1; }
	# The audit record is written from a work item just after.
	for _ in $(seq 50); do
		klog_since "$before" |
			grep -q "audit: type=1802 .*op=hnbtre_state old=trusted new=tampered reason=$reason path=\"$target\"" &&
			return 0
		sleep 0.1
	done
	echo "no audit record with reason=$reason"
	dmesg | grep 'op=hnbtre_state' | tail -n 3
	return 1
}

# Put every component back as signed (xattrs included) and validate.
restore() {
	rm -rf "$WORK/img" "$WORK/moved"
	cp -a "$WORK/orig" "$WORK/img"
	echo 1 > $SFS/validate
}

# refused_by CHANGE: on a trusted device CHANGE fails with ETXTBSY, c2
# keeps its bytes and the state stays trusted.
refused_by() {
	local target=$WORK/img/c2 out
	restore || return 1
	if out=$($1 "$target" 2>&1); then
		echo "the change succeeded"; return 1
	fi
	[[ $out == *ETXTBSY* || $out == *"Text file busy"* ]] || { echo "$out"; return 1; }
	cmp -s "$target" "$WORK/orig/c2" || { echo "bytes changed"; return 1; }
	[ "$(state)" = trusted ] || { echo "state $(state)"; return 1; }
}

do_write() { local r; r=$(echo evil | "$WRITE" "$1"); echo "$r"; [ "$r" = OK ]; }
do_overwrite_same() { printf c 1<> "$1"; }
do_truncate() { truncate -s 0 "$1"; }
do_rename() { mv "$1" "$WORK/moved"; }
do_unlink() { rm "$1"; }
do_replace() { echo new > "$WORK/new"; mv "$WORK/new" "$1"; }
do_setxattr() { sign_component "$1" "$PKI/evil-ima.key"; }
do_removexattr() { setfattr -x security.ima "$1"; }
do_chmod() { chmod 4755 "$1"; }

load() {
	signed_manifest "$WORK/m" 1 "$WORK"/img/* && "$HNBTRE" manifest load "$WORK/m"
}

check "module loads" fresh_module
make_components "$WORK/img" 3
cp -a "$WORK/img" "$WORK/orig"
check "trusted start" load
check "write: refused with ETXTBSY" refused_by do_write
check "rewrite of the same byte: refused" refused_by do_overwrite_same
check "truncate: refused" refused_by do_truncate
check "rename" tampered_by do_rename rename
check "unlink" tampered_by do_unlink attribute
check "replaced by rename over it" tampered_by do_replace attribute
check "setxattr security.ima" tampered_by do_setxattr attribute
check "removexattr security.ima" tampered_by do_removexattr attribute
check "chmod" tampered_by do_chmod attribute

after_unlink_then_validate() {
	restore && rm "$WORK/img/c2" && echo 1 > $SFS/validate &&
	[ "$(state)" = failed ] && grep -q "^missing $WORK/img/c2 sha256:-" $SFS/components
}
check "validation after unlink: failed, missing" after_unlink_then_validate
repair_is_trusted() { restore && [ "$(state)" = trusted ]; }
check "repair and re-validation: trusted" repair_is_trusted

# The replaced component's new inode is held and watched after
# re-validation; the old one is writable again.
replaced_then_written() {
	restore && cp -a "$WORK/img/c2" "$WORK/old-c2" && mv "$WORK/old-c2" "$WORK/img/c2" &&
	echo 1 > $SFS/validate && [ "$(state)" = trusted ] &&
	! do_write "$WORK/img/c2" && [ "$(state)" = trusted ] &&
	do_chmod "$WORK/img/c2" && [ "$(state)" = tampered ]
}
check "a replaced component is held and watched on its new inode" replaced_then_written

tamper_closes_until_validate() {
	restore && do_replace "$WORK/img/c2" && [ "$(state)" = tampered ] &&
	echo 1 > $SFS/validate && [ "$(state)" = failed ] &&
	grep -q "^mismatch $WORK/img/c2 " $SFS/components
}
check "tampered then validated: failed with mismatch" tamper_closes_until_validate

untouched_stays_trusted() {
	restore || return 1
	[ "$(state)" = trusted ] || { echo "after restore: $(state)"; dmesg | grep 'op=hnbtre_state' | tail -n 3; return 1; }
	cat "$WORK/img/c2" > /dev/null &&
	cp "$WORK/img/c1" "$WORK/copy" && echo x > "$WORK/unrelated" &&
	[ "$(state)" = trusted ] || { echo "state $(state)"; dmesg | grep 'op=hnbtre_state' | tail -n 3; return 1; }
}
check "reading, copying and unrelated writes keep trusted" untouched_stays_trusted

failed_stays_failed() {
	restore && rm "$WORK/img/c2" && echo 1 > $SFS/validate &&
	[ "$(state)" = failed ] && do_chmod "$WORK/img/c1" && [ "$(state)" = failed ]
}
check "a change while failed stays failed" failed_stays_failed

# A validation (the periodic one) may end the tampered state at once, so
# look for it among all entries after the change, not only the last.
ima_logs_tamper() {
	local before
	restore && before=$(ima_states | wc -l) && do_chmod "$WORK/img/c2" &&
	for _ in $(seq 50); do
		ima_states | tail -n +$((before + 1)) | grep -q 'state=tampered' &&
			return 0
		sleep 0.1
	done
	ima_states | tail -n 3
	return 1
}
check "the tamper transition is measured into the IMA log" ima_logs_tamper
# A directory of components replaced whole while failed, then validated:
# the old directory is freed when the validation lets go of the last file
# it held in it, while a later component's path still has its mark.  That
# is no change of anything on a component's path now: the result stays
# trusted.  Large components make the order certain: z, repaired and not
# held, is walked last.
stale_directory_freed() {
	local d=$WORK/big f
	mkdir -p "$d"
	for f in a b c d e f g h; do
		head -c $((4 << 20)) /dev/urandom > "$d/$f" && sign_component "$d/$f"
	done
	echo z > "$d/z" && sign_component "$d/z" && cp -a "$d" "$WORK/big.orig" &&
	signed_manifest "$WORK/m2" 2 "$d"/* && "$HNBTRE" manifest load "$WORK/m2" &&
	[ "$(state)" = trusted ] || { echo "not trusted at first: $(state)"; return 1; }
	echo y > "$WORK/z.new" && mv "$WORK/z.new" "$d/z" && echo 1 > $SFS/validate &&
	grep -q "^mismatch $d/z " $SFS/components || { echo "z not mismatched"; return 1; }
	rm -rf "$d" && cp -a "$WORK/big.orig" "$d" && echo 1 > $SFS/validate
	[ "$(state)" = trusted ] ||
		{ echo "state $(state)"; dmesg | grep 'op=hnbtre_state' | tail -n 2; return 1; }
}
check "a failed directory replaced whole validates trusted" stale_directory_freed
check "module unloads with watched components" rmmod hnbtre
rm -rf "$WORK"
tap_done
