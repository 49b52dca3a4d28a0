// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Atomic installation (Documentation/package.md, "Install").
 *
 * The new set is built in ROOT/slots/.staging: hard links to the files of
 * the current slot, replaced by the package's files (written to a
 * temporary name, checked against the signed digest, fsync'ed, renamed),
 * the removals applied, the signed manifest stored with it.  The staging
 * directory is renamed to a slot, then one rename of a symlink makes code
 * and manifest current together.  An interrupted install leaves the old
 * symlink, so start-up sees the old set; hnbtre_pkg_recover() removes the
 * leftovers.
 *
 * The package's files are written by the worker threads of
 * hnbtre_pkg_stream(), each file by one of them with its own state
 * (struct staged_file).  hnbtre_pkg_install() itself is not thread safe
 * (nftw callbacks share a context).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <ftw.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysinfo.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "hnbtre_pkg_install.h"

#define META		".hnbtre"
#define STAGING		"slots/.staging"
#define NEW_LINK	".current.new"

/*
 * Test hook for the fault-injection test: HNBTRE_PKG_FAULT=N kills the
 * installer with SIGKILL just before its Nth step that changes the disk
 * (counted across the worker threads).
 */
static long fault_left = -1;

static void fault_init(void)
{
	const char *s = getenv("HNBTRE_PKG_FAULT");

	fault_left = s ? strtol(s, NULL, 10) : -1;
}

static void step(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, fault_init);
	if (__atomic_load_n(&fault_left, __ATOMIC_RELAXED) > 0 &&
	    __atomic_sub_fetch(&fault_left, 1, __ATOMIC_SEQ_CST) == 0)
		raise(SIGKILL);
}

static int remove_one(const char *path, const struct stat *st, int type,
		      struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return remove(path) && errno != ENOENT ? -1 : 0;
}

static int rm_tree(const char *path)
{
	struct stat st;

	if (lstat(path, &st))
		return errno == ENOENT ? 0 : -errno;
	step();
	return nftw(path, remove_one, 32, FTW_DEPTH | FTW_PHYS) ? -errno : 0;
}

/* "<a>/<b>" into a PATH_MAX buffer. */
static int join(char *out, const char *a, const char *b)
{
	int n = snprintf(out, PATH_MAX, "%s/%s", a, b);

	return n < 0 || n >= PATH_MAX ? -ENAMETOOLONG : 0;
}

