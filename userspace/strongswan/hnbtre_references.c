/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "hnbtre_references.h"

#include <string.h>

#include <sqlite3.h>

/* How long a read waits for the H(e)MS's write transaction. */
#define STORE_BUSY_MS	2000

/*
 * Described in header
 */
char *hnbtre_references_read(const char *path, const char *identity, size_t len,
							 struct hnbtre_references *refs)
{
	char *reason = "no device with this identity in the reference store";
	sqlite3_stmt *st = NULL;
	sqlite3 *db = NULL;
	const char *rim, *expected, *state, *status;

	memset(refs, 0, sizeof(*refs));
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
		sqlite3_busy_timeout(db, STORE_BUSY_MS) != SQLITE_OK ||
		sqlite3_prepare_v2(db, "SELECT rim, expected_rim, expected_state, status "
						   "FROM devices WHERE identity = ?", -1, &st,
						   NULL) != SQLITE_OK)
	{
		reason = "reference store unreadable";
		goto out;
	}
	sqlite3_bind_text(st, 1, identity, (int)len, SQLITE_TRANSIENT);
	if (sqlite3_step(st) != SQLITE_ROW)
	{
		goto out;
	}
	rim = (const char*)sqlite3_column_text(st, 0);
	expected = (const char*)sqlite3_column_text(st, 1);
	state = (const char*)sqlite3_column_text(st, 2);
	status = (const char*)sqlite3_column_text(st, 3);
	refs->has_rim = rim && hnbtre_parse_digest(rim, refs->rim);
	/* a package the operator's H(e)MS sent: the device may come back with
	 * it before the H(e)MS has verified it (its sessions run through us) */
	refs->has_expected = expected && state &&
						 (!strcmp(state, "sent") || !strcmp(state, "installed")) &&
						 hnbtre_parse_digest(expected, refs->expected);
	refs->maintenance = status && !strcmp(status, "maintenance");
	reason = refs->has_rim || refs->has_expected ? NULL :
			 "no reference RIM for this identity";
out:
	sqlite3_finalize(st);
	sqlite3_close(db);
	return reason;
}
