// SPDX-License-Identifier: GPL-2.0-only
/*
 * The TrE state machine (Documentation/kernel.md):
 *
 *   unvalidated --validation--> trusted | failed
 *   trusted --change to a component--> tampered
 *   failed | tampered | trusted --validation--> trusted | failed
 *
 * Validations and manifest changes are serialised by hnbtre_lock.  The
 * state itself is an atomic so that the tamper transition can happen in
 * fsnotify's handler, which runs in the writer's context, possibly with
 * the component's inode locked: it must never wait for hnbtre_lock, which
 * is held while components are opened.
 *
 * A change during a validation must never be overwritten by its result,
 * and a change of a trusted component must always pass through tampered.
 * One 64-bit atomic word therefore carries the state, STATE_CHANGED ("a
 * watched component changed since this validation started") and the
 * generation of the active manifest.  The handler sets STATE_CHANGED and,
 * if its mark belongs to the active generation of a trusted device, the
 * tampered state in one compare-and-exchange; a validation clears
 * STATE_CHANGED before it hashes; the commit replaces state, flag and
 * generation in one compare-and-exchange, which fails, and is retried
 * with what the handler wrote, if the handler got there first.  There is
 * no moment in which a change is lost, or in which a trusted device fails
 * over a change without the log showing it tampered first.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/audit.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/fsnotify_backend.h>
#include <linux/moduleparam.h>
#include <linux/path.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>

#include "hnbtre.h"

DEFINE_MUTEX(hnbtre_lock);

/*
 * The state in the low byte, STATE_CHANGED, and in the high half the
 * generation whose marks make trusted tampered, 0 for none (see above).
 */
#define STATE_MASK		0xff
#define STATE_CHANGED		0x100
#define STATE_GENERATION_SHIFT	32
static atomic64_t hnbtre_state = ATOMIC64_INIT(HNBTRE_STATE_UNVALIDATED);

static u32 state_generation(s64 word)
{
	return (u64)word >> STATE_GENERATION_SHIFT;
}

/* Protected by hnbtre_lock. */
static struct hnbtre_components *active;
static struct hnbtre_status status;
static u32 last_generation;
/*
 * The manifest the active one replaced, kept until the active one
 * validates trusted: the one manifest of a lower version the TrE takes
 * back, so that a failed update can be rolled back (TR 33.820 Annex A
 * step 7'; kernel.md, "Anti-rollback").
 */
static struct hnbtre_manifest *replaced;

/* Told when a validation ends in failed; set once, hnbtre_state_on_failed(). */
static hnbtre_failed_fn failed_handler;

/*
 * The change that made the state tampered, reported by tamper_work; the
 * lock is held across the handler's transition, so whoever sees the
 * tampered state finds its cause here once it has the lock.
 */
static DEFINE_SPINLOCK(tamper_lock);
static struct {
	u32 generation;
	u32 index;
	u32 mask;
} tamper;
static void report_tamper(struct work_struct *work);
static DECLARE_WORK(tamper_work, report_tamper);

/*
 * Periodic re-validation finds what raises no event: a mount over a
 * component path, a write to the block device below a filesystem.  Only
 * while trusted: it must never make a failed or tampered device trusted
 * again without an operator asking.  Read-only after load, so that root
 * cannot switch it off.
 */
static unsigned int revalidate_seconds = 300;
module_param(revalidate_seconds, uint, 0444);
MODULE_PARM_DESC(revalidate_seconds,
		 "re-validate a trusted device this often (seconds, 0: never)");
static void revalidate(struct work_struct *work);
static DECLARE_DELAYED_WORK(revalidate_work, revalidate);

static const char *const state_names[HNBTRE_STATE_COUNT] = HNBTRE_STATE_NAMES;
static const char *const verdict_names[HNBTRE_VERDICT_COUNT] =
	HNBTRE_VERDICT_NAMES;

/**
 * hnbtre_state_get - the current TrE state
 *
 * Lock free: a tamper transition is visible as soon as the write that
 * caused it has returned.
 *
 * Return: the state.
 */
enum hnbtre_state hnbtre_state_get(void)
{
	return atomic64_read(&hnbtre_state) & STATE_MASK;
}

/**
 * hnbtre_state_name - the ABI name of a state
 * @state: the state
 *
 * Return: "unvalidated", "trusted", "failed" or "tampered".
 */
const char *hnbtre_state_name(enum hnbtre_state state)
{
	return state_names[state];
}

