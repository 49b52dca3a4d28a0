/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libhnbtre: signed software packages in the format of TR-069 Annex E
 * (Documentation/package.md).
 *
 *   header (24 bytes) | command list | SignedData | payload
 *   \______ signed ______/
 *
 * The header, the command list and the signature block are small and read
 * into memory; the payload is only ever streamed.
 */
#ifndef HNBTRE_PKG_H
#define HNBTRE_PKG_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "hnbtre.h"

#define HNBTRE_PKG_FIXED_LEN		32	/* extract/add fixed fields */
#define HNBTRE_PKG_SHA1_LEN		20
#define HNBTRE_PKG_HASH_SHA1		1	/* the annex's only hash type */
#define HNBTRE_PKG_FLAG_UNSAFE		1
#define HNBTRE_PKG_TEXT_MAX		1024	/* version, description */
#define HNBTRE_PKG_VERSION_MAX		16	/* elements of a version */
#define HNBTRE_PKG_IMA_SIG_MAX		1024
#define HNBTRE_PKG_BASE_MAX		8	/* versioned files: base.ext */
#define HNBTRE_PKG_EXT_LEN		3

/* Role values the annex defines; this device takes 1 and 2. */
#define HNBTRE_PKG_ROLE_UPGRADE		1
#define HNBTRE_PKG_ROLE_RECOVERY	2

/*
 * Why a package is refused: one negative errno per reason, those of the
 * kernel's securityfs "package" file (HNBTRE_PKG_E_FORMAT,
 * HNBTRE_PKG_E_UNKNOWN_SIGNER, HNBTRE_PKG_E_BAD_SIGNATURE) and these.
 * hnbtre_pkg_fault() maps them to TR-069 TransferComplete fault codes.
 */
#define HNBTRE_PKG_E_DIGEST		EILSEQ		/* payload != signed hash */
#define HNBTRE_PKG_E_EXPIRED		EKEYEXPIRED	/* signer outside validity */
#define HNBTRE_PKG_E_USAGE		EPERM		/* signer not a software signer */

#define HNBTRE_PKG_E_ROLLBACK		ESTALE
#define HNBTRE_PKG_E_MANIFEST		ENOTRECOVERABLE	/* manifest does not cover */
#define HNBTRE_PKG_E_PATH		EXDEV		/* outside the install root */
#define HNBTRE_PKG_E_NOT_FOR_DEVICE	ENOEXEC		/* version, role, storage */

/* A payload file of an Extract or Add command. */
struct hnbtre_pkg_file {
	unsigned int type;	/* HNBTRE_PKG_CMD_EXTRACT, _ADD (_VERSIONED);
				 * 0: manifest */
	uint32_t flags;
	char *path;		/* NULL for the manifest */
	uint64_t offset;	/* from the start of the payload */
	uint64_t size;
	uint8_t sha1[HNBTRE_PKG_SHA1_LEN];	/* not for the manifest */
	uint8_t digest[HNBTRE_DIGEST_LEN];	/* SHA-256, if has_sha256 */
	int has_sha256;
	uint32_t mode;		/* 0644 unless a mode command says */
	uint8_t *ima_sig;	/* security.ima to install with it, or NULL */
	size_t ima_sig_len;
};

/* A Remove (Versioned), Remove Sub-Tree or Move (Versioned) command. */
struct hnbtre_pkg_action {
	unsigned int type;
	uint32_t flags;
	char *path;
	char *to;		/* Move: the destination */
};

/* A dotted numeric version: 1.0.20.3 is { 1, 0, 20, 3 }, n = 4. */
struct hnbtre_pkg_version {
	size_t n;
	uint32_t v[HNBTRE_PKG_VERSION_MAX];
};

/* A parsed package; @cmds and @sig point into @signed_part. */
struct hnbtre_pkg {
	uint8_t *signed_part;	/* header | commands | signature block */
	size_t signed_len;
	uint32_t minor;
	const uint8_t *cmds;
	size_t cmds_len;
	const uint8_t *sig;	/* the signature block */
	size_t sig_len;
	char *version;		/* Version command, NUL terminated */
	struct hnbtre_pkg_version version_num;
	char *description;	/* NUL terminated, or NULL */
	uint32_t timeouts[4];	/* recoverable, unrecoverable, initial,
				 * initial activity; 0: none or infinite */
	int allow_downgrade;
	int reboot;
	int format;
	int has_min_version, has_max_version;
	struct hnbtre_pkg_version min_version, max_version;
	int has_role;
	uint32_t role;
	uint64_t min_nv_storage, min_volatile_storage;	/* 0: none */
	struct hnbtre_pkg_file manifest;	/* path is NULL */
	size_t nfiles;
	struct hnbtre_pkg_file *files;		/* sorted by path */
	/* SHA-256 of each file as hnbtre_pkg_stream() read it: for a file
	 * without its SHA-256 command, what the manifest is compared with */
	uint8_t (*sha256)[HNBTRE_DIGEST_LEN];
	int streamed;				/* ... and it has read them all */
	size_t nactions;
	struct hnbtre_pkg_action *actions;	/* in list order */
	uint64_t payload_len;
};

