/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Offline, table-driven DANE vectors (tests/dane/vectors/vectors.in, in
 * the style of OpenSSL's danetest.in), run through the MTA seam: an RRset
 * with the case's DNSSEC views (the same rule of trust as a lookup), a
 * peer, dk_dane_peer_enable() on an SSL, the presented chain verified by
 * OpenSSL's own DANE verifier as a handshake would (X509_verify_cert()
 * with the SSL's DANE state, as danetest.c does), then
 * dk_dane_ssl_authenticated(). No network.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include "dane/internal.h"
#include "dnssec/internal.h"

static const char *dir(void)
{
	const char *d = getenv("DK_DANE_VECTORS");

	cr_assert(d && *d, "DK_DANE_VECTORS is not set (run through meson)");
	return d;
}

static X509 *load_cert(const char *name)
{
	char path[1024];
	FILE *f;
	X509 *x;

	snprintf(path, sizeof(path), "%s/%s.pem", dir(), name);
	f = fopen(path, "r");
	cr_assert(f, "%s", path);
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	cr_assert(x, "%s is no certificate", path);
	return x;
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t') {
		s++;
	}
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n')) {
		*--e = '\0';
	}
	return s;
}

static enum dk_dnssec_status status_of(const char *s)
{
	if (!strcmp(s, "secure")) {
		return DK_DNSSEC_SECURE;
	}
	if (!strcmp(s, "insecure")) {
		return DK_DNSSEC_INSECURE;
	}
	if (!strcmp(s, "bogus")) {
		return DK_DNSSEC_BOGUS;
	}
	cr_assert_str_eq(s, "indeterminate", "unknown status %s", s);
	return DK_DNSSEC_INDETERMINATE;
}

/*
 * The chain as a handshake's certificate check sees it: the leaf and the
 * untrusted rest, with the SSL's verification parameters and DANE state
 * (what ssl_verify_cert_chain() does). The result goes back into the SSL.
 */
static void verify_offline(SSL *ssl, STACK_OF(X509) * chain)
{
	X509_STORE *store = SSL_CTX_get_cert_store(SSL_get_SSL_CTX(ssl));
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();

	cr_assert(ctx);
	cr_assert(X509_STORE_CTX_init(ctx, store, sk_X509_value(chain, 0),
				      chain) == 1);
	X509_STORE_CTX_set_ex_data(ctx, SSL_get_ex_data_X509_STORE_CTX_idx(),
				   ssl);
	X509_STORE_CTX_set_default(ctx, "ssl_server");
	X509_VERIFY_PARAM_set1(X509_STORE_CTX_get0_param(ctx),
			       SSL_get0_param(ssl));
	X509_STORE_CTX_set0_dane(ctx, SSL_get0_dane(ssl));
	X509_verify_cert(ctx);
	SSL_set_verify_result(ssl, X509_STORE_CTX_get_error(ctx));
	X509_STORE_CTX_free(ctx);
	ERR_clear_error();
}

/* One case; 0 when it behaved as written, else -1 with @why. */
static int run_case(char *line, char *why, size_t whylen, const char **name)
{
	char *f[7], *save = NULL, *p;
	enum dk_dnssec_status rs, cs;
	struct dk_tlsa **recs = NULL;
	struct dk_tlsa_rrset *set = NULL;
	struct dk_dane_peer *peer = NULL;
	STACK_OF(X509) *chain = sk_X509_new_null();
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	SSL *ssl;
	size_t nrecs = 0;
	int added, auth, depth = -1, want_depth, rc = 0;
	enum dk_dane_peer_state st;

	for (int i = 0; i < 7; i++) {
		f[i] = strtok_r(i ? NULL : line, "|", &save);
		cr_assert(f[i], "a case needs 7 fields: %s", line);
		f[i] = trim(f[i]);
	}
	*name = f[0];
	/* STATUS: one view for both, or RESOLVER/CHAIN */
	p = strchr(f[1], '/');
	if (p) {
		*p++ = '\0';
		rs = status_of(f[1]);
		cs = status_of(p);
	} else {
		rs = cs = status_of(f[1]);
	}
	/* RECORDS */
	for (char *r = strtok_r(f[6], ";", &save); r;
	     r = strtok_r(NULL, ";", &save)) {
		struct dk_diag d = { "" };

		recs = realloc(recs, (nrecs + 1) * sizeof(*recs));
		cr_assert(recs);
		cr_assert_eq(dk_tlsa_parse(trim(r), &recs[nrecs], NULL, &d), 0,
			     "%s: bad record '%s': %s", f[0], r, d.why);
		nrecs++;
	}
	/* CHAIN */
	for (char *c = strtok_r(f[3], " ", &save); c;
	     c = strtok_r(NULL, " ", &save)) {
		cr_assert(sk_X509_push(chain, load_cert(c)) > 0);
	}
	cr_assert_eq(dki_tlsa_rrset_new("_25._tcp.mail.example.test.", recs,
					nrecs, rs, cs, "the case's view", &set),
		     0);
	/* the one place that decides: nothing usable unless secure */
	if (dk_tlsa_rrset_status(set) != DK_DNSSEC_SECURE) {
		for (size_t i = 0; i < nrecs; i++) {
			if (dk_dane_record_usable(set, i,
						  DK_DANE_SERVICE_SMTP) != 0) {
				snprintf(why, whylen,
					 "record %zu is usable in a set that "
					 "is not secure",
					 i);
				rc = -1;
			}
		}
	}
	cr_assert_eq(dki_dane_peer_offline(f[2], set, &peer), 0);
	st = dk_dane_peer_state(peer);

	cr_assert(ctx);
	cr_assert_eq(dk_dane_ctx_enable(ctx), 0);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	ssl = SSL_new(ctx);
	cr_assert(ssl);
	added = dk_dane_peer_enable(peer, ssl, NULL);
	verify_offline(ssl, chain);
	auth = dk_dane_ssl_authenticated(ssl, &depth);
	want_depth = strcmp(f[5], "-") ? atoi(f[5]) : -1;

	if (rc < 0) {
		/* said already */
	} else if (!strcmp(f[4], "verified") || !strcmp(f[4], "failed")) {
		int verified = !strcmp(f[4], "verified");

		if (st != DK_DANE_PEER_DANE || added <= 0) {
			snprintf(why, whylen,
				 "DANE should apply: peer %s, %d "
				 "records added",
				 dk_dane_peer_state_name(st), added);
			rc = -1;
		} else if (auth != verified) {
			snprintf(why, whylen, "%s expected, got %s (%s)", f[4],
				 auth ? "verified" : "failed",
				 X509_verify_cert_error_string(
					 SSL_get_verify_result(ssl)));
			rc = -1;
		} else if (verified && depth != want_depth) {
			snprintf(why, whylen, "depth %d expected, got %d",
				 want_depth, depth);
			rc = -1;
		}
	} else if (!strcmp(f[4], "no-dane") || !strcmp(f[4], "defer")) {
		int defer = !strcmp(f[4], "defer");

		if (defer ? (st != DK_DANE_PEER_FAILED &&
			     st != DK_DANE_PEER_TEMPFAIL)
			  : st != DK_DANE_PEER_NO_DANE) {
			snprintf(why, whylen, "%s expected, peer is %s", f[4],
				 dk_dane_peer_state_name(st));
			rc = -1;
		} else if (added != 0 || auth != 0) {
			snprintf(why, whylen,
				 "never verified: %d records added, "
				 "authenticated %d",
				 added, auth);
			rc = -1;
		}
	} else {
		cr_assert_fail("%s: unknown EXPECT '%s'", f[0], f[4]);
	}
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	sk_X509_pop_free(chain, X509_free);
	for (size_t i = 0; i < nrecs; i++) {
		dk_tlsa_free(recs[i]);
	}
	free(recs);
	dk_dane_peer_free(peer);
	return rc;
}

