/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libhnbtre: userspace side of the hnbtre TrE.
 *
 * Errors, one convention for the whole library (every header):
 * - a function that can fail returns an int: 0 on success (or the count,
 *   serial or verdict its comment names, never negative) and a negative
 *   errno on failure, each errno's meaning in its comment;
 * - a predicate (hnbtre_path_valid(), hnbtre_parse_digest()) returns bool
 *   and has no error;
 * - a function returning a pointer returns NULL on failure (its comment
 *   says when);
 * - where a message helps, it is written to the caller's buffer of
 *   HNBTRE_ERR_LEN bytes (hnbtre_fail()), alongside the errno.
 * Verdicts (enum hnbtre_attest_verdict, enum hnbtre_distress_verdict) and
 * TR-069 fault codes (hnbtre_pkg_fault()) are results, not errors.
 */
#ifndef HNBTRE_H
#define HNBTRE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <time.h>

/* The ABI shared with the kernel: names, formats, sizes, enumerations. */
#include <linux/hnbtre.h>

#define HNBTRE_ERR_LEN		256

struct hnbtre_component {
	char *path;
	uint8_t digest[HNBTRE_DIGEST_LEN];
	enum hnbtre_class class;
};

struct hnbtre_manifest {
	uint64_t version;
	size_t count;
	struct hnbtre_component *components;	/* sorted by path bytes */
};

/**
 * hnbtre_class_name() - manifest name of a component class
 * @class: the class
 *
 * Return: "normal", "distress" or "tre".
 */
const char *hnbtre_class_name(enum hnbtre_class class);

/**
 * hnbtre_class_parse() - class from its manifest name
 * @name: "normal", "distress" or "tre"
 *
 * Return: the class, or -EINVAL.
 */
int hnbtre_class_parse(const char *name);

/**
 * hnbtre_path_valid() - whether a path may appear in a manifest
 * @path: the path
 * @len: its length in bytes
 *
 * Absolute, canonical (no empty, "." or ".." component, no trailing "/"),
 * no byte <= 0x20 or 0x7f, at most HNBTRE_PATH_MAX bytes.
 *
 * Return: whether it is valid.
 */
bool hnbtre_path_valid(const char *path, size_t len);

/**
 * hnbtre_manifest_parse() - parse a manifest body with the kernel's rules
 * @body: the text (not NUL terminated)
 * @len: its length
 * @out: the result, to be freed with hnbtre_manifest_free()
 * @err: message on failure
 *
 * Return: 0, -EBADMSG (with the line number in @err), -ENOMEM.
 */
int hnbtre_manifest_parse(const char *body, size_t len,
			  struct hnbtre_manifest *out, char *err);

/**
 * hnbtre_manifest_free() - free what hnbtre_manifest_parse() allocated
 * @manifest: the manifest
 */
void hnbtre_manifest_free(struct hnbtre_manifest *manifest);

/**
 * hnbtre_manifest_format() - write a manifest body
 * @manifest: components sorted by path
 * @out: the stream
 *
 * Return: 0 or -EIO.
 */
int hnbtre_manifest_format(const struct hnbtre_manifest *manifest,
			   FILE *out);

/**
 * hnbtre_manifest_split() - split a signed manifest into body and signature
 * @data: body || PKCS#7 || be32 length || magic
 * @len: its length
 * @body_len: length of the body, which starts at @data
 * @sig: start of the PKCS#7 DER
 * @sig_len: its length
 *
 * Only the framing is checked, not the body or the signature.
 *
 * Return: 0 or -EBADMSG.
 */
int hnbtre_manifest_split(const uint8_t *data, size_t len, size_t *body_len,
			  const uint8_t **sig, size_t *sig_len);

/**
 * hnbtre_tim() - TIM or RIM over "<path> sha256:<hex>\n" lines
 * @manifest: components sorted by path
 * @digests: per component digest, or NULL for the manifest's own
 *	(reference) digests, which gives the platform RIM
 * @present: per component, 0 if it could not be read ("sha256:-"); NULL
 *	means all present
 * @out: the SHA-256
 *
 * Return: 0 or -ENOMEM.
 */
