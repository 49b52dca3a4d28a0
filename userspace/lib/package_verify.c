// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Package signatures: each entry of the signature section is a detached
 * CMS SignedData over the command list with one SignerInfo.  The checks
 * the TrE (kernel) makes are repeated here with OpenSSL, plus what the
 * kernel cannot do: validity period against the clock, key usage and
 * extended key usage (Documentation/package.md, "Who checks what").
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "hnbtre_pkg.h"

/* A signing time further ahead of the local clock than this is refused. */
#define SIGNING_TIME_SKEW	(24 * 3600)

static CMS_ContentInfo *parse_signed_data(const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &p, (long)len);

	/* Exactly one DER object, a detached SignedData with one signer. */
	if (cms && ((size_t)(p - der) != len ||
		    OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed ||
		    !CMS_is_detached(cms) ||
		    sk_CMS_SignerInfo_num(CMS_get0_SignerInfos(cms)) != 1)) {
		CMS_ContentInfo_free(cms);
		cms = NULL;
	}
	return cms;
}

static int signing_time(CMS_SignerInfo *si, time_t *out)
{
	int idx = CMS_signed_get_attr_by_NID(si, NID_pkcs9_signingTime, -1);
	X509_ATTRIBUTE *attr;
	ASN1_TYPE *value;
	struct tm tm;

	if (idx < 0)
		return 0;
	attr = CMS_signed_get_attr(si, idx);
	value = X509_ATTRIBUTE_get0_type(attr, 0);
	if (!value || (value->type != V_ASN1_UTCTIME &&
		       value->type != V_ASN1_GENERALIZEDTIME) ||
	    !ASN1_TIME_to_tm((ASN1_TIME *)value->value.asn1_string, &tm))
		return -EBADMSG;
	*out = timegm(&tm);
	return 1;
}

static int chain_result(int x509_error)
{
	switch (x509_error) {
	case X509_V_ERR_CERT_HAS_EXPIRED:
	case X509_V_ERR_CERT_NOT_YET_VALID:
		return -HNBTRE_PKG_E_EXPIRED;
	case X509_V_ERR_INVALID_PURPOSE:
		return -HNBTRE_PKG_E_USAGE;
	default:
		return -HNBTRE_PKG_E_UNKNOWN_SIGNER;
	}
}

/* Trust of one signer whose signature already verified. */
static int check_signer(CMS_ContentInfo *cms, X509 *signer, X509_STORE *store,
			time_t now, struct hnbtre_pkg_signer *out)
{
	STACK_OF(X509) *certs = CMS_get1_certs(cms);
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	const ASN1_TIME *not_after = X509_get0_notAfter(signer);
	struct tm tm;
	int ret = -ENOMEM;

	X509_NAME_oneline(X509_get_subject_name(signer), out->subject,
			  sizeof(out->subject));
	if (not_after && ASN1_TIME_to_tm(not_after, &tm))
		out->not_after = timegm(&tm);
	if (!ctx || !X509_STORE_CTX_init(ctx, store, signer, certs))
		goto out;
	X509_STORE_CTX_set_time(ctx, 0, now);
	if (X509_verify_cert(ctx) != 1) {
		ret = chain_result(X509_STORE_CTX_get_error(ctx));
		goto out;
	}
	/* Software signing entity: code signing, and signing if KU is set. */
	ret = -HNBTRE_PKG_E_USAGE;
	if (!(X509_get_key_usage(signer) & KU_DIGITAL_SIGNATURE) ||
	    !(X509_get_extension_flags(signer) & EXFLAG_XKUSAGE) ||
	    !(X509_get_extended_key_usage(signer) & XKU_CODE_SIGN))
		goto out;
	ret = 0;
out:
	X509_STORE_CTX_free(ctx);
	sk_X509_pop_free(certs, X509_free);
	return ret;
}

/* One signature: format, cryptographic validity, then trust. */
static int verify_one(const struct hnbtre_pkg *pkg, size_t i,
		      X509_STORE *store, time_t now,
		      struct hnbtre_pkg_signer *out)
{
	CMS_ContentInfo *cms = parse_signed_data(pkg->sig[i], pkg->sig_len[i]);
	CMS_SignerInfo *si;
	X509_ALGOR *digest_alg;
	X509 *signer = NULL;
	time_t signed_at;
	BIO *content;
	int ret;

