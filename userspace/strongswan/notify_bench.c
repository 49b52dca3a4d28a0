// SPDX-License-Identifier: GPL-2.0-only
/*
 * hnbtre-notify-bench: what verifying one attestation Notify costs the
 * gateway, against the RSA verification at the heart of charon's own check
 * of one IKE AUTH payload (RSASSA-PKCS1-v1_5 SHA-256 through OpenSSL, as
 * charon's openssl plugin does it, over AUTH-sized octets).
 *
 *   hnbtre-notify-bench CERT KEY BLOB NONCE_HEX ROUNDS
 *
 * CERT is the device certificate (PEM), KEY its private key (PEM; only
 * to make the AUTH signature), BLOB an attestation for NONCE_HEX.  The two
 * operations alternate, ROUNDS times each; prints the medians in
 * nanoseconds and their ratio.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "hnbtre.h"

/* IKE_SA_INIT request (about 300 bytes) + Nr + prf(SK_pi, IDi'): the
 * octets an IKEv2 AUTH signature covers */
#define AUTH_OCTETS 400

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return (x > y) - (x < y);
}

static long long median(long long *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_ll);
	return v[n / 2];
}

static int digest_verify(EVP_PKEY *key, const uint8_t *sig, size_t sig_len,
			 const uint8_t *msg, size_t len)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok = ctx &&
		 EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, key) == 1 &&
		 EVP_DigestVerify(ctx, sig, sig_len, msg, len) == 1;

	EVP_MD_CTX_free(ctx);
	return ok;
}

int main(int argc, char **argv)
{
	uint8_t *blob, nonce[HNBTRE_NONCE_MAX], octets[AUTH_OCTETS], sig[512];
	unsigned char *der = NULL;
	size_t blob_len, nonce_len, sig_len = sizeof(sig), i;
	long long *notify_ns, *auth_ns, t;
	EVP_PKEY *priv, *pub;
	EVP_MD_CTX *ctx;
	X509 *cert;
	FILE *f;
	int der_len, rounds, r;

	if (argc != 6 || (rounds = atoi(argv[5])) < 1) {
		fprintf(stderr, "usage: %s CERT KEY BLOB NONCE_HEX ROUNDS\n", argv[0]);
		return 2;
	}
	nonce_len = strlen(argv[4]) / 2;
	if (nonce_len > sizeof(nonce))
		return 2;
	for (i = 0; i < nonce_len; i++)
		if (sscanf(argv[4] + 2 * i, "%2hhx", &nonce[i]) != 1)
			return 2;
	f = fopen(argv[1], "r");
	cert = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
	if (f)
		fclose(f);
	f = fopen(argv[2], "r");
	priv = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;
	if (f)
		fclose(f);
	if (!cert || !priv || (der_len = i2d_X509(cert, &der)) <= 0 ||
	    hnbtre_read_file(argv[3], 4096, &blob, &blob_len)) {
		fprintf(stderr, "cannot read the inputs\n");
		return 2;
	}
	pub = X509_get0_pubkey(cert);
	memset(octets, 0x5a, sizeof(octets));
	ctx = EVP_MD_CTX_new();
	if (!ctx || EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, priv) != 1 ||
	    EVP_DigestSign(ctx, sig, &sig_len, octets, sizeof(octets)) != 1)
		return 2;
	EVP_MD_CTX_free(ctx);

	notify_ns = calloc(rounds, sizeof(*notify_ns));
	auth_ns = calloc(rounds, sizeof(*auth_ns));
	if (!notify_ns || !auth_ns)
		return 2;
	for (r = 0; r < rounds; r++) {
		t = now_ns();
		if (hnbtre_verify_attestation_der(blob, blob_len, der, der_len,
						  nonce, nonce_len, NULL,
						  NULL) != HNBTRE_ATTEST_VALID) {
			fprintf(stderr, "the attestation does not verify\n");
			return 1;
		}
		notify_ns[r] = now_ns() - t;
		t = now_ns();
		if (!digest_verify(pub, sig, sig_len, octets, sizeof(octets))) {
			fprintf(stderr, "the AUTH signature does not verify\n");
			return 1;
		}
		auth_ns[r] = now_ns() - t;
	}
	t = median(notify_ns, rounds);
	printf("notify_verify_ns %lld\nauth_verify_ns %lld\nratio %.3f\n", t,
	       median(auth_ns, rounds), (double)t / median(auth_ns, rounds));
	return 0;
}
