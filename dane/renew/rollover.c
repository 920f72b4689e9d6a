/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The rollover guard, RFC 7671 section 8 ("current + next"): a new key
 * goes live only once its TLSA record is published, secure, served by
 * every authoritative server and old enough that every cache holds it;
 * the old record goes only once the new certificate is live.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509.h>

#include "dane/renew/internal.h"
#include "dane/renew/state.h"

const char *dk_rollover_stage_name(enum dk_rollover_stage stage)
{
	switch (stage) {
	case DK_ROLLOVER_NOT_SECURE:
		return "not-secure";
	case DK_ROLLOVER_INCOMPLETE:
		return "incomplete";
	case DK_ROLLOVER_PROPAGATING:
		return "propagating";
	case DK_ROLLOVER_NEXT_MISSING:
		return "next-missing";
	case DK_ROLLOVER_WAITING:
		return "waiting";
	case DK_ROLLOVER_READY:
		return "ready";
	case DK_ROLLOVER_RETIRE:
		return "retire";
	case DK_ROLLOVER_DONE:
		return "done";
	case DK_ROLLOVER_BROKEN:
		return "broken";
	}
	return "?";
}

int dk_rollover_stage_safe(enum dk_rollover_stage stage)
{
	return stage == DK_ROLLOVER_READY || stage == DK_ROLLOVER_RETIRE ||
	       stage == DK_ROLLOVER_DONE;
}

const char *dk_rollover_live_name(enum dk_rollover_live live)
{
	switch (live) {
	case DK_LIVE_UNKNOWN:
		return "unknown";
	case DK_LIVE_CURRENT:
		return "current";
	case DK_LIVE_NEXT:
		return "next";
	case DK_LIVE_OTHER:
		return "other";
	}
	return "?";
}

void dk_rollover_report_free(struct dk_rollover_report *rep)
{
	if (!rep) {
		return;
	}
	free(rep->owner);
	free(rep->zone);
	free(rep->status_why);
	for (size_t i = 0; i < rep->nrecords; i++) {
		dk_tlsa_free(rep->records[i].tlsa);
	}
	free(rep->records);
	for (size_t i = 0; i < rep->nservers; i++) {
		free(rep->servers[i].name);
		free(rep->servers[i].address);
		free(rep->servers[i].why);
		free(rep->servers[i].qname);
	}
	free(rep->servers);
	dkr_tlsa_array_free(rep->add, rep->nadd);
	dkr_tlsa_array_free(rep->remove, rep->nremove);
	free(rep->why);
	for (size_t i = 0; i < rep->nwarnings; i++) {
		free(rep->warnings[i]);
	}
	free(rep->warnings);
	free(rep->target);
	free(rep);
}

static void set_why(struct dk_rollover_report *rep, const char *fmt, ...)
	DK_PRINTF(2, 3);

static void set_why(struct dk_rollover_report *rep, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0) {
		s = NULL;
	}
	va_end(ap);
	free(rep->why);
	rep->why = s;
}

static void add_warning(struct dk_rollover_report *rep, const char *fmt, ...)
	DK_PRINTF(2, 3);

/* Append one line to the report's warnings (lost only without memory). */
static void add_warning(struct dk_rollover_report *rep, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0) {
		s = NULL;
	}
	va_end(ap);
	if (s && dkr_push((void ***)&rep->warnings, &rep->nwarnings, s) < 0) {
		free(s);
	}
}

/*
 * The public key that a full DANE-TA record ("2 0 0": the certificate,
 * "2 1 0": the SubjectPublicKeyInfo) carries, or NULL. The caller frees
 * it with EVP_PKEY_free().
 */
static EVP_PKEY *ta_full_key(const struct dk_tlsa *t)
{
	size_t len = 0;
	const uint8_t *d = dk_tlsa_data(t, &len);
	const unsigned char *p = d;
	EVP_PKEY *k = NULL;

	if (dk_tlsa_usage(t) != DK_TLSA_DANE_TA ||
	    dk_tlsa_mtype(t) != DK_TLSA_FULL || !d || len == 0 || len > 65536) {
		return NULL;
	}
	if (dk_tlsa_selector(t) == DK_TLSA_SPKI) {
		k = d2i_PUBKEY(NULL, &p, (long)len);
	} else if (dk_tlsa_selector(t) == DK_TLSA_CERT) {
		X509 *x = d2i_X509(NULL, &p, (long)len);

		if (x) {
			k = X509_get_pubkey(x);
			X509_free(x);
		}
	}
	if (k && p != d + len) {
		EVP_PKEY_free(k); /* trailing bytes: not one DER object */
		k = NULL;
	}
	ERR_clear_error();
	return k;
}

/*
 * Is some certificate of @in signed by @key? *@depth gets the depth of
 * the trust anchor (one above the certificate it signed).
 */
static int signed_by(EVP_PKEY *key, const struct dk_input *in, size_t *depth)
{
	if (!in || dk_input_kind(in) != DK_INPUT_CERTS) {
		return 0;
	}
	for (size_t i = 0; i < dk_input_cert_count(in); i++) {
		X509 *c = dk_input_get0_cert(in, i);

		if (c && X509_verify(c, key) == 1) {
			ERR_clear_error();
			*depth = i + 1;
			return 1;
		}
	}
	ERR_clear_error();
	return 0;
}

/*
 * Does record @t cover @in (with its issuer @ca)? Usage 3 on the leaf or
 * key; usage 2 on any certificate of the chain or on @ca, or, for a full
 * record (2 0 0, 2 1 0), when a certificate of the chain or @ca is signed
 * by the key it carries: such a trust anchor need not be sent (RFC 7671
 * section 5.2.2). *@depth gets the depth of a usage 2 match in the chain
 * (or 1 for @ca).
 */
