// SPDX-License-Identifier: GPL-2.0-only
/*
 * What a certificate may be to the TrE (Documentation/contract.md,
 * "Signer roles"): a CA (basicConstraints cA, keyUsage keyCertSign) or a
 * signer of exactly one role (not a CA, keyUsage digitalSignature and not
 * keyCertSign, extendedKeyUsage with one role OID).  Anything else signs
 * nothing on the device.  The X.509 parser of 6.1 keeps none of these
 * extensions, so they are read from the DER here; the certificate's own
 * signature and chain are checked by the keyring it is added to.
 */

#include <linux/bitops.h>
#include <linux/errno.h>
#include <linux/string.h>

#include "hnbtre.h"

#define TAG_BOOLEAN	0x01
#define TAG_INTEGER	0x02
#define TAG_BIT_STRING	0x03
#define TAG_OCTET_STRING 0x04
#define TAG_OID		0x06
#define TAG_SEQUENCE	0x30
#define TAG_VERSION	0xa0	/* [0] EXPLICIT */
#define TAG_ISSUER_UID	0x81	/* [1] IMPLICIT */
#define TAG_SUBJECT_UID	0x82	/* [2] IMPLICIT */
#define TAG_EXTENSIONS	0xa3	/* [3] EXPLICIT */

/* keyUsage bits in the first byte of the BIT STRING (RFC 5280 4.2.1.3) */
#define KU_DIGITAL_SIGNATURE	0x80
#define KU_KEY_CERT_SIGN	0x04

/* id-ce-basicConstraints, id-ce-keyUsage, id-ce-extKeyUsage */
static const u8 oid_basic_constraints[] = { 0x55, 0x1d, 0x13 };
static const u8 oid_key_usage[] = { 0x55, 0x1d, 0x0f };
static const u8 oid_ext_key_usage[] = { 0x55, 0x1d, 0x25 };

/*
 * The DER of HNBTRE_SIGNER_ROLE_ARC, hnbtre's signer roles (an arc of a
 * UUID, X.667: no registration needed).  Role N is arc.N: .1 manifest,
 * .2 software, .3 component; enum hnbtre_role has them in that order.
 */
static const u8 oid_role_arc[] = {
	0x69, 0x81, 0xc8, 0xf9, 0xa8, 0xbb, 0x86, 0xce, 0xca, 0x89, 0xeb,
	0x86, 0xc6, 0xc1, 0xc5, 0xe5, 0xcc, 0x84, 0x8d, 0x4f, 0x01
};

enum { EXT_BASIC_CONSTRAINTS, EXT_KEY_USAGE, EXT_EXT_KEY_USAGE };

struct cert_facts {
	unsigned long seen;	/* EXT_* bits: each extension at most once */
	bool ca;
	u8 key_usage;
	unsigned long roles;	/* bit N: enum hnbtre_role N */
};

static bool oid_is(const struct hnbtre_der_tlv *oid, const u8 *der,
		   size_t len)
{
	return oid->len == len && !memcmp(oid->value, der, len);
}

/* SEQUENCE { cA BOOLEAN DEFAULT FALSE, pathLenConstraint INTEGER OPTIONAL } */
static int read_basic_constraints(const u8 *pos, const u8 *end,
				  struct cert_facts *facts)
{
	struct hnbtre_der_tlv seq, ca, path_len;

	if (hnbtre_der_next(&pos, end, TAG_SEQUENCE, &seq) || pos != end)
		return -EBADMSG;
	pos = seq.value;
	end = seq.value + seq.len;
	if (pos < end && *pos == TAG_BOOLEAN) {
		if (hnbtre_der_next(&pos, end, TAG_BOOLEAN, &ca) || ca.len != 1)
			return -EBADMSG;
		facts->ca = ca.value[0] != 0;
	}
	if (pos < end && hnbtre_der_next(&pos, end, TAG_INTEGER, &path_len))
		return -EBADMSG;
	return pos == end ? 0 : -EBADMSG;
}

/* BIT STRING: unused bits, then the bits; only the first byte matters. */
static int read_key_usage(const u8 *pos, const u8 *end,
			  struct cert_facts *facts)
{
	struct hnbtre_der_tlv bits;

	if (hnbtre_der_next(&pos, end, TAG_BIT_STRING, &bits) || pos != end ||
	    bits.len < 1 || bits.value[0] > 7)
		return -EBADMSG;
	facts->key_usage = bits.len > 1 ? bits.value[1] : 0;
	return 0;
}

/* SEQUENCE OF KeyPurposeId: the role OIDs among them. */
static int read_ext_key_usage(const u8 *pos, const u8 *end,
			      struct cert_facts *facts)
{
	struct hnbtre_der_tlv seq, oid;

	if (hnbtre_der_next(&pos, end, TAG_SEQUENCE, &seq) || pos != end)
		return -EBADMSG;
	pos = seq.value;
	end = seq.value + seq.len;
	while (pos < end) {
		u8 role;

		if (hnbtre_der_next(&pos, end, TAG_OID, &oid))
			return -EBADMSG;
		if (oid.len != sizeof(oid_role_arc) + 1 ||
		    memcmp(oid.value, oid_role_arc, sizeof(oid_role_arc)))
			continue;
		role = oid.value[sizeof(oid_role_arc)];
		if (role >= 1 && role <= HNBTRE_ROLE_COMPONENT + 1)
			facts->roles |= BIT(role - 1);
	}
	return 0;
}

