/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * danekit check smtp / check tls against the live servers of the lab
 * (testzones/README.md, "Mail and TLS servers"): one test per case,
 * asserting the verdict, the exit status and the key findings, from the
 * JSON report; plus the text report, time-outs and usage errors.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "helpers.h"

#define SMTP(rc, domain, ...)                                            \
	dt_check_json((rc), "smtp --connect-port %u " __VA_ARGS__ " %s", \
		      dt_lab()->smtp_port, (domain))
#define TLS(rc, host, ...)                                              \
	dt_check_json((rc), "tls --connect-port %u " __VA_ARGS__ " %s", \
		      dt_lab()->tls_port, (host))

static void assert_verdict(json_t *doc, int rc, int want_rc, const char *want)
{
	cr_assert_eq(rc, want_rc, "exit %d, expected %d (verdict %s: %s)", rc,
		     want_rc, dt_verdict(doc), dt_str(doc, "why"));
	cr_assert_str_eq(dt_verdict(doc), want);
	cr_assert_eq(json_integer_value(json_object_get(doc, "exit")), want_rc);
}

static void assert_match(json_t *addr, int usage, int depth)
{
	json_t *m = json_object_get(addr, "match");

	cr_assert(json_is_object(m), "no matched record at %s",
		  dt_str(addr, "address"));
	cr_assert_eq(json_integer_value(json_object_get(m, "usage")), usage);
	cr_assert_eq(json_integer_value(json_object_get(m, "depth")), depth);
}

Test(dane_smtp, dane_ok)
{
	int rc;
	json_t *doc = SMTP(&rc, "dane-ok.test");
	json_t *a = dt_addr(doc, 0, 0), *chain;

	assert_verdict(doc, rc, 0, "valid");
	cr_assert_str_eq(dt_str(json_object_get(doc, "mx"), "dnssec"),
			 "secure");
	cr_assert_str_eq(dt_str(dt_host(doc, 0), "name"), "mail.dane-ok.test.");
	cr_assert_str_eq(dt_str(a, "address"), "127.53.1.16");
	cr_assert_str_eq(dt_str(a, "verdict"), "verified");
	/* the handshake happened: its time is a positive number */
	cr_assert(json_is_real(json_object_get(a, "handshake_seconds")) &&
			  json_real_value(
				  json_object_get(a, "handshake_seconds")) > 0,
		  "no handshake_seconds at a verified address");
	assert_match(a, 3, 0);
	cr_assert(strncmp(dt_str(a, "tls_version"), "TLSv1.", 6) == 0);
	cr_assert(dt_str(a, "cipher")[0]);
	chain = json_object_get(a, "chain");
	cr_assert_geq(json_array_size(chain), 1);
	cr_assert(strstr(dt_str(json_array_get(chain, 0), "subject"),
			 "mail.dane-ok.test"));
	cr_assert(dt_str(json_array_get(chain, 0), "not_after")[0]);
	/* A single 3 1 1: no second key or issuer (RFC 7671 section 8). */
	cr_assert_not_null(dt_finding(doc, "tlsa-single-record", "warning"));
	json_decref(doc);
}

Test(dane_smtp, dane_ta_via_intermediate)
{
	int rc;
	json_t *doc = SMTP(&rc, "dane-ta.test");
	json_t *a = dt_addr(doc, 0, 0);

	assert_verdict(doc, rc, 0, "valid");
	cr_assert_str_eq(dt_str(a, "verdict"), "verified");
	assert_match(a, 2, 1);
	/* The trust anchor is sent: no "not sent" finding. */
	cr_assert_null(dt_finding(doc, "tlsa-ta-not-sent", NULL));
	json_decref(doc);
}

