// SPDX-License-Identifier: GPL-2.0-only
/*
 * Tamper detection: an fsnotify inode mark on every designated component
 * and on every directory and symlink its path resolves through.  fsnotify
 * calls the handler synchronously in the context of the process that
 * changes the file, which reports the change through the callback given
 * to hnbtre_watch_init() (state.c's): so the state is "tampered" before
 * the write, truncate, rename, unlink or xattr change returns to that
 * process, and before a rename, exchange, removal or attribute change of
 * a directory or symlink on the way to it returns.  watch.c knows marks,
 * not the state.
 */

#include <linux/fs.h>
#include <linux/fsnotify_backend.h>
#include <linux/hashtable.h>
#include <linux/namei.h>
#include <linux/path.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "hnbtre.h"

#define HNBTRE_WATCH_EVENTS \
	(FS_MODIFY | FS_ATTRIB | FS_MOVE_SELF | FS_DELETE_SELF)


/**
 * struct hnbtre_watch - fsnotify mark of one component or of a path entry
 * @mark: the mark; fsnotify owns its lifetime once attached
 * @inode: the inode it was attached to, compared but never dereferenced
 * @generation: generation of the manifest of the component
 * @index: index of the component in that manifest, or
 *	HNBTRE_WATCH_PATH_ENTRY: a path entry belongs to no one component
 * @changed: an event arrived since the component was last validated
 * @node: path entries: in entry_table, by @inode
 * @users: path entries: components whose path passes it
 *
 * The handler may run after the component was freed, so it uses only
 * what is copied here.  A directory such as /usr/lib is on the path of
 * many components: its mark is shared, so that the memory per component
 * stays what its own file needs.
 */
struct hnbtre_watch {
	struct fsnotify_mark mark;
	struct inode *inode;
	u32 generation;
	u32 index;
	bool changed;
	struct hlist_node node;
	unsigned int users;
};

/* Shared marks of path entries, by inode; validation workers race here. */
static DEFINE_MUTEX(entry_lock);
static DEFINE_HASHTABLE(entry_table, 8);

static struct fsnotify_group *hnbtre_group;
/* Told of every change; set once by hnbtre_watch_init(). */
static hnbtre_watch_fn report_change;

static int hnbtre_handle_event(struct fsnotify_mark *mark, u32 mask,
			       struct inode *inode, struct inode *dir,
			       const struct qstr *name, u32 cookie)
{
	struct hnbtre_watch *w = container_of(mark, struct hnbtre_watch, mark);

	/*
	 * A directory is removed only once empty, after the components
	 * below it raised their own events.  Its DELETE_SELF comes when the
	 * last reference goes, which can be a validation letting go of a
	 * file it held in a stale copy of the directory, no longer on any
	 * path: no change of anything the components depend on.
	 */
	if (w->index == HNBTRE_WATCH_PATH_ENTRY && (mask & FS_DELETE_SELF) &&
	    inode && S_ISDIR(inode->i_mode))
		return 0;

	/* Seen in every state; the state machine only reacts when trusted. */
	WRITE_ONCE(w->changed, true);
	report_change(w->generation, w->index, mask);
	return 0;
}

static void hnbtre_free_mark(struct fsnotify_mark *mark)
{
	kfree(container_of(mark, struct hnbtre_watch, mark));
}

static const struct fsnotify_ops hnbtre_fsnotify_ops = {
	.handle_inode_event = hnbtre_handle_event,
	.free_mark = hnbtre_free_mark,
};

/*
 * fsnotify drops the marks of an inode whose last link is removed, and the
 * inode may then be freed and its memory reused by a new one: a mark
 * still attached proves that its inode is the one at that address.
 */
static bool mark_attached(struct hnbtre_watch *w)
{
	bool attached;

	spin_lock(&w->mark.lock);
	attached = w->mark.flags & FSNOTIFY_MARK_FLAG_ATTACHED;
	spin_unlock(&w->mark.lock);
	return attached;
}