Test(dane_vectors, all_cases)
{
	char path[1024], line[8192], why[512];
	size_t ncases = 0, nfailed = 0;
	char *failed = NULL;
	size_t flen = 0;
	FILE *out = open_memstream(&failed, &flen);
	FILE *f;

	snprintf(path, sizeof(path), "%s/vectors.txt", dir());
	f = fopen(path, "r");
	cr_assert(f, "%s", path);
	while (fgets(line, sizeof(line), f)) {
		const char *name = "?";
		char *l = trim(line);

		if (!*l || *l == '#') {
			continue;
		}
		ncases++;
		why[0] = '\0';
		if (run_case(l, why, sizeof(why), &name) < 0) {
			nfailed++;
			fprintf(out, "\n  %s: %s", name, why);
		}
	}
	fclose(f);
	fclose(out);
	cr_expect_eq(nfailed, 0, "%zu of %zu cases failed:%s", nfailed, ncases,
		     failed);
	cr_assert_geq(ncases, 30, "only %zu cases read", ncases);
	free(failed);
}

/* The seam with NULL and invalid arguments. */
Test(dane_vectors, seam_invalid_arguments)
{
	struct dk_dane_peer *p = (void *)1;
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	SSL *ssl = SSL_new(ctx);

	cr_assert_eq(dk_dane_smtp_peer(NULL, "a.example", &p, NULL), DK_EINVAL);
	cr_assert_eq(p, (void *)1, "output touched on failure");
	cr_assert_eq(dk_dane_record_usable(NULL, 0, DK_DANE_SERVICE_SMTP),
		     DK_EINVAL);
	cr_assert_eq(dk_dane_peer_enable(NULL, ssl, NULL), DK_EINVAL);
	cr_assert_eq(dk_dane_ssl_authenticated(NULL, NULL), DK_EINVAL);
	cr_assert_eq(dk_dane_ctx_enable(NULL), DK_EINVAL);
	cr_assert_eq(dk_dane_peer_state(NULL), DK_DANE_PEER_UNKNOWN);
	cr_assert_null(dk_dane_peer_why(NULL));
	cr_assert_eq(dk_dane_peer_usable_count(NULL), 0);
	cr_assert_null(dk_dane_peer_usable(NULL, 0));
	cr_assert_null(dk_dane_peer_address(NULL, 0));
	cr_assert_eq(dk_tlsa_rrset_status(NULL), DK_DNSSEC_INDETERMINATE);
	cr_assert_eq(dk_tlsa_rrset_count(NULL), 0);
	cr_assert_null(dk_tlsa_rrset_get0(NULL, 0));
	cr_assert_eq(dk_tlsa_lookup(NULL, "a.example", NULL, NULL), DK_EINVAL);
	/* a new SSL without DANE has never authenticated anything */
	cr_assert_eq(dk_dane_ssl_authenticated(ssl, NULL), 0);
	dk_dane_peer_free(NULL);
	dk_tlsa_rrset_free(NULL);
	SSL_free(ssl);
	SSL_CTX_free(ctx);
}
