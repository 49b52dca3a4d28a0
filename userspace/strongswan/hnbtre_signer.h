/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/**
 * @defgroup hnbtre_signer hnbtre_signer
 * @{ @ingroup hnbtre
 */

#ifndef HNBTRE_SIGNER_H_
#define HNBTRE_SIGNER_H_

#include <library.h>

/** digest the distress function signs: SHA-256 */
#define HNBTRE_SIGNER_DIGEST_LEN 32

/**
 * Have the distress function sign a SHA-256 digest with the distress
 * credential (Documentation/distress.md, "The signer socket"): the
 * credential is usable only by the distress function, which lends
 * signatures to the charon it started while it waits for its IKE_SA.
 *
 * @param path			the function's signer socket
 * @param digest		SHA-256 digest, HNBTRE_SIGNER_DIGEST_LEN bytes
 * @param signature		RSASSA-PKCS1-v1_5 signature, exactly
 *						signature->len bytes (allocated by the caller)
 * @return				TRUE if signed
 */
bool hnbtre_signer_sign(char *path, chunk_t digest, chunk_t signature);

#endif /** HNBTRE_SIGNER_H_ @}*/
