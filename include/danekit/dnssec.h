/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * danekit dnssec module: validated DNS lookups through libunbound
 * (synchronous and asynchronous) and the DNSSEC security status of each
 * answer. Validation is always done locally by libunbound.
 *
 * Threads: a struct dk_resolver is used by one thread at a time.
 */
#ifndef DANEKIT_DNSSEC_H
#define DANEKIT_DNSSEC_H

#include <stdint.h>
#include <time.h>

#include <danekit/common.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#pragma GCC visibility push(default)
#endif

/*
 * Security status of an answer, ordered from worst to best (like
 * unbound's sec_status). Only DK_DNSSEC_SECURE data may be used for DANE
 * (RFC 7672 section 2.1); bogus data must not be used at all.
 */
enum dk_dnssec_status {
	DK_DNSSEC_INDETERMINATE = 0, /* not checked or could not tell */
	DK_DNSSEC_BOGUS = 1,	     /* validation failed */
	DK_DNSSEC_INSECURE = 2,	     /* provably unsigned */
	DK_DNSSEC_SECURE = 3,	     /* validated from a trust anchor */
};

/** "secure", "insecure", "bogus" or "indeterminate". Static storage. */
const char *dk_dnssec_status_name(enum dk_dnssec_status status);

/* Files tried in order when no anchor or unbound.conf is given. */
#define DK_ROOT_ANCHOR_UNBOUND "/var/lib/unbound/root.key"
#define DK_ROOT_ANCHOR_DNS_ROOT_DATA "/usr/share/dns/root.key"

/** Options of dk_resolver_new(); zero-initialise, then set fields. */
struct dk_resolver_opts {
	/*
	 * Trust anchor file (DS/DNSKEY lines or an RFC 5011 state file). When
	 * NULL and @unbound_conf is NULL too, the system root anchor is used
	 * (DK_ROOT_ANCHOR_UNBOUND, else DK_ROOT_ANCHOR_DNS_ROOT_DATA). When
	 * NULL and @unbound_conf is set, the anchors of that file are used
	 * (it must have one).
	 */
	const char *anchor_file;
	/* An unbound.conf read with ub_ctx_config(), or NULL. */
	const char *unbound_conf;
	/*
	 * "ADDR" or "ADDR@PORT": forward all queries there, or NULL. ADDR is
	 * a numeric IPv4 or IPv6 address, PORT 1-65535 (default 53).
	 */
	const char *forwarder;
	/* Limit for each lookup in seconds; <= 0 means 10. */
	double timeout;
	/* Validation time (val-override-date); 0 means the real time. */
	time_t now;
	/*
	 * 1: skip the self-test of dk_resolver_new(). Only for callers that
	 * run dk_resolver_selftest() themselves, or that study a broken
	 * set-up on purpose (danekit doctor does): without the self-test, a
	 * set-up that cannot validate gives "insecure" answers instead of
	 * an error, and DANE would be off in silence.
	 */
	int no_selftest;
};

struct dk_tlsa;	 /* danekit/tlsa.h */
struct dk_chain; /* below */

/** A validating resolver context (a libunbound ub_ctx). Opaque. */
struct dk_resolver;

/**
 * Make a resolver. DANE must fail closed, so a set-up that cannot
 * validate is an error here, never a stream of "insecure" answers:
 *
 * 1. Every file handed to libunbound is checked before libunbound reads
 *    it (libunbound would exit, block or spin on some): the anchor file,
 *    the unbound.conf and the files it names (include:,
 *    include-toplevel:, trust-anchor-file:, auto-trust-anchor-file:,
 *    trusted-keys-file:, root-hints:, an existing zonefile:). Each must
 *    be a regular, readable file; an anchor file must parse and hold DS
 *    or DNSKEY records, and so must each trust-anchor: line.
 * 2. A trust anchor must be configured: @opts->anchor_file, one in the
 *    unbound.conf, or (with neither option) the system root anchor.
 *    libunbound must validate (module-config has "validator") and must
 *    not pass bogus answers on (val-permissive-mode: no).
 * 3. The self-test (unless @opts->no_selftest): the DNSKEY RRset of each
 *    anchor's zone must validate as secure, as dk_resolver_selftest()
 *    says. It costs one lookup per anchor zone (in parallel), whose
 *    answer stays in the cache for the lookups that follow.
 *
 * Never exits, never blocks beyond @opts->timeout, whatever the files
 * are (folders, FIFOs, devices, binary or huge files are refused).
 *
 * On success *@ret_resolver is freed with dk_resolver_free(). @return 0;
 * DK_EINVAL (NULL argument, or a forwarder that is not ADDR[@PORT] as
 * above: @diag says why); DK_ENOANCHOR (no trust anchor configured or
 * found); DK_ENOENT, DK_EACCES (a file is missing or unreadable);
 * DK_EISDIR (a folder); DK_EIO (not a regular file: a FIFO, a device);
 * DK_ETOOBIG (a file over the size limit: 1 MiB for an anchor, 4 MiB
 * for an unbound.conf); DK_EDATA (an anchor that does not parse or holds
 * no DS/DNSKEY record, a configuration libunbound refuses); DK_EUNFIT
 * (the set-up cannot validate: no validator, val-permissive-mode, or the
 * self-test found an anchor zone bogus, insecure or without DNSKEY; @diag
 * has libunbound's reason); DK_ETIMEDOUT, DK_ESERVFAIL, DK_ERESOLVER (the
 * self-test could not finish: resolver or name servers unreachable);
 * DK_ENOMEM. @diag says what went wrong.
 */
int dk_resolver_new(const struct dk_resolver_opts *opts,
		    struct dk_resolver **ret_resolver, struct dk_diag *diag);

/**
 * The self-test dk_resolver_new() runs: look up the DNSKEY RRset of
 * every trust anchor's zone (all at once, each limited by the
 * time-out) and require each to be secure, with keys. Only this test's
 * lookups are waited for; other lookups in flight stay in flight.
 * @return 0; DK_EUNFIT (a zone's DNSKEY RRset is bogus, insecure or
 * missing: @diag gives the zone, where its anchor comes from and
 * libunbound's reason); DK_ETIMEDOUT, DK_ESERVFAIL, DK_ERESOLVER (could
 * not finish); DK_EINVAL (NULL); DK_ENOMEM. When zones fail in several
 * ways, DK_EUNFIT wins.
 */
int dk_resolver_selftest(struct dk_resolver *resolver, struct dk_diag *diag);

