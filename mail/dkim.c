/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DKIM key records (RFC 6376 section 3.6, RFC 8301, RFC 8463) of the
 * declared selectors, and what DNS alone tells without selectors
 * (RFC 8020: _domainkey.<domain> NXDOMAIN).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mail/internal.h"

#define R6376(s) "RFC 6376 section " s

static void selector(struct dkm_ctx *ctx, const char *sel,
		     struct dk_mail_value *arr)
{
	char *name = NULL;
	const struct dkm_q *q;
	struct dkm_txt t;
	struct dkm_dkim_key k;
	struct dk_mail_value *o, *ev, *recs;
	const char *algo;

	if (asprintf(&name, "%s._domainkey.%s", sel, ctx->domain) < 0) {
		ctx->oom = 1;
		return;
	}
	q = dkm_get(ctx, name, LDNS_RR_TYPE_TXT);
	if (!q) {
		free(name);
		return;
	}
	o = dkm_obj();
	dkm_set_str(o, "selector", sel);
	dkm_set_str(o, "name", name);
	dkm_set_str(o, "dnssec", dkm_status(q));
	dkm_set_str(o, "rcode", dkm_rcode(q));
	dkm_push(arr, o);
	if (dkm_failed(q)) {
		ev = dkm_ev(q);
		dkm_set_str(ev, "rcode", dkm_rcode(q));
		dkm_finding(
			ctx, DK_MAIL_AREA_DKIM,
			dkm_status_enum(q) == DK_DNSSEC_BOGUS ? DK_MAIL_ERROR
							      : DK_MAIL_WARNING,
			"dkim.temperror", name, ev, R6376("6.1.2"),
			"the key record at %s could not be read (%s)", name,
			dkm_status_enum(q) == DK_DNSSEC_BOGUS ? "bogus"
							      : dkm_rcode(q));
		free(name);
		return;
	}
	if (dkm_txt(q, &t) < 0) {
		ctx->oom = 1;
		free(name);
		return;
	}
	recs = dkm_arr();
	for (size_t i = 0; i < t.n; i++) {
		dkm_push_str(recs, t.rec[i]);
	}
	dkm_set(o, "records", recs);
	if (t.n == 0) {
		ev = dkm_ev(q);
		dkm_set_str(ev, "rcode", dkm_rcode(q));
		dkm_finding(ctx, DK_MAIL_AREA_DKIM, DK_MAIL_ERROR,
			    "dkim.missing", name, ev, R6376("3.6.2.1"),
			    "selector %s has no key record at %s", sel, name);
		goto out;
	}
	if (t.n > 1) {
		ev = dkm_ev(q);
		dkm_set_int(ev, "records", (int64_t)t.n);
		dkm_finding(ctx, DK_MAIL_AREA_DKIM, DK_MAIL_ERROR,
			    "dkim.multiple_records", name, ev, R6376("3.6.2.2"),
			    "%zu TXT records at %s: verifiers may pick any",
			    t.n, name);
		goto out;
	}
	if (dkm_dkim_parse(t.rec[0], &k) == DK_ENOMEM) {
		ctx->oom = 1;
		goto out;
	}
	algo = k.k;
	dkm_set_str(o, "algorithm", algo);
	if (k.bits) {
		dkm_set_int(o, "bits", k.bits);
	}
	if (k.decoded_len >= 0) {
		dkm_set_int(o, "decoded_len", k.decoded_len);
	}
	if (k.version_not_first || k.bad_version) {
		ev = dkm_ev(q);
		dkm_finding(ctx, DK_MAIL_AREA_DKIM, DK_MAIL_ERROR,
			    "dkim.version_not_first", name, ev, R6376("3.6.1"),
			    k.bad_version ? "v= is not DKIM1: the key record "
					    "is discarded"
					  : "v= is not the first tag: the key "
					    "record is discarded");
	}
	if (k.revoked) {
		dkm_finding(ctx, DK_MAIL_AREA_DKIM, DK_MAIL_ERROR,
			    "dkim.revoked", name, dkm_ev(q),
			    R6376("3.6.1") "; " R6376("6.1.2"),
			    "selector %s is revoked (empty p=) but declared "
			    "in use",
			    sel);
		goto out;
	}
	if (k.ed25519_format) {
		ev = dkm_ev(q);
		dkm_set_int(ev, "decoded_len", k.decoded_len);
		dkm_finding(ctx, DK_MAIL_AREA_DKIM, DK_MAIL_ERROR,
			    "dkim.ed25519_key_format", name, ev,
			    "RFC 8463 section 4",
			    "k=ed25519 but p= is %ld bytes, not the 32 raw "
			    "bytes of the key (an SPKI?)",
			    k.decoded_len);
		goto out;
	}
	if (k.key_invalid) {
		ev = dkm_ev(q);
		dkm_set_str(ev, "why", k.why);
		dkm_finding(ctx, DK_MAIL_AREA_DKIM, DK_MAIL_ERROR,
			    "dkim.key_invalid", name, ev, R6376("3.6.1"),
			    "the key of %s is unusable: %s", name, k.why);
		goto out;
	}
	if (strcmp(algo, "rsa") == 0 && k.bits < 1024) {
		ev = dkm_ev(q);
		dkm_set_int(ev, "bits", k.bits);
		dkm_finding(ctx, DK_MAIL_AREA_DKIM, DK_MAIL_ERROR,
			    "dkim.rsa_too_short", name, ev,
			    "RFC 8301 section 3.2",
			    "RSA key of %d bits: verifiers must reject keys "
			    "under 1024 bits",
			    k.bits);
	} else if (strcmp(algo, "rsa") == 0 && k.bits < 2048) {
		ev = dkm_ev(q);
		dkm_set_int(ev, "bits", k.bits);
		dkm_finding(ctx, DK_MAIL_AREA_DKIM, DK_MAIL_WARNING,
			    "dkim.rsa_weak", name, ev, "RFC 8301 section 3.2",
			    "RSA key of %d bits (use 2048 or more)", k.bits);
	}
	if (k.testing) {
		dkm_finding(ctx, DK_MAIL_AREA_DKIM, DK_MAIL_WARNING,
			    "dkim.testing_flag", name, dkm_ev(q),
			    R6376("3.6.1"),
			    "t=y: verifiers treat mail signed with %s as "
			    "unsigned",
			    sel);
	}
	if (k.sha1_only) {
		dkm_finding(ctx, DK_MAIL_AREA_DKIM, DK_MAIL_ERROR,
			    "dkim.sha1_only", name, dkm_ev(q),
			    "RFC 8301 section 3.1",
			    "h=sha1 only: signatures with this key are "
			    "unusable since RFC 8301");
	}
	if (!k.email_ok) {
		ev = dkm_ev(q);
		dkm_set_str(ev, "services", k.services);
		dkm_set_bool(ev, "usable_for_email", false);
		dkm_finding(ctx, DK_MAIL_AREA_DKIM, DK_MAIL_INFO,
			    "dkim.service_restricted", name, ev, R6376("3.6.1"),
			    "s=%s: the key is not for email", k.services);
	}
	if (!k.version_not_first && !k.bad_version && !k.sha1_only &&
	    k.email_ok && !(strcmp(algo, "rsa") == 0 && k.bits < 1024)) {
		ev = dkm_ev(q);
		dkm_set_str(ev, "algorithm",
			    strcmp(algo, "rsa") == 0 ? "rsa" : "ed25519");
		dkm_set_int(ev, "bits", k.bits);
		dkm_finding(ctx, DK_MAIL_AREA_DKIM, DK_MAIL_INFO, "dkim.key_ok",
			    name, ev, R6376("3.6.1"),
			    "selector %s: usable %s key of %d bits", sel, algo,
			    k.bits);
	}
out:
	dkm_txt_free(&t);
	free(name);
}

