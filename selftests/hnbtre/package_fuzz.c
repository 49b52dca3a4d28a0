// SPDX-License-Identifier: GPL-2.0-only
/*
 * Hostile writes to /sys/kernel/security/hnbtre/package: 10,000
 * transactions built from a valid signed part of a TR-069 Annex E package
 * (bit flips, truncations, absurd major version, command list, payload,
 * command and signature block lengths, a bare SignedData for the
 * ContentInfo, random bytes, trailing and inserted bytes, oversized
 * writes, the valid one in random chunks).
 * Every transaction must end with a documented errno, or be accepted with
 * an unchanged header and command list and the seed's verdict; the state,
 * TIM and active manifest must not change, and the refusals logged stay
 * few (rate limited).  package_fuzz.sh provides the seed
 * (HNBTRE_FUZZ_SEED) while a manifest is active.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../kselftest_harness.h"
#include "hostile_lib.h"

#define HEADER_LEN HNBTRE_PKG_HEADER_LEN
#define SIGNED_MAX (HEADER_LEN + HNBTRE_PKG_CMDS_MAX + HNBTRE_PKG_SIG_MAX)
#define ITERATIONS 10000

static unsigned char *seed;
static size_t seed_len, seed_cmds_len;

static unsigned int be32(const unsigned char *p)
{
	return (unsigned int)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

static unsigned int some_length(size_t around)
{
	static const unsigned int absurd[] = {
		0, 1, 7, 8, 0x7fffffff, 0xffffffff, 65535, 65536,
	};
	int pick = rand() % 12;

	if (pick < 8)
		return absurd[pick];
	if (pick < 10)
		return around + (pick == 8 ? 1 : -1);
	return rand() % (around * 2 + 1);
}

/*
 * The seed's ContentInfo replaced by the SignedData inside it (the annex
 * allows either): its outer header, OID and [0] header dropped.
 */
static bool unwrap(unsigned char *buf, size_t *len)
{
	size_t at = HEADER_LEN + seed_cmds_len, drop = 4 + 11 + 4;

	if (buf[at + 1] != 0x82 || buf[at + 4] != 0x06 ||
	    buf[at + 15] != 0xa0 || buf[at + 16] != 0x82)
		return false;
	memmove(buf + at, buf + at + drop, *len - at - drop);
	*len -= drop;
	return true;
}

static int last_mutation;
static size_t chunk;

/* One hostile variant of the seed; returns its length. */
static size_t mutate(unsigned char *buf, size_t cap)
{
	size_t len = seed_len, i, n;

	memcpy(buf, seed, seed_len);
	chunk = 0;
	last_mutation = rand() % 10;
	switch (last_mutation) {
	case 0:	/* bit flips anywhere */
		for (n = 1 + rand() % 8; n; n--)
			buf[rand() % len] ^= 1 << (rand() % 8);
		break;
	case 1:	/* truncated */
		len = rand() % seed_len;
		break;
	case 2:	/* absurd major version, command list or payload length */
		i = 8 + 4 * (rand() % 4);
		put_be32(buf + i, some_length(be32(seed + i)));
		break;
	case 3:	/* random bytes, half of them after a valid preamble */
		len = rand() % 4096;
		for (i = 0; i < len; i++)
			buf[i] = rand();
		if (len >= 8 && rand() % 2)
			memcpy(buf, seed, 12);
		break;
	case 4:	/* a command's length, or the signature block's DER length */
		if (rand() % 2) {
			put_be32(buf + HEADER_LEN + 4,
				 some_length(be32(seed + HEADER_LEN + 4)));
		} else {
			i = HEADER_LEN + seed_cmds_len + 1;
			buf[i] = rand() % 2 ? 0x80 | (1 + rand() % 4) : rand();
			buf[i + 1] = rand();
		}
		break;
	case 5:	/* bytes inserted, or appended */
		n = 1 + rand() % 64;
		i = rand() % 2 ? rand() % len : len;
		memmove(buf + i + n, buf + i, len - i);
		for (size_t k = 0; k < n; k++)
			buf[i + k] = rand();
		len += n;
		break;
	case 6:	/* oversized */
		len = cap;
		memset(buf + seed_len, rand(), cap - seed_len);
		break;
	case 7:	/* a run of bytes zeroed, or a bare SignedData */
		if (rand() % 2 && unwrap(buf, &len))
			break;
		i = rand() % len;
		n = 1 + rand() % 64;
		memset(buf + i, 0, i + n < len ? n : len - i);
		break;
	case 8:	/* the seed in random chunks */
		chunk = 1 + rand() % 4096;
		break;
	default: /* the seed itself */
		break;
	}
	return len;
}

/* One transaction; 0 or errno.  @verdict gets what read() returns. */
static int transaction(const unsigned char *buf, size_t len, char *verdict,
		       size_t size)
{
	int fd = open(SFS "package", O_RDWR), err = 0;
	size_t off = 0, step = chunk ? chunk : len;
	ssize_t n;

	verdict[0] = '\0';
	if (fd < 0)
		return errno;
	while (!err && off < len) {
		size_t count = len - off < step ? len - off : step;

		n = write(fd, buf + off, count);
		if (n != (ssize_t)count)
			err = n < 0 ? errno : EIO;
		off += count;
	}
	n = read(fd, verdict, size - 1);
	verdict[n < 0 ? 0 : n] = '\0';
	/* A transaction that never completed is refused by close(). */
	if (close(fd) && !err)
		err = errno;
	return err;
}

