/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Inputs of every command, run as the danekit program in the fixtures
 * folder: each bad input is refused before anything is sent or waited for,
 * with its exit status (DESIGN.md), exactly one line on stderr and nothing
 * on stdout. No lab: a command that got as far as its resolver would
 * fail on the missing --unbound-conf (66) instead, and one that got as
 * far as the network would wait. Also: --version after any command, -q
 * and -v, and tlsa --from with address literals against a private
 * `openssl s_server`.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "helpers.h"

#define NOCONF "--unbound-conf", "/nonexistent/unbound.conf"
#define Z64 "0000000000000000000000000000000000000000000000000000000000000000"

struct bad_case {
	const char *args[20];
	int status;
	const char *err; /* in the one stderr line */
};

static void run_cases(const struct bad_case *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct fx_run r;
		char line[512] = "";

		for (size_t k = 0; c[i].args[k]; k++) {
			snprintf(line + strlen(line),
				 sizeof(line) - strlen(line), "%s ",
				 c[i].args[k]);
		}
		fx_run_argv(&r, NULL, c[i].args);
		cr_expect_eq(r.status, c[i].status, "%s: exit %d, not %d: %s",
			     line, r.status, c[i].status, r.err);
		cr_expect_str_empty(r.out, "%s: stdout: %s", line, r.out);
		cr_expect_eq(fx_lines(r.err), 1, "%s: not one line: %s", line,
			     r.err);
		cr_expect(strncmp(r.err, "danekit: ", 9) == 0, "%s: %s", line,
			  r.err);
		cr_expect(strstr(r.err, c[i].err), "%s: no '%s' in: %s", line,
			  c[i].err, r.err);
		fx_run_free(&r);
	}
}

Test(cli_inputs, tlsa)
{
	static const struct bad_case c[] = {
		{ { "tlsa", "--host", "192.0.2.1", "p256.crt.pem" },
		  64,
		  "address" },
		{ { "tlsa", "--host", "[2001:db8::1]", "p256.crt.pem" },
		  64,
		  "address" },
		{ { "tlsa", "--host", "2001:db8::1", "p256.crt.pem" },
		  64,
		  "address" },
		{ { "tlsa", "--host", "_25._tcp.mail.example.com",
		    "p256.crt.pem" },
		  64,
		  "give the host name alone (mail.example.com)" },
		{ { "tlsa", "--host", "mail.example.com:25", "p256.crt.pem" },
		  64,
		  "port on its own" },
		{ { "tlsa", "-u", "2", "leaf.crt.pem" },
		  65,
		  "usage 2 needs the issuing CA: give the chain "
		  "(fullchain.pem) or the CA certificate" },
		{ { "tlsa", "-u", "PKIX-TA", "combo.pem" },
		  65,
		  "usage 0 needs the issuing CA" },
		/* good inputs first: still nothing printed */
		{ { "tlsa", "p256.crt.pem", "-u", "2", "leaf.crt.der" },
		  65,
		  "leaf.crt.der: usage 2 needs" },
		{ { "--json", "tlsa", "--format", "zone", "--host",
		    "mail.example.com", "p256.crt.pem" },
		  64,
		  "--json and --format exclude each other" },
		{ { "tlsa", "--format", "rdata", "--json", "p256.crt.pem" },
		  64,
		  "--json and --format" },
		{ { "-q", "tlsa", "--format", "json", "p256.crt.pem" },
		  64,
		  "-q and --format json" },
		{ { "tlsa", "--from", "[mail.example.com]:25" }, 64, "--from" },
		{ { "tlsa", "--from", "[::1" }, 64, "--from" },
		{ { "tlsa", "--from", "[::1]:0" }, 64, "--from" },
		{ { "tlsa", "--from", "a:b:c" }, 64, "--from" },
		{ { "tlsa", "--from", "192.0.2.1:25", "--host", "192.0.2.1" },
		  64,
		  "address" },
		{ { "-q", "-v", "tlsa", "p256.crt.pem" },
		  64,
		  "-v and -q exclude each other" },
		{ { "-v", "tlsa", "-q", "p256.crt.pem" },
		  64,
		  "-q and -v exclude each other" },
	};

	run_cases(c, sizeof(c) / sizeof(c[0]));
}

