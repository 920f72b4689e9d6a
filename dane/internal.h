/* SPDX-License-Identifier: BSD-3-Clause */
/* Private helpers of the dane module. */
#ifndef DANEKIT_DANE_INTERNAL_H
#define DANEKIT_DANE_INTERNAL_H

#include <stdbool.h>

#include <openssl/ssl.h>

#include <danekit/dane.h>

#include "tlsa/internal.h"

/* A plaintext connection with a deadline and a read buffer. */
struct dki_conn {
	int fd;
	double deadline; /* monotonic, dki_mono() */
	char buf[8192];
	size_t len;
};

/* Monotonic time in seconds. */
double dki_mono(void);

/*
 * Open a TCP connection to the numeric @addr and @port before @deadline.
 * Returns 0 (c->fd set), or DK_ECONNREFUSED (refused or unreachable) /
 * DK_ETIMEDOUT with @why filled in. Connection helpers return error
 * codes, never verdict values: dki_addr_status() maps them.
 */
int dki_conn_open(struct dki_conn *c, const char *addr, unsigned port,
		  double deadline, char *why, size_t whylen);

/* Close the connection (fd -1 accepted). */
void dki_conn_close(struct dki_conn *c);

/*
 * The exchange before TLS for @proto. @banner receives the first greeting
 * line (may be cut). Returns 0 when TLS may start, else DK_ENOSTARTTLS /
 * DK_EPROTO / DK_ETIMEDOUT with @why.
 */
int dki_starttls(struct dki_conn *c, enum dk_starttls proto, const char *ehlo,
		 const char *domain, char *banner, size_t bannerlen, char *why,
		 size_t whylen);

/*
 * The TLS handshake on c->fd before the deadline. Returns 0 when the
 * handshake completed (the caller then reads the verification result),
 * else DK_ETLS / DK_ETIMEDOUT.
 */
int dki_tls_handshake(struct dki_conn *c, SSL *ssl, char *why, size_t whylen);

/* The outcome at an address of a connection helper's error code. */
enum dk_dane_addr_status dki_addr_status(int err);

/* Say goodbye politely (QUIT over TLS for SMTP), best effort. */
void dki_tls_goodbye(struct dki_conn *c, SSL *ssl, enum dk_starttls proto);

/* Fill @c from @x (subject, issuer, SANs, dates, digests): 0 or DK_ENOMEM. */
int dki_cert_info(X509 *x, struct dk_dane_cert *c);

/* Free what dki_cert_info() put in @c. */
void dki_cert_clear(struct dk_dane_cert *c);

/*
 * Lint the TLSA RRset of host @hi of @report (its records, usable flags,
 * owner and status) against the chains servers presented (leaf first);
 * findings are appended to the report. For the tests: dk_dane_check_*()
 * run it on live data. Returns 0, DK_EINVAL or DK_ENOMEM.
 */
int dki_dane_lint(struct dk_dane_report *report, long hi,
		  STACK_OF(X509) * *chains, size_t nchains);

/*
 * Enable DANE on @ssl (SSL_dane_enable: SNI @base, the first reference
 * identifier), add @other as a reference identifier (NULL: none), and
 * add every usable record of @recs. Records OpenSSL refuses go to
 * @ret_refused (room for @n indices; may be NULL). Returns the number of
 * records added, or DK_ETLS.
 */
int dki_dane_ssl_enable(SSL *ssl, const char *base, const char *other,
			const struct dk_dane_record *recs, size_t n,
			long *ret_refused, size_t *ret_nrefused);

/*
 * The DNS half of a check of one host (RFC 7672 for SMTP): addresses,
 * CNAMEs, the TLSA RRset through the trust gate. A report with that one
 * host, never probed; *@ret_rrset gets the TLSA RRset that decided (or
 * NULL). Returns 0, DK_EINVAL, DK_ECRYPTO, DK_ENOMEM.
 */
int dki_dane_host_dns(struct dk_resolver *resolver, const char *host,
		      enum dk_dane_service service, unsigned port,
		      struct dk_dane_report **ret_report,
		      struct dk_tlsa_rrset **ret_rrset, struct dk_diag *diag);

/*
 * What the mail audit (mail/smtp.c) adds to dk_dane_check_smtp(): the
 * same engine and report, with
 *  - @no_connect: the DNS half only (addresses, TLSA through the trust
 *    gate, the lint of the records); no address is probed;
 *  - @chain: called with every chain a server presented (leaf first,
 *    borrowed for the call), by host and address index; @alt is -1 for
 *    the main chain, else the index of the other key type's chain;
 *  - @old_version: after a failed handshake, a second one that allows
 *    TLS 1.0 and 1.1; called with the version when the server completes
 *    it with one of those.
 */
struct dki_smtp_ext {
	int no_connect;
	void (*chain)(void *arg, size_t host, size_t addr, long alt,
		      STACK_OF(X509) * chain);
	void (*old_version)(void *arg, size_t host, const char *address,
			    const char *version);
	void *arg;
};

/* dk_dane_check_smtp() with the audit's additions (@ext may be NULL). */
int dki_dane_check_smtp_ext(struct dk_resolver *resolver, const char *domain,
			    const struct dk_dane_opts *opts,
			    const struct dki_smtp_ext *ext,
			    struct dk_dane_report **ret_report,
			    struct dk_diag *diag);

/* The peer's state, why and usable records from its report (peer.c). */
struct dk_dane_peer;
int dki_dane_peer_finish(struct dk_dane_peer *p);

/*
 * A peer made from an RRset at hand (taken, freed on failure), for the
 * offline DANE vectors: @host is the TLSA base domain, its addresses are
 * secure. Never exported.
 */
int dki_dane_peer_offline(const char *host, struct dk_tlsa_rrset *rrset,
			  struct dk_dane_peer **ret_peer);

/* malloc()ed printf, NULL on failure. */
char *dki_strdupf(const char *fmt, ...) DK_PRINTF(1, 2);

#endif
