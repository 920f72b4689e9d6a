/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Offline tests of the mail module's parsers: SPF term grammar and macros
 * (RFC 7208 sections 5, 7 and 12, with the macro examples of section
 * 7.4), DMARC tags (RFC 7489 section 6.4), DKIM tag lists and keys
 * (RFC 6376 section 3.6.1, the keys of RFC 6376 appendix C and RFC 8463
 * appendix A.2), BIMI records; and the typed values.
 */
#include <string.h>

#include <criterion/criterion.h>

#include "mail/internal.h"

/* ---- SPF grammar ---------------------------------------------------- */

static void spf_ok(const char *txt, size_t nterms)
{
	struct dkm_spf_record r;
	int e = dkm_spf_parse(txt, &r);

	cr_assert_eq(e, 0, "'%s' should parse: %s (%s)", txt, r.why,
		     r.bad_term ? r.bad_term : "");
	cr_assert_eq(r.n, nterms, "'%s': %zu terms", txt, r.n);
	dkm_spf_record_free(&r);
}

static void spf_bad(const char *txt, const char *bad)
{
	struct dkm_spf_record r;
	int e = dkm_spf_parse(txt, &r);

	cr_assert_eq(e, DK_EDATA, "'%s' should not parse", txt);
	if (bad) {
		cr_assert_str_eq(r.bad_term, bad, "'%s': bad term '%s'", txt,
				 r.bad_term);
	}
	dkm_spf_record_free(&r);
}

Test(spf, version_selection)
{
	/* RFC 7208 4.5: "v=spf1" then SP or the end, case-insensitive */
	cr_assert(dkm_spf_is_record("v=spf1"));
	cr_assert(dkm_spf_is_record("v=spf1 -all"));
	cr_assert(dkm_spf_is_record("V=SPF1 -all"));
	cr_assert(!dkm_spf_is_record("v=spf10 -all"));
	cr_assert(!dkm_spf_is_record("v=spf1include:x.example -all"));
	cr_assert(!dkm_spf_is_record("v=spf1\t-all"));
	cr_assert(!dkm_spf_is_record(" v=spf1 -all"));
	cr_assert(!dkm_spf_is_record("spf2.0/pra -all"));
}

Test(spf, mechanisms)
{
	spf_ok("v=spf1", 0);
	spf_ok("v=spf1 -all", 1);
	spf_ok("v=spf1  a   mx  -all  ", 3);
	spf_ok("v=spf1 a/24 mx/24//64 a:example.com/32 mx:example.com//128 "
	       "-all",
	       5);
	spf_ok("v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 ip4:192.0.2.1 "
	       "~all",
	       4);
	spf_ok("v=spf1 include:_spf.example.com exists:%{ir}.%{l1r+-}._spf."
	       "%{d} ?all",
	       3);
	spf_ok("v=spf1 ptr ptr:example.com. +all", 3);
	spf_ok("v=spf1 redirect=_spf.example.com", 1);
	spf_ok("v=spf1 -all exp=explain._spf.%{d}", 2);
	/* unknown modifiers are allowed (RFC 7208 6) */
	spf_ok("v=spf1 foo=bar.example -all", 2);
	spf_ok("v=spf1 A:EXAMPLE.COM MX -ALL", 3);
}

Test(spf, syntax_errors)
{
	spf_bad("v=spf1 ip4:192.0.2.300 -all", "ip4:192.0.2.300");
	spf_bad("v=spf1 ip4:192.0.2.0/33 -all", "ip4:192.0.2.0/33");
	spf_bad("v=spf1 ip6:2001:db8::/129 -all", "ip6:2001:db8::/129");
	spf_bad("v=spf1 a/024 -all", "a/024");
	spf_bad("v=spf1 include -all", "include");
	spf_bad("v=spf1 include:localhost -all", "include:localhost");
	spf_bad("v=spf1 include:example.123 -all", "include:example.123");
	spf_bad("v=spf1 foo -all", "foo");
	spf_bad("v=spf1 all:example.com", "all:example.com");
	spf_bad("v=spf1 exists:%{z}.example.com -all",
		"exists:%{z}.example.com");
	spf_bad("v=spf1 exists:%{i0}.example.com -all",
		"exists:%{i0}.example.com");
	spf_bad("v=spf1 exists:%{i.example.com -all", "exists:%{i.example.com");
	spf_bad("v=spf1 a:exa%mple.com -all", "a:exa%mple.com");
	spf_bad("v=spf1 -all\tip4:192.0.2.1", NULL);
	/* c, r, t are for exp= only (RFC 7208 7.2) */
	spf_bad("v=spf1 exists:%{c}.example.com -all", NULL);
}

