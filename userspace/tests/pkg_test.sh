#!/bin/bash
# Signed packages on the host (Documentation/package.md): build, sign,
# inspect, verify with every refusal reason, install into A/B slots
# without the TrE (--no-tre), anti-rollback, path traversal, and the
# installer killed at every step.  Needs $HNBTRE and $PKI.
. "$(dirname "$0")/tap.sh"
tool="python3 $(dirname "$0")/pkgtool.py"
R=$tmp/root
live=$R/current

echo "TAP version 13"
echo "1..48"

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
# Signer certificate extensions: code signing, and two that lack a usage.
extensions() {	# extensions SECTION KEYUSAGE [EXTENDED]
	printf '[%s]\nbasicConstraints = critical,CA:FALSE\n' "$1"
	printf 'subjectKeyIdentifier = hash\nauthorityKeyIdentifier = keyid:always\n'
	printf 'keyUsage = critical,%s\n' "$2"
	[ -z "${3:-}" ] || printf 'extendedKeyUsage = %s\n' "$3"
}
{
	extensions code digitalSignature codeSigning
	extensions nodigsig nonRepudiation codeSigning
	extensions noeku digitalSignature
} >> "$tmp/ca.cnf"
ca_sign() {	# ca_sign NAME START END [EXTENSIONS]
	openssl req -new -key "$PKI/signer.key" -subj "/CN=$1" -out "$tmp/$1.csr" &&
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

# signed_manifest DIR VERSION OUT [EXTRA FILES...]: manifest of DIR's files
# as they are installed under $live.
signed_manifest() {
	local dir=$1 version=$2 out=$3
	(cd "$dir" && find . -type f | sed 's|^\.||') | while read -r f; do
		echo "$live$f sha256:$(sha256sum < "$dir$f" | cut -d' ' -f1) normal"
	done | LC_ALL=C sort > "$tmp/lines"
	{ printf 'hnbtre-manifest 1\nversion %s\n' "$version"; cat "$tmp/lines"; } > "$out.txt"
	"$HNBTRE" manifest sign --key "$PKI/signer.key" --cert "$PKI/signer.pem" \
		"$out.txt" "$out"
}
signed_manifest "$tmp/v1" 10 "$tmp/m1"
signed_manifest "$tmp/v2" 11 "$tmp/m2"

pkg() {	# pkg OUT DIR MANIFEST VERSION [BUILD OPTIONS...]
	local out=$1 dir=$2 manifest=$3 version=$4
	shift 4
	"$HNBTRE" pkg build --dir "$dir" --prefix "$live" --manifest "$manifest" \
		--version "$version" "$@" -o "$out.unsigned" &&
	"$HNBTRE" pkg sign --cert "$PKI/signer.pem" --key "$PKI/signer.key" \
		-o "$out" "$out.unsigned"
}
check "build and sign version 1" pkg "$tmp/p1" "$tmp/v1" "$tmp/m1" 1 --description "first"
check "build and sign version 2 (change, add, remove)" \
	pkg "$tmp/p2" "$tmp/v2" "$tmp/m2" 2 --remove "$live/conf"
check "verify accepts a good package" verify "$tmp/p2"
check "inspect --json: version, files, removal, one signature" bash -c "
	'$HNBTRE' pkg inspect --json '$tmp/p2' | jq -e '.version == 2 and
		(.files | length) == 2 and .remove == [\"$live/conf\"] and
		.signatures == 1 and .files[0].path == \"$live/bin/app\"'"
# The H(e)MS's expectation: the TIM definition over the manifest's lines
# (platform RIM) and over the files the package installs (patch RIM),
# recomputed with sed, sort and sha256sum.
reference_of_p2() {
	local want_rim want_patch
	want_rim=sha256:$(tail -n +3 "$tmp/m2.txt" | sed 's/ normal$//' | sha256sum | cut -d' ' -f1)
	want_patch=sha256:$("$HNBTRE" pkg inspect "$tmp/p2" |
		sed -n 's/^extract [0-7]* *[0-9]* \(sha256:[0-9a-f]*\) \(.*\)/\2 \1/p' |
		sha256sum | cut -d' ' -f1)
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
"$HNBTRE" pkg sign --cert "$PKI/evil-signer.pem" --key "$PKI/evil-signer.key" \
	-o "$tmp/evil.pkg" "$tmp/p2.unsigned"
check "signer not chained to a root: unknown signer" refused "unknown signer" 9019 \
	verify "$tmp/evil.pkg"
"$HNBTRE" pkg sign --cert "$tmp/expired.pem" --key "$PKI/signer.key" \
	-o "$tmp/expired.pkg" "$tmp/p2.unsigned"
check "signer chained to the root but expired: expired" refused expired 9019 \
	verify "$tmp/expired.pkg"
"$HNBTRE" pkg sign --cert "$tmp/future.pem" --key "$PKI/signer.key" \
	-o "$tmp/future.pkg" "$tmp/p2.unsigned"
check "signer not yet valid: expired" refused expired 9019 verify "$tmp/future.pkg"
check "good signer checked at a time after its expiry (--time): expired" \
	refused expired 9019 verify --time 4102444800 "$tmp/p2"
"$HNBTRE" pkg sign --cert "$PKI/device.pem" --key "$PKI/device.key" \
	-o "$tmp/usage.pkg" "$tmp/p2.unsigned"
check "signer without codeSigning (device certificate): wrong usage" \
	refused "signer certificate not allowed" 9019 verify "$tmp/usage.pkg"
for cert in nodigsig noeku; do
	"$HNBTRE" pkg sign --cert "$tmp/$cert.pem" --key "$PKI/signer.key" \
		-o "$tmp/$cert.pkg" "$tmp/p2.unsigned"
done
check "signer with codeSigning but key usage without digitalSignature: wrong usage" \
	refused "signer certificate not allowed" 9019 verify "$tmp/nodigsig.pkg"
check "signer with digitalSignature but no extended key usage: wrong usage" \
	refused "signer certificate not allowed" 9019 verify "$tmp/noeku.pkg"
"$HNBTRE" pkg sign --cert "$PKI/evil-signer.pem" --key "$PKI/evil-signer.key" \
	--digest sha384 --cert "$PKI/signer.pem" --key "$PKI/signer.key" \
	-o "$tmp/two.pkg" "$tmp/p2.unsigned"
check "two signatures, one unknown signer (sha256) and one operator signer (sha384): accepted" \
	verify "$tmp/two.pkg"
"$HNBTRE" pkg sign --cert "$PKI/signer.pem" --key "$PKI/signer.key" \
	-o "$tmp/twogood.pkg" "$tmp/p2"
sig1_end=$($tool regions "$tmp/twogood.pkg" | awk '$1 == "sig0" { print $2 + $3 - 1 }')
$tool flip "$tmp/twogood.pkg" "$sig1_end" "$tmp/onebad.pkg"
check "two operator signatures, one bad: bad signature (all must verify)" \
	refused "bad signature" 9019 verify "$tmp/onebad.pkg"

# A byte flipped in each region.
flip_all() {	# flip_all PKG PATTERN REASON FAULT [at=first|last|value]
	local pkg=$1 pattern=$2 reason=$3 fault=$4 where=${5:-first} name off len at
	$tool regions "$pkg" | grep -E "^$pattern " | while read -r name off len; do
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
check "a flipped byte at each header offset: bad format" bash -c '
	for at in $(seq 0 23); do
		python3 "'"$(dirname "$0")"'/pkgtool.py" flip "'"$tmp/p2"'" $at "'"$tmp"'/h"
		"'"$HNBTRE"'" pkg verify --roots "'"$PKI"'/root.pem" "'"$tmp"'/h" 2>&1 |
			grep -q "refused: bad format.*fault 9018" || { echo "offset $at"; exit 1; }
	done'
check "a flipped byte in each command: bad signature" \
	flip_all "$tmp/p2" "cmd[0-9]+-type[0-9]+" "bad signature" 9019 last
check "a flipped byte in the signature value: bad signature" \
	flip_all "$tmp/p2" "sig[0-9]+" "bad signature" 9019 last
check "a flipped byte in the signature's DER header: bad format" \
	flip_all "$tmp/p2" "sig[0-9]+" "bad format" 9018 first
check "a flipped byte in each payload region (manifest and files): digest mismatch" \
	flip_all "$tmp/p2" "payload[0-9]+" "digest mismatch" 9019 last
check "every region was flipped (5 commands, the signature twice, 3 payloads)" \
	test "$(grep -c . "$tmp/flipped.names")" = $((5 + 2 + 3))

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
for field in "cmds 0xffffffff" "cmds 0" "sigs 0xffffffff" "format 2" "reserved 1"; do
	set -- $field
	$tool header "$tmp/p2" $1 $2 "$tmp/hdr.pkg"
	check "header $1 = $2: bad format" refused "bad format" 9018 verify "$tmp/hdr.pkg"
done
$tool raw "$tmp/r.pkg" version=1 manifest="$tmp/m1" "rawcmd=4:$(printf '%016x' $((1 << 62)))$(printf '%064x' 0)000001a4$(printf /x | xxd -p)"
check "extract of 2^62 bytes: bad format" refused "bad format" 9018 verify "$tmp/r.pkg"
$tool raw "$tmp/r.pkg" version=1 manifest="$tmp/m1" "rawcmd=2:$(printf 'x%.0s' $(seq 1025) | xxd -p | tr -d '\n')"
check "description over 1024 bytes: bad format" refused "bad format" 9018 verify "$tmp/r.pkg"
$tool raw "$tmp/r.pkg" version=1 manifest="$tmp/m1" rawcmd=99:00
check "unknown command type: bad format" refused "bad format" 9018 verify "$tmp/r.pkg"
$tool raw "$tmp/r.pkg" manifest="$tmp/m1" version=1
check "version not first: bad format" refused "bad format" 9018 verify "$tmp/r.pkg"
$tool raw "$tmp/r.pkg" version=1 manifest="$tmp/m1" "extract=$live/../../etc/passwd:4"
check "extract path with ..: bad format" refused "bad format" 9018 verify "$tmp/r.pkg"
$tool raw "$tmp/r.pkg" version=1 manifest="$tmp/m1" "extract=bin/app:4"
check "relative extract path: bad format" refused "bad format" 9018 verify "$tmp/r.pkg"
$tool raw "$tmp/r.pkg" version=1 manifest="$tmp/m1" "extract=$live/b:4" "extract=$live/a:4"
check "extract paths out of order: bad format" refused "bad format" 9018 verify "$tmp/r.pkg"

# Install.
mkdir -p "$R"
check "install version 1 into an empty root" install_pkg "$tmp/p1"
check "installed files, manifest and version are current" bash -c "
	cmp '$tmp/v1/bin/app' '$live/bin/app' && cmp '$tmp/v1/conf' '$live/conf' &&
	cmp '$tmp/m1' '$live/.hnbtre/manifest' && grep -qx 'version 1' '$live/.hnbtre/package' &&
	test \"\$(stat -c %a '$live/bin/app')\" = 755"
cp -a "$R" "$tmp/root-v1"

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
	--version 1 -o "$tmp/down.unsigned" && "$HNBTRE" pkg sign --cert "$PKI/signer.pem" \
	--key "$PKI/signer.key" -o "$tmp/down.pkg" "$tmp/down.unsigned"
check "version 1 over version 2: rollback, 9018, nothing changes" bash -c "
	before=\$(readlink '$live')
	'$HNBTRE' pkg install --root '$R' --roots '$PKI/root.pem' --no-tre '$tmp/down.pkg' 2>&1 |
		grep -q 'refused: rollback.*fault 9018' && test \"\$(readlink '$live')\" = \"\$before\""
pkg "$tmp/down2.pkg" "$tmp/v1" "$tmp/m1" 1 --allow-downgrade > /dev/null
check "version 1 with allow-downgrade signed in: installed" install_pkg "$tmp/down2.pkg"

# Paths outside the install root and through symlinks.
mkdir -p "$tmp/other"
echo "x" > "$tmp/other/f"
printf 'hnbtre-manifest 1\nversion 12\n%s sha256:%s normal\n' "$tmp/other/f" \
	"$(sha256sum < "$tmp/other/f" | cut -d' ' -f1)" > "$tmp/mo.txt"
"$HNBTRE" manifest sign --key "$PKI/signer.key" --cert "$PKI/signer.pem" "$tmp/mo.txt" "$tmp/mo"
"$HNBTRE" pkg build --dir "$tmp/other" --prefix "$tmp/other" --manifest "$tmp/mo" \
	--version 5 --allow-downgrade -o "$tmp/out.unsigned" && "$HNBTRE" pkg sign \
	--cert "$PKI/signer.pem" --key "$PKI/signer.key" -o "$tmp/out.pkg" "$tmp/out.unsigned"
check "a signed package writing outside the install root: refused, 9018" \
	refused "path outside" 9018 install_pkg "$tmp/out.pkg"
mkdir -p "$tmp/elsewhere"
ln -s "$tmp/elsewhere" "$live/bin2"
mkdir -p "$tmp/v3/bin2"
echo evil > "$tmp/v3/bin2/x"
signed_manifest "$tmp/v3" 13 "$tmp/m3"
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

echo "# $n tests"
exit $((failed > 0))
