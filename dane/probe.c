/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The probe: a connection to one address of a host, the exchange before
 * TLS, the handshake with OpenSSL's DANE verifier, and what it gave.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
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

#include <event2/event.h>

#include "dane/internal.h"
#include "dnssec/internal.h"
#include "dane/check.h"

/* --- connections --------------------------------------------------------- */

/* Index of the usable record of @h equal to (u, s, m, d), or -1. */
static long record_index(const struct dk_dane_host *h, uint8_t u, uint8_t s,
			 uint8_t m, const unsigned char *d, size_t dlen)
{
	for (size_t i = 0; d && i < h->nrecords; i++) {
		const struct dk_tlsa *t = h->records[i].tlsa;
		size_t tl = 0;
		const uint8_t *td = dk_tlsa_data(t, &tl);

		if (h->records[i].usable && dk_tlsa_usage(t) == u &&
		    dk_tlsa_selector(t) == s && dk_tlsa_mtype(t) == m &&
		    tl == dlen && memcmp(td, d, dlen) == 0) {
			return (long)i;
		}
	}
	return -1;
}

static const struct {
	const char *name;
	const char *sigalgs;
} keytypes[KT_COUNT] = {
	[KT_OTHER] = { "other", NULL },
	[KT_ECDSA] = { "ECDSA", "ECDSA+SHA256:ECDSA+SHA384:ECDSA+SHA512" },
	[KT_RSA] = { "RSA",
		     "rsa_pss_rsae_sha256:rsa_pss_rsae_sha384:rsa_pss_rsae_"
		     "sha512:"
		     "rsa_pss_pss_sha256:rsa_pss_pss_sha384:rsa_pss_pss_sha512:"
		     "RSA+SHA256:RSA+SHA384:RSA+SHA512" },
	[KT_EDDSA] = { "EdDSA", "ed25519:ed448" },
};

static enum keytype key_type(X509 *x)
{
	EVP_PKEY *k = x ? X509_get0_pubkey(x) : NULL;

	switch (k ? EVP_PKEY_get_base_id(k) : 0) {
	case EVP_PKEY_EC:
		return KT_ECDSA;
	case EVP_PKEY_RSA:
	case EVP_PKEY_RSA_PSS:
		return KT_RSA;
	case EVP_PKEY_ED25519:
	case EVP_PKEY_ED448:
		return KT_EDDSA;
	default:
		return KT_OTHER;
	}
}

/*
 * Connect to one address, run the STARTTLS exchange and the handshake,
 * offering only @sigalgs when not NULL (to see another certificate of a
 * server with several keys).
 */
int dki_dane_ssl_enable(SSL *ssl, const char *base, const char *other,
			const struct dk_dane_record *recs, size_t n,
			long *ret_refused, size_t *ret_nrefused)
{
	char sni[260], o[260];
	int added = 0;

	if (ret_nrefused) {
		*ret_nrefused = 0;
	}
	no_dot(base, sni, sizeof(sni));
	/*
	 * The TLSA base domain is the SNI name and the first reference
	 * identifier; the other of (MX host, CNAME-expanded name) is added
	 * (RFC 7672 section 3.2.2). DANE-EE matches skip name and date
	 * checks (RFC 7672 section 3.1.1); DANE-TA keeps them.
	 */
	if (SSL_dane_enable(ssl, sni) <= 0) {
		ERR_clear_error();
		return DK_ETLS;
	}
	SSL_dane_set_flags(ssl, DANE_FLAG_NO_DANE_EE_NAMECHECKS);
	if (other) {
		no_dot(other, o, sizeof(o));
		if (!SSL_add1_host(ssl, o)) {
			ERR_clear_error();
		}
	}
	for (size_t i = 0; i < n; i++) {
		const struct dk_tlsa *t = recs[i].tlsa;
		size_t dl = 0;
		const uint8_t *d = dk_tlsa_data(t, &dl);

		if (!recs[i].usable) {
			continue;
		}
		if (SSL_dane_tlsa_add(ssl, dk_tlsa_usage(t),
				      dk_tlsa_selector(t), dk_tlsa_mtype(t), d,
				      dl) > 0) {
			added++;
			continue;
		}
		ERR_clear_error();
		if (ret_refused && ret_nrefused) {
			ret_refused[(*ret_nrefused)++] = (long)i;
		}
	}
	return added;
}

/*
 * The mail audit (dki_smtp_ext.old_version): after a handshake that
 * failed, one more connection that also offers TLS 1.0 and 1.1 (OpenSSL 3
 * allows them only at security level 0), to name the obsolete version a
 * server insists on (RFC 8996). Nothing else is judged on it.
 */
