// SPDX-License-Identifier: GPL-2.0-only
/*
 * The TrE-gated device key (Documentation/devkey.md).
 *
 * An asymmetric key parser accepts only the hnbtre wrapper
 * (HNBTRE_DEVKEY_MAGIC followed by an unencrypted PKCS#8 RSA key) and gives
 * the key a subtype whose private-key operations are refused unless the TrE
 * state is trusted.  The gate is part of the key object, so it applies in
 * every keyring the key is linked into.  The device key itself lives in the
 * module-owned keyring .hnbtre_device, which accepts one such key.
 *
 * Only the module puts keys into .hnbtre_device (securityfs files
 * device_key and distress_key): nobody is granted write permission on the
 * keyring, nor link or setattr permission on the keys in it, so no keyctl
 * operation can take them out (move, unlink, even of a decoy with the same
 * description, clear) or change their attributes; KEEP refuses revoke and
 * invalidate.  The admitted device key pins the module until reboot: a
 * reload would reset the TrE.  While the state is trusted, the device key
 * can be replaced by a new one (device_key_replace: key rotation after a
 * certificate update); the old one is revoked at once.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/key.h>
#include <linux/key-type.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/ratelimit.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <crypto/internal/rsa.h>
#include <crypto/public_key.h>
#include <keys/asymmetric-parser.h>
#include <keys/asymmetric-subtype.h>
#include <keys/asymmetric-type.h>

#include "hnbtre.h"

static const u8 devkey_magic[HNBTRE_DEVKEY_MAGIC_LEN] = HNBTRE_DEVKEY_MAGIC;

/* DER of OID 1.2.840.113549.1.1.1 (rsaEncryption) */
static const u8 oid_rsa_encryption[] = {
	0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01
};

static struct key *device_keyring;

/* The modulus without its leading zero bytes; returns its size. */
static size_t rsa_modulus(const struct rsa_key *rsa, const u8 **modulus)
{
	const u8 *n = rsa->n;
	size_t len = rsa->n_sz;

	while (len && !*n) {
		n++;
		len--;
	}
	*modulus = n;
	return len;
}

/**
 * hnbtre_devkey_parse_pkcs8 - the RSA key in a wrapper's PKCS#8
 * @data: the DER after HNBTRE_DEVKEY_MAGIC
 * @len: its length
 * @key: receives the RSAPrivateKey (points into @data)
 *
 * PrivateKeyInfo ::= SEQUENCE { version INTEGER (0),
 *	AlgorithmIdentifier SEQUENCE { rsaEncryption, NULL },
 *	privateKey OCTET STRING (RSAPrivateKey) }
 * exactly as `hnbtre key wrap` writes it; anything else is refused.
 *
 * Return: 0; -EBADMSG malformed; -ENOPKG not RSA; -EINVAL neither 2048
 * nor 3072 bits.
 */
int hnbtre_devkey_parse_pkcs8(const u8 *data, size_t len,
			      struct hnbtre_der_tlv *key)
{
	const u8 *end = data + len, *pos = data, *inner_end;
	struct hnbtre_der_tlv seq, version, algo;
	struct rsa_key rsa = {};
	const u8 *apos, *n;
	size_t bits;
	int ret;

	ret = hnbtre_der_next(&pos, end, 0x30, &seq);
	if (ret || pos != end)
		return -EBADMSG;
	pos = seq.value;
	inner_end = seq.value + seq.len;
	ret = hnbtre_der_next(&pos, inner_end, 0x02, &version);
	if (ret || version.len != 1 || version.value[0] != 0)
		return -EBADMSG;
	ret = hnbtre_der_next(&pos, inner_end, 0x30, &algo);
	if (ret)
		return ret;
	apos = algo.value;
	if (algo.len < sizeof(oid_rsa_encryption) ||
	    memcmp(apos, oid_rsa_encryption, sizeof(oid_rsa_encryption)))
		return -ENOPKG;
	apos += sizeof(oid_rsa_encryption);
	if (algo.value + algo.len - apos != 2 || apos[0] != 0x05 || apos[1])
		return -EBADMSG;
	ret = hnbtre_der_next(&pos, inner_end, 0x04, key);
	if (ret || pos != inner_end)
		return -EBADMSG;
	if (rsa_parse_priv_key(&rsa, key->value, key->len))
		return -EBADMSG;
	bits = rsa_modulus(&rsa, &n) * 8;
	if (!HNBTRE_DEVKEY_BITS_VALID(bits))
		return -EINVAL;
	return 0;
}

