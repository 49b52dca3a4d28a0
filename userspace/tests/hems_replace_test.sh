#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# hnbtre-hems replace (Documentation/distress.md, "Replacement from the
# H(e)MS"): the reference values computed from a real signed package by
# hnbtre_pkg_reference(), checked here against `hnbtre rim` of the
# manifest and of the files the package installs; refusals queue nothing.  Needs $HNBTRE, $PKI.
. "$(dirname "$0")/tap.sh"
. "$(dirname "$0")/distress_lib.sh"
HEMS="$(dirname "$HNBTRE")/hnbtre-hems --db $tmp/hems.db"
live=/opt/hnb/current

echo "TAP version 13"
echo "1..10"

mkdir -p "$tmp/img/bin" "$tmp/img/lib"
echo "app 2" > "$tmp/img/bin/app"
echo "lib 2" > "$tmp/img/lib/libx"
# The manifest: the two files and one the package does not touch.
mkdir -p "$tmp/sys/usr/lib/hnbtre-distress"
printf x > "$tmp/sys/usr/lib/hnbtre-distress/hnbtre-distress"
signed_manifest "$tmp/m" 7 --root "$tmp/img" --prefix "$live" "$tmp/img/bin/app" \
	"$tmp/img/lib/libx" --class distress --root "$tmp/sys" --prefix / \
	"$tmp/sys/usr/lib/hnbtre-distress/hnbtre-distress" &&
"$HNBTRE" pkg build --dir "$tmp/img" --prefix "$live" --manifest "$tmp/m" \
	--version 3 -o "$tmp/p.unsigned" > /dev/null &&
"$HNBTRE" pkg sign --cert "$PKI/pkg-signer.pem" --key "$PKI/pkg-signer.key" \
	-o "$tmp/p.pkg" "$tmp/p.unsigned" || exit 1
platform=$("$HNBTRE" rim "$tmp/m")
patch=$(rim_of --root "$tmp/img" --prefix "$live" "$tmp/img/bin/app" "$tmp/img/lib/libx")
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
check "the schema is at version 7" \
	test "$(sqlite3 "$tmp/hems.db" 'PRAGMA user_version')" = 7

# The receiver: an authentic (PSK) indication from dev1 is answered with
# the package; unauthenticated ones and a TrE failure get none.
mkdir -p "$tmp/psk"
head -c 32 /dev/urandom > "$tmp/psk/dev1"
port=$((20000 + $$ % 20000))
$HEMS --listen 127.0.0.1 --port $((port + 1)) --cert "$PKI/hems.pem" \
	--key "$PKI/hems.key" --ca "$PKI/root.pem" --public-url https://127.0.0.1 \
	--distress-tcp-port $port --distress-psk-dir "$tmp/psk" --revocation off serve 2> "$tmp/hems.log" &
hems=$!
trap 'kill $hems; rm -rf "$tmp"' EXIT
wait_port $port
# indicate AUTH SEQUENCE CLASS: one indication of dev1, the whole answer
# in $tmp/answer.
indicate() { distress_indicate $port dev1 "$tmp/psk/dev1" "$@" > "$tmp/answer"; }
indicate none 1 normal
check "unauthenticated indication: no package, still queued" \
	bash -c "[ \"\$(cat '$tmp/answer')\" = 'ACCEPTED recorded as unauthenticated' ] && [ \"\$(sqlite3 '$tmp/hems.db' 'SELECT state FROM replacements')\" = requested ]"
indicate psk 2 tre
check "authentic, but a tre component failed: no package (7.12.4)" \
	bash -c "[ \"\$(cat '$tmp/answer')\" = 'ACCEPTED recorded, device marked for maintenance' ] && [ \"\$(sqlite3 '$tmp/hems.db' 'SELECT state FROM replacements')\" = requested ]"
indicate psk 3 normal
{ printf 'REPLACE %d\n' "$(stat -c %s "$tmp/p.pkg")"; cat "$tmp/p.pkg"; } > "$tmp/expected"
check "authentic indication: REPLACE and the package, byte for byte" cmp "$tmp/expected" "$tmp/answer"
check "recorded as sent with the indication, the expected RIM set" bash -c "
	[ \"\$(sqlite3 '$tmp/hems.db' 'SELECT state, distress FROM replacements')\" = \"sent|\$(sqlite3 '$tmp/hems.db' 'SELECT max(id) FROM distress')\" ] &&
	[ \"\$(sqlite3 '$tmp/hems.db' \"SELECT expected_rim, expected_state FROM devices WHERE identity = 'dev1'\")\" = '$platform|sent' ]"
[ $failed = 0 ]
