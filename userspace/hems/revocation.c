// SPDX-License-Identifier: GPL-2.0-only
/*
 * Revocation of device certificates (TS 33.320 8.3.2.1: the H(e)MS checks
 * them by CRL or OCSP; Documentation/tr069.md, "Revocation of device
 * certificates").  Checked once per TLS connection, at its first request;
 * an OCSP query runs outside the event loop (server.c):
 * a revoked certificate gets no session; no valid status refuses it too
 * (strict) or lets it in with a warning (soft).  Answers are kept until
 * their nextUpdate, so a device's sessions cost one responder query per
 * validity period; the CRL is read again when its file changes or its
 * nextUpdate passes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "../cwmpd/ocsp.h"
#include "hems.h"

/* Clock skew allowed against a CRL's lastUpdate. */
#define CRL_SKEW	300
/* Bounds the memory a fleet's answers take; the oldest go first. */
#define CACHE_MAX	65536

/* One OCSP answer about one certificate, kept until its nextUpdate. */
struct cached_status {
	struct cached_status *next;
	unsigned char id[EVP_MAX_MD_SIZE];	/* SHA-256 of issuer name + serial */
	int status;
	int reason;
	time_t until;
};

struct revocation {
	const struct hems_config *config;
	X509_STORE *roots;
	struct cached_status *cache;	/* newest first */
	unsigned int cached;
	X509_CRL *crl;
	struct timespec crl_mtime;
	off_t crl_size;
};

/* What one check found out. */
struct verdict {
	int status;		/* V_OCSP_CERTSTATUS_*; UNKNOWN: no valid status */
	int reason;		/* OCSP_REVOKED_STATUS_*, or -1 */
	char source[256];	/* "OCSP URL", "OCSP, cached until T", "CRL PATH" */
	char why[256];		/* without a valid status */
};

struct revocation *revocation_new(const struct hems_config *config, X509_STORE *roots)
{
	struct revocation *rv = calloc(1, sizeof(*rv));

	if (rv) {
		rv->config = config;
		rv->roots = roots;
	}
	return rv;
}

void revocation_free(struct revocation *rv)
{
	struct cached_status *c, *next;

	if (!rv)
		return;
	for (c = rv->cache; c; c = next) {
		next = c->next;
		free(c);
	}
	X509_CRL_free(rv->crl);
	free(rv);
}

static void iso_time(time_t t, char *buf, size_t len)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The cache key of @cert: its issuer's name and its serial number. */
static int cert_id(X509 *cert, unsigned char id[EVP_MAX_MD_SIZE])
{
	unsigned char *name = NULL, *serial = NULL;
	int name_len = i2d_X509_NAME(X509_get_issuer_name(cert), &name);
	int serial_len = i2d_ASN1_INTEGER(X509_get_serialNumber(cert), &serial);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ok = name_len > 0 && serial_len > 0 && md &&
		 EVP_DigestInit_ex(md, EVP_sha256(), NULL) &&
		 EVP_DigestUpdate(md, name, name_len) &&
		 EVP_DigestUpdate(md, serial, serial_len) &&
		 EVP_DigestFinal_ex(md, id, NULL);

	memset(id + 32, 0, EVP_MAX_MD_SIZE - 32);
	EVP_MD_CTX_free(md);
	OPENSSL_free(name);
	OPENSSL_free(serial);
	return ok ? 0 : -ENOMEM;
}

/* The live answer about @id, dropping expired ones on the way. */
static struct cached_status *cache_find(struct revocation *rv, const unsigned char *id,
					time_t now)
{
	struct cached_status **p = &rv->cache, *c;

	while ((c = *p)) {
		if (c->until <= now) {
			*p = c->next;
			free(c);
			rv->cached--;
			continue;
		}
		if (!memcmp(c->id, id, EVP_MAX_MD_SIZE))
			return c;
		p = &c->next;
	}
	return NULL;
}