static const char *op_name(enum kernel_pkey_operation op)
{
	switch (op) {
	case kernel_pkey_sign:
		return "sign";
	case kernel_pkey_decrypt:
		return "decrypt";
	default:
		return "other";
	}
}

static void audit_refusal(const struct key *key,
			  enum kernel_pkey_operation op,
			  enum hnbtre_state state)
{
	static DEFINE_RATELIMIT_STATE(limit, 5 * HZ, 10);
	struct audit_buffer *ab;

	if (!__ratelimit(&limit))
		return;
	ab = audit_log_start(audit_context(), GFP_KERNEL,
			     AUDIT_INTEGRITY_STATUS);
	if (!ab)
		return;
	audit_log_format(ab, "op=hnbtre_key_refused key=%d operation=%s state=%s pid=%d",
			 key_serial(key), op_name(op), hnbtre_state_name(state),
			 task_tgid_nr(current));
	audit_log_end(ab);
}

static bool is_private_op(enum kernel_pkey_operation op)
{
	return op == kernel_pkey_sign || op == kernel_pkey_decrypt;
}

static struct asymmetric_key_subtype distress_subtype;

static bool is_distress_key(const struct key *key)
{
	return asymmetric_key_subtype(key) == &distress_subtype;
}

/*
 * The gate: private-key operations with the device key only while the
 * TrE state is trusted; with the distress credential only for the
 * distress function of a failed device (distress.c).
 */
static bool gate_open(const struct key *key)
{
	if (is_distress_key(key))
		return hnbtre_distress_credential_allowed();
	return hnbtre_state_get() == HNBTRE_STATE_TRUSTED;
}

static int gated_eds_op(struct kernel_pkey_params *params, const void *in,
			void *out)
{
	if (is_private_op(params->op) && !gate_open(params->key)) {
		audit_refusal(params->key, params->op, hnbtre_state_get());
		return -EKEYREJECTED;
	}
	return public_key_subtype.eds_op(params, in, out);
}

static int gated_query(const struct kernel_pkey_params *params,
		       struct kernel_pkey_query *info)
{
	int ret = public_key_subtype.query(params, info);

	if (!ret && !gate_open(params->key))
		info->supported_ops &= ~(KEYCTL_SUPPORTS_SIGN |
					 KEYCTL_SUPPORTS_DECRYPT);
	return ret;
}

static void gated_describe(const struct key *key, struct seq_file *m)
{
	seq_puts(m, "hnbtre-gated ");
	public_key_subtype.describe(key, m);
}

/* asymmetric_key_destroy() drops the module reference after this. */
static void gated_destroy(void *payload_crypto, void *payload_auth)
{
	public_key_subtype.destroy(payload_crypto, payload_auth);
}

static int gated_verify_signature(const struct key *key,
				  const struct public_key_signature *sig)
{
	return public_key_subtype.verify_signature(key, sig);
}

/* The gated operations, under a name per kind of key. */
#define GATED_SUBTYPE(subtype_name) {				\
	.owner = THIS_MODULE,					\
	.name = subtype_name,					\
	.name_len = sizeof(subtype_name) - 1,			\
	.describe = gated_describe,				\
	.destroy = gated_destroy,				\
	.query = gated_query,					\
	.eds_op = gated_eds_op,					\
	.verify_signature = gated_verify_signature,		\
}

static struct asymmetric_key_subtype gated_subtype =
	GATED_SUBTYPE("hnbtre_gated");
/* A distinct object tells the two kinds apart. */
static struct asymmetric_key_subtype distress_subtype =
	GATED_SUBTYPE("hnbtre_distress");

