#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Forged attestations in distress indications (issue 17, section 2): root
# on the device, while the gate is open, asks the TrE for the attestation
# over the nonce of an indication it is about to send (the nonce follows
# from identity, sequence and time, distress.md), claims another state,
# TIM, RIM or counter, re-signs the body with the device key through the
# routes keyctl offers (forge_lib.sh), and sends the indication with the
# PSK it read from the distress function's files to the H(e)MS's
# receiver.  Each is rejected, recorded with the attestation's verdict and
# no attested state, marks nothing and does not advance the sequence; the
# genuine attestation of the same kind of indication is accepted.  TAP;
# run as root in a VM.
. "$(dirname "$0")/gate_lib.sh"
. "$(dirname "$0")/forge_lib.sh"
tap_init $((8 + FORGERIES))

id=$(cat "$PKI/identity")
PORT=4447
HEMS=$TOP/build/bin/hnbtre-hems
fresh_module identity="$id" || exit 1
make_trusted && key=$(load_device_key)
mkdir -p "$WORK/psk"
cp "$PKI/distress.psk" "$WORK/psk/$id"
distress_receiver $PORT --distress-psk-dir "$WORK/psk"
trap 'kill $hems_pid 2>/dev/null; unload_with_keys >/dev/null 2>&1' EXIT

# nonce SEQUENCE TIME: the attestation nonce of an indication (hex)
nonce() {
	python3 -c 'import hashlib, struct, sys
s, t, i = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3].encode()
print(hashlib.sha256(b"hnbtre-distress-1" + struct.pack(">QQ", s, t) + i).hexdigest())' \
		"$1" "$2" "$id"
}
# frame SEQUENCE TIME ATTESTATION OUT: an indication of a failed start-up
# as hnbtre-distress builds it, with ATTESTATION and the device
# certificate, authenticated with the PSK
frame() {
	python3 - "$@" "$id" "$PKI/distress.psk" "$PKI/device.pem" <<'EOP'
import base64, hashlib, hmac, json, ssl, sys
seq, time, att, out, ident, psk, cert = sys.argv[1:8]
der = ssl.PEM_cert_to_DER_cert(open(cert).read())
msg = json.dumps({"format": "hnbtre-distress-1", "identity": ident,
	"sequence": int(seq), "time": int(time), "state": "failed",
	"failed": [{"path": "/usr/bin/hnb", "verdict": "mismatch", "class": "normal"}],
	"attestation": base64.b64encode(open(att, 'rb').read()).decode(),
	"device_certificate": base64.b64encode(der).decode()},
	separators=(',', ':')).encode()
signed = b"HNBTRE-DISTRESS 1 psk %d 32\n" % len(msg) + msg
mac = hmac.new(open(psk, 'rb').read(), signed, hashlib.sha256).digest()
open(out, 'wb').write(signed + mac)
EOP
}
# send FRAME: the receiver's answer line
send() { busybox nc 127.0.0.1 $PORT < "$1"; }
# last FIELDS: the jq expression FIELDS of the last recorded indication
last() { "$HEMS" --db "$WORK/hems.db" --json distress | jq -r ".[-1] | $1"; }
marked() { "$HEMS" --db "$WORK/hems.db" --json show "$id" 2>/dev/null | jq -r .device.status; }

now=$(date +%s)
echo "$now" > "$WORK/seq"
# next_seq: the next indication's sequence, kept in a file (check runs
# each case in a subshell)
next_seq() {
	seq=$(($(cat "$WORK/seq") + 1))
	echo $seq > "$WORK/seq"
}
# indication WHAT CERT HOW: the next indication's genuine attestation
# ($WORK/i-SEQ.genuine), forged unless WHAT is genuine, in the frame
# $WORK/i-SEQ.frame; the device key signed the forgery.
indication() {
	next_seq
	local f=$WORK/i-$seq
	attest "$(nonce $seq $now)" "$f.genuine" || return 1
	if [ "$1" = genuine ]; then
		cp "$f.genuine" "$f.att"
	else
		forge "$key" "$f.genuine" "$1" "$2" "$3" "$f.att" &&
		signed_by "$PKI/device.pem" "$f.att" || return 1
	fi
	frame $seq $now "$f.att" "$f.frame"
}

# genuine: the TrE's own attestation in the same frame is accepted, its
# state recorded as attested (the control of the forgeries below).
genuine() {
	indication genuine &&
	[ "$(send "$WORK/i-$seq.frame")" = "ACCEPTED recorded, device marked for maintenance" ] &&
	[ "$(last '.verdict + "|" + .authenticated + "|" + .attestation + "|" + .attested_state')" = \
	  "authentic|1|$1|$2" ]
}
check "control: a genuine attestation (trusted) in a PSK indication is accepted, state recorded" \
	genuine valid trusted
check "the device is known and marked for maintenance" test "$(marked)" = maintenance
good_seq=$(cat "$WORK/seq")

# forged WHAT CERT HOW REASON: the indication with the forgery is
# rejected and recorded with REASON, no attested state, not as
# authenticated; the last authentic sequence stays.
forged() {
	indication "$1" "$2" "$3" &&
	[ "$(send "$WORK/i-$seq.frame")" = "REJECTED attestation not genuine" ] &&
	[ "$(last '.verdict + "|" + .authenticated + "|" + .attestation + "|" + (.attested_state // "none")')" = \
	  "attestation not genuine|0|$4|none" ] &&
	grep -q "distress indication from $id: attestation not genuine ($4)" "$WORK/hems.log"
}
check_forgeries
replayed() {
	next_seq
	frame $seq $now "$WORK/i-$good_seq.genuine" "$WORK/i-$seq.frame" &&
	[ "$(send "$WORK/i-$seq.frame")" = "REJECTED attestation not genuine" ] &&
	[ "$(last '.attestation + "|" + (.attested_state // "none")')" = \
	  "wrong nonce (replayed or for another request)|none" ]
}
check "a genuine attestation of an earlier indication in a new one: rejected, wrong nonce" \
	replayed
check "no forgery advanced the last authentic sequence" \
	sh -c "'$HEMS' --db '$WORK/hems.db' --json distress |
	       jq -e '[.[] | select(.authenticated == \"1\") | .sequence | tonumber] | max == $good_seq' >/dev/null"
check "no forgery recorded an attested state" \
	sh -c "'$HEMS' --db '$WORK/hems.db' --json distress |
	       jq -e '[.[] | select(.attested_state != null)] | length == 1' >/dev/null"

# The genuine report of a failure: the TrE tampered (attestation works in
# every state), accepted, its state recorded.
tamper
check "control: the TrE tampered, its genuine attestation is accepted, state recorded" \
	genuine "state not trusted" tampered
check "the receiver ran through every case" kill -0 $hems_pid
repair
check "the module unloads once the device key is gone" unload_with_keys "$key"
tap_done
