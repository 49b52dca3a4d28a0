// SPDX-License-Identifier: GPL-2.0-only
/*
 * Signed packages: the TrE's verdict on a package's signed part, through
 * the securityfs transaction file "package" (Documentation/package.md,
 * Documentation/ABI/testing/securityfs-hnbtre).
 *
 *   header: "HNBSPKG\n" | be32 format (1) | be32 command list length |
 *           be32 signature section length | be32 0
 *   command list: (be16 type | be32 length | value)..., version first
 *   signature section: (be32 length | CMS SignedData)...
 *
 * Every SignedData is a detached signature over the command list.  The
 * payload is not seen here: the command list carries its digests, and
 * the verdict carries the digest of the command list, so userspace
 * streams the payload against digests the TrE has verified.
 */

#include <asm/unaligned.h>
#include <crypto/pkcs7.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/ratelimit.h>
#include <linux/slab.h>
#include <linux/verification.h>

#include "hnbtre.h"

#define PKG_PREAMBLE		"HNBSPKG\n"
#define PKG_PREAMBLE_LEN	8
#define PKG_FORMAT		1
#define PKG_HEADER_LEN		24
#define PKG_CMDS_MAX		(1 << 20)
#define PKG_SIGS_MAX		(256 << 10)
#define PKG_SIGNED_MAX		(PKG_HEADER_LEN + PKG_CMDS_MAX + PKG_SIGS_MAX)
#define PKG_SIG_MAX		(64 << 10)
#define PKG_MAX_SIGNATURES	8
#define PKG_CMD_HEADER_LEN	6
#define PKG_CMD_VERSION		1

/* "accepted version=<20> commands=sha256:<64> signatures=<1>/<1>\n" */
#define VERDICT_MAX		128

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
 * @version: the package version (first command)
 * @commands: SHA-256 of the command list
 * @signatures: number of SignedData in the signature section
 * @trusted: how many of them chain to .hnbtre_roots
 */
struct package_facts {
	u64 version;
	u8 commands[SHA256_DIGEST_SIZE];
	unsigned int signatures;
	unsigned int trusted;
};

static atomic_t package_busy = ATOMIC_INIT(0);

/* The reasons of Documentation/package.md, one word each. */
static const char *reason_name(int result)
{
	switch (result) {
	case 0:
		return "accepted";
	case -EBADMSG:
		return "format";
	case -EFBIG:
		return "too-long";
	case -ENOKEY:
		return "unknown-signer";
	case -EKEYREJECTED:
		return "bad-signature";
	case -ENOMEM:
		return "no-memory";
	default:
		return "other";
	}
}

/* Length of the signed part the header declares, or 0 if it is invalid. */
static size_t header_signed_len(const u8 *h)
{
	u32 cmds = get_unaligned_be32(h + 12);
	u32 sigs = get_unaligned_be32(h + 16);

	if (memcmp(h, PKG_PREAMBLE, PKG_PREAMBLE_LEN) ||
	    get_unaligned_be32(h + 8) != PKG_FORMAT ||
	    get_unaligned_be32(h + 20) != 0 ||
	    cmds == 0 || cmds > PKG_CMDS_MAX || sigs > PKG_SIGS_MAX)
		return 0;
	return PKG_HEADER_LEN + cmds + sigs;
}

/*
 * The command list must be whole commands, the first the version (eight
 * bytes, not zero).  The meaning of the others is the installer's: the
 * signature covers them all, whatever they are.
 */
static int check_commands(const u8 *p, size_t len, u64 *version)
{
	size_t off = 0;

	while (off < len) {
		u32 value_len;

		if (len - off < PKG_CMD_HEADER_LEN)
			return -EBADMSG;
		value_len = get_unaligned_be32(p + off + 2);
		if (value_len > len - off - PKG_CMD_HEADER_LEN)
			return -EBADMSG;
		if (off == 0) {
			if (get_unaligned_be16(p) != PKG_CMD_VERSION ||
			    value_len != 8)
				return -EBADMSG;
			*version = get_unaligned_be64(p + PKG_CMD_HEADER_LEN);
			if (!*version)
				return -EBADMSG;
		}
		off += PKG_CMD_HEADER_LEN + value_len;
	}
	return 0;
}

/*
 * One SignedData against the roots.  A signer that does not chain (or
 * whose algorithms the kernel lacks) is tolerated, for root rollover; a
 * signature that does not verify, or a malformed one, refuses the whole
 * package.  The message is parsed once on its own first: that tells a
 * malformed one (-EBADMSG) from one that parses but does not verify,
 * for which verify_pkcs7_signature() may also say -EBADMSG (a PKCS#1
 * padding that does not check out, say).
 *
 * Return: 1 trusted, 0 tolerated, or -EKEYREJECTED, -EBADMSG, -ENOMEM.
 */
