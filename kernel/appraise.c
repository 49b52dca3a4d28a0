// SPDX-License-Identifier: GPL-2.0-only
/*
 * Appraisal of one designated component: measure its content and check
 * its security.ima signature against the component signers the TrE
 * admitted (.hnbtre_component_signers).
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <crypto/hash.h>
#include <crypto/hash_info.h>
#include <crypto/public_key.h>
#include <linux/fadvise.h>
#include <linux/fs.h>
#include <linux/key.h>
#include <linux/slab.h>
#include <linux/xattr.h>

#include "hnbtre.h"

/* security.ima layouts written by evmctl (security/integrity/integrity.h) */
#define IMA_XATTR_DIGEST_NG	0x04
#define EVM_IMA_XATTR_DIGSIG	0x03
#define IMA_SIG_VERSION_2	2
#define IMA_XATTR_MAX		1024

struct ima_sig_v2 {
	u8 type;
	u8 version;
	u8 hash_algo;
	__be32 keyid;
	__be16 sig_size;
	u8 sig[];
} __packed;

#define HASH_CHUNK	(256 * 1024)

/* Allocated once: shash transforms are shared, descriptors are per call. */
static struct crypto_shash *sha256_tfm;

static int hash_file_content(struct file *file, u8 *digest)
{
	SHASH_DESC_ON_STACK(desc, sha256_tfm);
	loff_t pos = 0;
	void *buf;
	int ret;

	buf = kvmalloc(HASH_CHUNK, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	/* One pass front to back: ask for the largest readahead. */
	vfs_fadvise(file, 0, 0, POSIX_FADV_SEQUENTIAL);
	desc->tfm = sha256_tfm;
	ret = crypto_shash_init(desc);
	while (!ret) {
		ssize_t n = kernel_read(file, buf, HASH_CHUNK, &pos);

		if (n <= 0) {
			ret = n;
			break;
		}
		ret = crypto_shash_update(desc, buf, n);
		cond_resched();
	}
	if (!ret)
		ret = crypto_shash_final(desc, digest);
	shash_desc_zero(desc);
	kvfree(buf);
	return ret;
}

static enum hnbtre_verdict check_signature(struct file *file,
					   const u8 *digest)
{
	struct public_key_signature pks = {};
	const struct ima_sig_v2 *hdr;
	struct key *signer;
	char keyid[12];
	ssize_t len;
	void *xattr;
	int ret;

	xattr = kmalloc(IMA_XATTR_MAX, GFP_KERNEL);
	if (!xattr)
		return HNBTRE_VERDICT_BADSIG;
	len = vfs_getxattr(file_mnt_user_ns(file), file_dentry(file),
			   XATTR_NAME_IMA, xattr, IMA_XATTR_MAX);
	if (len == -ENODATA || len == -EOPNOTSUPP ||
	    (len >= 1 && *(u8 *)xattr == IMA_XATTR_DIGEST_NG)) {
		kfree(xattr);
		return HNBTRE_VERDICT_UNSIGNED;
	}

	ret = -EBADMSG;
	hdr = xattr;
	if (len <= (ssize_t)sizeof(*hdr) || hdr->type != EVM_IMA_XATTR_DIGSIG ||
	    hdr->version != IMA_SIG_VERSION_2 ||
	    be16_to_cpu(hdr->sig_size) != len - sizeof(*hdr) ||
	    hdr->hash_algo != HASH_ALGO_SHA256)
		goto out;

	snprintf(keyid, sizeof(keyid), "id:%08x", be32_to_cpu(hdr->keyid));
	signer = hnbtre_find_signer(HNBTRE_ROLE_COMPONENT, keyid);
	if (IS_ERR(signer)) {
		ret = PTR_ERR(signer);
		goto out;
	}

	pks.pkey_algo = "rsa";
	pks.encoding = "pkcs1";
	pks.hash_algo = hash_algo_name[HASH_ALGO_SHA256];
	pks.digest = (u8 *)digest;
	pks.digest_size = SHA256_DIGEST_SIZE;
	pks.s = (u8 *)hdr->sig;
	pks.s_size = be16_to_cpu(hdr->sig_size);
	ret = verify_signature(signer, &pks);
	key_put(signer);
out:
	kfree(xattr);
	if (ret)
		pr_debug("%pD: security.ima signature: %d\n", file, ret);
	return ret ? HNBTRE_VERDICT_BADSIG : HNBTRE_VERDICT_OK;
}

/**
 * hnbtre_appraise - measure one component and decide its verdict
 * @component: the component; its measured digest and verdict are set
 * @file: the component opened for reading, or an ERR_PTR if that failed
 *
 * Verdicts in order of precedence: missing (no regular file, cannot be
 * opened or read), mismatch (digest differs from the manifest, or the
 * file is open for writing, @file is ERR_PTR(-ETXTBSY): its content is
 * not fixed, so no digest describes it), badsig (security.ima signature
 * invalid or not by a component signer), unsigned (no signature), ok.
 * The signature is checked over the measured digest.
 */
void hnbtre_appraise(struct hnbtre_component *component, struct file *file)
{
	if (PTR_ERR(file) == -ETXTBSY) {
		memset(component->measured, 0, SHA256_DIGEST_SIZE);
		component->verdict = HNBTRE_VERDICT_MISMATCH;
		return;
	}
	if (IS_ERR(file) || !S_ISREG(file_inode(file)->i_mode) ||
	    hash_file_content(file, component->measured)) {
		memset(component->measured, 0, SHA256_DIGEST_SIZE);
		component->verdict = HNBTRE_VERDICT_MISSING;
		return;
	}
	if (memcmp(component->measured, component->ref->digest,
		   SHA256_DIGEST_SIZE)) {
		component->verdict = HNBTRE_VERDICT_MISMATCH;
		return;
	}
	component->verdict = check_signature(file, component->measured);
}

int hnbtre_appraise_init(void)
{
	sha256_tfm = crypto_alloc_shash("sha256", 0, 0);
	return PTR_ERR_OR_ZERO(sha256_tfm);
}

void hnbtre_appraise_exit(void)
{
	crypto_free_shash(sha256_tfm);
}
