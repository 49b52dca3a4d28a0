// SPDX-License-Identifier: GPL-2.0-only
/*
 * hnbtre-distress: the distress communication function (TS 33.320 7.12,
 * Documentation/distress.md).
 *
 * Started by the TrE when secure start-up fails, it tells the
 * pre-designated network entity who the device is and what failed, with
 * the TrE's signed attestation of the failed state.  Statically linked
 * and stored apart from the normal code with everything it needs: its
 * configuration (address, transport, authentication), trust anchor and
 * credentials sit next to it and are distress components of the manifest.
 */
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "distress.h"

/* To syslog and stderr: the TrE starts us with neither guaranteed. */
void say(int priority, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsyslog(priority, fmt, ap);
	va_end(ap);
	va_start(ap, fmt);
	fputs("hnbtre-distress: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static void usage(FILE *out)
{
	fputs("usage: hnbtre-distress [--config FILE] [--started-by-tre]\n"
	      "                       [--reason certificate-expired|certificate-revoked]\n"
	      "  FILE defaults to distress.conf next to the program\n"
	      "  --reason: the device certificate failed (the TR-069 agent found it);\n"
	      "  reported also while the TrE is trusted\n", out);
}

int main(int argc, char **argv)
{
	char config_file[PATH_MAX], self[PATH_MAX];
	struct hnbtre_distress_msg msg = { 0 };
	struct config c = { 0 };
	const char *credential_failure = NULL;
	uint8_t *frame = NULL;
	size_t len = 0;
	ssize_t n;
	int i, ret;

	openlog("hnbtre-distress", LOG_PID, LOG_DAEMON);
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	self[n > 0 ? n : 0] = '\0';
	snprintf(config_file, sizeof(config_file), "%s/distress.conf",
		 dirname(self));
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--config") && i + 1 < argc) {
			snprintf(config_file, sizeof(config_file), "%s",
				 argv[++i]);
		} else if (!strcmp(argv[i], "--reason") && i + 1 < argc &&
			   (!strcmp(argv[i + 1], "certificate-expired") ||
			    !strcmp(argv[i + 1], "certificate-revoked"))) {
			credential_failure = argv[++i] + strlen("certificate-");
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		} else if (strcmp(argv[i], "--started-by-tre")) {
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (load_config(config_file, &c))
		return EXIT_USAGE;
	ret = collect(&c, credential_failure, &msg);
	if (ret == EXIT_NOTHING) {
		say(LOG_NOTICE, "the TrE is %s: nothing to report", msg.state);
	} else if (!ret && hnbtre_distress_tre_failed(&msg)) {
		say(LOG_ERR, "the TrE itself failed its check: not running");
		ret = EXIT_TRE_FAILED;
	} else if (ret || build_frame(&c, &msg, &frame, &len)) {
		say(LOG_ERR, "cannot build the distress indication");
		ret = EXIT_USAGE;
	} else {
		ret = deliver(&c, frame, len);
		if (ret == EXIT_REPLACE_RECEIVED)
			ret = replace_image(&c);
	}
	free(frame);
	hnbtre_distress_free(&msg);
	return ret;
}
