/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The MTA seam against the lab, as an MTA would use it: dk_dane_smtp_peer()
 * for an MX host, then its own SSL with dk_dane_peer_enable(), STARTTLS to
 * the lab's Postfix and the handshake, then dk_dane_ssl_authenticated().
 * What each lab host must give is the lab's design (testzones/lab), which
 * posttls-finger confirms host by host (tests/interop).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "dane/internal.h"
#include "helpers.h"

static struct dk_resolver *resolver(void)
{
	const struct dt_lab *lab = dt_lab();
	struct dk_resolver_opts o = { 0 };
	struct dk_resolver *r = NULL;
	struct dk_diag d = { "" };

	o.unbound_conf = lab->conf;
	o.timeout = 10;
	cr_assert_eq(dk_resolver_new(&o, &r, &d), 0, "%s", d.why);
	return r;
}

static struct dk_dane_peer *peer(struct dk_resolver *r, const char *host,
				 enum dk_dane_peer_state want)
{
	struct dk_dane_peer *p = NULL;
	struct dk_diag d = { "" };

	cr_assert_eq(dk_dane_smtp_peer(r, host, &p, &d), 0, "%s: %s", host,
		     d.why);
	cr_assert_eq(dk_dane_peer_state(p), want, "%s: %s (%s), want %s", host,
		     dk_dane_peer_state_name(dk_dane_peer_state(p)),
		     dk_dane_peer_why(p), dk_dane_peer_state_name(want));
	cr_assert(dk_dane_peer_why(p) && *dk_dane_peer_why(p));
	return p;
}

/*
 * STARTTLS and a handshake with the first IPv4 address of @p on @ssl.
 * Returns dk_dane_ssl_authenticated().
 */
static int handshake(const struct dk_dane_peer *p, SSL *ssl, int *depth)
{
	const struct dt_lab *lab = dt_lab();
	const char *addr = NULL;
	struct dki_conn c;
	char banner[256], why[256];

	for (size_t i = 0; i < dk_dane_peer_address_count(p); i++) {
		if (!strchr(dk_dane_peer_address(p, i), ':')) {
			addr = dk_dane_peer_address(p, i);
			break;
		}
	}
	cr_assert(addr, "%s has no IPv4 address", dk_dane_peer_host(p));
	cr_assert_eq(dki_conn_open(&c, addr, lab->smtp_port, dki_mono() + 10,
				   why, sizeof(why)),
		     0, "%s: %s", addr, why);
	cr_assert_eq(dki_starttls(&c, DK_STARTTLS_SMTP, "mta.example",
				  "example", banner, sizeof(banner), why,
				  sizeof(why)),
		     0, "%s: %s", addr, why);
	cr_assert_eq(dki_tls_handshake(&c, ssl, why, sizeof(why)), 0, "%s: %s",
		     addr, why);
	dki_conn_close(&c);
	return dk_dane_ssl_authenticated(ssl, depth);
}

static void dane_host(const char *host, int want_auth, int want_depth)
{
	struct dk_resolver *r = resolver();
	struct dk_dane_peer *p = peer(r, host, DK_DANE_PEER_DANE);
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	SSL *ssl;
	int depth = -2;
	char base[300];

	cr_assert_gt(dk_dane_peer_usable_count(p), 0);
	snprintf(base, sizeof(base), "%s.", host);
	cr_assert_str_eq(dk_dane_peer_base(p), base);
	cr_assert_eq(dk_tlsa_rrset_status(dk_dane_peer_get0_rrset(p)),
		     DK_DNSSEC_SECURE);
	cr_assert_eq(dk_dane_ctx_enable(ctx), 0);
	ssl = SSL_new(ctx);
	cr_assert_gt(dk_dane_peer_enable(p, ssl, NULL), 0);
	cr_assert_eq(handshake(p, ssl, &depth), want_auth, "%s", host);
	if (want_auth) {
		cr_assert_eq(depth, want_depth, "%s: depth %d", host, depth);
	}
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	dk_dane_peer_free(p);
	dk_resolver_free(r);
}

