// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: the parser of a package's signed part (header,
 * command list, signature framing), which runs on untrusted downloads
 * before any signature is checked.  An accepted package must be
 * self-consistent: regions inside the declared payload, paths valid and
 * strictly ascending, signatures inside the signature section.
 */
#include <stdlib.h>
#include <string.h>

#include "hnbtre_pkg.h"

static void check(const struct hnbtre_pkg *pkg, size_t size)
{
	uint64_t end = pkg->manifest.size;
	size_t i;

	if (pkg->signed_len != size || !pkg->version || !pkg->manifest.size ||
	    pkg->manifest.offset != 0 || pkg->nsigs > HNBTRE_PKG_MAX_SIGNATURES)
		abort();
	for (i = 0; i < pkg->nfiles; i++) {
		const struct hnbtre_pkg_file *f = &pkg->files[i];

		if (f->offset != end || f->mode & ~0777U ||
		    !hnbtre_path_valid(f->path, strlen(f->path)) ||
		    (i && strcmp(pkg->files[i - 1].path, f->path) >= 0))
			abort();
		end += f->size;
	}
	if (end != pkg->payload_len)
		abort();
	for (i = 0; i < pkg->nsigs; i++) {
		if (pkg->sig[i] < pkg->cmds + pkg->cmds_len ||
		    pkg->sig[i] + pkg->sig_len[i] > pkg->signed_part + size)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[HNBTRE_ERR_LEN];
	struct hnbtre_pkg pkg;
	uint8_t *copy = malloc(size ? size : 1);

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	if (!hnbtre_pkg_parse(copy, size, &pkg, err))
		check(&pkg, size);
	hnbtre_pkg_free(&pkg);
	return 0;
}
