#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Prepares the seed for manifest_fuzz (an active signed manifest) and
# runs it; its TAP is this test's.
. "$(dirname "$0")/lib.sh"
harness_init
make_components "$WORK/img" 4
signed_manifest "$WORK/m" 3 "$WORK"/img/* > /dev/null &&
	"$HNBTRE" manifest load "$WORK/m" || exit 1
HNBTRE_FUZZ_SEED=$WORK/m "$(dirname "$0")/manifest_fuzz"
status=$?
rm -rf "$WORK"
exit $status
