/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SPF (RFC 7208): the record of the domain and of each HELO name, its
 * whole tree (every include and redirect, repeated includes each time),
 * the DNS-querying terms and the void lookups per address family counted
 * over that tree (section 4.6.4), loops, macros; and check_host() for each
 * sending address.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mail/internal.h"

#define LIMIT 10      /* RFC 7208 4.6.4: DNS-querying terms */
#define MX_LIMIT 10   /* RFC 7208 4.6.4: MX names of one mx term */
#define VOID_LIMIT 2  /* RFC 7208 4.6.4: void lookups */
#define MAX_DEPTH 16  /* the tree shown: deeper includes are cut */
#define MAX_NODES 256 /* records in the tree shown */

#define R(s) "RFC 7208 section " s

enum spf_via {
	VIA_TOP,
	VIA_INCLUDE,
	VIA_REDIRECT
};

/* One walk of a tree: the counts, and what was found on the way. */
struct walk {
	struct dkm_ctx *ctx;
	const char *top; /* the domain or HELO name audited */
	int helo;
	int count;
	int void4, void6;
	int nodes;
	int permerror, temperror;
	struct dk_mail_value *unresolved; /* terms with client macros */
	const char *stack[MAX_DEPTH + 2];
	int depth;
	enum dk_dnssec_status worst;
	int seen;
};

static const char *kind_name(enum dkm_spf_kind k)
{
	static const char *const names[] = {
		"all", "include", "a",	      "mx",  "ptr",	 "ip4",
		"ip6", "exists",  "redirect", "exp", "modifier",
	};

	return (unsigned)k < sizeof(names) / sizeof(names[0]) ? names[k] : "?";
}

/* The tree's DNSSEC status: the worst of its lookups (indeterminate,
 * bogus, insecure, secure: enum order). */
static void note_status(struct walk *w, const struct dkm_q *q)
{
	enum dk_dnssec_status st = dkm_status_enum(q);

	if (!w->seen || st < w->worst) {
		w->worst = st;
	}
	w->seen = 1;
}

/* Evidence with the tree's DNSSEC status so far. */
static struct dk_mail_value *ev_tree(const struct walk *w)
{
	struct dk_mail_value *ev = dkm_obj();

	dkm_set_str(ev, "dnssec",
		    dk_dnssec_status_name(w->seen ? w->worst
						  : DK_DNSSEC_INDETERMINATE));
	return ev;
}

static struct dk_mail_value *ev_top(struct walk *w, const struct dkm_q *q)
{
	struct dk_mail_value *ev = dkm_ev(q);

	(void)w;
	return ev;
}

static void temperror(struct walk *w, const struct dkm_q *q, const char *what)
{
	struct dk_mail_value *ev = ev_top(w, q);
	int bogus = dkm_status_enum(q) == DK_DNSSEC_BOGUS;

	w->temperror++;
	dkm_set_str(ev, "result", "temperror");
	dkm_set_str(ev, "query", q ? q->name : what);
	dkm_set_str(ev, "rcode", dkm_rcode(q));
	dkm_finding(w->ctx, DK_MAIL_AREA_SPF,
		    bogus ? DK_MAIL_ERROR : DK_MAIL_WARNING, "spf.temperror",
		    w->top, ev, R("4.4") "; " R("5"),
		    "the lookup of %s (%s) %s: SPF gives temperror", what,
		    q ? q->name : "?", bogus ? "is bogus (DNSSEC)" : "failed");
}

/* Select the SPF record of a TXT answer (section 4.5). Returns the
 * number of SPF records; *@ret the only one (borrowed from @t). */
static size_t select_record(struct walk *w, const struct dkm_txt *t,
			    const char **ret, struct dk_mail_value *node,
			    const char *domain, int findings)
{
	size_t n = 0;
	struct dk_mail_value *all = dkm_arr();

	*ret = NULL;
	for (size_t i = 0; i < t->n; i++) {
		if (dkm_spf_is_record(t->rec[i])) {
			n++;
			*ret = t->rec[i];
			dkm_push_str(all, t->rec[i]);
		} else if (t->nstr[i] > 1 && dkm_spf_is_record(t->first[i]) &&
			   strncasecmp(t->rec[i], "v=spf1", 6) == 0 &&
			   findings) {
			struct dk_mail_value *ev = ev_tree(w);

			dkm_set_str(ev, "joined", t->rec[i]);
			dkm_set_str(ev, "domain", domain);
			dkm_finding(w->ctx, DK_MAIL_AREA_SPF, DK_MAIL_INFO,
				    "spf.split_version_hint", w->top, ev,
				    R("3.3"),
				    "a TXT record at %s reads \"v=spf1\" only "
				    "in its first string; joined, it is "
				    "\"%.40s\", not an SPF record",
				    domain, t->rec[i]);
		}
	}
	dkm_set(node, "spf_records", all);
	return n;
}

/*
 * Section 3.4: "the combined length of the DNS name and the text of all
 * the records of a given type" (450 octets keeps the answer in UDP), and
 * the DNS message itself (header, question, each TXT RR with a
 * compressed owner name; over 512 octets it needs EDNS or TCP).
 */
