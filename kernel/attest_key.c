// SPDX-License-Identifier: GPL-2.0-only
/*
 * The attestation key (Documentation/attestation.md, "The attestation
 * key"): an RSA key that signs attestations and nothing else.  It is held
 * in this module's memory as a crypto transform, never as a key object:
 * no keyring holds it, so no keyctl operation (sign, decrypt, raw RSA)
 * and no other user of the key API reaches it.  Its certificate, issued
 * by the operator CA with the attestation role, travels in every
 * attestation; the two must hold the same public key.
 *
 * securityfs attest_key takes the key and attest_cert the certificate
 * (DER), each once per load of the module.  The key comes sealed by the
 * TPM (devkey.md, "Keys at rest"): a pair of sealed blobs, one released
 * by each verdict of the start-up validation, so that a failed device
 * attests too; or, for boards without a TPM, as the device key's clear
 * wrapper.  It must not be a key of .hnbtre_device: whoever may use that
 * through keyctl could sign attestations.  Freeing the transform on
 * unload frees the key's numbers with kfree_sensitive() (lib/mpi).
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/crypto.h>
#include <linux/err.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <crypto/akcipher.h>
#include <crypto/internal/rsa.h>

#include "hnbtre.h"

#define TAG_BIT_STRING	0x03
#define TAG_SEQUENCE	0x30
#define TAG_VERSION	0xa0	/* [0] EXPLICIT */

/* Under attest_key_lock; each set once per load, freed at exit. */
static DEFINE_MUTEX(attest_key_lock);
static struct crypto_akcipher *attest_tfm;
static unsigned int attest_sig_size;
/* The private key's modulus, to match the certificate's. */
static u8 *attest_modulus;
static size_t attest_modulus_len;
static u8 *attest_cert;
static size_t attest_cert_len;

/*
 * The moduli of the keys admitted into .hnbtre_device in this load (the
 * device key, the latest after a replacement, and the distress
 * credential), which the attestation key must not have.
 */
enum { EXCLUDED_DEVICE, EXCLUDED_DISTRESS, EXCLUDED_KEYS };
static const char *const excluded_names[EXCLUDED_KEYS] = {
	[EXCLUDED_DEVICE] = "device key",
	[EXCLUDED_DISTRESS] = "distress credential",
};

static struct {
	u8 *n;
	size_t len;
} excluded[EXCLUDED_KEYS];

/* An RSA integer without its leading zero bytes. */
static void strip_zeros(const u8 **p, size_t *len)
{
	while (*len && !**p) {
		(*p)++;
		(*len)--;
	}
}

/*
 * The modulus in a certificate's subjectPublicKeyInfo:
 * Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { [0] version,
 * serialNumber, signature, issuer, validity, subject,
 * subjectPublicKeyInfo SEQUENCE { algorithm, BIT STRING RSAPublicKey },
 * ... }, ... }
 */
static int cert_modulus(const u8 *der, size_t len, const u8 **n,
			size_t *n_len)
{
	const u8 *pos = der, *end = der + len;
	struct hnbtre_der_tlv cert, tbs, tlv, spki, bits;
	struct rsa_key rsa = {};
	int i;

	if (hnbtre_der_next(&pos, end, TAG_SEQUENCE, &cert) || pos != end)
		return -EBADMSG;
	pos = cert.value;
	if (hnbtre_der_next(&pos, cert.value + cert.len, TAG_SEQUENCE, &tbs))
		return -EBADMSG;
	pos = tbs.value;
	end = tbs.value + tbs.len;
	if (pos < end && *pos == TAG_VERSION &&
	    hnbtre_der_next(&pos, end, TAG_VERSION, &tlv))
		return -EBADMSG;
	/* serialNumber, signature, issuer, validity, subject */
	for (i = 0; i < 5; i++)
		if (pos == end || hnbtre_der_next(&pos, end, *pos, &tlv))
			return -EBADMSG;
	if (hnbtre_der_next(&pos, end, TAG_SEQUENCE, &spki))
		return -EBADMSG;
	pos = spki.value;
	end = spki.value + spki.len;
	if (hnbtre_der_next(&pos, end, TAG_SEQUENCE, &tlv) ||
	    hnbtre_der_next(&pos, end, TAG_BIT_STRING, &bits) || pos != end ||
	    bits.len < 1 || bits.value[0])
		return -EBADMSG;
	if (rsa_parse_pub_key(&rsa, bits.value + 1, bits.len - 1))
		return -EKEYREJECTED;
	*n = rsa.n;
	*n_len = rsa.n_sz;
	strip_zeros(n, n_len);
	return 0;
}

