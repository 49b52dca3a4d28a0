// SPDX-License-Identifier: GPL-2.0-only
/*
 * securityfs interface: /sys/kernel/security/hnbtre/
 * (Documentation/ABI/testing/securityfs-hnbtre).
 */

#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/security.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "hnbtre.h"

struct dentry *hnbtre_dir;
static struct dentry *entries[24];
static unsigned int nr_entries;

static const char manifest_trailer_magic[] = HNBTRE_MANIFEST_SIG_MAGIC;

static ssize_t state_read(struct file *file, char __user *buf, size_t count,
			  loff_t *ppos)
{
	const char *name = hnbtre_state_name(hnbtre_state_get());
	char line[16];
	int len;

	len = scnprintf(line, sizeof(line), "%s\n", name);
	return simple_read_from_buffer(buf, count, ppos, line, len);
}

static const struct file_operations state_fops = {
	.owner = THIS_MODULE,
	.read = state_read,
	.llseek = generic_file_llseek,
};

static ssize_t read_digest(char __user *buf, size_t count, loff_t *ppos,
			   bool tim)
{
	struct hnbtre_status status;
	char line[8 + 2 * SHA256_DIGEST_SIZE + 1];
	int len;

	hnbtre_status_get(&status);
	if (tim ? !status.validated : !status.has_manifest)
		return -ENODATA;
	len = scnprintf(line, sizeof(line), "sha256:%*phN\n",
			SHA256_DIGEST_SIZE, tim ? status.tim : status.rim);
	return simple_read_from_buffer(buf, count, ppos, line, len);
}

static ssize_t tim_read(struct file *file, char __user *buf, size_t count,
			loff_t *ppos)
{
	return read_digest(buf, count, ppos, true);
}

static ssize_t rim_read(struct file *file, char __user *buf, size_t count,
			loff_t *ppos)
{
	return read_digest(buf, count, ppos, false);
}

static const struct file_operations tim_fops = {
	.owner = THIS_MODULE,
	.read = tim_read,
	.llseek = generic_file_llseek,
};

static const struct file_operations rim_fops = {
	.owner = THIS_MODULE,
	.read = rim_read,
	.llseek = generic_file_llseek,
};

/*
 * One snapshot of what "state", "rim", "tim" and the verdicts of
 * "components" say one by one: reading those in turn can straddle a
 * validation.
 */
static ssize_t status_read(struct file *file, char __user *buf, size_t count,
			   loff_t *ppos)
{
	struct hnbtre_status status;
	char text[384];	/* at most 342 bytes */
	int len, i;

	hnbtre_status_get(&status);
	len = scnprintf(text, sizeof(text), "state %s\nvalidations %llu\n",
			hnbtre_state_name(status.state), status.validations);
	if (status.has_manifest)
		len += scnprintf(text + len, sizeof(text) - len,
				 "version %llu\nrim sha256:%*phN\n",
				 status.manifest_version, SHA256_DIGEST_SIZE,
				 status.rim);
	else
		len += scnprintf(text + len, sizeof(text) - len,
				 "version -\nrim -\n");
	if (status.validated)
		len += scnprintf(text + len, sizeof(text) - len,
				 "tim sha256:%*phN\n", SHA256_DIGEST_SIZE,
				 status.tim);
	else
		len += scnprintf(text + len, sizeof(text) - len, "tim -\n");
	for (i = 0; i < HNBTRE_VERDICT_COUNT; i++)
		len += scnprintf(text + len, sizeof(text) - len, "%s %u\n",
				 hnbtre_verdict_name(i), status.verdicts[i]);
	return simple_read_from_buffer(buf, count, ppos, text, len);
}

static const struct file_operations status_fops = {
	.owner = THIS_MODULE,
	.read = status_read,
	.llseek = generic_file_llseek,
};

static int components_show(struct seq_file *m, void *v)
{
	struct hnbtre_components *cs;
	unsigned int i;

	mutex_lock(&hnbtre_lock);
	cs = hnbtre_active_components();
	for (i = 0; cs && i < cs->count; i++) {
		struct hnbtre_component *c = &cs->components[i];

		seq_printf(m, "%s %s ", hnbtre_verdict_name(c->verdict),
			   c->ref->path);
		if (c->verdict == HNBTRE_VERDICT_MISSING || c->verdict == HNBTRE_VERDICT_PENDING)
			seq_puts(m, "sha256:-");
		else
			seq_printf(m, "sha256:%*phN", SHA256_DIGEST_SIZE,
				   c->measured);
		seq_printf(m, " %s\n", hnbtre_class_name(c->ref->class));
	}
	mutex_unlock(&hnbtre_lock);
	return 0;
}

