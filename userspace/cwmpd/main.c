// SPDX-License-Identifier: GPL-2.0-only
/*
 * hnbtre-cwmpd: the H(e)NB's TR-069 agent (Documentation/tr069.md).
 * One loop: wait for the periodic timer or a change of an actively
 * notified parameter, run a session, then run what the session asked for
 * (downloads, reboot, factory reset).
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "cwmpd.h"
#include "hnbtre.h"
#include "hnbtre_pkg_install.h"

static volatile sig_atomic_t stopping;

static void usage(FILE *f)
{
	fprintf(f,
		"usage: hnbtre-cwmpd --acs URL --cert DEVICE.pem --ca ROOTS.pem --state-dir DIR\n"
		"                    [--install-root DIR] [--periodic SECONDS] [--poll SECONDS]\n"
		"                    [--retry-wait SECONDS]\n"
		"                    [--reboot-cmd CMD] [--factory-reset-cmd CMD] [--once]\n"
		"                    [--restart-cmd CMD] [--boot-id-file FILE]\n"
		"                    [--repair-cmd CMD] [--renew-below FRACTION --renew-cmd CMD]\n"
		"                    [--ocsp hard|soft|off] [--ocsp-url URL]\n"
		"                    [--policy rollback|isolate]\n"
		"The device key is the TrE's (keyctl link %%:.hnbtre_device @s first).\n"
		"--ocsp: without an OCSP answer about the ACS certificate, hard (default)\n"
		"refuses the session, soft continues with a warning; revoked always refuses.\n"
		"--once: one session with the pending events, then exit (0 ok, 1 failed).\n"
		"--retry-wait: the shortest wait after a failed session (default 5 s); it\n"
		"grows with each further failure, randomised, to at most 1024 times that\n"
		"(TR-069 3.2.1.1; the ACS may set CWMPRetryMinimumWaitInterval and\n"
		"CWMPRetryIntervalMultiplier).\n"
		"--repair-cmd: while the TrE says failed, no session; CMD (the distress\n"
		"function) repairs, then the agent goes on if the TrE says trusted.  An\n"
		"expired or revoked device certificate: no session, CMD runs with the\n"
		"reason (certificate-expired, certificate-revoked) as its last arguments.\n"
		"--renew-below, --renew-cmd: before a session, when less than FRACTION\n"
		"(0 < FRACTION < 1) of the device certificate's lifetime is left, CMD\n"
		"renews it (hnbtre enrol, then a reload of charon).\n"
		"--restart-cmd: after an install without the Reboot command, CMD restarts\n"
		"the services before TransferComplete; without it the agent reboots.\n"
		"--policy: an update that fails the TrE's re-validation or the self-check\n"
		"is rolled back to the previous slot (rollback, default) or left, the\n"
		"device isolated for repair (isolate).\n");
}

/* Events a start of the agent brings: BOOTSTRAP once, BOOT per boot. */
static void startup_events(struct agent *agent)
{
	char *boot_id = NULL;
	size_t len;

	if (strcmp(store_setting(agent, "bootstrapped", "false"), "true"))
		store_add_event(agent, "0 BOOTSTRAP", "");
	if (!hnbtre_read_file(agent->config->boot_id_path, 64,
			      (uint8_t **)&boot_id, &len)) {
		boot_id[strcspn(boot_id, "\n")] = 0;
		if (strcmp(store_setting(agent, "boot_id", ""), boot_id)) {
			store_add_event(agent, "1 BOOT", "");
			store_set_setting(agent, "boot_id", boot_id);
		}
		free(boot_id);
	}
}

/*
 * HNBTRE_CWMPD_FAULT=STEP: the agent kills itself at STEP, as a power
 * loss would (the crash tests, tr069.md "Crash and restart").
 */
static void crash_point(const char *step)
{
	const char *want = getenv("HNBTRE_CWMPD_FAULT");

	if (want && !strcmp(want, step))
		raise(SIGKILL);
}

/* Events the ACS has acknowledged with InformResponse; 7 TRANSFER COMPLETE
 * and M Download stay until the TransferComplete is acknowledged. */