/* Write a small file completely and durably. */
static int write_file_at(int dir, const char *name, const void *data,
			 size_t len)
{
	int fd, ret = 0;

	step();
	fd = openat(dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (write(fd, data, len) != (ssize_t)len || fsync(fd))
		ret = errno ? -errno : -EIO;
	close(fd);
	return ret;
}

/* "slots/g<N>" -> N; 0 for anything else. */
static uint64_t slot_generation(const char *target)
{
	char *end;
	uint64_t n;

	if (strncmp(target, "slots/g", 7))
		return 0;
	n = strtoull(target + 7, &end, 10);
	return *end ? 0 : n;
}

/* A file written to staging under a temporary name until its digest matched. */
struct staged_file {
	int fd;
	int parent;
	const char *name;
	char tmp_name[NAME_MAX + 1];
};

struct install {
	const char *root;
	char live[PATH_MAX];		/* ROOT/current/ */
	size_t live_len;
	char old_target[PATH_MAX];	/* "slots/gN" or "" */
	char staging[PATH_MAX];
	int staging_fd;
	struct staged_file **files;	/* by package file index, while written */
	/* the manifest region */
	uint8_t *manifest;
	size_t manifest_len;
	struct hnbtre_manifest parsed;
	int have_parsed;
	uint64_t tre_manifest_version;	/* the TrE refuses to go below it */
	struct hnbtre_pkg *pkg;
	uint8_t *skip;			/* by file index: Add of an existing file */
	char **moved;			/* by action index: the file a Move
					 * Versioned took, as a live path */
	int full_image;			/* a fresh slot of the package's files only */
	char *err;
};

static struct install *walk_ctx;

/*
 * An Extract Versioned File of the package removes every file of its
 * base name (Annex E): @live is one of them, but not the file itself.
 */
static int replaced_version(const struct hnbtre_pkg *pkg, const char *live)
{
	size_t i;

	for (i = 0; i < pkg->nfiles; i++) {
		const char *p = pkg->files[i].path;

		if (pkg->files[i].type == HNBTRE_PKG_CMD_EXTRACT_VERSIONED &&
		    hnbtre_pkg_same_base(p, hnbtre_pkg_versioned_base(p), live) &&
		    strcmp(p, live))
			return 1;
	}
	return 0;
}

/* Of two names of one base, which a Move Versioned takes: the lowest
 * decimal extension, then names in byte order. */
static int version_order(const void *a, const void *b)
{
	const char *x = *(char * const *)a, *y = *(char * const *)b;
	const char *xe = strrchr(x, '.') + 1, *ye = strrchr(y, '.') + 1;
	int xd = strspn(xe, "0123456789") == strlen(xe);
	int yd = strspn(ye, "0123456789") == strlen(ye);
	unsigned long long xv, yv;

	if (xd != yd)
		return yd - xd;
	if (xd) {
		xv = strtoull(xe, NULL, 10);
		yv = strtoull(ye, NULL, 10);
		if (xv != yv)
			return xv < yv ? -1 : 1;
	}
	return strcmp(x, y);
}

static void free_names(char **names, size_t n)
{
	while (n)
		free(names[--n]);
	free(names);
}

/*
 * The names in @dir (the directory of the versioned path @versioned)
 * that have its base name and are not directories, in version_order().
 */
static int list_versions(int dir, const char *versioned, char ***out,
			 size_t *count)
{
	size_t base = hnbtre_pkg_versioned_base(versioned);
	size_t dir_len = strrchr(versioned, '/') - versioned + 1, n = 0;
	char full[PATH_MAX], **names = NULL, **bigger;
	struct dirent *e;
	struct stat st;
	DIR *d;
	int fd = dup(dir), ret = 0;

	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	while ((e = readdir(d))) {
		if (snprintf(full, sizeof(full), "%.*s%s", (int)dir_len,
			     versioned, e->d_name) >= (int)sizeof(full) ||
		    !hnbtre_pkg_same_base(versioned, base, full))
			continue;
		if (fstatat(dir, e->d_name, &st, AT_SYMLINK_NOFOLLOW)) {
			ret = -errno;
			break;
		}
		if (S_ISDIR(st.st_mode))
			continue;
		bigger = realloc(names, (n + 1) * sizeof(*names));
		if (!bigger || !(bigger[n] = strdup(e->d_name))) {
			names = bigger ? bigger : names;
			ret = -ENOMEM;
			break;
		}
		names = bigger;
		n++;
	}
	closedir(d);
	if (ret) {
		free_names(names, n);
		return ret;
	}
	if (n)
		qsort(names, n, sizeof(*names), version_order);
	*out = names;
	*count = n;
	return 0;
}

/*
 * Open the directory of @path (below ROOT/current/) in @top, the
 * staging or the live slot; -ENOENT if it is not there.
 */
static int open_dir_of(const struct install *in, int top, const char *path)
{
	const char *slash = strrchr(path, '/');
	char rel[PATH_MAX];
	int fd;

	if (slash < path + in->live_len) {
		fd = dup(top);
	} else {
		memcpy(rel, path + in->live_len, slash - path - in->live_len);
		rel[slash - path - in->live_len] = '\0';
		fd = openat(top, rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
			    O_CLOEXEC);
	}
	return fd < 0 ? -errno : fd;
}

/*
 * Hard link what the package leaves of the current slot into staging
 * (not its .hnbtre).  It runs after the payload was streamed and
 * verified: a link changes the link count of a designated component,
 * which the TrE reports as tampering, so a refused package must not get
 * this far.  What the package wrote is already there (EEXIST) and wins.
 */
static int link_one(const char *path, const struct stat *st, int type,
		    struct FTW *ftw)
{
	const char *rel = path + strlen(walk_ctx->old_target) +
			  strlen(walk_ctx->root) + 1;
	char dest[PATH_MAX], target[PATH_MAX];
	ssize_t n;

	(void)ftw;
	if (!*rel)
		return FTW_CONTINUE;
	if (!strcmp(rel, "/" META))
		return FTW_SKIP_SUBTREE;
	if (snprintf(dest, sizeof(dest), "%s%s", walk_ctx->live, rel + 1) >=
	    (int)sizeof(dest))
		return FTW_STOP;
	if (type != FTW_D && replaced_version(walk_ctx->pkg, dest))
		return FTW_CONTINUE;
	if (snprintf(dest, sizeof(dest), "%s%s", walk_ctx->staging, rel) >=
	    (int)sizeof(dest))
		return FTW_STOP;
	step();
	switch (type) {
	case FTW_D:
		return mkdir(dest, st->st_mode & 07777) && errno != EEXIST ?
		       FTW_STOP : FTW_CONTINUE;
	case FTW_F:
		return link(path, dest) && errno != EEXIST ?
		       FTW_STOP : FTW_CONTINUE;
	case FTW_SL:
		n = readlink(path, target, sizeof(target) - 1);
		if (n < 0)
			return FTW_STOP;
		target[n] = '\0';
		return symlink(target, dest) && errno != EEXIST ?
		       FTW_STOP : FTW_CONTINUE;
	default:
		return FTW_STOP;
	}
}

/*
 * Open the parent directory of @rel below staging, creating directories
 * as needed and never following a symlink.
 */
static int open_parent(struct install *in, const char *rel, const char **name)
{
	char part[PATH_MAX];
	const char *p = rel, *slash;
	int dir = dup(in->staging_fd);

	while (dir >= 0 && (slash = strchr(p, '/'))) {
		int next;

		memcpy(part, p, slash - p);
		part[slash - p] = '\0';
		next = openat(dir, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
			      O_CLOEXEC);
		if (next < 0 && errno == ENOENT) {
			step();
			if (mkdirat(dir, part, 0755) && errno != EEXIST) {
				close(dir);
				return -errno;
			}
			next = openat(dir, part, O_RDONLY | O_DIRECTORY |
				      O_NOFOLLOW | O_CLOEXEC);
		}
		if (next < 0) {
			int ret = errno == ELOOP || errno == ENOTDIR ?
				  -HNBTRE_PKG_E_PATH : -errno;

			close(dir);
			return ret;
		}
		close(dir);
		dir = next;
		p = slash + 1;
	}
	*name = p;
	return dir < 0 ? -errno : dir;
}

static int sink_begin(void *arg, const struct hnbtre_pkg_file *f, int index,
		      char *err)
{
	struct install *in = arg;
	struct staged_file *sf;
	int ret;

	if (index < 0) {
		in->manifest = malloc(f->size);
		in->manifest_len = 0;
		return in->manifest ? 0 : -ENOMEM;
	}
	sf = malloc(sizeof(*sf));
	if (!sf)
		return -ENOMEM;
	sf->fd = sf->parent = -1;
	in->files[index] = sf;
	if (in->skip[index])
		return 0;	/* verified, not written: Add, and it exists */
	ret = open_parent(in, f->path + in->live_len, &sf->name);
	if (ret < 0)
		return hnbtre_fail(err, ret, "%s: %s", f->path, hnbtre_pkg_errstr(ret));
	sf->parent = ret;
	if (snprintf(sf->tmp_name, sizeof(sf->tmp_name), ".%.200s.hnbtre-new",
		     sf->name) >= (int)sizeof(sf->tmp_name))
		return -ENAMETOOLONG;
	step();
	sf->fd = openat(sf->parent, sf->tmp_name, O_WRONLY | O_CREAT | O_EXCL |
			O_NOFOLLOW | O_CLOEXEC, 0600);
	return sf->fd < 0 ? hnbtre_fail(err, -errno, "%s: %s", f->path,
				 strerror(errno)) : 0;
}

/* What was read and hashed is written: the payload is read once. */
static int sink_data(void *arg, int index, const uint8_t *buf, size_t len,
		     char *err)
{
	struct install *in = arg;
	int fd;

	if (index < 0) {
		memcpy(in->manifest + in->manifest_len, buf, len);
		in->manifest_len += len;
		return 0;
	}
	fd = in->files[index]->fd;
	if (fd < 0)
		return 0;
	step();
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return hnbtre_fail(err, -errno, "writing: %s", strerror(errno));
		buf += n;
		len -= n;
	}
	return 0;
}

