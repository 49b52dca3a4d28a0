// SPDX-License-Identifier: GPL-2.0-only
/*
 * gate_bench GATED STOCK [ROUNDS]: times keyctl pkey_sign on the gated
 * device key against the same RSA key loaded by the stock pkcs8 parser, and
 * one attestation (open, write nonce, read blob) against one gated sign.
 * Rounds alternate the three operations, in reverse order every other round;
 * each figure is the median of the per-round means.  Used by scripts/bench-gate,
 * built by `make bench` into build/bin/hnbtre-gate-bench.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/hnbtre.h>
#include <linux/keyctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define PER_ROUND 2

static unsigned char digest[32], sig[512], blob[4096];

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static const char info[] = "enc=pkcs1 hash=sha256";

/* The kernel wants out_len no larger than the key's signature size. */
static unsigned int sig_size(long key)
{
	struct keyctl_pkey_query query;

	if (syscall(SYS_keyctl, KEYCTL_PKEY_QUERY, key, 0, info, &query) < 0)
		return 0;
	return query.max_sig_size;
}

static int sign(long key, unsigned int out_len)
{
	struct keyctl_pkey_params params = {
		.key_id = key,
		.in_len = sizeof(digest),
		.out_len = out_len,
	};

	return syscall(SYS_keyctl, KEYCTL_PKEY_SIGN, &params,
		       info, digest, sig) < 0 ? -1 : 0;
}

static int attest(void)
{
	int fd = open(HNBTRE_SECURITYFS_PATH "/attest", O_RDWR);
	int ok = fd >= 0 && write(fd, digest, sizeof(digest)) == sizeof(digest) &&
		 read(fd, blob, sizeof(blob)) > 0;

	if (fd >= 0)
		close(fd);
	return ok ? 0 : -1;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp);
	return v[n / 2];
}

int main(int argc, char **argv)
{
	int rounds = argc > 3 ? atoi(argv[3]) : 100, r, i, k;
	long gated, stock;
	unsigned int gated_len, stock_len;
	double *g, *s, *a, t;

	if (argc < 3 || rounds < 1)
		return 2;
	gated = strtol(argv[1], NULL, 0);
	stock = strtol(argv[2], NULL, 0);
	gated_len = sig_size(gated);
	stock_len = sig_size(stock);
	g = calloc(rounds, sizeof(*g));
	s = calloc(rounds, sizeof(*s));
	a = calloc(rounds, sizeof(*a));
	if (!g || !s || !a)
		return 2;
	/* Odd rounds run the operations in reverse order (ABC CBA ...). */
	for (r = 0; r < rounds; r++) {
		for (k = 0; k < 3; k++) {
			int op = r % 2 ? 2 - k : k, err = 0;

			t = now_us();
			for (i = 0; i < PER_ROUND && !err; i++)
				err = op == 0 ? sign(gated, gated_len) :
				      op == 1 ? sign(stock, stock_len) : attest();
			if (err) {
				perror(op == 0 ? "gated sign" :
				       op == 1 ? "stock sign" : "attest");
				return 1;
			}
			(op == 0 ? g : op == 1 ? s : a)[r] = (now_us() - t) / PER_ROUND;
		}
	}
	double mg = median(g, rounds), ms = median(s, rounds),
	       ma = median(a, rounds);

	printf("gated sign / stock pkcs8 sign: %.3f  (goal <= 1.05; %.0f us vs %.0f us)\n",
	       mg / ms, mg, ms);
	printf("attestation / gated sign: %.3f  (goal <= 1.10; %.0f us vs %.0f us)\n",
	       ma / mg, ma, mg);
	printf("# medians of %d rounds of %d operations each, RSA-2048 PKCS#1 v1.5 SHA-256\n",
	       rounds, PER_ROUND);
	return 0;
}
