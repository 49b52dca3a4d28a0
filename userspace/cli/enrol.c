// SPDX-License-Identifier: GPL-2.0-only
/*
 * hnbtre enrol: the device certificate from the operator's PKI over CMPv2
 * (RFC 4210 as TS 33.310 profiles it; Documentation/enrolment.md).  The
 * new key is generated here in memory, proves its possession by signing
 * the request and goes to the TrE; storage gets it only with --key-out,
 * sealed by the TPM for the next boot.  The request is protected by the
 * current TrE key (vendor certificate or current operator certificate)
 * or by a pre-shared reference value.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/cmp.h>
#include <openssl/err.h>
#include <openssl/http.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "cli.h"
#include "hnbtre.h"
#include "hnbtre_tls.h"
#include "key.h"

struct enrol {
	const char *server, *roots, *cert_path, *vendor_cert, *secret_path,
		   *reference, *key_out;
	double renew_below;	/* < 0: renew unconditionally */
	int verdict_pcr;	/* < 0: the running TrE's verdict_pcr= */
	int initial;
	/* during the transaction */
	char *identity;
	EVP_PKEY *new_key;
	/*
	 * The anchors the TrE holds, for the new certificate; a store of its
	 * own, because OpenSSL adds the caPubs of a MAC-protected response to
	 * the context's trusted store (RFC 4210 E.7).
	 */
	X509_STORE *trusted;
};

static int tre_holds(X509 *cert)
{
	unsigned char *der = NULL;
	int len = i2d_X509(cert, &der);
	int held = len > 0 && hnbtre_tre_holds_issuer(der, len);

	OPENSSL_free(der);
	return held;
}

/* The self-signed certificates of @path whose key the TrE holds. */
static STACK_OF(X509) *tre_anchors(const char *path)
{
	STACK_OF(X509_INFO) *infos = NULL;
	STACK_OF(X509) *held = sk_X509_new_null();
	BIO *bio = BIO_new_file(path, "r");
	int i;

	if (bio)
		infos = PEM_X509_INFO_read_bio(bio, NULL, NULL, NULL);
	for (i = 0; held && i < sk_X509_INFO_num(infos); i++) {
		X509 *cert = sk_X509_INFO_value(infos, i)->x509;

		if (!cert)
			continue;
		if (X509_check_issued(cert, cert) != X509_V_OK ||
		    !tre_holds(cert)) {
			die_msg("%s: \"%s\" is not a trust anchor: not a self-signed certificate whose key is in " HNBTRE_ROOTS_KEYRING,
				path, X509_NAME_oneline(X509_get_subject_name(cert), NULL, 0));
			continue;
		}
		X509_add_cert(held, cert, X509_ADD_FLAG_UP_REF);
	}
	sk_X509_INFO_pop_free(infos, X509_INFO_free);
	BIO_free(bio);
	if (sk_X509_num(held) <= 0) {
		die_msg("%s: no root the TrE holds", path);
		sk_X509_pop_free(held, X509_free);
		return NULL;
	}
	return held;
}

static X509_STORE *store_of(STACK_OF(X509) *certs)
{
	X509_STORE *store = X509_STORE_new();
	int i;

	for (i = 0; store && i < sk_X509_num(certs); i++) {
		if (!X509_STORE_add_cert(store, sk_X509_value(certs, i))) {
			X509_STORE_free(store);
			return NULL;
		}
	}
	return store;
}

static X509 *read_cert(const char *path)
{
	BIO *bio = BIO_new_file(path, "r");
	X509 *cert = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;

	BIO_free(bio);
	if (!cert)
		die_msg("%s: no PEM certificate", path);
	return cert;
}

/*
 * Before confirming (certConf): the certificate is for the TrE's identity
 * and chains to a root the TrE holds (OpenSSL has already compared its
 * key with the request's: @fail_info).  Anything else is rejected towards
 * the CA and nothing is replaced.
 */
