#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Signed packages through the TrE (Documentation/package.md): a real
# install and an update with the kernel's verdict, the new manifest
# loaded and validated, the expected-TIM self-check; each refusal with
# its own errno and nothing installed.  package_fuzz.sh sends the
# hostile writes.
. "$(dirname "$0")/lib.sh"
tap_init 23

R=$WORK/root
live=$R/current

# signed_part PKG: the header, command list and signature section.
signed_part() {
	local cmds sigs
	cmds=$((0x$(xxd -s 12 -l 4 -p "$1")))
	sigs=$((0x$(xxd -s 16 -l 4 -p "$1")))
	head -c $((24 + cmds + sigs)) "$1"
}

# image_manifest DIR VERSION OUT: signed manifest of DIR's files as they
# are installed under $live.
image_manifest() {
	local dir=$1 f
	{
		printf 'hnbtre-manifest 1\nversion %s\n' "$2"
		(cd "$dir" && find . -type f | sed 's|^\.||') | while read -r f; do
			echo "$live$f sha256:$(sha256sum < "$dir$f" | cut -d' ' -f1) normal"
		done | LC_ALL=C sort
	} > "$3.body"
	"$HNBTRE" manifest sign --key "$PKI/signer.key" --cert "$PKI/signer.pem" \
		"$3.body" "$3"
}

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
image_manifest "$WORK/v1" 10 "$WORK/m1"
image_manifest "$WORK/v2" 11 "$WORK/m2"
package "$WORK/p1" "$WORK/v1" "$WORK/m1" 1 signer
package "$WORK/p2" "$WORK/v2" "$WORK/m2" 2 signer --remove "$live/conf"

kernel_says() {	# kernel_says ERRNO [CHUNK] < DATA
	local got
	got=$("$WRITE" $SFS/package $2)
	[ "$got" = "$1" ] || { echo "expected $1, got $got"; return 1; }
}
tre_says() {
	local verdict digest
	verdict=$("$HNBTRE" pkg verify --tre --roots "$PKI/root.pem" "$WORK/p1" | sed -n 's/^tre: //p')
	digest=$(tail -c +25 "$WORK/p1" | head -c $((0x$(xxd -s 12 -l 4 -p "$WORK/p1"))) | sha256sum | cut -d' ' -f1)
	echo "$verdict"
	[ "$verdict" = "accepted version=1 commands=sha256:$digest signatures=1/1" ]
}
check "the TrE's verdict names the version and the digest of the commands it verified" tre_says
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
image_manifest "$WORK/v2" 12 "$WORK/m3"
package "$WORK/evil" "$WORK/v2" "$WORK/m3" 3 evil-signer
ROOTS=$WORK/both-roots.pem
check "signer unknown to the TrE (userspace trusts it): ENOKEY, nothing installed" \
	refused ENOKEY "unknown signer" "$WORK/evil"
ROOTS=
audited() {
	dmesg | grep -q 'op=hnbtre_package result=refused reason=unknown-signer' &&
	dmesg | grep -q 'hnbtre: package refused: unknown-signer'
}
check "the refusal is audited and logged with its reason" audited

package "$WORK/p3" "$WORK/v2" "$WORK/m3" 3 signer
cmds_len=$((0x$(xxd -s 12 -l 4 -p "$WORK/p3")))
sigs_len=$((0x$(xxd -s 16 -l 4 -p "$WORK/p3")))
flip() {	# flip IN OFFSET OUT
	cp "$1" "$3"
	printf "$(printf '\\x%02x' $((0x$(xxd -s "$2" -l 1 -p "$1") ^ 0xff)))" |
		dd of="$3" bs=1 seek="$2" conv=notrunc status=none
}
flip "$WORK/p3" $((24 + cmds_len + sigs_len - 1)) "$WORK/badsig"
check "a flipped byte in the signature value: EKEYREJECTED, nothing installed" \
	refused EKEYREJECTED "bad signature" "$WORK/badsig"
flip "$WORK/p3" $((24 + cmds_len - 1)) "$WORK/badcmd"
check "a flipped byte in the command list: EKEYREJECTED, nothing installed" \
	refused EKEYREJECTED "bad signature" "$WORK/badcmd"
flip "$WORK/p3" 11 "$WORK/badhdr"
check "a header of another format: EBADMSG, nothing installed" \
	refused EBADMSG "bad format" "$WORK/badhdr"
{ head -c 12 "$WORK/p3"; printf '\0\0\0\x06'; tail -c +17 "$WORK/p3"; } > "$WORK/badlen"
check "a command list length cutting a command: EBADMSG, nothing installed" \
	refused EBADMSG "bad format" "$WORK/badlen"
flip "$WORK/p3" $(( $(stat -c %s "$WORK/p3") - 1 )) "$WORK/badpayload"
check "a flipped payload byte: the TrE accepts the signed part, the stream finds the digest mismatch, nothing installed" \
	refused OK "digest mismatch" "$WORK/badpayload"
check "version 1 after version 2: rollback, nothing installed" \
	refused OK rollback "$WORK/p1"
image_manifest "$WORK/v2" 9 "$WORK/m9"
package "$WORK/p9" "$WORK/v2" "$WORK/m9" 4 signer
check "package version 4 carrying manifest version 9 < 11 (the TrE's): rollback, nothing installed" \
	refused OK rollback "$WORK/p9"

check "unsigned signed part: ENOKEY" \
	kernel_says ENOKEY < <(signed_part "$WORK/p3.unsigned")
check "more than 24 + 1 MiB + 256 KiB in one write: EFBIG" \
	kernel_says EFBIG < <(head -c $(( (1 << 20) + (256 << 10) + 25 )) /dev/zero)
check "more bytes than the header declares: EBADMSG" \
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

rm -rf "$WORK"
tap_done