/**
 * hnbtre_devkey_wrapper_modulus - the key and modulus of a wrapper
 * @wrapper: HNBTRE_DEVKEY_MAGIC, then what hnbtre_devkey_parse_pkcs8() takes
 * @len: its length
 * @key: receives the RSAPrivateKey (points into @wrapper)
 * @n: receives the modulus without leading zero bytes (points into @wrapper)
 * @n_len: receives its length
 *
 * The modulus tells keys apart: the attestation key must be none of the
 * keys in .hnbtre_device (attest_key.c).
 *
 * Return: 0, or the -errno of hnbtre_devkey_parse_pkcs8() (-EBADMSG also
 * without the magic).
 */
int hnbtre_devkey_wrapper_modulus(const u8 *wrapper, size_t len,
				  struct hnbtre_der_tlv *key, const u8 **n,
				  size_t *n_len)
{
	struct rsa_key rsa = {};
	int ret;

	if (len < sizeof(devkey_magic) ||
	    memcmp(wrapper, devkey_magic, sizeof(devkey_magic)))
		return -EBADMSG;
	ret = hnbtre_devkey_parse_pkcs8(wrapper + sizeof(devkey_magic),
					len - sizeof(devkey_magic), key);
	if (ret)
		return ret;
	if (rsa_parse_priv_key(&rsa, key->value, key->len))
		return -EBADMSG;
	*n_len = rsa_modulus(&rsa, n);
	return 0;
}

/*
 * The key of the wrapper @data is to be @description in .hnbtre_device:
 * not if it is the attestation key, whose holder could then sign
 * attestations through keyctl.
 */
static int exclude_attest_key(const char *description, const u8 *data,
			      size_t len)
{
	struct hnbtre_der_tlv key;
	const u8 *n;
	size_t n_len;
	int ret;

	ret = hnbtre_devkey_wrapper_modulus(data, len, &key, &n, &n_len);
	if (!ret)
		ret = hnbtre_attest_key_exclude(description, n, n_len);
	return ret;
}

static int devkey_parse(struct key_preparsed_payload *prep)
{
	const u8 *data = prep->data;
	struct public_key *pub;
	struct hnbtre_der_tlv rsa_key;
	bool distress;
	int ret;

	if (prep->datalen < sizeof(devkey_magic) ||
	    memcmp(data, devkey_magic, sizeof(devkey_magic)))
		return -EBADMSG;
	distress = prep->orig_description &&
		   !strcmp(prep->orig_description,
			   HNBTRE_DISTRESS_KEY_DESC);
	if (prep->orig_description && !distress &&
	    strcmp(prep->orig_description, HNBTRE_DEVICE_KEY_DESC))
		return -EINVAL;
	ret = hnbtre_devkey_parse_pkcs8(data + sizeof(devkey_magic),
			      prep->datalen - sizeof(devkey_magic), &rsa_key);
	if (ret)
		return ret;

	pub = kzalloc(sizeof(*pub), GFP_KERNEL);
	if (!pub)
		return -ENOMEM;
	pub->key = kmemdup(rsa_key.value, rsa_key.len, GFP_KERNEL);
	if (!pub->key)
		goto nomem;
	pub->keylen = rsa_key.len;
	pub->key_is_private = true;
	pub->pkey_algo = "rsa";
	pub->id_type = "PKCS8";
	if (!prep->orig_description) {
		prep->description = kstrdup(HNBTRE_DEVICE_KEY_DESC,
					    GFP_KERNEL);
		if (!prep->description)
			goto nomem;
	}

	/* Per key; also keeps the module loaded while gated keys exist. */
	__module_get(THIS_MODULE);
	prep->payload.data[asym_subtype] = distress ? &distress_subtype :
						      &gated_subtype;
	prep->payload.data[asym_key_ids] = NULL;
	prep->payload.data[asym_crypto] = pub;
	prep->payload.data[asym_auth] = NULL;
	prep->quotalen = 100;
	return 0;

nomem:
	public_key_free(pub);
	return -ENOMEM;
}

