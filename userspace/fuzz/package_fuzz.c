// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: the parser of a TR-069 Annex E package's signed part
 * (header, every command with its offsets, the signature block's
 * framing and SignedData), which runs on untrusted downloads before any
 * signature is checked.  An accepted package must be self-consistent:
 * the signature block right after the command list and ending the input,
 * files sorted by valid unique paths, their regions covering the
 * declared payload exactly, action paths valid.
 */
#include <stdlib.h>
#include <string.h>

#include "hnbtre_pkg_build.h"

static void check(const struct hnbtre_pkg *pkg, size_t size)
{
	uint64_t covered = pkg->manifest.size;
	PKCS7 *p7;
	size_t i;

	if (pkg->signed_len != size || !pkg->version || !pkg->manifest.size ||
	    pkg->cmds != pkg->signed_part + HNBTRE_PKG_HEADER_LEN ||
	    pkg->cmds_len > HNBTRE_PKG_CMDS_MAX ||
	    pkg->sig != pkg->cmds + pkg->cmds_len ||
	    pkg->sig + pkg->sig_len != pkg->signed_part + size ||
	    pkg->manifest.offset + pkg->manifest.size > pkg->payload_len)
		abort();
	for (i = 0; i < pkg->nfiles; i++) {
		const struct hnbtre_pkg_file *f = &pkg->files[i];

		if (f->offset + f->size > pkg->payload_len || f->mode & ~0777U ||
		    !hnbtre_path_valid(f->path, strlen(f->path)) ||
		    (i && strcmp(pkg->files[i - 1].path, f->path) >= 0))
			abort();
		covered += f->size;
	}
	/* no overlap and no gap: the sizes add up to the payload */
	if (covered != pkg->payload_len)
		abort();
	for (i = 0; i < pkg->nactions; i++) {
		const struct hnbtre_pkg_action *a = &pkg->actions[i];

		if (!hnbtre_path_valid(a->path, strlen(a->path)) ||
		    (a->to && !hnbtre_path_valid(a->to, strlen(a->to))))
			abort();
	}
	p7 = hnbtre_pkg_signed_data(pkg->sig, pkg->sig_len);
	PKCS7_free(p7);
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
