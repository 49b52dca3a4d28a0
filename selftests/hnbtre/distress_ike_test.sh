#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The distress function's IKE/IPsec transport (Documentation/distress.md):
# a failed device brings up an IKE_SA authenticated with the distress
# credential, whose signatures the function lends to the charon it
# started, and sends its indication through the CHILD_SA to the H(e)MS.
# Device and SeGW are two network namespaces (ike_lib.sh); the receiver
# listens on an address of the SeGW side that the device reaches only
# through the tunnel.  TAP 12; run as root in a VM.
. "$(dirname "$0")/gate_lib.sh"
. "$(dirname "$0")/ike_lib.sh"
ike_init 12

id=$(cat "$PKI/identity")
D=$WORK/d
STATE=$WORK/state
HEMS_ADDR=10.99.1.1
HEMS_PORT=4450
HEMS="$TOP/build/bin/hnbtre-hems"
INSTALLED=/usr/lib/ipsec/plugins/libstrongswan-hnbtre.so

# The distress charon loads the plugin as installed (no preload: the
# function passes its environment on to swanctl too), with libhnbtre under
# its soname where `make install` puts it.  The VM's root is a throwaway
# overlay; remove them again only if we put them there.
BUILT_LIB=$(readlink -f "$TOP/build/lib/libhnbtre.so")
INSTALLED_LIB=/usr/lib/$(objdump -p "$BUILT_LIB" | awk '$1 == "SONAME" { print $2 }')
if [ ! -e "$INSTALLED" ]; then
	install -m 0644 "$PLUGIN" "$INSTALLED" &&
	install -m 0644 "$BUILT_LIB" "$INSTALLED_LIB" &&
	trap 'rm -f "$INSTALLED" "$INSTALLED_LIB"; ike_teardown; unload_with_keys >/dev/null 2>&1' EXIT
fi

load_device_key > /dev/null
wrap_key "$PKI/distress.key" "$WORK/distress.wrapped"
dkey=$(admit_key distress "$WORK/distress.wrapped")

# The distress function's directory: program, configuration, credential
# certificate, the SeGW's root for the plugin (admitted through
# .hnbtre_roots), and its charon's strongswan.conf and swanctl.conf.
mkdir -p "$D/ike" "$STATE" "$WORK/t"
cp "$TOP/build/bin/hnbtre-distress" "$D/"
cp "$PKI/distress.pem" "$PKI/device.pem" "$PKI/root.pem" "$D/"
cat > "$D/distress.conf" <<EOF
{ "server": "$HEMS_ADDR", "port": $HEMS_PORT, "transport": "ike",
  "auth": "sig", "credential_certificate": "distress.pem",
  "device_certificate": "device.pem", "state_dir": "$STATE",
  "ike_dir": "ike", "attempts": 3, "backoff_ms": 500,
  "backoff_max_ms": 1000, "timeout_ms": 20000 }
EOF
sed 's/"timeout_ms": 20000/"timeout_ms": 3000/' "$D/distress.conf" > "$D/down.conf"
INSTALL_ROUTES=yes strongswan_conf "$D/ike/strongswan.conf" "$STATE/ike-vici" \
	"$WORK/distress-charon.log" 2 "random nonce aes sha1 sha2 hmac kdf pem pkcs1
	x509 pubkey revocation constraints openssl gmp curve25519 kernel-netlink
	socket-default vici hnbtre" "distress_cert = $D/distress.pem" \
	"distress_signer = $STATE/ike-signer" "roots = $D/root.pem"
swanctl_connection distress "remote_addrs = $SEGW_ADDR" "id = \"$ID_DEV\"" \
	"id = $SEGW_ADDR
revocation = relaxed" distress "remote_ts = $HEMS_ADDR/32" > "$D/ike/swanctl.conf"
echo "tre component" > "$WORK/t/tre1"
make_components "$WORK/c" 2
for f in "$D"/* "$D"/ike/* "$WORK/t/tre1"; do [ -f "$f" ] && sign_component "$f"; done
"$HNBTRE" manifest build --version 1 "$WORK"/c/c* --class distress "$D"/*.* \
	"$D/hnbtre-distress" "$D"/ike/* --class tre "$WORK/t/tre1" > "$WORK/m.body" &&
"$HNBTRE" manifest sign --key "$PKI/signer.key" --cert "$PKI/signer.pem" \
	"$WORK/m.body" "$WORK/m"

# distress CONF: the function run in the device's namespace, as the TrE
# would start it; its stderr in $WORK/CONF.log.
distress() {
	ip netns exec hnb-dev unshare -m sh -c \
		'mount -t securityfs securityfs /sys/kernel/security && exec "$0" "$@"' \
		"$D/hnbtre-distress" --config "$D/$1.conf" 2> "$WORK/$1.log"
}
# charon_gone LOG: the charon the function started (pid in LOG) is gone,
# and so are its sockets.
charon_gone() {
	local pid
	pid=$(sed -n 's/.*ike: charon (pid \([0-9]*\)).*/\1/p' "$WORK/$1.log")
	[ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null &&
	[ ! -e "$STATE/ike-signer" ] && [ ! -e "$STATE/ike-vici" ]
}
# foreign_signer_request: a process that is not the distress charon asks
# the signer socket for a signature: answered with length 0.
foreign_signer_request() {
	perl -MIO::Socket::UNIX -e '
		for (1 .. 100) {
			$s = IO::Socket::UNIX->new(Type => SOCK_STREAM(), Peer => $ARGV[0])
				and last;
			select(undef, undef, undef, 0.1);
		}
		$s or die "no signer socket\n";
		print $s "\0" x 32;
		read($s, $r, 3) == 2 && $r eq "\0\0" or die "signer answered\n";' \
		"$STATE/ike-signer"
}
sign_distress() {
	head -c 32 /dev/urandom > "$WORK/digest"
	keyctl pkey_sign "$dkey" 0 "$WORK/digest" enc=pkcs1 hash=sha256 > /dev/null
}

