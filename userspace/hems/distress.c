// SPDX-License-Identifier: GPL-2.0-only
/*
 * The H(e)MS as the pre-designated entity of TS 33.320 7.12: it receives
 * distress indications (Documentation/distress.md), authenticates what
 * the transport allows, records every one and marks a device whose
 * failure is authenticated as needing maintenance (7.12.5 item 6).  An
 * unauthenticated indication is recorded as such and changes nothing
 * else.  Plain TCP and TLS listeners share the event loop of serve.
 */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/listener.h>
#include <json-c/json.h>
#include <openssl/ssl.h>

#include "hems.h"
#include "hnbtre_distress.h"

#define FRAME_MAX	(HNBTRE_DISTRESS_HEADER_MAX + \
			 HNBTRE_DISTRESS_MESSAGE_MAX + HNBTRE_DISTRESS_AUTH_MAX)
#define READ_TIMEOUT	10	/* seconds for a whole frame */

struct distress_listener {
	const struct hems_config *config;
	struct store *db;
	SSL_CTX *ctx;		/* NULL: plain TCP */
	const char *transport;	/* as recorded: tls, tcp, ike */
	struct evconnlistener *listener;
};

struct distress_conn {
	struct distress_listener *l;
	char peer[INET6_ADDRSTRLEN + 8];
};

/* The PSK provisioned for @identity, if any: <psk_dir>/<identity>. */
static int load_psk(const struct hems_config *config, const char *identity,
		    uint8_t **psk, size_t *len)
{
	char path[4096];

	*psk = NULL;
	/* The identity names a file: never a path of its own. */
	if (!config->distress_psk_dir || strchr(identity, '/') ||
	    identity[0] == '.' ||
	    snprintf(path, sizeof(path), "%s/%s", config->distress_psk_dir,
		     identity) >= (int)sizeof(path))
		return -ENOENT;
	return hnbtre_read_file(path, 1024, psk, len);
}

static char *failed_json(const struct hnbtre_distress_msg *msg)
{
	json_object *list = hnbtre_distress_failed_list(msg);
	char *text = list ? strdup(json_object_to_json_string_ext(
					  list, JSON_C_TO_STRING_PLAIN)) : NULL;

	json_object_put(list);
	return text;
}

/*
 * 7.12.4: the oldest replacement queued for @identity (hnbtre-hems
 * replace), opened; it is recorded as sent in answer to indication
 * @distress_id and its platform RIM becomes the device's expected RIM,
 * which the PVE check compares once the device is back (acs.c).
 * Returns the package's descriptor and sets @size, or -1: none.
 */
static int offer_replacement(struct store *db, const char *identity,
			     long long distress_id, off_t *size)
{
	char now[32], *package, *rim;
	struct stat st;
	long long id;
	int fd = -1;

	if (store_replacement_next(db, identity, &id, &package, &rim))
		goto out;
	fd = open(package, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		hems_log("replacement %s for %s cannot be read: not sent", package,
			 identity);
		if (fd >= 0)
			close(fd);
		fd = -1;
		goto out;
	}
	*size = st.st_size;
	hems_now(now, sizeof(now));
	store_replacement_sent(db, id, now, distress_id);
	hems_expect_rim(db, identity, rim, "sent");
	hems_log("replacement %s sent to %s", package, identity);
out:
	free(package);
	free(rim);
	return fd;
}

#define NOT_GENUINE	"attestation not genuine"

/*
 * An attestation that parses but is not the TrE's statement about this
 * indication: signed by another key (the device key, through keyctl, while
 * the gate was open), by a certificate that is not an attestation key's,
 * or made for another indication or identity.  The distress function
 * sends the TrE's blob untouched, so such an indication is forged, even
 * when its authenticator holds: root on the device reads the PSK.
 */
static bool attestation_forged(int av)
{
	return av == HNBTRE_ATTEST_BAD_SIGNATURE || av == HNBTRE_ATTEST_BAD_SIGNER ||
	       av == HNBTRE_ATTEST_WRONG_NONCE || av == HNBTRE_ATTEST_WRONG_IDENTITY;
}

/*
 * Authenticates, records and answers one frame; returns the answer line.
 * @package is set to the descriptor of a replacement to send after it
 * (REPLACE <length>, the line in @line), else -1.
 */
