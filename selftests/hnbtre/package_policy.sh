#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The device's hash policy enforced by the TrE (Documentation/package.md,
# "Hashes"): the kernel accepts a package's signed part only with a
# software signer using SHA-256 or longer, unless root loaded the module
# with package_allow_sha1=1, which is logged, audited and cannot change
# afterwards.  Attacks as root: a SHA-1-only package written to
# "package" and installed with --allow-sha1, a SHA-256 signer the TrE
# does not admit beside a trusted SHA-1 one, the parameter written at
# run time.
. "$(dirname "$0")/lib.sh"
tap_init 12

R=$WORK/root
live=$R/current
tool="python3 $TOP/userspace/tests/pkgtool.py"
PARAM=/sys/module/hnbtre/parameters/package_allow_sha1
signed_part() { head -c "$(pkg_signed_len "$1")" "$1"; }
kernel_says() {	# kernel_says ERRNO < DATA
	local got
	got=$("$WRITE" $SFS/package)
	[ "$got" = "$1" ] || { echo "expected $1, got $got"; return 1; }
}

check "module loads with the default policy" fresh_module
check "package_allow_sha1 reads N" test "$(cat $PARAM)" = N

mkdir -p "$R" "$WORK/v1/bin"
echo "app 1" > "$WORK/v1/bin/app"
sign_component "$WORK/v1/bin/app"
image_manifest "$WORK/v1" "$live" 10 "$WORK/m1"
# SHA-1 only, as the annex alone has it (openssl cms, not our tools; with
# signed attributes, as the signers pkg sign adds: the kernel wants all
# signers of a message alike).
$tool raw "$WORK/p.unsigned" version=1 manifest="$WORK/m1" \
	"extract=$live/bin/app:$WORK/v1/bin/app:755"
$tool signed "$WORK/p.unsigned" "$WORK/p.signed"
openssl cms -sign -binary -outform DER -in "$WORK/p.signed" -md sha1 -nosmimecap \
	-signer "$PKI/pkg-signer.pem" -inkey "$PKI/pkg-signer.key" -out "$WORK/p.der"
$tool splice "$WORK/p.unsigned" "$WORK/p.der" "$WORK/sha1.pkg"
# ... plus a SHA-256 signer that is no software signer of the TrE
"$HNBTRE" pkg sign --digest sha256 --cert "$PKI/evil-pkg-signer.pem" \
	--key "$PKI/evil-pkg-signer.key" -o "$WORK/evil256.pkg" "$WORK/sha1.pkg"
# ... plus a SHA-256 software signer
"$HNBTRE" pkg sign --digest sha256 --cert "$PKI/pkg-signer.pem" \
	--key "$PKI/pkg-signer.key" -o "$WORK/both.pkg" "$WORK/sha1.pkg"

before=$(klog_mark)
check "a SHA-1-only signed part written to package: ENOPROTOOPT" \
	kernel_says ENOPROTOOPT < <(signed_part "$WORK/sha1.pkg")
weak_hash_logged() {
	klog_since "$before" | grep -q 'op=hnbtre_package result=refused reason=weak-hash' &&
	klog_since "$before" | grep -q 'hnbtre: package refused: weak-hash'
}
check "... audited and logged as weak-hash" weak_hash_logged
sha1_install_refused() {
	if "$HNBTRE" pkg install --allow-sha1 --root "$R" --roots "$PKI/root.pem" \
		"$WORK/sha1.pkg" > "$WORK/report" 2> "$WORK/stderr"; then
		cat "$WORK/report"; echo "installed"; return 1
	fi
	cat "$WORK/stderr"
	grep -q 'the TrE refused the package: refused weak-hash.*fault 9019' "$WORK/stderr" &&
	[ ! -e "$live" ] && [ -z "$(ls -A "$R/slots" 2>/dev/null)" ]
}
check "userspace asks with --allow-sha1 while the TrE's policy is on: the TrE refuses (9019), nothing installed" \
	sha1_install_refused
check "a SHA-256 signer the TrE does not admit beside a trusted SHA-1 signer: ENOPROTOOPT" \
	kernel_says ENOPROTOOPT < <(signed_part "$WORK/evil256.pkg")
check "a SHA-1 and a SHA-256 software signer: accepted" \
	kernel_says OK < <(signed_part "$WORK/both.pkg")
check "root cannot relax the policy at run time: the parameter is read-only, still N" bash -c "
	! (echo Y > $PARAM) 2> /dev/null && test \"\$(cat $PARAM)\" = N"

before=$(klog_mark)
relaxed() {
	fresh_module package_allow_sha1=1 || return 1
	[ "$(cat $PARAM)" = Y ] &&
	klog_since "$before" | grep -q 'op=hnbtre_package_policy allow_sha1=1' &&
	klog_since "$before" | grep -q 'hnbtre: package policy relaxed'
}
check "loaded with package_allow_sha1=1: logged and audited at load" relaxed
check "... the TrE accepts the SHA-1-only signed part" \
	kernel_says OK < <(signed_part "$WORK/sha1.pkg")
sha1_installed() {
	"$HNBTRE" pkg install --allow-sha1 --root "$R" --roots "$PKI/root.pem" \
		"$WORK/sha1.pkg" > "$WORK/report" 2>&1 || { cat "$WORK/report"; return 1; }
	grep -qx installed=1 "$WORK/report" && grep -qx tim_check=match "$WORK/report" &&
	[ "$(state)" = trusted ]
}
check "... and installed through the TrE with --allow-sha1: trusted" sha1_installed
check "module reloaded with the default policy" fresh_module

rm -rf "$WORK"
tap_done
