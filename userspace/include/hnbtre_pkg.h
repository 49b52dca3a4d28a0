/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libhnbtre: signed software packages (Documentation/package.md).
 *
 *   header (24 bytes) | command list | signature section | payload
 *
 * The signed part (header, command list, signatures) is small and read
 * into memory; the payload is only ever streamed.
 */
#ifndef HNBTRE_PKG_H
#define HNBTRE_PKG_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "hnbtre.h"

#define HNBTRE_PKG_PREAMBLE		"HNBSPKG\n"
#define HNBTRE_PKG_PREAMBLE_LEN		8
#define HNBTRE_PKG_FORMAT		1
#define HNBTRE_PKG_HEADER_LEN		24
#define HNBTRE_PKG_CMDS_MAX		(1 << 20)
#define HNBTRE_PKG_SIGS_MAX		(256 << 10)
#define HNBTRE_PKG_SIG_MAX		(64 << 10)
#define HNBTRE_PKG_MAX_SIGNATURES	8
#define HNBTRE_PKG_DESCRIPTION_MAX	1024
#define HNBTRE_PKG_FILE_MAX		(1ULL << 40)
#define HNBTRE_PKG_CMD_HEADER_LEN	6	/* be16 type, be32 length */

/* Command types of the command list. */
enum hnbtre_pkg_cmd {
	HNBTRE_PKG_CMD_VERSION = 1,
	HNBTRE_PKG_CMD_DESCRIPTION = 2,
	HNBTRE_PKG_CMD_MANIFEST = 3,
	HNBTRE_PKG_CMD_EXTRACT = 4,
	HNBTRE_PKG_CMD_REMOVE = 5,
	HNBTRE_PKG_CMD_ALLOW_DOWNGRADE = 6,
	HNBTRE_PKG_CMD_IMA_SIGNATURE = 7,	/* of the extract before it */
};
#define HNBTRE_PKG_CMD_LAST		HNBTRE_PKG_CMD_IMA_SIGNATURE
#define HNBTRE_PKG_IMA_SIG_MAX		1024

/*
 * Why a package is refused: one negative errno per reason, shared with
 * the kernel's securityfs "package" file.  hnbtre_pkg_fault() maps them to
 * TR-069 TransferComplete fault codes.
 */
#define HNBTRE_PKG_E_FORMAT		EBADMSG		/* malformed, truncated */
#define HNBTRE_PKG_E_UNKNOWN_SIGNER	ENOKEY		/* no chain to a root */
#define HNBTRE_PKG_E_BAD_SIGNATURE	EKEYREJECTED
#define HNBTRE_PKG_E_DIGEST		EILSEQ		/* payload != signed digest */
#define HNBTRE_PKG_E_EXPIRED		EKEYEXPIRED	/* signer outside validity */
#define HNBTRE_PKG_E_USAGE		EPERM		/* signer not for code signing */
#define HNBTRE_PKG_E_ROLLBACK		ESTALE
#define HNBTRE_PKG_E_MANIFEST		ENOTRECOVERABLE	/* manifest does not cover */
#define HNBTRE_PKG_E_PATH		EXDEV		/* outside the install root */

/* A payload file: installed at @path with @mode. */
struct hnbtre_pkg_file {
	char *path;
	uint64_t offset;	/* from the start of the payload */
	uint64_t size;
	uint8_t digest[HNBTRE_DIGEST_LEN];
	uint32_t mode;
	uint8_t *ima_sig;	/* security.ima to install with it, or NULL */
	size_t ima_sig_len;
};

/* A parsed package; @sigs and @cmds point into @signed_part. */
struct hnbtre_pkg {
	uint8_t *signed_part;	/* header | commands | signatures */
	size_t signed_len;
	const uint8_t *cmds;
	size_t cmds_len;
	size_t nsigs;
	const uint8_t *sig[HNBTRE_PKG_MAX_SIGNATURES];
	size_t sig_len[HNBTRE_PKG_MAX_SIGNATURES];
	uint64_t version;
	char *description;	/* NUL terminated, or NULL */
	int allow_downgrade;
	struct hnbtre_pkg_file manifest;	/* path is NULL */
	size_t nfiles;
	struct hnbtre_pkg_file *files;		/* ascending paths */
	size_t nremove;
	char **remove;				/* ascending paths */
	uint64_t payload_len;
};

