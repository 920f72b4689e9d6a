/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Interop: Postfix's posttls-finger agrees with `danekit check smtp` on
 * every SMTP case of the lab.
 *
 * posttls-finger uses the system resolver and trusts its AD bit, so
 * posttls.sh runs both tools inside a private network and mount namespace
 * (a private lab, a validating unbound on 127.0.0.1:53, a private
 * resolv.conf with "options trust-ad"); see README.md. main() runs the
 * script once, before the tests, and it leaves each tool's output in a
 * folder named by DK_INTEROP_OUT; each test maps both outputs to a verdict
 * and compares them. Where namespaces are not permitted, main() exits 77
 * (a skip for meson) with the script's reason.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <jansson.h>

/* --- reading the outputs ------------------------------------------------ */

/* The contents of DK_INTEROP_OUT/NAME (malloc()ed), or NULL. */
static char *slurp(const char *name)
{
	const char *dir = getenv("DK_INTEROP_OUT");
	char path[1024];
	char *buf;
	long len;
	FILE *f;

	if (!dir) {
		return NULL;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "rb");
	if (!f) {
		return NULL;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 ||
	    !(buf = malloc((size_t)len + 1))) {
		fclose(f);
		return NULL;
	}
	rewind(f);
	len = (long)fread(buf, 1, (size_t)len, f);
	buf[len] = '\0';
	fclose(f);
	return buf;
}

/* Fail the test unless the script ran the cases. */
static void need_results(void)
{
	char *st;

	cr_assert(getenv("DK_SRCDIR") && getenv("DANEKIT"),
		  "DK_SRCDIR and DANEKIT must be set (run through meson test)");
	cr_assert_not_null(getenv("DK_INTEROP_OUT"), "no output folder");
	st = slurp("status");
	cr_assert_not_null(st, "tests/interop/posttls.sh left no status "
			       "(killed? see the log above)");
	st[strcspn(st, "\n")] = '\0';
	cr_assert_str_eq(st, "ok", "tests/interop/posttls.sh: %s", st);
	free(st);
}

/* --- verdicts ----------------------------------------------------------- */

/* The same words as danekit's JSON "verdict". */
#define VALID "valid"
#define FAILED "failed"
#define NA "not-applicable"
#define INCOMPLETE "incomplete"

/* The host name that follows @key in @text, up to one of @stops. */
static int host_after(const char *text, const char *key, const char *stops,
		      char *host, size_t len)
{
	const char *p = strstr(text, key);
	size_t n;

	if (!p) {
		return 0;
	}
	p += strlen(key);
	n = strcspn(p, stops);
	if (n == 0 || n >= len) {
		return 0;
	}
	memcpy(host, p, n);
	host[n] = '\0';
	return 1;
}

/* Does the EHLO reply (chat log, "< 250-STARTTLS") offer STARTTLS? */
static int offers_starttls(const char *text)
{
	return strstr(text, "< 250-STARTTLS") || strstr(text, "< 250 STARTTLS");
}

/*
 * posttls-finger -v -l dane output -> verdict of the one host it reports
 * (@host), with the evidence in @why. The mapping (README.md):
 *
 *   "TLSA lookup error"                          failed (deferred)
 *   "Matched DANE" + "Verified TLS connection"   valid
 *   "num=65:no matching DANE TLSA records"       failed
 *   "resorting to \"secure\""                    not-applicable
 *   TLSA found, EHLO without STARTTLS            failed
 *   no connection                                incomplete
 */