/** Free a resolver, cancelling what is in flight. NULL is accepted. */
void dk_resolver_free(struct dk_resolver *resolver);

/**
 * The libunbound context, borrowed, for callers that need more than this
 * API offers. Do not free it.
 */
struct ub_ctx *dk_resolver_get0_ub(struct dk_resolver *resolver);

/** The time-out of each lookup, seconds. */
double dk_resolver_timeout(const struct dk_resolver *resolver);

/** One validated answer. Opaque. */
struct dk_answer;

/** Free an answer. NULL is accepted. */
void dk_answer_free(struct dk_answer *answer);

/** The query name (absolute, as asked) and type. Borrowed. */
const char *dk_answer_qname(const struct dk_answer *answer);
uint16_t dk_answer_qtype(const struct dk_answer *answer);

/** DNS rcode (DK_RCODE_NOERROR, DK_RCODE_NXDOMAIN, ...). */
int dk_answer_rcode(const struct dk_answer *answer);

/** Security status of the answer (for NXDOMAIN/NODATA: of the denial). */
enum dk_dnssec_status dk_answer_status(const struct dk_answer *answer);

/**
 * libunbound's reason for a bogus answer ("signature expired ...") or
 * NULL. Borrowed.
 */
const char *dk_answer_why(const struct dk_answer *answer);

/**
 * The records of the RRset of the asked type at the final name (after
 * CNAMEs), without RRSIGs: how many, and record @i in presentation
 * format ("owner TTL IN TYPE RDATA", malloc()ed, the caller frees; NULL
 * when @i is out of range or out of memory).
 */
size_t dk_answer_count(const struct dk_answer *answer);
char *dk_answer_record_text(const struct dk_answer *answer, size_t i);

/**
 * Record @i's RDATA in wire format: *@ret_rdata (malloc()ed, the caller
 * frees) and *@ret_len. @return 0, DK_EINVAL (out of range), DK_ENOMEM.
 */
int dk_answer_record_rdata(const struct dk_answer *answer, size_t i,
			   uint8_t **ret_rdata, size_t *ret_len);

/**
 * The CNAME records followed on the way to the final name, in order: how
 * many, and record @i in presentation format (malloc()ed, or NULL).
 */
size_t dk_answer_cname_count(const struct dk_answer *answer);
char *dk_answer_cname_text(const struct dk_answer *answer, size_t i);

/** The canonical name after following CNAMEs, or the qname. Borrowed. */
const char *dk_answer_canonname(const struct dk_answer *answer);

/** TTL of the RRset (the least of its RRs), 0 when there is none. */
uint32_t dk_answer_ttl(const struct dk_answer *answer);

/** 1 for NXDOMAIN, else 0. */
int dk_answer_nxdomain(const struct dk_answer *answer);

/**
 * Look @name up synchronously, waiting at most the resolver's time-out.
 * A bogus or insecure answer is not an error: it is an answer with that
 * status. @return 0 and *@ret_answer (free with dk_answer_free());
 * DK_EINVAL (NULL argument, bad name: @diag says why); DK_ETIMEDOUT;
 * DK_ESERVFAIL (SERVFAIL with no validation reason: the name servers
 * failed); DK_ERESOLVER (libunbound error: @diag says which); DK_ENOMEM.
 */
int dk_lookup(struct dk_resolver *resolver, const char *name, uint16_t type,
	      struct dk_answer **ret_answer, struct dk_diag *diag);

/**
 * Callback of dk_lookup_async(): @err as dk_lookup() returns; @answer is
 * owned by the callback (free it with dk_answer_free()) and NULL when @err
 * is not 0.
 */
typedef void (*dk_lookup_cb)(void *arg, int err, struct dk_answer *answer);

/**
 * Start an asynchronous lookup; @cb runs from dk_resolver_process() or
 * dk_resolver_wait() in the calling thread. Each lookup is limited by the
 * resolver's time-out (then @cb gets DK_ETIMEDOUT).
 * @return 0 or DK_EINVAL / DK_ERESOLVER / DK_ENOMEM (then @cb never runs).
 */
int dk_lookup_async(struct dk_resolver *resolver, const char *name,
		    uint16_t type, dk_lookup_cb cb, void *arg);

/** Number of asynchronous lookups still in flight. */
size_t dk_resolver_pending(const struct dk_resolver *resolver);

/**
 * A file descriptor that becomes readable when answers are ready, for
 * poll()/select() (ub_fd()). @return the fd or DK_ERESOLVER.
 */
int dk_resolver_fd(struct dk_resolver *resolver);

/**
 * Deliver the answers that are ready and expire lookups past their
 * time-out, without blocking. @return the number of callbacks run, or a
 * negative DK_E* code.
 */
int dk_resolver_process(struct dk_resolver *resolver);

/**
 * Block until every lookup in flight has finished or timed out, running
 * callbacks. @return 0 or a negative DK_E* code.
 */
int dk_resolver_wait(struct dk_resolver *resolver);

struct event_base; /* libevent 2 */

/**
 * Make a resolver whose lookups run on the libevent loop @base, through
 * libunbound's event interface (ub_ctx_create_event(),
 * ub_resolve_event()): no thread, no pipe; @base must come from the
 * libevent that libunbound was built with (Debian: libevent 2.1). @base
 * NULL: the resolver makes a loop of its own (see
 * dk_resolver_get0_event_base()), freed with the resolver. The set-up
 * checks and the self-test are those of dk_resolver_new(); the self-test
 * runs the loop until its answers are in, so make the resolver before
 * the loop runs.
 *
 * With such a resolver, dk_lookup_async() callbacks run from the loop,
 * never from within dk_lookup_async(); each lookup is limited by the
 * time-out (a timer on the loop). dk_lookup() answers at once when
 * libunbound has the answer in its cache; otherwise it runs the loop
 * until the answer comes, which it refuses (DK_EINVAL) when called from
 * within the running loop. dk_resolver_process() runs the loop once
 * without blocking; dk_resolver_wait() runs it until nothing is in
 * flight (DK_EINVAL from within the loop); dk_resolver_fd() gives
 * DK_EINVAL. Free the resolver outside the loop's callbacks, before a
 * @base of the caller's.
 *
 * @return as dk_resolver_new(); DK_ERESOLVER also when the loop cannot
 * be made.
 */
int dk_resolver_new_event(const struct dk_resolver_opts *opts,
			  struct event_base *base,
			  struct dk_resolver **ret_resolver,
			  struct dk_diag *diag);

