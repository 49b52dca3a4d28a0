#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Signed packages through the TrE (Documentation/package.md): a real
# install and an update with the kernel's verdict, the new manifest
# loaded and validated, the expected-TIM self-check; each refusal with
# its own errno and nothing installed.  package_fuzz.sh sends the
# hostile writes.
. "$(dirname "$0")/lib.sh"
tap_init 34

R=$WORK/root
live=$R/current

# signed_part PKG: the header, command list and signature block.
signed_part() { head -c "$(pkg_signed_len "$1")" "$1"; }
tool="python3 $TOP/userspace/tests/pkgtool.py"

# package OUT DIR MANIFEST VERSION SIGNER [BUILD OPTIONS...]
package() {
	local out=$1 dir=$2 manifest=$3 version=$4 signer=$5
	shift 5
	"$HNBTRE" pkg build --dir "$dir" --prefix "$live" --manifest "$manifest" \
		--version "$version" "$@" -o "$out.unsigned" > /dev/null &&
	"$HNBTRE" pkg sign --cert "$PKI/$signer.pem" --key "$PKI/$signer.key" \
		-o "$out" "$out.unsigned"
}

install_pkg() {
	"$HNBTRE" pkg install --root "$R" --roots "${ROOTS:-$PKI/root.pem}" "$1" \
		> "$WORK/report" 2> "$WORK/stderr"
}
report() { sed -n "s/^$1=//p" "$WORK/report"; }

# What must not change when a package is refused.
snapshot() {
	{ readlink "$live"; ls "$R/slots"; state; cat $SFS/tim $SFS/manifest; } 2>&1 |
		sha256sum
}

# refused ERRNO-NAME REASON PKG: the kernel's write fails with ERRNO and
# the installer refuses with REASON; nothing changes.
refused() {
	local before
	before=$(snapshot)
	if [ "$1" != - ]; then
		signed_part "$3" | expect_errno "$1" $SFS/package || return 1
	fi
	if install_pkg "$3"; then
		echo "installed"; return 1
	fi
	grep -q "refused: $2" "$WORK/stderr" || { cat "$WORK/stderr"; return 1; }
	[ "$(snapshot)" = "$before" ] || { echo "something changed"; return 1; }
	[ ! -e "$R/slots/.staging" ] || { echo "staging left behind"; return 1; }
}

check "module loads" fresh_module
mkdir -p "$R" "$WORK/v1/bin" "$WORK/v2/bin" "$WORK/v2/lib"
echo "app 1" > "$WORK/v1/bin/app"
echo "conf 1" > "$WORK/v1/conf"
echo "app 2" > "$WORK/v2/bin/app"
head -c 200000 /dev/urandom > "$WORK/v2/lib/big"
chmod 755 "$WORK/v1/bin/app" "$WORK/v2/bin/app"
for f in "$WORK"/v1/bin/app "$WORK"/v1/conf "$WORK"/v2/bin/app "$WORK"/v2/lib/big; do
	sign_component "$f"
done
image_manifest "$WORK/v1" "$live" 10 "$WORK/m1"
image_manifest "$WORK/v2" "$live" 11 "$WORK/m2"
package "$WORK/p1" "$WORK/v1" "$WORK/m1" 1 pkg-signer
package "$WORK/p2" "$WORK/v2" "$WORK/m2" 2 pkg-signer --remove "$live/conf"

kernel_says() {	# kernel_says ERRNO [CHUNK] < DATA
	local got
	got=$("$WRITE" $SFS/package $2)
	[ "$got" = "$1" ] || { echo "expected $1, got $got"; return 1; }
}
tre_says() {
	local verdict digest
	verdict=$("$HNBTRE" pkg verify --tre --roots "$PKI/root.pem" "$WORK/p1" | sed -n 's/^tre: //p')
	digest=$(head -c $((24 + 0x$(xxd -s 16 -l 4 -p "$WORK/p1"))) "$WORK/p1" | sha256sum | cut -d' ' -f1)
	echo "$verdict"
	[ "$verdict" = "accepted signed=sha256:$digest" ]
}
check "the TrE's verdict names the digest of the header and command list it verified" tre_says
check "chunked writes of 7 bytes: accepted" \
	kernel_says OK 7 < <(signed_part "$WORK/p1")

