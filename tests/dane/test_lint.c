/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The TLSA lint, table-driven: each row is a TLSA RRset (records made from
 * the lab PKI, or literal data) and the codes of the findings it must and
 * must not give, against the chain the lab servers present (leaf + int).
 * Runs offline once the lab's PKI exists (lab up makes it).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include <criterion/criterion.h>

#include "dane/internal.h"
#include "helpers.h"

/* Record sources: a PKI file and parameters, or a literal record. */
struct rec {
	const char *file; /* in $DK_LAB_PKI; NULL: @text is the record */
	unsigned u, s, m;
	const char *text;
};

struct lint_case {
	const char *name;
	int smtp;
	struct rec recs[16];
	size_t nrecs;
	const char *want[4];
	const char *not_want[4];
};

#define LEAF(u, s, m)                     \
	{                                 \
		"leaf.pem", u, s, m, NULL \
	}
#define INT(u, s, m)                     \
	{                                \
		"int.pem", u, s, m, NULL \
	}
#define ROOT(u, s, m)                   \
	{                               \
		"ca.pem", u, s, m, NULL \
	}
#define OTHER(u, s, m)                     \
	{                                  \
		"other.key", u, s, m, NULL \
	}
#define TEXT(t)                  \
	{                        \
		NULL, 0, 0, 0, t \
	}

static const struct lint_case cases[] = {
	{ "single record",
	  1,
	  { LEAF(3, 1, 1) },
	  1,
	  { "tlsa-single-record" },
	  { "tlsa-stale", "tlsa-ta-not-sent" } },
	{ "leaf and issuer",
	  1,
	  { LEAF(3, 1, 1), INT(2, 1, 1) },
	  2,
	  { NULL },
	  { "tlsa-single-record", "tlsa-stale", "tlsa-ta-not-sent" } },
	{ "one key, two digests",
	  1,
	  { LEAF(3, 1, 1), LEAF(3, 1, 2) },
	  2,
	  { "tlsa-single-record" },
	  { "tlsa-sha512-only", "tlsa-stale" } },
	{ "current and next key",
	  1,
	  { LEAF(3, 1, 1), OTHER(3, 1, 1) },
	  2,
	  { "tlsa-stale" },
	  { "tlsa-single-record" } },
	{ "3 0 1 breaks at renewal",
	  1,
	  { LEAF(3, 0, 1), INT(2, 1, 1) },
	  2,
	  { "tlsa-dane-ee-cert" },
	  { "tlsa-stale" } },
	{ "3 0 2 breaks at renewal",
	  1,
	  { LEAF(3, 0, 2), INT(2, 1, 2) },
	  2,
	  { "tlsa-dane-ee-cert", "tlsa-sha512-only" },
	  { NULL } },
	{ "matching type 0",
	  1,
	  { LEAF(3, 1, 0), INT(2, 1, 1) },
	  2,
	  { "tlsa-full-data" },
	  { "tlsa-stale" } },
	{ "SHA-512 only",
	  1,
	  { LEAF(3, 1, 2), INT(2, 1, 2) },
	  2,
	  { "tlsa-sha512-only" },
	  { "tlsa-single-record" } },
	{ "digest of empty input",
	  1,
	  { TEXT("3 1 1 "
		 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b"
		 "855"),
	    LEAF(3, 1, 1) },
	  2,
	  { "tlsa-empty-digest", "tlsa-stale" },
	  { NULL } },
	{ "wrong digest length",
	  1,
	  { TEXT("3 1 1 abcdef"), LEAF(3, 1, 1) },
	  2,
	  { "tlsa-bad-length" },
	  { NULL } },
	{ "duplicate",
	  1,
	  { LEAF(3, 1, 1), LEAF(3, 1, 1), INT(2, 1, 1) },
	  3,
	  { "tlsa-duplicate" },
	  { "tlsa-stale" } },
	{ "trust anchor not sent",
	  1,
	  { LEAF(3, 1, 1), ROOT(2, 1, 1) },
	  2,
	  { "tlsa-ta-not-sent" },
	  { "tlsa-stale" } },
	{ "PKIX usages in SMTP",
	  1,
	  { INT(0, 1, 1), LEAF(1, 1, 1), LEAF(3, 1, 1) },
	  3,
	  { "tlsa-pkix-usage-smtp" },
	  { NULL } },
	{ "PKIX usages in TLS",
	  0,
	  { INT(0, 1, 1), LEAF(1, 1, 1), LEAF(3, 1, 1) },
	  3,
	  { NULL },
	  { "tlsa-pkix-usage-smtp", "tlsa-stale" } },
	{ "unknown parameters",
	  1,
	  { TEXT("4 1 1 00"), LEAF(3, 1, 1), INT(2, 1, 1) },
	  3,
	  { "tlsa-unknown-parameter" },
	  { NULL } },
	{ "more than a dozen",
	  1,
	  { LEAF(3, 1, 1), LEAF(3, 1, 2), LEAF(3, 0, 1), LEAF(3, 0, 2),
	    INT(2, 1, 1), INT(2, 1, 2), INT(2, 0, 1), INT(2, 0, 2),
	    OTHER(3, 1, 1), OTHER(3, 1, 2), OTHER(2, 1, 1), OTHER(2, 1, 2),
	    ROOT(2, 1, 1) },
	  13,
	  { "tlsa-too-many" },
	  { NULL } },
};

