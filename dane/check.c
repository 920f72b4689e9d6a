/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DANE policy: RFC 7672 for SMTP and RFC 6698/7671 for other TLS services.
 *
 * Lookups go through the dnssec module; only DNSSEC-secure TLSA RRsets are
 * handed to OpenSSL (SSL_dane_enable(), SSL_dane_tlsa_add()), which does
 * all certificate matching. This file decides which records are usable,
 * which names are the reference identifiers, and what the outcome means.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "dane/internal.h"
#include "dnssec/internal.h"

/* More TLSA records than this in one RRset is a finding (RFC 7671 s. 8). */
#define TLSA_MANY 12
#define DAY 86400

/* The state of one check. */
struct ck {
	struct dk_dane_report *r;
	struct dk_resolver *res;
	struct dk_dane_opts o;
	SSL_CTX *ctx;
	double timeout;
	time_t at; /* moment of certificate checks (now when not given) */
	int nomem;
	/* dki_dane_host_dns(): the TLSA RRset that decided is kept here */
	int keep;
	struct dk_tlsa_rrset *kept;
};

/* --- report building ----------------------------------------------------- */

static char *xstrdup(struct ck *k, const char *s)
{
	char *d;

	if (!s) {
		return NULL;
	}
	d = strdup(s);
	if (!d) {
		k->nomem = 1;
	}
	return d;
}

static void set_str(struct ck *k, char **dst, const char *s)
{
	free(*dst);
	*dst = xstrdup(k, s);
}

static void set_strf(struct ck *k, char **dst, const char *fmt, ...)
	DK_PRINTF(3, 4);

static void set_strf(struct ck *k, char **dst, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0) {
		s = NULL;
		k->nomem = 1;
	}
	va_end(ap);
	free(*dst);
	*dst = s;
}

/*
 * Add a finding. @where, @evidence and @hint are copied (each may be
 * NULL); @code and @rfc are static strings. The same code, host and
 * message are recorded once.
 */
static void finding(struct ck *k, long host, enum dk_dane_severity sev,
		    const char *code, const char *rfc, const char *where,
		    const char *evidence, const char *hint, const char *fmt,
		    ...) DK_PRINTF(9, 10);

static void finding(struct ck *k, long host, enum dk_dane_severity sev,
		    const char *code, const char *rfc, const char *where,
		    const char *evidence, const char *hint, const char *fmt,
		    ...)
{
	struct dk_dane_report *r = k->r;
	struct dk_dane_finding *f, *nf;
	char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0) {
		msg = NULL;
	}
	va_end(ap);
	if (!msg) {
		k->nomem = 1;
		return;
	}
	for (size_t i = 0; i < r->nfindings; i++) {
		if (r->findings[i].host == host &&
		    strcmp(r->findings[i].code, code) == 0 &&
		    strcmp(r->findings[i].message, msg) == 0) {
			free(msg);
			return;
		}
	}
	nf = realloc(r->findings, (r->nfindings + 1) * sizeof(*nf));
	if (!nf) {
		free(msg);
		k->nomem = 1;
		return;
	}
	r->findings = nf;
	f = &r->findings[r->nfindings++];
	memset(f, 0, sizeof(*f));
	f->severity = sev;
	f->code = code;
	f->rfc = rfc;
	f->host = host;
	f->message = msg;
	f->where = xstrdup(k, where);
	f->evidence = xstrdup(k, evidence);
	f->hint = xstrdup(k, hint);
}

static struct dk_dane_host *add_host(struct ck *k, const char *name,
				     unsigned pref, long *ret_index)
{
	struct dk_dane_report *r = k->r;
	struct dk_dane_host *nh, *h;

	nh = realloc(r->hosts, (r->nhosts + 1) * sizeof(*nh));
	if (!nh) {
		k->nomem = 1;
		return NULL;
	}
	r->hosts = nh;
	h = &r->hosts[r->nhosts];
	memset(h, 0, sizeof(*h));
	h->name = xstrdup(k, name);
	if (!h->name) {
		return NULL;
	}
	h->preference = pref;
	h->addr_status = DK_DNSSEC_INDETERMINATE;
	h->tlsa_status = DK_DNSSEC_INDETERMINATE;
	h->verdict = DK_DANE_NOT_APPLICABLE;
	*ret_index = (long)r->nhosts;
	r->nhosts++;
	return h;
}

/* An absolute, lower-case copy of @name (final dot added). */
static char *abs_name(const char *name)
{
	size_t n = strlen(name);
	char *s = malloc(n + 2);

	if (!s) {
		return NULL;
	}
	for (size_t i = 0; i <= n; i++) {
		s[i] = (char)tolower((unsigned char)name[i]);
	}
	if (n == 0 || s[n - 1] != '.') {
		s[n] = '.';
		s[n + 1] = '\0';
	}
	return s;
}

/* @name without its final dot, in @buf. */
static const char *no_dot(const char *name, char *buf, size_t len)
{
	size_t n = strlen(name);

	if (n && name[n - 1] == '.' && n > 1) {
		n--;
	}
	snprintf(buf, len, "%.*s", (int)n, name);
	return buf;
}

static int looks_like_ip(const char *name)
{
	char buf[300];
	unsigned char tmp[16];

	no_dot(name, buf, sizeof(buf));
	if (buf[0] == '[') {
		return 1;
	}
	return inet_pton(AF_INET, buf, tmp) == 1 ||
	       inet_pton(AF_INET6, buf, tmp) == 1;
}

static enum dk_dnssec_status worst(enum dk_dnssec_status a,
				   enum dk_dnssec_status b)
{
	return a < b ? a : b;
}

static const char *tlsa_text(const struct dk_tlsa *t, char *buf, size_t len)
{
	char *s = NULL;

	if (dk_tlsa_format(t, DK_TLSA_FMT_RDATA, NULL, 0, &s) < 0 || !s) {
		snprintf(buf, len, "%u %u %u ?", dk_tlsa_usage(t),
			 dk_tlsa_selector(t), dk_tlsa_mtype(t));
	} else {
		snprintf(buf, len, "%s", s);
	}
	free(s);
	return buf;
}

/* --- lookups ---------------------------------------------------------------
 */

/*
 * A validated lookup. On a lookup error, *@ret_err gets the DK_E* code
 * and @why the reason; the answer is NULL.
 */
static struct dk_answer *lookup(struct ck *k, const char *name, uint16_t type,
				int *ret_err, char *why, size_t whylen)
{
	struct dk_answer *a = NULL;
	struct dk_diag diag = { "" };
	int r = dk_lookup(k->res, name, type, &a, &diag);

	*ret_err = r;
	if (r < 0) {
		if (r == DK_ENOMEM) {
			k->nomem = 1;
		}
		snprintf(why, whylen, "%s",
			 diag.why[0] ? diag.why : dk_strerror(r));
		return NULL;
	}
	why[0] = '\0';
	if (dk_answer_why(a)) {
		snprintf(why, whylen, "%s", dk_answer_why(a));
	}
	return a;
}

static void add_addr(struct ck *k, struct dk_dane_host *h, const ldns_rr *rr,
		     int family, unsigned port)
{
	struct dk_dane_addr *na, *ad;
	char *s;

	if (ldns_rr_rd_count(rr) < 1) {
		return;
	}
	s = ldns_rdf2str(ldns_rr_rdf(rr, 0));
	if (!s) {
		k->nomem = 1;
		return;
	}
	for (size_t i = 0; i < h->naddrs; i++) {
		if (strcmp(h->addrs[i].address, s) == 0) {
			free(s);
			return;
		}
	}
	na = realloc(h->addrs, (h->naddrs + 1) * sizeof(*na));
	if (!na) {
		free(s);
		k->nomem = 1;
		return;
	}
	h->addrs = na;
	ad = &h->addrs[h->naddrs++];
	memset(ad, 0, sizeof(*ad));
	ad->address = s;
	ad->family = family;
	ad->port = port;
	ad->status = DK_ADDR_SKIPPED;
	ad->match_record = -1;
	ad->match_depth = -1;
}

/* Take the records of @set into @h; which are usable is decided by
 * dk_dane_record_usable() alone. */
static void take_records(struct ck *k, struct dk_dane_host *h,
			 const struct dk_tlsa_rrset *set)
{
	size_t n = dk_tlsa_rrset_count(set);

	h->records = n ? calloc(n, sizeof(*h->records)) : NULL;
	if (n && !h->records) {
		k->nomem = 1;
		return;
	}
	for (size_t i = 0; i < n; i++) {
		struct dk_tlsa *t = dk_tlsa_dup(dk_tlsa_rrset_get0(set, i));

		if (!t) {
			k->nomem = 1;
			continue;
		}
		h->records[h->nrecords].tlsa = t;
		h->records[h->nrecords].usable =
			dk_dane_record_usable(set, i, k->r->service) > 0;
		h->nusable += (size_t)h->records[h->nrecords].usable;
		h->nrecords++;
	}
}

/*
 * The address records of host @hi: A and AAAA. Sets the host's address
 * status; returns 0 when the host may go on, -1 when it is unusable.
 */
