/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * danekit audit, the areas that connect out (AUDIT.md: MTA-STS, TLS-RPT,
 * DANE, SMTP and MX certificates), against the lab: sts.test. (one mail
 * domain per case, testzones/templates/sts.test.extra), its nginx policy
 * hosts (DK_LAB_HTTPS_PORT) and Postfix MX hosts (DK_LAB_SMTP_PORT), and
 * the mail/TLS cases of testzones/README.md. Expected values come from
 * the zones and certificates as designed and from curl (the policies,
 * fetched the same way: SNI, the lab CA, no redirect followed) and
 * openssl (certificate dates and names).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <jansson.h>

#include "dkt.h"

/* "--connect-port P --https-port P --https-ca CA --allow-private ..." */
static const char *lab_opts(void)
{
	static char buf[2048];
	char smtp[16], https[16], pki[1024];

	snprintf(smtp, sizeof(smtp), "%s", dkt_lab("DK_LAB_SMTP_PORT"));
	snprintf(https, sizeof(https), "%s", dkt_lab("DK_LAB_HTTPS_PORT"));
	snprintf(pki, sizeof(pki), "%s", dkt_lab("DK_LAB_PKI"));
	snprintf(buf, sizeof(buf),
		 "--connect-port %s --https-port %s --https-ca '%s/ca.pem' "
		 "--allow-private 127.53.0.0/16 --allow-private ::1",
		 smtp, https, pki);
	return buf;
}

static const char *conf(void)
{
	static char buf[1024];

	snprintf(buf, sizeof(buf), "%s", dkt_lab("DK_LAB_MAIL_CONF"));
	return buf;
}

/* danekit --json audit DOMAIN (lab options) EXTRA: document, exit. */
static json_t *audit(int *rc, const char *domain, const char *extra)
{
	char *out = NULL;
	json_t *doc;
	json_error_t err;
	char opts[2048];

	snprintf(opts, sizeof(opts), "%s", lab_opts());
	*rc = dkt_run(
		&out,
		"%s --unbound-conf '%s' --timeout 10 --json audit %s %s %s",
		dkt_env("DANEKIT"), conf(), domain, opts, extra ? extra : "");
	doc = json_loads(out, 0, &err);
	cr_assert_not_null(doc, "audit %s: no JSON (%s): %s", domain, err.text,
			   out);
	free(out);
	return doc;
}

