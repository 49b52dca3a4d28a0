#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The start-up bench of boot_test.sh and isolation_test.sh: what
# policy/init/hnbtre-start boots, with the distress function over TCP to
# a plain receiver.  Sourced after gate_lib.sh.

# boot_init PLAN: TAP plan, the names the tests share, no module loaded
# (hnbtre-start loads it).
boot_init() {
	tap_init "$1"
	id=$(cat "$PKI/identity")
	D=$WORK/distress
	START=$TOP/policy/init/hnbtre-start
	HEMS="$TOP/build/bin/hnbtre-hems --db $WORK/hems.db"
	PORT=4447
	if [ -d $SFS ]; then
		unload_pinned || exit 1
	fi
}

# boot_image SERVER ATTEMPTS BACKOFF_MS [tre]: components $WORK/c/c1, c2
# (c1 kept as $WORK/c1.good), the distress function in $D reporting to
# SERVER:$PORT over TCP without authentication (ATTEMPTS, BACKOFF_MS),
# with "tre" a tre component $WORK/t/tre1 (kept as $WORK/tre1.good); all
# signed, under the signed manifest $WORK/m (version 1); the wrapped
# device and attestation keys $WORK/device.wrapped, $WORK/attest.wrapped.
boot_image() {
	local f tre=()
	mkdir -p "$D" "$WORK/state" &&
	make_components "$WORK/c" 2 && cp -a "$WORK/c/c1" "$WORK/c1.good" &&
	cp "$TOP/build/bin/hnbtre-distress" "$D/" || return 1
	cat > "$D/distress.conf" <<EOC
{ "server": "$1", "port": $PORT, "transport": "tcp", "auth": "none",
  "state_dir": "$WORK/state", "attempts": $2, "backoff_ms": $3, "timeout_ms": 2000 }
EOC
	for f in "$D"/*; do sign_component "$f"; done
	if [ "${4:-}" = tre ]; then
		mkdir -p "$WORK/t" && echo "tre component" > "$WORK/t/tre1" &&
		sign_component "$WORK/t/tre1" && cp -a "$WORK/t/tre1" "$WORK/tre1.good" ||
			return 1
		tre=(--class tre "$WORK/t/tre1")
	fi
	signed_manifest "$WORK/m" 1 "$WORK"/c/c* --class distress "$D"/* "${tre[@]}" &&
	wrap_key "$PKI/device.key" "$WORK/device.wrapped" &&
	wrap_key "$PKI/attest.key" "$WORK/attest.wrapped"
}

