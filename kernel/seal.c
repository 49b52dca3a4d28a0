// SPDX-License-Identifier: GPL-2.0-only
/*
 * Keys at rest (Documentation/devkey.md, "Keys at rest").
 *
 * A key arrives as a sealed blob (HNBTRE_SEALED_MAGIC, <linux/hnbtre.h>):
 * a TPM2 sealed data object holding an AES-256 key, and the key's clear
 * wrapper encrypted under it with AES-256-GCM.  The object's policy is
 * TPM2_PolicyPCR over a verdict PCR and the boot PCRs of its mask; no
 * password unseals it (userWithAuth clear).  The module keeps the blobs
 * until the first validation of this load commits a result, then, with
 * the TPM's ops lock held from the first command to the last so that no
 * other user of the TPM comes in between:
 *
 *   1. checks the verdict PCR is at its reset value (all zero): one
 *      extended before the TrE may carry a value nobody checked, and is
 *      refused;
 *   2. extends it with SHA-256(HNBTRE_VERDICT_PREFIX "trusted" or
 *      "failed"), a value that does not depend on the RIM, so that an
 *      update never breaks unsealing;
 *   3. unseals each blob released on that verdict (policy session,
 *      TPM2_Load under seal_parent=, TPM2_Unseal, flush);
 *   4. caps the PCR with SHA-256(HNBTRE_VERDICT_PREFIX "closed"): from
 *      then on, in this boot, no value of that PCR satisfies any policy
 *      sealed to a verdict.
 *
 * Then it decrypts each key and hands the clear wrapper to the file it
 * came through (devkey.c admits it into .hnbtre_device, attest_key.c
 * makes it the attestation key), and wipes it.
 *
 * A key needed whatever the verdict (the attestation key) comes as a
 * pair of blobs, one sealed to each verdict: the release unseals the one
 * of the verdict it extends, and the PCR sequence stays the same.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/audit.h>
#include <linux/err.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/scatterlist.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/tpm.h>
#include <crypto/aead.h>
#include <asm/unaligned.h>

#include "hnbtre.h"

static int verdict_pcr = HNBTRE_VERDICT_PCR_DEFAULT;
module_param(verdict_pcr, int, 0444);
MODULE_PARM_DESC(verdict_pcr,
		 "PCR (0-15, SHA-256 bank) the TrE extends with its verdict to unseal keys");

static uint seal_parent = HNBTRE_SEAL_PARENT_DEFAULT;
module_param(seal_parent, uint, 0444);
MODULE_PARM_DESC(seal_parent,
		 "persistent TPM storage key the sealed keys are children of");

/* IMA's PCR (CONFIG_IMA_MEASURE_PCR_IDX in Debian's kernel). */
#define IMA_PCR			10
/* TPM2B_PUBLIC of a sealed data object: type, nameAlg, attributes ... */
#define TPM_ALG_KEYEDHASH	0x0008
#define TPMA_OBJECT_FIXEDTPM	BIT(1)
#define TPMA_OBJECT_FIXEDPARENT	BIT(4)
#define TPMA_OBJECT_USERWITHAUTH BIT(6)
/*
 * No more blobs than kinds of sealed keys: device key, distress
 * credential, the attestation key's pair.
 */
#define SEALED_SLOTS		4

static const char *const verdict_words[HNBTRE_STATE_COUNT] = {
	[HNBTRE_STATE_TRUSTED] = "trusted",
	[HNBTRE_STATE_FAILED] = "failed",
};

/* What became of a sealed blob; the words of "seal". */
enum slot_outcome {
	SLOT_PENDING,		/* waiting for the release */
	SLOT_ADMITTED,		/* unsealed and admitted */
	SLOT_NOT_RELEASED,	/* sealed to the other verdict */
	SLOT_REFUSED,		/* the release was refused (reason in "seal") */
	SLOT_FAILED,		/* unseal, decryption or admission failed */
};

