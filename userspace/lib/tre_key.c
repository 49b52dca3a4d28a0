// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The TrE device key as an OpenSSL EVP_PKEY.
 *
 * OpenSSL 3.0 routes keys with a non-default RSA_METHOD ("foreign" keys)
 * through its legacy signing code, which calls the method's rsa_sign for
 * PKCS#1 v1.5 and encodes PSS itself before calling rsa_priv_enc without
 * padding.  The method is deprecated API, hence the macro below; a
 * provider would do the same in much more code.
 */
#define OPENSSL_SUPPRESS_DEPRECATED

#include "hnbtre_tls.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <keyutils.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/rsa.h>

struct tre_key {
	key_serial_t serial;
	size_t size;		/* modulus bytes */
	int error;		/* errno of the last failed keyctl, or 0 */
};

static RSA_METHOD *tre_method;
static pthread_once_t tre_method_once = PTHREAD_ONCE_INIT;

/* Hash names of the kernel's pkcs1pad template. */
static const char *kernel_hash_name(int nid)
{
	switch (nid) {
	case NID_sha256:
		return "sha256";
	case NID_sha384:
		return "sha384";
	case NID_sha512:
		return "sha512";
	default:
		return NULL;
	}
}

/* libssl and libcurl consume the error queue; the errno is kept too. */
static void raise_keyctl_error(const char *op, struct tre_key *key)
{
	key->error = errno ? errno : EIO;
	ERR_raise_data(ERR_LIB_USER, ERR_R_OPERATION_FAIL,
		       "TrE key %d: %s: %s%s", key->serial, op, strerror(key->error),
		       key->error == EKEYREJECTED ? " (the TrE state is not trusted)" : "");
}

static int tre_rsa_sign(int type, const unsigned char *m, unsigned int m_len,
			unsigned char *sigret, unsigned int *siglen,
			const RSA *rsa)
{
	struct tre_key *key = RSA_get_app_data(rsa);
	const char *hash = kernel_hash_name(type);
	char info[32];
	long len;

	if (!hash) {
		ERR_raise_data(ERR_LIB_USER, ERR_R_UNSUPPORTED,
			       "the TrE signs no %s digests", OBJ_nid2sn(type));
		return 0;
	}
	snprintf(info, sizeof(info), "enc=pkcs1 hash=%s", hash);
	len = keyctl_pkey_sign(key->serial, info, m, m_len, sigret, key->size);
	if (len < 0 || (size_t)len != key->size) {
		raise_keyctl_error("pkey_sign", key);
		return 0;
	}
	*siglen = len;
	return 1;
}

/*
 * The RSA private operation on an already encoded block (PSS): the
 * kernel offers it as raw decryption.  Its result may lack leading zero
 * bytes; a signature has exactly the modulus size.
 */
static int tre_rsa_priv_enc(int flen, const unsigned char *from,
			    unsigned char *to, RSA *rsa, int padding)
{
	struct tre_key *key = RSA_get_app_data(rsa);
	long len;

	if (padding != RSA_NO_PADDING || flen < 0 || (size_t)flen != key->size) {
		ERR_raise_data(ERR_LIB_USER, ERR_R_UNSUPPORTED,
			       "the TrE key computes raw RSA on encoded blocks only");
		return -1;
	}
	len = keyctl_pkey_decrypt(key->serial, "enc=raw", from, flen, to,
				  key->size);
	if (len <= 0 || (size_t)len > key->size) {
		raise_keyctl_error("pkey_decrypt enc=raw", key);
		return -1;
	}
	memmove(to + key->size - len, to, len);
	memset(to, 0, key->size - len);
	return key->size;
}

static int tre_rsa_priv_dec(int flen, const unsigned char *from,
			    unsigned char *to, RSA *rsa, int padding)
{
	(void)flen; (void)from; (void)to; (void)rsa; (void)padding;
	ERR_raise_data(ERR_LIB_USER, ERR_R_UNSUPPORTED,
		       "the device key is not used for decryption");
	return -1;
}

static int tre_rsa_finish(RSA *rsa)
{
	free(RSA_get_app_data(rsa));
	return 1;
}

static void tre_method_init(void)
{
	const RSA_METHOD *def = RSA_PKCS1_OpenSSL();
	RSA_METHOD *meth = RSA_meth_new("hnbtre TrE key", RSA_METHOD_FLAG_NO_CHECK);

	if (!meth)
		return;
	/* public operations stay OpenSSL's */
	if (!RSA_meth_set_pub_enc(meth, RSA_meth_get_pub_enc(def)) ||
	    !RSA_meth_set_pub_dec(meth, RSA_meth_get_pub_dec(def)) ||
	    !RSA_meth_set_priv_enc(meth, tre_rsa_priv_enc) ||
	    !RSA_meth_set_priv_dec(meth, tre_rsa_priv_dec) ||
	    !RSA_meth_set_sign(meth, tre_rsa_sign) ||
	    !RSA_meth_set_finish(meth, tre_rsa_finish)) {
		RSA_meth_free(meth);
		return;
	}
	tre_method = meth;
}

