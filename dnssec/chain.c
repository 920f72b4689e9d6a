/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The chain of trust: walk from the trust anchor to a name, zone cut by
 * zone cut, and check every link again with ldns to explain libunbound's
 * verdict (RFC 4033 section 5, RFC 4035 section 5).
 *
 * The records come from libunbound through dk_lookup(): its answer packet
 * holds the RRSIGs, the NSEC/NSEC3 records of the authority section, and
 * (for bogus answers) the bogus data too. The walk asks for the DS set of
 * each ancestor of the name below the anchor: a DS set means a signed zone
 * cut (then the DNSKEY set of the child is fetched), an NSEC/NSEC3 proof
 * that shows a delegation without DS means an unsigned child (RFC 4035
 * section 5.2), anything else means no zone cut there.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <unbound.h>

#include "dnssec/internal.h"

/* A zone met on the walk, and the keys that sign in it. */
struct zone {
	struct zone *next;
	ldns_rdf *apex;
	const char *name;	      /* arena string */
	enum dk_dnssec_status status; /* SECURE: keys are trusted */
	ldns_rr_list *keys;	      /* the DNSKEY set (owned) or NULL */
	/* DK_CHAIN_OUTCOME_UNSUPPORTED_ALGORITHM: signed, but insecure for
	 * this validator; else UNKNOWN */
	enum dk_chain_outcome reason;
};

/* What the public link struct has no room for, one per link. */
struct lx {
	int64_t ttl, rttl; /* dk_chain_link_ttl(), ..._resolver_ttl() */
	/* A special reason for the link's status (UNSUPPORTED_ALGORITHM,
	 * NSEC3_ITERATIONS, DS_MISSING), else UNKNOWN; and its zone. */
	enum dk_chain_outcome reason;
	const char *zone;
	uint8_t alg;	       /* UNSUPPORTED_ALGORITHM: the algorithm */
	int n3_iter, n3_limit; /* NSEC3 iterations and limit, or -1 */
	const char **mds;      /* DS_MISSING: DS records to add */
	size_t nmds;
};

struct dk_chain {
	int refs; /* holders: dki_chain_ref(), dk_chain_free() */
	char *qname;
	uint16_t qtype;
	int warn_days;
	time_t now;
	struct dk_resolver *resolver; /* only during dk_chain_build() */
	struct dk_answer *answer;
	enum dk_dnssec_status lib_status, checked, status;
	int disagree;
	const char *diagnosis;

	struct dk_chain_link *links;
	size_t nlinks, caplinks;
	const char **warnings;
	size_t nwarnings, capwarnings;
	char **strs; /* arena of strings, freed with the chain */
	size_t nstrs, capstrs;

	struct zone *zones;
	ldns_rdf *noncuts[64]; /* names known not to be zone cuts */
	size_t nnoncuts;
	ldns_rr_list *anchors; /* DS (and DNSKEY turned DS) of the anchors */
	int oom;

	/* dk_chain_build_opts() */
	unsigned auth_port;
	int no_auth_check;
	struct lx *lx; /* parallel to links */
	/* The lookup of the name failed with SERVFAIL: no answer. */
	int failed;
	const char *failed_query;
	const char *failed_why; /* why, from the servers asked */
	struct dk_chain_server *servers;
	size_t nservers, capservers;
	int no_lookups; /* a lookup of the probe timed out: no more */
	/* The outcome, and the link that explains it (-1: none). */
	enum dk_chain_outcome outcome;
	const char *outcome_zone;
	long explain;
};

/* Growable arrays of the link under construction. */
struct vec {
	void *v;
	size_t n, cap;
};

static void *vec_add(struct dk_chain *ch, struct vec *vec, size_t size)
{
	if (vec->n == vec->cap) {
		size_t cap = vec->cap ? vec->cap * 2 : 4;
		void *v = realloc(vec->v, cap * size);

		if (!v) {
			ch->oom = 1;
			return NULL;
		}
		vec->v = v;
		vec->cap = cap;
	}
	memset((char *)vec->v + vec->n * size, 0, size);
	return (char *)vec->v + size * vec->n++;
}

/* The arena: take ownership of @s (may be NULL: out of memory). */
static const char *arena(struct dk_chain *ch, char *s)
{
	if (!s) {
		ch->oom = 1;
		return NULL;
	}
	if (ch->nstrs == ch->capstrs) {
		size_t cap = ch->capstrs ? ch->capstrs * 2 : 32;
		char **v = realloc(ch->strs, cap * sizeof(*v));

		if (!v) {
			free(s);
			ch->oom = 1;
			return NULL;
		}
		ch->strs = v;
		ch->capstrs = cap;
	}
	ch->strs[ch->nstrs++] = s;
	return s;
}

static const char *fmt(struct dk_chain *ch, const char *f, ...) DK_PRINTF(2, 3);

static const char *fmt(struct dk_chain *ch, const char *f, ...)
{
	va_list ap;
	char *s = NULL;
	int n;

	va_start(ap, f);
	n = vasprintf(&s, f, ap);
	va_end(ap);
	return arena(ch, n < 0 ? NULL : s);
}

static const char *dname_str(struct dk_chain *ch, const ldns_rdf *d)
{
	return arena(ch, d ? ldns_rdf2str(d) : strdup("?"));
}

/* An RR on one line, without comments. */
static const char *rr_str(struct dk_chain *ch, const ldns_rr *rr)
{
	char *s = ldns_rr2str_fmt(ldns_output_format_nocomments, rr);
	size_t n;

	if (!s) {
		return arena(ch, NULL);
	}
	for (char *p = s; *p; p++) {
		if (*p == '\t') {
			*p = ' ';
		}
	}
	n = strlen(s);
	while (n && (s[n - 1] == '\n' || s[n - 1] == ' ')) {
		s[--n] = '\0';
	}
	return arena(ch, s);
}

/*
 * The Original TTL (RFC 4034 section 3.1.4) of an RRSIG of @pool over
 * @owner/@type, or -1: the TTL the zone serves, where libunbound returns
 * what is left of it in its cache, or val-bogus-ttl for bogus data.
 */
static int64_t orig_ttl(const ldns_rr_list *pool, const ldns_rdf *owner,
			uint16_t type)
{
	for (size_t i = 0; i < ldns_rr_list_rr_count(pool); i++) {
		ldns_rr *rr = ldns_rr_list_rr(pool, i);
		const ldns_rdf *tc = ldns_rr_rrsig_typecovered(rr);
		const ldns_rdf *ot = ldns_rr_rrsig_origttl(rr);

		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_RRSIG && tc && ot &&
		    ldns_rdf2native_int16(tc) == type &&
		    ldns_dname_compare(ldns_rr_owner(rr), owner) == 0) {
			return (int64_t)ldns_rdf2native_int32(ot);
		}
	}
	return -1;
}

/* An RR on one line with the TTL it is served with (see orig_ttl()). */
static const char *rr_str_served(struct dk_chain *ch, const ldns_rr *rr,
				 const ldns_rr_list *pool)
{
	int64_t t = orig_ttl(pool, ldns_rr_owner(rr),
			     (uint16_t)ldns_rr_get_type(rr));
	ldns_rr *c;
	const char *s;

	if (t < 0 || t == (int64_t)ldns_rr_ttl(rr)) {
		return rr_str(ch, rr);
	}
	c = ldns_rr_clone(rr);
	if (!c) {
		return arena(ch, NULL);
	}
	ldns_rr_set_ttl(c, (uint32_t)t);
	s = rr_str(ch, c);
	ldns_rr_free(c);
	return s;
}

/* The TTLs of the RRset @rrs (one owner and type) into @x. */
static void set_ttls(struct lx *x, const ldns_rr_list *rrs,
		     const ldns_rr_list *pool)
{
	size_t n = ldns_rr_list_rr_count(rrs);
	ldns_rr *first = n ? ldns_rr_list_rr(rrs, 0) : NULL;

	x->ttl = x->rttl = -1;
	if (!first) {
		return;
	}
	for (size_t i = 0; i < n; i++) {
		int64_t t = (int64_t)ldns_rr_ttl(ldns_rr_list_rr(rrs, i));

		if (x->rttl < 0 || t < x->rttl) {
			x->rttl = t;
		}
	}
	x->ttl = orig_ttl(pool, ldns_rr_owner(first),
			  (uint16_t)ldns_rr_get_type(first));
	if (x->ttl < 0) {
		x->ttl = x->rttl;
	}
}

static const char *type_str(uint16_t type)
{
	const ldns_rr_descriptor *d = ldns_rr_descript(type);

	return d && d->_name ? d->_name : "TYPE?";
}

/* "2026-11-16 04:05 UTC" */
static const char *date_str(struct dk_chain *ch, time_t t)
{
	char buf[64];
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M UTC", &tm);
	return fmt(ch, "%s", buf);
}

/* "10 days", "5 hours", "12 minutes" for a span of @s seconds (>= 0). */
static const char *span_str(struct dk_chain *ch, int64_t s)
{
	int64_t v;
	const char *unit;

	if (s < 0) {
		s = -s;
	}
	if (s >= 86400) {
		v = (s + 43200) / 86400;
		unit = "day";
	} else if (s >= 3600) {
		v = (s + 1800) / 3600;
		unit = "hour";
	} else {
		v = (s + 30) / 60;
		unit = "minute";
	}
	return fmt(ch, "%lld %s%s", (long long)v, unit, v == 1 ? "" : "s");
}

static int dname_eq(const ldns_rdf *a, const ldns_rdf *b)
{
	return a && b && ldns_dname_compare(a, b) == 0;
}

/* @name is @zone or below it. */
static int dname_under(const ldns_rdf *name, const ldns_rdf *zone)
{
	return dname_eq(name, zone) || ldns_dname_is_subdomain(name, zone);
}

/* The ancestor of @name with @labels labels (a new rdf). */
static ldns_rdf *ancestor(const ldns_rdf *name, size_t labels)
{
	ldns_rdf *d = ldns_rdf_clone(name);

	while (d && ldns_dname_label_count(d) > labels) {
		ldns_rdf *up = ldns_dname_left_chop(d);

		ldns_rdf_deep_free(d);
		d = up;
	}
	return d;
}

/* Clones of the RRs of @sec with @owner (NULL: any) and @type. */
static ldns_rr_list *pick(const ldns_rr_list *sec, const ldns_rdf *owner,
			  ldns_rr_type type)
{
	ldns_rr_list *out = ldns_rr_list_new();

	for (size_t i = 0; out && i < ldns_rr_list_rr_count(sec); i++) {
		ldns_rr *rr = ldns_rr_list_rr(sec, i);

		if (ldns_rr_get_type(rr) == type &&
		    (!owner || dname_eq(ldns_rr_owner(rr), owner))) {
			ldns_rr *c = ldns_rr_clone(rr);

			if (!c || !ldns_rr_list_push_rr(out, c)) {
				ldns_rr_free(c);
				ldns_rr_list_deep_free(out);
				return NULL;
			}
		}
	}
	return out;
}

static struct zone *zone_find(struct dk_chain *ch, const ldns_rdf *apex)
{
	for (struct zone *z = ch->zones; z; z = z->next) {
		if (dname_eq(z->apex, apex)) {
			return z;
		}
	}
	return NULL;
}

static struct zone *zone_add(struct dk_chain *ch, const ldns_rdf *apex,
			     enum dk_dnssec_status status)
{
	struct zone *z = calloc(1, sizeof(*z));

	if (!z || !(z->apex = ldns_rdf_clone(apex))) {
		free(z);
		ch->oom = 1;
		return NULL;
	}
	z->name = dname_str(ch, apex);
	z->status = status;
	z->next = ch->zones;
	ch->zones = z;
	return z;
}

/* RFC 4034 section 3.1.5: serial number arithmetic around @now. */
static time_t sig_time(const ldns_rdf *rdf, time_t now)
{
	uint32_t v = rdf ? ldns_rdf2native_int32(rdf) : 0;
	int64_t d = (int32_t)(v - (uint32_t)now);

	return (time_t)((int64_t)now + d);
}

static uint16_t rdf16(const ldns_rdf *r)
{
	return r ? ldns_rdf2native_int16(r) : 0;
}

static uint8_t rdf8(const ldns_rdf *r)
{
	return r ? ldns_rdf2native_int8(r) : 0;
}

/*
 * Check the RRSIGs of @pool that cover @owner/@type over @rrset, with the
 * DNSKEY set @keys of @zone (NULL: not checked). Appends to @out; returns
 * the number of valid signatures.
 */
/*
 * ldns_verify_rrsig_keylist_notime(), through the resolver's memo of
 * checks already made: the same RRset, RRSIG and keys (a digest of their
 * wire form) give the same answer, so a scan that walks the same zone
 * cuts for many names verifies each signature once. Validity dates are
 * judged by the caller, every time.
 */
static ldns_status verify_cached(struct dk_chain *ch, const ldns_rr_list *rrset,
				 const ldns_rr *sig, const ldns_rr_list *keys)
{
	unsigned char d[LDNS_SHA256_DIGEST_LENGTH];
	ldns_buffer *b = ldns_buffer_new(1024);
	ldns_status st;
	int have = 0;

	if (b && ldns_rr_list2buffer_wire(b, rrset) == LDNS_STATUS_OK &&
	    ldns_rr2buffer_wire(b, sig, LDNS_SECTION_ANY) == LDNS_STATUS_OK &&
	    ldns_rr_list2buffer_wire(b, keys) == LDNS_STATUS_OK) {
		ldns_sha256(ldns_buffer_begin(b),
			    (unsigned int)ldns_buffer_position(b), d);
		have = 1;
		if (ch->resolver &&
		    dki_sigmemo_get(ch->resolver, d, &st) == 0) {
			ldns_buffer_free(b);
			return st;
		}
	}
	ldns_buffer_free(b);
	st = ldns_verify_rrsig_keylist_notime((ldns_rr_list *)rrset,
					      (ldns_rr *)sig, keys, NULL);
	if (have && ch->resolver) {
		dki_sigmemo_put(ch->resolver, d, st);
	}
	return st;
}

