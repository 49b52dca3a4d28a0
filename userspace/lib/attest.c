// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Attestations: asking the TrE for one and checking one
 * (byte-exact format in Documentation/attestation.md).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "hnbtre.h"

static uint64_t be(const uint8_t *p, int bytes)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < bytes; i++)
		v = v << 8 | p[i];
	return v;
}

const char *hnbtre_state_name(enum hnbtre_state state)
{
	static const char *const names[HNBTRE_STATE_COUNT] = HNBTRE_STATE_NAMES;

	return (unsigned int)state < HNBTRE_STATE_COUNT ? names[state] : "invalid";
}

int hnbtre_attest(const uint8_t *nonce, size_t nonce_len, uint8_t **blob,
		  size_t *len)
{
	size_t size = 1024, used = 0;
	char path[PATH_MAX];
	uint8_t *buf;
	ssize_t n;
	int fd, ret = 0;

	if (nonce_len < HNBTRE_ATTEST_NONCE_MIN || nonce_len > HNBTRE_ATTEST_NONCE_MAX)
		return -EINVAL;
	n = snprintf(path, sizeof(path), "%s/attest", hnbtre_securityfs());
	if (n < 0 || (size_t)n >= sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	buf = malloc(size);
	if (!buf) {
		ret = -ENOMEM;
		goto out;
	}
	n = write(fd, nonce, nonce_len);
	if (n < 0 || (size_t)n != nonce_len) {
		ret = n < 0 ? -errno : -EIO;
		goto out;
	}
	while ((n = read(fd, buf + used, size - used)) > 0) {
		used += n;
		if (used == size) {
			uint8_t *bigger = realloc(buf, size * 2);

			if (!bigger) {
				ret = -ENOMEM;
				goto out;
			}
			buf = bigger;
			size *= 2;
		}
	}
	if (n < 0)
		ret = -errno;
out:
	close(fd);
	if (ret) {
		free(buf);
		return ret;
	}
	*blob = buf;
	*len = used;
	return 0;
}

int hnbtre_attestation_parse(const uint8_t *blob, size_t len,
			     struct hnbtre_attestation *out)
{
	size_t body_len, sig_len, nonce_len, identity_len, cert_len;
	int i;

	if (len < HNBTRE_ATTEST_HEADER_SIZE ||
	    memcmp(blob, HNBTRE_ATTEST_MAGIC, HNBTRE_ATTEST_MAGIC_LEN))
		return -EBADMSG;
	body_len = be(blob + HNBTRE_ATTEST_OFF_BODY_LEN, 4);
	sig_len = be(blob + HNBTRE_ATTEST_OFF_SIG_LEN, 2);
	nonce_len = blob[HNBTRE_ATTEST_OFF_NONCE_LEN];
	identity_len = blob[HNBTRE_ATTEST_OFF_IDENTITY_LEN];
	cert_len = be(blob + HNBTRE_ATTEST_OFF_CERT_LEN, 2);
	if (nonce_len < HNBTRE_ATTEST_NONCE_MIN || nonce_len > HNBTRE_ATTEST_NONCE_MAX ||
	    identity_len > HNBTRE_IDENTITY_MAX || !cert_len ||
	    cert_len > HNBTRE_ATTEST_CERT_MAX ||
	    body_len != HNBTRE_ATTEST_HEADER_SIZE + nonce_len + identity_len + cert_len ||
	    !HNBTRE_DEVKEY_BITS_VALID(8 * sig_len) || len != body_len + sig_len ||
	    blob[HNBTRE_ATTEST_OFF_STATE] >= HNBTRE_STATE_COUNT ||
	    (blob[HNBTRE_ATTEST_OFF_FLAGS] & ~(HNBTRE_ATTEST_FLAG_VALIDATED | HNBTRE_ATTEST_FLAG_HAS_MANIFEST |
						HNBTRE_ATTEST_FLAG_IDENTITY_TPM | HNBTRE_ATTEST_FLAG_FLOOR_TPM)))
		return -EBADMSG;

	memset(out, 0, sizeof(*out));
	out->state = blob[HNBTRE_ATTEST_OFF_STATE];
	out->validated = !!(blob[HNBTRE_ATTEST_OFF_FLAGS] & HNBTRE_ATTEST_FLAG_VALIDATED);
	out->has_manifest = !!(blob[HNBTRE_ATTEST_OFF_FLAGS] & HNBTRE_ATTEST_FLAG_HAS_MANIFEST);
	out->identity_in_tpm = !!(blob[HNBTRE_ATTEST_OFF_FLAGS] & HNBTRE_ATTEST_FLAG_IDENTITY_TPM);
	out->floor_in_tpm = !!(blob[HNBTRE_ATTEST_OFF_FLAGS] & HNBTRE_ATTEST_FLAG_FLOOR_TPM);
	out->manifest_version = be(blob + HNBTRE_ATTEST_OFF_MANIFEST_VERSION, 8);
	out->counter = be(blob + HNBTRE_ATTEST_OFF_COUNTER, 8);
	out->boot_epoch = be(blob + HNBTRE_ATTEST_OFF_BOOT_EPOCH, 8);
	out->uptime_ns = be(blob + HNBTRE_ATTEST_OFF_UPTIME, 8);
	out->validations = be(blob + HNBTRE_ATTEST_OFF_VALIDATIONS, 8);
	memcpy(out->tim, blob + HNBTRE_ATTEST_OFF_TIM, HNBTRE_DIGEST_LEN);
	memcpy(out->rim, blob + HNBTRE_ATTEST_OFF_RIM, HNBTRE_DIGEST_LEN);
	for (i = 0; i < HNBTRE_VERDICT_COUNT; i++)
		out->verdicts[i] = be(blob + HNBTRE_ATTEST_OFF_VERDICTS + 4 * i, 4);
	out->nonce = blob + HNBTRE_ATTEST_HEADER_SIZE;
	out->nonce_len = nonce_len;
	out->identity = (const char *)out->nonce + nonce_len;
	out->identity_len = identity_len;
	out->cert = (const uint8_t *)out->identity + identity_len;
	out->cert_len = cert_len;
	out->body = blob;
	out->body_len = body_len;
	out->sig = blob + body_len;
	out->sig_len = sig_len;
	return 0;
}

static X509 *load_cert(const char *path, int *err)
{
	X509 *cert = NULL;
	BIO *bio = BIO_new_file(path, "rb");

	if (!bio) {
		*err = -ENOENT;
		return NULL;
	}
	cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	if (!cert && BIO_reset(bio) == 0)
		cert = d2i_X509_bio(bio, NULL);
	BIO_free(bio);
	*err = cert ? 0 : -EBADMSG;
	return cert;
}

int hnbtre_cert_verify_sha256(X509 *cert, const uint8_t *sig, size_t sig_len,
			      const uint8_t *data, size_t len)
{
	EVP_PKEY *key = X509_get0_pubkey(cert);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok;

	ok = key && ctx &&
	     EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, key) == 1 &&
	     EVP_DigestVerify(ctx, sig, sig_len, data, len) == 1;
	EVP_MD_CTX_free(ctx);
	return ok;
}

