#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Secure start-up of signed components: trusted, TIM recomputed outside the
# module, TIM = RIM, the IMA critical-data entry and the PCR extend chain.
. "$(dirname "$0")/lib.sh"
tap_init 9

log=/sys/kernel/security/ima/ascii_runtime_measurements

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
		grep -qx "ok $f sha256:$(sha256sum < "$f" | cut -d' ' -f1)" $SFS/components ||
			return 1
	done
	[ "$(wc -l < $SFS/components)" = 5 ]
}

last_logged_event() {
	grep ' hnbtre-state ' $log | tail -n 1 | awk '{ print $NF }' |
		perl -ne 'chomp; print pack("H*", $_)'
}

ima_log_has_result() {
	last_logged_event | grep -q "state=trusted tim=$(cat $SFS/tim) "
}

# PCR 11 starts at zero and only hnbtre extends it: replay the IMA log.
pcr_matches_log() {
	local expected
	expected=$(grep ' hnbtre-state ' $log | awk '{ print $NF }' |
		perl -MDigest::SHA=sha256 -ne '
			BEGIN { $pcr = "\0" x 32 }
			chomp; $pcr = sha256($pcr . sha256(pack("H*", $_)));
			END { print uc unpack("H*", $pcr) }')
	tpm2_pcrread sha256:11 | grep -q "11: 0x$expected\$"
}

check "module loads with the built-in root" fresh_module
check "state starts unvalidated, no TIM yet" starts_unvalidated
make_components "$WORK/img" 5
files=$(find "$WORK/img" -type f | sort)
check "a signed manifest loads" load_signed
check "state is trusted" test "$(state)" = trusted
check "TIM equals sort | sha256sum of the component lines" \
	test "$(cat $SFS/tim)" = "$(independent_tim $files)"
check "TIM equals the platform RIM and hnbtre rim" rim_matches
check "every component is ok with its digest" components_ok
check "the IMA log holds the hnbtre critical data: trusted, this TIM" ima_log_has_result
check "tpm2_pcrread sha256:11 equals the extend chain of the logged events" pcr_matches_log
rm -rf "$WORK"
tap_done
