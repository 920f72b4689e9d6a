/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Which certificate does a service present now? A plain handshake with
 * no verification: the certificate is only compared with the current and
 * next keys of a rollover, never trusted.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include "dane/renew/internal.h"

static int tcp_connect(const char *addr, unsigned port, double timeout,
		       struct dk_diag *diag)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	struct pollfd pfd;
	struct timeval tv;
	int fd, e = 0;
	socklen_t el = sizeof(e);

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET6, addr,
		      &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1) {
		((struct sockaddr_in6 *)&ss)->sin6_family = AF_INET6;
		((struct sockaddr_in6 *)&ss)->sin6_port = htons((uint16_t)port);
		sl = sizeof(struct sockaddr_in6);
	} else if (inet_pton(AF_INET, addr,
			     &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
		((struct sockaddr_in *)&ss)->sin_family = AF_INET;
		((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)port);
		sl = sizeof(struct sockaddr_in);
	} else {
		dki_diagf(diag, "'%s' is not a numeric IP address", addr);
		return DK_EINVAL;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
		    0);
	if (fd < 0) {
		dki_diagf(diag, "socket: %s", strerror(errno));
		return DK_ECONNREFUSED;
	}
	if (connect(fd, (struct sockaddr *)&ss, sl) != 0 &&
	    errno != EINPROGRESS) {
		dki_diagf(diag, "cannot connect to %s port %u: %s", addr, port,
			  strerror(errno));
		close(fd);
		return DK_ECONNREFUSED;
	}
	pfd.fd = fd;
	pfd.events = POLLOUT;
	if (poll(&pfd, 1, (int)(timeout * 1000)) != 1) {
		dki_diagf(diag, "cannot connect to %s port %u: timed out", addr,
			  port);
		close(fd);
		return DK_ETIMEDOUT;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) != 0 || e != 0) {
		dki_diagf(diag, "cannot connect to %s port %u: %s", addr, port,
			  strerror(e ? e : errno));
		close(fd);
		return DK_ECONNREFUSED;
	}
	/* blocking from here on, with time-outs */
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	tv.tv_sec = (time_t)timeout;
	tv.tv_usec = (suseconds_t)((timeout - (double)tv.tv_sec) * 1e6);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return fd;
}

/* Read one SMTP reply (all its lines); its code, or -1. */
static int smtp_reply(int fd, int *starttls)
{
	char line[1024];
	size_t n = 0;

	for (;;) {
		char c;
		ssize_t r = read(fd, &c, 1);

		if (r != 1) {
			return -1;
		}
		if (c == '\r') {
			continue;
		}
		if (c != '\n') {
			if (n + 1 < sizeof(line)) {
				line[n++] = c;
			}
			continue;
		}
		line[n] = '\0';
		if (n < 3) {
			return -1;
		}
		if (starttls && n >= 12 &&
		    strncasecmp(line + 4, "STARTTLS", 8) == 0) {
			*starttls = 1;
		}
		if (n == 3 || line[3] == ' ') {
			return atoi(line);
		}
		n = 0;
	}
}

