// SPDX-License-Identifier: GPL-2.0-only
/* hnbtre-hems: serve CWMP, or look at and act on the device store. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "hems.h"
#include "hnbtre_pkg.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: hnbtre-hems --db FILE serve --listen ADDR --port N --cert C --key K --ca ROOTS\n"
		"                  --public-url https://NAME:PORT [--distress-tls-port N]\n"
		"                  [--distress-tcp-port N] [--distress-psk-dir DIR] [--distress-ca PEM]\n"
		"                  [--distress-ike-listen ADDR:PORT] [--on-mismatch mark|reboot]\n"
		"                  [--ocsp-staple RESPONSE.der] [--no-attestation-check]\n"
		"                  [--revocation off|ocsp|crl] [--revocation-policy strict|soft]\n"
		"                  [--ocsp-responder aia|URL] [--crl FILE]\n"
		"                  [--trust-on-first-use] [--update-timeout SECONDS]\n"
		"       hnbtre-hems --db FILE [--json] devices\n"
		"       hnbtre-hems --db FILE [--json] show DEVICE\n"
		"       hnbtre-hems --db FILE [--operator NAME] update DEVICE PACKAGE\n"
		"       hnbtre-hems --db FILE [--operator NAME] replace DEVICE PACKAGE\n"
		"       hnbtre-hems --db FILE [--operator NAME] repair DEVICE PACKAGE\n"
		"       hnbtre-hems --db FILE [--operator NAME] accept DEVICE\n"
		"       hnbtre-hems --db FILE [--operator NAME] reset DEVICE\n"
		"       hnbtre-hems --db FILE [--operator NAME] release PACKAGE\n"
		"       hnbtre-hems --db FILE [--json] releases\n"
		"       hnbtre-hems --db FILE [--json] distress\n"
		"       hnbtre-hems --db FILE [--json] audit\n");
}

/* The rows of a listing (of @identity) as JSON objects or text. */
static int print_rows(struct store *db, enum store_listing what, const char *identity, int json,
		      const char *title, json_object *into)
{
	struct store_rows *st = store_listing(db, what, identity);
	json_object *rows;
	int i, n = 0;

	if (!st)
		return -1;
	rows = json_object_new_array();
	if (!json && title)
		printf("%s:\n", title);
	while (store_rows_next(st)) {
		json_object *row = json_object_new_object();

		for (i = 0; i < store_rows_columns(st); i++) {
			const char *v = store_rows_value(st, i);

			json_object_object_add(row, store_rows_name(st, i),
					       v ? json_object_new_string(v) : NULL);
			if (!json)
				printf("%s%s=%s", i ? " " : title ? "  " : "",
				       store_rows_name(st, i), v ? v : "-");
		}
		if (!json)
			putchar('\n');
		json_object_array_add(rows, row);
		n++;
	}
	store_rows_free(st);
	if (into)
		json_object_object_add(into, title, rows);
	else if (json)
		printf("%s\n", json_object_to_json_string_ext(rows, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED));
	if (!into)
		json_object_put(rows);
	return n;
}

/*
 * An operator command on @identity: recorded in the audit table and logged,
 * in the transaction of what it changed (the caller commits).
 */
static void audit(struct store *db, const char *operator, const char *identity,
		  const char *command, const char *detail)
{
	char now[32];

	hems_now(now, sizeof(now));
	store_audit(db, now, operator, identity, command, detail);
	fprintf(stderr, "hnbtre-hems: audit: %s by %s on %s: %s\n", command, operator,
		identity, detail);
}

/* What an update and a release record of a package. */
struct package_facts {
	char *path; /* absolute: what the server later reads and serves */
	char rim[HEMS_RIM_TEXT], patch[HEMS_RIM_TEXT];
	char version[HNBTRE_PKG_TEXT_MAX + 1], mversion[24];
	char read_at[32]; /* when the operator's command read it */
};

/*
 * Fills @pf from the signed @package for the command @what; 1 after
 * saying why not.  The caller frees pf->path.
 */
static int read_package(const char *package, const char *what, struct package_facts *pf)
{
	char err[HNBTRE_ERR_LEN];
	struct hnbtre_pkg_reference ref;

	pf->path = realpath(package, NULL);
	if (!pf->path) {
		fprintf(stderr, "hnbtre-hems: %s: %s\n", package, strerror(errno));
		return 1;
	}
	if (hems_package_rims(pf->path, &ref, pf->rim, pf->patch, err)) {
		fprintf(stderr, "hnbtre-hems: %s refused: %s\n", what, err);
		free(pf->path);
		return 1;
	}
	snprintf(pf->version, sizeof(pf->version), "%s", ref.package_version);
	snprintf(pf->mversion, sizeof(pf->mversion), "%" PRIu64, ref.manifest_version);
	hems_now(pf->read_at, sizeof(pf->read_at));
	return 0;
}