int hnbtre_tim(const struct hnbtre_manifest *manifest,
	       const uint8_t (*digests)[HNBTRE_DIGEST_LEN],
	       const int *present, uint8_t out[HNBTRE_DIGEST_LEN]);

/**
 * hnbtre_hex() - lowercase hex of a digest
 * @digest: HNBTRE_DIGEST_LEN bytes
 * @out: 2 * HNBTRE_DIGEST_LEN + 1 bytes
 */
void hnbtre_hex(const uint8_t *digest, char *out);

/**
 * hnbtre_parse_digest() - the inverse of "sha256:" + hnbtre_hex()
 * @text: starts with "sha256:" and 64 lowercase hex digits; what follows
 *	them is the caller's to check
 * @digest: HNBTRE_DIGEST_LEN bytes out
 *
 * Return: whether @text starts with a digest in that form.
 */
bool hnbtre_parse_digest(const char *text, uint8_t *digest);

/**
 * hnbtre_hash_file() - SHA-256 of a file, streaming
 * @path: the file
 * @out: the digest
 *
 * Return: 0 or -errno.
 */
int hnbtre_hash_file(const char *path, uint8_t out[HNBTRE_DIGEST_LEN]);

/**
 * hnbtre_read_file() - read a whole file into memory
 * @path: the file
 * @max: refuse files larger than this (-EFBIG)
 * @data: malloc'ed contents, NUL terminated for convenience
 * @len: length without the NUL
 *
 * Return: 0 or -errno.
 */
int hnbtre_read_file(const char *path, size_t max, uint8_t **data,
		     size_t *len);

/**
 * hnbtre_base64_encode() - base64 (RFC 4648, with padding, no newlines)
 * @data: the bytes
 * @len: their number
 *
 * Return: a malloc'ed NUL-terminated string, or NULL without memory.
 */
char *hnbtre_base64_encode(const uint8_t *data, size_t len);

/**
 * hnbtre_base64_len() - length of hnbtre_base64_encode()'s result
 * @len: number of bytes encoded
 *
 * Return: 4 * ceil(@len / 3), without the NUL.
 */
size_t hnbtre_base64_len(size_t len);

/**
 * hnbtre_base64_decode() - strict base64 decoding
 * @text: base64 with padding, no whitespace (not NUL terminated)
 * @len: its length: a non-zero multiple of 4, at most @max * 4 / 3 + 4
 * @max: refuse results longer than this
 * @out: malloc'ed bytes
 * @out_len: their number
 *
 * Return: 0, -EBADMSG (not base64 or too long), -ENOMEM.
 */
int hnbtre_base64_decode(const char *text, size_t len, size_t max,
			 uint8_t **out, size_t *out_len);

/**
 * hnbtre_fsync_dir() - make a directory's entries durable
 * @path: the directory
 *
 * Return: 0 or -errno.
 */
int hnbtre_fsync_dir(const char *path);

/**
 * hnbtre_write_atomic() - replace a file durably and atomically
 * @path: the file; "<path>.tmp" is used on the way
 * @data: the new contents
 * @len: their length
 *
 * Writes and fsyncs the temporary file, renames it over @path and fsyncs
 * the directory: after a crash @path holds the old or the new contents.
 * The file has mode 0600 (hnbtre_write_atomic_mode()).
 *
 * Return: 0 or -errno.
 */
int hnbtre_write_atomic(const char *path, const void *data, size_t len);

/**
 * hnbtre_write_atomic_mode() - hnbtre_write_atomic() with the file's mode
 * @path: the file; "<path>.tmp" is used on the way
 * @data: the new contents
 * @len: their length
 * @mode: the new file's mode, exactly (not reduced by the umask)
 *
 * The temporary file is created anew (O_EXCL, after removing any left
 * there) with @mode before a byte is written: no moment where the data is
 * in a file of another mode or owner.
 *
 * Return: 0 or -errno.
 */
int hnbtre_write_atomic_mode(const char *path, const void *data, size_t len,
			     mode_t mode);

/**
 * hnbtre_securityfs() - the hnbtre securityfs directory
 *
 * Return: $HNBTRE_SECURITYFS if set, else HNBTRE_SECURITYFS_PATH.
 */
