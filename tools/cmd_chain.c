/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * danekit chain NAME [TYPE]: the DNSSEC chain of trust from the trust
 * anchor to NAME, link by link, with a one-line diagnosis first.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include <danekit/dnssec.h>

#include "cli.h"
#include "json.h"

static const char chain_help[] =
	"Usage: danekit [GLOBAL OPTIONS] chain [OPTIONS] NAME [TYPE]\n"
	"\n"
	"Look NAME up (TYPE defaults to A) through a validating resolver and\n"
	"explain its DNSSEC chain of trust: each zone cut from the trust\n"
	"anchor down, the DS set in the parent, the DNSKEY set of the child,\n"
	"which DS matches which DNSKEY, the RRSIGs over each DNSKEY set and\n"
	"over the final RRset (signer, key tag, validity window, time left),\n"
	"unsigned delegations and their NSEC/NSEC3 proof, and the CNAMEs on\n"
	"the way. The first line is the diagnosis:\n"
	"  secure|insecure|bogus|indeterminate: <one sentence>\n"
	"The verdict is libunbound's; when the link-by-link check disagrees\n"
	"with a secure verdict, the result is reported as not secure.\n"
	"\n"
	"Every verdict other than secure is explained (the outcome):\n"
	"  broken                 a link does not validate (bogus)\n"
	"  unsigned               an unsigned delegation, opt-out, no anchor\n"
	"  servfail               SERVFAIL with no validation failure: the\n"
	"                         name servers are asked directly, and the\n"
	"                         zone that did not answer is named\n"
	"                         (indeterminate: could not finish)\n"
	"  unsupported-algorithm  signed with an algorithm this libunbound\n"
	"                         cannot validate (RFC 4035 section 5.2)\n"
	"  nsec3-iterations       an NSEC3 denial over the validator's\n"
	"                         iteration limit (RFC 9276 section 3.2)\n"
	"  ds-missing             a signed child whose parent has no DS\n"
	"  unexplained            libunbound and the check disagree\n"
	"Records are shown with the TTL the zone serves (the RRSIG's\n"
	"original TTL), not what is left of it in a cache.\n"
	"\n"
	"Options:\n"
	"  --warn-days N     warn about signatures on the path that expire\n"
	"                    within N days (default 7; 0: never)\n"
	"  --auth-port PORT  port of the name servers asked directly after a\n"
	"                    SERVFAIL (default 53)\n"
	"  --no-auth-check   never ask a name server directly (not with\n"
	"                    --auth-port)\n"
	"  --json            one JSON document instead\n"
	"  -q, --quiet       the diagnosis line alone\n"
	"  -v, --verbose     also each DNSKEY record in full\n"
	"  -h, --help        this help\n"
	"Global options (--anchor, --unbound-conf, --resolver, --timeout) may\n"
	"also be given here; see danekit --help.\n"
	"\n"
	"Exit status: 0 secure, 2 insecure, 1 bogus, 64 usage error,\n"
	"66 trust anchor or config file missing, 75 could not finish: a\n"
	"SERVFAIL without a validation reason (the report is printed, its\n"
	"first line says so), a time-out, no resolver, or a chain that\n"
	"could not be explained.\n";

enum {
	OPT_WARN_DAYS = OPT_FIRST_COMMAND_OPTION,
	OPT_AUTH_PORT,
	OPT_NO_AUTH_CHECK,
};

/* The name of a type; static storage for the few callers here (one
 * name at a time per call site). */
static const char *type_name(uint16_t t)
{
	static char buf[4][16];
	static unsigned n;

	return dk_rr_type_name(t, buf[n++ % 4], sizeof(buf[0]));
}

static const char *rcode_name(int rcode)
{
	const char *s = dk_rcode_name(rcode);

	return s ? s : "?";
}

static void time_str(time_t t, char *buf, size_t len)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* "30 days", "5 hours", "12 minutes" */
static void span_str(int64_t s, char *buf, size_t len)
{
	int64_t v;
	const char *unit;

	if (s < 0) {
		s = -s;
	}
	if (s >= 86400) {
		v = (s + 43200) / 86400;
		unit = "day";
	} else if (s >= 3600) {
		v = (s + 1800) / 3600;
		unit = "hour";
	} else {
		v = (s + 30) / 60;
		unit = "minute";
	}
	snprintf(buf, len, "%" PRId64 " %s%s", v, unit, v == 1 ? "" : "s");
}