static int covers(const struct dk_tlsa *t, const struct dk_input *in,
		  const struct dk_input *ca, size_t *depth)
{
	uint8_t u = dk_tlsa_usage(t);
	size_t d = 0;
	EVP_PKEY *k;
	int hit;

	if (!in) {
		return 0;
	}
	if (u == DK_TLSA_DANE_EE) {
		return dk_tlsa_match(t, in, NULL) > 0;
	}
	if (u != DK_TLSA_DANE_TA) {
		return 0; /* usages 0 and 1 are not weighed (RFC 7672 3.1.3) */
	}
	if (dk_input_kind(in) == DK_INPUT_CERTS &&
	    dk_input_cert_count(in) > 1 && dk_tlsa_match(t, in, &d) > 0) {
		if (depth) {
			*depth = d;
		}
		return 1;
	}
	if (ca && dk_tlsa_match(t, ca, NULL) > 0) {
		if (depth) {
			*depth = 1;
		}
		return 1;
	}
	k = ta_full_key(t);
	if (!k) {
		return 0;
	}
	hit = signed_by(k, in, &d);
	if (!hit && signed_by(k, ca, &d)) {
		hit = 1;
		d = 1;
	}
	EVP_PKEY_free(k);
	if (hit && depth) {
		*depth = d;
	}
	return hit;
}

/*
 * Does the server's answer @pkt hold the CNAME from @qname to @cname? 0
 * yes (*@ret_ttl gets its TTL); 1 no (*@ret_why says why, malloc()ed, or
 * NULL without memory).
 */
static int cname_differs(const ldns_pkt *pkt, const char *qname,
			 const char *cname, uint32_t *ret_ttl, char **ret_why)
{
	ldns_rr_list *ans = ldns_pkt_answer(pkt);
	ldns_rdf *q = ldns_dname_new_frm_str(qname);
	ldns_rdf *c = ldns_dname_new_frm_str(cname);
	char *got = NULL;
	int found = 0, r;

	*ret_why = NULL;
	for (size_t i = 0; q && c && i < ldns_rr_list_rr_count(ans); i++) {
		ldns_rr *rr = ldns_rr_list_rr(ans, i);

		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_CNAME ||
		    ldns_dname_compare(ldns_rr_owner(rr), q) != 0 ||
		    ldns_rr_rd_count(rr) < 1) {
			continue;
		}
		found = 1;
		if (ldns_dname_compare(ldns_rr_rdf(rr, 0), c) == 0) {
			*ret_ttl = ldns_rr_ttl(rr);
			ldns_rdf_deep_free(q);
			ldns_rdf_deep_free(c);
			free(got);
			return 0;
		}
		free(got);
		got = ldns_rdf2str(ldns_rr_rdf(rr, 0));
	}
	if (found) {
		r = asprintf(ret_why, "serves a CNAME from %s to %s, not to %s",
			     qname, got ? got : "?", cname);
	} else {
		r = asprintf(ret_why, "serves no CNAME from %s to %s", qname,
			     cname);
	}
	if (r < 0) {
		*ret_why = NULL;
	}
	free(got);
	ldns_rdf_deep_free(q);
	ldns_rdf_deep_free(c);
	return 1;
}

/*
 * Ask every address of every NS of @zone for @qname/TLSA, without
 * recursion. With @cname NULL, each must serve the validated RRset (the
 * report's records) at @qname; else @qname is an alias on the way to the
 * records, and each must serve a CNAME from @qname to @cname.
 */
static int auth_check(struct dk_resolver *res, struct dk_rollover_report *rep,
		      const char *zone, const char *qname, const char *cname,
		      unsigned port, double timeout, uint32_t *ttl,
		      struct dk_diag *diag)
{
	static const uint16_t atypes[] = { LDNS_RR_TYPE_A, LDNS_RR_TYPE_AAAA };
	struct dk_answer *ns = NULL;
	const ldns_rr_list *nsl;
	struct dk_tlsa **want = NULL;
	size_t nwant = rep->nrecords;
	int r;

