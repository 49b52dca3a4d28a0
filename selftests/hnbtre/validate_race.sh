#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# A change racing a validation is never lost: for each kind of change,
# thousands of rounds of `echo 1 > validate` with the change steered to
# land at the end of the validation, where the result is committed; no
# round may end trusted over changed bytes or a removed signature, and
# no tampered state may be missing from the IMA log when the validation
# it raced ends it.
. "$(dirname "$0")/lib.sh"
tap_init 6
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
	"$RACE" $SFS "$WORK/img/c2" "$1" "$ROUNDS" ${2:+"$2"} > "$WORK/race.out" 2>&1
}
for mode in write rename xattr; do
	check "$mode racing validate: never trusted over a change ($ROUNDS rounds)" \
		race $mode
	tail -n 1 "$WORK/race.out" | sed 's/^/# /'
done
# Each change of a trusted component passes through tampered, also when
# the validation it raced commits "failed" before the tamper work item
# runs: the log of this module instance never goes trusted -> failed.
check "xattr racing validate from trusted ($ROUNDS rounds)" race xattr from-trusted
tail -n 1 "$WORK/race.out" | sed 's/^/# /'
tamper_always_logged() {
	local load
	load=$(ima_states | tail -n 1 | sed -n 's/^load=\([0-9]*\) .*/\1/p')
	[ -n "$load" ] || { echo "no hnbtre-state entry"; return 1; }
	ima_states | grep "^load=$load " | awk '
		{ state = $3 }
		prev == "state=trusted" && state == "state=failed" { bad++; if (bad == 1) print "trusted -> failed at seq " $2 }
		{ prev = state }
		END { exit bad > 0 }'
}
check "every tamper of a trusted component is measured, also mid-validation" \
	tamper_always_logged
rmmod hnbtre
# Thousands of state transitions filled the kernel log, where later tests
# count audit records (no auditd in the VM).
dmesg -C
rm -rf "$WORK"
tap_done