static bool documented(int err)
{
	return err == 0 || err == EBADMSG || err == ENOKEY ||
	       err == EKEYREJECTED || err == EFBIG;
}

FIXTURE(package) {
	char *before;
	char seed_verdict[256];
	unsigned char *buf;
	size_t cap;
};

FIXTURE_SETUP(package)
{
	unsigned int prng = prng_seed();

	seed = read_seed(&seed_len);
	if (!seed || access(SFS "package", W_OK))
		SKIP(return, "run by package_fuzz.sh with hnbtre loaded");
	ASSERT_LT(HEADER_LEN, seed_len);
	ASSERT_GE(SIGNED_MAX, seed_len);
	seed_cmds_len = be32(seed + 16);
	TH_LOG("PRNG seed %u (HNBTRE_FUZZ_PRNG reproduces it)", prng);
	srand(prng);
	self->cap = SIGNED_MAX + 1;
	self->buf = malloc(self->cap);
	ASSERT_NE(NULL, self->buf);
	chunk = 0;
	ASSERT_EQ(0, transaction(seed, seed_len, self->seed_verdict,
				 sizeof(self->seed_verdict)));
	ASSERT_EQ(0, strncmp(self->seed_verdict, "accepted ", 9));
	self->before = snapshot();
	ASSERT_NE(NULL, self->before);
}

FIXTURE_TEARDOWN(package)
{
	free(self->buf);
	free(self->before);
}

TEST_F_TIMEOUT(package, hostile_transactions, 540)
{
	int counts[256] = { 0 };
	char verdict[256];

	for (int i = 0; i < ITERATIONS; i++) {
		size_t len = mutate(self->buf, self->cap);
		int err = transaction(self->buf, len, verdict, sizeof(verdict));
		bool signed_unchanged = len >= HEADER_LEN + seed_cmds_len &&
			!memcmp(self->buf, seed, HEADER_LEN + seed_cmds_len);

		/* Writing nothing at all is no transaction. */
		if (len == 0 && err == 0)
			continue;
		ASSERT_TRUE(documented(err))
			TH_LOG("iteration %d: mutation %d: errno %d", i,
			       last_mutation, err);
		if (err == 0) {
			/* Unsigned CMS fields may change; signed bytes never. */
			ASSERT_TRUE(signed_unchanged)
				TH_LOG("iteration %d: mutation %d accepted", i,
				       last_mutation);
			ASSERT_STREQ(self->seed_verdict, verdict);
		} else if (verdict[0]) {
			ASSERT_EQ(0, strncmp(verdict, "refused ", 8))
				TH_LOG("iteration %d: verdict %s", i, verdict);
		}
		counts[err & 255]++;
		if (i % 500 == 0)
			ASSERT_UNCHANGED(self->before);
	}
	TH_LOG("accepted %d, EBADMSG %d, ENOKEY %d, EKEYREJECTED %d, EFBIG %d",
	       counts[0], counts[EBADMSG], counts[ENOKEY], counts[EKEYREJECTED],
	       counts[EFBIG]);
	ASSERT_UNCHANGED(self->before);
}

TEST_F(package, misplaced_writes)
{
	int fd;

	/* A write at another offset; never completed: close() says so. */
	ASSERT_EQ(0, misplaced_then_closed(SFS "package", O_RDWR, seed));
	/* Opened for reading only: nothing to judge. */
	ASSERT_EQ(-1, open(SFS "package", O_RDONLY));
	ASSERT_EQ(EINVAL, errno);
	/* After a verdict, the transaction is over. */
	fd = open(SFS "package", O_RDWR);
	ASSERT_EQ((ssize_t)seed_len, write(fd, seed, seed_len));
	ASSERT_EQ(-1, write(fd, seed, 1));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(0, close(fd));
}

/* Writes seed bytes at every offset of the shared descriptor, racing. */
static void *racing_writer(void *arg)
{
	int fd = *(int *)arg;
	long odd = 0;

	for (size_t off = 0; off < seed_len; off += 7) {
		size_t n = seed_len - off < 7 ? seed_len - off : 7;
		ssize_t got = pwrite(fd, seed + off, n, off);

		/* Accepted, or refused at this offset or after the end. */
		if (got != (ssize_t)n && errno != EINVAL && errno != EBADMSG &&
		    errno != ENOKEY && errno != EKEYREJECTED)
			odd++;
	}
	return (void *)odd;
}

TEST_F(package, racing_writers_on_one_descriptor)
{
	pthread_t threads[4];
	char verdict[256];
	void *odd;
	int fd;

	for (int round = 0; round < 50; round++) {
		fd = open(SFS "package", O_RDWR);
		ASSERT_LE(0, fd);
		for (int i = 0; i < 4; i++)
			ASSERT_EQ(0, pthread_create(&threads[i], NULL,
						    racing_writer, &fd));
		for (int i = 0; i < 4; i++) {
			ASSERT_EQ(0, pthread_join(threads[i], &odd));
			ASSERT_EQ(NULL, odd);
		}
		/* The verdict, if any, is one of the two kinds. */
		if (read(fd, verdict, sizeof(verdict) - 1) > 0)
			ASSERT_TRUE(!strncmp(verdict, "accepted ", 9) ||
				    !strncmp(verdict, "refused ", 8));
		close(fd);
	}
	ASSERT_UNCHANGED(self->before);
}

TEST_HARNESS_MAIN
