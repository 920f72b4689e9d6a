/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * danekit dane module: DANE checks of live services.
 *
 *  - dk_dane_check_smtp(): RFC 7672 (SMTP security via opportunistic DANE
 *    TLS) for a mail domain: MX, address and TLSA lookups with their DNSSEC
 *    status, STARTTLS and a handshake with every address of every MX host.
 *  - dk_dane_check_tls(): one TLS service (RFC 6698, RFC 7671), direct TLS
 *    or after a STARTTLS exchange.
 *
 * Every lookup goes through the dnssec module; every certificate is checked
 * by OpenSSL's own DANE verifier (SSL_dane_enable(), SSL_dane_tlsa_add()).
 * A TLSA RRset is used only when its lookup is DNSSEC-secure.
 *
 * The result is a report: plain data, read-only for the caller, which a
 * front end prints as text or JSON. A failing check is not an error: the
 * functions return 0 and the report's verdict says what failed and why.
 *
 * Threads: a check uses its resolver, which is used by one thread at a
 * time; distinct checks with distinct resolvers may run in parallel.
 * Reports are not locked.
 */
#ifndef DANEKIT_DANE_H
#define DANEKIT_DANE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <danekit/common.h>
#include <danekit/dnssec.h>
#include <danekit/tlsa.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#pragma GCC visibility push(default)
#endif

/*
 * The verdict of a check, of a host or of the whole report. The numeric
 * order is no ranking; dk_dane_verdict_name() gives a stable name.
 */
enum dk_dane_verdict {
	/* Not decided (a zero-filled report never reads as valid). */
	DK_DANE_UNKNOWN = 0,
	/* DANE authenticated: every host with usable secure TLSA records
	 * verified on every address that could be reached. */
	DK_DANE_VALID = 1,
	/* DANE does not apply: insecure (unsigned) data, or no usable TLSA
	 * records anywhere (RFC 7672 section 2.2). */
	DK_DANE_NOT_APPLICABLE = 2,
	/* A check failed: no record matched, bogus DNSSEC, no STARTTLS or a
	 * failed handshake where TLSA records are published, a domain that
	 * does not exist. A sending MTA would defer the mail (RFC 7672
	 * section 2.1.1). */
	DK_DANE_FAILED = 3,
	/* Could not finish: resolver time-out or SERVFAIL, no address of
	 * any host with TLSA records reachable. Try again later. */
	DK_DANE_INCOMPLETE = 4,
	/* SMTP: DANE verified on some MX hosts, and others have no DANE: a
	 * downgrade path (RFC 7672 section 2.2.1). */
	DK_DANE_PARTIAL = 5,
};

/** "valid", "not-applicable", "failed", "incomplete", "partial" or
 * "unknown". Static storage. */
const char *dk_dane_verdict_name(enum dk_dane_verdict verdict);

/* The service profile of a check. */
enum dk_dane_service {
	DK_DANE_SERVICE_SMTP = 0, /* RFC 7672: usages 2 and 3 only */
	DK_DANE_SERVICE_TLS = 1,  /* RFC 6698/7671: usages 0 to 3 */
};

/* The exchange before the TLS handshake. */
enum dk_starttls {
	DK_STARTTLS_NONE = 0, /* direct TLS */
	DK_STARTTLS_SMTP = 1, /* RFC 3207: EHLO, STARTTLS */
	DK_STARTTLS_IMAP = 2, /* RFC 3501 section 6.2.1: STARTTLS */
	DK_STARTTLS_POP3 = 3, /* RFC 2595 section 4: STLS */
	DK_STARTTLS_XMPP = 4, /* RFC 6120 section 5: <starttls/> */
	DK_STARTTLS_FTP = 5,  /* RFC 4217 section 4: AUTH TLS */
};

/**
 * Parse a STARTTLS protocol name: "none", "smtp", "imap", "pop3", "xmpp"
 * or "ftp" (case-insensitive). @return the value or DK_EINVAL.
 */
int dk_starttls_parse(const char *name);

/** The name of a protocol ("smtp"...), or NULL if unknown. Static. */
const char *dk_starttls_name(enum dk_starttls proto);

/**
 * The usual port of a protocol: 443 for direct TLS, 25, 143, 110, 5222,
 * 21; 0 if unknown.
 */
unsigned dk_starttls_default_port(enum dk_starttls proto);

/** Options of a check; zero-initialise, then set fields. */
struct dk_dane_opts {
	/* Connect to this TCP port instead of the service port (the TLSA
	 * records are still looked up for the service port); 0: the same. */
	unsigned connect_port;
	/* dk_dane_check_tls() only: the exchange before TLS. */
	enum dk_starttls starttls;
	/* Limit for each connection (connect, dialogue and handshake
	 * together), seconds; <= 0: the resolver's time-out. */
	double timeout;
	/* The moment at which certificate validity is judged
	 * (X509_VERIFY_PARAM_set_time()); 0: now. DNSSEC validation keeps
	 * the resolver's time. */
	time_t at;
	/* Warn when a certificate expires within this many days of @at;
	 * 0: min(30 days, a third of the certificate's lifetime); < 0:
	 * never (an expired certificate is still reported). */
	long warn_days;
	/* Name sent in EHLO; NULL: "danekit.invalid". */
	const char *ehlo_name;
	/* dk_dane_check_tls(): CA file and directory for usages 0 and 1
	 * (PKIX-TA, PKIX-EE); both NULL: the system's default store. */
	const char *ca_file;
	const char *ca_path;
	/* Skip IPv4 / IPv6 addresses (at most one of them). */
	int no_ipv4;
	int no_ipv6;
	/* Warn when a DNSSEC signature over the MX or TLSA RRsets, or on
	 * the chain of trust above them, expires within this many days;
	 * 0: 7 days; < 0: never. Signatures that expire before @at are
	 * reported as well. */
	long sig_warn_days;
	/* Look up MX, addresses and TLSA, but connect nowhere: addresses
	 * stay "skipped" and a host with DANE is "incomplete" (a DNS-only
	 * survey, danekit scan --no-connect). */
	int no_connect;
};

/* How bad a finding is. */
enum dk_dane_severity {
	DK_DANE_INFO = 0,
	DK_DANE_WARNING = 1,
	DK_DANE_ERROR = 2,
};

/** "info", "warning", "error". Static storage. */
const char *dk_dane_severity_name(enum dk_dane_severity severity);

/** One finding: a fact an administrator should know, with evidence. */
struct dk_dane_finding {
	enum dk_dane_severity severity;
	/* Stable identifier, e.g. "tlsa-single-record". Static storage. */
	const char *code;
	/* Index of the host it is about in dk_dane_report.hosts, or -1 for
	 * the domain itself. */
	long host;
	/* The name, owner or address it is about, or NULL. */
	char *where;
	/* One line, no trailing newline. */
	char *message;
	/* Supporting data (records, digests, reasons), or NULL. */
	char *evidence;
	/* How to fix it, or NULL. */
	char *hint;
	/* The RFC section it rests on ("RFC 7671 section 8"), or NULL. */
	const char *rfc;
};

/** A certificate as presented by a server. */
struct dk_dane_cert {
	char *subject; /* RFC 2253 form */
	char *issuer;  /* RFC 2253 form */
	char **sans;   /* DNS names and IP addresses of subjectAltName */
	size_t nsans;
	time_t not_before;
	time_t not_after;
	/* Lower-case hex SHA-256 of the SubjectPublicKeyInfo (the data of a
	 * "3 1 1" or "2 1 1" record) and of the whole certificate ("x 0 1"). */
	char spki_sha256[65];
	char cert_sha256[65];
};

/* The outcome at one address. */
enum dk_dane_addr_status {
	DK_ADDR_UNKNOWN = 0,	 /* not decided (never "verified") */
	DK_ADDR_VERIFIED = 1,	 /* DANE authenticated */
	DK_ADDR_TLS_ONLY = 2,	 /* TLS up; DANE does not apply to the host */
	DK_ADDR_MISMATCH = 3,	 /* handshake done; verification failed */
	DK_ADDR_NO_STARTTLS = 4, /* the server does not offer STARTTLS */
	DK_ADDR_TLS_FAILED = 5,	 /* the handshake failed */
	DK_ADDR_PROTO_ERROR = 6, /* the dialogue before TLS went wrong */
	DK_ADDR_UNREACHABLE = 7, /* TCP connection refused or unreachable */
	DK_ADDR_TIMEOUT = 8,	 /* no progress within the time-out */
	DK_ADDR_SKIPPED = 9,	 /* not tried: the host is unusable */
};

