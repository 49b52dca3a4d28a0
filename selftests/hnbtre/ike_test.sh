#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# IKEv2 between a device and a SeGW (two charons in two network
# namespaces) with the hnbtre charon plugin: AUTH signed in the TrE, the
# attestation Notify bound to the SA and the gateway's policy.
. "$(dirname "$0")/gate_lib.sh"
. "$(dirname "$0")/ike_lib.sh"
tap_init 10
if ! ike_prereqs; then
	for i in $(seq 10); do
		echo "ok $i # SKIP needs strongSwan, build/plugins/libstrongswan-hnbtre.so and veth"
	done
	exit $KSFT_SKIP
fi
trap ike_teardown EXIT

rim_dir=$WORK/rims
mkdir -p "$rim_dir"
segw_with_plugin() {
	charon_stop segw
	charon_conf segw yes "rim_dir = $rim_dir" "$@" &&
	charon_start segw && swanctl_segw && load_conf segw
}
dev_with_plugin() {
	charon_stop dev
	charon_conf dev yes "${DEV_SETTINGS[@]}" "$@" &&
	charon_start dev && swanctl_dev segw.hnbtre.test && load_conf dev
}
expect_rim() { cat $SFS/rim > "$rim_dir/$(cat "$PKI/identity")"; }
dev_log() { grep -q -- "$1" "$WORK/dev/charon.log"; }

net_setup || exit 1
fresh_module identity="$(cat "$PKI/identity")" || exit 1

# 1. Stock strongSwan on both ends, file keys: the bench itself works.
baseline() {
	charon_conf segw no && charon_start segw && swanctl_segw &&
	load_conf segw &&
	charon_conf dev no && charon_start dev &&
	swanctl_dev segw.hnbtre.test relaxed file && load_conf dev &&
	initiate && traffic_passes
}
check "stock strongSwan, file keys: CHILD_SA up, traffic passes" baseline
charon_stop dev
charon_stop segw

# 2. Trusted device: AUTH by the TrE, attestation verified.
trusted_device() {
	make_trusted && load_device_key && expect_rim &&
	segw_with_plugin && dev_with_plugin &&
	initiate && traffic_passes &&
	segw_logged "hnbtre: attestation verified identity=$ID_DEV.* tim=$(cat $SFS/tim | tr -d '\n') policy=require action=accept"
}
check "trusted device: CHILD_SA up, traffic passes, SeGW logged the verified TIM" trusted_device
no_key_file() {
	[ -d "$WORK/dev/swanctl/private" ] &&
	[ -z "$(ls "$WORK/dev/swanctl/private")" ] &&
	vici dev --list-conns | grep -q 'local public key authentication'
}
check "no private key file on the device" no_key_file
check "the device signed AUTH in the TrE" dev_log "private key in the TrE"

tap_done
