/* SPDX-License-Identifier: BSD-3-Clause */
/* danekit lookup NAME [TYPE]: a validated lookup and its DNSSEC status. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include <danekit/dnssec.h>

#include "cli.h"
#include "json.h"

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

static int print_answer(const struct cli *cli, const struct dk_answer *a)
{
	size_t nrecs = dk_answer_count(a);
	enum dk_dnssec_status st = dk_answer_status(a);
	const char *why = dk_answer_why(a);
	char rcode[32], tname[16];
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	int rc = EXIT_OK;
	const char *rn = dk_rcode_name(dk_answer_rcode(a));

	if (!out) {
		cli_err(cli, "out of memory");
		return EXIT_SOFTWARE;
	}
	snprintf(rcode, sizeof(rcode), "%s", rn ? rn : "?");
	dk_rr_type_name(dk_answer_qtype(a), tname, sizeof(tname));
	if (cli->json) {
		json_t *arr = json_array();
		json_t *doc;

		for (size_t i = 0; arr && i < nrecs; i++) {
			char *line = dk_answer_record_text(a, i);
			uint8_t *rd = NULL;
			size_t rdlen = 0;
			json_t *o = NULL;

			if (line &&
			    dk_answer_record_rdata(a, i, &rd, &rdlen) == 0) {
				o = cli_json_rr(line, rd, rdlen);
			}
			if (!o || json_array_append_new(arr, o)) {
				rc = EXIT_SOFTWARE;
			}
			free(rd);
			free(line);
		}
		doc = cli_json_doc(
			"lookup", cli_status_exit(st),
			json_pack("{s:s, s:s, s:s, s:s?, s:s, s:s?, s:I, s:o}",
				  "name", dk_answer_qname(a), "type", tname,
				  "rcode", rcode, "canonical_name",
				  dk_answer_canonname(a), "dnssec",
				  dk_dnssec_status_name(st), "why", why, "ttl",
				  (json_int_t)dk_answer_ttl(a), "records",
				  arr ? arr : json_array()));
		if (cli_json_dump(out, doc) < 0) {
			rc = EXIT_SOFTWARE;
		}
		json_decref(doc);
	} else if (cli->verbosity < 0) {
		/* -q: the status line alone, for monitoring. */
		fprintf(out, "; dnssec: %s%s%s%s\n", dk_dnssec_status_name(st),
			why ? " (" : "", why ? why : "", why ? ")" : "");
	} else {
		if (cli->verbosity > 0) {
			/* -v: what the answer was, before its records */
			const char *canon = dk_answer_canonname(a);

			fprintf(out, "; %s %s: rcode %s, TTL %u%s%s\n",
				dk_answer_qname(a), tname, rcode,
				(unsigned)dk_answer_ttl(a),
				canon ? ", canonical name " : "",
				canon ? canon : "");
		}

		/* The CNAMEs on the way first. */
		for (size_t i = 0; i < dk_answer_cname_count(a); i++) {
			char *line = dk_answer_cname_text(a, i);

			if (line) {
				fprintf(out, "%s\n", line);
			}
			free(line);
		}
		for (size_t i = 0; i < nrecs; i++) {
			char *line = dk_answer_record_text(a, i);

			if (!line) {
				rc = EXIT_SOFTWARE;
				break;
			}
			fprintf(out, "%s\n", line);
			free(line);
		}
		if (nrecs == 0) {
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
	int opt, type = DK_RR_TYPE_A, rc, r;

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
