// SPDX-License-Identifier: GPL-2.0-only
/*
 * The H(e)MS's HTTPS server: libevent's evhttp with OpenSSL bufferevents.
 * libmicrohttpd would mean GnuTLS, and the device identity comes from the
 * client certificate: one TLS library (OpenSSL) on both sides.  One CWMP
 * session per TLS connection; the protocol is in acs.c.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "hems.h"
#include "hnbtre.h"
#include "hnbtre_cwmp.h"

#define OCSP_STAPLE_MAX	(64 * 1024)

struct connection {
	struct evhttp_connection *conn;
	struct connection *next;
	struct acs_session session;
};

struct server {
	const struct hems_config *config;
	SSL_CTX *ctx;
	struct store *db;
	struct revocation *revocation;
	struct connection *connections;
	int answers[2];		/* pipe: revocation checks done in their threads */
	unsigned int checking;	/* revocation checks under way */
};

/* A first request waiting for its device's revocation status. */
struct pending {
	struct server *srv;
	struct evhttp_request *req;
	struct connection *c;
	struct revocation_query *q;
};

/* Bounds the threads a flood of new devices with unknown status starts. */
#define CHECKING_MAX	256

static void handle(struct server *srv, struct evhttp_request *req, struct acs_session *s);
static void send_reply(struct evhttp_request *req, struct acs_reply *r);

static void connection_closed(struct evhttp_connection *conn, void *arg)
{
	struct server *srv = arg;
	struct connection **p, *c;

	for (p = &srv->connections; (c = *p); p = &c->next)
		if (c->conn == conn) {
			*p = c->next;
			acs_session_free(&c->session);
			free(c);
			return;
		}
}

static void reply_code(struct evhttp_request *req, int code)
{
	evhttp_send_reply(req, code, "Error", NULL);
}

/* A device refused before its session: it and the operator see @reason. */
static void refuse(struct server *srv, struct evhttp_request *req, const char *identity,
		   const char *reason)
{
	struct acs_reply r = { 0 };

	acs_refuse(srv->db, identity, NULL, reason, &r);
	send_reply(req, &r);
}

/* The session of @c becomes its connection's. */
static void admit(struct server *srv, struct connection *c, struct evhttp_connection *conn)
{
	c->conn = conn;
	c->next = srv->connections;
	srv->connections = c;
	evhttp_connection_set_closecb(conn, connection_closed, srv);
}

static void *check_revocation(void *arg)
{
	struct pending *p = arg;

	revocation_query_run(p->q);
	/* a pointer, less than PIPE_BUF: written whole */
	if (write(p->srv->answers[1], &p, sizeof(p)) != sizeof(p))
		abort();
	return NULL;
}

/*
 * A revocation status found in a thread: the waiting first request is
 * served or refused.  A device that closed its connection meanwhile left
 * the request without one (libevent frees it at the reply).
 */
static void revocation_answered(evutil_socket_t fd, short what, void *arg)
{
	struct server *srv = arg;
	char line[REVOCATION_LINE_LEN];
	struct evhttp_connection *conn;
	struct pending *p;

	(void)what;
	if (read(fd, &p, sizeof(p)) != sizeof(p))
		return;
	srv->checking--;
	conn = evhttp_request_get_connection(p->req);
	if (!revocation_finish(srv->revocation, p->q, line) || !conn) {
		refuse(srv, p->req, p->c->session.identity, line);
		acs_session_free(&p->c->session);
		free(p->c);
	} else {
		admit(srv, p->c, conn);
		handle(srv, p->req, &p->c->session);
	}
	free(p);
}

/*
 * The session of this connection; made at the first request, with the
 * identity from the client certificate (its CN, which the TrE also
 * signs into attestations) and the connection's session attestation
 * nonce, once the certificate's revocation status admits it (TS 33.320
 * 8.3.2.1: before anything of the device is looked at or stored).  NULL
 * with *@answered: the request is refused, or answered once the status is
 * known.
 */
