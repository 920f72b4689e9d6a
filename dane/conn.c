/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Network plumbing of the dane module: TCP connections with a deadline
 * (non-blocking connect + poll), the plaintext exchanges that lead to
 * STARTTLS, and a non-blocking TLS handshake. Nothing here blocks past
 * the deadline of the connection.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "dane/internal.h"

/* Longest line of a plaintext reply we accept (RFC 5321: 512). */
#define LINE_MAX_LEN 2048
/* Most lines of one reply we read (a long EHLO list is about 20). */
#define REPLY_MAX_LINES 200

double dki_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

char *dki_strdupf(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	return n < 0 ? NULL : s;
}

static void whyf(char *why, size_t len, const char *fmt, ...) DK_PRINTF(3, 4);

static void whyf(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!why || !len) {
		return;
	}
	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
}

/* Wait until @fd has @events or the deadline passes: 0, DK_ETIMEDOUT, DK_EIO.
 */
static int wait_fd(int fd, short events, double deadline)
{
	for (;;) {
		double left = deadline - dki_mono();
		struct pollfd p = { .fd = fd, .events = events, .revents = 0 };
		int r;

		if (left <= 0) {
			return DK_ETIMEDOUT;
		}
		r = poll(&p, 1, (int)(left * 1000.0) + 1);
		if (r > 0) {
			return 0;
		}
		if (r < 0 && errno != EINTR) {
			return DK_EIO;
		}
	}
}

enum dk_dane_addr_status dki_addr_status(int err)
{
	switch (err) {
	case 0:
		return DK_ADDR_VERIFIED;
	case DK_ECONNREFUSED:
		return DK_ADDR_UNREACHABLE;
	case DK_ETIMEDOUT:
		return DK_ADDR_TIMEOUT;
	case DK_ENOSTARTTLS:
		return DK_ADDR_NO_STARTTLS;
	case DK_ETLS:
		return DK_ADDR_TLS_FAILED;
	default:
		return DK_ADDR_PROTO_ERROR;
	}
}

int dki_conn_open(struct dki_conn *c, const char *addr, unsigned port,
		  double deadline, char *why, size_t whylen)
{
	struct addrinfo hints, *ai = NULL;
	char svc[8];
	int fd, r, err = 0;
	socklen_t elen = sizeof(err);

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->deadline = deadline;
	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(svc, sizeof(svc), "%u", port);
	r = getaddrinfo(addr, svc, &hints, &ai);
	if (r != 0 || !ai) {
		whyf(why, whylen, "bad address %s: %s", addr, gai_strerror(r));
		return DK_ECONNREFUSED;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
	if (fd < 0) {
		whyf(why, whylen, "cannot make a socket: %s", strerror(errno));
		freeaddrinfo(ai);
		return DK_ECONNREFUSED;
	}
	r = connect(fd, ai->ai_addr, ai->ai_addrlen);
	freeaddrinfo(ai);
	if (r < 0 && errno != EINPROGRESS) {
		whyf(why, whylen, "connect: %s", strerror(errno));
		close(fd);
		return DK_ECONNREFUSED;
	}
	if (r < 0) {
		r = wait_fd(fd, POLLOUT, deadline);
		if (r == DK_ETIMEDOUT) {
			whyf(why, whylen,
			     "connect: no answer within the time-out");
			close(fd);
			return DK_ETIMEDOUT;
		}
		if (r < 0 ||
		    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0) {
			whyf(why, whylen, "connect: %s", strerror(errno));
			close(fd);
			return DK_ECONNREFUSED;
		}
		if (err != 0) {
			whyf(why, whylen, "connect: %s", strerror(err));
			close(fd);
			return err == ETIMEDOUT ? DK_ETIMEDOUT
						: DK_ECONNREFUSED;
		}
	}
	c->fd = fd;
	return 0;
}

void dki_conn_close(struct dki_conn *c)
{
	if (c && c->fd >= 0) {
		close(c->fd);
		c->fd = -1;
	}
}

/* Send all of @s before the deadline: 0 or DK_ETIMEDOUT / DK_EIO. */
static int send_all(struct dki_conn *c, const char *s)
{
	size_t len = strlen(s), off = 0;

	while (off < len) {
		ssize_t n = send(c->fd, s + off, len - off, MSG_NOSIGNAL);

		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK ||
			      errno == EINTR)) {
			int r = wait_fd(c->fd, POLLOUT, c->deadline);

			if (r < 0) {
				return r;
			}
			continue;
		}
		return DK_EIO;
	}
	return 0;
}

