// SPDX-License-Identifier: GPL-2.0-only
/* hnbtre pkg build | sign | inspect | verify | install (Documentation/package.md) */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "cli.h"
#include "hnbtre_pkg_build.h"
#include "hnbtre_pkg_install.h"

/* Exit status of verify and install when the package is refused. */
#define EXIT_REFUSED	1

static int parse_u64(const char *s, uint64_t *out)
{
	char *end;

	errno = 0;
	*out = strtoull(s, &end, 10);
	return errno || *end || !*s || s[0] == '-' || s[0] == '+' ? -EINVAL : 0;
}

static void progress(uint64_t done, uint64_t total, void *arg)
{
	static int last = -1;
	int pct = total ? (int)(done * 100 / total) : 100;

	(void)arg;
	if (pct != last) {
		fprintf(stderr, "\rhnbtre: %3d%%%s", pct, pct == 100 ? "\n" : "");
		last = pct;
	}
}

/* Progress only where a person watches. */
static hnbtre_pkg_progress tty_progress(void)
{
	return isatty(STDERR_FILENO) ? progress : NULL;
}

/* ---- build ---- */

static struct {
	const char *dir;
	const char *prefix;
	struct hnbtre_pkg_file *files;
	size_t count;
	int error;
} walk;

/* A file's security.ima signature travels with it (evmctl ima_sign). */
static int ima_signature(const char *path, struct hnbtre_pkg_file *f)
{
	uint8_t sig[HNBTRE_PKG_IMA_SIG_MAX];
	ssize_t n = lgetxattr(path, "security.ima", sig, sizeof(sig));

	if (n < 0)
		return errno == ENODATA || errno == ENOTSUP ? 0 :
		       (walk.error = -errno);
	if (n < 2 || sig[0] != 0x03)
		return 0;	/* a digest only (type 0x04) says nothing */
	f->ima_sig = malloc(n);
	if (!f->ima_sig)
		return walk.error = -ENOMEM;
	memcpy(f->ima_sig, sig, n);
	f->ima_sig_len = n;
	return 0;
}

static int sha1_file(const char *path, uint8_t out[HNBTRE_PKG_SHA1_LEN]);

static int walk_one(const char *path, const struct stat *st, int type,
		    struct FTW *ftw)
{
	struct hnbtre_pkg_file *f;
	char *install;
	void *bigger;
	int ret;

	(void)ftw;
	if (type == FTW_D)
		return 0;
	if (type != FTW_F || !S_ISREG(st->st_mode)) {
		die_msg("%s: only regular files and directories can be packaged",
			path);
		return walk.error = -EINVAL;
	}
	if (asprintf(&install, "%s%s", walk.prefix,
		     path + strlen(walk.dir)) < 0)
		return walk.error = -ENOMEM;
	if (!hnbtre_path_valid(install, strlen(install))) {
		die_msg("%s: not a valid install path", install);
		free(install);
		return walk.error = -EINVAL;
	}
	bigger = realloc(walk.files, (walk.count + 1) * sizeof(*walk.files));
	if (!bigger) {
		free(install);
		return walk.error = -ENOMEM;
	}
	walk.files = bigger;
	f = &walk.files[walk.count++];
	memset(f, 0, sizeof(*f));
	f->path = install;
	f->size = st->st_size;
	f->mode = st->st_mode & 0777;
	f->type = HNBTRE_PKG_CMD_EXTRACT;
	f->has_sha256 = 1;
	ret = hnbtre_hash_file(path, f->digest);
	if (!ret)
		ret = sha1_file(path, f->sha1);
	if (ret) {
		die_msg("%s: %s", path, strerror(-ret));
		return walk.error = ret;
	}
	return ima_signature(path, f);
}

static int compare_files(const void *a, const void *b)
{
	return strcmp(((const struct hnbtre_pkg_file *)a)->path,
		      ((const struct hnbtre_pkg_file *)b)->path);
}

/* The package file being written (pkg build, pkg sign). */
static FILE *output_open(const char *path)
{
	FILE *out = fopen(path, "wb");

	if (!out)
		die_msg("%s: %s", path, strerror(errno));
	return out;
}

/* Closes OUT (if open); a package not written in full is removed. */
static int output_close(FILE *out, const char *path, int ret)
{
	if (out && (fclose(out) || ret)) {
		unlink(path);
		return EXIT_ERROR;
	}
	return ret;
}

static int write_all(FILE *out, const void *data, size_t len)
{
	return fwrite(data, 1, len, out) == len ? 0 : -EIO;
}

