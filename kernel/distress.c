// SPDX-License-Identifier: GPL-2.0-only
/*
 * The distress function's side of the TrE (Documentation/distress.md).
 *
 * TS 33.320 7.12: when secure start-up fails, a separately stored distress
 * function reports it to a pre-designated network entity.  The TrE starts
 * it (a usermode helper named by the distress_helper parameter) when a
 * validation ends in "failed", and lets it, and only it, use the distress
 * credential: a second gated key, HNBTRE_DISTRESS_KEY_DESC, in .hnbtre_device.
 * Both only while the TrE's own components and the distress function
 * itself passed their check; a corrupted distress function is reported,
 * never run.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/audit.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/umh.h>

#include "hnbtre.h"

/* Read-only after load: a root process must not redirect it. */
static char *distress_helper;
module_param(distress_helper, charp, 0400);
MODULE_PARM_DESC(distress_helper,
		 "distress function started when validation fails (empty: off)");

static const char *const outcome_names[HNBTRE_DISTRESS_OUTCOME_COUNT] =
	HNBTRE_DISTRESS_OUTCOME_NAMES;

/* Protected by hnbtre_lock. */
static struct {
	enum hnbtre_distress_outcome outcome;
	int error;
	u64 starts;
} last;

/* A component may vouch only if it passed and is unchanged since. */
static bool component_intact(struct hnbtre_component *c)
{
	return c->verdict == HNBTRE_VERDICT_OK && c->held.dentry &&
	       hnbtre_watch_intact(c);
}

static bool tre_intact(struct hnbtre_components *cs)
{
	unsigned int i;

	for (i = 0; i < cs->count; i++)
		if (cs->components[i].ref->class == HNBTRE_CLASS_TRE &&
		    !component_intact(&cs->components[i]))
			return false;
	return true;
}

static struct hnbtre_component *find_distress(struct hnbtre_components *cs,
					      const char *path)
{
	unsigned int i;

	for (i = 0; i < cs->count; i++)
		if (cs->components[i].ref->class == HNBTRE_CLASS_DISTRESS &&
		    !strcmp(cs->components[i].ref->path, path))
			return &cs->components[i];
	return NULL;
}

/* @c: the distress component the decision was about, or NULL. */
static void audit_outcome(const struct hnbtre_component *c)
{
	struct audit_buffer *ab;

	ab = audit_log_start(audit_context(), GFP_KERNEL,
			     AUDIT_INTEGRITY_STATUS);
	if (!ab)
		return;
	audit_log_format(ab, "op=hnbtre_distress outcome=\"%s\" error=%d",
			 outcome_names[last.outcome], last.error);
	if (c) {
		audit_log_format(ab, " verdict=%s",
				 hnbtre_verdict_name(c->verdict));
		hnbtre_audit_log_path(ab, c->ref->path);
	}
	audit_log_end(ab);
}

/*
 * The helper is executed through the file the validation checked and
 * holds (Documentation/kernel.md), never by its path: a bind mount over
 * the path, or a rename of anything on it, between the check and the
 * exec cannot put another executable in its place.  The held dentry and
 * mount are opened; in the new process, before the exec, that file
 * becomes a descriptor and the exec goes through /proc/self/fd/<n>,
 * which leads to that very file; the descriptor stays open for a script's
 * interpreter, read-only.
 */
struct exec_held {
	struct file *file;
	char path[32];
};

static int exec_held_init(struct subprocess_info *info, struct cred *new)
{
	struct exec_held *held = info->data;
	int fd = get_unused_fd_flags(0);

	if (fd < 0)
		return fd;
	snprintf(held->path, sizeof(held->path), "/proc/self/fd/%d", fd);
	fd_install(fd, held->file);
	held->file = NULL;
	info->path = held->path;
	return 0;
}

static void exec_held_cleanup(struct subprocess_info *info)
{
	struct exec_held *held = info->data;

	if (held->file)
		fput(held->file);
	kfree(held);
}

static int exec_held_file(const struct path *path, char **argv, char **envp)
{
	struct subprocess_info *info;
	struct exec_held *held;
	struct file *file;

	held = kzalloc(sizeof(*held), GFP_KERNEL);
	if (!held)
		return -ENOMEM;
	file = dentry_open(path, O_RDONLY | O_LARGEFILE, current_cred());
	if (IS_ERR(file)) {
		kfree(held);
		return PTR_ERR(file);
	}
	held->file = file;
	info = call_usermodehelper_setup(distress_helper, argv, envp,
					 GFP_KERNEL, exec_held_init,
					 exec_held_cleanup, held);
	if (!info) {
		fput(file);
		kfree(held);
		return -ENOMEM;
	}
	/* UMH_WAIT_EXEC: a failed exec is reported, the run is not awaited. */
	return call_usermodehelper_exec(info, UMH_WAIT_EXEC);
}

