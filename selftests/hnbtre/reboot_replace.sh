#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# reboot_replace.sh first|second: the image replacement of
# distress_replace_test.sh (TS 33.320 7.12.4, Documentation/distress.md)
# across a REAL reboot, in two boots of one VM disk and TPM state, run by
# scripts/run-reboot-test.  Phase first: an ext4 file system on the disk
# $HNBTRE_REBOOT_DISK holds the image, its install root, the distress
# function, the H(e)MS database and the work files; start-up trusted with
# image 1, a TR-069 session stores the RIM, a replacement is queued; a
# corrupted normal component -> failed -> the TrE starts the distress
# function ("reboot": true) -> REPLACE -> installed -> sync -> reboot(2),
# which ends the VM.  Phase second: the same disk; the results of phase
# first (kept on the disk) and the reboot's outcome, then secure start-up
# from the new slot -> trusted with the new RIM, and the next TR-069
# session renews the H(e)MS's stored RIM.  Phase second prints the one
# TAP stream of both.  Run as root in a VM; it formats the disk.
. "$(dirname "$0")/gate_lib.sh"
. "$(dirname "$0")/tr069_lib.sh"
phase=${1:-}
FIRST_CHECKS=4
case $phase in
first) checks=$FIRST_CHECKS ;;
second) checks=$((FIRST_CHECKS + 7)) ;;
*) echo "usage: $0 first|second" >&2; exit 2 ;;
esac
tr069_init $checks
if [ -z "${HNBTRE_REBOOT_DISK:-}" ]; then
	# Never format a disk nobody named.
	for i in $(seq $checks); do
		echo "ok $i # SKIP needs HNBTRE_REBOOT_DISK (scripts/run-reboot-test)"
	done
	exit $KSFT_SKIP
fi

P=/persist
mkdir -p $P
if [ "$phase" = first ]; then
	mkfs.ext4 -q -F "$HNBTRE_REBOOT_DISK" && mount "$HNBTRE_REBOOT_DISK" $P &&
	mkdir $P/work || exit 1
	# The results also go to the disk: phase second replays them.
	exec > >(tee -a $P/first.tap)
else
	mount "$HNBTRE_REBOOT_DISK" $P
fi
rm -rf "$WORK"
WORK=$P/work

id=$IDENTITY
D=$WORK/d
R=$WORK/root
START=$TOP/policy/init/hnbtre-start
TLS_PORT=4450
TCP_PORT=4451
HEMS_CLI="$HEMS --db $WORK/hems.db"

is() { [ "$1" = "$2" ] || { echo "'$1', not '$2'"; return 1; }; }
# boot [START.CONF OPTIONS]: secure start-up as init runs it.
boot() {
	cat > "$WORK/start.conf" <<EOC
IDENTITY=$id
MODULE=$MODULE
ROOT_CERTS=$PKI/ima.der
DEVICE_KEY=$WORK/device.wrapped
DISTRESS=$D/hnbtre-distress
HNBTRE=$HNBTRE
$1
EOC
	"$START" "$WORK/start.conf" 2> "$WORK/start.log"
	echo $? > "$WORK/status"
	keyctl link %:.hnbtre_device @s > /dev/null
}
started_trusted() { is "$(cat "$WORK/status")" 0 && is "$(cat $SFS/state)" trusted; }
session() {
	"$CWMPD" --acs "$URL" --cert "$PKI/device.pem" --ca "$PKI/root.pem" \
		--state-dir "$WORK/cwmpd" --once > "$WORK/cwmpd.out" 2>&1
}
device() { $HEMS_CLI --json show "$id" | jq -r ".device.$1"; }
col() { sqlite3 "$WORK/hems.db" "SELECT $1 FROM $2 WHERE identity = '$id' ORDER BY rowid DESC LIMIT 1"; }

