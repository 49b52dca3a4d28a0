// SPDX-License-Identifier: GPL-2.0-only
/*
 * cmp_server: the operator's CMP server (RFC 4210 over HTTP, RFC 6712) for
 * the enrolment tests, on OpenSSL's OSSL_CMP_SRV_CTX.  `openssl cmp`'s mock
 * server returns one fixed certificate (-rsp_cert), which cannot carry a
 * key generated on the device during the test; this one issues a
 * certificate for the key and subject of each request, and can misbehave
 * in the ways the tests need (Documentation/enrolment.md, "Tests").
 *
 * usage: cmp_server PORT CA.pem CA.key SRV.pem SRV.key TRUSTED.pem [OPTION...]
 *   --secret FILE       the shared secret of MAC-protected requests
 *                       (FILE's content, without a final newline); the
 *                       answers are then MAC-protected too
 *   --seconds N         lifetime of issued certificates (default 1 day)
 *   --other-identity    issue for CN 0005B9-9999999999 instead
 *   --other-key         issue for a key of its own instead
 *   --record FILE       write the first certificate response (DER) to FILE
 *   --replay FILE       answer certificate requests with FILE's message
 * It serves until killed; one request per connection.
 */
#define _GNU_SOURCE	/* strcasestr */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/cmp.h>
#include <openssl/crmf.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

struct server {
	X509 *ca;
	EVP_PKEY *ca_key;
	long seconds;
	int other_identity, other_key;
	const char *record, *replay;
};

/* A random positive 64-bit serial, as a CA's (RFC 5280 4.1.2.2): unique
 * across servers, so that a test can tell certificates apart by it. */
static int random_serial(X509 *cert)
{
	BIGNUM *bn = BN_new();
	int ok = bn && BN_rand(bn, 64, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY) &&
		 BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert));

	BN_free(bn);
	return ok;
}

static X509 *read_cert(const char *path)
{
	BIO *bio = BIO_new_file(path, "r");
	X509 *cert = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;

	BIO_free(bio);
	return cert;
}

static EVP_PKEY *read_key(const char *path)
{
	BIO *bio = BIO_new_file(path, "r");
	EVP_PKEY *key = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;

	BIO_free(bio);
	return key;
}

/*
 * The template's publicKey [6] (IMPLICIT SubjectPublicKeyInfo): OpenSSL
 * 3.0 has no getter for it, so find it in the template's DER.
 */
static EVP_PKEY *template_pubkey(const OSSL_CRMF_CERTTEMPLATE *tmpl)
{
	unsigned char *der = NULL;
	const unsigned char *p, *end, *elem;
	EVP_PKEY *key = NULL;
	long len;
	int n, tag, class, inf;

	n = i2d_OSSL_CRMF_CERTTEMPLATE(tmpl, &der);
	if (n <= 0)
		return NULL;
	p = der;
	inf = ASN1_get_object(&p, &len, &tag, &class, n);
	end = p + len;
	while (!(inf & 0x80) && p < end) {
		elem = p;
		inf = ASN1_get_object(&p, &len, &tag, &class, end - p);
		if (inf & 0x80)
			break;
		if (class == V_ASN1_CONTEXT_SPECIFIC && tag == 6) {
			der[elem - der] = 0x30;	/* SEQUENCE, as SPKI */
			key = d2i_PUBKEY(NULL, &elem, p + len - elem);
			break;
		}
		p += len;
	}
	OPENSSL_free(der);
	return key;
}

static int add_ext(X509 *cert, X509V3_CTX *v3, const char *name,
		   const char *value)
{
	X509_EXTENSION *ext = X509V3_EXT_conf(NULL, v3, name, value);
	int ok = ext && X509_add_ext(cert, ext, -1);

	X509_EXTENSION_free(ext);
	return ok;
}

