// SPDX-License-Identifier: GPL-2.0-only
/*
 * Signed packages in the format of TR-069 Annex E: the TrE's verdict on a
 * package's signed part, through the securityfs transaction file
 * "package" (Documentation/package.md,
 * Documentation/ABI/testing/securityfs-hnbtre).
 *
 *   header: HNBTRE_PKG_PREAMBLE | be32 major (1) | be32 minor | be32 command list
 *           length (< 2^16) | be32 payload length
 *   command list: (be32 type | be32 length | value)..., End (0) optional
 *   signature block: one PKCS#7 SignedData, detached, over header and
 *           command list; a ContentInfo or a bare SignedData
 *
 * Only the framing is checked here; libhnbtre parses every command.  The
 * payload is not seen here: the command list carries its hashes, and the
 * verdict carries the digest of the header and command list verified, so
 * userspace streams the payload against hashes the TrE has verified.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <asm/unaligned.h>
#include <crypto/pkcs7.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/ratelimit.h>
#include <linux/slab.h>

#include "hnbtre.h"

#define PKG_SIGNED_MAX		(HNBTRE_PKG_HEADER_LEN + HNBTRE_PKG_CMDS_MAX + \
				 HNBTRE_PKG_SIG_MAX)
/* A DER tag and a length of up to two bytes. */
#define SIG_HEADER_MAX		4

/* "accepted signed=sha256:<64>\n" */
#define VERDICT_MAX		96

/**
 * struct package_request - one open of "package"
 * @upload: the signed part as written so far; first, for
 *	hnbtre_upload_release()
 * @result: 0 accepted or the negative errno, once @upload is finished
 * @verdict: the line read() returns, once @upload is finished
 * @read_pos: read() position in @verdict; the file position counts writes
 */
struct package_request {
	struct hnbtre_upload upload;
	int result;
	char verdict[VERDICT_MAX];
	loff_t read_pos;
};

/**
 * struct package_facts - what the TrE learnt from an accepted signed part
 * @signed_digest: SHA-256 of the header and the command list
 */
struct package_facts {
	u8 signed_digest[SHA256_DIGEST_SIZE];
};

static atomic_t package_busy = ATOMIC_INIT(0);

/*
 * The device's hash policy (Documentation/package.md, "Hashes"): a
 * package needs a valid signer with SHA-256 or longer, so that SHA-1
 * alone never decides.  Only root loading the module can relax it; it
 * cannot change afterwards, and hnbtre_package_init() audits it.
 */
static bool package_allow_sha1;
module_param(package_allow_sha1, bool, 0444);
MODULE_PARM_DESC(package_allow_sha1,
		 "accept packages whose only valid signers use SHA-1 (default: no)");

/* The reasons of Documentation/package.md, one word each. */
static const char *reason_name(int result)
{
	static const char *const names[HNBTRE_PKG_REASON_COUNT] =
		HNBTRE_PKG_REASON_NAMES;

	switch (result) {
	case 0:
		return names[HNBTRE_PKG_REASON_ACCEPTED];
	case -HNBTRE_PKG_E_FORMAT:
		return names[HNBTRE_PKG_REASON_FORMAT];
	case -HNBTRE_PKG_E_TOO_LONG:
		return names[HNBTRE_PKG_REASON_TOO_LONG];
	case -HNBTRE_PKG_E_UNKNOWN_SIGNER:
		return names[HNBTRE_PKG_REASON_UNKNOWN_SIGNER];
	case -HNBTRE_PKG_E_BAD_SIGNATURE:
		return names[HNBTRE_PKG_REASON_BAD_SIGNATURE];
	case -HNBTRE_PKG_E_WEAK_HASH:
		return names[HNBTRE_PKG_REASON_WEAK_HASH];
	case -ENOMEM:
		return names[HNBTRE_PKG_REASON_NO_MEMORY];
	default:
		return names[HNBTRE_PKG_REASON_OTHER];
	}
}