/**
 * Limit an event resolver to @qps lookups sent a second (a token bucket;
 * answers from libunbound's cache are not counted; 0: no limit). Lookups
 * over the limit wait on the loop; their time-out starts when they are
 * sent. 0, DK_EINVAL (NULL, not an event resolver, @qps < 0), DK_ENOMEM.
 */
int dk_resolver_set_qps(struct dk_resolver *resolver, double qps);

/** The loop of an event resolver, borrowed; NULL for other resolvers. */
struct event_base *dk_resolver_get0_event_base(struct dk_resolver *resolver);

/* Some RR types (RFC values); any type 1-65535 may be asked. */
#define DK_RR_TYPE_A 1
#define DK_RR_TYPE_NS 2
#define DK_RR_TYPE_CNAME 5
#define DK_RR_TYPE_SOA 6
#define DK_RR_TYPE_PTR 12
#define DK_RR_TYPE_MX 15
#define DK_RR_TYPE_TXT 16
#define DK_RR_TYPE_AAAA 28
#define DK_RR_TYPE_DS 43
#define DK_RR_TYPE_RRSIG 46
#define DK_RR_TYPE_NSEC 47
#define DK_RR_TYPE_DNSKEY 48
#define DK_RR_TYPE_NSEC3 50
#define DK_RR_TYPE_TLSA 52

/* DNS rcodes (RFC 1035, RFC 6895). */
#define DK_RCODE_NOERROR 0
#define DK_RCODE_FORMERR 1
#define DK_RCODE_SERVFAIL 2
#define DK_RCODE_NXDOMAIN 3
#define DK_RCODE_NOTIMP 4
#define DK_RCODE_REFUSED 5

/**
 * The mnemonic of an RR type ("TLSA"), or "TYPEnnn" (RFC 3597) when it
 * has none, into @buf of @len bytes (16 is enough). @return @buf.
 */
const char *dk_rr_type_name(uint16_t type, char *buf, size_t len);

/** The name of an rcode ("NXDOMAIN"), or NULL when unknown. Static. */
const char *dk_rcode_name(int rcode);

/** The mnemonic of a DNSSEC algorithm ("ECDSAP256SHA256"), or NULL. */
const char *dk_dnssec_algorithm_name(int algorithm);

/**
 * Parse an RR type given as a mnemonic ("TLSA", "mx") or as "TYPEnnn".
 * @return the type (1-65535) or DK_EINVAL.
 */
int dk_rr_type_parse(const char *text);

/* The TLSA RRset: the one trust gate */

/*
 * A TLSA RRset crosses from the dnssec module to the dane module as one
 * owned value, built in one place (dk_tlsa_lookup()) from libunbound's
 * answer: its records, its status, why, its TTL and its owner after
 * CNAMEs.
 *
 * The rule of trust: a TLSA RRset is secure only when libunbound's
 * validation says secure AND the chain module's own walk for that owner
 * (dk_chain_build()) confirms it. When the two disagree the RRset is not
 * secure, and its why names both views; it is never "DANE valid". Only a
 * secure RRset can give usable records (dk_dane_record_usable()).
 * Records read from one authoritative server (without validation) are
 * never an RRset with the status secure.
 */

/** A TLSA RRset with its DNSSEC status. Opaque; read with the getters. */
struct dk_tlsa_rrset;

/**
 * Look up the TLSA RRset at @owner ("_25._tcp.mail.example.com") through
 * @resolver and confirm its status with the chain module. An insecure,
 * bogus or unconfirmed RRset is not an error: see dk_tlsa_rrset_status().
 * @return 0 and *@ret_rrset (free with dk_tlsa_rrset_free()); DK_EINVAL
 * (NULL argument, bad name: @diag); DK_ETIMEDOUT, DK_ESERVFAIL,
 * DK_ERESOLVER (the lookup itself failed: @diag); DK_ENOMEM.
 */
int dk_tlsa_lookup(struct dk_resolver *resolver, const char *owner,
		   struct dk_tlsa_rrset **ret_rrset, struct dk_diag *diag);

/** Free an RRset and its records. NULL is accepted. */
void dk_tlsa_rrset_free(struct dk_tlsa_rrset *rrset);

/**
 * The status of the RRset under the rule of trust: DK_DNSSEC_SECURE only
 * when libunbound and the chain walk both say secure. When libunbound
 * says secure and the walk does not, DK_DNSSEC_BOGUS (the walk found a
 * broken or unsigned link) or DK_DNSSEC_INDETERMINATE (the walk could not
 * finish). Otherwise libunbound's status. NULL gives
 * DK_DNSSEC_INDETERMINATE.
 */
enum dk_dnssec_status dk_tlsa_rrset_status(const struct dk_tlsa_rrset *rrset);

/** libunbound's status alone, and the chain walk's alone. */
enum dk_dnssec_status
dk_tlsa_rrset_resolver_status(const struct dk_tlsa_rrset *rrset);
enum dk_dnssec_status
dk_tlsa_rrset_chain_status(const struct dk_tlsa_rrset *rrset);

/** 1 when libunbound and the chain walk disagree, else 0. */
int dk_tlsa_rrset_disagrees(const struct dk_tlsa_rrset *rrset);

/**
 * Why the RRset is not secure (libunbound's reason, the chain's
 * diagnosis, or both views when they disagree), or NULL when it is.
 * Borrowed.
 */
const char *dk_tlsa_rrset_why(const struct dk_tlsa_rrset *rrset);

/** The owner name asked (absolute). Borrowed. */
const char *dk_tlsa_rrset_owner(const struct dk_tlsa_rrset *rrset);

/** The name holding the records after CNAMEs (absolute; the owner when
 * it is no alias). Borrowed. */
const char *dk_tlsa_rrset_target(const struct dk_tlsa_rrset *rrset);

/** The TTL of the RRset as the zone serves it (the RRSIG's original TTL
 * when signed), 0 when there are no records. */
uint32_t dk_tlsa_rrset_ttl(const struct dk_tlsa_rrset *rrset);

/** 1 when the owner name does not exist (NXDOMAIN), else 0. */
int dk_tlsa_rrset_nxdomain(const struct dk_tlsa_rrset *rrset);

/** Number of records (all of them, usable or not); 0 for NULL. */
size_t dk_tlsa_rrset_count(const struct dk_tlsa_rrset *rrset);