Test(cli_inputs, publish)
{
	static const struct bad_case c[] = {
		{ { "publish", "--host", "mail.example.com", "--dry-run",
		    "--server", "127.0.0.1", "--zone", "example.com", "--add",
		    "4 1 1 " Z64 },
		  65,
		  "usage 4 is not defined" },
		{ { "publish", "--host", "mail.example.com", "--dry-run",
		    "--server", "127.0.0.1", "--zone", "example.com", "--add",
		    "3 1 1 " Z64 "00" },
		  65,
		  "is 33 bytes" },
		{ { "publish", "--host", "mail.example.com", "--dry-run",
		    "--server", "127.0.0.1", "--zone", "example.com", "--add",
		    /* 31 bytes */
		    "3 1 1 "
		    "00000000000000000000000000000000000000000000000000000"
		    "00000" },
		  65,
		  "a SHA2-256 digest (matching type 1) is 32 bytes" },
		{ { "publish", "--host", "mail.example.com", "--dry-run",
		    "--server", "127.0.0.1", "--zone", "example.com", "--add",
		    "3 1 2 " Z64 },
		  65,
		  "SHA2-512 digest (matching type 2) is 64 bytes" },
		{ { "publish", "--host", "mail.example.com", "--dry-run",
		    "--server", "127.0.0.1", "--zone", "example.com", "--add",
		    "3 2 1 " Z64 },
		  65,
		  "selector 2" },
		{ { "publish", "--host", "mail.example.com", "--dry-run",
		    "--server", "127.0.0.1", "--zone", "example.com", "--add",
		    "3 1 0 3003020100" },
		  65,
		  "DER SubjectPublicKeyInfo" },
		{ { "publish", "--host", "mail.example.com", "--dry-run",
		    "--server", "127.0.0.1", "--zone", "example.com", "--add",
		    "3 1 1 " Z64, "--remove", "3 1 1 " Z64 },
		  64,
		  "the same record is added and removed (3 1 1 " Z64 ")" },
		{ { "publish", "--host", "mail.example.com", "--dry-run",
		    "--server", "127.0.0.1", "--zone", "example.com", "-u", "2",
		    "--add", "leaf.crt.pem" },
		  65,
		  "leaf.crt.pem: usage 2 needs the issuing CA" },
		{ { "publish", "--host", "mail.example.com", "--dry-run", "-u",
		    "4", "--add", "p256.crt.pem" },
		  64,
		  "--usage: '4'" },
		{ { "publish", "--host", "mail.example.com", "--dry-run", "-m",
		    "3", "--add", "p256.crt.pem" },
		  64,
		  "--mtype: '3'" },
		{ { "publish", "--tlsa-name", "mail.example.com", "--dry-run",
		    "--add", "p256.crt.pem" },
		  64,
		  "e.g. _25._tcp.mail.example.com" },
		{ { "publish", "--tlsa-name", "_25.mail.example.com",
		    "--dry-run", "--add", "p256.crt.pem" },
		  64,
		  "_PORT._PROTO" },
		{ { "publish", "--tlsa-name", "_25._tcp.mail.example.com",
		    "--port", "25", "--dry-run", "--add", "p256.crt.pem" },
		  64,
		  "--port and --tlsa-name exclude each other" },
		{ { "publish", "--tlsa-name", "_25._tcp.mail.example.com",
		    "--host", "mail.example.com", "--dry-run", "--add",
		    "p256.crt.pem" },
		  64,
		  "--host and --tlsa-name" },
		{ { "publish", "--host", "192.0.2.1", "--dry-run", "--add",
		    "p256.crt.pem" },
		  64,
		  "address" },
		{ { "publish", "--host", "_25._tcp.mail.example.com",
		    "--dry-run", "--add", "p256.crt.pem" },
		  64,
		  "already a TLSA owner name" },
	};

	run_cases(c, sizeof(c) / sizeof(c[0]));
}

