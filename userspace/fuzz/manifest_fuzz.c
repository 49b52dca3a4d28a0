// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: the signed-manifest framing and the body parser, as
 * the network side and the packager run them on untrusted files.  An
 * accepted body must format back to exactly the same bytes (one canonical
 * form), and its RIM must be computable.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hnbtre.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hnbtre_manifest m;
	char err[HNBTRE_ERR_LEN];
	uint8_t rim[HNBTRE_DIGEST_LEN];
	const uint8_t *sig;
	size_t body_len, sig_len;
	char *text;
	size_t text_len;
	FILE *out;

	if (hnbtre_manifest_split(data, size, &body_len, &sig, &sig_len)) {
		body_len = size;
	} else if (sig != data + body_len ||
		   sig + sig_len + HNBTRE_MANIFEST_TRAILER_LEN != data + size) {
		abort();
	}

	if (hnbtre_manifest_parse((const char *)data, body_len, &m, err))
		return 0;
	if (hnbtre_tim(&m, NULL, NULL, rim))
		abort();
	out = open_memstream(&text, &text_len);
	if (!out || hnbtre_manifest_format(&m, out))
		abort();
	fclose(out);
	if (text_len != body_len || memcmp(text, data, body_len))
		abort();
	free(text);
	hnbtre_manifest_free(&m);
	return 0;
}
