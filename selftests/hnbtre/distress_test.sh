#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The distress function (Documentation/distress.md): started by the TrE
# when secure start-up fails, its indication received and authenticated,
# the distress-only credential, a corrupted distress function or a failed
# TrE never started, bounded retries.  TAP 13; run as root in a VM.
. "$(dirname "$0")/gate_lib.sh"
tap_init 34

id=$(cat "$PKI/identity")
D=$WORK/d
PORT=4444
fresh_module identity="$id" distress_helper="$D/hnbtre-distress" || exit 1
load_device_key > /dev/null
wrap_key "$PKI/distress.key" "$WORK/distress.wrapped"
dkey=$(admit_key distress "$WORK/distress.wrapped")

# The distress function with its own files: program, configurations,
# trust anchor, credentials, each a distress component of the manifest.
mkdir -p "$D" "$WORK/t"
cp "$TOP/build/bin/hnbtre-distress" "$D/"
cp "$PKI/distress.psk" "$D/psk"
cp "$PKI/distress.pem" "$D/distress.pem"
cp "$PKI/device.pem" "$D/device.pem"
cp "$PKI/root.pem" "$D/ca.pem"
# conf NAME AUTH [PORT [ATTEMPTS [TRANSPORT [SERVER_NAME]]]]
conf() {
	cat > "$D/$1" <<EOF
{ "server": "127.0.0.1", "port": ${3:-$PORT}, "transport": "${5:-tcp}",
  "server_name": "${6:-127.0.0.1}", "trust_anchor": "ca.pem",
  "auth": "$2", "psk_file": "psk", "credential_certificate": "distress.pem",
  "device_certificate": "device.pem", "state_dir": "$WORK/state",
  "attempts": ${4:-5}, "backoff_ms": 100, "backoff_max_ms": 400,
  "timeout_ms": 2000 }
EOF
}
conf distress.conf psk
conf sig.conf sig
conf none.conf none
conf down.conf psk 1 3
conf tls.conf sig $PORT 1 tls hems.hnbtre.test
conf tls-badname.conf sig $PORT 1 tls other.hnbtre.test
HEMS_PORT=4445
conf hems.conf psk $HEMS_PORT
conf hems-none.conf none $HEMS_PORT
REPLACE_PORT=4446
R=$WORK/root
conf replace.conf psk $REPLACE_PORT 1
sed -i "s|^{|{ \"install_root\": \"$R\", \"package_roots\": \"ca.pem\", \"reboot\": false,|" "$D/replace.conf"
echo "tre component" > "$WORK/t/tre1"
make_components "$WORK/c" 2
for f in "$D"/* "$WORK/t/tre1"; do sign_component "$f"; done
signed_manifest "$WORK/m" 1 "$WORK"/c/c* --class distress "$D"/* \
	--class tre "$WORK/t/tre1"

wait_listening() {
	local i
	for i in $(seq 100); do
		[ -n "$(ss -Hltn "sport = :$PORT")" ] && return 0
		sleep 0.1
	done
}
# receive NAME: one connection on $PORT, answered ACCEPTED, kept in NAME.
receive() {
	( (printf 'ACCEPTED test\n'; sleep 5) |
		timeout 20 busybox nc -l -p $PORT > "$WORK/$1" ) &
	wait_listening
}
# receive_tls NAME [S_SERVER OPTIONS...]: the same over TLS, as the H(e)MS.
receive_tls() {
	local name=$1
	shift
	( (printf 'ACCEPTED test\n'; sleep 5) |
		timeout 20 openssl s_server -quiet -naccept 1 -accept $PORT \
			-cert "$PKI/hems.pem" -key "$PKI/hems.key" "$@" \
			> "$WORK/$name" 2> "$WORK/$name.log" ) &
	wait_listening
}
# stop_receiver: end a receiver that got no connection.
stop_receiver() {
	pkill -f "s_server -quiet -naccept 1"
	while [ -n "$(ss -Hltn "sport = :$PORT")" ]; do sleep 0.1; done
}
# wait_frame NAME: the receiver got a complete, well-formed frame.
wait_frame() {
	local i
	for i in $(seq 100); do
		[ -s "$WORK/$1" ] && "$HNBTRE" distress verify --json "$WORK/$1" \
			2>/dev/null | jq -e .identity >/dev/null && return 0
		sleep 0.1
	done
	echo "no complete frame in $WORK/$1"; return 1
}
field() { "$HNBTRE" distress verify --json "${@:2}" | jq -r ".$1"; }
sign_distress() {
	head -c 32 /dev/urandom > "$WORK/digest"
	keyctl pkey_sign "$dkey" 0 "$WORK/digest" enc=pkcs1 hash=sha256 > /dev/null
}

check "before any failure: distress is idle, helper named" \
	sh -c "head -n 1 $SFS/distress | grep -qx idle &&
	       grep -qx 'helper $D/hnbtre-distress' $SFS/distress"
cat "$WORK/m" > $SFS/manifest
check "trusted start-up: distress function not started" \
	sh -c "[ \"\$(cat $SFS/state)\" = trusted ] && head -n 1 $SFS/distress | grep -qx idle"
refuses "Key was rejected" "trusted: the distress credential is refused" sign_distress
check_write "a second distress credential is refused with EEXIST" \
	EEXIST $SFS/distress_key "$WORK/distress.wrapped"

receive boot.frame
echo tampered | rewrite_component "$WORK/c/c1"
echo 1 > $SFS/validate
check "failed start-up: the TrE started the distress function" \
	sh -c "[ \"\$(cat $SFS/state)\" = failed ] && head -n 1 $SFS/distress | grep -qx started &&
	       grep -qx 'starts 1' $SFS/distress"
check "its indication reached the receiver" wait_frame boot.frame
check "PSK indication authentic, for the device's identity" \
	sh -c "[ \"\$('$HNBTRE' distress verify --json --psk '$D/psk' '$WORK/boot.frame' | jq -r '.verdict + \" \" + .identity')\" = 'authentic $id' ]"
check "it names the failed component and its verdict" \
	sh -c "'$HNBTRE' distress verify --json '$WORK/boot.frame' |
	       jq -e '.failed == [{\"path\": \"$WORK/c/c1\", \"verdict\": \"mismatch\", \"class\": \"normal\"}]' >/dev/null"
# Signature, nonce and identity passed; only the state is not trusted.
check "the TrE's attestation in it is genuine and says failed" \
	sh -c "'$HNBTRE' distress verify --json --device-ca '$PKI/root.pem' '$WORK/boot.frame' |
	       jq -e '.attested_state == \"failed\" and .attestation == \"state not trusted\"' >/dev/null"
seq1=$(field sequence "$WORK/boot.frame")
check "the sequence is persisted with the function" \
	test "$(cat "$WORK/state/sequence")" = "$seq1"
check "the same indication again is refused as a replay" \
	sh -c "! '$HNBTRE' distress verify --psk '$D/psk' --last-sequence $seq1 '$WORK/boot.frame' 2>/dev/null |
	       grep -q '^verdict *authentic'"
perl -0777 -pe 's/"mismatch"/"missing!"/' "$WORK/boot.frame" > "$WORK/flipped.frame"
check "a tampered indication is refused" \
	sh -c "'$HNBTRE' distress verify --json --psk '$D/psk' '$WORK/flipped.frame' |
	       jq -e '.verdict == \"bad authenticator\"' >/dev/null"
refuses "Key was rejected" "failed: the shell cannot use the distress credential" sign_distress

receive sig.frame
check "the distress function signs with the credential in the failed state" \
	"$D/hnbtre-distress" --config "$D/sig.conf"
wait_frame sig.frame > /dev/null
check "signed indication authentic (credential chains to the operator CA)" \
	sh -c "'$HNBTRE' distress verify --json --ca '$PKI/root.pem' '$WORK/sig.frame' |
	       jq -e '.verdict == \"authentic\" and .auth == \"sig\"' >/dev/null"
receive none.frame
"$D/hnbtre-distress" --config "$D/none.conf" 2>/dev/null
wait_frame none.frame > /dev/null
check "an unauthenticated indication is recorded as such" \
	sh -c "'$HNBTRE' distress verify --json '$WORK/none.frame' |
	       jq -e '.verdict == \"unauthenticated\"' >/dev/null"

receive_tls tls.frame
"$D/hnbtre-distress" --config "$D/tls.conf" 2> "$WORK/tls.log"
wait_frame tls.frame > /dev/null
check "TLS: receiver authenticated by its name, signed indication authentic" \
	sh -c "grep -q 'over tls, auth sig: ACCEPTED' '$WORK/tls.log' &&
	       '$HNBTRE' distress verify --json --ca '$PKI/root.pem' '$WORK/tls.frame' |
	       jq -e '.verdict == \"authentic\"' >/dev/null"
receive_tls badname.frame
check "TLS: a receiver certificate for another name is refused, nothing sent" \
	sh -c "! '$D/hnbtre-distress' --config '$D/tls-badname.conf' 2> '$WORK/badname.log' &&
	       grep -q 'hostname mismatch' '$WORK/badname.log' && [ ! -s '$WORK/badname.frame' ]"
stop_receiver
receive_tls old.frame -tls1 -cipher 'DEFAULT:@SECLEVEL=0'
check "TLS: a receiver offering only TLS 1.0 is refused" \
	sh -c "! '$D/hnbtre-distress' --config '$D/tls.conf' 2> '$WORK/old.log' &&
	       grep -q 'TLS handshake failed' '$WORK/old.log' && [ ! -s '$WORK/old.frame' ]"
stop_receiver

start=$(date +%s%N)
"$D/hnbtre-distress" --config "$D/down.conf" 2> "$WORK/down.log"
rc=$?
elapsed=$((($(date +%s%N) - start) / 1000000))
check "receiver unreachable: gives up with exit 3 after 3 logged attempts" \
	sh -c "[ $rc = 3 ] && [ \$(grep -c 'attempt [0-9]/3' '$WORK/down.log') = 3 ] &&
	       grep -q 'giving up after 3 attempts' '$WORK/down.log'"
check "retries back off, bounded (>= 300 ms, < 5 s)" \
	test "$elapsed" -ge 300 -a "$elapsed" -lt 5000

# The reference H(e)MS as the receiver.
mkdir -p "$WORK/psk"
cp "$PKI/distress.psk" "$WORK/psk/$id"
distress_receiver $HEMS_PORT --distress-psk-dir "$WORK/psk"
"$D/hnbtre-distress" --config "$D/hems.conf" 2> "$WORK/hems-send.log"
check "H(e)MS: PSK indication recorded as authentic, device marked for maintenance" \
	sh -c "grep -q 'ACCEPTED recorded, device marked for maintenance' '$WORK/hems-send.log' &&
	       [ \"\$('$TOP/build/bin/hnbtre-hems' --db '$WORK/hems.db' --json show '$id' |
	          jq -r '.device.status + \" \" + .distress[-1].authenticated + \" \" + .distress[-1].attested_state')\" = 'maintenance 1 failed' ]"
check "H(e)MS: an earlier indication replayed is rejected" \
	sh -c "busybox nc 127.0.0.1 $HEMS_PORT < '$WORK/boot.frame' | grep -qx 'REJECTED replay'"
check "H(e)MS: a tampered indication is rejected" \
	sh -c "busybox nc 127.0.0.1 $HEMS_PORT < '$WORK/flipped.frame' | grep -qx 'REJECTED not authentic'"
"$D/hnbtre-distress" --config "$D/hems-none.conf" 2>/dev/null
check "H(e)MS: an unauthenticated indication is recorded as such, nothing else" \
	sh -c "[ \"\$('$TOP/build/bin/hnbtre-hems' --db '$WORK/hems.db' --json distress |
	          jq -r '.[-1].verdict + \" \" + .[-1].authenticated')\" = 'unauthenticated 0' ] &&
	       [ \"\$('$TOP/build/bin/hnbtre-hems' --db '$WORK/hems.db' --json distress |
	          jq '[.[] | select(.authenticated == \"1\")] | length')\" = 1 ]"
kill $hems_pid

# A corrupted distress function: never run, reported as such.
echo "component 1 of $WORK/c" > "$WORK/c/c1"; sign_component "$WORK/c/c1"
echo 1 > $SFS/validate
{ cat "$D/hnbtre-distress"; printf x; } | rewrite_component "$D/hnbtre-distress"
refuses "Key was rejected" "a changed distress function cannot use the credential" \
	"$D/hnbtre-distress" --config "$D/sig.conf"
echo tampered | rewrite_component "$WORK/c/c1"
echo 1 > $SFS/validate
check "corrupted distress function: not started, reported" \
	sh -c "[ \"\$(cat $SFS/state)\" = failed ] && head -n 1 $SFS/distress | grep -qx 'refused corrupted' &&
	       grep -qx 'starts 1' $SFS/distress"
check "the audit record names it" \
	sh -c "dmesg | grep 'op=hnbtre_distress' | tail -n 1 | grep -q 'verdict=mismatch path=\"$D/hnbtre-distress\"'"

# The TrE's own failure: no distress function, no replacement.
cp "$TOP/build/bin/hnbtre-distress" "$D/"; sign_component "$D/hnbtre-distress"
echo "component 1 of $WORK/c" > "$WORK/c/c1"; sign_component "$WORK/c/c1"
echo 1 > $SFS/validate
echo changed | rewrite_component "$WORK/t/tre1"
refuses "Key was rejected" "TrE changed: even the distress function cannot use the credential" \
	"$D/hnbtre-distress" --config "$D/sig.conf"
echo 1 > $SFS/validate
check "TrE component failed: distress function not started" \
	sh -c "[ \"\$(cat $SFS/state)\" = failed ] && head -n 1 $SFS/distress | grep -qx 'refused tre-failed'"
"$D/hnbtre-distress" --config "$D/distress.conf" 2> "$WORK/tre.log"
rc=$?
check "started anyway, it does nothing when the TrE failed (exit 6)" \
	sh -c "[ $rc = 6 ] && grep -q 'the TrE itself failed' '$WORK/tre.log'"
# 7.12.4: the receiver answers with a package replacing the image.
# replacement PKG: one connection on $REPLACE_PORT answered REPLACE.
replacement() {
	( (printf 'REPLACE %d\n' "$(stat -c %s "$1")"; cat "$1"; sleep 5) |
		timeout 30 busybox nc -l -p $REPLACE_PORT > /dev/null ) &
	PORT=$REPLACE_PORT wait_listening
}
mkdir -p "$WORK/img/bin"
echo "replacement image" > "$WORK/img/bin/app"
sign_component "$WORK/img/bin/app"
# The replacement's manifest names the TrE component as it was before the
# change above (the good copy staged under $WORK/good).
mkdir -p "$WORK/good"
echo "tre component" > "$WORK/good/tre1"
signed_manifest "$WORK/m2" 2 --class distress "$D"/* \
	--class tre --root "$WORK/good" --prefix "$WORK/t" "$WORK/good/tre1" \
	--class normal --root "$WORK/img" --prefix "$R/current" "$WORK/img/bin/app"
mkdir -p "$R"
"$HNBTRE" pkg build --dir "$WORK/img" --prefix "$R/current" --manifest "$WORK/m2" \
	--version 1 -o "$WORK/img.unsigned" > /dev/null &&
"$HNBTRE" pkg sign --cert "$PKI/pkg-signer.pem" --key "$PKI/pkg-signer.key" \
	-o "$WORK/img.pkg" "$WORK/img.unsigned"
echo 1 > $SFS/validate	# the TrE component changed: failed
replacement "$WORK/img.pkg"
"$D/hnbtre-distress" --config "$D/replace.conf" 2> "$WORK/replace-tre.log"
rc=$?
check "TrE failed: no replacement attempted" \
	sh -c "[ $rc = 6 ] && [ ! -e '$R/current' ]"
pkill -f "busybox nc -l -p $REPLACE_PORT"
cp "$WORK/good/tre1" "$WORK/t/tre1"; sign_component "$WORK/t/tre1"
echo 1 > $SFS/validate	# TrE repaired: trusted again
echo tampered | rewrite_component "$WORK/c/c1"
echo 1 > $SFS/validate	# a normal component: failed
replacement "$WORK/img.pkg"
"$D/hnbtre-distress" --config "$D/replace.conf" 2> "$WORK/replace.log"
rc=$?
check "normal code failed: the image is replaced, TrE-verified, trusted with the new RIM" \
	sh -c "[ $rc = 5 ] && grep -q 'normal code image replaced by version 1' '$WORK/replace.log' &&
	       [ \"\$(cat $SFS/state)\" = trusted ] && [ \"\$(sed -n 2p $SFS/manifest)\" = 'version 2' ] &&
	       [ \"\$(cat $SFS/tim)\" = \"\$(cat $SFS/rim)\" ] &&
	       cmp '$WORK/img/bin/app' '$R/current/bin/app' || { cat '$WORK/replace.log'; false; }"
check "the module unloads once both keys are gone" unload_with_keys "$dkey"
tap_done