/** Record @i, borrowed; NULL when out of range. */
const struct dk_tlsa *dk_tlsa_rrset_get0(const struct dk_tlsa_rrset *rrset,
					 size_t i);

/** The chain walk behind the status, borrowed (freed with the RRset). */
const struct dk_chain *
dk_tlsa_rrset_get0_chain(const struct dk_tlsa_rrset *rrset);

/**
 * Whether this build of libunbound validates DNSSEC algorithm
 * @algorithm (RFC 8624 numbers), found by validating a small zone
 * signed with it, offline, in a throwaway libunbound context (no
 * network; a temporary folder under $TMPDIR or /tmp for the zone files).
 * Debian's libunbound is built with nettle, which has no Ed448 (16):
 * zones signed only with it come out insecure. The test runs once per
 * process, for every algorithm at once (a few milliseconds); the results
 * are kept. Thread-safe. @return 1 validates, 0 does not (the zone comes
 * out insecure), DK_ERANGE (@algorithm is not one danekit can test:
 * 5, 7, 8, 10, 13, 14, 15, 16), DK_EIO (no temporary folder),
 * DK_ERESOLVER (libunbound failed, or the zone came out bogus: @diag says
 * why), DK_ENOMEM.
 */
int dk_dnssec_algorithm_validates(uint8_t algorithm, struct dk_diag *diag);

/* The doctor: is this resolver set-up fit for DANE? */

/*
 * dk_doctor_run() makes a resolver from the options (without the
 * self-test of dk_resolver_new(), so that a failing self-test is
 * reported, not returned), runs each check and keeps the outcome in an
 * opaque report read with getters. The checks, in this order, by id:
 *
 *   "setup"      the files and options handed to libunbound
 *   "anchor"     each trust anchor, where it comes from, and the age of
 *                an RFC 5011 state file (unbound-anchor's)
 *   "selftest"   each anchor's zone: its DNSKEY RRset must be secure
 *   "clock"      the clock against the RRSIG windows over those RRsets
 *   "algorithms" which DNSSEC algorithms this libunbound validates
 *   "sha1"       links secure only through SHA-1 (algorithms 5/7, DS
 *                digest type 1; RFC 9904, RFC 9905)
 *   "nsec3"      NSEC3 iteration counts (RFC 9276) against this
 *                validator's limit (val-nsec3-keysize-iterations)
 *   "transport"  answers over UDP and over TCP
 *   "name"       (only with a name) that name's DNSSEC status
 */

/** The outcome of one check; 0 is "not tried". */
enum dk_doctor_status {
	DK_DOCTOR_UNKNOWN = 0, /* not run, or could not be tested */
	DK_DOCTOR_FAIL = 1,    /* this makes the set-up unfit for DANE */
	DK_DOCTOR_WARNING = 2, /* fit, but read why */
	DK_DOCTOR_OK = 3,
};

/** "unknown", "fail", "warning", "ok"; "?" if unknown. Static storage. */
const char *dk_doctor_status_name(enum dk_doctor_status status);

/** The report of dk_doctor_run(). Opaque. */
struct dk_doctor;

/**
 * Examine the set-up of @opts (as dk_resolver_new() takes it;
 * @opts->no_selftest is ignored: the self-test is one of the checks)
 * and, when @name is not NULL, the chain of trust of @name/@type (@type
 * 0 means A): its SHA-1-only links and NSEC3 iterations. A set-up that
 * dk_resolver_new() refuses (a missing or broken file, no anchor) is a
 * report with a failed check, not an error. Takes up to a few times
 * @opts->timeout when servers do not answer.
 * @return 0 and *@ret_doctor (free with dk_doctor_free()); DK_EINVAL
 * (NULL @opts or @ret_doctor, a bad forwarder, a bad @name: @diag says
 * why); DK_ENOMEM. *@ret_doctor is untouched on failure.
 */
int dk_doctor_run(const struct dk_resolver_opts *opts, const char *name,
		  uint16_t type, struct dk_doctor **ret_doctor,
		  struct dk_diag *diag);

/** Free a report. NULL is accepted. */
void dk_doctor_free(struct dk_doctor *doctor);

/**
 * The verdict: DK_DOCTOR_FAIL when a check failed (the set-up is not fit
 * for DANE); else DK_DOCTOR_UNKNOWN when the self-test could not be run
 * (not tested: servers unreachable); else DK_DOCTOR_WARNING when a check
 * warns or could not be run; else DK_DOCTOR_OK. NULL gives UNKNOWN.
 */
enum dk_doctor_status dk_doctor_verdict(const struct dk_doctor *doctor);

/** Number of checks run (0 for NULL). */
size_t dk_doctor_check_count(const struct dk_doctor *doctor);

/**
 * Check @i: its id ("anchor", ...), status and why (one sentence, no
 * final period). Borrowed; NULL / DK_DOCTOR_UNKNOWN when out of range.
 */
const char *dk_doctor_check_id(const struct dk_doctor *doctor, size_t i);
enum dk_doctor_status dk_doctor_check_status(const struct dk_doctor *doctor,
					     size_t i);
const char *dk_doctor_check_why(const struct dk_doctor *doctor, size_t i);

/** Lines of detail of check @i (one per zone, anchor ...). Borrowed. */
size_t dk_doctor_check_detail_count(const struct dk_doctor *doctor, size_t i);
const char *dk_doctor_check_detail(const struct dk_doctor *doctor, size_t i,
				   size_t j);

/** The check of id @id, as an index, or -1 when it was not run. */
int dk_doctor_check_find(const struct dk_doctor *doctor, const char *id);

/** The time the clock check used (the validation time). 0 for NULL. */
time_t dk_doctor_time(const struct dk_doctor *doctor);

/** The name examined (absolute), or NULL. Borrowed. */
const char *dk_doctor_name(const struct dk_doctor *doctor);

/** Number of trust anchors found (one per zone and source). */
size_t dk_doctor_anchor_count(const struct dk_doctor *doctor);

/** Anchor @i's zone (absolute, lower case). Borrowed; NULL if none. */
const char *dk_doctor_anchor_zone(const struct dk_doctor *doctor, size_t i);

/** The file it was read from; NULL for a trust-anchor: line. Borrowed. */
const char *dk_doctor_anchor_file(const struct dk_doctor *doctor, size_t i);

