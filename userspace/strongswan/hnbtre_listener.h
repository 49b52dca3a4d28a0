/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/**
 * @defgroup hnbtre_listener hnbtre_listener
 * @{ @ingroup hnbtre
 */

#ifndef HNBTRE_LISTENER_H_
#define HNBTRE_LISTENER_H_

#include <bus/listeners/listener.h>

#include <linux/hnbtre.h>

/**
 * Private-use Notify type of the TrE attestation in IKE_AUTH
 * (strongSwan itself uses 40961..40969)
 */
#define HNBTRE_NOTIFY_ATTESTATION 40970

/**
 * Largest attestation accepted in the Notify: header, 64-byte nonce,
 * 128-byte identity, the attestation certificate, 4096-bit signature
 */
#define HNBTRE_ATTESTATION_MAX (HNBTRE_ATTEST_HEADER_SIZE + \
								HNBTRE_ATTEST_NONCE_MAX + \
								HNBTRE_IDENTITY_MAX + \
								HNBTRE_ATTEST_CERT_MAX + 512)

typedef struct hnbtre_listener_t hnbtre_listener_t;

/**
 * Binds the TrE attestation to the IKE_SA.
 *
 * The binding nonce of an IKE_SA is SHA-256(Ni | Nr | SPIi | SPIr): the
 * nonce data of IKE_SA_INIT as sent, the SPIs as 8 bytes each in the
 * order of the IKE header.
 *
 * Device role (original initiator, connections with attest = yes): the
 * first IKE_AUTH request carries Notify HNBTRE_NOTIFY_ATTESTATION with
 * the TrE's attestation for the binding nonce.
 *
 * Gateway role (responder): the Notify of the IKE_AUTH request is checked
 * in the final authorize hook; hnbtre_gateway_decide() has the rules.
 */
struct hnbtre_listener_t {

	/**
	 * Implements listener_t
	 */
	listener_t listener;

	/**
	 * Destroy a hnbtre_listener_t.
	 */
	void (*destroy)(hnbtre_listener_t *this);
};

/**
 * Create the listener.
 *
 * @return			listener
 */
hnbtre_listener_t *hnbtre_listener_create();

#endif /** HNBTRE_LISTENER_H_ @}*/