/* Verification result of one signer. */
struct hnbtre_pkg_signer {
	int result;		/* 0 or a negative HNBTRE_PKG_E_* */
	char subject[256];
	char digest[16];	/* "sha1", "sha256", ... */
	time_t not_after;
};
#define HNBTRE_PKG_MAX_SIGNERS		16

/**
 * hnbtre_pkg_parse() - parse the signed part of a package
 * @buf: header, command list and signature block; the parsed package
 *	takes ownership (it is freed by hnbtre_pkg_free() even on failure)
 * @len: length of @buf
 * @payload_len: the payload length from the header is checked against
 *	the files; the caller checks it against the file
 * @pkg: the result
 * @err: message on failure (HNBTRE_ERR_LEN bytes)
 *
 * Checks the structure only, not the signatures: every command's bounds
 * and offsets, the files (no duplicate path, no overlapping payload
 * regions, the payload covered exactly), the paths.
 *
 * Return: 0, -EBADMSG, -ENOMEM.
 */
int hnbtre_pkg_parse(uint8_t *buf, size_t len, struct hnbtre_pkg *pkg,
		     char *err);

/**
 * hnbtre_pkg_cmd_versioned() - whether a command names a versioned file
 * @type: command type
 *
 * Return: 1 for Extract, Add, Remove and Move Versioned File, else 0.
 */
int hnbtre_pkg_cmd_versioned(uint32_t type);

/**
 * hnbtre_pkg_versioned_base() - where the base name of a versioned path ends
 * @path: an absolute path
 *
 * A versioned file is named base.ext: a base of 1 to HNBTRE_PKG_BASE_MAX
 * characters, one dot, an extension of HNBTRE_PKG_EXT_LEN (Annex E).
 *
 * Return: the offset of that dot in @path, or 0 if the name is not so.
 */
size_t hnbtre_pkg_versioned_base(const char *path);

/**
 * hnbtre_pkg_same_base() - whether @path has the base name of a versioned path
 * @versioned: a versioned path
 * @base_len: hnbtre_pkg_versioned_base(@versioned)
 * @path: an absolute path
 *
 * Return: 1 if @path is in the same directory, with the same base, a dot
 * and any extension without a dot (1 or more characters).
 */
int hnbtre_pkg_same_base(const char *versioned, size_t base_len,
			 const char *path);

/**
 * hnbtre_pkg_header_check() - check the header
 * @header: HNBTRE_PKG_HEADER_LEN bytes
 * @cmds_len: the command list length
 * @payload_len: the payload length
 *
 * Return: 0 or -EBADMSG (preamble, major version, command list length).
 */
int hnbtre_pkg_header_check(const uint8_t *header, size_t *cmds_len,
			    uint64_t *payload_len);

/**
 * hnbtre_pkg_sig_len() - length of the signature block from its start
 * @p: the first bytes of the block
 * @avail: how many (at least 6 for a length to be found)
 * @len: the block's length (DER tag, length and contents)
 *
 * The block is a DER SEQUENCE with a definite length of at most
 * HNBTRE_PKG_SIG_MAX bytes in all.
 *
 * Return: 0 or -EBADMSG.
 */
int hnbtre_pkg_sig_len(const uint8_t *p, size_t avail, size_t *len);

/**
 * hnbtre_pkg_open() - open a package file and parse its signed part
 * @path: the file, or "-" for standard input
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

/* Which hashes a device requires (Documentation/package.md, "Hashes"). */
enum hnbtre_pkg_hash_policy {
	HNBTRE_PKG_REQUIRE_SHA256 = 0,	/* default */
	HNBTRE_PKG_ALLOW_SHA1,		/* what the annex alone requires */
};

/**
 * hnbtre_pkg_verify_signatures() - check the signatures as the device does
 * @pkg: the package
 * @roots_pem: PEM file with the operator roots
 * @now: the time to check certificate validity at
 * @policy: HNBTRE_PKG_REQUIRE_SHA256: the acceptable signer must use
 *	SHA-256 or longer and every file must carry a SHA-256 command
 * @signers: per signer result (up to HNBTRE_PKG_MAX_SIGNERS), or NULL
 * @nsigners: how many signers the SignedData has
 * @err: message on failure
 *
 * The signature block is one SignedData, detached, over the header and
 * the command list.  Every signer must verify; at least one must chain to
 * a root, be within its validity period at @now and be allowed to sign
 * code (digitalSignature key usage, codeSigning extended key usage).
 * Signers that do not chain are tolerated (root rollover).
 *
 * Return: 0 or a negative HNBTRE_PKG_E_*.
 */
int hnbtre_pkg_verify_signatures(const struct hnbtre_pkg *pkg,
				 const char *roots_pem, time_t now,
				 enum hnbtre_pkg_hash_policy policy,
				 struct hnbtre_pkg_signer *signers,
				 size_t *nsigners, char *err);

/* Progress callback: bytes done out of total. */
typedef void (*hnbtre_pkg_progress)(uint64_t done, uint64_t total, void *arg);