static size_t answer_octets(const char *name, const struct dkm_q *q,
			    size_t *ret_message)
{
	size_t text = strlen(name), msg = 12 + strlen(name) + 2 + 4;

	if (dkm_has_data(q)) {
		const ldns_rr_list *l = dki_answer_get0_rrset(q->ans);

		for (size_t i = 0; i < ldns_rr_list_rr_count(l); i++) {
			const ldns_rr *rr = ldns_rr_list_rr(l, i);

			msg += 2 + 10;
			for (size_t j = 0; j < ldns_rr_rd_count(rr); j++) {
				size_t n = ldns_rdf_size(ldns_rr_rdf(rr, j));

				msg += n;
				text += n ? n - 1 : 0;
			}
		}
	}
	*ret_message = msg;
	return text;
}

/* Expand @spec statically: %{d} is the current domain, %{o} the
 * sender's domain; the rest needs the client. 1 expanded, 0 not. */
static int expand_static(struct walk *w, const char *spec, const char *d,
			 char **ret, int findings)
{
	struct dkm_spf_macros m = { 0 };
	int r;

	m.d = d;
	m.o = w->top;
	r = dkm_spf_expand(spec, &m, ret);
	if (r == 1 && strchr(spec, '%') && findings) {
		struct dk_mail_value *ev = ev_tree(w);

		dkm_set_str(ev, "from", spec);
		dkm_set_str(ev, "to", *ret);
		dkm_finding(w->ctx, DK_MAIL_AREA_SPF, DK_MAIL_INFO,
			    "spf.macro_expanded", w->top, ev, R("7.3"),
			    "%s expands to %s (%%{d} is %s)", spec, *ret, d);
	}
	return r == 1;
}

static struct dk_mail_value *walk_domain(struct walk *w, const char *domain,
					 enum spf_via via, int terminal);

/* Address lookups of one name for the void counts: a term is void for
 * IPv4 when the name has no A, for IPv6 when it has no AAAA. */
static void addr_voids(struct walk *w, const char *name,
		       struct dk_mail_value *t, int *pending)
{
	const struct dkm_q *a = dkm_get(w->ctx, name, LDNS_RR_TYPE_A);
	const struct dkm_q *aaaa = dkm_get(w->ctx, name, LDNS_RR_TYPE_AAAA);

	if (!a || !aaaa) {
		*pending = 1;
		return;
	}
	note_status(w, a);
	if (dkm_failed(a)) {
		temperror(w, a, name);
	} else if (dkm_void(a)) {
		w->void4++;
		dkm_set_bool(t, "void_ipv4", true);
	}
	if (dkm_failed(aaaa)) {
		temperror(w, aaaa, name);
	} else if (dkm_void(aaaa)) {
		w->void6++;
		dkm_set_bool(t, "void_ipv6", true);
	}
}

static void walk_term(struct walk *w, const struct dkm_spf_term *term,
		      const char *domain, struct dk_mail_value *t, int *pending,
		      int findings)
{
	char *target = NULL;
	const struct dkm_q *q;
	const char *spec = term->domain ? term->domain : domain;

	if (term->kind == SPF_PTR && findings) {
		struct dk_mail_value *ev = ev_tree(w);

		dkm_set_str(ev, "domain", domain);
		dkm_finding(w->ctx, DK_MAIL_AREA_SPF, DK_MAIL_WARNING,
			    "spf.ptr_deprecated", w->top, ev, R("5.5"),
			    "'%s' at %s: the ptr mechanism should not be "
			    "published (slow, unreliable)",
			    term->text, domain);
	}
	if (!expand_static(w, spec, domain, &target, findings)) {
		dkm_push_str(w->unresolved, term->text);
		dkm_set_bool(t, "unresolved", true);
		return;
	}
	dkm_set_str(t, "target", target);
	switch (term->kind) {
	case SPF_INCLUDE:
		for (int i = 0; i < w->depth; i++) {
			if (strcasecmp(w->stack[i], target) == 0) {
				struct dk_mail_value *ev = ev_tree(w);
				struct dk_mail_value *cyc = dkm_arr();

				for (int j = i; j < w->depth; j++) {
					dkm_push_str(cyc, w->stack[j]);
				}
				dkm_push_str(cyc, target);
				dkm_set(ev, "cycle", cyc);
				dkm_set_str(ev, "result", "permerror");
				w->permerror++;
				dkm_set_bool(t, "loop", true);
				if (findings) {
					dkm_finding(w->ctx, DK_MAIL_AREA_SPF,
						    DK_MAIL_ERROR,
						    "spf.include_loop", w->top,
						    ev, R("4.6.4"),
						    "include loop: %s includes "
						    "%s again",
						    domain, target);
				} else {
					dkm_value_free(ev);
				}
				free(target);
				return;
			}
		}
		dkm_set(t, "record", walk_domain(w, target, VIA_INCLUDE, 0));
		break;
	case SPF_A:
		addr_voids(w, target, t, pending);
		break;
	case SPF_MX: {
		size_t n;

		q = dkm_get(w->ctx, target, LDNS_RR_TYPE_MX);
		if (!q) {
			*pending = 1;
			break;
		}
		note_status(w, q);
		if (dkm_failed(q)) {
			temperror(w, q, target);
			break;
		}
		if (dkm_void(q)) {
			w->void4++;
			w->void6++;
			dkm_set_bool(t, "void_ipv4", true);
			dkm_set_bool(t, "void_ipv6", true);
			break;
		}
		n = ldns_rr_list_rr_count(dki_answer_get0_rrset(q->ans));
		dkm_set_int(t, "mx_count", (int64_t)n);
		if (n > MX_LIMIT) {
			struct dk_mail_value *ev = dkm_ev(q);

			dkm_set_int(ev, "mx_count", (int64_t)n);
			dkm_set_str(ev, "result", "permerror");
			dkm_set_str(ev, "domain", target);
			w->permerror++;
			if (findings) {
				dkm_finding(w->ctx, DK_MAIL_AREA_SPF,
					    DK_MAIL_ERROR, "spf.mx_host_limit",
					    w->top, ev, R("4.6.4"),
					    "'%s' yields %zu MX hosts (limit "
					    "%d)",
					    term->text, n, MX_LIMIT);
			} else {
				dkm_value_free(ev);
			}
			n = MX_LIMIT;
		}
		for (size_t i = 0; i < n; i++) {
			const ldns_rr *rr = ldns_rr_list_rr(
				dki_answer_get0_rrset(q->ans), i);
			char *h = ldns_rdf2str(ldns_rr_rdf(rr, 1));

			if (h && strcmp(h, ".") != 0) {
				addr_voids(w, h, t, pending);
			}
			free(h);
		}
		break;
	}
	case SPF_EXISTS:
		q = dkm_get(w->ctx, target, LDNS_RR_TYPE_A);
		if (!q) {
			*pending = 1;
			break;
		}
		note_status(w, q);
		if (dkm_failed(q)) {
			temperror(w, q, target);
		} else if (dkm_void(q)) {
			/* exists asks A whatever the client's family */
			w->void4++;
			w->void6++;
			dkm_set_bool(t, "void_ipv4", true);
			dkm_set_bool(t, "void_ipv6", true);
		}
		break;
	case SPF_PTR:
		/* the PTR lookup is of the client: never void here */
		dkm_push_str(w->unresolved, term->text);
		break;
	default:
		break;
	}
	free(target);
}

