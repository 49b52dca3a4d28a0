// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: the attestation parser, as the H(e)MS runs it on blobs
 * from the network.  An accepted blob's fields must lie inside it and add
 * up to its length.
 */
#include <stdlib.h>

#include "hnbtre.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hnbtre_attestation a;

	if (hnbtre_attestation_parse(data, size, &a))
		return 0;
	if (a.body != data || a.sig != data + a.body_len ||
	    a.body_len + a.sig_len != size ||
	    (const uint8_t *)a.identity + a.identity_len != a.sig ||
	    a.nonce + a.nonce_len != (const uint8_t *)a.identity ||
	    a.nonce_len < HNBTRE_NONCE_MIN || a.nonce_len > HNBTRE_NONCE_MAX ||
	    a.state > HNBTRE_STATE_TAMPERED)
		abort();
	return 0;
}
