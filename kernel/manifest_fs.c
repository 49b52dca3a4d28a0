// SPDX-License-Identifier: GPL-2.0-only
/*
 * The securityfs file "manifest": read, the active manifest's body;
 * written, a signed manifest to verify, load and validate
 * (Documentation/ABI/testing/securityfs-hnbtre).
 */

#include <linux/fs.h>
#include <linux/module.h>
#include <linux/seq_file.h>

#include "hnbtre.h"

static const char manifest_trailer_magic[] = HNBTRE_MANIFEST_SIG_MAGIC;

/* The active manifest's body, rebuilt from the parsed (canonical) form. */
static int manifest_show(struct seq_file *m, void *v)
{
	struct hnbtre_components *cs;
	struct hnbtre_manifest *manifest;
	unsigned int i;
	int ret = 0;

	mutex_lock(&hnbtre_lock);
	cs = hnbtre_active_components();
	if (!cs) {
		ret = -ENODATA;
		goto out;
	}
	manifest = cs->manifest;
	seq_printf(m, HNBTRE_MANIFEST_HEADER "version %llu\n",
		   manifest->version);
	for (i = 0; i < manifest->count; i++) {
		const struct hnbtre_reference *r = manifest->refs[i];

		seq_printf(m, "%s sha256:%*phN %s\n", r->path,
			   SHA256_DIGEST_SIZE, r->digest,
			   hnbtre_class_name(r->class));
	}
out:
	mutex_unlock(&hnbtre_lock);
	return ret;
}

/* A signed manifest being written: one writer at a time. */
static atomic_t manifest_writer = ATOMIC_INIT(0);

static int manifest_open(struct inode *inode, struct file *file)
{
	struct hnbtre_upload *upload;

	if (!(file->f_mode & FMODE_WRITE))
		return single_open(file, manifest_show, NULL);
	if (file->f_mode & FMODE_READ)
		return -EINVAL;
	upload = hnbtre_upload_open(&manifest_writer, sizeof(*upload));
	if (IS_ERR(upload))
		return PTR_ERR(upload);
	file->private_data = upload;
	return 0;
}

static int manifest_release(struct inode *inode, struct file *file)
{
	if (!(file->f_mode & FMODE_WRITE))
		return single_release(inode, file);
	hnbtre_upload_release(&manifest_writer, file->private_data);
	return 0;
}

static bool upload_complete(const struct hnbtre_upload *upload)
{
	size_t magic_len = sizeof(manifest_trailer_magic) - 1;

	return upload->len >= magic_len &&
	       !memcmp(upload->data + upload->len - magic_len,
		       manifest_trailer_magic, magic_len);
}

/*
 * Writes accumulate until the data ends with the signature trailer; that
 * write verifies, loads and validates the manifest and returns the result.
 */
static ssize_t manifest_append(struct hnbtre_upload *upload,
			       const char __user *buf, size_t count,
			       loff_t *ppos)
{
	struct hnbtre_manifest *manifest;
	int ret;

	ret = hnbtre_upload_append(upload, buf, count, ppos,
				   HNBTRE_MANIFEST_MAX_SIZE);
	if (ret || !count)
		return ret;
	if (!upload_complete(upload))
		return count;

	upload->finished = true;
	manifest = hnbtre_manifest_parse_signed(upload->data, upload->len);
	if (IS_ERR(manifest))
		return PTR_ERR(manifest);
	ret = hnbtre_load_manifest(manifest);
	return ret ? ret : count;
}

static ssize_t manifest_write(struct file *file, const char __user *buf,
			      size_t count, loff_t *ppos)
{
	return hnbtre_upload_write(file->private_data, buf, count, ppos,
				   manifest_append);
}

static int manifest_flush(struct file *file, fl_owner_t id)
{
	if (!(file->f_mode & FMODE_WRITE))
		return 0;
	return hnbtre_upload_flush(file->private_data);
}

static ssize_t manifest_read(struct file *file, char __user *buf,
			     size_t count, loff_t *ppos)
{
	if (file->f_mode & FMODE_WRITE)
		return -EINVAL;
	return seq_read(file, buf, count, ppos);
}

static const struct file_operations manifest_fops = {
	.owner = THIS_MODULE,
	.open = manifest_open,
	.read = manifest_read,
	.write = manifest_write,
	.flush = manifest_flush,
	.llseek = no_llseek,
	.release = manifest_release,
};

/**
 * hnbtre_manifest_fs_init - add the file "manifest"
 *
 * Return: 0 or -errno.
 */
int hnbtre_manifest_fs_init(void)
{
	return hnbtre_fs_add("manifest", 0600, &manifest_fops);
}
