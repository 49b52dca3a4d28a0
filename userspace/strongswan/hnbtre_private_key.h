/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/**
 * @defgroup hnbtre_private_key hnbtre_private_key
 * @{ @ingroup hnbtre
 */

#ifndef HNBTRE_PRIVATE_KEY_H_
#define HNBTRE_PRIVATE_KEY_H_

#include <keyutils.h>

#include <credentials/keys/private_key.h>

/**
 * Create a private key whose signatures the TrE computes: every sign()
 * becomes a keyctl_pkey_sign() on the gated kernel key, which the kernel
 * refuses (EKEYREJECTED) unless the TrE state is trusted.
 *
 * Only RSASSA-PKCS1-v1_5 with SHA-256 is offered: the kernel of the device
 * signs nothing else (no PSS, no ECDSA).
 *
 * @param serial		the kernel key (asymmetric, RSA)
 * @param pubkey		its public half, from the device certificate
 *						(a reference is taken)
 * @return				the key
 */
private_key_t *hnbtre_private_key_create(key_serial_t serial,
										 public_key_t *pubkey);

/**
 * Create a private key whose signatures the distress function lends:
 * every sign() sends the SHA-256 digest to the function's signer socket,
 * and the function signs it with the distress credential, which the
 * kernel lets only the distress function use (Documentation/distress.md).
 *
 * @param signer		path of the signer socket (copied)
 * @param pubkey		public half, from the distress credential's
 *						certificate (a reference is taken)
 * @return				the key
 */
private_key_t *hnbtre_private_key_create_lent(char *signer,
											  public_key_t *pubkey);

#endif /** HNBTRE_PRIVATE_KEY_H_ @}*/
