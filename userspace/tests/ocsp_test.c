// SPDX-License-Identifier: GPL-2.0-only
/*
 * hnbtre-cwmpd's check of OCSP responses about the ACS certificate
 * (cwmpd/ocsp.c), with responses made here by OpenSSL from the test PKI
 * ($PKI): the root, its delegated responder ocsp.pem, the H(e)MS
 * certificates and an untrusted CA.  Also the agent's TLS 1.2 suites and
 * its known-good time file.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/ssl.h>

#include "../cwmpd/cwmpd.h"
#include "tap.h"

static const char *pki;
static X509 *root, *hems, *hems_revoked, *responder, *evil;
static EVP_PKEY *responder_key, *hems_key, *evil_key;
static X509_STORE *roots;

/* $PKI/NAME.key as a private key, else $PKI/NAME.pem as a certificate. */
static void *pki_load(const char *name, bool private_key)
{
	char path[512];
	void *obj = NULL;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.%s", pki, name, private_key ? "key" : "pem");
	f = fopen(path, "r");
	if (f) {
		obj = private_key ? (void *)PEM_read_PrivateKey(f, NULL, NULL, NULL) :
		      (void *)PEM_read_X509(f, NULL, NULL, NULL);
		fclose(f);
	}
	return obj;
}

#define NO_NEXT_UPDATE	LONG_MIN

struct answer {
	X509 *about;			/* default hems */
	const EVP_MD *id_md;		/* default SHA-256 */
	int status;			/* V_OCSP_CERTSTATUS_* */
	X509 *signer;			/* default the delegated responder */
	EVP_PKEY *signer_key;
	const EVP_MD *sig_md;		/* default SHA-256 */
	OCSP_REQUEST *nonce_of;		/* copy its nonce */
	long this_update;		/* seconds from now */
	long next_update;		/* seconds from now, default +1 h */
	int response_status;		/* default successful */
};

/* A DER response as a responder would send it. */
static unsigned char *respond(struct answer a, size_t *len)
{
	OCSP_BASICRESP *bs = OCSP_BASICRESP_new();
	OCSP_RESPONSE *resp;
	OCSP_CERTID *id;
	ASN1_TIME *this_update, *next_update = NULL, *revoked_at = NULL;
	unsigned char *der = NULL;
	int n;

	id = OCSP_cert_to_id(a.id_md ?: EVP_sha256(), a.about ?: hems, root);
	this_update = X509_gmtime_adj(NULL, a.this_update);
	if (a.next_update != NO_NEXT_UPDATE)
		next_update = X509_gmtime_adj(NULL, a.next_update ?: 3600);
	if (a.status == V_OCSP_CERTSTATUS_REVOKED)
		revoked_at = X509_gmtime_adj(NULL, -86400);
	OCSP_basic_add1_status(bs, id, a.status, a.status == V_OCSP_CERTSTATUS_REVOKED ?
			       OCSP_REVOKED_STATUS_KEYCOMPROMISE : -1, revoked_at,
			       this_update, next_update);
	if (a.nonce_of)
		OCSP_copy_nonce(bs, a.nonce_of);
	OCSP_basic_sign(bs, a.signer ?: responder, a.signer_key ?: responder_key,
			a.sig_md ?: EVP_sha256(), NULL, 0);
	resp = OCSP_response_create(a.response_status, a.response_status ? NULL : bs);
	n = i2d_OCSP_RESPONSE(resp, &der);
	*len = n > 0 ? (size_t)n : 0;
	OCSP_RESPONSE_free(resp);
	OCSP_BASICRESP_free(bs);
	OCSP_CERTID_free(id);
	ASN1_TIME_free(this_update);
	ASN1_TIME_free(next_update);
	ASN1_TIME_free(revoked_at);
	return der;
}

/* ocsp_check_response() of @a about hems; its result in *r. */
static int check(struct answer a, OCSP_REQUEST *req, struct ocsp_result *r)
{
	size_t len;
	unsigned char *der = respond(a, &len);
	int ret = ocsp_check_response(der, len, hems, root, NULL, roots, req,
				      time(NULL), r);

	OPENSSL_free(der);
	return ret;
}

