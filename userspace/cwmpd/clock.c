// SPDX-License-Identifier: GPL-2.0-only
/*
 * The last known-good time (Documentation/tr069.md, "Time"): the device
 * does not wait for an accurate clock, but a clock that is behind (reset
 * to the epoch, a dead RTC battery) must not make expired or revoked
 * certificates look acceptable, nor valid ones look "not yet valid".
 * After each authenticated session the agent persists the latest time it
 * has reason to believe (its clock, the ACS's Date, the OCSP producedAt);
 * at start a clock behind that time is set forward to it, and
 * certificates and OCSP responses are always checked against at least it.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cwmpd.h"
#include "hnbtre.h"

#define CLOCK_FILE	"known-good-time"
/*
 * How far past the device's own clock the ACS's Date (or an OCSP
 * producedAt) may move the known-good time: a clock that drifted a
 * little is caught up, while an ACS whose time is years ahead cannot
 * make every certificate look expired at the next start.
 */
#define CLOCK_MAX_STEP	(24 * 3600)

/* The persisted time, 0 without one (a bad file is reported, then 0). */
static time_t clock_read(const char *state_dir)
{
	char path[4096], *text = NULL, *end;
	unsigned long long t;
	size_t len;
	int ret;

	snprintf(path, sizeof(path), "%s/" CLOCK_FILE, state_dir);
	ret = hnbtre_read_file(path, 32, (uint8_t **)&text, &len);
	if (ret) {
		if (ret != -ENOENT)
			say("%s: %s", path, strerror(-ret));
		return 0;
	}
	errno = 0;
	t = strtoull(text, &end, 10);
	if (errno || end == text || strcmp(end, "\n") || t > INT64_MAX) {
		say("%s: not a time in seconds since the epoch: ignored", path);
		t = 0;
	}
	free(text);
	return (time_t)t;
}

time_t clock_restore(const char *state_dir)
{
	time_t floor = clock_read(state_dir), now = time(NULL);
	struct timespec ts = { .tv_sec = floor };

	if (floor <= now)
		return floor;
	if (clock_settime(CLOCK_REALTIME, &ts))
		say("clock %jd is behind the last known-good time %jd and cannot be set (%s): "
		    "checking certificates against %jd", (intmax_t)now, (intmax_t)floor,
		    strerror(errno), (intmax_t)floor);
	else
		say("clock %jd was behind the last known-good time: set to %jd",
		    (intmax_t)now, (intmax_t)floor);
	return floor;
}

time_t clock_trusted_now(time_t floor)
{
	time_t now = time(NULL);

	return now > floor ? now : floor;
}

void clock_record(const char *state_dir, time_t seen)
{
	time_t t = clock_trusted_now(clock_read(state_dir)), now = time(NULL);
	char path[4096], text[32];
	int ret;

	if (seen > now + CLOCK_MAX_STEP) {
		say("the ACS's time %jd is more than %d s ahead of the clock %jd: "
		    "the known-good time moves to %jd at most", (intmax_t)seen,
		    CLOCK_MAX_STEP, (intmax_t)now, (intmax_t)(now + CLOCK_MAX_STEP));
		seen = now + CLOCK_MAX_STEP;
	}
	if (seen > t)
		t = seen;
	snprintf(path, sizeof(path), "%s/" CLOCK_FILE, state_dir);
	snprintf(text, sizeof(text), "%jd\n", (intmax_t)t);
	ret = hnbtre_write_atomic(path, text, strlen(text));
	if (ret)
		say("%s: %s", path, strerror(-ret));
}