static void cache_add(struct revocation *rv, const unsigned char *id, int status,
		      int reason, time_t until)
{
	struct cached_status *c, **p;

	if (rv->cached >= CACHE_MAX) {
		for (p = &rv->cache; (*p)->next; p = &(*p)->next)
			;
		free(*p);
		*p = NULL;
		rv->cached--;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return;		/* not kept: asked again next time */
	memcpy(c->id, id, EVP_MAX_MD_SIZE);
	c->status = status;
	c->reason = reason;
	c->until = until;
	c->next = rv->cache;
	rv->cache = c;
	rv->cached++;
}

/*
 * One OCSP query about one certificate, run away from the server's event
 * loop (revocation_query_run()): a responder that is slow or never answers
 * delays only this device's session.
 */
struct revocation_query {
	X509 *cert, *issuer;
	STACK_OF(X509) *chain;
	X509_STORE *roots;	/* thread-safe for verification (OpenSSL 3) */
	char *url;
	unsigned char id[EVP_MAX_MD_SIZE];
	bool has_id;
	time_t now, next_update;
	struct verdict v;
	char identity[HNBTRE_IDENTITY_MAX + 1];
};

/*
 * OCSP: the cached answer, else the responder to ask (the configured one
 * or the first one the certificate's AIA names): a query for @q.
 */
static void ocsp_status(struct revocation *rv, X509 *cert, X509 *issuer,
			STACK_OF(X509) *chain, time_t now, struct verdict *v,
			struct revocation_query **q)
{
	const char *responder = rv->config->ocsp_responder;
	unsigned char id[EVP_MAX_MD_SIZE];
	struct cached_status *cached;
	bool has_id = !cert_id(cert, id);
	char *url, until[32];

	if (has_id && (cached = cache_find(rv, id, now))) {
		iso_time(cached->until, until, sizeof(until));
		snprintf(v->source, sizeof(v->source), "OCSP, cached until %s", until);
		v->status = cached->status;
		v->reason = cached->reason;
		return;
	}
	url = strcmp(responder, "aia") ? strdup(responder) : ocsp_responder_url(cert);
	snprintf(v->source, sizeof(v->source), "OCSP %s", url ? url : "(no responder)");
	if (!url) {
		snprintf(v->why, sizeof(v->why), "the certificate names no OCSP responder");
		return;
	}
	*q = calloc(1, sizeof(**q));
	if (!*q || !X509_up_ref(cert) || !X509_up_ref(issuer)) {
		snprintf(v->why, sizeof(v->why), "out of memory");
		free(*q);
		*q = NULL;
		free(url);
		return;
	}
	(*q)->cert = cert;
	(*q)->issuer = issuer;
	(*q)->chain = X509_chain_up_ref(chain);
	(*q)->roots = rv->roots;
	(*q)->url = url;
	(*q)->has_id = has_id;
	memcpy((*q)->id, id, sizeof(id));
	(*q)->now = now;
	(*q)->v = *v;
}

/*
 * The query, checked by the agent's rules (cwmpd/ocsp.c: signature by the
 * issuer or its delegated responder, our nonce, this certificate's
 * CertID, current).  Touches nothing but @q: runs in any thread.
 */
void revocation_query_run(struct revocation_query *q)
{
	struct ocsp_result r = { .status = -1 };
	struct verdict *v = &q->v;
	unsigned char *der = NULL;
	OCSP_REQUEST *req;
	size_t len;

	req = ocsp_request(q->cert, q->issuer);
	if (!req)
		snprintf(v->why, sizeof(v->why), "cannot build the OCSP request");
	else if (!ocsp_query(q->url, req, &der, &len, v->why, sizeof(v->why)) &&
		 !ocsp_check_response(der, len, q->cert, q->issuer, q->chain, q->roots, req,
				      q->now, &r)) {
		if (r.status == V_OCSP_CERTSTATUS_UNKNOWN) {
			snprintf(v->why, sizeof(v->why), "the responder does not know the certificate");
		} else {
			v->status = r.status;
			v->reason = r.revocation_reason;
			q->next_update = r.next_update;
		}
	} else if (!v->why[0]) {
		snprintf(v->why, sizeof(v->why), "%s", r.reason);
	}
	OCSP_REQUEST_free(req);
	free(der);
}

static void query_free(struct revocation_query *q)
{
	X509_free(q->cert);
	X509_free(q->issuer);
	sk_X509_pop_free(q->chain, X509_free);
	free(q->url);
	free(q);
}

/* The CRL file, read again when it changed on disk or is no longer current. */
static const char *crl_load(struct revocation *rv, time_t now)
{
	const char *path = rv->config->crl_path;
	const ASN1_TIME *next;
	X509_CRL *crl;
	struct stat st;
	BIO *bio;

	if (stat(path, &st))
		return strerror(errno);
	if (rv->crl && st.st_mtim.tv_sec == rv->crl_mtime.tv_sec &&
	    st.st_mtim.tv_nsec == rv->crl_mtime.tv_nsec && st.st_size == rv->crl_size &&
	    (next = X509_CRL_get0_nextUpdate(rv->crl)) && X509_cmp_time(next, &now) > 0)
		return NULL;
	bio = BIO_new_file(path, "rb");
	crl = bio ? PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL) : NULL;
	if (bio && !crl) {
		(void)BIO_reset(bio);
		crl = d2i_X509_CRL_bio(bio, NULL);
	}
	BIO_free(bio);
	ERR_clear_error();
	if (!crl)
		return "not a CRL (PEM or DER)";
	X509_CRL_free(rv->crl);
	rv->crl = crl;
	rv->crl_mtime = st.st_mtim;
	rv->crl_size = st.st_size;
	return NULL;
}

/* CRL: issued and signed by the certificate's issuer, current, listing it or not. */
static void crl_status(struct revocation *rv, X509 *cert, X509 *issuer, time_t now,
		       struct verdict *v)
{
	const char *why = crl_load(rv, now);
	const ASN1_TIME *next;
	X509_REVOKED *entry;
	ASN1_ENUMERATED *reason;
	time_t skewed = now + CRL_SKEW;
	struct tm tm;
	char at[32];

