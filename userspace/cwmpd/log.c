// SPDX-License-Identifier: GPL-2.0-only
/* hnbtre-cwmpd's log: one line per event on stderr (the service's journal). */
#include <stdarg.h>
#include <stdio.h>

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