static void old_tls_probe(struct ck *k, long hi, const char *address,
			  unsigned port, enum dk_starttls proto,
			  const char *sni)
{
	struct dki_conn c;
	char why[300], banner[300];
	SSL *ssl = NULL;
	const char *ehlo = k->o.ehlo_name ? k->o.ehlo_name : "danekit.invalid";

	if (dki_conn_open(&c, address, port, dki_mono() + k->timeout, why,
			  sizeof(why)) < 0) {
		return;
	}
	if (dki_starttls(&c, proto, ehlo, k->r->domain, banner, sizeof(banner),
			 why, sizeof(why)) < 0) {
		goto out;
	}
	ssl = SSL_new(k->ctx);
	if (!ssl || !SSL_set_min_proto_version(ssl, TLS1_VERSION) ||
	    !SSL_set_cipher_list(ssl, "ALL:@SECLEVEL=0")) {
		goto out;
	}
	SSL_set_security_level(ssl, 0);
	if (!k->r->hosts[hi].ip_literal) {
		SSL_set_tlsext_host_name(ssl, sni);
	}
	if (dki_tls_handshake(&c, ssl, why, sizeof(why)) == 0) {
		if (SSL_version(ssl) < TLS1_2_VERSION) {
			k->ext->old_version(k->ext->arg, (size_t)hi, address,
					    SSL_get_version(ssl));
		}
		dki_tls_goodbye(&c, ssl, proto);
	}
out:
	SSL_free(ssl);
	dki_conn_close(&c);
	ERR_clear_error();
}

/*
 * The blocking probe of the other STARTTLS protocols (IMAP, POP3, XMPP,
 * FTP; check tls only): conn.c's exchanges, then the same verdict.
 */
static void sm_verdict_of(SSL *ssl, int dane, struct probe_out *out);

static void probe_blocking(struct ck *k, const char *address, unsigned port,
			   enum dk_starttls proto, SSL *ssl, int dane,
			   struct probe_out *out)
{
	struct dki_conn c;
	const char *ehlo = k->o.ehlo_name ? k->o.ehlo_name : "danekit.invalid";
	int e;

	e = dki_conn_open(&c, address, port, dki_mono() + k->timeout, out->why,
			  sizeof(out->why));
	if (e < 0) {
		out->status = dki_addr_status(e);
		SSL_free(ssl);
		return;
	}
	e = dki_starttls(&c, proto, ehlo, k->r->domain, out->banner,
			 sizeof(out->banner), out->why, sizeof(out->why));
	if (e == 0) {
		double t0 = dki_mono();

		e = dki_tls_handshake(&c, ssl, out->why, sizeof(out->why));
		out->handshake = dki_mono() - t0;
	}
	if (e < 0) {
		out->status = dki_addr_status(e);
		out->handshake = 0;
	} else {
		sm_verdict_of(ssl, dane, out);
		dki_tls_goodbye(&c, ssl, proto);
	}
	SSL_free(ssl);
	dki_conn_close(&c);
}

/* --- the probe as a non-blocking state machine ---------------------------
 *
 * One connection: connect, the SMTP exchange up to STARTTLS (or nothing,
 * for direct TLS), the handshake, goodbye. Each step runs when its
 * socket is ready, from a libevent loop: the loop of a scan (many probes
 * at once, dane/scan.c), or a loop of its own that check runs until the
 * probe is done. One deadline covers the whole connection, as before.
 * The other STARTTLS protocols (check tls --starttls imap...) keep the
 * blocking exchange of conn.c.
 */

/* Longest line of a plaintext reply we accept (RFC 5321: 512). */
#define SM_LINE_MAX 2048
/* Most lines of one reply we read (a long EHLO list is about 20). */
#define SM_REPLY_LINES 200

enum sm_state {
	SM_CONNECT = 0,
	SM_GREETING,
	SM_EHLO,
	SM_STARTTLS,
	SM_HANDSHAKE,
	SM_DONE,
};

struct dki_probe {
	struct event_base *base;
	struct event *ev;
	struct dki_conn c;
	double hs_t0; /* dki_mono() when the handshake began */
	SSL *ssl;
	enum sm_state state;
	enum dk_starttls proto;
	int dane;
	char ehlo[260];
	/* the reply being read */
	int code, nlines, starttls_kw;
	char first[SM_LINE_MAX + 1];
	struct probe_out out;
	void (*done)(struct dki_probe *p, void *arg);
	void *arg;
};