/** "verified", "tls-only", "mismatch", ... Static storage. */
const char *dk_dane_addr_status_name(enum dk_dane_addr_status status);

/**
 * Another certificate of the same server: a server with keys of several
 * types (RSA and ECDSA) shows each to clients that offer only its
 * signature algorithms. Checked the same way as the main one.
 */
struct dk_dane_alt {
	const char *key_type; /* "RSA", "ECDSA", "EdDSA"; static storage */
	enum dk_dane_addr_status status;
	char *why;
	long match_record;
	int match_depth;
	struct dk_dane_cert *chain;
	size_t nchain;
};

/** One address of a host and what happened there. */
struct dk_dane_addr {
	char *address; /* numeric IPv4 or IPv6 address */
	int family;    /* AF_INET or AF_INET6 */
	unsigned port; /* the TCP port connected to */
	enum dk_dane_addr_status status;
	char *why;	   /* the precise reason of a failure, or NULL */
	char *banner;	   /* first line of the server greeting, or NULL */
	char *tls_version; /* "TLSv1.3", or NULL without a handshake */
	char *cipher;	   /* "TLS_AES_256_GCM_SHA384", or NULL */
	/* OpenSSL's verification result (X509_V_OK = 0) and its text
	 * (NULL when no DANE verification was done). */
	long verify_code;
	char *verify_text;
	/* The TLSA record that matched (SSL_get0_dane_tlsa()), by index in
	 * the host's records, and the depth of the certificate it matched
	 * (0 = leaf); -1 when none matched. */
	long match_record;
	int match_depth;
	/* The certificate chain the server presented, leaf first. */
	struct dk_dane_cert *chain;
	size_t nchain;
	/* DANE hosts: the certificates of the server's other key types. */
	struct dk_dane_alt *alts;
	size_t nalts;
	/* Seconds the TLS handshake took (from the first ClientHello to
	 * the end of the handshake); 0 without a completed handshake. */
	double handshake_seconds;
};

/** One TLSA record of a host's RRset. */
struct dk_dane_record {
	struct dk_tlsa *tlsa; /* owned by the report */
	/* 1 if the record is usable for the service (RFC 7672 section
	 * 3.1.3: usages 0 and 1 are not usable for SMTP). */
	int usable;
	/* Number of addresses at which this record was the match. */
	size_t matches;
};

/** One server host (an MX host, or the host of dk_dane_check_tls()). */
struct dk_dane_host {
	char *name;	     /* absolute, as in the MX record or as asked */
	unsigned preference; /* MX preference; 0 otherwise */
	/* The CNAME-expanded name when @name is an alias, else NULL. */
	char *cname;
	int ip_literal; /* 1 if @name looks like an IP address */
	/* Worst DNSSEC status of the A and AAAA lookups, and libunbound's
	 * reason when bogus (or the lookup error) */
	enum dk_dnssec_status addr_status;
	char *addr_why;
	/* The TLSA lookup actually used (NULL when none was made), the
	 * TLSA base domain (also the SNI name), the status of that RRset
	 * and, when the lookup failed, the DK_E* code and reason. */
	char *tlsa_owner;
	char *tlsa_base;
	enum dk_dnssec_status tlsa_status;
	int tlsa_error;
	char *tlsa_why;
	struct dk_dane_record *records;
	size_t nrecords;
	size_t nusable;
	/* 1 when DANE applies: a secure RRset with a usable record. */
	int dane;
	struct dk_dane_addr *addrs;
	size_t naddrs;
	enum dk_dane_verdict verdict;
	char *why; /* one line */
};

/** The whole result of a check. Read-only; free with dk_dane_report_free(). */
struct dk_dane_report {
	enum dk_dane_service service;
	char *domain;	       /* the mail domain, or the host of a TLS check */
	unsigned port;	       /* service port of the TLSA owner name */
	unsigned connect_port; /* port actually connected to */
	enum dk_starttls starttls;
	time_t at; /* moment of the certificate checks */
	/* SMTP: the MX lookup. */
	enum dk_dnssec_status mx_status;
	char *mx_why;
	int mx_error;	 /* DK_E* of a failed MX lookup, else 0 */
	int null_mx;	 /* RFC 7505 "MX 0 ." */
	int implicit_mx; /* no MX: the domain itself (RFC 5321 section 5.1) */
	int nxdomain;	 /* the domain does not exist */
	struct dk_dane_host *hosts; /* MX hosts in preference order */
	size_t nhosts;
	struct dk_dane_finding *findings;
	size_t nfindings;
	enum dk_dane_verdict verdict;
	char *why; /* one line */
};

/**
 * RFC 7672 check of the mail domain @domain: MX lookup, then for each MX
 * host in preference order its addresses, TLSA records at _25._tcp and a
 * STARTTLS handshake with every address, and a lint of every TLSA RRset.
 * @opts may be NULL (defaults). @opts->starttls is ignored (SMTP).
 * @return 0 and *@ret_report (free with dk_dane_report_free()), whatever
 * the verdict; DK_EINVAL (NULL argument, bad name: @diag says why);
 * DK_ECRYPTO (OpenSSL could not be set up); DK_ENOMEM.
 */
int dk_dane_check_smtp(struct dk_resolver *resolver, const char *domain,
		       const struct dk_dane_opts *opts,
		       struct dk_dane_report **ret_report,
		       struct dk_diag *diag);

/**
 * DANE check of the TLS service at @host port @port (1-65535): TLSA at
 * _PORT._tcp.HOST, direct TLS or @opts->starttls, every address. Usages 0
 * and 1 are validated against @opts->ca_file/ca_path or the system store,
 * with name checks. Same returns as dk_dane_check_smtp().
 */
int dk_dane_check_tls(struct dk_resolver *resolver, const char *host,
		      unsigned port, const struct dk_dane_opts *opts,
		      struct dk_dane_report **ret_report, struct dk_diag *diag);

/**
 * The certificate chain the TLS server at @host presents, as an input for
 * dk_tlsa_make() (e.g. "danekit tlsa --from"). @host's A and AAAA records
 * are looked up through @resolver; the first address that completes a
 * handshake (on @opts->connect_port or @port, after @opts->starttls)
 * gives the chain, leaf first. @host may also be an IPv4 or IPv6 address
 * literal (without brackets): the connection then goes straight there,
 * without DNS (@resolver may be NULL) and without SNI (RFC 6066 section
 * 3). Nothing is verified: the chain is what the network delivered, so
 * compare its digest out of band before publishing records made from it.
 * @opts may be NULL.
 * @return 0 and *@ret_input (free with dk_input_free()); DK_EINVAL;
 * DK_ERESOLVER (no address: @diag says why); DK_ECONNREFUSED,
 * DK_ETIMEDOUT, DK_ETLS, DK_EPROTO (no chain from any address: @diag says
 * why, for the last one tried); DK_ECRYPTO; DK_ENOMEM.
 */
int dk_dane_fetch_chain(struct dk_resolver *resolver, const char *host,
			unsigned port, const struct dk_dane_opts *opts,
			struct dk_input **ret_input, struct dk_diag *diag);

/** Free a report and everything in it. NULL is accepted. */
void dk_dane_report_free(struct dk_dane_report *report);

/* --- scans: check smtp over many domains on one event loop --------------- */

/** Domains in flight by default: enough to keep one core busy. */
#define DK_SCAN_CONCURRENCY 256
/** Probe outcomes a scan keeps by default (MX host x address x key type). */
#define DK_SCAN_CACHE_ENTRIES 4096

/** Options of a scan; zero values take the defaults. */
struct dk_scan_opts {
	/* the options of each domain's check, as for dk_dane_check_smtp() */
	struct dk_dane_opts dane;
	/* the caller's limit of domains in flight (see dk_scan_active());
	 * 0: DK_SCAN_CONCURRENCY */
	size_t concurrency;
	/* probe outcomes kept while the scan lasts, least recently used
	 * out; 0: DK_SCAN_CACHE_ENTRIES */
	size_t cache_entries;
};

