#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The init integration policy/init/hnbtre-start: secure start-up at boot,
# the distress function started by the TrE or, without the TrE's helper,
# by the script, never when it is corrupted; the reference H(e)MS records
# what arrives.  TAP 13; run as root in a VM.
. "$(dirname "$0")/gate_lib.sh"
tap_init 9

id=$(cat "$PKI/identity")
D=$WORK/distress
START=$TOP/policy/init/hnbtre-start
HEMS="$TOP/build/bin/hnbtre-hems --db $WORK/hems.db"
PORT=4447
if [ -d $SFS ]; then
	unload_pinned || exit 1
fi

# The normal code, the distress function's own directory, a tre component.
mkdir -p "$D" "$WORK/t" "$WORK/state"
make_components "$WORK/c" 2
cp "$TOP/build/bin/hnbtre-distress" "$D/"
cat > "$D/distress.conf" <<EOC
{ "server": "127.0.0.1", "port": $PORT, "transport": "tcp", "auth": "none",
  "state_dir": "$WORK/state", "attempts": 3, "backoff_ms": 200, "timeout_ms": 2000 }
EOC
echo "tre component" > "$WORK/t/tre1"
for f in "$D"/* "$WORK/t/tre1"; do sign_component "$f"; done
"$HNBTRE" manifest build --version 1 "$WORK"/c/c* --class distress "$D"/* \
	--class tre "$WORK/t/tre1" > "$WORK/m.body" &&
"$HNBTRE" manifest sign --key "$PKI/signer.key" --cert "$PKI/signer.pem" \
	"$WORK/m.body" "$WORK/m" || exit 1
wrap_key "$PKI/device.key" "$WORK/device.wrapped"

# start_conf [DISTRESS_BY_TRE]: the script's configuration.
start_conf() {
	cat > "$WORK/start.conf" <<EOC
IDENTITY=$id
MODULE=$MODULE
MANIFEST=$WORK/m
ROOT_CERTS="$PKI/signer.der $PKI/pkg-signer.der $PKI/ima.der"
DEVICE_KEY=$WORK/device.wrapped
DISTRESS=$D/hnbtre-distress
DISTRESS_BY_TRE=${1:-yes}
HNBTRE=$HNBTRE
EOC
}
# boot: the script as init runs it, its status in $WORK/status.
boot() {
	"$START" "$WORK/start.conf" 2> "$WORK/start.log"
	echo $? > "$WORK/status"
}
# shutdown: the module and its keys gone, as at power-off.
shutdown() { unload_with_keys > /dev/null 2>&1; }
status_is() { [ "$(cat "$WORK/status")" = "$1" ]; }
# indications N: the H(e)MS recorded N distress indications of $id.
indications() {
	local i n
	for i in $(seq 100); do
		n=$($HEMS --json distress | jq "[.[] | select(.identity == \"$id\")] | length")
		[ "$n" = "$1" ] && return 0
		sleep 0.2
	done
	echo "the H(e)MS has $n indications, not $1"
	return 1
}

$HEMS --listen 127.0.0.1 --port 7547 --cert "$PKI/hems.pem" --key "$PKI/hems.key" \
	--ca "$PKI/root.pem" --public-url https://hems.hnbtre.test:7547 \
	--distress-tcp-port $PORT serve 2> "$WORK/hems.log" &
hems_pid=$!
trap 'kill $hems_pid 2>/dev/null; shutdown' EXIT
for i in $(seq 100); do
	[ -n "$(ss -Hltn "sport = :$PORT")" ] && break
	sleep 0.1
done

start_conf
boot
check "intact device: start-up ends trusted, exit 0, the distress function idle" \
	sh -c "[ \"\$(cat $WORK/status) \$(cat $SFS/state)\" = '0 trusted' ] &&
	       head -n 1 $SFS/distress | grep -qx idle"
check "the device key was loaded and signs" \
	sh -c "keyctl link %:.hnbtre_device @s && head -c 32 /dev/zero > $WORK/digest &&
	       keyctl pkey_sign \$(keyctl search %:.hnbtre_device asymmetric hnbtre:device) 0 \
	       $WORK/digest enc=pkcs1 hash=sha256 > /dev/null"
shutdown

echo "patched" > "$WORK/c/c1"
boot
check "patched component: start-up ends failed, exit 1, the TrE started the function" \
	sh -c "[ \"\$(cat $WORK/status) \$(cat $SFS/state)\" = '1 failed' ] &&
	       head -n 1 $SFS/distress | grep -qx started"
check "the H(e)MS recorded its indication" indications 1
shutdown

start_conf no
boot
check "no TrE helper: outcome off, the script started the function" \
	sh -c "[ \"\$(cat $WORK/status)\" = 1 ] && head -n 1 $SFS/distress | grep -qx off &&
	       grep -q 'starting the distress function' $WORK/start.log"
check "the H(e)MS recorded its indication" indications 2
shutdown

printf '\0' >> "$D/hnbtre-distress"
boot
check "corrupted distress function: not started by the script" \
	sh -c "[ \"\$(cat $WORK/status)\" = 1 ] &&
	       grep -q 'is not an intact component: not started' $WORK/start.log"
still_two() { sleep 3 && indications 2; }
check "nothing more reached the H(e)MS" still_two
shutdown

sed -i '/^DEVICE_KEY=/d' "$WORK/start.conf"
boot
check "configuration without DEVICE_KEY: exit 2, no TrE loaded" \
	sh -c "[ \"\$(cat $WORK/status)\" = 2 ] && [ ! -d $SFS ]"
tap_done