static struct hnbtre_watch *new_watch(struct inode *inode, u32 generation,
				      u32 index)
{
	struct hnbtre_watch *w;
	int ret;

	w = kzalloc(sizeof(*w), GFP_KERNEL);
	if (!w)
		return ERR_PTR(-ENOMEM);
	fsnotify_init_mark(&w->mark, hnbtre_group);
	w->mark.mask = HNBTRE_WATCH_EVENTS;
	w->inode = inode;
	w->generation = generation;
	w->index = index;
	ret = fsnotify_add_inode_mark(&w->mark, inode, 0);
	if (ret) {
		fsnotify_put_mark(&w->mark);
		return ERR_PTR(ret);
	}
	return w;
}

static void destroy_watch(struct hnbtre_watch *w)
{
	fsnotify_destroy_mark(&w->mark, hnbtre_group);
	fsnotify_put_mark(&w->mark);
}

static void drop_watch(struct hnbtre_watch **slot)
{
	struct hnbtre_watch *w = *slot;

	if (!w)
		return;
	*slot = NULL;
	destroy_watch(w);
}

/* The shared mark of a path entry, with one more user. */
static struct hnbtre_watch *get_entry(struct inode *inode)
{
	struct hnbtre_watch *w;

	mutex_lock(&entry_lock);
	hash_for_each_possible(entry_table, w, node, (unsigned long)inode) {
		/* A detached mark's inode may be gone, its address reused. */
		if (w->inode == inode && mark_attached(w)) {
			w->users++;
			goto out;
		}
	}
	w = new_watch(inode, 0, HNBTRE_WATCH_PATH_ENTRY);
	if (!IS_ERR(w)) {
		w->users = 1;
		hash_add(entry_table, &w->node, (unsigned long)inode);
	}
out:
	mutex_unlock(&entry_lock);
	return w;
}

static void put_entry(struct hnbtre_watch *w)
{
	if (!w)
		return;
	mutex_lock(&entry_lock);
	if (--w->users)
		w = NULL;
	else
		hash_del(&w->node);
	mutex_unlock(&entry_lock);
	if (w)
		destroy_watch(w);
}

/*
 * Watch @inode through *@slot.  A mark still attached to this very inode
 * is kept; otherwise a new one is attached first and the old one dropped
 * after, so that the slot is never without a mark.
 */
static int watch_inode(struct hnbtre_watch **slot, struct inode *inode,
		       u32 generation, u32 index)
{
	struct hnbtre_watch *w = *slot;

	if (w && w->inode == inode && mark_attached(w)) {
		w->generation = generation;
		w->index = index;
		/* Validation reads after this: a later change is seen. */
		WRITE_ONCE(w->changed, false);
		return 0;
	}
	w = new_watch(inode, generation, index);
	if (IS_ERR(w))
		return PTR_ERR(w);
	drop_watch(slot);
	*slot = w;
	return 0;
}

/**
 * hnbtre_watch_real - watch the real inode below an overlayfs component
 * @component: the component, its path watched (hnbtre_watch_path())
 * @file: the component, open
 * @generation: generation of the component's manifest
 * @index: index of the component in its manifest
 *
 * A write to the file in overlayfs' upper or lower directory notifies
 * only the real inode, not the overlay inode the path leads to.
 *
 * Return: 0 or -errno.
 */
int hnbtre_watch_real(struct hnbtre_component *component, struct file *file,
		      u32 generation, u32 index)
{
	struct inode *real = d_real_inode(file->f_path.dentry);

	if (real == file_inode(file)) {
		drop_watch(&component->real_watch);
		return 0;
	}
	return watch_inode(&component->real_watch, real, generation, index);
}

/* Put the shared mark of @inode in slot @level of @c's path entries. */
static int watch_path_entry(struct hnbtre_component *c, unsigned int level,
			    struct inode *inode)
{
	struct hnbtre_watch *w;