/** Counters of a scan. */
struct dk_scan_stats {
	uint64_t added, done;
	uint64_t rounds; /* rounds run (a round missing answers is redone) */
	uint64_t probes; /* connections made */
	uint64_t cache_hits; /* probes answered from the cache */
	uint64_t tlsa_hits;  /* TLSA RRsets judged once, used again */
	uint64_t cached;     /* outcomes in the cache now */
};

struct dk_scan;

/**
 * The outcome of one domain of a scan, in completion order: @err 0 and
 * @report (the caller's, free with dk_dane_report_free()), or a DK_E*
 * code with @diag (borrowed) and @report NULL. @domain is borrowed. The
 * callback runs from the loop; it may call dk_scan_add().
 */
typedef void (*dk_scan_cb)(void *arg, const char *domain, int err,
			   struct dk_dane_report *report,
			   const struct dk_diag *diag);

/**
 * Make a scan on @resolver, which must be an event resolver
 * (dk_resolver_new_event()); the scan runs on its loop. Each domain is
 * checked by the code of dk_dane_check_smtp() (the same reports), its
 * lookups and connections interleaved with the other domains' on the
 * loop; each MX host x address x key type is probed once while its
 * outcome is in the cache. Free the scan before the resolver.
 *
 * @return 0 and *@ret_scan (free with dk_scan_free()), DK_EINVAL (NULL
 * argument, or not an event resolver), DK_ENOMEM, DK_ECRYPTO.
 */
int dk_scan_new(struct dk_resolver *resolver, const struct dk_scan_opts *opts,
		dk_scan_cb cb, void *arg, struct dk_scan **ret_scan);

/**
 * Add @domain (copied) to the scan; its check starts from the loop. The
 * caller keeps dk_scan_active() within the concurrency it wants (memory
 * is bounded by the domains in flight). 0, DK_EINVAL (NULL, or not a
 * domain name, with @diag), DK_ENOMEM.
 */
int dk_scan_add(struct dk_scan *scan, const char *domain, struct dk_diag *diag);

/** Domains added and not yet handed to the callback. */
size_t dk_scan_active(const struct dk_scan *scan);

/** The concurrency of the options (after defaults). */
size_t dk_scan_concurrency(const struct dk_scan *scan);

/**
 * Run the loop: until no domain is in flight (@once 0), or one pass that
 * waits for at least one event (@once 1). 0, DK_EINVAL. Not from within
 * the loop's callbacks.
 */
int dk_scan_run(struct dk_scan *scan, int once);

/** Copy the counters into *@ret. */
void dk_scan_get_stats(const struct dk_scan *scan, struct dk_scan_stats *ret);

/** Free the scan (NULL accepted); domains in flight are dropped. */
void dk_scan_free(struct dk_scan *scan);

/*
 * The arrays of a report, element by element. Read them through these
 * getters, not by indexing: a later version may append fields to these
 * structs (never remove or reorder them), and only the library knows
 * their size. Each returns a borrowed element, or NULL when the argument
 * is NULL or @i is out of range.
 */
const struct dk_dane_host *dk_dane_report_host(const struct dk_dane_report *r,
					       size_t i);
const struct dk_dane_finding *
dk_dane_report_finding(const struct dk_dane_report *r, size_t i);
const struct dk_dane_record *dk_dane_host_record(const struct dk_dane_host *h,
						 size_t i);
const struct dk_dane_addr *dk_dane_host_addr(const struct dk_dane_host *h,
					     size_t i);
const struct dk_dane_cert *dk_dane_addr_cert(const struct dk_dane_addr *a,
					     size_t i);
const struct dk_dane_alt *dk_dane_addr_alt(const struct dk_dane_addr *a,
					   size_t i);
const struct dk_dane_cert *dk_dane_alt_cert(const struct dk_dane_alt *alt,
					    size_t i);

/* ================================================================== */
/*
 * The DANE seam, for MTA authors: the same RFC 7672 rules and the same
 * trust gate as dk_dane_check_smtp(), on the caller's own connection.
 *
 *     struct dk_dane_peer *p;
 *     dk_dane_smtp_peer(resolver, "mx1.example.com", &p, &diag);
 *     switch (dk_dane_peer_state(p)) {
 *     case DK_DANE_PEER_DANE:      // require an authenticated handshake
 *             dk_dane_ctx_enable(ctx);            // once per SSL_CTX
 *             ssl = SSL_new(ctx);
 *             dk_dane_peer_enable(p, ssl, &diag); // SNI, TLSA records
 *             ... STARTTLS, SSL_connect() ...
 *             if (dk_dane_ssl_authenticated(ssl, NULL) != 1)
 *                     defer the mail (RFC 7672 section 2.2)
 *     case DK_DANE_PEER_NO_DANE:   // opportunistic TLS as usual
 *     case DK_DANE_PEER_FAILED:    // defer the mail (RFC 7672 2.1.1)
 *     case DK_DANE_PEER_TEMPFAIL:  // defer and try again later
 *     }
 */

/**
 * Is record @i of @rrset usable for @service? This is the one place
 * where usable records are decided: never unless the RRset is secure
 * under the rule of trust (dk_tlsa_rrset_status()); then a record is
 * usable when its usage (0-3), selector (0-1) and matching type (0-2)
 * are known, a digest has the length of its matching type, and, for
 * SMTP, its usage is DANE-TA(2) or DANE-EE(3) (RFC 7672 section 3.1.3).
 * @return 1 usable, 0 not, DK_EINVAL (NULL, or @i out of range).
 */
int dk_dane_record_usable(const struct dk_tlsa_rrset *rrset, size_t i,
			  enum dk_dane_service service);

/* What an MTA does with a peer (RFC 7672 section 2). */
enum dk_dane_peer_state {
	DK_DANE_PEER_UNKNOWN = 0, /* not looked up (never "authenticated") */
	/* Secure, usable TLSA records: the server must authenticate with
	 * them (dk_dane_peer_enable()); if not, the mail is deferred. */
	DK_DANE_PEER_DANE = 1,
	/* DANE does not apply: insecure data, or no usable TLSA record. */
	DK_DANE_PEER_NO_DANE = 2,
	/* Bogus data, or the validator and the chain check disagree: the
	 * mail is deferred (RFC 7672 section 2.1.1). */
	DK_DANE_PEER_FAILED = 3,
	/* A lookup could not finish: defer and try again later. */
	DK_DANE_PEER_TEMPFAIL = 4,
};

/** "unknown", "dane", "no-dane", "failed", "tempfail". Static storage. */
const char *dk_dane_peer_state_name(enum dk_dane_peer_state state);

/** One SMTP server host as DANE sees it. Opaque. */
struct dk_dane_peer;

/**
 * RFC 7672 for the SMTP server @host (an MX host, or the domain itself
 * when it has no MX): its A/AAAA records and their security, CNAMEs
 * (section 2.2.2), the TLSA records at _25._tcp through the trust gate,
 * and the usable records. No connection is made.
 * @return 0 and *@ret_peer (whatever its state; free with
 * dk_dane_peer_free()); DK_EINVAL (NULL argument, bad name: @diag);
 * DK_ECRYPTO; DK_ENOMEM.
 */
int dk_dane_smtp_peer(struct dk_resolver *resolver, const char *host,
		      struct dk_dane_peer **ret_peer, struct dk_diag *diag);

/** Free a peer. NULL is accepted. */
void dk_dane_peer_free(struct dk_dane_peer *peer);

/** The state; DK_DANE_PEER_UNKNOWN for NULL. */
enum dk_dane_peer_state dk_dane_peer_state(const struct dk_dane_peer *peer);

/** One line saying why (always set). Borrowed; NULL for NULL. */
const char *dk_dane_peer_why(const struct dk_dane_peer *peer);

/** The host as asked (absolute). Borrowed. */
const char *dk_dane_peer_host(const struct dk_dane_peer *peer);

/**
 * The TLSA base domain: the SNI name and the first reference identifier
 * (the CNAME-expanded name when its chain is secure and has TLSA records,
 * else the host). Borrowed; NULL without DANE.
 */