static int check_sigs(struct dk_chain *ch, const ldns_rr_list *rrset,
		      const ldns_rr_list *pool, const ldns_rdf *owner,
		      uint16_t type, const ldns_rdf *zone,
		      const ldns_rr_list *keys, struct vec *out)
{
	int valid = 0;

	for (size_t i = 0; i < ldns_rr_list_rr_count(pool); i++) {
		ldns_rr *rr = ldns_rr_list_rr(pool, i);
		struct dk_chain_sig *s;
		ldns_rr_list *cand;
		ldns_status st;

		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_RRSIG ||
		    !dname_eq(ldns_rr_owner(rr), owner) ||
		    rdf16(ldns_rr_rrsig_typecovered(rr)) != type) {
			continue;
		}
		s = vec_add(ch, out, sizeof(*s));
		if (!s) {
			return valid;
		}
		s->owner = dname_str(ch, owner);
		s->type_covered = type;
		s->signer = dname_str(ch, ldns_rr_rrsig_signame(rr));
		s->key_tag = rdf16(ldns_rr_rrsig_keytag(rr));
		s->algorithm = rdf8(ldns_rr_rrsig_algorithm(rr));
		s->inception = sig_time(ldns_rr_rrsig_inception(rr), ch->now);
		s->expiration = sig_time(ldns_rr_rrsig_expiration(rr), ch->now);
		s->seconds_left = (int64_t)s->expiration - (int64_t)ch->now;
		if (!keys) {
			s->state = DK_CHAIN_SIG_NOT_CHECKED;
			continue;
		}
		cand = ldns_rr_list_new();
		if (!cand) {
			ch->oom = 1;
			return valid;
		}
		for (size_t k = 0; k < ldns_rr_list_rr_count(keys); k++) {
			ldns_rr *key = ldns_rr_list_rr(keys, k);

			if (ldns_calc_keytag(key) == s->key_tag &&
			    rdf8(ldns_rr_dnskey_algorithm(key)) ==
				    s->algorithm) {
				ldns_rr_list_push_rr(cand, key);
			}
		}
		if (!dname_eq(ldns_rr_rrsig_signame(rr), zone) ||
		    ldns_rr_list_rr_count(cand) == 0) {
			s->state = DK_CHAIN_SIG_NO_KEY;
		} else {
			st = verify_cached(ch, rrset, rr, cand);
			if (st == LDNS_STATUS_CRYPTO_UNKNOWN_ALGO ||
			    st == LDNS_STATUS_CRYPTO_ALGO_NOT_IMPL) {
				s->state = DK_CHAIN_SIG_UNSUPPORTED;
			} else if (st != LDNS_STATUS_OK) {
				s->state = DK_CHAIN_SIG_BAD;
			} else if (ch->now < s->inception) {
				s->state = DK_CHAIN_SIG_NOT_YET_VALID;
			} else if (ch->now > s->expiration) {
				s->state = DK_CHAIN_SIG_EXPIRED;
			} else {
				s->state = DK_CHAIN_SIG_VALID;
				valid++;
			}
		}
		ldns_rr_list_free(cand);
	}
	return valid;
}

/* The state that explains a failure best, first. */
static int sig_rank(enum dk_chain_sig_state s)
{
	switch (s) {
	case DK_CHAIN_SIG_EXPIRED:
		return 0;
	case DK_CHAIN_SIG_NOT_YET_VALID:
		return 1;
	case DK_CHAIN_SIG_BAD:
		return 2;
	case DK_CHAIN_SIG_UNSUPPORTED:
		return 3;
	case DK_CHAIN_SIG_NO_KEY:
		return 4;
	default:
		return 5;
	}
}

/*
 * One sentence on why none of the @n signatures over @what (signed in
 * @zone) is valid; NULL when one is.
 */
static const char *sigs_why(struct dk_chain *ch, const char *what,
			    const struct dk_chain_sig *v, size_t n,
			    const char *zone)
{
	const struct dk_chain_sig *best = NULL;

	for (size_t i = 0; i < n; i++) {
		if (v[i].state == DK_CHAIN_SIG_VALID) {
			return NULL;
		}
		if (!best || sig_rank(v[i].state) < sig_rank(best->state)) {
			best = &v[i];
		}
	}
	if (!best) {
		return fmt(ch, "%s has no RRSIG, although %s is signed", what,
			   zone);
	}
	switch (best->state) {
	case DK_CHAIN_SIG_EXPIRED:
		return fmt(ch, "the RRSIG over %s expired on %s, %s ago", what,
			   date_str(ch, best->expiration),
			   span_str(ch, best->seconds_left));
	case DK_CHAIN_SIG_NOT_YET_VALID:
		return fmt(ch,
			   "the RRSIG over %s is not yet valid: its "
			   "inception is %s, in %s",
			   what, date_str(ch, best->inception),
			   span_str(ch, (int64_t)best->inception -
						(int64_t)ch->now));
	case DK_CHAIN_SIG_BAD:
		return fmt(ch,
			   "the RRSIG over %s by key tag %u of %s does not "
			   "verify: the records or the signature were "
			   "altered",
			   what, best->key_tag, best->signer);
	case DK_CHAIN_SIG_UNSUPPORTED:
		return fmt(ch,
			   "the RRSIG over %s uses algorithm %u, which "
			   "ldns cannot verify here",
			   what, best->algorithm);
	case DK_CHAIN_SIG_NO_KEY:
		return fmt(ch,
			   "the RRSIG over %s names key tag %u of %s, "
			   "which is not in the DNSKEY set of %s",
			   what, best->key_tag, best->signer, zone);
	default:
		return fmt(ch, "the RRSIG over %s could not be checked", what);
	}
}

/* The link array, and its extras. */
static struct dk_chain_link *
link_add(struct dk_chain *ch, const struct dk_chain_link *l, const struct lx *x)
{
	if (ch->nlinks == ch->caplinks) {
		size_t cap = ch->caplinks ? ch->caplinks * 2 : 8;
		struct dk_chain_link *v = realloc(ch->links, cap * sizeof(*v));
		struct lx *w;

		if (!v) {
			ch->oom = 1;
			return NULL;
		}
		ch->links = v;
		w = realloc(ch->lx, cap * sizeof(*w));
		if (!w) {
			ch->oom = 1;
			return NULL;
		}
		ch->lx = w;
		ch->caplinks = cap;
	}
	ch->lx[ch->nlinks] = *x;
	ch->links[ch->nlinks] = *l;
	return &ch->links[ch->nlinks++];
}

static void link_free(struct dk_chain_link *l)
{
	free((void *)l->ds);
	free((void *)l->ds_sigs);
	free((void *)l->keys);
	free((void *)l->key_sigs);
	free((void *)l->records);
	free((void *)l->sigs);
	free((void *)l->proof_records);
	free((void *)l->proof_sigs);
}

/* Arrays of a link under construction, and its extras. */
struct lb {
	struct vec ds, ds_sigs, keys, key_sigs, records, sigs, proof_records,
		proof_sigs, mds;
	struct lx x;
};

/* A new link's arrays and extras: no TTL, no NSEC3 iterations. */
#define LB_INIT                                                              \
	{                                                                    \
		.x = {.ttl = -1, .rttl = -1, .n3_iter = -1, .n3_limit = -1 } \
	}

/* Move the arrays of @b into @l and add @l to the chain. */
static void link_finish(struct dk_chain *ch, struct dk_chain_link *l,
			struct lb *b)
{
	l->ds = b->ds.v;
	l->ds_count = b->ds.n;
	l->ds_sigs = b->ds_sigs.v;
	l->ds_sig_count = b->ds_sigs.n;
	l->keys = b->keys.v;
	l->key_count = b->keys.n;
	l->key_sigs = b->key_sigs.v;
	l->key_sig_count = b->key_sigs.n;
	l->records = b->records.v;
	l->record_count = b->records.n;
	l->sigs = b->sigs.v;
	l->sig_count = b->sigs.n;
	l->proof_records = b->proof_records.v;
	l->proof_record_count = b->proof_records.n;
	l->proof_sigs = b->proof_sigs.v;
	l->proof_sig_count = b->proof_sigs.n;
	b->x.mds = b->mds.v;
	b->x.nmds = b->mds.n;
	if (!link_add(ch, l, &b->x)) {
		link_free(l);
		free(b->mds.v);
	}
	memset(b, 0, sizeof(*b));
	b->x.ttl = b->x.rttl = -1;
	b->x.n3_iter = b->x.n3_limit = -1;
}

static void add_record(struct dk_chain *ch, struct vec *v, const ldns_rr *rr,
		       const ldns_rr_list *pool)
{
	const char **p = vec_add(ch, v, sizeof(*p));

	if (p) {
		*p = rr_str_served(ch, rr, pool);
	}
}

/*
 * Check the signatures over each RRset (by owner and type) of @rrs, all
 * in @pool, with @z's keys; add the records and signatures to @recs and
 * @sigs. Returns NULL when every RRset has a valid RRSIG, else why not.
 */
static const char *check_rrsets(struct dk_chain *ch, const ldns_rr_list *rrs,
				const ldns_rr_list *pool, const struct zone *z,
				struct vec *recs, struct vec *sigs)
{
	const char *why = NULL;

	for (size_t i = 0; i < ldns_rr_list_rr_count(rrs); i++) {
		ldns_rr *rr = ldns_rr_list_rr(rrs, i);
		ldns_rr_type t = ldns_rr_get_type(rr);
		ldns_rr_list *set;
		size_t first = sigs->n;
		int seen = 0;

		add_record(ch, recs, rr, pool);
		for (size_t j = 0; j < i; j++) {
			ldns_rr *o = ldns_rr_list_rr(rrs, j);

			if (ldns_rr_get_type(o) == t &&
			    dname_eq(ldns_rr_owner(o), ldns_rr_owner(rr))) {
				seen = 1;
			}
		}
		if (seen) {
			continue;
		}
		set = pick(rrs, ldns_rr_owner(rr), t);
		if (!set) {
			ch->oom = 1;
			return NULL;
		}
		check_sigs(ch, set, pool, ldns_rr_owner(rr), t, z->apex,
			   z->keys, sigs);
		if (!why && !ch->oom) {
			const char *what =
				fmt(ch, "the %s RRset of %s", type_str(t),
				    dname_str(ch, ldns_rr_owner(rr)));

			why = sigs_why(ch, what,
				       (struct dk_chain_sig *)sigs->v + first,
				       sigs->n - first, z->name);
		}
		ldns_rr_list_deep_free(set);
	}
	return why;
}

/* "a ZSK" / "a KSK" for the key that made @s, from @keys. */
static const char *key_role(const struct dk_chain_key *keys, size_t n,
			    const struct dk_chain_sig *s)
{
	for (size_t k = 0; k < n; k++) {
		if (keys[k].key_tag == s->key_tag &&
		    keys[k].algorithm == s->algorithm) {
			return keys[k].flags & 1 ? "a KSK without a DS"
						 : "a ZSK";
		}
	}
	return "a key not in the DNSKEY set";
}

/* "16 (ED448)" */
static const char *alg_str(struct dk_chain *ch, uint8_t alg)
{
	const ldns_lookup_table *lt = ldns_lookup_by_id(ldns_algorithms, alg);

	return lt && lt->name ? fmt(ch, "%u (%s)", alg, lt->name)
			      : fmt(ch, "%u", alg);
}

/* "2 (SHA-256)" for a DS digest type (RFC 4034, 4509, 5933, 6605). */
static const char *digest_str(struct dk_chain *ch, uint8_t t)
{
	static const char *const names[] = { NULL, "SHA-1", "SHA-256",
					     "GOST R 34.11-94", "SHA-384" };

	return t < sizeof(names) / sizeof(names[0]) && names[t]
		       ? fmt(ch, "%u (%s)", t, names[t])
		       : fmt(ch, "%u", t);
}

/*
 * libunbound validated the DS set of @z at @parent as secure, yet calls
 * the DNSKEY set of @z insecure: it found no DS it can use, so it treats
 * @z as unsigned (RFC 4035 section 5.2). Every validator implements
 * algorithms 8 and 13 and digest type 2 (RFC 8624 sections 3.1, 3.3):
 * when no DS has one of those, name what the DS set uses.
 */
static void unsupported(struct dk_chain *ch, struct dk_chain_link *l,
			struct lb *b, struct zone *z, const struct zone *parent)
{
	const struct dk_chain_ds *d = b->ds.v;
	const char *algs = "", *digs = "", *what, *found;
	unsigned seen_alg[256] = { 0 }, seen_dig[256] = { 0 };
	int alg_ok = 0, dig_ok = 0;

	for (size_t i = 0; i < b->ds.n; i++) {
		if (d[i].algorithm == LDNS_RSASHA256 ||
		    d[i].algorithm == LDNS_ECDSAP256SHA256) {
			alg_ok = 1;
		}
		if (d[i].digest_type == LDNS_SHA256) {
			dig_ok = 1;
		}
		if (!seen_alg[d[i].algorithm]++) {
			algs = fmt(ch, "%s%s%s", algs, *algs ? ", " : "",
				   alg_str(ch, d[i].algorithm));
		}
		if (!seen_dig[d[i].digest_type]++) {
			digs = fmt(ch, "%s%s%s", digs, *digs ? ", " : "",
				   digest_str(ch, d[i].digest_type));
		}
	}
	if (!alg_ok) {
		b->x.alg = d[0].algorithm;
		what = fmt(ch, "only with algorithm %s", algs);
	} else if (!dig_ok) {
		what = fmt(ch,
			   "with algorithm %s, but its DS records at %s use "
			   "only digest type %s",
			   algs, parent->name, digs);
	} else {
		what = fmt(ch,
			   "with algorithm %s and DS digest type %s at %s, "
			   "none of which libunbound accepts here",
			   algs, digs, parent->name);
	}
	found = l->why ? fmt(ch, "; the chain check finds: %s", l->why)
		       : fmt(ch,
			     "; the zone is not unsigned: its DS at %s "
			     "matches its DNSKEY RRset, and ldns verifies "
			     "the signatures",
			     parent->name);
	l->status = DK_DNSSEC_INSECURE;
	l->why = fmt(ch,
		     "%s is signed %s, which this build of libunbound "
		     "cannot validate: a zone signed only with algorithms "
		     "the validator does not support is treated as "
		     "insecure (RFC 4035 section 5.2)%s",
		     z->name, what, found);
	b->x.reason = DK_CHAIN_OUTCOME_UNSUPPORTED_ALGORITHM;
	b->x.zone = z->name;
	z->reason = DK_CHAIN_OUTCOME_UNSUPPORTED_ALGORITHM;
}

/* The DNSKEY set @keys (RRSIGs in @pool) into @b; -1 when out of memory. */
static int add_keys(struct dk_chain *ch, struct lb *b, const ldns_rr_list *keys,
		    const ldns_rr_list *pool)
{
	for (size_t k = 0; k < ldns_rr_list_rr_count(keys); k++) {
		ldns_rr *rr = ldns_rr_list_rr(keys, k);
		struct dk_chain_key *key = vec_add(ch, &b->keys, sizeof(*key));

		if (!key) {
			return -1;
		}
		key->flags = rdf16(ldns_rr_dnskey_flags(rr));
		key->key_tag = ldns_calc_keytag(rr);
		key->algorithm = rdf8(ldns_rr_dnskey_algorithm(rr));
		key->bits = (unsigned int)ldns_rr_dnskey_key_size(rr);
		key->ds = -1;
		key->text = rr_str_served(ch, rr, pool);
	}
	set_ttls(&b->x, keys, pool);
	return 0;
}

/*
 * A signed zone @apex whose DS set is @ds (from the parent @parent, with
 * the RRSIGs in @ds_pool, which libunbound says are @ds_status; or the
 * trust anchor when @parent is NULL).
 */
static struct zone *zone_signed(struct dk_chain *ch, const ldns_rdf *apex,
				struct zone *parent, const ldns_rr_list *ds,
				const ldns_rr_list *ds_pool,
				enum dk_dnssec_status ds_status)
{
	struct dk_chain_link l = { 0 };
	struct lb b = LB_INIT;
	struct zone *z = zone_add(ch, apex, DK_DNSSEC_INDETERMINATE);
	struct dk_answer *a = NULL;
	struct dk_diag diag = { "" };
	const ldns_pkt *pkt;
	ldns_rr_list *keys = NULL;
	const char *where;
	int r, matched = 0;

