// SPDX-License-Identifier: GPL-2.0-only
/*
 * The ACS side of CWMP over HTTPS, on libevent's evhttp with OpenSSL
 * bufferevents (libmicrohttpd would mean GnuTLS, and the device identity
 * comes from the client certificate: one TLS library on both sides).
 *
 * Per TLS connection, one CWMP session:
 *   Inform -> InformResponse; TransferComplete -> TransferCompleteResponse;
 *   empty POST -> SetParameterValues(AttestationNonce = fresh nonce);
 *   SetParameterValuesResponse -> GetParameterValues(Attestation);
 *   GetParameterValuesResponse -> the PVE check, recorded; 204 ends it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "hems.h"
#include "hnbtre.h"
#include "hnbtre_cwmp.h"

#define TRE "Device.X_HNBTRE_TrE."

enum step { EXPECT_INFORM, INFORMED, NONCE_SENT, ATTESTATION_ASKED, DONE };

struct cwmp_session {
	struct evhttp_connection *conn;
	struct cwmp_session *next;
	enum step step;
	char identity[HNBTRE_IDENTITY_MAX + 1];
	unsigned char *cert_der;
	int cert_len;
	uint8_t nonce[32];
};

struct server {
	const struct hems_config *config;
	SSL_CTX *ctx;
	sqlite3 *db;
	struct cwmp_session *sessions;
};

static void log_line(const char *fmt, const char *a, const char *b)
{
	fprintf(stderr, "hnbtre-hems: ");
	fprintf(stderr, fmt, a, b);
	fputc('\n', stderr);
}

static void now_iso(char *buf, size_t len)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void session_closed(struct evhttp_connection *conn, void *arg)
{
	struct server *srv = arg;
	struct cwmp_session **p, *s;

	for (p = &srv->sessions; (s = *p); p = &s->next)
		if (s->conn == conn) {
			*p = s->next;
			OPENSSL_free(s->cert_der);
			free(s);
			return;
		}
}

/*
 * The session of this connection; made at the first request, with the
 * identity from the client certificate (its CN, which the TrE also
 * signs into attestations).
 */
static struct cwmp_session *session_of(struct server *srv, struct evhttp_request *req)
{
	struct evhttp_connection *conn = evhttp_request_get_connection(req);
	struct bufferevent *bev = evhttp_connection_get_bufferevent(conn);
	SSL *ssl = bufferevent_openssl_get_ssl(bev);
	struct cwmp_session *s;
	X509 *peer;
	int len;

	for (s = srv->sessions; s; s = s->next)
		if (s->conn == conn)
			return s;
	peer = ssl ? SSL_get1_peer_certificate(ssl) : NULL;
	if (!peer)
		return NULL;
	s = calloc(1, sizeof(*s));
	len = s ? X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName,
					    s->identity, sizeof(s->identity)) : -1;
	if (s)
		s->cert_len = i2d_X509(peer, &s->cert_der);
	X509_free(peer);
	if (len <= 0 || s->cert_len <= 0) {
		if (s)
			OPENSSL_free(s->cert_der);
		free(s);
		return NULL;
	}
	log_line("TLS session from %s (%s)", s->identity, SSL_get_version(ssl));
	s->conn = conn;
	s->next = srv->sessions;
	srv->sessions = s;
	evhttp_connection_set_closecb(conn, session_closed, srv);
	return s;
}

static void reply(struct evhttp_request *req, int code, char *body, size_t len)
{
	struct evbuffer *buf = evbuffer_new();

	if (body) {
		evbuffer_add(buf, body, len);
		evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
				  "text/xml; charset=\"utf-8\"");
	}
	evhttp_send_reply(req, code, code == 200 ? "OK" : code == 204 ? "No Content" :
			  "Error", buf);
	evbuffer_free(buf);
	free(body);
}

static void reply_out(struct evhttp_request *req, struct cwmp_out *o)
{
	char *body;
	size_t len;

	if (cwmp_out_finish(o, &body, &len))
		reply(req, 500, NULL, 0);
	else
		reply(req, 200, body, len);
}

static void record_event(struct server *srv, struct cwmp_session *s,
			 const char *code, const char *key)
{
	char now[32];
	const char *p[4] = { s->identity, now, code, key };

	now_iso(now, sizeof(now));
	store_exec(srv->db, "INSERT INTO events (identity, time, code, command_key) "
		   "VALUES (?, ?, ?, ?)", 4, p);
}

