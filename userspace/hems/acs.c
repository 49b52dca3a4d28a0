// SPDX-License-Identifier: GPL-2.0-only
/*
 * The ACS's side of one CWMP session, independent of the HTTP server
 * (server.c) so that it can be fuzzed:
 *   Inform -> InformResponse, with the PVE check of its session attestation
 *   (over the TLS exporter) when no update of the device is in progress;
 *   TransferComplete -> TransferCompleteResponse;
 *   empty POST -> 204 if the Inform's attestation was checked, else
 *   SetParameterValues(AttestationNonce = fresh nonce);
 *   SetParameterValuesResponse -> GetParameterValues(Attestation);
 *   GetParameterValuesResponse -> the PVE check, recorded; then Download
 *   of a requested update if the check passed, Reboot if the platform
 *   after an update is not the expected one and the measure is "reboot",
 *   else 204, which ends it.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "hems.h"
#include "hnbtre.h"
#include "hnbtre_cwmp.h"

#define TRE "Device.X_HNBTRE_TrE."

void hems_log(const char *fmt, const char *a, const char *b)
{
	char line[1024];
	int len = snprintf(line, sizeof(line), "hnbtre-hems: ");

	/* one write per line: stderr is unbuffered, and three writes per
	 * line were a measurable part of a session's cost under load */
	len += snprintf(line + len, sizeof(line) - len - 1, fmt, a, b);
	if (len > (int)sizeof(line) - 2)
		len = sizeof(line) - 2;
	line[len++] = '\n';
	fwrite(line, 1, len, stderr);
}

static void report_timeout(void *ctx, const char *id, const char *identity)
{
	char line[256];

	snprintf(line, sizeof(line), "update %s of %s: no TransferComplete within %ld s of "
		 "its Download: timed out", id, identity, *(const long *)ctx);
	hems_log("%s%s", line, "; the device can be updated again");
}

/*
 * Issue 19 section 3: an agent that got a Download and never reported its
 * TransferComplete (gone, reinstalled, its state lost) would leave the
 * update sent, and its RIM expected, for ever.
 */
void acs_expire_updates(struct store *db, long timeout, const char *identity)
{
	char now[32], cutoff[32];
	time_t t = time(NULL);
	struct tm tm;

	hems_now(now, sizeof(now));
	t -= timeout;
	gmtime_r(&t, &tm);
	strftime(cutoff, sizeof(cutoff), "%Y-%m-%dT%H:%M:%SZ", &tm);
	store_updates_time_out(db, identity, cutoff, now, report_timeout, &timeout);
}

void hems_now(char *buf, size_t len)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int acs_session_init(struct acs_session *s, X509 *peer, X509_STORE *roots)
{
	int len;

	memset(s, 0, sizeof(*s));
	len = X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName,
					s->identity, sizeof(s->identity));
	s->cert_len = i2d_X509(peer, &s->cert_der);
	if (len <= 0 || s->cert_len <= 0 || !X509_up_ref(peer)) {
		OPENSSL_free(s->cert_der);
		s->cert_der = NULL;
		return -1;
	}
	s->cert = peer;
	s->roots = roots;
	return 0;
}

void acs_session_free(struct acs_session *s)
{
	X509_free(s->cert);
	OPENSSL_free(s->cert_der);
	s->cert = NULL;
	s->cert_der = NULL;
}

static void reply(struct acs_reply *r, int code, char *body, size_t len)
{
	free(r->body);
	r->code = code;
	r->body = body;
	r->len = len;
}

static void reply_out(struct acs_reply *r, struct cwmp_out *o)
{
	char *body;
	size_t len;

	if (cwmp_out_finish(o, &body, &len))
		reply(r, 500, NULL, 0);
	else
		reply(r, 200, body, len);
}

/*
 * Issue 19: a refused device and its operator see why.  HTTP 403 keeps the
 * refusal plain to any HTTP client; its body is the CWMP Fault an agent
 * reads the reason from.  No session continues after it.
 */
void acs_refuse(struct store *db, const char *identity, const char *id, const char *reason,
		struct acs_reply *r)
{
	struct cwmp_out o;
	char now[32];

