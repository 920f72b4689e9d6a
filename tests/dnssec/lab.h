/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Helpers of the dnssec tests: start the lab (testzones/lab up, a no-op
 * when it is up), read its environment, run commands and capture stdout.
 */
#ifndef DK_TESTS_DNSSEC_LAB_H
#define DK_TESTS_DNSSEC_LAB_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <criterion/criterion.h>

static char lab_conf[1024];
static char lab_anchor[1024];

/* Run @cmd with sh; its stdout into *@out (malloc'd, may be NULL). */
static int lab_run(char **out, const char *fmt, ...)
{
	char cmd[4096];
	char *buf = NULL;
	size_t len = 0, cap = 0;
	va_list ap;
	FILE *p;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	p = popen(cmd, "r");
	cr_assert_not_null(p, "popen %s", cmd);
	for (;;) {
		size_t n;

		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 8192;
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

static const char *lab_env_var(const char *name)
{
	const char *v = getenv(name);

	cr_assert(v && *v, "%s is not set (run the tests through meson test)",
		  name);
	return v;
}

/* Start the lab if needed and read DK_LAB_CONF and DK_LAB_ANCHOR. */
static void lab_init(void)
{
	const char *src = lab_env_var("DK_SRCDIR");
	char *env = NULL, *save = NULL;
	int rc;

	if (lab_conf[0]) {
		return;
	}
	rc = lab_run(NULL, "bash '%s/testzones/lab' up >/dev/null 2>&1", src);
	cr_assert_eq(rc, 0, "testzones/lab up failed");
	rc = lab_run(&env, "bash '%s/testzones/lab' env", src);
	cr_assert_eq(rc, 0, "testzones/lab env failed");
	for (char *l = strtok_r(env, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save)) {
		if (strncmp(l, "DK_LAB_CONF=", 12) == 0) {
			snprintf(lab_conf, sizeof(lab_conf), "%s", l + 12);
		} else if (strncmp(l, "DK_LAB_ANCHOR=", 14) == 0) {
			snprintf(lab_anchor, sizeof(lab_anchor), "%s", l + 14);
		}
	}
	free(env);
	cr_assert(lab_conf[0], "no DK_LAB_CONF in lab env");
	cr_assert(lab_anchor[0], "no DK_LAB_ANCHOR in lab env");
}

#endif
