#!/bin/bash
# CLI tests on the host: manifest build/sign/rim against independent
# computations (sha256sum, openssl cms), status/validate/load against a
# fake securityfs directory.  Needs $HNBTRE (the CLI) and $PKI (scripts/mkpki).
. "$(dirname "$0")/tap.sh"

tap_plan 22

mkdir -p "$tmp/img/usr/bin" "$tmp/img/etc"
echo one > "$tmp/img/usr/bin/b"
echo two > "$tmp/img/usr/bin/a"
echo three > "$tmp/img/etc/conf"

expected_body() {
	printf 'hnbtre-manifest 1\nversion %s\n' "$1"
	for f in /etc/conf /usr/bin/a /usr/bin/b; do
		printf '%s sha256:%s %s\n' "$f" "$(sha256sum < "$tmp/img$f" | cut -d' ' -f1)" \
			"$([ $f = /etc/conf ] && echo tre || echo normal)"
	done | LC_ALL=C sort
}
check "manifest build --root sorts, hashes and classes like sha256sum" bash -c "
	'$HNBTRE' manifest build --version 3 --root '$tmp/img' '$tmp/img/usr/bin/b' \
		'$tmp/img/usr/bin/a' --class tre '$tmp/img/etc/conf' > '$tmp/m' &&
	diff -u <(echo '$(expected_body 3)') '$tmp/m'"
check "manifest build refuses a relative path" fails "$HNBTRE" manifest build usr/bin/a
check "manifest build refuses a file named twice" fails "$HNBTRE" manifest build \
	"$tmp/img/usr/bin/a" "$tmp/img/usr/bin/a"
check "manifest build refuses version 0" fails "$HNBTRE" manifest build --version 0 "$tmp/img/usr/bin/a"
check "manifest build refuses a file outside --root" fails "$HNBTRE" manifest build \
	--root "$tmp/img/usr" "$tmp/img/etc/conf"
check "manifest build --root --prefix: staged files under the install prefix, others as they are" bash -c "
	'$HNBTRE' manifest build '$tmp/img/etc/conf' --root '$tmp/img/usr' --prefix /opt/x \
		'$tmp/img/usr/bin/a' > '$tmp/mp' &&
	diff -u - '$tmp/mp' <<EOB
hnbtre-manifest 1
version 1
/opt/x/bin/a sha256:\$(sha256sum < '$tmp/img/usr/bin/a' | cut -d' ' -f1) normal
$tmp/img/etc/conf sha256:\$(sha256sum < '$tmp/img/etc/conf' | cut -d' ' -f1) normal
EOB"
check "manifest build refuses --prefix without --root" fails "$HNBTRE" manifest build \
	--prefix /opt/x "$tmp/img/usr/bin/a"
check "manifest build refuses a relative --prefix" fails "$HNBTRE" manifest build \
	--root "$tmp/img" --prefix opt "$tmp/img/usr/bin/a"

check "manifest sign" "$HNBTRE" manifest sign --key "$PKI/signer.key" \
	--cert "$PKI/signer.pem" "$tmp/m" "$tmp/m.signed"
