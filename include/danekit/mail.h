/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * danekit mail module: the mail-DNS audit of one domain (the contract is
 * AUDIT.md): MX, SPF, DKIM, DMARC, BIMI (its record and the files it
 * names), reverse DNS of the sending addresses, MTA-STS (its record and
 * policy), TLS-RPT, DANE, and the SMTP transport and certificates of the
 * MX hosts. Every name is looked up through a struct dk_resolver
 * (validated locally, concurrently with libunbound's asynchronous
 * interface), including the names the audit connects to; the MX hosts
 * are probed by the engine of dk_dane_check_smtp(), the HTTPS files are
 * fetched with libcurl (no redirect ever followed). Every problem is a
 * finding with a stable code, a severity, a subject, a message, spec
 * references and typed evidence.
 *
 * Threads: one audit uses its resolver from the calling thread only; a
 * report is read-only and may be read from any thread.
 */
#ifndef DANEKIT_MAIL_H
#define DANEKIT_MAIL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <danekit/common.h>
#include <danekit/dnssec.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#pragma GCC visibility push(default)
#endif

/** How bad a finding is (AUDIT.md "severity"), least to worst. */
enum dk_mail_severity {
	DK_MAIL_INFO = 0,     /* a fact, no action needed */
	DK_MAIL_WARNING = 1,  /* valid but weak, fragile or read differently */
	DK_MAIL_ERROR = 2,    /* a MUST is broken, or it does not work */
	DK_MAIL_CRITICAL = 3, /* mail is lost, deferred or spoofable now */
};

/** "info", "warning", "error", "critical"; "?" if unknown. Static. */
const char *dk_mail_severity_name(enum dk_mail_severity severity);

/**
 * The areas of the audit, outbound first, in the order of the usual
 * checklists.
 */
enum dk_mail_area {
	DK_MAIL_AREA_SPF = 0,
	DK_MAIL_AREA_DKIM = 1,
	DK_MAIL_AREA_DMARC = 2,
	DK_MAIL_AREA_BIMI = 3,
	DK_MAIL_AREA_PTR = 4, /* reverse DNS of the sending addresses */
	DK_MAIL_AREA_MX = 5,
	DK_MAIL_AREA_MTA_STS = 6,
	DK_MAIL_AREA_TLSRPT = 7,
	DK_MAIL_AREA_DANE = 8,
	DK_MAIL_AREA_SMTP = 9, /* SMTP transport and MX certificates */
	DK_MAIL_AREA_COUNT = 10,
};

/**
 * "spf", "dkim", "dmarc", "bimi", "ptr", "mx", "mta_sts", "tlsrpt",
 * "dane", "smtp"; "?" if unknown. Static storage.
 */
const char *dk_mail_area_name(enum dk_mail_area area);

/** "outbound" or "inbound"; "?" if unknown. Static storage. */
const char *dk_mail_area_direction(enum dk_mail_area area);

/** Options of dk_mail_audit(); zero-initialise, then set fields. */
struct dk_mail_opts {
	/* DKIM selectors in use (AUDIT.md --dkim-selector); may be NULL. */
	const char *const *dkim_selectors;
	size_t ndkim_selectors;
	/* BIMI selector; NULL means "default". */
	const char *bimi_selector;
	/* Outbound addresses (IPv4 or IPv6 text), for reverse DNS and the
	 * SPF check of each; may be NULL. */
	const char *const *sending_ips;
	size_t nsending_ips;
	/* HELO/EHLO names whose own SPF record is checked; may be NULL. */
	const char *const *helo_names;
	size_t nhelo_names;
	/* The audit's "now" (--at); 0: the real time. Every date the audit
	 * judges itself is judged at this moment: validity and expiry of
	 * the MX certificates, their PKIX validation included. DNSSEC
	 * signature windows (the resolver's) and the HTTPS client's own
	 * certificate check use the real time. */
	time_t at;
	/* DNS only (--no-connect): no SMTP connection, no HTTPS fetch. The
	 * hosts that would have been probed get smtp.not_tested. */
	int no_connect;
	/* PEM bundle that replaces the system trust store for all PKIX
	 * validation (--https-ca): the HTTPS fetches (MTA-STS policy, BIMI
	 * files) and the MX certificates; NULL: the system store. */
	const char *https_ca;
	/* SMTP connections go to this port instead of 25 (--connect-port;
	 * 0: 25). The TLSA records are still those of _25._tcp.HOST. */
	unsigned connect_port;
	/* HTTPS connections to port 443 go to this port instead
	 * (--https-port; 0: 443). The URL, its host name (looked up through
	 * the resolver), the SNI name and the name the certificate is
	 * checked against stay those of the URL. */
	unsigned https_port;
	/* Networks ("127.53.0.0/16", "fd53::/16", or one address) whose
	 * addresses count as public for mx.non_public_address
	 * (--allow-private): a test lab, or an audit from inside a private
	 * network. Each address accepted this way is reported
	 * (mx.private_allowed, info). May be NULL. */
	const char *const *allow_private;
	size_t nallow_private;
};

