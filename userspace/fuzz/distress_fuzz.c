// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: the distress indication parser and authenticator, as
 * the H(e)MS runs them on frames from the network.  An accepted frame's
 * parts must lie inside it and add up to its length.
 */
#include <stdlib.h>
#include <string.h>

#include "hnbtre_distress.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t psk[32] = "fuzzing pre-shared key, 32 bytes";
	struct hnbtre_distress_msg msg;
	size_t total;
	int ret = hnbtre_distress_parse(data, size, &msg, NULL);

	if (!ret) {
		if (msg.signed_part != data ||
		    msg.authenticator != data + msg.signed_len ||
		    msg.signed_len + msg.authenticator_len != size ||
		    hnbtre_distress_frame_len(data, size, &total) ||
		    total != size || !msg.identity || !msg.state ||
		    strlen(msg.identity) > HNBTRE_IDENTITY_MAX ||
		    msg.nfailed > HNBTRE_DISTRESS_FAILED_MAX)
			abort();
		/* A forged frame must never pass as authentic. */
		if (hnbtre_distress_verify(&msg, psk, sizeof(psk), "/dev/null",
					   0) == HNBTRE_DISTRESS_AUTHENTIC &&
		    msg.auth != HNBTRE_DISTRESS_AUTH_PSK)
			abort();
	}
	hnbtre_distress_free(&msg);
	return 0;
}