/*
 * Walk the record at @domain: the node of the tree. @terminal: this
 * record's result is the result of the check (the top record and its
 * redirect chain), so its terminal terms matter.
 */
static struct dk_mail_value *walk_domain(struct walk *w, const char *domain,
					 enum spf_via via, int terminal)
{
	struct dk_mail_value *node = dkm_obj(), *terms, *ev;
	struct dkm_spf_record rec;
	struct dkm_txt t;
	const struct dkm_q *q;
	const char *raw = NULL;
	int findings = 1, pending = 0, all_at = -1, redirect_at = -1;
	int nredirect = 0, nexp = 0;
	size_t n;

	dkm_set_str(node, "domain", domain);
	dkm_set_str(node, "via",
		    via == VIA_TOP	 ? "top"
		    : via == VIA_INCLUDE ? "include"
					 : "redirect");
	if (++w->nodes > MAX_NODES || w->depth > MAX_DEPTH) {
		dkm_set_bool(node, "truncated", true);
		return node;
	}
	q = dkm_get(w->ctx, domain, LDNS_RR_TYPE_TXT);
	if (!q) {
		dkm_set_bool(node, "pending", true);
		return node;
	}
	note_status(w, q);
	dkm_set_str(node, "dnssec", dkm_status(q));
	if (dkm_failed(q)) {
		temperror(w, q, domain);
		return node;
	}
	if (dkm_txt(q, &t) < 0) {
		w->ctx->oom = 1;
		return node;
	}
	n = select_record(w, &t, &raw, node, domain, findings);
	if (n == 0) {
		dkm_txt_free(&t);
		if (via == VIA_TOP && w->helo) {
			ev = dkm_ev(q);
			dkm_finding(w->ctx, DK_MAIL_AREA_SPF, DK_MAIL_WARNING,
				    "spf.helo_missing", w->top, ev,
				    R("2.3") "; " R("10.1.3"),
				    "the HELO name %s has no SPF record",
				    domain);
		} else if (via == VIA_TOP) {
			ev = dkm_ev(q);
			dkm_set_str(ev, "result", "none");
			dkm_finding(w->ctx, DK_MAIL_AREA_SPF, DK_MAIL_ERROR,
				    "spf.missing", w->top, ev, R("4.5"),
				    "no SPF record at %s", domain);
		} else {
			ev = dkm_ev(q);
			dkm_set_str(ev, "target", domain);
			dkm_set_str(ev, "result", "permerror");
			w->permerror++;
			dkm_finding(w->ctx, DK_MAIL_AREA_SPF, DK_MAIL_ERROR,
				    via == VIA_INCLUDE ? "spf.include_none"
						       : "spf.redirect_none",
				    w->top, ev,
				    via == VIA_INCLUDE ? R("5.2") : R("6.1"),
				    "the %s target %s has no SPF record "
				    "(permerror)",
				    via == VIA_INCLUDE ? "include" : "redirect",
				    domain);
		}
		return node;
	}
	if (n > 1) {
		dkm_txt_free(&t);
		ev = dkm_ev(q);
		dkm_set_str(ev, "result", "permerror");
		dkm_set_int(ev, "records", (int64_t)n);
		w->permerror++;
		dkm_finding(w->ctx, DK_MAIL_AREA_SPF, DK_MAIL_ERROR,
			    "spf.multiple_records", w->top, ev,
			    R("3.2") "; " R("4.5"),
			    "%zu SPF records at %s (permerror)", n, domain);
		return node;
	}
	dkm_set_str(node, "record", raw);
	if (via == VIA_TOP) {
		size_t message, octets = answer_octets(domain, q, &message);

		ev = dkm_ev(q);
		dkm_set_str(ev, "selected", raw);
		dkm_finding(w->ctx, DK_MAIL_AREA_SPF, DK_MAIL_INFO,
			    "spf.record", w->top, ev, R("4.5"),
			    "SPF record of %s: %s", domain, raw);
		if (octets > 450) {
			ev = dkm_ev(q);
			dkm_set_int(ev, "octets", (int64_t)octets);
			dkm_set_int(ev, "message_octets", (int64_t)message);
			dkm_finding(w->ctx, DK_MAIL_AREA_SPF,
				    octets > 512 ? DK_MAIL_ERROR
						 : DK_MAIL_WARNING,
				    "spf.size", w->top, ev, R("3.4"),
				    "the name and TXT records at %s are %zu "
				    "octets (keep them under 450; a %zu-octet "
				    "DNS answer)",
				    domain, octets, message);
		}
	}
	if (dkm_spf_parse(raw, &rec) < 0) {
		ev = dkm_ev(q);
		dkm_set_str(ev, "result", "permerror");
		dkm_set_str(ev, "joined", raw);
		dkm_set_str(ev, "bad_term", rec.bad_term);
		dkm_set_str(ev, "domain", domain);
		dkm_set_str(ev, "why", rec.why);
		dkm_set_str(node, "error", rec.why);
		w->permerror++;
		dkm_finding(w->ctx, DK_MAIL_AREA_SPF, DK_MAIL_ERROR,
			    "spf.syntax", w->top, ev, R("4.6") "; " R("7"),
			    "syntax error in the SPF record of %s at '%s': %s",
			    domain, rec.bad_term ? rec.bad_term : "", rec.why);
		dkm_spf_record_free(&rec);
		dkm_txt_free(&t);
		return node;
	}
	dkm_txt_free(&t);
	for (size_t i = 0; i < rec.n; i++) {
		if (rec.terms[i].kind == SPF_ALL && all_at < 0) {
			all_at = (int)i;
		}
		if (rec.terms[i].kind == SPF_REDIRECT) {
			nredirect++;
			redirect_at = (int)i;
		}
		if (rec.terms[i].kind == SPF_EXP) {
			nexp++;
		}
	}
	if (nredirect > 1 || nexp > 1) {
		ev = dkm_ev(q);
		dkm_set_str(ev, "modifier", nredirect > 1 ? "redirect" : "exp");
		dkm_set_str(ev, "result", "permerror");
		dkm_set_str(ev, "domain", domain);
		w->permerror++;
		dkm_finding(w->ctx, DK_MAIL_AREA_SPF, DK_MAIL_ERROR,
			    "spf.duplicate_modifier", w->top, ev, R("6"),
			    "'%s' appears more than once at %s (permerror)",
			    nredirect > 1 ? "redirect" : "exp", domain);
		dkm_spf_record_free(&rec);
		return node;
	}
	if (w->depth <= MAX_DEPTH) {
		w->stack[w->depth++] = domain;
	}
	terms = dkm_arr();
	for (size_t i = 0; i < rec.n; i++) {
		const struct dkm_spf_term *term = &rec.terms[i];
		struct dk_mail_value *tv = dkm_obj();

		dkm_set_str(tv, "term", term->text);
		dkm_set_str(tv, "kind", kind_name(term->kind));
		dkm_push(terms, tv);
		if (all_at >= 0 && (int)i > all_at && term->kind != SPF_EXP &&
		    term->kind != SPF_REDIRECT &&
		    term->kind != SPF_UNKNOWN_MOD) {
			dkm_set_bool(tv, "ignored", true);
			continue;
		}
		switch (term->kind) {
		case SPF_ALL:
			if (term->qualifier == '+') {
				ev = dkm_ev(q);
				dkm_set_str(ev, "qualifier", "+");
				dkm_set_str(ev, "domain", domain);
				dkm_finding(w->ctx, DK_MAIL_AREA_SPF,
					    DK_MAIL_CRITICAL,
					    "spf.permissive_all", w->top, ev,
					    R("5.1"),
					    "'%s' at %s: anyone may send as "
					    "%s",
					    term->text, domain, w->top);
			} else if (term->qualifier == '?' && terminal) {
				ev = dkm_ev(q);
				dkm_set_str(ev, "domain", domain);
				dkm_finding(w->ctx, DK_MAIL_AREA_SPF,
					    DK_MAIL_WARNING, "spf.neutral_all",
					    w->top, ev, R("8.2"),
					    "'?all' at %s: a neutral result "
					    "protects nothing",
					    domain);
			}
			break;
		case SPF_INCLUDE:
		case SPF_A:
		case SPF_MX:
		case SPF_PTR:
		case SPF_EXISTS:
			w->count++;
			walk_term(w, term, domain, tv, &pending, findings);
			break;
		case SPF_REDIRECT:
			if (all_at >= 0) {
				ev = dkm_ev(q);
				dkm_set_str(ev, "domain", domain);
				dkm_set_bool(tv, "ignored", true);
				dkm_finding(w->ctx, DK_MAIL_AREA_SPF,
					    DK_MAIL_WARNING,
					    "spf.redirect_ignored", w->top, ev,
					    R("6.1"),
					    "'%s' at %s is ignored: the record "
					    "has 'all'",
					    term->text, domain);
			}
			break;
		default:
			break;
		}
	}
	dkm_set(node, "terms", terms);
	if (all_at >= 0 && (size_t)all_at + 1 < rec.n) {
		struct dk_mail_value *ign = dkm_arr();

		for (size_t i = (size_t)all_at + 1; i < rec.n; i++) {
			/* mechanisms only: modifiers have no position */
			if (rec.terms[i].kind != SPF_EXP &&
			    rec.terms[i].kind != SPF_REDIRECT &&
			    rec.terms[i].kind != SPF_UNKNOWN_MOD) {
				dkm_push_str(ign, rec.terms[i].text);
			}
		}
		if (dk_mail_value_count(ign) > 0) {
			ev = dkm_ev(q);
			dkm_set(ev, "ignored", ign);
			dkm_set_str(ev, "domain", domain);
			dkm_finding(w->ctx, DK_MAIL_AREA_SPF, DK_MAIL_WARNING,
				    "spf.terms_after_all", w->top, ev, R("5.1"),
				    "%zu term(s) after 'all' at %s are "
				    "ignored",
				    dk_mail_value_count(ign), domain);
		} else {
			dkm_value_free(ign);
		}
	}
	/* redirect: only when the record has no all (section 6.1) */
	if (redirect_at >= 0 && all_at < 0) {
		const struct dkm_spf_term *term = &rec.terms[redirect_at];
		char *target = NULL;
		int loop = 0;

		w->count++;
		if (!expand_static(w, term->domain, domain, &target,
				   findings)) {
			dkm_push_str(w->unresolved, term->text);
		} else {
			for (int i = 0; i < w->depth; i++) {
				if (strcasecmp(w->stack[i], target) == 0) {
					loop = 1;
				}
			}
			if (loop) {
				ev = dkm_ev(q);
				dkm_set_str(ev, "result", "permerror");
				dkm_set_str(ev, "target", target);
				w->permerror++;
				dkm_finding(w->ctx, DK_MAIL_AREA_SPF,
					    DK_MAIL_ERROR, "spf.redirect_loop",
					    w->top, ev,
					    R("4.6.4") "; " R("6.1"),
					    "redirect loop: %s redirects back "
					    "to %s",
					    domain, target);
			} else {
				dkm_set(node, "redirect",
					walk_domain(w, target, VIA_REDIRECT,
						    terminal));
			}
			free(target);
		}
	} else if (terminal && all_at < 0) {
		ev = dkm_ev(q);
		dkm_set_str(ev, "default_result", "neutral");
		dkm_set_str(ev, "domain", domain);
		dkm_finding(w->ctx, DK_MAIL_AREA_SPF, DK_MAIL_WARNING,
			    "spf.no_terminal", w->top, ev, R("4.7"),
			    "the SPF record of %s has neither 'all' nor "
			    "'redirect': the result defaults to neutral",
			    domain);
	}
	if (w->depth > 0 && w->stack[w->depth - 1] == domain) {
		w->depth--;
	}
	(void)pending;
	dkm_spf_record_free(&rec);
	return node;
}