static void drop_delivered_events(struct agent *agent, bool transfers_too)
{
	json_object *events = store_section(agent, "events"), *kept, *c;
	size_t i;

	kept = json_object_new_array();
	for (i = 0; i < json_object_array_length(events); i++) {
		json_object *e = json_object_array_get_idx(events, i);
		const char *code;

		json_object_object_get_ex(e, "code", &c);
		code = json_object_get_string(c);
		if (!transfers_too && (!strcmp(code, "7 TRANSFER COMPLETE") ||
				       !strcmp(code, "M Download")))
			json_object_array_add(kept, json_object_get(e));
	}
	json_object_object_add(agent->state, "events", kept);
}

/* A transfer ready for TransferComplete: done, and its code running. */
static json_object *finished_transfer(struct agent *agent, size_t *index)
{
	json_object *transfers = store_section(agent, "transfers"), *state;

	for (*index = 0; *index < json_object_array_length(transfers); (*index)++) {
		json_object *t = json_object_array_get_idx(transfers, *index);

		json_object_object_get_ex(t, "state", &state);
		if (!strcmp(json_object_get_string(state), "done") &&
		    !json_object_object_get_ex(t, "activate", NULL))
			return t;
	}
	return NULL;
}

/* The answer to a request; *msg is parsed unless the body is empty. */
static int answer(int ret, char *err, char *resp, size_t resp_len,
		  struct cwmp_msg *msg, bool *empty)
{
	memset(msg, 0, sizeof(*msg));
	if (ret) {
		say("session: %s", err);
		return ret;
	}
	*empty = resp_len == 0;
	if (!*empty && cwmp_parse(resp, resp_len, msg, err)) {
		say("bad envelope from the ACS: %s", err);
		ret = -EBADMSG;
	}
	free(resp);
	return ret;
}

/* One request/response exchange. */
static int exchange(struct session *s, const char *body, size_t len,
		    struct cwmp_msg *msg, bool *empty)
{
	char err[CWMP_ERR_LEN] = "", *resp = NULL;
	size_t resp_len = 0;
	int ret = session_post(s, body, len, &resp, &resp_len, err, sizeof(err));

	return answer(ret, err, resp, resp_len, msg, empty);
}

struct inform_request {
	struct agent *agent;
	json_object *delivered;	/* the values the Inform reports */
};

/*
 * The Inform, built once the connection is up so that it carries the
 * TrE's attestation over that connection's TLS exporter (tr069.md,
 * "Session attestation").  Without a unique exporter it goes empty and
 * the ACS asks with a nonce of its own.
 */
static int build_inform(struct session *s, void *arg, char **body, size_t *len)
{
	struct inform_request *r = arg;
	char *attestation;
	int ret = session_attestation(s, &attestation);

	if (ret)
		return ret;
	if (!attestation)
		say("no session attestation: the connection has no unique TLS exporter "
		    "(TLS 1.2 without the extended master secret)");
	ret = rpc_build_inform(r->agent, attestation ?: "", body, len, &r->delivered);
	free(attestation);
	return ret;
}

static int inform(struct agent *agent, struct session *s, struct cwmp_msg *msg,
		  bool *empty, json_object **delivered)
{
	struct inform_request r = { .agent = agent };
	char err[CWMP_ERR_LEN] = "", *resp = NULL;
	size_t resp_len = 0;
	int ret = session_post_built(s, build_inform, &r, &resp, &resp_len, err,
				     sizeof(err));

	*delivered = r.delivered;
	return answer(ret, err, resp, resp_len, msg, empty);
}

static int expect(struct cwmp_msg *msg, bool empty, const char *name)
{
	char *text = NULL;
	int code;

	if (!empty && !strcmp(msg->name, name))
		return 0;
	if (!empty && msg->is_fault) {
		code = cwmp_fault_code(msg, &text);
		say("the ACS answered %s with fault %d %s", name, code, text ?: "");
		free(text);
	} else {
		say("expected %s from the ACS, got %s", name, empty ? "nothing" : msg->name);
	}
	return -EPROTO;
}

