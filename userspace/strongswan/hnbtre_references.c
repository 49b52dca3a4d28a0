/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "hnbtre_references.h"

#include <string.h>

#include <libpq-fe.h>
#include <sqlite3.h>

/* How long a read waits for the H(e)MS's write transaction. */
#define STORE_BUSY_MS	2000

static char *store_values(const char *values[4], struct hnbtre_references *refs);

/**
 * The row of @identity in a PostgreSQL store (a libpq connection URI);
 * one connection per lookup, as the SQLite file is opened per lookup.
 */
static char *read_pg(const char *conninfo, const char *identity,
					 struct hnbtre_references *refs, const char *values[4])
{
	PGconn *pg = PQconnectdb(conninfo);
	const char *params[] = { identity };
	char *reason = "reference store unreadable";
	PGresult *res = NULL;
	int i;

	if (PQstatus(pg) != CONNECTION_OK)
	{
		goto out;
	}
	res = PQexecParams(pg, "SELECT rim, expected_rim, expected_state, status "
					   "FROM devices WHERE identity = $1", 1, NULL, params,
					   NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		goto out;
	}
	reason = "no device with this identity in the reference store";
	if (PQntuples(res) != 1)
	{
		goto out;
	}
	for (i = 0; i < 4; i++)
	{
		values[i] = PQgetisnull(res, 0, i) ? NULL : PQgetvalue(res, 0, i);
	}
	reason = store_values(values, refs);
out:
	PQclear(res);
	PQfinish(pg);
	return reason;
}

/**
 * What the row's values (rim, expected_rim, expected_state, status) say.
 */
static char *store_values(const char *values[4], struct hnbtre_references *refs)
{
	const char *rim = values[0], *expected = values[1], *state = values[2];
	const char *status = values[3];

	refs->has_rim = rim && hnbtre_parse_digest(rim, refs->rim);
	/* a package the operator's H(e)MS sent: the device may come back with
	 * it before the H(e)MS has verified it (its sessions run through us) */
	refs->has_expected = expected && state &&
						 (!strcmp(state, "sent") || !strcmp(state, "installed")) &&
						 hnbtre_parse_digest(expected, refs->expected);
	refs->maintenance = status && !strcmp(status, "maintenance");
	return refs->has_rim || refs->has_expected ? NULL :
		   "no reference RIM for this identity";
}

/*
 * Described in header
 */
char *hnbtre_references_read(const char *path, const char *identity, size_t len,
							 struct hnbtre_references *refs)
{
	char *reason = "no device with this identity in the reference store";
	char id[HNBTRE_IDENTITY_MAX + 1];
	const char *values[4];
	sqlite3_stmt *st = NULL;
	sqlite3 *db = NULL;
	int i;

	memset(refs, 0, sizeof(*refs));
	if (len > HNBTRE_IDENTITY_MAX)
	{
		return reason;
	}
	memcpy(id, identity, len);
	id[len] = 0;
	if (!strncmp(path, "postgresql://", 13) || !strncmp(path, "postgres://", 11))
	{
		return read_pg(path, id, refs, values);
	}
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
		sqlite3_busy_timeout(db, STORE_BUSY_MS) != SQLITE_OK ||
		sqlite3_prepare_v2(db, "SELECT rim, expected_rim, expected_state, status "
						   "FROM devices WHERE identity = ?", -1, &st,
						   NULL) != SQLITE_OK)
	{
		reason = "reference store unreadable";
		goto out;
	}
	sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) != SQLITE_ROW)
	{
		goto out;
	}
	for (i = 0; i < 4; i++)
	{
		values[i] = (const char*)sqlite3_column_text(st, i);
	}
	reason = store_values(values, refs);
out:
	sqlite3_finalize(st);
	sqlite3_close(db);
	return reason;
}