static struct acs_session *session_of(struct server *srv, struct evhttp_request *req,
				      bool *answered)
{
	struct evhttp_connection *conn = evhttp_request_get_connection(req);
	struct bufferevent *bev = evhttp_connection_get_bufferevent(conn);
	SSL *ssl = bufferevent_openssl_get_ssl(bev);
	struct revocation_query *q;
	struct connection *c;
	struct pending *p;
	char line[REVOCATION_LINE_LEN];
	pthread_t thread;
	X509 *peer;
	int ret;

	*answered = false;
	for (c = srv->connections; c; c = c->next)
		if (c->conn == conn)
			return &c->session;
	peer = ssl ? SSL_get1_peer_certificate(ssl) : NULL;
	if (!peer)
		return NULL;
	c = calloc(1, sizeof(*c));
	if (c && acs_session_init(&c->session, peer, SSL_CTX_get_cert_store(srv->ctx))) {
		free(c);
		c = NULL;
	} else if (c) {
		c->session.reboot_on_mismatch = srv->config->reboot_on_mismatch;
		c->session.trust_on_first_use = srv->config->trust_on_first_use;
		c->session.update_timeout = srv->config->update_timeout;
		c->session.no_attestation_check = srv->config->no_attestation_check;
		c->session.session_bound =
			!hnbtre_tls_session_nonce(ssl, c->session.session_nonce);
	}
	X509_free(peer);
	if (!c)
		return NULL;
	hems_log("TLS session from %s (%s)", c->session.identity, SSL_get_version(ssl));
	ret = revocation_start(srv->revocation, ssl, c->session.identity, &q, line);
	if (ret == -EINPROGRESS) {
		p = calloc(1, sizeof(*p));
		if (p && srv->checking < CHECKING_MAX) {
			*p = (struct pending) { .srv = srv, .req = req, .c = c, .q = q };
			if (!pthread_create(&thread, NULL, check_revocation, p)) {
				pthread_detach(thread);
				srv->checking++;
				*answered = true;
				return NULL;
			}
		}
		free(p);
		snprintf(line, sizeof(line), "no revocation check of the certificate of %s: "
			 "too many under way, no session", c->session.identity);
		revocation_query_drop(q);
		ret = 0;
	}
	if (ret != 1) {
		refuse(srv, req, c->session.identity, line);
		*answered = true;
		acs_session_free(&c->session);
		free(c);
		return NULL;
	}
	admit(srv, c, conn);
	return &c->session;
}

static void on_request(struct evhttp_request *req, void *arg)
{
	struct server *srv = arg;
	struct evkeyvalq *headers = evhttp_request_get_input_headers(req);
	struct acs_session *s;
	bool answered;

	if (evhttp_find_header(headers, "Authorization"))
		hems_log("request with an Authorization header%s%s", "", "");
	if (srv->config->demand_auth) {
		/* test only: an ACS that asks for HTTP authentication */
		evhttp_add_header(evhttp_request_get_output_headers(req), "WWW-Authenticate",
				  srv->config->demand_auth);
		reply_code(req, 401);
	} else if ((s = session_of(srv, req, &answered))) {
		handle(srv, req, s);
	} else if (!answered) {
		reply_code(req, 403);
	}
}

/* A request of an admitted device's session. */
static void handle(struct server *srv, struct evhttp_request *req, struct acs_session *s)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	struct acs_reply r = { .code = 400 };
	size_t len = evbuffer_get_length(in);

	if (evhttp_request_get_command(req) == EVHTTP_REQ_GET) {
		/* the package of a Download, over the same mutual TLS */
		r.code = acs_package(srv->db, s, evhttp_request_get_uri(req), &r.body,
				     &r.len) ? 404 : 200;
		if (r.code == 200)
			evhttp_add_header(evhttp_request_get_output_headers(req),
					  "Content-Type", "application/octet-stream");
	} else if (len <= CWMP_MAX_ENVELOPE) {
		store_begin(srv->db);
		acs_handle(srv->db, srv->config->public_url, s,
			   (const char *)evbuffer_pullup(in, len), len, &r);
		store_commit(srv->db);
	}
	send_reply(req, &r);
}