/* Value of a ParameterValueStruct in a ParameterList, or NULL. */
static char *param_value(xmlNodePtr list, const char *name, size_t max)
{
	xmlNodePtr n;

	for (n = cwmp_next_element(list ? list->children : NULL); n;
	     n = cwmp_next_element(n->next)) {
		char *this = cwmp_text(n, "Name", 256);
		int match = this && !strcmp(this, name);

		free(this);
		if (match)
			return cwmp_text(n, "Value", max);
	}
	return NULL;
}

static int on_inform(struct server *srv, struct cwmp_session *s,
		     const struct cwmp_msg *msg, struct evhttp_request *req)
{
	xmlNodePtr id = cwmp_child(msg->method, "DeviceId"), ev, n;
	xmlNodePtr params = cwmp_child(msg->method, "ParameterList");
	char *serial = cwmp_text(id, "SerialNumber", HNBTRE_IDENTITY_MAX);
	char *state = param_value(params, TRE "State", 32);
	char *tim = param_value(params, TRE "TIM", 80);
	char *certhex = NULL, now[32];
	struct cwmp_out o;
	int ret = -1;

	if (!serial || strcmp(serial, s->identity)) {
		log_line("Inform from %s claims serial number %s: refused", s->identity,
			 serial ? serial : "(none)");
		goto out;
	}
	now_iso(now, sizeof(now));
	{
		const char *p[] = { s->identity, now, state, tim };

		/* the certificate column is set below as a blob */
		if (store_exec(srv->db, "INSERT INTO devices (identity, cert, last_inform, state, "
			       "last_tim) VALUES (?1, x'', ?2, ?3, ?4) ON CONFLICT(identity) DO "
			       "UPDATE SET last_inform = ?2, state = ?3, last_tim = ?4", 4, p))
			goto out;
	}
	{
		sqlite3_stmt *st;

		if (sqlite3_prepare_v2(srv->db, "UPDATE devices SET cert = ? WHERE identity = ?",
				       -1, &st, NULL) == SQLITE_OK) {
			sqlite3_bind_blob(st, 1, s->cert_der, s->cert_len, SQLITE_TRANSIENT);
			sqlite3_bind_text(st, 2, s->identity, -1, SQLITE_TRANSIENT);
			sqlite3_step(st);
		}
		sqlite3_finalize(st);
	}
	ev = cwmp_child(msg->method, "Event");
	for (n = cwmp_next_element(ev ? ev->children : NULL); n; n = cwmp_next_element(n->next)) {
		char *code = cwmp_text(n, "EventCode", 64), *key = cwmp_text(n, "CommandKey", 64);

		if (code)
			record_event(srv, s, code, key);
		free(code);
		free(key);
	}
	log_line("Inform from %s, TrE state %s", s->identity, state ? state : "?");
	if (cwmp_out_new(&o, msg->id, "InformResponse") ||
	    !cwmp_add(o.method, "MaxEnvelopes", "1")) {
		cwmp_out_free(&o);
		goto out;
	}
	reply_out(req, &o);
	s->step = INFORMED;
	ret = 0;
out:
	free(serial);
	free(state);
	free(tim);
	free(certhex);
	return ret;
}

static void send_nonce(struct cwmp_session *s, struct evhttp_request *req)
{
	char hex[2 * sizeof(s->nonce) + 1];
	struct cwmp_out o;
	xmlNodePtr list;
	size_t i;

	RAND_bytes(s->nonce, sizeof(s->nonce));
	for (i = 0; i < sizeof(s->nonce); i++)
		snprintf(hex + 2 * i, 3, "%02x", s->nonce[i]);
	if (cwmp_out_new(&o, "nonce", "SetParameterValues") ||
	    !(list = cwmp_add_array(o.method, "ParameterList", "cwmp:ParameterValueStruct", 1)) ||
	    cwmp_add_value(list, TRE "AttestationNonce", hex, "xsd:hexBinary") ||
	    !cwmp_add(o.method, "ParameterKey", "attest")) {
		cwmp_out_free(&o);
		reply(req, 500, NULL, 0);
		return;
	}
	reply_out(req, &o);
	s->step = NONCE_SENT;
}