	if (!z) {
		return NULL;
	}
	l.type = DK_CHAIN_ZONE;
	l.name = z->name;
	l.zone = parent ? parent->name : NULL;
	l.anchor = parent == NULL;
	where = parent ? fmt(ch, "at %s", parent->name)
		       : fmt(ch, "in the trust anchor");
	for (size_t i = 0; i < ldns_rr_list_rr_count(ds); i++) {
		ldns_rr *rr = ldns_rr_list_rr(ds, i);
		struct dk_chain_ds *d = vec_add(ch, &b.ds, sizeof(*d));

		if (!d) {
			break;
		}
		d->key_tag = rdf16(ldns_rr_rdf(rr, 0));
		d->algorithm = rdf8(ldns_rr_rdf(rr, 1));
		d->digest_type = rdf8(ldns_rr_rdf(rr, 2));
		d->key = -1;
		d->text = rr_str_served(ch, rr, ds_pool);
	}
	if (parent && ds_pool) {
		int valid = check_sigs(ch, ds, ds_pool, apex, LDNS_RR_TYPE_DS,
				       parent->apex, parent->keys, &b.ds_sigs);

		if (!valid) {
			l.status = DK_DNSSEC_BOGUS;
			l.why = sigs_why(ch,
					 fmt(ch, "the DS RRset of %s at %s",
					     z->name, parent->name),
					 b.ds_sigs.v, b.ds_sigs.n,
					 parent->name);
		}
	}
	r = dk_lookup(ch->resolver, z->name, LDNS_RR_TYPE_DNSKEY, &a, &diag);
	if (r < 0) {
		if (!l.why) {
			l.status = DK_DNSSEC_INDETERMINATE;
			l.why = fmt(ch,
				    "the DNSKEY RRset of %s could not be "
				    "fetched: %s",
				    z->name,
				    diag.why[0] ? diag.why : dk_strerror(r));
		}
		goto done;
	}
	pkt = dki_answer_get0_packet(a);
	keys = pick(pkt ? ldns_pkt_answer(pkt) : NULL, apex,
		    LDNS_RR_TYPE_DNSKEY);
	if (!keys) {
		ch->oom = 1;
		goto done;
	}
	if (add_keys(ch, &b, keys, ldns_pkt_answer(pkt)) < 0) {
		goto done;
	}
	/* Which DS matches which DNSKEY (RFC 4034 section 5.2). */
	for (size_t i = 0; i < b.ds.n; i++) {
		struct dk_chain_ds *d = (struct dk_chain_ds *)b.ds.v + i;

		for (size_t k = 0; k < b.keys.n; k++) {
			struct dk_chain_key *key =
				(struct dk_chain_key *)b.keys.v + k;

			if (key->key_tag != d->key_tag ||
			    key->algorithm != d->algorithm ||
			    (key->flags & 0x0080) != 0 ||
			    !ldns_rr_compare_ds(ldns_rr_list_rr(ds, i),
						ldns_rr_list_rr(keys, k))) {
				continue;
			}
			d->key = (int)k;
			if (key->ds < 0) {
				key->ds = (int)i;
			}
			matched++;
			break;
		}
	}
	check_sigs(ch, keys, ldns_pkt_answer(pkt), apex, LDNS_RR_TYPE_DNSKEY,
		   apex, keys, &b.key_sigs);
	if (l.why) {
		goto done;
	}
	if (b.keys.n == 0) {
		l.status = DK_DNSSEC_BOGUS;
		l.why = parent ? fmt(ch,
				     "%s has no DNSKEY records, although "
				     "%s has a DS for it",
				     z->name, parent->name)
			       : fmt(ch,
				     "%s has no DNSKEY records, although "
				     "the trust anchor names it",
				     z->name);
	} else if (matched == 0) {
		const struct dk_chain_ds *d = b.ds.v;

		l.status = DK_DNSSEC_BOGUS;
		if (b.ds.n == 1 && parent) {
			l.why = fmt(ch,
				    "the DS with key tag %u at %s matches "
				    "no DNSKEY of %s",
				    d[0].key_tag, parent->name, z->name);
		} else if (b.ds.n == 1) {
			l.why = fmt(ch,
				    "the trust anchor (key tag %u) matches "
				    "no DNSKEY of %s",
				    d[0].key_tag, z->name);
		} else {
			l.why = fmt(ch,
				    "none of the %zu DS records %s matches "
				    "a DNSKEY of %s",
				    b.ds.n, where, z->name);
		}
	} else {
		/* A valid RRSIG by a key that a DS matches (RFC 4035 5.2). */
		const struct dk_chain_sig *s = b.key_sigs.v;
		const struct dk_chain_key *key = b.keys.v;
		struct dk_chain_sig by_sep[16];
		size_t nsep = 0;
		int trusted = 0;

		for (size_t i = 0; i < b.key_sigs.n; i++) {
			int sep = 0;

			for (size_t k = 0; k < b.keys.n; k++) {
				if (key[k].ds >= 0 &&
				    key[k].key_tag == s[i].key_tag &&
				    key[k].algorithm == s[i].algorithm) {
					sep = 1;
				}
			}
			if (!sep) {
				continue;
			}
			if (s[i].state == DK_CHAIN_SIG_VALID) {
				trusted = 1;
			}
			if (nsep < 16) {
				by_sep[nsep++] = s[i];
			}
		}
		if (trusted) {
			l.status = DK_DNSSEC_SECURE;
		} else if (nsep > 0) {
			l.status = DK_DNSSEC_BOGUS;
			l.why = sigs_why(
				ch, fmt(ch, "the DNSKEY RRset of %s", z->name),
				by_sep, nsep, z->name);
		} else {
			const struct dk_chain_key *dk = NULL;

			for (size_t k = 0; k < b.keys.n && !dk; k++) {
				if (key[k].ds >= 0) {
					dk = &key[k];
				}
			}
			l.status = DK_DNSSEC_BOGUS;
			if (b.key_sigs.n == 0) {
				l.why = fmt(ch,
					    "the DNSKEY RRset of %s has no "
					    "RRSIG",
					    z->name);
			} else {
				l.why = fmt(
					ch,
					"the DNSKEY RRset of %s is not signed "
					"by a key with a DS %s: the DS points "
					"at key tag %u (%s), but the RRSIG is "
					"by key tag %u (%s)",
					z->name, where, dk->key_tag,
					dk->flags & 1 ? "a KSK" : "a ZSK",
					s[0].key_tag,
					key_role(key, b.keys.n, &s[0]));
			}
		}
	}
done:
	if (a && parent && ds_status == DK_DNSSEC_SECURE &&
	    dk_answer_status(a) == DK_DNSSEC_INSECURE && b.ds.n > 0 &&
	    !ch->oom) {
		unsupported(ch, &l, &b, z, parent);
	}
	if (z) {
		z->status = l.status;
		z->keys = keys;
		keys = NULL;
	}
	ldns_rr_list_deep_free(keys);
	dk_answer_free(a);
	link_finish(ch, &l, &b);
	return z;
}

/* The hashed owner name of @name for the parameters of @nsec3. */
static ldns_rdf *nsec3_hashed(const ldns_rr *nsec3, const ldns_rdf *name,
			      const ldns_rdf *zone)
{
	ldns_rdf *h = ldns_nsec3_hash_name_frm_nsec3(nsec3, name);

	if (h && ldns_dname_cat(h, zone) != LDNS_STATUS_OK) {
		ldns_rdf_deep_free(h);
		return NULL;
	}
	return h;
}

/* The NSEC3 of @nsec3s whose owner is the hash of @name, or NULL. */
static ldns_rr *nsec3_match(const ldns_rr_list *nsec3s, const ldns_rdf *name,
			    const ldns_rdf *zone)
{
	for (size_t i = 0; i < ldns_rr_list_rr_count(nsec3s); i++) {
		ldns_rr *rr = ldns_rr_list_rr(nsec3s, i);
		ldns_rdf *h = nsec3_hashed(rr, name, zone);
		int eq = dname_eq(h, ldns_rr_owner(rr));

		ldns_rdf_deep_free(h);
		if (eq) {
			return rr;
		}
	}
	return NULL;
}

/*
 * Is @name covered by an NSEC3 opt-out span (RFC 5155 section 7.2.4,
 * 8.6)? Find the closest encloser of @name among @nsec3s, then the NSEC3
 * that covers the next closer name.
 */
static int nsec3_optout_covers(const ldns_rr_list *nsec3s, const ldns_rdf *name,
			       const ldns_rdf *zone)
{
	size_t zl = ldns_dname_label_count(zone);
	size_t nl = ldns_dname_label_count(name);
	int ret = 0;

	if (ldns_rr_list_rr_count(nsec3s) == 0) {
		return 0;
	}
	for (size_t l = nl; l > zl; l--) {
		ldns_rdf *ce = ancestor(name, l - 1);
		ldns_rdf *next = ancestor(name, l);

		if (ce && next && nsec3_match(nsec3s, ce, zone)) {
			for (size_t i = 0; i < ldns_rr_list_rr_count(nsec3s);
			     i++) {
				ldns_rr *rr = ldns_rr_list_rr(nsec3s, i);
				ldns_rdf *h = nsec3_hashed(rr, next, zone);

				if (h && ldns_nsec_covers_name(rr, h) &&
				    ldns_nsec3_optout(rr)) {
					ret = 1;
				}
				ldns_rdf_deep_free(h);
			}
			ldns_rdf_deep_free(ce);
			ldns_rdf_deep_free(next);
			return ret;
		}
		ldns_rdf_deep_free(ce);
		ldns_rdf_deep_free(next);
	}
	return 0;
}

static int bitmap_has(const ldns_rdf *bitmap, ldns_rr_type t)
{
	return bitmap && ldns_nsec_bitmap_covers_type(bitmap, t);
}

/*
 * Does the authority section @auth of a DS NODATA answer for @name (asked
 * of @zone) prove an unsigned delegation (RFC 4035 section 5.2, RFC 5155
 * section 8.6)? Returns the proof kind (NONE: not a delegation) and sets
 * *@optout.
 */
static enum dk_chain_proof delegation_proof(const ldns_rr_list *auth,
					    const ldns_rdf *name,
					    const ldns_rdf *zone, int *optout)
{
	ldns_rr_list *nsec = pick(auth, name, LDNS_RR_TYPE_NSEC);
	ldns_rr_list *nsec3s = pick(auth, NULL, LDNS_RR_TYPE_NSEC3);
	enum dk_chain_proof p = DK_CHAIN_PROOF_NONE;
	ldns_rr *m;

	*optout = 0;
	if (nsec && ldns_rr_list_rr_count(nsec) > 0) {
		const ldns_rdf *bm = ldns_rr_rdf(ldns_rr_list_rr(nsec, 0), 1);

		if (bitmap_has(bm, LDNS_RR_TYPE_NS) &&
		    !bitmap_has(bm, LDNS_RR_TYPE_SOA) &&
		    !bitmap_has(bm, LDNS_RR_TYPE_DS)) {
			p = DK_CHAIN_PROOF_NSEC;
		}
	} else if (nsec3s && (m = nsec3_match(nsec3s, name, zone))) {
		const ldns_rdf *bm = ldns_nsec3_bitmap(m);

		if (bitmap_has(bm, LDNS_RR_TYPE_NS) &&
		    !bitmap_has(bm, LDNS_RR_TYPE_SOA) &&
		    !bitmap_has(bm, LDNS_RR_TYPE_DS)) {
			p = DK_CHAIN_PROOF_NSEC3;
			*optout = ldns_nsec3_optout(m);
		}
	} else if (nsec3s && nsec3_optout_covers(nsec3s, name, zone)) {
		p = DK_CHAIN_PROOF_NSEC3_OPTOUT;
		*optout = 1;
	}
	ldns_rr_list_deep_free(nsec);
	ldns_rr_list_deep_free(nsec3s);
	return p;
}

/* The NSEC and NSEC3 records of @auth (new list). */
static ldns_rr_list *denial_records(const ldns_rr_list *auth)
{
	ldns_rr_list *a = pick(auth, NULL, LDNS_RR_TYPE_NSEC);
	ldns_rr_list *b = pick(auth, NULL, LDNS_RR_TYPE_NSEC3);

	if (!a || !b || !ldns_rr_list_cat(a, b)) {
		ldns_rr_list_deep_free(a);
		ldns_rr_list_deep_free(b);
		return NULL;
	}
	ldns_rr_list_free(b);
	return a;
}

/*
 * The validator's NSEC3 iteration limit for the DNSKEY set @keys, -1 when
 * it cannot be told: unbound's val-nsec3-keysize-iterations holds pairs
 * of key size and limit in ascending order; the zone's smallest key takes
 * the limit of the first size it does not exceed, else the last limit
 * (as unbound's val_nsec3.c does). *@ret_bits: that key size.
 */
static int nsec3_limit(struct dk_chain *ch, const ldns_rr_list *keys,
		       size_t *ret_bits)
{
	char *v = NULL, *save = NULL;
	size_t bits = 0;
	long limit = -1;

	for (size_t i = 0; i < ldns_rr_list_rr_count(keys); i++) {
		size_t b = ldns_rr_dnskey_key_size(ldns_rr_list_rr(keys, i));

		if (b > 0 && (bits == 0 || b < bits)) {
			bits = b;
		}
	}
	*ret_bits = bits;
	if (ub_ctx_get_option(dk_resolver_get0_ub(ch->resolver),
			      "val-nsec3-keysize-iterations", &v) != 0 ||
	    !v) {
		free(v);
		return -1;
	}
	for (char *tok = strtok_r(v, " \t\n", &save); tok;
	     tok = strtok_r(NULL, " \t\n", &save)) {
		char *lim = strtok_r(NULL, " \t\n", &save);
		char *end1 = NULL, *end2 = NULL;
		long size, l;

		if (!lim) {
			break;
		}
		size = strtol(tok, &end1, 10);
		l = strtol(lim, &end2, 10);
		if (*end1 || *end2 || l < 0 || l > 65535) {
			limit = -1;
			break;
		}
		limit = l;
		if (bits <= (size_t)size) {
			break;
		}
	}
	free(v);
	return (int)limit;
}

/*
 * When the NSEC3 records of @auth (from @z) use more iterations than the
 * validator accepts (RFC 9276 section 3.2), note both in @b and return
 * the sentence that says so; else NULL.
 */
static const char *nsec3_over(struct dk_chain *ch, struct lb *b,
			      const ldns_rr_list *auth, const struct zone *z)
{
	int iter = -1, limit;
	size_t bits = 0;

	for (size_t i = 0; i < ldns_rr_list_rr_count(auth); i++) {
		ldns_rr *rr = ldns_rr_list_rr(auth, i);

		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_NSEC3 &&
		    (int)ldns_nsec3_iterations(rr) > iter) {
			iter = (int)ldns_nsec3_iterations(rr);
		}
	}
	if (iter < 0) {
		return NULL;
	}
	limit = nsec3_limit(ch, z->keys, &bits);
	if (limit < 0 || iter <= limit) {
		return NULL;
	}
	b->x.n3_iter = iter;
	b->x.n3_limit = limit;
	return fmt(ch,
		   "the NSEC3 records of %s use %d iterations, more than "
		   "the %d this validator accepts for %s keys of %zu bits "
		   "(val-nsec3-keysize-iterations), so it does not check "
		   "the denial and calls it insecure (RFC 9276 section 3.2)",
		   z->name, iter, limit, z->name, bits);
}

