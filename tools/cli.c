/* SPDX-License-Identifier: BSD-3-Clause */
/* Helpers shared by the commands: options, errors, exit codes, output. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>

#include <danekit/dnssec.h>
#include <danekit/tlsa.h>

#include "cli.h"
#include "monitor.h"

static void vline(const struct cli *cli, const char *fmt, va_list ap)
{
	if (cli && cli->nagios) {
		char *msg = NULL;
		va_list aq;
		int n;

		va_copy(aq, ap);
		n = vasprintf(&msg, fmt, aq);
		va_end(aq);
		if (n >= 0 && mon_error_line(cli, msg)) {
			free(msg);
			return;
		}
		if (n >= 0) {
			free(msg);
		}
	}
	fputs("danekit: ", stderr);
	if (cli && cli->cmd) {
		fprintf(stderr, "%s: ", cli->cmd);
	}
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void cli_err(const struct cli *cli, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vline(cli, fmt, ap);
	va_end(ap);
}

int cli_usage(const struct cli *cli, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vline(cli, fmt, ap);
	va_end(ap);
	return EXIT_USAGE;
}

int cli_parse_ulong(const char *s, unsigned long min, unsigned long max,
		    unsigned long *ret)
{
	char *end = NULL;
	unsigned long v;

	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ') {
		return -1;
	}
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < min || v > max) {
		return -1;
	}
	*ret = v;
	return 0;
}

/* @n decimal digits at @s as a number, or -1. */
static int digits(const char *s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9') {
			return -1;
		}
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

static int days_in_month(int y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30,
				    31, 31, 30, 31, 30, 31 };

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) {
		return 29;
	}
	return days[m - 1];
}

int cli_parse_rfc3339(const char *s, time_t *ret)
{
	int y = digits(s, 4), mo = digits(s + 5, 2), d = digits(s + 8, 2);
	int h = 0, mi = 0, sec = 0, off = 0, leap = 0;
	struct tm tm;
	const char *p;
	time_t t;

	if (strlen(s) < 10 || y < 0 || s[4] != '-' || mo < 1 || mo > 12 ||
	    s[7] != '-' || d < 1 || d > days_in_month(y, mo)) {
		return -1;
	}
	p = s + 10;
	if (*p) {
		if (*p != 'T' && *p != 't' && *p != ' ') {
			return -1;
		}
		h = digits(p + 1, 2);
		if (h < 0 || h > 23 || p[3] != ':') {
			return -1;
		}
		mi = digits(p + 4, 2);
		if (mi < 0 || mi > 59 || p[6] != ':') {
			return -1;
		}
		sec = digits(p + 7, 2);
		/* 60: a leap second, at the end of a minute only */
		if (sec < 0 || sec > 60 || (sec == 60 && mi != 59)) {
			return -1;
		}
		p += 9;
		if (*p == '.') {
			if (p[1] < '0' || p[1] > '9') {
				return -1;
			}
			for (p++; *p >= '0' && *p <= '9'; p++) {
			}
		}
		if ((*p == 'Z' || *p == 'z') && p[1] == '\0') {
			off = 0;
		} else if ((*p == '+' || *p == '-') && strlen(p) == 6) {
			int oh = digits(p + 1, 2), om = digits(p + 4, 2);

			if (oh < 0 || oh > 23 || p[3] != ':' || om < 0 ||
			    om > 59) {
				return -1;
			}
			off = (oh * 60 + om) * 60 * (*p == '-' ? -1 : 1);
		} else {
			return -1; /* the time zone is not optional */
		}
		if (sec == 60) {
			sec = 59;
			leap = 1;
		}
	}
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	t = timegm(&tm);
	if (t == (time_t)-1) {
		return -1;
	}
	t = t - off + leap;
	if (t <= 0) {
		return -1;
	}
	*ret = t;
	return 0;
}

int cli_host_port(const char *arg, char *host, size_t hlen, unsigned long *port,
		  int *is_addr)
{
	const char *colon = strrchr(arg, ':'), *end = arg + strlen(arg);
	unsigned char bin[16];
	size_t n;

	*is_addr = 0;
	if (arg[0] == '[') {
		const char *rb = strchr(arg, ']');

		if (!rb || (rb[1] && rb[1] != ':')) {
			return -1;
		}
		n = (size_t)(rb - arg - 1);
		if (n == 0 || n >= hlen) {
			return -1;
		}
		memcpy(host, arg + 1, n);
		host[n] = '\0';
		if (inet_pton(AF_INET6, host, bin) != 1 &&
		    inet_pton(AF_INET, host, bin) != 1) {
			return -1;
		}
		*is_addr = 1;
		return rb[1] ? cli_parse_ulong(rb + 2, 1, 65535, port) : 0;
	}
	if (colon && strchr(arg, ':') != colon) {
		/* two colons or more: a bare IPv6 address, without a port */
		if ((size_t)(end - arg) >= hlen ||
		    inet_pton(AF_INET6, arg, bin) != 1) {
			return -1;
		}
		strcpy(host, arg);
		*is_addr = 1;
		return 0;
	}
	n = colon ? (size_t)(colon - arg) : (size_t)(end - arg);
	if (n == 0 || n >= hlen) {
		return -1;
	}
	memcpy(host, arg, n);
	host[n] = '\0';
	if (colon && cli_parse_ulong(colon + 1, 1, 65535, port)) {
		return -1;
	}
	*is_addr = inet_pton(AF_INET, host, bin) == 1;
	return 0;
}