Test(dane_peer, dane_ee_authenticates)
{
	dane_host("mail.dane-ok.test", 1, 0);
}

Test(dane_peer, dane_ta_authenticates)
{
	dane_host("mail.dane-ta.test", 1, 1);
}

Test(dane_peer, mismatch_never_authenticates)
{
	dane_host("mail.mismatch.test", 0, -1);
}

/* No DANE, or a failure: dk_dane_peer_enable() adds nothing. */
static void not_dane(const char *host, enum dk_dane_peer_state want)
{
	struct dk_resolver *r = resolver();
	struct dk_dane_peer *p = peer(r, host, want);
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	SSL *ssl = SSL_new(ctx);

	cr_assert_eq(dk_dane_peer_usable_count(p), 0, "%s", host);
	cr_assert_null(dk_dane_peer_base(p));
	cr_assert_eq(dk_dane_peer_enable(p, ssl, NULL), 0, "%s", host);
	cr_assert_eq(dk_dane_ssl_authenticated(ssl, NULL), 0);
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	dk_dane_peer_free(p);
	dk_resolver_free(r);
}

Test(dane_peer, insecure_zone_is_no_dane)
{
	not_dane("mail.insecure.test", DK_DANE_PEER_NO_DANE);
}

Test(dane_peer, unusable_records_are_no_dane)
{
	not_dane("mail.pkix-only.test", DK_DANE_PEER_NO_DANE);
}

Test(dane_peer, bogus_tlsa_is_a_failure)
{
	not_dane("mail.tampered.test", DK_DANE_PEER_FAILED);
}

Test(dane_peer, bogus_addresses_are_a_failure)
{
	not_dane("mail.expired.test", DK_DANE_PEER_FAILED);
}

/* The getters of a report's arrays give the elements, and NULL past the
 * end or for NULL. */
Test(dane_peer, report_getters)
{
	struct dk_resolver *r = resolver();
	struct dk_dane_report *rep = NULL;
	const struct dk_dane_host *h;
	const struct dk_dane_addr *a;
	struct dk_dane_opts o = { 0 };

	o.connect_port = dt_lab()->smtp_port;
	cr_assert_eq(dk_dane_check_smtp(r, "dane-ok.test", &o, &rep, NULL), 0);
	cr_assert_eq(rep->verdict, DK_DANE_VALID, "%s", rep->why);
	h = dk_dane_report_host(rep, 0);
	cr_assert_eq(h, &rep->hosts[0]);
	cr_assert_null(dk_dane_report_host(rep, rep->nhosts));
	cr_assert_eq(dk_dane_host_record(h, 0), &h->records[0]);
	cr_assert_null(dk_dane_host_record(h, h->nrecords));
	a = dk_dane_host_addr(h, 0);
	cr_assert_eq(a, &h->addrs[0]);
	cr_assert_null(dk_dane_host_addr(h, h->naddrs));
	cr_assert_eq(dk_dane_addr_cert(a, 0), &a->chain[0]);
	cr_assert_null(dk_dane_addr_cert(a, a->nchain));
	cr_assert_null(dk_dane_addr_alt(a, a->nalts));
	cr_assert_null(dk_dane_report_finding(rep, rep->nfindings));
	cr_assert_null(dk_dane_report_host(NULL, 0));
	cr_assert_null(dk_dane_host_addr(NULL, 0));
	cr_assert_null(dk_dane_alt_cert(NULL, 0));
	cr_assert_null(dk_rollover_report_record(NULL, 0));
	cr_assert_null(dk_rollover_report_server(NULL, 0));
	/* a zero-filled report reads as "unknown", never "valid" */
	{
		struct dk_dane_report zero = { 0 };
		struct dk_dane_addr za = { 0 };

		cr_assert_str_eq(dk_dane_verdict_name(zero.verdict), "unknown");
		cr_assert_str_eq(dk_dane_addr_status_name(za.status),
				 "unknown");
	}
	dk_dane_report_free(rep);
	dk_resolver_free(r);
}