/*
 * Payload sink: called for each payload file (index -1 is the manifest)
 * with chunks of data; NULL for verify-only.  Each call gets an @err for
 * its message.  The manifest comes first, alone; the files of a package
 * in a regular file are then streamed by several threads
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
 * hnbtre_pkg_stream() - read the payload, check every hash
 * @pkg: the package
 * @fd: positioned at the start of the payload
 * @sink: where the data goes, or NULL
 * @progress: called now and then (by the workers, one at a time), or NULL
 * @progress_arg: its argument
 * @manifest: if not NULL, the signed manifest is kept here (malloc'ed)
 * @manifest_len: its length
 * @err: message on failure
 *
 * A file's end() is only called after its signed hash matched: the
 * SHA-256 of its vendor command if it has one, else the SHA-1 of its
 * Extract or Add command.
 * The SHA-256 of every file is kept in @pkg->sha256.
 * The files of a package in a regular file are read with pread() by one
 * worker thread per online CPU (at most 8), each taking the next whole
 * file; from a pipe they are read in payload order, which must start
 * with the manifest (-EBADMSG otherwise).
 *
 * Return: 0, -EILSEQ (hash), -EBADMSG (truncated or trailing data), a
 * sink's error, or -errno.
 */
int hnbtre_pkg_stream(struct hnbtre_pkg *pkg, int fd,
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
 * Every file installed must be a component with the same SHA-256 (a
 * file without its SHA-256 command: the one hnbtre_pkg_stream() computed,
 * once it ran; before, only its path is checked); no
 * removed or moved-away path may be a component (nor be below a removed
 * sub-tree).
 *
 * Return: 0, -ENOTRECOVERABLE, -EBADMSG (manifest malformed), -ENOMEM.
 */
int hnbtre_pkg_check_manifest(const struct hnbtre_pkg *pkg,
			      const uint8_t *manifest, size_t len,
			      struct hnbtre_manifest *parsed, char *err);

/**
 * hnbtre_pkg_version_parse() - a dotted numeric version
 * @s: "1", "2.0.1", ...: 1..HNBTRE_PKG_VERSION_MAX decimal elements of
 *	at most 2^32-1, no sign, no leading zero
 * @len: length of @s
 * @v: the result
 *
 * Return: 0 or -EINVAL.
 */
int hnbtre_pkg_version_parse(const char *s, size_t len,
			     struct hnbtre_pkg_version *v);

/**
 * hnbtre_pkg_version_cmp() - compare two versions element by element
 * @a: one
 * @b: the other
 *
 * A missing element counts as 0: 2 = 2.0 < 2.0.1.
 *
 * Return: < 0, 0 or > 0.
 */
int hnbtre_pkg_version_cmp(const struct hnbtre_pkg_version *a,
			   const struct hnbtre_pkg_version *b);

/**
 * hnbtre_pkg_file_sha256() - the SHA-256 of a file
 * @pkg: the package
 * @i: index in @pkg->files
 *
 * Return: the signed one (hnbtre SHA-256 command), else the one
 * hnbtre_pkg_stream() computed (zeros before it ran).
 */
const uint8_t *hnbtre_pkg_file_sha256(const struct hnbtre_pkg *pkg, size_t i);

/**
 * hnbtre_pkg_find_component() - a manifest component by path
 * @m: the manifest
 * @path: the path
 *
 * Return: the component or NULL.
 */
const struct hnbtre_component *hnbtre_pkg_find_component(
	const struct hnbtre_manifest *m, const char *path);

/* What the H(e)MS expects of a device once a package is installed. */
struct hnbtre_pkg_reference {
	char package_version[HNBTRE_PKG_TEXT_MAX + 1];
	uint64_t manifest_version;	/* of the signed manifest it carries */
	size_t files;			/* files it installs */
	/* TIM definition (contract.md) over the new manifest's reference
	 * digests: the TIM the device reports when every component matches */
	uint8_t platform_rim[HNBTRE_DIGEST_LEN];
	/* the same definition over the files the package installs (path and
	 * signed digest): the RIM of the patch (TS 33.320 8.3.2.2 step 2, TR 33.820 Annex A step 5) */
	uint8_t patch_rim[HNBTRE_DIGEST_LEN];
};

/**
 * hnbtre_pkg_reference() - expected platform RIM and patch RIM of a package
 * @path: the package file
 * @ref: the result
 * @err: message on failure
 *
 * Parses the signed part, streams the payload (every hash is checked),
 * checks that the manifest covers the package (hnbtre_pkg_check_manifest())
 * and computes both RIMs with hnbtre_tim().  Signatures are not checked:
 * the operator's own package is the input (the device checks them).
 * Every file must carry its SHA-256 (the RIMs are SHA-256).
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
 * @type: an enum hnbtre_pkg_cmd, or any other number
 *
 * Return: "Extract File", "Version", ... "vendor" (1000-9999 not ours),
 * "reserved" or "unknown".
 */
const char *hnbtre_pkg_cmd_name(uint32_t type);

#endif /* HNBTRE_PKG_H */
