// SPDX-License-Identifier: GPL-2.0-only
/*
 * hnbtre key generate / key seal: keys sealed by this device's TPM, for
 * the TrE to unseal (Documentation/devkey.md, "Keys at rest").
 *
 * The clear key exists only in this process's memory: it is generated
 * (or read once, for `seal`), wrapped, encrypted with AES-256-GCM under a
 * random key (KEK), and only the KEK goes to the TPM, through a pipe to
 * tpm2_create's standard input.  Every buffer that held the key or the
 * KEK is cleansed.  tpm2-tools do the TPM side; the temporary directory
 * they write to receives only public data (the policy digest, the
 * object's public and private areas, which are encrypted by the TPM).
 * The attestation key (--attest) is sealed twice, to trusted and to
 * failed, into one file: the TrE needs it whatever its verdict.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "cli.h"
#include "key.h"
#include "hnbtre.h"

extern char **environ;

#define TPM_CC_POLICY_PCR	0x0000017f
#define TPM_ALG_SHA256		0x000b
#define PCR_COUNT		24

/*
 * The wrapper of @key into a buffer to be freed with
 * OPENSSL_secure_clear_free(); @name for the messages.
 */
static int key_wrapper(EVP_PKEY *key, const char *name,
		       unsigned char **wrapper, size_t *len)
{
	int bits = EVP_PKEY_get_bits(key);

	if (!EVP_PKEY_is_a(key, "RSA") || !HNBTRE_DEVKEY_BITS_VALID(bits)) {
		die_msg("%s: the device key must be RSA %d or %d (the 6.1 kernel signs nothing else)",
			name, HNBTRE_DEVKEY_BITS_MIN, HNBTRE_DEVKEY_BITS_MAX);
		return -1;
	}
	if (wrap_device_key(key, wrapper, len)) {
		die_msg("cannot encode the key as PKCS#8");
		return -1;
	}
	return 0;
}

/* Run @argv; @in, if any, is its standard input; its output is dropped
 * unless @show.  Returns its exit status, or -1. */
static int run(char *const argv[], const void *in, size_t in_len, bool show)
{
	posix_spawn_file_actions_t fa;
	int pipefd[2] = { -1, -1 }, status = -1;
	pid_t pid;

	if (posix_spawn_file_actions_init(&fa))
		return -1;
	if (in) {
		if (pipe2(pipefd, O_CLOEXEC))
			goto out;
		posix_spawn_file_actions_adddup2(&fa, pipefd[0], STDIN_FILENO);
	}
	if (!show) {
		posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null",
						 O_WRONLY, 0);
		posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null",
						 O_WRONLY, 0);
	}
	if (posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ)) {
		die_msg("cannot run %s: %s (tpm2-tools installed?)", argv[0],
			strerror(errno));
		goto out;
	}
	if (in) {
		close(pipefd[0]);
		pipefd[0] = -1;
		if (write_all(pipefd[1], in, in_len))
			die_msg("%s: cannot pass its input", argv[0]);
		close(pipefd[1]);
		pipefd[1] = -1;
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
out:
	if (pipefd[0] >= 0)
		close(pipefd[0]);
	if (pipefd[1] >= 0)
		close(pipefd[1]);
	posix_spawn_file_actions_destroy(&fa);
	return status;
}

/* SHA-256(HNBTRE_VERDICT_PREFIX word): what the TrE extends the PCR with. */
static void verdict_value(const char *word, unsigned char out[32])
{
	char text[64];

	snprintf(text, sizeof(text), "%s%s", HNBTRE_VERDICT_PREFIX, word);
	EVP_Digest(text, strlen(text), out, NULL, EVP_sha256(), NULL);
}

/* The storage parent, made from the owner hierarchy's default (SRK)
 * template and made persistent if it is not there yet. */
