/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Helpers of the dnssec tests: the lab's unbound.conf and trust anchor
 * (testzones/lab up, a no-op when it is up), and commands through
 * tests/common/dkt.h.
 */
#ifndef DK_TESTS_DNSSEC_LAB_H
#define DK_TESTS_DNSSEC_LAB_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "dkt.h"

#define lab_run dkt_run
#define lab_env_var dkt_env

static char lab_conf[1024];
static char lab_anchor[1024];

/* Start the lab if needed and read DK_LAB_CONF and DK_LAB_ANCHOR. */
static void lab_init(void)
{
	const char *v;

	if (lab_conf[0]) {
		return;
	}
	v = dkt_lab("DK_LAB_CONF");
	cr_assert_not_null(v, "no DK_LAB_CONF in lab env");
	snprintf(lab_conf, sizeof(lab_conf), "%s", v);
	v = dkt_lab("DK_LAB_ANCHOR");
	cr_assert_not_null(v, "no DK_LAB_ANCHOR in lab env");
	snprintf(lab_anchor, sizeof(lab_anchor), "%s", v);
}

#endif
