// SPDX-License-Identifier: GPL-2.0-only
/*
 * The TPM 2.0 commands the TrE sends itself (Documentation/kernel.md,
 * "TPM"): NV indices, read and incremented with the index's own
 * authorization in a password session; PCRs, policy sessions and sealed
 * data objects for the keys at rest (seal.c).  Commands are built with
 * the kernel's tpm_buf helpers and sent with tpm_transmit_cmd() under the
 * chip's ops lock; every response is parsed with its length checked
 * against what the TPM returned, which is never trusted further than the
 * page it arrived in.  The hnbtre_tpm2_*_locked() commands expect the
 * caller to hold the ops lock (tpm_try_get_ops()) across a sequence, so
 * that no other user of the TPM can come between its commands.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/errno.h>
#include <linux/random.h>
#include <linux/string.h>
#include <linux/tpm.h>
#include <asm/unaligned.h>

#include "hnbtre.h"

#define TPM2_CC_NV_INCREMENT		0x00000134
#define TPM2_CC_START_AUTH_SESSION	0x00000176
#define TPM2_CC_POLICY_PCR		0x0000017f
#define TPM2_CC_NV_READ_PUBLIC		0x00000169
#define TPM2_RH_NULL			0x40000007
#define TPM2_SE_POLICY			0x01
/* Response codes, as tpm2_rc_value() reduces them. */
#define TPM2_RC_AUTH_FAIL		0x008e
#define TPM2_RC_POLICY_FAIL		0x009d
#define TPM2_RC_PCR_CHANGED		0x0128
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
	case TPM2_RC_POLICY_FAIL:
	case TPM2_RC_PCR_CHANGED:
	case TPM2_RC_NV_AUTHORIZATION:
	case TPM2_RC_NV_LOCKED:
		return -EACCES;
	default:
		return -EIO;
	}
}

/*
 * Send @buf, the chip's ops lock held, and return the length of the
 * response it now holds, or -errno.  The response length is checked
 * against the page by the TPM core; @min is the least the caller will
 * read.
 */
static int tpm2_transmit_locked(struct tpm_chip *chip, struct tpm_buf *buf,
				u32 min)
{
	u32 cc = get_unaligned_be32(buf->data + 6);
	ssize_t rc;
	u32 len;

	if (buf->flags & TPM_BUF_OVERFLOW)
		return -EINVAL;
	rc = tpm_transmit_cmd(chip, buf, 0, NULL);
	if (rc < 0)
		return rc;
	if (rc)
		return tpm2_errno(rc, cc);
	len = get_unaligned_be32(buf->data + 2);
	if (len < TPM_HEADER_SIZE + min || len > PAGE_SIZE)
		return -EIO;
	return len;
}

