/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * `danekit tlsa`, run as a program ($DANEKIT) in the fixtures folder:
 * records against openssl's association data (expected.tsv), formats,
 * standard input, --list, duplicates and order; and every bad input or
 * option: exit status, exactly one line on stderr naming the file, and
 * nothing on stdout, also when the bad input follows good ones.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <jansson.h>

#include "helpers.h"

#define PREFIX "danekit: tlsa: "

static const char *hex_of(const char *file, int u, int s, int m)
{
	const struct fx_row *r = fx_find(file, u, s, m);

	cr_assert_not_null(r, "no expected row for %s %d %d %d", file, u, s, m);
	return r->hex;
}

static void expect_ok(const struct fx_run *r, const char *want_out)
{
	cr_assert_eq(r->status, 0, "exit %d, stderr: %s", r->status, r->err);
	cr_assert_str_empty(r->err, "stderr: %s", r->err);
	if (want_out) {
		cr_assert_str_eq(r->out, want_out);
	}
}

/* ---- good cases ---- */

Test(cli_good, default_rdata)
{
	struct fx_run r;
	char *want = NULL;

	fx_run(&r, NULL, "tlsa", "p256.crt.pem", NULL);
	cr_assert(asprintf(&want, "3 1 1 %s\n",
			   hex_of("p256.crt.pem", 3, 1, 1)) > 0);
	expect_ok(&r, want);
	free(want);
	fx_run_free(&r);
}

/* Every input file of the fixtures, one run each, default 3 1 1. */
Test(cli_good, every_input_default)
{
	size_t n;
	const struct fx_row *rows = fx_rows(&n);
	size_t runs = 0;

	for (size_t i = 0; i < n; i++) {
		struct fx_run r;
		char *want = NULL;

		if (rows[i].usage != 3 || rows[i].selector != 1 ||
		    rows[i].mtype != 1) {
			continue;
		}
		fx_run(&r, NULL, "tlsa", rows[i].file, NULL);
		cr_assert(asprintf(&want, "3 1 1 %s\n", rows[i].hex) > 0);
		cr_assert_eq(r.status, 0, "%s: exit %d: %s", rows[i].file,
			     r.status, r.err);
		cr_assert_str_eq(r.out, want, "%s", rows[i].file);
		cr_assert_str_empty(r.err);
		free(want);
		fx_run_free(&r);
		runs++;
	}
	cr_assert_geq(runs, 60);
}

/* Every usage x selector x mtype, with numbers and with mnemonics. */
Test(cli_good, options_matrix)
{
	static const char *const un[] = { "pkix-ta", "PKIX-EE", "Dane-TA",
					  "DANE-EE" };
	static const char *const sn[] = { "CERT", "spki" };
	static const char *const mn[] = { "full", "Sha2-256", "SHA2-512" };
	static const char *const files[] = { "chain.pem", "rsa.crt.der" };

	for (size_t f = 0; f < 2; f++) {
		for (int u = 0; u < 4; u++) {
			for (int s = 0; s < 2; s++) {
				for (int m = 0; m < 3; m++) {
					char us[4], ss[4], ms[4];
					char *want = NULL;
					struct fx_run r;

					snprintf(us, sizeof(us), "%d", u);
					snprintf(ss, sizeof(ss), "%d", s);
					snprintf(ms, sizeof(ms), "%d", m);
					cr_assert(asprintf(&want,
							   "%d %d %d %s\n", u,
							   s, m,
							   hex_of(files[f], u,
								  s, m)) > 0);
					fx_run(&r, NULL, "tlsa", "--usage", us,
					       "--selector", ss, "--mtype", ms,
					       files[f], NULL);
					expect_ok(&r, want);
					fx_run_free(&r);
					fx_run(&r, NULL, "tlsa", "-u", un[u],
					       "-s", sn[s], "-m", mn[m],
					       files[f], NULL);
					expect_ok(&r, want);
					fx_run_free(&r);
					free(want);
				}
			}
		}
	}
}

