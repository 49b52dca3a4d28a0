// SPDX-License-Identifier: GPL-2.0-only
/* hnbtre manifest build | sign | load */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "cli.h"
#include "hnbtre.h"

static int compare_paths(const void *a, const void *b)
{
	return strcmp(((const struct hnbtre_component *)a)->path,
		      ((const struct hnbtre_component *)b)->path);
}

/* FILE's path below ROOT, with its leading '/', or NULL if it is not below. */
static const char *path_under(const char *file, const char *root)
{
	size_t n = strlen(root);

	while (n && root[n - 1] == '/')
		n--;
	if (strncmp(file, root, n) || file[n] != '/')
		return NULL;
	return file + n;
}

static int manifest_build(int argc, char **argv)
{
	static const struct option options[] = {
		{ "version", required_argument, NULL, 'v' },
		{ "root", required_argument, NULL, 'r' },
		{ "prefix", required_argument, NULL, 'p' },
		{ "class", required_argument, NULL, 'c' },
		{ "output", required_argument, NULL, 'o' },
		{}
	};
	struct hnbtre_manifest m = { .version = 1 };
	enum hnbtre_class class = HNBTRE_CLASS_NORMAL;
	const char *root = NULL, *prefix = "", *output = NULL;
	FILE *out = stdout;
	int opt, ret = EXIT_ERROR;
	size_t i;

	m.components = calloc(argc, sizeof(*m.components));
	if (!m.components)
		return EXIT_ERROR;
	/* "-" keeps options and files in order, so --class applies to what follows. */
	while ((opt = getopt_long(argc, argv, "-v:r:p:c:o:", options, NULL)) != -1) {
		struct hnbtre_component *c;
		const char *path;
		char *end;
		int err;

		switch (opt) {
		case 'v':
			errno = 0;
			m.version = strtoull(optarg, &end, 10);
			if (errno || *end || m.version == 0 || optarg[0] == '-') {
				die_msg("--version: 1 to 2^64-1");
				goto out;
			}
			break;
		case 'r':
			root = optarg;
			break;
		case 'p':
			prefix = strcmp(optarg, "/") ? optarg : "";
			if (*prefix && !hnbtre_path_valid(prefix, strlen(prefix))) {
				die_msg("--prefix %s: not an absolute canonical path", optarg);
				goto out;
			}
			break;
		case 'c':
			err = hnbtre_class_parse(optarg);
			if (err < 0) {
				die_msg("--class: normal, distress or tre");
				goto out;
			}
			class = err;
			break;
		case 'o':
			output = optarg;
			break;
		case 1:
			path = optarg;
			if (root) {
				path = path_under(optarg, root);
				if (!path) {
					die_msg("%s is not under --root %s", optarg, root);
					goto out;
				}
			} else if (*prefix) {
				die_msg("--prefix %s needs --root", prefix);
				goto out;
			}
			c = &m.components[m.count];
			if (asprintf(&c->path, "%s%s", prefix, path) < 0) {
				c->path = NULL;
				goto out;
			}
			m.count++;
			if (!hnbtre_path_valid(c->path, strlen(c->path))) {
				die_msg("%s: not an absolute canonical path without spaces or control characters",
					c->path);
				goto out;
			}
			err = hnbtre_hash_file(optarg, c->digest);
			if (err) {
				die_msg("%s: %s", optarg, strerror(-err));
				goto out;
			}
			c->class = class;
			break;
		default:
			goto out;
		}
	}
	if (!m.count) {
		die_msg("manifest build: no files");
		goto out;
	}
	qsort(m.components, m.count, sizeof(*m.components), compare_paths);
	for (i = 1; i < m.count; i++) {
		if (!strcmp(m.components[i - 1].path, m.components[i].path)) {
			die_msg("%s named twice", m.components[i].path);
			goto out;
		}
	}
	if (output && !(out = fopen(output, "w"))) {
		die_msg("%s: %s", output, strerror(errno));
		goto out;
	}
	if (hnbtre_manifest_format(&m, out) == 0 && fflush(out) == 0)
		ret = EXIT_OK;
	if (output && fclose(out))
		ret = EXIT_ERROR;
out:
	hnbtre_manifest_free(&m);
	return ret;
}

static void openssl_error(const char *what)
{
	unsigned long e = ERR_get_error();

	die_msg("%s: %s", what, e ? ERR_reason_error_string(e) : "failed");
}

/* All certificates of a PEM file; the first is the signer. */
static STACK_OF(X509) *read_certs(const char *path)
{
	STACK_OF(X509) *certs = sk_X509_new_null();
	BIO *bio = BIO_new_file(path, "r");
	X509 *cert;

	if (!certs || !bio) {
		sk_X509_free(certs);
		BIO_free(bio);
		return NULL;
	}
	while ((cert = PEM_read_bio_X509(bio, NULL, NULL, NULL)))
		sk_X509_push(certs, cert);
	ERR_clear_error();
	BIO_free(bio);
	if (!sk_X509_num(certs)) {
		sk_X509_free(certs);
		return NULL;
	}
	return certs;
}

