/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * MTA-STS (RFC 8461): the TXT record at _mta-sts.<domain>, the policy at
 * https://mta-sts.<domain>/.well-known/mta-sts.txt (https.c fetches it),
 * the MX hosts against its patterns and, where the policy is in force,
 * their certificates as a sending MTA validates them (smtp.c). TLS-RPT
 * (RFC 8460): the record at _smtp._tls.<domain> and the draft-era name.
 * The --allow-private networks (mx.c).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mail/internal.h"

#define R8461 "RFC 8461 section "
#define R8460 "RFC 8460 section "
/* RFC 8461 section 3.3: a limit senders may impose on the body. */
#define STS_CAP 65536
#define STS_MAX_AGE 31557600
#define DAY 86400

int dkm_parse_cidr(const char *s, uint8_t net[16], unsigned *len)
{
	char buf[64], *slash;
	unsigned char b[16];
	unsigned max;

	if (!s || strlen(s) >= sizeof(buf)) {
		return DK_EINVAL;
	}
	snprintf(buf, sizeof(buf), "%s", s);
	slash = strchr(buf, '/');
	if (slash) {
		*slash = '\0';
	}
	memset(net, 0, 16);
	if (inet_pton(AF_INET, buf, b) == 1) {
		net[10] = net[11] = 0xff;
		memcpy(net + 12, b, 4);
		max = 32;
	} else if (inet_pton(AF_INET6, buf, b) == 1) {
		memcpy(net, b, 16);
		max = 128;
	} else {
		return DK_EINVAL;
	}
	*len = 128;
	if (slash) {
		char *end;
		unsigned long l = strtoul(slash + 1, &end, 10);

		if (!slash[1] || *end || l > max) {
			return DK_EINVAL;
		}
		*len = (unsigned)l + (128 - max);
	}
	return 0;
}

int dkm_allowed_private(const struct dk_mail_opts *o, const char *ip)
{
	uint8_t a[16], n[16];
	unsigned al, nl;

	if (dkm_parse_cidr(ip, a, &al) < 0) {
		return 0;
	}
	for (size_t i = 0; i < o->nallow_private; i++) {
		unsigned bits;
		size_t k;

		if (!o->allow_private ||
		    dkm_parse_cidr(o->allow_private[i], n, &nl) < 0) {
			continue;
		}
		bits = nl;
		for (k = 0; k < 16 && bits >= 8; k++, bits -= 8) {
			if (a[k] != n[k]) {
				break;
			}
		}
		if (k < 16 && bits >= 8) {
			continue;
		}
		if (k == 16 || bits == 0 ||
		    ((a[k] ^ n[k]) & (uint8_t)(0xff << (8 - bits))) == 0) {
			return 1;
		}
	}
	return 0;
}

/* --- MTA-STS ---------------------------------------------------------------
 */

static void sts_reset(struct dkm_sts_state *s)
{
	for (size_t i = 0; i < s->nmx; i++) {
		free(s->mx[i]);
	}
	free(s->mx);
	memset(s, 0, sizeof(*s));
	s->mode = -1;
}

/* The MX exchanges of the domain (no null MX), or -1 while not known. */
static long mx_hosts(struct dkm_ctx *ctx, char ***ret)
{
	const struct dkm_q *q = dkm_get(ctx, ctx->domain, LDNS_RR_TYPE_MX);
	const ldns_rr_list *rrs;
	char **v = NULL;
	size_t n = 0;

	*ret = NULL;
	if (!q) {
		return -1;
	}
	if (!dkm_has_data(q)) {
		return 0;
	}
	rrs = dki_answer_get0_rrset(q->ans);
	for (size_t i = 0; i < ldns_rr_list_rr_count(rrs); i++) {
		char *ex =
			ldns_rdf2str(ldns_rr_rdf(ldns_rr_list_rr(rrs, i), 1));
		char *nn = ex && strcmp(ex, ".") ? dkm_name(ex) : NULL;
		char **nv;

		free(ex);
		if (!nn) {
			continue;
		}
		nv = realloc(v, (n + 1) * sizeof(*nv));
		if (!nv) {
			free(nn);
			ctx->oom = 1;
			break;
		}
		v = nv;
		v[n++] = nn;
	}
	*ret = v;
	return (long)n;
}