Test(cli_good, cert_index)
{
	static const char *const certs[] = { "leaf.crt.pem", "int.crt.pem",
					     "ca.crt.pem" };

	for (int i = 0; i < 3; i++) {
		char idx[4];
		char *want = NULL;
		struct fx_run r;

		snprintf(idx, sizeof(idx), "%d", i);
		cr_assert(asprintf(&want, "2 0 1 %s\n",
				   hex_of(certs[i], 2, 0, 1)) > 0);
		fx_run(&r, NULL, "tlsa", "--usage", "2", "--selector", "0",
		       "--cert-index", idx, "chain.pem", NULL);
		expect_ok(&r, want);
		fx_run_free(&r);
		free(want);
	}
}

Test(cli_good, formats_with_host)
{
	const char *hex = hex_of("ed25519.crt.pem", 3, 1, 1);
	char *want = NULL;
	struct fx_run r;

	fx_run(&r, NULL, "tlsa", "--host", "mail.example.com",
	       "ed25519.crt.pem", NULL);
	cr_assert(asprintf(&want,
			   "_25._tcp.mail.example.com. 3600 IN TLSA 3 1 1 %s\n",
			   hex) > 0);
	expect_ok(&r, want);
	fx_run_free(&r);
	fx_run(&r, NULL, "tlsa", "--host", "mail.example.com", "--format",
	       "zone", "ed25519.crt.pem", NULL);
	expect_ok(&r, want);
	fx_run_free(&r);
	free(want);

	fx_run(&r, NULL, "tlsa", "--host", "MX1.Example.NET.", "--port", "465",
	       "--proto", "tcp", "--ttl", "300", "ed25519.crt.pem", NULL);
	cr_assert(asprintf(&want,
			   "_465._tcp.mx1.example.net. 300 IN TLSA 3 1 1 %s\n",
			   hex) > 0);
	expect_ok(&r, want);
	fx_run_free(&r);
	free(want);

	fx_run(&r, NULL, "tlsa", "--host", "mail.example.com", "--format",
	       "generic", "ed25519.crt.pem", NULL);
	cr_assert(asprintf(&want,
			   "_25._tcp.mail.example.com. 3600 IN TYPE52 \\# 35 "
			   "030101%s\n",
			   hex) > 0);
	expect_ok(&r, want);
	fx_run_free(&r);
	free(want);

	fx_run(&r, NULL, "tlsa", "--host", "mail.example.com", "--format",
	       "nsupdate", "--ttl", "0", "ed25519.crt.pem", NULL);
	cr_assert(asprintf(&want,
			   "update add _25._tcp.mail.example.com. 0 IN TLSA 3 "
			   "1 1 %s\n",
			   hex) > 0);
	expect_ok(&r, want);
	fx_run_free(&r);
	free(want);

	fx_run(&r, NULL, "tlsa", "--host", "mail.example.com", "--format",
	       "rdata", "ed25519.crt.pem", NULL);
	cr_assert(asprintf(&want, "3 1 1 %s\n", hex) > 0);
	expect_ok(&r, want);
	fx_run_free(&r);
	free(want);

	fx_run(&r, NULL, "tlsa", "--host", "www.example.org", "--port", "443",
	       "--proto", "udp", "--mtype", "2", "ed25519.crt.pem", NULL);
	cr_assert(asprintf(&want,
			   "_443._udp.www.example.org. 3600 IN TLSA 3 1 2 %s\n",
			   hex_of("ed25519.crt.pem", 3, 1, 2)) > 0);
	expect_ok(&r, want);
	fx_run_free(&r);
	free(want);
}

static json_t *parse_json(const struct fx_run *r)
{
	json_error_t jerr;
	json_t *j;

	cr_assert_eq(r->status, 0, "exit %d: %s", r->status, r->err);
	cr_assert_str_empty(r->err);
	j = json_loads(r->out, 0, &jerr);
	cr_assert_not_null(j, "stdout is not JSON (%s): %s", jerr.text, r->out);
	return j;
}