/* Inform, TransferComplete, then the ACS's requests until it sends nothing. */
static int run_session(struct agent *agent)
{
	json_object *delivered = NULL, *transfer;
	char err[CWMP_ERR_LEN], *body = NULL;
	struct cwmp_msg msg = { 0 };
	struct session *s;
	size_t len, index;
	bool empty;
	int ret;

	s = session_open(agent->config, err, sizeof(err));
	if (!s) {
		say("%s", err);
		return -EINVAL;
	}
	agent->session = s;
	ret = inform(agent, s, &msg, &empty, &delivered);
	ret = ret ?: expect(&msg, empty, "InformResponse");
	cwmp_msg_free(&msg);
	if (ret)
		goto out;
	say("Inform delivered");
	drop_delivered_events(agent, false);
	json_object_object_foreach(delivered, name, value)
		json_object_object_add(store_section(agent, "notified"), name,
				       json_object_get(value));
	store_set_setting(agent, "bootstrapped", "true");
	ret = store_save(agent);
	while (!ret && (transfer = finished_transfer(agent, &index))) {
		ret = rpc_build_transfer_complete(agent, transfer, &body, &len);
		ret = ret ?: exchange(s, body, len, &msg, &empty);
		crash_point("transfer-complete");
		ret = ret ?: expect(&msg, empty, "TransferCompleteResponse");
		free(body);
		body = NULL;
		cwmp_msg_free(&msg);
		if (ret)
			goto out;
		say("TransferComplete delivered");
		json_object_array_del_idx(store_section(agent, "transfers"), index, 1);
		if (!finished_transfer(agent, &index))
			drop_delivered_events(agent, true);
		ret = store_save(agent);
	}
	/* an empty POST: the ACS may now send requests */
	body = NULL;
	len = 0;
	while (!ret) {
		ret = exchange(s, body, len, &msg, &empty);
		free(body);
		body = NULL;
		if (ret || empty)
			break;
		if (msg.is_fault || strstr(msg.name, "Response")) {
			say("unexpected %s from the ACS", msg.name);
			ret = -EPROTO;
		} else {
			say("request %s", msg.name);
			ret = rpc_handle(agent, &msg, &body, &len);
		}
		cwmp_msg_free(&msg);
	}
	cwmp_msg_free(&msg);
	free(body);
out:
	/* the ACS was authenticated: its time is a known-good time */
	if (!ret)
		clock_record(agent->config->state_dir, session_server_time(s));
	json_object_put(delivered);
	agent->session = NULL;
	session_close(s);
	return ret;
}

static void now_iso(char *buf, size_t len)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* A transfer's phase, persisted before the step starts. */
static void set_phase(struct agent *agent, json_object *transfer, const char *phase)
{
	json_object_object_add(transfer, "phase", json_object_new_string(phase));
	if (store_save(agent))
		say("state not saved: a restart may repeat the %s", phase);
}

/* Fetch a pending transfer's package to @path: 0 or a TransferComplete fault. */
static int fetch(struct agent *agent, const char *url, const char *path, char *err,
		 size_t len)
{
	struct session *s = session_open(agent->config, err, len);
	int ret = s ? session_download(s, url, path, err, len) : -EIO;

	session_close(s);
	if (!ret)
		return 0;
	return ret == -EACCES ? CWMP_FAULT_FILE_SERVER_AUTHENTICATION :
	       ret == -EPROTONOSUPPORT ? CWMP_FAULT_UNSUPPORTED_PROTOCOL :
	       CWMP_FAULT_DOWNLOAD_FAILURE;
}

/*
 * Install through the TrE: 0 or a TransferComplete fault; *reboot: the
 * package carries the Annex E Reboot command.
 */
static int install(struct agent *agent, const char *install_root, const char *path,
		   bool *reboot, char *err)
{
	struct hnbtre_install_opts opts = {
		.root = install_root, .roots_pem = agent->config->ca_path,
		.use_tre = 1,
		.rollback_on_failure = !agent->config->isolate_failed_update,
	};
	struct hnbtre_install_result result;
	int ret;

	if (!install_root) {
		snprintf(err, CWMP_ERR_LEN, "no --install-root configured");
		return CWMP_FAULT_FILE_TRANSFER_INTERNAL;
	}
	/* the TrE verifies every package: a TrE without securityfs
	 * "package" refuses it (9019), never installs unchecked */
	ret = hnbtre_pkg_install(path, &opts, &result, err);
	*reboot = result.reboot;
	/* TR 33.820 Annex A (with a PVE) step 7': the TrE re-validated; expected TIM = measured? */
	if (result.tim_checked) {
		store_set_setting(agent, "self_check", result.tim_matches ? "Passed" : "Failed");
		say("expected-TIM self-check: %s", result.tim_matches ? "passed" : "failed");
	}
	if (result.revalidated)
		say("the TrE's re-validation against the new manifest: %s",
		    hnbtre_state_name(result.new_state));
	if (ret || !result.check_failed)
		return hnbtre_pkg_fault(ret);
	/* a failed update: the operator's measure (Documentation/tr069.md) */
	if (result.rolled_back)
		snprintf(err, CWMP_ERR_LEN, "version %.32s installed, failed its check (TrE %s, "
			 "self-check %s): rolled back to version %.32s, the TrE re-validated",
			 result.version, hnbtre_state_name(result.new_state),
			 result.tim_matches ? "passed" : "failed", result.old_version);
	else
		snprintf(err, CWMP_ERR_LEN, "version %.32s installed, failed its check (TrE %s, "
			 "self-check %s): left for repair (--policy isolate)",
			 result.version, hnbtre_state_name(result.new_state),
			 result.tim_matches ? "passed" : "failed");
	say("%s", err);
	return CWMP_FAULT_INTERNAL_ERROR;
}

