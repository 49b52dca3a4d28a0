// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Manifest bodies and their signature framing, with exactly the rules of
 * kernel/manifest.c (Documentation/manifest.md).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hnbtre.h"

static const char header_line[] = HNBTRE_MANIFEST_HEADER;
static const char *const class_names[HNBTRE_CLASS_COUNT] = HNBTRE_CLASS_NAMES;

const char *hnbtre_class_name(enum hnbtre_class class)
{
	return class_names[class];
}

int hnbtre_class_parse(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(class_names) / sizeof(class_names[0]); i++) {
		if (!strcmp(name, class_names[i]))
			return (int)i;
	}
	return -EINVAL;
}

bool hnbtre_path_valid(const char *path, size_t len)
{
	size_t i, start;

	if (len < 2 || len > HNBTRE_PATH_MAX || path[0] != '/' ||
	    path[len - 1] == '/')
		return false;
	for (i = 0; i < len; i++) {
		unsigned char c = path[i];

		if (c <= 0x20 || c == 0x7f)
			return false;
	}
	for (start = 1; start <= len; start = i + 1) {
		const char *slash = memchr(path + start, '/', len - start);
		size_t seg;

		i = slash ? (size_t)(slash - path) : len;
		seg = i - start;
		if (seg == 0 || (seg == 1 && path[start] == '.') ||
		    (seg == 2 && path[start] == '.' && path[start + 1] == '.'))
			return false;
	}
	return true;
}

/* 1..2^64-1 in decimal, no sign, no leading zero. */
static int parse_version(const char *s, size_t len, uint64_t *version)
{
	uint64_t v = 0;
	size_t i;

	if (len == 0 || len > 20 || s[0] == '0')
		return 0;
	for (i = 0; i < len; i++) {
		unsigned int d;

		if (s[i] < '0' || s[i] > '9')
			return 0;
		d = s[i] - '0';
		if (v > (UINT64_MAX - d) / 10)
			return 0;
		v = v * 10 + d;
	}
	*version = v;
	return 1;
}

/* "<path> sha256:<64 hex> <class>" */
static int parse_component(const char *line, size_t len,
			   struct hnbtre_component *c)
{
	static const char algo[] = " sha256:";
	const size_t digest_part = sizeof(algo) - 1 + 2 * HNBTRE_DIGEST_LEN;
	const char *sp = memchr(line, ' ', len), *rest, *class;
	size_t path_len, class_len;
	size_t i;

	if (!sp)
		return -EBADMSG;
	path_len = sp - line;
	rest = sp;
	if (len - path_len < digest_part + 2 ||
	    memcmp(rest, algo, sizeof(algo) - 1) || rest[digest_part] != ' ')
		return -EBADMSG;
	class = rest + digest_part + 1;
	class_len = len - path_len - digest_part - 1;
	c->class = -1;
	for (i = 0; i < sizeof(class_names) / sizeof(class_names[0]); i++) {
		if (class_len == strlen(class_names[i]) &&
		    !memcmp(class, class_names[i], class_len))
			c->class = i;
	}
	if ((int)c->class < 0 || !hnbtre_path_valid(line, path_len) ||
	    !hnbtre_parse_digest(rest + 1, c->digest))
		return -EBADMSG;
	c->path = strndup(line, path_len);
	return c->path ? 0 : -ENOMEM;
}

void hnbtre_manifest_free(struct hnbtre_manifest *manifest)
{
	size_t i;

	for (i = 0; i < manifest->count; i++)
		free(manifest->components[i].path);
	free(manifest->components);
	manifest->components = NULL;
	manifest->count = 0;
}

int hnbtre_manifest_parse(const char *body, size_t len,
			  struct hnbtre_manifest *out, char *err)
{
	const char *pos = body, *end = body + len, *nl;
	size_t lines = 0, lineno = 2;
	const char *p;
	int ret;