/* tpm2_transmit_locked() for a command that stands alone. */
static int tpm2_transmit(struct tpm_chip *chip, struct tpm_buf *buf,
			 u32 min)
{
	int rc = tpm_try_get_ops(chip);

	if (rc)
		return rc;
	rc = tpm2_transmit_locked(chip, buf, min);
	tpm_put_ops(chip);
	return rc;
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

/* TPML_PCR_SELECTION of the SHA-256 bank: @mask, bit n for PCR n. */
static void append_pcr_selection(struct tpm_buf *buf, u32 mask)
{
	tpm_buf_append_u32(buf, 1);		/* count */
	tpm_buf_append_u16(buf, TPM_ALG_SHA256);
	tpm_buf_append_u8(buf, TPM2_PCR_SELECT_MIN);
	tpm_buf_append_u8(buf, mask & 0xff);
	tpm_buf_append_u8(buf, (mask >> 8) & 0xff);
	tpm_buf_append_u8(buf, (mask >> 16) & 0xff);
}

/**
 * hnbtre_tpm2_pcr_read_locked - TPM2_PCR_Read of one SHA-256 PCR
 * @chip: the TPM, its ops lock held
 * @pcr: PCR index, below TPM2_PLATFORM_PCR
 * @digest: receives its value
 *
 * tpm_pcr_read() takes the ops lock itself, which would open the
 * sequence seal.c keeps closed.
 *
 * Return: 0; -EIO for a response that does not carry exactly that PCR.
 */
int hnbtre_tpm2_pcr_read_locked(struct tpm_chip *chip, u32 pcr,
				u8 digest[SHA256_DIGEST_SIZE])
{
	struct tpm_buf buf;
	const u8 *p;
	int len;

	len = tpm_buf_init(&buf, TPM2_ST_NO_SESSIONS, TPM2_CC_PCR_READ);
	if (len)
		return len;
	append_pcr_selection(&buf, BIT(pcr));
	/* updateCounter, TPML_PCR_SELECTION (10), TPML_DIGEST (4 + 2 + 32) */
	len = tpm2_transmit_locked(chip, &buf, 4 + 10 + 4 + 2 +
				   SHA256_DIGEST_SIZE);
	if (len < 0)
		goto out;
	p = buf.data + TPM_HEADER_SIZE + 4;
	if (get_unaligned_be32(p) != 1 ||
	    get_unaligned_be16(p + 4) != TPM_ALG_SHA256 ||
	    p[6] != TPM2_PCR_SELECT_MIN ||
	    (p[7] | p[8] << 8 | p[9] << 16) != BIT(pcr) ||
	    get_unaligned_be32(p + 10) != 1 ||
	    get_unaligned_be16(p + 14) != SHA256_DIGEST_SIZE) {
		len = -EIO;
		goto out;
	}
	memcpy(digest, p + 16, SHA256_DIGEST_SIZE);
	len = 0;
out:
	tpm_buf_destroy(&buf);
	return len;
}

/**
 * hnbtre_tpm2_pcr_extend_locked - TPM2_PCR_Extend of the SHA-256 bank
 * @chip: the TPM, its ops lock held
 * @pcr: PCR index, below TPM2_PLATFORM_PCR
 * @digest: the value to extend with
 *
 * Only the SHA-256 bank, the one the seal policies use.
 *
 * Return: 0 or -errno.
 */
int hnbtre_tpm2_pcr_extend_locked(struct tpm_chip *chip, u32 pcr,
				  const u8 digest[SHA256_DIGEST_SIZE])
{
	struct tpm_buf buf;
	int len;

	len = tpm_buf_init(&buf, TPM2_ST_SESSIONS, TPM2_CC_PCR_EXTEND);
	if (len)
		return len;
	tpm_buf_append_u32(&buf, pcr);
	append_pw_session(&buf);
	tpm_buf_append_u32(&buf, 1);		/* TPML_DIGEST_VALUES */
	tpm_buf_append_u16(&buf, TPM_ALG_SHA256);
	tpm_buf_append(&buf, digest, SHA256_DIGEST_SIZE);
	len = tpm2_transmit_locked(chip, &buf, 0);
	tpm_buf_destroy(&buf);
	return len < 0 ? len : 0;
}

/**
 * hnbtre_tpm2_policy_session_locked - a policy session satisfying
 *	TPM2_PolicyPCR over the current values of some SHA-256 PCRs
 * @chip: the TPM, its ops lock held
 * @pcr_mask: bit n for PCR n
 * @handle: receives the session handle; flush it with
 *	tpm2_flush_context() unless a command consumed it
 *
 * An unsalted, unbound session (TPM2_StartAuthSession, TPM_SE_POLICY,
 * SHA-256), then TPM2_PolicyPCR with an empty pcrDigest: the TPM takes
 * the PCRs' current values, and the object's authPolicy decides whether
 * they are the right ones.
 *
 * Return: 0 or -errno.
 */
int hnbtre_tpm2_policy_session_locked(struct tpm_chip *chip, u32 pcr_mask,
				      u32 *handle)
{
	u8 nonce[SHA256_DIGEST_SIZE];
	struct tpm_buf buf;
	int len;

	len = tpm_buf_init(&buf, TPM2_ST_NO_SESSIONS,
			   TPM2_CC_START_AUTH_SESSION);
	if (len)
		return len;
	get_random_bytes(nonce, sizeof(nonce));
	tpm_buf_append_u32(&buf, TPM2_RH_NULL);	/* tpmKey: no salt */
	tpm_buf_append_u32(&buf, TPM2_RH_NULL);	/* bind */
	tpm_buf_append_u16(&buf, sizeof(nonce));
	tpm_buf_append(&buf, nonce, sizeof(nonce));
	tpm_buf_append_u16(&buf, 0);		/* encryptedSalt */
	tpm_buf_append_u8(&buf, TPM2_SE_POLICY);
	tpm_buf_append_u16(&buf, TPM_ALG_NULL);	/* symmetric */
	tpm_buf_append_u16(&buf, TPM_ALG_SHA256);	/* authHash */
	len = tpm2_transmit_locked(chip, &buf, 4);
	if (len < 0)
		goto out;
	*handle = get_unaligned_be32(buf.data + TPM_HEADER_SIZE);

	tpm_buf_reset(&buf, TPM2_ST_NO_SESSIONS, TPM2_CC_POLICY_PCR);
	tpm_buf_append_u32(&buf, *handle);
	tpm_buf_append_u16(&buf, 0);		/* pcrDigest: current values */
	append_pcr_selection(&buf, pcr_mask);
	len = tpm2_transmit_locked(chip, &buf, 0);
	if (len < 0)
		tpm2_flush_context(chip, *handle);
out:
	tpm_buf_destroy(&buf);
	return len < 0 ? len : 0;
}

/**
 * hnbtre_tpm2_load_locked - TPM2_Load under a parent with an empty auth
 * @chip: the TPM, its ops lock held
 * @parent: the parent's handle (a persistent storage key)
 * @private: TPM2B_PRIVATE, its size included
 * @private_len: its length
 * @public: TPM2B_PUBLIC, its size included
 * @public_len: its length
 * @handle: receives the object's handle; flush it with
 *	tpm2_flush_context()
 *
 * Return: 0; -ENOENT no such parent; -EIO the TPM refused the object
 * (another TPM's, another parent's, damaged) or any other TPM error.
 */
int hnbtre_tpm2_load_locked(struct tpm_chip *chip, u32 parent,
			    const u8 *private, u16 private_len,
			    const u8 *public, u16 public_len, u32 *handle)
{
	struct tpm_buf buf;
	int len;

	len = tpm_buf_init(&buf, TPM2_ST_SESSIONS, TPM2_CC_LOAD);
	if (len)
		return len;
	tpm_buf_append_u32(&buf, parent);
	append_pw_session(&buf);
	tpm_buf_append(&buf, private, private_len);
	tpm_buf_append(&buf, public, public_len);
	len = tpm2_transmit_locked(chip, &buf, 4);
	if (len >= 0)
		*handle = get_unaligned_be32(buf.data + TPM_HEADER_SIZE);
	tpm_buf_destroy(&buf);
	return len < 0 ? len : 0;
}

/**
 * hnbtre_tpm2_unseal_locked - TPM2_Unseal in a policy session
 * @chip: the TPM, its ops lock held
 * @object: handle of the loaded sealed data object
 * @session: policy session from hnbtre_tpm2_policy_session_locked(),
 *	consumed on success (continueSession clear)
 * @data: receives the sealed data
 * @size: exactly how many bytes are expected
 *
 * The response buffer is wiped before it is freed.
 *
 * Return: 0; -EACCES the policy is not satisfied (PCR values); -EMSGSIZE
 * the object holds another size; -EIO other TPM errors.
 */
int hnbtre_tpm2_unseal_locked(struct tpm_chip *chip, u32 object, u32 session,
			      u8 *data, u16 size)
{
	struct tpm_buf buf;
	const u8 *p;
	int len;

	len = tpm_buf_init(&buf, TPM2_ST_SESSIONS, TPM2_CC_UNSEAL);
	if (len)
		return len;
	tpm_buf_append_u32(&buf, object);
	tpm_buf_append_u32(&buf, 4 + 2 + 1 + 2);	/* authorization area */
	tpm_buf_append_u32(&buf, session);
	tpm_buf_append_u16(&buf, 0);		/* nonceCaller */
	tpm_buf_append_u8(&buf, 0);		/* attributes: end the session */
	tpm_buf_append_u16(&buf, 0);		/* hmac: policy only */
	/* parameterSize, TPM2B_SENSITIVE_DATA */
	len = tpm2_transmit_locked(chip, &buf, 4 + 2);
	if (len < 0)
		goto out;
	p = buf.data + TPM_HEADER_SIZE;
	if (get_unaligned_be16(p + 4) != size) {
		len = -EMSGSIZE;
		goto out;
	}
	if (TPM_HEADER_SIZE + 6 + size > len) {
		len = -EIO;
		goto out;
	}
	memcpy(data, p + 6, size);
	len = 0;
out:
	memzero_explicit(buf.data, PAGE_SIZE);
	tpm_buf_destroy(&buf);
	return len;
}
