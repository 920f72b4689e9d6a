/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target: the plaintext exchanges before STARTTLS (dki_starttls():
 * SMTP, IMAP, POP3, XMPP and FTP reply parsing). Input: the protocol (1
 * byte, enum dk_starttls), then all the server says. No network: the
 * server's part is written into a socketpair whose far end is then shut
 * for writing, so every read ends at the data's end instead of waiting.
 */
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dane/internal.h"

#include "fuzz.h"

/* Less than a socketpair buffer holds, more than the parsers read. */
#define SERVER_MAX 65536

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dki_conn c;
	char banner[256], why[512];
	int sv[2];
	int st;

	if (size < 1 || size > SERVER_MAX + 1) {
		return 0;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		return 0;
	}
	{
		int sz = 4 * SERVER_MAX;

		setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
		setsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	}
	for (size_t off = 1; off < size;) {
		ssize_t n = send(sv[1], data + off, size - off, MSG_DONTWAIT);

		if (n <= 0) {
			break; /* what fits is what the server said */
		}
		off += (size_t)n;
	}
	shutdown(sv[1], SHUT_WR);
	memset(&c, 0, sizeof(c));
	c.fd = sv[0];
	c.deadline = dki_mono() + 10;
	why[0] = '\0';
	st = dki_starttls(&c, (enum dk_starttls)(data[0] % 7), "client.example",
			  "xmpp.example.", banner, sizeof(banner), why,
			  sizeof(why));
	FUZZ_CHECK(memchr(banner, '\0', sizeof(banner)));
	FUZZ_CHECK(memchr(why, '\0', sizeof(why)));
	FUZZ_CHECK(c.len == 0);
	FUZZ_CHECK(st <= 0);
	FUZZ_CHECK(st == 0 || why[0] != '\0');
	dki_conn_close(&c);
	close(sv[1]);
	return 0;
}
