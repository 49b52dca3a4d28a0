// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Writing TR-069 Annex E packages: the header, the commands, and the one
 * PKCS #7 SignedData over header and command list, to which signers are
 * added without touching anything else.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

void hnbtre_pkg_header(uint8_t h[HNBTRE_PKG_HEADER_LEN], uint32_t cmds_len,
		       uint32_t payload_len)
{
	memcpy(h, HNBTRE_PKG_PREAMBLE, HNBTRE_PKG_PREAMBLE_LEN);
	put_be32(h + 8, HNBTRE_PKG_MAJOR);
	put_be32(h + 12, HNBTRE_PKG_MINOR);
	put_be32(h + 16, cmds_len);
	put_be32(h + 20, payload_len);
}

static int cmd(struct hnbtre_buf *b, uint32_t type, size_t len,
	       uint8_t **value)
{
	size_t need = b->len + HNBTRE_PKG_CMD_HEADER_LEN + len;
	uint8_t *p;

	if (len > HNBTRE_PKG_CMDS_MAX || need > HNBTRE_PKG_CMDS_MAX)
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
	put_be32(p, type);
	put_be32(p + 4, (uint32_t)len);
	*value = p + HNBTRE_PKG_CMD_HEADER_LEN;
	b->len = need;
	return 0;
}

int hnbtre_pkg_add(struct hnbtre_buf *b, uint32_t type, const void *data,
		   size_t len)
{
	uint8_t *v;
	int ret = cmd(b, type, len, &v);

	if (!ret && len)
		memcpy(v, data, len);
	return ret;
}

int hnbtre_pkg_add_u32(struct hnbtre_buf *b, uint32_t type, uint32_t value)
{
	uint8_t v[4];

	put_be32(v, value);
	return hnbtre_pkg_add(b, type, v, sizeof(v));
}

int hnbtre_pkg_add_file(struct hnbtre_buf *b, const struct hnbtre_pkg_file *f)
{
	size_t path_len = strlen(f->path);
	uint8_t *v;
	int ret = cmd(b, f->type, HNBTRE_PKG_FIXED_LEN + path_len +
		      HNBTRE_PKG_SHA1_LEN, &v);

	if (ret)
		return ret;
	put_be32(v, f->flags);
	put_be32(v + 4, HNBTRE_PKG_FIXED_LEN);
	put_be32(v + 8, (uint32_t)path_len);
	put_be32(v + 12, HNBTRE_PKG_HASH_SHA1);
	put_be32(v + 16, HNBTRE_PKG_FIXED_LEN + (uint32_t)path_len);
	put_be32(v + 20, HNBTRE_PKG_SHA1_LEN);
	put_be32(v + 24, (uint32_t)f->offset);
	put_be32(v + 28, (uint32_t)f->size);
	memcpy(v + HNBTRE_PKG_FIXED_LEN, f->path, path_len);
	memcpy(v + HNBTRE_PKG_FIXED_LEN + path_len, f->sha1, HNBTRE_PKG_SHA1_LEN);
	if (f->has_sha256)
		ret = hnbtre_pkg_add(b, HNBTRE_PKG_CMD_SHA256, f->digest,
				     HNBTRE_DIGEST_LEN);
	if (!ret)
		ret = hnbtre_pkg_add_u32(b, HNBTRE_PKG_CMD_MODE, f->mode);
	if (!ret && f->ima_sig)
		ret = hnbtre_pkg_add(b, HNBTRE_PKG_CMD_IMA_SIGNATURE, f->ima_sig,
				     f->ima_sig_len);
	return ret;
}

int hnbtre_pkg_add_remove(struct hnbtre_buf *b, uint32_t type,
			  const char *path)
{
	size_t path_len = strlen(path);
	uint8_t *v;
	int ret = cmd(b, type, 12 + path_len, &v);

	if (ret)
		return ret;
	put_be32(v, 0);
	put_be32(v + 4, 12);
	put_be32(v + 8, (uint32_t)path_len);
	memcpy(v + 12, path, path_len);
	return 0;
}

