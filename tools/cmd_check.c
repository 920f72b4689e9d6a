/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * danekit check smtp DOMAIN | check tls HOST[:PORT]: DANE checks of live
 * services. The library does the work and returns a report; this file
 * prints it as text or JSON and picks the exit status.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>

#include <jansson.h>

#include <danekit/dane.h>
#include <danekit/dnssec.h>
#include <danekit/tlsa.h>

#include "cli.h"
#include "json.h"
#include "monitor.h"

static const char check_help[] =
	"Usage: danekit [GLOBAL OPTIONS] check smtp [OPTIONS] DOMAIN\n"
	"       danekit [GLOBAL OPTIONS] check tls [OPTIONS] HOST[:PORT]\n"
	"\n"
	"check smtp: RFC 7672 check of a mail domain (a domain name, not an\n"
	"address or HOST:PORT). Every MX host in\n"
	"preference order: its A/AAAA and TLSA records with their DNSSEC\n"
	"status, then at every address EHLO, STARTTLS and a handshake checked\n"
	"by OpenSSL's DANE verifier against the secure TLSA records\n"
	"(usages 2 and 3; 0 and 1 do not apply to SMTP). The TLSA records are\n"
	"also linted.\n"
	"\n"
	"check tls: the TLS service at HOST, port PORT (default 443, or the\n"
	"usual port of the --starttls protocol), TLSA at _PORT._tcp.HOST.\n"
	"Usages 0 and 1 are validated against the system CA store.\n"
	"\n"
	"Options:\n"
	"  --connect-port P    connect to port P; TLSA records are still "
	"looked\n"
	"                      up for the service port\n"
	"  --starttls PROTO    (tls) smtp, imap, pop3, xmpp or ftp before TLS\n"
	"  --warn-days N       warn when a certificate expires within N days\n"
	"                      (default: 30, or a third of its lifetime if "
	"less)\n"
	"  --sig-warn-days N   warn when a DNSSEC signature over the MX or "
	"TLSA\n"
	"                      records, or above them, expires within N days\n"
	"                      (default 7; 0: never)\n"
	"  --at WHEN           judge certificate dates at WHEN: an RFC 3339 "
	"date\n"
	"                      (YYYY-MM-DD, YYYY-MM-DDTHH:MM:SSZ or with an\n"
	"                      offset, +HH:MM), @EPOCH, or +N[dhm] from now\n"
	"  --ehlo NAME         (smtp) the name sent in EHLO (default\n"
	"                      danekit.invalid)\n"
	"  --ca-file FILE      (tls) CA certificates for usages 0 and 1\n"
	"  --ca-path DIR       (tls) hashed CA directory for usages 0 and 1\n"
	"  --allow-partial     (smtp) exit 0 when some MX hosts verify with "
	"DANE\n"
	"                      and the others have none (verdict partial)\n"
	"  -4, -6              only IPv4 / only IPv6 addresses\n"
	"  --json              one JSON document with the same content\n"
	"  --nagios            Monitoring Plugins output, exit 0 OK, 1 "
	"WARNING,\n"
	"                      2 CRITICAL, 3 UNKNOWN (danekit(1), "
	"MONITORING)\n"
	"  --crit-days N       (--nagios) CRITICAL when a certificate or "
	"RRSIG\n"
	"                      expires within N days (default 3; 0: never)\n"
	"  --allow-insecure    (--nagios) DANE not applicable is OK, not "
	"CRITICAL\n"
	"  --prometheus FILE   also write node_exporter textfile metrics to "
	"FILE\n"
	"  -q, --quiet         only the verdict line\n"
	"  -v, --verbose       every certificate of each chain, all its SANs, "
	"the\n"
	"                      server's banner\n"
	"  -h, --help          this help\n"
	"Global options (--anchor, --unbound-conf, --resolver, --timeout, -q,\n"
	"-v) may also be given here; --timeout limits each connection.\n"
	"\n"
	"Exit status: 0 DANE valid; 1 a check failed (no match, bogus DNSSEC,\n"
	"no STARTTLS where TLSA is published, the domain does not exist, or\n"
	"partial: some MX hosts without DANE, a downgrade path, unless\n"
	"--allow-partial); 2 DANE does not apply "
	"(insecure\n"
	"or no usable TLSA); 64 usage error; 66 a --ca-file or --ca-path is\n"
	"missing or unreadable; 75 could not finish (time-out, SERVFAIL, no\n"
	"server reachable).\n";