static void close_file(struct install *in, size_t index)
{
	struct staged_file *sf = in->files[index];

	if (!sf)
		return;
	if (sf->fd >= 0)
		close(sf->fd);
	if (sf->parent >= 0)
		close(sf->parent);
	free(sf);
	in->files[index] = NULL;
}

/*
 * A full replacement (TS 33.320 7.12.4) builds the slot from the package
 * alone: every component of its manifest inside the slot must be one of
 * its files.  Components stored apart (the distress function, the TrE's
 * own files) are not part of the normal code image.
 */
static const struct hnbtre_pkg_file *extracted(const struct install *in,
					       const char *path);

static int carries_image(const struct install *in, char *err)
{
	size_t i;

	for (i = 0; i < in->parsed.count; i++) {
		const char *path = in->parsed.components[i].path;

		if (!strncmp(path, in->live, in->live_len) &&
		    !extracted(in, path))
			return hnbtre_fail(err, -HNBTRE_PKG_E_MANIFEST,
					   "full replacement: the package does not carry %s of its manifest",
					   path);
	}
	return 0;
}

static int sink_end(void *arg, const struct hnbtre_pkg_file *f, int index,
		    char *err)
{
	struct install *in = arg;
	struct staged_file *sf;
	int ret = 0;

	/* The manifest comes first: refuse before any file is written. */
	if (index < 0) {
		ret = hnbtre_pkg_check_manifest(in->pkg, in->manifest,
						in->manifest_len, &in->parsed,
						err);
		in->have_parsed = !ret;
		if (!ret && in->parsed.version < in->tre_manifest_version)
			ret = hnbtre_fail(err, -HNBTRE_PKG_E_ROLLBACK,
				   "manifest version %" PRIu64 " < %" PRIu64
				   " held by the TrE", in->parsed.version,
				   in->tre_manifest_version);
		if (!ret && in->full_image)
			ret = carries_image(in, err);
		return ret;
	}
	sf = in->files[index];
	/* Without its SHA-256 command: the manifest's digest decides. */
	if (!f->has_sha256) {
		const struct hnbtre_component *c = in->have_parsed ?
			hnbtre_pkg_find_component(&in->parsed, f->path) : NULL;

		if (!c || memcmp(c->digest, hnbtre_pkg_file_sha256(in->pkg, index),
				 HNBTRE_DIGEST_LEN)) {
			close_file(in, index);
			return hnbtre_fail(err, -HNBTRE_PKG_E_MANIFEST,
					   "%s: the manifest expects another digest",
					   f->path);
		}
	}
	if (in->skip[index]) {
		close_file(in, index);
		return 0;
	}
	step();
	/*
	 * No fsync: nothing uses staging before the syncfs() that ends
	 * stage(), and recover() deletes an interrupted one.
	 */
	if ((f->ima_sig && fsetxattr(sf->fd, "security.ima", f->ima_sig,
				     f->ima_sig_len, 0)) ||
	    fchmod(sf->fd, f->mode) ||
	    renameat(sf->parent, sf->tmp_name, sf->parent, sf->name))
		ret = hnbtre_fail(err, -errno, "%s: %s", f->path, strerror(errno));
	close_file(in, index);
	return ret;
}

/* A directory of @path below the live slot that is a symlink, or 0. */
static int through_symlink(const struct install *in, const char *path)
{
	char prefix[PATH_MAX];
	const char *slash;
	struct stat st;

	for (slash = strchr(path + in->live_len, '/'); slash;
	     slash = strchr(slash + 1, '/')) {
		if ((size_t)(slash - path) >= sizeof(prefix))
			return -ENAMETOOLONG;
		memcpy(prefix, path, slash - path);
		prefix[slash - path] = '\0';
		if (lstat(prefix, &st))
			return errno == ENOENT ? 0 : -errno;
		if (!S_ISDIR(st.st_mode))
			return -HNBTRE_PKG_E_PATH;
	}
	return 0;
}

/*
 * Package paths must be ROOT/current/<rel>, rel outside .hnbtre, and
 * reach no further than the current slot: no directory on the way may
 * be a symlink (or anything but a directory), nor may ROOT/slots be.
 */
static int check_path(const struct install *in, const char *p, char *err)
{
	const char *rel = p + in->live_len;
	int ret;

	if (strncmp(p, in->live, in->live_len) ||
	    !strcmp(rel, META) || !strncmp(rel, META "/", sizeof(META)))
		return hnbtre_fail(err, -HNBTRE_PKG_E_PATH, "%s is outside %s",
				   p, in->live);
	ret = through_symlink(in, p);
	return ret ? hnbtre_fail(err, ret, "%s: %s", p, hnbtre_pkg_errstr(ret)) : 0;
}

static int check_paths(const struct install *in, const struct hnbtre_pkg *pkg,
		       char *err)
{
	char slots[PATH_MAX];
	struct stat st;
	size_t i;
	int ret = 0;

	if (join(slots, in->root, "slots"))
		return -ENAMETOOLONG;
	if (!lstat(slots, &st) && !S_ISDIR(st.st_mode))
		return hnbtre_fail(err, -HNBTRE_PKG_E_PATH, "%s is not a directory",
				   slots);
	for (i = 0; !ret && i < pkg->nfiles; i++)
		ret = check_path(in, pkg->files[i].path, err);
	for (i = 0; !ret && i < pkg->nactions; i++) {
		ret = check_path(in, pkg->actions[i].path, err);
		if (!ret && pkg->actions[i].to)
			ret = check_path(in, pkg->actions[i].to, err);
	}
	return ret;
}