static int ensure_parent(const struct seal_options *o, const char *dir)
{
	char handle[16], ctx[PATH_MAX];

	snprintf(handle, sizeof(handle), "0x%08lx", o->parent);
	if (!run((char *[]){ "tpm2_readpublic", "-c", handle, NULL }, NULL, 0,
		 false))
		return 0;
	snprintf(ctx, sizeof(ctx), "%s/primary.ctx", dir);
	if (run((char *[]){ "tpm2_createprimary", "-Q", "-C", "o", "-g", "sha256",
			    "-G", "rsa2048:null:aes128cfb", "-c", ctx, NULL },
		NULL, 0, true) ||
	    run((char *[]){ "tpm2_evictcontrol", "-Q", "-C", "o", "-c", ctx,
			    handle, NULL }, NULL, 0, true)) {
		die_msg("cannot make the storage parent %s", handle);
		return -1;
	}
	return 0;
}

/*
 * TPM2_PolicyPCR's digest over the PCRs of @mask (SHA-256 bank) with the
 * values the TrE will find at the release: the verdict PCR extended once
 * from zero with the verdict's value, the boot PCRs as they are now.
 */
static int policy_digest(const struct seal_options *o, unsigned int mask,
			 const char *dir, unsigned char digest[32])
{
	unsigned char values[PCR_COUNT][32], zero_then[64], buf[64 + 14];
	unsigned char pcr_digest[32];
	char list[128] = "sha256:", out[PATH_MAX];
	unsigned int boot = mask & ~(1u << o->verdict_pcr), n = 0, i;
	EVP_MD_CTX *md;
	FILE *f;

	if (boot) {
		for (i = 0; i < PCR_COUNT; i++)
			if (boot & (1u << i))
				snprintf(list + strlen(list), sizeof(list) - strlen(list),
					 "%s%u", n++ ? "," : "", i);
		snprintf(out, sizeof(out), "%s/pcrs", dir);
		if (run((char *[]){ "tpm2_pcrread", "-Q", list, "-o", out, NULL },
			NULL, 0, true)) {
			die_msg("cannot read PCRs %s", list);
			return -1;
		}
		f = fopen(out, "rb");
		for (i = 0; i < PCR_COUNT; i++)
			if ((boot & (1u << i)) &&
			    (!f || fread(values[i], 32, 1, f) != 1)) {
				die_msg("%s: short PCR values", out);
				if (f)
					fclose(f);
				return -1;
			}
		fclose(f);
	}
	memset(zero_then, 0, 32);
	verdict_value(o->verdict, zero_then + 32);
	EVP_Digest(zero_then, 64, values[o->verdict_pcr], NULL, EVP_sha256(), NULL);

	md = EVP_MD_CTX_new();
	if (!md)
		return -1;
	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	for (i = 0; i < PCR_COUNT; i++)
		if (mask & (1u << i))
			EVP_DigestUpdate(md, values[i], 32);
	EVP_DigestFinal_ex(md, pcr_digest, NULL);
	/* policyDigest' = H(0^32 || TPM_CC_PolicyPCR || TPML_PCR_SELECTION || pcrDigest) */
	memset(buf, 0, 32);
	buf[32] = TPM_CC_POLICY_PCR >> 24;
	buf[33] = TPM_CC_POLICY_PCR >> 16;
	buf[34] = TPM_CC_POLICY_PCR >> 8;
	buf[35] = TPM_CC_POLICY_PCR & 0xff;
	buf[36] = buf[37] = buf[38] = 0;
	buf[39] = 1;			/* count */
	buf[40] = 0;
	buf[41] = TPM_ALG_SHA256;
	buf[42] = 3;			/* sizeofSelect */
	buf[43] = mask & 0xff;
	buf[44] = (mask >> 8) & 0xff;
	buf[45] = (mask >> 16) & 0xff;
	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	EVP_DigestUpdate(md, buf, 46);
	EVP_DigestUpdate(md, pcr_digest, 32);
	EVP_DigestFinal_ex(md, digest, NULL);
	EVP_MD_CTX_free(md);
	return 0;
}

