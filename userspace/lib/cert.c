// SPDX-License-Identifier: GPL-2.0-only
/* The device certificate's remaining lifetime, for renewal (enrolment.md). */
#include <openssl/x509.h>

#include "hnbtre.h"

double hnbtre_cert_lifetime_left(const struct x509_st *cert, time_t now)
{
	ASN1_TIME *at = ASN1_TIME_set(NULL, now);
	int days, secs;
	double total = 0, left = 0;

	if (at && ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(cert),
				 X509_get0_notAfter(cert)))
		total = days * 86400.0 + secs;
	if (at && ASN1_TIME_diff(&days, &secs, at, X509_get0_notAfter(cert)))
		left = days * 86400.0 + secs;
	ASN1_TIME_free(at);
	if (total <= 0 || left <= 0)
		return 0;
	return left < total ? left / total : 1;
}