	snprintf(v->source, sizeof(v->source), "CRL %s", rv->config->crl_path);
	if (why) {
		snprintf(v->why, sizeof(v->why), "%s", why);
		return;
	}
	next = X509_CRL_get0_nextUpdate(rv->crl);
	if (X509_NAME_cmp(X509_CRL_get_issuer(rv->crl), X509_get_subject_name(issuer))) {
		snprintf(v->why, sizeof(v->why), "the CRL is not the certificate issuer's");
	} else if (X509_CRL_verify(rv->crl, X509_get0_pubkey(issuer)) != 1) {
		snprintf(v->why, sizeof(v->why), "the CRL's signature is not the issuer's");
	} else if (X509_cmp_time(X509_CRL_get0_lastUpdate(rv->crl), &skewed) >= 0) {
		snprintf(v->why, sizeof(v->why), "the CRL is from the future (lastUpdate)");
	} else if (!next || !ASN1_TIME_to_tm(next, &tm)) {
		snprintf(v->why, sizeof(v->why), "the CRL has no nextUpdate");
	} else if (X509_cmp_time(next, &now) <= 0) {
		strftime(at, sizeof(at), "%Y-%m-%dT%H:%M:%SZ", &tm);
		snprintf(v->why, sizeof(v->why), "the CRL expired at %s", at);
	} else if (X509_CRL_get0_by_cert(rv->crl, &entry, cert) == 1) {
		v->status = V_OCSP_CERTSTATUS_REVOKED;
		reason = X509_REVOKED_get_ext_d2i(entry, NID_crl_reason, NULL, NULL);
		v->reason = reason ? ASN1_ENUMERATED_get(reason) : -1;
		ASN1_ENUMERATED_free(reason);
	} else {
		v->status = V_OCSP_CERTSTATUS_GOOD;
	}
	ERR_clear_error();
}

/* The verdict on @identity's certificate from @v, logged; @line says it. */
static bool decide(struct revocation *rv, const char *identity, const struct verdict *v,
		   char line[REVOCATION_LINE_LEN])
{
	if (v->status == V_OCSP_CERTSTATUS_GOOD) {
		snprintf(line, REVOCATION_LINE_LEN, "certificate of %s: good (%s)", identity, v->source);
	} else if (v->status == V_OCSP_CERTSTATUS_REVOKED) {
		snprintf(line, REVOCATION_LINE_LEN, "certificate of %s is revoked (%s, reason %s): "
			 "no session", identity, v->source,
			 v->reason < 0 ? "unspecified" : OCSP_crl_reason_str(v->reason));
	} else {
		snprintf(line, REVOCATION_LINE_LEN, "%sno revocation status for the certificate of %s "
			 "(%s: %s): %s", rv->config->revocation_soft ? "warning: " : "",
			 identity, v->source, v->why, rv->config->revocation_soft ?
			 "session continues (soft)" : "no session (strict)");
	}
	hems_log("%s%s", line, "");
	return v->status == V_OCSP_CERTSTATUS_GOOD ||
	       (v->status == V_OCSP_CERTSTATUS_UNKNOWN && rv->config->revocation_soft);
}

int revocation_start(struct revocation *rv, SSL *ssl, const char *identity,
		     struct revocation_query **q, char line[REVOCATION_LINE_LEN])
{
	STACK_OF(X509) *chain = SSL_get0_verified_chain(ssl);
	struct verdict v = { .status = V_OCSP_CERTSTATUS_UNKNOWN, .reason = -1 };
	time_t now = time(NULL);
	X509 *cert, *issuer;

	*q = NULL;
	if (rv->config->revocation == REVOCATION_OFF)
		return 1;
	if (!chain || sk_X509_num(chain) < 2) {
		snprintf(v.source, sizeof(v.source), "%s",
			 rv->config->revocation == REVOCATION_OCSP ? "OCSP" : "CRL");
		snprintf(v.why, sizeof(v.why), "no issuer in the verified chain");
	} else {
		cert = sk_X509_value(chain, 0);
		issuer = sk_X509_value(chain, 1);
		if (rv->config->revocation == REVOCATION_OCSP)
			ocsp_status(rv, cert, issuer, chain, now, &v, q);
		else
			crl_status(rv, cert, issuer, now, &v);
	}
	if (*q) {
		snprintf((*q)->identity, sizeof((*q)->identity), "%s", identity);
		return -EINPROGRESS;
	}
	return decide(rv, identity, &v, line);
}

void revocation_query_drop(struct revocation_query *q)
{
	if (q)
		query_free(q);
}

bool revocation_finish(struct revocation *rv, struct revocation_query *q,
		       char line[REVOCATION_LINE_LEN])
{
	bool admitted;

	/* without nextUpdate an answer is about now only (RFC 6960 4.2.2.1) */
	if (q->v.status != V_OCSP_CERTSTATUS_UNKNOWN && q->has_id && q->next_update > q->now)
		cache_add(rv, q->id, q->v.status, q->v.reason, q->next_update);
	admitted = decide(rv, q->identity, &q->v, line);
	query_free(q);
	return admitted;
}