static const char *str(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static json_t *ev(json_t *f, const char *key)
{
	return json_object_get(json_object_get(f, "evidence"), key);
}

/* The first finding @code (about @subject unless NULL), or NULL. */
static json_t *finding(json_t *doc, const char *code, const char *subject)
{
	size_t i;
	json_t *f;

	json_array_foreach(json_object_get(doc, "findings"), i, f)
	{
		if (!strcmp(str(f, "code"), code) &&
		    (!subject || !strcmp(str(f, "subject"), subject))) {
			return f;
		}
	}
	return NULL;
}

/*
 * Audit @domain: each "code[@subject][=severity]" of @want (space
 * separated) is there, and every finding says how its record validated.
 */
static json_t *expect(const char *domain, const char *extra, const char *want)
{
	char buf[1024];
	int rc;
	json_t *doc = audit(&rc, domain, extra), *f;
	size_t i;
	char *dump = json_dumps(json_object_get(doc, "findings"), JSON_COMPACT);

	json_array_foreach(json_object_get(doc, "findings"), i, f)
	{
		cr_expect(json_is_string(ev(f, "dnssec")),
			  "%s: %s has no dnssec in its evidence", domain,
			  str(f, "code"));
	}
	snprintf(buf, sizeof(buf), "%s", want);
	for (char *c = strtok(buf, " "); c; c = strtok(NULL, " ")) {
		char *sev = strchr(c, '='), *sub = strchr(c, '@');

		if (sev) {
			*sev++ = '\0';
		}
		if (sub) {
			*sub++ = '\0';
		}
		f = finding(doc, c, sub);
		cr_expect_not_null(f, "%s: no %s%s%s in %s", domain, c,
				   sub ? " about " : "", sub ? sub : "", dump);
		if (f && sev) {
			cr_expect_str_eq(str(f, "severity"), sev,
					 "%s: %s is %s, not %s", domain, c,
					 str(f, "severity"), sev);
		}
	}
	free(dump);
	return doc;
}

static void expect_only(const char *domain, const char *extra, const char *want)
{
	json_decref(expect(domain, extra, want));
}

/* A complete, good mail domain audits clean: exit 0, info findings only. */
Test(connect, good_domain_is_clean)
{
	int rc;
	json_t *doc = audit(&rc, "good.sts.test", NULL), *f;
	size_t i;
	char *dump = json_dumps(json_object_get(doc, "findings"), JSON_COMPACT);

	cr_expect_eq(rc, 0, "exit %d: %s", rc, dump);
	json_array_foreach(json_object_get(doc, "findings"), i, f)
	{
		cr_expect_str_eq(str(f, "severity"), "info", "%s: %s",
				 str(f, "code"), str(f, "message"));
	}
	free(dump);
	f = finding(doc, "mta_sts.ok", "good.sts.test");
	cr_assert_not_null(f);
	cr_expect_str_eq(json_string_value(ev(f, "mode")), "enforce");
	f = finding(doc, "tlsrpt.ok", "good.sts.test");
	cr_assert_not_null(f);
	cr_expect_eq(json_array_size(ev(f, "destinations")), 2);
	f = finding(doc, "dane.pass", "mx.sts.test");
	cr_assert_not_null(f);
	cr_expect_str_eq(json_string_value(ev(f, "base_domain")),
			 "mx.sts.test");
	cr_expect_eq(json_integer_value(ev(f, "addresses")), 1);
	cr_expect_not_null(finding(doc, "dane.rollover_ready", "mx.sts.test"));
	/* every area checked, every verdict ok */
	json_array_foreach(json_object_get(doc, "areas"), i, f)
	{
		cr_expect(json_is_true(json_object_get(f, "checked")), "%s",
			  str(f, "area"));
		cr_expect_str_eq(str(f, "verdict"), "ok", "%s", str(f, "area"));
	}
	/* the records read, with their DNSSEC states */
	f = json_object_get(json_object_get(doc, "records"), "mta_sts");
	cr_expect_str_eq(str(f, "dnssec"), "secure");
	cr_expect_str_eq(str(f, "id"), "20261201T000000");
	cr_expect_eq(json_integer_value(json_object_get(
			     json_object_get(f, "fetch"), "http_status")),
		     200);
	f = json_object_get(json_object_get(doc, "records"), "smtp");
	cr_expect_str_eq(str(f, "mx_dnssec"), "secure");
	json_decref(doc);
}

/* curl fetches every policy the same way (SNI, the lab CA, no redirect
 * followed): same status, media type and body as the audit read. */
Test(connect, policies_as_curl_sees_them)
{
	static const char *const cases[] = {
		"good",	      "testing",  "badsyntax", "redirect", "ctype",
		"big",	      "notfound", "nomx",      "lint",	   "short",
		"notcovered", "webexp",	  "webname",
	};
	char https[16], pki[1024];

	snprintf(https, sizeof(https), "%s", dkt_lab("DK_LAB_HTTPS_PORT"));
	snprintf(pki, sizeof(pki), "%s", dkt_lab("DK_LAB_PKI"));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char dom[128], *out = NULL, *body = NULL;
		int rc, crc;
		long code = 0;
		char ctype[128] = "";
		json_t *doc, *m, *fe;

		snprintf(dom, sizeof(dom), "%s.sts.test", cases[i]);
		crc = dkt_run(&out,
			      "curl -s -o /dev/null -w '%%{http_code} "
			      "%%{content_type}' --proto =https --max-redirs 0 "
			      "--cacert '%s/ca.pem' --resolve "
			      "mta-sts.%s:%s:127.53.8.1 "
			      "https://mta-sts.%s:%s/.well-known/mta-sts.txt",
			      pki, dom, https, dom, https);
		sscanf(out, "%ld %127s", &code, ctype);
		free(out);
		doc = audit(&rc, dom, NULL);
		m = json_object_get(json_object_get(doc, "records"), "mta_sts");
		fe = json_object_get(m, "fetch");
		cr_assert_not_null(fe, "%s: no fetch record", dom);
		if (crc != 0) {
			/* curl refused the certificate (exit 60) */
			cr_expect_eq(crc, 60, "%s: curl exit %d", dom, crc);
			cr_expect_not_null(
				finding(doc, "mta_sts.policy_host_cert", dom),
				"%s: curl refused the certificate, the audit "
				"did not",
				dom);
			json_decref(doc);
			continue;
		}
		cr_expect_eq(
			json_integer_value(json_object_get(fe, "http_status")),
			code, "%s: curl %ld, audit %lld", dom, code,
			json_integer_value(json_object_get(fe, "http_status")));
		if (ctype[0]) {
			const char *at = str(fe, "content_type");

			cr_expect(at && !strncmp(at, ctype, strlen(ctype)),
				  "%s: curl %s, audit %s", dom, ctype,
				  at ? at : "(none)");
		}
		if (code == 200 && strcmp(cases[i], "big") != 0) {
			dkt_run(&body,
				"curl -s --proto =https --max-redirs 0 "
				"--cacert '%s/ca.pem' --resolve "
				"mta-sts.%s:%s:127.53.8.1 "
				"https://mta-sts.%s:%s/.well-known/"
				"mta-sts.txt",
				pki, dom, https, dom, https);
			cr_expect_str_eq(str(m, "policy"), body, "%s", dom);
			free(body);
		}
		json_decref(doc);
	}
}