static const char *finger_verdict(const char *t, char *host, size_t len,
				  const char **why)
{
	host[0] = '\0';
	if (!host_after(t, "TLS connection established to ", "[", host, len) &&
	    !host_after(t, "Connected to ", "[", host, len)) {
		host_after(t, "TLSA lookup error for ", ":", host, len);
	}
	if (strstr(t, "TLSA lookup error")) {
		/* SERVFAIL from the validating resolver: posttls-finger
		 * does not connect and would defer delivery. */
		*why = "TLSA lookup error (SERVFAIL), no connection";
		return FAILED;
	}
	if (strstr(t, "Matched DANE") &&
	    strstr(t, "Verified TLS connection established")) {
		*why = "Matched DANE ..., Verified TLS connection";
		return VALID;
	}
	if (strstr(t, "no matching DANE TLSA records")) {
		*why = "num=65:no matching DANE TLSA records";
		return FAILED;
	}
	if (strstr(t, "resorting to \"secure\"")) {
		*why = strstr(t, "no usable TLSA records found")
			       ? "no usable TLSA records found"
			       : "no TLSA records found (insecure host)";
		return NA;
	}
	if (strstr(t, "Connected to ") && !offers_starttls(t) &&
	    strstr(t, "type TLSA for ")) {
		*why = "secure TLSA, EHLO without STARTTLS";
		return FAILED;
	}
	if (!strstr(t, "Connected to ")) {
		*why = "no connection";
		return INCOMPLETE;
	}
	*why = "unrecognised output";
	return "unknown";
}

/* The host @name (no final dot) in danekit's report, or NULL. */
static json_t *report_host(json_t *doc, const char *name)
{
	json_t *h;
	size_t i, n = strlen(name);

	json_array_foreach(json_object_get(doc, "hosts"), i, h)
	{
		const char *hn = json_string_value(json_object_get(h, "name"));

		if (hn && strncmp(hn, name, n) == 0 &&
		    (hn[n] == '\0' || (hn[n] == '.' && hn[n + 1] == '\0'))) {
			return h;
		}
	}
	return NULL;
}

static const char *str(json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s ? s : "";
}

/* danekit's exit status for a verdict (DESIGN.md). */
static int verdict_rc(const char *v)
{
	return !strcmp(v, VALID)    ? 0
	       : !strcmp(v, FAILED) ? 1
	       : !strcmp(v, NA)	    ? 2
				    : 75;
}

/* 1 when the audit @doc has a finding @code about @host. */
static int audit_has(json_t *doc, const char *code, const char *host)
{
	json_t *f;
	size_t i;

	json_array_foreach(json_object_get(doc, "findings"), i, f)
	{
		if (!strcmp(str(f, "code"), code) &&
		    !strcmp(str(f, "subject"), host)) {
			return 1;
		}
	}
	return 0;
}

/*
 * danekit audit (AUDIT.md) must reach posttls-finger's outcome @fv for
 * @host: valid <-> dane.pass; failed <-> a critical dane.mismatch,
 * dane.tlsa_lookup_failed or smtp.no_starttls; not-applicable <->
 * dane.not_applicable, dane.unusable_only or dane.tlsa_insecure_ignored.
 */
static void audit_agrees(const char *name, const char *host, const char *fv,
			 const char *finger)
{
	char file[256], *out;
	json_error_t err;
	json_t *doc;
	int pass, fail, na;

	snprintf(file, sizeof(file), "%s.audit.json", name);
	out = slurp(file);
	cr_assert_not_null(out, "no %s", file);
	doc = json_loads(out, 0, &err);
	cr_assert_not_null(doc, "danekit audit output is not JSON (%s): %.300s",
			   err.text, out);
	pass = audit_has(doc, "dane.pass", host);
	fail = audit_has(doc, "dane.mismatch", host) ||
	       audit_has(doc, "dane.tlsa_lookup_failed", host) ||
	       audit_has(doc, "smtp.no_starttls", host);
	na = audit_has(doc, "dane.not_applicable", host) ||
	     audit_has(doc, "dane.unusable_only", host) ||
	     audit_has(doc, "dane.tlsa_insecure_ignored", host);
	fprintf(stderr, "interop: %-12s audit of %s: pass %d fail %d n/a %d\n",
		name, host, pass, fail, na);
	if (!strcmp(fv, VALID)) {
		cr_assert(pass && !fail && !na,
			  "%s: posttls-finger: valid; audit: pass %d fail %d "
			  "n/a %d\n--- posttls-finger:\n%s",
			  name, pass, fail, na, finger);
	} else if (!strcmp(fv, FAILED)) {
		cr_assert(fail && !pass,
			  "%s: posttls-finger: failed; audit: pass %d fail %d",
			  name, pass, fail);
	} else if (!strcmp(fv, NA)) {
		cr_assert(na && !pass && !fail,
			  "%s: posttls-finger: not applicable; audit: pass %d "
			  "fail %d n/a %d",
			  name, pass, fail, na);
	}
	json_decref(doc);
	free(out);
}

