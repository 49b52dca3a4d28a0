// SPDX-License-Identifier: GPL-2.0-only
/*
 * The H(e)MS device store: one SQLite file.  The schema is versioned with
 * PRAGMA user_version; each migration runs once, in a transaction, in
 * order (Documentation/tr069.md, "H(e)MS store").  Every SQL statement of
 * the H(e)MS is here: the session (acs.c), distress (distress.c) and the
 * CLI (main.c) call the functions below.
 */
#include <errno.h>
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
	/* 6: operator commands (accept, reset, repair, update, replace),
	 * audited; a repair update is sent whatever the attestation says;
	 * updates.state and replacements.state may be cancelled (reset)
	 */
	"CREATE TABLE audit ("
	"  id INTEGER PRIMARY KEY,"
	"  time TEXT NOT NULL,"
	"  operator TEXT NOT NULL,"
	"  identity TEXT NOT NULL,"
	"  command TEXT NOT NULL,"
	"  detail TEXT);"
	"ALTER TABLE updates ADD COLUMN repair INTEGER NOT NULL DEFAULT 0;",
	/* 7: when a Download was sent (updates.state may be timeout; older
	 * sent updates count from their request), and the operator's releases:
	 * the platform RIMs a device may show the first time it is attested
	 */
	"ALTER TABLE updates ADD COLUMN sent TEXT;"
	"UPDATE updates SET sent = requested WHERE state = 'sent';"
	"CREATE TABLE releases ("
	"  platform_rim TEXT PRIMARY KEY,"
	"  manifest_version INTEGER,"
	"  package_version TEXT,"
	"  package TEXT NOT NULL,"
	"  added TEXT NOT NULL);",
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

