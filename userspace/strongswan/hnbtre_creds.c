/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "hnbtre_creds.h"
#include "hnbtre.h"
#include "hnbtre_private_key.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <keyutils.h>
#include <linux/hnbtre.h>

#include <daemon.h>
#include <credentials/sets/mem_cred.h>


typedef struct private_hnbtre_creds_t private_hnbtre_creds_t;

/**
 * Private data of the credential set
 */
struct private_hnbtre_creds_t {

	/**
	 * Public interface
	 */
	hnbtre_creds_t public;

	/**
	 * What the set offers, replaced as a whole on reload
	 */
	mem_cred_t *creds;
};

/**
 * Load a certificate (PEM or DER) from a file
 */
static certificate_t *load_cert(char *path)
{
	certificate_t *cert;

	cert = lib->creds->create(lib->creds, CRED_CERTIFICATE, CERT_X509,
							  BUILD_FROM_FILE, path, BUILD_END);
	if (!cert)
	{
		DBG1(DBG_CFG, "hnbtre: loading certificate '%s' failed", path);
	}
	return cert;
}

/**
 * The serial of the device key: configured, or found by name
 */
static key_serial_t find_device_key()
{
	key_serial_t ring, key;
	char *configured, *end;

	configured = lib->settings->get_str(lib->settings,
								"%s.plugins.hnbtre.key", NULL, lib->ns);
	if (configured)
	{
		errno = 0;
		key = strtol(configured, &end, 0);
		if (errno || *end || key <= 0)
		{
			DBG1(DBG_CFG, "hnbtre: key '%s' is not a key serial", configured);
			return -1;
		}
		return key;
	}
	ring = find_key_by_type_and_desc("keyring", HNBTRE_DEVICE_KEYRING, 0);
	key = ring < 0 ? -1 : keyctl_search(ring, "asymmetric", HNBTRE_DEVICE_KEY_DESC, 0);
	if (key < 0)
	{
		DBG1(DBG_CFG, "hnbtre: no device key %s in %s (is it loaded, and "
			 "linked into charon's session keyring?): %s", HNBTRE_DEVICE_KEY_DESC,
			 HNBTRE_DEVICE_KEYRING, strerror(errno));
	}
	return key;
}

/**
 * Add the device certificate and its TrE-backed private key
 */
static void load_device(private_hnbtre_creds_t *this, mem_cred_t *creds)
{
	struct keyctl_pkey_query query;
	certificate_t *cert;
	public_key_t *pubkey;
	private_key_t *key;
	key_serial_t serial;
	char *path;

	path = lib->settings->get_str(lib->settings, "%s.plugins.hnbtre.cert",
								  NULL, lib->ns);
	if (!path)
	{
		return;
	}
	cert = load_cert(path);
	if (!cert)
	{
		return;
	}
	pubkey = cert->get_public_key(cert);
	serial = find_device_key();
	if (!pubkey || pubkey->get_type(pubkey) != KEY_RSA || serial < 0)
	{
		DBG1(DBG_CFG, "hnbtre: no device credentials: %s",
			 serial < 0 ? "no device key" : "the certificate has no RSA key");
		DESTROY_IF(pubkey);
		cert->destroy(cert);
		return;
	}
	/* a key that does not belong to the certificate would only show up as
	 * a failed AUTH at the peer: catch the obvious mismatch here */
	if (keyctl_pkey_query(serial, "", &query) < 0 ||
		query.key_size != (unsigned)pubkey->get_keysize(pubkey))
	{
		DBG1(DBG_CFG, "hnbtre: key %d does not match certificate '%Y'",
			 serial, cert->get_subject(cert));
		pubkey->destroy(pubkey);
		cert->destroy(cert);
		return;
	}
	key = hnbtre_private_key_create(serial, pubkey);
	pubkey->destroy(pubkey);
	DBG1(DBG_CFG, "hnbtre: device certificate '%Y', private key in the TrE "
		 "(key %d)", cert->get_subject(cert), serial);
	creds->add_cert(creds, FALSE, cert);
	creds->add_key(creds, key);
}

/**
 * Add the distress credential's certificate and a private key whose
 * signatures the distress function lends (charon started by it)
 */
