/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/**
 * @defgroup hnbtre hnbtre
 * @ingroup cplugins
 *
 * @defgroup hnbtre_plugin hnbtre_plugin
 * @{ @ingroup hnbtre
 */

#ifndef HNBTRE_PLUGIN_H_
#define HNBTRE_PLUGIN_H_

#include <plugins/plugin.h>

typedef struct hnbtre_plugin_t hnbtre_plugin_t;

/**
 * IKEv2 with the hnbtre TrE (Documentation/strongswan.md): the device
 * authenticates with a key that signs in the TrE and attests its state in
 * IKE_AUTH; the gateway verifies the attestation.
 */
struct hnbtre_plugin_t {

	/**
	 * Implements plugin interface.
	 */
	plugin_t plugin;
};

#endif /** HNBTRE_PLUGIN_H_ @}*/