/**
 * hnbtre_verdict_name - the ABI name of a component verdict
 * @verdict: the verdict
 *
 * Return: "pending", "ok", "unsigned", "badsig", "mismatch" or "missing".
 */
const char *hnbtre_verdict_name(enum hnbtre_verdict verdict)
{
	return verdict_names[verdict];
}

/**
 * hnbtre_status_get - consistent snapshot of state, TIM, RIM and verdicts
 * @out: filled in
 *
 * Waits for a validation in progress.
 */
void hnbtre_status_get(struct hnbtre_status *out)
{
	mutex_lock(&hnbtre_lock);
	*out = status;
	out->state = hnbtre_state_get();
	out->floor = hnbtre_floor();
	mutex_unlock(&hnbtre_lock);
}

/**
 * hnbtre_active_components - the active manifest and its components
 *
 * Context: hnbtre_lock held; they stay valid until it is dropped.
 * Return: the components or NULL.
 */
struct hnbtre_components *hnbtre_active_components(void)
{
	lockdep_assert_held(&hnbtre_lock);
	return active;
}

/**
 * hnbtre_audit_log_path - append " path=..." to an audit record
 * @ab: the record
 * @path: the path
 *
 * audit_log_untrustedstring() is not exported: the same convention by
 * hand, quoted if harmless, else hex.
 */
void hnbtre_audit_log_path(struct audit_buffer *ab, const char *path)
{
	const char *p;

	for (p = path; *p; p++) {
		if (*p == '"' || *p < 0x21 || *p > 0x7e)
			break;
	}
	if (!*p) {
		audit_log_format(ab, " path=\"%s\"", path);
		return;
	}
	audit_log_format(ab, " path=");
	for (p = path; *p; p++)
		audit_log_format(ab, "%02X", (u8)*p);
}

static void audit_transition(enum hnbtre_state old, enum hnbtre_state new,
			     const char *reason, const char *path)
{
	struct audit_buffer *ab;

	pr_info("state %s -> %s (%s%s%s)\n", state_names[old],
		state_names[new], reason, path ? " " : "", path ?: "");
	ab = audit_log_start(audit_context(), GFP_KERNEL,
			     AUDIT_INTEGRITY_STATUS);
	if (!ab)
		return;
	audit_log_format(ab, "op=hnbtre_state old=%s new=%s reason=%s",
			 state_names[old], state_names[new], reason);
	if (path)
		hnbtre_audit_log_path(ab, path);
	audit_log_end(ab);
}

/*
 * A watched component, or an entry on its path, was changed
 * (hnbtre_watch_fn).  Called by fsnotify in the context of the process
 * that made the change.  Sets the state to tampered at once if it was
 * trusted; the audit record and the measurement follow from a work item.
 *
 * A path entry (@index HNBTRE_WATCH_PATH_ENTRY) is shared by the
 * components whose paths pass it, in the active manifest and in one being
 * validated: its change counts for the active manifest as a change of
 * one of its components would, and voids a validation in progress; the
 * audit record names no path.
 */
static void component_changed(u32 generation, u32 index, u32 mask)
{
	s64 old, new;
	bool tampered;

	spin_lock(&tamper_lock);
	old = atomic64_read(&hnbtre_state);
	do {
		u32 active = state_generation(old);

		/*
		 * Of any manifest: a change of a component that a validation
		 * in progress already hashed voids its result.  Stale marks
		 * of a replaced manifest can only make a validation fail,
		 * never pass.
		 */
		new = old | STATE_CHANGED;
		tampered = active &&
			   (generation == active ||
			    index == HNBTRE_WATCH_PATH_ENTRY) &&
			   (old & STATE_MASK) == HNBTRE_STATE_TRUSTED;
		if (tampered)
			new = (new & ~STATE_MASK) | HNBTRE_STATE_TAMPERED;
	} while (!atomic64_try_cmpxchg(&hnbtre_state, &old, new));
	if (tampered) {
		tamper.generation = state_generation(old);
		tamper.index = index;
		tamper.mask = mask;
	}
	spin_unlock(&tamper_lock);
	if (tampered)
		schedule_work(&tamper_work);
}

static const char *change_name(u32 mask)
{
	if (mask & FS_MODIFY)
		return "write";
	if (mask & FS_MOVE_SELF)
		return "rename";
	if (mask & FS_DELETE_SELF)
		return "delete";
	return "attribute";
}

/*
 * Audit and measure the trusted -> tampered transition once: from the
 * work item, or from the commit of a validation that ended the tampered
 * state before the work item could take the lock.
 *
 * Context: hnbtre_lock held; status still holds the state before the
 * transition.
 */