/* A record to remove may be anything: a bad one must be removable. */
Test(cli_inputs, publish_removes_bad_records)
{
	struct fx_run r;

	fx_run(&r, NULL, "--timeout", "1", "publish", "--host",
	       "mail.example.com", "--dry-run", "--server", "127.0.0.1@1",
	       "--zone", "example.com", "--remove", "3 1 1 00", NULL);
	/* past the checks: it asked the primary, where nothing listens */
	cr_assert_eq(r.status, 75, "%d %s", r.status, r.err);
	cr_assert(strstr(r.err, "unreachable"), "%s", r.err);
	fx_run_free(&r);
}

Test(cli_inputs, hook)
{
	char *conf = fx_tmpfile("owner-no-prefix.conf",
				"tlsa-name = mail.example.com\n"
				"deploy-combined = /tmp/dk-x.pem\n");
	const struct bad_case c[] = {
		{ { "hook", "certbot", "--tlsa-name", "mail.example.com",
		    "--deploy-combined", "/tmp/dk-x.pem" },
		  64,
		  "--tlsa-name: 'mail.example.com' is not a TLSA owner name" },
		{ { "hook", "resume", "--tlsa-name", "_25._tcp.192.0.2.1",
		    "--deploy-combined", "/tmp/dk-x.pem" },
		  64,
		  "address" },
		/* in the config file: a bad line (65), named */
		{ { "hook", "resume", "--config", conf },
		  65,
		  "line 1: tlsa-name: 'mail.example.com' is not a TLSA owner "
		  "name" },
		{ { "hook", "resume", "--tlsa-name", "_25._tcp.a.example",
		    "--deploy-combined", "/tmp/dk-x.pem", "--no-auth-check",
		    "--auth-port", "5353" },
		  64,
		  "no-auth-check and auth-port exclude each other" },
		/* outside the client: bad data (65), as every library code
		 * maps through the one table */
		{ { "hook", "certbot", "--tlsa-name", "_25._tcp.a.example",
		    "--deploy-combined", "/tmp/dk-x.pem", "--state-dir",
		    "/tmp/dk-x" },
		  65,
		  "RENEWED_LINEAGE is not set" },
	};

	run_cases(c, sizeof(c) / sizeof(c[0]));
	free(conf);
}

Test(cli_inputs, rollover)
{
	static const struct bad_case c[] = {
		{ { "rollover", "--host", "mail.example.com", "--current",
		    "p256.crt.pem", "--next", "rsa.crt.pem", "--no-connect",
		    "--connect", "127.0.0.1:25" },
		  64,
		  "--no-connect and --connect exclude each other" },
		{ { "rollover", "--host", "mail.example.com", "--current",
		    "p256.crt.pem", "--next", "rsa.crt.pem", "--no-connect",
		    "--starttls", "smtp" },
		  64,
		  "--no-connect and --starttls" },
		{ { "rollover", "--host", "mail.example.com", "--current",
		    "p256.crt.pem", "--next", "rsa.crt.pem", "--no-auth-check",
		    "--auth-port", "5353" },
		  64,
		  "--no-auth-check and --auth-port exclude each other" },
		{ { "rollover", "--prepare-next", "--key-out", "tmp/never.key",
		    "--host", "mail.example.com", "--state", "tmp/st" },
		  64,
		  "--prepare-next and --state" },
		{ { "rollover", "--prepare-next", "--key-out", "tmp/never.key",
		    "--host", "mail.example.com", "--csr-out", "tmp/never.csr",
		    "--name", "192.0.2.1" },
		  64,
		  "--name '192.0.2.1'" },
		{ { "rollover", "--host", "192.0.2.1", "--current",
		    "p256.crt.pem", "--next", "rsa.crt.pem" },
		  64,
		  "address" },
	};

	run_cases(c, sizeof(c) / sizeof(c[0]));
	cr_assert_neq(access("tmp/never.key", F_OK), 0);
}