/**
 * Where it comes from: "--anchor" (dk_resolver_opts.anchor_file),
 * "default" (the system root anchor), "trust-anchor-file",
 * "auto-trust-anchor-file", "trust-anchor", "trusted-keys-file" (of the
 * unbound.conf). Static storage; NULL if out of range.
 */
const char *dk_doctor_anchor_source(const struct dk_doctor *doctor, size_t i);

/** The unbound.conf (or include) that names it, or NULL. Borrowed. */
const char *dk_doctor_anchor_conf(const struct dk_doctor *doctor, size_t i);

/** 1 when its file is an RFC 5011 state file, else 0. */
int dk_doctor_anchor_rfc5011(const struct dk_doctor *doctor, size_t i);

/**
 * Its file's modification time, and for an RFC 5011 state file the
 * ";;last_queried:" and ";;last_success:" times unbound writes into it;
 * 0 when unknown.
 */
time_t dk_doctor_anchor_mtime(const struct dk_doctor *doctor, size_t i);
time_t dk_doctor_anchor_last_queried(const struct dk_doctor *doctor, size_t i);
time_t dk_doctor_anchor_last_success(const struct dk_doctor *doctor, size_t i);

/** Number of DNSSEC algorithms tested (dk_dnssec_algorithm_validates()). */
size_t dk_doctor_algorithm_count(const struct dk_doctor *doctor);

/** Algorithm @i's number, 0 when out of range. */
uint8_t dk_doctor_algorithm(const struct dk_doctor *doctor, size_t i);

/** As dk_dnssec_algorithm_validates() said for algorithm @i. */
int dk_doctor_algorithm_validates(const struct dk_doctor *doctor, size_t i);

/**
 * The clock against the RRSIGs over the anchor zones' DNSKEY RRsets: 1
 * and *@ret_seconds (0 when the clock lies inside every validity window,
 * > 0 how far it is past the earliest expiration, < 0 how far before the
 * latest inception), or 0 when no RRSIG was seen.
 */
int dk_doctor_clock_skew(const struct dk_doctor *doctor, int64_t *ret_seconds);

/**
 * Whether the DNSKEY query of the first anchor zone was answered over UDP
 * and over TCP: 1 answered, 0 not, -1 not tested. dk_doctor_transport_via()
 * says whom it asked (borrowed; NULL when not tested).
 */
int dk_doctor_udp(const struct dk_doctor *doctor);
int dk_doctor_tcp(const struct dk_doctor *doctor);
const char *dk_doctor_transport_via(const struct dk_doctor *doctor);

/**
 * The highest NSEC3 iteration count seen (-1: no NSEC3 seen) and this
 * validator's limit for it (val-nsec3-keysize-iterations; -1 unknown).
 */
int dk_doctor_nsec3_iterations(const struct dk_doctor *doctor);
int dk_doctor_nsec3_limit(const struct dk_doctor *doctor);

/* The chain of trust */

/*
 * dk_chain_build() walks from the trust anchor to a name: each zone cut,
 * the DS set in the parent, the child's DNSKEY set, which DS matches which
 * DNSKEY, the RRSIGs over each DNSKEY set and over the final RRset,
 * insecure delegations and their NSEC/NSEC3 proof, and the CNAMEs on the
 * way. Every signature is checked again with ldns at the validation time
 * of the resolver, to find the first broken link. The verdict is
 * libunbound's (dk_lookup()); the chain explains it. When the explanation
 * disagrees with a "secure" verdict, the chain is reported as not secure.
 * Every verdict has an outcome (enum dk_chain_outcome, dk_chain_outcome()):
 * what explains it, with its facts: a broken link, an unsigned
 * delegation, a SERVFAIL and the zone whose servers did not answer, an
 * algorithm this libunbound cannot validate, NSEC3 over the validator's
 * iteration limit, a signed child whose DS is missing.
 *
 * Records are given with the TTL the zone serves them with: the Original
 * TTL of their RRSIG (RFC 4034 section 3.1.4), not what is left of it in
 * libunbound's cache nor val-bogus-ttl for bogus data; see
 * dk_chain_link_ttl().
 *
 * The result is a read-only tree: struct dk_chain is opaque; the links it
 * gives out are plain structs, borrowed from the chain (valid until
 * dk_chain_free()). Callers never modify or free them.
 */

/** What one link of the chain is. */
enum dk_chain_link_type {
	/* A signed zone: its DS set (in the parent, or the trust anchor) and
	 * its DNSKEY set. */
	DK_CHAIN_ZONE = 1,
	/* A delegation with no DS (an unsigned child), and the parent's
	 * NSEC/NSEC3 proof of that (RFC 4035 section 5.2). */
	DK_CHAIN_INSECURE_DELEGATION = 2,
	/* A CNAME followed on the way (RFC 1034 section 3.6.2). */
	DK_CHAIN_CNAME = 3,
	/* The final RRset, or the proof that it does not exist. */
	DK_CHAIN_ANSWER = 4,
};

/** How a non-existence is proven. */
enum dk_chain_proof {
	DK_CHAIN_PROOF_NONE = 0,  /* no proof (or not needed) */
	DK_CHAIN_PROOF_NSEC = 1,  /* NSEC (RFC 4034 section 4) */
	DK_CHAIN_PROOF_NSEC3 = 2, /* NSEC3 matching the name (RFC 5155) */
	DK_CHAIN_PROOF_NSEC3_OPTOUT = 3, /* an NSEC3 opt-out span covering the
					  * name (RFC 5155 section 6) */
};

/** The outcome of checking one RRSIG with ldns. */
enum dk_chain_sig_state {
	/* the signer's keys are not known (a zero-filled signature never
	 * reads as valid) */
	DK_CHAIN_SIG_NOT_CHECKED = 0,
	DK_CHAIN_SIG_VALID = 1,		/* verifies, and now is in its window */
	DK_CHAIN_SIG_EXPIRED = 2,	/* verifies, but expiration is past */
	DK_CHAIN_SIG_NOT_YET_VALID = 3, /* verifies, but inception is ahead */
	DK_CHAIN_SIG_BAD = 4,		/* the cryptographic check fails */
	DK_CHAIN_SIG_NO_KEY = 5,      /* no DNSKEY of the signer has its tag */
	DK_CHAIN_SIG_UNSUPPORTED = 6, /* algorithm this build cannot verify */
};