/* Verification result of one signature. */
struct hnbtre_pkg_signer {
	int result;		/* 0 or a negative HNBTRE_PKG_E_* */
	char subject[256];
	char digest[16];	/* "sha256", ... */
	time_t not_after;
};

/**
 * hnbtre_pkg_parse() - parse the signed part of a package
 * @buf: header, command list and signature section; the parsed package
 *	takes ownership (it is freed by hnbtre_pkg_free() even on failure)
 * @len: length of @buf
 * @pkg: the result
 * @err: message on failure (HNBTRE_ERR_LEN bytes)
 *
 * Checks the structure only, not the signatures.
 *
 * Return: 0, -EBADMSG, -ENOMEM.
 */
int hnbtre_pkg_parse(uint8_t *buf, size_t len, struct hnbtre_pkg *pkg,
		     char *err);

/**
 * hnbtre_pkg_signed_len() - length of the signed part from the header
 * @header: HNBTRE_PKG_HEADER_LEN bytes
 * @len: set to header + command list + signature section
 *
 * Return: 0 or -EBADMSG (bad preamble, version or absurd lengths).
 */
int hnbtre_pkg_signed_len(const uint8_t *header, size_t *len);

/**
 * hnbtre_pkg_open() - open a package file and parse its signed part
 * @path: the file
 * @pkg: the result
 * @fd: left open at the start of the payload
 * @err: message on failure
 *
 * A regular file must be exactly as long as the package declares.
 *
 * Return: 0, -EBADMSG, or -errno.
 */
int hnbtre_pkg_open(const char *path, struct hnbtre_pkg *pkg, int *fd,
		    char *err);

/**
 * hnbtre_pkg_free() - free a parsed package
 * @pkg: the package
 */
void hnbtre_pkg_free(struct hnbtre_pkg *pkg);

/**
 * hnbtre_pkg_verify_signatures() - check the signatures as the device does
 * @pkg: the package
 * @roots_pem: PEM file with the operator roots
 * @now: the time to check certificate validity at
 * @signers: per signature result (pkg->nsigs entries), or NULL
 * @err: message on failure
 *
 * Policy: every signature must be well formed and cryptographically
 * valid; at least one must come from a signer that chains to a root, is
 * within its validity period at @now and is allowed to sign code
 * (digitalSignature key usage if present, codeSigning extended key usage).
 * Signatures from signers that do not chain are tolerated (root rollover).
 *
 * Return: 0 or a negative HNBTRE_PKG_E_* (the first acceptable reason in
 * the order bad signature, expired, usage, unknown signer).
 */
int hnbtre_pkg_verify_signatures(const struct hnbtre_pkg *pkg,
				 const char *roots_pem, time_t now,
				 struct hnbtre_pkg_signer *signers, char *err);

/* Progress callback: bytes done out of total. */
typedef void (*hnbtre_pkg_progress)(uint64_t done, uint64_t total, void *arg);

/*
 * Payload sink: called for each payload region (file index -1 is the
 * manifest) with chunks of data; NULL for verify-only.  Each call gets an
 * @err for its message.  The manifest comes first, alone; the files of a
 * package in a regular file are then streamed by several threads
 * (hnbtre_pkg_stream()), so the calls for different files may run
 * concurrently, those for one file in order from one thread.
 */
struct hnbtre_pkg_sink {
	int (*begin)(void *arg, const struct hnbtre_pkg_file *file, int index,
		     char *err);
	int (*data)(void *arg, int index, const uint8_t *buf, size_t len,
		    char *err);
	int (*end)(void *arg, const struct hnbtre_pkg_file *file, int index,
		   char *err);
	void *arg;
};