Test(connect, mta_sts_policy_codes)
{
	expect_only("testing.sts.test", NULL, "mta_sts.mode_testing=warning");
	expect_only("badsyntax.sts.test", NULL, "mta_sts.policy_syntax=error");
	expect_only("redirect.sts.test", NULL, "mta_sts.policy_redirect=error");
	expect_only("ctype.sts.test", NULL, "mta_sts.content_type=warning");
	expect_only("big.sts.test", NULL, "mta_sts.policy_too_large=warning");
	expect_only("notfound.sts.test", NULL,
		    "mta_sts.policy_fetch_failed=error");
	expect_only("nomx.sts.test", NULL, "mta_sts.no_mx=error");
	expect_only("lint.sts.test", NULL,
		    "mta_sts.line_endings=warning "
		    "mta_sts.duplicate_field=warning "
		    "mta_sts.mx_pattern_trailing_dot=warning "
		    "mta_sts.mx_wildcard_broad=info "
		    "mta_sts.mx_pattern_invalid=error "
		    "mta_sts.max_age_too_large=error");
	expect_only("short.sts.test", NULL,
		    "mta_sts.max_age_short=warning mta_sts.mode_none=info");
	expect_only("notcovered.sts.test", NULL,
		    "mta_sts.mx_not_covered@mx.sts.test=critical");
	expect_only("webexp.sts.test", NULL, "mta_sts.policy_host_cert=error");
	expect_only("webname.sts.test", NULL, "mta_sts.policy_host_cert=error");
	expect_only("stsmulti.sts.test", "--no-connect",
		    "mta_sts.multiple_records=error");
	expect_only("ststxtbad.sts.test", "--no-connect",
		    "mta_sts.txt_syntax=error");
	expect_only("stsprefix.sts.test", "--no-connect",
		    "mta_sts.txt_prefix_ambiguous=warning");
}

/* The redirect is the finding; its target is never fetched. */
Test(connect, redirect_not_followed)
{
	json_t *doc =
		expect("redirect.sts.test", NULL, "mta_sts.policy_redirect");
	json_t *f = finding(doc, "mta_sts.policy_redirect", NULL);

	cr_expect_eq(json_integer_value(ev(f, "http_status")), 301);
	cr_expect_null(finding(doc, "mta_sts.ok", NULL));
	cr_expect_null(json_object_get(
		json_object_get(json_object_get(doc, "records"), "mta_sts"),
		"policy"));
	json_decref(doc);
}

/* Under enforce, each MX certificate is validated as a sending MTA
 * would (name = MX host, the --https-ca store, --at). */
