// SPDX-License-Identifier: GPL-2.0-only
/*
 * The userspace manifest parser must accept exactly what kernel/manifest.c
 * accepts; the same table drives the kernel's selftest through files.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hnbtre.h"
#include "tap.h"

#define D "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define H HNBTRE_MANIFEST_HEADER "version 7\n"
/* A manifest whose version line is "version " v, over one component. */
#define VERSION(v) HNBTRE_MANIFEST_HEADER "version " v "\n/a sha256:" D " normal\n"

static const struct {
	const char *name;
	const char *body;
	int ok;
} cases[] = {
	{ "minimal", H "/a sha256:" D " normal\n", 1 },
	{ "three classes", H "/a sha256:" D " normal\n/b sha256:" D " distress\n/c sha256:" D " tre\n", 1 },
	{ "deep path", H "/usr/lib/x86_64-linux-gnu/libz.so.1 sha256:" D " normal\n", 1 },
	{ "dots inside names", H "/a/.b/c..d/e. sha256:" D " normal\n", 1 },
	{ "utf-8 path", H "/caf\xc3\xa9 sha256:" D " normal\n", 1 },
	{ "max version", VERSION("18446744073709551615"), 1 },
	{ "sorted by bytes", H "/A sha256:" D " normal\n/B sha256:" D " normal\n/a sha256:" D " normal\n", 1 },
	{ "empty", "", 0 },
	{ "header only", HNBTRE_MANIFEST_HEADER, 0 },
	{ "no components", H, 0 },
	{ "format 2", "hnbtre-manifest 2\nversion 7\n/a sha256:" D " normal\n", 0 },
	{ "header with space", "hnbtre-manifest  1\nversion 7\n/a sha256:" D " normal\n", 0 },
	{ "version 0", VERSION("0"), 0 },
	{ "version leading zero", VERSION("07"), 0 },
	{ "version plus", VERSION("+7"), 0 },
	{ "version minus", VERSION("-7"), 0 },
	{ "version overflow", VERSION("18446744073709551616"), 0 },
	{ "version hex", VERSION("0x7"), 0 },
	{ "version empty", VERSION(""), 0 },
	{ "version trailing space", VERSION("7 "), 0 },
	{ "no final newline", H "/a sha256:" D " normal", 0 },
	{ "CRLF", "hnbtre-manifest 1\r\nversion 7\r\n/a sha256:" D " normal\r\n", 0 },
	{ "CR in component line", H "/a sha256:" D " normal\r\n", 0 },
	{ "empty line", H "\n/a sha256:" D " normal\n", 0 },
	{ "trailing empty line", H "/a sha256:" D " normal\n\n", 0 },
	{ "relative path", H "a sha256:" D " normal\n", 0 },
	{ "root only", H "/ sha256:" D " normal\n", 0 },
	{ "trailing slash", H "/a/ sha256:" D " normal\n", 0 },
	{ "double slash", H "//a sha256:" D " normal\n", 0 },
	{ "inner double slash", H "/a//b sha256:" D " normal\n", 0 },
	{ "dot component", H "/a/./b sha256:" D " normal\n", 0 },
	{ "dotdot component", H "/a/../b sha256:" D " normal\n", 0 },
	{ "trailing dotdot", H "/a/.. sha256:" D " normal\n", 0 },
	{ "trailing dot", H "/a/. sha256:" D " normal\n", 0 },
	{ "tab in path", H "/a\tb sha256:" D " normal\n", 0 },
	{ "DEL in path", H "/a\x7f sha256:" D " normal\n", 0 },
	{ "escape in path", H "/a\x1b sha256:" D " normal\n", 0 },
	{ "two spaces", H "/a  sha256:" D " normal\n", 0 },
	{ "uppercase hex", H "/a sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef normal\n", 0 },
	{ "short digest", H "/a sha256:0123 normal\n", 0 },
	{ "long digest", H "/a sha256:" D "00 normal\n", 0 },
	{ "non-hex digest", H "/a sha256:g123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef normal\n", 0 },
	{ "sha1", H "/a sha1:" D " normal\n", 0 },
	{ "unknown class", H "/a sha256:" D " kernel\n", 0 },
	{ "no class", H "/a sha256:" D "\n", 0 },
	{ "class with space", H "/a sha256:" D " normal \n", 0 },
	{ "class uppercase", H "/a sha256:" D " NORMAL\n", 0 },
	{ "duplicate path", H "/a sha256:" D " normal\n/a sha256:" D " normal\n", 0 },
	{ "unsorted", H "/b sha256:" D " normal\n/a sha256:" D " normal\n", 0 },
};

