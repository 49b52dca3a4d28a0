// SPDX-License-Identifier: GPL-2.0-only
/*
 * acs_date_shim.so: an ACS whose HTTP Date is not its clock.  Preloaded
 * into hnbtre-hems by tr069_tls_test.sh, it interposes libevent's
 * evutil_date_rfc1123(), with which evhttp stamps every response, and
 * writes the time ACS_DATE_OFFSET seconds (signed) away from the one
 * asked for.  Nothing else of the H(e)MS changes: its TLS, its
 * certificate checks and its clock stay the real ones.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <time.h>
#include <event2/util.h>

int evutil_date_rfc1123(char *date, const size_t datelen, const struct tm *tm)
{
	const char *offset = getenv("ACS_DATE_OFFSET");
	struct tm copy, shifted;
	time_t t;

	if (tm) {
		copy = *tm;
		t = timegm(&copy);
	} else {
		t = time(NULL);
	}
	t += offset ? strtoll(offset, NULL, 10) : 0;
	if (!gmtime_r(&t, &shifted))
		return -1;
	return (int)strftime(date, datelen, "%a, %d %b %Y %H:%M:%S GMT", &shifted);
}