const char *hnbtre_securityfs(void);

/**
 * hnbtre_sysfs_read() - read a file of the securityfs directory
 * @name: file name, e.g. "state"
 * @data: malloc'ed contents, NUL terminated
 * @len: length
 *
 * Return: 0 or -errno (-ENODATA: nothing to report yet).
 */
int hnbtre_sysfs_read(const char *name, char **data, size_t *len);

/**
 * hnbtre_sysfs_read_max() - hnbtre_sysfs_read() of a file of bounded size
 * @name: file name
 * @max: refuse more than this (-EFBIG)
 * @data: malloc'ed contents, NUL terminated
 * @len: length
 *
 * Return: 0 or -errno.
 */
int hnbtre_sysfs_read_max(const char *name, size_t max, char **data,
			  size_t *len);

/**
 * hnbtre_sysfs_line() - a one-line securityfs file ("identity", "state")
 * @name: file name
 * @line: malloc'ed line without its "\n"
 *
 * Return: 0, -EBADMSG (not exactly one line), or -errno.
 */
int hnbtre_sysfs_line(const char *name, char **line);

/**
 * hnbtre_sysfs_write() - write a buffer to a securityfs file in one write()
 * @name: file name
 * @data: the bytes
 * @len: their number
 *
 * Return: 0 or the -errno of open() or write().
 */
int hnbtre_sysfs_write(const char *name, const void *data, size_t len);

/**
 * hnbtre_fail() - a message for the caller and an error to return
 * @err: the caller's buffer of HNBTRE_ERR_LEN bytes, or NULL
 * @ret: what to return
 * @fmt: printf format of the message
 *
 * Return: @ret.
 */