	if (level >= c->nr_entries) {
		struct hnbtre_watch **entries;

		entries = krealloc_array(c->entries, level + 1,
					 sizeof(*entries), GFP_KERNEL);
		if (!entries)
			return -ENOMEM;
		memset(entries + c->nr_entries, 0,
		       (level + 1 - c->nr_entries) * sizeof(*entries));
		c->entries = entries;
		c->nr_entries = level + 1;
	}
	w = c->entries[level];
	if (w && w->inode == inode && mark_attached(w)) {
		/* Validation reads after this: a later change is seen. */
		WRITE_ONCE(w->changed, false);
		return 0;
	}
	w = get_entry(inode);
	if (IS_ERR(w))
		return PTR_ERR(w);
	put_entry(c->entries[level]);
	c->entries[level] = w;
	return 0;
}

/*
 * Look up @prefix (an absolute path whose symlinks, except perhaps the
 * last element, are already expanded), watch the entry it names (@level
 * of the path entries, or the component itself if @last) and look it up
 * again: the entry watched is the one the name still leads to, so that
 * any later change of it raises an event.
 */
static int watch_entry(struct hnbtre_component *c, unsigned int level,
		       bool last, const char *prefix, struct path *entry,
		       u32 generation, u32 index)
{
	struct path again;
	int tries, ret;

	for (tries = 0; tries < 3; tries++) {
		ret = kern_path(prefix, 0, entry);
		if (ret)
			return ret;
		if (last && !d_is_symlink(entry->dentry))
			ret = watch_inode(&c->watch, d_inode(entry->dentry),
					  generation, index);
		else
			ret = watch_path_entry(c, level, d_inode(entry->dentry));
		if (!ret)
			ret = kern_path(prefix, 0, &again);
		if (ret) {
			path_put(entry);
			return ret;
		}
		ret = path_equal(entry, &again);
		path_put(&again);
		if (ret)
			return 0;
		path_put(entry);
	}
	/* Changing faster than it can be looked up: not a component now. */
	return -EAGAIN;
}

/*
 * Replace the symlink ending at @buf[@end] by its target: an absolute
 * target replaces the whole prefix, a relative one the last element.
 * Return: the offset in @buf of the first element to look up next.
 */
static int expand_link(char *buf, size_t pos, size_t end,
		       struct dentry *link)
{
	DEFINE_DELAYED_CALL(done);
	const char *target;
	size_t keep, tlen, rest = strlen(buf + end);

	target = vfs_get_link(link, &done);
	if (IS_ERR(target))
		return PTR_ERR(target);
	keep = *target == '/' ? 0 : pos;
	tlen = strlen(target);
	if (!tlen || keep + tlen + rest + 1 > PATH_MAX) {
		do_delayed_call(&done);
		return tlen ? -ENAMETOOLONG : -ENOENT;
	}
	memmove(buf + keep + tlen, buf + end, rest + 1);
	memcpy(buf + keep, target, tlen);
	do_delayed_call(&done);
	return keep;
}

/**
 * hnbtre_watch_path - resolve a component's path, watching every entry
 * @c: the component
 * @generation: generation of the component's manifest
 * @index: index of the component in its manifest
 * @found: set to the component's final directory entry (a reference the
 *	caller drops) on success
 *
 * Walks @c->ref->path one element at a time from the root of the initial mount
 * namespace and puts a mark on each directory and symlink it passes,
 * following symlinks on the way (an A/B "current" link) but not in the
 * last element.  A rename, exchange, removal or attribute change of any
 * entry on the path then raises an event, as a change of the file does.
 * Mounts are crossed but cannot be watched: fsnotify reports no mount.
 * Marks of entries the path no longer passes are dropped.
 *
 * Return: 0; -ELOOP if the last element is a symlink or there are more
 * than MAXSYMLINKS; another -errno of the lookup; -ENOMEM.
 */