/* The records of a "tlsa" document (the document is kept alive by *@doc). */
static json_t *tlsa_records(const struct fx_run *r, json_t **doc)
{
	*doc = parse_json(r);
	cr_assert_str_eq(json_string_value(json_object_get(*doc, "command")),
			 "tlsa", "%s", r->out);
	cr_assert_eq(json_integer_value(json_object_get(*doc, "exit")), 0);
	cr_assert(json_is_array(json_object_get(*doc, "records")), "%s",
		  r->out);
	return json_object_get(*doc, "records");
}

static void check_json_record(json_t *o, const char *name, long ttl, int u,
			      int s, int m, const char *file)
{
	cr_assert(json_is_object(o));
	if (name) {
		cr_assert_str_eq(json_string_value(json_object_get(o, "name")),
				 name);
	} else {
		json_t *n = json_object_get(o, "name");

		cr_assert(!n || json_is_null(n), "name without --host");
	}
	cr_assert(json_is_integer(json_object_get(o, "ttl")));
	cr_assert_eq(json_integer_value(json_object_get(o, "ttl")), ttl);
	cr_assert_eq(json_integer_value(json_object_get(o, "usage")), u);
	cr_assert_eq(json_integer_value(json_object_get(o, "selector")), s);
	cr_assert_eq(json_integer_value(json_object_get(o, "mtype")), m);
	cr_assert_str_eq(json_string_value(json_object_get(o, "data")),
			 hex_of(file, u, s, m));
	cr_assert_str_eq(json_string_value(json_object_get(o, "source")), file);
}

Test(cli_good, json)
{
	struct fx_run r;
	json_t *j, *doc;

	fx_run(&r, NULL, "tlsa", "--format", "json", "--host",
	       "mail.example.com", "--ttl", "600", "p384.crt.pem",
	       "rsa.pub.der", NULL);
	j = tlsa_records(&r, &doc);
	cr_assert(json_is_array(j), "not an array: %s", r.out);
	cr_assert_eq(json_array_size(j), 2);
	check_json_record(json_array_get(j, 0), "_25._tcp.mail.example.com.",
			  600, 3, 1, 1, "p384.crt.pem");
	check_json_record(json_array_get(j, 1), "_25._tcp.mail.example.com.",
			  600, 3, 1, 1, "rsa.pub.der");
	json_decref(doc);
	fx_run_free(&r);

	/* without --host; the global --json after the command */
	fx_run(&r, NULL, "tlsa", "--json", "-u", "2", "-s", "0", "-m", "2",
	       "chain.pem", NULL);
	j = tlsa_records(&r, &doc);
	cr_assert_eq(json_array_size(j), 1);
	check_json_record(json_array_get(j, 0), NULL, 3600, 2, 0, 2,
			  "chain.pem");
	cr_assert_str_eq(json_string_value(
				 json_object_get(json_array_get(j, 0), "data")),
			 hex_of("ca.crt.pem", 2, 0, 2));
	json_decref(doc);
	fx_run_free(&r);

	/* the global --json before the command */
	fx_run(&r, NULL, "--json", "tlsa", "p521.csr.der", NULL);
	j = tlsa_records(&r, &doc);
	cr_assert_eq(json_array_size(j), 1);
	check_json_record(json_array_get(j, 0), NULL, 3600, 3, 1, 1,
			  "p521.csr.der");
	json_decref(doc);
	fx_run_free(&r);
}

