// SPDX-License-Identifier: GPL-2.0-only
/*
 * HTTPS to the ACS with the TR-069 profile of TS 33.320 8.3.4
 * (Documentation/tr069.md, "Security profile"):
 * - https only: any other scheme is refused before a connection is made,
 *   and libcurl is limited to https for the request and redirects;
 * - TLS 1.2 or 1.3, forward-secret AEAD suites only (no RC4, CBC, 3DES,
 *   export, NULL or anonymous suites);
 * - the ACS certificate chains to the operator roots, and its
 *   subjectAltName matches the host of the URL (DNS name or IP address);
 * - the ACS certificate is not revoked: OCSP, stapled by the ACS or asked
 *   of the responder (ocsp.c), with --ocsp hard|soft|off for a missing
 *   answer; every connection makes a full handshake, so is checked;
 * - validity is checked against the last known-good time when the clock
 *   is behind it (clock.c);
 * - the device authenticates with its certificate and the TrE key, never
 *   with HTTP authentication: there are no credentials to send, and a 401
 *   or 407 ends the session;
 * - the Inform carries the TrE's session attestation, made over the TLS
 *   exporter of the connection: the request body is built once the
 *   handshake is done (session_post_built(); empty on a TLS 1.2 connection
 *   without the extended master secret, whose exporter is not unique).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "cwmpd.h"
#include "hnbtre.h"
#include "hnbtre_tls.h"

/* RC4 is excluded by name although OpenSSL 3 no longer has it at all */
const char session_tls12_ciphers[] = "ECDHE+AESGCM:ECDHE+CHACHA20:!aNULL:!eNULL:!RC4";

struct session {
	const struct agent_config *config;
	CURL *curl;
	X509 *cert;
	EVP_PKEY *key;
	struct curl_slist *headers;
	time_t verify_time;	/* the trusted time certificates are checked at */
	time_t server_time;	/* the latest of the ACS's Date and OCSP producedAt */
	char tls_error[CWMP_ERR_LEN + 64];	/* why the handshake was refused */
	uint8_t session_nonce[HNBTRE_SESSION_NONCE_LEN];	/* of the connection */
	bool session_bound;	/* session_nonce is set */
	char attest_error[96];	/* why no session attestation was made */
};

struct buffer {
	char *data;
	size_t len;
};

int session_check_url(const char *url, char *err, size_t len)
{
	CURLU *u = curl_url();
	char *scheme = NULL;
	int ret = 0;

	if (!u || curl_url_set(u, CURLUPART_URL, url, 0) ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0)) {
		snprintf(err, len, "not a URL: %s", url);
		ret = -EINVAL;
	} else if (strcmp(scheme, "https")) {
		snprintf(err, len, "refusing %s: the profile allows https only", url);
		ret = -EPROTONOSUPPORT;
	}
	curl_free(scheme);
	curl_url_cleanup(u);
	return ret;
}

static size_t collect(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct buffer *b = userdata;
	size_t n = size * nmemb;
	char *grown;

	if (b->len + n > CWMP_MAX_ENVELOPE)
		return 0;
	grown = realloc(b->data, b->len + n + 1);
	if (!grown)
		return 0;
	memcpy(grown + b->len, ptr, n);
	b->data = grown;
	b->len += n;
	b->data[b->len] = 0;
	return n;
}

static void server_saw(struct session *s, time_t t)
{
	if (t > s->server_time)
		s->server_time = t;
}

/* The ACS's Date header, once TLS has authenticated the ACS. */
static size_t header_line(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	size_t n = size * nmemb;
	char line[128];

	if (n > 5 && n < sizeof(line) && !strncasecmp(ptr, "Date:", 5)) {
		memcpy(line, ptr + 5, n - 5);
		line[n - 5] = 0;
		server_saw(userdata, curl_getdate(line, NULL));
	}
	return n;
}

/* What a valid OCSP response about the ACS certificate means. */
static int revocation_verdict(struct session *s, const struct ocsp_result *r,
			      const char *source)
{
	if (r->sha1_cert_id)
		say("OCSP response (%s) matched by a SHA-1 CertID: accepted, SHA-1 is "
		    "not recommended", source);
	if (r->sha1_signature)
		say("OCSP response (%s) signed with SHA-1: accepted, SHA-1 is not "
		    "recommended", source);
	if (r->status == V_OCSP_CERTSTATUS_REVOKED) {
		snprintf(s->tls_error, sizeof(s->tls_error),
			 "the ACS certificate is revoked (OCSP, %s, reason %s)", source,
			 OCSP_crl_reason_str(r->revocation_reason));
		return 0;
	}
	server_saw(s, r->produced_at);
	say("ACS certificate status good (OCSP, %s)", source);
	return 1;
}

