/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target: the DMARC record parser (mail/dmarc_parse.c). A valid
 * record has policies, pct, t and psd in their ranges; a record that is
 * not a candidate is never valid.
 */
#include <string.h>

#include "mail/internal.h"

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dkm_dmarc_record r;
	char *text = fuzz_strndup(data, size);
	int e;

	if (!text) {
		return 0;
	}
	e = dkm_dmarc_parse(text, &r);
	FUZZ_CHECK(e == 0 || e == DK_EDATA);
	FUZZ_CHECK((e == 0) == (r.valid == 1));
	if (!dkm_dmarc_candidate(text)) {
		FUZZ_CHECK(e == DK_EDATA);
	}
	if (e == 0) {
		FUZZ_CHECK(r.p >= -2 && r.p <= 2);
		FUZZ_CHECK(r.sp >= -2 && r.sp <= 2);
		FUZZ_CHECK(r.np >= -2 && r.np <= 2);
		FUZZ_CHECK(r.pct >= -2 && r.pct <= 100);
		FUZZ_CHECK(r.t >= -2 && r.t <= 1);
		FUZZ_CHECK(r.psd >= -2 && r.psd <= 2);
		FUZZ_CHECK(strchr(text, ';') != NULL);
		for (size_t i = 0; i < r.n; i++) {
			FUZZ_CHECK(r.tags[i].name && r.tags[i].value);
			(void)dkm_dmarc_tag(&r, r.tags[i].name);
		}
		(void)dkm_dmarc_policy_name(r.p);
	} else {
		FUZZ_CHECK(r.why[0] != '\0');
	}
	dkm_dmarc_record_free(&r);
	free(text);
	return 0;
}
