#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# What the selftests (through lib.sh) and the host tests of userspace/tests
# make with the test PKI of scripts/mkpki: signed manifests, always built
# by `hnbtre manifest build`, and the test root's `openssl ca` database.
# Needs $HNBTRE (the CLI) and $PKI (build/pki).

# signed_manifest OUT VERSION BUILD-ARGS...: `hnbtre manifest build` of
# BUILD-ARGS (files, --root, --prefix, --class) in OUT.body, signed by the
# test PKI's manifest signer into OUT.
signed_manifest() {
	local out=$1 version=$2
	shift 2
	"$HNBTRE" manifest build --version "$version" -o "$out.body" "$@" &&
	"$HNBTRE" manifest sign --key "$PKI/signer.key" --cert "$PKI/signer.pem" \
		"$out.body" "$out"
}

# rim_of BUILD-ARGS...: the platform RIM (`hnbtre rim`, the TIM
# definition of contract.md) of the manifest `hnbtre manifest build`
# makes of BUILD-ARGS.
rim_of() { "$HNBTRE" rim <("$HNBTRE" manifest build "$@"); }

# image_manifest DIR PREFIX VERSION OUT: signed manifest of every file
# staged under DIR as it is installed under PREFIX (what a package of DIR
# with `pkg build --prefix PREFIX` carries).
image_manifest() {
	local files
	mapfile -t files < <(find "$1" -type f)
	signed_manifest "$4" "$3" --root "$1" --prefix "$2" "${files[@]}"
}

# ca_database DIR "VALID..." "REVOKED...": the test root's `openssl ca`
# database in DIR (ca.cnf, index.txt) with the named certificates of the
# test PKI valid or revoked (reason keyCompromise).
ca_database() {
	local ca=$1 cert
	mkdir -p "$ca"
	cat > "$ca/ca.cnf" <<EOC
[ca]
default_ca = test
[test]
database = $ca/index.txt
certificate = $PKI/root.pem
private_key = $PKI/root.key
default_md = sha256
default_crl_days = 30
EOC
	: > "$ca/index.txt"
	echo "unique_subject = no" > "$ca/index.txt.attr"
	for cert in $2; do
		openssl ca -config "$ca/ca.cnf" -batch -valid "$PKI/$cert.pem" 2>/dev/null || return 1
	done
	for cert in $3; do
		openssl ca -config "$ca/ca.cnf" -batch -revoke "$PKI/$cert.pem" \
			-crl_reason keyCompromise 2>/dev/null || return 1
	done
}
