/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "hnbtre_ocsp.h"

#include <openssl/ocsp.h>
#include <openssl/objects.h>

#include <library.h>
#include <utils/debug.h>
#include <credentials/certificates/ocsp_response.h>
#include <credentials/certificates/x509.h>

typedef struct private_hnbtre_ocsp_t private_hnbtre_ocsp_t;

/**
 * Private data of the validator
 */
struct private_hnbtre_ocsp_t {

	/**
	 * Public interface
	 */
	hnbtre_ocsp_t public;
};

/**
 * The hash (NID) of the signature of a DER OCSPResponse, NID_undef if
 * there is none to be had
 */
static int response_hash(chunk_t der)
{
	const unsigned char *p = der.ptr;
	OCSP_RESPONSE *response;
	OCSP_BASICRESP *basic = NULL;
	int hash = NID_undef, pkey;

	response = d2i_OCSP_RESPONSE(NULL, &p, der.len);
	if (response)
	{
		basic = OCSP_response_get1_basic(response);
	}
	if (basic && !OBJ_find_sigid_algs(OBJ_obj2nid(
						OCSP_resp_get0_tbs_sigalg(basic)->algorithm), &hash, &pkey))
	{
		hash = NID_undef;
	}
	OCSP_BASICRESP_free(basic);
	OCSP_RESPONSE_free(response);
	return hash;
}

/**
 * The newest cached OCSP response with a status for subject, NULL if none
 */
static certificate_t *newest_response(x509_t *subject, x509_t *issuer)
{
	enumerator_t *enumerator;
	certificate_t *cert, *best = NULL;
	ocsp_response_t *response;
	time_t revoked, this_update, next_update, best_update = 0;
	crl_reason_t reason;

	enumerator = lib->credmgr->create_cert_enumerator(lib->credmgr,
								CERT_X509_OCSP_RESPONSE, KEY_ANY, NULL, FALSE);
	while (enumerator->enumerate(enumerator, &cert))
	{
		response = (ocsp_response_t*)cert;
		/* the x509 plugin's get_status() writes every output */
		if (response->get_status(response, subject, issuer, &revoked, &reason,
								 &this_update, &next_update) != VALIDATION_FAILED &&
			this_update >= best_update)
		{
			DESTROY_IF(best);
			best = cert->get_ref(cert);
			best_update = this_update;
		}
	}
	enumerator->destroy(enumerator);
	return best;
}

METHOD(cert_validator_t, validate_online, bool,
	private_hnbtre_ocsp_t *this, certificate_t *subject, certificate_t *issuer,
	u_int pathlen, bool anchor, auth_cfg_t *auth)
{
	certificate_t *response;
	chunk_t der;
	int hash;

	if (subject->get_type(subject) != CERT_X509 ||
		issuer->get_type(issuer) != CERT_X509)
	{
		return TRUE;
	}
	response = newest_response((x509_t*)subject, (x509_t*)issuer);
	if (!response)
	{
		return TRUE;
	}
	if (response->get_encoding(response, CERT_ASN1_DER, &der))
	{
		hash = response_hash(der);
		if (hash != NID_sha256 && hash != NID_sha384 && hash != NID_sha512)
		{
			DBG1(DBG_CFG, "hnbtre: the OCSP response for \"%Y\" is signed "
				 "with %s: not recommended, SHA-256 is (TS 33.320)",
				 subject->get_subject(subject),
				 hash == NID_undef ? "an unknown hash" : OBJ_nid2sn(hash));
		}
		else
		{
			DBG2(DBG_CFG, "hnbtre: the OCSP response for \"%Y\" is signed "
				 "with %s", subject->get_subject(subject), OBJ_nid2sn(hash));
		}
		chunk_free(&der);
	}
	response->destroy(response);
	return TRUE;
}

METHOD(hnbtre_ocsp_t, destroy, void,
	private_hnbtre_ocsp_t *this)
{
	free(this);
}

/*
 * Described in header
 */
hnbtre_ocsp_t *hnbtre_ocsp_create()
{
	private_hnbtre_ocsp_t *this;

	INIT(this,
		.public = {
			.validator = {
				.validate = (void*)return_true,
				.validate_online = _validate_online,
			},
			.destroy = _destroy,
		},
	);
	return &this->public;
}
