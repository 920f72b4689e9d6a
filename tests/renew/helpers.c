/* SPDX-License-Identifier: BSD-3-Clause */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "dkt.h"
#include "helpers.h"

char *lab_conf, *lab_port, *lab_pki, *prim_conf, *prim_port, *prim_server,
	*prim_key, *prim_badkey, *prim_addr, *prim_addr2, *prim_lock;

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	char chunk[4096];
	size_t n;

	if (f) {
		while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
			fwrite(chunk, 1, n, m);
		}
		fclose(f);
	}
	fclose(m);
	return buf;
}

struct run run(const char *fmt, ...)
{
	struct run r = { -1, NULL, NULL };
	char *cmd = NULL, *full = NULL;
	char outp[] = "/tmp/dk-renew-out-XXXXXX",
	     errp[] = "/tmp/dk-renew-err-XXXXXX";
	int fo = mkstemp(outp), fe = mkstemp(errp), st;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&cmd, fmt, ap) < 0) {
		cmd = NULL;
	}
	va_end(ap);
	if (fo >= 0) {
		close(fo);
	}
	if (fe >= 0) {
		close(fe);
	}
	if (cmd && asprintf(&full, "( %s ) >%s 2>%s </dev/null", cmd, outp,
			    errp) >= 0) {
		st = system(full);
		r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	}
	r.out = slurp(outp);
	r.err = slurp(errp);
	dkt_json_seen(cmd, r.out, r.status);
	unlink(outp);
	unlink(errp);
	free(cmd);
	free(full);
	return r;
}

void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
}

const char *danekit(void)
{
	const char *d = getenv("DANEKIT");

	cr_assert(d && *d, "DANEKIT is not set (run through meson test)");
	return d;
}

static char *env_value(const char *text, const char *key)
{
	size_t kl = strlen(key);

	for (const char *p = text; p && *p;) {
		const char *e = strchr(p, '\n');
		size_t n = e ? (size_t)(e - p) : strlen(p);

		if (n > kl && strncmp(p, key, kl) == 0 && p[kl] == '=') {
			return strndup(p + kl + 1, n - kl - 1);
		}
		p = e ? e + 1 : NULL;
	}
	return NULL;
}

void lab_up(void)
{
	const char *src = getenv("DK_SRCDIR");
	struct run r;

	cr_assert(src, "DK_SRCDIR is not set (run through meson test)");
	if (prim_conf) {
		return;
	}
	/* one test at a time starts the servers */
	r = run("flock /tmp/danekit-renew-tests.lock sh -c 'bash "
		"%s/testzones/lab up "
		"&& bash %s/testzones/primary up'",
		src, src);
	cr_assert_eq(r.status, 0, "lab/primary up failed: %s", r.err);
	run_free(&r);
	r = run("bash %s/testzones/lab env; bash %s/testzones/primary env", src,
		src);
	cr_assert_eq(r.status, 0, "lab env failed: %s", r.err);
	lab_conf = env_value(r.out, "DK_LAB_CONF");
	lab_port = env_value(r.out, "DK_LAB_PORT");
	lab_pki = env_value(r.out, "DK_LAB_PKI");
	prim_conf = env_value(r.out, "DK_PRIMARY_CONF");
	prim_port = env_value(r.out, "DK_PRIMARY_PORT");
	prim_server = env_value(r.out, "DK_PRIMARY_SERVER");
	prim_key = env_value(r.out, "DK_PRIMARY_KEY");
	prim_badkey = env_value(r.out, "DK_PRIMARY_BADKEY");
	prim_addr = env_value(r.out, "DK_PRIMARY_ADDR");
	prim_addr2 = env_value(r.out, "DK_PRIMARY_ADDR2");
	prim_lock = env_value(r.out, "DK_PRIMARY_SYNC_LOCK");
	run_free(&r);
	cr_assert(lab_conf && lab_port && lab_pki && prim_conf && prim_port &&
			  prim_server && prim_key && prim_badkey && prim_addr &&
			  prim_addr2 && prim_lock,
		  "incomplete env");
}

void secondary_sync(void)
{
	struct run r;

	cr_assert(prim_lock, "secondary_sync() before lab_up()");
	r = run("bash %s/testzones/primary sync-secondary",
		getenv("DK_SRCDIR"));
	cr_assert_eq(r.status, 0, "primary sync-secondary failed: %s", r.err);
	run_free(&r);
}

static void vpublish(const char *host, const char *fmt, va_list ap)
{
	char *specs = NULL;
	struct run r;

	cr_assert(prim_conf, "publish before lab_up()");
	cr_assert(vasprintf(&specs, fmt, ap) >= 0);
	r = run("%s --unbound-conf %s publish --host %s %s --tsig-key %s "
		"--server %s",
		danekit(), prim_conf, host, specs, prim_key, prim_server);
	cr_assert_eq(r.status, 0, "publish %s: %s", specs, r.err);
	run_free(&r);
	free(specs);
}

void publish_nosync(const char *host, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vpublish(host, fmt, ap);
	va_end(ap);
}

void publish_ok(const char *host, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vpublish(host, fmt, ap);
	va_end(ap);
	secondary_sync();
}

