/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The lookups of an audit: each name and type is asked once, through the
 * validating resolver, and read by every pass of the areas. A pass that
 * needs a lookup it does not have yet asks for it (dkm_get() returns
 * NULL); the round's lookups then run concurrently (dk_lookup_async), so
 * that each level of an SPF include tree costs one round trip.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mail/internal.h"

char *dkm_name(const char *name)
{
	size_t n;
	char *s;

	if (!name) {
		return NULL;
	}
	n = strlen(name);
	while (n > 1 && name[n - 1] == '.') {
		n--;
	}
	s = strndup(name, n);
	for (char *p = s; p && *p; p++) {
		*p = (char)tolower((unsigned char)*p);
	}
	return s;
}

const struct dkm_q *dkm_get(struct dkm_ctx *ctx, const char *name,
			    uint16_t type)
{
	struct dkm_q *q;
	char *n = dkm_name(name);

	if (!n) {
		ctx->oom = 1;
		return NULL;
	}
	for (q = ctx->qs; q; q = q->next) {
		if (q->type == type && strcmp(q->name, n) == 0) {
			free(n);
			if (q->state != 2) {
				ctx->missing++;
				return NULL;
			}
			return q;
		}
	}
	q = calloc(1, sizeof(*q));
	if (!q) {
		free(n);
		ctx->oom = 1;
		return NULL;
	}
	q->name = n;
	q->type = type;
	q->next = ctx->qs;
	ctx->qs = q;
	ctx->missing++;
	return NULL;
}

int dkm_has_data(const struct dkm_q *q)
{
	/* bogus data is never used */
	return !dkm_failed(q) &&
	       ldns_rr_list_rr_count(dki_answer_get0_rrset(q->ans)) > 0;
}

int dkm_void(const struct dkm_q *q)
{
	return q && !dkm_failed(q) && !dkm_has_data(q);
}

int dkm_failed(const struct dkm_q *q)
{
	/* bogus: a validating receiver gets SERVFAIL, a temperror */
	return !q || q->err != 0 || !q->ans ||
	       dk_answer_status(q->ans) == DK_DNSSEC_BOGUS;
}

enum dk_dnssec_status dkm_status_enum(const struct dkm_q *q)
{
	if (!q || q->err || !q->ans) {
		return DK_DNSSEC_INDETERMINATE;
	}
	return dk_answer_status(q->ans);
}

const char *dkm_status(const struct dkm_q *q)
{
	return dk_dnssec_status_name(dkm_status_enum(q));
}

const char *dkm_rcode(const struct dkm_q *q)
{
	if (!q) {
		return "pending";
	}
	if (q->err == DK_ETIMEDOUT) {
		return "TIMEOUT";
	}
	if (q->err == DK_ESERVFAIL) {
		return "SERVFAIL";
	}
	if (q->err) {
		return "ERROR";
	}
	switch (dk_answer_rcode(q->ans)) {
	case LDNS_RCODE_NOERROR:
		return "NOERROR";
	case LDNS_RCODE_NXDOMAIN:
		return "NXDOMAIN";
	case LDNS_RCODE_SERVFAIL:
		return "SERVFAIL";
	case LDNS_RCODE_REFUSED:
		return "REFUSED";
	default:
		return "ERROR";
	}
}

void dkm_txt_free(struct dkm_txt *t)
{
	if (!t) {
		return;
	}
	for (size_t i = 0; i < t->n; i++) {
		free(t->rec[i]);
		free(t->first[i]);
	}
	free(t->rec);
	free(t->first);
	free(t->len);
	free(t->nstr);
	memset(t, 0, sizeof(*t));
}

int dkm_txt(const struct dkm_q *q, struct dkm_txt *ret)
{
	const ldns_rr_list *l;
	size_t n;

	memset(ret, 0, sizeof(*ret));
	if (!dkm_has_data(q)) {
		return 0;
	}
	l = dki_answer_get0_rrset(q->ans);
	n = ldns_rr_list_rr_count(l);
	ret->rec = calloc(n, sizeof(*ret->rec));
	ret->first = calloc(n, sizeof(*ret->first));
	ret->len = calloc(n, sizeof(*ret->len));
	ret->nstr = calloc(n, sizeof(*ret->nstr));
	if (!ret->rec || !ret->first || !ret->len || !ret->nstr) {
		dkm_txt_free(ret);
		return DK_ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		const ldns_rr *rr = ldns_rr_list_rr(l, i);
		size_t total = 0, pos = 0;
		char *s;

		for (size_t j = 0; j < ldns_rr_rd_count(rr); j++) {
			const ldns_rdf *d = ldns_rr_rdf(rr, j);

			ret->rdata_octets += ldns_rdf_size(d);
			if (ldns_rdf_size(d) > 0) {
				total += ldns_rdf_size(d) - 1;
			}
		}
		s = malloc(total + 1);
		if (!s) {
			dkm_txt_free(ret);
			return DK_ENOMEM;
		}
		for (size_t j = 0; j < ldns_rr_rd_count(rr); j++) {
			const ldns_rdf *d = ldns_rr_rdf(rr, j);
			const uint8_t *p = ldns_rdf_data(d);
			size_t len =
				ldns_rdf_size(d) ? ldns_rdf_size(d) - 1 : 0;

			if (len > (size_t)p[0]) {
				len = p[0];
			}
			for (size_t k = 0; k < len; k++) {
				s[pos + k] = p[1 + k] ? (char)p[1 + k] : '?';
			}
			if (j == 0) {
				ret->first[ret->n] = strndup(s, len);
			}
			pos += len;
		}
		s[pos] = '\0';
		ret->rec[ret->n] = s;
		ret->len[ret->n] = pos;
		ret->nstr[ret->n] = ldns_rr_rd_count(rr);
		if (!ret->first[ret->n]) {
			ret->first[ret->n] = strdup("");
		}
		ret->n++;
	}
	return 0;
}

int dkm_reverse_name(const char *ip, uint8_t addr[16], char *buf, size_t len)
{
	size_t o = 0;

	if (inet_pton(AF_INET, ip, addr) == 1) {
		snprintf(buf, len, "%u.%u.%u.%u.in-addr.arpa", addr[3], addr[2],
			 addr[1], addr[0]);
		return 4;
	}
	if (inet_pton(AF_INET6, ip, addr) != 1) {
		return -1;
	}
	buf[0] = '\0';
	for (int i = 15; i >= 0 && o + 5 < len; i--) {
		o += (size_t)snprintf(buf + o, len - o, "%x.%x.", addr[i] & 0xf,
				      addr[i] >> 4);
	}
	snprintf(buf + o, len - o, "ip6.arpa");
	return 6;
}
