// SPDX-License-Identifier: GPL-2.0-only
/*
 * Hostile writes to /sys/kernel/security/hnbtre/manifest: at least 10,000
 * mutations of a valid signed manifest (bit flips, truncations, length
 * games in the trailer, random bytes, concurrent writers while another
 * process validates).  Every write must fail with a documented errno, or
 * carry the unchanged signed body, and the state, TIM and active manifest
 * must not change.  The seed manifest is the active one; manifest_fuzz.sh
 * prepares it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../kselftest_harness.h"
#include "hostile_lib.h"

#define MAGIC HNBTRE_MANIFEST_SIG_MAGIC
#define MAGIC_LEN HNBTRE_MANIFEST_SIG_MAGIC_LEN
#define ITERATIONS 10000

static unsigned char *seed;
static size_t seed_len, seed_body_len;

static int last_mutation;
static const unsigned int absurd_lengths[] = { 0, 0xffffffff };

/* One hostile variant of the seed; returns its length. */
static size_t mutate(unsigned char *buf, size_t cap)
{
	size_t len = seed_len, i, n;

	memcpy(buf, seed, seed_len);
	last_mutation = rand() % 8;
	switch (last_mutation) {
	case 0:	/* bit flips anywhere */
		for (n = 1 + rand() % 8; n; n--)
			buf[rand() % len] ^= 1 << (rand() % 8);
		break;
	case 1:	/* truncated, then the trailer again */
		len = rand() % seed_len;
		if (len + 32 < cap && rand() % 2) {
			put_be32(buf + len, rand() % (len + 1));
			memcpy(buf + len + 4, MAGIC, MAGIC_LEN);
			len += 32;
		}
		break;
	case 2:	/* absurd signature lengths */
		i = len - 32;
		n = rand() % 5;
		put_be32(buf + i, n < 2 ? absurd_lengths[n] : n == 2 ? len - 32 :
			 n == 3 ? len - 31 : rand() % len);
		break;
	case 3:	/* random bytes with a plausible trailer */
		len = 32 + rand() % 4096;
		for (i = 0; i < len - 32; i++)
			buf[i] = rand();
		put_be32(buf + len - 32, rand() % (len - 31));
		memcpy(buf + len - MAGIC_LEN, MAGIC, MAGIC_LEN);
		break;
	case 4:	/* a byte of the body changed to a hostile one */
		buf[rand() % (seed_len / 4)] = "\0\n\r /.\x7f\xff"[rand() % 8];
		break;
	case 5:	/* bytes inserted in the middle */
		n = 1 + rand() % 64;
		if (len + n > cap)
			break;
		i = rand() % (len - 32);
		memmove(buf + i + n, buf + i, len - i);
		for (size_t k = 0; k < n; k++)
			buf[i + k] = rand();
		len += n;
		break;
	case 6:	/* a run of bytes in the signature zeroed */
		i = rand() % len;
		n = rand() % 64;
		memset(buf + i, 0, i + n < len - 32 ? n : 0);
		break;
	default: /* the seed itself: valid and identical, accepted */
		break;
	}
	return len;
}

/* Write one buffer in a single write(); 0 or errno. */
static int write_manifest(const unsigned char *buf, size_t len)
{
	int fd = open(SFS "manifest", O_WRONLY), err = 0;

	if (fd < 0)
		return errno;
	if (write(fd, buf, len) != (ssize_t)len)
		err = errno ? errno : EIO;
	/* An incomplete upload is refused by close(). */
	if (close(fd) && !err)
		err = errno;
	return err;
}

static int documented(int err)
{
	return err == 0 || err == EBADMSG || err == ENOKEY ||
	       err == EKEYREJECTED || err == EFBIG || err == ESTALE ||
	       err == EEXIST || err == EBUSY;
}

FIXTURE(manifest) {
	char *before;
	unsigned char *buf;
	size_t cap;
};

