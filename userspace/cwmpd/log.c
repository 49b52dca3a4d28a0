// SPDX-License-Identifier: GPL-2.0-only
/*
 * hnbtre-cwmpd's log: one line per event on stderr (the service's
 * journal), the commands it runs among them.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "cwmpd.h"

void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "hnbtre-cwmpd: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

int run_command(const char *what, const char *cmd)
{
	say("%s: %s", what, cmd);
	return system(cmd) == 0 ? 0 : -1;
}