int hnbtre_fail(char *err, int ret, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/**
 * hnbtre_vfail() - hnbtre_fail() with a va_list
 * @err: the caller's buffer, or NULL
 * @ret: what to return
 * @fmt: printf format
 * @ap: its arguments
 *
 * Return: @ret.
 */
int hnbtre_vfail(char *err, int ret, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

/**
 * hnbtre_manifest_errstr() - what an errno from loading a manifest means
 * @err: negative errno
 *
 * Return: a static message.
 */
const char *hnbtre_manifest_errstr(int err);


/* A parsed attestation (Documentation/attestation.md); the pointers point
 * into the blob. */
struct hnbtre_attestation {
	enum hnbtre_state state;
	int validated;		/* tim is meaningful */
	int has_manifest;	/* rim and manifest_version are meaningful */
	int identity_in_tpm;	/* from a write-locked TPM NV index */
	int floor_in_tpm;	/* the rollback floor is a TPM NV counter */
	uint64_t manifest_version;
	uint64_t counter;
	uint64_t boot_epoch;
	uint64_t uptime_ns;
	uint64_t validations;
	uint8_t tim[HNBTRE_DIGEST_LEN];
	uint8_t rim[HNBTRE_DIGEST_LEN];
	uint32_t verdicts[HNBTRE_VERDICT_COUNT];
	const uint8_t *nonce;
	size_t nonce_len;
	const char *identity;	/* not NUL terminated */
	size_t identity_len;
	const uint8_t *cert;	/* the attestation key's certificate, DER */
	size_t cert_len;
	const uint8_t *body;	/* signed bytes */
	size_t body_len;
	const uint8_t *sig;
	size_t sig_len;
};

/* Why an attestation was rejected: hnbtre_verify_attestation() results. */
enum hnbtre_attest_verdict {
	HNBTRE_ATTEST_VALID,
	HNBTRE_ATTEST_MALFORMED,
	HNBTRE_ATTEST_BAD_SIGNATURE,
	HNBTRE_ATTEST_WRONG_NONCE,
	HNBTRE_ATTEST_WRONG_IDENTITY,
	HNBTRE_ATTEST_NOT_TRUSTED,
	HNBTRE_ATTEST_TIM_NOT_RIM,
	/* the certificate in the blob is not the operator's attestation
	 * certificate for the attested identity */
	HNBTRE_ATTEST_BAD_SIGNER,
};

/**
 * hnbtre_state_name() - name of a TrE state
 * @state: the state
 *
 * Return: "unvalidated", "trusted", "failed", "tampered" or "invalid".
 */
const char *hnbtre_state_name(enum hnbtre_state state);

/**
 * hnbtre_verdict_name() - name of a component verdict
 * @verdict: the verdict
 *
 * Return: "pending", "ok", "unsigned", "badsig", "mismatch", "missing"
 * or "invalid".
 */
const char *hnbtre_verdict_name(enum hnbtre_verdict verdict);

/* One snapshot of the TrE: its securityfs file "status". */
struct hnbtre_status {
	enum hnbtre_state state;
	uint64_t validations;
	int has_manifest;	/* manifest_version and rim are meaningful */
	uint64_t manifest_version;
	uint8_t rim[HNBTRE_DIGEST_LEN];
	int validated;		/* tim is meaningful */
	uint8_t tim[HNBTRE_DIGEST_LEN];
	uint32_t verdicts[HNBTRE_VERDICT_COUNT];
	int floor_in_tpm;	/* floor is the TPM NV counter's value */
	uint64_t floor;
	/* "tpm-nv", "parameter", "-" (none), or NULL: not reported */
	const char *identity_source;
};

/**
 * hnbtre_status_parse() - parse the text of the "status" file
 * @text: the text
 * @len: its length
 * @out: the snapshot
 *
 * Strict: the documented lines in their order; "floor" and "identity"
 * may be missing (an older kernel); lines after them (a later kernel's
 * additions) are skipped.
 *
 * Return: 0 or -EBADMSG.
 */
int hnbtre_status_parse(const char *text, size_t len,
			struct hnbtre_status *out);

/**
 * hnbtre_status_read() - read and parse the TrE's "status"
 * @out: the snapshot
 *
 * Return: 0, -EBADMSG, or the -errno of reading it (-ENOENT: no TrE).
 */
int hnbtre_status_read(struct hnbtre_status *out);

/* A line of the TrE's "components". */
struct hnbtre_component_status {
	char *path;
	enum hnbtre_verdict verdict;
	enum hnbtre_class class;
	int measured;		/* digest is meaningful ("sha256:-" if not) */
	uint8_t digest[HNBTRE_DIGEST_LEN];
};

struct hnbtre_components {
	size_t count;
	struct hnbtre_component_status *items;	/* ascending by path */
};

/**
 * hnbtre_components_parse() - parse the text of the "components" file
 * @text: the text
 * @len: its length
 * @out: the components; free with hnbtre_components_free()
 *
 * Return: 0, -EBADMSG (a line off the format, paths out of order), -ENOMEM.
 * On failure @out is empty.
 */
int hnbtre_components_parse(const char *text, size_t len,
			    struct hnbtre_components *out);

/**
 * hnbtre_components_read() - read and parse the TrE's "components"
 * @out: the components; free with hnbtre_components_free()
 *
 * Return: as hnbtre_components_parse(), or the -errno of reading it.
 */
int hnbtre_components_read(struct hnbtre_components *out);

/**
 * hnbtre_components_find() - a component by path
 * @list: the components
 * @path: the path
 *
 * Return: the component, or NULL.
 */
const struct hnbtre_component_status *
hnbtre_components_find(const struct hnbtre_components *list, const char *path);

/**
 * hnbtre_components_free() - free what hnbtre_components_parse() allocated
 * @list: the components, empty afterwards
 */
void hnbtre_components_free(struct hnbtre_components *list);

/**
 * hnbtre_attest() - ask the TrE for a signed attestation
 * @nonce: HNBTRE_ATTEST_NONCE_MIN..HNBTRE_ATTEST_NONCE_MAX bytes
 * @nonce_len: their number
 * @blob: malloc'ed attestation
 * @len: its length
 *
 * Return: 0 or -errno (-ENOKEY: no device key loaded).
 */
int hnbtre_attest(const uint8_t *nonce, size_t nonce_len, uint8_t **blob,
		  size_t *len);

/**
 * hnbtre_attestation_parse() - split an attestation into its fields
 * @blob: the attestation
 * @len: its length
 * @out: the fields
 *
 * Checks the structure only, not the signature.
 *
 * Return: 0 or -EBADMSG.
 */
int hnbtre_attestation_parse(const uint8_t *blob, size_t len,
			     struct hnbtre_attestation *out);

/**
 * hnbtre_attestation_len() - length of an attestation blob
 * @nonce_len: of its nonce
 * @identity_len: of its identity
 * @cert_len: of the attestation key's certificate (DER)
 * @sig_len: of its signature (the attestation key's modulus size)
 *
 * Known before the TrE makes it (Documentation/attestation.md): an Inform
 * can hold its place before the connection exists.
 *
 * Return: the blob's length in bytes.
 */
size_t hnbtre_attestation_len(size_t nonce_len, size_t identity_len,
			      size_t cert_len, size_t sig_len);

/**
 * hnbtre_verify_attestation() - check an attestation as the H(e)MS does
 * @blob: the attestation
 * @len: its length
 * @cert_path: the device certificate (PEM or DER); its subject CN (and
 *	subjectAltName URI urn:hnbtre:identity:<id>, if present) must carry
 *	the attested identity
 * @roots_path: PEM file of the operator CA certificates that issue
 *	attestation certificates (the trust store)
 * @nonce: the nonce the verifier sent
 * @nonce_len: its length
 * @expected_rim: the platform RIM the verifier expects, or NULL to compare
 *	the TIM with the RIM inside the attestation
 * @out: the parsed fields (valid unless the result is MALFORMED), or NULL
 *
 * Checks, in this order: structure, the signer (the certificate in the
 * blob: issued through @roots_path, the attestation role, not a CA, the
 * attested identity), the signature with its key, nonce, identity of the
 * device certificate, state trusted, TIM equal to the expected RIM.
 *
 * Return: an enum hnbtre_attest_verdict, or -errno if the certificate
 * or the roots cannot be read.
 */
int hnbtre_verify_attestation(const uint8_t *blob, size_t len,
			      const char *cert_path, const char *roots_path,
			      const uint8_t *nonce, size_t nonce_len,
			      const uint8_t *expected_rim,
			      struct hnbtre_attestation *out);

/*
 * How a verifier checks what only it can.  signer_check: the attestation
 * key's certificate and signature (hnbtre_attestation_signer_check() with
 * the verifier's trust store), returning an enum hnbtre_attest_verdict;
 * identity_ok: the device certificate names the attested identity,
 * nonzero when it does.
 */
struct hnbtre_attestation_checks {
	int (*signer_check)(void *ctx, const struct hnbtre_attestation *a);
	int (*identity_ok)(void *ctx, const struct hnbtre_attestation *a);
	void *ctx;
};

/**
 * hnbtre_check_attestation() - hnbtre_verify_attestation() with the
 *	caller's certificate handling (an IKE gateway uses the certificate
 *	and public key its IKE stack already parsed and verified)
 * @blob: the attestation
 * @len: its length
 * @checks: signature and identity checks against the device certificate
 * @nonce: the nonce the verifier expects
 * @nonce_len: its length
 * @expected_rim: as for hnbtre_verify_attestation()
 * @out: as for hnbtre_verify_attestation()
 *
 * Checks in the order of hnbtre_verify_attestation().
 *
 * Return: an enum hnbtre_attest_verdict.
 */
int hnbtre_check_attestation(const uint8_t *blob, size_t len,
			     const struct hnbtre_attestation_checks *checks,
			     const uint8_t *nonce, size_t nonce_len,
			     const uint8_t *expected_rim,
			     struct hnbtre_attestation *out);

/**
 * hnbtre_attest_verdict_str() - what a verdict means
 * @verdict: an enum hnbtre_attest_verdict
 *
 * Return: a static message.
 */
const char *hnbtre_attest_verdict_str(int verdict);

/**
 * hnbtre_attest_genuine() - whether a rejected attestation's claims are
 * still the TrE's word about this request
 * @verdict: an enum hnbtre_attest_verdict
 *
 * True when the signature, the signer, the nonce and the identity held:
 * the state, TIM, RIM and counter are what the TrE attested, even if the
 * state or the TIM is not the one wanted.  Otherwise they are whatever
 * the sender wrote (a forger with the device key, a replay), and a
 * verifier must not record or report them as the device's.
 *
 * Return: true for HNBTRE_ATTEST_VALID, _NOT_TRUSTED and _TIM_NOT_RIM.
 */
bool hnbtre_attest_genuine(int verdict);

/* OpenSSL's X509 and X509_STORE, without making every user include
 * OpenSSL. */
struct x509_st;
struct x509_store_st;

/**
 * hnbtre_roots_load() - a trust store for attestation certificates
 * @path: PEM file of the operator CA certificates
 *
 * Return: the store (X509_STORE_free() it), or NULL if @path cannot be
 * read.
 */
struct x509_store_st *hnbtre_roots_load(const char *path);

/**
 * hnbtre_attestation_signer_check() - the signer of a parsed attestation
 * @roots: the operator CA certificates that issue attestation
 *	certificates
 * @a: the attestation
 *
 * The certificate in the blob must be one DER certificate, not a CA,
 * chain to @roots (validity included), carry the extended key usage
 * HNBTRE_ATTEST_ROLE_OID and name the attested identity; its key must
 * have signed the body.
 *
 * Return: HNBTRE_ATTEST_VALID, HNBTRE_ATTEST_BAD_SIGNER or
 * HNBTRE_ATTEST_BAD_SIGNATURE.
 */
int hnbtre_attestation_signer_check(struct x509_store_st *roots,
				    const struct hnbtre_attestation *a);

/**
 * hnbtre_cert_verify_sha256() - check an RSASSA-PKCS1-v1_5 / SHA-256
 *	signature with a certificate's public key
 * @cert: the certificate
 * @sig: the signature
 * @sig_len: its length
 * @data: the signed bytes
 * @len: their number
 *
 * Return: 1 if valid, else 0.
 */
int hnbtre_cert_verify_sha256(struct x509_st *cert, const uint8_t *sig,
			      size_t sig_len, const uint8_t *data, size_t len);

/**
 * hnbtre_verify_attestation_cert() - hnbtre_verify_attestation() with the
 *	device certificate already in memory
 * @blob: the attestation
 * @len: its length
 * @cert: the device certificate
 * @roots: the trust store for the attestation certificate
 * @nonce: the nonce the verifier expects
 * @nonce_len: its length
 * @expected_rim: as for hnbtre_verify_attestation()
 * @out: as for hnbtre_verify_attestation()
 *
 * Return: an enum hnbtre_attest_verdict.
 */
int hnbtre_verify_attestation_cert(const uint8_t *blob, size_t len,
				   struct x509_st *cert,
				   struct x509_store_st *roots,
				   const uint8_t *nonce, size_t nonce_len,
				   const uint8_t *expected_rim,
				   struct hnbtre_attestation *out);

/**
 * hnbtre_cert_lifetime_left() - how much of a certificate's life is left
 * @cert: the certificate
 * @now: the time to measure from (the trusted time where there is one)
 *
 * Return: (notAfter - @now) / (notAfter - notBefore), between 0 (expired,
 * or no valid period) and 1 (not valid yet counts as whole).
 */
double hnbtre_cert_lifetime_left(const struct x509_st *cert, time_t now);

/**
 * hnbtre_cert_names_identity() - the certificate is for a device identity
 * @cert: the certificate
 * @identity: the identity (not NUL terminated)
 * @len: its length, 0 never matches
 *
 * The identity is the single subject CN; an identity URI
 * (urn:hnbtre:identity:) in subjectAltName, if present, must be the same.
 *
 * Return: 1 if it names @identity, else 0.
 */
int hnbtre_cert_names_identity(struct x509_st *cert, const char *identity,
			       size_t len);

/**
 * hnbtre_tre_holds_issuer() - whether a key of the TrE's .hnbtre_roots
 *	signed a certificate
 * @der: the certificate (DER); for a self-signed root: whether the TrE
 *	holds its key, i.e. trusts it as an operator root
 * @len: its length
 *
 * The kernel answers: the certificate is added to a throwaway keyring
 * restricted to the keys of .hnbtre_roots.
 *
 * Return: 1 if so, else 0.
 */
int hnbtre_tre_holds_issuer(const uint8_t *der, size_t len);

#endif /* HNBTRE_H */