int hnbtre_watch_path(struct hnbtre_component *c, u32 generation, u32 index,
		      struct path *found)
{
	unsigned int level = 0, links = 0;
	struct path entry = {};
	size_t pos, end;
	char *buf;
	int ret;

	buf = kmalloc(PATH_MAX, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	strscpy(buf, c->ref->path, PATH_MAX);
	pos = 0;
	for (;;) {
		char saved;

		while (buf[pos] == '/')
			pos++;
		end = pos + strcspn(buf + pos, "/");
		if (end == pos) {
			/* The path (or a link target) ended in a slash. */
			ret = -ENOENT;
			break;
		}
		saved = buf[end];
		buf[end] = '\0';
		path_put(&entry);
		ret = watch_entry(c, level, !saved, buf, &entry, generation,
				  index);
		buf[end] = saved;
		if (ret) {
			entry = (struct path){};
			break;
		}
		if (!saved && !d_is_symlink(entry.dentry))
			break;
		level++;
		if (d_is_symlink(entry.dentry)) {
			if (!saved || ++links > MAXSYMLINKS) {
				ret = -ELOOP;
				break;
			}
			ret = expand_link(buf, pos, end, entry.dentry);
			if (ret < 0)
				break;
			pos = ret;
			continue;
		}
		pos = end;
	}
	kfree(buf);
	while (c->nr_entries > level)
		put_entry(c->entries[--c->nr_entries]);
	if (ret) {
		drop_watch(&c->watch);
		path_put(&entry);
		return ret;
	}
	*found = entry;
	return 0;
}

/**
 * hnbtre_unwatch - stop watching a component and the entries of its path
 * @component: the component; nothing happens if it is not watched
 */
void hnbtre_unwatch(struct hnbtre_component *component)
{
	drop_watch(&component->watch);
	drop_watch(&component->real_watch);
	while (component->nr_entries)
		put_entry(component->entries[--component->nr_entries]);
	kfree(component->entries);
	component->entries = NULL;
}

static bool watch_intact(struct hnbtre_watch *w)
{
	return w && mark_attached(w) && !READ_ONCE(w->changed);
}

/**
 * hnbtre_watch_intact - a component and its path are unchanged since
 *	its validation
 * @c: the component
 *
 * Return: false if it is not watched, or a mark of it or of an entry on
 * its path is detached or saw a change.
 */
bool hnbtre_watch_intact(struct hnbtre_component *c)
{
	unsigned int i;

	if (!watch_intact(c->watch) ||
	    (c->real_watch && !watch_intact(c->real_watch)))
		return false;
	for (i = 0; i < c->nr_entries; i++)
		if (!watch_intact(c->entries[i]))
			return false;
	return true;
}

/**
 * hnbtre_watch_is - the component's path leads to @inode
 * @c: a component for which hnbtre_watch_intact() holds, so that the
 *	inode its mark is on is still the one at that address
 * @inode: the inode to compare with, not dereferenced
 *
 * Return: true if @c's mark is on @inode.
 */
bool hnbtre_watch_is(struct hnbtre_component *c, struct inode *inode)
{
	return c->watch->inode == inode;
}

/**
 * hnbtre_watch_init - set up the fsnotify group of all marks
 * @changed: called for every change a mark sees
 *
 * Return: 0 or -errno.
 */
int hnbtre_watch_init(hnbtre_watch_fn changed)
{
	report_change = changed;
	hnbtre_group = fsnotify_alloc_group(&hnbtre_fsnotify_ops,
					    FSNOTIFY_GROUP_DUPS);
	return PTR_ERR_OR_ZERO(hnbtre_group);
}

/* Every component must be unwatched before. */
void hnbtre_watch_exit(void)
{
	/* The marks are freed, and our free_mark run, by fsnotify's reaper. */
	fsnotify_wait_marks_destroyed();
	fsnotify_put_group(hnbtre_group);
}
