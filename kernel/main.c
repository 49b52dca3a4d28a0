// SPDX-License-Identifier: GPL-2.0-only
/*
 * hnbtre: the trusted environment (TrE) of a Linux H(e)NB.
 *
 * Secure start-up validation of the designated components against a
 * signed manifest of reference values, the TrE state and its exposure.
 * Documentation/kernel.md describes the design.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/init.h>
#include <linux/module.h>

#include "hnbtre.h"

static int __init hnbtre_init(void)
{
	int ret;

	ret = hnbtre_floor_init();
	if (ret)
		return ret;
	ret = hnbtre_keyrings_init();
	if (ret)
		return ret;
	ret = hnbtre_roots_init();
	if (ret)
		goto out_roots;
	ret = hnbtre_state_init();
	if (ret)
		goto out_roots;
	ret = hnbtre_fs_init();
	if (ret)
		goto out_state;
	ret = hnbtre_state_fs_init();
	if (!ret)
		ret = hnbtre_manifest_fs_init();
	if (ret)
		goto out_fs;
	ret = hnbtre_seal_init();
	if (!ret)
		ret = hnbtre_devkey_init();
	if (ret)
		goto out_seal;
	ret = hnbtre_identity_init();
	if (!ret)
		ret = hnbtre_attest_init();
	if (!ret)
		ret = hnbtre_attest_key_init();
	if (!ret)
		ret = hnbtre_distress_init();
	if (!ret)
		ret = hnbtre_package_init();
	if (!ret)
		ret = hnbtre_roots_fs_init();
	if (ret)
		goto out_devkey;
	pr_info("TrE ready, state unvalidated, PCR %d\n", hnbtre_pcr);
	return 0;

out_devkey:
	hnbtre_devkey_exit();
out_seal:
	hnbtre_seal_exit();
out_fs:
	hnbtre_fs_exit();
	hnbtre_attest_key_exit();
out_state:
	hnbtre_state_exit();
out_roots:
	hnbtre_keyrings_exit();
	hnbtre_roots_exit();
	return ret;
}

static void __exit hnbtre_exit(void)
{
	/*
	 * No new requests first, then the state, then what it relies on.
	 * The keyrings' checks are retired before the roots' restrictions
	 * that one of them uses are freed.
	 */
	hnbtre_fs_exit();
	hnbtre_attest_key_exit();
	hnbtre_devkey_exit();
	hnbtre_state_exit();
	hnbtre_seal_exit();
	hnbtre_keyrings_exit();
	hnbtre_roots_exit();
}

/* Built in, it must start after IMA and the TPM driver. */
late_initcall(hnbtre_init);
module_exit(hnbtre_exit);

MODULE_DESCRIPTION("hnbtre: trusted environment of a femtocell (H(e)NB)");
MODULE_LICENSE("GPL");
