/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target: the BIMI assertion record parser (mail/dmarc_parse.c). A
 * valid record starts with v=BIMI1; its flags agree with its l= tag.
 */
#include <string.h>
#include <strings.h>

#include "mail/internal.h"

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dkm_bimi_record b;
	char *text = fuzz_strndup(data, size);
	const char *l;
	int e;

	if (!text) {
		return 0;
	}
	e = dkm_bimi_parse(text, &b);
	FUZZ_CHECK(e == 0 || e == DK_EDATA);
	FUZZ_CHECK((e == 0) == (b.valid == 1));
	if (e == 0) {
		FUZZ_CHECK(b.tags.n > 0 &&
			   strcmp(b.tags.tags[0].name, "v") == 0);
		l = dkm_taglist_get(&b.tags, "l");
		FUZZ_CHECK(b.l_missing == (l == NULL));
		if (b.declined) {
			FUZZ_CHECK(l && !*l);
		}
		if (l && *l && !b.l_not_https) {
			FUZZ_CHECK(strncasecmp(l, "https://", 8) == 0);
		}
	} else {
		FUZZ_CHECK(b.why[0] != '\0');
	}
	dkm_bimi_record_free(&b);
	free(text);
	return 0;
}