Test(dane_smtp, mismatch)
{
	int rc;
	json_t *doc = SMTP(&rc, "mismatch.test");
	json_t *a = dt_addr(doc, 0, 0), *f;
	const char *spki;

	assert_verdict(doc, rc, 1, "failed");
	cr_assert_str_eq(dt_str(a, "verdict"), "mismatch");
	cr_assert(json_is_null(json_object_get(a, "match")));
	f = dt_finding(doc, "dane-mismatch", "error");
	cr_assert_not_null(f);
	/* The SHA-256 of the presented leaf SPKI, to compare by hand. */
	spki = dt_str(json_array_get(json_object_get(a, "chain"), 0),
		      "spki_sha256");
	cr_assert_eq(strlen(spki), 64);
	cr_assert(strstr(dt_str(f, "evidence"), spki));
	cr_assert(strstr(dt_str(f, "hint"), spki));
	cr_assert_not_null(dt_finding(doc, "tlsa-stale", "warning"));
	json_decref(doc);
}

Test(dane_smtp, expired_cert_is_a_warning_with_dane_ee)
{
	int rc;
	json_t *doc = SMTP(&rc, "expired-cert.test");
	json_t *f;

	assert_verdict(doc, rc, 0, "valid");
	assert_match(dt_addr(doc, 0, 0), 3, 0);
	f = dt_finding(doc, "cert-expired", "warning");
	cr_assert_not_null(f);
	cr_assert(strstr(dt_str(f, "rfc"), "RFC 7672"));
	json_decref(doc);
}

Test(dane_smtp, insecure_mx)
{
	int rc;
	json_t *doc = SMTP(&rc, "insecure.test");

	assert_verdict(doc, rc, 2, "not-applicable");
	cr_assert_str_eq(dt_str(json_object_get(doc, "mx"), "dnssec"),
			 "insecure");
	cr_assert_not_null(dt_finding(doc, "mx-insecure", "warning"));
	cr_assert(strstr(dt_str(doc, "why"), "insecure"));
	json_decref(doc);
}

Test(dane_smtp, bogus_tlsa_defers)
{
	int rc;
	json_t *doc = SMTP(&rc, "tampered.test");
	json_t *h = dt_host(doc, 0), *t = json_object_get(h, "tlsa");
	json_t *a;
	size_t i;

	assert_verdict(doc, rc, 1, "failed");
	cr_assert_str_eq(
		dt_str(json_object_get(h, "address_records"), "dnssec"),
		"secure");
	cr_assert_str_eq(dt_str(t, "dnssec"), "bogus");
	cr_assert_eq(json_array_size(json_object_get(t, "records")), 0,
		     "bogus records must not be used");
	cr_assert_not_null(dt_finding(doc, "tlsa-bogus", "error"));
	/* No fallback: not a single connection is made with bogus data. */
	json_array_foreach(json_object_get(h, "addresses"), i, a)
	{
		cr_assert_str_eq(dt_str(a, "verdict"), "skipped");
	}
	json_decref(doc);
}

Test(dane_smtp, no_starttls)
{
	int rc;
	json_t *doc = SMTP(&rc, "nostarttls.test");

	assert_verdict(doc, rc, 1, "failed");
	cr_assert_str_eq(dt_str(dt_addr(doc, 0, 0), "verdict"), "no-starttls");
	cr_assert(json_is_null(json_object_get(dt_addr(doc, 0, 0),
					       "handshake_seconds")),
		  "handshake_seconds without a handshake");
	cr_assert_not_null(dt_finding(doc, "no-starttls", "error"));
	json_decref(doc);
}

Test(dane_smtp, two_mx_one_failing)
{
	int rc;
	json_t *doc = SMTP(&rc, "two-mx.test");

	assert_verdict(doc, rc, 1, "failed");
	cr_assert_eq(json_array_size(json_object_get(doc, "hosts")), 2);
	cr_assert_str_eq(dt_str(dt_host(doc, 0), "name"), "mail.two-mx.test.");
	cr_assert_eq(json_integer_value(
			     json_object_get(dt_host(doc, 0), "preference")),
		     10);
	cr_assert_str_eq(dt_str(dt_host(doc, 0), "verdict"), "valid");
	cr_assert_str_eq(dt_str(dt_host(doc, 1), "name"), "mail2.two-mx.test.");
	cr_assert_str_eq(dt_str(dt_host(doc, 1), "verdict"), "failed");
	cr_assert_str_eq(dt_str(dt_addr(doc, 1, 0), "verdict"), "mismatch");
	cr_assert(strstr(dt_str(doc, "why"), "mail2.two-mx.test."));
	json_decref(doc);
}

