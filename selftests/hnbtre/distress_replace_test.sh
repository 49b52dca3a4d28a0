#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Replacement of the normal code image from the reference H(e)MS (TS
# 33.320 7.12.4, Documentation/distress.md): a normal component corrupted
# -> failed -> the TrE starts the distress function -> PSK indication over
# TLS to hnbtre-hems -> REPLACE with the queued signed package ->
# installed, TrE-verified -> "reboot" (a fresh module load and the boot
# script policy/init/hnbtre-start) -> trusted with the new RIM, which the
# H(e)MS renews at the device's next TR-069 session.  Forged indications
# get no package; a failed TrE attempts no replacement.  Run as root in a
# VM.  The device is the root network namespace (the TrE's usermode helper
# runs there), the H(e)MS is in hnb-hems behind a veth pair.
. "$(dirname "$0")/gate_lib.sh"
. "$(dirname "$0")/tr069_lib.sh"
tr069_init 22

id=$IDENTITY
D=$WORK/d
R=$WORK/root
START=$TOP/policy/init/hnbtre-start
TLS_PORT=4450
TCP_PORT=4451
HEMS_CLI="$HEMS --db $WORK/hems.db"
[ -d $SFS ] && rmmod hnbtre

ip netns add hnb-hems &&
ip link add dev0 type veth peer name hems0 netns hnb-hems &&
ip addr add $DEV_ADDR/24 dev dev0 && ip link set dev0 up &&
ip -n hnb-hems addr add $HEMS_ADDR/24 dev hems0 &&
ip -n hnb-hems link set hems0 up && ip -n hnb-hems link set lo up || exit 1
grep -q "^$HEMS_ADDR hems.hnbtre.test" /etc/hosts ||
	echo "$HEMS_ADDR hems.hnbtre.test" >> /etc/hosts

# The distress function in its own directory (distress.md): PSK over TLS
# to the H(e)MS, image replacement into $R, no real reboot.
mkdir -p "$D" "$WORK/t" "$WORK/state" "$WORK/psk"
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
  "reboot": false }