/* Both loaded: the certificate must be the key's.  Under the lock. */
static int check_pair(const u8 *cert, size_t cert_len, const u8 *modulus,
		      size_t modulus_len)
{
	const u8 *n;
	size_t n_len;
	int ret;

	ret = cert_modulus(cert, cert_len, &n, &n_len);
	if (ret || !modulus)
		return ret;
	if (n_len != modulus_len || memcmp(n, modulus, n_len))
		return -EKEYREJECTED;
	return 0;
}

static bool modulus_equal(const u8 *a, size_t a_len, const u8 *b,
			  size_t b_len)
{
	return a && a_len == b_len && !memcmp(a, b, a_len);
}

/**
 * hnbtre_attest_key_exclude - a key is about to enter .hnbtre_device
 * @description: HNBTRE_DEVICE_KEY_DESC or HNBTRE_DISTRESS_KEY_DESC
 * @n: its modulus without leading zero bytes
 * @n_len: its length
 *
 * Refuses the attestation key, and remembers the modulus so that the
 * attestation key, if it comes later, cannot be this key (either order
 * of loading).  devkey.c calls it under its admission lock, before the
 * key is linked.
 *
 * Return: 0; -ENOTUNIQ it is the attestation key (kernel log says so);
 * -ENOMEM.
 */
int hnbtre_attest_key_exclude(const char *description, const u8 *n,
			      size_t n_len)
{
	unsigned int i = strcmp(description, HNBTRE_DISTRESS_KEY_DESC) ?
			 EXCLUDED_DEVICE : EXCLUDED_DISTRESS;
	int ret = -ENOTUNIQ;
	u8 *copy;

	mutex_lock(&attest_key_lock);
	if (modulus_equal(attest_modulus, attest_modulus_len, n, n_len)) {
		pr_err("%s refused: it is the attestation key\n",
		       excluded_names[i]);
		goto out;
	}
	ret = -ENOMEM;
	copy = kmemdup(n, n_len, GFP_KERNEL);
	if (!copy)
		goto out;
	kfree(excluded[i].n);
	excluded[i].n = copy;
	excluded[i].len = n_len;
	ret = 0;
out:
	mutex_unlock(&attest_key_lock);
	return ret;
}

/**
 * hnbtre_attest_key_load - make a key the attestation key
 * @wrapper: HNBTRE_DEVKEY_MAGIC and a PKCS#8 RSA key (devkey.md), in
 *	clear; whoever unseals a key passes the plaintext here
 * @len: its length
 *
 * Once per load of the module.  The key stays in the module's memory; the
 * caller wipes @wrapper.  seal.c calls it at the release with the key it
 * unsealed.
 *
 * Return: 0; -EBADMSG not a wrapper; -ENOPKG not RSA; -EINVAL not 2048 or
 * 3072 bits; -EEXIST a key is loaded; -ENOTUNIQ it is the device key or
 * the distress credential (kernel log says so); -EKEYREJECTED the loaded
 * certificate is not this key's; -ENOMEM or the crypto layer's -errno.
 * Nothing changes on failure.
 */