static void record_tamper(void)
{
	const char *path = NULL;
	u32 generation, index, mask;

	lockdep_assert_held(&hnbtre_lock);
	if (status.state != HNBTRE_STATE_TRUSTED)
		return;
	spin_lock(&tamper_lock);
	generation = tamper.generation;
	index = tamper.index;
	mask = tamper.mask;
	spin_unlock(&tamper_lock);

	if (active && active->generation == generation && index < active->count)
		path = active->components[index].ref->path;
	audit_transition(HNBTRE_STATE_TRUSTED, HNBTRE_STATE_TAMPERED,
			 change_name(mask), path);
	status.state = HNBTRE_STATE_TAMPERED;
	hnbtre_measure(&status);
}

static void report_tamper(struct work_struct *work)
{
	mutex_lock(&hnbtre_lock);
	if (hnbtre_state_get() == HNBTRE_STATE_TAMPERED)
		record_tamper();
	mutex_unlock(&hnbtre_lock);
}

/*
 * Validation spreads the components over one worker per online CPU: on a
 * multi-core device secure start-up is bound by hashing and signature
 * checks, which are independent per component.  The workers run on an
 * unbound workqueue, so paths always resolve in the initial mount
 * namespace and root, never in those of the process that asked for the
 * validation.
 */
#define MAX_VALIDATION_WORKERS	8

struct validation {
	struct hnbtre_components *cs;
	atomic_t next;		/* index of the next component to take */
	atomic_t error;		/* first error; stops the workers */
};

struct validation_worker {
	struct work_struct work;
	struct validation *validation;
};

/*
 * Watch the component's path, hold the file it leads to and appraise it.
 * Nothing but a regular file is ever opened: opening a FIFO would block
 * this worker with hnbtre_lock held, a device node would run a driver.
 */
static int validate_component(struct hnbtre_components *cs, unsigned int i)
{
	struct hnbtre_component *c = &cs->components[i];
	struct file *file = ERR_PTR(-ENOENT);
	struct path path;
	int ret;

	/* Watch first: a change while hashing must be seen. */
	ret = hnbtre_watch_path(c, cs->generation, i, &path);
	if (ret == -ENOMEM)
		return ret;
	if (!ret) {
		if (d_is_reg(path.dentry))
			file = hnbtre_hold(c, &path);
		path_put(&path);
	}
	if (IS_ERR(file)) {
		hnbtre_release(c);
	} else {
		ret = hnbtre_watch_real(c, file, cs->generation, i);
		if (ret) {
			fput(file);
			return ret;
		}
	}
	hnbtre_appraise(c, file);
	if (!IS_ERR(file))
		fput(file);
	/*
	 * Only what passed is worth keeping as it is; the device fails
	 * anyway, and a failed component may be repaired in place.
	 */
	if (c->verdict != HNBTRE_VERDICT_OK)
		hnbtre_release(c);
	return 0;
}

static void validation_work(struct work_struct *work)
{
	struct validation_worker *worker =
		container_of(work, struct validation_worker, work);
	struct validation *v = worker->validation;
	unsigned int i;
	int ret;

	while (!atomic_read(&v->error)) {
		i = atomic_inc_return(&v->next) - 1;
		if (i >= v->cs->count)
			break;
		ret = validate_component(v->cs, i);
		if (ret)
			atomic_cmpxchg(&v->error, 0, ret);
		cond_resched();
	}
}

static int validate_components(struct hnbtre_components *cs)
{
	struct validation v = { .cs = cs };
	struct validation_worker *workers;
	unsigned int i, nr;

	nr = clamp_t(unsigned int, num_online_cpus(), 1,
		     MAX_VALIDATION_WORKERS);
	nr = min_t(unsigned int, nr, max_t(unsigned int, cs->count, 1));
	workers = kcalloc(nr, sizeof(*workers), GFP_KERNEL);
	if (!workers)
		return -ENOMEM;
	atomic_set(&v.next, 0);
	atomic_set(&v.error, 0);
	for (i = 0; i < nr; i++) {
		INIT_WORK_ONSTACK(&workers[i].work, validation_work);
		workers[i].validation = &v;
		queue_work(system_unbound_wq, &workers[i].work);
	}
	for (i = 0; i < nr; i++) {
		flush_work(&workers[i].work);
		destroy_work_on_stack(&workers[i].work);
	}
	kfree(workers);
	return atomic_read(&v.error);
}

