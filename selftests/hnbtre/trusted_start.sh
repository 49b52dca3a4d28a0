#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Secure start-up of signed components: trusted, TIM recomputed outside the
# module, TIM = RIM, the IMA critical-data entry and the PCR extend chain.
. "$(dirname "$0")/lib.sh"
tap_init 16

log=$IMA_LOG

# The one TIM of the selftests computed without hnbtre: the definition
# (contract.md) in sort and sha256sum, so that the kernel's TIM is
# checked against the text of the contract and not only against
# libhnbtre's (manifest_diff.sh ties the two implementations together;
# every other test compares with `hnbtre rim` and `hnbtre tim`).
independent_tim() {
	local f
	for f in "$@"; do
		echo "$f sha256:$(sha256sum < "$f" | cut -d' ' -f1)"
	done | LC_ALL=C sort | sha256sum | sed 's/^\([0-9a-f]*\).*/sha256:\1/'
}

starts_unvalidated() {
	[ "$(state)" = unvalidated ] && ! cat $SFS/tim 2>/dev/null
}

load_signed() {
	signed_manifest "$WORK/m" 1 $files && "$HNBTRE" manifest load "$WORK/m"
}

rim_matches() {
	[ "$(cat $SFS/tim)" = "$(cat $SFS/rim)" ] &&
	[ "$(cat $SFS/rim)" = "$("$HNBTRE" rim "$WORK/m")" ]
}

components_ok() {
	local f
	for f in $files; do
		grep -qx "ok $f sha256:$(sha256sum < "$f" | cut -d' ' -f1) normal" $SFS/components ||
			return 1
	done
	[ "$(wc -l < $SFS/components)" = 5 ]
}

# The status file, line for line as Documentation/ABI/testing/securityfs-hnbtre
# defines it: status_is STATE VALIDATIONS VERSION RIM TIM OK (the module
# loaded without a TPM floor or identity).
status_is() {
	local expected
	expected=$(printf '%s\n' "state $1" "validations $2" "version $3" \
		"rim $4" "tim $5" "pending 0" "ok $6" "unsigned 0" "badsig 0" \
		"mismatch 0" "missing 0" "floor -" "identity -")
	[ "$(cat $SFS/status)" = "$expected" ] ||
		{ diff <(echo "$expected") $SFS/status; return 1; }
}
status_unvalidated() { status_is unvalidated 0 - - - 0; }
# The same snapshot as the one-value files and the manifest give.
status_trusted() {
	status_is trusted 1 1 "$(cat $SFS/rim)" "$(cat $SFS/tim)" 5 &&
	[ "$(cat $SFS/tim)" = "$("$HNBTRE" rim "$WORK/m")" ]
}

last_logged_event() {
	grep ' hnbtre-state ' $log | tail -n 1 | awk '{ print $NF }' |
		perl -ne 'chomp; print pack("H*", $_)'
}

ima_log_has_result() {
	last_logged_event | grep -q "state=trusted tim=$(cat $SFS/tim) "
}

zero() { printf "%0${1}d" 0; }
# PCR 11 starts at zero and only hnbtre extends it: replay the IMA log.
pcr_matches_log() { pcr_is sha256:11 "$(extend_chain sha256 "$(zero 64)")"; }
# Every allocated bank gets its own hash of the buffer.
sha1_bank_matches_log() { pcr_is sha1:11 "$(extend_chain sha1 "$(zero 40)")"; }

# The PCR is a module parameter.  After these, PCR 11 no longer replays the
# whole IMA log, so they come last.  Each loads a new manifest version: a
# buffer equal to an earlier one is another matter (reload.sh).
load_version() {
	signed_manifest "$WORK/m$1" "$1" $files && "$HNBTRE" manifest load "$WORK/m$1" &&
	[ "$(state)" = trusted ]
}
extends_pcr_16() {
	local first pcr11
	pcr11=$(pcr_value sha256:11)
	fresh_module pcr=16 && tpm2_pcrreset 16 || return 1
	first=$(ima_log_next)
	load_version 2 &&
	tail -n +"$first" $log | grep -q ' hnbtre-state ' &&
	pcr_is sha256:16 "$(extend_chain sha256 "$(zero 64)" "$first")" &&
	pcr_is sha256:11 "$pcr11"
}
# Every PCR but IMA's own (10), which logging the event extends, and the
# verdict PCR (12, verdict_pcr=), which every load extends with its first
# verdict and caps whatever pcr= says (devkey.md, "Keys at rest").
not_ima_pcrs=0,1,2,3,4,5,6,7,8,9,11,13,14,15,16,17,18,19,20,21,22,23
all_pcrs() { tpm2_pcrread sha1:$not_ima_pcrs+sha256:$not_ima_pcrs; }
no_pcr_extended() {
	local pcrs first
	fresh_module pcr=-1 || return 1
	pcrs=$(all_pcrs)
	first=$(ima_log_next)
	load_version 3 &&
	tail -n +"$first" $log | grep -q ' hnbtre-state ' &&
	[ "$(all_pcrs)" = "$pcrs" ]
}

check "module loads with the built-in root" fresh_module
check "state starts unvalidated, no TIM yet" starts_unvalidated
check "status: unvalidated, no manifest, no TIM, no verdicts" status_unvalidated
make_components "$WORK/img" 5
files=$(find "$WORK/img" -type f | sort)
# evmctl's output as the kernel parses it: EVM_IMA_XATTR_DIGSIG (03),
# signature format v2 (02), hash algorithm SHA-256 (04).
signed_v2() {
	local f
	for f in $files; do
		getfattr --absolute-names -e hex -n security.ima "$f" |
			grep -q '^security.ima=0x030204' || return 1
	done
}
check "components carry security.ima v2 SHA-256 signatures" signed_v2
check "a signed manifest loads" load_signed
check "state is trusted" test "$(state)" = trusted
check "TIM equals sort | sha256sum of the component lines" \
	test "$(cat $SFS/tim)" = "$(independent_tim $files)"
check "TIM equals the platform RIM and hnbtre rim" rim_matches
check "every component is ok with its digest and class" components_ok
check "status: trusted, validation 1, version 1, this RIM and TIM, 5 ok" status_trusted
# The documented trigger, not any boolean kstrtobool() would take.
validate_strict() {
	local v
	for v in y t on 1x 11 0 "1 "; do
		printf '%s' "$v" | expect_errno EINVAL $SFS/validate ||
			{ echo "for '$v'"; return 1; }
	done
	[ "$(sed -n 2p $SFS/status)" = "validations 1" ]
}
check "validate takes only \"1\" (or \"1\\n\"): y, t, on, 1x, 11, 0 get EINVAL, nothing runs" validate_strict
check "the IMA log holds the hnbtre critical data: trusted, this TIM" ima_log_has_result
check "tpm2_pcrread sha256:11 equals the extend chain of the logged events" pcr_matches_log
check "the sha1 bank of PCR 11 holds the sha1 extend chain" sha1_bank_matches_log
check "pcr=16 extends PCR 16 instead, PCR 11 untouched" extends_pcr_16
check "pcr=-1 extends no PCR but the verdict PCR, the IMA log still gets the event" no_pcr_extended
rm -rf "$WORK"
tap_done