static const char *key_role(const struct dk_chain_key *k)
{
	if (k->flags & 0x0080) {
		return "revoked";
	}
	return k->flags & 1 ? "KSK" : "ZSK";
}

/* Text output. */

static void text_sigs(FILE *out, const struct dk_chain_sig *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char inc[32], exp[32], left[32];

		time_str(v[i].inception, inc, sizeof(inc));
		time_str(v[i].expiration, exp, sizeof(exp));
		span_str(v[i].seconds_left, left, sizeof(left));
		fprintf(out,
			"    RRSIG %s %s by %s key %u alg %u, %s .. %s: %s",
			type_name(v[i].type_covered), v[i].owner, v[i].signer,
			v[i].key_tag, v[i].algorithm, inc, exp,
			dk_chain_sig_state_name(v[i].state));
		if (v[i].seconds_left >= 0) {
			fprintf(out, ", %s left\n", left);
		} else {
			fprintf(out, ", expired %s ago\n", left);
		}
	}
}

static void text_keys(FILE *out, const struct dk_chain_link *l, int verbose)
{
	for (size_t i = 0; i < l->key_count; i++) {
		const struct dk_chain_key *k = &l->keys[i];

		fprintf(out, "    DNSKEY %u key %u alg %u %u bits (%s)%s\n",
			k->flags, k->key_tag, k->algorithm, k->bits,
			key_role(k), k->ds >= 0 ? ", has a DS" : "");
		if (verbose && k->text) {
			/* -v: the record itself */
			fprintf(out, "      %s\n", k->text);
		}
	}
}

static void text_link(FILE *out, const struct dk_chain_link *l, int verbose)
{
	const char *st = dk_dnssec_status_name(l->status);

	switch (l->type) {
	case DK_CHAIN_ZONE:
		if (l->anchor) {
			fprintf(out, "zone %s (trust anchor): %s\n", l->name,
				st);
		} else {
			fprintf(out, "zone %s (DS at %s): %s\n", l->name,
				l->zone ? l->zone : "?", st);
		}
		for (size_t i = 0; i < l->ds_count; i++) {
			const struct dk_chain_ds *d = &l->ds[i];

			fprintf(out,
				"    DS key %u alg %u digest %u: ", d->key_tag,
				d->algorithm, d->digest_type);
			if (d->key >= 0) {
				fprintf(out, "matches DNSKEY %u\n",
					l->keys[d->key].key_tag);
			} else {
				fprintf(out, "matches no DNSKEY\n");
			}
		}
		text_sigs(out, l->ds_sigs, l->ds_sig_count);
		text_keys(out, l, verbose);
		text_sigs(out, l->key_sigs, l->key_sig_count);
		break;
	case DK_CHAIN_INSECURE_DELEGATION:
		fprintf(out,
			"unsigned delegation %s (no DS at %s, proven by "
			"%s%s): %s\n",
			l->name, l->zone ? l->zone : "?",
			dk_chain_proof_name(l->proof),
			l->optout ? ", opt-out" : "", st);
		for (size_t i = 0; i < l->proof_record_count; i++) {
			fprintf(out, "    %s\n", l->proof_records[i]);
		}
		text_sigs(out, l->proof_sigs, l->proof_sig_count);
		/* A signed child without DS: its own keys. */
		text_keys(out, l, verbose);
		text_sigs(out, l->key_sigs, l->key_sig_count);
		break;
	case DK_CHAIN_CNAME:
		fprintf(out, "cname %s -> %s (zone %s): %s\n", l->name,
			l->target ? l->target : "?", l->zone ? l->zone : "none",
			st);
		text_sigs(out, l->sigs, l->sig_count);
		break;
	case DK_CHAIN_ANSWER:
		fprintf(out, "answer %s %s (zone %s, %s): %s\n", l->name,
			type_name(l->rrtype), l->zone ? l->zone : "none",
			rcode_name(l->rcode), st);
		for (size_t i = 0; i < l->record_count; i++) {
			fprintf(out, "    %s\n", l->records[i]);
		}
		text_sigs(out, l->sigs, l->sig_count);
		if (l->proof != DK_CHAIN_PROOF_NONE) {
			fprintf(out, "    proof: %s%s\n",
				dk_chain_proof_name(l->proof),
				l->optout ? " (opt-out)" : "");
		}
		for (size_t i = 0; i < l->proof_record_count; i++) {
			fprintf(out, "    %s\n", l->proof_records[i]);
		}
		text_sigs(out, l->proof_sigs, l->proof_sig_count);
		break;
	}
	if (l->why && l->status != DK_DNSSEC_SECURE) {
		fprintf(out, "    ! %s\n", l->why);
	}
}

