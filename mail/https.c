/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * HTTPS fetches of the audit (the MTA-STS policy, RFC 8461 section 3.3;
 * the BIMI logo and evidence files), with libcurl:
 *
 *  - the URL's host is looked up through the audit's validating resolver
 *    (dkm_get), and curl gets those addresses (CURLOPT_RESOLVE); a socket
 *    callback refuses any other address, so the system resolver is never
 *    what decides where a connection goes;
 *  - --https-port: connections to port 443 go to another port
 *    (CURLOPT_CONNECT_TO host:443:host:PORT, the host resolved as above);
 *    the URL, the Host header, SNI and the certificate name stay the
 *    URL's;
 *  - SNI on, the certificate checked for the URL's host (RFC 6125 DNS-ID,
 *    through OpenSSL's own host check) against the system store or
 *    --https-ca, which then replaces it (CAINFO set, CAPATH cleared);
 *  - never a redirect followed (the 3xx is the answer), no proxy from the
 *    environment, https only;
 *  - the body capped: at most cap + 1 octets are read, then the transfer
 *    stops (too_large);
 *  - --timeout for the whole fetch.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <curl/curl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "mail/internal.h"

static pthread_once_t setup_once = PTHREAD_ONCE_INIT;
static int curl_ready;
static int ctx_index = -1;

static void setup(void)
{
	curl_ready = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
	ctx_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, NULL);
}

unsigned dkm_cert_reason_of(int err)
{
	switch (err) {
	case X509_V_OK:
		return 0;
	case X509_V_ERR_CERT_HAS_EXPIRED:
		return DKM_CERT_EXPIRED;
	case X509_V_ERR_CERT_NOT_YET_VALID:
		return DKM_CERT_NOT_YET_VALID;
	case X509_V_ERR_HOSTNAME_MISMATCH:
	case X509_V_ERR_IP_ADDRESS_MISMATCH:
		return DKM_CERT_NAME;
	default:
		return DKM_CERT_UNTRUSTED;
	}
}

struct dk_mail_value *dkm_cert_reasons(unsigned bits)
{
	struct dk_mail_value *a = dkm_arr();

	if (bits & DKM_CERT_EXPIRED) {
		dkm_push_str(a, "expired");
	}
	if (bits & DKM_CERT_NOT_YET_VALID) {
		dkm_push_str(a, "not_yet_valid");
	}
	if (bits & DKM_CERT_NAME) {
		dkm_push_str(a, "name_mismatch");
	}
	if (bits & DKM_CERT_UNTRUSTED) {
		dkm_push_str(a, "untrusted");
	}
	return a;
}

void dkm_fetch_free(struct dkm_fetch *f)
{
	if (!f) {
		return;
	}
	for (size_t i = 0; i < f->naddrs; i++) {
		free(f->addrs[i]);
	}
	free(f->addrs);
	free(f->url);
	free(f->host);
	free(f->dns_error);
	free(f->content_type);
	free(f->location);
	free(f->ip);
	free(f->body);
	free(f->cert_subject);
	free(f);
}

/*
 * The certificate check, OpenSSL's own (the URL's host is set on the
 * context's parameters). On the first failure the leaf is examined for
 * every reason at once (dates, name); the verdict itself is OpenSSL's.
 */