/* Copy a payload file, hashing again: it must not change while we build. */
static int copy_file(const char *src, const struct hnbtre_pkg_file *f,
		     FILE *out)
{
	uint8_t buf[1 << 16], digest[HNBTRE_DIGEST_LEN];
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	FILE *in = fopen(src, "rb");
	uint64_t total = 0;
	size_t n;
	int ret = -EIO;

	if (!ctx || !in || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL))
		goto out;
	while ((n = fread(buf, 1, sizeof(buf), in))) {
		if (!EVP_DigestUpdate(ctx, buf, n) || write_all(out, buf, n))
			goto out;
		total += n;
	}
	if (ferror(in) || !EVP_DigestFinal_ex(ctx, digest, NULL))
		goto out;
	ret = total == f->size && !memcmp(digest, f->digest, sizeof(digest)) ?
	      0 : -EAGAIN;
out:
	if (in)
		fclose(in);
	EVP_MD_CTX_free(ctx);
	return ret;
}

/* SHA-1 of a file for its Extract command (the annex's hash). */
static int sha1_file(const char *path, uint8_t out[HNBTRE_PKG_SHA1_LEN])
{
	uint8_t buf[1 << 16];
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	FILE *in = fopen(path, "rb");
	size_t n;
	int ret = -EIO;

	if (!ctx || !in || !EVP_DigestInit_ex(ctx, EVP_sha1(), NULL))
		goto out;
	while ((n = fread(buf, 1, sizeof(buf), in)))
		if (!EVP_DigestUpdate(ctx, buf, n))
			goto out;
	if (!ferror(in) && EVP_DigestFinal_ex(ctx, out, NULL))
		ret = 0;
out:
	if (in)
		fclose(in);
	EVP_MD_CTX_free(ctx);
	return ret;
}

static int version_array(const char *s, uint32_t type, struct hnbtre_buf *b)
{
	struct hnbtre_pkg_version v;
	uint8_t value[4 * HNBTRE_PKG_VERSION_MAX];
	size_t i;

	if (hnbtre_pkg_version_parse(s, strlen(s), &v))
		return -EINVAL;
	for (i = 0; i < v.n; i++) {
		value[4 * i] = v.v[i] >> 24;
		value[4 * i + 1] = v.v[i] >> 16;
		value[4 * i + 2] = v.v[i] >> 8;
		value[4 * i + 3] = v.v[i];
	}
	return hnbtre_pkg_add(b, type, value, 4 * v.n);
}

/* Remove File and Remove Sub-Tree paths, in the order given. */
struct removal {
	uint32_t type;
	const char *path;
};

