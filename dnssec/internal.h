/* SPDX-License-Identifier: BSD-3-Clause */
/* Private helpers of the dnssec module. */
#ifndef DANEKIT_DNSSEC_INTERNAL_H
#define DANEKIT_DNSSEC_INTERNAL_H

#include <danekit/dnssec.h>

#include "tlsa/internal.h"

/* Monotonic time in seconds. */
double dki_now(void);

/* 0 if @name is a valid ASCII domain name, else DK_EINVAL + @diag. */
int dki_check_name(const char *name, struct dk_diag *diag);

/* Wait (poll) until the resolver's fd is readable or the next deadline. */
int dki_resolver_poll(struct dk_resolver *resolver);

/* The TTL the zone gave the answer's RRset: the covering RRSIG's original
 * TTL (RFC 4034 section 3.1.4) when signed, else the TTL as answered. */
uint32_t dki_answer_orig_ttl(const struct dk_answer *a);

/*
 * An RRset made from records at hand, with the two views given, for the
 * offline DANE vectors (tests): the status follows the same rule of trust
 * as dk_tlsa_lookup(). Never exported: a caller of the library cannot
 * make a secure RRset without validating it. The records are copied.
 */
int dki_tlsa_rrset_new(const char *owner, struct dk_tlsa *const *recs,
		       size_t n, enum dk_dnssec_status resolver_status,
		       enum dk_dnssec_status chain_status, const char *why,
		       struct dk_tlsa_rrset **ret);

#endif
