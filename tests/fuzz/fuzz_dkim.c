/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target: the DKIM key record parser (mail/dmarc_parse.c), whose key
 * is decoded by OpenSSL (base64, SubjectPublicKeyInfo or RSAPublicKey,
 * Ed25519 raw keys). What it reports is consistent.
 */
#include <string.h>

#include "mail/internal.h"

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dkm_dkim_key k;
	struct dkm_taglist t;
	char *text = fuzz_strndup(data, size);
	int e;

	if (!text) {
		return 0;
	}
	e = dkm_dkim_parse(text, &k);
	FUZZ_CHECK(e == 0 || e == DK_EDATA);
	FUZZ_CHECK(k.decoded_len >= -1);
	FUZZ_CHECK(k.bits >= 0);
	if (k.ed25519_format) {
		FUZZ_CHECK(k.decoded_len != 32);
	}
	if (k.revoked) {
		FUZZ_CHECK(k.decoded_len == -1 && k.bits == 0);
	}
	if (e == 0 && !k.key_invalid && !k.revoked && !k.ed25519_format) {
		FUZZ_CHECK(k.bits > 0);
		FUZZ_CHECK(k.decoded_len > 0);
	}
	e = dkm_taglist_parse(text, &t);
	FUZZ_CHECK(e == 0 || e == DK_EDATA);
	FUZZ_CHECK(e == 0 || t.why[0]);
	for (size_t i = 0; i < t.n; i++) {
		FUZZ_CHECK(dkm_taglist_get(&t, t.tags[i].name) != NULL);
	}
	dkm_taglist_free(&t);
	free(text);
	return 0;
}