	r = dk_lookup(res, zone, LDNS_RR_TYPE_NS, &ns, diag);
	if (r < 0) {
		return r;
	}
	want = calloc(nwant ? nwant : 1, sizeof(*want));
	if (!want) {
		dk_answer_free(ns);
		return DK_ENOMEM;
	}
	for (size_t i = 0; i < nwant; i++) {
		want[i] = rep->records[i].tlsa;
	}
	dkr_tlsa_sort(want, nwant);
	nsl = dki_answer_get0_rrset(ns);
	for (size_t i = 0; i < ldns_rr_list_rr_count(nsl); i++) {
		char *nsname =
			ldns_rdf2str(ldns_rr_rdf(ldns_rr_list_rr(nsl, i), 0));

		if (!nsname) {
			r = DK_ENOMEM;
			break;
		}
		for (size_t t = 0; t < 2; t++) {
			struct dk_answer *aa = NULL;
			const ldns_rr_list *al;

			if (dk_lookup(res, nsname, atypes[t], &aa, NULL) < 0) {
				continue;
			}
			al = dki_answer_get0_rrset(aa);
			for (size_t k = 0; k < ldns_rr_list_rr_count(al); k++) {
				struct dk_rollover_server *sv, *arr;
				struct dk_diag qd = { "" };
				ldns_pkt *pkt = NULL;
				struct dk_tlsa **got = NULL;
				size_t ngot = 0;
				uint32_t gttl = 0;
				int q;

				arr = realloc(rep->servers, (rep->nservers +
							     1) * sizeof(*arr));
				if (!arr) {
					r = DK_ENOMEM;
					break;
				}
				rep->servers = arr;
				sv = &arr[rep->nservers++];
				memset(sv, 0, sizeof(*sv));
				sv->name = strdup(nsname);
				sv->address = ldns_rdf2str(
					ldns_rr_rdf(ldns_rr_list_rr(al, k), 0));
				sv->port = port;
				sv->qname = strdup(qname);
				if (!sv->name || !sv->address || !sv->qname) {
					r = DK_ENOMEM;
					break;
				}
				q = dkr_query(sv->address, port, qname,
					      LDNS_RR_TYPE_TLSA, timeout, &pkt,
					      &qd);
				if (q < 0) {
					sv->state = DK_AUTH_UNREACHABLE;
					sv->why = strdup(qd.why);
					continue;
				}
				if ((ldns_pkt_get_rcode(pkt) !=
					     LDNS_RCODE_NOERROR &&
				     ldns_pkt_get_rcode(pkt) !=
					     LDNS_RCODE_NXDOMAIN) ||
				    !ldns_pkt_aa(pkt)) {
					ldns_lookup_table *lt =
						ldns_lookup_by_id(
							ldns_rcodes,
							ldns_pkt_get_rcode(
								pkt));

					sv->state = DK_AUTH_UNREACHABLE;
					if (asprintf(&sv->why,
						     "%s: not authoritative "
						     "for %s (rcode %s%s)",
						     sv->address, zone,
						     lt ? lt->name : "?",
						     ldns_pkt_aa(pkt)
							     ? ""
							     : ", no AA") < 0) {
						sv->why = NULL;
					}
					ldns_pkt_free(pkt);
					continue;
				}
				if (cname) {
					sv->state =
						cname_differs(pkt, qname, cname,
							      &gttl, &sv->why)
							? DK_AUTH_DIFFERENT
							: DK_AUTH_SAME;
					ldns_pkt_free(pkt);
					if (gttl > *ttl) {
						*ttl = gttl;
					}
					continue;
				}
				q = dkr_tlsa_from_pkt(pkt, qname, &got, &ngot,
						      &gttl);
				ldns_pkt_free(pkt);
				if (q < 0) {
					r = q;
					break;
				}
				if (gttl > *ttl) {
					*ttl = gttl;
				}
				sv->state = DK_AUTH_SAME;
				if (ngot != nwant) {
					sv->state = DK_AUTH_DIFFERENT;
				}
				for (size_t m = 0;
				     sv->state == DK_AUTH_SAME && m < ngot;
				     m++) {
					if (dk_tlsa_cmp(got[m], want[m]) != 0) {
						sv->state = DK_AUTH_DIFFERENT;
					}
				}
				if (sv->state == DK_AUTH_DIFFERENT &&
				    asprintf(&sv->why,
					     "serves %zu TLSA record%s "
					     "that differ from the "
					     "validated RRset of %zu",
					     ngot, ngot == 1 ? "" : "s",
					     nwant) < 0) {
					sv->why = NULL;
				}
				dkr_tlsa_array_free(got, ngot);
			}
			dk_answer_free(aa);
			if (r < 0) {
				break;
			}
		}
		free(nsname);
		if (r < 0) {
			break;
		}
	}
	dk_answer_free(ns);
	free(want);
	return r < 0 ? r : 0;
}

/*
 * The CNAMEs from @owner on, as the validated answer @a has them: pairs
 * (alias, target) in order, at most 8. Returns the number of hops, or
 * DK_ENOMEM; the names are malloc()ed into @from and @to.
 */
#define MAX_HOPS 8
static int cname_hops(const struct dk_answer *a, const char *owner,
		      char *from[MAX_HOPS], char *to[MAX_HOPS])
{
	const ldns_pkt *pkt = dki_answer_get0_packet(a);
	ldns_rr_list *ans = pkt ? ldns_pkt_answer(pkt) : NULL;
	ldns_rdf *cur = ldns_dname_new_frm_str(owner);
	int n = 0;

	if (!cur) {
		return DK_ENOMEM;
	}
	while (n < MAX_HOPS) {
		ldns_rr *hop = NULL;

		for (size_t i = 0; i < ldns_rr_list_rr_count(ans); i++) {
			ldns_rr *rr = ldns_rr_list_rr(ans, i);

			if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_CNAME &&
			    ldns_rr_rd_count(rr) >= 1 &&
			    ldns_dname_compare(ldns_rr_owner(rr), cur) == 0) {
				hop = rr;
				break;
			}
		}
		if (!hop) {
			break;
		}
		from[n] = ldns_rdf2str(cur);
		to[n] = ldns_rdf2str(ldns_rr_rdf(hop, 0));
		ldns_rdf_deep_free(cur);
		cur = ldns_rdf_clone(ldns_rr_rdf(hop, 0));
		n++;
		if (!from[n - 1] || !to[n - 1] || !cur) {
			for (int i = 0; i < n; i++) {
				free(from[i]);
				free(to[i]);
			}
			ldns_rdf_deep_free(cur);
			return DK_ENOMEM;
		}
	}
	ldns_rdf_deep_free(cur);
	return n;
}

/*
 * Does the chain the service presents (@live: the whole chain when
 * @whole, else only its leaf) match a record of the RRset? 1 yes; 0 no;
 * -1 cannot tell (only the leaf is known, and an issuer digest record
 * could match above it; or only PKIX records, which are not weighed).
 */