/* ---- check_host() for one address (section 4) -------------------- */

enum spf_result {
	RES_PENDING = -1,
	RES_NONE,
	RES_NEUTRAL,
	RES_PASS,
	RES_FAIL,
	RES_SOFTFAIL,
	RES_TEMPERROR,
	RES_PERMERROR,
};

static const char *result_name(enum spf_result r)
{
	switch (r) {
	case RES_NONE:
		return "none";
	case RES_NEUTRAL:
		return "neutral";
	case RES_PASS:
		return "pass";
	case RES_FAIL:
		return "fail";
	case RES_SOFTFAIL:
		return "softfail";
	case RES_TEMPERROR:
		return "temperror";
	case RES_PERMERROR:
		return "permerror";
	default:
		return "pending";
	}
}

struct check {
	struct dkm_ctx *ctx;
	int v6;
	uint8_t ip[16];
	char ipname[80]; /* %{i} */
	const char *sender_domain;
	char sender[300];
	const char *helo;
	int lookups, voids;
	int depth;
};

static int in_net(const uint8_t *ip, const uint8_t *net, int bits, int len)
{
	if (bits < 0) {
		bits = len * 8;
	}
	for (int i = 0; i < len && bits > 0; i++, bits -= 8) {
		uint8_t mask = bits >= 8 ? 0xff : (uint8_t)(0xff << (8 - bits));

		if ((ip[i] & mask) != (net[i] & mask)) {
			return 0;
		}
	}
	return 1;
}

