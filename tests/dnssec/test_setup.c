/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A resolver set-up that cannot validate must fail closed: every broken
 * set-up (empty, foreign or wrong anchor, folders, FIFOs, devices, binary
 * and huge files, an unbound.conf without anchor or naming a missing one,
 * no validator, bad --resolver ports, an anchor this libunbound ignores)
 * gives its exact exit status, one error line and nothing on stdout,
 * within a time limit, through the command line. Then danekit doctor:
 * fit on the lab, unfit with a wrong anchor, its JSON, and each check
 * against an independent source (unbound-host, ldns-signzone, the date
 * the test signed with, a UDP-only resolver).
 *
 * Zones the lab does not have are made here, in a temporary folder, with
 * tests/dnssec/offline-zone (ldns-keygen, ldns-signzone) and served to
 * libunbound as auth-zones: no network.
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "lab.h"

struct res {
	int rc;
	char *out; /* stdout */
	char *err; /* stderr */
	double secs;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;

	cr_assert_not_null(f, "%s", path);
	do {
		if (cap - len < 4096) {
			cap = cap ? 2 * cap : 8192;
			buf = realloc(buf, cap);
			cr_assert_not_null(buf);
		}
		n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
	} while (n > 0);
	buf[len] = '\0';
	fclose(f);
	return buf;
}

static char tmp[64]; /* this process's scratch folder */

/*
 * When set, the next run() drops CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH
 * (as root), so that file permissions bind root too.
 */
static int no_dac_override;

static void scratch(void)
{
	if (!tmp[0]) {
		snprintf(tmp, sizeof(tmp), "/tmp/dk-setup.XXXXXX");
		cr_assert_not_null(mkdtemp(tmp));
	}
}

static void cleanup(void)
{
	if (tmp[0]) {
		dkt_run(NULL, "chmod -R u+rwx '%s'; rm -rf '%s'", tmp, tmp);
		tmp[0] = '\0';
	}
}

/*
 * Run "$DANEKIT ARGS" (ARGS a printf format) with a time limit of 30 s
 * (timeout(1) kills it after that: a hang shows as exit 124 or 137).
 */