Test(dane_smtp, mx_cname)
{
	int rc;
	json_t *doc = SMTP(&rc, "mx-cname.test");
	json_t *h = dt_host(doc, 0), *t = json_object_get(h, "tlsa");

	assert_verdict(doc, rc, 0, "valid");
	cr_assert_str_eq(dt_str(h, "cname"), "smtp.secure.test.");
	/* TLSA base domain = the CNAME target (RFC 7672 section 2.2.2). */
	cr_assert_str_eq(dt_str(t, "owner"), "_25._tcp.smtp.secure.test.");
	cr_assert_str_eq(dt_str(t, "base"), "smtp.secure.test.");
	assert_match(dt_addr(doc, 0, 0), 3, 0);
	cr_assert_not_null(dt_finding(doc, "mx-cname", "warning"));
	json_decref(doc);
}

/*
 * RFC 7672 section 2.2.2: a secure CNAME into an unsigned zone keeps the
 * host in a signed zone; its TLSA records are those of the original name.
 */
Test(dane_smtp, mx_cname_into_unsigned_zone)
{
	int rc;
	json_t *doc = SMTP(&rc, "mx-cname-insecure.test");
	json_t *h = dt_host(doc, 0);

	assert_verdict(doc, rc, 0, "valid");
	cr_assert_str_eq(
		dt_str(json_object_get(h, "address_records"), "dnssec"),
		"insecure");
	cr_assert_str_eq(dt_str(json_object_get(h, "tlsa"), "owner"),
			 "_25._tcp.mail.mx-cname-insecure.test.");
	cr_assert_not_null(dt_finding(doc, "cname-leaves-signed-zone", "info"));
	cr_assert_null(dt_finding(doc, "cname-expanded", "info"));
	json_decref(doc);
}

Test(dane_smtp, pkix_only_is_no_dane)
{
	int rc;
	json_t *doc = SMTP(&rc, "pkix-only.test");
	json_t *h = dt_host(doc, 0), *t = json_object_get(h, "tlsa"), *r;
	size_t i;

	assert_verdict(doc, rc, 2, "not-applicable");
	cr_assert_eq(json_array_size(json_object_get(t, "records")), 2);
	json_array_foreach(json_object_get(t, "records"), i, r)
	{
		cr_assert(json_is_false(json_object_get(r, "usable")));
	}
	cr_assert(json_is_false(json_object_get(h, "dane")));
	cr_assert_not_null(dt_finding(doc, "tlsa-none-usable", NULL));
	cr_assert_not_null(dt_finding(doc, "tlsa-pkix-usage-smtp", NULL));
	/* TLS still works, but is not authenticated. */
	cr_assert_str_eq(dt_str(dt_addr(doc, 0, 0), "verdict"), "tls-only");
	json_decref(doc);
}

Test(dane_smtp, dual_key)
{
	int rc;
	json_t *doc = SMTP(&rc, "dual-key.test");

	assert_verdict(doc, rc, 0, "valid");
	assert_match(dt_addr(doc, 0, 0), 3, 0);
	/* Both keys are presented (to different clients): neither is stale. */
	cr_assert_null(dt_finding(doc, "tlsa-stale", NULL));
	cr_assert_null(dt_finding(doc, "tlsa-single-record", NULL));
	json_decref(doc);
}

Test(dane_smtp, every_address_ipv4_and_ipv6)
{
	int rc;
	json_t *doc = SMTP(&rc, "secure.test");
	json_t *addrs = json_object_get(dt_host(doc, 0), "addresses"), *a;
	int v4 = 0, v6 = 0;
	size_t i;

	assert_verdict(doc, rc, 0, "valid");
	json_array_foreach(addrs, i, a)
	{
		if (json_integer_value(json_object_get(a, "family")) == 6) {
			v6 = 1;
			cr_assert_str_eq(dt_str(a, "address"), "::1");
			/* The lab serves [::1] only when the host has it. */
			cr_assert(strcmp(dt_str(a, "verdict"), "verified") ==
					  0 ||
				  strcmp(dt_str(a, "verdict"), "unreachable") ==
					  0);
		} else {
			v4 = 1;
			cr_assert_str_eq(dt_str(a, "verdict"), "verified");
		}
	}
	cr_assert(v4 && v6, "both the A and the AAAA address are checked");
	json_decref(doc);
}

