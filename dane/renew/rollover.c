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
	}
	free(rep->servers);
	dkr_tlsa_array_free(rep->add, rep->nadd);
	dkr_tlsa_array_free(rep->remove, rep->nremove);
	free(rep->why);
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

/*
 * Does record @t cover @in (with its issuer @ca)? Usage 3 on the leaf or
 * key; usage 2 on any certificate of the chain or on @ca. *@depth gets
 * the depth of a usage 2 match in the chain (or 1 for @ca).
 */
static int covers(const struct dk_tlsa *t, const struct dk_input *in,
		  const struct dk_input *ca, size_t *depth)
{
	uint8_t u = dk_tlsa_usage(t);
	size_t d = 0;

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
	return 0;
}

/* Ask every address of every NS of the zone for the TLSA RRset. */
static int auth_check(struct dk_resolver *res, struct dk_rollover_report *rep,
		      unsigned port, double timeout, uint32_t *ttl,
		      struct dk_diag *diag)
{
	static const uint16_t atypes[] = { LDNS_RR_TYPE_A, LDNS_RR_TYPE_AAAA };
	struct dk_answer *ns = NULL;
	const ldns_rr_list *nsl;
	struct dk_tlsa **want = NULL;
	size_t nwant = rep->nrecords;
	int r;

	r = dk_lookup(res, rep->zone, LDNS_RR_TYPE_NS, &ns, diag);
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
	nsl = dk_answer_get0_rrset(ns);
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
			al = dk_answer_get0_rrset(aa);
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
				if (!sv->name || !sv->address) {
					r = DK_ENOMEM;
					break;
				}
				q = dkr_query(sv->address, port, rep->owner,
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
						     sv->address, rep->zone,
						     lt ? lt->name : "?",
						     ldns_pkt_aa(pkt)
							     ? ""
							     : ", no AA") < 0) {
						sv->why = NULL;
					}
					ldns_pkt_free(pkt);
					continue;
				}
				q = dkr_tlsa_from_pkt(pkt, rep->owner, &got,
						      &ngot, &gttl);
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
 * Does the live leaf match an end-entity record (usage 3 or 1) of the
 * RRset? 1 yes; 0 no; -1 cannot tell (no match, but the RRset has
 * issuer records, and only the leaf is known here).
 */