void dkm_dkim(struct dkm_ctx *ctx)
{
	struct dk_mail_value *rec = dkm_obj(), *arr = dkm_arr();
	const struct dkm_q *base;
	char *name = NULL;

	dkm_set(ctx->records, "dkim", rec);
	if (asprintf(&name, "_domainkey.%s", ctx->domain) < 0) {
		ctx->oom = 1;
		return;
	}
	base = dkm_get(ctx, name, LDNS_RR_TYPE_TXT);
	if (base) {
		struct dk_mail_value *b = dkm_obj();

		dkm_set_str(b, "name", name);
		dkm_set_str(b, "rcode", dkm_rcode(base));
		dkm_set_str(b, "dnssec", dkm_status(base));
		dkm_set(rec, "base", b);
		if (!dkm_failed(base) && dk_answer_nxdomain(base->ans)) {
			dkm_finding(ctx, DK_MAIL_AREA_DKIM, DK_MAIL_INFO,
				    "dkim.none_possible", name, dkm_ev(base),
				    "RFC 8020",
				    "%s does not exist (NXDOMAIN): no DKIM "
				    "selector can exist below it",
				    name);
		} else if (ctx->opts->ndkim_selectors == 0) {
			dkm_finding(ctx, DK_MAIL_AREA_DKIM, DK_MAIL_INFO,
				    "dkim.no_selector", name, dkm_ev(base),
				    "RFC 6376 section 3.6.2.1",
				    "no selector given (--dkim-selector): DKIM "
				    "keys not checked");
		}
	}
	for (size_t i = 0; i < ctx->opts->ndkim_selectors; i++) {
		char *sel = dkm_name(ctx->opts->dkim_selectors[i]);

		if (sel) {
			selector(ctx, sel, arr);
		}
		free(sel);
	}
	dkm_set(rec, "selectors", arr);
	free(name);
}