static int verify_cb(int ok, X509_STORE_CTX *sctx)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(
		sctx, SSL_get_ex_data_X509_STORE_CTX_idx());
	struct dkm_fetch *f =
		ssl ? SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), ctx_index)
		    : NULL;
	X509 *leaf = X509_STORE_CTX_get0_cert(sctx);

	if (!f) {
		return ok;
	}
	if (leaf && !f->cert_subject) {
		char *s =
			X509_NAME_oneline(X509_get_subject_name(leaf), NULL, 0);

		f->cert_subject = s ? strdup(s) : NULL;
		OPENSSL_free(s);
	}
	if (!ok) {
		f->cert_failed = 1;
		f->cert_reasons |=
			dkm_cert_reason_of(X509_STORE_CTX_get_error(sctx));
		if (leaf) {
			if (X509_cmp_current_time(X509_get0_notAfter(leaf)) <
			    0) {
				f->cert_reasons |= DKM_CERT_EXPIRED;
			}
			if (X509_cmp_current_time(X509_get0_notBefore(leaf)) >
			    0) {
				f->cert_reasons |= DKM_CERT_NOT_YET_VALID;
			}
			if (X509_check_host(leaf, f->host, 0, 0, NULL) != 1 &&
			    X509_check_ip_asc(leaf, f->host, 0) != 1) {
				f->cert_reasons |= DKM_CERT_NAME;
			}
		}
	}
	return ok;
}

