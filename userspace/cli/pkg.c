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
	ret = hnbtre_hash_file(path, f->digest);
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

static int pkg_build(int argc, char **argv)
{
	static const struct option options[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "prefix", required_argument, NULL, 'p' },
		{ "manifest", required_argument, NULL, 'm' },
		{ "version", required_argument, NULL, 'v' },
		{ "description", required_argument, NULL, 'D' },
		{ "remove", required_argument, NULL, 'r' },
		{ "allow-downgrade", no_argument, NULL, 'a' },
		{ "output", required_argument, NULL, 'o' },
		{}
	};
	const char *manifest_path = NULL, *description = NULL, *output = NULL;
	struct hnbtre_buf cmds = { 0 };
	struct hnbtre_pkg pkg = { 0 };
	struct hnbtre_pkg_file mf = { 0 };
	char err[HNBTRE_ERR_LEN], **remove = NULL;
	uint8_t header[HNBTRE_PKG_HEADER_LEN], *manifest = NULL;
	size_t manifest_len, nremove = 0, i;
	uint64_t version = 0;
	int opt, allow_downgrade = 0, ret = EXIT_ERROR;
	FILE *out = NULL;

	memset(&walk, 0, sizeof(walk));
	remove = calloc(argc, sizeof(*remove));
	if (!remove)
		return EXIT_ERROR;
	while ((opt = getopt_long(argc, argv, "d:p:m:v:D:r:ao:", options,
				  NULL)) != -1) {
		switch (opt) {
		case 'd': walk.dir = optarg; break;
		case 'p': walk.prefix = optarg; break;
		case 'm': manifest_path = optarg; break;
		case 'D': description = optarg; break;
		case 'r': remove[nremove++] = optarg; break;
		case 'a': allow_downgrade = 1; break;
		case 'o': output = optarg; break;
		case 'v':
			if (parse_u64(optarg, &version) || !version) {
				die_msg("--version: 1 to 2^64-1");
				goto out;
			}
			break;
		default:
			goto out;
		}
	}
	if (!walk.dir || !walk.prefix || !manifest_path || !version ||
	    !output || optind != argc) {
		die_msg("usage: pkg build --dir D --prefix /P --manifest M.signed --version N -o OUT");
		goto out;
	}
	opt = hnbtre_read_file(manifest_path, HNBTRE_MANIFEST_MAX, &manifest,
			       &manifest_len);
	if (opt) {
		die_msg("%s: %s", manifest_path, strerror(-opt));
		goto out;
	}
	if (nftw(walk.dir, walk_one, 32, FTW_PHYS) || walk.error)
		goto out;
	qsort(walk.files, walk.count, sizeof(*walk.files), compare_files);
	qsort(remove, nremove, sizeof(*remove),
	      (int (*)(const void *, const void *))strcmp);

	mf.size = manifest_len;
	SHA256(manifest, manifest_len, mf.digest);
	opt = hnbtre_pkg_add_version(&cmds, version);
	if (!opt && description)
		opt = hnbtre_pkg_add_bytes(&cmds, HNBTRE_PKG_CMD_DESCRIPTION,
					   description, strlen(description));
	if (!opt && allow_downgrade)
		opt = hnbtre_pkg_add_bytes(&cmds, HNBTRE_PKG_CMD_ALLOW_DOWNGRADE,
					   NULL, 0);
	if (!opt)
		opt = hnbtre_pkg_add_region(&cmds, HNBTRE_PKG_CMD_MANIFEST, &mf);
	for (i = 0; !opt && i < walk.count; i++) {
		opt = hnbtre_pkg_add_region(&cmds, HNBTRE_PKG_CMD_EXTRACT,
					    &walk.files[i]);
		if (!opt && walk.files[i].ima_sig)
			opt = hnbtre_pkg_add_bytes(&cmds,
						   HNBTRE_PKG_CMD_IMA_SIGNATURE,
						   walk.files[i].ima_sig,
						   walk.files[i].ima_sig_len);
	}
	for (i = 0; !opt && i < nremove; i++)
		opt = hnbtre_pkg_add_bytes(&cmds, HNBTRE_PKG_CMD_REMOVE,
					   remove[i], strlen(remove[i]));
	if (opt) {
		die_msg("command list: %s", strerror(-opt));
		goto out;
	}
	/* What the device will check: parse our own output, then coverage. */
	hnbtre_pkg_header(header, cmds.len, 0);
	{
		uint8_t *signed_part = malloc(sizeof(header) + cmds.len);

		if (!signed_part)
			goto out;
		memcpy(signed_part, header, sizeof(header));
		memcpy(signed_part + sizeof(header), cmds.data, cmds.len);
		if (hnbtre_pkg_parse(signed_part, sizeof(header) + cmds.len,
				     &pkg, err) ||
		    hnbtre_pkg_check_manifest(&pkg, manifest, manifest_len,
					      NULL, err)) {
			die_msg("%s", err);
			goto out;
		}
	}
	out = fopen(output, "wb");
	if (!out) {
		die_msg("%s: %s", output, strerror(errno));
		goto out;
	}
	if (write_all(out, header, sizeof(header)) ||
	    write_all(out, cmds.data, cmds.len) ||
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
	if (out && (fclose(out) || ret)) {
		ret = EXIT_ERROR;
		unlink(output);
	}
	for (i = 0; i < walk.count; i++) {
		free(walk.files[i].ima_sig);
		free(walk.files[i].path);
	}
	free(walk.files);
	free(remove);
	free(manifest);
	free(cmds.data);
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

static int pkg_sign(int argc, char **argv)
{
	static const struct option options[] = {
		{ "cert", required_argument, NULL, 'c' },
		{ "key", required_argument, NULL, 'k' },
		{ "digest", required_argument, NULL, 'd' },
		{ "output", required_argument, NULL, 'o' },
		{}
	};
	const char *certs[HNBTRE_PKG_MAX_SIGNATURES], *keys[HNBTRE_PKG_MAX_SIGNATURES];
	const char *digests[HNBTRE_PKG_MAX_SIGNATURES], *output = NULL;
	const char *digest = "sha256";
	uint8_t *der[HNBTRE_PKG_MAX_SIGNATURES] = { 0 };
	size_t der_len[HNBTRE_PKG_MAX_SIGNATURES];
	uint8_t header[HNBTRE_PKG_HEADER_LEN];
	size_t ncerts = 0, nkeys = 0, i, sigs_len;
	struct hnbtre_pkg pkg;
	char err[HNBTRE_ERR_LEN];
	int opt, fd = -1, ret = EXIT_ERROR;
	FILE *out = NULL;

	while ((opt = getopt_long(argc, argv, "c:k:d:o:", options, NULL)) != -1) {
		switch (opt) {
		case 'c':
			if (ncerts == HNBTRE_PKG_MAX_SIGNATURES)
				goto usage;
			digests[ncerts] = digest;
			certs[ncerts++] = optarg;
			break;
		case 'k':
			if (nkeys == HNBTRE_PKG_MAX_SIGNATURES)
				goto usage;
			keys[nkeys++] = optarg;
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
	if (pkg.nsigs + ncerts > HNBTRE_PKG_MAX_SIGNATURES) {
		die_msg("at most %d signatures", HNBTRE_PKG_MAX_SIGNATURES);
		goto out;
	}
	sigs_len = pkg.signed_len - HNBTRE_PKG_HEADER_LEN - pkg.cmds_len;
	for (i = 0; i < ncerts; i++) {
		if (hnbtre_pkg_cms_sign(pkg.cmds, pkg.cmds_len, certs[i], keys[i],
					digests[i], &der[i], &der_len[i], err)) {
			die_msg("%s", err);
			goto out;
		}
		sigs_len += 4 + der_len[i];
	}
	if (sigs_len > HNBTRE_PKG_SIGS_MAX) {
		die_msg("signature section over %d bytes", HNBTRE_PKG_SIGS_MAX);
		goto out;
	}
	out = fopen(output, "wb");
	if (!out) {
		die_msg("%s: %s", output, strerror(errno));
		goto out;
	}
	hnbtre_pkg_header(header, pkg.cmds_len, sigs_len);
	/* The existing signatures stay, the new ones follow. */
	if (write_all(out, header, sizeof(header)) ||
	    write_all(out, pkg.signed_part + HNBTRE_PKG_HEADER_LEN,
		      pkg.signed_len - HNBTRE_PKG_HEADER_LEN))
		goto out;
	for (i = 0; i < ncerts; i++) {
		uint8_t len_be[4] = { der_len[i] >> 24, der_len[i] >> 16,
				      der_len[i] >> 8, der_len[i] };

		if (write_all(out, len_be, 4) || write_all(out, der[i], der_len[i]))
			goto out;
	}
	if (copy_rest(fd, out))
		goto out;
	ret = EXIT_OK;
out:
	if (out && (fclose(out) || ret)) {
		ret = EXIT_ERROR;
		unlink(output);
	}
	for (i = 0; i < ncerts; i++)
		OPENSSL_free(der[i]);
	close(fd);
	hnbtre_pkg_free(&pkg);
	return ret;
usage:
	die_msg("usage: pkg sign [--digest sha256|sha384|sha512] --cert C --key K [--cert C --key K]... -o OUT IN");
	return EXIT_ERROR;
}

/* ---- inspect ---- */

static void hex(const uint8_t *digest, char *out)
{
	hnbtre_hex(digest, out);
}

static json_object *file_json(const struct hnbtre_pkg_file *f)
{
	json_object *o = json_object_new_object();
	char h[2 * HNBTRE_DIGEST_LEN + 8];

	memcpy(h, "sha256:", 7);
	hex(f->digest, h + 7);
	if (f->path) {
		json_object_object_add(o, "path", json_object_new_string(f->path));
		json_object_object_add(o, "mode", json_object_new_int(f->mode));
		json_object_object_add(o, "ima_signature",
				       json_object_new_boolean(f->ima_sig != NULL));
	}
	json_object_object_add(o, "size", json_object_new_uint64(f->size));
	json_object_object_add(o, "offset", json_object_new_uint64(f->offset));
	json_object_object_add(o, "digest", json_object_new_string(h));
	return o;
}

static void inspect_json(const struct hnbtre_pkg *pkg)
{
	json_object *o = json_object_new_object(), *a;
	size_t i;

	json_object_object_add(o, "format", json_object_new_int(HNBTRE_PKG_FORMAT));
	json_object_object_add(o, "version", json_object_new_uint64(pkg->version));
	if (pkg->description)
		json_object_object_add(o, "description",
				       json_object_new_string(pkg->description));
	json_object_object_add(o, "allow_downgrade",
			       json_object_new_boolean(pkg->allow_downgrade));
	json_object_object_add(o, "signatures", json_object_new_int((int)pkg->nsigs));
	json_object_object_add(o, "manifest", file_json(&pkg->manifest));
	a = json_object_new_array();
	for (i = 0; i < pkg->nfiles; i++)
		json_object_array_add(a, file_json(&pkg->files[i]));
	json_object_object_add(o, "files", a);
	a = json_object_new_array();
	for (i = 0; i < pkg->nremove; i++)
		json_object_array_add(a, json_object_new_string(pkg->remove[i]));
	json_object_object_add(o, "remove", a);
	json_object_object_add(o, "payload_size",
			       json_object_new_uint64(pkg->payload_len));
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
					    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

static void inspect_text(const struct hnbtre_pkg *pkg)
{
	char h[2 * HNBTRE_DIGEST_LEN + 1];
	size_t i;

	printf("format %d, version %" PRIu64 "%s, %zu signature(s)\n",
	       HNBTRE_PKG_FORMAT, pkg->version,
	       pkg->allow_downgrade ? " (downgrade allowed)" : "", pkg->nsigs);
	if (pkg->description)
		printf("description: %s\n", pkg->description);
	hex(pkg->manifest.digest, h);
	printf("manifest: %" PRIu64 " bytes sha256:%s\n", pkg->manifest.size, h);
	for (i = 0; i < pkg->nfiles; i++) {
		hex(pkg->files[i].digest, h);
		printf("extract %04o %12" PRIu64 " sha256:%s %s\n",
		       pkg->files[i].mode, pkg->files[i].size, h,
		       pkg->files[i].path);
	}
	for (i = 0; i < pkg->nremove; i++)
		printf("remove %s\n", pkg->remove[i]);
	printf("payload: %" PRIu64 " bytes\n", pkg->payload_len);
}

static int pkg_inspect(int argc, char **argv)
{
	struct hnbtre_pkg pkg;
	char err[HNBTRE_ERR_LEN];
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
	if (json)
		inspect_json(&pkg);
	else
		inspect_text(&pkg);
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
		{}
	};
	struct hnbtre_pkg_signer signers[HNBTRE_PKG_MAX_SIGNATURES];
	char verdict[128];
	int tre = 0;
	const char *roots = NULL;
	struct hnbtre_pkg pkg;
	char err[HNBTRE_ERR_LEN] = "";
	uint8_t *manifest = NULL;
	size_t manifest_len, i;
	uint64_t now = (uint64_t)time(NULL);
	int opt, fd, ret;

	while ((opt = getopt_long(argc, argv, "r:t:T", options, NULL)) != -1) {
		switch (opt) {
		case 'r': roots = optarg; break;
		case 'T': tre = 1; break;
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
		die_msg("usage: pkg verify --roots ROOTS.pem [--time EPOCH] [--tre] PKG");
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
						   signers, err);
		for (i = 0; i < pkg.nsigs && ret != -ENOENT; i++)
			printf("signature %zu: %s %s: %s\n", i + 1,
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
		{}
	};
	struct hnbtre_install_opts opts = { .use_tre = 1 };
	struct hnbtre_install_result result;
	char err[HNBTRE_ERR_LEN] = "";
	int opt, ret;

	while ((opt = getopt_long(argc, argv, "R:r:np:", options, NULL)) != -1) {
		switch (opt) {
		case 'R': opts.root = optarg; break;
		case 'r': opts.roots_pem = optarg; break;
		case 'n': opts.use_tre = 0; break;
		case 'p':
			if (!strcmp(optarg, "rollback"))
				opts.rollback_on_mismatch = 1;
			else if (strcmp(optarg, "report")) {
				die_msg("--policy: report or rollback");
				return EXIT_ERROR;
			}
			break;
		default: return EXIT_ERROR;
		}
	}
	if (!opts.root || !opts.roots_pem || argc - optind != 1) {
		die_msg("usage: pkg install --root DIR --roots ROOTS.pem [--no-tre] [--policy report|rollback] PKG");
		return EXIT_ERROR;
	}
	opts.progress = tty_progress();
	ret = hnbtre_pkg_install(argv[optind], &opts, &result, err);
	hnbtre_install_report(&result, stdout);
	if (ret)
		return refused("install", ret, err);
	return result.tim_matches ? EXIT_OK : EXIT_REFUSED;
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

/* What the H(e)MS expects once the package is installed (seed 000 step 2). */
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
	printf("package_version=%" PRIu64 "\nmanifest_version=%" PRIu64 "\nfiles=%zu\n",
	       ref.package_version, ref.manifest_version, ref.files);
	hex(ref.platform_rim, h);
	printf("platform_rim=sha256:%s\n", h);
	hex(ref.patch_rim, h);
	printf("patch_rim=sha256:%s\n", h);
	return EXIT_OK;
}

const struct command pkg_commands[] = {
	{ "pkg", "build", "--dir D --prefix /P --manifest M.signed --version N [--description T] [--remove PATH]... [--allow-downgrade] -o OUT", pkg_build },
	{ "pkg", "sign", "[--digest sha256|sha384|sha512] --cert C --key K [--cert C --key K]... -o OUT IN", pkg_sign },
	{ "pkg", "inspect", "[--json] PKG", pkg_inspect },
	{ "pkg", "reference", "PKG", pkg_reference },
	{ "pkg", "verify", "--roots ROOTS.pem [--time EPOCH] [--tre] PKG", pkg_verify },
	{ "pkg", "install", "--root DIR --roots ROOTS.pem [--no-tre] [--policy report|rollback] PKG", pkg_install },
	{ "pkg", "recover", "--root DIR", pkg_recover },
	{}
};
