/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libhnbtre: writing signed packages (Documentation/package.md). */
#ifndef HNBTRE_PKG_BUILD_H
#define HNBTRE_PKG_BUILD_H

#include "hnbtre_pkg.h"

/* A growing command list. */
struct hnbtre_buf {
	uint8_t *data;
	size_t len;
	size_t size;
};

/**
 * hnbtre_pkg_header() - encode the fixed-length header
 * @h: HNBTRE_PKG_HEADER_LEN bytes
 * @cmds_len: length of the command list
 * @sigs_len: length of the signature section
 */
void hnbtre_pkg_header(uint8_t h[HNBTRE_PKG_HEADER_LEN], uint32_t cmds_len,
		       uint32_t sigs_len);

/**
 * hnbtre_pkg_add_version() - append a version command
 * @b: the command list
 * @version: 1..2^64-1
 *
 * Return: 0, -E2BIG (list over HNBTRE_PKG_CMDS_MAX), -ENOMEM.
 */
int hnbtre_pkg_add_version(struct hnbtre_buf *b, uint64_t version);

/**
 * hnbtre_pkg_add_bytes() - append a command with a verbatim value
 * @b: the command list
 * @type: description, remove or allow-downgrade
 * @data: the value
 * @len: its length
 *
 * Return: 0, -E2BIG, -ENOMEM.
 */
int hnbtre_pkg_add_bytes(struct hnbtre_buf *b, unsigned int type,
			 const void *data, size_t len);

/**
 * hnbtre_pkg_add_region() - append a manifest or extract command
 * @b: the command list
 * @type: HNBTRE_PKG_CMD_MANIFEST (@f->path NULL) or HNBTRE_PKG_CMD_EXTRACT
 * @f: size, digest, and for extract mode and path
 *
 * Return: 0, -E2BIG, -ENOMEM.
 */
int hnbtre_pkg_add_region(struct hnbtre_buf *b, unsigned int type,
			  const struct hnbtre_pkg_file *f);

/**
 * hnbtre_pkg_cms_sign() - detached CMS SignedData over @data
 * @data: the command list
 * @len: its length
 * @cert_pem: signer certificate first, then intermediates to include
 * @key_pem: the signer's private key
 * @digest: "sha256", "sha384" or "sha512"
 * @der: malloc'ed (OPENSSL_malloc) DER SignedData
 * @der_len: its length
 * @err: message on failure
 *
 * Return: 0 or -errno.
 */
int hnbtre_pkg_cms_sign(const uint8_t *data, size_t len, const char *cert_pem,
			const char *key_pem, const char *digest,
			uint8_t **der, size_t *der_len, char *err);

#endif /* HNBTRE_PKG_BUILD_H */
