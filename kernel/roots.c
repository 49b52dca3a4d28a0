// SPDX-License-Identifier: GPL-2.0-only
/*
 * The TrE's roots and signers (TS 33.320 7.2.2: the root certificates
 * that verify software signatures are stored in the TrE).
 *
 * .hnbtre_roots holds CA certificates: the operator roots built into the
 * module (make HNBTRE_ROOTS=...) and CAs that a key in it issued.  Each
 * signer role has a keyring of its own for the signing certificates a CA
 * of .hnbtre_roots issued with that role (cert.c):
 *
 *   .hnbtre_manifest_signers    manifests (manifest.c)
 *   .hnbtre_software_signers    packages (package.c)
 *   .hnbtre_component_signers   security.ima (appraise.c)
 *
 * and each kind of signature is verified against its role's keyring only
 * (hnbtre_verify_pkcs7(), hnbtre_find_signer()).  Any other certificate
 * under an operator root, the device's, the SeGW's, the H(e)MS's, the
 * distress credential's, signs nothing here.
 *
 * Certificates get in at run time only through the securityfs file
 * "roots": the module reads the role from the DER, which a keyring
 * restriction never sees, and adds the certificate to that role's
 * keyring itself; the restriction then checks that a key in .hnbtre_roots
 * signed it.  Adds and links by anyone else are refused (EPERM) and
 * audited.  The keyrings and their keys are KEEP: they cannot be
 * unlinked, cleared, revoked or invalidated, and nobody but the module may
 * change their permissions or restriction.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <keys/asymmetric-type.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/key.h>
#include <linux/module.h>
#include <linux/ratelimit.h>
#include <linux/slab.h>
#include <linux/verification.h>

#include "hnbtre.h"

/* A certificate, with room to spare; larger writes are refused. */
#define CERT_MAX	(64 << 10)

#define KEYRING_PERM	((KEY_POS_ALL & ~KEY_POS_SETATTR) | \
			 KEY_USR_VIEW | KEY_USR_READ | KEY_USR_SEARCH | \
			 KEY_USR_WRITE)
#define MEMBER_PERM	((KEY_POS_ALL & ~KEY_POS_SETATTR) | \
			 KEY_USR_VIEW | KEY_USR_READ)

static const char *const keyring_names[HNBTRE_ROLE_COUNT] = {
	[HNBTRE_ROLE_MANIFEST] = HNBTRE_MANIFEST_SIGNERS_KEYRING,
	[HNBTRE_ROLE_SOFTWARE] = HNBTRE_SOFTWARE_SIGNERS_KEYRING,
	[HNBTRE_ROLE_COMPONENT] = HNBTRE_COMPONENT_SIGNERS_KEYRING,
	[HNBTRE_ROLE_CA] = HNBTRE_ROOTS_KEYRING,
};

static struct key *keyrings[HNBTRE_ROLE_COUNT];

/* "key_or_keyring:<serial of .hnbtre_roots>": issued by a key in it. */
static struct key_restriction *issued_by_a_root;

/* The task adding a certificate for the module, under admit_lock. */
static DEFINE_MUTEX(admit_lock);
static struct task_struct *admitter;

/* Audit record and log line for every admission, rate limited together. */
static void report(const struct key *keyring, int result, const char *reason,
		   const u8 *der, size_t len)
{
	static DEFINE_RATELIMIT_STATE(limit, 5 * HZ, 10);
	const char *name = keyring ? keyring->description : "-";
	struct audit_buffer *ab;

	if (!__ratelimit(&limit))
		return;
	if (result)
		pr_notice("certificate refused: %s (%d)\n", reason,
			  result);
	else
		pr_info("certificate admitted to %s\n", name);
	ab = audit_log_start(audit_context(), GFP_KERNEL,
			     AUDIT_INTEGRITY_STATUS);
	if (!ab)
		return;
	audit_log_format(ab, "op=hnbtre_admit result=%s reason=%s keyring=%s",
			 result ? "refused" : "accepted", reason, name);
	if (der) {
		u8 digest[SHA256_DIGEST_SIZE];

		sha256(der, len, digest);
		audit_log_format(ab, " cert=sha256:%*phN", SHA256_DIGEST_SIZE,
				 digest);
	}
	audit_log_format(ab, " pid=%d", task_tgid_nr(current));
	audit_log_end(ab);
}

/*
 * The restriction of every keyring here: only the module adds, and what
 * it adds must have been issued by a key in .hnbtre_roots.  Not the
 * kernel's builtin or secondary keys: the roots that decide what software
 * counts are the TrE's own.
 */
