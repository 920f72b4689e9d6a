/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target: dk_input_load() (PEM and DER certificates, chains, keys,
 * CSRs), then on success every record dk_tlsa_make() can build from the
 * input, which dk_tlsa_match() must find again, and the getters.
 */
#include <string.h>

#include <danekit/tlsa.h>

#include "fuzz.h"

static void make_and_match(const struct dk_input *in, uint8_t u, uint8_t s,
			   uint8_t m, long idx)
{
	struct dk_tlsa *t = NULL;
	struct dk_diag diag = { "" };
	size_t n = dk_input_cert_count(in), depth = (size_t)-1;
	int r = dk_tlsa_make(in, u, s, m, idx, &t, &diag);

	if (r < 0) {
		FUZZ_CHECK(t == NULL);
		FUZZ_CHECK(memchr(diag.why, '\0', sizeof(diag.why)));
		/* Only a key or CSR refuses selector 0; only a bad index. */
		FUZZ_CHECK(r != DK_ESELECTOR ||
			   (dk_input_kind(in) != DK_INPUT_CERTS && s == 0));
		return;
	}
	FUZZ_CHECK(t && dk_tlsa_usage(t) == u && dk_tlsa_selector(t) == s &&
		   dk_tlsa_mtype(t) == m);
	r = dk_tlsa_match(t, in, &depth);
	if (idx < 0 || dk_input_kind(in) != DK_INPUT_CERTS) {
		/* A record made from an input matches it. */
		FUZZ_CHECK(r == 1);
		if (u == DK_TLSA_PKIX_EE || u == DK_TLSA_DANE_EE ||
		    dk_input_kind(in) != DK_INPUT_CERTS) {
			FUZZ_CHECK(depth == 0);
		} else {
			FUZZ_CHECK(depth < n);
		}
	} else {
		FUZZ_CHECK(r == 0 || r == 1);
	}
	dk_tlsa_free(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dk_input *in = NULL;
	struct dk_diag diag = { "" };
	size_t n;
	int r = dk_input_load(data, size, &in, &diag);

	if (r < 0) {
		FUZZ_CHECK(in == NULL);
		FUZZ_CHECK(memchr(diag.why, '\0', sizeof(diag.why)));
		return 0;
	}
	FUZZ_CHECK(in != NULL);
	n = dk_input_cert_count(in);
	FUZZ_CHECK((dk_input_kind(in) == DK_INPUT_CERTS) == (n > 0));
	for (uint8_t u = 0; u <= 4; u++) {
		for (uint8_t s = 0; s <= 2; s++) {
			for (uint8_t m = 0; m <= 3; m++) {
				make_and_match(in, u, s, m, -1);
			}
		}
	}
	for (size_t i = 0; i <= n && i < 64; i++) {
		make_and_match(in, 3, 1, 1, (long)i);
		make_and_match(in, 2, 0, 1, (long)i);
	}
	for (size_t i = 0; i <= n && i < 64; i++) {
		X509 *x = dk_input_get0_cert(in, i);

		FUZZ_CHECK(i < n || x == NULL);
		if (x) {
			uint8_t *d = NULL;
			size_t dl = 0;

			/* The certificate was re-parsed by OpenSSL. */
			if (dk_tlsa_assoc_data(x, NULL, 1, 1, &d, &dl) == 0) {
				FUZZ_CHECK(dl == 32);
				free(d);
			}
		}
	}
	{
		EVP_PKEY *k = dk_input_get0_pubkey(in);

		FUZZ_CHECK(k == dk_input_get0_pubkey(in));
		FUZZ_CHECK(k || dk_input_kind(in) == DK_INPUT_CERTS);
	}
	(void)dk_input_kind_name(dk_input_kind(in));
	dk_input_free(in);
	return 0;
}