static int pkg_build(int argc, char **argv)
{
	static const struct option options[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "prefix", required_argument, NULL, 'p' },
		{ "manifest", required_argument, NULL, 'm' },
		{ "version", required_argument, NULL, 'v' },
		{ "description", required_argument, NULL, 'D' },
		{ "remove", required_argument, NULL, 'r' },
		{ "remove-tree", required_argument, NULL, 'T' },
		{ "min-version", required_argument, NULL, 'N' },
		{ "max-version", required_argument, NULL, 'X' },
		{ "role", required_argument, NULL, 'R' },
		{ "reboot", no_argument, NULL, 'B' },
		{ "allow-downgrade", no_argument, NULL, 'a' },
		{ "output", required_argument, NULL, 'o' },
		{}
	};
	const char *manifest_path = NULL, *description = NULL, *output = NULL;
	const char *version = NULL, *min_version = NULL, *max_version = NULL;
	struct hnbtre_pkg_version parsed_version;
	struct hnbtre_buf cmds = { 0 };
	struct hnbtre_pkg pkg = { 0 };
	struct hnbtre_pkg_file mf = { 0 };
	struct removal *remove = NULL;
	char err[HNBTRE_ERR_LEN];
	uint8_t header[HNBTRE_PKG_HEADER_LEN], *manifest = NULL, *sig = NULL;
	uint8_t *signed_part = NULL;
	size_t manifest_len, nremove = 0, sig_len = 0, i;
	uint64_t payload_len, role = 0;
	int opt, allow_downgrade = 0, reboot = 0, ret = EXIT_ERROR;
	FILE *out = NULL;

	memset(&walk, 0, sizeof(walk));
	remove = calloc(argc, sizeof(*remove));
	if (!remove)
		return EXIT_ERROR;
	while ((opt = getopt_long(argc, argv, "d:p:m:v:D:r:T:N:X:R:Bao:", options,
				  NULL)) != -1) {
		switch (opt) {
		case 'd': walk.dir = optarg; break;
		case 'p': walk.prefix = optarg; break;
		case 'm': manifest_path = optarg; break;
		case 'D': description = optarg; break;
		case 'r':
		case 'T':
			remove[nremove].type = opt == 'r' ? HNBTRE_PKG_CMD_REMOVE :
					       HNBTRE_PKG_CMD_REMOVE_SUBTREE;
			remove[nremove++].path = optarg;
			break;
		case 'N': min_version = optarg; break;
		case 'X': max_version = optarg; break;
		case 'R':
			if (parse_u64(optarg, &role) || !role || role > UINT32_MAX) {
				die_msg("--role: 1 (software upgrade), 2 (software recovery), ...");
				goto out;
			}
			break;
		case 'B': reboot = 1; break;
		case 'a': allow_downgrade = 1; break;
		case 'o': output = optarg; break;
		case 'v': version = optarg; break;
		default:
			goto out;
		}
	}
	if (!walk.dir || !walk.prefix || !manifest_path || !version ||
	    !output || optind != argc) {
		die_msg("usage: pkg build --dir D --prefix /P --manifest M.signed --version V -o OUT");
		goto out;
	}
	if (hnbtre_pkg_version_parse(version, strlen(version), &parsed_version)) {
		die_msg("--version: a dotted number such as 2 or 1.0.3");
		goto out;
	}
	opt = hnbtre_read_file(manifest_path, HNBTRE_MANIFEST_MAX_SIZE, &manifest,
			       &manifest_len);
	if (opt) {
		die_msg("%s: %s", manifest_path, strerror(-opt));
		goto out;
	}
	if (nftw(walk.dir, walk_one, 32, FTW_PHYS) || walk.error)
		goto out;
	qsort(walk.files, walk.count, sizeof(*walk.files), compare_files);

	/* Payload: the manifest, then the files in path order. */
	mf.size = manifest_len;
	SHA256(manifest, manifest_len, mf.digest);
	payload_len = manifest_len;
	for (i = 0; i < walk.count; i++) {
		walk.files[i].offset = payload_len;
		payload_len += walk.files[i].size;
	}
	if (payload_len > UINT32_MAX) {
		die_msg("payload of %" PRIu64 " bytes: the format allows 4 GiB - 1", payload_len);
		goto out;
	}
	opt = hnbtre_pkg_add(&cmds, HNBTRE_PKG_CMD_VERSION, version, strlen(version));
	if (!opt && description)
		opt = hnbtre_pkg_add(&cmds, HNBTRE_PKG_CMD_DESCRIPTION,
				     description, strlen(description));
	if (!opt && role)
		opt = hnbtre_pkg_add_u32(&cmds, HNBTRE_PKG_CMD_ROLE, (uint32_t)role);
	if (!opt && min_version)
		opt = version_array(min_version, HNBTRE_PKG_CMD_MIN_VERSION, &cmds);
	if (!opt && max_version)
		opt = version_array(max_version, HNBTRE_PKG_CMD_MAX_VERSION, &cmds);
	if (!opt && allow_downgrade)
		opt = hnbtre_pkg_add(&cmds, HNBTRE_PKG_CMD_ALLOW_DOWNGRADE, NULL, 0);
	if (!opt)
		opt = hnbtre_pkg_add_manifest(&cmds, &mf);
	for (i = 0; !opt && i < walk.count; i++)
		opt = hnbtre_pkg_add_file(&cmds, &walk.files[i]);
	for (i = 0; !opt && i < nremove; i++)
		opt = hnbtre_pkg_add_remove(&cmds, remove[i].type, remove[i].path);
	if (!opt && reboot)
		opt = hnbtre_pkg_add(&cmds, HNBTRE_PKG_CMD_REBOOT, NULL, 0);
	if (!opt)
		opt = hnbtre_pkg_add(&cmds, HNBTRE_PKG_CMD_END, NULL, 0);
	if (opt) {
		die_msg("command list: %s", opt == -EINVAL ?
			"--min-version/--max-version: a dotted number" : strerror(-opt));
		goto out;
	}
	hnbtre_pkg_header(header, cmds.len, (uint32_t)payload_len);
	signed_part = malloc(sizeof(header) + cmds.len + HNBTRE_PKG_SIG_MAX);
	if (!signed_part)
		goto out;
	memcpy(signed_part, header, sizeof(header));
	memcpy(signed_part + sizeof(header), cmds.data, cmds.len);
	/* Unsigned: a SignedData without signers; pkg sign adds them. */
	if (hnbtre_pkg_sign_block(signed_part, sizeof(header) + cmds.len, NULL,
				  0, NULL, 0, &sig, &sig_len, err)) {
		die_msg("%s", err);
		goto out;
	}
	memcpy(signed_part + sizeof(header) + cmds.len, sig, sig_len);
	/* What the device will check: parse our own output, then coverage. */
	opt = hnbtre_pkg_parse(signed_part, sizeof(header) + cmds.len + sig_len,
			       &pkg, err);
	signed_part = NULL;	/* pkg owns it */
	if (opt || hnbtre_pkg_check_manifest(&pkg, manifest, manifest_len,
					     NULL, err)) {
		die_msg("%s", err);
		goto out;
	}
	out = output_open(output);
	if (!out)
		goto out;
	if (write_all(out, pkg.signed_part, pkg.signed_len) ||
	    write_all(out, manifest, manifest_len))
		goto out;
	for (i = 0; i < walk.count; i++) {
		char *src;

		if (asprintf(&src, "%s%s", walk.dir,
			     walk.files[i].path + strlen(walk.prefix)) < 0)
			goto out;
		opt = copy_file(src, &walk.files[i], out);
		if (opt)
			die_msg("%s: %s", src, opt == -EAGAIN ?
				"changed while the package was built" :
				"cannot be read");
		free(src);
		if (opt)
			goto out;
	}
	ret = EXIT_OK;
