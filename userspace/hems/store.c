// SPDX-License-Identifier: GPL-2.0-only
/*
 * The H(e)MS device store: one SQLite file, or a PostgreSQL database that
 * several H(e)MS instances and SeGWs share.  The schema is versioned
 * (SQLite's PRAGMA user_version, PostgreSQL's table hnbtre_schema); each
 * migration runs once, in a transaction, in order (Documentation/tr069.md, "H(e)MS store").  Every SQL statement of
 * the H(e)MS is here: the session (acs.c), distress (distress.c) and the
 * CLI (main.c) call the functions below.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <sqlite3.h>

/* pg_type.h's, which Debian ships only with the server's headers */
#define TEXTOID	25

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
	"ALTER TABLE updates ADD COLUMN package_version TEXT;"	/* Annex E: text */
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

/*
 * One store, two engines: SQLite (a file: one box) or PostgreSQL (a
 * connection string "postgresql://..." or "postgres://...": several
 * H(e)MS instances and SeGWs share it).  The same tables and columns; the
 * SQL below is written once, with ?N parameters, and given to PostgreSQL
 * with $N and its types (pg_sql(), pg_migration()).
 */
struct store {
	sqlite3 *lite;
	PGconn *pg;
	long long changes;	/* rows the last statement changed */
};

struct store_rows {
	struct store *db;
	sqlite3_stmt *st;
	PGresult *res;
	int row;
};

static bool is_pg(const char *path)
{
	return !strncmp(path, "postgresql://", 13) || !strncmp(path, "postgres://", 11);
}

#define PARAMS_MAX	16

/*
 * @sql with ?N as $N and each bare ? as the next $N; malloc'ed.  @used
 * says which parameters it names: PostgreSQL needs a type for the others.
 */
static char *pg_sql(const char *sql, bool used[PARAMS_MAX])
{
	char *out = malloc(2 * strlen(sql) + 1), *o = out;
	int next = 0, n;

	if (!out)
		return NULL;
	for (; *sql; sql++) {
		if (*sql != '?') {
			*o++ = *sql;
			continue;
		}
		if (sql[1] >= '0' && sql[1] <= '9')
			n = atoi(sql + 1);
		else
			n = ++next;
		o += sprintf(o, "$%d", n);
		while (sql[1] >= '0' && sql[1] <= '9')
			sql++;
		if (n >= 1 && n <= PARAMS_MAX)
			used[n - 1] = true;
	}
	*o = 0;
	return out;
}

/* A migration in PostgreSQL's types: 64-bit integers, identity keys, BYTEA. */
static char *pg_migration(const char *sql)
{
	static const char *const types[][2] = {
		{ "INTEGER PRIMARY KEY", "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY" },
		{ "INTEGER", "BIGINT" },
		{ "BLOB", "BYTEA" },
	};
	char *out = malloc(4 * strlen(sql) + 1), *o = out;
	size_t i;

	if (!out)
		return NULL;
	while (*sql) {
		for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
			if (!strncmp(sql, types[i][0], strlen(types[i][0])))
				break;
		if (i < sizeof(types) / sizeof(types[0])) {
			o += sprintf(o, "%s", types[i][1]);
			sql += strlen(types[i][0]);
		} else {
			*o++ = *sql++;
		}
	}
	*o = 0;
	return out;
}

/*
 * Runs @sql with text parameters (NULL binds NULL), one of them binary
 * (@blob at @blob_index, 1-based, or 0: none); the rows in @rows if not
 * NULL.  0 or -1.
 */
static int run(struct store *db, const char *sql, int count, const char *const *params,
	       int blob_index, const unsigned char *blob, int blob_len,
	       struct store_rows **rows)
{
	struct store_rows *r = calloc(1, sizeof(*r));
	int i, rc;