# The device is the root network namespace (the TrE's usermode helper
# runs there), the H(e)MS is in hnb-hems behind a veth pair, with the
# OCSP responder its certificate names on the device's loopback.
hems_up() {
	ip netns add hnb-hems &&
	ip link add dev0 type veth peer name hems0 netns hnb-hems &&
	ip addr add $DEV_ADDR/24 dev dev0 && ip link set dev0 up &&
	ip -n hnb-hems addr add $HEMS_ADDR/24 dev hems0 &&
	ip -n hnb-hems link set hems0 up && ip -n hnb-hems link set lo up &&
	echo "$HEMS_ADDR hems.hnbtre.test" >> /etc/hosts &&
	ca_database hems "" && ocsp_start root &&
	hems_start --distress-tls-port $TLS_PORT --distress-tcp-port $TCP_PORT \
		--distress-psk-dir "$WORK/psk"
}

if [ "$phase" = first ]; then
	# The distress function in its own directory (distress.md), on the
	# disk, with the real reboot after the replacement.
	mkdir -p "$D" "$WORK/t" "$WORK/state" "$WORK/psk" "$WORK/img/bin" "$R"
	cp "$TOP/build/bin/hnbtre-distress" "$D/"
	cp "$PKI/distress.psk" "$D/psk"
	cp "$PKI/distress.psk" "$WORK/psk/$id"
	cp "$PKI/root.pem" "$D/ca.pem"
	cp "$PKI/device.pem" "$D/device.pem"
	cat > "$D/distress.conf" <<EOC
{ "server": "$HEMS_ADDR", "port": $TLS_PORT, "transport": "tls",
  "server_name": "hems.hnbtre.test", "trust_anchor": "ca.pem", "auth": "psk",
  "psk_file": "psk", "device_certificate": "device.pem",
  "state_dir": "$WORK/state", "attempts": 3, "backoff_ms": 200,
  "timeout_ms": 10000, "install_root": "$R", "package_roots": "ca.pem",
  "reboot": true }