const char *dk_dane_peer_base(const struct dk_dane_peer *peer);

/** The TLSA RRset that decided, borrowed; NULL when none was looked up. */
const struct dk_tlsa_rrset *
dk_dane_peer_get0_rrset(const struct dk_dane_peer *peer);

/** The addresses to connect to (numeric, A then AAAA). */
size_t dk_dane_peer_address_count(const struct dk_dane_peer *peer);
const char *dk_dane_peer_address(const struct dk_dane_peer *peer, size_t i);

/** The usable records (what dk_dane_peer_enable() adds). */
size_t dk_dane_peer_usable_count(const struct dk_dane_peer *peer);
const struct dk_tlsa *dk_dane_peer_usable(const struct dk_dane_peer *peer,
					  size_t i);

/**
 * SSL_CTX_dane_enable() on @ctx (once per context, before SSL_new()).
 * @return 0 or DK_ETLS.
 */
int dk_dane_ctx_enable(SSL_CTX *ctx);

/**
 * Before the handshake on the caller's @ssl (from a context given to
 * dk_dane_ctx_enable()): SSL_dane_enable() with the TLSA base domain (also
 * the SNI name), the other reference identifier (RFC 7672 section 3.2.2),
 * DANE_FLAG_NO_DANE_EE_NAMECHECKS (section 3.1.1), and every usable
 * record (SSL_dane_tlsa_add()). The peer is not kept.
 * @return the number of records added (> 0); 0 when the peer has no
 * usable record (DANE does not apply: nothing was changed on @ssl);
 * DK_EINVAL; DK_ETLS (OpenSSL refused: @diag).
 */
int dk_dane_peer_enable(const struct dk_dane_peer *peer, SSL *ssl,
			struct dk_diag *diag);

/**
 * After the handshake: did the server authenticate with a TLSA record?
 * *@ret_depth (may be NULL) gets the depth of the certificate the record
 * matched (0 = leaf), or -1.
 * @return 1 authenticated; 0 not (the mail must be deferred when the
 * peer is DK_DANE_PEER_DANE); DK_EINVAL.
 */
int dk_dane_ssl_authenticated(SSL *ssl, int *ret_depth);

/* ================================================================== */
/*
 * Renewals (part of the dane module): certificate renewals that never
 * break DANE.
 *
 *  - the rollover guard (RFC 7671 section 8, "current + next"): is the
 *    next key's TLSA record published, secure, served by every
 *    authoritative server, and old enough that caches have it?
 *  - the next key and its CSR (dk_renew_keygen(), dk_renew_csr());
 *  - the ACME clients' hook interfaces (certbot, acme.sh, dehydrated,
 *    lego): which files hold the renewed certificate;
 *  - publishing TLSA records by DNS UPDATE (RFC 2136) signed with TSIG
 *    (RFC 8945), with a prerequisite so that a concurrent change is never
 *    overwritten.
 *
 * Every lookup goes through the dnssec module; a TLSA RRset counts only
 * when it is DNSSEC-secure.
 *
 * Threads: the functions are safe to call from several threads on
 * distinct objects; a resolver is used by one thread at a time.
 */

/* ------------------------------------------------------------------ */
/* The next key and its CSR                                            */

/* Key types of dk_renew_keygen(). */
enum dk_key_type {
	DK_KEY_EC_P256 = 0, /* ECDSA on P-256 (the default) */
	DK_KEY_RSA2048 = 1,
	DK_KEY_RSA3072 = 2,
	DK_KEY_ED25519 = 3,
};

/**
 * Parse a key type: "ec-p256" (also "ecdsa", "p256", "ec"), "rsa2048",
 * "rsa3072", "ed25519" (case-insensitive). @return the type or DK_EINVAL.
 */
int dk_key_type_parse(const char *name);

/** The name of a key type ("ec-p256"...), or NULL. Static storage. */
const char *dk_key_type_name(enum dk_key_type type);

/**
 * Make a new private key. On success *@ret_key owns it; free it with
 * EVP_PKEY_free(). @return 0, DK_EINVAL, DK_ECRYPTO (+ @diag).
 */
int dk_renew_keygen(enum dk_key_type type, EVP_PKEY **ret_key,
		    struct dk_diag *diag);

/**
 * Write @key as an unencrypted PKCS#8 PEM file with mode 0600. The file
 * appears whole or not at all (a temporary file in the same folder, then
 * link() or rename()). An existing @path is never replaced unless @force
 * is non-zero. @return 0; DK_EINVAL; DK_EEXIST (@path exists and @force
 * is 0); DK_ENOENT, DK_EACCES, DK_EIO (+ @diag); DK_ECRYPTO.
 */
int dk_renew_write_key(EVP_PKEY *key, const char *path, int force,
		       struct dk_diag *diag);

/**
 * Make a PKCS#10 CSR for @key (which must hold the private half) with the
 * subject CN = @names[0] and a subjectAltName of every name, signed with
 * SHA-256 (no digest for Ed25519). @names: @nnames >= 1 host names,
 * checked with dk_tlsa_check_host(). On success *@ret_csr is freed with
 * X509_REQ_free(). @return 0, DK_EINVAL, DK_EDATA (a bad name: @diag),
 * DK_ECRYPTO, DK_ENOMEM.
 */
int dk_renew_csr(EVP_PKEY *key, const char *const *names, size_t nnames,
		 X509_REQ **ret_csr, struct dk_diag *diag);

/**
 * Write @csr as PEM to @path (a temporary file renamed into place; an
 * existing file is replaced: a CSR holds no secret). @return 0 or a
 * DK_E* code (+ @diag).
 */
int dk_renew_write_csr(X509_REQ *csr, const char *path, struct dk_diag *diag);

/* ------------------------------------------------------------------ */
/* The rollover guard                                                  */

/*
 * The stage of a key rollover (RFC 7671 section 8.1). The order is the
 * order in which a rollover goes; dk_rollover_stage_name() gives stable
 * names.
 */
enum dk_rollover_stage {
	/* The TLSA RRset is not secure (insecure or bogus): no stage is
	 * ever safe. See dk_rollover_report.status. */
	DK_ROLLOVER_NOT_SECURE = 0,
	/* Some authoritative server could not be asked (time-out, refused,
	 * SERVFAIL): try again later. */
	DK_ROLLOVER_INCOMPLETE = 1,
	/* The authoritative servers do not all serve the same TLSA RRset
	 * (a secondary lags behind). */
	DK_ROLLOVER_PROPAGATING = 2,
	/* The next key (or its issuer) has no TLSA record yet: publish
	 * dk_rollover_report.add. */
	DK_ROLLOVER_NEXT_MISSING = 3,
	/* Current and next are published everywhere, but not yet for
	 * min_age seconds: caches may still hold the old RRset. */
	DK_ROLLOVER_WAITING = 4,
	/* Safe to deploy the next certificate. */
	DK_ROLLOVER_READY = 5,
	/* The next certificate is live and records of the current one are
	 * still published: remove dk_rollover_report.remove. */
	DK_ROLLOVER_RETIRE = 6,
	/* The next certificate is published (and live, when that could be
	 * checked) and no record is left for the current one only. */
	DK_ROLLOVER_DONE = 7,
	/* The certificate the service presents now matches no record of
	 * the secure RRset: DANE clients fail now. */
	DK_ROLLOVER_BROKEN = 8,
};

/** "not-secure", "incomplete", "propagating", "next-missing", "waiting",
 * "ready", "retire", "done", "broken"; "?" if unknown. Static storage. */
const char *dk_rollover_stage_name(enum dk_rollover_stage stage);

/** 1 for the stages in which the next certificate may be live (READY,
 * RETIRE, DONE), else 0. */
int dk_rollover_stage_safe(enum dk_rollover_stage stage);

/* Which certificate the service presents now. */
enum dk_rollover_live {
	DK_LIVE_UNKNOWN = 0, /* not checked, or could not connect */
	DK_LIVE_CURRENT = 1, /* the current key */
	DK_LIVE_NEXT = 2,    /* the next key */
	DK_LIVE_OTHER = 3,   /* a key that is neither */
};

/** "unknown", "current", "next", "other". Static storage. */
const char *dk_rollover_live_name(enum dk_rollover_live live);