static const char *const slot_outcome_names[] = {
	[SLOT_PENDING] = "pending",
	[SLOT_ADMITTED] = "admitted",
	[SLOT_NOT_RELEASED] = "not-released",
	[SLOT_REFUSED] = "refused",
	[SLOT_FAILED] = "failed",
};

/**
 * struct sealed_slot - a sealed blob waiting for the release
 * @name: the securityfs file it came through, for "seal" and the log
 * @verdict: the verdict that releases it
 * @admit: takes the clear key
 * @blob: the sealed blob, HNBTRE_SEALED_MAGIC first
 * @len: its length
 * @aead: gcm(aes), allocated with the blob, in the writer's context
 * @kek: the unsealed AES key, wiped once used
 * @outcome: enum slot_outcome
 * @error: the -errno of SLOT_FAILED
 */
struct sealed_slot {
	const char *name;
	enum hnbtre_state verdict;
	hnbtre_unsealed_fn admit;
	u8 *blob;
	size_t len;
	struct crypto_aead *aead;
	u8 kek[HNBTRE_SEALED_KEK_LEN];
	enum slot_outcome outcome;
	int error;
};

/* Everything below under seal_lock. */
static DEFINE_MUTEX(seal_lock);
static struct sealed_slot slots[SEALED_SLOTS];
static unsigned int nr_slots;
/* The release happened (or was refused): nothing more is unsealed. */
static bool released;
static enum hnbtre_state release_verdict;
static const char *release_refused;
/* How long the release took, for the benchmark (scripts/bench-seal). */
static s64 release_us;

/* The fields of a blob whose length was checked by sealed_blob_len(). */
struct sealed_blob {
	u32 pcr_mask;
	const u8 *public, *private, *nonce, *ciphertext, *tag;
	u16 public_len, private_len, ciphertext_len;
	size_t aad_len;
};

/**
 * hnbtre_seal_blob_len - length of the sealed blob that @data starts
 * @data: what has arrived so far
 * @len: its length
 *
 * Return: the length the whole blob has, 0 while its header is
 * incomplete, -EBADMSG if @data does not start a sealed blob.
 */
ssize_t hnbtre_seal_blob_len(const u8 *data, size_t len)
{
	size_t total;

	if (memcmp(data, HNBTRE_SEALED_MAGIC,
		   min_t(size_t, len, HNBTRE_SEALED_MAGIC_LEN)))
		return -EBADMSG;
	if (len < HNBTRE_SEALED_HEADER_LEN)
		return 0;
	total = HNBTRE_SEALED_HEADER_LEN +
		get_unaligned_be16(data + HNBTRE_SEALED_OFF_PUBLIC_LEN) +
		get_unaligned_be16(data + HNBTRE_SEALED_OFF_PRIVATE_LEN) +
		HNBTRE_SEALED_NONCE_LEN +
		get_unaligned_be16(data + HNBTRE_SEALED_OFF_CIPHERTEXT_LEN) +
		HNBTRE_SEALED_TAG_LEN;
	return total > HNBTRE_SEALED_MAX ? -EBADMSG : total;
}

/* Splits a blob of exactly hnbtre_seal_blob_len() bytes. */
static int sealed_blob_parse(const u8 *data, size_t len, struct sealed_blob *b)
{
	const u8 *p = data + HNBTRE_SEALED_HEADER_LEN;

	if (hnbtre_seal_blob_len(data, len) != len)
		return -EBADMSG;
	b->pcr_mask = get_unaligned_be32(data + HNBTRE_SEALED_OFF_PCR_MASK);
	b->public_len = get_unaligned_be16(data + HNBTRE_SEALED_OFF_PUBLIC_LEN);
	b->private_len = get_unaligned_be16(data + HNBTRE_SEALED_OFF_PRIVATE_LEN);
	b->ciphertext_len = get_unaligned_be16(data + HNBTRE_SEALED_OFF_CIPHERTEXT_LEN);
	b->public = p;
	b->private = p + b->public_len;
	b->nonce = b->private + b->private_len;
	b->ciphertext = b->nonce + HNBTRE_SEALED_NONCE_LEN;
	b->tag = b->ciphertext + b->ciphertext_len;
	b->aad_len = b->nonce - data;
	/* Each TPM2B says its own size, the header said the same. */
	if (b->public_len < 2 || b->private_len < 2 || !b->ciphertext_len ||
	    get_unaligned_be16(b->public) != b->public_len - 2 ||
	    get_unaligned_be16(b->private) != b->private_len - 2)
		return -EBADMSG;
	return 0;
}

