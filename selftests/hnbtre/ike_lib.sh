#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Helpers of the ike_ selftests: a device and a SeGW, each a network
# namespace with its own charon (own /run, vici socket and swanctl
# directory), joined by a veth pair; the TrE on the device side.  Sourced
# after gate_lib.sh (session keyring, device key, TrE states).

PLUGIN=$TOP/build/plugins/libstrongswan-hnbtre.so
CHARON=/usr/lib/ipsec/charon
DEV_ADDR=10.99.0.2
SEGW_ADDR=10.99.0.1
ID_DEV="O=hnbtre test operator, CN=$(cat "$PKI/identity" 2>/dev/null)"

# ike_prereqs: what these tests need besides the TrE.
ike_prereqs() {
	[ -x "$CHARON" ] && command -v swanctl >/dev/null && [ -f "$PLUGIN" ] &&
	[ -f "$ATTEST_SHIM" ] && command -v busybox >/dev/null && modprobe veth 2>/dev/null
}

# ike_init PLAN: TAP plan, every result skipped without the prerequisites;
# else the namespaces, a fresh module with the test identity, and teardown
# at exit.
ike_init() {
	tap_init "$1"
	ike_prereqs ||
		skip_all "$1" "needs strongSwan, busybox, veth, the plugin and attest_shim.so"
	trap 'ike_teardown; unload_with_keys >/dev/null 2>&1' EXIT
	net_setup && fresh_module identity="$(cat "$PKI/identity")" || exit 1
}

# net_setup: namespaces hnb-dev and hnb-segw, veth dev0 <-> segw0.
net_setup() {
	netns_pair segw "$SEGW_ADDR" && xfrm_warm_up
}

# xfrm_warm_up: the kernel loads and self-tests the ESP cipher at its first
# use, which under TCG takes longer than an IKE retransmission: do it now.
xfrm_warm_up() {
	ip -n hnb-segw xfrm state add src $SEGW_ADDR dst $DEV_ADDR proto esp \
		spi 0x100 mode tunnel aead 'rfc4106(gcm(aes))' "0x$(printf '%040d' 0)" 128 &&
	ip -n hnb-segw xfrm state flush
}

# vici ROLE COMMAND ARGS...: swanctl COMMAND against ROLE's charon (with
# the plugins of the swanctl section of its strongswan.conf); a charon that
# hangs fails the command after a minute.
vici() {
	local role=$1 command=$2
	shift 2
	STRONGSWAN_CONF=$WORK/$role/strongswan.conf SWANCTL_DIR=$WORK/$role/swanctl \
		timeout 60 ip netns exec "hnb-$role" \
		swanctl "$command" --uri "unix://$WORK/$role/vici" "$@"
}

# strongswan_conf FILE VICI LOG TRIES LOAD [hnbtre settings, one per
# argument]: a charon's strongswan.conf with the plugins LOAD, its vici
# socket VICI, its log LOG and TRIES IKE retransmissions; REVOKE
# (environment) holds settings of the revocation plugin, e.g.
# "enable_ocsp = no" (CRL only); INSTALL_ROUTES (no) charon's
# install_routes.  The test charons and the one the distress function
# starts are all configured here.
strongswan_conf() {
	local file=$1 vici=$2 log=$3 tries=$4 load=$5
	shift 5
	cat > "$file" <<EOC
charon {
	load_modular = no
	load = $(echo $load)
	install_routes = ${INSTALL_ROUTES:-no}
	retransmit_tries = $tries
	retransmit_timeout = 4
	filelog {
		log {
			path = $log
			flush_line = yes
			time_format = %T
			default = 1
			ike = 1
			cfg = 1
		}
	}
	plugins {
		vici {
			socket = unix://$vici
		}
		hnbtre {
$(printf '\t\t\t%s\n' "$@")
		}
		revocation {
			${REVOKE:-}
		}
	}
}
# swanctl starts several times per test: only what it needs to load the
# credentials (much faster than every plugin under TCG)
swanctl {
	load = pem pkcs1 pkcs8 x509 gmp random sha1 sha2
}
EOC
}

# charon_conf ROLE PLUGIN(yes|no) [EXTRA hnbtre settings, one per line]:
# the strongswan.conf of ROLE's test charon (REVOKE as strongswan_conf).
charon_conf() {
	local role=$1 with_plugin=$2 load
	shift 2
	load="random nonce aes sha1 sha2 hmac kdf pem pkcs1 pkcs8 x509 pubkey
	      revocation constraints curl openssl gmp curve25519 kernel-netlink
	      socket-default vici"
	[ "$with_plugin" = yes ] && load="$load hnbtre"
	mkdir -p "$WORK/$role"
	strongswan_conf "$WORK/$role/strongswan.conf" "$WORK/$role/vici" \
		"$WORK/$role/charon.log" 3 "$load" "$@"
}

