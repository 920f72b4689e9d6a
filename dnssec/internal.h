/* SPDX-License-Identifier: BSD-3-Clause */
/* Private helpers of the dnssec module. */
#ifndef DANEKIT_DNSSEC_INTERNAL_H
#define DANEKIT_DNSSEC_INTERNAL_H

#include <errno.h>
#include <time.h>

#include <ldns/ldns.h>

#include <danekit/dnssec.h>

#include "tlsa/internal.h"

/*
 * The RRset of the answer (after CNAMEs, no RRSIGs; never NULL for an
 * answer) and the whole reply (NULL when libunbound gave none), borrowed.
 * Internal: ldns stays out of the public headers.
 */
const ldns_rr_list *dki_answer_get0_rrset(const struct dk_answer *answer);
const ldns_pkt *dki_answer_get0_packet(const struct dk_answer *answer);

/*
 * The next token of a named.conf-style text (trust-anchor and TSIG key
 * files): a word, a quoted string (its content, maybe empty) or one of
 * { } ;. Comments (#, //, slash-star) are skipped; *@pp moves past the
 * token. Returns 1, 0 at the end, -1 for an unterminated string.
 */
int dki_bind_token(const char **pp, char *tok, size_t toklen);

/* Monotonic time in seconds. */
double dki_now(void);

/* 0 if @name is a valid ASCII domain name, else DK_EINVAL + @diag. */
int dki_check_name(const char *name, struct dk_diag *diag);

/* Wait (poll) until the resolver's fd is readable or the next deadline. */
int dki_resolver_poll(struct dk_resolver *resolver);

/*
 * Event resolvers: restartable steps (resolver.c). A memo holds the
 * answers of one step of synchronous code run inside the event loop.
 * Between dki_memo_begin() and dki_memo_end(), dk_lookup() on the memo's
 * resolver answers from the memo, else from libunbound's cache; a lookup
 * that is in neither is started, kept in the memo, and fails at once with
 * DKI_EAGAIN. dki_memo_end() returns how many lookups failed so: 0 means
 * the step ran on answers at hand and its outcome stands; otherwise the
 * outcome is to be thrown away, and @ready runs from the loop once every
 * lookup in flight has its answer (or timed out): run the step again,
 * from the start. After dki_memo_offline(), lookups not at hand fail with
 * DK_ETIMEDOUT instead (a step that keeps asking new names must end).
 * Free a memo before its resolver; freeing cancels what is in flight.
 */
#define DKI_EAGAIN (-EAGAIN)
struct dki_memo;
int dki_memo_new(struct dk_resolver *r, void (*ready)(void *arg), void *arg,
		 struct dki_memo **ret);
void dki_memo_free(struct dki_memo *m);
void dki_memo_begin(struct dki_memo *m);
size_t dki_memo_end(struct dki_memo *m);
void dki_memo_offline(struct dki_memo *m);
size_t dki_memo_inflight(const struct dki_memo *m);

/*
 * The memo of signature checks of a resolver (chain.c): @digest is the
 * SHA-256 of the RRset, RRSIG and keys in wire form; the outcome of
 * ldns_verify_rrsig_keylist_notime(). Bounded (direct-mapped: a newer
 * check takes the slot of an older). get: 0 and *@ret, or -1.
 */
int dki_sigmemo_get(struct dk_resolver *r, const unsigned char digest[32],
		    ldns_status *ret);
void dki_sigmemo_put(struct dk_resolver *r, const unsigned char digest[32],
		     ldns_status st);

/*
 * The memo of chains of a resolver (chain.c's dk_chain_build()): while a
 * restartable step runs (and may still wait), a chain built from answers
 * at hand is kept for DKI_CHAINMEMO_SECONDS (never past its answer's
 * TTL), by absolute name (any case),
 * type and warn_days, so that the rounds of a step and the domains of a
 * scan that share MX hosts walk each chain once. Bounded (direct-mapped).
 * dki_chainmemo_on(): whether a chain may be taken or kept now, and
 * *@ret_missed, the memo's misses so far (a build that adds one waited
 * for an answer: not kept). get: a new reference, or NULL. put: takes a
 * reference of its own.
 */