/*
 * @z is an unsigned delegation of @parent, as @proof_why says: is it a
 * signed zone whose DS is missing? If it has a DNSKEY RRset, show it in
 * @l, say so, and give the DS to add at the parent for each key that
 * signs the RRset validly (SEP keys first, RFC 4034 section 2.1.1).
 */
static void child_signed(struct dk_chain *ch, struct dk_chain_link *l,
			 struct lb *b, struct zone *z,
			 const struct zone *parent, const char *proof_why)
{
	struct dk_answer *a = NULL;
	const ldns_pkt *pkt;
	ldns_rr_list *keys;
	const char *desc = "", *bad;
	const struct dk_chain_key *k;
	const struct dk_chain_sig *sg;
	size_t nsig;

	if (dk_lookup(ch->resolver, z->name, LDNS_RR_TYPE_DNSKEY, &a, NULL) <
	    0) {
		return;
	}
	pkt = dki_answer_get0_packet(a);
	keys = pick(pkt ? ldns_pkt_answer(pkt) : NULL, z->apex,
		    LDNS_RR_TYPE_DNSKEY);
	if (!keys) {
		ch->oom = 1;
	}
	if (!keys || ldns_rr_list_rr_count(keys) == 0 ||
	    add_keys(ch, b, keys, ldns_pkt_answer(pkt)) < 0) {
		ldns_rr_list_deep_free(keys);
		dk_answer_free(a);
		return;
	}
	check_sigs(ch, keys, ldns_pkt_answer(pkt), z->apex, LDNS_RR_TYPE_DNSKEY,
		   z->apex, keys, &b->key_sigs);
	k = b->keys.v;
	sg = b->key_sigs.v;
	nsig = b->key_sigs.n;
	for (size_t i = 0; i < b->keys.n; i++) {
		desc = fmt(ch, "%s%s%s %u algorithm %u", desc,
			   *desc ? ", " : "",
			   k[i].flags & 0x0080 ? "revoked key"
			   : k[i].flags & 1    ? "KSK"
					       : "ZSK",
			   k[i].key_tag, k[i].algorithm);
	}
	/* DS records for the keys that sign the set: SEP keys, else any. */
	for (int sep = 1; sep >= 0 && b->mds.n == 0 && !ch->oom; sep--) {
		for (size_t i = 0; i < b->keys.n; i++) {
			int valid = 0;

			if ((k[i].flags & 0x0080) ||
			    (k[i].flags & 0x0100) == 0 ||
			    (sep && !(k[i].flags & 1))) {
				continue;
			}
			for (size_t j = 0; j < nsig; j++) {
				valid |= sg[j].key_tag == k[i].key_tag &&
					 sg[j].algorithm == k[i].algorithm &&
					 sg[j].state == DK_CHAIN_SIG_VALID;
			}
			if (valid) {
				ldns_rr *ds = ldns_key_rr2ds(
					ldns_rr_list_rr(keys, i), LDNS_SHA256);
				const char **p =
					vec_add(ch, &b->mds, sizeof(*p));

				if (!ds) {
					ch->oom = 1;
				} else if (p) {
					*p = rr_str(ch, ds);
				}
				ldns_rr_free(ds);
			}
		}
	}
	b->x.reason = DK_CHAIN_OUTCOME_DS_MISSING;
	b->x.zone = z->name;
	if (b->mds.n > 0) {
		const char *const *mds = b->mds.v;
		const char *tags = "";

		for (size_t i = 0; i < b->mds.n; i++) {
			const char *t = mds[i] ? strstr(mds[i], " DS ") : NULL;

			tags = fmt(ch, "%s%s%.*s", tags, *tags ? ", " : "",
				   t ? (int)strcspn(t + 4, " ") : 1,
				   t ? t + 4 : "?");
		}
		l->why = fmt(ch,
			     "%s is signed, only its DS is missing: its DNSKEY "
			     "RRset (%s) is in place and validates by itself, "
			     "but %s, so validators treat the zone as "
			     "unsigned; the fix is at the parent: add the DS "
			     "of key %s at %s",
			     z->name, desc, proof_why, tags, parent->name);
	} else {
		bad = sigs_why(ch, fmt(ch, "the DNSKEY RRset of %s", z->name),
			       sg, nsig, z->name);
		l->why = fmt(ch,
			     "%s has a DNSKEY RRset (%s), but %s, so "
			     "validators treat the zone as unsigned; the DS is "
			     "missing at the parent, but %s: a DS added now "
			     "would make the zone bogus, so fix its signatures "
			     "first",
			     z->name, desc, proof_why,
			     bad ? bad : "no key of it signs it validly");
	}
	ldns_rr_list_deep_free(keys);
	dk_answer_free(a);
}

/*
 * An unsigned child @name of the secure zone @parent, proven by @auth
 * (libunbound's answer to the DS query was @ds_status).
 */
static struct zone *zone_unsigned(struct dk_chain *ch, const ldns_rdf *name,
				  struct zone *parent,
				  enum dk_chain_proof proof, int optout,
				  const ldns_rr_list *auth,
				  enum dk_dnssec_status ds_status)
{
	struct dk_chain_link l = { 0 };
	struct lb b = LB_INIT;
	struct zone *z = zone_add(ch, name, DK_DNSSEC_INSECURE);
	ldns_rr_list *recs;
	const char *bad;

	if (!z) {
		return NULL;
	}
	l.type = DK_CHAIN_INSECURE_DELEGATION;
	l.name = z->name;
	l.zone = parent->name;
	l.proof = proof;
	l.optout = optout;
	recs = denial_records(auth);
	if (!recs) {
		ch->oom = 1;
		return z;
	}
	bad = check_rrsets(ch, recs, auth, parent, &b.proof_records,
			   &b.proof_sigs);
	if (bad) {
		l.status = DK_DNSSEC_BOGUS;
		l.why = fmt(ch,
			    "the proof that %s has no DS does not "
			    "validate: %s",
			    z->name, bad);
	} else {
		/* How the parent shows there is no DS. */
		const char *how, *over = NULL;

		l.status = DK_DNSSEC_INSECURE;
		if (proof == DK_CHAIN_PROOF_NSEC) {
			how = fmt(ch,
				  "the NSEC record of %s proves that it has "
				  "no DS",
				  parent->name);
		} else if (proof == DK_CHAIN_PROOF_NSEC3) {
			how = fmt(ch,
				  "an NSEC3 record of %s%s proves that it "
				  "has no DS",
				  parent->name,
				  optout ? " (opt-out flag set)" : "");
		} else {
			how = fmt(ch,
				  "it lies in an NSEC3 opt-out span of %s, "
				  "so it has no DS",
				  parent->name);
		}
		if (proof != DK_CHAIN_PROOF_NSEC &&
		    ds_status != DK_DNSSEC_SECURE) {
			over = nsec3_over(ch, &b, auth, parent);
			if (over) {
				b.x.reason = DK_CHAIN_OUTCOME_NSEC3_ITERATIONS;
				b.x.zone = parent->name;
			}
		}
		l.why = fmt(ch, "%s is an unsigned delegation: %s%s%s", z->name,
			    how, over ? "; but " : "", over ? over : "");
		if (!ch->oom) {
			child_signed(ch, &l, &b, z, parent,
				     fmt(ch, "%s has no DS for it: %s%s%s",
					 parent->name, how,
					 over ? "; and " : "",
					 over ? over : ""));
		}
	}
	z->status = l.status;
	ldns_rr_list_deep_free(recs);
	link_finish(ch, &l, &b);
	return z;
}

static int noncut_known(struct dk_chain *ch, const ldns_rdf *name)
{
	for (size_t i = 0; i < ch->nnoncuts; i++) {
		if (dname_eq(ch->noncuts[i], name)) {
			return 1;
		}
	}
	return 0;
}

static void noncut_add(struct dk_chain *ch, const ldns_rdf *name)
{
	if (ch->nnoncuts < sizeof(ch->noncuts) / sizeof(ch->noncuts[0])) {
		ch->noncuts[ch->nnoncuts] = ldns_rdf_clone(name);
		if (ch->noncuts[ch->nnoncuts]) {
			ch->nnoncuts++;
		}
	}
}

/* The longest trust anchor owner at or above @name, or NULL. */
static const ldns_rdf *anchor_for(struct dk_chain *ch, const ldns_rdf *name)
{
	const ldns_rdf *best = NULL;

	for (size_t i = 0; i < ldns_rr_list_rr_count(ch->anchors); i++) {
		const ldns_rdf *o =
			ldns_rr_owner(ldns_rr_list_rr(ch->anchors, i));

		if (dname_under(name, o) &&
		    (!best || ldns_dname_label_count(o) >
				      ldns_dname_label_count(best))) {
			best = o;
		}
	}
	return best;
}

/*
 * Walk from the trust anchor down to @name; returns the zone @name is in
 * (its status says whether its keys can be trusted), or NULL when no
 * trust anchor covers @name (or out of memory).
 */
static struct zone *walk_to(struct dk_chain *ch, const ldns_rdf *name)
{
	const ldns_rdf *anchor = anchor_for(ch, name);
	struct zone *z;
	size_t nl = ldns_dname_label_count(name);

	if (!anchor) {
		return NULL;
	}
	z = zone_find(ch, anchor);
	if (!z) {
		ldns_rr_list *ds = pick(ch->anchors, anchor, LDNS_RR_TYPE_DS);

		if (!ds) {
			ch->oom = 1;
			return NULL;
		}
		z = zone_signed(ch, anchor, NULL, ds, NULL, DK_DNSSEC_SECURE);
		ldns_rr_list_deep_free(ds);
		if (!z) {
			return NULL;
		}
	}
	for (size_t d = ldns_dname_label_count(anchor) + 1; d <= nl; d++) {
		struct dk_answer *a = NULL;
		struct dk_diag diag = { "" };
		const ldns_pkt *pkt;
		ldns_rr_list *ds = NULL, *cname = NULL;
		ldns_rdf *n;
		struct zone *found;
		int r, stop = 0;

		if (z->status != DK_DNSSEC_SECURE || ch->oom) {
			return z;
		}
		n = ancestor(name, d);
		if (!n) {
			ch->oom = 1;
			return z;
		}
		found = zone_find(ch, n);
		if (found) {
			z = found;
			ldns_rdf_deep_free(n);
			continue;
		}
		if (noncut_known(ch, n)) {
			ldns_rdf_deep_free(n);
			continue;
		}
		r = dk_lookup(ch->resolver, dname_str(ch, n), LDNS_RR_TYPE_DS,
			      &a, &diag);
		pkt = r == 0 ? dki_answer_get0_packet(a) : NULL;
		if (r == DK_ESERVFAIL && ch->failed) {
			/*
			 * The lookup of the name failed the same way (a CNAME
			 * into a lame zone, or servers of @z that fail): the
			 * servers asked directly will tell, not a DS link.
			 */
			ldns_rdf_deep_free(n);
			return z;
		}
		if (r < 0 || !pkt) {
			struct dk_chain_link l = { 0 };
			struct lb b = LB_INIT;
			struct zone *u =
				zone_add(ch, n, DK_DNSSEC_INDETERMINATE);

			if (u) {
				l.type = DK_CHAIN_ZONE;
				l.name = u->name;
				l.zone = z->name;
				l.status = DK_DNSSEC_INDETERMINATE;
				l.why = fmt(ch,
					    "the DS RRset of %s could not "
					    "be fetched from %s: %s",
					    u->name, z->name,
					    diag.why[0] ? diag.why
					    : r < 0	? dk_strerror(r)
							: "no packet");
				link_finish(ch, &l, &b);
				z = u;
			}
			ldns_rdf_deep_free(n);
			dk_answer_free(a);
			return z;
		}
		ds = pick(ldns_pkt_answer(pkt), n, LDNS_RR_TYPE_DS);
		cname = pick(ldns_pkt_answer(pkt), n, LDNS_RR_TYPE_CNAME);
		if (!ds || !cname) {
			ch->oom = 1;
			stop = 1;
		} else if (ldns_rr_list_rr_count(ds) > 0) {
			/* A signed zone cut. */
			found = zone_signed(ch, n, z, ds, ldns_pkt_answer(pkt),
					    dk_answer_status(a));
			if (found) {
				z = found;
			} else {
				stop = 1;
			}
		} else if (ldns_rr_list_rr_count(cname) > 0 ||
			   dk_answer_rcode(a) != LDNS_RCODE_NOERROR) {
			/* A CNAME has no children; NXDOMAIN none either. */
			stop = 1;
		} else {
			enum dk_chain_proof p;
			int optout;

			p = delegation_proof(ldns_pkt_authority(pkt), n,
					     z->apex, &optout);
			if (p != DK_CHAIN_PROOF_NONE) {
				found = zone_unsigned(ch, n, z, p, optout,
						      ldns_pkt_authority(pkt),
						      dk_answer_status(a));
				if (found) {
					z = found;
				}
				stop = 1;
			} else {
				noncut_add(ch, n);
			}
		}
		ldns_rr_list_deep_free(ds);
		ldns_rr_list_deep_free(cname);
		ldns_rdf_deep_free(n);
		dk_answer_free(a);
		if (stop) {
			return z;
		}
	}
	return z;
}

/*
 * SERVFAIL without a validation failure: ask the name servers directly,
 * without recursion, from the deepest zone whose NS RRset libunbound can
 * give, down the referrals, until a zone's servers all fail.
 */

enum {
	MAX_TARGETS = 16,  /* addresses asked per zone */
	MAX_REFERRALS = 8, /* zones followed down */
};

/* One name server address to ask. */
struct target {
	const char *name;   /* arena */
	const char *addr;   /* arena; NULL when none was found */
	const char *noaddr; /* why there is none */
	struct sockaddr_storage sa;
	socklen_t salen;
};

/* Each round of questions waits the resolver's time-out, at most 3 s. */
static double probe_wait(struct dk_chain *ch)
{
	double t = dk_resolver_timeout(ch->resolver);

	return t > 0 && t < 3.0 ? t : 3.0;
}

static unsigned probe_port(const struct dk_chain *ch)
{
	return ch->auth_port ? ch->auth_port : 53;
}

/* Add @name at @addr (text; NULL: no address, @noaddr says why). */
static void target_add(struct dk_chain *ch, struct target *t, size_t *n,
		       const char *name, const char *addr, const char *noaddr)
{
	struct target *x;
	struct sockaddr_in *s4;
	struct sockaddr_in6 *s6;

	if (*n >= MAX_TARGETS) {
		return;
	}
	for (size_t i = 0; addr && i < *n; i++) {
		if (t[i].addr && strcmp(t[i].addr, addr) == 0) {
			return;
		}
	}
	x = &t[*n];
	memset(x, 0, sizeof(*x));
	x->name = name;
	x->noaddr = noaddr;
	s4 = (struct sockaddr_in *)&x->sa;
	s6 = (struct sockaddr_in6 *)&x->sa;
	if (addr && inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)probe_port(ch));
		x->salen = sizeof(*s4);
	} else if (addr && inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)probe_port(ch));
		x->salen = sizeof(*s6);
	} else if (addr) {
		return;
	}
	x->addr = addr ? fmt(ch, "%s", addr) : NULL;
	(*n)++;
}