static X509 *issue(struct server *s, const OSSL_CRMF_MSG *crm)
{
	OSSL_CRMF_CERTTEMPLATE *tmpl = OSSL_CRMF_MSG_get0_tmpl(crm);
	const STACK_OF(X509_EXTENSION) *exts;
	EVP_PKEY *key = NULL;
	X509_NAME *subject = NULL;
	X509V3_CTX v3;
	X509 *cert = X509_new();
	int i, ok = 0;

	if (!cert || !tmpl)
		goto out;
	key = s->other_key ? EVP_RSA_gen(2048) : template_pubkey(tmpl);
	if (s->other_identity) {
		subject = X509_NAME_new();
		if (!subject ||
		    !X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC,
						(const unsigned char *)"0005B9-9999999999",
						-1, -1, 0))
			goto out;
	} else if (OSSL_CRMF_CERTTEMPLATE_get0_subject(tmpl)) {
		subject = X509_NAME_dup(OSSL_CRMF_CERTTEMPLATE_get0_subject(tmpl));
	}
	if (!key || !subject || !X509_set_version(cert, 2) ||
	    !random_serial(cert) ||
	    !X509_set_issuer_name(cert, X509_get_subject_name(s->ca)) ||
	    !X509_set_subject_name(cert, subject) ||
	    !X509_gmtime_adj(X509_getm_notBefore(cert), -60) ||
	    !X509_gmtime_adj(X509_getm_notAfter(cert), s->seconds) ||
	    !X509_set_pubkey(cert, key))
		goto out;
	X509V3_set_ctx(&v3, s->ca, cert, NULL, NULL, 0);
	exts = OSSL_CRMF_CERTTEMPLATE_get0_extensions(tmpl);
	for (i = 0; !s->other_identity && i < sk_X509_EXTENSION_num(exts); i++) {
		X509_EXTENSION *ext = sk_X509_EXTENSION_value(exts, i);

		/* the names the device asks for; the CA decides the rest */
		if (OBJ_obj2nid(X509_EXTENSION_get_object(ext)) == NID_subject_alt_name &&
		    !X509_add_ext(cert, ext, -1))
			goto out;
	}
	if (!add_ext(cert, &v3, "basicConstraints", "critical,CA:FALSE") ||
	    !add_ext(cert, &v3, "subjectKeyIdentifier", "hash") ||
	    !add_ext(cert, &v3, "authorityKeyIdentifier", "keyid:always") ||
	    !add_ext(cert, &v3, "keyUsage", "critical,digitalSignature,keyEncipherment") ||
	    !add_ext(cert, &v3, "extendedKeyUsage", "clientAuth,serverAuth") ||
	    !X509_sign(cert, s->ca_key, EVP_sha256()))
		goto out;
	ok = 1;
out:
	X509_NAME_free(subject);
	EVP_PKEY_free(key);
	if (!ok) {
		X509_free(cert);
		return NULL;
	}
	return cert;
}

static OSSL_CMP_PKISI *cert_request(OSSL_CMP_SRV_CTX *srv_ctx,
				    const OSSL_CMP_MSG *req, int certReqId,
				    const OSSL_CRMF_MSG *crm,
				    const X509_REQ *p10cr, X509 **certOut,
				    STACK_OF(X509) **chainOut,
				    STACK_OF(X509) **caPubs)
{
	struct server *s = OSSL_CMP_SRV_CTX_get0_custom_ctx(srv_ctx);

	(void)certReqId;
	*chainOut = NULL;
	*caPubs = NULL;
	if (p10cr || !crm) {
		ERR_raise_data(ERR_LIB_USER, ERR_R_UNSUPPORTED, "CRMF requests only");
		return NULL;
	}
	*certOut = issue(s, crm);
	if (!*certOut)
		return NULL;
	if (OSSL_CMP_MSG_get_bodytype(req) == OSSL_CMP_IR) {
		*caPubs = sk_X509_new_null();
		if (!*caPubs || !X509_add_cert(*caPubs, s->ca, X509_ADD_FLAG_UP_REF))
			return NULL;
	}
	return OSSL_CMP_STATUSINFO_new(OSSL_CMP_PKISTATUS_accepted, 0, NULL);
}

