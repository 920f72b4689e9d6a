/* SPDX-License-Identifier: BSD-3-Clause */
/* MX (RFC 5321 section 5.1, RFC 7505 null MX, RFC 2181 section 10.3). */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mail/internal.h"

#define R5321 "RFC 5321 section 5.1"
#define R7505 "RFC 7505 section 3"

/*
 * Special-purpose addresses (RFC 6890 and its IANA registries): none of
 * them is reachable from the internet as a mail exchange.
 */
static int special_v4(const uint8_t a[4])
{
	uint32_t x = (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 |
		     (uint32_t)a[2] << 8 | a[3];
	static const struct {
		uint32_t net;
		int len;
	} nets[] = {
		{ 0x00000000, 8 },  { 0x0a000000, 8 },	{ 0x64400000, 10 },
		{ 0x7f000000, 8 },  { 0xa9fe0000, 16 }, { 0xac100000, 12 },
		{ 0xc0000000, 24 }, { 0xc0000200, 24 }, { 0xc0586300, 24 },
		{ 0xc0a80000, 16 }, { 0xc6120000, 15 }, { 0xc6336400, 24 },
		{ 0xcb007100, 24 }, { 0xe0000000, 4 },	{ 0xf0000000, 4 },
	};

	for (size_t i = 0; i < sizeof(nets) / sizeof(nets[0]); i++) {
		uint32_t mask = 0xffffffffu << (32 - nets[i].len);

		if ((x & mask) == nets[i].net) {
			return 1;
		}
	}
	return 0;
}

static int special_v6(const uint8_t a[16])
{
	static const uint8_t zero[16] = { 0 };

	if (memcmp(a, zero, 15) == 0 && (a[15] == 0 || a[15] == 1)) {
		return 1; /* :: and ::1 */
	}
	if (memcmp(a, zero, 10) == 0 && a[10] == 0xff && a[11] == 0xff) {
		return special_v4(a + 12); /* IPv4-mapped */
	}
	if ((a[0] & 0xfe) == 0xfc || a[0] == 0xff ||
	    (a[0] == 0xfe && (a[1] & 0xc0) == 0x80)) {
		return 1; /* ULA, multicast, link-local */
	}
	if (a[0] == 0x20 && a[1] == 0x01 && a[2] == 0x0d && a[3] == 0xb8) {
		return 1; /* documentation */
	}
	if (a[0] == 0x20 && a[1] == 0x01 && a[2] == 0x00 && a[3] < 0x02) {
		return 1; /* 2001::/23 IETF protocol assignments (approx.) */
	}
	if (a[0] == 0x01 && a[1] == 0x00 && memcmp(a + 2, zero, 6) == 0) {
		return 1; /* discard-only 100::/64 */
	}
	return 0;
}

/* 1 when @name (no trailing dot) is written like an IPv4/IPv6 address. */
static int ip_literal(const char *name)
{
	uint8_t buf[16];
	char tmp[64];
	size_t n = strlen(name);

	if (n == 0 || n >= sizeof(tmp)) {
		return 0;
	}
	memcpy(tmp, name, n + 1);
	if (tmp[0] == '[' && tmp[n - 1] == ']') {
		memmove(tmp, tmp + 1, n - 2);
		tmp[n - 2] = '\0';
	}
	return inet_pton(AF_INET, tmp, buf) == 1 ||
	       inet_pton(AF_INET6, tmp, buf) == 1;
}

/* The addresses of @q (A or AAAA) into @arr; count of special ones
 * (those in an --allow-private network are not, and go to @allowed). */
static size_t addresses(struct dkm_ctx *ctx, const struct dkm_q *q,
			struct dk_mail_value *arr, size_t *total,
			struct dk_mail_value *allowed)
{
	size_t special = 0;

	if (!dkm_has_data(q)) {
		return 0;
	}
	for (size_t i = 0;
	     i < ldns_rr_list_rr_count(dki_answer_get0_rrset(q->ans)); i++) {
		const ldns_rr *rr =
			ldns_rr_list_rr(dki_answer_get0_rrset(q->ans), i);
		const ldns_rdf *d = ldns_rr_rdf(rr, 0);
		char text[INET6_ADDRSTRLEN];
		int v6 = ldns_rr_get_type(rr) == LDNS_RR_TYPE_AAAA;

		if (!d || ldns_rdf_size(d) != (v6 ? 16u : 4u) ||
		    !inet_ntop(v6 ? AF_INET6 : AF_INET, ldns_rdf_data(d), text,
			       sizeof(text))) {
			continue;
		}
		dkm_push_str(arr, text);
		(*total)++;
		if (!(v6 ? special_v6(ldns_rdf_data(d))
			 : special_v4(ldns_rdf_data(d)))) {
			continue;
		}
		if (dkm_allowed_private(ctx->opts, text)) {
			dkm_push_str(allowed, text);
		} else {
			special++;
		}
	}
	return special;
}

/* A temperror finding for a failed or bogus lookup of @area. */
static void temperror(struct dkm_ctx *ctx, const struct dkm_q *q,
		      const char *target)
{
	struct dk_mail_value *ev = dkm_ev(q);
	int bogus = dkm_status_enum(q) == DK_DNSSEC_BOGUS;

	dkm_set_str(ev, "target", target);
	dkm_set_str(ev, "rcode", dkm_rcode(q));
	dkm_finding(ctx, DK_MAIL_AREA_MX,
		    bogus ? DK_MAIL_ERROR : DK_MAIL_WARNING,
		    bogus ? "mx.target_bogus" : "mx.temperror", target, ev,
		    "RFC 7672 section 2.1.1; " R5321,
		    bogus ? "the addresses of %s do not validate (bogus): "
			    "validating senders defer the mail"
			  : "the addresses of %s could not be looked up (%s)",
		    target, dkm_rcode(q));
}

/*
 * Check one host (an exchange, or the domain for an implicit MX).
 * @return 1 usable, 0 not usable, -1 not known yet or failed.
 */
static int host(struct dkm_ctx *ctx, const char *name, int implicit,
		struct dk_mail_value *rec)
{
	const struct dkm_q *a = dkm_get(ctx, name, LDNS_RR_TYPE_A);
	const struct dkm_q *aaaa = dkm_get(ctx, name, LDNS_RR_TYPE_AAAA);
	struct dk_mail_value *addrs, *ev, *allowed;
	size_t total = 0, special = 0;
	const char *canon;
	char *cn;

	if (!a || !aaaa) {
		return -1;
	}
	addrs = dkm_arr();
	allowed = dkm_arr();
	special += addresses(ctx, a, addrs, &total, allowed);
	special += addresses(ctx, aaaa, addrs, &total, allowed);
	if (dk_mail_value_count(allowed)) {
		ev = dkm_ev(a);
		dkm_set_str(ev, "target", name);
		dkm_set(ev, "addresses", allowed);
		dkm_finding(ctx, DK_MAIL_AREA_MX, DK_MAIL_INFO,
			    "mx.private_allowed", NULL, ev, "RFC 6890",
			    "%s: special-purpose addresses accepted "
			    "(--allow-private)",
			    name);
	} else {
		dkm_value_free(allowed);
	}
	dkm_set(rec, "addresses", dkm_value_dup(addrs));
	dkm_set_str(rec, "dnssec_a", dkm_status(a));
	dkm_set_str(rec, "dnssec_aaaa", dkm_status(aaaa));
	if (dkm_status_enum(a) == DK_DNSSEC_BOGUS ||
	    dkm_status_enum(aaaa) == DK_DNSSEC_BOGUS) {
		temperror(ctx, dkm_status_enum(a) == DK_DNSSEC_BOGUS ? a : aaaa,
			  name);
		dkm_value_free(addrs);
		return 0;
	}
	if ((dkm_failed(a) && !dkm_has_data(aaaa)) ||
	    (dkm_failed(aaaa) && !dkm_has_data(a))) {
		temperror(ctx, dkm_failed(a) ? a : aaaa, name);
		dkm_value_free(addrs);
		return -1;
	}
	canon = dkm_has_data(a) ? dk_answer_canonname(a->ans)
				: dk_answer_canonname(aaaa->ans);
	cn = dkm_name(canon);
	if (!implicit && cn && strcmp(cn, name) != 0) {
		ev = dkm_ev(a);
		dkm_set_str(ev, "target", name);
		dkm_set_str(ev, "cname", cn);
		dkm_finding(
			ctx, DK_MAIL_AREA_MX, DK_MAIL_ERROR, "mx.target_cname",
			NULL, ev, "RFC 2181 section 10.3",
			"MX exchange %s is an alias (CNAME to %s)", name, cn);
		dkm_set_str(rec, "cname", cn);
	}
	free(cn);
	if (total == 0) {
		ev = dkm_ev(a);
		dkm_set_str(ev, "target", name);
		dkm_set_str(ev, "rcode",
			    dk_answer_nxdomain(a->ans) ? "NXDOMAIN"
						       : "NOERROR");
		dkm_finding(ctx, DK_MAIL_AREA_MX, DK_MAIL_ERROR,
			    "mx.target_unresolvable", NULL, ev, R5321,
			    "%s has no address (%s)", name,
			    dk_answer_nxdomain(a->ans) ? "NXDOMAIN"
						       : "no A or AAAA");
		dkm_value_free(addrs);
		return 0;
	}
	if (special == total) {
		ev = dkm_ev(a);
		dkm_set_str(ev, "target", name);
		dkm_set(ev, "addresses", addrs);
		dkm_finding(ctx, DK_MAIL_AREA_MX, DK_MAIL_ERROR,
			    "mx.non_public_address", NULL, ev, "RFC 6890",
			    "%s resolves only to private or special-purpose "
			    "addresses",
			    name);
		return 0;
	}
	dkm_value_free(addrs);
	return 1;
}

void dkm_mx(struct dkm_ctx *ctx)
{
	const struct dkm_q *q = dkm_get(ctx, ctx->domain, LDNS_RR_TYPE_MX);
	struct dk_mail_value *rec, *list, *ev;
	const ldns_rr_list *rrs;
	size_t n, nnull = 0, usable = 0, unusable = 0;

	if (!q) {
		return;
	}
	rec = dkm_obj();
	dkm_set_str(rec, "name", ctx->domain);
	dkm_set_str(rec, "dnssec", dkm_status(q));
	dkm_set_str(rec, "rcode", dkm_rcode(q));
	list = dkm_arr();
	dkm_set(ctx->records, "mx", rec);
	if (dkm_failed(q)) {
		dkm_set(rec, "records", list);
		if (!q->err) {
			ev = dkm_ev(q);
			dkm_finding(ctx, DK_MAIL_AREA_MX, DK_MAIL_ERROR,
				    "mx.dnssec_bogus", NULL, ev,
				    "RFC 7672 section 2.1.1",
				    "the MX RRset of %s is bogus: validating "
				    "senders defer the mail",
				    ctx->domain);
		}
		return;
	}
	if (dk_answer_nxdomain(q->ans)) {
		dkm_set(rec, "records", list);
		dkm_finding(ctx, DK_MAIL_AREA_MX, DK_MAIL_ERROR,
			    "mx.domain_nxdomain", NULL, dkm_ev(q), R5321,
			    "the domain %s does not exist (NXDOMAIN)",
			    ctx->domain);
		return;
	}
	rrs = dki_answer_get0_rrset(q->ans);
	n = ldns_rr_list_rr_count(rrs);
	if (n == 0) {
		struct dk_mail_value *h = dkm_obj();

		dkm_set(rec, "records", list);
		dkm_set_str(h, "exchange", ctx->domain);
		dkm_set_bool(h, "implicit", true);
		ev = dkm_ev(q);
		dkm_set_str(ev, "host", ctx->domain);
		dkm_finding(ctx, DK_MAIL_AREA_MX, DK_MAIL_WARNING,
			    "mx.implicit", NULL, ev, R5321,
			    "no MX record: mail goes to the domain's own "
			    "address records");
		host(ctx, ctx->domain, 1, h);
		dkm_push(list, h);
		return;
	}
	dkm_set(rec, "records", list);
	for (size_t i = 0; i < n; i++) {
		const ldns_rr *rr = ldns_rr_list_rr(rrs, i);
		char *ex = ldns_rdf2str(ldns_rr_rdf(rr, 1));
		unsigned pref = ldns_rdf2native_int16(ldns_rr_rdf(rr, 0));

		if (ex && strcmp(ex, ".") == 0) {
			nnull++;
		}
		free(ex);
		(void)pref;
	}
	for (size_t i = 0; i < n; i++) {
		const ldns_rr *rr = ldns_rr_list_rr(rrs, i);
		char *ex = ldns_rdf2str(ldns_rr_rdf(rr, 1));
		unsigned pref = ldns_rdf2native_int16(ldns_rr_rdf(rr, 0));
		struct dk_mail_value *h = dkm_obj();
		char *name;
		int u;

		dkm_set_int(h, "preference", pref);
		if (ex && strcmp(ex, ".") != 0) {
			char *nn = dkm_name(ex);

			dkm_set_str(h, "exchange", nn);
			free(nn);
		} else {
			dkm_set_str(h, "exchange", ex);
		}
		dkm_push(list, h);
		if (!ex) {
			ctx->oom = 1;
			return;
		}
		if (strcmp(ex, ".") == 0) {
			if (pref != 0) {
				ev = dkm_ev(q);
				dkm_set_int(ev, "preference", pref);
				dkm_finding(ctx, DK_MAIL_AREA_MX, DK_MAIL_ERROR,
					    "mx.null_malformed", NULL, ev,
					    R7505,
					    "null MX with preference %u (must "
					    "be 0)",
					    pref);
			}
			free(ex);
			continue;
		}
		name = dkm_name(ex);
		free(ex);
		if (!name) {
			ctx->oom = 1;
			return;
		}
		if (ip_literal(name)) {
			ev = dkm_ev(q);
			dkm_set_str(ev, "target", name);
			dkm_finding(ctx, DK_MAIL_AREA_MX, DK_MAIL_ERROR,
				    "mx.target_ip_literal", NULL, ev,
				    "RFC 1035 section 3.3.9",
				    "MX exchange %s is an address written as a "
				    "name",
				    name);
			unusable++;
			free(name);
			continue;
		}
		u = host(ctx, name, 0, h);
		if (u > 0) {
			usable++;
		} else if (u == 0) {
			unusable++;
		}
		free(name);
	}
	if (nnull > 0 && nnull < n) {
		ev = dkm_ev(q);
		dkm_finding(ctx, DK_MAIL_AREA_MX, DK_MAIL_ERROR,
			    "mx.null_mixed", NULL, ev, R7505,
			    "a null MX next to %zu other MX record%s",
			    n - nnull, n - nnull == 1 ? "" : "s");
	} else if (nnull == n) {
		for (size_t i = 0; i < n; i++) {
			if (ldns_rdf2native_int16(ldns_rr_rdf(
				    ldns_rr_list_rr(rrs, i), 0)) != 0) {
				return; /* malformed, said above */
			}
		}
		ev = dkm_ev(q);
		dkm_finding(ctx, DK_MAIL_AREA_MX, DK_MAIL_INFO, "mx.null", NULL,
			    ev, R7505, "null MX: %s accepts no mail",
			    ctx->domain);
		return;
	}
	if (usable == 0 && unusable > 0 && unusable == n - nnull) {
		ev = dkm_ev(q);
		dkm_finding(ctx, DK_MAIL_AREA_MX, DK_MAIL_CRITICAL,
			    "mx.no_usable_target", NULL, ev, R5321,
			    "no MX exchange of %s is usable, and senders do "
			    "not fall back to its address records",
			    ctx->domain);
	}
}