static void run(struct res *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void run(struct res *r, const char *fmt, ...)
{
	char args[6000], errf[128];
	va_list ap;
	double t0;

	scratch();
	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	snprintf(errf, sizeof(errf), "%s/stderr", tmp);
	t0 = now_s();
	r->rc = lab_run(&r->out, "%s timeout -k 5 30 '%s' %s 2>'%s'",
			no_dac_override && geteuid() == 0
				? "setpriv --bounding-set=-dac_override,"
				  "-dac_read_search --inh-caps=-all"
				: "",
			lab_env_var("DANEKIT"), args, errf);
	no_dac_override = 0;
	r->secs = now_s() - t0;
	r->err = slurp(errf);
}

static void res_free(struct res *r)
{
	free(r->out);
	free(r->err);
	memset(r, 0, sizeof(*r));
}

/*
 * The contract of a set-up error: exit status @rc, nothing on stdout,
 * one line "danekit: CMD: ..." on stderr holding @fragment.
 */
static void expect_error(struct res *r, int rc, const char *cmd,
			 const char *fragment, const char *what)
{
	char prefix[64];

	snprintf(prefix, sizeof(prefix), "danekit: %s: ", cmd);
	cr_expect_eq(r->rc, rc, "%s: exit %d, want %d\nstdout: %s\nstderr: %s",
		     what, r->rc, rc, r->out, r->err);
	cr_expect_str_empty(r->out, "%s: stdout not empty: %s", what, r->out);
	cr_expect(strncmp(r->err, prefix, strlen(prefix)) == 0,
		  "%s: stderr: %s", what, r->err);
	cr_expect(strlen(r->err) > 0 &&
			  strchr(r->err, '\n') == r->err + strlen(r->err) - 1,
		  "%s: not one line: %s", what, r->err);
	cr_expect(strstr(r->err, fragment) != NULL, "%s: '%s' not in: %s", what,
		  fragment, r->err);
	cr_expect_lt(r->secs, 25.0, "%s: took %.1f s", what, r->secs);
}

/* Write @text to @name in the scratch folder; its path in @path. */
static void put(const char *name, const char *text, char *path, size_t len)
{
	FILE *f;

	scratch();
	snprintf(path, len, "%s/%s", tmp, name);
	f = fopen(path, "w");
	cr_assert_not_null(f, "%s", path);
	fputs(text, f);
	cr_assert_eq(fclose(f), 0);
}

/* The lab's unbound.conf without its trust anchor. */
static void conf_without_anchor(char *path, size_t len)
{
	char *out = NULL;

	lab_init();
	scratch();
	snprintf(path, len, "%s/noanchor.conf", tmp);
	cr_assert_eq(lab_run(&out,
			     "grep -v 'trust-anchor' '%s' > '%s' && "
			     "! grep -q anchor '%s'",
			     lab_conf, path, path),
		     0, "%s", out);
	free(out);
}

/* The lab's DS of test., with its digest changed (it matches no key). */
static void wrong_ds(char *path, size_t len)
{
	char *out = NULL;

	lab_init();
	scratch();
	snprintf(path, len, "%s/wrongds.key", tmp);
	cr_assert_eq(lab_run(&out,
			     "awk '{ d = $NF; $NF = (substr(d, 1, 1) == \"0\" "
			     "? \"1\" : \"0\") substr(d, 2); print }' '%s' > "
			     "'%s' && ! cmp -s '%s' '%s'",
			     lab_anchor, path, lab_anchor, path),
		     0, "%s", out);
	free(out);
}

TestSuite(setup, .fini = cleanup);

/* The lab's own set-up passes: the regression guard of the tests below. */
Test(setup, lab_is_fit)
{
	struct res r;

	lab_init();
	run(&r, "--unbound-conf '%s' lookup mail.secure.test", lab_conf);
	cr_expect_eq(r.rc, 0, "%s%s", r.out, r.err);
	cr_expect_str_empty(r.err);
	res_free(&r);
	run(&r, "--unbound-conf '%s' --anchor '%s' lookup mail.secure.test",
	    lab_conf, lab_anchor);
	cr_expect_eq(r.rc, 0, "%s%s", r.out, r.err);
	res_free(&r);
}

Test(setup, anchor_files)
{
	char conf[512], p[512], big[512];
	struct res r;
	FILE *f;

	conf_without_anchor(conf, sizeof(conf));
	/* The lab's anchor with the conf that has none: fit. */
	run(&r, "--anchor '%s' --unbound-conf '%s' lookup mail.secure.test",
	    lab_anchor, conf);
	cr_expect_eq(r.rc, 0, "%s%s", r.out, r.err);
	res_free(&r);

	put("empty.key", "", p, sizeof(p));
	run(&r, "--anchor '%s' --unbound-conf '%s' lookup mail.secure.test", p,
	    conf);
	expect_error(&r, 65, "lookup", "empty", "empty anchor");
	res_free(&r);

	put("comments.key", "; nothing but a comment\n\n", p, sizeof(p));
	run(&r, "--anchor '%s' --unbound-conf '%s' lookup mail.secure.test", p,
	    conf);
	expect_error(&r, 65, "lookup", "no DS or DNSKEY", "comments only");
	res_free(&r);

	put("foreign.key", "test. 3600 IN A 192.0.2.1\n", p, sizeof(p));
	run(&r, "--anchor '%s' --unbound-conf '%s' lookup mail.secure.test", p,
	    conf);
	expect_error(&r, 65, "lookup", "no DS or DNSKEY", "an A record");
	res_free(&r);

	put("junk.key", "this is not a zone file\n", p, sizeof(p));
	run(&r, "--anchor '%s' --unbound-conf '%s' lookup mail.secure.test", p,
	    conf);
	expect_error(&r, 65, "lookup", "line", "text junk");
	res_free(&r);

	/* Binary junk, with and without NUL bytes. */
	snprintf(p, sizeof(p), "%s/binary.key", tmp);
	cr_assert_eq(lab_run(NULL, "head -c 4096 /dev/urandom > '%s'", p), 0);
	run(&r, "--anchor '%s' --unbound-conf '%s' lookup mail.secure.test", p,
	    conf);
	expect_error(&r, 65, "lookup", "binary.key", "binary junk");
	res_free(&r);
	snprintf(p, sizeof(p), "%s/binary2.key", tmp);
	cr_assert_eq(lab_run(NULL,
			     "head -c 8192 /dev/urandom | tr -d '\\000' > "
			     "'%s'",
			     p),
		     0);
	run(&r, "--anchor '%s' --unbound-conf '%s' lookup mail.secure.test", p,
	    conf);
	expect_error(&r, 65, "lookup", "binary2.key", "binary junk, no NUL");
	res_free(&r);

	/* 2 MiB of valid records: over the 1 MiB limit. */
	snprintf(big, sizeof(big), "%s/big.key", tmp);
	f = fopen(big, "w");
	cr_assert_not_null(f);
	for (int i = 0; i < 25000; i++) {
		fprintf(f, "; %078d\n", i);
	}
	fclose(f);
	run(&r, "--anchor '%s' --unbound-conf '%s' lookup mail.secure.test",
	    big, conf);
	expect_error(&r, 65, "lookup", "limit", "huge anchor");
	res_free(&r);

	/* Missing, folder, FIFO, device: 66, and never a hang. */
	run(&r,
	    "--anchor '%s/none.key' --unbound-conf '%s' lookup "
	    "mail.secure.test",
	    tmp, conf);
	expect_error(&r, 66, "lookup", "does not exist", "missing anchor");
	res_free(&r);
	run(&r, "--anchor '%s' --unbound-conf '%s' lookup mail.secure.test",
	    tmp, conf);
	expect_error(&r, 66, "lookup", "is a folder", "folder anchor");
	res_free(&r);
	snprintf(p, sizeof(p), "%s/fifo.key", tmp);
	cr_assert_eq(mkfifo(p, 0600), 0);
	run(&r, "--anchor '%s' --unbound-conf '%s' lookup mail.secure.test", p,
	    conf);
	expect_error(&r, 66, "lookup", "a FIFO", "FIFO anchor");
	res_free(&r);
	run(&r,
	    "--anchor /dev/zero --unbound-conf '%s' lookup "
	    "mail.secure.test",
	    conf);
	expect_error(&r, 66, "lookup", "character device", "/dev/zero");
	res_free(&r);

	/* Unreadable: as root too (the child drops CAP_DAC_OVERRIDE). */
	snprintf(p, sizeof(p), "%s/secret.key", tmp);
	cr_assert_eq(lab_run(NULL, "cp '%s' '%s' && chmod 000 '%s'", lab_anchor,
			     p, p),
		     0);
	no_dac_override = 1;
	run(&r, "--anchor '%s' --unbound-conf '%s' lookup mail.secure.test", p,
	    conf);
	expect_error(&r, 66, "lookup", "not readable", "unreadable anchor");
	res_free(&r);
}

/* An anchor that parses but does not validate its zone: an error. */
Test(setup, wrong_anchor)
{
	char conf[512], p[512], *out = NULL;
	struct res r;

	conf_without_anchor(conf, sizeof(conf));
	wrong_ds(p, sizeof(p));
	/* Before this change every answer was "insecure", exit 2. */
	run(&r, "--anchor '%s' --unbound-conf '%s' lookup mail.secure.test", p,
	    conf);
	expect_error(&r, 65, "lookup", "bogus", "DS that matches no key");
	cr_expect(strstr(r.err, "test.") != NULL, "%s", r.err);
	res_free(&r);
	/* Every command that makes a resolver fails closed the same way. */
	run(&r, "--anchor '%s' --unbound-conf '%s' chain mail.secure.test", p,
	    conf);
	expect_error(&r, 65, "chain", "bogus", "chain");
	res_free(&r);
	run(&r,
	    "--anchor '%s' --unbound-conf '%s' --json check smtp "
	    "dane-ok.test",
	    p, conf);
	expect_error(&r, 65, "check", "bogus", "check smtp");
	res_free(&r);

	/* The lab's DS given as the anchor of another zone (secure.test.). */
	snprintf(p, sizeof(p), "%s/otherzone.key", tmp);
	cr_assert_eq(lab_run(&out, "sed 's/^test\\./secure.test./' '%s' > '%s'",
			     lab_anchor, p),
		     0);
	free(out);
	run(&r, "--anchor '%s' --unbound-conf '%s' lookup mail.secure.test", p,
	    conf);
	expect_error(&r, 65, "lookup", "secure.test.",
		     "anchor of another zone");
	res_free(&r);

	/* unbound-host agrees that this set-up cannot make anything secure. */
	{
		char c2[512];

		snprintf(c2, sizeof(c2), "%s/wrong.conf", tmp);
		cr_assert_eq(
			lab_run(&out,
				"{ cat '%s'; printf 'server:\\n  "
				"trust-anchor-file: \"%s/wrongds.key\"\\n'; "
				"} > '%s'",
				conf, tmp, c2),
			0);
		free(out);
		lab_run(&out, "unbound-host -C '%s' -v mail.secure.test 2>&1",
			c2);
		cr_expect(strstr(out, "BOGUS") != NULL, "%s", out);
		free(out);
	}
}

Test(setup, unbound_conf_files)
{
	char conf[512], p[512], c[512], text[2048];
	struct res r;

	conf_without_anchor(conf, sizeof(conf));
	/* An unbound.conf without any anchor: no more "insecure" (was 2). */
	run(&r, "--unbound-conf '%s' lookup mail.secure.test", conf);
	expect_error(&r, 66, "lookup", "no trust anchor",
		     "conf without anchor");
	res_free(&r);

	/* Naming a missing anchor, a folder, a FIFO. */
	snprintf(text, sizeof(text),
		 "server:\n  trust-anchor-file: \"%s/missing.key\"\n", tmp);
	put("missing.conf", text, c, sizeof(c));
	run(&r, "--unbound-conf '%s' lookup mail.secure.test", c);
	expect_error(&r, 66, "lookup", "missing.key", "conf: missing anchor");
	res_free(&r);
	snprintf(text, sizeof(text),
		 "server:\n  auto-trust-anchor-file: \"%s\"\n", tmp);
	put("dir-anchor.conf", text, c, sizeof(c));
	run(&r, "--unbound-conf '%s' lookup mail.secure.test", c);
	expect_error(&r, 66, "lookup", "is a folder", "conf: folder anchor");
	res_free(&r);
	snprintf(p, sizeof(p), "%s/conf-fifo", tmp);
	cr_assert_eq(mkfifo(p, 0600), 0);
	snprintf(text, sizeof(text), "server:\n  trust-anchor-file: %s\n", p);
	put("fifo-anchor.conf", text, c, sizeof(c));
	run(&r, "--unbound-conf '%s' lookup mail.secure.test", c);
	expect_error(&r, 66, "lookup", "a FIFO", "conf: FIFO anchor");
	res_free(&r);
	put("bad-inline.conf",
	    "server:\n  trust-anchor: \"test. DS 1 2 3 zz\"\n", c, sizeof(c));
	run(&r, "--unbound-conf '%s' lookup mail.secure.test", c);
	expect_error(&r, 65, "lookup", "trust-anchor", "conf: bad inline");
	res_free(&r);

	/* The unbound.conf itself, and its includes (libunbound exit()s). */
	run(&r, "--unbound-conf '%s' lookup mail.secure.test", tmp);
	expect_error(&r, 66, "lookup", "is a folder", "conf is a folder");
	res_free(&r);
	run(&r, "--unbound-conf '%s' lookup mail.secure.test", p);
	expect_error(&r, 66, "lookup", "a FIFO", "conf is a FIFO");
	res_free(&r);
	run(&r, "--unbound-conf /dev/zero lookup mail.secure.test");
	expect_error(&r, 66, "lookup", "character device", "conf /dev/zero");
	res_free(&r);
	snprintf(text, sizeof(text), "include: \"%s\"\n", tmp);
	put("inc-dir.conf", text, c, sizeof(c));
	run(&r, "--unbound-conf '%s' lookup mail.secure.test", c);
	expect_error(&r, 66, "lookup", "is a folder", "include: a folder");
	res_free(&r);
	snprintf(text, sizeof(text), "include: %s/conf-*\n", tmp);
	put("inc-glob.conf", text, c, sizeof(c));
	run(&r, "--unbound-conf '%s' lookup mail.secure.test", c);
	expect_error(&r, 66, "lookup", "a FIFO", "include: glob to a FIFO");
	res_free(&r);
	snprintf(text, sizeof(text), "include: %s/loop.conf\n", tmp);
	put("loop.conf", text, c, sizeof(c));
	run(&r, "--unbound-conf '%s' lookup mail.secure.test", c);
	expect_error(&r, 65, "lookup", "include", "include loop");
	res_free(&r);
	snprintf(p, sizeof(p), "%s/binary.conf", tmp);
	cr_assert_eq(lab_run(NULL, "head -c 4096 /dev/urandom > '%s'", p), 0);
	run(&r, "--unbound-conf '%s' lookup mail.secure.test", p);
	expect_error(&r, 65, "lookup", "binary", "binary conf");
	res_free(&r);

	/* An include that brings the anchor is followed: fit. */
	snprintf(text, sizeof(text), "include: \"%s/anchor-*.conf\"\n", tmp);
	put("with-include.conf", text, c, sizeof(c));
	snprintf(text, sizeof(text), "server:\n  trust-anchor-file: \"%s\"\n",
		 lab_anchor);
	put("anchor-1.conf", text, p, sizeof(p));
	snprintf(c, sizeof(c), "%s/both.conf", tmp);
	cr_assert_eq(lab_run(NULL, "cat '%s' '%s/with-include.conf' > '%s'",
			     conf, tmp, c),
		     0);
	run(&r, "--unbound-conf '%s' lookup mail.secure.test", c);
	cr_expect_eq(r.rc, 0, "%s%s", r.out, r.err);
	res_free(&r);
}

/*
 * Options that make libunbound answer "insecure" whatever it gets: no
 * validator (nothing is secure), or bogus answers passed on as insecure
 * (val-permissive-mode). unbound-host shows the effect on a lab name.
 */
Test(setup, validator_off)
{
	char conf[512], *out = NULL;
	struct res r;
	static const struct {
		const char *line;
		const char *fragment;
		const char *name;     /* for unbound-host */
		const char *not_seen; /* what it no longer says */
	} cases[] = {
		{ "module-config: \"iterator\"", "no validator",
		  "mail.secure.test", "(secure)" },
		{ "val-permissive-mode: yes", "val-permissive-mode",
		  "mail.expired.test", "BOGUS" },
	};

	lab_init();
	scratch();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(conf, sizeof(conf), "%s/off%zu.conf", tmp, i);
		cr_assert_eq(lab_run(&out,
				     "{ cat '%s'; printf 'server:\\n  %%s\\n' "
				     "'%s'; } > '%s'",
				     lab_conf, cases[i].line, conf),
			     0);
		free(out);
		run(&r, "--unbound-conf '%s' lookup mail.secure.test", conf);
		expect_error(&r, 65, "lookup", cases[i].fragment,
			     cases[i].line);
		res_free(&r);
		lab_run(&out, "unbound-host -C '%s' -v %s 2>&1", conf,
			cases[i].name);
		cr_expect(strstr(out, cases[i].not_seen) == NULL &&
				  strstr(out, "insecure") != NULL,
			  "%s: %s", cases[i].line, out);
		free(out);
	}
}

