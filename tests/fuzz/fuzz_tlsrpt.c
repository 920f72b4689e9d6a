/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target: the TLS-RPT record parser (mail/sts_parse.c, RFC 8460
 * section 3) and the rua URI check. A valid record starts with
 * v=TLSRPTv1; its URIs are non-empty and printable.
 */
#include <string.h>
#include <strings.h>

#include "mail/internal.h"

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dkm_tlsrpt_record r;
	char *text = fuzz_strndup(data, size);
	int e;

	if (!text) {
		return 0;
	}
	e = dkm_tlsrpt_parse(text, &r);
	FUZZ_CHECK(e == 0 || e == DK_EDATA || e == DK_ENOMEM);
	if (e == 0) {
		FUZZ_CHECK(r.valid && dkm_tlsrpt_is_candidate(text));
		FUZZ_CHECK(r.rua_missing == (r.nrua == 0));
		for (size_t i = 0; i < r.nrua; i++) {
			int ok = dkm_tlsrpt_uri_ok(r.rua[i]);

			FUZZ_CHECK(r.rua[i][0] != '\0');
			FUZZ_CHECK(strpbrk(r.rua[i], " \t;,") == NULL);
			if (ok) {
				/* schemes are case-insensitive (RFC 3986) */
				FUZZ_CHECK(
					!strncasecmp(r.rua[i], "mailto:", 7) ||
					!strncasecmp(r.rua[i], "https://", 8));
			}
		}
	} else if (e == DK_EDATA) {
		FUZZ_CHECK(!r.valid && r.why[0] != '\0');
	}
	dkm_tlsrpt_record_free(&r);
	free(text);
	return 0;
}
