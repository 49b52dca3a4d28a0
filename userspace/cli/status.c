// SPDX-License-Identifier: GPL-2.0-only
/* hnbtre validate | status | rim */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
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

static int validate(int argc, char **argv)
{
	struct hnbtre_status st;
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
	err = hnbtre_status_read(&st);
	if (err) {
		die_msg("status: %s", strerror(-err));
		return EXIT_ERROR;
	}
	printf("%s\n", hnbtre_state_name(st.state));
	return st.state == HNBTRE_STATE_TRUSTED ? EXIT_OK : EXIT_NOT_TRUSTED;
}

/* "sha256:<hex>" of @digest, or NULL when @valid is 0. */
static const char *digest_text(int valid, const uint8_t *digest,
			       char out[8 + 2 * HNBTRE_DIGEST_LEN])
{
	if (!valid)
		return NULL;
	memcpy(out, "sha256:", 7);
	hnbtre_hex(digest, out + 7);
	return out;
}

static struct json_object *json_string_or_null(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

static int status(int argc, char **argv)
{
	static const struct option options[] = {
		{ "json", no_argument, NULL, 'j' },
		{}
	};
	char tim[8 + 2 * HNBTRE_DIGEST_LEN], rim[8 + 2 * HNBTRE_DIGEST_LEN];
	char digest[8 + 2 * HNBTRE_DIGEST_LEN];
	struct hnbtre_components components = { 0 };
	struct json_object *obj = NULL, *list = NULL;
	const char *tim_text, *rim_text;
	struct hnbtre_status st;
	int opt, json = 0, err;
	size_t i;

	while ((opt = getopt_long(argc, argv, "j", options, NULL)) != -1) {
		if (opt != 'j')
			return EXIT_ERROR;
		json = 1;
	}
	err = hnbtre_status_read(&st);
	if (err) {
		die_msg("%s", err == -ENOENT ? hnbtre_manifest_errstr(err) :
			strerror(-err));
		return EXIT_ERROR;
	}
	tim_text = digest_text(st.validated, st.tim, tim);
	rim_text = digest_text(st.has_manifest, st.rim, rim);
	err = hnbtre_components_read(&components);
	if (err && err != -ENODATA)
		die_msg("components: %s", strerror(-err));

	if (json) {
		obj = json_object_new_object();
		list = json_object_new_array();
		json_object_object_add(obj, "state",
			json_object_new_string(hnbtre_state_name(st.state)));
		json_object_object_add(obj, "tim", json_string_or_null(tim_text));
		json_object_object_add(obj, "rim", json_string_or_null(rim_text));
		json_object_object_add(obj, "manifest_version", st.has_manifest ?
			json_object_new_int64((int64_t)st.manifest_version) : NULL);
		json_object_object_add(obj, "validations",
			json_object_new_int64((int64_t)st.validations));
		json_object_object_add(obj, "floor", st.floor_in_tpm ?
			json_object_new_int64((int64_t)st.floor) : NULL);
		json_object_object_add(obj, "identity_source",
			json_string_or_null(st.identity_source));
	} else {
		printf("state:    %s\ntim:      %s\nrim:      %s\n",
		       hnbtre_state_name(st.state), tim_text ? tim_text : "-",
		       rim_text ? rim_text : "-");
		if (st.has_manifest)
			printf("manifest: version %" PRIu64 "\n",
			       st.manifest_version);
		else
			printf("manifest: none\n");
		if (st.floor_in_tpm)
			printf("floor:    version %" PRIu64 " (TPM NV counter)\n",
			       st.floor);
		else
			printf("floor:    the active version (this boot only)\n");
		if (st.identity_source)
			printf("identity: %s\n", st.identity_source);
	}
	for (i = 0; i < components.count; i++) {
		const struct hnbtre_component_status *c = &components.items[i];
		const char *d = digest_text(c->measured, c->digest, digest);

		if (json) {
			struct json_object *o = json_object_new_object();

			json_object_object_add(o, "verdict",
				json_object_new_string(hnbtre_verdict_name(c->verdict)));
			json_object_object_add(o, "path", json_object_new_string(c->path));
			json_object_object_add(o, "digest",
				json_object_new_string(d ? d : "sha256:-"));
			json_object_object_add(o, "class",
				json_object_new_string(hnbtre_class_name(c->class)));
			json_object_array_add(list, o);
		} else {
			printf("  %-9s %s (%s)\n            %s\n",
			       hnbtre_verdict_name(c->verdict), c->path,
			       hnbtre_class_name(c->class), d ? d : "sha256:-");
		}
	}
	if (json) {
		json_object_object_add(obj, "components", list);
		printf("%s\n", json_object_to_json_string_ext(obj,
			JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(obj);
	}
	hnbtre_components_free(&components);
	return st.state == HNBTRE_STATE_TRUSTED ? EXIT_OK : EXIT_NOT_TRUSTED;
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

/*
 * MANIFEST read and its body parsed into @m: a signed manifest ends with
 * the trailer magic, a bare body with "\n".  *data is freed by the caller
 * (NULL on error).
 */
static int read_manifest(const char *path, uint8_t **data, size_t *body_len,
			 const uint8_t **sig, size_t *sig_len,
			 struct hnbtre_manifest *m)
{
	char err[HNBTRE_ERR_LEN];
	size_t len;
	int ret = hnbtre_read_file(path, HNBTRE_MANIFEST_MAX_SIZE, data, &len);

	if (ret) {
		die_msg("%s: %s", path, strerror(-ret));
		*data = NULL;
		return ret;
	}
	*sig = NULL;
	*sig_len = 0;
	if (hnbtre_manifest_split(*data, len, body_len, sig, sig_len))
		*body_len = len;
	ret = hnbtre_manifest_parse((char *)*data, *body_len, m, err);
	if (ret)
		die_msg("%s: %s", path, err);
	return ret;
}

static int rim(int argc, char **argv)
{
	static const struct option options[] = {
		{ "verify", no_argument, NULL, 'v' },
		{ "roots", required_argument, NULL, 'r' },
		{}
	};
	struct hnbtre_manifest m;
	char hex[2 * HNBTRE_DIGEST_LEN + 1];
	const char *roots = NULL;
	const uint8_t *sig;
	uint8_t *data, digest[HNBTRE_DIGEST_LEN];
	size_t body_len, sig_len;
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
	if (read_manifest(argv[optind], &data, &body_len, &sig, &sig_len, &m))
		goto out;
	if (verify && !sig) {
		die_msg("%s: not signed", argv[optind]);
		hnbtre_manifest_free(&m);
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

/*
 * The TIM of MANIFEST's components as they are on this system now, what
 * a validation by the kernel computes (Documentation/kernel.md): a file
 * that cannot be read counts as "sha256:-".
 */
static int tim(int argc, char **argv)
{
	struct hnbtre_manifest m;
	char hex[2 * HNBTRE_DIGEST_LEN + 1];
	uint8_t *data, (*digests)[HNBTRE_DIGEST_LEN] = NULL, digest[HNBTRE_DIGEST_LEN];
	int *present = NULL, ret = EXIT_ERROR;
	const uint8_t *sig;
	size_t body_len, sig_len, i;

	if (argc != 2) {
		die_msg("usage: tim MANIFEST");
		return EXIT_ERROR;
	}
	if (read_manifest(argv[1], &data, &body_len, &sig, &sig_len, &m)) {
		free(data);
		return EXIT_ERROR;
	}
	digests = calloc(m.count + 1, sizeof(*digests));
	present = calloc(m.count + 1, sizeof(*present));
	for (i = 0; digests && present && i < m.count; i++)
		present[i] = !hnbtre_hash_file(m.components[i].path, digests[i]);
	if (digests && present &&
	    !hnbtre_tim(&m, (const uint8_t (*)[HNBTRE_DIGEST_LEN])digests, present, digest)) {
		hnbtre_hex(digest, hex);
		printf("sha256:%s\n", hex);
		ret = EXIT_OK;
	}
	free(digests);
	free(present);
	hnbtre_manifest_free(&m);
	free(data);
	return ret;
}

const struct command status_commands[] = {
	{ NULL, "validate", "", validate },
	{ NULL, "status", "[--json]", status },
	{ NULL, "rim", "[--verify --roots CA.pem] MANIFEST", rim },
	{ NULL, "tim", "MANIFEST", tim },
	{}
};
