/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DANE policy: RFC 7672 for SMTP and RFC 6698/7671 for other TLS services.
 *
 * Lookups go through the dnssec module; only DNSSEC-secure TLSA RRsets are
 * handed to OpenSSL (SSL_dane_enable(), SSL_dane_tlsa_add()), which does
 * all certificate matching. The check is split along its sections (the
 * declarations they share are in dane/check.h):
 *
 *   check.c  the state of a check, report building, the public entry
 *            points (check smtp, check tls, fetch chain, the MTA seam's
 *            host half)
 *   host.c   the RFC 7672 host rules and the TLSA gate: MX, addresses,
 *            CNAMEs, the TLSA RRset through dk_tlsa_lookup()
 *   probe.c  the connection to each address: STARTTLS, handshake, DANE
 *   lint.c   the lint of TLSA RRsets and certificates, the findings at
 *            each address, the host and domain verdicts
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

/* --- report building ----------------------------------------------------- */

char *xstrdup(struct ck *k, const char *s)
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

void set_str(struct ck *k, char **dst, const char *s)
{
	free(*dst);
	*dst = xstrdup(k, s);
}

void set_strf(struct ck *k, char **dst, const char *fmt, ...) DK_PRINTF(3, 4);

void set_strf(struct ck *k, char **dst, const char *fmt, ...)
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
void finding(struct ck *k, long host, enum dk_dane_severity sev,
	     const char *code, const char *rfc, const char *where,
	     const char *evidence, const char *hint, const char *fmt, ...)
	DK_PRINTF(9, 10);

void finding(struct ck *k, long host, enum dk_dane_severity sev,
	     const char *code, const char *rfc, const char *where,
	     const char *evidence, const char *hint, const char *fmt, ...)
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

struct dk_dane_host *add_host(struct ck *k, const char *name, unsigned pref,
			      long *ret_index)
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
char *abs_name(const char *name)
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
const char *no_dot(const char *name, char *buf, size_t len)
{
	size_t n = strlen(name);

	if (n && name[n - 1] == '.' && n > 1) {
		n--;
	}
	snprintf(buf, len, "%.*s", (int)n, name);
	return buf;
}

int looks_like_ip(const char *name)
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

enum dk_dnssec_status worst(enum dk_dnssec_status a, enum dk_dnssec_status b)
{
	return a < b ? a : b;
}

const char *tlsa_text(const struct dk_tlsa *t, char *buf, size_t len)
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

static void check_host(struct ck *k, long hi, unsigned port,
		       enum dk_starttls proto)
{
	struct dk_dane_host *h;
	STACK_OF(X509) **chains = NULL;
	size_t nchains = 0, nextra = 0;

	if (host_dns(k, hi, port) < 0) {
		goto verdict;
	}
	if (k->ext && k->ext->no_connect) {
		/* the mail audit's --no-connect: the records alone */
		lint_tlsa(k, hi, NULL, 0);
		goto verdict;
	}
	h = &k->r->hosts[hi];
	if (k->o.no_connect) {
		lint_tlsa(k, hi, NULL, 0);
		goto verdict;
	}
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
		if (k->ext && k->ext->chain) {
			for (size_t j = 0; j <= nextra; j++) {
				if (chains[nchains + j]) {
					k->ext->chain(k->ext->arg, (size_t)hi,
						      i, (long)j - 1,
						      chains[nchains + j]);
				}
			}
		}
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

static int ck_init_ctx(struct ck *k, struct dk_resolver *res,
		       const struct dk_dane_opts *opts,
		       enum dk_dane_service service, const char *name,
		       SSL_CTX *shared, struct dk_diag *diag);

static int ck_init(struct ck *k, struct dk_resolver *res,
		   const struct dk_dane_opts *opts,
		   enum dk_dane_service service, const char *name,
		   struct dk_diag *diag)
{
	return ck_init_ctx(k, res, opts, service, name, NULL, diag);
}

/* The SSL_CTX of a check (shared by the rounds of a scan). */
SSL_CTX *check_ssl_ctx(void)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (!ctx || SSL_CTX_dane_enable(ctx) <= 0) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	/*
	 * The handshake always completes, so that the chain can be reported;
	 * the verdict comes from SSL_get_verify_result() and the DANE match.
	 */
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	return ctx;
}

static int ck_init_ctx(struct ck *k, struct dk_resolver *res,
		       const struct dk_dane_opts *opts,
		       enum dk_dane_service service, const char *name,
		       SSL_CTX *shared, struct dk_diag *diag)
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
	if (shared && SSL_CTX_up_ref(shared)) {
		k->ctx = shared;
		return 0;
	}
	k->ctx = check_ssl_ctx();
	if (!k->ctx) {
		char rb[256];

		dki_diagf(diag, "cannot set up OpenSSL: %s",
			  dki_openssl_reason(rb, sizeof(rb)));
		return DK_ECRYPTO;
	}
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

int check_smtp_round(struct dk_resolver *resolver, const char *domain,
		     const struct dk_dane_opts *opts,
		     const struct dki_smtp_ext *ext, SSL_CTX *ctx,
		     struct dki_scan_job *job, struct dk_dane_report **ret,
		     struct dk_diag *diag)
{
	struct ck k;
	struct mx *mx = NULL;
	size_t n = 0;
	int e;

	e = ck_init_ctx(&k, resolver, opts, DK_DANE_SERVICE_SMTP, domain, ctx,
			diag);
	if (e < 0) {
		return ck_fail(&k, e);
	}
	k.ext = ext;
	k.job = job;
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
	return ck_finish(&k, ret);
}

/*
 * The verdict of several hosts (RFC 7672: each MX host on its own): a
 * failure anywhere fails; a lookup that could not finish makes the result
 * incomplete; otherwise valid if some host with DANE verified. The same
 * code as a scan's (check_smtp_round()), in one round: lookups and
 * probes wait for their answers.
 */
int dk_dane_check_smtp(struct dk_resolver *resolver, const char *domain,
		       const struct dk_dane_opts *opts,
		       struct dk_dane_report **ret_report, struct dk_diag *diag)
{
	return dki_dane_check_smtp_ext(resolver, domain, opts, NULL, ret_report,
				       diag);
}

int dki_dane_check_smtp_ext(struct dk_resolver *resolver, const char *domain,
			    const struct dk_dane_opts *opts,
			    const struct dki_smtp_ext *ext,
			    struct dk_dane_report **ret_report,
			    struct dk_diag *diag)
{
	if (!resolver || !domain || !ret_report) {
		return DK_EINVAL;
	}
	return check_smtp_round(resolver, domain, opts, ext, NULL, NULL,
				ret_report, diag);
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
