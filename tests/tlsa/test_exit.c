/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The one table from library codes to exit statuses (tools/cli.c,
 * cli_exit_for()), against DESIGN.md's exit status table: 1 a check
 * failed (the server refused), 64 usage (a value the library refused),
 * 65 bad input data, 66 an input missing or unreadable (also no trust
 * anchor), 70 internal (out of memory, OpenSSL broke, an unknown code),
 * 75 could not finish (network, time-out, SERVFAIL, a record changed
 * meanwhile: run again). Every DK_E* code of include/danekit/common.h
 * must be in the table below: a new code fails this test until its
 * status is decided here.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include <danekit/common.h>

#include "cli.h"

#define CODE(c, st)       \
	{                 \
#c, c, st \
	}

static const struct {
	const char *name;
	int code;
	int status;
} table[] = {
	CODE(DK_EINVAL, 64),	   CODE(DK_ERANGE, 64),
	CODE(DK_EEXIST, 64),	   CODE(DK_EDATA, 65),
	CODE(DK_EUNFIT, 65),	   CODE(DK_EENCRYPTED, 65),
	CODE(DK_ETOOBIG, 65),	   CODE(DK_EEMPTY, 65),
	CODE(DK_ESELECTOR, 65),	   CODE(DK_ENOENT, 66),
	CODE(DK_EACCES, 66),	   CODE(DK_EISDIR, 66),
	CODE(DK_EIO, 66),	   CODE(DK_ENOANCHOR, 66),
	CODE(DK_EREFUSED, 1),	   CODE(DK_ETIMEDOUT, 75),
	CODE(DK_ECONNREFUSED, 75), CODE(DK_ERESOLVER, 75),
	CODE(DK_ESERVFAIL, 75),	   CODE(DK_ETLS, 75),
	CODE(DK_EPROTO, 75),	   CODE(DK_ENOSTARTTLS, 75),
	CODE(DK_ECONFLICT, 75),	   CODE(DK_ENOMEM, 70),
	CODE(DK_ECRYPTO, 70),
};

#define NTABLE (sizeof(table) / sizeof(table[0]))

Test(cli_exit, every_code)
{
	cr_assert_eq(cli_exit_for(0), 0);
	for (size_t i = 0; i < NTABLE; i++) {
		cr_expect_eq(cli_exit_for(table[i].code), table[i].status,
			     "%s (%d): exit %d, DESIGN.md says %d",
			     table[i].name, table[i].code,
			     cli_exit_for(table[i].code), table[i].status);
		cr_expect_str_neq(dk_strerror(table[i].code), "unknown error",
				  "%s has no message", table[i].name);
	}
	/* a code nobody knows is a bug, never an answer to input */
	cr_expect_eq(cli_exit_for(-99999), 70);
	cr_expect_eq(cli_exit_for(DK_EBASE - 999), 70);
}

/* Every DK_E* code that common.h defines is in the table above. */
Test(cli_exit, table_is_complete)
{
	FILE *f = fopen(DK_COMMON_H, "r");
	char line[512];
	size_t seen = 0;

	cr_assert_not_null(f, "%s", DK_COMMON_H);
	while (fgets(line, sizeof(line), f)) {
		char name[64];
		size_t n = 0, i;
		const char *p;

		if (strncmp(line, "#define DK_E", 12) != 0) {
			continue;
		}
		for (p = line + 8; n + 1 < sizeof(name) &&
				   (isalnum((unsigned char)*p) || *p == '_');
		     p++) {
			name[n++] = *p;
		}
		name[n] = '\0';
		if (strcmp(name, "DK_EBASE") == 0) {
			continue; /* the base of the range, no code */
		}
		for (i = 0; i < NTABLE; i++) {
			if (strcmp(table[i].name, name) == 0) {
				break;
			}
		}
		cr_expect_lt(i, NTABLE,
			     "%s is not in the exit table: decide its status "
			     "(DESIGN.md) in tools/cli.c and here",
			     name);
		seen++;
	}
	fclose(f);
	cr_assert_eq(seen, NTABLE, "common.h defines %zu codes, the table %zu",
		     seen, NTABLE);
}