/*
 * Evidence and records are typed values, the shapes of JSON: null,
 * boolean, integer, string, array and object (keys in insertion order).
 * They are borrowed from the report and read with the getters below.
 */
enum dk_mail_value_type {
	DK_MAIL_VALUE_NULL = 0,
	DK_MAIL_VALUE_BOOL = 1,
	DK_MAIL_VALUE_INT = 2,
	DK_MAIL_VALUE_STRING = 3,
	DK_MAIL_VALUE_ARRAY = 4,
	DK_MAIL_VALUE_OBJECT = 5,
};

/** A typed value. Opaque. */
struct dk_mail_value;

/** The type of @v; DK_MAIL_VALUE_NULL for NULL. */
enum dk_mail_value_type dk_mail_value_type(const struct dk_mail_value *v);

/** The number (BOOL: 0 or 1; INT: its value); 0 for other types. */
int64_t dk_mail_value_int(const struct dk_mail_value *v);

/** The string of a STRING value (NUL-terminated, UTF-8 or ASCII), else
 * NULL. Borrowed. */
const char *dk_mail_value_string(const struct dk_mail_value *v);

/** Number of elements of an ARRAY or members of an OBJECT; else 0. */
size_t dk_mail_value_count(const struct dk_mail_value *v);

/** Element @i of an ARRAY, or the value of member @i of an OBJECT;
 * NULL when out of range. Borrowed. */
const struct dk_mail_value *dk_mail_value_item(const struct dk_mail_value *v,
					       size_t i);

/** The key of member @i of an OBJECT; NULL otherwise. Borrowed. */
const char *dk_mail_value_key(const struct dk_mail_value *v, size_t i);

/** The member @key of an OBJECT (the first one), or NULL. Borrowed. */
const struct dk_mail_value *dk_mail_value_get(const struct dk_mail_value *v,
					      const char *key);

/**
 * One finding. Read-only, borrowed from the report; read the report's
 * findings with dk_mail_report_finding(). Fields may be appended in later
 * versions, never removed or reordered.
 */
struct dk_mail_finding {
	/* Stable code, "spf.lookup_limit" (AUDIT.md). Static storage. */
	const char *code;
	enum dk_mail_severity severity;
	enum dk_mail_area area;
	/* The name, host or address it is about, without a trailing dot. */
	const char *subject;
	/* One line, no trailing newline. */
	const char *message;
	/* Spec references, "RFC 7208 section 4.6.4". Static storage. */
	const char *const *refs;
	size_t nrefs;
	/* An OBJECT: the evidence attributes of AUDIT.md, and "dnssec"
	 * (secure, insecure, bogus, indeterminate) for the lookup it rests
	 * on when there is one. */
	const struct dk_mail_value *evidence;
};

/** The result of an audit. Opaque; free with dk_mail_report_free(). */
struct dk_mail_report;