static struct asymmetric_key_parser devkey_parser = {
	.owner = THIS_MODULE,
	.name = "hnbtre_devkey",
	.parse = devkey_parse,
};

/*
 * .hnbtre_device holds gated keys only.  Nothing but admit() links into it
 * (nobody has write permission on it), which also does the bookkeeping.
 */
static int restrict_device_keyring(struct key *keyring,
				   const struct key_type *type,
				   const union key_payload *payload,
				   struct key *restriction_key)
{
	if (type != &key_type_asymmetric ||
	    (payload->data[asym_subtype] != &gated_subtype &&
	     payload->data[asym_subtype] != &distress_subtype))
		return -EKEYREJECTED;
	return 0;
}

/* One key of each kind per load of the module; under admission_lock. */
static DEFINE_MUTEX(admission_lock);
static bool device_key_admitted, distress_key_admitted;
/* Holds the module from the device key's admission on. */
static bool module_pinned;

/*
 * The keys may be searched for and used by whoever possesses the keyring
 * (users link it into their session keyring) and viewed by root: never
 * linked elsewhere, moved, updated, re-permissioned or chowned.
 */
#define ADMITTED_KEY_PERM	(KEY_POS_VIEW | KEY_POS_SEARCH | KEY_USR_VIEW)

/*
 * Makes a key of @description from the wrapper @data and links it into
 * .hnbtre_device: the parser and the keyring's restriction decide what is
 * acceptable, as they do for keyctl; never the attestation key.  Under
 * admission_lock.
 */
static struct key *link_new_key(const char *description, const u8 *data,
				size_t len)
{
	struct key *key;
	int ret;

	ret = exclude_attest_key(description, data, len);
	if (ret)
		return ERR_PTR(ret);
	key = key_alloc(&key_type_asymmetric, description, GLOBAL_ROOT_UID,
			GLOBAL_ROOT_GID, current_cred(), ADMITTED_KEY_PERM,
			KEY_ALLOC_NOT_IN_QUOTA | KEY_ALLOC_SET_KEEP, NULL);
	if (IS_ERR(key))
		return key;
	ret = key_instantiate_and_link(key, data, len, device_keyring, NULL);
	if (ret) {
		key_put(key);
		return ERR_PTR(ret);
	}
	return key;
}

/* The first key of @description from the wrapper @data. */
static int admit(const char *description, const u8 *data, size_t len)
{
	bool device = !strcmp(description, HNBTRE_DEVICE_KEY_DESC);
	bool *admitted = device ? &device_key_admitted : &distress_key_admitted;
	struct key *key;
	int ret = -EEXIST;

	mutex_lock(&admission_lock);
	if (*admitted)
		goto out;
	key = link_new_key(description, data, len);
	ret = PTR_ERR_OR_ZERO(key);
	if (ret)
		goto out;
	*admitted = true;
	if (device) {
		/* Never put: only a reboot resets the TrE. */
		__module_get(THIS_MODULE);
		module_pinned = true;
	}
	key_put(key);
out:
	mutex_unlock(&admission_lock);
	return ret;
}

static void audit_replacement(const char *result, const struct key *old,
			      const struct key *new)
{
	struct audit_buffer *ab;

	ab = audit_log_start(audit_context(), GFP_KERNEL,
			     AUDIT_INTEGRITY_STATUS);
	if (!ab)
		return;
	audit_log_format(ab, "op=hnbtre_key_replace result=%s old=%d new=%d state=%s pid=%d",
			 result, key_serial(old), new ? key_serial(new) : 0,
			 hnbtre_state_name(hnbtre_state_get()),
			 task_tgid_nr(current));
	audit_log_end(ab);
}

/* The device key in .hnbtre_device: a reference, or ERR_PTR(-ENOKEY). */
static struct key *find_device_key(void)
{
	key_ref_t ref;

	ref = keyring_search(make_key_ref(device_keyring, true),
			     &key_type_asymmetric, HNBTRE_DEVICE_KEY_DESC,
			     false);
	if (IS_ERR(ref))
		return ERR_PTR(-ENOKEY);
	return key_ref_to_ptr(ref);
}

