/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * danekit audit DOMAIN: the mail-DNS audit (AUDIT.md). Argument parsing
 * and printing only; the audit itself is dk_mail_audit().
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include <danekit/dnssec.h>
#include <danekit/mail.h>

#include "cli.h"
#include "monitor.h"

static const char audit_help[] =
	"Usage: danekit [GLOBAL OPTIONS] audit DOMAIN [OPTIONS]\n"
	"\n"
	"Audit the mail of DOMAIN, outbound (SPF, DKIM, DMARC, BIMI, reverse\n"
	"DNS of the sending addresses) and inbound (MX, MTA-STS, TLS-RPT,\n"
	"DANE, the SMTP transport and certificates of every address of every\n"
	"MX host), every name through the validating resolver. The MTA-STS\n"
	"policy is fetched over HTTPS (no redirect followed); the MX hosts "
	"are\n"
	"probed as by 'check smtp' (EHLO, STARTTLS, handshake, QUIT). Every\n"
	"problem is a finding with a stable code (AUDIT.md), a severity, a\n"
	"subject and a message; the report says per area what to fix first.\n"
	"\n"
	"Options:\n"
	"  --dkim-selector SEL   a DKIM selector in use (repeatable): its key\n"
	"                        record is checked\n"
	"  --bimi-selector SEL   the BIMI selector (default: default)\n"
	"  --sending-ip IP       an outbound address (repeatable): reverse "
	"DNS\n"
	"                        and the domain's SPF result for it\n"
	"  --helo NAME           a HELO/EHLO name of the senders "
	"(repeatable):\n"
	"                        its own SPF record is checked\n"
	"  --at TIME             the audit's now, RFC 3339 "
	"(2026-09-01T00:00:00Z)\n"
	"  --no-connect          DNS only: no SMTP probe, no HTTPS fetch (the\n"
	"                        hosts are reported smtp.not_tested)\n"
	"  --https-ca FILE       PEM bundle replacing the system trust store\n"
	"                        for the HTTPS fetches and the MX "
	"certificates\n"
	"  --connect-port PORT   SMTP port instead of 25 (the TLSA records\n"
	"                        stay those of _25._tcp)\n"
	"  --https-port PORT     HTTPS connections to port 443 go to PORT\n"
	"                        (URL, SNI and certificate name unchanged;\n"
	"                        for test servers)\n"
	"  --allow-private NET   addresses in NET (ADDR[/LEN], repeatable) "
	"count\n"
	"                        as public for the MX checks (a lab, an audit\n"
	"                        from inside a private network)\n"
	"  --json                the AUDIT.md document: findings, records "
	"read,\n"
	"                        their DNSSEC states\n"
	"  -v, --verbose         evidence under each finding, the SPF tree\n"
	"  -q, --quiet           the verdict line alone\n"
	"  -h, --help            this help\n"
	"  --nagios, --prometheus FILE: monitoring output (danekit --help)\n"
	"Global options (--anchor, --unbound-conf, --resolver, --timeout) may\n"
	"also be given here; see danekit --help.\n"
	"\n"
	"Exit status: 0 no critical or error finding; 1 one at least;\n"
	"64 usage error; 66 a file missing or unreadable; 75 could not finish\n"
	"(a lookup of the domain itself failed: time-out, SERVFAIL). A "
	"failing\n"
	"SMTP probe or HTTPS fetch is a finding, not 75.\n";

enum {
	OPT_DKIM = OPT_FIRST_COMMAND_OPTION,
	OPT_BIMI,
	OPT_IP,
	OPT_HELO,
	OPT_AT,
	OPT_NO_CONNECT,
	OPT_HTTPS_CA,
	OPT_CONNECT_PORT,
	OPT_HTTPS_PORT,
	OPT_ALLOW_PRIVATE,
};

