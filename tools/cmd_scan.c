/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * danekit scan [FILE|-]: check smtp over many domains on one event loop
 * (dk_scan_*), as a stream: memory is bounded by --concurrency, whatever
 * the length of the input. Output in completion order: with --json, one
 * line per domain, the document check smtp --json prints (its "domain"
 * and "exit" included); without, one summary line per domain.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include <danekit/dane.h>
#include <danekit/dnssec.h>
#include <danekit/mail.h>

#include "cli.h"
#include "monitor.h"
#include "json.h"

static const char scan_help[] =
	"Usage: danekit [GLOBAL OPTIONS] scan [OPTIONS] [FILE|-]\n"
	"\n"
	"scan: check smtp over many domains, one per line of FILE (or\n"
	"stdin; '#' comments and blank lines are skipped), read as a stream\n"
	"on one event loop. Output in completion order: with --json one line\n"
	"per domain, the document of check smtp --json (with \"domain\" and\n"
	"\"exit\", the status check smtp would give); else one line per\n"
	"domain: DOMAIN VERDICT EXIT WHY. A summary goes to stderr.\n"
	"\n"
	"Options:\n"
	"  --concurrency N     domains in flight (default 256; 1-100000)\n"
	"  --qps N             at most N DNS lookups sent per second (token\n"
	"                      bucket; answers from the cache are free)\n"
	"  --no-connect        DNS only: MX, addresses, TLSA; no connection\n"
	"  --shard K/N         only the domains whose stable hash (FNV-1a 64\n"
	"                      of the lower-case name without final dot) mod "
	"N\n"
	"                      is K (0 <= K < N): N shards are disjoint and\n"
	"                      together the whole input\n"
	"  --skip-done FILE    skip the domains present in FILE, the output\n"
	"                      of an earlier scan (resume a killed run)\n"
	"  --connect-port P    connect to port P instead of 25 (TLSA at _25)\n"
	"  --ehlo NAME         the name sent in EHLO\n"
	"  -4, -6              IPv4 only, IPv6 only\n"
	"  --audit             audit --json documents instead (the mail-DNS\n"
	"                      audit; the domains one after another)\n"
	"  --progress          progress on stderr (default: when stderr is a\n"
	"                      terminal); --no-progress: never\n"
	"  --prometheus FILE   (global) the run's totals per verdict, for\n"
	"                      node_exporter's textfile collector\n"
	"\n"
	"Exit status: 0 the scan finished (each domain's verdict is in its\n"
	"line); 64 usage error; 65 a --skip-done file that is not scan\n"
	"output; 66 input missing or unreadable; 75 could not go on (the\n"
	"MX lookups of 48 of the last 64 domains failed, and the\n"
	"resolver's self-test on a new resolver could not finish: the\n"
	"domains in flight end, the rest is not checked; resume with\n"
	"--skip-done).\n";

enum {
	OPT_CONCURRENCY = OPT_FIRST_COMMAND_OPTION,
	OPT_QPS,
	OPT_NO_CONNECT,
	OPT_SHARD,
	OPT_SKIP_DONE,
	OPT_CONNECT_PORT,
	OPT_PROGRESS,
	OPT_NO_PROGRESS,
	OPT_EHLO,
	OPT_AUDIT,
};

/* When GONE_OF of the last GONE_WINDOW domains (a window, not a run: a
 * dead resolver still answers from its cache, e.g. NXDOMAIN proved by an
 * NSEC it holds, RFC 8198) had their MX lookup time out or meet a
 * SERVFAIL with no validation reason, the resolver may be gone. The scan
 * starts nothing new, lets the domains in flight end, and runs the
 * resolver's self-test on a fresh resolver (fresh_selftest()): when that
 * cannot finish either, the scan stops (75); else it goes on (a provider
 * whose name servers are down times its own domains out, not the scan)
 * with the window emptied. */
#define GONE_WINDOW 64
#define GONE_OF 48

/* A set of names (--skip-done): open addressing on the FNV-1a hash. */
struct nameset {
	char **slot;
	size_t cap, n;
};

struct scan_state {
	const struct cli *cli;
	struct dk_scan *scan;
	FILE *out;
	int progress;
	double t0, last_progress;
	uint64_t total; /* lines of the input file, 0: unknown */
	uint64_t read, skipped, done, bad;
	uint64_t verdicts[8];
	uint64_t errors;
	uint64_t gone_bits; /* the last domains, newest in bit 0: 1 failed */
	unsigned gone_seen; /* domains in the window */
	int suspect, gone;
	int audit; /* --audit: audit documents */
	int write_error;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* FNV-1a 64 of the normalised name: the hash of --shard. */
static uint64_t fnv1a(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++) {
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	}
	return h;
}

