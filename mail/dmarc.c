/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DMARC: the policy record of the domain under RFC 7489 (organisational
 * domain by the public suffix list) and under RFC 9989 (the DNS tree
 * walk); where they differ, both verdicts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mail/internal.h"

#define R7489(s) "RFC 7489 section " s
#define R9989(s) "RFC 9989 section " s
#define MAX_WALK 8 /* RFC 9989 4.10: at most 8 queries */

static const char *const known_tags[] = {
	"v",	"p",  "sp", "np", "rua", "ruf", "adkim",
	"aspf", "fo", "ri", "rf", "pct", "t",	"psd",
};

/* One level of the walk: the name, its lookup, its only valid record. */
struct level {
	char *name; /* the domain (not _dmarc.) */
	const struct dkm_q *q;
	struct dkm_txt txt;
	size_t ncand;	 /* candidates (v=DMARC...) */
	size_t nvalid;	 /* valid records */
	const char *raw; /* the single candidate, or NULL */
	struct dkm_dmarc_record rec;
};

static size_t labels(const char *d)
{
	size_t n = 1;

	for (const char *p = d; *p; p++) {
		n += *p == '.';
	}
	return n;
}

/* Remove @k labels from the left. */
static const char *parent(const char *d, size_t k)
{
	while (k-- > 0 && d) {
		d = strchr(d, '.');
		if (d) {
			d++;
		}
	}
	return d;
}

/* Read level @lv: returns 0 when the lookup is not done yet. */
static int level_read(struct dkm_ctx *ctx, struct level *lv)
{
	char *n = NULL;

	if (asprintf(&n, "_dmarc.%s", lv->name) < 0) {
		ctx->oom = 1;
		return 0;
	}
	lv->q = dkm_get(ctx, n, LDNS_RR_TYPE_TXT);
	free(n);
	if (!lv->q) {
		return 0;
	}
	if (dkm_txt(lv->q, &lv->txt) < 0) {
		ctx->oom = 1;
		return 0;
	}
	for (size_t i = 0; i < lv->txt.n; i++) {
		if (dkm_dmarc_candidate(lv->txt.rec[i])) {
			lv->ncand++;
			lv->raw = lv->txt.rec[i];
		}
	}
	if (lv->ncand == 1) {
		if (dkm_dmarc_parse(lv->raw, &lv->rec) == DK_ENOMEM) {
			ctx->oom = 1;
		}
		lv->nvalid = lv->rec.valid ? 1 : 0;
	} else {
		lv->raw = NULL;
	}
	return 1;
}

static int has_valid_rua(const struct dkm_dmarc_record *r)
{
	const char *rua = dkm_dmarc_tag(r, "rua");

	return rua && strstr(rua, ":") != NULL;
}

/*
 * The policy of a record (RFC 7489 6.6.3): p, or sp for a subdomain when
 * @sub; an invalid or missing p acts as none with a valid rua, else no
 * processing (-1).
 */
static int policy_7489(const struct dkm_dmarc_record *r, int sub)
{
	if (sub && r->sp >= 0) {
		return r->sp;
	}
	if (r->p >= 0 && r->sp != -2) {
		return r->p;
	}
	return has_valid_rua(r) ? 0 : -1;
}

/* RFC 9989 4.10.1: p at the author domain; else np for a domain that
 * does not exist, sp, p. A missing p reads as none. */
static int policy_9989(const struct dkm_dmarc_record *r, int sub,
		       int nonexistent, const char **via)
{
	*via = "p";
	if (sub && nonexistent && r->np >= 0) {
		*via = "np";
		return r->np;
	}
	if (sub && r->sp >= 0) {
		*via = "sp";
		return r->sp;
	}
	return r->p >= 0 ? r->p : 0;
}