/* Does any address of @name (of the client's family) match? -1 pending,
 * -2 temperror, -3 permerror (void limit), 0/1. */
static int addr_match(struct check *c, const char *name, int cidr4, int cidr6)
{
	const struct dkm_q *q = dkm_get(
		c->ctx, name, c->v6 ? LDNS_RR_TYPE_AAAA : LDNS_RR_TYPE_A);
	const ldns_rr_list *l;

	if (!q) {
		return -1;
	}
	if (dkm_failed(q)) {
		return -2;
	}
	if (dkm_void(q)) {
		return ++c->voids > VOID_LIMIT ? -3 : 0;
	}
	l = dki_answer_get0_rrset(q->ans);
	for (size_t i = 0; i < ldns_rr_list_rr_count(l); i++) {
		const ldns_rdf *d = ldns_rr_rdf(ldns_rr_list_rr(l, i), 0);

		if (d && ldns_rdf_size(d) == (c->v6 ? 16u : 4u) &&
		    in_net(c->ip, ldns_rdf_data(d), c->v6 ? cidr6 : cidr4,
			   c->v6 ? 16 : 4)) {
			return 1;
		}
	}
	return 0;
}

static void reverse_name(const struct check *c, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	if (!c->v6) {
		snprintf(buf, len, "%u.%u.%u.%u.in-addr.arpa", c->ip[3],
			 c->ip[2], c->ip[1], c->ip[0]);
		return;
	}
	for (int i = 15; i >= 0 && o + 5 < len; i--) {
		o += (size_t)snprintf(buf + o, len - o, "%x.%x.",
				      c->ip[i] & 0xf, c->ip[i] >> 4);
	}
	snprintf(buf + o, len - o, "ip6.arpa");
}

