// SPDX-License-Identifier: GPL-2.0-only
/*
 * Host tests of the H(e)MS's side of a CWMP session (hems/acs.c) on an
 * in-memory SQLite store, or on $HEMS_TEST_STORE (hems_pg_test.sh): every message it sends is valid against the CWMP schema
 * (cwmp_schema.h), the PVE check applies the stored and expected RIMs
 * as Documentation/tr069.md ("The expected RIM") says, and an update's
 * history follows Download, TransferComplete and the fresh attestation
 * ("Software update").  Attestations are
 * signed here with an attestation key whose certificate the store trusts.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "../hems/hems.h"
#include "attest_blob.h"
#include "cwmp_envelope.h"
#include "cwmp_schema.h"
#include "hnbtre_cwmp.h"
#include "self_signed.h"
#include "tap.h"

#define IDENTITY "0005B9-0000000001"
#define ENV_HEAD ENV_HEAD_ID("1")
/* An Inform with the TrE state and @n - 1 more parameters @params. */
#define INFORM_WITH(n, params) ENV_HEAD "<cwmp:Inform><DeviceId><Manufacturer>hnbtre</Manufacturer>" \
	"<OUI>0005B9</OUI><ProductClass>HeNB</ProductClass><SerialNumber>" IDENTITY \
	"</SerialNumber></DeviceId><Event soap-enc:arrayType=\"cwmp:EventStruct[1]\">" \
	"<EventStruct><EventCode>2 PERIODIC</EventCode><CommandKey></CommandKey>" \
	"</EventStruct></Event><MaxEnvelopes>1</MaxEnvelopes>" \
	"<CurrentTime>2026-12-01T12:00:00Z</CurrentTime><RetryCount>0</RetryCount>" \
	"<ParameterList soap-enc:arrayType=\"cwmp:ParameterValueStruct[" n "]\">" \
	VALUE("Device.X_HNBTRE_TrE.State", "string", "trusted") params \
	"</ParameterList></cwmp:Inform>" ENV_TAIL
#define INFORM INFORM_WITH("1", "")
/* The Inform after a transfer (TR-069 3.7.1.5): 7 TRANSFER COMPLETE,
 * M Download with the update's id, the self-check of the device. */
#define INFORM_AFTER(key, self_check) ENV_HEAD "<cwmp:Inform><DeviceId>" \
	"<Manufacturer>hnbtre</Manufacturer><OUI>0005B9</OUI><ProductClass>HeNB" \
	"</ProductClass><SerialNumber>" IDENTITY "</SerialNumber></DeviceId>" \
	"<Event soap-enc:arrayType=\"cwmp:EventStruct[2]\"><EventStruct><EventCode>" \
	"7 TRANSFER COMPLETE</EventCode><CommandKey></CommandKey></EventStruct>" \
	"<EventStruct><EventCode>M Download</EventCode><CommandKey>" key "</CommandKey>" \
	"</EventStruct></Event><MaxEnvelopes>1</MaxEnvelopes>" \
	"<CurrentTime>2026-12-01T12:00:00Z</CurrentTime><RetryCount>0</RetryCount>" \
	"<ParameterList soap-enc:arrayType=\"cwmp:ParameterValueStruct[2]\">" \
	VALUE("Device.X_HNBTRE_TrE.State", "string", "trusted") \
	VALUE("Device.X_HNBTRE_TrE.SelfCheck", "string", self_check) \
	"</ParameterList></cwmp:Inform>" ENV_TAIL
#define TRANSFER_COMPLETE(key, fault, text) ENV_HEAD "<cwmp:TransferComplete>" \
	"<CommandKey>" key "</CommandKey><FaultStruct><FaultCode>" fault "</FaultCode>" \
	"<FaultString>" text "</FaultString></FaultStruct>" \
	"<StartTime>2026-12-01T12:00:00Z</StartTime>" \
	"<CompleteTime>2026-12-01T12:00:09Z</CompleteTime></cwmp:TransferComplete>" ENV_TAIL
#define SPV_RESPONSE ENV_HEAD "<cwmp:SetParameterValuesResponse><Status>0</Status>" \
	"</cwmp:SetParameterValuesResponse>" ENV_TAIL

#define NO_RELEASE "TIM is not the RIM of a release of the operator"
#define HEX_AB "sha256:abababababababababababababababababababababababababababababababab"