EOC
echo "tre component" > "$WORK/t/tre1"
make_components "$WORK/c" 2
for f in "$D"/* "$WORK/t/tre1"; do sign_component "$f"; done
"$HNBTRE" manifest build --version 1 "$WORK"/c/c* --class distress "$D"/* \
	--class tre "$WORK/t/tre1" > "$WORK/m1.body" &&
"$HNBTRE" manifest sign --key "$PKI/signer.key" --cert "$PKI/signer.pem" \
	"$WORK/m1.body" "$WORK/m1" || exit 1

# The replacement: a new image in $R and a manifest (version 2) of it, the
# distress function's files and the tre component.
mkdir -p "$WORK/img/bin" "$R"
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
# The platform RIM of version 2 by the TIM definition (contract.md).
new_rim=sha256:$(tail -n +3 "$WORK/m2.body" | awk '{ print $1, $2 }' |
	sha256sum | cut -d' ' -f1)

wrap_key "$PKI/device.key" "$WORK/device.wrapped"
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
# reboot: what the distress function's reboot leads to, without one: the
# module and its keys gone, then start-up again.
reboot_device() {
	unload_with_keys > /dev/null 2>&1
	boot "INSTALL_ROOT=$R"
}
session() {
	"$CWMPD" --acs "$URL" --cert "$PKI/device.pem" --ca "$PKI/root.pem" \
		--state-dir "$WORK/cwmpd" --once > "$WORK/cwmpd.out" 2>&1
}
device() { $HEMS_CLI --json show "$id" | jq -r ".device.$1"; }
col() { sqlite3 "$WORK/hems.db" "SELECT $1 FROM $2 WHERE identity = '$id' ORDER BY rowid DESC LIMIT 1"; }
# until_true SECONDS COMMAND...: poll (TCG is slow).
until_true() {
	local i n=$(($1 * 5))
	shift
	for i in $(seq $n); do
		"$@" > /dev/null 2>&1 && return 0
		sleep 0.2
	done
	"$@"
}

# The OCSP responder the H(e)MS certificate names, on the device's loopback.
ca_database hems "" && ocsp_start root || exit 1
hems_start --distress-tls-port $TLS_PORT --distress-tcp-port $TCP_PORT \
	--distress-psk-dir "$WORK/psk"
boot "MANIFEST=$WORK/m1"
is() { [ "$1" = "$2" ] || { echo "'$1', not '$2'"; return 1; }; }
started_trusted() { is "$(cat "$WORK/status")" 0 && is "$(cat $SFS/state)" trusted; }
check "start-up with image 1: trusted" started_trusted
old_rim=$(cat $SFS/rim)
first_session() { session || { cat "$WORK/cwmpd.out"; return 1; }; is "$(col rim devices)" "$old_rim"; }
check "TR-069 session: the H(e)MS stores the device's RIM" first_session
queue() {
	$HEMS_CLI replace "$id" "$WORK/img.pkg" | grep -q "platform RIM $new_rim," &&
	is "$(col state replacements)" requested
}
check "replace: the package queued with the platform RIM of its manifest" queue

# Forged indications (unauthenticated, or a PSK tag that does not verify)
# over plain TCP: recorded, but never answered with the package.
forged() {	# forged AUTH TAG_LEN SEQUENCE ANSWER
	local msg
	msg="{\"format\":\"hnbtre-distress-1\",\"identity\":\"$id\",\"sequence\":$3,\"time\":$(date +%s),\"state\":\"failed\",\"failed\":[]}"
	is "$({ printf 'HNBTRE-DISTRESS 1 %s %d %d\n%s' "$1" ${#msg} "$2" "$msg"
		head -c "$2" /dev/zero; } |
		ip netns exec hnb-hems busybox nc $HEMS_ADDR $TCP_PORT)" "$4" &&
	is "$(col state replacements)" requested
}
check "unauthenticated indication: recorded as such, no package" \
	forged none 0 1 "ACCEPTED recorded as unauthenticated"
check "indication with a wrong PSK tag: rejected, no package" \
	forged psk 32 2 "REJECTED not authentic"

echo tampered > "$WORK/c/c1"
echo 1 > $SFS/validate
failed_started() { is "$(cat $SFS/state)" failed && is "$(head -n 1 $SFS/distress)" started; }
check "normal component corrupted: failed, the TrE started the distress function" failed_started
sent() { is "$(col state replacements)" sent; }
check "H(e)MS: authentic indication answered with the package (REPLACE)" until_true 60 sent
answered() {
	is "$(col distress replacements)" "$(col id distress)" &&
	is "$(col authenticated distress)" 1 && is "$(col transport distress)" tls &&
	is "$(col expected_rim devices)" "$new_rim" && is "$(col expected_state devices)" sent
}
check "H(e)MS: recorded with the indication it answers, expected RIM set" answered
installed() { is "$(cat $SFS/state)" trusted && cmp "$WORK/img/bin/app" "$R/current/bin/app"; }
replaced() {
	until_true 60 installed && is "$(cat $SFS/rim)" "$new_rim" &&
	is "$(sed -n 2p $SFS/manifest)" "version 2"
}
check "device: installed, TrE-verified and re-validated: trusted with the new RIM" replaced

reboot_device
rebooted() { started_trusted && is "$(cat $SFS/rim)" "$new_rim" && is "$(cat $SFS/tim)" "$new_rim"; }
check "after the reboot: start-up from the new slot ends trusted" rebooted
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

# Repair mode of the TR-069 agent (tr069.md): the image corrupted again;
# the function the TrE starts finds nothing queued.  Then a replacement is
# queued, and the agent, seeing failed, runs no session but the distress
# function, which fetches the package, has the TrE verify it, installs it
# and re-validates; trusted again, the agent has its session.
authentic() { sqlite3 "$WORK/hems.db" "SELECT count(*) FROM distress WHERE authenticated = 1"; }
echo corrupted > "$R/current/bin/app"
echo 1 > $SFS/validate
reported() { is "$(cat $SFS/state)" failed && until_true 60 is "$(authentic)" 2; }
check "image corrupted again: failed, indication recorded, nothing to replace" reported
repair_session() {
	! pgrep -x hnbtre-distress > /dev/null && sleep 1 &&
	$HEMS_CLI replace "$id" "$WORK/img.pkg" > /dev/null &&
	"$CWMPD" --acs "$URL" --cert "$PKI/device.pem" --ca "$PKI/root.pem" \
		--state-dir "$WORK/cwmpd" --repair-cmd "$D/hnbtre-distress" --once \
		> "$WORK/cwmpd.out" 2>&1
	grep -q "repair mode: the TrE says failed; no session, only repair" "$WORK/cwmpd.out" &&
	grep -q "repair mode: the TrE says trusted" "$WORK/cwmpd.out" &&
	cmp "$WORK/img/bin/app" "$R/current/bin/app" || { cat "$WORK/cwmpd.out"; return 1; }
}
check "agent in repair mode: only the distress function runs, the image is replaced" repair_session
check "then the agent's session: the H(e)MS verifies the attestation, RIM kept" \
	eval 'is "$(col verdict attestations)" valid && is "$(col rim devices)" "$new_rim" &&
	      is "$(col status devices)" ok && grep -q "Inform delivered" "$WORK/cwmpd.out"'
no_repair() {
	echo corrupted > "$R/current/bin/app" && echo 1 > $SFS/validate &&
	until_true 60 is "$(authentic)" 4 && sleep 1 &&
	! "$CWMPD" --acs "$URL" --cert "$PKI/device.pem" --ca "$PKI/root.pem" \
		--state-dir "$WORK/cwmpd" --repair-cmd "$D/hnbtre-distress" --once \
		> "$WORK/cwmpd.out" 2>&1 &&
	grep -q "repair mode: the TrE says failed$" "$WORK/cwmpd.out" &&
	! grep -q "Inform delivered" "$WORK/cwmpd.out" || { cat "$WORK/cwmpd.out"; return 1; }
}
check "repair mode with nothing queued: still failed, no session" no_repair
# Repaired by hand, so that the TrE's own failure below is a transition.
cat "$WORK/img/bin/app" > "$R/current/bin/app"
echo 1 > $SFS/validate

# The TrE's own failure: the function reports nothing, no replacement.
$HEMS_CLI replace "$id" "$WORK/img.pkg" > /dev/null
echo changed > "$WORK/t/tre1"
echo 1 > $SFS/validate
tre_failed() { is "$(cat $SFS/state)" failed && is "$(head -n 1 $SFS/distress)" "refused tre-failed"; }
check "TrE component failed: the TrE does not start the distress function" tre_failed
"$D/hnbtre-distress" 2> "$WORK/tre.log"
rc=$?
check "started anyway: exit 6, nothing sent" \
	sh -c "[ $rc = 6 ] && [ \"\$(sqlite3 '$WORK/hems.db' \"SELECT state FROM replacements ORDER BY id DESC LIMIT 1\")\" = requested ]"
check "the H(e)MS recorded five authentic indications in all" is "$(authentic)" 5
check "the H(e)MS did not crash" kill -0 "$(cat "$WORK/server.pid")"
tap_done