static const char *handle_frame(struct distress_listener *l,
				const char *peer, const uint8_t *frame,
				size_t len, int *package, char *line,
				size_t line_len)
{
	const struct hems_config *config = l->config;
	struct hnbtre_attestation att = { 0 };
	struct hnbtre_distress_msg msg;
	char err[HNBTRE_ERR_LEN], now[32], seq[24], sent[24], authn[2];
	char *failed = NULL;
	const char *answer, *attested = NULL;
	uint8_t *psk = NULL;
	size_t psk_len = 0;
	long long row = 0;
	off_t size = 0;
	int verdict, av;
	bool forged;

	*package = -1;
	if (hnbtre_distress_parse(frame, len, &msg, err)) {
		hems_log("distress indication from %s refused: %s", peer, err);
		hnbtre_distress_free(&msg);
		return "REJECTED malformed\n";
	}
	load_psk(config, msg.identity, &psk, &psk_len);
	verdict = hnbtre_distress_verify(&msg, psk, psk_len,
					 config->distress_ca ?
					 config->distress_ca : config->ca_path,
					 store_distress_last_sequence(l->db, msg.identity));
	free(psk);
	av = hnbtre_distress_attestation(&msg, config->ca_path, &att);
	if (hnbtre_attest_genuine(av))
		attested = hnbtre_state_name(att.state);
	forged = attestation_forged(av);
	failed = failed_json(&msg);
	hems_now(now, sizeof(now));
	snprintf(seq, sizeof(seq), "%llu", (unsigned long long)msg.sequence);
	snprintf(sent, sizeof(sent), "%lld", (long long)msg.time);
	authn[0] = verdict == HNBTRE_DISTRESS_AUTHENTIC && !forged ? '1' : '0';
	authn[1] = '\0';
	{
		const char *p[] = {
			msg.identity, now, peer, l->transport,
			hnbtre_distress_auth_name(msg.auth),
			forged ? NOT_GENUINE : hnbtre_distress_verdict_str(verdict),
			authn, seq, sent,
			msg.state, failed,
			av < 0 ? "not checked" : hnbtre_attest_verdict_str(av),
			attested,
		};

		row = store_distress_record(l->db, p);
	}
	if (forged) {
		hems_log("distress indication from %s: " NOT_GENUINE " (%s)",
			 msg.identity, hnbtre_attest_verdict_str(av));
		answer = "REJECTED " NOT_GENUINE "\n";
		goto out;
	}
	if (verdict == HNBTRE_DISTRESS_AUTHENTIC) {
		/*
		 * Signature, nonce and identity of the attestation held: a
		 * device the store does not know yet is added with the
		 * certificate the attestation just proved, so that it can be
		 * marked.
		 */
		if (hnbtre_attest_genuine(av))
			store_device_add(l->db, msg.identity, msg.device_cert,
					 (int)msg.device_cert_len);
		/* 7.12.5 item 6: the device needs maintenance. */
		store_device_mark(l->db, msg.identity, msg.state);
		answer = "ACCEPTED recorded, device marked for maintenance\n";
		/* only ever for an authentic indication, never for a forged one */
		if (!hnbtre_distress_tre_failed(&msg))
			*package = offer_replacement(l->db, msg.identity, row, &size);
		if (*package >= 0) {
			snprintf(line, line_len, "REPLACE %lld\n", (long long)size);
			answer = line;
		}
	} else if (verdict == HNBTRE_DISTRESS_UNAUTHENTICATED) {
		answer = "ACCEPTED recorded as unauthenticated\n";
	} else {
		answer = verdict == HNBTRE_DISTRESS_REPLAY ?
			 "REJECTED replay\n" : "REJECTED not authentic\n";
	}
	hems_log("distress indication from %s: %s", msg.identity,
		 hnbtre_distress_verdict_str(verdict));
out:
	free(failed);
	hnbtre_distress_free(&msg);
	return answer;
}

static void conn_free(struct bufferevent *bev, struct distress_conn *c)
{
	bufferevent_free(bev);
	free(c);
}

/* Closes once the answer is out. */
static void on_written(struct bufferevent *bev, void *arg)
{
	conn_free(bev, arg);
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT))
		conn_free(bev, arg);
}

/* @text, then the file @package if not -1 (its descriptor is taken). */
static void answer(struct bufferevent *bev, struct distress_conn *c,
		   const char *text, int package)
{
	bufferevent_disable(bev, EV_READ);
	bufferevent_setcb(bev, NULL, on_written, on_event, c);
	bufferevent_write(bev, text, strlen(text));
	if (package >= 0 &&
	    evbuffer_add_file(bufferevent_get_output(bev), package, 0, -1))
		conn_free(bev, c);	/* the device sees a truncated package */
}

static void on_read(struct bufferevent *bev, void *arg)
{
	struct distress_conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t len = evbuffer_get_length(in), total;
	const char *text;
	const uint8_t *data;
	char line[32];
	int ret, package;

	data = evbuffer_pullup(in, len < HNBTRE_DISTRESS_HEADER_MAX ?
			       (ssize_t)len : HNBTRE_DISTRESS_HEADER_MAX);
	ret = hnbtre_distress_frame_len(data, len, &total);
	if (ret == -EAGAIN)
		return;
	if (ret || len > total) {
		answer(bev, c, "REJECTED malformed\n", -1);
		return;
	}
	if (len < total)
		return;
	text = handle_frame(c->l, c->peer, evbuffer_pullup(in, -1), len,
			    &package, line, sizeof(line));
	answer(bev, c, text, package);
}