# charon_start ROLE: start ROLE's charon and wait for its vici socket.
# ATTACKER=yes preloads attest_shim.so before the plugin (device only):
# the attestation Notify then carries what $WORK/shim.ctl says.
charon_start() {
	local role=$1 preload= i
	grep -q hnbtre "$WORK/$role/strongswan.conf" && preload=$PLUGIN
	[ "${ATTACKER:-}" = yes ] && preload="$ATTEST_SHIM $preload"
	: > "$WORK/$role/charon.log"
	echo 0 > "$WORK/$role/mark"
	# ip netns exec mounts a sysfs of the namespace: securityfs again
	ip netns exec "hnb-$role" unshare -m sh -c \
		'mount -t tmpfs tmpfs /run &&
		 mount -t securityfs securityfs /sys/kernel/security &&
		 exec env STRONGSWAN_CONF="$1" LD_PRELOAD="$2" ATTEST_SHIM_CTL="$3" "$4"' \
		sh "$WORK/$role/strongswan.conf" "$preload" "$WORK/shim.ctl" \
		"$CHARON" > "$WORK/$role/charon.out" 2>&1 &
	echo $! > "$WORK/$role/pid"
	for i in $(seq 100); do
		[ -S "$WORK/$role/vici" ] && return 0
		sleep 0.1
	done
	cat "$WORK/$role/charon.out"
	return 1
}

# charon_alive ROLE: ROLE's charon still runs and answers on vici.
charon_alive() {
	kill -0 "$(cat "$WORK/$1/pid")" 2>/dev/null && vici "$1" --stats > /dev/null
}

# charon_up ROLE PLUGIN [hnbtre settings...]: ROLE's charon with this
# strongswan.conf (charon_conf).  A running charon of the same kind (with
# or without the plugin, ATTACKER or not) reloads its settings, which the
# plugin and the revocation plugin read again; otherwise it is restarted.
charon_up() {
	local role=$1 kind="$2 ${ATTACKER:-no}"
	charon_conf "$@" || return 1
	if [ "$(cat "$WORK/$role/kind" 2>/dev/null)" = "$kind" ] &&
	   charon_alive "$role" 2>/dev/null; then
		vici "$role" --reload-settings > /dev/null
	else
		charon_stop "$role"
		charon_start "$role" && echo "$kind" > "$WORK/$role/kind"
	fi
}

# charon_stop ROLE: stop ROLE's charon and wait until it is gone (it may
# have been started from a subshell: wait alone does not do it).
charon_stop() {
	local role=$1 pid i
	pid=$(cat "$WORK/$role/pid" 2>/dev/null) || return 0
	kill "$pid" 2>/dev/null
	for i in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	wait "$pid" 2>/dev/null
	rm -f "$WORK/$role/pid" "$WORK/$role/vici" "$WORK/$role/kind"
}

# swanctl_dir ROLE: an empty swanctl directory for ROLE.
swanctl_dir() {
	rm -rf "$WORK/$1/swanctl"
	mkdir -p "$WORK/$1"/swanctl/{x509,x509ca,x509ocsp,private,x509crl}
}

# indent N TEXT: TEXT's lines (none if TEXT is empty) N tabs deep.
indent() {
	[ -n "$2" ] && printf '%s\n' "$2" | sed "s/^/$(printf '%*s' "$1" '' | tr ' ' '\t')/"
}

# swanctl_connection NAME ADDRS LOCAL REMOTE CHILD TS: a swanctl.conf of
# one connection NAME with the tests' proposals (IKE aes128-sha256-x25519,
# ESP aes128gcm16) and public key authentication both ways, and its
# CHILD_SA CHILD.  ADDRS (local_addrs or remote_addrs), LOCAL, REMOTE (of
# the local and remote sections) and TS (traffic selectors) are settings,
# one per line.
swanctl_connection() {
	cat <<EOC
connections {
	$1 {
		version = 2
$(indent 2 "$2")
		proposals = aes128-sha256-x25519
		local {
			auth = pubkey
$(indent 3 "$3")
		}
		remote {
			auth = pubkey
$(indent 3 "$4")
		}
		children {
			$5 {
$(indent 4 "$6")
				esp_proposals = aes128gcm16
			}
		}
	}
}
EOC
}