static int send_all(int fd, const char *s)
{
	size_t n = strlen(s);

	while (n) {
		ssize_t w = write(fd, s, n);

		if (w <= 0) {
			return -1;
		}
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * The chain @ssl's peer presented, leaf first and in the order sent, as
 * an input. On the client side, SSL_get_peer_cert_chain() holds the leaf
 * too; it is added here when it does not.
 */
static int chain_input(SSL *ssl, X509 *leaf, struct dk_input **ret)
{
	STACK_OF(X509) *sk = SSL_get_peer_cert_chain(ssl);
	BIO *b = BIO_new(BIO_s_mem());
	char *data = NULL;
	long n;
	int ok = 1, r;

	if (!b) {
		return DK_ENOMEM;
	}
	if (sk_X509_num(sk) == 0 || X509_cmp(sk_X509_value(sk, 0), leaf) != 0) {
		ok = PEM_write_bio_X509(b, leaf);
	}
	for (int i = 0; ok && i < sk_X509_num(sk); i++) {
		ok = PEM_write_bio_X509(b, sk_X509_value(sk, i));
	}
	n = BIO_get_mem_data(b, &data);
	if (!ok || n <= 0) {
		BIO_free(b);
		ERR_clear_error();
		return DK_ECRYPTO;
	}
	r = dk_input_load((const uint8_t *)data, (size_t)n, ret, NULL);
	BIO_free(b);
	return r == DK_ENOMEM ? r : r < 0 ? DK_ECRYPTO : 0;
}

static int fetch_one(const char *host, const char *addr, unsigned port,
		     int smtp, double timeout, X509 **ret,
		     struct dk_input **ret_chain, struct dk_diag *diag)
{
	SSL_CTX *ctx = NULL;
	SSL *ssl = NULL;
	X509 *cert = NULL;
	struct dk_input *chain = NULL;
	char buf[256];
	int fd, r = DK_ETLS;

	fd = tcp_connect(addr, port, timeout, diag);
	if (fd < 0) {
		return fd;
	}
	if (smtp) {
		int has = 0;

		if (smtp_reply(fd, NULL) != 220 ||
		    send_all(fd, "EHLO danekit.invalid\r\n") != 0 ||
		    smtp_reply(fd, &has) != 250) {
			dki_diagf(diag, "%s port %u: no SMTP greeting", addr,
				  port);
			r = DK_EPROTO;
			goto out;
		}
		if (!has) {
			dki_diagf(diag,
				  "%s port %u: the server offers no STARTTLS",
				  addr, port);
			r = DK_EPROTO;
			goto out;
		}
		if (send_all(fd, "STARTTLS\r\n") != 0 ||
		    smtp_reply(fd, NULL) != 220) {
			dki_diagf(diag, "%s port %u: STARTTLS refused", addr,
				  port);
			r = DK_EPROTO;
			goto out;
		}
	}
	ctx = SSL_CTX_new(TLS_client_method());
	if (!ctx) {
		r = DK_ECRYPTO;
		goto out;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	ssl = SSL_new(ctx);
	if (!ssl || !SSL_set_fd(ssl, fd)) {
		r = DK_ECRYPTO;
		goto out;
	}
	{
		char sni[256];
		size_t n = strlen(host);

		if (n < sizeof(sni)) {
			memcpy(sni, host, n + 1);
			if (n && sni[n - 1] == '.') {
				sni[n - 1] = '\0';
			}
			SSL_set_tlsext_host_name(ssl, sni);
		}
	}
	if (SSL_connect(ssl) != 1) {
		dki_diagf(diag, "%s port %u: TLS handshake failed: %s", addr,
			  port, dki_openssl_reason(buf, sizeof(buf)));
		r = DK_ETLS;
		goto out;
	}
	cert = SSL_get1_peer_certificate(ssl);
	if (!cert) {
		dki_diagf(diag, "%s port %u: no certificate", addr, port);
		r = DK_ETLS;
		goto out;
	}
	if (ret_chain) {
		r = chain_input(ssl, cert, &chain);
		if (r < 0) {
			dki_diagf(diag, "%s port %u: cannot read the chain",
				  addr, port);
			X509_free(cert);
			goto out;
		}
	}
	SSL_shutdown(ssl);
	if (ret) {
		*ret = cert;
	} else {
		X509_free(cert);
	}
	if (ret_chain) {
		*ret_chain = chain;
	}
	r = 0;
out:
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	close(fd);
	ERR_clear_error();
	return r;
}

static int fetch(struct dk_resolver *resolver, const char *host,
		 const char *connect_addr, unsigned port, int smtp,
		 double timeout, X509 **ret_cert, struct dk_input **ret_chain,
		 struct dk_diag *diag)
{
	static const uint16_t types[] = { LDNS_RR_TYPE_AAAA, LDNS_RR_TYPE_A };
	int r = DK_ECONNREFUSED, tried = 0;

	if (!host || port == 0 || port > 65535 ||
	    (!connect_addr && !resolver)) {
		return DK_EINVAL;
	}
	if (timeout <= 0) {
		timeout = 10;
	}
	if (connect_addr) {
		return fetch_one(host, connect_addr, port, smtp, timeout,
				 ret_cert, ret_chain, diag);
	}
	for (size_t t = 0; t < 2; t++) {
		struct dk_answer *a = NULL;
		const ldns_rr_list *rrs;

		if (dk_lookup(resolver, host, types[t], &a, NULL) < 0) {
			continue;
		}
		rrs = dki_answer_get0_rrset(a);
		for (size_t i = 0; i < ldns_rr_list_rr_count(rrs); i++) {
			char *addr = ldns_rdf2str(
				ldns_rr_rdf(ldns_rr_list_rr(rrs, i), 0));

			if (!addr) {
				continue;
			}
			tried++;
			r = fetch_one(host, addr, port, smtp, timeout, ret_cert,
				      ret_chain, diag);
			free(addr);
			if (r == 0) {
				dk_answer_free(a);
				return 0;
			}
		}
		dk_answer_free(a);
	}
	if (!tried) {
		dki_diagf(diag, "%s has no address", host);
	}
	return r;
}

int dk_renew_fetch_cert(struct dk_resolver *resolver, const char *host,
			const char *connect_addr, unsigned port, int smtp,
			double timeout, X509 **ret_cert, struct dk_diag *diag)
{
	if (!ret_cert) {
		return DK_EINVAL;
	}
	return fetch(resolver, host, connect_addr, port, smtp, timeout,
		     ret_cert, NULL, diag);
}

int dk_renew_fetch_chain(struct dk_resolver *resolver, const char *host,
			 const char *connect_addr, unsigned port, int smtp,
			 double timeout, struct dk_input **ret_chain,
			 struct dk_diag *diag)
{
	if (!ret_chain) {
		return DK_EINVAL;
	}
	return fetch(resolver, host, connect_addr, port, smtp, timeout, NULL,
		     ret_chain, diag);
}