static int host_addresses(struct ck *k, long hi, unsigned port)
{
	struct dk_dane_host *h = &k->r->hosts[hi];
	static const uint16_t types[] = { LDNS_RR_TYPE_A, LDNS_RR_TYPE_AAAA };
	enum dk_dnssec_status st = DK_DNSSEC_SECURE;
	char why[600];
	int failed = 0;

	for (size_t t = 0; t < 2; t++) {
		struct dk_answer *a;
		const ldns_rr_list *rrs;
		const char *canon;
		int err;

		if ((t == 0 && k->o.no_ipv4) || (t == 1 && k->o.no_ipv6)) {
			continue;
		}
		a = lookup(k, h->name, types[t], &err, why, sizeof(why));
		if (!a) {
			h->verdict = DK_DANE_INCOMPLETE;
			set_strf(k, &h->addr_why, "%s", why);
			set_strf(k, &h->why, "the %s lookup of %s failed: %s",
				 t ? "AAAA" : "A", h->name, why);
			finding(k, hi, DK_DANE_ERROR, "address-lookup-failed",
				"RFC 7672 section 2.1.1", h->name, why,
				"check the name servers of the host's zone; an "
				"MTA defers the mail until this resolves",
				"the %s lookup of %s failed", t ? "AAAA" : "A",
				h->name);
			failed = 1;
			st = DK_DNSSEC_INDETERMINATE;
			continue;
		}
		st = worst(st, dk_answer_status(a));
		if (dk_answer_status(a) == DK_DNSSEC_BOGUS && why[0]) {
			set_str(k, &h->addr_why, why);
		}
		canon = dk_answer_canonname(a);
		if (canon && strcasecmp(canon, h->name) != 0 && !h->cname) {
			h->cname = abs_name(canon);
			if (!h->cname) {
				k->nomem = 1;
			}
		}
		if (dk_answer_status(a) != DK_DNSSEC_BOGUS) {
			rrs = dki_answer_get0_rrset(a);
			for (size_t i = 0; i < ldns_rr_list_rr_count(rrs);
			     i++) {
				add_addr(k, h, ldns_rr_list_rr(rrs, i),
					 t ? AF_INET6 : AF_INET, port);
			}
		}
		dk_answer_free(a);
	}
	h->addr_status = st;
	if (failed) {
		return -1;
	}
	if (h->cname) {
		char ev[700];

		snprintf(ev, sizeof(ev), "%s is an alias of %s", h->name,
			 h->cname);
		if (k->r->service == DK_DANE_SERVICE_SMTP &&
		    !k->r->implicit_mx) {
			finding(k, hi, DK_DANE_WARNING, "mx-cname",
				"RFC 2181 section 10.3", h->name, ev,
				"point the MX record at the canonical name",
				"the MX host %s is a CNAME", h->name);
		}
		if (st == DK_DNSSEC_SECURE) {
			finding(k, hi, DK_DANE_INFO, "cname-expanded",
				"RFC 7672 section 2.2.2", h->name, ev, NULL,
				"TLSA records are looked up first at the "
				"expanded name "
				"%s, then at %s",
				h->cname, h->name);
		}
	}
	if (st == DK_DNSSEC_BOGUS) {
		h->verdict = DK_DANE_FAILED;
		set_strf(k, &h->why, "the address records of %s are bogus%s%s",
			 h->name, h->addr_why ? ": " : "",
			 h->addr_why ? h->addr_why : "");
		finding(k, hi, DK_DANE_ERROR, "address-bogus",
			"RFC 7672 section 2.1.1", h->name, h->addr_why,
			"fix the DNSSEC signatures of the host's zone (see "
			"danekit "
			"chain)",
			"the A/AAAA records of %s fail DNSSEC validation: mail "
			"to this host is deferred",
			h->name);
		return -1;
	}
	if (h->naddrs == 0) {
		/* with -4 or -6 only one type was asked for: say which */
		const char *none = k->o.no_ipv4	  ? "no AAAA record (-6)"
				   : k->o.no_ipv6 ? "no A record (-4)"
						  : "no A or AAAA records";

		set_strf(k, &h->why, "%s has %s", h->name,
			 k->o.no_ipv4 || k->o.no_ipv6 ? none
						      : "no address records");
		finding(k, hi, DK_DANE_ERROR, "no-address",
			"RFC 5321 section 5.1", h->name, NULL,
			"publish A and/or AAAA records for the host",
			"%s has %s", h->name, none);
	}
	return 0;
}

/*
 * The TLSA RRset of host @hi, RFC 7672 section 2.2.2 and RFC 7671
 * section 7: the CNAME-expanded name first, then the original name.
 */
/*
 * DNSSEC signatures on the path to a secure RRset (from the chain module):
 * a warning for each one that expires within the --sig-warn-days window
 * of now, or before the --at moment. When a signature lapses, the records
 * turn bogus and MTAs defer mail (RFC 7672 section 2.1.1). Each signature
 * is reported once per report.
 */
/* Has the report a finding with this message already (any host)? */
static int have_finding(const struct ck *k, const char *msg)
{
	for (size_t i = 0; i < k->r->nfindings; i++) {
		if (strcmp(k->r->findings[i].message, msg) == 0) {
			return 1;
		}
	}
	return 0;
}

static void sig_warnings(struct ck *k, long hi, const char *name, uint16_t type)
{
	struct dk_chain *ch = NULL;
	struct dk_diag diag = { "" };
	long days = k->o.sig_warn_days ? k->o.sig_warn_days : 7;
	time_t now = time(NULL);

	if (days < 0 && k->at <= now) {
		return;
	}
	if (dk_chain_build(k->res, name, type, days > 0 ? (int)days : 0, &ch,
			   &diag) < 0) {
		return; /* the lookups themselves are judged elsewhere */
	}
	for (size_t i = 0; i < dk_chain_link_count(ch); i++) {
		const struct dk_chain_link *l = dk_chain_link(ch, i);
		const struct dk_chain_sig *sets[] = { l->ds_sigs, l->key_sigs,
						      l->sigs, l->proof_sigs };
		const size_t counts[] = { l->ds_sig_count, l->key_sig_count,
					  l->sig_count, l->proof_sig_count };

		for (size_t j = 0; j < 4; j++) {
			for (size_t n = 0; n < counts[j]; n++) {
				const struct dk_chain_sig *g = &sets[j][n];
				const ldns_rr_descriptor *d =
					ldns_rr_descript(g->type_covered);
				const char *tname =
					d && d->_name ? d->_name : "?";
				char when[32], ev[256], msg[512];
				struct tm tm;
				int soon, before_at;

				if (g->state != DK_CHAIN_SIG_VALID) {
					continue;
				}
				soon = days > 0 &&
				       g->expiration - now < (time_t)days * DAY;
				before_at =
					k->at > now && g->expiration <= k->at;
				if (!soon && !before_at) {
					continue;
				}
				gmtime_r(&g->expiration, &tm);
				strftime(when, sizeof(when),
					 "%Y-%m-%dT%H:%M:%SZ", &tm);
				snprintf(ev, sizeof(ev),
					 "RRSIG %s %s by %s key %u expires %s",
					 tname, g->owner, g->signer, g->key_tag,
					 when);
				if (before_at) {
					snprintf(msg, sizeof(msg),
						 "at the --at moment the RRSIG "
						 "over "
						 "%s %s will have expired (on "
						 "%s): "
						 "the records turn bogus",
						 g->owner, tname, when);
				} else {
					long left = (long)((g->expiration -
							    now + DAY / 2) /
							   DAY);

					snprintf(msg, sizeof(msg),
						 "the RRSIG over %s %s expires "
						 "in "
						 "%ld day%s (%s)",
						 g->owner, tname, left,
						 left == 1 ? "" : "s", when);
				}
				/* Zones above several hosts: once a report. */
				if (have_finding(k, msg)) {
					continue;
				}
				finding(k, hi, DK_DANE_WARNING,
					before_at ? "dnssec-sig-expired-at"
						  : "dnssec-sig-expiring",
					"RFC 7672 section 2.1.1", g->owner, ev,
					"re-sign the zone (or check that its "
					"signer runs): once a signature lapses "
					"the records are bogus and MTAs defer "
					"mail",
					"%s", msg);
			}
		}
	}
	dk_chain_free(ch);
}

/* Is the CNAME at host @hi's own name (the chain's first link) secure? */
static int cname_link_secure(struct ck *k, long hi)
{
	const char *name = k->r->hosts[hi].name;
	struct dk_answer *a;
	char why[600];
	int err, secure;

	a = lookup(k, name, LDNS_RR_TYPE_CNAME, &err, why, sizeof(why));
	if (!a) {
		return 0;
	}
	secure = dk_answer_status(a) == DK_DNSSEC_SECURE &&
		 ldns_rr_list_rr_count(dki_answer_get0_rrset(a)) > 0;
	dk_answer_free(a);
	return secure;
}

/* Done with @set: kept for dki_dane_host_dns(), else freed. */
static void keep_set(struct ck *k, struct dk_tlsa_rrset *set)
{
	if (k->keep) {
		dk_tlsa_rrset_free(k->kept);
		k->kept = set;
	} else {
		dk_tlsa_rrset_free(set);
	}
}

static void host_tlsa(struct ck *k, long hi, unsigned port)
{
	struct dk_dane_host *h = &k->r->hosts[hi];
	const char *cand[2];
	size_t ncand = 0;
	char why[600];

	/* The expanded name only when every link of the chain is secure. */
	if (h->cname && h->addr_status == DK_DNSSEC_SECURE) {
		cand[ncand++] = h->cname;
	}
	cand[ncand++] = h->name;
	for (size_t c = 0; c < ncand; c++) {
		struct dk_diag diag = { "" };
		struct dk_tlsa_rrset *set;
		char *owner = NULL;
		int err, r;

		for (size_t i = 0; i < h->nrecords; i++) {
			dk_tlsa_free(h->records[i].tlsa);
		}
		free(h->records);
		h->records = NULL;
		h->nrecords = h->nusable = 0;
		r = dk_tlsa_owner(cand[c], port, "tcp", &owner, &diag);
		if (r < 0) {
			if (r == DK_ENOMEM) {
				k->nomem = 1;
			}
			h->verdict = DK_DANE_FAILED;
			set_strf(k, &h->why, "no TLSA owner name for %s: %s",
				 cand[c], diag.why);
			return;
		}
		free(h->tlsa_owner);
		h->tlsa_owner = owner;
		set_str(k, &h->tlsa_base, cand[c]);
		set = NULL;
		diag.why[0] = '\0';
		err = dk_tlsa_lookup(k->res, owner, &set, &diag);
		if (err < 0) {
			if (err == DK_ENOMEM) {
				k->nomem = 1;
			}
			snprintf(why, sizeof(why), "%s",
				 diag.why[0] ? diag.why : dk_strerror(err));
			h->tlsa_error = err;
			h->tlsa_status = DK_DNSSEC_INDETERMINATE;
			set_str(k, &h->tlsa_why, why);
			h->verdict = DK_DANE_INCOMPLETE;
			set_strf(k, &h->why, "the TLSA lookup of %s failed: %s",
				 owner, why);
			finding(k, hi, DK_DANE_ERROR, "tlsa-lookup-failed",
				"RFC 7672 section 2.1.1", owner, why,
				"a TLSA lookup failure is not \"no TLSA\": an "
				"MTA "
				"defers the mail; check the zone's name "
				"servers",
				"the TLSA lookup of %s failed", owner);
			return;
		}
		h->tlsa_status = dk_tlsa_rrset_status(set);
		set_str(k, &h->tlsa_why, dk_tlsa_rrset_why(set));
		if (dk_tlsa_rrset_disagrees(set) &&
		    dk_tlsa_rrset_resolver_status(set) == DK_DNSSEC_SECURE) {
			/* the rule of trust: never "valid" on one view */
			take_records(k, h, set);
			h->verdict = h->tlsa_status == DK_DNSSEC_INDETERMINATE
					     ? DK_DANE_INCOMPLETE
					     : DK_DANE_FAILED;
			set_strf(k, &h->why,
				 "the TLSA RRset %s is not trusted: %s", owner,
				 dk_tlsa_rrset_why(set));
			finding(k, hi, DK_DANE_ERROR, "tlsa-chain-disagrees",
				"RFC 7672 section 2.1.1", owner,
				dk_tlsa_rrset_why(set),
				"see danekit chain for the link that breaks",
				"the validator says the TLSA RRset %s is "
				"secure, but the chain check says %s",
				owner,
				dk_dnssec_status_name(
					dk_tlsa_rrset_chain_status(set)));
			keep_set(k, set);
			return;
		}
		snprintf(why, sizeof(why), "%s",
			 dk_tlsa_rrset_why(set) ? dk_tlsa_rrset_why(set) : "");
		if (h->tlsa_status == DK_DNSSEC_BOGUS) {
			h->verdict = DK_DANE_FAILED;
			set_strf(k, &h->why, "the TLSA RRset %s is bogus%s%s",
				 owner, why[0] ? ": " : "", why);
			finding(k, hi, DK_DANE_ERROR, "tlsa-bogus",
				"RFC 7672 section 2.1.1", owner,
				why[0] ? why : NULL,
				"re-sign the zone, or correct the records and "
				"re-sign; an MTA defers all mail to this host",
				"the TLSA RRset %s fails DNSSEC validation",
				owner);
			keep_set(k, set);
			return;
		}
		if (dk_tlsa_rrset_count(set) > 0 &&
		    h->tlsa_status == DK_DNSSEC_SECURE) {
			take_records(k, h, set);
			keep_set(k, set);
			sig_warnings(k, hi, owner, LDNS_RR_TYPE_TLSA);
			return;
		}
		if (dk_tlsa_rrset_count(set) > 0) {
			/* Insecure records: listed, never usable. */
			take_records(k, h, set);
			keep_set(k, set);
			if (c + 1 < ncand) {
				finding(k, hi, DK_DANE_INFO,
					"tlsa-insecure-at-expanded-name",
					"RFC 7672 section 2.2.2", owner, NULL,
					NULL,
					"the TLSA records at %s are insecure; "
					"trying "
					"the original name",
					owner);
				continue;
			}
			return;
		}
		keep_set(k, set);
		if (c + 1 < ncand) {
			finding(k, hi, DK_DANE_INFO,
				"tlsa-not-at-expanded-name",
				"RFC 7672 section 2.2.2", owner, NULL, NULL,
				"no TLSA records at %s; trying the original "
				"name",
				owner);
		}
	}
}

