#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Shared helpers of the hnbtre shell selftests: TAP output, a fresh
# module, components signed with evmctl; signed manifests and the CA
# database come from pki_lib.sh, shared with the host tests.
#
# HNBTRE_TOP must name the hnbtre checkout (module, CLI, test PKI);
# without it, or without root, the tests are skipped (kselftest exit 4).

KSFT_SKIP=4
SFS=/sys/kernel/security/hnbtre
TOP=${HNBTRE_TOP:-}
MODULE=$TOP/kernel/hnbtre.ko
HNBTRE=$TOP/build/bin/hnbtre
PKI=$TOP/build/pki
# The programs the selftests build (hnbtre_write, attest_shim.so):
# next to the test in the kselftest install; for a script of the checkout
# that sources this file (scripts/bench-*, scripts/demo), in
# build/kselftest.
TEST_BIN=$(dirname "$(readlink -f "$0")")
[ -x "$TEST_BIN/hnbtre_write" ] || TEST_BIN=$TOP/build/kselftest/hnbtre
WRITE=$TEST_BIN/hnbtre_write
ATTEST_SHIM=$TEST_BIN/attest_shim.so
. "$(dirname "${BASH_SOURCE[0]}")/pki_lib.sh"
tap_n=0
tap_failed=0

# skip_all N REASON: all N results of the plan skipped for REASON, and
# the test ends (kselftest's exit status for a skip).
skip_all() {
	local i
	for i in $(seq "$1"); do
		echo "ok $i # SKIP $2"
	done
	exit $KSFT_SKIP
}

tap_init() {
	echo "TAP version 13"
	echo "1..$1"
	if [ -z "$TOP" ] || [ ! -f "$MODULE" ] || [ "$(id -u)" != 0 ] ||
	   [ ! -d /sys/kernel/security ]; then
		skip_all "$1" "needs root, securityfs and HNBTRE_TOP with a built hnbtre"
	fi
	WORK=$(mktemp -d /tmp/hnbtre-test.XXXXXX)
}

# harness_init: for a script whose TAP comes from a kselftest_harness
# program: skip the whole of it unless it can run, then a fresh module.
harness_init() {
	if [ -z "$TOP" ] || [ ! -f "$MODULE" ] || [ "$(id -u)" != 0 ]; then
		echo "1..0 # SKIP needs root and HNBTRE_TOP with a built hnbtre"
		exit $KSFT_SKIP
	fi
	WORK=$(mktemp -d /tmp/hnbtre-test.XXXXXX)
	fresh_module > /dev/null || exit 1
}

# tpm2_init N: tap_init N for a test that drives the TPM with tpm2-tools
# itself; all of it skipped without them.
tpm2_init() {
	tap_init "$1"
	[ -e /dev/tpmrm0 ] && command -v tpm2_unseal > /dev/null ||
		skip_all "$1" "needs a TPM 2.0 and tpm2-tools"
}

# check NAME COMMAND...: one TAP result from COMMAND's exit status.
check() {
	local name=$1 out
	shift
	tap_n=$((tap_n + 1))
	if out=$("$@" 2>&1); then
		echo "ok $tap_n - $name"
	else
		echo "not ok $tap_n - $name"
		[ -n "$out" ] && echo "$out" | sed 's/^/# /'
		tap_failed=$((tap_failed + 1))
	fi
}

tap_done() {
	exit $((tap_failed > 0))
}

fails() { ! "$@"; }

# check_write NAME ERRNO FILE DATA: one TAP result, that one write() of
# the file DATA to FILE fails with ERRNO (OK: succeeds; expect_errno).
check_write() { check "$1" expect_errno "$2" "$3" < "$4"; }

# reboot_plan PHASE FIRST SECOND: the TAP plan of a two-boot test run by
# scripts/run-reboot-test: FIRST results in phase first, FIRST + SECOND in
# phase second (which prints both); fails on another PHASE.
reboot_plan() {
	case $1 in
	first) echo "$2" ;;
	second) echo $(($2 + $3)) ;;
	*) echo "usage: $0 first|second" >&2; return 2 ;;
	esac
}