/*
 * Key rotation: the wrapper @data becomes the device key in place of the
 * admitted one, only while the TrE is trusted (whoever replaces it could
 * otherwise swap in a key it knows on a device that failed).  Linking a
 * key of the same description replaces the old link in one step; the old
 * key is then revoked, so that handles opened on it stop working too.
 */
static int replace_device_key(const u8 *data, size_t len)
{
	struct key *old, *key;
	int ret;

	mutex_lock(&admission_lock);
	old = device_key_admitted ? find_device_key() : ERR_PTR(-ENOKEY);
	if (IS_ERR(old)) {
		ret = PTR_ERR(old);
		goto out;
	}
	ret = -EKEYREJECTED;
	if (hnbtre_state_get() != HNBTRE_STATE_TRUSTED) {
		audit_replacement("refused", old, NULL);
		goto put_old;
	}
	key = link_new_key(HNBTRE_DEVICE_KEY_DESC, data, len);
	ret = PTR_ERR_OR_ZERO(key);
	if (ret)
		goto put_old;
	key_revoke(old);
	audit_replacement("replaced", old, key);
	key_put(key);
put_old:
	key_put(old);
out:
	mutex_unlock(&admission_lock);
	return ret;
}

static int admit_unsealed_device_key(const u8 *wrapper, size_t len)
{
	return admit(HNBTRE_DEVICE_KEY_DESC, wrapper, len);
}

static int admit_unsealed_distress_key(const u8 *wrapper, size_t len)
{
	return admit(HNBTRE_DISTRESS_KEY_DESC, wrapper, len);
}

/**
 * hnbtre_devkey_wrapper_len - length of a wrapper being written
 * @p: its first bytes
 * @len: their number
 *
 * Magic, then one DER SEQUENCE: its header says how much is to come.
 *
 * Return: bytes of the whole wrapper, 0 while unknown, or -EBADMSG.
 */
ssize_t hnbtre_devkey_wrapper_len(const u8 *p, size_t len)
{
	size_t magic = sizeof(devkey_magic);
	ssize_t der;

	if (memcmp(p, devkey_magic, min(len, magic)))
		return -EBADMSG;
	if (len < magic)
		return 0;
	der = hnbtre_der_sequence_announced(p + magic, len - magic);
	return der > 0 ? magic + der : der;
}

/*
 * device_key, device_key_replace, distress_key: a wrapper, or a sealed
 * blob that hnbtre_seal_blob_len() recognises.  A sealed key is released
 * by the verdict of the start-up validation (seal.c): the device key by
 * trusted, the distress credential by failed; a replacement is never
 * sealed (no release after start-up).
 */
struct key_file {
	struct hnbtre_sized_file upload;
	const char *name;
	const char *description;
	bool replace;
	enum hnbtre_state verdict;
	hnbtre_unsealed_fn admit_unsealed;
};

static ssize_t key_request_len(const u8 *data, size_t len)
{
	ssize_t need = hnbtre_devkey_wrapper_len(data, len);

	if (need < 0)
		return hnbtre_seal_blob_len(data, len);
	return need > HNBTRE_DEVKEY_WRAPPER_MAX ? -EBADMSG : need;
}

/* Admits the key, or hands the sealed blob to seal.c. */
static int key_submit(const struct hnbtre_sized_file *upload, const u8 *data,
		      size_t len)
{
	const struct key_file *kf = container_of(upload, struct key_file,
						 upload);
	bool sealed = hnbtre_devkey_wrapper_len(data, len) < 0;

	if (sealed && !kf->admit_unsealed)
		return -EINVAL;
	if (sealed)
		return hnbtre_seal_submit(kf->name, kf->verdict,
					  kf->admit_unsealed, data, len);
	if (kf->replace)
		return replace_device_key(data, len);
	return admit(kf->description, data, len);
}

#define KEY_UPLOAD {					\
	.max = HNBTRE_SEALED_MAX,			\
	.request_len = key_request_len,			\
	.submit = key_submit,				\
}