/*
 * Only an object whose release the verdict decides: a sealed data
 * object (keyedhash, no scheme), fixedTPM and fixedParent (no copy leaves
 * this TPM), no userWithAuth (its empty auth value unseals nothing), a
 * SHA-256 policy over a mask that includes the verdict PCR.  The TPM
 * compares the policy with the session's, so an object that passes and
 * unseals was sealed to exactly those PCRs.
 */
static int sealed_object_check(const struct sealed_blob *b)
{
	const u8 *p = b->public + 2, *end = b->public + b->public_len;
	u32 attributes;
	u16 policy_len;

	if (b->pcr_mask & ~GENMASK(TPM2_PLATFORM_PCR - 1, 0) ||
	    !(b->pcr_mask & BIT(verdict_pcr)))
		return -EINVAL;
	/* type, nameAlg, objectAttributes, authPolicy size */
	if (end - p < 2 + 2 + 4 + 2)
		return -EBADMSG;
	attributes = get_unaligned_be32(p + 4);
	policy_len = get_unaligned_be16(p + 8);
	if (get_unaligned_be16(p) != TPM_ALG_KEYEDHASH ||
	    get_unaligned_be16(p + 2) != TPM_ALG_SHA256 ||
	    (attributes & (TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT)) !=
	    (TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT) ||
	    (attributes & TPMA_OBJECT_USERWITHAUTH) ||
	    policy_len != SHA256_DIGEST_SIZE)
		return -EINVAL;
	p += 10 + policy_len;
	/* keyedhash scheme: TPM_ALG_NULL, a sealed data object */
	if (end - p < 2)
		return -EBADMSG;
	if (get_unaligned_be16(p) != TPM_ALG_NULL)
		return -EINVAL;
	return 0;
}

static void slot_free(struct sealed_slot *slot)
{
	memzero_explicit(slot->kek, sizeof(slot->kek));
	crypto_free_aead(slot->aead);
	slot->aead = NULL;
	kfree_sensitive(slot->blob);
	slot->blob = NULL;
}

/**
 * hnbtre_seal_pair_len - length of the pair of sealed blobs that @data starts
 * @data: what has arrived so far
 * @len: its length
 *
 * Two sealed blobs end to end (hnbtre_seal_submit_pair()).
 *
 * Return: the length of both, 0 while a header is incomplete, -EBADMSG
 * if @data does not start such a pair.
 */
ssize_t hnbtre_seal_pair_len(const u8 *data, size_t len)
{
	ssize_t first = hnbtre_seal_blob_len(data, len), second;

	if (first <= 0 || len <= (size_t)first)
		return min_t(ssize_t, first, 0);
	second = hnbtre_seal_blob_len(data + first, len - first);
	if (second <= 0)
		return second;
	return first + second;
}

/* A blob the release can unseal: well formed, its release bound to the verdict. */
static int sealed_blob_check(const u8 *blob, size_t len)
{
	struct sealed_blob b;
	int ret;

	ret = sealed_blob_parse(blob, len, &b);
	if (!ret)
		ret = sealed_object_check(&b);
	return ret;
}