static int live_covered(const struct dk_rollover_report *rep,
			const struct dk_input *live, int whole)
{
	int unsure = 0;

	for (size_t i = 0; i < rep->nrecords; i++) {
		const struct dk_tlsa *t = rep->records[i].tlsa;

		switch (dk_tlsa_usage(t)) {
		case DK_TLSA_DANE_EE:
		case DK_TLSA_PKIX_EE:
			if (dk_tlsa_match(t, live, NULL) > 0) {
				return 1;
			}
			break;
		case DK_TLSA_DANE_TA:
			if (covers(t, live, NULL, NULL)) {
				return 1;
			}
			if (!whole && dk_tlsa_mtype(t) != DK_TLSA_FULL) {
				unsure = 1;
			}
			break;
		default:
			unsure = 1;
		}
	}
	return unsure ? -1 : 0;
}

/* A one-certificate input of @cert. 0, DK_ENOMEM or DK_ECRYPTO. */
static int leaf_input(X509 *cert, struct dk_input **ret)
{
	unsigned char *der = NULL;
	int n = i2d_X509(cert, &der), r;

	if (n <= 0) {
		ERR_clear_error();
		return DK_ECRYPTO;
	}
	r = dk_input_load(der, (size_t)n, ret, NULL);
	OPENSSL_free(der);
	return r == DK_ENOMEM ? r : r < 0 ? DK_ECRYPTO : 0;
}

/* Compare the live leaf with the current and next inputs. */
static enum dk_rollover_live live_is(X509 *live, const struct dk_input *cur,
				     const struct dk_input *next)
{
	EVP_PKEY *lk;

	if (!live) {
		return DK_LIVE_UNKNOWN;
	}
	if (next && dk_input_get0_cert(next, 0) &&
	    X509_cmp(live, dk_input_get0_cert(next, 0)) == 0) {
		return DK_LIVE_NEXT;
	}
	if (cur && dk_input_get0_cert(cur, 0) &&
	    X509_cmp(live, dk_input_get0_cert(cur, 0)) == 0) {
		return DK_LIVE_CURRENT;
	}
	lk = X509_get0_pubkey(live);
	if (lk && next && dk_input_get0_pubkey(next) &&
	    EVP_PKEY_eq(lk, dk_input_get0_pubkey(next)) == 1) {
		return DK_LIVE_NEXT;
	}
	if (lk && cur && dk_input_get0_pubkey(cur) &&
	    EVP_PKEY_eq(lk, dk_input_get0_pubkey(cur)) == 1) {
		return DK_LIVE_CURRENT;
	}
	return DK_LIVE_OTHER;
}

/* The record to publish for @next in usage @u, modelled on @model. */
static int suggest(struct dk_rollover_report *rep, uint8_t u,
		   const struct dk_tlsa *model, size_t depth,
		   const struct dk_input *next, const struct dk_input *next_ca)
{
	uint8_t s = model ? dk_tlsa_selector(model) : DK_TLSA_SPKI;
	uint8_t m = model ? dk_tlsa_mtype(model) : DK_TLSA_SHA256;
	struct dk_tlsa *t = NULL;
	int r;

	if (u == DK_TLSA_DANE_EE) {
		if (dk_input_kind(next) != DK_INPUT_CERTS) {
			s = DK_TLSA_SPKI;
		}
		r = dk_tlsa_make(next, u, s, m, 0, &t, NULL);
	} else if (next_ca) {
		r = dk_tlsa_make(next_ca, u, s, m, 0, &t, NULL);
	} else if (dk_input_kind(next) == DK_INPUT_CERTS &&
		   dk_input_cert_count(next) > 1) {
		if (depth < 1 || depth >= dk_input_cert_count(next)) {
			depth = 1;
		}
		r = dk_tlsa_make(next, u, s, m, (long)depth, &t, NULL);
	} else {
		rep->need_next_ca = 1;
		return 0;
	}
	if (r < 0) {
		return r;
	}
	r = dkr_push((void ***)&rep->add, &rep->nadd, t);
	if (r < 0) {
		dk_tlsa_free(t);
	}
	return r;
}

/* "DANE-EE (usage 3)" or "DANE-TA (usage 2)". */
static const char *usage_label(uint8_t u)
{
	return u == DK_TLSA_DANE_EE ? "DANE-EE (usage 3)" : "DANE-TA (usage 2)";
}

/* Parse the validated RRset of @a into the report's records. */
static int parse_records(struct dk_rollover_report *rep,
			 const struct dk_answer *a)
{
	struct dk_tlsa **arr = NULL;
	size_t n = 0;
	const ldns_rr_list *rrs = dki_answer_get0_rrset(a);
	int r = 0;

	for (size_t i = 0; i < ldns_rr_list_rr_count(rrs); i++) {
		ldns_rr *rr = ldns_rr_list_rr(rrs, i);
		ldns_buffer *b = ldns_buffer_new(256);
		struct dk_tlsa *t = NULL;

		if (!b) {
			r = DK_ENOMEM;
			break;
		}
		for (size_t k = 0; k < ldns_rr_rd_count(rr); k++) {
			ldns_rdf2buffer_wire(b, ldns_rr_rdf(rr, k));
		}
		r = dk_tlsa_from_wire(ldns_buffer_begin(b),
				      ldns_buffer_position(b), &t);
		ldns_buffer_free(b);
		if (r < 0 || (r = dkr_push((void ***)&arr, &n, t)) < 0) {
			dk_tlsa_free(t);
			break;
		}
	}
	if (r < 0) {
		dkr_tlsa_array_free(arr, n);
		return r;
	}
	dkr_tlsa_sort(arr, n);
	rep->records = calloc(n ? n : 1, sizeof(*rep->records));
	if (!rep->records) {
		dkr_tlsa_array_free(arr, n);
		return DK_ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		rep->records[i].tlsa = arr[i];
	}
	rep->nrecords = n;
	free(arr);
	return 0;
}

