# SPDX-License-Identifier: GPL-2.0-only
# The TR-069 test bench shared by the tr069_*.sh programs: hnbtre-cwmpd
# with the TrE key in network namespace hnb-dev, hnbtre-hems (or a
# hostile openssl s_server) in hnb-hems, joined by a veth pair.
# Source after gate_lib.sh; then tr069_init N (TAP plan, skips when the
# bench cannot be built) and tr069_setup (network, module, device key,
# trusted state).
CWMPD=$TOP/build/bin/hnbtre-cwmpd
HEMS=$TOP/build/bin/hnbtre-hems
HEMS_ADDR=10.99.1.1
DEV_ADDR=10.99.1.2

teardown() {
	local f
	hems_stop
	for f in "$WORK"/ocsp-*.pid "$WORK/watcher.pid"; do
		stop_pidfile "$f"
	done
	unload_with_keys "$(keyctl search %:.hnbtre_device asymmetric hnbtre:device 2>/dev/null)"
	ip netns del hnb-dev 2>/dev/null
	ip netns del hnb-hems 2>/dev/null
	return 0
}

# net_setup: hnb-dev and hnb-hems; the H(e)MS's names in /etc/hosts.
net_setup() {
	netns_pair hems "$HEMS_ADDR" &&
	echo "$HEMS_ADDR hems.hnbtre.test other.hnbtre.test" >> /etc/hosts
}

# hems_start [OPTIONS...]: the H(e)MS with its certificate (or another
# one given as --cert/--key later in OPTIONS) on port 7547.  A device's
# first RIM is that of an operator's release (factory_release), not its
# own word: trust on first use only where a test passes it.
hems_start() {
	hems_stop
	ip netns exec hnb-hems "$HEMS" --db "$WORK/hems.db" --listen $HEMS_ADDR --port 7547 \
		--cert "$PKI/hems.pem" --key "$PKI/hems.key" --ca "$PKI/root.pem" \
		--public-url https://hems.hnbtre.test:7547 --revocation off "$@" serve >> "$WORK/hems.log" 2>&1 &
	echo $! > "$WORK/server.pid"
	wait_port
}

# s_server_start OPTIONS...: a plain TLS server in the H(e)MS's place.
s_server_start() {
	hems_stop
	ip netns exec hnb-hems openssl s_server -quiet -accept $HEMS_ADDR:7547 \
		-cert "$PKI/hems.pem" -key "$PKI/hems.key" -www "$@" \
		>> "$WORK/s_server.log" 2>&1 &
	echo $! > "$WORK/server.pid"
	wait_port
}

# wait_port [PORT]: until the H(e)MS side listens on PORT (7547).
wait_port() {
	local i
	for i in $(seq 50); do
		ip netns exec hnb-hems ss -ltn | grep -q ":${1:-7547} " && return 0
		sleep 0.1
	done
	return 1
}

# stop_pid_file FILE: stop the process whose pid FILE holds, if any.
stop_pid_file() {
	local pid
	pid=$(cat "$1" 2>/dev/null) || return 0
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	rm -f "$1"
}

hems_stop() { stop_pid_file "$WORK/server.pid"; }

# cwmpd_run URL [OPTIONS...]: the agent in the device namespace, which
# needs securityfs mounted again after ip netns exec; an installed update
# is activated by a restart command that does nothing (not the default,
# a reboot: tr069.md, "Activation").
cwmpd_run() {
	local url=$1
	shift
	ip netns exec hnb-dev unshare -m sh -c \
		'mount -t securityfs securityfs /sys/kernel/security && exec "$@"' sh \
		"$CWMPD" --acs "$url" --cert "$PKI/device.pem" --ca "$PKI/root.pem" \
		--state-dir "$WORK/cwmpd" --install-root "$WORK/root" --restart-cmd true "$@" \
		> "$WORK/cwmpd.out" 2>&1 &
	echo $! > "$WORK/cwmpd.pid"
	wait $!
}

# cwmpd URL [OPTIONS...]: one session.
cwmpd() { cwmpd_run "$@" --once; }

cwmpd_said() { grep -q -- "$1" "$WORK/cwmpd.out" || { cat "$WORK/cwmpd.out"; return 1; }; }
informs() { sqlite3 "$WORK/hems.db" "SELECT count(*) FROM events WHERE code = '$1'"; }
last_verdict() {
	sqlite3 "$WORK/hems.db" "SELECT verdict FROM attestations ORDER BY id DESC LIMIT 1"
}

# tr069_init N: the TAP plan; all N skipped (and exit) without the
# programs or veth.
tr069_init() {
	tap_init "$1"
	[ -x "$CWMPD" ] && [ -x "$HEMS" ] && modprobe veth 2>/dev/null ||
		skip_all "$1" "needs build/bin/hnbtre-cwmpd, hnbtre-hems and veth"
	IDENTITY=$(cat "$PKI/identity")
	live=$WORK/root/current
	trap teardown EXIT
}

