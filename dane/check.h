/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The declarations shared by the sections of a DANE check (check.c,
 * host.c, probe.c, lint.c): the state of one check and the helpers each
 * section offers the others. Private to the dane module.
 */
#ifndef DANEKIT_DANE_CHECK_H
#define DANEKIT_DANE_CHECK_H

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "dane/internal.h"

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
	/* dki_dane_check_smtp_ext(): the mail audit's additions, or NULL */
	const struct dki_smtp_ext *ext;
	/* a round of a domain of a scan (scan.c): probes come from its
	 * cache, or are started on its loop and awaited */
	struct dki_scan_job *job;
};

/* One MX host of the MX RRset (host.c). */
struct mx {
	unsigned pref;
	size_t order;
	char *name;
};

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
	/* the TLSA record OpenSSL matched (match_record is its index among
	 * the host's records, found once the outcome is at hand) */
	uint8_t mu, ms, mm;
	unsigned char *md;
	size_t mdl;
	int nomem;
	int missed; /* a scan's probe not at hand yet: this round is void */
	double handshake; /* seconds the TLS handshake took; 0 none */
};

/* The key type of a leaf, for the alternate-key probes. */
enum keytype {
	KT_OTHER = 0,
	KT_ECDSA,
	KT_RSA,
	KT_EDDSA,
	KT_COUNT
};

/* --- report building (check.c) ------------------------------------------ */

char *xstrdup(struct ck *k, const char *s);
void set_str(struct ck *k, char **dst, const char *s);
void set_strf(struct ck *k, char **dst, const char *fmt, ...) DK_PRINTF(3, 4);
void finding(struct ck *k, long host, enum dk_dane_severity sev,
	     const char *code, const char *rfc, const char *where,
	     const char *evidence, const char *hint, const char *fmt, ...)
	DK_PRINTF(9, 10);
struct dk_dane_host *add_host(struct ck *k, const char *name, unsigned pref,
			      long *ret_index);
char *abs_name(const char *name);
const char *no_dot(const char *name, char *buf, size_t len);
int looks_like_ip(const char *name);
enum dk_dnssec_status worst(enum dk_dnssec_status a, enum dk_dnssec_status b);
const char *tlsa_text(const struct dk_tlsa *t, char *buf, size_t len);

/* --- host rules and the TLSA gate (host.c) ------------------------------- */

int host_addresses(struct ck *k, long hi, unsigned port);
int host_dns(struct ck *k, long hi, unsigned port);
int smtp_mx(struct ck *k, struct mx **ret_mx, size_t *ret_n);

/* --- the probe (probe.c) ------------------------------------------------- */

void probe_core(struct ck *k, long hi, const char *address, unsigned port,
		enum dk_starttls proto, const char *sigalgs,
		struct probe_out *out);
void probe(struct ck *k, long hi, struct dk_dane_addr *ad,
	   enum dk_starttls proto, STACK_OF(X509) * *ret_chain,
	   STACK_OF(X509) * *extra, size_t *nextra);

/* The probe as a non-blocking state machine on a libevent loop. */
struct event_base;
struct dki_probe;
int probe_sm_start(struct event_base *base, SSL *ssl, const char *address,
		   unsigned port, enum dk_starttls proto, int dane,
		   const char *ehlo, double timeout,
		   void (*done)(struct dki_probe *p, void *arg), void *arg,
		   struct dki_probe **ret);
void probe_sm_take(struct dki_probe *p, struct probe_out *out);
void probe_sm_free(struct dki_probe *p);

SSL_CTX *check_ssl_ctx(void);

/* --- scans (scan.c) ------------------------------------------------------ */

struct dki_scan_job;
/*
 * The probe @key of a round of a scan's domain: from the cache (*@out
 * filled, @ssl freed), or started on the scan's loop (or joined, when
 * another domain started it) with out->missed set: the round is void
 * and runs again once the probe is done. @ssl is owned from now on.
 */
void scan_probe(struct ck *k, const char *key, SSL *ssl, const char *address,
		unsigned port, enum dk_starttls proto, int dane,
		const char *ehlo, struct probe_out *out);

/* dk_tlsa_lookup() through the scan's cache of TLSA RRsets (by owner):
 * an RRset judged in a round that missed nothing is kept for the run
 * (bounded), shared read-only. */
int scan_tlsa_lookup(struct ck *k, const char *owner,
		     struct dk_tlsa_rrset **ret, struct dk_diag *diag);

/* One round of check smtp @domain for a scan (check.c): the same code
 * as dk_dane_check_smtp(), with the scan's SSL_CTX and probes. */
int check_smtp_round(struct dk_resolver *resolver, const char *domain,
		     const struct dk_dane_opts *opts,
		     const struct dki_smtp_ext *ext, SSL_CTX *ctx,
		     struct dki_scan_job *job, struct dk_dane_report **ret,
		     struct dk_diag *diag);

/* --- report and lint (lint.c) -------------------------------------------- */

struct dk_input *chain_input(STACK_OF(X509) * chain);
void lint_tlsa(struct ck *k, long hi, STACK_OF(X509) * *chains, size_t nchains);
void lint_dates(struct ck *k, long hi, const char *where,
		const struct dk_dane_cert *chain, size_t n, long match_record,
		int match_depth);
void addr_findings(struct ck *k, long hi, struct dk_dane_addr *ad);
void host_verdict(struct ck *k, long hi);
void overall(struct ck *k);

#endif