/*
 * Pending downloads: fetch over the same profile, install through the
 * TrE (verification, atomic install, re-validation, expected-TIM check),
 * then record the result for TransferComplete.  The transfer's phase is
 * persisted before each step, so that a restart resumes it
 * (Documentation/tr069.md, "Crash and restart"): a download that was
 * running is discarded and fetched again; an install that was running is
 * run again from the complete package, hnbtre_pkg_install() first
 * removing what the interrupted one left (hnbtre_pkg_recover()).
 */
static void run_downloads(struct agent *agent, const char *install_root)
{
	json_object *transfers = store_section(agent, "transfers"), *state, *url, *phase;
	char err[CWMP_ERR_LEN] = "", path[4096], done[32];
	bool reboot = false;
	size_t i;
	int code;

	snprintf(path, sizeof(path), "%s/download.pkg", agent->config->state_dir);
	for (i = 0; i < json_object_array_length(transfers); i++) {
		json_object *t = json_object_array_get_idx(transfers, i);

		json_object_object_get_ex(t, "state", &state);
		if (strcmp(json_object_get_string(state), "pending"))
			continue;
		json_object_object_get_ex(t, "url", &url);
		phase = NULL;
		code = 0;
		if (json_object_object_get_ex(t, "phase", &phase) &&
		    !strcmp(json_object_get_string(phase), "install")) {
			say("resuming the interrupted install of %s", json_object_get_string(url));
		} else {
			if (phase)
				say("discarding the interrupted download of %s",
				    json_object_get_string(url));
			unlink(path);
			set_phase(agent, t, "download");
			code = fetch(agent, json_object_get_string(url), path, err, sizeof(err));
			if (!code)
				set_phase(agent, t, "install");
		}
		if (!code)
			code = install(agent, install_root, path, &reboot, err);
		crash_point("installed");
		unlink(path);
		say("download %s: %s", json_object_get_string(url),
		    code ? err : "installed");
		now_iso(done, sizeof(done));
		json_object_object_del(t, "phase");
		json_object_object_add(t, "state", json_object_new_string("done"));
		json_object_object_add(t, "fault", json_object_new_int(code));
		json_object_object_add(t, "fault_string",
				       json_object_new_string(code ? err : ""));
		json_object_object_add(t, "complete", json_object_new_string(done));
		/* the new code must run before TransferComplete says so */
		if (!code && (reboot || !agent->config->restart_cmd)) {
			json_object_object_add(t, "activate", json_object_new_string("reboot"));
			json_object_object_add(t, "boot", json_object_new_string(
				store_setting(agent, "boot_id", "")));
		} else if (!code) {
			json_object_object_add(t, "activate", json_object_new_string("restart"));
		}
		store_add_event(agent, "7 TRANSFER COMPLETE", "");
		json_object_object_get_ex(t, "key", &url);
		store_add_event(agent, "M Download", json_object_get_string(url));
		if (store_save(agent))
			say("state not saved: the TransferComplete may be repeated");
	}
}

/*
 * Installed transfers whose code does not run yet ("activate", persisted
 * with the result; Documentation/tr069.md, "Activation"): "reboot" (the
 * package's Annex E Reboot command, or no --restart-cmd: the default)
 * runs --reboot-cmd and is done once the boot is another than the one
 * that installed; "restart" runs --restart-cmd (the services) and is done
 * once it returned, or when an agent finds it started ("restarting": the
 * command restarted the agent, or the agent was killed).  Only then is
 * the TransferComplete reported.  Returns whether a reboot was started.
 */
