/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The dane module's public API: every function with NULL and invalid
 * arguments, the names of the enums, and checks through the library
 * against the lab (the report as data).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <criterion/criterion.h>

#include <danekit/dane.h>

#include "helpers.h"

static struct dk_resolver *lab_resolver(void)
{
	struct dk_resolver_opts o = { 0 };
	struct dk_resolver *res = NULL;
	struct dk_diag diag = { "" };

	o.unbound_conf = dt_lab()->conf;
	o.timeout = 10;
	cr_assert_eq(dk_resolver_new(&o, &res, &diag), 0, "%s", diag.why);
	return res;
}

Test(dane_api, null_arguments)
{
	struct dk_resolver *res = lab_resolver();
	struct dk_dane_report *rep = (struct dk_dane_report *)&rep;
	struct dk_dane_opts o = { 0 };

	cr_assert_eq(dk_dane_check_smtp(NULL, "secure.test", NULL, &rep, NULL),
		     DK_EINVAL);
	cr_assert_eq(dk_dane_check_smtp(res, NULL, NULL, &rep, NULL),
		     DK_EINVAL);
	cr_assert_eq(dk_dane_check_smtp(res, "secure.test", NULL, NULL, NULL),
		     DK_EINVAL);
	cr_assert_eq(dk_dane_check_tls(NULL, "www.secure.test", 443, NULL, &rep,
				       NULL),
		     DK_EINVAL);
	cr_assert_eq(dk_dane_check_tls(res, NULL, 443, NULL, &rep, NULL),
		     DK_EINVAL);
	cr_assert_eq(dk_dane_check_tls(res, "www.secure.test", 443, NULL, NULL,
				       NULL),
		     DK_EINVAL);
	/* Outputs are untouched on failure. */
	cr_assert_eq(rep, (struct dk_dane_report *)&rep);
	dk_dane_report_free(NULL);
	(void)o;
	dk_resolver_free(res);
}

Test(dane_api, invalid_arguments)
{
	struct dk_resolver *res = lab_resolver();
	struct dk_dane_report *rep = NULL;
	struct dk_dane_opts o = { 0 };
	struct dk_diag diag = { "" };

	cr_assert_eq(
		dk_dane_check_tls(res, "www.secure.test", 0, NULL, &rep, NULL),
		DK_EINVAL);
	cr_assert_eq(dk_dane_check_tls(res, "www.secure.test", 65536, NULL,
				       &rep, NULL),
		     DK_EINVAL);
	o.starttls = (enum dk_starttls)99;
	cr_assert_eq(
		dk_dane_check_tls(res, "www.secure.test", 443, &o, &rep, NULL),
		DK_EINVAL);
	o.starttls = DK_STARTTLS_NONE;
	o.no_ipv4 = o.no_ipv6 = 1;
	cr_assert_eq(dk_dane_check_smtp(res, "secure.test", &o, &rep, &diag),
		     DK_EINVAL);
	cr_assert(diag.why[0]);
	diag.why[0] = '\0';
	cr_assert_eq(dk_dane_check_smtp(res, "bad..name", NULL, &rep, &diag),
		     DK_EINVAL);
	cr_assert(diag.why[0], "the reason is given");
	cr_assert_eq(dk_dane_check_smtp(res, "", NULL, &rep, NULL), DK_EINVAL);
	cr_assert_null(rep);
	dk_resolver_free(res);
}