int cli_global_option(struct cli *cli, int opt, const char *arg)
{
	switch (opt) {
	case OPT_ANCHOR:
		cli->anchor = arg;
		return 1;
	case OPT_UNBOUND_CONF:
		cli->unbound_conf = arg;
		return 1;
	case OPT_RESOLVER:
		cli->resolver = arg;
		return 1;
	case OPT_TIMEOUT: {
		char *end = NULL;
		double t;

		errno = 0;
		t = strtod(arg, &end);
		if (errno || !end || *end || !(t > 0.0) || t > 3600.0) {
			return cli_usage(cli,
					 "--timeout: '%s' is not a number of "
					 "seconds between 0 and 3600",
					 arg);
		}
		cli->timeout = t;
		return 1;
	}
	case OPT_JSON:
		if (cli->verbosity < 0) {
			return cli_conflict(cli, "--json", "-q");
		}
		if (cli->nagios) {
			return cli_conflict(cli, "--json", "--nagios");
		}
		cli->json = true;
		return 1;
	case 'q':
		if (cli->verbosity > 0) {
			return cli_conflict(cli, "-q", "-v");
		}
		if (cli->json) {
			return cli_conflict(cli, "-q", "--json");
		}
		cli->verbosity = -1;
		return 1;
	case 'v':
		if (cli->verbosity < 0) {
			return cli_conflict(cli, "-v", "-q");
		}
		cli->verbosity++;
		return 1;
	default:
		return mon_option(cli, opt, arg);
	}
}

int cli_version(void)
{
	printf("danekit %s\n", dk_version());
	return fflush(stdout) == 0 ? EXIT_OK : EXIT_SOFTWARE;
}

int cli_conflict(const struct cli *cli, const char *a, const char *b)
{
	return cli_usage(cli, "%s and %s exclude each other: give one", a, b);
}

int cli_exit_for(int dk_err)
{
	switch (dk_err) {
	case 0:
		return EXIT_OK;
	/*
	 * The library refused an argument: a name, a value or a setting
	 * the user gave (the commands pass nothing else to it unchecked).
	 */
	case DK_EINVAL:
	case DK_ERANGE:
	case DK_EEXIST: /* a file not to be replaced, or not a regular one */
		return EXIT_USAGE;
	case DK_EDATA:
	case DK_EUNFIT:
	case DK_EENCRYPTED:
	case DK_ETOOBIG:
	case DK_EEMPTY:
	case DK_ESELECTOR:
		return EXIT_DATAERR;
	case DK_ENOENT:
	case DK_EACCES:
	case DK_EISDIR:
	case DK_EIO:
	case DK_ENOANCHOR:
		return EXIT_NOINPUT;
	case DK_EREFUSED: /* the server said no: a person must act */
		return EXIT_FAIL;
	case DK_ECONFLICT: /* the records changed meanwhile: run again */
	case DK_ETIMEDOUT:
	case DK_ECONNREFUSED:
	case DK_ERESOLVER:
	case DK_ESERVFAIL:
	case DK_ETLS:
	case DK_EPROTO:
	case DK_ENOSTARTTLS:
		return EXIT_TEMPFAIL;
	case DK_ENOMEM:
	case DK_ECRYPTO:
	default:
		return EXIT_SOFTWARE;
	}
}

int cli_write_stdout(const struct cli *cli, const char *buf, size_t len)
{
	if ((len && fwrite(buf, 1, len, stdout) != len) ||
	    fflush(stdout) != 0) {
		cli_err(cli, "cannot write to standard output: %s",
			strerror(errno));
		return EXIT_SOFTWARE;
	}
	return EXIT_OK;
}

int cli_help(const char *text)
{
	fputs(text, stdout);
	return fflush(stdout) == 0 ? EXIT_OK : EXIT_SOFTWARE;
}

int cli_bad_option(const struct cli *cli, int opt, char **argv)
{
	if (opt == ':') {
		return cli_usage(cli, "option '%s' needs a value",
				 argv[optind - 1]);
	}
	return cli_usage(cli, "unknown option '%s' (see danekit %s%s--help)",
			 argv[optind - 1], cli && cli->cmd ? cli->cmd : "",
			 cli && cli->cmd ? " " : "");
}

/*
 * An absolute copy of @path (malloc()ed): libunbound changes the working
 * directory to the "directory:" of an unbound.conf, so relative paths are
 * fixed before the resolver is made.
 */
