/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The TrE device key as an OpenSSL key for TLS client authentication
 * (Documentation/tr069.md, "The TLS client key").  The private key never
 * leaves the kernel: every signature is a keyctl operation on the gated
 * key in .hnbtre_device, so a TrE that is not trusted makes the TLS
 * handshake fail.
 */
#ifndef HNBTRE_TLS_H
#define HNBTRE_TLS_H

#include <stdint.h>

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <linux/hnbtre.h>

/* Signature algorithms the TrE key can make: RSA-PSS (TLS 1.3 and 1.2),
 * computed as PSS encoding here plus the raw RSA operation in the TrE,
 * and PKCS#1 v1.5 (TLS 1.2), computed by the TrE. */
#define HNBTRE_TLS_SIGALGS \
	"rsa_pss_rsae_sha256:rsa_pss_rsae_sha384:rsa_pss_rsae_sha512:" \
	"rsa_pkcs1_sha256:rsa_pkcs1_sha384:rsa_pkcs1_sha512"

/**
 * hnbtre_tre_key_serial() - find a key of the TrE in .hnbtre_device
 * @description: HNBTRE_DEVICE_KEY_DESC, or HNBTRE_DISTRESS_KEY_DESC for the
 *	distress credential (Documentation/distress.md)
 *
 * The caller must possess .hnbtre_device (keyctl link %:.hnbtre_device @s).
 *
 * Return: the key's serial, or -errno (-ENOKEY: no such key reachable).
 */
int32_t hnbtre_tre_key_serial(const char *description);

/**
 * hnbtre_tre_pkey() - the TrE key as an EVP_PKEY
 * @serial: the gated kernel key (hnbtre_tre_key_serial())
 * @cert: the device certificate; its RSA public key must be the kernel
 *	key's (the modulus sizes are compared here, the handshake proves
 *	the rest)
 *
 * Signing with the result (PKCS#1 v1.5 with SHA-256/384/512, or RSA-PSS)
 * calls the TrE; decryption is refused.  There is no private key material
 * in the object.
 *
 * Return: the key (free with EVP_PKEY_free()), or NULL with an OpenSSL
 * error queued.
 */
EVP_PKEY *hnbtre_tre_pkey(int32_t serial, X509 *cert);

/**
 * hnbtre_tre_pkey_error() - why the TrE key's last operation failed
 * @key: from hnbtre_tre_pkey()
 *
 * libssl reports a failed signature as a handshake failure and libcurl
 * consumes OpenSSL's error queue; this keeps the TrE's answer.
 *
 * Return: 0 if no operation failed since the key was made, else keyctl's
 * negative errno (-EKEYREJECTED: the TrE state is not trusted).
 */
int hnbtre_tre_pkey_error(EVP_PKEY *key);

/**
 * hnbtre_tls_use_tre_key() - make an SSL_CTX authenticate with the TrE
 * @ctx: the client context (e.g. from CURLOPT_SSL_CTX_FUNCTION)
 * @cert: the device certificate
 * @key: from hnbtre_tre_pkey()
 *
 * Installs certificate and key and restricts the client signature
 * algorithms to HNBTRE_TLS_SIGALGS.
 *
 * Return: 0, or -EINVAL when OpenSSL refuses (key and certificate differ).
 */
int hnbtre_tls_use_tre_key(SSL_CTX *ctx, X509 *cert, EVP_PKEY *key);

/* The nonce of a session attestation: a TLS exporter of the connection. */
#define HNBTRE_SESSION_NONCE_LEN	32
#define HNBTRE_SESSION_NONCE_LABEL	"EXPORTER-hnbtre-cwmp-session-attestation"

/**
 * hnbtre_tls_session_nonce() - the session attestation nonce of a connection
 * @ssl: a connection whose handshake is complete
 * @nonce: the HNBTRE_SESSION_NONCE_LEN bytes exported with the label
 *	HNBTRE_SESSION_NONCE_LABEL and no context
 *
 * Both ends of the connection compute the same value, no other connection
 * has it (Documentation/tr069.md, "Session attestation").
 *
 * Return: 0, or -EPROTO when the connection has no unique exporter (TLS 1.2
 * without the extended master secret) or the handshake is not complete.
 */
int hnbtre_tls_session_nonce(SSL *ssl, uint8_t nonce[HNBTRE_SESSION_NONCE_LEN]);

#endif /* HNBTRE_TLS_H */