static struct store *db;
static X509 *cert, *attest_cert;
static EVP_PKEY *key, *attest_key;
static X509_STORE *roots;
/* What signs the attestations: the attestation key, or a forger's. */
static EVP_PKEY *signer;
static X509 *signer_cert;
static xmlSchemaPtr schema;
static int messages, invalid_messages;
static bool reboot_measure;	/* hnbtre-hems serve --on-mismatch reboot */
static bool trust_on_first_use;	/* hnbtre-hems serve --trust-on-first-use */
static long update_timeout = 86400;	/* hnbtre-hems serve --update-timeout */
static FILE *log_file;		/* what the H(e)MS logged (its stderr) */

/* Whether the H(e)MS logged @line since the last call. */
static bool logged(const char *line)
{
	static char text[65536];
	size_t len;

	fflush(stderr);
	rewind(log_file);
	len = fread(text, 1, sizeof(text) - 1, log_file);
	text[len] = 0;
	if (ftruncate(fileno(log_file), 0))
		abort();
	rewind(log_file);
	return strstr(text, line) != NULL;
}

/* Counts a message against the CWMP schema; shows the first invalid one. */
static void schema_check(const char *xml, size_t len)
{
	char why[512];

	messages++;
	if (!cwmp_schema_valid(schema, xml, len, why) && !invalid_messages++)
		printf("# not valid against cwmp-1-1.xsd (%s): %.*s\n", why, (int)len, xml);
}

/* One request of the device; both it and the answer are schema-checked. */
static int post(struct acs_session *s, const char *body, char **answer)
{
	struct acs_reply r = { 0 };

	if (*body)
		schema_check(body, strlen(body));
	acs_handle(db, "https://hems.test", s, body, strlen(body), &r);
	if (r.body)
		schema_check(r.body, r.len);
	if (answer)
		*answer = r.body;
	else
		free(r.body);
	return r.code;
}

/*
 * A whole session up to the PVE check, answered with an attestation of
 * @tim by the device's attestation key.  Returns the last HTTP status and the last
 * answer in @answer (NULL if none).
 */
static int session_after(const char *inform, const char *transfer_complete,
			 uint8_t tim_byte, char **answer)
{
	uint8_t tim[HNBTRE_DIGEST_LEN], blob[4096];
	struct acs_session s;
	size_t len;
	char *b64, *gpv;
	int code;

	memset(tim, tim_byte, sizeof(tim));
	if (acs_session_init(&s, cert, roots))
		return -1;
	s.reboot_on_mismatch = reboot_measure;
	s.trust_on_first_use = trust_on_first_use;
	s.update_timeout = update_timeout;
	if (post(&s, inform, NULL) != 200 ||
	    (transfer_complete && post(&s, transfer_complete, NULL) != 200) ||
	    post(&s, "", NULL) != 200 || post(&s, SPV_RESPONSE, NULL) != 200)
		return -1;
	len = attest_blob_build(blob, sizeof(blob), signer, signer_cert, &(struct attest_contents) {
		.state = HNBTRE_STATE_TRUSTED, .tim = tim, .rim = tim,
		.nonce = s.nonce, .nonce_len = sizeof(s.nonce), .identity = IDENTITY });
	b64 = hnbtre_base64_encode(blob, len);
	if (!b64 || asprintf(&gpv, ENV_HEAD "<cwmp:GetParameterValuesResponse><ParameterList "
			     "soap-enc:arrayType=\"cwmp:ParameterValueStruct[1]\">"
			     VALUE("Device.X_HNBTRE_TrE.Attestation", "base64Binary", "%s")
			     "</ParameterList></cwmp:GetParameterValuesResponse>" ENV_TAIL,
			     b64) < 0)
		abort();
	code = post(&s, gpv, answer);
	free(gpv);
	free(b64);
	acs_session_free(&s);
	return code;
}

static const char *rim_text(uint8_t byte);

/*
 * A session whose Inform carries a session attestation of @tim_byte over
 * @nonce, on a connection with session nonce @connection (none if NULL).
 * The statuses of the Inform and of the empty POST after it; the answer
 * to that in @answer, the Inform's in @inform_answer (unless NULL).
 */