# reboot_init PHASE FIRST SECOND: tap_init with reboot_plan's plan, for a
# two-boot test of one TPM state that keeps phase first's results in
# $HNBTRE_REBOOT_SHARE; all of it skipped without those two.
reboot_init() {
	local checks
	checks=$(reboot_plan "$1" "$2" "$3") || exit 2
	tap_init "$checks"
	[ -n "${HNBTRE_REBOOT_SHARE:-}" ] && [ -e /dev/tpm0 ] ||
		skip_all "$checks" "needs a TPM and HNBTRE_REBOOT_SHARE (scripts/run-reboot-test)"
}

# replay_first_boot FILE FIRST: phase second's stream begins with phase
# first's results, kept in FILE; a result missing there counts as failed.
replay_first_boot() {
	local line
	if [ -f "$1" ]; then
		while IFS= read -r line; do
			case $line in
			"ok "*) tap_n=$((tap_n + 1)) ;;
			"not ok "*) tap_n=$((tap_n + 1)); tap_failed=$((tap_failed + 1)) ;;
			"#"*) ;;
			*) continue ;;
			esac
			echo "$line"
		done < "$1"
	fi
	while [ $tap_n -lt "$2" ]; do
		tap_n=$((tap_n + 1))
		tap_failed=$((tap_failed + 1))
		echo "not ok $tap_n - first boot: no result in $1"
	done
}

# unload_pinned: empty .hnbtre_device and drop the module's pin through
# the test build's hook (Documentation/devkey.md), then unload once the
# key garbage collector has freed the gated keys.
unload_pinned() {
	local i

	if [ -e $SFS/test_release ]; then
		echo 1 > $SFS/test_release || return 1
	fi
	for i in $(seq 50); do
		rmmod hnbtre 2>/dev/null && return 0
		sleep 0.1
	done
	rmmod hnbtre
}

# fresh_module [PARAMS...]: unload hnbtre if loaded, load it again.
fresh_module() {
	if [ -d $SFS ]; then
		unload_pinned || return 1
	fi
	insmod "$MODULE" "$@" || return 1
	if ! grep -q 'hnbtre test root CA' /proc/keys; then
		echo "hnbtre.ko lacks the test root: build it with make HNBTRE_ROOTS=build/pki/root.pem"
		return 1
	fi
	admit_signers
}

# admit_signers: the test PKI's manifest, software and component signers,
# issued by the built-in test root, admitted by the TrE.
admit_signers() {
	local name
	for name in signer pkg-signer ima; do
		expect_errno OK $SFS/roots < "$PKI/$name.der" || return 1
	done
}

# sign_component FILE [KEY]: security.ima v2 signature by KEY (default
# the trusted component key).
sign_component() {
	evmctl ima_sign --key "${2:-$PKI/ima.key}" -a sha256 "$1" > /dev/null 2>&1
}

# make_components DIR N: N files with distinct content, each signed.
make_components() {
	local i
	mkdir -p "$1"
	for i in $(seq -w 1 "$2"); do
		echo "component $i of $1" > "$1/c$i"
		sign_component "$1/c$i"
	done
}

# rewrite_component FILE: FILE's content becomes stdin, its xattrs
# (security.ima) kept.  A designated component cannot be opened for
# writing (ETXTBSY): as an offline change of the image would, this writes
# a new inode and renames it over FILE.
rewrite_component() {
	cp -a "$1" "$1.rewrite" && cat > "$1.rewrite" && mv "$1.rewrite" "$1"
}

state() { cat $SFS/state; }

