// SPDX-License-Identifier: GPL-2.0-only
/*
 * The H(e)MS device store: one SQLite file.  The schema is versioned with
 * PRAGMA user_version; each migration runs once, in a transaction, in
 * order (Documentation/tr069.md, "H(e)MS store").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hems.h"
#include "hnbtre_pkg.h"

static const char *const migrations[] = {
	/* 1: devices, their attestations and events */
	"CREATE TABLE devices ("
	"  identity TEXT PRIMARY KEY,"
	"  cert BLOB NOT NULL,"		/* DER of the TLS client certificate */
	"  rim TEXT,"			/* platform RIM the device must report */
	"  manifest_version TEXT,"
	"  last_tim TEXT,"
	"  state TEXT,"			/* TrE state last reported */
	"  status TEXT NOT NULL DEFAULT 'ok',"	/* ok | maintenance */
	"  last_inform TEXT);"
	"CREATE TABLE attestations ("
	"  id INTEGER PRIMARY KEY,"
	"  identity TEXT NOT NULL REFERENCES devices(identity),"
	"  time TEXT NOT NULL,"
	"  nonce TEXT NOT NULL,"
	"  verdict TEXT NOT NULL,"
	"  state TEXT, tim TEXT, rim TEXT, counter INTEGER);"
	"CREATE TABLE events ("
	"  id INTEGER PRIMARY KEY,"
	"  identity TEXT NOT NULL REFERENCES devices(identity),"
	"  time TEXT NOT NULL,"
	"  code TEXT NOT NULL, command_key TEXT);"
	"CREATE TABLE updates ("
	"  id INTEGER PRIMARY KEY,"
	"  identity TEXT NOT NULL REFERENCES devices(identity),"
	"  package TEXT NOT NULL,"
	"  requested TEXT NOT NULL,"
	"  state TEXT NOT NULL,"		/* requested | sent | done | failed */
	"  fault INTEGER, fault_string TEXT);",
	/* 2: distress indications (Documentation/distress.md), also from
	 * identities the store does not know
	 */
	"CREATE TABLE distress ("
	"  id INTEGER PRIMARY KEY,"
	"  identity TEXT NOT NULL,"
	"  received TEXT NOT NULL,"
	"  peer TEXT, transport TEXT NOT NULL, auth TEXT NOT NULL,"
	"  verdict TEXT NOT NULL,"
	"  authenticated INTEGER NOT NULL,"	/* 1: may change device data */
	"  sequence INTEGER, sent_time INTEGER, state TEXT,"
	"  failed TEXT,"			/* JSON list of components */
	"  attestation TEXT, attested_state TEXT);",
	/* 3: the platform RIM a device must report once the package it was
	 * sent (update or replacement) is installed: sent | installed
	 */
	"ALTER TABLE devices ADD COLUMN expected_rim TEXT;"
	"ALTER TABLE devices ADD COLUMN expected_state TEXT;",
	/* 4: the history of an update: what `update` computed from the
	 * package, what the device reported, when it ended; updates.state
	 * requested | sent | installed | verified | mismatch | failed
	 */
	"ALTER TABLE updates ADD COLUMN package_version INTEGER;"
	"ALTER TABLE updates ADD COLUMN manifest_version INTEGER;"
	"ALTER TABLE updates ADD COLUMN expected_rim TEXT;"
	"ALTER TABLE updates ADD COLUMN patch_rim TEXT;"
	"ALTER TABLE updates ADD COLUMN self_check TEXT;"	/* the device's */
	"ALTER TABLE updates ADD COLUMN reported_tim TEXT;"
	"ALTER TABLE updates ADD COLUMN finished TEXT;",
	/* 5: replacements of the normal code image answering a distress
	 * indication (Documentation/distress.md): requested | sent
	 */
	"CREATE TABLE replacements ("
	"  id INTEGER PRIMARY KEY,"
	"  identity TEXT NOT NULL REFERENCES devices(identity),"
	"  package TEXT NOT NULL,"
	"  requested TEXT NOT NULL,"
	"  platform_rim TEXT NOT NULL,"		/* what the device must report */
	"  patch_rim TEXT NOT NULL,"
	"  state TEXT NOT NULL,"
	"  sent TEXT,"
	"  distress INTEGER REFERENCES distress(id));",	/* the answered one */
};

int store_open(const char *path, sqlite3 **db)
{
	int version = 0, i, n = sizeof(migrations) / sizeof(migrations[0]);
	sqlite3_stmt *st;
	char sql[64];

	if (sqlite3_open(path, db) != SQLITE_OK) {
		fprintf(stderr, "hnbtre-hems: %s: %s\n", path, sqlite3_errmsg(*db));
		return -1;
	}
	sqlite3_busy_timeout(*db, 5000);
	if (sqlite3_prepare_v2(*db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (version > n) {
		fprintf(stderr, "hnbtre-hems: %s: schema version %d is newer than this "
			"program (%d)\n", path, version, n);
		return -1;
	}
	for (i = version; i < n; i++) {
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", i + 1);
		if (sqlite3_exec(*db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
		    sqlite3_exec(*db, migrations[i], NULL, NULL, NULL) != SQLITE_OK ||
		    sqlite3_exec(*db, sql, NULL, NULL, NULL) != SQLITE_OK ||
		    sqlite3_exec(*db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
			fprintf(stderr, "hnbtre-hems: migration %d: %s\n", i + 1,
				sqlite3_errmsg(*db));
			sqlite3_exec(*db, "ROLLBACK", NULL, NULL, NULL);
			return -1;
		}
	}
	return 0;
}

/*
 * What one CWMP message changes is one transaction: one commit (on a disk,
 * one fsync) per message instead of one per statement, and the CLI never
 * sees half of it.  IMMEDIATE: the write lock is waited for (busy timeout)
 * at the start, not refused halfway.
 */
void store_begin(sqlite3 *db)
{
	sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
}

void store_commit(sqlite3 *db)
{
	if (sqlite3_get_autocommit(db))
		return;		/* BEGIN failed: the statements ran on their own */
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		fprintf(stderr, "hnbtre-hems: store: %s: rolled back\n", sqlite3_errmsg(db));
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	}
}

/* Runs @sql with text parameters (NULL binds NULL). */
int store_exec(sqlite3 *db, const char *sql, int count, const char *const *params)
{
	sqlite3_stmt *st;
	int i, rc;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	for (i = 0; i < count; i++)
		sqlite3_bind_text(st, i + 1, params[i], -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : -1;
}

int hems_expect_rim(sqlite3 *db, const char *identity, const char *rim,
		    const char *state)
{
	const char *p[] = { identity, rim, rim ? state : NULL };

	return store_exec(db, "UPDATE devices SET expected_rim = ?2, expected_state = ?3 "
			  "WHERE identity = ?1", 3, p);
}

int hems_package_rims(const char *path, struct hnbtre_pkg_reference *ref,
		      char platform_rim[HEMS_RIM_TEXT], char patch_rim[HEMS_RIM_TEXT],
		      char *err)
{
	int ret = hnbtre_pkg_reference(path, ref, err);

	if (!ret) {
		strcpy(platform_rim, "sha256:");
		hnbtre_hex(ref->platform_rim, platform_rim + 7);
		strcpy(patch_rim, "sha256:");
		hnbtre_hex(ref->patch_rim, patch_rim + 7);
	}
	return ret;
}