/* The command list length the header declares, or -EBADMSG. */
static int header_cmds_len(const u8 *h)
{
	u32 cmds = get_unaligned_be32(h + 16);

	/* Any minor version: the annex makes minor changes compatible. */
	if (memcmp(h, HNBTRE_PKG_PREAMBLE, HNBTRE_PKG_PREAMBLE_LEN) ||
	    get_unaligned_be32(h + 8) != HNBTRE_PKG_MAJOR ||
	    cmds > HNBTRE_PKG_CMDS_MAX)
		return -EBADMSG;
	return cmds;
}

/*
 * Length of the signature block from its first SIG_HEADER_MAX bytes: a
 * SEQUENCE with a definite length (the annex: a streaming reader finds
 * its end from the tag and the length).
 */
static int sig_block_len(const u8 *p)
{
	if (p[0] != 0x30)
		return -EBADMSG;
	if (p[1] < 0x80)
		return 2 + p[1];
	if (p[1] == 0x81)
		return 3 + p[2];
	if (p[1] == 0x82 && get_unaligned_be16(p + 2) <= HNBTRE_PKG_SIG_MAX - 4)
		return 4 + get_unaligned_be16(p + 2);
	return -EBADMSG;
}

/*
 * The command list must be whole commands up to its end or to End; what
 * they mean is the installer's: the signature covers them all.
 */
static int check_commands(const u8 *p, size_t len)
{
	size_t off = 0;

	while (off < len) {
		u32 value_len;

		if (len - off < HNBTRE_PKG_CMD_HEADER_LEN)
			return -EBADMSG;
		value_len = get_unaligned_be32(p + off + 4);
		if (value_len > len - off - HNBTRE_PKG_CMD_HEADER_LEN)
			return -EBADMSG;
		if (get_unaligned_be32(p + off) == HNBTRE_PKG_CMD_END)
			return value_len ? -EBADMSG : 0;
		off += HNBTRE_PKG_CMD_HEADER_LEN + value_len;
	}
	return 0;
}

/* DER of the ContentInfo around a bare SignedData: SEQUENCE, OID, [0]. */
static const u8 signed_data_oid[] = {
	0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02,
};
#define WRAP_LEN	(4 + sizeof(signed_data_oid) + 4)

/*
 * The annex does not say whether the block is a ContentInfo or a bare
 * SignedData; the kernel's PKCS#7 parser takes a ContentInfo, so a bare
 * one is wrapped.  After the outer header, an OID means a ContentInfo,
 * an INTEGER (the version) a bare SignedData.
 *
 * Return: the ContentInfo (@sig itself, or a kmalloc'ed copy that
 * *@wrapped also points to), or an ERR_PTR.
 */
static const u8 *content_info(const u8 *sig, size_t *len, u8 **wrapped)
{
	size_t hdr = sig[1] < 0x80 ? 2 : 2 + (sig[1] & 0x7f);
	size_t inner = *len;
	u8 *p;

	*wrapped = NULL;
	if (*len <= hdr)
		return ERR_PTR(-EBADMSG);
	if (sig[hdr] == 0x06)
		return sig;
	if (sig[hdr] != 0x02 || inner > 0xffff - WRAP_LEN + 4)
		return ERR_PTR(-EBADMSG);
	p = kmalloc(WRAP_LEN + inner, GFP_KERNEL);
	if (!p)
		return ERR_PTR(-ENOMEM);
	p[0] = 0x30;
	p[1] = 0x82;
	put_unaligned_be16(WRAP_LEN - 4 + inner, p + 2);
	memcpy(p + 4, signed_data_oid, sizeof(signed_data_oid));
	p[4 + sizeof(signed_data_oid)] = 0xa0;
	p[5 + sizeof(signed_data_oid)] = 0x82;
	put_unaligned_be16(inner, p + 6 + sizeof(signed_data_oid));
	memcpy(p + WRAP_LEN, sig, inner);
	*len = WRAP_LEN + inner;
	*wrapped = p;
	return p;
}