Test(spf, term_fields)
{
	struct dkm_spf_record r;

	cr_assert_eq(dkm_spf_parse("v=spf1 -mx:mail.example.com/24//64 "
				   "?ip4:192.0.2.128/25 redirect=x.example",
				   &r),
		     0);
	cr_assert_eq(r.n, 3);
	cr_assert_eq(r.terms[0].kind, SPF_MX);
	cr_assert_eq(r.terms[0].qualifier, '-');
	cr_assert_str_eq(r.terms[0].domain, "mail.example.com");
	cr_assert_eq(r.terms[0].cidr4, 24);
	cr_assert_eq(r.terms[0].cidr6, 64);
	cr_assert_eq(r.terms[1].kind, SPF_IP4);
	cr_assert_eq(r.terms[1].qualifier, '?');
	cr_assert_eq(r.terms[1].cidr4, 25);
	cr_assert_eq(r.terms[1].addr[3], 128);
	cr_assert_eq(r.terms[2].kind, SPF_REDIRECT);
	cr_assert_str_eq(r.terms[2].domain, "x.example");
	dkm_spf_record_free(&r);
}

/* RFC 7208 7.4: the macro examples */
static void expand_is(const char *spec, const struct dkm_spf_macros *m,
		      const char *want)
{
	char *out = NULL;
	int r = dkm_spf_expand(spec, m, &out);

	cr_assert_eq(r, 1, "%s expands", spec);
	cr_assert_str_eq(out, want, "%s -> %s (want %s)", spec, out, want);
	free(out);
}

Test(spf, macro_examples_rfc7208)
{
	struct dkm_spf_macros m = { 0 };

	m.s = "strong-bad@email.example.com";
	m.l = "strong-bad";
	m.o = "email.example.com";
	m.d = "email.example.com";
	m.i = "192.0.2.3";
	m.v = "in-addr";
	m.h = "mx.example.org";
	expand_is("%{s}", &m, "strong-bad@email.example.com");
	expand_is("%{o}", &m, "email.example.com");
	expand_is("%{d}", &m, "email.example.com");
	expand_is("%{d4}", &m, "email.example.com");
	expand_is("%{d3}", &m, "email.example.com");
	expand_is("%{d2}", &m, "example.com");
	expand_is("%{d1}", &m, "com");
	expand_is("%{dr}", &m, "com.example.email");
	expand_is("%{d2r}", &m, "example.email");
	expand_is("%{l}", &m, "strong-bad");
	expand_is("%{l-}", &m, "strong.bad");
	expand_is("%{lr}", &m, "strong-bad");
	expand_is("%{lr-}", &m, "bad.strong");
	expand_is("%{l1r-}", &m, "strong");
	expand_is("%{ir}.%{v}._spf.%{d2}", &m,
		  "3.2.0.192.in-addr._spf.example.com");
	expand_is("%{lr-}.lp._spf.%{d2}", &m, "bad.strong.lp._spf.example.com");
	expand_is("%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", &m,
		  "bad.strong.lp.3.2.0.192.in-addr._spf.example.com");
	expand_is("%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", &m,
		  "3.2.0.192.in-addr.strong.lp._spf.example.com");
	expand_is("%{d2}.trusted-domains.example.net", &m,
		  "example.com.trusted-domains.example.net");
	expand_is("%%%_%-", &m, "% %20");
	/* IPv6: RFC 7208 7.4 */
	m.i = "2.0.0.1.0.d.b.8.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.c.b."
	      "0.1";
	m.v = "ip6";
	expand_is("%{ir}.%{v}._spf.%{d2}", &m,
		  "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0."
		  "0.2.ip6._spf.example.com");
}

Test(spf, macro_unresolved_and_escape)
{
	struct dkm_spf_macros m = { 0 };
	char *out = (char *)"x";

	m.d = "example.com";
	cr_assert_eq(dkm_spf_expand("%{i}._spf.%{d}", &m, &out), 0);
	cr_assert_null(out);
	cr_assert_eq(dkm_spf_expand("%{q}", &m, &out), DK_EDATA);
	/* an upper-case letter URL-escapes (RFC 7208 7.3) */
	m.l = "a b";
	expand_is("%{L}.%{d}", &m, "a%20b.example.com");
}

