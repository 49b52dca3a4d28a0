/* SPDX-License-Identifier: GPL-2.0-only */
/* hnbtre-hems: the reference H(e)MS (Documentation/tr069.md). */
#ifndef HEMS_H
#define HEMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "hnbtre.h"
#include "hnbtre_pkg.h"
#include "hnbtre_tls.h"

/*
 * store.c: the device store, every SQL statement of the H(e)MS, on SQLite
 * (@path a file) or PostgreSQL (@path "postgresql://..." or
 * "postgres://...", a libpq connection URI).  Text parameters ?N; NULL
 * binds NULL.  Functions returning int give 0 or -1 unless said
 * otherwise; returned strings are malloc'ed.
 */
struct store;
struct store_rows;
int store_open(const char *path, struct store **db);
void store_close(struct store *db);
int store_exec(struct store *db, const char *sql, int count, const char *const *params);
/* the first column of the first row, or NULL */
char *store_text(struct store *db, const char *sql, int count, const char *const *params);
/* the rows of a query, NULL on failure; values are text or NULL */
struct store_rows *store_query(struct store *db, const char *sql, int count,
			       const char *const *params);
bool store_rows_next(struct store_rows *rows);
int store_rows_columns(struct store_rows *rows);
const char *store_rows_name(struct store_rows *rows, int column);
const char *store_rows_value(struct store_rows *rows, int column);
void store_rows_free(struct store_rows *rows);
void store_begin(struct store *db);
void store_commit(struct store *db);
/* an Inform from @identity: created or updated, with its certificate */
int store_device_seen(struct store *db, const char *identity, const unsigned char *cert,
		      int cert_len, const char *now, const char *state, const char *tim);
/* a device known only from an authentic distress indication */
int store_device_add(struct store *db, const char *identity, const unsigned char *cert,
		     int cert_len);
/* status maintenance; the TrE state too unless @state is NULL */
int store_device_mark(struct store *db, const char *identity, const char *state);
/* the device's stored RIM, expected RIM and its state (each NULL if none) */
int store_device_rims(struct store *db, const char *identity, char **rim, char **expected,
		      char **expected_state);
/* TS 33.320 8.3.2.2 step 6: @tim is the expected RIM; stored RIM and manifest
 * version renewed, the installed update verified, maintenance cleared */
int store_rim_renewed(struct store *db, const char *identity, const char *tim, const char *now);
/* the installed update did not give its RIM: update mismatch, device
 * marked; 1 if an update was found so now, else 0 */
int store_update_mismatch(struct store *db, const char *identity, const char *tim,
			  const char *now);
int store_record_attestation(struct store *db, const char *identity, const char *now,
			     const char *nonce, const char *verdict, const char *state,
			     const char *tim, const char *rim, const char *counter);
int store_record_event(struct store *db, const char *identity, const char *now,
		       const char *code, const char *key);
/* the oldest requested update (repair update) of @identity, or 0 */
long long store_requested_update(struct store *db, const char *identity, bool repair_only);
char *store_update_expected_rim(struct store *db, const char *identity, const char *id);
int store_update_sent(struct store *db, const char *id, const char *now);
/*
 * Updates sent before @cutoff (of @identity, or of every device if NULL)
 * and still without TransferComplete: state timeout, finished @now, the
 * device's expectation of their RIM dropped.  Calls @report for each;
 * returns how many.
 */
int store_updates_time_out(struct store *db, const char *identity, const char *cutoff,
			   const char *now, void (*report)(void *ctx, const char *id,
							   const char *identity),
			   void *ctx);
/* An operator's release: a device whose first attestation shows
 * @platform_rim runs it (issue 19 section 3). */
int store_release_add(struct store *db, const char *platform_rim, const char *manifest_version,
		      const char *package_version, const char *package, const char *now);
/* The release whose platform RIM is @rim: its package, package and
 * manifest versions; -ENOENT: none */
int store_release_find(struct store *db, const char *rim, char **package,
		       char **package_version, char **manifest_version);
/* @rim becomes the stored RIM and @manifest_version (unless NULL) its
 * version, if the device has no RIM yet */
int store_first_rim_release(struct store *db, const char *identity, const char *rim,
			    const char *manifest_version);
/* the package file of update @id sent to @identity, or NULL */
char *store_update_package(struct store *db, const char *identity, const char *id);
/* TransferComplete of update @id: 1 if it was sent and is now installed
 * or failed, 0 if no such sent update */
