// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: the H(e)MS's side of a CWMP session (SOAP parser,
 * Inform, TransferComplete, the attestations in the Inform and in
 * GetParameterValuesResponse) on an in-memory store.  The first byte picks
 * the session step (with bit 7 the measure "reboot", with bit 6 a session
 * nonce on the connection); an answer with a body must be a well-formed
 * CWMP envelope.
 */
#include <stdlib.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "../hems/hems.h"
#include "hnbtre_cwmp.h"
#include "../tests/self_signed.h"

static struct store *db;
static X509 *cert;

/* A throwaway device certificate: CN is the identity. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	EVP_PKEY *key = EVP_RSA_gen(2048);

	(void)argc;
	(void)argv;
	if (!key || store_open(":memory:", &db))
		abort();
	cert = self_signed_cert(key, "0005B9-0000000001");
	EVP_PKEY_free(key);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct acs_reply r = { 0 };
	struct acs_session s;
	struct cwmp_msg answer;
	char err[CWMP_ERR_LEN];

	if (!size || acs_session_init(&s, cert, NULL))
		return 0;
	s.step = data[0] % (DONE + 1);
	s.reboot_on_mismatch = data[0] & 0x80;	/* the measure for a mismatch */
	s.session_bound = data[0] & 0x40;	/* a session nonce (zeros) */
	s.trust_on_first_use = data[0] & 0x20;
	s.update_timeout = 86400;
	acs_handle(db, "https://hems.invalid", &s, (const char *)data + 1, size - 1, &r);
	if (r.body) {
		/* an answer parses; a refusal (403) is a fault with its reason */
		if ((r.code != 200 && r.code != 403) || cwmp_parse(r.body, r.len, &answer, err) ||
		    (r.code == 403 && !answer.is_fault))
			abort();
		cwmp_msg_free(&answer);
	}
	free(r.body);
	acs_session_free(&s);
	return 0;
}