# pkg_signed_len PKG: bytes of a TR-069 Annex E package's signed part, what
# the TrE's "package" file takes: header, command list (length at offset
# 16) and the signature block (its length from its DER header).
pkg_signed_len() {
	local cmds der
	cmds=$((0x$(xxd -s 16 -l 4 -p "$1")))
	der=$(xxd -s $((24 + cmds)) -l 4 -p "$1")
	case ${der:2:2} in
	81) echo $((24 + cmds + 3 + 0x${der:4:2})) ;;
	82) echo $((24 + cmds + 4 + 0x${der:4:4})) ;;
	*) echo $((24 + cmds + 2 + 0x${der:2:2})) ;;
	esac
}

# expect_errno ERRNO FILE < DATA: one write() of DATA fails with ERRNO.
expect_errno() {
	local got
	got=$("$WRITE" "$2")
	[ "$got" = "$1" ] || { echo "expected $1, got $got"; return 1; }
}

IMA_LOG=/sys/kernel/security/ima/ascii_runtime_measurements

# ima_log_next: the line number of the next IMA log entry (a FIRST below).
ima_log_next() { echo $(($(wc -l < $IMA_LOG) + 1)); }

# klog_mark: write a unique line into the kernel log and print it;
# klog_since MARK: what the kernel logged after it.  Counting dmesg lines
# does not work once the ring buffer is full and old lines drop out.
klog_mark() {
	local mark="hnbtre selftest mark $$ $RANDOM $(date +%s%N)"
	echo "$mark" > /dev/kmsg && echo "$mark"
}
klog_since() { dmesg | awk -v mark="$1" 'seen; index($0, mark) { seen = 1 }'; }

