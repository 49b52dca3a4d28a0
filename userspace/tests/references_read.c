// SPDX-License-Identifier: GPL-2.0-only
/*
 * The charon plugin's reader of the reference store shared with the
 * H(e)MS (strongswan/hnbtre_references.c), outside charon: for
 * hems_pg_test.sh, on SQLite and on PostgreSQL.
 * Usage: references_read STORE IDENTITY; prints what it read, or why not
 * (exit 1).
 */
#include <stdio.h>
#include <string.h>

/* the reader itself: its object in the plugin's build is charon's */
#include "../strongswan/hnbtre_references.c"

int main(int argc, char **argv)
{
	char rim[2 * HNBTRE_DIGEST_LEN + 1] = "-", expected[2 * HNBTRE_DIGEST_LEN + 1] = "-";
	struct hnbtre_references refs;
	char *why;

	if (argc != 3) {
		fprintf(stderr, "usage: references_read STORE IDENTITY\n");
		return 2;
	}
	why = hnbtre_references_read(argv[1], argv[2], strlen(argv[2]), &refs);
	if (why) {
		printf("%s\n", why);
		return 1;
	}
	if (refs.has_rim)
		hnbtre_hex(refs.rim, rim);
	if (refs.has_expected)
		hnbtre_hex(refs.expected, expected);
	printf("rim=%s expected=%s maintenance=%d\n", rim, expected, refs.maintenance);
	return 0;
}
