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

	/* --json says the same: the dnssec word, the exit member */
	rc = lab_run(&out, "'%s' --unbound-conf '%s' --json lookup %s %s",
		     lab_env_var("DANEKIT"), lab_conf, c->name, c->type);
	cr_expect_eq(rc, c->exit, "lookup --json %s %s: exit %d", c->name,
		     c->type, rc);
	{
		json_t *doc = json_loads(out, 0, NULL);

		cr_assert_not_null(doc, "lookup --json %s: %s", c->name, out);
		cr_expect_str_eq(
			json_string_value(json_object_get(doc, "dnssec")),
			c->status, "lookup --json %s %s: %s", c->name, c->type,
			out);
		cr_expect_eq(json_integer_value(json_object_get(doc, "exit")),
			     rc);
		json_decref(doc);
	}
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

/*
 * The outcomes the chain explains besides a broken link (issue 9): a
 * SERVFAIL, an algorithm this libunbound cannot validate, NSEC3 over the
 * iteration limit, a signed child without DS, and TTLs as the zone serves
 * them. Each is checked against an independent view: dig against NSD,
 * unbound-host, delv, unbound-checkconf, ldns-key2ds, ldns-verify-zone.
 */

/* A value of `lab env`, copied (dkt_lab() returns static storage). */
static const char *lab_value(const char *key)
{
	static char v[8][512];
	static int next;
	const char *s = dkt_lab(key);

	cr_assert_not_null(s, "no %s in lab env", key);
	next = (next + 1) % 8;
	snprintf(v[next], sizeof(v[next]), "%s", s);
	return v[next];
}

/* @s begins with @prefix. */
static int starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Run danekit with the lab's unbound.conf; stdout in *@out. */
static int dk(char **out, const char *args)
{
	return lab_run(out, "'%s' --unbound-conf '%s' %s",
		       lab_env_var("DANEKIT"), lab_conf, args);
}

/* The first line of @s (a copy). */
static char *first_line(const char *s)
{
	return strndup(s, strcspn(s, "\n"));
}

static json_t *json_doc(const char *out)
{
	json_error_t err;
	json_t *doc = json_loads(out, 0, &err);

	cr_assert_not_null(doc, "bad JSON: %s\n%s", err.text, out);
	return doc;
}

static const char *jstr(json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));

	return v ? v : "(null)";
}

/* unbound-host's verdict on NAME TYPE: secure, insecure, bogus, servfail. */
static const char *ub_host(const char *type, const char *name)
{
	static char v[16];
	char *out = NULL;

	lab_run(&out, "unbound-host -C '%s' -v -t %s %s 2>&1", lab_conf, type,
		name);
	snprintf(v, sizeof(v), "%s",
		 strstr(out, "SERVFAIL")     ? "servfail"
		 : strstr(out, "(BOGUS")     ? "bogus"
		 : strstr(out, "(insecure)") ? "insecure"
		 : strstr(out, "(secure)")   ? "secure"
					     : "?");
	free(out);
	return v;
}

/*
 * A delegation to an address where nothing listens (lame.test.): SERVFAIL
 * with no validation failure. The report comes out all the same (exit 75,
 * its first line says it could not finish), names the query, the zone
 * that did not answer and what each name server asked directly said.
 */