static void sm_whyf(struct dki_probe *p, const char *fmt, ...) DK_PRINTF(2, 3);

static void sm_whyf(struct dki_probe *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->out.why, sizeof(p->out.why), fmt, ap);
	va_end(ap);
}

static void out_whyf(struct probe_out *out, const char *fmt, ...)
	DK_PRINTF(2, 3);

static void out_whyf(struct probe_out *out, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(out->why, sizeof(out->why), fmt, ap);
	va_end(ap);
}

/* The verdict at the address once the handshake completed. */
static void sm_verdict_of(SSL *ssl, int dane, struct probe_out *out)
{
	STACK_OF(X509) * chain;

	snprintf(out->version, sizeof(out->version), "%s",
		 SSL_get_version(ssl));
	snprintf(out->cipher, sizeof(out->cipher), "%s",
		 SSL_get_cipher_name(ssl));
	chain = SSL_get_peer_cert_chain(ssl);
	if (chain && sk_X509_num(chain) > 0) {
		out->chain = X509_chain_up_ref(chain);
		if (!out->chain) {
			out->nomem = 1;
		}
	}
	out->verify_code = SSL_get_verify_result(ssl);
	if (dane) {
		uint8_t u = 0, s = 0, m = 0;
		const unsigned char *d = NULL;
		size_t dl = 0;
		int depth = SSL_get0_dane_tlsa(ssl, &u, &s, &m, &d, &dl);

		if (depth >= 0 && d) {
			out->match_depth = depth;
			out->mu = u;
			out->ms = s;
			out->mm = m;
			out->md = malloc(dl ? dl : 1);
			if (out->md) {
				memcpy(out->md, d, dl);
				out->mdl = dl;
			} else {
				out->nomem = 1;
			}
		}
		if (out->verify_code == X509_V_OK && depth >= 0) {
			out->status = DK_ADDR_VERIFIED;
		} else {
			const char *vt =
				X509_verify_cert_error_string(out->verify_code);

			out->status = DK_ADDR_MISMATCH;
			if (out->verify_code == X509_V_ERR_DANE_NO_MATCH) {
				out_whyf(out,
					 "no TLSA record matched the "
					 "certificate chain (%s)",
					 vt);
			} else if (depth < 0) {
				/* PKIX-TA/PKIX-EE: the chain must also verify
				 * to a trusted CA (RFC 6698 section 2.1.1). */
				out_whyf(out,
					 "verification failed before any "
					 "TLSA record matched: %s",
					 vt);
			} else {
				out_whyf(out,
					 "a TLSA record matched at depth %d, "
					 "but verification failed: %s",
					 depth, vt);
			}
		}
	} else {
		out->status = DK_ADDR_TLS_ONLY;
	}
}

static void sm_finish(struct dki_probe *p, int err)
{
	if (err < 0) {
		p->out.status = dki_addr_status(err);
	} else {
		if (p->hs_t0 > 0) {
			p->out.handshake = dki_mono() - p->hs_t0;
		}
		sm_verdict_of(p->ssl, p->dane, &p->out);
		dki_tls_goodbye(&p->c, p->ssl, p->proto);
	}
	p->state = SM_DONE;
	if (p->ev) {
		event_del(p->ev);
	}
	dki_conn_close(&p->c);
	SSL_free(p->ssl);
	p->ssl = NULL;
	ERR_clear_error();
	if (p->done) {
		p->done(p, p->arg);
	}
}

static void sm_cb(evutil_socket_t fd, short what, void *arg);

/* Wait for @events on the socket, or the deadline. */
static void sm_wait(struct dki_probe *p, short events)
{
	double left = p->c.deadline - dki_mono();
	struct timeval tv;

	if (left < 0) {
		left = 0;
	}
	tv.tv_sec = (time_t)left;
	tv.tv_usec = (suseconds_t)((left - (double)tv.tv_sec) * 1e6);
	if (p->ev) {
		event_free(p->ev);
	}
	p->ev = event_new(p->base, p->c.fd, events, sm_cb, p);
	if (!p->ev || event_add(p->ev, &tv) < 0) {
		sm_whyf(p, "cannot wait on the connection");
		p->out.nomem = 1;
		sm_finish(p, DK_EPROTO);
	}
}

static void set_banner(struct dki_probe *p)
{
	size_t n = strlen(p->first);

	if (n >= sizeof(p->out.banner)) {
		n = sizeof(p->out.banner) - 1;
	}
	memcpy(p->out.banner, p->first, n);
	p->out.banner[n] = '\0';
}

