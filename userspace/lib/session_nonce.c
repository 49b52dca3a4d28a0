// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The nonce of a session attestation (Documentation/tr069.md, "Session
 * attestation"): a keying-material exporter of the mutual-TLS connection
 * (RFC 5705, RFC 8446 section 7.5).  Both ends derive the same fresh value
 * without a round trip, and an attestation made for one connection is
 * worthless on any other.
 */
#include <errno.h>

#include "hnbtre_tls.h"

int hnbtre_tls_session_nonce(SSL *ssl, uint8_t nonce[HNBTRE_SESSION_NONCE_LEN])
{
	static const char label[] = HNBTRE_SESSION_NONCE_LABEL;

	/* a TLS 1.2 exporter is unique to the connection only with the
	 * extended master secret (RFC 7627; the triple handshake attack) */
	if (SSL_version(ssl) < TLS1_3_VERSION && SSL_get_extms_support(ssl) != 1)
		return -EPROTO;
	if (SSL_export_keying_material(ssl, nonce, HNBTRE_SESSION_NONCE_LEN, label,
				       sizeof(label) - 1, NULL, 0, 0) != 1)
		return -EPROTO;
	return 0;
}
