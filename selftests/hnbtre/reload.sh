#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Unload and reload leave nothing behind: no securityfs entries, no
# manifest, no marks that still react, a fresh roots keyring.
. "$(dirname "$0")/lib.sh"
tap_init 8

check "module loads" fresh_module
make_components "$WORK/img" 3
signed_manifest "$WORK/m" 1 "$WORK"/img/*
check "trusted" bash -c "'$HNBTRE' manifest load '$WORK/m' && [ \$(cat $SFS/state) = trusted ]"
check "rmmod while components are watched" rmmod hnbtre
check "the securityfs directory is gone" test ! -e $SFS
check "the roots keyring is gone" bash -c "sleep 1; ! grep -q '\.hnbtre_roots' /proc/keys"
check "reloads" fresh_module
# The old manifest's marks must not fire into the new instance.
echo changed >> "$WORK/img/c1"
check "a fresh instance: unvalidated, no manifest, no TIM" bash -c "
	[ \$(cat $SFS/state) = unvalidated ] && ! cat $SFS/manifest 2>/dev/null &&
	! cat $SFS/tim 2>/dev/null"
check "version 1 loads again (no rollback floor left over)" \
	bash -c "'$HNBTRE' manifest load '$WORK/m' && [ \$(cat $SFS/state) = failed ]"
rm -rf "$WORK"
tap_done