/* AlgorithmIdentifier values of SHA-256, SHA-384, SHA-512: this, then 1..3. */
static const u8 sha2_oid[] = {
	0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
};

/* The digestAlgorithm of a SignerInfo's value is SHA-256 or longer. */
static bool strong_signer(const u8 *p, const u8 *end)
{
	struct hnbtre_der_tlv tlv;

	/* version, then sid: issuerAndSerialNumber or [0] keyIdentifier */
	if (hnbtre_der_next(&p, end, 0x02, &tlv) || p == end ||
	    hnbtre_der_next(&p, end, *p, &tlv) ||
	    hnbtre_der_next(&p, end, 0x30, &tlv))
		return false;
	return tlv.len > sizeof(sha2_oid) &&
	       !memcmp(tlv.value, sha2_oid, sizeof(sha2_oid)) &&
	       tlv.value[sizeof(sha2_oid)] >= 1 &&
	       tlv.value[sizeof(sha2_oid)] <= 3;
}

static u8 *put_header(u8 *p, u8 tag, size_t len)
{
	p[0] = tag;
	p[1] = 0x82;
	put_unaligned_be16(len, p + 2);
	return p + 4;
}

/* ContentInfo, OID, [0], SignedData headers of strong_signers() */
#define REDUCED_HEAD	(4 + sizeof(signed_data_oid) + 4 + 4)

/*
 * The ContentInfo @ci with only its SignerInfos whose digest is SHA-256
 * or longer (certificates and all else kept): verifying it tells whether
 * one of them is a valid software signer.
 *
 * Return: a kmalloc'ed ContentInfo and its length in *@out_len,
 * ERR_PTR(-HNBTRE_PKG_E_WEAK_HASH) if no signer is so, -EBADMSG, -ENOMEM.
 */
static u8 *strong_signers(const u8 *ci, size_t len, size_t *out_len)
{
	const u8 *p = ci, *end = ci + len, *sd, *infos, *si;
	struct hnbtre_der_tlv tlv, set;
	size_t kept = 0;
	u8 *out, *q;

	if (hnbtre_der_next(&p, end, 0x30, &tlv))
		return ERR_PTR(-EBADMSG);
	p = tlv.value;
	end = p + tlv.len;
	if (hnbtre_der_next(&p, end, 0x06, &tlv) ||
	    hnbtre_der_next(&p, end, 0xa0, &tlv))
		return ERR_PTR(-EBADMSG);
	p = tlv.value;
	end = p + tlv.len;
	if (hnbtre_der_next(&p, end, 0x30, &tlv))
		return ERR_PTR(-EBADMSG);
	/* version, digestAlgorithms, contentInfo, [0], [1], signerInfos */
	p = sd = tlv.value;
	end = p + tlv.len;
	do {
		infos = p;
		if (p == end || hnbtre_der_next(&p, end, *p, &set))
			return ERR_PTR(-EBADMSG);
	} while (p != end);
	if (set.tag != 0x31)
		return ERR_PTR(-EBADMSG);
	out = kmalloc(REDUCED_HEAD + (infos - sd) + 4 + set.len, GFP_KERNEL);
	if (!out)
		return ERR_PTR(-ENOMEM);
	q = out + REDUCED_HEAD + (infos - sd) + 4;
	for (p = set.value, end = set.value + set.len; p < end;) {
		si = p;
		if (hnbtre_der_next(&p, end, 0x30, &tlv)) {
			kfree(out);
			return ERR_PTR(-EBADMSG);
		}
		if (strong_signer(tlv.value, p)) {
			memcpy(q + kept, si, p - si);
			kept += p - si;
		}
	}
	if (!kept) {
		kfree(out);
		return ERR_PTR(-HNBTRE_PKG_E_WEAK_HASH);
	}
	*out_len = REDUCED_HEAD + (infos - sd) + 4 + kept;
	q = put_header(out, 0x30, *out_len - 4);
	memcpy(q, signed_data_oid, sizeof(signed_data_oid));
	q = put_header(q + sizeof(signed_data_oid), 0xa0,
		       *out_len - (q + sizeof(signed_data_oid) + 4 - out));
	q = put_header(q, 0x30, *out_len - (q + 4 - out));
	memcpy(q, sd, infos - sd);
	put_header(q + (infos - sd), 0x31, kept);
	return out;
}