static int components_open(struct inode *inode, struct file *file)
{
	return single_open(file, components_show, NULL);
}

static const struct file_operations components_fops = {
	.owner = THIS_MODULE,
	.open = components_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.release = single_release,
};

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

/**
 * hnbtre_upload_open - start a transaction on a securityfs file
 * @busy: the file's flag: one transaction at a time
 * @size: size of the per-open state, which starts with a struct
 *	hnbtre_upload
 *
 * One at a time bounds what the kernel holds for a file.
 *
 * Return: the zeroed state, or ERR_PTR(-EPERM) without CAP_SYS_ADMIN,
 * ERR_PTR(-EBUSY) while another transaction is open, ERR_PTR(-ENOMEM).
 */
void *hnbtre_upload_open(atomic_t *busy, size_t size)
{
	void *state;

	if (!capable(CAP_SYS_ADMIN))
		return ERR_PTR(-EPERM);
	if (atomic_cmpxchg(busy, 0, 1))
		return ERR_PTR(-EBUSY);
	state = kzalloc(size, GFP_KERNEL);
	if (!state) {
		atomic_set(busy, 0);
		return ERR_PTR(-ENOMEM);
	}
	mutex_init(&((struct hnbtre_upload *)state)->lock);
	return state;
}

/**
 * hnbtre_upload_release - end a transaction started by hnbtre_upload_open()
 * @busy: the file's flag
 * @upload: the per-open state
 */
void hnbtre_upload_release(atomic_t *busy, struct hnbtre_upload *upload)
{
	mutex_destroy(&upload->lock);
	kvfree(upload->data);
	kfree(upload);
	atomic_set(busy, 0);
}

/**
 * hnbtre_upload_append - append a write() to a transaction's buffer
 * @upload: the transaction
 * @buf: the user's data
 * @count: its length
 * @ppos: the write's file position, advanced by @count
 * @max: the most the buffer may hold
 *
 * Each write must start where the previous one ended.  The buffer doubles
 * as it grows, so that many small writes stay cheap, and never beyond
 * @max.
 *
 * Return: 0, -EINVAL (finished, or another offset), -EFBIG (more than
 * @max in all), -ENOMEM or -EFAULT.
 */
int hnbtre_upload_append(struct hnbtre_upload *upload, const char __user *buf,
			 size_t count, loff_t *ppos, size_t max)
{
	if (upload->finished || *ppos != upload->len)
		return -EINVAL;
	if (count > max - upload->len)
		return -EFBIG;
	if (upload->len + count > upload->size) {
		size_t size = max_t(size_t, upload->size * 2, PAGE_SIZE);
		u8 *data;

		while (size < upload->len + count)
			size *= 2;
		size = min_t(size_t, size, max);
		data = kvmalloc(size, GFP_KERNEL);
		if (!data)
			return -ENOMEM;
		if (upload->data)
			memcpy(data, upload->data, upload->len);
		kvfree(upload->data);
		upload->data = data;
		upload->size = size;
	}
	if (copy_from_user(upload->data + upload->len, buf, count))
		return -EFAULT;
	upload->len += count;
	*ppos += count;
	return 0;
}

/**
 * hnbtre_upload_write - a write() to a transaction file
 * @upload: the transaction
 * @buf: the user's data
 * @count: its length
 * @ppos: the write's file position
 * @append: what the file does with it, under the transaction's lock
 *
 * Return: -EPERM without CAP_SYS_ADMIN, else what @append returns.
 */
ssize_t hnbtre_upload_write(struct hnbtre_upload *upload,
			    const char __user *buf, size_t count, loff_t *ppos,
			    hnbtre_upload_fn append)
{
	ssize_t ret;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	mutex_lock(&upload->lock);
	ret = append(upload, buf, count, ppos);
	mutex_unlock(&upload->lock);
	return ret;
}

/**
 * hnbtre_upload_flush - close() of a transaction
 * @upload: the transaction
 *
 * A writer that sent bytes but never a complete request: the data is
 * discarded, and close() says so rather than succeeding silently.
 *
 * Return: 0, or -EBADMSG for an incomplete request.
 */
