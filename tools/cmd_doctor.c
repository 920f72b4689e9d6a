/* SPDX-License-Identifier: BSD-3-Clause */
/* danekit doctor [NAME [TYPE]]: is this resolver set-up fit for DANE? */
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include <danekit/dnssec.h>

#include "cli.h"
#include "json.h"
#include "monitor.h"

static const char doctor_help[] =
	"Usage: danekit [GLOBAL OPTIONS] doctor [OPTIONS] [NAME [TYPE]]\n"
	"\n"
	"Is this resolver set-up (--anchor, --unbound-conf, --resolver) fit "
	"for\n"
	"DANE? One line per check, 'ok', 'warning', 'fail' or 'unknown' and "
	"why:\n"
	"  setup       the files and options handed to libunbound\n"
	"  anchor      each trust anchor, its source, and the age of an RFC "
	"5011\n"
	"              state file (unbound-anchor's)\n"
	"  selftest    each anchor's zone: its DNSKEY RRset must be secure\n"
	"  clock       the clock against the RRSIG windows over those "
	"RRsets\n"
	"  algorithms  the DNSSEC algorithms this libunbound validates "
	"(offline)\n"
	"  name        with NAME: its DNSSEC status (TYPE defaults to A)\n"
	"  sha1        links secure only through SHA-1 (RFC 9904, RFC "
	"9905)\n"
	"  nsec3       NSEC3 iterations (RFC 9276) against the validator's "
	"limit\n"
	"  transport   answers over UDP and over TCP (from --resolver, else "
	"the\n"
	"              servers libunbound asks for the anchor's zone)\n"
	"NAME adds the zones on its path to the sha1 and nsec3 checks.\n"
	"\n"
	"Options:\n"
	"  --json        one JSON document instead\n"
	"  -q, --quiet   the verdict line alone\n"
	"  -v, --verbose the details of each check\n"
	"  -h, --help    this help\n"
	"  --nagios, --prometheus FILE: monitoring output (danekit --help)\n"
	"Global options may also be given here; see danekit --help.\n"
	"\n"
	"Exit status: 0 fit (warnings allowed), 1 unfit (a check failed, or\n"
	"the set-up's files are missing or broken), 64 usage error, 75 could\n"
	"not be tested (the self-test got no answer).\n";

static json_t *tri(int v)
{
	return v < 0 ? json_null() : json_boolean(v);
}

static const char *verdict_word(enum dk_doctor_status v)
{
	switch (v) {
	case DK_DOCTOR_FAIL:
		return "unfit";
	case DK_DOCTOR_UNKNOWN:
		return "untested";
	default:
		return "fit";
	}
}

static int verdict_exit(enum dk_doctor_status v)
{
	switch (v) {
	case DK_DOCTOR_FAIL:
		return EXIT_FAIL;
	case DK_DOCTOR_UNKNOWN:
		return EXIT_TEMPFAIL;
	default:
		return EXIT_OK;
	}
}

static const char *alg_mnemonic(uint8_t a)
{
	const char *s = dk_dnssec_algorithm_name(a);

	return s ? s : "?";
}

/* Add @v to @o under @k, counting failures in *@bad. */
static void add(json_t *o, const char *k, json_t *v, int *bad)
{
	if (!v || json_object_set_new(o, k, v) != 0) {
		*bad = 1;
	}
}