Test(dnssec_cli, servfail_lame_delegation)
{
	const char *port = lab_value("DK_LAB_PORT");
	char *out = NULL, *err = NULL, *line, args[256];
	json_t *doc, *servers, *s;
	int rc;

	/* Independent views: unbound-host gets SERVFAIL; NSD, the server of
	 * test., refers to ns.lame.test. at 127.53.0.99, where nothing
	 * answers. */
	cr_assert_str_eq(ub_host("A", "mail.lame.test"), "servfail");
	lab_run(&out,
		"dig +norec +time=2 +tries=1 @127.53.0.1 -p %s mail.lame.test "
		"A",
		port);
	cr_expect(strstr(out, "flags: qr;") != NULL, "not a referral:\n%s",
		  out);
	cr_expect(strstr(out, "ns.lame.test.") != NULL &&
			  strstr(out, "127.53.0.99") != NULL,
		  "%s", out);
	free(out);
	lab_run(&out,
		"dig +norec +time=1 +tries=1 @127.53.0.99 -p %s mail.lame.test "
		"A 2>&1",
		port);
	cr_expect(strstr(out, "NOERROR") == NULL &&
			  strstr(out, "ANSWER SECTION") == NULL,
		  "127.53.0.99 answers:\n%s", out);
	free(out);

	snprintf(args, sizeof(args),
		 "chain --auth-port %s mail.lame.test A 2>/dev/null", port);
	rc = dk(&out, args);
	cr_expect_eq(rc, 75, "exit %d\n%s", rc, out);
	line = first_line(out);
	cr_expect(starts_with(line, "indeterminate: could not finish: "), "%s",
		  line);
	cr_expect(strstr(line, "mail.lame.test. A") != NULL, "%s", line);
	cr_expect(strstr(line, "SERVFAIL") != NULL, "%s", line);
	cr_expect(strstr(line, "no name server of lame.test. (delegated from "
			       "test.) answered") != NULL,
		  "%s", line);
	cr_expect(strstr(line, "ns.lame.test. (127.53.0.99 port ") != NULL,
		  "%s", line);
	cr_expect(strstr(line, "connection refused") != NULL, "%s", line);
	free(line);
	cr_expect(strstr(out, "\n; outcome: servfail (zone lame.test.)\n") !=
			  NULL,
		  "%s", out);
	cr_expect(strstr(out, "\nunsigned delegation lame.test. (no DS at "
			      "test.") != NULL,
		  "%s", out);
	cr_expect(strstr(out, "\nanswer mail.lame.test. A (zone lame.test., "
			      "SERVFAIL): indeterminate\n") != NULL,
		  "%s", out);
	cr_expect(strstr(out, "\nserver ns.test. 127.53.0.1 port ") != NULL,
		  "%s", out);
	cr_expect(strstr(out, ": referral: a referral to lame.test.: "
			      "ns.lame.test.\n") != NULL,
		  "%s", out);
	cr_expect(strstr(out, "\nserver ns.lame.test. 127.53.0.99 port ") !=
			  NULL,
		  "%s", out);
	free(out);

	/* stderr: one line, the same diagnosis. */
	snprintf(args, sizeof(args),
		 "chain --auth-port %s mail.lame.test A 2>&1 >/dev/null", port);
	cr_expect_eq(dk(&err, args), 75);
	cr_expect(starts_with(err, "danekit: chain: could not finish: "), "%s",
		  err);
	cr_expect_eq(strchr(err, '\n'), err + strlen(err) - 1, "%s", err);
	free(err);

	/* -q: the verdict line alone. */
	snprintf(args, sizeof(args),
		 "-q chain --auth-port %s mail.lame.test A 2>/dev/null", port);
	cr_expect_eq(dk(&out, args), 75);
	cr_expect(starts_with(out, "indeterminate: could not finish: ") &&
			  strchr(out, '\n') == out + strlen(out) - 1,
		  "%s", out);
	free(out);

	/* --json: the whole report, exit 75. */
	snprintf(args, sizeof(args),
		 "--json chain --auth-port %s mail.lame.test A 2>/dev/null",
		 port);
	cr_expect_eq(dk(&out, args), 75);
	doc = json_doc(out);
	cr_expect_str_eq(jstr(doc, "dnssec"), "indeterminate");
	cr_expect_str_eq(jstr(doc, "rcode"), "SERVFAIL");
	cr_expect_str_eq(jstr(doc, "outcome"), "servfail");
	cr_expect_str_eq(jstr(doc, "outcome_zone"), "lame.test.");
	cr_expect_str_eq(jstr(doc, "failed_query"), "mail.lame.test. A");
	cr_expect(strncmp(jstr(doc, "diagnosis"), "could not finish: ", 18) ==
		  0);
	servers = json_object_get(doc, "servers");
	cr_assert_eq(json_array_size(servers), 2, "%s", out);
	s = json_array_get(servers, 0);
	cr_expect_str_eq(jstr(s, "zone"), "test.");
	cr_expect_str_eq(jstr(s, "name"), "ns.test.");
	cr_expect_str_eq(jstr(s, "address"), "127.53.0.1");
	cr_expect_eq(json_integer_value(json_object_get(s, "port")),
		     atoi(port));
	cr_expect_str_eq(jstr(s, "query"), "mail.lame.test. A");
	cr_expect_str_eq(jstr(s, "state"), "referral");
	cr_expect_str_eq(jstr(s, "rcode"), "NOERROR");
	cr_expect(json_is_false(json_object_get(s, "authoritative")));
	s = json_array_get(servers, 1);
	cr_expect_str_eq(jstr(s, "zone"), "lame.test.");
	cr_expect_str_eq(jstr(s, "name"), "ns.lame.test.");
	cr_expect_str_eq(jstr(s, "address"), "127.53.0.99");
	cr_expect_str_eq(jstr(s, "state"), "unreachable");
	cr_expect(json_is_null(json_object_get(s, "rcode")));
	json_decref(doc);
	free(out);

	/* Port 53 (the default): the lab's servers are not there, and the
	 * report says that they may answer only at another port. */
	cr_expect_eq(dk(&out, "-q chain mail.lame.test A 2>/dev/null"), 75);
	cr_expect(starts_with(out, "indeterminate: could not finish: "), "%s",
		  out);
	free(out);

	/* --no-auth-check: nobody is asked; the last zone is named. */
	cr_expect_eq(dk(&out, "--json chain --no-auth-check mail.lame.test A "
			      "2>/dev/null"),
		     75);
	doc = json_doc(out);
	cr_expect_eq(json_array_size(json_object_get(doc, "servers")), 0);
	cr_expect_str_eq(jstr(doc, "outcome"), "servfail");
	cr_expect_str_eq(jstr(doc, "outcome_zone"), "lame.test.");
	cr_expect(strstr(jstr(doc, "diagnosis"), "not asked") != NULL, "%s",
		  jstr(doc, "diagnosis"));
	json_decref(doc);
	free(out);

	/* Usage errors: nothing on stdout, exit 64. */
	cr_expect_eq(dk(&out, "chain --auth-port 0 mail.lame.test 2>/dev/null"),
		     64);
	cr_expect_str_eq(out, "");
	free(out);
	cr_expect_eq(dk(&out, "chain --auth-port 53 --no-auth-check "
			      "mail.lame.test 2>&1 >/dev/null"),
		     64);
	cr_expect(starts_with(out, "danekit: chain: --auth-port"), "%s", out);
	free(out);
}