static void attested_session(uint8_t tim_byte, const uint8_t *nonce, const uint8_t *connection,
			     bool no_check, int *informed, int *next, char **answer,
			     char **inform_answer)
{
	uint8_t tim[HNBTRE_DIGEST_LEN], blob[4096];
	struct acs_session s;
	char *b64, *inform;
	size_t len;

	memset(tim, tim_byte, sizeof(tim));
	len = attest_blob_build(blob, sizeof(blob), signer, signer_cert, &(struct attest_contents) {
		.state = HNBTRE_STATE_TRUSTED, .tim = tim, .rim = tim, .nonce = nonce,
		.nonce_len = HNBTRE_SESSION_NONCE_LEN, .identity = IDENTITY });
	b64 = hnbtre_base64_encode(blob, len);
	if (!b64 || asprintf(&inform, INFORM_WITH("2", VALUE("Device.X_HNBTRE_TrE."
			     "SessionAttestation", "base64Binary", "%s")), b64) < 0 ||
	    acs_session_init(&s, cert, roots))
		abort();
	if (connection) {
		memcpy(s.session_nonce, connection, sizeof(s.session_nonce));
		s.session_bound = true;
	}
	s.no_attestation_check = no_check;
	*informed = post(&s, inform, inform_answer);
	*next = post(&s, "", answer);
	free(inform);
	free(b64);
	acs_session_free(&s);
}

/*
 * The first column of @sql's first row in @value (of @size bytes), "" if
 * none or NULL: each caller has its own buffer, so that two of them can
 * stand in one tap_ok().
 */
static const char *text_in(char *value, size_t size, const char *sql)
{
	char *v = store_text(db, sql, 0, NULL);

	snprintf(value, size, "%s", v ? v : "");
	free(v);
	return value;
}

/* The last attestation's verdict and nonce, and how many there are. */
static const char *last_attestation(void)
{
	static char value[160];

	return text_in(value, sizeof(value), "SELECT verdict || ' ' || nonce || ' ' || "
		       "(SELECT count(*) FROM attestations) FROM attestations "
		       "ORDER BY id DESC LIMIT 1");
}

/* What the last attestation claimed, as recorded: "" when nothing was. */
static const char *last_claims(void)
{
	static char value[256];

	return text_in(value, sizeof(value), "SELECT coalesce(state, '') || coalesce(tim, '') || "
		       "coalesce(rim, '') || coalesce(CAST(counter AS TEXT), '') "
		       "FROM attestations ORDER BY id DESC LIMIT 1");
}

/*
 * Issue 19: a refused device learns why.  @answer is a CWMP Fault 8001
 * (TR-069 Table 19, request denied) whose FaultString has @reason, and
 * the last row of the audit trail is the H(e)MS's refusal with it.
 */
static bool refused_for(const char *answer, const char *reason)
{
	char *audit = store_text(db, "SELECT operator || ' ' || identity || ' ' || command || "
				 "' ' || detail FROM audit ORDER BY id DESC LIMIT 1", 0, NULL);
	bool ok = answer && strstr(answer, "<FaultCode>8001</FaultCode>") &&
		  strstr(answer, reason) && audit &&
		  !strncmp(audit, "hnbtre-hems " IDENTITY " refused ", 21 + strlen(IDENTITY)) &&
		  strstr(audit, reason) && logged("refused " IDENTITY ": ");

	if (!ok)
		printf("# answer %s\n# audit %s\n", answer ? answer : "(none)",
		       audit ? audit : "(none)");
	free(audit);
	return ok;
}

static int session(uint8_t tim_byte, char **answer)
{
	return session_after(INFORM, NULL, tim_byte, answer);
}

/* The columns of update @id, joined by spaces ("-" for NULL). */
static const char *update_row(int id, const char *columns)
{
	static char value[512];
	struct store_rows *rows;
	char sql[512];
	int i;

	snprintf(sql, sizeof(sql), "SELECT %s FROM updates WHERE id = %d", columns, id);
	value[0] = 0;
	rows = store_query(db, sql, 0, NULL);
	if (rows && store_rows_next(rows))
		for (i = 0; i < store_rows_columns(rows); i++) {
			const char *v = store_rows_value(rows, i);

			snprintf(value + strlen(value), sizeof(value) - strlen(value), "%s%s",
				 i ? " " : "", v ? v : "-");
		}
	store_rows_free(rows);
	return value;
}

/* A requested update as `hnbtre-hems update` records it. */
static void request_update(uint8_t expected_byte, const char *manifest_version)
{
	char rim[8 + 2 * HNBTRE_DIGEST_LEN];
	const char *p[] = { rim, manifest_version };

	strcpy(rim, rim_text(expected_byte));
	store_exec(db, "INSERT INTO updates (identity, package, requested, state, "
		   "manifest_version, expected_rim, patch_rim) VALUES ('" IDENTITY "', "
		   "'/nonexistent.pkg', 'now', 'requested', ?2, ?1, ?1)", 2, p);
}

