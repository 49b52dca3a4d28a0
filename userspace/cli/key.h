/* SPDX-License-Identifier: GPL-2.0-only */
/* The device key wrapper, shared by key wrap, key seal and key generate. */
#ifndef HNBTRE_CLI_KEY_H
#define HNBTRE_CLI_KEY_H

#include <stddef.h>
#include <openssl/evp.h>

EVP_PKEY *key_read_pkcs8(const char *path);
int write_all(int fd, const void *data, size_t len);

#endif
