// SPDX-License-Identifier: GPL-2.0-only
/*
 * Designated components are held with writing denied, as the kernel does
 * for running executables (Documentation/kernel.md): while a component
 * passes, no write(2), mmap(MAP_SHARED) store, splice, AIO,
 * copy_file_range, fallocate, loop device or any other path that needs
 * the file open for writing can change its bytes; opening it for writing
 * fails with ETXTBSY.  A file that is already open for writing (a shared
 * writable mapping taken before the validation) cannot be held and fails
 * validation.
 *
 * What is held is the path (dentry and mount) and a count in the inode's
 * i_writecount, not an open file: 16 bytes per component, not a struct
 * file.
 */

#include <linux/dcache.h>
#include <linux/fs.h>
#include <linux/ima.h>
#include <linux/path.h>

#include "hnbtre.h"

/* The real inode below overlayfs, or NULL when @path is not an overlay. */
static struct inode *real_inode(const struct path *path)
{
	struct inode *real = d_real_inode(path->dentry);

	return real == d_inode(path->dentry) ? NULL : real;
}

/* deny_write_access() for an inode: fails while it is open for writing. */
static int deny_inode_write(struct inode *inode)
{
	return atomic_dec_unless_positive(&inode->i_writecount) ? 0 : -ETXTBSY;
}

static void allow_inode_write(struct inode *inode)
{
	atomic_inc(&inode->i_writecount);
}

/**
 * hnbtre_hold - open a component for reading and deny writing to it
 * @c: the component; what it held before is released
 * @path: the regular file its path resolves to now
 *
 * Opens @path read-only (IMA's appraisal policy applies, as for any
 * open), denies writing to its inode and, on overlayfs, to the real inode
 * below, and keeps @path in @c->held until hnbtre_release().
 *
 * Return: the open file, for the caller to read and fput();
 * ERR_PTR(-ETXTBSY) if the file (or the real inode) is open for writing
 * or mapped shared and writable; another ERR_PTR of the open.  On error
 * @c holds nothing.
 */
struct file *hnbtre_hold(struct hnbtre_component *c, const struct path *path)
{
	struct inode *inode = d_inode(path->dentry), *real = real_inode(path);
	struct file *file;
	int ret;

	file = dentry_open(path, O_RDONLY | O_LARGEFILE, current_cred());
	if (IS_ERR(file))
		goto out;
	ret = ima_file_check(file, MAY_OPEN | MAY_READ);
	if (!ret)
		ret = deny_inode_write(inode);
	if (!ret && real) {
		ret = deny_inode_write(real);
		if (ret)
			allow_inode_write(inode);
	}
	if (ret) {
		fput(file);
		file = ERR_PTR(ret);
	}
out:
	/* After the new denial: the inode is never writable in between. */
	hnbtre_release(c);
	if (!IS_ERR(file)) {
		c->held = *path;
		path_get(&c->held);
		c->real = real;
		if (real)
			ihold(real);
	}
	return file;
}

/**
 * hnbtre_release - allow writing to a component again
 * @c: the component; nothing happens if it holds nothing
 */
void hnbtre_release(struct hnbtre_component *c)
{
	if (c->real) {
		allow_inode_write(c->real);
		iput(c->real);
		c->real = NULL;
	}
	if (c->held.dentry) {
		allow_inode_write(d_inode(c->held.dentry));
		path_put(&c->held);
		c->held = (struct path){};
	}
}