static const char *sm_phase(const struct dki_probe *p)
{
	switch (p->state) {
	case SM_GREETING:
		return "greeting";
	case SM_EHLO:
		return "EHLO";
	default:
		return "STARTTLS";
	}
}

/* Send a short command: 0, or the probe is finished. */
static int sm_send(struct dki_probe *p, const char *s)
{
	size_t len = strlen(s);
	ssize_t n = send(p->c.fd, s, len, MSG_NOSIGNAL);

	if (n == (ssize_t)len) {
		return 0;
	}
	/* a few bytes into an empty socket buffer: never partial */
	sm_whyf(p, "%s: %s", sm_phase(p),
		n < 0 ? strerror(errno) : "short write");
	sm_finish(p, DK_EPROTO);
	return -1;
}

/*
 * Take the complete lines of the buffer as lines of the reply being read:
 * 1 when the reply is complete, 0 when more is needed, or the probe is
 * finished (-1).
 */
static int sm_reply(struct dki_probe *p)
{
	for (;;) {
		char *nl = memchr(p->c.buf, '\n', p->c.len);
		char line[SM_LINE_MAX + 1];
		size_t l, k;

		if (!nl) {
			if (p->c.len >= SM_LINE_MAX ||
			    p->c.len >= sizeof(p->c.buf) - 1) {
				sm_whyf(p,
					"%s: the server closed the connection "
					"or sent an overlong line",
					sm_phase(p));
				sm_finish(p, DK_EPROTO);
				return -1;
			}
			return 0;
		}
		l = (size_t)(nl - p->c.buf);
		k = l;
		if (k && p->c.buf[k - 1] == '\r') {
			k--;
		}
		if (k > SM_LINE_MAX) {
			k = SM_LINE_MAX;
		}
		memcpy(line, p->c.buf, k);
		line[k] = '\0';
		memmove(p->c.buf, nl + 1, p->c.len - l - 1);
		p->c.len -= l + 1;
		if (p->nlines == 0) {
			snprintf(p->first, sizeof(p->first), "%s", line);
		}
		if (++p->nlines > SM_REPLY_LINES || strlen(line) < 3 ||
		    line[0] < '1' || line[0] > '5' || line[1] < '0' ||
		    line[1] > '9' || line[2] < '0' || line[2] > '9' ||
		    (line[3] && line[3] != '-' && line[3] != ' ')) {
			if (p->nlines <= SM_REPLY_LINES) {
				snprintf(p->first, sizeof(p->first), "%s",
					 line);
			}
			if (p->state == SM_GREETING) {
				set_banner(p);
				sm_whyf(p,
					"greeting is not an SMTP reply: "
					"\"%.200s\"",
					p->first);
			} else {
				sm_whyf(p, "%s: bad reply \"%.200s\"",
					sm_phase(p), p->first);
			}
			sm_finish(p, DK_EPROTO);
			return -1;
		}
		p->code = (line[0] - '0') * 100 + (line[1] - '0') * 10 +
			  (line[2] - '0');
		if (p->state == SM_EHLO && line[3]) {
			const char *t = line + 4;

			if (strcspn(t, " ") == 8 &&
			    strncasecmp(t, "STARTTLS", 8) == 0) {
				p->starttls_kw = 1;
			}
		}
		if (line[3] != '-') {
			p->nlines = 0;
			return 1;
		}
	}
}

