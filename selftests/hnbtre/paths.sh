#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Paths, not inodes (issue 15 §7): a change of any directory entry on a
# component's path (a directory swapped, exchanged or replaced by a
# symlink, the A/B "current" link re-pointed, the slot behind it swapped)
# leaves the state not trusted and the device key refuses to sign; a mount
# over the path, which raises no event, is found by the periodic
# re-validation; a bind mount over the distress function during a
# validation does not make the TrE start another executable.  TAP 13; run
# as root in a VM.
. "$(dirname "$0")/gate_lib.sh"
CHANGE=$(dirname "$(readlink -f "$0")")/change_file
INTERVAL=3
tap_init 13

# D/sub/{x,y}: plain directories.  R: A/B slots, R/current -> slots/g1.
D=$WORK/d
R=$WORK/r
make_components "$D/sub" 2
make_components "$R/slots/g1" 2
ln -s slots/g1 "$R/current"
# Distress function: a script that says which copy ran.
H=$WORK/a
mkdir -p "$H"
printf '#!/bin/sh\necho real >> %s/ran\n' "$WORK" > "$H/helper"
printf '#!/bin/sh\necho evil >> %s/ran\n' "$WORK" > "$WORK/evil-helper"
chmod 755 "$H/helper" "$WORK/evil-helper"
sign_component "$H/helper"
cp -a "$D" "$WORK/d.orig"
cp -a "$R" "$WORK/r.orig"
head -c 1000 /dev/urandom > "$WORK/data"
openssl dgst -sha256 -binary "$WORK/data" > "$WORK/digest"

check "module loads with revalidate_seconds=$INTERVAL and a distress helper" \
	fresh_module revalidate_seconds=$INTERVAL distress_helper="$H/helper"
key=$(load_device_key)
"$HNBTRE" manifest build --version 1 "$D"/sub/c* "$R"/current/c* \
	--class distress "$H/helper" > "$WORK/m.body" &&
"$HNBTRE" manifest sign --key "$PKI/signer.key" --cert "$PKI/signer.pem" \
	"$WORK/m.body" "$WORK/m"
check "trusted start" sh -c "cat '$WORK/m' > $SFS/manifest && [ \"\$(cat $SFS/state)\" = trusted ]"

sign() { keyctl pkey_sign "$key" 0 "$WORK/digest" enc=pkcs1 hash=sha256 > /dev/null; }

# restore: both trees back as signed, validated: trusted.
restore() {
	umount -l "$D/sub" 2>/dev/null
	rm -rf "$D" "$R" "$WORK/evil"
	cp -a "$WORK/d.orig" "$D" && cp -a "$WORK/r.orig" "$R" || return 1
	echo 1 > $SFS/validate
	[ "$(state)" = trusted ] || { echo "not trusted after restore: $(state)"; cat $SFS/components; return 1; }
}

# evil_copy DIR: a copy of DIR whose first component has other content.
evil_copy() {
	rm -rf "$WORK/evil" && cp -a "$1" "$WORK/evil" &&
	for f in "$WORK"/evil/c*; do echo evil > "$f"; break; done
}

# not_trusted: the state left trusted and the key refuses to sign.
not_trusted() {
	[ "$(state)" != trusted ] || { echo "state trusted"; return 1; }
	sign 2>/dev/null && { echo "state $(state), but the key signed"; return 1; }
	echo "state $(state), sign refused"
}

# swapped NAME SWAP: a trusted device, SWAP, then not trusted.
swap_run() { restore && "$@" && not_trusted; }
swapped() {
	local name=$1
	shift
	check "$name" swap_run "$@"
}