static int check_new_cert(OSSL_CMP_CTX *ctx, X509 *cert, int fail_info,
			  const char **text)
{
	struct enrol *e = OSSL_CMP_CTX_get_certConf_cb_arg(ctx);

	if (fail_info)
		return fail_info;
	if (!hnbtre_cert_names_identity(cert, e->identity, strlen(e->identity))) {
		*text = "the certificate does not name the TrE's identity";
		die_msg("refused: %s (%s)", *text, e->identity);
		return 1 << OSSL_CMP_PKIFAILUREINFO_badCertTemplate;
	}
	if (!OSSL_CMP_validate_cert_path(ctx, e->trusted, cert)) {
		*text = "the certificate does not chain to a root the TrE holds";
		die_msg("refused: %s", *text);
		return 1 << OSSL_CMP_PKIFAILUREINFO_incorrectData;
	}
	return 0;
}

static int set_server(OSSL_CMP_CTX *ctx, const char *url)
{
	char *host = NULL, *path = NULL;
	int port, ssl, ok;

	if (!OSSL_HTTP_parse_url(url, &ssl, NULL, &host, NULL, &port, &path,
				 NULL, NULL) || ssl) {
		die_msg("%s: not an http:// URL (the CMP messages carry their own protection)", url);
		ok = 0;
	} else {
		ok = OSSL_CMP_CTX_set1_server(ctx, host) &&
		     OSSL_CMP_CTX_set_serverPort(ctx, port) &&
		     OSSL_CMP_CTX_set1_serverPath(ctx, path);
	}
	OPENSSL_free(host);
	OPENSSL_free(path);
	return ok;
}

/* The request's names: CN and identity URI of the TrE's identity. */
static int set_names(OSSL_CMP_CTX *ctx, const char *identity)
{
	GENERAL_NAME *uri = GENERAL_NAME_new();
	ASN1_IA5STRING *value = ASN1_IA5STRING_new();
	X509_NAME *subject = X509_NAME_new();
	char text[sizeof(HNBTRE_IDENTITY_URI_PREFIX) + 128];
	int ok;

	snprintf(text, sizeof(text), HNBTRE_IDENTITY_URI_PREFIX "%s", identity);
	ok = uri && value && subject &&
	     X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC,
					(const unsigned char *)identity, -1, -1, 0) &&
	     ASN1_STRING_set(value, text, -1) &&
	     OSSL_CMP_CTX_set1_subjectName(ctx, subject);
	if (ok) {
		GENERAL_NAME_set0_value(uri, GEN_URI, value);
		value = NULL;
		ok = OSSL_CMP_CTX_push1_subjectAltName(ctx, uri);
	}
	ASN1_IA5STRING_free(value);
	GENERAL_NAME_free(uri);
	X509_NAME_free(subject);
	return ok;
}

static int set_secret(OSSL_CMP_CTX *ctx, const char *path, const char *reference)
{
	uint8_t *secret = NULL;
	size_t len = 0;
	int ret = hnbtre_read_file(path, 1024, &secret, &len);
	int ok;

	if (ret || !len) {
		die_msg("%s: %s", path, ret ? strerror(-ret) : "empty");
		free(secret);
		return 0;
	}
	/* a trailing newline is not part of the reference value's secret */
	if (secret[len - 1] == '\n')
		len--;
	ok = OSSL_CMP_CTX_set1_secretValue(ctx, secret, len) &&
	     OSSL_CMP_CTX_set1_referenceValue(ctx, (const unsigned char *)reference,
					     strlen(reference));
	OPENSSL_cleanse(secret, len);
	free(secret);
	return ok;
}

/* The request is signed by the key the TrE holds, under @cert. */
static int authenticate_by_tre(OSSL_CMP_CTX *ctx, X509 *cert)
{
	int32_t serial = hnbtre_tre_key_serial(HNBTRE_DEVICE_KEY_DESC);
	EVP_PKEY *tre_key;
	int ok;

	if (serial < 0) {
		die_msg("no device key in the TrE (" HNBTRE_DEVICE_KEYRING ")");
		return 0;
	}
	tre_key = hnbtre_tre_pkey(serial, cert);
	ok = tre_key && OSSL_CMP_CTX_set1_cert(ctx, cert) &&
	     OSSL_CMP_CTX_set1_pkey(ctx, tre_key);
	EVP_PKEY_free(tre_key);
	return ok;
}