	if (!r)
		return -1;
	r->db = db;
	r->row = -1;
	if (db->pg) {
		int lengths[PARAMS_MAX] = { 0 }, formats[PARAMS_MAX] = { 0 };
		Oid types[PARAMS_MAX] = { 0 };
		bool used[PARAMS_MAX] = { false };
		const char *values[PARAMS_MAX];
		char *pg = pg_sql(sql, used);

		if (!pg || count > PARAMS_MAX) {
			free(pg);
			free(r);
			return -1;
		}
		for (i = 0; i < count; i++) {
			values[i] = params[i];
			if (!used[i])
				types[i] = TEXTOID;
		}
		if (blob_index) {
			values[blob_index - 1] = (const char *)blob;
			lengths[blob_index - 1] = blob_len;
			formats[blob_index - 1] = 1;
		}
		r->res = PQexecParams(db->pg, pg, count, types, values, lengths, formats, 0);
		free(pg);
		rc = PQresultStatus(r->res);
		if (rc != PGRES_COMMAND_OK && rc != PGRES_TUPLES_OK) {
			fprintf(stderr, "hnbtre-hems: store: %s", PQerrorMessage(db->pg));
			store_rows_free(r);
			return -1;
		}
		db->changes = atoll(PQcmdTuples(r->res));
	} else {
		if (sqlite3_prepare_v2(db->lite, sql, -1, &r->st, NULL) != SQLITE_OK) {
			free(r);
			return -1;
		}
		for (i = 0; i < count; i++)
			if (i + 1 == blob_index)
				sqlite3_bind_blob(r->st, i + 1, blob, blob_len, SQLITE_TRANSIENT);
			else
				sqlite3_bind_text(r->st, i + 1, params[i], -1, SQLITE_TRANSIENT);
		if (!rows) {
			rc = sqlite3_step(r->st);
			db->changes = sqlite3_changes(db->lite);
			store_rows_free(r);
			return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : -1;
		}
	}
	if (rows)
		*rows = r;
	else
		store_rows_free(r);
	return 0;
}

struct store_rows *store_query(struct store *db, const char *sql, int count,
			       const char *const *params)
{
	struct store_rows *rows;

	return run(db, sql, count, params, 0, NULL, 0, &rows) ? NULL : rows;
}

bool store_rows_next(struct store_rows *r)
{
	if (r->st)
		return sqlite3_step(r->st) == SQLITE_ROW;
	return ++r->row < PQntuples(r->res);
}

int store_rows_columns(struct store_rows *r)
{
	return r->st ? sqlite3_column_count(r->st) : PQnfields(r->res);
}

const char *store_rows_name(struct store_rows *r, int i)
{
	return r->st ? sqlite3_column_name(r->st, i) : PQfname(r->res, i);
}

const char *store_rows_value(struct store_rows *r, int i)
{
	if (r->st)
		return (const char *)sqlite3_column_text(r->st, i);
	return PQgetisnull(r->res, r->row, i) ? NULL : PQgetvalue(r->res, r->row, i);
}

void store_rows_free(struct store_rows *r)
{
	if (!r)
		return;
	sqlite3_finalize(r->st);
	PQclear(r->res);
	free(r);
}

/* Several statements, no parameters (a migration). */
static int pg_script(PGconn *pg, const char *sql)
{
	PGresult *res = PQexec(pg, sql);
	int ok = PQresultStatus(res) == PGRES_COMMAND_OK;

	PQclear(res);
	return ok ? 0 : -1;
}