Test(dane_smtp, bogus_mx)
{
	int rc;
	json_t *doc = SMTP(&rc, "expired.test");

	assert_verdict(doc, rc, 1, "failed");
	cr_assert_str_eq(dt_str(json_object_get(doc, "mx"), "dnssec"), "bogus");
	cr_assert_not_null(dt_finding(doc, "mx-bogus", "error"));
	cr_assert_eq(json_array_size(json_object_get(doc, "hosts")), 0);
	json_decref(doc);
}

Test(dane_smtp, null_mx)
{
	int rc;
	json_t *doc = SMTP(&rc, "nullmx.test");

	assert_verdict(doc, rc, 2, "not-applicable");
	cr_assert(json_is_true(
		json_object_get(json_object_get(doc, "mx"), "null_mx")));
	cr_assert_not_null(dt_finding(doc, "mx-null", "info"));
	cr_assert_eq(json_array_size(json_object_get(doc, "hosts")), 0);
	json_decref(doc);
}

Test(dane_smtp, mx_target_ip_literal)
{
	int rc;
	json_t *doc = SMTP(&rc, "mx-literal.test");
	json_t *h;

	assert_verdict(doc, rc, 1, "failed");
	cr_assert_not_null(dt_finding(doc, "mx-ip-literal", "error"));
	h = json_array_get(json_object_get(doc, "hosts"), 0);
	cr_assert_str_eq(dt_str(h, "name"), "127.53.1.16.");
	/* Never connected: the target is no host name. */
	cr_assert_eq(json_array_size(json_object_get(h, "addresses")), 0);
	json_decref(doc);
}

Test(dane_smtp, mx_host_in_bogus_zone)
{
	int rc;
	json_t *doc = SMTP(&rc, "mx-bogus.test");
	json_t *h;

	assert_verdict(doc, rc, 1, "failed");
	cr_assert_str_eq(dt_str(json_object_get(doc, "mx"), "dnssec"),
			 "secure");
	cr_assert_not_null(dt_finding(doc, "address-bogus", "error"));
	h = json_array_get(json_object_get(doc, "hosts"), 0);
	cr_assert_str_eq(dt_str(h, "name"), "mail.expired.test.");
	cr_assert_eq(json_array_size(json_object_get(h, "addresses")), 0);
	json_decref(doc);
}

/* Count the findings with @code and a message containing @needle. */
static size_t count_findings(json_t *doc, const char *code, const char *needle)
{
	size_t n = 0, i, j;
	json_t *h, *f;
	json_t *lists[64];
	size_t nl = 0;

	lists[nl++] = json_object_get(doc, "findings");
	json_array_foreach(json_object_get(doc, "hosts"), i, h)
	{
		if (nl < 64) {
			lists[nl++] = json_object_get(h, "findings");
		}
	}
	for (i = 0; i < nl; i++) {
		json_array_foreach(lists[i], j, f)
		{
			if (strcmp(dt_str(f, "code"), code) == 0 &&
			    (!needle || strstr(dt_str(f, "message"), needle))) {
				n++;
			}
		}
	}
	return n;
}