char *cli_abspath(const char *path)
{
	char cwd[4096];
	char *s = NULL;

	if (!path) {
		return NULL;
	}
	if (path[0] == '/' || !getcwd(cwd, sizeof(cwd))) {
		return strdup(path);
	}
	if (asprintf(&s, "%s/%s", cwd, path) < 0) {
		return NULL;
	}
	return s;
}

int cli_load_input(const struct cli *cli, const char *path,
		   struct dk_input **ret)
{
	struct dk_diag diag = { "" };
	int r = dk_input_read_file(path, ret, &diag);

	if (r < 0) {
		cli_err(cli, "%s: %s", path,
			diag.why[0] ? diag.why : dk_strerror(r));
		return cli_exit_for(r);
	}
	return EXIT_OK;
}

/* Close the memstream @out (or dump @doc) and write it to stdout. */
int cli_finish(const struct cli *cli, FILE *out, char **bufp, size_t *lenp,
	       json_t *doc)
{
	int rc;
	char *buf;

	if (doc) {
		char *s = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

		if (out) {
			fclose(out);
		}
		free(*bufp);
		*bufp = NULL;
		if (!s) {
			cli_err(cli, "out of memory");
			return EXIT_SOFTWARE;
		}
		rc = cli_write_stdout(cli, s, strlen(s));
		if (rc == EXIT_OK) {
			rc = cli_write_stdout(cli, "\n", 1);
		}
		free(s);
		return rc;
	}
	if (fclose(out) != 0) {
		free(*bufp);
		*bufp = NULL;
		cli_err(cli, "out of memory");
		return EXIT_SOFTWARE;
	}
	buf = *bufp;
	*bufp = NULL;
	rc = cli_write_stdout(cli, buf, *lenp);
	free(buf);
	return rc;
}

int cli_status_exit(int status)
{
	switch (status) {
	case DK_DNSSEC_SECURE:
		return EXIT_OK;
	case DK_DNSSEC_INSECURE:
		return EXIT_NODANE;
	case DK_DNSSEC_BOGUS:
		return EXIT_FAIL;
	default:
		return EXIT_TEMPFAIL;
	}
}

int cli_name_type(const struct cli *cli, int argc, char **argv,
		  const char **ret_name, int *ret_type)
{
	const char *cmd = cli && cli->cmd ? cli->cmd : "";

	if (optind >= argc) {
		return cli_usage(cli, "no name given (danekit %s NAME [TYPE])",
				 cmd);
	}
	if (argc - optind > 2) {
		return cli_usage(cli,
				 "too many arguments (danekit %s NAME [TYPE])",
				 cmd);
	}
	*ret_name = argv[optind];
	*ret_type = DK_RR_TYPE_A;
	if (argc - optind == 2) {
		*ret_type = dk_rr_type_parse(argv[optind + 1]);
		if (*ret_type < 0) {
			return cli_usage(cli, "'%s' is not a DNS record type",
					 argv[optind + 1]);
		}
	}
	return EXIT_OK;
}

/*
 * The resolver of the global options. dk_resolver_new() checks the files
 * and runs the self-test: a set-up that cannot validate is an error here
 * (65, or 66 without an anchor), never a run of "insecure" answers.
 */
static int resolver_new(const struct cli *cli, int event,
			struct dk_resolver **ret)
{
	struct dk_resolver_opts o = { 0 };
	struct dk_diag diag = { "" };
	char first[256] = "";
	FILE *tmp = NULL;
	int r, saved;

	o.anchor_file = cli->anchor;
	o.unbound_conf = cli->unbound_conf;
	o.forwarder = cli->resolver;
	o.timeout = cli->timeout;
	/*
	 * libunbound's configuration parser prints each error on stderr;
	 * catch them so that the failure is one line naming the first.
	 */
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	tmp = saved >= 0 ? tmpfile() : NULL;
	if (tmp) {
		dup2(fileno(tmp), STDERR_FILENO);
	}
	r = event ? dk_resolver_new_event(&o, NULL, ret, &diag)
		  : dk_resolver_new(&o, ret, &diag);
	if (tmp) {
		fflush(stderr);
		dup2(saved, STDERR_FILENO);
		rewind(tmp);
		if (r < 0 && fgets(first, sizeof(first), tmp)) {
			first[strcspn(first, "\n")] = '\0';
		}
		fclose(tmp);
	}
	if (saved >= 0) {
		close(saved);
	}
	if (r < 0) {
		if (first[0]) {
			cli_err(cli, "%s (%s)",
				diag.why[0] ? diag.why : dk_strerror(r), first);
		} else {
			cli_err(cli, "%s",
				diag.why[0] ? diag.why : dk_strerror(r));
		}
		return cli_exit_for(r);
	}
	return EXIT_OK;
}

int cli_resolver(const struct cli *cli, struct dk_resolver **ret)
{
	return resolver_new(cli, 0, ret);
}

int cli_resolver_event(const struct cli *cli, struct dk_resolver **ret)
{
	return resolver_new(cli, 1, ret);
}
