/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * danekit audit against the lab's mail zones (testzones/templates/
 * mail-ok.test.extra, spf.test.extra, dkim.test.extra, dm.test.extra,
 * org.test.extra, bimi.test.extra, mx.test.extra and the reverse zones).
 * Expected values come from the zones as designed and from independent
 * tools: pyspf (spf_oracle.py, straight at the lab's NSD),
 * opendkim-testkey (through the lab's unbound.conf), openssl pkey on the
 * lab's DKIM keys, dig and unbound-host.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <jansson.h>

#include "dkt.h"

static const char *conf(void)
{
	static char buf[1024];

	snprintf(buf, sizeof(buf), "%s", dkt_lab("DK_LAB_MAIL_CONF"));
	return buf;
}

/* The lab's name server and port (dkt_lab() has one static buffer). */
static const char *ns(void)
{
	static char buf[64];

	snprintf(buf, sizeof(buf), "%s", dkt_lab("DK_LAB_NS"));
	return buf;
}

static const char *port(void)
{
	static char buf[16];

	snprintf(buf, sizeof(buf), "%s", dkt_lab("DK_LAB_PORT"));
	return buf;
}

static const char *run_dir(void)
{
	static char buf[1024];

	snprintf(buf, sizeof(buf), "%s", dkt_lab("DK_LAB_RUN"));
	return buf;
}

/* danekit --json audit ARGS: the document, and the exit status. */
static json_t *audit(int *rc, const char *args)
{
	char *out = NULL;
	json_t *doc;
	json_error_t err;

	/* DNS only: these are the DNS areas' cases (the checks that connect
	 * are in test_connect.c) */
	*rc = dkt_run(&out,
		      "%s --unbound-conf '%s' --json audit --no-connect %s",
		      dkt_env("DANEKIT"), conf(), args);
	doc = json_loads(out, 0, &err);
	cr_assert_not_null(doc, "audit %s: no JSON (%s): %s", args, err.text,
			   out);
	free(out);
	return doc;
}

/* The first finding with @code (and @subject when not NULL), or NULL. */
static json_t *finding(json_t *doc, const char *code, const char *subject)
{
	size_t i;
	json_t *f;

	json_array_foreach(json_object_get(doc, "findings"), i, f)
	{
		const char *c = json_string_value(json_object_get(f, "code"));
		const char *s =
			json_string_value(json_object_get(f, "subject"));

		if (c && strcmp(c, code) == 0 &&
		    (!subject || (s && strcmp(s, subject) == 0))) {
			return f;
		}
	}
	return NULL;
}

static const char *sev(json_t *f)
{
	return json_string_value(json_object_get(f, "severity"));
}

static json_t *ev(json_t *f, const char *key)
{
	return json_object_get(json_object_get(f, "evidence"), key);
}

/* Every finding of @codes (space-separated) is present in the audit. */
static void expect_codes(const char *args, const char *codes)
{
	char buf[1024];
	int rc;
	json_t *doc = audit(&rc, args);

	size_t i;
	json_t *f;

	/* every finding says how its lookup validated */
	json_array_foreach(json_object_get(doc, "findings"), i, f)
	{
		cr_expect(json_is_string(ev(f, "dnssec")),
			  "audit %s: %s has no dnssec in its evidence", args,
			  json_string_value(json_object_get(f, "code")));
	}
	snprintf(buf, sizeof(buf), "%s", codes);
	for (char *c = strtok(buf, " "); c; c = strtok(NULL, " ")) {
		char *dump = json_dumps(json_object_get(doc, "findings"),
					JSON_COMPACT);

		cr_expect_not_null(finding(doc, c, NULL),
				   "audit %s: no %s in %s", args, c, dump);
		free(dump);
	}
	json_decref(doc);
}

Test(audit, good_configuration_passes)
{
	int rc;
	json_t *doc = audit(&rc, "mail-ok.test --dkim-selector sel1 "
				 "--dkim-selector ed --sending-ip 127.53.5.1 "
				 "--sending-ip fd53:5::1 "
				 "--helo out1.mail-ok.test");
	size_t i;
	json_t *f;

	cr_assert_eq(rc, 0);
	cr_assert_eq(json_integer_value(json_object_get(doc, "exit")), 0);
	cr_assert(json_is_true(json_object_get(doc, "complete")));
	cr_assert_str_eq(json_string_value(json_object_get(doc, "domain")),
			 "mail-ok.test.");
	json_array_foreach(json_object_get(doc, "findings"), i, f)
	{
		cr_expect_str_eq(sev(f), "info", "%s is %s",
				 json_string_value(json_object_get(f, "code")),
				 sev(f));
	}
	f = finding(doc, "dkim.key_ok", "sel1._domainkey.mail-ok.test");
	cr_assert_not_null(f);
	cr_expect_eq(json_integer_value(ev(f, "bits")), 2048);
	cr_expect_str_eq(json_string_value(ev(f, "dnssec")), "secure");
	f = finding(doc, "dkim.key_ok", "ed._domainkey.mail-ok.test");
	cr_assert_not_null(f);
	cr_expect_str_eq(json_string_value(ev(f, "algorithm")), "ed25519");
	f = finding(doc, "ptr.fcrdns_pass", "mail-ok.test");
	cr_assert_not_null(f);
	cr_expect_eq(json_integer_value(ev(f, "count")), 2);
	cr_assert_not_null(finding(doc, "spf.record", "out1.mail-ok.test"));
	json_decref(doc);
}

/* The three parts of the text report: areas, verdict, fix first. */
Test(audit, text_report)
{
	char *out = NULL;
	int rc = dkt_run(
		&out,
		"%s --unbound-conf '%s' audit limit.spf.test -v --no-connect",
		dkt_env("DANEKIT"), conf());

	cr_assert_eq(rc, 1);
	cr_expect(strstr(out, "Outbound") && strstr(out, "Inbound"), "%s", out);
	cr_expect(strstr(out, "fix first: spf.lookup_limit"), "%s", out);
	cr_expect(strstr(out, "verdict: FAIL"), "%s", out);
	/* the whole include tree, past the limit */
	cr_expect(strstr(out, "l1.spf.test [secure]"), "%s", out);
	cr_expect(strstr(out, "evidence: {"), "%s", out);
	free(out);
}

Test(audit, spf_codes)
{
	expect_codes("none.spf.test", "spf.missing");
	expect_codes("split.spf.test", "spf.split_version_hint spf.missing");
	expect_codes("multi.spf.test", "spf.multiple_records");
	expect_codes("syntax.spf.test", "spf.syntax");
	expect_codes("plusall.spf.test", "spf.permissive_all");
	expect_codes("neutral.spf.test", "spf.neutral_all");
	expect_codes("noterm.spf.test", "spf.no_terminal");
	expect_codes("afterall.spf.test", "spf.terms_after_all");
	expect_codes("redirign.spf.test", "spf.redirect_ignored");
	expect_codes("headroom.spf.test",
		     "spf.lookup_count spf.lookup_headroom");
	expect_codes("limit.spf.test", "spf.lookup_limit");
	expect_codes("mxlimit.spf.test", "spf.mx_host_limit");
	expect_codes("void2.spf.test", "spf.void_lookups");
	expect_codes("void3.spf.test", "spf.void_limit");
	expect_codes("void6.spf.test", "spf.void_limit");
	expect_codes("loop.spf.test", "spf.include_loop");
	expect_codes("rloop.spf.test", "spf.redirect_loop");
	expect_codes("incnone.spf.test", "spf.include_none");
	expect_codes("rednone.spf.test", "spf.redirect_none");
	expect_codes("dupmod.spf.test", "spf.duplicate_modifier");
	expect_codes("ptr.spf.test", "spf.ptr_deprecated spf.macro_unresolved");
	expect_codes("macro.spf.test",
		     "spf.macro_expanded spf.macro_unresolved");
	expect_codes("big.spf.test", "spf.size");
	expect_codes("huge.spf.test", "spf.size");
	expect_codes(
		"mail-ok.test --helo nohelo.spf.test --sending-ip 192.0.2.9",
		"spf.helo_missing spf.ip_not_authorized");
}

Test(audit, spf_evidence)
{
	int rc;
	json_t *doc = audit(&rc, "void6.spf.test"), *f, *fam;

	f = finding(doc, "spf.void_limit", NULL);
	cr_assert_not_null(f);
	/* only A records: void for IPv6 alone */
	fam = ev(f, "families");
	cr_expect_eq(json_array_size(fam), 1);
	cr_expect_str_eq(json_string_value(json_array_get(fam, 0)), "ipv6");
	cr_expect_eq(json_integer_value(ev(f, "void_count")), 3);
	cr_expect_str_eq(json_string_value(ev(f, "result")), "permerror");
	json_decref(doc);

	doc = audit(&rc, "loop.spf.test");
	f = finding(doc, "spf.include_loop", NULL);
	cr_assert_not_null(f);
	cr_expect_eq(json_array_size(ev(f, "cycle")), 3);
	json_decref(doc);

	doc = audit(&rc, "syntax.spf.test");
	f = finding(doc, "spf.syntax", NULL);
	cr_assert_not_null(f);
	cr_expect_str_eq(json_string_value(ev(f, "bad_term")),
			 "ip4:192.0.2.300");
	/* the raw record, echoed although invalid */
	cr_expect_str_eq(json_string_value(ev(f, "joined")),
			 "v=spf1 ip4:192.0.2.300 -all");
	json_decref(doc);

	doc = audit(&rc, "macro.spf.test");
	f = finding(doc, "spf.macro_expanded", NULL);
	cr_assert_not_null(f);
	cr_expect_str_eq(json_string_value(ev(f, "to")), "_spf.macro.spf.test");
	json_decref(doc);
}

/* RFC 7208 3.4: the name and the text of all TXT records, from dig. */
Test(audit, spf_size_against_dig)
{
	static const char *const names[] = { "big.spf.test", "huge.spf.test" };

	for (size_t i = 0; i < 2; i++) {
		char *out = NULL;
		long text;
		int rc;
		json_t *doc, *f;

		dkt_run(&out,
			"dig +short @%s -p %s TXT %s | /usr/bin/python3 -c "
			"'import re, sys; print(sum(len(x) for x in "
			"re.findall(r\"\\\"([^\\\"]*)\\\"\", "
			"sys.stdin.read())))'",
			ns(), port(), names[i]);
		text = strtol(out, NULL, 10) + (long)strlen(names[i]);
		free(out);
		doc = audit(&rc, names[i]);
		f = finding(doc, "spf.size", NULL);
		cr_assert_not_null(f, "%s", names[i]);
		cr_expect_eq(json_integer_value(ev(f, "octets")), text,
			     "%s: dig says %ld", names[i], text);
		cr_expect_str_eq(sev(f), text > 512 ? "error" : "warning");
		cr_expect_gt(text, 450);
		json_decref(doc);
	}
}

/* pyspf: result, lookups and void lookups for an address no term
 * matches (the whole tree is evaluated), IPv4 and IPv6. */
static void pyspf(const char *domain, const char *ip, char *result,
		  long *lookups, long *voids)
{
	char *out = NULL;
	int rc = dkt_run(&out,
			 "/usr/bin/python3 '%s/tests/mail/spf_oracle.py' "
			 "%s %s %s %s",
			 dkt_env("DK_SRCDIR"), ns(), port(), domain, ip);

	cr_assert_eq(rc, 0, "pyspf failed for %s", domain);
	cr_assert_eq(sscanf(out, "%31s %ld %ld", result, lookups, voids), 3,
		     "%s", out);
	free(out);
}

static const char *const permerror_codes[] = {
	"spf.syntax",	     "spf.multiple_records",
	"spf.lookup_limit",  "spf.mx_host_limit",
	"spf.void_limit",    "spf.include_loop",
	"spf.redirect_loop", "spf.include_none",
	"spf.redirect_none", "spf.duplicate_modifier",
};

Test(audit, spf_against_pyspf)
{
	/* cases without client macros and without redirect next to all
	 * (pyspf counts that redirect, RFC 7208 6.1 and AUDIT.md do not) */
	static const char *const cases[] = {
		"mail-ok.test",	    "leaf.spf.test",	"headroom.spf.test",
		"limit.spf.test",   "void2.spf.test",	"void3.spf.test",
		"void6.spf.test",   "loop.spf.test",	"rloop.spf.test",
		"incnone.spf.test", "rednone.spf.test", "dupmod.spf.test",
		"mxlimit.spf.test", "noterm.spf.test",	"syntax.spf.test",
		"multi.spf.test",   "plusall.spf.test", "afterall.spf.test",
		"neutral.spf.test",
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char r4[32], r6[32];
		long l4, v4, l6, v6;
		int rc, perm = 0;
		json_t *doc = audit(&rc, cases[i]);
		json_t *spf =
			json_object_get(json_object_get(doc, "records"), "spf");

		pyspf(cases[i], "198.51.100.254", r4, &l4, &v4);
		pyspf(cases[i], "2001:db8::fe", r6, &l6, &v6);
		for (size_t k = 0;
		     k < sizeof(permerror_codes) / sizeof(permerror_codes[0]);
		     k++) {
			if (finding(doc, permerror_codes[k], NULL)) {
				perm = 1;
			}
		}
		cr_expect_eq(perm,
			     strcmp(r4, "permerror") == 0 ||
				     strcmp(r6, "permerror") == 0,
			     "%s: pyspf %s/%s, danekit permerror %d", cases[i],
			     r4, r6, perm);
		if (perm) {
			json_decref(doc);
			continue;
		}
		cr_expect_eq(json_integer_value(
				     json_object_get(spf, "lookup_count")),
			     l4, "%s: lookups pyspf %ld", cases[i], l4);
		cr_expect_eq(
			json_integer_value(json_object_get(spf, "void_ipv4")),
			v4, "%s: IPv4 voids pyspf %ld", cases[i], v4);
		cr_expect_eq(
			json_integer_value(json_object_get(spf, "void_ipv6")),
			v6, "%s: IPv6 voids pyspf %ld", cases[i], v6);
		json_decref(doc);
	}
	/* the lookup limit: pyspf stops at the 11th term, danekit counts
	 * the whole tree (2 includes of 5 + 1 include each: 12) */
	{
		int rc;
		json_t *doc = audit(&rc, "limit.spf.test");
		json_t *f = finding(doc, "spf.lookup_limit", NULL);

		cr_assert_not_null(f);
		cr_expect_eq(json_integer_value(ev(f, "count")), 12);
		json_decref(doc);
	}
}

Test(audit, sending_ips_against_pyspf)
{
	static const char *const ips[] = { "127.53.5.1", "fd53:5::1",
					   "192.0.3.77", "192.0.2.9",
					   "2001:db8::9" };

	for (size_t i = 0; i < sizeof(ips) / sizeof(ips[0]); i++) {
		char args[256], res[32];
		long l, v;
		int rc;
		json_t *doc, *f;

		pyspf("mail-ok.test", ips[i], res, &l, &v);
		snprintf(args, sizeof(args), "mail-ok.test --sending-ip %s",
			 ips[i]);
		doc = audit(&rc, args);
		f = finding(doc, "spf.ip_not_authorized", NULL);
		if (strcmp(res, "pass") == 0) {
			cr_expect_null(f, "%s: pyspf pass", ips[i]);
		} else {
			cr_assert_not_null(f, "%s: pyspf %s", ips[i], res);
			cr_expect_str_eq(json_string_value(ev(f, "result")),
					 res);
			cr_expect_str_eq(json_string_value(ev(f, "ip")),
					 ips[i]);
		}
		json_decref(doc);
	}
}

/* Bits of a lab DKIM key by openssl pkey. */
static long openssl_bits(const char *key)
{
	char *out = NULL;
	long bits = -1;
	char *p;

	dkt_run(&out, "openssl pkey -in '%s/dkim/%s' -noout -text_pub",
		run_dir(), key);
	p = strchr(out, '(');
	if (p) {
		bits = strtol(p + 1, NULL, 10);
	}
	free(out);
	return bits;
}

Test(audit, dkim_codes_and_keys)
{
	int rc;
	json_t *doc =
		audit(&rc, "dkim.test --dkim-selector good "
			   "--dkim-selector weak --dkim-selector short "
			   "--dkim-selector edspki --dkim-selector badb64 "
			   "--dkim-selector quoted --dkim-selector revoked "
			   "--dkim-selector testing --dkim-selector sha1 "
			   "--dkim-selector vlate --dkim-selector multi "
			   "--dkim-selector tlsrpt --dkim-selector nosuch");
	json_t *f;
	char *out = NULL;
	long size;

	cr_assert_eq(rc, 1);
	f = finding(doc, "dkim.key_ok", "good._domainkey.dkim.test");
	cr_assert_not_null(f);
	cr_expect_eq(json_integer_value(ev(f, "bits")),
		     openssl_bits("rsa2048.pem"));
	f = finding(doc, "dkim.rsa_weak", "weak._domainkey.dkim.test");
	cr_assert_not_null(f);
	cr_expect_eq(json_integer_value(ev(f, "bits")),
		     openssl_bits("rsa1024.pem"));
	f = finding(doc, "dkim.rsa_too_short", "short._domainkey.dkim.test");
	cr_assert_not_null(f);
	cr_expect_eq(json_integer_value(ev(f, "bits")),
		     openssl_bits("rsa512.pem"));
	f = finding(doc, "dkim.ed25519_key_format",
		    "edspki._domainkey.dkim.test");
	cr_assert_not_null(f);
	dkt_run(&out, "stat -c %%s '%s/dkim/ed25519.spki.der'", run_dir());
	size = strtol(out, NULL, 10);
	free(out);
	cr_expect_eq(json_integer_value(ev(f, "decoded_len")), size);
	cr_expect_not_null(finding(doc, "dkim.key_invalid",
				   "badb64._domainkey.dkim.test"));
	cr_expect_not_null(finding(doc, "dkim.key_invalid",
				   "quoted._domainkey.dkim.test"));
	cr_expect_not_null(
		finding(doc, "dkim.revoked", "revoked._domainkey.dkim.test"));
	cr_expect_not_null(finding(doc, "dkim.testing_flag",
				   "testing._domainkey.dkim.test"));
	cr_expect_not_null(
		finding(doc, "dkim.sha1_only", "sha1._domainkey.dkim.test"));
	cr_expect_not_null(finding(doc, "dkim.version_not_first",
				   "vlate._domainkey.dkim.test"));
	cr_expect_not_null(finding(doc, "dkim.multiple_records",
				   "multi._domainkey.dkim.test"));
	f = finding(doc, "dkim.service_restricted",
		    "tlsrpt._domainkey.dkim.test");
	cr_assert_not_null(f);
	cr_expect(json_is_false(ev(f, "usable_for_email")));
	cr_expect_not_null(
		finding(doc, "dkim.missing", "nosuch._domainkey.dkim.test"));
	json_decref(doc);
	/* without a selector: _domainkey does not exist (RFC 8020) */
	expect_codes("none.spf.test", "dkim.none_possible");
}

/*
 * opendkim-testkey, through the lab's resolver (ResolverConfiguration:
 * the lab's unbound.conf), on the records danekit calls usable or not.
 */
static int testkey(const char *domain, const char *sel, const char *key,
		   char **out)
{
	char cf[1100];
	FILE *f;
	int rc;

	snprintf(cf, sizeof(cf), "%s/opendkim-test.conf", run_dir());
	f = fopen(cf, "w");
	cr_assert_not_null(f);
	fprintf(f, "ResolverConfiguration %s\n", conf());
	fclose(f);
	rc = dkt_run(out,
		     "/usr/sbin/opendkim-testkey -x '%s' -d %s -s %s -k "
		     "'%s/dkim/%s' -vvv 2>&1",
		     cf, domain, sel, run_dir(), key);
	return rc;
}

Test(audit, dkim_against_opendkim_testkey)
{
	char *out = NULL;
	int rc;

	rc = testkey("mail-ok.test", "sel1", "rsa2048.pem", &out);
	cr_expect_eq(rc, 0, "%s", out);
	cr_expect(strstr(out, "key OK"), "%s", out);
	cr_expect(strstr(out, "key secure"), "%s", out);
	free(out);
	rc = testkey("dkim.test", "weak", "rsa1024.pem", &out);
	cr_expect(strstr(out, "key OK"), "%s", out);
	free(out);
	/* the record danekit calls revoked, and the missing one */
	rc = testkey("dkim.test", "revoked", "rsa2048.pem", &out);
	cr_expect_neq(rc, 0, "%s", out);
	cr_expect(strstr(out, "Revoked key"), "%s", out);
	free(out);
	rc = testkey("dkim.test", "nosuch", "rsa2048.pem", &out);
	cr_expect_neq(rc, 0, "%s", out);
	cr_expect(strstr(out, "record not found"), "%s", out);
	free(out);
	rc = testkey("dkim.test", "badb64", "rsa2048.pem", &out);
	cr_expect_neq(rc, 0, "%s", out);
	free(out);
}

Test(audit, dmarc_codes)
{
	expect_codes("missing.dm.test", "dmarc.missing");
	expect_codes("wrongloc.dm.test", "dmarc.wrong_location");
	expect_codes("multi.dm.test", "dmarc.multiple_records");
	expect_codes("syntax.dm.test", "dmarc.syntax");
	expect_codes("badver.dm.test", "dmarc.bad_version");
	expect_codes("pinvalid.dm.test", "dmarc.p_invalid");
	expect_codes("pmissing.dm.test", "dmarc.p_missing");
	expect_codes("pmissing2.dm.test", "dmarc.p_missing");
	expect_codes("none.dm.test", "dmarc.monitoring_only");
	expect_codes("testing.dm.test", "dmarc.testing_mode");
	expect_codes("pct.dm.test", "dmarc.pct_obsolete");
	expect_codes("weaksp.dm.test", "dmarc.subdomain_policy_weaker");
	expect_codes("unknown.dm.test", "dmarc.unknown_tag");
	expect_codes("size.dm.test", "dmarc.uri_size_suffix");
	expect_codes("https.dm.test", "dmarc.rua_non_mailto");
	expect_codes("ext.dm.test", "dmarc.rua_unauthorized");
	expect_codes("a.sub.org.test",
		     "dmarc.inherited dmarc.alignment_divergence");
}

Test(audit, dmarc_evidence)
{
	int rc;
	json_t *doc = audit(&rc, "pmissing.dm.test"), *f;

	/* with a valid rua: a warning, acts as none */
	f = finding(doc, "dmarc.p_missing", NULL);
	cr_assert_not_null(f);
	cr_expect_str_eq(sev(f), "warning");
	cr_expect_str_eq(json_string_value(ev(f, "effective_policy")), "none");
	cr_expect_not_null(ev(f, "verdicts"));
	/* dm.test. is unsigned: unbound-host says insecure */
	cr_expect_str_eq(json_string_value(ev(f, "dnssec")), "insecure");
	json_decref(doc);
	doc = audit(&rc, "pmissing2.dm.test");
	f = finding(doc, "dmarc.p_missing", NULL);
	cr_assert_not_null(f);
	cr_expect_str_eq(sev(f), "error");
	json_decref(doc);

	doc = audit(&rc, "multi.dm.test");
	f = finding(doc, "dmarc.multiple_records", NULL);
	cr_assert_not_null(f);
	cr_expect(json_is_null(ev(f, "effective_policy")));
	json_decref(doc);

	doc = audit(&rc, "ext.dm.test");
	f = finding(doc, "dmarc.rua_unauthorized", NULL);
	cr_assert_not_null(f);
	/* mail-ok.test authorises every domain by a wildcard; secure.test
	 * authorises none */
	cr_expect_str_eq(json_string_value(ev(f, "uri")),
			 "mailto:d@secure.test");
	cr_expect_str_eq(json_string_value(ev(f, "queried")),
			 "ext.dm.test._report._dmarc.secure.test");
	cr_expect_null(finding(doc, "dmarc.rua_unauthorized", "ext.dm.test") ==
				       f
			       ? NULL
			       : f);
	json_decref(doc);

	/* RFC 7489 (public suffix list: org.test) and RFC 9989 (tree walk
	 * stops at sub.org.test, psd=n) disagree: both verdicts */
	doc = audit(&rc, "a.sub.org.test");
	f = finding(doc, "dmarc.inherited", NULL);
	cr_assert_not_null(f);
	cr_expect_str_eq(json_string_value(ev(f, "policy_domain")), "org.test");
	cr_expect_str_eq(json_string_value(ev(f, "effective_policy")),
			 "quarantine");
	cr_expect_str_eq(json_string_value(ev(f, "via")), "sp");
	cr_expect(strstr(json_string_value(
				 json_object_get(ev(f, "verdicts"), "rfc9989")),
			 "none from sub.org.test"));
	json_decref(doc);
}

Test(audit, dnssec_states_against_unbound_host)
{
	char *out = NULL;
	int rc;
	json_t *doc;

	dkt_run(&out, "unbound-host -C '%s' -v -t TXT _dmarc.mail-ok.test",
		conf());
	cr_assert(strstr(out, "(secure)"), "%s", out);
	free(out);
	doc = audit(&rc, "mail-ok.test");
	cr_expect_str_eq(
		json_string_value(json_object_get(
			json_object_get(json_object_get(doc, "records"),
					"dmarc"),
			"dnssec")),
		"secure");
	json_decref(doc);
}

Test(audit, bimi_codes)
{
	expect_codes("none.dm.test", "bimi.dmarc_not_enforcing");
	expect_codes("pct.dm.test", "bimi.dmarc_pct_not_100");
	expect_codes("nol.bimi.test", "bimi.location_missing");
	expect_codes("http.bimi.test", "bimi.location_not_https");
	expect_codes("multi.bimi.test", "bimi.location_multiple");
	expect_codes("declined.bimi.test", "bimi.declined");
	expect_codes("syntax.bimi.test", "bimi.syntax");
}

Test(audit, mx_codes)
{
	int rc;
	json_t *doc, *f;

	expect_codes("nullmx.test", "mx.null");
	expect_codes("nullmixed.mx.test", "mx.null_mixed");
	expect_codes("nullbad.mx.test", "mx.null_malformed");
	expect_codes("mx-literal.test",
		     "mx.target_ip_literal mx.no_usable_target");
	expect_codes("cname.mx.test", "mx.target_cname");
	expect_codes("unres.mx.test",
		     "mx.target_unresolvable mx.no_usable_target");
	expect_codes("implicit.mx.test", "mx.implicit");
	expect_codes("private.mx.test", "mx.non_public_address");
	expect_codes("mx-bogus.test", "mx.target_bogus mx.no_usable_target");
	doc = audit(&rc, "unres.mx.test");
	{
		size_t i, n = 0;

		json_array_foreach(json_object_get(doc, "findings"), i, f)
		{
			const char *t = json_string_value(ev(f, "target"));
			const char *c =
				json_string_value(json_object_get(f, "code"));

			if (strcmp(c, "mx.target_unresolvable") != 0) {
				continue;
			}
			n++;
			/* NXDOMAIN for a name that does not exist, NOERROR
			 * (no address) for one that has only a TXT */
			cr_expect_str_eq(json_string_value(ev(f, "rcode")),
					 strcmp(t, "nohost.mx.test") == 0
						 ? "NXDOMAIN"
						 : "NOERROR");
		}
		cr_expect_eq(n, 2);
	}
	json_decref(doc);
}

/* Reverse DNS, against dig straight at the lab's name server. */
Test(audit, ptr_against_dig)
{
	char *out = NULL;
	int rc;
	json_t *doc, *f;

	dkt_run(&out, "dig +short @%s -p %s -x 127.53.5.4", ns(), port());
	cr_assert_str_eq(out, "liar.mail-ok.test.\n");
	free(out);
	dkt_run(&out, "dig +short @%s -p %s A liar.mail-ok.test", ns(), port());
	cr_assert_str_eq(out, "127.53.5.99\n");
	free(out);
	dkt_run(&out, "dig +short @%s -p %s -x 127.53.5.3", ns(), port());
	cr_assert(strstr(out, "out3a") && strstr(out, "out3b"), "%s", out);
	free(out);
	doc = audit(&rc, "mail-ok.test --sending-ip 127.53.5.2 "
			 "--sending-ip 127.53.5.3 --sending-ip 127.53.5.4 "
			 "--sending-ip fd53:5::1");
	cr_assert_eq(rc, 1);
	f = finding(doc, "ptr.missing", "127.53.5.2");
	cr_expect_not_null(f);
	f = finding(doc, "ptr.multiple", "127.53.5.3");
	cr_assert_not_null(f);
	cr_expect_eq(json_integer_value(ev(f, "count")), 2);
	f = finding(doc, "ptr.fcrdns_mismatch", "127.53.5.4");
	cr_assert_not_null(f);
	cr_expect_str_eq(json_string_value(json_array_get(ev(f, "ptr"), 0)),
			 "liar.mail-ok.test");
	cr_expect_str_eq(json_string_value(json_array_get(ev(f, "forward"), 0)),
			 "127.53.5.99");
	f = finding(doc, "ptr.fcrdns_pass", "mail-ok.test");
	cr_assert_not_null(f);
	cr_expect_eq(json_integer_value(ev(f, "count")), 2);
	json_decref(doc);
}

/* One round trip per level of the SPF tree: limit.spf.test -> l1 ->
 * leaf is three levels of TXT lookups; everything else goes in the
 * first round. */
Test(audit, concurrent_rounds)
{
	int rc;
	json_t *doc = audit(&rc, "limit.spf.test");
	json_t *l = json_object_get(doc, "lookups");

	cr_expect_eq(json_integer_value(json_object_get(l, "rounds")), 3);
	cr_expect_lt(json_integer_value(json_object_get(l, "queries")), 20);
	json_decref(doc);
}

/* A domain whose name servers do not answer: 75, a partial report. */
Test(audit, could_not_finish)
{
	int rc;
	json_t *doc = audit(&rc, "mail.lame.test");

	cr_expect_eq(rc, 75);
	cr_expect(json_is_false(json_object_get(doc, "complete")));
	cr_expect_eq(json_integer_value(json_object_get(doc, "exit")), 75);
	json_decref(doc);
}

Test(audit, usage_errors)
{
	char *out = NULL;
	const char *d = dkt_env("DANEKIT");

	cr_expect_eq(dkt_run(&out, "%s audit 2>/dev/null", d), 64);
	cr_expect_str_eq(out, "");
	free(out);
	cr_expect_eq(dkt_run(NULL, "%s audit a.test b.test 2>/dev/null", d),
		     64);
	cr_expect_eq(dkt_run(NULL,
			     "%s --unbound-conf '%s' audit mail-ok.test --at "
			     "yesterday 2>/dev/null",
			     d, conf()),
		     64);
	cr_expect_eq(dkt_run(NULL,
			     "%s --unbound-conf '%s' audit mail-ok.test "
			     "--sending-ip 300.1.1.1 2>/dev/null",
			     d, conf()),
		     64);
	cr_expect_eq(dkt_run(NULL,
			     "%s --unbound-conf '%s' audit mail-ok.test "
			     "--connect-port 0 2>/dev/null",
			     d, conf()),
		     64);
	cr_expect_eq(dkt_run(NULL,
			     "%s --unbound-conf '%s' audit mail-ok.test "
			     "--https-ca /nonexistent/ca.pem 2>/dev/null",
			     d, conf()),
		     66);
	cr_expect_eq(dkt_run(&out,
			     "%s --unbound-conf '%s' audit 'bad..name' "
			     "2>&1 >/dev/null",
			     d, conf()),
		     64);
	cr_expect(strncmp(out, "danekit: audit: ", 16) == 0, "%s", out);
	cr_expect_eq(strchr(out, '\n') - out + 1, (long)strlen(out), "%s", out);
	free(out);
	cr_expect_eq(dkt_run(&out, "%s audit --help", d), 0);
	cr_expect(strstr(out, "--dkim-selector"));
	free(out);
	/* accepted for the checks that connect */
	cr_expect_eq(dkt_run(NULL,
			     "%s --unbound-conf '%s' audit mail-ok.test "
			     "--no-connect --connect-port 2525 --at "
			     "2026-09-01T00:00:00Z >/dev/null",
			     d, conf()),
		     0);
}