static enum spf_result check_host(struct check *c, const char *domain);

static int mech_match(struct check *c, const struct dkm_spf_term *t,
		      const char *domain, enum spf_result *res)
{
	struct dkm_spf_macros m = { 0 };
	char *target = NULL;
	int r = 0;

	m.s = c->sender;
	m.l = "postmaster";
	m.o = c->sender_domain;
	m.d = domain;
	m.i = c->ipname;
	m.p = "unknown";
	m.v = c->v6 ? "ip6" : "in-addr";
	m.h = c->helo;
	if (t->kind == SPF_IP4 || t->kind == SPF_IP6) {
		if ((t->kind == SPF_IP6) != c->v6) {
			return 0;
		}
		return in_net(c->ip, t->addr, c->v6 ? t->cidr6 : t->cidr4,
			      c->v6 ? 16 : 4);
	}
	if (t->kind == SPF_ALL) {
		return 1;
	}
	if (dkm_spf_expand(t->domain ? t->domain : domain, &m, &target) != 1) {
		*res = RES_PERMERROR;
		return -9;
	}
	if (++c->lookups > LIMIT) {
		free(target);
		*res = RES_PERMERROR;
		return -9;
	}
	switch (t->kind) {
	case SPF_INCLUDE: {
		enum spf_result sub;

		c->depth++;
		sub = c->depth > MAX_DEPTH ? RES_PERMERROR
					   : check_host(c, target);
		c->depth--;
		if (sub == RES_PENDING) {
			r = -1;
		} else if (sub == RES_PASS) {
			r = 1;
		} else if (sub == RES_TEMPERROR) {
			*res = RES_TEMPERROR;
			r = -9;
		} else if (sub == RES_PERMERROR || sub == RES_NONE) {
			*res = RES_PERMERROR;
			r = -9;
		}
		break;
	}
	case SPF_A:
		r = addr_match(c, target, t->cidr4, t->cidr6);
		break;
	case SPF_MX: {
		const struct dkm_q *q =
			dkm_get(c->ctx, target, LDNS_RR_TYPE_MX);
		size_t n;

		if (!q) {
			r = -1;
			break;
		}
		if (dkm_failed(q)) {
			r = -2;
			break;
		}
		if (dkm_void(q)) {
			r = ++c->voids > VOID_LIMIT ? -3 : 0;
			break;
		}
		n = ldns_rr_list_rr_count(dki_answer_get0_rrset(q->ans));
		if (n > MX_LIMIT) {
			r = -3;
			break;
		}
		for (size_t i = 0; i < n && r != 1; i++) {
			char *h = ldns_rdf2str(ldns_rr_rdf(
				ldns_rr_list_rr(dki_answer_get0_rrset(q->ans),
						i),
				1));
			int x = h && strcmp(h, ".") != 0
					? addr_match(c, h, t->cidr4, t->cidr6)
					: 0;

			free(h);
			if (x == 1 || x == -2 || x == -3) {
				r = x;
				break;
			}
			if (x == -1) {
				r = -1;
			}
		}
		break;
	}
	case SPF_EXISTS: {
		const struct dkm_q *q = dkm_get(c->ctx, target, LDNS_RR_TYPE_A);

		if (!q) {
			r = -1;
		} else if (dkm_failed(q)) {
			r = -2;
		} else if (dkm_void(q)) {
			r = ++c->voids > VOID_LIMIT ? -3 : 0;
		} else {
			r = 1;
		}
		break;
	}
	case SPF_PTR: {
		/* section 5.5: validated names of the client */
		char rev[128];
		const struct dkm_q *q;
		const ldns_rr_list *l;

		reverse_name(c, rev, sizeof(rev));
		q = dkm_get(c->ctx, rev, LDNS_RR_TYPE_PTR);
		if (!q) {
			r = -1;
			break;
		}
		if (dkm_failed(q) || dkm_void(q)) {
			r = 0;
			break;
		}
		l = dki_answer_get0_rrset(q->ans);
		for (size_t i = 0; i < ldns_rr_list_rr_count(l) && i < 10;
		     i++) {
			char *raw = ldns_rdf2str(
				ldns_rr_rdf(ldns_rr_list_rr(l, i), 0));
			char *h = dkm_name(raw);
			size_t hl = h ? strlen(h) : 0, tl = strlen(target);
			int x;

			free(raw);
			if (!h) {
				continue;
			}
			x = addr_match(c, h, -1, -1);
			if (x == 1 &&
			    (strcasecmp(h, target) == 0 ||
			     (hl > tl && h[hl - tl - 1] == '.' &&
			      strcasecmp(h + hl - tl, target) == 0))) {
				r = 1;
			} else if (x == -1) {
				r = -1;
			}
			free(h);
			if (r == 1) {
				break;
			}
		}
		break;
	}
	default:
		break;
	}
	free(target);
	if (r == -2) {
		*res = RES_TEMPERROR;
		return -9;
	}
	if (r == -3) {
		*res = RES_PERMERROR;
		return -9;
	}
	return r;
}