/** Options of dk_rollover_check(); zero-initialise, then set fields. */
struct dk_rollover_opts {
	/* The certificate (chain) or key in service now; NULL when there is
	 * none to compare (an ACME hook). Borrowed. */
	const struct dk_input *current;
	/* The issuer of the current certificate, for usage 2 records, when
	 * @current does not hold it; NULL otherwise. Borrowed. */
	const struct dk_input *current_ca;
	/* The certificate (chain), CSR or key to deploy next. Required. */
	const struct dk_input *next;
	/* The issuer of the next certificate (usage 2), or NULL. */
	const struct dk_input *next_ca;
	/* The leaf certificate the service presents now, or NULL when
	 * unknown (see dk_renew_fetch_cert()). Borrowed. With only the
	 * leaf, a usage 2 digest record cannot be judged on the live
	 * service: give @live_chain (at the end) as well. */
	X509 *live;
	/* Port of the authoritative servers; 0 means 53. */
	unsigned auth_port;
	/* Non-zero: do not ask the authoritative servers directly. */
	int no_auth_check;
	/* Minimum age in seconds of the next key's records before it is
	 * safe to deploy; < 0 means twice the TTL of the RRset. */
	long min_age;
	/* State file in which the first sight of each record is kept
	 * (created if missing); NULL keeps no state: every record is then
	 * seen for the first time, aged 0. */
	const char *state_file;
	/* The clock, for tests; 0 means time(NULL). */
	time_t now;
	/* TTL of the records suggested in @add; 0: the RRset's, else 3600. */
	uint32_t ttl;
	/* The whole chain the service presents now, leaf first (see
	 * dk_renew_fetch_chain()), or NULL. When set, the coverage of the
	 * live service is judged on it (a "2 1 1" of an intermediate it
	 * sends covers it even when @current is a bare leaf), and @live
	 * may be NULL (the leaf of the chain is used). Borrowed. */
	const struct dk_input *live_chain;
};

/** One record of the TLSA RRset and what it matches. */
struct dk_rollover_record {
	struct dk_tlsa *tlsa; /* owned by the report */
	int current;	      /* 1 if it matches the current key/chain */
	int next;	      /* 1 if it matches the next key/chain */
	time_t first_seen;    /* first seen published everywhere; 0 unknown */
};

/* What one authoritative server said. */
enum dk_auth_state {
	DK_AUTH_UNKNOWN = 0,	 /* not asked (never "same") */
	DK_AUTH_SAME = 1,	 /* the same TLSA RRset as the resolver's */
	DK_AUTH_DIFFERENT = 2,	 /* another RRset */
	DK_AUTH_UNREACHABLE = 3, /* no usable answer (time-out, error) */
};

/** One address of one authoritative server. */
struct dk_rollover_server {
	char *name;    /* the NS name, absolute */
	char *address; /* numeric IPv4 or IPv6 address */
	unsigned port;
	enum dk_auth_state state;
	char *why; /* one line when not DK_AUTH_SAME, else NULL */
	/* The name asked: the owner; when it is an alias, each name on the
	 * way (the server must serve the CNAME to the next one) and the
	 * target (the server must serve the RRset). Absolute. */
	char *qname;
};

/** The result of dk_rollover_check(). Read-only; free with
 * dk_rollover_report_free(). Arrays have their count next to them. */
struct dk_rollover_report {
	char *owner; /* the TLSA owner name, absolute */
	char *zone;  /* the zone that holds it, or NULL if not found */
	enum dk_dnssec_status status; /* of the TLSA lookup */
	char *status_why;	      /* libunbound's reason, or NULL */
	uint32_t ttl;		      /* original TTL of the RRset */
	struct dk_rollover_record *records;
	size_t nrecords;
	struct dk_rollover_server *servers;
	size_t nservers;
	/* Records to publish now (NEXT_MISSING), owned by the report. */
	struct dk_tlsa **add;
	size_t nadd;
	/* Records to remove (RETIRE), owned by the report. */
	struct dk_tlsa **remove;
	size_t nremove;
	/* 1 when a usage 2 record is needed for the next certificate but its
	 * issuer is unknown (give next_ca). */
	int need_next_ca;
	/* Seconds since the next key's records were first seen everywhere
	 * (-1 when not published), and the minimum age that applies. */
	long age;
	long min_age;
	enum dk_rollover_live live;
	enum dk_rollover_stage stage;
	char *why; /* one line saying what the stage means here */
	/* Things to fix that do not make the stage unsafe, one line each:
	 * e.g. the next chain is covered by fewer kinds of record (usage 3,
	 * usage 2) than the current one; the record that restores it is in
	 * @add. */
	char **warnings;
	size_t nwarnings;
	/* The name after CNAMEs when @owner is an alias (absolute), else
	 * NULL: its records are what was looked up, the servers of its zone
	 * (@zone) were asked for it, and records are added there. */
	char *target;
	/* The TTL for the records of @add: dk_rollover_opts.ttl, else
	 * @ttl, else 3600. */
	uint32_t add_ttl;
};

/**
 * Where is the rollover at @owner ("_25._tcp.mail.example.com")? Looks up
 * the TLSA RRset through @resolver, asks every address of every NS of its
 * zone directly (unless @opts->no_auth_check; when @owner is a CNAME, the
 * servers of the zone of the target, for the target), updates the state
 * file and decides the stage. Only usages 2 (DANE-TA) and 3 (DANE-EE) are
 * weighed: the next chain is covered when any usage 2 or 3 record covers
 * it, and its age is that of the oldest such record. A usage 2 record
 * covers a chain when it matches one of its certificates, or, for full
 * records ("2 0 0", "2 1 0", RFC 7671 section 5.2.2), when a certificate
 * of the chain is signed by the key it carries. When the next chain is
 * covered by fewer kinds of record than the current one (with no current
 * key: than the RRset holds), the report warns and @add holds the record
 * that restores it.
 * A rollover that is not safe is not an error: see the report's stage.
 * @return 0 and *@ret_report; DK_EINVAL (NULL argument, no @opts->next, a
 * bad name: @diag); DK_EEXIST (@opts->state_file is a folder or not a
 * regular file) or DK_EDATA (it is not a danekit state file): see
 * dk_rollover_state_check(), nothing is looked up; DK_ETIMEDOUT,
 * DK_ESERVFAIL, DK_ERESOLVER (the TLSA lookup itself failed: @diag);
 * DK_ENOMEM. Other state file trouble (unreadable, not writable) is not an
 * error: the report's why says it, and the age counts from now.
 */
int dk_rollover_check(struct dk_resolver *resolver, const char *owner,
		      const struct dk_rollover_opts *opts,
		      struct dk_rollover_report **ret_report,
		      struct dk_diag *diag);

/** Free a report. NULL is accepted. */
void dk_rollover_report_free(struct dk_rollover_report *report);

/** The arrays of a rollover report, as for dk_dane_report_host(). */
const struct dk_rollover_record *
dk_rollover_report_record(const struct dk_rollover_report *r, size_t i);
const struct dk_rollover_server *
dk_rollover_report_server(const struct dk_rollover_report *r, size_t i);

/**
 * The default state file: $XDG_STATE_HOME/danekit/rollover.state, else
 * $HOME/.local/state/danekit/rollover.state, as a malloc()ed string the
 * caller frees; NULL when neither variable is set (or out of memory).
 */
char *dk_rollover_default_state_file(void);

/**
 * Fetch the leaf certificate that a TLS service presents, without
 * verifying it (only to compare keys): TCP to @connect_addr (a numeric
 * address) or else to every address of @host in turn, port @port, an
 * SMTP STARTTLS exchange first when @smtp is non-zero, then a handshake
 * with SNI @host. *@ret_cert is freed with X509_free().
 * @return 0; DK_EINVAL; DK_ECONNREFUSED, DK_ETIMEDOUT, DK_ETLS, DK_EPROTO
 * (+ @diag); DK_ENOMEM.
 */
int dk_renew_fetch_cert(struct dk_resolver *resolver, const char *host,
			const char *connect_addr, unsigned port, int smtp,
			double timeout, X509 **ret_cert, struct dk_diag *diag);