static bool activate(struct agent *agent)
{
	json_object *transfers = store_section(agent, "transfers"), *a, *key, *boot;
	const char *this_boot = store_setting(agent, "boot_id", "");
	bool rebooting = false;
	size_t i;

	for (i = 0; i < json_object_array_length(transfers) && !rebooting; i++) {
		json_object *t = json_object_array_get_idx(transfers, i);
		const char *how;

		if (!json_object_object_get_ex(t, "activate", &a))
			continue;
		how = json_object_get_string(a);
		json_object_object_get_ex(t, "key", &key);
		if (!strcmp(how, "reboot") &&
		    (!json_object_object_get_ex(t, "boot", &boot) ||
		     !strcmp(json_object_get_string(boot), this_boot))) {
			crash_point("activate");
			if (!run_command("reboot: the installed code runs after it",
					 agent->config->reboot_cmd)) {
				rebooting = true;
				continue;
			}
			say("the reboot failed: the installed code runs at the next boot");
		} else if (!strcmp(how, "restart") &&
			   !json_object_object_get_ex(t, "restarting", NULL)) {
			crash_point("activate");
			json_object_object_add(t, "restarting", json_object_new_boolean(1));
			if (store_save(agent))
				say("state not saved: the restart may be repeated");
			if (run_command("restart", agent->config->restart_cmd))
				say("the restart failed: the installed code runs at the next start");
			crash_point("restarted");
		}
		say("transfer %s: the installed code runs (%s)",
		    json_object_get_string(key), how);
		json_object_object_del(t, "activate");
		json_object_object_del(t, "boot");
		json_object_object_del(t, "restarting");
		if (store_save(agent))
			say("state not saved: the activation may be repeated");
	}
	return rebooting;
}

static bool has_finished_transfer(struct agent *agent)
{
	size_t index;

	return finished_transfer(agent, &index) != NULL;
}

/* Whether a parameter under active notification differs from what the
 * ACS last saw. */
static bool active_change(struct agent *agent)
{
	json_object *notified = store_section(agent, "notified"), *old;
	struct dm_snapshot snap;
	bool changed = false;
	size_t i;

	if (dm_snapshot(agent, &snap, false))
		return false;
	for (i = 0; i < snap.count && !changed; i++) {
		const struct dm_entry *e = &snap.entries[i];

		if (e->object || dm_notification(agent, e->name) != 2)
			continue;
		changed = !json_object_object_get_ex(notified, e->name, &old) ||
			  strcmp(json_object_get_string(old), e->value);
	}
	dm_snapshot_free(&snap);
	return changed;
}

/* A numeric setting: the ACS's value, else @configured. */
static unsigned long setting_number(struct agent *agent, const char *name,
				    unsigned long configured)
{
	const char *set = store_setting(agent, name, NULL);

	return set ? strtoul(set, NULL, 10) : configured;
}

static unsigned long periodic_interval(struct agent *agent)
{
	return setting_number(agent, "periodic_interval", agent->config->periodic_interval);
}

/*
 * TR-069 Amendment 6, 3.2.1.1 (session retry policy): after the n-th
 * failed session in a row the next one starts a random time between
 * m * (k/1000)^(n-1) and m * (k/1000)^n seconds later, m the
 * CWMPRetryMinimumWaitInterval, k the CWMPRetryIntervalMultiplier, n
 * counted up to 10 (Table 3's last row).  A refused or unreachable agent
 * with something to report must not start a session at every poll.
 */
static unsigned long retry_wait(struct agent *agent, unsigned int failures)
{
	double low = setting_number(agent, "retry_min_wait", agent->config->retry_min_wait);
	double factor = setting_number(agent, "retry_multiplier", 2000) / 1000.0;
	double high;
	unsigned int i;

	for (i = 1; i < failures && i < 10; i++)
		low *= factor;
	/* the largest values the ACS may set reach beyond any clock */
	high = low * factor < UINT32_MAX ? low * factor : UINT32_MAX;
	if (low > high)
		low = high;
	return (unsigned long)low + arc4random_uniform((uint32_t)(high - low) + 1);
}

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

/*
 * Repair mode (TS 33.320 8.3.2.2, Documentation/tr069.md): with the TrE failed the
 * device key is closed, so no session can be had; the only way out is a
 * new signed image through the distress function's credential, which that
 * function fetches, has the TrE verify, installs and re-validates.
 * Returns whether the TrE is not (or no longer) failed.
 */