/*
 * TS 33.320 8.3.2.2 step 2: the expected platform RIM after the update and the RIM
 * of the patch, from the package; stored with the request.  The package's
 * absolute path is what the server later reads and serves.  A @repair
 * update is sent at the device's next session even if its attestation
 * fails (the operator's repair for a device the PVE rejects).
 */
static int request_update(struct store *db, const char *operator, const char *identity,
			  const char *package, bool repair)
{
	char detail[PATH_MAX + 256];
	struct package_facts pf;
	long long id;
	int ret;

	if (read_package(package, "update", &pf))
		return 1;
	store_begin(db);
	id = store_update_request(db, identity, pf.path, pf.read_at, pf.version, pf.mversion,
				  pf.rim, pf.patch, repair);
	ret = !id;
	if (ret) {
		fprintf(stderr, "hnbtre-hems: no device %s\n", identity);
	} else {
		snprintf(detail, sizeof(detail), "update %lld: %s, expected RIM %s", id, pf.path,
			 pf.rim);
		audit(db, operator, identity, repair ? "repair" : "update", detail);
		printf("%s %lld of %s requested: package version %s, manifest version %s,"
		       " expected RIM %s, patch RIM %s\n", repair ? "repair update" : "update",
		       id, identity, pf.version, pf.mversion, pf.rim, pf.patch);
	}
	store_commit(db);
	free(pf.path);
	return ret;
}

/*
 * A replacement of @identity's normal code image by @package, sent as the
 * answer to its next authentic distress indication (distress.c).  The
 * reference values are computed now, so a package that cannot be used is
 * refused before it is queued.
 */
static int queue_replacement(struct store *db, const char *operator, const char *identity,
			     const char *package)
{
	char now[32], platform_rim[HEMS_RIM_TEXT], patch_rim[HEMS_RIM_TEXT];
	char err[HNBTRE_ERR_LEN], detail[PATH_MAX + 256];
	struct hnbtre_pkg_reference ref;

	if (hems_package_rims(package, &ref, platform_rim, patch_rim, err)) {
		fprintf(stderr, "hnbtre-hems: %s: %s\n", package, err);
		return 1;
	}
	hems_now(now, sizeof(now));
	store_begin(db);
	if (store_replacement_queue(db, identity, package, now, platform_rim, patch_rim)) {
		store_commit(db);
		fprintf(stderr, "hnbtre-hems: no device %s\n", identity);
		return 1;
	}
	snprintf(detail, sizeof(detail), "%s, platform RIM %s", package, platform_rim);
	audit(db, operator, identity, "replace", detail);
	store_commit(db);
	printf("replacement of %s with %s queued: platform RIM %s, patch RIM %s\n",
	       identity, package, platform_rim, patch_rim);
	return 0;
}

/*
 * Issue 19 section 3: an operator's release, a package whose platform RIM
 * a device may show at its first attestation; its RIM and manifest
 * version come from the signed package, never from the device.  Audited
 * under the identity "*" (the fleet).
 */
static int add_release(struct store *db, const char *operator, const char *package)
{
	char detail[PATH_MAX + 256];
	struct package_facts pf;
	int ret;

	if (read_package(package, "release", &pf))
		return 1;
	store_begin(db);
	ret = store_release_add(db, pf.rim, pf.mversion, pf.version, pf.path, pf.read_at);
	if (!ret) {
		snprintf(detail, sizeof(detail), "%s: package version %s, manifest version %s, "
			 "platform RIM %s", pf.path, pf.version, pf.mversion, pf.rim);
		audit(db, operator, "*", "release", detail);
		printf("release %s\n", detail);
	}
	store_commit(db);
	free(pf.path);
	return ret ? 1 : 0;
}

/*
 * Issue 19 section 2: a device whose attestation the PVE rejects (a TIM
 * the store does not expect) is accepted as it is, after the operator
 * looked at it: the TIM its TrE last signed becomes its RIM.
 */
static int accept_rim(struct store *db, const char *operator, const char *identity)
{
	char *old_rim, *new_rim, detail[256];
	int ret;

	store_begin(db);
	ret = store_accept_rim(db, identity, &old_rim, &new_rim);
	if (ret == -ENOENT)
		fprintf(stderr, "hnbtre-hems: no device %s\n", identity);
	else if (ret == -ENODATA)
		fprintf(stderr, "hnbtre-hems: accept refused: no attestation of %s with a "
			"valid signature, nonce, identity and state to take the RIM from\n",
			identity);
	if (!ret) {
		snprintf(detail, sizeof(detail), "RIM %s -> %s", old_rim ? old_rim : "(none)",
			 new_rim);
		audit(db, operator, identity, "accept", detail);
		printf("%s: RIM %s accepted\n", identity, new_rim);
	}
	store_commit(db);
	free(old_rim);
	free(new_rim);
	return ret ? 1 : 0;
}