int hnbtre_pkg_add_manifest(struct hnbtre_buf *b,
			    const struct hnbtre_pkg_file *f)
{
	uint8_t *v;
	int ret = cmd(b, HNBTRE_PKG_CMD_MANIFEST, 8 + HNBTRE_DIGEST_LEN, &v);

	if (ret)
		return ret;
	put_be32(v, (uint32_t)f->offset);
	put_be32(v + 4, (uint32_t)f->size);
	memcpy(v + 8, f->digest, HNBTRE_DIGEST_LEN);
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

/* An empty detached SignedData of id-data: the unsigned package's block. */
static PKCS7 *empty_signed_data(void)
{
	PKCS7 *p7 = PKCS7_new();

	if (!p7 || !PKCS7_set_type(p7, NID_pkcs7_signed) ||
	    !PKCS7_content_new(p7, NID_pkcs7_data) ||
	    !PKCS7_set_detached(p7, 1)) {
		PKCS7_free(p7);
		return NULL;
	}
	return p7;
}

static int add_cert(PKCS7 *p7, X509 *x)
{
	STACK_OF(X509) *have = p7->d.sign->cert;

	if (have && X509_find_by_issuer_and_serial(have,
			X509_get_issuer_name(x), X509_get_serialNumber(x)))
		return 1;
	return PKCS7_add_certificate(p7, x);
}

/*
 * Sign @data alone with one signer (signed attributes: content type,
 * message digest, signing time), then move its SignerInfo and
 * certificates into @p7.
 */
static int add_signer(PKCS7 *p7, const uint8_t *data, size_t len,
		      const struct hnbtre_pkg_signer_spec *spec, char *err)
{
	const int flags = PKCS7_BINARY | PKCS7_DETACHED | PKCS7_NOSMIMECAP |
			  PKCS7_PARTIAL;
	const EVP_MD *md = EVP_get_digestbyname(spec->digest);
	BIO *certs = BIO_new_file(spec->cert_pem, "r");
	BIO *keys = BIO_new_file(spec->key_pem, "r");
	BIO *in = BIO_new_mem_buf(data, (int)len);
	STACK_OF(X509) *chain = sk_X509_new_null();
	PKCS7_SIGNER_INFO *si;
	PKCS7 *one = NULL;
	EVP_PKEY *key = NULL;
	X509 *signer = NULL, *x;
	int ret = -ENOMEM, i;

	if (!in || !chain)
		goto out;
	if (!md) {
		ret = fail(err, -EINVAL, "digest %s: not available", spec->digest);
		goto out;
	}
	signer = certs ? PEM_read_bio_X509(certs, NULL, NULL, NULL) : NULL;
	if (!signer) {
		ret = fail(err, -ENOENT, "%s: no certificate", spec->cert_pem);
		goto out;
	}
	while ((x = PEM_read_bio_X509(certs, NULL, NULL, NULL)))
		sk_X509_push(chain, x);
	ERR_clear_error();
	key = keys ? PEM_read_bio_PrivateKey(keys, NULL, NULL, NULL) : NULL;
	if (!key) {
		ret = fail(err, -ENOENT, "%s: no private key", spec->key_pem);
		goto out;
	}
	one = PKCS7_sign(NULL, NULL, NULL, NULL, flags);
	if (!one || !PKCS7_sign_add_signer(one, signer, key, md, flags) ||
	    !PKCS7_final(one, in, flags)) {
		ret = fail(err, -EINVAL, "signing with %s", spec->key_pem);
		goto out;
	}
	si = sk_PKCS7_SIGNER_INFO_shift(one->d.sign->signer_info);
	if (!si || !PKCS7_add_signer(p7, si)) {
		PKCS7_SIGNER_INFO_free(si);
		goto out;
	}
	ret = add_cert(p7, signer) ? 0 : -ENOMEM;
	for (i = 0; !ret && i < sk_X509_num(chain); i++)
		ret = add_cert(p7, sk_X509_value(chain, i)) ? 0 : -ENOMEM;
out:
	PKCS7_free(one);
	EVP_PKEY_free(key);
	X509_free(signer);
	sk_X509_pop_free(chain, X509_free);
	BIO_free(in);
	BIO_free(keys);
	BIO_free(certs);
	return ret;
}

int hnbtre_pkg_sign_block(const uint8_t *data, size_t len, const uint8_t *old,
			  size_t old_len,
			  const struct hnbtre_pkg_signer_spec *specs, size_t n,
			  uint8_t **der, size_t *der_len, char *err)
{
	PKCS7 *p7 = old_len ? hnbtre_pkg_signed_data(old, old_len) :
		    empty_signed_data();
	unsigned char *out = NULL;
	size_t i;
	int ret = 0, len_out;

	if (!p7)
		return fail(err, old_len ? -EBADMSG : -ENOMEM,
			    "the signature block is not a detached SignedData");
	for (i = 0; !ret && i < n; i++)
		ret = add_signer(p7, data, len, &specs[i], err);
	if (ret)
		goto out;
	len_out = i2d_PKCS7(p7, &out);
	if (len_out <= 0 || len_out > HNBTRE_PKG_SIG_MAX) {
		ret = fail(err, len_out <= 0 ? -ENOMEM : -E2BIG,
			   "signature block of %d bytes", len_out);
		goto out;
	}
	*der = out;
	*der_len = (size_t)len_out;
	out = NULL;
out:
	OPENSSL_free(out);
	PKCS7_free(p7);
	return ret;
}