/* A module parameter of the running TrE, or @def. */
static unsigned long tre_parameter(const char *name, unsigned long def)
{
	char path[128], *text = NULL, *end;
	unsigned long value;
	size_t len = 0;

	snprintf(path, sizeof(path), "/sys/module/hnbtre/parameters/%s", name);
	if (hnbtre_read_file(path, 64, (uint8_t **)&text, &len) || !len) {
		free(text);
		return def;
	}
	value = strtoul(text, &end, 0);
	if (end == text)
		value = def;
	free(text);
	return value;
}

/*
 * The new key for the next boot, at --key-out: with a TPM sealed
 * (Documentation/devkey.md, "Keys at rest") for the TrE's verdict PCR and
 * storage parent and the boot PCRs of the blob it replaces; in clear
 * (mode 0600) only on a board without a TPM.  Never in clear when the
 * sealing fails.
 */
static int store_key(const struct enrol *e, const unsigned char *wrapper,
		     size_t len)
{
	struct seal_options o = { .verdict = "trusted" };
	unsigned char *blob = NULL, *old = NULL;
	size_t blob_len = 0, old_len = 0;
	int ret;

	/* sysfs, not /dev: a sandbox that hides the TPM's device node makes
	 * the sealing fail, never the key clear */
	if (access("/sys/class/tpm/tpm0", F_OK)) {
		fprintf(stderr, "WARNING: no TPM: %s holds the key in clear\n", e->key_out);
		ret = hnbtre_write_atomic_mode(e->key_out, wrapper, len, 0600);
		goto out;
	}
	o.verdict_pcr = e->verdict_pcr >= 0 ? e->verdict_pcr :
			(int)tre_parameter("verdict_pcr", HNBTRE_VERDICT_PCR_DEFAULT);
	o.parent = tre_parameter("seal_parent", HNBTRE_SEAL_PARENT_DEFAULT);
	/* the boot PCRs the operator chose for the key it replaces */
	if (!hnbtre_read_file(e->key_out, HNBTRE_SEALED_MAX, &old, &old_len))
		o.boot_pcr_mask = seal_blob_pcr_mask(old, old_len) &
				  ~(1u << o.verdict_pcr);
	free(old);
	ret = seal_blob(&o, wrapper, len, &blob, &blob_len) ? -EIO :
	      hnbtre_write_atomic_mode(e->key_out, blob, blob_len, 0600);
	free(blob);
out:
	if (ret)
		die_msg("%s: %s", e->key_out, strerror(-ret));
	return ret;
}

/*
 * The TrE takes the new key (replacing the device key if one is admitted),
 * then the certificate file is replaced by rename: after a crash the file
 * holds the old or the new certificate.
 */
static int install(struct enrol *e, X509 *cert)
{
	unsigned char *wrapper = NULL;
	size_t len = 0;
	BIO *pem = BIO_new(BIO_s_mem());
	char *data;
	long pem_len;
	int ret, key_ret;

	if (!pem || !PEM_write_bio_X509(pem, cert) ||
	    wrap_device_key(e->new_key, &wrapper, &len)) {
		BIO_free(pem);
		die_msg("cannot encode the new certificate and key");
		return -ENOMEM;
	}
	ret = hnbtre_tre_key_serial(HNBTRE_DEVICE_KEY_DESC) >= 0 ?
	      hnbtre_sysfs_write("device_key_replace", wrapper, len) :
	      hnbtre_sysfs_write("device_key", wrapper, len);
	if (ret) {
		die_msg("the TrE did not admit the new key: %s%s", strerror(-ret),
			ret == -EKEYREJECTED ? " (the TrE state is not trusted)" : "");
		goto out;
	}
	key_ret = e->key_out ? store_key(e, wrapper, len) : 0;
	if (key_ret)
		die_msg("%s: not replaced (the TrE holds the new key; the next boot loads the old one)",
			e->key_out);
	pem_len = BIO_get_mem_data(pem, &data);
	/* a certificate is public: readable as the one it replaces */
	ret = hnbtre_write_atomic_mode(e->cert_path, data, pem_len, 0644);
	if (ret)
		die_msg("%s: %s (the TrE already holds the new key)", e->cert_path,
			strerror(-ret));
	else
		ret = key_ret;	/* the certificate is in place, the next boot's key is not */
out:
	OPENSSL_secure_clear_free(wrapper, len);
	BIO_free(pem);
	return ret;
}