static enum hnbtre_distress_outcome start_helper(struct hnbtre_components *cs,
					  struct hnbtre_component **found)
{
	/* call_usermodehelper() takes them writable. */
	char *argv[3], *envp[3];
	struct hnbtre_component *c;

	if (!distress_helper || !*distress_helper)
		return HNBTRE_DISTRESS_OFF;
	if (!tre_intact(cs))
		return HNBTRE_DISTRESS_TRE_FAILED;
	c = find_distress(cs, distress_helper);
	*found = c;
	if (!c)
		return HNBTRE_DISTRESS_NOT_DESIGNATED;
	if (!component_intact(c))
		return HNBTRE_DISTRESS_CORRUPTED;
	argv[0] = distress_helper;
	argv[1] = "--started-by-tre";
	argv[2] = NULL;
	envp[0] = "HOME=/";
	envp[1] = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
	envp[2] = NULL;
	last.error = exec_held_file(&c->held, argv, envp);
	return last.error ? HNBTRE_DISTRESS_EXEC_FAILED : HNBTRE_DISTRESS_STARTED;
}

/*
 * A validation has just ended in "failed" (hnbtre_failed_fn): start the
 * distress function if one is configured and may run, and record and
 * audit the decision.  Context: hnbtre_lock held.
 */
static void validation_failed(struct hnbtre_components *cs)
{
	struct hnbtre_component *c = NULL;

	lockdep_assert_held(&hnbtre_lock);
	last.error = 0;
	last.outcome = start_helper(cs, &c);
	if (last.outcome == HNBTRE_DISTRESS_STARTED)
		last.starts++;
	audit_outcome(c);
	pr_info("distress function: %s\n",
		outcome_names[last.outcome]);
}

/* The caller's executable is the inode @c, intact, is watched on. */
static bool current_runs(struct hnbtre_component *c)
{
	struct file *exe;
	bool same;

	if (!current->mm)
		return false;
	rcu_read_lock();
	exe = rcu_dereference(current->mm->exe_file);
	same = exe && hnbtre_watch_is(c, file_inode(exe));
	rcu_read_unlock();
	return same;
}

/**
 * hnbtre_distress_credential_allowed - may the caller use the distress key
 *
 * Only in the failed or tampered state, only while every component of
 * class tre passed, and only from a process whose executable is a
 * distress component that passed its check and has not changed since.
 *
 * Return: true if the private-key operation may go ahead.
 */
bool hnbtre_distress_credential_allowed(void)
{
	enum hnbtre_state state = hnbtre_state_get();
	struct hnbtre_components *cs;
	bool allowed = false;
	unsigned int i;

	if (state != HNBTRE_STATE_FAILED && state != HNBTRE_STATE_TAMPERED)
		return false;
	mutex_lock(&hnbtre_lock);
	cs = hnbtre_active_components();
	if (cs && tre_intact(cs)) {
		for (i = 0; !allowed && i < cs->count; i++) {
			struct hnbtre_component *c = &cs->components[i];

			allowed = c->ref->class == HNBTRE_CLASS_DISTRESS &&
				  component_intact(c) && current_runs(c);
		}
	}
	mutex_unlock(&hnbtre_lock);
	return allowed;
}

static int distress_show(struct seq_file *m, void *v)
{
	mutex_lock(&hnbtre_lock);
	seq_printf(m, "%s", outcome_names[last.outcome]);
	if (last.outcome == HNBTRE_DISTRESS_EXEC_FAILED)
		seq_printf(m, " %d", last.error);
	seq_printf(m, "\nstarts %llu\nhelper %s\n", last.starts,
		   distress_helper && *distress_helper ? distress_helper : "-");
	mutex_unlock(&hnbtre_lock);
	return 0;
}

DEFINE_SHOW_ATTRIBUTE(distress);

/**
 * hnbtre_distress_init - add the securityfs file "distress" and start
 *	being told of failed validations
 *
 * Return: 0 or -errno.
 */
int hnbtre_distress_init(void)
{
	int ret = hnbtre_fs_add("distress", 0444, &distress_fops);

	if (!ret)
		hnbtre_state_on_failed(validation_failed);
	return ret;
}
