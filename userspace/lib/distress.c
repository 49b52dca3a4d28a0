// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Distress indication messages (Documentation/distress.md): encoding for
 * the distress function, parsing and authentication for the receiver.
 * JSON through json-c, base64, HMAC, X.509 and signatures through OpenSSL.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "hnbtre_distress.h"

static const char *const auth_names[] = {
	[HNBTRE_DISTRESS_AUTH_NONE] = "none",
	[HNBTRE_DISTRESS_AUTH_PSK] = "psk",
	[HNBTRE_DISTRESS_AUTH_SIG] = "sig",
};

const char *hnbtre_distress_auth_name(int auth)
{
	if (auth < 0 || auth >= (int)(sizeof(auth_names) / sizeof(*auth_names)))
		return "invalid";
	return auth_names[auth];
}

void hnbtre_distress_nonce(const char *identity, uint64_t sequence,
			   int64_t time, uint8_t nonce[HNBTRE_DIGEST_LEN])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint8_t be[16];
	int i;

	for (i = 0; i < 8; i++) {
		be[i] = sequence >> (56 - 8 * i);
		be[8 + i] = (uint64_t)time >> (56 - 8 * i);
	}
	if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(ctx, HNBTRE_DISTRESS_FORMAT,
			     strlen(HNBTRE_DISTRESS_FORMAT)) != 1 ||
	    EVP_DigestUpdate(ctx, be, sizeof(be)) != 1 ||
	    EVP_DigestUpdate(ctx, identity, strlen(identity)) != 1 ||
	    EVP_DigestFinal_ex(ctx, nonce, NULL) != 1)
		abort();	/* SHA-256 of a few bytes cannot fail */
	EVP_MD_CTX_free(ctx);
}

static json_object *base64_string(const uint8_t *data, size_t len)
{
	char *text = hnbtre_base64_encode(data, len);
	json_object *s = text ? json_object_new_string(text) : NULL;

	free(text);
	return s;
}

/* Adds @value under @key; takes ownership; NULL @value means ENOMEM. */
static int add(json_object *o, const char *key, json_object *value)
{
	if (!value || json_object_object_add(o, key, value)) {
		json_object_put(value);
		return -ENOMEM;
	}
	return 0;
}

json_object *hnbtre_distress_failed_list(const struct hnbtre_distress_msg *msg)
{
	json_object *list = json_object_new_array();
	size_t i;
	int ret = list ? 0 : -ENOMEM;

	for (i = 0; !ret && i < msg->nfailed; i++) {
		const struct hnbtre_distress_component *c = &msg->failed[i];
		json_object *entry = json_object_new_object();

		ret = entry ? 0 : -ENOMEM;
		if (!ret)
			ret = add(entry, "path", json_object_new_string(c->path));
		if (!ret)
			ret = add(entry, "verdict",
				  json_object_new_string(c->verdict));
		if (!ret)
			ret = add(entry, "class", json_object_new_string(c->class));
		if (!ret && json_object_array_add(list, entry))
			ret = -ENOMEM;
		if (ret)
			json_object_put(entry);
	}
	if (ret) {
		json_object_put(list);
		return NULL;
	}
	return list;
}

int hnbtre_distress_encode(const struct hnbtre_distress_msg *msg,
			   char **out, size_t *len)
{
	json_object *o;
	const char *text;
	int ret;

	if (!msg->identity || !*msg->identity ||
	    strlen(msg->identity) > HNBTRE_IDENTITY_MAX || !msg->state ||
	    msg->nfailed > HNBTRE_DISTRESS_FAILED_MAX ||
	    msg->sequence > INT64_MAX)
		return -EINVAL;
	o = json_object_new_object();
	if (!o)
		return -ENOMEM;
	ret = add(o, "format", json_object_new_string(HNBTRE_DISTRESS_FORMAT));
	if (!ret)
		ret = add(o, "identity", json_object_new_string(msg->identity));
	if (!ret)
		ret = add(o, "sequence", json_object_new_int64(msg->sequence));
	if (!ret)
		ret = add(o, "time", json_object_new_int64(msg->time));
	if (!ret)
		ret = add(o, "state", json_object_new_string(msg->state));
	if (!ret)
		ret = add(o, "failed", hnbtre_distress_failed_list(msg));
	if (!ret && msg->attestation)
		ret = add(o, "attestation", base64_string(msg->attestation,
							  msg->attestation_len));
	if (!ret && msg->device_cert)
		ret = add(o, "device_certificate",
			  base64_string(msg->device_cert, msg->device_cert_len));
	if (!ret && msg->credential_cert)
		ret = add(o, "credential_certificate",
			  base64_string(msg->credential_cert,
					msg->credential_cert_len));
	if (!ret) {
		text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
		*out = text ? strdup(text) : NULL;
		ret = *out ? 0 : -ENOMEM;
		if (!ret)
			*len = strlen(*out);
		if (!ret && *len > HNBTRE_DISTRESS_MESSAGE_MAX) {
			free(*out);
			*out = NULL;
			ret = -EINVAL;
		}
	}
	json_object_put(o);
	return ret;
}