/*
 * Add File installs only where no file of that name is, Add Versioned
 * File only where none of that base name is (Annex E): the file is
 * still read and its hashes checked, but not written.
 */
static int mark_adds(struct install *in, const struct hnbtre_pkg *pkg)
{
	char **names;
	size_t i, n;
	struct stat st;
	int dir, ret;

	for (i = 0; i < pkg->nfiles && !pkg->format && !in->full_image; i++) {
		const struct hnbtre_pkg_file *f = &pkg->files[i];

		if (f->type == HNBTRE_PKG_CMD_ADD)
			in->skip[i] = !lstat(f->path, &st);
		if (f->type != HNBTRE_PKG_CMD_ADD_VERSIONED)
			continue;
		dir = open(in->live, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dir >= 0) {
			ret = open_dir_of(in, dir, f->path);
			close(dir);
			dir = ret;
		} else {
			dir = -errno;
		}
		if (dir == -ENOENT)
			continue;
		ret = dir < 0 ? dir : list_versions(dir, f->path, &names, &n);
		if (dir >= 0)
			close(dir);
		if (ret)
			return hnbtre_fail(in->err, ret, "%s: %s", f->path,
					   strerror(-ret));
		in->skip[i] = n > 0;
		free_names(names, n);
	}
	return 0;
}

/* The active manifest's version: the TrE's, or the current slot's. */
static uint64_t active_manifest_version(const struct install *in, int use_tre)
{
	struct hnbtre_manifest m;
	const uint8_t *sig;
	size_t len, body_len, sig_len;
	uint8_t *data;
	char path[PATH_MAX], err[HNBTRE_ERR_LEN];
	uint64_t version = 0;

	if (use_tre)
		return in->tre_manifest_version;
	if (join(path, in->root, "current/" META "/manifest") ||
	    hnbtre_read_file(path, HNBTRE_MANIFEST_MAX_SIZE, &data, &len))
		return 0;
	if (!hnbtre_manifest_split(data, len, &body_len, &sig, &sig_len) &&
	    !hnbtre_manifest_parse((char *)data, body_len, &m, err)) {
		version = m.version;
		hnbtre_manifest_free(&m);
	}
	free(data);
	return version;
}

/*
 * The gating commands forbid every action when they fail, wherever they
 * stand in the list (Annex E): all of them are judged here, before
 * anything is written.  The device's software version is the active
 * manifest's version, one element.
 */
static int check_gates(const struct install *in, const struct hnbtre_pkg *pkg,
		       int use_tre, char *err)
{
	struct hnbtre_pkg_version device = { .n = 1 };
	uint64_t have = active_manifest_version(in, use_tre);
	struct statvfs vfs;
	struct sysinfo si;

	device.v[0] = have > UINT32_MAX ? UINT32_MAX : (uint32_t)have;
	if (pkg->has_min_version &&
	    hnbtre_pkg_version_cmp(&device, &pkg->min_version) < 0)
		return hnbtre_fail(err, -HNBTRE_PKG_E_NOT_FOR_DEVICE,
				   "Minimum Version: the device runs %" PRIu64, have);
	if (pkg->has_max_version &&
	    hnbtre_pkg_version_cmp(&device, &pkg->max_version) > 0)
		return hnbtre_fail(err, -HNBTRE_PKG_E_NOT_FOR_DEVICE,
				   "Maximum Version: the device runs %" PRIu64, have);
	if (pkg->has_role && pkg->role != HNBTRE_PKG_ROLE_UPGRADE &&
	    pkg->role != HNBTRE_PKG_ROLE_RECOVERY)
		return hnbtre_fail(err, -HNBTRE_PKG_E_NOT_FOR_DEVICE,
				   "Role %#x: this device takes software upgrade (1) and recovery (2)",
				   pkg->role);
	if (pkg->min_nv_storage &&
	    (statvfs(in->root, &vfs) ||
	     (uint64_t)vfs.f_bavail * vfs.f_frsize < pkg->min_nv_storage))
		return hnbtre_fail(err, -HNBTRE_PKG_E_NOT_FOR_DEVICE,
				   "Minimum Non-Volatile Storage: %" PRIu64 " bytes not free",
				   pkg->min_nv_storage);
	if (pkg->min_volatile_storage &&
	    (sysinfo(&si) ||
	     (uint64_t)si.totalram * si.mem_unit < pkg->min_volatile_storage))
		return hnbtre_fail(err, -HNBTRE_PKG_E_NOT_FOR_DEVICE,
				   "Minimum Volatile Storage Size: less than %" PRIu64 " bytes",
				   pkg->min_volatile_storage);
	return 0;
}

/* The installed package version ("0" if none). */
static void read_version(const char *root, char *out, size_t size)
{
	char path[PATH_MAX], line[HNBTRE_PKG_TEXT_MAX + 16];
	FILE *f;

	snprintf(out, size, "0");
	if (join(path, root, "current/" META "/package"))
		return;
	f = fopen(path, "r");
	if (!f)
		return;
	if (fgets(line, sizeof(line), f) && !strncmp(line, "version ", 8)) {
		line[strcspn(line, "\n")] = '\0';
		snprintf(out, size, "%.*s", (int)size - 1, line + 8);
	}
	fclose(f);
}

static int file_by_path(const void *key, const void *item)
{
	return strcmp(key, ((const struct hnbtre_pkg_file *)item)->path);
}

static const struct hnbtre_pkg_file *extracted(const struct install *in,
					       const char *path)
{
	const struct hnbtre_pkg *pkg = in->pkg;
	const struct hnbtre_pkg_file *f = pkg->nfiles ?
		bsearch(path, pkg->files, pkg->nfiles, sizeof(*pkg->files),
			file_by_path) : NULL;

	return f && !in->skip[f - pkg->files] ? f : NULL;
}

/* Where a Move File or Move Versioned File took @path from, or @path. */
static const char *moved_from(const struct install *in, const char *path)
{
	const struct hnbtre_pkg *pkg = in->pkg;
	size_t i;

	/* back through the list: an earlier Move may have brought it */
	for (i = pkg->nactions; i-- > 0;) {
		const struct hnbtre_pkg_action *a = &pkg->actions[i];

		if (a->to && !strcmp(a->to, path)) {
			if (a->type == HNBTRE_PKG_CMD_MOVE)
				path = a->path;
			else if (in->moved[i])
				path = in->moved[i];
		}
	}
	return path;
}

