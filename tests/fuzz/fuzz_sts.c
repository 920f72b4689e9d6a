/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target: MTA-STS (mail/sts_parse.c, RFC 8461). The first byte
 * chooses: even, the policy parser on the rest (as fetched: any octets,
 * NULs included) and every mx pattern matched against fixed hosts; odd,
 * the TXT record parser on a NUL-terminated copy.
 */
#include <string.h>

#include "mail/internal.h"

#include "fuzz.h"

static void policy(const uint8_t *data, size_t size)
{
	static const char *const hosts[] = { "mx.example.com", "example.com",
					     "a.b.example.com", "." };
	struct dkm_sts_policy p;
	int e = dkm_sts_policy_parse((const char *)data, size, &p);

	FUZZ_CHECK(e == 0 || e == DK_EDATA || e == DK_ENOMEM);
	if (e != DK_ENOMEM) {
		FUZZ_CHECK((e == 0) == (p.valid == 1));
		FUZZ_CHECK(p.valid == (p.syntax_ok && !p.no_mx));
		FUZZ_CHECK(p.syntax_ok == (p.why[0] == '\0'));
		if (p.syntax_ok) {
			FUZZ_CHECK(p.version_ok);
			FUZZ_CHECK(p.mode >= DKM_STS_NONE &&
				   p.mode <= DKM_STS_ENFORCE);
			FUZZ_CHECK(p.max_age >= 0 && p.max_age <= 9999999999LL);
			FUZZ_CHECK(!p.bare_cr);
		}
	}
	for (size_t i = 0; i < p.nmx; i++) {
		for (size_t h = 0; h < sizeof(hosts) / sizeof(hosts[0]); h++) {
			int m = dkm_sts_mx_match(p.mx[i], hosts[h]);

			FUZZ_CHECK(m == 0 || m == 1);
			/* a match is never wider than one label */
			if (m && p.mx[i][0] == '*') {
				FUZZ_CHECK(strchr(hosts[h], '.') != NULL);
			}
		}
	}
	dkm_sts_policy_free(&p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dkm_sts_txt t;
	char *text;
	int e;

	if (size == 0) {
		return 0;
	}
	if (data[0] % 2 == 0) {
		policy(data + 1, size - 1);
		return 0;
	}
	text = fuzz_strndup(data + 1, size - 1);
	if (!text) {
		return 0;
	}
	e = dkm_sts_txt_parse(text, &t);
	FUZZ_CHECK(e == 0 || e == DK_EDATA);
	FUZZ_CHECK((e == 0) == (t.valid == 1));
	if (e == 0) {
		size_t n = strlen(t.id);

		FUZZ_CHECK(dkm_sts_is_candidate(text));
		FUZZ_CHECK(n >= 1 && n <= 32);
		for (size_t i = 0; i < n; i++) {
			FUZZ_CHECK((t.id[i] >= '0' && t.id[i] <= '9') ||
				   (t.id[i] >= 'a' && t.id[i] <= 'z') ||
				   (t.id[i] >= 'A' && t.id[i] <= 'Z'));
		}
	} else {
		FUZZ_CHECK(t.why[0] != '\0');
	}
	free(text);
	return 0;
}