Test(cli_inputs, check)
{
	static const struct bad_case c[] = {
		{ { NOCONF, "check", "smtp", "127.53.1.16" },
		  64,
		  "'127.53.1.16' is an address: check smtp takes a mail "
		  "domain" },
		{ { NOCONF, "check", "smtp", "[127.53.1.16]" },
		  64,
		  "is an address" },
		{ { NOCONF, "check", "smtp", "::1" }, 64, "is an address" },
		{ { NOCONF, "check", "smtp", "dane-ok.test:25" },
		  64,
		  "not HOST:PORT" },
		{ { NOCONF, "check", "--at", "2026-02-30", "smtp",
		    "dane-ok.test" },
		  64,
		  "--at: '2026-02-30'" },
		{ { NOCONF, "check", "--at", "2025-02-29", "smtp",
		    "dane-ok.test" },
		  64,
		  "--at" },
		{ { NOCONF, "check", "--at", "2026-13-01", "smtp",
		    "dane-ok.test" },
		  64,
		  "--at" },
		{ { NOCONF, "check", "--at", "2026-04-31T00:00:00Z", "smtp",
		    "dane-ok.test" },
		  64,
		  "--at" },
		/* a time without a zone is not RFC 3339 */
		{ { NOCONF, "check", "--at", "2026-02-28T12:00:00", "smtp",
		    "dane-ok.test" },
		  64,
		  "--at" },
		{ { NOCONF, "check", "--at", "2026-02-28T24:00:00Z", "smtp",
		    "dane-ok.test" },
		  64,
		  "--at" },
		{ { NOCONF, "check", "--at", "2026-02-28T12:30:60Z", "smtp",
		    "dane-ok.test" },
		  64,
		  "--at" },
		{ { NOCONF, "check", "--at", "2026-02-28T12:00:00+2:00", "smtp",
		    "dane-ok.test" },
		  64,
		  "--at" },
		{ { NOCONF, "check", "tls", "--ca-path", "/nonexistent.d",
		    "www.tls-ok.test" },
		  66,
		  "--ca-path /nonexistent.d: No such file or directory" },
		{ { NOCONF, "check", "tls", "--ca-file", "/nonexistent.pem",
		    "www.tls-ok.test" },
		  66,
		  "--ca-file /nonexistent.pem: No such file or directory" },
		{ { NOCONF, "check", "tls", "--ca-path", "ca.crt.pem",
		    "www.tls-ok.test" },
		  66,
		  "--ca-path ca.crt.pem: Not a directory" },
		{ { NOCONF, "check", "tls", "--ca-file", "bad",
		    "www.tls-ok.test" },
		  66,
		  "--ca-file bad: Is a directory" },
		{ { NOCONF, "check", "tls", "--allow-partial",
		    "www.tls-ok.test" },
		  64,
		  "--allow-partial belongs to check smtp" },
		{ { "check", "-q", "--json", "smtp", "dane-ok.test" },
		  64,
		  "--json and -q exclude each other" },
	};

	run_cases(c, sizeof(c) / sizeof(c[0]));
}

Test(cli_inputs, lookup_and_chain)
{
	static const struct bad_case c[] = {
		{ { NOCONF, "lookup" }, 64, "no name given" },
		{ { NOCONF, "lookup", "a.example", "NOSUCHTYPE" },
		  64,
		  "not a DNS record type" },
		{ { NOCONF, "lookup", "a.example", "A", "extra" },
		  64,
		  "too many arguments" },
		{ { NOCONF, "lookup", "-q", "-v", "a.example" },
		  64,
		  "-v and -q exclude each other" },
		{ { NOCONF, "chain", "--warn-days", "-1", "a.example" },
		  64,
		  "--warn-days" },
		{ { NOCONF, "chain", "--json", "-q", "a.example" },
		  64,
		  "-q and --json exclude each other" },
		{ { NOCONF, "frobnicate" }, 64, "unknown command" },
		{ { NOCONF, "audit", "--at", "2026-02-30T00:00:00Z",
		    "mail.example" },
		  64,
		  "--at: '2026-02-30T00:00:00Z'" },
		{ { NOCONF, "audit", "-q", "-v", "mail.example" },
		  64,
		  "-v and -q exclude each other" },
	};

	run_cases(c, sizeof(c) / sizeof(c[0]));
}