static int live_matches_ee(X509 *live, const struct dk_rollover_report *rep)
{
	int issuers = 0;

	for (size_t i = 0; i < rep->nrecords; i++) {
		const struct dk_tlsa *t = rep->records[i].tlsa;
		uint8_t u = dk_tlsa_usage(t);
		uint8_t *data = NULL;
		size_t len = 0, tlen = 0;
		const uint8_t *tdata = dk_tlsa_data(t, &tlen);
		int same;

		if (u == DK_TLSA_DANE_TA || u == DK_TLSA_PKIX_TA) {
			issuers = 1;
			continue;
		}
		if (dk_tlsa_assoc_data(live, NULL, dk_tlsa_selector(t),
				       dk_tlsa_mtype(t), &data, &len) < 0) {
			continue;
		}
		same = len == tlen && memcmp(data, tdata, len) == 0;
		free(data);
		if (same) {
			return 1;
		}
	}
	return issuers ? -1 : 0;
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

int dk_rollover_check(struct dk_resolver *resolver, const char *owner,
		      const struct dk_rollover_opts *opts,
		      struct dk_rollover_report **ret_report,
		      struct dk_diag *diag)
{
	struct dk_rollover_report *rep;
	struct dk_answer *a = NULL;
	struct dkr_state st = { NULL, 0 };
	const struct dk_tlsa *model[4] = { NULL, NULL, NULL, NULL };
	size_t depth2 = 1;
	int cur_cls[4] = { 0 }, next_cls[4] = { 0 }, present[4] = { 0 };
	int required[4] = { 0 }, next_ok = 1, cur_any = 0, state_ok = 0;
	const char *state_note = NULL;
	struct dk_diag sd = { "" };
	time_t now;
	uint32_t ttl;
	int r;

	if (!resolver || !owner || !opts || !opts->next || !ret_report) {
		return DK_EINVAL;
	}
	now = opts->now ? opts->now : time(NULL);
	r = dk_lookup(resolver, owner, LDNS_RR_TYPE_TLSA, &a, diag);
	if (r < 0) {
		return r;
	}
	rep = calloc(1, sizeof(*rep));
	if (!rep) {
		dk_answer_free(a);
		return DK_ENOMEM;
	}
	rep->age = -1;
	rep->owner = dkr_absolute(owner);
	rep->status = dk_answer_status(a);
	if (dk_answer_why(a)) {
		rep->status_why = strdup(dk_answer_why(a));
	}
	if (!rep->owner) {
		r = DK_ENOMEM;
		goto fail;
	}
	{
		struct dk_tlsa **arr = NULL;
		size_t n = 0;
		const ldns_rr_list *rrs = dk_answer_get0_rrset(a);

		/* the validated RRset, parsed like the servers' answers */
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
			if (r < 0 ||
			    (r = dkr_push((void ***)&arr, &n, t)) < 0) {
				dk_tlsa_free(t);
				break;
			}
		}
		if (r < 0) {
			dkr_tlsa_array_free(arr, n);
			goto fail;
		}
		dkr_tlsa_sort(arr, n);
		rep->records = calloc(n ? n : 1, sizeof(*rep->records));
		if (!rep->records) {
			dkr_tlsa_array_free(arr, n);
			r = DK_ENOMEM;
			goto fail;
		}
		for (size_t i = 0; i < n; i++) {
			rep->records[i].tlsa = arr[i];
		}
		rep->nrecords = n;
		free(arr);
	}
	ttl = dk_answer_ttl(a);
	dk_answer_free(a);
	a = NULL;
	for (size_t i = 0; i < rep->nrecords; i++) {
		struct dk_rollover_record *rec = &rep->records[i];

		rec->current = covers(rec->tlsa, opts->current,
				      opts->current_ca, NULL);
		rec->next = covers(rec->tlsa, opts->next, opts->next_ca, NULL);
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
		*ret_report = rep;
		return 0;
	}

	/* The zone and its authoritative servers. */
	r = dkr_find_zone(resolver, rep->owner, &rep->zone, diag);
	if (r < 0) {
		goto fail;
	}
	/* Known before the servers are asked, so every report carries them. */
	rep->ttl = ttl;
	rep->min_age = opts->min_age >= 0 ? opts->min_age : 2 * (long)ttl;
	if (!opts->no_auth_check) {
		struct dk_diag ad = { "" };

		r = auth_check(resolver, rep,
			       opts->auth_port ? opts->auth_port : 53,
			       dk_resolver_timeout(resolver), &ttl, &ad);
		if (r == DK_ENOMEM) {
			goto fail;
		}
		if (r < 0) {
			rep->stage = DK_ROLLOVER_INCOMPLETE;
			set_why(rep, "cannot list the name servers of %s: %s",
				rep->zone, ad.why[0] ? ad.why : dk_strerror(r));
			*ret_report = rep;
			return 0;
		}
		if (rep->nservers == 0) {
			rep->stage = DK_ROLLOVER_INCOMPLETE;
			set_why(rep,
				"no address found for any name server of %s",
				rep->zone);
			*ret_report = rep;
			return 0;
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
				*ret_report = rep;
				return 0;
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
				*ret_report = rep;
				return 0;
			}
		}
	}
	rep->ttl = ttl;
	rep->min_age = opts->min_age >= 0 ? opts->min_age : 2 * (long)ttl;

	/* First sight of each record, published everywhere. */
	if (opts->state_file) {
		if (dkr_state_load(opts->state_file, &st, &sd) == 0) {
			state_ok = 1;
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
		for (size_t i = 0; i < rep->nrecords; i++) {
			rd[i] = dkr_rdata(rep->records[i].tlsa);
			keep[i] = rd[i] ? rd[i] : "";
			rep->records[i].first_seen =
				state_ok && rd[i]
					? dkr_state_seen(&st, rep->owner, rd[i],
							 now, &changed)
					: now;
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

	/* Which record covers what. */
	for (size_t i = 0; i < rep->nrecords; i++) {
		struct dk_rollover_record *rec = &rep->records[i];
		uint8_t u = dk_tlsa_usage(rec->tlsa);
		size_t d = 1;

		if (u != DK_TLSA_DANE_TA && u != DK_TLSA_DANE_EE) {
			continue;
		}
		present[u] = 1;
		rec->current =
			covers(rec->tlsa, opts->current, opts->current_ca, &d);
		rec->next = covers(rec->tlsa, opts->next, opts->next_ca, NULL);
		if (rec->current) {
			cur_cls[u] = 1;
			cur_any = 1;
			if (!model[u]) {
				model[u] = rec->tlsa;
				if (u == DK_TLSA_DANE_TA) {
					depth2 = d;
				}
			}
		}
		if (rec->next) {
			next_cls[u] = 1;
		}
	}
	for (size_t i = 0; i < rep->nrecords; i++) {
		uint8_t u = dk_tlsa_usage(rep->records[i].tlsa);

		if ((u == 2 || u == 3) && !model[u]) {
			model[u] = rep->records[i].tlsa;
		}
	}
	if (cur_any) {
		required[2] = cur_cls[2];
		required[3] = cur_cls[3];
	} else {
		required[2] = present[2];
		required[3] = present[3];
	}
	if (!required[2] && !required[3]) {
		required[3] = 1;
	}
	for (uint8_t u = 2; u <= 3; u++) {
		if (required[u] && !next_cls[u]) {
			next_ok = 0;
			r = suggest(rep, u, model[u], depth2, opts->next,
				    opts->next_ca);
			if (r < 0) {
				goto fail;
			}
		}
	}
	/* Age: the youngest of the oldest next record of each usage. */
	if (next_ok) {
		for (uint8_t u = 2; u <= 3; u++) {
			time_t oldest = 0;

			if (!required[u]) {
				continue;
			}
			for (size_t i = 0; i < rep->nrecords; i++) {
				const struct dk_rollover_record *rec =
					&rep->records[i];

				if (rec->next &&
				    dk_tlsa_usage(rec->tlsa) == u &&
				    (!oldest || rec->first_seen < oldest)) {
					oldest = rec->first_seen;
				}
			}
			if (oldest) {
				long age = (long)(now - oldest);

				if (age < 0) {
					age = 0;
				}
				if (rep->age < 0 || age < rep->age) {
					rep->age = age;
				}
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
	rep->live = live_is(opts->live, opts->current, opts->next);

	if (rep->live == DK_LIVE_OTHER &&
	    live_matches_ee(opts->live, rep) == 0) {
		rep->stage = DK_ROLLOVER_BROKEN;
		set_why(rep,
			"the live certificate is neither the current nor the "
			"next one, and no record at %s matches it: DANE "
			"clients fail now; publish its record at once, or "
			"deploy the current certificate again",
			rep->owner);
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
			set_why(rep, "the next %s is not published at %s yet%s",
				rep->need_next_ca && rep->nadd == 0
					? "issuer (usage 2)"
					: "key",
				rep->owner,
				rep->need_next_ca
					? " (a usage 2 record is needed: give "
					  "the "
					  "issuer of the next certificate)"
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
	} else if (rep->live == DK_LIVE_CURRENT && opts->current && !cur_any) {
		rep->stage = DK_ROLLOVER_BROKEN;
		set_why(rep,
			"the current certificate is live, but no record at "
			"%s matches it any more: DANE clients fail now",
			rep->owner);
	} else if (opts->current && !cur_any && rep->live != DK_LIVE_CURRENT) {
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
		rep->stage = DK_ROLLOVER_WAITING;
		set_why(rep,
			"published everywhere for %ld s, less than %ld s "
			"(twice the TTL of %u s, RFC 7671 section 8.1): "
			"wait %ld s more%s%s",
			rep->age, rep->min_age, rep->ttl,
			rep->min_age - rep->age, state_note ? "; " : "",
			state_note ? state_note : "");
	} else {
		rep->stage = DK_ROLLOVER_READY;
		set_why(rep,
			"the next key is published on every server for "
			"%ld s (at least %ld s): safe to deploy%s%s",
			rep->age, rep->min_age, state_note ? "; " : "",
			state_note ? state_note : "");
	}
	*ret_report = rep;
	return 0;
fail:
	dk_answer_free(a);
	dk_rollover_report_free(rep);
	return r;
}