Test(setup, resolver_address)
{
	static const char *const bad[] = {
		"127.0.0.1@99999", "127.0.0.1@0",
		"127.0.0.1@-1",	   "127.0.0.1@",
		"127.0.0.1@53x",   "127.0.0.1@65536",
		"localhost",	   "[::1]:53",
		"127.0.0.1:53",	   "@53",
		"127.0.0.1@ 53",
	};
	struct res r;

	lab_init();
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		run(&r,
		    "--unbound-conf '%s' --resolver '%s' lookup "
		    "mail.secure.test",
		    lab_conf, bad[i]);
		expect_error(&r, 64, "lookup", "--resolver", bad[i]);
		res_free(&r);
	}
	run(&r, "--unbound-conf '%s' --resolver '127.0.0.1@99999' doctor",
	    lab_conf);
	expect_error(&r, 64, "doctor", "port", "doctor");
	res_free(&r);
	/* Accepted: ports 1 and 65535, IPv6 (test. still goes to the lab). */
	run(&r,
	    "--unbound-conf '%s' --resolver '127.0.0.1@65535' lookup "
	    "mail.secure.test",
	    lab_conf);
	cr_expect_eq(r.rc, 0, "%s", r.err);
	res_free(&r);
	run(&r,
	    "--unbound-conf '%s' --resolver '::1@1' lookup "
	    "mail.secure.test",
	    lab_conf);
	cr_expect_eq(r.rc, 0, "%s", r.err);
	res_free(&r);
}

