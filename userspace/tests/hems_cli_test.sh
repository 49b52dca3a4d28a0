#!/bin/bash
# hnbtre-hems update on the host (Documentation/tr069.md, "Software
# update"): the package's expected platform RIM and patch RIM are stored
# with the request, as `hnbtre rim` computes them from the manifest and
# from the package's files; a package it cannot use and an unknown device change nothing.
# Needs $HNBTRE (the CLI, next to hnbtre-hems) and $PKI.
. "$(dirname "$0")/tap.sh"
HEMS=$(dirname "$HNBTRE")/hnbtre-hems
DEVICE=0005B9-0000000001
live=/opt/hnb/current
db() { sqlite3 "$tmp/hems.db" "$@"; }

echo "TAP version 13"
echo "1..9"

# A package installing bin/app whose manifest also keeps etc/conf.
mkdir -p "$tmp/v1/bin"
echo "app 1" > "$tmp/v1/bin/app"
mkdir -p "$tmp/kept/etc"
echo "conf" > "$tmp/kept/etc/conf"
signed_manifest "$tmp/m" 7 --root "$tmp/v1" --prefix "$live" "$tmp/v1/bin/app" \
	--root "$tmp/kept" "$tmp/kept/etc/conf"
"$HNBTRE" pkg build --dir "$tmp/v1" --prefix "$live" --manifest "$tmp/m" --version 3 \
	-o "$tmp/p.unsigned" > /dev/null
"$HNBTRE" pkg sign --cert "$PKI/pkg-signer.pem" --key "$PKI/pkg-signer.key" -o "$tmp/p.pkg" \
	"$tmp/p.unsigned"

"$HEMS" --db "$tmp/hems.db" devices > /dev/null
db "INSERT INTO devices (identity, cert) VALUES ('$DEVICE', x'')"

store_version_7() { [ "$(db 'PRAGMA user_version')" = 7 ]; }
check "a new store has schema version 7" store_version_7

requested() {
	local rim patch
	rim=$("$HNBTRE" rim "$tmp/m")
	patch=$(rim_of --root "$tmp/v1" --prefix "$live" "$tmp/v1/bin/app")
	"$HEMS" --db "$tmp/hems.db" update "$DEVICE" "$tmp/p.pkg" > "$tmp/said" || return 1
	cat "$tmp/said"
	[ "$rim" != "$patch" ] &&
	grep -qx "update 1 of $DEVICE requested: package version 3, manifest version 7, expected RIM $rim, patch RIM $patch" "$tmp/said" &&
	[ "$(db "SELECT state, package, package_version, manifest_version, expected_rim, patch_rim
		  FROM updates")" = "requested|$tmp/p.pkg|3|7|$rim|$patch" ] &&
	[ "$(db "SELECT coalesce(expected_rim, '-') FROM devices")" = - ]
}
check "update: expected platform RIM and patch RIM stored with the request" requested

# refused WHAT PKG [DEVICE]: exit 1, the reason said, no update recorded.
refused() {
	local before
	before=$(db "SELECT count(*) FROM updates")
	"$HEMS" --db "$tmp/hems.db" update "${3:-$DEVICE}" "$2" 2> "$tmp/err"
	[ $? = 1 ] && grep -q "$1" "$tmp/err" &&
	[ "$(db "SELECT count(*) FROM updates")" = "$before" ] || { cat "$tmp/err"; false; }
}
head -c -1 "$tmp/p.pkg" > "$tmp/short.pkg"
check "a truncated package: refused, nothing recorded" refused "update refused" "$tmp/short.pkg"
check "no such file: refused, nothing recorded" refused "No such file" "$tmp/none.pkg"
check "an unknown device: refused, nothing recorded" refused "no device" "$tmp/p.pkg" other

history_columns() {
	"$HEMS" --db "$tmp/hems.db" --json show "$DEVICE" |
		jq -e '.updates[0] | .state == "requested" and .manifest_version == "7" and
			has("patch_rim") and has("reported_tim") and has("self_check")' > /dev/null
}
check "show --json: the update history with its references" history_columns

# Issue 19 section 3: the first RIM of a device comes from the operator's
# release, computed from the signed package.
released() {
	"$HEMS" --db "$tmp/hems.db" --operator alice release "$tmp/p.pkg" > "$tmp/said" \
		2> "$tmp/err" &&
	grep -qx "release $tmp/p.pkg: package version 3, manifest version 7, platform RIM $("$HNBTRE" rim "$tmp/m")" "$tmp/said" &&
	grep -q "^hnbtre-hems: audit: release by alice on \*: $tmp/p.pkg" "$tmp/err" &&
	[ "$(db "SELECT platform_rim, manifest_version, package_version, package FROM releases")" = \
	  "$("$HNBTRE" rim "$tmp/m")|7|3|$tmp/p.pkg" ]
}
check "release: the package's platform RIM and versions recorded, audited" released
release_refused() {
	"$HEMS" --db "$tmp/hems.db" release "$tmp/short.pkg" 2> "$tmp/err"
	[ $? = 1 ] && grep -q "release refused" "$tmp/err" &&
	[ "$(db "SELECT count(*) FROM releases")" = 1 ] || { cat "$tmp/err"; false; }
}
check "release of a truncated package: refused, nothing recorded" release_refused
releases_listed() {
	"$HEMS" --db "$tmp/hems.db" --json releases |
		jq -e 'length == 1 and .[0].manifest_version == "7"' > /dev/null
}
check "releases --json lists it" releases_listed
exit $((failed > 0))