int main(void)
{
	char err[HNBTRE_ERR_LEN], long_path[HNBTRE_PATH_MAX + 100];
	struct hnbtre_manifest m;
	uint8_t digest[HNBTRE_DIGEST_LEN];
	char hex[2 * HNBTRE_DIGEST_LEN + 1];
	const uint8_t *sig;
	size_t i, body_len, sig_len;
	int ret;

	tap_plan((int)(sizeof(cases) / sizeof(cases[0])) + 10);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = '\0';
		ret = hnbtre_manifest_parse(cases[i].body, strlen(cases[i].body),
					    &m, err);
		tap_ok(cases[i].ok ? ret == 0 : ret == -EBADMSG,
		       "%s %s%s%s", cases[i].ok ? "accepts" : "refuses",
		       cases[i].name, err[0] ? ": " : "", err);
		if (!ret)
			hnbtre_manifest_free(&m);
	}

	/* NUL bytes cannot be written in a string literal. */
	ret = hnbtre_manifest_parse(H "/a\0b sha256:" D " normal\n",
				    sizeof(H "/a\0b sha256:" D " normal\n") - 1,
				    &m, err);
	tap_ok(ret == -EBADMSG, "refuses a NUL byte");

	/* Longest path allowed, and one byte more. */
	for (i = 0; i < 2; i++) {
		size_t len = HNBTRE_PATH_MAX + i;
		char *body;

		memset(long_path, 'x', len);
		long_path[0] = '/';
		long_path[len] = '\0';
		body = malloc(len + 200);
		sprintf(body, H "%s sha256:" D " normal\n", long_path);
		ret = hnbtre_manifest_parse(body, strlen(body), &m, err);
		tap_ok(i ? ret == -EBADMSG : ret == 0, "%s a %zu-byte path",
		       i ? "refuses" : "accepts", len);
		if (!ret)
			hnbtre_manifest_free(&m);
		free(body);
	}

	/*
	 * printf '/a sha256:%s\n/b sha256:%s\n' D D | sha256sum, with D as
	 * above: the TIM of two components, computed outside this library.
	 */
	ret = hnbtre_manifest_parse(H "/a sha256:" D " normal\n/b sha256:" D " tre\n",
				    strlen(H "/a sha256:" D " normal\n/b sha256:" D " tre\n"),
				    &m, err);
	tap_ok(ret == 0, "parses the TIM vector");
	hnbtre_tim(&m, NULL, NULL, digest);
	hnbtre_hex(digest, hex);
	tap_ok(!strcmp(hex, "5e263cb219b498d863dda357ea0978d9663c03d4234aa104ca7cadc5bd44a8b7"),
	       "RIM matches the independent vector (%s)", hex);
	{
		int present[2] = { 1, 0 };

		/* printf '/a sha256:%s\n/b sha256:-\n' D | sha256sum */
		hnbtre_tim(&m, NULL, present, digest);
		hnbtre_hex(digest, hex);
		tap_ok(!strcmp(hex, "74054f536bdf2d0795042cb9d61ccd231feb4f77706c81000f7a5ad45be23172"),
		       "an unreadable component counts as sha256:- (%s)", hex);
	}
	hnbtre_manifest_free(&m);

	/* Framing: body || sig || be32 len || magic */
	{
		static const uint8_t good[] = "body\nSIG\0\0\0\3" HNBTRE_MANIFEST_SIG_MAGIC;
		static const uint8_t zero[] = "body\n\0\0\0\0" HNBTRE_MANIFEST_SIG_MAGIC;
		static const uint8_t huge[] = "body\nSIG\xff\xff\xff\xff" HNBTRE_MANIFEST_SIG_MAGIC;

		ret = hnbtre_manifest_split(good, sizeof(good) - 1, &body_len,
					    &sig, &sig_len);
		tap_ok(ret == 0 && body_len == 5 && sig_len == 3 &&
		       !memcmp(sig, "SIG", 3), "splits a signed manifest");
		tap_ok(hnbtre_manifest_split(zero, sizeof(zero) - 1, &body_len,
					     &sig, &sig_len) == -EBADMSG,
		       "refuses a zero signature length");
		tap_ok(hnbtre_manifest_split(huge, sizeof(huge) - 1, &body_len,
					     &sig, &sig_len) == -EBADMSG,
		       "refuses a signature length beyond the data");
	}

	/* Every errno the ABI documents for a manifest write has its own words. */
	{
		static const int load_errnos[] = {
			EBADMSG, ENOKEY, EKEYREJECTED, ESTALE, EEXIST, EFBIG,
			EBUSY, EPERM, ENOENT,
		};
		size_t j, n = sizeof(load_errnos) / sizeof(load_errnos[0]);
		int distinct = 1;

		for (i = 0; i < n; i++) {
			const char *msg = hnbtre_manifest_errstr(-load_errnos[i]);

			if (!strcmp(msg, strerror(load_errnos[i])))
				distinct = 0;
			for (j = 0; j < i; j++)
				if (!strcmp(msg, hnbtre_manifest_errstr(-load_errnos[j])))
					distinct = 0;
		}
		tap_ok(distinct, "each load errno has its own explanation");
	}
	return tap_done();
}
