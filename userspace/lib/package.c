// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Signed packages (TR-069 Annex E): parsing the signed part with bounds
 * checks on every field, streaming the payload against the signed hashes,
 * the package/manifest agreement and the TR-069 fault mapping.  Byte-exact
 * format in Documentation/package.md.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/asn1.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "hnbtre_pkg.h"

#define STREAM_CHUNK	(1 << 17)

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

const char *hnbtre_pkg_cmd_name(uint32_t type)
{
	static const char *const names[] = {
		"End", "Extract File", "Extract Versioned File", "Add File",
		"Add Versioned File", "Remove File", "Remove Versioned File",
		"Remove Sub-Tree", "Move File", "Move Versioned File",
		"Version", "Description", "Recoverable Timeout",
		"Unrecoverable Timeout", "Initial Timeout",
		"Initial Activity Timeout", "Reboot", "Format File System",
		"Minimum Version", "Maximum Version", "Role",
		"Minimum Non-Volatile Storage", "Minimum Volatile Storage Size",
		"reserved", "reserved", "Required Attributes",
	};
	static const char *const ours[] = {
		"hnbtre Manifest", "hnbtre SHA-256", "hnbtre Mode",
		"hnbtre IMA Signature", "hnbtre Allow Downgrade",
	};

	if (type < sizeof(names) / sizeof(names[0]))
		return names[type];
	if (type >= HNBTRE_PKG_CMD_MANIFEST &&
	    type <= HNBTRE_PKG_CMD_ALLOW_DOWNGRADE)
		return ours[type - HNBTRE_PKG_CMD_MANIFEST];
	if (type >= HNBTRE_PKG_VENDOR_FIRST && type <= HNBTRE_PKG_VENDOR_LAST)
		return "vendor";
	return "unknown";
}

int hnbtre_pkg_header_check(const uint8_t *h, size_t *cmds_len,
			    uint64_t *payload_len)
{
	if (memcmp(h, HNBTRE_PKG_PREAMBLE, HNBTRE_PKG_PREAMBLE_LEN) ||
	    be32(h + 8) != HNBTRE_PKG_MAJOR || be32(h + 16) > HNBTRE_PKG_CMDS_MAX)
		return -EBADMSG;
	*cmds_len = be32(h + 16);
	*payload_len = be32(h + 20);
	return 0;
}

int hnbtre_pkg_sig_len(const uint8_t *p, size_t avail, size_t *len)
{
	const unsigned char *q = p;
	long content;
	int tag, class, ret;

	ret = ASN1_get_object(&q, &content, &tag, &class, (long)avail);
	ERR_clear_error();
	/* 0x80: error, or only "longer than avail", which is expected here */
	if ((ret & 0x80 && q == p) || ret == 0x21 || ret == 0xa1 ||
	    !(ret & V_ASN1_CONSTRUCTED) || tag != V_ASN1_SEQUENCE ||
	    class != V_ASN1_UNIVERSAL || content < 0 ||
	    (size_t)content > HNBTRE_PKG_SIG_MAX - (size_t)(q - p))
		return -EBADMSG;
	*len = (size_t)(q - p) + (size_t)content;
	return 0;
}

int hnbtre_pkg_version_parse(const char *s, size_t len,
			     struct hnbtre_pkg_version *v)
{
	size_t i = 0;

	memset(v, 0, sizeof(*v));
	while (i < len) {
		uint64_t x = 0;
		size_t start = i;

		if (v->n == HNBTRE_PKG_VERSION_MAX)
			return -EINVAL;
		while (i < len && s[i] >= '0' && s[i] <= '9' && x <= UINT32_MAX)
			x = x * 10 + (uint64_t)(s[i++] - '0');
		if (i == start || x > UINT32_MAX ||
		    (s[start] == '0' && i - start > 1))
			return -EINVAL;
		v->v[v->n++] = (uint32_t)x;
		if (i < len && (s[i] != '.' || ++i == len))
			return -EINVAL;
	}
	return v->n ? 0 : -EINVAL;
}

int hnbtre_pkg_version_cmp(const struct hnbtre_pkg_version *a,
			   const struct hnbtre_pkg_version *b)
{
	size_t i, n = a->n > b->n ? a->n : b->n;

	for (i = 0; i < n; i++) {
		uint32_t x = i < a->n ? a->v[i] : 0, y = i < b->n ? b->v[i] : 0;

		if (x != y)
			return x < y ? -1 : 1;
	}
	return 0;
}

/* Version and Description: printable text, UTF-8 allowed, no control. */
static char *take_text(const uint8_t *v, size_t len)
{
	size_t i;

	if (len == 0 || len > HNBTRE_PKG_TEXT_MAX)
		return NULL;
	for (i = 0; i < len; i++) {
		if (v[i] < 0x20 || v[i] == 0x7f)
			return NULL;
	}
	return strndup((const char *)v, len);
}

/*
 * A variable field of a command value: @off and @len from the value's
 * fixed part, which the field may not overlap; the field must end inside
 * the value.
 */
static const uint8_t *field(const uint8_t *v, size_t value_len, size_t fixed,
			    uint32_t off, uint32_t len)
{
	if (off < fixed || off > value_len || len > value_len - off)
		return NULL;
	return v + off;
}

static int take_path(const uint8_t *v, size_t value_len, size_t fixed,
		     uint32_t off, uint32_t len, char **out)
{
	const uint8_t *p = field(v, value_len, fixed, off, len);

	if (!p || !hnbtre_path_valid((const char *)p, len))
		return -EBADMSG;
	*out = strndup((const char *)p, len);
	return *out ? 0 : -ENOMEM;
}

/* Grow an array of @size-byte elements to hold @n + 1. */
static int grow(void **array, size_t n, size_t size)
{
	void *bigger;

	if (n && (n < 8 || (n & (n - 1))))
		return 0;
	bigger = realloc(*array, (n < 8 ? 8 : 2 * n) * size);
	if (!bigger)
		return -ENOMEM;
	*array = bigger;
	return 0;
}