/*
 * TIM over the new manifest's components.  Expected (TR 33.820 Annex A (with a PVE) step 7'):
 * the package's digest for what it installs, else the TrE's last
 * measurement (of a moved file: at its old path), else the file as it is
 * now; after Format File System, nothing but the package's files.  Measured: the files as they
 * are now.
 */
static int compute_tim(const struct hnbtre_manifest *m,
		       const struct install *in,
		       const struct hnbtre_components *components,
		       uint8_t out[HNBTRE_DIGEST_LEN])
{
	uint8_t (*digests)[HNBTRE_DIGEST_LEN] = calloc(m->count, sizeof(*digests));
	int *present = calloc(m->count, sizeof(*present));
	size_t i;
	int ret = -ENOMEM;

	if (!digests || !present)
		goto out;
	for (i = 0; i < m->count; i++) {
		const char *path = m->components[i].path;
		const struct hnbtre_pkg_file *f = in ? extracted(in, path) : NULL;
		const struct hnbtre_component_status *old;

		present[i] = 1;
		if (f) {
			memcpy(digests[i], hnbtre_pkg_file_sha256(in->pkg, f - in->pkg->files),
			       HNBTRE_DIGEST_LEN);
			continue;
		}
		if (in && in->pkg->format) {	/* only the package's files */
			present[i] = 0;
			continue;
		}
		path = in ? moved_from(in, path) : path;
		old = components ? hnbtre_components_find(components, path) : NULL;
		if (old && old->measured)
			memcpy(digests[i], old->digest, HNBTRE_DIGEST_LEN);
		else
			present[i] = !hnbtre_hash_file(path, digests[i]);
	}
	ret = hnbtre_tim(m, (const uint8_t (*)[HNBTRE_DIGEST_LEN])digests,
			 present, out);
out:
	free(digests);
	free(present);
	return ret;
}

/* Make @target ("slots/gN") current with one rename. */
static int switch_to(const char *root, const char *target)
{
	char link_path[PATH_MAX], current[PATH_MAX];

	if (join(link_path, root, NEW_LINK) || join(current, root, "current"))
		return -ENAMETOOLONG;
	step();
	if (unlink(link_path) && errno != ENOENT)
		return -errno;
	step();
	if (symlink(target, link_path))
		return -errno;
	step();
	if (rename(link_path, current))
		return -errno;
	return hnbtre_fsync_dir(root);
}

int hnbtre_pkg_tre_verify(const struct hnbtre_pkg *pkg, char *verdict,
			  size_t size)
{
	uint8_t digest[HNBTRE_DIGEST_LEN];
	char path[PATH_MAX];
	char expected[sizeof(HNBTRE_PKG_ACCEPTED) + 2 * HNBTRE_DIGEST_LEN];
	ssize_t n;
	int fd, ret = 0;

	verdict[0] = '\0';
	snprintf(path, sizeof(path), "%s/package", hnbtre_securityfs());
	fd = open(path, O_RDWR | O_CLOEXEC);
	/* No TrE verdict is a refusal, never a pass. */
	if (fd < 0 && errno == ENOENT) {
		snprintf(verdict, size, "no package verification in this TrE");
		return -HNBTRE_PKG_E_UNKNOWN_SIGNER;
	}
	/* EPERM means "signer not for code signing" in this API. */
	if (fd < 0)
		return errno == EPERM ? -EACCES : -errno;
	n = write(fd, pkg->signed_part, pkg->signed_len);
	if (n < 0)
		ret = -errno;
	else if ((size_t)n != pkg->signed_len)
		ret = -EIO;
	/* The verdict line names the reason of a refusal too. */
	n = read(fd, verdict, size - 1);
	if (n < 0 && !ret)
		ret = -errno;
	verdict[n < 0 ? 0 : n] = '\0';
	verdict[strcspn(verdict, "\n")] = '\0';
	close(fd);
	if (ret)
		return ret;
	/* The TrE verified these bytes: the commands' hashes bind the payload. */
	if (!EVP_Digest(pkg->signed_part, HNBTRE_PKG_HEADER_LEN + pkg->cmds_len,
			digest, NULL, EVP_sha256(), NULL))
		return -ENOMEM;
	memcpy(expected, HNBTRE_PKG_ACCEPTED, sizeof(HNBTRE_PKG_ACCEPTED) - 1);
	hnbtre_hex(digest, expected + sizeof(HNBTRE_PKG_ACCEPTED) - 1);
	return strcmp(verdict, expected) ?
	       -HNBTRE_PKG_E_DIGEST : 0;
}

/* The TIM of the TrE's last validation, or -ENODATA. */
static int tre_tim(uint8_t tim[HNBTRE_DIGEST_LEN])
{
	struct hnbtre_status st;
	int ret = hnbtre_status_read(&st);

	if (!ret && !st.validated)
		ret = -ENODATA;
	if (!ret)
		memcpy(tim, st.tim, HNBTRE_DIGEST_LEN);
	return ret;
}

static int tre_state(enum hnbtre_state *state)
{
	struct hnbtre_status st;
	int ret = hnbtre_status_read(&st);

	if (!ret)
		*state = st.state;
	return ret;
}

/* Version of the manifest the TrE holds; 0 if none. */
static uint64_t tre_manifest_version(void)
{
	struct hnbtre_status st;

	return hnbtre_status_read(&st) || !st.has_manifest ? 0 :
	       st.manifest_version;
}

/*
 * A failed update: back to the slot it replaced, and the TrE back to that
 * slot's manifest, which it takes only while the new one never validated
 * trusted (Documentation/kernel.md, "Anti-rollback").  If it refuses, the
 * new slot, whose manifest the TrE holds, becomes current again.
 */
