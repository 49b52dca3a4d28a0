#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Keys at rest at start-up (Documentation/devkey.md, "Keys at rest"):
# hnbtre-start with a sealed device key and attestation key, no key
# material of either on storage or in any process's memory after it, and
# hnbtre-start's refusal of a clear key without CLEAR_KEYS=yes.  One release: one verdict PCR still at its reset
# value.  TAP 13; run as root in a VM with a TPM.
. "$(dirname "$0")/gate_lib.sh"
CHECKS=7
tpm2_init $CHECKS

parent=0x81000001
need_reset_pcrs 1
PE=${RESET_PCRS[0]}
id=$(cat "$PKI/identity")
seal_word() { sed -n "s/^$1 //p" $SFS/seal; }
has_key() { keyctl search %:.hnbtre_device asymmetric "hnbtre:$1" > /dev/null 2>&1; }
make_components "$WORK/c" 2
signed_manifest "$WORK/m" 1 "$WORK"/c/c*
keyctl new_session > /dev/null
touch "$WORK/start"
# --- hnbtre-start with sealed keys: no key material on storage or in
# any process's memory after it.  Known keys (device and attestation),
# in memory only (/dev/shm), sealed and gone before hnbtre-start runs:
# the scans look for slices of their primes and private exponents,
# masked so that the scanner never holds them in clear.
[ ! -d $SFS ] || unload_pinned
start_conf() {
	cat > "$WORK/start.conf" <<EOC
IDENTITY=$id
MODULE=$MODULE
MANIFEST=$WORK/m
ROOT_CERTS="$PKI/signer.der $PKI/pkg-signer.der $PKI/ima.der"
DEVICE_KEY=$1
ATTEST_CERT=$WORK/ak.der
VERDICT_PCR=$PE
HNBTRE=$HNBTRE
WATCHER_PIDFILE=$WORK/watcher.pid
$2
EOC
}
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out /dev/shm/k.pem 2>/dev/null
openssl pkey -in /dev/shm/k.pem -pubout -out "$WORK/k.pub"
# the attestation key and its certificate from the test operator CA
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out /dev/shm/ak.pem 2>/dev/null
printf '%s\n' "basicConstraints=critical,CA:FALSE" "subjectKeyIdentifier=hash" \
	"authorityKeyIdentifier=keyid:always" "keyUsage=critical,digitalSignature" \
	"extendedKeyUsage=2.25.133552708805364161004282974501280483023.1.4" \
	"subjectAltName=URI:urn:hnbtre:identity:$id" > "$WORK/ak.ext"
openssl req -new -key /dev/shm/ak.pem -subj "/O=hnbtre test operator/CN=$id" |
	openssl x509 -req -CA "$PKI/root.pem" -CAkey "$PKI/root.key" -days 1 -sha256 \
		-extfile "$WORK/ak.ext" -outform DER -out "$WORK/ak.der" 2>/dev/null
python3 - /dev/shm/k.pem /dev/shm/ak.pem "$WORK/needles" <<'EOF'
import subprocess, sys
out = []
for key in sys.argv[1:-1]:
    text = subprocess.run(['openssl', 'rsa', '-in', key, '-noout', '-text'],
                          capture_output=True, text=True).stdout
    fields, cur = {}, None
    for line in text.splitlines():
        if not line.startswith(' '):
            cur = line.split(':')[0]
            fields[cur] = ''
        elif cur:
            fields[cur] += line.strip().replace(':', '')
    for name in ('privateExponent', 'prime1', 'prime2'):
        raw = bytes.fromhex(fields[name])[-40:-8]
        for form in (raw, raw.hex().encode(), raw.hex().upper().encode()):
            out.append(bytes(b ^ 0x5a for b in form).hex())
