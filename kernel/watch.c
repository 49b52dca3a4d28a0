// SPDX-License-Identifier: GPL-2.0-only
/*
 * Tamper detection: an fsnotify inode mark on every designated component.
 * fsnotify calls the handler synchronously in the context of the process
 * that changes the file, so the state is "tampered" before the write,
 * truncate, rename, unlink or xattr change returns to that process.
 */

#include <linux/fs.h>
#include <linux/fsnotify_backend.h>
#include <linux/slab.h>

#include "hnbtre.h"

#define HNBTRE_WATCH_EVENTS \
	(FS_MODIFY | FS_ATTRIB | FS_MOVE_SELF | FS_DELETE_SELF)

/**
 * struct hnbtre_watch - fsnotify mark of one component
 * @mark: the mark; fsnotify owns its lifetime once attached
 * @inode: the inode it was attached to, compared but never dereferenced
 * @generation: generation of the manifest of the component
 * @index: index of the component in that manifest
 * @changed: an event arrived since the component was last validated
 *
 * The handler may run after the component was freed, so it uses only
 * what is copied here.
 */
struct hnbtre_watch {
	struct fsnotify_mark mark;
	struct inode *inode;
	u32 generation;
	u32 index;
	bool changed;
};

static struct fsnotify_group *hnbtre_group;

static int hnbtre_handle_event(struct fsnotify_mark *mark, u32 mask,
			       struct inode *inode, struct inode *dir,
			       const struct qstr *name, u32 cookie)
{
	struct hnbtre_watch *w = container_of(mark, struct hnbtre_watch, mark);

	/* Seen in every state; the state machine only reacts when trusted. */
	WRITE_ONCE(w->changed, true);
	hnbtre_component_changed(w->generation, w->index, mask);
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

/**
 * hnbtre_watch - watch the inode a component resolves to now
 * @component: the component
 * @file: the component, open
 * @generation: generation of the component's manifest
 * @index: index of the component in its manifest
 *
 * A component that was replaced (renamed over, recreated) gets a new mark
 * on the new inode; the old mark is dropped.
 *
 * Return: 0 or -errno.
 */
int hnbtre_watch(struct hnbtre_component *component, struct file *file,
		 u32 generation, u32 index)
{
	struct inode *inode = file_inode(file);
	struct hnbtre_watch *w = component->watch;
	int ret;

	if (w && w->inode == inode && mark_attached(w)) {
		w->generation = generation;
		w->index = index;
		/* Validation hashes after this: a later change is seen. */
		WRITE_ONCE(w->changed, false);
		return 0;
	}
	hnbtre_unwatch(component);

	w = kzalloc(sizeof(*w), GFP_KERNEL);
	if (!w)
		return -ENOMEM;
	fsnotify_init_mark(&w->mark, hnbtre_group);
	w->mark.mask = HNBTRE_WATCH_EVENTS;
	w->inode = inode;
	w->generation = generation;
	w->index = index;
	ret = fsnotify_add_inode_mark(&w->mark, inode, 0);
	if (ret) {
		fsnotify_put_mark(&w->mark);
		return ret;
	}
	component->watch = w;
	return 0;
}

/**
 * hnbtre_unwatch - stop watching a component
 * @component: the component; nothing happens if it is not watched
 */
void hnbtre_unwatch(struct hnbtre_component *component)
{
	struct hnbtre_watch *w = component->watch;

	if (!w)
		return;
	component->watch = NULL;
	fsnotify_destroy_mark(&w->mark, hnbtre_group);
	fsnotify_put_mark(&w->mark);
}

/**
 * hnbtre_watch_intact - the watched inode is unchanged since validation
 * @w: a component's watch, or NULL
 *
 * Return: false if @w is NULL, detached, or saw a change.
 */
bool hnbtre_watch_intact(struct hnbtre_watch *w)
{
	return w && mark_attached(w) && !READ_ONCE(w->changed);
}

/**
 * hnbtre_watch_is - the watch is on @inode
 * @w: a component's watch for which hnbtre_watch_intact() holds, so that
 *	its inode is still the one at that address
 * @inode: the inode to compare with, not dereferenced
 *
 * Return: true if @w watches @inode.
 */
bool hnbtre_watch_is(struct hnbtre_watch *w, struct inode *inode)
{
	return w->inode == inode;
}

int hnbtre_watch_init(void)
{
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
