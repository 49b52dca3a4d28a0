/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Shared by the hostile-write selftests of the securityfs transaction
 * files (manifest_fuzz.c, package_fuzz.c): what the TrE shows, so that a
 * test can prove a refused write changed none of it, and the rules every
 * transaction file shares.
 */
#ifndef HNBTRE_HOSTILE_LIB_H
#define HNBTRE_HOSTILE_LIB_H

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/hnbtre.h>

#define SFS HNBTRE_SECURITYFS_PATH "/"

/* A file's content (at most 1 MiB) as a string; its length in *@len. */
static inline char *read_all(const char *path, size_t *len)
{
	static char buf[1 << 20];
	int fd = open(path, O_RDONLY);
	ssize_t n, total = 0;

	if (fd < 0)
		return strdup("");
	while ((n = read(fd, buf + total, sizeof(buf) - 1 - total)) > 0)
		total += n;
	close(fd);
	buf[total] = '\0';
	if (len)
		*len = total;
	return strdup(buf);
}

/*
 * The seed the test mutates: the file HNBTRE_FUZZ_SEED (at most 8 MiB),
 * or NULL.
 */
static inline unsigned char *read_seed(size_t *len)
{
	const char *path = getenv("HNBTRE_FUZZ_SEED");
	size_t max = 8 << 20;
	unsigned char *data;
	ssize_t n;
	int fd;

	if (!path)
		return NULL;
	fd = open(path, O_RDONLY);
	data = malloc(max);
	n = fd < 0 || !data ? -1 : read(fd, data, max);
	if (fd >= 0)
		close(fd);
	if (n <= 0) {
		free(data);
		return NULL;
	}
	*len = n;
	return data;
}

/* HNBTRE_FUZZ_PRNG if set (to reproduce a run), else the time. */
static inline unsigned int prng_seed(void)
{
	const char *s = getenv("HNBTRE_FUZZ_PRNG");

	return s ? strtoul(s, NULL, 10) : (unsigned int)time(NULL);
}

/* state, TIM, RIM and the active manifest, as one string. */
static inline char *snapshot(void)
{
	char *parts[4], *all;

	parts[0] = read_all(SFS "state", NULL);
	parts[1] = read_all(SFS "tim", NULL);
	parts[2] = read_all(SFS "rim", NULL);
	parts[3] = read_all(SFS "manifest", NULL);
	if (asprintf(&all, "%s|%s|%s|%s", parts[0], parts[1], parts[2], parts[3]) < 0)
		all = NULL;
	for (int i = 0; i < 4; i++)
		free(parts[i]);
	return all;
}

/* In a kselftest_harness test: the TrE still shows @before, a snapshot(). */
#define ASSERT_UNCHANGED(before) do {			\
	char *now_ = snapshot();			\
							\
	ASSERT_STREQ(before, now_);			\
	free(now_);					\
} while (0)

static inline void put_be32(unsigned char *p, unsigned int v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

/*
 * Ten bytes of @data to @path opened with @flags, then a write at another
 * offset, then close(): 0 if the misplaced write failed with EINVAL and
 * close() reported the incomplete request with EBADMSG, else -1.
 */
static inline int misplaced_then_closed(const char *path, int flags,
					const unsigned char *data)
{
	int fd = open(path, flags);

	if (fd < 0 || write(fd, data, 10) != 10)
		return -1;
	if (pwrite(fd, data, 10, 100) != -1 || errno != EINVAL) {
		close(fd);
		return -1;
	}
	return close(fd) == -1 && errno == EBADMSG ? 0 : -1;
}

#endif /* HNBTRE_HOSTILE_LIB_H */