/* A software signer among the SignedData's SHA-256 (or longer) ones. */
static int verify_strong_signers(const u8 *data, size_t data_len,
				 const u8 *ci, size_t ci_len)
{
	size_t len;
	u8 *strong = strong_signers(ci, ci_len, &len);
	int ret;

	if (IS_ERR(strong))
		return PTR_ERR(strong);
	ret = hnbtre_verify_pkcs7(HNBTRE_ROLE_SOFTWARE, data, data_len, strong,
				  len);
	kfree(strong);
	return ret == -ENOKEY || ret == -ENOPKG ? -HNBTRE_PKG_E_WEAK_HASH : ret;
}

/*
 * The one SignedData against the software signers: every signer must
 * verify, at least one must be a software signer the TrE admitted
 * (.hnbtre_software_signers; the kernel's PKCS#7 policy).  The
 * message is parsed once on its own first: that tells a malformed one
 * (-EBADMSG) from one that parses but does not verify, for which
 * verify_pkcs7_signature() may also say -EBADMSG (a PKCS#1 padding that
 * does not check out, say).  Unless package_allow_sha1, the same message
 * with only its SHA-256 (or longer) signers must verify too: one of them
 * is an admitted software signer.
 *
 * Return: 0, -ENOKEY (no signer, or none is a software signer),
 * -EKEYREJECTED, -ENOPROTOOPT (no software signer with SHA-256 or
 * longer), -EBADMSG, -ENOMEM.
 */
static int verify_signed_data(const u8 *data, size_t data_len, const u8 *sig,
			      size_t sig_len)
{
	struct pkcs7_message *pkcs7;
	const void *content;
	size_t content_len, header_len;
	const u8 *ci;
	u8 *wrapped;
	int ret;

	/*
	 * signerInfos, an empty SET, ends a SignedData without signers (an
	 * unsigned package): not trusted, though the kernel's parser calls
	 * it malformed.
	 */
	if (sig_len >= 2 && sig[sig_len - 2] == 0x31 && sig[sig_len - 1] == 0)
		return -ENOKEY;
	ci = content_info(sig, &sig_len, &wrapped);
	if (IS_ERR(ci))
		return PTR_ERR(ci);
	pkcs7 = pkcs7_parse_message(ci, sig_len);
	if (IS_ERR(pkcs7)) {
		ret = PTR_ERR(pkcs7) == -ENOMEM ? -ENOMEM : -EBADMSG;
		goto out;
	}
	/* Detached: the content is header and commands, not in the message. */
	ret = pkcs7_get_content_data(pkcs7, &content, &content_len,
				     &header_len);
	pkcs7_free_message(pkcs7);
	if (ret != -ENODATA) {
		ret = -EBADMSG;
		goto out;
	}
	ret = hnbtre_verify_pkcs7(HNBTRE_ROLE_SOFTWARE, data, data_len, ci,
				  sig_len);
	if (!ret && !package_allow_sha1)
		ret = verify_strong_signers(data, data_len, ci, sig_len);
	switch (ret) {
	case 0:
	case -ENOMEM:
	case -HNBTRE_PKG_E_WEAK_HASH:
		break;
	case -ENOKEY:
	case -ENOPKG:
		ret = -ENOKEY;
		break;
	default:
		ret = -EKEYREJECTED;
	}
out:
	kfree(wrapped);
	return ret;
}