/* ---- DMARC ------------------------------------------------------------ */

Test(dmarc, tags)
{
	struct dkm_dmarc_record r;

	cr_assert_eq(
		dkm_dmarc_parse("v=DMARC1; p=quarantine; sp=none; np=reject;"
				" pct=25; t=y; psd=n; rua=mailto:a@b.example",
				&r),
		0);
	cr_assert(r.valid);
	cr_assert_eq(r.p, 1);
	cr_assert_eq(r.sp, 0);
	cr_assert_eq(r.np, 2);
	cr_assert_eq(r.pct, 25);
	cr_assert_eq(r.t, 1);
	cr_assert_eq(r.psd, 0);
	cr_assert_str_eq(dkm_dmarc_tag(&r, "rua"), "mailto:a@b.example");
	dkm_dmarc_record_free(&r);

	/* WSP around '=' and ';' (RFC 7489 6.4 ABNF) */
	cr_assert_eq(dkm_dmarc_parse("v = DMARC1 ;p=reject", &r), 0);
	cr_assert_eq(r.p, 2);
	dkm_dmarc_record_free(&r);

	cr_assert_eq(dkm_dmarc_parse("v=DMARC1; p=block", &r), 0);
	cr_assert_eq(r.p, -2);
	dkm_dmarc_record_free(&r);
	cr_assert_eq(dkm_dmarc_parse("v=DMARC1; pct=101; t=maybe", &r), 0);
	cr_assert_eq(r.p, -1);
	cr_assert_eq(r.pct, -2);
	cr_assert_eq(r.t, -2);
	dkm_dmarc_record_free(&r);
	/* a malformed tag is ignored (RFC 7489 6.6.3) */
	cr_assert_eq(dkm_dmarc_parse("v=DMARC1; junk; p=reject", &r), 0);
	cr_assert_eq(r.p, 2);
	dkm_dmarc_record_free(&r);
}

Test(dmarc, discarded)
{
	struct dkm_dmarc_record r;

	cr_assert_eq(dkm_dmarc_parse("v=DMARC1 p=reject", &r), DK_EDATA);
	cr_assert(!r.valid && !r.bad_version);
	dkm_dmarc_record_free(&r);
	cr_assert_eq(dkm_dmarc_parse("v=DMARC1", &r), DK_EDATA);
	dkm_dmarc_record_free(&r);
	/* the version is case-sensitive */
	cr_assert_eq(dkm_dmarc_parse("v=dmarc1; p=reject", &r), DK_EDATA);
	cr_assert(r.bad_version);
	dkm_dmarc_record_free(&r);
	cr_assert_eq(dkm_dmarc_parse("v=DMARC2; p=reject", &r), DK_EDATA);
	cr_assert(r.bad_version);
	dkm_dmarc_record_free(&r);
	cr_assert_eq(dkm_dmarc_parse("p=reject; v=DMARC1", &r), DK_EDATA);
	dkm_dmarc_record_free(&r);
	cr_assert(dkm_dmarc_candidate("v=DMARC1; p=none"));
	cr_assert(!dkm_dmarc_candidate("v=spf1 -all"));
}

/* ---- DKIM ------------------------------------------------------------- */

/* RFC 6376 appendix C: the example 1024-bit RSA key */
#define RFC6376_KEY                                                        \
	"MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDwIRP/UC3SBsEmGqZ9ZJW3/DkM" \
	"oGeLnQg1fWn7/zYtIxN2SnFCjxOCKG9v3b4jYfcTNh5ijSsq631uBItLa7od+v/R" \
	"tdC2UzJ1lWT947qR+Rcac2gbto/NMqJ0fzfVjH4OuKhitdY9tf6mcwGjaNBcWToI" \
	"MmPSPDdQPNUYckcQ2QIDAQAB"
/* RFC 8463 appendix A.2: the example Ed25519 key */
#define RFC8463_KEY "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="