static unsigned char *read_whole(const char *path, size_t *len)
{
	unsigned char *data = NULL;
	FILE *f = fopen(path, "rb");
	long size;

	if (!f)
		return NULL;
	if (!fseek(f, 0, SEEK_END) && (size = ftell(f)) > 0 && size < 4096 &&
	    !fseek(f, 0, SEEK_SET)) {
		data = malloc(size);
		if (data && fread(data, size, 1, f) != 1) {
			free(data);
			data = NULL;
		}
		*len = size;
	}
	fclose(f);
	return data;
}

static void put16(unsigned char *p, unsigned int v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

/* Remove the temporary directory's files, then it. */
static void remove_dir(const char *dir)
{
	static const char *const names[] = { "primary.ctx", "pcrs", "policy",
					     "pub", "priv" };
	char path[PATH_MAX];
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		unlink(path);
	}
	rmdir(dir);
}

int seal_blob(const struct seal_options *o, const unsigned char *wrapper,
	      size_t wrapper_len, unsigned char **out, size_t *out_len)
{
	unsigned char kek[HNBTRE_SEALED_KEK_LEN], nonce[HNBTRE_SEALED_NONCE_LEN];
	unsigned char policy[32], tag[HNBTRE_SEALED_TAG_LEN], *pub = NULL;
	unsigned char *priv = NULL, *blob = NULL;
	char dir[] = "/tmp/hnbtre-seal.XXXXXX", path[PATH_MAX];
	char pub_path[PATH_MAX], priv_path[PATH_MAX], handle[16];
	unsigned int mask = o->boot_pcr_mask | (1u << o->verdict_pcr);
	size_t pub_len = 0, priv_len = 0, off, total;
	EVP_CIPHER_CTX *c = NULL;
	int n, ret = -1;
	FILE *f;

	if (!mkdtemp(dir)) {
		die_msg("mkdtemp: %s", strerror(errno));
		return -1;
	}
	if (RAND_priv_bytes(kek, sizeof(kek)) != 1 ||
	    RAND_bytes(nonce, sizeof(nonce)) != 1)
		goto out;
	if (ensure_parent(o, dir) || policy_digest(o, mask, dir, policy))
		goto out;
	snprintf(path, sizeof(path), "%s/policy", dir);
	f = fopen(path, "wb");
	if (!f || fwrite(policy, sizeof(policy), 1, f) != 1 || fclose(f)) {
		die_msg("%s: cannot write", path);
		goto out;
	}
	snprintf(pub_path, sizeof(pub_path), "%s/pub", dir);
	snprintf(priv_path, sizeof(priv_path), "%s/priv", dir);
	snprintf(handle, sizeof(handle), "0x%08lx", o->parent);
	/* No userwithauth: only the policy unseals it. */
	if (run((char *[]){ "tpm2_create", "-Q", "-C", handle, "-g", "sha256",
			    "-L", path, "-a", "fixedtpm|fixedparent", "-i", "-",
			    "-u", pub_path, "-r", priv_path, NULL },
		kek, sizeof(kek), true)) {
		die_msg("tpm2_create failed: the KEK was not sealed");
		goto out;
	}
	pub = read_whole(pub_path, &pub_len);
	priv = read_whole(priv_path, &priv_len);
	if (!pub || !priv) {
		die_msg("tpm2_create wrote no object");
		goto out;
	}
	total = HNBTRE_SEALED_HEADER_LEN + pub_len + priv_len +
		HNBTRE_SEALED_NONCE_LEN + wrapper_len + HNBTRE_SEALED_TAG_LEN;
	if (total > HNBTRE_SEALED_MAX)
		goto out;
	blob = calloc(1, total);
	if (!blob)
		goto out;
	memcpy(blob, HNBTRE_SEALED_MAGIC, HNBTRE_SEALED_MAGIC_LEN);
	blob[HNBTRE_SEALED_OFF_PCR_MASK] = mask >> 24;
	blob[HNBTRE_SEALED_OFF_PCR_MASK + 1] = mask >> 16;
	blob[HNBTRE_SEALED_OFF_PCR_MASK + 2] = mask >> 8;
	blob[HNBTRE_SEALED_OFF_PCR_MASK + 3] = mask & 0xff;
	put16(blob + HNBTRE_SEALED_OFF_PUBLIC_LEN, pub_len);
	put16(blob + HNBTRE_SEALED_OFF_PRIVATE_LEN, priv_len);
	put16(blob + HNBTRE_SEALED_OFF_CIPHERTEXT_LEN, wrapper_len);
	off = HNBTRE_SEALED_HEADER_LEN;
	memcpy(blob + off, pub, pub_len);
	off += pub_len;
	memcpy(blob + off, priv, priv_len);
	off += priv_len;
	memcpy(blob + off, nonce, sizeof(nonce));

	c = EVP_CIPHER_CTX_new();
	if (!c ||
	    EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, kek, nonce) != 1 ||
	    EVP_EncryptUpdate(c, NULL, &n, blob, off) != 1 ||
	    EVP_EncryptUpdate(c, blob + off + sizeof(nonce), &n, wrapper,
			      wrapper_len) != 1 ||
	    EVP_EncryptFinal_ex(c, blob + off + sizeof(nonce) + n, &n) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, sizeof(tag), tag) != 1) {
		die_msg("AES-256-GCM failed");
		goto out;
	}
	memcpy(blob + total - sizeof(tag), tag, sizeof(tag));
	*out = blob;
	*out_len = total;
	blob = NULL;
	ret = 0;
