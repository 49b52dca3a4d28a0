// SPDX-License-Identifier: GPL-2.0-only
/*
 * The persistent anti-rollback floor (Documentation/kernel.md,
 * "Anti-rollback"): with rollback_nv_index= set, the lowest manifest
 * version the device accepts is the value of that TPM 2.0 NV counter.  A
 * counter only counts up: no TPM command lowers or writes it, and one
 * defined anew after an undefine starts above every value a counter of
 * this TPM ever had.  The floor is read at load and raised, one increment
 * at a time, when a manifest of a higher version validates trusted.
 * Without the parameter the floor is the active manifest's version, for
 * this boot only.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/tpm.h>
#include <asm/unaligned.h>

#include "hnbtre.h"

static uint rollback_nv_index;
module_param(rollback_nv_index, uint, 0444);
MODULE_PARM_DESC(rollback_nv_index,
		 "TPM 2.0 NV counter holding the manifest version floor (0: none)");

/* Protected by hnbtre_lock after hnbtre_floor_init(). */
static u64 floor_version;

/*
 * A counter never goes back: a lower value means the index was replaced
 * since it was checked, and is ignored.
 */
static int floor_read(struct tpm_chip *chip)
{
	u8 value[8];
	int ret;

	ret = hnbtre_tpm2_nv_read(chip, rollback_nv_index, value, sizeof(value));
	if (ret)
		return ret;
	if (get_unaligned_be64(value) < floor_version)
		return -EIO;
	floor_version = get_unaligned_be64(value);
	return 0;
}

/* The index must be a counter the module can read and increment. */
static const char *floor_index_unusable(const struct hnbtre_nv_public *pub)
{
	if (TPMA_NV_TYPE(pub->attributes) != TPM_NT_COUNTER)
		return "not an NV counter (nt=counter): it could be written or lowered";
	if (pub->data_size != 8)
		return "not 8 bytes";
	if (!(pub->attributes & TPMA_NV_AUTHREAD) ||
	    !(pub->attributes & TPMA_NV_AUTHWRITE))
		return "needs authread and authwrite (with an empty auth value)";
	return NULL;
}

/**
 * hnbtre_floor_init - read the floor from the TPM
 *
 * A counter defined but never incremented is incremented once, which
 * sets it above any counter that existed before on this TPM.
 *
 * Return: 0, also without rollback_nv_index=; -errno (the module is
 * refused, with the reason in the log) if the index is configured but
 * cannot serve as the floor.
 */
int hnbtre_floor_init(void)
{
	struct hnbtre_nv_public pub;
	struct tpm_chip *chip;
	const char *why;
	int ret;

	if (!rollback_nv_index)
		return 0;
	chip = hnbtre_tpm2_chip();
	if (!chip) {
		pr_err("rollback_nv_index=0x%08x: no TPM 2.0\n",
		       rollback_nv_index);
		return -ENODEV;
	}
	ret = hnbtre_tpm2_nv_read_public(chip, rollback_nv_index, &pub);
	if (ret) {
		pr_err("rollback NV index 0x%08x: cannot read its public area: %d\n",
		       rollback_nv_index, ret);
		goto out;
	}
	why = floor_index_unusable(&pub);
	if (why) {
		pr_err("rollback NV index 0x%08x refused: %s\n",
		       rollback_nv_index, why);
		ret = -EPERM;
		goto out;
	}
	if (!(pub.attributes & TPMA_NV_WRITTEN))
		ret = hnbtre_tpm2_nv_increment(chip, rollback_nv_index);
	if (!ret)
		ret = floor_read(chip);
	if (ret)
		pr_err("rollback NV index 0x%08x: cannot read the counter: %d\n",
		       rollback_nv_index, ret);
	else
		pr_info("rollback floor %llu from TPM NV index 0x%08x\n",
			floor_version, rollback_nv_index);
out:
	put_device(&chip->dev);
	return ret;
}

/**
 * hnbtre_floor - the lowest manifest version the TPM allows
 *
 * Context: hnbtre_lock held.
 * Return: the floor; 0 without rollback_nv_index=.
 */
u64 hnbtre_floor(void)
{
	lockdep_assert_held(&hnbtre_lock);
	return floor_version;
}

/**
 * hnbtre_floor_check - may a manifest of this version be loaded
 * @version: its version
 *
 * Context: hnbtre_lock held.
 * Return: 0; -ESTALE below the floor; -ERANGE more than
 * HNBTRE_FLOOR_MAX_STEP above it (the counter would have to count that
 * far at the next trusted validation).
 */
int hnbtre_floor_check(u64 version)
{
	lockdep_assert_held(&hnbtre_lock);
	if (!rollback_nv_index)
		return 0;
	if (version < floor_version)
		return -ESTALE;
	if (version - floor_version > HNBTRE_FLOOR_MAX_STEP)
		return -ERANGE;
	return 0;
}

/**
 * hnbtre_floor_raise - raise the floor to a version that validated trusted
 * @version: the active manifest's version
 *
 * The counter is read, incremented until it reaches @version and read
 * back: the floor is what the TPM holds, also if someone else counted it
 * up.  A TPM error is logged and leaves the floor at what was last read;
 * the next trusted validation tries again.
 *
 * Context: hnbtre_lock held.
 */
void hnbtre_floor_raise(u64 version)
{
	struct tpm_chip *chip;
	u64 count;
	int ret;

	lockdep_assert_held(&hnbtre_lock);
	if (!rollback_nv_index || version <= floor_version)
		return;
	chip = hnbtre_tpm2_chip();
	if (!chip)
		return;
	ret = floor_read(chip);
	for (count = floor_version; !ret && count < version; count++)
		ret = hnbtre_tpm2_nv_increment(chip, rollback_nv_index);
	if (!ret)
		ret = floor_read(chip);
	if (ret)
		pr_err("rollback floor not raised to %llu: %d\n", version, ret);
	put_device(&chip->dev);
}

/**
 * hnbtre_floor_persistent - whether the floor is kept in the TPM
 *
 * Return: true with rollback_nv_index=.
 */
bool hnbtre_floor_persistent(void)
{
	return rollback_nv_index != 0;
}
