/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The RFC 7672 host rules and the TLSA gate: the MX lookup (section 2.2.1),
 * each host's addresses and CNAMEs (sections 2.1.1, 2.2.2), and its TLSA
 * RRset through the one trust gate, dk_tlsa_lookup(). The same code for
 * check, scan and the MTA seam (dk_dane_smtp_peer()).
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
#include "dane/check.h"

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
int host_addresses(struct ck *k, long hi, unsigned port)
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

static void sig_warnings_of(struct ck *k, long hi, const struct dk_chain *ch);

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
	sig_warnings_of(k, hi, ch);
	dk_chain_free(ch);
}

/* The warning of one valid signature @g, if it lapses soon or before the
 * --at moment (once a report). */
static void sig_warning(struct ck *k, long hi, const struct dk_chain_sig *g,
			long days, time_t now)
{
	const ldns_rr_descriptor *d = ldns_rr_descript(g->type_covered);
	const char *tname = d && d->_name ? d->_name : "?";
	char when[32], ev[256], msg[512];
	struct tm tm;
	int soon, before_at;

	if (g->state != DK_CHAIN_SIG_VALID) {
		return;
	}
	soon = days > 0 && g->expiration - now < (time_t)days * DAY;
	before_at = k->at > now && g->expiration <= k->at;
	if (!soon && !before_at) {
		return;
	}
	gmtime_r(&g->expiration, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	snprintf(ev, sizeof(ev), "RRSIG %s %s by %s key %u expires %s", tname,
		 g->owner, g->signer, g->key_tag, when);
	if (before_at) {
		snprintf(msg, sizeof(msg),
			 "at the --at moment the RRSIG over %s %s will have "
			 "expired (on %s): the records turn bogus",
			 g->owner, tname, when);
	} else {
		long left = (long)((g->expiration - now + DAY / 2) / DAY);

		snprintf(msg, sizeof(msg),
			 "the RRSIG over %s %s expires in %ld day%s (%s)",
			 g->owner, tname, left, left == 1 ? "" : "s", when);
	}
	/* Zones above several hosts: once a report. */
	if (have_finding(k, msg)) {
		return;
	}
	finding(k, hi, DK_DANE_WARNING,
		before_at ? "dnssec-sig-expired-at" : "dnssec-sig-expiring",
		"RFC 7672 section 2.1.1", g->owner, ev,
		"re-sign the zone (or check that its signer runs): once a "
		"signature lapses the records are bogus and MTAs defer mail",
		"%s", msg);
}

/* The warnings of the signatures of a chain already walked (the TLSA
 * RRset's own: no second walk). */
static void sig_warnings_of(struct ck *k, long hi, const struct dk_chain *ch)
{
	long days = k->o.sig_warn_days ? k->o.sig_warn_days : 7;
	time_t now = time(NULL);

	if (!ch || (days < 0 && k->at <= now)) {
		return;
	}
	for (size_t i = 0; i < dk_chain_link_count(ch); i++) {
		const struct dk_chain_link *l = dk_chain_link(ch, i);
		const struct dk_chain_sig *sets[] = { l->ds_sigs, l->key_sigs,
						      l->sigs, l->proof_sigs };
		const size_t counts[] = { l->ds_sig_count, l->key_sig_count,
					  l->sig_count, l->proof_sig_count };

		for (size_t j = 0; j < 4; j++) {
			for (size_t n = 0; n < counts[j]; n++) {
				sig_warning(k, hi, &sets[j][n], days, now);
			}
		}
	}
}

/*
 * The warnings of the MX RRset of a domain (@a, secure by libunbound's
 * word) without a walk of its own per domain: when one RRSIG covers it,
 * that is the signature the validator checked; the zones above are the
 * signer's, whose chain (its DNSKEY RRset's) the chain memo keeps for the
 * domains of a scan that share the zone. 0 when done; -1: walk the MX
 * RRset's own chain (two signatures, a CNAME, a signer that is not
 * secure).
 */
static int mx_sig_warnings(struct ck *k, const struct dk_answer *a)
{
	const ldns_pkt *pkt = dki_answer_get0_packet(a);
	const ldns_rr_list *ans = pkt ? ldns_pkt_answer(pkt) : NULL;
	long days = k->o.sig_warn_days ? k->o.sig_warn_days : 7;
	const ldns_rr *sig = NULL;
	struct dk_chain *ch = NULL;
	struct dk_diag diag = { "" };
	struct dk_chain_sig g = { 0 };
	char *owner = NULL, *signer = NULL;
	int r;

	if (!ans || !dk_answer_qname(a) || !dk_answer_canonname(a) ||
	    strcasecmp(dk_answer_canonname(a), dk_answer_qname(a)) != 0) {
		return -1; /* a CNAME on the way */
	}
	for (size_t i = 0; i < ldns_rr_list_rr_count(ans); i++) {
		ldns_rr *rr = ldns_rr_list_rr(ans, i);

		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_RRSIG &&
		    ldns_rr_rrsig_typecovered(rr) &&
		    ldns_rdf2native_int16(ldns_rr_rrsig_typecovered(rr)) ==
			    LDNS_RR_TYPE_MX) {
			if (sig) {
				return -1;
			}
			sig = rr;
		}
	}
	if (!sig || !ldns_rr_rrsig_signame(sig) ||
	    !ldns_rr_rrsig_expiration(sig) || !ldns_rr_rrsig_keytag(sig)) {
		return -1;
	}
	signer = ldns_rdf2str(ldns_rr_rrsig_signame(sig));
	owner = ldns_rdf2str(ldns_rr_owner(sig));
	if (!signer || !owner) {
		free(signer);
		free(owner);
		return -1;
	}
	r = dk_chain_build(k->res, signer, LDNS_RR_TYPE_DNSKEY,
			   days > 0 ? (int)days : 0, &ch, &diag);
	if (r < 0 || dk_chain_status(ch) != DK_DNSSEC_SECURE) {
		dk_chain_free(ch);
		free(signer);
		free(owner);
		return r == DKI_EAGAIN ? 0 : -1; /* a later round */
	}
	sig_warnings_of(k, -1, ch);
	g.owner = owner;
	g.type_covered = LDNS_RR_TYPE_MX;
	g.signer = signer;
	g.key_tag = ldns_rdf2native_int16(ldns_rr_rrsig_keytag(sig));
	g.expiration = ldns_rdf2native_time_t(ldns_rr_rrsig_expiration(sig));
	g.state = DK_CHAIN_SIG_VALID;
	sig_warning(k, -1, &g, days, time(NULL));
	dk_chain_free(ch);
	free(signer);
	free(owner);
	return 0;
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
		err = k->job ? scan_tlsa_lookup(k, owner, &set, &diag)
			     : dk_tlsa_lookup(k->res, owner, &set, &diag);
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
			sig_warnings_of(k, hi, dk_tlsa_rrset_get0_chain(set));
			keep_set(k, set);
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

/* Everything about one host: addresses, TLSA, connections, lint. */
/*
 * The DNS part of RFC 7672 for host @hi (and of RFC 6698 for a TLS
 * service): its addresses and their security, the CNAME rules, the TLSA
 * RRset through the trust gate and whether DANE applies (h->dane). The
 * same for check, scan and the MTA seam (dk_dane_smtp_peer()).
 * Returns 0 when the host's addresses are to be probed, -1 when its
 * verdict is already decided.
 */
int host_dns(struct ck *k, long hi, unsigned port)
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

/* --- SMTP ---------------------------------------------------------------- */

static int mx_cmp(const void *a, const void *b)
{
	const struct mx *x = a, *y = b;

	if (x->pref != y->pref) {
		return x->pref < y->pref ? -1 : 1;
	}
	return x->order < y->order ? -1 : x->order > y->order;
}

/* The MX lookup; returns 1 when hosts should be examined. */
int smtp_mx(struct ck *k, struct mx **ret_mx, size_t *ret_n)
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
		long days = k->o.sig_warn_days ? k->o.sig_warn_days : 7;

		if ((days >= 0 || k->at > time(NULL)) &&
		    mx_sig_warnings(k, a) < 0) {
			sig_warnings(k, -1, r->domain, LDNS_RR_TYPE_MX);
		}
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
