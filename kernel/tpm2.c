// SPDX-License-Identifier: GPL-2.0-only
/*
 * The TPM 2.0 commands the TrE sends itself (Documentation/kernel.md,
 * "TPM"): NV indices, read and incremented with the index's own
 * authorization in a password session.  Commands are built with the
 * kernel's tpm_buf helpers and sent with tpm_transmit_cmd() under the
 * chip's ops lock; every response is parsed with its length checked
 * against what the TPM returned, which is never trusted further than the
 * page it arrived in.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/errno.h>
#include <linux/tpm.h>
#include <asm/unaligned.h>

#include "hnbtre.h"

#define TPM2_CC_NV_INCREMENT		0x00000134
#define TPM2_CC_NV_READ_PUBLIC		0x00000169
/* Response codes, as tpm2_rc_value() reduces them. */
#define TPM2_RC_AUTH_FAIL		0x008e
#define TPM2_RC_NV_LOCKED		0x0148
#define TPM2_RC_NV_AUTHORIZATION	0x0149
#define TPM2_RC_NV_UNINITIALIZED	0x014a
/* The empty password session: handle, nonce, attributes, password. */
#define PW_SESSION_SIZE			9

/* A TPM response code as -errno; the code itself goes to the debug log. */
static int tpm2_errno(u32 rc, u32 cc)
{
	pr_debug("TPM command 0x%x: response code 0x%x\n", cc, rc);
	switch (tpm2_rc_value(rc)) {
	case TPM2_RC_HANDLE:
		return -ENOENT;
	case TPM2_RC_NV_UNINITIALIZED:
		return -ENODATA;
	case TPM2_RC_AUTH_FAIL:
	case TPM2_RC_NV_AUTHORIZATION:
	case TPM2_RC_NV_LOCKED:
		return -EACCES;
	default:
		return -EIO;
	}
}

/*
 * Send @buf and return the length of the response it now holds, or
 * -errno.  The response length is checked against the page by the TPM
 * core; @min is the least the caller will read.
 */
static int tpm2_transmit(struct tpm_chip *chip, struct tpm_buf *buf,
			 u32 min)
{
	u32 cc = get_unaligned_be32(buf->data + 6);
	ssize_t rc;
	u32 len;

	if (buf->flags & TPM_BUF_OVERFLOW)
		return -EINVAL;
	rc = tpm_try_get_ops(chip);
	if (rc)
		return rc;
	rc = tpm_transmit_cmd(chip, buf, 0, NULL);
	tpm_put_ops(chip);
	if (rc < 0)
		return rc;
	if (rc)
		return tpm2_errno(rc, cc);
	len = get_unaligned_be32(buf->data + 2);
	if (len < TPM_HEADER_SIZE + min || len > PAGE_SIZE)
		return -EIO;
	return len;
}

/* An authorization area of one password session with an empty password. */
static void append_pw_session(struct tpm_buf *buf)
{
	tpm_buf_append_u32(buf, PW_SESSION_SIZE);
	tpm_buf_append_u32(buf, TPM2_RS_PW);
	tpm_buf_append_u16(buf, 0);	/* nonce */
	tpm_buf_append_u8(buf, 0);	/* session attributes */
	tpm_buf_append_u16(buf, 0);	/* password */
}

/**
 * hnbtre_tpm2_chip - the default TPM if it is a TPM 2.0
 *
 * Return: the chip with a reference (put_device() when done), or NULL.
 */
struct tpm_chip *hnbtre_tpm2_chip(void)
{
	struct tpm_chip *chip = tpm_default_chip();

	if (chip && !tpm_is_tpm2(chip)) {
		put_device(&chip->dev);
		chip = NULL;
	}
	return chip;
}

/**
 * hnbtre_tpm2_nv_read_public - TPM2_NV_ReadPublic
 * @chip: the TPM
 * @index: NV index handle
 * @pub: receives type, attributes and data size
 *
 * Return: 0; -ENOENT if the index is not defined; -EIO for a response
 * that does not parse or describes another index; other -errno.
 */