/*
 * The device starts again as new: no RIM (the next valid attestation's
 * RIM is stored), nothing expected or pending, no mark.
 */
static int reset_device(struct store *db, const char *operator, const char *identity)
{
	char *old_rim, detail[256];
	int ret, cancelled;

	store_begin(db);
	ret = store_reset(db, identity, &old_rim, &cancelled);
	if (ret == -ENOENT)
		fprintf(stderr, "hnbtre-hems: no device %s\n", identity);
	if (!ret) {
		snprintf(detail, sizeof(detail), "RIM %s forgotten, %d pending cancelled",
			 old_rim ? old_rim : "(none)", cancelled);
		audit(db, operator, identity, "reset", detail);
		printf("%s reset: %s\n", identity, detail);
	}
	store_commit(db);
	free(old_rim);
	return ret ? 1 : 0;
}

int hems_cli(const char *db_path, const char *operator, int argc, char **argv, int json)
{
	json_object *all;
	struct store *db;
	int ret = 0;

	if (store_open(db_path, &db))
		return 2;
	if (argc == 1 && !strcmp(argv[0], "devices")) {
		ret = print_rows(db, LIST_DEVICES, NULL, json, NULL, NULL) < 0;
	} else if (argc == 2 && !strcmp(argv[0], "show")) {
		all = json ? json_object_new_object() : NULL;
		if (print_rows(db, LIST_DEVICE, argv[1], json, "device", all) <= 0) {
			fprintf(stderr, "hnbtre-hems: no device %s\n", argv[1]);
			ret = 1;
		} else {
			print_rows(db, LIST_ATTESTATIONS, argv[1], json, "attestations", all);
			print_rows(db, LIST_EVENTS, argv[1], json, "events", all);
			print_rows(db, LIST_UPDATES, argv[1], json, "updates", all);
			print_rows(db, LIST_DEVICE_DISTRESS, argv[1], json, "distress", all);
			print_rows(db, LIST_REPLACEMENTS, argv[1], json, "replacements", all);
			print_rows(db, LIST_DEVICE_AUDIT, argv[1], json, "audit", all);
			if (json) {
				json_object *rows, *device;

				/* one device: an object, not a list of one */
				json_object_object_get_ex(all, "device", &rows);
				device = json_object_get(json_object_array_get_idx(rows, 0));
				json_object_object_add(all, "device", device);
				printf("%s\n", json_object_to_json_string_ext(all,
						JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED));
			}
		}
		json_object_put(all);
	} else if (argc == 1 && !strcmp(argv[0], "distress")) {
		ret = print_rows(db, LIST_DISTRESS, NULL, json, NULL, NULL) < 0;
	} else if (argc == 1 && !strcmp(argv[0], "releases")) {
		ret = print_rows(db, LIST_RELEASES, NULL, json, NULL, NULL) < 0;
	} else if (argc == 2 && !strcmp(argv[0], "release")) {
		ret = add_release(db, operator, argv[1]);
	} else if (argc == 1 && !strcmp(argv[0], "audit")) {
		ret = print_rows(db, LIST_AUDIT, NULL, json, NULL, NULL) < 0;
	} else if (argc == 3 && !strcmp(argv[0], "update")) {
		ret = request_update(db, operator, argv[1], argv[2], false);
	} else if (argc == 3 && !strcmp(argv[0], "repair")) {
		ret = request_update(db, operator, argv[1], argv[2], true);
	} else if (argc == 3 && !strcmp(argv[0], "replace")) {
		ret = queue_replacement(db, operator, argv[1], argv[2]);
	} else if (argc == 2 && !strcmp(argv[0], "accept")) {
		ret = accept_rim(db, operator, argv[1]);
	} else if (argc == 2 && !strcmp(argv[0], "reset")) {
		ret = reset_device(db, operator, argv[1]);
	} else {
		usage(stderr);
		ret = 2;
	}
	store_close(db);
	return ret;
}

/*
 * The index of @value among the NULL-terminated @words that @option
 * takes; anything else ends the program with status 2 after saying so.
 */
