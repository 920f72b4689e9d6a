/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The TLSA RRset as it crosses to the dane module: built here, and only
 * here, from libunbound's answer, with the status the rule of trust gives
 * it: secure only when libunbound's validation and the chain module's own
 * walk for that owner both say secure.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dnssec/internal.h"

struct dk_tlsa_rrset {
	char *owner;
	char *target;
	enum dk_dnssec_status status;
	enum dk_dnssec_status resolver_status;
	enum dk_dnssec_status chain_status;
	int disagrees;
	int nxdomain;
	char *why;
	uint32_t ttl;
	struct dk_tlsa **records;
	size_t nrecords;
	struct dk_chain *chain;
	int refs; /* holders beyond the first (dki_tlsa_rrset_ref()) */
};

struct dk_tlsa_rrset *dki_tlsa_rrset_ref(struct dk_tlsa_rrset *s)
{
	if (s) {
		s->refs++;
	}
	return s;
}

void dk_tlsa_rrset_free(struct dk_tlsa_rrset *s)
{
	if (!s) {
		return;
	}
	if (s->refs > 0) {
		s->refs--;
		return;
	}
	free(s->owner);
	free(s->target);
	free(s->why);
	for (size_t i = 0; i < s->nrecords; i++) {
		dk_tlsa_free(s->records[i]);
	}
	free(s->records);
	dk_chain_free(s->chain);
	free(s);
}

enum dk_dnssec_status dk_tlsa_rrset_status(const struct dk_tlsa_rrset *s)
{
	return s ? s->status : DK_DNSSEC_INDETERMINATE;
}

enum dk_dnssec_status
dk_tlsa_rrset_resolver_status(const struct dk_tlsa_rrset *s)
{
	return s ? s->resolver_status : DK_DNSSEC_INDETERMINATE;
}

enum dk_dnssec_status dk_tlsa_rrset_chain_status(const struct dk_tlsa_rrset *s)
{
	return s ? s->chain_status : DK_DNSSEC_INDETERMINATE;
}

int dk_tlsa_rrset_disagrees(const struct dk_tlsa_rrset *s)
{
	return s ? s->disagrees : 0;
}

const char *dk_tlsa_rrset_why(const struct dk_tlsa_rrset *s)
{
	return s ? s->why : NULL;
}

const char *dk_tlsa_rrset_owner(const struct dk_tlsa_rrset *s)
{
	return s ? s->owner : NULL;
}

const char *dk_tlsa_rrset_target(const struct dk_tlsa_rrset *s)
{
	return s ? (s->target ? s->target : s->owner) : NULL;
}

uint32_t dk_tlsa_rrset_ttl(const struct dk_tlsa_rrset *s)
{
	return s ? s->ttl : 0;
}

int dk_tlsa_rrset_nxdomain(const struct dk_tlsa_rrset *s)
{
	return s ? s->nxdomain : 0;
}

size_t dk_tlsa_rrset_count(const struct dk_tlsa_rrset *s)
{
	return s ? s->nrecords : 0;
}

const struct dk_tlsa *dk_tlsa_rrset_get0(const struct dk_tlsa_rrset *s,
					 size_t i)
{
	return s && i < s->nrecords ? s->records[i] : NULL;
}

const struct dk_chain *dk_tlsa_rrset_get0_chain(const struct dk_tlsa_rrset *s)
{
	return s ? s->chain : NULL;
}

/* The TTL the zone gave the RRset: the RRSIG's original TTL (RFC 4034
 * section 3.1.4) when it is signed, else the TTL as answered. */
uint32_t dki_answer_orig_ttl(const struct dk_answer *a)
{
	const ldns_pkt *pkt = dki_answer_get0_packet(a);
	const ldns_rr_list *rrs = dki_answer_get0_rrset(a);
	ldns_rr_list *ans = pkt ? ldns_pkt_answer(pkt) : NULL;
	uint32_t ttl = dk_answer_ttl(a), best = 0;
	ldns_rr_type type;

	if (!rrs || ldns_rr_list_rr_count(rrs) == 0) {
		return ttl;
	}
	type = ldns_rr_get_type(ldns_rr_list_rr(rrs, 0));
	for (size_t i = 0; i < ldns_rr_list_rr_count(ans); i++) {
		ldns_rr *rr = ldns_rr_list_rr(ans, i);
		ldns_rdf *cov, *orig;

		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_RRSIG ||
		    ldns_dname_compare(
			    ldns_rr_owner(rr),
			    ldns_rr_owner(ldns_rr_list_rr(rrs, 0))) != 0) {
			continue;
		}
		cov = ldns_rr_rrsig_typecovered(rr);
		orig = ldns_rr_rrsig_origttl(rr);
		if (cov && orig && ldns_rdf2rr_type(cov) == type &&
		    ldns_rdf2native_int32(orig) > best) {
			best = ldns_rdf2native_int32(orig);
		}
	}
	return best ? best : ttl;
}

/* The records of @a's RRset, parsed from their wire form. */
static int take_records(struct dk_tlsa_rrset *s, const struct dk_answer *a)
{
	const ldns_rr_list *rrs = dki_answer_get0_rrset(a);
	size_t n = ldns_rr_list_rr_count(rrs);

	if (!n) {
		return 0;
	}
	s->records = calloc(n, sizeof(*s->records));
	if (!s->records) {
		return DK_ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		const ldns_rr *rr = ldns_rr_list_rr(rrs, i);
		ldns_buffer *b = ldns_buffer_new(512);
		struct dk_tlsa *t = NULL;
		int r;

		if (!b) {
			return DK_ENOMEM;
		}
		for (size_t k = 0; k < ldns_rr_rd_count(rr); k++) {
			ldns_rdf2buffer_wire(b, ldns_rr_rdf(rr, k));
		}
		r = dk_tlsa_from_wire(ldns_buffer_begin(b),
				      ldns_buffer_position(b), &t);
		ldns_buffer_free(b);
		if (r == DK_ENOMEM) {
			return r;
		}
		if (r < 0) {
			continue; /* shorter than 3 bytes: not a TLSA record */
		}
		s->records[s->nrecords++] = t;
	}
	return 0;
}