static int run_enrol(struct enrol *e)
{
	OSSL_CMP_CTX *ctx = NULL;
	X509 *current = NULL, *vendor = NULL, *issued = NULL;
	STACK_OF(X509) *anchors = NULL;
	X509_STORE *msg_trusted = NULL;
	BIO *out_bio;
	int bits = 2048, ok = 0;
	char status[256];
	double left;

	if (hnbtre_sysfs_line("identity", &e->identity)) {
		die_msg("the TrE has no identity (securityfs identity)");
		return EXIT_ERROR;
	}
	if (!e->initial) {
		current = read_cert(e->cert_path);
		if (!current)
			goto out;
		left = hnbtre_cert_lifetime_left(current, time(NULL));
		if (e->renew_below >= 0 && left >= e->renew_below) {
			printf("%s: %.0f%% of its lifetime left, not renewed (below %.0f%%)\n",
			       e->cert_path, left * 100, e->renew_below * 100);
			ok = 1;
			goto out;
		}
		bits = EVP_PKEY_get_bits(X509_get0_pubkey(current));
		if (!HNBTRE_DEVKEY_BITS_VALID(bits))
			bits = 2048;
	}
	anchors = tre_anchors(e->roots);
	if (!anchors)
		goto out;
	e->trusted = store_of(anchors);
	msg_trusted = store_of(anchors);
	/* In memory only: the TrE gets it, storage does not (--key-out aside). */
	e->new_key = EVP_RSA_gen(bits);
	ctx = OSSL_CMP_CTX_new(NULL, NULL);
	if (!e->new_key || !ctx || !set_server(ctx, e->server) ||
	    !OSSL_CMP_CTX_set_log_verbosity(ctx, OSSL_CMP_LOG_ERR) ||
	    !OSSL_CMP_CTX_set_option(ctx, OSSL_CMP_OPT_KEEP_ALIVE, 0) ||
	    !OSSL_CMP_CTX_set_option(ctx, OSSL_CMP_OPT_MSG_TIMEOUT, 30) ||
	    !OSSL_CMP_CTX_set_option(ctx, OSSL_CMP_OPT_TOTAL_TIMEOUT, 120) ||
	    !e->trusted || !msg_trusted ||
	    !OSSL_CMP_CTX_set0_trustedStore(ctx, msg_trusted) ||
	    !EVP_PKEY_up_ref(e->new_key) ||
	    !OSSL_CMP_CTX_set0_newPkey(ctx, 1, e->new_key) ||
	    !OSSL_CMP_CTX_set_certConf_cb(ctx, check_new_cert) ||
	    !OSSL_CMP_CTX_set_certConf_cb_arg(ctx, e) ||
	    !set_names(ctx, e->identity))
		goto fail;
	if (e->initial && e->vendor_cert) {
		vendor = read_cert(e->vendor_cert);
		if (!vendor || !authenticate_by_tre(ctx, vendor))
			goto fail;
	} else if (e->initial) {
		if (!set_secret(ctx, e->secret_path, e->reference))
			goto fail;
	} else if (!authenticate_by_tre(ctx, current) ||
		   !OSSL_CMP_CTX_set1_oldCert(ctx, current)) {
		goto fail;
	}
	issued = e->initial ? OSSL_CMP_exec_IR_ses(ctx) : OSSL_CMP_exec_KUR_ses(ctx);
	if (!issued) {
		die_msg("%s refused or failed: %s", e->initial ? "initial request" : "key update",
			OSSL_CMP_CTX_snprint_PKIStatus(ctx, status, sizeof(status)) ?
			status : "no response");
		goto fail;
	}
	if (install(e, issued))
		goto out;
	out_bio = BIO_new_fp(stdout, BIO_NOCLOSE);
	BIO_printf(out_bio, "%s: enrolled, valid until ", e->cert_path);
	ASN1_TIME_print_ex(out_bio, X509_get0_notAfter(issued), ASN1_DTFLGS_ISO8601);
	BIO_printf(out_bio, "\n");
	BIO_free(out_bio);
	ok = 1;
	goto out;
fail:
	ERR_print_errors_fp(stderr);
out:
	if (!ctx || OSSL_CMP_CTX_get0_trustedStore(ctx) != msg_trusted)
		X509_STORE_free(msg_trusted);
	OSSL_CMP_CTX_free(ctx);
	sk_X509_pop_free(anchors, X509_free);
	X509_free(current);
	X509_free(vendor);
	X509_free(issued);
	X509_STORE_free(e->trusted);
	EVP_PKEY_free(e->new_key);
	free(e->identity);
	return ok ? EXIT_OK : EXIT_ERROR;
}