out:
	ret = output_close(out, output, ret);
	for (i = 0; i < walk.count; i++) {
		free(walk.files[i].ima_sig);
		free(walk.files[i].path);
	}
	free(walk.files);
	free(remove);
	free(manifest);
	free(cmds.data);
	free(signed_part);
	OPENSSL_free(sig);
	hnbtre_pkg_free(&pkg);
	return ret;
}

/* ---- sign ---- */

static int copy_rest(int fd, FILE *out)
{
	uint8_t buf[1 << 16];
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || write_all(out, buf, n))
			return -EIO;
	}
	return 0;
}

/*
 * Only the signature block changes: header, command list and payload
 * are copied as they are (Annex E, E.5).
 */
static int pkg_sign(int argc, char **argv)
{
	static const struct option options[] = {
		{ "cert", required_argument, NULL, 'c' },
		{ "key", required_argument, NULL, 'k' },
		{ "digest", required_argument, NULL, 'd' },
		{ "output", required_argument, NULL, 'o' },
		{}
	};
	struct hnbtre_pkg_signer_spec specs[HNBTRE_PKG_MAX_SIGNERS];
	const char *output = NULL, *digest = "sha256";
	size_t ncerts = 0, nkeys = 0, sig_len;
	struct hnbtre_pkg pkg;
	char err[HNBTRE_ERR_LEN];
	uint8_t *sig = NULL;
	int opt, fd = -1, ret = EXIT_ERROR;
	FILE *out = NULL;

	while ((opt = getopt_long(argc, argv, "c:k:d:o:", options, NULL)) != -1) {
		switch (opt) {
		case 'c':
			if (ncerts == HNBTRE_PKG_MAX_SIGNERS)
				goto usage;
			specs[ncerts].digest = digest;
			specs[ncerts++].cert_pem = optarg;
			break;
		case 'k':
			if (nkeys == HNBTRE_PKG_MAX_SIGNERS)
				goto usage;
			specs[nkeys++].key_pem = optarg;
			break;
		case 'd': digest = optarg; break;
		case 'o': output = optarg; break;
		default: return EXIT_ERROR;
		}
	}
	if (!ncerts || ncerts != nkeys || !output || argc - optind != 1)
		goto usage;
	if (hnbtre_pkg_open(argv[optind], &pkg, &fd, err)) {
		die_msg("%s", err);
		return EXIT_ERROR;
	}
	if (hnbtre_pkg_sign_block(pkg.signed_part, HNBTRE_PKG_HEADER_LEN + pkg.cmds_len,
				  pkg.sig, pkg.sig_len, specs, ncerts, &sig,
				  &sig_len, err)) {
		die_msg("%s", err);
		goto out;
	}
	out = output_open(output);
	if (!out)
		goto out;
	if (write_all(out, pkg.signed_part, HNBTRE_PKG_HEADER_LEN + pkg.cmds_len) ||
	    write_all(out, sig, sig_len) || copy_rest(fd, out))
		goto out;
	ret = EXIT_OK;
out:
	ret = output_close(out, output, ret);
	OPENSSL_free(sig);
	close(fd);
	hnbtre_pkg_free(&pkg);
	return ret;
usage:
	die_msg("usage: pkg sign [--digest sha256|sha384|sha512|sha1] --cert C --key K [[--digest D] --cert C --key K]... -o OUT IN");
	return EXIT_ERROR;
}

