#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# ike_bench.sh [SAS] [BLOCK]: what the hnbtre plugin costs IKEv2, run by
# scripts/bench-ike in a VM (root, HNBTRE_TOP).  Not a test: prints ratios.
#
# 1. IKE_SA establishment (IKE_SA_INIT + IKE_AUTH + the first CHILD_SA, as
#    `swanctl --initiate` returns) between the device and SeGW charons of
#    ike_lib.sh: plugin on both ends (AUTH signed in the TrE, attestation
#    Notify, verification under `require` with a reference store) against
#    stock strongSwan with a file key and no Notify.  SAS (50) each, in
#    blocks of BLOCK (10) taking turns, each SA torn down before the next;
#    revocation checking off on both sides for both.
# 2. hnbtre-notify-bench on an attestation the TrE made for this run.
. "$(dirname "$0")/gate_lib.sh"
. "$(dirname "$0")/ike_lib.sh"
sas=${1:-50}
block=${2:-10}
WORK=$(mktemp -d /tmp/hnbtre-bench.XXXXXX)
trap 'ike_teardown; unload_with_keys >/dev/null 2>&1' EXIT
REVOKE="enable_ocsp = no
			enable_crl = no"
export REVOKE

ike_prereqs || { echo "ike_bench: needs strongSwan, busybox, veth and the plugin" >&2; exit 1; }
net_setup && fresh_module identity="$(cat "$PKI/identity")" &&
	make_trusted && load_device_key > /dev/null && expect_rim ||
	{ echo "ike_bench: no trusted TrE" >&2; exit 1; }

now_us() { echo $(($(date +%s%N) / 1000)); }

# establish KIND N: N IKE_SAs one after the other, each one's time in
# microseconds appended to $WORK/KIND.times.
establish() {
	local kind=$1 n=$2 i t
	for i in $(seq "$n"); do
		t=$(now_us)
		initiate || { echo "ike_bench: $kind SA $i failed" >&2; return 1; }
		echo $(($(now_us) - t)) >> "$WORK/$kind.times"
		down
	done
}

median() { sort -n "$1" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

done_sas=0
while [ $done_sas -lt "$sas" ]; do
	segw_plain && dev_plain && establish plain "$block" || exit 1
	segw_with_plugin && dev_with_plugin && establish hnbtre "$block" || exit 1
	done_sas=$((done_sas + block))
done
grep -q "hnbtre: attestation verified" "$WORK/segw/charon.log" ||
	{ echo "ike_bench: the SeGW did not verify attestations" >&2; exit 1; }
plain=$(median "$WORK/plain.times")
tre=$(median "$WORK/hnbtre.times")
echo "ike_sa_plain_us $plain"
echo "ike_sa_hnbtre_us $tre"
echo "ike_sa_count $(wc -l < "$WORK/hnbtre.times") each"
awk -v a="$tre" -v b="$plain" 'BEGIN { printf "ike_sa_ratio %.3f\n", a / b }'

# An attestation for a 32-byte nonce, verified against the reference RIM.
nonce=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
"$HNBTRE" attest --nonce "$nonce" > "$WORK/blob" ||
	{ echo "ike_bench: no attestation" >&2; exit 1; }
"$TOP/build/bin/hnbtre-notify-bench" "$PKI/device.pem" "$PKI/device.key" \
	"$PKI/root.pem" "$WORK/blob" "$nonce" "$WORK/rims" "${HNBTRE_BENCH_ROUNDS:-2000}"
