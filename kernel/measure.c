// SPDX-License-Identifier: GPL-2.0-only
/*
 * Recording each validation result and tamper transition: an IMA
 * critical-data measurement (label "hnbtre") and an extend of a TPM PCR
 * with the digest of the same buffer, so a verifier can replay the PCR
 * from the IMA log.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <crypto/hash.h>
#include <crypto/hash_info.h>
#include <linux/ima.h>
#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/slab.h>
#include <linux/moduleparam.h>
#include <linux/tpm.h>

#include "hnbtre.h"

int hnbtre_pcr = 11;
module_param_named(pcr, hnbtre_pcr, int, 0444);
MODULE_PARM_DESC(pcr, "TPM PCR extended with each result (-1: none)");

static u64 measurements;
static u64 instance_start_ns;

static void extend_pcr(const char *buf, size_t len)
{
	struct tpm_digest *digests;
	struct tpm_chip *chip;
	int i, ret;

	if (hnbtre_pcr < 0)
		return;
	chip = tpm_default_chip();
	if (!chip)
		return;
	digests = kcalloc(chip->nr_allocated_banks, sizeof(*digests),
			  GFP_KERNEL);
	if (!digests)
		goto out;
	for (i = 0; i < chip->nr_allocated_banks; i++) {
		u16 algo = chip->allocated_banks[i].crypto_id;
		struct crypto_shash *tfm;

		digests[i].alg_id = chip->allocated_banks[i].alg_id;
		/* Banks the kernel cannot hash are extended with zeros, as IMA does. */
		if (algo >= HASH_ALGO__LAST)
			continue;
		tfm = crypto_alloc_shash(hash_algo_name[algo], 0, 0);
		if (IS_ERR(tfm))
			continue;
		crypto_shash_tfm_digest(tfm, buf, len, digests[i].digest);
		crypto_free_shash(tfm);
	}
	ret = tpm_pcr_extend(chip, hnbtre_pcr, digests);
	if (ret)
		pr_warn_ratelimited("extending PCR %d: %d\n",
				    hnbtre_pcr, ret);
	kfree(digests);
out:
	put_device(&chip->dev);
}

/**
 * hnbtre_measure - record a status in the IMA log and the TPM
 * @status: the status to record
 *
 * The buffer (ASCII, no NUL) is
 * "load=<ns> seq=<n> state=<state> tim=sha256:<hex>|sha256:- rim=sha256:<hex>|sha256:- manifest=<version>"
 * where load is CLOCK_BOOTTIME in ns when this instance of the module
 * started and seq counts its measurements, so that equal results are
 * logged again, also after the module was reloaded: IMA drops a buffer
 * it has already logged in this boot, and the PCR would then no longer
 * follow the log.
 *
 * Context: hnbtre_lock held, which keeps the PCR extends in log order.
 */
void hnbtre_measure(const struct hnbtre_status *status)
{
	char tim[7 + 2 * SHA256_DIGEST_SIZE + 1] = "sha256:-";
	char rim[sizeof(tim)] = "sha256:-";
	char *buf;
	int len;

	lockdep_assert_held(&hnbtre_lock);
	if (status->validated)
		snprintf(tim, sizeof(tim), "sha256:%*phN", SHA256_DIGEST_SIZE,
			 status->tim);
	if (status->has_manifest)
		snprintf(rim, sizeof(rim), "sha256:%*phN", SHA256_DIGEST_SIZE,
			 status->rim);
	if (!instance_start_ns)
		instance_start_ns = ktime_get_boottime_ns();
	buf = kasprintf(GFP_KERNEL,
			"load=%llu seq=%llu state=%s tim=%s rim=%s manifest=%llu",
			instance_start_ns, ++measurements, hnbtre_state_name(status->state), tim,
			rim, status->manifest_version);
	if (!buf)
		return;
	len = strlen(buf);
	ima_measure_critical_data("hnbtre", "hnbtre-state", buf, len, false,
				  NULL, 0);
	extend_pcr(buf, len);
	kfree(buf);
}