static void print_text(FILE *out, const struct dk_chain *ch, int verbosity)
{
	char now[32];
	const char *why = dk_chain_why_bogus(ch);

	fprintf(out, "%s: %s\n", dk_dnssec_status_name(dk_chain_status(ch)),
		dk_chain_diagnosis(ch));
	if (verbosity < 0) {
		return; /* -q: the diagnosis alone, for monitoring */
	}
	for (size_t i = 0; i < dk_chain_warning_count(ch); i++) {
		fprintf(out, "; warning: %s\n", dk_chain_warning(ch, i));
	}
	time_str(dk_chain_time(ch), now, sizeof(now));
	fprintf(out, "; %s %s, %s, libunbound: %s%s%s%s; checked at %s\n",
		dk_chain_qname(ch), type_name(dk_chain_qtype(ch)),
		rcode_name(dk_chain_rcode(ch)),
		dk_dnssec_status_name(dk_chain_resolver_status(ch)),
		why ? " (" : "", why ? why : "", why ? ")" : "", now);
	fprintf(out, "; outcome: %s",
		dk_chain_outcome_name(dk_chain_outcome(ch)));
	if (dk_chain_outcome_zone(ch)) {
		fprintf(out, " (zone %s)", dk_chain_outcome_zone(ch));
	}
	if (dk_chain_nsec3_iterations(ch) >= 0) {
		fprintf(out, "; NSEC3 iterations %d, limit %d",
			dk_chain_nsec3_iterations(ch),
			dk_chain_nsec3_iterations_limit(ch));
	}
	if (dk_chain_unsupported_algorithm(ch)) {
		fprintf(out, "; algorithm %u",
			dk_chain_unsupported_algorithm(ch));
	}
	fputc('\n', out);
	for (size_t i = 0; i < dk_chain_missing_ds_count(ch); i++) {
		fprintf(out, "; missing DS: %s\n", dk_chain_missing_ds(ch, i));
	}
	for (size_t i = 0; i < dk_chain_link_count(ch); i++) {
		text_link(out, dk_chain_link(ch, i), verbosity > 0);
	}
	for (size_t i = 0; i < dk_chain_server_count(ch); i++) {
		const struct dk_chain_server *s = dk_chain_server(ch, i);

		fprintf(out, "server %s", s->name);
		if (s->address) {
			fprintf(out, " %s port %u", s->address, s->port);
		}
		fprintf(out, " (zone %s), asked %s: %s: %s\n", s->zone,
			s->query, dk_chain_server_state_name(s->state),
			s->answer ? s->answer : "?");
	}
}

/* JSON output. */

static int add(json_t *obj, const char *key, json_t *v, int *bad)
{
	if (!v || json_object_set_new(obj, key, v) != 0) {
		*bad = 1;
		return -1;
	}
	return 0;
}

static json_t *json_str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *json_sigs(const struct dk_chain_sig *v, size_t n, int *bad)
{
	json_t *arr = json_array();

	for (size_t i = 0; arr && i < n; i++) {
		json_t *o = json_object();
		char inc[32], exp[32];

		time_str(v[i].inception, inc, sizeof(inc));
		time_str(v[i].expiration, exp, sizeof(exp));
		if (!o) {
			*bad = 1;
			break;
		}
		add(o, "owner", json_string(v[i].owner), bad);
		add(o, "type_covered",
		    json_string(type_name(v[i].type_covered)), bad);
		add(o, "signer", json_string(v[i].signer), bad);
		add(o, "key_tag", json_integer(v[i].key_tag), bad);
		add(o, "algorithm", json_integer(v[i].algorithm), bad);
		add(o, "inception", json_string(inc), bad);
		add(o, "expiration", json_string(exp), bad);
		add(o, "seconds_left", json_integer(v[i].seconds_left), bad);
		add(o, "state",
		    json_string(dk_chain_sig_state_name(v[i].state)), bad);
		if (json_array_append_new(arr, o) != 0) {
			*bad = 1;
		}
	}
	if (!arr) {
		*bad = 1;
	}
	return arr;
}

