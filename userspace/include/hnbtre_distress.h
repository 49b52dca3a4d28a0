/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libhnbtre: distress indication messages (Documentation/distress.md).
 *
 * On the wire: a header line, the message (JSON), the authenticator.
 *
 *   "HNBTRE-DISTRESS 1 <auth> <message length> <auth length>\n"
 *   message | authenticator
 */
#ifndef HNBTRE_DISTRESS_H
#define HNBTRE_DISTRESS_H

#include <stddef.h>
#include <stdint.h>

#include "hnbtre.h"

#define HNBTRE_DISTRESS_FORMAT		"hnbtre-distress-1"
#define HNBTRE_DISTRESS_MAGIC		"HNBTRE-DISTRESS 1 "	/* the header's start */
#define HNBTRE_DISTRESS_HEADER_MAX	64
#define HNBTRE_DISTRESS_MESSAGE_MAX	(64 << 10)
#define HNBTRE_DISTRESS_AUTH_MAX	512
#define HNBTRE_DISTRESS_HMAC_LEN	32
#define HNBTRE_DISTRESS_FAILED_MAX	256	/* components listed */

/* How a message is authenticated (TS 33.320 7.12.3). */
enum hnbtre_distress_auth {
	HNBTRE_DISTRESS_AUTH_NONE,	/* last resort, recorded as such */
	HNBTRE_DISTRESS_AUTH_PSK,	/* HMAC-SHA-256 with a pre-shared key */
	HNBTRE_DISTRESS_AUTH_SIG,	/* signed by the TrE's distress credential */
};

/* A component that did not pass, as the distress function saw it. */
struct hnbtre_distress_component {
	char *path;
	char *verdict;
	char *class;
};

/* A parsed distress message; strings are NUL terminated, owned. */
struct hnbtre_distress_msg {
	enum hnbtre_distress_auth auth;
	char *identity;
	uint64_t sequence;
	int64_t time;
	char *state;
	size_t nfailed;
	struct hnbtre_distress_component *failed;
	uint8_t *attestation;		/* the TrE's signed blob, or NULL */
	size_t attestation_len;
	uint8_t *device_cert;		/* DER, or NULL */
	size_t device_cert_len;
	uint8_t *credential_cert;	/* DER of the distress credential, or NULL */
	size_t credential_cert_len;
	/* Points into the frame given to hnbtre_distress_parse(). */
	const uint8_t *signed_part;	/* header line and message */
	size_t signed_len;
	const uint8_t *authenticator;
	size_t authenticator_len;
};

/* Results of hnbtre_distress_verify(). */
enum hnbtre_distress_verdict {
	HNBTRE_DISTRESS_AUTHENTIC,	/* authenticated by the transport's means */
	HNBTRE_DISTRESS_UNAUTHENTICATED,	/* auth none: recorded, trusted for nothing */
	HNBTRE_DISTRESS_BAD_AUTH,	/* HMAC or signature wrong */
	HNBTRE_DISTRESS_UNKNOWN_CREDENTIAL,	/* no PSK, or cert does not chain */
	HNBTRE_DISTRESS_WRONG_IDENTITY,	/* credential not for this identity */
	HNBTRE_DISTRESS_REPLAY,		/* sequence not above the last one seen */
};

/**
 * hnbtre_distress_nonce() - the attestation nonce bound to a message
 * @identity: device identity
 * @sequence: message sequence number
 * @time: message time
 * @nonce: receives SHA-256("hnbtre-distress-1" || be64 sequence ||
 *	be64 time || identity), HNBTRE_DIGEST_LEN bytes
 */
void hnbtre_distress_nonce(const char *identity, uint64_t sequence,
			   int64_t time, uint8_t nonce[HNBTRE_DIGEST_LEN]);

/**
 * hnbtre_distress_encode() - build the message (JSON) of a frame
 * @msg: fields; @auth, the signed/authenticator parts are ignored
 * @out: malloc'ed, NUL terminated JSON
 * @len: its length without the NUL
 *
 * Return: 0, -EINVAL (a field out of range), -ENOMEM.
 */
int hnbtre_distress_encode(const struct hnbtre_distress_msg *msg,
			   char **out, size_t *len);

struct json_object;

/**
 * hnbtre_distress_failed_list() - the failed components as JSON
 * @msg: the message
 *
 * Return: a json-c array of {"path", "verdict", "class"} objects (the
 * message's "failed" member), or NULL without memory.
 */
struct json_object *hnbtre_distress_failed_list(
	const struct hnbtre_distress_msg *msg);