/* The parser's state between commands. */
struct parse {
	struct hnbtre_pkg *pkg;
	uint32_t payload_len;
	int seen_version, seen_description, seen_manifest, seen_reboot;
	/* the vendor commands that belong to the last file */
	struct hnbtre_pkg_file *last;
	int last_sha256, last_mode, last_ima;
	char *err;
};

int hnbtre_pkg_cmd_versioned(uint32_t type)
{
	return type == HNBTRE_PKG_CMD_EXTRACT_VERSIONED ||
	       type == HNBTRE_PKG_CMD_ADD_VERSIONED ||
	       type == HNBTRE_PKG_CMD_REMOVE_VERSIONED ||
	       type == HNBTRE_PKG_CMD_MOVE_VERSIONED;
}

size_t hnbtre_pkg_versioned_base(const char *path)
{
	const char *name = strrchr(path, '/') + 1, *dot = strchr(name, '.');

	if (!dot || dot == name || dot - name > HNBTRE_PKG_BASE_MAX ||
	    strlen(dot + 1) != HNBTRE_PKG_EXT_LEN || strchr(dot + 1, '.'))
		return 0;
	return dot - path;
}

int hnbtre_pkg_same_base(const char *versioned, size_t base_len,
			 const char *path)
{
	const char *ext = path + base_len + 1;

	return !strncmp(path, versioned, base_len) && path[base_len] == '.' &&
	       *ext && !strchr(ext, '.') && !strchr(ext, '/');
}

static int bad_versioned_name(struct parse *ps, uint32_t type, const char *path)
{
	return hnbtre_fail(ps->err, -EBADMSG, "%s %s: a versioned file is named base.ext (base 1..%d characters, extension %d, no other dot)",
			   hnbtre_pkg_cmd_name(type), path, HNBTRE_PKG_BASE_MAX,
			   HNBTRE_PKG_EXT_LEN);
}

/* Extract / Add (versioned too): Annex E's 32 fixed bytes, path, hash. */
static int parse_file(struct parse *ps, uint32_t type, const uint8_t *v,
		      size_t len)
{
	struct hnbtre_pkg *pkg = ps->pkg;
	struct hnbtre_pkg_file *f;
	const uint8_t *hash;
	uint32_t off, size;
	int ret;

	if (len < HNBTRE_PKG_FIXED_LEN)
		return hnbtre_fail(ps->err, -EBADMSG, "%s: %zu bytes, at least 32",
				   hnbtre_pkg_cmd_name(type), len);
	ret = grow((void **)&pkg->files, pkg->nfiles, sizeof(*pkg->files));
	if (ret)
		return ret;
	f = &pkg->files[pkg->nfiles];
	memset(f, 0, sizeof(*f));
	f->type = type;
	f->flags = be32(v);
	f->mode = 0644;
	ret = take_path(v, len, HNBTRE_PKG_FIXED_LEN, be32(v + 4), be32(v + 8),
			&f->path);
	if (ret)
		return ret == -ENOMEM ? ret :
		       hnbtre_fail(ps->err, ret, "%s %zu: path offset %u length %u outside the value or not an absolute path without . or ..",
				   hnbtre_pkg_cmd_name(type), pkg->nfiles + 1,
				   be32(v + 4), be32(v + 8));
	pkg->nfiles++;
	if (hnbtre_pkg_cmd_versioned(type) && !hnbtre_pkg_versioned_base(f->path))
		return bad_versioned_name(ps, type, f->path);
	if (be32(v + 12) != HNBTRE_PKG_HASH_SHA1 ||
	    be32(v + 20) != HNBTRE_PKG_SHA1_LEN)
		return hnbtre_fail(ps->err, -EBADMSG, "%s: hash type %u length %u (SHA-1 is type 1, 20 bytes)",
				   f->path, be32(v + 12), be32(v + 20));
	hash = field(v, len, HNBTRE_PKG_FIXED_LEN, be32(v + 16), be32(v + 20));
	if (!hash)
		return hnbtre_fail(ps->err, -EBADMSG, "%s: hash offset %u outside the value",
				   f->path, be32(v + 16));
	memcpy(f->sha1, hash, HNBTRE_PKG_SHA1_LEN);
	off = be32(v + 24);
	size = be32(v + 28);
	if (off > ps->payload_len || size > ps->payload_len - off)
		return hnbtre_fail(ps->err, -EBADMSG, "%s: file offset %u length %u beyond the payload (%u)",
				   f->path, off, size, ps->payload_len);
	f->offset = off;
	f->size = size;
	ps->last = f;
	ps->last_sha256 = ps->last_mode = ps->last_ima = 0;
	return 0;
}

/* Remove (versioned), Remove Sub-Tree: flags, path offset, path length. */
static int parse_remove(struct parse *ps, uint32_t type, const uint8_t *v,
			size_t len, int move)
{
	struct hnbtre_pkg *pkg = ps->pkg;
	struct hnbtre_pkg_action *a;
	size_t fixed = move ? 20 : 12;
	int ret;

	if (len < fixed)
		return hnbtre_fail(ps->err, -EBADMSG, "%s: %zu bytes, at least %zu",
				   hnbtre_pkg_cmd_name(type), len, fixed);
	ret = grow((void **)&pkg->actions, pkg->nactions, sizeof(*pkg->actions));
	if (ret)
		return ret;
	a = &pkg->actions[pkg->nactions];
	memset(a, 0, sizeof(*a));
	a->type = type;
	a->flags = be32(v);
	ret = take_path(v, len, fixed, be32(v + 4), be32(v + 8), &a->path);
	if (!ret && move)
		ret = take_path(v, len, fixed, be32(v + 12), be32(v + 16), &a->to);
	if (a->path)
		pkg->nactions++;
	if (ret)
		return ret == -ENOMEM ? ret :
		       hnbtre_fail(ps->err, ret, "%s: path offset or length outside the value, or not an absolute path without . or ..",
				   hnbtre_pkg_cmd_name(type));
	/* Move Versioned: the source names a base; the destination is exact. */
	if (hnbtre_pkg_cmd_versioned(type) && !hnbtre_pkg_versioned_base(a->path))
		return bad_versioned_name(ps, type, a->path);
	return 0;
}