static json_t *json_strs(const char *const *v, size_t n, int *bad)
{
	json_t *arr = json_array();

	for (size_t i = 0; arr && i < n; i++) {
		if (json_array_append_new(arr, json_str_or_null(v[i])) != 0) {
			*bad = 1;
		}
	}
	if (!arr) {
		*bad = 1;
	}
	return arr;
}

/* A TTL, or null when there is none (-1). */
static json_t *json_ttl(int64_t ttl)
{
	return ttl >= 0 ? json_integer(ttl) : json_null();
}

static json_t *json_keys(const struct dk_chain_link *l, int *bad)
{
	json_t *keys = json_array();

	for (size_t i = 0; keys && i < l->key_count; i++) {
		const struct dk_chain_key *k = &l->keys[i];

		if (json_array_append_new(
			    keys,
			    json_pack("{s:i, s:i, s:i, s:i, s:s, s:b, s:s}",
				      "flags", k->flags, "key_tag", k->key_tag,
				      "algorithm", k->algorithm, "bits",
				      (int)k->bits, "role", key_role(k),
				      "has_ds", k->ds >= 0, "record",
				      k->text ? k->text : ""))) {
			*bad = 1;
		}
	}
	if (!keys) {
		*bad = 1;
	}
	return keys;
}

static json_t *json_link(const struct dk_chain *ch, size_t idx, int *bad)
{
	const struct dk_chain_link *l = dk_chain_link(ch, idx);
	json_t *o = json_object();

	if (!o) {
		*bad = 1;
		return NULL;
	}
	add(o, "type", json_string(dk_chain_link_type_name(l->type)), bad);
	add(o, "dnssec", json_string(dk_dnssec_status_name(l->status)), bad);
	add(o, "name", json_str_or_null(l->name), bad);
	add(o, "zone", json_str_or_null(l->zone), bad);
	if (l->type == DK_CHAIN_ZONE) {
		json_t *ds = json_array();

		add(o, "trust_anchor", json_boolean(l->anchor), bad);
		for (size_t i = 0; ds && i < l->ds_count; i++) {
			const struct dk_chain_ds *d = &l->ds[i];

			if (json_array_append_new(
				    ds,
				    json_pack(
					    "{s:i, s:i, s:i, s:o, s:s}",
					    "key_tag", d->key_tag, "algorithm",
					    d->algorithm, "digest_type",
					    d->digest_type, "matches_key_tag",
					    d->key >= 0
						    ? json_integer(
							      l->keys[d->key]
								      .key_tag)
						    : json_null(),
					    "record",
					    d->text ? d->text : ""))) {
				*bad = 1;
			}
		}
		add(o, "ds", ds, bad);
		add(o, "ds_rrsigs", json_sigs(l->ds_sigs, l->ds_sig_count, bad),
		    bad);
		add(o, "dnskeys", json_keys(l, bad), bad);
		add(o, "dnskey_rrsigs",
		    json_sigs(l->key_sigs, l->key_sig_count, bad), bad);
	}
	if (l->type == DK_CHAIN_CNAME || l->type == DK_CHAIN_ANSWER) {
		add(o, "rrtype", json_string(type_name(l->rrtype)), bad);
		if (l->type == DK_CHAIN_CNAME) {
			add(o, "target", json_str_or_null(l->target), bad);
		} else {
			add(o, "rcode", json_string(rcode_name(l->rcode)), bad);
		}
		add(o, "records", json_strs(l->records, l->record_count, bad),
		    bad);
		add(o, "rrsigs", json_sigs(l->sigs, l->sig_count, bad), bad);
	}
	if (l->type == DK_CHAIN_INSECURE_DELEGATION ||
	    l->type == DK_CHAIN_ANSWER) {
		add(o, "proof", json_string(dk_chain_proof_name(l->proof)),
		    bad);
		add(o, "optout", json_boolean(l->optout), bad);
		add(o, "proof_records",
		    json_strs(l->proof_records, l->proof_record_count, bad),
		    bad);
		add(o, "proof_rrsigs",
		    json_sigs(l->proof_sigs, l->proof_sig_count, bad), bad);
	}
	if (l->type == DK_CHAIN_INSECURE_DELEGATION) {
		/* The child's own keys: a signed zone whose DS is missing. */
		add(o, "dnskeys", json_keys(l, bad), bad);
		add(o, "dnskey_rrsigs",
		    json_sigs(l->key_sigs, l->key_sig_count, bad), bad);
	}
	add(o, "ttl", json_ttl(dk_chain_link_ttl(ch, idx)), bad);
	add(o, "resolver_ttl", json_ttl(dk_chain_link_resolver_ttl(ch, idx)),
	    bad);
	add(o, "why", json_str_or_null(l->why), bad);
	return o;
}