Test(dane_api, names)
{
	cr_assert_str_eq(dk_dane_verdict_name(DK_DANE_VALID), "valid");
	cr_assert_str_eq(dk_dane_verdict_name(DK_DANE_NOT_APPLICABLE),
			 "not-applicable");
	cr_assert_str_eq(dk_dane_verdict_name(DK_DANE_FAILED), "failed");
	cr_assert_str_eq(dk_dane_verdict_name(DK_DANE_INCOMPLETE),
			 "incomplete");
	cr_assert_not_null(dk_dane_verdict_name((enum dk_dane_verdict)42));
	cr_assert_str_eq(dk_dane_severity_name(DK_DANE_ERROR), "error");
	cr_assert_not_null(dk_dane_severity_name((enum dk_dane_severity) - 1));
	cr_assert_str_eq(dk_dane_addr_status_name(DK_ADDR_NO_STARTTLS),
			 "no-starttls");
	cr_assert_str_eq(dk_dane_addr_status_name(DK_ADDR_SKIPPED), "skipped");
	cr_assert_not_null(
		dk_dane_addr_status_name((enum dk_dane_addr_status)99));
	cr_assert_eq(dk_starttls_parse(NULL), DK_EINVAL);
	cr_assert_eq(dk_starttls_parse(""), DK_EINVAL);
	cr_assert_eq(dk_starttls_parse("gopher"), DK_EINVAL);
	cr_assert_eq(dk_starttls_parse("SMTP"), DK_STARTTLS_SMTP);
	cr_assert_eq(dk_starttls_parse("imap"), DK_STARTTLS_IMAP);
	cr_assert_eq(dk_starttls_parse("pop3"), DK_STARTTLS_POP3);
	cr_assert_eq(dk_starttls_parse("xmpp"), DK_STARTTLS_XMPP);
	cr_assert_eq(dk_starttls_parse("ftp"), DK_STARTTLS_FTP);
	cr_assert_eq(dk_starttls_parse("none"), DK_STARTTLS_NONE);
	cr_assert_str_eq(dk_starttls_name(DK_STARTTLS_POP3), "pop3");
	cr_assert_null(dk_starttls_name((enum dk_starttls)77));
	cr_assert_eq(dk_starttls_default_port(DK_STARTTLS_NONE), 443);
	cr_assert_eq(dk_starttls_default_port(DK_STARTTLS_SMTP), 25);
	cr_assert_eq(dk_starttls_default_port(DK_STARTTLS_XMPP), 5222);
	cr_assert_eq(dk_starttls_default_port((enum dk_starttls)77), 0);
}

Test(dane_api, smtp_report_as_data)
{
	struct dk_resolver *res = lab_resolver();
	struct dk_dane_report *rep = NULL;
	struct dk_dane_opts o = { 0 };
	const struct dk_dane_host *h;
	const struct dk_dane_addr *a;

	o.connect_port = dt_lab()->smtp_port;
	o.no_ipv6 = 1;
	cr_assert_eq(dk_dane_check_smtp(res, "dane-ta.test", &o, &rep, NULL),
		     0);
	cr_assert_eq(rep->service, DK_DANE_SERVICE_SMTP);
	cr_assert_str_eq(rep->domain, "dane-ta.test.");
	cr_assert_eq(rep->port, 25);
	cr_assert_eq(rep->mx_status, DK_DNSSEC_SECURE);
	cr_assert_eq(rep->verdict, DK_DANE_VALID, "%s", rep->why);
	cr_assert_eq(rep->nhosts, 1);
	h = &rep->hosts[0];
	cr_assert_str_eq(h->name, "mail.dane-ta.test.");
	cr_assert_eq(h->preference, 10);
	cr_assert_eq(h->tlsa_status, DK_DNSSEC_SECURE);
	cr_assert_eq(h->dane, 1);
	cr_assert_eq(h->nrecords, 1);
	cr_assert_eq(h->nusable, 1);
	cr_assert_eq(h->naddrs, 1);
	a = &h->addrs[0];
	cr_assert_eq(a->family, AF_INET);
	cr_assert_eq(a->status, DK_ADDR_VERIFIED);
	cr_assert_eq(a->match_record, 0);
	cr_assert_eq(a->match_depth, 1);
	cr_assert_eq(dk_tlsa_usage(h->records[a->match_record].tlsa), 2);
	cr_assert_eq(h->records[0].matches, 1);
	cr_assert_geq(a->nchain, 2);
	cr_assert(strstr(a->chain[0].subject, "mail.dane-ta.test"));
	cr_assert(strstr(a->chain[1].subject, "intermediate"));
	cr_assert_eq(a->chain[0].nsans, 1);
	cr_assert_str_eq(a->chain[0].sans[0], "mail.dane-ta.test");
	cr_assert_gt(a->chain[0].not_after, rep->at);
	cr_assert_eq(strlen(a->chain[0].spki_sha256), 64);
	cr_assert_not_null(a->tls_version);
	cr_assert_not_null(a->cipher);
	dk_dane_report_free(rep);
	dk_resolver_free(res);
}

