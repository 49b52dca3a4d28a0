// SPDX-License-Identifier: GPL-2.0-only
/*
 * The H(e)NB identity, set once per boot (Documentation/devkey.md):
 * the module parameter identity= (hnbtre.identity= on the kernel command
 * line when built in) or else the TPM NV index identity_nv_index=, read
 * once at initialisation.  Neither can change afterwards.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ctype.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/string.h>
#include <linux/tpm.h>
#include <asm/unaligned.h>

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

/* Not among the command codes of <linux/tpm.h> in 6.1. */
#define TPM2_CC_NV_READ_PUBLIC	0x0169

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
 * Sends the command in @buf (its page: tpm_send() writes the response
 * there) and returns the response length, or -errno for a transport error
 * or a TPM error code.
 */
static int tpm_command(struct tpm_chip *chip, struct tpm_buf *buf)
{
	int rc = tpm_send(chip, buf->data, tpm_buf_length(buf));
	u32 rsp_len;

	if (rc)
		return rc < 0 ? rc : -EIO;
	rsp_len = tpm_buf_length(buf);
	if (rsp_len < TPM_HEADER_SIZE || rsp_len > PAGE_SIZE)
		return -EIO;
	return rsp_len;
}

/* Size of the NV index's data, from TPM2_NV_ReadPublic. */
static int nv_data_size(struct tpm_chip *chip, struct tpm_buf *buf)
{
	const u8 *rsp = buf->data + TPM_HEADER_SIZE;
	u16 policy_len;
	int len;

	tpm_buf_reset(buf, TPM2_ST_NO_SESSIONS, TPM2_CC_NV_READ_PUBLIC);
	tpm_buf_append_u32(buf, identity_nv_index);
	len = tpm_command(chip, buf);
	if (len < 0)
		return len;
	/* TPM2B_NV_PUBLIC: size, index, nameAlg, attributes, authPolicy */
	if (len < TPM_HEADER_SIZE + 14)
		return -EIO;
	policy_len = get_unaligned_be16(rsp + 12);
	if (len < TPM_HEADER_SIZE + 16 + policy_len)
		return -EIO;
	return get_unaligned_be16(rsp + 14 + policy_len);
}

/* TPM2_NV_Read with the index's own (empty) authorization value. */
static int nv_read(struct tpm_chip *chip, struct tpm_buf *buf, u16 size)
{
	const u8 *rsp = buf->data + TPM_HEADER_SIZE;
	u16 data_len;
	int len;

	tpm_buf_reset(buf, TPM2_ST_SESSIONS, TPM2_CC_NV_READ);
	tpm_buf_append_u32(buf, identity_nv_index);	/* authHandle */
	tpm_buf_append_u32(buf, identity_nv_index);	/* nvIndex */
	/* One password session with the empty password. */
	tpm_buf_append_u32(buf, 9);			/* authorizationSize */
	tpm_buf_append_u32(buf, TPM2_RS_PW);
	tpm_buf_append_u16(buf, 0);			/* nonce */
	tpm_buf_append_u8(buf, 0);			/* session attributes */
	tpm_buf_append_u16(buf, 0);			/* password */
	tpm_buf_append_u16(buf, size);
	tpm_buf_append_u16(buf, 0);			/* offset */
	len = tpm_command(chip, buf);
	if (len < 0)
		return len;
	/* parameterSize, then TPM2B_MAX_NV_BUFFER */
	if (len < TPM_HEADER_SIZE + 6)
		return -EIO;
	data_len = get_unaligned_be16(rsp + 4);
	if (data_len != size || len < TPM_HEADER_SIZE + 6 + data_len)
		return -EIO;
	if (!identity_valid(rsp + 6, data_len))
		return -EINVAL;
	memcpy(identity, rsp + 6, data_len);
	identity_len = data_len;
	return 0;
}

static int identity_from_nv(void)
{
	struct tpm_chip *chip = tpm_default_chip();
	struct tpm_buf buf;
	int ret = -ENODEV;

	if (!chip)
		return ret;
	if (!tpm_is_tpm2(chip))
		goto out;
	/* A page, as tpm_send() needs; the commands reset it. */
	ret = tpm_buf_init(&buf, 0, 0);
	if (ret)
		goto out;
	ret = nv_data_size(chip, &buf);
	if (ret == 0 || ret > HNBTRE_IDENTITY_MAX)
		ret = -EINVAL;
	else if (ret > 0)
		ret = nv_read(chip, &buf, ret);
	tpm_buf_destroy(&buf);
out:
	put_device(&chip->dev);
	return ret;
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
 * hnbtre_identity_init - set the identity and create the identity file
 *
 * Return: 0 or -errno; -EINVAL (the module is refused) for an invalid
 * identity parameter.  An unreadable or invalid NV index only leaves the
 * identity unset, with an error in the log.
 */
int hnbtre_identity_init(void)
{
	int ret;

	if (identity_param) {
		size_t len = strlen(identity_param);

		if (!identity_valid(identity_param, len)) {
			pr_err("identity= must be 1..%d printable ASCII bytes\n",
			       HNBTRE_IDENTITY_MAX);
			return -EINVAL;
		}
		memcpy(identity, identity_param, len);
		identity_len = len;
	} else if (identity_nv_index) {
		ret = identity_from_nv();
		if (ret)
			pr_err("no identity from TPM NV index 0x%08x: %d\n",
			       identity_nv_index, ret);
	}
	return hnbtre_fs_add("identity", 0444, &identity_fops);
}