/* A response from the responder of the certificate (or --ocsp-url). */
static int query_responder(struct session *s, X509 *cert, X509 *issuer,
			   STACK_OF(X509) *chain, X509_STORE *roots,
			   struct ocsp_result *r, char *url_used, size_t url_len)
{
	char *url = s->config->ocsp_url ? strdup(s->config->ocsp_url) :
		    ocsp_responder_url(cert);
	OCSP_REQUEST *req = NULL;
	unsigned char *der = NULL;
	size_t len;
	int ret = -ENOENT;

	snprintf(r->reason, sizeof(r->reason), "no OCSP responder in the certificate");
	if (!url)
		return ret;
	snprintf(url_used, url_len, "%s", url);
	req = ocsp_request(cert, issuer);
	if (!req)
		snprintf(r->reason, sizeof(r->reason), "cannot build an OCSP request");
	else if (!(ret = ocsp_query(url, req, &der, &len, r->reason, sizeof(r->reason))))
		ret = ocsp_check_response(der, len, cert, issuer, chain, roots, req,
					  s->verify_time, r);
	free(der);
	OCSP_REQUEST_free(req);
	free(url);
	return ret;
}

/*
 * OpenSSL's certificate status callback, after the ACS's chain is
 * verified: 1 continues the handshake, 0 ends it.  A stapled response is
 * used when valid; otherwise the responder is asked.
 */
static int check_revocation(SSL *ssl, void *arg)
{
	struct session *s = arg;
	STACK_OF(X509) *chain = SSL_get0_verified_chain(ssl);
	X509_STORE *roots = SSL_CTX_get_cert_store(SSL_get_SSL_CTX(ssl));
	const unsigned char *staple = NULL;
	char url[512] = "";
	struct ocsp_result r;
	X509 *cert, *issuer;
	long len;

	if (!chain || sk_X509_num(chain) < 2) {
		snprintf(s->tls_error, sizeof(s->tls_error),
			 "no verified chain of the ACS certificate to check OCSP with");
		return 0;
	}
	cert = sk_X509_value(chain, 0);
	issuer = sk_X509_value(chain, 1);
	len = SSL_get_tlsext_status_ocsp_resp(ssl, &staple);
	if (staple && len > 0) {
		if (!ocsp_check_response(staple, len, cert, issuer, chain, roots, NULL,
					 s->verify_time, &r) &&
		    r.status != V_OCSP_CERTSTATUS_UNKNOWN)
			return revocation_verdict(s, &r, "stapled");
		say("stapled OCSP response not used: %s", r.status == V_OCSP_CERTSTATUS_UNKNOWN ?
		    "status unknown" : r.reason);
	}
	if (!query_responder(s, cert, issuer, chain, roots, &r, url, sizeof(url))) {
		if (r.status != V_OCSP_CERTSTATUS_UNKNOWN)
			return revocation_verdict(s, &r, url);
		snprintf(r.reason, sizeof(r.reason), "%s answered status unknown", url);
	}
	if (s->config->ocsp == OCSP_SOFT) {
		say("warning: no OCSP status for the ACS certificate (%s): session "
		    "continues (--ocsp soft)", r.reason);
		return 1;
	}
	snprintf(s->tls_error, sizeof(s->tls_error),
		 "no OCSP status for the ACS certificate (%s): refused (--ocsp hard)", r.reason);
	return 0;
}

/*
 * libcurl's SSL_CTX, before each handshake: the TrE key, the suites, the
 * revocation check, and the trusted time when the clock is behind it.
 */
