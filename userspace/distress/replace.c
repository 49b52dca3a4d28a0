// SPDX-License-Identifier: GPL-2.0-only
/*
 * hnbtre-distress: replacement of the normal code image offered by the
 * pre-designated entity (TS 33.320 7.12.4).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/reboot.h>
#include <syslog.h>
#include <unistd.h>

#include "distress.h"
#include "hnbtre_pkg_install.h"

/*
 * The package after "REPLACE <length>\n" into c->replacement: streamed,
 * never more than the configured maximum, fsync'ed.
 */
int receive_replacement(const struct config *c, struct channel *ch,
			       const char *line, const uint8_t *rest,
			       size_t rest_len, const char **why)
{
	unsigned long long length;
	uint8_t buf[65536];
	char *end;
	ssize_t n;
	int fd;

	*why = "bad REPLACE line";
	errno = 0;
	length = strtoull(line + 8, &end, 10);
	if (line[7] != ' ' || errno || *end || !length ||
	    length > (unsigned long long)c->replacement_max_mb << 20 ||
	    rest_len > length)
		return -1;
	*why = "cannot store the replacement";
	fd = open(c->replacement, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
		  0600);
	if (fd < 0)
		return -1;
	if (write(fd, rest, rest_len) != (ssize_t)rest_len)
		goto fail;
	for (length -= rest_len; length; length -= (size_t)n) {
		n = channel_read(ch, buf, length < sizeof(buf) ?
				 (size_t)length : sizeof(buf));
		if (n <= 0) {
			*why = "replacement truncated";
			goto fail;
		}
		if (write(fd, buf, (size_t)n) != n)
			goto fail;
	}
	if (fsync(fd))
		goto fail;
	close(fd);
	return 0;
fail:
	close(fd);
	unlink(c->replacement);
	return -1;
}

/*
 * 7.12.4: the TrE verifies the package, the image and its reference
 * values are replaced atomically, the TrE re-validates, then reboot.
 */
int replace_image(const struct config *c)
{
	struct hnbtre_install_opts opts = {
		.root = c->install_root,
		.roots_pem = c->package_roots,
		.use_tre = 1,
		.full_image = 1,
	};
	struct hnbtre_install_result result;
	char err[HNBTRE_ERR_LEN] = "";
	int ret;

	ret = hnbtre_pkg_install(c->replacement, &opts, &result, err);
	unlink(c->replacement);
	if (ret || !result.installed) {
		say(LOG_ERR, "replacement refused: %s", err);
		return EXIT_REJECTED;
	}
	say(LOG_NOTICE, "normal code image replaced by version %s (TrE: %s)",
	    result.version, result.tre_verdict);
	sync();
	if (!c->reboot)
		return EXIT_REPLACED;
	say(LOG_NOTICE, "rebooting: secure start-up decides");
	reboot(RB_AUTOBOOT);
	say(LOG_ERR, "reboot failed: %m");
	return EXIT_REPLACED;
}
