// SPDX-License-Identifier: GPL-2.0-only
/* hnbtre validate | status | rim */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "cli.h"
#include "hnbtre.h"

/* A one-line securityfs file without its newline; NULL if unreadable. */
static char *read_line(const char *name, int *err)
{
	char *data;
	size_t len;

	*err = hnbtre_sysfs_read(name, &data, &len);
	if (*err)
		return NULL;
	data[strcspn(data, "\n")] = '\0';
	return data;
}

static int validate(int argc, char **argv)
{
	char *state;
	int err;

	(void)argv;
	if (argc != 1) {
		die_msg("usage: validate");
		return EXIT_ERROR;
	}
	err = hnbtre_sysfs_write("validate", "1", 1);
	if (err) {
		die_msg("validate: %s", err == -ENODATA ?
			"no manifest loaded" : hnbtre_manifest_errstr(err));
		return EXIT_ERROR;
	}
	state = read_line("state", &err);
	if (!state) {
		die_msg("state: %s", strerror(-err));
		return EXIT_ERROR;
	}
	printf("%s\n", state);
	err = strcmp(state, "trusted") ? EXIT_NOT_TRUSTED : EXIT_OK;
	free(state);
	return err;
}

static long long manifest_version(void)
{
	long long version = -1;
	char *body;
	size_t len;

	if (hnbtre_sysfs_read("manifest", &body, &len))
		return -1;
	if (sscanf(body, "hnbtre-manifest 1\nversion %lld\n", &version) != 1)
		version = -1;
	free(body);
	return version;
}

static int status(int argc, char **argv)
{
	static const struct option options[] = {
		{ "json", no_argument, NULL, 'j' },
		{}
	};
	char *state, *tim, *rim, *components = NULL, *line, *save = NULL;
	struct json_object *obj = NULL, *list = NULL;
	long long version;
	size_t len;
	int opt, json = 0, err, ret;

	while ((opt = getopt_long(argc, argv, "j", options, NULL)) != -1) {
		if (opt != 'j')
			return EXIT_ERROR;
		json = 1;
	}
	state = read_line("state", &err);
	if (!state) {
		die_msg("%s", err == -ENOENT ? hnbtre_manifest_errstr(err) :
			strerror(-err));
		return EXIT_ERROR;
	}
	tim = read_line("tim", &err);
	rim = read_line("rim", &err);
	version = manifest_version();
	if (hnbtre_sysfs_read("components", &components, &len))
		components = NULL;

	if (json) {
		obj = json_object_new_object();
		list = json_object_new_array();
		json_object_object_add(obj, "state", json_object_new_string(state));
		json_object_object_add(obj, "tim", tim ? json_object_new_string(tim) : NULL);
		json_object_object_add(obj, "rim", rim ? json_object_new_string(rim) : NULL);
		json_object_object_add(obj, "manifest_version",
				       version > 0 ? json_object_new_int64(version) : NULL);
	} else {
		printf("state:    %s\ntim:      %s\nrim:      %s\n", state,
		       tim ? tim : "-", rim ? rim : "-");
		if (version > 0)
			printf("manifest: version %lld\n", version);
		else
			printf("manifest: none\n");
	}
	for (line = components ? strtok_r(components, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		char verdict[16], path[HNBTRE_PATH_MAX + 1], digest[80];

		if (sscanf(line, "%15s %4095s %79s", verdict, path, digest) != 3)
			continue;
		if (json) {
			struct json_object *c = json_object_new_object();

			json_object_object_add(c, "verdict", json_object_new_string(verdict));
			json_object_object_add(c, "path", json_object_new_string(path));
			json_object_object_add(c, "digest", json_object_new_string(digest));
			json_object_array_add(list, c);
		} else {
			printf("  %-9s %s\n            %s\n", verdict, path, digest);
		}
	}
	if (json) {
		json_object_object_add(obj, "components", list);
		printf("%s\n", json_object_to_json_string_ext(obj,
			JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(obj);
	}
	ret = strcmp(state, "trusted") ? EXIT_NOT_TRUSTED : EXIT_OK;
	free(state);
	free(tim);
	free(rim);
	free(components);
	return ret;
}

/* CMS signature of a signed manifest against a PEM bundle of roots. */
static int verify_signature(const uint8_t *body, size_t body_len,
			    const uint8_t *sig, size_t sig_len, const char *roots)
{
	X509_STORE *store = X509_STORE_new();
	const unsigned char *p = sig;
	CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &p, sig_len);
	BIO *content = BIO_new_mem_buf(body, body_len);
	int ok = 0;

	if (store && cms && content && p == sig + sig_len &&
	    X509_STORE_load_file(store, roots) &&
	    X509_STORE_set_purpose(store, X509_PURPOSE_ANY))
		ok = CMS_verify(cms, NULL, store, content, NULL,
				CMS_BINARY | CMS_DETACHED) == 1;
	if (!ok) {
		unsigned long e = ERR_get_error();

		die_msg("signature: %s", e ? ERR_reason_error_string(e) :
			"not a DER CMS SignedData");
	}
	BIO_free(content);
	CMS_ContentInfo_free(cms);
	X509_STORE_free(store);
	return ok;
}

static int rim(int argc, char **argv)
{
	static const struct option options[] = {
		{ "verify", no_argument, NULL, 'v' },
		{ "roots", required_argument, NULL, 'r' },
		{}
	};
	struct hnbtre_manifest m;
	char err[HNBTRE_ERR_LEN], hex[2 * HNBTRE_DIGEST_LEN + 1];
	const char *roots = NULL;
	const uint8_t *sig = NULL;
	uint8_t *data, digest[HNBTRE_DIGEST_LEN];
	size_t len, body_len, sig_len = 0;
	int opt, verify = 0, ret = EXIT_ERROR;

	while ((opt = getopt_long(argc, argv, "vr:", options, NULL)) != -1) {
		switch (opt) {
		case 'v': verify = 1; break;
		case 'r': roots = optarg; break;
		default: return EXIT_ERROR;
		}
	}
	if (argc - optind != 1 || (verify && !roots)) {
		die_msg("usage: rim [--verify --roots CA.pem] MANIFEST");
		return EXIT_ERROR;
	}
	opt = hnbtre_read_file(argv[optind], HNBTRE_MANIFEST_MAX, &data, &len);
	if (opt) {
		die_msg("%s: %s", argv[optind], strerror(-opt));
		return EXIT_ERROR;
	}
	/* A signed manifest ends with the trailer magic; a bare body with "\n". */
	if (hnbtre_manifest_split(data, len, &body_len, &sig, &sig_len))
		body_len = len;
	if (verify && !sig) {
		die_msg("%s: not signed", argv[optind]);
		goto out;
	}
	if (hnbtre_manifest_parse((char *)data, body_len, &m, err)) {
		die_msg("%s: %s", argv[optind], err);
		goto out;
	}
	if (!hnbtre_tim(&m, NULL, NULL, digest) &&
	    (!verify || verify_signature(data, body_len, sig, sig_len, roots))) {
		hnbtre_hex(digest, hex);
		printf("sha256:%s\n", hex);
		ret = EXIT_OK;
	}
	hnbtre_manifest_free(&m);
out:
	free(data);
	return ret;
}

const struct command status_commands[] = {
	{ NULL, "validate", "", validate },
	{ NULL, "status", "[--json]", status },
	{ NULL, "rim", "[--verify --roots CA.pem] MANIFEST", rim },
	{}
};
