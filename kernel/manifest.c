// SPDX-License-Identifier: GPL-2.0-only
/*
 * Signed manifests: the reference values (RIMs) of the designated
 * components.  Format in Documentation/manifest.md:
 *
 *   body || PKCS#7 || be32 PKCS#7 length || HNBTRE_MANIFEST_SIG_MAGIC
 *
 * The body is strict line-oriented text; anything unexpected is -EBADMSG.
 * A pure parser, as IPE's policy_parser.c: it returns the reference data
 * (struct hnbtre_manifest) and knows nothing of validation, watches or
 * the state, which state.c keeps per component.
 */

#include <asm/unaligned.h>
#include <linux/ctype.h>
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/vmalloc.h>

#include "hnbtre.h"

static const char sig_magic[] = HNBTRE_MANIFEST_SIG_MAGIC;
#define SIG_MAGIC_LEN	HNBTRE_MANIFEST_SIG_MAGIC_LEN
#define TRAILER_LEN	HNBTRE_MANIFEST_TRAILER_LEN
static_assert(sizeof(sig_magic) - 1 == SIG_MAGIC_LEN);

static const char header_line[] = HNBTRE_MANIFEST_HEADER;
static const char *const class_names[HNBTRE_CLASS_COUNT] = HNBTRE_CLASS_NAMES;

/**
 * hnbtre_class_name - the manifest name of a component class
 * @class: the class
 *
 * Return: "normal", "distress" or "tre".
 */
const char *hnbtre_class_name(enum hnbtre_class class)
{
	return class_names[class];
}

struct cursor {
	const char *pos;
	const char *end;
};

/* Take the next line without its "\n"; false if there is no complete line. */
static bool next_line(struct cursor *cur, const char **line, size_t *len)
{
	const char *nl = memchr(cur->pos, '\n', cur->end - cur->pos);

	if (!nl)
		return false;
	*line = cur->pos;
	*len = nl - cur->pos;
	cur->pos = nl + 1;
	return true;
}

static size_t count_lines(const char *s, size_t len)
{
	size_t n = 0;
	const char *nl;

	while ((nl = memchr(s, '\n', len))) {
		n++;
		len -= nl + 1 - s;
		s = nl + 1;
	}
	return n;
}

static bool parse_version(const char *s, size_t len, u64 *version)
{
	char buf[21];

	if (len == 0 || len >= sizeof(buf) || s[0] == '0')
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	/* kstrtou64 accepts a leading '+' and a trailing newline: refuse both. */
	if (strspn(buf, "0123456789") != len)
		return false;
	return kstrtou64(buf, 10, version) == 0;
}

/*
 * Absolute, canonical and printable: no empty, "." or ".." component, no
 * trailing slash, no byte <= 0x20 or 0x7f.
 */
static bool path_is_valid(const char *path, size_t len)
{
	size_t i, start;

	if (len < 2 || len > HNBTRE_PATH_MAX || path[0] != '/' ||
	    path[len - 1] == '/')
		return false;
	for (i = 0; i < len; i++) {
		if ((u8)path[i] <= 0x20 || path[i] == 0x7f)
			return false;
	}
	for (start = 1; start <= len; start = i + 1) {
		const char *slash = memchr(path + start, '/', len - start);
		size_t seg;

		i = slash ? slash - path : len;
		seg = i - start;
		if (seg == 0 || (seg == 1 && path[start] == '.') ||
		    (seg == 2 && path[start] == '.' && path[start + 1] == '.'))
			return false;
	}
	return true;
}

static bool parse_hex_digest(const char *s, u8 *digest)
{
	size_t i;

	/* hex2bin() also accepts upper case: the format is lower case only. */
	for (i = 0; i < 2 * SHA256_DIGEST_SIZE; i++) {
		if (!isdigit(s[i]) && !(s[i] >= 'a' && s[i] <= 'f'))
			return false;
	}
	return hex2bin(digest, s, SHA256_DIGEST_SIZE) == 0;
}

static int parse_class(const char *s, size_t len)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(class_names); i++) {
		if (len == strlen(class_names[i]) &&
		    !memcmp(s, class_names[i], len))
			return i;
	}
	return -1;
}

/* "<path> sha256:<64 hex> <class>" */
static struct hnbtre_reference *parse_reference(const char *line, size_t len)
{
	static const char algo[] = " sha256:";
	const size_t digest_part = sizeof(algo) - 1 + 2 * SHA256_DIGEST_SIZE;
	struct hnbtre_reference *r;
	const char *sp, *rest;
	size_t path_len;
	int class;

	sp = memchr(line, ' ', len);
	if (!sp)
		return NULL;
	path_len = sp - line;
	rest = sp;
	if (len - path_len < digest_part + 2 ||
	    memcmp(rest, algo, sizeof(algo) - 1) ||
	    rest[digest_part] != ' ')
		return NULL;
	class = parse_class(rest + digest_part + 1,
			    len - path_len - digest_part - 1);
	if (class < 0 || !path_is_valid(line, path_len))
		return NULL;