/* A complete reply in the state of @p: the next step. */
static void sm_replied(struct dki_probe *p)
{
	char cmd[300];

	switch (p->state) {
	case SM_GREETING:
		set_banner(p);
		if (p->code != 220) {
			sm_whyf(p, "the server refuses the session: \"%.200s\"",
				p->first);
			sm_finish(p, DK_EPROTO);
			return;
		}
		snprintf(cmd, sizeof(cmd), "EHLO %s\r\n", p->ehlo);
		p->state = SM_EHLO;
		if (sm_send(p, cmd) == 0) {
			sm_wait(p, EV_READ);
		}
		return;
	case SM_EHLO:
		if (p->code != 250) {
			sm_whyf(p, "EHLO refused: \"%.200s\"", p->first);
			sm_finish(p, DK_EPROTO);
			return;
		}
		if (!p->starttls_kw) {
			sm_whyf(p, "the server does not offer STARTTLS in "
				   "its EHLO reply");
			(void)send(p->c.fd, "QUIT\r\n", 6, MSG_NOSIGNAL);
			sm_finish(p, DK_ENOSTARTTLS);
			return;
		}
		p->state = SM_STARTTLS;
		if (sm_send(p, "STARTTLS\r\n") == 0) {
			sm_wait(p, EV_READ);
		}
		return;
	default:
		if (p->code != 220) {
			sm_whyf(p, "STARTTLS refused: \"%.200s\"", p->first);
			sm_finish(p, DK_ENOSTARTTLS);
			return;
		}
		/*
		 * Plaintext sent after the go-ahead would be read as if it
		 * came through TLS by a careless client (CVE-2011-0411); we
		 * drop it.
		 */
		p->c.len = 0;
		p->state = SM_HANDSHAKE;
		p->hs_t0 = dki_mono();
		if (!SSL_set_fd(p->ssl, p->c.fd)) {
			char rb[256];

			sm_whyf(p, "SSL_set_fd: %s",
				dki_openssl_reason(rb, sizeof(rb)));
			sm_finish(p, DK_ETLS);
			return;
		}
		sm_wait(p, EV_WRITE);
		return;
	}
}

static void sm_handshake(struct dki_probe *p)
{
	int r, e;

	ERR_clear_error();
	errno = 0;
	r = SSL_connect(p->ssl);
	if (r == 1) {
		sm_finish(p, 0);
		return;
	}
	e = SSL_get_error(p->ssl, r);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
		sm_wait(p, e == SSL_ERROR_WANT_READ ? EV_READ : EV_WRITE);
		return;
	}
	if (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) {
		sm_whyf(p, "TLS handshake: %s",
			errno ? strerror(errno)
			      : "the server closed the connection");
	} else {
		char rb[256];

		sm_whyf(p, "TLS handshake failed: %s",
			dki_openssl_reason(rb, sizeof(rb)));
	}
	sm_finish(p, DK_ETLS);
}

static void sm_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dki_probe *p = arg;

	(void)fd;
	if (p->state == SM_DONE) {
		/* failed at the start: reported from the loop */
		if (p->done) {
			p->done(p, p->arg);
		}
		return;
	}
	if (what & EV_TIMEOUT) {
		switch (p->state) {
		case SM_CONNECT:
			sm_whyf(p, "connect: no answer within the time-out");
			break;
		case SM_HANDSHAKE:
			sm_whyf(p, "TLS handshake: no progress within the "
				   "time-out");
			break;
		default:
			sm_whyf(p, "%s: no answer within the time-out",
				sm_phase(p));
			break;
		}
		sm_finish(p, DK_ETIMEDOUT);
		return;
	}
	switch (p->state) {
	case SM_CONNECT: {
		int err = 0;
		socklen_t elen = sizeof(err);

		if (getsockopt(p->c.fd, SOL_SOCKET, SO_ERROR, &err, &elen) <
			    0 ||
		    err != 0) {
			err = err ? err : errno;
			sm_whyf(p, "connect: %s", strerror(err));
			sm_finish(p, err == ETIMEDOUT ? DK_ETIMEDOUT
						      : DK_ECONNREFUSED);
			return;
		}
		if (p->proto == DK_STARTTLS_SMTP) {
			p->state = SM_GREETING;
			sm_wait(p, EV_READ);
		} else {
			p->state = SM_HANDSHAKE;
			p->hs_t0 = dki_mono();
			if (!SSL_set_fd(p->ssl, p->c.fd)) {
				sm_whyf(p, "SSL_set_fd failed");
				sm_finish(p, DK_ETLS);
				return;
			}
			sm_handshake(p);
		}
		return;
	}
	case SM_GREETING:
	case SM_EHLO:
	case SM_STARTTLS: {
		ssize_t n = recv(p->c.fd, p->c.buf + p->c.len,
				 sizeof(p->c.buf) - 1 - p->c.len, 0);
		int r;

		if (n == 0 || (n < 0 && errno != EAGAIN &&
			       errno != EWOULDBLOCK && errno != EINTR)) {
			if (n == 0) {
				sm_whyf(p,
					"%s: the server closed the "
					"connection or sent an overlong line",
					sm_phase(p));
			} else {
				sm_whyf(p, "%s: %s", sm_phase(p),
					strerror(errno));
			}
			if (p->state == SM_GREETING && p->first[0]) {
				set_banner(p);
			}
			sm_finish(p, DK_EPROTO);
			return;
		}
		if (n > 0) {
			p->c.len += (size_t)n;
		}
		r = sm_reply(p);
		if (r == 1) {
			sm_replied(p);
		} else if (r == 0) {
			sm_wait(p, EV_READ);
		}
		return;
	}
	case SM_HANDSHAKE:
		sm_handshake(p);
		return;
	default:
		return;
	}
}