enum {
	OPT_CONNECT_PORT = OPT_FIRST_COMMAND_OPTION,
	OPT_STARTTLS,
	OPT_WARN_DAYS,
	OPT_SIG_WARN_DAYS,
	OPT_AT,
	OPT_EHLO,
	OPT_CA_FILE,
	OPT_CA_PATH,
	OPT_ALLOW_PARTIAL,
};

/* --allow-partial: a domain with some MX hosts without DANE passes. */
static int allow_partial;

static int verdict_exit(enum dk_dane_verdict v)
{
	switch (v) {
	case DK_DANE_VALID:
		return EXIT_OK;
	case DK_DANE_PARTIAL:
		return allow_partial ? EXIT_OK : EXIT_FAIL;
	case DK_DANE_FAILED:
		return EXIT_FAIL;
	case DK_DANE_NOT_APPLICABLE:
		return EXIT_NODANE;
	default:
		return EXIT_TEMPFAIL;
	}
}

static const char *verdict_text(enum dk_dane_verdict v)
{
	switch (v) {
	case DK_DANE_VALID:
		return "DANE valid";
	case DK_DANE_PARTIAL:
		return "DANE PARTIAL (MX hosts without DANE)";
	case DK_DANE_FAILED:
		return "DANE check FAILED";
	case DK_DANE_NOT_APPLICABLE:
		return "DANE does not apply";
	default:
		return "could not finish";
	}
}

/* Parse --at: +N[dhm], @EPOCH or an RFC 3339 date: 0 and *ret, or -1. */
static int parse_at(const char *s, time_t *ret)
{
	char *end = NULL;

	if (*s == '+') {
		unsigned long n;
		long unit = 86400;
		char num[32];
		size_t len = strlen(s + 1);

		if (len == 0 || len >= sizeof(num)) {
			return -1;
		}
		memcpy(num, s + 1, len + 1);
		switch (num[len - 1]) {
		case 'd':
			unit = 86400;
			num[--len] = '\0';
			break;
		case 'h':
			unit = 3600;
			num[--len] = '\0';
			break;
		case 'm':
			unit = 60;
			num[--len] = '\0';
			break;
		default:
			break;
		}
		if (cli_parse_ulong(num, 0,
				    36500UL * 86400UL / (unsigned long)unit,
				    &n)) {
			return -1;
		}
		*ret = time(NULL) + (time_t)n * unit;
		return 0;
	}
	if (*s == '@') {
		long long v;

		errno = 0;
		v = strtoll(s + 1, &end, 10);
		if (errno || !end || *end || end == s + 1 || v <= 0 ||
		    s[1] == '+' || s[1] == ' ') {
			return -1;
		}
		*ret = (time_t)v;
		return 0;
	}
	return cli_parse_rfc3339(s, ret);
}

