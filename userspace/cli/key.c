// SPDX-License-Identifier: GPL-2.0-only
/*
 * hnbtre key wrap: the device key wrapper in clear (Documentation/devkey.md),
 * for boards without a TPM; key seal and key generate are in seal.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "cli.h"
#include "hnbtre.h"
#include "key.h"

/* An unencrypted PKCS#8 key, PEM or DER. */
EVP_PKEY *key_read_pkcs8(const char *path)
{
	BIO *bio = BIO_new_file(path, "rb");
	EVP_PKEY *key;

	if (!bio)
		return NULL;
	key = PEM_read_bio_PrivateKey(bio, NULL, NULL, (void *)"");
	if (!key && BIO_reset(bio) == 0)
		key = d2i_PrivateKey_bio(bio, NULL);
	BIO_free(bio);
	return key;
}

int write_all(int fd, const void *data, size_t len)
{
	const unsigned char *p = data;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

int wrap_device_key(EVP_PKEY *key, unsigned char **out, size_t *out_len)
{
	PKCS8_PRIV_KEY_INFO *p8 = EVP_PKEY2PKCS8(key);
	unsigned char *der = NULL, *buf = NULL;
	int der_len = p8 ? i2d_PKCS8_PRIV_KEY_INFO(p8, &der) : -1;

	PKCS8_PRIV_KEY_INFO_free(p8);
	if (der_len <= 0)
		return -EINVAL;
	buf = OPENSSL_secure_malloc(HNBTRE_DEVKEY_MAGIC_LEN + der_len);
	if (buf) {
		memcpy(buf, HNBTRE_DEVKEY_MAGIC, HNBTRE_DEVKEY_MAGIC_LEN);
		memcpy(buf + HNBTRE_DEVKEY_MAGIC_LEN, der, der_len);
		*out = buf;
		*out_len = HNBTRE_DEVKEY_MAGIC_LEN + der_len;
	}
	OPENSSL_clear_free(der, der_len);
	return buf ? 0 : -ENOMEM;
}

static int wrap(int argc, char **argv)
{
	unsigned char *wrapper = NULL;
	size_t len = 0;
	EVP_PKEY *key;
	int bits, fd = -1, ret = EXIT_ERROR;

	if (argc != 3) {
		die_msg("usage: key wrap IN.pk8 OUT|-");
		return EXIT_ERROR;
	}
	key = key_read_pkcs8(argv[1]);
	if (!key) {
		die_msg("%s: not an unencrypted private key", argv[1]);
		return EXIT_ERROR;
	}
	bits = EVP_PKEY_get_bits(key);
	if (!EVP_PKEY_is_a(key, "RSA") || !HNBTRE_DEVKEY_BITS_VALID(bits)) {
		die_msg("%s: the device key must be RSA %d or %d (the 6.1 kernel signs nothing else)",
			argv[1], HNBTRE_DEVKEY_BITS_MIN, HNBTRE_DEVKEY_BITS_MAX);
		goto out;
	}
	if (wrap_device_key(key, &wrapper, &len)) {
		die_msg("cannot encode the key as PKCS#8");
		goto out;
	}
	/* Never overwrite: the output holds a private key. */
	fd = strcmp(argv[2], "-") ?
	     open(argv[2], O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600) :
	     STDOUT_FILENO;
	if (fd < 0) {
		die_msg("%s: %s", argv[2], strerror(errno));
		goto out;
	}
	if (write_all(fd, wrapper, len) ||
	    (fd != STDOUT_FILENO && close(fd))) {
		die_msg("%s: %s", argv[2], strerror(errno));
		goto out;
	}
	ret = EXIT_OK;
out:
	OPENSSL_secure_clear_free(wrapper, len);
	EVP_PKEY_free(key);
	return ret;
}

const struct command key_commands[] = {
	{ "key", "wrap", "IN.pk8 OUT|-   device key wrapper for securityfs device_key", wrap },
	{}
};