static int has_attest_role(X509 *cert)
{
	EXTENDED_KEY_USAGE *eku = X509_get_ext_d2i(cert, NID_ext_key_usage,
						   NULL, NULL);
	ASN1_OBJECT *role = OBJ_txt2obj(HNBTRE_ATTEST_ROLE_OID, 1);
	int i, found = 0;

	for (i = 0; role && i < sk_ASN1_OBJECT_num(eku); i++)
		found |= !OBJ_cmp(sk_ASN1_OBJECT_value(eku, i), role);
	ASN1_OBJECT_free(role);
	EXTENDED_KEY_USAGE_free(eku);
	return found;
}

static int chains_to(X509 *cert, X509_STORE *roots)
{
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	int ok;

	ok = roots && ctx && X509_STORE_CTX_init(ctx, roots, cert, NULL) == 1 &&
	     X509_verify_cert(ctx) == 1;
	X509_STORE_CTX_free(ctx);
	return ok;
}

int hnbtre_attestation_signer_check(X509_STORE *roots,
				    const struct hnbtre_attestation *a)
{
	const unsigned char *p = a->cert;
	X509 *cert = d2i_X509(NULL, &p, a->cert_len);
	int verdict;

	if (!cert || p != a->cert + a->cert_len || X509_check_ca(cert) ||
	    !has_attest_role(cert) || !chains_to(cert, roots) ||
	    !hnbtre_cert_names_identity(cert, a->identity, a->identity_len))
		verdict = HNBTRE_ATTEST_BAD_SIGNER;
	else if (!hnbtre_cert_verify_sha256(cert, a->sig, a->sig_len, a->body,
					    a->body_len))
		verdict = HNBTRE_ATTEST_BAD_SIGNATURE;
	else
		verdict = HNBTRE_ATTEST_VALID;
	X509_free(cert);
	return verdict;
}