/* ---- inspect ---- */

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static void hex_bytes(const uint8_t *p, size_t len, char *out)
{
	size_t i;

	for (i = 0; i < len; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
}

/* One line per command, every command as it stands in the list. */
static json_object *commands_json(const struct hnbtre_pkg *pkg)
{
	json_object *a = json_object_new_array();
	size_t off = 0;

	while (off + HNBTRE_PKG_CMD_HEADER_LEN <= pkg->cmds_len) {
		const uint8_t *c = pkg->cmds + off;
		uint32_t type = get_be32(c), len = get_be32(c + 4);
		json_object *o = json_object_new_object();

		json_object_object_add(o, "type", json_object_new_int64(type));
		json_object_object_add(o, "name",
				       json_object_new_string(hnbtre_pkg_cmd_name(type)));
		json_object_object_add(o, "length", json_object_new_int64(len));
		json_object_array_add(a, o);
		off += HNBTRE_PKG_CMD_HEADER_LEN + (size_t)len;
		if (type == HNBTRE_PKG_CMD_END)
			break;
	}
	return a;
}

static json_object *file_json(const struct hnbtre_pkg_file *f)
{
	json_object *o = json_object_new_object();
	char h[2 * HNBTRE_DIGEST_LEN + 8];

	if (f->path) {
		json_object_object_add(o, "command",
				       json_object_new_string(hnbtre_pkg_cmd_name(f->type)));
		json_object_object_add(o, "path", json_object_new_string(f->path));
		json_object_object_add(o, "unsafe",
				       json_object_new_boolean(f->flags & HNBTRE_PKG_FLAG_UNSAFE));
		json_object_object_add(o, "mode", json_object_new_int(f->mode));
		json_object_object_add(o, "ima_signature",
				       json_object_new_boolean(f->ima_sig != NULL));
		memcpy(h, "sha1:", 5);
		hex_bytes(f->sha1, HNBTRE_PKG_SHA1_LEN, h + 5);
		json_object_object_add(o, "sha1", json_object_new_string(h));
	}
	json_object_object_add(o, "size", json_object_new_uint64(f->size));
	json_object_object_add(o, "offset", json_object_new_uint64(f->offset));
	if (f->has_sha256) {
		memcpy(h, "sha256:", 7);
		hnbtre_hex(f->digest, h + 7);
		json_object_object_add(o, "digest", json_object_new_string(h));
	}
	return o;
}

static json_object *version_json(const struct hnbtre_pkg_version *v)
{
	json_object *a = json_object_new_array();
	size_t i;

	for (i = 0; i < v->n; i++)
		json_object_array_add(a, json_object_new_int64(v->v[i]));
	return a;
}

/* The signers as the SignedData lists them (not verified here). */
static json_object *signers_json(const struct hnbtre_pkg *pkg)
{
	PKCS7 *p7 = hnbtre_pkg_signed_data(pkg->sig, pkg->sig_len);
	json_object *a = json_object_new_array();
	STACK_OF(PKCS7_SIGNER_INFO) *sis;
	int i;

	if (!p7)
		return a;
	sis = PKCS7_get_signer_info(p7);
	for (i = 0; i < sk_PKCS7_SIGNER_INFO_num(sis); i++) {
		PKCS7_SIGNER_INFO *si = sk_PKCS7_SIGNER_INFO_value(sis, i);
		X509 *x = X509_find_by_issuer_and_serial(p7->d.sign->cert,
				si->issuer_and_serial->issuer,
				si->issuer_and_serial->serial);
		json_object *o = json_object_new_object();
		char name[256] = "-";

		if (x)
			X509_NAME_oneline(X509_get_subject_name(x), name, sizeof(name));
		json_object_object_add(o, "digest", json_object_new_string(
			OBJ_nid2sn(OBJ_obj2nid(si->digest_alg->algorithm))));
		json_object_object_add(o, "subject", json_object_new_string(name));
		json_object_array_add(a, o);
	}
	PKCS7_free(p7);
	return a;
}

static json_object *inspect(const struct hnbtre_pkg *pkg)
{
	static const char *const timeout_names[] = {
		"recoverable_timeout", "unrecoverable_timeout",
		"initial_timeout", "initial_activity_timeout",
	};
	json_object *o = json_object_new_object(), *a;
	size_t i;

	json_object_object_add(o, "format", json_object_new_string("TR-069 Annex E"));
	json_object_object_add(o, "major", json_object_new_int(HNBTRE_PKG_MAJOR));
	json_object_object_add(o, "minor", json_object_new_int64(pkg->minor));
	json_object_object_add(o, "version", json_object_new_string(pkg->version));
	if (pkg->description)
		json_object_object_add(o, "description",
				       json_object_new_string(pkg->description));
	for (i = 0; i < 4; i++)
		if (pkg->timeouts[i])
			json_object_object_add(o, timeout_names[i],
					       json_object_new_int64(pkg->timeouts[i]));
	if (pkg->has_min_version)
		json_object_object_add(o, "min_version", version_json(&pkg->min_version));
	if (pkg->has_max_version)
		json_object_object_add(o, "max_version", version_json(&pkg->max_version));
	if (pkg->has_role)
		json_object_object_add(o, "role", json_object_new_int64(pkg->role));
	if (pkg->min_nv_storage)
		json_object_object_add(o, "min_nonvolatile_storage",
				       json_object_new_uint64(pkg->min_nv_storage));
	if (pkg->min_volatile_storage)
		json_object_object_add(o, "min_volatile_storage",
				       json_object_new_uint64(pkg->min_volatile_storage));
	json_object_object_add(o, "allow_downgrade",
			       json_object_new_boolean(pkg->allow_downgrade));
	json_object_object_add(o, "format_file_system",
			       json_object_new_boolean(pkg->format));
	json_object_object_add(o, "reboot", json_object_new_boolean(pkg->reboot));
	json_object_object_add(o, "signers", signers_json(pkg));
	json_object_object_add(o, "manifest", file_json(&pkg->manifest));
	a = json_object_new_array();
	for (i = 0; i < pkg->nfiles; i++)
		json_object_array_add(a, file_json(&pkg->files[i]));
	json_object_object_add(o, "files", a);
	a = json_object_new_array();
	for (i = 0; i < pkg->nactions; i++) {
		json_object *r = json_object_new_object();

		json_object_object_add(r, "command", json_object_new_string(
			hnbtre_pkg_cmd_name(pkg->actions[i].type)));
		json_object_object_add(r, "path",
				       json_object_new_string(pkg->actions[i].path));
		if (pkg->actions[i].to)
			json_object_object_add(r, "to",
					       json_object_new_string(pkg->actions[i].to));
		json_object_array_add(a, r);
	}
	json_object_object_add(o, "actions", a);
	json_object_object_add(o, "commands", commands_json(pkg));
	json_object_object_add(o, "signature_block_size",
			       json_object_new_uint64(pkg->sig_len));
	json_object_object_add(o, "payload_size",
			       json_object_new_uint64(pkg->payload_len));
	return o;
}

static void inspect_text(const struct hnbtre_pkg *pkg, json_object *o)
{
	char h[2 * HNBTRE_DIGEST_LEN + 1];
	json_object *cmds = json_object_object_get(o, "commands");
	json_object *signers = json_object_object_get(o, "signers");
	size_t i;

	printf("TR-069 signed package %d.%u, version %s%s, %zu signer(s)\n",
	       HNBTRE_PKG_MAJOR, pkg->minor, pkg->version,
	       pkg->allow_downgrade ? " (downgrade allowed)" : "",
	       json_object_array_length(signers));
	for (i = 0; i < json_object_array_length(cmds); i++) {
		json_object *c = json_object_array_get_idx(cmds, i);

		printf("command %zu: %s (type %s, %s bytes)\n", i + 1,
		       json_object_get_string(json_object_object_get(c, "name")),
		       json_object_get_string(json_object_object_get(c, "type")),
		       json_object_get_string(json_object_object_get(c, "length")));
	}
	for (i = 0; i < json_object_array_length(signers); i++) {
		json_object *s = json_object_array_get_idx(signers, i);

		printf("signer %zu: %s %s\n", i + 1,
		       json_object_get_string(json_object_object_get(s, "digest")),
		       json_object_get_string(json_object_object_get(s, "subject")));
	}
	if (pkg->description)
		printf("description: %s\n", pkg->description);
	/* the parameters that are not files or actions, as JSON values */
	json_object_object_foreach(o, key, value) {
		if (strstr(key, "timeout") || strstr(key, "_version") ||
		    !strcmp(key, "role") || strstr(key, "storage"))
			printf("%s: %s\n", key, json_object_to_json_string(value));
	}
	hnbtre_hex(pkg->manifest.digest, h);
	printf("manifest: %" PRIu64 " bytes sha256:%s\n", pkg->manifest.size, h);
	for (i = 0; i < pkg->nfiles; i++) {
		if (pkg->files[i].has_sha256)
			hnbtre_hex(pkg->files[i].digest, h);
		printf("%s %04o %12" PRIu64 " sha256:%s %s\n",
		       pkg->files[i].type == HNBTRE_PKG_CMD_EXTRACT ? "extract" :
		       pkg->files[i].type == HNBTRE_PKG_CMD_ADD ? "add" : "versioned",
		       pkg->files[i].mode, pkg->files[i].size,
		       pkg->files[i].has_sha256 ? h : "-", pkg->files[i].path);
	}
	for (i = 0; i < pkg->nactions; i++)
		printf("%s %s%s%s\n", hnbtre_pkg_cmd_name(pkg->actions[i].type),
		       pkg->actions[i].path, pkg->actions[i].to ? " -> " : "",
		       pkg->actions[i].to ? pkg->actions[i].to : "");
	printf("payload: %" PRIu64 " bytes\n", pkg->payload_len);
}

static int pkg_inspect(int argc, char **argv)
{
	struct hnbtre_pkg pkg;
	char err[HNBTRE_ERR_LEN];
	json_object *o;
	int json = 0, fd;

	if (argc == 3 && !strcmp(argv[1], "--json"))
		json = 1;
	else if (argc != 2) {
		die_msg("usage: pkg inspect [--json] PKG");
		return EXIT_ERROR;
	}
	if (hnbtre_pkg_open(argv[argc - 1], &pkg, &fd, err)) {
		die_msg("%s", err);
		return EXIT_ERROR;
	}
	o = inspect(&pkg);
	if (json)
		puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
						    JSON_C_TO_STRING_NOSLASHESCAPE));
	else
		inspect_text(&pkg, o);
	json_object_put(o);
	close(fd);
	hnbtre_pkg_free(&pkg);
	return EXIT_OK;
}