static void free_strs(char **v, long n)
{
	for (long i = 0; i < n; i++) {
		free(v[i]);
	}
	free(v);
}

/* Is the media type text/plain (parameters allowed, RFC 8461 3.2)? */
static int text_plain(const char *ct)
{
	size_t n;

	if (!ct) {
		return 0;
	}
	while (*ct == ' ' || *ct == '\t') {
		ct++;
	}
	n = strcspn(ct, "; \t");
	return n == 10 && strncasecmp(ct, "text/plain", 10) == 0;
}

/* Evidence of a policy finding: the DNSSEC state of the TXT record that
 * announced the policy, the URL and the HTTP status. */
static struct dk_mail_value *fetch_ev(const struct dkm_q *q,
				      const struct dkm_fetch *f)
{
	struct dk_mail_value *ev = dkm_ev(q);

	dkm_set_str(ev, "url", f->url);
	dkm_set(ev, "http_status",
		f->http_status ? dkm_int(f->http_status) : dkm_null());
	return ev;
}

/* The policy checks; 1 when senders use the policy. */
static int policy(struct dkm_ctx *ctx, const struct dkm_q *q,
		  const struct dkm_fetch *f, struct dk_mail_value *rec)
{
	struct dkm_sts_policy p;
	struct dk_mail_value *ev;
	int r;

	if (f->cert_failed) {
		ev = fetch_ev(q, f);
		dkm_set(ev, "reason", dkm_cert_reasons(f->cert_reasons));
		dkm_set_str(ev, "certificate_subject", f->cert_subject);
		dkm_set_str(ev, "error", f->error);
		dkm_finding(ctx, DK_MAIL_AREA_MTA_STS, DK_MAIL_ERROR,
			    "mta_sts.policy_host_cert", NULL, ev, R8461 "3.3",
			    "the certificate of the policy host is not valid "
			    "for mta-sts.%s: %s",
			    ctx->domain, f->error);
		return 0;
	}
	if (f->curl_code || !f->http_status ||
	    (f->http_status != 200 &&
	     (f->http_status < 300 || f->http_status > 399))) {
		ev = fetch_ev(q, f);
		dkm_set_str(ev, "error", f->curl_code ? f->error : NULL);
		dkm_finding(ctx, DK_MAIL_AREA_MTA_STS, DK_MAIL_ERROR,
			    "mta_sts.policy_fetch_failed", NULL, ev,
			    R8461 "3.3",
			    "the policy %s could not be fetched: %s", f->url,
			    f->curl_code     ? f->error
			    : f->http_status ? "the server did not answer 200"
					     : "no HTTP answer");
		return 0;
	}
	if (f->http_status != 200) {
		ev = fetch_ev(q, f);
		dkm_set_str(ev, "location", f->location);
		dkm_finding(ctx, DK_MAIL_AREA_MTA_STS, DK_MAIL_ERROR,
			    "mta_sts.policy_redirect", NULL, ev, R8461 "3.3",
			    "the policy URL answers %ld (a redirect to %s): "
			    "senders must not follow it",
			    f->http_status, f->location ? f->location : "?");
		return 0;
	}
	if (!text_plain(f->content_type)) {
		ev = fetch_ev(q, f);
		dkm_set_str(ev, "content_type", f->content_type);
		dkm_finding(ctx, DK_MAIL_AREA_MTA_STS, DK_MAIL_WARNING,
			    "mta_sts.content_type", NULL, ev, R8461 "3.2",
			    "the policy is served as %s, not text/plain",
			    f->content_type ? f->content_type : "(no type)");
	}
	if (f->too_large) {
		ev = fetch_ev(q, f);
		dkm_set_int(ev, "limit", STS_CAP);
		dkm_finding(ctx, DK_MAIL_AREA_MTA_STS, DK_MAIL_WARNING,
			    "mta_sts.policy_too_large", NULL, ev, R8461 "3.3",
			    "the policy body is over 64 KiB: senders may "
			    "refuse it");
		return 0;
	}
	dkm_set(rec, "policy", dkm_strn((const char *)f->body, f->len));
	r = dkm_sts_policy_parse((const char *)f->body, f->len, &p);
	if (r == DK_ENOMEM) {
		ctx->oom = 1;
		dkm_sts_policy_free(&p);
		return 0;
	}
	if (!p.syntax_ok) {
		ev = fetch_ev(q, f);
		dkm_set_str(ev, "field", p.field);
		dkm_set_int(ev, "line", (int64_t)p.line);
		dkm_finding(ctx, DK_MAIL_AREA_MTA_STS, DK_MAIL_ERROR,
			    "mta_sts.policy_syntax", NULL, ev, R8461 "3.2",
			    "the policy is invalid: %s", p.why);
		dkm_sts_policy_free(&p);
		return 0;
	}
	if ((p.ncrlf && p.nlf) || p.blank_lines) {
		ev = fetch_ev(q, f);
		dkm_set_int(ev, "crlf", (int64_t)p.ncrlf);
		dkm_set_int(ev, "lf", (int64_t)p.nlf);
		dkm_set_int(ev, "blank_lines", (int64_t)p.blank_lines);
		dkm_finding(ctx, DK_MAIL_AREA_MTA_STS, DK_MAIL_WARNING,
			    "mta_sts.line_endings", NULL, ev, R8461 "3.2",
			    "the policy %s: strict parsers reject it",
			    p.blank_lines ? "has empty lines"
					  : "mixes CRLF and LF line endings");
	}
	for (size_t i = 0; i < p.ndups; i++) {
		ev = fetch_ev(q, f);
		dkm_set_str(ev, "field", p.dups[i]);
		dkm_finding(ctx, DK_MAIL_AREA_MTA_STS, DK_MAIL_WARNING,
			    "mta_sts.duplicate_field", NULL, ev, R8461 "3.2",
			    "the policy gives %s more than once: the first "
			    "one wins",
			    p.dups[i]);
	}
	if (p.no_mx) {
		dkm_finding(ctx, DK_MAIL_AREA_MTA_STS, DK_MAIL_ERROR,
			    "mta_sts.no_mx", NULL, fetch_ev(q, f), R8461 "3.2",
			    "the policy (mode %s) has no mx line",
			    p.mode == DKM_STS_ENFORCE ? "enforce" : "testing");
	}
	for (size_t i = 0; i < p.nmx; i++) {
		unsigned fl = p.mx_flags[i];
		char **nv;

		ev = fetch_ev(q, f);
		dkm_set_str(ev, "pattern", p.mx[i]);
		if (fl & DKM_MX_INVALID) {
			dkm_finding(ctx, DK_MAIL_AREA_MTA_STS, DK_MAIL_ERROR,
				    "mta_sts.mx_pattern_invalid", NULL, ev,
				    R8461 "3.2",
				    "mx: %s is not a domain name or *. and one",
				    p.mx[i]);
			continue;
		}
		if (fl & DKM_MX_TRAILING_DOT) {
			dkm_finding(ctx, DK_MAIL_AREA_MTA_STS, DK_MAIL_WARNING,
				    "mta_sts.mx_pattern_trailing_dot", NULL,
				    dkm_value_dup(ev), R8461 "3.2",
				    "mx: %s ends with a dot (not in the "
				    "grammar)",
				    p.mx[i]);
		}
		if (fl & DKM_MX_WILDCARD) {
			dkm_finding(ctx, DK_MAIL_AREA_MTA_STS, DK_MAIL_INFO,
				    "mta_sts.mx_wildcard_broad", NULL,
				    dkm_value_dup(ev), R8461 "10.2",
				    "mx: %s lets any host one label under it "
				    "receive the mail",
				    p.mx[i]);
		}
		dkm_value_free(ev);
		nv = realloc(ctx->sts.mx, (ctx->sts.nmx + 1) * sizeof(*nv));
		if (!nv || !(nv[ctx->sts.nmx] = strdup(p.mx[i]))) {
			if (nv) {
				ctx->sts.mx = nv;
			}
			ctx->oom = 1;
			break;
		}
		ctx->sts.mx = nv;
		ctx->sts.nmx++;
	}
	if (p.max_age > STS_MAX_AGE) {
		ev = fetch_ev(q, f);
		dkm_set_int(ev, "seconds", p.max_age);
		dkm_finding(ctx, DK_MAIL_AREA_MTA_STS, DK_MAIL_ERROR,
			    "mta_sts.max_age_too_large", NULL, ev, R8461 "3.2",
			    "max_age %lld is above 31557600 (one year)",
			    (long long)p.max_age);
	} else if (p.max_age < DAY) {
		ev = fetch_ev(q, f);
		dkm_set_int(ev, "seconds", p.max_age);
		dkm_finding(ctx, DK_MAIL_AREA_MTA_STS, DK_MAIL_WARNING,
			    "mta_sts.max_age_short", NULL, ev, R8461 "3.2",
			    "max_age %lld is under one day: senders cache "
			    "the policy only briefly",
			    (long long)p.max_age);
	}
	if (p.mode == DKM_STS_TESTING) {
		dkm_finding(ctx, DK_MAIL_AREA_MTA_STS, DK_MAIL_WARNING,
			    "mta_sts.mode_testing", NULL, fetch_ev(q, f),
			    R8461 "5",
			    "the policy is in testing mode: senders deliver "
			    "even when it fails");
	} else if (p.mode == DKM_STS_NONE) {
		dkm_finding(ctx, DK_MAIL_AREA_MTA_STS, DK_MAIL_INFO,
			    "mta_sts.mode_none", NULL, fetch_ev(q, f),
			    R8461 "8.3", "the policy is mode none (withdrawn)");
	}
	ctx->sts.mode = p.mode;
	r = p.valid;
	dkm_sts_policy_free(&p);
	return r;
}