/**
 * Like dk_renew_fetch_cert(), but the whole chain the service presents,
 * leaf first and in the order sent, as an input (for
 * dk_rollover_opts.live_chain). Nothing is verified. *@ret_chain is freed
 * with dk_input_free(). Same returns as dk_renew_fetch_cert().
 */
int dk_renew_fetch_chain(struct dk_resolver *resolver, const char *host,
			 const char *connect_addr, unsigned port, int smtp,
			 double timeout, struct dk_input **ret_chain,
			 struct dk_diag *diag);

/**
 * May @path serve as a rollover state file? It may be missing (it is then
 * created), or an empty regular file, or a regular file written by
 * danekit (its first line starts with "# danekit rollover state"). A
 * symbolic link counts as the file it names. Never opens a FIFO or a
 * device for reading. @return 0; DK_EINVAL; DK_EEXIST (a folder, a device,
 * a FIFO, a socket: never replaced), DK_EDATA (a regular file that is not
 * a state file: never overwritten), with @diag saying which. A file that
 * cannot be read gives 0: dk_rollover_check() then keeps no state.
 */
int dk_rollover_state_check(const char *path, struct dk_diag *diag);

/**
 * The TTL of the TLSA RRset published at @owner, for a record to add next
 * to it: the original TTL (from its RRSIG when it is signed, else as
 * answered). *@ret_ttl gets 0 when there is no such RRset (or it is
 * bogus). When @owner is an alias, the RRset is that of the name after
 * CNAMEs, which *@ret_target gets (malloc()ed; NULL when @owner is no
 * alias); @ret_target may be NULL.
 * @return 0; DK_EINVAL (+ @diag); DK_ETIMEDOUT, DK_ESERVFAIL, DK_ERESOLVER
 * (+ @diag); DK_ENOMEM. Outputs are untouched on failure.
 */
int dk_rollover_owner_ttl(struct dk_resolver *resolver, const char *owner,
			  uint32_t *ret_ttl, char **ret_target,
			  struct dk_diag *diag);

/* ------------------------------------------------------------------ */
/* ACME clients                                                        */

/* The ACME clients whose hook interfaces dk_acme_hook_read() knows. */
enum dk_acme_client {
	DK_ACME_CERTBOT =
		0, /* --deploy-hook: RENEWED_LINEAGE, RENEWED_DOMAINS */
	DK_ACME_ACMESH = 1, /* --reloadcmd/--renew-hook: CERT_PATH, ... */
	DK_ACME_DEHYDRATED =
		2, /* HOOK: deploy_cert DOMAIN KEY CERT FULLCHAIN CHAIN TS */
	DK_ACME_LEGO = 3, /* v4 LEGO_CERT_*, v5 LEGO_HOOK_CERT_* */
};

/** Parse "certbot", "acme.sh" (or "acmesh"), "dehydrated", "lego".
 * @return the client or DK_EINVAL. */
int dk_acme_client_parse(const char *name);

/** "certbot", "acme.sh", "dehydrated", "lego"; NULL if unknown. */
const char *dk_acme_client_name(enum dk_acme_client client);

/** What an ACME client handed its hook: malloc()ed strings or NULL. */
struct dk_acme_hook {
	enum dk_acme_client client;
	/* 0: nothing to do (a dehydrated verb other than deploy_cert). */
	int deploy;
	char *verb;	/* dehydrated: the hook verb; else NULL */
	char *domain;	/* the main domain */
	char **domains; /* every domain named, or NULL */
	size_t ndomains;
	char *cert;	 /* the leaf certificate file (may hold the chain) */
	char *key;	 /* the private key file */
	char *fullchain; /* leaf + intermediates, or NULL */
	char *chain;	 /* intermediates only, or NULL */
	/* A key the client made for its next renewal (dehydrated's
	 * privkey.roll.pem, acme.sh's KEY.next), or NULL. */
	char *next_key;
};

/**
 * Read a client's hook interface: the environment through @getenv_fn
 * (NULL: getenv()) and, for dehydrated, the hook arguments @argv[0..argc-1]
 * (verb first). certbot: $RENEWED_LINEAGE/{cert,fullchain,privkey,chain}.pem
 * and $RENEWED_DOMAINS (space-separated). acme.sh: CERT_PATH,
 * CERT_KEY_PATH, CA_CERT_PATH, CERT_FULLCHAIN_PATH, Le_Domain. dehydrated:
 * "deploy_cert DOMAIN KEYFILE CERTFILE FULLCHAINFILE CHAINFILE TIMESTAMP";
 * any other verb gives deploy = 0. lego: LEGO_HOOK_CERT_PATH,
 * LEGO_HOOK_CERT_KEY_PATH, LEGO_HOOK_ISSUER_CERT_PATH,
 * LEGO_HOOK_CERT_DOMAINS (v5), else LEGO_CERT_PATH, LEGO_CERT_KEY_PATH,
 * LEGO_ISSUER_CERT_PATH, LEGO_CERT_DOMAIN (v4); lego's certificate file
 * holds the chain unless --no-bundle was used.
 * On success *@ret_hook is freed with dk_acme_hook_free().
 * @return 0; DK_EINVAL (NULL argument); DK_EDATA (a variable or argument
 * the client always sets is missing: @diag names it); DK_ENOMEM.
 */
int dk_acme_hook_read(enum dk_acme_client client, int argc, char *const *argv,
		      const char *(*getenv_fn)(const char *),
		      struct dk_acme_hook **ret_hook, struct dk_diag *diag);

/** Free a hook description. NULL is accepted. */
void dk_acme_hook_free(struct dk_acme_hook *hook);

/* ------------------------------------------------------------------ */
/* DNS UPDATE                                                          */

/** A TSIG key (RFC 8945). The secret is base64, as in the key file. */
struct dk_tsig_key {
	char *name;	 /* absolute, e.g. "danekit-update." */
	char *algorithm; /* absolute, e.g. "hmac-sha256." */
	char *secret;	 /* base64 */
};

/**
 * Read a TSIG key file in the BIND/Knot/tsig-keygen form:
 *   key "name" { algorithm hmac-sha256; secret "base64"; };
 * (the first key of the file; comments with #, // and slash-star).
 * Algorithms: hmac-md5, hmac-sha1, hmac-sha224, hmac-sha256, hmac-sha384,
 * hmac-sha512. *@ret_key is freed with dk_tsig_key_free().
 * @return 0; DK_EINVAL; DK_ENOENT, DK_EACCES, DK_EIO; DK_EDATA (+ @diag);
 * DK_ENOMEM.
 */
int dk_tsig_key_read(const char *path, struct dk_tsig_key **ret_key,
		     struct dk_diag *diag);

/** Free a key, wiping the secret. NULL is accepted. */
void dk_tsig_key_free(struct dk_tsig_key *key);

/** How records reach the zone (dk_publish_opts.via). */
enum dk_publish_via {
	/* DNS UPDATE (RFC 2136) to the primary, signed with a TSIG key. */
	DK_PUBLISH_VIA_UPDATE = 0,
	/* The PowerDNS Authoritative HTTP API: the zone is read with GET,
	 * then the RRset is written whole with PATCH, changetype REPLACE
	 * (DELETE when no record is left). */
	DK_PUBLISH_VIA_PDNS_API = 1,
	/* A command that gets the changes as one JSON document on its
	 * standard input; its exit status says whether it published. */
	DK_PUBLISH_VIA_EXEC = 2,
};

/** "rfc2136", "pdns-api" or "exec"; NULL for another value. */
const char *dk_publish_via_name(enum dk_publish_via via);

/** The publisher named @name as dk_publish_via_name() spells it.
 * @return the enum value (>= 0), or DK_EINVAL (unknown or NULL). */
int dk_publish_via_parse(const char *name);

/**
 * Read an API key from the file @path: its first line, without the
 * surrounding blanks. The file must be a regular, readable file; the key
 * must be 1-4096 printable ASCII characters. The key is never put in
 * @diag. *@ret_key is freed (and wiped) with dk_api_key_free().
 * @return 0; DK_EINVAL; DK_ENOENT, DK_EACCES; DK_EISDIR (not a regular
 * file); DK_EIO; DK_EDATA (empty or not printable: @diag); DK_ENOMEM.
 */
