/* SPDX-License-Identifier: BSD-3-Clause */
/* danekit lookup NAME [TYPE]: a validated lookup and its DNSSEC status. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include <danekit/dnssec.h>

#include "cli.h"

static const char lookup_help[] =
	"Usage: danekit [GLOBAL OPTIONS] lookup [OPTIONS] NAME [TYPE]\n"
	"\n"
	"Look NAME up (TYPE defaults to A) through a validating resolver and\n"
	"print the RRset in zone-file format, then its DNSSEC status:\n"
	"  ; dnssec: secure | insecure | bogus (reason)\n"
	"\n"
	"Options:\n"
	"  --json        one JSON document instead\n"
	"  -q, --quiet   the '; dnssec:' line alone\n"
	"  -v, --verbose also the rcode, TTL and canonical name first\n"
	"  -h, --help    this help\n"
	"Global options (--anchor, --unbound-conf, --resolver, --timeout) may\n"
	"also be given here; see danekit --help.\n"
	"\n"
	"Exit status: 0 secure, 2 insecure, 1 bogus, 64 usage error,\n"
	"66 trust anchor or config file missing, 75 could not resolve\n"
	"(time-out, SERVFAIL without a validation reason, no resolver).\n";

static char *rr_line(const ldns_rr *rr)
{
	char *s = ldns_rr2str_fmt(ldns_output_format_nocomments, rr);
	size_t n;

	if (!s) {
		return NULL;
	}
	for (char *p = s; *p; p++) {
		if (*p == '\t') {
			*p = ' ';
		}
	}
	n = strlen(s);
	while (n && (s[n - 1] == '\n' || s[n - 1] == ' ')) {
		s[--n] = '\0';
	}
	return s;
}

static int print_answer(const struct cli *cli, const struct dk_answer *a)
{
	const ldns_rr_list *rrs = dk_answer_get0_rrset(a);
	enum dk_dnssec_status st = dk_answer_status(a);
	const char *why = dk_answer_why(a);
	char rcode[32];
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	int rc = EXIT_OK;
	ldns_lookup_table *lt =
		ldns_lookup_by_id(ldns_rcodes, dk_answer_rcode(a));

	if (!out) {
		cli_err(cli, "out of memory");
		return EXIT_SOFTWARE;
	}
	snprintf(rcode, sizeof(rcode), "%s", lt ? lt->name : "?");
	if (cli->json) {
		json_t *arr = json_array();
		json_t *doc;

		for (size_t i = 0; arr && i < ldns_rr_list_rr_count(rrs); i++) {
			char *line = rr_line(ldns_rr_list_rr(rrs, i));

			if (!line ||
			    json_array_append_new(arr, json_string(line))) {
				rc = EXIT_SOFTWARE;
			}
			free(line);
		}
		doc = json_pack(
			"{s:s, s:s, s:s, s:s?, s:s, s:s?, s:I, s:o}", "name",
			dk_answer_qname(a), "type",
			ldns_rr_descript(dk_answer_qtype(a))
				? ldns_rr_descript(dk_answer_qtype(a))->_name
				: "?",
			"rcode", rcode, "canonical_name",
			dk_answer_canonname(a), "dnssec",
			dk_dnssec_status_name(st), "why", why, "ttl",
			(json_int_t)dk_answer_ttl(a), "records",
			arr ? arr : json_array());
		if (!doc || json_dumpf(doc, out,
				       JSON_INDENT(2) | JSON_PRESERVE_ORDER)) {
			rc = EXIT_SOFTWARE;
		}
		fputc('\n', out);
		json_decref(doc);
	} else if (cli->verbosity < 0) {
		/* -q: the status line alone, for monitoring. */
		fprintf(out, "; dnssec: %s%s%s%s\n", dk_dnssec_status_name(st),
			why ? " (" : "", why ? why : "", why ? ")" : "");
	} else {
		const ldns_pkt *pkt = dk_answer_get0_packet(a);
		ldns_rr_list *ans = pkt ? ldns_pkt_answer(pkt) : NULL;

		if (cli->verbosity > 0) {
			/* -v: what the answer was, before its records */
			const char *canon = dk_answer_canonname(a);
			const ldns_rr_descriptor *d =
				ldns_rr_descript(dk_answer_qtype(a));

			fprintf(out, "; %s %s: rcode %s, TTL %u%s%s\n",
				dk_answer_qname(a),
				d && d->_name ? d->_name : "?", rcode,
				(unsigned)dk_answer_ttl(a),
				canon ? ", canonical name " : "",
				canon ? canon : "");
		}

		/* The CNAMEs on the way first. */
		for (size_t i = 0; i < ldns_rr_list_rr_count(ans); i++) {
			const ldns_rr *rr = ldns_rr_list_rr(ans, i);
			char *line;

			if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_CNAME ||
			    dk_answer_qtype(a) == LDNS_RR_TYPE_CNAME) {
				continue;
			}
			line = rr_line(rr);
			if (line) {
				fprintf(out, "%s\n", line);
			}
			free(line);
		}
		for (size_t i = 0; i < ldns_rr_list_rr_count(rrs); i++) {
			char *line = rr_line(ldns_rr_list_rr(rrs, i));

			if (!line) {
				rc = EXIT_SOFTWARE;
				break;
			}
			fprintf(out, "%s\n", line);
			free(line);
		}
		if (ldns_rr_list_rr_count(rrs) == 0) {
			fprintf(out, "; %s: %s\n", dk_answer_qname(a),
				dk_answer_nxdomain(a)
					? "no such name (NXDOMAIN)"
				: st == DK_DNSSEC_BOGUS
					? "no data usable"
					: "no records of this type (NODATA)");
		}
		fprintf(out, "; dnssec: %s", dk_dnssec_status_name(st));
		if (why) {
			fprintf(out, " (%s)", why);
		}
		fputc('\n', out);
		if (st == DK_DNSSEC_BOGUS) {
			fprintf(out,
				"; these records failed DNSSEC validation: "
				"do not use them\n");
		}
	}
	if (rc != EXIT_OK) {
		fclose(out);
		free(buf);
		cli_err(cli, "out of memory");
		return rc;
	}
	return cli_finish(cli, out, &buf, &len, NULL);
}