out:
	OPENSSL_cleanse(kek, sizeof(kek));
	EVP_CIPHER_CTX_free(c);
	free(blob);
	free(pub);
	free(priv);
	remove_dir(dir);
	return ret;
}

/*
 * Seal the clear wrapper @wrapper into a new file @out (or "-"): one blob
 * sealed to the verdict of @o, or for the attestation key (@attest) the
 * one sealed to trusted and the one sealed to failed, end to end.
 */
static int seal_wrapper(const struct seal_options *o, bool attest,
			const unsigned char *wrapper, size_t wrapper_len,
			const char *out)
{
	static const char *const both[] = { "trusted", "failed" };
	unsigned char *blob[2] = { NULL, NULL };
	size_t len[2] = { 0, 0 }, i, count = attest ? 2 : 1;
	struct seal_options one = *o;
	int fd, ret = -1;

	for (i = 0; i < count; i++) {
		if (attest)
			one.verdict = both[i];
		if (seal_blob(&one, wrapper, wrapper_len, &blob[i], &len[i]))
			goto out;
	}
	fd = strcmp(out, "-") ?
	     open(out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600) :
	     STDOUT_FILENO;
	for (i = 0; fd >= 0 && i < count; i++)
		if (write_all(fd, blob[i], len[i]))
			break;
	if (fd < 0 || i < count || (fd != STDOUT_FILENO && close(fd)))
		die_msg("%s: %s", out, strerror(errno));
	else
		ret = 0;
out:
	free(blob[0]);
	free(blob[1]);
	return ret;
}

/* The PCR mask of a sealed blob as seal_blob() writes it, 0 for anything else. */
unsigned int seal_blob_pcr_mask(const unsigned char *blob, size_t len)
{
	const unsigned char *m = blob + HNBTRE_SEALED_OFF_PCR_MASK;

	if (len < HNBTRE_SEALED_HEADER_LEN ||
	    memcmp(blob, HNBTRE_SEALED_MAGIC, HNBTRE_SEALED_MAGIC_LEN))
		return 0;
	return (unsigned int)m[0] << 24 | m[1] << 16 | m[2] << 8 | m[3];
}

