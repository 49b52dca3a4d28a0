/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "hnbtre_plugin.h"
#include "hnbtre_creds.h"
#include "hnbtre_listener.h"
#include "hnbtre_ocsp.h"

#include <daemon.h>

/* CAP_SYS_ADMIN (strongSwan's capabilities.h defines only what it uses) */
#include <linux/capability.h>

typedef struct private_hnbtre_plugin_t private_hnbtre_plugin_t;

/**
 * Private data of the plugin
 */
struct private_hnbtre_plugin_t {

	/**
	 * Implements plugin interface
	 */
	hnbtre_plugin_t public;

	/**
	 * Device credentials and TrE-held trust anchors
	 */
	hnbtre_creds_t *creds;

	/**
	 * Attestation in IKE_AUTH, both roles
	 */
	hnbtre_listener_t *listener;

	/**
	 * Logs OCSP responses signed with less than SHA-256
	 */
	hnbtre_ocsp_t *ocsp;
};

METHOD(plugin_t, get_name, char*,
	private_hnbtre_plugin_t *this)
{
	return "hnbtre";
}

/**
 * Register or unregister the credential set and the listener
 */
static bool plugin_cb(private_hnbtre_plugin_t *this,
					  plugin_feature_t *feature, bool reg, void *cb_data)
{
	if (reg)
	{
		this->creds = hnbtre_creds_create();
		this->listener = hnbtre_listener_create();
		this->ocsp = hnbtre_ocsp_create();
		lib->credmgr->add_set(lib->credmgr, &this->creds->set);
		lib->credmgr->add_validator(lib->credmgr, &this->ocsp->validator);
		charon->bus->add_listener(charon->bus, &this->listener->listener);
	}
	else
	{
		charon->bus->remove_listener(charon->bus, &this->listener->listener);
		lib->credmgr->remove_validator(lib->credmgr, &this->ocsp->validator);
		lib->credmgr->remove_set(lib->credmgr, &this->creds->set);
		this->ocsp->destroy(this->ocsp);
		this->listener->destroy(this->listener);
		this->creds->destroy(this->creds);
	}
	return TRUE;
}

METHOD(plugin_t, get_features, int,
	private_hnbtre_plugin_t *this, plugin_feature_t *features[])
{
	static plugin_feature_t f[] = {
		PLUGIN_CALLBACK((plugin_feature_callback_t)plugin_cb, NULL),
			PLUGIN_PROVIDE(CUSTOM, "hnbtre"),
				PLUGIN_DEPENDS(HASHER, HASH_SHA256),
				PLUGIN_DEPENDS(CERT_DECODE, CERT_X509),
	};
	*features = f;
	return countof(f);
}

METHOD(plugin_t, reload, bool,
	private_hnbtre_plugin_t *this)
{
	if (this->creds)
	{
		this->creds->reload(this->creds);
	}
	return TRUE;
}

METHOD(plugin_t, destroy, void,
	private_hnbtre_plugin_t *this)
{
	free(this);
}

/**
 * Plugin constructor, looked up by charon
 */
plugin_t *hnbtre_plugin_create()
{
	private_hnbtre_plugin_t *this;

	/* writing the attestation nonce to securityfs needs CAP_SYS_ADMIN */
	if (!lib->caps->keep(lib->caps, CAP_SYS_ADMIN))
	{
		DBG1(DBG_CFG, "hnbtre: CAP_SYS_ADMIN not held, the TrE will not "
			 "attest");
	}
	INIT(this,
		.public = {
			.plugin = {
				.get_name = _get_name,
				.get_features = _get_features,
				.reload = _reload,
				.destroy = _destroy,
			},
		},
	);
	return &this->public.plugin;
}