static int option_word(const char *option, const char *value, const char *const *words)
{
	int i, n = 0;

	while (words[n])
		n++;
	for (i = 0; i < n; i++)
		if (!strcmp(value, words[i]))
			return i;
	fprintf(stderr, "hnbtre-hems: %s: ", option);
	for (i = 0; i < n; i++)
		fprintf(stderr, "%s%s", words[i], i == n - 1 ? "" : i == n - 2 ? " or " : ", ");
	fprintf(stderr, ", not %s\n", value);
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "listen", required_argument, NULL, 'l' },
		{ "port", required_argument, NULL, 'p' },
		{ "cert", required_argument, NULL, 'c' },
		{ "key", required_argument, NULL, 'k' },
		{ "ca", required_argument, NULL, 'C' },
		{ "public-url", required_argument, NULL, 'u' },
		{ "demand-auth", required_argument, NULL, 'A' },
		{ "ocsp-staple", required_argument, NULL, 'O' },
		{ "distress-tls-port", required_argument, NULL, 'T' },
		{ "distress-tcp-port", required_argument, NULL, 'P' },
		{ "distress-psk-dir", required_argument, NULL, 'S' },
		{ "distress-ca", required_argument, NULL, 'D' },
		{ "distress-ike-listen", required_argument, NULL, 'I' },
		{ "on-mismatch", required_argument, NULL, 'M' },
		{ "no-attestation-check", no_argument, NULL, 'N' },
		{ "revocation", required_argument, NULL, 'R' },
		{ "revocation-policy", required_argument, NULL, 'Y' },
		{ "ocsp-responder", required_argument, NULL, 'o' },
		{ "crl", required_argument, NULL, 'L' },
		{ "operator", required_argument, NULL, 'W' },
		{ "trust-on-first-use", no_argument, NULL, 'F' },
		{ "update-timeout", required_argument, NULL, 'U' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	/* TS 33.320 8.3.2.1: device certificates are checked unless the
	 * operator says otherwise (tr069.md, "Revocation of device certificates") */
	struct hems_config config = { .listen_addr = "0.0.0.0", .port = 7547,
				      .update_timeout = 86400,
				      .revocation = REVOCATION_OCSP };
	char *end;
	const char *operator = NULL;
	struct passwd *pw;
	int opt, json = 0;

	while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (opt) {
		case 'd': config.db_path = optarg; break;
		case 'j': json = 1; break;
		case 'l': config.listen_addr = optarg; break;
		case 'p': config.port = atoi(optarg); break;
		case 'c': config.cert_path = optarg; break;
		case 'k': config.key_path = optarg; break;
		case 'C': config.ca_path = optarg; break;
		case 'u': config.public_url = optarg; break;
		case 'A': config.demand_auth = optarg; break;
		case 'O': config.ocsp_staple = optarg; break;
		case 'T': config.distress_tls_port = atoi(optarg); break;
		case 'P': config.distress_tcp_port = atoi(optarg); break;
		case 'S': config.distress_psk_dir = optarg; break;
		case 'D': config.distress_ca = optarg; break;
		case 'I': config.distress_ike_listen = optarg; break;
		case 'M':
			config.reboot_on_mismatch = option_word("--on-mismatch", optarg,
						(const char *const[]){ "mark", "reboot", NULL });
			break;
		case 'N': config.no_attestation_check = true; break;
		case 'R':
			config.revocation = option_word("--revocation", optarg,
					(const char *const[]){ [REVOCATION_OFF] = "off",
							       [REVOCATION_OCSP] = "ocsp",
							       [REVOCATION_CRL] = "crl",
							       [REVOCATION_CRL + 1] = NULL });
			break;
		case 'Y':
			config.revocation_soft = option_word("--revocation-policy", optarg,
						(const char *const[]){ "strict", "soft", NULL });
			break;
		case 'o': config.ocsp_responder = optarg; break;
		case 'L': config.crl_path = optarg; break;
		case 'W': operator = optarg; break;
		case 'F': config.trust_on_first_use = true; break;
		case 'U':
			errno = 0;
			config.update_timeout = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || config.update_timeout <= 0) {
				fprintf(stderr, "hnbtre-hems: --update-timeout: seconds > 0, "
					"not %s\n", optarg);
				return 2;
			}
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!config.db_path || optind >= argc) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[optind], "serve")) {
		if (!config.cert_path || !config.key_path || !config.ca_path ||
		    !config.public_url || optind + 1 != argc) {
			usage(stderr);
			return 2;
		}
		if (config.revocation == REVOCATION_OCSP && !config.ocsp_responder)
			config.ocsp_responder = "aia";
		if (config.revocation == REVOCATION_CRL && !config.crl_path) {
			fprintf(stderr, "hnbtre-hems: --revocation crl needs --crl FILE\n");
			return 2;
		}
		return hems_serve(&config);
	}
	/* who ran an audited command: named, else the account that ran it */
	if (!operator || !*operator) {
		pw = getpwuid(getuid());
		operator = pw ? pw->pw_name : "unknown";
	}
	return hems_cli(config.db_path, operator, argc - optind, argv + optind, json);
}