FIXTURE_SETUP(manifest)
{
	unsigned int prng = prng_seed();

	seed = read_seed(&seed_len);
	if (!seed || access(SFS "manifest", W_OK))
		SKIP(return, "run by manifest_fuzz.sh with hnbtre loaded");
	ASSERT_LT(32, seed_len);
	seed_body_len = seed_len - 32 -
		((size_t)seed[seed_len - 32] << 24 | seed[seed_len - 31] << 16 |
		 seed[seed_len - 30] << 8 | seed[seed_len - 29]);
	TH_LOG("PRNG seed %u (HNBTRE_FUZZ_PRNG reproduces it)", prng);
	srand(prng);
	self->cap = seed_len + 8192;
	self->buf = malloc(self->cap);
	self->before = snapshot();
	ASSERT_NE(NULL, self->before);
}

FIXTURE_TEARDOWN(manifest)
{
	free(self->buf);
	free(self->before);
}

/* Thousands of RSA verifications: more than 30 s under TCG on a busy host. */
TEST_F_TIMEOUT(manifest, mutations_refused_and_nothing_changes, 300)
{
	int counts[256] = { 0 };

	for (int i = 0; i < ITERATIONS; i++) {
		size_t len = mutate(self->buf, self->cap);
		int err = write_manifest(self->buf, len);

		/*
		 * CMS leaves some fields outside the signature (the outer
		 * digestAlgorithms set, for one), so a changed signature
		 * part may still verify; a changed body never may.
		 */
		bool unchanged_body = len == 0 ||
			(len >= seed_body_len &&
			 !memcmp(self->buf, seed, seed_body_len));

		/* Writing nothing at all is a no-op, not an error. */
		if (err == 0 && !unchanged_body)
			TH_LOG("iteration %d: mutation %d changed the body and was accepted",
			       i, last_mutation);
		ASSERT_TRUE(err != 0 || unchanged_body);
		ASSERT_TRUE(documented(err)) TH_LOG("iteration %d: errno %d", i, err);
		counts[err & 255]++;
		if (i % 500 == 0)
			ASSERT_UNCHANGED(self->before);
	}
	TH_LOG("accepted %d, EBADMSG %d, ENOKEY %d, EKEYREJECTED %d",
	       counts[0], counts[EBADMSG], counts[ENOKEY], counts[EKEYREJECTED]);
	ASSERT_UNCHANGED(self->before);
}

/*
 * Validate and read back the state until killed; exits non-zero if a
 * validation fails or the state is ever anything but @state.
 */
static void validate_loop(const char *state)
{
	for (;;) {
		int fd = open(SFS "validate", O_WRONLY);
		char *now;

		if (fd < 0 || write(fd, "1", 1) != 1)
			_exit(3);
		close(fd);
		now = read_all(SFS "state", NULL);
		if (strcmp(now, state))
			_exit(4);
		free(now);
	}
}

TEST_F_TIMEOUT(manifest, concurrent_writers, 300)
{
	char *state = read_all(SFS "state", NULL);
	pid_t validator = fork(), child;
	int status, busy = 0;

	ASSERT_LE(0, validator);
	if (!validator)
		validate_loop(state);
	child = fork();
	ASSERT_LE(0, child);
	for (int i = 0; i < ITERATIONS / 10; i++) {
		size_t len = mutate(self->buf, self->cap);
		int err = write_manifest(self->buf, len);

		if (!documented(err))
			_exit(child ? 1 : 2);
		busy += err == EBUSY;
	}
	if (!child)
		_exit(0);
	ASSERT_EQ(child, waitpid(child, &status, 0));
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* Still validating: it never failed and never saw another state. */
	ASSERT_EQ(0, waitpid(validator, &status, WNOHANG));
	kill(validator, SIGKILL);
	ASSERT_EQ(validator, waitpid(validator, &status, 0));
	ASSERT_TRUE(WIFSIGNALED(status));
	TH_LOG("%d writes found another writer (EBUSY)", busy);
	free(state);
	ASSERT_UNCHANGED(self->before);
}

TEST_F(manifest, chunked_and_misplaced_writes)
{
	int fd;

	/* A write at another offset; never completed: close() says so. */
	ASSERT_EQ(0, misplaced_then_closed(SFS "manifest", O_WRONLY, seed));
	/* A reader cannot write, and a writer cannot read. */
	fd = open(SFS "manifest", O_RDWR);
	ASSERT_EQ(-1, fd);
	ASSERT_EQ(EINVAL, errno);
}

TEST_HARNESS_MAIN
