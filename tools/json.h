/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The one JSON schema of danekit's --json output (DESIGN.md, doc/schema/):
 * every document starts with schema_version, command and exit, and spells
 * shared things the same way. The pieces every command shares are made
 * here, once.
 */
#ifndef DANEKIT_TOOLS_JSON_H
#define DANEKIT_TOOLS_JSON_H

#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <jansson.h>

#include <danekit/tlsa.h>

/*
 * The schema version of every --json document. It goes up on any
 * incompatible change (a member removed, renamed, or given another type);
 * doc/schema/ holds the schemas of this version.
 */
#define CLI_JSON_SCHEMA_VERSION 1

/*
 * A document: schema_version, command ("check smtp", "lookup", ...) and
 * exit first, then the members of @body in their order (a member of @body
 * with one of those three names is dropped). Steals @body; NULL when out
 * of memory (or @body is NULL).
 */
json_t *cli_json_doc(const char *command, int exit_status, json_t *body);

/* @doc, indented, then a newline, on @out. 0, or -1. */
int cli_json_dump(FILE *out, const json_t *doc);

/* A string, or null for NULL. */
json_t *cli_json_str(const char *s);

/* An RFC 3339 UTC time ("2026-09-01T00:00:00Z"), or null for 0. */
json_t *cli_json_time(time_t t);

/*
 * A TLSA record as an object: usage, selector, mtype, data (hex) and
 * text, the record's presentation form: the zone line when @owner is not
 * NULL (then name and ttl are members too), else the RDATA alone.
 */
json_t *cli_json_tlsa(const struct dk_tlsa *t, const char *owner, uint32_t ttl);

/*
 * A DNS record from its presentation line ("owner TTL IN TYPE RDATA") and
 * its RDATA: name, ttl, type and text; a TLSA record also gets usage,
 * selector, mtype and data.
 */
json_t *cli_json_rr(const char *text, const uint8_t *rdata, size_t rdlen);

/*
 * A TLSA record line ("owner TTL IN TLSA U S M HEX") as cli_json_rr()
 * makes it; a line that does not parse is kept as {"text": line}.
 */
json_t *cli_json_rr_line(const char *line);

#endif
