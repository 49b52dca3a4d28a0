// SPDX-License-Identifier: GPL-2.0-only
/*
 * hnbtre-distress: delivery to the pre-designated entity over TCP, TLS or
 * IKE/IPsec (ike.c), the methods of TS 33.320 7.12.3, with bounded retries.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "distress.h"

#define RESPONSE_MAX		256

static struct ike_session ike_session;

/* A connected TCP socket, or -1; both ends of the wait are bounded. */
static int connect_to(const struct config *c)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	struct timeval tv = {
		.tv_sec = c->timeout_ms / 1000,
		.tv_usec = (c->timeout_ms % 1000) * 1000,
	};
	struct pollfd pfd;
	socklen_t slen;
	int fd, err = 0;

	if (inet_pton(AF_INET, c->server, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons(c->port);
		slen = sizeof(*in4);
	} else {
		inet_pton(AF_INET6, c->server, &in6->sin6_addr);
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(c->port);
		slen = sizeof(*in6);
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&ss, slen) && errno != EINPROGRESS)
		goto fail;
	pfd.fd = fd;
	pfd.events = POLLOUT;
	if (poll(&pfd, 1, (int)c->timeout_ms) != 1) {
		errno = ETIMEDOUT;
		goto fail;
	}
	slen = sizeof(err);
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &slen) || err) {
		errno = err;
		goto fail;
	}
	if (fcntl(fd, F_SETFL, 0) ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)))
		goto fail;
	return fd;
fail:
	err = errno;
	close(fd);
	errno = err;
	return -1;
}

/* TLS 1.2 or later to the pre-designated entity, its name checked. */
static SSL *tls_connect(const struct config *c, int fd, const char **why)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	X509_VERIFY_PARAM *param;
	SSL *ssl = NULL;
	const char *name = c->server_name[0] ? c->server_name : c->server;
	struct in6_addr addr;
	int is_ip = inet_pton(AF_INET, name, &addr) == 1 ||
		    inet_pton(AF_INET6, name, &addr) == 1;

	*why = "TLS setup failed";
	if (!ctx || !SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) ||
	    SSL_CTX_load_verify_locations(ctx, c->trust_anchor, NULL) != 1)
		goto out;
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	ssl = SSL_new(ctx);
	param = ssl ? SSL_get0_param(ssl) : NULL;
	if (!param || (is_ip ? X509_VERIFY_PARAM_set1_ip_asc(param, name) :
		       X509_VERIFY_PARAM_set1_host(param, name, 0)) != 1 ||
	    (!is_ip && SSL_set_tlsext_host_name(ssl, name) != 1) ||
	    SSL_set_fd(ssl, fd) != 1)
		goto fail;
	if (SSL_connect(ssl) != 1) {
		long v = SSL_get_verify_result(ssl);

		*why = v != X509_V_OK ? X509_verify_cert_error_string(v) :
					"TLS handshake failed";
		goto fail;
	}
	goto out;
fail:
	SSL_free(ssl);
	ssl = NULL;
out:
	SSL_CTX_free(ctx);
	return ssl;
}

ssize_t channel_read(struct channel *ch, void *buf, size_t len)
{
	if (ch->ssl)
		return SSL_read(ch->ssl, buf, (int)len);
	return read(ch->fd, buf, len);
}

/*
 * One attempt: 0 accepted, EXIT_REJECTED, EXIT_REPLACE_RECEIVED, or -1
 * to try again.  The answer is one line: ACCEPTED <text>, REJECTED
 * <reason>, or REPLACE <length> followed by a signed package.
 */
static int send_once(const struct config *c, const uint8_t *frame,
		     size_t len, char *response, const char **why)
{
	struct channel ch = { .ssl = NULL };
	size_t got = 0, line;
	ssize_t n = 0;
	char *nl = NULL;
	int ret = -1;

	if (c->transport == TRANSPORT_IKE &&
	    ike_establish(&c->ike, &ike_session, why))
		return -1;
	ch.fd = connect_to(c);
	if (ch.fd < 0) {
		*why = strerror(errno);
		return -1;
	}
	if (c->transport == TRANSPORT_TLS) {
		ch.ssl = tls_connect(c, ch.fd, why);
		if (!ch.ssl)
			goto out;
	}
	*why = "send failed";
	if (ch.ssl ? SSL_write(ch.ssl, frame, (int)len) != (int)len :
		     write(ch.fd, frame, len) != (ssize_t)len)
		goto out;
	while (got < RESPONSE_MAX - 1 && !nl) {
		n = channel_read(&ch, response + got, RESPONSE_MAX - 1 - got);
		if (n <= 0)
			break;
		got += (size_t)n;
		response[got] = '\0';
		nl = memchr(response, '\n', got);
	}
	response[got] = '\0';
	*why = "no answer";
	if (!nl)
		goto out;
	*nl = '\0';
	line = (size_t)(nl - response) + 1;
	if (!strncmp(response, "ACCEPTED", 8))
		ret = 0;
	else if (!strncmp(response, "REJECTED", 8))
		ret = EXIT_REJECTED;
	else if (!strncmp(response, "REPLACE", 7) && c->install_root[0])
		ret = receive_replacement(c, &ch, response,
					  (uint8_t *)response + line,
					  got - line, why) ?
		      -1 : EXIT_REPLACE_RECEIVED;
	else if (!strncmp(response, "REPLACE", 7))
		*why = "replacement offered, but not configured";
out:
	if (ch.ssl) {
		SSL_shutdown(ch.ssl);
		SSL_free(ch.ssl);
	}
	close(ch.fd);
	return ret;
}

/* Exponential backoff with up to 50 % jitter, so that cells never flood. */
static void backoff(const struct config *c, unsigned int attempt)
{
	uint64_t delay = c->backoff_ms;
	uint32_t jitter = 0;
	struct timespec ts;

	while (--attempt && delay < c->backoff_max_ms)
		delay *= 2;
	if (delay > c->backoff_max_ms)
		delay = c->backoff_max_ms;
	if (getrandom(&jitter, sizeof(jitter), 0) == sizeof(jitter))
		delay += jitter % (delay / 2 + 1);
	ts.tv_sec = (time_t)(delay / 1000);
	ts.tv_nsec = (long)(delay % 1000) * 1000000;
	nanosleep(&ts, NULL);
}

static int deliver_attempts(const struct config *c, const uint8_t *frame, size_t len)
{
	char response[RESPONSE_MAX] = "";
	const char *why = "";
	unsigned int attempt;
	int ret = -1;

	for (attempt = 1; attempt <= c->attempts; attempt++) {
		if (attempt > 1)
			backoff(c, attempt - 1);
		ret = send_once(c, frame, len, response, &why);
		say(ret ? LOG_WARNING : LOG_NOTICE,
		    "attempt %u/%u to %s port %u over %s, auth %s: %s",
		    attempt, c->attempts, c->server, c->port,
		    transport_names[c->transport],
		    hnbtre_distress_auth_name(c->auth),
		    ret < 0 ? why : response);
		if (ret >= 0)
			return ret;
	}
	say(LOG_ERR, "giving up after %u attempts", c->attempts);
	return EXIT_UNREACHABLE;
}

int deliver(const struct config *c, const uint8_t *frame, size_t len)
{
	int ret;

	if (c->transport != TRANSPORT_IKE)
		return deliver_attempts(c, frame, len);
	if (ike_start(&c->ike, &ike_session))
		return EXIT_UNREACHABLE;
	ret = deliver_attempts(c, frame, len);
	/* charon gets no signature once the indication is through */
	ike_stop(&c->ike, &ike_session);
	return ret;
}