/*
 * Start a probe on @base: @ssl (set up for the host, owned by the probe
 * from now on) over a connection to @address port @port, @proto
 * DK_STARTTLS_SMTP or DK_STARTTLS_NONE. @done runs from the loop (never
 * from within this call) with the outcome in p->out; the caller then
 * frees the probe with probe_sm_free(). 0, or DK_ENOMEM (@ssl freed).
 */
int probe_sm_start(struct event_base *base, SSL *ssl, const char *address,
		   unsigned port, enum dk_starttls proto, int dane,
		   const char *ehlo, double timeout,
		   void (*done)(struct dki_probe *p, void *arg), void *arg,
		   struct dki_probe **ret)
{
	struct dki_probe *p = calloc(1, sizeof(*p));
	struct addrinfo hints, *ai = NULL;
	char svc[8];
	int fd, r;

	if (!p) {
		SSL_free(ssl);
		return DK_ENOMEM;
	}
	p->base = base;
	p->ssl = ssl;
	p->proto = proto;
	p->dane = dane;
	p->done = done;
	p->arg = arg;
	p->c.fd = -1;
	p->c.deadline = dki_mono() + timeout;
	p->out.match_record = -1;
	p->out.match_depth = -1;
	snprintf(p->ehlo, sizeof(p->ehlo), "%s", ehlo);
	*ret = p;
	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(svc, sizeof(svc), "%u", port);
	r = getaddrinfo(address, svc, &hints, &ai);
	if (r != 0 || !ai) {
		sm_whyf(p, "bad address %s: %s", address, gai_strerror(r));
		goto fail;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
	if (fd < 0) {
		sm_whyf(p, "cannot make a socket: %s", strerror(errno));
		freeaddrinfo(ai);
		goto fail;
	}
	p->c.fd = fd;
	r = connect(fd, ai->ai_addr, ai->ai_addrlen);
	freeaddrinfo(ai);
	if (r < 0 && errno != EINPROGRESS) {
		sm_whyf(p, "connect: %s", strerror(errno));
		goto fail;
	}
	/* connected or not, the first step runs from the loop */
	sm_wait(p, EV_WRITE);
	return 0;
fail:
	/* reported from the loop, like any other outcome */
	p->out.status = DK_ADDR_UNREACHABLE;
	p->state = SM_DONE;
	dki_conn_close(&p->c);
	SSL_free(p->ssl);
	p->ssl = NULL;
	p->ev = event_new(base, -1, 0, sm_cb, p);
	if (!p->ev) {
		p->out.nomem = 1;
		return 0;
	}
	event_active(p->ev, EV_TIMEOUT, 1);
	return 0;
}

void probe_sm_free(struct dki_probe *p)
{
	if (!p) {
		return;
	}
	if (p->ev) {
		event_free(p->ev);
	}
	dki_conn_close(&p->c);
	SSL_free(p->ssl);
	sk_X509_pop_free(p->out.chain, X509_free);
	free(p->out.md);
	free(p);
}

/* The outcome of a finished probe, moved to @out. */
void probe_sm_take(struct dki_probe *p, struct probe_out *out)
{
	*out = p->out;
	p->out.chain = NULL;
	p->out.md = NULL;
}

/*
 * The key of a probe in the cache of a scan: everything its outcome
 * depends on (address, port, the exchange, the key types offered, the
 * names and records given to OpenSSL, the moment of the checks).
 */
static char *probe_key(struct ck *k, const struct dk_dane_host *h,
		       const char *address, unsigned port,
		       enum dk_starttls proto, const char *sigalgs,
		       const char *sni, const char *other)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f) {
		return NULL;
	}
	fprintf(f, "%s|%u|%d|%s|%s|%s|%s|%d|%d|%lld|", address, port,
		(int)proto, sigalgs ? sigalgs : "-", sni, other ? other : "-",
		k->o.ehlo_name ? k->o.ehlo_name : "-", h->dane,
		(int)k->r->service, (long long)k->o.at);
	for (size_t i = 0; h->dane && i < h->nrecords; i++) {
		char tb[300];

		if (h->records[i].usable) {
			fprintf(f, "%s;",
				tlsa_text(h->records[i].tlsa, tb, sizeof(tb)));
		}
	}
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

