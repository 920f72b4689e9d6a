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
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <unbound.h>

#include "dnssec/internal.h"

/* A zone met on the walk, and the keys that sign in it. */
struct zone {
	struct zone *next;
	ldns_rdf *apex;
	const char *name;	      /* arena string */
	enum dk_dnssec_status status; /* SECURE: keys are trusted */
	ldns_rr_list *keys;	      /* the DNSKEY set (owned) or NULL */
};

struct dk_chain {
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
			st = ldns_verify_rrsig_keylist_notime(rrset, rr, cand,
							      NULL);
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

/* The link array. */
static struct dk_chain_link *link_add(struct dk_chain *ch,
				      const struct dk_chain_link *l)
{
	if (ch->nlinks == ch->caplinks) {
		size_t cap = ch->caplinks ? ch->caplinks * 2 : 8;
		struct dk_chain_link *v = realloc(ch->links, cap * sizeof(*v));

		if (!v) {
			ch->oom = 1;
			return NULL;
		}
		ch->links = v;
		ch->caplinks = cap;
	}
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

/* Arrays of a link under construction. */
struct lb {
	struct vec ds, ds_sigs, keys, key_sigs, records, sigs, proof_records,
		proof_sigs;
};

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
	if (!link_add(ch, l)) {
		link_free(l);
	}
	memset(b, 0, sizeof(*b));
}

static void add_record(struct dk_chain *ch, struct vec *v, const ldns_rr *rr)
{
	const char **p = vec_add(ch, v, sizeof(*p));

	if (p) {
		*p = rr_str(ch, rr);
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

		add_record(ch, recs, rr);
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

/*
 * A signed zone @apex whose DS set is @ds (from the parent @parent, with
 * the RRSIGs in @ds_pool; or the trust anchor when @parent is NULL).
 */
static struct zone *zone_signed(struct dk_chain *ch, const ldns_rdf *apex,
				struct zone *parent, const ldns_rr_list *ds,
				const ldns_rr_list *ds_pool)
{
	struct dk_chain_link l = { 0 };
	struct lb b = { 0 };
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
		d->text = rr_str(ch, rr);
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
	pkt = dk_answer_get0_packet(a);
	keys = pick(pkt ? ldns_pkt_answer(pkt) : NULL, apex,
		    LDNS_RR_TYPE_DNSKEY);
	if (!keys) {
		ch->oom = 1;
		goto done;
	}
	for (size_t k = 0; k < ldns_rr_list_rr_count(keys); k++) {
		ldns_rr *rr = ldns_rr_list_rr(keys, k);
		struct dk_chain_key *key = vec_add(ch, &b.keys, sizeof(*key));

		if (!key) {
			goto done;
		}
		key->flags = rdf16(ldns_rr_dnskey_flags(rr));
		key->key_tag = ldns_calc_keytag(rr);
		key->algorithm = rdf8(ldns_rr_dnskey_algorithm(rr));
		key->bits = (unsigned int)ldns_rr_dnskey_key_size(rr);
		key->ds = -1;
		key->text = rr_str(ch, rr);
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

/* An unsigned child @name of the secure zone @parent, proven by @auth. */
static struct zone *zone_unsigned(struct dk_chain *ch, const ldns_rdf *name,
				  struct zone *parent,
				  enum dk_chain_proof proof, int optout,
				  const ldns_rr_list *auth)
{
	struct dk_chain_link l = { 0 };
	struct lb b = { 0 };
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
		l.status = DK_DNSSEC_INSECURE;
		if (proof == DK_CHAIN_PROOF_NSEC) {
			l.why = fmt(ch,
				    "%s is an unsigned delegation: the "
				    "NSEC record of %s proves that it has "
				    "no DS",
				    z->name, parent->name);
		} else if (proof == DK_CHAIN_PROOF_NSEC3) {
			l.why = fmt(ch,
				    "%s is an unsigned delegation: an "
				    "NSEC3 record of %s%s proves that it "
				    "has no DS",
				    z->name, parent->name,
				    optout ? " (opt-out flag set)" : "");
		} else {
			l.why = fmt(ch,
				    "%s is an unsigned delegation in an "
				    "NSEC3 opt-out span of %s, so it has "
				    "no DS",
				    z->name, parent->name);
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
		z = zone_signed(ch, anchor, NULL, ds, NULL);
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
		pkt = r == 0 ? dk_answer_get0_packet(a) : NULL;
		if (r < 0 || !pkt) {
			struct dk_chain_link l = { 0 };
			struct lb b = { 0 };
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
			found = zone_signed(ch, n, z, ds, ldns_pkt_answer(pkt));
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
						      ldns_pkt_authority(pkt));
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

/* The links of the answer: the CNAMEs on the way, then the final RRset. */
static void answer_links(struct dk_chain *ch)
{
	const ldns_pkt *pkt = dk_answer_get0_packet(ch->answer);
	const ldns_rr_list *ans = pkt ? ldns_pkt_answer(pkt) : NULL;
	const ldns_rr_list *auth = pkt ? ldns_pkt_authority(pkt) : NULL;
	ldns_rdf *cur = NULL;

	if (ldns_str2rdf_dname(&cur, ch->qname) != LDNS_STATUS_OK) {
		ch->oom = 1;
		return;
	}
	for (int hop = 0; cur && hop < 16 && !ch->oom; hop++) {
		struct dk_chain_link l = { 0 };
		struct lb b = { 0 };
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
		struct zone *z = wt ? walk_to(ch, wt) : NULL;
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
		if (!z || z->status != DK_DNSSEC_SECURE) {
			/* Show the records; the verdict comes from above. */
			none.apex = z ? z->apex : cur;
			none.name = z ? z->name : l.name;
			none.keys = z ? z->keys : NULL;
			check_rrsets(ch, data, ans, &none, &b.records, &b.sigs);
			if (!z) {
				l.status = DK_DNSSEC_INSECURE;
				l.why = fmt(ch, "no trust anchor covers %s",
					    l.name);
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

/* The verdict, and the one sentence that explains it. */
static void conclude(struct dk_chain *ch)
{
	const struct dk_chain_link *bad = NULL, *insecure = NULL, *last = NULL;
	const char *anchor = NULL, *nt, *why, *ub_why;
	size_t zones = 0, sigs = 0;

	for (size_t i = 0; i < ch->nlinks; i++) {
		const struct dk_chain_link *l = &ch->links[i];

		if (l->status == DK_DNSSEC_BOGUS ||
		    l->status == DK_DNSSEC_INDETERMINATE) {
			if (!bad) {
				bad = l;
			}
		} else if (l->status == DK_DNSSEC_INSECURE && !insecure) {
			insecure = l;
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
	ch->lib_status = dk_answer_status(ch->answer);
	ch->disagree = ch->lib_status != ch->checked;
	ch->status = ch->lib_status == DK_DNSSEC_SECURE ? ch->checked
							: ch->lib_status;
	ub_why = dk_answer_why(ch->answer);
	nt = fmt(ch, "%s %s", ch->qname, type_str(ch->qtype));
	if (ch->disagree) {
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
}

void dk_chain_free(struct dk_chain *chain)
{
	if (!chain) {
		return;
	}
	for (size_t i = 0; i < chain->nlinks; i++) {
		link_free(&chain->links[i]);
	}
	free(chain->links);
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

int dk_chain_build(struct dk_resolver *resolver, const char *name,
		   uint16_t type, int warn_days, struct dk_chain **ret_chain,
		   struct dk_diag *diag)
{
	struct dk_chain *ch;
	int r;

	if (!resolver || !name || !ret_chain || type == 0) {
		dki_diagf(diag, "missing argument");
		return DK_EINVAL;
	}
	if (warn_days < 0 || warn_days > 36500) {
		dki_diagf(diag, "warn_days %d is not between 0 and 36500",
			  warn_days);
		return DK_EINVAL;
	}
	r = dki_check_name(name, diag);
	if (r < 0) {
		return r;
	}
	ch = calloc(1, sizeof(*ch));
	if (!ch) {
		return DK_ENOMEM;
	}
	ch->resolver = resolver;
	ch->qtype = type;
	ch->warn_days = warn_days;
	r = dk_lookup(resolver, name, type, &ch->answer, diag);
	if (r < 0) {
		dk_chain_free(ch);
		return r;
	}
	ch->qname = strdup(dk_answer_qname(ch->answer));
	if (!ch->qname) {
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
		dk_chain_free(ch);
		return DK_ENOMEM;
	}
	*ret_chain = ch;
	return 0;
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