static int verify_one(const u8 *cmds, size_t cmds_len, const u8 *sig,
		      size_t sig_len)
{
	struct pkcs7_message *pkcs7;
	const void *content;
	size_t content_len, header_len;
	int ret;

	if (hnbtre_der_sequence_len(sig, sig_len) != sig_len)
		return -EBADMSG;
	pkcs7 = pkcs7_parse_message(sig, sig_len);
	if (IS_ERR(pkcs7))
		return PTR_ERR(pkcs7) == -ENOMEM ? -ENOMEM : -EBADMSG;
	/* Detached: the content is the command list, not in the message. */
	ret = pkcs7_get_content_data(pkcs7, &content, &content_len,
				     &header_len);
	pkcs7_free_message(pkcs7);
	if (ret != -ENODATA)
		return -EBADMSG;

	ret = verify_pkcs7_signature(cmds, cmds_len, sig, sig_len,
				     hnbtre_roots,
				     VERIFYING_UNSPECIFIED_SIGNATURE,
				     NULL, NULL);
	switch (ret) {
	case 0:
		return 1;
	case -ENOKEY:
	case -ENOPKG:
		return 0;
	case -ENOMEM:
		return ret;
	default:
		return -EKEYREJECTED;
	}
}

/*
 * Every signature must verify; at least one must chain to a root.  The
 * header was checked and @len is the length it declares.
 */
static int verify_signed_part(const u8 *data, size_t len,
			      struct package_facts *facts)
{
	size_t cmds_len = get_unaligned_be32(data + 12);
	const u8 *cmds = data + PKG_HEADER_LEN;
	const u8 *sig = cmds + cmds_len;
	size_t left = len - PKG_HEADER_LEN - cmds_len;
	int ret;

	ret = check_commands(cmds, cmds_len, &facts->version);
	if (ret)
		return ret;
	sha256(cmds, cmds_len, facts->commands);
	while (left) {
		u32 sig_len;

		if (left < 4 || facts->signatures == PKG_MAX_SIGNATURES)
			return -EBADMSG;
		sig_len = get_unaligned_be32(sig);
		if (sig_len == 0 || sig_len > PKG_SIG_MAX || sig_len > left - 4)
			return -EBADMSG;
		ret = verify_one(cmds, cmds_len, sig + 4, sig_len);
		if (ret < 0)
			return ret;
		facts->signatures++;
		facts->trusted += ret;
		sig += 4 + sig_len;
		left -= 4 + sig_len;
	}
	return facts->trusted ? 0 : -ENOKEY;
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
		pr_notice("hnbtre: package refused: %s (%d)\n", reason, result);
	else
		pr_info("hnbtre: package version %llu accepted, commands sha256:%*phN\n",
			facts->version, SHA256_DIGEST_SIZE, facts->commands);
	ab = audit_log_start(audit_context(), GFP_KERNEL,
			     AUDIT_INTEGRITY_STATUS);
	if (!ab)
		return;
	audit_log_format(ab, "op=hnbtre_package result=%s reason=%s",
			 result ? "refused" : "accepted", reason);
	if (!result)
		audit_log_format(ab, " version=%llu commands=sha256:%*phN",
				 facts->version, SHA256_DIGEST_SIZE,
				 facts->commands);
	audit_log_format(ab, " pid=%d", task_tgid_nr(current));
	audit_log_end(ab);
}

static void finish(struct package_request *req, int result,
		   const struct package_facts *facts)
{
	req->upload.finished = true;
	req->result = result;
	if (result)
		scnprintf(req->verdict, sizeof(req->verdict), "refused %s\n",
			  reason_name(result));
	else
		scnprintf(req->verdict, sizeof(req->verdict),
			  "accepted version=%llu commands=sha256:%*phN signatures=%u/%u\n",
			  facts->version, SHA256_DIGEST_SIZE, facts->commands,
			  facts->trusted, facts->signatures);
	report(result, facts);
}

/**
 * package_open - start a package transaction
 * @inode: the file's inode
 * @file: opened for writing (and for reading, to get the verdict)
 *
 * One transaction at a time, so that the kernel holds at most one signed
 * part (1.25 MiB at most).
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
	size_t signed_len;
	int ret;

	ret = hnbtre_upload_append(upload, buf, count, ppos, PKG_SIGNED_MAX);
	if (ret == -EINVAL)
		return ret;
	if (ret)
		goto refuse;
	if (upload->len < PKG_HEADER_LEN)
		return count;
	signed_len = header_signed_len(upload->data);
	if (!signed_len || upload->len > signed_len) {
		ret = -EBADMSG;
		goto refuse;
	}
	if (upload->len < signed_len)
		return count;
	ret = verify_signed_part(upload->data, signed_len, &facts);
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
 * Writes accumulate.  A header that cannot be valid is refused as soon as
 * its 24 bytes are in; the write that completes the length the header
 * declares verifies the signed part and returns the verdict.  Every
 * refusal ends the transaction.
 *
 * Return: @count, or -EPERM, -EINVAL (offset, or after the end), -EFBIG,
 * -EBADMSG (malformed, or more than the header declares), -ENOKEY (no
 * signature chains to .hnbtre_roots), -EKEYREJECTED (a signature does not
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
 * "accepted version=<n> commands=sha256:<hex> signatures=<t>/<n>\n" or
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
	return hnbtre_fs_add("package", 0600, &package_fops);
}
