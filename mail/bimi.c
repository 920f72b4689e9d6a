/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * BIMI assertion record (draft-brand-indicators-for-message-
 * identification): <selector>._bimi.<domain>, else at the organisational
 * domain; and the DMARC policy it needs. Unless --no-connect, the files it
 * points at are fetched (https.c: the MTA-STS client's rules): the logo
 * (l=) must be an SVG whose root declares baseProfile="tiny-ps", the
 * evidence document (a=) must hold a PEM certificate whose names include
 * the domain. No trademark logic, no certificate path.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "mail/internal.h"

#define DRAFT "draft-brand-indicators-for-message-identification"
#define REF(s) DRAFT ", \"" s "\""

/* What is read of a BIMI file: enough for any logo or certificate. */
#define BIMI_CAP (1024 * 1024)

static struct dk_mail_value *fetch_ev(const struct dkm_q *q,
				      const struct dkm_fetch *f)
{
	struct dk_mail_value *ev = dkm_ev(q);

	dkm_set_str(ev, "uri", f->url);
	dkm_set(ev, "http_status",
		f->http_status ? dkm_int(f->http_status) : dkm_null());
	dkm_set_str(ev, "error", f->curl_code ? f->error : NULL);
	return ev;
}

/* 1 when @f is a complete 200 answer; else a @code finding. */
static int fetched(struct dkm_ctx *ctx, const struct dkm_q *q,
		   const struct dkm_fetch *f, const char *subject,
		   const char *code, const char *what)
{
	if (!f->curl_code && f->http_status == 200 && !f->too_large) {
		return 1;
	}
	dkm_finding(ctx, DK_MAIL_AREA_BIMI, DK_MAIL_ERROR, code, subject,
		    fetch_ev(q, f), REF("Assertion Record Definition"),
		    "the %s %s could not be fetched: %s", what, f->url,
		    f->curl_code   ? f->error
		    : f->too_large ? "over 1 MiB"
		    : f->http_status >= 300 && f->http_status < 400
			    ? "a redirect (not followed)"
			    : "the server did not answer 200");
	return 0;
}

/* The logo (l=): fetched, an SVG whose profile is SVG Tiny PS. */
static void logo(struct dkm_ctx *ctx, const struct dkm_q *q,
		 const struct dkm_fetch *f, const char *subject,
		 struct dk_mail_value *rec)
{
	struct dkm_svg svg;
	struct dk_mail_value *ev;

	dkm_set(rec, "logo", dkm_fetch_value(f));
	if (!fetched(ctx, q, f, subject, "bimi.logo_fetch_failed", "logo")) {
		return;
	}
	ev = fetch_ev(q, f);
	if (dkm_svg_check(f->body, f->len, &svg) < 0) {
		dkm_set_str(ev, "why", svg.why);
		dkm_finding(ctx, DK_MAIL_AREA_BIMI, DK_MAIL_ERROR,
			    "bimi.logo_not_svg", subject, ev,
			    REF("SVG Tiny PS"), "the logo %s is not an SVG: %s",
			    f->url, svg.why);
		return;
	}
	dkm_set(ev, "base_profile",
		svg.has_base_profile ? dkm_str(svg.base_profile) : dkm_null());
	dkm_set_str(ev, "content_type", f->content_type);
	if (!svg.tiny_ps) {
		dkm_finding(ctx, DK_MAIL_AREA_BIMI, DK_MAIL_ERROR,
			    "bimi.logo_not_tiny_ps", subject, ev,
			    REF("SVG Tiny PS"),
			    "the logo %s is not SVG Tiny PS (baseProfile %s, "
			    "not \"tiny-ps\")",
			    f->url,
			    svg.has_base_profile ? svg.base_profile
						 : "missing");
		return;
	}
	dkm_finding(ctx, DK_MAIL_AREA_BIMI, DK_MAIL_INFO, "bimi.logo_ok",
		    subject, ev, REF("SVG Tiny PS"),
		    "the logo %s is fetched and declares SVG Tiny PS", f->url);
}

/* The evidence document (a=): PEM certificates, one naming @domain. */
static void evidence(struct dkm_ctx *ctx, const struct dkm_q *q,
		     const struct dkm_fetch *f, const char *subject,
		     struct dk_mail_value *rec)
{
	struct dk_mail_value *ev, *names;
	BIO *bio;
	X509 *x;
	size_t ncerts = 0;
	int named = 0;

	dkm_set(rec, "evidence", dkm_fetch_value(f));
	if (!fetched(ctx, q, f, subject, "bimi.evidence_fetch_failed",
		     "evidence document")) {
		return;
	}
	names = dkm_arr();
	bio = BIO_new_mem_buf(f->body, (int)f->len);
	while (bio && (x = PEM_read_bio_X509(bio, NULL, NULL, NULL))) {
		GENERAL_NAMES *gens =
			X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);

		ncerts++;
		for (int i = 0; i < sk_GENERAL_NAME_num(gens); i++) {
			const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
			const unsigned char *d;
			int len;

			if (g->type != GEN_DNS) {
				continue;
			}
			d = ASN1_STRING_get0_data(g->d.dNSName);
			len = ASN1_STRING_length(g->d.dNSName);
			dkm_push(names, dkm_strn((const char *)d, (size_t)len));
		}
		GENERAL_NAMES_free(gens);
		if (X509_check_host(x, ctx->domain, 0,
				    X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS,
				    NULL) == 1) {
			named = 1;
		}
		X509_free(x);
	}
	BIO_free(bio);
	ERR_clear_error();
	ev = fetch_ev(q, f);
	dkm_set_int(ev, "certificates", (int64_t)ncerts);
	dkm_set(ev, "names", names);
	if (ncerts == 0) {
		dkm_finding(ctx, DK_MAIL_AREA_BIMI, DK_MAIL_ERROR,
			    "bimi.evidence_no_certificate", subject, ev,
			    REF("Assertion Record Definition"),
			    "the evidence document %s holds no PEM certificate",
			    f->url);
	} else if (!named) {
		dkm_finding(ctx, DK_MAIL_AREA_BIMI, DK_MAIL_ERROR,
			    "bimi.evidence_name_mismatch", subject, ev,
			    REF("Assertion Record Definition"),
			    "no certificate of %s names %s", f->url,
			    ctx->domain);
	} else {
		dkm_finding(ctx, DK_MAIL_AREA_BIMI, DK_MAIL_INFO,
			    "bimi.evidence_ok", subject, ev,
			    REF("Assertion Record Definition"),
			    "the evidence document %s holds a certificate "
			    "for %s (its issuer and marks are not judged)",
			    f->url, ctx->domain);
	}
}