/*
 * Appraise every component of @cs and watch each one that exists.  The
 * verdicts are stored in the components; the summary in @result.
 */
static int validate_manifest(struct hnbtre_components *cs,
			     struct hnbtre_status *result)
{
	unsigned int i;
	int ret;

	atomic64_andnot(STATE_CHANGED, &hnbtre_state);
	/*
	 * Pairs with the handler's compare-and-exchange: a change whose
	 * handler came before the clear is in the bytes hashed below.
	 */
	smp_mb__after_atomic();
	memset(result->verdicts, 0, sizeof(result->verdicts));

	ret = validate_components(cs);
	for (i = 0; !ret && i < cs->count; i++)
		result->verdicts[cs->components[i].verdict]++;
	if (ret)
		return ret;

	hnbtre_tim(cs, result->tim);
	memcpy(result->rim, cs->manifest->rim, sizeof(result->rim));
	result->validated = true;
	result->has_manifest = true;
	result->manifest_version = cs->manifest->version;
	result->state = result->verdicts[HNBTRE_VERDICT_OK] == cs->count ?
			HNBTRE_STATE_TRUSTED : HNBTRE_STATE_FAILED;
	return 0;
}

/* Make @result the current status; its components are already active. */
static void commit(struct hnbtre_status *result, const char *reason)
{
	s64 word = atomic64_read(&hnbtre_state);
	enum hnbtre_state old;

	/* A change behind the validation's back voids a trusted result. */
	do {
		if ((word & STATE_CHANGED) && result->state == HNBTRE_STATE_TRUSTED) {
			result->state = HNBTRE_STATE_FAILED;
			reason = "changed-during-validation";
		}
	} while (!atomic64_try_cmpxchg(&hnbtre_state, &word,
				       (s64)active->generation << STATE_GENERATION_SHIFT |
				       result->state));
	old = word & STATE_MASK;
	/* The log must show the tampered state this result ends. */
	if (old == HNBTRE_STATE_TAMPERED)
		record_tamper();
	result->validations = status.validations + 1;
	status = *result;
	audit_transition(old, result->state, reason, NULL);
	hnbtre_measure(&status);
	/* Sealed keys first: the distress function may need its own. */
	hnbtre_seal_release(result->state);
	if (result->state == HNBTRE_STATE_TRUSTED) {
		hnbtre_floor_raise(result->manifest_version);
		hnbtre_manifest_free(replaced);
		replaced = NULL;
	}
	if (result->state == HNBTRE_STATE_FAILED && old != HNBTRE_STATE_FAILED)
		if (failed_handler)
			failed_handler(active);
}

/* Run-time state for the components of @m, which it takes over. */
static struct hnbtre_components *components_alloc(struct hnbtre_manifest *m)
{
	struct hnbtre_components *cs;
	unsigned int i;

	cs = kvzalloc(struct_size(cs, components, m->count), GFP_KERNEL);
	if (!cs) {
		hnbtre_manifest_free(m);
		return NULL;
	}
	cs->manifest = m;
	cs->count = m->count;
	for (i = 0; i < cs->count; i++) {
		cs->components[i].ref = m->refs[i];
		cs->components[i].verdict = HNBTRE_VERDICT_PENDING;
	}
	return cs;
}

/*
 * Components that are still watched are released through their marks;
 * held components become writable again.
 */
static void components_free(struct hnbtre_components *cs)
{
	unsigned int i;

	if (!cs)
		return;
	for (i = 0; i < cs->count; i++) {
		hnbtre_unwatch(&cs->components[i]);
		hnbtre_release(&cs->components[i]);
	}
	hnbtre_manifest_free(cs->manifest);
	kvfree(cs);
}

/**
 * hnbtre_load_manifest - make a verified manifest active and validate it
 * @m: the manifest; owned by this function from now on
 *
 * The manifest and the result of validating against it become active
 * together; on any error nothing changes.
 *
 * A manifest older than the active one is taken only if it is the one
 * the active manifest replaced and the active one never validated
 * trusted: the rollback of a failed update, audited as
 * "manifest-rollback".  The TPM's floor still applies; it rises only
 * with a trusted validation.
 *
 * Return: 0; -ESTALE if @m is older than the active manifest (and not a
 * rollback) or below the TPM's floor; -ERANGE if it is too far above that
 * floor; -EEXIST if it has the same version but different contents;
 * -ENOMEM.
 */