check "signed = body || DER || be32 length || magic, verified by openssl cms" bash -c "
	body=\$(stat -c %s '$tmp/m'); total=\$(stat -c %s '$tmp/m.signed')
	sig=\$(tail -c 32 '$tmp/m.signed' | head -c 4 | od -An -tu1 | awk '{ print \$1*16777216 + \$2*65536 + \$3*256 + \$4 }')
	[ \$((body + sig + 32)) = \$total ] &&
	[ \"\$(tail -c 28 '$tmp/m.signed')\" = '~hnbtre manifest signature~' ] &&
	head -c \$body '$tmp/m.signed' | cmp - '$tmp/m' &&
	tail -c +\$((body + 1)) '$tmp/m.signed' | head -c \$sig > '$tmp/sig.der' &&
	openssl cms -verify -binary -inform DER -in '$tmp/sig.der' -content '$tmp/m' \
		-CAfile '$PKI/root.pem' -purpose any -out /dev/null"
check "manifest sign refuses a malformed body" bash -c "
	printf 'hnbtre-manifest 1\nversion 1\nrelative sha256:00 normal\n' > '$tmp/bad' &&
	! '$HNBTRE' manifest sign --key '$PKI/signer.key' --cert '$PKI/signer.pem' '$tmp/bad' '$tmp/bad.signed'"
rim=$(sed 1,2d "$tmp/m" | sed 's/ [a-z]*$//' | sha256sum | cut -d' ' -f1)
check "rim of the signed manifest = sha256 of its path/digest lines" bash -c "
	[ \"\$('$HNBTRE' rim --verify --roots '$PKI/root.pem' '$tmp/m.signed')\" = 'sha256:$rim' ]"
check "rim of the unsigned body is the same" bash -c "
	[ \"\$('$HNBTRE' rim '$tmp/m')\" = 'sha256:$rim' ]"
check "rim --verify refuses an untrusted root" fails "$HNBTRE" rim --verify \
	--roots "$PKI/evil-root.pem" "$tmp/m.signed"
check "rim --verify refuses a body changed after signing" bash -c "
	sed '0,/three/s//thr3e/; s/version 3/version 4/' '$tmp/m.signed' > '$tmp/m.changed' &&
	! '$HNBTRE' rim --verify --roots '$PKI/root.pem' '$tmp/m.changed'"

fake=$tmp/sfs
mkdir "$fake"
echo failed > "$fake/state"
echo "sha256:$rim" > "$fake/tim"
echo "sha256:$rim" > "$fake/rim"
cp "$tmp/m" "$fake/manifest"
printf 'state failed\nvalidations 1\nversion 3\nrim sha256:%s\ntim sha256:%s\npending 0\nok 1\nunsigned 0\nbadsig 0\nmismatch 0\nmissing 1\n' \
	"$rim" "$rim" > "$fake/status"
printf 'ok /etc/conf sha256:%s normal\nmissing /usr/bin/a sha256:- tre\n' "$(sha256sum < "$tmp/img/etc/conf" | cut -d' ' -f1)" > "$fake/components"
: > "$fake/validate"
export HNBTRE_SECURITYFS=$fake
check "status --json reports state, TIM, version and components" bash -c "
	'$HNBTRE' status --json > '$tmp/json'; [ \$? = 1 ] &&
	python3 -c 'import json, sys
s = json.load(open(\"$tmp/json\"))
assert s[\"state\"] == \"failed\", s
assert s[\"tim\"] == \"sha256:$rim\" and s[\"manifest_version\"] == 3, s
assert [c[\"verdict\"] for c in s[\"components\"]] == [\"ok\", \"missing\"], s
assert s[\"components\"][1][\"digest\"] == \"sha256:-\", s
assert s[\"components\"][1][\"class\"] == \"tre\" and s[\"validations\"] == 1, s'"
check "status (text) names every component" bash -c "
	'$HNBTRE' status | grep -q 'missing   /usr/bin/a'"
check "validate writes 1 and exits 1 when not trusted" bash -c "
	'$HNBTRE' validate; [ \$? = 1 ] && [ \"\$(cat '$fake/validate')\" = 1 ]"
check "manifest load writes the signed file in one piece" bash -c "
	'$HNBTRE' manifest load '$tmp/m.signed' && cmp '$fake/manifest' '$tmp/m.signed'"
check "manifest load refuses an unsigned file before the kernel sees it" bash -c "
	cp '$tmp/m' '$fake/manifest'; ! '$HNBTRE' manifest load '$tmp/m' 2> '$tmp/err' &&
	grep -q 'no signature trailer' '$tmp/err' && cmp '$fake/manifest' '$tmp/m'"
check "manifest load reports a failed write and exits 2" bash -c "
	ln -sf /dev/full '$fake/manifest'
	'$HNBTRE' manifest load '$tmp/m.signed' 2> '$tmp/err'; [ \$? = 2 ] &&
	grep -q 'refused by the TrE: No space left on device' '$tmp/err'"
check "policy/manifest.example is a well-formed manifest body" \
	"$HNBTRE" rim "$(dirname "$0")/../../policy/manifest.example"
exit $((failed > 0))
