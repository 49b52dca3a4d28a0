// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: the attestation parser and the verification steps
 * after it, as the H(e)MS and the IKE gateway (the charon plugin's
 * hnbtre_check_attestation()) run them on blobs from the network.  An
 * accepted blob's fields must lie inside it and add up to its length; with
 * the signature and identity taken as good, the verdict must follow from
 * the fields alone: valid only for a trusted, validated state whose TIM is
 * its RIM, and never for another nonce.
 */
#include <stdlib.h>
#include <string.h>

#include "hnbtre.h"

static int accept_all(void *ctx, const struct hnbtre_attestation *a)
{
	return 1;
}

static int signer_good(void *ctx, const struct hnbtre_attestation *a)
{
	return HNBTRE_ATTEST_VALID;
}

static const struct hnbtre_attestation_checks good = {
	.signer_check = signer_good,
	.identity_ok = accept_all,
};

static void check_verdicts(const uint8_t *data, size_t size,
			   const struct hnbtre_attestation *a)
{
	uint8_t other[HNBTRE_ATTEST_NONCE_MAX];
	int expect = HNBTRE_ATTEST_VALID;

	if (a->state != HNBTRE_STATE_TRUSTED)
		expect = HNBTRE_ATTEST_NOT_TRUSTED;
	else if (!a->validated || !a->has_manifest ||
		 memcmp(a->tim, a->rim, HNBTRE_DIGEST_LEN))
		expect = HNBTRE_ATTEST_TIM_NOT_RIM;
	if (hnbtre_check_attestation(data, size, &good, a->nonce, a->nonce_len,
				     NULL, NULL) != expect)
		abort();
	memcpy(other, a->nonce, a->nonce_len);
	other[0] ^= 1;
	if (hnbtre_check_attestation(data, size, &good, other, a->nonce_len,
				     NULL, NULL) != HNBTRE_ATTEST_WRONG_NONCE)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hnbtre_attestation a;

	if (hnbtre_attestation_parse(data, size, &a)) {
		if (hnbtre_check_attestation(data, size, &good, data, 0, NULL,
					     NULL) != HNBTRE_ATTEST_MALFORMED)
			abort();
		return 0;
	}
	if (a.body != data || a.sig != data + a.body_len ||
	    a.body_len + a.sig_len != size ||
	    (const uint8_t *)a.identity + a.identity_len != a.cert ||
	    a.cert + a.cert_len != a.sig || !a.cert_len ||
	    a.nonce + a.nonce_len != (const uint8_t *)a.identity ||
	    a.nonce_len < HNBTRE_ATTEST_NONCE_MIN || a.nonce_len > HNBTRE_ATTEST_NONCE_MAX ||
	    a.state > HNBTRE_STATE_TAMPERED)
		abort();
	check_verdicts(data, size, &a);
	return 0;
}
