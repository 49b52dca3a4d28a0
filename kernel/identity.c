// SPDX-License-Identifier: GPL-2.0-only
/*
 * The H(e)NB identity, set once per boot (Documentation/devkey.md):
 * the module parameter identity= (hnbtre.identity= on the kernel command
 * line when built in) or else the TPM NV index identity_nv_index=, read
 * once at initialisation.  Neither can change afterwards.  The status file
 * and the attestation say which one it came from: only an index that
 * nobody can rewrite is accepted, identity= is for boards without a TPM.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ctype.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/string.h>
#include <linux/tpm.h>

#include "hnbtre.h"

static char *identity_param;
module_param_named(identity, identity_param, charp, 0444);
MODULE_PARM_DESC(identity, "H(e)NB identity (printable ASCII, 1..128 bytes)");

static uint identity_nv_index;
module_param(identity_nv_index, uint, 0444);
MODULE_PARM_DESC(identity_nv_index,
		 "TPM 2.0 NV index holding the identity when identity= is unset");

static char identity[HNBTRE_IDENTITY_MAX + 1];
static size_t identity_len;
static enum hnbtre_identity_source identity_source;

static bool identity_valid(const char *s, size_t len)
{
	size_t i;

	if (len < 1 || len > HNBTRE_IDENTITY_MAX)
		return false;
	for (i = 0; i < len; i++)
		if (s[i] <= 0x20 || s[i] >= 0x7f)
			return false;
	return true;
}

/*
 * Why an NV index cannot be the identity: anyone holding its write
 * authorization could rewrite it (Documentation/devkey.md, "Identity").
 * Only a written ordinary index whose write lock lasts until the index is
 * deleted (TPMA_NV_WRITEDEFINE, locked by TPM2_NV_WriteLock) qualifies.
 */
static const char *nv_identity_unusable(const struct hnbtre_nv_public *pub)
{
	if (TPMA_NV_TYPE(pub->attributes) != TPM_NT_ORDINARY)
		return "not an ordinary index";
	if (!(pub->attributes & TPMA_NV_WRITTEN))
		return "never written";
	if (!(pub->attributes & TPMA_NV_WRITELOCKED))
		return "not write-locked: it can be rewritten";
	if (!(pub->attributes & TPMA_NV_WRITEDEFINE))
		return "its write lock ends at the next TPM reset (no writedefine)";
	if (pub->data_size < 1 || pub->data_size > HNBTRE_IDENTITY_MAX)
		return "size not 1..128 bytes";
	if (!(pub->attributes & TPMA_NV_AUTHREAD))
		return "not readable with its own (empty) authorization (authread)";
	return NULL;
}

static void identity_from_nv(void)
{
	struct tpm_chip *chip = hnbtre_tpm2_chip();
	struct hnbtre_nv_public pub;
	char value[HNBTRE_IDENTITY_MAX];
	const char *why;
	int ret;

	if (!chip) {
		pr_err("identity_nv_index=0x%08x: no TPM 2.0\n",
		       identity_nv_index);
		return;
	}
	ret = hnbtre_tpm2_nv_read_public(chip, identity_nv_index, &pub);
	if (ret) {
		pr_err("identity NV index 0x%08x: cannot read its public area: %d\n",
		       identity_nv_index, ret);
		goto out;
	}
	why = nv_identity_unusable(&pub);
	if (why) {
		pr_err("identity NV index 0x%08x refused: %s\n",
		       identity_nv_index, why);
		goto out;
	}
	ret = hnbtre_tpm2_nv_read(chip, identity_nv_index, value,
				  pub.data_size);
	if (ret) {
		pr_err("identity NV index 0x%08x: cannot read it: %d\n",
		       identity_nv_index, ret);
	} else if (!identity_valid(value, pub.data_size)) {
		pr_err("identity NV index 0x%08x refused: not printable ASCII\n",
		       identity_nv_index);
	} else {
		memcpy(identity, value, pub.data_size);
		identity_len = pub.data_size;
		identity_source = HNBTRE_IDENTITY_TPM_NV;
	}
out:
	put_device(&chip->dev);
}

/**
 * hnbtre_identity - the device identity
 * @len: receives its length (0 while unset)
 *
 * Return: the identity, not NUL terminated when @len is used; it never
 * changes after hnbtre_identity_init().
 */
const char *hnbtre_identity(size_t *len)
{
	*len = identity_len;
	return identity;
}

static ssize_t identity_read(struct file *file, char __user *buf,
			     size_t count, loff_t *ppos)
{
	char line[HNBTRE_IDENTITY_MAX + 2];

	if (!identity_len)
		return -ENODATA;
	memcpy(line, identity, identity_len);
	line[identity_len] = '\n';
	return simple_read_from_buffer(buf, count, ppos, line,
				       identity_len + 1);
}

static const struct file_operations identity_fops = {
	.owner = THIS_MODULE,
	.read = identity_read,
	.llseek = generic_file_llseek,
};

/**
 * hnbtre_identity_source - where the identity came from
 *
 * Return: HNBTRE_IDENTITY_NONE, HNBTRE_IDENTITY_PARAMETER or
 * HNBTRE_IDENTITY_TPM_NV; it never changes after hnbtre_identity_init().
 */
enum hnbtre_identity_source hnbtre_identity_source(void)
{
	return identity_source;
}

/**
 * hnbtre_identity_init - set the identity and create the identity file
 *
 * identity= takes precedence; it is reported as such.
 *
 * Return: 0 or -errno; -EINVAL (the module is refused) for an invalid
 * identity parameter.  An NV index that is unreadable, invalid or could be
 * rewritten only leaves the identity unset, with the reason in the log.
 */
int hnbtre_identity_init(void)
{
	if (identity_param) {
		size_t len = strlen(identity_param);

		if (!identity_valid(identity_param, len)) {
			pr_err("identity= must be 1..%d printable ASCII bytes\n",
			       HNBTRE_IDENTITY_MAX);
			return -EINVAL;
		}
		memcpy(identity, identity_param, len);
		identity_len = len;
		identity_source = HNBTRE_IDENTITY_PARAMETER;
	} else if (identity_nv_index) {
		identity_from_nv();
	}
	return hnbtre_fs_add("identity", 0444, &identity_fops);
}