/* Extension ::= SEQUENCE { extnID, critical BOOLEAN DEFAULT FALSE, extnValue } */
static int read_extension(const u8 *pos, const u8 *end,
			  struct cert_facts *facts)
{
	struct hnbtre_der_tlv oid, critical, value;
	const u8 *v_end;
	int ext;

	if (hnbtre_der_next(&pos, end, TAG_OID, &oid))
		return -EBADMSG;
	if (pos < end && *pos == TAG_BOOLEAN &&
	    hnbtre_der_next(&pos, end, TAG_BOOLEAN, &critical))
		return -EBADMSG;
	if (hnbtre_der_next(&pos, end, TAG_OCTET_STRING, &value) || pos != end)
		return -EBADMSG;
	if (oid_is(&oid, oid_basic_constraints, sizeof(oid_basic_constraints)))
		ext = EXT_BASIC_CONSTRAINTS;
	else if (oid_is(&oid, oid_key_usage, sizeof(oid_key_usage)))
		ext = EXT_KEY_USAGE;
	else if (oid_is(&oid, oid_ext_key_usage, sizeof(oid_ext_key_usage)))
		ext = EXT_EXT_KEY_USAGE;
	else
		return 0;
	/* RFC 5280 4.2: at most one instance of an extension. */
	if (__test_and_set_bit(ext, &facts->seen))
		return -EBADMSG;
	v_end = value.value + value.len;
	switch (ext) {
	case EXT_BASIC_CONSTRAINTS:
		return read_basic_constraints(value.value, v_end, facts);
	case EXT_KEY_USAGE:
		return read_key_usage(value.value, v_end, facts);
	default:
		return read_ext_key_usage(value.value, v_end, facts);
	}
}

/* The fields of TBSCertificate up to the extensions, which it reads. */
static int read_tbs(const u8 *pos, const u8 *end, struct cert_facts *facts)
{
	static const u8 fields[] = {
		TAG_INTEGER,	/* serialNumber */
		TAG_SEQUENCE,	/* signature */
		TAG_SEQUENCE,	/* issuer */
		TAG_SEQUENCE,	/* validity */
		TAG_SEQUENCE,	/* subject */
		TAG_SEQUENCE,	/* subjectPublicKeyInfo */
	};
	struct hnbtre_der_tlv tlv, exts;
	int i, ret;

	if (pos < end && *pos == TAG_VERSION &&
	    hnbtre_der_next(&pos, end, TAG_VERSION, &tlv))
		return -EBADMSG;
	for (i = 0; i < ARRAY_SIZE(fields); i++) {
		if (hnbtre_der_next(&pos, end, fields[i], &tlv))
			return -EBADMSG;
	}
	if (pos < end && *pos == TAG_ISSUER_UID &&
	    hnbtre_der_next(&pos, end, TAG_ISSUER_UID, &tlv))
		return -EBADMSG;
	if (pos < end && *pos == TAG_SUBJECT_UID &&
	    hnbtre_der_next(&pos, end, TAG_SUBJECT_UID, &tlv))
		return -EBADMSG;
	if (pos == end)
		return 0;
	if (hnbtre_der_next(&pos, end, TAG_EXTENSIONS, &tlv) || pos != end)
		return -EBADMSG;
	pos = tlv.value;
	end = tlv.value + tlv.len;
	if (hnbtre_der_next(&pos, end, TAG_SEQUENCE, &exts) || pos != end)
		return -EBADMSG;
	pos = exts.value;
	end = exts.value + exts.len;
	while (pos < end) {
		if (hnbtre_der_next(&pos, end, TAG_SEQUENCE, &tlv))
			return -EBADMSG;
		ret = read_extension(tlv.value, tlv.value + tlv.len, facts);
		if (ret)
			return ret;
	}
	return 0;
}

/**
 * hnbtre_cert_role - what a certificate may be to the TrE
 * @der: one DER certificate, nothing before or after it
 * @len: its length
 *
 * Return: HNBTRE_ROLE_CA for a CA certificate, the role of a signing
 * certificate, -EKEYREJECTED for any other certificate (no role, two
 * roles, a CA that carries a role or lacks keyCertSign, a signer that
 * may sign certificates or lacks digitalSignature), or -EBADMSG if @der
 * is not a DER certificate that this reader can follow.
 */
int hnbtre_cert_role(const u8 *der, size_t len)
{
	const u8 *pos = der, *end = der + len;
	struct cert_facts facts = {};
	struct hnbtre_der_tlv cert, tbs;
	int ret;

	if (hnbtre_der_next(&pos, end, TAG_SEQUENCE, &cert) || pos != end)
		return -EBADMSG;
	pos = cert.value;
	if (hnbtre_der_next(&pos, cert.value + cert.len, TAG_SEQUENCE, &tbs))
		return -EBADMSG;
	ret = read_tbs(tbs.value, tbs.value + tbs.len, &facts);
	if (ret)
		return ret;

	if (facts.ca) {
		if (!test_bit(EXT_KEY_USAGE, &facts.seen) ||
		    !(facts.key_usage & KU_KEY_CERT_SIGN) || facts.roles)
			return -EKEYREJECTED;
		return HNBTRE_ROLE_CA;
	}
	if (hweight_long(facts.roles) != 1 ||
	    !test_bit(EXT_KEY_USAGE, &facts.seen) ||
	    !(facts.key_usage & KU_DIGITAL_SIGNATURE) ||
	    (facts.key_usage & KU_KEY_CERT_SIGN))
		return -EKEYREJECTED;
	return __ffs(facts.roles);
}