/**
 * hnbtre_distress_header() - the header line of a frame
 * @auth: authentication
 * @message_len: length of the JSON
 * @auth_len: length of the authenticator
 * @out: HNBTRE_DISTRESS_HEADER_MAX bytes
 *
 * Return: length of the line including its "\n".
 */
int hnbtre_distress_header(enum hnbtre_distress_auth auth, size_t message_len,
			   size_t auth_len, char *out);

/**
 * hnbtre_distress_parse() - parse a complete frame
 * @frame: header line, message, authenticator; must outlive @msg
 * @len: length of @frame
 * @msg: the result; free with hnbtre_distress_free() even on failure
 * @err: message on failure (HNBTRE_ERR_LEN bytes)
 *
 * Checks structure and field ranges only, not the authenticator.
 *
 * Return: 0, -EBADMSG, -ENOMEM.
 */
int hnbtre_distress_parse(const uint8_t *frame, size_t len,
			  struct hnbtre_distress_msg *msg, char *err);

/**
 * hnbtre_distress_frame_len() - total length of a frame from its header
 * @data: the first bytes received
 * @len: their number
 * @total: set to the length of the whole frame
 *
 * Return: 0, -EAGAIN (header line incomplete), -EBADMSG.
 */
int hnbtre_distress_frame_len(const uint8_t *data, size_t len, size_t *total);

/**
 * hnbtre_distress_hmac() - the PSK authenticator of a frame
 * @psk: the pre-shared key
 * @psk_len: its length (at least 16 bytes)
 * @signed_part: header line and message
 * @len: their length
 * @mac: receives HMAC-SHA-256 (HNBTRE_DISTRESS_HMAC_LEN bytes)
 *
 * Return: 0 or -EINVAL.
 */
int hnbtre_distress_hmac(const uint8_t *psk, size_t psk_len,
			 const uint8_t *signed_part, size_t len,
			 uint8_t mac[HNBTRE_DISTRESS_HMAC_LEN]);

/**
 * hnbtre_distress_verify() - authenticate a parsed frame as the receiver
 * @msg: from hnbtre_distress_parse()
 * @psk: the device's pre-shared key, or NULL if none is provisioned
 * @psk_len: its length
 * @ca_pem: PEM file with the CA(s) the distress credential chains to
 * @last_sequence: the highest sequence accepted from this identity
 *
 * The sequence check applies to every kind: a replayed message is
 * refused even when it was authentic the first time.
 *
 * Return: an enum hnbtre_distress_verdict, or -errno if @ca_pem cannot
 * be read.
 */
int hnbtre_distress_verify(const struct hnbtre_distress_msg *msg,
			   const uint8_t *psk, size_t psk_len,
			   const char *ca_pem, uint64_t last_sequence);

/**
 * hnbtre_distress_attestation() - check the TrE's statement in a message
 * @msg: from hnbtre_distress_parse()
 * @device_ca_pem: PEM file with the CA(s) device certificates chain to
 * @out: the attested fields, valid unless the result is MALFORMED
 *
 * The device certificate in the message must chain to @device_ca_pem and
 * name the message's identity; the attestation must be signed by it over
 * the nonce hnbtre_distress_nonce() gives for the message.  A genuine
 * report of a failed start-up yields HNBTRE_ATTEST_NOT_TRUSTED with
 * @out->state failed or tampered.
 *
 * Return: an enum hnbtre_attest_verdict (MALFORMED also when attestation
 * or certificate are missing or the certificate does not chain), or
 * -errno if @device_ca_pem cannot be read.
 */
int hnbtre_distress_attestation(const struct hnbtre_distress_msg *msg,
				const char *device_ca_pem,
				struct hnbtre_attestation *out);

/**
 * hnbtre_distress_verdict_str() - what a verdict means
 * @verdict: an enum hnbtre_distress_verdict
 *
 * Return: a static string.
 */
const char *hnbtre_distress_verdict_str(int verdict);

/**
 * hnbtre_distress_auth_name() - "none", "psk" or "sig"
 * @auth: an enum hnbtre_distress_auth
 *
 * Return: a static string, "invalid" for anything else.
 */
const char *hnbtre_distress_auth_name(int auth);

/**
 * hnbtre_distress_tre_failed() - whether a component of the TrE itself failed
 * @msg: the message
 *
 * Then nothing is replaced (TS 33.320 7.12.4): the function sends nothing,
 * the receiver offers no package.
 *
 * Return: 1 if a failed component has class "tre", else 0.
 */
int hnbtre_distress_tre_failed(const struct hnbtre_distress_msg *msg);

/**
 * hnbtre_distress_free() - free what hnbtre_distress_parse() allocated
 * @msg: the message
 */
void hnbtre_distress_free(struct hnbtre_distress_msg *msg);

#endif /* HNBTRE_DISTRESS_H */
