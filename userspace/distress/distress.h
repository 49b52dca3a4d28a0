/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * hnbtre-distress: the distress communication function (TS 33.320 7.12,
 * Documentation/distress.md).  What its files share: main.c (start and
 * exit), config.c (distress.conf), message.c (the indication), transport.c
 * (tcp, tls, ike: delivery), replace.c (7.12.4 replacement), ike.c.
 */
#ifndef DISTRESS_H
#define DISTRESS_H

#include <limits.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <openssl/ssl.h>

#include "hnbtre_distress.h"
#include "ike.h"

/* Exit codes. */
enum {
	EXIT_ACCEPTED = 0,
	EXIT_USAGE = 1,
	EXIT_REJECTED = 2,
	EXIT_UNREACHABLE = 3,
	EXIT_NOTHING = 4,	/* the TrE reports no failure */
	EXIT_REPLACED = 5,	/* new image installed; reboot not configured */
	EXIT_TRE_FAILED = 6,	/* the TrE itself failed: nothing to do */
	EXIT_REPLACE_RECEIVED = 100,	/* internal: a package is waiting */
};

enum transport { TRANSPORT_TCP, TRANSPORT_TLS, TRANSPORT_IKE };

struct config {
	char server[INET6_ADDRSTRLEN];
	unsigned int port;
	char server_name[256];		/* checked against the certificate */
	enum transport transport;
	enum hnbtre_distress_auth auth;
	char trust_anchor[PATH_MAX];
	char credential_cert[PATH_MAX];
	char device_cert[PATH_MAX];
	char psk_file[PATH_MAX];
	char state_dir[PATH_MAX];
	unsigned int attempts;
	unsigned int backoff_ms;
	unsigned int backoff_max_ms;
	unsigned int timeout_ms;
	/* Replacement of the normal code image (7.12.4); off without a root. */
	char install_root[PATH_MAX];
	char package_roots[PATH_MAX];
	char replacement[PATH_MAX];	/* where a received package is kept */
	unsigned int replacement_max_mb;
	int reboot;
	struct ike_config ike;		/* transport ike */
};

extern const char *const transport_names[];

/* A connection to the receiver, plain or TLS. */
struct channel {
	int fd;
	SSL *ssl;
};

/* main.c: to syslog and stderr. */
void say(int priority, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* config.c: reads and checks @path into @c; 0 or -1 (logged). */
int load_config(const char *path, struct config *c);

/*
 * message.c: fills @msg from the TrE and the function's own files; 0,
 * EXIT_NOTHING (no failure to report) or -1.  @credential_failure
 * ("expired", "revoked" or NULL): the device certificate failed, which
 * stops normal communication of a trusted device too.
 */
int collect(const struct config *c, const char *credential_failure,
	    struct hnbtre_distress_msg *msg);
/* message.c: header line, message and authenticator, ready to send. */
int build_frame(const struct config *c, const struct hnbtre_distress_msg *msg,
		uint8_t **frame, size_t *len);
/*
 * message.c: RSASSA-PKCS1-v1_5 over a SHA-256 digest by the TrE, with the
 * distress credential; the signature's length or -1.
 */
long credential_sign_digest(const uint8_t *digest, uint8_t *sig,
			    size_t sig_max);

/*
 * transport.c: @frame to the receiver, with retries; EXIT_ACCEPTED,
 * EXIT_REJECTED, EXIT_UNREACHABLE or EXIT_REPLACE_RECEIVED.
 */
int deliver(const struct config *c, const uint8_t *frame, size_t len);
ssize_t channel_read(struct channel *ch, void *buf, size_t len);

/* replace.c: the package after a REPLACE line into c->replacement. */
int receive_replacement(const struct config *c, struct channel *ch,
			const char *line, const uint8_t *rest,
			size_t rest_len, const char **why);
/* replace.c: installs c->replacement; an exit code. */
int replace_image(const struct config *c);

#endif
