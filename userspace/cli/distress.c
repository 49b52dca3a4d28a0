// SPDX-License-Identifier: GPL-2.0-only
/*
 * hnbtre distress verify: check a distress indication as the receiver does
 * (Documentation/distress.md), for operators and tests.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cli.h"
#include "hnbtre_distress.h"

#define VERIFY_USAGE "FRAME [--psk FILE] [--ca PEM] [--device-ca PEM] " \
		     "[--last-sequence N] [--json]"

static json_object *report(const struct hnbtre_distress_msg *msg,
			   int verdict, int attested,
			   const struct hnbtre_attestation *a)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "identity",
			       json_object_new_string(msg->identity));
	json_object_object_add(o, "auth", json_object_new_string(
			       hnbtre_distress_auth_name(msg->auth)));
	json_object_object_add(o, "verdict", json_object_new_string(
			       hnbtre_distress_verdict_str(verdict)));
	json_object_object_add(o, "sequence",
			       json_object_new_uint64(msg->sequence));
	json_object_object_add(o, "time", json_object_new_int64(msg->time));
	json_object_object_add(o, "state", json_object_new_string(msg->state));
	json_object_object_add(o, "failed", hnbtre_distress_failed_list(msg));
	json_object_object_add(o, "attestation", json_object_new_string(
			       attested < 0 ? "not checked" :
			       hnbtre_attest_verdict_str(attested)));
	if (hnbtre_attest_genuine(attested))
		json_object_object_add(o, "attested_state",
				       json_object_new_string(
				       hnbtre_state_name(a->state)));
	return o;
}

static int verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "psk", required_argument, NULL, 'p' },
		{ "ca", required_argument, NULL, 'c' },
		{ "device-ca", required_argument, NULL, 'd' },
		{ "last-sequence", required_argument, NULL, 'l' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	const char *psk_file = NULL, *ca = NULL, *device_ca = NULL;
	struct hnbtre_distress_msg msg;
	struct hnbtre_attestation a = { 0 };
	uint8_t *frame = NULL, *psk = NULL;
	size_t len, psk_len = 0;
	uint64_t last = 0;
	char err[HNBTRE_ERR_LEN], *end;
	int opt, json = 0, verdict, attested = -1, ret = EXIT_ERROR;
	json_object *o;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'p': psk_file = optarg; break;
		case 'c': ca = optarg; break;
		case 'd': device_ca = optarg; break;
		case 'j': json = 1; break;
		case 'l':
			errno = 0;
			last = strtoull(optarg, &end, 10);
			if (errno || *end || !*optarg)
				goto usage;
			break;
		default:
			goto usage;
		}
	}
	if (optind + 1 != argc)
		goto usage;
	if (hnbtre_read_file(argv[optind], HNBTRE_DISTRESS_HEADER_MAX +
			     HNBTRE_DISTRESS_MESSAGE_MAX +
			     HNBTRE_DISTRESS_AUTH_MAX, &frame, &len) ||
	    (psk_file && hnbtre_read_file(psk_file, 1024, &psk, &psk_len))) {
		die_msg("distress verify: cannot read %s",
			frame ? psk_file : argv[optind]);
		goto out;
	}
	if (hnbtre_distress_parse(frame, len, &msg, err)) {
		die_msg("distress verify: malformed: %s", err);
		hnbtre_distress_free(&msg);
		goto out;
	}
	verdict = hnbtre_distress_verify(&msg, psk, psk_len, ca ? ca : "/dev/null",
					 last);
	if (device_ca)
		attested = hnbtre_distress_attestation(&msg, device_ca, &a);
	o = report(&msg, verdict, attested, &a);
	if (json) {
		puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY));
	} else {
		json_object_object_foreach(o, key, value)
			printf("%-16s %s\n", key, json_object_get_string(value));
	}
	json_object_put(o);
	ret = verdict == HNBTRE_DISTRESS_AUTHENTIC ||
	      verdict == HNBTRE_DISTRESS_UNAUTHENTICATED ? EXIT_OK : EXIT_ERROR;
	hnbtre_distress_free(&msg);
out:
	free(frame);
	free(psk);
	return ret;
usage:
	die_msg("usage: distress verify " VERIFY_USAGE);
	return EXIT_ERROR;
}

const struct command distress_commands[] = {
	{ "distress", "verify", VERIFY_USAGE, verify },
	{ NULL, NULL, NULL, NULL },
};
