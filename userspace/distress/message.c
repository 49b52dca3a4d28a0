// SPDX-License-Identifier: GPL-2.0-only
/*
 * hnbtre-distress: the distress indication message (TS 33.320 7.12.3,
 * 7.12.5 item 4): who the device is and what failed, with the TrE's
 * attestation, authenticated with the PSK or the distress credential.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>

#include <keyutils.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "distress.h"
#include "hnbtre_tls.h"

static char *read_text(const char *name)
{
	char *line;

	return hnbtre_sysfs_line(name, &line) ? NULL : line;
}

static uint8_t *read_cert_der(const char *path, size_t *len)
{
	BIO *bio = BIO_new_file(path, "rb");
	X509 *cert = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
	unsigned char *der = NULL;
	int n = cert ? i2d_X509(cert, &der) : -1;

	BIO_free(bio);
	X509_free(cert);
	*len = n > 0 ? (size_t)n : 0;
	return n > 0 ? der : NULL;
}

/* Components that did not pass, with their classes. */
static int failed_components(struct hnbtre_distress_msg *msg)
{
	struct hnbtre_components list;
	size_t i;
	int ret = hnbtre_components_read(&list);

	if (ret)
		return -1;
	msg->failed = calloc(HNBTRE_DISTRESS_FAILED_MAX,
			     sizeof(*msg->failed));
	if (!msg->failed)
		ret = -1;
	for (i = 0; !ret && i < list.count &&
	     msg->nfailed < HNBTRE_DISTRESS_FAILED_MAX; i++) {
		const struct hnbtre_component_status *l = &list.items[i];
		struct hnbtre_distress_component *c;

		if (l->verdict == HNBTRE_VERDICT_OK)
			continue;
		c = &msg->failed[msg->nfailed++];
		c->path = strdup(l->path);
		c->verdict = strdup(hnbtre_verdict_name(l->verdict));
		c->class = strdup(hnbtre_class_name(l->class));
		if (!c->path || !c->verdict || !c->class)
			ret = -1;
	}
	hnbtre_components_free(&list);
	return ret;
}

/*
 * The device certificate as a failed component of class "credential"
 * (verdict "expired" or "revoked"): receivers that know only components
 * record it as one.
 */
static int credential_failed(const struct config *c, const char *why,
			     struct hnbtre_distress_msg *msg)
{
	struct hnbtre_distress_component *e;

	if (msg->nfailed >= HNBTRE_DISTRESS_FAILED_MAX)
		return 0;
	e = &msg->failed[msg->nfailed++];
	e->path = strdup(c->device_cert[0] ? c->device_cert : "device certificate");
	e->verdict = strdup(why);
	e->class = strdup("credential");
	return e->path && e->verdict && e->class ? 0 : -1;
}

/* A sequence above every one sent before, persisted before it is used. */
static int next_sequence(const char *state_dir, uint64_t *out)
{
	char path[PATH_MAX], text[32];
	uint64_t last = 0, now = (uint64_t)time(NULL);
	uint8_t *data;
	size_t len;
	int n, ret;

	if (snprintf(path, sizeof(path), "%s/sequence", state_dir) >=
	    (int)sizeof(path))
		return -1;
	if (!hnbtre_read_file(path, 31, &data, &len)) {
		last = strtoull((char *)data, NULL, 10);
		free(data);
	}
	/* The clock keeps it rising when the state was lost. */
	*out = last >= now ? last + 1 : now;
	n = snprintf(text, sizeof(text), "%" PRIu64 "\n", *out);
	mkdir(state_dir, 0700);
	ret = hnbtre_write_atomic(path, text, (size_t)n);
	if (ret) {
		errno = -ret;
		say(LOG_ERR, "cannot persist the sequence in %s: %m", state_dir);
	}
	return ret ? -1 : 0;
}

/* The TrE signs: only this executable may use the credential. */
long credential_sign_digest(const uint8_t *digest, uint8_t *sig,
			    size_t sig_max)
{
	int32_t key = hnbtre_tre_key_serial(HNBTRE_DISTRESS_KEY_DESC);
	struct keyctl_pkey_query query;
	long n;

	if (key < 0) {
		say(LOG_ERR, "no distress credential in %s",
		    HNBTRE_DEVICE_KEYRING);
		return -1;
	}
	/* the kernel refuses a buffer above the key's signature size */
	if (keyctl_pkey_query(key, "", &query) < 0) {
		say(LOG_ERR, "cannot query the distress credential: %m");
		return -1;
	}
	if (query.max_sig_size > sig_max) {
		say(LOG_ERR, "the distress credential's signatures exceed %zu bytes",
		    sig_max);
		return -1;
	}
	n = keyctl_pkey_sign(key, "enc=pkcs1 hash=sha256", digest,
			     HNBTRE_DIGEST_LEN, sig, query.max_sig_size);
	if (n < 0)
		say(LOG_ERR, "the TrE refused the distress credential: %m");
	return n;
}

