/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target: dk_tlsa_check_host() and dk_tlsa_owner(). Input: port (2
 * bytes, big-endian), protocol (1 byte: tcp, udp, sctp, other), host.
 * An owner name that is made must itself be a valid name and usable by
 * dk_tlsa_format().
 */
#include <string.h>

#include <danekit/tlsa.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const protos[] = { "tcp", "udp", "sctp", "tls" };
	struct dk_diag diag = { "" };
	unsigned port;
	const char *proto;
	char *host, *owner = NULL;
	int ok, r;

	if (size < 3) {
		return 0;
	}
	port = (unsigned)data[0] << 8 | data[1];
	proto = protos[data[2] % 4];
	host = fuzz_strndup(data + 3, size - 3);
	if (!host) {
		return 0;
	}
	ok = dk_tlsa_check_host(host, &diag) == 0;
	FUZZ_CHECK(memchr(diag.why, '\0', sizeof(diag.why)));
	r = dk_tlsa_owner(host, port, proto, &owner, &diag);
	if (!ok || port == 0 || data[2] % 4 == 3) {
		FUZZ_CHECK(r < 0 && owner == NULL);
	}
	if (r == 0) {
		struct dk_tlsa *t = NULL;
		char *text = NULL;
		size_t n = strlen(owner);
		static const uint8_t d[32];

		FUZZ_CHECK(n <= 254 && owner[n - 1] == '.');
		FUZZ_CHECK(dk_tlsa_check_host(owner, NULL) == 0);
		FUZZ_CHECK(dk_tlsa_new(3, 1, 1, d, sizeof(d), &t) == 0);
		r = dk_tlsa_format(t, DK_TLSA_FMT_ZONE, owner, 60, &text);
		if (r != 0) {
			fprintf(stderr, "owner refused by format: %s\n", owner);
		}
		FUZZ_CHECK(r == 0);
		free(text);
		dk_tlsa_free(t);
		free(owner);
	} else {
		FUZZ_CHECK(r == DK_EDATA || r == DK_EINVAL);
	}
	free(host);
	return 0;
}