static int roll_back(const struct install *in, const char *new_target,
		     int use_tre, char *err)
{
	char path[PATH_MAX];
	uint8_t *manifest = NULL;
	size_t len;
	int ret;

	ret = switch_to(in->root, in->old_target);
	if (ret)
		return hnbtre_fail(err, ret, "switching back to %s: %s",
				   in->old_target, strerror(-ret));
	if (!use_tre)
		return 0;
	if (snprintf(path, sizeof(path), "%s/%s/" META "/manifest", in->root,
		     in->old_target) >= (int)sizeof(path))
		ret = -ENAMETOOLONG;
	if (!ret)
		ret = hnbtre_read_file(path, HNBTRE_MANIFEST_MAX_SIZE, &manifest,
				       &len);
	if (!ret)
		ret = hnbtre_sysfs_write("manifest", manifest, len);
	free(manifest);
	if (ret) {
		hnbtre_fail(err, ret, "the TrE refused the previous manifest (%s): %s",
			    in->old_target, hnbtre_manifest_errstr(ret));
		if (!switch_to(in->root, new_target))
			hnbtre_sysfs_write("validate", "1", 1);
	}
	return ret;
}

/* Remove every slot that is neither current nor the one it replaced. */
static void prune_slots(const char *root, const char *current,
			const char *previous)
{
	char path[PATH_MAX];
	int i;

	for (i = 0; i < 2; i++) {
		/* Only generations below current can be stale, and only
		 * the two before it are kept (current and previous).
		 */
		uint64_t g = slot_generation(current);

		if (g < 2 + (uint64_t)i)
			return;
		if (snprintf(path, sizeof(path), "%s/slots/g%" PRIu64, root,
			     g - 2 - i) >= (int)sizeof(path))
			return;
		if (!previous || strcmp(path + strlen(root) + 1, previous))
			rm_tree(path);
	}
}

static int read_link(const char *root, const char *name, char *out)
{
	char path[PATH_MAX];
	ssize_t n;

	if (join(path, root, name))
		return -ENAMETOOLONG;
	n = readlink(path, out, PATH_MAX - 1);
	if (n < 0) {
		out[0] = '\0';
		return errno == ENOENT ? 0 : -errno;
	}
	out[n] = '\0';
	return slot_generation(out) ? 0 : -EINVAL;
}

/*
 * Remove Versioned File: every file of the base name goes.  Move
 * Versioned File: the lowest version moves, the others of that base
 * name in that directory go (Annex E); which one moved is kept for the
 * expected TIM.  Nothing of that base name: nothing to do.
 */
static int apply_versioned(struct install *in, size_t index)
{
	const struct hnbtre_pkg_action *a = &in->pkg->actions[index];
	size_t i, n = 0, dir_len = strrchr(a->path, '/') - a->path + 1;
	int dir = open_dir_of(in, in->staging_fd, a->path), to_dir = -1, ret;
	const char *to_name = NULL;
	char **names = NULL;

	if (dir == -ENOENT)
		return 0;
	ret = dir < 0 ? dir : list_versions(dir, a->path, &names, &n);
	if (!ret && n && a->type == HNBTRE_PKG_CMD_MOVE_VERSIONED) {
		to_dir = open_parent(in, a->to + in->live_len, &to_name);
		ret = to_dir < 0 ? to_dir : 0;
		if (!ret && asprintf(&in->moved[index], "%.*s%s", (int)dir_len,
				     a->path, names[0]) < 0) {
			in->moved[index] = NULL;
			ret = -ENOMEM;
		}
	}
	/* what moves is names[0]; an old file at the destination is
	 * overwritten by the rename */
	for (i = a->type == HNBTRE_PKG_CMD_MOVE_VERSIONED; !ret && i < n; i++) {
		step();
		if (unlinkat(dir, names[i], 0) && errno != ENOENT)
			ret = -errno;
	}
	if (!ret && n && to_dir >= 0) {
		step();
		if (renameat(dir, names[0], to_dir, to_name))
			ret = -errno;
	}
	if (to_dir >= 0)
		close(to_dir);
	if (dir >= 0)
		close(dir);
	free_names(names, n);
	return ret;
}

/*
 * Remove File (Versioned), Remove Sub-Tree, Move File (Versioned) on the
 * staging copy, in list order.  None touches a path the package writes,
 * nor a file of a versioned file's base name (hnbtre_pkg_parse()), so
 * their order against the Extracts does not matter.
 */
static int apply_action(struct install *in, size_t index)
{
	const struct hnbtre_pkg_action *a = &in->pkg->actions[index];
	const char *rel = a->path + in->live_len, *name;
	char path[PATH_MAX];
	int ret = 0, dir;

	step();
	switch (a->type) {
	case HNBTRE_PKG_CMD_REMOVE:
		if (unlinkat(in->staging_fd, rel, 0) && errno != ENOENT)
			ret = -errno;
		break;
	case HNBTRE_PKG_CMD_REMOVE_SUBTREE:
		ret = join(path, in->staging, rel);
		if (!ret)
			ret = rm_tree(path);
		break;
	case HNBTRE_PKG_CMD_MOVE:
		/* A missing source is no error (Annex E); the destination
		 * is overwritten. */
		dir = open_parent(in, a->to + in->live_len, &name);
		if (dir < 0) {
			ret = dir;
			break;
		}
		if (renameat(in->staging_fd, rel, dir, name) && errno != ENOENT)
			ret = -errno;
		close(dir);
		break;
	case HNBTRE_PKG_CMD_REMOVE_VERSIONED:
	case HNBTRE_PKG_CMD_MOVE_VERSIONED:
		ret = apply_versioned(in, index);
		break;
	}
	return ret ? hnbtre_fail(in->err, ret, "%s %s: %s",
				 hnbtre_pkg_cmd_name(a->type), a->path,
				 strerror(-ret)) : 0;
}

