// SPDX-License-Identifier: GPL-2.0-only
/* hnbtre attest | verify-attestation (Documentation/attestation.md) */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "cli.h"
#include "hnbtre.h"

/* HEX (optionally "sha256:HEX" for digests) into exactly want bytes. */
static int parse_hex(const char *hex, uint8_t *out, size_t min, size_t max,
		     size_t *len)
{
	if (!strncmp(hex, "sha256:", 7))
		hex += 7;
	return OPENSSL_hexstr2buf_ex(out, max, len, hex, '\0') == 1 &&
	       *len >= min;
}

static int attest(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "nonce", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	uint8_t nonce[HNBTRE_ATTEST_NONCE_MAX], *blob;
	size_t nonce_len = 0, len;
	int opt, err;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt != 'n' || !parse_hex(optarg, nonce, HNBTRE_ATTEST_NONCE_MIN,
					     sizeof(nonce), &nonce_len)) {
			die_msg("usage: attest --nonce HEX (16 to 64 bytes)");
			return EXIT_ERROR;
		}
	}
	if (!nonce_len || optind != argc) {
		die_msg("usage: attest --nonce HEX (16 to 64 bytes)");
		return EXIT_ERROR;
	}
	err = hnbtre_attest(nonce, nonce_len, &blob, &len);
	if (err) {
		die_msg("attest: %s", err == -ENOKEY ?
			"no device key in .hnbtre_device" : strerror(-err));
		return EXIT_ERROR;
	}
	err = fwrite(blob, 1, len, stdout) != len || fflush(stdout);
	free(blob);
	if (err) {
		die_msg("attest: cannot write the attestation");
		return EXIT_ERROR;
	}
	return EXIT_OK;
}

static void print_attestation(const struct hnbtre_attestation *a)
{
	char tim[2 * HNBTRE_DIGEST_LEN + 1], rim[2 * HNBTRE_DIGEST_LEN + 1];

	hnbtre_hex(a->tim, tim);
	hnbtre_hex(a->rim, rim);
	printf("identity %.*s\nidentity_source %s\nstate %s\ntim sha256:%s\nrim sha256:%s\n"
	       "manifest %llu\nfloor %s\ncounter %llu\nboot %llu\nuptime_ns %llu\n"
	       "verdicts pending=%u ok=%u unsigned=%u badsig=%u mismatch=%u missing=%u\n",
	       (int)a->identity_len, a->identity,
	       a->identity_in_tpm ? "tpm-nv" : a->identity_len ? "parameter" : "-",
	       hnbtre_state_name(a->state),
	       a->validated ? tim : "-", a->has_manifest ? rim : "-",
	       (unsigned long long)a->manifest_version,
	       a->floor_in_tpm ? "tpm" : "boot",
	       (unsigned long long)a->counter,
	       (unsigned long long)a->boot_epoch,
	       (unsigned long long)a->uptime_ns, a->verdicts[0],
	       a->verdicts[1], a->verdicts[2], a->verdicts[3], a->verdicts[4],
	       a->verdicts[5]);
}

static int verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "cert", required_argument, NULL, 'c' },
		{ "roots", required_argument, NULL, 'R' },
		{ "nonce", required_argument, NULL, 'n' },
		{ "rim", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	static const char usage[] =
		"usage: verify-attestation --cert C --roots R --nonce HEX [--rim sha256:HEX] BLOB";
	uint8_t nonce[HNBTRE_ATTEST_NONCE_MAX], rim[HNBTRE_DIGEST_LEN], *blob;
	size_t nonce_len = 0, rim_len = 0, len;
	struct hnbtre_attestation a;
	const char *cert = NULL, *roots = NULL;
	int opt, verdict, ok = 1;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt == 'c')
			cert = optarg;
		else if (opt == 'R')
			roots = optarg;
		else if (opt == 'n')
			ok &= parse_hex(optarg, nonce, HNBTRE_ATTEST_NONCE_MIN,
					sizeof(nonce), &nonce_len);
		else if (opt == 'r')
			ok &= parse_hex(optarg, rim, sizeof(rim), sizeof(rim),
					&rim_len);
		else
			ok = 0;
	}
	if (!ok || !cert || !roots || !nonce_len || optind != argc - 1) {
		die_msg("%s", usage);
		return EXIT_ERROR;
	}
	verdict = hnbtre_read_file(argv[optind], 1 << 16, &blob, &len);
	if (verdict) {
		die_msg("%s: %s", argv[optind], strerror(-verdict));
		return EXIT_ERROR;
	}
	verdict = hnbtre_verify_attestation(blob, len, cert, roots, nonce,
					    nonce_len, rim_len ? rim : NULL, &a);
	if (verdict < 0) {
		die_msg("%s or %s: %s", cert, roots, strerror(-verdict));
		free(blob);
		return EXIT_ERROR;
	}
	if (verdict != HNBTRE_ATTEST_MALFORMED)
		print_attestation(&a);
	free(blob);
	if (verdict != HNBTRE_ATTEST_VALID) {
		printf("rejected: %s\n", hnbtre_attest_verdict_str(verdict));
		return EXIT_NOT_TRUSTED;
	}
	printf("valid\n");
	return EXIT_OK;
}

const struct command attest_commands[] = {
	{ NULL, "attest", "--nonce HEX   signed attestation of the TrE to stdout", attest },
	{ NULL, "verify-attestation",
	  "--cert C --roots R --nonce HEX [--rim sha256:HEX] BLOB", verify },
	{}
};