static json_t *value_json(const struct dk_mail_value *v)
{
	json_t *j;

	switch (dk_mail_value_type(v)) {
	case DK_MAIL_VALUE_BOOL:
		return json_boolean(dk_mail_value_int(v));
	case DK_MAIL_VALUE_INT:
		return json_integer((json_int_t)dk_mail_value_int(v));
	case DK_MAIL_VALUE_STRING:
		/* records may hold bytes that are not UTF-8 */
		j = json_string(dk_mail_value_string(v));
		if (!j) {
			const char *s = dk_mail_value_string(v);
			char *c = strdup(s);

			for (char *p = c; p && *p; p++) {
				if ((unsigned char)*p >= 0x80) {
					*p = '?';
				}
			}
			j = c ? json_string(c) : NULL;
			free(c);
		}
		return j;
	case DK_MAIL_VALUE_ARRAY:
		j = json_array();
		for (size_t i = 0; j && i < dk_mail_value_count(v); i++) {
			json_array_append_new(
				j, value_json(dk_mail_value_item(v, i)));
		}
		return j;
	case DK_MAIL_VALUE_OBJECT:
		j = json_object();
		for (size_t i = 0; j && i < dk_mail_value_count(v); i++) {
			json_object_set_new(
				j, dk_mail_value_key(v, i),
				value_json(dk_mail_value_item(v, i)));
		}
		return j;
	default:
		return json_null();
	}
}

static json_t *finding_json(const struct dk_mail_finding *f)
{
	json_t *refs = json_array();

	for (size_t i = 0; refs && i < f->nrefs; i++) {
		json_array_append_new(refs, json_string(f->refs[i]));
	}
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:o}", "code", f->code,
			 "severity", dk_mail_severity_name(f->severity), "area",
			 dk_mail_area_name(f->area), "subject", f->subject,
			 "message", f->message, "refs",
			 refs ? refs : json_array(), "evidence",
			 value_json(f->evidence));
}

static const char *area_title(enum dk_mail_area a)
{
	static const char *const t[] = { "SPF",	    "DKIM",    "DMARC",
					 "BIMI",    "PTR",     "MX",
					 "MTA-STS", "TLS-RPT", "DANE",
					 "SMTP/TLS" };

	return (unsigned)a < DK_MAIL_AREA_COUNT ? t[a] : "?";
}

/* The checklist item each area answers (README, "Auditing a mail
 * domain"). */
static const char *area_question(enum dk_mail_area a)
{
	static const char *const q[] = {
		"SPF authorises the senders, within its limits",
		"DKIM keys published, strong, not revoked",
		"DMARC policy published and enforcing",
		"BIMI record, logo and evidence usable",
		"sending addresses have forward-confirmed reverse DNS",
		"MX hosts exist, resolve and are usable",
		"MTA-STS record and policy valid, MX hosts covered",
		"TLS-RPT record: failures get reported",
		"DANE: TLSA records secure and matching on every address",
		"STARTTLS everywhere, modern TLS, sound certificates",
	};

	return (unsigned)a < DK_MAIL_AREA_COUNT ? q[a] : "?";
}

/* "ok", "warning", "error", "critical", "not checked". */
static const char *area_verdict(const struct dk_mail_report *r,
				enum dk_mail_area a)
{
	int w;

	if (!dk_mail_report_area_checked(r, a)) {
		return "not_checked";
	}
	w = dk_mail_report_area_worst(r, a);
	return w <= DK_MAIL_INFO ? "ok" : dk_mail_severity_name(w);
}

static int exit_status(const struct dk_mail_report *r)
{
	if (!dk_mail_report_complete(r)) {
		return EXIT_TEMPFAIL;
	}
	return dk_mail_report_worst(r) >= DK_MAIL_ERROR ? EXIT_FAIL : EXIT_OK;
}

