/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The DANE seam for MTA authors: one call gives the secure, usable TLSA
 * records of an SMTP server host under RFC 7672 (the same host rules and
 * trust gate as dk_dane_check_smtp()), another enables DANE with them on
 * the caller's own SSL, as Postfix's tls_dane does. Usable records are
 * decided here, in dk_dane_record_usable(), and nowhere else.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509_vfy.h>

#include "dane/internal.h"

struct dk_dane_peer {
	enum dk_dane_peer_state state;
	char *why;
	struct dk_dane_report *report; /* one host, never probed */
	struct dk_tlsa_rrset *rrset;
	/* the usable records, borrowed from the report */
	const struct dk_tlsa **usable;
	size_t nusable;
};

int dk_dane_record_usable(const struct dk_tlsa_rrset *rrset, size_t i,
			  enum dk_dane_service service)
{
	const struct dk_tlsa *t = dk_tlsa_rrset_get0(rrset, i);
	uint8_t u, s, m;
	size_t len = 0;

	if (!t) {
		return DK_EINVAL;
	}
	/* the rule of trust: nothing of a set that is not secure */
	if (dk_tlsa_rrset_status(rrset) != DK_DNSSEC_SECURE) {
		return 0;
	}
	u = dk_tlsa_usage(t);
	s = dk_tlsa_selector(t);
	m = dk_tlsa_mtype(t);
	if (u > DK_TLSA_DANE_EE || s > DK_TLSA_SPKI || m > DK_TLSA_SHA512) {
		return 0;
	}
	/* RFC 7672 section 3.1.3: PKIX-TA and PKIX-EE are not for SMTP */
	if (service == DK_DANE_SERVICE_SMTP && u < DK_TLSA_DANE_TA) {
		return 0;
	}
	/* a digest of the wrong length is malformed (OpenSSL refuses it) */
	dk_tlsa_data(t, &len);
	if ((m == DK_TLSA_SHA256 && len != 32) ||
	    (m == DK_TLSA_SHA512 && len != 64) || len == 0) {
		return 0;
	}
	return 1;
}

const char *dk_dane_peer_state_name(enum dk_dane_peer_state state)
{
	switch (state) {
	case DK_DANE_PEER_UNKNOWN:
		return "unknown";
	case DK_DANE_PEER_DANE:
		return "dane";
	case DK_DANE_PEER_NO_DANE:
		return "no-dane";
	case DK_DANE_PEER_FAILED:
		return "failed";
	case DK_DANE_PEER_TEMPFAIL:
		return "tempfail";
	}
	return "?";
}

void dk_dane_peer_free(struct dk_dane_peer *p)
{
	if (!p) {
		return;
	}
	free(p->why);
	free(p->usable);
	dk_dane_report_free(p->report);
	dk_tlsa_rrset_free(p->rrset);
	free(p);
}

static const struct dk_dane_host *host_of(const struct dk_dane_peer *p)
{
	return p && p->report && p->report->nhosts ? &p->report->hosts[0]
						   : NULL;
}

enum dk_dane_peer_state dk_dane_peer_state(const struct dk_dane_peer *p)
{
	return p ? p->state : DK_DANE_PEER_UNKNOWN;
}

const char *dk_dane_peer_why(const struct dk_dane_peer *p)
{
	return p ? p->why : NULL;
}

const char *dk_dane_peer_host(const struct dk_dane_peer *p)
{
	const struct dk_dane_host *h = host_of(p);

	return h ? h->name : NULL;
}

const char *dk_dane_peer_base(const struct dk_dane_peer *p)
{
	const struct dk_dane_host *h = host_of(p);

	return h && p->state == DK_DANE_PEER_DANE ? h->tlsa_base : NULL;
}

const struct dk_tlsa_rrset *
dk_dane_peer_get0_rrset(const struct dk_dane_peer *p)
{
	return p ? p->rrset : NULL;
}

size_t dk_dane_peer_address_count(const struct dk_dane_peer *p)
{
	const struct dk_dane_host *h = host_of(p);

	return h ? h->naddrs : 0;
}

const char *dk_dane_peer_address(const struct dk_dane_peer *p, size_t i)
{
	const struct dk_dane_host *h = host_of(p);

	return h && i < h->naddrs ? h->addrs[i].address : NULL;
}

size_t dk_dane_peer_usable_count(const struct dk_dane_peer *p)
{
	return p ? p->nusable : 0;
}

const struct dk_tlsa *dk_dane_peer_usable(const struct dk_dane_peer *p,
					  size_t i)
{
	return p && i < p->nusable ? p->usable[i] : NULL;
}

/* The state, why and usable records from the host's DNS half. */
int dki_dane_peer_finish(struct dk_dane_peer *p)
{
	const struct dk_dane_host *h = host_of(p);

	if (!h) {
		return DK_EINVAL;
	}
	if (h->dane) {
		p->state = DK_DANE_PEER_DANE;
	} else if (h->verdict == DK_DANE_FAILED) {
		p->state = DK_DANE_PEER_FAILED;
	} else if (h->verdict == DK_DANE_INCOMPLETE) {
		p->state = DK_DANE_PEER_TEMPFAIL;
	} else {
		p->state = DK_DANE_PEER_NO_DANE;
	}
	p->usable = calloc(h->nrecords + 1, sizeof(*p->usable));
	if (!p->usable) {
		return DK_ENOMEM;
	}
	for (size_t i = 0; h->dane && i < h->nrecords; i++) {
		if (h->records[i].usable) {
			p->usable[p->nusable++] = h->records[i].tlsa;
		}
	}
	p->why = p->state == DK_DANE_PEER_DANE
			 ? dki_strdupf("%zu usable TLSA record%s at %s",
				       p->nusable, p->nusable == 1 ? "" : "s",
				       h->tlsa_owner)
			 : strdup(h->why ? h->why : "DANE does not apply");
	return p->why ? 0 : DK_ENOMEM;
}