/**
 * hnbtre_pkg_stream() - read the payload, check every digest
 * @pkg: the package
 * @fd: positioned at the start of the payload
 * @sink: where the data goes, or NULL
 * @progress: called now and then (by the workers, one at a time), or NULL
 * @progress_arg: its argument
 * @manifest: if not NULL, the signed manifest is kept here (malloc'ed)
 * @manifest_len: its length
 * @err: message on failure
 *
 * A region's end() is only called after its digest matched.  The files
 * of a package in a regular file are read with pread() by one worker
 * thread per online CPU (at most 8), each taking the next whole file:
 * read a chunk, hash it, hand it to the sink.  The first failure stops
 * them all.  SHA-256 is OpenSSL's (Documentation/benchmarks.md).
 *
 * Return: 0, -EILSEQ (digest), -EBADMSG (truncated or trailing data), a
 * sink's error, or -errno.
 */
int hnbtre_pkg_stream(const struct hnbtre_pkg *pkg, int fd,
		      const struct hnbtre_pkg_sink *sink,
		      hnbtre_pkg_progress progress, void *progress_arg,
		      uint8_t **manifest, size_t *manifest_len, char *err);

/**
 * hnbtre_pkg_check_manifest() - does the manifest cover the package
 * @pkg: the package
 * @manifest: the signed manifest it carries
 * @len: its length
 * @parsed: the parsed body, or NULL (freed by the caller)
 * @err: message on failure
 *
 * Every extracted file must be a component with the same digest; no
 * removed path may be a component.
 *
 * Return: 0, -ENOTRECOVERABLE, -EBADMSG (manifest malformed), -ENOMEM.
 */
int hnbtre_pkg_check_manifest(const struct hnbtre_pkg *pkg,
			      const uint8_t *manifest, size_t len,
			      struct hnbtre_manifest *parsed, char *err);

/* What the H(e)MS expects of a device once a package is installed. */
struct hnbtre_pkg_reference {
	uint64_t package_version;
	uint64_t manifest_version;	/* of the signed manifest it carries */
	size_t files;			/* files it installs */
	/* TIM definition (contract.md) over the new manifest's reference
	 * digests: the TIM the device reports when every component matches */
	uint8_t platform_rim[HNBTRE_DIGEST_LEN];
	/* the same definition over the files the package installs (path and
	 * signed digest): the RIM of the patch (seeds 000 step 2, 001 step 5) */
	uint8_t patch_rim[HNBTRE_DIGEST_LEN];
};

/**
 * hnbtre_pkg_reference() - expected platform RIM and patch RIM of a package
 * @path: the package file
 * @ref: the result
 * @err: message on failure
 *
 * Parses the signed part, streams the payload (every digest is checked),
 * checks that the manifest covers the package (hnbtre_pkg_check_manifest())
 * and computes both RIMs with hnbtre_tim().  Signatures are not checked:
 * the operator's own package is the input (the device checks them).
 *
 * Return: 0, -EBADMSG, -EILSEQ, -ENOTRECOVERABLE, or -errno.
 */
int hnbtre_pkg_reference(const char *path, struct hnbtre_pkg_reference *ref,
			 char *err);

/**
 * hnbtre_pkg_fault() - TR-069 TransferComplete fault code for an error
 * @err: 0 or a negative errno from this API
 *
 * Return: 0, 9018 (file corrupted or unusable), 9019 (file authentication
 * failure) or 9002 (internal error).
 */
int hnbtre_pkg_fault(int err);

/**
 * hnbtre_pkg_errstr() - what a package error means
 * @err: a negative errno from this API
 *
 * Return: a static message.
 */
const char *hnbtre_pkg_errstr(int err);

/**
 * hnbtre_pkg_cmd_name() - name of a command type
 * @type: an enum hnbtre_pkg_cmd
 *
 * Return: "version", "description", ... or "unknown".
 */
const char *hnbtre_pkg_cmd_name(unsigned int type);

#endif /* HNBTRE_PKG_H */
