#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Keys at rest (Documentation/devkey.md, "Keys at rest"): keys sealed by
# this TPM, unsealed by the TrE only, released by the start-up verdict,
# the verdict PCR capped after.  Each module load of this test uses its
# own verdict PCR (verdict_pcr=): a PCR only a reboot resets, so one boot
# gives one release per PCR.  The attacks are what root on the device can
# do with tpm2-tools.  TAP 13; run as root in a VM with a TPM.
. "$(dirname "$0")/gate_lib.sh"
CHECKS=36
tpm2_init $CHECKS

parent=0x81000001
id=$(cat "$PKI/identity")
need_reset_pcrs 4
PA=${RESET_PCRS[0]}
PB=${RESET_PCRS[1]}
PC=${RESET_PCRS[2]}
PD=${RESET_PCRS[3]}
zero=$(printf '0%.0s' $(seq 64))
# verdict WORD: SHA-256(HNBTRE_VERDICT_PREFIX WORD) in hex.
verdict() { printf 'HNBTRE-VERDICT-1 %s' "$1" | sha256sum | cut -c1-64; }
zero=$(printf '0%.0s' $(seq 64))
# capped: the value of a verdict PCR after the TrE's verdict and cap.
capped() {
	perl -MDigest::SHA=sha256 -e '
		$p = sha256(pack("H*", "'$zero'") . pack("H*", "'"$(verdict "$1")"'"));
		$p = sha256($p . pack("H*", "'"$(verdict closed)"'"));
		print uc unpack("H*", $p)'
}
seal_word() { sed -n "s/^$1 //p" $SFS/seal; }
has_key() { keyctl search %:.hnbtre_device asymmetric "hnbtre:$1" > /dev/null 2>&1; }

