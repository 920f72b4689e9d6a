/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Helpers of the dane tests: start the lab (testzones/lab up, a no-op when
 * it is up), read its environment, run danekit and parse its JSON report.
 */
#ifndef DK_TESTS_DANE_HELPERS_H
#define DK_TESTS_DANE_HELPERS_H

#include <jansson.h>

/* The lab's environment (DK_LAB_*), filled by dt_lab(). */
struct dt_lab {
	char conf[1024];
	char pki[1024];
	char run[1024];
	unsigned smtp_port;
	unsigned tls_port;
};

/* Start the lab if needed and read its environment; fails the test if not. */
const struct dt_lab *dt_lab(void);

/* Run a shell command; stdout into *@out (malloc()ed) unless NULL. */
int dt_run(char **out, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Run "$DANEKIT --unbound-conf CONF --timeout 10 --json check ARGS" and
 * parse its output; *@rc gets the exit status. The document is never NULL
 * (the test fails if the output is not JSON).
 */
json_t *dt_check_json(int *rc, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The same without --json: the text into *@out. Returns the exit status. */
int dt_check_text(char **out, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A finding with @code (and @severity unless NULL) anywhere in @doc. */
json_t *dt_finding(json_t *doc, const char *code, const char *severity);

/* doc.hosts[@h], doc.hosts[@h].addresses[@a]; fail the test if absent. */
json_t *dt_host(json_t *doc, size_t h);
json_t *dt_addr(json_t *doc, size_t h, size_t a);

/* A string member, or "" when absent or null. */
const char *dt_str(json_t *obj, const char *key);

/* The string of the verdict of @doc. */
#define dt_verdict(doc) dt_str((doc), "verdict")

#endif