int32_t hnbtre_tre_key_serial(const char *description)
{
	key_serial_t ring, key;

	ring = find_key_by_type_and_desc("keyring", HNBTRE_DEVICE_KEYRING, 0);
	if (ring < 0)
		return -ENOKEY;
	key = keyctl_search(ring, "asymmetric", description, 0);
	return key < 0 ? -ENOKEY : key;
}

EVP_PKEY *hnbtre_tre_pkey(int32_t serial, X509 *cert)
{
	struct keyctl_pkey_query query;
	EVP_PKEY *pub = X509_get0_pubkey(cert), *pkey = NULL;
	BIGNUM *n = NULL, *e = NULL;
	struct tre_key *key = NULL;
	RSA *rsa = NULL;

	pthread_once(&tre_method_once, tre_method_init);
	if (!tre_method || !pub || EVP_PKEY_get_base_id(pub) != EVP_PKEY_RSA) {
		ERR_raise_data(ERR_LIB_USER, ERR_R_UNSUPPORTED,
			       "the device certificate has no RSA key");
		return NULL;
	}
	if (keyctl_pkey_query(serial, "", &query) < 0 ||
	    query.key_size != (unsigned int)EVP_PKEY_get_bits(pub)) {
		ERR_raise_data(ERR_LIB_USER, ERR_R_PASSED_INVALID_ARGUMENT,
			       "TrE key %d does not match the device certificate",
			       serial);
		return NULL;
	}
	key = malloc(sizeof(*key));
	rsa = RSA_new();
	pkey = EVP_PKEY_new();
	if (!key || !rsa || !pkey ||
	    !EVP_PKEY_get_bn_param(pub, OSSL_PKEY_PARAM_RSA_N, &n) ||
	    !EVP_PKEY_get_bn_param(pub, OSSL_PKEY_PARAM_RSA_E, &e) ||
	    !RSA_set0_key(rsa, n, e, NULL))
		goto fail;
	n = e = NULL;
	key->serial = serial;
	key->size = query.key_size / 8;
	key->error = 0;
	if (!RSA_set_method(rsa, tre_method) || !RSA_set_app_data(rsa, key))
		goto fail;
	key = NULL;	/* tre_rsa_finish() frees it with rsa */
	if (!EVP_PKEY_assign_RSA(pkey, rsa))
		goto fail;
	return pkey;
fail:
	BN_free(n);
	BN_free(e);
	free(key);
	RSA_free(rsa);
	EVP_PKEY_free(pkey);
	return NULL;
}

int hnbtre_tre_pkey_error(EVP_PKEY *pkey)
{
	const RSA *rsa = pkey ? EVP_PKEY_get0_RSA(pkey) : NULL;
	const struct tre_key *key;

	if (!rsa || RSA_get_method(rsa) != tre_method)
		return 0;
	key = RSA_get_app_data(rsa);
	return key ? -key->error : 0;
}

int hnbtre_tre_holds_issuer(const uint8_t *der, size_t len)
{
	key_serial_t roots, ring, key = -1;
	char restriction[32];

	roots = find_key_by_type_and_desc("keyring", HNBTRE_ROOTS_KEYRING, 0);
	if (roots < 0)
		return 0;
	/* The keys of .hnbtre_roots cannot be searched from userspace: the
	 * kernel's link restriction does the check. */
	snprintf(restriction, sizeof(restriction), "key_or_keyring:%d", roots);
	ring = add_key("keyring", "hnbtre:anchor-check", NULL, 0,
		       KEY_SPEC_PROCESS_KEYRING);
	if (ring >= 0 && keyctl_restrict_keyring(ring, "asymmetric", restriction) == 0)
		key = add_key("asymmetric", "", der, len, ring);
	if (ring >= 0)
		keyctl_invalidate(ring);
	return key >= 0;
}

int hnbtre_tls_use_tre_key(SSL_CTX *ctx, X509 *cert, EVP_PKEY *key)
{
	if (SSL_CTX_use_certificate(ctx, cert) != 1 ||
	    SSL_CTX_use_PrivateKey(ctx, key) != 1 ||
	    SSL_CTX_set1_client_sigalgs_list(ctx, HNBTRE_TLS_SIGALGS) != 1)
		return -EINVAL;
	return 0;
}