/* The name after CNAMEs of @a, when it is not @owner (malloc()ed). */
static int alias_target(const struct dk_answer *a, const char *owner,
			char **ret)
{
	const char *canon = dk_answer_canonname(a);
	ldns_rdf *x, *y;
	int same;

	*ret = NULL;
	if (!canon) {
		return 0;
	}
	x = ldns_dname_new_frm_str(canon);
	y = ldns_dname_new_frm_str(owner);
	same = !x || !y || ldns_dname_compare(x, y) == 0;
	ldns_rdf_deep_free(x);
	ldns_rdf_deep_free(y);
	if (same) {
		return 0;
	}
	*ret = dkr_absolute(canon);
	return *ret ? 0 : DK_ENOMEM;
}

/* "cannot list the name servers of @zone: " + the reason in @diag. */
static void servers_unknown(const char *zone, int r, struct dk_diag *diag)
{
	char why[sizeof(diag->why)];

	if (!diag) {
		return;
	}
	snprintf(why, sizeof(why), "%s",
		 diag->why[0] ? diag->why : dk_strerror(r));
	dki_diagf(diag, "cannot list the name servers of %s: %s", zone, why);
}

/*
 * Ask the servers: for an alias, those of the zone of each CNAME on the
 * way (for the CNAME) and those of the target's zone (for the RRset),
 * which is the report's zone. < 0 only for DK_ENOMEM or when a zone or
 * its servers cannot be listed (@diag).
 */
static int ask_servers(struct dk_resolver *resolver,
		       struct dk_rollover_report *rep,
		       const struct dk_answer *a, unsigned port, uint32_t *ttl,
		       struct dk_diag *diag)
{
	char *from[MAX_HOPS], *to[MAX_HOPS];
	double timeout = dk_resolver_timeout(resolver);
	int nhops = 0, r = 0;

	if (rep->target) {
		nhops = cname_hops(a, rep->owner, from, to);
		if (nhops < 0) {
			return nhops;
		}
	}
	for (int i = 0; i < nhops && r >= 0; i++) {
		/* The zone above the alias: an SOA lookup at the alias
		 * itself would follow its CNAME. */
		const char *up = strchr(from[i], '.');
		char *zone = NULL;

		if (!up || !up[1]) {
			continue;
		}
		r = dkr_find_zone(resolver, up + 1, &zone, diag);
		if (r >= 0) {
			r = auth_check(resolver, rep, zone, from[i], to[i],
				       port, timeout, ttl, diag);
			if (r < 0 && r != DK_ENOMEM) {
				servers_unknown(zone, r, diag);
			}
		}
		free(zone);
	}
	for (int i = 0; i < nhops; i++) {
		free(from[i]);
		free(to[i]);
	}
	if (r < 0) {
		return r;
	}
	r = auth_check(resolver, rep, rep->zone,
		       rep->target ? rep->target : rep->owner, NULL, port,
		       timeout, ttl, diag);
	if (r < 0 && r != DK_ENOMEM) {
		servers_unknown(rep->zone, r, diag);
	}
	return r;
}

int dk_rollover_check(struct dk_resolver *resolver, const char *owner,
		      const struct dk_rollover_opts *opts,
		      struct dk_rollover_report **ret_report,
		      struct dk_diag *diag)
{
	struct dk_rollover_report *rep;
	struct dk_tlsa_rrset *set = NULL;
	const struct dk_answer *a = NULL;
	struct dkr_state st = { NULL, 0 };
	struct dk_input *own_live = NULL;
	const struct dk_input *live_in = NULL;
	const struct dk_tlsa *model[4] = { NULL, NULL, NULL, NULL };
	size_t depth2 = 1;
	unsigned cur_cls = 0, next_cls = 0, present = 0, base, missing;
	int cur_any = 0, next_ok, state_ok = 0, whole = 0, live_cov = -1;
	int cur_unsure = 0;
	const char *state_note = NULL;
	static const char unsure_note[] =
		"whether a usage 2 record covers the current certificate is "
		"not known: give its chain (fullchain.pem) or its issuer "
		"(--current-ca), or let danekit connect to the service";
	struct dk_diag sd = { "" };
	X509 *live_leaf;
	time_t now;
	uint32_t ttl;
	int r;

	if (!resolver || !owner || !opts || !opts->next || !ret_report) {
		return DK_EINVAL;
	}
	/* A state file that must not be touched stops everything first. */
	if (opts->state_file) {
		r = dk_rollover_state_check(opts->state_file, diag);
		if (r < 0) {
			return r;
		}
	}
	now = opts->now ? opts->now : time(NULL);
	/* the one trust gate: libunbound and the chain walk */
	r = dk_tlsa_lookup(resolver, owner, &set, diag);
	if (r < 0) {
		return r;
	}
	a = dk_chain_get0_answer(dk_tlsa_rrset_get0_chain(set));
	rep = calloc(1, sizeof(*rep));
	if (!rep) {
		dk_tlsa_rrset_free(set);
		return DK_ENOMEM;
	}
	rep->age = -1;
	rep->owner = dkr_absolute(owner);
	rep->status = dk_tlsa_rrset_status(set);
	if (dk_tlsa_rrset_why(set)) {
		rep->status_why = strdup(dk_tlsa_rrset_why(set));
	}
	if (!rep->owner) {
		r = DK_ENOMEM;
		goto fail;
	}
	r = alias_target(a, rep->owner, &rep->target);
	if (r < 0) {
		goto fail;
	}
	r = parse_records(rep, a);
	if (r < 0) {
		goto fail;
	}
	ttl = dk_tlsa_rrset_ttl(set);

