/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target: dk_tlsa_from_wire(). What is read must write back to the
 * same bytes, print, and parse back from its RDATA text.
 */
#include <string.h>

#include <danekit/tlsa.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dk_tlsa *t = NULL, *t2 = NULL;
	uint8_t *wire = NULL;
	size_t wlen = 0, dlen = 0;
	int r = dk_tlsa_from_wire(data, size, &t);

	if (r < 0) {
		FUZZ_CHECK(t == NULL);
		FUZZ_CHECK(size < 3 || size > 65535 + 3);
		return 0;
	}
	FUZZ_CHECK(dk_tlsa_to_wire(t, &wire, &wlen) == 0);
	FUZZ_CHECK(wlen == size && memcmp(wire, data, size) == 0);
	free(wire);
	dk_tlsa_data(t, &dlen);
	for (int f = DK_TLSA_FMT_RDATA; f <= DK_TLSA_FMT_NSUPDATE; f++) {
		char *text = NULL;

		r = dk_tlsa_format(t, (enum dk_tlsa_format)f,
				   "_443._tcp.www.example.", 300, &text);
		FUZZ_CHECK(r == 0 || (dlen == 0 && f != DK_TLSA_FMT_RDATA));
		if (r == 0 && f == DK_TLSA_FMT_RDATA && dlen > 0) {
			FUZZ_CHECK(dk_tlsa_parse(text, &t2, NULL, NULL) == 0);
			FUZZ_CHECK(dk_tlsa_cmp(t, t2) == 0);
			dk_tlsa_free(t2);
		}
		free(text);
	}
	(void)dk_tlsa_field_name(DK_TLSA_FIELD_USAGE, dk_tlsa_usage(t));
	(void)dk_tlsa_field_name(DK_TLSA_FIELD_SELECTOR, dk_tlsa_selector(t));
	(void)dk_tlsa_field_name(DK_TLSA_FIELD_MTYPE, dk_tlsa_mtype(t));
	dk_tlsa_free(t);
	return 0;
}
