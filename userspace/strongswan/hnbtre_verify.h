/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/**
 * @defgroup hnbtre_verify hnbtre_verify
 * @{ @ingroup hnbtre
 */

#ifndef HNBTRE_VERIFY_H_
#define HNBTRE_VERIFY_H_

#include <credentials/certificates/certificate.h>

#include "hnbtre.h"

/**
 * Verify an attestation against the certificate an IKE peer authenticated
 * with: libhnbtre's checks in libhnbtre's order, the attestation key's
 * certificate in the blob against the trust store (the device key that
 * IKE authenticates is never an attestation signer), the identity against
 * the peer certificate's subject CN and identity URI as strongSwan parsed
 * them.
 *
 * @param cert			X.509 certificate of the peer
 * @param roots			operator CAs that issue attestation certificates
 * @param attestation	the Notify data
 * @param binding		the nonce it must carry
 * @param expected_rim	the reference RIM, NULL for the one it carries
 * @param out			parsed fields (unless the verdict is MALFORMED)
 * @return				an enum hnbtre_attest_verdict
 */
int hnbtre_verify_with_cert(certificate_t *cert, struct x509_store_st *roots,
							chunk_t attestation, chunk_t binding,
							const uint8_t *expected_rim,
							struct hnbtre_attestation *out);

/**
 * The reference RIM of an identity from the reference store: the file
 * <dir>/<identity> holding "sha256:<64 lowercase hex>" and an optional
 * newline.
 *
 * @param dir			the reference store
 * @param identity		the identity (not NUL terminated)
 * @param len			its length
 * @param rim			the RIM, on success
 * @return				NULL on success, else why there is none
 */
char *hnbtre_reference_rim(const char *dir, const char *identity, size_t len,
						   uint8_t rim[HNBTRE_DIGEST_LEN]);

#endif /** HNBTRE_VERIFY_H_ @}*/