/*
 * Read one line (without CR LF) into @line: 0, DK_ETIMEDOUT, DK_EIO (read
 * error), DK_EPROTO (closed by the peer, or a line too long).
 */
static int read_line(struct dki_conn *c, char *line, size_t size)
{
	for (;;) {
		char *nl = memchr(c->buf, '\n', c->len);
		ssize_t n;
		int r;

		if (nl) {
			size_t l = (size_t)(nl - c->buf), k = l;

			if (k && c->buf[k - 1] == '\r') {
				k--;
			}
			if (k >= size) {
				k = size - 1;
			}
			memcpy(line, c->buf, k);
			line[k] = '\0';
			memmove(c->buf, nl + 1, c->len - l - 1);
			c->len -= l + 1;
			return 0;
		}
		if (c->len >= LINE_MAX_LEN || c->len >= sizeof(c->buf) - 1) {
			return DK_EPROTO;
		}
		n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len,
			 0);
		if (n > 0) {
			c->len += (size_t)n;
			continue;
		}
		if (n == 0) {
			return DK_EPROTO;
		}
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
			return DK_EIO;
		}
		r = wait_fd(c->fd, POLLIN, c->deadline);
		if (r < 0) {
			return r;
		}
	}
}

static int io_status(int r, const char *what, char *why, size_t whylen)
{
	switch (r) {
	case DK_ETIMEDOUT:
		whyf(why, whylen, "%s: no answer within the time-out", what);
		return DK_ETIMEDOUT;
	case DK_EPROTO:
		whyf(why, whylen,
		     "%s: the server closed the connection or sent "
		     "an overlong line",
		     what);
		return DK_EPROTO;
	default:
		whyf(why, whylen, "%s: %s", what, strerror(errno));
		return DK_EPROTO;
	}
}

/*
 * Read a multi-line reply of SMTP or FTP ("ddd-" continues, "ddd "
 * ends). The code goes to *@code; @fn is called on each line's text.
 */
static int read_reply(struct dki_conn *c, int *code, char *first,
		      size_t firstlen, int (*fn)(const char *text, void *arg),
		      void *arg)
{
	char line[LINE_MAX_LEN + 1];

	for (int i = 0; i < REPLY_MAX_LINES; i++) {
		int r = read_line(c, line, sizeof(line));

		if (r < 0) {
			return r;
		}
		if (i == 0 && first) {
			snprintf(first, firstlen, "%s", line);
		}
		if (strlen(line) < 3 || line[0] < '1' || line[0] > '5' ||
		    line[1] < '0' || line[1] > '9' || line[2] < '0' ||
		    line[2] > '9' ||
		    (line[3] && line[3] != '-' && line[3] != ' ')) {
			if (first) {
				snprintf(first, firstlen, "%s", line);
			}
			return DK_EDATA;
		}
		*code = (line[0] - '0') * 100 + (line[1] - '0') * 10 +
			(line[2] - '0');
		if (fn) {
			fn(line[3] ? line + 4 : "", arg);
		}
		if (line[3] != '-') {
			return 0;
		}
	}
	return DK_EDATA;
}

static int ehlo_keyword(const char *text, void *arg)
{
	size_t n = strcspn(text, " ");

	if (n == 8 && strncasecmp(text, "STARTTLS", 8) == 0) {
		*(int *)arg = 1;
	}
	return 0;
}

