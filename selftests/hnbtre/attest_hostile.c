// SPDX-License-Identifier: GPL-2.0-only
/*
 * attest_hostile [WRITES]: hostile use of securityfs "attest" (default
 * 10000 writes): random sizes around the 16..64 limits, bad pointers,
 * partial and offset reads, writers interleaved on shared and private file
 * descriptors from several threads.  Prints TAP: only documented errnos,
 * every blob well formed and carrying the nonce written on its fd, the TrE
 * state unchanged.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/hnbtre.h>

#define SFS		HNBTRE_SECURITYFS_PATH "/"
#define THREADS		4
#define SHARED_FDS	2

static int shared_fd[SHARED_FDS];
/* An unmapped address the compiler cannot see through. */
static void *volatile unmapped = (void *)8;
static atomic_int writes_left;
static atomic_int bad_errno, bad_blob, blobs, refused;

static void note_errno(int err, const char *op)
{
	if (err != EINVAL && err != ENODATA && err != EFAULT) {
		fprintf(stderr, "# %s: unexpected %s\n", op, strerrorname_np(err));
		atomic_fetch_add(&bad_errno, 1);
	}
	atomic_fetch_add(&refused, 1);
}

/* A whole blob read on a private fd must carry the nonce written there. */
static void check_blob(const unsigned char *blob, ssize_t len,
		       const unsigned char *nonce, size_t nonce_len)
{
	if (len < HNBTRE_ATTEST_HEADER_SIZE ||
	    memcmp(blob, HNBTRE_ATTEST_MAGIC, HNBTRE_ATTEST_MAGIC_LEN) ||
	    blob[152] != nonce_len ||
	    memcmp(blob + HNBTRE_ATTEST_HEADER_SIZE, nonce, nonce_len)) {
		fprintf(stderr, "# malformed blob of %zd bytes\n", len);
		atomic_fetch_add(&bad_blob, 1);
	}
	atomic_fetch_add(&blobs, 1);
}

static void *hammer(void *arg)
{
	unsigned int seed = (unsigned long)arg;
	unsigned char buf[200], nonce[64], blob[4096];
	size_t nonce_len = 0;
	int own = open(SFS "attest", O_RDWR);

	if (own < 0) {
		perror("# open attest");
		atomic_fetch_add(&bad_errno, 1);
		return NULL;
	}
	while (atomic_fetch_sub(&writes_left, 1) > 0) {
		int pick = rand_r(&seed) % 100;
		int fd = pick < 30 ? shared_fd[pick % SHARED_FDS] : own;
		size_t size = rand_r(&seed) % 80;
		ssize_t n;

		if (pick < 3)
			size = 16 + rand_r(&seed) % 49;
		for (size_t i = 0; i < size; i++)
			buf[i] = rand_r(&seed);
		if (pick == 99)
			n = write(fd, unmapped, 32);
		else
			n = write(fd, buf, size);
		if (n < 0) {
			note_errno(errno, "write");
		} else if ((size_t)n != size) {
			fprintf(stderr, "# short write %zd of %zu\n", n, size);
			atomic_fetch_add(&bad_errno, 1);
		} else if (fd == own) {
			memcpy(nonce, buf, size);
			nonce_len = size;
		}
		/* Reads sign: a few per hundred writes keep the run short. */
		if (rand_r(&seed) % 100 < 4) {
			off_t off = rand_r(&seed) % 2 ? 0 : rand_r(&seed) % 600;

			n = pread(fd, blob, rand_r(&seed) % 2 ?
				  sizeof(blob) : 1 + rand_r(&seed) % 300, off);
			if (n < 0)
				note_errno(errno, "read");
			n = pread(own, blob, sizeof(blob), 0);
			if (n < 0)
				note_errno(errno, "read");
			else if (nonce_len)
				check_blob(blob, n, nonce, nonce_len);
		}
		if (pick == 50) {
			n = read(fd, unmapped, 64);
			if (n < 0)
				note_errno(errno, "read");
		}
	}
	close(own);
	return NULL;
}

static int read_state(char *state, size_t size)
{
	int fd = open(SFS "state", O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, state, size - 1);

	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return -1;
	state[n] = '\0';
	return 0;
}

int main(int argc, char **argv)
{
	int writes = argc > 1 ? atoi(argv[1]) : 10000;
	char before[32], after[32];
	pthread_t threads[THREADS];
	int i;

	printf("TAP version 13\n1..3\n");
	if (read_state(before, sizeof(before))) {
		printf("not ok 1 - hostile writes # cannot read the state\n");
		return 1;
	}
	for (i = 0; i < SHARED_FDS; i++) {
		shared_fd[i] = open(SFS "attest", O_RDWR);
		if (shared_fd[i] < 0) {
			perror("# open attest");
			return 1;
		}
	}
	atomic_store(&writes_left, writes);
	for (i = 0; i < THREADS; i++)
		pthread_create(&threads[i], NULL, hammer,
			       (void *)(unsigned long)(i + 1));
	for (i = 0; i < THREADS; i++)
		pthread_join(threads[i], NULL);
	for (i = 0; i < SHARED_FDS; i++)
		close(shared_fd[i]);

	printf("%s 1 - %d hostile writes (%d refused): only EINVAL, ENODATA, EFAULT\n",
	       atomic_load(&bad_errno) ? "not ok" : "ok", writes,
	       atomic_load(&refused));
	printf("%s 2 - %d blobs read back, each well formed with its fd's nonce\n",
	       atomic_load(&bad_blob) || !atomic_load(&blobs) ? "not ok" : "ok",
	       atomic_load(&blobs));
	if (read_state(after, sizeof(after)) || strcmp(before, after)) {
		printf("not ok 3 - state unchanged\n");
		return 1;
	}
	printf("ok 3 - state unchanged (%.*s)\n", (int)strcspn(after, "\n"),
	       after);
	return atomic_load(&bad_errno) || atomic_load(&bad_blob);
}
