/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DANE for SMTP (RFC 7672), the SMTP transport and the MX certificates:
 * the probes are those of `check smtp` (dane/check.c, through
 * dki_dane_check_smtp_ext(): the same MX walk, trust gate, STARTTLS and
 * OpenSSL DANE verification, every address of every MX host); this file
 * maps its report onto AUDIT.md's dane.*, smtp.* and cert.* codes and
 * adds the PKIX validation of each presented chain, as a sending MTA that
 * follows MTA-STS would do it (RFC 8461 section 4.2: name = MX host,
 * trust = the system store or --https-ca, time = --at).
 *
 * Scope of certificate findings (AUDIT.md): a name or issuer problem
 * matters only where an MTA-STS policy or a DANE-TA record depends on the
 * certificate; DANE-EE ignores names and dates (RFC 7672 section 3.1.1).
 * Where MTA-STS depends on it, the problem is mta_sts.mx_cert_invalid
 * (mta_sts.c); where a DANE-TA record does, dane.cert_expired or
 * dane.name_check_failed; else cert.* with scope pkix_only.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/err.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "mail/internal.h"

#define DAY 86400

#define R7672 "RFC 7672 section "

void dkm_smtp_clear(struct dkm_smtp *s)
{
	for (size_t i = 0; i < s->npkix; i++) {
		sk_X509_pop_free(s->pkix[i].chain, X509_free);
	}
	for (size_t i = 0; i < s->nold; i++) {
		free(s->old[i].address);
	}
	free(s->pkix);
	free(s->old);
	dk_dane_report_free(s->rep);
	memset(s, 0, sizeof(*s));
}

const struct dkm_smtp *dkm_smtp_get(struct dkm_ctx *ctx)
{
	if (ctx->smtp.state == 2) {
		return &ctx->smtp;
	}
	ctx->smtp.state = 1;
	ctx->missing_jobs++;
	return NULL;
}

static void on_chain(void *arg, size_t host, size_t addr, long alt,
		     STACK_OF(X509) * chain)
{
	struct dkm_smtp *s = arg;
	struct dkm_pkix *np = realloc(s->pkix, (s->npkix + 1) * sizeof(*np));

	if (!np) {
		s->err = DK_ENOMEM;
		return;
	}
	s->pkix = np;
	memset(&np[s->npkix], 0, sizeof(*np));
	np[s->npkix].host = host;
	np[s->npkix].addr = addr;
	np[s->npkix].alt = alt;
	np[s->npkix].chain = X509_chain_up_ref(chain);
	if (!np[s->npkix].chain) {
		s->err = DK_ENOMEM;
		return;
	}
	s->npkix++;
}

static void on_old(void *arg, size_t host, const char *address,
		   const char *version)
{
	struct dkm_smtp *s = arg;
	struct dkm_oldtls *no = realloc(s->old, (s->nold + 1) * sizeof(*no));

	if (!no) {
		s->err = DK_ENOMEM;
		return;
	}
	s->old = no;
	no[s->nold].host = host;
	no[s->nold].address = strdup(address);
	snprintf(no[s->nold].version, sizeof(no[s->nold].version), "%s",
		 version);
	if (!no[s->nold].address) {
		s->err = DK_ENOMEM;
		return;
	}
	s->nold++;
}

/* Collect every reason; the result is read from the reasons. */
static int pkix_cb(int ok, X509_STORE_CTX *c)
{
	struct dkm_pkix *p = X509_STORE_CTX_get_app_data(c);

	if (!ok && p) {
		p->reasons |= dkm_cert_reason_of(X509_STORE_CTX_get_error(c));
	}
	return 1;
}

/* A name without its final dot, in @buf. */
static const char *bare(const char *name, char *buf, size_t len)
{
	size_t n = strlen(name);

	if (n > 1 && name[n - 1] == '.') {
		n--;
	}
	snprintf(buf, len, "%.*s", (int)n, name);
	return buf;
}

