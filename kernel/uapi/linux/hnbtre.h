/* SPDX-License-Identifier: GPL-2.0-only WITH Linux-syscall-note */
/*
 * hnbtre: the ABI between the TrE (security/hnbtre) and userspace.
 *
 * Every name, magic, size, enumeration and errno meaning that the kernel,
 * libhnbtre and the selftests share is defined here and nowhere else.
 * The files themselves are described in
 * Documentation/ABI/testing/securityfs-hnbtre; the formats in
 * Documentation/manifest.md, attestation.md, devkey.md and package.md.
 *
 * Plain macros and enumerations only, so that C code on either side can
 * include it; the *_NAMES macros are array initialisers indexed by their
 * enumeration.
 */
#ifndef _UAPI_LINUX_HNBTRE_H
#define _UAPI_LINUX_HNBTRE_H

#include <linux/errno.h>

/* The TrE's directory in securityfs. */
#define HNBTRE_SECURITYFS_NAME		"hnbtre"
#define HNBTRE_SECURITYFS_PATH		"/sys/kernel/security/hnbtre"

/* Every digest of the ABI is a SHA-256. */
#define HNBTRE_DIGEST_LEN		32

/*
 * Signed manifests (Documentation/manifest.md):
 *
 *   body || PKCS#7 || be32 PKCS#7 length || HNBTRE_MANIFEST_SIG_MAGIC
 *
 * Errors of a write to "manifest": EBADMSG malformed (trailer, body or
 * PKCS#7), ENOKEY signer not an admitted manifest signer, EKEYREJECTED
 * signature invalid, ESTALE older than the active manifest or than the
 * floor in the TPM, ERANGE more than HNBTRE_FLOOR_MAX_STEP above that
 * floor, EEXIST same version with other contents, EFBIG more than
 * HNBTRE_MANIFEST_MAX_SIZE.
 */
#define HNBTRE_MANIFEST_HEADER		"hnbtre-manifest 1\n"
#define HNBTRE_MANIFEST_SIG_MAGIC	"~hnbtre manifest signature~\n"
#define HNBTRE_MANIFEST_SIG_MAGIC_LEN	28
#define HNBTRE_MANIFEST_TRAILER_LEN	(4 + HNBTRE_MANIFEST_SIG_MAGIC_LEN)
#define HNBTRE_MANIFEST_MAX_SIZE	(4 << 20)
#define HNBTRE_MANIFEST_MAX_COMPONENTS	65536
#define HNBTRE_PATH_MAX			4095
/* The TPM NV counter of the floor counts at most this far per update. */
#define HNBTRE_FLOOR_MAX_STEP		1024

/* Component classes: the last word of a manifest line. */
enum hnbtre_class {
	HNBTRE_CLASS_NORMAL,
	HNBTRE_CLASS_DISTRESS,
	HNBTRE_CLASS_TRE,
	HNBTRE_CLASS_COUNT,
};

#define HNBTRE_CLASS_NAMES {				\
	[HNBTRE_CLASS_NORMAL] = "normal",		\
	[HNBTRE_CLASS_DISTRESS] = "distress",		\
	[HNBTRE_CLASS_TRE] = "tre",			\
}

/* TrE states: the word of "state", the byte of an attestation. */
enum hnbtre_state {
	HNBTRE_STATE_UNVALIDATED,
	HNBTRE_STATE_TRUSTED,
	HNBTRE_STATE_FAILED,
	HNBTRE_STATE_TAMPERED,
	HNBTRE_STATE_COUNT,
};

#define HNBTRE_STATE_NAMES {				\
	[HNBTRE_STATE_UNVALIDATED] = "unvalidated",	\
	[HNBTRE_STATE_TRUSTED] = "trusted",		\
	[HNBTRE_STATE_FAILED] = "failed",		\
	[HNBTRE_STATE_TAMPERED] = "tampered",		\
}

/*
 * Component verdicts, in the order of the counts in "status" and in an
 * attestation; when several apply, the highest is reported.
 */
enum hnbtre_verdict {
	HNBTRE_VERDICT_PENDING,
	HNBTRE_VERDICT_OK,
	HNBTRE_VERDICT_UNSIGNED,
	HNBTRE_VERDICT_BADSIG,
	HNBTRE_VERDICT_MISMATCH,
	HNBTRE_VERDICT_MISSING,
	HNBTRE_VERDICT_COUNT,
};