static CURLcode setup_ssl_ctx(CURL *curl, void *ssl_ctx, void *userdata)
{
	struct session *s = userdata;
	SSL_CTX *ctx = ssl_ctx;

	(void)curl;
	if (hnbtre_tls_use_tre_key(ctx, s->cert, s->key) ||
	    !SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION))
		return CURLE_SSL_CERTPROBLEM;
	if (time(NULL) < s->verify_time) {
		X509_VERIFY_PARAM_set_time(SSL_CTX_get0_param(ctx), s->verify_time);
		X509_VERIFY_PARAM_set_time(X509_STORE_get0_param(SSL_CTX_get_cert_store(ctx)),
					   s->verify_time);
	}
	if (s->config->ocsp != OCSP_OFF &&
	    (!SSL_CTX_set_tlsext_status_type(ctx, TLSEXT_STATUSTYPE_ocsp) ||
	     !SSL_CTX_set_tlsext_status_cb(ctx, check_revocation) ||
	     !SSL_CTX_set_tlsext_status_arg(ctx, s)))
		return CURLE_SSL_CERTPROBLEM;
	return CURLE_OK;
}

static int load_identity(struct session *s, const char *cert_path, char *err,
			 size_t len)
{
	FILE *f = fopen(cert_path, "r");
	int32_t serial;

	if (!f) {
		snprintf(err, len, "%s: %s", cert_path, strerror(errno));
		return -errno;
	}
	s->cert = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (!s->cert) {
		snprintf(err, len, "%s: not a PEM certificate", cert_path);
		return -EBADMSG;
	}
	serial = hnbtre_tre_key_serial(HNBTRE_DEVICE_KEY_DESC);
	if (serial < 0) {
		snprintf(err, len, "no device key in " HNBTRE_DEVICE_KEYRING
			 " (loaded, and linked into our session keyring?)");
		return serial;
	}
	s->key = hnbtre_tre_pkey(serial, s->cert);
	if (!s->key) {
		snprintf(err, len, "TrE key: %s", ERR_reason_error_string(ERR_get_error()));
		return -EINVAL;
	}
	return 0;
}

int session_attestation(struct session *s, char **b64)
{
	uint8_t *blob;
	size_t len;
	int ret;

	*b64 = NULL;
	if (!s->session_bound)
		return 0;
	ret = hnbtre_attest(s->session_nonce, sizeof(s->session_nonce), &blob, &len);
	if (ret) {
		snprintf(s->attest_error, sizeof(s->attest_error), "the TrE made no "
			 "attestation: %s", strerror(-ret));
		return ret;
	}
	*b64 = hnbtre_base64_encode(blob, len);
	free(blob);
	return *b64 ? 0 : -ENOMEM;
}

/*
 * libcurl's CURLOPT_PREREQFUNCTION, before each request on a connection
 * whose handshake is done: the connection's session nonce.
 */
static int before_request(void *userdata, char *primary_ip, char *local_ip,
			  int primary_port, int local_port)
{
	struct session *s = userdata;
	struct curl_tlssessioninfo *tls = NULL;

	(void)primary_ip, (void)local_ip, (void)primary_port, (void)local_port;
	s->session_bound = curl_easy_getinfo(s->curl, CURLINFO_TLS_SSL_PTR, &tls) == CURLE_OK &&
			   tls && tls->backend == CURLSSLBACKEND_OPENSSL && tls->internals &&
			   !hnbtre_tls_session_nonce(tls->internals, s->session_nonce);
	return CURL_PREREQFUNC_OK;
}

static int set_profile(CURL *c, const struct agent_config *config)
{
	return curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https") ||
	       curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "https") ||
	       curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L) ||
	       curl_easy_setopt(c, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2) ||
	       curl_easy_setopt(c, CURLOPT_SSL_CIPHER_LIST, session_tls12_ciphers) ||
	       curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L) ||
	       curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L) ||
	       curl_easy_setopt(c, CURLOPT_SSL_SESSIONID_CACHE, 0L) ||
	       curl_easy_setopt(c, CURLOPT_CAINFO, config->ca_path) ||
	       curl_easy_setopt(c, CURLOPT_CAPATH, NULL) ||
	       curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_NONE) ||
	       curl_easy_setopt(c, CURLOPT_PROXYAUTH, (long)CURLAUTH_NONE) ||
	       curl_easy_setopt(c, CURLOPT_NETRC, (long)CURL_NETRC_IGNORED) ||
	       curl_easy_setopt(c, CURLOPT_PROXY, "") ||
	       curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 20L) ||
	       curl_easy_setopt(c, CURLOPT_TIMEOUT, 120L) ||
	       curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
}