static int enrol(int argc, char **argv)
{
	static const struct option options[] = {
		{ "server", required_argument, NULL, 's' },
		{ "roots", required_argument, NULL, 'r' },
		{ "cert", required_argument, NULL, 'c' },
		{ "initial", no_argument, NULL, 'i' },
		{ "vendor-cert", required_argument, NULL, 'v' },
		{ "secret", required_argument, NULL, 'p' },
		{ "reference", required_argument, NULL, 'f' },
		{ "renew-below", required_argument, NULL, 'b' },
		{ "key-out", required_argument, NULL, 'k' },
		{ "verdict-pcr", required_argument, NULL, 'V' },
		{}
	};
	struct enrol e = { .renew_below = -1, .verdict_pcr = -1 };
	char *end;
	int c;

	while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (c) {
		case 's': e.server = optarg; break;
		case 'r': e.roots = optarg; break;
		case 'c': e.cert_path = optarg; break;
		case 'i': e.initial = 1; break;
		case 'v': e.vendor_cert = optarg; break;
		case 'p': e.secret_path = optarg; break;
		case 'f': e.reference = optarg; break;
		case 'k': e.key_out = optarg; break;
		case 'V':
			e.verdict_pcr = seal_parse_verdict_pcr(optarg);
			if (e.verdict_pcr < 0) {
				die_msg("--verdict-pcr: a PCR 0-15, not %s", optarg);
				return EXIT_ERROR;
			}
			break;
		case 'b':
			e.renew_below = strtod(optarg, &end);
			if (*end || end == optarg || e.renew_below <= 0 || e.renew_below >= 1) {
				die_msg("--renew-below: a fraction between 0 and 1, not %s", optarg);
				return EXIT_ERROR;
			}
			break;
		default:
			return EXIT_ERROR;
		}
	}
	if (optind != argc || !e.server || !e.roots || !e.cert_path ||
	    (e.initial && !e.vendor_cert == !(e.secret_path && e.reference)) ||
	    (!e.initial && (e.vendor_cert || e.secret_path || e.reference)) ||
	    (e.initial && e.renew_below >= 0) || (e.verdict_pcr >= 0 && !e.key_out)) {
		die_msg("usage: enrol %s", enrol_commands[0].usage);
		return EXIT_ERROR;
	}
	return run_enrol(&e);
}

const struct command enrol_commands[] = {
	{ NULL, "enrol", "--server URL --roots PEM --cert CERT [--initial --vendor-cert PEM | --initial --secret FILE --reference REF] [--renew-below FRACTION] [--key-out FILE [--verdict-pcr N]]   CMP enrolment and key update", enrol },
	{}
};