static void sync_done(struct dki_probe *p, void *arg)
{
	(void)p;
	*(int *)arg = 1;
}

void probe_core(struct ck *k, long hi, const char *address, unsigned port,
		enum dk_starttls proto, const char *sigalgs,
		struct probe_out *out)
{
	struct dk_dane_host *h = &k->r->hosts[hi];
	char sni[260];
	SSL *ssl = NULL;
	const char *ehlo = k->o.ehlo_name ? k->o.ehlo_name : "danekit.invalid";
	const char *base = h->tlsa_base ? h->tlsa_base : h->name;
	const char *o = NULL;

	memset(out, 0, sizeof(*out));
	out->match_record = -1;
	out->match_depth = -1;
	ssl = SSL_new(k->ctx);
	if (!ssl || (sigalgs && !SSL_set1_sigalgs_list(ssl, sigalgs))) {
		out->status = DK_ADDR_TLS_FAILED;
		snprintf(out->why, sizeof(out->why),
			 "cannot set up the TLS connection");
		SSL_free(ssl);
		ERR_clear_error();
		return;
	}
	no_dot(base, sni, sizeof(sni));
	if (h->dane) {
		long *refused = calloc(h->nrecords + 1, sizeof(*refused));
		size_t nrefused = 0;

		if (h->cname && h->addr_status == DK_DNSSEC_SECURE) {
			o = strcasecmp(base, h->cname) == 0 ? h->name
							    : h->cname;
		}
		if (!refused ||
		    dki_dane_ssl_enable(ssl, base, o, h->records, h->nrecords,
					refused, &nrefused) < 0) {
			free(refused);
			out->status = DK_ADDR_TLS_FAILED;
			snprintf(out->why, sizeof(out->why),
				 "SSL_dane_enable failed");
			SSL_free(ssl);
			ERR_clear_error();
			return;
		}
		for (size_t i = 0; i < nrefused; i++) {
			char tb[300];

			finding(k, hi, DK_DANE_WARNING, "tlsa-refused",
				"RFC 6698 section 2.1", h->tlsa_owner,
				tlsa_text(h->records[refused[i]].tlsa, tb,
					  sizeof(tb)),
				"check the length of the association data for "
				"its "
				"matching type",
				"OpenSSL cannot use the record %s", tb);
		}
		free(refused);
	} else if (!h->ip_literal) {
		SSL_set_tlsext_host_name(ssl, sni);
		if (k->r->service == DK_DANE_SERVICE_TLS) {
			/* Reported for information: would PKIX accept it? */
			SSL_set1_host(ssl, sni);
		}
	}
	if (k->o.at) {
		X509_VERIFY_PARAM_set_time(SSL_get0_param(ssl), k->o.at);
	}
	X509_VERIFY_PARAM_set_hostflags(SSL_get0_param(ssl),
					X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	if (proto != DK_STARTTLS_SMTP && proto != DK_STARTTLS_NONE) {
		probe_blocking(k, address, port, proto, ssl, h->dane, out);
	} else if (k->job) {
		char *key =
			probe_key(k, h, address, port, proto, sigalgs, sni, o);

		if (!key) {
			k->nomem = 1;
			SSL_free(ssl);
			out->status = DK_ADDR_TLS_FAILED;
			return;
		}
		/* from the cache of the scan, or started and awaited */
		scan_probe(k, key, ssl, address, port, proto, h->dane, ehlo,
			   out);
		free(key);
	} else {
		/* a loop of its own, run until the probe is done */
		struct event_base *eb = event_base_new();
		struct dki_probe *p = NULL;
		int done = 0;

		if (!eb ||
		    probe_sm_start(eb, ssl, address, port, proto, h->dane, ehlo,
				   k->timeout, sync_done, &done, &p) < 0) {
			if (!eb) {
				SSL_free(ssl);
			}
			event_base_free(eb);
			k->nomem = 1;
			out->status = DK_ADDR_TLS_FAILED;
			snprintf(out->why, sizeof(out->why), "out of memory");
			return;
		}
		while (!done && event_base_loop(eb, EVLOOP_ONCE) >= 0) {
		}
		probe_sm_take(p, out);
		probe_sm_free(p);
		event_base_free(eb);
	}
	if (out->status == DK_ADDR_TLS_FAILED && out->version[0] == '\0' &&
	    !out->missed && !sigalgs && k->ext && k->ext->old_version) {
		/* the mail audit: which obsolete version does it insist on? */
		old_tls_probe(k, hi, address, port, proto, sni);
	}
	if (out->nomem) {
		k->nomem = 1;
	}
	if (out->md) {
		out->match_record = record_index(h, out->mu, out->ms, out->mm,
						 out->md, out->mdl);
		free(out->md);
		out->md = NULL;
	}
	ERR_clear_error();
}

static void fill_chain(struct ck *k, STACK_OF(X509) * chain,
		       struct dk_dane_cert **ret, size_t *ret_n)
{
	int n = chain ? sk_X509_num(chain) : 0;

