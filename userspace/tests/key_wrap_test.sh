#!/bin/bash
# hnbtre key wrap on the host: the wrapper is the documented bytes
# (magic + the PKCS#8 DER openssl writes), and only RSA 2048/3072 keys in
# plain PKCS#8 are wrapped.  Needs $HNBTRE (the CLI) and $PKI (scripts/mkpki).
. "$(dirname "$0")/tap.sh"
# refused KEY: wrap fails with a message and writes nothing
refused() {
	fails "$HNBTRE" key wrap "$1" "$tmp/refused" 2> "$tmp/err" &&
	grep -q 'hnbtre: ' "$tmp/err" && [ ! -e "$tmp/refused" ]
}
documented_bytes() {
	"$HNBTRE" key wrap "$PKI/device.key" "$tmp/w" &&
	{ printf 'HNBTRE-DEVKEY-1\0'
	  openssl pkcs8 -topk8 -nocrypt -in "$PKI/device.key" -outform DER; } |
		cmp - "$tmp/w"
}

tap_plan 8
check "wrapper = magic + PKCS#8 DER" documented_bytes
check "the wrapper file is private (0600)" test "$(stat -c %a "$tmp/w")" = 600
check "never overwrites a file" fails "$HNBTRE" key wrap "$PKI/device.key" "$tmp/w"
openssl pkcs8 -topk8 -nocrypt -in "$PKI/device.key" -outform DER > "$tmp/device.der"
check "DER input and '-' output give the same bytes" \
	sh -c "'$HNBTRE' key wrap '$tmp/device.der' - | cmp - '$tmp/w'"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out "$tmp/small.key" 2>/dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:4096 -out "$tmp/big.key" 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$tmp/ec.key" 2>/dev/null
openssl pkcs8 -topk8 -in "$PKI/device.key" -passout pass:secret -out "$tmp/enc.key" 2>/dev/null
check "RSA 1024 refused" refused "$tmp/small.key"
check "RSA 4096 refused" refused "$tmp/big.key"
check "EC key refused" refused "$tmp/ec.key"
check "encrypted PKCS#8 refused" refused "$tmp/enc.key"
exit $((failed > 0))