static json_t *json_servers(const struct dk_chain *ch, int *bad)
{
	json_t *arr = json_array();

	for (size_t i = 0; arr && i < dk_chain_server_count(ch); i++) {
		const struct dk_chain_server *s = dk_chain_server(ch, i);
		json_t *o = json_object();

		if (!o || json_array_append_new(arr, o) != 0) {
			*bad = 1;
			break;
		}
		add(o, "zone", json_str_or_null(s->zone), bad);
		add(o, "name", json_str_or_null(s->name), bad);
		add(o, "address", json_str_or_null(s->address), bad);
		add(o, "port", json_integer(s->port), bad);
		add(o, "query", json_str_or_null(s->query), bad);
		add(o, "state",
		    json_string(dk_chain_server_state_name(s->state)), bad);
		add(o, "rcode",
		    s->rcode >= 0 ? json_string(rcode_name(s->rcode))
				  : json_null(),
		    bad);
		add(o, "authoritative", json_boolean(s->authoritative), bad);
		add(o, "answer", json_str_or_null(s->answer), bad);
	}
	if (!arr) {
		*bad = 1;
	}
	return arr;
}

static int print_json(FILE *out, const struct dk_chain *ch)
{
	json_t *doc = json_object(), *links = json_array(),
	       *warn = json_array(), *mds = json_array();
	char now[32];
	int bad = 0;

	if (!doc || !links || !warn || !mds) {
		json_decref(doc);
		json_decref(links);
		json_decref(warn);
		json_decref(mds);
		return -1;
	}
	for (size_t i = 0; i < dk_chain_missing_ds_count(ch); i++) {
		if (json_array_append_new(
			    mds, json_string(dk_chain_missing_ds(ch, i)))) {
			bad = 1;
		}
	}
	time_str(dk_chain_time(ch), now, sizeof(now));
	for (size_t i = 0; i < dk_chain_warning_count(ch); i++) {
		if (json_array_append_new(
			    warn, json_string(dk_chain_warning(ch, i)))) {
			bad = 1;
		}
	}
	for (size_t i = 0; i < dk_chain_link_count(ch); i++) {
		if (json_array_append_new(links, json_link(ch, i, &bad))) {
			bad = 1;
		}
	}
	add(doc, "name", json_string(dk_chain_qname(ch)), &bad);
	add(doc, "type", json_string(type_name(dk_chain_qtype(ch))), &bad);
	add(doc, "rcode", json_string(rcode_name(dk_chain_rcode(ch))), &bad);
	add(doc, "dnssec",
	    json_string(dk_dnssec_status_name(dk_chain_status(ch))), &bad);
	add(doc, "diagnosis", json_string(dk_chain_diagnosis(ch)), &bad);
	add(doc, "resolver_dnssec",
	    json_string(dk_dnssec_status_name(dk_chain_resolver_status(ch))),
	    &bad);
	add(doc, "why", json_str_or_null(dk_chain_why_bogus(ch)), &bad);
	add(doc, "checked_dnssec",
	    json_string(dk_dnssec_status_name(dk_chain_checked_status(ch))),
	    &bad);
	add(doc, "disagrees", json_boolean(dk_chain_disagrees(ch)), &bad);
	add(doc, "outcome",
	    json_string(dk_chain_outcome_name(dk_chain_outcome(ch))), &bad);
	add(doc, "outcome_zone", json_str_or_null(dk_chain_outcome_zone(ch)),
	    &bad);
	add(doc, "failed_query", json_str_or_null(dk_chain_failed_query(ch)),
	    &bad);
	add(doc, "unsupported_algorithm",
	    dk_chain_unsupported_algorithm(ch)
		    ? json_integer(dk_chain_unsupported_algorithm(ch))
		    : json_null(),
	    &bad);
	add(doc, "nsec3_iterations",
	    dk_chain_nsec3_iterations(ch) >= 0
		    ? json_integer(dk_chain_nsec3_iterations(ch))
		    : json_null(),
	    &bad);
	add(doc, "nsec3_iterations_limit",
	    dk_chain_nsec3_iterations_limit(ch) >= 0
		    ? json_integer(dk_chain_nsec3_iterations_limit(ch))
		    : json_null(),
	    &bad);
	add(doc, "missing_ds", mds, &bad);
	add(doc, "servers", json_servers(ch, &bad), &bad);
	add(doc, "validation_time", json_string(now), &bad);
	add(doc, "warn_days", json_integer(dk_chain_warn_days(ch)), &bad);
	add(doc, "warnings", warn, &bad);
	add(doc, "links", links, &bad);
	doc = cli_json_doc("chain", cli_status_exit(dk_chain_status(ch)), doc);
	if (!bad && cli_json_dump(out, doc) < 0) {
		bad = 1;
	}
	json_decref(doc);
	return bad ? -1 : 0;
}