int hnbtre_attest_key_load(const u8 *wrapper, size_t len)
{
	struct crypto_akcipher *tfm;
	struct hnbtre_der_tlv key;
	const u8 *n;
	size_t n_len;
	unsigned int i;
	int ret;

	ret = hnbtre_devkey_wrapper_modulus(wrapper, len, &key, &n, &n_len);
	if (ret)
		return ret;

	mutex_lock(&attest_key_lock);
	ret = -EEXIST;
	if (attest_tfm)
		goto out;
	ret = -ENOTUNIQ;
	for (i = 0; i < EXCLUDED_KEYS; i++) {
		if (modulus_equal(excluded[i].n, excluded[i].len, n, n_len)) {
			pr_err("attestation key refused: it is the %s\n",
			       excluded_names[i]);
			goto out;
		}
	}
	if (attest_cert) {
		ret = check_pair(attest_cert, attest_cert_len, n, n_len);
		if (ret)
			goto out;
	}
	ret = -ENOMEM;
	attest_modulus = kmemdup(n, n_len, GFP_KERNEL);
	if (!attest_modulus)
		goto out;
	tfm = crypto_alloc_akcipher("pkcs1pad(rsa,sha256)", 0, 0);
	if (IS_ERR(tfm)) {
		ret = PTR_ERR(tfm);
		goto out_modulus;
	}
	ret = crypto_akcipher_set_priv_key(tfm, key.value, key.len);
	if (ret) {
		crypto_free_akcipher(tfm);
		goto out_modulus;
	}
	attest_modulus_len = n_len;
	attest_sig_size = crypto_akcipher_maxsize(tfm);
	attest_tfm = tfm;
	goto out;
out_modulus:
	kfree(attest_modulus);
	attest_modulus = NULL;
out:
	mutex_unlock(&attest_key_lock);
	return ret;
}

/*
 * The attestation key's certificate (DER); once per load.  Checked here:
 * that it is one certificate with an RSA key, the attestation key's if
 * that is loaded.  Its issuer, role and identity are the verifiers'
 * business: they trust the operator CA, the kernel need not.
 */
static int attest_cert_load(const u8 *der, size_t len)
{
	int ret;

	mutex_lock(&attest_key_lock);
	ret = -EEXIST;
	if (attest_cert)
		goto out;
	ret = check_pair(der, len, attest_modulus, attest_modulus_len);
	if (ret)
		goto out;
	ret = -ENOMEM;
	attest_cert = kmemdup(der, len, GFP_KERNEL);
	if (!attest_cert)
		goto out;
	attest_cert_len = len;
	ret = 0;
out:
	mutex_unlock(&attest_key_lock);
	return ret;
}

/**
 * hnbtre_attest_signer - the attestation key's certificate and key size
 * @cert: receives the DER certificate, valid until the module unloads
 * @cert_len: receives its length
 *
 * Return: the signature size in bytes, or -ENOKEY unless both the key
 * and its certificate are loaded.
 */
int hnbtre_attest_signer(const u8 **cert, size_t *cert_len)
{
	int ret = -ENOKEY;

	mutex_lock(&attest_key_lock);
	if (attest_tfm && attest_cert) {
		*cert = attest_cert;
		*cert_len = attest_cert_len;
		ret = attest_sig_size;
	}
	mutex_unlock(&attest_key_lock);
	return ret;
}

/**
 * hnbtre_attest_sign - sign a SHA-256 digest with the attestation key
 * @digest: SHA-256 of the attestation's body; not on the stack (mapped by
 *	a scatterlist)
 * @sig: receives the RSASSA-PKCS1-v1_5 signature; not on the stack either
 * @sig_size: size of @sig, the size hnbtre_attest_signer() returned
 *
 * Return: the signature length or -errno (-ENOKEY: no key loaded).
 */