int seal_parse_verdict_pcr(const char *arg)
{
	char *end;
	long pcr = strtol(arg, &end, 10);

	return *arg && !*end && pcr >= 0 && pcr <= 15 ? (int)pcr : -1;
}

/* The PCR list "0,2,7" as a mask; -1 if it names anything else. */
static long parse_pcrs(const char *list)
{
	long mask = 0;
	char *end;

	while (*list) {
		long pcr = strtol(list, &end, 10);

		if (end == list || pcr < 0 || pcr >= PCR_COUNT ||
		    (*end && *end != ','))
			return -1;
		mask |= 1L << pcr;
		list = *end ? end + 1 : end;
	}
	return mask;
}

/*
 * The options both commands take; returns optind or -1.  *@attest: the
 * key is the attestation key (--attest), sealed to both verdicts.
 */
static int seal_options_parse(int argc, char **argv, struct seal_options *o,
			      bool *attest, int *bits, const char **identity)
{
	static const struct option opts[] = {
		{ "verdict-pcr", required_argument, NULL, 'p' },
		{ "boot-pcrs", required_argument, NULL, 'b' },
		{ "parent", required_argument, NULL, 'P' },
		{ "distress", no_argument, NULL, 'd' },
		{ "attest", no_argument, NULL, 'a' },
		{ "bits", required_argument, NULL, 'B' },
		{ "identity", required_argument, NULL, 'i' },
		{}
	};
	long mask;
	char *end;
	int c;

	o->verdict_pcr = HNBTRE_VERDICT_PCR_DEFAULT;
	o->boot_pcr_mask = 0;
	o->parent = HNBTRE_SEAL_PARENT_DEFAULT;
	o->verdict = "trusted";
	*attest = false;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			o->verdict_pcr = seal_parse_verdict_pcr(optarg);
			if (o->verdict_pcr < 0)
				goto bad;
			break;
		case 'b':
			mask = parse_pcrs(optarg);
			if (mask < 0)
				goto bad;
			o->boot_pcr_mask = mask;
			break;
		case 'P':
			o->parent = strtoul(optarg, &end, 0);
			if (*end || (o->parent >> 24) != 0x81)
				goto bad;
			break;
		case 'd':
			o->verdict = "failed";
			break;
		case 'a':
			*attest = true;
			break;
		case 'B':
			if (!bits)
				goto bad;
			*bits = strtol(optarg, &end, 10);
			if (*end || !HNBTRE_DEVKEY_BITS_VALID(*bits))
				goto bad;
			break;
		case 'i':
			if (!identity)
				goto bad;
			*identity = optarg;
			break;
		default:
			return -1;
		}
	}
	if (*attest && strcmp(o->verdict, "trusted")) {
		die_msg("--attest and --distress: a key is one or the other");
		return -1;
	}
	return optind;
bad:
	die_msg("%s: invalid option value", optarg);
	return -1;
}

/* hnbtre key seal [OPTIONS] IN.pk8 OUT|- */
static int seal(int argc, char **argv)
{
	struct seal_options o;
	bool attest;
	unsigned char *wrapper = NULL;
	size_t wrapper_len = 0;
	EVP_PKEY *key = NULL;
	int i, ret = EXIT_ERROR;

	i = seal_options_parse(argc, argv, &o, &attest, NULL, NULL);
	if (i < 0 || argc - i != 2) {
		die_msg("usage: key seal [--distress|--attest] [--verdict-pcr N] [--boot-pcrs LIST] [--parent HANDLE] IN.pk8 OUT|-");
		return EXIT_ERROR;
	}
	key = key_read_pkcs8(argv[i]);
	if (!key) {
		die_msg("%s: not an unencrypted private key", argv[i]);
		return EXIT_ERROR;
	}
	if (!key_wrapper(key, argv[i], &wrapper, &wrapper_len) &&
	    !seal_wrapper(&o, attest, wrapper, wrapper_len, argv[i + 1]))
		ret = EXIT_OK;
	OPENSSL_secure_clear_free(wrapper, wrapper_len);
	EVP_PKEY_free(key);
	return ret;
}

