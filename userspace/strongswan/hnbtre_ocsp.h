/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/**
 * @defgroup hnbtre_ocsp hnbtre_ocsp
 * @{ @ingroup hnbtre
 */

#ifndef HNBTRE_OCSP_H_
#define HNBTRE_OCSP_H_

#include <credentials/cert_validator.h>

typedef struct hnbtre_ocsp_t hnbtre_ocsp_t;

/**
 * Names the hash of the OCSP responses charon relies on (TS 33.320 7.2.2:
 * SHA-256 mandatory, SHA-1 accepted but not recommended).  After the
 * revocation plugin has checked a certificate online, the newest cached
 * OCSP response for it is looked at; one signed with SHA-1 (or anything
 * weaker than SHA-256) is logged as not recommended.  It never changes a
 * verdict: strongSwan accepts both.
 */
struct hnbtre_ocsp_t {

	/**
	 * Implements cert_validator_t (validate_online only)
	 */
	cert_validator_t validator;

	/**
	 * Destroy a hnbtre_ocsp_t.
	 */
	void (*destroy)(hnbtre_ocsp_t *this);
};

/**
 * Create the validator.
 *
 * @return			validator
 */
hnbtre_ocsp_t *hnbtre_ocsp_create();

#endif /** HNBTRE_OCSP_H_ @}*/