Test(dkim, rfc_keys)
{
	struct dkm_dkim_key k;

	cr_assert_eq(dkm_dkim_parse("v=DKIM1; p=" RFC6376_KEY, &k), 0);
	cr_assert(!k.key_invalid, "%s", k.why);
	cr_assert_str_eq(k.k, "rsa");
	cr_assert_eq(k.bits, 1024);
	cr_assert(k.email_ok);
	/* FWS inside the base64 (RFC 6376 3.6.1 base64string) */
	cr_assert_eq(dkm_dkim_parse("v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQ"
				    "UAA4GNADCBiQKBgQDwIRP/UC3SBsEmGqZ9ZJW3"
				    "/DkM oGeLnQg1fWn7/zYtIxN2SnFCjxOCKG9v3"
				    "b4jYfcTNh5ijSsq631uBItLa7od+v/R\t"
				    "tdC2UzJ1lWT947qR+Rcac2gbto/NMqJ0fzfVjH4"
				    "OuKhitdY9tf6mcwGjaNBcWToI"
				    "MmPSPDdQPNUYckcQ2QIDAQAB",
				    &k),
		     0);
	cr_assert_eq(k.bits, 1024);
	cr_assert_eq(dkm_dkim_parse("v=DKIM1; k=ed25519; p=" RFC8463_KEY, &k),
		     0);
	cr_assert(!k.key_invalid && !k.ed25519_format, "%s", k.why);
	cr_assert_eq(k.decoded_len, 32);
	cr_assert_eq(k.bits, 256);
}

Test(dkim, tag_lists)
{
	struct dkm_dkim_key k;

	cr_assert_eq(dkm_dkim_parse("k=rsa; v=DKIM1; p=" RFC6376_KEY, &k), 0);
	cr_assert(k.version_not_first);
	cr_assert_eq(
		dkm_dkim_parse(
			"v=DKIM1; h=sha1; t=s:y; s=tlsrpt; p=" RFC6376_KEY, &k),
		0);
	cr_assert(k.sha1_only && k.testing && !k.email_ok);
	cr_assert_str_eq(k.services, "tlsrpt");
	cr_assert_eq(dkm_dkim_parse("v=DKIM1; h=sha1:sha256; s=email:tlsrpt; "
				    "p=" RFC6376_KEY,
				    &k),
		     0);
	cr_assert(!k.sha1_only && !k.testing && k.email_ok);
	cr_assert_eq(dkm_dkim_parse("v=DKIM1; p=", &k), 0);
	cr_assert(k.revoked);
	cr_assert_eq(dkm_dkim_parse("v=DKIM1; p=MIGf!!", &k), 0);
	cr_assert(k.key_invalid);
	cr_assert_eq(dkm_dkim_parse("v=DKIM1; p=\"" RFC6376_KEY "\"", &k), 0);
	cr_assert(k.key_invalid);
	/* Ed25519 as an SPKI: 44 bytes (RFC 8463 4 wants the raw 32) */
	cr_assert_eq(dkm_dkim_parse("v=DKIM1; k=ed25519; p=MCowBQYDK2VwAyEA1"
				    "1qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHU"
				    "Ro=",
				    &k),
		     0);
	cr_assert(k.ed25519_format);
	cr_assert_eq(k.decoded_len, 44);
	/* a malformed tag-list */
	cr_assert_eq(dkm_dkim_parse("v=DKIM1; garbage; p=" RFC6376_KEY, &k),
		     DK_EDATA);
}

Test(taglist, duplicates_and_names)
{
	struct dkm_taglist t;

	cr_assert_eq(dkm_taglist_parse("a=1; b = 2 ;c=;", &t), 0);
	cr_assert_eq(t.n, 3);
	cr_assert_str_eq(dkm_taglist_get(&t, "b"), "2");
	cr_assert_str_eq(dkm_taglist_get(&t, "c"), "");
	cr_assert(!t.dup);
	dkm_taglist_free(&t);
	cr_assert_eq(dkm_taglist_parse("a=1; a=2", &t), 0);
	cr_assert(t.dup);
	dkm_taglist_free(&t);
	cr_assert_eq(dkm_taglist_parse("1a=1", &t), DK_EDATA);
	dkm_taglist_free(&t);
}

/* ---- BIMI ------------------------------------------------------------- */