static void fmt_time(time_t t, char *buf, size_t len)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static json_t *report_json(const struct dk_mail_report *r, int rc)
{
	json_t *doc, *areas = json_array(), *findings = json_array();
	char at[32];

	fmt_time(dk_mail_report_at(r), at, sizeof(at));
	for (int a = 0; a < DK_MAIL_AREA_COUNT; a++) {
		long first = dk_mail_report_area_first(r, a);
		json_t *o = json_pack("{s:s, s:s, s:b, s:s}", "area",
				      dk_mail_area_name(a), "direction",
				      dk_mail_area_direction(a), "checked",
				      dk_mail_report_area_checked(r, a),
				      "verdict", area_verdict(r, a));

		if (o) {
			json_object_set_new(
				o, "fix_first",
				first >= 0
					? json_string(dk_mail_report_finding(
							      r, (size_t)first)
							      ->code)
					: json_null());
		}
		json_array_append_new(areas, o);
	}
	for (size_t i = 0; i < dk_mail_report_finding_count(r); i++) {
		json_array_append_new(
			findings, finding_json(dk_mail_report_finding(r, i)));
	}
	doc = json_pack("{s:i, s:s, s:i, s:s, s:s, s:b, s:s?, s:o, s:o, s:o, "
			"s:{s:I, s:I}}",
			"schema_version", 1, "command", "audit", "exit", rc,
			"domain", dk_mail_report_domain(r), "at", at,
			"complete", dk_mail_report_complete(r), "why",
			dk_mail_report_why(r), "areas", areas, "findings",
			findings, "records",
			value_json(dk_mail_report_records(r)), "lookups",
			"queries", (json_int_t)dk_mail_report_queries(r),
			"rounds", (json_int_t)dk_mail_report_rounds(r));
	return doc;
}

json_t *audit_json_report(const struct dk_mail_report *r, int *ret_exit)
{
	*ret_exit = exit_status(r);
	return report_json(r, *ret_exit);
}

/* The SPF tree, one record a line, indented by depth (-v). */
static void print_tree(FILE *out, const struct dk_mail_value *node, int depth)
{
	const struct dk_mail_value *terms = dk_mail_value_get(node, "terms");
	const char *rec =
		dk_mail_value_string(dk_mail_value_get(node, "record"));
	const char *err =
		dk_mail_value_string(dk_mail_value_get(node, "error"));

	fprintf(out, "%*s%s [%s]: %s%s%s\n", 6 + 2 * depth, "",
		dk_mail_value_string(dk_mail_value_get(node, "domain")),
		dk_mail_value_string(dk_mail_value_get(node, "dnssec"))
			? dk_mail_value_string(
				  dk_mail_value_get(node, "dnssec"))
			: "-",
		rec ? rec : "(no SPF record)", err ? "  <- " : "",
		err ? err : "");
	if (dk_mail_value_int(dk_mail_value_get(node, "truncated"))) {
		fprintf(out, "%*s(deeper records not shown)\n", 8 + 2 * depth,
			"");
	}
	for (size_t i = 0; i < dk_mail_value_count(terms); i++) {
		const struct dk_mail_value *sub = dk_mail_value_get(
			dk_mail_value_item(terms, i), "record");

		if (sub) {
			print_tree(out, sub, depth + 1);
		}
	}
	if (dk_mail_value_get(node, "redirect")) {
		print_tree(out, dk_mail_value_get(node, "redirect"), depth + 1);
	}
}

