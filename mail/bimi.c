/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * BIMI assertion record (draft-brand-indicators-for-message-
 * identification): <selector>._bimi.<domain>, else at the organisational
 * domain; and the DMARC policy it needs. The files it points at are
 * fetched by the checks that connect (not this version).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mail/internal.h"

#define DRAFT "draft-brand-indicators-for-message-identification"
#define REF(s) DRAFT ", \"" s "\""

/* The BIMI candidates of @q (v=BIMI1, case-insensitive), into @t. */
static size_t candidates(const struct dkm_q *q, struct dkm_txt *t,
			 const char **one)
{
	size_t n = 0;

	*one = NULL;
	if (dkm_txt(q, t) < 0) {
		return 0;
	}
	for (size_t i = 0; i < t->n; i++) {
		if (strncasecmp(t->rec[i], "v=BIMI1", 7) == 0) {
			n++;
			*one = t->rec[i];
		}
	}
	return n;
}

void dkm_bimi(struct dkm_ctx *ctx)
{
	const char *sel =
		ctx->opts->bimi_selector ? ctx->opts->bimi_selector : "default";
	struct dk_mail_value *rec = dkm_obj(), *ev;
	char *name = NULL, *oname = NULL, *org;
	const struct dkm_q *q, *oq = NULL, *used;
	struct dkm_txt t = { 0 }, ot = { 0 };
	struct dkm_bimi_record b;
	const char *raw = NULL, *subject;
	size_t n;

	dkm_set(ctx->records, "bimi", rec);
	org = dkm_org_domain(ctx, ctx->domain);
	if (asprintf(&name, "%s._bimi.%s", sel, ctx->domain) < 0 || !org ||
	    asprintf(&oname, "%s._bimi.%s", sel, org) < 0) {
		ctx->oom = 1;
		free(org);
		return;
	}
	dkm_set_str(rec, "name", name);
	q = dkm_get(ctx, name, LDNS_RR_TYPE_TXT);
	if (!q) {
		goto out;
	}
	dkm_set_str(rec, "dnssec", dkm_status(q));
	used = q;
	subject = name;
	if (dkm_failed(q)) {
		ev = dkm_ev(q);
		dkm_set_str(ev, "rcode", dkm_rcode(q));
		dkm_finding(ctx, DK_MAIL_AREA_BIMI, DK_MAIL_WARNING,
			    "bimi.temperror", name, ev, REF("Assertion Record"),
			    "the lookup of %s failed (%s)", name, dkm_rcode(q));
		goto out;
	}
	n = candidates(q, &t, &raw);
	if (n == 0 && strcmp(org, ctx->domain) != 0) {
		/* the draft: fall back to the organisational domain */
		oq = dkm_get(ctx, oname, LDNS_RR_TYPE_TXT);
		if (!oq) {
			goto out;
		}
		if (!dkm_failed(oq)) {
			n = candidates(oq, &ot, &raw);
			if (n) {
				used = oq;
				subject = oname;
				dkm_set_str(rec, "found_at", oname);
			}
		}
	}
	if (n == 0) {
		dkm_finding(ctx, DK_MAIL_AREA_BIMI, DK_MAIL_INFO, "bimi.none",
			    name, dkm_ev(q), REF("Assertion Record Discovery"),
			    "no BIMI record for selector %s", sel);
		goto out;
	}
	dkm_set_str(rec, "record", n == 1 ? raw : NULL);
	if (n > 1) {
		ev = dkm_ev(used);
		dkm_set_int(ev, "records", (int64_t)n);
		dkm_finding(ctx, DK_MAIL_AREA_BIMI, DK_MAIL_ERROR,
			    "bimi.syntax", subject, ev,
			    REF("Assertion Record Definition"),
			    "%zu BIMI records at %s: none is used", n, subject);
		goto out;
	}
	if (dkm_bimi_parse(raw, &b) == DK_ENOMEM) {
		ctx->oom = 1;
		goto out;
	}
	if (!b.valid) {
		ev = dkm_ev(used);
		dkm_set_str(ev, "record", raw);
		dkm_finding(ctx, DK_MAIL_AREA_BIMI, DK_MAIL_ERROR,
			    "bimi.syntax", subject, ev,
			    REF("Assertion Record Definition"),
			    "malformed BIMI record at %s: %s", subject, b.why);
	} else if (b.declined) {
		dkm_finding(ctx, DK_MAIL_AREA_BIMI, DK_MAIL_INFO,
			    "bimi.declined", subject, dkm_ev(used),
			    REF("Declination to Publish"),
			    "the domain declines to publish a BIMI logo");
	} else {
		if (b.l_missing) {
			dkm_finding(ctx, DK_MAIL_AREA_BIMI, DK_MAIL_ERROR,
				    "bimi.location_missing", subject,
				    dkm_ev(used),
				    REF("Assertion Record Definition"),
				    "no l= tag in the BIMI record");
		}
		if (b.l_multiple) {
			ev = dkm_ev(used);
			dkm_set_str(ev, "uri", dkm_taglist_get(&b.tags, "l"));
			dkm_finding(ctx, DK_MAIL_AREA_BIMI, DK_MAIL_ERROR,
				    "bimi.location_multiple", subject, ev,
				    REF("Assertion Record Definition"),
				    "l= holds more than one URI");
		}
		if (b.l_not_https) {
			ev = dkm_ev(used);
			dkm_set_str(ev, "uri", dkm_taglist_get(&b.tags, "l"));
			dkm_finding(ctx, DK_MAIL_AREA_BIMI, DK_MAIL_ERROR,
				    "bimi.location_not_https", subject, ev,
				    REF("Assertion Record Definition"),
				    "l=%s is not an HTTPS URI",
				    dkm_taglist_get(&b.tags, "l"));
		}
		/* DMARC at enforcement (the policy in force, sp included) */
		if (ctx->dmarc.p <= 0) {
			ev = dkm_ev(used);
			dkm_set_str(ev, "effective_policy",
				    dkm_dmarc_policy_name(ctx->dmarc.p));
			dkm_finding(ctx, DK_MAIL_AREA_BIMI, DK_MAIL_ERROR,
				    "bimi.dmarc_not_enforcing", subject, ev,
				    REF("Authentication Requirements"),
				    "the DMARC policy in force for %s is %s: "
				    "no BIMI logo is shown",
				    ctx->domain,
				    ctx->dmarc.p == 0 ? "none" : "missing");
		} else if (ctx->dmarc.p == 1 && ctx->dmarc.pct < 100) {
			ev = dkm_ev(used);
			dkm_set_int(ev, "pct", ctx->dmarc.pct);
			dkm_finding(ctx, DK_MAIL_AREA_BIMI, DK_MAIL_ERROR,
				    "bimi.dmarc_pct_not_100", subject, ev,
				    REF("Authentication Requirements"),
				    "DMARC quarantine with pct=%d: BIMI needs "
				    "100",
				    ctx->dmarc.pct);
		}
	}
	dkm_bimi_record_free(&b);
out:
	dkm_txt_free(&t);
	dkm_txt_free(&ot);
	free(name);
	free(oname);
	free(org);
}