/* Good dates get past --at: as far as the (missing) resolver set-up. */
Test(cli_inputs, check_at_rfc3339)
{
	static const char *const good[] = {
		"2024-02-29",
		"2026-02-28T12:00:00Z",
		"2026-02-28t12:00:00z",
		"2026-02-28 12:00:00Z",
		"2026-02-28T12:00:00+02:00",
		"2026-02-28T12:00:00.25-05:30",
		"2016-12-31T23:59:60Z",
		"@1767225600",
		"+3d",
	};

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct fx_run r;

		fx_run(&r, NULL, NOCONF, "check", "--at", good[i], "smtp",
		       "dane-ok.test", NULL);
		cr_expect_eq(r.status, 66, "--at %s: %d %s", good[i], r.status,
			     r.err);
		cr_expect_null(strstr(r.err, "--at"), "--at %s: %s", good[i],
			       r.err);
		fx_run_free(&r);
	}
}

/* --version is a global option: accepted after any command, as --help. */
Test(cli_inputs, version_anywhere)
{
	static const char *const cmds[][4] = {
		{ "--version" },
		{ "tlsa", "--version" },
		{ "tlsa", "p256.crt.pem", "--version" },
		{ "lookup", "--version" },
		{ "chain", "--version" },
		{ "check", "--version" },
		{ "check", "smtp", "--version" },
		{ "rollover", "--version" },
		{ "hook", "--version" },
		{ "hook", "certbot", "--version" },
		{ "publish", "--version" },
		{ "audit", "--version" },
		{ "doctor", "--version" },
	};
	struct fx_run v;

	/* the version of the library the program links: dk_version() */
	fx_run(&v, NULL, "--version", NULL);
	cr_assert_eq(v.status, 0);
	cr_assert(strncmp(v.out, "danekit ", 8) == 0, "%s", v.out);
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		struct fx_run r;

		fx_run_argv(&r, NULL, cmds[i]);
		cr_expect_eq(r.status, 0, "%s %s: %d %s", cmds[i][0],
			     cmds[i][1] ? cmds[i][1] : "", r.status, r.err);
		cr_expect_str_eq(r.out, v.out, "%s %s", cmds[i][0],
				 cmds[i][1] ? cmds[i][1] : "");
		cr_expect_str_empty(r.err);
		fx_run_free(&r);
	}
	fx_run_free(&v);
}