static bool slot_named(const char *name)
{
	unsigned int i;

	for (i = 0; i < nr_slots; i++)
		if (!strcmp(slots[i].name, name))
			return true;
	return false;
}

/* A new slot for a checked blob; under seal_lock, a free slot exists. */
static int slot_add_locked(const char *name, enum hnbtre_state verdict,
			   hnbtre_unsealed_fn admit, const u8 *blob,
			   size_t len)
{
	struct sealed_slot *slot = &slots[nr_slots];
	int ret;

	memset(slot, 0, sizeof(*slot));
	slot->aead = crypto_alloc_aead("gcm(aes)", 0, 0);
	if (IS_ERR(slot->aead)) {
		ret = PTR_ERR(slot->aead);
		slot->aead = NULL;
		return ret;
	}
	ret = crypto_aead_setauthsize(slot->aead, HNBTRE_SEALED_TAG_LEN);
	slot->blob = kmemdup(blob, len, GFP_KERNEL);
	if (!ret && !slot->blob)
		ret = -ENOMEM;
	if (ret) {
		slot_free(slot);
		return ret;
	}
	slot->name = name;
	slot->verdict = verdict;
	slot->admit = admit;
	slot->len = len;
	slot->outcome = SLOT_PENDING;
	nr_slots++;
	return 0;
}

/**
 * hnbtre_seal_submit - keep a sealed key until the release
 * @name: the securityfs file it came through
 * @verdict: HNBTRE_STATE_TRUSTED or HNBTRE_STATE_FAILED: which verdict of
 *	the start-up validation releases it
 * @admit: called at the release with the clear key, which is wiped
 *	after it returns
 * @blob: the sealed blob, exactly hnbtre_seal_blob_len() bytes; copied
 * @len: its length
 *
 * The one way into the TrE for every sealed key (device key, distress
 * credential, and any later one): the blob is checked now, unsealed at
 * the end of the start-up validation if @verdict is its result.
 *
 * Return: 0; -EBADMSG malformed; -EINVAL an object that does not bind
 * its release to the verdict; -ENODEV no TPM 2.0; -EKEYEXPIRED the release
 * is over; -EEXIST a blob for @name is already kept; -ENOSPC no slot;
 * -ENOMEM, or the crypto API's error without gcm(aes).
 */
int hnbtre_seal_submit(const char *name, enum hnbtre_state verdict,
		       hnbtre_unsealed_fn admit, const u8 *blob, size_t len)
{
	struct tpm_chip *chip = hnbtre_tpm2_chip();
	int ret;

	if (!chip)
		return -ENODEV;
	put_device(&chip->dev);
	ret = sealed_blob_check(blob, len);
	if (ret)
		return ret;

	mutex_lock(&seal_lock);
	if (released)
		ret = -EKEYEXPIRED;
	else if (slot_named(name))
		ret = -EEXIST;
	else if (nr_slots == SEALED_SLOTS)
		ret = -ENOSPC;
	else
		ret = slot_add_locked(name, verdict, admit, blob, len);
	mutex_unlock(&seal_lock);
	return ret;
}

/**
 * hnbtre_seal_submit_pair - keep a key sealed to either verdict
 * @trusted_name: its name in "seal" for the blob released by trusted
 * @failed_name: the same for the blob released by failed
 * @admit: called at the release with the clear key of the released
 *	blob, which is wiped after it returns
 * @pair: the blob sealed to trusted, then the one sealed to failed,
 *	exactly hnbtre_seal_pair_len() bytes; copied
 * @len: its length
 *
 * For a key the TrE needs whatever its verdict (the attestation key):
 * each blob is kept as by hnbtre_seal_submit(), both or neither.  Which
 * verdict a blob is sealed to is the TPM's business (its policy): a pair
 * in the wrong order releases nothing.
 *
 * Return: as hnbtre_seal_submit(); nothing is kept on error.
 */
