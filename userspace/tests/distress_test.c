// SPDX-License-Identifier: GPL-2.0-only
/*
 * Distress indications (Documentation/distress.md) built, parsed and
 * authenticated by libhnbtre: each verdict of the receiver, a flipped byte
 * in every region, replays, and malformed frames.  Signatures are made
 * with OpenSSL and the test PKI's distress credential ($PKI).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "hnbtre_distress.h"
#include "tap.h"

#define IDENTITY "0005B9-0000000001"

static char pki[512];
static uint8_t psk[32];

static char *pki_path(const char *name)
{
	static char path[4][600];
	static int next;
	char *p = path[next++ % 4];

	snprintf(p, sizeof(path[0]), "%s/%s", pki, name);
	return p;
}

static uint8_t *cert_der(const char *name, size_t *len)
{
	uint8_t *der;

	if (hnbtre_read_file(pki_path(name), 1 << 16, &der, len))
		abort();
	return der;
}

static size_t sign(const char *key_name, const uint8_t *data, size_t len,
		   uint8_t *sig)
{
	FILE *f = fopen(pki_path(key_name), "r");
	EVP_PKEY *key = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	size_t sig_len = 512;

	if (!key || !ctx ||
	    EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key) != 1 ||
	    EVP_DigestSign(ctx, sig, &sig_len, data, len) != 1)
		abort();
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(key);
	fclose(f);
	return sig_len;
}

/* A frame of @auth for sequence @seq; @signer names the signing key. */
static uint8_t *make_frame(enum hnbtre_distress_auth auth, uint64_t seq,
			   const char *signer, const char *cert, size_t *len)
{
	struct hnbtre_distress_component failed = {
		.path = "/usr/lib/hnb/normal", .verdict = "mismatch",
		.class = "normal",
	};
	struct hnbtre_distress_msg msg = {
		.identity = IDENTITY, .sequence = seq, .time = 1764547200,
		.state = "failed", .nfailed = 1, .failed = &failed,
	};
	char header[HNBTRE_DISTRESS_HEADER_MAX], *json;
	size_t json_len, head, auth_len;
	uint8_t *frame;

	if (cert)
		msg.credential_cert = cert_der(cert, &msg.credential_cert_len);
	if (hnbtre_distress_encode(&msg, &json, &json_len))
		abort();
	auth_len = auth == HNBTRE_DISTRESS_AUTH_PSK ? 32 :
		   auth == HNBTRE_DISTRESS_AUTH_SIG ? 256 : 0;
	head = (size_t)hnbtre_distress_header(auth, json_len, auth_len, header);
	*len = head + json_len + auth_len;
	frame = malloc(*len);
	memcpy(frame, header, head);
	memcpy(frame + head, json, json_len);
	if (auth == HNBTRE_DISTRESS_AUTH_PSK &&
	    hnbtre_distress_hmac(psk, sizeof(psk), frame, head + json_len,
				 frame + head + json_len))
		abort();
	if (auth == HNBTRE_DISTRESS_AUTH_SIG &&
	    sign(signer, frame, head + json_len, frame + head + json_len) != 256)
		abort();
	free(json);
	free(msg.credential_cert);
	return frame;
}

/*
 * Parse and verify with the receiver's @key (PSK) and @ca: the verdict,
 * or -1 if the frame is malformed.
 */
static int verdict_with(const uint8_t *frame, size_t len, const uint8_t *key,
			size_t key_len, const char *ca, uint64_t last)
{
	struct hnbtre_distress_msg msg;
	char err[HNBTRE_ERR_LEN];
	int v = -1;

	if (!hnbtre_distress_parse(frame, len, &msg, err))
		v = hnbtre_distress_verify(&msg, key, key_len, ca, last);
	hnbtre_distress_free(&msg);
	return v;
}

/* The verdict with the device's PSK and the test CA. */
static int verdict_of(const uint8_t *frame, size_t len, uint64_t last)
{
	return verdict_with(frame, len, psk, sizeof(psk), pki_path("root.pem"),
			    last);
}

/* The verdict on a new frame @seq signed by @key_name with @cert_name. */
static int signed_verdict(uint64_t seq, const char *key_name,
			  const char *cert_name)
{
	size_t len;
	uint8_t *frame = make_frame(HNBTRE_DISTRESS_AUTH_SIG, seq, key_name,
				    cert_name, &len);
	int v = verdict_of(frame, len, 0);

	free(frame);
	return v;
}

/* Flip one byte at each offset in [from, to): every one is refused. */
static int all_flips_refused(uint8_t *frame, size_t len, size_t from,
			     size_t to)
{
	size_t i;

	for (i = from; i < to; i++) {
		int v;

		frame[i] ^= 0x01;
		v = verdict_of(frame, len, 0);
		frame[i] ^= 0x01;
		if (v == HNBTRE_DISTRESS_AUTHENTIC) {
			printf("# flip at %zu accepted\n", i);
			return 0;
		}
	}
	return 1;
}

static int parses(const char *text)
{
	struct hnbtre_distress_msg msg;
	int ret = hnbtre_distress_parse((const uint8_t *)text, strlen(text),
					&msg, NULL);

	hnbtre_distress_free(&msg);
	return ret == 0;
}

/* A message's members; a member repeated after it replaces it (json-c). */
#define MINIMAL "\"format\":\"" HNBTRE_DISTRESS_FORMAT "\",\"identity\":\"x\"," \
		"\"sequence\":1,\"time\":1,\"state\":\"failed\",\"failed\":[]"

/* @json as the message of an unauthenticated frame. */
static int message_parses(const char *json)
{
	char text[512];

	snprintf(text, sizeof(text), HNBTRE_DISTRESS_MAGIC "none %zu 0\n%s",
		 strlen(json), json);
	return parses(text);
}