Test(connect, mta_sts_mx_certificates)
{
	json_t *doc, *f;

	doc = expect("certexp.sts.test", NULL,
		     "mta_sts.mx_cert_invalid@mx-expired.sts.test=critical");
	f = finding(doc, "mta_sts.mx_cert_invalid", NULL);
	cr_expect_str_eq(json_string_value(json_array_get(ev(f, "reason"), 0)),
			 "expired");
	/* the same problem is not said twice as cert.* */
	cr_expect_null(finding(doc, "cert.expired", NULL));
	json_decref(doc);
	doc = expect("certname.sts.test", NULL,
		     "mta_sts.mx_cert_invalid@mx-wrongname.sts.test=critical");
	f = finding(doc, "mta_sts.mx_cert_invalid", NULL);
	cr_expect_str_eq(json_string_value(json_array_get(ev(f, "reason"), 0)),
			 "name_mismatch");
	json_decref(doc);
	doc = expect("certuntr.sts.test", NULL,
		     "mta_sts.mx_cert_invalid@mx-untrusted.sts.test=critical");
	f = finding(doc, "mta_sts.mx_cert_invalid", NULL);
	cr_expect_str_eq(json_string_value(json_array_get(ev(f, "reason"), 0)),
			 "untrusted");
	json_decref(doc);
	/* --at: a year from now the good MX certificate is still valid,
	 * 900 days from now it has expired (825 days of validity) */
	doc = expect("good.sts.test", "--at 2029-06-01T00:00:00Z",
		     "mta_sts.mx_cert_invalid@mx.sts.test=critical");
	json_decref(doc);
}

/* A DANE failure that a passing MTA-STS policy cannot rescue. */
Test(connect, dane_sts_cannot_override)
{
	expect_only("danebad.sts.test", NULL,
		    "dane.mismatch@mx-danebad.sts.test=critical "
		    "dane.sts_cannot_override@mx-danebad.sts.test=info "
		    "mta_sts.ok=info");
}

Test(connect, tlsrpt_codes)
{
	expect_only("rptmulti.sts.test", "--no-connect",
		    "tlsrpt.multiple_records=error");
	expect_only("rptnorua.sts.test", "--no-connect",
		    "tlsrpt.rua_missing=error");
	expect_only("rptscheme.sts.test", "--no-connect",
		    "tlsrpt.rua_scheme=error");
	expect_only("rptlegacy.sts.test", "--no-connect",
		    "tlsrpt.legacy_name=warning");
	expect_only("rptsyntax.sts.test", "--no-connect",
		    "tlsrpt.syntax=error");
	/* MTA-STS or DANE deployed, no TLS-RPT: a warning; neither: info */
	expect_only("testing.sts.test", "--no-connect",
		    "tlsrpt.missing_with_policy=warning");
	expect_only("insecure.test", "--no-connect", "tlsrpt.missing=info");
}

/* Certificate findings without MTA-STS or DANE-TA: scope pkix_only. */
Test(connect, certificate_scope)
{
	json_t *doc, *f;

	doc = expect("pexp.sts.test", NULL,
		     "cert.expired@mx-expired.sts.test=error");
	f = finding(doc, "cert.expired", NULL);
	cr_expect_str_eq(json_string_value(ev(f, "scope")), "pkix_only");
	json_decref(doc);
	doc = expect("pname.sts.test", NULL,
		     "cert.name_mismatch@mx-wrongname.sts.test=info");
	f = finding(doc, "cert.name_mismatch", NULL);
	cr_expect_str_eq(json_string_value(ev(f, "scope")), "pkix_only");
	json_decref(doc);
	doc = expect("puntr.sts.test", NULL,
		     "cert.untrusted@mx-untrusted.sts.test=info");
	f = finding(doc, "cert.untrusted", NULL);
	cr_expect_str_eq(json_string_value(ev(f, "scope")), "pkix_only");
	json_decref(doc);
	/* 3 days left of 88 (lab time): under min(7, 88/6) -> error */
	doc = expect("pexpiring.sts.test", NULL,
		     "cert.expiring@mx-expiring.sts.test=error");
	f = finding(doc, "cert.expiring", NULL);
	cr_expect_eq(json_integer_value(ev(f, "lifetime_days")), 88);
	cr_expect(json_integer_value(ev(f, "days_left")) <= 3);
	json_decref(doc);
	/* DANE-EE authenticates the host: expired is only a warning */
	expect_only("expired-cert.test", NULL,
		    "cert.expired@mail.expired-cert.test=warning "
		    "dane.pass@mail.expired-cert.test");
}