static void ask_attestation(struct cwmp_session *s, struct evhttp_request *req)
{
	struct cwmp_out o;
	xmlNodePtr names;

	if (cwmp_out_new(&o, "attestation", "GetParameterValues") ||
	    !(names = cwmp_add_array(o.method, "ParameterNames", "xsd:string", 1)) ||
	    !cwmp_add(names, "string", TRE "Attestation")) {
		cwmp_out_free(&o);
		reply(req, 500, NULL, 0);
		return;
	}
	reply_out(req, &o);
	s->step = ATTESTATION_ASKED;
}

/*
 * The PVE check: signature with the device certificate, our nonce, the
 * certificate's identity, state trusted, TIM equal to the stored RIM
 * (the RIM inside the attestation when none is stored yet: the first
 * one is recorded).  A failure marks the device for maintenance.
 */
static void check_attestation(struct server *srv, struct cwmp_session *s,
			      const struct cwmp_msg *msg)
{
	char *b64 = param_value(cwmp_child(msg->method, "ParameterList"), TRE "Attestation",
				8192);
	char now[32], nonce_hex[65], tim[72] = "", rim[72] = "", counter[24] = "";
	uint8_t stored_rim[HNBTRE_DIGEST_LEN], *blob = NULL;
	const uint8_t *expected = NULL;
	struct hnbtre_attestation att;
	const char *verdict_text;
	sqlite3_stmt *st;
	int len = -1, verdict = HNBTRE_ATTEST_MALFORMED;
	size_t i;

	if (sqlite3_prepare_v2(srv->db, "SELECT rim FROM devices WHERE identity = ?", -1,
			       &st, NULL) == SQLITE_OK) {
		const char *r;

		sqlite3_bind_text(st, 1, s->identity, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(st) == SQLITE_ROW &&
		    (r = (const char *)sqlite3_column_text(st, 0)) &&
		    strlen(r) == 7 + 2 * HNBTRE_DIGEST_LEN) {
			for (i = 0; i < HNBTRE_DIGEST_LEN; i++)
				sscanf(r + 7 + 2 * i, "%2hhx", &stored_rim[i]);
			expected = stored_rim;
		}
		sqlite3_finalize(st);
	}
	if (b64) {
		blob = malloc(strlen(b64) + 1);
		len = blob ? EVP_DecodeBlock(blob, (unsigned char *)b64, strlen(b64)) : -1;
		/* EVP_DecodeBlock counts the padding as zero bytes */
		if (len > 0 && strlen(b64) >= 2)
			len -= (b64[strlen(b64) - 1] == '=') + (b64[strlen(b64) - 2] == '=');
	}
	if (len > 0)
		verdict = hnbtre_verify_attestation_der(blob, len, s->cert_der, s->cert_len,
							s->nonce, sizeof(s->nonce), expected,
							&att);
	verdict_text = verdict < 0 ? "malformed" : verdict == HNBTRE_ATTEST_VALID ? "valid" :
		       hnbtre_attest_verdict_str(verdict);
	if (verdict > HNBTRE_ATTEST_MALFORMED || verdict == HNBTRE_ATTEST_VALID) {
		char hex[2 * HNBTRE_DIGEST_LEN + 1];

		hnbtre_hex(att.tim, hex);
		snprintf(tim, sizeof(tim), "sha256:%s", hex);
		hnbtre_hex(att.rim, hex);
		snprintf(rim, sizeof(rim), "sha256:%s", hex);
		snprintf(counter, sizeof(counter), "%llu", (unsigned long long)att.counter);
	}
	for (i = 0; i < sizeof(s->nonce); i++)
		snprintf(nonce_hex + 2 * i, 3, "%02x", s->nonce[i]);
	now_iso(now, sizeof(now));
	{
		const char *p[] = { s->identity, now, nonce_hex, verdict_text,
				    verdict >= 0 && verdict != HNBTRE_ATTEST_MALFORMED ?
				    hnbtre_state_name(att.state) : NULL, tim, rim, counter };

		store_exec(srv->db, "INSERT INTO attestations (identity, time, nonce, verdict, "
			   "state, tim, rim, counter) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", 8, p);
	}
	if (verdict == HNBTRE_ATTEST_VALID) {
		const char *p[] = { s->identity, rim };

		/* first valid attestation: its RIM becomes the stored one */
		store_exec(srv->db, "UPDATE devices SET rim = COALESCE(rim, ?2) "
			   "WHERE identity = ?1", 2, p);
	} else {
		const char *p[] = { s->identity };

		store_exec(srv->db, "UPDATE devices SET status = 'maintenance' "
			   "WHERE identity = ?", 1, p);
	}
	log_line("attestation of %s: %s", s->identity, verdict_text);
	free(b64);
	free(blob);
}

