// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: hnbtre-cwmpd's check of an OCSP response about the
 * ACS certificate (cwmpd/ocsp.c), the bytes a responder or a stapling ACS
 * sends.  Each input is checked as it is (stapled, and queried with a
 * nonce); then, when it parses, its first single response (status,
 * reason, times, CertID hash) and nonce are re-issued about this run's
 * certificate and signed by this run's delegated responder, so the checks
 * after the signature (CertID, nonce, thisUpdate/nextUpdate) see fuzzed
 * values too.  The CA, responder and ACS certificate are made at start
 * (no key is stored anywhere).
 */
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "../cwmpd/cwmpd.h"

static X509 *root, *responder, *acs;
static EVP_PKEY *root_key, *responder_key;
static X509_STORE *roots;
static OCSP_REQUEST *req;

static X509 *issue(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key,
		   const char *eku, long serial)
{
	X509 *x = X509_new();
	X509_NAME *name = X509_NAME_new();
	X509V3_CTX ctx;
	X509_EXTENSION *ext;

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_subject_name(x, name);
	X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 365L * 86400);
	X509_set_pubkey(x, key);
	X509V3_set_ctx(&ctx, issuer ?: x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_basic_constraints,
				  issuer ? "critical,CA:FALSE" : "critical,CA:TRUE");
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	if (eku) {
		ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_ext_key_usage, eku);
		X509_add_ext(x, ext, -1);
		X509_EXTENSION_free(ext);
	}
	X509_sign(x, issuer_key ?: key, EVP_sha256());
	X509_NAME_free(name);
	return x;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	EVP_PKEY *acs_key = EVP_EC_gen("P-256");

	(void)argc;
	(void)argv;
	root_key = EVP_EC_gen("P-256");
	responder_key = EVP_EC_gen("P-256");
	root = issue("fuzz root", root_key, NULL, NULL, NULL, 1);
	responder = issue("fuzz responder", responder_key, root, root_key, "OCSPSigning", 2);
	acs = issue("acs.invalid", acs_key, root, root_key, "serverAuth", 3);
	roots = X509_STORE_new();
	X509_STORE_add_cert(roots, root);
	req = ocsp_request(acs, root);
	EVP_PKEY_free(acs_key);
	return 0;
}

/* @bs's first single response and nonce about our certificate, signed
 * by our responder; NULL when there is nothing to re-issue. */
static unsigned char *reissue(OCSP_BASICRESP *bs, int *len)
{
	OCSP_SINGLERESP *single = OCSP_resp_get0(bs, 0);
	ASN1_GENERALIZEDTIME *revoked_at, *this_update, *next_update;
	OCSP_BASICRESP *ours;
	OCSP_RESPONSE *resp;
	ASN1_OBJECT *alg;
	OCSP_CERTID *id;
	unsigned char *der = NULL;
	int status, reason = -1, nonce;

	if (!single || !OCSP_id_get0_info(NULL, &alg, NULL, NULL,
					  (OCSP_CERTID *)OCSP_SINGLERESP_get0_id(single)))
		return NULL;
	status = OCSP_single_get0_status(single, &reason, &revoked_at, &this_update,
					 &next_update);
	id = OCSP_cert_to_id(OBJ_obj2nid(alg) == NID_sha1 ? EVP_sha1() : EVP_sha256(),
			     acs, root);
	ours = OCSP_BASICRESP_new();
	if (status < 0 || !this_update ||
	    !OCSP_basic_add1_status(ours, id, status, reason, revoked_at, this_update,
				    next_update)) {
		OCSP_BASICRESP_free(ours);
		OCSP_CERTID_free(id);
		return NULL;
	}
	nonce = OCSP_BASICRESP_get_ext_by_NID(bs, NID_id_pkix_OCSP_Nonce, -1);
	if (nonce >= 0)
		OCSP_BASICRESP_add_ext(ours, OCSP_BASICRESP_get_ext(bs, nonce), -1);
	OCSP_basic_sign(ours, responder, responder_key, EVP_sha256(), NULL, 0);
	resp = OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, ours);
	*len = i2d_OCSP_RESPONSE(resp, &der);
	OCSP_RESPONSE_free(resp);
	OCSP_BASICRESP_free(ours);
	OCSP_CERTID_free(id);
	return *len > 0 ? der : NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const unsigned char *p = data;
	struct ocsp_result r;
	OCSP_RESPONSE *resp;
	OCSP_BASICRESP *bs;
	unsigned char *der;
	int len;

	ocsp_check_response(data, size, acs, root, NULL, roots, NULL, time(NULL), &r);
	ocsp_check_response(data, size, acs, root, NULL, roots, req, time(NULL), &r);
	resp = d2i_OCSP_RESPONSE(NULL, &p, size);
	bs = resp ? OCSP_response_get1_basic(resp) : NULL;
	der = bs ? reissue(bs, &len) : NULL;
	if (der) {
		ocsp_check_response(der, len, acs, root, NULL, roots, NULL, time(NULL), &r);
		ocsp_check_response(der, len, acs, root, NULL, roots, req, time(NULL), &r);
		if (!ocsp_check_response(der, len, acs, root, NULL, roots, NULL,
					 time(NULL), &r) &&
		    r.status != V_OCSP_CERTSTATUS_GOOD && r.status != V_OCSP_CERTSTATUS_REVOKED &&
		    r.status != V_OCSP_CERTSTATUS_UNKNOWN)
			__builtin_trap();	/* a valid response has a status */
	}
	OPENSSL_free(der);
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(resp);
	ERR_clear_error();
	return 0;
}
