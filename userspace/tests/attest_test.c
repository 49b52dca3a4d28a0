// SPDX-License-Identifier: GPL-2.0-only
/*
 * hnbtre_verify_attestation() against blobs built here by the documented
 * layout and signed with OpenSSL: each verdict, malformed blobs, and
 * signers that are not an attestation key of the trust store.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "hnbtre.h"
#include "attest_blob.h"
#include "self_signed.h"
#include "tap.h"

#define IDENTITY "0005B9-0000000001"

static EVP_PKEY *key, *attest_key;
static X509 *attest_cert;
static const uint8_t nonce[20] = "nonce-of-the-h(e)ms";
static uint8_t blob[4096];
static size_t blob_len;
static char roots[64];

static int write_pem(const char *path, X509 *cert)
{
	FILE *f = fopen(path, "w");
	int ok;

	ok = f && PEM_write_X509(f, cert);
	if (f)
		fclose(f);
	return ok;
}

/* A cert for key with subject CN = cn, written to path (PEM). */
static int write_cert(const char *path, const char *cn)
{
	X509 *cert = self_signed_cert(key, cn);
	int ok = write_pem(path, cert);

	X509_free(cert);
	return ok;
}

/* Signs a blob with @signer and @signer_cert. */
static void build_by(EVP_PKEY *signer, X509 *signer_cert, int state,
		     uint8_t tim_byte, const char *identity)
{
	uint8_t tim[HNBTRE_DIGEST_LEN], rim[HNBTRE_DIGEST_LEN];
	const struct attest_contents c = {
		.state = state, .tim = tim, .rim = rim,
		.nonce = nonce, .nonce_len = sizeof(nonce), .identity = identity,
	};

	memset(tim, tim_byte, sizeof(tim));
	memset(rim, 0xaa, sizeof(rim));
	blob_len = attest_blob_build(blob, sizeof(blob), signer, signer_cert, &c);
}

/* Signs a blob by the attestation key; state, TIM and identity vary. */
static void build(int state, uint8_t tim_byte, const char *identity)
{
	build_by(attest_key, attest_cert, state, tim_byte, identity);
}

static int verify(const char *cert, const uint8_t *rim)
{
	return hnbtre_verify_attestation(blob, blob_len, cert, roots, nonce,
					 sizeof(nonce), rim, NULL);
}