int hnbtre_seal_submit_pair(const char *trusted_name, const char *failed_name,
			    hnbtre_unsealed_fn admit, const u8 *pair,
			    size_t len)
{
	struct tpm_chip *chip = hnbtre_tpm2_chip();
	ssize_t first = hnbtre_seal_blob_len(pair, len);
	ssize_t total = hnbtre_seal_pair_len(pair, len);
	int ret;

	if (!chip)
		return -ENODEV;
	put_device(&chip->dev);
	if (first <= 0 || total != (ssize_t)len)
		return -EBADMSG;
	ret = sealed_blob_check(pair, first);
	if (!ret)
		ret = sealed_blob_check(pair + first, len - first);
	if (ret)
		return ret;

	mutex_lock(&seal_lock);
	if (released) {
		ret = -EKEYEXPIRED;
	} else if (slot_named(trusted_name) || slot_named(failed_name)) {
		ret = -EEXIST;
	} else if (nr_slots + 2 > SEALED_SLOTS) {
		ret = -ENOSPC;
	} else {
		ret = slot_add_locked(trusted_name, HNBTRE_STATE_TRUSTED,
				      admit, pair, first);
		if (!ret) {
			ret = slot_add_locked(failed_name, HNBTRE_STATE_FAILED,
					      admit, pair + first,
					      len - first);
			/* both or neither */
			if (ret)
				slot_free(&slots[--nr_slots]);
		}
	}
	mutex_unlock(&seal_lock);
	return ret;
}

/* SHA-256(HNBTRE_VERDICT_PREFIX @word) */
static void verdict_value(const char *word, u8 out[SHA256_DIGEST_SIZE])
{
	char text[sizeof(HNBTRE_VERDICT_PREFIX) + 8];

	snprintf(text, sizeof(text), "%s%s", HNBTRE_VERDICT_PREFIX, word);
	sha256(text, strlen(text), out);
}

/* Into @slot->kek, the verdict PCR holding its value; ops lock held. */
static int unseal_kek(struct tpm_chip *chip, struct sealed_slot *slot)
{
	struct sealed_blob b;
	u32 session, object;
	int ret;

	ret = sealed_blob_parse(slot->blob, slot->len, &b);
	if (ret)
		return ret;
	ret = hnbtre_tpm2_policy_session_locked(chip, b.pcr_mask, &session);
	if (ret)
		return ret;
	ret = hnbtre_tpm2_load_locked(chip, seal_parent, b.private,
				      b.private_len, b.public, b.public_len,
				      &object);
	if (ret) {
		tpm2_flush_context(chip, session);
		return ret;
	}
	ret = hnbtre_tpm2_unseal_locked(chip, object, session, slot->kek,
					sizeof(slot->kek));
	/* A successful TPM2_Unseal ended the session. */
	if (ret)
		tpm2_flush_context(chip, session);
	tpm2_flush_context(chip, object);
	return ret;
}

/* The clear wrapper of @slot to its owner; wiped after. */
static int decrypt_and_admit(struct sealed_slot *slot)
{
	DECLARE_CRYPTO_WAIT(wait);
	struct aead_request *req;
	struct scatterlist sg;
	struct sealed_blob b;
	size_t len;
	u8 *buf;
	int ret;

	ret = sealed_blob_parse(slot->blob, slot->len, &b);
	if (ret)
		return ret;
	len = b.aad_len + b.ciphertext_len + HNBTRE_SEALED_TAG_LEN;
	buf = kmalloc(len, GFP_KERNEL);
	req = aead_request_alloc(slot->aead, GFP_KERNEL);
	ret = -ENOMEM;
	if (!buf || !req)
		goto out;
	/* additional data, then ciphertext and tag: decrypted in place */
	memcpy(buf, slot->blob, b.aad_len);
	memcpy(buf + b.aad_len, b.ciphertext,
	       b.ciphertext_len + HNBTRE_SEALED_TAG_LEN);
	ret = crypto_aead_setkey(slot->aead, slot->kek, sizeof(slot->kek));
	if (ret)
		goto out;
	sg_init_one(&sg, buf, len);
	aead_request_set_callback(req, CRYPTO_TFM_REQ_MAY_SLEEP,
				  crypto_req_done, &wait);
	aead_request_set_ad(req, b.aad_len);
	/* The nonce is copied by the request: a const buffer is fine. */
	aead_request_set_crypt(req, &sg, &sg,
			       b.ciphertext_len + HNBTRE_SEALED_TAG_LEN,
			       (u8 *)b.nonce);
	ret = crypto_wait_req(crypto_aead_decrypt(req), &wait);
	if (!ret)
		ret = slot->admit(buf + b.aad_len, b.ciphertext_len);
out:
	aead_request_free(req);
	kfree_sensitive(buf);
	memzero_explicit(slot->kek, sizeof(slot->kek));
	return ret;
}

