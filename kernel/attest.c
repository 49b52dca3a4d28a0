// SPDX-License-Identifier: GPL-2.0-only
/*
 * Attestation: securityfs "attest" takes a nonce and returns a statement
 * of the TrE's state built here and signed with the attestation key
 * (attest_key.c; byte-exact format in Documentation/attestation.md).
 * Available in every state: a failed attestation is what the distress
 * function and the H(e)MS need.
 */

#include <linux/atomic.h>
#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>
#include <asm/unaligned.h>
#include <crypto/sha2.h>

#include "hnbtre.h"

static_assert(HNBTRE_ATTEST_OFF_VERDICTS + 4 * HNBTRE_VERDICT_COUNT ==
	      HNBTRE_ATTEST_OFF_NONCE_LEN);

/* Per boot (per load), never repeats: orders a device's attestations. */
static atomic64_t attest_counter = ATOMIC64_INIT(0);

/*
 * Per open file: the pending nonce and the blob built for it.  The digest
 * lives here because the crypto layer maps it through a scatterlist, which
 * must not point into a (virtually mapped) stack.
 */
struct attest_request {
	struct mutex lock;
	u8 digest[SHA256_DIGEST_SIZE];
	u8 nonce[HNBTRE_ATTEST_NONCE_MAX];
	size_t nonce_len;
	u8 *blob;
	size_t blob_len;
};

static void fill_body(u8 *blob, const struct hnbtre_status *st,
		      const u8 *nonce, size_t nonce_len,
		      const char *identity, size_t identity_len,
		      const u8 *cert, size_t cert_len, size_t body_len,
		      size_t sig_len)
{
	u8 *pos = blob + HNBTRE_ATTEST_HEADER_SIZE;
	unsigned int i;

	memcpy(blob, HNBTRE_ATTEST_MAGIC, HNBTRE_ATTEST_MAGIC_LEN);
	put_unaligned_be32(body_len, blob + HNBTRE_ATTEST_OFF_BODY_LEN);
	put_unaligned_be16(sig_len, blob + HNBTRE_ATTEST_OFF_SIG_LEN);
	blob[HNBTRE_ATTEST_OFF_STATE] = st->state;
	blob[HNBTRE_ATTEST_OFF_FLAGS] =
		(st->validated ? HNBTRE_ATTEST_FLAG_VALIDATED : 0) |
		(st->has_manifest ? HNBTRE_ATTEST_FLAG_HAS_MANIFEST : 0) |
		(hnbtre_identity_source() == HNBTRE_IDENTITY_TPM_NV ?
		 HNBTRE_ATTEST_FLAG_IDENTITY_TPM : 0) |
		(hnbtre_floor_persistent() ? HNBTRE_ATTEST_FLAG_FLOOR_TPM : 0);
	put_unaligned_be64(st->has_manifest ? st->manifest_version : 0,
			   blob + HNBTRE_ATTEST_OFF_MANIFEST_VERSION);
	put_unaligned_be64(atomic64_inc_return(&attest_counter),
			   blob + HNBTRE_ATTEST_OFF_COUNTER);
	put_unaligned_be64(ktime_get_real_seconds() -
			   ktime_get_boottime_seconds(),
			   blob + HNBTRE_ATTEST_OFF_BOOT_EPOCH);
	put_unaligned_be64(ktime_get_boottime_ns(), blob + HNBTRE_ATTEST_OFF_UPTIME);
	put_unaligned_be64(st->validations, blob + HNBTRE_ATTEST_OFF_VALIDATIONS);
	if (st->validated)
		memcpy(blob + HNBTRE_ATTEST_OFF_TIM, st->tim, SHA256_DIGEST_SIZE);
	if (st->has_manifest)
		memcpy(blob + HNBTRE_ATTEST_OFF_RIM, st->rim, SHA256_DIGEST_SIZE);
	for (i = 0; i < HNBTRE_VERDICT_COUNT; i++)
		put_unaligned_be32(st->verdicts[i],
				   blob + HNBTRE_ATTEST_OFF_VERDICTS + 4 * i);
	blob[HNBTRE_ATTEST_OFF_NONCE_LEN] = nonce_len;
	blob[HNBTRE_ATTEST_OFF_IDENTITY_LEN] = identity_len;
	put_unaligned_be16(cert_len, blob + HNBTRE_ATTEST_OFF_CERT_LEN);
	memcpy(pos, nonce, nonce_len);
	pos += nonce_len;
	memcpy(pos, identity, identity_len);
	pos += identity_len;
	memcpy(pos, cert, cert_len);
}