/* A self-test that cannot finish is 75, at the time-out, not a hang. */
Test(setup, selftest_unreachable)
{
	char conf[512], *out = NULL;
	struct res r;

	lab_init();
	scratch();
	snprintf(conf, sizeof(conf), "%s/dead.conf", tmp);
	cr_assert_eq(lab_run(&out,
			     "sed 's/forward-addr: .*/forward-addr: "
			     "127.0.0.1@9/' '%s' > '%s'",
			     lab_conf, conf),
		     0);
	free(out);
	run(&r, "--unbound-conf '%s' --timeout 1 lookup mail.secure.test",
	    conf);
	expect_error(&r, 75, "lookup", "could not finish", "unreachable");
	cr_expect_lt(r.secs, 5.0, "took %.1f s", r.secs);
	res_free(&r);
}

/* An anchor of an algorithm this libunbound ignores (Ed448, nettle). */
Test(setup, ignored_anchor_algorithm)
{
	char *out = NULL, conf[512];
	struct res r;
	int secure;

	lab_init();
	scratch();
	cr_assert_eq(lab_run(&out,
			     "'%s/tests/dnssec/offline-zone' '%s' "
			     "alg16.offline. 16",
			     lab_env_var("DK_SRCDIR"), tmp),
		     0, "%s", out);
	free(out);
	snprintf(conf, sizeof(conf), "%s/unbound.conf", tmp);
	lab_run(&out, "unbound-host -C '%s' -v www.alg16.offline. 2>/dev/null",
		conf);
	secure = strstr(out, "(secure)") != NULL;
	free(out);
	run(&r, "--unbound-conf '%s' lookup www.alg16.offline.", conf);
	if (secure) {
		/* A libunbound built with Ed448: the set-up is fit. */
		cr_expect_eq(r.rc, 0, "%s", r.err);
	} else {
		/* Was exit 2, "insecure": now the set-up is refused. */
		expect_error(&r, 65, "lookup", "no supported algorithms",
			     "Ed448 anchor");
	}
	res_free(&r);
}