/* @r's status and body (kept only for 200 and a refusal's 403). */
static void send_reply(struct evhttp_request *req, struct acs_reply *r)
{
	struct evbuffer *out = evbuffer_new();

	if (r->body && r->code != 200 && r->code != 403) {
		free(r->body);
		r->body = NULL;
	}
	if (r->body && !evhttp_find_header(evhttp_request_get_output_headers(req),
					  "Content-Type")) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
				  "text/xml; charset=\"utf-8\"");
	}
	if (r->body)
		evbuffer_add(out, r->body, r->len);
	evhttp_send_reply(req, r->code, r->code == 200 ? "OK" : r->code == 204 ? "No Content" :
			  r->code == 403 ? "Forbidden" : "Error", out);
	evbuffer_free(out);
	free(r->body);
}

static struct bufferevent *new_tls_connection(struct event_base *base, void *arg)
{
	struct server *srv = arg;

	return bufferevent_openssl_socket_new(base, -1, SSL_new(srv->ctx),
					      BUFFEREVENT_SSL_ACCEPTING,
					      BEV_OPT_CLOSE_ON_FREE);
}

/*
 * OCSP stapling for a client that asks: the response in --ocsp-staple,
 * read at each handshake so that whatever refreshes the file (e.g.
 * `openssl ocsp -respout` from cron) needs no restart.  The client
 * verifies it; without a readable file nothing is stapled.
 */
static int staple_ocsp_response(SSL *ssl, void *arg)
{
	const struct hems_config *config = arg;
	uint8_t *der = NULL;
	size_t len = 0;
	void *copy;

	if (hnbtre_read_file(config->ocsp_staple, OCSP_STAPLE_MAX, &der, &len) || !len) {
		free(der);
		hems_log("no OCSP response to staple in %s%s", config->ocsp_staple, "");
		return SSL_TLSEXT_ERR_NOACK;
	}
	copy = OPENSSL_memdup(der, len);
	free(der);
	if (!copy || !SSL_set_tlsext_status_ocsp_resp(ssl, copy, (long)len)) {
		OPENSSL_free(copy);
		return SSL_TLSEXT_ERR_NOACK;
	}
	return SSL_TLSEXT_ERR_OK;
}

/* TLS 1.2+, AEAD suites, a client certificate chaining to the roots. */
static SSL_CTX *server_ctx(const struct hems_config *config)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	if (!ctx || !SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) ||
	    !SSL_CTX_set_cipher_list(ctx, "ECDHE+AESGCM:ECDHE+CHACHA20:!aNULL:!eNULL") ||
	    SSL_CTX_use_certificate_chain_file(ctx, config->cert_path) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, config->key_path, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_load_verify_locations(ctx, config->ca_path, NULL) != 1) {
		ERR_print_errors_fp(stderr);
		SSL_CTX_free(ctx);
		return NULL;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	if (config->ocsp_staple) {
		SSL_CTX_set_tlsext_status_cb(ctx, staple_ocsp_response);
		SSL_CTX_set_tlsext_status_arg(ctx, (void *)config);
	}
	return ctx;
}

/*
 * Updates whose device never comes back are timed out too: the sweep runs
 * every tenth of the timeout (at least each second, at most each minute).
 */
static void sweep_updates(evutil_socket_t fd, short what, void *arg)
{
	struct server *srv = arg;

	(void)fd;
	(void)what;
	store_begin(srv->db);
	acs_expire_updates(srv->db, srv->config->update_timeout, NULL);
	store_commit(srv->db);
}

