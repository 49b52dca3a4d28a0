// SPDX-License-Identifier: GPL-2.0-only
/*
 * securityfs: the directory /sys/kernel/security/hnbtre/, adding files
 * to it, and the helpers shared by its files: transactions written in
 * pieces (hnbtre_upload_*, and hnbtre_sized_fops for requests that
 * announce their length) and trigger files (hnbtre_trigger_fops).  The files themselves live
 * with their concern (state_fs.c, manifest_fs.c, devkey.c, ...);
 * Documentation/ABI/testing/securityfs-hnbtre describes them.
 */

#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/security.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "hnbtre.h"

struct dentry *hnbtre_dir;
static struct dentry *entries[24];
static unsigned int nr_entries;

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
	/* uploads carry keys (device_key, distress_key, attest_key) */
	kvfree_sensitive(upload->data, upload->size);
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
		kvfree_sensitive(upload->data, upload->size);
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

/* The per-open state of a hnbtre_sized_fops file. */
struct sized_upload {
	struct hnbtre_upload upload;
	const struct hnbtre_sized_file *file;
};

/*
 * Writes accumulate until the request is as long as its first bytes
 * announce; that write submits it and returns the result.  The buffer is
 * wiped then: requests carry keys.
 */
static ssize_t sized_append(struct hnbtre_upload *upload,
			    const char __user *buf, size_t count, loff_t *ppos)
{
	const struct hnbtre_sized_file *sf =
		container_of(upload, struct sized_upload, upload)->file;
	ssize_t need;
	int ret;

	ret = hnbtre_upload_append(upload, buf, count, ppos, sf->max);
	if (ret || !count)
		return ret;
	need = sf->request_len(upload->data, upload->len);
	if (need > 0 && (size_t)need > sf->max)
		need = -EBADMSG;
	if (!need || (need > 0 && upload->len < (size_t)need))
		return count;
	if (need < 0 || upload->len > (size_t)need)
		ret = -EBADMSG;
	else
		ret = sf->submit(sf, upload->data, upload->len);
	upload->finished = true;
	memzero_explicit(upload->data, upload->size);
	return ret ? ret : count;
}

static int sized_open(struct inode *inode, struct file *file)
{
	struct hnbtre_sized_file *sf = inode->i_private;
	struct sized_upload *su;

	if (file->f_mode & FMODE_READ)
		return -EINVAL;
	su = hnbtre_upload_open(&sf->busy, sizeof(*su));
	if (IS_ERR(su))
		return PTR_ERR(su);
	su->file = sf;
	file->private_data = su;
	return 0;
}

static ssize_t sized_write(struct file *file, const char __user *buf,
			   size_t count, loff_t *ppos)
{
	return hnbtre_upload_write(file->private_data, buf, count, ppos,
				   sized_append);
}

static int sized_flush(struct file *file, fl_owner_t id)
{
	return hnbtre_upload_flush(file->private_data);
}

static int sized_release(struct inode *inode, struct file *file)
{
	struct hnbtre_sized_file *sf = inode->i_private;

	hnbtre_upload_release(&sf->busy, file->private_data);
	return 0;
}

/*
 * The operations of a write-only file whose i_private is a struct
 * hnbtre_sized_file: one request, whole when it is as long as it says.
 */
const struct file_operations hnbtre_sized_fops = {
	.owner = THIS_MODULE,
	.open = sized_open,
	.write = sized_write,
	.flush = sized_flush,
	.llseek = no_llseek,
	.release = sized_release,
};

/*
 * A write of "1" (or "1\n") at offset 0 by CAP_SYS_ADMIN; else -EPERM
 * without that capability, -EFAULT for a bad buffer, -EINVAL.
 */
static int trigger_check(const char __user *buf, size_t count, loff_t *ppos)
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

static ssize_t trigger_write(struct file *file, const char __user *buf,
			     size_t count, loff_t *ppos)
{
	const struct hnbtre_trigger *trigger = file_inode(file)->i_private;
	int ret = trigger_check(buf, count, ppos);

	if (!ret)
		ret = trigger->fire();
	return ret ? ret : count;
}

/*
 * The operations of a write-only file whose i_private is a struct
 * hnbtre_trigger.
 */
const struct file_operations hnbtre_trigger_fops = {
	.owner = THIS_MODULE,
	.write = trigger_write,
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

/**
 * hnbtre_fs_init - create the directory
 *
 * Return: 0 or -errno.
 */
int hnbtre_fs_init(void)
{
	hnbtre_dir = securityfs_create_dir(HNBTRE_SECURITYFS_NAME, NULL);
	return PTR_ERR_OR_ZERO(hnbtre_dir);
}

/* securityfs_remove() is not recursive in 6.1: children first. */
void hnbtre_fs_exit(void)
{
	while (nr_entries)
		securityfs_remove(entries[--nr_entries]);
	securityfs_remove(hnbtre_dir);
	hnbtre_dir = NULL;
}