/* The addresses of the name server @nsname, through libunbound. */
static void target_resolve(struct dk_chain *ch, struct target *t, size_t *n,
			   const char *nsname)
{
	static const uint16_t types[] = { LDNS_RR_TYPE_A, LDNS_RR_TYPE_AAAA };
	size_t before = *n;
	const char *why = NULL;

	for (size_t k = 0; k < 2 && !ch->no_lookups; k++) {
		struct dk_answer *a = NULL;
		struct dk_diag diag = { "" };
		const ldns_rr_list *rrs;
		int r = dk_lookup(ch->resolver, nsname, types[k], &a, &diag);

		if (r == DK_ETIMEDOUT) {
			ch->no_lookups = 1;
		}
		if (r < 0) {
			why = fmt(ch, "no address: %s",
				  diag.why[0] ? diag.why : dk_strerror(r));
			continue;
		}
		rrs = dki_answer_get0_rrset(a);
		for (size_t i = 0; i < ldns_rr_list_rr_count(rrs); i++) {
			char *txt = ldns_rdf2str(
				ldns_rr_rdf(ldns_rr_list_rr(rrs, i), 0));

			if (txt) {
				target_add(ch, t, n, nsname, txt, NULL);
			}
			free(txt);
		}
		dk_answer_free(a);
	}
	if (*n == before) {
		target_add(ch, t, n, nsname, NULL,
			   why ? why : "no A or AAAA record found");
	}
}

/*
 * The name servers of the deepest zone at or above @name that libunbound
 * can list: the zones of the walk, deepest first, else the ancestors of
 * @name. Returns that zone (arena) or NULL.
 */
static const char *start_zone(struct dk_chain *ch, const ldns_rdf *name,
			      struct target *t, size_t *n)
{
	ldns_rdf *cand[MAX_REFERRALS + 1];
	size_t nc = 0;
	const char *found = NULL;

	/* The zones of the walk above @name, deepest first; else every
	 * ancestor. */
	for (int all = 0; all < 2 && nc == 0; all++) {
		for (size_t l = ldns_dname_label_count(name) + 1;
		     l-- > 0 && nc < MAX_REFERRALS;) {
			ldns_rdf *a = ancestor(name, l);

			if (a && (all || zone_find(ch, a))) {
				cand[nc++] = a;
			} else {
				ldns_rdf_deep_free(a);
			}
		}
	}
	for (size_t i = 0; i < nc; i++) {
		struct dk_answer *a = NULL;
		const ldns_rr_list *rrs;
		const char *zname = dname_str(ch, cand[i]);
		int r;

		if (found || ch->no_lookups || !zname) {
			continue;
		}
		r = dk_lookup(ch->resolver, zname, LDNS_RR_TYPE_NS, &a, NULL);
		if (r == DK_ETIMEDOUT) {
			ch->no_lookups = 1;
		}
		rrs = r == 0 ? dki_answer_get0_rrset(a) : NULL;
		if (ldns_rr_list_rr_count(rrs) > 0 &&
		    dname_eq(ldns_rr_owner(ldns_rr_list_rr(rrs, 0)), cand[i])) {
			found = zname;
			for (size_t k = 0; k < ldns_rr_list_rr_count(rrs) &&
					   k < MAX_TARGETS / 2;
			     k++) {
				target_resolve(
					ch, t, n,
					dname_str(ch,
						  ldns_rr_rdf(ldns_rr_list_rr(
								      rrs, k),
							      0)));
			}
		}
		dk_answer_free(a);
	}
	for (size_t i = 0; i < nc; i++) {
		ldns_rdf_deep_free(cand[i]);
	}
	return found;
}

/* Wait until @fd is ready for @events or @deadline: 1, 0 (time-out). */
static int io_wait(int fd, short events, double deadline)
{
	for (;;) {
		struct pollfd p = { fd, events, 0 };
		double left = deadline - dki_now();
		int r;

		if (left <= 0) {
			return 0;
		}
		r = poll(&p, 1, (int)(left * 1000.0) + 1);
		if (r > 0) {
			return 1;
		}
		if (r < 0 && errno != EINTR) {
			return -1;
		}
	}
}

/* The query in @wire over TCP (after a truncated UDP reply). */
static ldns_pkt *tcp_ask(const struct target *t, const uint8_t *wire,
			 size_t wlen, double deadline, int *ret_errno)
{
	uint8_t *out = malloc(wlen + 2), len2[2], *in = NULL;
	size_t got = 0, want = 2;
	ldns_pkt *p = NULL;
	socklen_t el = sizeof(int);
	int fd, e = 0;

	*ret_errno = ETIMEDOUT;
	if (!out) {
		*ret_errno = ENOMEM;
		return NULL;
	}
	out[0] = (uint8_t)(wlen >> 8);
	out[1] = (uint8_t)wlen;
	memcpy(out + 2, wire, wlen);
	fd = socket(t->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
	if (fd < 0 ||
	    (connect(fd, (const struct sockaddr *)&t->sa, t->salen) < 0 &&
	     errno != EINPROGRESS)) {
		*ret_errno = errno;
		goto out;
	}
	if (io_wait(fd, POLLOUT, deadline) <= 0 ||
	    getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) < 0) {
		goto out;
	}
	if (e) {
		*ret_errno = e;
		goto out;
	}
	for (size_t sent = 0; sent < wlen + 2;) {
		ssize_t k;

		if (io_wait(fd, POLLOUT, deadline) <= 0) {
			goto out;
		}
		k = send(fd, out + sent, wlen + 2 - sent, MSG_NOSIGNAL);
		if (k < 0 && errno != EAGAIN && errno != EINTR) {
			*ret_errno = errno;
			goto out;
		}
		sent += k > 0 ? (size_t)k : 0;
	}
	while (got < want) {
		uint8_t *dst = in ? in + got : len2 + got;
		ssize_t k;

		if (io_wait(fd, POLLIN, deadline) <= 0) {
			goto out;
		}
		k = recv(fd, dst, want - got, 0);
		if (k == 0) {
			*ret_errno = ECONNRESET;
			goto out;
		}
		if (k < 0) {
			if (errno == EAGAIN || errno == EINTR) {
				continue;
			}
			*ret_errno = errno;
			goto out;
		}
		got += (size_t)k;
		if (!in && got == 2) {
			want = ((size_t)len2[0] << 8) | len2[1];
			got = 0;
			in = malloc(want ? want : 1);
			if (!in || want == 0) {
				*ret_errno = in ? EPROTO : ENOMEM;
				goto out;
			}
		}
	}
	if (ldns_wire2pkt(&p, in, want) != LDNS_STATUS_OK) {
		p = NULL;
		*ret_errno = EPROTO;
	}
out:
	if (fd >= 0) {
		close(fd);
	}
	free(out);
	free(in);
	return p;
}

/* Is @p the reply to the query @id for @qname/@qtype? */
static int reply_matches(const ldns_pkt *p, uint16_t id, const ldns_rdf *qname,
			 uint16_t qtype)
{
	const ldns_rr_list *q = ldns_pkt_question(p);
	const ldns_rr *rr =
		ldns_rr_list_rr_count(q) == 1 ? ldns_rr_list_rr(q, 0) : NULL;

	return ldns_pkt_id(p) == id && ldns_pkt_qr(p) && rr &&
	       dname_eq(ldns_rr_owner(rr), qname) &&
	       ldns_rr_get_type(rr) == qtype;
}

/*
 * A referral in @p from a server of @zone for @qname: the NS RRset of a
 * zone below @zone at or above @qname, in the authority section. Returns
 * its owner (a new rdf) and its NS records in *@ret_ns (new list), or
 * NULL.
 */
static ldns_rdf *referral(const ldns_pkt *p, const ldns_rdf *zone,
			  const ldns_rdf *qname, ldns_rr_list **ret_ns)
{
	const ldns_rr_list *auth = ldns_pkt_authority(p);

	*ret_ns = NULL;
	for (size_t i = 0; i < ldns_rr_list_rr_count(auth); i++) {
		const ldns_rdf *o = ldns_rr_owner(ldns_rr_list_rr(auth, i));

		if (ldns_rr_get_type(ldns_rr_list_rr(auth, i)) ==
			    LDNS_RR_TYPE_NS &&
		    ldns_dname_is_subdomain(o, zone) && dname_under(qname, o)) {
			*ret_ns = pick(auth, o, LDNS_RR_TYPE_NS);
			return *ret_ns ? ldns_rdf_clone(o) : NULL;
		}
	}
	return NULL;
}

static const char *rcode_str(struct dk_chain *ch, int rcode)
{
	const ldns_lookup_table *lt = ldns_lookup_by_id(ldns_rcodes, rcode);

	return lt && lt->name ? lt->name : fmt(ch, "rcode %d", rcode);
}

static ldns_rdf *cname_target(const ldns_pkt *p, const ldns_rdf *qname,
			      uint16_t qtype);

/* What the reply @p of a server of @zone to @qname/@qtype says. */
static void classify(struct dk_chain *ch, struct dk_chain_server *s,
		     const ldns_pkt *p, const ldns_rdf *zone,
		     const ldns_rdf *qname, uint16_t qtype)
{
	int rc = (int)ldns_pkt_get_rcode(p);
	size_t an = ldns_rr_list_rr_count(ldns_pkt_answer(p));
	ldns_rr_list *ns = NULL;
	ldns_rdf *to;

	s->rcode = rc;
	s->authoritative = ldns_pkt_aa(p) ? 1 : 0;
	if (rc != LDNS_RCODE_NOERROR && rc != LDNS_RCODE_NXDOMAIN) {
		s->state = DK_CHAIN_SERVER_ERROR;
		s->answer = rcode_str(ch, rc);
		return;
	}
	if (s->authoritative) {
		ldns_rdf *cn = cname_target(p, qname, qtype);

		s->state = DK_CHAIN_SERVER_ANSWER;
		s->answer = cn ? fmt(ch, "a CNAME to %s, authoritative",
				     dname_str(ch, cn))
			    : rc == LDNS_RCODE_NXDOMAIN
				    ? "NXDOMAIN, authoritative"
			    : an > 0 ? fmt(ch,
					   "an authoritative answer (%zu "
					   "record%s)",
					   an, an == 1 ? "" : "s")
				     : "no records of this type (NODATA), "
				       "authoritative";
		ldns_rdf_deep_free(cn);
		return;
	}
	to = referral(p, zone, qname, &ns);
	if (to) {
		const char *names = "";

		for (size_t i = 0; i < ldns_rr_list_rr_count(ns); i++) {
			names = fmt(ch, "%s%s%s", names, i ? ", " : "",
				    dname_str(ch, ldns_rr_rdf(ldns_rr_list_rr(
								      ns, i),
							      0)));
		}
		s->state = DK_CHAIN_SERVER_REFERRAL;
		s->answer = fmt(ch, "a referral to %s: %s", dname_str(ch, to),
				names);
		ldns_rdf_deep_free(to);
		ldns_rr_list_deep_free(ns);
		return;
	}
	s->state = DK_CHAIN_SERVER_LAME;
	s->answer = an > 0 ? fmt(ch,
				 "an answer without authority (no AA bit): "
				 "not a server of %s",
				 dname_str(ch, zone))
			   : fmt(ch,
				 "neither an answer nor a referral down (no "
				 "AA bit): not a server of %s (a lame "
				 "delegation)",
				 dname_str(ch, zone));
}

static struct dk_chain_server *server_add(struct dk_chain *ch)
{
	if (ch->nservers == ch->capservers) {
		size_t cap = ch->capservers ? ch->capservers * 2 : 8;
		struct dk_chain_server *v =
			realloc(ch->servers, cap * sizeof(*v));

		if (!v) {
			ch->oom = 1;
			return NULL;
		}
		ch->servers = v;
		ch->capservers = cap;
	}
	memset(&ch->servers[ch->nservers], 0, sizeof(ch->servers[0]));
	return &ch->servers[ch->nservers++];
}

/* "connection refused: nothing listens on UDP port 53" */
static const char *net_error(struct dk_chain *ch, int e, const char *proto)
{
	if (e == ECONNREFUSED) {
		return fmt(ch,
			   "connection refused: nothing listens on %s port "
			   "%u",
			   proto, probe_port(ch));
	}
	return fmt(ch, "%s over %s", strerror(e), proto);
}

/*
 * Ask the @n servers @t of @zone for @qname/@qtype at once, without
 * recursion; add each to the chain's servers (from index *@first) with
 * its reply in @replies[i] (owned by the caller) when there is one.
 */