static void check_uris(struct dkm_ctx *ctx, const struct level *lv,
		       const char *policy_domain)
{
	static const char *const which[] = { "rua", "ruf" };
	char *org = dkm_org_domain(ctx, policy_domain);

	for (size_t w = 0; w < 2; w++) {
		const char *list = dkm_dmarc_tag(&lv->rec, which[w]);

		for (const char *p = list; p && *p;) {
			size_t n = strcspn(p, ",");
			char *uri = strndup(p, n), *bang, *host, *at;
			struct dk_mail_value *ev;

			p += n;
			if (*p) {
				p++;
			}
			if (!uri) {
				ctx->oom = 1;
				break;
			}
			{
				char *t = uri;

				while (*t == ' ' || *t == '\t') {
					t++;
				}
				memmove(uri, t, strlen(t) + 1);
				for (size_t k = strlen(uri);
				     k > 0 &&
				     (uri[k - 1] == ' ' || uri[k - 1] == '\t');
				     k--) {
					uri[k - 1] = '\0';
				}
			}
			bang = strrchr(uri, '!');
			if (bang && strncasecmp(uri, "mailto:", 7) == 0) {
				ev = dkm_ev(lv->q);
				dkm_set_str(ev, "uri", uri);
				dkm_finding(ctx, DK_MAIL_AREA_DMARC,
					    DK_MAIL_INFO,
					    "dmarc.uri_size_suffix", NULL, ev,
					    R9989("4.7"),
					    "'%s': the !size suffix is "
					    "obsolete",
					    uri);
				*bang = '\0';
			}
			if (strncasecmp(uri, "mailto:", 7) != 0) {
				ev = dkm_ev(lv->q);
				dkm_set_str(ev, "uri", uri);
				dkm_finding(ctx, DK_MAIL_AREA_DMARC,
					    DK_MAIL_WARNING,
					    "dmarc.rua_non_mailto", NULL, ev,
					    R7489("6.2"),
					    "report URI '%s' is not mailto: "
					    "(receivers send to mailto: only)",
					    uri);
				free(uri);
				continue;
			}
			at = strrchr(uri, '@');
			host = at ? dkm_name(at + 1) : NULL;
			if (host) {
				char *q = strchr(host, '?');
				char *horg;

				if (q) {
					*q = '\0';
				}
				horg = dkm_org_domain(ctx, host);
				if (horg && org && strcmp(horg, org) != 0) {
					/* RFC 7489 7.1: external destination */
					char *name = NULL;
					const struct dkm_q *rq;
					int ok = 0;

					if (asprintf(&name,
						     "%s._report._dmarc.%s",
						     policy_domain, host) < 0) {
						name = NULL;
					}
					rq = name ? dkm_get(ctx, name,
							    LDNS_RR_TYPE_TXT)
						  : NULL;
					if (rq) {
						struct dkm_txt t;

						if (dkm_txt(rq, &t) == 0) {
							for (size_t i = 0;
							     i < t.n; i++) {
								if (strncmp(t.rec[i],
									    "v="
									    "DM"
									    "AR"
									    "C"
									    "1",
									    8) ==
								    0) {
									ok = 1;
								}
							}
							dkm_txt_free(&t);
						}
						if (!ok) {
							ev = dkm_ev(rq);
							dkm_set_str(ev, "uri",
								    uri);
							dkm_set_str(ev,
								    "queried",
								    name);
							dkm_finding(
								ctx,
								DK_MAIL_AREA_DMARC,
								DK_MAIL_WARNING,
								"dmarc.rua_"
								"unauthorized",
								NULL, ev,
								R7489("7.1") ";"
									     " "
									     "R"
									     "F"
									     "C"
									     " "
									     "9"
									     "9"
									     "9"
									     "0",
								"%s does not "
								"authorise "
								"reports for "
								"%s (no "
								"v=DMARC1 at "
								"%s)",
								host,
								policy_domain,
								name);
						}
					}
					free(name);
				}
				free(horg);
			}
			free(host);
			free(uri);
		}
	}
	free(org);
}