static CURLcode sslctx_cb(CURL *curl, void *sslctx, void *arg)
{
	struct dkm_fetch *f = arg;
	SSL_CTX *ctx = sslctx;
	X509_VERIFY_PARAM *p = SSL_CTX_get0_param(ctx);
	unsigned char bin[16];
	int ip;

	(void)curl;
	if (!SSL_CTX_set_ex_data(ctx, ctx_index, f)) {
		return CURLE_SSL_CONNECT_ERROR;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, verify_cb);
	ip = inet_pton(AF_INET, f->host, bin) == 1 ||
	     inet_pton(AF_INET6, f->host, bin) == 1;
	/* RFC 8461 section 3.3: DNS-IDs only, a wildcard as the whole
	 * left-most label */
	X509_VERIFY_PARAM_set_hostflags(p,
					X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	if (ip ? !X509_VERIFY_PARAM_set1_ip_asc(p, f->host)
	       : !X509_VERIFY_PARAM_set1_host(p, f->host, 0)) {
		ERR_clear_error();
		return CURLE_SSL_CONNECT_ERROR;
	}
	return CURLE_OK;
}

static size_t body_cb(char *ptr, size_t size, size_t n, void *arg)
{
	struct dkm_fetch *f = arg;
	size_t len = size * n, room = f->cap + 1 - f->len;
	unsigned char *nb;

	if (len > room) {
		len = room;
	}
	if (len) {
		nb = realloc(f->body, f->len + len + 1);
		if (!nb) {
			return 0;
		}
		f->body = nb;
		memcpy(f->body + f->len, ptr, len);
		f->len += len;
		f->body[f->len] = '\0';
	}
	if (f->len > f->cap) {
		/* read past the cap only to know that it is past it */
		f->too_large = 1;
		f->len = f->cap;
		return 0;
	}
	return size * n;
}

/* Connect only to the validated addresses. */
static curl_socket_t open_cb(void *arg, curlsocktype purpose,
			     struct curl_sockaddr *a)
{
	struct dkm_fetch *f = arg;
	char text[INET6_ADDRSTRLEN] = "";

	if (purpose != CURLSOCKTYPE_IPCXN) {
		return CURL_SOCKET_BAD;
	}
	if (a->family == AF_INET) {
		inet_ntop(AF_INET, &((struct sockaddr_in *)&a->addr)->sin_addr,
			  text, sizeof(text));
	} else if (a->family == AF_INET6) {
		inet_ntop(AF_INET6,
			  &((struct sockaddr_in6 *)&a->addr)->sin6_addr, text,
			  sizeof(text));
	}
	for (size_t i = 0; text[0] && i < f->naddrs; i++) {
		unsigned char x[16], y[16];
		int fam = a->family;

		if (inet_pton(fam, text, x) == 1 &&
		    inet_pton(fam, f->addrs[i], y) == 1 &&
		    memcmp(x, y, fam == AF_INET ? 4 : 16) == 0) {
			return socket(a->family, a->socktype, a->protocol);
		}
	}
	return CURL_SOCKET_BAD;
}

/* "host:port:addr1,[addr6]" for CURLOPT_RESOLVE. */
static char *resolve_entry(const struct dkm_fetch *f, unsigned port)
{
	size_t len = strlen(f->host) + 16;
	char *s, *p;

	for (size_t i = 0; i < f->naddrs; i++) {
		len += strlen(f->addrs[i]) + 3;
	}
	s = malloc(len);
	if (!s) {
		return NULL;
	}
	p = s + snprintf(s, len, "%s:%u:", f->host, port);
	for (size_t i = 0; i < f->naddrs; i++) {
		int v6 = strchr(f->addrs[i], ':') != NULL;

		p += snprintf(p, len - (size_t)(p - s), "%s%s%s%s",
			      i ? "," : "", v6 ? "[" : "", f->addrs[i],
			      v6 ? "]" : "");
	}
	return s;
}

static void set_error(struct dkm_fetch *f, const char *msg)
{
	snprintf(f->error, sizeof(f->error), "%s", msg);
}

void dkm_https_run(struct dkm_fetch *f, const struct dk_mail_opts *o,
		   double timeout)
{
	struct curl_slist *resolve = NULL, *connect_to = NULL;
	char errbuf[CURL_ERROR_SIZE] = "";
	unsigned port = f->port;
	char *entry = NULL, *ct = NULL, *loc = NULL, *ip = NULL;
	long ms = (long)(timeout * 1000);
	CURL *c;
	CURLcode r;
	int literal;
	unsigned char bin[16];

	f->state = 2;
	pthread_once(&setup_once, setup);
	if (!curl_ready || ctx_index < 0) {
		f->curl_code = CURLE_FAILED_INIT;
		set_error(f, "libcurl could not be set up");
		return;
	}
	if (f->naddrs == 0) {
		f->curl_code = CURLE_COULDNT_RESOLVE_HOST;
		set_error(f, f->dns_error ? f->dns_error : "no address");
		return;
	}
	c = curl_easy_init();
	if (!c) {
		f->curl_code = CURLE_FAILED_INIT;
		set_error(f, "curl_easy_init failed");
		return;
	}
	literal = inet_pton(AF_INET, f->host, bin) == 1 ||
		  inet_pton(AF_INET6, f->host, bin) == 1;
	if (o->https_port && f->port == 443) {
		char *ct_entry = NULL;
		int v6 = literal && strchr(f->host, ':');

		port = o->https_port;
		if (asprintf(&ct_entry, "%s%s%s:443:%s%s%s:%u", v6 ? "[" : "",
			     f->host, v6 ? "]" : "", v6 ? "[" : "", f->host,
			     v6 ? "]" : "", port) < 0) {
			ct_entry = NULL;
		}
		connect_to =
			ct_entry ? curl_slist_append(NULL, ct_entry) : NULL;
		free(ct_entry);
		if (!connect_to) {
			goto oom;
		}
	}
	if (!literal) {
		entry = resolve_entry(f, port);
		resolve = entry ? curl_slist_append(NULL, entry) : NULL;
		free(entry);
		if (!resolve) {
			goto oom;
		}
	}
	curl_easy_setopt(c, CURLOPT_URL, f->url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_PROXY, "");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "danekit-audit");
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, ms > 0 ? ms : 10000L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, ms > 0 ? ms : 10000L);
	curl_easy_setopt(c, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	if (o->https_ca) {
		curl_easy_setopt(c, CURLOPT_CAINFO, o->https_ca);
		curl_easy_setopt(c, CURLOPT_CAPATH, NULL);
	}
	curl_easy_setopt(c, CURLOPT_SSL_CTX_FUNCTION, sslctx_cb);
	curl_easy_setopt(c, CURLOPT_SSL_CTX_DATA, f);
	curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, open_cb);
	curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, f);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, body_cb);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, f);
	if (resolve) {
		curl_easy_setopt(c, CURLOPT_RESOLVE, resolve);
	}
	if (connect_to) {
		curl_easy_setopt(c, CURLOPT_CONNECT_TO, connect_to);
	}
	r = curl_easy_perform(c);
	if (r == CURLE_WRITE_ERROR && f->too_large) {
		r = CURLE_OK;
	}
	f->curl_code = (int)r;
	if (r == CURLE_PEER_FAILED_VERIFICATION) {
		f->cert_failed = 1;
		if (!f->cert_reasons) {
			f->cert_reasons = DKM_CERT_UNTRUSTED;
		}
	}
	if (r != CURLE_OK) {
		set_error(f, errbuf[0] ? errbuf : curl_easy_strerror(r));
		/* a partial body is no answer */
		free(f->body);
		f->body = NULL;
		f->len = 0;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &f->http_status);
	if (r == CURLE_OK) {
		if (curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct) ==
			    CURLE_OK &&
		    ct) {
			f->content_type = strdup(ct);
		}
		if (curl_easy_getinfo(c, CURLINFO_REDIRECT_URL, &loc) ==
			    CURLE_OK &&
		    loc) {
			f->location = strdup(loc);
		}
	}
	if (curl_easy_getinfo(c, CURLINFO_PRIMARY_IP, &ip) == CURLE_OK && ip &&
	    *ip) {
		f->ip = strdup(ip);
	}
	curl_easy_cleanup(c);
	curl_slist_free_all(resolve);
	curl_slist_free_all(connect_to);
	ERR_clear_error();
	return;
