/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/*
 * hnbtre-notify-bench: what verifying one attestation Notify costs the
 * gateway, against charon's verification of one IKE AUTH signature, both
 * through libstrongswan with the plugins charon loads in the tests:
 *
 *   A: the gateway's work for one Notify: the reference RIM from the
 *      store, then hnbtre_verify_with_cert() (parse, the trust store
 *      loaded from CA, the attestation certificate's chain, role and
 *      signature, nonce, identity, state, TIM);
 *   B: what charon's pubkey authenticator does with the AUTH payload once
 *      it has its octets (pubkey_authenticator.c): ask the credential
 *      manager for trusted public keys of the peer's identity, with the
 *      certificate the peer sent, which checks its chain to the trust
 *      anchor (issuer signatures cached after the first time, as in
 *      charon), and verify an RSASSA-PKCS1-v1_5 SHA-256 signature over
 *      AUTH-sized octets with it;
 *   C: the bare RSA verification inside B, for context.
 *
 *   hnbtre-notify-bench CERT KEY CA BLOB NONCE_HEX RIM_DIR ROUNDS
 *
 * CERT is the device certificate, KEY its private key (only to make the
 * AUTH signature), CA the root it chains to, BLOB an attestation for
 * NONCE_HEX whose identity has a reference RIM in RIM_DIR.  A, B and C
 * take turns, ROUNDS times each (the order reverses every round); prints
 * the medians in nanoseconds and the ratios A/B and A/C.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <library.h>
#include <credentials/sets/mem_cred.h>

#include <openssl/x509.h>

#include "hnbtre_verify.h"

/* IKE_SA_INIT request (about 300 bytes) + Nr + prf(SK_pi, IDi'): the
 * octets an IKEv2 AUTH signature covers */
#define AUTH_OCTETS 400
/* as in selftests/hnbtre/ike_lib.sh */
#define PLUGINS "random nonce aes sha1 sha2 hmac kdf pem pkcs1 pkcs8 x509 " \
				"pubkey openssl gmp"

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long*)a, y = *(const long long*)b;

	return (x > y) - (x < y);
}

static long long median(long long *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_ll);
	return v[n / 2];
}

/**
 * A: the gateway's verification of one Notify
 */
static bool notify_verify(certificate_t *cert, chunk_t blob, chunk_t nonce,
						  char *rim_dir, char *roots_path)
{
	struct hnbtre_attestation fields;
	uint8_t rim[HNBTRE_DIGEST_LEN];
	X509_STORE *roots = hnbtre_roots_load(roots_path);
	bool ok;

	ok = roots && !hnbtre_attestation_parse(blob.ptr, blob.len, &fields) &&
		 !hnbtre_reference_rim(rim_dir, fields.identity,
							   fields.identity_len, rim) &&
		 hnbtre_verify_with_cert(cert, roots, blob, nonce, rim,
								 &fields) == HNBTRE_ATTEST_VALID;
	X509_STORE_free(roots);
	return ok;
}

/**
 * B: charon's verification of one AUTH signature
 */
static bool auth_verify(certificate_t *cert, chunk_t octets, chunk_t sig)
{
	enumerator_t *enumerator;
	public_key_t *key;
	auth_cfg_t *auth, *current_auth;
	bool ok = FALSE;

	auth = auth_cfg_create();
	auth->add(auth, AUTH_HELPER_SUBJECT_CERT, cert->get_ref(cert));
	enumerator = lib->credmgr->create_public_enumerator(lib->credmgr, KEY_RSA,
										cert->get_subject(cert), auth, FALSE);
	while (!ok && enumerator->enumerate(enumerator, &key, &current_auth))
	{
		ok = key->verify(key, SIGN_RSA_EMSA_PKCS1_SHA2_256, NULL, octets, sig);
	}
	enumerator->destroy(enumerator);
	auth->destroy(auth);
	return ok;
}

/**
 * C: the RSA verification alone
 */
static bool rsa_verify(certificate_t *cert, chunk_t octets, chunk_t sig)
{
	public_key_t *key = cert->get_public_key(cert);
	bool ok;

	ok = key && key->verify(key, SIGN_RSA_EMSA_PKCS1_SHA2_256, NULL,
							octets, sig);
	DESTROY_IF(key);
	return ok;
}

/**
 * Certificate from a file
 */
static certificate_t *load_cert(char *path)
{
	return lib->creds->create(lib->creds, CRED_CERTIFICATE, CERT_X509,
							  BUILD_FROM_FILE, path, BUILD_END);
}

int main(int argc, char *argv[])
{
	certificate_t *cert, *ca;
	private_key_t *key;
	mem_cred_t *anchors;
	chunk_t blob, nonce, sig, octets;
	long long *ns[3], t, m[3];
	int rounds, r, i, op;
	bool ok = TRUE;

	if (argc != 8 || (rounds = atoi(argv[7])) < 1)
	{
		fprintf(stderr, "usage: %s CERT KEY CA BLOB NONCE_HEX RIM_DIR ROUNDS\n",
				argv[0]);
		return 2;
	}
	dbg_default_set_level(LEVEL_SILENT);
	if (!library_init(NULL, "hnbtre-notify-bench") ||
		!lib->plugins->load(lib->plugins, PLUGINS))
	{
		return 2;
	}
	cert = load_cert(argv[1]);
	key = lib->creds->create(lib->creds, CRED_PRIVATE_KEY, KEY_RSA,
							 BUILD_FROM_FILE, argv[2], BUILD_END);
	ca = load_cert(argv[3]);
	if (hnbtre_read_file(argv[4], 8192, &blob.ptr, &blob.len))
	{
		blob = chunk_empty;
	}
	nonce = chunk_from_hex(chunk_from_str(argv[5]), NULL);
	octets = chunk_alloca(AUTH_OCTETS);
	memset(octets.ptr, 0x5a, octets.len);
	if (!cert || !key || !ca || !blob.len || !nonce.len ||
		!key->sign(key, SIGN_RSA_EMSA_PKCS1_SHA2_256, NULL, octets, &sig))
	{
		fprintf(stderr, "cannot read the inputs\n");
		return 2;
	}
	anchors = mem_cred_create();
	anchors->add_cert(anchors, TRUE, ca);
	lib->credmgr->add_set(lib->credmgr, &anchors->set);

	for (i = 0; i < 3; i++)
	{
		ns[i] = calloc(rounds, sizeof(*ns[i]));
	}
	for (r = 0; ok && r < rounds; r++)
	{
		for (i = 0; ok && i < 3; i++)
		{
			op = r % 2 ? 2 - i : i;
			t = now_ns();
			switch (op)
			{
				case 0:
					ok = notify_verify(cert, blob, nonce, argv[6], argv[3]);
					break;
				case 1:
					ok = auth_verify(cert, octets, sig);
					break;
				default:
					ok = rsa_verify(cert, octets, sig);
					break;
			}
			ns[op][r] = now_ns() - t;
		}
	}
	if (!ok)
	{
		fprintf(stderr, "verification %d failed in round %d\n", op, r);
		return 1;
	}
	for (i = 0; i < 3; i++)
	{
		m[i] = median(ns[i], rounds);
	}
	printf("notify_verify_ns %lld\nauth_verify_ns %lld\nrsa_verify_ns %lld\n"
		   "ratio %.3f\nratio_bare_rsa %.3f\n", m[0], m[1], m[2],
		   (double)m[0] / m[1], (double)m[0] / m[2]);
	return 0;
}
