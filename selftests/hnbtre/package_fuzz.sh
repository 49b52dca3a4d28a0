#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Prepares the seed for package_fuzz (the signed part of a valid package,
# an active manifest) and runs it; its TAP is this test's.  Afterwards the
# kernel log must show the refusals, rate limited.
. "$(dirname "$0")/lib.sh"
harness_init
make_components "$WORK/img" 3
signed_manifest "$WORK/m" 3 "$WORK"/img/* > /dev/null &&
	"$HNBTRE" manifest load "$WORK/m" &&
	"$HNBTRE" pkg build --dir "$WORK/img" --prefix "$WORK/img" --manifest "$WORK/m" \
		--version 1 -o "$WORK/p.unsigned" > /dev/null &&
	"$HNBTRE" pkg sign --cert "$PKI/pkg-signer.pem" --key "$PKI/pkg-signer.key" \
		-o "$WORK/p" "$WORK/p.unsigned" || exit 1
head -c "$(pkg_signed_len "$WORK/p")" "$WORK/p" > "$WORK/seed"
logged_before=$(dmesg | grep -c 'hnbtre: package refused')
HNBTRE_FUZZ_SEED=$WORK/seed "$(dirname "$0")/package_fuzz"
status=$?
logged=$(($(dmesg | grep -c 'hnbtre: package refused') - logged_before))
echo "# refusals in the kernel log: $logged (rate limited: 10 per 5 s)"
if [ "$logged" -lt 1 ] || [ "$logged" -gt 1000 ]; then
	echo "# expected between 1 and 1000"
	status=1
fi
rm -rf "$WORK"
exit $status