EOC
	echo "tre component" > "$WORK/t/tre1"
	make_components "$WORK/c" 2
	for f in "$D"/* "$WORK/t/tre1"; do sign_component "$f"; done
	"$HNBTRE" manifest build --version 1 "$WORK"/c/c* --class distress "$D"/* \
		--class tre "$WORK/t/tre1" > "$WORK/m1.body" &&
	"$HNBTRE" manifest sign --key "$PKI/signer.key" --cert "$PKI/signer.pem" \
		"$WORK/m1.body" "$WORK/m1" || exit 1

	# The replacement: a new image in $R and a manifest (version 2) of it,
	# the distress function's files and the tre component.
	echo "replacement image" > "$WORK/img/bin/app"
	sign_component "$WORK/img/bin/app"
	{
		printf 'hnbtre-manifest 1\nversion 2\n'
		{
			echo "$R/current/bin/app sha256:$(sha256sum < "$WORK/img/bin/app" | cut -d' ' -f1) normal"
			for f in "$D"/* "$WORK/t/tre1"; do
				class=distress
				[ "$f" = "$WORK/t/tre1" ] && class=tre
				echo "$f sha256:$(sha256sum < "$f" | cut -d' ' -f1) $class"
			done
		} | LC_ALL=C sort
	} > "$WORK/m2.body"
	"$HNBTRE" manifest sign --key "$PKI/signer.key" --cert "$PKI/signer.pem" \
		"$WORK/m2.body" "$WORK/m2" &&
	"$HNBTRE" pkg build --dir "$WORK/img" --prefix "$R/current" --manifest "$WORK/m2" \
		--version 1 -o "$WORK/img.unsigned" > /dev/null &&
	"$HNBTRE" pkg sign --cert "$PKI/signer.pem" --key "$PKI/signer.key" \
		-o "$WORK/img.pkg" "$WORK/img.unsigned" || exit 1
	wrap_key "$PKI/device.key" "$WORK/device.wrapped"
	hems_up || exit 1
fi
# The platform RIM of version 2 by the TIM definition (contract.md).
new_rim=sha256:$(tail -n +3 "$WORK/m2.body" 2>/dev/null | awk '{ print $1, $2 }' |
	sha256sum | cut -d' ' -f1)

if [ "$phase" = first ]; then
	boot "MANIFEST=$WORK/m1"
	check "start-up with image 1: trusted" started_trusted
	old_rim=$(cat $SFS/rim)
	first_session() { session || { cat "$WORK/cwmpd.out"; return 1; }; is "$(col rim devices)" "$old_rim"; }
	check "TR-069 session: the H(e)MS stores the device's RIM" first_session
	queue() {
		$HEMS_CLI replace "$id" "$WORK/img.pkg" | grep -q "platform RIM $new_rim," &&
		is "$(col state replacements)" requested
	}
	check "replace: the package queued with the platform RIM of its manifest" queue
	echo tampered > "$WORK/c/c1"
	echo 1 > $SFS/validate
	failed_started() { is "$(cat $SFS/state)" failed && is "$(head -n 1 $SFS/distress)" started; }
	check "normal component corrupted: failed, the TrE started the distress function" failed_started
	# The function fetches and installs the package, then reboots: this
	# VM ends here.  Still running after that long, the phase failed;
	# phase second sees its exit status.
	sleep 600
	echo "# no reboot within 600 s" >&2
	exit 1
fi

# Phase second: first the results of phase first from the disk.
if [ -f $P/first.tap ]; then
	while IFS= read -r line; do
		case $line in
		"ok "*) tap_n=$((tap_n + 1)) ;;
		"not ok "*) tap_n=$((tap_n + 1)); tap_failed=$((tap_failed + 1)) ;;
		esac
		echo "$line"
	done < $P/first.tap
fi
while [ $tap_n -lt $FIRST_CHECKS ]; do
	tap_n=$((tap_n + 1))
	tap_failed=$((tap_failed + 1))
	echo "not ok $tap_n - first boot: no result on the disk"
done

rebooted_installed() {
	mountpoint -q $P || { echo "the disk of the first boot did not mount"; return 1; }
	is "${HNBTRE_FIRST_STATUS:-}" 126 &&
	cmp "$WORK/img/bin/app" "$R/current/bin/app" &&
	is "$(sed -n 2p "$R/current/.hnbtre/manifest")" "version 2"
}
check "first boot ended by the distress function's reboot, the new image installed" \
	rebooted_installed
answered() {
	is "$(col state replacements)" sent &&
	is "$(col distress replacements)" "$(col id distress)" &&
	is "$(col authenticated distress)" 1 && is "$(col transport distress)" tls &&
	is "$(col expected_rim devices)" "$new_rim" && is "$(col expected_state devices)" sent
}
check "H(e)MS: the authentic indication was answered with the package, expected RIM set" answered

hems_up
boot "INSTALL_ROOT=$R"
rebooted() { started_trusted && is "$(cat $SFS/rim)" "$new_rim" && is "$(cat $SFS/tim)" "$new_rim"; }
check "after the reboot: start-up from the new slot ends trusted with the new RIM" rebooted
check "the device still needs maintenance until it reports" is "$(device status)" maintenance
renewed() {
	session || { cat "$WORK/cwmpd.out"; return 1; }
	is "$(col verdict attestations)" valid && is "$(col rim devices)" "$new_rim" &&
	is "$(col expected_rim devices)" "" && is "$(col status devices)" ok
}
check "next TR-069 session: the H(e)MS renews the stored RIM to the new one" renewed
check "both sides hold the same RIM" is "$(col rim devices)" "$(cat $SFS/rim)"
check "show lists the replacement as sent" \
	is "$($HEMS_CLI --json show "$id" | jq -r '.replacements[-1].state')" sent
tap_done