static bool repaired(struct agent *agent)
{
	char *state = dm_tre_read("state");
	bool trusted,
	     failed = !strcmp(state, hnbtre_state_name(HNBTRE_STATE_FAILED));

	free(state);
	if (!failed)
		return true;
	say("repair mode: the TrE says failed; no session, only repair");
	if (!agent->config->repair_cmd) {
		say("repair mode: no --repair-cmd");
		return false;
	}
	run_command("repair", agent->config->repair_cmd);
	state = dm_tre_read("state");
	trusted = !strcmp(state, hnbtre_state_name(HNBTRE_STATE_TRUSTED));
	say("repair mode: the TrE says %s", state);
	free(state);
	return trusted;
}

/*
 * TS 33.320 7.12: a device certificate that expired, or that its
 * responder says is revoked, stops normal communication as an integrity
 * failure does: no session, the distress function reports it (run as
 * --repair-cmd with "--reason certificate-expired|certificate-revoked").
 * Returns whether the certificate failed.
 */
static bool certificate_failed(struct agent *agent, bool ask_responder)
{
	const char *cmd = agent->config->repair_cmd;
	char why[256], line[4200];
	const char *failure = credential_failure(agent->config, ask_responder, why,
						 sizeof(why));

	if (!failure)
		return false;
	say("the device certificate is %s: no session; distress (TS 33.320 7.12)", why);
	if (!cmd) {
		say("no --repair-cmd: the distress function is not started");
	} else if (snprintf(line, sizeof(line), "%s --reason %s", cmd, failure) <
		   (int)sizeof(line)) {
		run_command("distress", line);
	}
	return true;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "acs", required_argument, NULL, 'a' },
		{ "cert", required_argument, NULL, 'c' },
		{ "ca", required_argument, NULL, 'C' },
		{ "state-dir", required_argument, NULL, 's' },
		{ "install-root", required_argument, NULL, 'i' },
		{ "periodic", required_argument, NULL, 'p' },
		{ "poll", required_argument, NULL, 'P' },
		{ "retry-wait", required_argument, NULL, 'W' },
		{ "reboot-cmd", required_argument, NULL, 'r' },
		{ "restart-cmd", required_argument, NULL, 'S' },
		{ "boot-id-file", required_argument, NULL, 'B' },
		{ "factory-reset-cmd", required_argument, NULL, 'f' },
		{ "repair-cmd", required_argument, NULL, 'R' },
		{ "renew-cmd", required_argument, NULL, 'N' },
		{ "renew-below", required_argument, NULL, 'b' },
		{ "once", no_argument, NULL, 'o' },
		{ "ocsp", required_argument, NULL, 'O' },
		{ "ocsp-url", required_argument, NULL, 'U' },
		{ "policy", required_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct agent_config config = {
		.reboot_cmd = "/sbin/reboot", .factory_reset_cmd = "true",
		.boot_id_path = "/proc/sys/kernel/random/boot_id",
		.periodic_interval = 3600, .poll_seconds = 1, .retry_min_wait = 5,
	};
	struct agent agent = { .config = &config };
	const char *install_root = NULL;
	unsigned int failures = 0;
	time_t next_periodic, retry_at;
	bool bad_ocsp = false, bad_policy = false, bad_renew = false, rebooting;
	char *end;
	int opt, ret;

	while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (opt) {
		case 'a': config.acs_url = optarg; break;
		case 'c': config.cert_path = optarg; break;
		case 'C': config.ca_path = optarg; break;
		case 's': config.state_dir = optarg; break;
		case 'i': install_root = optarg; break;
		case 'p': config.periodic_interval = strtoul(optarg, NULL, 10); break;
		case 'P': config.poll_seconds = strtoul(optarg, NULL, 10); break;
		case 'W': config.retry_min_wait = strtoul(optarg, NULL, 10); break;
		case 'r': config.reboot_cmd = optarg; break;
		case 'S': config.restart_cmd = optarg; break;
		case 'B': config.boot_id_path = optarg; break;
		case 'f': config.factory_reset_cmd = optarg; break;
		case 'R': config.repair_cmd = optarg; break;
		case 'N': config.renew_cmd = optarg; break;
		case 'b':
			config.renew_below = strtod(optarg, &end);
			bad_renew = *end || end == optarg || config.renew_below <= 0 ||
				    config.renew_below >= 1;
			break;
		case 'o': config.once = true; break;
		case 'O':
			if (!strcmp(optarg, "hard"))
				config.ocsp = OCSP_HARD;
			else if (!strcmp(optarg, "soft"))
				config.ocsp = OCSP_SOFT;
			else if (!strcmp(optarg, "off"))
				config.ocsp = OCSP_OFF;
			else
				bad_ocsp = true;
			break;
		case 'U': config.ocsp_url = optarg; break;
		case 'L':
			config.isolate_failed_update = !strcmp(optarg, "isolate");
			bad_policy = !config.isolate_failed_update &&
				     strcmp(optarg, "rollback");
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!config.acs_url || !config.cert_path || !config.ca_path ||
	    !config.state_dir || !config.periodic_interval || !config.poll_seconds ||
	    !config.retry_min_wait || config.retry_min_wait > 65535 ||
	    bad_ocsp || bad_policy || bad_renew ||
	    !config.renew_cmd != !config.renew_below || optind != argc) {
		usage(stderr);
		return 2;
	}
	{
		char err[CWMP_ERR_LEN];

		/* before anything else: an http:// ACS is never contacted */
		if (session_check_url(config.acs_url, err, sizeof(err))) {
			say("%s", err);
			return 2;
		}
	}
	if (mkdir(config.state_dir, 0700) && errno != EEXIST) {
		say("%s: %s", config.state_dir, strerror(errno));
		return 2;
	}
	ret = store_load(&agent);
	if (ret) {
		say("%s: %s", agent.state_path ?: config.state_dir,
		    ret == -EBADMSG ? "not a state file of this agent" : strerror(-ret));
		return 2;
	}
	/* before any certificate is looked at */
	config.time_floor = clock_restore(config.state_dir);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	startup_events(&agent);
	/* downloads that were pending when the agent stopped are run now,
	 * installs whose code does not run yet are activated */
	run_downloads(&agent, install_root);
	if (store_save(&agent))
		say("state not saved");
	rebooting = activate(&agent);
	next_periodic = time(NULL) + config.periodic_interval;
	while (!rebooting) {
		bool session_ran = false;

		ret = -1;
		if (repaired(&agent)) {
			renew_if_due(&config);
			if (!certificate_failed(&agent, false)) {
				ret = run_session(&agent);
				session_ran = true;
				/* refused (or unreachable): was the certificate revoked? */
				if (ret)
					certificate_failed(&agent, true);
			}
		}
		if (!ret && agent.download_requested) {
			agent.download_requested = false;
			run_downloads(&agent, install_root);
			if (activate(&agent))
				break;
			if (has_finished_transfer(&agent))
				ret = run_session(&agent);
		}
		retry_at = 0;
		if (session_ran && ret) {
			unsigned long wait = retry_wait(&agent, ++failures);

			retry_at = time(NULL) + wait;
			say("session failed (%u in a row): the next in %lu s", failures, wait);
		} else if (session_ran) {
			failures = 0;
		}
		if (!ret && agent.factory_reset_requested) {
			unlink(agent.state_path);
			run_command("factory reset", config.factory_reset_cmd);
			break;
		}
		if (!ret && agent.reboot_requested) {
			run_command("reboot", config.reboot_cmd);
			break;
		}
		if (config.once || stopping)
			break;
		/*
		 * Wait for the periodic timer or an active notification; after
		 * a failed session for the retry, which also carries them.
		 */
		while (!stopping) {
			time_t now = time(NULL);
			long timeout = config.poll_seconds;

			if (retry_at && retry_at - now < timeout)
				timeout = retry_at > now ? retry_at - now : 0;
			poll(NULL, 0, timeout * 1000);
			if (time(NULL) >= next_periodic &&
			    !strcmp(store_setting(&agent, "periodic_enable", "true"), "true")) {
				store_add_event(&agent, "2 PERIODIC", "");
				next_periodic = time(NULL) + periodic_interval(&agent);
				if (!retry_at)
					break;
			}
			if (retry_at) {
				if (time(NULL) >= retry_at)
					break;
			} else if (active_change(&agent) || has_finished_transfer(&agent)) {
				break;
			}
		}
		if (stopping)
			break;
	}
	store_save(&agent);
	json_object_put(agent.state);
	free(agent.state_path);
	curl_global_cleanup();
	return ret ? 1 : 0;
}