installed_v1() {
	install_pkg "$WORK/p1" || { cat "$WORK/report" "$WORK/stderr"; return 1; }
	cat "$WORK/report"
	[ "$(report installed)" = 1 ] && [ "$(report tim_check)" = match ] &&
	[ "$(report tre_verdict)" != - ] && [ "$(state)" = trusted ] &&
	[ "$(sed -n 2p $SFS/manifest)" = "version 10" ] &&
	cmp "$WORK/v1/bin/app" "$live/bin/app" &&
	grep -q "^ok $live/bin/app " $SFS/components
}
check "install version 1 through the TrE: manifest 10 active, state trusted, TIM as expected" installed_v1
check "the installed files carry their security.ima signatures" bash -c \
	"getfattr -n security.ima '$live/bin/app' > /dev/null && getfattr -n security.ima '$live/conf' > /dev/null"

updated_v2() {
	local old_tim
	old_tim=$(cat $SFS/tim)
	install_pkg "$WORK/p2" || { cat "$WORK/report" "$WORK/stderr"; return 1; }
	cat "$WORK/report"
	[ "$(report installed)" = 1 ] && [ "$(report tim_check)" = match ] &&
	[ "$(report old_tim)" = "$old_tim" ] &&
	[ "$(report expected_tim)" = "$(cat $SFS/tim)" ] &&
	[ "$(state)" = trusted ] && [ "$(sed -n 2p $SFS/manifest)" = "version 11" ] &&
	[ ! -e "$live/conf" ] && cmp "$WORK/v2/lib/big" "$live/lib/big"
}
check "update to version 2: manifest 11 active, state trusted, expected TIM = measured TIM" updated_v2

# Refusals.  Roots that also trust the untrusted CA, so that only the
# kernel can refuse its signer.
cat "$PKI/root.pem" "$PKI/evil-root.pem" > "$WORK/both-roots.pem"
image_manifest "$WORK/v2" "$live" 12 "$WORK/m3"
package "$WORK/evil" "$WORK/v2" "$WORK/m3" 3 evil-pkg-signer
ROOTS=$WORK/both-roots.pem
check "signer unknown to the TrE (userspace trusts it): ENOKEY, nothing installed" \
	refused ENOKEY "unknown signer" "$WORK/evil"
ROOTS=
audited() {
	dmesg | grep -q 'op=hnbtre_package result=refused reason=unknown-signer' &&
	dmesg | grep -q 'hnbtre: package refused: unknown-signer'
}
check "the refusal is audited and logged with its reason" audited

package "$WORK/p3" "$WORK/v2" "$WORK/m3" 3 pkg-signer
cmds_len=$((0x$(xxd -s 16 -l 4 -p "$WORK/p3")))
signed_len=$(pkg_signed_len "$WORK/p3")
flip() {	# flip IN OFFSET OUT
	cp "$1" "$3"
	printf "$(printf '\\x%02x' $((0x$(xxd -s "$2" -l 1 -p "$1") ^ 0xff)))" |
		dd of="$3" bs=1 seek="$2" conv=notrunc status=none
}
flip "$WORK/p3" $((signed_len - 1)) "$WORK/badsig"
check "a flipped byte in the signature value: EKEYREJECTED, nothing installed" \
	refused EKEYREJECTED "bad signature" "$WORK/badsig"
# the last byte before End: the mode of the last file
flip "$WORK/p3" $((24 + cmds_len - 9)) "$WORK/badcmd"
check "a flipped byte in the command list: EKEYREJECTED, nothing installed" \
	refused EKEYREJECTED "bad signature" "$WORK/badcmd"
flip "$WORK/p3" 13 "$WORK/badminor"
check "a flipped byte in the minor version (signed): EKEYREJECTED, nothing installed" \
	refused EKEYREJECTED "bad signature" "$WORK/badminor"
flip "$WORK/p3" 11 "$WORK/badhdr"
check "another major version: EBADMSG, nothing installed" \
	refused EBADMSG "bad format" "$WORK/badhdr"
{ head -c 16 "$WORK/p3"; printf '\0\0\0\x06'; tail -c +21 "$WORK/p3"; } > "$WORK/badlen"
check "a command list length cutting a command: EBADMSG, nothing installed" \
	refused EBADMSG "bad format" "$WORK/badlen"
$tool raw "$WORK/overrun.unsigned" version=3 "rawbytes=0000000b00000100"
check "a command overrunning the command list: EBADMSG" \
	kernel_says EBADMSG < <(signed_part "$WORK/overrun.unsigned")
flip "$WORK/p3" $(( $(stat -c %s "$WORK/p3") - 1 )) "$WORK/badpayload"
check "a flipped payload byte: the TrE accepts the signed part, the stream finds the digest mismatch, nothing installed" \
	refused OK "digest mismatch" "$WORK/badpayload"
check "version 1 after version 2: rollback, nothing installed" \
	refused OK rollback "$WORK/p1"
