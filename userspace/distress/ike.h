/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The IKE/IPsec transport of hnbtre-distress (Documentation/distress.md):
 * a charon of its own, authenticated with the distress credential whose
 * signatures the function lends through a unix socket.
 */
#ifndef HNBTRE_DISTRESS_IKE_H
#define HNBTRE_DISTRESS_IKE_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define IKE_SIGNER_NAME	"ike-signer"	/* in state_dir */
#define IKE_VICI_NAME	"ike-vici"	/* in state_dir */

struct ike_config {
	char dir[PATH_MAX];		/* strongswan.conf, swanctl.conf */
	char charon[PATH_MAX];
	char swanctl[PATH_MAX];
	char child[64];			/* the CHILD_SA to the receiver */
	char signer[PATH_MAX];		/* <state_dir>/ike-signer */
	char vici[PATH_MAX];		/* <state_dir>/ike-vici */
	unsigned int timeout_ms;	/* per IKE initiation */
	unsigned int max_signatures;	/* lent in all */
};

struct ike_session {
	pid_t charon;
	pid_t signer;
	int established;
};

int ike_start(const struct ike_config *ic, struct ike_session *s);
int ike_establish(const struct ike_config *ic, struct ike_session *s,
		  const char **why);
void ike_stop(const struct ike_config *ic, struct ike_session *s);

#endif