Test(connect, dane_codes)
{
	expect_only("dane-ok.test", NULL,
		    "dane.pass@mail.dane-ok.test=info "
		    "dane.no_rollover_record@mail.dane-ok.test=info");
	expect_only("dual-key.test", NULL,
		    "dane.rollover_ready@mail.dual-key.test=info");
	expect_only("mismatch.test", NULL,
		    "dane.mismatch@mail.mismatch.test=critical");
	expect_only("tampered.test", NULL,
		    "dane.tlsa_lookup_failed@mail.tampered.test=critical");
	expect_only("insecure.test", NULL,
		    "dane.not_applicable@mail.insecure.test=info");
	expect_only("pkix-only.test", NULL,
		    "dane.pkix_usage@mail.pkix-only.test=warning "
		    "dane.unusable_only@mail.pkix-only.test=warning");
	expect_only("nostarttls.test", NULL,
		    "smtp.no_starttls@mail.nostarttls.test=critical");
	expect_only("partial.sts.test", NULL,
		    "dane.partial_coverage=warning "
		    "dane.not_applicable@mx2.sts.test");
	expect_only("sha512.sts.test", NULL,
		    "dane.digest_agility@mx-sha512.sts.test=warning");
	expect_only("malformed.sts.test", NULL,
		    "dane.tlsa_malformed@mx-malformed.sts.test=error");
	expect_only("tani.sts.test", NULL,
		    "dane.ta_not_issuer@mx-tani.sts.test=warning");
	expect_only("taexp.sts.test", NULL,
		    "dane.cert_expired@mx-taexp.sts.test=critical");
	expect_only("taname.sts.test", NULL,
		    "dane.name_check_failed@mx-taname.sts.test=critical");
	expect_only("tanexthop.sts.test", NULL,
		    "dane.ta_nexthop_only@mx-tanh.sts.test=warning");
}

/* TLSA records in an unsigned zone, the host's address secure:
 * unbound-host says "(insecure)"; the audit ignores them. */
Test(connect, tlsa_insecure_ignored)
{
	char *out = NULL;
	json_t *doc;

	dkt_run(&out,
		"unbound-host -C '%s' -v -t TLSA _25._tcp.mx-insec.sts.test",
		dkt_lab("DK_LAB_CONF"));
	cr_expect(strstr(out, "(insecure)"), "%s", out);
	free(out);
	doc = expect("tlsainsec.sts.test", NULL,
		     "dane.tlsa_insecure_ignored@mx-insec.sts.test=info "
		     "tlsrpt.missing=info");
	cr_expect_null(finding(doc, "dane.pass", NULL));
	cr_expect_null(finding(doc, "dane.mismatch", NULL));
	json_decref(doc);
}

/* --no-connect: DNS only, never a claimed failure. */
Test(connect, no_connect)
{
	int rc;
	json_t *doc = expect("mismatch.test", "--no-connect",
			     "smtp.not_tested@mail.mismatch.test=info "
			     "dane.dns_ok@mail.mismatch.test=info");

	cr_expect_null(finding(doc, "dane.mismatch", NULL));
	cr_expect_null(finding(doc, "dane.pass", NULL));
	json_decref(doc);
	doc = expect("good.sts.test", "--no-connect",
		     "mta_sts.not_fetched=info");
	cr_expect_null(json_object_get(
		json_object_get(json_object_get(doc, "records"), "mta_sts"),
		"fetch"));
	json_decref(doc);
	doc = audit(&rc, "nostarttls.test", "--no-connect");
	cr_expect_null(finding(doc, "smtp.no_starttls", NULL));
	json_decref(doc);
}

/* An unreachable SMTP port is smtp.not_tested, not a failure (exit 0 for
 * a domain that is otherwise fine). */
Test(connect, unreachable_is_not_tested)
{
	char *out = NULL, pki[1024];
	json_error_t err;
	json_t *doc;
	int rc;

	snprintf(pki, sizeof(pki), "%s", dkt_lab("DK_LAB_PKI"));
	rc = dkt_run(&out,
		     "%s --unbound-conf '%s' --json audit good.sts.test "
		     "--https-ca '%s/ca.pem' --allow-private 127.53.0.0/16 "
		     "--connect-port 9 --https-port 1",
		     dkt_env("DANEKIT"), conf(), pki);
	doc = json_loads(out, 0, &err);

	cr_assert_not_null(doc, "%s", out);
	cr_expect_not_null(finding(doc, "smtp.not_tested", "mx.sts.test"));
	cr_expect_not_null(finding(doc, "mta_sts.policy_fetch_failed", NULL));
	cr_expect_null(finding(doc, "dane.mismatch", NULL));
	/* the fetch failure is an error finding: exit 1, never 75 */
	cr_expect_eq(rc, 1);
	json_decref(doc);
	free(out);
}

