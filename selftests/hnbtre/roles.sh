#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Signer roles (Documentation/contract.md, "Signer roles"): a manifest
# verifies only with a manifest signer's certificate, a package only with
# a software signer's, security.ima only with a component signer's, even
# though every one of the operator's certificates chains to its root; and
# the TrE admits only CA certificates and role-marked signing
# certificates.  Each attack is made as root on the device would: the
# attacker first tries to have its certificate trusted, through the
# "roots" file and through keyctl, then signs with its key.
. "$(dirname "$0")/lib.sh"
tap_init 35

ROLES_SFS=$SFS/roots
oid() { sed -n "s/^$1 //p" "$PKI/roles"; }

# try_admit NAME: the attacker's attempts to have NAME.der trusted; what
# the TrE answers is checked by the admission tests below.
try_admit() {
	"$WRITE" $ROLES_SFS < "$PKI/$1.der" > /dev/null
	keyctl padd asymmetric "" %:.hnbtre_roots < "$PKI/$1.der" > /dev/null 2>&1
	return 0
}

# What a refused signature must leave as it was.
snapshot() { { state; cat $SFS/tim $SFS/rim $SFS/manifest $SFS/components; } 2>&1 | sha256sum; }

check "module loads; manifest, software and component signers admitted" fresh_module
make_components "$WORK/base" 3
base_files=$(find "$WORK/base" -type f | sort)
signed_manifest "$WORK/m1" 1 $base_files
check "a manifest by the manifest signer loads: trusted" \
	bash -c "'$HNBTRE' manifest load '$WORK/m1' && [ \"\$(cat $SFS/state)\" = trusted ]"

# manifest_refused NAME: NAME's key signs manifest version 100 (it would
# raise the rollback floor); ENOKEY, and nothing changes.
manifest_refused() {
	local before out=$WORK/m-$1
	before=$(snapshot)
	try_admit "$1"
	"$HNBTRE" manifest build --version 100 $base_files > "$out.body" &&
	"$HNBTRE" manifest sign --key "$PKI/$1.key" --cert "$PKI/$1.pem" \
		"$out.body" "$out" || return 1
	expect_errno ENOKEY $SFS/manifest < "$out" || return 1
	[ "$(snapshot)" = "$before" ] || { echo "the TrE's state changed"; return 1; }
	[ "$(sed -n 2p $SFS/manifest)" = "version 1" ]
}
check "device key signs a manifest: ENOKEY, version and state unchanged" manifest_refused device
check "SeGW key signs a manifest: ENOKEY" manifest_refused segw
check "H(e)MS key signs a manifest: ENOKEY" manifest_refused hems
check "distress key signs a manifest: ENOKEY" manifest_refused distress
check "component key signs a manifest: ENOKEY" manifest_refused ima
check "software signer's key signs a manifest: ENOKEY" manifest_refused pkg-signer

# ima_refused NAME VERSION: one of five components carries a
# security.ima signature by NAME's key; loaded with manifest VERSION by
# the manifest signer, that component is badsig and the state failed.
# (Versions above those of the attacks on manifests, should one of them
# have got through; check runs each test in a subshell.)
ima_refused() {
	local dir files version=$2
	dir=$WORK/ima$version
	try_admit "$1"
	make_components "$dir" 5
	sign_component "$dir/c3" "$PKI/$1.key" || return 1
	files=$(find "$dir" -type f | sort)
	signed_manifest "$WORK/m$version" $version $files &&
	"$HNBTRE" manifest load "$WORK/m$version" || return 1
	grep -qx "badsig $dir/c3 .*" $SFS/components || { cat $SFS/components; return 1; }
	[ "$(grep -vc '^ok ' $SFS/components)" = 1 ] &&
	[ "$(state)" = failed ] || { echo "state $(state)"; return 1; }
}
check "manifest signer's key signs security.ima: badsig, failed" ima_refused signer 201
check "software signer's key signs security.ima: badsig, failed" ima_refused pkg-signer 202
check "device key signs security.ima: badsig, failed" ima_refused device 203

# Packages.  The signed part (header, command list, signature block) is
# what the kernel judges.
signed_part() { head -c "$(pkg_signed_len "$1")" "$1"; }
mkdir -p "$WORK/pkg/bin" "$WORK/live/bin"
echo "app" > "$WORK/pkg/bin/app"
cp "$WORK/pkg/bin/app" "$WORK/live/bin/app"
signed_manifest "$WORK/pm" 500 "$WORK/live/bin/app"
"$HNBTRE" pkg build --dir "$WORK/pkg" --prefix "$WORK/live" --manifest "$WORK/pm" \
	--version 7 -o "$WORK/p.unsigned" > /dev/null
# package_by NAME ERRNO: the package signed by NAME's key alone.
package_by() {
	try_admit "$1"
	"$HNBTRE" pkg sign --cert "$PKI/$1.pem" --key "$PKI/$1.key" \
		-o "$WORK/p-$1" "$WORK/p.unsigned" || return 1
	signed_part "$WORK/p-$1" | expect_errno "$2" $SFS/package
}
check "a package by the software signer: accepted" package_by pkg-signer OK
check "component key signs a package: ENOKEY" package_by ima ENOKEY
check "manifest signer's key signs a package: ENOKEY" package_by signer ENOKEY
check "device key signs a package: ENOKEY" package_by device ENOKEY