#define DKI_CHAINMEMO_SECONDS 30
int dki_chainmemo_on(const struct dk_resolver *r, size_t *ret_missed);
struct dk_chain *dki_chainmemo_get(struct dk_resolver *r, const char *name,
				   uint16_t type, int warn_days);
void dki_chainmemo_put(struct dk_resolver *r, const char *name, uint16_t type,
		       int warn_days, struct dk_chain *chain);
/* Another holder of @chain (read-only from then on): each dk_chain_free()
 * drops one. Returns @chain. */
struct dk_chain *dki_chain_ref(struct dk_chain *chain);

/* Another holder of @s (read-only from then on): each dk_tlsa_rrset_free()
 * drops one. Returns @s. */
struct dk_tlsa_rrset *dki_tlsa_rrset_ref(struct dk_tlsa_rrset *s);

/* Lookups of the memo's rounds that were not at hand, so far. */
size_t dki_memo_missed(const struct dki_memo *m);

/* Lookups an event resolver had to send (not answered from the cache). */
uint64_t dki_resolver_network(const struct dk_resolver *r);

/* The TTL the zone gave the answer's RRset: the covering RRSIG's original
 * TTL (RFC 4034 section 3.1.4) when signed, else the TTL as answered. */
uint32_t dki_answer_orig_ttl(const struct dk_answer *a);

/* How long @a may be kept: the TTL of its records, or for an answer
 * without records the negative TTL of its SOA (RFC 2308 section 5); 0
 * when there is none. */
uint32_t dki_answer_keep_ttl(const struct dk_answer *a);

/*
 * An RRset made from records at hand, with the two views given, for the
 * offline DANE vectors (tests): the status follows the same rule of trust
 * as dk_tlsa_lookup(). Never exported: a caller of the library cannot
 * make a secure RRset without validating it. The records are copied.
 */
int dki_tlsa_rrset_new(const char *owner, struct dk_tlsa *const *recs, size_t n,
		       enum dk_dnssec_status resolver_status,
		       enum dk_dnssec_status chain_status, const char *why,
		       struct dk_tlsa_rrset **ret);

/* The set-up: trust anchors and the files handed to libunbound (setup.c) */

/* Where a trust anchor comes from. */
enum dki_anchor_origin {
	DKI_ANCHOR_OPTION = 1, /* dk_resolver_opts.anchor_file (--anchor) */
	DKI_ANCHOR_DEFAULT,    /* the system root anchor */
	DKI_ANCHOR_FILE,       /* trust-anchor-file: of the unbound.conf */
	DKI_ANCHOR_AUTO,       /* auto-trust-anchor-file: (RFC 5011) */
	DKI_ANCHOR_INLINE,     /* trust-anchor: "RR" */
	DKI_ANCHOR_BIND,       /* trusted-keys-file: (BIND syntax) */
};

/* "--anchor", "default", "trust-anchor-file", ... Static storage. */
const char *dki_anchor_origin_name(enum dki_anchor_origin origin);

/* One zone's trust anchor, as read from one source. */
struct dki_anchor {
	enum dki_anchor_origin origin;
	char *zone;		  /* absolute, lower case */
	char *file;		  /* the file read; NULL for an inline anchor */
	char *conf;		  /* the unbound.conf (or include) naming it */
	unsigned int line;	  /* and its line there; 0 without conf */
	int rfc5011;		  /* the file is an RFC 5011 state file */
	time_t mtime;		  /* of the file; 0 without a file */
	time_t last_queried;	  /* ";;last_queried:" of a state file, or 0 */
	time_t last_success;	  /* ";;last_success:" of a state file, or 0 */
	unsigned int ds_count;	  /* DS records */
	unsigned int key_count;	  /* DNSKEY records */
	unsigned int digest_mask; /* 1 << digest type of each DS (< 32) */
	uint8_t algorithms[8];	  /* DNSSEC algorithms of its records */
	unsigned int nalgorithms;
};