static void audit_release(const char *outcome, int pcr_error)
{
	struct audit_buffer *ab;

	ab = audit_log_start(audit_context(), GFP_KERNEL,
			     AUDIT_INTEGRITY_STATUS);
	if (!ab)
		return;
	audit_log_format(ab, "op=hnbtre_seal verdict=%s pcr=%d outcome=\"%s\"",
			 verdict_words[release_verdict] ?: "-", verdict_pcr,
			 outcome);
	if (pcr_error)
		audit_log_format(ab, " error=%d", pcr_error);
	audit_log_end(ab);
}

/*
 * Steps 1 to 4 of the comment at the top, ops lock held.  Return: NULL,
 * or why nothing was unsealed.
 */
static const char *release_locked(struct tpm_chip *chip, int *error)
{
	static const u8 reset_value[SHA256_DIGEST_SIZE];
	u8 value[SHA256_DIGEST_SIZE];
	const char *refused = NULL;
	unsigned int i;
	int ret;

	*error = hnbtre_tpm2_pcr_read_locked(chip, verdict_pcr, value);
	if (*error)
		refused = "verdict PCR unreadable";
	else if (memcmp(value, reset_value, sizeof(value)))
		refused = "verdict PCR extended before the TrE";
	if (!refused) {
		verdict_value(verdict_words[release_verdict], value);
		*error = hnbtre_tpm2_pcr_extend_locked(chip, verdict_pcr,
						       value);
		if (*error)
			refused = "verdict PCR extend failed";
	}
	for (i = 0; !refused && i < nr_slots; i++) {
		if (slots[i].verdict != release_verdict)
			continue;
		slots[i].error = unseal_kek(chip, &slots[i]);
		if (slots[i].error)
			slots[i].outcome = SLOT_FAILED;
	}
	/* Whatever happened: no later satisfaction of a verdict policy. */
	verdict_value("closed", value);
	ret = hnbtre_tpm2_pcr_extend_locked(chip, verdict_pcr, value);
	if (ret)
		pr_err("verdict PCR %d: the cap failed (%d)\n", verdict_pcr, ret);
	return refused;
}

/**
 * hnbtre_seal_release - unseal the kept keys for the start-up verdict
 * @verdict: the state the validation committed
 *
 * The first call of a load of the module does the release (top of this
 * file); later calls do nothing.  Keys sealed to the other verdict are
 * dropped; blobs that arrive later are refused (-EKEYEXPIRED).
 *
 * Context: state.c's commit(), hnbtre_lock held: the release completes
 * before the state is acted on (the distress function starts after its
 * credential is in place).
 */
