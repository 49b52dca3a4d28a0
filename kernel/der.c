// SPDX-License-Identifier: GPL-2.0-only
/*
 * The little DER the module reads itself: PKCS#8 device keys
 * (devkey.c), certificate extensions (cert.c), the framing of
 * certificate lists and signatures (roots.c, package.c), the length of
 * keys and certificates written in pieces (devkey.c, attest_key.c).
 */

#include <linux/errno.h>

#include "hnbtre.h"

/**
 * hnbtre_der_next - read one DER element and advance past it
 * @pos: where the element starts; advanced past it on success
 * @end: the end of the enclosing element
 * @tag: the tag it must have
 * @tlv: set to the element's tag, value and length
 *
 * Only definite, minimal lengths up to 64 KiB exist in what the module
 * reads.
 *
 * Return: 0, or -EBADMSG if the element at *@pos is not one of @tag that
 * fits before @end.
 */
int hnbtre_der_next(const u8 **pos, const u8 *end, u8 tag,
		    struct hnbtre_der_tlv *tlv)
{
	const u8 *p = *pos;
	size_t len;

	if (end - p < 2 || p[0] != tag)
		return -EBADMSG;
	len = p[1];
	p += 2;
	if (len == 0x81) {
		if (end - p < 1 || p[0] < 0x80)
			return -EBADMSG;
		len = p[0];
		p += 1;
	} else if (len == 0x82) {
		if (end - p < 2 || p[0] == 0)
			return -EBADMSG;
		len = (p[0] << 8) | p[1];
		p += 2;
	} else if (len & 0x80) {
		return -EBADMSG;
	}
	if (len > end - p)
		return -EBADMSG;
	tlv->tag = tag;
	tlv->value = p;
	tlv->len = len;
	*pos = p + len;
	return 0;
}

/**
 * hnbtre_der_sequence_announced - length a DER SEQUENCE announces
 * @p: its first bytes, perhaps not all of it
 * @avail: bytes available at @p
 *
 * Definite lengths of up to two bytes: what the module reads here is
 * below 64 KiB.  For requests written in pieces, whose header says how
 * much is to come.
 *
 * Return: the length of the whole SEQUENCE with its tag and length, 0
 * while its header is incomplete, or -EBADMSG if @p does not start one.
 */
ssize_t hnbtre_der_sequence_announced(const u8 *p, size_t avail)
{
	if (avail < 2)
		return 0;
	if (p[0] != 0x30)
		return -EBADMSG;
	if (p[1] < 0x80)
		return 2 + p[1];
	if (p[1] == 0x81)
		return avail < 3 ? 0 : 3 + p[2];
	if (p[1] == 0x82)
		return avail < 4 ? 0 : 4 + ((p[2] << 8) | p[3]);
	return -EBADMSG;
}

/**
 * hnbtre_der_sequence_len - length of a DER SEQUENCE
 * @p: the data
 * @avail: bytes available at @p
 *
 * Return: the length of the SEQUENCE at @p with its tag and length, or 0
 * if @p does not start with one that fits in @avail.
 */
size_t hnbtre_der_sequence_len(const u8 *p, size_t avail)
{
	ssize_t len = hnbtre_der_sequence_announced(p, avail);

	return len > 0 && (size_t)len <= avail ? len : 0;
}