/* ---- verify, install ---- */

/*
 * Exit status for a failed verify or install: a refused package names its
 * reason and TR-069 fault; anything else (fault 9002) is an error.
 */
static int refused(const char *what, int err, const char *msg)
{
	if (hnbtre_pkg_fault(err) == 9002) {
		die_msg("%s: %s", what, msg[0] ? msg : strerror(-err));
		return EXIT_ERROR;
	}
	fprintf(stderr, "hnbtre: %s refused: %s (%s) fault %d\n", what,
		hnbtre_pkg_errstr(err), msg, hnbtre_pkg_fault(err));
	return EXIT_REFUSED;
}

static int pkg_verify(int argc, char **argv)
{
	static const struct option options[] = {
		{ "roots", required_argument, NULL, 'r' },
		{ "time", required_argument, NULL, 't' },
		{ "tre", no_argument, NULL, 'T' },
		{ "allow-sha1", no_argument, NULL, 'S' },
		{}
	};
	struct hnbtre_pkg_signer signers[HNBTRE_PKG_MAX_SIGNERS];
	enum hnbtre_pkg_hash_policy policy = HNBTRE_PKG_REQUIRE_SHA256;
	char verdict[160];
	int tre = 0;
	const char *roots = NULL;
	struct hnbtre_pkg pkg;
	char err[HNBTRE_ERR_LEN] = "";
	uint8_t *manifest = NULL;
	size_t manifest_len, nsigners = 0, i;
	uint64_t now = (uint64_t)time(NULL);
	int opt, fd, ret;

	while ((opt = getopt_long(argc, argv, "r:t:TS", options, NULL)) != -1) {
		switch (opt) {
		case 'r': roots = optarg; break;
		case 'T': tre = 1; break;
		case 'S': policy = HNBTRE_PKG_ALLOW_SHA1; break;
		case 't':
			if (parse_u64(optarg, &now)) {
				die_msg("--time: seconds since the epoch");
				return EXIT_ERROR;
			}
			break;
		default: return EXIT_ERROR;
		}
	}
	if (!roots || argc - optind != 1) {
		die_msg("usage: pkg verify --roots ROOTS.pem [--time EPOCH] [--tre] [--allow-sha1] PKG");
		return EXIT_ERROR;
	}
	ret = hnbtre_pkg_open(argv[optind], &pkg, &fd, err);
	if (ret && ret != -EBADMSG) {
		die_msg("%s", err);
		return EXIT_ERROR;
	}
	if (!ret && tre) {
		/* The TrE's own verdict, whatever userspace thinks. */
		ret = hnbtre_pkg_tre_verify(&pkg, verdict, sizeof(verdict));
		printf("tre: %s\n", verdict[0] ? verdict : "-");
		if (ret)
			snprintf(err, sizeof(err), "the TrE refused the package");
	}
	if (!ret) {
		ret = hnbtre_pkg_verify_signatures(&pkg, roots, (time_t)now,
						   policy, signers, &nsigners,
						   err);
		for (i = 0; i < nsigners && i < HNBTRE_PKG_MAX_SIGNERS &&
			    ret != -ENOENT; i++)
			printf("signer %zu: %s %s: %s\n", i + 1,
			       signers[i].digest, signers[i].subject,
			       signers[i].result ?
			       hnbtre_pkg_errstr(signers[i].result) : "ok");
		if (!ret)
			ret = hnbtre_pkg_stream(&pkg, fd, NULL, tty_progress(),
						NULL, &manifest, &manifest_len,
						err);
		if (!ret)
			ret = hnbtre_pkg_check_manifest(&pkg, manifest,
							manifest_len, NULL, err);
		close(fd);
	}
	free(manifest);
	hnbtre_pkg_free(&pkg);
	if (ret)
		return refused("package", ret, err);
	printf("package verified\n");
	return EXIT_OK;
}

