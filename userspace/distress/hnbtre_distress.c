// SPDX-License-Identifier: GPL-2.0-only
/*
 * hnbtre-distress: the distress communication function (TS 33.320 7.12,
 * Documentation/distress.md).
 *
 * Started by the TrE when secure start-up fails, it tells the
 * pre-designated network entity who the device is and what failed, with
 * the TrE's signed attestation of the failed state.  Statically linked
 * and stored apart from the normal code with everything it needs: its
 * configuration (address, transport, authentication), trust anchor and
 * credentials sit next to it and are distress components of the manifest.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/reboot.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <keyutils.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "hnbtre_distress.h"
#include "hnbtre_pkg_install.h"
#include "hnbtre_tls.h"
#include "ike.h"

#define CONFIG_MAX		(64 << 10)
#define RESPONSE_MAX		256

/* Exit codes. */
enum {
	EXIT_ACCEPTED = 0,
	EXIT_USAGE = 1,
	EXIT_REJECTED = 2,
	EXIT_UNREACHABLE = 3,
	EXIT_NOTHING = 4,	/* the TrE reports no failure */
	EXIT_REPLACED = 5,	/* new image installed; reboot not configured */
	EXIT_TRE_FAILED = 6,	/* the TrE itself failed: nothing to do */
	EXIT_REPLACE_RECEIVED = 100,	/* internal: a package is waiting */
};

enum transport { TRANSPORT_TCP, TRANSPORT_TLS, TRANSPORT_IKE };
static const char *const transport_names[] = { "tcp", "tls", "ike" };

struct config {
	char server[INET6_ADDRSTRLEN];
	unsigned int port;
	char server_name[256];		/* checked against the certificate */
	enum transport transport;
	enum hnbtre_distress_auth auth;
	char trust_anchor[PATH_MAX];
	char credential_cert[PATH_MAX];
	char device_cert[PATH_MAX];
	char psk_file[PATH_MAX];
	char state_dir[PATH_MAX];
	unsigned int attempts;
	unsigned int backoff_ms;
	unsigned int backoff_max_ms;
	unsigned int timeout_ms;
	/* Replacement of the normal code image (7.12.4); off without a root. */
	char install_root[PATH_MAX];
	char package_roots[PATH_MAX];
	char replacement[PATH_MAX];	/* where a received package is kept */
	unsigned int replacement_max_mb;
	int reboot;
	struct ike_config ike;		/* transport ike */
};

static struct ike_session ike_session;

