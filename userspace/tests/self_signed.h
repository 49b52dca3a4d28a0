/* SPDX-License-Identifier: GPL-2.0-only */
/* Self-signed certificates for the tests' throwaway keys. */
#ifndef HNBTRE_SELF_SIGNED_H
#define HNBTRE_SELF_SIGNED_H

#include <stdlib.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <linux/hnbtre.h>

/*
 * X.509 v3, valid for an hour from now, subject and issuer CN = @cn,
 * signed by @key with SHA-256.  Aborts on error: no test goes on without.
 */
static X509 *self_signed_cert(EVP_PKEY *key, const char *cn)
{
	X509 *cert = X509_new();

	if (!cert || !X509_set_version(cert, 2) ||
	    !X509_gmtime_adj(X509_getm_notBefore(cert), 0) ||
	    !X509_gmtime_adj(X509_getm_notAfter(cert), 3600) ||
	    !X509_NAME_add_entry_by_txt(X509_get_subject_name(cert), "CN", MBSTRING_ASC,
					(const unsigned char *)cn, -1, -1, 0) ||
	    !X509_set_issuer_name(cert, X509_get_subject_name(cert)) ||
	    !X509_set_pubkey(cert, key) || !X509_sign(cert, key, EVP_sha256()))
		abort();
	return cert;
}

/*
 * An attestation certificate for @key and @cn: self-signed, so that a
 * trust store holding it alone accepts it, with the attestation role
 * (extendedKeyUsage HNBTRE_ATTEST_ROLE_OID) unless @role is 0.
 */
static inline X509 *attest_signer_cert(EVP_PKEY *key, const char *cn, int role)
{
	X509 *cert = X509_new();
	X509_EXTENSION *ext = role ?
		X509V3_EXT_conf_nid(NULL, NULL, NID_ext_key_usage,
				    HNBTRE_ATTEST_ROLE_OID) :
		X509V3_EXT_conf_nid(NULL, NULL, NID_ext_key_usage, "clientAuth");

	if (!cert || !ext || !X509_set_version(cert, 2) ||
	    !X509_gmtime_adj(X509_getm_notBefore(cert), 0) ||
	    !X509_gmtime_adj(X509_getm_notAfter(cert), 3600) ||
	    !X509_NAME_add_entry_by_txt(X509_get_subject_name(cert), "CN", MBSTRING_ASC,
					(const unsigned char *)cn, -1, -1, 0) ||
	    !X509_set_issuer_name(cert, X509_get_subject_name(cert)) ||
	    !X509_add_ext(cert, ext, -1) ||
	    !X509_set_pubkey(cert, key) || !X509_sign(cert, key, EVP_sha256()))
		abort();
	X509_EXTENSION_free(ext);
	return cert;
}

/* A trust store of @cert alone. */
static inline X509_STORE *store_of(X509 *cert)
{
	X509_STORE *store = X509_STORE_new();

	if (!store || !X509_STORE_add_cert(store, cert))
		abort();
	return store;
}

#endif