int store_update_result(struct store *db, const char *identity, const char *id,
			const char *fault, const char *fault_string, bool installed,
			const char *now, const char *self_check);
/* the update's id, 0: no such device */
long long store_update_request(struct store *db, const char *identity, const char *package,
			       const char *now, const char *package_version,
			       const char *manifest_version, const char *expected_rim,
			       const char *patch_rim, bool repair);
/* -ENOENT: no such device */
int store_replacement_queue(struct store *db, const char *identity, const char *package,
			    const char *now, const char *platform_rim, const char *patch_rim);
/* the oldest requested replacement of @identity; -1: none */
int store_replacement_next(struct store *db, const char *identity, long long *id,
			   char **package, char **platform_rim);
int store_replacement_sent(struct store *db, long long id, const char *now, long long distress);
/* the highest authentic sequence number; UINT64_MAX if the store fails */
uint64_t store_distress_last_sequence(struct store *db, const char *identity);
/* identity, received, peer, transport, auth, verdict, authenticated,
 * sequence, sent_time, state, failed, attestation, attested_state;
 * returns the row id, 0 on failure */
long long store_distress_record(struct store *db, const char *const row[13]);
/*
 * Operator commands (main.c).  accept: the TIM of the device's last
 * attestation that passed all but the RIM check becomes its RIM, the
 * expectation and the maintenance mark are dropped; reset: the RIM and
 * the expectation are forgotten, requested, sent and installed updates and
 * requested replacements cancelled (@cancelled), the mark dropped.
 * -ENOENT: no such device; -ENODATA: no attestation to accept.
 */
int store_accept_rim(struct store *db, const char *identity, char **old_rim, char **new_rim);
int store_reset(struct store *db, const char *identity, char **old_rim, int *cancelled);
int store_audit(struct store *db, const char *now, const char *operator, const char *identity,
		const char *command, const char *detail);
/* What the CLI lists: a prepared statement (@identity bound if given). */
enum store_listing { LIST_DEVICES, LIST_DEVICE, LIST_ATTESTATIONS, LIST_EVENTS,
		     LIST_UPDATES, LIST_DEVICE_DISTRESS, LIST_REPLACEMENTS, LIST_DISTRESS,
		     LIST_DEVICE_AUDIT, LIST_AUDIT, LIST_RELEASES };
struct store_rows *store_listing(struct store *db, enum store_listing what,
				 const char *identity);
/*
 * The platform RIM ("sha256:<hex>") @identity must report once the package
 * it was sent is installed; @state "sent" or "installed"; @rim NULL: none.
 */
int hems_expect_rim(struct store *db, const char *identity, const char *rim,
		    const char *state);

/* The verdict on a first attestation whose TIM is no release's RIM. */
#define HEMS_NO_RELEASE	"TIM is not the RIM of a release of the operator"

/* "sha256:<hex>" and its NUL */
#define HEMS_RIM_TEXT	(7 + 2 * HNBTRE_DIGEST_LEN + 1)
/*
 * hnbtre_pkg_reference() of the package at @path, with the platform RIM a
 * device reports once it is installed and the RIM of the patch as text.
 */
int hems_package_rims(const char *path, struct hnbtre_pkg_reference *ref,
		      char platform_rim[HEMS_RIM_TEXT], char patch_rim[HEMS_RIM_TEXT],
		      char *err);

/* Revocation checking of device certificates (revocation.c). */
enum revocation_method { REVOCATION_OFF, REVOCATION_OCSP, REVOCATION_CRL };

struct hems_config {
	const char *listen_addr;
	unsigned short port;
	const char *cert_path;
	const char *key_path;
	const char *ca_path;
	const char *db_path;
	const char *public_url;		/* how devices reach this server */
	const char *demand_auth;	/* test only: answer with a 401 challenge */
	bool reboot_on_mismatch;	/* --on-mismatch reboot (else mark only) */
	bool trust_on_first_use;	/* a device's first RIM is stored, logged */
	long update_timeout;		/* seconds from Download to TransferComplete */
	/* benchmark baseline only (scripts/bench-hems): no PVE check at all */
	bool no_attestation_check;
	const char *ocsp_staple;	/* DER OCSP response for our certificate */
	enum revocation_method revocation;	/* of device certificates */
	bool revocation_soft;		/* no status: session with a warning */
	const char *ocsp_responder;	/* a URL, or "aia": the certificate's */
	const char *crl_path;		/* PEM or DER CRL of the device CA */
	/* Distress indications (distress.c); a port of 0 is off. */
	unsigned short distress_tls_port;
	unsigned short distress_tcp_port;
	const char *distress_psk_dir;	/* <dir>/<identity>: the PSK */
	const char *distress_ca;	/* distress credentials chain here */
	const char *distress_ike_listen; /* ADDR:PORT, only via the tunnel */
};

