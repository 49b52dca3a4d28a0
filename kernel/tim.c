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

/**
 * hnbtre_tim - compute the TIM or the platform RIM of a manifest
 * @manifest: components, already sorted by path
 * @reference: true for the RIM (reference digests), false for the TIM
 * @out: the resulting SHA-256
 */
void hnbtre_tim(struct hnbtre_manifest *manifest, bool reference,
	       u8 out[SHA256_DIGEST_SIZE])
{
	char hex[2 * SHA256_DIGEST_SIZE];
	struct sha256_state sctx;
	unsigned int i;

	sha256_init(&sctx);
	for (i = 0; i < manifest->count; i++) {
		struct hnbtre_component *c = manifest->components[i];

		sha256_update(&sctx, c->path, strlen(c->path));
		sha256_update(&sctx, " sha256:", 8);
		if (!reference && c->verdict == HNBTRE_VERDICT_MISSING) {
			sha256_update(&sctx, "-", 1);
		} else {
			bin2hex(hex, reference ? c->reference : c->measured,
				SHA256_DIGEST_SIZE);
			sha256_update(&sctx, hex, sizeof(hex));
		}
		sha256_update(&sctx, "\n", 1);
	}
	sha256_final(&sctx, out);
}