/* PKIX as an MTA-STS sender: @host is the MX host name. */
static void pkix_check(X509_STORE *store, struct dkm_pkix *p, const char *host,
		       const char *nexthop, time_t at)
{
	X509 *leaf = sk_X509_value(p->chain, 0);
	X509_STORE_CTX *c = X509_STORE_CTX_new();
	X509_VERIFY_PARAM *vp;
	char h[300];

	if (!c || !leaf || !X509_STORE_CTX_init(c, store, leaf, p->chain)) {
		p->reasons |= DKM_CERT_UNTRUSTED;
		X509_STORE_CTX_free(c);
		ERR_clear_error();
		return;
	}
	X509_STORE_CTX_set_app_data(c, p);
	X509_STORE_CTX_set_verify_cb(c, pkix_cb);
	vp = X509_STORE_CTX_get0_param(c);
	X509_VERIFY_PARAM_set_purpose(vp, X509_PURPOSE_SSL_SERVER);
	X509_VERIFY_PARAM_set_hostflags(vp,
					X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	X509_VERIFY_PARAM_set1_host(vp, bare(host, h, sizeof(h)), 0);
	if (at) {
		X509_VERIFY_PARAM_set_time(vp, at);
	}
	if (X509_verify_cert(c) <= 0 && !p->reasons) {
		p->reasons = DKM_CERT_UNTRUSTED;
	}
	p->names_domain = X509_check_host(leaf, nexthop, 0,
					  X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS,
					  NULL) == 1;
	X509_STORE_CTX_free(c);
	ERR_clear_error();
}

void dkm_smtp_run(struct dkm_ctx *ctx)
{
	struct dkm_smtp *s = &ctx->smtp;
	struct dk_dane_opts o = { 0 };
	struct dki_smtp_ext ext = { 0 };
	struct dk_diag diag = { "" };
	X509_STORE *store = NULL;
	int e;

	s->state = 2;
	o.connect_port = ctx->opts->connect_port;
	o.at = ctx->opts->at;
	/* the DNSSEC signature windows are the resolver's business here */
	o.sig_warn_days = -1;
	o.warn_days = -1;
	ext.no_connect = ctx->opts->no_connect;
	ext.chain = on_chain;
	ext.old_version = on_old;
	ext.arg = s;
	e = dki_dane_check_smtp_ext(ctx->res, ctx->domain, &o, &ext, &s->rep,
				    &diag);
	if (e < 0) {
		s->err = e;
		snprintf(s->why, sizeof(s->why), "%s",
			 diag.why[0] ? diag.why : dk_strerror(e));
		if (e == DK_ENOMEM) {
			ctx->oom = 1;
		}
		return;
	}
	if (s->npkix == 0) {
		return;
	}
	store = X509_STORE_new();
	if (!store ||
	    !(ctx->opts->https_ca
		      ? X509_STORE_load_file(store, ctx->opts->https_ca)
		      : X509_STORE_set_default_paths(store))) {
		/* no trust store: every chain is untrusted */
		ERR_clear_error();
	}
	for (size_t i = 0; i < s->npkix; i++) {
		const struct dk_dane_host *h =
			dk_dane_report_host(s->rep, s->pkix[i].host);

		if (h && store) {
			pkix_check(store, &s->pkix[i], h->name, ctx->domain,
				   ctx->opts->at);
		} else {
			s->pkix[i].reasons = DKM_CERT_UNTRUSTED;
		}
	}
	X509_STORE_free(store);
}

/* The PKIX entry of host @hi, address @ai, chain @alt, or NULL. */
static const struct dkm_pkix *pkix_of(const struct dkm_smtp *s, size_t hi,
				      size_t ai, long alt)
{
	for (size_t i = 0; i < s->npkix; i++) {
		if (s->pkix[i].host == hi && s->pkix[i].addr == ai &&
		    s->pkix[i].alt == alt) {
			return &s->pkix[i];
		}
	}
	return NULL;
}

int dkm_smtp_host_cert(const struct dkm_smtp *s, const char *host,
		       unsigned *ret_reasons, struct dk_mail_value *addrs)
{
	int tested = 0;

	*ret_reasons = 0;
	for (size_t i = 0; s->rep && i < s->npkix; i++) {
		const struct dk_dane_host *h =
			dk_dane_report_host(s->rep, s->pkix[i].host);
		const struct dk_dane_addr *a =
			h ? dk_dane_host_addr(h, s->pkix[i].addr) : NULL;
		char b[300];

		if (!h || !a || strcasecmp(bare(h->name, b, sizeof(b)), host)) {
			continue;
		}
		tested = 1;
		if (s->pkix[i].reasons && addrs) {
			dkm_push_str(addrs, a->address);
		}
		*ret_reasons |= s->pkix[i].reasons;
	}
	return tested;
}

static const char *old_version(const struct dkm_smtp *s, size_t hi,
			       const char *address)
{
	for (size_t i = 0; i < s->nold; i++) {
		if (s->old[i].host == hi &&
		    strcmp(s->old[i].address, address) == 0) {
			return s->old[i].version;
		}
	}
	return NULL;
}

/* Does the engine's report hold @code for host @hi? */
static const struct dk_dane_finding *
engine_finding(const struct dk_dane_report *r, long hi, const char *code)
{
	for (size_t i = 0; i < r->nfindings; i++) {
		const struct dk_dane_finding *f = dk_dane_report_finding(r, i);

		if (f->host == hi && strcmp(f->code, code) == 0) {
			return f;
		}
	}
	return NULL;
}

static char *record_text(const struct dk_tlsa *t)
{
	char *s = NULL;

	if (dk_tlsa_format(t, DK_TLSA_FMT_RDATA, NULL, 0, &s) < 0) {
		return NULL;
	}
	return s;
}

/* Evidence for host @h: "host" and "dnssec" (of its TLSA RRset, else of
 * its addresses). */
static struct dk_mail_value *host_ev(const struct dk_dane_host *h,
				     const char *host)
{
	struct dk_mail_value *o = dkm_obj();

	dkm_set_str(o, "host", host);
	dkm_set_str(o, "dnssec",
		    dk_dnssec_status_name(h->tlsa_owner ? h->tlsa_status
							: h->addr_status));
	return o;
}

/* The record matched at address @a (usage), or -1. */
static int matched_usage(const struct dk_dane_host *h, long rec)
{
	const struct dk_dane_record *r =
		rec >= 0 ? dk_dane_host_record(h, (size_t)rec) : NULL;

	return r ? dk_tlsa_usage(r->tlsa) : -1;
}

/* Per-pass facts about a host the other areas use. */
struct hostview {
	const struct dk_dane_host *h;
	char name[300];
	int sts_dep;	  /* an MTA-STS policy (testing or enforce) covers it */
	int sts_enforce;  /* ... in enforce mode */
	int tls_required; /* a secure TLSA RRset makes TLS mandatory */
	int ta_only;	  /* every usable record is DANE-TA */
};

static int sts_covers(const struct dkm_ctx *ctx, const char *host)
{
	for (size_t i = 0; i < ctx->sts.nmx; i++) {
		if (dkm_sts_mx_match(ctx->sts.mx[i], host)) {
			return 1;
		}
	}
	return 0;
}

/* TLSA lint: usages 0/1, lengths, digest agility, rollover. */
static void lint_records(struct dkm_ctx *ctx, const struct dkm_smtp *s,
			 const struct hostview *v, long hi)
{
	const struct dk_dane_host *h = v->h;
	size_t pkix = 0, n256 = 0, n512 = 0, ee = 0, ta = 0;
	struct dk_mail_value *ev;

	for (size_t i = 0; i < h->nrecords; i++) {
		const struct dk_dane_record *r = dk_dane_host_record(h, i);
		uint8_t u = dk_tlsa_usage(r->tlsa), m = dk_tlsa_mtype(r->tlsa);
		size_t len = 0;

		dk_tlsa_data(r->tlsa, &len);
		pkix += u == 0 || u == 1;
		if ((m == 1 && len != 32) || (m == 2 && len != 64)) {
			char *t = record_text(r->tlsa);

			ev = host_ev(h, v->name);
			dkm_set_int(ev, "expected_len", m == 1 ? 32 : 64);
			dkm_set_int(ev, "got_len", (int64_t)len);
			dkm_set_str(ev, "record", t);
			dkm_finding(ctx, DK_MAIL_AREA_DANE, DK_MAIL_ERROR,
				    "dane.tlsa_malformed", v->name, ev,
				    "RFC 6698 section 2.1",
				    "a TLSA record of %s has %zu octets of "
				    "data, not the %d of its matching type",
				    h->tlsa_owner, len, m == 1 ? 32 : 64);
			free(t);
		}
		if (!r->usable) {
			continue;
		}
		n256 += m == 1;
		n512 += m == 2;
		ee += u == 3;
		ta += u == 2;
	}
	if (pkix) {
		ev = host_ev(h, v->name);
		dkm_set_int(ev, "count", (int64_t)pkix);
		dkm_finding(ctx, DK_MAIL_AREA_DANE, DK_MAIL_WARNING,
			    "dane.pkix_usage", v->name, ev, R7672 "3.1.3",
			    "%zu TLSA record%s of usage 0 or 1 at %s: SMTP "
			    "clients do not use them",
			    pkix, pkix == 1 ? "" : "s", h->tlsa_owner);
	}
	if (n512 && !n256) {
		dkm_finding(ctx, DK_MAIL_AREA_DANE, DK_MAIL_WARNING,
			    "dane.digest_agility", v->name, host_ev(h, v->name),
			    "RFC 7671 section 9",
			    "%s has SHA2-512 records only: publish SHA2-256 "
			    "ones too",
			    h->tlsa_owner);
	}
	if (!h->nusable) {
		return;
	}
	if (!ctx->opts->no_connect) {
		for (size_t i = 0; i < s->rep->nfindings; i++) {
			const struct dk_dane_finding *f =
				dk_dane_report_finding(s->rep, i);

			if (f->host != hi ||
			    strcmp(f->code, "tlsa-ta-not-sent") ||
			    f->severity != DK_DANE_WARNING) {
				continue;
			}
			ev = host_ev(h, v->name);
			dkm_set_str(ev, "record", f->evidence);
			dkm_finding(ctx, DK_MAIL_AREA_DANE, DK_MAIL_WARNING,
				    "dane.ta_not_issuer", v->name, ev,
				    "RFC 7671 section 5.2", "%s", f->message);
		}
	}
	if (h->nusable == 1 ||
	    engine_finding(s->rep, hi, "tlsa-single-record")) {
		ev = host_ev(h, v->name);
		dkm_set_int(ev, "usable", (int64_t)h->nusable);
		dkm_finding(ctx, DK_MAIL_AREA_DANE, DK_MAIL_INFO,
			    "dane.no_rollover_record", v->name, ev,
			    "RFC 7671 section 8.1",
			    "%s: %s: no record for the next key", v->name,
			    h->nusable == 1 ? "one usable TLSA record"
					    : "every usable record names the "
					      "key in use");
	} else {
		ev = host_ev(h, v->name);
		dkm_set_str(ev, "scheme",
			    ee && ta ? "key+issuer"
			    : ee     ? "current+next"
				     : "issuers");
		dkm_finding(ctx, DK_MAIL_AREA_DANE, DK_MAIL_INFO,
			    "dane.rollover_ready", v->name, ev,
			    "RFC 7671 section 8.1",
			    "%s: %zu usable records (%s): the next key is "
			    "covered",
			    v->name, h->nusable,
			    ee && ta ? "key and issuer"
			    : ee     ? "current and next key"
				     : "issuers");
	}
}

/* SMTP and certificate findings of address @ai of host @hi. */
static void addr_area(struct dkm_ctx *ctx, const struct dkm_smtp *s,
		      const struct hostview *v, size_t hi, size_t ai,
		      struct dk_mail_value *seen_leaves)
{
	const struct dk_dane_host *h = v->h;
	const struct dk_dane_addr *a = dk_dane_host_addr(h, ai);
	const struct dkm_pkix *p;
	struct dk_mail_value *ev;
	time_t at = ctx->rep->at;
	const char *old;
	int usage, ee_auth, ta_dep;

	switch (a->status) {
	case DK_ADDR_NO_STARTTLS:
		ev = host_ev(h, v->name);
		dkm_set_str(ev, "ip", a->address);
		dkm_set_bool(ev, "tls_required",
			     v->tls_required || v->sts_enforce);
		dkm_finding(
			ctx, DK_MAIL_AREA_SMTP,
			v->tls_required || v->sts_enforce ? DK_MAIL_CRITICAL
							  : DK_MAIL_WARNING,
			"smtp.no_starttls", v->name, ev,
			"RFC 3207; " R7672 "2.2",
			"%s (%s) does not offer STARTTLS%s", v->name,
			a->address,
			v->tls_required ? ": TLSA records make TLS "
					  "mandatory, DANE senders defer "
					  "the mail"
			: v->sts_enforce
				? ": the MTA-STS policy (enforce) makes TLS "
				  "mandatory"
				: "");
		return;
	case DK_ADDR_TLS_FAILED:
		old = old_version(s, hi, a->address);
		ev = host_ev(h, v->name);
		dkm_set_str(ev, "ip", a->address);
		if (old) {
			dkm_set_str(ev, "version", old);
			dkm_finding(ctx, DK_MAIL_AREA_SMTP, DK_MAIL_ERROR,
				    "smtp.tls_version_obsolete", v->name, ev,
				    "RFC 8996; RFC 8461 section 7.2",
				    "%s (%s) offers only %s: TLS 1.2 is the "
				    "least senders accept",
				    v->name, a->address, old);
			return;
		}
		dkm_set_str(ev, "reason", a->why);
		dkm_finding(ctx, DK_MAIL_AREA_SMTP,
			    v->tls_required || v->sts_enforce ? DK_MAIL_CRITICAL
							      : DK_MAIL_WARNING,
			    "smtp.tls_failed", v->name, ev,
			    R7672 "2.2; RFC 8461 section 4.2",
			    "the TLS handshake with %s (%s) failed: %s",
			    v->name, a->address, a->why ? a->why : "?");
		return;
	case DK_ADDR_PROTO_ERROR:
		ev = host_ev(h, v->name);
		dkm_set_str(ev, "ip", a->address);
		dkm_set_str(ev, "reason", a->why);
		dkm_set_str(ev, "banner", a->banner);
		dkm_finding(ctx, DK_MAIL_AREA_SMTP, DK_MAIL_WARNING,
			    "smtp.protocol_error", v->name, ev, "RFC 5321",
			    "the SMTP dialogue with %s (%s) went wrong: %s",
			    v->name, a->address, a->why ? a->why : "?");
		return;
	case DK_ADDR_UNREACHABLE:
	case DK_ADDR_TIMEOUT:
	case DK_ADDR_SKIPPED:
	case DK_ADDR_UNKNOWN:
		ev = host_ev(h, v->name);
		dkm_set_str(ev, "ip", a->address);
		dkm_set_str(ev, "reason",
			    a->status == DK_ADDR_SKIPPED ? "not probed"
			    : a->why			 ? a->why
							 : "unreachable");
		dkm_finding(ctx, DK_MAIL_AREA_SMTP, DK_MAIL_INFO,
			    "smtp.not_tested", v->name, ev, "RFC 3207",
			    "%s (%s) was not probed: %s", v->name, a->address,
			    a->status == DK_ADDR_SKIPPED
				    ? "the host is not usable (see the DANE "
				      "and MX findings)"
			    : a->why ? a->why
				     : "unreachable");
		return;
	default:
		break;
	}
	/* a handshake: the certificate */
	if (a->nchain == 0) {
		return;
	}
	for (size_t i = 0; i < dk_mail_value_count(seen_leaves); i++) {
		if (strcmp(dk_mail_value_string(
				   dk_mail_value_item(seen_leaves, i)),
			   a->chain[0].cert_sha256) == 0) {
			return; /* this host's certificate, said once */
		}
	}
	dkm_push_str(seen_leaves, a->chain[0].cert_sha256);
	usage = matched_usage(h, a->match_record);
	ee_auth = h->dane && a->status == DK_ADDR_VERIFIED && usage == 3;
	ta_dep = h->dane && (usage == 2 || (usage < 0 && v->ta_only));
	p = pkix_of(s, hi, ai, -1);
	{
		const struct dk_dane_cert *c = &a->chain[0];
		long life = (long)((c->not_after - c->not_before) / DAY);
		long left = (long)((c->not_after - at) / DAY);
		long warn = life / 3 < 30 ? life / 3 : 30;
		long err = life / 6 < 7 ? life / 6 : 7;
		const char *scope = v->sts_dep ? "mta_sts"
				    : ta_dep   ? "dane_ta"
					       : "pkix_only";
		int pkix_only = !v->sts_dep && !ta_dep;
		unsigned reasons = p ? p->reasons : 0;
		char when[32];
		struct tm tm;

		gmtime_r(&c->not_after, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		if (c->not_after <= at) {
			reasons |= DKM_CERT_EXPIRED;
		}
		if (pkix_only && (reasons & DKM_CERT_EXPIRED)) {
			ev = host_ev(h, v->name);
			dkm_set_str(ev, "ip", a->address);
			dkm_set_str(ev, "scope", "pkix_only");
			dkm_set_str(ev, "not_after", when);
			dkm_set_str(ev, "subject", c->subject);
			dkm_finding(ctx, DK_MAIL_AREA_SMTP,
				    ee_auth ? DK_MAIL_WARNING : DK_MAIL_ERROR,
				    "cert.expired", v->name, ev,
				    "RFC 5280 section 4.1.2.5",
				    "the certificate of %s expired on %s%s",
				    v->name, when,
				    ee_auth ? " (DANE-EE authenticates the "
					      "host regardless of dates)"
					    : "");
		} else if (c->not_after > at && left < warn) {
			int e = left < err;

			ev = host_ev(h, v->name);
			dkm_set_str(ev, "ip", a->address);
			dkm_set_str(ev, "scope", scope);
			dkm_set_int(ev, "days_left", left);
			dkm_set_int(ev, "lifetime_days", life);
			dkm_set_str(ev, "not_after", when);
			dkm_finding(ctx, DK_MAIL_AREA_SMTP,
				    e && !ee_auth ? DK_MAIL_ERROR
						  : DK_MAIL_WARNING,
				    "cert.expiring", v->name, ev,
				    "CA/B Forum SC-081",
				    "the certificate of %s expires in %ld "
				    "day%s (%s)",
				    v->name, left, left == 1 ? "" : "s", when);
		}
		if (pkix_only && (reasons & DKM_CERT_NAME)) {
			struct dk_mail_value *names = dkm_arr();

			for (size_t i = 0; i < c->nsans; i++) {
				dkm_push_str(names, c->sans[i]);
			}
			ev = host_ev(h, v->name);
			dkm_set_str(ev, "ip", a->address);
			dkm_set_str(ev, "scope", "pkix_only");
			dkm_set(ev, "names", names);
			dkm_finding(ctx, DK_MAIL_AREA_SMTP, DK_MAIL_INFO,
				    "cert.name_mismatch", v->name, ev,
				    "RFC 6125",
				    "the certificate of %s does not name it "
				    "(no MTA-STS policy or DANE-TA record "
				    "depends on it)",
				    v->name);
		}
		if (pkix_only && (reasons & DKM_CERT_UNTRUSTED)) {
			ev = host_ev(h, v->name);
			dkm_set_str(ev, "ip", a->address);
			dkm_set_str(ev, "scope", "pkix_only");
			dkm_set_str(ev, "issuer", c->issuer);
			dkm_finding(ctx, DK_MAIL_AREA_SMTP, DK_MAIL_INFO,
				    "cert.untrusted", v->name, ev,
				    "RFC 5280 section 6",
				    "the certificate of %s does not chain to "
				    "a trusted root%s (no MTA-STS policy or "
				    "DANE-TA record depends on it)",
				    v->name,
				    ctx->opts->https_ca ? " of --https-ca"
							: "");
		}
	}
}

/* DANE result at address @ai of DANE host @hi: 1 verified, 0 failed,
 * -1 not probed. */
static int addr_dane(struct dkm_ctx *ctx, const struct dkm_smtp *s,
		     const struct hostview *v, size_t hi, size_t ai)
{
	const struct dk_dane_host *h = v->h;
	const struct dk_dane_addr *a = dk_dane_host_addr(h, ai);
	const struct dkm_pkix *p = pkix_of(s, hi, ai, -1);
	struct dk_mail_value *ev;
	int ok = 1;

	switch (a->status) {
	case DK_ADDR_VERIFIED:
		break;
	case DK_ADDR_MISMATCH:
		ok = 0;
		ev = host_ev(h, v->name);
		dkm_set_str(ev, "ip", a->address);
		if (a->verify_code == X509_V_ERR_CERT_HAS_EXPIRED) {
			dkm_set_int(ev, "usage", 2);
			dkm_finding(ctx, DK_MAIL_AREA_DANE, DK_MAIL_CRITICAL,
				    "dane.cert_expired", v->name, ev,
				    R7672 "3.1.2",
				    "%s (%s): the DANE-TA chain holds an "
				    "expired certificate",
				    v->name, a->address);
		} else if (a->verify_code == X509_V_ERR_HOSTNAME_MISMATCH) {
			struct dk_mail_value *ids = dkm_arr();
			char b[300];

			dkm_push_str(ids,
				     bare(h->tlsa_base ? h->tlsa_base : h->name,
					  b, sizeof(b)));
			if (h->cname) {
				dkm_push_str(
					ids,
					bare(strcasecmp(h->cname,
							h->tlsa_base
								? h->tlsa_base
								: "") == 0
						     ? h->name
						     : h->cname,
					     b, sizeof(b)));
			}
			dkm_push_str(ids, ctx->domain);
			dkm_set(ev, "reference_ids", ids);
			if (p && p->names_domain) {
				dkm_finding(
					ctx, DK_MAIL_AREA_DANE, DK_MAIL_WARNING,
					"dane.ta_nexthop_only", v->name, ev,
					R7672 "3.2.2",
					"%s (%s): the certificate names the "
					"next-hop domain %s but not the MX "
					"host: only senders that also accept "
					"the next-hop domain authenticate it",
					v->name, a->address, ctx->domain);
				ok = 1;
			} else {
				dkm_finding(
					ctx, DK_MAIL_AREA_DANE,
					DK_MAIL_CRITICAL,
					"dane.name_check_failed", v->name, ev,
					R7672 "3.2.2",
					"%s (%s): a DANE-TA record matches, "
					"but the certificate has none of "
					"the reference names",
					v->name, a->address);
			}
		} else {
			int ta_missing =
				v->ta_only &&
				engine_finding(s->rep, (long)hi,
					       "tlsa-ta-not-sent") != NULL;

			dkm_set_str(ev, "reason",
				    ta_missing ? "ta_not_in_chain"
					       : "no_matching_record");
			dkm_set_str(ev, "openssl", a->verify_text);
			if (a->nchain) {
				dkm_set_str(ev, "leaf_spki_sha256",
					    a->chain[0].spki_sha256);
			}
			dkm_finding(ctx, DK_MAIL_AREA_DANE, DK_MAIL_CRITICAL,
				    "dane.mismatch", v->name, ev, R7672 "3.2",
				    "%s (%s) presents a chain %s", v->name,
				    a->address,
				    ta_missing ? "without the DANE-TA "
						 "certificate its records name"
						 " (the server must send it)"
					       : "no usable TLSA record "
						 "matches: DANE senders defer "
						 "the mail");
		}
		break;
	case DK_ADDR_NO_STARTTLS:
	case DK_ADDR_TLS_FAILED:
	case DK_ADDR_PROTO_ERROR:
		return 0; /* smtp.* says it, critical */
	default:
		return -1;
	}
	for (size_t j = 0; j < a->nalts; j++) {
		const struct dk_dane_alt *al = dk_dane_addr_alt(a, j);

		if (al->status == DK_ADDR_VERIFIED) {
			continue;
		}
		ok = 0;
		ev = host_ev(h, v->name);
		dkm_set_str(ev, "ip", a->address);
		dkm_set_str(ev, "reason", "no_matching_record");
		dkm_set_str(ev, "key_type", al->key_type);
		dkm_finding(ctx, DK_MAIL_AREA_DANE, DK_MAIL_CRITICAL,
			    "dane.mismatch", v->name, ev, R7672 "3.2",
			    "%s (%s): clients that prefer %s get a "
			    "certificate no usable TLSA record matches",
			    v->name, a->address, al->key_type);
	}
	return ok;
}

static struct dk_mail_value *host_record(const struct dk_dane_host *h,
					 const struct dkm_smtp *s, size_t hi)
{
	struct dk_mail_value *o = dkm_obj(), *recs = dkm_arr(),
			     *addrs = dkm_arr();

	dkm_set_str(o, "host", h->name);
	dkm_set_str(o, "cname", h->cname);
	dkm_set_str(o, "dnssec_addresses",
		    dk_dnssec_status_name(h->addr_status));
	dkm_set_str(o, "tlsa_owner", h->tlsa_owner);
	dkm_set_str(o, "tlsa_base", h->tlsa_base);
	dkm_set_str(o, "dnssec_tlsa",
		    h->tlsa_owner ? dk_dnssec_status_name(h->tlsa_status)
				  : NULL);
	for (size_t i = 0; i < h->nrecords; i++) {
		const struct dk_dane_record *r = dk_dane_host_record(h, i);
		struct dk_mail_value *ro = dkm_obj();
		char *t = record_text(r->tlsa);

		dkm_set_str(ro, "record", t);
		dkm_set_bool(ro, "usable", r->usable);
		dkm_set_int(ro, "matches", (int64_t)r->matches);
		dkm_push(recs, ro);
		free(t);
	}
	dkm_set(o, "tlsa", recs);
	dkm_set_bool(o, "dane", h->dane);
	dkm_set_str(o, "verdict", dk_dane_verdict_name(h->verdict));
	dkm_set_str(o, "why", h->why);
	for (size_t i = 0; i < h->naddrs; i++) {
		const struct dk_dane_addr *a = dk_dane_host_addr(h, i);
		const struct dkm_pkix *p = pkix_of(s, hi, i, -1);
		struct dk_mail_value *ao = dkm_obj(), *chain = dkm_arr();

		dkm_set_str(ao, "ip", a->address);
		dkm_set_int(ao, "port", a->port);
		dkm_set_str(ao, "status", dk_dane_addr_status_name(a->status));
		dkm_set_str(ao, "why", a->why);
		dkm_set_str(ao, "banner", a->banner);
		dkm_set_str(ao, "tls_version", a->tls_version);
		dkm_set_str(ao, "cipher", a->cipher);
		dkm_set_str(ao, "dane_verify", a->verify_text);
		for (size_t j = 0; j < a->nchain; j++) {
			const struct dk_dane_cert *c = dk_dane_addr_cert(a, j);
			struct dk_mail_value *co = dkm_obj(), *sans = dkm_arr();
			char nb[32], na[32];
			struct tm tm;

			gmtime_r(&c->not_before, &tm);
			strftime(nb, sizeof(nb), "%Y-%m-%dT%H:%M:%SZ", &tm);
			gmtime_r(&c->not_after, &tm);
			strftime(na, sizeof(na), "%Y-%m-%dT%H:%M:%SZ", &tm);
			for (size_t k = 0; k < c->nsans; k++) {
				dkm_push_str(sans, c->sans[k]);
			}
			dkm_set_str(co, "subject", c->subject);
			dkm_set_str(co, "issuer", c->issuer);
			dkm_set(co, "names", sans);
			dkm_set_str(co, "not_before", nb);
			dkm_set_str(co, "not_after", na);
			dkm_set_str(co, "spki_sha256", c->spki_sha256);
			dkm_push(chain, co);
		}
		dkm_set(ao, "chain", chain);
		if (p) {
			dkm_set(ao, "pkix",
				p->reasons ? dkm_cert_reasons(p->reasons)
					   : dkm_str("valid"));
		}
		dkm_push(addrs, ao);
	}
	dkm_set(o, "addresses", addrs);
	return o;
}

void dkm_smtp_area(struct dkm_ctx *ctx)
{
	const struct dkm_smtp *s = dkm_smtp_get(ctx);
	const struct dk_dane_report *r;
	struct dk_mail_value *rec, *hosts, *unprotected, *ev;
	size_t ndane = 0, nother = 0;
	int mx_insecure;

	if (!s) {
		return;
	}
	rec = dkm_obj();
	dkm_set(ctx->records, "smtp", rec);
	dkm_set_bool(rec, "probed", !ctx->opts->no_connect);
	dkm_set_int(rec, "port",
		    ctx->opts->connect_port ? ctx->opts->connect_port : 25);
	r = s->rep;
	if (!r) {
		dkm_set_str(rec, "error", s->why);
		ev = dkm_obj();
		dkm_set_str(ev, "dnssec", "indeterminate");
		dkm_set_str(ev, "reason", s->why);
		dkm_finding(ctx, DK_MAIL_AREA_SMTP, DK_MAIL_INFO,
			    "smtp.not_tested", NULL, ev, "RFC 3207",
			    "the MX hosts were not probed: %s", s->why);
		return;
	}
	dkm_set_str(rec, "mx_dnssec", dk_dnssec_status_name(r->mx_status));
	dkm_set_str(rec, "verdict", dk_dane_verdict_name(r->verdict));
	dkm_set_str(rec, "why", r->why);
	hosts = dkm_arr();
	dkm_set(rec, "hosts", hosts);
	/* MX lookup failures, bogus MX, null MX, NXDOMAIN: the MX area */
	if (r->nhosts == 0) {
		return;
	}
	mx_insecure = r->mx_status == DK_DNSSEC_INSECURE;
	unprotected = dkm_arr();
	for (size_t hi = 0; hi < r->nhosts; hi++) {
		const struct dk_dane_host *h = dk_dane_report_host(r, hi);
		struct hostview v = { 0 };
		struct dk_mail_value *leaves = dkm_arr();
		size_t verified = 0, failed = 0, untested = 0;
		int secure_tlsa;

		v.h = h;
		bare(h->name, v.name, sizeof(v.name));
		dkm_push(hosts, host_record(h, s, hi));
		v.sts_dep = ctx->sts.policy && ctx->sts.mode != DKM_STS_NONE &&
			    sts_covers(ctx, v.name);
		v.sts_enforce = v.sts_dep && ctx->sts.mode == DKM_STS_ENFORCE;
		secure_tlsa = !mx_insecure && h->tlsa_owner &&
			      h->tlsa_status == DK_DNSSEC_SECURE &&
			      h->nrecords > 0;
		v.tls_required = secure_tlsa;
		v.ta_only = h->nusable > 0;
		for (size_t i = 0; i < h->nrecords; i++) {
			const struct dk_dane_record *dr =
				dk_dane_host_record(h, i);

			if (dr->usable && dk_tlsa_usage(dr->tlsa) != 2) {
				v.ta_only = 0;
			}
		}
		if (secure_tlsa) {
			ctx->dane_deployed = 1;
		}
		/* DANE: does it apply, and how did it go */
		if (h->ip_literal || h->addr_status == DK_DNSSEC_BOGUS) {
			/* the MX area: mx.target_ip_literal, mx.target_bogus */
		} else if (mx_insecure) {
			ev = host_ev(h, v.name);
			dkm_set_str(ev, "reason", "mx_insecure");
			dkm_set_str(ev, "dnssec",
				    dk_dnssec_status_name(r->mx_status));
			dkm_finding(
				ctx, DK_MAIL_AREA_DANE, DK_MAIL_INFO,
				"dane.not_applicable", v.name, ev, R7672 "2.2",
				"DANE does not apply to %s: the MX RRset of "
				"%s is insecure",
				v.name, ctx->domain);
		} else if (h->tlsa_error ||
			   (h->tlsa_owner &&
			    h->tlsa_status == DK_DNSSEC_BOGUS) ||
			   engine_finding(r, (long)hi,
					  "tlsa-chain-disagrees")) {
			ev = host_ev(h, v.name);
			dkm_set_str(ev, "state",
				    h->tlsa_status == DK_DNSSEC_BOGUS
					    ? "bogus"
					    : "indeterminate");
			dkm_set_str(ev, "owner", h->tlsa_owner);
			dkm_set_str(ev, "why", h->tlsa_why);
			dkm_finding(ctx, DK_MAIL_AREA_DANE, DK_MAIL_CRITICAL,
				    "dane.tlsa_lookup_failed", v.name, ev,
				    R7672 "2.1.1",
				    "the TLSA lookup of %s is %s: DANE senders "
				    "defer the mail to %s",
				    h->tlsa_owner ? h->tlsa_owner : v.name,
				    h->tlsa_status == DK_DNSSEC_BOGUS
					    ? "bogus"
					    : "failed",
				    v.name);
			failed++;
		} else if (!h->tlsa_owner ||
			   (h->tlsa_status != DK_DNSSEC_SECURE &&
			    h->nrecords == 0)) {
			int chain = engine_finding(
					    r, (long)hi,
					    "cname-leaves-signed-zone") != NULL;

			ev = host_ev(h, v.name);
			dkm_set_str(ev, "reason",
				    chain ? "address_chain_insecure"
					  : "host_insecure");
			dkm_finding(ctx, DK_MAIL_AREA_DANE, DK_MAIL_INFO,
				    "dane.not_applicable", v.name, ev,
				    R7672 "2.2",
				    "DANE does not apply to %s: %s", v.name,
				    chain ? "its address chain leaves the "
					    "signed zone"
					  : "its address records are insecure");
			dkm_push_str(unprotected, v.name);
			nother++;
		} else if (h->tlsa_status != DK_DNSSEC_SECURE) {
			ev = host_ev(h, v.name);
			dkm_set_str(ev, "owner", h->tlsa_owner);
			dkm_finding(ctx, DK_MAIL_AREA_DANE, DK_MAIL_INFO,
				    "dane.tlsa_insecure_ignored", v.name, ev,
				    R7672 "2.2",
				    "the TLSA records %s are insecure: "
				    "senders ignore them",
				    h->tlsa_owner);
			dkm_push_str(unprotected, v.name);
			nother++;
		} else if (h->nrecords == 0) {
			int chain = engine_finding(
					    r, (long)hi,
					    "cname-leaves-signed-zone") != NULL;

			ev = host_ev(h, v.name);
			dkm_set_str(ev, "reason",
				    chain ? "address_chain_insecure"
					  : "no_tlsa");
			dkm_finding(
				ctx, DK_MAIL_AREA_DANE, DK_MAIL_INFO,
				"dane.not_applicable", v.name, ev, R7672 "2.2",
				"DANE does not apply to %s: no TLSA records "
				"at %s",
				v.name, h->tlsa_owner);
			dkm_push_str(unprotected, v.name);
			nother++;
		} else {
			lint_records(ctx, s, &v, (long)hi);
			if (h->nusable == 0) {
				dkm_finding(ctx, DK_MAIL_AREA_DANE,
					    DK_MAIL_WARNING,
					    "dane.unusable_only", v.name,
					    host_ev(h, v.name), R7672 "2.2",
					    "%s has TLSA records but none is "
					    "usable for SMTP: TLS is mandatory "
					    "but not authenticated",
					    h->tlsa_owner);
				dkm_push_str(unprotected, v.name);
				nother++;
			}
		}
		/* every address: SMTP, TLS, certificate, DANE match */
		for (size_t ai = 0; ai < h->naddrs; ai++) {
			if (ctx->opts->no_connect) {
				break;
			}
			addr_area(ctx, s, &v, hi, ai, leaves);
			if (h->dane) {
				int d = addr_dane(ctx, s, &v, hi, ai);

				verified += d == 1;
				failed += d == 0;
				untested += d < 0;
			}
		}
		dkm_value_free(leaves);
		if (ctx->opts->no_connect) {
			ev = host_ev(h, v.name);
			dkm_set_str(ev, "reason", "--no-connect");
			dkm_finding(ctx, DK_MAIL_AREA_SMTP, DK_MAIL_INFO,
				    "smtp.not_tested", v.name, ev, "RFC 3207",
				    "%s was not probed (--no-connect)", v.name);
		}
		if (h->dane) {
			ndane++;
			if (failed == 0 && verified > 0) {
				struct dk_mail_value *m = dkm_arr();
				char bb[300];

				for (size_t i = 0; i < h->nrecords; i++) {
					const struct dk_dane_record *dr =
						dk_dane_host_record(h, i);
					char *t;

					if (!dr->matches) {
						continue;
					}
					t = record_text(dr->tlsa);
					dkm_push_str(m, t);
					free(t);
				}
				ev = host_ev(h, v.name);
				dkm_set_int(ev, "addresses", (int64_t)verified);
				dkm_set_str(ev, "base_domain",
					    bare(h->tlsa_base ? h->tlsa_base
							      : h->name,
						 bb, sizeof(bb)));
				dkm_set(ev, "matched", m);
				dkm_finding(ctx, DK_MAIL_AREA_DANE,
					    DK_MAIL_INFO, "dane.pass", v.name,
					    ev, R7672 "3",
					    "DANE authenticates %s at %zu "
					    "address%s",
					    v.name, verified,
					    verified == 1 ? "" : "es");
			} else if (failed == 0) {
				dkm_finding(ctx, DK_MAIL_AREA_DANE,
					    DK_MAIL_INFO, "dane.dns_ok", v.name,
					    host_ev(h, v.name), R7672 "2",
					    "the DNS side of DANE for %s is "
					    "sound (no connection was made)",
					    v.name);
			}
			if (failed && v.sts_dep && ctx->sts.policy) {
				unsigned reasons = 0;

				if (dkm_smtp_host_cert(s, v.name, &reasons,
						       NULL) &&
				    !reasons) {
					dkm_finding(
						ctx, DK_MAIL_AREA_DANE,
						DK_MAIL_INFO,
						"dane.sts_cannot_override",
						v.name, host_ev(h, v.name),
						"RFC 8461 section 2",
						"DANE fails for %s; its "
						"MTA-STS policy would pass, "
						"but senders must not let it "
						"override a DANE failure",
						v.name);
				}
			}
		}
	}
	if (ndane && nother) {
		ev = dkm_obj();
		dkm_set(ev, "unprotected", unprotected);
		dkm_set_str(ev, "dnssec", dk_dnssec_status_name(r->mx_status));
		dkm_finding(ctx, DK_MAIL_AREA_DANE, DK_MAIL_WARNING,
			    "dane.partial_coverage", NULL, ev, R7672 "2.2.1",
			    "%zu of %zu MX hosts have no DANE: a downgrade "
			    "path",
			    nother, ndane + nother);
	} else {
		dkm_value_free(unprotected);
	}
}
