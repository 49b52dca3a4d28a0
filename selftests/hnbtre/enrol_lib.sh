# SPDX-License-Identifier: GPL-2.0-only
# The CMPv2 bench of enrol_test.sh and renew_test.sh: the operator's test
# CMP server (userspace/tests/cmp_server) in namespace $CMP_NS (hnb-cmp)
# at $CMP_ADDR, and `hnbtre enrol` from the device's namespace.  Source
# after gate_lib.sh; set CMP_ADDR (and CMP_NS) first.
SERVER=$TOP/build/tests/cmp_server
CMP_NS=${CMP_NS:-hnb-cmp}
ring=%:.hnbtre_device

# cmp_start PORT [OPTION...]: the operator's CMP server, issuing from the
# test root (evil-root with --evil-ca), answering as cmp.pem (evil-cmp.pem
# with --evil-signer).
cmp_start() {
	local port=$1 signer=cmp ca=root i
	shift
	if [ "${1:-}" = --evil-signer ]; then signer=evil-cmp; shift; fi
	if [ "${1:-}" = --evil-ca ]; then ca=evil-root; shift; fi
	ip netns exec "$CMP_NS" "$SERVER" "$port" "$PKI/$ca.pem" "$PKI/$ca.key" \
		"$PKI/$signer.pem" "$PKI/$signer.key" "$PKI/root.pem" "$@" \
		> "$WORK/cmp-$port.log" 2>&1 &
	echo $! > "$WORK/cmp-$port.pid"
	for i in $(seq 100); do
		ip netns exec "$CMP_NS" bash -c "echo > /dev/tcp/127.0.0.1/$port" 2>/dev/null &&
			return 0
		sleep 0.1
	done
	return 1
}
cmp_stop_all() {
	local f
	for f in "$WORK"/cmp-*.pid; do stop_pidfile "$f"; done
}
# cmp_url PORT: the server's URL.
cmp_url() { echo "http://$CMP_ADDR:$1/pkix/"; }
# enrol PORT ARGS...: hnbtre enrol from the device's namespace (nsenter:
# `ip netns exec` would mount a /sys without securityfs).
enrol() {
	local port=$1
	shift
	nsenter --net=/run/netns/hnb-dev "$HNBTRE" enrol --server "$(cmp_url "$port")" \
		--roots "$PKI/root.pem" "$@"
}
tre_key() { keyctl search $ring asymmetric hnbtre:device; }
# signs_for CERT: the TrE's device key is the key of CERT.
signs_for() {
	local key
	head -c 32 /dev/zero > "$WORK/digest"
	key=$(tre_key) &&
	openssl x509 -in "$1" -pubkey -noout > "$WORK/pub" &&
	keyctl pkey_sign "$key" 0 "$WORK/digest" enc=pkcs1 hash=sha256 > "$WORK/sig" &&
	openssl pkeyutl -verify -pubin -inkey "$WORK/pub" -in "$WORK/digest" \
		-sigfile "$WORK/sig" -pkeyopt digest:sha256 > /dev/null
}
# serial_of CERT: its serial number, upper-case hex without leading zeros.
serial_of() { openssl x509 -in "$1" -noout -serial | sed 's/^serial=0*//'; }