/* The MX hosts against the policy; 1 when every one passes. */
static int mx_check(struct dkm_ctx *ctx, const struct dkm_q *q,
		    const struct dkm_smtp *s)
{
	char **mx = NULL;
	long n = mx_hosts(ctx, &mx);
	int ok = 1, enforce = ctx->sts.mode == DKM_STS_ENFORCE;
	struct dk_mail_value *ev;

	for (long i = 0; i < n; i++) {
		int covered = 0;
		unsigned reasons = 0;
		char why[80];
		struct dk_mail_value *pats = dkm_arr();

		for (size_t j = 0; j < ctx->sts.nmx; j++) {
			covered |= dkm_sts_mx_match(ctx->sts.mx[j], mx[i]);
			dkm_push_str(pats, ctx->sts.mx[j]);
		}
		if (!covered) {
			ok = 0;
			ev = dkm_ev(q);
			dkm_set_str(ev, "mx", mx[i]);
			dkm_set(ev, "pattern", pats);
			dkm_finding(ctx, DK_MAIL_AREA_MTA_STS,
				    enforce ? DK_MAIL_CRITICAL
					    : DK_MAIL_WARNING,
				    "mta_sts.mx_not_covered", mx[i], ev,
				    R8461 "4.1",
				    "the MX host %s matches no mx pattern of "
				    "the policy%s",
				    mx[i],
				    enforce ? ": senders that apply it do not "
					      "deliver there"
					    : "");
			continue;
		}
		dkm_value_free(pats);
		if (!s || !s->rep ||
		    !dkm_smtp_host_cert(s, mx[i], &reasons, NULL) || !reasons) {
			continue;
		}
		ok = 0;
		snprintf(why, sizeof(why), "%s%s%s%s",
			 reasons & DKM_CERT_EXPIRED ? ", expired" : "",
			 reasons & DKM_CERT_NOT_YET_VALID ? ", not yet valid"
							  : "",
			 reasons & DKM_CERT_NAME ? ", not for the MX name" : "",
			 reasons & DKM_CERT_UNTRUSTED ? ", untrusted" : "");
		memmove(why, why + 2, strlen(why + 2) + 1);
		ev = dkm_ev(q);
		dkm_set_str(ev, "mx", mx[i]);
		dkm_set(ev, "reason", dkm_cert_reasons(reasons));
		{
			struct dk_mail_value *ad = dkm_arr();

			dkm_smtp_host_cert(s, mx[i], &reasons, ad);
			dkm_set(ev, "addresses", ad);
		}
		dkm_finding(ctx, DK_MAIL_AREA_MTA_STS,
			    enforce ? DK_MAIL_CRITICAL : DK_MAIL_WARNING,
			    "mta_sts.mx_cert_invalid", mx[i], ev, R8461 "4.2",
			    "the certificate of %s is not valid for it as "
			    "MTA-STS requires (%s)%s",
			    mx[i], why,
			    enforce ? ": senders that apply the policy do not "
				      "deliver"
				    : "");
	}
	free_strs(mx, n);
	return ok && n >= 0;
}

void dkm_mta_sts(struct dkm_ctx *ctx)
{
	struct dk_mail_value *rec = dkm_obj(), *ev, *recs;
	char *name = NULL, *url = NULL;
	const struct dkm_q *q;
	const struct dkm_fetch *f;
	const struct dkm_smtp *s = NULL;
	struct dkm_txt t = { 0 };
	struct dkm_sts_txt st;
	const char *one = NULL;
	size_t n = 0;

	sts_reset(&ctx->sts);
	dkm_set(ctx->records, "mta_sts", rec);
	if (asprintf(&name, "_mta-sts.%s", ctx->domain) < 0 ||
	    asprintf(&url, "https://mta-sts.%s/.well-known/mta-sts.txt",
		     ctx->domain) < 0) {
		ctx->oom = 1;
		free(name);
		return;
	}
	dkm_set_str(rec, "name", name);
	q = dkm_get(ctx, name, LDNS_RR_TYPE_TXT);
	if (!q) {
		goto out;
	}
	dkm_set_str(rec, "dnssec", dkm_status(q));
	if (dkm_failed(q)) {
		ev = dkm_ev(q);
		dkm_set_str(ev, "rcode", dkm_rcode(q));
		dkm_finding(ctx, DK_MAIL_AREA_MTA_STS, DK_MAIL_WARNING,
			    "mta_sts.temperror", NULL, ev, R8461 "3.1",
			    "the lookup of %s failed (%s)", name, dkm_rcode(q));
		goto out;
	}
	if (dkm_txt(q, &t) < 0) {
		ctx->oom = 1;
		goto out;
	}
	recs = dkm_arr();
	for (size_t i = 0; i < t.n; i++) {
		dkm_push_str(recs, t.rec[i]);
		if (dkm_sts_is_candidate(t.rec[i])) {
			n++;
			one = t.rec[i];
		}
	}
	dkm_set(rec, "records", recs);
	if (n == 0) {
		dkm_finding(ctx, DK_MAIL_AREA_MTA_STS, DK_MAIL_INFO,
			    "mta_sts.none", NULL, dkm_ev(q), R8461 "3.1",
			    "no MTA-STS record at %s", name);
		goto out;
	}
	if (n > 1) {
		ev = dkm_ev(q);
		dkm_set_int(ev, "records", (int64_t)n);
		dkm_finding(ctx, DK_MAIL_AREA_MTA_STS, DK_MAIL_ERROR,
			    "mta_sts.multiple_records", NULL, ev, R8461 "3.1",
			    "%zu v=STSv1 records at %s: senders use no "
			    "MTA-STS policy",
			    n, name);
		goto out;
	}
	if (dkm_sts_txt_parse(one, &st) < 0) {
		ev = dkm_ev(q);
		dkm_set_str(ev, "field", st.field);
		dkm_set_str(ev, "record", one);
		dkm_finding(ctx, DK_MAIL_AREA_MTA_STS, DK_MAIL_ERROR,
			    "mta_sts.txt_syntax", NULL, ev, R8461 "3.1",
			    "the MTA-STS record is invalid: %s", st.why);
		goto out;
	}
	dkm_set_str(rec, "id", st.id);
	if (!st.literal_prefix) {
		ev = dkm_ev(q);
		dkm_set_str(ev, "record", one);
		dkm_finding(ctx, DK_MAIL_AREA_MTA_STS, DK_MAIL_WARNING,
			    "mta_sts.txt_prefix_ambiguous", NULL, ev,
			    R8461 "3.1",
			    "the record does not start with \"v=STSv1;\" "
			    "literally: some senders do not recognise it");
	}
	ctx->sts.deployed = 1;
	if (ctx->opts->no_connect) {
		ev = dkm_ev(q);
		dkm_set_str(ev, "url", url);
		dkm_finding(ctx, DK_MAIL_AREA_MTA_STS, DK_MAIL_INFO,
			    "mta_sts.not_fetched", NULL, ev, R8461 "3.3",
			    "the policy was not fetched (--no-connect)");
		goto out;
	}
	f = dkm_fetch(ctx, url, STS_CAP);
	if (!f) {
		goto out;
	}
	dkm_set(rec, "fetch", dkm_fetch_value(f));
	if (!policy(ctx, q, f, rec)) {
		goto out;
	}
	ctx->sts.policy = 1;
	if (ctx->sts.mode != DKM_STS_NONE) {
		s = dkm_smtp_get(ctx);
		if (!s) {
			goto out;
		}
		if (mx_check(ctx, q, s)) {
			ev = dkm_ev(q);
			dkm_set_str(ev, "mode",
				    ctx->sts.mode == DKM_STS_ENFORCE
					    ? "enforce"
					    : "testing");
			dkm_set_str(ev, "id", st.id);
			dkm_finding(
				ctx, DK_MAIL_AREA_MTA_STS, DK_MAIL_INFO,
				"mta_sts.ok", NULL, ev, R8461 "3; " R8461 "4",
				"MTA-STS record and policy valid (mode %s), "
				"every MX host covered",
				ctx->sts.mode == DKM_STS_ENFORCE ? "enforce"
								 : "testing");
		}
	}
out:
	dkm_txt_free(&t);
	free(name);
	free(url);
}