int dk_api_key_read(const char *path, char **ret_key, struct dk_diag *diag);

/** Wipe and free a key from dk_api_key_read(). NULL is accepted. */
void dk_api_key_free(char *key);

/** Options of dk_publish_plan(); zero-initialise, then set fields. */
struct dk_publish_opts {
	/* The zone; NULL: found by looking up the SOA through the resolver. */
	const char *zone;
	/* "ADDR" or "ADDR@PORT" (numeric); NULL: the SOA MNAME, port 53. */
	const char *server;
	/* TTL of added records; 0: the TTL of the RRset on the server,
	 * else 3600. */
	uint32_t ttl;
	/* Limit for each exchange with the server, seconds; <= 0: 10. */
	double timeout;
	/* The publisher (default DNS UPDATE). UPDATE and EXEC read the RRset
	 * from the primary (server, else the SOA MNAME) by DNS; PDNS_API
	 * reads it from the API and needs no server. */
	enum dk_publish_via via;
	/* PDNS_API: the API server, "http[s]://HOST[:PORT]" (the path
	 * /api/v1/servers/localhost is added), or a URL ending in
	 * /api/v1/servers/NAME. Copied. */
	const char *api_url;
	/* PDNS_API: the API key (X-API-Key), e.g. from dk_api_key_read().
	 * Copied into the plan, wiped when the plan is freed; never in
	 * @diag, the plan's script or its fields. */
	const char *api_key;
	/* EXEC: the command and its arguments, NULL-terminated, run with
	 * execvp() (no shell: a caller that has one command line passes
	 * "/bin/sh", "-c", LINE). Copied. Time limit: 6 times the timeout
	 * (default 60 s), then it is killed (SIGTERM, then SIGKILL). */
	const char *const *exec_argv;
};

/** A planned update. Read-only; free with dk_publish_plan_free(). */
struct dk_publish_plan {
	char *owner;  /* absolute */
	char *zone;   /* absolute */
	char *server; /* numeric address */
	unsigned port;
	uint32_t ttl; /* TTL of added records */
	/* The RRset on the server before the update (the prerequisite). */
	struct dk_tlsa **before;
	size_t nbefore;
	uint32_t before_ttl;
	/* What will really change: records to add that are not there yet,
	 * records to remove that are there. Owned by the plan. */
	struct dk_tlsa **add;
	size_t nadd;
	struct dk_tlsa **remove;
	size_t nremove;
	/* The equivalent nsupdate(1) script ("server", "zone", "prereq",
	 * "update", "send"), for --dry-run. PDNS_API: the request
	 * ("PATCH URL" and its JSON body); EXEC: the JSON document the
	 * command gets. */
	char *script;
	/* The publisher; PDNS_API: server is the zone's URL in the API and
	 * port is 0. */
	enum dk_publish_via via;
};

/**
 * Plan an update of the TLSA RRset at @owner: find the zone and the
 * server (@opts, else SOA/MNAME through @resolver, which may then be NULL
 * when both are given), read the RRset from the server itself, and keep
 * the records of @add (@nadd) not there yet and of @remove (@nremove)
 * that are there. The inputs are copied. Before anything is looked up or
 * sent, every record of @add must pass dk_tlsa_check_record() (DK_EDATA,
 * @diag says which and why: a record that can never be right is never
 * published; one to remove may be anything), and no record may be both
 * added and removed (DK_EINVAL).
 * @return 0 and *@ret_plan; DK_EINVAL (+ @diag); DK_EDATA (+ @diag);
 * DK_ECONNREFUSED or
 * DK_ETIMEDOUT (server unreachable); DK_EPROTO (bad reply); DK_ESERVFAIL,
 * DK_ERESOLVER (zone or server not found); DK_ENOMEM.
 * With @opts->via PDNS_API, the RRset is read through the API (GET of
 * the zone; disabled records are not in "before"), @resolver may be NULL
 * when @opts->zone is given, and also: DK_EINVAL (no URL or key, a URL
 * that is not http(s)); DK_EREFUSED (HTTP 401/403: a wrong key; 404: no
 * such zone); DK_ETLS; DK_ESERVFAIL (HTTP 5xx). With EXEC, the RRset is
 * read as for DNS UPDATE and nothing is run yet.
 */
int dk_publish_plan(struct dk_resolver *resolver, const char *owner,
		    struct dk_tlsa *const *add, size_t nadd,
		    struct dk_tlsa *const *remove, size_t nremove,
		    const struct dk_publish_opts *opts,
		    struct dk_publish_plan **ret_plan, struct dk_diag *diag);

/** Free a plan. NULL is accepted. */
void dk_publish_plan_free(struct dk_publish_plan *plan);

/**
 * Send the planned update. A plan with nothing to change sends nothing
 * and returns 0.
 *
 * DNS UPDATE (RFC 2136) signed with @key (NULL: unsigned): prerequisite
 * "RRset exists (value dependent)" with the records read by
 * dk_publish_plan() (or "RRset does not exist" when there were none),
 * then the deletions and additions. The reply's TSIG is verified.
 *
 * PowerDNS API (@key unused): the zone is read again and its enabled
 * records at the owner compared with the plan's (a difference:
 * DK_ECONFLICT, nothing written); then one PATCH of the RRset with
 * changetype REPLACE and every record it had (disabled ones too) except
 * those removed, plus those added, at the plan's TTL.
 *
 * Exec (@key unused): the command runs with a JSON document on its
 * standard input: {"schema_version": 1, "zone", "owner", "ttl", "add":
 * [...], "remove": [...], "before": [...], "before_ttl", "server", "port"},
 * each record an object {"usage", "selector", "mtype", "data" (hex), "text"
 * (the presentation form "3 1 1 <hex>")}. Its standard output and error are
 * read; the last line goes to @diag when it fails. Exit 0: published;
 * 75 (EX_TEMPFAIL): DK_ECONFLICT (try again); another status or a
 * signal: DK_EREFUSED; time limit: DK_ETIMEDOUT.
 *
 * @return 0; DK_ECONFLICT (the RRset changed since it was read);
 * DK_EREFUSED (REFUSED, NOTAUTH, NOTZONE, bad TSIG; HTTP 401/403/404/422,
 * a wrong API key; the command failed: @diag says which);
 * DK_ECONNREFUSED, DK_ETIMEDOUT; DK_ESERVFAIL (HTTP 5xx); DK_EPROTO;
 * DK_EINVAL; DK_ENOMEM.
 */
int dk_publish_send(const struct dk_publish_plan *plan,
		    const struct dk_tsig_key *key, double timeout,
		    struct dk_diag *diag);

/* ------------------------------------------------------------------ */
/* Staged deployment (danekit hook)                                    */
/*
 * The service reads its chain and key from a deploy location that only
 * danekit writes; the ACME client keeps its own store. When the client
 * hands over a renewed pair, dk_hook_deploy() publishes the new records
 * (when a publisher is configured) and installs the pair at once if its
 * records are secure, served by every authoritative server and aged;
 * otherwise it stages the pair in the state folder, and dk_hook_resume()
 * (from a timer) installs it once they are. After an installation, resume
 * retires the old key's records once the new chain has been live for
 * twice the TTL. The guard never depends on the client honouring an exit
 * status: the client's own files are never what the service reads.
 *
 * State folder (per service, mode 0700): "staged.pem" (the staged pair
 * and what is known about it; mode 0600), "deployed" (the last
 * installation and the records still to retire), "rollover.state" (first
 * sight of each record, see dk_rollover_check()) and "lock" (runs of the
 * same service are serialised).
 */

/**
 * The settings of one service. Fill with dk_hook_conf_read() and
 * dk_hook_conf_set(), then call dk_hook_conf_finish(). Strings are owned
 * by the struct; free with dk_hook_conf_free(). Read-only for the caller.
 */