oom:
	curl_easy_cleanup(c);
	curl_slist_free_all(resolve);
	curl_slist_free_all(connect_to);
	f->curl_code = CURLE_OUT_OF_MEMORY;
	set_error(f, "out of memory");
}

/* The addresses of @q (A or AAAA) appended to @f. */
static int take_addrs(struct dkm_fetch *f, const struct dkm_q *q)
{
	const ldns_rr_list *l;

	if (!dkm_has_data(q)) {
		return 0;
	}
	l = dki_answer_get0_rrset(q->ans);
	for (size_t i = 0; i < ldns_rr_list_rr_count(l); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(l, i);
		const ldns_rdf *d = ldns_rr_rdf(rr, 0);
		int v6 = ldns_rr_get_type(rr) == LDNS_RR_TYPE_AAAA;
		char text[INET6_ADDRSTRLEN];
		char **na;

		if (!d || ldns_rdf_size(d) != (v6 ? 16u : 4u) ||
		    !inet_ntop(v6 ? AF_INET6 : AF_INET, ldns_rdf_data(d), text,
			       sizeof(text))) {
			continue;
		}
		na = realloc(f->addrs, (f->naddrs + 1) * sizeof(*na));
		if (!na) {
			return DK_ENOMEM;
		}
		f->addrs = na;
		na[f->naddrs] = strdup(text);
		if (!na[f->naddrs]) {
			return DK_ENOMEM;
		}
		f->naddrs++;
	}
	return 0;
}

