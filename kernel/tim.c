// SPDX-License-Identifier: GPL-2.0-only
/*
 * TIM and platform RIM (Documentation/kernel.md):
 *
 *   SHA-256 over "<path> sha256:<hex>\n" for every component, sorted by
 *   path bytes, with "sha256:-" for a component that could not be read.
 *
 * The TIM uses the measured digests, the RIM the manifest's reference
 * digests, so a device whose components all match has TIM == RIM.
 */

#include <crypto/sha2.h>
#include <linux/kernel.h>
#include <linux/string.h>

#include "hnbtre.h"

/* One line "<path> sha256:<hex>\n"; @digest NULL for "sha256:-". */
static void hash_line(struct sha256_state *sctx, const char *path,
		      const u8 *digest)
{
	char hex[2 * SHA256_DIGEST_SIZE];

	sha256_update(sctx, path, strlen(path));
	sha256_update(sctx, " sha256:", 8);
	if (digest) {
		bin2hex(hex, digest, SHA256_DIGEST_SIZE);
		sha256_update(sctx, hex, sizeof(hex));
	} else {
		sha256_update(sctx, "-", 1);
	}
	sha256_update(sctx, "\n", 1);
}

/**
 * hnbtre_rim - compute the platform RIM of a manifest
 * @manifest: reference data, sorted by path
 * @out: the resulting SHA-256
 */
void hnbtre_rim(const struct hnbtre_manifest *manifest,
		u8 out[SHA256_DIGEST_SIZE])
{
	struct sha256_state sctx;
	unsigned int i;

	sha256_init(&sctx);
	for (i = 0; i < manifest->count; i++)
		hash_line(&sctx, manifest->refs[i]->path,
			  manifest->refs[i]->digest);
	sha256_final(&sctx, out);
}

/**
 * hnbtre_tim - compute the TIM of the last validation of components
 * @cs: the components, in the order of their manifest
 * @out: the resulting SHA-256
 */
void hnbtre_tim(const struct hnbtre_components *cs,
		u8 out[SHA256_DIGEST_SIZE])
{
	struct sha256_state sctx;
	unsigned int i;

	sha256_init(&sctx);
	for (i = 0; i < cs->count; i++) {
		const struct hnbtre_component *c = &cs->components[i];

		hash_line(&sctx, c->ref->path,
			  c->verdict == HNBTRE_VERDICT_MISSING ? NULL :
			  c->measured);
	}
	sha256_final(&sctx, out);
}