static int stage(struct install *in, int pkg_fd, hnbtre_pkg_progress progress)
{
	struct hnbtre_pkg_sink sink = {
		sink_begin, sink_data, sink_end, in
	};
	char path[PATH_MAX], line[HNBTRE_PKG_TEXT_MAX + 16], old_slot[PATH_MAX];
	int ret, meta;
	size_t i;

	if (join(path, in->root, "slots"))
		return -ENAMETOOLONG;
	step();
	if (mkdir(path, 0755) && errno != EEXIST)
		return hnbtre_fail(in->err, -errno, "%s: %s", path, strerror(errno));
	step();
	if (mkdir(in->staging, 0755))
		return hnbtre_fail(in->err, -errno, "%s: %s", in->staging, strerror(errno));
	in->staging_fd = open(in->staging, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (in->staging_fd < 0)
		return -errno;
	in->files = calloc(in->pkg->nfiles + 1, sizeof(*in->files));
	if (!in->files)
		return -ENOMEM;
	ret = hnbtre_pkg_stream(in->pkg, pkg_fd, &sink, progress, NULL, NULL,
				NULL, in->err);
	/* What a failure left open, in any worker. */
	for (i = 0; i < in->pkg->nfiles; i++)
		close_file(in, i);
	if (ret)
		return ret;
	/* Format File System: the new slot starts empty. */
	if (in->old_target[0] && !in->pkg->format && !in->full_image) {
		if (join(old_slot, in->root, in->old_target))
			return -ENAMETOOLONG;
		walk_ctx = in;
		errno = 0;
		if (nftw(old_slot, link_one, 32, FTW_PHYS | FTW_ACTIONRETVAL))
			return hnbtre_fail(in->err, errno ? -errno : -EIO,
				    "copying %s: %s", old_slot, strerror(errno));
	}
	for (i = 0; !ret && i < in->pkg->nactions; i++)
		ret = apply_action(in, i);
	if (ret)
		return ret;
	step();
	if (mkdirat(in->staging_fd, META, 0755))
		return -errno;
	meta = openat(in->staging_fd, META, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (meta < 0)
		return -errno;
	ret = write_file_at(meta, "manifest", in->manifest, in->manifest_len);
	if (!ret) {
		snprintf(line, sizeof(line), "version %s\n", in->pkg->version);
		ret = write_file_at(meta, "package", line, strlen(line));
	}
	if (!ret && in->old_target[0])
		ret = write_file_at(meta, "previous", in->old_target,
				    strlen(in->old_target));
	close(meta);
	/* Directory entries and the hard links too, before the rename. */
	if (!ret && syncfs(in->staging_fd))
		ret = -errno;
	return ret;
}

int hnbtre_pkg_install(const char *path, const struct hnbtre_install_opts *opts,
		       struct hnbtre_install_result *res, char *err)
{
	struct install in = { .root = opts->root, .staging_fd = -1,
			      .full_image = opts->full_image, .err = err };
	struct hnbtre_components components = { 0 };
	char new_target[64], slot[PATH_MAX];
	struct hnbtre_pkg_version old_version;
	struct hnbtre_pkg pkg = { 0 };
	int fd = -1, ret, has_components = 0;

	memset(res, 0, sizeof(*res));
	if (opts->root[0] != '/' ||
	    snprintf(in.live, sizeof(in.live), "%s/current/", opts->root) >=
	    (int)sizeof(in.live)) {
		ret = hnbtre_fail(err, -EINVAL, "--root must be an absolute path");
		goto out;
	}
	in.live_len = strlen(in.live);
	join(in.staging, opts->root, STAGING);
	ret = hnbtre_pkg_open(path, &pkg, &fd, err);
	if (ret)
		goto out;
	in.pkg = &pkg;
	snprintf(res->version, sizeof(res->version), "%s", pkg.version);
	res->reboot = pkg.reboot;
	in.skip = calloc(pkg.nfiles + 1, 1);
	in.moved = calloc(pkg.nactions + 1, sizeof(*in.moved));
	if (!in.skip || !in.moved) {
		ret = -ENOMEM;
		goto out;
	}
	/*
	 * Userspace first, for its finer reasons (expired, usage); the TrE's
	 * verdict is required on top of it.
	 */
	ret = hnbtre_pkg_verify_signatures(&pkg, opts->roots_pem, time(NULL),
					   opts->hash_policy, NULL, NULL, err);
	if (!ret && opts->use_tre) {
		ret = hnbtre_pkg_tre_verify(&pkg, res->tre_verdict,
					    sizeof(res->tre_verdict));
		if (ret)
			hnbtre_fail(err, ret, "the TrE refused the package%s%s",
			     res->tre_verdict[0] ? ": " : "", res->tre_verdict);
		in.tre_manifest_version = tre_manifest_version();
	}
	if (!ret)
		ret = check_gates(&in, &pkg, opts->use_tre, err);
	if (!ret)
		ret = check_paths(&in, &pkg, err);
	if (!ret)
		ret = read_link(opts->root, "current", in.old_target);
	if (ret)
		goto out;
	read_version(opts->root, res->old_version, sizeof(res->old_version));
	hnbtre_pkg_version_parse(res->old_version, strlen(res->old_version),
				 &old_version);
	if (hnbtre_pkg_version_cmp(&pkg.version_num, &old_version) < 0 &&
	    !pkg.allow_downgrade) {
		ret = hnbtre_fail(err, -HNBTRE_PKG_E_ROLLBACK,
				  "version %s < installed %s",
				  pkg.version, res->old_version);
		goto out;
	}
	ret = mark_adds(&in, &pkg);
	if (ret)
		goto out;
	if (opts->use_tre) {
		res->has_old_tim = !tre_tim(res->old_tim);
		has_components = !hnbtre_components_read(&components);
	}

	ret = hnbtre_pkg_recover(opts->root, err);
	if (ret && ret != -EILSEQ)
		goto out;
	ret = stage(&in, fd, opts->progress);
	if (ret)
		goto fail_staging;
	/* Expected TIM before the switch: old measurements + package RIMs. */
	ret = compute_tim(&in.parsed, &in, has_components ? &components : NULL,
			  res->expected_tim);
	if (ret)
		goto fail_staging;
	snprintf(new_target, sizeof(new_target), "slots/g%" PRIu64,
		 slot_generation(in.old_target) + 1);
	ret = join(slot, opts->root, new_target);
	if (!ret)
		ret = rm_tree(slot);
	step();
	if (!ret && rename(in.staging, slot))
		ret = -errno;
	if (!ret)
		ret = join(slot, opts->root, "slots");
	if (!ret)
		ret = hnbtre_fsync_dir(slot);
	if (ret) {
		hnbtre_fail(err, ret, "%s: %s", slot, strerror(-ret));
		goto fail_staging;
	}
	ret = switch_to(opts->root, new_target);
	if (ret) {
		hnbtre_fail(err, ret, "switching to %s: %s", new_target, strerror(-ret));
		goto out;
	}
	res->installed = 1;
	/*
	 * Before the TrE validates: the old slots share inodes with the
	 * current components, whose link count their removal changes,
	 * which the TrE reports as tampering; the validation below judges
	 * the set after it.
	 */
	prune_slots(opts->root, new_target, in.old_target);

	if (opts->use_tre) {
		/* The TrE loads the new manifest and validates against it. */
		ret = hnbtre_sysfs_write("manifest", in.manifest, in.manifest_len);
		if (ret) {
			hnbtre_fail(err, ret, "the TrE refused the manifest: %s",
			     hnbtre_manifest_errstr(ret));
			/*
			 * The TrE holds the old manifest: its code again, and
			 * a validation that ends the switch's tamper.
			 */
			if (in.old_target[0] &&
			    !switch_to(opts->root, in.old_target))
				hnbtre_sysfs_write("validate", "1", 1);
			res->installed = 0;
			goto out;
		}
		ret = tre_tim(res->measured_tim);
		if (!ret)
			ret = tre_state(&res->new_state);
		res->revalidated = !ret;
	} else {
		ret = compute_tim(&in.parsed, NULL, NULL, res->measured_tim);
	}
	if (ret) {
		hnbtre_fail(err, ret, "re-measuring: %s", strerror(-ret));
		goto out;
	}
	res->tim_checked = 1;
	res->tim_matches = !memcmp(res->expected_tim, res->measured_tim,
				   HNBTRE_DIGEST_LEN);
	res->check_failed = !res->tim_matches ||
		(res->revalidated && res->new_state != HNBTRE_STATE_TRUSTED);
	if (res->check_failed && opts->rollback_on_failure && in.old_target[0]) {
		ret = roll_back(&in, new_target, opts->use_tre, err);
		res->rolled_back = !ret;
	}
	goto out;

fail_staging:
	if (in.staging_fd >= 0)
		close(in.staging_fd);
	in.staging_fd = -1;
	rm_tree(in.staging);
out:
	free(in.files);
	free(in.skip);
	if (in.moved)
		free_names(in.moved, pkg.nactions);
	if (in.staging_fd >= 0)
		close(in.staging_fd);
	if (fd >= 0)
		close(fd);
	if (in.have_parsed)
		hnbtre_manifest_free(&in.parsed);
	free(in.manifest);
	hnbtre_components_free(&components);
	hnbtre_pkg_free(&pkg);
	res->error = ret;
	return ret;
}

int hnbtre_pkg_recover(const char *root, char *err)
{
	char path[PATH_MAX], target[PATH_MAX];
	struct hnbtre_manifest m;
	uint8_t *data = NULL, rim[HNBTRE_DIGEST_LEN], tim[HNBTRE_DIGEST_LEN];
	const uint8_t *sig;
	size_t len, body_len, sig_len;
	int ret;

	ret = join(path, root, STAGING);
	if (!ret)
		ret = rm_tree(path);
	if (!ret)
		ret = join(path, root, NEW_LINK);
	if (!ret && unlink(path) && errno != ENOENT)
		ret = -errno;
	if (!ret)
		ret = read_link(root, "current", target);
	if (ret)
		return hnbtre_fail(err, ret, "%s: %s", root, strerror(-ret));
	if (!target[0])
		return 0;
	ret = join(path, root, "current/" META "/manifest");
	if (!ret)
		ret = hnbtre_read_file(path, HNBTRE_MANIFEST_MAX_SIZE, &data, &len);
	if (ret)
		return hnbtre_fail(err, ret, "%s: %s", path, strerror(-ret));
	ret = hnbtre_manifest_split(data, len, &body_len, &sig, &sig_len);
	if (!ret)
		ret = hnbtre_manifest_parse((char *)data, body_len, &m, err);
	free(data);
	if (ret)
		return ret;
	ret = hnbtre_tim(&m, NULL, NULL, rim);
	if (!ret)
		ret = compute_tim(&m, NULL, NULL, tim);
	hnbtre_manifest_free(&m);
	if (!ret && memcmp(rim, tim, sizeof(tim)))
		ret = hnbtre_fail(err, -EILSEQ, "%s: files differ from its manifest",
			   target);
	return ret;
}

static void put_digest(FILE *out, const char *key, const uint8_t *d, int valid)
{
	char h[2 * HNBTRE_DIGEST_LEN + 1];

	if (!valid) {
		fprintf(out, "%s=-\n", key);
		return;
	}
	hnbtre_hex(d, h);
	fprintf(out, "%s=sha256:%s\n", key, h);
}

void hnbtre_install_report(const struct hnbtre_install_result *r, FILE *out)
{
	fprintf(out, "installed=%d\nrolled_back=%d\nversion=%s\nold_version=%s\nreboot=%d\n",
		r->installed, r->rolled_back, r->version[0] ? r->version : "-",
		r->old_version[0] ? r->old_version : "-", r->reboot);
	put_digest(out, "old_tim", r->old_tim, r->has_old_tim);
	put_digest(out, "expected_tim", r->expected_tim, r->tim_checked);
	put_digest(out, "measured_tim", r->measured_tim, r->tim_checked);
	fprintf(out, "tim_check=%s\nrevalidation=%s\ntre_verdict=%s\nerror=%d\nfault=%d\n",
		!r->tim_checked ? "skipped" : r->tim_matches ? "match" : "mismatch",
		r->revalidated ? hnbtre_state_name(r->new_state) : "-",
		r->tre_verdict[0] ? r->tre_verdict : "-", -r->error,
		hnbtre_pkg_fault(r->error));
}
