// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Signed packages: parsing the signed part, streaming the payload against
 * the signed digests, the package/manifest agreement and the TR-069 fault
 * mapping.  Byte-exact format in Documentation/package.md.
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
	ret = read_exact(fd, header, sizeof(header), -1);
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
	ret = read_exact(fd, buf + sizeof(header), signed_len - sizeof(header), -1);
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

/*
 * The state shared by the workers of hnbtre_pkg_stream(): which file is
 * next, the progress, the first failure (which stops them all).
 */
struct stream {
	const struct hnbtre_pkg *pkg;
	int fd;
	off_t payload;			/* where it starts in @fd, or -1 (pipe) */
	const struct hnbtre_pkg_sink *sink;
	hnbtre_pkg_progress progress;
	void *progress_arg;
	pthread_mutex_t lock;
	size_t next;
	uint64_t done;
	int ret;
	char *err;
};

/* Called with @s->lock held. */
static void report(struct stream *s, size_t len)
{
	s->done += len;
	if (s->progress)
		s->progress(s->done, s->pkg->payload_len, s->progress_arg);
}

/*
 * One region: chunks of @s->fd into SHA-256 and the sink, the digest
 * compared at the end, the sink's end() only after it matched.  @pos is
 * where the region starts in the file, or -1 to read on (a pipe).
 */
static int stream_region(struct stream *s, const struct hnbtre_pkg_file *f,
			 int index, off_t pos, EVP_MD_CTX *ctx, uint8_t *buf,
			 uint8_t *keep, char *err)
{
	const struct hnbtre_pkg_sink *sink = s->sink;
	uint8_t digest[HNBTRE_DIGEST_LEN];
	const char *what = f->path ? f->path : "manifest";
	uint64_t left = f->size;
	int ret = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) ? 0 : -ENOMEM;

	if (!ret && sink && sink->begin)
		ret = sink->begin(sink->arg, f, index, err);
	while (!ret && left) {
		size_t want = left < STREAM_CHUNK ? left : STREAM_CHUNK;

		ret = read_exact(s->fd, buf, want, pos);
		if (ret)
			return hnbtre_fail(err, ret, "%s: %s", what, ret == -EBADMSG ?
				    "payload truncated" : strerror(-ret));
		if (!EVP_DigestUpdate(ctx, buf, want))
			ret = -ENOMEM;
		if (!ret && keep) {
			memcpy(keep, buf, want);
			keep += want;
		}
		if (!ret && sink && sink->data)
			ret = sink->data(sink->arg, index, buf, want, err);
		if (pos >= 0)
			pos += want;
		left -= want;
		pthread_mutex_lock(&s->lock);
		report(s, want);
		if (!ret && s->ret)
			ret = -ECANCELED;	/* another worker failed */
		pthread_mutex_unlock(&s->lock);
	}
	if (!ret && !EVP_DigestFinal_ex(ctx, digest, NULL))
		ret = -ENOMEM;
	if (ret)
		return ret;
	if (CRYPTO_memcmp(digest, f->digest, sizeof(digest)))
		return hnbtre_fail(err, -EILSEQ, "%s: digest does not match the signed one",
			    what);
	return sink && sink->end ? sink->end(sink->arg, f, index, err) : 0;
}

/* The files of a package in a regular file: one worker each at a time. */
static void *stream_worker(void *arg)
{
	struct stream *s = arg;
	char err[HNBTRE_ERR_LEN] = "";
	uint8_t *buf = malloc(STREAM_CHUNK);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ret = buf && ctx ? 0 : -ENOMEM;

	while (!ret) {
		const struct hnbtre_pkg_file *f;
		size_t i;

		pthread_mutex_lock(&s->lock);
		i = s->ret ? s->pkg->nfiles : s->next++;
		pthread_mutex_unlock(&s->lock);
		if (i >= s->pkg->nfiles)
			break;
		f = &s->pkg->files[i];
		ret = stream_region(s, f, (int)i, s->payload + (off_t)f->offset,
				    ctx, buf, NULL, err);
	}
	pthread_mutex_lock(&s->lock);
	if (ret && ret != -ECANCELED && !s->ret) {
		s->ret = ret;
		if (err[0])
			memcpy(s->err, err, HNBTRE_ERR_LEN);
	}
	pthread_mutex_unlock(&s->lock);
	EVP_MD_CTX_free(ctx);
	free(buf);
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

int hnbtre_pkg_stream(const struct hnbtre_pkg *pkg, int fd,
		      const struct hnbtre_pkg_sink *sink,
		      hnbtre_pkg_progress progress, void *progress_arg,
		      uint8_t **manifest, size_t *manifest_len, char *err)
{
	struct stream s = {
		.pkg = pkg, .fd = fd, .sink = sink, .progress = progress,
		.progress_arg = progress_arg, .err = err,
		.lock = PTHREAD_MUTEX_INITIALIZER,
	};
	uint8_t *buf = malloc(STREAM_CHUNK), *keep = NULL, extra;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	struct stat st;
	ssize_t n;
	size_t i;
	int ret = buf && ctx ? 0 : -ENOMEM;

	if (!ret && manifest && !(keep = malloc(pkg->manifest.size)))
		ret = -ENOMEM;
	if (ret)
		goto out;
	s.payload = fstat(fd, &st) || !S_ISREG(st.st_mode) ? -1 :
		    lseek(fd, 0, SEEK_CUR);
	/* The manifest first, alone: a sink may refuse on it. */
	ret = stream_region(&s, &pkg->manifest, -1, -1, ctx, buf, keep, err);
	if (!ret && s.payload >= 0) {
		ret = stream_files(&s);
		if (!ret && lseek(fd, s.payload + (off_t)pkg->payload_len,
				  SEEK_SET) < 0)
			ret = -errno;
	} else {
		for (i = 0; !ret && i < pkg->nfiles; i++)
			ret = stream_region(&s, &pkg->files[i], (int)i, -1, ctx,
					    buf, NULL, err);
	}
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