/* Lower case, no final dot (the root stays "."): in place. */
static char *normalise(char *s)
{
	size_t n;

	for (char *p = s; *p; p++) {
		*p = (char)tolower((unsigned char)*p);
	}
	n = strlen(s);
	if (n > 1 && s[n - 1] == '.') {
		s[n - 1] = '\0';
	}
	return s;
}

static int set_add(struct nameset *set, const char *name)
{
	size_t i;

	if ((set->n + 1) * 2 > set->cap) {
		size_t cap = set->cap ? set->cap * 2 : 1024;
		char **slot = calloc(cap, sizeof(*slot));

		if (!slot) {
			return -1;
		}
		for (size_t j = 0; j < set->cap; j++) {
			if (set->slot[j]) {
				i = fnv1a(set->slot[j]) & (cap - 1);
				while (slot[i]) {
					i = (i + 1) & (cap - 1);
				}
				slot[i] = set->slot[j];
			}
		}
		free(set->slot);
		set->slot = slot;
		set->cap = cap;
	}
	i = fnv1a(name) & (set->cap - 1);
	while (set->slot[i]) {
		if (strcmp(set->slot[i], name) == 0) {
			return 0;
		}
		i = (i + 1) & (set->cap - 1);
	}
	set->slot[i] = strdup(name);
	if (!set->slot[i]) {
		return -1;
	}
	set->n++;
	return 0;
}

static int set_has(const struct nameset *set, const char *name)
{
	size_t i;

	if (!set->cap) {
		return 0;
	}
	i = fnv1a(name) & (set->cap - 1);
	while (set->slot[i]) {
		if (strcmp(set->slot[i], name) == 0) {
			return 1;
		}
		i = (i + 1) & (set->cap - 1);
	}
	return 0;
}

static void set_free(struct nameset *set)
{
	for (size_t i = 0; i < set->cap; i++) {
		free(set->slot[i]);
	}
	free(set->slot);
}

/*
 * The domains of an earlier output (--json lines, or summary lines whose
 * first word is the domain). A last line cut short (a killed run) is
 * ignored; any other line that is not scan output is bad data (65).
 */
static int load_done(const struct cli *cli, const char *path,
		     struct nameset *set)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	ssize_t n;
	int rc = EXIT_OK;
	struct stat st;

	if (!f || fstat(fileno(f), &st) != 0 || S_ISDIR(st.st_mode)) {
		cli_err(cli, "--skip-done %s: %s", path,
			f ? strerror(EISDIR) : strerror(errno));
		if (f) {
			fclose(f);
		}
		return EXIT_NOINPUT;
	}
	while ((n = getline(&line, &cap, f)) > 0) {
		int complete = line[n - 1] == '\n';
		char name[300] = "";

		lineno++;
		line[strcspn(line, "\r\n")] = '\0';
		if (!line[0]) {
			continue;
		}
		if (line[0] == '{') {
			json_error_t je;
			json_t *doc = json_loads(line, 0, &je);
			const char *d = NULL;

			if (doc && json_is_object(doc) &&
			    json_is_integer(json_object_get(doc, "exit"))) {
				d = json_string_value(
					json_object_get(doc, "domain"));
			}
			if (d && strlen(d) < sizeof(name)) {
				snprintf(name, sizeof(name), "%s", d);
			}
			json_decref(doc);
		} else if (strlen(line) < sizeof(name)) {
			sscanf(line, "%299s", name);
		}
		if (!name[0]) {
			if (!complete) {
				break; /* the last line of a killed run */
			}
			cli_err(cli,
				"--skip-done %s: line %zu is not the output "
				"of danekit scan",
				path, lineno);
			rc = EXIT_DATAERR;
			break;
		}
		if (set_add(set, normalise(name)) < 0) {
			cli_err(cli, "out of memory");
			rc = EXIT_SOFTWARE;
			break;
		}
	}
	free(line);
	fclose(f);
	return rc;
}

static int verdict_slot(enum dk_dane_verdict v)
{
	switch (v) {
	case DK_DANE_FAILED:
		return 0;
	case DK_DANE_NOT_APPLICABLE:
		return 2;
	case DK_DANE_PARTIAL:
		return 3;
	case DK_DANE_VALID:
		return 4;
	default:
		return 1;
	}
}

/* One output line: @s (owned, freed; NULL = out of memory) and "\n". */
static void emit_line(struct scan_state *st, char *s)
{
	if (!s || fputs(s, st->out) < 0 || fputc('\n', st->out) == EOF) {
		st->write_error = 1;
	}
	free(s);
}

/* A document as one JSON line (consumed), or NULL. */
static char *json_line(json_t *doc)
{
	char *s = doc ? json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER)
		      : NULL;

	json_decref(doc);
	return s;
}