struct session *session_open(const struct agent_config *config, char *err,
			     size_t len)
{
	struct session *s;

	if (session_check_url(config->acs_url, err, len))
		return NULL;
	s = calloc(1, sizeof(*s));
	if (!s || load_identity(s, config->cert_path, err, len)) {
		session_close(s);
		return NULL;
	}
	s->config = config;
	s->verify_time = clock_trusted_now(config->time_floor);
	s->curl = curl_easy_init();
	s->headers = curl_slist_append(NULL, "Content-Type: text/xml; charset=\"utf-8\"");
	s->headers = s->headers ? curl_slist_append(s->headers, "SOAPAction:") : NULL;
	s->headers = s->headers ? curl_slist_append(s->headers, "Expect:") : NULL;
	if (!s->curl || !s->headers || set_profile(s->curl, config) ||
	    curl_easy_setopt(s->curl, CURLOPT_URL, config->acs_url) ||
	    curl_easy_setopt(s->curl, CURLOPT_SSL_CTX_FUNCTION, setup_ssl_ctx) ||
	    curl_easy_setopt(s->curl, CURLOPT_SSL_CTX_DATA, s) ||
	    curl_easy_setopt(s->curl, CURLOPT_HEADERFUNCTION, header_line) ||
	    curl_easy_setopt(s->curl, CURLOPT_HEADERDATA, s) ||
	    curl_easy_setopt(s->curl, CURLOPT_PREREQFUNCTION, before_request) ||
	    curl_easy_setopt(s->curl, CURLOPT_PREREQDATA, s) ||
	    /* the session cookie of the ACS, kept in memory only */
	    curl_easy_setopt(s->curl, CURLOPT_COOKIEFILE, "") ||
	    curl_easy_setopt(s->curl, CURLOPT_HTTPHEADER, s->headers)) {
		snprintf(err, len, "libcurl refused the profile (built without OpenSSL?)");
		session_close(s);
		return NULL;
	}
	return s;
}

/* What a failed transfer means, with the TrE's refusal if it was that. */
static void transfer_error(struct session *s, CURLcode rc, const char *curl_err,
			   char *err, size_t len)
{
	int tre_error = -hnbtre_tre_pkey_error(s->key);

	snprintf(err, len, "%s%s%s", curl_easy_strerror(rc),
		 curl_err[0] ? ": " : "", curl_err);
	if (s->tls_error[0])
		snprintf(err + strlen(err), len - strlen(err), " [%s]", s->tls_error);
	if (s->attest_error[0])
		snprintf(err + strlen(err), len - strlen(err), " [%s]", s->attest_error);
	if (tre_error)
		snprintf(err + strlen(err), len - strlen(err), " [TrE key: %s%s]",
			 strerror(tre_error), tre_error == EKEYREJECTED ?
			 ", the TrE state is not trusted" : "");
	ERR_clear_error();
}

/* A body that session_post_built() makes when libcurl first asks for it. */
struct built_body {
	struct session *session;
	session_body_fn *build;
	void *arg;
	int error;		/* of build */
	bool built;
	char *data;
	size_t len, sent;
};

/*
 * libcurl's CURLOPT_READFUNCTION: asked for after the request line and
 * headers, so on a connection whose handshake is done.
 */
static size_t send_built(char *buffer, size_t size, size_t nitems, void *userdata)
{
	struct built_body *b = userdata;
	size_t n;

	if (!b->built) {
		b->built = true;
		b->error = b->build(b->session, b->arg, &b->data, &b->len);
		if (b->error)
			return CURL_READFUNC_ABORT;
	}
	n = b->len - b->sent < size * nitems ? b->len - b->sent : size * nitems;
	memcpy(buffer, b->data + b->sent, n);
	b->sent += n;
	return n;
}

/*
 * An HTTP error of the ACS; a refusal carries its reason as a CWMP Fault
 * (the H(e)MS: 8001 with the reason, tr069.md "Refusals"), which the
 * device's log then shows.
 */
static void http_error(long code, const struct buffer *b, char *err, size_t err_len)
{
	char parse_err[CWMP_ERR_LEN], *text = NULL;
	struct cwmp_msg msg;
	int fault = -1;

	if (b->len && !cwmp_parse(b->data, b->len, &msg, parse_err) && msg.is_fault)
		fault = cwmp_fault_code(&msg, &text);
	if (b->len)
		cwmp_msg_free(&msg);
	if (fault > 0)
		snprintf(err, err_len, "the ACS refused (HTTP %ld, fault %d): %s", code, fault,
			 text ? text : "");
	else
		snprintf(err, err_len, "HTTP status %ld from the ACS", code);
	free(text);
}

