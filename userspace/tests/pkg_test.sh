#!/bin/bash
# Signed packages on the host (Documentation/package.md): build, sign,
# inspect, verify with every refusal reason, install into A/B slots
# without the TrE (--no-tre), anti-rollback, path traversal, and the
# installer killed at every step.  Needs $HNBTRE and $PKI.
. "$(dirname "$0")/tap.sh"
tool="python3 $(dirname "$0")/pkgtool.py"
R=$tmp/root
live=$R/current

tap_plan 97

# refused REASON FAULT COMMAND...: exit status 1 and the reason and fault
# code on stderr.
refused() {
	local reason=$1 fault=$2 rc
	shift 2
	"$@" > "$tmp/refused.out" 2>&1
	rc=$?
	cat "$tmp/refused.out"
	[ "$rc" = 1 ] && grep -q "refused: $reason.* fault $fault" "$tmp/refused.out"
}
verify() { "$HNBTRE" pkg verify --roots "$PKI/root.pem" "$@"; }
install_pkg() { "$HNBTRE" pkg install --root "$R" --roots "$PKI/root.pem" --no-tre "$@"; }

# Certificates the test PKI lacks: a signer that expired and one that is
# not yet valid, both issued by the operator root.
mkdir -p "$tmp/ca"
: > "$tmp/ca/index.txt"
echo 1000 > "$tmp/ca/serial"
cat > "$tmp/ca.cnf" <<EOF
[ca]
default_ca = test
[test]
database = $tmp/ca/index.txt
serial = $tmp/ca/serial
new_certs_dir = $tmp/ca
default_md = sha256
policy = anything
[anything]
commonName = supplied
EOF
software_role=$(sed -n 's/^software //p' "$PKI/roles")
# Signer certificate extensions: code signing, and two that lack a usage.
extensions() {	# extensions SECTION KEYUSAGE [EXTENDED]
	printf '[%s]\nbasicConstraints = critical,CA:FALSE\n' "$1"
	printf 'subjectKeyIdentifier = hash\nauthorityKeyIdentifier = keyid:always\n'
	printf 'keyUsage = critical,%s\n' "$2"
	[ -z "${3:-}" ] || printf 'extendedKeyUsage = %s\n' "$3"
}
{
	extensions code digitalSignature "codeSigning,$software_role"
	extensions nodigsig nonRepudiation "codeSigning,$software_role"
	extensions noeku digitalSignature
} >> "$tmp/ca.cnf"
ca_sign() {	# ca_sign NAME START END [EXTENSIONS]
	openssl req -new -key "$PKI/pkg-signer.key" -subj "/CN=$1" -out "$tmp/$1.csr" &&
	openssl ca -batch -notext -config "$tmp/ca.cnf" -cert "$PKI/root.pem" \
		-keyfile "$PKI/root.key" -extensions "${4:-code}" -in "$tmp/$1.csr" \
		-out "$tmp/$1.pem" -startdate "$2" -enddate "$3" 2>/dev/null
}
ca_sign expired 20200101000000Z 20210101000000Z
ca_sign future 20900101000000Z 20910101000000Z
ca_sign nodigsig 20200101000000Z 20900101000000Z nodigsig
ca_sign noeku 20200101000000Z 20900101000000Z noeku

# Version 1 of the image: two files; version 2 changes one, adds one,
# removes one.
mkdir -p "$tmp/v1/bin" "$tmp/v2/bin" "$tmp/v2/lib"
echo "app 1" > "$tmp/v1/bin/app"
echo "conf 1" > "$tmp/v1/conf"
chmod 755 "$tmp/v1/bin/app"
echo "app 2" > "$tmp/v2/bin/app"
head -c 300000 /dev/urandom > "$tmp/v2/lib/big"
chmod 755 "$tmp/v2/bin/app"

image_manifest "$tmp/v1" "$live" 10 "$tmp/m1"
image_manifest "$tmp/v2" "$live" 11 "$tmp/m2"

pkg() {	# pkg OUT DIR MANIFEST VERSION [BUILD OPTIONS...]
	local out=$1 dir=$2 manifest=$3 version=$4
	shift 4
	"$HNBTRE" pkg build --dir "$dir" --prefix "$live" --manifest "$manifest" \
		--version "$version" "$@" -o "$out.unsigned" &&
	"$HNBTRE" pkg sign --cert "$PKI/pkg-signer.pem" --key "$PKI/pkg-signer.key" \
		-o "$out" "$out.unsigned"
}
check "build and sign version 1" pkg "$tmp/p1" "$tmp/v1" "$tmp/m1" 1 --description "first"
check "build and sign version 2 (change, add, remove)" \
	pkg "$tmp/p2" "$tmp/v2" "$tmp/m2" 2 --remove "$live/conf"