static void print_text(const struct cli *cli, FILE *out,
		       const struct dk_mail_report *r)
{
	size_t n = dk_mail_report_finding_count(r), counts[4] = { 0 };
	long first = -1;
	char at[32];

	for (size_t i = 0; i < n; i++) {
		const struct dk_mail_finding *f = dk_mail_report_finding(r, i);

		counts[f->severity]++;
		if (f->severity >= DK_MAIL_WARNING &&
		    (first < 0 ||
		     f->severity > dk_mail_report_finding(r, (size_t)first)
					   ->severity)) {
			first = (long)i;
		}
	}
	if (cli->verbosity >= 0) {
		fmt_time(dk_mail_report_at(r), at, sizeof(at));
		fprintf(out, "mail DNS audit of %s at %s\n",
			dk_mail_report_domain(r), at);
		for (int dir = 0; dir < 2; dir++) {
			fprintf(out, "\n%s\n",
				dir == 0 ? "Outbound (the mail it sends)"
					 : "Inbound (the mail it receives)");
			for (int a = 0; a < DK_MAIL_AREA_COUNT; a++) {
				long ff = dk_mail_report_area_first(r, a);

				if ((a <= DK_MAIL_AREA_PTR) != (dir == 0)) {
					continue;
				}
				if (!dk_mail_report_area_checked(r, a)) {
					fprintf(out,
						"  %-8s not checked  [%s]\n",
						area_title(a),
						area_question(a));
					continue;
				}
				fprintf(out, "  %-8s %s  [%s]", area_title(a),
					area_verdict(r, a), area_question(a));
				if (ff >= 0) {
					fprintf(out, "; fix first: %s",
						dk_mail_report_finding(
							r, (size_t)ff)
							->code);
				}
				fputc('\n', out);
				for (size_t i = 0; i < n; i++) {
					const struct dk_mail_finding *f =
						dk_mail_report_finding(r, i);

					if ((int)f->area != a) {
						continue;
					}
					fprintf(out, "    %-8s %s  %s: %s\n",
						dk_mail_severity_name(
							f->severity),
						f->code, f->subject,
						f->message);
					if (cli->verbosity > 0) {
						json_t *j =
							value_json(f->evidence);
						char *s =
							j ? json_dumps(
								    j,
								    JSON_COMPACT |
									    JSON_PRESERVE_ORDER)
							  : NULL;

						fprintf(out,
							"             "
							"evidence: "
							"%s\n",
							s ? s : "{}");
						free(s);
						json_decref(j);
					}
				}
				if (a == DK_MAIL_AREA_SPF &&
				    cli->verbosity > 0) {
					const struct dk_mail_value *spf =
						dk_mail_value_get(
							dk_mail_report_records(
								r),
							"spf");

					if (dk_mail_value_get(spf, "tree")) {
						fprintf(out,
							"    include tree:\n");
						print_tree(out,
							   dk_mail_value_get(
								   spf, "tree"),
							   0);
					}
				}
			}
		}
		fputc('\n', out);
	}
	if (!dk_mail_report_complete(r)) {
		fprintf(out, "verdict: could not finish (%s); partial report",
			dk_mail_report_why(r) ? dk_mail_report_why(r) : "?");
	} else {
		fprintf(out, "verdict: %s",
			counts[DK_MAIL_CRITICAL] + counts[DK_MAIL_ERROR]
				? "FAIL"
				: "PASS");
	}
	fprintf(out, ": %zu critical, %zu error, %zu warning, %zu info",
		counts[DK_MAIL_CRITICAL], counts[DK_MAIL_ERROR],
		counts[DK_MAIL_WARNING], counts[DK_MAIL_INFO]);
	if (first >= 0) {
		const struct dk_mail_finding *f =
			dk_mail_report_finding(r, (size_t)first);

		fprintf(out, "; fix first: %s (%s): %s", f->code, f->subject,
			f->message);
	}
	fputc('\n', out);
	if (cli->verbosity > 0) {
		fprintf(out, "lookups: %zu in %u round(s)\n",
			dk_mail_report_queries(r), dk_mail_report_rounds(r));
	}
}