#define HNBTRE_VERDICT_NAMES {				\
	[HNBTRE_VERDICT_PENDING] = "pending",		\
	[HNBTRE_VERDICT_OK] = "ok",			\
	[HNBTRE_VERDICT_UNSIGNED] = "unsigned",		\
	[HNBTRE_VERDICT_BADSIG] = "badsig",		\
	[HNBTRE_VERDICT_MISMATCH] = "mismatch",		\
	[HNBTRE_VERDICT_MISSING] = "missing",		\
}

/*
 * Signer roles (Documentation/contract.md): an arc of the UUID
 * 647950ec-34e9-4275-868d-062e598106cf (X.667); role N is arc.N, in an
 * extendedKeyUsage of the signer's certificate.
 */
#define HNBTRE_SIGNER_ROLE_ARC	"2.25.133552708805364161004282974501280483023.1"
#define HNBTRE_SIGNER_OID_MANIFEST	HNBTRE_SIGNER_ROLE_ARC ".1"
#define HNBTRE_SIGNER_OID_SOFTWARE	HNBTRE_SIGNER_ROLE_ARC ".2"
#define HNBTRE_SIGNER_OID_COMPONENT	HNBTRE_SIGNER_ROLE_ARC ".3"

/* The TrE's keyrings of operator roots and of the signers of each role. */
#define HNBTRE_ROOTS_KEYRING			".hnbtre_roots"
#define HNBTRE_MANIFEST_SIGNERS_KEYRING		".hnbtre_manifest_signers"
#define HNBTRE_SOFTWARE_SIGNERS_KEYRING		".hnbtre_software_signers"
#define HNBTRE_COMPONENT_SIGNERS_KEYRING	".hnbtre_component_signers"

/*
 * The device identity (module parameter, TPM NV index or "identity"):
 * printable ASCII; a device certificate names it in a subjectAltName URI.
 */
#define HNBTRE_IDENTITY_MAX		128
#define HNBTRE_IDENTITY_URI_PREFIX	"urn:hnbtre:identity:"

/* Where the identity came from: the word of "identity" in "status". */
enum hnbtre_identity_source {
	HNBTRE_IDENTITY_NONE,
	HNBTRE_IDENTITY_PARAMETER,
	HNBTRE_IDENTITY_TPM_NV,
	HNBTRE_IDENTITY_SOURCE_COUNT,
};

#define HNBTRE_IDENTITY_SOURCE_NAMES {			\
	[HNBTRE_IDENTITY_NONE] = "-",			\
	[HNBTRE_IDENTITY_PARAMETER] = "parameter",	\
	[HNBTRE_IDENTITY_TPM_NV] = "tpm-nv",		\
}

/*
 * Device and distress keys (Documentation/devkey.md): a wrapper of
 * HNBTRE_DEVKEY_MAGIC (with its NUL) and an unencrypted PKCS#8 RSA key of
 * 2048 or 3072 bits, written to "device_key" or "distress_key"; the key
 * lands in the keyring HNBTRE_DEVICE_KEYRING with its description.
 */
#define HNBTRE_DEVKEY_MAGIC		"HNBTRE-DEVKEY-1"
#define HNBTRE_DEVKEY_MAGIC_LEN		16
#define HNBTRE_DEVKEY_BITS_MIN		2048
#define HNBTRE_DEVKEY_BITS_MAX		3072
#define HNBTRE_DEVKEY_BITS_VALID(bits)	\
	((bits) == HNBTRE_DEVKEY_BITS_MIN || (bits) == HNBTRE_DEVKEY_BITS_MAX)
#define HNBTRE_DEVICE_KEYRING		".hnbtre_device"
#define HNBTRE_DEVICE_KEY_DESC		"hnbtre:device"
#define HNBTRE_DISTRESS_KEY_DESC	"hnbtre:distress"