static void show_progress(struct scan_state *st, int last)
{
	double now = now_s(), dt = now - st->t0;
	double rate = dt > 0 ? (double)st->done / dt : 0;
	char eta[32] = "";

	if (!last && now - st->last_progress < 0.25) {
		return;
	}
	st->last_progress = now;
	if (st->total && rate > 0) {
		double left =
			(double)(st->total - st->skipped - st->done - st->bad) /
			rate;

		snprintf(eta, sizeof(eta), ", ETA %.0f s", left > 0 ? left : 0);
	}
	fprintf(stderr, "\r\033[K%llu", (unsigned long long)st->done + st->bad);
	if (st->total) {
		fprintf(stderr, "/%llu",
			(unsigned long long)(st->total - st->skipped));
	}
	fprintf(stderr,
		" domains, %.0f/s%s; valid %llu, partial %llu, failed %llu, "
		"no DANE %llu, incomplete %llu, errors %llu",
		rate, eta, (unsigned long long)st->verdicts[4],
		(unsigned long long)st->verdicts[3],
		(unsigned long long)st->verdicts[0],
		(unsigned long long)st->verdicts[2],
		(unsigned long long)st->verdicts[1],
		(unsigned long long)(st->errors + st->bad));
	if (last) {
		fputc('\n', stderr);
	}
	fflush(stderr);
}

/* An MX lookup that timed out or met a SERVFAIL with no validation
 * reason: the resolver's fault, or the domain's name servers'. */
static int resolver_gone(const struct dk_dane_report *rep)
{
	return rep->mx_error == DK_ETIMEDOUT || rep->mx_error == DK_ESERVFAIL;
}

/*
 * Can the resolver still answer? The self-test (the DNSKEY RRset of each
 * trust anchor's zone) on a new resolver of the same set-up: the scan's
 * own resolver would answer it from its cache, which outlives the name
 * servers (and its infrastructure cache would not ask a server it holds
 * for down). A new one has neither: it asks the network, within the
 * time-out. @return 0 (it answered), or the self-test's DK_E* (+ @diag).
 */
static int fresh_selftest(const struct cli *cli, struct dk_diag *diag)
{
	struct dk_resolver_opts o = { 0 };
	struct dk_resolver *fresh = NULL;
	int r;

	o.anchor_file = cli->anchor;
	o.unbound_conf = cli->unbound_conf;
	o.forwarder = cli->resolver;
	o.timeout = cli->timeout;
	r = dk_resolver_new(&o, &fresh, diag);
	dk_resolver_free(fresh);
	return r;
}

static void print_error(struct scan_state *st, const char *domain, int rc,
			const char *why)
{
	char *s = NULL;

	if (st->cli->json) {
		/* the shape of every document: schema_version, command and
		 * exit first */
		s = json_line(cli_json_doc(st->audit ? "audit" : "check smtp",
					   rc,
					   json_pack("{s:s, s:s}", "domain",
						     domain, "error", why)));
	} else if (asprintf(&s, "%s error %d %s", domain, rc, why) < 0) {
		s = NULL;
	}
	emit_line(st, s);
}

static void on_domain(void *arg, const char *domain, int err,
		      struct dk_dane_report *rep, const struct dk_diag *diag)
{
	struct scan_state *st = arg;
	char *s = NULL;

	st->done++;
	if (err < 0) {
		st->errors++;
		print_error(st, domain, cli_exit_for(err),
			    diag && diag->why[0] ? diag->why
						 : dk_strerror(err));
		return;
	}
	st->verdicts[verdict_slot(rep->verdict)]++;
	st->gone_bits = (st->gone_bits << 1) | (uint64_t)resolver_gone(rep);
	if (st->gone_seen < GONE_WINDOW) {
		st->gone_seen++;
	}
	if (st->gone_seen == GONE_WINDOW &&
	    __builtin_popcountll(st->gone_bits) >= GONE_OF) {
		st->suspect = 1;
	}
	if (st->cli->json) {
		s = json_line(check_json_report(rep));
	} else {
		char name[300];
		size_t n = strlen(rep->domain);

		snprintf(name, sizeof(name), "%.*s",
			 (int)(n > 1 && rep->domain[n - 1] == '.' ? n - 1 : n),
			 rep->domain);
		if (asprintf(&s, "%s %s %d %s", name,
			     dk_dane_verdict_name(rep->verdict),
			     check_report_exit(rep),
			     rep->why ? rep->why : "") < 0) {
			s = NULL;
		}
	}
	emit_line(st, s);
	dk_dane_report_free(rep);
	if (st->progress) {
		show_progress(st, 0);
	}
}

int scan_one(struct dk_resolver *res, const char *domain,
	     const struct dk_dane_opts *o, struct dk_dane_report **ret,
	     struct dk_diag *diag);

