/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/**
 * @defgroup hnbtre_references hnbtre_references
 * @{ @ingroup hnbtre
 */

#ifndef HNBTRE_REFERENCES_H_
#define HNBTRE_REFERENCES_H_

#include <stdbool.h>

#include "hnbtre.h"

/**
 * What the reference store shared with the H(e)MS holds about a device
 * (Documentation/strongswan.md, "Reference store shared with the H(e)MS").
 */
struct hnbtre_references {
	/** the RIM the H(e)MS last verified */
	uint8_t rim[HNBTRE_DIGEST_LEN];
	/** the RIM of a package the H(e)MS sent (its operator-signed manifest) */
	uint8_t expected[HNBTRE_DIGEST_LEN];
	bool has_rim;
	bool has_expected;
	/** the H(e)MS marked the device for maintenance */
	bool maintenance;
};

/**
 * Read a device's references from the H(e)MS's store (read only; table
 * devices: identity, rim, expected_rim, expected_state, status): an
 * SQLite file, or PostgreSQL by a libpq connection URI
 * ("postgresql://..." or "postgres://...").
 *
 * @param path			the store's file or connection URI
 * @param identity		the identity (not NUL terminated)
 * @param len			its length
 * @param refs			what the store holds, on success
 * @return				NULL on success, else why there is nothing to use
 */
char *hnbtre_references_read(const char *path, const char *identity, size_t len,
							 struct hnbtre_references *refs);

#endif /** HNBTRE_REFERENCES_H_ @}*/
