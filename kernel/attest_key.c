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
 * securityfs attest_key takes the key (the device key's wrapper) and
 * attest_cert the certificate (DER), each once per load of the module.
 * Freeing the transform on unload frees the key's numbers with
 * kfree_sensitive() (lib/mpi).
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

/**
 * hnbtre_attest_key_load - make a key the attestation key
 * @wrapper: HNBTRE_DEVKEY_MAGIC and a PKCS#8 RSA key (devkey.md), in
 *	clear; whoever unseals a key passes the plaintext here
 * @len: its length
 *
 * Once per load of the module.  The key stays in the module's memory; the
 * caller wipes @wrapper.
 *
 * Return: 0; -EBADMSG not a wrapper; -ENOPKG not RSA; -EINVAL not 2048 or
 * 3072 bits; -EEXIST a key is loaded; -EKEYREJECTED the loaded certificate
 * is not this key's; -ENOMEM or the crypto layer's -errno.  Nothing
 * changes on failure.
 */
int hnbtre_attest_key_load(const u8 *wrapper, size_t len)
{
	struct crypto_akcipher *tfm;
	struct hnbtre_der_tlv key;
	struct rsa_key rsa = {};
	const u8 *n;
	size_t n_len;
	int ret;

	if (len < HNBTRE_DEVKEY_MAGIC_LEN ||
	    memcmp(wrapper, HNBTRE_DEVKEY_MAGIC, HNBTRE_DEVKEY_MAGIC_LEN))
		return -EBADMSG;
	ret = hnbtre_devkey_parse_pkcs8(wrapper + HNBTRE_DEVKEY_MAGIC_LEN,
					len - HNBTRE_DEVKEY_MAGIC_LEN, &key);
	if (ret)
		return ret;
	if (rsa_parse_priv_key(&rsa, key.value, key.len))
		return -EBADMSG;
	n = rsa.n;
	n_len = rsa.n_sz;
	strip_zeros(&n, &n_len);

	mutex_lock(&attest_key_lock);
	ret = -EEXIST;
	if (attest_tfm)
		goto out;
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

/* attest_key and attest_cert: a wrapper and a certificate. */
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

static struct attest_file key_file = {
	.upload = {
		.max = HNBTRE_DEVKEY_WRAPPER_MAX,
		.request_len = hnbtre_devkey_wrapper_len,
		.submit = attest_submit,
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
	if (attest_tfm)
		crypto_free_akcipher(attest_tfm);
	attest_tfm = NULL;
	kfree(attest_modulus);
	attest_modulus = NULL;
	kfree(attest_cert);
	attest_cert = NULL;
}
