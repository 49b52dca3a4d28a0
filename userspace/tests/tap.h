/* SPDX-License-Identifier: GPL-2.0-only */
/* Minimal TAP 13 output for the host unit tests. */
#ifndef HNBTRE_TAP_H
#define HNBTRE_TAP_H

#include <stdio.h>

static int tap_count, tap_failed;

#define tap_plan(n) printf("TAP version 13\n1..%d\n", (n))

#define tap_ok(cond, ...)						\
	do {								\
		int ok_ = !!(cond);					\
		printf("%sok %d - ", ok_ ? "" : "not ", ++tap_count);	\
		printf(__VA_ARGS__);					\
		printf("\n");						\
		if (!ok_) {						\
			tap_failed++;					\
			printf("# failed at %s:%d: %s\n", __FILE__,	\
			       __LINE__, #cond);			\
		}							\
	} while (0)

#define tap_done() (tap_failed ? 1 : 0)

#endif