static void on_accept(struct evconnlistener *listener, evutil_socket_t fd,
		      struct sockaddr *addr, int socklen, void *arg)
{
	struct distress_listener *l = arg;
	struct event_base *base = evconnlistener_get_base(listener);
	struct timeval timeout = { .tv_sec = READ_TIMEOUT };
	struct distress_conn *c = calloc(1, sizeof(*c));
	struct bufferevent *bev;
	char host[INET6_ADDRSTRLEN] = "?";

	(void)socklen;
	if (!c) {
		evutil_closesocket(fd);
		return;
	}
	c->l = l;
	if (addr->sa_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)addr)->sin_addr,
			  host, sizeof(host));
	else if (addr->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)addr)->sin6_addr,
			  host, sizeof(host));
	snprintf(c->peer, sizeof(c->peer), "%s", host);
	bev = l->ctx ?
	      bufferevent_openssl_socket_new(base, fd, SSL_new(l->ctx),
					     BUFFEREVENT_SSL_ACCEPTING,
					     BEV_OPT_CLOSE_ON_FREE) :
	      bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (!bev) {
		evutil_closesocket(fd);
		free(c);
		return;
	}
	/* Never more than one frame in memory per connection. */
	bufferevent_setwatermark(bev, EV_READ, 0, FRAME_MAX + 1);
	bufferevent_set_timeouts(bev, &timeout, &timeout);
	bufferevent_setcb(bev, on_read, NULL, on_event, c);
	bufferevent_enable(bev, EV_READ);
}

/* TLS 1.2+, server authentication only: the message authenticates the
 * device, which may have no usable TLS credential when it failed.
 */
static SSL_CTX *distress_ctx(const struct hems_config *config)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	if (!ctx || !SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) ||
	    SSL_CTX_use_certificate_chain_file(ctx, config->cert_path) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, config->key_path,
					SSL_FILETYPE_PEM) != 1) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

/* A listener on @text (address:port, [v6]:port), recording @transport. */
static struct distress_listener *listen_at(struct event_base *base,
					   const struct hems_config *config,
					   struct store *db, const char *text,
					   const char *transport)
{
	struct distress_listener *l = calloc(1, sizeof(*l));
	struct sockaddr_storage ss;
	int len = sizeof(ss);

	if (!l)
		return NULL;
	l->config = config;
	l->db = db;
	l->transport = transport;
	if (!strcmp(transport, "tls"))
		l->ctx = distress_ctx(config);
	if ((!strcmp(transport, "tls") && !l->ctx) ||
	    evutil_parse_sockaddr_port(text, (struct sockaddr *)&ss, &len))
		goto fail;
	l->listener = evconnlistener_new_bind(base, on_accept, l,
					      LEV_OPT_CLOSE_ON_FREE |
					      LEV_OPT_REUSEABLE, -1,
					      (struct sockaddr *)&ss, len);
	if (!l->listener)
		goto fail;
	fprintf(stderr, "hnbtre-hems: distress indications on %s (%s)\n",
		text, transport);
	return l;
fail:
	distress_close(l);
	return NULL;
}

static struct distress_listener *listen_on(struct event_base *base,
					   const struct hems_config *config,
					   struct store *db, unsigned short port,
					   const char *transport)
{
	const char *addr = config->listen_addr;
	char text[INET6_ADDRSTRLEN + 9];

	snprintf(text, sizeof(text), strchr(addr, ':') ? "[%s]:%u" : "%s:%u",
		 addr, port);
	return listen_at(base, config, db, text, transport);
}

int distress_listen(struct event_base *base, const struct hems_config *config,
		    struct store *db, struct distress_listener **tls,
		    struct distress_listener **tcp, struct distress_listener **ike)
{
	*tls = *tcp = *ike = NULL;
	if (config->distress_tls_port) {
		*tls = listen_on(base, config, db, config->distress_tls_port, "tls");
		if (!*tls)
			return -1;
	}
	if (config->distress_tcp_port) {
		*tcp = listen_on(base, config, db, config->distress_tcp_port, "tcp");
		if (!*tcp)
			return -1;
	}
	/* Reachable only through the IPsec tunnel: what arrives came by IKE. */
	if (config->distress_ike_listen) {
		*ike = listen_at(base, config, db, config->distress_ike_listen,
				 "ike");
		if (!*ike)
			return -1;
	}
	return 0;
}

void distress_close(struct distress_listener *l)
{
	if (!l)
		return;
	if (l->listener)
		evconnlistener_free(l->listener);
	SSL_CTX_free(l->ctx);
	free(l);
}
