// SPDX-License-Identifier: GPL-2.0-only
/*
 * OCSP for the ACS certificate (TS 33.320 8.3.4 with 7.2.2's OCSP rules,
 * Documentation/tr069.md "Revocation"): requests with a SHA-256 CertID and
 * a nonce, sent to the responder over HTTP POST (RFC 6960 A.1), and the
 * check of a response, queried or stapled by the ACS.
 *
 * A response counts only if it is successful, signed by the issuer or by
 * a responder the issuer delegated to (OCSPSigning), current against the
 * agent's trusted time, carries our nonce when we asked, and has a single
 * response for exactly this certificate.  CertIDs with SHA-256 or SHA-1
 * (TS 33.320: both mandatory to support) are matched; others are not.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/x509v3.h>

#include "ocsp.h"

/* Clock skew allowed against thisUpdate/nextUpdate. */
#define OCSP_SKEW		300
/* Without nextUpdate, a response older than this is stale. */
#define OCSP_MAX_AGE		(7 * 24 * 3600)
#define OCSP_MAX_RESPONSE	(64 * 1024)

static int fail(struct ocsp_result *r, const char *fmt, const char *arg)
{
	snprintf(r->reason, sizeof(r->reason), fmt, arg);
	ERR_clear_error();
	return -EBADMSG;
}

/* @t as seconds since the epoch; -1 when it is not a valid time. */
static time_t asn1_seconds(const ASN1_GENERALIZEDTIME *t)
{
	struct tm tm;

	if (!t || !ASN1_TIME_to_tm(t, &tm))
		return -1;
	return timegm(&tm);
}

/* Whether the CertID of a single response names @cert of @issuer. */
static bool names_cert(OCSP_CERTID *id, X509 *cert, X509 *issuer, bool *sha1)
{
	ASN1_OBJECT *alg;
	OCSP_CERTID *ours;
	const EVP_MD *md;
	int nid, same;

	if (!OCSP_id_get0_info(NULL, &alg, NULL, NULL, id))
		return false;
	nid = OBJ_obj2nid(alg);
	if (nid == NID_sha256)
		md = EVP_sha256();
	else if (nid == NID_sha1)
		md = EVP_sha1();
	else
		return false;
	ours = OCSP_cert_to_id(md, cert, issuer);
	same = ours && !OCSP_id_cmp(ours, id);
	OCSP_CERTID_free(ours);
	if (same)
		*sha1 = nid == NID_sha1;
	return same;
}

int ocsp_check_response(const unsigned char *der, size_t len, X509 *cert,
			X509 *issuer, STACK_OF(X509) *untrusted, X509_STORE *roots,
			OCSP_REQUEST *req, time_t now, struct ocsp_result *r)
{
	const unsigned char *p = der;
	OCSP_RESPONSE *resp = NULL;
	OCSP_BASICRESP *bs = NULL;
	OCSP_SINGLERESP *single = NULL;
	ASN1_GENERALIZEDTIME *this_update, *next_update;
	time_t this_t, next_t;
	int i, status, reason, ret = -EBADMSG, sig_md;

	memset(r, 0, sizeof(*r));
	r->status = -1;
	if (!len || len > OCSP_MAX_RESPONSE)
		return fail(r, "%s", "empty or oversized OCSP response");
	resp = d2i_OCSP_RESPONSE(NULL, &p, len);
	if (!resp || p != der + len) {
		ret = fail(r, "%s", "not a DER OCSP response");
		goto out;
	}
	status = OCSP_response_status(resp);
	if (status != OCSP_RESPONSE_STATUS_SUCCESSFUL) {
		ret = fail(r, "OCSP responder answered %s", OCSP_response_status_str(status));
		goto out;
	}
	bs = OCSP_response_get1_basic(resp);
	if (!bs) {
		ret = fail(r, "%s", "OCSP response is not a basic response");
		goto out;
	}
	if (OCSP_basic_verify(bs, untrusted, roots, 0) <= 0) {
		ret = fail(r, "OCSP response signature: %s",
			   ERR_reason_error_string(ERR_peek_last_error()) ?: "not trusted");
		goto out;
	}
	if (req && OCSP_check_nonce(req, bs) != 1) {
		ret = fail(r, "%s", "OCSP response without our nonce (replayed?)");
		goto out;
	}
	for (i = 0; i < OCSP_resp_count(bs); i++) {
		single = OCSP_resp_get0(bs, i);
		if (names_cert((OCSP_CERTID *)OCSP_SINGLERESP_get0_id(single), cert,
			       issuer, &r->sha1_cert_id))
			break;
	}
	if (i == OCSP_resp_count(bs)) {
		ret = fail(r, "%s", "OCSP response is not about this certificate "
			   "(or its CertID hash is neither SHA-256 nor SHA-1)");
		goto out;
	}
	status = OCSP_single_get0_status(single, &reason, NULL, &this_update,
					 &next_update);
	this_t = asn1_seconds(this_update);
	next_t = next_update ? asn1_seconds(next_update) : 0;
	if (this_t < 0 || next_t < 0) {
		ret = fail(r, "%s", "OCSP response with a malformed time");
		goto out;
	}
	if (this_t > now + OCSP_SKEW) {
		ret = fail(r, "%s", "OCSP response from the future (thisUpdate after our time)");
		goto out;
	}
	if (next_update ? next_t < now - OCSP_SKEW : this_t < now - OCSP_MAX_AGE) {
		ret = fail(r, "%s", "OCSP response is stale (nextUpdate passed or too old)");
		goto out;
	}
	r->produced_at = asn1_seconds(OCSP_resp_get0_produced_at(bs));
	r->next_update = next_t;
	if (!OBJ_find_sigid_algs(OBJ_obj2nid(OCSP_resp_get0_tbs_sigalg(bs)->algorithm),
				 &sig_md, NULL))
		sig_md = NID_undef;
	r->sha1_signature = sig_md == NID_sha1;
	r->status = status;
	r->revocation_reason = reason;
	ret = 0;
out:
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(resp);
	return ret;
}