/*
 * A secure CNAME into the lame zone (lame.secure.test. -> mail.lame.test.):
 * the servers of secure.test. answer with the CNAME, and the zone that
 * does not answer is still lame.test.
 */
Test(dnssec_cli, servfail_through_cname)
{
	const char *port = lab_value("DK_LAB_PORT");
	char *out = NULL, args[256];
	json_t *doc, *servers;

	cr_assert_str_eq(ub_host("A", "lame.secure.test"), "servfail");
	lab_run(&out,
		"dig +norec @127.53.0.1 -p %s lame.secure.test A +noall "
		"+answer",
		port);
	cr_expect(strstr(out, "CNAME\tmail.lame.test.") != NULL, "%s", out);
	free(out);
	snprintf(args, sizeof(args),
		 "--json chain --auth-port %s lame.secure.test A 2>/dev/null",
		 port);
	cr_expect_eq(dk(&out, args), 75);
	doc = json_doc(out);
	cr_expect_str_eq(jstr(doc, "outcome"), "servfail");
	cr_expect_str_eq(jstr(doc, "outcome_zone"), "lame.test.");
	cr_expect_str_eq(jstr(doc, "failed_query"), "lame.secure.test. A");
	cr_expect(strstr(jstr(doc, "diagnosis"),
			 "reached by the CNAME lame.secure.test. -> "
			 "mail.lame.test.") != NULL,
		  "%s", jstr(doc, "diagnosis"));
	servers = json_object_get(doc, "servers");
	cr_assert_eq(json_array_size(servers), 3, "%s", out);
	cr_expect_str_eq(jstr(json_array_get(servers, 0), "zone"),
			 "secure.test.");
	cr_expect_str_eq(jstr(json_array_get(servers, 0), "state"), "answer");
	cr_expect_str_eq(jstr(json_array_get(servers, 0), "answer"),
			 "a CNAME to mail.lame.test., authoritative");
	cr_expect_str_eq(jstr(json_array_get(servers, 1), "state"), "referral");
	cr_expect_str_eq(jstr(json_array_get(servers, 2), "query"),
			 "mail.lame.test. A");
	cr_expect_str_eq(jstr(json_array_get(servers, 2), "state"),
			 "unreachable");
	json_decref(doc);
	free(out);
}

/*
 * ed448.test. is signed only with Ed448 (algorithm 16). Debian's
 * libunbound is built with nettle, without Ed448: for it the zone is
 * insecure (RFC 4035 section 5.2), while BIND's delv validates it and
 * ldns-verify-zone finds every signature valid. chain must say that it is
 * this build, not the zone.
 */