/* --- connections --------------------------------------------------------- */

/* Index of the usable record of @h equal to (u, s, m, d), or -1. */
static long record_index(const struct dk_dane_host *h, uint8_t u, uint8_t s,
			 uint8_t m, const unsigned char *d, size_t dlen)
{
	for (size_t i = 0; d && i < h->nrecords; i++) {
		const struct dk_tlsa *t = h->records[i].tlsa;
		size_t tl = 0;
		const uint8_t *td = dk_tlsa_data(t, &tl);

		if (h->records[i].usable && dk_tlsa_usage(t) == u &&
		    dk_tlsa_selector(t) == s && dk_tlsa_mtype(t) == m &&
		    tl == dlen && memcmp(td, d, dlen) == 0) {
			return (long)i;
		}
	}
	return -1;
}

/* What one connection gave. */
struct probe_out {
	enum dk_dane_addr_status status;
	char why[700];
	char banner[300];
	char version[32];
	char cipher[80];
	STACK_OF(X509) * chain; /* up-ref'd copy, leaf first */
	long verify_code;
	long match_record;
	int match_depth;
};

/* The key type of a leaf, for the alternate-key probes. */
enum keytype {
	KT_OTHER = 0,
	KT_ECDSA,
	KT_RSA,
	KT_EDDSA,
	KT_COUNT
};

static const struct {
	const char *name;
	const char *sigalgs;
} keytypes[KT_COUNT] = {
	[KT_OTHER] = { "other", NULL },
	[KT_ECDSA] = { "ECDSA", "ECDSA+SHA256:ECDSA+SHA384:ECDSA+SHA512" },
	[KT_RSA] = { "RSA",
		     "rsa_pss_rsae_sha256:rsa_pss_rsae_sha384:rsa_pss_rsae_"
		     "sha512:"
		     "rsa_pss_pss_sha256:rsa_pss_pss_sha384:rsa_pss_pss_sha512:"
		     "RSA+SHA256:RSA+SHA384:RSA+SHA512" },
	[KT_EDDSA] = { "EdDSA", "ed25519:ed448" },
};

static enum keytype key_type(X509 *x)
{
	EVP_PKEY *k = x ? X509_get0_pubkey(x) : NULL;

	switch (k ? EVP_PKEY_get_base_id(k) : 0) {
	case EVP_PKEY_EC:
		return KT_ECDSA;
	case EVP_PKEY_RSA:
	case EVP_PKEY_RSA_PSS:
		return KT_RSA;
	case EVP_PKEY_ED25519:
	case EVP_PKEY_ED448:
		return KT_EDDSA;
	default:
		return KT_OTHER;
	}
}

/*
 * Connect to one address, run the STARTTLS exchange and the handshake,
 * offering only @sigalgs when not NULL (to see another certificate of a
 * server with several keys).
 */
int dki_dane_ssl_enable(SSL *ssl, const char *base, const char *other,
			const struct dk_dane_record *recs, size_t n,
			long *ret_refused, size_t *ret_nrefused)
{
	char sni[260], o[260];
	int added = 0;

	if (ret_nrefused) {
		*ret_nrefused = 0;
	}
	no_dot(base, sni, sizeof(sni));
	/*
	 * The TLSA base domain is the SNI name and the first reference
	 * identifier; the other of (MX host, CNAME-expanded name) is added
	 * (RFC 7672 section 3.2.2). DANE-EE matches skip name and date
	 * checks (RFC 7672 section 3.1.1); DANE-TA keeps them.
	 */
	if (SSL_dane_enable(ssl, sni) <= 0) {
		ERR_clear_error();
		return DK_ETLS;
	}
	SSL_dane_set_flags(ssl, DANE_FLAG_NO_DANE_EE_NAMECHECKS);
	if (other) {
		no_dot(other, o, sizeof(o));
		if (!SSL_add1_host(ssl, o)) {
			ERR_clear_error();
		}
	}
	for (size_t i = 0; i < n; i++) {
		const struct dk_tlsa *t = recs[i].tlsa;
		size_t dl = 0;
		const uint8_t *d = dk_tlsa_data(t, &dl);

		if (!recs[i].usable) {
			continue;
		}
		if (SSL_dane_tlsa_add(ssl, dk_tlsa_usage(t),
				      dk_tlsa_selector(t), dk_tlsa_mtype(t), d,
				      dl) > 0) {
			added++;
			continue;
		}
		ERR_clear_error();
		if (ret_refused && ret_nrefused) {
			ret_refused[(*ret_nrefused)++] = (long)i;
		}
	}
	return added;
}

