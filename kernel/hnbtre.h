/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * hnbtre: the trusted environment (TrE) of a Linux H(e)NB.
 * Internal interfaces between the files of the module.
 */
#ifndef _SECURITY_HNBTRE_H
#define _SECURITY_HNBTRE_H

#include <linux/atomic.h>
#include <linux/bits.h>
#include <linux/fs.h>
#include <linux/hnbtre.h>
#include <linux/key.h>
#include <linux/mutex.h>
#include <linux/path.h>
#include <linux/types.h>
#include <crypto/sha2.h>

static_assert(HNBTRE_DIGEST_LEN == SHA256_DIGEST_SIZE);

/**
 * struct hnbtre_reference - a designated component as its manifest names it
 * @digest: SHA-256 reference value (the component's RIM)
 * @class: enum hnbtre_class
 * @path: absolute path, NUL terminated
 *
 * Reference data: immutable once the manifest is parsed.
 */
struct hnbtre_reference {
	u8 digest[SHA256_DIGEST_SIZE];
	u8 class;
	char path[];
};

/**
 * struct hnbtre_manifest - a verified, parsed manifest: reference data only
 * @version: manifest version (anti-rollback)
 * @rim: platform RIM: the TIM function over the reference digests
 * @count: number of references
 * @refs: sorted by path bytes
 */
struct hnbtre_manifest {
	u64 version;
	u8 rim[SHA256_DIGEST_SIZE];
	unsigned int count;
	struct hnbtre_reference *refs[];
};

struct hnbtre_watch;

/**
 * struct hnbtre_component - run-time state of one designated component
 * @ref: what the manifest says about it
 * @watch: fsnotify mark on the component's inode, NULL while unwatched
 * @entries: shared fsnotify marks on each directory and symlink the path
 *	resolves through, NULL while unwatched
 * @nr_entries: number of @entries
 * @real_watch: on overlayfs, a mark on the real inode below, else NULL
 * @held: the file the path led to at the last validation, held with
 *	writing denied while it passes (Documentation/kernel.md); no
 *	dentry while nothing is held
 * @real: on overlayfs, the real inode below @held, also denied writing
 * @measured: SHA-256 measured at the last validation
 * @verdict: result of the last validation
 *
 * The marks are separate objects because fsnotify may still hold them
 * after the component is gone.
 */
struct hnbtre_component {
	const struct hnbtre_reference *ref;
	struct hnbtre_watch *watch;
	struct hnbtre_watch **entries;
	unsigned int nr_entries;
	struct hnbtre_watch *real_watch;
	struct path held;
	struct inode *real;
	u8 measured[SHA256_DIGEST_SIZE];
	u8 verdict;
};

/**
 * struct hnbtre_components - a manifest and its components' run-time state
 * @manifest: the reference data, owned
 * @generation: identifies these components to their fsnotify marks
 * @count: number of @components, that of @manifest
 * @components: in the order of @manifest->refs
 */
struct hnbtre_components {
	struct hnbtre_manifest *manifest;
	u32 generation;
	unsigned int count;
	struct hnbtre_component components[];
};

/**
 * struct hnbtre_status - consistent snapshot of the TrE's state
 * @state: current state
 * @validated: a validation has run against the active manifest
 * @has_manifest: a manifest is active
 * @tim: TIM of the last validation (valid if @validated)
 * @rim: platform RIM of the active manifest (valid if @has_manifest)
 * @manifest_version: version of the active manifest
 * @floor: manifest version floor kept in the TPM (0 without one)
 * @validations: number of validations since the module was loaded
 * @verdicts: number of components per verdict
 */
struct hnbtre_status {
	enum hnbtre_state state;
	bool validated;
	bool has_manifest;
	u8 tim[SHA256_DIGEST_SIZE];
	u8 rim[SHA256_DIGEST_SIZE];
	u64 manifest_version;
	u64 floor;
	u64 validations;
	unsigned int verdicts[HNBTRE_VERDICT_COUNT];
};

/* state.c */
extern struct mutex hnbtre_lock;
typedef void (*hnbtre_failed_fn)(struct hnbtre_components *cs);
enum hnbtre_state hnbtre_state_get(void);
const char *hnbtre_state_name(enum hnbtre_state state);
const char *hnbtre_verdict_name(enum hnbtre_verdict verdict);
void hnbtre_status_get(struct hnbtre_status *status);
struct hnbtre_components *hnbtre_active_components(void);
int hnbtre_load_manifest(struct hnbtre_manifest *manifest);
int hnbtre_validate(const char *reason);
void hnbtre_state_on_failed(hnbtre_failed_fn handler);
struct audit_buffer;
void hnbtre_audit_log_path(struct audit_buffer *ab, const char *path);
int hnbtre_state_init(void);
void hnbtre_state_exit(void);