/*
 * Case @name: posttls-finger must report host @host with verdict @want;
 * danekit's verdict for that host must be the same, and its verdict for
 * the whole domain must be @domain_want (posttls-finger stops at the
 * first MX host it reaches, danekit checks all of them).
 */
static void check_case(const char *name, const char *host, const char *want,
		       const char *domain_want)
{
	char file[256], fhost[256], *finger, *out, *rcs;
	const char *fv, *why;
	json_error_t err;
	json_t *doc, *h;
	int rc;

	need_results();
	snprintf(file, sizeof(file), "%s.finger", name);
	finger = slurp(file);
	cr_assert_not_null(finger, "no %s", file);
	snprintf(file, sizeof(file), "%s.json", name);
	out = slurp(file);
	cr_assert_not_null(out, "no %s", file);
	snprintf(file, sizeof(file), "%s.rc", name);
	rcs = slurp(file);
	cr_assert_not_null(rcs, "no %s", file);
	rc = atoi(rcs);
	doc = json_loads(out, 0, &err);
	cr_assert_not_null(doc,
			   "danekit output is not JSON (%s, exit %d): "
			   "%.300s",
			   err.text, rc, out);

	fv = finger_verdict(finger, fhost, sizeof(fhost), &why);
	fprintf(stderr,
		"interop: %-12s posttls-finger %s: %s (%s); danekit: host %s, "
		"domain %s (exit %d)\n",
		name, fhost, fv, why, str(report_host(doc, host), "verdict"),
		str(doc, "verdict"), rc);
	cr_assert_str_eq(fhost, host, "posttls-finger reported host '%s'",
			 fhost);
	h = report_host(doc, host);
	cr_assert_not_null(h, "danekit's report has no host %s", host);
	cr_assert_str_eq(fv, str(h, "verdict"),
			 "%s, host %s: posttls-finger says %s (%s), danekit "
			 "says %s\n--- posttls-finger:\n%s",
			 name, host, fv, why, str(h, "verdict"), finger);
	cr_assert_str_eq(fv, want, "%s: both say %s, expected %s", name, fv,
			 want);
	cr_assert_str_eq(str(doc, "verdict"), domain_want);
	cr_assert_eq(rc, verdict_rc(domain_want), "danekit exited %d", rc);
	json_decref(doc);
	audit_agrees(name, host, fv, finger);
	free(finger);
	free(out);
	free(rcs);
}

TestSuite(posttls, .timeout = 30);

Test(posttls, dane_ok)
{
	check_case("dane-ok", "mail.dane-ok.test", VALID, VALID);
}

Test(posttls, dane_ta)
{
	check_case("dane-ta", "mail.dane-ta.test", VALID, VALID);
}

Test(posttls, mismatch)
{
	check_case("mismatch", "mail.mismatch.test", FAILED, FAILED);
}

Test(posttls, expired_cert)
{
	/* DANE-EE ignores the certificate's dates (RFC 7672 section 3.1.1) */
	check_case("expired-cert", "mail.expired-cert.test", VALID, VALID);
}

Test(posttls, insecure)
{
	check_case("insecure", "mail.insecure.test", NA, NA);
}