static int pkg_install(int argc, char **argv)
{
	static const struct option options[] = {
		{ "root", required_argument, NULL, 'R' },
		{ "roots", required_argument, NULL, 'r' },
		{ "no-tre", no_argument, NULL, 'n' },
		{ "policy", required_argument, NULL, 'p' },
		{ "allow-sha1", no_argument, NULL, 'S' },
		{ "full-image", no_argument, NULL, 'F' },
		{}
	};
	struct hnbtre_install_opts opts = { .use_tre = 1, .rollback_on_failure = 1 };
	struct hnbtre_install_result result;
	char err[HNBTRE_ERR_LEN] = "";
	int opt, ret;

	while ((opt = getopt_long(argc, argv, "R:r:np:SF", options, NULL)) != -1) {
		switch (opt) {
		case 'S': opts.hash_policy = HNBTRE_PKG_ALLOW_SHA1; break;
		case 'F': opts.full_image = 1; break;
		case 'R': opts.root = optarg; break;
		case 'r': opts.roots_pem = optarg; break;
		case 'n': opts.use_tre = 0; break;
		case 'p':
			if (!strcmp(optarg, "isolate"))
				opts.rollback_on_failure = 0;
			else if (strcmp(optarg, "rollback")) {
				die_msg("--policy: rollback or isolate");
				return EXIT_ERROR;
			}
			break;
		default: return EXIT_ERROR;
		}
	}
	if (!opts.root || !opts.roots_pem || argc - optind != 1) {
		die_msg("usage: pkg install --root DIR --roots ROOTS.pem [--no-tre] [--policy rollback|isolate] [--full-image] [--allow-sha1] PKG");
		return EXIT_ERROR;
	}
	opts.progress = tty_progress();
	ret = hnbtre_pkg_install(argv[optind], &opts, &result, err);
	hnbtre_install_report(&result, stdout);
	if (ret)
		return refused("install", ret, err);
	return result.check_failed ? EXIT_REFUSED : EXIT_OK;
}