static enum spf_result check_host(struct check *c, const char *domain)
{
	const struct dkm_q *q = dkm_get(c->ctx, domain, LDNS_RR_TYPE_TXT);
	struct dkm_spf_record rec;
	struct dkm_txt t;
	const char *raw = NULL;
	enum spf_result res = RES_NEUTRAL;
	size_t n = 0;
	int pending = 0, redirect = -1, all = 0;

	if (!q) {
		return RES_PENDING;
	}
	if (dkm_failed(q)) {
		return RES_TEMPERROR;
	}
	if (dkm_txt(q, &t) < 0) {
		c->ctx->oom = 1;
		return RES_TEMPERROR;
	}
	for (size_t i = 0; i < t.n; i++) {
		if (dkm_spf_is_record(t.rec[i])) {
			raw = t.rec[i];
			n++;
		}
	}
	if (n != 1) {
		dkm_txt_free(&t);
		return n == 0 ? RES_NONE : RES_PERMERROR;
	}
	if (dkm_spf_parse(raw, &rec) < 0) {
		dkm_txt_free(&t);
		dkm_spf_record_free(&rec);
		return RES_PERMERROR;
	}
	dkm_txt_free(&t);
	for (size_t i = 0; i < rec.n; i++) {
		const struct dkm_spf_term *term = &rec.terms[i];
		int m;

		if (term->kind == SPF_REDIRECT) {
			redirect = (int)i;
		}
		if (term->kind == SPF_ALL) {
			all = 1;
		}
		if (term->kind == SPF_REDIRECT || term->kind == SPF_EXP ||
		    term->kind == SPF_UNKNOWN_MOD) {
			continue;
		}
		m = mech_match(c, term, domain, &res);
		if (m == -9) {
			dkm_spf_record_free(&rec);
			return res;
		}
		if (m == -1) {
			pending = 1;
			continue;
		}
		if (m == 1) {
			if (pending) {
				break;
			}
			switch (term->qualifier) {
			case '-':
				res = RES_FAIL;
				break;
			case '~':
				res = RES_SOFTFAIL;
				break;
			case '?':
				res = RES_NEUTRAL;
				break;
			default:
				res = RES_PASS;
			}
			dkm_spf_record_free(&rec);
			return res;
		}
	}
	if (pending) {
		dkm_spf_record_free(&rec);
		return RES_PENDING;
	}
	for (size_t i = 0; i < rec.n; i++) {
		if (rec.terms[i].kind == SPF_REDIRECT) {
			redirect = (int)i;
		}
	}
	if (redirect >= 0 && !all) {
		struct dkm_spf_macros m = { 0 };
		char *target = NULL;

		m.s = c->sender;
		m.l = "postmaster";
		m.o = c->sender_domain;
		m.d = domain;
		m.i = c->ipname;
		m.p = "unknown";
		m.v = c->v6 ? "ip6" : "in-addr";
		m.h = c->helo;
		if (++c->lookups > LIMIT ||
		    dkm_spf_expand(rec.terms[redirect].domain, &m, &target) !=
			    1 ||
		    ++c->depth > MAX_DEPTH) {
			free(target);
			dkm_spf_record_free(&rec);
			return RES_PERMERROR;
		}
		res = check_host(c, target);
		c->depth--;
		free(target);
		dkm_spf_record_free(&rec);
		return res == RES_NONE ? RES_PERMERROR : res;
	}
	dkm_spf_record_free(&rec);
	return RES_NEUTRAL;
}

static void check_ips(struct dkm_ctx *ctx, struct dk_mail_value *rec)
{
	struct dk_mail_value *arr = dkm_arr();

	for (size_t i = 0; i < ctx->opts->nsending_ips; i++) {
		struct check c;
		enum spf_result r;
		const char *ip = ctx->opts->sending_ips[i];
		struct dk_mail_value *o;

		memset(&c, 0, sizeof(c));
		c.ctx = ctx;
		if (inet_pton(AF_INET, ip, c.ip) == 1) {
			snprintf(c.ipname, sizeof(c.ipname), "%s", ip);
		} else {
			c.v6 = 1;
			if (inet_pton(AF_INET6, ip, c.ip) != 1) {
				continue;
			}
			/* %{i} of IPv6: dot-separated nibbles */
			for (int b = 0, o2 = 0; b < 16; b++) {
				o2 += snprintf(c.ipname + o2,
					       sizeof(c.ipname) - (size_t)o2,
					       "%s%x.%x", b ? "." : "",
					       c.ip[b] >> 4, c.ip[b] & 0xf);
			}
		}
		c.sender_domain = ctx->domain;
		snprintf(c.sender, sizeof(c.sender), "postmaster@%s",
			 ctx->domain);
		c.helo = ctx->opts->nhelo_names ? ctx->opts->helo_names[0]
						: ctx->domain;
		r = check_host(&c, ctx->domain);
		o = dkm_obj();
		dkm_set_str(o, "ip", ip);
		dkm_set_str(o, "result", result_name(r));
		dkm_push(arr, o);
		if (r == RES_PENDING || r == RES_PASS) {
			continue;
		}
		/* the DNSSEC status of the domain's own SPF record */
		o = dkm_ev(dkm_get(ctx, ctx->domain, LDNS_RR_TYPE_TXT));
		dkm_set_str(o, "ip", ip);
		dkm_set_str(o, "result", result_name(r));
		dkm_finding(ctx, DK_MAIL_AREA_SPF, DK_MAIL_ERROR,
			    "spf.ip_not_authorized", NULL, o, R("2.6"),
			    "the sending address %s does not pass the SPF "
			    "check of %s (%s)",
			    ip, ctx->domain, result_name(r));
	}
	dkm_set(rec, "sending_ips", arr);
}