	/* The live service: which certificate, and does its chain match? */
	live_leaf = opts->live;
	if (!live_leaf && opts->live_chain) {
		live_leaf = dk_input_get0_cert(opts->live_chain, 0);
	}
	rep->live = live_is(live_leaf, opts->current, opts->next);
	if (opts->live_chain &&
	    dk_input_kind(opts->live_chain) == DK_INPUT_CERTS) {
		live_in = opts->live_chain;
		whole = 1;
	} else if (live_leaf) {
		r = leaf_input(live_leaf, &own_live);
		if (r == DK_ENOMEM) {
			goto fail;
		}
		live_in = own_live;
	}
	if (live_in && live_leaf) {
		live_cov = live_covered(rep, live_in, whole);
	}

	/*
	 * Which record covers what. The chain the service presents counts
	 * as the current (or next) chain when it is the current (next)
	 * certificate: a bare leaf given as --current is then judged with
	 * the issuers the service really sends.
	 */
	for (size_t i = 0; i < rep->nrecords; i++) {
		struct dk_rollover_record *rec = &rep->records[i];
		uint8_t u = dk_tlsa_usage(rec->tlsa);
		size_t d = 1;

		if (u != DK_TLSA_DANE_TA && u != DK_TLSA_DANE_EE) {
			continue;
		}
		present |= 1u << u;
		rec->current = covers(rec->tlsa, opts->current,
				      opts->current_ca, &d) ||
			       (whole && rep->live == DK_LIVE_CURRENT &&
				covers(rec->tlsa, live_in, NULL, &d));
		rec->next =
			covers(rec->tlsa, opts->next, opts->next_ca, NULL) ||
			(whole && rep->live == DK_LIVE_NEXT &&
			 covers(rec->tlsa, live_in, NULL, NULL));
		if (rec->current) {
			cur_cls |= 1u << u;
			cur_any = 1;
			if (!model[u]) {
				model[u] = rec->tlsa;
				if (u == DK_TLSA_DANE_TA) {
					depth2 = d;
				}
			}
		}
		if (rec->next) {
			next_cls |= 1u << u;
		}
	}
	for (size_t i = 0; i < rep->nrecords; i++) {
		uint8_t u = dk_tlsa_usage(rep->records[i].tlsa);

		if ((u == 2 || u == 3) && !model[u]) {
			model[u] = rep->records[i].tlsa;
		}
		/* A usage 2 digest cannot be judged on a bare leaf or key
		 * with no issuer: the current coverage is then unknown. */
		if (u == DK_TLSA_DANE_TA &&
		    dk_tlsa_mtype(rep->records[i].tlsa) != DK_TLSA_FULL &&
		    opts->current && !cur_any && !opts->current_ca &&
		    !(whole && rep->live == DK_LIVE_CURRENT) &&
		    dk_input_cert_count(opts->current) <= 1) {
			cur_unsure = 1;
		}
	}

	if (rep->status != DK_DNSSEC_SECURE) {
		rep->stage = DK_ROLLOVER_NOT_SECURE;
		if (rep->status == DK_DNSSEC_BOGUS) {
			set_why(rep,
				"the TLSA RRset of %s is bogus (%s): it must "
				"not be used; no rollover step is safe",
				rep->owner,
				rep->status_why ? rep->status_why
						: "validation failed");
		} else {
			set_why(rep,
				"the TLSA RRset of %s is %s: DANE does not "
				"apply, so no rollover step can be confirmed",
				rep->owner, dk_dnssec_status_name(rep->status));
		}
		goto done;
	}

	/* The zone and its authoritative servers (the target's, for an
	 * alias). */
	r = dkr_find_zone(resolver, rep->target ? rep->target : rep->owner,
			  &rep->zone, diag);
	if (r < 0) {
		goto fail;
	}
	/* Known before the servers are asked, so every report carries them. */
	rep->ttl = ttl;
	rep->min_age = opts->min_age >= 0 ? opts->min_age : 2 * (long)ttl;
	if (!opts->no_auth_check) {
		struct dk_diag ad = { "" };

		r = ask_servers(resolver, rep, a,
				opts->auth_port ? opts->auth_port : 53, &ttl,
				&ad);
		if (r == DK_ENOMEM) {
			goto fail;
		}
		if (r < 0) {
			rep->stage = DK_ROLLOVER_INCOMPLETE;
			set_why(rep, "%s", ad.why[0] ? ad.why : dk_strerror(r));
			goto done;
		}
		if (rep->nservers == 0) {
			rep->stage = DK_ROLLOVER_INCOMPLETE;
			set_why(rep,
				"no address found for any name server of %s",
				rep->zone);
			goto done;
		}
		for (size_t i = 0; i < rep->nservers; i++) {
			if (rep->servers[i].state == DK_AUTH_UNREACHABLE) {
				rep->stage = DK_ROLLOVER_INCOMPLETE;
				set_why(rep,
					"name server %s (%s port %u) gave no "
					"usable answer%s%s; try again later",
					rep->servers[i].name,
					rep->servers[i].address,
					rep->servers[i].port,
					rep->servers[i].why ? ": " : "",
					rep->servers[i].why
						? rep->servers[i].why
						: "");
				goto done;
			}
		}
		for (size_t i = 0; i < rep->nservers; i++) {
			if (rep->servers[i].state == DK_AUTH_DIFFERENT) {
				rep->stage = DK_ROLLOVER_PROPAGATING;
				set_why(rep,
					"name server %s (%s) %s: a secondary "
					"lags behind; wait until every server "
					"serves the same RRset",
					rep->servers[i].name,
					rep->servers[i].address,
					rep->servers[i].why
						? rep->servers[i].why
						: "differs");
				goto done;
			}
		}
	}
	rep->ttl = ttl;
	rep->min_age = opts->min_age >= 0 ? opts->min_age : 2 * (long)ttl;
	dk_tlsa_rrset_free(set);
	set = NULL;
	a = NULL;