/* expiring.test is signed with RRSIGs that lapse in 2 days. */
Test(dane_smtp, dnssec_signatures_expiring)
{
	int rc;
	json_t *doc = SMTP(&rc, "expiring.test");

	assert_verdict(doc, rc, 0, "valid");
	cr_expect_eq(count_findings(doc, "dnssec-sig-expiring",
				    "_25._tcp.mail.expiring.test. TLSA"),
		     1);
	cr_expect_eq(
		count_findings(doc, "dnssec-sig-expiring", "expiring.test. MX"),
		1);
	/* The zone's DNSKEY RRSIG is above both: reported once. */
	cr_expect_eq(count_findings(doc, "dnssec-sig-expiring",
				    "expiring.test. DNSKEY"),
		     1);
	json_decref(doc);
	doc = SMTP(&rc, "expiring.test", "--sig-warn-days 0");
	assert_verdict(doc, rc, 0, "valid");
	cr_expect_eq(count_findings(doc, "dnssec-sig-expiring", NULL), 0);
	json_decref(doc);
	/* A zone signed for 30 days: nothing within the 7-day default. */
	doc = SMTP(&rc, "dane-ok.test");
	cr_expect_eq(count_findings(doc, "dnssec-sig-expiring", NULL), 0);
	json_decref(doc);
}

/* --at beyond the signatures' expiration says so. */
Test(dane_smtp, dnssec_signatures_at_future_date)
{
	int rc;
	json_t *doc = SMTP(&rc, "dane-ok.test", "--at +40d");

	cr_expect_eq(count_findings(doc, "dnssec-sig-expired-at",
				    "_25._tcp.mail.dane-ok.test. TLSA"),
		     1);
	cr_expect_geq(count_findings(doc, "dnssec-sig-expired-at", NULL), 4);
	json_decref(doc);
	doc = SMTP(&rc, "dane-ok.test", "--at +10d");
	cr_expect_eq(count_findings(doc, "dnssec-sig-expired-at", NULL), 0);
	json_decref(doc);
}

Test(dane_smtp, no_such_domain)
{
	int rc;
	json_t *doc = SMTP(&rc, "nonexistent.secure.test");

	/* nothing to deliver to: a failure, not "DANE does not apply" */
	assert_verdict(doc, rc, 1, "failed");
	cr_assert(json_is_true(
		json_object_get(json_object_get(doc, "mx"), "nxdomain")));
	json_decref(doc);
}

Test(dane_smtp, at_future_date)
{
	int rc;
	json_t *doc;

	/* DANE-EE ignores dates: still valid, with a warning. */
	doc = SMTP(&rc, "dane-ok.test", "--at +1000d");
	assert_verdict(doc, rc, 0, "valid");
	cr_assert_not_null(dt_finding(doc, "cert-expired", "warning"));
	json_decref(doc);
	/* DANE-TA checks dates: the leaf has expired by then. */
	doc = SMTP(&rc, "dane-ta.test", "--at +1000d");
	assert_verdict(doc, rc, 1, "failed");
	cr_assert_str_eq(dt_str(dt_addr(doc, 0, 0), "verdict"), "mismatch");
	cr_assert(strstr(dt_str(dt_addr(doc, 0, 0), "why"), "expired"));
	json_decref(doc);
}

Test(dane_smtp, warn_days)
{
	int rc;
	json_t *doc = SMTP(&rc, "dane-ok.test", "--warn-days 2000");

	assert_verdict(doc, rc, 0, "valid");
	cr_assert_not_null(dt_finding(doc, "cert-expiring", "warning"));
	json_decref(doc);
	doc = SMTP(&rc, "dane-ok.test", "--warn-days 0");
	cr_assert_null(dt_finding(doc, "cert-expiring", NULL));
	json_decref(doc);
}

Test(dane_smtp, text_report)
{
	char *out = NULL;
	int rc = dt_check_text(&out, "smtp --connect-port %u mismatch.test",
			       dt_lab()->smtp_port);

	cr_assert_eq(rc, 1);
	cr_assert(strstr(out, "host mail.mismatch.test. (MX 10)"), "%s", out);
	cr_assert(strstr(out, "mismatch"));
	cr_assert(strstr(out, "evidence: "));
	cr_assert(strstr(out, "fix: "));
	cr_assert(strstr(out, "[RFC 7671 section 8]"));
	cr_assert(strstr(out, "verdict: DANE check FAILED"));
	free(out);
	rc = dt_check_text(&out, "-q smtp --connect-port %u dane-ok.test",
			   dt_lab()->smtp_port);
	cr_assert_eq(rc, 0);
	cr_assert(strncmp(out, "verdict: DANE valid", 19) == 0, "%s", out);
	free(out);
}

