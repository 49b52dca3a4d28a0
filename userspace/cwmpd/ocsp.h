/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * OCSP (RFC 6960) with TS 33.320 7.2.2's rules, shared by the agent (the
 * ACS certificate) and the H(e)MS (device certificates).  Not in
 * libhnbtre: the query needs libcurl, which the device's other programs
 * do without.
 */
#ifndef HNBTRE_OCSP_CHECK_H
#define HNBTRE_OCSP_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <openssl/ocsp.h>

struct ocsp_result {
	int status;		/* V_OCSP_CERTSTATUS_*, -1 without a valid response */
	int revocation_reason;
	bool sha1_cert_id;	/* the responder matched a SHA-1 CertID */
	bool sha1_signature;
	time_t produced_at;
	time_t next_update;	/* 0: the response has none */
	char reason[160];	/* why the response was not valid */
};

int ocsp_check_response(const unsigned char *der, size_t len, X509 *cert,
			X509 *issuer, STACK_OF(X509) *untrusted, X509_STORE *roots,
			OCSP_REQUEST *req, time_t now, struct ocsp_result *result);
OCSP_REQUEST *ocsp_request(X509 *cert, X509 *issuer);
char *ocsp_responder_url(X509 *cert);
int ocsp_query(const char *url, OCSP_REQUEST *req, unsigned char **der,
	       size_t *len, char *err, size_t err_len);

#endif /* HNBTRE_OCSP_CHECK_H */