static int smtp_dialog(struct dki_conn *c, const char *ehlo, char *banner,
		       size_t bannerlen, char *why, size_t whylen)
{
	char first[LINE_MAX_LEN + 1] = "", cmd[300];
	int code = 0, starttls = 0, r;

	r = read_reply(c, &code, first, sizeof(first), NULL, NULL);
	snprintf(banner, bannerlen, "%s", first);
	if (r == DK_EDATA) {
		whyf(why, whylen, "greeting is not an SMTP reply: \"%.200s\"",
		     first);
		return DK_EPROTO;
	}
	if (r < 0) {
		return io_status(r, "greeting", why, whylen);
	}
	if (code != 220) {
		whyf(why, whylen, "the server refuses the session: \"%.200s\"",
		     first);
		return DK_EPROTO;
	}
	snprintf(cmd, sizeof(cmd), "EHLO %s\r\n", ehlo);
	r = send_all(c, cmd);
	if (r < 0) {
		return io_status(r, "EHLO", why, whylen);
	}
	r = read_reply(c, &code, first, sizeof(first), ehlo_keyword, &starttls);
	if (r == DK_EDATA) {
		whyf(why, whylen, "EHLO: bad reply \"%.200s\"", first);
		return DK_EPROTO;
	}
	if (r < 0) {
		return io_status(r, "EHLO", why, whylen);
	}
	if (code != 250) {
		whyf(why, whylen, "EHLO refused: \"%.200s\"", first);
		return DK_EPROTO;
	}
	if (!starttls) {
		whyf(why, whylen,
		     "the server does not offer STARTTLS in its "
		     "EHLO reply");
		send_all(c, "QUIT\r\n");
		return DK_ENOSTARTTLS;
	}
	r = send_all(c, "STARTTLS\r\n");
	if (r < 0) {
		return io_status(r, "STARTTLS", why, whylen);
	}
	r = read_reply(c, &code, first, sizeof(first), NULL, NULL);
	if (r == DK_EDATA) {
		whyf(why, whylen, "STARTTLS: bad reply \"%.200s\"", first);
		return DK_EPROTO;
	}
	if (r < 0) {
		return io_status(r, "STARTTLS", why, whylen);
	}
	if (code != 220) {
		whyf(why, whylen, "STARTTLS refused: \"%.200s\"", first);
		return DK_ENOSTARTTLS;
	}
	return 0;
}

static int ftp_dialog(struct dki_conn *c, char *banner, size_t bannerlen,
		      char *why, size_t whylen)
{
	char first[LINE_MAX_LEN + 1] = "";
	int code = 0, r;

	r = read_reply(c, &code, first, sizeof(first), NULL, NULL);
	snprintf(banner, bannerlen, "%s", first);
	if (r == DK_EDATA || (r == 0 && code != 220)) {
		whyf(why, whylen, "bad FTP greeting \"%.200s\"", first);
		return DK_EPROTO;
	}
	if (r < 0) {
		return io_status(r, "greeting", why, whylen);
	}
	r = send_all(c, "AUTH TLS\r\n");
	if (r < 0) {
		return io_status(r, "AUTH TLS", why, whylen);
	}
	r = read_reply(c, &code, first, sizeof(first), NULL, NULL);
	if (r < 0 && r != DK_EDATA) {
		return io_status(r, "AUTH TLS", why, whylen);
	}
	if (r == DK_EDATA || code != 234) {
		whyf(why, whylen, "AUTH TLS refused: \"%.200s\"", first);
		return DK_ENOSTARTTLS;
	}
	return 0;
}

/*
 * Read a one-line greeting that must start with @prefix (IMAP "* OK",
 * POP3 "+OK"; case-insensitive) into @line and @banner. 0
 * means "go on".
 */
static int greeting(struct dki_conn *c, const char *prefix, const char *proto,
		    char *line, size_t linelen, char *banner, size_t bannerlen,
		    char *why, size_t whylen)
{
	int r = read_line(c, line, linelen);

	if (r < 0) {
		return io_status(r, "greeting", why, whylen);
	}
	snprintf(banner, bannerlen, "%s", line);
	if (strncasecmp(line, prefix, strlen(prefix)) != 0) {
		whyf(why, whylen, "bad %s greeting \"%.200s\"", proto, line);
		return DK_EPROTO;
	}
	return 0;
}

