// SPDX-License-Identifier: GPL-2.0-only
/*
 * The securityfs files of the TrE state: state, status, tim, rim,
 * components (read) and validate (write)
 * (Documentation/ABI/testing/securityfs-hnbtre).
 */

#include <linux/fs.h>
#include <linux/module.h>
#include <linux/seq_file.h>

#include "hnbtre.h"

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

static const char *const identity_sources[] = HNBTRE_IDENTITY_SOURCE_NAMES;

/*
 * One snapshot of what "state", "rim", "tim" and the verdicts of
 * "components" say one by one: reading those in turn can straddle a
 * validation.
 */
static ssize_t status_read(struct file *file, char __user *buf, size_t count,
			   loff_t *ppos)
{
	struct hnbtre_status status;
	char text[448];	/* at most 388 bytes */
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
	if (hnbtre_floor_persistent())
		len += scnprintf(text + len, sizeof(text) - len, "floor %llu\n",
				 status.floor);
	else
		len += scnprintf(text + len, sizeof(text) - len, "floor -\n");
	len += scnprintf(text + len, sizeof(text) - len, "identity %s\n",
			 identity_sources[hnbtre_identity_source()]);
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

DEFINE_SHOW_ATTRIBUTE(components);

static int validate_fire(void)
{
	return hnbtre_validate("validate");
}

static struct hnbtre_trigger validate_trigger = { .fire = validate_fire };

/**
 * hnbtre_state_fs_init - add the files of the state
 *
 * Return: 0 or -errno; files already added go with hnbtre_fs_exit().
 */
int hnbtre_state_fs_init(void)
{
	int ret;

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
		ret = hnbtre_fs_add_data("validate", 0200, &hnbtre_trigger_fops,
					 &validate_trigger);
	return ret;
}