# tr069_setup: network, a fresh module with the device identity, the
# device key, a trusted TrE, and the OCSP responder the H(e)MS
# certificate names (hems, hems-badsan good; hems-revoked revoked) on the
# device's loopback; URL is the H(e)MS's.
tr069_setup() {
	net_setup && fresh_module identity="$IDENTITY" &&
	load_device_key > /dev/null && make_trusted && factory_release &&
	ca_database "$WORK/ca" "hems hems-badsan" hems-revoked && ocsp_start dev
}

# register_release MANIFEST NAME FILE...: what the device runs (FILEs,
# all under $WORK, and MANIFEST over them) as the operator's signed
# release package $WORK/NAME.pkg, registered at the H(e)MS as an operator
# does (`hnbtre-hems release`), so that the device's first attestation is
# checked against its platform RIM (tr069.md, "The first RIM").
register_release() {
	local manifest=$1 name=$2 tree=$WORK/$2.tree f
	shift 2
	rm -rf "$tree"
	for f in "$@"; do
		mkdir -p "$(dirname "$tree/${f#"$WORK"/}")" && cp "$f" "$tree/${f#"$WORK"/}" ||
			return 1
	done
	"$HNBTRE" pkg build --dir "$tree" --prefix "$WORK" --version 1 --manifest "$manifest" \
		-o "$WORK/$name.unsigned" > /dev/null &&
	"$HNBTRE" pkg sign --cert "$PKI/pkg-signer.pem" --key "$PKI/pkg-signer.key" \
		-o "$WORK/$name.pkg" "$WORK/$name.unsigned" &&
	"$HEMS" --db "$WORK/hems.db" release "$WORK/$name.pkg" > /dev/null 2>&1
}
# factory_release: make_trusted's components and manifest.
factory_release() { register_release "$WORK/m" factory "$WORK"/c/c*; }

URL=https://hems.hnbtre.test:7547/

# The update bench (tr069_update_test.sh, tr069_rollback_test.sh): the
# install root ($live, set by tr069_init), the H(e)MS's store, signed
# releases.
db() { sqlite3 "$WORK/hems.db" "$@"; }
hems_cli() { "$HEMS" --db "$WORK/hems.db" "$@"; }
update_row() { db "SELECT $1 FROM updates ORDER BY id DESC LIMIT 1"; }
show_all() {
	cat "$WORK/cwmpd.out" "$WORK/hems.log"
	db "SELECT * FROM updates" "SELECT * FROM devices" \
		"SELECT verdict, tim FROM attestations ORDER BY id DESC LIMIT 2"
}

# release N [BUILD OPTIONS]: package version N (release$N.pkg) installing bin/app and a
# 48 KiB bin/data under $live, with a manifest (version N + 1) over them
# and the component c1 the device already has.  RELEASE_EXTRA: a
# component line put first in the manifest (a release whose validation
# fails); RELEASE_SIGNER: the manifest's signer in the test PKI.
release() {
	local n=$1 dir=$WORK/v$1
	shift
	mkdir -p "$dir/bin" "$WORK/root" &&
	echo "app $n" > "$dir/bin/app" && head -c 49152 /dev/urandom > "$dir/bin/data" &&
	sign_component "$dir/bin/app" && sign_component "$dir/bin/data" &&
	signed_manifest "$WORK/release$n.manifest" $((n + 1)) "$WORK/c/c1" \
		--root "$dir" --prefix "$live" "$dir/bin/app" "$dir/bin/data" &&
	{ [ -z "${RELEASE_EXTRA:-}${RELEASE_SIGNER:-}" ] ||
	  resign_release_manifest "$WORK/release$n.manifest"; } &&
	"$HNBTRE" pkg build --dir "$dir" --prefix "$live" --version "$n" \
		--manifest "$WORK/release$n.manifest" -o "$WORK/release$n.unsigned" \
		"$@" > /dev/null &&
	"$HNBTRE" pkg sign --cert "$PKI/pkg-signer.pem" --key "$PKI/pkg-signer.key" \
		-o "$WORK/release$n.pkg" "$WORK/release$n.unsigned"
}
# resign_release_manifest OUT: OUT.body with RELEASE_EXTRA as its first
# component line, signed by RELEASE_SIGNER (signer) into OUT.
resign_release_manifest() {
	local signer=${RELEASE_SIGNER:-signer}
	{ [ -z "${RELEASE_EXTRA:-}" ] || sed -i "2a $RELEASE_EXTRA" "$1.body"; } &&
	"$HNBTRE" manifest sign --key "$PKI/$signer.key" --cert "$PKI/$signer.pem" "$1.body" "$1"
}
# platform_rim N: the RIM of release N's manifest; patch_rim N: the same
# over the files its package installs (TS 33.320 8.3.2.2, step 2).
platform_rim() { "$HNBTRE" rim "$WORK/release$1.manifest"; }
patch_rim() {
	rim_of --root "$WORK/v$1" --prefix "$live" "$WORK/v$1/bin/app" "$WORK/v$1/bin/data"
}