int dk_dane_smtp_peer(struct dk_resolver *resolver, const char *host,
		      struct dk_dane_peer **ret_peer, struct dk_diag *diag)
{
	struct dk_dane_peer *p;
	int r;

	if (!resolver || !host || !ret_peer) {
		return DK_EINVAL;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		return DK_ENOMEM;
	}
	r = dki_dane_host_dns(resolver, host, DK_DANE_SERVICE_SMTP, 25,
			      &p->report, &p->rrset, diag);
	if (r == 0) {
		r = dki_dane_peer_finish(p);
	}
	if (r < 0) {
		dk_dane_peer_free(p);
		return r;
	}
	*ret_peer = p;
	return 0;
}

int dki_dane_peer_offline(const char *host, struct dk_tlsa_rrset *rrset,
			  struct dk_dane_peer **ret_peer)
{
	struct dk_dane_peer *p = calloc(1, sizeof(*p));
	struct dk_dane_report *r = calloc(1, sizeof(*r));
	struct dk_dane_host *h = calloc(1, sizeof(*h));
	size_t n = dk_tlsa_rrset_count(rrset);
	enum dk_dnssec_status st = dk_tlsa_rrset_status(rrset);
	int e = DK_ENOMEM;

	if (!p || !r || !h) {
		free(p);
		free(r);
		free(h);
		dk_tlsa_rrset_free(rrset);
		return DK_ENOMEM;
	}
	p->report = r;
	p->rrset = rrset;
	r->service = DK_DANE_SERVICE_SMTP;
	r->hosts = h;
	r->nhosts = 1;
	h->name = strdup(host);
	h->tlsa_base = strdup(host);
	h->tlsa_owner = dki_strdupf("_25._tcp.%s", host);
	h->records = calloc(n + 1, sizeof(*h->records));
	if (!h->name || !h->tlsa_base || !h->tlsa_owner || !h->records) {
		goto fail;
	}
	h->addr_status = DK_DNSSEC_SECURE;
	h->tlsa_status = st;
	for (size_t i = 0; i < n; i++) {
		h->records[i].tlsa =
			dk_tlsa_dup(dk_tlsa_rrset_get0(p->rrset, i));
		if (!h->records[i].tlsa) {
			goto fail;
		}
		h->nrecords++;
		h->records[i].usable =
			dk_dane_record_usable(p->rrset, i,
					      DK_DANE_SERVICE_SMTP) > 0;
		h->nusable += (size_t)h->records[i].usable;
	}
	h->dane = st == DK_DNSSEC_SECURE && h->nusable > 0;
	h->verdict = st == DK_DNSSEC_BOGUS	     ? DK_DANE_FAILED
		     : st == DK_DNSSEC_INDETERMINATE ? DK_DANE_INCOMPLETE
						     : DK_DANE_NOT_APPLICABLE;
	h->why = dki_strdupf("%s", dk_tlsa_rrset_why(p->rrset)
					   ? dk_tlsa_rrset_why(p->rrset)
					   : "no usable TLSA record");
	if (!h->why) {
		goto fail;
	}
	e = dki_dane_peer_finish(p);
	if (e < 0) {
		goto fail;
	}
	*ret_peer = p;
	return 0;
fail:
	dk_dane_peer_free(p);
	return e;
}

int dk_dane_ctx_enable(SSL_CTX *ctx)
{
	if (!ctx) {
		return DK_EINVAL;
	}
	if (SSL_CTX_dane_enable(ctx) <= 0) {
		ERR_clear_error();
		return DK_ETLS;
	}
	return 0;
}

int dk_dane_peer_enable(const struct dk_dane_peer *p, SSL *ssl,
			struct dk_diag *diag)
{
	const struct dk_dane_host *h = host_of(p);
	const char *other = NULL;
	int r;

	if (!p || !ssl) {
		return DK_EINVAL;
	}
	if (p->state != DK_DANE_PEER_DANE || !h || !p->nusable) {
		return 0;
	}
	/* the other reference identifier, only through a secure CNAME */
	if (h->cname && h->addr_status == DK_DNSSEC_SECURE && h->tlsa_base) {
		other = strcasecmp(h->tlsa_base, h->cname) == 0 ? h->name
								: h->cname;
	}
	r = dki_dane_ssl_enable(ssl, h->tlsa_base, other, h->records,
				h->nrecords, NULL, NULL);
	if (r <= 0) {
		char rb[256];

		dki_diagf(diag,
			  "OpenSSL refused DANE on this connection: %s (was "
			  "dk_dane_ctx_enable() called on its SSL_CTX?)",
			  dki_openssl_reason(rb, sizeof(rb)));
		return DK_ETLS;
	}
	return r;
}

int dk_dane_ssl_authenticated(SSL *ssl, int *ret_depth)
{
	int depth;

	if (!ssl) {
		return DK_EINVAL;
	}
	depth = SSL_get0_dane_tlsa(ssl, NULL, NULL, NULL, NULL, NULL);
	if (ret_depth) {
		*ret_depth = depth >= 0 ? depth : -1;
	}
	return depth >= 0 && SSL_get_verify_result(ssl) == X509_V_OK ? 1 : 0;
}