Test(cli_good, stdin)
{
	static const char *const files[] = { "p256.crt.pem", "rsa.crt.der",
					     "ed448.key.der", "chain.pem" };

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char *path = fx_path(files[i]);
		char *want = NULL;
		struct fx_run r;

		cr_assert(asprintf(&want, "%s 3 1 1 %s\n", "",
				   hex_of(files[i], 3, 1, 1)) > 0);
		fx_run(&r, path, "tlsa", "-", NULL);
		expect_ok(&r, want + 1);
		fx_run_free(&r);
		free(want);
		free(path);
	}
	/* through a pipe (not a regular file) */
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char *path = fx_path(files[i]);
		char *src = NULL;
		char *want = NULL;
		struct fx_run r;

		cr_assert(asprintf(&src, "|%s", path) > 0);
		cr_assert(asprintf(&want, "3 1 1 %s\n",
				   hex_of(files[i], 3, 1, 1)) > 0);
		fx_run(&r, src, "tlsa", "-", NULL);
		expect_ok(&r, want);
		fx_run_free(&r);
		free(want);
		free(src);
		free(path);
	}
	/* stdin between files, in order */
	{
		char *path = fx_path("p384.pub.pem");
		char *want = NULL;
		struct fx_run r;

		cr_assert(asprintf(&want, "3 1 1 %s\n3 1 1 %s\n3 1 1 %s\n",
				   hex_of("ed25519.crt.pem", 3, 1, 1),
				   hex_of("p384.pub.pem", 3, 1, 1),
				   hex_of("rsa.crt.pem", 3, 1, 1)) > 0);
		fx_run(&r, path, "tlsa", "ed25519.crt.pem", "-", "rsa.crt.pem",
		       NULL);
		expect_ok(&r, want);
		fx_run_free(&r);
		free(want);
		free(path);
	}
}

Test(cli_good, list)
{
	char *list = fx_tmpfile("list.txt", "# inputs\n"
					    "p256.crt.pem\n"
					    "\n"
					    "   rsa.crt.der  \n"
					    "# comment\n"
					    "ed448.pub.pem\n");
	char *want = NULL;
	struct fx_run r;

	cr_assert(asprintf(&want, "3 1 1 %s\n3 1 1 %s\n3 1 1 %s\n3 1 1 %s\n",
			   hex_of("p256.crt.pem", 3, 1, 1),
			   hex_of("rsa.crt.der", 3, 1, 1),
			   hex_of("ed448.pub.pem", 3, 1, 1),
			   hex_of("p521.crt.pem", 3, 1, 1)) > 0);
	fx_run(&r, NULL, "tlsa", "--list", list, "p521.crt.pem", NULL);
	expect_ok(&r, want);
	fx_run_free(&r);
	free(want);
	/* the list from standard input */
	cr_assert(asprintf(&want, "3 1 1 %s\n3 1 1 %s\n3 1 1 %s\n",
			   hex_of("p256.crt.pem", 3, 1, 1),
			   hex_of("rsa.crt.der", 3, 1, 1),
			   hex_of("ed448.pub.pem", 3, 1, 1)) > 0);
	fx_run(&r, list, "tlsa", "--list", "-", NULL);
	expect_ok(&r, want);
	fx_run_free(&r);
	free(want);
	free(list);
}

Test(cli_good, duplicates_once_in_first_place)
{
	char *want = NULL;
	struct fx_run r;

	/* one key in five forms: one SPKI record */
	cr_assert(asprintf(&want, "3 1 1 %s\n3 1 1 %s\n",
			   hex_of("p256.crt.pem", 3, 1, 1),
			   hex_of("rsa.crt.pem", 3, 1, 1)) > 0);
	fx_run(&r, NULL, "tlsa", "p256.crt.pem", "p256.key.pem", "rsa.crt.pem",
	       "p256.pub.der", "p256.csr.pem", "p256.trad.der", "p256.crt.pem",
	       "rsa.key.der", NULL);
	expect_ok(&r, want);
	fx_run_free(&r);
	free(want);
	/* the same certificate as PEM and DER, selector 0 */
	cr_assert(asprintf(&want, "3 0 1 %s\n",
			   hex_of("rsa.crt.pem", 3, 0, 1)) > 0);
	fx_run(&r, NULL, "tlsa", "-s", "0", "rsa.crt.pem", "rsa.crt.der", NULL);
	expect_ok(&r, want);
	fx_run_free(&r);
	free(want);
	/* the leaf and the chain give one DANE-EE record */
	cr_assert(asprintf(&want, "3 1 2 %s\n",
			   hex_of("leaf.crt.pem", 3, 1, 2)) > 0);
	fx_run(&r, NULL, "tlsa", "-m", "2", "chain.pem", "leaf.crt.der",
	       "chain2.pem", "leaf.key.pem", "combo.pem", NULL);
	expect_ok(&r, want);
	fx_run_free(&r);
	free(want);
}