static void ask_all(struct dk_chain *ch, const ldns_rdf *zone,
		    const struct target *t, size_t n, const ldns_rdf *qname,
		    uint16_t qtype, ldns_pkt **replies, size_t *first)
{
	ldns_pkt *q =
		ldns_pkt_query_new(ldns_rdf_clone(qname), (ldns_rr_type)qtype,
				   LDNS_RR_CLASS_IN, 0);
	const char *zname = dname_str(ch, zone);
	const char *query =
		fmt(ch, "%s %s", dname_str(ch, qname), type_str(qtype));
	uint16_t id = ldns_get_random();
	uint8_t *wire = NULL, *buf = malloc(65535);
	size_t wlen = 0, pending = 0;
	int fds[MAX_TARGETS], tcp[MAX_TARGETS] = { 0 };
	double wait = probe_wait(ch), deadline;

	*first = ch->nservers;
	if (!q || !buf) {
		ch->oom = 1;
		ldns_pkt_free(q);
		free(buf);
		return;
	}
	ldns_pkt_set_id(q, id);
	ldns_pkt_set_edns_udp_size(q, 1232);
	ldns_pkt_set_edns_do(q, true);
	if (ldns_pkt2wire(&wire, q, &wlen) != LDNS_STATUS_OK) {
		ch->oom = 1;
		ldns_pkt_free(q);
		free(buf);
		return;
	}
	ldns_pkt_free(q);
	for (size_t i = 0; i < n; i++) {
		struct dk_chain_server *s = server_add(ch);

		fds[i] = -1;
		if (!s) {
			continue;
		}
		s->zone = zname;
		s->name = t[i].name;
		s->address = t[i].addr;
		s->port = probe_port(ch);
		s->query = query;
		s->rcode = -1;
		if (!t[i].addr) {
			s->state = DK_CHAIN_SERVER_NOT_ASKED;
			s->answer = t[i].noaddr;
			continue;
		}
		fds[i] = socket(t[i].sa.ss_family,
				SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fds[i] < 0 ||
		    connect(fds[i], (const struct sockaddr *)&t[i].sa,
			    t[i].salen) < 0 ||
		    send(fds[i], wire, wlen, 0) != (ssize_t)wlen) {
			s->state = DK_CHAIN_SERVER_UNREACHABLE;
			s->answer = net_error(ch, errno, "UDP");
			if (fds[i] >= 0) {
				close(fds[i]);
			}
			fds[i] = -1;
			continue;
		}
		pending++;
	}
	deadline = dki_now() + wait;
	while (pending > 0 && !ch->oom) {
		struct pollfd pfd[MAX_TARGETS];
		size_t idx[MAX_TARGETS], np = 0;
		double left = deadline - dki_now();
		int r;

		if (left <= 0) {
			break;
		}
		for (size_t i = 0; i < n; i++) {
			if (fds[i] >= 0) {
				pfd[np].fd = fds[i];
				pfd[np].events = POLLIN;
				pfd[np].revents = 0;
				idx[np++] = i;
			}
		}
		r = poll(pfd, (nfds_t)np, (int)(left * 1000.0) + 1);
		if (r < 0 && errno != EINTR) {
			break;
		}
		for (size_t k = 0; r > 0 && k < np; k++) {
			size_t i = idx[k];
			struct dk_chain_server *s = &ch->servers[*first + i];
			ldns_pkt *p = NULL;
			ssize_t got;

			if (!pfd[k].revents) {
				continue;
			}
			got = recv(fds[i], buf, 65535, 0);
			if (got < 0 && (errno == EAGAIN || errno == EINTR)) {
				continue;
			}
			if (got < 0) {
				s->state = DK_CHAIN_SERVER_UNREACHABLE;
				s->answer = net_error(ch, errno, "UDP");
			} else if (ldns_wire2pkt(&p, buf, (size_t)got) !=
				   LDNS_STATUS_OK) {
				s->state = DK_CHAIN_SERVER_BAD_REPLY;
				s->answer = "a reply that does not parse";
				p = NULL;
			} else if (!reply_matches(p, id, qname, qtype)) {
				/* Not ours: keep waiting. */
				ldns_pkt_free(p);
				continue;
			} else if (ldns_pkt_tc(p)) {
				tcp[i] = 1;
				ldns_pkt_free(p);
				p = NULL;
			} else {
				replies[i] = p;
			}
			close(fds[i]);
			fds[i] = -1;
			pending--;
		}
	}
	for (size_t i = 0; i < n; i++) {
		struct dk_chain_server *s;

		if (*first + i >= ch->nservers) {
			break;
		}
		s = &ch->servers[*first + i];
		if (fds[i] >= 0) {
			close(fds[i]);
			s->state = DK_CHAIN_SERVER_TIMEOUT;
			s->answer = fmt(ch, "no answer within %.0f s", wait);
		}
		if (tcp[i]) {
			int e = 0;

			replies[i] = tcp_ask(&t[i], wire, wlen,
					     dki_now() + wait, &e);
			if (replies[i] &&
			    !reply_matches(replies[i], id, qname, qtype)) {
				ldns_pkt_free(replies[i]);
				replies[i] = NULL;
				e = EPROTO;
			}
			if (!replies[i]) {
				s->state =
					e == ETIMEDOUT
						? DK_CHAIN_SERVER_TIMEOUT
						: DK_CHAIN_SERVER_UNREACHABLE;
				s->answer =
					e == ETIMEDOUT
						? fmt(ch,
						      "a truncated UDP reply, "
						      "then no answer over TCP "
						      "within %.0f s",
						      wait)
						: fmt(ch,
						      "a truncated UDP reply, "
						      "then %s",
						      net_error(ch, e, "TCP"));
			}
		}
		if (replies[i]) {
			classify(ch, s, replies[i], zone, qname, qtype);
		}
	}
	free(wire);
	free(buf);
}

/* "ns.lame.test. (127.53.0.99 port 53): connection refused..." */
static const char *servers_str(struct dk_chain *ch, size_t first, size_t n)
{
	const char *out = "";

	for (size_t i = first; i < first + n && i < ch->nservers; i++) {
		const struct dk_chain_server *s = &ch->servers[i];

		if (i - first == 4) {
			return fmt(ch, "%s; and %zu more", out, first + n - i);
		}
		out = s->address ? fmt(ch, "%s%s%s (%s port %u): %s", out,
				       *out ? "; " : "", s->name, s->address,
				       s->port, s->answer)
				 : fmt(ch, "%s%s%s: %s", out, *out ? "; " : "",
				       s->name, s->answer);
	}
	return out;
}

/* The servers of the zone @child of a referral @via: glue, else libunbound. */
static void referral_targets(struct dk_chain *ch, const ldns_pkt *via,
			     const ldns_rr_list *ns, struct target *t,
			     size_t *n)
{
	const ldns_rr_list *add = ldns_pkt_additional(via);

	*n = 0;
	for (size_t i = 0; i < ldns_rr_list_rr_count(ns); i++) {
		const ldns_rdf *nsn = ldns_rr_rdf(ldns_rr_list_rr(ns, i), 0);
		const char *nsname = dname_str(ch, nsn);
		size_t before = *n;

		for (size_t k = 0; k < ldns_rr_list_rr_count(add); k++) {
			ldns_rr *g = ldns_rr_list_rr(add, k);
			char *txt;

			if ((ldns_rr_get_type(g) != LDNS_RR_TYPE_A &&
			     ldns_rr_get_type(g) != LDNS_RR_TYPE_AAAA) ||
			    !dname_eq(ldns_rr_owner(g), nsn)) {
				continue;
			}
			txt = ldns_rdf2str(ldns_rr_rdf(g, 0));
			if (txt) {
				target_add(ch, t, n, nsname, txt, NULL);
			}
			free(txt);
		}
		if (*n == before) {
			target_resolve(ch, t, n, nsname);
		}
	}
}

/* The target of a CNAME at @qname in the answer @p (new rdf), or NULL. */
static ldns_rdf *cname_target(const ldns_pkt *p, const ldns_rdf *qname,
			      uint16_t qtype)
{
	const ldns_rr_list *an = ldns_pkt_answer(p);

	if (qtype == LDNS_RR_TYPE_CNAME) {
		return NULL;
	}
	for (size_t i = 0; i < ldns_rr_list_rr_count(an); i++) {
		ldns_rr *rr = ldns_rr_list_rr(an, i);

		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_CNAME &&
		    dname_eq(ldns_rr_owner(rr), qname) && ldns_rr_rdf(rr, 0)) {
			return ldns_rdf_clone(ldns_rr_rdf(rr, 0));
		}
	}
	return NULL;
}

/*
 * Ask the name servers for @name/@qtype as an iterating resolver would,
 * following referrals and CNAMEs. Returns one sentence on what they
 * answered, and the zone that did not answer in *@ret_zone (NULL when
 * none can be named).
 */
static const char *probe(struct dk_chain *ch, const ldns_rdf *name,
			 uint16_t qtype, const char **ret_zone)
{
	ldns_rdf *qname = ldns_rdf_clone(name), *zone = NULL;
	const char *found = NULL, *via_cname = "";

	*ret_zone = NULL;
	for (int cnames = 0; qname && !found && !ch->oom; cnames++) {
		struct target t[MAX_TARGETS];
		size_t n = 0;
		const char *zname = start_zone(ch, qname, t, &n);
		const char *parent = NULL;
		ldns_rdf *next = NULL;

		if (!zname) {
			found = fmt(ch,
				    "libunbound cannot list the name servers "
				    "of %s or of any zone above it, so none "
				    "was asked%s",
				    dname_str(ch, qname), via_cname);
			break;
		}
		ldns_rdf_deep_free(zone);
		zone = NULL;
		if (ldns_str2rdf_dname(&zone, zname) != LDNS_STATUS_OK) {
			ch->oom = 1;
			break;
		}
		for (int hop = 0;
		     hop < MAX_REFERRALS && !found && !next && !ch->oom;
		     hop++) {
			ldns_pkt *replies[MAX_TARGETS] = { NULL };
			ldns_rdf *child = NULL;
			ldns_rr_list *ns = NULL;
			const ldns_pkt *via = NULL, *ans = NULL;
			size_t first = 0;

			ask_all(ch, zone, t, n, qname, qtype, replies, &first);
			for (size_t i = 0; i < n && first + i < ch->nservers;
			     i++) {
				enum dk_chain_server_state st =
					ch->servers[first + i].state;

				if (st == DK_CHAIN_SERVER_ANSWER && !ans) {
					ans = replies[i];
				}
				if (st == DK_CHAIN_SERVER_REFERRAL && !via) {
					via = replies[i];
				}
			}
			if (ans && cnames < MAX_REFERRALS &&
			    (next = cname_target(ans, qname, qtype))) {
				/* Follow the CNAME from its own zone. */
				via_cname = fmt(
					ch, "%s, reached by the CNAME %s -> %s",
					via_cname, dname_str(ch, qname),
					dname_str(ch, next));
			} else if (ans) {
				*ret_zone = dname_str(ch, zone);
				found = fmt(ch,
					    "asked directly, the name servers "
					    "of %s answer %s %s%s (%s): the "
					    "failure is not an unreachable "
					    "server",
					    *ret_zone, dname_str(ch, qname),
					    type_str(qtype), via_cname,
					    servers_str(ch, first, n));
			} else if (via &&
				   (child = referral(via, zone, qname, &ns))) {
				referral_targets(ch, via, ns, t, &n);
				parent = dname_str(ch, zone);
				ldns_rdf_deep_free(zone);
				zone = child;
			} else {
				*ret_zone = dname_str(ch, zone);
				found = fmt(
					ch,
					"no name server of %s%s%s%s "
					"answered %s %s%s: %s%s",
					*ret_zone,
					parent ? " (delegated from " : "",
					parent ? parent : "", parent ? ")" : "",
					dname_str(ch, qname), type_str(qtype),
					via_cname,
					n ? servers_str(ch, first, n)
					  : "it has none with an address",
					/* libunbound listed them: it
					 * reaches the zone somehow */
					hop == 0 ? fmt(ch,
						       "; but libunbound "
						       "resolves in %s "
						       "(it gave its NS "
						       "RRset): its servers "
						       "may answer only "
						       "through the "
						       "resolver, or at "
						       "another port",
						       *ret_zone)
						 : "");
			}
			ldns_rr_list_deep_free(ns);
			for (size_t i = 0; i < MAX_TARGETS; i++) {
				ldns_pkt_free(replies[i]);
			}
		}
		if (next) {
			ldns_rdf_deep_free(qname);
			qname = next;
		} else if (!found && !ch->oom) {
			*ret_zone = dname_str(ch, zone);
			found = fmt(ch, "the referrals go on below %s",
				    *ret_zone);
		}
	}
	if (!qname) {
		ch->oom = 1;
	}
	ldns_rdf_deep_free(qname);
	ldns_rdf_deep_free(zone);
	return found;
}

/* The sentence that explains the SERVFAIL of @name (the zone @z holds it). */
static const char *servfail_why(struct dk_chain *ch, const ldns_rdf *name,
				const struct zone *z)
{
	const char *zone = NULL, *found;

	if (ch->no_auth_check) {
		zone = z ? z->name : NULL;
		found = zone ? fmt(ch,
				   "the last zone on the way is %s; its name "
				   "servers were not asked",
				   zone)
			     : "no name server was asked";
	} else {
		found = probe(ch, name, ch->qtype, &zone);
	}
	ch->outcome_zone = zone;
	ch->failed_why = fmt(ch,
			     "%s: SERVFAIL from libunbound, without a "
			     "validation failure; %s",
			     ch->failed_query, found ? found : "?");
	return ch->failed_why;
}

/*
 * The zone the signatures of an answer name: the signer of the RRSIGs in
 * @pool over @owner/@type (NULL: those over NSEC and NSEC3, for a denial),
 * when they all name the same zone and @name is in it. A validator takes
 * the zone from the signer (RFC 4035 section 5.3.1); the walk then stops
 * there instead of asking for a DS RRset at every label below it (one
 * query and one signature more per name in a survey). NULL: no hint, walk
 * every label.
 */
static ldns_rdf *signer_hint(const ldns_rr_list *pool, const ldns_rdf *owner,
			     uint16_t type, const ldns_rdf *name)
{
	const ldns_rdf *signer = NULL;

	for (size_t i = 0; i < ldns_rr_list_rr_count(pool); i++) {
		ldns_rr *rr = ldns_rr_list_rr(pool, i);
		uint16_t covered;

		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_RRSIG) {
			continue;
		}
		covered = rdf16(ldns_rr_rrsig_typecovered(rr));
		if (owner ? !dname_eq(ldns_rr_owner(rr), owner) ||
				    covered != type
			  : covered != LDNS_RR_TYPE_NSEC &&
				    covered != LDNS_RR_TYPE_NSEC3) {
			continue;
		}
		if (!ldns_rr_rrsig_signame(rr) ||
		    (signer && !dname_eq(signer, ldns_rr_rrsig_signame(rr)))) {
			return NULL;
		}
		signer = ldns_rr_rrsig_signame(rr);
	}
	return signer && dname_under(name, signer) ? ldns_rdf_clone(signer)
						   : NULL;
}

/*
 * walk_to() for @name, through the signer of its answer when there is one
 * (signer_hint()): a signer that turns out not to be a zone apex of a
 * secure chain falls back to the walk of every label.
 */
static struct zone *walk_answer(struct dk_chain *ch, const ldns_rdf *name,
				const ldns_rr_list *pool, const ldns_rdf *owner,
				uint16_t type)
{
	ldns_rdf *hint = signer_hint(pool, owner, type, name);
	struct zone *z;

	if (!hint) {
		return walk_to(ch, name);
	}
	z = walk_to(ch, hint);
	if (!ch->oom && z && z->status == DK_DNSSEC_SECURE &&
	    !dname_eq(z->apex, hint)) {
		z = walk_to(ch, name);
	}
	ldns_rdf_deep_free(hint);
	return z;
}

