#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# hnbtre-hems replace (Documentation/distress.md, "Replacement from the
# H(e)MS"): the reference values computed from a real signed package by
# hnbtre_pkg_reference(), checked here against the TIM definition
# computed with sha256sum; refusals queue nothing.  Needs $HNBTRE, $PKI.
. "$(dirname "$0")/tap.sh"
HEMS="$(dirname "$HNBTRE")/hnbtre-hems --db $tmp/hems.db"
live=/opt/hnb/current

echo "TAP version 13"
echo "1..6"

mkdir -p "$tmp/img/bin" "$tmp/img/lib"
echo "app 2" > "$tmp/img/bin/app"
echo "lib 2" > "$tmp/img/lib/libx"
# The manifest: the two files and one the package does not touch.
{
	printf 'hnbtre-manifest 1\nversion 7\n'
	{
		for f in bin/app lib/libx; do
			echo "$live/$f sha256:$(sha256sum < "$tmp/img/$f" | cut -d' ' -f1) normal"
		done
		echo "/usr/lib/hnbtre-distress/hnbtre-distress sha256:$(printf x | sha256sum | cut -d' ' -f1) distress"
	} | LC_ALL=C sort
} > "$tmp/m.txt"
"$HNBTRE" manifest sign --key "$PKI/signer.key" --cert "$PKI/signer.pem" \
	"$tmp/m.txt" "$tmp/m" &&
"$HNBTRE" pkg build --dir "$tmp/img" --prefix "$live" --manifest "$tmp/m" \
	--version 3 -o "$tmp/p.unsigned" > /dev/null &&
"$HNBTRE" pkg sign --cert "$PKI/signer.pem" --key "$PKI/signer.key" \
	-o "$tmp/p.pkg" "$tmp/p.unsigned" || exit 1
# The TIM definition (contract.md) over lines "<path> sha256:<hex>\n".
rim_of() { awk '{ print $1, $2 }' | sha256sum | sed 's/ .*//; s/^/sha256:/'; }
platform=$(tail -n +3 "$tmp/m.txt" | rim_of)
patch=$(tail -n +3 "$tmp/m.txt" | grep "^$live/" | rim_of)
$HEMS devices > /dev/null	# creates the schema
sqlite3 "$tmp/hems.db" "INSERT INTO devices (identity, cert) VALUES ('dev1', x'00')"

check "replace queues the package with its platform and patch RIM" bash -c "
	$HEMS replace dev1 '$tmp/p.pkg' | grep -qx 'replacement of dev1 with $tmp/p.pkg queued: platform RIM $platform, patch RIM $patch'"
check "show lists it as requested" bash -c "
	$HEMS --json show dev1 | jq -e '.replacements == [{\"requested\": .replacements[0].requested,
		\"package\": \"$tmp/p.pkg\", \"platform_rim\": \"$platform\",
		\"patch_rim\": \"$patch\", \"state\": \"requested\", \"sent\": null, \"distress\": null}]' > /dev/null"
count() { sqlite3 "$tmp/hems.db" "SELECT count(*) FROM replacements"; }
check "an unknown device: refused, nothing queued" bash -c "
	! $HEMS replace dev2 '$tmp/p.pkg' 2> '$tmp/err' && grep -q 'no device dev2' '$tmp/err' &&
	[ \$(sqlite3 '$tmp/hems.db' 'SELECT count(*) FROM replacements') = 1 ]"
# The last byte of the payload (a file the manifest names) changed.
cp "$tmp/p.pkg" "$tmp/bad.pkg"
printf 'X' | dd of="$tmp/bad.pkg" bs=1 seek=$(($(stat -c %s "$tmp/p.pkg") - 1)) conv=notrunc 2>/dev/null
check "a payload that differs from its signed digest: refused, nothing queued" bash -c "
	! $HEMS replace dev1 '$tmp/bad.pkg' 2> '$tmp/err' && grep -q 'digest' '$tmp/err' &&
	[ \$(sqlite3 '$tmp/hems.db' 'SELECT count(*) FROM replacements') = 1 ]"
check "not a package: refused" bash -c "! $HEMS replace dev1 '$tmp/m' 2>/dev/null"
check "the schema is at version 4" \
	test "$(sqlite3 "$tmp/hems.db" 'PRAGMA user_version')" = 4
[ $failed = 0 ]