Test(dane_tls, ok)
{
	int rc;
	json_t *doc = TLS(&rc, "www.tls-ok.test");

	assert_verdict(doc, rc, 0, "valid");
	cr_assert_str_eq(dt_str(doc, "command"), "check tls");
	cr_assert_eq(json_integer_value(json_object_get(doc, "port")), 443);
	cr_assert_str_eq(
		dt_str(json_object_get(dt_host(doc, 0), "tlsa"), "owner"),
		"_443._tcp.www.tls-ok.test.");
	assert_match(dt_addr(doc, 0, 0), 3, 0);
	json_decref(doc);
}

Test(dane_tls, mismatch)
{
	int rc;
	json_t *doc = TLS(&rc, "www.tls-mismatch.test");

	assert_verdict(doc, rc, 1, "failed");
	cr_assert_str_eq(dt_str(dt_addr(doc, 0, 0), "verdict"), "mismatch");
	cr_assert_not_null(dt_finding(doc, "dane-mismatch", "error"));
	json_decref(doc);
}

Test(dane_tls, starttls_smtp)
{
	int rc;
	json_t *doc =
		dt_check_json(&rc, "tls --starttls smtp mail.dane-ta.test:%u",
			      dt_lab()->smtp_port);

	/* Port given: the TLSA owner is _PORT._tcp (port 25 in the lab). */
	if (dt_lab()->smtp_port == 25) {
		assert_verdict(doc, rc, 0, "valid");
		assert_match(dt_addr(doc, 0, 0), 2, 1);
	}
	json_decref(doc);
	doc = dt_check_json(&rc,
			    "tls --starttls smtp --connect-port %u "
			    "mail.dane-ok.test:25",
			    dt_lab()->smtp_port);
	assert_verdict(doc, rc, 0, "valid");
	cr_assert_str_eq(dt_str(doc, "starttls"), "smtp");
	json_decref(doc);
}

Test(dane_tls, no_tlsa_is_not_applicable)
{
	int rc;
	/* No _8443._tcp TLSA: DANE does not apply; the server is not asked. */
	json_t *doc =
		dt_check_json(&rc, "tls --connect-port %u www.tls-ok.test:8443",
			      dt_lab()->tls_port);

	assert_verdict(doc, rc, 2, "not-applicable");
	cr_assert_not_null(dt_finding(doc, "no-tlsa", NULL));
	json_decref(doc);
}

/* A free TCP port on @addr (bound then closed). */
static unsigned free_port(const char *addr)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	unsigned port;

	cr_assert_geq(fd, 0);
	inet_pton(AF_INET, addr, &sa.sin_addr);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

Test(dane_tls, unreachable_is_tempfail)
{
	int rc;
	unsigned p = free_port("127.53.2.25");
	json_t *doc =
		dt_check_json(&rc, "tls --connect-port %u www.tls-ok.test", p);

	assert_verdict(doc, rc, 75, "incomplete");
	cr_assert_str_eq(dt_str(dt_addr(doc, 0, 0), "verdict"), "unreachable");
	json_decref(doc);
}

Test(dane_tls, silent_server_times_out, .timeout = 30)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0), rc;
	time_t t0;
	json_t *doc;

	/* Listens, never accepts: TCP connects, TLS never answers. */
	cr_assert_geq(fd, 0);
	inet_pton(AF_INET, "127.53.2.25", &sa.sin_addr);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(listen(fd, 8), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	t0 = time(NULL);
	doc = dt_check_json(&rc,
			    "--timeout 1 tls --connect-port %u "
			    "www.tls-ok.test",
			    ntohs(sa.sin_port));
	cr_assert_leq(time(NULL) - t0, 8, "the time-out was not kept");
	assert_verdict(doc, rc, 75, "incomplete");
	cr_assert_str_eq(dt_str(dt_addr(doc, 0, 0), "verdict"), "timeout");
	json_decref(doc);
	close(fd);
}

