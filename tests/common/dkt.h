/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Helpers shared by the test suites: run a shell command and capture its
 * standard output, read the environment meson sets, and start the lab
 * (testzones/lab up, one process at a time) and read `lab env`.
 */
#ifndef DK_TESTS_COMMON_DKT_H
#define DK_TESTS_COMMON_DKT_H

#include <stdarg.h>

/*
 * Run the command (a printf format) with sh; its standard output goes to
 * *@out (malloc()ed, NUL-terminated) unless @out is NULL. Returns the exit
 * status, or 128 when the command did not exit normally.
 */
int dkt_run(char **out, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int dkt_vrun(char **out, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

/*
 * Every --json document a test sees goes through here (the runners call
 * it with the shell command @cmd, or NULL when they ran danekit itself):
 * when @cmd runs $DANEKIT and is no pipeline, the document's "exit" must
 * be @status, the command's exit status, and it is
 * kept in BUILD/json-out/ for the json-schema test, which validates every
 * document the suite produced against doc/schema/.
 */
void dkt_json_seen(const char *cmd, const char *out, int status);

/* An environment variable the test needs (meson test sets it), or fail. */
const char *dkt_env(const char *name);

/*
 * Start the lab once per process (a no-op when it is up; serialised with
 * the other test processes) and return the value of @key in `lab env`
 * ("DK_LAB_CONF" ...), or NULL when it has none. Static storage.
 */
const char *dkt_lab(const char *key);

#endif