static int pkg_recover(int argc, char **argv)
{
	char err[HNBTRE_ERR_LEN] = "";
	int ret;

	if (argc != 3 || strcmp(argv[1], "--root")) {
		die_msg("usage: pkg recover --root DIR");
		return EXIT_ERROR;
	}
	ret = hnbtre_pkg_recover(argv[2], err);
	if (ret) {
		die_msg("recover: %s", err);
		return EXIT_ERROR;
	}
	return EXIT_OK;
}

/* ---- reference ---- */

/* What the H(e)MS expects once the package is installed (TS 33.320 8.3.2.2 step 2). */
static int pkg_reference(int argc, char **argv)
{
	struct hnbtre_pkg_reference ref;
	char err[HNBTRE_ERR_LEN], h[2 * HNBTRE_DIGEST_LEN + 1];
	int ret;

	if (argc != 2) {
		die_msg("usage: pkg reference PKG");
		return EXIT_ERROR;
	}
	ret = hnbtre_pkg_reference(argv[1], &ref, err);
	if (ret) {
		die_msg("%s: %s", argv[1], err);
		return ret == -EBADMSG || ret == -EILSEQ || ret == -ENOTRECOVERABLE ?
		       EXIT_REFUSED : EXIT_ERROR;
	}
	printf("package_version=%s\nmanifest_version=%" PRIu64 "\nfiles=%zu\n",
	       ref.package_version, ref.manifest_version, ref.files);
	hnbtre_hex(ref.platform_rim, h);
	printf("platform_rim=sha256:%s\n", h);
	hnbtre_hex(ref.patch_rim, h);
	printf("patch_rim=sha256:%s\n", h);
	return EXIT_OK;
}

const struct command pkg_commands[] = {
	{ "pkg", "build", "--dir D --prefix /P --manifest M.signed --version V [--description T] [--remove PATH]... [--remove-tree PATH]... [--min-version V] [--max-version V] [--role N] [--reboot] [--allow-downgrade] -o OUT", pkg_build },
	{ "pkg", "sign", "[--digest sha256|sha384|sha512|sha1] --cert C --key K [[--digest D] --cert C --key K]... -o OUT IN", pkg_sign },
	{ "pkg", "inspect", "[--json] PKG", pkg_inspect },
	{ "pkg", "reference", "PKG", pkg_reference },
	{ "pkg", "verify", "--roots ROOTS.pem [--time EPOCH] [--tre] [--allow-sha1] PKG", pkg_verify },
	{ "pkg", "install", "--root DIR --roots ROOTS.pem [--no-tre] [--policy rollback|isolate] [--full-image] [--allow-sha1] PKG", pkg_install },
	{ "pkg", "recover", "--root DIR", pkg_recover },
	{}
};