/* The links of the answer: the CNAMEs on the way, then the final RRset. */
static void answer_links(struct dk_chain *ch)
{
	const ldns_pkt *pkt = dki_answer_get0_packet(ch->answer);
	const ldns_rr_list *ans = pkt ? ldns_pkt_answer(pkt) : NULL;
	const ldns_rr_list *auth = pkt ? ldns_pkt_authority(pkt) : NULL;
	ldns_rdf *cur = NULL;

	if (ldns_str2rdf_dname(&cur, ch->qname) != LDNS_STATUS_OK) {
		ch->oom = 1;
		return;
	}
	for (int hop = 0; cur && hop < 16 && !ch->oom; hop++) {
		struct dk_chain_link l = { 0 };
		struct lb b = LB_INIT;
		ldns_rr_list *cn =
			pick(ch->qtype == LDNS_RR_TYPE_CNAME ? NULL : ans, cur,
			     LDNS_RR_TYPE_CNAME);
		int is_cname = cn && ldns_rr_list_rr_count(cn) > 0;
		ldns_rr_list *rrs =
			is_cname ? NULL
				 : pick(ans, cur, (ldns_rr_type)ch->qtype);
		ldns_rdf *wt = (!is_cname && ch->qtype == LDNS_RR_TYPE_DS &&
				ldns_dname_label_count(cur) > 0)
				       ? ldns_dname_left_chop(cur)
				       : ldns_rdf_clone(cur);
		struct zone *z =
			!wt ? NULL
			: is_cname || ldns_rr_list_rr_count(rrs) > 0
				? walk_answer(ch, wt, ans, cur,
					      is_cname ? LDNS_RR_TYPE_CNAME
						       : ch->qtype)
				: walk_answer(ch, wt, auth, NULL, 0);
		struct zone none = { 0 };
		ldns_rdf *next = NULL;
		const ldns_rr_list *data = is_cname ? cn : rrs;

		ldns_rdf_deep_free(wt);
		if (!cn || (!is_cname && !rrs) || ch->oom) {
			ch->oom = 1;
			ldns_rr_list_deep_free(cn);
			ldns_rr_list_deep_free(rrs);
			break;
		}
		l.type = is_cname ? DK_CHAIN_CNAME : DK_CHAIN_ANSWER;
		l.name = dname_str(ch, cur);
		l.zone = z ? z->name : NULL;
		l.rrtype = is_cname ? LDNS_RR_TYPE_CNAME : ch->qtype;
		if (is_cname) {
			const ldns_rdf *t =
				ldns_rr_rdf(ldns_rr_list_rr(cn, 0), 0);

			l.target = dname_str(ch, t);
			next = t ? ldns_rdf_clone(t) : NULL;
		} else {
			l.rcode = dk_answer_rcode(ch->answer);
		}
		set_ttls(&b.x, data, ans);
		if (ch->failed) {
			l.status = DK_DNSSEC_INDETERMINATE;
			l.why = servfail_why(ch, cur, z);
		} else if (!z || z->status != DK_DNSSEC_SECURE) {
			/* Show the records; the verdict comes from above. */
			none.apex = z ? z->apex : cur;
			none.name = z ? z->name : l.name;
			none.keys = z ? z->keys : NULL;
			check_rrsets(ch, data, ans, &none, &b.records, &b.sigs);
			if (!z) {
				l.status = DK_DNSSEC_INSECURE;
				l.why = fmt(ch, "no trust anchor covers %s",
					    l.name);
			} else if (z->reason ==
				   DK_CHAIN_OUTCOME_UNSUPPORTED_ALGORITHM) {
				l.status = DK_DNSSEC_INSECURE;
				l.why = fmt(ch,
					    "%s is in %s, which this "
					    "validator treats as insecure: "
					    "it cannot validate the zone's "
					    "algorithm",
					    l.name, z->name);
			} else if (z->status == DK_DNSSEC_INSECURE) {
				l.status = DK_DNSSEC_INSECURE;
				l.why = fmt(ch, "%s is in the unsigned zone %s",
					    l.name, z->name);
			} else {
				l.status = z->status;
				l.why = fmt(ch,
					    "%s was not checked: the chain "
					    "is broken at %s",
					    l.name, z->name);
			}
		} else if (ldns_rr_list_rr_count(data) > 0) {
			const char *bad = check_rrsets(ch, data, ans, z,
						       &b.records, &b.sigs);

			l.status = bad ? DK_DNSSEC_BOGUS : DK_DNSSEC_SECURE;
			l.why = bad;
		} else {
			ldns_rr_list *recs = denial_records(auth);
			ldns_rr_list *n3 = pick(auth, NULL, LDNS_RR_TYPE_NSEC3);
			const char *over;
			const char *what =
				l.rcode == LDNS_RCODE_NXDOMAIN
					? "does not exist"
					: "has no records of this type";

			if (!recs || !n3) {
				ch->oom = 1;
			} else if (ldns_rr_list_rr_count(recs) == 0) {
				l.status = DK_DNSSEC_BOGUS;
				l.why = fmt(ch,
					    "the answer that %s %s comes "
					    "with no NSEC or NSEC3 record "
					    "from %s",
					    l.name, what, z->name);
			} else {
				const char *bad = check_rrsets(
					ch, recs, auth, z, &b.proof_records,
					&b.proof_sigs);

				l.proof = ldns_rr_list_rr_count(n3) > 0
						  ? DK_CHAIN_PROOF_NSEC3
						  : DK_CHAIN_PROOF_NSEC;
				if (bad) {
					l.status = DK_DNSSEC_BOGUS;
					l.why = fmt(ch,
						    "the proof that %s %s "
						    "does not validate: %s",
						    l.name, what, bad);
				} else if (l.proof == DK_CHAIN_PROOF_NSEC3 &&
					   !nsec3_match(n3, cur, z->apex) &&
					   nsec3_optout_covers(n3, cur,
							       z->apex)) {
					l.proof = DK_CHAIN_PROOF_NSEC3_OPTOUT;
					l.optout = 1;
					l.status = DK_DNSSEC_INSECURE;
					l.why = fmt(ch,
						    "%s lies in an NSEC3 "
						    "opt-out span of %s, "
						    "which cannot rule out "
						    "an unsigned delegation",
						    l.name, z->name);
				} else {
					l.status = DK_DNSSEC_SECURE;
				}
				if (l.status == DK_DNSSEC_SECURE &&
				    l.proof == DK_CHAIN_PROOF_NSEC3 &&
				    dk_answer_status(ch->answer) ==
					    DK_DNSSEC_INSECURE &&
				    (over = nsec3_over(ch, &b, auth, z))) {
					l.status = DK_DNSSEC_INSECURE;
					l.why = fmt(ch,
						    "the proof that %s %s "
						    "verifies, but %s",
						    l.name, what, over);
					b.x.reason =
						DK_CHAIN_OUTCOME_NSEC3_ITERATIONS;
					b.x.zone = z->name;
				}
			}
			ldns_rr_list_deep_free(recs);
			ldns_rr_list_deep_free(n3);
		}
		link_finish(ch, &l, &b);
		ldns_rr_list_deep_free(cn);
		ldns_rr_list_deep_free(rrs);
		ldns_rdf_deep_free(cur);
		cur = next;
		if (!is_cname) {
			break;
		}
	}
	ldns_rdf_deep_free(cur);
}

/* Take @rr (a DS, or a DNSKEY turned into a DS) as a trust anchor. */
static void anchor_add(struct dk_chain *ch, ldns_rr *rr)
{
	if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_DNSKEY) {
		ldns_rr *ds = (rdf16(ldns_rr_dnskey_flags(rr)) & 0x0080)
				      ? NULL
				      : ldns_key_rr2ds(rr, LDNS_SHA256);

		ldns_rr_free(rr);
		rr = ds;
	}
	if (!rr) {
		return;
	}
	if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_DS ||
	    !ldns_rr_list_push_rr(ch->anchors, rr)) {
		ldns_rr_free(rr);
	}
}

static void anchor_file(struct dk_chain *ch, const char *path)
{
	FILE *f = fopen(path, "r");
	uint32_t ttl = 3600;
	ldns_rdf *origin = NULL, *prev = NULL;
	int line = 0;

	if (!f) {
		return;
	}
	for (int i = 0; i < 100000 && !feof(f) && !ferror(f); i++) {
		ldns_rr *rr = NULL;

		if (ldns_rr_new_frm_fp_l(&rr, f, &ttl, &origin, &prev, &line) ==
			    LDNS_STATUS_OK &&
		    rr) {
			anchor_add(ch, rr);
		}
	}
	ldns_rdf_deep_free(origin);
	ldns_rdf_deep_free(prev);
	fclose(f);
}

/* The trust anchors libunbound was given (files and inline RRs). */
static void anchors_load(struct dk_chain *ch)
{
	static const char *const opts[] = { "trust-anchor-file",
					    "auto-trust-anchor-file",
					    "trust-anchor" };
	struct ub_ctx *ub = dk_resolver_get0_ub(ch->resolver);

	ch->anchors = ldns_rr_list_new();
	if (!ch->anchors) {
		ch->oom = 1;
		return;
	}
	for (size_t o = 0; o < sizeof(opts) / sizeof(opts[0]); o++) {
		char *val = NULL, *save = NULL;

		if (ub_ctx_get_option(ub, opts[o], &val) != 0 || !val) {
			free(val);
			continue;
		}
		for (char *tok = strtok_r(val, "\n", &save); tok;
		     tok = strtok_r(NULL, "\n", &save)) {
			ldns_rr *rr = NULL;

			if (o < 2) {
				anchor_file(ch, tok);
			} else if (ldns_rr_new_frm_str(&rr, tok, 3600, NULL,
						       NULL) ==
				   LDNS_STATUS_OK) {
				anchor_add(ch, rr);
			}
		}
		free(val);
	}
}

/* The validation time of the resolver (val-override-date) or now. */
static time_t validation_time(struct dk_resolver *resolver)
{
	char *s = NULL;
	long long v = 0;

	if (ub_ctx_get_option(dk_resolver_get0_ub(resolver),
			      "val-override-date", &s) == 0 &&
	    s) {
		v = strtoll(s, NULL, 10);
	}
	free(s);
	return v > 0 ? (time_t)v : time(NULL);
}

static void warn_sigs(struct dk_chain *ch, const struct dk_chain_sig *v,
		      size_t n)
{
	int64_t limit = (int64_t)ch->warn_days * 86400;

	for (size_t i = 0; i < n; i++) {
		const char *w;

		if (v[i].state != DK_CHAIN_SIG_VALID ||
		    v[i].seconds_left >= limit) {
			continue;
		}
		w = fmt(ch,
			"the RRSIG over the %s RRset of %s (key tag %u of "
			"%s) expires on %s, in %s",
			type_str(v[i].type_covered), v[i].owner, v[i].key_tag,
			v[i].signer, date_str(ch, v[i].expiration),
			span_str(ch, v[i].seconds_left));
		if (ch->nwarnings == ch->capwarnings) {
			size_t cap = ch->capwarnings ? ch->capwarnings * 2 : 8;
			const char **a =
				realloc(ch->warnings, cap * sizeof(*a));

			if (!a) {
				ch->oom = 1;
				return;
			}
			ch->warnings = a;
			ch->capwarnings = cap;
		}
		ch->warnings[ch->nwarnings++] = w;
	}
}

/* The zone a link is about: its own for a cut, its signer's for data. */
static const char *link_zone(const struct dk_chain_link *l)
{
	if (l->type == DK_CHAIN_ZONE) {
		return l->name;
	}
	if (l->type == DK_CHAIN_INSECURE_DELEGATION) {
		return l->status == DK_DNSSEC_INSECURE ? l->name : l->zone;
	}
	return l->zone;
}

/* What explains the verdict (enum dk_chain_outcome), and its zone. */
static void outcome(struct dk_chain *ch)
{
	const struct dk_chain_link *l =
		ch->explain >= 0 ? &ch->links[ch->explain] : NULL;
	const struct lx *x = ch->explain >= 0 ? &ch->lx[ch->explain] : NULL;

	if (ch->failed) {
		ch->outcome = DK_CHAIN_OUTCOME_SERVFAIL;
		return; /* outcome_zone: from servfail_why() */
	}
	if (ch->status == DK_DNSSEC_SECURE) {
		ch->outcome = DK_CHAIN_OUTCOME_SECURE;
		return;
	}
	if (x && x->reason != DK_CHAIN_OUTCOME_UNKNOWN &&
	    l->status == ch->status) {
		ch->outcome = x->reason;
		ch->outcome_zone = x->zone;
		return;
	}
	ch->outcome_zone = l ? link_zone(l) : NULL;
	if (ch->status == DK_DNSSEC_BOGUS && ch->checked == DK_DNSSEC_BOGUS) {
		ch->outcome = DK_CHAIN_OUTCOME_BROKEN;
	} else if (ch->status == DK_DNSSEC_INSECURE &&
		   ch->checked == DK_DNSSEC_INSECURE) {
		ch->outcome = DK_CHAIN_OUTCOME_UNSIGNED;
	} else {
		ch->outcome = DK_CHAIN_OUTCOME_UNEXPLAINED;
	}
}

/* The verdict, and the one sentence that explains it. */
static void conclude(struct dk_chain *ch)
{
	const struct dk_chain_link *bad = NULL, *insecure = NULL, *last = NULL;
	const char *anchor = NULL, *nt, *why, *ub_why;
	size_t zones = 0, sigs = 0;
	long ibad = -1, iinsecure = -1;

	for (size_t i = 0; i < ch->nlinks; i++) {
		const struct dk_chain_link *l = &ch->links[i];

		if (l->status == DK_DNSSEC_BOGUS ||
		    l->status == DK_DNSSEC_INDETERMINATE) {
			if (!bad) {
				bad = l;
				ibad = (long)i;
			}
		} else if (l->status == DK_DNSSEC_INSECURE && !insecure) {
			insecure = l;
			iinsecure = (long)i;
		}
		if (l->type == DK_CHAIN_ZONE) {
			zones++;
			if (l->anchor && !anchor) {
				anchor = l->name;
			}
		}
		sigs += l->ds_sig_count + l->key_sig_count + l->sig_count +
			l->proof_sig_count;
		warn_sigs(ch, l->ds_sigs, l->ds_sig_count);
		warn_sigs(ch, l->key_sigs, l->key_sig_count);
		warn_sigs(ch, l->sigs, l->sig_count);
		warn_sigs(ch, l->proof_sigs, l->proof_sig_count);
		last = l;
	}
	if (bad) {
		ch->checked = bad->status == DK_DNSSEC_BOGUS
				      ? DK_DNSSEC_BOGUS
				      : DK_DNSSEC_INDETERMINATE;
		why = bad->why;
	} else if (insecure) {
		ch->checked = DK_DNSSEC_INSECURE;
		why = insecure->why;
	} else if (last) {
		ch->checked = DK_DNSSEC_SECURE;
		why = NULL;
	} else {
		ch->checked = DK_DNSSEC_INDETERMINATE;
		why = "the chain could not be built";
	}
	if (!why && ch->checked != DK_DNSSEC_SECURE) {
		why = "no reason found";
	}
	ch->explain = ibad >= 0 ? ibad : iinsecure;
	ch->lib_status = dk_answer_status(ch->answer);
	ch->disagree = ch->lib_status != ch->checked;
	ch->status = ch->lib_status == DK_DNSSEC_SECURE ? ch->checked
							: ch->lib_status;
	ub_why = dk_answer_why(ch->answer);
	nt = fmt(ch, "%s %s", ch->qname, type_str(ch->qtype));
	if (ch->failed) {
		/* DESIGN.md: a partial report says that it could not finish. */
		ch->disagree = 0;
		ch->status = DK_DNSSEC_INDETERMINATE;
		ch->diagnosis = fmt(ch, "could not finish: %s",
				    ch->failed_why ? ch->failed_why
						   : "the lookup failed");
	} else if (ch->disagree) {
		if (ch->lib_status == DK_DNSSEC_SECURE) {
			ch->diagnosis =
				fmt(ch,
				    "libunbound says secure, but %s; "
				    "reported as %s",
				    why, dk_dnssec_status_name(ch->status));
		} else if (ch->checked == DK_DNSSEC_SECURE) {
			ch->diagnosis =
				fmt(ch,
				    "libunbound says %s%s%s%s, but the chain "
				    "check found no broken link",
				    dk_dnssec_status_name(ch->lib_status),
				    ub_why ? " (" : "", ub_why ? ub_why : "",
				    ub_why ? ")" : "");
		} else {
			ch->diagnosis =
				fmt(ch,
				    "libunbound says %s%s%s%s, while the chain "
				    "check found: %s",
				    dk_dnssec_status_name(ch->lib_status),
				    ub_why ? " (" : "", ub_why ? ub_why : "",
				    ub_why ? ")" : "", why);
		}
	} else if (ch->status != DK_DNSSEC_SECURE || !last) {
		/* (secure implies a link: the check found a whole chain) */
		ch->diagnosis = why ? why : "no link could be checked";
	} else {
		const char *proof =
			last->proof == DK_CHAIN_PROOF_NSEC ? "NSEC" : "NSEC3";
		const char *head;

		if (last->record_count > 0 || last->type == DK_CHAIN_CNAME) {
			head = fmt(ch, "%s is secure", nt);
		} else if (last->rcode == LDNS_RCODE_NXDOMAIN) {
			head = fmt(ch,
				   "%s does not exist (NXDOMAIN), proven "
				   "by signed %s records of %s",
				   last->name, proof, last->zone);
		} else {
			head = fmt(ch,
				   "%s has no %s records (NODATA), proven "
				   "by signed %s records of %s",
				   last->name, type_str(ch->qtype), proof,
				   last->zone);
		}
		if (ch->nwarnings > 0) {
			ch->diagnosis = fmt(
				ch,
				"%s, but %s (%zu signature%s on the path "
				"expire%s within %d day%s)",
				head, ch->warnings[0], ch->nwarnings,
				ch->nwarnings == 1 ? "" : "s",
				ch->nwarnings == 1 ? "s" : "", ch->warn_days,
				ch->warn_days == 1 ? "" : "s");
		} else {
			ch->diagnosis =
				fmt(ch,
				    "%s: every link from the trust anchor for "
				    "%s is valid (%zu zone%s, %zu signature%s "
				    "checked)",
				    head, anchor ? anchor : "?", zones,
				    zones == 1 ? "" : "s", sigs,
				    sigs == 1 ? "" : "s");
		}
	}
	if (!ch->diagnosis) {
		ch->oom = 1;
	}
	outcome(ch);
}