Test(cli_good, input_order)
{
	static const char *const files[] = {
		"rsa.crt.pem",	"p256.crt.pem",	   "p384.crt.pem",
		"p521.crt.pem", "ed25519.crt.pem", "ed448.crt.pem"
	};
	const char *args[16];
	char *want = NULL;
	size_t len = 0;
	FILE *f;
	struct fx_run r;

	for (int dir = 0; dir < 2; dir++) {
		f = open_memstream(&want, &len);
		args[0] = "tlsa";
		for (size_t i = 0; i < 6; i++) {
			const char *file = files[dir ? 5 - i : i];

			args[1 + i] = file;
			fprintf(f, "3 1 1 %s\n", hex_of(file, 3, 1, 1));
		}
		args[7] = NULL;
		fclose(f);
		fx_run_argv(&r, NULL, args);
		expect_ok(&r, want);
		fx_run_free(&r);
		free(want);
		want = NULL;
	}
}

Test(cli_good, help)
{
	struct fx_run r;

	fx_run(&r, NULL, "tlsa", "--help", NULL);
	cr_assert_eq(r.status, 0);
	cr_assert_str_empty(r.err);
	cr_assert(strstr(r.out, "Usage: danekit tlsa"), "%s", r.out);
	fx_run_free(&r);
	fx_run(&r, NULL, "tlsa", "-h", "bad/missing.pem", NULL);
	cr_assert_eq(r.status, 0);
	cr_assert_str_empty(r.err);
	cr_assert(strstr(r.out, "--cert-index"));
	fx_run_free(&r);
}

/* ---- bad inputs ---- */

static void expect_fail(const struct fx_run *r, int status, const char *what,
			const char *name, const char *part)
{
	cr_assert_eq(r->status, status, "%s: exit %d, expected %d; stderr: %s",
		     what, r->status, status, r->err);
	cr_assert_eq(r->outlen, 0, "%s: stdout not empty: %s", what, r->out);
	cr_assert_eq(fx_lines(r->err), 1, "%s: stderr is not one line: %s",
		     what, r->err);
	cr_assert(r->errlen > 0 && r->err[r->errlen - 1] == '\n',
		  "%s: stderr does not end the line: %s", what, r->err);
	cr_assert(strncmp(r->err, PREFIX, strlen(PREFIX)) == 0,
		  "%s: stderr does not start with '" PREFIX "': %s", what,
		  r->err);
	if (name) {
		cr_assert(strstr(r->err, name),
			  "%s: stderr does not name '%s': %s", what, name,
			  r->err);
	}
	if (part) {
		cr_assert(strcasestr(r->err, part),
			  "%s: stderr does not say '%s': %s", what, part,
			  r->err);
	}
}

struct bad_case {
	const char *file;
	int status;
	const char *part;    /* the message says this */
	const char *opt[4];  /* options before the files */
	const char *good[3]; /* good inputs under these options, if not the
				usual ones; { "" } for none */
};