# wait_for COMMAND...: COMMAND succeeds within 20 s.
wait_for() {
	local i
	for i in $(seq 200); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

# undefine_refused_under_owner_auth NV: with the owner authorization set,
# as a provisioned device has it, root without it cannot undefine NV.
undefine_refused_under_owner_auth() {
	local refused
	tpm2_changeauth -c o owner-secret >/dev/null || return 1
	! tpm2_nvundefine "$1" -C o 2>/dev/null
	refused=$?
	tpm2_changeauth -c o -p owner-secret >/dev/null
	return $refused
}

# ima_states: the buffers of the hnbtre-state entries in the IMA log, one
# per line ("load=... seq=... state=... tim=... rim=... manifest=...").
ima_states() {
	grep ' hnbtre-state ' $IMA_LOG | awk '{ print $NF }' |
		perl -ne 'chomp; print pack("H*", $_), "\n"'
}

# extend_chain ALG START [FIRST]: the PCR value that START (hex) becomes
# when each hnbtre event of the IMA log from line FIRST on is extended into
# it, new = ALG(old || ALG(buffer)): a replay with perl, outside hnbtre.
extend_chain() {
	tail -n +"${3:-1}" $IMA_LOG | grep ' hnbtre-state ' | awk '{ print $NF }' |
		perl -MDigest::SHA="$1" -ne '
			BEGIN { $pcr = pack("H*", "'"$2"'") }
			chomp; $pcr = '"$1"'($pcr . '"$1"'(pack("H*", $_)));
			END { print uc unpack("H*", $pcr) }'
}

# pcr_value BANK:PCR: its value in uppercase hex, as tpm2_pcrread prints it.
pcr_value() { tpm2_pcrread "$1" | sed -n 's/^ *[0-9]* *: 0x//p'; }

# need_reset_pcrs N: the PCRs still at their reset value in this boot into
# RESET_PCRS (every module load caps its verdict PCR at its first
# validation, other tests' with the default 12); with fewer than N every
# check is skipped and the test exits.
need_reset_pcrs() {
	local zero p
	zero=$(printf '0%.0s' $(seq 64))
	RESET_PCRS=()
	for p in 8 9 12 13 14 15 0 1 2 3 4 5 6 7; do
		[ "$(pcr_value sha256:$p)" = "${zero^^}" ] && RESET_PCRS+=("$p")
	done
	[ ${#RESET_PCRS[@]} -ge "$1" ] ||
		skip_all $CHECKS "needs $1 PCRs at their reset value, this boot has ${#RESET_PCRS[@]}"
}

# pcr_is BANK:PCR VALUE
pcr_is() {
	local got
	got=$(pcr_value "$1")
	[ -n "$got" ] && [ "$got" = "$2" ] || { echo "$1 is ${got:-unreadable}, expected $2"; return 1; }
}

# distress_receiver PORT [OPTIONS...]: hnbtre-hems with OPTIONS (store
# $WORK/hems.db, log $WORK/hems.log) receiving distress indications over
# TCP on 127.0.0.1:PORT; hems_pid is its pid; returns once it listens.
distress_receiver() {
	local port=$1 i
	shift
	"$TOP/build/bin/hnbtre-hems" --db "$WORK/hems.db" --listen 127.0.0.1 --port 7547 \
		--cert "$PKI/hems.pem" --key "$PKI/hems.key" --ca "$PKI/root.pem" \
		--public-url https://hems.hnbtre.test:7547 --distress-tcp-port "$port" \
		--revocation off "$@" serve 2> "$WORK/hems.log" &
	hems_pid=$!
	for i in $(seq 100); do
		[ -n "$(ss -Hltn "sport = :$port")" ] && return 0
		sleep 0.1
	done
	return 1
}

# netns_pair PEER PEER_ADDR [root]: the device ($DEV_ADDR on dev0) and
# network namespace hnb-PEER (PEER_ADDR on PEER0) joined by a veth pair,
# loopbacks up: the one network set-up of the IKE, TR-069, distress and
# isolation tests.  The device is namespace hnb-dev, or with "root" this
# (the root) namespace, where the TrE starts its usermode helpers and
# sends its audit events.
netns_pair() {
	local dev=(ip -n hnb-dev)
	ip netns add "hnb-$1" || return 1
	if [ "${3:-}" = root ]; then
		dev=(ip)
		ip link add dev0 type veth peer name "${1}0" netns "hnb-$1" || return 1
	else
		ip netns add hnb-dev &&
		ip link add dev0 netns hnb-dev type veth peer name "${1}0" netns "hnb-$1" &&
		ip -n hnb-dev link set lo up || return 1
	fi
	"${dev[@]}" addr add "$DEV_ADDR/24" dev dev0 && "${dev[@]}" link set dev0 up &&
	ip -n "hnb-$1" addr add "$2/24" dev "${1}0" && ip -n "hnb-$1" link set "${1}0" up &&
	ip -n "hnb-$1" link set lo up
}

# ocsp_start NS [HASH]: an `openssl ocsp` responder for the test CA's
# database in $WORK/ca (ca_database) on 127.0.0.1:8888 of namespace
# hnb-NS (NS "root": the test's own), where the test certificates' AIA
# points, signing with HASH (sha256) as ocsp.pem.
ocsp_start() {
	local i in_ns=(ip netns exec "hnb-$1")
	[ "$1" = root ] && in_ns=()
	"${in_ns[@]}" openssl ocsp -index "$WORK/ca/index.txt" -port 8888 \
		-CA "$PKI/root.pem" -rsigner "$PKI/ocsp.pem" -rkey "$PKI/ocsp.key" \
		-rmd "${2:-sha256}" -ignore_err > "$WORK/ocsp-$1.log" 2>&1 &
	echo $! > "$WORK/ocsp-$1.pid"
	for i in $(seq 100); do
		"${in_ns[@]}" bash -c 'echo > /dev/tcp/127.0.0.1/8888' 2>/dev/null &&
			return 0
		sleep 0.1
	done
	return 1
}

# stop_pidfile FILE: end the background process whose pid FILE holds.
stop_pidfile() {
	[ -f "$1" ] || return 0
	kill "$(cat "$1")" 2>/dev/null
	wait "$(cat "$1")" 2>/dev/null
	rm -f "$1"
}