/* What hnbtre_verify_attestation_cert() checks against. */
struct cert_checks {
	X509 *device_cert;
	X509_STORE *roots;
};

static int signer_check(void *ctx, const struct hnbtre_attestation *a)
{
	return hnbtre_attestation_signer_check(((struct cert_checks *)ctx)->roots,
					       a);
}

static int string_is(const ASN1_STRING *s, const char *prefix,
		     const char *value, size_t len)
{
	size_t plen = strlen(prefix);

	return (size_t)ASN1_STRING_length(s) == plen + len &&
	       !memcmp(ASN1_STRING_get0_data(s), prefix, plen) &&
	       !memcmp(ASN1_STRING_get0_data(s) + plen, value, len);
}

int hnbtre_cert_names_identity(X509 *cert, const char *identity, size_t len)
{
	X509_NAME *subject = X509_get_subject_name(cert);
	GENERAL_NAMES *names;
	int i, idx, ok;

	if (!len)
		return 0;
	idx = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
	if (idx < 0 || X509_NAME_get_index_by_NID(subject, NID_commonName,
						  idx) >= 0)
		return 0;
	ok = string_is(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject,
								    idx)),
		       "", identity, len);
	names = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	for (i = 0; ok && i < sk_GENERAL_NAME_num(names); i++) {
		const GENERAL_NAME *name = sk_GENERAL_NAME_value(names, i);
		const ASN1_STRING *uri = name->d.uniformResourceIdentifier;
		size_t plen = strlen(HNBTRE_IDENTITY_URI_PREFIX);

		if (name->type == GEN_URI &&
		    (size_t)ASN1_STRING_length(uri) >= plen &&
		    !memcmp(ASN1_STRING_get0_data(uri), HNBTRE_IDENTITY_URI_PREFIX,
			    plen))
			ok = string_is(uri, HNBTRE_IDENTITY_URI_PREFIX, identity,
				       len);
	}
	GENERAL_NAMES_free(names);
	return ok;
}

static int identity_ok(void *ctx, const struct hnbtre_attestation *a)
{
	return hnbtre_cert_names_identity(((struct cert_checks *)ctx)->device_cert,
					  a->identity, a->identity_len);
}

/* The checks after the signer's, in the documented order. */
static int check_claims(const struct hnbtre_attestation *a,
			const struct hnbtre_attestation_checks *checks,
			const uint8_t *nonce, size_t nonce_len,
			const uint8_t *expected_rim)
{
	if (a->nonce_len != nonce_len || memcmp(a->nonce, nonce, nonce_len))
		return HNBTRE_ATTEST_WRONG_NONCE;
	if (!checks->identity_ok(checks->ctx, a))
		return HNBTRE_ATTEST_WRONG_IDENTITY;
	if (a->state != HNBTRE_STATE_TRUSTED)
		return HNBTRE_ATTEST_NOT_TRUSTED;
	if (!a->validated || !a->has_manifest ||
	    memcmp(a->tim, expected_rim ? expected_rim : a->rim, HNBTRE_DIGEST_LEN))
		return HNBTRE_ATTEST_TIM_NOT_RIM;
	return HNBTRE_ATTEST_VALID;
}