/* Builds and signs the blob for the pending nonce. */
static int attest_build(struct attest_request *req)
{
	size_t identity_len, cert_len, body_len;
	struct hnbtre_status st;
	const char *identity;
	const u8 *cert;
	int sig_len, ret;
	u8 *blob;

	sig_len = hnbtre_attest_signer(&cert, &cert_len);
	if (sig_len < 0)
		return sig_len;
	identity = hnbtre_identity(&identity_len);
	body_len = HNBTRE_ATTEST_HEADER_SIZE + req->nonce_len + identity_len +
		   cert_len;
	blob = kzalloc(body_len + sig_len, GFP_KERNEL);
	if (!blob)
		return -ENOMEM;

	hnbtre_status_get(&st);
	fill_body(blob, &st, req->nonce, req->nonce_len, identity,
		  identity_len, cert, cert_len, body_len, sig_len);
	sha256(blob, body_len, req->digest);
	ret = hnbtre_attest_sign(req->digest, blob + body_len, sig_len);
	if (ret >= 0 && ret != sig_len)
		ret = -EIO;
	if (ret < 0) {
		kfree(blob);
		return ret;
	}
	req->blob = blob;
	req->blob_len = body_len + sig_len;
	return 0;
}

static int attest_open(struct inode *inode, struct file *file)
{
	struct attest_request *req;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	req = kzalloc(sizeof(*req), GFP_KERNEL);
	if (!req)
		return -ENOMEM;
	mutex_init(&req->lock);
	file->private_data = req;
	return 0;
}

static int attest_release(struct inode *inode, struct file *file)
{
	struct attest_request *req = file->private_data;

	kfree(req->blob);
	kfree(req);
	return 0;
}

/* A nonce replaces any pending one; the next read starts at offset 0. */
static ssize_t attest_write(struct file *file, const char __user *buf,
			    size_t count, loff_t *ppos)
{
	struct attest_request *req = file->private_data;
	u8 nonce[HNBTRE_ATTEST_NONCE_MAX];

	/* Also here: the fd may have been passed on after open. */
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (count < HNBTRE_ATTEST_NONCE_MIN || count > HNBTRE_ATTEST_NONCE_MAX)
		return -EINVAL;
	if (copy_from_user(nonce, buf, count))
		return -EFAULT;
	mutex_lock(&req->lock);
	memcpy(req->nonce, nonce, count);
	req->nonce_len = count;
	kfree(req->blob);
	req->blob = NULL;
	req->blob_len = 0;
	*ppos = 0;
	mutex_unlock(&req->lock);
	return count;
}

static ssize_t attest_read(struct file *file, char __user *buf, size_t count,
			   loff_t *ppos)
{
	struct attest_request *req = file->private_data;
	ssize_t ret;

	mutex_lock(&req->lock);
	if (!req->nonce_len) {
		ret = -ENODATA;
		goto out;
	}
	if (!req->blob) {
		ret = attest_build(req);
		if (ret)
			goto out;
	}
	ret = simple_read_from_buffer(buf, count, ppos, req->blob,
				      req->blob_len);
out:
	mutex_unlock(&req->lock);
	return ret;
}

static const struct file_operations attest_fops = {
	.owner = THIS_MODULE,
	.open = attest_open,
	.read = attest_read,
	.write = attest_write,
	.llseek = no_llseek,
	.release = attest_release,
};

/**
 * hnbtre_attest_init - create the attest file
 *
 * Return: 0 or -errno.
 */
int hnbtre_attest_init(void)
{
	return hnbtre_fs_add("attest", 0600, &attest_fops);
}