static int parse_version_array(struct parse *ps, uint32_t type,
			       const uint8_t *v, size_t len,
			       struct hnbtre_pkg_version *out, int *seen)
{
	size_t i;

	if (*seen || len == 0 || len % 4 ||
	    len / 4 > HNBTRE_PKG_VERSION_MAX)
		return hnbtre_fail(ps->err, -EBADMSG, "%s: once, 1..%d elements of 4 bytes",
				   hnbtre_pkg_cmd_name(type),
				   HNBTRE_PKG_VERSION_MAX);
	out->n = len / 4;
	for (i = 0; i < out->n; i++)
		out->v[i] = be32(v + 4 * i);
	*seen = 1;
	return 0;
}

/* The vendor commands of the file before them: once each per file. */
static int file_vendor(struct parse *ps, uint32_t type, const uint8_t *v,
		       size_t len)
{
	struct hnbtre_pkg_file *f = ps->last;
	const char *name = hnbtre_pkg_cmd_name(type);

	if (!f)
		return hnbtre_fail(ps->err, -EBADMSG, "%s before any Extract or Add", name);
	switch (type) {
	case HNBTRE_PKG_CMD_SHA256:
		if (ps->last_sha256++ || len != HNBTRE_DIGEST_LEN)
			break;
		memcpy(f->digest, v, HNBTRE_DIGEST_LEN);
		f->has_sha256 = 1;
		return 0;
	case HNBTRE_PKG_CMD_MODE:
		if (ps->last_mode++ || len != 4 || be32(v) & ~0777U)
			break;
		f->mode = be32(v);
		return 0;
	case HNBTRE_PKG_CMD_IMA_SIGNATURE:
		/* The file's security.ima, as evmctl wrote it (type 0x03). */
		if (ps->last_ima++ || len < 2 || len > HNBTRE_PKG_IMA_SIG_MAX ||
		    v[0] != 0x03)
			break;
		f->ima_sig = malloc(len);
		if (!f->ima_sig)
			return -ENOMEM;
		memcpy(f->ima_sig, v, len);
		f->ima_sig_len = len;
		return 0;
	}
	return hnbtre_fail(ps->err, -EBADMSG, "%s of %s: repeated or bad value (%zu bytes)",
			   name, f->path, len);
}

static int parse_command(struct parse *ps, uint32_t type, const uint8_t *v,
			 size_t len)
{
	struct hnbtre_pkg *pkg = ps->pkg;
	const char *name = hnbtre_pkg_cmd_name(type);

	if (ps->seen_reboot)
		return hnbtre_fail(ps->err, -EBADMSG, "%s after Reboot (Reboot must be last)", name);
	switch (type) {
	case HNBTRE_PKG_CMD_EXTRACT_VERSIONED:
	case HNBTRE_PKG_CMD_ADD_VERSIONED:
	case HNBTRE_PKG_CMD_EXTRACT:
	case HNBTRE_PKG_CMD_ADD:
		return parse_file(ps, type, v, len);
	case HNBTRE_PKG_CMD_REMOVE_VERSIONED:
	case HNBTRE_PKG_CMD_REMOVE:
	case HNBTRE_PKG_CMD_REMOVE_SUBTREE:
		return parse_remove(ps, type, v, len, 0);
	case HNBTRE_PKG_CMD_MOVE_VERSIONED:
	case HNBTRE_PKG_CMD_MOVE:
		return parse_remove(ps, type, v, len, 1);
	case HNBTRE_PKG_CMD_VERSION:
		if (ps->seen_version++)
			break;
		pkg->version = take_text(v, len);
		if (!pkg->version ||
		    hnbtre_pkg_version_parse(pkg->version, len, &pkg->version_num))
			return hnbtre_fail(ps->err, -EBADMSG, "Version: a dotted number (1.2.3), up to %d elements",
					   HNBTRE_PKG_VERSION_MAX);
		return 0;
	case HNBTRE_PKG_CMD_DESCRIPTION:
		if (ps->seen_description++)
			break;
		pkg->description = take_text(v, len);
		if (!pkg->description)
			return hnbtre_fail(ps->err, -EBADMSG, "Description: 1..%d bytes without control characters",
					   HNBTRE_PKG_TEXT_MAX);
		return 0;
	case HNBTRE_PKG_CMD_RECOVERABLE_TIMEOUT:
	case HNBTRE_PKG_CMD_UNRECOVERABLE_TIMEOUT:
	case HNBTRE_PKG_CMD_INITIAL_TIMEOUT:
	case HNBTRE_PKG_CMD_INITIAL_ACTIVITY_TIMEOUT:
		if (len != 4)
			break;
		pkg->timeouts[type - HNBTRE_PKG_CMD_RECOVERABLE_TIMEOUT] = be32(v);
		return 0;
	case HNBTRE_PKG_CMD_REBOOT:
	case HNBTRE_PKG_CMD_FORMAT:
		if (len)
			break;
		if (type == HNBTRE_PKG_CMD_REBOOT)
			ps->seen_reboot = pkg->reboot = 1;
		else
			pkg->format = 1;
		return 0;
	case HNBTRE_PKG_CMD_MIN_VERSION:
		return parse_version_array(ps, type, v, len, &pkg->min_version,
					   &pkg->has_min_version);
	case HNBTRE_PKG_CMD_MAX_VERSION:
		return parse_version_array(ps, type, v, len, &pkg->max_version,
					   &pkg->has_max_version);
	case HNBTRE_PKG_CMD_ROLE:
		/* vendor roles (top octet 0xff) may carry arguments */
		if (pkg->has_role || len < 4 || (len > 4 && v[0] != 0xff))
			break;
		pkg->has_role = 1;
		pkg->role = be32(v);
		return 0;
	case HNBTRE_PKG_CMD_MIN_NV_STORAGE:
	case HNBTRE_PKG_CMD_MIN_VOLATILE_STORAGE:
		if (len != 4)
			break;
		*(type == HNBTRE_PKG_CMD_MIN_NV_STORAGE ? &pkg->min_nv_storage :
		  &pkg->min_volatile_storage) = be32(v);
		return 0;
	case HNBTRE_PKG_CMD_REQUIRED_ATTRIBUTES:
		/* No class is defined (by the annex or by us): each is
		 * ignored, as the annex asks for unknown ones. */
		if (len < 8 || (len - 8) % 4)
			break;
		return 0;
	case HNBTRE_PKG_CMD_MANIFEST:
		if (ps->seen_manifest++ || len != 8 + HNBTRE_DIGEST_LEN)
			break;
		pkg->manifest.offset = be32(v);
		pkg->manifest.size = be32(v + 4);
		memcpy(pkg->manifest.digest, v + 8, HNBTRE_DIGEST_LEN);
		pkg->manifest.has_sha256 = 1;
		if (pkg->manifest.size == 0 ||
		    pkg->manifest.size > HNBTRE_MANIFEST_MAX_SIZE ||
		    pkg->manifest.offset > ps->payload_len ||
		    pkg->manifest.size > ps->payload_len - pkg->manifest.offset)
			return hnbtre_fail(ps->err, -EBADMSG, "hnbtre Manifest: offset %u length %u beyond the payload or over 4 MiB",
					   be32(v), be32(v + 4));
		return 0;
	case HNBTRE_PKG_CMD_SHA256:
	case HNBTRE_PKG_CMD_MODE:
	case HNBTRE_PKG_CMD_IMA_SIGNATURE:
		return file_vendor(ps, type, v, len);
	case HNBTRE_PKG_CMD_ALLOW_DOWNGRADE:
		if (pkg->allow_downgrade++ || len)
			break;
		return 0;
	default:
		return 0;	/* unknown, reserved, another vendor's: skipped */
	}
	return hnbtre_fail(ps->err, -EBADMSG, "%s: repeated, or a value of %zu bytes is not its layout",
			   name, len);
}