/*
 * A CSR for @key whose subject carries @identity (devkey.md); for the
 * attestation key it asks for the attestation role (attestation.md).
 */
static int write_csr(EVP_PKEY *key, const char *identity, bool attest,
		     const char *out)
{
	char uri[sizeof(HNBTRE_IDENTITY_URI_PREFIX) + HNBTRE_IDENTITY_MAX];
	X509_REQ *req = X509_REQ_new();
	STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
	X509_EXTENSION *san = NULL, *role = NULL;
	X509_NAME *name;
	int fd = -1, ret = -1;
	FILE *f = NULL;

	snprintf(uri, sizeof(uri), "URI:%s%s", HNBTRE_IDENTITY_URI_PREFIX,
		 identity);
	if (!req || !exts)
		goto out;
	name = X509_REQ_get_subject_name(req);
	san = X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name, uri);
	if (!X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
					(const unsigned char *)identity, -1, -1, 0) ||
	    !san || !sk_X509_EXTENSION_push(exts, san))
		goto out;
	san = NULL;
	if (attest) {
		role = X509V3_EXT_conf_nid(NULL, NULL, NID_ext_key_usage,
					   HNBTRE_ATTEST_ROLE_OID);
		if (!role || !sk_X509_EXTENSION_push(exts, role))
			goto out;
		role = NULL;
	}
	if (!X509_REQ_add_extensions(req, exts) ||
	    !X509_REQ_set_pubkey(req, key) ||
	    !X509_REQ_sign(req, key, EVP_sha256()))
		goto out;
	fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f || !PEM_write_X509_REQ(f, req))
		goto out;
	ret = 0;
out:
	if (f)
		ret = fclose(f) ? -1 : ret;
	else if (fd >= 0)
		close(fd);
	if (ret)
		die_msg("%s: cannot write the CSR", out);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	X509_EXTENSION_free(san);
	X509_EXTENSION_free(role);
	X509_REQ_free(req);
	return ret;
}

/* hnbtre key generate [OPTIONS] --identity ID SEALED CSR */
static int generate(int argc, char **argv)
{
	const char *identity = NULL;
	unsigned char *wrapper = NULL;
	size_t wrapper_len = 0;
	struct seal_options o;
	bool attest;
	int i, bits = HNBTRE_DEVKEY_BITS_MIN, ret = EXIT_ERROR;
	EVP_PKEY *key;

	i = seal_options_parse(argc, argv, &o, &attest, &bits, &identity);
	if (i < 0 || argc - i != 2 || !identity || !*identity ||
	    strlen(identity) > HNBTRE_IDENTITY_MAX) {
		die_msg("usage: key generate --identity ID [--bits 2048|3072] [--distress|--attest] [--verdict-pcr N] [--boot-pcrs LIST] [--parent HANDLE] SEALED CSR");
		return EXIT_ERROR;
	}
	key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
	if (!key) {
		die_msg("RSA key generation failed");
		return EXIT_ERROR;
	}
	if (!key_wrapper(key, "generated key", &wrapper, &wrapper_len) &&
	    !seal_wrapper(&o, attest, wrapper, wrapper_len, argv[i]) &&
	    !write_csr(key, identity, attest, argv[i + 1]))
		ret = EXIT_OK;
	OPENSSL_secure_clear_free(wrapper, wrapper_len);
	EVP_PKEY_free(key);
	return ret;
}

const struct command seal_commands[] = {
	{ "key", "generate", "--identity ID [--bits N] [SEAL OPTIONS] SEALED CSR   new key, sealed to this TPM", generate },
	{ "key", "seal", "[--distress|--attest] [--verdict-pcr N] [--boot-pcrs LIST] [--parent H] IN.pk8 OUT|-   seal a key to this TPM", seal },
	{}
};