	if (!cms)
		return -HNBTRE_PKG_E_FORMAT;
	si = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms), 0);
	CMS_SignerInfo_get0_algs(si, NULL, NULL, &digest_alg, NULL);
	snprintf(out->digest, sizeof(out->digest), "%s",
		 OBJ_nid2sn(OBJ_obj2nid(digest_alg->algorithm)));
	/* The signer's certificate must travel with the signature. */
	if (CMS_set1_signers_certs(cms, NULL, 0) != 1) {
		ret = -HNBTRE_PKG_E_UNKNOWN_SIGNER;
		goto out;
	}
	CMS_SignerInfo_get0_algs(si, NULL, &signer, NULL, NULL);
	ret = -ENOMEM;
	content = BIO_new_mem_buf(pkg->cmds, (int)pkg->cmds_len);
	if (!content)
		goto out;
	ret = CMS_verify(cms, NULL, NULL, content, NULL,
			 CMS_BINARY | CMS_NO_SIGNER_CERT_VERIFY) == 1 ?
	      0 : -HNBTRE_PKG_E_BAD_SIGNATURE;
	BIO_free(content);
	ERR_clear_error();
	if (ret)
		goto out;
	ret = signing_time(si, &signed_at);
	if (ret < 0)
		goto out;
	if (ret && (X509_cmp_time(X509_get0_notBefore(signer), &signed_at) > 0 ||
		    X509_cmp_time(X509_get0_notAfter(signer), &signed_at) < 0 ||
		    signed_at > now + SIGNING_TIME_SKEW)) {
		ret = -HNBTRE_PKG_E_EXPIRED;
		goto out;
	}
	ret = check_signer(cms, signer, store, now, out);
out:
	CMS_ContentInfo_free(cms);
	ERR_clear_error();
	return ret;
}

/* Of the signers that are not acceptable, the most telling reason. */
static int rank(int err)
{
	switch (err) {
	case -HNBTRE_PKG_E_EXPIRED:
		return 3;
	case -HNBTRE_PKG_E_USAGE:
		return 2;
	case -HNBTRE_PKG_E_UNKNOWN_SIGNER:
		return 1;
	default:
		return 0;
	}
}

int hnbtre_pkg_verify_signatures(const struct hnbtre_pkg *pkg,
				 const char *roots_pem, time_t now,
				 struct hnbtre_pkg_signer *signers, char *err)
{
	X509_STORE *store = X509_STORE_new();
	int ret, accepted = 0, worst = -HNBTRE_PKG_E_UNKNOWN_SIGNER;
	size_t i;

	if (!store)
		return -ENOMEM;
	if (X509_STORE_load_file(store, roots_pem) != 1) {
		X509_STORE_free(store);
		ERR_clear_error();
		return hnbtre_fail(err, -ENOENT, "%s: cannot load the roots", roots_pem);
	}
	if (!pkg->nsigs) {
		ret = hnbtre_fail(err, -HNBTRE_PKG_E_UNKNOWN_SIGNER, "the package is not signed");
		goto out;
	}
	for (i = 0; i < pkg->nsigs; i++) {
		struct hnbtre_pkg_signer one = { 0 };

		one.result = verify_one(pkg, i, store, now, &one);
		if (signers)
			signers[i] = one;
		if (one.result == -HNBTRE_PKG_E_FORMAT ||
		    one.result == -HNBTRE_PKG_E_BAD_SIGNATURE ||
		    one.result == -ENOMEM) {
			ret = hnbtre_fail(err, one.result, "signature %zu: %s", i + 1,
				   hnbtre_pkg_errstr(one.result));
			goto out;
		}
		if (!one.result)
			accepted++;
		else if (rank(one.result) > rank(worst))
			worst = one.result;
	}
	ret = accepted ? 0 : hnbtre_fail(err, worst, "no acceptable signature: %s",
				  hnbtre_pkg_errstr(worst));
out:
	X509_STORE_free(store);
	return ret;
}

/* The files a package installs as a component list, for hnbtre_tim(). */
static int patch_rim(const struct hnbtre_pkg *pkg, uint8_t out[HNBTRE_DIGEST_LEN])
{
	struct hnbtre_manifest files = { .count = pkg->nfiles };
	size_t i;
	int ret;

	files.components = calloc(pkg->nfiles ? pkg->nfiles : 1, sizeof(*files.components));
	if (!files.components)
		return -ENOMEM;
	/* extract paths are strictly ascending: already in TIM order */
	for (i = 0; i < pkg->nfiles; i++) {
		files.components[i].path = pkg->files[i].path;
		memcpy(files.components[i].digest, pkg->files[i].digest, HNBTRE_DIGEST_LEN);
	}
	ret = hnbtre_tim(&files, NULL, NULL, out);
	free(files.components);
	return ret;
}

int hnbtre_pkg_reference(const char *path, struct hnbtre_pkg_reference *ref,
			 char *err)
{
	struct hnbtre_pkg pkg = { 0 };
	struct hnbtre_manifest m;
	uint8_t *manifest = NULL;
	size_t manifest_len;
	int fd = -1, ret;

	memset(ref, 0, sizeof(*ref));
	ret = hnbtre_pkg_open(path, &pkg, &fd, err);
	if (!ret)
		ret = hnbtre_pkg_stream(&pkg, fd, NULL, NULL, NULL, &manifest,
					&manifest_len, err);
	if (!ret)
		ret = hnbtre_pkg_check_manifest(&pkg, manifest, manifest_len, &m, err);
	if (!ret) {
		ref->package_version = pkg.version;
		ref->manifest_version = m.version;
		ref->files = pkg.nfiles;
		ret = hnbtre_tim(&m, NULL, NULL, ref->platform_rim);
		if (!ret)
			ret = patch_rim(&pkg, ref->patch_rim);
		hnbtre_manifest_free(&m);
	}
	if (fd >= 0)
		close(fd);
	free(manifest);
	hnbtre_pkg_free(&pkg);
	return ret;
}