Test(dane_cli, usage_errors)
{
	static const char *const bad[] = {
		"",
		"frobnicate example.test",
		"smtp",
		"smtp a.test b.test",
		"tls",
		"tls host.test:0",
		"tls host.test:65536",
		"tls host.test:x",
		"tls --starttls gopher host.test",
		"smtp --starttls smtp secure.test",
		"smtp --ca-file /dev/null secure.test",
		"smtp --at yesterday secure.test",
		"smtp --warn-days -1 secure.test",
		"smtp --connect-port 0 secure.test",
		"smtp --no-such-option secure.test",
		"smtp --ehlo 'a b' secure.test",
		"smtp -4 -6 secure.test",
		"smtp bad..name",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *out = NULL;
		int rc = dt_check_text(&out, "%s", bad[i]);

		cr_expect_eq(rc, 64, "'check %s' exited %d, not 64", bad[i],
			     rc);
		cr_expect_str_empty(out, "'check %s' wrote to stdout", bad[i]);
		free(out);
	}
}

Test(dane_cli, help)
{
	char *out = NULL;
	int rc = dt_check_text(&out, "--help");

	cr_assert_eq(rc, 0);
	cr_assert(strstr(out, "check smtp"));
	cr_assert(strstr(out, "--connect-port"));
	free(out);
}

Test(dane_cli, tlsa_from_live_server)
{
	const struct dt_lab *l = dt_lab();
	char *out = NULL, *pub = NULL, *p;
	int rc;

	/* The record made from the server's chain is the one published. */
	rc = dt_run(&out,
		    "'%s' --unbound-conf '%s' tlsa --from mail.dane-ok.test:%u "
		    "--starttls smtp --format rdata",
		    getenv("DANEKIT"), l->conf, l->smtp_port);
	cr_assert_eq(rc, 0);
	cr_assert(strncmp(out, "3 1 1 ", 6) == 0, "%s", out);
	rc = dt_run(&pub,
		    "'%s' --unbound-conf '%s' lookup "
		    "_25._tcp.mail.dane-ok.test TLSA",
		    getenv("DANEKIT"), l->conf);
	cr_assert_eq(rc, 0);
	p = strchr(out, '\n');
	cr_assert_not_null(p);
	*p = '\0';
	cr_assert(strstr(pub, out), "%s not in %s", out, pub);
	free(out);
	free(pub);
	/* Nothing listens there: exit 75, nothing on stdout. */
	rc = dt_run(&out,
		    "'%s' --unbound-conf '%s' tlsa --from www.tls-ok.test:1 "
		    "2>/dev/null",
		    getenv("DANEKIT"), l->conf);
	cr_assert_eq(rc, 75);
	cr_assert_str_empty(out);
	free(out);
	rc = dt_run(&out, "'%s' tlsa --starttls smtp x.pem 2>/dev/null",
		    getenv("DANEKIT"));
	cr_assert_eq(rc, 64);
	free(out);
	rc = dt_run(&out, "'%s' tlsa --from host.test:0 2>/dev/null",
		    getenv("DANEKIT"));
	cr_assert_eq(rc, 64);
	free(out);
}

Test(dane_cli, resolver_timeout_is_tempfail, .timeout = 30)
{
	const struct dt_lab *l = dt_lab();
	char conf[] = "/tmp/dk-dane-test-XXXXXX";
	char *out = NULL;
	json_error_t err;
	json_t *doc;
	int fd = mkstemp(conf), rc;

	/*
	 * The lab's unbound.conf, forwarding secure.test. to a port nobody
	 * answers. test. itself stays reachable: the resolver's self-test
	 * (the DNSKEY RRset of the anchor's zone) must pass for the check to
	 * start at all.
	 */
	cr_assert_geq(fd, 0);
	close(fd);
	rc = dt_run(NULL,
		    "{ cat '%s'; printf 'forward-zone:\\n  name: "
		    "secure.test.\\n  forward-addr: 127.0.0.1@9\\n'; } "
		    "> '%s'",
		    l->conf, conf);
	cr_assert_eq(rc, 0);
	rc = dt_run(&out,
		    "'%s' --unbound-conf '%s' --timeout 1 --json check "
		    "smtp secure.test 2>/dev/null",
		    getenv("DANEKIT"), conf);
	unlink(conf);
	cr_assert_eq(rc, 75);
	doc = json_loads(out, 0, &err);
	cr_assert_not_null(doc, "%s", out);
	cr_assert_str_eq(dt_verdict(doc), "incomplete");
	cr_assert_not_null(dt_finding(doc, "mx-lookup-failed", "error"));
	json_decref(doc);
	free(out);
}