/* The POST set up by session_post() or session_post_built(), and its answer. */
static int post(struct session *s, char **resp, size_t *resp_len, char *err,
		size_t err_len)
{
	char curl_err[CURL_ERROR_SIZE] = "";
	struct buffer b = { 0 };
	long code = 0;
	CURLcode rc;

	s->attest_error[0] = 0;
	curl_easy_setopt(s->curl, CURLOPT_POST, 1L);
	curl_easy_setopt(s->curl, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(s->curl, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(s->curl, CURLOPT_ERRORBUFFER, curl_err);
	rc = curl_easy_perform(s->curl);
	curl_easy_setopt(s->curl, CURLOPT_ERRORBUFFER, NULL);
	if (rc != CURLE_OK) {
		transfer_error(s, rc, curl_err, err, err_len);
		free(b.data);
		return -ECONNREFUSED;
	}
	curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &code);
	if (code == 401 || code == 407) {
		snprintf(err, err_len, "the ACS asked for HTTP authentication (%ld): "
			 "refused, the profile authenticates with certificates only", code);
		free(b.data);
		return -EACCES;
	}
	if (code != 200 && code != 204) {
		http_error(code, &b, err, err_len);
		free(b.data);
		return -EPROTO;
	}
	*resp = b.data;
	*resp_len = code == 204 ? 0 : b.len;
	return 0;
}

int session_post(struct session *s, const char *body, size_t len, char **resp,
		 size_t *resp_len, char *err, size_t err_len)
{
	curl_easy_setopt(s->curl, CURLOPT_POSTFIELDS, body ? body : "");
	curl_easy_setopt(s->curl, CURLOPT_POSTFIELDSIZE, (long)len);
	return post(s, resp, resp_len, err, err_len);
}

int session_post_built(struct session *s, session_body_fn *build, void *arg,
		       char **resp, size_t *resp_len, char *err, size_t err_len)
{
	struct built_body b = { .session = s, .build = build, .arg = arg };
	int ret;

	curl_easy_setopt(s->curl, CURLOPT_POSTFIELDS, NULL);
	curl_easy_setopt(s->curl, CURLOPT_POSTFIELDSIZE, -1L);
	curl_easy_setopt(s->curl, CURLOPT_READFUNCTION, send_built);
	curl_easy_setopt(s->curl, CURLOPT_READDATA, &b);
	ret = post(s, resp, resp_len, err, err_len);
	curl_easy_setopt(s->curl, CURLOPT_READDATA, NULL);
	free(b.data);
	return b.error ?: ret;
}

static size_t to_file(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	return fwrite(ptr, size, nmemb, userdata);
}

int session_download(struct session *s, const char *url, const char *path,
		     char *err, size_t err_len)
{
	char curl_err[CURL_ERROR_SIZE] = "";
	FILE *f;
	long code = 0;
	CURLcode rc;

	if (session_check_url(url, err, err_len))
		return -EPROTONOSUPPORT;
	f = fopen(path, "w");
	if (!f) {
		snprintf(err, err_len, "%s: %s", path, strerror(errno));
		return -errno;
	}
	curl_easy_setopt(s->curl, CURLOPT_URL, url);
	curl_easy_setopt(s->curl, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(s->curl, CURLOPT_WRITEFUNCTION, to_file);
	curl_easy_setopt(s->curl, CURLOPT_WRITEDATA, f);
	curl_easy_setopt(s->curl, CURLOPT_ERRORBUFFER, curl_err);
	rc = curl_easy_perform(s->curl);
	curl_easy_setopt(s->curl, CURLOPT_ERRORBUFFER, NULL);
	curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &code);
	if (fclose(f) && rc == CURLE_OK)
		rc = CURLE_WRITE_ERROR;
	if (rc != CURLE_OK) {
		transfer_error(s, rc, curl_err, err, err_len);
		return -EIO;
	}
	if (code != 200) {
		snprintf(err, err_len, "HTTP status %ld for %s", code, url);
		return code == 401 || code == 407 ? -EACCES : -EIO;
	}
	return 0;
}

time_t session_server_time(struct session *s)
{
	return s->server_time;
}

void session_close(struct session *s)
{
	if (!s)
		return;
	curl_easy_cleanup(s->curl);
	curl_slist_free_all(s->headers);
	EVP_PKEY_free(s->key);
	X509_free(s->cert);
	free(s);
}
