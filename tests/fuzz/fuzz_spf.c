/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target: the SPF record parser and macro expansion (mail/
 * spf_parse.c). A record that parses has terms that say what they are;
 * one that does not names its bad term and why. Every domain-spec is
 * expanded with known values and with unknown ones.
 */
#include <string.h>

#include "mail/internal.h"

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dkm_spf_macros known = { 0 }, none = { 0 };
	struct dkm_spf_record r;
	char *text = fuzz_strndup(data, size);
	int e;

	if (!text) {
		return 0;
	}
	known.s = "postmaster@example.com";
	known.l = "postmaster";
	known.o = "example.com";
	known.d = "mail.example.com";
	known.i = "192.0.2.3";
	known.p = "unknown";
	known.v = "in-addr";
	known.h = "mx.example.org";
	none.d = "example.com";
	e = dkm_spf_parse(text, &r);
	FUZZ_CHECK(e == 0 || e == DK_EDATA);
	if (e == DK_EDATA) {
		FUZZ_CHECK(r.bad_term != NULL);
		FUZZ_CHECK(r.why[0] != '\0');
	} else {
		FUZZ_CHECK(dkm_spf_is_record(text));
	}
	for (size_t i = 0; i < r.n; i++) {
		const struct dkm_spf_term *t = &r.terms[i];
		char *out = NULL;
		int x;

		FUZZ_CHECK(t->text && t->text[0]);
		FUZZ_CHECK(t->cidr4 <= 32 && t->cidr6 <= 128);
		if (!t->domain) {
			continue;
		}
		x = dkm_spf_expand(t->domain, &known, &out);
		FUZZ_CHECK(x == 1 || x == DK_EDATA || x == DK_ENOMEM);
		if (x == 1 && t->kind != SPF_UNKNOWN_MOD) {
			FUZZ_CHECK(out != NULL);
			/* RFC 7208 7.3: at most 253 characters, unless a
			 * single label is longer */
			FUZZ_CHECK(strlen(out) <= 253 || !strchr(out, '.'));
		}
		free(out);
		out = NULL;
		x = dkm_spf_expand(t->domain, &none, &out);
		FUZZ_CHECK(x != 1 || out != NULL);
		FUZZ_CHECK(x == 1 || out == NULL);
		free(out);
	}
	dkm_spf_record_free(&r);
	free(text);
	return 0;
}
