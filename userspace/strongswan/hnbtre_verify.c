/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "hnbtre_verify.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <credentials/certificates/x509.h>

/** a reference RIM file: "sha256:<64 lowercase hex>", optional newline */
#define RIM_PREFIX "sha256:"
#define RIM_FILE_MAX 128

/**
 * Whether an identity may name a file in the reference store
 */
static bool identity_is_filename(const char *identity, size_t len)
{
	size_t i;

	if (!len || (len == 1 && identity[0] == '.') ||
		(len == 2 && !memcmp(identity, "..", 2)))
	{
		return FALSE;
	}
	for (i = 0; i < len; i++)
	{
		if (identity[i] <= 0x20 || identity[i] >= 0x7f || identity[i] == '/')
		{
			return FALSE;
		}
	}
	return TRUE;
}

/*
 * Described in header
 */
char *hnbtre_reference_rim(const char *dir, const char *identity, size_t len,
						   uint8_t rim[HNBTRE_DIGEST_LEN])
{
	char path[PATH_MAX];
	uint8_t *data;
	size_t size;
	char *reason = NULL;

	if (!identity_is_filename(identity, len))
	{
		return "identity unusable as a reference store name";
	}
	if (snprintf(path, sizeof(path), "%s/%.*s", dir, (int)len,
				 identity) >= (int)sizeof(path) ||
		hnbtre_read_file(path, RIM_FILE_MAX, &data, &size))
	{
		return "no reference RIM for this identity";
	}
	if (size && data[size - 1] == '\n')
	{
		size--;
	}
	if (size != strlen(RIM_PREFIX) + 2 * HNBTRE_DIGEST_LEN ||
		!hnbtre_parse_digest((char*)data, rim))
	{
		reason = "malformed reference RIM file";
	}
	free(data);
	return reason;
}


/**
 * What the checks need: the peer's certificate and the trust store
 */
typedef struct {
	certificate_t *cert;
	struct x509_store_st *roots;
} checks_ctx_t;

/**
 * Signed by an attestation key of the operator for the attested identity
 * (libhnbtre's check: the device key, which IKE authenticates, is not one)
 */
static int signer_check(void *ctx, const struct hnbtre_attestation *a)
{
	return hnbtre_attestation_signer_check(((checks_ctx_t*)ctx)->roots, a);
}

/**
 * Exactly one CN in the subject, equal to the identity; every identity URI
 * in subjectAltName names the same identity (libhnbtre's rule)
 */
static int identity_ok(void *ctx, const struct hnbtre_attestation *a)
{
	certificate_t *cert = ((checks_ctx_t*)ctx)->cert;
	identification_t *subject = cert->get_subject(cert), *name;
	chunk_t identity = chunk_create((u_char*)a->identity, a->identity_len);
	chunk_t prefix = chunk_from_str(HNBTRE_IDENTITY_URI_PREFIX), data;
	enumerator_t *enumerator;
	id_part_t part;
	int cns = 0;
	bool ok = FALSE;

	if (!identity.len || cert->get_type(cert) != CERT_X509)
	{
		return FALSE;
	}
	enumerator = subject->create_part_enumerator(subject);
	while (enumerator->enumerate(enumerator, &part, &data))
	{
		if (part == ID_PART_RDN_CN)
		{
			ok = ++cns == 1 && chunk_equals(data, identity);
		}
	}
	enumerator->destroy(enumerator);

	enumerator = ((x509_t*)cert)->create_subjectAltName_enumerator(
															(x509_t*)cert);
	while (ok && enumerator->enumerate(enumerator, &name))
	{
		data = name->get_encoding(name);
		if (name->get_type(name) == ID_DER_ASN1_GN_URI &&
			data.len >= prefix.len && memeq(data.ptr, prefix.ptr, prefix.len))
		{
			ok = chunk_equals(chunk_skip(data, prefix.len), identity);
		}
	}
	enumerator->destroy(enumerator);
	return ok;
}

/*
 * Described in header
 */
int hnbtre_verify_with_cert(certificate_t *cert, struct x509_store_st *roots,
							chunk_t attestation, chunk_t binding,
							const uint8_t *expected_rim,
							struct hnbtre_attestation *out)
{
	checks_ctx_t ctx = { .cert = cert, .roots = roots };
	struct hnbtre_attestation_checks checks = {
		.signer_check = signer_check,
		.identity_ok = identity_ok,
		.ctx = &ctx,
	};

	return hnbtre_check_attestation(attestation.ptr, attestation.len,
									&checks, binding.ptr, binding.len,
									expected_rim, out);
}