int cmd_chain(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_GLOBAL_LONGOPTS,
		{ "warn-days", required_argument, NULL, OPT_WARN_DAYS },
		{ "auth-port", required_argument, NULL, OPT_AUTH_PORT },
		{ "no-auth-check", no_argument, NULL, OPT_NO_AUTH_CHECK },
		{ NULL, 0, NULL, 0 }
	};
	struct dk_chain_opts co = { 0 };
	unsigned long port = 0;
	struct dk_resolver *res = NULL;
	struct dk_chain *ch = NULL;
	const char *name = NULL;
	struct dk_diag diag = { "" };
	unsigned long warn_days = 7;
	char *buf = NULL;
	size_t len = 0;
	FILE *out;
	int opt, type = DK_RR_TYPE_A, rc, r;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":qvh", longopts, NULL)) != -1) {
		if (opt == 'h') {
			return cli_help(chain_help);
		}
		if (opt == OPT_VERSION) {
			return cli_version();
		}
		if (opt == '?' || opt == ':') {
			return cli_bad_option(cli, opt, argv);
		}
		if (opt == OPT_WARN_DAYS) {
			if (cli_parse_ulong(optarg, 0, 36500, &warn_days) < 0) {
				return cli_usage(cli,
						 "--warn-days: '%s' is not "
						 "a number of days between "
						 "0 and 36500",
						 optarg);
			}
			continue;
		}
		if (opt == OPT_AUTH_PORT) {
			if (cli_parse_ulong(optarg, 1, 65535, &port) < 0) {
				return cli_usage(cli,
						 "--auth-port: '%s' is not a "
						 "port (1-65535)",
						 optarg);
			}
			continue;
		}
		if (opt == OPT_NO_AUTH_CHECK) {
			co.no_auth_check = 1;
			continue;
		}
		r = cli_global_option(cli, opt, optarg);
		if (r > 1) {
			return r;
		}
	}
	if (port && co.no_auth_check) {
		return cli_conflict(cli, "--auth-port", "--no-auth-check");
	}
	co.auth_port = (unsigned)port;
	co.warn_days = (int)warn_days;
	rc = cli_name_type(cli, argc, argv, &name, &type);
	if (rc != EXIT_OK) {
		return rc;
	}
	rc = cli_resolver(cli, &res);
	if (rc != EXIT_OK) {
		return rc;
	}
	r = dk_chain_build_opts(res, name, (uint16_t)type, &co, &ch, &diag);
	dk_resolver_free(res);
	if (r < 0) {
		cli_err(cli, "%s", diag.why[0] ? diag.why : dk_strerror(r));
		return cli_exit_for(r);
	}
	out = open_memstream(&buf, &len);
	if (!out) {
		dk_chain_free(ch);
		cli_err(cli, "out of memory");
		return EXIT_SOFTWARE;
	}
	rc = EXIT_OK;
	if (cli->json) {
		if (print_json(out, ch) < 0) {
			rc = EXIT_SOFTWARE;
		}
	} else {
		print_text(out, ch, cli->verbosity);
	}
	if (fclose(out) != 0) {
		rc = EXIT_SOFTWARE;
	}
	if (rc == EXIT_OK) {
		rc = cli_write_stdout(cli, buf, len);
	} else {
		cli_err(cli, "out of memory");
	}
	if (rc == EXIT_OK) {
		rc = cli_status_exit(dk_chain_status(ch));
		if (dk_chain_status(ch) == DK_DNSSEC_INDETERMINATE) {
			/* The report is out; say on stderr that it is
			 * partial (exit 75). */
			cli_err(cli, "%s", dk_chain_diagnosis(ch));
		}
	}
	free(buf);
	dk_chain_free(ch);
	return rc;
}