OCSP_REQUEST *ocsp_request(X509 *cert, X509 *issuer)
{
	OCSP_REQUEST *req = OCSP_REQUEST_new();
	OCSP_CERTID *id = OCSP_cert_to_id(EVP_sha256(), cert, issuer);

	if (!req || !id || !OCSP_request_add0_id(req, id)) {
		OCSP_CERTID_free(id);
		OCSP_REQUEST_free(req);
		return NULL;
	}
	if (!OCSP_request_add1_nonce(req, NULL, -1)) {
		OCSP_REQUEST_free(req);
		return NULL;
	}
	return req;
}

char *ocsp_responder_url(X509 *cert)
{
	STACK_OF(OPENSSL_STRING) *urls = X509_get1_ocsp(cert);
	char *url = NULL;

	if (urls && sk_OPENSSL_STRING_num(urls) > 0)
		url = strdup(sk_OPENSSL_STRING_value(urls, 0));
	X509_email_free(urls);
	return url;
}

struct response_buffer {
	unsigned char *data;
	size_t len;
};

static size_t collect_response(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct response_buffer *b = userdata;
	size_t n = size * nmemb;
	unsigned char *grown;

	if (b->len + n > OCSP_MAX_RESPONSE)
		return 0;
	grown = realloc(b->data, b->len + n);
	if (!grown)
		return 0;
	memcpy(grown + b->len, ptr, n);
	b->data = grown;
	b->len += n;
	return n;
}

int ocsp_query(const char *url, OCSP_REQUEST *req, unsigned char **der,
	       size_t *len, char *err, size_t err_len)
{
	struct response_buffer b = { 0 };
	struct curl_slist *headers;
	unsigned char *body = NULL;
	long code = 0;
	CURLcode rc;
	CURL *c;
	int body_len;

	body_len = i2d_OCSP_REQUEST(req, &body);
	c = curl_easy_init();
	headers = curl_slist_append(NULL, "Content-Type: application/ocsp-request");
	if (body_len <= 0 || !c || !headers) {
		snprintf(err, err_len, "cannot build the OCSP request");
		rc = CURLE_OUT_OF_MEMORY;
		goto out;
	}
	/* the response is signed: plain http is how responders are reached */
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_PROXY, "");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 5L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)body_len);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect_response);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	if (rc != CURLE_OK)
		snprintf(err, err_len, "OCSP responder %s: %s", url, curl_easy_strerror(rc));
	else if (code != 200)
		snprintf(err, err_len, "OCSP responder %s: HTTP status %ld", url, code);
out:
	curl_slist_free_all(headers);
	curl_easy_cleanup(c);
	OPENSSL_free(body);
	if (rc != CURLE_OK || code != 200) {
		free(b.data);
		return -EHOSTUNREACH;
	}
	*der = b.data;
	*len = b.len;
	return 0;
}
