// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Signed packages: parsing the signed part, streaming the payload against
 * the signed digests, the package/manifest agreement and the TR-069 fault
 * mapping.  Byte-exact format in Documentation/package.md.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <linux/if_alg.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "hnbtre_pkg.h"

#define STREAM_CHUNK	(1 << 17)

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static uint64_t be64(const uint8_t *p)
{
	return (uint64_t)be32(p) << 32 | be32(p + 4);
}

const char *hnbtre_pkg_cmd_name(unsigned int type)
{
	static const char *const names[] = {
		[HNBTRE_PKG_CMD_VERSION] = "version",
		[HNBTRE_PKG_CMD_DESCRIPTION] = "description",
		[HNBTRE_PKG_CMD_MANIFEST] = "manifest",
		[HNBTRE_PKG_CMD_EXTRACT] = "extract",
		[HNBTRE_PKG_CMD_REMOVE] = "remove",
		[HNBTRE_PKG_CMD_ALLOW_DOWNGRADE] = "allow-downgrade",
		[HNBTRE_PKG_CMD_IMA_SIGNATURE] = "ima-signature",
	};

	return type < sizeof(names) / sizeof(names[0]) && names[type] ?
	       names[type] : "unknown";
}

int hnbtre_pkg_signed_len(const uint8_t *h, size_t *len)
{
	uint32_t cmds = be32(h + 12), sigs = be32(h + 16);

	if (memcmp(h, HNBTRE_PKG_PREAMBLE, HNBTRE_PKG_PREAMBLE_LEN) ||
	    be32(h + 8) != HNBTRE_PKG_FORMAT || be32(h + 20) != 0 ||
	    cmds == 0 || cmds > HNBTRE_PKG_CMDS_MAX ||
	    sigs > HNBTRE_PKG_SIGS_MAX)
		return -EBADMSG;
	*len = HNBTRE_PKG_HEADER_LEN + (size_t)cmds + sigs;
	return 0;
}

static int parse_signatures(struct hnbtre_pkg *pkg, const uint8_t *p,
			    size_t len, char *err)
{
	while (len) {
		uint32_t n;

		if (len < 4)
			return hnbtre_fail(err, -EBADMSG, "signature section: truncated length");
		n = be32(p);
		if (n == 0 || n > HNBTRE_PKG_SIG_MAX || n > len - 4)
			return hnbtre_fail(err, -EBADMSG,
				    "signature %zu: length %u out of range",
				    pkg->nsigs + 1, n);
		if (pkg->nsigs == HNBTRE_PKG_MAX_SIGNATURES)
			return hnbtre_fail(err, -EBADMSG, "more than %d signatures",
				    HNBTRE_PKG_MAX_SIGNATURES);
		pkg->sig[pkg->nsigs] = p + 4;
		pkg->sig_len[pkg->nsigs++] = n;
		p += 4 + (size_t)n;
		len -= 4 + (size_t)n;
	}
	return 0;
}

/* A path command value: the manifest's path rules, NUL terminated copy. */
static int take_path(const uint8_t *v, size_t len, char **out)
{
	if (!hnbtre_path_valid((const char *)v, len))
		return -EBADMSG;
	*out = strndup((const char *)v, len);
	return *out ? 0 : -ENOMEM;
}

/* size (be64) | sha256 (32) [| mode (be32) | path] */
static int parse_region(const uint8_t *v, size_t len, int with_path,
			struct hnbtre_pkg_file *f, uint64_t *payload)
{
	size_t fixed = 8 + HNBTRE_DIGEST_LEN + (with_path ? 4 : 0);

	if (with_path ? len <= fixed : len != fixed)
		return -EBADMSG;
	f->size = be64(v);
	memcpy(f->digest, v + 8, HNBTRE_DIGEST_LEN);
	if (f->size > HNBTRE_PKG_FILE_MAX)
		return -EBADMSG;
	f->offset = *payload;
	*payload += f->size;	/* at most 65537 * 2^40: no overflow */
	if (!with_path)
		return 0;
	f->mode = be32(v + 8 + HNBTRE_DIGEST_LEN);
	if (f->mode & ~0777U)
		return -EBADMSG;
	return take_path(v + fixed, len - fixed, &f->path);
}