int main(void)
{
	const char *env = getenv("PKI");
	struct hnbtre_distress_msg msg;
	uint8_t *frame, nonce[HNBTRE_DIGEST_LEN], nonce2[HNBTRE_DIGEST_LEN];
	size_t len, total, i;
	int ret;

	snprintf(pki, sizeof(pki), "%s", env ? env : "../build/pki");
	for (i = 0; i < sizeof(psk); i++)
		psk[i] = (uint8_t)(i * 7 + 1);
	tap_plan(21);

	frame = make_frame(HNBTRE_DISTRESS_AUTH_PSK, 10, NULL, NULL, &len);
	ret = hnbtre_distress_parse(frame, len, &msg, NULL);
	tap_ok(!ret && !strcmp(msg.identity, IDENTITY) && msg.sequence == 10 &&
	       msg.nfailed == 1 && !strcmp(msg.failed[0].path,
					   "/usr/lib/hnb/normal") &&
	       !strcmp(msg.failed[0].verdict, "mismatch") &&
	       !strcmp(msg.state, "failed"),
	       "a PSK frame parses back to the fields it was built from");
	hnbtre_distress_free(&msg);
	tap_ok(verdict_of(frame, len, 9) == HNBTRE_DISTRESS_AUTHENTIC,
	       "PSK: authentic with the device's key");
	tap_ok(verdict_of(frame, len, 10) == HNBTRE_DISTRESS_REPLAY &&
	       verdict_of(frame, len, 11) == HNBTRE_DISTRESS_REPLAY,
	       "PSK: the same message again (sequence not above the last) is a replay");
	tap_ok(all_flips_refused(frame, len, 0, len),
	       "PSK: a flipped byte anywhere (header, message, HMAC) is refused");
	psk[0] ^= 1;
	tap_ok(verdict_with(frame, len, psk, sizeof(psk), "/dev/null", 0) ==
	       HNBTRE_DISTRESS_BAD_AUTH,
	       "PSK: another key gives a bad authenticator");
	psk[0] ^= 1;
	tap_ok(verdict_with(frame, len, NULL, 0, "/dev/null", 0) ==
	       HNBTRE_DISTRESS_UNKNOWN_CREDENTIAL,
	       "PSK: no key provisioned for the identity: unknown credential");
	free(frame);

	frame = make_frame(HNBTRE_DISTRESS_AUTH_SIG, 20, "distress.key",
			   "distress.der", &len);
	tap_ok(verdict_of(frame, len, 19) == HNBTRE_DISTRESS_AUTHENTIC,
	       "signed: authentic, credential chains to the CA");
	tap_ok(all_flips_refused(frame, len, 0, len),
	       "signed: a flipped byte anywhere (header, message, certificate, signature) is refused");
	tap_ok(verdict_of(frame, len, 20) == HNBTRE_DISTRESS_REPLAY,
	       "signed: replay refused");
	tap_ok(verdict_with(frame, len, NULL, 0, pki_path("evil-root.pem"), 0) ==
	       HNBTRE_DISTRESS_UNKNOWN_CREDENTIAL,
	       "signed: a credential that does not chain to the CA is unknown");
	free(frame);
	tap_ok(signed_verdict(21, "distress-other.key", "distress-other.der") ==
	       HNBTRE_DISTRESS_WRONG_IDENTITY,
	       "signed: another device's credential is refused for this identity");
	tap_ok(signed_verdict(22, "device.key", "distress.der") ==
	       HNBTRE_DISTRESS_BAD_AUTH,
	       "signed: a signature by another key is refused");

	frame = make_frame(HNBTRE_DISTRESS_AUTH_NONE, 30, NULL, NULL, &len);
	tap_ok(verdict_of(frame, len, 0) == HNBTRE_DISTRESS_UNAUTHENTICATED,
	       "none: recorded as unauthenticated, never as authentic");
	tap_ok(hnbtre_distress_frame_len(frame, 10, &total) == -EAGAIN &&
	       !hnbtre_distress_frame_len(frame, len, &total) && total == len,
	       "frame length: incomplete header asks for more, complete gives the total");
	tap_ok(verdict_of(frame, len - 1, 0) == -1,
	       "truncated frame is malformed");
	free(frame);

	tap_ok(!parses(HNBTRE_DISTRESS_MAGIC "none 2 0\n{}") &&
	       !parses("HNBTRE-DISTRESS 2 none 2 0\n{}") &&
	       !parses(HNBTRE_DISTRESS_MAGIC "psk 2 0\n{}") &&
	       !parses(HNBTRE_DISTRESS_MAGIC "none 02 0\n{}") &&
	       !parses(HNBTRE_DISTRESS_MAGIC "none 99999999999999999999 0\n{}") &&
	       !parses(HNBTRE_DISTRESS_MAGIC "nonex 2 0\n{}"),
	       "bad header lines are refused");
	tap_ok(message_parses("{" MINIMAL "}"), "a minimal message parses");
	tap_ok(!message_parses("{" MINIMAL ",\"identity\":\"x\\u0000y\"}"),
	       "an identity with an embedded NUL is refused");
	tap_ok(!message_parses("{" MINIMAL ",\"sequence\":0}"),
	       "sequence 0 is refused");
	tap_ok(!message_parses("{" MINIMAL ",\"attestation\":\"@@@@\"}"),
	       "an attestation that is not base64 is refused");

	hnbtre_distress_nonce(IDENTITY, 1, 2, nonce);
	hnbtre_distress_nonce(IDENTITY, 2, 2, nonce2);
	tap_ok(memcmp(nonce, nonce2, sizeof(nonce)),
	       "the attestation nonce binds the sequence");
	return tap_done();
}
