// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libhnbtre: the TrE's "status" and "components" files, parsed strictly
 * (Documentation/ABI/testing/securityfs-hnbtre).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "hnbtre.h"

#define STATUS_MAX	4096

static const char *const verdict_names[HNBTRE_VERDICT_COUNT] =
	HNBTRE_VERDICT_NAMES;

const char *hnbtre_verdict_name(enum hnbtre_verdict verdict)
{
	return (unsigned int)verdict < HNBTRE_VERDICT_COUNT ?
	       verdict_names[verdict] : "invalid";
}

static int verdict_parse(const char *name, size_t len)
{
	int i;

	for (i = 0; i < HNBTRE_VERDICT_COUNT; i++)
		if (strlen(verdict_names[i]) == len &&
		    !memcmp(verdict_names[i], name, len))
			return i;
	return -1;
}

/* The next line of @text (before @end) without its "\n"; NULL at the end. */
static const char *next_line(const char **text, const char *end,
			     size_t *len)
{
	const char *line = *text, *nl;

	if (line >= end)
		return NULL;
	nl = memchr(line, '\n', (size_t)(end - line));
	if (!nl)
		return NULL;
	*len = (size_t)(nl - line);
	*text = nl + 1;
	return line;
}

/* "<key> <value>": @value set when the line's key is @key. */
static int line_key(const char *line, size_t len, const char *key,
		    const char **value, size_t *value_len)
{
	size_t klen = strlen(key);

	if (len <= klen + 1 || memcmp(line, key, klen) || line[klen] != ' ')
		return 0;
	*value = line + klen + 1;
	*value_len = len - klen - 1;
	return 1;
}

/* Unsigned decimal without sign, leading zeros or overflow. */
static int parse_u64(const char *s, size_t len, uint64_t *out)
{
	uint64_t n = 0;
	size_t i;

	if (!len || (len > 1 && s[0] == '0'))
		return 0;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9' || n > (UINT64_MAX - 9) / 10)
			return 0;
		n = n * 10 + (uint64_t)(s[i] - '0');
	}
	*out = n;
	return 1;
}

/* "sha256:<64 hex>" exactly, or "-": 1 digest, 0 "-", -1 neither. */
static int parse_digest_or_dash(const char *s, size_t len, uint8_t *digest)
{
	if (len == 1 && s[0] == '-')
		return 0;
	if (len == 7 + 2 * HNBTRE_DIGEST_LEN && hnbtre_parse_digest(s, digest))
		return 1;
	return -1;
}

static const char *const identity_sources[HNBTRE_IDENTITY_SOURCE_COUNT] =
	HNBTRE_IDENTITY_SOURCE_NAMES;

/*
 * The lines after the verdicts: "floor <n>|-" and "identity <source>",
 * each optional (an older kernel) but valid if present, then a later
 * kernel's lines, of which only the framing is checked.
 */
static int status_parse_tpm(const char *text, const char *end,
			    struct hnbtre_status *out)
{
	const char *line, *value;
	size_t line_len, value_len, i;

	line = next_line(&text, end, &line_len);
	if (line && line_key(line, line_len, "floor", &value, &value_len)) {
		out->floor_in_tpm = !(value_len == 1 && value[0] == '-');
		if (out->floor_in_tpm &&
		    !parse_u64(value, value_len, &out->floor))
			return -EBADMSG;
		line = next_line(&text, end, &line_len);
	}
	if (line && line_key(line, line_len, "identity", &value, &value_len)) {
		for (i = 0; i < HNBTRE_IDENTITY_SOURCE_COUNT; i++)
			if (strlen(identity_sources[i]) == value_len &&
			    !memcmp(identity_sources[i], value, value_len))
				out->identity_source = identity_sources[i];
		if (!out->identity_source)
			return -EBADMSG;
	}
	while (next_line(&text, end, &line_len))
		;
	return text == end ? 0 : -EBADMSG;
}

int hnbtre_status_parse(const char *text, size_t len,
			struct hnbtre_status *out)
{
	const char *end = text + len, *line, *value;
	size_t line_len, value_len;
	uint64_t n;
	int i, d;

	memset(out, 0, sizeof(*out));
	line = next_line(&text, end, &line_len);
	if (!line || !line_key(line, line_len, "state", &value, &value_len))
		return -EBADMSG;
	for (i = 0; i < 4; i++)
		if (strlen(hnbtre_state_name(i)) == value_len &&
		    !memcmp(hnbtre_state_name(i), value, value_len))
			break;
	if (i == 4)
		return -EBADMSG;
	out->state = i;

	line = next_line(&text, end, &line_len);
	if (!line || !line_key(line, line_len, "validations", &value,
			       &value_len) ||
	    !parse_u64(value, value_len, &out->validations))
		return -EBADMSG;

	line = next_line(&text, end, &line_len);
	if (!line || !line_key(line, line_len, "version", &value, &value_len))
		return -EBADMSG;
	out->has_manifest = !(value_len == 1 && value[0] == '-');
	if (out->has_manifest &&
	    !parse_u64(value, value_len, &out->manifest_version))
		return -EBADMSG;

