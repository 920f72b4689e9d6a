/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * check tls --starttls imap|pop3|ftp|xmpp|smtp against a small server
 * forked by the test: it speaks the plaintext part of each protocol on
 * 127.53.2.25 (the address of www.tls-ok.test, whose _443._tcp TLSA names
 * the key of the lab's hosts/tls-ok certificate), then hands over to
 * OpenSSL with that certificate. The TLSA owner stays _443._tcp
 * (HOST:443 with --connect-port), so the lab's records apply.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <criterion/criterion.h>

#include "helpers.h"

enum proto {
	P_SMTP,
	P_IMAP,
	P_POP3,
	P_FTP,
	P_XMPP
};

struct server {
	pid_t pid;
	unsigned port;
};

static int send_str(int fd, const char *s)
{
	return send(fd, s, strlen(s), MSG_NOSIGNAL) == (ssize_t)strlen(s) ? 0
									  : -1;
}

/* Read until @end shows up (or 4 KiB, or EOF): 0 found, -1 not. */
static int read_until(int fd, const char *end)
{
	char buf[4096];
	size_t len = 0;

	while (len < sizeof(buf) - 1) {
		ssize_t n = recv(fd, buf + len, 1, 0);

		if (n <= 0) {
			return -1;
		}
		len++;
		buf[len] = '\0';
		if (strstr(buf, end)) {
			return 0;
		}
	}
	return -1;
}

/* The plaintext part; 0 when TLS starts. */
static int dialogue(int fd, enum proto p, int refuse)
{
	switch (p) {
	case P_SMTP:
		if (send_str(fd, "220 test ESMTP\r\n") ||
		    read_until(fd, "\n") ||
		    send_str(fd, refuse ? "250-test\r\n250 8BITMIME\r\n"
					: "250-test\r\n250 STARTTLS\r\n")) {
			return -1;
		}
		if (refuse) {
			return -1;
		}
		return read_until(fd, "\n") || send_str(fd, "220 go ahead\r\n");
	case P_IMAP:
		if (send_str(
			    fd,
			    "* OK [CAPABILITY IMAP4rev1 STARTTLS] ready\r\n") ||
		    read_until(fd, "\n")) {
			return -1;
		}
		if (refuse) {
			send_str(fd, "dk1 NO not now\r\n");
			return -1;
		}
		return send_str(fd, "* OK still here\r\ndk1 OK Begin TLS\r\n");
	case P_POP3:
		if (send_str(fd, "+OK ready\r\n") || read_until(fd, "\n")) {
			return -1;
		}
		if (refuse) {
			send_str(fd, "-ERR no\r\n");
			return -1;
		}
		return send_str(fd, "+OK begin TLS\r\n");
	case P_FTP:
		if (send_str(fd, "220-welcome\r\n220 ready\r\n") ||
		    read_until(fd, "\n")) {
			return -1;
		}
		if (refuse) {
			send_str(fd, "502 no\r\n");
			return -1;
		}
		return send_str(fd, "234 AUTH TLS OK\r\n");
	case P_XMPP:
		if (read_until(fd, "version='1.0'>") ||
		    send_str(fd,
			     "<?xml version='1.0'?><stream:stream "
			     "from='tls-ok.test' id='x1' version='1.0' "
			     "xmlns='jabber:client' "
			     "xmlns:stream='http://etherx.jabber.org/streams'>"
			     "<stream:features>")) {
			return -1;
		}
		if (refuse) {
			send_str(fd, "<mechanisms/></stream:features>");
			return -1;
		}
		return send_str(fd, "<starttls xmlns='urn:ietf:params:xml:ns:"
				    "xmpp-tls'><required/></starttls>"
				    "</stream:features>") ||
		       read_until(fd, "/>") ||
		       send_str(fd, "<proceed xmlns='urn:ietf:params:xml:ns:"
				    "xmpp-tls'/>");
	}
	return -1;
}

static void serve(int lfd, enum proto p, int refuse)
{
	char chain[2048], key[2048];
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	snprintf(chain, sizeof(chain), "%s/hosts/tls-ok.chain.pem",
		 dt_lab()->pki);
	snprintf(key, sizeof(key), "%s/hosts/tls-ok.key", dt_lab()->pki);
	if (!ctx || SSL_CTX_use_certificate_chain_file(ctx, chain) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
		_exit(3);
	}
	alarm(60);
	for (;;) {
		struct timeval tv = { .tv_sec = 5 };
		int fd = accept(lfd, NULL, NULL);
		SSL *ssl;
		char buf[256];

		if (fd < 0) {
			if (errno == EINTR) {
				continue;
			}
			_exit(4);
		}
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		if (dialogue(fd, p, refuse) == 0 &&
		    (ssl = SSL_new(ctx)) != NULL) {
			SSL_set_fd(ssl, fd);
			if (SSL_accept(ssl) == 1) {
				while (SSL_read(ssl, buf, sizeof(buf)) > 0) {
				}
			}
			SSL_free(ssl);
		}
		ERR_clear_error();
		close(fd);
	}
}

static struct server start(enum proto p, int refuse)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	struct server s;
	int fd;

	dt_lab(); /* before the fork: the child needs the PKI path */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	cr_assert_geq(fd, 0);
	inet_pton(AF_INET, "127.53.2.25", &sa.sin_addr);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(listen(fd, 16), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	s.port = ntohs(sa.sin_port);
	fflush(NULL);
	s.pid = fork();
	cr_assert_geq(s.pid, 0);
	if (s.pid == 0) {
		serve(fd, p, refuse);
		_exit(0);
	}
	close(fd);
	return s;
}

static void stop(struct server *s)
{
	kill(s->pid, SIGTERM);
	waitpid(s->pid, NULL, 0);
}

static void run_ok(enum proto p, const char *name)
{
	struct server s = start(p, 0);
	int rc;
	json_t *doc = dt_check_json(&rc,
				    "tls --starttls %s --connect-port %u "
				    "www.tls-ok.test:443",
				    name, s.port);

	stop(&s);
	cr_assert_eq(rc, 0, "%s: exit %d (%s)", name, rc, dt_str(doc, "why"));
	cr_assert_str_eq(dt_verdict(doc), "valid");
	cr_assert_str_eq(dt_str(doc, "starttls"), name);
	cr_assert_str_eq(dt_str(dt_addr(doc, 0, 0), "verdict"), "verified");
	json_decref(doc);
}

static void run_refused(enum proto p, const char *name)
{
	struct server s = start(p, 1);
	int rc;
	json_t *doc = dt_check_json(&rc,
				    "tls --starttls %s --connect-port %u "
				    "www.tls-ok.test:443",
				    name, s.port);

	stop(&s);
	cr_assert_eq(rc, 1, "%s: exit %d (%s)", name, rc, dt_str(doc, "why"));
	cr_assert_str_eq(dt_verdict(doc), "failed");
	cr_assert_str_eq(dt_str(dt_addr(doc, 0, 0), "verdict"), "no-starttls");
	cr_assert_not_null(dt_finding(doc, "no-starttls", "error"));
	json_decref(doc);
}

Test(dane_starttls, smtp)
{
	run_ok(P_SMTP, "smtp");
}
Test(dane_starttls, imap)
{
	run_ok(P_IMAP, "imap");
}
Test(dane_starttls, pop3)
{
	run_ok(P_POP3, "pop3");
}
Test(dane_starttls, ftp)
{
	run_ok(P_FTP, "ftp");
}
Test(dane_starttls, xmpp)
{
	run_ok(P_XMPP, "xmpp");
}
Test(dane_starttls, smtp_refused)
{
	run_refused(P_SMTP, "smtp");
}
Test(dane_starttls, imap_refused)
{
	run_refused(P_IMAP, "imap");
}
Test(dane_starttls, pop3_refused)
{
	run_refused(P_POP3, "pop3");
}
Test(dane_starttls, ftp_refused)
{
	run_refused(P_FTP, "ftp");
}
Test(dane_starttls, xmpp_refused)
{
	run_refused(P_XMPP, "xmpp");
}
