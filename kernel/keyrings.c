// SPDX-License-Identifier: GPL-2.0-only
/*
 * What the module's keyrings (.hnbtre_roots, .hnbtre_device) share: a
 * restriction whose check is module code.  Userspace can keep such a
 * keyring alive after rmmod (a link from a session keyring, its serial),
 * so each restriction is owned by a key type of the module.  Unregistering
 * that type makes the key garbage collector replace the check of every
 * keyring it owns with restrict_link_reject(), under the keyring's
 * semaphore, before unregister_key_type() returns (keyring_restriction_gc()):
 * no link into them can reach the module's text once it is gone.
 */

#include <linux/key-type.h>
#include <linux/slab.h>

#include "hnbtre.h"

/*
 * Owns restrictions only.  The leading dot makes it internal: add_key(),
 * request_key() and keyctl refuse it to userspace (EPERM).
 */
static struct key_type restriction_owner = {
	.name = ".hnbtre_restriction",
};

/**
 * hnbtre_keyring_restriction - a restriction for one of the module's keyrings
 * @check: the module's check
 *
 * The keyring created with it frees it; hnbtre_keyrings_exit() retires it.
 *
 * Return: the restriction or NULL.
 */
struct key_restriction *hnbtre_keyring_restriction(key_restrict_link_func_t check)
{
	struct key_restriction *restriction;

	restriction = kzalloc(sizeof(*restriction), GFP_KERNEL);
	if (restriction) {
		restriction->check = check;
		restriction->keytype = &restriction_owner;
	}
	return restriction;
}

int hnbtre_keyrings_init(void)
{
	return register_key_type(&restriction_owner);
}

/**
 * hnbtre_keyrings_exit - retire the restrictions of the module's keyrings
 *
 * Every keyring that still exists refuses every link from now on.
 */
void hnbtre_keyrings_exit(void)
{
	unregister_key_type(&restriction_owner);
}