int hnbtre_distress_header(enum hnbtre_distress_auth auth, size_t message_len,
			   size_t auth_len, char *out)
{
	return snprintf(out, HNBTRE_DISTRESS_HEADER_MAX, HNBTRE_DISTRESS_MAGIC "%s %zu %zu\n",
			hnbtre_distress_auth_name(auth), message_len, auth_len);
}

/* A decimal without sign or leading zeros, at most @max. */
static int parse_size(const char **p, const char *end, size_t max,
		      size_t *out)
{
	const char *s = *p;
	size_t v = 0;

	if (s == end || *s < '0' || *s > '9' || (*s == '0' && s + 1 < end &&
						  s[1] >= '0' && s[1] <= '9'))
		return -EBADMSG;
	for (; s < end && *s >= '0' && *s <= '9'; s++) {
		v = v * 10 + (size_t)(*s - '0');
		if (v > max)
			return -EBADMSG;
	}
	*p = s;
	*out = v;
	return 0;
}

/* Parses the header line; sets the auth kind and both lengths. */
static int parse_header(const uint8_t *data, size_t len, size_t *line_len,
			enum hnbtre_distress_auth *auth, size_t *message_len,
			size_t *auth_len)
{
	const char *p = (const char *)data, *end;
	const uint8_t *nl;
	size_t magic = strlen(HNBTRE_DISTRESS_MAGIC), i;

	nl = memchr(data, '\n', len < HNBTRE_DISTRESS_HEADER_MAX ?
		    len : HNBTRE_DISTRESS_HEADER_MAX);
	if (!nl)
		return len < HNBTRE_DISTRESS_HEADER_MAX &&
		       !memcmp(data, HNBTRE_DISTRESS_MAGIC, len < magic ? len : magic) ?
		       -EAGAIN : -EBADMSG;
	end = (const char *)nl;
	if ((size_t)(end - p) < magic || memcmp(p, HNBTRE_DISTRESS_MAGIC, magic))
		return -EBADMSG;
	p += magic;
	for (i = 0; i < sizeof(auth_names) / sizeof(*auth_names); i++) {
		size_t n = strlen(auth_names[i]);

		if ((size_t)(end - p) > n && !memcmp(p, auth_names[i], n) &&
		    p[n] == ' ')
			break;
	}
	if (i == sizeof(auth_names) / sizeof(*auth_names))
		return -EBADMSG;
	*auth = i;
	p += strlen(auth_names[i]) + 1;
	if (parse_size(&p, end, HNBTRE_DISTRESS_MESSAGE_MAX, message_len) ||
	    p == end || *p++ != ' ' ||
	    parse_size(&p, end, HNBTRE_DISTRESS_AUTH_MAX, auth_len) ||
	    p != end)
		return -EBADMSG;
	if ((*auth == HNBTRE_DISTRESS_AUTH_NONE && *auth_len) ||
	    (*auth == HNBTRE_DISTRESS_AUTH_PSK &&
	     *auth_len != HNBTRE_DISTRESS_HMAC_LEN) ||
	    (*auth == HNBTRE_DISTRESS_AUTH_SIG && !*auth_len))
		return -EBADMSG;
	*line_len = (size_t)(end - (const char *)data) + 1;
	return 0;
}

