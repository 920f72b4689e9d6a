/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target: the TLSA lint (dki_dane_lint()), offline. Input: a flag
 * byte (bit 0 SMTP, bit 1 no chain, bit 2 the chain twice, bit 3 the RRset
 * is not secure), then records as a 2-byte big-endian length and wire
 * RDATA. They are linted against a fixed chain (leaf and intermediate,
 * lint_chain.h; mkcorpus.sh makes it and records that match it).
 */
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "dane/internal.h"

#include "fuzz.h"
#include "lint_chain.h"

#define MAX_RECORDS 64

static STACK_OF(X509) * chain(void)
{
	static STACK_OF(X509) * sk;

	if (!sk) {
		BIO *b = BIO_new_mem_buf(lint_chain_pem, -1);
		X509 *x;

		sk = sk_X509_new_null();
		FUZZ_CHECK(b && sk);
		while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL))) {
			FUZZ_CHECK(sk_X509_push(sk, x) > 0);
		}
		ERR_clear_error();
		BIO_free(b);
		FUZZ_CHECK(sk_X509_num(sk) == 2);
	}
	return sk;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dk_dane_report *rep;
	struct dk_dane_host *h;
	STACK_OF(X509) * chains[2];
	size_t nchains, off = 1;
	int smtp, r;

	if (size < 1) {
		return 0;
	}
	smtp = data[0] & 1;
	chains[0] = chains[1] = chain();
	nchains = data[0] & 2 ? 0 : data[0] & 4 ? 2 : 1;
	rep = calloc(1, sizeof(*rep));
	h = calloc(1, sizeof(*h));
	FUZZ_CHECK(rep && h);
	rep->service = smtp ? DK_DANE_SERVICE_SMTP : DK_DANE_SERVICE_TLS;
	rep->hosts = h;
	rep->nhosts = 1;
	h->name = strdup("mail.example.");
	h->tlsa_owner = strdup("_25._tcp.mail.example.");
	h->tlsa_status = data[0] & 8 ? DK_DNSSEC_INSECURE : DK_DNSSEC_SECURE;
	h->records = calloc(MAX_RECORDS, sizeof(*h->records));
	FUZZ_CHECK(h->name && h->tlsa_owner && h->records);
	while (h->nrecords < MAX_RECORDS && off + 2 <= size) {
		size_t len = (size_t)data[off] << 8 | data[off + 1];
		struct dk_tlsa *t = NULL;
		unsigned u;

		off += 2;
		if (len > size - off) {
			len = size - off;
		}
		if (dk_tlsa_from_wire(data + off, len, &t) < 0) {
			break;
		}
		off += len;
		u = dk_tlsa_usage(t);
		h->records[h->nrecords].tlsa = t;
		h->records[h->nrecords].usable = u <= 3 && (!smtp || u >= 2) &&
						 dk_tlsa_selector(t) <= 1 &&
						 dk_tlsa_mtype(t) <= 2;
		h->nusable += (size_t)h->records[h->nrecords].usable;
		h->nrecords++;
	}
	r = dki_dane_lint(rep, 0, chains, nchains);
	FUZZ_CHECK(r == 0);
	for (size_t i = 0; i < rep->nfindings; i++) {
		const struct dk_dane_finding *f = &rep->findings[i];

		FUZZ_CHECK(f->code && f->message);
		FUZZ_CHECK(f->rfc && strncmp(f->rfc, "RFC ", 4) == 0);
	}
	dk_dane_report_free(rep);
	return 0;
}
