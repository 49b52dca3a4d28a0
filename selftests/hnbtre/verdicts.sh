#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Each failure verdict on its own: the component's verdict, state failed,
# and the TIM (with "sha256:-" for a missing component) equal to what
# libhnbtre computes of the files as they are (`hnbtre tim`).
. "$(dirname "$0")/lib.sh"
tap_init 12

version=0
# verdict_of NAME PREPARE: five good components, PREPARE breaks c3 after
# the manifest is built; the manifest is loaded and validated.
verdict_is() {
	local expected=$1 prepare=$2 dir files
	version=$((version + 1))
	dir=$WORK/v$version
	make_components "$dir" 5
	files=$(find "$dir" -type f | sort)
	signed_manifest "$WORK/m$version" "$version" $files || return 1
	$prepare "$dir/c3" || return 1
	"$HNBTRE" manifest load "$WORK/m$version" || return 1
	grep -qx "$expected $dir/c3 .*" $SFS/components || { cat $SFS/components; return 1; }
	[ "$(grep -vc "^ok " $SFS/components)" = 1 ] || return 1
	# The status file counts the same verdicts.
	grep -qx "$expected 1" $SFS/status && grep -qx "ok 4" $SFS/status &&
		grep -qx "state failed" $SFS/status ||
		{ cat $SFS/status; return 1; }
	[ "$(state)" = failed ] || { echo "state $(state)"; return 1; }
	[ "$(cat $SFS/tim)" = "$("$HNBTRE" tim "$WORK/m$version")" ] ||
		{ echo "tim $(cat $SFS/tim) != $("$HNBTRE" tim "$WORK/m$version")"; return 1; }
	# The manifest's reference values still give the RIM.
	[ "$(cat $SFS/rim)" = "$("$HNBTRE" rim "$WORK/m$version")" ]
}

change_content() { echo "changed" >> "$1"; sign_component "$1"; }
remove() { rm "$1"; }
sign_untrusted() { sign_component "$1" "$PKI/evil-ima.key"; }
corrupt_signature() {
	local hex
	hex=$(getfattr --absolute-names -e hex -n security.ima "$1" |
		sed -n 's/^security.ima=0x//p')
	# Flip a bit in the last byte of the RSA signature.
	last=$(( 0x${hex: -2} ^ 1 ))
	setfattr -n security.ima -v "0x${hex:0:-2}$(printf %02x $last)" "$1"
}
strip_signature() { setfattr -x security.ima "$1"; }
digest_only() {
	setfattr -n security.ima -v "0x0404$(sha256sum < "$1" | cut -d' ' -f1)" "$1"
}

check "module loads" fresh_module
check "content changed (and re-signed): mismatch" verdict_is mismatch change_content
check "file removed: missing, sha256:- in the TIM" verdict_is missing remove
check "signed by a key outside the roots: badsig" verdict_is badsig sign_untrusted
check "signature bytes corrupted: badsig" verdict_is badsig corrupt_signature
check "no security.ima: unsigned" verdict_is unsigned strip_signature
check "security.ima is a bare digest (type 04): unsigned" verdict_is unsigned digest_only
# Precedence: a changed content outranks the signature it invalidates.
change_keep_signature() { echo "changed" >> "$1"; }
change_strip_signature() { echo "changed" >> "$1" && strip_signature "$1"; }
check "content changed, old signature kept: mismatch before badsig" \
	verdict_is mismatch change_keep_signature
check "content changed, signature removed: mismatch before unsigned" \
	verdict_is mismatch change_strip_signature
all_good_is_trusted() {
	version=$((version + 1))
	make_components "$WORK/v$version" 5
	signed_manifest "$WORK/m$version" "$version" "$WORK/v$version"/* &&
	"$HNBTRE" manifest load "$WORK/m$version" &&
	[ "$(state)" = trusted ] && [ "$(grep -c "^ok " $SFS/components)" = 5 ]
}
check "nothing broken: trusted" all_good_is_trusted
# Paths resolve in the initial mount namespace, whoever asks to validate:
# a bind mount over a component in a private namespace is not measured,
# the same mount in the initial namespace is.
# Each check runs in a subshell: these two share $WORK/ns and the
# manifest loaded by the first.
mount_over_in_private_ns() {
	make_components "$WORK/ns" 3
	signed_manifest "$WORK/mns" 100 "$WORK"/ns/* &&
	"$HNBTRE" manifest load "$WORK/mns" || return 1
	[ "$(state)" = trusted ] || { echo "state $(state)"; return 1; }
	echo evil > "$WORK/evil"
	unshare -m --propagation private sh -c \
		"mount --bind '$WORK/evil' '$WORK/ns/c1' && echo 1 > $SFS/validate" ||
		return 1
	[ "$(state)" = trusted ] || { echo "state $(state)"; return 1; }
}
mount_over_in_initial_ns() {
	mount --bind "$WORK/evil" "$WORK/ns/c1" || return 1
	echo 1 > $SFS/validate
	grep -qx "mismatch $WORK/ns/c1 .*" $SFS/components ||
		{ cat $SFS/components; umount -l "$WORK/ns/c1"; return 1; }
	umount -l "$WORK/ns/c1"
}
check "a mount over a component in a private mount namespace is not measured" \
	mount_over_in_private_ns
check "the same mount in the initial namespace is: mismatch" \
	mount_over_in_initial_ns
rm -rf "$WORK"
tap_done