Test(dane_tls, pkix_usages_need_a_trusted_ca)
{
	const struct dt_lab *l = dt_lab();
	json_t *doc, *m;
	int rc;

	/* Usages 0 and 1 count for TLS (not SMTP), with PKIX validation. */
	doc = dt_check_json(&rc,
			    "tls --starttls smtp --connect-port %u "
			    "--ca-file '%s/ca.pem' mail.pkix-only.test:25",
			    l->smtp_port, l->pki);
	assert_verdict(doc, rc, 0, "valid");
	m = json_object_get(dt_addr(doc, 0, 0), "match");
	cr_assert(json_integer_value(json_object_get(m, "usage")) <= 1);
	json_decref(doc);
	/* The system store has no lab CA: PKIX fails. */
	doc = dt_check_json(&rc,
			    "tls --starttls smtp --connect-port %u "
			    "mail.pkix-only.test:25",
			    l->smtp_port);
	assert_verdict(doc, rc, 1, "failed");
	cr_assert_str_eq(dt_str(dt_addr(doc, 0, 0), "verdict"), "mismatch");
	cr_assert(strstr(dt_str(dt_finding(doc, "dane-mismatch", NULL), "hint"),
			 "trusted CA"));
	json_decref(doc);
}

/*
 * -6 asks for AAAA records only: a host with an A record (unbound-host
 * sees it) and no AAAA record has "no AAAA record (-6)", not "no A or
 * AAAA records".
 */
Test(dane_cli, only_ipv6_names_the_missing_type)
{
	const struct dt_lab *l = dt_lab();
	char *out = NULL;
	json_t *doc, *f;
	int rc;

	rc = dt_run(&out, "unbound-host -C '%s' -t A mail.dane-ok.test",
		    l->conf);
	cr_assert_eq(rc, 0);
	cr_assert(strstr(out, "has address"), "%s", out);
	free(out);
	rc = dt_run(&out, "unbound-host -C '%s' -t AAAA mail.dane-ok.test",
		    l->conf);
	cr_assert_null(strstr(out, "IPv6 address"), "%s", out);
	free(out);
	doc = SMTP(&rc, "dane-ok.test", "-6");
	f = dt_finding(doc, "no-address", "error");
	cr_assert_not_null(f);
	cr_assert(strstr(dt_str(f, "message"), "has no AAAA record (-6)"), "%s",
		  dt_str(f, "message"));
	json_decref(doc);
	doc = SMTP(&rc, "dane-ok.test", "");
	cr_assert_null(dt_finding(doc, "no-address", NULL));
	json_decref(doc);
}

/* -q: the verdict line alone; -v: more than the default (the banner). */
Test(dane_cli, quiet_and_verbose)
{
	char *q = NULL, *n = NULL, *v = NULL;
	int rc;

	rc = dt_check_text(&q, "-q smtp --connect-port %u dane-ok.test",
			   dt_lab()->smtp_port);
	cr_assert_eq(rc, 0);
	cr_assert(strncmp(q, "verdict: DANE valid", 19) == 0, "%s", q);
	cr_assert_eq(strchr(q, '\n'), q + strlen(q) - 1, "not one line: %s", q);
	rc = dt_check_text(&n, "smtp --connect-port %u dane-ok.test",
			   dt_lab()->smtp_port);
	cr_assert_eq(rc, 0);
	rc = dt_check_text(&v, "-v smtp --connect-port %u dane-ok.test",
			   dt_lab()->smtp_port);
	cr_assert_eq(rc, 0);
	cr_assert_null(strstr(n, "banner: "), "%s", n);
	cr_assert(strstr(v, "      banner: 220 "), "%s", v);
	cr_assert_gt(strlen(v), strlen(n));
	free(q);
	free(n);
	free(v);
}