/*
 * Sealed keys (Documentation/devkey.md, "Keys at rest"): instead of the
 * clear wrapper, "device_key" and "distress_key" take
 *
 *   HNBTRE_SEALED_MAGIC (with its NUL)         16
 *   be32 PCR mask: SHA-256 bank, bit n = PCR n  4
 *   be16 public length                          2
 *   be16 private length                         2
 *   be16 ciphertext length                      2
 *   TPM2B_PUBLIC of the sealed data object      public length (its be16 size included)
 *   TPM2B_PRIVATE of it                         private length (same)
 *   AES-256-GCM nonce                           HNBTRE_SEALED_NONCE_LEN
 *   ciphertext of the HNBTRE_DEVKEY_MAGIC wrapper
 *   GCM tag                                     HNBTRE_SEALED_TAG_LEN
 *
 * The sealed data object, a child of the persistent storage key
 * seal_parent=, holds the HNBTRE_SEALED_KEK_LEN-byte AES key; the GCM
 * additional data is everything before the nonce.  Its policy is
 * TPM2_PolicyPCR over the PCRs of the mask, which must include
 * verdict_pcr=: the TrE extends that PCR with SHA-256 of
 * HNBTRE_VERDICT_PREFIX "trusted" (the device key is sealed to it) or
 * "failed" (the distress credential), unseals, and caps it with SHA-256 of
 * HNBTRE_VERDICT_PREFIX "closed".
 *
 * Errors of the write that completes it: EBADMSG malformed, EINVAL an
 * object that does not bind release to the verdict (mask without
 * verdict_pcr, PCRs above 23, userWithAuth, not fixedTPM|fixedParent,
 * not a sealed data object), ENODEV no TPM 2.0, EKEYEXPIRED the release
 * at the end of the start-up validation is over (until reboot), EEXIST a
 * blob or key of that kind is already there.
 */
#define HNBTRE_SEALED_MAGIC		"HNBTRE-SEALED-1"
#define HNBTRE_SEALED_MAGIC_LEN		16
#define HNBTRE_SEALED_HEADER_LEN	26
#define HNBTRE_SEALED_OFF_PCR_MASK	16	/* be32 */
#define HNBTRE_SEALED_OFF_PUBLIC_LEN	20	/* be16 */
#define HNBTRE_SEALED_OFF_PRIVATE_LEN	22	/* be16 */
#define HNBTRE_SEALED_OFF_CIPHERTEXT_LEN	24	/* be16 */
#define HNBTRE_SEALED_KEK_LEN		32
#define HNBTRE_SEALED_NONCE_LEN		12
#define HNBTRE_SEALED_TAG_LEN		16
#define HNBTRE_SEALED_MAX		8192
#define HNBTRE_VERDICT_PREFIX		"HNBTRE-VERDICT-1 "
#define HNBTRE_SEAL_PARENT_DEFAULT	0x81000001
#define HNBTRE_VERDICT_PCR_DEFAULT	12

/*
 * Attestations (Documentation/attestation.md), format version 2: write a
 * nonce to "attest", read the blob.  Fixed header at these offsets,
 * integers big-endian, then the nonce, the identity, the attestation
 * key's certificate (DER) and that key's PKCS#1 v1.5 SHA-256 signature
 * over everything before it.
 *
 * The attestation key signs nothing else and never enters a keyring:
 * "attest_key" takes it (the device key's wrapper), "attest_cert" its
 * certificate, issued by the operator CA with the extended key usage
 * HNBTRE_ATTEST_ROLE_OID, which no other certificate of the device has.
 * Errors of those writes: EBADMSG malformed, ENOPKG not RSA, EINVAL not
 * 2048 or 3072 bits, EEXIST already loaded, EKEYREJECTED the certificate
 * is not the key's.  "attest" fails with ENOKEY until both are loaded.
 */
#define HNBTRE_ATTEST_MAGIC		"HNBTRE-ATTEST-2\n"
#define HNBTRE_ATTEST_MAGIC_LEN		16
#define HNBTRE_ATTEST_NONCE_MIN		16
#define HNBTRE_ATTEST_NONCE_MAX		64
#define HNBTRE_ATTEST_CERT_MAX		4096
#define HNBTRE_ATTEST_ROLE_OID		HNBTRE_SIGNER_ROLE_ARC ".4"