static void responses(void)
{
	OCSP_REQUEST *req = ocsp_request(hems, root), *other = ocsp_request(hems, root);
	struct ocsp_result r;
	unsigned char *der;
	size_t len;
	int ret;

	ret = check((struct answer){ .status = V_OCSP_CERTSTATUS_GOOD, .nonce_of = req }, req, &r);
	tap_ok(!ret && r.status == V_OCSP_CERTSTATUS_GOOD && !r.sha1_cert_id &&
	       !r.sha1_signature && r.produced_at > time(NULL) - 60,
	       "good, SHA-256 CertID, delegated responder, our nonce: good");
	ret = check((struct answer){ .status = V_OCSP_CERTSTATUS_REVOKED, .nonce_of = req }, req, &r);
	tap_ok(!ret && r.status == V_OCSP_CERTSTATUS_REVOKED &&
	       r.revocation_reason == OCSP_REVOKED_STATUS_KEYCOMPROMISE, "revoked: revoked");
	ret = check((struct answer){ .id_md = EVP_sha1() }, NULL, &r);
	tap_ok(!ret && r.status == V_OCSP_CERTSTATUS_GOOD && r.sha1_cert_id,
	       "SHA-1 CertID (stapled): accepted, reported");
	ret = check((struct answer){ .sig_md = EVP_sha1() }, NULL, &r);
	tap_ok(!ret && r.sha1_signature && !r.sha1_cert_id, "SHA-1 signature: accepted, reported");
	ret = check((struct answer){ .id_md = EVP_md5() }, NULL, &r);
	tap_ok(ret == -EBADMSG && strstr(r.reason, "neither SHA-256 nor SHA-1"),
	       "MD5 CertID: not matched (%s)", r.reason);
	ret = check((struct answer){ 0 }, req, &r);
	tap_ok(ret == -EBADMSG && strstr(r.reason, "nonce"), "queried, no nonce: refused");
	ret = check((struct answer){ .nonce_of = other }, req, &r);
	tap_ok(ret == -EBADMSG && strstr(r.reason, "nonce"), "queried, another request's nonce: refused");
	ret = check((struct answer){ .signer = hems, .signer_key = hems_key }, NULL, &r);
	tap_ok(ret == -EBADMSG && strstr(r.reason, "signature"),
	       "signed by a certificate of the root without OCSPSigning: refused (%s)", r.reason);
	ret = check((struct answer){ .signer = evil, .signer_key = evil_key }, NULL, &r);
	tap_ok(ret == -EBADMSG && strstr(r.reason, "signature"),
	       "signed by an untrusted CA: refused (%s)", r.reason);
	ret = check((struct answer){ .about = hems_revoked }, NULL, &r);
	tap_ok(ret == -EBADMSG && strstr(r.reason, "not about this certificate"),
	       "about another certificate of the same issuer: refused");
	ret = check((struct answer){ .this_update = -7200, .next_update = -3600 }, NULL, &r);
	tap_ok(ret == -EBADMSG && strstr(r.reason, "stale"), "nextUpdate an hour ago: stale");
	ret = check((struct answer){ .this_update = -8 * 86400, .next_update = NO_NEXT_UPDATE },
		    NULL, &r);
	tap_ok(ret == -EBADMSG && strstr(r.reason, "stale"), "no nextUpdate, 8 days old: stale");
	ret = check((struct answer){ .this_update = -60, .next_update = NO_NEXT_UPDATE }, NULL, &r);
	tap_ok(!ret && r.status == V_OCSP_CERTSTATUS_GOOD, "no nextUpdate, a minute old: good");
	ret = check((struct answer){ .this_update = -200, .next_update = -100 }, NULL, &r);
	tap_ok(!ret, "nextUpdate within the allowed skew: good");
	ret = check((struct answer){ .this_update = 3600 }, NULL, &r);
	tap_ok(ret == -EBADMSG && strstr(r.reason, "future"), "thisUpdate in an hour: refused");
	ret = check((struct answer){ .response_status = OCSP_RESPONSE_STATUS_TRYLATER }, NULL, &r);
	tap_ok(ret == -EBADMSG && strstr(r.reason, "trylater"), "tryLater: no status (%s)", r.reason);

	der = respond((struct answer){ 0 }, &len);
	der = OPENSSL_realloc(der, len + 1);
	der[len] = 0;
	ret = ocsp_check_response(der, len + 1, hems, root, NULL, roots, NULL, time(NULL), &r);
	tap_ok(ret == -EBADMSG && r.status == -1, "trailing byte after the response: refused");
	ret = ocsp_check_response(der, len - 1, hems, root, NULL, roots, NULL, time(NULL), &r);
	tap_ok(ret == -EBADMSG, "truncated response: refused");
	ret = ocsp_check_response(der, len, hems, root, NULL, roots, NULL,
				  time(NULL) + 2 * 3600, &r);
	tap_ok(ret == -EBADMSG && strstr(r.reason, "stale"),
	       "checked against a later trusted time: stale");
	OPENSSL_free(der);
	OCSP_REQUEST_free(other);
	OCSP_REQUEST_free(req);
}