	*ret = NULL;
	*ret_n = 0;
	if (n <= 0) {
		return;
	}
	*ret = calloc((size_t)n, sizeof(**ret));
	if (!*ret) {
		k->nomem = 1;
		return;
	}
	for (int i = 0; i < n; i++) {
		if (dki_cert_info(sk_X509_value(chain, i), &(*ret)[*ret_n]) ==
		    0) {
			(*ret_n)++;
		} else {
			k->nomem = 1;
		}
	}
}

/*
 * Probe one address; the presented chain goes to *@ret_chain (caller
 * frees) for the lint. For a DANE host the other key types are tried too
 * (a server with an RSA and an ECDSA key shows each to different clients):
 * their chains are appended to @extra.
 */
void probe(struct ck *k, long hi, struct dk_dane_addr *ad,
	   enum dk_starttls proto, STACK_OF(X509) * *ret_chain,
	   STACK_OF(X509) * *extra, size_t *nextra)
{
	struct dk_dane_host *h = &k->r->hosts[hi];
	struct probe_out po;
	enum keytype seen;

	*ret_chain = NULL;
	probe_core(k, hi, ad->address, ad->port, proto, NULL, &po);
	ad->status = po.status;
	set_str(k, &ad->why,
		po.why[0] && po.status != DK_ADDR_VERIFIED &&
				po.status != DK_ADDR_TLS_ONLY
			? po.why
			: NULL);
	set_str(k, &ad->banner, po.banner[0] ? po.banner : NULL);
	if (!po.version[0]) {
		return;
	}
	set_str(k, &ad->tls_version, po.version);
	set_str(k, &ad->cipher, po.cipher);
	ad->handshake_seconds = po.handshake;
	ad->verify_code = po.verify_code;
	if (h->dane || k->r->service == DK_DANE_SERVICE_TLS) {
		set_str(k, &ad->verify_text,
			X509_verify_cert_error_string(po.verify_code));
	}
	ad->match_record = po.match_record;
	ad->match_depth = po.match_depth;
	if (po.match_record >= 0 && po.status == DK_ADDR_VERIFIED) {
		h->records[po.match_record].matches++;
	}
	fill_chain(k, po.chain, &ad->chain, &ad->nchain);
	*ret_chain = po.chain;
	if (!h->dane || !po.chain) {
		return;
	}
	seen = key_type(sk_X509_value(po.chain, 0));
	for (int t = KT_ECDSA; t < KT_COUNT; t++) {
		struct probe_out ao;
		struct dk_dane_alt *na, *alt;
		X509 *leaf;

		if (t == (int)seen) {
			continue;
		}
		probe_core(k, hi, ad->address, ad->port, proto,
			   keytypes[t].sigalgs, &ao);
		leaf = ao.chain ? sk_X509_value(ao.chain, 0) : NULL;
		if (!leaf || key_type(leaf) != (enum keytype)t ||
		    X509_cmp(leaf, sk_X509_value(po.chain, 0)) == 0) {
			/* No certificate of that key type. */
			sk_X509_pop_free(ao.chain, X509_free);
			continue;
		}
		na = realloc(ad->alts, (ad->nalts + 1) * sizeof(*na));
		if (!na) {
			k->nomem = 1;
			sk_X509_pop_free(ao.chain, X509_free);
			continue;
		}
		ad->alts = na;
		alt = &ad->alts[ad->nalts++];
		memset(alt, 0, sizeof(*alt));
		alt->key_type = keytypes[t].name;
		alt->status = ao.status;
		alt->why = xstrdup(k, ao.status != DK_ADDR_VERIFIED ? ao.why
								    : NULL);
		alt->match_record = ao.match_record;
		alt->match_depth = ao.match_depth;
		if (ao.match_record >= 0 && ao.status == DK_ADDR_VERIFIED) {
			h->records[ao.match_record].matches++;
		}
		fill_chain(k, ao.chain, &alt->chain, &alt->nchain);
		extra[(*nextra)++] = ao.chain;
	}
}
