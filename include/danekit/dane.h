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
	/* DANE authenticated: every host with usable secure TLSA records
	 * verified on every address that could be reached. */
	DK_DANE_VALID = 0,
	/* DANE does not apply: insecure (unsigned) data, or no usable TLSA
	 * records anywhere (RFC 7672 section 2.2). */
	DK_DANE_NOT_APPLICABLE = 1,
	/* A check failed: no record matched, bogus DNSSEC, no STARTTLS or a
	 * failed handshake where TLSA records are published. A sending MTA
	 * would defer the mail (RFC 7672 section 2.1.1). */
	DK_DANE_FAILED = 2,
	/* Could not finish: resolver time-out or SERVFAIL, no address of
	 * any host with TLSA records reachable. Try again later. */
	DK_DANE_INCOMPLETE = 3,
};

/** "valid", "not-applicable", "failed" or "incomplete". Static storage. */
const char *dk_dane_verdict_name(enum dk_dane_verdict verdict);

/* The service profile of a check. */
enum dk_dane_service {
	DK_DANE_SERVICE_SMTP = 0, /* RFC 7672: usages 2 and 3 only */
	DK_DANE_SERVICE_TLS = 1, /* RFC 6698/7671: usages 0 to 3 */
};

/* The exchange before the TLS handshake. */
enum dk_starttls {
	DK_STARTTLS_NONE = 0, /* direct TLS */
	DK_STARTTLS_SMTP = 1, /* RFC 3207: EHLO, STARTTLS */
	DK_STARTTLS_IMAP = 2, /* RFC 3501 section 6.2.1: STARTTLS */
	DK_STARTTLS_POP3 = 3, /* RFC 2595 section 4: STLS */
	DK_STARTTLS_XMPP = 4, /* RFC 6120 section 5: <starttls/> */
	DK_STARTTLS_FTP = 5, /* RFC 4217 section 4: AUTH TLS */
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
	char *issuer; /* RFC 2253 form */
	char **sans; /* DNS names and IP addresses of subjectAltName */
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
	DK_ADDR_VERIFIED = 0, /* DANE authenticated */
	DK_ADDR_TLS_ONLY = 1, /* TLS up; DANE does not apply to the host */
	DK_ADDR_MISMATCH = 2, /* handshake done; verification failed */
	DK_ADDR_NO_STARTTLS = 3, /* the server does not offer STARTTLS */
	DK_ADDR_TLS_FAILED = 4, /* the handshake failed */
	DK_ADDR_PROTO_ERROR = 5, /* the dialogue before TLS went wrong */
	DK_ADDR_UNREACHABLE = 6, /* TCP connection refused or unreachable */
	DK_ADDR_TIMEOUT = 7, /* no progress within the time-out */
	DK_ADDR_SKIPPED = 8, /* not tried: the host is unusable */
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
	int family; /* AF_INET or AF_INET6 */
	unsigned port; /* the TCP port connected to */
	enum dk_dane_addr_status status;
	char *why; /* the precise reason of a failure, or NULL */
	char *banner; /* first line of the server greeting, or NULL */
	char *tls_version; /* "TLSv1.3", or NULL without a handshake */
	char *cipher; /* "TLS_AES_256_GCM_SHA384", or NULL */
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
	char *name; /* absolute, as in the MX record or as asked */
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
	char *domain; /* the mail domain, or the host of a TLS check */
	unsigned port; /* service port of the TLSA owner name */
	unsigned connect_port; /* port actually connected to */
	enum dk_starttls starttls;
	time_t at; /* moment of the certificate checks */
	/* SMTP: the MX lookup. */
	enum dk_dnssec_status mx_status;
	char *mx_why;
	int mx_error; /* DK_E* of a failed MX lookup, else 0 */
	int null_mx; /* RFC 7505 "MX 0 ." */
	int implicit_mx; /* no MX: the domain itself (RFC 5321 section 5.1) */
	int nxdomain; /* the domain does not exist */
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
 * gives the chain, leaf first. Nothing is verified: the chain is what the
 * network delivered, so compare its digest out of band before publishing
 * records made from it. @opts may be NULL.
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

#if defined(__GNUC__)
#pragma GCC visibility pop
#endif

#ifdef __cplusplus
}
#endif

#endif