	line = next_line(&text, end, &line_len);
	if (!line || !line_key(line, line_len, "rim", &value, &value_len))
		return -EBADMSG;
	d = parse_digest_or_dash(value, value_len, out->rim);
	if (d != out->has_manifest)
		return -EBADMSG;

	line = next_line(&text, end, &line_len);
	if (!line || !line_key(line, line_len, "tim", &value, &value_len))
		return -EBADMSG;
	d = parse_digest_or_dash(value, value_len, out->tim);
	if (d < 0)
		return -EBADMSG;
	out->validated = d;

	for (i = 0; i < HNBTRE_VERDICT_COUNT; i++) {
		line = next_line(&text, end, &line_len);
		if (!line || !line_key(line, line_len, verdict_names[i],
				       &value, &value_len) ||
		    !parse_u64(value, value_len, &n) || n > UINT32_MAX)
			return -EBADMSG;
		out->verdicts[i] = (uint32_t)n;
	}
	return status_parse_tpm(text, end, out);
}

int hnbtre_status_read(struct hnbtre_status *out)
{
	char *text;
	size_t len;
	int ret = hnbtre_sysfs_read_max("status", STATUS_MAX, &text, &len);

	if (ret)
		return ret;
	ret = hnbtre_status_parse(text, len, out);
	free(text);
	return ret;
}

/* "<verdict> <path> sha256:<hex>|sha256:- <class>" */
static int parse_component(const char *line, size_t len,
			   struct hnbtre_component_status *c)
{
	const char *end = line + len, *path, *digest, *class;
	char name[16];
	int v;

	path = memchr(line, ' ', len);
	digest = path ? memchr(path + 1, ' ', (size_t)(end - path - 1)) : NULL;
	class = digest ? memchr(digest + 1, ' ', (size_t)(end - digest - 1)) :
			 NULL;
	if (!class || memchr(class + 1, ' ', (size_t)(end - class - 1)))
		return -EBADMSG;
	v = verdict_parse(line, (size_t)(path - line));
	if (v < 0 || (size_t)(end - class - 1) >= sizeof(name))
		return -EBADMSG;
	c->verdict = v;
	path++;
	digest++;
	class++;
	memcpy(name, class, (size_t)(end - class));
	name[end - class] = '\0';
	v = hnbtre_class_parse(name);
	if (v < 0)
		return -EBADMSG;
	c->class = v;
	if ((size_t)(class - digest - 1) == 8 && !memcmp(digest, "sha256:-", 8))
		c->measured = 0;
	else if ((size_t)(class - digest - 1) == 7 + 2 * HNBTRE_DIGEST_LEN &&
		 hnbtre_parse_digest(digest, c->digest))
		c->measured = 1;
	else
		return -EBADMSG;
	/* "sha256:-" exactly for these, a digest for the others */
	if (c->measured == (c->verdict == HNBTRE_VERDICT_MISSING ||
			    c->verdict == HNBTRE_VERDICT_PENDING))
		return -EBADMSG;
	if (!hnbtre_path_valid(path, (size_t)(digest - path - 1)))
		return -EBADMSG;
	c->path = strndup(path, (size_t)(digest - path - 1));
	return c->path ? 0 : -ENOMEM;
}

int hnbtre_components_parse(const char *text, size_t len,
			    struct hnbtre_components *out)
{
	const char *end = text + len, *line;
	size_t line_len;
	int ret = 0;

	memset(out, 0, sizeof(*out));
	while (!ret && (line = next_line(&text, end, &line_len))) {
		struct hnbtre_component_status *items = out->items;

		if (out->count == HNBTRE_MANIFEST_MAX_COMPONENTS) {
			ret = -EBADMSG;
			break;
		}
		items = realloc(items, (out->count + 1) * sizeof(*items));
		if (!items) {
			ret = -ENOMEM;
			break;
		}
		out->items = items;
		memset(&items[out->count], 0, sizeof(*items));
		ret = parse_component(line, line_len, &items[out->count]);
		if (ret)
			break;
		/* strictly ascending: hnbtre_components_find() searches */
		if (out->count &&
		    strcmp(items[out->count - 1].path, items[out->count].path) >= 0)
			ret = -EBADMSG;
		out->count++;
	}
	if (!ret && text != end)
		ret = -EBADMSG;
	if (ret)
		hnbtre_components_free(out);
	return ret;
}

int hnbtre_components_read(struct hnbtre_components *out)
{
	char *text;
	size_t len;
	int ret = hnbtre_sysfs_read("components", &text, &len);

	if (ret)
		return ret;
	ret = hnbtre_components_parse(text, len, out);
	free(text);
	return ret;
}

static int by_path(const void *key, const void *item)
{
	return strcmp(key, ((const struct hnbtre_component_status *)item)->path);
}

const struct hnbtre_component_status *
hnbtre_components_find(const struct hnbtre_components *list, const char *path)
{
	if (!list->count)
		return NULL;
	return bsearch(path, list->items, list->count, sizeof(*list->items),
		       by_path);
}

void hnbtre_components_free(struct hnbtre_components *list)
{
	size_t i;

	for (i = 0; i < list->count; i++)
		free(list->items[i].path);
	free(list->items);
	memset(list, 0, sizeof(*list));
}