Test(bimi, records)
{
	struct dkm_bimi_record b;

	cr_assert_eq(dkm_bimi_parse("v=BIMI1; l=https://x.example/l.svg;", &b),
		     0);
	cr_assert(b.valid && !b.l_missing && !b.l_not_https && !b.declined);
	dkm_bimi_record_free(&b);
	cr_assert_eq(dkm_bimi_parse("v=BIMI1; l=; a=;", &b), 0);
	cr_assert(b.declined);
	dkm_bimi_record_free(&b);
	cr_assert_eq(dkm_bimi_parse("v=BIMI1;", &b), 0);
	cr_assert(b.l_missing);
	dkm_bimi_record_free(&b);
	cr_assert_eq(dkm_bimi_parse("v=BIMI1; l=http://x.example/l.svg", &b),
		     0);
	cr_assert(b.l_not_https);
	dkm_bimi_record_free(&b);
	cr_assert_eq(dkm_bimi_parse("v=BIMI1; l=https://a.example/1.svg,"
				    "https://a.example/2.svg",
				    &b),
		     0);
	cr_assert(b.l_multiple);
	dkm_bimi_record_free(&b);
	cr_assert_eq(dkm_bimi_parse("v=BIMI1 l=https://x.example/l.svg", &b),
		     DK_EDATA);
	dkm_bimi_record_free(&b);
	cr_assert_eq(dkm_bimi_parse("l=https://x.example/l.svg; v=BIMI1", &b),
		     DK_EDATA);
	dkm_bimi_record_free(&b);
}

/* ---- values and the public API's argument checks ---------------------- */

Test(value, tree)
{
	struct dk_mail_value *o = dkm_obj(), *a = dkm_arr(), *c;

	dkm_push_str(a, "x");
	dkm_push(a, dkm_int(7));
	dkm_set(o, "list", a);
	dkm_set_bool(o, "flag", true);
	dkm_set_str(o, "s", NULL);
	c = dkm_value_dup(o);
	cr_assert_eq(dk_mail_value_count(c), 3);
	cr_assert_str_eq(dk_mail_value_key(c, 0), "list");
	cr_assert_eq(dk_mail_value_int(dk_mail_value_item(
			     dk_mail_value_get(c, "list"), 1)),
		     7);
	cr_assert_eq(dk_mail_value_type(dk_mail_value_get(c, "s")),
		     DK_MAIL_VALUE_NULL);
	cr_assert_eq(dk_mail_value_int(dk_mail_value_get(c, "flag")), 1);
	cr_assert_null(dk_mail_value_item(c, 3));
	cr_assert_null(dk_mail_value_get(NULL, "x"));
	cr_assert_eq(dk_mail_value_count(NULL), 0);
	dkm_value_free(o);
	dkm_value_free(c);
}

Test(api, null_arguments)
{
	struct dk_mail_report *r = NULL;
	struct dk_diag d = { "" };

	cr_assert_eq(dk_mail_audit(NULL, "example.com", NULL, &r, &d),
		     DK_EINVAL);
	cr_assert_null(r);
	dk_mail_report_free(NULL);
	cr_assert_null(dk_mail_report_domain(NULL));
	cr_assert_eq(dk_mail_report_finding_count(NULL), 0);
	cr_assert_null(dk_mail_report_finding(NULL, 0));
	cr_assert_eq(dk_mail_report_complete(NULL), 0);
	cr_assert_eq(dk_mail_report_worst(NULL), -1);
	cr_assert_eq(dk_mail_report_area_first(NULL, DK_MAIL_AREA_SPF), -1);
	cr_assert_str_eq(dk_mail_area_name(DK_MAIL_AREA_COUNT), "?");
	cr_assert_str_eq(dk_mail_area_direction(DK_MAIL_AREA_MX), "inbound");
	cr_assert_str_eq(dk_mail_severity_name(DK_MAIL_CRITICAL), "critical");
}

/* ---- MTA-STS (RFC 8461), TLS-RPT (RFC 8460), SVG Tiny PS root ------ */

static void sts_policy(const char *body, int rc, int mode, long long age,
		       size_t nmx)
{
	struct dkm_sts_policy p;
	int e = dkm_sts_policy_parse(body, strlen(body), &p);

	cr_expect_eq(e, rc, "'%s': %d (%s)", body, e, p.why);
	if (rc == 0) {
		cr_expect_eq(p.mode, mode, "'%s'", body);
		cr_expect_eq(p.max_age, age, "'%s'", body);
		cr_expect_eq(p.nmx, nmx, "'%s'", body);
	}
	dkm_sts_policy_free(&p);
}