/* One CWMP session (one TLS connection) at the ACS. */
enum acs_step { EXPECT_INFORM, INFORMED, NONCE_SENT, ATTESTATION_ASKED, DOWNLOAD_SENT,
		REBOOT_SENT, DONE };

struct acs_session {
	enum acs_step step;
	char identity[HNBTRE_IDENTITY_MAX + 1];	/* client certificate's CN */
	/* the client certificate, as TLS decoded it: decoding it again per
	 * attestation would cost the server more than the check itself */
	X509 *cert;
	/* the operator CAs that issue attestation certificates */
	X509_STORE *roots;
	unsigned char *cert_der;		/* for the store */
	int cert_len;
	uint8_t nonce[32];			/* of SetParameterValues */
	/* the TLS exporter a session attestation is made over (tr069.md) */
	uint8_t session_nonce[HNBTRE_SESSION_NONCE_LEN];
	bool session_bound;	/* session_nonce is set: TLS 1.3, or 1.2 with EMS */
	bool attested;		/* the Inform's session attestation was checked */
	char self_check[16];	/* SelfCheck of the Inform, "" if absent */
	bool reboot_on_mismatch;	/* the measure, from the configuration */
	bool trust_on_first_use;	/* serve --trust-on-first-use */
	long update_timeout;		/* serve --update-timeout */
	bool no_attestation_check;	/* the session ends after the Inform */
	bool update_mismatch;		/* this session found one */
	char refusal[384];		/* why the last attestation check failed */
};

/* What to answer: HTTP status and body (malloc'ed, or NULL). */
struct acs_reply {
	int code;
	char *body;
	size_t len;
};

int acs_session_init(struct acs_session *s, X509 *peer, X509_STORE *roots);
/*
 * acs_refuse() - refuse @identity with @reason: an HTTP 403 whose body is a
 * CWMP Fault 8001 (TR-069 Table 19) with @reason as FaultString, logged
 * and audited (operator "hnbtre-hems", command "refused") in @db.
 */
void acs_refuse(struct store *db, const char *identity, const char *id, const char *reason,
		struct acs_reply *r);
void acs_session_free(struct acs_session *s);
void acs_handle(struct store *db, const char *public_url, struct acs_session *s,
		const char *body, size_t len, struct acs_reply *r);
int acs_package(struct store *db, const struct acs_session *s, const char *path,
		char **data, size_t *len);
/* Times out the updates sent more than @timeout seconds ago (of
 * @identity, or all if NULL): logged, the device can be updated again. */
void acs_expire_updates(struct store *db, long timeout, const char *identity);
void hems_log(const char *fmt, const char *a, const char *b);
void hems_now(char *buf, size_t len);

struct event_base;
struct distress_listener;
int distress_listen(struct event_base *base, const struct hems_config *config,
		    struct store *db, struct distress_listener **tls,
		    struct distress_listener **tcp, struct distress_listener **ike);
void distress_close(struct distress_listener *l);

struct revocation;
struct revocation_query;
struct revocation *revocation_new(const struct hems_config *config, X509_STORE *roots);
void revocation_free(struct revocation *rv);
/* what revocation_start() and revocation_finish() say of the certificate */
#define REVOCATION_LINE_LEN	768
/*
 * Whether the client certificate of @ssl (verified; CN @identity) may have
 * a session: not revoked, and a valid status unless the policy is soft.
 * 1 or 0, logged, when the cache, the CRL or the configuration decides;
 * -EINPROGRESS when a responder must be asked: revocation_query_run(@q)
 * (in a thread of its own: it may take the OCSP client's 10 s), then
 * revocation_finish() in the caller's thread gives the verdict.
 */
int revocation_start(struct revocation *rv, SSL *ssl, const char *identity,
		     struct revocation_query **q, char line[REVOCATION_LINE_LEN]);
void revocation_query_run(struct revocation_query *q);
/* a query not run */
void revocation_query_drop(struct revocation_query *q);
/* caches the answer, logs, frees @q */
bool revocation_finish(struct revocation *rv, struct revocation_query *q,
		       char line[REVOCATION_LINE_LEN]);

int hems_serve(const struct hems_config *config);
int hems_cli(const char *db_path, const char *operator, int argc, char **argv, int json);

#endif /* HEMS_H */
