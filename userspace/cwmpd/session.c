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
 * - the device authenticates with its certificate and the TrE key, never
 *   with HTTP authentication: there are no credentials to send, and a 401
 *   or 407 ends the session.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "cwmpd.h"
#include "hnbtre_tls.h"

#define TLS12_CIPHERS	"ECDHE+AESGCM:ECDHE+CHACHA20:!aNULL:!eNULL"

struct session {
	CURL *curl;
	X509 *cert;
	EVP_PKEY *key;
	struct curl_slist *headers;
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

/* libcurl's SSL_CTX, before each handshake: the TrE key and the suites. */
static CURLcode setup_ssl_ctx(CURL *curl, void *ssl_ctx, void *userdata)
{
	struct session *s = userdata;
	SSL_CTX *ctx = ssl_ctx;

	(void)curl;
	if (hnbtre_tls_use_tre_key(ctx, s->cert, s->key) ||
	    !SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION))
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

static int set_profile(CURL *c, const struct agent_config *config)
{
	return curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https") ||
	       curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "https") ||
	       curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L) ||
	       curl_easy_setopt(c, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2) ||
	       curl_easy_setopt(c, CURLOPT_SSL_CIPHER_LIST, TLS12_CIPHERS) ||
	       curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L) ||
	       curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L) ||
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
	s->curl = curl_easy_init();
	s->headers = curl_slist_append(NULL, "Content-Type: text/xml; charset=\"utf-8\"");
	s->headers = s->headers ? curl_slist_append(s->headers, "SOAPAction:") : NULL;
	s->headers = s->headers ? curl_slist_append(s->headers, "Expect:") : NULL;
	if (!s->curl || !s->headers || set_profile(s->curl, config) ||
	    curl_easy_setopt(s->curl, CURLOPT_URL, config->acs_url) ||
	    curl_easy_setopt(s->curl, CURLOPT_SSL_CTX_FUNCTION, setup_ssl_ctx) ||
	    curl_easy_setopt(s->curl, CURLOPT_SSL_CTX_DATA, s) ||
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
	int tre_error = hnbtre_tre_pkey_error(s->key);

	snprintf(err, len, "%s%s%s", curl_easy_strerror(rc),
		 curl_err[0] ? ": " : "", curl_err);
	if (tre_error)
		snprintf(err + strlen(err), len - strlen(err), " [TrE key: %s%s]",
			 strerror(tre_error), tre_error == EKEYREJECTED ?
			 ", the TrE state is not trusted" : "");
	ERR_clear_error();
}

int session_post(struct session *s, const char *body, size_t len, char **resp,
		 size_t *resp_len, char *err, size_t err_len)
{
	char curl_err[CURL_ERROR_SIZE] = "";
	struct buffer b = { 0 };
	long code = 0;
	CURLcode rc;

	curl_easy_setopt(s->curl, CURLOPT_POST, 1L);
	curl_easy_setopt(s->curl, CURLOPT_POSTFIELDS, body ? body : "");
	curl_easy_setopt(s->curl, CURLOPT_POSTFIELDSIZE, (long)len);
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
		snprintf(err, err_len, "HTTP status %ld from the ACS", code);
		free(b.data);
		return -EPROTO;
	}
	*resp = b.data;
	*resp_len = code == 204 ? 0 : b.len;
	return 0;
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