static struct key_file device_key_file = {
	.upload = KEY_UPLOAD,
	.name = "device_key",
	.description = HNBTRE_DEVICE_KEY_DESC,
	.verdict = HNBTRE_STATE_TRUSTED,
	.admit_unsealed = admit_unsealed_device_key,
};

static struct key_file device_key_replace_file = {
	.upload = KEY_UPLOAD,
	.name = "device_key_replace",
	.description = HNBTRE_DEVICE_KEY_DESC,
	.replace = true,
};

static struct key_file distress_key_file = {
	.upload = KEY_UPLOAD,
	.name = "distress_key",
	.description = HNBTRE_DISTRESS_KEY_DESC,
	.verdict = HNBTRE_STATE_FAILED,
	.admit_unsealed = admit_unsealed_distress_key,
};

/*
 * Test builds only (CONFIG_SECURITY_HNBTRE_TEST_HOOKS): writing "1" to
 * test_release empties .hnbtre_device and drops the pin, so that a test
 * suite can reload the module in one boot.  A production build has no
 * such file, and no parameter or other switch brings it back.
 */
static int release_device_keyring(void)
{
	int ret;

	mutex_lock(&admission_lock);
	ret = keyring_clear(device_keyring);
	if (!ret && module_pinned) {
		module_pinned = false;
		module_put(THIS_MODULE);
	}
	mutex_unlock(&admission_lock);
	return ret;
}

static struct hnbtre_trigger test_release_trigger = {
	.fire = release_device_keyring,
};

/**
 * hnbtre_devkey_init - create .hnbtre_device, its files and the key parser
 *
 * Return: 0 or -errno.
 */
int hnbtre_devkey_init(void)
{
	struct key_restriction *restriction;
	int ret;

	restriction = hnbtre_keyring_restriction(restrict_device_keyring);
	if (!restriction)
		return -ENOMEM;
	/* Users of the key link the keyring to possess its key (devkey.md). */
	device_keyring =
		keyring_alloc(HNBTRE_DEVICE_KEYRING, GLOBAL_ROOT_UID,
			      GLOBAL_ROOT_GID, current_cred(),
			      KEY_POS_VIEW | KEY_POS_READ | KEY_POS_SEARCH |
			      KEY_POS_LINK | KEY_USR_VIEW | KEY_USR_READ |
			      KEY_USR_SEARCH | KEY_USR_LINK,
			      KEY_ALLOC_NOT_IN_QUOTA | KEY_ALLOC_SET_KEEP,
			      restriction, NULL);
	if (IS_ERR(device_keyring)) {
		kfree(restriction);
		return PTR_ERR(device_keyring);
	}
	ret = hnbtre_fs_add_data("device_key", 0200, &hnbtre_sized_fops,
				 &device_key_file.upload);
	if (!ret)
		ret = hnbtre_fs_add_data("device_key_replace", 0200,
					 &hnbtre_sized_fops,
					 &device_key_replace_file.upload);
	if (!ret)
		ret = hnbtre_fs_add_data("distress_key", 0200,
					 &hnbtre_sized_fops,
					 &distress_key_file.upload);
	if (!ret && IS_ENABLED(CONFIG_SECURITY_HNBTRE_TEST_HOOKS)) {
		pr_warn("test build: .hnbtre_device can be emptied (test_release)\n");
		ret = hnbtre_fs_add_data("test_release", 0200,
					 &hnbtre_trigger_fops,
					 &test_release_trigger);
	}
	if (!ret)
		ret = register_asymmetric_key_parser(&devkey_parser);
	if (ret) {
		key_invalidate(device_keyring);
		key_put(device_keyring);
	}
	return ret;
}

/**
 * hnbtre_devkey_exit - unregister the key parser, retire .hnbtre_device
 *
 * Only reachable while no gated key exists: each one holds the module,
 * and so does the admitted device key.  The keyring is invalidated: gone
 * from every lookup, and from the keyrings that link it once the key
 * garbage collector has run.
 */
void hnbtre_devkey_exit(void)
{
	unregister_asymmetric_key_parser(&devkey_parser);
	key_invalidate(device_keyring);
	key_put(device_keyring);
}