# Admission through the roots file: CA certificates and role-marked
# signing certificates that chain to a root; nothing else.
admit() { expect_errno "$1" $ROLES_SFS < "$2"; }
check "device certificate (clientAuth) refused: EKEYREJECTED" admit EKEYREJECTED "$PKI/device.der"
check "SeGW certificate refused: EKEYREJECTED" admit EKEYREJECTED "$PKI/segw.der"
check "H(e)MS certificate refused: EKEYREJECTED" admit EKEYREJECTED "$PKI/hems.der"
check "distress certificate refused: EKEYREJECTED" admit EKEYREJECTED "$PKI/distress.der"
check "OCSP responder certificate refused: EKEYREJECTED" admit EKEYREJECTED "$PKI/ocsp.der"
check "a signer of an untrusted CA: ENOKEY" admit ENOKEY "$PKI/evil-signer.der"
check "not a certificate (PEM, not DER): EBADMSG" admit EBADMSG "$PKI/signer.pem"
audited() {
	dmesg | grep -q "audit: type=1802 .*op=hnbtre_admit result=refused reason=$1"
}
check "refusals are audited" audited not_ca_or_signer

# Certificates made here with the test root's key.
# issue NAME ISSUER EXTENSIONS...: NAME.der, a new key, issued by ISSUER.
issue() {
	local name=$1 issuer=$2
	shift 2
	printf '%s\n' "subjectKeyIdentifier=hash" "authorityKeyIdentifier=keyid:always" "$@" \
		> "$WORK/$name.ext"
	openssl req -new -newkey rsa:2048 -nodes -keyout "$WORK/$name.key" \
		-subj "/O=hnbtre test operator/CN=$name" -out "$WORK/$name.csr" 2>/dev/null &&
	openssl x509 -req -in "$WORK/$name.csr" -CA "$issuer.pem" -CAkey "$issuer.key" \
		-CAcreateserial -days 30 -sha256 -extfile "$WORK/$name.ext" \
		-out "$WORK/$name.pem" 2>/dev/null &&
	openssl x509 -in "$WORK/$name.pem" -outform DER -out "$WORK/$name.der"
}
code="keyUsage=critical,digitalSignature"
issue subca "$PKI/root" "basicConstraints=critical,CA:TRUE" \
	"keyUsage=critical,keyCertSign,cRLSign"
issue ca-no-certsign "$PKI/root" "basicConstraints=critical,CA:TRUE" \
	"keyUsage=critical,digitalSignature"
issue two-roles "$PKI/root" "$code" "extendedKeyUsage=$(oid manifest),$(oid component)"
issue role-ca "$PKI/root" "basicConstraints=critical,CA:TRUE" \
	"keyUsage=critical,keyCertSign,digitalSignature" "extendedKeyUsage=$(oid manifest)"
issue role-certsign "$PKI/root" "keyUsage=critical,digitalSignature,keyCertSign" \
	"extendedKeyUsage=$(oid manifest)"
check "a CA without keyCertSign: EKEYREJECTED" admit EKEYREJECTED "$WORK/ca-no-certsign.der"
check "a certificate with two roles: EKEYREJECTED" admit EKEYREJECTED "$WORK/two-roles.der"
check "a CA that carries a role: EKEYREJECTED" admit EKEYREJECTED "$WORK/role-ca.der"
check "a role certificate with keyCertSign: EKEYREJECTED" admit EKEYREJECTED "$WORK/role-certsign.der"
check "an intermediate CA (CA, keyCertSign) under the root is admitted" admit OK "$WORK/subca.der"
issue sub-signer "$WORK/subca" "$code" "extendedKeyUsage=$(oid manifest)"
check "a manifest signer under that intermediate is admitted" admit OK "$WORK/sub-signer.der"
sub_manifest() {
	"$HNBTRE" manifest build --version 600 $base_files > "$WORK/m600.body" &&
	"$HNBTRE" manifest sign --key "$WORK/sub-signer.key" --cert "$WORK/sub-signer.pem" \
		"$WORK/m600.body" "$WORK/m600" &&
	expect_errno OK $SFS/manifest < "$WORK/m600" && [ "$(state)" = trusted ]
}
check "its manifest loads" sub_manifest

# keyctl around the roots file: EPERM, whatever the certificate.
# eperm COMMAND...: COMMAND fails with "Operation not permitted".
eperm() {
	local out
	out=$("$@" 2>&1 < "${STDIN:-/dev/null}") && { echo "succeeded"; return 1; }
	echo "$out" | grep -q 'Operation not permitted' || { echo "$out"; return 1; }
}
STDIN=$PKI/signer.der check "keyctl padd of the manifest signer into .hnbtre_roots: EPERM" \
	eperm keyctl padd asymmetric "" %:.hnbtre_roots
STDIN=$PKI/signer.der check "keyctl padd of the manifest signer into .hnbtre_manifest_signers: EPERM" \
	eperm keyctl padd asymmetric "" %:.hnbtre_manifest_signers
STDIN=$WORK/subca.der check "keyctl padd of an intermediate CA into .hnbtre_roots: EPERM" \
	eperm keyctl padd asymmetric "" %:.hnbtre_roots
# The same certificate as a key of root's user keyring, linked in.
linked_in() {
	local key
	key=$(keyctl padd asymmetric "" @u < "$PKI/signer.der") || return 1
	eperm keyctl link "$key" %:.hnbtre_manifest_signers
}
check "keyctl link of a manifest signer's key into .hnbtre_manifest_signers: EPERM" linked_in
check "keyctl refusals are audited" audited keyctl
rm -rf "$WORK"
tap_done