#define HNBTRE_ATTEST_OFF_BODY_LEN		16	/* be32 */
#define HNBTRE_ATTEST_OFF_SIG_LEN		20	/* be16 */
#define HNBTRE_ATTEST_OFF_STATE			22	/* enum hnbtre_state */
#define HNBTRE_ATTEST_OFF_FLAGS			23	/* HNBTRE_ATTEST_FLAG_* */
#define HNBTRE_ATTEST_OFF_MANIFEST_VERSION	24	/* be64 */
#define HNBTRE_ATTEST_OFF_COUNTER		32	/* be64 */
#define HNBTRE_ATTEST_OFF_BOOT_EPOCH		40	/* be64 */
#define HNBTRE_ATTEST_OFF_UPTIME		48	/* be64 */
#define HNBTRE_ATTEST_OFF_VALIDATIONS		56	/* be64 */
#define HNBTRE_ATTEST_OFF_TIM			64
#define HNBTRE_ATTEST_OFF_RIM			96
#define HNBTRE_ATTEST_OFF_VERDICTS		128	/* be32 per verdict */
#define HNBTRE_ATTEST_OFF_NONCE_LEN		152
#define HNBTRE_ATTEST_OFF_IDENTITY_LEN		153
#define HNBTRE_ATTEST_OFF_CERT_LEN		154	/* be16 */
#define HNBTRE_ATTEST_HEADER_SIZE		156

#define HNBTRE_ATTEST_FLAG_VALIDATED		0x01
#define HNBTRE_ATTEST_FLAG_HAS_MANIFEST		0x02
/* The identity is a write-locked TPM NV index's, not identity='s. */
#define HNBTRE_ATTEST_FLAG_IDENTITY_TPM		0x04
/* The rollback floor is a TPM NV counter's, not this boot's only. */
#define HNBTRE_ATTEST_FLAG_FLOOR_TPM		0x08

/*
 * Signed packages, TR-069 Annex E (Documentation/package.md): the TrE
 * checks the signed part written to "package",
 *
 *   header: HNBTRE_PKG_PREAMBLE | be32 major | be32 minor | be32 command
 *   list length | be32 payload length; command list; signature block
 *
 * and answers one line: "accepted signed=sha256:<hex>" or "refused
 * <reason>", a reason of HNBTRE_PKG_REASON_NAMES.
 */
#define HNBTRE_PKG_PREAMBLE		"2WIRE_SP"
#define HNBTRE_PKG_PREAMBLE_LEN		8
#define HNBTRE_PKG_MAJOR		1
#define HNBTRE_PKG_MINOR		0
#define HNBTRE_PKG_HEADER_LEN		24
#define HNBTRE_PKG_CMDS_MAX		65535		/* < 2^16 (annex) */
#define HNBTRE_PKG_SIG_MAX		65536		/* signature block */
#define HNBTRE_PKG_CMD_HEADER_LEN	8		/* be32 type, be32 length */

/* Command types: TR-069 Annex E, then ours in the vendor range. */
enum hnbtre_pkg_cmd {
	HNBTRE_PKG_CMD_END = 0,
	HNBTRE_PKG_CMD_EXTRACT = 1,
	HNBTRE_PKG_CMD_EXTRACT_VERSIONED = 2,
	HNBTRE_PKG_CMD_ADD = 3,
	HNBTRE_PKG_CMD_ADD_VERSIONED = 4,
	HNBTRE_PKG_CMD_REMOVE = 5,
	HNBTRE_PKG_CMD_REMOVE_VERSIONED = 6,
	HNBTRE_PKG_CMD_REMOVE_SUBTREE = 7,
	HNBTRE_PKG_CMD_MOVE = 8,
	HNBTRE_PKG_CMD_MOVE_VERSIONED = 9,
	HNBTRE_PKG_CMD_VERSION = 10,
	HNBTRE_PKG_CMD_DESCRIPTION = 11,
	HNBTRE_PKG_CMD_RECOVERABLE_TIMEOUT = 12,
	HNBTRE_PKG_CMD_UNRECOVERABLE_TIMEOUT = 13,
	HNBTRE_PKG_CMD_INITIAL_TIMEOUT = 14,
	HNBTRE_PKG_CMD_INITIAL_ACTIVITY_TIMEOUT = 15,
	HNBTRE_PKG_CMD_REBOOT = 16,
	HNBTRE_PKG_CMD_FORMAT = 17,
	HNBTRE_PKG_CMD_MIN_VERSION = 18,
	HNBTRE_PKG_CMD_MAX_VERSION = 19,
	HNBTRE_PKG_CMD_ROLE = 20,
	HNBTRE_PKG_CMD_MIN_NV_STORAGE = 21,
	HNBTRE_PKG_CMD_MIN_VOLATILE_STORAGE = 22,
	HNBTRE_PKG_CMD_REQUIRED_ATTRIBUTES = 25,
	/* vendor-specific (1000-9999): Documentation/package.md */
	HNBTRE_PKG_CMD_MANIFEST = 1000,		/* the signed manifest */
	HNBTRE_PKG_CMD_SHA256 = 1001,		/* of the file before it */
	HNBTRE_PKG_CMD_MODE = 1002,		/* of the file before it */
	HNBTRE_PKG_CMD_IMA_SIGNATURE = 1003,	/* of the file before it */
	HNBTRE_PKG_CMD_ALLOW_DOWNGRADE = 1004,
};
#define HNBTRE_PKG_VENDOR_FIRST		1000
#define HNBTRE_PKG_VENDOR_LAST		9999