/* The doctor */

TestSuite(doctor, .fini = cleanup);

static json_t *doctor_json(struct res *r, const char *args)
{
	json_error_t e;
	json_t *doc;
	char *out = NULL;

	run(r, "%s --json doctor", args);
	doc = json_loads(r->out, 0, &e);
	cr_assert_not_null(doc, "bad JSON: %s\n%s\n%s", e.text, r->out, r->err);
	/* python3's parser agrees, and the document starts as DESIGN says. */
	{
		char p[512];

		put("doctor.json", r->out, p, sizeof(p));
		cr_expect_eq(lab_run(&out, "python3 -m json.tool '%s' 2>&1", p),
			     0, "python3 -m json.tool: %s", out);
		free(out);
	}
	cr_expect(strncmp(r->out, "{\n  \"schema_version\": 1,", 24) == 0, "%s",
		  r->out);
	cr_expect_str_eq(json_string_value(json_object_get(doc, "command")),
			 "doctor");
	cr_expect_eq(json_integer_value(json_object_get(doc, "exit")), r->rc);
	return doc;
}

static const char *check_status(json_t *doc, const char *id)
{
	json_t *checks = json_object_get(doc, "checks"), *c;
	size_t i;

	json_array_foreach(checks, i, c)
	{
		if (strcmp(json_string_value(json_object_get(c, "check")),
			   id) == 0) {
			return json_string_value(json_object_get(c, "verdict"));
		}
	}
	return "absent";
}

static const char *check_why(json_t *doc, const char *id)
{
	json_t *checks = json_object_get(doc, "checks"), *c;
	size_t i;

	json_array_foreach(checks, i, c)
	{
		if (strcmp(json_string_value(json_object_get(c, "check")),
			   id) == 0) {
			return json_string_value(json_object_get(c, "why"));
		}
	}
	return "";
}

Test(doctor, lab_is_fit)
{
	char args[1200];
	struct res r;
	json_t *doc, *a;

	lab_init();
	snprintf(args, sizeof(args), "--unbound-conf '%s'", lab_conf);
	doc = doctor_json(&r, args);
	cr_expect_eq(r.rc, 0, "%s", r.out);
	cr_expect_str_eq(json_string_value(json_object_get(doc, "verdict")),
			 "fit");
	cr_expect_str_eq(check_status(doc, "setup"), "ok");
	cr_expect_str_eq(check_status(doc, "anchor"), "ok");
	cr_expect_str_eq(check_status(doc, "selftest"), "ok");
	cr_expect_str_eq(check_status(doc, "clock"), "ok");
	cr_expect_str_eq(check_status(doc, "sha1"), "ok");
	cr_expect_str_eq(check_status(doc, "nsec3"), "ok");
	cr_expect_str_eq(check_status(doc, "transport"), "ok");
	cr_expect_neq(strcmp(check_status(doc, "algorithms"), "fail"), 0);
	/* The anchor: the lab's file, named by trust-anchor-file:. */
	a = json_array_get(json_object_get(doc, "anchors"), 0);
	cr_expect_str_eq(json_string_value(json_object_get(a, "zone")),
			 "test.");
	cr_expect_str_eq(json_string_value(json_object_get(a, "file")),
			 lab_anchor);
	cr_expect_str_eq(json_string_value(json_object_get(a, "source")),
			 "trust-anchor-file");
	cr_expect_str_eq(json_string_value(json_object_get(a, "unbound_conf")),
			 lab_conf);
	cr_expect(json_is_false(json_object_get(a, "rfc5011")));
	cr_expect_eq(
		json_integer_value(json_object_get(doc, "clock_skew_seconds")),
		0);
	cr_expect(json_is_true(
		json_object_get(json_object_get(doc, "transport"), "udp")));
	cr_expect(json_is_true(
		json_object_get(json_object_get(doc, "transport"), "tcp")));
	json_decref(doc);
	res_free(&r);

	/* Text: the verdict first, one line per check; -q the verdict. */
	run(&r, "--unbound-conf '%s' doctor", lab_conf);
	cr_expect_eq(r.rc, 0);
	cr_expect(strncmp(r.out, "fit for DANE: ", 14) == 0, "%s", r.out);
	cr_expect(strstr(r.out, "\nok       selftest    ") != NULL, "%s",
		  r.out);
	res_free(&r);
	run(&r, "--unbound-conf '%s' doctor -q", lab_conf);
	cr_expect_eq(r.rc, 0);
	cr_expect_eq(strchr(r.out, '\n'), r.out + strlen(r.out) - 1, "%s",
		     r.out);
	res_free(&r);

	/* A NAME: its chain is examined too. */
	run(&r, "--unbound-conf '%s' doctor _25._tcp.mail.nsec3.test TLSA",
	    lab_conf);
	cr_expect_eq(r.rc, 0, "%s", r.out);
	cr_expect(strstr(r.out, "\nok       name        secure") != NULL, "%s",
		  r.out);
	cr_expect(strstr(r.out, "2 zones examined") != NULL, "%s", r.out);
	res_free(&r);
}