/* The header was checked; @len is header, command list and signature. */
static int verify_signed_part(const u8 *data, size_t len,
			      struct package_facts *facts)
{
	size_t signed_len = HNBTRE_PKG_HEADER_LEN + get_unaligned_be32(data + 16);
	int ret;

	ret = check_commands(data + HNBTRE_PKG_HEADER_LEN,
			     signed_len - HNBTRE_PKG_HEADER_LEN);
	if (ret)
		return ret;
	sha256(data, signed_len, facts->signed_digest);
	return verify_signed_data(data, signed_len, data + signed_len,
				  len - signed_len);
}

/* Audit record and log line for every verdict, rate limited together. */
static void report(int result, const struct package_facts *facts)
{
	static DEFINE_RATELIMIT_STATE(limit, 5 * HZ, 10);
	const char *reason = reason_name(result);
	struct audit_buffer *ab;

	if (!__ratelimit(&limit))
		return;
	if (result)
		pr_notice("package refused: %s (%d)\n", reason, result);
	else
		pr_info("package accepted, signed sha256:%*phN\n",
			SHA256_DIGEST_SIZE, facts->signed_digest);
	ab = audit_log_start(audit_context(), GFP_KERNEL,
			     AUDIT_INTEGRITY_STATUS);
	if (!ab)
		return;
	audit_log_format(ab, "op=hnbtre_package result=%s reason=%s",
			 result ? "refused" : "accepted", reason);
	if (!result)
		audit_log_format(ab, " signed=sha256:%*phN", SHA256_DIGEST_SIZE,
				 facts->signed_digest);
	audit_log_format(ab, " pid=%d", task_tgid_nr(current));
	audit_log_end(ab);
}

static void finish(struct package_request *req, int result,
		   const struct package_facts *facts)
{
	req->upload.finished = true;
	req->result = result;
	if (result)
		scnprintf(req->verdict, sizeof(req->verdict),
			  HNBTRE_PKG_REFUSED "%s\n", reason_name(result));
	else
		scnprintf(req->verdict, sizeof(req->verdict),
			  HNBTRE_PKG_ACCEPTED "%*phN\n", SHA256_DIGEST_SIZE,
			  facts->signed_digest);
	report(result, facts);
}

/**
 * package_open - start a package transaction
 * @inode: the file's inode
 * @file: opened for writing (and for reading, to get the verdict)
 *
 * One transaction at a time, so that the kernel holds at most one signed
 * part (24 + 65535 + 65536 bytes at most).
 *
 * Return: 0, -EINVAL (not opened for writing), -EPERM (no CAP_SYS_ADMIN),
 * -EBUSY (another transaction is open), -ENOMEM.
 */
static int package_open(struct inode *inode, struct file *file)
{
	struct package_request *req;

	if (!(file->f_mode & FMODE_WRITE))
		return -EINVAL;
	req = hnbtre_upload_open(&package_busy, sizeof(*req));
	if (IS_ERR(req))
		return PTR_ERR(req);
	file->private_data = req;
	return 0;
}

static int package_release(struct inode *inode, struct file *file)
{
	struct package_request *req = file->private_data;

	hnbtre_upload_release(&package_busy, &req->upload);
	return 0;
}