Test(posttls, bogus_tlsa)
{
	char *f;

	/* posttls-finger sees SERVFAIL; danekit says why: bogus. */
	check_case("bogus-tlsa", "mail.tampered.test", FAILED, FAILED);
	f = slurp("bogus-tlsa.json");
	cr_assert(strstr(f, "tlsa-bogus"), "no tlsa-bogus finding");
	free(f);
	/* Neither tool connects with bogus TLSA data. */
	f = slurp("bogus-tlsa.finger");
	cr_assert_null(strstr(f, "Connected to "));
	free(f);
}

Test(posttls, nostarttls)
{
	check_case("nostarttls", "mail.nostarttls.test", FAILED, FAILED);
}

Test(posttls, two_mx_first_host)
{
	/* posttls-finger stops at the first MX: mail (valid); danekit
	 * also checks mail2, so the domain fails. */
	check_case("two-mx", "mail.two-mx.test", VALID, FAILED);
}

Test(posttls, two_mx_per_host)
{
	check_case("two-mx-mail", "mail.two-mx.test", VALID, FAILED);
	check_case("two-mx-mail2", "mail2.two-mx.test", FAILED, FAILED);
}

Test(posttls, mx_cname)
{
	char *f;

	check_case("mx-cname", "mail.mx-cname.test", VALID, VALID);
	/* Both use the TLSA base domain of the CNAME target. */
	f = slurp("mx-cname.finger");
	cr_assert(strstr(f, "type TLSA for _25._tcp.smtp.secure.test"), "%s",
		  f);
	free(f);
}

Test(posttls, pkix_only)
{
	check_case("pkix-only", "mail.pkix-only.test", NA, NA);
}

Test(posttls, dual_key)
{
	char *f;

	check_case("dual-key", "mail.dual-key.test", VALID, VALID);
	/* ... and with the RSA certificate (TLS 1.2, aRSA only) */
	check_case("dual-key-rsa", "mail.dual-key.test", VALID, VALID);
	f = slurp("dual-key-rsa.finger");
	cr_assert(strstr(f, "ECDHE-RSA-"), "not the RSA certificate:\n%s", f);
	free(f);
}

/* --- main: run the script once, then the tests --------------------------- */

/* Run tests/interop/posttls.sh into a new folder, exported as
 * DK_INTEROP_OUT. Returns 77 if it skipped (its reason is on stderr), else
 * 0: the tests say what went wrong. */
static int run_script(char *dir)
{
	const char *src = getenv("DK_SRCDIR");
	char cmd[4096], *st;
	int rc;

	if (!src || !getenv("DANEKIT") || !mkdtemp(dir)) {
		return 0; /* need_results() says what is missing */
	}
	setenv("DK_INTEROP_OUT", dir, 1);
	/* The script bounds itself (timeout 150 s; its daemons live in a PID
	 * namespace that dies with it); its log goes to our stderr. */
	snprintf(cmd, sizeof(cmd), "bash '%s/tests/interop/posttls.sh' '%s'",
		 src, dir);
	rc = system(cmd);
	st = slurp("status");
	rc = rc != -1 && WIFEXITED(rc) && WEXITSTATUS(rc) == 77 && st &&
	     strncmp(st, "skip ", 5) == 0;
	free(st);
	return rc ? 77 : 0;
}

int main(int argc, char *argv[])
{
	struct criterion_test_set *tests = criterion_initialize();
	char dir[] = "/tmp/dk-interop-out-XXXXXX", cmd[256];
	int result = 0;

	if (criterion_handle_args(argc, argv, true)) {
		/* e.g. unshare is not permitted (not root, no user
		 * namespaces): a skip, not a failure of danekit. */
		result = run_script(dir);
		if (result == 0) {
			result = !criterion_run_all_tests(tests);
		}
		if (getenv("DK_INTEROP_OUT")) {
			if (result == 1) {
				fprintf(stderr, "interop: outputs kept in %s\n",
					dir);
			} else {
				snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
				if (system(cmd) != 0) {
					fprintf(stderr,
						"interop: could not "
						"remove %s\n",
						dir);
				}
			}
		}
	}
	criterion_finalize(tests);
	return result;
}