static int imap_dialog(struct dki_conn *c, char *banner, size_t bannerlen,
		       char *why, size_t whylen)
{
	char line[LINE_MAX_LEN + 1];
	int st = greeting(c, "* OK", "IMAP", line, sizeof(line), banner,
			  bannerlen, why, whylen);
	int r;

	if (st != 0) {
		return st;
	}
	r = send_all(c, "dk1 STARTTLS\r\n");
	if (r < 0) {
		return io_status(r, "STARTTLS", why, whylen);
	}
	for (int i = 0; i < REPLY_MAX_LINES; i++) {
		r = read_line(c, line, sizeof(line));
		if (r < 0) {
			return io_status(r, "STARTTLS", why, whylen);
		}
		if (strncmp(line, "dk1 ", 4) == 0) {
			if (strncasecmp(line + 4, "OK", 2) == 0) {
				return 0;
			}
			whyf(why, whylen, "STARTTLS refused: \"%.200s\"", line);
			return DK_ENOSTARTTLS;
		}
	}
	whyf(why, whylen, "STARTTLS: no tagged reply");
	return DK_EPROTO;
}

static int pop3_dialog(struct dki_conn *c, char *banner, size_t bannerlen,
		       char *why, size_t whylen)
{
	char line[LINE_MAX_LEN + 1];
	int st = greeting(c, "+OK", "POP3", line, sizeof(line), banner,
			  bannerlen, why, whylen);
	int r;

	if (st != 0) {
		return st;
	}
	r = send_all(c, "STLS\r\n");
	if (r == 0) {
		r = read_line(c, line, sizeof(line));
	}
	if (r < 0) {
		return io_status(r, "STLS", why, whylen);
	}
	if (strncmp(line, "+OK", 3) != 0) {
		whyf(why, whylen, "STLS refused: \"%.200s\"", line);
		return DK_ENOSTARTTLS;
	}
	return 0;
}

/* Read until @needle (or @stop) shows up in the stream; 1, 0 (stop), < 0. */
static int read_until(struct dki_conn *c, const char *needle, const char *stop,
		      char *seen, size_t seenlen)
{
	size_t total = 0;

	for (;;) {
		ssize_t n;
		int r;

		c->buf[c->len] = '\0';
		snprintf(seen, seenlen, "%.*s", (int)(seenlen - 1), c->buf);
		if (strstr(c->buf, needle)) {
			c->len = 0;
			return 1;
		}
		if (stop && strstr(c->buf, stop)) {
			c->len = 0;
			return 0;
		}
		if (c->len >= sizeof(c->buf) - 1) {
			/* Keep the tail, where a tag may be cut in two. */
			memmove(c->buf, c->buf + c->len - 256, 256);
			c->len = 256;
		}
		if (total > 65536) {
			return DK_EPROTO;
		}
		n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len,
			 0);
		if (n > 0) {
			c->len += (size_t)n;
			total += (size_t)n;
			continue;
		}
		if (n == 0) {
			return DK_EPROTO;
		}
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
			return DK_EIO;
		}
		r = wait_fd(c->fd, POLLIN, c->deadline);
		if (r < 0) {
			return r;
		}
	}
}