static int description_valid(const uint8_t *v, size_t len)
{
	size_t i;

	if (len == 0 || len > HNBTRE_PKG_DESCRIPTION_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		if (v[i] < 0x20 || v[i] == 0x7f)
			return 0;
	}
	return 1;
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

static int parse_command(struct hnbtre_pkg *pkg, unsigned int type,
			 unsigned int prev, const uint8_t *v, size_t len,
			 int *seen, char *err)
{
	int ret = 0;

	if (!seen[HNBTRE_PKG_CMD_VERSION] && type != HNBTRE_PKG_CMD_VERSION)
		return hnbtre_fail(err, -EBADMSG, "the first command must be version");
	if (type <= HNBTRE_PKG_CMD_ALLOW_DOWNGRADE &&
	    type != HNBTRE_PKG_CMD_EXTRACT && type != HNBTRE_PKG_CMD_REMOVE &&
	    seen[type])
		return hnbtre_fail(err, -EBADMSG, "%s given twice",
			    hnbtre_pkg_cmd_name(type));
	switch (type) {
	case HNBTRE_PKG_CMD_VERSION:
		if (len != 8 || be64(v) == 0)
			return hnbtre_fail(err, -EBADMSG, "version: 8 bytes, not 0");
		pkg->version = be64(v);
		break;
	case HNBTRE_PKG_CMD_DESCRIPTION:
		if (!description_valid(v, len))
			return hnbtre_fail(err, -EBADMSG,
				    "description: 1..%d printable bytes",
				    HNBTRE_PKG_DESCRIPTION_MAX);
		pkg->description = strndup((const char *)v, len);
		if (!pkg->description)
			return -ENOMEM;
		break;
	case HNBTRE_PKG_CMD_MANIFEST:
		if (pkg->nfiles)
			return hnbtre_fail(err, -EBADMSG, "manifest after a file");
		if (parse_region(v, len, 0, &pkg->manifest, &pkg->payload_len) ||
		    pkg->manifest.size == 0 ||
		    pkg->manifest.size > HNBTRE_MANIFEST_MAX)
			return hnbtre_fail(err, -EBADMSG, "manifest: bad size or length");
		break;
	case HNBTRE_PKG_CMD_EXTRACT:
		if (!seen[HNBTRE_PKG_CMD_MANIFEST])
			return hnbtre_fail(err, -EBADMSG, "file before the manifest");
		if (pkg->nfiles == HNBTRE_MAX_COMPONENTS)
			return hnbtre_fail(err, -EBADMSG, "too many files");
		ret = grow((void **)&pkg->files, pkg->nfiles, sizeof(*pkg->files));
		if (ret)
			return ret;
		memset(&pkg->files[pkg->nfiles], 0, sizeof(*pkg->files));
		ret = parse_region(v, len, 1, &pkg->files[pkg->nfiles],
				   &pkg->payload_len);
		if (pkg->files[pkg->nfiles].path)
			pkg->nfiles++;
		if (ret)
			return ret == -ENOMEM ? ret :
			       hnbtre_fail(err, ret, "extract %zu: bad size, mode or path",
				    pkg->nfiles + 1);
		if (pkg->nfiles > 1 && strcmp(pkg->files[pkg->nfiles - 2].path,
					      pkg->files[pkg->nfiles - 1].path) >= 0)
			return hnbtre_fail(err, -EBADMSG, "extract %s: paths not ascending",
				    pkg->files[pkg->nfiles - 1].path);
		break;
	case HNBTRE_PKG_CMD_REMOVE:
		if (pkg->nremove == HNBTRE_MAX_COMPONENTS)
			return hnbtre_fail(err, -EBADMSG, "too many removals");
		ret = grow((void **)&pkg->remove, pkg->nremove, sizeof(char *));
		if (!ret)
			ret = take_path(v, len, &pkg->remove[pkg->nremove]);
		if (ret)
			return ret == -ENOMEM ? ret :
			       hnbtre_fail(err, ret, "remove: bad path");
		pkg->nremove++;
		if (pkg->nremove > 1 && strcmp(pkg->remove[pkg->nremove - 2],
					       pkg->remove[pkg->nremove - 1]) >= 0)
			return hnbtre_fail(err, -EBADMSG, "remove %s: paths not ascending",
				    pkg->remove[pkg->nremove - 1]);
		break;
	case HNBTRE_PKG_CMD_ALLOW_DOWNGRADE:
		if (len)
			return hnbtre_fail(err, -EBADMSG, "allow-downgrade has no value");
		pkg->allow_downgrade = 1;
		break;
	case HNBTRE_PKG_CMD_IMA_SIGNATURE:
		/* The file's security.ima, as evmctl wrote it (type 0x03). */
		if (prev != HNBTRE_PKG_CMD_EXTRACT || len < 2 ||
		    len > HNBTRE_PKG_IMA_SIG_MAX || v[0] != 0x03)
			return hnbtre_fail(err, -EBADMSG,
				    "ima-signature: after an extract, 2..%d bytes, type 3",
				    HNBTRE_PKG_IMA_SIG_MAX);
		pkg->files[pkg->nfiles - 1].ima_sig = malloc(len);
		if (!pkg->files[pkg->nfiles - 1].ima_sig)
			return -ENOMEM;
		memcpy(pkg->files[pkg->nfiles - 1].ima_sig, v, len);
		pkg->files[pkg->nfiles - 1].ima_sig_len = len;
		break;
	default:
		return hnbtre_fail(err, -EBADMSG, "unknown command type %u", type);
	}
	seen[type] = 1;
	return 0;
}

/* A path both extracted and removed would make the result order-dependent. */
static int check_disjoint(const struct hnbtre_pkg *pkg, char *err)
{
	size_t i = 0, j = 0;

	while (i < pkg->nfiles && j < pkg->nremove) {
		int c = strcmp(pkg->files[i].path, pkg->remove[j]);

		if (!c)
			return hnbtre_fail(err, -EBADMSG, "%s both extracted and removed",
				    pkg->remove[j]);
		if (c < 0)
			i++;
		else
			j++;
	}
	return 0;
}

static int parse_commands(struct hnbtre_pkg *pkg, char *err)
{
	int seen[HNBTRE_PKG_CMD_LAST + 1] = { 0 };
	const uint8_t *p = pkg->cmds;
	size_t left = pkg->cmds_len;
	unsigned int prev = 0;
	int ret;

	while (left) {
		unsigned int type;
		uint32_t len;

		if (left < HNBTRE_PKG_CMD_HEADER_LEN)
			return hnbtre_fail(err, -EBADMSG, "command list: truncated command");
		type = be16(p);
		len = be32(p + 2);
		if (len > left - HNBTRE_PKG_CMD_HEADER_LEN)
			return hnbtre_fail(err, -EBADMSG,
				    "command %s: length %u beyond the list",
				    hnbtre_pkg_cmd_name(type), len);
		ret = parse_command(pkg, type, prev,
				    p + HNBTRE_PKG_CMD_HEADER_LEN, len, seen, err);
		if (ret)
			return ret;
		prev = type;
		p += HNBTRE_PKG_CMD_HEADER_LEN + (size_t)len;
		left -= HNBTRE_PKG_CMD_HEADER_LEN + (size_t)len;
	}
	if (!seen[HNBTRE_PKG_CMD_MANIFEST])
		return hnbtre_fail(err, -EBADMSG, "no manifest command");
	return check_disjoint(pkg, err);
}

int hnbtre_pkg_parse(uint8_t *buf, size_t len, struct hnbtre_pkg *pkg,
		     char *err)
{
	size_t signed_len;
	int ret;

	memset(pkg, 0, sizeof(*pkg));
	pkg->signed_part = buf;
	if (len < HNBTRE_PKG_HEADER_LEN ||
	    hnbtre_pkg_signed_len(buf, &signed_len))
		return hnbtre_fail(err, -EBADMSG,
			    "header: not a signed package (preamble, format %d, lengths)",
			    HNBTRE_PKG_FORMAT);
	if (len != signed_len)
		return hnbtre_fail(err, -EBADMSG,
			    "signed part is %zu bytes, the header says %zu",
			    len, signed_len);
	pkg->signed_len = len;
	pkg->cmds = buf + HNBTRE_PKG_HEADER_LEN;
	pkg->cmds_len = be32(buf + 12);
	ret = parse_commands(pkg, err);
	if (ret)
		return ret;
	return parse_signatures(pkg, pkg->cmds + pkg->cmds_len,
				be32(buf + 16), err);
}

void hnbtre_pkg_free(struct hnbtre_pkg *pkg)
{
	size_t i;

	for (i = 0; i < pkg->nfiles; i++) {
		free(pkg->files[i].path);
		free(pkg->files[i].ima_sig);
	}
	for (i = 0; i < pkg->nremove; i++)
		free(pkg->remove[i]);
	free(pkg->files);
	free(pkg->remove);
	free(pkg->description);
	free(pkg->signed_part);
	memset(pkg, 0, sizeof(*pkg));
}

static int read_exact(int fd, uint8_t *buf, size_t len)
{
	while (len) {
		ssize_t n = read(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EBADMSG;
		buf += n;
		len -= n;
	}
	return 0;
}

int hnbtre_pkg_open(const char *path, struct hnbtre_pkg *pkg, int *fdp,
		    char *err)
{
	uint8_t header[HNBTRE_PKG_HEADER_LEN], *buf;
	size_t signed_len;
	struct stat st;
	int fd, ret;

	memset(pkg, 0, sizeof(*pkg));
	fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : dup(0);
	if (fd < 0)
		return hnbtre_fail(err, -errno, "%s: %s", path, strerror(errno));
	ret = read_exact(fd, header, sizeof(header));
	if (!ret && hnbtre_pkg_signed_len(header, &signed_len))
		ret = -EBADMSG;
	if (ret) {
		close(fd);
		return hnbtre_fail(err, ret, "%s: %s", path, ret == -EBADMSG ?
			    "not a signed package (header)" : strerror(-ret));
	}
	buf = malloc(signed_len);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	memcpy(buf, header, sizeof(header));
	ret = read_exact(fd, buf + sizeof(header), signed_len - sizeof(header));
	if (ret) {
		free(buf);
		close(fd);
		return hnbtre_fail(err, ret, "%s: %s", path, ret == -EBADMSG ?
			    "truncated signed part" : strerror(-ret));
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

int hnbtre_kernel_sha256(int fd, uint64_t offset, uint64_t len,
			 uint8_t digest[HNBTRE_DIGEST_LEN])
{
	struct sockaddr_alg sa = {
		.salg_family = AF_ALG, .salg_type = "hash", .salg_name = "sha256",
	};
	int tfm, op = -1, ret = 0;
	uint8_t *buf = NULL;

	tfm = socket(AF_ALG, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (tfm < 0 || bind(tfm, (struct sockaddr *)&sa, sizeof(sa)) ||
	    (op = accept4(tfm, NULL, NULL, SOCK_CLOEXEC)) < 0) {
		ret = -ENOSYS;
		goto out;
	}
	if (len && !(buf = malloc(STREAM_CHUNK))) {
		ret = -ENOMEM;
		goto out;
	}
	/* Every chunk with "more to come": the read() below finalises. */
	while (!ret && len) {
		ssize_t n = pread(fd, buf, len < STREAM_CHUNK ? len : STREAM_CHUNK,
				  (off_t)offset);

		if (n <= 0)
			ret = n < 0 ? -errno : -EBADMSG;
		else if (send(op, buf, n, MSG_MORE) != n)
			ret = -EIO;
		offset += n;
		len -= n;
	}
	if (!ret && read(op, digest, HNBTRE_DIGEST_LEN) != HNBTRE_DIGEST_LEN)
		ret = -EIO;
out:
	free(buf);
	if (op >= 0)
		close(op);
	if (tfm >= 0)
		close(tfm);
	return ret;
}

/* Is hnbtre_kernel_sha256() available?  Asked once. */
static int kernel_sha256_works(void)
{
	static int works = -1;
	uint8_t digest[HNBTRE_DIGEST_LEN];

	if (works < 0)
		works = hnbtre_kernel_sha256(-1, 0, 0, digest) == 0;
	return works;
}

/*
 * A file region of a package in a regular file, through the kernel: the
 * sink copies it and hashes what it wrote, or (verify) the region itself
 * is hashed.  Return: 1 done, 0 not possible here, or -errno.
 */
static int kernel_region(int fd, const struct hnbtre_pkg_file *f,
			 const struct hnbtre_pkg_sink *sink,
			 uint8_t digest[HNBTRE_DIGEST_LEN])
{
	off_t at = lseek(fd, 0, SEEK_CUR);
	int ret;

	if (at < 0 || !f->size || (sink && !sink->copy) ||
	    !kernel_sha256_works())
		return 0;
	ret = sink ? sink->copy(sink->arg, fd, at, f->size, digest) :
	      hnbtre_kernel_sha256(fd, at, f->size, digest);
	if (ret)
		return ret;
	return lseek(fd, at + (off_t)f->size, SEEK_SET) < 0 ? -errno : 1;
}

/*
 * One region through SHA-256 (and the sink); compare at the end.  The
 * manifest (kept in memory) and packages read from a pipe go through this
 * process in chunks; files of a package in a regular file through the
 * kernel.
 */
static int stream_region(int fd, const struct hnbtre_pkg_file *f, int index,
			 const struct hnbtre_pkg_sink *sink, uint8_t *buf,
			 EVP_MD_CTX *ctx, uint8_t *keep, uint64_t *done,
			 uint64_t total, hnbtre_pkg_progress progress,
			 void *progress_arg, char *err)
{
	uint8_t digest[HNBTRE_DIGEST_LEN];
	const char *what = f->path ? f->path : "manifest";
	uint64_t left = f->size;
	int ret;

	if (!EVP_DigestInit_ex(ctx, EVP_sha256(), NULL))
		return -ENOMEM;
	if (sink && sink->begin && (ret = sink->begin(sink->arg, f, index)))
		return ret;
	ret = index < 0 ? 0 : kernel_region(fd, f, sink, digest);
	if (ret < 0)
		return hnbtre_fail(err, ret, "%s: %s", what, ret == -EBADMSG ?
				   "payload truncated" : strerror(-ret));
	if (ret) {
		*done += f->size;
		if (progress)
			progress(*done, total, progress_arg);
		left = 0;
	}
	while (left) {
		size_t want = left < STREAM_CHUNK ? left : STREAM_CHUNK;

		ret = read_exact(fd, buf, want);
		if (ret)
			return hnbtre_fail(err, ret, "%s: %s", what, ret == -EBADMSG ?
				    "payload truncated" : strerror(-ret));
		if (!EVP_DigestUpdate(ctx, buf, want))
			return -ENOMEM;
		if (keep) {
			memcpy(keep, buf, want);
			keep += want;
		}
		if (sink && sink->data && (ret = sink->data(sink->arg, buf, want)))
			return ret;
		left -= want;
		*done += want;
		if (progress)
			progress(*done, total, progress_arg);
	}
	if (!ret && !EVP_DigestFinal_ex(ctx, digest, NULL))
		return -ENOMEM;
	if (CRYPTO_memcmp(digest, f->digest, sizeof(digest)))
		return hnbtre_fail(err, -EILSEQ, "%s: digest does not match the signed one",
			    what);
	if (sink && sink->end)
		return sink->end(sink->arg, f, index);
	return 0;
}

int hnbtre_pkg_stream(const struct hnbtre_pkg *pkg, int fd,
		      const struct hnbtre_pkg_sink *sink,
		      hnbtre_pkg_progress progress, void *progress_arg,
		      uint8_t **manifest, size_t *manifest_len, char *err)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint8_t *buf = malloc(STREAM_CHUNK), *keep = NULL, extra;
	uint64_t done = 0;
	ssize_t n;
	size_t i;
	int ret = -ENOMEM;

	if (!ctx || !buf)
		goto out;
	if (manifest && !(keep = malloc(pkg->manifest.size)))
		goto out;
	ret = stream_region(fd, &pkg->manifest, -1, sink, buf, ctx, keep,
			    &done, pkg->payload_len, progress, progress_arg, err);
	for (i = 0; !ret && i < pkg->nfiles; i++)
		ret = stream_region(fd, &pkg->files[i], (int)i, sink, buf, ctx,
				    NULL, &done, pkg->payload_len, progress,
				    progress_arg, err);
	if (ret)
		goto out;
	do
		n = read(fd, &extra, 1);
	while (n < 0 && errno == EINTR);
	if (n != 0) {
		ret = n < 0 ? -errno :
		      hnbtre_fail(err, -EBADMSG, "data after the last payload file");
		goto out;
	}
	if (manifest) {
		*manifest = keep;
		*manifest_len = pkg->manifest.size;
		keep = NULL;
	}
out:
	free(keep);
	free(buf);
	EVP_MD_CTX_free(ctx);
	return ret;
}

static const struct hnbtre_component *find_component(
	const struct hnbtre_manifest *m, const char *path)
{
	size_t lo = 0, hi = m->count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(path, m->components[mid].path);

		if (!c)
			return &m->components[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
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
		const struct hnbtre_component *c =
			find_component(&m, pkg->files[i].path);

		if (!c)
			ret = hnbtre_fail(err, -ENOTRECOVERABLE,
				   "%s is installed but not in the manifest",
				   pkg->files[i].path);
		else if (memcmp(c->digest, pkg->files[i].digest,
				HNBTRE_DIGEST_LEN))
			ret = hnbtre_fail(err, -ENOTRECOVERABLE,
				   "%s: the manifest expects another digest",
				   pkg->files[i].path);
	}
	for (i = 0; !ret && i < pkg->nremove; i++) {
		if (find_component(&m, pkg->remove[i]))
			ret = hnbtre_fail(err, -ENOTRECOVERABLE,
				   "%s is removed but still in the manifest",
				   pkg->remove[i]);
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
		return 9018;	/* file corrupted or otherwise unusable */
	case -HNBTRE_PKG_E_UNKNOWN_SIGNER:
	case -HNBTRE_PKG_E_BAD_SIGNATURE:
	case -HNBTRE_PKG_E_DIGEST:
	case -HNBTRE_PKG_E_EXPIRED:
	case -HNBTRE_PKG_E_USAGE:
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
		return "unknown signer (no signature chains to an operator root)";
	case -HNBTRE_PKG_E_BAD_SIGNATURE:
		return "bad signature";
	case -HNBTRE_PKG_E_DIGEST:
		return "digest mismatch (payload differs from the signed digest)";
	case -HNBTRE_PKG_E_EXPIRED:
		return "expired (signer certificate outside its validity period)";
	case -HNBTRE_PKG_E_USAGE:
		return "signer certificate not allowed to sign code (key usage)";
	case -HNBTRE_PKG_E_ROLLBACK:
		return "rollback (version lower than the installed one)";
	case -HNBTRE_PKG_E_MANIFEST:
		return "the manifest does not cover what the package installs";
	case -HNBTRE_PKG_E_PATH:
		return "path outside the install root or through a symbolic link";
	default:
		return strerror(-err);
	}
}