static void probe_core(struct ck *k, long hi, const char *address,
		       unsigned port, enum dk_starttls proto,
		       const char *sigalgs, struct probe_out *out)
{
	struct dk_dane_host *h = &k->r->hosts[hi];
	struct dki_conn c;
	char sni[260];
	int e;
	STACK_OF(X509) * chain;
	SSL *ssl = NULL;
	const char *ehlo = k->o.ehlo_name ? k->o.ehlo_name : "danekit.invalid";
	const char *base = h->tlsa_base ? h->tlsa_base : h->name;
	double deadline = dki_mono() + k->timeout;

	memset(out, 0, sizeof(*out));
	out->match_record = -1;
	out->match_depth = -1;
	e = dki_conn_open(&c, address, port, deadline, out->why,
			  sizeof(out->why));
	if (e < 0) {
		out->status = dki_addr_status(e);
		return;
	}
	e = dki_starttls(&c, proto, ehlo, k->r->domain, out->banner,
			 sizeof(out->banner), out->why, sizeof(out->why));
	if (e < 0) {
		out->status = dki_addr_status(e);
		dki_conn_close(&c);
		return;
	}
	ssl = SSL_new(k->ctx);
	if (!ssl || (sigalgs && !SSL_set1_sigalgs_list(ssl, sigalgs))) {
		out->status = DK_ADDR_TLS_FAILED;
		snprintf(out->why, sizeof(out->why),
			 "cannot set up the TLS connection");
		goto out;
	}
	no_dot(base, sni, sizeof(sni));
	if (h->dane) {
		const char *o = NULL;
		long *refused = calloc(h->nrecords + 1, sizeof(*refused));
		size_t nrefused = 0;

		if (h->cname && h->addr_status == DK_DNSSEC_SECURE) {
			o = strcasecmp(base, h->cname) == 0 ? h->name
							    : h->cname;
		}
		if (!refused ||
		    dki_dane_ssl_enable(ssl, base, o, h->records, h->nrecords,
					refused, &nrefused) < 0) {
			free(refused);
			out->status = DK_ADDR_TLS_FAILED;
			snprintf(out->why, sizeof(out->why),
				 "SSL_dane_enable failed");
			goto out;
		}
		for (size_t i = 0; i < nrefused; i++) {
			char tb[300];

			finding(k, hi, DK_DANE_WARNING, "tlsa-refused",
				"RFC 6698 section 2.1", h->tlsa_owner,
				tlsa_text(h->records[refused[i]].tlsa, tb,
					  sizeof(tb)),
				"check the length of the association data for "
				"its "
				"matching type",
				"OpenSSL cannot use the record %s", tb);
		}
		free(refused);
	} else if (!h->ip_literal) {
		SSL_set_tlsext_host_name(ssl, sni);
		if (k->r->service == DK_DANE_SERVICE_TLS) {
			/* Reported for information: would PKIX accept it? */
			SSL_set1_host(ssl, sni);
		}
	}
	if (k->o.at) {
		X509_VERIFY_PARAM_set_time(SSL_get0_param(ssl), k->o.at);
	}
	X509_VERIFY_PARAM_set_hostflags(SSL_get0_param(ssl),
					X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	e = dki_tls_handshake(&c, ssl, out->why, sizeof(out->why));
	if (e < 0) {
		out->status = dki_addr_status(e);
		goto out;
	}
	snprintf(out->version, sizeof(out->version), "%s",
		 SSL_get_version(ssl));
	snprintf(out->cipher, sizeof(out->cipher), "%s",
		 SSL_get_cipher_name(ssl));
	chain = SSL_get_peer_cert_chain(ssl);
	if (chain && sk_X509_num(chain) > 0) {
		out->chain = X509_chain_up_ref(chain);
		if (!out->chain) {
			k->nomem = 1;
		}
	}
	out->verify_code = SSL_get_verify_result(ssl);
	if (h->dane) {
		uint8_t u = 0, s = 0, m = 0;
		const unsigned char *d = NULL;
		size_t dl = 0;
		int depth = SSL_get0_dane_tlsa(ssl, &u, &s, &m, &d, &dl);

		if (depth >= 0 && d) {
			out->match_depth = depth;
			out->match_record = record_index(h, u, s, m, d, dl);
		}
		if (out->verify_code == X509_V_OK && depth >= 0) {
			out->status = DK_ADDR_VERIFIED;
		} else {
			out->status = DK_ADDR_MISMATCH;
			const char *vt =
				X509_verify_cert_error_string(out->verify_code);

			if (out->verify_code == X509_V_ERR_DANE_NO_MATCH) {
				snprintf(out->why, sizeof(out->why),
					 "no TLSA record matched the "
					 "certificate chain (%s)",
					 vt);
			} else if (depth < 0) {
				/* PKIX-TA/PKIX-EE: the chain must also verify
				 * to a trusted CA (RFC 6698 section 2.1.1). */
				snprintf(out->why, sizeof(out->why),
					 "verification failed before any "
					 "TLSA record matched: %s",
					 vt);
			} else {
				snprintf(out->why, sizeof(out->why),
					 "a TLSA record matched at depth %d, "
					 "but verification failed: %s",
					 depth, vt);
			}
		}
	} else {
		out->status = DK_ADDR_TLS_ONLY;
	}
	dki_tls_goodbye(&c, ssl, proto);
out:
	SSL_free(ssl);
	dki_conn_close(&c);
	ERR_clear_error();
}

static void fill_chain(struct ck *k, STACK_OF(X509) * chain,
		       struct dk_dane_cert **ret, size_t *ret_n)
{
	int n = chain ? sk_X509_num(chain) : 0;

	*ret = NULL;
	*ret_n = 0;
	if (n <= 0) {
		return;
	}
	*ret = calloc((size_t)n, sizeof(**ret));
	if (!*ret) {
		k->nomem = 1;
		return;
	}
	for (int i = 0; i < n; i++) {
		if (dki_cert_info(sk_X509_value(chain, i), &(*ret)[*ret_n]) ==
		    0) {
			(*ret_n)++;
		} else {
			k->nomem = 1;
		}
	}
}

/*
 * Probe one address; the presented chain goes to *@ret_chain (caller
 * frees) for the lint. For a DANE host the other key types are tried too
 * (a server with an RSA and an ECDSA key shows each to different clients):
 * their chains are appended to @extra.
 */
static void probe(struct ck *k, long hi, struct dk_dane_addr *ad,
		  enum dk_starttls proto, STACK_OF(X509) * *ret_chain,
		  STACK_OF(X509) * *extra, size_t *nextra)
{
	struct dk_dane_host *h = &k->r->hosts[hi];
	struct probe_out po;
	enum keytype seen;

	*ret_chain = NULL;
	probe_core(k, hi, ad->address, ad->port, proto, NULL, &po);
	ad->status = po.status;
	set_str(k, &ad->why,
		po.why[0] && po.status != DK_ADDR_VERIFIED &&
				po.status != DK_ADDR_TLS_ONLY
			? po.why
			: NULL);
	set_str(k, &ad->banner, po.banner[0] ? po.banner : NULL);
	if (!po.version[0]) {
		return;
	}
	set_str(k, &ad->tls_version, po.version);
	set_str(k, &ad->cipher, po.cipher);
	ad->verify_code = po.verify_code;
	if (h->dane || k->r->service == DK_DANE_SERVICE_TLS) {
		set_str(k, &ad->verify_text,
			X509_verify_cert_error_string(po.verify_code));
	}
	ad->match_record = po.match_record;
	ad->match_depth = po.match_depth;
	if (po.match_record >= 0 && po.status == DK_ADDR_VERIFIED) {
		h->records[po.match_record].matches++;
	}
	fill_chain(k, po.chain, &ad->chain, &ad->nchain);
	*ret_chain = po.chain;
	if (!h->dane || !po.chain) {
		return;
	}
	seen = key_type(sk_X509_value(po.chain, 0));
	for (int t = KT_ECDSA; t < KT_COUNT; t++) {
		struct probe_out ao;
		struct dk_dane_alt *na, *alt;
		X509 *leaf;

		if (t == (int)seen) {
			continue;
		}
		probe_core(k, hi, ad->address, ad->port, proto,
			   keytypes[t].sigalgs, &ao);
		leaf = ao.chain ? sk_X509_value(ao.chain, 0) : NULL;
		if (!leaf || key_type(leaf) != (enum keytype)t ||
		    X509_cmp(leaf, sk_X509_value(po.chain, 0)) == 0) {
			/* No certificate of that key type. */
			sk_X509_pop_free(ao.chain, X509_free);
			continue;
		}
		na = realloc(ad->alts, (ad->nalts + 1) * sizeof(*na));
		if (!na) {
			k->nomem = 1;
			sk_X509_pop_free(ao.chain, X509_free);
			continue;
		}
		ad->alts = na;
		alt = &ad->alts[ad->nalts++];
		memset(alt, 0, sizeof(*alt));
		alt->key_type = keytypes[t].name;
		alt->status = ao.status;
		alt->why = xstrdup(k, ao.status != DK_ADDR_VERIFIED ? ao.why
								    : NULL);
		alt->match_record = ao.match_record;
		alt->match_depth = ao.match_depth;
		if (ao.match_record >= 0 && ao.status == DK_ADDR_VERIFIED) {
			h->records[ao.match_record].matches++;
		}
		fill_chain(k, ao.chain, &alt->chain, &alt->nchain);
		extra[(*nextra)++] = ao.chain;
	}
}

/* --- lint ---------------------------------------------------------------- */

/* A dk_input holding @chain (leaf first), for offline comparisons. */
static struct dk_input *chain_input(STACK_OF(X509) * chain)
{
	BIO *b = BIO_new(BIO_s_mem());
	struct dk_input *in = NULL;
	char *p = NULL;
	long len;

	if (!b) {
		return NULL;
	}
	for (int i = 0; i < sk_X509_num(chain); i++) {
		if (!PEM_write_bio_X509(b, sk_X509_value(chain, i))) {
			BIO_free(b);
			ERR_clear_error();
			return NULL;
		}
	}
	len = BIO_get_mem_data(b, &p);
	if (len > 0 &&
	    dk_input_load((const uint8_t *)p, (size_t)len, &in, NULL) < 0) {
		in = NULL;
	}
	BIO_free(b);
	ERR_clear_error();
	return in;
}

static int is_empty_digest(const struct dk_tlsa *t)
{
	static const char sha256_empty[] = "e3b0c44298fc1c149afbf4c8996fb92427a"
					   "e41e4649b934ca495991b7852b855";
	static const char sha512_empty[] = "cf83e1357eefb8bdf1542850d66d8007d62"
					   "0e4050b5715dc83f4a921d36ce9ce"
					   "47d0d13c5d85f2b0ff8318d2877eec2f63b"
					   "931bd47417a81a538327af927da3e";
	char hex[129];
	size_t len = 0;
	const uint8_t *d = dk_tlsa_data(t, &len);

	if (len != 32 && len != 64) {
		return 0;
	}
	dki_hex(d, len, hex);
	return (len == 32 && dk_tlsa_mtype(t) == DK_TLSA_SHA256 &&
		strcmp(hex, sha256_empty) == 0) ||
	       (len == 64 && dk_tlsa_mtype(t) == DK_TLSA_SHA512 &&
		strcmp(hex, sha512_empty) == 0);
}

/*
 * Which of @ins does @t match first (usages 1/3 test leaves, 0/2 whole
 * chains)? The index, or -1.
 */
static long matches_any(const struct dk_tlsa *t, struct dk_input **ins,
			size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (ins[i] && dk_tlsa_match(t, ins[i], NULL) > 0) {
			return (long)i;
		}
	}
	return -1;
}

/* Do the leaves of two inputs have the same public key? */
static int same_leaf_key(struct dk_input *a, struct dk_input *b)
{
	X509 *x = dk_input_get0_cert(a, 0), *y = dk_input_get0_cert(b, 0);

	return x && y &&
	       EVP_PKEY_eq(X509_get0_pubkey(x), X509_get0_pubkey(y)) == 1;
}

