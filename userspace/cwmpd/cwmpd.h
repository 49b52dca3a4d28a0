/* SPDX-License-Identifier: GPL-2.0-only */
/* hnbtre-cwmpd: the TR-069 agent of the H(e)NB (Documentation/tr069.md). */
#ifndef CWMPD_H
#define CWMPD_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <json-c/json.h>

#include "hnbtre_cwmp.h"
#include "ocsp.h"

#define TRE_PREFIX	"Device.X_HNBTRE_TrE."

/* Revocation checking of the ACS certificate (ocsp.c, session.c). */
enum ocsp_policy {
	OCSP_HARD,	/* no answer: no session */
	OCSP_SOFT,	/* no answer: session with a warning */
	OCSP_OFF,
};

struct agent_config {
	const char *acs_url;
	const char *cert_path;		/* device certificate (PEM) */
	const char *ca_path;		/* operator roots the ACS chains to */
	const char *state_dir;
	const char *reboot_cmd;
	const char *restart_cmd;	/* after an install without Reboot */
	const char *boot_id_path;	/* tells a reboot: the kernel's boot_id */
	const char *factory_reset_cmd;
	const char *repair_cmd;		/* run instead of sessions while failed */
	const char *renew_cmd;		/* renews the device certificate */
	double renew_below;		/* lifetime fraction that runs it; 0 never */
	unsigned int periodic_interval;	/* initial PeriodicInformInterval */
	unsigned int retry_min_wait;	/* initial CWMPRetryMinimumWaitInterval */
	unsigned int poll_seconds;	/* active notification polling */
	bool once;
	bool isolate_failed_update;	/* --policy isolate: no rollback */
	enum ocsp_policy ocsp;
	const char *ocsp_url;		/* instead of the certificate's AIA */
	time_t time_floor;		/* last known-good time (clock.c) */
};

/*
 * The persisted state (store.c): one JSON document, replaced atomically.
 *   events:     [{"code": "1 BOOT", "key": ""}, ...] not yet delivered
 *   transfers:  [{"key", "url", "file_type", "state": "pending"|"done",
 *                 "fault", "fault_string", "start", "complete"}]
 *   attributes: {"name": notification (0, 1, 2)}
 *   notified:   {"name": "last value the ACS has seen"}
 *   settings:   {"periodic_enable", "periodic_interval", "retry_min_wait",
 *                "retry_multiplier", "parameter_key", "nonce", "self_check",
 *                "boot_id", "bootstrapped"}
 */
struct agent {
	const struct agent_config *config;
	json_object *state;
	char *state_path;
	/* deferred until the session ends */
	bool reboot_requested;
	bool factory_reset_requested;
	bool download_requested;
	struct session *session;	/* of the CWMP session under way, or NULL */
};

/* A securityfs file of the TrE without its trailing newlines; "" when it
 * cannot be read. */
char *dm_tre_read(const char *file);

/* store.c */
int store_load(struct agent *agent);
int store_save(struct agent *agent);
json_object *store_section(struct agent *agent, const char *name);
void store_add_event(struct agent *agent, const char *code, const char *key);
bool store_has_event(struct agent *agent, const char *code);
const char *store_setting(struct agent *agent, const char *name, const char *def);
void store_set_setting(struct agent *agent, const char *name, const char *value);

/* datamodel.c: a snapshot of every parameter */
struct dm_entry {
	char *name;		/* full name; objects end with '.' */
	char *value;		/* NULL for objects */
	const char *type;	/* xsd type */
	bool writable;
	bool object;
};

struct dm_snapshot {
	struct dm_entry *entries;
	size_t count;
};

int dm_snapshot(struct agent *agent, struct dm_snapshot *snap, bool attest);
void dm_snapshot_free(struct dm_snapshot *snap);
const struct dm_entry *dm_find(const struct dm_snapshot *snap, const char *name);
int dm_notification(struct agent *agent, const char *name);
int dm_notification_allowed(const char *name, int notification);
int dm_check_value(const char *name, const char *value, char *err, size_t len);
void dm_apply_value(struct agent *agent, const char *name, const char *value);
bool dm_forced_inform(const char *name);

/* rpc.c: answer one ACS request */
int rpc_handle(struct agent *agent, const struct cwmp_msg *msg, char **out,
	       size_t *out_len);
int rpc_build_inform(struct agent *agent, const char *session_attestation,
		     char **out, size_t *out_len, json_object **delivered_values);
int rpc_build_transfer_complete(struct agent *agent, json_object *transfer,
				char **out, size_t *out_len);

/* log.c */
void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* run @cmd with sh, logged as @what; 0 if it exited 0, else -1 */
int run_command(const char *what, const char *cmd);

/*
 * credential.c: "certificate-expired" or "certificate-revoked" (the
 * device certificate failed, @why says how), or NULL.  Revocation is
 * asked of the certificate's OCSP responder only with @ask_responder.
 */
const char *credential_failure(const struct agent_config *config, bool ask_responder,
			       char *why, size_t len);

/* renew.c: run --renew-cmd if the device certificate is due for renewal */
void renew_if_due(const struct agent_config *config);

/* clock.c: the last known-good time, kept in the state directory */
time_t clock_restore(const char *state_dir);
void clock_record(const char *state_dir, time_t seen);
time_t clock_trusted_now(time_t floor);

/* session.c: HTTPS to the ACS with the TS 33.320 profile */
struct session;
int session_check_url(const char *url, char *err, size_t len);
struct session *session_open(const struct agent_config *config, char *err,
			     size_t len);
int session_post(struct session *session, const char *body, size_t len,
		 char **resp, size_t *resp_len, char *err, size_t err_len);
/* Makes a request's body once its connection is up, the handshake done. */
typedef int session_body_fn(struct session *session, void *arg, char **body,
			    size_t *len);
/* session_post() of the body @build makes (sent chunked: its length is
 * not known before the connection is). */
int session_post_built(struct session *session, session_body_fn *build,
		       void *arg, char **resp, size_t *resp_len, char *err,
		       size_t err_len);
int session_download(struct session *session, const char *url,
		     const char *path, char *err, size_t err_len);
/* The TrE's attestation over the TLS exporter of the connection of the
 * current or last request (tr069.md, "Session attestation"), base64 in
 * *b64: 0, with *b64 NULL if that connection has no unique exporter; a
 * negative errno if the TrE made none. */
int session_attestation(struct session *session, char **b64);
time_t session_server_time(struct session *session);
void session_close(struct session *session);
extern const char session_tls12_ciphers[];

#endif /* CWMPD_H */
