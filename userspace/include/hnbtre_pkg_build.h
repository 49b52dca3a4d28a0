/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libhnbtre: writing TR-069 Annex E packages (Documentation/package.md). */
#ifndef HNBTRE_PKG_BUILD_H
#define HNBTRE_PKG_BUILD_H

#include <openssl/pkcs7.h>

#include "hnbtre_pkg.h"

/* A growing command list. */
struct hnbtre_buf {
	uint8_t *data;
	size_t len;
	size_t size;
};

/**
 * hnbtre_pkg_header() - encode the header
 * @h: HNBTRE_PKG_HEADER_LEN bytes
 * @cmds_len: length of the command list
 * @payload_len: length of the payload
 */
void hnbtre_pkg_header(uint8_t h[HNBTRE_PKG_HEADER_LEN], uint32_t cmds_len,
		       uint32_t payload_len);

/**
 * hnbtre_pkg_add() - append a command with a verbatim value
 * @b: the command list
 * @type: its type
 * @data: the value
 * @len: its length
 *
 * Return: 0, -E2BIG (list of 65536 bytes or more), -ENOMEM.
 */
int hnbtre_pkg_add(struct hnbtre_buf *b, uint32_t type, const void *data,
		   size_t len);

/**
 * hnbtre_pkg_add_u32() - append a command whose value is one be32
 * @b: the command list
 * @type: its type
 * @value: the value
 *
 * Return: 0, -E2BIG, -ENOMEM.
 */
int hnbtre_pkg_add_u32(struct hnbtre_buf *b, uint32_t type, uint32_t value);

/**
 * hnbtre_pkg_add_file() - append an Extract or Add command and the
 *	vendor commands of the file (SHA-256, mode, security.ima)
 * @b: the command list
 * @f: type, flags, path, SHA-1, payload offset and size; SHA-256 if
 *	@f->has_sha256, the mode, security.ima if @f->ima_sig
 *
 * The path follows the 32 fixed bytes, the hash follows the path.
 *
 * Return: 0, -E2BIG, -ENOMEM.
 */
int hnbtre_pkg_add_file(struct hnbtre_buf *b, const struct hnbtre_pkg_file *f);

/**
 * hnbtre_pkg_add_remove() - append a Remove File or Remove Sub-Tree
 * @b: the command list
 * @type: HNBTRE_PKG_CMD_REMOVE or HNBTRE_PKG_CMD_REMOVE_SUBTREE
 * @path: absolute path
 *
 * Return: 0, -E2BIG, -ENOMEM.
 */
int hnbtre_pkg_add_remove(struct hnbtre_buf *b, uint32_t type,
			  const char *path);

/**
 * hnbtre_pkg_add_manifest() - append the hnbtre Manifest command
 * @b: the command list
 * @f: payload offset, size and SHA-256 of the signed manifest
 *
 * Return: 0, -E2BIG, -ENOMEM.
 */
int hnbtre_pkg_add_manifest(struct hnbtre_buf *b,
			    const struct hnbtre_pkg_file *f);

/**
 * hnbtre_pkg_signed_data() - the SignedData of a signature block
 * @der: the block: a ContentInfo of type signedData, or a bare SignedData
 * @len: its length
 *
 * Return: the SignedData (as a PKCS7 of type signed), detached, of
 * content type id-data, or NULL if @der is anything else.
 */
PKCS7 *hnbtre_pkg_signed_data(const uint8_t *der, size_t len);

/* One signer to add. */
struct hnbtre_pkg_signer_spec {
	const char *cert_pem;	/* signer certificate first, then intermediates */
	const char *key_pem;
	const char *digest;	/* "sha1", "sha256", ... */
};

/**
 * hnbtre_pkg_sign_block() - a signature block with more signers
 * @data: header and command list
 * @len: their length
 * @old: the current signature block (its signers and certificates stay)
 * @old_len: its length
 * @specs: the signers to add
 * @n: how many
 * @der: the new block, a DER ContentInfo (OPENSSL_malloc)
 * @der_len: its length
 * @err: message on failure
 *
 * With @n 0 and an empty @old (@old_len 0), the block of an unsigned
 * package: a SignedData without signers.
 *
 * Return: 0 or -errno (-E2BIG: over HNBTRE_PKG_SIG_MAX).
 */
int hnbtre_pkg_sign_block(const uint8_t *data, size_t len, const uint8_t *old,
			  size_t old_len,
			  const struct hnbtre_pkg_signer_spec *specs, size_t n,
			  uint8_t **der, size_t *der_len, char *err);

#endif /* HNBTRE_PKG_BUILD_H */
