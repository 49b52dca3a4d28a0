/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libhnbtre: atomic installation of signed packages into A/B-style slots
 * switched by one symlink rename (Documentation/package.md, "Install").
 *
 *   ROOT/current -> slots/gN      what is live; package paths are
 *                                 ROOT/current/...
 *   ROOT/slots/gN/.hnbtre/        manifest (signed), package (version),
 *                                 previous (the slot it replaced)
 */
#ifndef HNBTRE_PKG_INSTALL_H
#define HNBTRE_PKG_INSTALL_H

#include <stdio.h>

#include "hnbtre_pkg.h"

struct hnbtre_install_opts {
	const char *root;		/* absolute install root */
	const char *roots_pem;		/* operator roots for the userspace checks */
	int use_tre;			/* kernel verification and manifest load */
	int rollback_on_failure;	/* a failed update (the TrE's
					 * re-validation or the expected-TIM
					 * check): back to the previous slot
					 * and manifest; else left as it is */
	int full_image;			/* fresh slot from the package alone; it
					 * must carry every component of its
					 * manifest inside the slot (7.12.4) */
	enum hnbtre_pkg_hash_policy hash_policy;	/* default: SHA-256 */
	hnbtre_pkg_progress progress;
};

struct hnbtre_install_result {
	int installed;		/* the new slot became current */
	int rolled_back;	/* ... and was switched back, the TrE back on
				 * the previous manifest (policy) */
	int tim_checked;	/* expected and measured are meaningful */
	int tim_matches;
	int revalidated;	/* the TrE validated against the new manifest */
	enum hnbtre_state new_state;	/* ... and said this (if revalidated) */
	int check_failed;	/* installed, but the re-validation did not
				 * end trusted or the TIM differs */
	char version[HNBTRE_PKG_TEXT_MAX + 1];	/* package version */
	char old_version[HNBTRE_PKG_TEXT_MAX + 1];	/* "0": none before */
	int reboot;		/* the package asks for a reboot */
	uint8_t old_tim[HNBTRE_DIGEST_LEN];
	int has_old_tim;
	uint8_t expected_tim[HNBTRE_DIGEST_LEN];
	uint8_t measured_tim[HNBTRE_DIGEST_LEN];
	char tre_verdict[128];	/* what the kernel said, or "" */
	int error;		/* 0 or the negative errno */
};

/**
 * hnbtre_pkg_install() - verify and install a package atomically
 * @path: the package
 * @opts: where and how
 * @result: what happened (always filled in)
 * @err: message on failure
 *
 * Nothing is installed unless every check passes: userspace signature
 * checks and hash policy, TrE verdict (if @opts->use_tre), the commands
 * this device supports, the gating commands (Minimum and Maximum Version
 * against the active manifest's version, Role, storage), paths,
 * anti-rollback (package version; with the TrE also the manifest version
 * it holds), manifest coverage, payload hashes.  The new manifest is then loaded
 * into the TrE, which re-validates; the expected TIM is compared with the
 * measured one.  A manifest the TrE refuses switches back to the previous
 * slot, which the TrE validates again.  A re-validation that does not end
 * trusted, or a TIM that differs, is a failed update: with
 * @opts->rollback_on_failure the previous slot becomes current again and
 * the TrE takes back its manifest and re-validates (it does so only for
 * a manifest that never validated trusted: Documentation/kernel.md,
 * "Anti-rollback"); without it the update stays, for repair.
 *
 * Return: 0 (see @result for the re-validation, the TIM check and the
 * rollback) or a negative errno (HNBTRE_PKG_E_* for a refused package).
 */
int hnbtre_pkg_install(const char *path, const struct hnbtre_install_opts *opts,
		       struct hnbtre_install_result *result, char *err);

/**
 * hnbtre_pkg_recover() - clean up after an interrupted install, then
 *	check the current slot against its own manifest
 * @root: the install root
 * @err: message on failure
 *
 * What start-up runs before it loads ROOT/current/.hnbtre/manifest.
 *
 * Return: 0 (consistent, or nothing installed), -EILSEQ (a component
 * differs from the current manifest), or -errno.
 */
int hnbtre_pkg_recover(const char *root, char *err);

/**
 * hnbtre_pkg_tre_verify() - have the TrE verify a package's signed part
 * @pkg: the package
 * @verdict: the kernel's verdict line without its newline ("" if none)
 * @size: size of @verdict
 *
 * Return: 0 if the TrE accepted this very header and command list, the
 * negative errno of the securityfs "package" write (-EBADMSG, -ENOKEY,
 * -EKEYREJECTED, ...), -ENOKEY if the TrE has no "package" file (it
 * cannot vouch for the package: never fail open), or -EILSEQ if the
 * verdict names other signed bytes.
 */
int hnbtre_pkg_tre_verify(const struct hnbtre_pkg *pkg, char *verdict,
			  size_t size);

/**
 * hnbtre_install_report() - the result as "key=value" lines
 * @result: the result
 * @out: the stream
 */
void hnbtre_install_report(const struct hnbtre_install_result *result,
			   FILE *out);

#endif /* HNBTRE_PKG_INSTALL_H */