/* state_fs.c */
int hnbtre_state_fs_init(void);

/* manifest.c */
struct hnbtre_manifest *hnbtre_manifest_parse_signed(const u8 *data,
						     size_t len);
void hnbtre_manifest_free(struct hnbtre_manifest *manifest);
bool hnbtre_manifest_equal(const struct hnbtre_manifest *a,
			   const struct hnbtre_manifest *b);
const char *hnbtre_class_name(enum hnbtre_class class);

/* manifest_fs.c */
int hnbtre_manifest_fs_init(void);

/* appraise.c */
void hnbtre_appraise(struct hnbtre_component *component, struct file *file);
int hnbtre_appraise_init(void);
void hnbtre_appraise_exit(void);

/* tim.c */
void hnbtre_rim(const struct hnbtre_manifest *manifest,
		u8 out[SHA256_DIGEST_SIZE]);
void hnbtre_tim(const struct hnbtre_components *cs,
		u8 out[SHA256_DIGEST_SIZE]);

/* watch.c */
/* The index reported for a directory or symlink on a component's path. */
#define HNBTRE_WATCH_PATH_ENTRY	U32_MAX
/**
 * typedef hnbtre_watch_fn - reports a change that a mark saw
 * @generation: generation of the components the mark belongs to
 * @index: index of the component, or HNBTRE_WATCH_PATH_ENTRY
 * @mask: fsnotify event mask
 *
 * Context: fsnotify's handler, in the context of the process that made
 * the change, possibly with the inode locked: must not sleep on locks
 * held while components are opened.
 */
typedef void (*hnbtre_watch_fn)(u32 generation, u32 index, u32 mask);
int hnbtre_watch_path(struct hnbtre_component *c, u32 generation, u32 index,
		      struct path *found);
int hnbtre_watch_real(struct hnbtre_component *component, struct file *file,
		      u32 generation, u32 index);
void hnbtre_unwatch(struct hnbtre_component *component);
bool hnbtre_watch_intact(struct hnbtre_component *c);
bool hnbtre_watch_is(struct hnbtre_component *c, struct inode *inode);
int hnbtre_watch_init(hnbtre_watch_fn changed);
void hnbtre_watch_exit(void);

/* hold.c */
struct file *hnbtre_hold(struct hnbtre_component *c, const struct path *path);
void hnbtre_release(struct hnbtre_component *c);

/* measure.c */
void hnbtre_measure(const struct hnbtre_status *status);
extern int hnbtre_pcr;

/* keyrings.c */
struct key_restriction *hnbtre_keyring_restriction(key_restrict_link_func_t check);
int hnbtre_keyrings_init(void);
void hnbtre_keyrings_exit(void);

/* der.c */
/**
 * struct hnbtre_der_tlv - one DER element
 * @tag: its tag
 * @value: its contents
 * @len: their length
 */
struct hnbtre_der_tlv {
	u8 tag;
	const u8 *value;
	size_t len;
};

int hnbtre_der_next(const u8 **pos, const u8 *end, u8 tag,
		    struct hnbtre_der_tlv *tlv);
ssize_t hnbtre_der_sequence_announced(const u8 *p, size_t avail);
size_t hnbtre_der_sequence_len(const u8 *p, size_t avail);

/*
 * What a certificate may be to the TrE (Documentation/contract.md,
 * "Signer roles"): a signer of one role, or a CA.  The signer roles are
 * numbered as their OIDs (cert.c).
 */
enum hnbtre_role {
	HNBTRE_ROLE_MANIFEST,
	HNBTRE_ROLE_SOFTWARE,
	HNBTRE_ROLE_COMPONENT,
	HNBTRE_ROLE_CA,
	HNBTRE_ROLE_COUNT,
};

/* cert.c */
int hnbtre_cert_role(const u8 *der, size_t len);

/* roots.c; the DER list of built-in roots is in roots_blob.S */
struct key;
extern const u8 hnbtre_roots_der[];
extern const u8 hnbtre_roots_der_end[];
int hnbtre_verify_pkcs7(enum hnbtre_role role, const void *data, size_t len,
			const void *sig, size_t sig_len);
