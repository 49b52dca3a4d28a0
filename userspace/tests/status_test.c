// SPDX-License-Identifier: GPL-2.0-only
/*
 * hnbtre_status_parse() and hnbtre_components_parse(): the formats of
 * Documentation/ABI/testing/securityfs-hnbtre, accepted exactly.
 */
#include <errno.h>
#include <string.h>

#include "hnbtre.h"
#include "tap.h"

#define D64 "6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b"
#define VERDICTS "pending 0\nok 4\nunsigned 0\nbadsig 0\nmismatch 1\nmissing 2\n"
#define TRUSTED "state failed\nvalidations 12\nversion 7\nrim sha256:" D64 \
	"\ntim sha256:" D64 "\n" VERDICTS
#define NONE "state unvalidated\nvalidations 0\nversion -\nrim -\ntim -\n" \
	"pending 0\nok 0\nunsigned 0\nbadsig 0\nmismatch 0\nmissing 0\n"

static int status_ok(const char *text, struct hnbtre_status *st)
{
	return !hnbtre_status_parse(text, strlen(text), st);
}

static int status_bad(const char *text)
{
	struct hnbtre_status st;

	return hnbtre_status_parse(text, strlen(text), &st) == -EBADMSG;
}

static int components_bad(const char *text)
{
	struct hnbtre_components l;

	return hnbtre_components_parse(text, strlen(text), &l) == -EBADMSG &&
	       !l.count && !l.items;
}

int main(void)
{
	struct hnbtre_components l;
	struct hnbtre_status st;
	const char *list = "ok /a sha256:" D64 " normal\n"
			   "missing /b sha256:- distress\n"
			   "mismatch /c sha256:" D64 " tre\n";

	tap_plan(21);
	tap_ok(status_ok(TRUSTED, &st) && st.state == HNBTRE_STATE_FAILED &&
	       st.validations == 12 && st.has_manifest &&
	       st.manifest_version == 7 && st.validated && st.rim[0] == 0x6b &&
	       st.tim[31] == 0x4b && st.verdicts[HNBTRE_VERDICT_OK] == 4 &&
	       st.verdicts[HNBTRE_VERDICT_MISSING] == 2,
	       "status: every field of a failed device");
	tap_ok(status_ok(NONE, &st) && st.state == HNBTRE_STATE_UNVALIDATED &&
	       !st.has_manifest && !st.validated && !st.verdicts[1],
	       "status: \"-\" for no manifest and no TIM");
	tap_ok(status_ok(TRUSTED "future 1\n", &st),
	       "status: a later kernel's extra line is skipped");
	tap_ok(status_ok(TRUSTED, &st) && !st.floor_in_tpm && !st.identity_source,
	       "status: no floor and identity lines (an older kernel)");
	tap_ok(status_ok(TRUSTED "floor 7\nidentity tpm-nv\nfuture 1\n", &st) &&
	       st.floor_in_tpm && st.floor == 7 &&
	       !strcmp(st.identity_source, "tpm-nv"),
	       "status: floor from the TPM, identity from a TPM NV index");
	tap_ok(status_ok(TRUSTED "floor -\nidentity parameter\n", &st) &&
	       !st.floor_in_tpm && !strcmp(st.identity_source, "parameter"),
	       "status: floor per boot, identity from the parameter");
	tap_ok(status_bad(TRUSTED "floor 07\n") && status_bad(TRUSTED "floor x\n") &&
	       status_bad(TRUSTED "floor -\nidentity config\n"),
	       "status: a bad floor, an unknown identity source");
	tap_ok(status_bad("state failed\nversion 7\n"), "status: a line missing");
	tap_ok(status_bad("state failed\nvalidations 12\nrim sha256:" D64 "\nversion 7\ntim -\n" VERDICTS),
	       "status: lines out of order");
	tap_ok(status_bad("state bad\nvalidations 0\nversion -\nrim -\ntim -\n" VERDICTS),
	       "status: an unknown state");
	tap_ok(status_bad("state failed\nvalidations 012\nversion -\nrim -\ntim -\n" VERDICTS) &&
	       status_bad("state failed\nvalidations 18446744073709551616\nversion -\nrim -\ntim -\n" VERDICTS) &&
	       status_bad("state failed\nvalidations -1\nversion -\nrim -\ntim -\n" VERDICTS),
	       "status: leading zeros, overflow, a sign");
	tap_ok(status_bad("state failed\nvalidations 1\nversion 7\nrim -\ntim -\n" VERDICTS),
	       "status: a version without a RIM");
	tap_ok(status_bad("state failed\nvalidations 1\nversion -\nrim -\ntim sha256:" D64 "x\n" VERDICTS),
	       "status: a digest with trailing bytes");
	tap_ok(status_bad(TRUSTED "no newline"), "status: an unterminated line");

	tap_ok(!hnbtre_components_parse(list, strlen(list), &l) && l.count == 3 &&
	       l.items[0].verdict == HNBTRE_VERDICT_OK && l.items[0].measured &&
	       l.items[1].class == HNBTRE_CLASS_DISTRESS && !l.items[1].measured &&
	       l.items[2].class == HNBTRE_CLASS_TRE &&
	       hnbtre_components_find(&l, "/c") == &l.items[2] &&
	       !hnbtre_components_find(&l, "/d"),
	       "components: verdicts, digests, classes, lookup by path");
	hnbtre_components_free(&l);
	tap_ok(!hnbtre_components_parse("", 0, &l) && !l.count &&
	       !hnbtre_components_find(&l, "/a"), "components: none");
	tap_ok(components_bad("ok /a sha256:" D64 "\n"),
	       "components: a line without its class");
	tap_ok(components_bad("ok /b sha256:" D64 " normal\nok /a sha256:" D64 " normal\n") &&
	       components_bad("ok /a sha256:" D64 " normal\nok /a sha256:" D64 " normal\n"),
	       "components: paths out of order or repeated");
	tap_ok(components_bad("ok /a sha256:- normal\n") &&
	       components_bad("missing /a sha256:" D64 " normal\n"),
	       "components: \"sha256:-\" exactly for missing and pending");
	tap_ok(components_bad("ok a sha256:" D64 " normal\n") &&
	       components_bad("ok /a/../b sha256:" D64 " normal\n") &&
	       components_bad("fine /a sha256:" D64 " normal\n") &&
	       components_bad("ok /a sha256:" D64 " other\n") &&
	       components_bad("ok /a sha256:" D64 " normal extra\n"),
	       "components: bad path, verdict, class, extra field");
	tap_ok(components_bad("ok /a sha256:" D64 " normal"),
	       "components: an unterminated line");
	return tap_done();
}
