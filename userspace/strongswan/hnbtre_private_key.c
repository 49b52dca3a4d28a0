/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "hnbtre_private_key.h"
#include "hnbtre_signer.h"

#include <errno.h>
#include <string.h>

#include <library.h>
#include <utils/debug.h>

typedef struct private_hnbtre_private_key_t private_hnbtre_private_key_t;

/**
 * Private data of a TrE-backed private key
 */
struct private_hnbtre_private_key_t {

	/**
	 * Public interface
	 */
	private_key_t public;

	/**
	 * Serial of the gated kernel key
	 */
	key_serial_t serial;

	/**
	 * Signer socket of the distress function, instead of a kernel key
	 */
	char *signer;

	/**
	 * Public half, from the device certificate
	 */
	public_key_t *pubkey;

	/**
	 * Reference count
	 */
	refcount_t ref;
};

/**
 * The one scheme the TrE computes
 */
static signature_params_t pkcs1_sha256 = {
	.scheme = SIGN_RSA_EMSA_PKCS1_SHA2_256,
};

METHOD(private_key_t, get_type, key_type_t,
	private_hnbtre_private_key_t *this)
{
	return KEY_RSA;
}

METHOD(private_key_t, supported_signature_schemes, enumerator_t*,
	private_hnbtre_private_key_t *this)
{
	return enumerator_create_single(&pkcs1_sha256, NULL);
}

METHOD(private_key_t, sign, bool,
	private_hnbtre_private_key_t *this, signature_scheme_t scheme,
	void *params, chunk_t data, chunk_t *signature)
{
	hasher_t *hasher;
	chunk_t digest = chunk_empty;
	long len;
	bool ok;

	if (scheme != SIGN_RSA_EMSA_PKCS1_SHA2_256)
	{
		DBG1(DBG_LIB, "hnbtre: the TrE does not sign with %N",
			 signature_scheme_names, scheme);
		return FALSE;
	}
	/* the kernel signs a digest: the hash is computed here */
	hasher = lib->crypto->create_hasher(lib->crypto, HASH_SHA256);
	if (!hasher || !hasher->allocate_hash(hasher, data, &digest))
	{
		DESTROY_IF(hasher);
		return FALSE;
	}
	hasher->destroy(hasher);

	*signature = chunk_alloc(this->pubkey->get_keysize(this->pubkey) / 8);
	if (this->signer)
	{
		ok = hnbtre_signer_sign(this->signer, digest, *signature);
		chunk_free(&digest);
		if (!ok)
		{
			chunk_free(signature);
		}
		return ok;
	}
	len = keyctl_pkey_sign(this->serial, "enc=pkcs1 hash=sha256",
						   digest.ptr, digest.len,
						   signature->ptr, signature->len);
	chunk_free(&digest);
	if (len < 0 || (size_t)len != signature->len)
	{
		if (len < 0 && errno == EKEYREJECTED)
		{
			DBG1(DBG_LIB, "hnbtre: the TrE refused to sign with key %d: "
				 "the TrE state is not trusted", this->serial);
		}
		else
		{
			DBG1(DBG_LIB, "hnbtre: signing with key %d failed: %s",
				 this->serial, len < 0 ? strerror(errno) : "short signature");
		}
		chunk_free(signature);
		return FALSE;
	}
	return TRUE;
}

METHOD(private_key_t, decrypt, bool,
	private_hnbtre_private_key_t *this, encryption_scheme_t scheme,
	void *params, chunk_t crypto, chunk_t *plain)
{
	DBG1(DBG_LIB, "hnbtre: the device key is not used for decryption");
	return FALSE;
}

METHOD(private_key_t, get_keysize, int,
	private_hnbtre_private_key_t *this)
{
	return this->pubkey->get_keysize(this->pubkey);
}

METHOD(private_key_t, get_public_key, public_key_t*,
	private_hnbtre_private_key_t *this)
{
	return this->pubkey->get_ref(this->pubkey);
}

METHOD(private_key_t, get_fingerprint, bool,
	private_hnbtre_private_key_t *this, cred_encoding_type_t type,
	chunk_t *fp)
{
	return this->pubkey->get_fingerprint(this->pubkey, type, fp);
}

METHOD(private_key_t, get_encoding, bool,
	private_hnbtre_private_key_t *this, cred_encoding_type_t type,
	chunk_t *encoding)
{
	/* the key never leaves the TrE */
	return FALSE;
}

METHOD(private_key_t, get_ref, private_key_t*,
	private_hnbtre_private_key_t *this)
{
	ref_get(&this->ref);
	return &this->public;
}

METHOD(private_key_t, destroy, void,
	private_hnbtre_private_key_t *this)
{
	if (ref_put(&this->ref))
	{
		this->pubkey->destroy(this->pubkey);
		free(this->signer);
		free(this);
	}
}

/*
 * Described in header
 */
private_key_t *hnbtre_private_key_create_lent(char *signer,
											  public_key_t *pubkey)
{
	private_hnbtre_private_key_t *this;

	this = (private_hnbtre_private_key_t*)hnbtre_private_key_create(0,
																	 pubkey);
	this->signer = strdup(signer);
	return &this->public;
}

/*
 * Described in header
 */
private_key_t *hnbtre_private_key_create(key_serial_t serial,
										 public_key_t *pubkey)
{
	private_hnbtre_private_key_t *this;

	INIT(this,
		.public = {
			.get_type = _get_type,
			.supported_signature_schemes = _supported_signature_schemes,
			.sign = _sign,
			.decrypt = _decrypt,
			.get_keysize = _get_keysize,
			.get_public_key = _get_public_key,
			.equals = private_key_equals,
			.belongs_to = private_key_belongs_to,
			.get_fingerprint = _get_fingerprint,
			.has_fingerprint = private_key_has_fingerprint,
			.get_encoding = _get_encoding,
			.get_ref = _get_ref,
			.destroy = _destroy,
		},
		.serial = serial,
		.pubkey = pubkey->get_ref(pubkey),
		.ref = 1,
	);
	return &this->public;
}