static void on_request(struct evhttp_request *req, void *arg)
{
	struct server *srv = arg;
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	struct evkeyvalq *headers = evhttp_request_get_input_headers(req);
	size_t len = evbuffer_get_length(in);
	char err[CWMP_ERR_LEN];
	struct cwmp_session *s;
	struct cwmp_msg msg;
	struct cwmp_out o;

	if (evhttp_find_header(headers, "Authorization"))
		log_line("request with an Authorization header%s%s", "", "");
	if (srv->config->demand_auth) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "WWW-Authenticate",
				  srv->config->demand_auth);
		reply(req, 401, NULL, 0);
		return;
	}
	s = session_of(srv, req);
	if (!s || evhttp_request_get_command(req) != EVHTTP_REQ_POST ||
	    len > CWMP_MAX_ENVELOPE) {
		reply(req, 400, NULL, 0);
		return;
	}
	if (!len) {
		if (s->step == INFORMED) {
			send_nonce(s, req);
		} else {
			s->step = DONE;
			reply(req, 204, NULL, 0);
		}
		return;
	}
	if (cwmp_parse(evbuffer_pullup(in, len), len, &msg, err)) {
		log_line("bad envelope from %s: %s", s->identity, err);
		cwmp_msg_free(&msg);
		reply(req, 400, NULL, 0);
		return;
	}
	if (!strcmp(msg.name, "Inform") && s->step == EXPECT_INFORM) {
		if (on_inform(srv, s, &msg, req))
			reply(req, 403, NULL, 0);
	} else if (!strcmp(msg.name, "TransferComplete") && s->step == INFORMED) {
		record_event(srv, s, "TransferComplete", NULL);
		if (!cwmp_out_new(&o, msg.id, "TransferCompleteResponse"))
			reply_out(req, &o);
		else
			reply(req, 500, NULL, 0);
	} else if (!strcmp(msg.name, "SetParameterValuesResponse") && s->step == NONCE_SENT) {
		ask_attestation(s, req);
	} else if (!strcmp(msg.name, "GetParameterValuesResponse") &&
		   s->step == ATTESTATION_ASKED) {
		check_attestation(srv, s, &msg);
		s->step = DONE;
		reply(req, 204, NULL, 0);
	} else {
		log_line("unexpected %s from %s: session ended", msg.name, s->identity);
		s->step = DONE;
		reply(req, 204, NULL, 0);
	}
	cwmp_msg_free(&msg);
}

static struct bufferevent *new_tls_connection(struct event_base *base, void *arg)
{
	struct server *srv = arg;

	return bufferevent_openssl_socket_new(base, -1, SSL_new(srv->ctx),
					      BUFFEREVENT_SSL_ACCEPTING,
					      BEV_OPT_CLOSE_ON_FREE);
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
	return ctx;
}

int hems_serve(const struct hems_config *config)
{
	struct server srv = { .config = config };
	struct event_base *base;
	struct evhttp *http;

	srv.ctx = server_ctx(config);
	if (!srv.ctx || store_open(config->db_path, &srv.db))
		return 1;
	base = event_base_new();
	http = base ? evhttp_new(base) : NULL;
	if (!http) {
		fprintf(stderr, "hnbtre-hems: libevent setup failed\n");
		return 1;
	}
	evhttp_set_bevcb(http, new_tls_connection, &srv);
	evhttp_set_gencb(http, on_request, &srv);
	evhttp_set_max_body_size(http, CWMP_MAX_ENVELOPE);
	evhttp_set_allowed_methods(http, EVHTTP_REQ_POST);
	if (evhttp_bind_socket(http, config->listen_addr, config->port)) {
		fprintf(stderr, "hnbtre-hems: cannot listen on %s:%u\n", config->listen_addr,
			config->port);
		return 1;
	}
	fprintf(stderr, "hnbtre-hems: listening on %s:%u\n", config->listen_addr, config->port);
	event_base_dispatch(base);
	evhttp_free(http);
	event_base_free(base);
	sqlite3_close(srv.db);
	SSL_CTX_free(srv.ctx);
	return 0;
}