struct one {
	int done, err;
	struct dk_dane_report *rep;
	struct dk_diag diag;
};

static void one_cb(void *arg, const char *domain, int err,
		   struct dk_dane_report *rep, const struct dk_diag *diag)
{
	struct one *o = arg;

	(void)domain;
	o->done = 1;
	o->err = err;
	o->rep = rep;
	if (diag) {
		o->diag = *diag;
	}
}

int scan_one(struct dk_resolver *res, const char *domain,
	     const struct dk_dane_opts *o, struct dk_dane_report **ret,
	     struct dk_diag *diag)
{
	struct dk_scan_opts so = { .concurrency = 1 };
	struct dk_scan *scan = NULL;
	struct one one = { 0, 0, NULL, { "" } };
	int e;

	so.dane = *o;
	e = dk_scan_new(res, &so, one_cb, &one, &scan);
	if (e == 0) {
		e = dk_scan_add(scan, domain, diag);
	}
	if (e == 0) {
		e = dk_scan_run(scan, 0);
	}
	dk_scan_free(scan);
	if (e < 0) {
		return e;
	}
	if (one.err < 0) {
		if (diag) {
			*diag = one.diag;
		}
		return one.err;
	}
	*ret = one.rep;
	return 0;
}

static int parse_shard(const char *s, unsigned long *k, unsigned long *n)
{
	char buf[64], *slash;

	if (strlen(s) >= sizeof(buf)) {
		return -1;
	}
	snprintf(buf, sizeof(buf), "%s", s);
	slash = strchr(buf, '/');
	if (!slash) {
		return -1;
	}
	*slash = '\0';
	if (cli_parse_ulong(slash + 1, 1, 1000000, n) ||
	    cli_parse_ulong(buf, 0, *n - 1, k)) {
		return -1;
	}
	return 0;
}

/* Lines of a regular file (the total of the progress), 0 if not one. */
static uint64_t count_lines(FILE *f)
{
	struct stat st;
	char buf[65536];
	uint64_t n = 0;
	size_t got;

	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
		return 0;
	}
	while ((got = fread(buf, 1, sizeof(buf), f)) > 0) {
		for (size_t i = 0; i < got; i++) {
			n += buf[i] == '\n';
		}
	}
	rewind(f);
	return n;
}

/*
 * The input of a scan, read in chunks into a line buffer of its own (the
 * lines are those getline() gives: any length, the last one may lack its
 * newline). A pipe, socket or terminal is read on the scan's event loop,
 * once each time it is readable, without waiting: a pipe is made
 * O_NONBLOCK (its read end is ours alone; the flags are given back), a
 * socket is read with MSG_DONTWAIT, a terminal as it is (O_NONBLOCK would
 * change the description stdout and stderr share with it). A slow
 * producer thus never stalls the lookups and handshakes in flight, whose
 * time-outs run on the same loop. Anything else (a regular file,
 * /dev/null) never blocks and is read at once, as before. Memory: one
 * chunk, or the line being read when longer; nothing is read while
 * --concurrency domains are in flight.
 */
#define READ_CHUNK 65536

struct reader {
	int fd;
	int on_loop;	 /* read when the loop says it is readable */
	int sock;	 /* a socket: recv(MSG_DONTWAIT) */
	int saved_flags; /* the fd's flags to give back, or -1 */
	char *buf;
	size_t off, len, cap; /* the bytes not taken: buf[off, off + len) */
	int eof, err;	      /* err: the errno of a failed read */
	struct event *ev;     /* on_loop: one read when readable */
};

/* One read() into the buffer: what is there, or nothing yet (EAGAIN). */
static void reader_fill(struct reader *rd)
{
	ssize_t n;

	if (rd->off > 0) {
		memmove(rd->buf, rd->buf + rd->off, rd->len);
		rd->off = 0;
	}
	if (rd->len + 1 >= rd->cap) {
		size_t cap = rd->cap ? rd->cap * 2 : READ_CHUNK;
		char *buf = cap > rd->cap ? realloc(rd->buf, cap) : NULL;

		if (!buf) {
			rd->err = ENOMEM;
			return;
		}
		rd->buf = buf;
		rd->cap = cap;
	}
	/* (room is kept for the NUL of a last line without newline) */
	if (rd->sock) {
		n = recv(rd->fd, rd->buf + rd->len, rd->cap - rd->len - 1,
			 MSG_DONTWAIT);
	} else {
		n = read(rd->fd, rd->buf + rd->len, rd->cap - rd->len - 1);
	}
	if (n > 0) {
		rd->len += (size_t)n;
	} else if (n == 0) {
		rd->eof = 1;
	} else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
		rd->err = errno;
	}
}

static void reader_readable(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	reader_fill(arg);
}