static int admitted_by_module(struct key *dest_keyring,
			      const struct key_type *type,
			      const union key_payload *payload,
			      struct key *unused)
{
	if (READ_ONCE(admitter) != current) {
		report(dest_keyring, -EPERM, "keyctl", NULL, 0);
		return -EPERM;
	}
	return issued_by_a_root->check(dest_keyring, type, payload,
				       issued_by_a_root->key);
}

static const char *refusal_reason(int ret)
{
	switch (ret) {
	case -EBADMSG:
		return "malformed";
	case -ENOKEY:
		return "unknown_issuer";
	case -EKEYREJECTED:
		return "bad_signature";
	default:
		return "error";
	}
}

/*
 * One DER certificate: a CA goes to .hnbtre_roots, a signer to its role's
 * keyring, anything else nowhere.
 */
static int admit(const u8 *der, size_t len)
{
	struct key *keyring;
	key_ref_t key;
	int role, ret;

	role = hnbtre_cert_role(der, len);
	if (role < 0) {
		report(NULL, role, role == -EBADMSG ? "malformed" :
		       "not_ca_or_signer", der, len);
		return role;
	}
	keyring = keyrings[role];
	mutex_lock(&admit_lock);
	WRITE_ONCE(admitter, current);
	key = key_create_or_update(make_key_ref(keyring, 1), "asymmetric",
				   NULL, der, len, MEMBER_PERM,
				   KEY_ALLOC_NOT_IN_QUOTA);
	WRITE_ONCE(admitter, NULL);
	mutex_unlock(&admit_lock);
	if (IS_ERR(key)) {
		ret = PTR_ERR(key);
		/* An algorithm the kernel lacks cannot verify anything. */
		if (ret == -ENOPKG)
			ret = -EKEYREJECTED;
		report(keyring, ret, refusal_reason(ret), der, len);
		return ret;
	}
	key_ref_put(key);
	report(keyring, 0, "accepted", der, len);
	return 0;
}

/**
 * roots_write - admit one certificate
 * @file: the file
 * @buf: one DER certificate, whole
 * @count: its length
 * @ppos: unused: every write() is a certificate of its own
 *
 * Return: @count, or -EPERM (no CAP_SYS_ADMIN), -EFBIG (more than 64
 * KiB), -EBADMSG (not one DER certificate), -EKEYREJECTED (neither a CA
 * certificate nor a signing certificate of one role, or its signature
 * does not verify), -ENOKEY (not issued by a key in .hnbtre_roots),
 * -ENOMEM, -EFAULT.
 */
static ssize_t roots_write(struct file *file, const char __user *buf,
			   size_t count, loff_t *ppos)
{
	u8 *der;
	int ret;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (count > CERT_MAX)
		return -EFBIG;
	der = memdup_user(buf, count);
	if (IS_ERR(der))
		return PTR_ERR(der);
	ret = admit(der, count);
	kfree(der);
	return ret ? ret : count;
}

static const struct file_operations roots_fops = {
	.owner = THIS_MODULE,
	.write = roots_write,
	.llseek = no_llseek,
};

/**
 * hnbtre_verify_pkcs7 - verify a detached PKCS#7 signature for a role
 * @role: the role the signer must have: HNBTRE_ROLE_MANIFEST or
 *	HNBTRE_ROLE_SOFTWARE
 * @data: the signed data
 * @len: its length
 * @sig: the DER SignedData
 * @sig_len: its length
 *
 * The signer's certificate must be in @role's keyring, whether the
 * message carries it or names it by issuer and serial or key identifier
 * (pkcs7_validate_trust()).  A certificate that a root issued, but not
 * for @role, is no signer: -ENOKEY.
 *
 * Return: what verify_pkcs7_signature() returns: 0, -ENOKEY (no signer
 * of @role), -EKEYREJECTED (a signature does not verify), -EBADMSG,
 * -ENOPKG, -ENOMEM.
 */
int hnbtre_verify_pkcs7(enum hnbtre_role role, const void *data, size_t len,
			const void *sig, size_t sig_len)
{
	if (WARN_ON_ONCE(role >= HNBTRE_ROLE_CA))
		return -ENOKEY;
	return verify_pkcs7_signature(data, len, sig, sig_len, keyrings[role],
				      VERIFYING_UNSPECIFIED_SIGNATURE,
				      NULL, NULL);
}

/**
 * hnbtre_find_signer - the key of a signer of a role
 * @role: the role: HNBTRE_ROLE_COMPONENT for security.ima
 * @id: "id:<hex>", matched against the end of its key identifiers
 *
 * Return: the key, referenced, or ERR_PTR(-ENOKEY) (or another error
 * of keyring_search()) if @role's keyring holds none.
 */
