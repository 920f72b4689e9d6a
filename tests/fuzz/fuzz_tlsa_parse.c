/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target: dk_tlsa_parse() (RDATA, whole RRs, mnemonics, RFC 3597).
 * A record that parses must print in every format, and what it prints must
 * parse back to the same record; wire format must round-trip too.
 */
#include <string.h>

#include <danekit/tlsa.h>

#include "fuzz.h"

#define OWNER "_25._tcp.mail.example."

/* Print @t in @fmt and parse the text back: the same record. */
static void format_round_trip(const struct dk_tlsa *t, enum dk_tlsa_format fmt,
			      const char *owner)
{
	char *text = NULL, *owner2 = NULL;
	struct dk_tlsa *t2 = NULL;
	size_t len = 0;
	int r = dk_tlsa_format(t, fmt, owner, 3600, &text);

	dk_tlsa_data(t, &len);
	if (r < 0) {
		/* Only an empty association data field cannot be printed
		 * (except as RDATA), or an owner ldns refuses. */
		FUZZ_CHECK(r == DK_EINVAL);
		FUZZ_CHECK(len == 0 || strcmp(owner, OWNER) != 0);
		FUZZ_CHECK(text == NULL);
		return;
	}
	FUZZ_CHECK(text && !strchr(text, '\n'));
	if (len == 0) {
		/* "3 1 1 " with no data: not a record ldns reads back. */
		free(text);
		return;
	}
	if (fmt != DK_TLSA_FMT_RDATA && strlen(owner) >= 255) {
		/*
		 * An owner with raw 8-bit bytes is printed with \DDD escapes,
		 * and ldns reads no owner word of 255 characters or more
		 * (LDNS_MAX_DOMAINLEN): such a line is not read back.
		 */
		free(text);
		return;
	}
	r = dk_tlsa_parse(fmt == DK_TLSA_FMT_NSUPDATE
				  ? text + strlen("update add ")
				  : text,
			  &t2, &owner2, NULL);
	if (r != 0 || dk_tlsa_cmp(t, t2) != 0) {
		fprintf(stderr, "format %d does not parse back: %s\n", (int)fmt,
			text);
	}
	FUZZ_CHECK(r == 0 && dk_tlsa_cmp(t, t2) == 0);
	FUZZ_CHECK((fmt == DK_TLSA_FMT_RDATA) == (owner2 == NULL));
	free(owner2);
	dk_tlsa_free(t2);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dk_tlsa *t = NULL, *t2 = NULL;
	struct dk_diag diag = { "" };
	char *owner = NULL, *text = fuzz_strndup(data, size);
	uint8_t *wire = NULL;
	size_t wlen = 0;
	int r;

	if (!text) {
		return 0;
	}
	r = dk_tlsa_parse(text, &t, &owner, &diag);
	if (r < 0) {
		FUZZ_CHECK(t == NULL);
		FUZZ_CHECK(memchr(diag.why, '\0', sizeof(diag.why)));
		free(text);
		return 0;
	}
	FUZZ_CHECK(t != NULL);
	for (int f = DK_TLSA_FMT_RDATA; f <= DK_TLSA_FMT_NSUPDATE; f++) {
		format_round_trip(t, (enum dk_tlsa_format)f, OWNER);
		if (owner) {
			format_round_trip(t, (enum dk_tlsa_format)f, owner);
		}
	}
	FUZZ_CHECK(dk_tlsa_to_wire(t, &wire, &wlen) == 0);
	FUZZ_CHECK(dk_tlsa_from_wire(wire, wlen, &t2) == 0);
	FUZZ_CHECK(dk_tlsa_cmp(t, t2) == 0 && dk_tlsa_cmp(t2, t) == 0);
	dk_tlsa_free(t2);
	t2 = dk_tlsa_dup(t);
	FUZZ_CHECK(t2 && dk_tlsa_cmp(t, t2) == 0);
	dk_tlsa_free(t2);
	free(wire);
	free(owner);
	dk_tlsa_free(t);
	free(text);
	return 0;
}