/* The verdict line of "package", before the hex digest or the reason. */
#define HNBTRE_PKG_ACCEPTED		"accepted signed=sha256:"
#define HNBTRE_PKG_REFUSED		"refused "

/* Errors of a write to "package" (and of libhnbtre's checks). */
#define HNBTRE_PKG_E_FORMAT		EBADMSG		/* malformed, truncated */
#define HNBTRE_PKG_E_TOO_LONG		EFBIG
#define HNBTRE_PKG_E_UNKNOWN_SIGNER	ENOKEY		/* no chain to a root */
#define HNBTRE_PKG_E_BAD_SIGNATURE	EKEYREJECTED
#define HNBTRE_PKG_E_WEAK_HASH		ENOPROTOOPT	/* no SHA-256 signer */

/* The word of the verdict line for each outcome. */
enum hnbtre_pkg_reason {
	HNBTRE_PKG_REASON_ACCEPTED,
	HNBTRE_PKG_REASON_FORMAT,
	HNBTRE_PKG_REASON_TOO_LONG,
	HNBTRE_PKG_REASON_UNKNOWN_SIGNER,
	HNBTRE_PKG_REASON_BAD_SIGNATURE,
	HNBTRE_PKG_REASON_WEAK_HASH,
	HNBTRE_PKG_REASON_NO_MEMORY,
	HNBTRE_PKG_REASON_OTHER,
	HNBTRE_PKG_REASON_COUNT,
};

#define HNBTRE_PKG_REASON_NAMES {				\
	[HNBTRE_PKG_REASON_ACCEPTED] = "accepted",		\
	[HNBTRE_PKG_REASON_FORMAT] = "format",			\
	[HNBTRE_PKG_REASON_TOO_LONG] = "too-long",		\
	[HNBTRE_PKG_REASON_UNKNOWN_SIGNER] = "unknown-signer",	\
	[HNBTRE_PKG_REASON_BAD_SIGNATURE] = "bad-signature",	\
	[HNBTRE_PKG_REASON_WEAK_HASH] = "weak-hash",		\
	[HNBTRE_PKG_REASON_NO_MEMORY] = "no-memory",		\
	[HNBTRE_PKG_REASON_OTHER] = "other",			\
}

/*
 * The distress function (Documentation/distress.md): the first line of
 * "distress" is the outcome of the last decision to start it, followed by
 * the errno for HNBTRE_DISTRESS_EXEC_FAILED.
 */
enum hnbtre_distress_outcome {
	HNBTRE_DISTRESS_IDLE,		/* no failed validation yet */
	HNBTRE_DISTRESS_OFF,		/* failed, but no helper configured */
	HNBTRE_DISTRESS_STARTED,
	HNBTRE_DISTRESS_TRE_FAILED,	/* a component of class tre failed */
	HNBTRE_DISTRESS_NOT_DESIGNATED,	/* helper is no distress component */
	HNBTRE_DISTRESS_CORRUPTED,	/* the distress component failed */
	HNBTRE_DISTRESS_EXEC_FAILED,	/* the usermode helper did not start */
	HNBTRE_DISTRESS_OUTCOME_COUNT,
};

#define HNBTRE_DISTRESS_OUTCOME_NAMES {					\
	[HNBTRE_DISTRESS_IDLE] = "idle",				\
	[HNBTRE_DISTRESS_OFF] = "off",					\
	[HNBTRE_DISTRESS_STARTED] = "started",				\
	[HNBTRE_DISTRESS_TRE_FAILED] = "refused tre-failed",		\
	[HNBTRE_DISTRESS_NOT_DESIGNATED] = "refused not-designated",	\
	[HNBTRE_DISTRESS_CORRUPTED] = "refused corrupted",		\
	[HNBTRE_DISTRESS_EXEC_FAILED] = "exec-failed",			\
}

#endif /* _UAPI_LINUX_HNBTRE_H */