check "verify accepts a good package" verify "$tmp/p2"
check "inspect --json: version, files, removal, one signer, every command named" bash -c "
	'$HNBTRE' pkg inspect --json '$tmp/p2' | jq -e '.version == \"2\" and
		(.files | length) == 2 and
		.actions == [{\"command\": \"Remove File\", \"path\": \"$live/conf\"}] and
		(.signers | length) == 1 and .files[0].path == \"$live/bin/app\" and
		.files[0].command == \"Extract File\" and
		([.commands[].name] == [\"Version\", \"hnbtre Manifest\",
			\"Extract File\", \"hnbtre SHA-256\", \"hnbtre Mode\",
			\"Extract File\", \"hnbtre SHA-256\", \"hnbtre Mode\",
			\"Remove File\", \"End\"])'"
# The H(e)MS's expectation: the TIM definition (`hnbtre rim`) over the
# manifest (platform RIM) and over the files the package installs (patch
# RIM), here from the staged files rather than the package's commands.
reference_of_p2() {
	local want_rim want_patch
	want_rim=$("$HNBTRE" rim "$tmp/m2")
	want_patch=$(rim_of --root "$tmp/v2" --prefix "$live" "$tmp/v2/bin/app" "$tmp/v2/lib/big")
	"$HNBTRE" pkg reference "$tmp/p2" > "$tmp/reference" || return 1
	cat "$tmp/reference"
	[ "$(cat "$tmp/reference")" = "package_version=2
manifest_version=11
files=2
platform_rim=$want_rim
patch_rim=$want_patch" ]
}
check "reference: expected platform RIM and patch RIM (TIM definition)" reference_of_p2
reference_refuses_corrupted() {
	local out
	cp "$tmp/p2" "$tmp/p2.corrupt" &&
	printf 'X' | dd of="$tmp/p2.corrupt" bs=1 seek=$(($(stat -c %s "$tmp/p2") - 1)) \
		conv=notrunc 2> /dev/null
	out=$("$HNBTRE" pkg reference "$tmp/p2.corrupt" 2>&1)
	[ $? = 1 ] && echo "$out" | grep -q "digest"
}
check "reference refuses a package whose payload differs from its digests" \
	reference_refuses_corrupted
check "build refuses a manifest that does not cover the files" fails \
	"$HNBTRE" pkg build --dir "$tmp/v2" --prefix "$live" --manifest "$tmp/m1" \
	--version 3 -o "$tmp/bad.pkg"
check "build refuses a prefix with .." fails "$HNBTRE" pkg build --dir "$tmp/v1" \
	--prefix "$live/../x" --manifest "$tmp/m1" --version 3 -o "$tmp/bad.pkg"

# Signers.
check "unsigned: unknown signer, 9019" refused "unknown signer" 9019 verify "$tmp/p2.unsigned"
"$HNBTRE" pkg sign --cert "$PKI/evil-pkg-signer.pem" --key "$PKI/evil-pkg-signer.key" \
	-o "$tmp/evil.pkg" "$tmp/p2.unsigned"
check "signer not chained to a root: unknown signer" refused "unknown signer" 9019 \
	verify "$tmp/evil.pkg"
"$HNBTRE" pkg sign --cert "$tmp/expired.pem" --key "$PKI/pkg-signer.key" \
	-o "$tmp/expired.pkg" "$tmp/p2.unsigned"
check "signer chained to the root but expired: expired" refused expired 9019 \
	verify "$tmp/expired.pkg"
"$HNBTRE" pkg sign --cert "$tmp/future.pem" --key "$PKI/pkg-signer.key" \
	-o "$tmp/future.pkg" "$tmp/p2.unsigned"
check "signer not yet valid: expired" refused expired 9019 verify "$tmp/future.pkg"
check "good signer checked at a time after its expiry (--time): expired" \
	refused expired 9019 verify --time 4102444800 "$tmp/p2"
"$HNBTRE" pkg sign --cert "$PKI/device.pem" --key "$PKI/device.key" \
	-o "$tmp/usage.pkg" "$tmp/p2.unsigned"
check "signer without codeSigning (device certificate): wrong usage" \
	refused "signer certificate not allowed" 9019 verify "$tmp/usage.pkg"
for cert in nodigsig noeku; do
	"$HNBTRE" pkg sign --cert "$tmp/$cert.pem" --key "$PKI/pkg-signer.key" \
		-o "$tmp/$cert.pkg" "$tmp/p2.unsigned"
done
"$HNBTRE" pkg sign --cert "$PKI/ima.pem" --key "$PKI/ima.key" \
	-o "$tmp/component.pkg" "$tmp/p2.unsigned"
check "signer with codeSigning but the component role (not software): wrong usage" \
	refused "signer certificate not allowed" 9019 verify "$tmp/component.pkg"
check "signer with codeSigning but key usage without digitalSignature: wrong usage" \
	refused "signer certificate not allowed" 9019 verify "$tmp/nodigsig.pkg"
check "signer with digitalSignature but no extended key usage: wrong usage" \
	refused "signer certificate not allowed" 9019 verify "$tmp/noeku.pkg"
"$HNBTRE" pkg sign --cert "$PKI/evil-pkg-signer.pem" --key "$PKI/evil-pkg-signer.key" \
	--digest sha384 --cert "$PKI/pkg-signer.pem" --key "$PKI/pkg-signer.key" \
	-o "$tmp/two.pkg" "$tmp/p2.unsigned"
check "two signatures, one unknown signer (sha256) and one operator signer (sha384): accepted" \
	verify "$tmp/two.pkg"
"$HNBTRE" pkg sign --cert "$PKI/pkg-signer.pem" --key "$PKI/pkg-signer.key" \
	-o "$tmp/twogood.pkg" "$tmp/p2"
sig_end=$($tool regions "$tmp/twogood.pkg" | awk '$1 == "sig" { print $2 + $3 - 1 }')
$tool flip "$tmp/twogood.pkg" "$sig_end" "$tmp/onebad.pkg"
check "two operator signers, the second's signature bad: bad signature (all must verify)" \
	refused "bad signature" 9019 verify "$tmp/onebad.pkg"
check "pkg sign rewrites only the signature block (header, commands, payload unchanged)" \
	bash -c "$tool signed '$tmp/p2' '$tmp/s1' && $tool signed '$tmp/twogood.pkg' '$tmp/s2' &&
		cmp '$tmp/s1' '$tmp/s2' &&
		cmp <(tail -c \$(stat -c %s '$tmp/v2/lib/big') '$tmp/p2') '$tmp/v2/lib/big' &&
		cmp <(tail -c \$(stat -c %s '$tmp/v2/lib/big') '$tmp/twogood.pkg') '$tmp/v2/lib/big' &&
		test \"\$('$HNBTRE' pkg inspect --json '$tmp/twogood.pkg' | jq '.signers | length')\" = 2"

# A byte flipped in each region.
flip_all() {	# flip_all PKG PATTERN REASON FAULT [at=first|last|value]
	local pkg=$1 pattern=$2 reason=$3 fault=$4 where=${5:-first} name off len at
	$tool regions "$pkg" | grep -E "^$pattern " | while read -r name off len; do
		[ "$len" -gt 0 ] || continue
		case $where in
		first) at=$off ;;
		last) at=$((off + len - 1)) ;;
		esac
		$tool flip "$pkg" "$at" "$tmp/flipped"
		refused "$reason" "$fault" verify "$tmp/flipped" > "$tmp/flip.log" ||
			{ echo "$name byte $at:"; cat "$tmp/flip.log"; exit 1; }
		echo "$name" >> "$tmp/flipped.names"
	done
}
header_flips() {
	local at want
	for at in $(seq 0 23); do
		case $at in
		1[2-5]) want="bad signature.*fault 9019" ;;	# minor: any, but signed
		*) want="bad format.*fault 9018" ;;
		esac
		$tool flip "$tmp/p2" $at "$tmp/h"
		verify "$tmp/h" 2>&1 | grep -q "refused: $want" || { echo "offset $at"; return 1; }
	done
}
check "a flipped byte at each header offset: bad format (minor version: bad signature)" \
	header_flips
check "a flipped byte in each command but Version: bad signature" \
	flip_all "$tmp/p2" "cmd[0-9]+-type([0-9]|[0-9][0-9][0-9]+)" "bad signature" 9019 last
check "a flipped byte in the Version: bad format (not a version)" \
	flip_all "$tmp/p2" "cmd[0-9]+-type10" "bad format" 9018 last
check "a flipped byte in the last signer's signature value: bad signature" \
	flip_all "$tmp/p2" "sig" "bad signature" 9019 last
check "a flipped byte in the signature block's DER header: bad format" \
	flip_all "$tmp/p2" "sig" "bad format" 9018 first
check "a flipped byte in each payload region (manifest and files): digest mismatch" \
	flip_all "$tmp/p2" "payload[0-9]+" "digest mismatch" 9019 last
check "every region was flipped (9 commands, the signature block twice, 3 payloads)" \
	test "$(grep -c . "$tmp/flipped.names")" = $((9 + 2 + 3))

# Truncation and absurd lengths.
size=$(stat -c %s "$tmp/p2")
check "truncated at 10 points, from the header to the last byte: bad format" bash -c '
	for at in 0 10 23 24 40 300 1000 2000 '$((size / 2))' '$((size - 1))'; do
		head -c $at "'"$tmp/p2"'" > "'"$tmp"'/t"
		"'"$HNBTRE"'" pkg verify --roots "'"$PKI"'/root.pem" "'"$tmp"'/t" 2>&1 |
			grep -q "refused: bad format" || { echo "at $at"; exit 1; }
	done'
cat "$tmp/p2" > "$tmp/trailing.pkg"; echo x >> "$tmp/trailing.pkg"
check "trailing data: bad format" refused "bad format" 9018 verify "$tmp/trailing.pkg"
for field in "cmds 0xffffffff" "cmds 65536" "cmds 0" "payload 0xffffffff" "major 2" "major 0"; do
	set -- $field
	$tool header "$tmp/p2" $1 $2 "$tmp/hdr.pkg"
	check "header $1 = $2: bad format" refused "bad format" 9018 verify "$tmp/hdr.pkg"
done
$tool header "$tmp/p2.unsigned" minor 7 "$tmp/minor.unsigned"
"$HNBTRE" pkg sign --cert "$PKI/pkg-signer.pem" --key "$PKI/pkg-signer.key" \
	-o "$tmp/minor.pkg" "$tmp/minor.unsigned"
check "minor version 7, signed: accepted (the annex: other minors are compatible)" \
	verify "$tmp/minor.pkg"

# Malformed commands, each in an otherwise valid package signed by the
# operator: refused for its format before any signature matters.
printf 'abcd' > "$tmp/f4"
bad() {	# bad NAME COMMANDS...: refused as bad format (pkg sign refuses too)
	local name=$1
	shift
	$tool raw "$tmp/r.unsigned" version=3 manifest="$tmp/m1" "$@"
	check "$name: bad format, 9018" refused "bad format" 9018 verify "$tmp/r.unsigned"
}
hex() { printf '%08x' "$@"; }
path_hex=$(printf '%s' "$live/x" | xxd -p | tr -d '\n')
plen=$(printf '%s' "$live/x" | wc -c)
sha1_f4=$(sha1sum < "$tmp/f4" | cut -d' ' -f1)
m1_size=$(stat -c %s "$tmp/m1")
# extract VALUE fields: flags path_off path_len hash_type hash_off hash_len file_off file_len
extract_value() { hex "$@"; }
bad "path offset beyond the value" \
	"rawcmd=1:$(extract_value 0 4096 $plen 1 $((32 + plen)) 20 $m1_size 4)$path_hex$sha1_f4"
bad "path offset inside the fixed fields" \
	"rawcmd=1:$(extract_value 0 8 $plen 1 $((32 + plen)) 20 $m1_size 4)$path_hex$sha1_f4"
bad "hash offset beyond the value" \
	"rawcmd=1:$(extract_value 0 32 $plen 1 $((40 + plen)) 20 $m1_size 4)$path_hex$sha1_f4"
bad "hash type 2" \
	"rawcmd=1:$(extract_value 0 32 $plen 2 $((32 + plen)) 20 $m1_size 4)$path_hex$sha1_f4"
bad "hash type SHA-1 with length 32" \
	"rawcmd=1:$(extract_value 0 32 $plen 1 $((32 + plen)) 32 $m1_size 4)$path_hex$sha1_f4$(printf '%024x' 0)"
bad "file beyond the payload" \
	"rawcmd=1:$(extract_value 0 32 $plen 1 $((32 + plen)) 20 $m1_size 5)$path_hex$sha1_f4"
bad "extract value shorter than its 32 fixed bytes" "rawcmd=1:$(hex 0 32 4)"
bad "command length overrunning the list" "rawbytes=$(hex 11 256)41"
bad "Remove value shorter than its 12 fixed bytes" "rawcmd=5:$(hex 0 12)"
bad "description over 1024 bytes" \
	"rawcmd=11:$(printf 'x%.0s' $(seq 1025) | xxd -p | tr -d '\n')"
bad "version not a dotted number" "rawcmd=10:$(printf 1.x | xxd -p)"
bad "extract path with .." "extract=$live/../../etc/passwd:$tmp/f4"
bad "relative extract path" "extract=bin/app:$tmp/f4"
bad "the same path extracted twice" "extract=$live/a:$tmp/f4" "extract=$live/a:$tmp/f4"
bad "a file below another file" "extract=$live/a:$tmp/f4" "extract=$live/a/b:$tmp/f4"
bad "a path both extracted and removed" "extract=$live/a:$tmp/f4" "remove=$live/a"
bad "a file inside a removed sub-tree" "extract=$live/d/a:$tmp/f4" "rmtree=$live/d"
bad "Reboot not last" reboot "extract=$live/a:$tmp/f4"
bad "End with a length" "rawcmd=0:00"
bad "hnbtre SHA-256 before any file" "rawcmd=1001:$(printf '%064x' 0)"
bad "two overlapping files" "extract=$live/a:$tmp/f4" \
	"rawcmd=1:$(extract_value 0 32 $plen 1 $((32 + plen)) 20 $m1_size 4)$path_hex$sha1_f4"
$tool raw "$tmp/r.unsigned" version=3 manifest="$tmp/m1" "extract=$live/a:$tmp/f4"
printf 'gap' >> "$tmp/r.unsigned"
$tool header "$tmp/r.unsigned" payload $((m1_size + 7)) "$tmp/r2.unsigned"
check "payload bytes no file covers: bad format" refused "bad format" 9018 verify "$tmp/r2.unsigned"
$tool raw "$tmp/r.unsigned" version=3 rawcmd=99:00 rawcmd=23: rawcmd=5000:0102 \
	manifest="$tmp/m1" rawcmd=1234: end rawcmd=77:
check "unknown, reserved and other vendors' commands skipped by their length; nothing parsed after End" \
	bash -c "'$HNBTRE' pkg inspect --json '$tmp/r.unsigned' | jq -e '[.commands[].type] == [10, 99, 23, 5000, 1000, 1234, 0]'"

# Hashes: SHA-1 is all the annex has; the device's policy wants SHA-256.
$tool raw "$tmp/s.unsigned" version=3 manifest="$tmp/m1" "extract1=$live/bin/app:$tmp/v1/bin/app"
"$HNBTRE" pkg sign --cert "$PKI/pkg-signer.pem" --key "$PKI/pkg-signer.key" -o "$tmp/s.pkg" "$tmp/s.unsigned"
check "a file with the SHA-1 only: weak hash, 9019" refused "weak hash" 9019 verify "$tmp/s.pkg"
check "... accepted with --allow-sha1 (the annex alone)" verify --allow-sha1 "$tmp/s.pkg"
"$HNBTRE" pkg sign --digest sha1 --cert "$PKI/pkg-signer.pem" --key "$PKI/pkg-signer.key" \
	-o "$tmp/sha1.pkg" "$tmp/p2.unsigned"
check "the only signer uses SHA-1: weak hash, 9019" refused "weak hash" 9019 verify "$tmp/sha1.pkg"
check "... accepted with --allow-sha1" verify --allow-sha1 "$tmp/sha1.pkg"
# Interoperability: what hnbtre pkg writes, openssl reads; what a script
# following the annex and openssl cms write, hnbtre reads.
$tool signed "$tmp/p2" "$tmp/p2.signed"
$tool sig "$tmp/p2" "$tmp/p2.sig"
check "pkg build + sign output verifies with openssl cms -verify -binary -content header+commands" \
	openssl cms -verify -binary -inform DER -in "$tmp/p2.sig" -content "$tmp/p2.signed" \
	-CAfile "$PKI/root.pem" -purpose any -out /dev/null
check "its signature block is a DER ContentInfo of type signedData" bash -c "
	openssl asn1parse -inform DER -in '$tmp/p2.sig' | sed -n 2p | grep -q ':pkcs7-signedData'"
$tool raw "$tmp/x.unsigned" version=9 manifest="$tmp/m1" "extract=$live/bin/app:$tmp/v1/bin/app:755" \
	"extract=$live/conf:$tmp/v1/conf" end
$tool signed "$tmp/x.unsigned" "$tmp/x.signed"
for md in sha1 sha256; do
	openssl cms -sign -binary -noattr -md $md -outform DER -in "$tmp/x.signed" \
		-signer "$PKI/pkg-signer.pem" -inkey "$PKI/pkg-signer.key" -out "$tmp/x.$md.der"
	$tool splice "$tmp/x.unsigned" "$tmp/x.$md.der" "$tmp/x.$md.pkg"
done
check "script + openssl cms -md sha256 -noattr: verified" verify "$tmp/x.sha256.pkg"
check "script + openssl cms -md sha1 -noattr: weak hash under the default policy" \
	refused "weak hash" 9019 verify "$tmp/x.sha1.pkg"
check "... verified with --allow-sha1" verify --allow-sha1 "$tmp/x.sha1.pkg"
$tool bare "$tmp/x.sha256.der" "$tmp/x.bare.der"
$tool splice "$tmp/x.unsigned" "$tmp/x.bare.der" "$tmp/x.bare.pkg"
check "a bare SignedData (no ContentInfo) as the signature block: verified" \
	verify "$tmp/x.bare.pkg"
"$HNBTRE" pkg sign --cert "$PKI/evil-pkg-signer.pem" --key "$PKI/evil-pkg-signer.key" \
	-o "$tmp/x.more.pkg" "$tmp/x.bare.pkg"
check "pkg sign adds a signer to openssl's SignedData: two signers, verified" bash -c "
	'$HNBTRE' pkg verify --roots '$PKI/root.pem' '$tmp/x.more.pkg' | grep -c '^signer' | grep -qx 2"

check "from a pipe: verified" bash -c "cat '$tmp/p2' | '$HNBTRE' pkg verify --roots '$PKI/root.pem' -"
$tool raw "$tmp/late.unsigned" version=9 "extract=$live/bin/app:$tmp/v1/bin/app:755" \
	"extract=$live/conf:$tmp/v1/conf" manifest="$tmp/m1"
"$HNBTRE" pkg sign --cert "$PKI/pkg-signer.pem" --key "$PKI/pkg-signer.key" -o "$tmp/late.pkg" "$tmp/late.unsigned"
check "the manifest last in the payload: verified from a file" verify "$tmp/late.pkg"
check "... refused from a pipe (the manifest is judged before any file): bad format" \
	refused "bad format" 9018 bash -c "cat '$tmp/late.pkg' | '$HNBTRE' pkg verify --roots '$PKI/root.pem' -"

# Install.
mkdir -p "$R"
mkdir -p "$tmp/nosfs"
check "with the TrE asked for but no securityfs package file: refused, 9019, nothing written" bash -c "
	HNBTRE_SECURITYFS='$tmp/nosfs' '$HNBTRE' pkg install --root '$R' --roots '$PKI/root.pem' \
		'$tmp/p1' 2>&1 | grep 'refused: unknown signer.*fault 9019' && test -z \"\$(ls -A '$R')\""
check "interoperable packages install: openssl cms -md sha256" install_pkg "$tmp/x.sha256.pkg"
check "... and -md sha1 with --allow-sha1" install_pkg --allow-sha1 "$tmp/x.sha1.pkg"
rm -rf "$R"; mkdir -p "$R"
check "install version 1 into an empty root" install_pkg "$tmp/p1"
check "installed files, manifest and version are current" bash -c "
	cmp '$tmp/v1/bin/app' '$live/bin/app' && cmp '$tmp/v1/conf' '$live/conf' &&
	cmp '$tmp/m1' '$live/.hnbtre/manifest' && grep -qx 'version 1' '$live/.hnbtre/package' &&
	test \"\$(stat -c %a '$live/bin/app')\" = 755"
cp -a "$R" "$tmp/root-v1"

# Full image replacement (TS 33.320 7.12.4): a fresh slot from the package
# alone, refused when the package lacks a component of its manifest.
F=$tmp/full
cp -a "$tmp/root-v1" "$F"
mkdir -p "$tmp/v3/bin" "$tmp/v3delta/bin"
echo "app 3" > "$tmp/v3/bin/app"
cp "$tmp/v1/conf" "$tmp/v3/conf"
chmod 755 "$tmp/v3/bin/app"
cp -a "$tmp/v3/bin/app" "$tmp/v3delta/bin/app"
image_manifest "$tmp/v3" "$F/current" 20 "$tmp/m3"
for d in v3 v3delta; do
	"$HNBTRE" pkg build --dir "$tmp/$d" --prefix "$F/current" --manifest "$tmp/m3" \
		--version 20 -o "$tmp/$d.unsigned" &&
	"$HNBTRE" pkg sign --cert "$PKI/pkg-signer.pem" --key "$PKI/pkg-signer.key" \
		-o "$tmp/$d.pkg" "$tmp/$d.unsigned"
done
check "full image: a package without every component of its manifest is refused, nothing changes" \
	bash -c "before=\$(readlink '$F/current')
	! '$HNBTRE' pkg install --root '$F' --roots '$PKI/root.pem' --no-tre --full-image \
		'$tmp/v3delta.pkg' > '$tmp/full.out' 2>&1 &&
	grep -q 'does not carry $F/current/conf of its manifest' '$tmp/full.out' &&
	test \"\$(readlink '$F/current')\" = \"\$before\" && test \"\$(ls '$F/slots')\" = g1"
echo "not in any manifest" > "$F/current/leftover"
check "full image: a fresh slot of the package's files, nothing of the old one" \
	bash -c "old=\$(stat -c %i '$F/slots/g1/conf')
	'$HNBTRE' pkg install --root '$F' --roots '$PKI/root.pem' --no-tre --full-image \
		'$tmp/v3.pkg' > /dev/null &&
	cmp '$tmp/v3/conf' '$F/current/conf' && cmp '$tmp/v3/bin/app' '$F/current/bin/app' &&
	test \"\$(stat -c %h '$F/current/conf')\" = 1 && test ! -e '$F/current/leftover' &&
	test \"\$(stat -c %i '$F/current/conf')\" != \"\$old\""

# Killed at every step: afterwards the current slot is complete (version
# 1 or 2, files as its manifest says) and a new install succeeds.
killed_everywhere() {
	local n=1 rc versions=""
	while :; do
		rm -rf "$R" && cp -a "$tmp/root-v1" "$R"
		HNBTRE_PKG_FAULT=$n "$HNBTRE" pkg install --root "$R" \
			--roots "$PKI/root.pem" --no-tre "$tmp/p2" > /dev/null 2>&1
		rc=$?
		"$HNBTRE" pkg recover --root "$R" || { echo "step $n: inconsistent"; return 1; }
		versions="$versions $(cat "$live/.hnbtre/package" | cut -d' ' -f2)"
		[ "$rc" = 137 ] || break
		n=$((n + 1))
	done
	echo "killed at steps 1..$((n - 1)), versions after recovery:$versions"
	[ "$rc" = 0 ] && [ "$n" -gt 10 ] && cmp "$tmp/v2/lib/big" "$live/lib/big" &&
		[ ! -e "$live/conf" ] || return 1
	echo "$versions" | grep -q ' 1' && echo "$versions" | grep -q ' 2'
}
check "installer killed at every step: old or new set, never a mix; then installed" \
	killed_everywhere
check "after version 2: only current and previous slots remain" bash -c "
	test \"\$(ls '$R/slots')\" = \"\$(printf 'g1\ng2')\""

"$HNBTRE" pkg build --dir "$tmp/v1" --prefix "$live" --manifest "$tmp/m1" \
	--version 1 -o "$tmp/down.unsigned" && "$HNBTRE" pkg sign --cert "$PKI/pkg-signer.pem" \
	--key "$PKI/pkg-signer.key" -o "$tmp/down.pkg" "$tmp/down.unsigned"
check "version 1 over version 2: rollback, 9018, nothing changes" bash -c "
	before=\$(readlink '$live')
	'$HNBTRE' pkg install --root '$R' --roots '$PKI/root.pem' --no-tre '$tmp/down.pkg' 2>&1 |
		grep -q 'refused: rollback.*fault 9018' && test \"\$(readlink '$live')\" = \"\$before\""
pkg "$tmp/down2.pkg" "$tmp/v1" "$tmp/m1" 1 --allow-downgrade > /dev/null
check "version 1 with allow-downgrade signed in: installed" install_pkg "$tmp/down2.pkg"

# Paths outside the install root and through symlinks.
mkdir -p "$tmp/other"
echo "x" > "$tmp/other/f"
signed_manifest "$tmp/mo" 12 "$tmp/other/f"
"$HNBTRE" pkg build --dir "$tmp/other" --prefix "$tmp/other" --manifest "$tmp/mo" \
	--version 5 --allow-downgrade -o "$tmp/out.unsigned" && "$HNBTRE" pkg sign \
	--cert "$PKI/pkg-signer.pem" --key "$PKI/pkg-signer.key" -o "$tmp/out.pkg" "$tmp/out.unsigned"
check "a signed package writing outside the install root: refused, 9018" \
	refused "path outside" 9018 install_pkg "$tmp/out.pkg"
mkdir -p "$tmp/elsewhere"
ln -s "$tmp/elsewhere" "$live/bin2"
mkdir -p "$tmp/v3/bin2"
echo evil > "$tmp/v3/bin2/x"
image_manifest "$tmp/v3" "$live" 13 "$tmp/m3"
pkg "$tmp/p3.pkg" "$tmp/v3" "$tmp/m3" 5 --allow-downgrade > /dev/null
check "a directory of the current slot replaced by a symlink: refused, nothing written through it" \
	bash -c "'$HNBTRE' pkg install --root '$R' --roots '$PKI/root.pem' --no-tre '$tmp/p3.pkg' 2>&1 |
		grep -q 'refused: path outside the install root or through a symbolic link' &&
		test -z \"\$(ls '$tmp/elsewhere')\" && test ! -e '$R/slots/.staging'"

# A removal through a symlinked directory, and ROOT/slots pointing outside.
echo "keep" > "$tmp/elsewhere/victim"
pkg "$tmp/p4.pkg" "$tmp/v1" "$tmp/m1" 6 --allow-downgrade --remove "$live/bin2/victim" > /dev/null
check "a removal through a symlinked directory: refused, the file outside stays" \
	bash -c "'$HNBTRE' pkg install --root '$R' --roots '$PKI/root.pem' --no-tre '$tmp/p4.pkg' 2>&1 |
		grep -q 'refused: path outside the install root or through a symbolic link' &&
		test -f '$tmp/elsewhere/victim'"
rm "$live/bin2"
mv "$R/slots" "$tmp/real-slots"
mkdir -p "$tmp/outside-slots"
ln -s "$tmp/outside-slots" "$R/slots"
check "ROOT/slots a symlink to elsewhere: refused, nothing written there" \
	bash -c "'$HNBTRE' pkg install --root '$R' --roots '$PKI/root.pem' --no-tre '$tmp/p1' 2>&1 |
		grep -q 'refused: path outside the install root or through a symbolic link' &&
		test -z \"\$(ls -A '$tmp/outside-slots')\""

rm "$R/slots" && mv "$tmp/real-slots" "$R/slots"

# The annex's other commands on the device (version 1, manifest 10, now).
gated() {	# gated NAME PKG: refused as not for this device, nothing changes
	local before
	before=$(readlink "$live")
	check "$1: not for this device, 9018, nothing written" bash -c "
		'$HNBTRE' pkg install --root '$R' --roots '$PKI/root.pem' --no-tre '$2' 2>&1 |
			grep 'refused: not for this device.*fault 9018' &&
		test \"\$(readlink '$live')\" = '$before' && test ! -e '$R/slots/.staging'"
}
pkg "$tmp/g1.pkg" "$tmp/v1" "$tmp/m1" 2 --min-version 11 > /dev/null
gated "Minimum Version 11 on a device at manifest version 10" "$tmp/g1.pkg"
pkg "$tmp/g2.pkg" "$tmp/v1" "$tmp/m1" 2 --max-version 9.5 > /dev/null
gated "Maximum Version 9.5 on a device at 10" "$tmp/g2.pkg"
pkg "$tmp/g3.pkg" "$tmp/v1" "$tmp/m1" 2 --role 3 > /dev/null
gated "Role 3 (web content)" "$tmp/g3.pkg"
$tool raw "$tmp/g4.unsigned" version=2 manifest="$tmp/m1" \
	"extract=$live/bin/app:$tmp/v1/bin/app:755" rawcmd=18:0000000b
"$HNBTRE" pkg sign --cert "$PKI/pkg-signer.pem" --key "$PKI/pkg-signer.key" -o "$tmp/g4.pkg" "$tmp/g4.unsigned"
gated "Minimum Version 11 last in the list, after the file" "$tmp/g4.pkg"
pkg "$tmp/g5.pkg" "$tmp/v1" "$tmp/m1" 2 --min-version 10 --max-version 10.0.1 --role 1 --reboot > /dev/null
check "Minimum 10, Maximum 10.0.1, Role 1, Reboot: installed, reboot requested" bash -c "
	'$HNBTRE' pkg install --root '$R' --roots '$PKI/root.pem' --no-tre '$tmp/g5.pkg' |
		grep -qx reboot=1"

# Add File: only where nothing is; Move, Remove Sub-Tree, Format File System.
mkdir -p "$tmp/v4/bin"
cp -a "$tmp/v1/bin/app" "$tmp/v4/bin/app"; cp "$tmp/v1/conf" "$tmp/v4/conf"
echo new > "$tmp/v4/new"
image_manifest "$tmp/v4" "$live" 12 "$tmp/m4"
$tool raw "$tmp/a.unsigned" version=4 manifest="$tmp/m4" "add=$live/new:$tmp/v4/new" \
	"add=$live/conf:$tmp/v4/conf"
"$HNBTRE" pkg sign --cert "$PKI/pkg-signer.pem" --key "$PKI/pkg-signer.key" -o "$tmp/a.pkg" "$tmp/a.unsigned"
conf_inode=$(stat -c %i "$live/conf")
check "Add File: a new file installed, an existing one left (same inode, linked)" bash -c "
	'$HNBTRE' pkg install --root '$R' --roots '$PKI/root.pem' --no-tre '$tmp/a.pkg' > /dev/null &&
	cmp '$tmp/v4/new' '$live/new' && test \"\$(stat -c %i '$live/conf')\" = $conf_inode"
mkdir -p "$tmp/v5"
cp "$tmp/v1/conf" "$tmp/v5/conf"; cp "$tmp/v4/new" "$tmp/v5/new2"
image_manifest "$tmp/v5" "$live" 13 "$tmp/m5"
$tool raw "$tmp/mv.unsigned" version=5 manifest="$tmp/m5" "move=$live/new:$live/new2" \
	"rmtree=$live/bin"
"$HNBTRE" pkg sign --cert "$PKI/pkg-signer.pem" --key "$PKI/pkg-signer.key" -o "$tmp/mv.pkg" "$tmp/mv.unsigned"
check "Move File and Remove Sub-Tree applied to the new slot" bash -c "
	'$HNBTRE' pkg install --root '$R' --roots '$PKI/root.pem' --no-tre '$tmp/mv.pkg' | grep -qx tim_check=match &&
	cmp '$tmp/v4/new' '$live/new2' && test ! -e '$live/new' && test ! -e '$live/bin' &&
	'$HNBTRE' pkg recover --root '$R'"
mkdir -p "$tmp/v6"
echo only > "$tmp/v6/only"
image_manifest "$tmp/v6" "$live" 14 "$tmp/m6"
$tool raw "$tmp/fmt.unsigned" version=6 manifest="$tmp/m6" rawcmd=17: "extract=$live/only:$tmp/v6/only"
"$HNBTRE" pkg sign --cert "$PKI/pkg-signer.pem" --key "$PKI/pkg-signer.key" -o "$tmp/fmt.pkg" "$tmp/fmt.unsigned"
check "Format File System: the new slot holds the package's files only" bash -c "
	'$HNBTRE' pkg install --root '$R' --roots '$PKI/root.pem' --no-tre '$tmp/fmt.pkg' > /dev/null &&
	test \"\$(ls -A '$live')\" = \"\$(printf '.hnbtre\nonly')\""
# SHA-1 only (the annex alone, --allow-sha1): the manifest's digest decides.
echo other > "$tmp/other1"
$tool raw "$tmp/w.unsigned" version=8 manifest="$tmp/m6" "extract1=$live/only:$tmp/other1"
"$HNBTRE" pkg sign --cert "$PKI/pkg-signer.pem" --key "$PKI/pkg-signer.key" -o "$tmp/w.pkg" "$tmp/w.unsigned"
check "SHA-1-only file whose content the manifest does not expect: refused, 9018" bash -c "
	before=\$(readlink '$live')
	'$HNBTRE' pkg install --allow-sha1 --root '$R' --roots '$PKI/root.pem' --no-tre '$tmp/w.pkg' 2>&1 |
		grep -q 'refused: the manifest does not cover.*fault 9018' &&
	test \"\$(readlink '$live')\" = \"\$before\" && cmp '$tmp/v6/only' '$live/only'"

echo "# $n tests"
exit $((failed > 0))
