// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * TIM and platform RIM, the userspace twin of kernel/tim.c:
 * SHA-256 over "<path> sha256:<hex>\n" (or "sha256:-" for an unreadable
 * component) for every component, sorted by path bytes.
 */
#include <errno.h>
#include <string.h>

#include <openssl/evp.h>

#include "hnbtre.h"

void hnbtre_hex(const uint8_t *digest, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < HNBTRE_DIGEST_LEN; i++) {
		out[2 * i] = digits[digest[i] >> 4];
		out[2 * i + 1] = digits[digest[i] & 15];
	}
	out[2 * HNBTRE_DIGEST_LEN] = '\0';
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

bool hnbtre_parse_digest(const char *text, uint8_t *digest)
{
	static const char prefix[] = "sha256:";
	size_t i;

	if (strncmp(text, prefix, sizeof(prefix) - 1))
		return false;
	text += sizeof(prefix) - 1;
	for (i = 0; i < HNBTRE_DIGEST_LEN; i++) {
		int hi = hex_value(text[2 * i]), lo;

		if (hi < 0)
			return false;
		lo = hex_value(text[2 * i + 1]);
		if (lo < 0)
			return false;
		digest[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

int hnbtre_tim(const struct hnbtre_manifest *manifest,
	       const uint8_t (*digests)[HNBTRE_DIGEST_LEN],
	       const int *present, uint8_t out[HNBTRE_DIGEST_LEN])
{
	char hex[2 * HNBTRE_DIGEST_LEN + 1];
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok;
	size_t i;

	if (!ctx)
		return -ENOMEM;
	ok = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	for (i = 0; ok && i < manifest->count; i++) {
		const struct hnbtre_component *c = &manifest->components[i];

		ok = EVP_DigestUpdate(ctx, c->path, strlen(c->path)) &&
		     EVP_DigestUpdate(ctx, " sha256:", 8);
		if (present && !present[i]) {
			ok = ok && EVP_DigestUpdate(ctx, "-", 1);
		} else {
			hnbtre_hex(digests ? digests[i] : c->digest, hex);
			ok = ok && EVP_DigestUpdate(ctx, hex, strlen(hex));
		}
		ok = ok && EVP_DigestUpdate(ctx, "\n", 1);
	}
	ok = ok && EVP_DigestFinal_ex(ctx, out, NULL);
	EVP_MD_CTX_free(ctx);
	return ok ? 0 : -ENOMEM;
}
