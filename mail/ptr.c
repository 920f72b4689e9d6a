/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Reverse DNS of the sending addresses: forward-confirmed reverse DNS
 * (RFC 8601 section 3, "iprev"), IPv4 and IPv6.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mail/internal.h"

#define R8601 "RFC 8601 section 3"
#define MAX_PTR 10 /* names checked per address, as SPF's ptr */

/* 1 when @q (A or AAAA) holds @addr, collecting addresses into @fwd. */
static int holds(const struct dkm_q *q, const uint8_t *addr, size_t len,
		 struct dk_mail_value *fwd)
{
	const ldns_rr_list *l;
	int found = 0;

	if (!dkm_has_data(q)) {
		return 0;
	}
	l = dki_answer_get0_rrset(q->ans);
	for (size_t i = 0; i < ldns_rr_list_rr_count(l); i++) {
		const ldns_rdf *d = ldns_rr_rdf(ldns_rr_list_rr(l, i), 0);
		char text[INET6_ADDRSTRLEN];

		if (!d || ldns_rdf_size(d) != len) {
			continue;
		}
		if (inet_ntop(len == 4 ? AF_INET : AF_INET6, ldns_rdf_data(d),
			      text, sizeof(text))) {
			dkm_push_str(fwd, text);
		}
		if (memcmp(ldns_rdf_data(d), addr, len) == 0) {
			found = 1;
		}
	}
	return found;
}

void dkm_ptr(struct dkm_ctx *ctx)
{
	struct dk_mail_value *arr = dkm_arr(), *confirmed = dkm_arr(), *ev;
	struct dk_mail_value *passed = dkm_arr();
	enum dk_dnssec_status worst = DK_DNSSEC_SECURE;
	size_t npass = 0;

	dkm_set(ctx->records, "ptr", arr);
	for (size_t i = 0; i < ctx->opts->nsending_ips; i++) {
		const char *ip = ctx->opts->sending_ips[i];
		uint8_t addr[16];
		char rev[128];
		int fam = dkm_reverse_name(ip, addr, rev, sizeof(rev));
		const struct dkm_q *q;
		struct dk_mail_value *o, *names, *fwd;
		const ldns_rr_list *l;
		enum dk_dnssec_status wip;
		size_t n, ok = 0;
		int pending = 0;

		if (fam < 0) {
			continue;
		}
		q = dkm_get(ctx, rev, LDNS_RR_TYPE_PTR);
		if (!q) {
			continue;
		}
		wip = dkm_status_enum(q);
		o = dkm_obj();
		dkm_set_str(o, "ip", ip);
		dkm_set_str(o, "name", rev);
		dkm_set_str(o, "dnssec", dkm_status(q));
		dkm_push(arr, o);
		if (dkm_failed(q)) {
			ev = dkm_ev(q);
			dkm_set_str(ev, "ip", ip);
			dkm_set_str(ev, "result", "temperror");
			dkm_finding(ctx, DK_MAIL_AREA_PTR, DK_MAIL_WARNING,
				    "ptr.temperror", ip, ev, R8601,
				    "the PTR lookup of %s failed (%s)", ip,
				    dkm_status_enum(q) == DK_DNSSEC_BOGUS
					    ? "bogus"
					    : dkm_rcode(q));
			continue;
		}
		l = dki_answer_get0_rrset(q->ans);
		n = ldns_rr_list_rr_count(l);
		if (n == 0) {
			ev = dkm_ev(q);
			dkm_set_str(ev, "ip", ip);
			dkm_set_str(ev, "rcode", dkm_rcode(q));
			dkm_finding(ctx, DK_MAIL_AREA_PTR, DK_MAIL_ERROR,
				    "ptr.missing", ip, ev, R8601,
				    "%s has no PTR record (%s)", ip, rev);
			continue;
		}
		if (n > 1) {
			ev = dkm_ev(q);
			dkm_set_str(ev, "ip", ip);
			dkm_set_int(ev, "count", (int64_t)n);
			dkm_finding(ctx, DK_MAIL_AREA_PTR, DK_MAIL_WARNING,
				    "ptr.multiple", ip, ev,
				    "RFC 1912 section 2.1",
				    "%s has %zu PTR records (receivers may "
				    "check any one)",
				    ip, n);
		}
		names = dkm_arr();
		fwd = dkm_arr();
		for (size_t j = 0; j < n && j < MAX_PTR; j++) {
			char *raw = ldns_rdf2str(
				ldns_rr_rdf(ldns_rr_list_rr(l, j), 0));
			char *h = dkm_name(raw);
			const struct dkm_q *f;

			free(raw);
			if (!h) {
				continue;
			}
			dkm_push_str(names, h);
			f = dkm_get(ctx, h,
				    fam == 4 ? LDNS_RR_TYPE_A
					     : LDNS_RR_TYPE_AAAA);
			if (!f) {
				pending = 1;
			} else if (holds(f, addr, fam == 4 ? 4 : 16, fwd)) {
				int dup = 0;

				ok++;
				for (size_t k = 0;
				     k < dk_mail_value_count(confirmed); k++) {
					if (strcmp(dk_mail_value_string(
							   dk_mail_value_item(
								   confirmed,
								   k)),
						   h) == 0) {
						dup = 1;
					}
				}
				if (!dup) {
					dkm_push_str(confirmed, h);
				}
				if (dkm_status_enum(f) < wip) {
					wip = dkm_status_enum(f);
				}
			}
			free(h);
		}
		dkm_set(o, "ptr", dkm_value_dup(names));
		dkm_set(o, "forward", dkm_value_dup(fwd));
		dkm_set_bool(o, "confirmed", ok > 0);
		if (pending) {
			dkm_value_free(names);
			dkm_value_free(fwd);
			continue;
		}
		if (ok == 0) {
			ev = dkm_ev(q);
			dkm_set_str(ev, "ip", ip);
			dkm_set(ev, "ptr", names);
			dkm_set(ev, "forward", fwd);
			dkm_finding(ctx, DK_MAIL_AREA_PTR, DK_MAIL_ERROR,
				    "ptr.fcrdns_mismatch", ip, ev, R8601,
				    "no PTR name of %s resolves back to it",
				    ip);
		} else {
			npass++;
			if (wip < worst) {
				worst = wip;
			}
			dkm_push_str(passed, ip);
			dkm_value_free(names);
			dkm_value_free(fwd);
		}
	}
	if (npass > 0) {
		ev = dkm_obj();
		dkm_set_str(ev, "dnssec", dk_dnssec_status_name(worst));
		dkm_set_int(ev, "count", (int64_t)npass);
		dkm_set(ev, "confirmed_by", confirmed);
		dkm_set(ev, "addresses", passed);
		dkm_finding(ctx, DK_MAIL_AREA_PTR, DK_MAIL_INFO,
			    "ptr.fcrdns_pass", NULL, ev, R8601,
			    "%zu of %zu sending address(es) have forward-"
			    "confirmed reverse DNS",
			    npass, ctx->opts->nsending_ips);
	} else {
		dkm_value_free(confirmed);
		dkm_value_free(passed);
	}
}
