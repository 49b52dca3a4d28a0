/* SPDX-License-Identifier: GPL-2.0-only OR LGPL-2.1-or-later */
/*
 * Layout of an attestation blob (Documentation/attestation.md), shared by
 * the kernel (attest.c) and libhnbtre (userspace/lib/attest.c): plain
 * macros only, so that both can include it.
 */
#ifndef _HNBTRE_ATTEST_FORMAT_H
#define _HNBTRE_ATTEST_FORMAT_H

/* Format identifier and domain separation: never a TLS or IKE prefix. */
#define ATTEST_MAGIC		"HNBTRE-ATTEST-1\n"
#define ATTEST_MAGIC_LEN	16

#define ATTEST_NONCE_MIN	16
#define ATTEST_NONCE_MAX	64

/* Offsets of the fixed header; integers are big-endian. */
#define OFF_BODY_LEN		16
#define OFF_SIG_LEN		20
#define OFF_STATE		22
#define OFF_FLAGS		23
#define OFF_MANIFEST_VERSION	24
#define OFF_COUNTER		32
#define OFF_BOOT_EPOCH		40
#define OFF_UPTIME		48
#define OFF_VALIDATIONS		56
#define OFF_TIM			64
#define OFF_RIM			96
#define OFF_VERDICTS		128	/* 6 x be32 */
#define OFF_NONCE_LEN		152
#define OFF_IDENTITY_LEN	153
#define ATTEST_HEADER_SIZE	154

#define FLAG_VALIDATED		0x01
#define FLAG_HAS_MANIFEST	0x02

#endif /* _HNBTRE_ATTEST_FORMAT_H */