/* The next whole line (NUL-terminated in place, valid until the next
 * reader_fill()), or NULL when none is buffered. */
static char *reader_line(struct reader *rd)
{
	char *line, *nl;
	size_t n;

	if (!rd->buf) {
		return NULL;
	}
	line = rd->buf + rd->off;
	nl = rd->len ? memchr(line, '\n', rd->len) : NULL;
	if (nl) {
		*nl = '\0';
		n = (size_t)(nl - line) + 1;
	} else if ((rd->eof || rd->err) && rd->len > 0) {
		line[rd->len] = '\0'; /* the last line, without newline */
		n = rd->len;
	} else {
		return NULL;
	}
	rd->off += n;
	rd->len -= n;
	return line;
}

static int reader_open(struct reader *rd, int fd, struct event_base *base)
{
	struct stat sb;
	int flags;

	memset(rd, 0, sizeof(*rd));
	rd->fd = fd;
	rd->saved_flags = -1;
	if (fstat(fd, &sb) != 0) {
		return 0; /* read at once: its error is the input's */
	}
	if (S_ISFIFO(sb.st_mode)) {
		flags = fcntl(fd, F_GETFL);
		if (flags < 0 || ((flags & O_NONBLOCK) == 0 &&
				  fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)) {
			return 0;
		}
		if ((flags & O_NONBLOCK) == 0) {
			rd->saved_flags = flags;
		}
	} else if (S_ISSOCK(sb.st_mode)) {
		rd->sock = 1;
	} else if (!(S_ISCHR(sb.st_mode) && isatty(fd))) {
		return 0; /* read at once */
	}
	rd->ev = event_new(base, fd, EV_READ, reader_readable, rd);
	if (!rd->ev) {
		return -1;
	}
	rd->on_loop = 1;
	return 0;
}

/* Read when readable (@want), or not: nothing is read unasked. */
static void reader_want(struct reader *rd, int want)
{
	if (!rd->ev || want == !!event_pending(rd->ev, EV_READ, NULL)) {
		return;
	}
	if (!want) {
		event_del(rd->ev);
	} else if (event_add(rd->ev, NULL) < 0) {
		/* the loop cannot watch it: read at once, waiting */
		if (rd->saved_flags >= 0) {
			fcntl(rd->fd, F_SETFL, rd->saved_flags);
			rd->saved_flags = -1;
		}
		rd->sock = 0;
		rd->on_loop = 0;
	}
}

/* A live input (read on the loop): the lines out so far are written out
 * every FLUSH_MS, not when the output buffer fills, so that what a slow
 * producer's domains gave is there to read while it waits. */
#define FLUSH_MS 200

static void flush_out(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	fflush(arg);
}

static void reader_close(struct reader *rd)
{
	if (rd->ev) {
		event_free(rd->ev);
	}
	if (rd->saved_flags >= 0) {
		fcntl(rd->fd, F_SETFL, rd->saved_flags);
	}
	free(rd->buf);
	memset(rd, 0, sizeof(*rd));
	rd->saved_flags = -1;
}

/* One input line: the domain to check (normalised in place), or NULL
 * (blank, comment, another shard's, done before). */
static char *next_domain(struct scan_state *st, char *line, unsigned long k,
			 unsigned long n, const struct nameset *done)
{
	char *d = line + strspn(line, " \t"), *end;

	d[strcspn(d, "#\r\n")] = '\0';
	end = d + strlen(d);
	while (end > d && (end[-1] == ' ' || end[-1] == '\t')) {
		*--end = '\0';
	}
	if (!*d) {
		st->total -= st->total ? 1 : 0;
		return NULL;
	}
	st->read++;
	normalise(d);
	if ((n > 1 && fnv1a(d) % n != k) || set_has(done, d)) {
		st->skipped++;
		return NULL;
	}
	return d;
}

/*
 * --audit: the audit --json document per domain. dk_mail_audit() runs its
 * own lookups concurrently but is not a step of the event loop yet: the
 * domains are audited one after another.
 */