	/* First sight of each record, published everywhere. */
	if (opts->state_file) {
		r = dkr_state_load(opts->state_file, &st, &sd);
		if (r == 0) {
			state_ok = 1;
		} else if (r == DK_ENOMEM) {
			goto fail;
		} else {
			state_note = "the state file could not be read";
		}
	}
	{
		int changed = 0;
		const char **keep = calloc(rep->nrecords + 1, sizeof(*keep));
		char **rd = calloc(rep->nrecords + 1, sizeof(*rd));

		if (!keep || !rd) {
			free(keep);
			free(rd);
			dkr_state_free(&st);
			r = DK_ENOMEM;
			goto fail;
		}
		/*
		 * A record new to the state is first seen now that every
		 * server has been asked, not when the check began (the
		 * lookups take their time), and in whole seconds rounded up:
		 * its age is never overstated.
		 */
		time_t seen = opts->now ? opts->now : time(NULL) + 1;

		for (size_t i = 0; i < rep->nrecords; i++) {
			rd[i] = dkr_rdata(rep->records[i].tlsa);
			keep[i] = rd[i] ? rd[i] : "";
			rep->records[i].first_seen =
				state_ok && rd[i]
					? dkr_state_seen(&st, rep->owner, rd[i],
							 seen, &changed)
					: seen;
		}
		if (state_ok) {
			dkr_state_prune(&st, rep->owner, keep, rep->nrecords,
					&changed);
			if (changed &&
			    dkr_state_save(opts->state_file, &st, &sd) < 0) {
				state_note =
					"the state file could not be written";
			}
		}
		for (size_t i = 0; i < rep->nrecords; i++) {
			free(rd[i]);
		}
		free(rd);
		free(keep);
		dkr_state_free(&st);
	}

	/*
	 * The next chain is covered when any usage 2 or 3 record covers it.
	 * The kinds of record (usage 3, usage 2) that cover the current
	 * chain (else those in the RRset; else usage 3) are the baseline:
	 * a kind the next chain loses is published, or warned about.
	 */
	base = cur_cls ? cur_cls : present;
	if (!base) {
		base = 1u << DK_TLSA_DANE_EE;
	}
	next_ok = next_cls != 0;
	missing = next_ok ? base & ~next_cls : base;
	for (uint8_t u = 3; u >= 2; u--) {
		size_t before = rep->nadd;
		char *rd;

		if (!(missing & (1u << u))) {
			continue;
		}
		r = suggest(rep, u, model[u], depth2, opts->next,
			    opts->next_ca);
		if (r < 0) {
			goto fail;
		}
		if (!next_ok) {
			continue;
		}
		if (rep->nadd == before) {
			add_warning(rep,
				    "the %s is covered by %s records too, the "
				    "next chain only by %s records: give the "
				    "issuer of the next certificate (--ca) to "
				    "learn which %s record to publish as well",
				    cur_cls ? "current chain"
					    : "RRset (with no current chain)",
				    usage_label(u), usage_label(u == 3 ? 2 : 3),
				    usage_label(u));
			continue;
		}
		rd = dkr_rdata(rep->add[rep->nadd - 1]);
		add_warning(rep,
			    "%s %s records, but the next chain is covered "
			    "only by %s records: publish \"%s\" as well, so "
			    "that it keeps two independent records",
			    cur_cls ? "the current chain is covered by"
				    : "the RRset holds",
			    usage_label(u), usage_label(u == 3 ? 2 : 3),
			    rd ? rd : "?");
		free(rd);
	}
	/* Age: that of the oldest record that covers the next chain. */
	if (next_ok) {
		time_t oldest = 0;

		for (size_t i = 0; i < rep->nrecords; i++) {
			const struct dk_rollover_record *rec = &rep->records[i];

			if (rec->next &&
			    (!oldest || rec->first_seen < oldest)) {
				oldest = rec->first_seen;
			}
		}
		if (oldest) {
			rep->age = (long)(now - oldest);
			if (rep->age < 0) {
				rep->age = 0;
			}
		}
		/* What goes once the next certificate is live. */
		for (size_t i = 0; opts->current && i < rep->nrecords; i++) {
			const struct dk_rollover_record *rec = &rep->records[i];
			struct dk_tlsa *t;

			if (!rec->current || rec->next) {
				continue;
			}
			t = dk_tlsa_dup(rec->tlsa);
			if (!t || dkr_push((void ***)&rep->remove,
					   &rep->nremove, t) < 0) {
				dk_tlsa_free(t);
				r = DK_ENOMEM;
				goto fail;
			}
		}
	}