int main(void)
{
	char dir[] = "/tmp/hnbtre-attest-test.XXXXXX", cert[64], other[64];
	struct hnbtre_attestation a;
	uint8_t rim[HNBTRE_DIGEST_LEN];
	int ret;

	X509 *device_cert, *no_role, *other_id;

	tap_plan(25);
	key = EVP_RSA_gen(2048);
	attest_key = EVP_RSA_gen(2048);
	if (!key || !attest_key || !mkdtemp(dir))
		return 1;
	attest_cert = attest_signer_cert(attest_key, IDENTITY, 1);
	snprintf(cert, sizeof(cert), "%s/device.pem", dir);
	snprintf(other, sizeof(other), "%s/other.pem", dir);
	snprintf(roots, sizeof(roots), "%s/roots.pem", dir);
	if (!write_cert(cert, IDENTITY) || !write_cert(other, "someone-else") ||
	    !write_pem(roots, attest_cert))
		return 1;

	build(HNBTRE_STATE_TRUSTED, 0xaa, IDENTITY);
	tap_ok(verify(cert, NULL) == HNBTRE_ATTEST_VALID, "valid attestation");
	ret = hnbtre_attestation_parse(blob, blob_len, &a);
	tap_ok(!ret && a.state == HNBTRE_STATE_TRUSTED && a.manifest_version == 3 &&
	       a.verdicts[1] == 5 && a.identity_len == strlen(IDENTITY) &&
	       !memcmp(a.identity, IDENTITY, a.identity_len),
	       "fields parsed at the documented offsets");
	tap_ok(!a.identity_in_tpm && !a.floor_in_tpm,
	       "flags: identity and floor not from the TPM");
	blob[HNBTRE_ATTEST_OFF_FLAGS] |= HNBTRE_ATTEST_FLAG_IDENTITY_TPM |
					 HNBTRE_ATTEST_FLAG_FLOOR_TPM;
	ret = hnbtre_attestation_parse(blob, blob_len, &a);
	tap_ok(!ret && a.identity_in_tpm && a.floor_in_tpm && a.validated &&
	       a.has_manifest, "flags: identity and floor from the TPM");
	blob[HNBTRE_ATTEST_OFF_FLAGS] |= 0x10;
	tap_ok(hnbtre_attestation_parse(blob, blob_len, &a) == -EBADMSG,
	       "flags: an unknown bit is malformed");
	build(HNBTRE_STATE_TRUSTED, 0xaa, IDENTITY);
	memset(rim, 0xaa, sizeof(rim));
	tap_ok(verify(cert, rim) == HNBTRE_ATTEST_VALID, "expected RIM matches");
	rim[0] ^= 1;
	tap_ok(verify(cert, rim) == HNBTRE_ATTEST_TIM_NOT_RIM,
	       "other expected RIM: TIM differs");
	tap_ok(hnbtre_verify_attestation(blob, blob_len, cert, roots, nonce, 16, NULL,
					 NULL) == HNBTRE_ATTEST_WRONG_NONCE,
	       "other nonce: wrong nonce");
	tap_ok(verify(other, NULL) == HNBTRE_ATTEST_WRONG_IDENTITY,
	       "certificate of another identity: wrong identity");
	blob[HNBTRE_ATTEST_OFF_STATE] = HNBTRE_STATE_TAMPERED;
	tap_ok(verify(cert, NULL) == HNBTRE_ATTEST_BAD_SIGNATURE,
	       "state byte altered: bad signature");
	blob[blob_len - 1] ^= 1;
	blob[HNBTRE_ATTEST_OFF_STATE] = HNBTRE_STATE_TRUSTED;
	tap_ok(verify(cert, NULL) == HNBTRE_ATTEST_BAD_SIGNATURE,
	       "signature altered: bad signature");

	build(HNBTRE_STATE_FAILED, 0xaa, IDENTITY);
	tap_ok(verify(cert, NULL) == HNBTRE_ATTEST_NOT_TRUSTED,
	       "signed failed state: not trusted");
	build(HNBTRE_STATE_TRUSTED, 0xbb, IDENTITY);
	tap_ok(verify(cert, NULL) == HNBTRE_ATTEST_TIM_NOT_RIM,
	       "TIM differs from the blob's RIM");
	build(HNBTRE_STATE_TRUSTED, 0xaa, "");
	tap_ok(verify(cert, NULL) == HNBTRE_ATTEST_BAD_SIGNER,
	       "empty identity: bad signer (its certificate names none)");

	build(HNBTRE_STATE_TRUSTED, 0xaa, IDENTITY);
	blob_len--;
	tap_ok(verify(cert, NULL) == HNBTRE_ATTEST_MALFORMED, "truncated: malformed");
	blob_len += 2;
	tap_ok(verify(cert, NULL) == HNBTRE_ATTEST_MALFORMED, "trailing byte: malformed");
	blob_len--;
	blob[0] = 'h';
	tap_ok(verify(cert, NULL) == HNBTRE_ATTEST_MALFORMED, "bad magic: malformed");
	blob[0] = 'H';
	blob[HNBTRE_ATTEST_OFF_NONCE_LEN] = 15;
	tap_ok(verify(cert, NULL) == HNBTRE_ATTEST_MALFORMED,
	       "inconsistent nonce length: malformed");
	blob[HNBTRE_ATTEST_OFF_NONCE_LEN] = sizeof(nonce);
	tap_ok(verify("/nonexistent.pem", NULL) < 0, "unreadable certificate: -errno");
	blob[HNBTRE_ATTEST_MAGIC_LEN - 2] = '1';	/* the version digit */
	tap_ok(verify(cert, NULL) == HNBTRE_ATTEST_MALFORMED,
	       "format version 1: malformed");

	/* signers other than an attestation key of the trust store */
	device_cert = self_signed_cert(key, IDENTITY);
	build_by(key, device_cert, HNBTRE_STATE_TRUSTED, 0xaa, IDENTITY);
	tap_ok(verify(cert, NULL) == HNBTRE_ATTEST_BAD_SIGNER,
	       "signed by the device key, its certificate inside: bad signer");
	build_by(key, attest_cert, HNBTRE_STATE_TRUSTED, 0xaa, IDENTITY);
	tap_ok(verify(cert, NULL) == HNBTRE_ATTEST_BAD_SIGNATURE,
	       "signed by the device key, the attestation certificate inside: bad signature");
	no_role = attest_signer_cert(attest_key, IDENTITY, 0);
	build_by(attest_key, no_role, HNBTRE_STATE_TRUSTED, 0xaa, IDENTITY);
	tap_ok(verify(cert, NULL) == HNBTRE_ATTEST_BAD_SIGNER,
	       "certificate without the attestation role: bad signer");
	other_id = attest_signer_cert(attest_key, "someone-else", 1);
	build_by(attest_key, other_id, HNBTRE_STATE_TRUSTED, 0xaa, IDENTITY);
	tap_ok(verify(cert, NULL) == HNBTRE_ATTEST_BAD_SIGNER,
	       "attestation certificate of another identity: bad signer");
	build(HNBTRE_STATE_TRUSTED, 0xaa, IDENTITY);
	tap_ok(hnbtre_verify_attestation(blob, blob_len, cert, cert, nonce,
					 sizeof(nonce), NULL, NULL) == HNBTRE_ATTEST_BAD_SIGNER,
	       "attestation certificate outside the trust store: bad signer");
	X509_free(device_cert);
	X509_free(no_role);
	X509_free(other_id);

	unlink(roots);
	unlink(cert);
	unlink(other);
	rmdir(dir);
	EVP_PKEY_free(key);
	EVP_PKEY_free(attest_key);
	X509_free(attest_cert);
	return tap_done();
}
