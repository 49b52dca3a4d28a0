#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The H(e)MS's reference store on PostgreSQL (Documentation/tr069.md,
# "Store"): a throwaway cluster (initdb, pg_ctl) in a temp dir, run by an
# unprivileged user and reached over its Unix socket only; hems_test's
# sessions on it, the CLI's commands with a connection string, and the
# charon plugin's reader (references_read) on it and on SQLite, and the
# distress receiver's records and replacements on it.  Skipped
# only when PostgreSQL's programs are missing.  Needs $HNBTRE and $PKI.
. "$(dirname "$0")/tap.sh"
. "$(dirname "$0")/distress_lib.sh"
HEMS=$(dirname "$HNBTRE")/hnbtre-hems
TESTS=$(dirname "$HNBTRE")/../tests
PLAN=9
echo "TAP version 13"
echo "1..$PLAN"
bin=$(dirname "$(command -v initdb 2>/dev/null || ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null | tail -1)")
if [ ! -x "$bin/initdb" ] || [ ! -x "$bin/pg_ctl" ]; then
	for i in $(seq $PLAN); do
		echo "ok $i # SKIP PostgreSQL's initdb and pg_ctl not installed (scripts/install-deps)"
	done
	exit 0
fi
# initdb refuses root: the cluster belongs to nobody, in a dir of its own
# that the test (root) can still reach.
cluster=$(mktemp -d /tmp/hnbtre-pg.XXXXXX)
chmod 755 "$cluster"
as_owner() { "$@"; }
if [ "$(id -u)" = 0 ]; then
	chown nobody "$cluster"
	as_owner() { runuser -u nobody -- "$@"; }
fi
trap 'as_owner "$bin/pg_ctl" -D "$cluster/data" -m immediate stop > /dev/null 2>&1; rm -rf "$cluster" "$tmp"' EXIT
as_owner "$bin/initdb" -D "$cluster/data" -A trust -U hnbtre > "$cluster/initdb.log" 2>&1 &&
as_owner "$bin/pg_ctl" -D "$cluster/data" -l "$cluster/server.log" -w \
	-o "-c listen_addresses= -k $cluster -c fsync=off" start > /dev/null ||
	{ cat "$cluster/initdb.log" "$cluster/server.log"; exit 1; }
store="postgresql://hnbtre@/postgres?host=$cluster"

nested() { "$@" | sed 's/^/    /'; return "${PIPESTATUS[0]}"; }
on_pg() { cd "$(dirname "$0")/.." && HEMS_TEST_STORE=$store nested "$TESTS/hems_test"; }
check "hems_test's sessions on PostgreSQL" on_pg

schema() {
	"$HEMS" --db "$store" devices > /dev/null &&
	[ "$(psql -X -A -t "$store" -c 'SELECT version FROM hnbtre_schema')" = 7 ] &&
	"$HEMS" --db "$store" devices > /dev/null
}
check "a connection string opens the same schema (version 7), migrated once" schema

DEVICE=0005B9-0000000001
mkdir -p "$tmp/v1/bin"
echo "app 1" > "$tmp/v1/bin/app"
image_manifest "$tmp/v1" /opt/hnb/current 7 "$tmp/m" &&
"$HNBTRE" pkg build --dir "$tmp/v1" --prefix /opt/hnb/current --manifest "$tmp/m" --version 3 \
	-o "$tmp/p.unsigned" > /dev/null &&
"$HNBTRE" pkg sign --cert "$PKI/pkg-signer.pem" --key "$PKI/pkg-signer.key" -o "$tmp/p.pkg" \
	"$tmp/p.unsigned" || exit 1
cli() {
	"$HEMS" --db "$store" --operator alice release "$tmp/p.pkg" > /dev/null &&
	"$HEMS" --db "$store" --operator alice update "$DEVICE" "$tmp/p.pkg" > "$tmp/said" &&
	grep -q "^update [0-9]* of $DEVICE requested: package version 3, manifest version 7" "$tmp/said" &&
	"$HEMS" --db "$store" --json show "$DEVICE" |
		jq -e '.updates[-1].state == "requested" and .audit[-1].command == "update"' > /dev/null &&
	[ "$("$HEMS" --db "$store" --json releases | jq -r '.[0].package')" = "$tmp/p.pkg" ]
}
check "CLI on PostgreSQL: release, update, show --json, releases" cli
bad_store() {
	"$HEMS" --db "postgresql://hnbtre@/nonexistent?host=$cluster" devices 2> "$tmp/err"
	[ $? = 2 ] && grep -q "nonexistent" "$tmp/err"
}
check "an unreachable database: a clear error, exit 2" bad_store