static void lint_tlsa(struct ck *k, long hi, STACK_OF(X509) * *chains,
		      size_t nchains)
{
	struct dk_dane_host *h = &k->r->hosts[hi];
	const char *owner = h->tlsa_owner;
	struct dk_input **ins = NULL;
	size_t nins = 0, nsha256 = 0, nsha512 = 0, nta = 0, nkeys = 0,
	       nunmatched = 0;
	long key_of[TLSA_MANY + 1];
	int smtp = k->r->service == DK_DANE_SERVICE_SMTP;
	char tb[300], ev[1200];

	if (h->nrecords == 0 || h->tlsa_status != DK_DNSSEC_SECURE) {
		return;
	}
	if (nchains) {
		ins = calloc(nchains, sizeof(*ins));
		if (!ins) {
			k->nomem = 1;
			return;
		}
		for (size_t i = 0; i < nchains; i++) {
			if (chains[i]) {
				ins[nins++] = chain_input(chains[i]);
			}
		}
	}
	for (size_t i = 0; i < h->nrecords; i++) {
		const struct dk_tlsa *t = h->records[i].tlsa;
		uint8_t u = dk_tlsa_usage(t), s = dk_tlsa_selector(t),
			m = dk_tlsa_mtype(t);
		size_t dl = 0;
		long m_at;

		dk_tlsa_data(t, &dl);
		tlsa_text(t, tb, sizeof(tb));
		for (size_t j = 0; j < i; j++) {
			if (dk_tlsa_cmp(t, h->records[j].tlsa) == 0) {
				finding(k, hi, DK_DANE_INFO, "tlsa-duplicate",
					"RFC 2181 section 5", owner, tb,
					"remove the duplicate",
					"the record %.40s... appears twice",
					tb);
			}
		}
		if (smtp && (u == DK_TLSA_PKIX_TA || u == DK_TLSA_PKIX_EE)) {
			finding(k, hi, DK_DANE_WARNING, "tlsa-pkix-usage-smtp",
				"RFC 7672 section 3.1.3", owner, tb,
				"publish DANE-EE (3 1 1) or DANE-TA (2 1 1) "
				"records "
				"instead",
				"usage %u (%s) is not usable for SMTP: MTAs "
				"ignore "
				"this record",
				u, u ? "PKIX-EE" : "PKIX-TA");
		}
		if (u > 3 || s > 1 || m > 2) {
			finding(k, hi, DK_DANE_WARNING,
				"tlsa-unknown-parameter",
				"RFC 6698 section 2.1", owner, tb, NULL,
				"the record %u %u %u has a value with no "
				"defined "
				"meaning: clients ignore it",
				u, s, m);
			continue;
		}
		if (u == DK_TLSA_DANE_EE && s == DK_TLSA_CERT &&
		    m != DK_TLSA_FULL) {
			finding(k, hi, DK_DANE_WARNING, "tlsa-dane-ee-cert",
				"RFC 7672 section 3.1.1", owner, tb,
				"publish 3 1 1 (the key's digest): it survives "
				"renewals that keep the key",
				"the record 3 0 %u matches the whole "
				"certificate: "
				"it breaks at every renewal",
				m);
		}
		if (m == DK_TLSA_FULL) {
			finding(k, hi, DK_DANE_WARNING, "tlsa-full-data",
				"RFC 7671 section 10.1.2", owner, tb,
				"publish the SHA2-256 digest (matching type 1) "
				"instead",
				"the record %u %u 0 carries the full %s: large "
				"answers, no benefit",
				u, s, s ? "public key" : "certificate");
		}
		if ((m == DK_TLSA_SHA256 && dl != 32) ||
		    (m == DK_TLSA_SHA512 && dl != 64)) {
			finding(k, hi, DK_DANE_ERROR, "tlsa-bad-length",
				"RFC 6698 section 2.1.3", owner, tb,
				"regenerate the record with danekit tlsa",
				"the record %u %u %u has %zu bytes of data, "
				"not "
				"the %d of its digest",
				u, s, m, dl, m == 1 ? 32 : 64);
		}
		if (is_empty_digest(t)) {
			finding(k, hi, DK_DANE_ERROR, "tlsa-empty-digest",
				"RFC 6698 section 2.1.4", owner, tb,
				"the record was made from an empty file; "
				"regenerate it from the certificate or key",
				"the record %u %u %u is the digest of empty "
				"input",
				u, s, m);
		}
		nsha256 += m == DK_TLSA_SHA256;
		nsha512 += m == DK_TLSA_SHA512;
		if (h->records[i].usable &&
		    (u == DK_TLSA_DANE_TA || u == DK_TLSA_PKIX_TA)) {
			nta++;
		}
		if (!h->records[i].usable || nins == 0) {
			continue;
		}
		m_at = matches_any(t, ins, nins);
		if (m_at >= 0) {
			/* Count the distinct leaf keys that records name. */
			if (u == DK_TLSA_DANE_EE || u == DK_TLSA_PKIX_EE) {
				int known = 0;

				for (size_t j = 0; j < nkeys; j++) {
					known |= same_leaf_key(ins[key_of[j]],
							       ins[m_at]);
				}
				if (!known && nkeys < TLSA_MANY + 1) {
					key_of[nkeys++] = m_at;
				}
			}
			continue;
		}
		nunmatched++;
		if (u == DK_TLSA_DANE_TA || u == DK_TLSA_PKIX_TA) {
			snprintf(ev, sizeof(ev),
				 "%s; certificates sent: %zu chain(s)", tb,
				 nins);
			finding(k, hi,
				m == DK_TLSA_FULL ? DK_DANE_INFO
						  : DK_DANE_WARNING,
				"tlsa-ta-not-sent", "RFC 7672 section 3.1.2",
				owner, ev,
				"configure the server to send the full chain "
				"(leaf, intermediates, the trust anchor), or "
				"remove the record if that CA is no longer "
				"used",
				"no server sends the certificate of the "
				"trust-anchor "
				"record %.60s",
				tb);
		} else {
			finding(k, hi, DK_DANE_WARNING, "tlsa-stale",
				"RFC 7671 section 8", owner, tb,
				"remove it once no server uses that key, or "
				"keep it "
				"only while it is the next key of a rollover",
				"the record %.60s matches no certificate any "
				"server presents",
				tb);
		}
	}
	if (nsha512 && !nsha256) {
		finding(k, hi, DK_DANE_WARNING, "tlsa-sha512-only",
			"RFC 7671 section 9", owner, NULL,
			"publish SHA2-256 (matching type 1) records too: it is "
			"the digest every client implements",
			"%s has SHA2-512 records but no SHA2-256 record",
			owner);
	}
	if (h->nrecords > TLSA_MANY) {
		snprintf(ev, sizeof(ev), "%zu records", h->nrecords);
		finding(k, hi, DK_DANE_WARNING, "tlsa-too-many",
			"RFC 7671 section 8", owner, ev,
			"keep the current and the next key (or issuer) only",
			"%s has %zu records, more than a dozen", owner,
			h->nrecords);
	}
	/*
	 * One usable record, or records that all name the one key in use
	 * (3 1 1 and 3 1 2 of it): no second key or issuer to roll to.
	 */
	if (h->nusable == 1 ||
	    (nins && nta == 0 && nunmatched == 0 && nkeys == 1)) {
		finding(k, hi, DK_DANE_WARNING, "tlsa-single-record",
			"RFC 7671 section 8", owner,
			h->nusable == 1
				? "one usable record"
				: "every usable record is for the current "
				  "key",
			"publish a second record: the 3 1 1 of the next key "
			"before the rollover, or the 2 1 1 of the issuing CA",
			"%s has no record for a second key or issuer: the next "
			"key change breaks DANE",
			owner);
	}
	for (size_t i = 0; i < nins; i++) {
		dk_input_free(ins[i]);
	}
	free(ins);
}

int dki_dane_lint(struct dk_dane_report *report, long hi,
		  STACK_OF(X509) * *chains, size_t nchains)
{
	struct ck k;

	if (!report || hi < 0 || (size_t)hi >= report->nhosts ||
	    (nchains && !chains)) {
		return DK_EINVAL;
	}
	memset(&k, 0, sizeof(k));
	k.r = report;
	lint_tlsa(&k, hi, chains, nchains);
	return k.nomem ? DK_ENOMEM : 0;
}