/** One DS record (or a trust anchor, as DS). Read-only. */
struct dk_chain_ds {
	uint16_t key_tag;
	uint8_t algorithm;   /* DNSSEC algorithm number (RFC 8624) */
	uint8_t digest_type; /* 1 SHA-1, 2 SHA-256, 4 SHA-384 */
	int key;	     /* index in the link's keys of the DNSKEY it
			      * matches, or -1 when it matches none */
	const char *text;    /* the record in presentation format */
};

/** One DNSKEY record. Read-only. */
struct dk_chain_key {
	uint16_t flags;	  /* 257 KSK (SEP), 256 ZSK; 0x0080 revoked */
	uint16_t key_tag; /* RFC 4034 appendix B */
	uint8_t algorithm;
	unsigned int bits; /* key size in bits, 0 if unknown */
	int ds;		   /* index in the link's ds of the first DS that
			    * matches this key, or -1 */
	const char *text;  /* the record in presentation format */
};

/** One RRSIG and what the check of it found. Read-only. */
struct dk_chain_sig {
	const char *owner;     /* owner name of the covered RRset */
	uint16_t type_covered; /* type of the covered RRset */
	const char *signer;    /* the signer's name (a zone apex) */
	uint16_t key_tag;
	uint8_t algorithm;
	time_t inception;
	time_t expiration;
	/* expiration minus the validation time; negative once expired */
	int64_t seconds_left;
	enum dk_chain_sig_state state;
};

/**
 * One link of the chain. Read-only; every pointer is borrowed from the
 * chain, arrays have the count next to them and are NULL when empty.
 * Fields that do not apply to a link type are NULL/0.
 */
struct dk_chain_link {
	enum dk_chain_link_type type;
	/* What the chain check found for this link alone. */
	enum dk_dnssec_status status;
	/* ZONE, INSECURE_DELEGATION: the child zone; CNAME, ANSWER: the
	 * owner name. Absolute. */
	const char *name;
	/* ZONE, INSECURE_DELEGATION: the parent zone that holds (or denies)
	 * the DS, NULL for a trust anchor; CNAME, ANSWER: the zone whose
	 * keys sign it (NULL when no trust anchor covers it). */
	const char *zone;
	/* ZONE: 1 when the DS set is the configured trust anchor. */
	int anchor;
	/* ZONE: the DS set and the RRSIGs over it (none for an anchor). */
	const struct dk_chain_ds *ds;
	size_t ds_count;
	const struct dk_chain_sig *ds_sigs;
	size_t ds_sig_count;
	/* ZONE: the DNSKEY set and the RRSIGs over it. INSECURE_DELEGATION:
	 * the child's own DNSKEY set and its RRSIGs (checked with those
	 * keys) when the child is signed although its parent has no DS for
	 * it (DK_CHAIN_OUTCOME_DS_MISSING); NULL/0 for an unsigned child. */
	const struct dk_chain_key *keys;
	size_t key_count;
	const struct dk_chain_sig *key_sigs;
	size_t key_sig_count;
	/* CNAME, ANSWER: the type asked (CNAME for a CNAME link), the rcode
	 * (ANSWER), the CNAME's target (CNAME), the records and the RRSIGs
	 * over them. */
	uint16_t rrtype;
	int rcode;
	const char *target;
	const char *const *records;
	size_t record_count;
	const struct dk_chain_sig *sigs;
	size_t sig_count;
	/* INSECURE_DELEGATION, ANSWER without data: the proof of
	 * non-existence, its NSEC/NSEC3 records, the RRSIGs over them, and
	 * whether the NSEC3 records have the opt-out flag. */
	enum dk_chain_proof proof;
	int optout;
	const char *const *proof_records;
	size_t proof_record_count;
	const struct dk_chain_sig *proof_sigs;
	size_t proof_sig_count;
	/* One sentence saying why this link is not secure (broken, unsigned,
	 * or not checked), or NULL when it is secure. */
	const char *why;
};

/** The result of dk_chain_build(). Opaque. */
struct dk_chain;

/**
 * Look @name/@type up through @resolver (dk_lookup()) and explain the
 * DNSSEC chain of trust of the answer, link by link. @warn_days: warn about
 * every signature on the path that expires within that many days (0: no
 * warnings). The raw records come from libunbound (it returns bogus data
 * too); signatures are checked with ldns at the resolver's validation
 * time (val-override-date, else the clock).
 *
 * A bogus or insecure chain is not an error: see dk_chain_status().
 * @return 0 and *@ret_chain (free with dk_chain_free()); DK_EINVAL (NULL
 * argument, type 0, @warn_days < 0 or > 36500, bad name: @diag says
 * why); DK_ETIMEDOUT, DK_ESERVFAIL, DK_ERESOLVER (the lookup of @name
 * itself failed: @diag says why); DK_ENOMEM. *@ret_chain is untouched on
 * failure. Failures of the lookups made for the explanation (DS, DNSKEY)
 * are not errors: that link gets DK_DNSSEC_INDETERMINATE.
 * dk_chain_build_opts() reports a SERVFAIL as a chain instead.
 */
int dk_chain_build(struct dk_resolver *resolver, const char *name,
		   uint16_t type, int warn_days, struct dk_chain **ret_chain,
		   struct dk_diag *diag);

/** Free a chain and everything borrowed from it. NULL is accepted. */
void dk_chain_free(struct dk_chain *chain);

/**
 * The verdict: libunbound's status of the answer, lowered to what the
 * chain check found when that disagrees with "secure". Only
 * DK_DNSSEC_SECURE data may be used. NULL gives DK_DNSSEC_INDETERMINATE.
 */
enum dk_dnssec_status dk_chain_status(const struct dk_chain *chain);

/**
 * libunbound's own status of the answer (dk_answer_status());
 * DK_DNSSEC_INDETERMINATE when the lookup failed (SERVFAIL outcome).
 */
enum dk_dnssec_status dk_chain_resolver_status(const struct dk_chain *chain);

/** What the link-by-link check found on its own. */
enum dk_dnssec_status dk_chain_checked_status(const struct dk_chain *chain);

/** 1 when the chain check and libunbound disagree, else 0. */
int dk_chain_disagrees(const struct dk_chain *chain);

/**
 * The diagnosis: one sentence, without a final period, that names the
 * first broken (or unsigned) link, or says that the chain is secure. For
 * the SERVFAIL outcome it begins with "could not finish: ".
 * Borrowed; never NULL for a chain, NULL for NULL.
 */
const char *dk_chain_diagnosis(const struct dk_chain *chain);

/** libunbound's reason for a bogus answer, or NULL. Borrowed. */
const char *dk_chain_why_bogus(const struct dk_chain *chain);

