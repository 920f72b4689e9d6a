/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The report and lint: the TLSA RRset against the certificates servers
 * presented, certificate dates, the findings at each address, and the
 * verdicts of each host and of the whole check.
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

/* --- lint ---------------------------------------------------------------- */

/* A dk_input holding @chain (leaf first), for offline comparisons. */
struct dk_input *chain_input(STACK_OF(X509) * chain)
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

void lint_tlsa(struct ck *k, long hi, STACK_OF(X509) * *chains, size_t nchains)
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
void lint_dates(struct ck *k, long hi, const char *where,
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
void addr_findings(struct ck *k, long hi, struct dk_dane_addr *ad)
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

void host_verdict(struct ck *k, long hi)
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
	} else if (!ok && k->o.no_connect) {
		h->verdict = DK_DANE_INCOMPLETE;
		set_strf(k, &h->why,
			 "usable TLSA records are published; no connection "
			 "was made (no_connect)");
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

void overall(struct ck *k)
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