static json_t *doc_json(const struct dk_doctor *d, int rc)
{
	json_t *doc = json_object(), *checks = json_array(),
	       *anchors = json_array(), *algs = json_array(), *tr, *n3;
	enum dk_doctor_status v = dk_doctor_verdict(d);
	int64_t skew = 0;
	int bad = !doc || !checks || !anchors || !algs;

	for (size_t i = 0; !bad && i < dk_doctor_check_count(d); i++) {
		json_t *det = json_array(), *c;

		for (size_t j = 0;
		     det && j < dk_doctor_check_detail_count(d, i); j++) {
			if (json_array_append_new(
				    det, json_string(dk_doctor_check_detail(
						 d, i, j)))) {
				bad = 1;
			}
		}
		c = json_pack(
			"{s:s, s:s, s:s?, s:o}", "check",
			dk_doctor_check_id(d, i), "verdict",
			dk_doctor_status_name(dk_doctor_check_status(d, i)),
			"why", dk_doctor_check_why(d, i), "details",
			det ? det : json_array());
		if (!c || json_array_append_new(checks, c)) {
			bad = 1;
		}
	}
	for (size_t i = 0; !bad && i < dk_doctor_anchor_count(d); i++) {
		json_t *a = json_pack(
			"{s:s, s:o, s:s, s:o, s:b, s:o, s:o, s:o}", "zone",
			dk_doctor_anchor_zone(d, i), "file",
			cli_json_str(dk_doctor_anchor_file(d, i)), "source",
			dk_doctor_anchor_source(d, i), "unbound_conf",
			cli_json_str(dk_doctor_anchor_conf(d, i)), "rfc5011",
			dk_doctor_anchor_rfc5011(d, i), "mtime",
			cli_json_time(dk_doctor_anchor_mtime(d, i)),
			"last_queried",
			cli_json_time(dk_doctor_anchor_last_queried(d, i)),
			"last_success",
			cli_json_time(dk_doctor_anchor_last_success(d, i)));

		if (!a || json_array_append_new(anchors, a)) {
			bad = 1;
		}
	}
	for (size_t i = 0; !bad && i < dk_doctor_algorithm_count(d); i++) {
		int val = dk_doctor_algorithm_validates(d, i);
		json_t *a =
			json_pack("{s:i, s:s, s:o}", "number",
				  (int)dk_doctor_algorithm(d, i), "mnemonic",
				  alg_mnemonic(dk_doctor_algorithm(d, i)),
				  "validates", tri(val < 0 ? -1 : val));

		if (!a || json_array_append_new(algs, a)) {
			bad = 1;
		}
	}
	tr = json_pack("{s:o, s:o, s:o}", "udp", tri(dk_doctor_udp(d)), "tcp",
		       tri(dk_doctor_tcp(d)), "via",
		       cli_json_str(dk_doctor_transport_via(d)));
	n3 = json_pack("{s:o, s:o}", "max_iterations",
		       dk_doctor_nsec3_iterations(d) < 0
			       ? json_null()
			       : json_integer(dk_doctor_nsec3_iterations(d)),
		       "limit",
		       dk_doctor_nsec3_limit(d) < 0
			       ? json_null()
			       : json_integer(dk_doctor_nsec3_limit(d)));
	if (bad) {
		json_decref(doc);
		json_decref(checks);
		json_decref(anchors);
		json_decref(algs);
		json_decref(tr);
		json_decref(n3);
		return NULL;
	}
	add(doc, "verdict", json_string(verdict_word(v)), &bad);
	add(doc, "time", cli_json_time(dk_doctor_time(d)), &bad);
	add(doc, "name", cli_json_str(dk_doctor_name(d)), &bad);
	add(doc, "checks", checks, &bad);
	add(doc, "anchors", anchors, &bad);
	add(doc, "algorithms", algs, &bad);
	add(doc, "clock_skew_seconds",
	    dk_doctor_clock_skew(d, &skew) ? json_integer((json_int_t)skew)
					   : json_null(),
	    &bad);
	add(doc, "transport", tr, &bad);
	add(doc, "nsec3", n3, &bad);
	if (bad) {
		json_decref(doc);
		return NULL;
	}
	return cli_json_doc("doctor", rc, doc);
}

