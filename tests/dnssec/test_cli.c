/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * danekit lookup / danekit chain against every case of the lab, and the
 * same verdicts from unbound-host.
 */
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "lab.h"

struct lab_case {
	const char *name;
	const char *type;
	int exit;	      /* of lookup and chain */
	const char *status;   /* "secure", "insecure", "bogus" */
	const char *facts[5]; /* in the diagnosis (first line of chain) */
};

static const struct lab_case cases[] = {
	{ "_25._tcp.mail.test",
	  "TLSA",
	  0,
	  "secure",
	  { "is secure", "trust anchor for test." } },
	{ "_25._tcp.mail.secure.test",
	  "TLSA",
	  0,
	  "secure",
	  { "_25._tcp.mail.secure.test. TLSA is secure", "2 zones" } },
	{ "_25._tcp.mail.nsec3.test", "TLSA", 0, "secure", { "is secure" } },
	{ "_25._tcp.mail.optout.test", "TLSA", 0, "secure", { "is secure" } },
	{ "_25._tcp.mail.unsigned.optout.test",
	  "TLSA",
	  2,
	  "insecure",
	  { "unsigned.optout.test.", "unsigned delegation", "NSEC3", "opt-out",
	    "optout.test." } },
	{ "mail.unsigned.optout.test",
	  "A",
	  2,
	  "insecure",
	  { "unsigned.optout.test.", "unsigned delegation" } },
	{ "mail.alg8.test", "A", 0, "secure", { "is secure" } },
	{ "_25._tcp.mail.alg8.test", "TLSA", 0, "secure", { "is secure" } },
	{ "_25._tcp.mail.alg13.test", "TLSA", 0, "secure", { "is secure" } },
	{ "_25._tcp.mail.alg15.test", "TLSA", 0, "secure", { "is secure" } },
	{ "mail.alg15.test", "A", 0, "secure", { "is secure" } },
	{ "_25._tcp.mail.insecure.test",
	  "TLSA",
	  2,
	  "insecure",
	  { "insecure.test.", "unsigned delegation", "NSEC", "no DS" } },
	{ "_25._tcp.mail.expired.test",
	  "TLSA",
	  1,
	  "bogus",
	  { "expired on", "expired.test.", "days ago" } },
	{ "mail.expired.test",
	  "A",
	  1,
	  "bogus",
	  { "expired", "expired.test." } },
	{ "_25._tcp.mail.future.test",
	  "TLSA",
	  1,
	  "bogus",
	  { "not yet valid", "future.test.", "days" } },
	{ "_25._tcp.mail.wrongds.test",
	  "TLSA",
	  1,
	  "bogus",
	  { "matches no DNSKEY", "wrongds.test.", "at test.",
	    "the DS with key tag" } },
	{ "_25._tcp.mail.tampered.test",
	  "TLSA",
	  1,
	  "bogus",
	  { "_25._tcp.mail.tampered.test.", "TLSA RRset", "does not verify",
	    "tampered.test." } },
	{ "mail.tampered.test", "A", 0, "secure", { "is secure" } },
	{ "mail.zskonly.test",
	  "A",
	  1,
	  "bogus",
	  { "zskonly.test.", "not signed by a key with a DS", "ZSK", "KSK" } },
	{ "_25._tcp.mail.expiring.test",
	  "TLSA",
	  0,
	  "secure",
	  { "is secure, but", "expires", "expiring.test.", "within 7 days" } },
	{ "cname.secure.test",
	  "A",
	  2,
	  "insecure",
	  { "insecure.test.", "unsigned delegation" } },
	{ "alias.secure.test", "A", 0, "secure", { "is secure" } },
	{ "nonexistent.secure.test",
	  "A",
	  0,
	  "secure",
	  { "NXDOMAIN", "nonexistent.secure.test.", "NSEC", "secure.test." } },
	{ "nonexistent.nsec3.test",
	  "A",
	  0,
	  "secure",
	  { "NXDOMAIN", "NSEC3", "nsec3.test." } },
	{ "nonexistent.optout.test",
	  "A",
	  2,
	  "insecure",
	  { "opt-out", "optout.test." } },
	{ "nonexistent.test", "A", 0, "secure", { "NXDOMAIN" } },
	{ "insecure.test", "DS", 0, "secure", { "NODATA", "test." } },
	{ "unsigned.optout.test", "DS", 0, "secure", { "NODATA", "NSEC3" } },
};

#define NCASES (sizeof(cases) / sizeof(cases[0]))

static const struct lab_case *find_case(const char *name, const char *type)
{
	for (size_t i = 0; i < NCASES; i++) {
		if (strcmp(cases[i].name, name) == 0 &&
		    strcmp(cases[i].type, type) == 0) {
			return &cases[i];
		}
	}
	cr_assert_fail("no case %s %s", name, type);
	return NULL;
}