/* What dki_setup_scan() found. */
struct dki_setup {
	struct dki_anchor *anchors;
	size_t nanchors;
	char **zones; /* distinct anchor zones, in order of appearance */
	size_t nzones;
};

/*
 * Check every file dk_resolver_new() hands to libunbound, before
 * libunbound sees it: the anchor file, the unbound.conf and the files it
 * names (include:, include-toplevel:, trust-anchor-file:,
 * auto-trust-anchor-file:, trusted-keys-file:, trust-anchor:,
 * root-hints:, an existing zonefile:). Each must be a regular, readable
 * file of sane size; an anchor must parse. @chroot_default is
 * libunbound's built-in chroot: (anchor paths under it are read without
 * it, as unbound does). 0 and *@ret filled (release with
 * dki_setup_clear()), or DK_ENOENT, DK_EACCES, DK_EISDIR, DK_EIO (not a
 * regular file), DK_ETOOBIG, DK_EDATA, DK_ENOANCHOR (no default anchor),
 * DK_ENOMEM + @diag.
 */
int dki_setup_scan(const struct dk_resolver_opts *opts,
		   const char *chroot_default, struct dki_setup *ret,
		   struct dk_diag *diag);

/*
 * 0 when @s has a trust anchor, else DK_ENOANCHOR and @diag (checked
 * after libunbound has parsed the unbound.conf, so that its syntax errors
 * come first).
 */
int dki_setup_require_anchor(const struct dk_resolver_opts *opts,
			     const struct dki_setup *s, struct dk_diag *diag);

/*
 * Read @a's file again for its modification time and RFC 5011 state
 * (libunbound updates an auto-trust-anchor-file when it probes). Keeps
 * the old values when the file cannot be read.
 */
void dki_anchor_refresh(struct dki_anchor *a);

/* A deep copy of @src into *@dst: 0 or DK_ENOMEM. */
int dki_setup_copy(const struct dki_setup *src, struct dki_setup *dst);

/* Free what a dki_setup holds (not @s itself). NULL is accepted. */
void dki_setup_clear(struct dki_setup *s);

/* The resolver's set-up (borrowed; never NULL for a resolver). */
const struct dki_setup *dki_resolver_setup(const struct dk_resolver *r);

/*
 * The warnings libunbound logged while it started about trust anchors it
 * ignores ("trust anchor X. has no supported algorithms, the anchor is
 * ignored ..."), one a line, or NULL. Borrowed.
 */
const char *dki_resolver_anchor_warning(const struct dk_resolver *r);

/*
 * Make a resolver as dk_resolver_new() does, with extra libunbound
 * options set after the configuration: @extra is NULL or a list of
 * "name:", "value" pairs ended by NULL.
 */
int dki_resolver_new(const struct dk_resolver_opts *opts,
		     const char *const *extra, struct dk_resolver **ret,
		     struct dk_diag *diag);

/* The outcome of the self-test for one anchor zone. */
struct dki_selftest {
	const char *zone;	  /* borrowed from the set-up */
	int err;		  /* 0, or the lookup's error */
	struct dk_answer *answer; /* its DNSKEY answer, or NULL */
};

/*
 * Ask the DNSKEY RRset of every anchor zone at once. *@ret gets one
 * entry per zone of the set-up (free with dki_selftest_free()).
 * 0, or DK_ENOMEM / DK_ERESOLVER.
 */
int dki_selftest_run(struct dk_resolver *r, struct dki_selftest **ret,
		     size_t *ret_n);
void dki_selftest_free(struct dki_selftest *t, size_t n);

/*
 * Judge one self-test entry: 0 when the zone's DNSKEY RRset is secure
 * and not empty; DK_EUNFIT with the reason in @diag when it is bogus,
 * insecure or missing; the lookup's error (DK_ETIMEDOUT ...) when it
 * could not be asked.
 */
int dki_selftest_judge(const struct dk_resolver *r,
		       const struct dki_selftest *t, struct dk_diag *diag);

#endif