/* A column of the device, "" if NULL. */
static const char *device(const char *column)
{
	static char value[128];
	char sql[128];

	snprintf(sql, sizeof(sql), "SELECT %s FROM devices WHERE identity = '" IDENTITY "'",
		 column);
	return text_in(value, sizeof(value), sql);
}

static const char *rim_text(uint8_t byte)
{
	static char text[8 + 2 * HNBTRE_DIGEST_LEN];
	uint8_t digest[HNBTRE_DIGEST_LEN];

	memset(digest, byte, sizeof(digest));
	strcpy(text, "sha256:");
	hnbtre_hex(digest, text + 7);
	return text;
}

static void make_device(void)
{
	key = EVP_RSA_gen(2048);
	attest_key = EVP_RSA_gen(2048);
	if (!key || !attest_key)
		abort();
	cert = self_signed_cert(key, IDENTITY);
	attest_cert = attest_signer_cert(attest_key, IDENTITY, 1);
	roots = store_of(attest_cert);
	signer = attest_key;
	signer_cert = attest_cert;
}

int main(void)
{
	char *answer = NULL;
	int code;

	tap_plan(31);
	make_device();
	schema = cwmp_schema_load("tests/schema");
	log_file = tmpfile();
	if (!log_file || dup2(fileno(log_file), STDERR_FILENO) < 0)
		return 1;
	/* the SQLite store, or the PostgreSQL one of hems_pg_test.sh */
	if (store_open(getenv("HEMS_TEST_STORE") ? getenv("HEMS_TEST_STORE") : ":memory:", &db))
		return 1;

	/* issue 19 section 3: the first RIM is an operator's release, not
	 * whatever the device reports first */
	code = session(0x11, &answer);
	tap_ok(code == 403 && !*device("rim") && !strcmp(device("status"), "maintenance") &&
	       !strncmp(last_attestation(), NO_RELEASE " ", strlen(NO_RELEASE " ")) &&
	       refused_for(answer, NO_RELEASE),
	       "first attestation, its TIM no release of the operator: refused with the "
	       "reason (fault 8001, audited), no RIM stored, maintenance (%s)",
	       last_attestation());
	free(answer);
	logged("");

	trust_on_first_use = true;
	code = session(0x11, NULL);
	tap_ok(code == 204 && !strcmp(device("rim"), rim_text(0x11)) &&
	       logged("trust on first use: RIM " "sha256:1111") && !*device("manifest_version"),
	       "--trust-on-first-use: the first RIM is stored and the acceptance logged");
	trust_on_first_use = false;

	store_exec(db, "UPDATE devices SET rim = NULL, status = 'ok'", 0, NULL);
	{
		char rim[HEMS_RIM_TEXT];

		strcpy(rim, rim_text(0x11));
		store_release_add(db, rim, "5", "2.1", "/releases/r5.pkg", "now");
	}
	code = session(0x11, NULL);
	tap_ok(code == 204 && !strcmp(device("rim"), rim_text(0x11)) &&
	       !strcmp(device("status"), "ok") && !strcmp(device("manifest_version"), "5") &&
	       logged("is release /releases/r5.pkg (package version 2.1, manifest version 5)"),
	       "first attestation, its TIM an operator's release: RIM and manifest version "
	       "of the release stored, session ends (%d)", code);

	hems_expect_rim(db, IDENTITY, rim_text(0x22), "sent");
	code = session(0x11, NULL);
	tap_ok(code == 204 && !strcmp(device("rim"), rim_text(0x11)) &&
	       !strcmp(device("expected_rim"), rim_text(0x22)) && !strcmp(device("status"), "ok"),
	       "package sent, not installed yet: the old RIM is still valid, expected kept");

	code = session(0x22, NULL);
	tap_ok(code == 204 && !strcmp(device("rim"), rim_text(0x22)) &&
	       !*device("expected_rim") && !*device("expected_state") &&
	       !strcmp(device("status"), "ok"),
	       "TIM = expected RIM: stored RIM renewed, expectation cleared");

	hems_expect_rim(db, IDENTITY, rim_text(0x33), "installed");
	code = session(0x22, NULL);
	tap_ok(!strcmp(device("rim"), rim_text(0x22)) && !strcmp(device("status"), "maintenance"),
	       "package installed, TIM = old RIM != expected: maintenance, RIM not renewed");

	code = session(0x33, NULL);
	tap_ok(!strcmp(device("rim"), rim_text(0x33)) && !strcmp(device("status"), "ok"),
	       "then TIM = expected RIM: renewed, maintenance cleared");

	code = session(0x44, &answer);
	tap_ok(code == 403 && !strcmp(device("rim"), rim_text(0x33)) &&
	       !strcmp(device("status"), "maintenance") &&
	       refused_for(answer, "TIM differs from the expected RIM"),
	       "no expectation, TIM != stored RIM: maintenance, refused with the reason");
	free(answer);

	store_exec(db, "UPDATE devices SET status = 'ok'", 0, NULL);
	store_exec(db, "INSERT INTO updates (identity, package, requested, state) VALUES ('"
		   IDENTITY "', '/nonexistent.pkg', 'now', 'requested')", 0, NULL);
	code = session(0x33, &answer);
	tap_ok(code == 200 && answer && strstr(answer, "<cwmp:Download>") &&
	       strstr(answer, "https://hems.test/package/1"),
	       "valid attestation and a requested update: Download");
	free(answer);

	/* TS 33.320 8.3.2.2: the update's expectation, then its verification */
	request_update(0x55, "7");
	code = session(0x33, &answer);
	tap_ok(code == 200 && answer && strstr(answer, "https://hems.test/package/2") &&
	       !strcmp(device("expected_rim"), rim_text(0x55)) &&
	       !strcmp(device("expected_state"), "sent") &&
	       !strcmp(update_row(2, "state"), "sent"),
	       "Download sent: the update's expected RIM becomes the device's, state sent");
	free(answer);

	code = session_after(INFORM_AFTER("2", "Passed"), TRANSFER_COMPLETE("2", "0", ""),
			     0x55, NULL);
	tap_ok(code == 204 && !strcmp(device("rim"), rim_text(0x55)) &&
	       !strcmp(device("manifest_version"), "7") && !strcmp(device("status"), "ok") &&
	       !*device("expected_rim") && !*device("expected_state") &&
	       !strcmp(update_row(2, "state || ' ' || fault || ' ' || self_check"),
		       "verified 0 Passed") &&
	       !strcmp(update_row(2, "reported_tim"), rim_text(0x55)) &&
	       strcmp(update_row(2, "finished"), "-"),
	       "TransferComplete 0, then TIM = expected: verified, RIM and manifest version renewed");

	request_update(0x66, "8");
	session(0x55, NULL);
	reboot_measure = true;
	code = session_after(INFORM_AFTER("3", "Passed"), TRANSFER_COMPLETE("3", "0", ""),
			     0x77, &answer);
	tap_ok(code == 200 && answer && strstr(answer, "<cwmp:Reboot>") &&
	       !strcmp(device("rim"), rim_text(0x55)) &&
	       !strcmp(device("manifest_version"), "7") &&
	       !strcmp(device("status"), "maintenance") &&
	       !strcmp(device("expected_state"), "installed") &&
	       !strcmp(update_row(3, "state"), "mismatch") &&
	       !strcmp(update_row(3, "reported_tim"), rim_text(0x77)),
	       "TransferComplete 0, then TIM != expected: mismatch, marked, measure reboot: Reboot");
	free(answer);

	code = session(0x77, &answer);
	tap_ok(code == 403 && !strcmp(device("status"), "maintenance") &&
	       refused_for(answer, "marked for maintenance"),
	       "the next session with the same TIM: still marked, no second Reboot, refused");
	free(answer);
	reboot_measure = false;

	store_exec(db, "UPDATE devices SET status = 'ok', expected_rim = NULL, "
		   "expected_state = NULL", 0, NULL);
	request_update(0x88, "9");
	session(0x55, NULL);
	code = session_after(INFORM_AFTER("4", "None"),
			     TRANSFER_COMPLETE("4", "9019", "no acceptable signature"), 0x55, NULL);
	tap_ok(code == 204 && !strcmp(device("rim"), rim_text(0x55)) &&
	       !strcmp(device("status"), "ok") && !*device("expected_rim") &&
	       !strcmp(update_row(4, "state || ' ' || fault || ' ' || fault_string"),
		       "failed 9019 no acceptable signature"),
	       "TransferComplete 9019: failed, expectation dropped, the old RIM still valid");

	code = session_after(INFORM, TRANSFER_COMPLETE("4", "0", ""), 0x55, NULL);
	tap_ok(code == 204 && !strcmp(update_row(4, "state"), "failed") && !*device("expected_rim"),
	       "a second TransferComplete for a finished update changes nothing");

	/* issue 19 section 2: the operator's repair for a device the PVE rejects */
	code = session(0x44, NULL);
	request_update(0xaa, "11");
	store_exec(db, "INSERT INTO updates (identity, package, requested, state, "
		   "expected_rim, repair) VALUES ('" IDENTITY "', '/nonexistent.pkg', 'now', "
		   "'requested', '" HEX_AB "', 1)", 0, NULL);
	code = session(0x44, &answer);
	tap_ok(code == 200 && answer && strstr(answer, "https://hems.test/package/6") &&
	       !strcmp(update_row(5, "state"), "requested") &&
	       !strcmp(update_row(6, "state"), "sent") &&
	       !strcmp(device("expected_rim"), rim_text(0xab)) &&
	       !strcmp(device("status"), "maintenance"),
	       "attestation rejected: no ordinary update, but the repair update is sent");
	free(answer);
	store_exec(db, "UPDATE updates SET state = 'cancelled' WHERE id IN (5, 6)", 0, NULL);
	store_exec(db, "UPDATE devices SET status = 'ok', expected_rim = NULL, "
		   "expected_state = NULL", 0, NULL);

	/* issue 19 section 3: an update stuck in sent (the agent gone) */
	request_update(0xbb, "12");
	code = session(0x55, &answer);
	tap_ok(code == 200 && answer && strstr(answer, "https://hems.test/package/7") &&
	       strcmp(update_row(7, "sent"), "-") && !strcmp(device("expected_state"), "sent"),
	       "Download of update 7: the time it was sent is recorded");
	free(answer);
	store_exec(db, "UPDATE updates SET sent = '2026-01-01T00:00:00Z' WHERE id = 7", 0, NULL);
	request_update(0xcc, "13");
	logged("");
	update_timeout = 3600;
	code = session(0x55, &answer);
	tap_ok(code == 200 && answer && strstr(answer, "https://hems.test/package/8") &&
	       !strncmp(update_row(7, "state || ' ' || finished"), "timeout 20", 10) &&
	       !strcmp(device("expected_rim"), rim_text(0xcc)) &&
	       logged("update 7 of " IDENTITY ": no TransferComplete within 3600 s of its "
		      "Download: timed out"),
	       "no TransferComplete within --update-timeout: update timed out, logged, "
	       "the next update is sent");
	free(answer);
	code = session(0x55, NULL);
	tap_ok(!strcmp(update_row(8, "state"), "sent") &&
	       !strcmp(device("expected_rim"), rim_text(0xcc)),
	       "an update sent within the timeout is kept");
	store_exec(db, "UPDATE updates SET sent = '2026-01-01T00:00:00Z' WHERE id = 8", 0, NULL);
	acs_expire_updates(db, 3600, NULL);
	tap_ok(!strcmp(update_row(8, "state"), "timeout") && !*device("expected_rim") &&
	       !*device("expected_state") && logged("update 8 of " IDENTITY),
	       "the server's periodic sweep times out a device that never comes back");
	update_timeout = 86400;

	/* session attestations (tr069.md): over the connection's TLS exporter */
	{
		uint8_t connection[HNBTRE_SESSION_NONCE_LEN], other[HNBTRE_SESSION_NONCE_LEN];
		char hex[2 * HNBTRE_SESSION_NONCE_LEN + 1], expected[160], before[160];
		int informed, next;
		size_t i;

		memset(connection, 0xc1, sizeof(connection));
		memset(other, 0xc2, sizeof(other));
		for (i = 0; i < sizeof(connection); i++)
			snprintf(hex + 2 * i, 3, "%02x", connection[i]);
		snprintf(expected, sizeof(expected), "valid %s %d", hex,
			 atoi(device("(SELECT count(*) FROM attestations)")) + 1);
		attested_session(0x55, connection, connection, false, &informed, &next, &answer,
				 NULL);
		tap_ok(informed == 200 && next == 204 && !answer &&
		       !strcmp(last_attestation(), expected) && *last_claims() &&
		       !strcmp(device("status"), "ok"),
		       "session attestation over the connection's nonce: checked in the Inform, "
		       "recorded (%s) with its claims, no nonce exchange", last_attestation());

		attested_session(0x55, other, connection, false, &informed, &next, NULL,
				 &answer);
		tap_ok(informed == 403 && !strncmp(last_attestation(), "wrong nonce ", 12) &&
		       !*last_claims() && !strcmp(device("status"), "maintenance") &&
		       refused_for(answer, "wrong nonce"),
		       "session attestation made for another connection: %s, maintenance, "
		       "the Inform refused with the reason", last_attestation());
		free(answer);
		store_exec(db, "UPDATE devices SET status = 'ok'", 0, NULL);

		attested_session(0x55, connection, NULL, false, &informed, &next, &answer,
				 NULL);
		tap_ok(informed == 200 && next == 200 && answer &&
		       strstr(answer, "<cwmp:SetParameterValues>") &&
		       strstr(answer, "AttestationNonce"),
		       "no session nonce on the connection (TLS 1.2 without EMS): the Inform's "
		       "attestation is not used, the nonce is asked for");
		free(answer);

		{
			struct acs_session blank;

			if (acs_session_init(&blank, cert, roots))
				return 1;
			memcpy(blank.session_nonce, connection, sizeof(connection));
			blank.session_bound = true;
			informed = post(&blank, INFORM_WITH("2", VALUE("Device.X_HNBTRE_TrE."
					"SessionAttestation", "base64Binary", "    ")), NULL);
			next = post(&blank, "", &answer);
			tap_ok(informed == 200 && next == 200 && answer &&
			       strstr(answer, "<cwmp:SetParameterValues>") &&
			       !strcmp(device("status"), "ok"),
			       "a blank session attestation (the agent had no session nonce): "
			       "the nonce is asked for, nothing marked");
			free(answer);
			acs_session_free(&blank);
		}

		request_update(0x99, "10");
		attested_session(0x55, connection, connection, false, &informed, &next, &answer,
				 NULL);
		tap_ok(informed == 200 && next == 200 && answer &&
		       strstr(answer, "<cwmp:SetParameterValues>"),
		       "an update requested: the PVE check before it takes a fresh nonce of ours");
		free(answer);
		store_exec(db, "DELETE FROM updates WHERE state = 'requested'", 0, NULL);

		snprintf(before, sizeof(before), "%s", last_attestation());
		attested_session(0x55, connection, connection, true, &informed, &next, &answer,
				 NULL);
		tap_ok(informed == 200 && next == 204 && !answer &&
		       !strcmp(last_attestation(), before),
		       "serve --no-attestation-check (benchmark baseline): the same Inform, "
		       "nothing checked, the session ends after it");

		/* forgeries: what root on the device signs with the device key */
		signer = key;
		signer_cert = cert;
		attested_session(0x55, connection, connection, false, &informed, &next, &answer,
				 NULL);
		tap_ok(!strncmp(last_attestation(), "not signed by an attestation key", 32) &&
		       !*last_claims(),
		       "a session attestation signed by the device key under the device "
		       "certificate: rejected (%s), none of its claims recorded",
		       last_attestation());
		free(answer);
		signer_cert = attest_cert;
		attested_session(0x55, connection, connection, false, &informed, &next, &answer,
				 NULL);
		tap_ok(!strncmp(last_attestation(), "bad signature", 13) && !*last_claims(),
		       "signed by the device key under the attestation certificate: "
		       "rejected (%s), none of its claims recorded", last_attestation());
		free(answer);
		/* the same forgeries answering the PVE check's own nonce */
		signer_cert = cert;
		session(0x55, NULL);
		tap_ok(!strncmp(last_attestation(), "not signed by an attestation key", 32) &&
		       !*last_claims(),
		       "the PVE check answered by the device key under the device "
		       "certificate: rejected (%s), none of its claims recorded",
		       last_attestation());
		signer_cert = attest_cert;
		session(0x55, NULL);
		tap_ok(!strncmp(last_attestation(), "bad signature", 13) && !*last_claims(),
		       "the PVE check answered by the device key under the attestation "
		       "certificate: rejected (%s), none of its claims recorded",
		       last_attestation());
		signer = attest_key;
	}

	tap_ok(schema && messages >= 40 && !invalid_messages,
	       "all %d messages of the session valid against cwmp-1-1.xsd (%d invalid)",
	       messages, invalid_messages);
	return tap_done();
}
