/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Attestations built by the documented layout (Documentation/attestation.md,
 * kernel/attest_format.h) and signed with an OpenSSL key, as the TrE would:
 * the verifiers' tests need blobs with chosen contents.
 */
#ifndef HNBTRE_ATTEST_BLOB_H
#define HNBTRE_ATTEST_BLOB_H

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "hnbtre.h"

/* What varies between the tests' attestations. */
struct attest_contents {
	int state;
	const uint8_t *tim, *rim;	/* HNBTRE_DIGEST_LEN bytes each */
	const uint8_t *nonce;
	size_t nonce_len;
	const char *identity;
};

static void attest_put_be(uint8_t *p, uint64_t v, int bytes)
{
	while (bytes--) {
		p[bytes] = v & 0xff;
		v >>= 8;
	}
}

/*
 * Builds @c into @blob (@size bytes, at least 4096) with the attestation
 * certificate @cert, signed with @key (RSA-2048, PKCS#1 v1.5 SHA-256);
 * returns its length.  Aborts on error: a test cannot go on without it.
 */
static size_t attest_blob_build(uint8_t *blob, size_t size, EVP_PKEY *key,
				X509 *cert, const struct attest_contents *c)
{
	size_t id_len = strlen(c->identity), body_len, sig_len = 256;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int cert_len = i2d_X509(cert, NULL);
	uint8_t *der;

	body_len = HNBTRE_ATTEST_HEADER_SIZE + c->nonce_len + id_len + cert_len;
	if (cert_len <= 0 || body_len + sig_len > size)
		abort();
	memset(blob, 0, size);
	memcpy(blob, HNBTRE_ATTEST_MAGIC, HNBTRE_ATTEST_MAGIC_LEN);
	attest_put_be(blob + HNBTRE_ATTEST_OFF_BODY_LEN, body_len, 4);
	attest_put_be(blob + HNBTRE_ATTEST_OFF_SIG_LEN, sig_len, 2);
	blob[HNBTRE_ATTEST_OFF_STATE] = c->state;
	blob[HNBTRE_ATTEST_OFF_FLAGS] = HNBTRE_ATTEST_FLAG_VALIDATED | HNBTRE_ATTEST_FLAG_HAS_MANIFEST;
	attest_put_be(blob + HNBTRE_ATTEST_OFF_MANIFEST_VERSION, 3, 8);
	attest_put_be(blob + HNBTRE_ATTEST_OFF_COUNTER, 1, 8);
	memcpy(blob + HNBTRE_ATTEST_OFF_TIM, c->tim, HNBTRE_DIGEST_LEN);
	memcpy(blob + HNBTRE_ATTEST_OFF_RIM, c->rim, HNBTRE_DIGEST_LEN);
	attest_put_be(blob + HNBTRE_ATTEST_OFF_VERDICTS + 4, 5, 4);
	blob[HNBTRE_ATTEST_OFF_NONCE_LEN] = c->nonce_len;
	blob[HNBTRE_ATTEST_OFF_IDENTITY_LEN] = id_len;
	memcpy(blob + HNBTRE_ATTEST_HEADER_SIZE, c->nonce, c->nonce_len);
	attest_put_be(blob + HNBTRE_ATTEST_OFF_CERT_LEN, cert_len, 2);
	memcpy(blob + HNBTRE_ATTEST_HEADER_SIZE + c->nonce_len, c->identity, id_len);
	der = blob + HNBTRE_ATTEST_HEADER_SIZE + c->nonce_len + id_len;
	i2d_X509(cert, &der);
	if (!ctx || EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key) != 1 ||
	    EVP_DigestSign(ctx, blob + body_len, &sig_len, blob, body_len) != 1)
		abort();
	EVP_MD_CTX_free(ctx);
	return body_len + sig_len;
}

#endif