Test(sts, policy)
{
	struct dkm_sts_policy p;
	const char *b;

	/* RFC 8461 section 3.2, the example policy */
	sts_policy("version: STSv1\nmode: enforce\nmx: mail.example.com\n"
		   "mx: *.example.net\nmx: backupmx.example.com\n"
		   "max_age: 604800\n",
		   0, DKM_STS_ENFORCE, 604800, 3);
	/* CRLF, no terminator on the last line, extension fields */
	sts_policy("version: STSv1\r\nmode: testing\r\nmx: a.example\r\n"
		   "x-ext: some value\r\nmax_age: 86400",
		   0, DKM_STS_TESTING, 86400, 1);
	sts_policy("version: STSv1\nmode: none\nmax_age: 0\n", 0, DKM_STS_NONE,
		   0, 0);
	/* values are case-sensitive */
	sts_policy("version: stsv1\nmode: enforce\nmx: a\nmax_age: 1\n",
		   DK_EDATA, 0, 0, 0);
	sts_policy("version: STSv1\nmode: Enforce\nmx: a\nmax_age: 1\n",
		   DK_EDATA, 0, 0, 0);
	/* max_age: 1 to 10 digits */
	sts_policy("version: STSv1\nmode: none\nmax_age: 12345678901\n",
		   DK_EDATA, 0, 0, 0);
	sts_policy("version: STSv1\nmode: none\nmax_age: -1\n", DK_EDATA, 0, 0,
		   0);
	/* a bare CR is no terminator */
	sts_policy("version: STSv1\rmode: none\nmax_age: 1\n", DK_EDATA, 0, 0,
		   0);
	/* required fields; an mx line unless mode none */
	sts_policy("version: STSv1\nmode: enforce\n", DK_EDATA, 0, 0, 0);
	b = "version: STSv1\nmode: enforce\nmax_age: 1\n";
	cr_expect_eq(dkm_sts_policy_parse(b, strlen(b), &p), DK_EDATA);
	cr_expect(p.syntax_ok && p.no_mx);
	dkm_sts_policy_free(&p);
	/* duplicates: the first one wins, said once */
	b = "version: STSv1\nmode: testing\nmode: enforce\nmode: none\n"
	    "mx: a.example\nmax_age: 1\n";
	cr_expect_eq(dkm_sts_policy_parse(b, strlen(b), &p), 0);
	cr_expect_eq(p.mode, DKM_STS_TESTING);
	cr_expect_eq(p.ndups, 1);
	cr_expect_str_eq(p.dups[0], "mode");
	dkm_sts_policy_free(&p);
	/* mx patterns */
	b = "version: STSv1\nmode: enforce\nmx: mail*.example\nmx: "
	    "*.*.example\n"
	    "mx: mx.example.\nmx: *.example\nmax_age: 1\n";
	cr_expect_eq(dkm_sts_policy_parse(b, strlen(b), &p), 0);
	cr_assert_eq(p.nmx, 4);
	cr_expect(p.mx_flags[0] & DKM_MX_INVALID);
	cr_expect(p.mx_flags[1] & DKM_MX_INVALID);
	cr_expect(p.mx_flags[2] == DKM_MX_TRAILING_DOT);
	cr_expect(p.mx_flags[3] == DKM_MX_WILDCARD);
	dkm_sts_policy_free(&p);
}

Test(sts, mx_match)
{
	/* RFC 8461 section 4.1: "*." covers exactly one label */
	cr_expect(dkm_sts_mx_match("*.example.com", "mx1.example.com"));
	cr_expect(!dkm_sts_mx_match("*.example.com", "a.mx1.example.com"));
	cr_expect(!dkm_sts_mx_match("*.example.com", "example.com"));
	cr_expect(dkm_sts_mx_match("mail.example.com", "MAIL.example.com."));
	cr_expect(!dkm_sts_mx_match("mail.example.com", "mail2.example.com"));
}