	hems_log("refused %s: %s", identity, reason);
	hems_now(now, sizeof(now));
	store_audit(db, now, "hnbtre-hems", identity, "refused", reason);
	if (cwmp_out_fault(&o, id, CWMP_FAULT_ACS_REQUEST_DENIED, reason)) {
		reply(r, 403, NULL, 0);
		return;
	}
	reply_out(r, &o);
	if (r->code == 200)
		r->code = 403;
}

static void record_event(struct store *db, struct acs_session *s,
			 const char *code, const char *key)
{
	char now[32];

	hems_now(now, sizeof(now));
	store_record_event(db, s->identity, now, code, key);
}

/* Value of a ParameterValueStruct in a ParameterList, or NULL. */
static char *param_value(xmlNodePtr list, const char *name, size_t max)
{
	xmlNodePtr n;

	for (n = cwmp_next_element(list ? list->children : NULL); n;
	     n = cwmp_next_element(n->next)) {
		char *this = cwmp_text(n, "Name", 256);
		int match = this && !strcmp(this, name);

		free(this);
		if (match)
			return cwmp_text(n, "Value", max);
	}
	return NULL;
}

static void send_nonce(struct acs_session *s, struct acs_reply *r)
{
	char hex[2 * sizeof(s->nonce) + 1];
	struct cwmp_out o;
	xmlNodePtr list;
	size_t i;

	RAND_bytes(s->nonce, sizeof(s->nonce));
	for (i = 0; i < sizeof(s->nonce); i++)
		snprintf(hex + 2 * i, 3, "%02x", s->nonce[i]);
	if (cwmp_out_new(&o, "nonce", "SetParameterValues") ||
	    !(list = cwmp_add_array(o.method, "ParameterList", "cwmp:ParameterValueStruct", 1)) ||
	    cwmp_add_value(list, TRE "AttestationNonce", hex, "xsd:hexBinary") ||
	    !cwmp_add(o.method, "ParameterKey", "attest")) {
		cwmp_out_free(&o);
		reply(r, 500, NULL, 0);
		return;
	}
	reply_out(r, &o);
	s->step = NONCE_SENT;
}

static void ask_attestation(struct acs_session *s, struct acs_reply *r)
{
	struct cwmp_out o;
	xmlNodePtr names;

	if (cwmp_out_new(&o, "attestation", "GetParameterValues") ||
	    !(names = cwmp_add_array(o.method, "ParameterNames", "xsd:string", 1)) ||
	    !cwmp_add(names, "string", TRE "Attestation")) {
		cwmp_out_free(&o);
		reply(r, 500, NULL, 0);
		return;
	}
	reply_out(r, &o);
	s->step = ATTESTATION_ASKED;
}

/* The device's RIMs as the store holds them; each digest NULL if absent. */
struct device_rims {
	uint8_t stored_buf[HNBTRE_DIGEST_LEN], expected_buf[HNBTRE_DIGEST_LEN];
	const uint8_t *stored, *expected;
	int installed;	/* the package carrying @expected was installed */
};

static int load_rims(struct store *db, const char *identity, struct device_rims *rims)
{
	char *rim, *expected, *state;

	memset(rims, 0, sizeof(*rims));
	if (store_device_rims(db, identity, &rim, &expected, &state))
		return -1;
	if (rim && hnbtre_parse_digest(rim, rims->stored_buf))
		rims->stored = rims->stored_buf;
	if (expected && hnbtre_parse_digest(expected, rims->expected_buf)) {
		rims->expected = rims->expected_buf;
		rims->installed = state && !strcmp(state, "installed");
	}
	free(rim);
	free(expected);
	free(state);
	return 0;
}

_Static_assert(sizeof(((struct acs_session *)0)->nonce) == HNBTRE_SESSION_NONCE_LEN,
	       "both nonces of a PVE check have the same length");

/* Not a verdict of hnbtre_verify_attestation_cert(): HEMS_NO_RELEASE. */
#define NO_RELEASE	(-1000)

/*
 * The first valid attestation of a device (no RIM stored, none expected):
 * its TIM must be the platform RIM of one of the operator's releases
 * (`hnbtre-hems release PACKAGE`), whose RIM and manifest version are then
 * stored.  The device's own word is taken only under --trust-on-first-use,
 * logged each time.  Whether the TIM is accepted.
 */