void hnbtre_seal_release(enum hnbtre_state verdict)
{
	ktime_t start = ktime_get();
	struct tpm_chip *chip;
	unsigned int i;
	int error = 0;

	mutex_lock(&seal_lock);
	if (released)
		goto out;
	released = true;
	release_verdict = verdict;
	chip = hnbtre_tpm2_chip();
	if (!chip) {
		release_refused = "no TPM 2.0";
	} else if (tpm_try_get_ops(chip)) {
		release_refused = "TPM unavailable";
		put_device(&chip->dev);
	} else {
		release_refused = release_locked(chip, &error);
		tpm_put_ops(chip);
		put_device(&chip->dev);
	}
	if (release_refused) {
		/* Without sealed keys nothing is lost: no error then. */
		if (nr_slots)
			pr_err("verdict PCR %d: %s (%d): no sealed key released\n",
			       verdict_pcr, release_refused, error);
		else
			pr_info("verdict PCR %d: %s (%d)\n", verdict_pcr,
				release_refused, error);
		audit_release(release_refused, error);
	} else {
		audit_release("released", 0);
	}
	for (i = 0; i < nr_slots; i++) {
		struct sealed_slot *slot = &slots[i];

		if (release_refused) {
			slot->outcome = SLOT_REFUSED;
		} else if (slot->verdict != verdict) {
			slot->outcome = SLOT_NOT_RELEASED;
		} else if (slot->outcome == SLOT_PENDING) {
			slot->error = decrypt_and_admit(slot);
			slot->outcome = slot->error ? SLOT_FAILED :
						      SLOT_ADMITTED;
		}
		if (slot->outcome == SLOT_FAILED)
			pr_err("%s: sealed key not released (%d)\n",
			       slot->name, slot->error);
		else
			pr_info("%s: sealed key %s\n", slot->name,
				slot_outcome_names[slot->outcome]);
		slot_free(slot);
	}
	release_us = ktime_us_delta(ktime_get(), start);
out:
	mutex_unlock(&seal_lock);
}

static int seal_show(struct seq_file *m, void *v)
{
	unsigned int i;

	mutex_lock(&seal_lock);
	seq_printf(m, "verdict_pcr %d\nparent 0x%08x\nrelease ", verdict_pcr,
		   seal_parent);
	if (!released)
		seq_puts(m, "pending\n");
	else if (release_refused)
		seq_printf(m, "refused %s\n", release_refused);
	else
		seq_printf(m, "%s\n", verdict_words[release_verdict]);
	if (released)
		seq_printf(m, "release_us %lld\n", release_us);
	for (i = 0; i < nr_slots; i++) {
		seq_printf(m, "%s %s", slots[i].name,
			   slot_outcome_names[slots[i].outcome]);
		if (slots[i].outcome == SLOT_FAILED)
			seq_printf(m, " %d", slots[i].error);
		seq_putc(m, '\n');
	}
	mutex_unlock(&seal_lock);
	return 0;
}

DEFINE_SHOW_ATTRIBUTE(seal);

/**
 * hnbtre_seal_init - check the parameters, add the securityfs file "seal"
 *
 * The verdict PCR must be one that only a TPM reset resets (0-15 in the
 * PC Client profile: 16 and 23 are resettable from locality 0, which
 * would undo the cap) and none that something else extends.
 *
 * Return: 0 or -errno (-EINVAL for an unusable verdict_pcr=).
 */
int hnbtre_seal_init(void)
{
	if (verdict_pcr < 0 || verdict_pcr > 15 || verdict_pcr == IMA_PCR ||
	    verdict_pcr == hnbtre_pcr) {
		pr_err("verdict_pcr=%d: not a PCR the TrE alone extends and only a reboot resets\n",
		       verdict_pcr);
		return -EINVAL;
	}
	return hnbtre_fs_add("seal", 0444, &seal_fops);
}

/**
 * hnbtre_seal_exit - drop blobs never released
 */
void hnbtre_seal_exit(void)
{
	unsigned int i;

	mutex_lock(&seal_lock);
	for (i = 0; i < nr_slots; i++)
		slot_free(&slots[i]);
	nr_slots = 0;
	mutex_unlock(&seal_lock);
}