int hems_serve(const struct hems_config *config)
{
	struct timeval sweep_period = { .tv_sec = config->update_timeout / 10 };
	struct event *sweep, *answers;
	struct server srv = { .config = config };
	struct distress_listener *distress_tls, *distress_tcp, *distress_ike;
	struct event_base *base;
	struct evhttp *http;

	/* a device that closes its connection while we write must not end the server */
	signal(SIGPIPE, SIG_IGN);
	srv.ctx = server_ctx(config);
	if (!srv.ctx || store_open(config->db_path, &srv.db))
		return 1;
	srv.revocation = revocation_new(config, SSL_CTX_get_cert_store(srv.ctx));
	if (!srv.revocation)
		return 1;
	base = event_base_new();
	http = base ? evhttp_new(base) : NULL;
	if (!http) {
		fprintf(stderr, "hnbtre-hems: libevent setup failed\n");
		return 1;
	}
	/* libcurl's global state, before any thread uses it */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) || pipe(srv.answers)) {
		fprintf(stderr, "hnbtre-hems: setup failed\n");
		return 1;
	}
	answers = event_new(base, srv.answers[0], EV_READ | EV_PERSIST, revocation_answered,
			    &srv);
	if (!answers || event_add(answers, NULL)) {
		fprintf(stderr, "hnbtre-hems: libevent setup failed\n");
		return 1;
	}
	if (sweep_period.tv_sec < 1)
		sweep_period.tv_sec = 1;
	if (sweep_period.tv_sec > 60)
		sweep_period.tv_sec = 60;
	sweep = event_new(base, -1, EV_PERSIST, sweep_updates, &srv);
	if (!sweep || event_add(sweep, &sweep_period)) {
		fprintf(stderr, "hnbtre-hems: libevent setup failed\n");
		return 1;
	}
	evhttp_set_bevcb(http, new_tls_connection, &srv);
	evhttp_set_gencb(http, on_request, &srv);
	evhttp_set_max_body_size(http, CWMP_MAX_ENVELOPE);
	evhttp_set_allowed_methods(http, EVHTTP_REQ_POST | EVHTTP_REQ_GET);
	if (evhttp_bind_socket(http, config->listen_addr, config->port)) {
		fprintf(stderr, "hnbtre-hems: cannot listen on %s:%u\n", config->listen_addr,
			config->port);
		return 1;
	}
	if (distress_listen(base, config, srv.db, &distress_tls, &distress_tcp,
			    &distress_ike)) {
		fprintf(stderr, "hnbtre-hems: cannot receive distress indications on %s\n",
			config->listen_addr);
		return 1;
	}
	if (config->revocation == REVOCATION_OFF)
		fprintf(stderr, "hnbtre-hems: device certificates are not checked for "
			"revocation (--revocation off)\n");
	else
		fprintf(stderr, "hnbtre-hems: device certificates checked by %s (%s), %s\n",
			config->revocation == REVOCATION_OCSP ? "OCSP" : "CRL",
			config->revocation == REVOCATION_OCSP ? config->ocsp_responder :
			config->crl_path, config->revocation_soft ? "soft" : "strict");
	if (config->trust_on_first_use)
		fprintf(stderr, "hnbtre-hems: TRUST ON FIRST USE (--trust-on-first-use): a "
			"device's first attested RIM is stored even if no release has it\n");
	if (config->no_attestation_check)
		fprintf(stderr, "hnbtre-hems: BENCHMARK BASELINE (--no-attestation-check): "
			"no device is attested, every session ends after its Inform\n");
	fprintf(stderr, "hnbtre-hems: listening on %s:%u\n", config->listen_addr, config->port);
	event_base_dispatch(base);
	distress_close(distress_tls);
	distress_close(distress_tcp);
	distress_close(distress_ike);
	event_free(sweep);
	event_free(answers);
	evhttp_free(http);
	event_base_free(base);
	store_close(srv.db);
	revocation_free(srv.revocation);
	SSL_CTX_free(srv.ctx);
	return 0;
}