Test(dnssec_cli, unsupported_algorithm)
{
	const char *run = lab_value("DK_LAB_RUN");
	const char *port = lab_value("DK_LAB_PORT");
	char *out = NULL, *line;
	json_t *doc;
	int rc;

	/* The zone is validly signed with algorithm 16. */
	cr_expect_eq(lab_run(&out,
			     "ldns-verify-zone '%s/zones/ed448.test.signed' "
			     "2>&1",
			     run),
		     0, "%s", out);
	free(out);
	lab_run(&out, "dig +norec @127.53.0.1 -p %s ed448.test DS +short",
		port);
	cr_expect(strstr(out, " 16 2 ") != NULL, "DS: %s", out);
	free(out);
	lab_run(&out,
		"delv @127.53.0.1 -p %s -a '%s/anchor.delv' +root=test. A "
		"mail.ed448.test 2>&1",
		port, run);
	cr_expect(strstr(out, "; fully validated") != NULL, "delv: %s", out);
	free(out);

	if (strcmp(ub_host("A", "mail.ed448.test"), "secure") == 0) {
		/* A libunbound with Ed448: nothing to explain. */
		cr_expect_eq(dk(NULL, "chain mail.ed448.test"), 0);
		return;
	}
	cr_assert_str_eq(ub_host("A", "mail.ed448.test"), "insecure");
	rc = dk(&out, "chain mail.ed448.test A");
	cr_expect_eq(rc, 2, "%s", out);
	line = first_line(out);
	cr_expect(starts_with(line, "insecure: ed448.test. is signed only with "
				    "algorithm 16 (ED448), which this build of "
				    "libunbound cannot validate"),
		  "%s", line);
	cr_expect(strstr(line, "RFC 4035 section 5.2") != NULL, "%s", line);
	cr_expect(strstr(line, "the zone is not unsigned") != NULL, "%s", line);
	cr_expect(strstr(line, "found no broken link") == NULL, "%s", line);
	free(line);
	cr_expect(strstr(out, "\nzone ed448.test. (DS at test.): insecure\n") !=
			  NULL,
		  "%s", out);
	free(out);
	cr_expect_eq(dk(&out, "--json chain _25._tcp.mail.ed448.test TLSA"), 2);
	doc = json_doc(out);
	cr_expect_str_eq(jstr(doc, "dnssec"), "insecure");
	cr_expect(json_is_false(json_object_get(doc, "disagrees")));
	cr_expect_str_eq(jstr(doc, "outcome"), "unsupported-algorithm");
	cr_expect_str_eq(jstr(doc, "outcome_zone"), "ed448.test.");
	cr_expect_eq(json_integer_value(
			     json_object_get(doc, "unsupported_algorithm")),
		     16);
	json_decref(doc);
	free(out);
}

/*
 * iter.test. is NSEC3 with 200 iterations; unbound's limit
 * (val-nsec3-keysize-iterations, read with unbound-checkconf) is 150 for
 * its 256-bit keys: its denials are insecure (RFC 9276 section 3.2), for
 * delv too. The proof verifies, but chain must name the count and the
 * limit instead of calling its proof link secure.
 */