Test(dane_api, tls_report_failure_is_not_an_error)
{
	struct dk_resolver *res = lab_resolver();
	struct dk_dane_report *rep = NULL;
	struct dk_dane_opts o = { 0 };
	const struct dk_dane_addr *a;

	o.connect_port = dt_lab()->tls_port;
	cr_assert_eq(dk_dane_check_tls(res, "www.tls-mismatch.test", 443, &o,
				       &rep, NULL),
		     0);
	cr_assert_eq(rep->verdict, DK_DANE_FAILED);
	cr_assert_eq(rep->nhosts, 1);
	a = &rep->hosts[0].addrs[0];
	cr_assert_eq(a->status, DK_ADDR_MISMATCH);
	cr_assert_eq(a->match_record, -1);
	cr_assert_eq(a->match_depth, -1);
	cr_assert_neq(a->verify_code, 0);
	cr_assert_not_null(a->why);
	cr_assert_gt(rep->nfindings, 0);
	for (size_t i = 0; i < rep->nfindings; i++) {
		cr_assert_not_null(rep->findings[i].code);
		cr_assert_not_null(rep->findings[i].message);
		cr_assert(rep->findings[i].host >= -1 &&
			  rep->findings[i].host < (long)rep->nhosts);
	}
	dk_dane_report_free(rep);
	dk_resolver_free(res);
}

Test(dane_api, fetch_chain)
{
	struct dk_resolver *res = lab_resolver();
	struct dk_input *in = (struct dk_input *)&in;
	struct dk_dane_opts o = { 0 };
	struct dk_diag diag = { "" };
	struct dk_tlsa *t = NULL;
	char *s = NULL;

	cr_assert_eq(dk_dane_fetch_chain(NULL, "mail.dane-ta.test", 25, NULL,
					 &in, NULL),
		     DK_EINVAL);
	cr_assert_eq(dk_dane_fetch_chain(res, NULL, 25, NULL, &in, NULL),
		     DK_EINVAL);
	cr_assert_eq(dk_dane_fetch_chain(res, "mail.dane-ta.test", 25, NULL,
					 NULL, NULL),
		     DK_EINVAL);
	cr_assert_eq(dk_dane_fetch_chain(res, "mail.dane-ta.test", 0, NULL, &in,
					 NULL),
		     DK_EINVAL);
	cr_assert_eq(in, (struct dk_input *)&in, "untouched on failure");
	o.starttls = DK_STARTTLS_SMTP;
	o.connect_port = dt_lab()->smtp_port;
	cr_assert_eq(dk_dane_fetch_chain(res, "mail.dane-ta.test", 25, &o, &in,
					 &diag),
		     0, "%s", diag.why);
	cr_assert_eq(dk_input_kind(in), DK_INPUT_CERTS);
	cr_assert_eq(dk_input_cert_count(in), 2, "leaf and intermediate");
	/* 2 1 1 of the fetched chain is the lab's published record. */
	cr_assert_eq(dk_tlsa_make(in, 2, 1, 1, -1, &t, NULL), 0);
	cr_assert_eq(dk_tlsa_format(t, DK_TLSA_FMT_RDATA, NULL, 0, &s), 0);
	cr_assert(strncmp(s, "2 1 1 ", 6) == 0);
	free(s);
	dk_tlsa_free(t);
	dk_input_free(in);
	in = NULL;
	/* Nothing listens: the error says so. */
	o.starttls = DK_STARTTLS_NONE;
	o.connect_port = 1;
	diag.why[0] = '\0';
	cr_assert_eq(dk_dane_fetch_chain(res, "www.tls-ok.test", 443, &o, &in,
					 &diag),
		     DK_ECONNREFUSED);
	cr_assert_null(in);
	cr_assert(diag.why[0]);
	/* No such host. */
	cr_assert_eq(dk_dane_fetch_chain(res, "nonexistent.secure.test", 443,
					 NULL, &in, &diag),
		     DK_ERESOLVER);
	dk_resolver_free(res);
}