static void set_why(struct dk_tlsa_rrset *s, const char *fmt, ...)
	DK_PRINTF(2, 3);

static void set_why(struct dk_tlsa_rrset *s, const char *fmt, ...)
{
	va_list ap;

	free(s->why);
	s->why = NULL;
	va_start(ap, fmt);
	if (vasprintf(&s->why, fmt, ap) < 0) {
		s->why = NULL;
	}
	va_end(ap);
}

/*
 * The rule of trust, in one place: the status of @s from libunbound's
 * (resolver_status, with its reason @ubwhy) and the chain walk's
 * (chain_status, with its diagnosis @diagnosis).
 */
static void combine(struct dk_tlsa_rrset *s, const char *ubwhy,
		    const char *diagnosis)
{
	if (s->resolver_status != DK_DNSSEC_SECURE) {
		/* libunbound's verdict stands; the chain explains it */
		s->status = s->resolver_status;
		s->disagrees = s->chain_status == DK_DNSSEC_SECURE;
		set_why(s, "%s",
			ubwhy	    ? ubwhy
			: diagnosis ? diagnosis
				    : dk_dnssec_status_name(s->status));
	} else if (s->chain_status == DK_DNSSEC_SECURE) {
		s->status = DK_DNSSEC_SECURE;
	} else {
		/* both must say secure */
		s->disagrees = 1;
		s->status = s->chain_status == DK_DNSSEC_INDETERMINATE
				    ? DK_DNSSEC_INDETERMINATE
				    : DK_DNSSEC_BOGUS;
		set_why(s,
			"the validator says secure, but the chain check says "
			"%s: %s",
			dk_dnssec_status_name(s->chain_status),
			diagnosis ? diagnosis : "no reason given");
	}
}

int dki_tlsa_rrset_new(const char *owner, struct dk_tlsa *const *recs, size_t n,
		       enum dk_dnssec_status resolver_status,
		       enum dk_dnssec_status chain_status, const char *why,
		       struct dk_tlsa_rrset **ret)
{
	struct dk_tlsa_rrset *s = calloc(1, sizeof(*s));

	if (!s) {
		return DK_ENOMEM;
	}
	s->owner = strdup(owner);
	s->records = calloc(n + 1, sizeof(*s->records));
	if (!s->owner || !s->records) {
		dk_tlsa_rrset_free(s);
		return DK_ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		s->records[i] = dk_tlsa_dup(recs[i]);
		if (!s->records[i]) {
			dk_tlsa_rrset_free(s);
			return DK_ENOMEM;
		}
		s->nrecords++;
	}
	s->resolver_status = resolver_status;
	s->chain_status = chain_status;
	combine(s, why, why);
	if (s->status != DK_DNSSEC_SECURE && !s->why) {
		dk_tlsa_rrset_free(s);
		return DK_ENOMEM;
	}
	*ret = s;
	return 0;
}

int dk_tlsa_lookup(struct dk_resolver *resolver, const char *owner,
		   struct dk_tlsa_rrset **ret_rrset, struct dk_diag *diag)
{
	struct dk_tlsa_rrset *s;
	struct dk_chain *chain = NULL;
	const struct dk_answer *a;
	const char *canon;
	int r;

	if (!resolver || !owner || !ret_rrset) {
		return DK_EINVAL;
	}
	r = dk_chain_build(resolver, owner, LDNS_RR_TYPE_TLSA, 0, &chain, diag);
	if (r < 0) {
		return r;
	}
	a = dk_chain_get0_answer(chain);
	if (!a || (dk_answer_rcode(a) == LDNS_RCODE_SERVFAIL &&
		   dk_answer_status(a) != DK_DNSSEC_BOGUS)) {
		/* no answer to judge: the lookup itself failed */
		dki_diagf(diag, "%s: %s", owner,
			  dk_chain_diagnosis(chain) ? dk_chain_diagnosis(chain)
						    : "SERVFAIL");
		dk_chain_free(chain);
		return DK_ESERVFAIL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		dk_chain_free(chain);
		return DK_ENOMEM;
	}
	s->chain = chain;
	s->owner = strdup(dk_answer_qname(a));
	canon = dk_answer_canonname(a);
	if (canon && strcasecmp(canon, dk_answer_qname(a)) != 0) {
		s->target = strdup(canon);
	}
	if (!s->owner ||
	    (canon && strcasecmp(canon, dk_answer_qname(a)) && !s->target)) {
		dk_tlsa_rrset_free(s);
		return DK_ENOMEM;
	}
	s->nxdomain = dk_answer_nxdomain(a);
	s->resolver_status = dk_answer_status(a);
	s->chain_status = dk_chain_checked_status(chain);
	s->ttl = dki_answer_orig_ttl(a);
	r = take_records(s, a);
	if (r < 0) {
		dk_tlsa_rrset_free(s);
		return r;
	}
	combine(s, dk_answer_why(a), dk_chain_diagnosis(chain));
	if (s->status != DK_DNSSEC_SECURE && !s->why) {
		dk_tlsa_rrset_free(s);
		return DK_ENOMEM;
	}
	*ret_rrset = s;
	return 0;
}