# segw_credentials CERT: an empty swanctl directory for the SeGW with the
# operator root, CERT and its key.
segw_credentials() {
	swanctl_dir segw
	cp "$PKI/root.pem" "$WORK/segw/swanctl/x509ca/"
	cp "$PKI/$1.pem" "$WORK/segw/swanctl/x509/"
	cp "$PKI/$1.key" "$WORK/segw/swanctl/private/"
}

# swanctl_segw [REVOCATION [CERT [ID]]]: the SeGW's connection; device
# certificates chain to the operator root, REVOCATION (relaxed) is
# remote.revocation; the SeGW presents CERT (segw) and claims ID
# (segw.hnbtre.test) whether or not CERT carries it.
swanctl_segw() {
	local cert=${2:-segw}
	segw_credentials "$cert"
	swanctl_connection hnb "local_addrs = $SEGW_ADDR" \
		"certs = $cert.pem
id = ${3:-segw.hnbtre.test}" "revocation = ${1:-relaxed}" net \
		"local_ts = $SEGW_ADDR/32
remote_ts = $DEV_ADDR/32" > "$WORK/segw/swanctl/swanctl.conf"
}

# swanctl_dev REMOTE_ID REVOCATION [file]: the device's connection to
# the SeGW.  With "file", the device key is a plain file and the root a
# swanctl CA (stock strongSwan); else both come from the plugin (TrE).
swanctl_dev() {
	local certs=
	swanctl_dir dev
	if [ "${3:-}" = file ]; then
		cp "$PKI/root.pem" "$WORK/dev/swanctl/x509ca/"
		cp "$PKI/device.pem" "$WORK/dev/swanctl/x509/"
		cp "$PKI/device.key" "$WORK/dev/swanctl/private/"
		certs="certs = device.pem"
	fi
	swanctl_connection segw "remote_addrs = $SEGW_ADDR" "id = \"$ID_DEV\"
$certs" "id = $1
revocation = ${2:-relaxed}" net "local_ts = $DEV_ADDR/32
remote_ts = $SEGW_ADDR/32" > "$WORK/dev/swanctl/swanctl.conf"
}

# hnbtre settings of the device role: its certificate, the root the TrE
# holds, attestation on.
DEV_SETTINGS=("cert = $PKI/device.pem" "roots = $PKI/root.pem" "attest = yes")

# load_conf ROLE...: (re)load every ROLE's swanctl configuration.
load_conf() {
	local role
	for role in "$@"; do
		vici "$role" --load-all --clear --noprompt > "$WORK/$role/load.out" 2>&1 ||
			{ cat "$WORK/$role/load.out"; return 1; }
	done
}


# segw_plain, dev_plain: stock strongSwan, file keys and a CA file, no
# plugin and no Notify.
segw_plain() { charon_up segw no && swanctl_segw && load_conf segw; }
dev_plain() {
	charon_up dev no && swanctl_dev segw.hnbtre.test relaxed file && load_conf dev
}

# segw_with_plugin [hnbtre settings...]: the SeGW's charon with the plugin,
# reference store RIM_DIR, the operator root as the attestation trust
# store; SEGW_REVOCATION, SEGW_CERT, SEGW_ID as swanctl_segw takes them;
# REVOKE as charon_conf.
segw_with_plugin() {
	charon_up segw yes "rim_dir = $WORK/rims" \
		"attestation_roots = $PKI/root.pem" "$@" &&
	swanctl_segw "${SEGW_REVOCATION:-relaxed}" "${SEGW_CERT:-segw}" \
		"${SEGW_ID:-segw.hnbtre.test}" && load_conf segw
}

# dev_with_plugin [hnbtre settings...]: the device's charon, AUTH and
# anchors from the TrE; DEV_CERT (device), DEV_ROOT (root), DEV_REMOTE_ID
# (segw.hnbtre.test), DEV_REVOCATION (relaxed), ATTACKER as charon_start.
dev_with_plugin() {
	charon_up dev yes "cert = $PKI/${DEV_CERT:-device}.pem" \
		"roots = $PKI/${DEV_ROOT:-root}.pem" "attest = yes" "$@" &&
	swanctl_dev "${DEV_REMOTE_ID:-segw.hnbtre.test}" "${DEV_REVOCATION:-relaxed}" &&
	load_conf dev
}