image_manifest "$WORK/v2" "$live" 9 "$WORK/m9"
package "$WORK/p9" "$WORK/v2" "$WORK/m9" 4 pkg-signer
check "package version 4 carrying manifest version 9 < 11 (the TrE's): rollback, nothing installed" \
	refused OK rollback "$WORK/p9"

check "unsigned signed part: ENOKEY" \
	kernel_says ENOKEY < <(signed_part "$WORK/p3.unsigned")
check "more than 24 + 65535 + 65536 bytes in one write: EFBIG" \
	kernel_says EFBIG < <(head -c $((24 + 65535 + 65536 + 1)) /dev/zero)
check "more bytes than header, command list and signature block: EBADMSG" \
	kernel_says EBADMSG < <(signed_part "$WORK/p3"; echo x)
check "close() before the declared length: EBADMSG" \
	kernel_says EBADMSG < <(head -c 100 "$WORK/p3")
read_too_early() {
	exec 3<> $SFS/package
	! cat <&3 2> "$WORK/err"
	local ret=$?
	exec 3<&-
	[ $ret = 0 ] && grep -q 'No data' "$WORK/err"
}
check "read before the transaction ends: ENODATA" read_too_early
second_transaction() {
	local got
	exec 3<> $SFS/package
	got=$("$WRITE" $SFS/package < /dev/null)
	exec 3<&-
	[ "$got" = EBUSY ] || { echo "got $got"; return 1; }
}
check "a second transaction while one is open: EBUSY" second_transaction
check "root without CAP_SYS_ADMIN: EPERM" bash -c \
	"[ \"\$(setpriv --inh-caps=-sys_admin --bounding-set=-sys_admin '$WRITE' $SFS/package < '$WORK/p1')\" = EPERM ]"
still_v2() {
	[ "$(state)" = trusted ] && [ "$(sed -n 2p $SFS/manifest)" = "version 11" ] &&
	grep -qx 'version 2' "$live/.hnbtre/package"
}
check "still trusted, manifest 11, package version 2 current after every refusal" still_v2

$tool raw "$WORK/ram.unsigned" version=3 manifest="$WORK/m3" rawcmd=22:ffffffff \
	"extract=$live/bin/app:$WORK/v2/bin/app:755" "extract=$live/lib/big:$WORK/v2/lib/big"
"$HNBTRE" pkg sign --cert "$PKI/pkg-signer.pem" --key "$PKI/pkg-signer.key" \
	-o "$WORK/ram" "$WORK/ram.unsigned"
check "Minimum Volatile Storage Size 4 GiB on a 2 GiB device: the TrE accepts, the installer refuses, nothing installed" \
	refused OK "not for this device" "$WORK/ram"

# Packages from tools that are not ours: the header and commands from a
# script that follows the annex's tables (pkgtool.py), the SignedData
# from openssl cms, installed through the TrE.
interop() {	# interop OUT MANIFEST-VERSION PACKAGE-VERSION OPENSSL-OPTIONS...
	local out=$1
	image_manifest "$WORK/v2" "$live" "$2" "$out.manifest"
	$tool raw "$out.unsigned" version="$3" manifest="$out.manifest" \
		"extract=$live/bin/app:$WORK/v2/bin/app:755" \
		"extract=$live/lib/big:$WORK/v2/lib/big:644" end &&
	$tool signed "$out.unsigned" "$out.signed" &&
	shift 3 &&
	openssl cms -sign -binary -outform DER -in "$out.signed" -signer "$PKI/pkg-signer.pem" \
		-inkey "$PKI/pkg-signer.key" -out "$out.der" "$@" &&
	$tool splice "$out.unsigned" "$out.der" "$out"
}
installed_as() {	# installed_as MANIFEST-VERSION PKG [INSTALL OPTIONS]
	local version=$1 pkg=$2
	shift 2
	"$HNBTRE" pkg install --root "$R" --roots "$PKI/root.pem" "$@" "$pkg" \
		> "$WORK/report" 2> "$WORK/stderr" || { cat "$WORK/report" "$WORK/stderr"; return 1; }
	[ "$(report installed)" = 1 ] && [ "$(report tim_check)" = match ] &&
	[ "$(state)" = trusted ] && [ "$(sed -n 2p $SFS/manifest)" = "version $version" ] &&
	getfattr -n security.ima "$live/bin/app" > /dev/null
}
interop "$WORK/i1" 13 3 -md sha1 -noattr
check "script + openssl cms -md sha1 -noattr: the TrE refuses the signed part (no SHA-256 signer): ENOPROTOOPT" \
	kernel_says ENOPROTOOPT < <(signed_part "$WORK/i1")
