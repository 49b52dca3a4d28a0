// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: the H(e)MS's side of a CWMP session (SOAP parser,
 * Inform, TransferComplete, the attestation in GetParameterValuesResponse)
 * on an in-memory store.  The first byte picks the session step (and
 * with its top bit the measure "reboot"); an answer with a body must be a
 * well-formed CWMP envelope.
 */
#include <stdlib.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "../hems/hems.h"
#include "hnbtre_cwmp.h"

static sqlite3 *db;
static X509 *cert;

/* A throwaway device certificate: CN is the identity. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	EVP_PKEY *key = EVP_RSA_gen(2048);

	(void)argc;
	(void)argv;
	cert = X509_new();
	if (!key || !cert || store_open(":memory:", &db))
		abort();
	X509_set_version(cert, 2);
	X509_gmtime_adj(X509_getm_notBefore(cert), 0);
	X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(cert), "CN", MBSTRING_ASC,
				   (const unsigned char *)"0005B9-0000000001", -1, -1, 0);
	X509_set_issuer_name(cert, X509_get_subject_name(cert));
	X509_set_pubkey(cert, key);
	if (!X509_sign(cert, key, EVP_sha256()))
		abort();
	EVP_PKEY_free(key);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct acs_reply r = { 0 };
	struct acs_session s;
	struct cwmp_msg answer;
	char err[CWMP_ERR_LEN];

	if (!size || acs_session_init(&s, cert))
		return 0;
	s.step = data[0] % (DONE + 1);
	s.reboot_on_mismatch = data[0] & 0x80;	/* the measure for a mismatch */
	acs_handle(db, "https://hems.invalid", &s, (const char *)data + 1, size - 1, &r);
	if (r.body) {
		if (r.code != 200 || cwmp_parse(r.body, r.len, &answer, err))
			abort();
		cwmp_msg_free(&answer);
	}
	free(r.body);
	OPENSSL_free(s.cert_der);
	return 0;
}
