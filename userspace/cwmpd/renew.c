// SPDX-License-Identifier: GPL-2.0-only
/*
 * Renewal of the device certificate before it runs out (TS 33.320 7.2.2
 * NOTE 2b, Documentation/enrolment.md "Renewal"): before each session,
 * when less than --renew-below of the certificate's lifetime is left at
 * the trusted time, --renew-cmd runs (packaged: the hnbtre-enrol service,
 * `hnbtre enrol` and a reload of charon), so that the session that follows
 * presents the renewed certificate.
 */
#include <openssl/pem.h>

#include "cwmpd.h"
#include "hnbtre.h"

void renew_if_due(const struct agent_config *config)
{
	FILE *f;
	X509 *cert;
	double left;

	if (!config->renew_cmd || config->renew_below <= 0)
		return;
	f = fopen(config->cert_path, "r");
	cert = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
	if (f)
		fclose(f);
	if (!cert)
		return;
	left = hnbtre_cert_lifetime_left(cert, clock_trusted_now(config->time_floor));
	X509_free(cert);
	if (left >= config->renew_below)
		return;
	say("the device certificate has %.0f%% of its lifetime left (below %.0f%%): renewal",
	    left * 100, config->renew_below * 100);
	if (run_command("renew", config->renew_cmd))
		say("renewal failed: the certificate stays; tried again before the next session");
}