# The plugin's reader: a device marked for maintenance with RIM 55..55,
# and an unknown one, on both engines.
"$HEMS" --db "$tmp/lite.db" devices > /dev/null
sqlite3 "$tmp/lite.db" "INSERT INTO devices (identity, cert, rim, status) VALUES
	('$DEVICE', x'', 'sha256:$(printf '55%.0s' $(seq 32))', 'maintenance')"
psql -X -q "$store" -c "UPDATE devices SET rim = 'sha256:$(printf '55%.0s' $(seq 32))',
	status = 'maintenance', expected_rim = NULL WHERE identity = '$DEVICE'"
reads() {
	local out
	out=$("$TESTS/references_read" "$1" "$DEVICE") &&
	[ "$out" = "rim=$(printf '55%.0s' $(seq 32)) expected=- maintenance=1" ] &&
	out=$("$TESTS/references_read" "$1" other)
	[ $? = 1 ] && [ "$out" = "no device with this identity in the reference store" ] ||
		{ echo "$out"; false; }
}
check "plugin reader on SQLite" reads "$tmp/lite.db"
check "plugin reader on PostgreSQL (connection string)" reads "$store"
unreadable() {
	local out
	out=$("$TESTS/references_read" "postgresql://hnbtre@/nonexistent?host=$cluster" "$DEVICE")
	[ $? = 1 ] && [ "$out" = "reference store unreadable" ]
}
check "plugin reader, database unreachable: refused as unreadable" unreadable

# The distress receiver (hems/distress.c) on the shared store: indications
# recorded, an authentic one answered with the replacement queued there.
mkdir -p "$tmp/psk" && head -c 32 /dev/urandom > "$tmp/psk/$DEVICE"
port=$((20000 + $$ % 20000))
"$HEMS" --db "$store" replace "$DEVICE" "$tmp/p.pkg" > /dev/null 2>&1 || exit 1
"$HEMS" --db "$store" --listen 127.0.0.1 --port $((port + 1)) --cert "$PKI/hems.pem" \
	--key "$PKI/hems.key" --ca "$PKI/root.pem" --public-url https://127.0.0.1 \
	--distress-tcp-port $port --distress-psk-dir "$tmp/psk" --revocation off serve \
	> /dev/null 2> "$tmp/hems.log" &
hems=$!
trap 'kill $hems; as_owner "$bin/pg_ctl" -D "$cluster/data" -m immediate stop > /dev/null 2>&1; rm -rf "$cluster" "$tmp"' EXIT
wait_port $port
pg() { psql -X -A -t "$store" -c "$1"; }
recorded() {
	[ "$(distress_indicate $port "$DEVICE" "$tmp/psk/$DEVICE" none 1 normal)" = \
	  "ACCEPTED recorded as unauthenticated" ] &&
	[ "$(pg "SELECT count(*) || ' ' || max(authenticated) FROM distress
		 WHERE identity = '$DEVICE'")" = "1 0" ] &&
	[ "$(pg "SELECT state FROM replacements")" = requested ] ||
	{ cat "$tmp/hems.log"; pg "SELECT * FROM distress"; false; }
}
check "distress receiver on PostgreSQL: an unauthenticated indication recorded, nothing sent" \
	recorded
replaced() {
	{ printf 'REPLACE %d\n' "$(stat -c %s "$tmp/p.pkg")"; cat "$tmp/p.pkg"; } > "$tmp/expected" &&
	distress_indicate $port "$DEVICE" "$tmp/psk/$DEVICE" psk 2 normal > "$tmp/answer" &&
	cmp "$tmp/expected" "$tmp/answer" &&
	[ "$(pg "SELECT state || ' ' || (distress = (SELECT max(id) FROM distress))
		 FROM replacements")" = "sent true" ] &&
	[ "$(pg "SELECT authenticated FROM distress ORDER BY id DESC LIMIT 1")" = 1 ] &&
	[ "$(pg "SELECT status || ' ' || expected_rim || ' ' || expected_state FROM devices
		 WHERE identity = '$DEVICE'")" = \
	  "maintenance $("$HNBTRE" rim "$tmp/m") sent" ] ||
	{ cat "$tmp/hems.log"; pg "SELECT * FROM distress"; pg "SELECT * FROM replacements"; false; }
}
check "distress receiver on PostgreSQL: an authentic one gets the queued replacement, recorded as sent" \
	replaced
exit $((failed > 0))