struct key *hnbtre_find_signer(enum hnbtre_role role, const char *id)
{
	key_ref_t key;

	if (WARN_ON_ONCE(role >= HNBTRE_ROLE_CA))
		return ERR_PTR(-ENOKEY);
	key = keyring_search(make_key_ref(keyrings[role], 1),
			     &key_type_asymmetric, id, false);
	return IS_ERR(key) ? ERR_CAST(key) : key_ref_to_ptr(key);
}

/* The built-in certificates are trusted as built: no chain is checked. */
static int __init load_builtin_roots(void)
{
	const u8 *p = hnbtre_roots_der;
	size_t avail = hnbtre_roots_der_end - hnbtre_roots_der;

	while (avail) {
		size_t len = hnbtre_der_sequence_len(p, avail);
		key_ref_t key;
		int role;

		if (!len) {
			pr_err("built-in roots are corrupt\n");
			return -EBADMSG;
		}
		role = hnbtre_cert_role(p, len);
		if (role < 0) {
			pr_err("a built-in certificate is neither a CA nor a signer of one role: %d\n",
			       role);
			return role;
		}
		key = key_create_or_update(make_key_ref(keyrings[role], 1),
					   "asymmetric", NULL, p, len,
					   MEMBER_PERM,
					   KEY_ALLOC_NOT_IN_QUOTA |
					   KEY_ALLOC_BUILT_IN |
					   KEY_ALLOC_BYPASS_RESTRICTION);
		if (IS_ERR(key)) {
			pr_err("loading a built-in certificate: %ld\n",
			       PTR_ERR(key));
			return PTR_ERR(key);
		}
		pr_info("%s: '%s'\n", keyring_names[role],
			key_ref_to_ptr(key)->description);
		key_ref_put(key);
		p += len;
		avail -= len;
	}
	return 0;
}

/**
 * hnbtre_roots_init - create the keyrings and load the built-in roots
 *
 * On error, hnbtre_roots_exit() undoes what was done.
 *
 * Return: 0 or -errno.
 */
int __init hnbtre_roots_init(void)
{
	char restriction_spec[32];
	int role;

	for (role = HNBTRE_ROLE_CA; role >= 0; role--) {
		struct key_restriction *restriction;
		struct key *keyring;

		/* The keyring frees its restriction when it is destroyed. */
		restriction = hnbtre_keyring_restriction(admitted_by_module);
		if (!restriction)
			return -ENOMEM;
		keyring = keyring_alloc(keyring_names[role], GLOBAL_ROOT_UID,
					GLOBAL_ROOT_GID, current_cred(),
					KEYRING_PERM,
					KEY_ALLOC_NOT_IN_QUOTA |
					KEY_ALLOC_SET_KEEP,
					restriction, NULL);
		if (IS_ERR(keyring)) {
			kfree(restriction);
			return PTR_ERR(keyring);
		}
		keyrings[role] = keyring;
	}
	snprintf(restriction_spec, sizeof(restriction_spec),
		 "key_or_keyring:%d", key_serial(keyrings[HNBTRE_ROLE_CA]));
	issued_by_a_root =
		key_type_asymmetric.lookup_restriction(restriction_spec);
	if (IS_ERR(issued_by_a_root))
		return PTR_ERR(issued_by_a_root);
	return load_builtin_roots();
}

/**
 * hnbtre_roots_fs_init - create the file "roots"
 *
 * Return: 0 or -errno.
 */
int hnbtre_roots_fs_init(void)
{
	return hnbtre_fs_add("roots", 0200, &roots_fops);
}

/**
 * hnbtre_roots_exit - retire the keyrings
 *
 * They are invalidated, so they are gone from every lookup at once and
 * garbage collected with their keys; a reloaded module starts afresh.
 * Call it after hnbtre_keyrings_exit(): the keyrings' check, which uses
 * the restriction freed here, must be retired first.
 */
void hnbtre_roots_exit(void)
{
	int role;

	for (role = 0; role < HNBTRE_ROLE_COUNT; role++) {
		if (keyrings[role]) {
			key_invalidate(keyrings[role]);
			key_put(keyrings[role]);
			keyrings[role] = NULL;
		}
	}
	if (!IS_ERR_OR_NULL(issued_by_a_root)) {
		key_put(issued_by_a_root->key);
		kfree(issued_by_a_root);
	}
	issued_by_a_root = NULL;
}