Test(dnssec_cli, nsec3_iterations)
{
	const char *run = lab_value("DK_LAB_RUN");
	const char *port = lab_value("DK_LAB_PORT");
	char *out = NULL, *line;
	json_t *doc;

	lab_run(&out, "unbound-checkconf -o val-nsec3-keysize-iterations '%s'",
		lab_conf);
	cr_assert_str_eq(out, "1024 150 2048 150 4096 150\n");
	free(out);
	lab_run(&out,
		"dig +norec +dnssec @127.53.0.1 -p %s nonexistent.iter.test A",
		port);
	cr_expect(strstr(out, "NXDOMAIN") != NULL &&
			  strstr(out, "NSEC3 1 0 200 ") != NULL,
		  "%s", out);
	free(out);
	cr_expect_str_eq(ub_host("A", "nonexistent.iter.test"), "insecure");
	cr_expect_str_eq(ub_host("A", "mail.unsigned.iter.test"), "insecure");
	cr_expect_str_eq(ub_host("A", "mail.iter.test"), "secure");
	lab_run(&out,
		"delv @127.53.0.1 -p %s -a '%s/anchor.delv' +root=test. A "
		"nonexistent.iter.test 2>&1",
		port, run);
	cr_expect(strstr(out, "unsigned answer") != NULL, "delv: %s", out);
	free(out);

	cr_expect_eq(dk(&out, "chain nonexistent.iter.test A"), 2, "%s", out);
	line = first_line(out);
	cr_expect(starts_with(line, "insecure: "), "%s", line);
	cr_expect(strstr(line, "200 iterations") != NULL &&
			  strstr(line, "the 150 this validator accepts") !=
				  NULL &&
			  strstr(line, "RFC 9276 section 3.2") != NULL &&
			  strstr(line, "iter.test.") != NULL,
		  "%s", line);
	cr_expect(strstr(line, "found no broken link") == NULL, "%s", line);
	free(line);
	cr_expect(strstr(out, "\nanswer nonexistent.iter.test. A (zone "
			      "iter.test., NXDOMAIN): insecure\n") != NULL,
		  "%s", out);
	free(out);
	cr_expect_eq(dk(&out, "--json chain nonexistent.iter.test A"), 2);
	doc = json_doc(out);
	cr_expect_str_eq(jstr(doc, "outcome"), "nsec3-iterations");
	cr_expect_str_eq(jstr(doc, "outcome_zone"), "iter.test.");
	cr_expect(json_is_false(json_object_get(doc, "disagrees")));
	cr_expect_eq(
		json_integer_value(json_object_get(doc, "nsec3_iterations")),
		200);
	cr_expect_eq(json_integer_value(
			     json_object_get(doc, "nsec3_iterations_limit")),
		     150);
	json_decref(doc);
	free(out);

	/* The unsigned delegation below it: its proof of no DS too. */
	cr_expect_eq(dk(&out, "--json chain mail.unsigned.iter.test A"), 2);
	doc = json_doc(out);
	cr_expect_str_eq(jstr(doc, "outcome"), "nsec3-iterations");
	cr_expect(strstr(jstr(doc, "diagnosis"),
			 "unsigned.iter.test. is an "
			 "unsigned delegation") != NULL &&
			  strstr(jstr(doc, "diagnosis"), "200 iterations") !=
				  NULL,
		  "%s", jstr(doc, "diagnosis"));
	cr_expect_eq(
		json_integer_value(json_object_get(doc, "nsec3_iterations")),
		200);
	json_decref(doc);
	free(out);

	/* 0 iterations (nsec3.test.): nothing to say. */
	cr_expect_eq(dk(&out, "--json chain nonexistent.nsec3.test A"), 0);
	doc = json_doc(out);
	cr_expect_str_eq(jstr(doc, "outcome"), "secure");
	cr_expect(json_is_null(json_object_get(doc, "nsec3_iterations")));
	json_decref(doc);
	free(out);
}

/*
 * nods.test. is signed (KSK + ZSK) but test. has no DS for it: not an
 * unsigned zone; the fix is at the parent. The DS to add is the one
 * ldns-key2ds computes from the KSK's DNSKEY as NSD serves it.
 */