Test(connect, usage)
{
	const char *d = dkt_env("DANEKIT");
	char *out = NULL;

	cr_expect_eq(dkt_run(&out,
			     "%s audit good.sts.test --https-port 70000 "
			     "2>&1 >/dev/null",
			     d),
		     64);
	cr_expect(strncmp(out, "danekit: audit: ", 16) == 0, "%s", out);
	free(out);
	cr_expect_eq(dkt_run(&out,
			     "%s --unbound-conf '%s' audit good.sts.test "
			     "--allow-private 300.0.0.0/8 2>&1 >/dev/null",
			     d, conf()),
		     64);
	cr_expect(strncmp(out, "danekit: audit: ", 16) == 0, "%s", out);
	free(out);
	cr_expect_eq(dkt_run(&out, "%s audit --help", d), 0);
	cr_expect(strstr(out, "--https-port"));
	cr_expect(strstr(out, "--allow-private"));
	free(out);
}

/* BIMI, the fetched part: the logo (l=) is SVG Tiny PS, the evidence
 * document (a=) holds a certificate naming the domain. */
Test(connect, bimi_files)
{
	json_t *doc, *f;

	doc = expect("bimi.sts.test", NULL,
		     "bimi.logo_ok@default._bimi.bimi.sts.test=info "
		     "bimi.evidence_ok@default._bimi.bimi.sts.test=info");
	f = finding(doc, "bimi.logo_ok", NULL);
	cr_expect_str_eq(json_string_value(ev(f, "base_profile")), "tiny-ps");
	f = finding(doc, "bimi.evidence_ok", NULL);
	cr_expect_str_eq(json_string_value(json_array_get(ev(f, "names"), 0)),
			 "bimi.sts.test");
	json_decref(doc);
	expect_only("biminame.sts.test", NULL,
		    "bimi.logo_not_tiny_ps=error "
		    "bimi.evidence_name_mismatch=error");
	doc = expect("bimifail.sts.test", NULL,
		     "bimi.logo_fetch_failed=error "
		     "bimi.evidence_no_certificate=error");
	f = finding(doc, "bimi.logo_fetch_failed", NULL);
	cr_expect_eq(json_integer_value(ev(f, "http_status")), 404);
	json_decref(doc);
	expect_only("bimisvg.sts.test", NULL,
		    "bimi.logo_not_svg=error bimi.evidence_not_https=error");
	/* --no-connect: the record alone */
	doc = expect("bimi.sts.test", "--no-connect", "");
	cr_expect_null(finding(doc, "bimi.logo_ok", NULL));
	json_decref(doc);
}

/* A server that speaks TLS 1.0 only (RFC 8996): openssl s_client agrees
 * that TLS 1.2 fails and TLS 1.0 works. */
Test(connect, tls_version_obsolete)
{
	char smtp[16];
	json_t *doc, *f;
	int rc;

	snprintf(smtp, sizeof(smtp), "%s", dkt_lab("DK_LAB_SMTP_PORT"));
	rc = dkt_run(NULL,
		     "openssl s_client -connect 127.53.8.15:%s -starttls smtp "
		     "-tls1_2 </dev/null >/dev/null 2>&1",
		     smtp);
	cr_expect_neq(rc, 0, "s_client: TLS 1.2 works");
	rc = dkt_run(NULL,
		     "openssl s_client -connect 127.53.8.15:%s -starttls smtp "
		     "-tls1 -cipher DEFAULT:@SECLEVEL=0 </dev/null 2>&1 | "
		     "grep -q 'Protocol *: TLSv1$'",
		     smtp);
	cr_expect_eq(rc, 0, "s_client: TLS 1.0 does not work");
	doc = expect("oldtls.sts.test", NULL,
		     "smtp.tls_version_obsolete@mx-oldtls.sts.test=error");
	f = finding(doc, "smtp.tls_version_obsolete", NULL);
	cr_expect_str_eq(json_string_value(ev(f, "version")), "TLSv1");
	json_decref(doc);
}
