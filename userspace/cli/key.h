/* SPDX-License-Identifier: GPL-2.0-only */
/* The device key wrapper, shared by key wrap, key seal and key generate. */
#ifndef HNBTRE_CLI_KEY_H
#define HNBTRE_CLI_KEY_H

#include <stddef.h>
#include <openssl/evp.h>

EVP_PKEY *key_read_pkcs8(const char *path);
int write_all(int fd, const void *data, size_t len);

/* seal.c: what a sealed blob's policy is (Documentation/devkey.md). */
struct seal_options {
	int verdict_pcr;
	unsigned int boot_pcr_mask;
	unsigned long parent;
	const char *verdict;	/* "trusted" or "failed" */
};

/*
 * Seal the clear wrapper @wrapper with this device's TPM into a
 * HNBTRE-SEALED-1 blob (*@out, to be freed); 0 or -1 (said why).
 */
int seal_blob(const struct seal_options *o, const unsigned char *wrapper,
	      size_t wrapper_len, unsigned char **out, size_t *out_len);
/* A verdict PCR (0-15) from its text, -1 if it is not one. */
int seal_parse_verdict_pcr(const char *arg);
unsigned int seal_blob_pcr_mask(const unsigned char *blob, size_t len);

#endif
