/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "hnbtre_gateway.h"
#include "hnbtre_references.h"
#include "hnbtre_verify.h"

#include <daemon.h>

#include <openssl/x509.h>

#include "hnbtre.h"

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
 * What can be checked before the signature: the Notify is there, the peer
 * used an X.509 certificate (returned in cert), the blob parses, a
 * reference RIM exists for its identity when a store is configured (the
 * H(e)MS's store reference_db, else the files of rim_dir) and the H(e)MS
 * has not marked the device for maintenance.
 * Returns the reason for rejection, NULL if there is none.
 */
static char *precheck(ike_sa_t *ike_sa, chunk_t attestation,
					  certificate_t **cert, char *rim_dir, char *reference_db,
					  struct hnbtre_references *refs)
{
	struct hnbtre_attestation fields;
	char *reason;

	if (!attestation.len)
	{
		return "no attestation Notify";
	}
	*cert = peer_cert(ike_sa);
	if (!*cert || (*cert)->get_type(*cert) != CERT_X509)
	{
		return "peer did not authenticate with a certificate";
	}
	if (hnbtre_attestation_parse(attestation.ptr, attestation.len, &fields))
	{
		return "malformed attestation";
	}
	/* the identity only names the reference: the verification below checks
	 * that it is the certificate's */
	if (reference_db)
	{
		reason = hnbtre_references_read(reference_db, fields.identity,
										fields.identity_len, refs);
		if (!reason && refs->maintenance)
		{
			reason = "device marked for maintenance at the H(e)MS";
		}
		return reason;
	}
	if (rim_dir)
	{
		refs->has_rim = TRUE;
		return hnbtre_reference_rim(rim_dir, fields.identity,
									fields.identity_len, refs->rim);
	}
	return NULL;
}

/*
 * Described in header
 */
bool hnbtre_gateway_decide(ike_sa_t *ike_sa, chunk_t attestation,
						   chunk_t binding, char *problem,
						   hnbtre_policy_t policy)
{
	struct hnbtre_attestation fields;
	struct hnbtre_references refs = {};
	struct x509_store_st *roots = NULL;
	certificate_t *cert = NULL;
	chunk_t tim = chunk_empty;
	char *rim_dir, *reference_db, *roots_path, *reason;
	int verdict = -1;
	bool accept;

	rim_dir = lib->settings->get_str(lib->settings,
							"%s.plugins.hnbtre.rim_dir", NULL, lib->ns);
	reference_db = lib->settings->get_str(lib->settings,
							"%s.plugins.hnbtre.reference_db", NULL, lib->ns);
	roots_path = lib->settings->get_str(lib->settings,
							"%s.plugins.hnbtre.attestation_roots", NULL, lib->ns);
	reason = problem ?: precheck(ike_sa, attestation, &cert, rim_dir,
								 reference_db, &refs);
	if (!reason)
	{
		roots = roots_path ? hnbtre_roots_load(roots_path) : NULL;
		reason = roots ? NULL : "attestation_roots not configured or unreadable";
	}
	if (!reason)
	{
		verdict = hnbtre_verify_with_cert(cert, roots, attestation, binding,
								refs.has_rim ? refs.rim :
								refs.has_expected ? refs.expected : NULL,
								&fields);
		/* the platform of a package the H(e)MS sent, not yet verified by it */
		if (verdict == HNBTRE_ATTEST_TIM_NOT_RIM && refs.has_rim &&
			refs.has_expected &&
			memeq(fields.tim, refs.expected, sizeof(refs.expected)))
		{
			verdict = HNBTRE_ATTEST_VALID;
		}
		reason = (char*)hnbtre_attest_verdict_str(verdict);
		if (hnbtre_attest_genuine(verdict) && fields.validated)
		{
			tim = chunk_create(fields.tim, sizeof(fields.tim));
		}
	}

	X509_STORE_free(roots);
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