static int by_path(const void *a, const void *b)
{
	return strcmp(((const struct hnbtre_pkg_file *)a)->path,
		      ((const struct hnbtre_pkg_file *)b)->path);
}

static const struct hnbtre_pkg_file *manifest_or_file(const struct hnbtre_pkg *pkg,
						      size_t i)
{
	return i ? &pkg->files[i - 1] : &pkg->manifest;
}

static const struct hnbtre_pkg *sort_pkg;

static int by_offset(const void *a, const void *b)
{
	const struct hnbtre_pkg_file *x = manifest_or_file(sort_pkg, *(const size_t *)a);
	const struct hnbtre_pkg_file *y = manifest_or_file(sort_pkg, *(const size_t *)b);

	if (x->offset != y->offset)
		return x->offset < y->offset ? -1 : 1;
	return x->size < y->size ? -1 : x->size > y->size;
}

/* The manifest (0) and the files (1..nfiles) by payload offset; free() it. */
static size_t *payload_order(const struct hnbtre_pkg *pkg)
{
	size_t n = pkg->nfiles + 1, i, *order = malloc(n * sizeof(*order));

	if (!order)
		return NULL;
	for (i = 0; i < n; i++)
		order[i] = i;
	sort_pkg = pkg;
	qsort(order, n, sizeof(*order), by_offset);
	return order;
}

/*
 * Every payload byte belongs to exactly one file (or the manifest): no
 * overlap (two commands reading the same bytes), no gap (bytes no hash
 * covers).
 */
static int check_payload(const struct hnbtre_pkg *pkg, char *err)
{
	size_t n = pkg->nfiles + 1, i, *order = payload_order(pkg);
	uint64_t at = 0;
	int ret = 0;

	if (!order)
		return -ENOMEM;
	for (i = 0; !ret && i < n; i++) {
		const struct hnbtre_pkg_file *f = manifest_or_file(pkg, order[i]);

		if (!f->size)
			continue;
		if (f->offset != at)
			ret = hnbtre_fail(err, -EBADMSG, "%s: payload bytes %llu..%llu %s",
					  f->path ? f->path : "manifest",
					  (unsigned long long)f->offset,
					  (unsigned long long)(f->offset + f->size - 1),
					  f->offset < at ? "overlap another file" :
					  "leave a gap before them");
		at = f->offset + f->size;
	}
	if (!ret && at != pkg->payload_len)
		ret = hnbtre_fail(err, -EBADMSG, "payload: %llu bytes after the last file",
				  (unsigned long long)(pkg->payload_len - at));
	free(order);
	return ret;
}

/* @dir is @path or a directory above it. */
static int below(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return !strncmp(path, dir, n) && (path[n] == '\0' || path[n] == '/');
}

static const struct hnbtre_pkg_file *file_at(const struct hnbtre_pkg *pkg,
					     const char *path)
{
	struct hnbtre_pkg_file key = { .path = (char *)path };

	return bsearch(&key, pkg->files, pkg->nfiles, sizeof(key), by_path);
}

/*
 * @a (of command @a_type) and @b (of @b_type) name the same file or one
 * lies below the other; a versioned command's path stands for every
 * file of its base name in its directory.
 */
static int touches(const char *a, uint32_t a_type, const char *b,
		   uint32_t b_type)
{
	size_t base;

	if (below(a, b) || below(b, a))
		return 1;
	base = hnbtre_pkg_cmd_versioned(a_type) ? hnbtre_pkg_versioned_base(a) : 0;
	if (base && hnbtre_pkg_same_base(a, base, b))
		return 1;
	base = hnbtre_pkg_cmd_versioned(b_type) ? hnbtre_pkg_versioned_base(b) : 0;
	return base && hnbtre_pkg_same_base(b, base, a);
}

/*
 * No path is written twice or both written and removed or moved, nor is
 * a file below another, nor does a versioned file share its base name
 * with another file or an action: the result does not depend on the
 * order of the actions, and each file is where its command says.
 */