static int audit_all(struct scan_state *st, struct dk_resolver *res, FILE *in,
		     unsigned long k, unsigned long n,
		     const struct nameset *done, const struct dk_scan_opts *so)
{
	struct dk_mail_opts mo = { .no_connect = so->dane.no_connect,
				   .connect_port = so->dane.connect_port };
	char *line = NULL;
	size_t cap = 0;

	while (!st->write_error && getline(&line, &cap, in) >= 0) {
		struct dk_mail_report *rep = NULL;
		struct dk_diag diag = { "" };
		char *d = next_domain(st, line, k, n, done), *s = NULL;
		int r, ex = EXIT_OK;

		if (!d) {
			continue;
		}
		r = dk_mail_audit(res, d, &mo, &rep, &diag);
		if (r == DK_EINVAL) {
			/* not a domain name: its line says so */
			st->bad++;
			print_error(st, d, EXIT_DATAERR,
				    diag.why[0] ? diag.why
						: "not a domain name");
			continue;
		}
		st->done++;
		if (r < 0) {
			st->errors++;
			print_error(st, d, cli_exit_for(r),
				    diag.why[0] ? diag.why : dk_strerror(r));
			continue;
		}
		if (st->cli->json) {
			s = json_line(audit_json_report(rep, &ex));
		} else {
			json_decref(audit_json_report(rep, &ex));
			if (asprintf(&s, "%s %s %d%s%s", d,
				     ex == EXIT_OK     ? "ok"
				     : ex == EXIT_FAIL ? "errors"
						       : "incomplete",
				     ex, dk_mail_report_why(rep) ? " " : "",
				     dk_mail_report_why(rep)
					     ? dk_mail_report_why(rep)
					     : "") < 0) {
				s = NULL;
			}
		}
		st->verdicts[ex == EXIT_OK ? 4 : ex == EXIT_FAIL ? 0 : 1]++;
		emit_line(st, s);
		dk_mail_report_free(rep);
		if (st->progress) {
			show_progress(st, 0);
		}
	}
	free(line);
	return EXIT_OK;
}

