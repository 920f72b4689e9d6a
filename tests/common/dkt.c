/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <criterion/criterion.h>

#include "dkt.h"

int dkt_vrun(char **out, const char *fmt, va_list ap)
{
	char cmd[8192];
	char *buf = NULL;
	size_t len = 0, cap = 0;
	FILE *p;
	int st;

	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	p = popen(cmd, "r");
	cr_assert_not_null(p, "popen %s", cmd);
	for (;;) {
		size_t n;

		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 16384;
			buf = realloc(buf, cap);
			cr_assert_not_null(buf);
		}
		n = fread(buf + len, 1, cap - len - 1, p);
		if (n == 0) {
			break;
		}
		len += n;
	}
	buf[len] = '\0';
	st = pclose(p);
	if (out) {
		*out = buf;
	} else {
		free(buf);
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

int dkt_run(char **out, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = dkt_vrun(out, fmt, ap);
	va_end(ap);
	return rc;
}

const char *dkt_env(const char *name)
{
	const char *v = getenv(name);

	cr_assert(v && *v, "%s is not set (run the tests through meson test)",
		  name);
	return v;
}

static char *lab_env; /* the output of `lab env`, kept for the process */

const char *dkt_lab(const char *key)
{
	static char value[1024];
	size_t k = strlen(key);
	const char *l;

	if (!lab_env) {
		const char *src = dkt_env("DK_SRCDIR");
		int rc;

		/* testzones/lab serialises `up` with a lock of its own. */
		rc = dkt_run(NULL, "bash '%s/testzones/lab' up >/dev/null 2>&1",
			     src);
		cr_assert_eq(rc, 0, "testzones/lab up failed");
		rc = dkt_run(&lab_env, "bash '%s/testzones/lab' env", src);
		cr_assert_eq(rc, 0, "testzones/lab env failed");
	}
	for (l = lab_env; l && *l;
	     l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		if (strncmp(l, key, k) == 0 && l[k] == '=') {
			size_t n = strcspn(l + k + 1, "\n");

			snprintf(value, sizeof(value), "%.*s", (int)n,
				 l + k + 1);
			return value;
		}
	}
	return NULL;
}