static bool first_rim(struct store *db, const struct acs_session *s, const char *tim)
{
	char *package, *version, *manifest_version, line[PATH_MAX + 256];
	bool release = !store_release_find(db, tim, &package, &version, &manifest_version);

	if (release) {
		snprintf(line, sizeof(line), "%s is release %s (package version %s, manifest "
			 "version %s)", tim, package, version ? version : "-",
			 manifest_version ? manifest_version : "-");
		hems_log("first attestation of %s: RIM %s: stored", s->identity, line);
		store_first_rim_release(db, s->identity, tim, manifest_version);
	} else if (s->trust_on_first_use) {
		hems_log("trust on first use: RIM %s of %s accepted, no release of the "
			 "operator has it", tim, s->identity);
		store_first_rim_release(db, s->identity, tim, NULL);
	} else {
		hems_log("first attestation of %s: TIM %s is no release's platform RIM "
			 "(hnbtre-hems release PACKAGE; accept DEVICE)", s->identity, tim);
	}
	free(package);
	free(version);
	free(manifest_version);
	return release || s->trust_on_first_use;
}

/*
 * The PVE check of the base64 attestation @b64 that @carrier (the Inform or
 * GetParameterValues) brought: signature with the device certificate, the
 * 32-byte @nonce, the certificate's identity, state trusted, and the TIM
 * against the device's @rims (load_rims(); Documentation/tr069.md, "The
 * expected RIM"):
 * - equal to the expected RIM of a package sent to the device: the package
 *   is installed and measured as it should be; it becomes the stored RIM;
 * - the package is reported installed and the TIM differs from its
 *   expected RIM: "TIM differs from the expected RIM";
 * - otherwise equal to the stored RIM; none stored yet: the platform RIM
 *   of an operator's release (first_rim()).
 * A failure marks the device for maintenance.
 */
static int check_attestation(struct store *db, struct acs_session *s,
			     const struct device_rims *rims, const char *b64,
			     const uint8_t *nonce, const char *carrier)
{
	char now[32], nonce_hex[65], tim[72] = "", rim[72] = "", counter[24] = "";
	char who[HNBTRE_IDENTITY_MAX + 32];
	struct hnbtre_attestation att;
	const char *verdict_text;
	int verdict = HNBTRE_ATTEST_MALFORMED, renewed = 0;
	uint8_t *blob = NULL;
	bool genuine;
	size_t len, i;

	if (b64 && !hnbtre_base64_decode(b64, strlen(b64), 8192, &blob, &len))
		verdict = hnbtre_verify_attestation_cert(blob, len, s->cert, s->roots,
							 nonce, sizeof(s->nonce),
							 rims->expected ? rims->expected :
							 rims->stored, &att);
	if (rims->expected) {
		if (verdict == HNBTRE_ATTEST_VALID)
			renewed = 1;
		else if (verdict == HNBTRE_ATTEST_TIM_NOT_RIM && !rims->installed &&
			 att.validated && att.has_manifest &&
			 !memcmp(att.tim, rims->stored ? rims->stored : att.rim,
				 HNBTRE_DIGEST_LEN))
			verdict = HNBTRE_ATTEST_VALID;	/* not installed yet */
	}
	/* a forger's claims are not recorded as the device's */
	genuine = hnbtre_attest_genuine(verdict);
	if (genuine) {
		char hex[2 * HNBTRE_DIGEST_LEN + 1];

		hnbtre_hex(att.tim, hex);
		snprintf(tim, sizeof(tim), "sha256:%s", hex);
		hnbtre_hex(att.rim, hex);
		snprintf(rim, sizeof(rim), "sha256:%s", hex);
		snprintf(counter, sizeof(counter), "%llu", (unsigned long long)att.counter);
	}
	if (verdict == HNBTRE_ATTEST_VALID && !rims->stored && !rims->expected &&
	    !first_rim(db, s, tim))
		verdict = NO_RELEASE;
	verdict_text = verdict == NO_RELEASE ? HEMS_NO_RELEASE :
		       verdict < 0 ? "malformed" : verdict == HNBTRE_ATTEST_VALID ? "valid" :
		       hnbtre_attest_verdict_str(verdict);
	for (i = 0; i < sizeof(s->nonce); i++)
		snprintf(nonce_hex + 2 * i, 3, "%02x", nonce[i]);
	hems_now(now, sizeof(now));
	/* NULL, not "", for what a forgery claimed: counter is an INTEGER */
	store_record_attestation(db, s->identity, now, nonce_hex, verdict_text,
				 genuine ? hnbtre_state_name(att.state) : NULL,
				 genuine ? tim : NULL, genuine ? rim : NULL,
				 genuine ? counter : NULL);
	if (renewed) {
		/* TS 33.320 8.3.2.2 step 6: the update is verified; the stored RIM and
		 * manifest version become the package's */
		store_rim_renewed(db, s->identity, tim, now);
		hems_log("%s: RIM renewed to %s", s->identity, tim);
	} else if (rims->installed && verdict == HNBTRE_ATTEST_TIM_NOT_RIM) {
		/* the package is installed but the platform is not what it
		 * should make it: marked; the measure (tr069.md) is taken
		 * once, when the update is found so */
		s->update_mismatch = store_update_mismatch(db, s->identity, tim, now) > 0;
		hems_log("%s: TIM after the update is %s, not the expected RIM: maintenance",
			 s->identity, tim);
	} else if (verdict != HNBTRE_ATTEST_VALID) {
		store_device_mark(db, s->identity, NULL);
	}
	if (verdict != HNBTRE_ATTEST_VALID)
		snprintf(s->refusal, sizeof(s->refusal), "attestation (%s): %s; the device is "
			 "marked for maintenance", carrier, verdict_text);
	snprintf(who, sizeof(who), "%s (%s)", s->identity, carrier);
	hems_log("attestation of %s: %s", who, verdict_text);
	free(blob);
	return verdict == HNBTRE_ATTEST_VALID;
}