static int cert_conf(OSSL_CMP_SRV_CTX *srv_ctx, const OSSL_CMP_MSG *req,
		     int certReqId, const ASN1_OCTET_STRING *certHash,
		     const OSSL_CMP_PKISI *si)
{
	(void)srv_ctx; (void)req; (void)certReqId; (void)certHash; (void)si;
	return 1;
}

static void error_msg(OSSL_CMP_SRV_CTX *srv_ctx, const OSSL_CMP_MSG *req,
		      const OSSL_CMP_PKISI *statusInfo,
		      const ASN1_INTEGER *errorCode,
		      const OSSL_CMP_PKIFREETEXT *errDetails)
{
	(void)srv_ctx; (void)req; (void)statusInfo; (void)errorCode; (void)errDetails;
	fprintf(stderr, "cmp_server: the client reported an error\n");
}

static int read_full(int fd, char *buf, size_t len)
{
	while (len) {
		ssize_t n = read(fd, buf, len);

		if (n <= 0)
			return -1;
		buf += n;
		len -= n;
	}
	return 0;
}

static int write_full(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n <= 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

static OSSL_CMP_MSG *read_msg_file(const char *path)
{
	BIO *bio = BIO_new_file(path, "rb");
	OSSL_CMP_MSG *msg = bio ? d2i_OSSL_CMP_MSG_bio(bio, NULL) : NULL;

	BIO_free(bio);
	return msg;
}

/* One HTTP POST of a DER PKIMessage; the answer, then close. */
static void serve(struct server *s, OSSL_CMP_SRV_CTX *srv_ctx, int fd)
{
	char head[8192], *body = NULL, *end, *cl;
	const unsigned char *p;
	unsigned char *out = NULL;
	OSSL_CMP_MSG *req = NULL, *rsp = NULL;
	size_t got = 0, have;
	long len;
	int type, n;

	while (got < sizeof(head) - 1) {
		ssize_t r = read(fd, head + got, sizeof(head) - 1 - got);

		if (r <= 0)
			return;
		got += r;
		head[got] = 0;
		if (strstr(head, "\r\n\r\n"))
			break;
	}
	end = strstr(head, "\r\n\r\n");
	cl = strcasestr(head, "\r\nContent-Length:");
	if (!end || !cl || cl > end)
		return;
	len = strtol(cl + 17, NULL, 10);
	if (len <= 0 || len > 1 << 20)
		return;
	body = malloc(len);
	have = got - (end + 4 - head);
	if (!body || have > (size_t)len)
		goto out;
	memcpy(body, end + 4, have);
	if (read_full(fd, body + have, len - have))
		goto out;
	p = (const unsigned char *)body;
	req = d2i_OSSL_CMP_MSG(NULL, &p, len);
	if (!req)
		goto out;
	type = OSSL_CMP_MSG_get_bodytype(req);
	if (s->replay && (type == OSSL_CMP_IR || type == OSSL_CMP_KUR))
		rsp = read_msg_file(s->replay);
	else
		rsp = OSSL_CMP_SRV_process_request(srv_ctx, req);
	if (!rsp) {
		ERR_print_errors_fp(stderr);
		goto out;
	}
	if (s->record && (type == OSSL_CMP_IR || type == OSSL_CMP_KUR)) {
		OSSL_CMP_MSG_write(s->record, rsp);
		s->record = NULL;
	}
	n = i2d_OSSL_CMP_MSG(rsp, &out);
	if (n > 0) {
		dprintf(fd, "HTTP/1.0 200 OK\r\nContent-Type: application/pkixcmp\r\n"
			"Content-Length: %d\r\nConnection: close\r\n\r\n", n);
		write_full(fd, out, n);
	}
out:
	OPENSSL_free(out);
	OSSL_CMP_MSG_free(req);
	OSSL_CMP_MSG_free(rsp);
	free(body);
}

static int load_store(OSSL_CMP_CTX *ctx, const char *path)
{
	X509_STORE *store = X509_STORE_new();

	if (!store || !X509_STORE_load_file(store, path)) {
		X509_STORE_free(store);
		return 0;
	}
	return OSSL_CMP_CTX_set0_trustedStore(ctx, store);
}

static int set_secret(OSSL_CMP_CTX *ctx, const char *path)
{
	unsigned char buf[256];
	FILE *f = fopen(path, "rb");
	size_t n = f ? fread(buf, 1, sizeof(buf), f) : 0;

	if (f)
		fclose(f);
	if (n && buf[n - 1] == '\n')	/* as hnbtre enrol reads it */
		n--;
	return n && OSSL_CMP_CTX_set1_secretValue(ctx, buf, n);
}

int main(int argc, char **argv)
{
	struct server s = { .seconds = 86400 };
	struct sockaddr_in addr = { .sin_family = AF_INET };
	OSSL_CMP_SRV_CTX *srv_ctx;
	OSSL_CMP_CTX *ctx;
	X509 *srv_cert;
	EVP_PKEY *srv_key;
	int i, one = 1, sock;

	if (argc < 7) {
		fprintf(stderr, "usage: cmp_server PORT CA.pem CA.key SRV.pem SRV.key TRUSTED.pem [--secret FILE] [--seconds N] [--other-identity] [--other-key] [--record FILE] [--replay FILE]\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	s.ca = read_cert(argv[2]);
	s.ca_key = read_key(argv[3]);
	srv_cert = read_cert(argv[4]);
	srv_key = read_key(argv[5]);
	srv_ctx = OSSL_CMP_SRV_CTX_new(NULL, NULL);
	ctx = srv_ctx ? OSSL_CMP_SRV_CTX_get0_cmp_ctx(srv_ctx) : NULL;
	if (!s.ca || !s.ca_key || !srv_cert || !srv_key || !ctx ||
	    !OSSL_CMP_SRV_CTX_init(srv_ctx, &s, cert_request, NULL, NULL,
				   error_msg, cert_conf, NULL) ||
	    !OSSL_CMP_CTX_set1_cert(ctx, srv_cert) ||
	    !OSSL_CMP_CTX_set1_pkey(ctx, srv_key) || !load_store(ctx, argv[6])) {
		ERR_print_errors_fp(stderr);
		return 2;
	}
	for (i = 7; i < argc; i++) {
		if (!strcmp(argv[i], "--secret") && i + 1 < argc) {
			if (!set_secret(ctx, argv[++i]))
				return 2;
		} else if (!strcmp(argv[i], "--seconds") && i + 1 < argc) {
			s.seconds = atol(argv[++i]);
		} else if (!strcmp(argv[i], "--other-identity")) {
			s.other_identity = 1;
		} else if (!strcmp(argv[i], "--other-key")) {
			s.other_key = 1;
		} else if (!strcmp(argv[i], "--record") && i + 1 < argc) {
			s.record = argv[++i];
		} else if (!strcmp(argv[i], "--replay") && i + 1 < argc) {
			s.replay = argv[++i];
		} else {
			fprintf(stderr, "cmp_server: unknown option %s\n", argv[i]);
			return 2;
		}
	}
	sock = socket(AF_INET, SOCK_STREAM, 0);
	addr.sin_port = htons(atoi(argv[1]));
	if (sock < 0 || setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(sock, (struct sockaddr *)&addr, sizeof(addr)) || listen(sock, 8)) {
		perror("cmp_server");
		return 2;
	}
	for (;;) {
		int fd = accept(sock, NULL, NULL);

		if (fd < 0)
			continue;
		serve(&s, srv_ctx, fd);
		close(fd);
	}
}