static void load_distress(private_hnbtre_creds_t *this, mem_cred_t *creds)
{
	certificate_t *cert;
	public_key_t *pubkey;
	char *path, *signer;

	path = lib->settings->get_str(lib->settings,
								  "%s.plugins.hnbtre.distress_cert", NULL, lib->ns);
	signer = lib->settings->get_str(lib->settings,
								"%s.plugins.hnbtre.distress_signer", NULL, lib->ns);
	if (!path || !signer)
	{
		return;
	}
	cert = load_cert(path);
	pubkey = cert ? cert->get_public_key(cert) : NULL;
	if (!pubkey || pubkey->get_type(pubkey) != KEY_RSA)
	{
		DBG1(DBG_CFG, "hnbtre: no distress credential: '%s' has no RSA key",
			 path);
		DESTROY_IF(pubkey);
		DESTROY_IF(cert);
		return;
	}
	DBG1(DBG_CFG, "hnbtre: distress credential '%Y', signatures lent by the "
		 "distress function at '%s'", cert->get_subject(cert), signer);
	creds->add_cert(creds, FALSE, cert);
	creds->add_key(creds, hnbtre_private_key_create_lent(signer, pubkey));
	pubkey->destroy(pubkey);
}

/**
 * Whether a key the TrE holds in .hnbtre_roots signed the certificate
 * (the kernel decides: hnbtre_tre_holds_issuer()).
 */
static bool tre_holds_signer(certificate_t *cert)
{
	chunk_t encoding;
	bool held;

	if (!cert->get_encoding(cert, CERT_ASN1_DER, &encoding))
	{
		return FALSE;
	}
	held = hnbtre_tre_holds_issuer(encoding.ptr, encoding.len);
	chunk_free(&encoding);
	return held;
}

/**
 * Add the trust anchors the TrE vouches for
 */
static void load_roots(private_hnbtre_creds_t *this, mem_cred_t *creds)
{
	enumerator_t *enumerator;
	certificate_t *cert;
	char *roots, *path;

	roots = lib->settings->get_str(lib->settings, "%s.plugins.hnbtre.roots",
								   NULL, lib->ns);
	if (!roots)
	{
		return;
	}
	enumerator = enumerator_create_token(roots, ",", " ");
	while (enumerator->enumerate(enumerator, &path))
	{
		cert = load_cert(path);
		if (!cert)
		{
			continue;
		}
		if (cert->issued_by(cert, cert, NULL) && tre_holds_signer(cert))
		{
			DBG1(DBG_CFG, "hnbtre: trust anchor '%Y' (key held in %s)",
				 cert->get_subject(cert), HNBTRE_ROOTS_KEYRING);
			creds->add_cert(creds, TRUE, cert);
		}
		else
		{
			DBG1(DBG_CFG, "hnbtre: '%s' is not a trust anchor: not a "
				 "self-signed certificate whose key is in %s", path,
				 HNBTRE_ROOTS_KEYRING);
			cert->destroy(cert);
		}
	}
	enumerator->destroy(enumerator);
}

METHOD(credential_set_t, create_private_enumerator, enumerator_t*,
	private_hnbtre_creds_t *this, key_type_t type, identification_t *id)
{
	return this->creds->set.create_private_enumerator(&this->creds->set,
													  type, id);
}

METHOD(credential_set_t, create_cert_enumerator, enumerator_t*,
	private_hnbtre_creds_t *this, certificate_type_t cert, key_type_t key,
	identification_t *id, bool trusted)
{
	return this->creds->set.create_cert_enumerator(&this->creds->set,
												   cert, key, id, trusted);
}

METHOD(hnbtre_creds_t, reload, void,
	private_hnbtre_creds_t *this)
{
	mem_cred_t *creds = mem_cred_create();

	load_device(this, creds);
	load_distress(this, creds);
	load_roots(this, creds);
	this->creds->replace_certs(this->creds, creds, FALSE);
	this->creds->replace_secrets(this->creds, creds, FALSE);
	creds->destroy(creds);
}

METHOD(hnbtre_creds_t, destroy, void,
	private_hnbtre_creds_t *this)
{
	this->creds->destroy(this->creds);
	free(this);
}

/*
 * Described in header
 */
hnbtre_creds_t *hnbtre_creds_create()
{
	private_hnbtre_creds_t *this;

	INIT(this,
		.public = {
			.set = {
				.create_private_enumerator = _create_private_enumerator,
				.create_cert_enumerator = _create_cert_enumerator,
				.create_shared_enumerator = (void*)enumerator_create_empty,
				.create_cdp_enumerator = (void*)enumerator_create_empty,
				.cache_cert = (void*)nop,
			},
			.reload = _reload,
			.destroy = _destroy,
		},
		.creds = mem_cred_create(),
	);
	reload(this);
	return &this->public;
}