/* package_write() under the request's lock. */
static ssize_t package_append(struct hnbtre_upload *upload,
			      const char __user *buf, size_t count,
			      loff_t *ppos)
{
	struct package_request *req =
		container_of(upload, struct package_request, upload);
	struct package_facts facts = {};
	size_t sig_at;
	int ret;

	ret = hnbtre_upload_append(upload, buf, count, ppos, PKG_SIGNED_MAX);
	if (ret == -EINVAL)
		return ret;
	if (ret)
		goto refuse;
	if (upload->len < HNBTRE_PKG_HEADER_LEN)
		return count;
	ret = header_cmds_len(upload->data);
	if (ret < 0)
		goto refuse;
	sig_at = HNBTRE_PKG_HEADER_LEN + ret;
	if (upload->len < sig_at + SIG_HEADER_MAX)
		return count;
	ret = sig_block_len(upload->data + sig_at);
	if (ret < 0 || upload->len > sig_at + ret) {
		ret = -EBADMSG;
		goto refuse;
	}
	if (upload->len < sig_at + ret)
		return count;
	ret = verify_signed_part(upload->data, upload->len, &facts);
refuse:
	finish(req, ret, &facts);
	return ret ? ret : count;
}

/**
 * package_write - write (part of) a package's signed part
 * @file: the transaction
 * @buf: the data
 * @count: its length
 * @ppos: must equal the bytes written so far
 *
 * Writes accumulate: header, command list, signature block, nothing else.
 * A header that cannot be valid is refused as soon as its 24 bytes are
 * in; the write that completes the signature block (its length from its
 * DER header) verifies the signed part and returns the verdict.  Every
 * refusal ends the transaction.
 *
 * Return: @count, or -EPERM, -EINVAL (offset, or after the end), -EFBIG,
 * -EBADMSG (malformed, or more than the signed part), -ENOKEY (no signer,
 * or none is an admitted software signer), -EKEYREJECTED (a signer does not
 * verify, or its signing time is outside its signer's validity), -ENOMEM,
 * -EFAULT.
 */
static ssize_t package_write(struct file *file, const char __user *buf,
			     size_t count, loff_t *ppos)
{
	struct package_request *req = file->private_data;

	return hnbtre_upload_write(&req->upload, buf, count, ppos,
				   package_append);
}

/**
 * package_read - the verdict of a finished transaction
 * @file: the transaction
 * @buf: where it goes
 * @count: room in @buf
 * @ppos: unused: the file position counts the bytes written
 *
 * "accepted signed=sha256:<hex of SHA-256(header | command list)>\n" or
 * "refused <reason>\n".
 *
 * Return: bytes read, or -ENODATA before the transaction is finished.
 */
static ssize_t package_read(struct file *file, char __user *buf, size_t count,
			    loff_t *ppos)
{
	struct package_request *req = file->private_data;
	ssize_t ret = -ENODATA;

	mutex_lock(&req->upload.lock);
	if (req->upload.finished)
		ret = simple_read_from_buffer(buf, count, &req->read_pos,
					      req->verdict,
					      strlen(req->verdict));
	mutex_unlock(&req->upload.lock);
	return ret;
}

static int package_flush(struct file *file, fl_owner_t id)
{
	struct package_request *req = file->private_data;
	int ret = hnbtre_upload_flush(&req->upload);

	if (ret)
		report(ret, NULL);
	return ret;
}

static const struct file_operations package_fops = {
	.owner = THIS_MODULE,
	.open = package_open,
	.read = package_read,
	.write = package_write,
	.flush = package_flush,
	.llseek = no_llseek,
	.release = package_release,
};

/**
 * hnbtre_package_init - create the package file
 *
 * Return: 0 or -errno.
 */
int hnbtre_package_init(void)
{
	struct audit_buffer *ab;

	/* A relaxed policy is a fact of this boot that the operator sees. */
	if (package_allow_sha1) {
		pr_warn("package policy relaxed: a SHA-1 signer alone is accepted (package_allow_sha1)\n");
		ab = audit_log_start(audit_context(), GFP_KERNEL,
				     AUDIT_INTEGRITY_STATUS);
		if (ab) {
			audit_log_format(ab, "op=hnbtre_package_policy allow_sha1=1 pid=%d",
					 task_tgid_nr(current));
			audit_log_end(ab);
		}
	}
	return hnbtre_fs_add("package", 0600, &package_fops);
}