static STACK_OF(X509) * load_chain(const char *path)
{
	STACK_OF(X509) *sk = sk_X509_new_null();
	FILE *f = fopen(path, "r");
	X509 *x;

	cr_assert_not_null(f, "cannot open %s", path);
	while ((x = PEM_read_X509(f, NULL, NULL, NULL)) != NULL) {
		sk_X509_push(sk, x);
	}
	fclose(f);
	ERR_clear_error();
	cr_assert_gt(sk_X509_num(sk), 0);
	return sk;
}

static struct dk_tlsa *make_rec(const struct rec *r)
{
	struct dk_tlsa *t = NULL;
	struct dk_input *in = NULL;
	struct dk_diag diag = { "" };
	char path[2048];

	if (!r->file) {
		cr_assert_eq(dk_tlsa_parse(r->text, &t, NULL, &diag), 0,
			     "%s: %s", r->text, diag.why);
		return t;
	}
	snprintf(path, sizeof(path), "%s/%s", dt_lab()->pki, r->file);
	cr_assert_eq(dk_input_read_file(path, &in, &diag), 0, "%s: %s", path,
		     diag.why);
	cr_assert_eq(dk_tlsa_make(in, (uint8_t)r->u, (uint8_t)r->s,
				  (uint8_t)r->m, -1, &t, &diag),
		     0, "%s %u %u %u: %s", r->file, r->u, r->s, r->m, diag.why);
	dk_input_free(in);
	return t;
}

static int has(const struct dk_dane_report *rep, const char *code)
{
	for (size_t i = 0; i < rep->nfindings; i++) {
		if (strcmp(rep->findings[i].code, code) == 0) {
			cr_assert_not_null(rep->findings[i].message);
			return 1;
		}
	}
	return 0;
}

Test(dane_lint, table)
{
	char path[2048];
	STACK_OF(X509) * chain;

	snprintf(path, sizeof(path), "%s/chain.pem", dt_lab()->pki);
	chain = load_chain(path);
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		const struct lint_case *lc = &cases[c];
		struct dk_dane_report *rep = calloc(1, sizeof(*rep));
		struct dk_dane_host *h = calloc(1, sizeof(*h));

		cr_assert(rep && h);
		rep->service =
			lc->smtp ? DK_DANE_SERVICE_SMTP : DK_DANE_SERVICE_TLS;
		rep->hosts = h;
		rep->nhosts = 1;
		h->name = strdup("mail.example.");
		h->tlsa_owner = strdup("_25._tcp.mail.example.");
		h->tlsa_status = DK_DNSSEC_SECURE;
		h->records = calloc(lc->nrecs, sizeof(*h->records));
		cr_assert(h->name && h->tlsa_owner && h->records);
		for (size_t i = 0; i < lc->nrecs; i++) {
			struct dk_tlsa *t = make_rec(&lc->recs[i]);
			unsigned u = dk_tlsa_usage(t);

			h->records[i].tlsa = t;
			h->records[i].usable = u <= 3 &&
					       (!lc->smtp || u >= 2) &&
					       dk_tlsa_selector(t) <= 1 &&
					       dk_tlsa_mtype(t) <= 2;
			h->nusable += (size_t)h->records[i].usable;
			h->nrecords++;
		}
		cr_assert_eq(dki_dane_lint(rep, 0, &chain, 1), 0);
		for (size_t i = 0; i < 4 && lc->want[i]; i++) {
			cr_expect(has(rep, lc->want[i]), "%s: no %s finding",
				  lc->name, lc->want[i]);
		}
		for (size_t i = 0; i < 4 && lc->not_want[i]; i++) {
			cr_expect(!has(rep, lc->not_want[i]),
				  "%s: unexpected %s finding", lc->name,
				  lc->not_want[i]);
		}
		for (size_t i = 0; i < rep->nfindings; i++) {
			const struct dk_dane_finding *f = &rep->findings[i];

			/* Every lint finding cites its RFC section. */
			cr_expect(f->rfc && strncmp(f->rfc, "RFC ", 4) == 0,
				  "%s: %s has no RFC citation", lc->name,
				  f->code);
		}
		dk_dane_report_free(rep);
	}
	sk_X509_pop_free(chain, X509_free);
}

Test(dane_lint, arguments)
{
	struct dk_dane_report rep;

	memset(&rep, 0, sizeof(rep));
	cr_assert_eq(dki_dane_lint(NULL, 0, NULL, 0), DK_EINVAL);
	cr_assert_eq(dki_dane_lint(&rep, 0, NULL, 0), DK_EINVAL);
	cr_assert_eq(dki_dane_lint(&rep, -1, NULL, 0), DK_EINVAL);
}