Test(dnssec_cli, ds_missing)
{
	const char *port = lab_value("DK_LAB_PORT");
	char *out = NULL, *line, *want = NULL, *got;
	char tmpl[] = "/tmp/dk-nods.XXXXXX";
	json_t *doc, *mds, *links, *l;
	int fd;

	/* The parent has no DS (NODATA); the child serves its DNSKEYs. */
	lab_run(&out, "dig +norec @127.53.0.1 -p %s nods.test DS", port);
	cr_expect(strstr(out, "ANSWER: 0,") != NULL, "%s", out);
	free(out);
	fd = mkstemp(tmpl);
	cr_assert_geq(fd, 0);
	close(fd);
	cr_assert_eq(lab_run(&out,
			     "dig +norec @127.53.0.1 -p %s nods.test DNSKEY "
			     "+noall +answer | grep -w 257 > '%s'",
			     port, tmpl),
		     0);
	free(out);
	cr_assert_eq(lab_run(&want, "ldns-key2ds -n -2 '%s'", tmpl), 0);
	unlink(tmpl);
	/* "nods.test. 3600 IN DS 1234 13 2 abcd": the rdata, from the tag */
	cr_assert_not_null(strstr(want, "DS\t"), "%s", want);
	got = strstr(want, "DS\t") + 3;
	got[strcspn(got, "\n")] = '\0';
	cr_expect_str_eq(ub_host("A", "mail.nods.test"), "insecure");

	cr_expect_eq(dk(&out, "chain mail.nods.test A"), 2, "%s", out);
	line = first_line(out);
	cr_expect(starts_with(line,
			      "insecure: nods.test. is signed, only its DS is "
			      "missing: its DNSKEY RRset ("),
		  "%s", line);
	cr_expect(
		strstr(line, "the fix is at the parent: add the DS of key ") !=
				NULL &&
			strstr(line, " at test.") != NULL,
		"%s", line);
	free(line);
	cr_expect(strstr(out, "\nunsigned delegation nods.test. (no DS at "
			      "test., proven by nsec): insecure\n") != NULL,
		  "%s", out);
	cr_expect(strstr(out, "\n    DNSKEY 257 ") != NULL, "%s", out);
	free(out);

	cr_expect_eq(dk(&out, "--json chain mail.nods.test A"), 2);
	doc = json_doc(out);
	cr_expect_str_eq(jstr(doc, "outcome"), "ds-missing");
	cr_expect_str_eq(jstr(doc, "outcome_zone"), "nods.test.");
	mds = json_object_get(doc, "missing_ds");
	cr_assert_eq(json_array_size(mds), 1, "%s", out);
	cr_expect(
		strstr(json_string_value(json_array_get(mds, 0)), got) != NULL,
		"%s, want %s", json_string_value(json_array_get(mds, 0)), got);
	links = json_object_get(doc, "links");
	l = json_array_get(links, 1);
	cr_expect_str_eq(jstr(l, "type"), "insecure-delegation");
	cr_expect_eq(json_array_size(json_object_get(l, "dnskeys")), 2);
	cr_expect_str_eq(
		jstr(json_array_get(json_object_get(l, "dnskey_rrsigs"), 0),
		     "state"),
		"valid");
	json_decref(doc);
	free(out);
	free(want);

	/* An unsigned child stays an unsigned child. */
	cr_expect_eq(dk(&out, "--json chain mail.insecure.test A"), 2);
	doc = json_doc(out);
	cr_expect_str_eq(jstr(doc, "outcome"), "unsigned");
	cr_expect_str_eq(jstr(doc, "outcome_zone"), "insecure.test.");
	cr_expect_eq(json_array_size(json_object_get(doc, "missing_ds")), 0);
	json_decref(doc);
	free(out);
}

/*
 * libunbound hands bogus data over with its TTL capped to val-bogus-ttl
 * (60); chain prints the TTL the zone serves (NSD says 3600), from the
 * RRSIG's original TTL, and gives libunbound's as resolver_ttl.
 */
Test(dnssec_cli, ttl_as_served)
{
	const char *port = lab_value("DK_LAB_PORT");
	char *out = NULL;
	json_t *doc, *links, *l;

	lab_run(&out,
		"dig +norec @127.53.0.1 -p %s _25._tcp.mail.tampered.test TLSA "
		"+noall +answer | awk '{ print $2 }' | sort -u",
		port);
	cr_expect_str_eq(out, "3600\n");
	free(out);
	lab_run(&out, "unbound-checkconf -o val-bogus-ttl '%s'", lab_conf);
	cr_assert_str_eq(out, "60\n");
	free(out);

	cr_expect_eq(dk(&out, "chain _25._tcp.mail.tampered.test TLSA"), 1);
	cr_expect(strstr(out, "    _25._tcp.mail.tampered.test. 3600 IN TLSA "
			      "3 1 1 ") != NULL,
		  "%s", out);
	cr_expect(strstr(out, " 60 IN TLSA") == NULL, "%s", out);
	free(out);
	cr_expect_eq(dk(&out, "--json chain _25._tcp.mail.tampered.test TLSA"),
		     1);
	doc = json_doc(out);
	cr_expect_str_eq(jstr(doc, "outcome"), "broken");
	cr_expect_str_eq(jstr(doc, "outcome_zone"), "tampered.test.");
	links = json_object_get(doc, "links");
	l = json_array_get(links, json_array_size(links) - 1);
	cr_expect_str_eq(jstr(l, "type"), "answer");
	cr_expect_eq(json_integer_value(json_object_get(l, "ttl")), 3600);
	cr_expect_eq(json_integer_value(json_object_get(l, "resolver_ttl")),
		     60);
	json_decref(doc);
	free(out);
}
