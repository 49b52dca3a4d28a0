#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Refused manifests: each gets its documented errno and leaves the active
# manifest, the state and the TIM untouched.
. "$(dirname "$0")/lib.sh"
tap_init 17

snapshot() {
	{ state; cat $SFS/tim $SFS/rim $SFS/manifest $SFS/components; } 2>&1 | sha256sum
}

# refused ERRNO FILE: one write of FILE fails with ERRNO, nothing changes.
refused() {
	local before after
	before=$(snapshot)
	expect_errno "$1" $SFS/manifest < "$2" || return 1
	after=$(snapshot)
	[ "$before" = "$after" ] || { echo "state changed"; return 1; }
}

sign_with() {
	"$HNBTRE" manifest sign --key "$PKI/$1.key" --cert "$PKI/$1.pem" "$2" "$3"
}

# sign_raw SIGNER BODY OUT: signed as Documentation/manifest.md does by
# hand, whatever the body says (the CLI refuses to sign a malformed one).
sign_raw() {
	openssl cms -sign -binary -nosmimecap -md sha256 -outform DER \
		-signer "$PKI/$1.pem" -inkey "$PKI/$1.key" -in "$2" -out "$3.p7" &&
	{ cat "$2" "$3.p7"
	  perl -e 'print pack("N", -s $ARGV[0]), "~hnbtre manifest signature~\n"' "$3.p7"
	} > "$3"
}

check "module loads" fresh_module
make_components "$WORK/img" 3
signed_manifest "$WORK/v5" 5 "$WORK"/img/*
check "version 5 loads" "$HNBTRE" manifest load "$WORK/v5"
check "state trusted" test "$(state)" = trusted

signed_manifest "$WORK/v4" 4 "$WORK"/img/*
check "rollback to version 4: ESTALE" refused ESTALE "$WORK/v4"
make_components "$WORK/other" 1
signed_manifest "$WORK/v5b" 5 "$WORK"/img/* "$WORK"/other/*
check "version 5 with other contents: EEXIST" refused EEXIST "$WORK/v5b"
check_write "the identical version 5 again: accepted" OK $SFS/manifest "$WORK/v5"

"$HNBTRE" manifest build --version 6 "$WORK"/img/* > "$WORK/v6.body"
sign_with evil-signer "$WORK/v6.body" "$WORK/v6.evil"
check "signer under an untrusted CA: ENOKEY" refused ENOKEY "$WORK/v6.evil"
sed 's/version 6/version 7/' "$WORK/v6.body" > "$WORK/v7.body"
# The version 6 signature on a version 7 body: the digest does not match.
sign_with signer "$WORK/v6.body" "$WORK/v6.signed"
body_len=$(stat -c %s "$WORK/v6.body")
{ cat "$WORK/v7.body"; tail -c +$((body_len + 1)) "$WORK/v6.signed"; } > "$WORK/v7.forged"
check "a signature of another body: EKEYREJECTED" refused EKEYREJECTED "$WORK/v7.forged"
check "unsigned body: EBADMSG" refused EBADMSG "$WORK/v6.body"
# The signature is verified before the body is parsed: a malformed body
# from a signer the TrE does not admit never reaches the parser.
sed 's/^version 6$/version 06/' "$WORK/v6.body" > "$WORK/bad.body"
sign_raw evil-signer "$WORK/bad.body" "$WORK/bad.evil"
check "malformed body of an unadmitted signer: ENOKEY, not parsed" refused ENOKEY "$WORK/bad.evil"
sign_raw signer "$WORK/bad.body" "$WORK/bad.signed"
check "malformed body of an admitted signer: EBADMSG" refused EBADMSG "$WORK/bad.signed"
head -c -5 "$WORK/v6.signed" > "$WORK/truncated"
check "truncated trailer: EBADMSG" refused EBADMSG "$WORK/truncated"
head -c 100 /dev/urandom > "$WORK/garbage"
printf '\0\0\0\x10~hnbtre manifest signature~\n' >> "$WORK/garbage"
check "garbage with a trailer: EBADMSG" refused EBADMSG "$WORK/garbage"
{ cat "$WORK/v6.body"; head -c 300 /dev/urandom; printf '\0\0\1\x2c~hnbtre manifest signature~\n'; } > "$WORK/badsig"
check "random bytes as PKCS#7: EBADMSG" refused EBADMSG "$WORK/badsig"
head -c $((5 << 20)) /dev/zero > "$WORK/huge"
check "more than 4 MiB: EFBIG" refused EFBIG "$WORK/huge"

written_in_pieces() {
	"$WRITE" $SFS/manifest 7 < "$WORK/v6.signed" | grep -qx OK &&
	[ "$(sed -n 2p $SFS/manifest)" = "version 6" ] && [ "$(state)" = trusted ]
}
check "a manifest written 7 bytes at a time loads (cat-style writers)" written_in_pieces

one_writer_at_a_time() {
	local out
	exec 9> $SFS/manifest
	out=$(expect_errno EBUSY $SFS/manifest < "$WORK/v6.signed")
	exec 9>&-
	[ -z "$out" ] || { echo "$out"; return 1; }
}
check "a second concurrent writer: EBUSY" one_writer_at_a_time
rm -rf "$WORK"
tap_done