static int on_inform(struct store *db, struct acs_session *s,
		     const struct cwmp_msg *msg, struct acs_reply *r)
{
	xmlNodePtr id = cwmp_child(msg->method, "DeviceId"), ev, n;
	xmlNodePtr params = cwmp_child(msg->method, "ParameterList");
	char *serial = cwmp_text(id, "SerialNumber", HNBTRE_IDENTITY_MAX);
	char *state = param_value(params, TRE "State", 32);
	char *tim = param_value(params, TRE "TIM", 80);
	char *self_check = param_value(params, TRE "SelfCheck", sizeof(s->self_check) - 1);
	char *attestation = param_value(params, TRE "SessionAttestation", 8192);
	char now[32];
	struct device_rims rims;
	struct cwmp_out o;
	int ret = -1;

	if (!serial || strcmp(serial, s->identity)) {
		snprintf(s->refusal, sizeof(s->refusal), "the Inform's SerialNumber %.64s is not "
			 "the certificate's identity", serial ? serial : "(none)");
		acs_refuse(db, s->identity, msg->id, s->refusal, r);
		s->step = DONE;
		ret = 0;
		goto out;
	}
	hems_now(now, sizeof(now));
	if (store_device_seen(db, s->identity, s->cert_der, s->cert_len, now, state, tim))
		goto out;
	ev = cwmp_child(msg->method, "Event");
	for (n = cwmp_next_element(ev ? ev->children : NULL); n; n = cwmp_next_element(n->next)) {
		char *code = cwmp_text(n, "EventCode", 64), *key = cwmp_text(n, "CommandKey", 64);

		if (code)
			record_event(db, s, code, key);
		free(code);
		free(key);
	}
	hems_log("Inform from %s, TrE state %s", s->identity, state ? state : "?");
	acs_expire_updates(db, s->update_timeout, s->identity);
	/*
	 * Blank: the agent had no session nonce either.  An update requested,
	 * or its result not yet verified (an expected RIM): the PVE check
	 * before it (TR 33.820 Annex A) and the check of its result (TS 33.320 8.3.2.2) take a
	 * nonce of ours, as the flow has it.
	 */
	if (attestation && attestation[strspn(attestation, " \t\r\n")] && s->session_bound &&
	    !s->no_attestation_check && !load_rims(db, s->identity, &rims) && !rims.expected &&
	    !store_requested_update(db, s->identity, false)) {
		s->attested = true;
		if (!check_attestation(db, s, &rims, attestation, s->session_nonce, "Inform")) {
			/* nothing queued for it (no update, no repair): refused */
			acs_refuse(db, s->identity, msg->id, s->refusal, r);
			s->step = DONE;
			ret = 0;
			goto out;
		}
	}
	if (cwmp_out_new(&o, msg->id, "InformResponse") ||
	    !cwmp_add(o.method, "MaxEnvelopes", "1")) {
		cwmp_out_free(&o);
		goto out;
	}
	reply_out(r, &o);
	s->step = INFORMED;
	if (self_check)
		strcpy(s->self_check, self_check);
	ret = 0;
out:
	free(attestation);
	free(self_check);
	free(serial);
	free(state);
	free(tim);
	return ret;
}