/** The name asked (absolute). Borrowed; NULL for NULL. */
const char *dk_chain_qname(const struct dk_chain *chain);

/** The type asked; 0 for NULL. */
uint16_t dk_chain_qtype(const struct dk_chain *chain);

/**
 * The rcode of the answer (DK_RCODE_*); SERVFAIL for NULL and when the
 * lookup failed (SERVFAIL outcome).
 */
int dk_chain_rcode(const struct dk_chain *chain);

/** The validation time the signatures were checked at. 0 for NULL. */
time_t dk_chain_time(const struct dk_chain *chain);

/** The @warn_days given to dk_chain_build(). 0 for NULL. */
int dk_chain_warn_days(const struct dk_chain *chain);

/**
 * The answer of the lookup of the name itself, borrowed (freed by
 * dk_chain_free()); NULL for NULL, and when the lookup failed (SERVFAIL
 * outcome: there is no answer).
 */
const struct dk_answer *dk_chain_get0_answer(const struct dk_chain *chain);

/** Number of links; 0 for NULL. */
size_t dk_chain_link_count(const struct dk_chain *chain);

/**
 * Link @i (0 = nearest the trust anchor), borrowed; NULL when @chain is
 * NULL or @i is out of range.
 */
const struct dk_chain_link *dk_chain_link(const struct dk_chain *chain,
					  size_t i);

/** Number of warnings (signatures that expire within warn_days). */
size_t dk_chain_warning_count(const struct dk_chain *chain);

/**
 * Warning @i, one sentence ("the RRSIG over the DNSKEY RRset of
 * expiring.test. expires on 2026-11-28 04:05 UTC, in 2 days"). Borrowed;
 * NULL when out of range or @chain is NULL.
 */
const char *dk_chain_warning(const struct dk_chain *chain, size_t i);

/** "zone", "insecure-delegation", "cname", "answer"; "?" if unknown. */
const char *dk_chain_link_type_name(enum dk_chain_link_type type);

/** "none", "nsec", "nsec3", "nsec3-optout"; "?" if unknown. */
const char *dk_chain_proof_name(enum dk_chain_proof proof);

/**
 * "valid", "expired", "not-yet-valid", "bad", "no-key", "unsupported",
 * "not-checked"; "?" if unknown. Static storage.
 */
const char *dk_chain_sig_state_name(enum dk_chain_sig_state state);

/*
 * What explains the verdict, one kind per chain (dk_chain_outcome()).
 * Every non-secure verdict has one; the diagnosis says it in a sentence
 * and the getters below give its facts.
 */
enum dk_chain_outcome {
	DK_CHAIN_OUTCOME_UNKNOWN = 0, /* not known (NULL chain) */
	DK_CHAIN_OUTCOME_SECURE = 1,  /* every link from the anchor is valid */
	/* A link does not validate: bogus (expired or missing signature, a
	 * DS that matches no key, altered data...). */
	DK_CHAIN_OUTCOME_BROKEN = 2,
	/* Unsigned: a delegation without DS proven by the parent, an NSEC3
	 * opt-out span, or a name no trust anchor covers. */
	DK_CHAIN_OUTCOME_UNSIGNED = 3,
	/*
	 * The lookup of the name failed with SERVFAIL and no validation
	 * failure (dk_chain_build_opts() only): status
	 * DK_DNSSEC_INDETERMINATE, the chain could not be finished.
	 * dk_chain_failed_query() is the query, dk_chain_outcome_zone() the
	 * zone whose name servers did not answer, and dk_chain_server() what
	 * each name server asked directly answered.
	 */
	DK_CHAIN_OUTCOME_SERVFAIL = 4,
	/*
	 * The zone dk_chain_outcome_zone() is signed, but only with an
	 * algorithm (or DS digest type) this build of libunbound cannot
	 * validate, such as Ed448 (algorithm 16) under Debian's libunbound,
	 * which is built with nettle. RFC 4035 section 5.2: such a zone is
	 * treated as insecure. It is the validator, not the zone, that
	 * lacks the algorithm: dk_chain_unsupported_algorithm().
	 */
	DK_CHAIN_OUTCOME_UNSUPPORTED_ALGORITHM = 5,
	/*
	 * An NSEC3 denial (a name that does not exist, a type it does not
	 * have, or a delegation without DS) whose iteration count is over
	 * the validator's limit (unbound's val-nsec3-keysize-iterations;
	 * RFC 9276 section 3.2): the validator does not check it and calls
	 * the answer insecure. dk_chain_nsec3_iterations() and
	 * dk_chain_nsec3_iterations_limit() give the count and the limit.
	 */
	DK_CHAIN_OUTCOME_NSEC3_ITERATIONS = 6,
	/*
	 * The child zone dk_chain_outcome_zone() is signed (it has a DNSKEY
	 * RRset), but its parent has no DS for it, so validators treat it
	 * as unsigned: the fix is at the parent (dk_chain_missing_ds()).
	 */
	DK_CHAIN_OUTCOME_DS_MISSING = 7,
	/*
	 * libunbound and the chain check disagree and the check cannot say
	 * why (dk_chain_disagrees()), or a lookup made for the explanation
	 * (a DS or DNSKEY set) failed.
	 */
	DK_CHAIN_OUTCOME_UNEXPLAINED = 8,
};

/**
 * "unknown", "secure", "broken", "unsigned", "servfail",
 * "unsupported-algorithm", "nsec3-iterations", "ds-missing",
 * "unexplained"; "?" if unknown. Static storage.
 */
const char *dk_chain_outcome_name(enum dk_chain_outcome outcome);

/** Options of dk_chain_build_opts(); zero-initialise, then set fields. */
struct dk_chain_opts {
	/* As @warn_days of dk_chain_build(): 0 to 36500, 0 means no
	 * warnings. */
	int warn_days;
	/* Port of the authoritative name servers asked directly when the
	 * lookup fails with SERVFAIL; 0 means 53. */
	unsigned auth_port;
	/* Non-zero: never ask a name server directly. */
	int no_auth_check;
};

