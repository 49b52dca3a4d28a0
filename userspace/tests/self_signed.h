/* SPDX-License-Identifier: GPL-2.0-only */
/* Self-signed certificates for the tests' throwaway keys. */
#ifndef HNBTRE_SELF_SIGNED_H
#define HNBTRE_SELF_SIGNED_H

#include <stdlib.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

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

#endif