struct key *hnbtre_find_signer(enum hnbtre_role role, const char *id);
int hnbtre_roots_init(void);
int hnbtre_roots_fs_init(void);
void hnbtre_roots_exit(void);

/**
 * struct hnbtre_upload - a request written to a securityfs file in pieces
 * @data: what was written so far
 * @len: its length
 * @size: allocated size of @data
 * @finished: the request was complete (or refused): no more writes
 * @lock: serialises the file's operations: pwrite() and read() on one
 *	file description do not take its position lock
 */
struct hnbtre_upload {
	struct mutex lock;
	u8 *data;
	size_t len;
	size_t size;
	bool finished;
};

/* fs.c */
extern struct dentry *hnbtre_dir;
typedef ssize_t (*hnbtre_upload_fn)(struct hnbtre_upload *upload,
				    const char __user *buf, size_t count,
				    loff_t *ppos);
ssize_t hnbtre_upload_write(struct hnbtre_upload *upload,
			    const char __user *buf, size_t count, loff_t *ppos,
			    hnbtre_upload_fn append);
void *hnbtre_upload_open(atomic_t *busy, size_t size);
void hnbtre_upload_release(atomic_t *busy, struct hnbtre_upload *upload);
int hnbtre_upload_append(struct hnbtre_upload *upload, const char __user *buf,
			 size_t count, loff_t *ppos, size_t max);
int hnbtre_upload_flush(struct hnbtre_upload *upload);
/**
 * struct hnbtre_sized_file - a write-only securityfs file that takes one
 *	request whose first bytes announce its length (hnbtre_sized_fops)
 * @busy: one transaction at a time
 * @max: the most a request may hold
 * @request_len: the length of the request whose first @len bytes are at
 *	@data: 0 while unknown, or -EBADMSG for none the file takes
 * @submit: acts on the whole request; write() returns what it returns
 *	(0 becomes the byte count).  @data is wiped after the call.
 *
 * A file is created with hnbtre_fs_add_data(name, mode,
 * &hnbtre_sized_fops, file); a structure that embeds it reaches its own
 * fields from @submit with container_of().
 */
struct hnbtre_sized_file {
	atomic_t busy;
	size_t max;
	ssize_t (*request_len)(const u8 *data, size_t len);
	int (*submit)(const struct hnbtre_sized_file *file, const u8 *data,
		      size_t len);
};

extern const struct file_operations hnbtre_sized_fops;

/**
 * struct hnbtre_trigger - a write-only securityfs file that acts on a
 *	write of "1" (hnbtre_trigger_fops)
 * @fire: the action, in process context; write() returns its -errno, or
 *	the byte count for 0
 *
 * The write is refused before @fire with -EPERM without CAP_SYS_ADMIN,
 * -EFAULT for a bad buffer, -EINVAL for anything but "1" or "1\n" at
 * offset 0.  A file is created with hnbtre_fs_add_data(name, mode,
 * &hnbtre_trigger_fops, trigger).
 */
struct hnbtre_trigger {
	int (*fire)(void);
};

extern const struct file_operations hnbtre_trigger_fops;
int hnbtre_fs_add(const char *name, umode_t mode,
		  const struct file_operations *fops);
int hnbtre_fs_add_data(const char *name, umode_t mode,
		       const struct file_operations *fops, void *data);
int hnbtre_fs_init(void);
void hnbtre_fs_exit(void);

/* devkey.c (Documentation/devkey.md) */
/* A wrapper: the magic, then one DER SEQUENCE of at most 4 KiB. */
#define HNBTRE_DEVKEY_WRAPPER_MAX	(HNBTRE_DEVKEY_MAGIC_LEN + 4 + 4096)
ssize_t hnbtre_devkey_wrapper_len(const u8 *p, size_t len);
int hnbtre_devkey_parse_pkcs8(const u8 *data, size_t len,
			      struct hnbtre_der_tlv *key);
int hnbtre_devkey_wrapper_modulus(const u8 *wrapper, size_t len,
				  struct hnbtre_der_tlv *key, const u8 **n,
				  size_t *n_len);
int hnbtre_devkey_init(void);
void hnbtre_devkey_exit(void);