/* The files of a valid, published record (unless --no-connect). */
static void files(struct dkm_ctx *ctx, const struct dkm_q *q,
		  const struct dkm_bimi_record *b, const char *subject,
		  struct dk_mail_value *rec)
{
	const char *l = dkm_taglist_get(&b->tags, "l");
	const char *a = dkm_taglist_get(&b->tags, "a");
	const struct dkm_fetch *fl = NULL, *fa = NULL;

	if (ctx->opts->no_connect) {
		return;
	}
	if (l && *l && !b->l_not_https && !b->l_multiple) {
		fl = dkm_fetch(ctx, l, BIMI_CAP);
	}
	if (a && *a && strncasecmp(a, "https://", 8) == 0) {
		fa = dkm_fetch(ctx, a, BIMI_CAP);
	} else if (a && *a) {
		struct dk_mail_value *ev = dkm_ev(q);

		dkm_set_str(ev, "uri", a);
		dkm_finding(ctx, DK_MAIL_AREA_BIMI, DK_MAIL_ERROR,
			    "bimi.evidence_not_https", subject, ev,
			    REF("Assertion Record Definition"),
			    "a=%s is not an HTTPS URI", a);
	}
	if (fl) {
		logo(ctx, q, fl, subject, rec);
	}
	if (fa) {
		evidence(ctx, q, fa, subject, rec);
	}
}

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
		files(ctx, used, &b, subject, rec);
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
