/* SPDX-License-Identifier: GPL-2.0-only */
/* The operator roots built into the module (make HNBTRE_ROOTS=certs.pem). */
#include <linux/init.h>

	__INITRODATA
	.align 8
	.globl hnbtre_roots_der
hnbtre_roots_der:
	.incbin HNBTRE_ROOTS_DER
	.globl hnbtre_roots_der_end
hnbtre_roots_der_end:
