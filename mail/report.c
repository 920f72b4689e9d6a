/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The audit: passes over the areas until no lookup is missing, rounds of
 * concurrent lookups in between; findings and the report.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <libpsl.h>

#include "dnssec/internal.h"
#include "mail/internal.h"

/* Debian's publicsuffix package (RFC 7489 section 3.2). */
#define DKM_PSL_FILE "/usr/share/publicsuffix/public_suffix_list.dat"
/* A bound on the passes: every tree the areas walk is bounded far below. */
#define DKM_MAX_PASSES 40

const char *dk_mail_severity_name(enum dk_mail_severity s)
{
	switch (s) {
	case DK_MAIL_INFO:
		return "info";
	case DK_MAIL_WARNING:
		return "warning";
	case DK_MAIL_ERROR:
		return "error";
	case DK_MAIL_CRITICAL:
		return "critical";
	default:
		return "?";
	}
}

static const char *const area_names[DK_MAIL_AREA_COUNT] = {
	"spf", "dkim",	  "dmarc",  "bimi", "ptr",
	"mx",  "mta_sts", "tlsrpt", "dane", "smtp",
};

const char *dk_mail_area_name(enum dk_mail_area area)
{
	if ((unsigned)area >= DK_MAIL_AREA_COUNT) {
		return "?";
	}
	return area_names[area];
}

const char *dk_mail_area_direction(enum dk_mail_area area)
{
	if ((unsigned)area >= DK_MAIL_AREA_COUNT) {
		return "?";
	}
	return area <= DK_MAIL_AREA_PTR ? "outbound" : "inbound";
}

struct dk_mail_value *dkm_ev(const struct dkm_q *q)
{
	struct dk_mail_value *o = dkm_obj();

	if (q) {
		dkm_set_str(o, "dnssec", dkm_status(q));
	}
	return o;
}

static void finding_clear(struct dk_mail_finding *f)
{
	free((char *)f->subject);
	free((char *)f->message);
	free((void *)f->refs);
	dkm_value_free((struct dk_mail_value *)f->evidence);
}

void dkm_finding(struct dkm_ctx *ctx, enum dk_mail_area area,
		 enum dk_mail_severity sev, const char *code,
		 const char *subject, struct dk_mail_value *evidence,
		 const char *refs, const char *fmt, ...)
{
	struct dk_mail_report *r = ctx->rep;
	struct dk_mail_finding *f;
	const char **rv = NULL;
	size_t nrefs = 0;
	va_list ap;
	char *msg = NULL;
	int e;

	if (r->nfindings == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16;
		struct dk_mail_finding *nf =
			realloc(r->findings, cap * sizeof(*nf));

		if (!nf) {
			ctx->oom = 1;
			dkm_value_free(evidence);
			return;
		}
		r->findings = nf;
		r->cap = cap;
	}
	/* refs: a static string "A; B": keep pointers into copies. */
	if (refs && *refs) {
		size_t n = 1, len = strlen(refs);
		char *buf;

		for (const char *p = refs; (p = strstr(p, "; ")); p += 2) {
			n++;
		}
		rv = malloc(n * sizeof(*rv) + len + 1);
		if (!rv) {
			ctx->oom = 1;
			dkm_value_free(evidence);
			return;
		}
		buf = (char *)(rv + n);
		memcpy(buf, refs, len + 1);
		for (char *p = buf;;) {
			char *q = strstr(p, "; ");

			rv[nrefs++] = p;
			if (!q) {
				break;
			}
			*q = '\0';
			p = q + 2;
		}
	}
	va_start(ap, fmt);
	e = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (e < 0) {
		msg = NULL;
	}
	f = &r->findings[r->nfindings];
	memset(f, 0, sizeof(*f));
	f->code = code;
	f->severity = sev;
	f->area = area;
	f->subject = dkm_name(subject ? subject : ctx->domain);
	f->message = msg;
	f->refs = rv;
	f->nrefs = nrefs;
	f->evidence = evidence ? evidence : dkm_obj();
	if (!f->subject || !f->message || !f->evidence) {
		ctx->oom = 1;
		finding_clear(f);
		return;
	}
	r->nfindings++;
}

char *dkm_org_domain(struct dkm_ctx *ctx, const char *name)
{
	const char *reg = NULL;
	char *n = dkm_name(name);

	if (!n) {
		return NULL;
	}
	if (ctx->psl) {
		reg = psl_registrable_domain((psl_ctx_t *)ctx->psl, n);
	}
	if (reg) {
		char *s = strdup(reg);

		free(n);
		return s;
	}
	/* A public suffix itself, or no list: the name is its own. */
	return n;
}

static void report_free_findings(struct dk_mail_report *r)
{
	for (size_t i = 0; i < r->nfindings; i++) {
		finding_clear(&r->findings[i]);
	}
	r->nfindings = 0;
}

void dk_mail_report_free(struct dk_mail_report *r)
{
	if (!r) {
		return;
	}
	report_free_findings(r);
	free(r->findings);
	free(r->domain);
	free(r->why);
	dkm_value_free(r->records);
	free(r);
}

static void lookup_done(void *arg, int err, struct dk_answer *answer)
{
	struct dkm_q *q = arg;

	q->state = 2;
	q->err = err;
	q->ans = answer;
}

/* Send every lookup asked in the last pass and wait for them all. */
static int run_round(struct dkm_ctx *ctx)
{
	int sent = 0, r;

	for (struct dkm_q *q = ctx->qs; q; q = q->next) {
		if (q->state != 0) {
			continue;
		}
		q->round = ctx->round + 1;
		q->state = 1;
		r = dk_lookup_async(ctx->res, q->name, q->type, lookup_done, q);
		if (r < 0) {
			/* a name libunbound will not ask (bad syntax) */
			q->state = 2;
			q->err = r;
			continue;
		}
		sent++;
		ctx->rep->queries++;
	}
	if (sent) {
		ctx->round++;
		r = dk_resolver_wait(ctx->res);
		if (r < 0) {
			return r;
		}
	}
	return 0;
}

static void areas(struct dkm_ctx *ctx)
{
	/* DMARC first: BIMI reads its result. */
	dkm_mx(ctx);
	dkm_spf(ctx);
	dkm_dmarc(ctx);
	dkm_dkim(ctx);
	dkm_bimi(ctx);
	dkm_ptr(ctx);
	/* MTA-STS before the probes' area (which reads its policy), TLS-RPT
	 * after both (it needs to know whether either is deployed) */
	dkm_mta_sts(ctx);
	dkm_smtp_area(ctx);
	dkm_tlsrpt(ctx);
}

/* The connections asked in the last pass: HTTPS fetches, SMTP probes. */
static void run_jobs(struct dkm_ctx *ctx)
{
	double t = dk_resolver_timeout(ctx->res);

	for (struct dkm_fetch *f = ctx->fetches; f; f = f->next) {
		if (f->state == 0) {
			dkm_https_run(f, ctx->opts, t > 0 ? t : 10);
			ctx->fetches_run++;
		}
	}
	if (ctx->smtp.state == 1) {
		dkm_smtp_run(ctx);
	}
}

static int check_args(const char *domain, const struct dk_mail_opts *o,
		      struct dk_diag *diag)
{
	unsigned char buf[16];

	if (dki_check_name(domain, diag) < 0) {
		return DK_EINVAL;
	}
	for (size_t i = 0; i < o->ndkim_selectors; i++) {
		char *n = NULL;
		int r;

		if (!o->dkim_selectors || !o->dkim_selectors[i] ||
		    asprintf(&n, "%s._domainkey.%s", o->dkim_selectors[i],
			     domain) < 0) {
			return DK_EINVAL;
		}
		r = dki_check_name(n, NULL);
		free(n);
		if (r < 0 || !o->dkim_selectors[i][0]) {
			dki_diagf(diag, "'%s' is not a DKIM selector",
				  o->dkim_selectors[i]);
			return DK_EINVAL;
		}
	}
	if (o->bimi_selector) {
		char *n = NULL;
		int r;

		if (asprintf(&n, "%s._bimi.%s", o->bimi_selector, domain) < 0) {
			return DK_ENOMEM;
		}
		r = dki_check_name(n, NULL);
		free(n);
		if (r < 0 || !o->bimi_selector[0]) {
			dki_diagf(diag, "'%s' is not a BIMI selector",
				  o->bimi_selector);
			return DK_EINVAL;
		}
	}
	for (size_t i = 0; i < o->nsending_ips; i++) {
		const char *ip = o->sending_ips ? o->sending_ips[i] : NULL;

		if (!ip || (inet_pton(AF_INET, ip, buf) != 1 &&
			    inet_pton(AF_INET6, ip, buf) != 1)) {
			dki_diagf(diag, "'%s' is not an IPv4 or IPv6 address",
				  ip ? ip : "");
			return DK_EINVAL;
		}
	}
	for (size_t i = 0; i < o->nhelo_names; i++) {
		if (!o->helo_names ||
		    dki_check_name(o->helo_names[i], diag) < 0) {
			return DK_EINVAL;
		}
	}
	if (o->connect_port > 65535 || o->https_port > 65535) {
		dki_diagf(diag, "port %u is out of range",
			  o->connect_port > 65535 ? o->connect_port
						  : o->https_port);
		return DK_EINVAL;
	}
	for (size_t i = 0; i < o->nallow_private; i++) {
		uint8_t net[16];
		unsigned len;

		if (!o->allow_private ||
		    dkm_parse_cidr(o->allow_private[i], net, &len) < 0) {
			dki_diagf(diag, "'%s' is not an address or network",
				  o->allow_private && o->allow_private[i]
					  ? o->allow_private[i]
					  : "");
			return DK_EINVAL;
		}
	}
	return 0;
}

/* The first failed lookup among the domain's own, or NULL. */
static const struct dkm_q *own_failure(struct dkm_ctx *ctx)
{
	static const uint16_t types[] = { LDNS_RR_TYPE_MX, LDNS_RR_TYPE_TXT };
	char *dm = NULL;
	const struct dkm_q *q;

	for (size_t i = 0; i < 2; i++) {
		q = dkm_get(ctx, ctx->domain, types[i]);
		if (q && q->err) {
			return q;
		}
	}
	if (asprintf(&dm, "_dmarc.%s", ctx->domain) < 0) {
		return NULL;
	}
	q = dkm_get(ctx, dm, LDNS_RR_TYPE_TXT);
	free(dm);
	return q && q->err ? q : NULL;
}

/* Findings in area order (outbound first), stable. */
static void sort_findings(struct dk_mail_report *r)
{
	for (size_t i = 1; i < r->nfindings; i++) {
		struct dk_mail_finding f = r->findings[i];
		size_t j = i;

		while (j > 0 && r->findings[j - 1].area > f.area) {
			r->findings[j] = r->findings[j - 1];
			j--;
		}
		r->findings[j] = f;
	}
}

int dk_mail_audit(struct dk_resolver *resolver, const char *domain,
		  const struct dk_mail_opts *opts,
		  struct dk_mail_report **ret_report, struct dk_diag *diag)
{
	static const struct dk_mail_opts none = { 0 };
	struct dkm_ctx ctx;
	struct dk_mail_report *r;
	int e = 0, pass;

	if (!resolver || !domain || !ret_report) {
		return DK_EINVAL;
	}
	if (!opts) {
		opts = &none;
	}
	e = check_args(domain, opts, diag);
	if (e < 0) {
		return e;
	}
	memset(&ctx, 0, sizeof(ctx));
	ctx.res = resolver;
	ctx.opts = opts;
	ctx.domain = dkm_name(domain);
	r = calloc(1, sizeof(*r));
	if (!ctx.domain || !r) {
		free(ctx.domain);
		free(r);
		return DK_ENOMEM;
	}
	ctx.rep = r;
	r->at = opts->at ? opts->at : time(NULL);
	if (asprintf(&r->domain, "%s.", ctx.domain) < 0) {
		r->domain = NULL;
		e = DK_ENOMEM;
		goto out;
	}
	if (access(DKM_PSL_FILE, R_OK) == 0) {
		ctx.psl = psl_load_file(DKM_PSL_FILE);
	}
	if (!ctx.psl) {
		/* the newest of libpsl's own list and the system's */
		ctx.psl = psl_latest(NULL);
	}
	for (pass = 0; pass < DKM_MAX_PASSES; pass++) {
		report_free_findings(r);
		dkm_value_free(ctx.records);
		ctx.records = dkm_obj();
		free(ctx.dmarc.org_psl);
		memset(&ctx.dmarc, 0, sizeof(ctx.dmarc));
		ctx.missing = 0;
		ctx.missing_jobs = 0;
		ctx.dane_deployed = 0;
		areas(&ctx);
		if (ctx.oom || !ctx.records) {
			e = DK_ENOMEM;
			goto out;
		}
		if (ctx.missing == 0 && ctx.missing_jobs == 0) {
			break;
		}
		if (ctx.missing == 0) {
			/* every lookup done: the connections, then a pass */
			run_jobs(&ctx);
			if (ctx.oom) {
				e = DK_ENOMEM;
				goto out;
			}
			continue;
		}
		e = run_round(&ctx);
		if (e == DK_ENOMEM) {
			goto out;
		}
		if (e < 0) {
			/* the resolver itself failed: stop here */
			r->why = strdup(dk_strerror(e));
			e = 0;
			break;
		}
	}
	r->complete = !r->why && ctx.missing == 0 && ctx.missing_jobs == 0;
	if (r->complete) {
		const struct dkm_q *q = own_failure(&ctx);

		if (q) {
			r->complete = 0;
			if (asprintf(&r->why, "the lookup of %s %s failed: %s",
				     q->name,
				     q->type == LDNS_RR_TYPE_MX ? "MX" : "TXT",
				     dk_strerror(q->err)) < 0) {
				r->why = NULL;
			}
		}
	} else if (!r->why) {
		r->why = strdup("the lookups did not finish");
	}
	for (int a = 0; a < DK_MAIL_AREA_COUNT; a++) {
		r->checked[a] = 1;
	}
	r->records = ctx.records;
	ctx.records = NULL;
	r->rounds = ctx.round;
	sort_findings(r);
out:
	/* lookups still in flight point at the entries: none may be left */
	if (dk_resolver_pending(resolver) > 0) {
		dk_resolver_wait(resolver);
	}
	while (ctx.qs) {
		struct dkm_q *q = ctx.qs;

		ctx.qs = q->next;
		dk_answer_free(q->ans);
		free(q->name);
		free(q);
	}
	while (ctx.fetches) {
		struct dkm_fetch *f = ctx.fetches;

		ctx.fetches = f->next;
		dkm_fetch_free(f);
	}
	dkm_smtp_clear(&ctx.smtp);
	for (size_t i = 0; i < ctx.sts.nmx; i++) {
		free(ctx.sts.mx[i]);
	}
	free(ctx.sts.mx);
	dkm_value_free(ctx.records);
	free(ctx.dmarc.org_psl);
	psl_free((psl_ctx_t *)ctx.psl);
	free(ctx.domain);
	if (e < 0) {
		dk_mail_report_free(r);
		return e;
	}
	*ret_report = r;
	return 0;
}

const char *dk_mail_report_domain(const struct dk_mail_report *r)
{
	return r ? r->domain : NULL;
}

time_t dk_mail_report_at(const struct dk_mail_report *r)
{
	return r ? r->at : 0;
}

int dk_mail_report_complete(const struct dk_mail_report *r)
{
	return r ? r->complete : 0;
}

const char *dk_mail_report_why(const struct dk_mail_report *r)
{
	return r ? r->why : NULL;
}

size_t dk_mail_report_finding_count(const struct dk_mail_report *r)
{
	return r ? r->nfindings : 0;
}

const struct dk_mail_finding *
dk_mail_report_finding(const struct dk_mail_report *r, size_t i)
{
	return r && i < r->nfindings ? &r->findings[i] : NULL;
}

int dk_mail_report_worst(const struct dk_mail_report *r)
{
	int w = -1;

	for (size_t i = 0; r && i < r->nfindings; i++) {
		if ((int)r->findings[i].severity > w) {
			w = (int)r->findings[i].severity;
		}
	}
	return w;
}

int dk_mail_report_area_checked(const struct dk_mail_report *r,
				enum dk_mail_area area)
{
	if (!r || (unsigned)area >= DK_MAIL_AREA_COUNT) {
		return 0;
	}
	return r->checked[area];
}

int dk_mail_report_area_worst(const struct dk_mail_report *r,
			      enum dk_mail_area area)
{
	int w = -1;

	for (size_t i = 0; r && i < r->nfindings; i++) {
		if (r->findings[i].area == area &&
		    (int)r->findings[i].severity > w) {
			w = (int)r->findings[i].severity;
		}
	}
	return w;
}

long dk_mail_report_area_first(const struct dk_mail_report *r,
			       enum dk_mail_area area)
{
	long best = -1;

	for (size_t i = 0; r && i < r->nfindings; i++) {
		const struct dk_mail_finding *f = &r->findings[i];

		if (f->area != area || f->severity < DK_MAIL_WARNING) {
			continue;
		}
		if (best < 0 || f->severity > r->findings[best].severity) {
			best = (long)i;
		}
	}
	return best;
}

const struct dk_mail_value *
dk_mail_report_records(const struct dk_mail_report *r)
{
	return r ? r->records : NULL;
}

size_t dk_mail_report_queries(const struct dk_mail_report *r)
{
	return r ? r->queries : 0;
}

unsigned dk_mail_report_rounds(const struct dk_mail_report *r)
{
	return r ? r->rounds : 0;
}