int cmd_scan(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_GLOBAL_LONGOPTS,
		{ "concurrency", required_argument, NULL, OPT_CONCURRENCY },
		{ "qps", required_argument, NULL, OPT_QPS },
		{ "no-connect", no_argument, NULL, OPT_NO_CONNECT },
		{ "shard", required_argument, NULL, OPT_SHARD },
		{ "skip-done", required_argument, NULL, OPT_SKIP_DONE },
		{ "connect-port", required_argument, NULL, OPT_CONNECT_PORT },
		{ "progress", no_argument, NULL, OPT_PROGRESS },
		{ "no-progress", no_argument, NULL, OPT_NO_PROGRESS },
		{ "ehlo", required_argument, NULL, OPT_EHLO },
		{ "audit", no_argument, NULL, OPT_AUDIT },
		{ NULL, 0, NULL, 0 },
	};
	struct dk_scan_opts so = { .concurrency = DK_SCAN_CONCURRENCY };
	struct scan_state st = { .cli = cli, .out = stdout };
	struct nameset done = { NULL, 0, 0 };
	struct dk_resolver *res = NULL;
	struct dk_scan_stats stats;
	const char *path = NULL, *skip_done = NULL;
	unsigned long shard_k = 0, shard_n = 1, qps = 0;
	int opt, r, rc = EXIT_OK, progress = -1, audit = 0;
	struct dk_diag gone_diag = { "" };
	struct reader rd = { .fd = -1, .saved_flags = -1 };
	struct event *flusher = NULL;
	int eof = 0;
	FILE *in = stdin;
	double dt;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":46qvh", longopts, NULL)) !=
	       -1) {
		unsigned long v;

		switch (opt) {
		case 'h':
			return cli_help(scan_help);
		case OPT_VERSION:
			return cli_version();
		case '4':
			so.dane.no_ipv6 = 1;
			break;
		case '6':
			so.dane.no_ipv4 = 1;
			break;
		case OPT_CONCURRENCY:
			if (cli_parse_ulong(optarg, 1, 100000, &v)) {
				return cli_usage(cli,
						 "--concurrency: '%s' is not a "
						 "number of domains "
						 "(1-100000)",
						 optarg);
			}
			so.concurrency = v;
			break;
		case OPT_QPS:
			if (cli_parse_ulong(optarg, 1, 10000000, &qps)) {
				return cli_usage(cli,
						 "--qps: '%s' is not a number "
						 "of lookups per second "
						 "(1-10000000)",
						 optarg);
			}
			break;
		case OPT_NO_CONNECT:
			so.dane.no_connect = 1;
			break;
		case OPT_SHARD:
			if (parse_shard(optarg, &shard_k, &shard_n)) {
				return cli_usage(cli,
						 "--shard: '%s' is not K/N "
						 "with 0 <= K < N <= 1000000",
						 optarg);
			}
			break;
		case OPT_SKIP_DONE:
			skip_done = optarg;
			break;
		case OPT_CONNECT_PORT:
			if (cli_parse_ulong(optarg, 1, 65535, &v)) {
				return cli_usage(
					cli,
					"--connect-port: '%s' is not a "
					"port number (1-65535)",
					optarg);
			}
			so.dane.connect_port = (unsigned)v;
			break;
		case OPT_PROGRESS:
			if (progress == 0) {
				return cli_conflict(cli, "--progress",
						    "--no-progress");
			}
			progress = 1;
			break;
		case OPT_NO_PROGRESS:
			if (progress == 1) {
				return cli_conflict(cli, "--progress",
						    "--no-progress");
			}
			progress = 0;
			break;
		case OPT_EHLO:
			if (!*optarg || strpbrk(optarg, " \t\r\n") ||
			    strlen(optarg) > 255) {
				return cli_usage(
					cli, "--ehlo: '%s' is not a host name",
					optarg);
			}
			so.dane.ehlo_name = optarg;
			break;
		case OPT_AUDIT:
			audit = 1;
			break;
		case '?':
		case ':':
			return cli_bad_option(cli, opt, argv);
		default:
			r = cli_global_option(cli, opt, optarg);
			if (r > 1) {
				return r;
			}
			break;
		}
	}
	if (argc - optind > 1) {
		return cli_usage(cli, "too many arguments (danekit scan "
				      "[FILE|-])");
	}
	if (so.dane.no_ipv4 && so.dane.no_ipv6) {
		return cli_usage(cli, "-4 and -6 exclude each other");
	}
	if (audit && qps) {
		return cli_conflict(cli, "--audit", "--qps");
	}
	if (so.dane.no_connect && so.dane.connect_port) {
		return cli_conflict(cli, "--no-connect", "--connect-port");
	}
	rc = mon_ready(cli);
	if (rc != EXIT_OK) {
		return rc;
	}
	if (optind < argc && strcmp(argv[optind], "-") != 0) {
		struct stat sb;

		path = argv[optind];
		in = fopen(path, "r");
		if (!in || fstat(fileno(in), &sb) != 0 || S_ISDIR(sb.st_mode)) {
			cli_err(cli, "%s: %s", path,
				in ? strerror(EISDIR) : strerror(errno));
			if (in) {
				fclose(in);
			}
			return EXIT_NOINPUT;
		}
	} else {
		struct stat sb;

		/* a closed or unreadable stdin: said before the scan starts */
		if (fstat(STDIN_FILENO, &sb) != 0) {
			cli_err(cli, "stdin: %s",
				errno == EBADF ? "closed (no input)"
					       : strerror(errno));
			return EXIT_NOINPUT;
		}
		if (S_ISDIR(sb.st_mode)) {
			cli_err(cli, "stdin: %s", strerror(EISDIR));
			return EXIT_NOINPUT;
		}
	}
	if (skip_done) {
		rc = load_done(cli, skip_done, &done);
		if (rc != EXIT_OK) {
			goto out;
		}
	}
	st.progress = progress == 1 || (progress < 0 && isatty(STDERR_FILENO));
	if (st.progress && path) {
		st.total = count_lines(in);
	}
	so.dane.timeout = cli->timeout;
	rc = audit ? cli_resolver(cli, &res) : cli_resolver_event(cli, &res);
	if (rc != EXIT_OK) {
		goto out;
	}
	if (qps) {
		dk_resolver_set_qps(res, (double)qps);
	}
	if (audit) {
		st.audit = 1;
		st.t0 = now_s();
		rc = audit_all(&st, res, in, shard_k, shard_n, &done, &so);
		goto summary;
	}
	r = dk_scan_new(res, &so, on_domain, &st, &st.scan);
	if (r < 0) {
		cli_err(cli, "%s", dk_strerror(r));
		rc = cli_exit_for(r);
		goto out;
	}
	st.t0 = now_s();
	if (reader_open(&rd, fileno(in), dk_resolver_get0_event_base(res)) <
	    0) {
		cli_err(cli, "out of memory");
		rc = EXIT_SOFTWARE;
		goto out;
	}
	if (rd.on_loop) {
		struct timeval tv = { 0, FLUSH_MS * 1000 };

		flusher = event_new(dk_resolver_get0_event_base(res), -1,
				    EV_PERSIST, flush_out, st.out);
		if (!flusher || event_add(flusher, &tv) < 0) {
			cli_err(cli, "out of memory");
			rc = EXIT_SOFTWARE;
			goto out;
		}
	}
	for (;;) {
		int want = 0;

		if (st.suspect) {
			struct dk_diag diag = { "" };

			reader_want(&rd, 0);
			dk_scan_run(st.scan, 0);
			r = fresh_selftest(cli, &diag);
			if (r == DK_ETIMEDOUT || r == DK_ERESOLVER ||
			    r == DK_ESERVFAIL || r == DK_ECONNREFUSED) {
				st.gone = 1;
				gone_diag = diag;
				if (!gone_diag.why[0]) {
					snprintf(gone_diag.why,
						 sizeof(gone_diag.why), "%s",
						 dk_strerror(r));
				}
				break;
			}
			if (cli->verbosity > 0) {
				cli_err(cli,
					"the MX lookups of %d of the last %d "
					"domains failed, but the resolver "
					"answers its self-test: going on",
					__builtin_popcountll(st.gone_bits),
					GONE_WINDOW);
			}
			st.suspect = 0;
			st.gone_bits = 0;
			st.gone_seen = 0;
		}
		while (!eof && !st.gone && !st.suspect && !st.write_error &&
		       dk_scan_active(st.scan) < so.concurrency) {
			char *l = reader_line(&rd), *d;
			struct dk_diag diag = { "" };

			if (!l) {
				if (rd.eof || rd.err) {
					eof = 1;
				} else if (rd.on_loop) {
					want = 1; /* when it is readable */
				} else {
					reader_fill(&rd);
					continue;
				}
				break;
			}
			d = next_domain(&st, l, shard_k, shard_n, &done);
			if (!d) {
				continue;
			}
			r = dk_scan_add(st.scan, d, &diag);
			if (r == DK_EINVAL) {
				/* not a domain name: its line says so */
				st.bad++;
				print_error(&st, d, EXIT_DATAERR,
					    diag.why[0] ? diag.why
							: "not a domain name");
				continue;
			}
			if (r < 0) {
				cli_err(cli, "%s", dk_strerror(r));
				rc = cli_exit_for(r);
				goto out;
			}
		}
		reader_want(&rd, want);
		if (want && !rd.on_loop) {
			continue; /* read at once after all */
		}
		if (dk_scan_active(st.scan) == 0 &&
		    (eof || st.gone || st.write_error)) {
			break;
		}
		if (st.suspect) {
			continue;
		}
		if (st.gone || st.write_error || eof) {
			/* finish what is in flight, start nothing new */
			reader_want(&rd, 0);
			dk_scan_run(st.scan, 0);
			break;
		}
		/* a domain ends, or (@want) the input has more */
		if (event_base_loop(dk_resolver_get0_event_base(res),
				    EVLOOP_ONCE) < 0) {
			cli_err(cli, "the event loop failed");
			rc = EXIT_SOFTWARE;
			goto out;
		}
	}