# expect_rim: the reference store expects the TrE's current RIM.
expect_rim() { mkdir -p "$WORK/rims" && cat $SFS/rim > "$WORK/rims/$(cat "$PKI/identity")"; }

# initiate: the device brings up its CHILD_SA (fails if IKE fails).
initiate() {
	vici dev --initiate --child net --timeout 50 > "$WORK/dev/initiate.out" 2>&1
}

down() { vici dev --terminate --ike segw --timeout 10 > /dev/null 2>&1 || true; }

# traffic_passes: ping through the tunnel, ESP packets counted on the SeGW.
traffic_passes() {
	ip netns exec hnb-dev ping -c 2 -W 2 $SEGW_ADDR > /dev/null &&
	vici segw --list-sas | grep -q 'in .*[1-9][0-9]* packets'
}

# log_mark: later *_logged look only at what both charons log from now on.
log_mark() {
	local role
	for role in dev segw; do
		wc -l < "$WORK/$role/charon.log" > "$WORK/$role/mark"
	done
}

# logged ROLE PATTERN: ROLE's charon logged a line matching PATTERN since
# the last log_mark (or its start).
logged() {
	tail -n +$(($(cat "$WORK/$1/mark" 2>/dev/null || echo 0) + 1)) \
		"$WORK/$1/charon.log" | grep -q -- "$2" ||
		{ echo "$1 did not log: $2"; return 1; }
}
segw_logged() { logged segw "$1"; }
dev_logged() { logged dev "$1"; }

# attaches: CHILD_SA up and traffic through it; then down again.
attaches() {
	local ok=0
	log_mark
	initiate && traffic_passes || ok=1
	[ $ok = 0 ] || sed 's/^/dev: /' "$WORK/dev/initiate.out" | tail -n 5
	down
	return $ok
}

# refused: initiating fails and leaves no IKE_SA on either side (both
# charons answer).
refused() {
	local sas
	log_mark
	if initiate; then
		echo "the CHILD_SA came up"
		down
		return 1
	fi
	sas=$(vici dev --list-sas && vici segw --list-sas) || return 1
	! grep -q ESTABLISHED <<< "$sas"
}

# tim: the TrE's TIM as the SeGW logs it.
tim() { tr -d '\n' < $SFS/tim; }

# verdict STATUS REASON POLICY ACTION [TIM]: the SeGW's log line.
verdict() {
	echo "hnbtre: attestation $1 identity=$ID_DEV reason=\"$2\" tim=${5-[^ ]*} policy=$3 action=$4"
}

# revocation_servers: in each namespace, on its loopback (where the test
# certificates point), an `openssl ocsp` responder on port 8888 signing
# with SHA-256 and a CRL at http://127.0.0.1:8080/root.crl.  The test CA's
# database has device, segw and segw-badsan valid and device-revoked and
# segw-revoked revoked.
revocation_servers() {
	local ca=$WORK/ca ns i
	ca_database "$ca" "device segw segw-badsan" "device-revoked segw-revoked" || return 1
	mkdir -p "$ca/www"
	openssl ca -config "$ca/ca.cnf" -batch -gencrl 2>/dev/null |
		openssl crl -outform DER -out "$ca/www/root.crl" || return 1
	for ns in dev segw; do
		ocsp_start $ns || return 1
		ip netns exec hnb-$ns busybox httpd -f -p 127.0.0.1:8080 -h "$ca/www" \
			> "$WORK/httpd-$ns.log" 2>&1 &
		echo $! > "$WORK/httpd-$ns.pid"
	done
	for ns in dev segw; do
		for i in $(seq 50); do
			ip netns exec hnb-$ns bash -c 'echo > /dev/tcp/127.0.0.1/8080' 2>/dev/null &&
				break
			sleep 0.1
		done
	done
}

# ike_teardown: stop everything; with HNBTRE_IKE_KEEP=DIR (a --share of
# scripts/vm) the logs and configurations are copied there first.
ike_teardown() {
	local f
	[ -n "${HNBTRE_IKE_KEEP:-}" ] && mkdir -p "$HNBTRE_IKE_KEEP/${0##*/}" &&
		cp -r "$WORK/." "$HNBTRE_IKE_KEEP/${0##*/}/" 2>/dev/null
	charon_stop dev
	charon_stop segw
	for f in "$WORK"/ocsp-*.pid "$WORK"/httpd-*.pid; do
		stop_pidfile "$f"
	done
	ip netns del hnb-dev 2>/dev/null
	ip netns del hnb-segw 2>/dev/null
	return 0
}