/* The "; dnssec: X" line of danekit lookup. */
static void check_lookup(const struct lab_case *c)
{
	char *out = NULL, *line, want[64];
	int rc = lab_run(&out, "'%s' --unbound-conf '%s' lookup %s %s",
			 lab_env_var("DANEKIT"), lab_conf, c->name, c->type);

	cr_expect_eq(rc, c->exit, "lookup %s %s: exit %d, want %d\n%s", c->name,
		     c->type, rc, c->exit, out);
	line = strstr(out, "; dnssec: ");
	cr_assert_not_null(line, "lookup %s %s: no dnssec line:\n%s", c->name,
			   c->type, out);
	snprintf(want, sizeof(want), "; dnssec: %s", c->status);
	cr_expect(strncmp(line, want, strlen(want)) == 0 &&
			  (line[strlen(want)] == '\n' ||
			   line[strlen(want)] == ' '),
		  "lookup %s %s: want '%s', got:\n%s", c->name, c->type, want,
		  out);
	free(out);
}

/* danekit chain: exit, first line "STATUS: diagnosis" with the facts. */
static void check_chain(const struct lab_case *c, char **ret_out)
{
	char *out = NULL, *nl, want[64];
	int rc = lab_run(&out, "'%s' --unbound-conf '%s' chain %s %s",
			 lab_env_var("DANEKIT"), lab_conf, c->name, c->type);

	cr_expect_eq(rc, c->exit, "chain %s %s: exit %d, want %d\n%s", c->name,
		     c->type, rc, c->exit, out);
	snprintf(want, sizeof(want), "%s: ", c->status);
	cr_expect(strncmp(out, want, strlen(want)) == 0,
		  "chain %s %s: want '%s...', got:\n%s", c->name, c->type, want,
		  out);
	nl = strchr(out, '\n');
	cr_assert_not_null(nl, "chain %s %s: no output", c->name, c->type);
	*nl = '\0';
	for (size_t i = 0; i < 5 && c->facts[i]; i++) {
		cr_expect(strstr(out, c->facts[i]) != NULL,
			  "chain %s %s: diagnosis lacks '%s': %s", c->name,
			  c->type, c->facts[i], out);
	}
	*nl = '\n';
	if (ret_out) {
		*ret_out = out;
	} else {
		free(out);
	}
}

static void check_case(const char *name, const char *type)
{
	const struct lab_case *c = find_case(name, type);

	lab_init();
	check_lookup(c);
	check_chain(c, NULL);
}

TestSuite(dnssec_cli, .init = lab_init, .timeout = 30);

Test(dnssec_cli, lab_root)
{
	check_case("_25._tcp.mail.test", "TLSA");
}
Test(dnssec_cli, secure)
{
	check_case("_25._tcp.mail.secure.test", "TLSA");
}
Test(dnssec_cli, nsec3)
{
	check_case("_25._tcp.mail.nsec3.test", "TLSA");
}
Test(dnssec_cli, optout)
{
	check_case("_25._tcp.mail.optout.test", "TLSA");
}
Test(dnssec_cli, unsigned_optout)
{
	check_case("_25._tcp.mail.unsigned.optout.test", "TLSA");
	check_case("mail.unsigned.optout.test", "A");
}
Test(dnssec_cli, alg8)
{
	check_case("mail.alg8.test", "A");
	check_case("_25._tcp.mail.alg8.test", "TLSA");
}
Test(dnssec_cli, alg13)
{
	check_case("_25._tcp.mail.alg13.test", "TLSA");
}
Test(dnssec_cli, alg15)
{
	check_case("_25._tcp.mail.alg15.test", "TLSA");
	check_case("mail.alg15.test", "A");
}
Test(dnssec_cli, insecure)
{
	check_case("_25._tcp.mail.insecure.test", "TLSA");
}
Test(dnssec_cli, expired)
{
	check_case("_25._tcp.mail.expired.test", "TLSA");
	check_case("mail.expired.test", "A");
}
Test(dnssec_cli, future)
{
	check_case("_25._tcp.mail.future.test", "TLSA");
}
Test(dnssec_cli, wrongds)
{
	check_case("_25._tcp.mail.wrongds.test", "TLSA");
}
Test(dnssec_cli, tampered)
{
	/* Only the TLSA RRset was changed: the A RRset stays secure. */
	check_case("_25._tcp.mail.tampered.test", "TLSA");
	check_case("mail.tampered.test", "A");
}
Test(dnssec_cli, zskonly)
{
	check_case("mail.zskonly.test", "A");
}

