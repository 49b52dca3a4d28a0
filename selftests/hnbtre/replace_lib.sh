# SPDX-License-Identifier: GPL-2.0-only
# The bench of the image replacement tests (distress_replace_test.sh,
# reboot_replace.sh; Documentation/distress.md): the device is the root
# network namespace (the TrE's usermode helper runs there), the H(e)MS is
# in hnb-hems behind a veth pair.  Source after gate_lib.sh, tr069_lib.sh
# and tr069_init, with WORK where the files are to be.
id=$IDENTITY
D=$WORK/d
R=$WORK/root
START=$TOP/policy/init/hnbtre-start
TLS_PORT=4450
TCP_PORT=4451
HEMS_CLI="$HEMS --db $WORK/hems.db"

is() { [ "$1" = "$2" ] || { echo "'$1', not '$2'"; return 1; }; }

# replace_net: the veth pair, the H(e)MS's name in /etc/hosts.
replace_net() {
	netns_pair hems "$HEMS_ADDR" root || return 1
	grep -q "^$HEMS_ADDR hems.hnbtre.test" /etc/hosts ||
		echo "$HEMS_ADDR hems.hnbtre.test" >> /etc/hosts
}

# replace_hems: the OCSP responder the H(e)MS certificate names, on the
# device's loopback, and the H(e)MS with its distress receiver.
replace_hems() {
	ca_database "$WORK/ca" hems "" && ocsp_start root &&
	hems_start --distress-tls-port $TLS_PORT --distress-tcp-port $TCP_PORT \
		--distress-psk-dir "$WORK/psk"
}

# replace_setup REBOOT: the distress function in its own directory $D
# (PSK over TLS to the H(e)MS, image replacement into $R, "reboot": REBOOT),
# image 1 signed as $WORK/m1 and registered at the H(e)MS as the
# operator's release, the replacement (a new image in $R and a
# manifest, version 2, of it, the distress function's files and the tre
# component) as the signed package $WORK/img.pkg, the wrapped device key.
replace_setup() {
	local f class
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
  "reboot": $1 }
EOC
	echo "tre component" > "$WORK/t/tre1"
	make_components "$WORK/c" 2
	for f in "$D"/* "$WORK/t/tre1"; do sign_component "$f"; done
	signed_manifest "$WORK/m1" 1 "$WORK"/c/c* --class distress "$D"/* \
		--class tre "$WORK/t/tre1" &&
	register_release "$WORK/m1" image1 "$WORK"/c/c* "$D"/* "$WORK/t/tre1" || return 1

	echo "replacement image" > "$WORK/img/bin/app"
	sign_component "$WORK/img/bin/app"
	signed_manifest "$WORK/m2" 2 --class distress "$D"/* --class tre "$WORK/t/tre1" \
		--class normal --root "$WORK/img" --prefix "$R/current" "$WORK/img/bin/app" &&
	"$HNBTRE" pkg build --dir "$WORK/img" --prefix "$R/current" --manifest "$WORK/m2" \
		--version 1 -o "$WORK/img.unsigned" > /dev/null &&
	"$HNBTRE" pkg sign --cert "$PKI/pkg-signer.pem" --key "$PKI/pkg-signer.key" \
		-o "$WORK/img.pkg" "$WORK/img.unsigned" &&
	wrap_key "$PKI/device.key" "$WORK/device.wrapped" &&
	wrap_key "$PKI/attest.key" "$WORK/attest.wrapped"
}

# replacement_rim: the platform RIM of version 2.
replacement_rim() { "$HNBTRE" rim "$WORK/m2"; }

# boot [START.CONF OPTIONS]: secure start-up as init runs it.
boot() {
	write_start_conf "${1:-}"
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

# The first TR-069 session: the H(e)MS stores the device's RIM.
replace_first_session() {
	session || { cat "$WORK/cwmpd.out"; return 1; }
	is "$(col rim devices)" "$(cat $SFS/rim)"
}
# hnbtre-hems replace: the package queued with the platform RIM of its
# manifest.
replace_queue() {
	$HEMS_CLI replace "$id" "$WORK/img.pkg" | grep -q "platform RIM $new_rim," &&
	is "$(col state replacements)" requested
}
replace_failed_started() { is "$(cat $SFS/state)" failed && is "$(head -n 1 $SFS/distress)" started; }
# Start-up from the new slot: trusted with new_rim.
replace_rebooted() {
	started_trusted && is "$(cat $SFS/rim)" "$new_rim" && is "$(cat $SFS/tim)" "$new_rim"
}
# The H(e)MS's record of the package sent in answer to an authentic
# indication over TLS, and the expected RIM it set.
replace_answered() {
	is "$(col state replacements)" sent &&
	is "$(col distress replacements)" "$(col id distress)" &&
	is "$(col authenticated distress)" 1 && is "$(col transport distress)" tls &&
	is "$(col expected_rim devices)" "$new_rim" && is "$(col expected_state devices)" sent
}
# The next TR-069 session: the H(e)MS renews its stored RIM to new_rim.
replace_renewed() {
	session || { cat "$WORK/cwmpd.out"; return 1; }
	is "$(col verdict attestations)" valid && is "$(col rim devices)" "$new_rim" &&
	is "$(col expected_rim devices)" "" && is "$(col status devices)" ok
}