static const struct bad_case bad_inputs[] = {
	{ "bad/missing.pem", 66, NULL, { NULL }, { NULL } },
	{ "bad/no-such-dir/x.pem", 66, NULL, { NULL }, { NULL } },
	{ "bad/dir", 66, "directory", { NULL }, { NULL } },
	{ "bad/empty.pem", 65, "empty", { NULL }, { NULL } },
	{ "bad/truncated.pem", 65, NULL, { NULL }, { NULL } },
	{ "bad/truncated-chain.pem", 65, NULL, { NULL }, { NULL } },
	{ "bad/corrupt-base64.pem", 65, NULL, { NULL }, { NULL } },
	{ "bad/corrupt-der.pem", 65, NULL, { NULL }, { NULL } },
	{ "bad/unknown-label.pem", 65, "FOO", { NULL }, { NULL } },
	{ "bad/truncated.der", 65, NULL, { NULL }, { NULL } },
	{ "bad/trailing.der", 65, NULL, { NULL }, { NULL } },
	{ "bad/trailing.pem", 65, NULL, { NULL }, { NULL } },
	{ "bad/random.bin", 65, NULL, { NULL }, { NULL } },
	{ "bad/text.txt", 65, NULL, { NULL }, { NULL } },
	{ "bad/big.bin", 65, "limit", { NULL }, { NULL } },
	{ "bad/encrypted.pem", 65, "encrypted", { NULL }, { NULL } },
	{ "bad/encrypted.der", 65, "encrypted", { NULL }, { NULL } },
	{ "bad/encrypted-trad.pem", 65, "encrypted", { NULL }, { NULL } },
	{ "bad/two-keys.pem", 65, NULL, { NULL }, { NULL } },
	{ "p256.key.pem",
	  65,
	  "only a public key",
	  { "--selector", "0" },
	  { NULL } },
	{ "ed448.key.der",
	  65,
	  "only a public key",
	  { "-s", "Cert" },
	  { NULL } },
	{ "rsa.pub.pem", 65, "selector 0", { "-s", "0" }, { NULL } },
	{ "p384.csr.pem",
	  65,
	  "selector 0",
	  { "-s", "0", "-u", "1" },
	  { NULL } },
	{ "rsa.csr.der", 65, "selector 0", { "-s", "cert" }, { NULL } },
	{ "chain.pem", 64, "range", { "--cert-index", "3" }, { "" } },
	{ "chain2.pem",
	  64,
	  "range",
	  { "--cert-index", "2" },
	  { "chain.pem", NULL } },
	{ "p256.crt.der",
	  64,
	  "range",
	  { "--cert-index", "1" },
	  { "chain.pem", "chain2.pem", NULL } },
	{ "p256.key.pem",
	  64,
	  NULL,
	  { "--cert-index", "1" },
	  { "chain2.pem", NULL } },
};

static void run_bad(const struct bad_case *c, const char *const *before,
		    const char *const *after, const char *label)
{
	const char *args[32];
	size_t n = 0;
	struct fx_run r;

	args[n++] = "tlsa";
	for (size_t k = 0; k < 4 && c->opt[k]; k++) {
		args[n++] = c->opt[k];
	}
	if (c->good[0] && (before || after)) {
		if (!*c->good[0]) {
			return; /* no good input under these options */
		}
		before = before ? c->good : NULL;
		after = after ? c->good : NULL;
	}
	for (; before && *before; before++) {
		args[n++] = *before;
	}
	args[n++] = c->file;
	for (; after && *after; after++) {
		args[n++] = *after;
	}
	args[n] = NULL;
	fx_run_argv(&r, NULL, args);
	expect_fail(&r, c->status, label, c->file, c->part);
	fx_run_free(&r);
}

Test(cli_bad, inputs_alone)
{
	for (size_t i = 0; i < sizeof(bad_inputs) / sizeof(bad_inputs[0]);
	     i++) {
		run_bad(&bad_inputs[i], NULL, NULL, bad_inputs[i].file);
	}
}

/* All inputs are read before anything is printed. */
Test(cli_bad, inputs_after_good_ones)
{
	static const char *const good[] = { "rsa.crt.pem", "chain.pem",
					    "p256.crt.der", NULL };

	for (size_t i = 0; i < sizeof(bad_inputs) / sizeof(bad_inputs[0]);
	     i++) {
		run_bad(&bad_inputs[i], good, NULL, bad_inputs[i].file);
	}
}

Test(cli_bad, inputs_before_good_ones)
{
	static const char *const good[] = { "rsa.crt.pem", "chain.pem", NULL };

	for (size_t i = 0; i < sizeof(bad_inputs) / sizeof(bad_inputs[0]);
	     i++) {
		run_bad(&bad_inputs[i], good, good, bad_inputs[i].file);
	}
}