/**
 * Audit the mail DNS of @domain (A-label form; the trailing dot may be
 * given) through @resolver. Lookups run concurrently, a round of them at
 * a time; each is bounded by the resolver's time-out. A lookup that fails
 * (time-out, SERVFAIL without a validation reason) is the temperror of
 * its mechanism, a finding; when the lookups of the domain itself (its
 * MX, TXT or _dmarc TXT RRset) fail, the report is not complete
 * (dk_mail_report_complete()). The audit waits for its rounds with
 * dk_resolver_wait(), so asynchronous lookups the caller has in flight on
 * @resolver finish (their callbacks run) during it. Unless
 * @opts->no_connect, once the lookups are done the audit connects: the
 * HTTPS fetches (MTA-STS policy, BIMI files) and the SMTP probes of every
 * address of every MX host, one after the other, each bounded by the
 * resolver's time-out; a failing connection is a finding. @opts may be
 * NULL.
 * @return 0 and *@ret_report (free with dk_mail_report_free()), whatever
 * the findings; DK_EINVAL (NULL argument, a bad domain name, selector,
 * HELO name, address or network: @diag says which); DK_ENOMEM. A
 * connection that cannot be made (libcurl or OpenSSL not usable included)
 * is a finding of its area, not an error.
 */
int dk_mail_audit(struct dk_resolver *resolver, const char *domain,
		  const struct dk_mail_opts *opts,
		  struct dk_mail_report **ret_report, struct dk_diag *diag);

/** Free a report. NULL is accepted. */
void dk_mail_report_free(struct dk_mail_report *report);

/** The domain audited, lower case, with a trailing dot. Borrowed. */
const char *dk_mail_report_domain(const struct dk_mail_report *report);

/** The audit's "now" (opts->at, else the time the audit started). */
time_t dk_mail_report_at(const struct dk_mail_report *report);

/**
 * 1 when the audit finished; 0 when it could not (a lookup of the domain
 * itself failed): then dk_mail_report_why() says which. 0 for NULL.
 */
int dk_mail_report_complete(const struct dk_mail_report *report);

/** Why the audit could not finish, or NULL. Borrowed. */
const char *dk_mail_report_why(const struct dk_mail_report *report);

/** Number of findings; 0 for NULL. */
size_t dk_mail_report_finding_count(const struct dk_mail_report *report);

/** Finding @i (in area order), borrowed; NULL when out of range. */
const struct dk_mail_finding *
dk_mail_report_finding(const struct dk_mail_report *report, size_t i);

/** The worst severity of any finding; -1 when there is none. */
int dk_mail_report_worst(const struct dk_mail_report *report);

/** 1 when @area was checked by this audit, else 0. */
int dk_mail_report_area_checked(const struct dk_mail_report *report,
				enum dk_mail_area area);

/** The worst severity among @area's findings; -1 when it has none. */
int dk_mail_report_area_worst(const struct dk_mail_report *report,
			      enum dk_mail_area area);

/**
 * The finding of @area to fix first (its worst, the first of those), by
 * index in the report; -1 when it has no warning or worse.
 */
long dk_mail_report_area_first(const struct dk_mail_report *report,
			       enum dk_mail_area area);

/**
 * The records read, by area: an OBJECT with members "mx", "spf",
 * "dmarc", "dkim", "bimi", "ptr", "mta_sts", "tlsrpt" and "smtp", each
 * holding the names asked, the records found (raw, even when invalid),
 * their DNSSEC status and, for SPF, the whole include tree with its
 * counts; for MTA-STS and BIMI the HTTPS fetches (status, media type,
 * size, the policy text); for "smtp" each MX host with its TLSA RRset
 * and, per address, what the probe saw (STARTTLS, TLS version,
 * certificate chain, DANE and PKIX results). Borrowed.
 */
const struct dk_mail_value *
dk_mail_report_records(const struct dk_mail_report *report);

/** Distinct DNS lookups the audit made. */
size_t dk_mail_report_queries(const struct dk_mail_report *report);

/** Rounds of concurrent lookups (round trips, one level each). */
unsigned dk_mail_report_rounds(const struct dk_mail_report *report);

#if defined(__GNUC__)
#pragma GCC visibility pop
#endif

#ifdef __cplusplus
}
#endif

#endif
