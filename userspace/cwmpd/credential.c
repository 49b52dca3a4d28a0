// SPDX-License-Identifier: GPL-2.0-only
/*
 * The device's own certificate (TS 33.320 7.12: the distress function
 * starts whenever an integrity failure or a credential failure stops
 * normal communication; Documentation/tr069.md, "Device certificate
 * expired or revoked").  Expired: its notAfter lies before the trusted
 * time, checked before every session.  Revoked: after a session failed
 * (the H(e)MS refused it, or could not be reached), the OCSP responder of
 * the certificate (its authorityInfoAccess, or --ocsp-url) is asked about
 * it with the rules of ocsp.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>
#include <openssl/x509_vfy.h>

#include "cwmpd.h"
#include "ocsp.h"

static X509 *read_cert(const char *path)
{
	FILE *f = fopen(path, "r");
	X509 *cert;

	if (!f)
		return NULL;
	cert = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	return cert;
}

/* Whether the responder says @cert is revoked; @why says by whom. */
static bool revoked(const struct agent_config *config, X509 *cert, time_t now,
		    char *why, size_t len)
{
	char *url = config->ocsp_url ? strdup(config->ocsp_url) : ocsp_responder_url(cert);
	X509_STORE *roots = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	struct ocsp_result r = { .status = -1 };
	OCSP_REQUEST *req = NULL;
	unsigned char *der = NULL;
	X509 *issuer = NULL;
	size_t der_len;
	bool ret = false;

	if (!url || !roots || !ctx || X509_STORE_load_file(roots, config->ca_path) != 1 ||
	    X509_STORE_CTX_init(ctx, roots, cert, NULL) != 1 ||
	    X509_STORE_CTX_get1_issuer(&issuer, ctx, cert) != 1)
		goto out;
	req = ocsp_request(cert, issuer);
	if (req && !ocsp_query(url, req, &der, &der_len, r.reason, sizeof(r.reason)) &&
	    !ocsp_check_response(der, der_len, cert, issuer, NULL, roots, req, now, &r) &&
	    r.status == V_OCSP_CERTSTATUS_REVOKED) {
		snprintf(why, len, "revoked (OCSP, %s, reason %s)", url,
			 OCSP_crl_reason_str(r.revocation_reason));
		ret = true;
	}
out:
	free(der);
	OCSP_REQUEST_free(req);
	X509_free(issuer);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(roots);
	free(url);
	return ret;
}

const char *credential_failure(const struct agent_config *config, bool ask_responder,
			       char *why, size_t len)
{
	time_t now = clock_trusted_now(config->time_floor);
	X509 *cert = read_cert(config->cert_path);
	const char *failure = NULL;

	if (!cert)
		return NULL;
	if (X509_cmp_time(X509_get0_notAfter(cert), &now) < 0) {
		snprintf(why, len, "expired (notAfter before the trusted time %jd)",
			 (intmax_t)now);
		failure = "certificate-expired";
	} else if (ask_responder && config->ocsp != OCSP_OFF &&
		   revoked(config, cert, now, why, len)) {
		failure = "certificate-revoked";
	}
	X509_free(cert);
	return failure;
}
