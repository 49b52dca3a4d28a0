#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Unload and reload leave nothing behind: no securityfs entries, no
# manifest, no marks that still react, a fresh roots keyring.
. "$(dirname "$0")/lib.sh"
tap_init 11

roots_serial() { grep '\.hnbtre_roots' /proc/keys | cut -d' ' -f1; }
check "module loads" fresh_module
make_components "$WORK/img" 3
signed_manifest "$WORK/m" 1 "$WORK"/img/*
check "trusted" bash -c "'$HNBTRE' manifest load '$WORK/m' && [ \$(cat $SFS/state) = trusted ]"
# A second CA, issued by the root, that a fresh keyring must not have.
check "a CA admitted to the roots" \
	bash -c "cat '$PKI/operator-ca.der' > $SFS/roots &&
		 [ \$(keyctl rlist %:.hnbtre_roots | wc -w) = 2 ]"
old_roots=$(roots_serial)
check "rmmod while components are watched" rmmod hnbtre
check "the securityfs directory is gone" test ! -e $SFS
# The keyring is freed by the key garbage collector, shortly after.
roots_gone() {
	for _ in $(seq 30); do
		grep -q '\.hnbtre_roots' /proc/keys || return 0
		sleep 0.1
	done
	return 1
}
check "the roots keyring is gone" roots_gone
check "reloads" fresh_module
# fresh_module admitted the signers again: the roots hold the root only.
check "a fresh roots keyring: another serial, without the admitted CA" \
	bash -c "[ '$(roots_serial)' != '$old_roots' ] &&
		 [ \$(keyctl rlist %:.hnbtre_roots | wc -w) = 1 ] &&
		 ! keyctl rlist %:.hnbtre_roots | xargs -n1 keyctl rdescribe | grep -q 'intermediate'"
# The old manifest's marks must not fire into the new instance.
echo changed >> "$WORK/img/c1"
check "a fresh instance: unvalidated, no manifest, no TIM" bash -c "
	[ \$(cat $SFS/state) = unvalidated ] && ! cat $SFS/manifest 2>/dev/null &&
	! cat $SFS/tim 2>/dev/null"
check "version 1 loads again (no rollback floor left over)" \
	bash -c "'$HNBTRE' manifest load '$WORK/m' && [ \$(cat $SFS/state) = failed ]"
# Each instance counts its events from 1: a result equal to one of an
# earlier instance (here: the load just above) must still be logged, and
# PCR 11 must still follow the log.
repeat_after_reload() {
	local first start
	fresh_module || return 1
	start=$(pcr_value sha256:11)
	first=$(ima_log_next)
	"$HNBTRE" manifest load "$WORK/m" && [ "$(state)" = failed ] || return 1
	tail -n +"$first" $IMA_LOG | grep -q ' hnbtre-state ' ||
		{ echo "no new hnbtre-state event in the IMA log"; return 1; }
	pcr_is sha256:11 "$(extend_chain sha256 "$start" "$first")"
}
check "a repeated result after a reload is logged, PCR 11 follows the log" \
	repeat_after_reload
rm -rf "$WORK"
tap_done
