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

#include <ldns/ldns.h>

#include <danekit/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Security status of an answer, ordered from worst to best (like
 * unbound's sec_status). Only DK_DNSSEC_SECURE data may be used for DANE
 * (RFC 7672 section 2.1); bogus data must not be used at all.
 */
enum dk_dnssec_status {
	DK_DNSSEC_INDETERMINATE = 0, /* not checked or could not tell */
	DK_DNSSEC_BOGUS = 1,         /* validation failed */
	DK_DNSSEC_INSECURE = 2,      /* provably unsigned */
	DK_DNSSEC_SECURE = 3,        /* validated from a trust anchor */
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
	 * NULL and @unbound_conf is set, the anchors of that file are used.
	 */
	const char *anchor_file;
	/* An unbound.conf read with ub_ctx_config(), or NULL. */
	const char *unbound_conf;
	/* "ADDR" or "ADDR@PORT": forward all queries there, or NULL. */
	const char *forwarder;
	/* Limit for each lookup in seconds; <= 0 means 10. */
	double timeout;
	/* Validation time (val-override-date); 0 means the real time. */
	time_t now;
};

/** A validating resolver context (a libunbound ub_ctx). Opaque. */
struct dk_resolver;

/**
 * Make a resolver. On success *@ret_resolver is freed with
 * dk_resolver_free(). @return 0; DK_EINVAL; DK_ENOANCHOR (no anchor file
 * found: @diag says which were tried); DK_ENOENT/DK_EACCES (a named file
 * is missing or unreadable); DK_EDATA (a file libunbound refuses);
 * DK_ERESOLVER; DK_ENOMEM. @diag says what went wrong.
 */
int dk_resolver_new(const struct dk_resolver_opts *opts,
		    struct dk_resolver **ret_resolver, struct dk_diag *diag);

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

/** DNS rcode (LDNS_RCODE_NOERROR, LDNS_RCODE_NXDOMAIN, ...). */
int dk_answer_rcode(const struct dk_answer *answer);

/** Security status of the answer (for NXDOMAIN/NODATA: of the denial). */
enum dk_dnssec_status dk_answer_status(const struct dk_answer *answer);

/**
 * libunbound's reason for a bogus answer ("signature expired ...") or
 * NULL. Borrowed.
 */
const char *dk_answer_why(const struct dk_answer *answer);

/**
 * The RRset of the asked type at the final name (after CNAMEs), as an ldns
 * list borrowed from the answer (never NULL; empty when there is no data).
 * RRSIGs are not in it.
 */
const ldns_rr_list *dk_answer_get0_rrset(const struct dk_answer *answer);

/**
 * The whole reply as libunbound returned it (answer, authority and their
 * RRSIGs), borrowed; NULL when libunbound gave no packet.
 */
const ldns_pkt *dk_answer_get0_packet(const struct dk_answer *answer);

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

/**
 * Parse an RR type given as a mnemonic ("TLSA", "mx") or as "TYPEnnn".
 * @return the type (1-65535) or DK_EINVAL.
 */
int dk_rr_type_parse(const char *text);

#ifdef __cplusplus
}
#endif

#endif