summary:
	if (ferror(in) || rd.err) {
		cli_err(cli, "%s: %s", path ? path : "stdin",
			strerror(rd.err ? rd.err : errno));
		rc = rd.err == ENOMEM ? EXIT_SOFTWARE : EXIT_NOINPUT;
	}
	if (fflush(st.out) != 0 || st.write_error) {
		cli_err(cli, "cannot write the output: %s", strerror(errno));
		rc = EXIT_SOFTWARE;
	}
	if (st.progress) {
		show_progress(&st, 1);
	}
	memset(&stats, 0, sizeof(stats));
	dk_scan_get_stats(st.scan, &stats);
	dt = now_s() - st.t0;
	if (cli->verbosity >= 0) {
		fprintf(stderr,
			"danekit: scan: %llu domains in %.1f s (%.0f/s): "
			"valid %llu, partial %llu, failed %llu, "
			"not-applicable %llu, incomplete %llu, errors %llu; "
			"%llu skipped; %llu connections, %llu probes from "
			"the cache; %llu rounds\n",
			(unsigned long long)(st.done + st.bad), dt,
			dt > 0 ? (double)(st.done + st.bad) / dt : 0.0,
			(unsigned long long)st.verdicts[4],
			(unsigned long long)st.verdicts[3],
			(unsigned long long)st.verdicts[0],
			(unsigned long long)st.verdicts[2],
			(unsigned long long)st.verdicts[1],
			(unsigned long long)(st.errors + st.bad),
			(unsigned long long)st.skipped,
			(unsigned long long)stats.probes,
			(unsigned long long)stats.cache_hits,
			(unsigned long long)stats.rounds);
	}
	if (rc == EXIT_OK && cli->prometheus) {
		static const char *const names[] = { "valid", "partial",
						     "failed", "not-applicable",
						     "incomplete" };
		const uint64_t counts[] = { st.verdicts[4], st.verdicts[3],
					    st.verdicts[0], st.verdicts[2],
					    st.verdicts[1] };

		rc = mon_scan(cli, names, counts, 5, st.errors + st.bad,
			      st.skipped, dt);
	}
	if (st.gone && rc == EXIT_OK) {
		cli_err(cli,
			"the resolver stopped answering: the MX lookups of %d "
			"of the last %d domains failed, then %s; the domains "
			"not in the output were not checked (run again with "
			"--skip-done on it)",
			__builtin_popcountll(st.gone_bits), GONE_WINDOW,
			gone_diag.why);
		rc = EXIT_TEMPFAIL;
	}
out:
	if (flusher) {
		event_free(flusher);
	}
	reader_close(&rd);
	dk_scan_free(st.scan);
	dk_resolver_free(res);
	set_free(&done);
	if (in && in != stdin) {
		fclose(in);
	}
	return rc;
}
