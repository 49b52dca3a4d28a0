// SPDX-License-Identifier: GPL-2.0-only
/*
 * validate_race SFS FILE write|rename|xattr ROUNDS [from-trusted]: race one
 * change of FILE (a component of the active manifest, trusted as it is)
 * against `echo 1 > SFS/validate`, ROUNDS times, and check after each round
 * that the state is not "trusted" while FILE's bytes differ from the
 * original.  With from-trusted, each round starts from a trusted state (one
 * validation before the raced one), so a change during the raced
 * validation is a trusted -> tampered transition that the validation ends.
 *
 * write: overwrite the first byte in place (refused with ETXTBSY once the
 * validation holds the file: counted, and the change steered earlier);
 * rename: rename a different
 * file over FILE; xattr: remove security.ima (the bytes stay, so a
 * "trusted" verdict is checked against the signature instead).  The
 * change is delayed so that it lands at the end of the validation: the
 * delay is steered by the outcomes, later after "failed" (the change was
 * seen during hashing), earlier after "tampered" (it came after the
 * commit), so most rounds hit the commit itself.
 *
 * Prints one line: rounds, outcomes, violations; exits 1 on a violation.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>
#include <linux/hnbtre.h>

static const char *const state_names[HNBTRE_STATE_COUNT] = HNBTRE_STATE_NAMES;
static const char *sfs, *file, *mode;
static char *orig, tmp_path[4096];
static size_t orig_len;
static char sig[1024];
static ssize_t sig_len;
static long delay_ns;
static int from_trusted;
static pthread_barrier_t start;
static int refused;

static long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

static void die(const char *what)
{
	fprintf(stderr, "validate_race: %s: %s\n", what, strerror(errno));
	exit(2);
}

static void put_file(const char *path, const char *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd < 0 || write(fd, data, len) != (ssize_t)len)
		die(path);
	if (fsetxattr(fd, "security.ima", sig, sig_len, 0))
		die("fsetxattr");
	close(fd);
}

/* FILE as signed, on a new inode: events of the last round are done. */
static void restore(void)
{
	put_file(tmp_path, orig, orig_len);
	if (rename(tmp_path, file))
		die("rename");
}

static void change(void)
{
	char *evil;
	int fd;

	if (!strcmp(mode, "write")) {
		fd = open(file, O_WRONLY);
		if (fd < 0 && errno == ETXTBSY) {
			refused = 1;
			return;
		}
		if (fd < 0 || pwrite(fd, orig[0] == 'X' ? "Y" : "X", 1, 0) != 1)
			die("pwrite");
		close(fd);
	} else if (!strcmp(mode, "rename")) {
		evil = strdup(orig);
		evil[0] = orig[0] == 'X' ? 'Y' : 'X';
		put_file(tmp_path, evil, orig_len);
		free(evil);
		if (rename(tmp_path, file))
			die("rename");
	} else if (removexattr(file, "security.ima")) {
		die("removexattr");
	}
}

static void *changer(void *arg)
{
	long until;

	pthread_barrier_wait(&start);
	until = now_ns() + delay_ns;
	while (now_ns() < until)
		;
	change();
	return NULL;
}

static int validate(void)
{
	char path[4096];
	int fd, ret;

	snprintf(path, sizeof(path), "%s/validate", sfs);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		die(path);
	ret = write(fd, "1", 1) == 1 ? 0 : -errno;
	close(fd);
	return ret;
}

static void state(char *buf, size_t size)
{
	char path[4096];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/state", sfs);
	fd = open(path, O_RDONLY);
	n = fd < 0 ? -1 : read(fd, buf, size - 1);
	if (n <= 0)
		die(path);
	close(fd);
	buf[n - 1] = 0;
}

/* The bytes and the signature at FILE are still the original ones. */
static int unchanged(void)
{
	char *now = malloc(orig_len + 1), xattr[1024];
	ssize_t n, x;
	int fd;

	fd = open(file, O_RDONLY);
	if (fd < 0 || !now)
		die(file);
	n = read(fd, now, orig_len + 1);
	close(fd);
	x = getxattr(file, "security.ima", xattr, sizeof(xattr));
	n = n == (ssize_t)orig_len && !memcmp(now, orig, orig_len) &&
	    x == sig_len && !memcmp(xattr, sig, sig_len);
	free(now);
	return n;
}

int main(int argc, char **argv)
{
	long rounds, i, t0, step;
	long trusted = 0, failed = 0, tampered = 0, violations = 0;
	long refusals = 0;
	struct stat st;
	pthread_t thread;
	char s[32];
	int fd;

	if (argc != 5 && !(argc == 6 && !strcmp(argv[5], "from-trusted")))
		return 2;
	from_trusted = argc == 6;
	sfs = argv[1];
	file = argv[2];
	mode = argv[3];
	rounds = atol(argv[4]);
	snprintf(tmp_path, sizeof(tmp_path), "%s.race", file);
	fd = open(file, O_RDONLY);
	if (fd < 0 || fstat(fd, &st))
		die(file);
	orig_len = st.st_size;
	orig = malloc(orig_len + 1);
	if (!orig || read(fd, orig, orig_len) != (ssize_t)orig_len)
		die(file);
	close(fd);
	sig_len = getxattr(file, "security.ima", sig, sizeof(sig));
	if (sig_len <= 0)
		die("getxattr");

	/*
	 * Start at the duration of an undisturbed validation.  The inode
	 * that restore() replaced may still be dropped (a change) during the
	 * first one: try a few times.
	 */
	restore();
	for (i = 0; i < 10; i++) {
		usleep(100000);
		t0 = now_ns();
		if (validate())
			die("validate");
		delay_ns = now_ns() - t0;
		state(s, sizeof(s));
		if (!strcmp(s, state_names[HNBTRE_STATE_TRUSTED]))
			break;
	}
	step = delay_ns / 20 + 1;
	if (strcmp(s, state_names[HNBTRE_STATE_TRUSTED])) {
		fprintf(stderr, "validate_race: not trusted to begin with: %s\n", s);
		return 2;
	}

	for (i = 0; i < rounds; i++) {
		restore();
		if (from_trusted && validate())
			die("validate");
		refused = 0;
		pthread_barrier_init(&start, NULL, 2);
		if (pthread_create(&thread, NULL, changer, NULL))
			die("pthread_create");
		pthread_barrier_wait(&start);
		if (validate())
			die("validate");
		pthread_join(thread, NULL);
		pthread_barrier_destroy(&start);
		state(s, sizeof(s));
		if (refused) {
			refusals++;
			delay_ns = delay_ns > step ? delay_ns - step : 0;
		}
		if (!strcmp(s, state_names[HNBTRE_STATE_TRUSTED])) {
			trusted++;
			if (!unchanged()) {
				violations++;
				fprintf(stderr, "round %ld: trusted over a changed %s\n",
					i, file);
			}
		} else if (!strcmp(s, state_names[HNBTRE_STATE_FAILED])) {
			failed++;
			delay_ns += step;
		} else {
			tampered++;
			delay_ns = delay_ns > step ? delay_ns - step : 0;
		}
	}
	printf("%s: %ld rounds: %ld trusted, %ld failed, %ld tampered, %ld writes refused; %ld trusted over changed bytes\n",
	       mode, rounds, trusted, failed, tampered, refusals, violations);
	return violations ? 1 : 0;
}