const struct dkm_fetch *dkm_fetch(struct dkm_ctx *ctx, const char *url,
				  size_t cap)
{
	struct dkm_fetch *f;
	const struct dkm_q *a = NULL, *aaaa = NULL;
	char *host = NULL, *scheme = NULL, *port = NULL;
	unsigned char bin[16];
	CURLU *u;
	int literal;
	size_t hl;

	for (f = ctx->fetches; f; f = f->next) {
		if (strcmp(f->url, url) == 0) {
			if (f->state != 2) {
				ctx->missing_jobs++;
				return NULL;
			}
			return f;
		}
	}
	pthread_once(&setup_once, setup);
	u = curl_url();
	if (!u) {
		ctx->oom = 1;
		return NULL;
	}
	f = calloc(1, sizeof(*f));
	if (!f || !(f->url = strdup(url))) {
		free(f);
		curl_url_cleanup(u);
		ctx->oom = 1;
		return NULL;
	}
	f->cap = cap;
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    strcasecmp(scheme, "https") != 0 ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) !=
		    CURLUE_OK) {
		f->state = 2;
		f->curl_code = CURLE_URL_MALFORMAT;
		set_error(f, "not an https:// URL");
		goto add;
	}
	/* IPv6 literals come in brackets */
	hl = strlen(host);
	if (hl > 2 && host[0] == '[' && host[hl - 1] == ']') {
		f->host = strndup(host + 1, hl - 2);
	} else {
		f->host = strdup(host);
	}
	f->port = (unsigned)strtoul(port, NULL, 10);
	if (!f->host) {
		ctx->oom = 1;
		dkm_fetch_free(f);
		f = NULL;
		goto out;
	}
	literal = inet_pton(AF_INET, f->host, bin) == 1 ||
		  inet_pton(AF_INET6, f->host, bin) == 1;
	if (literal) {
		f->addrs = calloc(1, sizeof(*f->addrs));
		if (!f->addrs || !(f->addrs[0] = strdup(f->host))) {
			ctx->oom = 1;
		} else {
			f->naddrs = 1;
		}
		goto add;
	}
	a = dkm_get(ctx, f->host, LDNS_RR_TYPE_A);
	aaaa = dkm_get(ctx, f->host, LDNS_RR_TYPE_AAAA);
	if (!a || !aaaa) {
		/* the lookups first; the entry is made once they are done */
		dkm_fetch_free(f);
		f = NULL;
		goto out;
	}
	if (dkm_status_enum(a) == DK_DNSSEC_BOGUS ||
	    dkm_status_enum(aaaa) == DK_DNSSEC_BOGUS) {
		if (asprintf(&f->dns_error,
			     "the addresses of %s do not validate (bogus)",
			     f->host) < 0) {
			f->dns_error = NULL;
		}
	} else if (take_addrs(f, a) < 0 || take_addrs(f, aaaa) < 0) {
		ctx->oom = 1;
	} else if (f->naddrs == 0) {
		if (asprintf(&f->dns_error, "%s has no address (%s)", f->host,
			     dkm_failed(a) ? dkm_rcode(a) : dkm_rcode(aaaa)) <
		    0) {
			f->dns_error = NULL;
		}
	}
	if (f->naddrs == 0) {
		f->state = 2;
		f->curl_code = CURLE_COULDNT_RESOLVE_HOST;
		set_error(f, f->dns_error ? f->dns_error : "no address");
	}
add:
	f->next = ctx->fetches;
	ctx->fetches = f;
	if (f->state != 2) {
		ctx->missing_jobs++;
		f = NULL;
	}
out:
	curl_free(host);
	curl_free(scheme);
	curl_free(port);
	curl_url_cleanup(u);
	return f;
}

struct dk_mail_value *dkm_fetch_value(const struct dkm_fetch *f)
{
	struct dk_mail_value *o = dkm_obj(), *addrs = dkm_arr();

	dkm_set_str(o, "url", f->url);
	for (size_t i = 0; i < f->naddrs; i++) {
		dkm_push_str(addrs, f->addrs[i]);
	}
	dkm_set(o, "addresses", addrs);
	dkm_set_str(o, "connected_to", f->ip);
	dkm_set(o, "http_status",
		f->http_status ? dkm_int(f->http_status) : dkm_null());
	dkm_set_str(o, "content_type", f->content_type);
	dkm_set_str(o, "location", f->location);
	dkm_set_int(o, "octets", (int64_t)f->len);
	dkm_set_bool(o, "too_large", f->too_large);
	if (f->cert_failed) {
		dkm_set(o, "certificate_problems",
			dkm_cert_reasons(f->cert_reasons));
	}
	dkm_set_str(o, "certificate_subject", f->cert_subject);
	dkm_set_str(o, "error", f->curl_code ? f->error : NULL);
	return o;
}