cat "$WORK/m" > $SFS/manifest
distress distress
rc=$?
check "trusted device: the function reports nothing and starts no charon (exit 4)" \
	sh -c "[ $rc = 4 ] && grep -q 'the TrE is trusted: nothing to report' '$WORK/distress.log' &&
	       ! grep -q 'ike: charon' '$WORK/distress.log'"

echo tampered | rewrite_component "$WORK/c/c1"
echo 1 > $SFS/validate
refuses "Key was rejected" "failed: a process other than the distress function cannot use the credential" \
	sign_distress

# The SeGW is not there yet: the responder is unreachable.
distress down &
down_pid=$!
check "the signer socket refuses a peer that is not the distress charon" \
	foreign_signer_request
wait $down_pid
rc=$?
check "SeGW unreachable: 3 logged attempts, then gives up (exit 3)" \
	sh -c "[ $rc = 3 ] && [ \$(grep -c 'attempt [0-9]/3 to $HEMS_ADDR port $HEMS_PORT over ike, auth sig: IKE_SA/CHILD_SA not established' '$WORK/down.log') = 3 ] &&
	       grep -q 'giving up after 3 attempts' '$WORK/down.log'"
check "the refused peer is logged, no signature lent to it" \
	sh -c "grep -q 'ike signer: refused pid [0-9]*: not the charon it started' '$WORK/down.log' &&
	       ! grep -q 'lent to charon' '$WORK/down.log'"
check "after giving up its charon is stopped and the sockets are gone" charon_gone down

# The SeGW: stock charon, a connection for distress credentials of the
# operator CA that grants only the receiver's address (dedicated to it);
# the H(e)MS receiver on that address.
charon_up segw no
segw_credentials segw
swanctl_connection distress "local_addrs = $SEGW_ADDR" "certs = segw.pem
id = $SEGW_ADDR" "cacerts = root.pem
revocation = relaxed" hems "local_ts = $HEMS_ADDR/32" > "$WORK/segw/swanctl/swanctl.conf"
load_conf segw
ip -n hnb-segw addr add $HEMS_ADDR/32 dev lo
ip netns exec hnb-segw "$HEMS" --db "$WORK/hems.db" --listen 127.0.0.1 --port 7547 \
	--cert "$PKI/hems.pem" --key "$PKI/hems.key" --ca "$PKI/root.pem" \
	--public-url https://hems.hnbtre.test:7547 \
	--distress-ike-listen $HEMS_ADDR:$HEMS_PORT --revocation off serve 2> "$WORK/hems.log" &
hems_pid=$!
for i in $(seq 100); do
	grep -q "distress indications on $HEMS_ADDR:$HEMS_PORT (ike)" "$WORK/hems.log" && break
	sleep 0.1
done
check "without the tunnel the device has no way to the receiver" \
	fails ip netns exec hnb-dev busybox nc -w 2 $HEMS_ADDR $HEMS_PORT < /dev/null

distress distress
rc=$?
check "failed device: the indication goes through IKE/IPsec and is accepted (exit 0)" \
	sh -c "[ $rc = 0 ] && grep -q 'over ike, auth sig: ACCEPTED recorded, device marked for maintenance' '$WORK/distress.log' ||
	       { cat '$WORK/distress.log'; false; }"
check "the IKE_SA was authenticated with the distress credential, signed by the lending function" \
	sh -c "grep -q 'ike signer: signature 1/3 lent to charon' '$WORK/distress.log' &&
	       grep -q 'authentication of .* (myself) with RSA_EMSA_PKCS1_SHA2_256 successful' '$WORK/distress-charon.log' &&
	       grep -q \"distress credential 'O=hnbtre test operator, CN=$id'\" '$WORK/distress-charon.log'"
check "the SeGW granted a CHILD_SA to the receiver's address only" \
	segw_logged "CHILD_SA hems{[0-9]*} established .* $HEMS_ADDR/32 === $DEV_ADDR/32\$"
record() {
	"$HEMS" --db "$WORK/hems.db" --json show "$id" > "$WORK/record.json" &&
	jq -e --arg c "$WORK/c/c1" '.device.status == "maintenance" and
		(.distress[-1] | .transport == "ike" and .auth == "sig" and
		 .authenticated == "1" and .attested_state == "failed" and
		 (.failed | fromjson) == [{"path": $c, "verdict": "mismatch", "class": "normal"}])' \
		"$WORK/record.json" > /dev/null || { cat "$WORK/record.json"; false; }
}
check "the H(e)MS recorded it: transport ike, authentic, identity, failed component" record
check "delivered: the function stopped its charon, the sockets are gone" \
	charon_gone distress
kill $hems_pid
wait $hems_pid 2>/dev/null
tap_done