int hnbtre_tpm2_nv_read_public(struct tpm_chip *chip, u32 index,
			       struct hnbtre_nv_public *pub)
{
	struct tpm_buf buf;
	const u8 *p;
	u16 size, policy_len;
	int len;

	len = tpm_buf_init(&buf, TPM2_ST_NO_SESSIONS, TPM2_CC_NV_READ_PUBLIC);
	if (len)
		return len;
	tpm_buf_append_u32(&buf, index);
	/* TPM2B_NV_PUBLIC: size, index, nameAlg, attributes, TPM2B policy, dataSize */
	len = tpm2_transmit(chip, &buf, 2 + 4 + 2 + 4 + 2 + 2);
	if (len < 0)
		goto out;
	p = buf.data + TPM_HEADER_SIZE;
	size = get_unaligned_be16(p);
	policy_len = get_unaligned_be16(p + 12);
	if (size < 4 + 2 + 4 + 2 + policy_len + 2 ||
	    TPM_HEADER_SIZE + 2 + size > len ||
	    get_unaligned_be32(p + 2) != index) {
		len = -EIO;
		goto out;
	}
	pub->attributes = get_unaligned_be32(p + 8);
	pub->data_size = get_unaligned_be16(p + 14 + policy_len);
	len = 0;
out:
	tpm_buf_destroy(&buf);
	return len;
}

/**
 * hnbtre_tpm2_nv_read - TPM2_NV_Read with the index's own authorization
 * @chip: the TPM
 * @index: NV index handle, with TPMA_NV_AUTHREAD and an empty auth value
 * @data: receives exactly @size bytes from offset 0
 * @size: bytes to read, at most the TPM's MAX_NV_BUFFER_SIZE
 *
 * Return: 0; -ENOENT (no such index), -ENODATA (never written), -EACCES
 * (authorization refused), -EIO (any other TPM error or a short or
 * malformed response).
 */
int hnbtre_tpm2_nv_read(struct tpm_chip *chip, u32 index, u8 *data, u16 size)
{
	struct tpm_buf buf;
	const u8 *p;
	int len;

	len = tpm_buf_init(&buf, TPM2_ST_SESSIONS, TPM2_CC_NV_READ);
	if (len)
		return len;
	tpm_buf_append_u32(&buf, index);	/* authHandle */
	tpm_buf_append_u32(&buf, index);	/* nvIndex */
	append_pw_session(&buf);
	tpm_buf_append_u16(&buf, size);
	tpm_buf_append_u16(&buf, 0);		/* offset */
	/* parameterSize, then TPM2B_MAX_NV_BUFFER */
	len = tpm2_transmit(chip, &buf, 4 + 2);
	if (len < 0)
		goto out;
	p = buf.data + TPM_HEADER_SIZE;
	if (get_unaligned_be32(p) < 2 + size ||
	    get_unaligned_be16(p + 4) != size ||
	    TPM_HEADER_SIZE + 6 + size > len) {
		len = -EIO;
		goto out;
	}
	memcpy(data, p + 6, size);
	len = 0;
out:
	tpm_buf_destroy(&buf);
	return len;
}

/**
 * hnbtre_tpm2_nv_increment - TPM2_NV_Increment with the index's own
 *	authorization
 * @chip: the TPM
 * @index: NV counter index, with TPMA_NV_AUTHWRITE and an empty auth value
 *
 * The first increment of a counter never written sets it to at least the
 * highest value any counter of this TPM ever had (TPM 2.0 Part 1, "NV
 * Counter Index"), plus one.
 *
 * Return: 0 or -errno as hnbtre_tpm2_nv_read().
 */
int hnbtre_tpm2_nv_increment(struct tpm_chip *chip, u32 index)
{
	struct tpm_buf buf;
	int len;

	len = tpm_buf_init(&buf, TPM2_ST_SESSIONS, TPM2_CC_NV_INCREMENT);
	if (len)
		return len;
	tpm_buf_append_u32(&buf, index);	/* authHandle */
	tpm_buf_append_u32(&buf, index);	/* nvIndex */
	append_pw_session(&buf);
	len = tpm2_transmit(chip, &buf, 0);
	tpm_buf_destroy(&buf);
	return len < 0 ? len : 0;
}