open(sys.argv[-1], 'w').write('\n'.join(out) + '\n')
EOF
"$HNBTRE" key seal --verdict-pcr $PE /dev/shm/k.pem "$WORK/k.sealed"
"$HNBTRE" key seal --attest --verdict-pcr $PE /dev/shm/ak.pem "$WORK/ak.sealed"
shred -u /dev/shm/k.pem /dev/shm/ak.pem
check "hnbtre-start with the sealed key: trusted, unsealed, admitted, signing for its public key" \
	eval "start_conf $WORK/k.sealed ATTEST_KEY=$WORK/ak.sealed && $TOP/policy/init/hnbtre-start $WORK/start.conf 2> $WORK/start.log &&
	      [ \"\$(seal_word device_key)\" = admitted ] && grep -q 'sealed keys: verdict_pcr $PE' $WORK/start.log &&
	      keyctl link %:.hnbtre_device @s && key=\$(keyctl search %:.hnbtre_device asymmetric hnbtre:device) &&
	      head -c 32 /dev/urandom > $WORK/dg && keyctl pkey_sign \$key 0 $WORK/dg enc=pkcs1 hash=sha256 > $WORK/sig &&
	      openssl pkeyutl -verify -pubin -inkey $WORK/k.pub -in $WORK/dg -sigfile $WORK/sig -pkeyopt digest:sha256"
check "and the sealed attestation key: released by the trusted verdict, an attestation verifies" \
	eval "[ \"\$(seal_word attest_key_trusted)\" = admitted ] && attests"
# scan: every file written in this boot and the memory of every process.
scan() {
	python3 - "$WORK/needles" "$@" <<'EOF'
import os, sys
flip = bytes(b ^ 0x5a for b in range(256))
needles = [bytes.fromhex(l) for l in open(sys.argv[1]).read().split()]
def hit(data):
    data = data.translate(flip)
    return any(n in data for n in needles)
found = []
if sys.argv[2] == 'files':
    for top in sys.argv[3:]:
        for d, _, names in os.walk(top):
            for n in names:
                p = os.path.join(d, n)
                try:
                    if os.path.isfile(p) and not os.path.islink(p) and hit(open(p, 'rb').read()):
                        found.append(p)
                except OSError:
                    pass
else:
    for pid in filter(str.isdigit, os.listdir('/proc')):
        if int(pid) == os.getpid():
            continue
        try:
            maps = open('/proc/%s/maps' % pid).read().splitlines()
            mem = open('/proc/%s/mem' % pid, 'rb', 0)
        except OSError:
            continue
        for m in maps:
            addr, perms = m.split()[:2]
            if perms[0] != 'r':
                continue
            lo, hi = (int(x, 16) for x in addr.split('-'))
            try:
                mem.seek(lo)
                if hit(mem.read(hi - lo)):
                    found.append('%s %s' % (pid, m))
            except (OSError, ValueError, OverflowError):
                pass
print('\n'.join(found))
sys.exit(1 if found else 0)
EOF
}
check "the scan finds the key while it is in a file (the scan can fail)" \
	eval "openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out $WORK/probe.pem 2>/dev/null &&
	      cp $WORK/needles $WORK/needles.real && python3 -c \"
import subprocess
t = subprocess.run(['openssl','rsa','-in','$WORK/probe.pem','-noout','-text'],capture_output=True,text=True).stdout
h = t.split('prime1:')[1].split('prime2:')[0].replace(' ','').replace(':','').replace(chr(10),'')
raw = bytes.fromhex(h)[-40:-8]
open('$WORK/needles','w').write(bytes(b ^ 0x5a for b in raw).hex() + chr(10))
\" && openssl rsa -in $WORK/probe.pem -outform DER -out $WORK/probe.der 2>/dev/null;
	      ! scan files $WORK > /dev/null; r=\$?; cp $WORK/needles.real $WORK/needles; rm -f $WORK/probe.*; exit \$r"
check "no key material on storage: the work directory, /dev/shm, /run, /var/tmp, new files in /tmp, /root, /etc" \
	eval "scan files $WORK /dev/shm /run /var/tmp \$(find /tmp /root /etc -maxdepth 2 -xdev -newer $WORK/start -type f 2>/dev/null)"
check "no key material in the memory of any process (/proc/*/mem)" scan mem

unload_pinned
wrap_key "$PKI/device.key" "$WORK/device.wrapped"
wrap_key "$PKI/attest.key" "$WORK/attest.wrapped"
check "hnbtre-start refuses a clear key unless CLEAR_KEYS=yes, and warns with it" \
	eval "start_conf $WORK/device.wrapped && $TOP/policy/init/hnbtre-start $WORK/start.conf 2> $WORK/start.log;
	      grep -q 'device key in clear refused' $WORK/start.log && ! has_key device && unload_pinned &&
	      start_conf $WORK/device.wrapped CLEAR_KEYS=yes && $TOP/policy/init/hnbtre-start $WORK/start.conf 2> $WORK/start.log &&
	      grep -q 'WARNING: device key in clear on storage' $WORK/start.log && keyctl link %:.hnbtre_device @s && has_key device"
unload_pinned
check "hnbtre-start refuses a clear attestation key unless CLEAR_KEYS=yes, and warns with it" \
	eval "start_conf $WORK/device.wrapped 'ATTEST_KEY=$WORK/attest.wrapped
CLEAR_KEYS=no
ATTEST_CERT=$PKI/attest.der' && $TOP/policy/init/hnbtre-start $WORK/start.conf 2> $WORK/start.log;
	      grep -q 'attestation key in clear refused' $WORK/start.log && ! $HNBTRE attest --nonce 00112233445566778899aabbccddeeff > /dev/null 2>&1 &&
	      unload_pinned && start_conf $WORK/device.wrapped 'ATTEST_KEY=$WORK/attest.wrapped
ATTEST_CERT=$PKI/attest.der
CLEAR_KEYS=yes' && $TOP/policy/init/hnbtre-start $WORK/start.conf 2> $WORK/start.log &&
	      grep -q 'WARNING: attestation key in clear on storage' $WORK/start.log &&
	      $HNBTRE attest --nonce 00112233445566778899aabbccddeeff > /dev/null"
unload_pinned
rm -rf "$WORK"
tap_done