Test(dnssec_cli, expiring)
{
	const struct lab_case *c =
		find_case("_25._tcp.mail.expiring.test", "TLSA");
	char *out = NULL;
	int rc;

	check_lookup(c);
	check_chain(c, &out);
	cr_expect(strstr(out, "\n; warning: the RRSIG over") != NULL,
		  "no warning line:\n%s", out);
	free(out);
	/* --warn-days 1: the signatures expire in 2 days, no warning. */
	rc = lab_run(&out,
		     "'%s' --unbound-conf '%s' chain --warn-days 1 "
		     "_25._tcp.mail.expiring.test TLSA",
		     lab_env_var("DANEKIT"), lab_conf);
	cr_expect_eq(rc, 0);
	cr_expect(strstr(out, "warning") == NULL, "%s", out);
	cr_expect(strstr(out, "every link from the trust anchor") != NULL, "%s",
		  out);
	free(out);
}

Test(dnssec_cli, cname_secure_to_insecure)
{
	char *out = NULL;

	check_lookup(find_case("cname.secure.test", "A"));
	check_chain(find_case("cname.secure.test", "A"), &out);
	cr_expect(strstr(out,
			 "\ncname cname.secure.test. -> www.insecure.test. "
			 "(zone secure.test.): secure\n") != NULL,
		  "%s", out);
	cr_expect(strstr(out, "\nunsigned delegation insecure.test.") != NULL,
		  "%s", out);
	free(out);
	check_case("alias.secure.test", "A");
}

Test(dnssec_cli, nxdomain)
{
	check_case("nonexistent.secure.test", "A");
	check_case("nonexistent.nsec3.test", "A");
	check_case("nonexistent.optout.test", "A");
	check_case("nonexistent.test", "A");
}

Test(dnssec_cli, no_ds)
{
	check_case("insecure.test", "DS");
	check_case("unsigned.optout.test", "DS");
}

/* unbound-host's verdict from its "(secure)" etc. suffixes. */
static const char *unbound_host_status(const char *out)
{
	if (strstr(out, "(BOGUS (security failure))")) {
		return "bogus";
	}
	if (strstr(out, "(insecure)")) {
		return "insecure";
	}
	if (strstr(out, "(secure)")) {
		return "secure";
	}
	return "?";
}

Test(dnssec_cli, same_verdict_as_unbound_host)
{
	for (size_t i = 0; i < NCASES; i++) {
		const struct lab_case *c = &cases[i];
		char *out = NULL;
		int rc;

		lab_run(&out, "unbound-host -C '%s' -v -t %s %s 2>&1", lab_conf,
			c->type, c->name);
		cr_expect_str_eq(unbound_host_status(out), c->status,
				 "unbound-host %s %s:\n%s", c->type, c->name,
				 out);
		free(out);
		rc = lab_run(NULL, "'%s' --unbound-conf '%s' lookup %s %s",
			     lab_env_var("DANEKIT"), lab_conf, c->name,
			     c->type);
		cr_expect_eq(rc, c->exit, "lookup %s %s", c->name, c->type);
	}
}

Test(dnssec_cli, json)
{
	char *out = NULL;
	json_error_t err;
	json_t *doc, *links, *l;
	int rc = lab_run(&out,
			 "'%s' --unbound-conf '%s' chain --json "
			 "_25._tcp.mail.wrongds.test TLSA",
			 lab_env_var("DANEKIT"), lab_conf);

	cr_expect_eq(rc, 1);
	doc = json_loads(out, 0, &err);
	cr_assert_not_null(doc, "bad JSON: %s\n%s", err.text, out);
	cr_expect_str_eq(json_string_value(json_object_get(doc, "dnssec")),
			 "bogus");
	cr_expect(strstr(json_string_value(json_object_get(doc, "diagnosis")),
			 "matches no DNSKEY of wrongds.test.") != NULL);
	links = json_object_get(doc, "links");
	cr_assert(json_is_array(links) && json_array_size(links) >= 2);
	l = json_array_get(links, 1);
	cr_expect_str_eq(json_string_value(json_object_get(l, "name")),
			 "wrongds.test.");
	cr_expect(json_is_null(
		json_object_get(json_array_get(json_object_get(l, "ds"), 0),
				"matches_key_tag")));
	cr_expect_eq(json_array_size(json_object_get(l, "dnskeys")), 2);
	json_decref(doc);
	free(out);

	rc = lab_run(&out,
		     "'%s' --unbound-conf '%s' --json chain "
		     "_25._tcp.mail.expiring.test TLSA",
		     lab_env_var("DANEKIT"), lab_conf);
	cr_expect_eq(rc, 0);
	doc = json_loads(out, 0, &err);
	cr_assert_not_null(doc, "bad JSON: %s\n%s", err.text, out);
	cr_expect(json_array_size(json_object_get(doc, "warnings")) >= 1);
	cr_expect_eq(json_integer_value(json_object_get(doc, "warn_days")), 7);
	json_decref(doc);
	free(out);
}