# split BLOB DIR: the TPM2B_PUBLIC and TPM2B_PRIVATE out of a sealed
# blob (the layout of <linux/hnbtre.h>), for tpm2_load.
split() {
	python3 - "$1" "$2" <<'EOF'
import struct, sys
b = open(sys.argv[1], 'rb').read()
assert b[:16] == b'HNBTRE-SEALED-1\0'
mask, pub, priv, ct = struct.unpack('>IHHH', b[16:26])
open(sys.argv[2] + '/pub', 'wb').write(b[26:26 + pub])
open(sys.argv[2] + '/priv', 'wb').write(b[26 + pub:26 + pub + priv])
EOF
}
# root_unseal BLOB PCR: every route root has to the sealed KEK, as
# tpm2-tools take it: 0 one route unsealed it, 1 the object loaded but
# every route was refused, 2 the object did not even load.
root_unseal() {
	local d
	d=$(mktemp -d "$WORK/u.XXXX")
	split "$1" "$d" &&
	tpm2_load -Q -C $parent -u "$d/pub" -r "$d/priv" -c "$d/obj.ctx" 2>/dev/null || return 2
	tpm2_unseal -c "$d/obj.ctx" -p "pcr:sha256:$2" > /dev/null 2>&1 && return 0
	tpm2_unseal -c "$d/obj.ctx" > /dev/null 2>&1 && return 0
	tpm2_unseal -c "$d/obj.ctx" -p "" > /dev/null 2>&1 && return 0
	return 1
}
# pair AK DIR: the two blobs of a sealed attestation key (the one
# released by trusted, then the one released by failed) as DIR/ak.1
# and DIR/ak.2.
pair() {
	python3 - "$1" "$2" <<'EOF'
import struct, sys
b = open(sys.argv[1], 'rb').read()
for n in (1, 2):
    assert b[:16] == b'HNBTRE-SEALED-1\0'
    pub, priv, ct = struct.unpack('>HHH', b[20:26])
    end = 26 + pub + priv + 12 + ct + 16
    open('%s/ak.%d' % (sys.argv[2], n), 'wb').write(b[:end])
    b = b[end:]
assert not b
EOF
}
# ak_unseal_refused AK PCR: after the cap, neither blob unseals.
ak_unseal_refused() {
	local d
	d=$(mktemp -d "$WORK/p.XXXX")
	pair "$1" "$d" && unseal_refused "$d/ak.1" "$2" && unseal_refused "$d/ak.2" "$2"
}
# released_and_capped VERDICT OTHER PCR: three checks after a start-up
# that ended VERDICT: the attestation key's VERDICT blob admitted and the
# OTHER one not, an attestation saying VERDICT; PCR holds VERDICT and the
# cap; neither blob of the attestation key unseals any more.
released_and_capped() {
	check "$1 start-up: the attestation key's $1 blob released, the $2 one not; the attestation says $1" \
		eval "[ \"\$(seal_word attest_key_$1)\" = admitted ] &&
		      [ \"\$(seal_word attest_key_$2)\" = not-released ] && attests $1"
	check "PCR $3 holds the $1 verdict and the cap" pcr_is sha256:$3 "$(capped $1)"
	check "after the cap: tpm2_unseal fails for both blobs of the attestation key" \
		ak_unseal_refused "$WORK/ak$3" $3
}
# unseal_refused BLOB PCR: it loads, and no route unseals it.
unseal_refused() {
	root_unseal "$@"
	local r=$?
	[ $r = 1 ] || { echo "root_unseal: $r, expected 1 (loaded, refused)"; return 1; }
}
# a trusted manifest and a second one whose start-up fails (mismatch)
make_components "$WORK/c" 2
signed_manifest "$WORK/m" 1 "$WORK"/c/c*
make_components "$WORK/f" 2
signed_manifest "$WORK/mf" 1 "$WORK"/f/c*
echo changed | rewrite_component "$WORK/f/c1"
keyctl new_session > /dev/null
touch "$WORK/start"

check "verdict_pcr= outside 0-15 (23 is resettable), IMA's or the TrE's PCR: module refused" \
	eval "unload_pinned 2>/dev/null; ! insmod $MODULE verdict_pcr=23 2>/dev/null &&
	      ! insmod $MODULE verdict_pcr=10 2>/dev/null && ! insmod $MODULE verdict_pcr=11 2>/dev/null"

# --- PCR $PA: a trusted start-up releases the device key, then the cap.
check "hnbtre key generate and key seal: device keys and distress credentials sealed (parent made if absent)" \
	eval "$HNBTRE key generate --identity '$id' --verdict-pcr $PA $WORK/dev$PA $WORK/dev$PA.csr &&
	      $HNBTRE key seal --distress --verdict-pcr $PA $PKI/distress.key $WORK/dis$PA &&
	      $HNBTRE key seal --verdict-pcr $PB $PKI/device.key $WORK/dev$PB &&
	      $HNBTRE key seal --distress --verdict-pcr $PB $PKI/distress.key $WORK/dis$PB &&
	      tpm2_readpublic -c $parent > /dev/null"
check "the CSR carries the identity (CN and URI) and verifies; key generate never overwrites" \
	eval "openssl req -in $WORK/dev$PA.csr -verify -noout 2>&1 | grep -q 'verify OK' &&
	      openssl req -in $WORK/dev$PA.csr -noout -subject | grep -qF 'CN = $id' &&
	      openssl req -in $WORK/dev$PA.csr -noout -text | grep -qF 'URI:urn:hnbtre:identity:$id' &&
	      ! $HNBTRE key generate --identity '$id' --verdict-pcr $PA $WORK/dev$PA $WORK/other.csr 2>/dev/null"
check "key seal --attest: the attestation key sealed twice (to trusted, then to failed) in one file, no clear key" \
	eval "$HNBTRE key seal --attest --verdict-pcr $PA $PKI/attest.key $WORK/ak$PA &&
	      $HNBTRE key seal --attest --verdict-pcr $PB $PKI/attest.key $WORK/ak$PB &&
	      [ \$(grep -aoF HNBTRE-SEALED-1 $WORK/ak$PA | wc -l) = 2 ] && pair $WORK/ak$PA $WORK &&
	      ! grep -qa 'HNBTRE-DEVKEY-1' $WORK/ak$PA"
check "key generate --attest: a sealed pair and a CSR with the identity that asks for the attestation role" \
	eval "$HNBTRE key generate --attest --identity '$id' --verdict-pcr $PA $WORK/akgen $WORK/akgen.csr &&
	      [ \$(grep -aoF HNBTRE-SEALED-1 $WORK/akgen | wc -l) = 2 ] &&
	      openssl req -in $WORK/akgen.csr -verify -noout 2>&1 | grep -q 'verify OK' &&
	      openssl req -in $WORK/akgen.csr -noout -subject | grep -qF 'CN = $id' &&
	      openssl req -in $WORK/akgen.csr -noout -text | grep -qF '2.25.133552708805364161004282974501280483023.1.4'"
check "a sealed blob holds no clear key" \
	eval "! grep -qa 'HNBTRE-DEVKEY-1' $WORK/dev$PB &&
	      ! grep -qaF \"\$(openssl pkcs8 -topk8 -nocrypt -in $PKI/device.key -outform DER | head -c 200 | tail -c 32)\" $WORK/dev$PB"
fresh_module verdict_pcr=$PA identity="$id" > /dev/null
check "a malformed blob: EBADMSG" \
	eval "head -c 100 $WORK/dev$PA > $WORK/short && ! expect_errno OK $SFS/device_key < $WORK/short 2>/dev/null;
	      { head -c 30 $WORK/dev$PA; printf 'x%.0s' \$(seq 200); } > $WORK/bad && expect_errno EBADMSG $SFS/device_key < $WORK/bad"
check_write "a blob whose policy does not cover verdict PCR $PA: EINVAL" \
	EINVAL $SFS/device_key "$WORK/dev$PB"
check "sealed device key and distress credential kept: seal says pending" \
	eval "expect_errno OK $SFS/device_key < $WORK/dev$PA && expect_errno OK $SFS/distress_key < $WORK/dis$PA &&
	      [ \"\$(seal_word release)\" = pending ] && [ \"\$(seal_word device_key)\" = pending ] &&
	      ! has_key device"
check_write "a second blob of the same kind: EEXIST" EEXIST $SFS/device_key "$WORK/dev$PA"
check "sealed attestation key kept: both blobs pending, no attestation before the release" \
	eval "expect_errno OK $SFS/attest_key < $WORK/ak$PA && expect_errno OK $SFS/attest_cert < $PKI/attest.der &&
	      [ \"\$(seal_word attest_key_trusted)\" = pending ] && [ \"\$(seal_word attest_key_failed)\" = pending ] &&
	      ! attests 2>/dev/null"
check "trusted start-up: device key admitted, distress credential not released" \
	eval "cat $WORK/m > $SFS/manifest && [ \$(state) = trusted ] &&
	      [ \"\$(seal_word release)\" = trusted ] && [ \"\$(seal_word device_key)\" = admitted ] &&
	      [ \"\$(seal_word distress_key)\" = not-released ] && keyctl link %:.hnbtre_device @s && has_key device &&
	      ! has_key distress"
check "the unsealed key is the generated one: its signature verifies with the CSR's public key" \
	eval "key=\$(keyctl search %:.hnbtre_device asymmetric hnbtre:device) &&
	      head -c 32 /dev/urandom > $WORK/dg && keyctl pkey_sign \$key 0 $WORK/dg enc=pkcs1 hash=sha256 > $WORK/sig &&
	      openssl req -in $WORK/dev$PA.csr -pubkey -noout > $WORK/pub.pem &&
	      openssl pkeyutl -verify -pubin -inkey $WORK/pub.pem -in $WORK/dg -sigfile $WORK/sig -pkeyopt digest:sha256"
released_and_capped trusted failed $PA
check "after the cap: tpm2_unseal (PCR policy, password, empty) fails" \
	unseal_refused "$WORK/dev$PA" $PA
check "root extends PCR $PA with the trusted verdict after the module: tpm2_unseal still fails" \
	eval "tpm2_pcrextend $PA:sha256=$(verdict trusted) && unseal_refused $WORK/dev$PA $PA"
check_write "a blob after the release: EKEYEXPIRED" EKEYEXPIRED $SFS/distress_key "$WORK/dis$PA"
check "a later validation releases nothing more" \
	eval "echo 1 > $SFS/validate && [ \"\$(seal_word distress_key)\" = not-released ]"

# --- PCR $PB: a failed start-up releases the distress credential only.
fresh_module verdict_pcr=$PB identity="$id" > /dev/null
check "failed start-up: distress credential admitted, device key never unsealed" \
	eval "expect_errno OK $SFS/device_key < $WORK/dev$PB && expect_errno OK $SFS/distress_key < $WORK/dis$PB &&
	      expect_errno OK $SFS/attest_key < $WORK/ak$PB && expect_errno OK $SFS/attest_cert < $PKI/attest.der &&
	      cat $WORK/mf > $SFS/manifest; [ \$(state) = failed ] &&
	      [ \"\$(seal_word release)\" = failed ] && [ \"\$(seal_word device_key)\" = not-released ] &&
	      [ \"\$(seal_word distress_key)\" = admitted ] && keyctl link %:.hnbtre_device @s &&
	      has_key distress && ! has_key device"
released_and_capped failed trusted $PB
check "the device key sealed to trusted: root cannot unseal it either" \
	unseal_refused "$WORK/dev$PB" $PB
check "a repair and a trusted validation later release nothing" \
	eval "echo 'component 1 of $WORK/f' | rewrite_component $WORK/f/c1 && echo 1 > $SFS/validate &&
	      [ \$(state) = trusted ] && [ \"\$(seal_word device_key)\" = not-released ] && ! has_key device"

# --- PCR $PC: root extends the verdict PCR before the module loads.
unload_pinned
check "root extends PCR $PC with the trusted verdict before the module" \
	eval "$HNBTRE key seal --verdict-pcr $PC $PKI/device.key $WORK/dev$PC &&
	      tpm2_pcrextend $PC:sha256=$(verdict trusted)"
check "module form, what does not hold: root that extends first unseals itself (a boot PCR must prevent it)" \
	root_unseal "$WORK/dev$PC" $PC
fresh_module verdict_pcr=$PC > /dev/null
check "the TrE refuses to unseal: release refused, no device key" \
	eval "expect_errno OK $SFS/device_key < $WORK/dev$PC && cat $WORK/m > $SFS/manifest &&
	      [ \$(state) = trusted ] &&
	      [ \"\$(seal_word release)\" = 'refused verdict PCR extended before the TrE' ] &&
	      [ \"\$(seal_word device_key)\" = refused ] && ! has_key device"
check "the kernel log says why" \
	eval "dmesg | grep -q 'verdict PCR $PC: verdict PCR extended before the TrE'"
check "and the PCR is capped on top: root's unseal fails after the module too" \
	unseal_refused "$WORK/dev$PC" $PC

# --- PCR $PD: the blobs of this TPM in another TPM.  TPM2_Clear gives
# this TPM a new storage seed, as a fresh swtpm has its own: the parent
# made anew at the same handle is another key.
unload_pinned
check "TPM2_Clear, a new parent at the same handle (a fresh TPM's)" \
	eval "$HNBTRE key seal --verdict-pcr $PD $PKI/device.key $WORK/dev$PD &&
	      $HNBTRE key seal --attest --verdict-pcr $PD $PKI/attest.key $WORK/ak$PD &&
	      tpm2_clear -c l && ! tpm2_readpublic -c $parent > /dev/null 2>&1 &&
	      $HNBTRE key seal --verdict-pcr $PD $PKI/distress.key $WORK/other$PD && tpm2_readpublic -c $parent > /dev/null"
fresh_module verdict_pcr=$PD > /dev/null
check "the copied blob is useless: TPM2_Load fails, no device key" \
	eval "expect_errno OK $SFS/device_key < $WORK/dev$PD && expect_errno OK $SFS/attest_key < $WORK/ak$PD &&
	      expect_errno OK $SFS/attest_cert < $PKI/attest.der && cat $WORK/m > $SFS/manifest &&
	      [ \$(state) = trusted ] && seal_word device_key | grep -q '^failed ' && ! has_key device"
check "the copied attestation key is useless too: not released, no attestation" \
	eval "seal_word attest_key_trusted | grep -q '^failed ' && ! attests 2>/dev/null"
check "and root cannot load it either" eval "root_unseal $WORK/dev$PD $PD; [ \$? = 2 ]"
check "the kernel log names the key not released" \
	eval "dmesg | grep -q 'device_key: sealed key not released'"
unload_pinned
rm -rf "$WORK"
tap_done
