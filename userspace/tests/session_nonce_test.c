// SPDX-License-Identifier: GPL-2.0-only
/*
 * Host tests of hnbtre_tls_session_nonce() (Documentation/tr069.md,
 * "Session attestation") on real OpenSSL connections over a memory BIO
 * pair: both ends derive the same nonce, another connection another one,
 * and a TLS 1.2 connection without the extended master secret none.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "hnbtre_tls.h"
#include "self_signed.h"
#include "tap.h"

static EVP_PKEY *key;
static X509 *cert;

/* The server's key and certificate; the client does not verify it. */
static void make_server_identity(void)
{
	key = EVP_RSA_gen(2048);
	if (!key)
		abort();
	cert = self_signed_cert(key, "hems.test");
}

struct ends {
	int client_ret, server_ret;
	uint8_t client[HNBTRE_SESSION_NONCE_LEN], server[HNBTRE_SESSION_NONCE_LEN];
	int before_handshake;	/* the client's result before any handshake */
};

/* One connection of @version, with or without EMS; the nonces of both ends. */
static void connection(int version, bool ems, struct ends *e)
{
	SSL_CTX *client_ctx = SSL_CTX_new(TLS_client_method());
	SSL_CTX *server_ctx = SSL_CTX_new(TLS_server_method());
	SSL *client, *server;
	BIO *client_bio, *server_bio;
	int i, done = 0;

	memset(e, 0, sizeof(*e));
	if (!client_ctx || !server_ctx ||
	    SSL_CTX_use_certificate(server_ctx, cert) != 1 ||
	    SSL_CTX_use_PrivateKey(server_ctx, key) != 1 ||
	    !SSL_CTX_set_min_proto_version(client_ctx, version) ||
	    !SSL_CTX_set_max_proto_version(client_ctx, version) ||
	    !BIO_new_bio_pair(&client_bio, 0, &server_bio, 0))
		abort();
	if (!ems) {
		SSL_CTX_set_options(client_ctx, SSL_OP_NO_EXTENDED_MASTER_SECRET);
		SSL_CTX_set_options(server_ctx, SSL_OP_NO_EXTENDED_MASTER_SECRET);
	}
	client = SSL_new(client_ctx);
	server = SSL_new(server_ctx);
	if (!client || !server)
		abort();
	SSL_set_bio(client, client_bio, client_bio);
	SSL_set_bio(server, server_bio, server_bio);
	SSL_set_connect_state(client);
	SSL_set_accept_state(server);
	e->before_handshake = hnbtre_tls_session_nonce(client, e->client);
	for (i = 0; i < 20 && done != 3; i++)
		done = (SSL_do_handshake(client) == 1) | (SSL_do_handshake(server) == 1) << 1;
	if (done != 3)
		abort();
	e->client_ret = hnbtre_tls_session_nonce(client, e->client);
	e->server_ret = hnbtre_tls_session_nonce(server, e->server);
	SSL_free(client);
	SSL_free(server);
	SSL_CTX_free(client_ctx);
	SSL_CTX_free(server_ctx);
}

int main(void)
{
	struct ends first, second;

	tap_plan(5);
	make_server_identity();

	connection(TLS1_3_VERSION, true, &first);
	tap_ok(!first.client_ret && !first.server_ret &&
	       !memcmp(first.client, first.server, HNBTRE_SESSION_NONCE_LEN),
	       "TLS 1.3: both ends derive the same session nonce");
	connection(TLS1_3_VERSION, true, &second);
	tap_ok(!second.client_ret && memcmp(first.client, second.client, HNBTRE_SESSION_NONCE_LEN),
	       "another connection: another nonce");
	tap_ok(first.before_handshake == -EPROTO, "before the handshake: -EPROTO (%d)",
	       first.before_handshake);

	connection(TLS1_2_VERSION, true, &first);
	tap_ok(!first.client_ret && !first.server_ret &&
	       !memcmp(first.client, first.server, HNBTRE_SESSION_NONCE_LEN),
	       "TLS 1.2 with the extended master secret: the same nonce at both ends");
	connection(TLS1_2_VERSION, false, &first);
	tap_ok(first.client_ret == -EPROTO && first.server_ret == -EPROTO,
	       "TLS 1.2 without the extended master secret: no session nonce (%d, %d)",
	       first.client_ret, first.server_ret);
	return tap_done();
}