/*
 * The device's expected RIM becomes the one `update` computed for update
 * @key (none for an update recorded without one), in @state (sent,
 * installed).
 */
static void set_expectation(struct store *db, const char *identity, const char *key,
			    const char *state)
{
	char *rim = store_update_expected_rim(db, identity, key);

	hems_expect_rim(db, identity, rim, state);
	free(rim);
}

/*
 * TR 33.820 Annex A: only a device whose fresh attestation passed gets an update.
 * The package is served by this server at <public URL>/package/<id>, to
 * this device only; the CommandKey is the update's id.
 */
static int send_download(struct store *db, const char *public_url, struct acs_session *s,
			 long long id, struct acs_reply *r)
{
	char key[24], url[1024], now[32];
	struct cwmp_out o;

	snprintf(key, sizeof(key), "%lld", id);
	snprintf(url, sizeof(url), "%s/package/%lld", public_url, id);
	if (cwmp_out_new(&o, "download", "Download") ||
	    !cwmp_add(o.method, "CommandKey", key) ||
	    !cwmp_add(o.method, "FileType", "1 Firmware Upgrade Image") ||
	    !cwmp_add(o.method, "URL", url) ||
	    !cwmp_add(o.method, "Username", "") || !cwmp_add(o.method, "Password", "") ||
	    !cwmp_add(o.method, "FileSize", "0") || !cwmp_add(o.method, "TargetFileName", "") ||
	    !cwmp_add(o.method, "DelaySeconds", "0") || !cwmp_add(o.method, "SuccessURL", "") ||
	    !cwmp_add(o.method, "FailureURL", "")) {
		cwmp_out_free(&o);
		return -1;
	}
	reply_out(r, &o);
	hems_now(now, sizeof(now));
	store_update_sent(db, key, now);
	set_expectation(db, s->identity, key, "sent");
	hems_log("Download of update %s sent to %s", key, s->identity);
	s->step = DOWNLOAD_SENT;
	return 0;
}

/*
 * The measure "reboot" for a device whose platform after an update is not
 * the expected one: trusted start-up runs again on the device, whose TrE
 * then closes the gate if a component fails (repair through distress).
 */
static void send_reboot(struct acs_session *s, struct acs_reply *r)
{
	struct cwmp_out o;

	if (cwmp_out_new(&o, "reboot", "Reboot") ||
	    !cwmp_add(o.method, "CommandKey", "update mismatch")) {
		cwmp_out_free(&o);
		reply(r, 204, NULL, 0);
		return;
	}
	reply_out(r, &o);
	hems_log("Reboot sent to %s: %s", s->identity,
		 "its TIM after the update is not the expected RIM");
	s->step = REBOOT_SENT;
}

#define PACKAGE_MAX	(512 << 20)

int acs_package(struct store *db, const struct acs_session *s, const char *path,
		char **data, size_t *len)
{
	char *end, *file, key[24];
	long long id;
	int ret;

	if (strncmp(path, "/package/", 9))
		return -ENOENT;
	id = strtoll(path + 9, &end, 10);
	if (*end || end == path + 9 || id <= 0)
		return -ENOENT;
	/* a device gets only the package sent to it */
	snprintf(key, sizeof(key), "%lld", id);
	file = store_update_package(db, s->identity, key);
	if (!file)
		return -ENOENT;
	ret = hnbtre_read_file(file, PACKAGE_MAX, (uint8_t **)data, len);
	free(file);
	return ret;
}