static void no_notice(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

/* The schema version: SQLite's user_version, PostgreSQL's hnbtre_schema. */
static int schema_version(struct store *db)
{
	char *v = store_text(db, db->pg ? "SELECT version FROM hnbtre_schema" :
			     "PRAGMA user_version", 0, NULL);
	int version = v ? atoi(v) : 0;

	free(v);
	return version;
}

static int migrate(struct store *db, const char *path)
{
	int version, i, n = sizeof(migrations) / sizeof(migrations[0]);
	char sql[64], *pg;

	/* one H(e)MS migrates; the others wait for it (PostgreSQL) */
	if (store_exec(db, db->pg ? "BEGIN" : "BEGIN IMMEDIATE", 0, NULL) ||
	    (db->pg && (store_exec(db, "SELECT pg_advisory_xact_lock(7547)", 0, NULL) ||
			pg_script(db->pg, "CREATE TABLE IF NOT EXISTS hnbtre_schema (version "
				  "INTEGER NOT NULL); INSERT INTO hnbtre_schema SELECT 0 "
				  "WHERE NOT EXISTS (SELECT 1 FROM hnbtre_schema)"))))
		goto fail;
	version = schema_version(db);
	if (version > n) {
		fprintf(stderr, "hnbtre-hems: %s: schema version %d is newer than this "
			"program (%d)\n", path, version, n);
		store_exec(db, "ROLLBACK", 0, NULL);
		return -1;
	}
	for (i = version; i < n; i++) {
		if (db->pg) {
			pg = pg_migration(migrations[i]);
			snprintf(sql, sizeof(sql), "UPDATE hnbtre_schema SET version = %d", i + 1);
			if (!pg || pg_script(db->pg, pg)) {
				free(pg);
				goto fail;
			}
			free(pg);
		} else {
			snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", i + 1);
			if (sqlite3_exec(db->lite, migrations[i], NULL, NULL, NULL) != SQLITE_OK)
				goto fail;
		}
		if (store_exec(db, sql, 0, NULL))
			goto fail;
	}
	if (!store_exec(db, "COMMIT", 0, NULL))
		return 0;
fail:
	fprintf(stderr, "hnbtre-hems: %s: migration to schema version %d failed: %s\n", path,
		n, db->pg ? PQerrorMessage(db->pg) : sqlite3_errmsg(db->lite));
	store_exec(db, "ROLLBACK", 0, NULL);
	return -1;
}

int store_open(const char *path, struct store **db)
{
	*db = calloc(1, sizeof(**db));
	if (!*db)
		return -1;
	if (is_pg(path)) {
		(*db)->pg = PQconnectdb(path);
		if (PQstatus((*db)->pg) != CONNECTION_OK) {
			fprintf(stderr, "hnbtre-hems: %s: %s", path, PQerrorMessage((*db)->pg));
			goto fail;
		}
		/* not libpq's NOTICEs (CREATE ... IF NOT EXISTS) on stderr */
		PQsetNoticeProcessor((*db)->pg, no_notice, NULL);
	} else {
		if (sqlite3_open(path, &(*db)->lite) != SQLITE_OK) {
			fprintf(stderr, "hnbtre-hems: %s: %s\n", path,
				sqlite3_errmsg((*db)->lite));
			goto fail;
		}
		sqlite3_busy_timeout((*db)->lite, 5000);
	}
	if (!migrate(*db, path))
		return 0;
fail:
	store_close(*db);
	*db = NULL;
	return -1;
}

void store_close(struct store *db)
{
	if (!db)
		return;
	PQfinish(db->pg);
	sqlite3_close(db->lite);
	free(db);
}

/*
 * What one CWMP message changes is one transaction: one commit (on a disk,
 * one fsync) per message instead of one per statement, and the CLI never
 * sees half of it.  IMMEDIATE: the write lock is waited for (busy timeout)
 * at the start, not refused halfway.
 */
void store_begin(struct store *db)
{
	store_exec(db, db->pg ? "BEGIN" : "BEGIN IMMEDIATE", 0, NULL);
}

void store_commit(struct store *db)
{
	if (db->pg ? PQtransactionStatus(db->pg) == PQTRANS_IDLE :
	    sqlite3_get_autocommit(db->lite))
		return;		/* BEGIN failed: the statements ran on their own */
	/* PostgreSQL rolls back a transaction a statement failed in */
	if ((db->pg && PQtransactionStatus(db->pg) == PQTRANS_INERROR) ||
	    store_exec(db, "COMMIT", 0, NULL)) {
		fprintf(stderr, "hnbtre-hems: store: %s: rolled back\n",
			db->pg ? PQerrorMessage(db->pg) : sqlite3_errmsg(db->lite));
		store_exec(db, "ROLLBACK", 0, NULL);
	}
}

/* Runs @sql with text parameters (NULL binds NULL). */
int store_exec(struct store *db, const char *sql, int count, const char *const *params)
{
	return run(db, sql, count, params, 0, NULL, 0, NULL);
}

/* The first text column of the first row of @sql, malloc'ed, or NULL. */
char *store_text(struct store *db, const char *sql, int count, const char *const *params)
{
	struct store_rows *r = store_query(db, sql, count, params);
	char *value = NULL;

	if (r && store_rows_next(r) && store_rows_value(r, 0))
		value = strdup(store_rows_value(r, 0));
	store_rows_free(r);
	return value;
}

/* The first integer column of the first row of @sql, or @none. */
static long long store_int(struct store *db, const char *sql, int count,
			   const char *const *params, long long none)
{
	char *v = store_text(db, sql, count, params);
	long long value = v ? atoll(v) : none;

	free(v);
	return value;
}

/* @sql with the text @identity as ?1 and the binary @blob as ?2. */
static int store_exec_blob(struct store *db, const char *sql, const char *identity,
			   const unsigned char *blob, int len)
{
	const char *p[] = { identity, NULL };

	return run(db, sql, 2, p, 2, blob, len, NULL);
}

int store_device_seen(struct store *db, const char *identity, const unsigned char *cert,
		      int cert_len, const char *now, const char *state, const char *tim)
{
	const char *p[] = { identity, now, state, tim, NULL };

	return run(db, "INSERT INTO devices (identity, cert, last_inform, state, last_tim) "
		   "VALUES (?1, ?5, ?2, ?3, ?4) ON CONFLICT(identity) DO UPDATE SET "
		   "last_inform = ?2, state = ?3, last_tim = ?4, cert = ?5", 5, p, 5, cert,
		   cert_len, NULL);
}

int store_device_add(struct store *db, const char *identity, const unsigned char *cert,
		     int cert_len)
{
	return store_exec_blob(db, "INSERT INTO devices (identity, cert) VALUES (?1, ?2) "
			       "ON CONFLICT DO NOTHING", identity, cert, cert_len);
}

int store_device_mark(struct store *db, const char *identity, const char *state)
{
	const char *p[] = { identity, state };

	return store_exec(db, "UPDATE devices SET status = 'maintenance', "
			  "state = COALESCE(?2, state) WHERE identity = ?1", 2, p);
}

int store_device_rims(struct store *db, const char *identity, char **rim, char **expected,
		      char **expected_state)
{
	const char *p[] = { identity };
	struct store_rows *r = store_query(db, "SELECT rim, expected_rim, expected_state "
					   "FROM devices WHERE identity = ?", 1, p);
	const char *v;

	*rim = *expected = *expected_state = NULL;
	if (!r)
		return -1;
	if (store_rows_next(r)) {
		if ((v = store_rows_value(r, 0)))
			*rim = strdup(v);
		if ((v = store_rows_value(r, 1)))
			*expected = strdup(v);
		if ((v = store_rows_value(r, 2)))
			*expected_state = strdup(v);
	}
	store_rows_free(r);
	return 0;
}

int store_first_rim_release(struct store *db, const char *identity, const char *rim,
			    const char *manifest_version)
{
	const char *p[] = { identity, rim, manifest_version };

	return store_exec(db, "UPDATE devices SET manifest_version = COALESCE(?3, "
			  "manifest_version), rim = ?2 WHERE identity = ?1 AND rim IS NULL",
			  3, p);
}

int store_release_find(struct store *db, const char *rim, char **package,
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

int store_rim_renewed(struct store *db, const char *identity, const char *tim, const char *now)
{
	const char *p[] = { identity, tim, now };

	return store_exec(db, "UPDATE devices SET manifest_version = COALESCE((SELECT "
			  "CAST(manifest_version AS TEXT) FROM updates WHERE identity = ?1 AND state = "
			  "'installed' AND expected_rim = ?2), manifest_version) "
			  "WHERE identity = ?1", 2, p) |
	       store_exec(db, "UPDATE updates SET state = 'verified', reported_tim = ?2, "
			  "finished = ?3 WHERE identity = ?1 AND state = 'installed' AND "
			  "expected_rim = ?2", 3, p) |
	       store_exec(db, "UPDATE devices SET rim = ?2, expected_rim = NULL, "
			  "expected_state = NULL, status = 'ok' WHERE identity = ?1", 2, p);
}

int store_update_mismatch(struct store *db, const char *identity, const char *tim,
			  const char *now)
{
	const char *p[] = { identity, tim, now };
	int found = 0;

	if (!store_exec(db, "UPDATE updates SET state = 'mismatch', reported_tim = ?2, "
			"finished = ?3 WHERE identity = ?1 AND state = 'installed'", 3, p))
		found = db->changes > 0;
	store_device_mark(db, identity, NULL);
	return found;
}

int store_record_attestation(struct store *db, const char *identity, const char *now,
			     const char *nonce, const char *verdict, const char *state,
			     const char *tim, const char *rim, const char *counter)
{
	const char *p[] = { identity, now, nonce, verdict, state, tim, rim, counter };

	return store_exec(db, "INSERT INTO attestations (identity, time, nonce, verdict, "
			  "state, tim, rim, counter) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", 8, p);
}

int store_record_event(struct store *db, const char *identity, const char *now,
		       const char *code, const char *key)
{
	const char *p[] = { identity, now, code, key };

	return store_exec(db, "INSERT INTO events (identity, time, code, command_key) "
			  "VALUES (?, ?, ?, ?)", 4, p);
}

long long store_requested_update(struct store *db, const char *identity, bool repair_only)
{
	const char *p[] = { identity, repair_only ? "1" : "0" };

	return store_int(db, "SELECT id FROM updates WHERE identity = ?1 AND "
			 "state = 'requested' AND (repair = 1 OR ?2 = '0') ORDER BY id LIMIT 1",
			 2, p, 0);
}

char *store_update_expected_rim(struct store *db, const char *identity, const char *id)
{
	const char *p[] = { id, identity };

	return store_text(db, "SELECT expected_rim FROM updates WHERE id = ? AND "
			  "identity = ?", 2, p);
}

int store_update_sent(struct store *db, const char *id, const char *now)
{
	const char *p[] = { id, now };

	return store_exec(db, "UPDATE updates SET state = 'sent', sent = ?2 WHERE id = ?1",
			  2, p);
}

int store_updates_time_out(struct store *db, const char *identity, const char *cutoff,
			   const char *now, void (*report)(void *ctx, const char *id,
							   const char *identity),
			   void *ctx)
{
	const char *q[] = { cutoff, identity };
	struct store_rows *r = store_query(db, "SELECT id, identity FROM updates WHERE "
					   "state = 'sent' AND sent < ?1 AND (CAST(?2 AS TEXT) "
					   "IS NULL OR identity = ?2) ORDER BY id", 2, q);
	int n = 0;

	if (!r)
		return -1;
	while (store_rows_next(r)) {
		const char *p[] = { store_rows_value(r, 0), store_rows_value(r, 1), now };

		/* the SeGW no longer admits the package's RIM (strongswan.md) */
		if (store_exec(db, "UPDATE devices SET expected_rim = NULL, expected_state "
			       "= NULL WHERE identity = ?2 AND expected_state = 'sent' AND "
			       "expected_rim IS NOT DISTINCT FROM (SELECT expected_rim FROM "
			       "updates WHERE id = ?1)", 2, p) ||
		    store_exec(db, "UPDATE updates SET state = 'timeout', finished = ?3 "
			       "WHERE id = ?1", 3, p))
			break;
		report(ctx, p[0], p[1]);
		n++;
	}
	store_rows_free(r);
	return n;
}

int store_release_add(struct store *db, const char *platform_rim, const char *manifest_version,
		      const char *package_version, const char *package, const char *now)
{
	const char *p[] = { platform_rim, manifest_version, package_version, package, now };

	return store_exec(db, "INSERT INTO releases (platform_rim, manifest_version, "
			  "package_version, package, added) VALUES (?1, ?2, ?3, ?4, ?5) "
			  "ON CONFLICT (platform_rim) DO UPDATE SET manifest_version = ?2, "
			  "package_version = ?3, package = ?4, added = ?5", 5, p);
}

char *store_update_package(struct store *db, const char *identity, const char *id)
{
	const char *p[] = { id, identity };

	return store_text(db, "SELECT package FROM updates WHERE id = ? AND identity = ? "
			  "AND state = 'sent'", 2, p);
}

int store_update_result(struct store *db, const char *identity, const char *id,
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
	return db->changes > 0;
}

long long store_update_request(struct store *db, const char *identity, const char *package,
			       const char *now, const char *package_version,
			       const char *manifest_version, const char *expected_rim,
			       const char *patch_rim, bool repair)
{
	const char *p[] = { identity, package, now, package_version, manifest_version,
			    expected_rim, patch_rim, repair ? "1" : "0" };

	if (!store_int(db, "SELECT count(*) FROM devices WHERE identity = ?", 1, p, 0))
		return 0;
	return store_int(db, "INSERT INTO updates (identity, package, requested, state, "
			 "package_version, manifest_version, expected_rim, patch_rim, repair) "
			 "VALUES (?1, ?2, ?3, 'requested', ?4, ?5, ?6, ?7, ?8) RETURNING id",
			 8, p, 0);
}

int store_replacement_queue(struct store *db, const char *identity, const char *package,
			    const char *now, const char *platform_rim, const char *patch_rim)
{
	const char *p[] = { identity, package, now, platform_rim, patch_rim };

	if (!store_int(db, "SELECT count(*) FROM devices WHERE identity = ?", 1, p, 0))
		return -ENOENT;
	return store_exec(db, "INSERT INTO replacements (identity, package, requested, "
			  "platform_rim, patch_rim, state) VALUES (?1, ?2, ?3, ?4, ?5, "
			  "'requested')", 5, p);
}

int store_replacement_next(struct store *db, const char *identity, long long *id,
			   char **package, char **platform_rim)
{
	const char *p[] = { identity };
	struct store_rows *r = store_query(db, "SELECT id, package, platform_rim FROM "
					   "replacements WHERE identity = ? AND state = "
					   "'requested' ORDER BY id LIMIT 1", 1, p);

	*id = 0;
	*package = *platform_rim = NULL;
	if (r && store_rows_next(r)) {
		*id = atoll(store_rows_value(r, 0));
		*package = strdup(store_rows_value(r, 1));
		*platform_rim = strdup(store_rows_value(r, 2));
	}
	store_rows_free(r);
	return *package && *platform_rim ? 0 : -1;
}

int store_replacement_sent(struct store *db, long long id, const char *now, long long distress)
{
	char id_text[24], distress_text[24];
	const char *p[] = { id_text, now, distress_text };

	snprintf(id_text, sizeof(id_text), "%lld", id);
	snprintf(distress_text, sizeof(distress_text), "%lld", distress);
	return store_exec(db, "UPDATE replacements SET state = 'sent', sent = ?2, "
			  "distress = ?3 WHERE id = ?1", 3, p);
}

uint64_t store_distress_last_sequence(struct store *db, const char *identity)
{
	const char *p[] = { identity };

	/* a failed query refuses rather than accepts a replay */
	return (uint64_t)store_int(db, "SELECT COALESCE(MAX(sequence), 0) FROM distress "
				   "WHERE identity = ? AND authenticated = 1", 1, p, -1);
}

long long store_distress_record(struct store *db, const char *const row[13])
{
	return store_int(db, "INSERT INTO distress (identity, received, peer, transport, "
			 "auth, verdict, authenticated, sequence, sent_time, state, failed, "
			 "attestation, attested_state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
			 "?, ?, ?) RETURNING id", 13, row, 0);
}

int store_accept_rim(struct store *db, const char *identity, char **old_rim, char **new_rim)
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

int store_reset(struct store *db, const char *identity, char **old_rim, int *cancelled)
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
	*cancelled = db->changes;
	if (store_exec(db, "UPDATE replacements SET state = 'cancelled' WHERE identity = ? "
		       "AND state = 'requested'", 1, p))
		return -1;
	*cancelled += db->changes;
	return store_exec(db, "UPDATE devices SET rim = NULL, expected_rim = NULL, "
			  "expected_state = NULL, status = 'ok' WHERE identity = ?", 1, p);
}

int store_audit(struct store *db, const char *now, const char *operator, const char *identity,
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

struct store_rows *store_listing(struct store *db, enum store_listing what,
				 const char *identity)
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
	const char *p[] = { identity };

	return store_query(db, sql[what], identity ? 1 : 0, p);
}

int hems_expect_rim(struct store *db, const char *identity, const char *rim,
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
