/* SPDX-License-Identifier: GPL-2.0-only */
/* The hnbtre command: one function per subcommand. */
#ifndef HNBTRE_CLI_H
#define HNBTRE_CLI_H

#include <stddef.h>

/* Exit codes (Documentation/cli.md). */
#define EXIT_OK			0
#define EXIT_NOT_TRUSTED	1	/* validate, status: state is not trusted */
#define EXIT_ERROR		2	/* usage or system error, refused input */

struct command {
	const char *group;	/* NULL for top-level commands */
	const char *name;
	const char *usage;
	int (*run)(int argc, char **argv);
};

extern const struct command manifest_commands[];
extern const struct command status_commands[];
extern const struct command key_commands[];
extern const struct command seal_commands[];
extern const struct command attest_commands[];
extern const struct command pkg_commands[];
extern const struct command distress_commands[];
extern const struct command watch_commands[];
extern const struct command enrol_commands[];

struct evp_pkey_st;
/*
 * The HNBTRE-DEVKEY-1 wrapper of an RSA key (Documentation/devkey.md) in
 * OpenSSL's secure heap: free with OPENSSL_secure_clear_free().
 * Returns 0 or -errno.
 */
int wrap_device_key(struct evp_pkey_st *key, unsigned char **out,
		    size_t *out_len);

/* Print "hnbtre: <message>" to stderr. */
void die_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
