#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# .hnbtre_roots: keys that chain to a root get in, nothing else does, and
# nothing can be removed, replaced or re-permissioned, not even by root.
. "$(dirname "$0")/lib.sh"
tap_init 13

roots=%:.hnbtre_roots
check "module loads; the component key chained to the root was added" fresh_module
serials() { keyctl rlist $roots | tr ' ' '\n'; }
root_key=$(serials | head -n 1)
ima_key=$(serials | tail -n 1)
check "the keyring holds the built-in root and the added key" \
	test "$(serials | wc -l)" = 2
check "a certificate from an untrusted CA is refused" \
	fails keyctl padd asymmetric "" $roots < "$PKI/evil-ima.der"
check "a self-signed certificate is refused" \
	fails keyctl padd asymmetric "" $roots < "$PKI/evil-root.der"
check "a key of another type is refused" fails keyctl add user x y $roots
check "unlink of a key is refused" fails keyctl unlink "$ima_key" $roots
check "clear is refused" fails keyctl clear $roots
check "revoke of the root is refused" fails keyctl revoke "$root_key"
check "invalidate of the root is refused" fails keyctl invalidate "$root_key"
check "setperm of the keyring is refused" fails keyctl setperm $roots 0x3f3f3f3f
check "linking the keyring elsewhere is refused" fails keyctl link $roots @s
check "a new restriction is refused" fails keyctl restrict_keyring $roots
check "after all that, the same two keys remain" \
	test "$(serials | tr '\n' ' ')" = "$root_key $ima_key "
tap_done