Test(doctor, wrong_anchor_is_unfit)
{
	char conf[512], p[512], args[1200];
	struct res r;
	json_t *doc;

	conf_without_anchor(conf, sizeof(conf));
	wrong_ds(p, sizeof(p));
	snprintf(args, sizeof(args), "--anchor '%s' --unbound-conf '%s'", p,
		 conf);
	doc = doctor_json(&r, args);
	cr_expect_eq(r.rc, 1, "%s", r.out);
	cr_expect_str_eq(json_string_value(json_object_get(doc, "verdict")),
			 "unfit");
	cr_expect_str_eq(check_status(doc, "selftest"), "fail");
	cr_expect(strstr(check_why(doc, "selftest"), "bogus") != NULL, "%s",
		  check_why(doc, "selftest"));
	json_decref(doc);
	res_free(&r);

	/* Broken files: a report, not an error; exit 1. */
	snprintf(args, sizeof(args), "--anchor '%s' --unbound-conf '%s'", tmp,
		 conf);
	doc = doctor_json(&r, args);
	cr_expect_eq(r.rc, 1);
	cr_expect_str_eq(check_status(doc, "setup"), "fail");
	cr_expect(strstr(check_why(doc, "setup"), "is a folder") != NULL);
	cr_expect_str_eq(check_status(doc, "selftest"), "unknown");
	json_decref(doc);
	res_free(&r);
	snprintf(args, sizeof(args), "--unbound-conf '%s'", conf);
	doc = doctor_json(&r, args);
	cr_expect_eq(r.rc, 1);
	cr_expect_str_eq(check_status(doc, "anchor"), "fail");
	json_decref(doc);
	res_free(&r);

	/* Usage errors stay usage errors. */
	run(&r, "--unbound-conf '%s' doctor a b c", conf);
	expect_error(&r, 64, "doctor", "too many", "three operands");
	res_free(&r);
	run(&r, "--unbound-conf '%s' doctor 'bad name' A", conf);
	expect_error(&r, 64, "doctor", "bad name", "bad name");
	res_free(&r);
	run(&r, "--unbound-conf '%s' doctor a.test NOTATYPE", conf);
	expect_error(&r, 64, "doctor", "NOTATYPE", "bad type");
	res_free(&r);
}

/*
 * Which algorithms this libunbound validates: the doctor's offline test
 * (embedded zones) against unbound-host on zones signed here.
 */
Test(doctor, algorithms_as_unbound_host_says)
{
	static const int algs[] = { 5, 7, 8, 10, 13, 14, 15, 16 };
	char *out = NULL, conf[512], args[1200];
	struct res r;
	json_t *doc, *arr, *a;
	size_t i;

	lab_init();
	scratch();
	for (i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
		cr_assert_eq(lab_run(&out,
				     "'%s/tests/dnssec/offline-zone' '%s' "
				     "alg%d.offline. %d",
				     lab_env_var("DK_SRCDIR"), tmp, algs[i],
				     algs[i]),
			     0, "%s", out);
		free(out);
	}
	snprintf(conf, sizeof(conf), "%s/unbound.conf", tmp);
	snprintf(args, sizeof(args), "--unbound-conf '%s'", lab_conf);
	doc = doctor_json(&r, args);
	arr = json_object_get(doc, "algorithms");
	cr_assert_eq(json_array_size(arr), sizeof(algs) / sizeof(algs[0]));
	json_array_foreach(arr, i, a)
	{
		int n = (int)json_integer_value(json_object_get(a, "number"));
		const char *want;

		lab_run(&out,
			"unbound-host -C '%s' -v -t DNSKEY alg%d.offline. "
			"2>/dev/null",
			conf, n);
		want = strstr(out, "(secure)")	   ? "secure"
		       : strstr(out, "(insecure)") ? "insecure"
						   : "?";
		cr_expect_str_neq(want, "?", "unbound-host alg %d: %s", n, out);
		cr_expect_eq(json_is_true(json_object_get(a, "validates")),
			     strcmp(want, "secure") == 0,
			     "algorithm %d: unbound-host says %s", n, want);
		free(out);
	}
	json_decref(doc);
	res_free(&r);
}

