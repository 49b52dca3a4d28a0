// SPDX-License-Identifier: LGPL-2.1-or-later
/* Files, hashing and the securityfs directory. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "hnbtre.h"

int hnbtre_hash_file(const char *path, uint8_t out[HNBTRE_DIGEST_LEN])
{
	unsigned char buf[1 << 16];
	EVP_MD_CTX *ctx;
	ssize_t n;
	int fd, ret = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ctx = EVP_MD_CTX_new();
	if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
		ret = -ENOMEM;
		goto out;
	}
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			goto out;
		}
		if (!EVP_DigestUpdate(ctx, buf, n)) {
			ret = -ENOMEM;
			goto out;
		}
	}
	if (!EVP_DigestFinal_ex(ctx, out, NULL))
		ret = -ENOMEM;
out:
	EVP_MD_CTX_free(ctx);
	close(fd);
	return ret;
}

static int read_fd(int fd, size_t max, uint8_t **data, size_t *len)
{
	size_t size = 4096, used = 0;
	uint8_t *buf = malloc(size + 1);
	ssize_t n;

	if (!buf)
		return -ENOMEM;
	for (;;) {
		if (used == size) {
			uint8_t *bigger;

			if (size > max) {
				free(buf);
				return -EFBIG;
			}
			size *= 2;
			bigger = realloc(buf, size + 1);
			if (!bigger) {
				free(buf);
				return -ENOMEM;
			}
			buf = bigger;
		}
		n = read(fd, buf + used, size - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int err = -errno;

			free(buf);
			return err;
		}
		if (n == 0)
			break;
		used += n;
	}
	if (used > max) {
		free(buf);
		return -EFBIG;
	}
	buf[used] = '\0';
	*data = buf;
	*len = used;
	return 0;
}

int hnbtre_read_file(const char *path, size_t max, uint8_t **data,
		     size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), ret;

	if (fd < 0)
		return -errno;
	ret = read_fd(fd, max, data, len);
	close(fd);
	return ret;
}

size_t hnbtre_base64_len(size_t len)
{
	return 4 * ((len + 2) / 3);
}

char *hnbtre_base64_encode(const uint8_t *data, size_t len)
{
	char *text = malloc(hnbtre_base64_len(len) + 1);

	if (text)
		EVP_EncodeBlock((unsigned char *)text, data, (int)len);
	return text;
}

int hnbtre_base64_decode(const char *text, size_t len, size_t max,
			 uint8_t **out, size_t *out_len)
{
	int decoded;

	*out = NULL;
	if (!len || len % 4 || len / 4 * 3 > max + 2)
		return -EBADMSG;
	*out = malloc(len / 4 * 3);
	if (!*out)
		return -ENOMEM;
	decoded = EVP_DecodeBlock(*out, (const unsigned char *)text, (int)len);
	if (decoded < 0) {
		free(*out);
		*out = NULL;
		return -EBADMSG;
	}
	/* EVP_DecodeBlock counts the padding as zero bytes. */
	*out_len = (size_t)decoded - (text[len - 1] == '=') -
		   (text[len - 2] == '=');
	if (*out_len > max) {
		free(*out);
		*out = NULL;
		return -EBADMSG;
	}
	return 0;
}

int hnbtre_fsync_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd))
		ret = -errno;
	close(fd);
	return ret;
}

int hnbtre_write_atomic_mode(const char *path, const void *data, size_t len,
			     mode_t mode)
{
	char tmp[PATH_MAX], dir[PATH_MAX], *slash;
	int fd, ret = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	/*
	 * A new file, never one left there (by a crash, or by someone who
	 * made it readable): O_TRUNC would keep that file's owner and mode.
	 * Its mode is set before any data is in it (the umask aside).
	 */
	if (unlink(tmp) && errno != ENOENT)
		return -errno;
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;
	errno = 0;
	if (fchmod(fd, mode) || write(fd, data, len) != (ssize_t)len || fsync(fd))
		ret = errno ? -errno : -EIO;
	if (close(fd) && !ret)
		ret = -errno;
	if (!ret && rename(tmp, path))
		ret = -errno;
	if (ret) {
		unlink(tmp);
		return ret;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = 0;
	else if (slash)
		*slash = 0;
	else
		strcpy(dir, ".");
	return hnbtre_fsync_dir(dir);
}

int hnbtre_write_atomic(const char *path, const void *data, size_t len)
{
	return hnbtre_write_atomic_mode(path, data, len, 0600);
}

const char *hnbtre_securityfs(void)
{
	const char *dir = getenv("HNBTRE_SECURITYFS");

	return dir && *dir ? dir : HNBTRE_SECURITYFS_PATH;
}

static int sysfs_path(const char *name, char *path)
{
	int n = snprintf(path, PATH_MAX, "%s/%s", hnbtre_securityfs(), name);

	return n < 0 || n >= PATH_MAX ? -ENAMETOOLONG : 0;
}

int hnbtre_sysfs_read_max(const char *name, size_t max, char **data,
			  size_t *len)
{
	char path[PATH_MAX];
	int ret = sysfs_path(name, path);

	if (ret)
		return ret;
	return hnbtre_read_file(path, max, (uint8_t **)data, len);
}

int hnbtre_sysfs_read(const char *name, char **data, size_t *len)
{
	return hnbtre_sysfs_read_max(name, HNBTRE_MANIFEST_MAX_SIZE * 4, data, len);
}

int hnbtre_sysfs_line(const char *name, char **line)
{
	size_t len;
	int ret = hnbtre_sysfs_read_max(name, 4096, line, &len);

	if (ret)
		return ret;
	if (!len || (*line)[len - 1] != '\n' || memchr(*line, '\n', len - 1)) {
		free(*line);
		*line = NULL;
		return -EBADMSG;
	}
	(*line)[len - 1] = '\0';
	return 0;
}

int hnbtre_sysfs_write(const char *name, const void *data, size_t len)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd, ret = sysfs_path(name, path);

	if (ret)
		return ret;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, data, len);
	ret = n < 0 ? -errno : (size_t)n == len ? 0 : -EIO;
	if (close(fd) && !ret)
		ret = -errno;
	return ret;
}

int hnbtre_vfail(char *err, int ret, const char *fmt, va_list ap)
{
	if (err)
		vsnprintf(err, HNBTRE_ERR_LEN, fmt, ap);
	return ret;
}

int hnbtre_fail(char *err, int ret, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	hnbtre_vfail(err, ret, fmt, ap);
	va_end(ap);
	return ret;
}

const char *hnbtre_manifest_errstr(int err)
{
	switch (err) {
	case -EBADMSG:
		return "malformed manifest (format, a line, a path, or the signature framing)";
	case -ENOKEY:
		return "the signer is not a manifest signer the TrE admitted";
	case -EKEYREJECTED:
		return "the signature does not verify";
	case -ESTALE:
		return "older than the active manifest (rollback refused)";
	case -EEXIST:
		return "same version as the active manifest but different contents";
	case -EFBIG:
		return "manifest too large";
	case -EBUSY:
		return "another manifest is being loaded";
	case -EPERM:
		return "not permitted (needs CAP_SYS_ADMIN)";
	case -ENOENT:
		return "hnbtre is not loaded (no securityfs directory)";
	default:
		return strerror(-err);
	}
}