static int manifest_sign(int argc, char **argv)
{
	static const struct option options[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "cert", required_argument, NULL, 'c' },
		{ "chain", required_argument, NULL, 'C' },
		{}
	};
	const char *key_path = NULL, *cert_path = NULL, *chain_path = NULL;
	STACK_OF(X509) *certs = NULL, *chain = NULL;
	struct hnbtre_manifest m;
	char err[HNBTRE_ERR_LEN];
	uint8_t *body = NULL, *der = NULL;
	size_t body_len;
	EVP_PKEY *key = NULL;
	CMS_ContentInfo *cms = NULL;
	BIO *in = NULL, *key_bio = NULL;
	FILE *out = NULL;
	int opt, der_len, ret = EXIT_ERROR;

	while ((opt = getopt_long(argc, argv, "k:c:C:", options, NULL)) != -1) {
		switch (opt) {
		case 'k': key_path = optarg; break;
		case 'c': cert_path = optarg; break;
		case 'C': chain_path = optarg; break;
		default: return EXIT_ERROR;
		}
	}
	if (!key_path || !cert_path || argc - optind != 2) {
		die_msg("usage: manifest sign --key K --cert C [--chain F] IN OUT");
		return EXIT_ERROR;
	}
	opt = hnbtre_read_file(argv[optind], HNBTRE_MANIFEST_MAX_SIZE, &body, &body_len);
	if (opt) {
		die_msg("%s: %s", argv[optind], strerror(-opt));
		return EXIT_ERROR;
	}
	if (hnbtre_manifest_parse((char *)body, body_len, &m, err)) {
		die_msg("%s: %s", argv[optind], err);
		goto out;
	}
	hnbtre_manifest_free(&m);

	certs = read_certs(cert_path);
	if (!certs) {
		die_msg("%s: no certificate", cert_path);
		goto out;
	}
	if (chain_path && !(chain = read_certs(chain_path))) {
		die_msg("%s: no certificate", chain_path);
		goto out;
	}
	/* Intermediates go into the CMS; the signer is added with its signerInfo. */
	if (!chain && !(chain = sk_X509_new_null()))
		goto out;
	while (sk_X509_num(certs) > 1)
		sk_X509_push(chain, sk_X509_pop(certs));
	key_bio = BIO_new_file(key_path, "r");
	key = key_bio ? PEM_read_bio_PrivateKey(key_bio, NULL, NULL, NULL) : NULL;
	if (!key) {
		openssl_error(key_path);
		goto out;
	}
	in = BIO_new_mem_buf(body, body_len);
	/* Detached, binary, signed attributes but no S/MIME capabilities. */
	cms = in ? CMS_sign(NULL, NULL, chain, NULL,
			    CMS_BINARY | CMS_DETACHED | CMS_PARTIAL) : NULL;
	if (!cms || !CMS_add1_signer(cms, sk_X509_value(certs, 0), key,
				     EVP_sha256(), CMS_BINARY | CMS_NOSMIMECAP) ||
	    !CMS_final(cms, in, NULL, CMS_BINARY | CMS_DETACHED)) {
		openssl_error("signing");
		goto out;
	}
	der_len = i2d_CMS_ContentInfo(cms, &der);
	if (der_len <= 0) {
		openssl_error("encoding");
		goto out;
	}
	out = fopen(argv[optind + 1], "w");
	if (!out) {
		die_msg("%s: %s", argv[optind + 1], strerror(errno));
		goto out;
	}
	{
		uint8_t len_be[4] = { der_len >> 24, der_len >> 16, der_len >> 8, der_len };

		fwrite(body, 1, body_len, out);
		fwrite(der, 1, der_len, out);
		fwrite(len_be, 1, 4, out);
		fwrite(HNBTRE_MANIFEST_SIG_MAGIC, 1, HNBTRE_MANIFEST_SIG_MAGIC_LEN, out);
	}
	ret = ferror(out) ? EXIT_ERROR : EXIT_OK;
	if (fclose(out))
		ret = EXIT_ERROR;
out:
	OPENSSL_free(der);
	CMS_ContentInfo_free(cms);
	BIO_free(in);
	BIO_free(key_bio);
	EVP_PKEY_free(key);
	sk_X509_pop_free(certs, X509_free);
	sk_X509_pop_free(chain, X509_free);
	free(body);
	return ret;
}

static int manifest_load(int argc, char **argv)
{
	struct hnbtre_manifest m;
	char err[HNBTRE_ERR_LEN];
	const uint8_t *sig;
	size_t len, body_len, sig_len;
	uint8_t *data;
	int ret;

	if (argc != 2) {
		die_msg("usage: manifest load FILE");
		return EXIT_ERROR;
	}
	ret = hnbtre_read_file(argv[1], HNBTRE_MANIFEST_MAX_SIZE, &data, &len);
	if (ret) {
		die_msg("%s: %s", argv[1], strerror(-ret));
		return EXIT_ERROR;
	}
	/* Refuse what the kernel would refuse as malformed, with a better message. */
	if (hnbtre_manifest_split(data, len, &body_len, &sig, &sig_len)) {
		die_msg("%s: no signature trailer (sign it with \"hnbtre manifest sign\")",
			argv[1]);
		ret = EXIT_ERROR;
		goto out;
	}
	if (hnbtre_manifest_parse((char *)data, body_len, &m, err)) {
		die_msg("%s: %s", argv[1], err);
		ret = EXIT_ERROR;
		goto out;
	}
	hnbtre_manifest_free(&m);
	ret = hnbtre_sysfs_write("manifest", data, len);
	if (ret) {
		die_msg("%s: refused by the TrE: %s", argv[1],
			hnbtre_manifest_errstr(ret));
		ret = EXIT_ERROR;
	}
out:
	free(data);
	return ret;
}

const struct command manifest_commands[] = {
	{ "manifest", "build", "[--version N] [--root DIR [--prefix /P]] [-o OUT] [--class normal|distress|tre] FILE...", manifest_build },
	{ "manifest", "sign", "--key KEY --cert CERT [--chain PEM] IN OUT", manifest_sign },
	{ "manifest", "load", "FILE", manifest_load },
	{}
};
