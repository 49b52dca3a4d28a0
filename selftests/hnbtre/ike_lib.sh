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
	modprobe veth 2>/dev/null
}

# net_setup: namespaces hnb-dev and hnb-segw, veth dev0 <-> segw0.
net_setup() {
	ip netns add hnb-dev && ip netns add hnb-segw &&
	ip link add dev0 netns hnb-dev type veth peer name segw0 netns hnb-segw &&
	ip -n hnb-dev addr add $DEV_ADDR/24 dev dev0 &&
	ip -n hnb-segw addr add $SEGW_ADDR/24 dev segw0 &&
	ip -n hnb-dev link set dev0 up && ip -n hnb-segw link set segw0 up &&
	ip -n hnb-dev link set lo up && ip -n hnb-segw link set lo up
}

# vici ROLE COMMAND ARGS...: swanctl COMMAND against ROLE's charon.
vici() {
	local role=$1 command=$2
	shift 2
	SWANCTL_DIR=$WORK/$role/swanctl ip netns exec "hnb-$role" \
		swanctl "$command" --uri "unix://$WORK/$role/vici" "$@"
}

# charon_conf ROLE PLUGIN(yes|no) [EXTRA hnbtre settings, one per line]
charon_conf() {
	local role=$1 with_plugin=$2 load
	shift 2
	load="random nonce aes sha1 sha2 hmac kdf pem pkcs1 pkcs8 x509 pubkey
	      revocation constraints curl openssl gmp curve25519 kernel-netlink
	      socket-default vici"
	[ "$with_plugin" = yes ] && load="$load hnbtre"
	rm -rf "$WORK/$role/swanctl"
	mkdir -p "$WORK/$role"/swanctl/{x509,x509ca,x509ocsp,private,x509crl}
	cat > "$WORK/$role/strongswan.conf" <<EOC
charon {
	load_modular = no
	load = $(echo $load)
	install_routes = no
	retransmit_tries = 2
	retransmit_timeout = 2
	filelog {
		log {
			path = $WORK/$role/charon.log
			flush_line = yes
			default = 1
			ike = 1
			cfg = 1
		}
	}
	plugins {
		vici {
			socket = unix://$WORK/$role/vici
		}
		hnbtre {
$(printf '\t\t\t%s\n' "$@")
		}
	}
}
EOC
}

# charon_start ROLE: start ROLE's charon and wait for its vici socket.
charon_start() {
	local role=$1 preload= i
	grep -q hnbtre "$WORK/$role/strongswan.conf" && preload=$PLUGIN
	: > "$WORK/$role/charon.log"
	# ip netns exec mounts a sysfs of the namespace: securityfs again
	ip netns exec "hnb-$role" unshare -m sh -c \
		'mount -t tmpfs tmpfs /run &&
		 mount -t securityfs securityfs /sys/kernel/security &&
		 exec env STRONGSWAN_CONF="$1" LD_PRELOAD="$2" "$3"' sh "$WORK/$role/strongswan.conf" \
		"$preload" "$CHARON" > "$WORK/$role/charon.out" 2>&1 &
	echo $! > "$WORK/$role/pid"
	for i in $(seq 100); do
		[ -S "$WORK/$role/vici" ] && return 0
		sleep 0.1
	done
	cat "$WORK/$role/charon.out"
	return 1
}

charon_stop() {
	local role=$1 pid
	pid=$(cat "$WORK/$role/pid" 2>/dev/null) || return 0
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	rm -f "$WORK/$role/pid" "$WORK/$role/vici"
}

# swanctl_segw REVOCATION: the SeGW's connection; device certificates
# chain to the operator root, REVOCATION is remote.revocation.
swanctl_segw() {
	cp "$PKI/root.pem" "$WORK/segw/swanctl/x509ca/"
	cp "$PKI/segw.pem" "$WORK/segw/swanctl/x509/"
	cp "$PKI/segw.key" "$WORK/segw/swanctl/private/"
	cat > "$WORK/segw/swanctl/swanctl.conf" <<EOC
connections {
	hnb {
		version = 2
		local_addrs = $SEGW_ADDR
		proposals = aes128-sha256-x25519
		local {
			auth = pubkey
			certs = segw.pem
			id = segw.hnbtre.test
		}
		remote {
			auth = pubkey
			revocation = ${1:-relaxed}
		}
		children {
			net {
				local_ts = $SEGW_ADDR/32
				remote_ts = $DEV_ADDR/32
				esp_proposals = aes128gcm16
			}
		}
	}
}
EOC
}

# swanctl_dev REMOTE_ID REVOCATION [file]: the device's connection to
# the SeGW.  With "file", the device key is a plain file and the root a
# swanctl CA (stock strongSwan); else both come from the plugin (TrE).
swanctl_dev() {
	local certs=
	if [ "${3:-}" = file ]; then
		cp "$PKI/root.pem" "$WORK/dev/swanctl/x509ca/"
		cp "$PKI/device.pem" "$WORK/dev/swanctl/x509/"
		cp "$PKI/device.key" "$WORK/dev/swanctl/private/"
		certs="certs = device.pem"
	fi
	cat > "$WORK/dev/swanctl/swanctl.conf" <<EOC
connections {
	segw {
		version = 2
		remote_addrs = $SEGW_ADDR
		proposals = aes128-sha256-x25519
		local {
			auth = pubkey
			id = "$ID_DEV"
			$certs
		}
		remote {
			auth = pubkey
			id = $1
			revocation = ${2:-relaxed}
		}
		children {
			net {
				local_ts = $DEV_ADDR/32
				remote_ts = $SEGW_ADDR/32
				esp_proposals = aes128gcm16
			}
		}
	}
}
EOC
}

# hnbtre settings of the device role: its certificate, the root the TrE
# holds, attestation on.
DEV_SETTINGS=("cert = $PKI/device.pem" "roots = $PKI/root.pem" "attest = yes")

# load_conf ROLE...: (re)load every ROLE's swanctl configuration.
load_conf() {
	local role
	for role in "$@"; do
		vici "$role" --load-all --noprompt > "$WORK/$role/load.out" 2>&1 ||
			{ cat "$WORK/$role/load.out"; return 1; }
	done
}

# initiate: the device brings up its CHILD_SA (fails if IKE fails).
initiate() {
	vici dev --initiate --child net --timeout 20 > "$WORK/dev/initiate.out" 2>&1
}

# traffic_passes: ping through the tunnel, ESP packets counted on the SeGW.
traffic_passes() {
	ip netns exec hnb-dev ping -c 2 -W 2 $SEGW_ADDR > /dev/null &&
	vici segw --list-sas | grep -q 'in .*[1-9][0-9]* packets'
}

# segw_logged PATTERN: the SeGW's log has a line matching PATTERN.
segw_logged() { grep -q -- "$1" "$WORK/segw/charon.log"; }

ike_teardown() {
	charon_stop dev
	charon_stop segw
	ip netns del hnb-dev 2>/dev/null
	ip netns del hnb-segw 2>/dev/null
	return 0
}