check "... the default userspace policy refuses it first: weak hash, nothing installed" \
	refused ENOPROTOOPT "weak hash" "$WORK/i1"
check "... with --allow-sha1 the TrE refuses it: weak-hash, nothing installed" bash -c "
	! '$HNBTRE' pkg install --allow-sha1 --root '$R' --roots '$PKI/root.pem' '$WORK/i1' 2>&1 |
		grep 'installed=1' && ! test -e '$R/slots/.staging' &&
	'$HNBTRE' pkg install --allow-sha1 --root '$R' --roots '$PKI/root.pem' '$WORK/i1' 2>&1 |
		grep -q 'the TrE refused the package: refused weak-hash'"
interop "$WORK/i2" 14 4 -md sha256 -noattr
check "script + openssl cms -md sha256 -noattr: installed through the TrE, manifest 14" \
	installed_as 14 "$WORK/i2"
# no sMIMECapabilities: the kernel's PKCS#7 parser allows them only in
# Authenticode (Documentation/package.md, "Choices")
interop "$WORK/i3" 15 5 -md sha256 -nosmimecap
$tool bare "$WORK/i3.der" "$WORK/i3.bare"
$tool splice "$WORK/i3.unsigned" "$WORK/i3.bare" "$WORK/i3b"
check "a bare SignedData (signed attributes, no ContentInfo): the TrE accepts it" \
	kernel_says OK < <(signed_part "$WORK/i3b")
check "... installed through the TrE, manifest 15" installed_as 15 "$WORK/i3b"

# The versioned commands through the TrE: version 6 brings versions of
# fw, cfg and mod; version 7 has one of each versioned command.
mkdir -p "$WORK/v6/bin" "$WORK/v6/lib" "$WORK/v7"
cp "$WORK/v2/bin/app" "$WORK/v6/bin/app"
cp "$WORK/v2/lib/big" "$WORK/v6/lib/big"
for f in fw.001 fw.002 cfg.001 mod.001 mod.002 fw.003 new.001; do
	echo "lib/$f" > "$WORK/$f"
	sign_component "$WORK/$f"
done
for f in fw.001 fw.002 cfg.001 mod.001 mod.002; do
	cp "$WORK/$f" "$WORK/v6/lib/$f"
done
image_manifest "$WORK/v6" "$live" 16 "$WORK/m6"
$tool raw "$WORK/x6.unsigned" version=6 manifest="$WORK/m6" \
	$(for f in fw.001 fw.002 cfg.001 mod.001 mod.002; do echo "extract=$live/lib/$f:$WORK/$f"; done)
"$HNBTRE" pkg sign --cert "$PKI/pkg-signer.pem" --key "$PKI/pkg-signer.key" \
	-o "$WORK/x6" "$WORK/x6.unsigned"
check "version 6 (fw.001, fw.002, cfg.001, mod.001, mod.002): installed through the TrE, manifest 16" \
	installed_as 16 "$WORK/x6"
cp -a "$WORK/v6/." "$WORK/v7/"
rm "$WORK"/v7/lib/fw.00[12] "$WORK/v7/lib/cfg.001" "$WORK"/v7/lib/mod.00[12]
cp "$WORK/fw.003" "$WORK/new.001" "$WORK/v7/lib/"
cp "$WORK/mod.001" "$WORK/v7/bin/mod"
image_manifest "$WORK/v7" "$live" 17 "$WORK/m7"
$tool raw "$WORK/x7.unsigned" version=7 manifest="$WORK/m7" \
	"extractv=$live/lib/fw.003:$WORK/fw.003" "addv=$live/lib/new.001:$WORK/new.001" \
	"removev=$live/lib/cfg.000" "movev=$live/lib/mod.000:$live/bin/mod"
"$HNBTRE" pkg sign --cert "$PKI/pkg-signer.pem" --key "$PKI/pkg-signer.key" \
	-o "$WORK/x7" "$WORK/x7.unsigned"
versioned_installed() {
	installed_as 17 "$WORK/x7" || return 1
	diff <(cd "$WORK/v7" && find . -type f | LC_ALL=C sort) \
	     <(cd "$live" && find . -path ./.hnbtre -prune -o -type f -print | LC_ALL=C sort) &&
	cmp "$WORK/mod.001" "$live/bin/mod" && cmp "$WORK/fw.003" "$live/lib/fw.003" &&
	getfattr -n security.ima "$live/lib/fw.003" > /dev/null
}
check "Extract, Add, Remove and Move Versioned File in one package through the TrE: manifest 17, trusted, TIM as expected" \
	versioned_installed

rm -rf "$WORK"
tap_done