Test(sts, txt)
{
	struct dkm_sts_txt t;

	/* RFC 8461 section 3.1, the example record */
	cr_expect_eq(dkm_sts_txt_parse("v=STSv1; id=20160831085700Z;", &t), 0);
	cr_expect_str_eq(t.id, "20160831085700Z");
	cr_expect(t.literal_prefix);
	cr_expect_eq(dkm_sts_txt_parse("v=STSv1 ;id=abc", &t), 0);
	cr_expect(!t.literal_prefix);
	cr_expect_eq(dkm_sts_txt_parse("v=STSv1; id=", &t), DK_EDATA);
	cr_expect_str_eq(t.field, "id");
	cr_expect_eq(dkm_sts_txt_parse("v=STSv1; id=0123456789abcdef0123456789"
				       "abcdef0",
				       &t),
		     DK_EDATA);
	cr_expect_eq(dkm_sts_txt_parse("v=STSv1;", &t), DK_EDATA);
	cr_expect(!dkm_sts_is_candidate("v=stsv1; id=1"));
}

Test(tlsrpt, records)
{
	struct dkm_tlsrpt_record r;

	/* RFC 8460 section 3, the examples */
	cr_expect_eq(dkm_tlsrpt_parse("v=TLSRPTv1; rua=mailto:reports@example."
				      "com",
				      &r),
		     0);
	cr_expect_eq(r.nrua, 1);
	cr_expect(dkm_tlsrpt_uri_ok(r.rua[0]));
	dkm_tlsrpt_record_free(&r);
	cr_expect_eq(dkm_tlsrpt_parse("v=TLSRPTv1; rua=https://reporting."
				      "example.com/v1/tlsrpt",
				      &r),
		     0);
	cr_expect(dkm_tlsrpt_uri_ok(r.rua[0]));
	dkm_tlsrpt_record_free(&r);
	cr_expect_eq(dkm_tlsrpt_parse("v=TLSRPTv1; rua=mailto:a@x.example, "
				      "ftp://x.example/",
				      &r),
		     0);
	cr_expect_eq(r.nrua, 2);
	cr_expect(!dkm_tlsrpt_uri_ok(r.rua[1]));
	dkm_tlsrpt_record_free(&r);
	cr_expect_eq(dkm_tlsrpt_parse("v=TLSRPTv1; ext=1", &r), 0);
	cr_expect(r.rua_missing);
	dkm_tlsrpt_record_free(&r);
	cr_expect_eq(dkm_tlsrpt_parse("v=TLSRPTv1; rua", &r), DK_EDATA);
	dkm_tlsrpt_record_free(&r);
}

Test(svg, root)
{
	struct dkm_svg s;
	const char *t = "<?xml version=\"1.0\"?>\n<!-- x -->\n<svg "
			"xmlns=\"http://www.w3.org/2000/svg\" version=\"1.2\" "
			"baseProfile=\"tiny-ps\"><title>x</title></svg>";
	const char *f = "<svg baseProfile='full'/>";

	cr_expect_eq(dkm_svg_check((const uint8_t *)t, strlen(t), &s), 0);
	cr_expect(s.tiny_ps);
	cr_expect_str_eq(s.version, "1.2");
	cr_expect_eq(dkm_svg_check((const uint8_t *)f, strlen(f), &s), 0);
	cr_expect(!s.tiny_ps);
	cr_expect_str_eq(s.base_profile, "full");
	cr_expect_eq(dkm_svg_check((const uint8_t *)"<html>", 6, &s), DK_EDATA);
}

Test(sts, allow_private)
{
	static const char *const nets[] = { "127.53.0.0/16", "fd53::/16",
					    "192.0.2.7" };
	struct dk_mail_opts o = { 0 };
	uint8_t n[16];
	unsigned len;

	o.allow_private = nets;
	o.nallow_private = 3;
	cr_expect(dkm_allowed_private(&o, "127.53.8.10"));
	cr_expect(!dkm_allowed_private(&o, "127.54.0.1"));
	cr_expect(dkm_allowed_private(&o, "fd53:5::1"));
	cr_expect(!dkm_allowed_private(&o, "fd54::1"));
	cr_expect(dkm_allowed_private(&o, "192.0.2.7"));
	cr_expect(!dkm_allowed_private(&o, "192.0.2.8"));
	cr_expect_eq(dkm_parse_cidr("10.0.0.0/33", n, &len), DK_EINVAL);
	cr_expect_eq(dkm_parse_cidr("::/129", n, &len), DK_EINVAL);
	cr_expect_eq(dkm_parse_cidr("10.0.0.0/", n, &len), DK_EINVAL);
	cr_expect_eq(dkm_parse_cidr("10.0.0.0/8", n, &len), 0);
	cr_expect_eq(len, 104);
}