void dkm_dmarc(struct dkm_ctx *ctx)
{
	struct level lv[MAX_WALK + 1];
	size_t nl = 0, nlab = labels(ctx->domain);
	struct dk_mail_value *rec = dkm_obj(), *walk = dkm_arr(), *ev;
	const struct dkm_q *own;
	struct dkm_txt owntxt;
	int ready = 1, nonexistent = 0;
	long f7 = -1, f9 = -1; /* index of the policy level */
	char *org7;
	const char *org9;
	int pol7 = -1, pol9 = -1;
	const char *via9 = "p";

	memset(lv, 0, sizeof(lv));
	dkm_set(ctx->records, "dmarc", rec);
	/* the walk's names: the domain, then (8+ labels) the 7 rightmost,
	 * then one label less at a time */
	lv[nl++].name = ctx->domain;
	for (size_t k = nlab >= 8 ? nlab - 7 : 1; k < nlab && nl <= MAX_WALK;
	     k++) {
		lv[nl++].name = (char *)parent(ctx->domain, k);
	}
	org7 = dkm_org_domain(ctx, ctx->domain);
	ctx->dmarc.org_psl = org7 ? strdup(org7) : NULL;
	for (size_t i = 0; i < nl; i++) {
		if (!level_read(ctx, &lv[i])) {
			ready = 0;
		}
	}
	/* (RFC 7489's organisational domain is on the walk: it is a
	 * suffix of the domain, unless the domain has 8 labels or more and
	 * the list names a suffix of 7 or more; then no record is taken) */
	own = dkm_get(ctx, ctx->domain, LDNS_RR_TYPE_TXT);
	if (!ready || !own) {
		goto out;
	}
	nonexistent = own->ans && dk_answer_nxdomain(own->ans);
	for (size_t i = 0; i < nl; i++) {
		struct dk_mail_value *w = dkm_obj(), *recs = dkm_arr();

		dkm_set_str(w, "name", lv[i].q->name);
		dkm_set_str(w, "dnssec", dkm_status(lv[i].q));
		dkm_set_str(w, "rcode", dkm_rcode(lv[i].q));
		for (size_t j = 0; j < lv[i].txt.n; j++) {
			if (dkm_dmarc_candidate(lv[i].txt.rec[j])) {
				dkm_push_str(recs, lv[i].txt.rec[j]);
			}
		}
		dkm_set(w, "records", recs);
		dkm_push(walk, w);
	}
	dkm_set(rec, "walk", walk);
	walk = NULL;
	if (dkm_failed(lv[0].q)) {
		ev = dkm_ev(lv[0].q);
		dkm_set_str(ev, "rcode", dkm_rcode(lv[0].q));
		dkm_finding(ctx, DK_MAIL_AREA_DMARC,
			    dkm_status_enum(lv[0].q) == DK_DNSSEC_BOGUS
				    ? DK_MAIL_ERROR
				    : DK_MAIL_WARNING,
			    "dmarc.temperror", NULL, ev, R7489("6.6.3"),
			    "the lookup of _dmarc.%s failed (%s)", ctx->domain,
			    dkm_rcode(lv[0].q));
		goto out;
	}
	/* a DMARC record at the domain itself */
	if (dkm_txt(own, &owntxt) == 0) {
		for (size_t i = 0; i < owntxt.n; i++) {
			if (dkm_dmarc_candidate(owntxt.rec[i])) {
				ev = dkm_ev(own);
				dkm_set_str(ev, "record", owntxt.rec[i]);
				dkm_finding(ctx, DK_MAIL_AREA_DMARC,
					    DK_MAIL_ERROR,
					    "dmarc.wrong_location", NULL, ev,
					    R7489("6.1"),
					    "a DMARC record at %s itself; it "
					    "belongs at _dmarc.%s",
					    ctx->domain, ctx->domain);
			}
		}
		dkm_txt_free(&owntxt);
	}
	/* the record at the domain: problems of its own */
	if (lv[0].ncand > 1) {
		ev = dkm_ev(lv[0].q);
		dkm_set(ev, "effective_policy", dkm_null());
		dkm_finding(ctx, DK_MAIL_AREA_DMARC, DK_MAIL_ERROR,
			    "dmarc.multiple_records", NULL, ev,
			    R7489("6.6.3") "; " R9989("4.10"),
			    "%zu DMARC records at _dmarc.%s: no DMARC "
			    "processing",
			    lv[0].ncand, ctx->domain);
		dkm_set_str(rec, "effective_policy", NULL);
		goto out;
	}
	/* RFC 7489: the domain's record, else the organisational domain's */
	if (lv[0].nvalid) {
		f7 = 0;
	} else if (lv[0].ncand == 0 && org7 && strcmp(org7, ctx->domain)) {
		for (size_t i = 1; i < nl; i++) {
			if (strcmp(lv[i].name, org7) == 0 && lv[i].nvalid) {
				f7 = (long)i;
			}
		}
	}
	/* RFC 9989: the first level with one valid record */
	if (lv[0].ncand == 0) {
		for (size_t i = 1; i < nl && f9 < 0; i++) {
			if (lv[i].nvalid == 1) {
				f9 = (long)i;
			}
		}
	} else if (lv[0].nvalid) {
		f9 = 0;
	}
	/* RFC 9989 4.10.2: the organisational domain of the walk */
	org9 = ctx->domain;
	{
		const char *fewest = NULL;

		for (size_t i = 0; i < nl; i++) {
			if (lv[i].nvalid != 1) {
				continue;
			}
			if (lv[i].rec.psd == 0) {
				fewest = lv[i].name;
				break;
			}
			if (lv[i].rec.psd == 1 && i > 0) {
				fewest = lv[i - 1].name;
				break;
			}
			fewest = lv[i].name;
		}
		if (fewest) {
			org9 = fewest;
		}
	}
	dkm_set_str(rec, "org_domain_rfc7489", org7);
	dkm_set_str(rec, "org_domain_rfc9989", org9);
	dkm_set_str(rec, "policy_domain_rfc7489", f7 >= 0 ? lv[f7].name : NULL);
	dkm_set_str(rec, "policy_domain_rfc9989", f9 >= 0 ? lv[f9].name : NULL);
	if (org7 && strcmp(org7, org9) != 0) {
		struct dk_mail_value *verdicts = dkm_obj();

		ev = dkm_ev(lv[0].q);
		dkm_set(verdicts, "rfc7489",
			dkm_strf("organisational domain %s (public suffix "
				 "list)",
				 org7));
		dkm_set(verdicts, "rfc9989",
			dkm_strf("organisational domain %s (DNS tree walk)",
				 org9));
		dkm_set(ev, "verdicts", verdicts);
		dkm_finding(ctx, DK_MAIL_AREA_DMARC, DK_MAIL_WARNING,
			    "dmarc.alignment_divergence", NULL, ev,
			    R9989("4.10.2"),
			    "the organisational domain of %s is %s by the "
			    "public suffix list but %s by the tree walk: "
			    "relaxed alignment differs between receivers",
			    ctx->domain, org7, org9);
	}
	if (lv[0].ncand == 1 && !lv[0].nvalid) {
		ev = dkm_ev(lv[0].q);
		dkm_set(ev, "effective_policy", dkm_null());
		dkm_set_str(ev, "record", lv[0].raw);
		dkm_finding(ctx, DK_MAIL_AREA_DMARC, DK_MAIL_ERROR,
			    lv[0].rec.bad_version ? "dmarc.bad_version"
						  : "dmarc.syntax",
			    NULL, ev, R7489("6.4"),
			    "the DMARC record of %s is discarded: %s",
			    ctx->domain, lv[0].rec.why);
	}
	if (f7 < 0 && f9 < 0) {
		if (lv[0].ncand == 0) {
			ev = dkm_ev(lv[0].q);
			dkm_finding(ctx, DK_MAIL_AREA_DMARC, DK_MAIL_ERROR,
				    "dmarc.missing", NULL, ev, R7489("6.6.3"),
				    "no DMARC record for %s (none at "
				    "_dmarc.%s, none inherited)",
				    ctx->domain, ctx->domain);
		}
		dkm_set_str(rec, "effective_policy", NULL);
		goto out;
	}
	if (f7 >= 0) {
		pol7 = policy_7489(&lv[f7].rec, f7 > 0);
		ctx->dmarc.found = 1;
		ctx->dmarc.p = pol7;
		ctx->dmarc.pct = lv[f7].rec.pct >= 0 ? lv[f7].rec.pct : 100;
	} else {
		ctx->dmarc.p = -1;
	}
	if (f9 >= 0) {
		pol9 = policy_9989(&lv[f9].rec, f9 > 0, nonexistent, &via9);
	}
	dkm_set_str(rec, "effective_policy", dkm_dmarc_policy_name(pol7));
	dkm_set_str(rec, "effective_policy_rfc9989",
		    dkm_dmarc_policy_name(pol9));
	{
		/* the record in force: RFC 7489's, else RFC 9989's */
		const struct level *L = f7 >= 0 ? &lv[f7] : &lv[f9];
		const struct dkm_dmarc_record *r = &L->rec;
		struct dk_mail_value *verdicts;

		dkm_set_str(rec, "record", L->raw);
		dkm_set_str(rec, "dnssec", dkm_status(L->q));
		if (L != &lv[0] || (f9 >= 0 && f9 != f7)) {
			ev = dkm_ev(L->q);
			dkm_set_str(ev, "policy_domain", L->name);
			dkm_set_str(
				ev, "effective_policy",
				dkm_dmarc_policy_name(f7 >= 0 ? pol7 : pol9));
			dkm_set_str(ev, "via",
				    f7 > 0 ? (lv[f7].rec.sp >= 0 ? "sp" : "p")
					   : via9);
			verdicts = dkm_obj();
			dkm_set(verdicts, "rfc7489",
				f7 >= 0 ? dkm_strf(
						  "%s from %s",
						  dkm_dmarc_policy_name(pol7)
							  ? dkm_dmarc_policy_name(
								    pol7)
							  : "no processing",
						  lv[f7].name)
					: dkm_str("no DMARC record applies"));
			dkm_set(verdicts, "rfc9989",
				f9 >= 0 ? dkm_strf("%s from %s (%s)",
						   dkm_dmarc_policy_name(pol9),
						   lv[f9].name, via9)
					: dkm_str("no DMARC record applies"));
			dkm_set(ev, "verdicts", verdicts);
			dkm_finding(ctx, DK_MAIL_AREA_DMARC, DK_MAIL_INFO,
				    "dmarc.inherited", NULL, ev,
				    R7489("6.6.3") "; " R9989("4.10"),
				    "%s has no record of its own; RFC 7489 "
				    "takes the policy of %s, RFC 9989 that of "
				    "%s",
				    ctx->domain,
				    f7 >= 0 ? lv[f7].name : "(none)",
				    f9 >= 0 ? lv[f9].name : "(none)");
		}
		if (r->p == -2) {
			ev = dkm_ev(L->q);
			dkm_set_str(ev, "effective_policy",
				    dkm_dmarc_policy_name(pol7));
			dkm_finding(ctx, DK_MAIL_AREA_DMARC, DK_MAIL_ERROR,
				    "dmarc.p_invalid", NULL, ev,
				    R7489("6.6.3") "; " R9989("4.10.1"),
				    "p=%s is not none, quarantine or reject%s",
				    dkm_dmarc_tag(r, "p"),
				    has_valid_rua(r) ? ": acts as none"
						     : ": no DMARC processing");
		} else if (r->p == -1) {
			int rua = has_valid_rua(r);

			ev = dkm_ev(L->q);
			dkm_set_str(ev, "effective_policy",
				    dkm_dmarc_policy_name(pol7));
			verdicts = dkm_obj();
			dkm_set_str(verdicts, "rfc7489",
				    rua ? "none" : "no DMARC processing");
			dkm_set_str(verdicts, "rfc9989", "none");
			dkm_set(ev, "verdicts", verdicts);
			dkm_finding(ctx, DK_MAIL_AREA_DMARC,
				    rua ? DK_MAIL_WARNING : DK_MAIL_ERROR,
				    "dmarc.p_missing", NULL, ev,
				    R7489("6.6.3") "; " R9989("4.7"),
				    "no p= tag in the DMARC record of %s%s",
				    L->name,
				    rua ? ": acts as none"
					: ": RFC 7489 applies no DMARC "
					  "processing");
		}
		if (pol7 == 0 || (f7 < 0 && pol9 == 0)) {
			ev = dkm_ev(L->q);
			dkm_set_str(ev, "effective_policy", "none");
			dkm_finding(ctx, DK_MAIL_AREA_DMARC, DK_MAIL_WARNING,
				    "dmarc.monitoring_only", NULL, ev,
				    R9989("3.2.12"),
				    "the DMARC policy of %s is none: "
				    "monitoring only, no protection",
				    ctx->domain);
		}
		if (r->t == 1) {
			int low = pol9 > 0 ? pol9 - 1 : pol9;

			ev = dkm_ev(L->q);
			dkm_set_str(ev, "effective_policy_rfc9989",
				    dkm_dmarc_policy_name(low));
			dkm_finding(ctx, DK_MAIL_AREA_DMARC, DK_MAIL_WARNING,
				    "dmarc.testing_mode", NULL, ev,
				    R9989("4.7"),
				    "t=y: RFC 9989 receivers apply the policy "
				    "one level lower (%s)",
				    dkm_dmarc_policy_name(low)
					    ? dkm_dmarc_policy_name(low)
					    : "none");
		}
		if (dkm_dmarc_tag(r, "pct")) {
			ev = dkm_ev(L->q);
			verdicts = dkm_obj();
			dkm_set(verdicts, "rfc7489",
				dkm_strf("policy applied to %s%% of failing "
					 "mail",
					 dkm_dmarc_tag(r, "pct")));
			dkm_set_str(verdicts, "rfc9989", "pct ignored");
			dkm_set(ev, "verdicts", verdicts);
			dkm_set_str(ev, "pct", dkm_dmarc_tag(r, "pct"));
			dkm_finding(ctx, DK_MAIL_AREA_DMARC, DK_MAIL_WARNING,
				    "dmarc.pct_obsolete", NULL, ev,
				    R7489("6.6.4") "; RFC 9989 appendix A.6",
				    "pct=%s: sampling under RFC 7489, ignored "
				    "under RFC 9989",
				    dkm_dmarc_tag(r, "pct"));
		}
		if (r->p >= 1 && (r->sp == 0 || r->np == 0)) {
			int npe = r->np >= 0   ? r->np
				  : r->sp >= 0 ? r->sp
					       : r->p;

			ev = dkm_ev(L->q);
			dkm_set_str(ev, "sp",
				    r->sp >= 0 ? dkm_dmarc_policy_name(r->sp)
					       : NULL);
			dkm_set_str(ev, "np_effective",
				    dkm_dmarc_policy_name(npe));
			dkm_finding(ctx, DK_MAIL_AREA_DMARC, DK_MAIL_WARNING,
				    "dmarc.subdomain_policy_weaker", NULL, ev,
				    R9989("4.7"),
				    "p=%s but subdomains get none (sp=%s, "
				    "np=%s)",
				    dkm_dmarc_policy_name(r->p),
				    dkm_dmarc_tag(r, "sp")
					    ? dkm_dmarc_tag(r, "sp")
					    : "-",
				    dkm_dmarc_policy_name(npe));
		}
		for (size_t i = 0; i < r->n; i++) {
			int known = 0;

			for (size_t k = 0;
			     k < sizeof(known_tags) / sizeof(known_tags[0]);
			     k++) {
				if (strcasecmp(r->tags[i].name,
					       known_tags[k]) == 0) {
					known = 1;
				}
			}
			if (!known) {
				ev = dkm_ev(L->q);
				dkm_set_str(ev, "tag", r->tags[i].name);
				dkm_finding(ctx, DK_MAIL_AREA_DMARC,
					    DK_MAIL_INFO, "dmarc.unknown_tag",
					    NULL, ev, R9989("4.7"),
					    "unknown tag '%s' (ignored)",
					    r->tags[i].name);
			}
		}
		check_uris(ctx, L, L->name);
	}
out:
	dkm_value_free(walk);
	for (size_t i = 0; i < nl; i++) {
		dkm_txt_free(&lv[i].txt);
		dkm_dmarc_record_free(&lv[i].rec);
	}
	free(org7);
}
