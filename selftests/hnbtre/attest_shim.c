// SPDX-License-Identifier: GPL-2.0-only
/*
 * attest_shim.so: the attacker of the ike_ and tr069_forge selftests.
 * Preloaded into the device's charon before the hnbtre plugin, or into
 * hnbtre-cwmpd, it interposes hnbtre_attest(), so that what goes into the
 * attestation Notify or the Inform is what an attacker on the device
 * would send; charon, the plugin on both ends, the agent, the H(e)MS and
 * the TrE stay the real ones.  The mode is read from the file named by
 * ATTEST_SHIM_CTL at each call (no restart between cases):
 *
 *   pass             the TrE's blob unchanged (also: no or empty file)
 *   capture FILE     the TrE's blob, and a copy of it into FILE
 *   replay FILE      the contents of FILE, whatever the nonce
 *   truncate         the TrE's blob cut in half
 *   oversize         the TrE's blob followed by 5000 zero bytes
 *   trailing         the TrE's blob followed by one byte
 *   badsig           the TrE's blob with the last signature byte flipped
 *   wrongtype        the TrE's blob under another format identifier
 *   badstate         the TrE's blob with an undefined state byte
 *   random           600 random bytes
 *   filter COMMAND   the TrE's blob through COMMAND (sh -c, without
 *                    LD_PRELOAD): the blob on its stdin, the attestation from
 *                    its stdout; what a forger in charon or the agent
 *                    sends, made from this SA's or session's genuine blob
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <linux/hnbtre.h>

#define CTL_MAX		512
#define FILE_MAX	4096

/* libhnbtre's prototype (userspace/include/hnbtre.h); selftests stand alone. */
typedef int attest_fn(const uint8_t *nonce, size_t nonce_len, uint8_t **blob,
		      size_t *len);

static int read_all(const char *path, uint8_t *buf, size_t max, size_t *len)
{
	FILE *f = fopen(path, "r");

	if (!f)
		return -errno;
	*len = fread(buf, 1, max, f);
	fclose(f);
	return 0;
}

/*
 * @blob through "sh -c @command", its output in place of it.  The
 * environment of the command lacks LD_PRELOAD: the plugin and this shim
 * belong in charon only.
 */
static int filter(const char *command, uint8_t **blob, size_t *len)
{
	char in[] = "/tmp/attest_shim.in.XXXXXX";
	char out[] = "/tmp/attest_shim.out.XXXXXX";
	char **envp;
	size_t n = 0, i;
	int fd_in, fd_out, status, err = -EIO;
	pid_t pid;

	while (environ[n])
		n++;
	envp = calloc(n + 1, sizeof(*envp));
	fd_in = mkstemp(in);
	fd_out = mkstemp(out);
	if (!envp || fd_in < 0 || fd_out < 0 ||
	    write(fd_in, *blob, *len) != (ssize_t)*len ||
	    lseek(fd_in, 0, SEEK_SET))
		goto out;
	for (i = n = 0; environ[i]; i++)
		if (strncmp(environ[i], "LD_PRELOAD=", 11))
			envp[n++] = environ[i];
	pid = fork();
	if (!pid) {
		if (dup2(fd_in, 0) < 0 || dup2(fd_out, 1) < 0)
			_exit(127);
		execle("/bin/sh", "sh", "-c", command, (char *)NULL, envp);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid ||
	    !WIFEXITED(status) || WEXITSTATUS(status))
		goto out;
	free(*blob);
	*blob = malloc(FILE_MAX);
	err = *blob ? read_all(out, *blob, FILE_MAX, len) : -ENOMEM;
out:
	if (fd_in >= 0) {
		close(fd_in);
		unlink(in);
	}
	if (fd_out >= 0) {
		close(fd_out);
		unlink(out);
	}
	free(envp);
	return err;
}

static int grow(uint8_t **blob, size_t *len, size_t extra)
{
	uint8_t *p = realloc(*blob, *len + extra);

	if (!p)
		return -ENOMEM;
	memset(p + *len, 0, extra);
	*blob = p;
	*len += extra;
	return 0;
}

int hnbtre_attest(const uint8_t *nonce, size_t nonce_len, uint8_t **blob,
		  size_t *len)
{
	attest_fn *real = (attest_fn *)dlsym(RTLD_NEXT, "hnbtre_attest");
	char ctl[CTL_MAX] = "pass", *arg;
	const char *ctl_path = getenv("ATTEST_SHIM_CTL");
	size_t ctl_len = 0;
	FILE *f;
	int err;

	if (ctl_path && !read_all(ctl_path, (uint8_t *)ctl, sizeof(ctl) - 1,
				  &ctl_len) && ctl_len) {
		ctl[ctl_len] = '\0';
		ctl[strcspn(ctl, "\n")] = '\0';
	}
	arg = strchr(ctl, ' ');
	if (arg)
		*arg++ = '\0';
	fprintf(stderr, "attest_shim: %s\n", ctl);

	if (!strcmp(ctl, "replay") && arg) {
		*blob = malloc(FILE_MAX);
		if (!*blob)
			return -ENOMEM;
		return read_all(arg, *blob, FILE_MAX, len);
	}
	if (!strcmp(ctl, "random")) {
		*len = 600;
		*blob = malloc(*len);
		if (!*blob)
			return -ENOMEM;
		return getrandom(*blob, *len, 0) == (ssize_t)*len ? 0 : -EIO;
	}
	if (!real)
		return -ELIBACC;	/* the real hnbtre_attest() is not there */
	err = real(nonce, nonce_len, blob, len);
	if (err)
		return err;
	if (!strcmp(ctl, "capture") && arg) {
		f = fopen(arg, "w");
		if (!f || fwrite(*blob, 1, *len, f) != *len)
			err = -EIO;
		if (f && fclose(f))
			err = -EIO;
	} else if (!strcmp(ctl, "filter") && arg) {
		err = filter(arg, blob, len);
	} else if (!strcmp(ctl, "truncate")) {
		*len /= 2;
	} else if (!strcmp(ctl, "oversize")) {
		err = grow(blob, len, 5000);
	} else if (!strcmp(ctl, "trailing")) {
		err = grow(blob, len, 1);
	} else if (!strcmp(ctl, "badsig")) {
		(*blob)[*len - 1] ^= 0x01;
	} else if (!strcmp(ctl, "wrongtype")) {
		/* Another format's magic. */
		memcpy(*blob, HNBTRE_DEVKEY_MAGIC, HNBTRE_DEVKEY_MAGIC_LEN);
	} else if (!strcmp(ctl, "badstate")) {
		(*blob)[HNBTRE_ATTEST_OFF_STATE] = 0x7f;
	}
	if (err) {
		free(*blob);
		*blob = NULL;
	}
	return err;
}