	if (live_cov == 0 && rep->live == DK_LIVE_OTHER) {
		rep->stage = DK_ROLLOVER_BROKEN;
		set_why(rep,
			"the live certificate is neither the current nor the "
			"next one, and no record at %s matches it: DANE "
			"clients fail now; publish its record at once, or "
			"deploy the current certificate again",
			rep->owner);
	} else if (live_cov == 0 && (rep->live != DK_LIVE_NEXT || next_ok)) {
		rep->stage = DK_ROLLOVER_BROKEN;
		set_why(rep,
			"the %s certificate is live, but no record at %s "
			"matches the chain the service presents%s: DANE "
			"clients fail now",
			rep->live == DK_LIVE_NEXT ? "next" : "current",
			rep->owner,
			(rep->live == DK_LIVE_NEXT ? next_ok : cur_any)
				? " (does it send the issuer a usage 2 "
				  "record names?)"
				: "");
	} else if (!next_ok) {
		if (rep->live == DK_LIVE_NEXT) {
			rep->stage = DK_ROLLOVER_BROKEN;
			set_why(rep,
				"the next certificate is live, but %s has no "
				"record for it: DANE clients fail now; "
				"publish the missing records at once",
				rep->owner);
		} else {
			rep->stage = DK_ROLLOVER_NEXT_MISSING;
			set_why(rep,
				"the next key is not published at %s yet: no "
				"usage 3 or usage 2 record covers it%s",
				rep->owner,
				rep->need_next_ca
					? " (give the issuer of the next "
					  "certificate with --ca: a usage 2 "
					  "record may cover it)"
					: "");
		}
	} else if (rep->live == DK_LIVE_NEXT) {
		if (rep->nremove) {
			rep->stage = DK_ROLLOVER_RETIRE;
			set_why(rep,
				"the next certificate is live; the records "
				"of the current key can go now");
		} else {
			rep->stage = DK_ROLLOVER_DONE;
			set_why(rep,
				"the next certificate is live and no record "
				"of the current key is left");
		}
	} else if (rep->live == DK_LIVE_CURRENT && opts->current && !cur_any &&
		   !cur_unsure) {
		rep->stage = DK_ROLLOVER_BROKEN;
		set_why(rep,
			"the current certificate is live, but no record at "
			"%s matches it any more: DANE clients fail now",
			rep->owner);
	} else if (opts->current && !cur_any && !cur_unsure &&
		   rep->live != DK_LIVE_CURRENT) {
		rep->stage = DK_ROLLOVER_DONE;
		set_why(rep,
			"the next key is published and no record of the "
			"current key is left%s",
			rep->live == DK_LIVE_UNKNOWN
				? " (the live certificate was not checked: "
				  "make "
				  "sure the next one is deployed)"
				: "");
	} else if (rep->age < rep->min_age) {
		if (cur_unsure) {
			add_warning(rep, "%s", unsure_note);
		}
		rep->stage = DK_ROLLOVER_WAITING;
		set_why(rep,
			"published everywhere for %ld s, less than %ld s "
			"(twice the TTL of %u s, RFC 7671 section 8.1): "
			"wait %ld s more%s%s",
			rep->age, rep->min_age, rep->ttl,
			rep->min_age - rep->age, state_note ? "; " : "",
			state_note ? state_note : "");
	} else {
		if (cur_unsure) {
			add_warning(rep, "%s", unsure_note);
		}
		rep->stage = DK_ROLLOVER_READY;
		set_why(rep,
			"the next key is published on every server for "
			"%ld s (at least %ld s): safe to deploy%s%s",
			rep->age, rep->min_age, state_note ? "; " : "",
			state_note ? state_note : "");
	}
done:
	rep->add_ttl = opts->ttl ? opts->ttl : rep->ttl ? rep->ttl : 3600;
	dk_tlsa_rrset_free(set);
	dk_input_free(own_live);
	*ret_report = rep;
	return 0;
fail:
	dk_input_free(own_live);
	dk_tlsa_rrset_free(set);
	dk_rollover_report_free(rep);
	return r;
}

int dk_rollover_owner_ttl(struct dk_resolver *resolver, const char *owner,
			  uint32_t *ret_ttl, char **ret_target,
			  struct dk_diag *diag)
{
	struct dk_answer *a = NULL;
	char *abs, *target = NULL;
	uint32_t ttl = 0;
	int r;

	if (!resolver || !owner || !ret_ttl) {
		return DK_EINVAL;
	}
	r = dk_lookup(resolver, owner, LDNS_RR_TYPE_TLSA, &a, diag);
	if (r < 0) {
		return r;
	}
	abs = dkr_absolute(owner);
	r = abs ? alias_target(a, abs, &target) : DK_ENOMEM;
	free(abs);
	if (r < 0) {
		dk_answer_free(a);
		return r;
	}
	if (dk_answer_status(a) != DK_DNSSEC_BOGUS &&
	    ldns_rr_list_rr_count(dki_answer_get0_rrset(a)) > 0) {
		ttl = dki_answer_orig_ttl(a);
	}
	dk_answer_free(a);
	*ret_ttl = ttl;
	if (ret_target) {
		*ret_target = target;
	} else {
		free(target);
	}
	return 0;
}

const struct dk_rollover_record *
dk_rollover_report_record(const struct dk_rollover_report *r, size_t i)
{
	return r && i < r->nrecords ? &r->records[i] : NULL;
}

const struct dk_rollover_server *
dk_rollover_report_server(const struct dk_rollover_report *r, size_t i)
{
	return r && i < r->nservers ? &r->servers[i] : NULL;
}
