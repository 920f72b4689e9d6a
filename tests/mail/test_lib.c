/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dk_mail_audit() through the library against the lab: the report's
 * getters, the argument checks, and the rounds of concurrent lookups.
 */
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include <danekit/mail.h>

#include "dkt.h"

static struct dk_resolver *resolver(void)
{
	struct dk_resolver_opts o = { 0 };
	struct dk_resolver *r = NULL;
	struct dk_diag d = { "" };
	char conf[1024];

	snprintf(conf, sizeof(conf), "%s", dkt_lab("DK_LAB_MAIL_CONF"));
	o.unbound_conf = conf;
	cr_assert_eq(dk_resolver_new(&o, &r, &d), 0, "%s", d.why);
	return r;
}

Test(lib, report_getters)
{
	static const char *const sels[] = { "sel1", "ed" };
	static const char *const ips[] = { "127.53.5.1", "fd53:5::1" };
	struct dk_resolver *res = resolver();
	struct dk_mail_opts o = { 0 };
	struct dk_mail_report *r = NULL;
	struct dk_diag d = { "" };
	const struct dk_mail_value *recs;

	o.dkim_selectors = sels;
	o.ndkim_selectors = 2;
	o.sending_ips = ips;
	o.nsending_ips = 2;
	o.at = 1788220800; /* 2026-09-01T00:00:00Z */
	o.no_connect = 1;
	cr_assert_eq(dk_mail_audit(res, "MAIL-OK.test.", &o, &r, &d), 0, "%s",
		     d.why);
	cr_assert_str_eq(dk_mail_report_domain(r), "mail-ok.test.");
	cr_assert_eq(dk_mail_report_at(r), 1788220800);
	cr_assert_eq(dk_mail_report_complete(r), 1);
	cr_assert_null(dk_mail_report_why(r));
	cr_assert_eq(dk_mail_report_worst(r), DK_MAIL_INFO);
	cr_assert(dk_mail_report_area_checked(r, DK_MAIL_AREA_MX));
	/* --no-connect: the DNS side of DANE is still checked */
	cr_assert(dk_mail_report_area_checked(r, DK_MAIL_AREA_DANE));
	cr_assert_eq(dk_mail_report_area_first(r, DK_MAIL_AREA_SPF), -1);
	cr_assert_gt(dk_mail_report_finding_count(r), 0);
	for (size_t i = 0; i < dk_mail_report_finding_count(r); i++) {
		const struct dk_mail_finding *f = dk_mail_report_finding(r, i);

		cr_assert(f->code && f->subject && f->message && f->nrefs > 0);
		cr_assert_eq(dk_mail_value_type(f->evidence),
			     DK_MAIL_VALUE_OBJECT);
		/* outbound areas first */
		if (i > 0) {
			cr_assert_geq(f->area,
				      dk_mail_report_finding(r, i - 1)->area);
		}
	}
	cr_assert_null(
		dk_mail_report_finding(r, dk_mail_report_finding_count(r)));
	recs = dk_mail_report_records(r);
	cr_assert_str_eq(
		dk_mail_value_string(dk_mail_value_get(
			dk_mail_value_get(recs, "dmarc"), "effective_policy")),
		"reject");
	cr_assert_geq(dk_mail_report_rounds(r), 1);
	cr_assert_geq(dk_mail_report_queries(r), dk_mail_report_rounds(r));
	dk_mail_report_free(r);
	dk_resolver_free(res);
}

Test(lib, bad_arguments)
{
	static const char *const bad_sel[] = { "a..b" };
	static const char *const bad_ip[] = { "192.0.2.256" };
	static const char *const bad_helo[] = { "-.." };
	struct dk_resolver *res = resolver();
	struct dk_mail_opts o = { 0 };
	struct dk_mail_report *r = NULL;
	struct dk_diag d = { "" };

	cr_assert_eq(dk_mail_audit(res, "bad..name", NULL, &r, &d), DK_EINVAL);
	cr_assert_null(r);
	cr_assert_neq(d.why[0], '\0');
	cr_assert_eq(dk_mail_audit(res, NULL, NULL, &r, &d), DK_EINVAL);
	cr_assert_eq(dk_mail_audit(res, "mail-ok.test", NULL, NULL, &d),
		     DK_EINVAL);
	o.dkim_selectors = bad_sel;
	o.ndkim_selectors = 1;
	d.why[0] = '\0';
	cr_assert_eq(dk_mail_audit(res, "mail-ok.test", &o, &r, &d), DK_EINVAL);
	cr_assert(strstr(d.why, "a..b"), "%s", d.why);
	memset(&o, 0, sizeof(o));
	o.sending_ips = bad_ip;
	o.nsending_ips = 1;
	cr_assert_eq(dk_mail_audit(res, "mail-ok.test", &o, &r, &d), DK_EINVAL);
	cr_assert(strstr(d.why, "192.0.2.256"), "%s", d.why);
	memset(&o, 0, sizeof(o));
	o.helo_names = bad_helo;
	o.nhelo_names = 1;
	cr_assert_eq(dk_mail_audit(res, "mail-ok.test", &o, &r, &d), DK_EINVAL);
	memset(&o, 0, sizeof(o));
	o.connect_port = 70000;
	cr_assert_eq(dk_mail_audit(res, "mail-ok.test", &o, &r, &d), DK_EINVAL);
	cr_assert_null(r);
	dk_resolver_free(res);
}

/* The resolver can be reused: a second audit on the same context (its
 * cache warm) gives the same findings. */
Test(lib, same_resolver_twice)
{
	struct dk_resolver *res = resolver();
	struct dk_mail_report *a = NULL, *b = NULL;
	struct dk_mail_opts o = { 0 };

	o.no_connect = 1;
	cr_assert_eq(dk_mail_audit(res, "limit.spf.test", &o, &a, NULL), 0);
	cr_assert_eq(dk_mail_audit(res, "limit.spf.test", &o, &b, NULL), 0);
	cr_assert_eq(dk_mail_report_finding_count(a),
		     dk_mail_report_finding_count(b));
	for (size_t i = 0; i < dk_mail_report_finding_count(a); i++) {
		cr_assert_str_eq(dk_mail_report_finding(a, i)->code,
				 dk_mail_report_finding(b, i)->code);
	}
	cr_assert_eq(dk_mail_report_rounds(a), 3);
	cr_assert_eq(dk_resolver_pending(res), 0);
	dk_mail_report_free(a);
	dk_mail_report_free(b);
	dk_resolver_free(res);
}