/* SHA-1 only: a zone signed with algorithm 7, an anchor with digest 1. */
Test(doctor, sha1_only)
{
	char *out = NULL, args[1200];
	struct res r;
	json_t *doc;

	lab_init();
	scratch();
	cr_assert_eq(lab_run(&out,
			     "'%s/tests/dnssec/offline-zone' '%s' "
			     "sha1.offline. 7",
			     lab_env_var("DK_SRCDIR"), tmp),
		     0, "%s", out);
	free(out);
	snprintf(args, sizeof(args), "--unbound-conf '%s/unbound.conf'", tmp);
	doc = doctor_json(&r, args);
	cr_expect_eq(r.rc, 0, "%s", r.out);
	cr_expect_str_eq(check_status(doc, "sha1"), "warning");
	cr_expect(strstr(check_why(doc, "sha1"), "RSASHA1") != NULL, "%s",
		  check_why(doc, "sha1"));
	json_decref(doc);
	res_free(&r);
	cleanup();

	scratch();
	cr_assert_eq(lab_run(&out,
			     "'%s/tests/dnssec/offline-zone' '%s' "
			     "ds1.offline. 13 1 && awk '$4 == \"DS\" && "
			     "$6 == 13 && $7 == 1 { f = 1 } END { exit !f }' "
			     "'%s/ds1.offline..ds'",
			     lab_env_var("DK_SRCDIR"), tmp, tmp),
		     0, "%s", out);
	free(out);
	snprintf(args, sizeof(args), "--unbound-conf '%s/unbound.conf'", tmp);
	doc = doctor_json(&r, args);
	cr_expect_eq(r.rc, 0, "%s", r.out);
	cr_expect_str_eq(check_status(doc, "sha1"), "warning");
	cr_expect(strstr(check_why(doc, "sha1"), "digest type 1") != NULL, "%s",
		  check_why(doc, "sha1"));
	json_decref(doc);
	res_free(&r);
}

/* NSEC3 with 200 iterations: over Debian 12's limit of 150. */
Test(doctor, nsec3_iterations)
{
	char *out = NULL, args[1200];
	struct res r;
	json_t *doc;
	int insecure;

	lab_init();
	scratch();
	cr_assert_eq(lab_run(&out,
			     "'%s/tests/dnssec/offline-zone' '%s' "
			     "nsec3.offline. 13 2 -n -t 200",
			     lab_env_var("DK_SRCDIR"), tmp),
		     0, "%s", out);
	free(out);
	/* unbound-host: the denial is insecure (over its limit). */
	lab_run(&out,
		"unbound-host -C '%s/unbound.conf' -v none.nsec3.offline. "
		"2>/dev/null",
		tmp);
	insecure = strstr(out, "(insecure)") != NULL;
	free(out);
	snprintf(args, sizeof(args),
		 "--unbound-conf '%s/unbound.conf' doctor none.nsec3.offline "
		 "--json",
		 tmp);
	run(&r, "%s", args);
	doc = json_loads(r.out, 0, NULL);
	cr_assert_not_null(doc, "%s %s", r.out, r.err);
	cr_expect_eq(json_integer_value(json_object_get(
			     json_object_get(doc, "nsec3"), "max_iterations")),
		     200);
	if (insecure) {
		cr_expect_eq(r.rc, 1, "%s", r.out);
		cr_expect_str_eq(check_status(doc, "nsec3"), "fail");
		cr_expect(strstr(check_why(doc, "nsec3"), "200") != NULL);
	} else {
		cr_expect_str_eq(check_status(doc, "nsec3"), "warning");
	}
	json_decref(doc);
	res_free(&r);
}

/* The clock: signatures that start in 10 days (and an hour). */
Test(doctor, clock_behind)
{
	char *out = NULL, args[1200], inc[32], exp[32];
	/* 10 days and an hour: "at least 10 days" whatever the seconds. */
	time_t t = time(NULL) + 10 * 86400 + 3600, e = t + 30 * 86400;
	struct res r;
	json_t *doc;
	json_int_t skew;

	lab_init();
	scratch();
	strftime(inc, sizeof(inc), "%Y%m%d%H%M%S", gmtime(&t));
	strftime(exp, sizeof(exp), "%Y%m%d%H%M%S", gmtime(&e));
	cr_assert_eq(lab_run(&out,
			     "'%s/tests/dnssec/offline-zone' '%s' "
			     "future.offline. 13 2 -i %s -e %s",
			     lab_env_var("DK_SRCDIR"), tmp, inc, exp),
		     0, "%s", out);
	free(out);
	snprintf(args, sizeof(args), "--unbound-conf '%s/unbound.conf'", tmp);
	doc = doctor_json(&r, args);
	cr_expect_eq(r.rc, 1, "%s", r.out);
	cr_expect_str_eq(check_status(doc, "clock"), "fail");
	cr_expect(strstr(check_why(doc, "clock"), "10 days behind") != NULL,
		  "%s", check_why(doc, "clock"));
	skew = json_integer_value(json_object_get(doc, "clock_skew_seconds"));
	cr_expect(skew <= -10 * 86400 - 3600 + 120 &&
			  skew >= -10 * 86400 - 3600 - 120,
		  "skew %lld", (long long)skew);
	cr_expect_str_eq(check_status(doc, "selftest"), "fail");
	json_decref(doc);
	res_free(&r);
}