struct dk_chain *dki_chain_ref(struct dk_chain *chain)
{
	if (chain) {
		chain->refs++;
	}
	return chain;
}

void dk_chain_free(struct dk_chain *chain)
{
	if (!chain || --chain->refs > 0) {
		return;
	}
	for (size_t i = 0; i < chain->nlinks; i++) {
		link_free(&chain->links[i]);
		free((void *)chain->lx[i].mds);
	}
	free(chain->links);
	free(chain->lx);
	free(chain->servers);
	free(chain->warnings);
	for (size_t i = 0; i < chain->nstrs; i++) {
		free(chain->strs[i]);
	}
	free(chain->strs);
	while (chain->zones) {
		struct zone *z = chain->zones;

		chain->zones = z->next;
		ldns_rdf_deep_free(z->apex);
		ldns_rr_list_deep_free(z->keys);
		free(z);
	}
	for (size_t i = 0; i < chain->nnoncuts; i++) {
		ldns_rdf_deep_free(chain->noncuts[i]);
	}
	ldns_rr_list_deep_free(chain->anchors);
	dk_answer_free(chain->answer);
	free(chain->qname);
	free(chain);
}

/* @name as an absolute name (malloc()ed), or NULL. */
static char *absolute(const char *name)
{
	ldns_rdf *d = NULL;
	char *s;

	if (ldns_str2rdf_dname(&d, name) != LDNS_STATUS_OK) {
		return NULL;
	}
	s = ldns_rdf2str(d);
	ldns_rdf_deep_free(d);
	return s;
}

/* dk_chain_build() (@failures 0) and dk_chain_build_opts() (1). */
static int chain_build(struct dk_resolver *resolver, const char *name,
		       uint16_t type, const struct dk_chain_opts *opts,
		       int failures, struct dk_chain **ret_chain,
		       struct dk_diag *diag)
{
	struct dk_chain_opts zero = { 0 };
	struct dk_chain *ch = NULL;
	char *key = NULL;
	size_t missed = 0, now_missed = 0;
	int r;

	if (!opts) {
		opts = &zero;
	}
	if (!resolver || !name || !ret_chain || type == 0) {
		dki_diagf(diag, "missing argument");
		return DK_EINVAL;
	}
	if (opts->warn_days < 0 || opts->warn_days > 36500) {
		dki_diagf(diag, "warn_days %d is not between 0 and 36500",
			  opts->warn_days);
		return DK_EINVAL;
	}
	if (opts->auth_port > 65535) {
		dki_diagf(diag, "auth_port %u is not a port number",
			  opts->auth_port);
		return DK_EINVAL;
	}
	r = dki_check_name(name, diag);
	if (r < 0) {
		return r;
	}
	/* dk_chain_build() inside a restartable step: the chain memo */
	if (!failures && !opts->auth_port && !opts->no_auth_check &&
	    dki_chainmemo_on(resolver, &missed)) {
		key = absolute(name);
		ch = key ? dki_chainmemo_get(resolver, key, type,
					     opts->warn_days)
			 : NULL;
		if (ch) {
			free(key);
			*ret_chain = ch;
			return 0;
		}
	}
	ch = calloc(1, sizeof(*ch));
	if (!ch) {
		free(key);
		return DK_ENOMEM;
	}
	ch->refs = 1;
	ch->resolver = resolver;
	ch->qtype = type;
	ch->warn_days = opts->warn_days;
	ch->auth_port = opts->auth_port;
	ch->no_auth_check = opts->no_auth_check;
	ch->explain = -1;
	r = dk_lookup(resolver, name, type, &ch->answer, diag);
	if (r == DK_ESERVFAIL && failures) {
		/* Reported as a chain that could not be finished. */
		ch->failed = 1;
		ch->qname = absolute(name);
		ch->failed_query =
			ch->qname ? fmt(ch, "%s %s", ch->qname, type_str(type))
				  : NULL;
		if (!ch->failed_query) {
			free(key);
			dk_chain_free(ch);
			return DK_ENOMEM;
		}
		if (diag) {
			diag->why[0] = '\0';
		}
	} else if (r < 0) {
		free(key);
		dk_chain_free(ch);
		return r;
	} else {
		ch->qname = strdup(dk_answer_qname(ch->answer));
	}
	if (!ch->qname) {
		free(key);
		dk_chain_free(ch);
		return DK_ENOMEM;
	}
	ch->now = validation_time(resolver);
	anchors_load(ch);
	if (!ch->oom) {
		answer_links(ch);
	}
	if (!ch->oom) {
		conclude(ch);
	}
	ch->resolver = NULL;
	if (ch->oom) {
		free(key);
		dk_chain_free(ch);
		return DK_ENOMEM;
	}
	if (key && dki_chainmemo_on(resolver, &now_missed) &&
	    now_missed == missed) {
		/* built from answers at hand only */
		dki_chainmemo_put(resolver, key, type, opts->warn_days, ch);
	}
	free(key);
	*ret_chain = ch;
	return 0;
}

int dk_chain_build(struct dk_resolver *resolver, const char *name,
		   uint16_t type, int warn_days, struct dk_chain **ret_chain,
		   struct dk_diag *diag)
{
	struct dk_chain_opts o = { 0 };

	o.warn_days = warn_days;
	return chain_build(resolver, name, type, &o, 0, ret_chain, diag);
}

int dk_chain_build_opts(struct dk_resolver *resolver, const char *name,
			uint16_t type, const struct dk_chain_opts *opts,
			struct dk_chain **ret_chain, struct dk_diag *diag)
{
	return chain_build(resolver, name, type, opts, 1, ret_chain, diag);
}

enum dk_dnssec_status dk_chain_status(const struct dk_chain *chain)
{
	return chain ? chain->status : DK_DNSSEC_INDETERMINATE;
}

enum dk_dnssec_status dk_chain_resolver_status(const struct dk_chain *chain)
{
	return chain ? chain->lib_status : DK_DNSSEC_INDETERMINATE;
}

enum dk_dnssec_status dk_chain_checked_status(const struct dk_chain *chain)
{
	return chain ? chain->checked : DK_DNSSEC_INDETERMINATE;
}

int dk_chain_disagrees(const struct dk_chain *chain)
{
	return chain ? chain->disagree : 0;
}

const char *dk_chain_diagnosis(const struct dk_chain *chain)
{
	return chain ? chain->diagnosis : NULL;
}

const char *dk_chain_why_bogus(const struct dk_chain *chain)
{
	return chain ? dk_answer_why(chain->answer) : NULL;
}

const char *dk_chain_qname(const struct dk_chain *chain)
{
	return chain ? chain->qname : NULL;
}

uint16_t dk_chain_qtype(const struct dk_chain *chain)
{
	return chain ? chain->qtype : 0;
}

int dk_chain_rcode(const struct dk_chain *chain)
{
	return chain ? dk_answer_rcode(chain->answer) : LDNS_RCODE_SERVFAIL;
}

time_t dk_chain_time(const struct dk_chain *chain)
{
	return chain ? chain->now : 0;
}

int dk_chain_warn_days(const struct dk_chain *chain)
{
	return chain ? chain->warn_days : 0;
}

const struct dk_answer *dk_chain_get0_answer(const struct dk_chain *chain)
{
	return chain ? chain->answer : NULL;
}

size_t dk_chain_link_count(const struct dk_chain *chain)
{
	return chain ? chain->nlinks : 0;
}

const struct dk_chain_link *dk_chain_link(const struct dk_chain *chain,
					  size_t i)
{
	return chain && i < chain->nlinks ? &chain->links[i] : NULL;
}

size_t dk_chain_warning_count(const struct dk_chain *chain)
{
	return chain ? chain->nwarnings : 0;
}

const char *dk_chain_warning(const struct dk_chain *chain, size_t i)
{
	return chain && i < chain->nwarnings ? chain->warnings[i] : NULL;
}

const char *dk_chain_link_type_name(enum dk_chain_link_type type)
{
	switch (type) {
	case DK_CHAIN_ZONE:
		return "zone";
	case DK_CHAIN_INSECURE_DELEGATION:
		return "insecure-delegation";
	case DK_CHAIN_CNAME:
		return "cname";
	case DK_CHAIN_ANSWER:
		return "answer";
	default:
		return "?";
	}
}

const char *dk_chain_proof_name(enum dk_chain_proof proof)
{
	switch (proof) {
	case DK_CHAIN_PROOF_NONE:
		return "none";
	case DK_CHAIN_PROOF_NSEC:
		return "nsec";
	case DK_CHAIN_PROOF_NSEC3:
		return "nsec3";
	case DK_CHAIN_PROOF_NSEC3_OPTOUT:
		return "nsec3-optout";
	default:
		return "?";
	}
}

const char *dk_chain_sig_state_name(enum dk_chain_sig_state state)
{
	switch (state) {
	case DK_CHAIN_SIG_VALID:
		return "valid";
	case DK_CHAIN_SIG_EXPIRED:
		return "expired";
	case DK_CHAIN_SIG_NOT_YET_VALID:
		return "not-yet-valid";
	case DK_CHAIN_SIG_BAD:
		return "bad";
	case DK_CHAIN_SIG_NO_KEY:
		return "no-key";
	case DK_CHAIN_SIG_UNSUPPORTED:
		return "unsupported";
	case DK_CHAIN_SIG_NOT_CHECKED:
		return "not-checked";
	default:
		return "?";
	}
}

const char *dk_chain_outcome_name(enum dk_chain_outcome outcome)
{
	switch (outcome) {
	case DK_CHAIN_OUTCOME_UNKNOWN:
		return "unknown";
	case DK_CHAIN_OUTCOME_SECURE:
		return "secure";
	case DK_CHAIN_OUTCOME_BROKEN:
		return "broken";
	case DK_CHAIN_OUTCOME_UNSIGNED:
		return "unsigned";
	case DK_CHAIN_OUTCOME_SERVFAIL:
		return "servfail";
	case DK_CHAIN_OUTCOME_UNSUPPORTED_ALGORITHM:
		return "unsupported-algorithm";
	case DK_CHAIN_OUTCOME_NSEC3_ITERATIONS:
		return "nsec3-iterations";
	case DK_CHAIN_OUTCOME_DS_MISSING:
		return "ds-missing";
	case DK_CHAIN_OUTCOME_UNEXPLAINED:
		return "unexplained";
	default:
		return "?";
	}
}

const char *dk_chain_server_state_name(enum dk_chain_server_state state)
{
	switch (state) {
	case DK_CHAIN_SERVER_NOT_ASKED:
		return "not-asked";
	case DK_CHAIN_SERVER_ANSWER:
		return "answer";
	case DK_CHAIN_SERVER_REFERRAL:
		return "referral";
	case DK_CHAIN_SERVER_LAME:
		return "lame";
	case DK_CHAIN_SERVER_ERROR:
		return "error";
	case DK_CHAIN_SERVER_TIMEOUT:
		return "timeout";
	case DK_CHAIN_SERVER_UNREACHABLE:
		return "unreachable";
	case DK_CHAIN_SERVER_BAD_REPLY:
		return "bad-reply";
	default:
		return "?";
	}
}

enum dk_chain_outcome dk_chain_outcome(const struct dk_chain *chain)
{
	return chain ? chain->outcome : DK_CHAIN_OUTCOME_UNKNOWN;
}

const char *dk_chain_outcome_zone(const struct dk_chain *chain)
{
	return chain ? chain->outcome_zone : NULL;
}

const char *dk_chain_failed_query(const struct dk_chain *chain)
{
	return chain ? chain->failed_query : NULL;
}

size_t dk_chain_server_count(const struct dk_chain *chain)
{
	return chain ? chain->nservers : 0;
}

const struct dk_chain_server *dk_chain_server(const struct dk_chain *chain,
					      size_t i)
{
	return chain && i < chain->nservers ? &chain->servers[i] : NULL;
}

/* The extras of the link that explains the verdict, or NULL. */
static const struct lx *explain_lx(const struct dk_chain *chain)
{
	return chain && chain->explain >= 0 ? &chain->lx[chain->explain] : NULL;
}

uint8_t dk_chain_unsupported_algorithm(const struct dk_chain *chain)
{
	const struct lx *x = explain_lx(chain);

	return x && chain->outcome == DK_CHAIN_OUTCOME_UNSUPPORTED_ALGORITHM
		       ? x->alg
		       : 0;
}

int dk_chain_nsec3_iterations(const struct dk_chain *chain)
{
	const struct lx *x = explain_lx(chain);

	return x ? x->n3_iter : -1;
}

int dk_chain_nsec3_iterations_limit(const struct dk_chain *chain)
{
	const struct lx *x = explain_lx(chain);

	return x ? x->n3_limit : -1;
}

size_t dk_chain_missing_ds_count(const struct dk_chain *chain)
{
	const struct lx *x = explain_lx(chain);

	return x && chain->outcome == DK_CHAIN_OUTCOME_DS_MISSING ? x->nmds : 0;
}

const char *dk_chain_missing_ds(const struct dk_chain *chain, size_t i)
{
	const struct lx *x = explain_lx(chain);

	return i < dk_chain_missing_ds_count(chain) ? x->mds[i] : NULL;
}

int64_t dk_chain_link_ttl(const struct dk_chain *chain, size_t i)
{
	return chain && i < chain->nlinks ? chain->lx[i].ttl : -1;
}

int64_t dk_chain_link_resolver_ttl(const struct dk_chain *chain, size_t i)
{
	return chain && i < chain->nlinks ? chain->lx[i].rttl : -1;
}