/* tpm2.c */
/* NV index attributes (TPMA_NV) and types (TPM_NT), TPM 2.0 Part 2 */
#define TPMA_NV_TYPE(attributes)	(((attributes) >> 4) & 0xf)
#define TPM_NT_ORDINARY			0
#define TPM_NT_COUNTER			1
#define TPMA_NV_AUTHWRITE		BIT(2)
#define TPMA_NV_WRITELOCKED		BIT(11)
#define TPMA_NV_WRITEDEFINE		BIT(13)
#define TPMA_NV_AUTHREAD		BIT(18)
#define TPMA_NV_WRITTEN			BIT(29)

/**
 * struct hnbtre_nv_public - what the TrE uses of an NV index's public area
 * @attributes: TPMA_NV bits, the type included
 * @data_size: size of the index's data
 */
struct hnbtre_nv_public {
	u32 attributes;
	u16 data_size;
};

struct tpm_chip;
struct tpm_chip *hnbtre_tpm2_chip(void);
int hnbtre_tpm2_nv_read_public(struct tpm_chip *chip, u32 index,
			       struct hnbtre_nv_public *pub);
int hnbtre_tpm2_nv_read(struct tpm_chip *chip, u32 index, u8 *data, u16 size);
int hnbtre_tpm2_nv_increment(struct tpm_chip *chip, u32 index);

int hnbtre_tpm2_pcr_read_locked(struct tpm_chip *chip, u32 pcr,
				u8 digest[SHA256_DIGEST_SIZE]);
int hnbtre_tpm2_pcr_extend_locked(struct tpm_chip *chip, u32 pcr,
				  const u8 digest[SHA256_DIGEST_SIZE]);
int hnbtre_tpm2_policy_session_locked(struct tpm_chip *chip, u32 pcr_mask,
				      u32 *handle);
int hnbtre_tpm2_load_locked(struct tpm_chip *chip, u32 parent,
			    const u8 *private, u16 private_len,
			    const u8 *public, u16 public_len, u32 *handle);
int hnbtre_tpm2_unseal_locked(struct tpm_chip *chip, u32 object, u32 session,
			      u8 *data, u16 size);

/* seal.c (Documentation/devkey.md, "Keys at rest") */
/**
 * typedef hnbtre_unsealed_fn - takes a key released by hnbtre_seal_release()
 * @plain: the clear key as its file would take it in clear; wiped after
 *	the call
 * @len: its length
 *
 * Return: 0 or -errno, reported in "seal".
 */
typedef int (*hnbtre_unsealed_fn)(const u8 *plain, size_t len);
ssize_t hnbtre_seal_blob_len(const u8 *data, size_t len);
ssize_t hnbtre_seal_pair_len(const u8 *data, size_t len);
int hnbtre_seal_submit(const char *name, enum hnbtre_state verdict,
		       hnbtre_unsealed_fn admit, const u8 *blob, size_t len);
int hnbtre_seal_submit_pair(const char *trusted_name, const char *failed_name,
			    hnbtre_unsealed_fn admit, const u8 *pair,
			    size_t len);
void hnbtre_seal_release(enum hnbtre_state verdict);
int hnbtre_seal_init(void);
void hnbtre_seal_exit(void);

/* floor.c */
int hnbtre_floor_init(void);
u64 hnbtre_floor(void);
int hnbtre_floor_check(u64 version);
void hnbtre_floor_raise(u64 version);
bool hnbtre_floor_persistent(void);

/* identity.c */
const char *hnbtre_identity(size_t *len);
enum hnbtre_identity_source hnbtre_identity_source(void);
int hnbtre_identity_init(void);

/* attest.c (Documentation/attestation.md) */
int hnbtre_attest_init(void);

/* attest_key.c (Documentation/attestation.md, "The attestation key") */
int hnbtre_attest_key_load(const u8 *wrapper, size_t len);
int hnbtre_attest_key_exclude(const char *description, const u8 *n,
			      size_t n_len);
int hnbtre_attest_signer(const u8 **cert, size_t *cert_len);
int hnbtre_attest_sign(const u8 *digest, u8 *sig, size_t sig_size);
int hnbtre_attest_key_init(void);
void hnbtre_attest_key_exit(void);

/* distress.c (Documentation/distress.md) */
bool hnbtre_distress_credential_allowed(void);
int hnbtre_distress_init(void);
/* package.c (Documentation/package.md) */
int hnbtre_package_init(void);

#endif /* _SECURITY_HNBTRE_H */
