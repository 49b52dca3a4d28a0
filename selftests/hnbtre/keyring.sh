#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# .hnbtre_roots and the signer keyrings: certificates get in only through
# the TrE's "roots" file (roles.sh), keyctl adds nothing, and nothing can
# be removed, replaced or re-permissioned, not even by root.
. "$(dirname "$0")/lib.sh"
tap_init 25

roots=%:.hnbtre_roots
signers=%:.hnbtre_component_signers
check "module loads; the test signers were admitted" fresh_module
serials() { keyctl rlist "$1" | tr ' ' '\n'; }
root_key=$(serials $roots | head -n 1)
ima_key=$(serials $signers | head -n 1)
# Everything an attempt could change: members, their descriptions and
# permissions, and the keyrings' own.
keyring_view() {
	local key
	for key in $roots $(serials $roots) $signers $(serials $signers); do
		keyctl rdescribe "$key" || return 1
	done
}
before=$(keyring_view)
check "the roots hold the built-in root, the component signers the admitted key" \
	test "$(serials $roots | wc -l)" = 1 -a "$(serials $signers | wc -l)" = 1
check "keyctl padd of a certificate from an untrusted CA is refused" \
	fails keyctl padd asymmetric "" $roots < "$PKI/evil-ima.der"
check "keyctl padd of the root's own component signer is refused" \
	fails keyctl padd asymmetric "" $signers < "$PKI/ima.der"
check "a self-signed certificate is refused" \
	fails keyctl padd asymmetric "" $roots < "$PKI/evil-root.der"
check "a key of another type is refused" fails keyctl add user x y $roots
# The restriction also holds for keys made elsewhere and linked in.
outside_key=$(keyctl padd asymmetric "" @s < "$PKI/evil-ima.der")
check "linking in an untrusted key from another keyring is refused" \
	fails keyctl link "$outside_key" $roots
check "unlink of the admitted signer is refused" fails keyctl unlink "$ima_key" $signers
check "unlink of the root is refused" fails keyctl unlink "$root_key" $roots
check "clear is refused" fails keyctl clear $roots
check "clear of the signers is refused" fails keyctl clear $signers
check "revoke of the signer keyring is refused" fails keyctl revoke $signers
check "revoke of the root is refused" fails keyctl revoke "$root_key"
check "revoke of the added key is refused" fails keyctl revoke "$ima_key"
check "revoke of the keyring is refused" fails keyctl revoke $roots
check "invalidate of the root is refused" fails keyctl invalidate "$root_key"
check "invalidate of the keyring is refused" fails keyctl invalidate $roots
check "setperm of the keyring is refused" fails keyctl setperm $roots 0x3f3f3f3f
check "setperm of a key is refused" fails keyctl setperm "$ima_key" 0x3f3f3f3f
check "chown of the keyring is refused" fails keyctl chown $roots 65534
check "a timeout on the root is refused" fails keyctl timeout "$root_key" 1
check "linking the keyring elsewhere is refused" fails keyctl link $roots @s
check "a new restriction is refused" fails keyctl restrict_keyring $roots
check "a new restriction of the signers is refused" fails keyctl restrict_keyring $signers
sleep 1.5
unchanged() {
	[ "$(echo "$before" | wc -l)" = 4 ] && [ "$(keyring_view)" = "$before" ]
}
check "after all that, the same keys with the same permissions remain" unchanged
rm -rf "$WORK"
tap_done
