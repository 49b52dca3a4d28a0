#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# A change racing a validation is never lost: for each kind of change,
# thousands of rounds of `echo 1 > validate` with the change steered to
# land at the end of the validation, where the result is committed; no
# round may end trusted over changed bytes or a removed signature.
. "$(dirname "$0")/lib.sh"
tap_init 4
RACE=$(dirname "$(readlink -f "$0")")/validate_race
ROUNDS=${HNBTRE_RACE_ROUNDS:-1000}

check "module loads" fresh_module
make_components "$WORK/img" 3
cp -a "$WORK/img" "$WORK/orig"
signed_manifest "$WORK/m" 1 "$WORK"/img/*
"$HNBTRE" manifest load "$WORK/m"
# Each kind starts from the signed original.
race() {
	cp -a "$WORK/orig/c2" "$WORK/img/c2.orig" && mv "$WORK/img/c2.orig" "$WORK/img/c2" &&
	"$RACE" $SFS "$WORK/img/c2" "$1" "$ROUNDS" > "$WORK/race.out" 2>&1
}
for mode in write rename xattr; do
	check "$mode racing validate: never trusted over a change ($ROUNDS rounds)" \
		race $mode
	tail -n 1 "$WORK/race.out" | sed 's/^/# /'
done
rmmod hnbtre
# Thousands of state transitions filled the kernel log, where later tests
# count audit records (no auditd in the VM).
dmesg -C
rm -rf "$WORK"
tap_done
