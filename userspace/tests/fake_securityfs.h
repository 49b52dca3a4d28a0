/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A stand-in for /sys/kernel/security/hnbtre on the host: DIR/sfs with a
 * trusted TrE, manifest version 7, one ok and one missing component;
 * libhnbtre reads it through HNBTRE_SECURITYFS.  Used by the agent's host
 * test and its fuzz target.
 */
#ifndef FAKE_SECURITYFS_H
#define FAKE_SECURITYFS_H

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "hnbtre.h"

#define FAKE_DIGEST "sha256:6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b"

static inline int fake_securityfs_put(const char *dir, const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/sfs/%s", dir, name);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

/* The state as "state" and "status" say it, the rest unchanged. */
static inline int fake_securityfs_state(const char *dir, const char *state)
{
	char line[32], status[512];

	snprintf(line, sizeof(line), "%s\n", state);
	snprintf(status, sizeof(status),
		 "state %s\nvalidations 1\nversion 7\nrim " FAKE_DIGEST
		 "\ntim " FAKE_DIGEST "\npending 0\nok 1\nunsigned 0\n"
		 "badsig 0\nmismatch 0\nmissing 1\n", state);
	return fake_securityfs_put(dir, "state", line) ||
	       fake_securityfs_put(dir, "status", status) ? -1 : 0;
}

static inline int fake_securityfs(const char *dir)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/sfs", dir);
	if (mkdir(path, 0700) || setenv("HNBTRE_SECURITYFS", path, 1))
		return -1;
	return fake_securityfs_state(dir, hnbtre_state_name(HNBTRE_STATE_TRUSTED)) ||
	       fake_securityfs_put(dir, "tim", FAKE_DIGEST "\n") ||
	       fake_securityfs_put(dir, "rim", FAKE_DIGEST "\n") ||
	       fake_securityfs_put(dir, "identity", "0005B9-0000000001\n") ||
	       fake_securityfs_put(dir, "manifest",
				   HNBTRE_MANIFEST_HEADER "version 7\n/a " FAKE_DIGEST " normal\n") ||
	       fake_securityfs_put(dir, "components",
				   "ok /a " FAKE_DIGEST " normal\nmissing /b sha256:- normal\n") ? -1 : 0;
}

#endif
