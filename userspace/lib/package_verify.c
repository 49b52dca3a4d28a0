// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Package signatures (TR-069 Annex E, E.5): one PKCS #7 SignedData,
 * detached, over the header and the command list, with zero or more
 * signers.  The checks the TrE (kernel) makes are repeated here with
 * OpenSSL's PKCS #7 API, plus what the kernel cannot do: validity period
 * against the clock, the hash policy; and the signer's key usage and
 * role (codeSigning and the software signer role), which the kernel
 * checked when it admitted the signer (Documentation/package.md, "Who
 * checks what").
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "hnbtre_pkg.h"
#include "hnbtre_pkg_build.h"

/* A signing time further ahead of the local clock than this is refused. */
#define SIGNING_TIME_SKEW	(24 * 3600)

PKCS7 *hnbtre_pkg_signed_data(const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	PKCS7 *p7 = d2i_PKCS7(NULL, &p, (long)len);

	/* The annex does not say whether the block is wrapped: take both. */
	if (!p7) {
		PKCS7_SIGNED *sd;

		ERR_clear_error();
		p = der;
		sd = d2i_PKCS7_SIGNED(NULL, &p, (long)len);
		p7 = sd ? PKCS7_new() : NULL;
		if (!p7 || !PKCS7_set_type(p7, NID_pkcs7_signed)) {
			PKCS7_SIGNED_free(sd);
			PKCS7_free(p7);
			ERR_clear_error();
			return NULL;
		}
		PKCS7_SIGNED_free(p7->d.sign);
		p7->d.sign = sd;
	}
	/* One DER object; SignedData of id-data, detached (content absent). */
	if ((size_t)(p - der) != len || !PKCS7_type_is_signed(p7) ||
	    !p7->d.sign || !p7->d.sign->contents ||
	    OBJ_obj2nid(p7->d.sign->contents->type) != NID_pkcs7_data ||
	    !PKCS7_get_detached(p7)) {
		PKCS7_free(p7);
		p7 = NULL;
	}
	ERR_clear_error();
	return p7;
}

static int signing_time(PKCS7_SIGNER_INFO *si, time_t *out)
{
	ASN1_TYPE *value = PKCS7_get_signed_attribute(si, NID_pkcs9_signingTime);
	struct tm tm;

	if (!value)
		return 0;
	if ((value->type != V_ASN1_UTCTIME &&
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

/* The signer's extended key usage names the software signer role. */
static int has_software_role(X509 *signer)
{
	EXTENDED_KEY_USAGE *eku = X509_get_ext_d2i(signer, NID_ext_key_usage,
						   NULL, NULL);
	ASN1_OBJECT *role = OBJ_txt2obj(HNBTRE_SIGNER_OID_SOFTWARE, 1);
	int found = 0;

	for (int i = 0; eku && role && i < sk_ASN1_OBJECT_num(eku); i++)
		found |= !OBJ_cmp(sk_ASN1_OBJECT_value(eku, i), role);
	ASN1_OBJECT_free(role);
	EXTENDED_KEY_USAGE_free(eku);
	return found;
}

/* Trust of one signer whose signature already verified. */
static int check_signer(PKCS7 *p7, X509 *signer, X509_STORE *store,
			time_t now)
{
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	int ret = -ENOMEM;

	if (!ctx || !X509_STORE_CTX_init(ctx, store, signer, p7->d.sign->cert))
		goto out;
	X509_STORE_CTX_set_time(ctx, 0, now);
	if (X509_verify_cert(ctx) != 1) {
		ret = chain_result(X509_STORE_CTX_get_error(ctx));
		goto out;
	}
	/* Software signing entity: code signing, the role, signing if KU is set. */
	ret = -HNBTRE_PKG_E_USAGE;
	if (!(X509_get_key_usage(signer) & KU_DIGITAL_SIGNATURE) ||
	    !(X509_get_extension_flags(signer) & EXFLAG_XKUSAGE) ||
	    !(X509_get_extended_key_usage(signer) & XKU_CODE_SIGN) ||
	    !has_software_role(signer))
		goto out;
	ret = 0;
out:
	X509_STORE_CTX_free(ctx);
	return ret;
}

/*
 * One signer: its certificate must travel in the SignedData; its
 * signature over header + command list (through @data, a BIO chain that
 * PKCS7_dataInit() made and that has read them); then trust.
 */
static int verify_one(PKCS7 *p7, PKCS7_SIGNER_INFO *si, BIO *data,
		      X509_STORE *store, time_t now,
		      struct hnbtre_pkg_signer *out)
{
	PKCS7_ISSUER_AND_SERIAL *ias = si->issuer_and_serial;
	const ASN1_TIME *not_after;
	X509 *signer;
	time_t signed_at;
	struct tm tm;
	int ret;

	snprintf(out->digest, sizeof(out->digest), "%s",
		 OBJ_nid2sn(OBJ_obj2nid(si->digest_alg->algorithm)));
	signer = X509_find_by_issuer_and_serial(p7->d.sign->cert, ias->issuer,
						ias->serial);
	if (!signer)
		return -HNBTRE_PKG_E_UNKNOWN_SIGNER;
	X509_NAME_oneline(X509_get_subject_name(signer), out->subject,
			  sizeof(out->subject));
	not_after = X509_get0_notAfter(signer);
	if (not_after && ASN1_TIME_to_tm(not_after, &tm))
		out->not_after = timegm(&tm);
	ret = PKCS7_signatureVerify(data, p7, si, signer) == 1 ?
	      0 : -HNBTRE_PKG_E_BAD_SIGNATURE;
	ERR_clear_error();
	if (ret)
		return ret;
	ret = signing_time(si, &signed_at);
	if (ret < 0)
		return ret;
	if (ret && (X509_cmp_time(X509_get0_notBefore(signer), &signed_at) > 0 ||
		    X509_cmp_time(X509_get0_notAfter(signer), &signed_at) < 0 ||
		    signed_at > now + SIGNING_TIME_SKEW))
		return -HNBTRE_PKG_E_EXPIRED;
	return check_signer(p7, signer, store, now);
}

/* Of the signers that are not acceptable, the most telling reason. */
static int rank(int err)
{
	switch (err) {
	case -HNBTRE_PKG_E_WEAK_HASH:
		return 4;
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

/* SHA-256 or a longer SHA-2: what the policy accepts instead of SHA-1. */
static int strong_digest(PKCS7_SIGNER_INFO *si)
{
	int nid = OBJ_obj2nid(si->digest_alg->algorithm);

	return nid == NID_sha256 || nid == NID_sha384 || nid == NID_sha512;
}

/* Every signer's digest over the signed bytes, through one BIO chain. */
static BIO *digest_signed_part(PKCS7 *p7, const struct hnbtre_pkg *pkg,
			       BIO **in)
{
	uint8_t buf[4096];
	BIO *chain;

	*in = BIO_new_mem_buf(pkg->signed_part,
			      (int)(HNBTRE_PKG_HEADER_LEN + pkg->cmds_len));
	chain = *in ? PKCS7_dataInit(p7, *in) : NULL;
	if (!chain)
		return NULL;
	while (BIO_read(chain, buf, sizeof(buf)) > 0)
		;
	return chain;
}

static void free_chain(BIO *chain, BIO *in)
{
	/* PKCS7_dataInit() pushed digest BIOs in front of @in. */
	while (chain && chain != in) {
		BIO *next = BIO_pop(chain);

		BIO_free(chain);
		chain = next;
	}
	BIO_free(in);
}

int hnbtre_pkg_verify_signatures(const struct hnbtre_pkg *pkg,
				 const char *roots_pem, time_t now,
				 enum hnbtre_pkg_hash_policy policy,
				 struct hnbtre_pkg_signer *signers,
				 size_t *nsigners, char *err)
{
	int ret, accepted = 0, worst = -HNBTRE_PKG_E_UNKNOWN_SIGNER;
	X509_STORE *store = X509_STORE_new();
	STACK_OF(PKCS7_SIGNER_INFO) *sis;
	BIO *chain = NULL, *in = NULL;
	PKCS7 *p7 = NULL;
	size_t i, n;

	if (nsigners)
		*nsigners = 0;
	if (!store)
		return -ENOMEM;
	if (X509_STORE_load_file(store, roots_pem) != 1) {
		X509_STORE_free(store);
		ERR_clear_error();
		return hnbtre_fail(err, -ENOENT, "%s: cannot load the roots", roots_pem);
	}
	p7 = hnbtre_pkg_signed_data(pkg->sig, pkg->sig_len);
	if (!p7) {
		ret = hnbtre_fail(err, -HNBTRE_PKG_E_FORMAT,
				  "signature block: not a detached PKCS #7 SignedData of id-data");
		goto out;
	}
	sis = PKCS7_get_signer_info(p7);
	n = (size_t)sk_PKCS7_SIGNER_INFO_num(sis);
	if (nsigners)
		*nsigners = n;
	if (!n) {
		ret = hnbtre_fail(err, -HNBTRE_PKG_E_UNKNOWN_SIGNER, "the package is not signed (no signer)");
		goto out;
	}
	chain = digest_signed_part(p7, pkg, &in);
	if (!chain) {
		ret = hnbtre_fail(err, -HNBTRE_PKG_E_FORMAT, "signature block: a digest algorithm is not available");
		goto out;
	}
	for (i = 0; i < n; i++) {
		PKCS7_SIGNER_INFO *si = sk_PKCS7_SIGNER_INFO_value(sis, (int)i);
		struct hnbtre_pkg_signer one = { 0 };

		one.result = verify_one(p7, si, chain, store, now, &one);
		if (!one.result && policy == HNBTRE_PKG_REQUIRE_SHA256 &&
		    !strong_digest(si))
			one.result = -HNBTRE_PKG_E_WEAK_HASH;
		if (signers && i < HNBTRE_PKG_MAX_SIGNERS)
			signers[i] = one;
		if (one.result == -HNBTRE_PKG_E_FORMAT ||
		    one.result == -HNBTRE_PKG_E_BAD_SIGNATURE ||
		    one.result == -ENOMEM) {
			ret = hnbtre_fail(err, one.result, "signer %zu: %s", i + 1,
					  hnbtre_pkg_errstr(one.result));
			goto out;
		}
		if (!one.result)
			accepted++;
		else if (rank(one.result) > rank(worst))
			worst = one.result;
	}
	if (!accepted) {
		ret = hnbtre_fail(err, worst, "no acceptable signer: %s",
				  hnbtre_pkg_errstr(worst));
		goto out;
	}
	ret = 0;
	for (i = 0; policy == HNBTRE_PKG_REQUIRE_SHA256 && i < pkg->nfiles; i++) {
		if (!pkg->files[i].has_sha256) {
			ret = hnbtre_fail(err, -HNBTRE_PKG_E_WEAK_HASH,
					  "%s: SHA-1 only (no hnbtre SHA-256 command)",
					  pkg->files[i].path);
			break;
		}
	}
out:
	free_chain(chain, in);
	PKCS7_free(p7);
	X509_STORE_free(store);
	ERR_clear_error();
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
	/* the files are sorted by path: already in TIM order */
	for (i = 0; i < pkg->nfiles; i++) {
		files.components[i].path = pkg->files[i].path;
		memcpy(files.components[i].digest, hnbtre_pkg_file_sha256(pkg, i),
		       HNBTRE_DIGEST_LEN);
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
		snprintf(ref->package_version, sizeof(ref->package_version),
			 "%s", pkg.version);
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