/* One tree (the domain's, or a HELO name's), with its findings. */
static struct dk_mail_value *tree(struct dkm_ctx *ctx, const char *name,
				  int helo)
{
	struct walk w;
	struct dk_mail_value *node, *out = dkm_obj(), *ev, *fam;
	int worst;

	memset(&w, 0, sizeof(w));
	w.ctx = ctx;
	w.top = name;
	w.helo = helo;
	w.unresolved = dkm_arr();
	node = walk_domain(&w, name, VIA_TOP, 1);
	dkm_set_str(out, "name", name);
	dkm_set_str(out, "identity", helo ? "helo" : "mfrom");
	dkm_set(out, "tree", node);
	dkm_set_int(out, "lookup_count", w.count);
	dkm_set_int(out, "void_ipv4", w.void4);
	dkm_set_int(out, "void_ipv6", w.void6);
	if (!dk_mail_value_get(node, "record")) {
		dkm_value_free(w.unresolved);
		return out;
	}
	ev = ev_tree(&w);
	dkm_set_int(ev, "count", w.count);
	dkm_finding(ctx, DK_MAIL_AREA_SPF, DK_MAIL_INFO, "spf.lookup_count",
		    name, ev, R("4.6.4"),
		    "%d DNS-querying terms in the SPF tree of %s (limit %d)",
		    w.count, name, LIMIT);
	if (w.count > LIMIT) {
		ev = ev_tree(&w);
		dkm_set_int(ev, "count", w.count);
		dkm_set_str(ev, "result", "permerror");
		dkm_finding(ctx, DK_MAIL_AREA_SPF, DK_MAIL_ERROR,
			    "spf.lookup_limit", name, ev, R("4.6.4"),
			    "%d DNS-querying terms (limit %d): permerror",
			    w.count, LIMIT);
	} else if (w.count >= LIMIT - 1) {
		ev = ev_tree(&w);
		dkm_set_int(ev, "count", w.count);
		dkm_finding(ctx, DK_MAIL_AREA_SPF, DK_MAIL_WARNING,
			    "spf.lookup_headroom", name, ev, R("4.6.4"),
			    "%d of the %d DNS-querying terms allowed: no "
			    "headroom",
			    w.count, LIMIT);
	}
	worst = w.void4 > w.void6 ? w.void4 : w.void6;
	if (worst >= VOID_LIMIT) {
		int lim = worst > VOID_LIMIT;

		fam = dkm_arr();
		if (w.void4 == worst || (lim && w.void4 > VOID_LIMIT)) {
			dkm_push_str(fam, "ipv4");
		}
		if (w.void6 == worst || (lim && w.void6 > VOID_LIMIT)) {
			dkm_push_str(fam, "ipv6");
		}
		ev = ev_tree(&w);
		dkm_set_int(ev, "void_count", worst);
		dkm_set(ev, "families", fam);
		if (lim) {
			dkm_set_str(ev, "result", "permerror");
		}
		dkm_finding(ctx, DK_MAIL_AREA_SPF,
			    lim ? DK_MAIL_ERROR : DK_MAIL_WARNING,
			    lim ? "spf.void_limit" : "spf.void_lookups", name,
			    ev, R("4.6.4"),
			    lim ? "%d void lookups (limit %d): permerror"
				: "%d void lookups: at the limit of %d",
			    worst, VOID_LIMIT);
	}
	if (dk_mail_value_count(w.unresolved) > 0) {
		size_t nun = dk_mail_value_count(w.unresolved);

		ev = ev_tree(&w);
		dkm_set(ev, "terms", w.unresolved);
		dkm_finding(ctx, DK_MAIL_AREA_SPF, DK_MAIL_INFO,
			    "spf.macro_unresolved", name, ev, R("7"),
			    "%zu term(s) depend on the client (counted; "
			    "their targets are unknown here)",
			    nun);
	} else {
		dkm_value_free(w.unresolved);
	}
	return out;
}

void dkm_spf(struct dkm_ctx *ctx)
{
	struct dk_mail_value *rec = tree(ctx, ctx->domain, 0);
	struct dk_mail_value *helos = dkm_arr();

	for (size_t i = 0; i < ctx->opts->nhelo_names; i++) {
		char *h = dkm_name(ctx->opts->helo_names[i]);

		if (h) {
			dkm_push(helos, tree(ctx, h, 1));
		}
		free(h);
	}
	dkm_set(rec, "helo", helos);
	check_ips(ctx, rec);
	dkm_set(ctx->records, "spf", rec);
}