	memset(out, 0, sizeof(*out));
	if (memchr(body, '\0', len)) {
		snprintf(err, HNBTRE_ERR_LEN, "NUL byte in manifest");
		return -EBADMSG;
	}
	if (len < sizeof(header_line) - 1 ||
	    memcmp(body, header_line, sizeof(header_line) - 1)) {
		snprintf(err, HNBTRE_ERR_LEN,
			 "line 1: expected \"%.*s\"",
			 (int)sizeof(header_line) - 2, header_line);
		return -EBADMSG;
	}
	if (body[len - 1] != '\n') {
		snprintf(err, HNBTRE_ERR_LEN, "last line lacks its newline");
		return -EBADMSG;
	}
	pos += sizeof(header_line) - 1;
	nl = memchr(pos, '\n', end - pos);
	if (!nl || nl - pos < 9 || memcmp(pos, "version ", 8) ||
	    !parse_version(pos + 8, nl - pos - 8, &out->version)) {
		snprintf(err, HNBTRE_ERR_LEN,
			 "line 2: expected \"version N\", 1 <= N < 2^64, no leading zeros");
		return -EBADMSG;
	}
	pos = nl + 1;
	for (p = pos; (p = memchr(p, '\n', end - p)); p++)
		lines++;
	if (lines == 0 || lines > HNBTRE_MANIFEST_MAX_COMPONENTS) {
		snprintf(err, HNBTRE_ERR_LEN,
			 "%zu components: 1 to %d allowed", lines,
			 HNBTRE_MANIFEST_MAX_COMPONENTS);
		return -EBADMSG;
	}
	out->components = calloc(lines, sizeof(*out->components));
	if (!out->components)
		return -ENOMEM;

	while (pos < end) {
		struct hnbtre_component *c = &out->components[out->count];

		lineno++;
		nl = memchr(pos, '\n', end - pos);
		ret = parse_component(pos, nl - pos, c);
		if (ret == -ENOMEM)
			goto fail;
		if (ret) {
			snprintf(err, HNBTRE_ERR_LEN,
				 "line %zu: expected \"<absolute canonical path> sha256:<64 lowercase hex> normal|distress|tre\"",
				 lineno);
			goto fail;
		}
		out->count++;
		if (out->count > 1 &&
		    strcmp(out->components[out->count - 2].path, c->path) >= 0) {
			snprintf(err, HNBTRE_ERR_LEN,
				 "line %zu: paths must be in strictly ascending byte order",
				 lineno);
			ret = -EBADMSG;
			goto fail;
		}
		pos = nl + 1;
	}
	return 0;
fail:
	hnbtre_manifest_free(out);
	return ret;
}

int hnbtre_manifest_format(const struct hnbtre_manifest *manifest, FILE *out)
{
	char hex[2 * HNBTRE_DIGEST_LEN + 1];
	size_t i;

	fprintf(out, HNBTRE_MANIFEST_HEADER "version %llu\n",
		(unsigned long long)manifest->version);
	for (i = 0; i < manifest->count; i++) {
		const struct hnbtre_component *c = &manifest->components[i];

		hnbtre_hex(c->digest, hex);
		fprintf(out, "%s sha256:%s %s\n", c->path, hex,
			hnbtre_class_name(c->class));
	}
	return ferror(out) ? -EIO : 0;
}

int hnbtre_manifest_split(const uint8_t *data, size_t len, size_t *body_len,
			  const uint8_t **sig, size_t *sig_len)
{
	const uint8_t *t;
	size_t n;

	if (len <= HNBTRE_MANIFEST_TRAILER_LEN ||
	    memcmp(data + len - HNBTRE_MANIFEST_SIG_MAGIC_LEN, HNBTRE_MANIFEST_SIG_MAGIC,
		   HNBTRE_MANIFEST_SIG_MAGIC_LEN))
		return -EBADMSG;
	t = data + len - HNBTRE_MANIFEST_TRAILER_LEN;
	n = (size_t)t[0] << 24 | (size_t)t[1] << 16 | (size_t)t[2] << 8 | t[3];
	if (n == 0 || n >= len - HNBTRE_MANIFEST_TRAILER_LEN)
		return -EBADMSG;
	*sig_len = n;
	*body_len = len - HNBTRE_MANIFEST_TRAILER_LEN - n;
	*sig = data + *body_len;
	return 0;
}
