/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The probe: a connection to one address of a host, the exchange before
 * TLS, the handshake with OpenSSL's DANE verifier, and what it gave.
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

void probe_core(struct ck *k, long hi, const char *address, unsigned port,
		enum dk_starttls proto, const char *sigalgs,
		struct probe_out *out)
{
	struct dk_dane_host *h = &k->r->hosts[hi];
	struct dki_conn c;
	char sni[260];
	int e;
	STACK_OF(X509) * chain;
	SSL *ssl = NULL;
	const char *ehlo = k->o.ehlo_name ? k->o.ehlo_name : "danekit.invalid";
	const char *base = h->tlsa_base ? h->tlsa_base : h->name;
	double deadline = dki_mono() + k->timeout;

	memset(out, 0, sizeof(*out));
	out->match_record = -1;
	out->match_depth = -1;
	e = dki_conn_open(&c, address, port, deadline, out->why,
			  sizeof(out->why));
	if (e < 0) {
		out->status = dki_addr_status(e);
		return;
	}
	e = dki_starttls(&c, proto, ehlo, k->r->domain, out->banner,
			 sizeof(out->banner), out->why, sizeof(out->why));
	if (e < 0) {
		out->status = dki_addr_status(e);
		dki_conn_close(&c);
		return;
	}
	ssl = SSL_new(k->ctx);
	if (!ssl || (sigalgs && !SSL_set1_sigalgs_list(ssl, sigalgs))) {
		out->status = DK_ADDR_TLS_FAILED;
		snprintf(out->why, sizeof(out->why),
			 "cannot set up the TLS connection");
		goto out;
	}
	no_dot(base, sni, sizeof(sni));
	if (h->dane) {
		const char *o = NULL;
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
			goto out;
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
	e = dki_tls_handshake(&c, ssl, out->why, sizeof(out->why));
	if (e < 0) {
		out->status = dki_addr_status(e);
		if (e == DK_ETLS && !sigalgs && k->ext && k->ext->old_version) {
			SSL_free(ssl);
			ssl = NULL;
			dki_conn_close(&c);
			old_tls_probe(k, hi, address, port, proto, sni);
		}
		goto out;
	}
	snprintf(out->version, sizeof(out->version), "%s",
		 SSL_get_version(ssl));
	snprintf(out->cipher, sizeof(out->cipher), "%s",
		 SSL_get_cipher_name(ssl));
	chain = SSL_get_peer_cert_chain(ssl);
	if (chain && sk_X509_num(chain) > 0) {
		out->chain = X509_chain_up_ref(chain);
		if (!out->chain) {
			k->nomem = 1;
		}
	}
	out->verify_code = SSL_get_verify_result(ssl);
	if (h->dane) {
		uint8_t u = 0, s = 0, m = 0;
		const unsigned char *d = NULL;
		size_t dl = 0;
		int depth = SSL_get0_dane_tlsa(ssl, &u, &s, &m, &d, &dl);

		if (depth >= 0 && d) {
			out->match_depth = depth;
			out->match_record = record_index(h, u, s, m, d, dl);
		}
		if (out->verify_code == X509_V_OK && depth >= 0) {
			out->status = DK_ADDR_VERIFIED;
		} else {
			out->status = DK_ADDR_MISMATCH;
			const char *vt =
				X509_verify_cert_error_string(out->verify_code);

			if (out->verify_code == X509_V_ERR_DANE_NO_MATCH) {
				snprintf(out->why, sizeof(out->why),
					 "no TLSA record matched the "
					 "certificate chain (%s)",
					 vt);
			} else if (depth < 0) {
				/* PKIX-TA/PKIX-EE: the chain must also verify
				 * to a trusted CA (RFC 6698 section 2.1.1). */
				snprintf(out->why, sizeof(out->why),
					 "verification failed before any "
					 "TLSA record matched: %s",
					 vt);
			} else {
				snprintf(out->why, sizeof(out->why),
					 "a TLSA record matched at depth %d, "
					 "but verification failed: %s",
					 depth, vt);
			}
		}
	} else {
		out->status = DK_ADDR_TLS_ONLY;
	}
	dki_tls_goodbye(&c, ssl, proto);
out:
	SSL_free(ssl);
	dki_conn_close(&c);
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
