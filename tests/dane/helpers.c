/* SPDX-License-Identifier: BSD-3-Clause */
/* Helpers of the dane tests; see helpers.h. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <criterion/criterion.h>

#include "dkt.h"
#include "helpers.h"

static struct dt_lab lab;

int dt_run(char **out, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = dkt_vrun(out, fmt, ap);
	va_end(ap);
	return rc;
}

static void take(const char *key, char *dst, size_t len)
{
	const char *v = dkt_lab(key);

	if (v) {
		snprintf(dst, len, "%s", v);
	}
}

const struct dt_lab *dt_lab(void)
{
	char port[32] = "", tport[32] = "";

	if (lab.conf[0]) {
		return &lab;
	}
	take("DK_LAB_CONF", lab.conf, sizeof(lab.conf));
	take("DK_LAB_PKI", lab.pki, sizeof(lab.pki));
	take("DK_LAB_RUN", lab.run, sizeof(lab.run));
	take("DK_LAB_SMTP_PORT", port, sizeof(port));
	take("DK_LAB_TLS_PORT", tport, sizeof(tport));
	cr_assert(lab.conf[0], "no DK_LAB_CONF in the lab's env");
	lab.smtp_port = port[0] ? (unsigned)atoi(port) : 25;
	lab.tls_port = tport[0] ? (unsigned)atoi(tport) : 443;
	return &lab;
}

static int vcheck(char **out, int json, const char *fmt, va_list ap)
{
	const struct dt_lab *l = dt_lab();
	char args[4096];

	vsnprintf(args, sizeof(args), fmt, ap);
	return dt_run(out,
		      "'%s' --unbound-conf '%s' --timeout 10 %s check %s "
		      "2>/dev/null",
		      dkt_env("DANEKIT"), l->conf, json ? "--json" : "", args);
}

json_t *dt_check_json(int *rc, const char *fmt, ...)
{
	json_error_t err;
	char *out = NULL;
	json_t *doc;
	va_list ap;

	va_start(ap, fmt);
	*rc = vcheck(&out, 1, fmt, ap);
	va_end(ap);
	doc = json_loads(out, 0, &err);
	cr_assert_not_null(doc, "not JSON (%s, exit %d): %.400s", err.text, *rc,
			   out);
	free(out);
	return doc;
}

int dt_check_text(char **out, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vcheck(out, 0, fmt, ap);
	va_end(ap);
	return rc;
}

static json_t *find_in(json_t *arr, const char *code, const char *sev)
{
	size_t i;
	json_t *f;

	json_array_foreach(arr, i, f)
	{
		if (strcmp(dt_str(f, "code"), code) == 0 &&
		    (!sev || strcmp(dt_str(f, "severity"), sev) == 0)) {
			return f;
		}
	}
	return NULL;
}

json_t *dt_finding(json_t *doc, const char *code, const char *severity)
{
	json_t *f = find_in(json_object_get(doc, "findings"), code, severity);
	json_t *h;
	size_t i;

	if (f) {
		return f;
	}
	json_array_foreach(json_object_get(doc, "hosts"), i, h)
	{
		f = find_in(json_object_get(h, "findings"), code, severity);
		if (f) {
			return f;
		}
	}
	return NULL;
}

json_t *dt_host(json_t *doc, size_t h)
{
	json_t *x = json_array_get(json_object_get(doc, "hosts"), h);

	cr_assert_not_null(x, "no host %zu in the report", h);
	return x;
}

json_t *dt_addr(json_t *doc, size_t h, size_t a)
{
	json_t *x = json_array_get(
		json_object_get(dt_host(doc, h), "addresses"), a);

	cr_assert_not_null(x, "no address %zu of host %zu in the report", a, h);
	return x;
}

const char *dt_str(json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s ? s : "";
}