static void request(void)
{
	OCSP_REQUEST *req = ocsp_request(hems, root);
	ASN1_OBJECT *alg = NULL;
	char *url = ocsp_responder_url(hems);

	if (req && OCSP_request_onereq_count(req) == 1)
		OCSP_id_get0_info(NULL, &alg, NULL, NULL,
				  OCSP_onereq_get0_id(OCSP_request_onereq_get0(req, 0)));
	tap_ok(alg && OBJ_obj2nid(alg) == NID_sha256 &&
	       OCSP_REQUEST_get_ext_by_NID(req, NID_id_pkix_OCSP_Nonce, -1) >= 0,
	       "request: one SHA-256 CertID and a nonce");
	tap_ok(url && !strcmp(url, "http://127.0.0.1:8888"), "responder from the AIA: %s", url);
	free(url);
	url = ocsp_responder_url(root);
	tap_ok(!url, "no AIA, no responder");
	OCSP_REQUEST_free(req);
}

/* The configured TLS 1.2 suites: ECDHE with AEAD only; RC4 is named in
 * the exclusions although OpenSSL 3 has none to exclude. */
static void suites(void)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	STACK_OF(SSL_CIPHER) *ciphers;
	int i, n = 0, bad = 0;

	SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
	tap_ok(SSL_CTX_set_cipher_list(ctx, session_tls12_ciphers) &&
	       strstr(session_tls12_ciphers, "!RC4"), "cipher list %s accepted, excludes RC4",
	       session_tls12_ciphers);
	ciphers = SSL_CTX_get_ciphers(ctx);
	for (i = 0; i < sk_SSL_CIPHER_num(ciphers); i++) {
		const SSL_CIPHER *c = sk_SSL_CIPHER_value(ciphers, i);

		if (!strcmp(SSL_CIPHER_get_version(c), "TLSv1.3"))
			continue;
		n++;
		if (strstr(SSL_CIPHER_get_name(c), "RC4") || !SSL_CIPHER_is_aead(c) ||
		    SSL_CIPHER_get_kx_nid(c) != NID_kx_ecdhe)
			bad++;
	}
	tap_ok(n > 0 && !bad, "%d TLS 1.2 suites, all ECDHE with AEAD (%d others)", n, bad);
	SSL_CTX_free(ctx);
}

/* The known-good time in @path, -1 when unreadable. */
static long long kept_time(const char *path)
{
	long long t = -1;
	FILE *f = fopen(path, "r");

	if (f && fscanf(f, "%lld", &t) != 1)
		t = -1;
	if (f)
		fclose(f);
	return t;
}

/* Only times ahead of the clock: clock_restore() would set the clock. */
static void known_good_time(void)
{
	char dir[] = "/tmp/ocsp-test.XXXXXX", path[256];
	time_t before = time(NULL), later = before + 1000;
	FILE *f;

	if (!mkdtemp(dir))
		return;
	snprintf(path, sizeof(path), "%s/known-good-time", dir);
	tap_ok(clock_restore(dir) == 0, "no known-good time yet: 0");
	clock_record(dir, later);
	tap_ok(kept_time(path) == later, "recorded: the later of the clock and the server's time");
	clock_record(dir, 5);
	tap_ok(kept_time(path) == later && clock_trusted_now(later) == later &&
	       clock_trusted_now(5) >= before,
	       "an older time never moves the known-good time back; trusted now is the later");
	f = fopen(path, "w");
	if (f) {
		fputs("12abc\n", f);
		fclose(f);
	}
	tap_ok(clock_restore(dir) == 0, "a malformed file is ignored (0)");
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	pki = getenv("PKI") ?: "../build/pki";
	tap_plan(28);
	root = pki_load("root", false);
	hems = pki_load("hems", false);
	hems_revoked = pki_load("hems-revoked", false);
	responder = pki_load("ocsp", false);
	evil = pki_load("evil-signer", false);
	responder_key = pki_load("ocsp", true);
	hems_key = pki_load("hems", true);
	evil_key = pki_load("evil-signer", true);
	roots = X509_STORE_new();
	if (!root || !hems || !hems_revoked || !responder || !evil || !responder_key ||
	    !hems_key || !evil_key || !roots || !X509_STORE_add_cert(roots, root)) {
		printf("Bail out! test PKI incomplete in %s (scripts/mkpki)\n", pki);
		return 1;
	}
	responses();
	request();
	suites();
	known_good_time();
	return tap_done();
}