Test(cli_bad, first_bad_input_is_named)
{
	struct fx_run r;

	fx_run(&r, NULL, "tlsa", "rsa.crt.pem", "bad/empty.pem",
	       "bad/missing.pem", NULL);
	expect_fail(&r, 65, "two bad inputs", "bad/empty.pem", NULL);
	fx_run_free(&r);
}

Test(cli_bad, stdin)
{
	static const struct {
		const char *file;
		int status;
		const char *part;
	} t[] = {
		{ "bad/empty.pem", 65, "empty" },
		{ "bad/text.txt", 65, NULL },
		{ "bad/random.bin", 65, NULL },
		{ "bad/unknown-label.pem", 65, "FOO" },
		{ "bad/encrypted.pem", 65, "encrypted" },
		{ "bad/big.bin", 65, "limit" },
		{ "bad/truncated.pem", 65, NULL },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char *path = fx_path(t[i].file);
		struct fx_run r;

		fx_run(&r, path, "tlsa", "-", NULL);
		expect_fail(&r, t[i].status, t[i].file, "<stdin>", t[i].part);
		fx_run_free(&r);
		fx_run(&r, path, "tlsa", "--host", "mx.example", "p256.crt.pem",
		       "-", NULL);
		expect_fail(&r, t[i].status, t[i].file, "<stdin>", t[i].part);
		fx_run_free(&r);
		free(path);
		/* through a pipe: the size is known only by reading */
		path = NULL;
		cr_assert(asprintf(&path, "|%s/%s", fx_dir(), t[i].file) > 0);
		fx_run(&r, path, "tlsa", "rsa.crt.pem", "-", NULL);
		expect_fail(&r, t[i].status, t[i].file, "<stdin>", t[i].part);
		fx_run_free(&r);
		free(path);
	}
}

Test(cli_bad, list)
{
	char *list = fx_tmpfile("badlist.txt", "p256.crt.pem\nrsa.crt.pem\n"
					       "bad/unknown-label.pem\n");
	char *empty = fx_tmpfile("emptylist.txt", "# nothing\n\n");
	struct fx_run r;

	fx_run(&r, NULL, "tlsa", "--list", list, NULL);
	expect_fail(&r, 65, "bad input in a list", "bad/unknown-label.pem",
		    "FOO");
	fx_run_free(&r);
	fx_run(&r, NULL, "tlsa", "--list", "bad/missing-list.txt", NULL);
	expect_fail(&r, 66, "missing list", "bad/missing-list.txt", NULL);
	fx_run_free(&r);
	fx_run(&r, NULL, "tlsa", "--list", empty, NULL);
	expect_fail(&r, 64, "empty list", empty, NULL);
	fx_run_free(&r);
	free(list);
	free(empty);
}

Test(cli_bad, unreadable)
{
	char *path = fx_tmpfile("unreadable.pem", "x");
	struct fx_run r;

	cr_assert_eq(chmod(path, 0), 0);
	/* As root too: the run drops the capability to override modes. */
	fx_no_dac_override = 1;
	fx_run(&r, NULL, "tlsa", "rsa.crt.pem", path, NULL);
	cr_assert_neq(r.status, 126, "could not drop CAP_DAC_OVERRIDE");
	expect_fail(&r, 66, "unreadable", path, NULL);
	fx_run_free(&r);
	free(path);
}

/* ---- options ---- */

