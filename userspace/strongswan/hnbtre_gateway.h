/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/**
 * @defgroup hnbtre_gateway hnbtre_gateway
 * @{ @ingroup hnbtre
 */

#ifndef HNBTRE_GATEWAY_H_
#define HNBTRE_GATEWAY_H_

#include <sa/ike_sa.h>

/**
 * What the gateway does with a device's attestation, per connection
 * (charon.plugins.hnbtre.policy, charon.plugins.hnbtre.connections.<name>.policy)
 */
typedef enum {
	/** do not look at it */
	HNBTRE_POLICY_OFF,
	/** verify and log, accept the IKE_SA whatever the verdict */
	HNBTRE_POLICY_LOG,
	/** verify and log, reject the IKE_SA unless the attestation is valid */
	HNBTRE_POLICY_REQUIRE,
} hnbtre_policy_t;

/**
 * The policy for the connection an IKE_SA uses.
 *
 * @param ike_sa		the IKE_SA (its peer config names the connection)
 * @return				the policy
 */
hnbtre_policy_t hnbtre_gateway_policy(ike_sa_t *ike_sa);

/**
 * Decide on a device's attestation and log the decision: one line with
 * the identity, the verdict and the reason.
 *
 * The attestation must be signed by the key of the certificate the peer
 * authenticated with, carry the SA binding as its nonce and that
 * certificate's identity, report the trusted state and a TIM equal to the
 * reference RIM for the identity (file <rim_dir>/<identity>).
 *
 * @param ike_sa		the IKE_SA, authenticated
 * @param attestation	the Notify data, chunk_empty if there was none
 * @param binding		the nonce the attestation must carry
 * @param problem		why the received Notify is unusable, or NULL
 * @param policy		the connection's policy (not OFF)
 * @return				TRUE to accept the IKE_SA
 */
bool hnbtre_gateway_decide(ike_sa_t *ike_sa, chunk_t attestation,
						   chunk_t binding, char *problem,
						   hnbtre_policy_t policy);

#endif /** HNBTRE_GATEWAY_H_ @}*/