struct dk_hook_conf {
	char *path; /* the config file, or NULL */
	char *name; /* the service: the config file's name without .conf */
	/* TLSA owner names to keep covered ("tlsa-name", repeatable). */
	char **tlsa_names;
	size_t ntlsa_names;
	/* "dane-ta = yes": also a 2 1 1 record of the issuing CA. */
	int dane_ta;
	/* Other certificates of the same service, which must stay covered
	 * too (the RSA one next to the ECDSA one): "cert", repeatable. */
	char **certs;
	size_t ncerts;
	/* Keys prepared in advance whose records are published ahead
	 * ("next-key", repeatable), and private keys to try when the
	 * client hands over no key file (its CSR mode). */
	char **next_keys;
	size_t nnext_keys;
	/* The deploy location: at least one of the key files and one of
	 * the certificate files (or deploy_combined). */
	char *deploy_fullchain; /* leaf + intermediates */
	char *deploy_cert;	/* leaf only */
	char *deploy_chain;	/* intermediates only */
	char *deploy_key;	/* private key (PKCS#8 PEM) */
	char *deploy_combined;	/* key, then leaf + intermediates */
	long owner_uid;		/* -1: unchanged ("owner = USER[:GROUP]") */
	long group_gid;		/* -1: unchanged */
	unsigned key_mode;	/* default 0600 ("key-mode") */
	unsigned cert_mode;	/* default 0644 ("cert-mode") */
	char *reload;		/* /bin/sh -c command, or NULL */
	char *state_dir;	/* default: see dk_hook_conf_finish() */
	char *state_file; /* rollover state; default STATE_DIR/rollover.state */
	unsigned auth_port; /* 0: 53 */
	int no_auth_check;
	long min_age; /* < 0: twice the TTL */
	/* The publisher ("publish-via": rfc2136, the default, pdns-api or
	 * exec). rfc2136: DNS UPDATE signed with this TSIG key file (no
	 * tsig-key: no publisher, the records are listed to publish by
	 * hand). */
	enum dk_publish_via publish_via;
	char *tsig_key;
	char *api_url;	    /* pdns-api: "api-url" */
	char *api_key_file; /* pdns-api: "api-key-file" */
	char *publish_exec; /* exec: "publish-exec", run by /bin/sh -c */
	char *server;	    /* "ADDR[@PORT]"; NULL: the SOA MNAME */
	char *zone;	    /* NULL: found by SOA lookups */
	uint32_t ttl; /* TTL of published records; 0: the RRset's, else 3600 */
	/* Address of the service (the port is the TLSA name's): before the
	 * old records go, the service there must present the new key. */
	char *live_address;
	/* For the front end: the resolver of this service. */
	char *unbound_conf;
	char *anchor;
	char *resolver;
};

/** A new, empty configuration (defaults set). @return 0, DK_EINVAL,
 * DK_ENOMEM. */
int dk_hook_conf_new(struct dk_hook_conf **ret_conf);

/**
 * Add the settings of the file @path ("key = value" lines, '#' comments)
 * to @conf. Keys: tlsa-name, dane-ta, cert, next-key, deploy-fullchain,
 * deploy-cert, deploy-chain, deploy-key, deploy-combined, owner, key-mode,
 * cert-mode, reload, state-dir, state, auth-port, no-auth-check, min-age,
 * publish-via, tsig-key, api-url, api-key-file, publish-exec, server,
 * zone, ttl, live-address, unbound-conf, anchor, resolver. Relative paths are
 * taken from the config file's folder.
 * @return 0; DK_EINVAL; DK_ENOENT, DK_EACCES, DK_EISDIR, DK_EIO (the file);
 * DK_EDATA (a bad line: @diag names the line); DK_ENOMEM.
 */
int dk_hook_conf_read(struct dk_hook_conf *conf, const char *path,
		      struct dk_diag *diag);

/**
 * One setting, as in the file (@value as written). Repeatable keys add;
 * the others replace. A tlsa-name must pass dk_tlsa_check_owner()
 * (_PORT._PROTO.HOST). @return 0; DK_EINVAL (unknown key or bad value:
 * @diag); DK_ENOMEM.
 */
int dk_hook_conf_set(struct dk_hook_conf *conf, const char *key,
		     const char *value, struct dk_diag *diag);

/**
 * Check that @conf is complete (a TLSA name; a deploy location with a key
 * and a certificate) and consistent (no-auth-check and auth-port exclude
 * each other; publish-via pdns-api needs api-url and api-key-file, exec
 * needs publish-exec, and the keys of one publisher are refused with
 * another) and fill the defaults: the state folder is
 * /var/lib/danekit/NAME for root, else $XDG_STATE_HOME/danekit/NAME or
 * ~/.local/state/danekit/NAME. @return 0; DK_EINVAL (+ @diag); DK_ENOMEM.
 */
int dk_hook_conf_finish(struct dk_hook_conf *conf, struct dk_diag *diag);

/** Free a configuration. NULL is accepted. */
void dk_hook_conf_free(struct dk_hook_conf *conf);

/* What a hook run did. */
enum dk_hook_action {
	DK_HOOK_NOTHING = 0,  /* nothing to do */
	DK_HOOK_DEPLOYED = 1, /* installed (and reloaded) */
	DK_HOOK_ALREADY = 2,  /* that certificate is deployed already */
	DK_HOOK_STAGED = 3,   /* staged: its records are not safe yet */
	DK_HOOK_FAILED = 4,   /* not installed; a person must act (why) */
};

/** "nothing", "deployed", "already-deployed", "staged", "failed". */
const char *dk_hook_action_name(enum dk_hook_action action);

/** The outcome of dk_hook_deploy() or dk_hook_resume(). Read-only; free
 * with dk_hook_result_free(). Record lists are zone-file lines. */
struct dk_hook_result {
	enum dk_hook_action action;
	char *why;	    /* one line: what was done, or what it waits for */
	char *fingerprint;  /* SHA-256 of the new (or staged) leaf, hex */
	time_t staged_at;   /* when the staged pair was first staged; 0 */
	time_t deploy_from; /* earliest expected installation; 0 unknown */
	/* The status of the TLSA RRset that decided (worst of all names):
	 * secure unless the records are insecure or bogus. */
	enum dk_dnssec_status dnssec;
	int tempfail; /* a lookup or a server could not be reached */
	int reloaded; /* the reload command ran and succeeded */
	/* The rollover checks that decided, one per TLSA name and
	 * certificate. */
	struct dk_rollover_report **reports;
	size_t nreports;
	char **published; /* records added now */
	size_t npublished;
	char **pending; /* records still to publish (no publisher, or it
			 * could not be reached) */
	size_t npending;
	char **retired; /* old records removed now */
	size_t nretired;
	char **to_retire; /* old records to remove by hand now */
	size_t nto_retire;
	time_t retire_from; /* when the old records may go; 0 none left */
	char **notes;	    /* other things worth saying, one line each */
	size_t nnotes;
};

/** Free a result. NULL is accepted. */
void dk_hook_result_free(struct dk_hook_result *result);

/**
 * An ACME client renewed: take the pair that @hook names (the chain from
 * its files; the private key from its key file, else from the
 * configured next keys), publish its records when a publisher is set,
 * and install it when its records are safe on every TLSA name for every
 * certificate; otherwise stage it (a newer pair replaces a staged one
 * whole). Calling it again for the same certificate does nothing twice.
 * Keys the client prepared for its next renewal (@hook->next_key) and the
 * configured next keys get their records published ahead.
 * @return 0 and *@ret_result (even when nothing was installed: see its
 * action); DK_EINVAL; DK_ENOENT, DK_EACCES (a file of the client: @diag);
 * DK_EDATA (no certificate, or no private key that matches it: @diag);
 * DK_EIO (the state folder: @diag); DK_ETIMEDOUT (another run holds the
 * lock for too long); DK_ENOMEM.
 */
int dk_hook_deploy(struct dk_resolver *resolver,
		   const struct dk_hook_conf *conf,
		   const struct dk_acme_hook *hook,
		   struct dk_hook_result **ret_result, struct dk_diag *diag);

/**
 * From a timer: install the staged pair when its records have become
 * safe (publishing what is still pending first), retry a failed reload,
 * and remove (or list in to_retire) the old key's records once the new
 * chain has been live for twice the TTL. Same returns as dk_hook_deploy().
 */
int dk_hook_resume(struct dk_resolver *resolver,
		   const struct dk_hook_conf *conf,
		   struct dk_hook_result **ret_result, struct dk_diag *diag);

#if defined(__GNUC__)
#pragma GCC visibility pop
#endif

#ifdef __cplusplus
}
#endif

#endif