int hnbtre_distress_frame_len(const uint8_t *data, size_t len, size_t *total)
{
	enum hnbtre_distress_auth auth;
	size_t line, message, authenticator;
	int ret;

	ret = parse_header(data, len, &line, &auth, &message, &authenticator);
	if (!ret)
		*total = line + message + authenticator;
	return ret;
}

static int decode_base64(json_object *s, uint8_t **out, size_t *len)
{
	return hnbtre_base64_decode(json_object_get_string(s),
				    (size_t)json_object_get_string_len(s),
				    HNBTRE_DISTRESS_MESSAGE_MAX, out, len);
}

/* A member of type @type, or NULL. */
static json_object *member(json_object *o, const char *key, json_type type)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, type))
		return NULL;
	return v;
}

static char *string_member(json_object *o, const char *key, size_t max)
{
	json_object *v = member(o, key, json_type_string);
	const char *s = v ? json_object_get_string(v) : NULL;
	size_t len = v ? (size_t)json_object_get_string_len(v) : 0;

	/* Embedded NULs or control characters never reach a log or a DB. */
	if (!s || !len || len > max || strlen(s) != len)
		return NULL;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return NULL;
	return strdup(s);
}

static int parse_failed(json_object *o, struct hnbtre_distress_msg *msg,
			char *err)
{
	json_object *list = member(o, "failed", json_type_array);
	size_t i, n;

	if (!list)
		return hnbtre_fail(err, -EBADMSG, "no list of failed components");
	n = json_object_array_length(list);
	if (n > HNBTRE_DISTRESS_FAILED_MAX)
		return hnbtre_fail(err, -EBADMSG, "%zu failed components listed, at most %d",
			    n, HNBTRE_DISTRESS_FAILED_MAX);
	msg->failed = calloc(n ? n : 1, sizeof(*msg->failed));
	if (!msg->failed)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(list, i);
		struct hnbtre_distress_component *c = &msg->failed[i];

		msg->nfailed = i + 1;
		if (!json_object_is_type(e, json_type_object))
			return hnbtre_fail(err, -EBADMSG, "failed[%zu] is not an object", i);
		c->path = string_member(e, "path", HNBTRE_PATH_MAX);
		c->verdict = string_member(e, "verdict", 16);
		c->class = string_member(e, "class", 16);
		if (!c->path || !c->verdict || !c->class)
			return hnbtre_fail(err, -EBADMSG, "failed[%zu]: path, verdict, class", i);
	}
	return 0;
}

static int parse_blob(json_object *o, const char *key, uint8_t **out,
		      size_t *len, char *err)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return 0;
	if (!json_object_is_type(v, json_type_string) ||
	    decode_base64(v, out, len))
		return hnbtre_fail(err, -EBADMSG, "%s is not base64", key);
	return 0;
}

static int parse_message(const char *text, size_t len,
			 struct hnbtre_distress_msg *msg, char *err)
{
	json_tokener *tok = json_tokener_new();
	json_object *o, *v;
	const char *format;
	int ret;

	if (!tok)
		return -ENOMEM;
	o = json_tokener_parse_ex(tok, text, (int)len);
	/* Exactly one JSON object, nothing after it. */
	if (!o || json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != len ||
	    !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		json_tokener_free(tok);
		return hnbtre_fail(err, -EBADMSG, "message is not one JSON object");
	}
	json_tokener_free(tok);

	ret = -EBADMSG;
	v = member(o, "format", json_type_string);
	format = v ? json_object_get_string(v) : "";
	if (strcmp(format, HNBTRE_DISTRESS_FORMAT)) {
		hnbtre_fail(err, -EBADMSG, "format is not " HNBTRE_DISTRESS_FORMAT);
		goto out;
	}
	msg->identity = string_member(o, "identity", HNBTRE_IDENTITY_MAX);
	msg->state = string_member(o, "state", 16);
	if (!msg->identity || !msg->state) {
		hnbtre_fail(err, -EBADMSG, "identity or state missing or invalid");
		goto out;
	}
	v = member(o, "sequence", json_type_int);
	if (!v || json_object_get_int64(v) < 1) {
		hnbtre_fail(err, -EBADMSG, "sequence missing or not positive");
		goto out;
	}
	msg->sequence = (uint64_t)json_object_get_int64(v);
	v = member(o, "time", json_type_int);
	if (!v) {
		hnbtre_fail(err, -EBADMSG, "time missing");
		goto out;
	}
	msg->time = json_object_get_int64(v);
	ret = parse_failed(o, msg, err);
	if (!ret)
		ret = parse_blob(o, "attestation", &msg->attestation,
				 &msg->attestation_len, err);
	if (!ret)
		ret = parse_blob(o, "device_certificate", &msg->device_cert,
				 &msg->device_cert_len, err);
	if (!ret)
		ret = parse_blob(o, "credential_certificate",
				 &msg->credential_cert,
				 &msg->credential_cert_len, err);
out:
	json_object_put(o);
	return ret;
}