/* --- TLS-RPT ---------------------------------------------------------------
 */

/* The TLS-RPT candidates at @q. */
static size_t rpt_candidates(struct dkm_ctx *ctx, const struct dkm_q *q,
			     struct dkm_txt *t, const char **one)
{
	size_t n = 0;

	*one = NULL;
	if (!dkm_has_data(q)) {
		return 0;
	}
	if (dkm_txt(q, t) < 0) {
		ctx->oom = 1;
		return 0;
	}
	for (size_t i = 0; i < t->n; i++) {
		if (dkm_tlsrpt_is_candidate(t->rec[i])) {
			n++;
			*one = t->rec[i];
		}
	}
	return n;
}

void dkm_tlsrpt(struct dkm_ctx *ctx)
{
	struct dk_mail_value *rec = dkm_obj(), *ev;
	char *name = NULL, *legacy = NULL;
	const struct dkm_q *q, *lq;
	struct dkm_txt t = { 0 }, lt = { 0 };
	struct dkm_tlsrpt_record r = { 0 };
	const char *one = NULL, *lone = NULL;
	size_t n, ln;

	dkm_set(ctx->records, "tlsrpt", rec);
	if (asprintf(&name, "_smtp._tls.%s", ctx->domain) < 0 ||
	    asprintf(&legacy, "_smtp-tlsrpt.%s", ctx->domain) < 0) {
		ctx->oom = 1;
		free(name);
		return;
	}
	dkm_set_str(rec, "name", name);
	q = dkm_get(ctx, name, LDNS_RR_TYPE_TXT);
	lq = dkm_get(ctx, legacy, LDNS_RR_TYPE_TXT);
	if (!q || !lq) {
		goto out;
	}
	dkm_set_str(rec, "dnssec", dkm_status(q));
	if (dkm_failed(q)) {
		ev = dkm_ev(q);
		dkm_set_str(ev, "rcode", dkm_rcode(q));
		dkm_finding(ctx, DK_MAIL_AREA_TLSRPT, DK_MAIL_WARNING,
			    "tlsrpt.temperror", NULL, ev, R8460 "3",
			    "the lookup of %s failed (%s)", name, dkm_rcode(q));
		goto out;
	}
	n = rpt_candidates(ctx, q, &t, &one);
	ln = rpt_candidates(ctx, lq, &lt, &lone);
	dkm_set_str(rec, "record", n == 1 ? one : NULL);
	if (ln) {
		ev = dkm_ev(lq);
		dkm_set_str(ev, "found_at", legacy);
		dkm_set_str(ev, "record", lone);
		dkm_set_str(rec, "legacy_record", lone);
		dkm_finding(ctx, DK_MAIL_AREA_TLSRPT, DK_MAIL_WARNING,
			    "tlsrpt.legacy_name", NULL, ev, R8460 "3",
			    "a TLS-RPT record at the draft-era name %s%s",
			    legacy,
			    n ? "" : ": reporters look at _smtp._tls only");
	}
	if (n == 0) {
		int policy = ctx->sts.deployed || ctx->dane_deployed;

		ev = dkm_ev(q);
		if (policy) {
			dkm_set_bool(ev, "mta_sts", ctx->sts.deployed);
			dkm_set_bool(ev, "dane", ctx->dane_deployed);
		}
		dkm_finding(ctx, DK_MAIL_AREA_TLSRPT,
			    policy ? DK_MAIL_WARNING : DK_MAIL_INFO,
			    policy ? "tlsrpt.missing_with_policy"
				   : "tlsrpt.missing",
			    NULL, ev,
			    policy ? R8460 "3; RFC 8461 section 6" : R8460 "3",
			    "no TLS-RPT record at %s%s", name,
			    policy ? ": senders cannot report the failures "
				     "of the MTA-STS or DANE policy"
				   : "");
		goto out;
	}
	if (n > 1) {
		ev = dkm_ev(q);
		dkm_set_int(ev, "records", (int64_t)n);
		dkm_finding(ctx, DK_MAIL_AREA_TLSRPT, DK_MAIL_ERROR,
			    "tlsrpt.multiple_records", NULL, ev, R8460 "3",
			    "%zu v=TLSRPTv1 records at %s: TLS-RPT is not "
			    "used",
			    n, name);
		goto out;
	}
	if (dkm_tlsrpt_parse(one, &r) == DK_ENOMEM) {
		ctx->oom = 1;
		goto out;
	}
	if (!r.valid) {
		ev = dkm_ev(q);
		dkm_set_str(ev, "record", one);
		dkm_finding(ctx, DK_MAIL_AREA_TLSRPT, DK_MAIL_ERROR,
			    "tlsrpt.syntax", NULL, ev, R8460 "3",
			    "the TLS-RPT record is malformed: %s", r.why);
		goto out;
	}
	if (r.rua_missing) {
		ev = dkm_ev(q);
		dkm_set_str(ev, "record", one);
		dkm_finding(ctx, DK_MAIL_AREA_TLSRPT, DK_MAIL_ERROR,
			    "tlsrpt.rua_missing", NULL, ev, R8460 "3",
			    "the TLS-RPT record has no rua field");
		goto out;
	}
	{
		struct dk_mail_value *d = dkm_arr();
		int bad = 0;

		for (size_t i = 0; i < r.nrua; i++) {
			dkm_push_str(d, r.rua[i]);
			if (!dkm_tlsrpt_uri_ok(r.rua[i])) {
				bad = 1;
				ev = dkm_ev(q);
				dkm_set_str(ev, "uri", r.rua[i]);
				dkm_finding(ctx, DK_MAIL_AREA_TLSRPT,
					    DK_MAIL_ERROR, "tlsrpt.rua_scheme",
					    NULL, ev, R8460 "3",
					    "rua %s is neither mailto: nor "
					    "https:",
					    r.rua[i]);
			}
		}
		if (bad) {
			dkm_value_free(d);
		} else {
			ev = dkm_ev(q);
			dkm_set(ev, "destinations", d);
			dkm_finding(ctx, DK_MAIL_AREA_TLSRPT, DK_MAIL_INFO,
				    "tlsrpt.ok", NULL, ev, R8460 "3",
				    "TLS-RPT record valid: reports go to %zu "
				    "destination%s",
				    r.nrua, r.nrua == 1 ? "" : "s");
		}
	}
out:
	dkm_tlsrpt_record_free(&r);
	dkm_txt_free(&t);
	dkm_txt_free(&lt);
	free(name);
	free(legacy);
}