/* The first text column of the first row of @sql, malloc'ed, or NULL. */
static char *store_text(sqlite3 *db, const char *sql, int count, const char *const *params)
{
	sqlite3_stmt *st;
	char *value = NULL;
	int i;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return NULL;
	for (i = 0; i < count; i++)
		sqlite3_bind_text(st, i + 1, params[i], -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		value = strdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return value;
}

/* The first integer column of the first row of @sql, or @none. */
static long long store_int(sqlite3 *db, const char *sql, int count,
			   const char *const *params, long long none)
{
	sqlite3_stmt *st;
	long long value = none;
	int i;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return none;
	for (i = 0; i < count; i++)
		sqlite3_bind_text(st, i + 1, params[i], -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		value = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return value;
}

static int store_exec_blob(sqlite3 *db, const char *sql, const char *identity,
			   const unsigned char *blob, int len)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, identity, -1, SQLITE_TRANSIENT);
	sqlite3_bind_blob(st, 2, blob, len, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int store_device_seen(sqlite3 *db, const char *identity, const unsigned char *cert,
		      int cert_len, const char *now, const char *state, const char *tim)
{
	const char *p[] = { identity, now, state, tim };

	if (store_exec(db, "INSERT INTO devices (identity, cert, last_inform, state, "
		       "last_tim) VALUES (?1, x'', ?2, ?3, ?4) ON CONFLICT(identity) DO "
		       "UPDATE SET last_inform = ?2, state = ?3, last_tim = ?4", 4, p))
		return -1;
	return store_exec_blob(db, "UPDATE devices SET cert = ?2 WHERE identity = ?1",
			       identity, cert, cert_len);
}

int store_device_add(sqlite3 *db, const char *identity, const unsigned char *cert,
		     int cert_len)
{
	return store_exec_blob(db, "INSERT OR IGNORE INTO devices (identity, cert) "
			       "VALUES (?1, ?2)", identity, cert, cert_len);
}

int store_device_mark(sqlite3 *db, const char *identity, const char *state)
{
	const char *p[] = { identity, state };

	return store_exec(db, "UPDATE devices SET status = 'maintenance', "
			  "state = COALESCE(?2, state) WHERE identity = ?1", 2, p);
}

int store_device_rims(sqlite3 *db, const char *identity, char **rim, char **expected,
		      char **expected_state)
{
	sqlite3_stmt *st;

	*rim = *expected = *expected_state = NULL;
	if (sqlite3_prepare_v2(db, "SELECT rim, expected_rim, expected_state FROM devices "
			       "WHERE identity = ?", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, identity, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) == SQLITE_ROW) {
		const char *v;

		if ((v = (const char *)sqlite3_column_text(st, 0)))
			*rim = strdup(v);
		if ((v = (const char *)sqlite3_column_text(st, 1)))
			*expected = strdup(v);
		if ((v = (const char *)sqlite3_column_text(st, 2)))
			*expected_state = strdup(v);
	}
	sqlite3_finalize(st);
	return 0;
}

int store_first_rim_release(sqlite3 *db, const char *identity, const char *rim,
			    const char *manifest_version)
{
	const char *p[] = { identity, rim, manifest_version };

	return store_exec(db, "UPDATE devices SET manifest_version = COALESCE(?3, "
			  "manifest_version), rim = ?2 WHERE identity = ?1 AND rim IS NULL",
			  3, p);
}

int store_release_find(sqlite3 *db, const char *rim, char **package,
		       char **package_version, char **manifest_version)
{
	const char *p[] = { rim };

	*package = store_text(db, "SELECT package FROM releases WHERE platform_rim = ?", 1, p);
	*package_version = store_text(db, "SELECT package_version FROM releases WHERE "
				      "platform_rim = ?", 1, p);
	*manifest_version = store_text(db, "SELECT manifest_version FROM releases WHERE "
				       "platform_rim = ?", 1, p);
	return *package ? 0 : -ENOENT;
}

int store_rim_renewed(sqlite3 *db, const char *identity, const char *tim, const char *now)
{
	const char *p[] = { identity, tim, now };

	return store_exec(db, "UPDATE devices SET manifest_version = COALESCE((SELECT "
			  "manifest_version FROM updates WHERE identity = ?1 AND state = "
			  "'installed' AND expected_rim = ?2), manifest_version) "
			  "WHERE identity = ?1", 2, p) |
	       store_exec(db, "UPDATE updates SET state = 'verified', reported_tim = ?2, "
			  "finished = ?3 WHERE identity = ?1 AND state = 'installed' AND "
			  "expected_rim = ?2", 3, p) |
	       store_exec(db, "UPDATE devices SET rim = ?2, expected_rim = NULL, "
			  "expected_state = NULL, status = 'ok' WHERE identity = ?1", 2, p);
}

int store_update_mismatch(sqlite3 *db, const char *identity, const char *tim,
			  const char *now)
{
	const char *p[] = { identity, tim, now };
	int found = 0;

	if (!store_exec(db, "UPDATE updates SET state = 'mismatch', reported_tim = ?2, "
			"finished = ?3 WHERE identity = ?1 AND state = 'installed'", 3, p))
		found = sqlite3_changes(db) > 0;
	store_device_mark(db, identity, NULL);
	return found;
}

int store_record_attestation(sqlite3 *db, const char *identity, const char *now,
			     const char *nonce, const char *verdict, const char *state,
			     const char *tim, const char *rim, const char *counter)
{
	const char *p[] = { identity, now, nonce, verdict, state, tim, rim, counter };

	return store_exec(db, "INSERT INTO attestations (identity, time, nonce, verdict, "
			  "state, tim, rim, counter) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", 8, p);
}

int store_record_event(sqlite3 *db, const char *identity, const char *now,
		       const char *code, const char *key)
{
	const char *p[] = { identity, now, code, key };

	return store_exec(db, "INSERT INTO events (identity, time, code, command_key) "
			  "VALUES (?, ?, ?, ?)", 4, p);
}

long long store_requested_update(sqlite3 *db, const char *identity, bool repair_only)
{
	const char *p[] = { identity, repair_only ? "1" : "0" };

	return store_int(db, "SELECT id FROM updates WHERE identity = ?1 AND "
			 "state = 'requested' AND (repair = 1 OR ?2 = '0') ORDER BY id LIMIT 1",
			 2, p, 0);
}

char *store_update_expected_rim(sqlite3 *db, const char *identity, const char *id)
{
	const char *p[] = { id, identity };

	return store_text(db, "SELECT expected_rim FROM updates WHERE id = ? AND "
			  "identity = ?", 2, p);
}

int store_update_sent(sqlite3 *db, const char *id, const char *now)
{
	const char *p[] = { id, now };

	return store_exec(db, "UPDATE updates SET state = 'sent', sent = ?2 WHERE id = ?1",
			  2, p);
}

int store_updates_time_out(sqlite3 *db, const char *identity, const char *cutoff,
			   const char *now, void (*report)(void *ctx, const char *id,
							   const char *identity),
			   void *ctx)
{
	sqlite3_stmt *st;
	int n = 0;

	if (sqlite3_prepare_v2(db, "SELECT id, identity FROM updates WHERE state = 'sent' "
			       "AND sent < ?1 AND (?2 IS NULL OR identity = ?2) ORDER BY id",
			       -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, cutoff, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, identity, -1, SQLITE_TRANSIENT);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *p[] = { (const char *)sqlite3_column_text(st, 0),
				    (const char *)sqlite3_column_text(st, 1), now };

		/* the SeGW no longer admits the package's RIM (strongswan.md) */
		if (store_exec(db, "UPDATE devices SET expected_rim = NULL, expected_state "
			       "= NULL WHERE identity = ?2 AND expected_state = 'sent' AND "
			       "expected_rim IS NOT DISTINCT FROM (SELECT expected_rim FROM updates WHERE id = ?1)",
			       2, p) ||
		    store_exec(db, "UPDATE updates SET state = 'timeout', finished = ?3 "
			       "WHERE id = ?1", 3, p))
			break;
		report(ctx, p[0], p[1]);
		n++;
	}
	sqlite3_finalize(st);
	return n;
}

int store_release_add(sqlite3 *db, const char *platform_rim, const char *manifest_version,
		      const char *package_version, const char *package, const char *now)
{
	const char *p[] = { platform_rim, manifest_version, package_version, package, now };

	return store_exec(db, "INSERT INTO releases (platform_rim, manifest_version, "
			  "package_version, package, added) VALUES (?1, ?2, ?3, ?4, ?5) "
			  "ON CONFLICT (platform_rim) DO UPDATE SET manifest_version = ?2, "
			  "package_version = ?3, package = ?4, added = ?5", 5, p);
}

char *store_update_package(sqlite3 *db, const char *identity, const char *id)
{
	const char *p[] = { id, identity };

	return store_text(db, "SELECT package FROM updates WHERE id = ? AND identity = ? "
			  "AND state = 'sent'", 2, p);
}

int store_update_result(sqlite3 *db, const char *identity, const char *id,
			const char *fault, const char *fault_string, bool installed,
			const char *now, const char *self_check)
{
	const char *p[] = { id, identity, fault, fault_string,
			    installed ? "installed" : "failed", installed ? NULL : now,
			    self_check };

	if (store_exec(db, "UPDATE updates SET state = ?5, fault = ?3, fault_string = ?4, "
		       "finished = ?6, self_check = ?7 WHERE id = ?1 AND identity = ?2 AND "
		       "state = 'sent'", 7, p))
		return -1;
	return sqlite3_changes(db) > 0;
}

long long store_update_request(sqlite3 *db, const char *identity, const char *package,
			       const char *now, const char *package_version,
			       const char *manifest_version, const char *expected_rim,
			       const char *patch_rim, bool repair)
{
	const char *p[] = { identity, package, now, package_version, manifest_version,
			    expected_rim, patch_rim, repair ? "1" : "0" };

	if (store_exec(db, "INSERT INTO updates (identity, package, requested, state, "
		       "package_version, manifest_version, expected_rim, patch_rim, repair) "
		       "SELECT identity, ?2, ?3, 'requested', ?4, ?5, ?6, ?7, ?8 FROM devices "
		       "WHERE identity = ?1", 8, p) || !sqlite3_changes(db))
		return 0;
	return sqlite3_last_insert_rowid(db);
}

int store_replacement_queue(sqlite3 *db, const char *identity, const char *package,
			    const char *now, const char *platform_rim, const char *patch_rim)
{
	const char *p[] = { identity, package, now, platform_rim, patch_rim };

	if (store_exec(db, "INSERT INTO replacements (identity, package, requested, "
		       "platform_rim, patch_rim, state) SELECT identity, ?2, ?3, ?4, ?5, "
		       "'requested' FROM devices WHERE identity = ?1", 5, p))
		return -1;
	return sqlite3_changes(db) ? 0 : -ENOENT;
}

int store_replacement_next(sqlite3 *db, const char *identity, long long *id,
			   char **package, char **platform_rim)
{
	sqlite3_stmt *st;

	*id = 0;
	*package = *platform_rim = NULL;
	if (sqlite3_prepare_v2(db, "SELECT id, package, platform_rim FROM replacements "
			       "WHERE identity = ? AND state = 'requested' ORDER BY id "
			       "LIMIT 1", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, identity, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) == SQLITE_ROW) {
		*id = sqlite3_column_int64(st, 0);
		*package = strdup((const char *)sqlite3_column_text(st, 1));
		*platform_rim = strdup((const char *)sqlite3_column_text(st, 2));
	}
	sqlite3_finalize(st);
	return *package && *platform_rim ? 0 : -1;
}

int store_replacement_sent(sqlite3 *db, long long id, const char *now, long long distress)
{
	char id_text[24], distress_text[24];
	const char *p[] = { id_text, now, distress_text };

	snprintf(id_text, sizeof(id_text), "%lld", id);
	snprintf(distress_text, sizeof(distress_text), "%lld", distress);
	return store_exec(db, "UPDATE replacements SET state = 'sent', sent = ?2, "
			  "distress = ?3 WHERE id = ?1", 3, p);
}

uint64_t store_distress_last_sequence(sqlite3 *db, const char *identity)
{
	const char *p[] = { identity };

	/* a failed query refuses rather than accepts a replay */
	return (uint64_t)store_int(db, "SELECT COALESCE(MAX(sequence), 0) FROM distress "
				   "WHERE identity = ? AND authenticated = 1", 1, p, -1);
}

long long store_distress_record(sqlite3 *db, const char *const row[13])
{
	if (store_exec(db, "INSERT INTO distress (identity, received, peer, "
		       "transport, auth, verdict, authenticated, sequence, "
		       "sent_time, state, failed, attestation, attested_state) "
		       "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", 13, row))
		return 0;
	return sqlite3_last_insert_rowid(db);
}

int store_accept_rim(sqlite3 *db, const char *identity, char **old_rim, char **new_rim)
{
	const char *p[] = { identity, NULL };
	char *expected = NULL, *state = NULL;

	*old_rim = *new_rim = NULL;
	if (!store_int(db, "SELECT count(*) FROM devices WHERE identity = ?", 1, p, 0))
		return -ENOENT;
	/* the TIM of the last attestation whose signature, nonce, identity
	 * and state held: what the device's TrE says it runs */
	*new_rim = store_text(db, "SELECT tim FROM attestations WHERE identity = ? AND "
			      "verdict IN ('valid', 'TIM differs from the expected RIM', "
			      "'" HEMS_NO_RELEASE "') "
			      "ORDER BY id DESC LIMIT 1", 1, p);
	if (!*new_rim)
		return -ENODATA;
	store_device_rims(db, identity, old_rim, &expected, &state);
	free(expected);
	free(state);
	p[1] = *new_rim;
	return store_exec(db, "UPDATE devices SET rim = ?2, expected_rim = NULL, "
			  "expected_state = NULL, status = 'ok' WHERE identity = ?1", 2, p);
}

int store_reset(sqlite3 *db, const char *identity, char **old_rim, int *cancelled)
{
	const char *p[] = { identity };
	char *expected = NULL, *state = NULL;

	*old_rim = NULL;
	*cancelled = 0;
	if (!store_int(db, "SELECT count(*) FROM devices WHERE identity = ?", 1, p, 0))
		return -ENOENT;
	store_device_rims(db, identity, old_rim, &expected, &state);
	free(expected);
	free(state);
	if (store_exec(db, "UPDATE updates SET state = 'cancelled' WHERE identity = ? AND "
		       "state IN ('requested', 'sent', 'installed')", 1, p))
		return -1;
	*cancelled = sqlite3_changes(db);
	if (store_exec(db, "UPDATE replacements SET state = 'cancelled' WHERE identity = ? "
		       "AND state = 'requested'", 1, p))
		return -1;
	*cancelled += sqlite3_changes(db);
	return store_exec(db, "UPDATE devices SET rim = NULL, expected_rim = NULL, "
			  "expected_state = NULL, status = 'ok' WHERE identity = ?", 1, p);
}

int store_audit(sqlite3 *db, const char *now, const char *operator, const char *identity,
		const char *command, const char *detail)
{
	const char *p[] = { now, operator, identity, command, detail };

	return store_exec(db, "INSERT INTO audit (time, operator, identity, command, detail) "
			  "VALUES (?, ?, ?, ?, ?)", 5, p);
}

#define DEVICE_COLUMNS "identity, status, state, last_tim, rim, last_inform, " \
	"manifest_version, expected_rim, expected_state"
/* the update history (TS 33.320 8.3.2.2 step 6) */
#define UPDATE_COLUMNS "id, requested, package, state, fault, fault_string, " \
	"package_version, manifest_version, expected_rim, patch_rim, self_check, reported_tim, " \
	"finished, repair, sent"
#define DISTRESS_COLUMNS "identity, received, transport, auth, verdict, authenticated, " \
	"sequence, state, failed, attestation, attested_state"

sqlite3_stmt *store_listing(sqlite3 *db, enum store_listing what, const char *identity)
{
	static const char *const sql[] = {
		[LIST_DEVICES] = "SELECT " DEVICE_COLUMNS " FROM devices ORDER BY identity",
		[LIST_DEVICE] = "SELECT " DEVICE_COLUMNS " FROM devices WHERE identity = ?",
		[LIST_ATTESTATIONS] = "SELECT time, verdict, state, tim, rim, counter FROM "
				      "attestations WHERE identity = ? ORDER BY id",
		[LIST_EVENTS] = "SELECT time, code, command_key FROM events WHERE "
				"identity = ? ORDER BY id",
		[LIST_UPDATES] = "SELECT " UPDATE_COLUMNS " FROM updates WHERE identity = ? "
				 "ORDER BY id",
		[LIST_DEVICE_DISTRESS] = "SELECT " DISTRESS_COLUMNS " FROM distress WHERE "
					 "identity = ? ORDER BY id",
		[LIST_REPLACEMENTS] = "SELECT requested, package, platform_rim, patch_rim, "
				      "state, sent, distress FROM replacements WHERE "
				      "identity = ? ORDER BY id",
		[LIST_DISTRESS] = "SELECT " DISTRESS_COLUMNS " FROM distress ORDER BY id",
		[LIST_DEVICE_AUDIT] = "SELECT time, operator, command, detail FROM audit "
				      "WHERE identity = ? ORDER BY id",
		[LIST_AUDIT] = "SELECT time, operator, identity, command, detail FROM audit "
			       "ORDER BY id",
		[LIST_RELEASES] = "SELECT platform_rim, manifest_version, package_version, "
				  "package, added FROM releases ORDER BY added, platform_rim",
	};
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(db, sql[what], -1, &st, NULL) != SQLITE_OK)
		return NULL;
	if (identity)
		sqlite3_bind_text(st, 1, identity, -1, SQLITE_TRANSIENT);
	return st;
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
