// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Writing packages: the header, the commands, and a CMS SignedData
 * (detached, binary, one SignerInfo) over the command list.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "hnbtre_pkg_build.h"

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static void put_be64(uint8_t *p, uint64_t v)
{
	put_be32(p, v >> 32);
	put_be32(p + 4, (uint32_t)v);
}

void hnbtre_pkg_header(uint8_t h[HNBTRE_PKG_HEADER_LEN], uint32_t cmds_len,
		       uint32_t sigs_len)
{
	memcpy(h, HNBTRE_PKG_PREAMBLE, HNBTRE_PKG_PREAMBLE_LEN);
	put_be32(h + 8, HNBTRE_PKG_FORMAT);
	put_be32(h + 12, cmds_len);
	put_be32(h + 16, sigs_len);
	put_be32(h + 20, 0);
}

static int cmd(struct hnbtre_buf *b, unsigned int type, size_t len,
	       uint8_t **value)
{
	size_t need = b->len + HNBTRE_PKG_CMD_HEADER_LEN + len;
	uint8_t *p;

	if (len > UINT32_MAX || need > HNBTRE_PKG_CMDS_MAX)
		return -E2BIG;
	if (need > b->size) {
		size_t size = b->size ? b->size : 4096;

		while (size < need)
			size *= 2;
		p = realloc(b->data, size);
		if (!p)
			return -ENOMEM;
		b->data = p;
		b->size = size;
	}
	p = b->data + b->len;
	p[0] = type >> 8;
	p[1] = type;
	put_be32(p + 2, (uint32_t)len);
	*value = p + HNBTRE_PKG_CMD_HEADER_LEN;
	b->len = need;
	return 0;
}

int hnbtre_pkg_add_version(struct hnbtre_buf *b, uint64_t version)
{
	uint8_t *v;
	int ret = cmd(b, HNBTRE_PKG_CMD_VERSION, 8, &v);

	if (!ret)
		put_be64(v, version);
	return ret;
}

int hnbtre_pkg_add_bytes(struct hnbtre_buf *b, unsigned int type,
			 const void *data, size_t len)
{
	uint8_t *v;
	int ret = cmd(b, type, len, &v);

	if (!ret && len)
		memcpy(v, data, len);
	return ret;
}

int hnbtre_pkg_add_region(struct hnbtre_buf *b, unsigned int type,
			  const struct hnbtre_pkg_file *f)
{
	size_t path_len = f->path ? strlen(f->path) : 0;
	size_t len = 8 + HNBTRE_DIGEST_LEN + (f->path ? 4 + path_len : 0);
	uint8_t *v;
	int ret = cmd(b, type, len, &v);

	if (ret)
		return ret;
	put_be64(v, f->size);
	memcpy(v + 8, f->digest, HNBTRE_DIGEST_LEN);
	if (f->path) {
		put_be32(v + 8 + HNBTRE_DIGEST_LEN, f->mode);
		memcpy(v + 12 + HNBTRE_DIGEST_LEN, f->path, path_len);
	}
	return 0;
}

static int fail(char *err, int ret, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *err, int ret, const char *fmt, ...)
{
	unsigned long e = ERR_peek_error();
	size_t n;
	va_list ap;

	va_start(ap, fmt);
	hnbtre_vfail(err, ret, fmt, ap);
	va_end(ap);
	n = strlen(err);
	if (e && n + 3 < HNBTRE_ERR_LEN)
		snprintf(err + n, HNBTRE_ERR_LEN - n, ": %s",
			 ERR_reason_error_string(e));
	ERR_clear_error();
	return ret;
}

int hnbtre_pkg_cms_sign(const uint8_t *data, size_t len, const char *cert_pem,
			const char *key_pem, const char *digest,
			uint8_t **der, size_t *der_len, char *err)
{
	STACK_OF(X509) *chain = sk_X509_new_null();
	const EVP_MD *md = EVP_get_digestbyname(digest);
	BIO *certs = BIO_new_file(cert_pem, "r");
	BIO *keys = BIO_new_file(key_pem, "r");
	BIO *in = BIO_new_mem_buf(data, (int)len);
	CMS_ContentInfo *cms = NULL;
	EVP_PKEY *key = NULL;
	X509 *signer = NULL, *x;
	unsigned char *out = NULL;
	int n, ret = -ENOMEM;

	if (!chain || !in)
		goto out;
	if (!md) {
		ret = fail(err, -EINVAL, "digest %s: not available", digest);
		goto out;
	}
	/* The first certificate signs; the others are intermediates. */
	signer = certs ? PEM_read_bio_X509(certs, NULL, NULL, NULL) : NULL;
	if (!signer) {
		ret = fail(err, -ENOENT, "%s: no certificate", cert_pem);
		goto out;
	}
	while ((x = PEM_read_bio_X509(certs, NULL, NULL, NULL)))
		sk_X509_push(chain, x);
	ERR_clear_error();
	key = keys ? PEM_read_bio_PrivateKey(keys, NULL, NULL, NULL) : NULL;
	if (!key) {
		ret = fail(err, -ENOENT, "%s: no private key", key_pem);
		goto out;
	}
	/* Signed attributes (content type, digest, signing time), no SMIMECAP. */
	cms = CMS_sign(NULL, NULL, chain, NULL,
		       CMS_BINARY | CMS_DETACHED | CMS_PARTIAL);
	if (!cms || !CMS_add1_signer(cms, signer, key, md,
				     CMS_BINARY | CMS_NOSMIMECAP) ||
	    !CMS_final(cms, in, NULL, CMS_BINARY | CMS_DETACHED)) {
		ret = fail(err, -EINVAL, "signing with %s", key_pem);
		goto out;
	}
	n = i2d_CMS_ContentInfo(cms, &out);
	if (n <= 0 || n > HNBTRE_PKG_SIG_MAX) {
		ret = fail(err, -E2BIG, "signature of %d bytes", n);
		goto out;
	}
	*der = out;
	*der_len = (size_t)n;
	out = NULL;
	ret = 0;
out:
	OPENSSL_free(out);
	CMS_ContentInfo_free(cms);
	EVP_PKEY_free(key);
	X509_free(signer);
	sk_X509_pop_free(chain, X509_free);
	BIO_free(in);
	BIO_free(keys);
	BIO_free(certs);
	return ret;
}