static void fmt_time(time_t t, char *buf, size_t len)
{
	struct tm tm;

	if (t == 0 || !gmtime_r(&t, &tm)) {
		snprintf(buf, len, "?");
		return;
	}
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static char *record_text(const struct dk_tlsa *t)
{
	char *s = NULL;

	if (dk_tlsa_format(t, DK_TLSA_FMT_RDATA, NULL, 0, &s) < 0) {
		return NULL;
	}
	return s;
}

/* --- text ---------------------------------------------------------------- */

static void print_findings(FILE *out, const struct dk_dane_report *r, long host,
			   const char *indent)
{
	for (size_t i = 0; i < r->nfindings; i++) {
		const struct dk_dane_finding *f = &r->findings[i];

		if (f->host != host) {
			continue;
		}
		fprintf(out, "%s%s: %s", indent,
			dk_dane_severity_name(f->severity), f->message);
		if (f->rfc) {
			fprintf(out, " [%s]", f->rfc);
		}
		fprintf(out, " (%s)\n", f->code);
		if (f->evidence) {
			fprintf(out, "%s    evidence: %s\n", indent,
				f->evidence);
		}
		if (f->hint) {
			fprintf(out, "%s    fix: %s\n", indent, f->hint);
		}
	}
}

static void print_cert(FILE *out, const struct cli *cli,
		       const struct dk_dane_cert *c, int depth)
{
	size_t max = cli->verbosity > 0 ? c->nsans : 6;
	char na[32];

	fmt_time(c->not_after, na, sizeof(na));
	fprintf(out, "        depth %d: subject %s\n", depth,
		c->subject ? c->subject : "?");
	fprintf(out, "                 issuer %s\n",
		c->issuer ? c->issuer : "?");
	if (c->nsans) {
		fprintf(out, "                 SANs");
		for (size_t i = 0; i < c->nsans && i < max; i++) {
			fprintf(out, "%s%s", i ? ", " : " ", c->sans[i]);
		}
		if (c->nsans > max) {
			fprintf(out, " (and %zu more; -v shows all)",
				c->nsans - max);
		}
		fputc('\n', out);
	}
	fprintf(out, "                 not after %s; SPKI SHA-256 %s\n", na,
		c->spki_sha256);
}

/* " by U S M <first 8 hex digits> at depth D" of a matched record. */
static void print_match(FILE *out, const struct dk_dane_host *h, long rec,
			int depth)
{
	const struct dk_tlsa *t;
	const uint8_t *d;
	size_t len = 0;

	if (rec < 0 || (size_t)rec >= h->nrecords) {
		return;
	}
	t = h->records[rec].tlsa;
	d = dk_tlsa_data(t, &len);
	fprintf(out, " by %u %u %u ", dk_tlsa_usage(t), dk_tlsa_selector(t),
		dk_tlsa_mtype(t));
	for (size_t i = 0; i < len && i < 4; i++) {
		fprintf(out, "%02x", d[i]);
	}
	fprintf(out, "%s at depth %d", len > 4 ? "..." : "", depth);
}

static void print_addr(FILE *out, const struct cli *cli,
		       const struct dk_dane_host *h,
		       const struct dk_dane_addr *a)
{
	fprintf(out, "    %s port %u: %s", a->address, a->port,
		dk_dane_addr_status_name(a->status));
	print_match(out, h, a->match_record, a->match_depth);
	if (a->tls_version) {
		fprintf(out, ", %s %s", a->tls_version,
			a->cipher ? a->cipher : "");
	}
	fputc('\n', out);
	if (a->why) {
		fprintf(out, "      reason: %s\n", a->why);
	}
	if (a->banner && cli->verbosity > 0) {
		fprintf(out, "      banner: %s\n", a->banner);
	}
	if (!h->dane && a->verify_text && a->tls_version) {
		fprintf(out, "      PKIX (for information): %s\n",
			a->verify_text);
	}
	for (size_t i = 0; i < a->nchain; i++) {
		if (i > 0 && cli->verbosity <= 0) {
			break;
		}
		print_cert(out, cli, &a->chain[i], (int)i);
	}
	for (size_t i = 0; i < a->nalts; i++) {
		const struct dk_dane_alt *al = &a->alts[i];

		fprintf(out, "      %s key: %s", al->key_type,
			dk_dane_addr_status_name(al->status));
		print_match(out, h, al->match_record, al->match_depth);
		fputc('\n', out);
		if (al->why) {
			fprintf(out, "        reason: %s\n", al->why);
		}
		if (al->nchain) {
			print_cert(out, cli, &al->chain[0], 0);
		}
	}
}

static void print_host(FILE *out, const struct cli *cli,
		       const struct dk_dane_report *r, size_t hi)
{
	const struct dk_dane_host *h = &r->hosts[hi];

	if (r->service == DK_DANE_SERVICE_SMTP) {
		fprintf(out, "host %s (MX %u%s)\n", h->name, h->preference,
			r->implicit_mx ? ", implicit" : "");
	} else {
		fprintf(out, "host %s\n", h->name);
	}
	if (h->cname) {
		fprintf(out, "  alias of %s\n", h->cname);
	}
	if (h->naddrs || h->addr_status != DK_DNSSEC_INDETERMINATE) {
		fprintf(out, "  addresses: %s",
			dk_dnssec_status_name(h->addr_status));
		for (size_t i = 0; i < h->naddrs; i++) {
			fprintf(out, "%s%s", i ? ", " : ": ",
				h->addrs[i].address);
		}
		if (h->addr_why) {
			fprintf(out, " (%s)", h->addr_why);
		}
		fputc('\n', out);
	}
	if (h->tlsa_owner) {
		fprintf(out, "  TLSA %s: ", h->tlsa_owner);
		if (h->tlsa_error) {
			fprintf(out, "lookup failed: %s\n",
				h->tlsa_why ? h->tlsa_why
					    : dk_strerror(h->tlsa_error));
		} else {
			fprintf(out, "%s, %zu record%s, %zu usable%s%s%s\n",
				dk_dnssec_status_name(h->tlsa_status),
				h->nrecords, h->nrecords == 1 ? "" : "s",
				h->nusable, h->tlsa_why ? " (" : "",
				h->tlsa_why ? h->tlsa_why : "",
				h->tlsa_why ? ")" : "");
		}
		for (size_t i = 0; i < h->nrecords; i++) {
			char *s = record_text(h->records[i].tlsa);

			fprintf(out, "    %s  %s", s ? s : "?",
				h->records[i].usable ? "usable" : "unusable");
			if (h->records[i].matches) {
				fprintf(out, ", matched at %zu address%s",
					h->records[i].matches,
					h->records[i].matches == 1 ? "" : "es");
			}
			fputc('\n', out);
			free(s);
		}
	}
	for (size_t i = 0; i < h->naddrs; i++) {
		if (h->addrs[i].status == DK_ADDR_SKIPPED) {
			continue;
		}
		print_addr(out, cli, h, &h->addrs[i]);
	}
	print_findings(out, r, (long)hi, "  ");
	fprintf(out, "  host verdict: %s%s%s\n",
		dk_dane_verdict_name(h->verdict), h->why ? ": " : "",
		h->why ? h->why : "");
}

static void print_text(FILE *out, const struct cli *cli,
		       const struct dk_dane_report *r)
{
	char at[32];

	if (cli->verbosity >= 0) {
		fmt_time(r->at, at, sizeof(at));
		if (r->service == DK_DANE_SERVICE_SMTP) {
			fprintf(out,
				"check smtp %s (TLSA port 25, connecting to "
				"port "
				"%u; certificates judged at %s)\n",
				r->domain, r->connect_port, at);
			fprintf(out, "MX %s: ", r->domain);
			if (r->mx_error) {
				fprintf(out, "lookup failed: %s\n",
					r->mx_why ? r->mx_why
						  : dk_strerror(r->mx_error));
			} else {
				fprintf(out, "%s%s%s%s",
					dk_dnssec_status_name(r->mx_status),
					r->mx_why ? " (" : "",
					r->mx_why ? r->mx_why : "",
					r->mx_why ? ")" : "");
				if (r->null_mx) {
					fprintf(out, ", null MX");
				} else if (r->nxdomain) {
					fprintf(out, ", no such domain");
				} else if (r->implicit_mx) {
					fprintf(out, ", no MX: implicit MX %s",
						r->domain);
				} else {
					fprintf(out, ", %zu host%s", r->nhosts,
						r->nhosts == 1 ? "" : "s");
				}
				fputc('\n', out);
			}
		} else {
			fprintf(out,
				"check tls %s port %u (%s, connecting to port "
				"%u; "
				"certificates judged at %s)\n",
				r->domain, r->port,
				r->starttls ? dk_starttls_name(r->starttls)
					    : "direct TLS",
				r->connect_port, at);
		}
		print_findings(out, r, -1, "");
		for (size_t i = 0; i < r->nhosts; i++) {
			print_host(out, cli, r, i);
		}
	}
	fprintf(out, "verdict: %s: %s\n", verdict_text(r->verdict),
		r->why ? r->why : "");
}

/* --- JSON ---------------------------------------------------------------- */

static json_t *json_tlsa(const struct dk_tlsa *t)
{
	return cli_json_tlsa(t, NULL, 0);
}

static json_t *json_findings(const struct dk_dane_report *r, long host)
{
	json_t *arr = json_array();

	for (size_t i = 0; arr && i < r->nfindings; i++) {
		const struct dk_dane_finding *f = &r->findings[i];

		if (f->host != host) {
			continue;
		}
		json_array_append_new(
			arr,
			json_pack("{s:s, s:s, s:o, s:s, s:o, s:o, s:o}",
				  "severity",
				  dk_dane_severity_name(f->severity), "code",
				  f->code, "where", cli_json_str(f->where),
				  "message", f->message, "evidence",
				  cli_json_str(f->evidence), "hint",
				  cli_json_str(f->hint), "rfc",
				  cli_json_str(f->rfc)));
	}
	return arr;
}

static json_t *json_cert(const struct dk_dane_cert *c)
{
	json_t *sans = json_array();

	for (size_t i = 0; sans && i < c->nsans; i++) {
		json_array_append_new(sans, json_string(c->sans[i]));
	}
	return json_pack("{s:o, s:o, s:o, s:o, s:o, s:s, s:s}", "subject",
			 cli_json_str(c->subject), "issuer",
			 cli_json_str(c->issuer), "sans",
			 sans ? sans : json_array(), "not_before",
			 cli_json_time(c->not_before), "not_after",
			 cli_json_time(c->not_after), "spki_sha256",
			 c->spki_sha256, "cert_sha256", c->cert_sha256);
}

static json_t *json_match(const struct dk_dane_host *h, long rec, int depth)
{
	json_t *m;

	if (rec < 0 || (size_t)rec >= h->nrecords) {
		return json_null();
	}
	m = json_tlsa(h->records[rec].tlsa);
	if (!m) {
		return json_null();
	}
	json_object_set_new(m, "depth", json_integer(depth));
	return m;
}

static json_t *json_chain(const struct dk_dane_cert *c, size_t n)
{
	json_t *chain = json_array();

	for (size_t i = 0; chain && i < n; i++) {
		json_array_append_new(chain, json_cert(&c[i]));
	}
	return chain ? chain : json_array();
}

static json_t *json_addr(const struct dk_dane_host *h,
			 const struct dk_dane_addr *a)
{
	json_t *chain = json_chain(a->chain, a->nchain);
	json_t *match = json_match(h, a->match_record, a->match_depth);
	json_t *alts = json_array();

	for (size_t i = 0; alts && i < a->nalts; i++) {
		const struct dk_dane_alt *al = &a->alts[i];

		json_array_append_new(
			alts,
			json_pack("{s:s, s:s, s:o, s:o, s:o}", "key_type",
				  al->key_type, "verdict",
				  dk_dane_addr_status_name(al->status), "why",
				  cli_json_str(al->why), "match",
				  json_match(h, al->match_record,
					     al->match_depth),
				  "chain", json_chain(al->chain, al->nchain)));
	}
	return json_pack(
		"{s:s, s:i, s:i, s:s, s:o, s:o, s:o, s:o, s:o, s:o, "
		"s:o, s:o, s:o}",
		"address", a->address, "family", a->family == AF_INET6 ? 6 : 4,
		"port", (int)a->port, "verdict",
		dk_dane_addr_status_name(a->status), "why",
		cli_json_str(a->why), "banner", cli_json_str(a->banner),
		"tls_version", cli_json_str(a->tls_version), "cipher",
		cli_json_str(a->cipher), "verify",
		a->verify_text ? json_pack("{s:I, s:s}", "code",
					   (json_int_t)a->verify_code, "text",
					   a->verify_text)
			       : json_null(),
		"match", match, "chain", chain, "other_keys",
		alts ? alts : json_array(), "handshake_seconds",
		a->handshake_seconds > 0 ? json_real(a->handshake_seconds)
					 : json_null());
}

static json_t *json_host(const struct dk_dane_report *r, size_t hi)
{
	const struct dk_dane_host *h = &r->hosts[hi];
	json_t *recs = json_array(), *addrs = json_array(), *tlsa = json_null();

	for (size_t i = 0; recs && i < h->nrecords; i++) {
		json_t *o = json_tlsa(h->records[i].tlsa);

		if (o) {
			json_object_set_new(o, "usable",
					    json_boolean(h->records[i].usable));
			json_object_set_new(
				o, "matches",
				json_integer(
					(json_int_t)h->records[i].matches));
			json_array_append_new(recs, o);
		}
	}
	for (size_t i = 0; addrs && i < h->naddrs; i++) {
		json_array_append_new(addrs, json_addr(h, &h->addrs[i]));
	}
	if (h->tlsa_owner) {
		json_decref(tlsa);
		tlsa = json_pack(
			"{s:s, s:o, s:s, s:o, s:o, s:o, s:i}", "owner",
			h->tlsa_owner, "base", cli_json_str(h->tlsa_base),
			"dnssec", dk_dnssec_status_name(h->tlsa_status), "why",
			cli_json_str(h->tlsa_why), "error",
			h->tlsa_error ? json_string(dk_strerror(h->tlsa_error))
				      : json_null(),
			"records", recs ? recs : json_array(), "usable",
			(int)h->nusable);
		recs = NULL;
	}
	json_decref(recs);
	return json_pack(
		"{s:s, s:i, s:o, s:b, s:{s:s, s:o}, s:o, s:b, s:o, s:s, "
		"s:o, s:o}",
		"name", h->name, "preference", (int)h->preference, "cname",
		cli_json_str(h->cname), "ip_literal", h->ip_literal,
		"address_records", "dnssec",
		dk_dnssec_status_name(h->addr_status), "why",
		cli_json_str(h->addr_why), "tlsa", tlsa ? tlsa : json_null(),
		"dane", h->dane, "addresses", addrs ? addrs : json_array(),
		"verdict", dk_dane_verdict_name(h->verdict), "why",
		cli_json_str(h->why), "findings", json_findings(r, (long)hi));
}

static json_t *json_report(const struct dk_dane_report *r)
{
	json_t *hosts = json_array(), *doc, *mx = json_null();

	for (size_t i = 0; hosts && i < r->nhosts; i++) {
		json_array_append_new(hosts, json_host(r, i));
	}
	if (r->service == DK_DANE_SERVICE_SMTP) {
		json_decref(mx);
		mx = json_pack("{s:s, s:o, s:o, s:b, s:b, s:b}", "dnssec",
			       dk_dnssec_status_name(r->mx_status), "why",
			       cli_json_str(r->mx_why), "error",
			       r->mx_error
				       ? json_string(dk_strerror(r->mx_error))
				       : json_null(),
			       "null_mx", r->null_mx, "implicit",
			       r->implicit_mx, "nxdomain", r->nxdomain);
	}
	doc = json_pack("{s:s, s:i, s:i, s:o, s:o, s:o, s:o, s:o, s:s, s:o}",
			"domain", r->domain, "port", (int)r->port,
			"connect_port", (int)r->connect_port, "starttls",
			r->starttls ? json_string(dk_starttls_name(r->starttls))
				    : json_null(),
			"at", cli_json_time(r->at), "mx", mx ? mx : json_null(),
			"hosts", hosts ? hosts : json_array(), "findings",
			json_findings(r, -1), "verdict",
			dk_dane_verdict_name(r->verdict), "why",
			cli_json_str(r->why));
	return cli_json_doc(r->service == DK_DANE_SERVICE_SMTP ? "check smtp"
							       : "check tls",
			    verdict_exit(r->verdict), doc);
}

json_t *check_json_report(const struct dk_dane_report *r)
{
	return json_report(r);
}

int check_report_exit(const struct dk_dane_report *r)
{
	return verdict_exit(r->verdict);
}

static int print_report(const struct cli *cli, const struct dk_dane_report *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	int rc = EXIT_OK;

	if (!out) {
		cli_err(cli, "out of memory");
		return EXIT_SOFTWARE;
	}
	if (cli->json) {
		json_t *doc = json_report(r);

		if (cli_json_dump(out, doc) < 0) {
			rc = EXIT_SOFTWARE;
		}
		json_decref(doc);
	} else {
		print_text(out, cli, r);
	}
	if (rc != EXIT_OK) {
		fclose(out);
		free(buf);
		cli_err(cli, "out of memory");
		return rc;
	}
	return cli_finish(cli, out, &buf, &len, NULL);
}

/*
 * The DOMAIN of check smtp: a mail domain, never an address or HOST:PORT
 * (RFC 7672 section 2.2.1 looks up its MX records): refused at once
 * rather than after a time-out. EXIT_OK or a usage error.
 */
static int check_domain(const struct cli *cli, const char *d)
{
	struct dk_diag diag = { "" };
	unsigned char bin[16];
	const char *colon = strrchr(d, ':');

	if (d[0] == '[' || inet_pton(AF_INET, d, bin) == 1 ||
	    inet_pton(AF_INET6, d, bin) == 1) {
		return cli_usage(cli,
				 "'%s' is an address: check smtp takes a mail "
				 "domain (check tls HOST:PORT --starttls smtp "
				 "checks one server)",
				 d);
	}
	if (colon && strchr(d, ':') == colon && colon[1]) {
		return cli_usage(cli,
				 "'%s': check smtp takes a mail domain, not "
				 "HOST:PORT (--connect-port P connects to "
				 "another port)",
				 d);
	}
	if (dk_tlsa_check_host(d, &diag) < 0) {
		return cli_usage(cli, "'%s' is not a mail domain: %s", d,
				 diag.why);
	}
	return EXIT_OK;
}

/*
 * --ca-file and --ca-path are looked at before anything is sent: a file
 * (@dir 0) or a folder (@dir 1) that can be read. EXIT_OK or 66.
 */
static int check_ca(const struct cli *cli, const char *opt, const char *path,
		    int dir)
{
	struct stat st;
	int e = 0;

	if (stat(path, &st) != 0) {
		e = errno;
	} else if (dir && !S_ISDIR(st.st_mode)) {
		e = ENOTDIR;
	} else if (!dir && S_ISDIR(st.st_mode)) {
		e = EISDIR;
	} else if (access(path, dir ? R_OK | X_OK : R_OK) != 0) {
		e = errno;
	}
	if (e) {
		cli_err(cli, "%s %s: %s", opt, path, strerror(e));
		return EXIT_NOINPUT;
	}
	return EXIT_OK;
}

/* HOST[:PORT] of check tls; @host is a copy in @buf. */
static int split_host_port(const char *arg, char *buf, size_t len,
			   unsigned long *port)
{
	const char *colon = strrchr(arg, ':');

	if (strlen(arg) >= len) {
		return -1;
	}
	if (!colon) {
		snprintf(buf, len, "%s", arg);
		return 0;
	}
	if (strchr(arg, ':') != colon) {
		return -1; /* an IPv6 literal: TLSA needs a host name */
	}
	if (cli_parse_ulong(colon + 1, 1, 65535, port)) {
		return -1;
	}
	snprintf(buf, len, "%.*s", (int)(colon - arg), arg);
	return 0;
}

int cmd_check(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_GLOBAL_LONGOPTS,
		{ "connect-port", required_argument, NULL, OPT_CONNECT_PORT },
		{ "starttls", required_argument, NULL, OPT_STARTTLS },
		{ "warn-days", required_argument, NULL, OPT_WARN_DAYS },
		{ "sig-warn-days", required_argument, NULL, OPT_SIG_WARN_DAYS },
		{ "at", required_argument, NULL, OPT_AT },
		{ "ehlo", required_argument, NULL, OPT_EHLO },
		{ "ca-file", required_argument, NULL, OPT_CA_FILE },
		{ "ca-path", required_argument, NULL, OPT_CA_PATH },
		{ "allow-partial", no_argument, NULL, OPT_ALLOW_PARTIAL },
		{ NULL, 0, NULL, 0 },
	};
	struct dk_dane_opts o = { .warn_days = 0 };
	struct dk_resolver *res = NULL;
	struct dk_dane_report *rep = NULL;
	struct dk_diag diag = { "" };
	const char *sub = NULL;
	char host[300];
	unsigned long port = 0;
	int opt, rc, r, smtp, have_starttls = 0;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":46qvh", longopts, NULL)) !=
	       -1) {
		unsigned long v;

		switch (opt) {
		case 'h':
			return cli_help(check_help);
		case OPT_VERSION:
			return cli_version();
		case '4':
			o.no_ipv6 = 1;
			break;
		case '6':
			o.no_ipv4 = 1;
			break;
		case OPT_CONNECT_PORT:
			if (cli_parse_ulong(optarg, 1, 65535, &v)) {
				return cli_usage(
					cli,
					"--connect-port: '%s' is not a "
					"port number (1-65535)",
					optarg);
			}
			o.connect_port = (unsigned)v;
			break;
		case OPT_STARTTLS:
			r = dk_starttls_parse(optarg);
			if (r < 0) {
				return cli_usage(
					cli,
					"--starttls: '%s' is not one of "
					"smtp, imap, pop3, xmpp, ftp",
					optarg);
			}
			o.starttls = (enum dk_starttls)r;
			have_starttls = 1;
			break;
		case OPT_WARN_DAYS:
			if (cli_parse_ulong(optarg, 0, 36500, &v)) {
				return cli_usage(cli,
						 "--warn-days: '%s' is not a "
						 "number of days (0-36500)",
						 optarg);
			}
			/* 0 turns the warning off. */
			o.warn_days = v ? (long)v : -1;
			break;
		case OPT_SIG_WARN_DAYS:
			if (cli_parse_ulong(optarg, 0, 36500, &v)) {
				return cli_usage(
					cli,
					"--sig-warn-days: '%s' is not a "
					"number of days (0-36500)",
					optarg);
			}
			o.sig_warn_days = v ? (long)v : -1;
			break;
		case OPT_AT:
			if (parse_at(optarg, &o.at)) {
				return cli_usage(cli,
						 "--at: '%s' is not a date: an "
						 "RFC 3339 date on the "
						 "calendar (YYYY-MM-DD, or "
						 "YYYY-MM-DDTHH:MM:SS with Z "
						 "or +HH:MM), @EPOCH or "
						 "+N[dhm]",
						 optarg);
			}
			break;
		case OPT_EHLO:
			if (!*optarg || strpbrk(optarg, " \t\r\n") ||
			    strlen(optarg) > 255) {
				return cli_usage(
					cli, "--ehlo: '%s' is not a host name",
					optarg);
			}
			o.ehlo_name = optarg;
			break;
		case OPT_CA_FILE:
			o.ca_file = optarg;
			break;
		case OPT_CA_PATH:
			o.ca_path = optarg;
			break;
		case OPT_ALLOW_PARTIAL:
			allow_partial = 1;
			break;
		case '?':
		case ':':
			return cli_bad_option(cli, opt, argv);
		default:
			r = cli_global_option(cli, opt, optarg);
			if (r > 1) {
				return r;
			}
			break;
		}
	}
	if (optind >= argc) {
		return cli_usage(cli,
				 "what to check? (danekit check smtp DOMAIN | "
				 "check tls HOST[:PORT])");
	}
	sub = argv[optind];
	if (strcmp(sub, "smtp") != 0 && strcmp(sub, "tls") != 0) {
		return cli_usage(cli, "unknown check '%s' (smtp or tls)", sub);
	}
	smtp = strcmp(sub, "smtp") == 0;
	if (argc - optind < 2) {
		return cli_usage(cli,
				 smtp ? "no domain given (danekit check smtp "
					"DOMAIN)"
				      : "no host given (danekit check tls "
					"HOST[:PORT])");
	}
	if (argc - optind > 2) {
		return cli_usage(cli,
				 "too many arguments (danekit check %s %s)",
				 sub, smtp ? "DOMAIN" : "HOST[:PORT]");
	}
	if (o.no_ipv4 && o.no_ipv6) {
		return cli_usage(cli, "-4 and -6 exclude each other");
	}
	if (smtp && have_starttls) {
		return cli_usage(cli,
				 "--starttls belongs to check tls; check smtp "
				 "always uses SMTP STARTTLS");
	}
	if (!smtp && allow_partial) {
		return cli_usage(cli,
				 "--allow-partial belongs to check smtp: check "
				 "tls checks one host");
	}
	if (smtp && (o.ca_file || o.ca_path)) {
		return cli_usage(cli,
				 "--ca-file/--ca-path belong to check tls: "
				 "usages 0 and 1 do not apply to SMTP");
	}
	if (smtp) {
		rc = check_domain(cli, argv[optind + 1]);
		if (rc != EXIT_OK) {
			return rc;
		}
		snprintf(host, sizeof(host), "%s", argv[optind + 1]);
	} else if (split_host_port(argv[optind + 1], host, sizeof(host),
				   &port)) {
		return cli_usage(cli,
				 "'%s' is not HOST or HOST:PORT (port 1-65535)",
				 argv[optind + 1]);
	}
	if (!smtp && port == 0) {
		port = dk_starttls_default_port(o.starttls);
	}
	if ((o.ca_file &&
	     (rc = check_ca(cli, "--ca-file", o.ca_file, 0)) != EXIT_OK) ||
	    (o.ca_path &&
	     (rc = check_ca(cli, "--ca-path", o.ca_path, 1)) != EXIT_OK)) {
		return rc;
	}
	if ((rc = mon_ready(cli)) != EXIT_OK) {
		return rc;
	}
	o.timeout = cli->timeout;
	/* check smtp is a scan of one domain: the same code, the same loop */
	rc = smtp ? cli_resolver_event(cli, &res) : cli_resolver(cli, &res);
	if (rc != EXIT_OK) {
		return rc;
	}
	mon_start();
	if (smtp) {
		r = scan_one(res, host, &o, &rep, &diag);
	} else {
		r = dk_dane_check_tls(res, host, (unsigned)port, &o, &rep,
				      &diag);
	}
	if (r < 0) {
		cli_err(cli, "%s", diag.why[0] ? diag.why : dk_strerror(r));
		dk_resolver_free(res);
		return cli_exit_for(r);
	}
	rc = cli->nagios || cli->prometheus
		     ? mon_dane(cli, res, rep, allow_partial, &o)
		     : EXIT_OK;
	if (!cli->nagios && rc == EXIT_OK) {
		rc = print_report(cli, rep);
		if (rc == EXIT_OK) {
			rc = verdict_exit(rep->verdict);
		}
	}
	dk_dane_report_free(rep);
	dk_resolver_free(res);
	return rc;
}