/* unbound-anchor's state file: its source and age. */
Test(doctor, rfc5011_state_file)
{
	char conf[512], p[600], args[1400], want[32];
	time_t t = time(NULL) - 40 * 86400;
	struct res r;
	json_t *doc, *a;
	FILE *f;
	char *ds;

	conf_without_anchor(conf, sizeof(conf));
	ds = slurp(lab_anchor);
	snprintf(p, sizeof(p), "%s/root.key", tmp);
	f = fopen(p, "w");
	cr_assert_not_null(f);
	fprintf(f,
		"; autotrust trust anchor file\n;;id: test. 1\n"
		";;last_queried: %lld ;;x\n;;last_success: %lld ;;x\n"
		";;next_probe_time: %lld ;;x\n;;query_failed: 0\n"
		";;query_interval: 43200\n;;retry_time: 8640\n%.*s "
		";;state=2 [  VALID  ] ;;count=0 ;;lastchange=%lld\n",
		(long long)t, (long long)t, (long long)t,
		(int)strcspn(ds, "\n"), ds, (long long)t);
	fclose(f);
	free(ds);
	snprintf(args, sizeof(args), "--anchor '%s' --unbound-conf '%s'", p,
		 conf);
	doc = doctor_json(&r, args);
	cr_expect_eq(r.rc, 0, "%s", r.out);
	cr_expect_str_eq(check_status(doc, "anchor"), "warning");
	a = json_array_get(json_object_get(doc, "anchors"), 0);
	cr_expect_str_eq(json_string_value(json_object_get(a, "source")),
			 "--anchor");
	cr_expect(json_is_true(json_object_get(a, "rfc5011")));
	strftime(want, sizeof(want), "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
	cr_expect_str_eq(json_string_value(json_object_get(a, "last_success")),
			 want);
	cr_expect_str_eq(json_string_value(json_object_get(a, "last_queried")),
			 want);
	json_decref(doc);
	res_free(&r);
}

/* A resolver that answers over UDP only: the transport check fails. */
Test(doctor, udp_only_resolver)
{
	char py[512], portf[512], *out = NULL, args[1400];
	struct res r;
	json_t *doc, *tr;
	int port = 0, pid = 0;
	const char *ns, *nsport;

	lab_init();
	scratch();
	ns = dkt_lab("DK_LAB_NS");
	cr_assert_not_null(ns);
	{
		static char nsbuf[64];

		snprintf(nsbuf, sizeof(nsbuf), "%s", ns);
		ns = nsbuf;
	}
	nsport = dkt_lab("DK_LAB_PORT");
	put("relay.py",
	    "import os, socket, sys\n"
	    "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
	    "s.bind(('127.0.0.1', 0))\n"
	    "open(sys.argv[1] + '.tmp', 'w').write(str(s.getsockname()[1]))\n"
	    "os.rename(sys.argv[1] + '.tmp', sys.argv[1])\n"
	    "s.settimeout(60)\n"
	    "while True:\n"
	    "    try:\n"
	    "        q, peer = s.recvfrom(65535)\n"
	    "    except socket.timeout:\n"
	    "        break\n"
	    "    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
	    "    u.settimeout(2)\n"
	    "    u.sendto(q, (sys.argv[2], int(sys.argv[3])))\n"
	    "    try:\n"
	    "        s.sendto(u.recvfrom(65535)[0], peer)\n"
	    "    except socket.timeout:\n"
	    "        pass\n"
	    "    u.close()\n",
	    py, sizeof(py));
	snprintf(portf, sizeof(portf), "%s/relay.port", tmp);
	cr_assert_eq(lab_run(&out,
			     "python3 '%s' '%s' '%s' '%s' >/dev/null 2>&1 & "
			     "echo $!; for i in $(seq 50); do [ -s '%s' ] && "
			     "break; sleep 0.1; done",
			     py, portf, ns, nsport, portf),
		     0);
	pid = atoi(out);
	free(out);
	out = slurp(portf);
	port = atoi(out);
	free(out);
	cr_assert_gt(port, 0);
	snprintf(args, sizeof(args),
		 "--unbound-conf '%s' --timeout 2 --resolver 127.0.0.1@%d",
		 lab_conf, port);
	doc = doctor_json(&r, args);
	kill(pid, SIGTERM);
	cr_expect_eq(r.rc, 1, "%s", r.out);
	cr_expect_str_eq(check_status(doc, "transport"), "fail");
	tr = json_object_get(doc, "transport");
	cr_expect(json_is_true(json_object_get(tr, "udp")), "%s", r.out);
	cr_expect(json_is_false(json_object_get(tr, "tcp")), "%s", r.out);
	cr_expect(strstr(json_string_value(json_object_get(tr, "via")),
			 "--resolver") != NULL);
	json_decref(doc);
	res_free(&r);

	/* The lab's name server itself answers over both. */
	snprintf(args, sizeof(args), "--unbound-conf '%s' --resolver %s@%s",
		 lab_conf, ns, nsport);
	doc = doctor_json(&r, args);
	cr_expect_eq(r.rc, 0, "%s", r.out);
	cr_expect_str_eq(check_status(doc, "transport"), "ok");
	json_decref(doc);
	res_free(&r);
}