int cmd_audit(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_GLOBAL_LONGOPTS,
		{ "dkim-selector", required_argument, NULL, OPT_DKIM },
		{ "bimi-selector", required_argument, NULL, OPT_BIMI },
		{ "sending-ip", required_argument, NULL, OPT_IP },
		{ "helo", required_argument, NULL, OPT_HELO },
		{ "at", required_argument, NULL, OPT_AT },
		{ "no-connect", no_argument, NULL, OPT_NO_CONNECT },
		{ "https-ca", required_argument, NULL, OPT_HTTPS_CA },
		{ "connect-port", required_argument, NULL, OPT_CONNECT_PORT },
		{ "https-port", required_argument, NULL, OPT_HTTPS_PORT },
		{ "allow-private", required_argument, NULL, OPT_ALLOW_PRIVATE },
		{ NULL, 0, NULL, 0 }
	};
	struct dk_mail_opts o = { 0 };
	const char **sels = calloc((size_t)argc + 1, sizeof(char *));
	const char **ips = calloc((size_t)argc + 1, sizeof(char *));
	const char **helos = calloc((size_t)argc + 1, sizeof(char *));
	const char **nets = calloc((size_t)argc + 1, sizeof(char *));
	struct dk_resolver *res = NULL;
	struct dk_mail_report *rep = NULL;
	struct dk_diag diag = { "" };
	const char *domain = NULL;
	char *buf = NULL;
	size_t len = 0;
	FILE *out = NULL;
	json_t *doc = NULL;
	int opt, rc = EXIT_OK, r;

	if (!sels || !ips || !helos || !nets) {
		cli_err(cli, "out of memory");
		rc = EXIT_SOFTWARE;
		goto done;
	}
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":qvh", longopts, NULL)) != -1) {
		unsigned long port;

		switch (opt) {
		case 'h':
			rc = cli_help(audit_help);
			goto done;
		case OPT_VERSION:
			rc = cli_version();
			goto done;
		case OPT_DKIM:
			sels[o.ndkim_selectors++] = optarg;
			continue;
		case OPT_BIMI:
			o.bimi_selector = optarg;
			continue;
		case OPT_IP:
			ips[o.nsending_ips++] = optarg;
			continue;
		case OPT_HELO:
			helos[o.nhelo_names++] = optarg;
			continue;
		case OPT_AT:
			if (cli_parse_rfc3339(optarg, &o.at) < 0) {
				rc = cli_usage(cli,
					       "--at: '%s' is not an RFC 3339 "
					       "time on the calendar "
					       "(2026-09-01T00:00:00Z)",
					       optarg);
				goto done;
			}
			continue;
		case OPT_NO_CONNECT:
			o.no_connect = 1;
			continue;
		case OPT_HTTPS_CA:
			if (access(optarg, R_OK) != 0) {
				cli_err(cli, "--https-ca: %s: %s", optarg,
					strerror(errno));
				rc = EXIT_NOINPUT;
				goto done;
			}
			o.https_ca = optarg;
			continue;
		case OPT_CONNECT_PORT:
			if (cli_parse_ulong(optarg, 1, 65535, &port) < 0) {
				rc = cli_usage(cli,
					       "--connect-port: '%s' is not a "
					       "port (1-65535)",
					       optarg);
				goto done;
			}
			o.connect_port = (unsigned)port;
			continue;
		case OPT_HTTPS_PORT:
			if (cli_parse_ulong(optarg, 1, 65535, &port) < 0) {
				rc = cli_usage(cli,
					       "--https-port: '%s' is not a "
					       "port (1-65535)",
					       optarg);
				goto done;
			}
			o.https_port = (unsigned)port;
			continue;
		case OPT_ALLOW_PRIVATE:
			nets[o.nallow_private++] = optarg;
			continue;
		case '?':
		case ':':
			rc = cli_bad_option(cli, opt, argv);
			goto done;
		default:
			r = cli_global_option(cli, opt, optarg);
			if (r > 1) {
				rc = r;
				goto done;
			}
		}
	}
	if (optind >= argc) {
		rc = cli_usage(cli, "no domain given (danekit audit DOMAIN)");
		goto done;
	}
	if (argc - optind > 1) {
		rc = cli_usage(cli,
			       "too many arguments (danekit audit DOMAIN)");
		goto done;
	}
	domain = argv[optind];
	o.dkim_selectors = sels;
	o.sending_ips = ips;
	o.helo_names = helos;
	o.allow_private = nets;
	if ((rc = mon_ready(cli)) != EXIT_OK ||
	    (rc = cli_resolver(cli, &res)) != EXIT_OK) {
		goto done;
	}
	r = dk_mail_audit(res, domain, &o, &rep, &diag);
	if (r < 0) {
		cli_err(cli, "%s", diag.why[0] ? diag.why : dk_strerror(r));
		rc = cli_exit_for(r);
		goto done;
	}
	if (cli->nagios || cli->prometheus) {
		rc = mon_audit(cli, rep);
		if (cli->nagios || rc != EXIT_OK) {
			goto done;
		}
	}
	rc = exit_status(rep);
	out = open_memstream(&buf, &len);
	if (!out) {
		cli_err(cli, "out of memory");
		rc = EXIT_SOFTWARE;
		goto done;
	}
	if (cli->json) {
		doc = report_json(rep, rc);
		if (!doc) {
			cli_err(cli, "out of memory");
			fclose(out);
			free(buf);
			rc = EXIT_SOFTWARE;
			goto done;
		}
	} else {
		print_text(cli, out, rep);
	}
	{
		int w = cli_finish(cli, out, &buf, &len, doc);

		if (w != EXIT_OK) {
			rc = w;
		}
	}
done:
	json_decref(doc);
	dk_mail_report_free(rep);
	dk_resolver_free(res);
	free(sels);
	free(ips);
	free(helos);
	free(nets);
	return rc;
}