int hnbtre_attest_sign(const u8 *digest, u8 *sig, size_t sig_size)
{
	struct akcipher_request *req;
	struct scatterlist src, dst;
	DECLARE_CRYPTO_WAIT(wait);
	int ret;

	/* The transform lives until exit, when no file is open. */
	if (!READ_ONCE(attest_tfm))
		return -ENOKEY;
	req = akcipher_request_alloc(attest_tfm, GFP_KERNEL);
	if (!req)
		return -ENOMEM;
	sg_init_one(&src, digest, SHA256_DIGEST_SIZE);
	sg_init_one(&dst, sig, sig_size);
	akcipher_request_set_crypt(req, &src, &dst, SHA256_DIGEST_SIZE,
				   sig_size);
	akcipher_request_set_callback(req, CRYPTO_TFM_REQ_MAY_BACKLOG |
				      CRYPTO_TFM_REQ_MAY_SLEEP,
				      crypto_req_done, &wait);
	ret = crypto_wait_req(crypto_akcipher_sign(req), &wait);
	if (!ret)
		ret = req->dst_len;
	akcipher_request_free(req);
	return ret;
}

/* attest_key and attest_cert: a key (clear or sealed) and a certificate. */
struct attest_file {
	struct hnbtre_sized_file upload;
	int (*load)(const u8 *data, size_t len);
};

static int attest_submit(const struct hnbtre_sized_file *upload,
			 const u8 *data, size_t len)
{
	const struct attest_file *af = container_of(upload, struct attest_file,
						    upload);

	return af->load(data, len);
}

/* A clear wrapper, or the pair of sealed blobs: its length, 0 while unknown. */
static ssize_t attest_key_len(const u8 *data, size_t len)
{
	ssize_t need = hnbtre_devkey_wrapper_len(data, len);

	if (need < 0)
		return hnbtre_seal_pair_len(data, len);
	return need > HNBTRE_DEVKEY_WRAPPER_MAX ? -EBADMSG : need;
}

/* Loads a clear key now; a sealed pair is loaded at the release (seal.c). */
static int attest_key_submit(const struct hnbtre_sized_file *upload,
			     const u8 *data, size_t len)
{
	if (hnbtre_devkey_wrapper_len(data, len) < 0)
		return hnbtre_seal_submit_pair("attest_key_trusted",
					       "attest_key_failed",
					       hnbtre_attest_key_load, data,
					       len);
	return attest_submit(upload, data, len);
}

static struct attest_file key_file = {
	.upload = {
		.max = 2 * HNBTRE_SEALED_MAX,
		.request_len = attest_key_len,
		.submit = attest_key_submit,
	},
	.load = hnbtre_attest_key_load,
};

static struct attest_file cert_file = {
	.upload = {
		.max = HNBTRE_ATTEST_CERT_MAX,
		.request_len = hnbtre_der_sequence_announced,
		.submit = attest_submit,
	},
	.load = attest_cert_load,
};

/**
 * hnbtre_attest_key_init - create attest_key and attest_cert
 *
 * Return: 0 or -errno.
 */
int hnbtre_attest_key_init(void)
{
	int ret;

	ret = hnbtre_fs_add_data("attest_key", 0200, &hnbtre_sized_fops,
				 &key_file.upload);
	if (!ret)
		ret = hnbtre_fs_add_data("attest_cert", 0200,
					 &hnbtre_sized_fops, &cert_file.upload);
	return ret;
}

/**
 * hnbtre_attest_key_exit - forget the attestation key and certificate
 *
 * After the files are gone: nothing signs any more.
 */
void hnbtre_attest_key_exit(void)
{
	unsigned int i;

	if (attest_tfm)
		crypto_free_akcipher(attest_tfm);
	attest_tfm = NULL;
	kfree(attest_modulus);
	attest_modulus = NULL;
	kfree(attest_cert);
	attest_cert = NULL;
	for (i = 0; i < EXCLUDED_KEYS; i++) {
		kfree(excluded[i].n);
		excluded[i].n = NULL;
	}
}
