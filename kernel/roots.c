// SPDX-License-Identifier: GPL-2.0-only
/*
 * .hnbtre_roots: the operator roots held by the TrE (seed 002: "All root
 * certificates used for this purpose shall be stored in the TrE").
 *
 * The initial roots are built into the module (make HNBTRE_ROOTS=...).
 * Further keys are accepted only if they are signed by a key already in
 * the keyring or by the kernel's builtin or secondary trusted keys.  The
 * keyring and every key in it are KEEP: they cannot be unlinked, cleared,
 * revoked or invalidated, and nobody but the module may change their
 * permissions or restriction.
 */

#include <keys/asymmetric-type.h>
#include <linux/cred.h>
#include <linux/key.h>
#include <linux/slab.h>

#include "hnbtre.h"

struct key *hnbtre_roots;

static struct key_restriction *signed_by_a_root;
static struct key_restriction *signed_by_kernel_keys;

static int restrict_to_root_chains(struct key *dest_keyring,
				   const struct key_type *type,
				   const union key_payload *payload,
				   struct key *unused)
{
	int ret;

	ret = signed_by_a_root->check(dest_keyring, type, payload, NULL);
	if (ret == -ENOKEY)
		ret = signed_by_kernel_keys->check(dest_keyring, type,
						   payload, NULL);
	return ret;
}

/**
 * hnbtre_der_sequence_len - length of a DER SEQUENCE
 * @p: the data
 * @avail: bytes available at @p
 *
 * Definite lengths of up to two bytes: certificates and signatures here
 * are below 64 KiB.
 *
 * Return: the length of the SEQUENCE at @p with its tag and length, or 0
 * if @p does not start with one that fits in @avail.
 */
size_t hnbtre_der_sequence_len(const u8 *p, size_t avail)
{
	size_t len, hdr;

	if (avail < 2 || p[0] != 0x30)
		return 0;
	if (p[1] < 0x80) {
		hdr = 2;
		len = p[1];
	} else if (p[1] == 0x81 && avail >= 3) {
		hdr = 3;
		len = p[2];
	} else if (p[1] == 0x82 && avail >= 4) {
		hdr = 4;
		len = (p[2] << 8) | p[3];
	} else {
		return 0;
	}
	return hdr + len <= avail ? hdr + len : 0;
}

static int __init load_builtin_roots(void)
{
	const u8 *p = hnbtre_roots_der;
	size_t avail = hnbtre_roots_der_end - hnbtre_roots_der;

	while (avail) {
		size_t len = hnbtre_der_sequence_len(p, avail);
		key_ref_t key;

		if (!len) {
			pr_err("hnbtre: built-in roots are corrupt\n");
			return -EBADMSG;
		}
		key = key_create_or_update(make_key_ref(hnbtre_roots, 1),
					   "asymmetric", NULL, p, len,
					   (KEY_POS_ALL & ~KEY_POS_SETATTR) |
					   KEY_USR_VIEW | KEY_USR_READ,
					   KEY_ALLOC_NOT_IN_QUOTA |
					   KEY_ALLOC_BUILT_IN |
					   KEY_ALLOC_BYPASS_RESTRICTION);
		if (IS_ERR(key)) {
			pr_err("hnbtre: loading a built-in root: %ld\n",
			       PTR_ERR(key));
			return PTR_ERR(key);
		}
		pr_info("hnbtre: root '%s'\n", key_ref_to_ptr(key)->description);
		key_ref_put(key);
		p += len;
		avail -= len;
	}
	return 0;
}

static void free_restriction(struct key_restriction *r)
{
	if (IS_ERR_OR_NULL(r))
		return;
	key_put(r->key);
	kfree(r);
}

/**
 * hnbtre_roots_init - create .hnbtre_roots and load the built-in roots
 *
 * On error, hnbtre_roots_exit() undoes what was done.
 *
 * Return: 0 or -errno.
 */
int __init hnbtre_roots_init(void)
{
	struct key_restriction *restriction;
	struct key *keyring;

	signed_by_a_root =
		key_type_asymmetric.lookup_restriction("key_or_keyring:0:chain");
	signed_by_kernel_keys =
		key_type_asymmetric.lookup_restriction("builtin_and_secondary_trusted");
	if (IS_ERR(signed_by_a_root) || IS_ERR(signed_by_kernel_keys))
		return -ENOMEM;

	/* The keyring frees its restriction when it is destroyed. */
	restriction = hnbtre_keyring_restriction(restrict_to_root_chains);
	if (!restriction)
		return -ENOMEM;
	keyring = keyring_alloc(".hnbtre_roots", GLOBAL_ROOT_UID, GLOBAL_ROOT_GID,
				current_cred(),
				(KEY_POS_ALL & ~KEY_POS_SETATTR) |
				KEY_USR_VIEW | KEY_USR_READ |
				KEY_USR_SEARCH | KEY_USR_WRITE,
				KEY_ALLOC_NOT_IN_QUOTA | KEY_ALLOC_SET_KEEP,
				restriction, NULL);
	if (IS_ERR(keyring)) {
		kfree(restriction);
		return PTR_ERR(keyring);
	}
	hnbtre_roots = keyring;
	return load_builtin_roots();
}

/**
 * hnbtre_roots_exit - retire .hnbtre_roots
 *
 * The keyring is invalidated, so it is gone from every lookup at once and
 * garbage collected with its keys; a reloaded module starts afresh.  Call
 * it after hnbtre_keyrings_exit(): the keyring's check, which uses the
 * restrictions freed here, must be retired first.
 */
void hnbtre_roots_exit(void)
{
	if (hnbtre_roots) {
		key_invalidate(hnbtre_roots);
		key_put(hnbtre_roots);
		hnbtre_roots = NULL;
	}
	free_restriction(signed_by_a_root);
	free_restriction(signed_by_kernel_keys);
	signed_by_a_root = NULL;
	signed_by_kernel_keys = NULL;
}