int hnbtre_distress_parse(const uint8_t *frame, size_t len,
			  struct hnbtre_distress_msg *msg, char *err)
{
	size_t line, message, authenticator;
	int ret;

	memset(msg, 0, sizeof(*msg));
	ret = parse_header(frame, len, &line, &msg->auth, &message,
			   &authenticator);
	if (ret)
		return hnbtre_fail(err, -EBADMSG, "bad header line");
	if (len != line + message + authenticator)
		return hnbtre_fail(err, -EBADMSG, "frame is %zu bytes, header says %zu", len,
			    line + message + authenticator);
	msg->signed_part = frame;
	msg->signed_len = line + message;
	msg->authenticator = frame + line + message;
	msg->authenticator_len = authenticator;
	return parse_message((const char *)frame + line, message, msg, err);
}

int hnbtre_distress_hmac(const uint8_t *psk, size_t psk_len,
			 const uint8_t *signed_part, size_t len,
			 uint8_t mac[HNBTRE_DISTRESS_HMAC_LEN])
{
	unsigned int mac_len = HNBTRE_DISTRESS_HMAC_LEN;

	if (psk_len < 16 ||
	    !HMAC(EVP_sha256(), psk, (int)psk_len, signed_part, len, mac,
		  &mac_len))
		return -EINVAL;
	return 0;
}

static X509 *der_cert(const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	X509 *cert = d2i_X509(NULL, &p, (long)len);

	if (cert && p != der + len) {
		X509_free(cert);
		cert = NULL;
	}
	return cert;
}

/* The credential chains to a CA in @ca_pem: 1, 0, or -errno. */
static int chains_to(X509 *cert, const char *ca_pem)
{
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	int ret = -ENOMEM;

	if (store && ctx) {
		ret = X509_STORE_load_file(store, ca_pem) == 1 ? 0 : -ENOENT;
		if (!ret && X509_STORE_CTX_init(ctx, store, cert, NULL) == 1)
			ret = X509_verify_cert(ctx) == 1;
	}
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	return ret;
}

static int verify_signature(const struct hnbtre_distress_msg *msg,
			    const char *ca_pem)
{
	X509 *cert;
	int ret;

	if (!msg->credential_cert)
		return HNBTRE_DISTRESS_UNKNOWN_CREDENTIAL;
	cert = der_cert(msg->credential_cert, msg->credential_cert_len);
	if (!cert)
		return HNBTRE_DISTRESS_UNKNOWN_CREDENTIAL;
	ret = chains_to(cert, ca_pem);
	if (ret == 0)
		ret = HNBTRE_DISTRESS_UNKNOWN_CREDENTIAL;
	else if (ret == 1 && !hnbtre_cert_names_identity(cert, msg->identity,
						      strlen(msg->identity)))
		ret = HNBTRE_DISTRESS_WRONG_IDENTITY;
	else if (ret == 1 &&
		 !hnbtre_cert_verify_sha256(cert, msg->authenticator,
					    msg->authenticator_len,
					    msg->signed_part, msg->signed_len))
		ret = HNBTRE_DISTRESS_BAD_AUTH;
	else if (ret == 1)
		ret = HNBTRE_DISTRESS_AUTHENTIC;
	X509_free(cert);
	return ret;
}