static int xmpp_dialog(struct dki_conn *c, const char *domain, char *banner,
		       size_t bannerlen, char *why, size_t whylen)
{
	char open[600], seen[256];
	size_t dl = strlen(domain);
	int r;

	/* The stream's "to" is the service domain, without the final dot. */
	if (dl && domain[dl - 1] == '.') {
		dl--;
	}
	snprintf(open, sizeof(open),
		 "<?xml version='1.0'?><stream:stream to='%.*s' "
		 "xmlns='jabber:client' "
		 "xmlns:stream='http://etherx.jabber.org/streams' "
		 "version='1.0'>",
		 (int)dl, domain);
	r = send_all(c, open);
	if (r < 0) {
		return io_status(r, "stream", why, whylen);
	}
	r = read_until(c, "<starttls", "</stream:features>", seen,
		       sizeof(seen));
	snprintf(banner, bannerlen, "%.120s", seen);
	if (r < 0) {
		return io_status(r, "stream features", why, whylen);
	}
	if (r == 0) {
		whyf(why, whylen, "the server does not offer <starttls/>");
		return DK_ENOSTARTTLS;
	}
	r = send_all(c, "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
	if (r < 0) {
		return io_status(r, "starttls", why, whylen);
	}
	r = read_until(c, "<proceed", "<failure", seen, sizeof(seen));
	if (r < 0) {
		return io_status(r, "starttls", why, whylen);
	}
	if (r == 0) {
		whyf(why, whylen, "starttls refused: \"%.200s\"", seen);
		return DK_ENOSTARTTLS;
	}
	return 0;
}

int dki_starttls(struct dki_conn *c, enum dk_starttls proto, const char *ehlo,
		 const char *domain, char *banner, size_t bannerlen, char *why,
		 size_t whylen)
{
	int st;

	banner[0] = '\0';
	switch (proto) {
	case DK_STARTTLS_NONE:
		return 0;
	case DK_STARTTLS_SMTP:
		st = smtp_dialog(c, ehlo, banner, bannerlen, why, whylen);
		break;
	case DK_STARTTLS_IMAP:
		st = imap_dialog(c, banner, bannerlen, why, whylen);
		break;
	case DK_STARTTLS_POP3:
		st = pop3_dialog(c, banner, bannerlen, why, whylen);
		break;
	case DK_STARTTLS_XMPP:
		st = xmpp_dialog(c, domain, banner, bannerlen, why, whylen);
		break;
	case DK_STARTTLS_FTP:
		st = ftp_dialog(c, banner, bannerlen, why, whylen);
		break;
	default:
		whyf(why, whylen, "unknown STARTTLS protocol");
		return DK_EPROTO;
	}
	/*
	 * Plaintext sent after the go-ahead would be read as if it came
	 * through TLS by a careless client (CVE-2011-0411); we drop it.
	 */
	c->len = 0;
	return st;
}

int dki_tls_handshake(struct dki_conn *c, SSL *ssl, char *why, size_t whylen)
{
	if (!SSL_set_fd(ssl, c->fd)) {
		char rb[256];

		whyf(why, whylen, "SSL_set_fd: %s",
		     dki_openssl_reason(rb, sizeof(rb)));
		return DK_ETLS;
	}
	for (;;) {
		int r, e, w;

		ERR_clear_error();
		errno = 0;
		r = SSL_connect(ssl);
		if (r == 1) {
			return 0;
		}
		e = SSL_get_error(ssl, r);
		if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
			w = wait_fd(c->fd,
				    e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT,
				    c->deadline);
			if (w == DK_ETIMEDOUT) {
				whyf(why, whylen,
				     "TLS handshake: no progress within "
				     "the time-out");
				ERR_clear_error();
				return DK_ETIMEDOUT;
			}
			if (w < 0) {
				whyf(why, whylen, "TLS handshake: poll: %s",
				     strerror(errno));
				ERR_clear_error();
				return DK_ETLS;
			}
			continue;
		}
		if (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) {
			whyf(why, whylen, "TLS handshake: %s",
			     errno ? strerror(errno)
				   : "the server closed the connection");
			return DK_ETLS;
		}
		{
			char rb[256];

			whyf(why, whylen, "TLS handshake failed: %s",
			     dki_openssl_reason(rb, sizeof(rb)));
		}
		return DK_ETLS;
	}
}

void dki_tls_goodbye(struct dki_conn *c, SSL *ssl, enum dk_starttls proto)
{
	static const char *const bye[] = {
		[DK_STARTTLS_SMTP] = "QUIT\r\n",
		[DK_STARTTLS_IMAP] = "dk2 LOGOUT\r\n",
		[DK_STARTTLS_POP3] = "QUIT\r\n",
		[DK_STARTTLS_XMPP] = "</stream:stream>",
		[DK_STARTTLS_FTP] = "QUIT\r\n",
	};
	const char *s = (unsigned)proto < sizeof(bye) / sizeof(bye[0])
				? bye[proto]
				: NULL;

	(void)c;
	if (s) {
		SSL_write(ssl, s, (int)strlen(s));
	}
	SSL_shutdown(ssl);
	ERR_clear_error();
}