	r = kzalloc(struct_size(r, path, path_len + 1), GFP_KERNEL);
	if (!r)
		return ERR_PTR(-ENOMEM);
	if (!parse_hex_digest(rest + sizeof(algo) - 1, r->digest)) {
		kfree(r);
		return NULL;
	}
	memcpy(r->path, line, path_len);
	r->class = class;
	return r;
}

/**
 * hnbtre_manifest_free - free a parsed manifest
 * @manifest: the manifest, or NULL; no component state refers to it
 */
void hnbtre_manifest_free(struct hnbtre_manifest *manifest)
{
	unsigned int i;

	if (!manifest)
		return;
	for (i = 0; i < manifest->count; i++)
		kfree(manifest->refs[i]);
	kvfree(manifest);
}

/**
 * hnbtre_manifest_equal - two manifests say the same
 * @a: a manifest
 * @b: another
 *
 * Return: true if version and every reference (path, digest, class) are
 * equal.
 */
bool hnbtre_manifest_equal(const struct hnbtre_manifest *a,
			   const struct hnbtre_manifest *b)
{
	unsigned int i;

	if (a->version != b->version || a->count != b->count)
		return false;
	for (i = 0; i < a->count; i++) {
		const struct hnbtre_reference *x = a->refs[i], *y = b->refs[i];

		if (strcmp(x->path, y->path) || x->class != y->class ||
		    memcmp(x->digest, y->digest, SHA256_DIGEST_SIZE))
			return false;
	}
	return true;
}

static struct hnbtre_manifest *parse_body(const char *body, size_t len)
{
	struct cursor cur = { body, body + len };
	struct hnbtre_manifest *m;
	const char *line;
	size_t line_len, lines;
	u64 version;
	int ret = -EBADMSG;

	if (memchr(body, '\0', len) || len < sizeof(header_line) - 1 ||
	    memcmp(body, header_line, sizeof(header_line) - 1) ||
	    body[len - 1] != '\n')
		return ERR_PTR(-EBADMSG);
	cur.pos += sizeof(header_line) - 1;
	if (!next_line(&cur, &line, &line_len) || line_len < 9 ||
	    memcmp(line, "version ", 8) ||
	    !parse_version(line + 8, line_len - 8, &version))
		return ERR_PTR(-EBADMSG);

	/* Every remaining line is a component: size the table exactly. */
	lines = count_lines(cur.pos, cur.end - cur.pos);
	if (lines == 0 || lines > HNBTRE_MANIFEST_MAX_COMPONENTS)
		return ERR_PTR(-EBADMSG);
	m = kvzalloc(struct_size(m, refs, lines), GFP_KERNEL);
	if (!m)
		return ERR_PTR(-ENOMEM);
	m->version = version;

	while (next_line(&cur, &line, &line_len)) {
		struct hnbtre_reference *r;

		r = parse_reference(line, line_len);
		if (IS_ERR_OR_NULL(r)) {
			ret = r ? PTR_ERR(r) : -EBADMSG;
			goto fail;
		}
		m->refs[m->count++] = r;
		/* Strictly ascending: one canonical form, no duplicates. */
		if (m->count > 1 &&
		    strcmp(m->refs[m->count - 2]->path, r->path) >= 0)
			goto fail;
	}
	return m;
fail:
	hnbtre_manifest_free(m);
	return ERR_PTR(ret);
}

/**
 * hnbtre_manifest_parse_signed - verify and parse a signed manifest
 * @data: body, PKCS#7 signature and trailer
 * @len: length of @data
 *
 * The PKCS#7 SignedData must be a detached signature over the body by a
 * manifest signer the TrE admitted (.hnbtre_manifest_signers).  The
 * signature is verified first, as IPE does for its policies: the parser
 * only ever sees bytes an admitted signer vouched for.
 *
 * Return: the manifest, or ERR_PTR: -EBADMSG malformed (trailer, body or
 * PKCS#7), -ENOKEY signer not an admitted manifest signer, -EKEYREJECTED
 * signature invalid, -ENOMEM.
 */
struct hnbtre_manifest *hnbtre_manifest_parse_signed(const u8 *data,
						     size_t len)
{
	struct hnbtre_manifest *m;
	size_t sig_len, body_len;
	int ret;

	if (len <= TRAILER_LEN ||
	    memcmp(data + len - SIG_MAGIC_LEN, sig_magic, SIG_MAGIC_LEN))
		return ERR_PTR(-EBADMSG);
	sig_len = get_unaligned_be32(data + len - TRAILER_LEN);
	if (sig_len == 0 || sig_len >= len - TRAILER_LEN)
		return ERR_PTR(-EBADMSG);
	body_len = len - TRAILER_LEN - sig_len;

	ret = hnbtre_verify_pkcs7(HNBTRE_ROLE_MANIFEST, data, body_len,
				  data + body_len, sig_len);
	if (ret) {
		/* Only these three are promised to userspace. */
		if (ret != -ENOKEY && ret != -EKEYREJECTED && ret != -ENOMEM)
			ret = ret == -ENOPKG ? -EKEYREJECTED : -EBADMSG;
		return ERR_PTR(ret);
	}

	m = parse_body(data, body_len);
	if (!IS_ERR(m))
		hnbtre_rim(m, m->rim);
	return m;
}