int hnbtre_distress_verify(const struct hnbtre_distress_msg *msg,
			   const uint8_t *psk, size_t psk_len,
			   const char *ca_pem, uint64_t last_sequence)
{
	uint8_t mac[HNBTRE_DISTRESS_HMAC_LEN];
	int verdict;

	switch (msg->auth) {
	case HNBTRE_DISTRESS_AUTH_PSK:
		if (!psk || hnbtre_distress_hmac(psk, psk_len, msg->signed_part,
						 msg->signed_len, mac))
			verdict = HNBTRE_DISTRESS_UNKNOWN_CREDENTIAL;
		else if (CRYPTO_memcmp(mac, msg->authenticator, sizeof(mac)))
			verdict = HNBTRE_DISTRESS_BAD_AUTH;
		else
			verdict = HNBTRE_DISTRESS_AUTHENTIC;
		break;
	case HNBTRE_DISTRESS_AUTH_SIG:
		verdict = verify_signature(msg, ca_pem);
		break;
	default:
		verdict = HNBTRE_DISTRESS_UNAUTHENTICATED;
		break;
	}
	if ((verdict == HNBTRE_DISTRESS_AUTHENTIC ||
	     verdict == HNBTRE_DISTRESS_UNAUTHENTICATED) &&
	    msg->sequence <= last_sequence)
		verdict = HNBTRE_DISTRESS_REPLAY;
	return verdict;
}

int hnbtre_distress_attestation(const struct hnbtre_distress_msg *msg,
				const char *device_ca_pem,
				struct hnbtre_attestation *out)
{
	uint8_t nonce[HNBTRE_DIGEST_LEN];
	X509 *cert;
	int ret;

	if (!msg->attestation || !msg->device_cert)
		return HNBTRE_ATTEST_MALFORMED;
	cert = der_cert(msg->device_cert, msg->device_cert_len);
	if (!cert)
		return HNBTRE_ATTEST_MALFORMED;
	ret = chains_to(cert, device_ca_pem);
	if (ret == 1) {
		hnbtre_distress_nonce(msg->identity, msg->sequence, msg->time,
				      nonce);
		X509_STORE *roots = hnbtre_roots_load(device_ca_pem);

		/* The certificate must name the message's identity, too. */
		ret = roots ? hnbtre_verify_attestation_cert(msg->attestation,
							     msg->attestation_len,
							     cert, roots, nonce,
							     sizeof(nonce), NULL,
							     out) : -ENOENT;
		X509_STORE_free(roots);
	} else if (!ret) {
		ret = HNBTRE_ATTEST_MALFORMED;
	}
	X509_free(cert);
	if (ret > HNBTRE_ATTEST_WRONG_IDENTITY && ret != HNBTRE_ATTEST_BAD_SIGNER &&
	    (out->identity_len != strlen(msg->identity) ||
	     memcmp(out->identity, msg->identity, out->identity_len)))
		ret = HNBTRE_ATTEST_WRONG_IDENTITY;
	return ret;
}

const char *hnbtre_distress_verdict_str(int verdict)
{
	switch (verdict) {
	case HNBTRE_DISTRESS_AUTHENTIC:
		return "authentic";
	case HNBTRE_DISTRESS_UNAUTHENTICATED:
		return "unauthenticated";
	case HNBTRE_DISTRESS_BAD_AUTH:
		return "bad authenticator";
	case HNBTRE_DISTRESS_UNKNOWN_CREDENTIAL:
		return "unknown credential";
	case HNBTRE_DISTRESS_WRONG_IDENTITY:
		return "credential for another identity";
	case HNBTRE_DISTRESS_REPLAY:
		return "replayed (sequence not above the last one)";
	default:
		return "invalid verdict";
	}
}

void hnbtre_distress_free(struct hnbtre_distress_msg *msg)
{
	size_t i;

	for (i = 0; i < msg->nfailed; i++) {
		free(msg->failed[i].path);
		free(msg->failed[i].verdict);
		free(msg->failed[i].class);
	}
	free(msg->failed);
	free(msg->identity);
	free(msg->state);
	free(msg->attestation);
	free(msg->device_cert);
	free(msg->credential_cert);
	memset(msg, 0, sizeof(*msg));
}

int hnbtre_distress_tre_failed(const struct hnbtre_distress_msg *msg)
{
	size_t i;

	for (i = 0; i < msg->nfailed; i++)
		if (!strcmp(msg->failed[i].class,
			    hnbtre_class_name(HNBTRE_CLASS_TRE)))
			return 1;
	return 0;
}