/* tlsa -q: nothing but the exit status; -v: a comment per record. */
Test(cli_inputs, tlsa_quiet_and_verbose)
{
	struct fx_run r;
	char *want = NULL;

	fx_run(&r, NULL, "-q", "tlsa", "chain.pem", "p256.crt.pem", NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_empty(r.out);
	cr_assert_str_empty(r.err);
	fx_run_free(&r);
	fx_run(&r, NULL, "tlsa", "-q", "leaf.crt.pem", "-u", "2", NULL);
	cr_assert_eq(r.status, 65, "-q still fails: %s", r.err);
	fx_run_free(&r);
	fx_run(&r, NULL, "-v", "tlsa", "-u", "2", "chain.pem", NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(asprintf(&want,
			   "; chain.pem: certificate 2 of 3 (issuer), subject "
			   "/CN=danekit test root\n2 1 1 %s\n",
			   fx_find("ca.crt.pem", 2, 1, 1)->hex) > 0);
	cr_assert_str_eq(r.out, want);
	free(want);
	fx_run_free(&r);
}

/* ---- tlsa --from ADDR: connect there, no DNS, no SNI ---- */

static unsigned free_port(int family)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int fd = socket(family, SOCK_STREAM, 0);
	unsigned port;

	cr_assert_geq(fd, 0);
	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_addr = in6addr_loopback;
		len = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof(*a);
	}
	cr_assert_eq(bind(fd, (struct sockaddr *)&ss, len), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
	port = ntohs(family == AF_INET6
			     ? ((struct sockaddr_in6 *)&ss)->sin6_port
			     : ((struct sockaddr_in *)&ss)->sin_port);
	close(fd);
	return port;
}

/* Wait until something accepts at @addr:@port (5 s at most). */
static void wait_listening(int family, unsigned port)
{
	for (int i = 0; i < 100; i++) {
		struct sockaddr_storage ss;
		socklen_t len;
		int fd = socket(family, SOCK_STREAM, 0), ok;

		memset(&ss, 0, sizeof(ss));
		if (family == AF_INET6) {
			struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

			a->sin6_family = AF_INET6;
			a->sin6_addr = in6addr_loopback;
			a->sin6_port = htons((uint16_t)port);
			len = sizeof(*a);
		} else {
			struct sockaddr_in *a = (struct sockaddr_in *)&ss;

			a->sin_family = AF_INET;
			a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
			a->sin_port = htons((uint16_t)port);
			len = sizeof(*a);
		}
		ok = connect(fd, (struct sockaddr *)&ss, len) == 0;
		close(fd);
		if (ok) {
			return;
		}
		usleep(50000);
	}
	cr_assert_fail("openssl s_server did not start on port %u", port);
}

/*
 * openssl s_server at @accept with rsa.crt.pem, and p256.crt.pem for SNI
 * name.invalid; any other SNI name is a fatal alert (-servername_fatal),
 * so a client that sends an address as SNI gets no chain. It serves one
 * connection after the probe of wait_listening().
 */
static pid_t s_server(const char *accept, int family, unsigned port)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		if (chdir(fx_dir()) != 0 || null < 0) {
			_exit(127);
		}
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		execlp("openssl", "openssl", "s_server", "-accept", accept,
		       "-cert", "rsa.crt.pem", "-key", "rsa.key.pem",
		       "-servername", "name.invalid", "-cert2", "p256.crt.pem",
		       "-key2", "p256.key.pem", "-servername_fatal", "-naccept",
		       "2", "-quiet", (char *)NULL);
		_exit(127);
	}
	wait_listening(family, port);
	return pid;
}

Test(cli_inputs, tlsa_from_address_literals)
{
	struct {
		int family;
		const char *fmt_accept, *fmt_from;
	} t[] = {
		{ AF_INET, "127.0.0.1:%u", "127.0.0.1:%u" },
		{ AF_INET6, "[::1]:%u", "[::1]:%u" },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		unsigned port = free_port(t[i].family);
		char accept[64], from[64], *want = NULL;
		struct fx_run r;
		pid_t pid;
		int st;

		snprintf(accept, sizeof(accept), t[i].fmt_accept, port);
		snprintf(from, sizeof(from), t[i].fmt_from, port);
		pid = s_server(accept, t[i].family, port);
		/* no resolver is made: a missing --unbound-conf is no
		 * matter; the default certificate, as no SNI was sent */
		fx_run(&r, NULL, NOCONF, "--timeout", "5", "tlsa", "--from",
		       from, NULL);
		kill(pid, SIGTERM);
		waitpid(pid, &st, 0);
		cr_assert(asprintf(&want, "3 1 1 %s\n",
				   fx_find("rsa.crt.pem", 3, 1, 1)->hex) > 0);
		cr_expect_eq(r.status, 0, "%s: %d %s", from, r.status, r.err);
		cr_expect_str_eq(r.out, want, "%s", from);
		free(want);
		fx_run_free(&r);
	}
}