int cmd_lookup(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = { CLI_GLOBAL_LONGOPTS,
						  { NULL, 0, NULL, 0 } };
	struct dk_resolver *res = NULL;
	struct dk_answer *a = NULL;
	struct dk_diag diag = { "" };
	const char *name;
	int opt, type = LDNS_RR_TYPE_A, rc, r;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":qvh", longopts, NULL)) != -1) {
		if (opt == 'h') {
			return cli_help(lookup_help);
		}
		if (opt == OPT_VERSION) {
			return cli_version();
		}
		if (opt == '?' || opt == ':') {
			return cli_bad_option(cli, opt, argv);
		}
		r = cli_global_option(cli, opt, optarg);
		if (r > 1) {
			return r;
		}
	}
	rc = cli_name_type(cli, argc, argv, &name, &type);
	if (rc != EXIT_OK) {
		return rc;
	}
	rc = cli_resolver(cli, &res);
	if (rc != EXIT_OK) {
		return rc;
	}
	r = dk_lookup(res, name, (uint16_t)type, &a, &diag);
	if (r < 0) {
		cli_err(cli, "%s", diag.why[0] ? diag.why : dk_strerror(r));
		dk_resolver_free(res);
		return cli_exit_for(r);
	}
	rc = print_answer(cli, a);
	if (rc == EXIT_OK) {
		rc = cli_status_exit(dk_answer_status(a));
	}
	dk_answer_free(a);
	dk_resolver_free(res);
	return rc;
}