static int check_paths(const struct hnbtre_pkg *pkg, char *err)
{
	char parent[HNBTRE_PATH_MAX + 1];
	size_t i, j;

	for (i = 0; i < pkg->nfiles; i++) {
		const struct hnbtre_pkg_file *f = &pkg->files[i];
		const char *p = f->path, *slash;

		if (i && !strcmp(pkg->files[i - 1].path, p))
			return hnbtre_fail(err, -EBADMSG, "%s: installed twice", p);
		for (slash = strchr(p + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
			memcpy(parent, p, slash - p);
			parent[slash - p] = '\0';
			if (file_at(pkg, parent))
				return hnbtre_fail(err, -EBADMSG, "%s: below the file %s",
						   p, parent);
		}
		for (j = 0; hnbtre_pkg_cmd_versioned(f->type) && j < pkg->nfiles; j++) {
			if (j != i && touches(p, f->type, pkg->files[j].path,
					      pkg->files[j].type))
				return hnbtre_fail(err, -EBADMSG, "%s %s: %s has its base name",
						   hnbtre_pkg_cmd_name(f->type), p,
						   pkg->files[j].path);
		}
	}
	for (i = 0; i < pkg->nactions; i++) {
		const struct hnbtre_pkg_action *a = &pkg->actions[i];

		for (j = 0; j < pkg->nfiles; j++) {
			const struct hnbtre_pkg_file *f = &pkg->files[j];

			if (touches(a->path, a->type, f->path, f->type) ||
			    (a->to && touches(a->to, HNBTRE_PKG_CMD_MOVE, f->path,
					      f->type)))
				return hnbtre_fail(err, -EBADMSG, "%s %s overlaps the file %s",
						   hnbtre_pkg_cmd_name(a->type),
						   a->path, f->path);
		}
	}
	return 0;
}

static int parse_commands(struct hnbtre_pkg *pkg, char *err)
{
	struct parse ps = { .pkg = pkg, .err = err,
			    .payload_len = (uint32_t)pkg->payload_len };
	const uint8_t *p = pkg->cmds;
	size_t left = pkg->cmds_len;
	int ret;

	while (left) {
		uint32_t type, len;

		if (left < HNBTRE_PKG_CMD_HEADER_LEN)
			return hnbtre_fail(err, -EBADMSG, "command list: %zu bytes left, a command needs 8",
					   left);
		type = be32(p);
		len = be32(p + 4);
		if (len > left - HNBTRE_PKG_CMD_HEADER_LEN)
			return hnbtre_fail(err, -EBADMSG, "%s: length %u overruns the command list",
					   hnbtre_pkg_cmd_name(type), len);
		if (type == HNBTRE_PKG_CMD_END) {
			if (len)
				return hnbtre_fail(err, -EBADMSG, "End: length %u, must be 0", len);
			break;	/* the annex: parsing stops here */
		}
		ret = parse_command(&ps, type, p + HNBTRE_PKG_CMD_HEADER_LEN, len);
		if (ret)
			return ret;
		p += HNBTRE_PKG_CMD_HEADER_LEN + (size_t)len;
		left -= HNBTRE_PKG_CMD_HEADER_LEN + (size_t)len;
	}
	if (!ps.seen_version)
		return hnbtre_fail(err, -EBADMSG, "no Version command");
	if (!ps.seen_manifest)
		return hnbtre_fail(err, -EBADMSG, "no hnbtre Manifest command");
	qsort(pkg->files, pkg->nfiles, sizeof(*pkg->files), by_path);
	pkg->sha256 = calloc(pkg->nfiles + 1, sizeof(*pkg->sha256));
	if (!pkg->sha256)
		return -ENOMEM;
	ret = check_paths(pkg, err);
	return ret ? ret : check_payload(pkg, err);
}

int hnbtre_pkg_parse(uint8_t *buf, size_t len, struct hnbtre_pkg *pkg,
		     char *err)
{
	size_t cmds_len;

	memset(pkg, 0, sizeof(*pkg));
	pkg->signed_part = buf;
	if (len < HNBTRE_PKG_HEADER_LEN ||
	    hnbtre_pkg_header_check(buf, &cmds_len, &pkg->payload_len))
		return hnbtre_fail(err, -EBADMSG,
				   "header: not a TR-069 signed package (preamble, major version %d, command list length < 65536)",
				   HNBTRE_PKG_MAJOR);
	pkg->minor = be32(buf + 12);
	if (len - HNBTRE_PKG_HEADER_LEN < cmds_len ||
	    hnbtre_pkg_sig_len(buf + HNBTRE_PKG_HEADER_LEN + cmds_len,
			       len - HNBTRE_PKG_HEADER_LEN - cmds_len,
			       &pkg->sig_len) ||
	    len != HNBTRE_PKG_HEADER_LEN + cmds_len + pkg->sig_len)
		return hnbtre_fail(err, -EBADMSG,
				   "signature block: not one DER SEQUENCE of at most %d bytes right after the command list",
				   HNBTRE_PKG_SIG_MAX);
	pkg->signed_len = len;
	pkg->cmds = buf + HNBTRE_PKG_HEADER_LEN;
	pkg->cmds_len = cmds_len;
	pkg->sig = pkg->cmds + cmds_len;
	return parse_commands(pkg, err);
}

void hnbtre_pkg_free(struct hnbtre_pkg *pkg)
{
	size_t i;

	for (i = 0; i < pkg->nfiles; i++) {
		free(pkg->files[i].path);
		free(pkg->files[i].ima_sig);
	}
	for (i = 0; i < pkg->nactions; i++) {
		free(pkg->actions[i].path);
		free(pkg->actions[i].to);
	}
	free(pkg->files);
	free(pkg->sha256);
	free(pkg->actions);
	free(pkg->version);
	free(pkg->description);
	free(pkg->signed_part);
	memset(pkg, 0, sizeof(*pkg));
}

/* @len bytes at @pos, or (@pos < 0) where @fd is. */
static int read_exact(int fd, uint8_t *buf, size_t len, off_t pos)
{
	while (len) {
		ssize_t n = pos < 0 ? read(fd, buf, len) : pread(fd, buf, len, pos);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EBADMSG;
		buf += n;
		len -= n;
		if (pos >= 0)
			pos += n;
	}
	return 0;
}

/* The signature block's DER header: a tag and up to 5 length bytes. */
#define SIG_PEEK	6

int hnbtre_pkg_open(const char *path, struct hnbtre_pkg *pkg, int *fdp,
		    char *err)
{
	uint8_t header[HNBTRE_PKG_HEADER_LEN], *buf = NULL;
	size_t cmds_len = 0, sig_len = 0, signed_len;
	const char *why = "truncated signed part";
	uint64_t payload_len;
	struct stat st;
	int fd, ret;

	memset(pkg, 0, sizeof(*pkg));
	fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : dup(0);
	if (fd < 0)
		return hnbtre_fail(err, -errno, "%s: %s", path, strerror(errno));
	ret = read_exact(fd, header, sizeof(header), -1);
	if (!ret && hnbtre_pkg_header_check(header, &cmds_len, &payload_len)) {
		why = "not a TR-069 signed package (preamble, major version 1, command list length < 65536)";
		ret = -EBADMSG;
	}
	if (!ret) {
		buf = malloc(sizeof(header) + cmds_len + HNBTRE_PKG_SIG_MAX);
		if (!buf)
			ret = -ENOMEM;
	}
	if (!ret) {
		memcpy(buf, header, sizeof(header));
		ret = read_exact(fd, buf + sizeof(header), cmds_len + SIG_PEEK, -1);
	}
	if (!ret && (hnbtre_pkg_sig_len(buf + sizeof(header) + cmds_len,
					SIG_PEEK, &sig_len) || sig_len < SIG_PEEK)) {
		why = "the signature block is not one DER SEQUENCE of at most 65536 bytes";
		ret = -EBADMSG;
	}
	signed_len = sizeof(header) + cmds_len + sig_len;
	if (!ret)
		ret = read_exact(fd, buf + sizeof(header) + cmds_len + SIG_PEEK,
				 sig_len - SIG_PEEK, -1);
	if (ret) {
		free(buf);
		close(fd);
		return hnbtre_fail(err, ret, "%s: %s", path,
				   ret == -EBADMSG ? why : strerror(-ret));
	}
	ret = hnbtre_pkg_parse(buf, signed_len, pkg, err);
	if (!ret && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    (uint64_t)st.st_size != signed_len + pkg->payload_len)
		ret = hnbtre_fail(err, -EBADMSG,
				  "%s: %llu bytes, the package declares %llu", path,
				  (unsigned long long)st.st_size,
				  (unsigned long long)(signed_len + pkg->payload_len));
	if (ret) {
		hnbtre_pkg_free(pkg);
		close(fd);
		return ret;
	}
	*fdp = fd;
	return 0;
}

/*
 * The state shared by the workers of hnbtre_pkg_stream(): which file is
 * next, the progress, the first failure (which stops them all).
 */
struct stream {
	const struct hnbtre_pkg *pkg;
	int fd;
	off_t payload;			/* where it starts in @fd, or -1 (pipe) */
	uint64_t pipe_at;		/* payload bytes read from a pipe */
	const struct hnbtre_pkg_sink *sink;
	hnbtre_pkg_progress progress;
	void *progress_arg;
	pthread_mutex_t lock;
	size_t next;
	uint64_t done;
	int ret;
	char *err;
};

/* A worker's hashing state and buffer. */
struct hasher {
	EVP_MD_CTX *sha1;
	EVP_MD_CTX *sha256;
	uint8_t *buf;
};

static int hasher_init(struct hasher *h)
{
	h->sha1 = EVP_MD_CTX_new();
	h->sha256 = EVP_MD_CTX_new();
	h->buf = malloc(STREAM_CHUNK);
	return h->sha1 && h->sha256 && h->buf ? 0 : -ENOMEM;
}

static void hasher_free(struct hasher *h)
{
	EVP_MD_CTX_free(h->sha1);
	EVP_MD_CTX_free(h->sha256);
	free(h->buf);
}

/* Called with @s->lock held. */
static void report(struct stream *s, size_t len)
{
	s->done += len;
	if (s->progress)
		s->progress(s->done, s->pkg->payload_len, s->progress_arg);
}

/*
 * One file: chunks of @s->fd into its hashes and the sink, the hashes
 * compared at the end, the sink's end() only after they matched.  The
 * file is read at its offset (pread) or, from a pipe, where the pipe is.
 */
static int stream_region(struct stream *s, const struct hnbtre_pkg_file *f,
			 int index, struct hasher *h, uint8_t *keep, char *err)
{
	const struct hnbtre_pkg_sink *sink = s->sink;
	uint8_t sha1[HNBTRE_PKG_SHA1_LEN], sha256[HNBTRE_DIGEST_LEN];
	const char *what = f->path ? f->path : "manifest";
	off_t pos = s->payload < 0 ? -1 : s->payload + (off_t)f->offset;
	uint64_t left = f->size;
	/*
	 * The strongest signed hash decides: SHA-256 when the file has its
	 * command (both are signed; checking the SHA-1 as well would only
	 * cost a second pass over 100 MB), else the annex's SHA-1.
	 */
	int use_sha1 = f->path && !f->has_sha256, ret = 0;

	if ((use_sha1 && !EVP_DigestInit_ex(h->sha1, EVP_sha1(), NULL)) ||
	    !EVP_DigestInit_ex(h->sha256, EVP_sha256(), NULL))
		ret = -ENOMEM;
	if (!ret && sink && sink->begin)
		ret = sink->begin(sink->arg, f, index, err);
	while (!ret && left) {
		size_t want = left < STREAM_CHUNK ? left : STREAM_CHUNK;

		ret = read_exact(s->fd, h->buf, want, pos);
		if (ret)
			return hnbtre_fail(err, ret, "%s: %s", what, ret == -EBADMSG ?
					   "payload truncated" : strerror(-ret));
		if ((use_sha1 && !EVP_DigestUpdate(h->sha1, h->buf, want)) ||
		    !EVP_DigestUpdate(h->sha256, h->buf, want))
			ret = -ENOMEM;
		if (!ret && keep) {
			memcpy(keep, h->buf, want);
			keep += want;
		}
		if (!ret && sink && sink->data)
			ret = sink->data(sink->arg, index, h->buf, want, err);
		if (pos >= 0)
			pos += want;
		left -= want;
		pthread_mutex_lock(&s->lock);
		report(s, want);
		if (!ret && s->ret)
			ret = -ECANCELED;	/* another worker failed */
		pthread_mutex_unlock(&s->lock);
	}
	if (!ret && ((use_sha1 && !EVP_DigestFinal_ex(h->sha1, sha1, NULL)) ||
		     !EVP_DigestFinal_ex(h->sha256, sha256, NULL)))
		ret = -ENOMEM;
	if (ret)
		return ret;
	if ((use_sha1 && CRYPTO_memcmp(sha1, f->sha1, sizeof(sha1))) ||
	    (f->has_sha256 && CRYPTO_memcmp(sha256, f->digest, sizeof(sha256))))
		return hnbtre_fail(err, -EILSEQ, "%s: its %s digest does not match the signed one",
				   what, use_sha1 && CRYPTO_memcmp(sha1, f->sha1, sizeof(sha1)) ?
				   "SHA-1" : "SHA-256");
	/* each file's entry is written by the one worker streaming it */
	memcpy(s->pkg->sha256[index + 1], sha256, sizeof(sha256));
	return sink && sink->end ? sink->end(sink->arg, f, index, err) : 0;
}

/* The files of a package in a regular file: one worker each at a time. */
static void *stream_worker(void *arg)
{
	struct stream *s = arg;
	char err[HNBTRE_ERR_LEN] = "";
	struct hasher h;
	int ret = hasher_init(&h);

	while (!ret) {
		size_t i;

		pthread_mutex_lock(&s->lock);
		i = s->ret ? s->pkg->nfiles : s->next++;
		pthread_mutex_unlock(&s->lock);
		if (i >= s->pkg->nfiles)
			break;
		ret = stream_region(s, &s->pkg->files[i], (int)i, &h, NULL, err);
	}
	pthread_mutex_lock(&s->lock);
	if (ret && ret != -ECANCELED && !s->ret) {
		s->ret = ret;
		if (err[0])
			memcpy(s->err, err, HNBTRE_ERR_LEN);
	}
	pthread_mutex_unlock(&s->lock);
	hasher_free(&h);
	return NULL;
}

/*
 * One worker per online CPU, each reading, hashing and handing over whole
 * files: under emulation (and on the multi-core device) one CPU hashing
 * 100 MB is what takes the time.  Capped: each worker holds a chunk.
 */
#define STREAM_WORKERS_MAX	8

static int stream_files(struct stream *s)
{
	pthread_t workers[STREAM_WORKERS_MAX];
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t n = 0, want = cpus < 1 ? 1 : (size_t)cpus;

	if (want > STREAM_WORKERS_MAX)
		want = STREAM_WORKERS_MAX;
	if (want > s->pkg->nfiles)
		want = s->pkg->nfiles;
	/* Fewer threads than wanted only cost time; none: this one works. */
	while (n < want && !pthread_create(&workers[n], NULL, stream_worker, s))
		n++;
	if (!n && want)
		stream_worker(s);
	while (n)
		pthread_join(workers[--n], NULL);
	return s->ret;
}

/*
 * From a pipe: the files in payload order, one after the other (the
 * payload is covered exactly, so each starts where the one before ended).
 */
static int stream_pipe(struct stream *s, struct hasher *h, uint8_t *keep,
		       char *err)
{
	const struct hnbtre_pkg *pkg = s->pkg;
	size_t n = pkg->nfiles + 1, i, *order = payload_order(pkg);
	int ret = 0;

	if (!order)
		return -ENOMEM;
	/* A sink judges the manifest before it writes any file. */
	if (order[0] != 0 && pkg->files[order[0] - 1].size)
		ret = hnbtre_fail(err, -EBADMSG, "from a pipe, the manifest must come first in the payload");
	for (i = 0; !ret && i < n; i++)
		ret = stream_region(s, manifest_or_file(pkg, order[i]),
				    (int)order[i] - 1, h, order[i] ? NULL : keep,
				    err);
	free(order);
	return ret;
}

int hnbtre_pkg_stream(struct hnbtre_pkg *pkg, int fd,
		      const struct hnbtre_pkg_sink *sink,
		      hnbtre_pkg_progress progress, void *progress_arg,
		      uint8_t **manifest, size_t *manifest_len, char *err)
{
	struct stream s = {
		.pkg = pkg, .fd = fd, .sink = sink, .progress = progress,
		.progress_arg = progress_arg, .err = err,
		.lock = PTHREAD_MUTEX_INITIALIZER,
	};
	uint8_t *keep = NULL, extra;
	struct hasher h;
	struct stat st;
	ssize_t n;
	int ret = hasher_init(&h);

	if (!ret && !(keep = malloc(pkg->manifest.size)))
		ret = -ENOMEM;
	if (ret)
		goto out;
	s.payload = fstat(fd, &st) || !S_ISREG(st.st_mode) ? -1 :
		    lseek(fd, 0, SEEK_CUR);
	if (s.payload >= 0) {
		/* The manifest first, alone: a sink may refuse on it. */
		ret = stream_region(&s, &pkg->manifest, -1, &h, keep, err);
		if (!ret)
			ret = stream_files(&s);
		if (!ret && lseek(fd, s.payload + (off_t)pkg->payload_len,
				  SEEK_SET) < 0)
			ret = -errno;
	} else {
		ret = stream_pipe(&s, &h, keep, err);
	}
	if (ret)
		goto out;
	do
		n = read(fd, &extra, 1);
	while (n < 0 && errno == EINTR);
	if (n != 0) {
		ret = n < 0 ? -errno :
		      hnbtre_fail(err, -EBADMSG, "data after the payload");
		goto out;
	}
	pkg->streamed = 1;
	if (manifest) {
		*manifest = keep;
		*manifest_len = pkg->manifest.size;
		keep = NULL;
	}
out:
	free(keep);
	hasher_free(&h);
	return ret;
}

const uint8_t *hnbtre_pkg_file_sha256(const struct hnbtre_pkg *pkg, size_t i)
{
	return pkg->files[i].has_sha256 ? pkg->files[i].digest : pkg->sha256[i + 1];
}

static int component_by_path(const void *key, const void *item)
{
	return strcmp(key, ((const struct hnbtre_component *)item)->path);
}

const struct hnbtre_component *hnbtre_pkg_find_component(
	const struct hnbtre_manifest *m, const char *path)
{
	return m->count ? bsearch(path, m->components, m->count,
				  sizeof(*m->components), component_by_path) :
			  NULL;
}

/*
 * A component that command @type on @path removes or moves away: the
 * one at @path, for a sub-tree any below it, for a versioned command any
 * of its base name (an Extract Versioned's own @path excepted).
 */
static const char *component_removed(const struct hnbtre_manifest *m,
				     const char *path, uint32_t type)
{
	size_t i, base = hnbtre_pkg_cmd_versioned(type) &&
			 type != HNBTRE_PKG_CMD_ADD_VERSIONED ?
			 hnbtre_pkg_versioned_base(path) : 0;

	if (type == HNBTRE_PKG_CMD_REMOVE_SUBTREE || base) {
		for (i = 0; i < m->count; i++) {
			const char *c = m->components[i].path;

			if (type == HNBTRE_PKG_CMD_REMOVE_SUBTREE ? below(c, path) :
			    hnbtre_pkg_same_base(path, base, c) &&
			    (type != HNBTRE_PKG_CMD_EXTRACT_VERSIONED || strcmp(c, path)))
				return c;
		}
		return NULL;
	}
	if (type == HNBTRE_PKG_CMD_EXTRACT || type == HNBTRE_PKG_CMD_ADD ||
	    type == HNBTRE_PKG_CMD_ADD_VERSIONED)
		return NULL;
	return hnbtre_pkg_find_component(m, path) ? path : NULL;
}

int hnbtre_pkg_check_manifest(const struct hnbtre_pkg *pkg,
			      const uint8_t *data, size_t len,
			      struct hnbtre_manifest *parsed, char *err)
{
	struct hnbtre_manifest m;
	const uint8_t *sig;
	size_t body_len, sig_len, i;
	int ret;

	if (hnbtre_manifest_split(data, len, &body_len, &sig, &sig_len))
		return hnbtre_fail(err, -EBADMSG, "manifest: bad signature framing");
	ret = hnbtre_manifest_parse((const char *)data, body_len, &m, err);
	if (ret)
		return ret;
	for (i = 0; !ret && i < pkg->nfiles; i++) {
		const struct hnbtre_pkg_file *f = &pkg->files[i];
		const struct hnbtre_component *c = hnbtre_pkg_find_component(&m, f->path);

		if (!c)
			ret = hnbtre_fail(err, -ENOTRECOVERABLE,
					  "%s is installed but not in the manifest",
					  f->path);
		else if ((f->has_sha256 || pkg->streamed) &&
			 memcmp(c->digest, hnbtre_pkg_file_sha256(pkg, i),
				HNBTRE_DIGEST_LEN))
			ret = hnbtre_fail(err, -ENOTRECOVERABLE,
					  "%s: the manifest expects another digest",
					  f->path);
	}
	for (i = 0; !ret && i < pkg->nfiles; i++) {
		const struct hnbtre_pkg_file *f = &pkg->files[i];
		const char *c = component_removed(&m, f->path, f->type);

		if (c)
			ret = hnbtre_fail(err, -ENOTRECOVERABLE,
					  "%s is removed (%s %s) but still in the manifest",
					  c, hnbtre_pkg_cmd_name(f->type), f->path);
	}
	for (i = 0; !ret && i < pkg->nactions; i++) {
		const struct hnbtre_pkg_action *a = &pkg->actions[i];
		const char *c = component_removed(&m, a->path, a->type);

		if (c)
			ret = hnbtre_fail(err, -ENOTRECOVERABLE,
					  "%s is removed (%s) but still in the manifest",
					  c, hnbtre_pkg_cmd_name(a->type));
	}
	if (ret || !parsed)
		hnbtre_manifest_free(&m);
	else
		*parsed = m;
	return ret;
}

int hnbtre_pkg_fault(int err)
{
	switch (err) {
	case 0:
		return 0;
	case -HNBTRE_PKG_E_FORMAT:
	case -HNBTRE_PKG_E_ROLLBACK:
	case -HNBTRE_PKG_E_MANIFEST:
	case -HNBTRE_PKG_E_PATH:
	case -HNBTRE_PKG_E_NOT_FOR_DEVICE:
		return 9018;	/* file corrupted or otherwise unusable */
	case -HNBTRE_PKG_E_UNKNOWN_SIGNER:
	case -HNBTRE_PKG_E_BAD_SIGNATURE:
	case -HNBTRE_PKG_E_DIGEST:
	case -HNBTRE_PKG_E_EXPIRED:
	case -HNBTRE_PKG_E_USAGE:
	case -HNBTRE_PKG_E_WEAK_HASH:
		return 9019;	/* file authentication failure */
	default:
		return 9002;	/* internal error */
	}
}

const char *hnbtre_pkg_errstr(int err)
{
	switch (err) {
	case -HNBTRE_PKG_E_FORMAT:
		return "bad format (malformed or truncated package)";
	case -HNBTRE_PKG_E_UNKNOWN_SIGNER:
		return "unknown signer (no signer chains to an operator root)";
	case -HNBTRE_PKG_E_BAD_SIGNATURE:
		return "bad signature";
	case -HNBTRE_PKG_E_DIGEST:
		return "digest mismatch (payload differs from the signed hash)";
	case -HNBTRE_PKG_E_EXPIRED:
		return "expired (signer certificate outside its validity period)";
	case -HNBTRE_PKG_E_USAGE:
		return "signer certificate not allowed to sign code (key usage)";
	case -HNBTRE_PKG_E_WEAK_HASH:
		return "weak hash (SHA-1 only; the device requires SHA-256)";
	case -HNBTRE_PKG_E_ROLLBACK:
		return "rollback (version lower than the installed one)";
	case -HNBTRE_PKG_E_MANIFEST:
		return "the manifest does not cover what the package installs";
	case -HNBTRE_PKG_E_PATH:
		return "path outside the install root or through a symbolic link";
	case -HNBTRE_PKG_E_NOT_FOR_DEVICE:
		return "not for this device (version range, role or storage)";
	default:
		return strerror(-err);
	}
}