int hnbtre_load_manifest(struct hnbtre_manifest *m)
{
	struct hnbtre_components *cs, *old;
	struct hnbtre_status result = {};
	bool rollback;
	int ret;

	cs = components_alloc(m);
	if (!cs)
		return -ENOMEM;
	mutex_lock(&hnbtre_lock);
	old = active;
	ret = hnbtre_floor_check(m->version);
	if (ret)
		goto fail;
	rollback = old && m->version < old->manifest->version;
	if (rollback && !(replaced && hnbtre_manifest_equal(m, replaced))) {
		ret = -ESTALE;
		goto fail;
	}
	if (old && m->version == old->manifest->version &&
	    !hnbtre_manifest_equal(m, old->manifest)) {
		ret = -EEXIST;
		goto fail;
	}
	/* Never 0, which means "no manifest" to the handler. */
	cs->generation = ++last_generation ?: ++last_generation;
	ret = validate_manifest(cs, &result);
	if (ret)
		goto fail;

	active = cs;
	hnbtre_manifest_free(replaced);
	replaced = NULL;
	if (old) {
		replaced = old->manifest;
		old->manifest = NULL;
	}
	commit(&result, rollback ? "manifest-rollback" : "manifest-loaded");
	mutex_unlock(&hnbtre_lock);
	components_free(old);
	return 0;
fail:
	mutex_unlock(&hnbtre_lock);
	components_free(cs);
	return ret;
}

/*
 * A result that only confirms a trusted state (same TIM, nothing changed
 * meanwhile: no STATE_CHANGED) is not committed: the periodic re-validation would otherwise
 * add an audit record and an IMA log entry every interval, for ever.
 */
static bool confirms_trusted(const struct hnbtre_status *result)
{
	return result->state == HNBTRE_STATE_TRUSTED &&
	       atomic64_read(&hnbtre_state) ==
	       ((s64)active->generation << STATE_GENERATION_SHIFT |
		HNBTRE_STATE_TRUSTED) &&
	       !memcmp(result->tim, status.tim, sizeof(result->tim));
}

static int validate_active(const char *reason, bool quiet)
{
	struct hnbtre_status result = {};
	int ret = -ENODATA;

	mutex_lock(&hnbtre_lock);
	if (active) {
		ret = validate_manifest(active, &result);
		if (!ret && !(quiet && confirms_trusted(&result)))
			commit(&result, reason);
	}
	mutex_unlock(&hnbtre_lock);
	return ret;
}

/**
 * hnbtre_state_on_failed - be told when a validation ends in "failed"
 * @handler: called with the active components, hnbtre_lock held, each
 *	time the state becomes failed
 *
 * Keeps the state machine ignorant of what a failure starts (the
 * distress function).
 */
void hnbtre_state_on_failed(hnbtre_failed_fn handler)
{
	mutex_lock(&hnbtre_lock);
	failed_handler = handler;
	mutex_unlock(&hnbtre_lock);
}

/**
 * hnbtre_validate - validate the active manifest's components now
 * @reason: why, for the audit record
 *
 * Return: 0 (the result is the state), -ENODATA without a manifest,
 * -ENOMEM.
 */
int hnbtre_validate(const char *reason)
{
	return validate_active(reason, false);
}

static void schedule_revalidation(void)
{
	unsigned long delay;

	if (!revalidate_seconds)
		return;
	/* A huge interval must not wrap around on 32-bit jiffies. */
	delay = min_t(unsigned long, revalidate_seconds, MAX_JIFFY_OFFSET / HZ);
	queue_delayed_work(system_unbound_wq, &revalidate_work, delay * HZ);
}

static void revalidate(struct work_struct *work)
{
	if (hnbtre_state_get() == HNBTRE_STATE_TRUSTED)
		validate_active("periodic", true);
	schedule_revalidation();
}

int hnbtre_state_init(void)
{
	int ret = hnbtre_appraise_init();

	if (ret)
		return ret;
	ret = hnbtre_watch_init(component_changed);
	if (ret) {
		hnbtre_appraise_exit();
		return ret;
	}
	schedule_revalidation();
	return 0;
}

void hnbtre_state_exit(void)
{
	cancel_delayed_work_sync(&revalidate_work);
	/* No change makes the state tampered from now on. */
	atomic64_and(STATE_MASK | STATE_CHANGED, &hnbtre_state);
	cancel_work_sync(&tamper_work);
	mutex_lock(&hnbtre_lock);
	components_free(active);
	active = NULL;
	hnbtre_manifest_free(replaced);
	replaced = NULL;
	mutex_unlock(&hnbtre_lock);
	hnbtre_watch_exit();
	hnbtre_appraise_exit();
}