/* The result of an update, by its CommandKey. */
static void record_transfer(struct store *db, struct acs_session *s, const struct cwmp_msg *msg)
{
	xmlNodePtr fault = cwmp_child(msg->method, "FaultStruct");
	char *key = cwmp_text(msg->method, "CommandKey", 32);
	char *code = cwmp_text(fault, "FaultCode", 8);
	char *text = cwmp_text(fault, "FaultString", 256);
	int installed = code && !strcmp(code, "0");
	char now[32];

	hems_now(now, sizeof(now));
	record_event(db, s, "TransferComplete", key);
	/*
	 * Installed: the fresh attestation of this session must now show the
	 * expected RIM.  Failed: the device keeps its platform, and its RIM.
	 */
	if (key && code &&
	    store_update_result(db, s->identity, key, code, text, installed, now,
				s->self_check[0] ? s->self_check : NULL) > 0) {
		if (installed)
			set_expectation(db, s->identity, key, "installed");
		else
			hems_expect_rim(db, s->identity, NULL, NULL);
	}
	hems_log("TransferComplete from %s: fault %s", s->identity, code ? code : "?");
	free(key);
	free(code);
	free(text);
}

void acs_handle(struct store *db, const char *public_url, struct acs_session *s,
		const char *body, size_t len, struct acs_reply *r)
{
	char err[CWMP_ERR_LEN];
	struct cwmp_msg msg;
	struct cwmp_out o;

	if (!len) {
		if (s->step == INFORMED && !s->no_attestation_check && !s->attested) {
			send_nonce(s, r);
		} else {
			s->step = DONE;
			reply(r, 204, NULL, 0);
		}
		return;
	}
	if (cwmp_parse(body, len, &msg, err)) {
		hems_log("bad envelope from %s: %s", s->identity, err);
		cwmp_msg_free(&msg);
		reply(r, 400, NULL, 0);
		return;
	}
	if (!strcmp(msg.name, "Inform") && s->step == EXPECT_INFORM) {
		if (on_inform(db, s, &msg, r))
			reply(r, 403, NULL, 0);
	} else if (!strcmp(msg.name, "TransferComplete") && s->step == INFORMED) {
		record_transfer(db, s, &msg);
		if (!cwmp_out_new(&o, msg.id, "TransferCompleteResponse"))
			reply_out(r, &o);
		else
			reply(r, 500, NULL, 0);
	} else if (!strcmp(msg.name, "SetParameterValuesResponse") && s->step == NONCE_SENT) {
		ask_attestation(s, r);
	} else if (!strcmp(msg.name, "GetParameterValuesResponse") &&
		   s->step == ATTESTATION_ASKED) {
		char *b64 = param_value(cwmp_child(msg.method, "ParameterList"),
					TRE "Attestation", 8192);
		struct device_rims rims;
		long long update;
		int valid;

		load_rims(db, s->identity, &rims);
		valid = check_attestation(db, s, &rims, b64, s->nonce, "GetParameterValues");
		free(b64);
		s->step = DONE;
		/* a repair the operator forced goes whatever the verdict */
		update = store_requested_update(db, s->identity, !valid);
		if (!valid && update)
			hems_log("repair Download for %s despite its attestation%s (operator's "
				 "repair command)", s->identity, "");
		if (!valid && !update && s->update_mismatch && s->reboot_on_mismatch)
			send_reboot(s, r);
		else if (!valid && !update)
			acs_refuse(db, s->identity, msg.id, s->refusal, r);
		else if (!update || send_download(db, public_url, s, update, r))
			reply(r, 204, NULL, 0);
	} else if ((!strcmp(msg.name, "DownloadResponse") && s->step == DOWNLOAD_SENT) ||
		   (!strcmp(msg.name, "RebootResponse") && s->step == REBOOT_SENT)) {
		s->step = DONE;
		reply(r, 204, NULL, 0);
	} else {
		hems_log("unexpected %s from %s: session ended", msg.name, s->identity);
		s->step = DONE;
		reply(r, 204, NULL, 0);
	}
	cwmp_msg_free(&msg);
}
