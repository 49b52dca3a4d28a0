#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# tr069_bench.sh [ROUNDS]: what a full TR-069 session with attestation
# costs against a bare mutual-TLS POST, run by scripts/bench-tr069 in a VM
# (root, HNBTRE_TOP).  Not a test: prints ratios.
#
# Each round, in turn: (B) curl with the device certificate and its key
# from a file (the TrE key is in the kernel, curl cannot use it): one TLS
# handshake and one POST of as many bytes as the agent's Inform to
# hnbtre-hems, which answers it with an HTTP error; (A) hnbtre-cwmpd --once: TLS with the TrE
# key, Inform with the session attestation (made by the TrE over the TLS
# exporter, verified by the H(e)MS), empty POST, 204; once with
# --ocsp off, once with --ocsp hard (the responder on the device's
# loopback).  Both run through the same `ip netns exec` + `unshare -m`
# wrapper (the agent needs securityfs mounted there).  Medians of ROUNDS
# (20) each.
. "$(dirname "$0")/gate_lib.sh"
. "$(dirname "$0")/tr069_lib.sh"
rounds=${1:-20}
WORK=$(mktemp -d /tmp/hnbtre-bench.XXXXXX)
IDENTITY=$(cat "$PKI/identity")
trap teardown EXIT

tr069_setup || { echo "tr069_bench: no bench (tr069_setup)" >&2; exit 1; }

# inform_bytes: the Content-Length of the agent's first request (its
# Inform), as an echoing `openssl s_server` in the H(e)MS's place sees it.
inform_bytes() {
	local i
	hems_stop
	# stdin stays open: at its end s_server would shut down
	sleep 30 | ip netns exec hnb-hems openssl s_server -quiet -accept $HEMS_ADDR:7547 \
		-cert "$PKI/hems.pem" -key "$PKI/hems.key" > "$WORK/inform.raw" 2>&1 &
	echo $! > "$WORK/server.pid"
	wait_port || return 1
	cwmpd_run "$URL" --once --ocsp off &
	for i in $(seq 100); do
		grep -q "Envelope>" "$WORK/inform.raw" && break
		sleep 0.1
	done
	stop_pidfile "$WORK/cwmpd.pid"
	hems_stop
	grep -i -m1 '^Content-Length:' "$WORK/inform.raw" | tr -dc 0-9
}
body_bytes=$(inform_bytes)
[ -n "$body_bytes" ] || { echo "tr069_bench: no Inform captured" >&2; exit 1; }
head -c "$body_bytes" /dev/urandom | base64 -w 0 | head -c "$body_bytes" > "$WORK/body"
hems_start || exit 1

now_us() { echo $(($(date +%s%N) / 1000)); }
in_dev() {
	ip netns exec hnb-dev unshare -m sh -c \
		'mount -t securityfs securityfs /sys/kernel/security && exec "$@"' sh "$@"
}
baseline() {
	in_dev curl -s -o /dev/null --cert "$PKI/device.pem" --key "$PKI/device.key" \
		--cacert "$PKI/root.pem" -H 'Content-Type: text/xml; charset="utf-8"' \
		--data-binary @"$WORK/body" "$URL"
}
session() { cwmpd "$URL" --ocsp "$1" && cwmpd_said "Inform delivered" > /dev/null; }

# timed KIND COMMAND...: COMMAND's time in microseconds appended to KIND.
timed() {
	local kind=$1 t
	shift
	t=$(now_us)
	"$@" || { echo "tr069_bench: $kind failed" >&2; cat "$WORK/cwmpd.out" >&2; exit 1; }
	echo $(($(now_us) - t)) >> "$WORK/$kind.times"
}
median() { sort -n "$1" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

session off > /dev/null || { echo "tr069_bench: first session failed" >&2; cat "$WORK/cwmpd.out" >&2; exit 1; }
for i in $(seq "$rounds"); do
	timed baseline baseline
	timed off session off
	timed hard session hard
done
[ "$(sqlite3 "$WORK/hems.db" "SELECT count(*) FROM attestations WHERE verdict = 'valid'")" -gt \
  $((2 * rounds)) ] || { echo "tr069_bench: attestations not verified" >&2; exit 1; }
grep -q "status good (OCSP" "$WORK/cwmpd.out" ||
	{ echo "tr069_bench: --ocsp hard did not check" >&2; exit 1; }
b=$(median "$WORK/baseline.times")
off=$(median "$WORK/off.times")
hard=$(median "$WORK/hard.times")
echo "tr069_body_bytes $body_bytes"
echo "tr069_baseline_us $b"
echo "tr069_session_ocsp_off_us $off"
echo "tr069_session_ocsp_hard_us $hard"
echo "tr069_rounds $rounds"
awk -v a="$off" -v b="$b" 'BEGIN { printf "tr069_ratio_ocsp_off %.3f\n", a / b }'
awk -v a="$hard" -v b="$b" 'BEGIN { printf "tr069_ratio_ocsp_hard %.3f\n", a / b }'