/* The verdict line: "fit: ...", "unfit: ...", "untested: ...". */
static void print_verdict(FILE *out, const struct dk_doctor *d)
{
	enum dk_doctor_status v = dk_doctor_verdict(d);
	size_t n = dk_doctor_check_count(d), warn = 0, unknown = 0;

	for (size_t i = 0; i < n; i++) {
		enum dk_doctor_status s = dk_doctor_check_status(d, i);

		warn += s == DK_DOCTOR_WARNING;
		unknown += s == DK_DOCTOR_UNKNOWN;
		if ((v == DK_DOCTOR_FAIL && s == DK_DOCTOR_FAIL) ||
		    (v == DK_DOCTOR_UNKNOWN && s == DK_DOCTOR_UNKNOWN &&
		     strcmp(dk_doctor_check_id(d, i), "selftest") == 0)) {
			fprintf(out, "%s: %s: %s\n", verdict_word(v),
				dk_doctor_check_id(d, i),
				dk_doctor_check_why(d, i));
			return;
		}
	}
	if (warn || unknown) {
		fprintf(out,
			"fit for DANE: %zu checks, %zu warning%s, %zu not "
			"tested\n",
			n, warn, warn == 1 ? "" : "s", unknown);
	} else {
		fprintf(out, "fit for DANE: all %zu checks passed\n", n);
	}
}

int cmd_doctor(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = { CLI_GLOBAL_LONGOPTS,
						  { NULL, 0, NULL, 0 } };
	struct dk_resolver_opts o = { 0 };
	struct dk_doctor *d = NULL;
	struct dk_diag diag = { "" };
	const char *name = NULL;
	char *buf = NULL;
	size_t len = 0;
	FILE *out;
	int opt, type = 0, rc, r;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":qvh", longopts, NULL)) != -1) {
		if (opt == 'h') {
			return cli_help(doctor_help);
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
	if (optind < argc) {
		rc = cli_name_type(cli, argc, argv, &name, &type);
		if (rc != EXIT_OK) {
			return rc;
		}
	}
	if ((rc = mon_ready(cli)) != EXIT_OK) {
		return rc;
	}
	o.anchor_file = cli->anchor;
	o.unbound_conf = cli->unbound_conf;
	o.forwarder = cli->resolver;
	o.timeout = cli->timeout;
	r = dk_doctor_run(&o, name, (uint16_t)type, &d, &diag);
	if (r < 0) {
		cli_err(cli, "%s", diag.why[0] ? diag.why : dk_strerror(r));
		return cli_exit_for(r);
	}
	if (cli->nagios || cli->prometheus) {
		rc = mon_doctor(cli, d);
		if (cli->nagios || rc != EXIT_OK) {
			dk_doctor_free(d);
			return rc;
		}
	}
	rc = verdict_exit(dk_doctor_verdict(d));
	out = open_memstream(&buf, &len);
	if (!out) {
		dk_doctor_free(d);
		cli_err(cli, "out of memory");
		return EXIT_SOFTWARE;
	}
	if (cli->json) {
		json_t *doc = doc_json(d, rc);

		if (!doc) {
			fclose(out);
			free(buf);
			dk_doctor_free(d);
			cli_err(cli, "out of memory");
			return EXIT_SOFTWARE;
		}
		r = cli_finish(cli, out, &buf, &len, doc);
		json_decref(doc);
	} else {
		print_verdict(out, d);
		for (size_t i = 0;
		     cli->verbosity >= 0 && i < dk_doctor_check_count(d); i++) {
			fprintf(out, "%-8s %-11s %s\n",
				dk_doctor_status_name(
					dk_doctor_check_status(d, i)),
				dk_doctor_check_id(d, i),
				dk_doctor_check_why(d, i));
			for (size_t j = 0;
			     cli->verbosity > 0 &&
			     j < dk_doctor_check_detail_count(d, i);
			     j++) {
				fprintf(out, "%21s%s\n", "- ",
					dk_doctor_check_detail(d, i, j));
			}
		}
		r = cli_finish(cli, out, &buf, &len, NULL);
	}
	dk_doctor_free(d);
	return r != EXIT_OK ? r : rc;
}
