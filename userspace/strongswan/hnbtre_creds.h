/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/**
 * @defgroup hnbtre_creds hnbtre_creds
 * @{ @ingroup hnbtre
 */

#ifndef HNBTRE_CREDS_H_
#define HNBTRE_CREDS_H_

#include <credentials/credential_set.h>

typedef struct hnbtre_creds_t hnbtre_creds_t;

/**
 * Credentials of the device role, all vouched for by the TrE:
 *
 * - the device certificate (charon.plugins.hnbtre.cert) with a private key
 *   that signs in the TrE (the gated kernel key: charon.plugins.hnbtre.key,
 *   else hnbtre:device in .hnbtre_device);
 * - trust anchors (charon.plugins.hnbtre.roots): certificates offered as
 *   trusted only if the kernel keyring .hnbtre_roots holds their key and
 *   that key verifies the certificate's self-signature, so a writable file
 *   cannot bring in an anchor the TrE does not hold.
 */
struct hnbtre_creds_t {

	/**
	 * Implements credential_set_t
	 */
	credential_set_t set;

	/**
	 * (Re)load the credentials from the settings and the kernel.
	 */
	void (*reload)(hnbtre_creds_t *this);

	/**
	 * Destroy a hnbtre_creds_t.
	 */
	void (*destroy)(hnbtre_creds_t *this);
};

/**
 * Create the credential set and load it.
 *
 * @return			credential set
 */
hnbtre_creds_t *hnbtre_creds_create();

#endif /** HNBTRE_CREDS_H_ @}*/
