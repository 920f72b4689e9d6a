// SPDX-License-Identifier: BSD-3-Clause
/* The shared pieces of the --json documents; see json.h. */
#include <stdlib.h>
#include <string.h>

#include "json.h"

json_t *cli_json_doc(const char *command, int exit_status, json_t *body)
{
	json_t *doc;
	const char *key;
	json_t *v;

	if (!body) {
		return NULL;
	}
	doc = json_pack("{s:i, s:s, s:i}", "schema_version",
			CLI_JSON_SCHEMA_VERSION, "command", command, "exit",
			exit_status);
	if (!doc) {
		json_decref(body);
		return NULL;
	}
	json_object_foreach(body, key, v)
	{
		if (!strcmp(key, "schema_version") || !strcmp(key, "command") ||
		    !strcmp(key, "exit")) {
			continue;
		}
		if (json_object_set(doc, key, v) != 0) {
			json_decref(doc);
			doc = NULL;
			break;
		}
	}
	json_decref(body);
	return doc;
}

int cli_json_dump(FILE *out, const json_t *doc)
{
	if (!doc ||
	    json_dumpf(doc, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER)) {
		return -1;
	}
	return fputc('\n', out) == EOF ? -1 : 0;
}

json_t *cli_json_str(const char *s)
{
	return s ? json_string(s) : json_null();
}

json_t *cli_json_time(time_t t)
{
	struct tm tm;
	char buf[40];

	if (t == 0 || !gmtime_r(&t, &tm) ||
	    !strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm)) {
		return json_null();
	}
	return json_string(buf);
}

static char *hex(const uint8_t *d, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	char *s = malloc(2 * len + 1);

	if (!s) {
		return NULL;
	}
	for (size_t i = 0; i < len; i++) {
		s[2 * i] = digits[d[i] >> 4];
		s[2 * i + 1] = digits[d[i] & 15];
	}
	s[2 * len] = '\0';
	return s;
}

json_t *cli_json_tlsa(const struct dk_tlsa *t, const char *owner, uint32_t ttl)
{
	size_t len = 0;
	const uint8_t *d = dk_tlsa_data(t, &len);
	char *h = hex(d, len), *text = NULL;
	json_t *o = NULL;

	if (h && dk_tlsa_format(t, owner ? DK_TLSA_FMT_ZONE : DK_TLSA_FMT_RDATA,
				owner, ttl, &text) == 0) {
		o = json_pack("{s:i, s:i, s:i, s:s, s:s}", "usage",
			      dk_tlsa_usage(t), "selector", dk_tlsa_selector(t),
			      "mtype", dk_tlsa_mtype(t), "data", h, "text",
			      text);
	}
	if (o && owner) {
		json_t *named = json_pack("{s:s, s:I}", "name", owner, "ttl",
					  (json_int_t)ttl);

		if (!named || json_object_update(named, o) != 0) {
			json_decref(named);
			named = NULL;
		}
		json_decref(o);
		o = named;
	}
	free(h);
	free(text);
	return o;
}

json_t *cli_json_rr(const char *text, const uint8_t *rdata, size_t rdlen)
{
	char name[1100], cls[16], type[32];
	unsigned long ttl = 0;
	json_t *o;

	/* "owner TTL CLASS TYPE RDATA", as ldns prints it */
	if (sscanf(text, "%1099s %lu %15s %31s", name, &ttl, cls, type) != 4) {
		return NULL;
	}
	o = json_pack("{s:s, s:I, s:s, s:s}", "name", name, "ttl",
		      (json_int_t)ttl, "type", type, "text", text);
	if (o && !strcmp(type, "TLSA") && rdlen >= 3) {
		char *h = hex(rdata + 3, rdlen - 3);

		if (!h ||
		    json_object_set_new(o, "usage", json_integer(rdata[0])) ||
		    json_object_set_new(o, "selector",
					json_integer(rdata[1])) ||
		    json_object_set_new(o, "mtype", json_integer(rdata[2])) ||
		    json_object_set_new(o, "data", json_string(h))) {
			json_decref(o);
			o = NULL;
		}
		free(h);
	}
	return o;
}

json_t *cli_json_rr_line(const char *line)
{
	struct dk_tlsa *t = NULL;
	struct dk_diag diag = { "" };
	uint8_t *wire = NULL;
	size_t len = 0;
	json_t *o = NULL;

	if (dk_tlsa_parse(line, &t, NULL, &diag) == 0 &&
	    dk_tlsa_to_wire(t, &wire, &len) == 0) {
		o = cli_json_rr(line, wire, len);
	}
	if (!o) {
		o = json_pack("{s:s}", "text", line);
	}
	free(wire);
	dk_tlsa_free(t);
	return o;
}