dir_renamed_and_replaced() {
	evil_copy "$D/sub" && mv "$D/sub" "$D/old" && mv "$WORK/evil" "$D/sub"
}
swapped "a directory on the path renamed away and replaced" dir_renamed_and_replaced
dir_exchanged() {
	evil_copy "$D/sub" && "$CHANGE" exchange "$D/sub" "$WORK/evil" > /dev/null
}
swapped "a directory on the path exchanged (RENAME_EXCHANGE)" dir_exchanged
dir_replaced_by_symlink() {
	evil_copy "$D/sub" && mv "$D/sub" "$D/old" && ln -s "$WORK/evil" "$D/sub"
}
swapped "a directory on the path replaced by a symlink" dir_replaced_by_symlink
current_link_swapped() {
	evil_copy "$R/slots/g1" && mv "$WORK/evil" "$R/slots/g2" &&
	ln -s slots/g2 "$R/.current.new" && mv -T "$R/.current.new" "$R/current"
}
swapped "the A/B current link re-pointed to another slot" current_link_swapped
slot_swapped() {
	evil_copy "$R/slots/g1" && mv "$R/slots/g1" "$R/slots/old" &&
	mv "$WORK/evil" "$R/slots/g1"
}
swapped "the slot behind the current link swapped" slot_swapped
grandparent_swapped() {
	evil_copy "$R/slots/g1" && mkdir -p "$WORK/evil-slots" &&
	mv "$WORK/evil" "$WORK/evil-slots/g1" && mv "$R/slots" "$R/old-slots" &&
	mv "$WORK/evil-slots" "$R/slots"
}
swapped "the directory above the slot swapped" grandparent_swapped

# A mount raises no fsnotify event: the periodic re-validation must find
# it within a few intervals.
mount_over_dir() {
	local i
	restore && evil_copy "$D/sub" && mount --bind "$WORK/evil" "$D/sub" || return 1
	for i in $(seq $((INTERVAL * 5 * 10))); do
		[ "$(state)" != trusted ] && break
		sleep 0.1
	done
	not_trusted
	i=$?
	umount -l "$D/sub"
	return $i
}
check "a bind mount over a directory on the path: found by periodic re-validation" \
	mount_over_dir

# The distress function is checked, then a bind mount puts another
# executable over its path while the validation still hashes a large
# component: the TrE must not start the other one.
distress_bind_mount() {
	local pid i raced=yes
	restore || return 1
	rm -f "$WORK/ran"
	# A changed normal component makes this validation fail.
	echo evil > "$WORK/evil-c1" && mv "$WORK/evil-c1" "$D/sub/c1"
	echo 1 > $SFS/validate &
	pid=$!
	sleep 0.5
	mount --bind "$WORK/evil-helper" "$H/helper"
	kill -0 $pid 2>/dev/null || raced=no
	wait $pid
	for i in $(seq 50); do
		[ -s "$WORK/ran" ] && break
		sleep 0.1
	done
	umount -l "$H/helper"
	echo "outcome: $(head -n 1 $SFS/distress); ran: $(cat "$WORK/ran" 2>/dev/null)"
	[ $raced = yes ] || { echo "race lost: the validation ended before the mount"; return 2; }
	head -n 1 $SFS/distress | grep -qx started && [ "$(cat "$WORK/ran")" = real ]
}
mkdir -p "$WORK/b" && head -c $((128 << 20)) /dev/zero > "$WORK/b/big" &&
	sign_component "$WORK/b/big"
"$HNBTRE" manifest build --version 2 "$D"/sub/c* "$R"/current/c* "$WORK/b/big" \
	--class distress "$H/helper" > "$WORK/m2.body" &&
"$HNBTRE" manifest sign --key "$PKI/signer.key" --cert "$PKI/signer.pem" \
	"$WORK/m2.body" "$WORK/m2"
check "manifest 2 with a large component: trusted" \
	sh -c "cat '$WORK/m2' > $SFS/manifest && [ \"\$(cat $SFS/state)\" = trusted ]"
# One TAP result by hand: a lost race is a skip, not a pass.
tap_n=$((tap_n + 1))
name="a bind mount over the distress function during validation: the checked one runs"
out=$(distress_bind_mount 2>&1)
case $? in
0) echo "ok $tap_n - $name" ;;
2) echo "ok $tap_n - $name # SKIP the validation ended before the mount" ;;
*) echo "not ok $tap_n - $name"; tap_failed=$((tap_failed + 1)) ;;
esac
echo "$out" | sed 's/^/# /'
check "restored: trusted" restore

unload_with_keys "$key" > /dev/null 2>&1
check "module unloads" test ! -d $SFS
rm -rf "$WORK"
tap_done
