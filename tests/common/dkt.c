/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <jansson.h>

#include "dkt.h"

void dkt_json_seen(const char *cmd, const char *out, int status)
{
	static unsigned serial;
	const char *exe = getenv("DANEKIT");
	char dir[4096], path[4200], *copy;
	json_t *doc;
	FILE *f;

	while (out && (*out == ' ' || *out == '\n')) {
		out++;
	}
	if (!out || *out != '{' || !strstr(out, "\"schema_version\"") || !exe) {
		return;
	}
	/* only danekit's own output, and its own exit status: not a
	 * document printed again by another program, nor a pipeline */
	if (cmd && (!strstr(cmd, exe) || strchr(cmd, '|'))) {
		return;
	}
	doc = json_loads(out, JSON_DISABLE_EOF_CHECK, NULL);
	if (!doc) {
		return;
	}
	/* the document's "exit" is the status the command returned */
	cr_expect_eq(json_integer_value(json_object_get(doc, "exit")), status,
		     "\"exit\" of the JSON document is not the exit status "
		     "(%d): %.300s",
		     status, out);
	json_decref(doc);
	/* $DANEKIT is BUILD/tools/danekit: documents go to BUILD/json-out */
	copy = strdup(exe);
	cr_assert_not_null(copy);
	snprintf(dir, sizeof(dir), "%s/../json-out", dirname(copy));
	free(copy);
	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		return;
	}
	snprintf(path, sizeof(path), "%s/%ld-%u.json", dir, (long)getpid(),
		 serial++);
	f = fopen(path, "w");
	if (f) {
		fputs(out, f);
		fclose(f);
	}
}

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
	dkt_json_seen(cmd, buf, WIFEXITED(st) ? WEXITSTATUS(st) : 128);
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