/* Certificate dates: expired, or expiring within the warning window. */
static void lint_dates(struct ck *k, long hi, const char *where,
		       const struct dk_dane_cert *chain, size_t nchain,
		       long match_record, int match_depth)
{
	struct dk_dane_host *h = &k->r->hosts[hi];
	int usage = -1, last = 0;

	if (match_record >= 0) {
		usage = dk_tlsa_usage(h->records[match_record].tlsa);
	}
	if (usage == DK_TLSA_DANE_TA || usage == DK_TLSA_PKIX_TA) {
		last = match_depth;
	}
	for (int i = 0; i <= last && (size_t)i < nchain; i++) {
		const struct dk_dane_cert *c = &chain[i];
		long life = (long)(c->not_after - c->not_before);
		long warn =
			k->o.warn_days > 0 ? k->o.warn_days * DAY
			: k->o.warn_days == 0
				? (life / 3 < 30L * DAY ? life / 3 : 30L * DAY)
				: 0;
		char when[32], ev[1200], hint[200];
		struct tm tm;
		int ee_only = i == 0 && usage == DK_TLSA_DANE_EE;

		gmtime_r(&c->not_after, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
		snprintf(ev, sizeof(ev), "subject %s; not after %s; SHA-256 %s",
			 c->subject ? c->subject : "?", when, c->cert_sha256);
		snprintf(hint, sizeof(hint), "renew the %s certificate%s",
			 i ? "CA" : "server",
			 ee_only ? " (DANE-EE ignores dates, but PKIX clients "
				   "and the next renewal do not)"
				 : "");
		if (c->not_after <= k->at) {
			finding(k, hi,
				ee_only || h->dane == 0 ? DK_DANE_WARNING
							: DK_DANE_ERROR,
				"cert-expired",
				ee_only ? "RFC 7672 section 3.1.1"
					: "RFC 7672 section 3.1.2",
				where, ev, hint,
				"the certificate at depth %d (%.100s) expired "
				"on %s",
				i, c->subject ? c->subject : "?", when);
		} else if ((long)(c->not_after - k->at) < warn) {
			finding(k, hi, DK_DANE_WARNING, "cert-expiring",
				ee_only ? "RFC 7672 section 3.1.1" : NULL,
				where, ev, hint,
				"the certificate at depth %d (%.100s) expires "
				"in "
				"%ld days, on %s",
				i, c->subject ? c->subject : "?",
				(long)((c->not_after - k->at) / DAY), when);
		}
	}
}

/* Findings for an address that did not verify. */
static void addr_findings(struct ck *k, long hi, struct dk_dane_addr *ad)
{
	struct dk_dane_host *h = &k->r->hosts[hi];
	char where[300], ev[1500], hint[900];

	snprintf(where, sizeof(where), "%s port %u", ad->address, ad->port);
	switch (ad->status) {
	case DK_ADDR_MISMATCH: {
		const char *spki = ad->nchain ? ad->chain[0].spki_sha256 : "?";
		int pkix = ad->verify_code != X509_V_ERR_DANE_NO_MATCH &&
			   ad->match_record < 0;

		snprintf(ev, sizeof(ev),
			 "presented leaf: %s; leaf SPKI SHA-256 %s (a 3 1 1 "
			 "record would carry this); OpenSSL: %s",
			 ad->nchain ? ad->chain[0].subject : "?", spki,
			 ad->verify_text ? ad->verify_text : "?");
		if (pkix) {
			snprintf(
				hint, sizeof(hint),
				"records of usage 0 and 1 also need a chain to "
				"a trusted CA (--ca-file); or publish \"%s IN "
				"TLSA 3 1 1 %s\"",
				h->tlsa_owner ? h->tlsa_owner : "?", spki);
		} else if (ad->match_record >= 0) {
			snprintf(
				hint, sizeof(hint),
				"the record matched, but the certificate "
				"failed the checks DANE-TA keeps (dates, names "
				"%s): renew it or fix its names",
				h->tlsa_base ? h->tlsa_base : h->name);
		} else {
			snprintf(
				hint, sizeof(hint),
				"if this key is the right one, publish \"%s IN "
				"TLSA 3 1 1 %s\"; otherwise install the "
				"certificate whose key the published records "
				"name",
				h->tlsa_owner ? h->tlsa_owner : "?", spki);
		}
		finding(k, hi, DK_DANE_ERROR, "dane-mismatch",
			k->r->service == DK_DANE_SERVICE_SMTP
				? "RFC 7672 section 3"
				: "RFC 6698 section 2.1.1",
			where, ev, hint, "%s: %s", where,
			ad->why ? ad->why : "verification failed");
		break;
	}
	case DK_ADDR_NO_STARTTLS:
		finding(k, hi, h->dane ? DK_DANE_ERROR : DK_DANE_WARNING,
			"no-starttls", "RFC 7672 section 2.2", where, ad->why,
			h->dane ? "enable STARTTLS on the server (Postfix: "
				  "smtpd_tls_security_level = may): with TLSA "
				  "records, MTAs never send mail in clear"
				: "enable STARTTLS on the server",
			"%s does not offer STARTTLS", where);
		break;
	case DK_ADDR_TLS_FAILED:
	case DK_ADDR_PROTO_ERROR:
		finding(k, hi, h->dane ? DK_DANE_ERROR : DK_DANE_WARNING,
			ad->status == DK_ADDR_TLS_FAILED ? "tls-failed"
							 : "protocol-error",
			h->dane ? "RFC 7672 section 2.2" : NULL, where, ad->why,
			NULL, "%s: %s", where, ad->why ? ad->why : "failed");
		break;
	case DK_ADDR_UNREACHABLE:
	case DK_ADDR_TIMEOUT:
		finding(k, hi, DK_DANE_WARNING,
			ad->status == DK_ADDR_TIMEOUT ? "timeout"
						      : "unreachable",
			NULL, where, ad->why,
			"check that the server listens on this address, and "
			"the "
			"firewall",
			"%s: %s", where, ad->why ? ad->why : "unreachable");
		break;
	default:
		break;
	}
	for (size_t i = 0; i < ad->nalts; i++) {
		const struct dk_dane_alt *al = &ad->alts[i];
		const char *spki = al->nchain ? al->chain[0].spki_sha256 : "?";

		if (al->status == DK_ADDR_VERIFIED) {
			continue;
		}
		snprintf(ev, sizeof(ev),
			 "%s leaf: %s; leaf SPKI SHA-256 %s; %s", al->key_type,
			 al->nchain ? al->chain[0].subject : "?", spki,
			 al->why ? al->why : "");
		snprintf(hint, sizeof(hint),
			 "publish \"%s IN TLSA 3 1 1 %s\" for the %s key too, "
			 "or "
			 "remove that key from the server",
			 h->tlsa_owner ? h->tlsa_owner : "?", spki,
			 al->key_type);
		finding(k, hi, DK_DANE_ERROR, "dane-mismatch-other-key",
			"RFC 7672 section 3", where, ev, hint,
			"%s: clients that prefer %s get a certificate no TLSA "
			"record matches",
			where, al->key_type);
	}
}

/* --- per host ------------------------------------------------------------ */

static void host_verdict(struct ck *k, long hi)
{
	struct dk_dane_host *h = &k->r->hosts[hi];
	size_t ok = 0, bad = 0, gone = 0;

	if (h->verdict == DK_DANE_FAILED || h->verdict == DK_DANE_INCOMPLETE) {
		return;
	}
	if (!h->dane) {
		h->verdict = DK_DANE_NOT_APPLICABLE;
		return;
	}
	for (size_t i = 0; i < h->naddrs; i++) {
		switch (h->addrs[i].status) {
		case DK_ADDR_VERIFIED:
			ok++;
			for (size_t j = 0; j < h->addrs[i].nalts; j++) {
				if (h->addrs[i].alts[j].status !=
				    DK_ADDR_VERIFIED) {
					ok--;
					bad++;
					break;
				}
			}
			break;
		case DK_ADDR_UNREACHABLE:
		case DK_ADDR_TIMEOUT:
		case DK_ADDR_SKIPPED:
			gone++;
			break;
		default:
			bad++;
			break;
		}
	}
	if (bad) {
		h->verdict = DK_DANE_FAILED;
		set_strf(k, &h->why, "DANE failed at %zu of %zu addresses", bad,
			 h->naddrs);
	} else if (!ok) {
		h->verdict = DK_DANE_INCOMPLETE;
		set_strf(k, &h->why,
			 h->naddrs ? "no address of %s could be reached"
				   : "%s has no address to connect to",
			 h->name);
	} else {
		h->verdict = DK_DANE_VALID;
		if (gone) {
			set_strf(k, &h->why,
				 "DANE verified at %zu of %zu addresses "
				 "(%zu unreachable)",
				 ok, h->naddrs, gone);
		} else {
			set_strf(k, &h->why,
				 "DANE verified at %zu of %zu addresses", ok,
				 h->naddrs);
		}
	}
}

/* Everything about one host: addresses, TLSA, connections, lint. */
/*
 * The DNS part of RFC 7672 for host @hi (and of RFC 6698 for a TLS
 * service): its addresses and their security, the CNAME rules, the TLSA
 * RRset through the trust gate and whether DANE applies (h->dane). The
 * same for check, scan and the MTA seam (dk_dane_smtp_peer()).
 * Returns 0 when the host's addresses are to be probed, -1 when its
 * verdict is already decided.
 */
static int host_dns(struct ck *k, long hi, unsigned port)
{
	struct dk_dane_host *h = &k->r->hosts[hi];
	unsigned cport = k->o.connect_port ? k->o.connect_port : port;
	int smtp = k->r->service == DK_DANE_SERVICE_SMTP;
	int signed_host = 0;

	if (looks_like_ip(h->name)) {
		h->ip_literal = 1;
		finding(k, hi, DK_DANE_ERROR,
			smtp ? "mx-ip-literal" : "host-ip-literal",
			smtp ? "RFC 5321 section 5.1" : "RFC 6698 section 3",
			h->name, NULL,
			smtp ? "an MX record names a host, never an address: "
			       "publish a host name with A/AAAA records"
			     : "TLSA records hang below a host name: check the "
			       "service by its name",
			"%s looks like an IP address, not a host name",
			h->name);
		if (smtp) {
			/*
			 * An MTA looks such a target up as a name, which
			 * fails: mail to this host cannot be delivered.
			 */
			h->verdict = DK_DANE_FAILED;
			set_strf(k, &h->why,
				 "the MX target %s is an IP address, not a "
				 "host name: no mail can be delivered to it",
				 h->name);
			return -1;
		}
	}
	if (host_addresses(k, hi, cport) < 0) {
		return -1;
	}
	h = &k->r->hosts[hi];
	if (h->addr_status == DK_DNSSEC_INSECURE && h->cname &&
	    cname_link_secure(k, hi)) {
		/*
		 * RFC 7672 section 2.2.2: the host name is in a signed zone
		 * (the first link of its CNAME chain is secure) though the
		 * chain ends in an unsigned one; TLSA records are then looked
		 * up at the original name only.
		 */
		h = &k->r->hosts[hi];
		finding(k, hi, DK_DANE_INFO, "cname-leaves-signed-zone",
			"RFC 7672 section 2.2.2", h->name, NULL, NULL,
			"the CNAME %s -> %s is secure but the chain ends in "
			"an unsigned zone: TLSA records are looked up at %s "
			"only",
			h->name, h->cname, h->name);
		signed_host = 1;
	}
	h = &k->r->hosts[hi];
	if (signed_host || h->addr_status == DK_DNSSEC_SECURE) {
		host_tlsa(k, hi, port);
		h = &k->r->hosts[hi];
		if (h->verdict == DK_DANE_FAILED ||
		    h->verdict == DK_DANE_INCOMPLETE) {
			return -1;
		}
		if (h->tlsa_status != DK_DNSSEC_SECURE) {
			set_strf(k, &h->why,
				 "the TLSA records %s are insecure "
				 "(unsigned): DANE does not apply",
				 h->tlsa_owner ? h->tlsa_owner : "?");
			finding(k, hi, DK_DANE_WARNING, "tlsa-insecure",
				"RFC 7672 section 2.2.3", h->tlsa_owner, NULL,
				"sign the zone (DNSSEC) that holds the TLSA "
				"records",
				"the TLSA lookup of %s is insecure: DANE does "
				"not "
				"apply to %s",
				h->tlsa_owner ? h->tlsa_owner : "?", h->name);
		} else if (h->nrecords == 0) {
			set_strf(k, &h->why,
				 "no TLSA records at %s: DANE does not "
				 "apply",
				 h->tlsa_owner ? h->tlsa_owner : "?");
			finding(k, hi, DK_DANE_INFO, "no-tlsa",
				"RFC 7672 section 2.2.3", h->tlsa_owner, NULL,
				"publish a TLSA record (danekit tlsa --host) "
				"to "
				"protect this service with DANE",
				"no TLSA records at %s (secure denial)",
				h->tlsa_owner ? h->tlsa_owner : "?");
		} else if (h->nusable == 0) {
			set_strf(k, &h->why,
				 "%s has no usable TLSA record: DANE "
				 "does not apply",
				 h->tlsa_owner);
			finding(k, hi, DK_DANE_WARNING, "tlsa-none-usable",
				smtp ? "RFC 7672 section 3.1.3"
				     : "RFC 6698 section 2.1",
				h->tlsa_owner, NULL,
				smtp ? "publish 3 1 1 (DANE-EE) or 2 1 1 "
				       "(DANE-TA) "
				       "records"
				     : NULL,
				"none of the %zu TLSA records at %s is "
				"usable%s",
				h->nrecords, h->tlsa_owner,
				smtp ? " for SMTP" : "");
		} else {
			h->dane = 1;
		}
	} else {
		set_strf(k, &h->why,
			 "the address records of %s are insecure: "
			 "DANE does not apply",
			 h->name);
		finding(k, hi, DK_DANE_WARNING, "address-insecure",
			"RFC 7672 section 2.2.3", h->name, NULL,
			"sign the zone of the host name (DNSSEC) to use DANE",
			"the A/AAAA records of %s are insecure: TLSA records "
			"are "
			"not used",
			h->name);
	}
	return 0;
}

static void check_host(struct ck *k, long hi, unsigned port,
		       enum dk_starttls proto)
{
	struct dk_dane_host *h;
	STACK_OF(X509) **chains = NULL;
	size_t nchains = 0, nextra = 0;

	if (host_dns(k, hi, port) < 0) {
		goto verdict;
	}
	h = &k->r->hosts[hi];
	if (h->naddrs) {
		/* Per address: the main chain and up to KT_COUNT - 1 others. */
		chains = calloc(h->naddrs * KT_COUNT, sizeof(*chains));
		if (!chains) {
			k->nomem = 1;
			goto verdict;
		}
	}
	for (size_t i = 0; i < h->naddrs; i++) {
		struct dk_dane_addr *ad = &h->addrs[i];

		probe(k, hi, ad, proto, &chains[nchains], &chains[nchains + 1],
		      &nextra);
		nchains += 1 + nextra;
		nextra = 0;
		if (ad->status == DK_ADDR_VERIFIED ||
		    ad->status == DK_ADDR_TLS_ONLY ||
		    ad->status == DK_ADDR_MISMATCH) {
			lint_dates(k, hi, ad->address, ad->chain, ad->nchain,
				   ad->match_record, ad->match_depth);
		}
		for (size_t j = 0; j < ad->nalts; j++) {
			lint_dates(k, hi, ad->address, ad->alts[j].chain,
				   ad->alts[j].nchain, ad->alts[j].match_record,
				   ad->alts[j].match_depth);
		}
		addr_findings(k, hi, ad);
	}
	lint_tlsa(k, hi, chains, nchains);
	for (size_t i = 0; i < nchains; i++) {
		sk_X509_pop_free(chains[i], X509_free);
	}
	free(chains);
verdict:
	host_verdict(k, hi);
}

/* --- set-up and verdicts ------------------------------------------------- */

static int ck_init(struct ck *k, struct dk_resolver *res,
		   const struct dk_dane_opts *opts,
		   enum dk_dane_service service, const char *name,
		   struct dk_diag *diag)
{
	struct dk_dane_report *r;
	int e;

	memset(k, 0, sizeof(*k));
	if (opts) {
		k->o = *opts;
	}
	e = dki_check_name(name, diag);
	if (e < 0) {
		return e;
	}
	if (k->o.no_ipv4 && k->o.no_ipv6) {
		dki_diagf(diag, "both IPv4 and IPv6 are turned off");
		return DK_EINVAL;
	}
	k->res = res;
	k->timeout = k->o.timeout > 0 ? k->o.timeout : dk_resolver_timeout(res);
	k->at = k->o.at ? k->o.at : time(NULL);
	r = calloc(1, sizeof(*r));
	if (!r) {
		return DK_ENOMEM;
	}
	k->r = r;
	r->service = service;
	r->domain = abs_name(name);
	r->at = k->at;
	r->verdict = DK_DANE_INCOMPLETE;
	r->mx_status = DK_DNSSEC_INDETERMINATE;
	if (!r->domain) {
		return DK_ENOMEM;
	}
	k->ctx = SSL_CTX_new(TLS_client_method());
	if (!k->ctx || SSL_CTX_dane_enable(k->ctx) <= 0) {
		char rb[256];

		dki_diagf(diag, "cannot set up OpenSSL: %s",
			  dki_openssl_reason(rb, sizeof(rb)));
		return DK_ECRYPTO;
	}
	/*
	 * The handshake always completes, so that the chain can be reported;
	 * the verdict comes from SSL_get_verify_result() and the DANE match.
	 */
	SSL_CTX_set_verify(k->ctx, SSL_VERIFY_NONE, NULL);
	if (service == DK_DANE_SERVICE_TLS) {
		int ok = (k->o.ca_file || k->o.ca_path)
				 ? SSL_CTX_load_verify_locations(
					   k->ctx, k->o.ca_file, k->o.ca_path)
				 : SSL_CTX_set_default_verify_paths(k->ctx);

		if (!ok) {
			char rb[256];

			dki_diagf(diag, "cannot load the CA certificates: %s",
				  dki_openssl_reason(rb, sizeof(rb)));
			return DK_ENOENT;
		}
	}
	ERR_clear_error();
	return 0;
}

static void ck_done(struct ck *k)
{
	SSL_CTX_free(k->ctx);
	k->ctx = NULL;
}

static int ck_finish(struct ck *k, struct dk_dane_report **ret)
{
	ck_done(k);
	if (k->nomem) {
		dk_dane_report_free(k->r);
		return DK_ENOMEM;
	}
	*ret = k->r;
	return 0;
}

static int ck_fail(struct ck *k, int e)
{
	ck_done(k);
	dk_dane_report_free(k->r);
	return e;
}

/*
 * The verdict of several hosts (RFC 7672: each MX host on its own): a
 * failure anywhere fails; a lookup that could not finish makes the result
 * incomplete; otherwise valid if some host with DANE verified.
 */
static void overall(struct ck *k)
{
	struct dk_dane_report *r = k->r;
	size_t failed = 0, incomplete_dns = 0, unreach = 0, valid = 0,
	       nodane = 0;
	long first_bad = -1;

	for (size_t i = 0; i < r->nhosts; i++) {
		const struct dk_dane_host *h = &r->hosts[i];

		switch (h->verdict) {
		case DK_DANE_FAILED:
			if (first_bad < 0) {
				first_bad = (long)i;
			}
			failed++;
			break;
		case DK_DANE_INCOMPLETE:
			if (h->dane) {
				unreach++;
			} else {
				incomplete_dns++;
				if (first_bad < 0) {
					first_bad = (long)i;
				}
			}
			break;
		case DK_DANE_VALID:
			valid++;
			break;
		default:
			nodane++;
			break;
		}
	}
	if (failed) {
		r->verdict = DK_DANE_FAILED;
		set_strf(k, &r->why, "%s: %s", r->hosts[first_bad].name,
			 r->hosts[first_bad].why ? r->hosts[first_bad].why
						 : "failed");
	} else if (incomplete_dns) {
		r->verdict = DK_DANE_INCOMPLETE;
		set_strf(k, &r->why, "%s: %s", r->hosts[first_bad].name,
			 r->hosts[first_bad].why ? r->hosts[first_bad].why
						 : "could not finish");
	} else if (valid && nodane && r->service == DK_DANE_SERVICE_SMTP) {
		/* RFC 7672 section 2.2.1: each MX host on its own; a sender
		 * that picks a host without DANE is not protected, and an
		 * attacker can make it pick one: a downgrade path */
		r->verdict = DK_DANE_PARTIAL;
		set_strf(k, &r->why,
			 "DANE verified for %zu of %zu MX hosts; %zu without "
			 "DANE%s: mail through %s is not authenticated",
			 valid, r->nhosts, nodane,
			 unreach ? " (and some unreachable)" : "",
			 nodane == 1 ? "it" : "them");
		finding(k, -1, DK_DANE_ERROR, "mx-partial-dane",
			"RFC 7672 section 2.2.1", NULL, NULL,
			"publish TLSA records for every MX host (or remove "
			"the hosts without DANE)",
			"%zu of %zu MX hosts have no DANE: mail through them "
			"is not authenticated, a downgrade path",
			nodane, r->nhosts);
	} else if (valid) {
		r->verdict = DK_DANE_VALID;
		if (nodane || unreach) {
			set_strf(k, &r->why,
				 "DANE verified for %zu of %zu hosts (%zu "
				 "without "
				 "DANE, %zu unreachable)",
				 valid, r->nhosts, nodane, unreach);
		} else {
			set_strf(k, &r->why, "DANE verified for %s",
				 valid == 1 && r->nhosts == 1 ? "the host"
							      : "every host");
		}
	} else if (unreach) {
		r->verdict = DK_DANE_INCOMPLETE;
		set_strf(k, &r->why,
			 "TLSA records are published, but no server "
			 "could be reached");
	} else {
		r->verdict = DK_DANE_NOT_APPLICABLE;
		if (r->nhosts == 1 && r->hosts[0].why) {
			set_str(k, &r->why, r->hosts[0].why);
		} else {
			set_strf(k, &r->why,
				 "no host has usable, secure TLSA "
				 "records: DANE does not apply");
		}
	}
}

/* --- SMTP ---------------------------------------------------------------- */

struct mx {
	unsigned pref;
	size_t order;
	char *name;
};

static int mx_cmp(const void *a, const void *b)
{
	const struct mx *x = a, *y = b;

	if (x->pref != y->pref) {
		return x->pref < y->pref ? -1 : 1;
	}
	return x->order < y->order ? -1 : x->order > y->order;
}

/* The MX lookup; returns 1 when hosts should be examined. */
static int smtp_mx(struct ck *k, struct mx **ret_mx, size_t *ret_n)
{
	struct dk_dane_report *r = k->r;
	struct dk_answer *a;
	const ldns_rr_list *rrs;
	struct mx *mx = NULL;
	size_t n = 0, cnt;
	char why[600];
	int err;

	a = lookup(k, r->domain, LDNS_RR_TYPE_MX, &err, why, sizeof(why));
	if (!a) {
		r->mx_error = err;
		set_str(k, &r->mx_why, why);
		r->verdict = DK_DANE_INCOMPLETE;
		set_strf(k, &r->why, "the MX lookup of %s failed: %s",
			 r->domain, why);
		finding(k, -1, DK_DANE_ERROR, "mx-lookup-failed",
			"RFC 7672 section 2.1.1", r->domain, why,
			"check the domain's name servers and the resolver",
			"the MX lookup of %s failed", r->domain);
		return 0;
	}
	r->mx_status = dk_answer_status(a);
	if (why[0]) {
		set_str(k, &r->mx_why, why);
	}
	if (r->mx_status == DK_DNSSEC_BOGUS) {
		r->verdict = DK_DANE_FAILED;
		set_strf(k, &r->why, "the MX RRset of %s is bogus%s%s",
			 r->domain, why[0] ? ": " : "", why);
		finding(k, -1, DK_DANE_ERROR, "mx-bogus",
			"RFC 7672 section 2.1.1", r->domain,
			why[0] ? why : NULL,
			"fix the domain's DNSSEC (see danekit chain): MTAs "
			"defer "
			"all mail to it",
			"the MX lookup of %s fails DNSSEC validation",
			r->domain);
		dk_answer_free(a);
		return 0;
	}
	if (r->mx_status == DK_DNSSEC_INDETERMINATE) {
		r->verdict = DK_DANE_INCOMPLETE;
		set_strf(k, &r->why,
			 "the DNSSEC status of the MX RRset of %s is "
			 "indeterminate",
			 r->domain);
		dk_answer_free(a);
		return 0;
	}
	if (r->mx_status == DK_DNSSEC_SECURE && !dk_answer_nxdomain(a) &&
	    ldns_rr_list_rr_count(dki_answer_get0_rrset(a)) > 0) {
		sig_warnings(k, -1, r->domain, LDNS_RR_TYPE_MX);
	}
	if (dk_answer_nxdomain(a)) {
		r->nxdomain = 1;
		/* nothing to deliver to: a failure, not "DANE does not
		 * apply" (a bogus denial is a failure all the more) */
		r->verdict = DK_DANE_FAILED;
		set_strf(k, &r->why,
			 "%s does not exist (NXDOMAIN, %s): no mail can be "
			 "delivered to it",
			 r->domain, dk_dnssec_status_name(r->mx_status));
		finding(k, -1, DK_DANE_ERROR, "domain-nxdomain", NULL,
			r->domain, NULL, NULL, "%s does not exist", r->domain);
		dk_answer_free(a);
		return 0;
	}
	rrs = dki_answer_get0_rrset(a);
	cnt = ldns_rr_list_rr_count(rrs);
	if (cnt) {
		mx = calloc(cnt, sizeof(*mx));
		if (!mx) {
			k->nomem = 1;
			dk_answer_free(a);
			return 0;
		}
	}
	for (size_t i = 0; i < cnt; i++) {
		const ldns_rr *rr = ldns_rr_list_rr(rrs, i);
		char *ex;
		int dup = 0;

		if (ldns_rr_rd_count(rr) < 2) {
			continue;
		}
		ex = ldns_rdf2str(ldns_rr_rdf(rr, 1));
		if (!ex) {
			k->nomem = 1;
			continue;
		}
		for (char *p = ex; *p; p++) {
			*p = (char)tolower((unsigned char)*p);
		}
		for (size_t j = 0; j < n; j++) {
			dup |= strcmp(mx[j].name, ex) == 0;
		}
		if (dup) {
			free(ex);
			continue;
		}
		mx[n].pref = ldns_rdf2native_int16(ldns_rr_rdf(rr, 0));
		mx[n].order = i;
		mx[n].name = ex;
		n++;
	}
	dk_answer_free(a);
	if (n > 1) {
		qsort(mx, n, sizeof(*mx), mx_cmp);
	}
	/* Null MX, RFC 7505: "MX 0 ." alone says the domain takes no mail. */
	for (size_t i = 0; i < n; i++) {
		if (strcmp(mx[i].name, ".") == 0) {
			if (n == 1 && mx[i].pref == 0) {
				r->null_mx = 1;
			} else {
				finding(k, -1, DK_DANE_ERROR, "mx-null-mixed",
					"RFC 7505 section 3", r->domain, NULL,
					"a null MX must be the only MX record",
					"the MX RRset mixes the null MX \".\" "
					"with "
					"other records");
			}
			free(mx[i].name);
			memmove(&mx[i], &mx[i + 1], (n - i - 1) * sizeof(*mx));
			n--;
			i--;
		}
	}
	if (r->null_mx) {
		r->verdict = DK_DANE_NOT_APPLICABLE;
		set_strf(k, &r->why,
			 "%s has a null MX (RFC 7505): it accepts no "
			 "mail, DANE does not apply",
			 r->domain);
		finding(k, -1, DK_DANE_INFO, "mx-null", "RFC 7505 section 3",
			r->domain, NULL, NULL,
			"%s publishes a null MX: it accepts no mail",
			r->domain);
		free(mx);
		return 0;
	}
	if (r->mx_status == DK_DNSSEC_INSECURE) {
		r->verdict = DK_DANE_NOT_APPLICABLE;
		set_strf(k, &r->why,
			 "the MX RRset of %s is insecure (unsigned): "
			 "DANE does not apply",
			 r->domain);
		finding(k, -1, DK_DANE_WARNING, "mx-insecure",
			"RFC 7672 section 2.2.1", r->domain, NULL,
			"sign the domain's zone with DNSSEC and publish its DS "
			"in "
			"the parent",
			"the MX lookup of %s is insecure: an attacker could "
			"substitute the MX hosts, so DANE does not apply",
			r->domain);
		/* The hosts are listed, not examined. */
		for (size_t i = 0; i < n; i++) {
			long hi;
			struct dk_dane_host *h =
				add_host(k, mx[i].name, mx[i].pref, &hi);

			if (h) {
				h->addr_status = DK_DNSSEC_INDETERMINATE;
				set_str(k, &h->why,
					"not examined: the MX RRset is "
					"insecure");
			}
			free(mx[i].name);
		}
		free(mx);
		return 0;
	}
	if (n == 0) {
		/* No MX: the domain itself is the implicit MX, RFC 5321 s. 5.1.
		 */
		r->implicit_mx = 1;
		finding(k, -1, DK_DANE_INFO, "mx-implicit",
			"RFC 5321 section 5.1", r->domain, NULL,
			"publish an MX record if the domain receives mail",
			"%s has no MX records: mail goes to the domain's own "
			"addresses",
			r->domain);
		free(mx);
		mx = calloc(1, sizeof(*mx));
		if (!mx || !(mx[0].name = strdup(r->domain))) {
			free(mx);
			k->nomem = 1;
			return 0;
		}
		n = 1;
	}
	*ret_mx = mx;
	*ret_n = n;
	return 1;
}

int dk_dane_check_smtp(struct dk_resolver *resolver, const char *domain,
		       const struct dk_dane_opts *opts,
		       struct dk_dane_report **ret_report, struct dk_diag *diag)
{
	struct ck k;
	struct mx *mx = NULL;
	size_t n = 0;
	int e;

	if (!resolver || !domain || !ret_report) {
		return DK_EINVAL;
	}
	e = ck_init(&k, resolver, opts, DK_DANE_SERVICE_SMTP, domain, diag);
	if (e < 0) {
		return ck_fail(&k, e);
	}
	k.r->port = 25;
	k.r->connect_port = k.o.connect_port ? k.o.connect_port : 25;
	k.r->starttls = DK_STARTTLS_SMTP;
	if (smtp_mx(&k, &mx, &n)) {
		for (size_t i = 0; i < n && !k.nomem; i++) {
			long hi;

			if (add_host(&k, mx[i].name, mx[i].pref, &hi)) {
				check_host(&k, hi, 25, DK_STARTTLS_SMTP);
			}
		}
		overall(&k);
	}
	for (size_t i = 0; i < n; i++) {
		free(mx[i].name);
	}
	free(mx);
	return ck_finish(&k, ret_report);
}

int dki_dane_host_dns(struct dk_resolver *resolver, const char *host,
		      enum dk_dane_service service, unsigned port,
		      struct dk_dane_report **ret_report,
		      struct dk_tlsa_rrset **ret_rrset, struct dk_diag *diag)
{
	struct ck k;
	long hi;
	int e;

	if (!resolver || !host || !ret_report || !ret_rrset || port < 1 ||
	    port > 65535) {
		return DK_EINVAL;
	}
	e = ck_init(&k, resolver, NULL, service, host, diag);
	if (e < 0) {
		return ck_fail(&k, e);
	}
	k.keep = 1;
	k.r->port = port;
	k.r->connect_port = port;
	k.r->starttls = service == DK_DANE_SERVICE_SMTP ? DK_STARTTLS_SMTP
							: DK_STARTTLS_NONE;
	if (add_host(&k, k.r->domain, 0, &hi)) {
		(void)host_dns(&k, hi, port);
	}
	e = ck_finish(&k, ret_report);
	if (e < 0) {
		dk_tlsa_rrset_free(k.kept);
		return e;
	}
	*ret_rrset = k.kept;
	return 0;
}

int dk_dane_check_tls(struct dk_resolver *resolver, const char *host,
		      unsigned port, const struct dk_dane_opts *opts,
		      struct dk_dane_report **ret_report, struct dk_diag *diag)
{
	struct ck k;
	long hi;
	int e;

	if (!resolver || !host || !ret_report || port < 1 || port > 65535 ||
	    (opts && dk_starttls_name(opts->starttls) == NULL)) {
		return DK_EINVAL;
	}
	e = ck_init(&k, resolver, opts, DK_DANE_SERVICE_TLS, host, diag);
	if (e < 0) {
		return ck_fail(&k, e);
	}
	k.r->port = port;
	k.r->connect_port = k.o.connect_port ? k.o.connect_port : port;
	k.r->starttls = k.o.starttls;
	k.r->mx_status = DK_DNSSEC_INDETERMINATE;
	if (add_host(&k, k.r->domain, 0, &hi)) {
		check_host(&k, hi, port, k.o.starttls);
		overall(&k);
	}
	return ck_finish(&k, ret_report);
}

int dk_dane_fetch_chain(struct dk_resolver *resolver, const char *host,
			unsigned port, const struct dk_dane_opts *opts,
			struct dk_input **ret_input, struct dk_diag *diag)
{
	struct ck k;
	struct dk_dane_host *h;
	enum dk_dane_addr_status last = DK_ADDR_UNREACHABLE;
	char why[800] = "";
	unsigned char bin[16];
	long hi;
	int e, literal;

	if (!host || !ret_input || port < 1 || port > 65535 ||
	    (opts && dk_starttls_name(opts->starttls) == NULL)) {
		return DK_EINVAL;
	}
	literal = inet_pton(AF_INET, host, bin) == 1 ||
		  inet_pton(AF_INET6, host, bin) == 1;
	if (!resolver && !literal) {
		return DK_EINVAL;
	}
	e = ck_init(&k, resolver, opts, DK_DANE_SERVICE_SMTP, host, diag);
	if (e < 0) {
		return ck_fail(&k, e);
	}
	if (!(k.timeout > 0)) {
		k.timeout = 10;
	}
	k.r->service = DK_DANE_SERVICE_TLS;
	if (!add_host(&k, k.r->domain, 0, &hi)) {
		return ck_fail(&k, DK_ENOMEM);
	}
	if (literal) {
		/* an address: connect there, no DNS, no SNI (RFC 6066 s. 3) */
		h = &k.r->hosts[hi];
		h->ip_literal = 1;
		h->addrs = calloc(1, sizeof(*h->addrs));
		if (!h->addrs || !(h->addrs[0].address = strdup(host))) {
			return ck_fail(&k, DK_ENOMEM);
		}
		h->naddrs = 1;
		h->addrs[0].family = strchr(host, ':') ? AF_INET6 : AF_INET;
		h->addrs[0].port = k.o.connect_port ? k.o.connect_port : port;
		h->addrs[0].status = DK_ADDR_SKIPPED;
		h->addrs[0].match_record = -1;
		h->addrs[0].match_depth = -1;
	} else if (host_addresses(&k, hi,
				  k.o.connect_port ? k.o.connect_port : port) <
		   0) {
		h = &k.r->hosts[hi];
		dki_diagf(diag, "%s",
			  h->why ? h->why : "address lookup failed");
		return ck_fail(&k, k.nomem ? DK_ENOMEM : DK_ERESOLVER);
	}
	h = &k.r->hosts[hi];
	if (h->naddrs == 0) {
		dki_diagf(diag, "%s has no address records", k.r->domain);
		return ck_fail(&k, DK_ERESOLVER);
	}
	for (size_t i = 0; i < h->naddrs && !k.nomem; i++) {
		struct probe_out po;
		struct dk_input *in;

		probe_core(&k, hi, h->addrs[i].address, h->addrs[i].port,
			   k.o.starttls, NULL, &po);
		if (!po.chain) {
			last = po.status;
			snprintf(why, sizeof(why), "%s port %u: %s",
				 h->addrs[i].address, h->addrs[i].port, po.why);
			continue;
		}
		in = chain_input(po.chain);
		sk_X509_pop_free(po.chain, X509_free);
		if (!in) {
			return ck_fail(&k, DK_ENOMEM);
		}
		ck_fail(&k, 0);
		*ret_input = in;
		return 0;
	}
	if (k.nomem) {
		return ck_fail(&k, DK_ENOMEM);
	}
	dki_diagf(diag, "%s", why);
	return ck_fail(&k, last == DK_ADDR_TIMEOUT	 ? DK_ETIMEDOUT
			   : last == DK_ADDR_UNREACHABLE ? DK_ECONNREFUSED
			   : last == DK_ADDR_TLS_FAILED	 ? DK_ETLS
							 : DK_EPROTO);
}