/**
 * As dk_chain_build(), with options, and one difference: when the lookup
 * of @name fails with SERVFAIL and no validation failure, this is not
 * DK_ESERVFAIL but a chain with status DK_DNSSEC_INDETERMINATE and
 * outcome DK_CHAIN_OUTCOME_SERVFAIL: the links walked from the trust
 * anchor, and (unless @opts->no_auth_check) the answers of the name
 * servers asked directly, without recursion, from the deepest zone whose
 * servers libunbound can list down the referrals, at @opts->auth_port.
 * Each of them waits at most the resolver's time-out, and at most 3 s.
 * @opts NULL means all zero. @return as dk_chain_build(); DK_EINVAL also
 * for @opts->auth_port over 65535.
 */
int dk_chain_build_opts(struct dk_resolver *resolver, const char *name,
			uint16_t type, const struct dk_chain_opts *opts,
			struct dk_chain **ret_chain, struct dk_diag *diag);

/**
 * What explains the verdict (see enum dk_chain_outcome);
 * DK_CHAIN_OUTCOME_UNKNOWN for NULL.
 */
enum dk_chain_outcome dk_chain_outcome(const struct dk_chain *chain);

/**
 * The zone the outcome is about: the zone that did not answer
 * (SERVFAIL), the zone signed with an algorithm this build cannot
 * validate, the zone whose NSEC3 records are over the iteration limit,
 * the signed child without DS, the zone of the first broken or unsigned
 * link. NULL when there is none, and for NULL. Borrowed.
 */
const char *dk_chain_outcome_zone(const struct dk_chain *chain);

/**
 * The query that failed, "NAME TYPE" ("mail.lame.test. A"), for
 * DK_CHAIN_OUTCOME_SERVFAIL; else NULL. Borrowed.
 */
const char *dk_chain_failed_query(const struct dk_chain *chain);

/** What a name server asked directly answered. */
enum dk_chain_server_state {
	DK_CHAIN_SERVER_NOT_ASKED = 0, /* no address was found for it */
	/* An authoritative answer: data, NODATA or NXDOMAIN (AA set). */
	DK_CHAIN_SERVER_ANSWER = 1,
	/* A referral to a zone below: the servers of that zone are asked
	 * next. */
	DK_CHAIN_SERVER_REFERRAL = 2,
	/* An answer without authority and without a referral down: a lame
	 * server (not configured for the zone). */
	DK_CHAIN_SERVER_LAME = 3,
	/* An error rcode: REFUSED, SERVFAIL, NOTIMP, FORMERR... */
	DK_CHAIN_SERVER_ERROR = 4,
	/* No answer within the time limit. */
	DK_CHAIN_SERVER_TIMEOUT = 5,
	/* The network refused: connection refused (nothing listens), no
	 * route to the address. */
	DK_CHAIN_SERVER_UNREACHABLE = 6,
	/* A reply that does not parse or does not match the query. */
	DK_CHAIN_SERVER_BAD_REPLY = 7,
};

/**
 * "not-asked", "answer", "referral", "lame", "error", "timeout",
 * "unreachable", "bad-reply"; "?" if unknown. Static storage.
 */
const char *dk_chain_server_state_name(enum dk_chain_server_state state);

/** One name server asked directly (SERVFAIL outcome). Read-only. */
struct dk_chain_server {
	/* The zone it was asked as a server of (its NS RRset's owner). */
	const char *zone;
	/* Its name (the NS target). */
	const char *name;
	/* Its address, IPv4 or IPv6 text; NULL when none was found. */
	const char *address;
	unsigned port;
	/* The query sent, "NAME TYPE", without recursion desired. */
	const char *query;
	enum dk_chain_server_state state;
	/* The rcode of its reply (DK_RCODE_*), -1 when it gave none. */
	int rcode;
	/* 1 when its reply has the AA bit. */
	int authoritative;
	/* One phrase: what it answered ("connection refused: nothing
	 * listens on UDP port 53", "REFUSED", "a referral to lame.test.:
	 * ns.lame.test."). */
	const char *answer;
};

/** Number of name servers asked directly; 0 for NULL. */
size_t dk_chain_server_count(const struct dk_chain *chain);

/**
 * Server @i, in the order asked (the zone nearest the anchor first).
 * Borrowed; NULL when out of range or @chain is NULL.
 */
const struct dk_chain_server *dk_chain_server(const struct dk_chain *chain,
					      size_t i);

/**
 * DK_CHAIN_OUTCOME_UNSUPPORTED_ALGORITHM: the DNSSEC algorithm number
 * (16 for Ed448) that this build of libunbound cannot validate; 0 when
 * the outcome is another, or when it is a DS digest type that the
 * validator lacks (the diagnosis then names the digest type).
 */
uint8_t dk_chain_unsupported_algorithm(const struct dk_chain *chain);

/**
 * DK_CHAIN_OUTCOME_NSEC3_ITERATIONS (or an unsigned delegation whose NSEC3
 * proof is over the limit): the iteration count of the NSEC3 records, and
 * the validator's limit for the zone's smallest key (from
 * val-nsec3-keysize-iterations). -1 when they do not apply.
 */
int dk_chain_nsec3_iterations(const struct dk_chain *chain);
int dk_chain_nsec3_iterations_limit(const struct dk_chain *chain);

/** DK_CHAIN_OUTCOME_DS_MISSING: the number of DS records to add. */
size_t dk_chain_missing_ds_count(const struct dk_chain *chain);

/**
 * DS record @i to add at the parent (SHA-256, RFC 4509) for a key of the
 * child that signs the child's DNSKEY RRset validly and has the SEP flag,
 * in presentation format. None when the child's DNSKEY RRset does not
 * validate by itself (adding a DS would then make the zone bogus).
 * Borrowed; NULL when out of range.
 */
const char *dk_chain_missing_ds(const struct dk_chain *chain, size_t i);

/**
 * The TTL of link @i's RRset (ZONE: the DNSKEY RRset; CNAME, ANSWER: its
 * records) as the zone serves it: the Original TTL of its RRSIG (RFC 4034
 * section 3.1.4), else the TTL libunbound returned. The records in the
 * link's text carry this TTL too. -1 when the link has no such RRset or
 * @i is out of range.
 */
int64_t dk_chain_link_ttl(const struct dk_chain *chain, size_t i);

/**
 * The TTL libunbound returned for that RRset: lower than the served TTL
 * when it comes from the cache, and capped (val-bogus-ttl, 60 s by
 * default) for bogus data. -1 as for dk_chain_link_ttl().
 */
int64_t dk_chain_link_resolver_ttl(const struct dk_chain *chain, size_t i);

#if defined(__GNUC__)
#pragma GCC visibility pop
#endif

#ifdef __cplusplus
}
#endif

#endif