int hnbtre_upload_flush(struct hnbtre_upload *upload)
{
	int ret = 0;

	mutex_lock(&upload->lock);
	if (!upload->finished && upload->len) {
		upload->finished = true;
		ret = -EBADMSG;
	}
	mutex_unlock(&upload->lock);
	return ret;
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
 * hnbtre_trigger_check - check a write of "1" (or "1\n") to a trigger file
 * @buf: the user buffer of the write
 * @count: its length
 * @ppos: the write's position
 *
 * Context: process context; may fault in @buf.
 * Return: 0 for a whole "1" written at offset 0 by CAP_SYS_ADMIN, -EPERM
 * without that capability, -EFAULT for a bad buffer, -EINVAL otherwise.
 */
int hnbtre_trigger_check(const char __user *buf, size_t count, loff_t *ppos)
{
	char cmd[3] = {};

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (*ppos != 0 || count == 0 || count > 2)
		return -EINVAL;
	if (copy_from_user(cmd, buf, count))
		return -EFAULT;
	if (strcmp(cmd, "1") && strcmp(cmd, "1\n"))
		return -EINVAL;
	return 0;
}

static ssize_t validate_write(struct file *file, const char __user *buf,
			      size_t count, loff_t *ppos)
{
	int ret = hnbtre_trigger_check(buf, count, ppos);

	if (ret)
		return ret;
	ret = hnbtre_validate("validate");
	return ret ? ret : count;
}

static const struct file_operations validate_fops = {
	.owner = THIS_MODULE,
	.write = validate_write,
	.llseek = no_llseek,
};

/**
 * hnbtre_fs_add_data - add a file with private data to /sys/kernel/security/hnbtre/
 * @name: file name
 * @mode: permissions
 * @fops: its operations; .owner must be THIS_MODULE, so that an open file
 *	holds the module
 * @data: the inode's i_private
 *
 * Files are removed by hnbtre_fs_exit().
 *
 * Return: 0 or -errno.
 */
int hnbtre_fs_add_data(const char *name, umode_t mode,
		       const struct file_operations *fops, void *data)
{
	struct dentry *dentry;

	if (WARN_ON(fops->owner != THIS_MODULE))
		return -EINVAL;
	if (nr_entries == ARRAY_SIZE(entries))
		return -ENOSPC;
	dentry = securityfs_create_file(name, mode, hnbtre_dir, data, fops);
	if (IS_ERR(dentry))
		return PTR_ERR(dentry);
	entries[nr_entries++] = dentry;
	return 0;
}

/**
 * hnbtre_fs_add - add a file to /sys/kernel/security/hnbtre/
 * @name: file name
 * @mode: permissions
 * @fops: its operations, as for hnbtre_fs_add_data()
 *
 * Return: 0 or -errno.
 */
int hnbtre_fs_add(const char *name, umode_t mode,
		  const struct file_operations *fops)
{
	return hnbtre_fs_add_data(name, mode, fops, NULL);
}

int hnbtre_fs_init(void)
{
	int ret;

	hnbtre_dir = securityfs_create_dir(HNBTRE_SECURITYFS_NAME, NULL);
	if (IS_ERR(hnbtre_dir))
		return PTR_ERR(hnbtre_dir);
	ret = hnbtre_fs_add("state", 0444, &state_fops);
	if (!ret)
		ret = hnbtre_fs_add("status", 0444, &status_fops);
	if (!ret)
		ret = hnbtre_fs_add("tim", 0444, &tim_fops);
	if (!ret)
		ret = hnbtre_fs_add("rim", 0444, &rim_fops);
	if (!ret)
		ret = hnbtre_fs_add("components", 0444, &components_fops);
	if (!ret)
		ret = hnbtre_fs_add("manifest", 0600, &manifest_fops);
	if (!ret)
		ret = hnbtre_fs_add("validate", 0200, &validate_fops);
	if (ret)
		hnbtre_fs_exit();
	return ret;
}

/* securityfs_remove() is not recursive in 6.1: children first. */
void hnbtre_fs_exit(void)
{
	while (nr_entries)
		securityfs_remove(entries[--nr_entries]);
	securityfs_remove(hnbtre_dir);
	hnbtre_dir = NULL;
}
