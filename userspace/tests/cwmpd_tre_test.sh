#!/bin/bash
# hnbtre-cwmpd installs packages only with the TrE's verdict (issue 18
# section 1, Documentation/tr069.md): a download resumed at start-up
# while securityfs has no "package" file is refused with
# TransferComplete fault 9019 and installs nothing, though userspace
# alone would accept the package.  Needs $HNBTRE and $PKI.
. "$(dirname "$0")/tap.sh"
CWMPD=$(dirname "$HNBTRE")/hnbtre-cwmpd
R=$tmp/root
live=$R/current

tap_plan 3

mkdir -p "$tmp/v1/bin" "$tmp/sfs" "$tmp/state" "$R"
echo "app 1" > "$tmp/v1/bin/app"
image_manifest "$tmp/v1" "$live" 10 "$tmp/m1"
"$HNBTRE" pkg build --dir "$tmp/v1" --prefix "$live" --manifest "$tmp/m1" --version 1 \
	-o "$tmp/p1.unsigned" > /dev/null
"$HNBTRE" pkg sign --cert "$PKI/pkg-signer.pem" --key "$PKI/pkg-signer.key" \
	-o "$tmp/p1" "$tmp/p1.unsigned"

# A TrE whose securityfs has a state but no "package" file.
echo trusted > "$tmp/sfs/state"

# The agent stopped during the install: at start-up it resumes it from
# the complete package before any session.
cp "$tmp/p1" "$tmp/state/download.pkg"
cat > "$tmp/state/state.json" <<JSON
{ "format": 1, "events": [], "attributes": {}, "notified": {}, "settings": {},
  "transfers": [ { "key": "k1", "url": "https://acs.invalid/p1.pkg",
    "file_type": "1 Firmware Upgrade Image", "state": "pending",
    "start": "2026-01-01T00:00:00Z", "phase": "install" } ] }
JSON
HNBTRE_SECURITYFS=$tmp/sfs timeout 60 "$CWMPD" --once --acs https://127.0.0.1:9/ \
	--cert "$PKI/device.pem" --ca "$PKI/root.pem" --state-dir "$tmp/state" \
	--install-root "$R" > "$tmp/agent.log" 2>&1
check "resumed install without securityfs package: TransferComplete fault 9019" bash -c "
	cat '$tmp/agent.log'
	jq -e '.transfers[0] | .state == \"done\" and .fault == 9019' '$tmp/state/state.json'"
check "... and nothing installed" bash -c "
	test ! -e '$live' && test -z \"\$(ls -A '$R' | grep -v '^slots\$')\" &&
	test -z \"\$(ls -A '$R/slots' 2>/dev/null)\""

# The refusal is the TrE's absence, not the package.
check "the same package installs with userspace checks alone (--no-tre)" \
	"$HNBTRE" pkg install --root "$R" --roots "$PKI/root.pem" --no-tre "$tmp/p1"

echo "# $n tests"
exit $((failed > 0))