Test(cli_bad, options)
{
	static const struct {
		const char *args[8];
		const char *part;
	} t[] = {
		{ { "--usage", "4" }, "--usage" },
		{ { "--usage", "-1" }, "--usage" },
		{ { "--usage", "DANE-XX" }, "--usage" },
		{ { "--usage", "" }, "--usage" },
		{ { "-u", "255" }, "--usage" },
		{ { "--selector", "2" }, "--selector" },
		{ { "--selector", "full" }, "--selector" },
		{ { "--mtype", "3" }, "--mtype" },
		{ { "--mtype", "SHA2-384" }, "--mtype" },
		{ { "--port", "0" }, "--port" },
		{ { "--port", "70000" }, "--port" },
		{ { "--port", "65536" }, "--port" },
		{ { "--port", "-25" }, "--port" },
		{ { "--port", "25x" }, "--port" },
		{ { "--ttl", "-1" }, "--ttl" },
		{ { "--ttl", "2147483648" }, "--ttl" },
		{ { "--ttl", "1h" }, "--ttl" },
		{ { "--format", "bind" }, "--format" },
		{ { "--format", "JSONX" }, "--format" },
		{ { "--proto", "icmp" }, "--proto" },
		{ { "--cert-index", "-1" }, "--cert-index" },
		{ { "--cert-index", "x" }, "--cert-index" },
		{ { "--host", "" }, "--host" },
		{ { "--host", "a..example" }, "empty label" },
		{ { "--host", ".example" }, "empty label" },
		{ { "--host", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
			      "aaaaaaaaaaaaaaaa.example" },
		  "63" },
		{ { "--host", "b\xc3\xbc"
			      "cher.example" },
		  "A-label" },
		{ { "--host", "mail example" }, "--host" },
		{ { "--host", "-mail.example" }, "--host" },
		{ { "--format", "zone" }, "--host" },
		{ { "--format", "generic" }, "--host" },
		{ { "--format", "nsupdate" }, "--host" },
		{ { "--frobnicate" }, "--frobnicate" },
		{ { "-x" }, "-x" },
		{ { "--timeout", "abc" }, "--timeout" },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		const char *args[16];
		size_t n = 0;
		struct fx_run r;

		args[n++] = "tlsa";
		for (size_t k = 0; t[i].args[k]; k++) {
			args[n++] = t[i].args[k];
		}
		args[n++] = "p256.crt.pem";
		args[n] = NULL;
		fx_run_argv(&r, NULL, args);
		expect_fail(&r, 64, t[i].args[1] ? t[i].args[1] : t[i].args[0],
			    NULL, t[i].part);
		fx_run_free(&r);
		/* also with the option after the inputs */
		n = 0;
		args[n++] = "tlsa";
		args[n++] = "p256.crt.pem";
		for (size_t k = 0; t[i].args[k]; k++) {
			args[n++] = t[i].args[k];
		}
		args[n] = NULL;
		fx_run_argv(&r, NULL, args);
		expect_fail(&r, 64, t[i].args[0], NULL, t[i].part);
		fx_run_free(&r);
	}
}

Test(cli_bad, host_too_long)
{
	char host[300];
	char label[64];
	struct fx_run r;

	memset(label, 'a', 63);
	label[63] = '\0';
	snprintf(host, sizeof(host), "%s.%s.%s.%s.example", label, label, label,
		 label);
	fx_run(&r, NULL, "tlsa", "--host", host, "p256.crt.pem", NULL);
	expect_fail(&r, 64, "host too long", NULL, "253");
	fx_run_free(&r);
	/* a host that fits, but not in the owner name */
	snprintf(host, sizeof(host), "%s.%s.%s.%.55s", label, label, label,
		 label);
	fx_run(&r, NULL, "tlsa", "--host", host, "p256.crt.pem", NULL);
	expect_fail(&r, 64, "owner too long", NULL, "253");
	fx_run_free(&r);
}

Test(cli_bad, usage_errors)
{
	struct fx_run r;

	fx_run(&r, NULL, "tlsa", NULL);
	expect_fail(&r, 64, "no input", NULL, "input");
	fx_run_free(&r);
	fx_run(&r, NULL, "tlsa", "--usage", NULL);
	expect_fail(&r, 64, "missing value", NULL, "--usage");
	fx_run_free(&r);
	fx_run(&r, NULL, "tlsa", "-", "p256.crt.pem", "-", NULL);
	expect_fail(&r, 64, "stdin twice", NULL, "standard input");
	fx_run_free(&r);
}
