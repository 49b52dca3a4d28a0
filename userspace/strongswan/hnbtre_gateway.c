/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "hnbtre_gateway.h"

#include <string.h>

#include <daemon.h>

#include "hnbtre.h"

/** a reference RIM file: "sha256:<64 lowercase hex>", optional newline */
#define RIM_PREFIX "sha256:"
#define RIM_FILE_MAX 128

/**
 * Policy from its name; anything unknown fails closed
 */
static hnbtre_policy_t parse_policy(char *name, char *conn)
{
	if (streq(name, "off"))
	{
		return HNBTRE_POLICY_OFF;
	}
	if (streq(name, "log"))
	{
		return HNBTRE_POLICY_LOG;
	}
	if (!streq(name, "require"))
	{
		DBG1(DBG_CFG, "hnbtre: unknown policy '%s' for '%s', using require",
			 name, conn);
	}
	return HNBTRE_POLICY_REQUIRE;
}

/*
 * Described in header
 */
hnbtre_policy_t hnbtre_gateway_policy(ike_sa_t *ike_sa)
{
	peer_cfg_t *peer_cfg = ike_sa->get_peer_cfg(ike_sa);
	char *conn, *name;

	conn = peer_cfg ? peer_cfg->get_name(peer_cfg) : "";
	name = lib->settings->get_str(lib->settings,
				"%s.plugins.hnbtre.connections.%s.policy",
				lib->settings->get_str(lib->settings,
					"%s.plugins.hnbtre.policy", "require", lib->ns),
				lib->ns, conn);
	return parse_policy(name, conn);
}

/**
 * The certificate the peer authenticated with, NULL if none
 */
static certificate_t *peer_cert(ike_sa_t *ike_sa)
{
	enumerator_t *enumerator;
	certificate_t *cert = NULL;
	auth_cfg_t *auth;

	enumerator = ike_sa->create_auth_cfg_enumerator(ike_sa, FALSE);
	while (!cert && enumerator->enumerate(enumerator, &auth))
	{
		cert = auth->get(auth, AUTH_RULE_SUBJECT_CERT);
	}
	enumerator->destroy(enumerator);
	return cert;
}

/**
 * Whether an identity may name a file in the reference store
 */
static bool identity_is_filename(const char *identity, size_t len)
{
	size_t i;

	if (!len || (len == 1 && identity[0] == '.') ||
		(len == 2 && !memcmp(identity, "..", 2)))
	{
		return FALSE;
	}
	for (i = 0; i < len; i++)
	{
		if (identity[i] <= 0x20 || identity[i] >= 0x7f || identity[i] == '/')
		{
			return FALSE;
		}
	}
	return TRUE;
}

/**
 * Load the reference RIM of an identity; NULL reason on success
 */
static char *load_rim(const char *dir, const char *identity, size_t len,
					  uint8_t rim[HNBTRE_DIGEST_LEN])
{
	char path[PATH_MAX], *hex;
	uint8_t *data;
	size_t size, i;
	char *reason = NULL;

	if (!identity_is_filename(identity, len))
	{
		return "identity unusable as a reference store name";
	}
	if (snprintf(path, sizeof(path), "%s/%.*s", dir, (int)len,
				 identity) >= (int)sizeof(path) ||
		hnbtre_read_file(path, RIM_FILE_MAX, &data, &size))
	{
		return "no reference RIM for this identity";
	}
	hex = (char*)data + strlen(RIM_PREFIX);
	if (size && data[size - 1] == '\n')
	{
		size--;
	}
	if (size != strlen(RIM_PREFIX) + 2 * HNBTRE_DIGEST_LEN ||
		memcmp(data, RIM_PREFIX, strlen(RIM_PREFIX)) ||
		strspn(hex, "0123456789abcdef") < 2 * HNBTRE_DIGEST_LEN)
	{
		reason = "malformed reference RIM file";
	}
	else
	{
		for (i = 0; i < HNBTRE_DIGEST_LEN; i++)
		{
			sscanf(hex + 2 * i, "%2hhx", &rim[i]);
		}
	}
	free(data);
	return reason;
}

/**
 * What can be checked before the signature: the Notify is there, the peer
 * used a certificate (its DER returned in der), the blob parses and a
 * reference RIM exists for its identity when a store is configured.
 * Returns the reason for rejection, NULL if there is none.
 */
static char *precheck(ike_sa_t *ike_sa, chunk_t attestation, chunk_t *der,
					  char *rim_dir, uint8_t rim[HNBTRE_DIGEST_LEN])
{
	struct hnbtre_attestation fields;
	certificate_t *cert = peer_cert(ike_sa);

	if (!attestation.len)
	{
		return "no attestation Notify";
	}
	if (!cert || !cert->get_encoding(cert, CERT_ASN1_DER, der))
	{
		return "peer did not authenticate with a certificate";
	}
	if (hnbtre_attestation_parse(attestation.ptr, attestation.len, &fields))
	{
		return "malformed attestation";
	}
	/* the identity only names the file: the verification below checks that
	 * it is the certificate's */
	return rim_dir ? load_rim(rim_dir, fields.identity, fields.identity_len,
							  rim) : NULL;
}

/*
 * Described in header
 */
bool hnbtre_gateway_decide(ike_sa_t *ike_sa, chunk_t attestation,
						   chunk_t binding, char *problem,
						   hnbtre_policy_t policy)
{
	struct hnbtre_attestation fields;
	uint8_t rim[HNBTRE_DIGEST_LEN];
	chunk_t der = chunk_empty, tim = chunk_empty;
	char *rim_dir, *reason;
	int verdict = -1;
	bool accept;

	rim_dir = lib->settings->get_str(lib->settings,
							"%s.plugins.hnbtre.rim_dir", NULL, lib->ns);
	reason = problem ?: precheck(ike_sa, attestation, &der, rim_dir, rim);
	if (!reason)
	{
		verdict = hnbtre_verify_attestation_der(attestation.ptr,
							attestation.len, der.ptr, der.len, binding.ptr,
							binding.len, rim_dir ? rim : NULL, &fields);
		reason = (char*)hnbtre_attest_verdict_str(verdict);
		if (verdict != HNBTRE_ATTEST_MALFORMED && fields.validated)
		{
			tim = chunk_create(fields.tim, sizeof(fields.tim));
		}
	}
	chunk_free(&der);

	accept = verdict == HNBTRE_ATTEST_VALID || policy == HNBTRE_POLICY_LOG;
	DBG1(DBG_IKE, "hnbtre: attestation %s identity=%Y reason=\"%s\" "
		 "tim=%s%+B policy=%s action=%s ike_sa=%s[%u]",
		 verdict == HNBTRE_ATTEST_VALID ? "verified" : "rejected",
		 ike_sa->get_other_id(ike_sa), reason, tim.len ? "sha256:" : "-",
		 &tim, policy == HNBTRE_POLICY_LOG ? "log" : "require",
		 accept ? "accept" : "reject", ike_sa->get_name(ike_sa),
		 ike_sa->get_unique_id(ike_sa));
	return accept;
}