int hnbtre_check_attestation(const uint8_t *blob, size_t len,
			     const struct hnbtre_attestation_checks *checks,
			     const uint8_t *nonce, size_t nonce_len,
			     const uint8_t *expected_rim,
			     struct hnbtre_attestation *out)
{
	struct hnbtre_attestation a;
	int verdict;

	if (hnbtre_attestation_parse(blob, len, &a))
		return HNBTRE_ATTEST_MALFORMED;
	verdict = checks->signer_check(checks->ctx, &a);
	if (verdict == HNBTRE_ATTEST_VALID)
		verdict = check_claims(&a, checks, nonce, nonce_len, expected_rim);
	if (out)
		*out = a;
	return verdict;
}

size_t hnbtre_attestation_len(size_t nonce_len, size_t identity_len,
			      size_t cert_len, size_t sig_len)
{
	return HNBTRE_ATTEST_HEADER_SIZE + nonce_len + identity_len + cert_len +
	       sig_len;
}

int hnbtre_verify_attestation_cert(const uint8_t *blob, size_t len,
				   X509 *cert, X509_STORE *roots,
				   const uint8_t *nonce, size_t nonce_len,
				   const uint8_t *expected_rim,
				   struct hnbtre_attestation *out)
{
	struct cert_checks ctx = { .device_cert = cert, .roots = roots };
	struct hnbtre_attestation_checks checks = {
		.signer_check = signer_check,
		.identity_ok = identity_ok,
		.ctx = &ctx,
	};

	return hnbtre_check_attestation(blob, len, &checks, nonce, nonce_len,
					expected_rim, out);
}

X509_STORE *hnbtre_roots_load(const char *path)
{
	X509_STORE *roots = X509_STORE_new();

	if (roots && X509_STORE_load_file(roots, path) != 1) {
		X509_STORE_free(roots);
		roots = NULL;
	}
	return roots;
}

int hnbtre_verify_attestation(const uint8_t *blob, size_t len,
			      const char *cert_path, const char *roots_path,
			      const uint8_t *nonce, size_t nonce_len,
			      const uint8_t *expected_rim,
			      struct hnbtre_attestation *out)
{
	X509_STORE *roots;
	X509 *cert;
	int err, verdict;

	cert = load_cert(cert_path, &err);
	if (!cert)
		return err;
	roots = hnbtre_roots_load(roots_path);
	if (!roots) {
		X509_free(cert);
		return -ENOENT;
	}
	verdict = hnbtre_verify_attestation_cert(blob, len, cert, roots, nonce,
						 nonce_len, expected_rim, out);
	X509_STORE_free(roots);
	X509_free(cert);
	return verdict;
}

bool hnbtre_attest_genuine(int verdict)
{
	return verdict == HNBTRE_ATTEST_VALID || verdict == HNBTRE_ATTEST_NOT_TRUSTED ||
	       verdict == HNBTRE_ATTEST_TIM_NOT_RIM;
}

const char *hnbtre_attest_verdict_str(int verdict)
{
	switch (verdict) {
	case HNBTRE_ATTEST_VALID:
		return "valid";
	case HNBTRE_ATTEST_MALFORMED:
		return "malformed attestation";
	case HNBTRE_ATTEST_BAD_SIGNATURE:
		return "bad signature";
	case HNBTRE_ATTEST_BAD_SIGNER:
		return "not signed by an attestation key of the operator for this identity";
	case HNBTRE_ATTEST_WRONG_NONCE:
		return "wrong nonce (replayed or for another request)";
	case HNBTRE_ATTEST_WRONG_IDENTITY:
		return "wrong identity (not the certificate's)";
	case HNBTRE_ATTEST_NOT_TRUSTED:
		return "state not trusted";
	case HNBTRE_ATTEST_TIM_NOT_RIM:
		return "TIM differs from the expected RIM";
	default:
		return verdict < 0 ? strerror(-verdict) : "unknown verdict";
	}
}
