/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target: the root element of a BIMI logo (dkm_svg_check(),
 * mail/sts_parse.c): any octets, as fetched. tiny_ps only with the
 * attribute baseProfile="tiny-ps"; a failure says why.
 */
#include <string.h>

#include "mail/internal.h"

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dkm_svg s;
	int e = dkm_svg_check(data, size, &s);

	FUZZ_CHECK(e == 0 || e == DK_EDATA);
	if (e == 0) {
		FUZZ_CHECK(s.is_svg);
		FUZZ_CHECK(!s.tiny_ps || (s.has_base_profile &&
					  !strcmp(s.base_profile, "tiny-ps")));
	} else {
		FUZZ_CHECK(s.why[0] != '\0');
	}
	return 0;
}