/* To syslog and stderr: the TrE starts us with neither guaranteed. */
void say(int priority, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsyslog(priority, fmt, ap);
	va_end(ap);
	va_start(ap, fmt);
	fputs("hnbtre-distress: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* Relative paths in the configuration are relative to its directory. */
static int config_path(json_object *o, const char *key, const char *dir,
		       char *out)
{
	json_object *v;
	const char *s;

	if (!json_object_object_get_ex(o, key, &v)) {
		out[0] = '\0';
		return 0;
	}
	if (!json_object_is_type(v, json_type_string))
		return -1;
	s = json_object_get_string(v);
	if (snprintf(out, PATH_MAX, "%s%s%s", s[0] == '/' ? "" : dir,
		     s[0] == '/' ? "" : "/", s) >= PATH_MAX)
		return -1;
	return 0;
}

static int config_uint(json_object *o, const char *key, unsigned int def,
		       unsigned int max, unsigned int *out)
{
	json_object *v;
	int64_t n;

	*out = def;
	if (!json_object_object_get_ex(o, key, &v))
		return 0;
	n = json_object_get_int64(v);
	if (!json_object_is_type(v, json_type_int) || n < 1 || n > max)
		return -1;
	*out = (unsigned int)n;
	return 0;
}

static int config_choice(json_object *o, const char *key,
			 const char *const *names, int n, int *out)
{
	json_object *v;
	int i;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return -1;
	for (i = 0; i < n; i++) {
		if (!strcmp(json_object_get_string(v), names[i])) {
			*out = i;
			return 0;
		}
	}
	return -1;
}

/* Transport ike: its keys, and the sockets' fixed names in state_dir. */
static int load_ike_config(json_object *o, const char *dir, struct config *c)
{
	struct ike_config *ic = &c->ike;
	/* both are unix sockets: the paths must fit sun_path */
	int socket_max = (int)sizeof(((struct sockaddr_un *)0)->sun_path);
	json_object *v;

	if (config_path(o, "ike_dir", dir, ic->dir) || !ic->dir[0] ||
	    config_path(o, "ike_charon", dir, ic->charon) ||
	    config_path(o, "ike_swanctl", dir, ic->swanctl) ||
	    snprintf(ic->signer, sizeof(ic->signer), "%s/" IKE_SIGNER_NAME,
		     c->state_dir) >= socket_max ||
	    snprintf(ic->vici, sizeof(ic->vici), "%s/" IKE_VICI_NAME,
		     c->state_dir) >= socket_max)
		return -1;
	if (!ic->charon[0])
		strcpy(ic->charon, "/usr/lib/ipsec/charon");
	if (!ic->swanctl[0])
		strcpy(ic->swanctl, "/usr/sbin/swanctl");
	strcpy(ic->child, "distress");
	if (json_object_object_get_ex(o, "ike_child", &v) &&
	    (!json_object_is_type(v, json_type_string) ||
	     snprintf(ic->child, sizeof(ic->child), "%s",
		      json_object_get_string(v)) >= (int)sizeof(ic->child)))
		return -1;
	ic->timeout_ms = c->timeout_ms;
	/* one IKE_AUTH per attempt */
	ic->max_signatures = c->attempts;
	return 0;
}

static int load_config(const char *path, struct config *c)
{
	static const char *const auths[] = { "none", "psk", "sig" };
	char dir[PATH_MAX], *copy;
	json_object *o = NULL, *v;
	size_t len;
	uint8_t *text;
	int ret = -1, transport, auth;
	struct in6_addr addr;

	if (hnbtre_read_file(path, CONFIG_MAX, &text, &len)) {
		say(LOG_ERR, "cannot read %s: %m", path);
		return -1;
	}
	o = json_tokener_parse((const char *)text);
	free(text);
	copy = strdup(path);
	if (!copy || !o || !json_object_is_type(o, json_type_object))
		goto out;
	snprintf(dir, sizeof(dir), "%s", dirname(copy));
	if (!json_object_object_get_ex(o, "server", &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    snprintf(c->server, sizeof(c->server), "%s",
		     json_object_get_string(v)) >= (int)sizeof(c->server) ||
	    (inet_pton(AF_INET, c->server, &addr) != 1 &&
	     inet_pton(AF_INET6, c->server, &addr) != 1))
		goto out;
	c->server_name[0] = '\0';
	if (json_object_object_get_ex(o, "server_name", &v) &&
	    snprintf(c->server_name, sizeof(c->server_name), "%s",
		     json_object_get_string(v)) >= (int)sizeof(c->server_name))
		goto out;
	if (config_choice(o, "transport", transport_names, 3, &transport) ||
	    config_choice(o, "auth", auths, 3, &auth) ||
	    config_uint(o, "port", 0, 65535, &c->port) || !c->port ||
	    config_uint(o, "attempts", 5, 100, &c->attempts) ||
	    config_uint(o, "backoff_ms", 1000, 600000, &c->backoff_ms) ||
	    config_uint(o, "backoff_max_ms", 60000, 3600000,
			&c->backoff_max_ms) ||
	    config_uint(o, "timeout_ms", 10000, 600000, &c->timeout_ms) ||
	    config_path(o, "trust_anchor", dir, c->trust_anchor) ||
	    config_path(o, "credential_certificate", dir, c->credential_cert) ||
	    config_path(o, "device_certificate", dir, c->device_cert) ||
	    config_path(o, "psk_file", dir, c->psk_file) ||
	    config_path(o, "state_dir", dir, c->state_dir) || !c->state_dir[0] ||
	    config_path(o, "install_root", dir, c->install_root) ||
	    config_path(o, "package_roots", dir, c->package_roots) ||
	    config_uint(o, "replacement_max_mb", 256, 4096,
			&c->replacement_max_mb) ||
	    (c->install_root[0] && !c->package_roots[0]) ||
	    snprintf(c->replacement, sizeof(c->replacement),
		     "%s/replacement.pkg", c->state_dir) >=
	    (int)sizeof(c->replacement))
		goto out;
	c->reboot = !json_object_object_get_ex(o, "reboot", &v) ||
		    json_object_get_boolean(v);
	c->transport = transport;
	c->auth = auth;
	if (c->transport == TRANSPORT_IKE && load_ike_config(o, dir, c))
		goto out;
	/* The pre-designated entity is authenticated when TLS is used. */
	if (c->transport == TRANSPORT_TLS && !c->trust_anchor[0])
		goto out;
	if ((c->auth == HNBTRE_DISTRESS_AUTH_PSK && !c->psk_file[0]) ||
	    (c->auth == HNBTRE_DISTRESS_AUTH_SIG && !c->credential_cert[0]))
		goto out;
	ret = 0;
out:
	if (ret)
		say(LOG_ERR, "%s: invalid configuration (Documentation/distress.md)",
		    path);
	json_object_put(o);
	free(copy);
	return ret;
}

static char *read_text(const char *name)
{
	char *data;
	size_t len;

	if (hnbtre_sysfs_read(name, &data, &len))
		return NULL;
	data[strcspn(data, "\n")] = '\0';
	return data;
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

/*
 * Components that did not pass: the verdicts from `components`, the
 * classes from the active manifest.
 */
static int failed_components(struct hnbtre_distress_msg *msg)
{
	struct hnbtre_manifest manifest = { 0 };
	char *list, *line, *save = NULL, *body;
	size_t len, i;
	int ret;

	if (hnbtre_sysfs_read("components", &list, &len))
		return -1;
	ret = hnbtre_sysfs_read("manifest", &body, &len);
	if (!ret) {
		ret = hnbtre_manifest_parse(body, len, &manifest, NULL);
		free(body);
	}
	msg->failed = calloc(HNBTRE_DISTRESS_FAILED_MAX,
			     sizeof(*msg->failed));
	if (!msg->failed)
		ret = -1;
	for (line = strtok_r(list, "\n", &save); !ret && line &&
	     msg->nfailed < HNBTRE_DISTRESS_FAILED_MAX;
	     line = strtok_r(NULL, "\n", &save)) {
		char *path = strchr(line, ' '), *end;
		struct hnbtre_distress_component *c;
		const char *class = "unknown";

		if (!path || !strncmp(line, "ok ", 3))
			continue;
		*path++ = '\0';
		end = strchr(path, ' ');
		if (end)
			*end = '\0';
		for (i = 0; i < manifest.count; i++)
			if (!strcmp(manifest.components[i].path, path))
				class = hnbtre_class_name(
					manifest.components[i].class);
		c = &msg->failed[msg->nfailed++];
		c->path = strdup(path);
		c->verdict = strdup(line);
		c->class = strdup(class);
		if (!c->path || !c->verdict || !c->class)
			ret = -1;
	}
	hnbtre_manifest_free(&manifest);
	free(list);
	return ret;
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

/*
 * RSASSA-PKCS1-v1_5 over a SHA-256 digest by the TrE, with the distress
 * credential; the signature's length or -1.
 */
long credential_sign_digest(const uint8_t *digest, uint8_t *sig,
			    size_t sig_max)
{
	int32_t key = hnbtre_tre_key_serial(HNBTRE_DISTRESS_KEY);
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

/* Fills @msg from the TrE and the function's own files. */
static int collect(const struct config *c, struct hnbtre_distress_msg *msg)
{
	uint8_t nonce[HNBTRE_DIGEST_LEN];

	msg->auth = c->auth;
	msg->identity = read_text("identity");
	msg->state = read_text("state");
	if (!msg->identity || !msg->state) {
		say(LOG_ERR, "cannot read identity and state from the TrE");
		return -1;
	}
	if (!strcmp(msg->state, "trusted") ||
	    !strcmp(msg->state, "unvalidated"))
		return EXIT_NOTHING;
	if (failed_components(msg) ||
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

/* Header line, message and authenticator, ready to send. */
static int build_frame(const struct config *c,
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

/* A connection to the receiver, plain or TLS. */
struct channel {
	int fd;
	SSL *ssl;
};

static ssize_t channel_read(struct channel *ch, void *buf, size_t len)
{
	if (ch->ssl)
		return SSL_read(ch->ssl, buf, (int)len);
	return read(ch->fd, buf, len);
}

/*
 * The package after "REPLACE <length>\n" into c->replacement: streamed,
 * never more than the configured maximum, fsync'ed.
 */
static int receive_replacement(const struct config *c, struct channel *ch,
			       const char *line, const uint8_t *rest,
			       size_t rest_len, const char **why)
{
	unsigned long long length;
	uint8_t buf[65536];
	char *end;
	ssize_t n;
	int fd;

	*why = "bad REPLACE line";
	errno = 0;
	length = strtoull(line + 8, &end, 10);
	if (line[7] != ' ' || errno || *end || !length ||
	    length > (unsigned long long)c->replacement_max_mb << 20 ||
	    rest_len > length)
		return -1;
	*why = "cannot store the replacement";
	fd = open(c->replacement, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
		  0600);
	if (fd < 0)
		return -1;
	if (write(fd, rest, rest_len) != (ssize_t)rest_len)
		goto fail;
	for (length -= rest_len; length; length -= (size_t)n) {
		n = channel_read(ch, buf, length < sizeof(buf) ?
				 (size_t)length : sizeof(buf));
		if (n <= 0) {
			*why = "replacement truncated";
			goto fail;
		}
		if (write(fd, buf, (size_t)n) != n)
			goto fail;
	}
	if (fsync(fd))
		goto fail;
	close(fd);
	return 0;
fail:
	close(fd);
	unlink(c->replacement);
	return -1;
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

static int deliver(const struct config *c, const uint8_t *frame, size_t len)
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

/*
 * 7.12.4: the TrE verifies the package, the image and its reference
 * values are replaced atomically, the TrE re-validates, then reboot.
 */
static int replace_image(const struct config *c)
{
	struct hnbtre_install_opts opts = {
		.root = c->install_root,
		.roots_pem = c->package_roots,
		.use_tre = 1,
	};
	struct hnbtre_install_result result;
	char err[HNBTRE_ERR_LEN] = "";
	int ret;

	ret = hnbtre_pkg_install(c->replacement, &opts, &result, err);
	unlink(c->replacement);
	if (ret || !result.installed) {
		say(LOG_ERR, "replacement refused: %s", err);
		return EXIT_REJECTED;
	}
	say(LOG_NOTICE, "normal code image replaced by version %llu (TrE: %s)",
	    (unsigned long long)result.version, result.tre_verdict);
	sync();
	if (!c->reboot)
		return EXIT_REPLACED;
	say(LOG_NOTICE, "rebooting: secure start-up decides");
	reboot(RB_AUTOBOOT);
	say(LOG_ERR, "reboot failed: %m");
	return EXIT_REPLACED;
}

static void usage(void)
{
	fputs("usage: hnbtre-distress [--config FILE] [--started-by-tre]\n"
	      "  FILE defaults to distress.conf next to the program\n", stderr);
}

int main(int argc, char **argv)
{
	char config_file[PATH_MAX], self[PATH_MAX];
	struct hnbtre_distress_msg msg = { 0 };
	struct config c = { 0 };
	uint8_t *frame = NULL;
	size_t len = 0;
	ssize_t n;
	int i, ret;

	openlog("hnbtre-distress", LOG_PID, LOG_DAEMON);
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	self[n > 0 ? n : 0] = '\0';
	snprintf(config_file, sizeof(config_file), "%s/distress.conf",
		 dirname(self));
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--config") && i + 1 < argc) {
			snprintf(config_file, sizeof(config_file), "%s",
				 argv[++i]);
		} else if (strcmp(argv[i], "--started-by-tre")) {
			usage();
			return EXIT_USAGE;
		}
	}
	if (load_config(config_file, &c))
		return EXIT_USAGE;
	ret = collect(&c, &msg);
	if (ret == EXIT_NOTHING) {
		say(LOG_NOTICE, "the TrE is %s: nothing to report", msg.state);
	} else if (!ret && hnbtre_distress_tre_failed(&msg)) {
		say(LOG_ERR, "the TrE itself failed its check: not running");
		ret = EXIT_TRE_FAILED;
	} else if (ret || build_frame(&c, &msg, &frame, &len)) {
		say(LOG_ERR, "cannot build the distress indication");
		ret = EXIT_USAGE;
	} else if (c.transport == TRANSPORT_IKE &&
		   ike_start(&c.ike, &ike_session)) {
		ret = EXIT_UNREACHABLE;
	} else {
		ret = deliver(&c, frame, len);
		/* charon gets no signature once the indication is through */
		if (c.transport == TRANSPORT_IKE)
			ike_stop(&c.ike, &ike_session);
		if (ret == EXIT_REPLACE_RECEIVED)
			ret = replace_image(&c);
	}
	free(frame);
	hnbtre_distress_free(&msg);
	return ret;
}