int secondary_hold(void)
{
	int fd;

	cr_assert(prim_lock, "secondary_hold() before lab_up()");
	/* close-on-exec: the commands run meanwhile must not keep the lock */
	fd = open(prim_lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	cr_assert(fd >= 0, "%s: %s", prim_lock, strerror(errno));
	cr_assert_eq(flock(fd, LOCK_EX), 0, "flock %s: %s", prim_lock,
		     strerror(errno));
	return fd;
}

void secondary_release(int fd)
{
	if (fd >= 0) {
		close(fd);
	}
}

char *tmpdir(void)
{
	char *d = strdup("/tmp/dk-renew-XXXXXX");

	cr_assert(d && mkdtemp(d), "mkdtemp: %s", strerror(errno));
	return d;
}

void tmpdir_free(char *dir)
{
	if (dir) {
		struct run r = run("rm -rf '%s'", dir);

		run_free(&r);
	}
	free(dir);
}

int exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

int lab_sign(const char *csr, const char *cert, const char *full)
{
	struct run r = run("openssl x509 -req -in '%s' -CA '%s/int.pem' -CAkey "
			   "'%s/int.key' -set_serial 0x%lx%x -days 30 "
			   "-copy_extensions copy -out '%s' && cat '%s' "
			   "'%s/int.pem' > '%s'",
			   csr, lab_pki, lab_pki, (long)getpid(),
			   (unsigned)rand(), cert, cert, lab_pki, full);
	int st = r.status;

	if (st != 0) {
		fprintf(stderr, "lab_sign: %s\n", r.err);
	}
	run_free(&r);
	return st == 0 ? 0 : -1;
}

static int free_port(void)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &sl) == 0) {
		port = ntohs(sa.sin_port);
	}
	if (fd >= 0) {
		close(fd);
	}
	return port;
}

static int can_connect(int port)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0), ok;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ok = fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	if (fd >= 0) {
		close(fd);
	}
	return ok;
}

int tls_server_start(const char *cert, const char *key, int *port)
{
	return tls_server_start_chain(cert, key, NULL, port);
}

int tls_server_start_chain(const char *cert, const char *key, const char *chain,
			   int *port)
{
	char acc[64];
	pid_t pid;
	int p = free_port();

	if (p < 0) {
		return -1;
	}
	snprintf(acc, sizeof(acc), "127.0.0.1:%d", p);
	pid = fork();
	if (pid < 0) {
		return -1;
	}
	if (pid == 0) {
		int devnull = open("/dev/null", 0);

		dup2(devnull, 0);
		dup2(devnull, 1);
		dup2(devnull, 2);
		if (chain) {
			execlp("openssl", "openssl", "s_server", "-accept", acc,
			       "-cert", cert, "-key", key, "-cert_chain", chain,
			       "-quiet", "-www", (char *)NULL);
		} else {
			execlp("openssl", "openssl", "s_server", "-accept", acc,
			       "-cert", cert, "-key", key, "-quiet", "-www",
			       (char *)NULL);
		}
		_exit(127);
	}
	for (int i = 0; i < 100; i++) {
		if (can_connect(p)) {
			*port = p;
			return (int)pid;
		}
		usleep(50000);
	}
	tls_server_stop((int)pid);
	return -1;
}

void tls_server_stop(int pid)
{
	if (pid > 0) {
		kill((pid_t)pid, SIGTERM);
		waitpid((pid_t)pid, NULL, 0);
	}
}

/* The SubjectPublicKeyInfo of @path in DER, piped into @tail. */
static char *spki_pipe(const char *path, const char *tail)
{
	struct run r = run("{ openssl x509 -in '%s' -noout -pubkey 2>/dev/null "
			   "|| openssl pkey -in '%s' -pubout; } | openssl pkey "
			   "-pubin -outform DER | %s",
			   path, path, tail);
	char *hex;

	cr_assert_eq(r.status, 0, "openssl on %s: %s", path, r.err);
	hex = strndup(r.out, strcspn(r.out, " \n"));
	run_free(&r);
	cr_assert(hex && *hex, "openssl gave nothing for %s", path);
	return hex;
}

char *openssl_spki_sha256(const char *path)
{
	char *h = spki_pipe(path, "openssl dgst -sha256 -r");

	cr_assert_eq(strlen(h), 64, "%s", h);
	return h;
}

char *openssl_spki_der(const char *path)
{
	return spki_pipe(path, "od -An -v -tx1 | tr -d ' \\n'");
}

char *openssl_cert_der(const char *path)
{
	struct run r = run("openssl x509 -in '%s' -outform DER | od -An -v "
			   "-tx1 | tr -d ' \\n'",
			   path);
	char *hex;

	cr_assert_eq(r.status, 0, "openssl on %s: %s", path, r.err);
	hex = strdup(r.out);
	run_free(&r);
	cr_assert(hex && *hex, "openssl gave nothing for %s", path);
	return hex;
}

void primary_nsupdate(const char *lines)
{
	const char *colon;
	struct run r;

	cr_assert(prim_server, "primary_nsupdate() before lab_up()");
	colon = strchr(prim_server, '@');
	cr_assert(colon, "DK_PRIMARY_SERVER %s has no port", prim_server);
	r = run("printf 'server %.*s %s\\nzone dyn.test.\\n%s\\nsend\\n' | "
		"nsupdate -k '%s'",
		(int)(colon - prim_server), prim_server, colon + 1, lines,
		prim_key);
	cr_assert_eq(r.status, 0, "nsupdate: %s %s", r.out, r.err);
	run_free(&r);
}