static int sign_with_credential(const uint8_t *data, size_t len,
				uint8_t *sig, size_t sig_len)
{
	uint8_t digest[HNBTRE_DIGEST_LEN];

	if (!EVP_Digest(data, len, digest, NULL, EVP_sha256(), NULL))
		return -1;
	return credential_sign_digest(digest, sig, sig_len) == (long)sig_len ?
	       0 : -1;
}

int collect(const struct config *c, const char *credential_failure,
	    struct hnbtre_distress_msg *msg)
{
	uint8_t nonce[HNBTRE_DIGEST_LEN];

	msg->auth = c->auth;
	msg->identity = read_text("identity");
	msg->state = read_text("state");
	if (!msg->identity || !msg->state) {
		say(LOG_ERR, "cannot read identity and state from the TrE");
		return -1;
	}
	/*
	 * unvalidated too stops normal communication (TS 33.320 7.12), and
	 * so does a failed device certificate on a trusted device
	 */
	if (!credential_failure &&
	    !strcmp(msg->state, hnbtre_state_name(HNBTRE_STATE_TRUSTED)))
		return EXIT_NOTHING;
	if (failed_components(msg) ||
	    (credential_failure && credential_failed(c, credential_failure, msg)) ||
	    next_sequence(c->state_dir, &msg->sequence))
		return -1;
	msg->time = time(NULL);
	hnbtre_distress_nonce(msg->identity, msg->sequence, msg->time, nonce);
	if (hnbtre_attest(nonce, sizeof(nonce), &msg->attestation,
			  &msg->attestation_len))
		say(LOG_WARNING, "no attestation from the TrE: sending without");
	if (c->device_cert[0])
		msg->device_cert = read_cert_der(c->device_cert,
						 &msg->device_cert_len);
	if (c->auth == HNBTRE_DISTRESS_AUTH_SIG) {
		msg->credential_cert = read_cert_der(c->credential_cert,
						     &msg->credential_cert_len);
		if (!msg->credential_cert) {
			say(LOG_ERR, "cannot read %s", c->credential_cert);
			return -1;
		}
	}
	return 0;
}

/* Size of the signature: the credential's modulus, needed in the header. */
static size_t credential_sig_len(const struct hnbtre_distress_msg *msg)
{
	const unsigned char *p = msg->credential_cert;
	X509 *cert = d2i_X509(NULL, &p, (long)msg->credential_cert_len);
	int size = cert ? EVP_PKEY_get_size(X509_get0_pubkey(cert)) : 0;

	X509_free(cert);
	return size > 0 && size <= HNBTRE_DISTRESS_AUTH_MAX ? (size_t)size : 0;
}

int build_frame(const struct config *c,
		       const struct hnbtre_distress_msg *msg, uint8_t **frame,
		       size_t *len)
{
	char *json = NULL, header[HNBTRE_DISTRESS_HEADER_MAX];
	size_t json_len, auth_len = 0, psk_len = 0, head_len;
	uint8_t *psk = NULL;
	int ret = -1;

	if (hnbtre_distress_encode(msg, &json, &json_len))
		return -1;
	if (c->auth == HNBTRE_DISTRESS_AUTH_PSK)
		auth_len = HNBTRE_DISTRESS_HMAC_LEN;
	else if (c->auth == HNBTRE_DISTRESS_AUTH_SIG)
		auth_len = credential_sig_len(msg);
	if (c->auth == HNBTRE_DISTRESS_AUTH_SIG && !auth_len)
		goto out;
	head_len = (size_t)hnbtre_distress_header(c->auth, json_len, auth_len,
						  header);
	*len = head_len + json_len + auth_len;
	*frame = malloc(*len);
	if (!*frame)
		goto out;
	memcpy(*frame, header, head_len);
	memcpy(*frame + head_len, json, json_len);
	if (c->auth == HNBTRE_DISTRESS_AUTH_PSK) {
		if (hnbtre_read_file(c->psk_file, 1024, &psk, &psk_len) ||
		    hnbtre_distress_hmac(psk, psk_len, *frame,
					 head_len + json_len,
					 *frame + head_len + json_len)) {
			say(LOG_ERR, "cannot use the PSK in %s", c->psk_file);
			goto out;
		}
	} else if (c->auth == HNBTRE_DISTRESS_AUTH_SIG &&
		   sign_with_credential(*frame, head_len + json_len,
					*frame + head_len + json_len,
					auth_len)) {
		goto out;
	}
	ret = 0;
out:
	if (psk)
		OPENSSL_cleanse(psk, psk_len);
	free(psk);
	free(json);
	return ret;
}