Test(dnssec_cli, usage)
{
	char *out = NULL;
	const char *d = lab_env_var("DANEKIT");

	cr_expect_eq(lab_run(&out, "'%s' chain --help", d), 0);
	cr_expect(strncmp(out, "Usage: danekit", 14) == 0, "%s", out);
	free(out);
	cr_expect_eq(lab_run(&out, "'%s' chain 2>&1", d), 64);
	cr_expect_str_eq(out, "danekit: chain: no name given (danekit chain "
			      "NAME [TYPE])\n");
	free(out);
	cr_expect_eq(lab_run(&out, "'%s' chain --warn-days -1 a.test 2>&1", d),
		     64);
	cr_expect(strncmp(out, "danekit: chain: --warn-days", 27) == 0, "%s",
		  out);
	free(out);
	cr_expect_eq(lab_run(&out, "'%s' chain a.test NOTATYPE 2>&1", d), 64);
	cr_expect(strncmp(out, "danekit: chain: ", 16) == 0, "%s", out);
	free(out);
	cr_expect_eq(lab_run(&out, "'%s' chain a b c 2>&1 >/dev/null", d), 64);
	free(out);
	cr_expect_eq(lab_run(&out, "'%s' chain --bogus-option x 2>&1", d), 64);
	free(out);
}

/* A bad unbound.conf: exit 65, one line on stderr naming the cause. */
Test(dnssec_cli, bad_unbound_conf)
{
	char tmpl[] = "/tmp/dk-badconf.XXXXXX", conf[512];
	const char *d = lab_env_var("DANEKIT");
	char *out = NULL;
	FILE *f;

	cr_assert_not_null(mkdtemp(tmpl));
	snprintf(conf, sizeof(conf), "%s/unbound.conf", tmpl);
	f = fopen(conf, "w");
	cr_assert_not_null(f);
	fputs("server:\n  no-such-option: yes\n", f);
	fclose(f);
	cr_expect_eq(lab_run(&out,
			     "'%s' --unbound-conf '%s' lookup a.test 2>&1", d,
			     conf),
		     65);
	cr_expect(strncmp(out, "danekit: lookup: ", 17) == 0, "%s", out);
	cr_expect(strstr(out, "no-such-option") != NULL, "%s", out);
	cr_expect_eq(strchr(out, '\n'), out + strlen(out) - 1,
		     "not one line: %s", out);
	free(out);
	cr_expect_eq(lab_run(&out,
			     "'%s' --unbound-conf '%s/none.conf' lookup "
			     "a.test 2>&1",
			     d, tmpl),
		     66);
	free(out);
	unlink(conf);
	rmdir(tmpl);
}

/* -q: one line, for monitoring scripts. */
Test(dnssec_cli, quiet)
{
	const char *d = lab_env_var("DANEKIT");
	char *out = NULL;

	cr_expect_eq(lab_run(&out,
			     "'%s' -q --unbound-conf '%s' chain "
			     "mail.expired.test",
			     d, lab_conf),
		     1);
	cr_expect(strncmp(out,
			  "bogus: the RRSIG over the DNSKEY RRset of "
			  "expired.test. expired",
			  42 + 20) == 0,
		  "%s", out);
	cr_expect_eq(strchr(out, '\n'), out + strlen(out) - 1, "%s", out);
	free(out);
	cr_expect_eq(lab_run(&out,
			     "'%s' --unbound-conf '%s' lookup -q "
			     "mail.secure.test",
			     d, lab_conf),
		     0);
	cr_expect_str_eq(out, "; dnssec: secure\n");
	free(out);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

Test(dnssec_cli, timeout)
{
	const char *cmds[] = { "lookup", "chain" };

	for (int i = 0; i < 2; i++) {
		char *err = NULL;
		double t0 = now_s(), dt;
		/* example.com: outside test., so it goes to the dead forwarder.
		 */
		int rc = lab_run(&err,
				 "'%s' --unbound-conf '%s' --resolver "
				 "127.0.0.1@1 --timeout 1 %s example.com "
				 "2>&1 >/dev/null",
				 lab_env_var("DANEKIT"), lab_conf, cmds[i]);

		dt = now_s() - t0;
		cr_expect_eq(rc, 75, "%s: exit %d: %s", cmds[i], rc, err);
		cr_expect_lt(dt, 3.0, "%s took %.1f s", cmds[i], dt);
		cr_expect(strncmp(err, "danekit: ", 9) == 0 &&
				  strchr(err, '\n') == err + strlen(err) - 1,
			  "one error line: %s", err);
		free(err);
	}
}
