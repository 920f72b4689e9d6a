/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Monitoring output: --nagios and --prometheus FILE (see monitor.h and
 * danekit(1), MONITORING). Everything here reads the library's reports;
 * the commands keep only a call each.
 *
 * Nagios: the Monitoring Plugins development guidelines, "Plugin Output"
 * and "Performance data": one line "DANEKIT SERVICE STATE - summary |
 * perfdata", then detail lines; perfdata 'label'=value[UOM];[warn];[crit];
 * [min];[max], thresholds in the guidelines' range syntax ("7:" alerts
 * below 7).
 *
 * Prometheus: the text exposition format 0.0.4 as the node_exporter
 * textfile collector reads it; a state set (OpenMetrics) is a gauge with
 * one sample per state, labelled with the family's own name, 1 for the
 * state that holds and 0 for the others. Every family of a command has the
 * same label names in every sample, so that files of several checks can
 * sit in one collector folder.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <danekit/dane.h>
#include <danekit/dnssec.h>
#include <danekit/mail.h>
#include <danekit/tlsa.h>

#include "monitor.h"

#define DAY 86400.0

/* ------------------------------------------------------------------ */
/* State of the run (only main() runs, once). */

static char *first_error;	 /* the first error line under --nagios */
static int status_printed;	 /* a report's status line went to stdout */
static int status_state;	 /* its state */
static struct timespec t0;	 /* mon_start() */
static const char *service_name; /* "SMTP", "TLS", ... once known */

static const char *const supported[] = { "check", "rollover", "audit", "doctor",
					 "scan" };

/* --prometheus: every command above; --nagios: all but scan */
static int is_supported(const char *cmd)
{
	for (size_t i = 0; i < sizeof(supported) / sizeof(supported[0]); i++) {
		if (cmd && strcmp(cmd, supported[i]) == 0) {
			return 1;
		}
	}
	return 0;
}

static int nagios_supported(const char *cmd)
{
	return is_supported(cmd) && strcmp(cmd, "scan") != 0;
}

void mon_prescan(struct cli *cli, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			break;
		}
		if (strcmp(argv[i], "--nagios") == 0) {
			cli->nagios = true;
		}
	}
}

static int not_here(const struct cli *cli, const char *opt)
{
	return cli_usage(cli,
			 "%s is for check, rollover, audit and doctor, not %s",
			 opt, cli->cmd);
}

int mon_option(struct cli *cli, int opt, const char *arg)
{
	unsigned long v;

	switch (opt) {
	case OPT_NAGIOS:
		if (cli->cmd && !nagios_supported(cli->cmd)) {
			return not_here(cli, "--nagios");
		}
		if (cli->json) {
			return cli_conflict(cli, "--nagios", "--json");
		}
		cli->nagios = true;
		return 1;
	case OPT_PROMETHEUS:
		if (cli->cmd && !is_supported(cli->cmd)) {
			return not_here(cli, "--prometheus");
		}
		if (!*arg) {
			return cli_usage(cli,
					 "--prometheus: an empty file name");
		}
		cli->prometheus = arg;
		return 1;
	case OPT_CRIT_DAYS:
		if (cli_parse_ulong(arg, 0, 36500, &v)) {
			return cli_usage(cli,
					 "--crit-days: '%s' is not a number of "
					 "days (0-36500)",
					 arg);
		}
		cli->crit_days = (long)v;
		cli->crit_days_set = true;
		return 1;
	case OPT_UNSAFE_HOURS:
		if (cli_parse_ulong(arg, 1, 87600, &v)) {
			return cli_usage(cli,
					 "--unsafe-hours: '%s' is not a number "
					 "of hours (1-87600)",
					 arg);
		}
		cli->unsafe_hours = (long)v;
		return 1;
	case OPT_ALLOW_INSECURE:
		cli->allow_insecure = true;
		return 1;
	default:
		return 0;
	}
}

/* The folder of @path, malloc()ed. */
static char *dir_of(const char *path)
{
	char *copy = strdup(path), *d, *out;

	if (!copy) {
		return NULL;
	}
	d = dirname(copy);
	out = strdup(d);
	free(copy);
	return out;
}

static int check_prometheus_path(const struct cli *cli, const char *path)
{
	struct stat st;
	char *dir;
	int e = 0;

	if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		return cli_usage(cli,
				 "--prometheus: %s is not a regular file: only "
				 "regular files are ever replaced",
				 path);
	}
	dir = dir_of(path);
	if (!dir) {
		cli_err(cli, "out of memory");
		return EXIT_SOFTWARE;
	}
	if (stat(dir, &st) != 0) {
		e = errno;
	} else if (!S_ISDIR(st.st_mode)) {
		e = ENOTDIR;
	} else if (access(dir, W_OK | X_OK) != 0) {
		e = errno;
	}
	if (e) {
		int rc = cli_usage(cli,
				   "--prometheus: cannot write in folder %s: "
				   "%s",
				   dir, strerror(e));

		free(dir);
		return rc;
	}
	free(dir);
	return EXIT_OK;
}

int mon_command(const struct cli *cli)
{
	if (cli->prometheus && !is_supported(cli->cmd)) {
		return not_here(cli, "--prometheus");
	}
	if (cli->nagios && !nagios_supported(cli->cmd)) {
		return not_here(cli, "--nagios");
	}
	return EXIT_OK;
}

int mon_ready(const struct cli *cli)
{
	int is_check = strcmp(cli->cmd, "check") == 0;
	int is_rollover = strcmp(cli->cmd, "rollover") == 0;

	if (cli->nagios && !nagios_supported(cli->cmd)) {
		return not_here(cli, "--nagios");
	}
	if (cli->prometheus && !is_supported(cli->cmd)) {
		return not_here(cli, "--prometheus");
	}
	if (cli->nagios && cli->json) {
		return cli_conflict(cli, "--nagios", "--json");
	}
	if (cli->crit_days_set && !(is_check && cli->nagios)) {
		return cli_usage(cli, "--crit-days belongs to check with "
				      "--nagios");
	}
	if (cli->allow_insecure &&
	    !((is_check || is_rollover) && cli->nagios)) {
		return cli_usage(cli, "--allow-insecure belongs to check and "
				      "rollover with --nagios");
	}
	if (cli->unsafe_hours && !(is_rollover && cli->nagios)) {
		return cli_usage(cli, "--unsafe-hours belongs to rollover with "
				      "--nagios");
	}
	if (cli->prometheus) {
		return check_prometheus_path(cli, cli->prometheus);
	}
	return EXIT_OK;
}

/* Nagios text never holds '|' (it starts perfdata) nor a line break. */
static void clean_text(char *s)
{
	for (; *s; s++) {
		if (*s == '|') {
			*s = '/';
		} else if (*s == '\n' || *s == '\r') {
			*s = ' ';
		}
	}
}

static const char *service(const struct cli *cli)
{
	static char up[32];
	size_t i;

	if (service_name) {
		return service_name;
	}
	for (i = 0; cli && cli->cmd && cli->cmd[i] && i < sizeof(up) - 1; i++) {
		up[i] = (char)(cli->cmd[i] >= 'a' && cli->cmd[i] <= 'z'
				       ? cli->cmd[i] - 'a' + 'A'
				       : cli->cmd[i]);
	}
	up[i] = '\0';
	return up;
}

int mon_error_line(const struct cli *cli, const char *msg)
{
	if (!cli || !cli->nagios || first_error || status_printed) {
		return 0;
	}
	first_error = strdup(msg);
	if (first_error) {
		clean_text(first_error);
	}
	return first_error != NULL;
}

int mon_exit(const struct cli *cli, int rc)
{
	const char *svc = service(cli);

	if (!cli->nagios) {
		return rc;
	}
	if (status_printed) {
		if (first_error) {
			fprintf(stderr, "danekit: %s%s%s\n",
				cli->cmd ? cli->cmd : "", cli->cmd ? ": " : "",
				first_error);
		}
		free(first_error);
		return status_state;
	}
	if (!first_error && rc == EXIT_OK) {
		return rc; /* --help, --version */
	}
	printf("DANEKIT%s%s UNKNOWN - %s\n", *svc ? " " : "", svc,
	       first_error ? first_error : "could not finish");
	fflush(stdout);
	free(first_error);
	return MON_UNKNOWN;
}

void mon_start(void)
{
	clock_gettime(CLOCK_MONOTONIC, &t0);
}

static double elapsed(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0.tv_sec) +
	       (double)(t.tv_nsec - t0.tv_nsec) / 1e9;
}

/* ------------------------------------------------------------------ */
/* The Nagios status line, perfdata and detail lines. */

struct nag {
	int state;
	char summary[1024];
	FILE *perf, *det;
	char *pbuf, *dbuf;
	size_t plen, dlen;
};

static const char *const state_names[] = { "OK", "WARNING", "CRITICAL",
					   "UNKNOWN" };

static int nag_open(struct nag *n)
{
	memset(n, 0, sizeof(*n));
	n->perf = open_memstream(&n->pbuf, &n->plen);
	n->det = open_memstream(&n->dbuf, &n->dlen);
	return n->perf && n->det ? 0 : -1;
}

static void nag_raise(struct nag *n, int state)
{
	/* UNKNOWN (3) is the worst only against OK; CRITICAL wins */
	if (n->state == MON_CRITICAL || state == n->state) {
		return;
	}
	if (state == MON_CRITICAL || n->state == MON_OK ||
	    (n->state == MON_WARNING && state == MON_UNKNOWN)) {
		n->state = state;
	}
}

static void nag_summary(struct nag *n, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void nag_summary(struct nag *n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(n->summary, sizeof(n->summary), fmt, ap);
	va_end(ap);
}

static void nag_detail(struct nag *n, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void nag_detail(struct nag *n, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	clean_text(line);
	fprintf(n->det, "%s\n", line);
}

/*
 * One perfdata item. A label with a space, '=' or a quote is quoted, a
 * quote inside doubled (the guidelines' rule). @value is printed with
 * @decimals decimals; @warn and @crit are ranges or NULL; @min and @max
 * NULL or numbers as text.
 */
static void nag_perf(struct nag *n, const char *label, double value,
		     int decimals, const char *uom, const char *warn,
		     const char *crit, const char *min, const char *max)
{
	int quote = strpbrk(label, " ='") != NULL;

	if (ftell(n->perf) > 0) {
		fputc(' ', n->perf);
	}
	if (quote) {
		fputc('\'', n->perf);
		for (const char *p = label; *p; p++) {
			if (*p == '\'') {
				fputc('\'', n->perf);
			}
			fputc(*p, n->perf);
		}
		fputc('\'', n->perf);
	} else {
		fputs(label, n->perf);
	}
	fprintf(n->perf, "=%.*f%s;%s;%s;%s;%s", decimals, value, uom ? uom : "",
		warn ? warn : "", crit ? crit : "", min ? min : "",
		max ? max : "");
}

/* Print the whole output (or an UNKNOWN line if memory ran out). */
static int nag_close(const struct cli *cli, struct nag *n)
{
	int bad = !n->perf || !n->det;

	if (n->perf && fclose(n->perf) != 0) {
		bad = 1;
	}
	if (n->det && fclose(n->det) != 0) {
		bad = 1;
	}
	if (bad) {
		free(n->pbuf);
		free(n->dbuf);
		cli_err(cli, "out of memory");
		return MON_UNKNOWN;
	}
	clean_text(n->summary);
	printf("DANEKIT %s %s - %s", service(cli), state_names[n->state],
	       n->summary);
	if (n->plen) {
		printf(" | %s", n->pbuf);
	}
	putchar('\n');
	if (cli->verbosity >= 0 && n->dlen) {
		fputs(n->dbuf, stdout);
	}
	free(n->pbuf);
	free(n->dbuf);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr,
			"danekit: %s: cannot write to standard output: %s\n",
			cli->cmd, strerror(errno));
		return MON_UNKNOWN;
	}
	status_printed = 1;
	status_state = n->state;
	return n->state;
}

/* ------------------------------------------------------------------ */
/* The Prometheus textfile. */

#define PROM_MAX_FAMILIES 32

struct prom_family {
	const char *name, *type, *help;
	FILE *f;
	char *buf;
	size_t len;
};

struct prom {
	struct prom_family fam[PROM_MAX_FAMILIES];
	size_t n;
	int bad;
};

static struct prom_family *prom_family(struct prom *p, const char *name,
				       const char *type, const char *help)
{
	struct prom_family *f;

	for (size_t i = 0; i < p->n; i++) {
		if (strcmp(p->fam[i].name, name) == 0) {
			return &p->fam[i];
		}
	}
	if (p->n == PROM_MAX_FAMILIES) {
		p->bad = 1;
		return NULL;
	}
	f = &p->fam[p->n];
	f->name = name;
	f->type = type;
	f->help = help;
	f->f = open_memstream(&f->buf, &f->len);
	if (!f->f) {
		p->bad = 1;
		return NULL;
	}
	p->n++;
	return f;
}

/* A label value, escaped as the text format says (\\, \", \n). */
static void prom_label_value(FILE *f, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"') {
			fputc('\\', f);
			fputc(*v, f);
		} else if (*v == '\n') {
			fputs("\\n", f);
		} else {
			fputc(*v, f);
		}
	}
}

/*
 * One sample of @name: @value, the label pairs of @kv (name, value, ...,
 * NULL), then @k2=@v2 when @k2 is not NULL. A NULL value is written as ""
 * (every sample of a family has the same label names).
 */
static void prom_sample_a(struct prom *p, const char *name, const char *type,
			  const char *help, double value, const char *const *kv,
			  const char *k2, const char *v2)
{
	struct prom_family *f = prom_family(p, name, type, help);
	int first = 1;

	if (!f) {
		return;
	}
	fputs(name, f->f);
	for (size_t i = 0; kv && kv[i]; i += 2) {
		fputs(first ? "{" : ",", f->f);
		first = 0;
		fprintf(f->f, "%s=\"", kv[i]);
		prom_label_value(f->f, kv[i + 1] ? kv[i + 1] : "");
		fputc('"', f->f);
	}
	if (k2) {
		fputs(first ? "{" : ",", f->f);
		first = 0;
		fprintf(f->f, "%s=\"", k2);
		prom_label_value(f->f, v2 ? v2 : "");
		fputc('"', f->f);
	}
	if (!first) {
		fputc('}', f->f);
	}
	if (value == (double)(int64_t)value) {
		fprintf(f->f, " %lld\n", (long long)value);
	} else {
		fprintf(f->f, " %.9g\n", value);
	}
}

/* The same with the label pairs as arguments, ending with NULL. */
static void prom_sample(struct prom *p, const char *name, const char *type,
			const char *help, double value, ...)
{
	const char *kv[17];
	size_t n = 0;
	const char *k;
	va_list ap;

	va_start(ap, value);
	while (n + 2 < sizeof(kv) / sizeof(kv[0]) &&
	       (k = va_arg(ap, const char *)) != NULL) {
		kv[n++] = k;
		kv[n++] = va_arg(ap, const char *);
	}
	va_end(ap);
	kv[n] = NULL;
	prom_sample_a(p, name, type, help, value, kv, NULL, NULL);
}

/* A state set: one sample per state, 1 for @state, labelled @name. */
static void prom_stateset(struct prom *p, const char *name, const char *help,
			  const char *const *states, size_t nstates,
			  const char *state, const char *const *kv)
{
	for (size_t i = 0; i < nstates; i++) {
		prom_sample_a(p, name, "gauge", help,
			      strcmp(states[i], state) == 0 ? 1 : 0, kv, name,
			      states[i]);
	}
}

static void prom_free(struct prom *p)
{
	for (size_t i = 0; i < p->n; i++) {
		if (p->fam[i].f) {
			fclose(p->fam[i].f);
		}
		free(p->fam[i].buf);
	}
	p->n = 0;
}

/*
 * Write the families to cli->prometheus: a temporary file in the same
 * folder, mode 0644, synced, then renamed over it. Only a regular file is
 * replaced. EXIT_OK, or an error line and its exit status.
 */
static int prom_write(const struct cli *cli, struct prom *p)
{
	const char *path = cli->prometheus;
	char *dir = NULL, *tmp = NULL, *base = NULL, *copy = NULL;
	FILE *out = NULL;
	struct stat st;
	int fd = -1, rc = EXIT_OK, e = 0;

	for (size_t i = 0; i < p->n; i++) {
		if (fclose(p->fam[i].f) != 0) {
			p->bad = 1;
		}
		p->fam[i].f = NULL;
	}
	copy = strdup(path);
	dir = dir_of(path);
	if (p->bad || !copy || !dir) {
		cli_err(cli, "out of memory");
		rc = EXIT_SOFTWARE;
		goto out;
	}
	base = basename(copy);
	if (asprintf(&tmp, "%s/.%s.XXXXXX", dir, base) < 0) {
		tmp = NULL;
		cli_err(cli, "out of memory");
		rc = EXIT_SOFTWARE;
		goto out;
	}
	fd = mkstemp(tmp);
	if (fd < 0) {
		e = errno;
		free(tmp);
		tmp = NULL;
		goto fail;
	}
	if (fchmod(fd, 0644) != 0) {
		e = errno;
		goto fail;
	}
	out = fdopen(fd, "w");
	if (!out) {
		e = errno;
		goto fail;
	}
	fd = -1;
	for (size_t i = 0; i < p->n; i++) {
		const struct prom_family *f = &p->fam[i];

		fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", f->name, f->help,
			f->name, f->type);
		fwrite(f->buf, 1, f->len, out);
	}
	if (fflush(out) != 0 || ferror(out) || fsync(fileno(out)) != 0) {
		e = errno ? errno : EIO;
		goto fail;
	}
	if (fclose(out) != 0) {
		out = NULL;
		e = errno;
		goto fail;
	}
	out = NULL;
	/* a non-regular file that appeared meanwhile is never replaced */
	if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		e = EEXIST;
		goto fail;
	}
	if (rename(tmp, path) != 0) {
		e = errno;
		goto fail;
	}
	goto out;
fail:
	if (e == EEXIST) {
		cli_err(cli,
			"--prometheus: %s is not a regular file: only regular "
			"files are ever replaced",
			path);
		rc = EXIT_USAGE;
	} else {
		cli_err(cli, "--prometheus: cannot write %s: %s", path,
			strerror(e));
		rc = EXIT_TEMPFAIL;
	}
	if (out) {
		fclose(out);
	}
	if (fd >= 0) {
		close(fd);
	}
	if (tmp) {
		unlink(tmp);
	}
out:
	prom_free(p);
	free(tmp);
	free(dir);
	free(copy);
	return rc;
}

/* --prometheus: write the file; else just free the samples. */
static int prom_finish(const struct cli *cli, struct prom *p)
{
	if (cli->prometheus) {
		return prom_write(cli, p);
	}
	prom_free(p);
	return EXIT_OK;
}

/* ------------------------------------------------------------------ */
/* Helpers on the reports. */

/* The earliest expiration of a valid RRSIG on the chain to @name/@type. */
static time_t earliest_sig(struct dk_resolver *res, const char *name,
			   uint16_t type)
{
	struct dk_chain *ch = NULL;
	struct dk_diag diag = { "" };
	time_t min = 0;

	if (!res || !name ||
	    dk_chain_build(res, name, type, 0, &ch, &diag) < 0) {
		return 0;
	}
	for (size_t i = 0; i < dk_chain_link_count(ch); i++) {
		const struct dk_chain_link *l = dk_chain_link(ch, i);
		const struct dk_chain_sig *sets[] = { l->ds_sigs, l->key_sigs,
						      l->sigs, l->proof_sigs };
		const size_t counts[] = { l->ds_sig_count, l->key_sig_count,
					  l->sig_count, l->proof_sig_count };

		for (size_t j = 0; j < 4; j++) {
			for (size_t k = 0; k < counts[j]; k++) {
				const struct dk_chain_sig *g = &sets[j][k];

				if (g->state == DK_CHAIN_SIG_VALID &&
				    (!min || g->expiration < min)) {
					min = g->expiration;
				}
			}
		}
	}
	dk_chain_free(ch);
	return min;
}

static const char *dnssec_word(enum dk_dnssec_status s)
{
	switch (s) {
	case DK_DNSSEC_SECURE:
		return "secure";
	case DK_DNSSEC_INSECURE:
		return "insecure";
	case DK_DNSSEC_BOGUS:
		return "bogus";
	default:
		return "indeterminate";
	}
}

static int addr_failed(enum dk_dane_addr_status s)
{
	switch (s) {
	case DK_ADDR_MISMATCH:
	case DK_ADDR_NO_STARTTLS:
	case DK_ADDR_TLS_FAILED:
	case DK_ADDR_PROTO_ERROR:
	case DK_ADDR_UNREACHABLE:
	case DK_ADDR_TIMEOUT:
		return 1;
	default:
		return 0;
	}
}

/* The name without its trailing dot, in @buf. */
static const char *nodot(const char *name, char *buf, size_t len)
{
	size_t n;

	if (!name) {
		return "";
	}
	n = strlen(name);
	if (n > 1 && name[n - 1] == '.') {
		n--;
	}
	snprintf(buf, len, "%.*s", (int)n, name);
	return buf;
}

/* ------------------------------------------------------------------ */
/* check smtp / check tls */

/*
 * The states of the state sets, by the library's own names (enum order,
 * the first value last: "unknown" reads best at the end).
 */
static const char *dane_verdicts[DK_DANE_PARTIAL + 1];
static const char *addr_states[DK_ADDR_SKIPPED + 1];
static const char *const dnssec_words[] = { "secure", "insecure", "bogus",
					    "indeterminate" };

static void dane_names(void)
{
	for (int i = 1; i <= DK_DANE_PARTIAL; i++) {
		dane_verdicts[i - 1] =
			dk_dane_verdict_name((enum dk_dane_verdict)i);
	}
	dane_verdicts[DK_DANE_PARTIAL] = dk_dane_verdict_name(DK_DANE_UNKNOWN);
	for (int i = 1; i <= DK_ADDR_SKIPPED; i++) {
		addr_states[i - 1] =
			dk_dane_addr_status_name((enum dk_dane_addr_status)i);
	}
	addr_states[DK_ADDR_SKIPPED] =
		dk_dane_addr_status_name(DK_ADDR_UNKNOWN);
}

struct dane_sums {
	size_t records, usable, verified, failed;
	double handshake; /* the longest TLS handshake, seconds; 0 none */
	time_t cert_min;  /* earliest leaf notAfter; 0 none */
	time_t sig_min;	  /* earliest RRSIG expiration; 0 none */
	const struct dk_dane_finding *warn; /* first warning or worse */
};

static void min_time(time_t *m, time_t t)
{
	if (t && (!*m || t < *m)) {
		*m = t;
	}
}

static void dane_prom(struct prom *p, const struct dk_dane_report *rep,
		      const char *check, struct dk_resolver *res, double took,
		      struct dane_sums *s)
{
	char port[8], dom[300];
	time_t mx_sig = 0;

	dane_names();
	snprintf(port, sizeof(port), "%u", rep->port);
	nodot(rep->domain, dom, sizeof(dom));
	prom_stateset(p, "danekit_check_verdict",
		      "Verdict of the DANE check (state set).", dane_verdicts,
		      sizeof(dane_verdicts) / sizeof(dane_verdicts[0]),
		      dk_dane_verdict_name(rep->verdict),
		      (const char *const[]){ "check", check, "domain", dom,
					     "port", port, NULL });
	prom_sample(p, "danekit_check_timestamp_seconds", "gauge",
		    "When the DANE check ran (Unix time).", (double)time(NULL),
		    "check", check, "domain", dom, "port", port, NULL);
	prom_sample(p, "danekit_check_duration_seconds", "gauge",
		    "How long the DANE check took: lookups and handshakes.",
		    took, "check", check, "domain", dom, "port", port, NULL);
	if (rep->service == DK_DANE_SERVICE_SMTP && !rep->implicit_mx &&
	    rep->mx_status == DK_DNSSEC_SECURE) {
		mx_sig = earliest_sig(res, rep->domain, DK_RR_TYPE_MX);
		min_time(&s->sig_min, mx_sig);
	}
	if (mx_sig) {
		prom_sample(p,
			    "danekit_check_mx_rrsig_expiry_timestamp_seconds",
			    "gauge",
			    "Earliest expiration of an RRSIG on the chain of "
			    "trust of the MX RRset (Unix time).",
			    (double)mx_sig, "check", check, "domain", dom,
			    "port", port, NULL);
	}
	for (size_t i = 0; i < rep->nhosts; i++) {
		const struct dk_dane_host *h = dk_dane_report_host(rep, i);
		char host[300];
		time_t sig = 0;

		const char *const hl[] = { "check", check,  "domain",
					   dom,	    "port", port,
					   "host",  host,   NULL };

		nodot(h->name, host, sizeof(host));
		s->records += h->nrecords;
		s->usable += h->nusable;
		prom_stateset(p, "danekit_check_host_verdict",
			      "Verdict of one server host (state set).",
			      dane_verdicts,
			      sizeof(dane_verdicts) / sizeof(dane_verdicts[0]),
			      dk_dane_verdict_name(h->verdict), hl);
		if (h->tlsa_owner) {
			prom_stateset(
				p, "danekit_check_tlsa_dnssec",
				"DNSSEC status of the host's TLSA RRset (state "
				"set).",
				dnssec_words, 4, dnssec_word(h->tlsa_status),
				hl);
		}
		prom_sample(p, "danekit_check_tlsa_records", "gauge",
			    "TLSA records published for the host.",
			    (double)h->nrecords, "check", check, "domain", dom,
			    "port", port, "host", host, NULL);
		prom_sample(p, "danekit_check_tlsa_records_usable", "gauge",
			    "TLSA records usable for the service (secure, "
			    "usages the service accepts).",
			    (double)h->nusable, "check", check, "domain", dom,
			    "port", port, "host", host, NULL);
		if (h->tlsa_owner && h->tlsa_status == DK_DNSSEC_SECURE) {
			sig = earliest_sig(res, h->tlsa_owner, DK_RR_TYPE_TLSA);
			min_time(&s->sig_min, sig);
		}
		if (sig) {
			prom_sample(
				p,
				"danekit_check_tlsa_rrsig_expiry_timestamp_"
				"seconds",
				"gauge",
				"Earliest expiration of an RRSIG on the chain "
				"of trust of the host's TLSA RRset (Unix "
				"time).",
				(double)sig, "check", check, "domain", dom,
				"port", port, "host", host, NULL);
		}
		for (size_t j = 0; j < h->naddrs; j++) {
			const struct dk_dane_addr *a = dk_dane_host_addr(h, j);
			const struct dk_dane_cert *leaf =
				dk_dane_addr_cert(a, 0);
			const char *st = dk_dane_addr_status_name(a->status);

			if (a->status == DK_ADDR_VERIFIED) {
				s->verified++;
			} else if (addr_failed(a->status)) {
				s->failed++;
			}
			prom_stateset(
				p, "danekit_check_address_status",
				"Outcome at one address of a host (state set).",
				addr_states,
				sizeof(addr_states) / sizeof(addr_states[0]),
				st ? st : "unknown",
				(const char *const[]){ "check", check, "domain",
						       dom, "port", port,
						       "host", host, "address",
						       a->address, NULL });
			if (a->handshake_seconds > 0) {
				if (a->handshake_seconds > s->handshake) {
					s->handshake = a->handshake_seconds;
				}
				prom_sample(
					p, "danekit_check_handshake_seconds",
					"gauge",
					"How long the TLS handshake at this "
					"address took.",
					a->handshake_seconds, "check", check,
					"domain", dom, "port", port, "host",
					host, "address", a->address, NULL);
			}
			if (leaf) {
				min_time(&s->cert_min, leaf->not_after);
				prom_sample(
					p,
					"danekit_check_cert_expiry_timestamp_"
					"seconds",
					"gauge",
					"notAfter of the certificate the "
					"server presents at this address "
					"(Unix time).",
					(double)leaf->not_after, "check", check,
					"domain", dom, "port", port, "host",
					host, "address", a->address, NULL);
			}
			for (size_t k = 0; k < a->nalts; k++) {
				const struct dk_dane_alt *alt =
					dk_dane_addr_alt(a, k);
				const struct dk_dane_cert *c =
					dk_dane_alt_cert(alt, 0);

				if (c) {
					min_time(&s->cert_min, c->not_after);
				}
			}
		}
	}
	for (size_t i = 0; i < rep->nfindings && !s->warn; i++) {
		const struct dk_dane_finding *f =
			dk_dane_report_finding(rep, i);

		if (f->severity >= DK_DANE_WARNING) {
			s->warn = f;
		}
	}
}

static double days_left(time_t t, time_t now)
{
	return ((double)t - (double)now) / DAY;
}

int mon_dane(const struct cli *cli, struct dk_resolver *res,
	     const struct dk_dane_report *rep, int allow_partial,
	     const struct dk_dane_opts *o)
{
	const char *check =
		rep->service == DK_DANE_SERVICE_SMTP ? "smtp" : "tls";
	struct dane_sums s = { 0 };
	double took = elapsed();
	struct prom p = { .n = 0 };
	struct nag n;
	time_t now = time(NULL);
	long crit = cli->crit_days_set ? cli->crit_days : MON_CRIT_DAYS;
	char dom[300], cr[32] = "", cw[32] = "", sw[32] = "";
	int rc;

	service_name = rep->service == DK_DANE_SERVICE_SMTP ? "SMTP" : "TLS";
	dane_prom(&p, rep, check, res, took, &s);
	rc = prom_finish(cli, &p);
	if (rc != EXIT_OK || !cli->nagios) {
		return rc;
	}
	if (nag_open(&n) < 0) {
		return nag_close(cli, &n);
	}
	nodot(rep->domain, dom, sizeof(dom));
	switch (rep->verdict) {
	case DK_DANE_VALID:
		n.state = s.warn ? MON_WARNING : MON_OK;
		break;
	case DK_DANE_PARTIAL:
		n.state = allow_partial ? MON_WARNING : MON_CRITICAL;
		break;
	case DK_DANE_NOT_APPLICABLE:
		n.state = cli->allow_insecure ? MON_OK : MON_CRITICAL;
		break;
	case DK_DANE_FAILED:
		n.state = MON_CRITICAL;
		break;
	default:
		n.state = MON_UNKNOWN;
		break;
	}
	if (crit > 0 && rep->verdict == DK_DANE_VALID &&
	    ((s.cert_min && days_left(s.cert_min, now) < (double)crit) ||
	     (s.sig_min && days_left(s.sig_min, now) < (double)crit))) {
		nag_raise(&n, MON_CRITICAL);
	}
	if (rep->verdict == DK_DANE_VALID && n.state != MON_OK && s.warn) {
		nag_summary(&n, "%s: %s; %s", dom,
			    dk_dane_verdict_name(rep->verdict),
			    s.warn->message);
	} else {
		nag_summary(&n, "%s: %s: %s", dom,
			    dk_dane_verdict_name(rep->verdict),
			    rep->why ? rep->why : "");
	}
	/* thresholds as ranges: "N:" alerts below N days */
	if (crit > 0) {
		snprintf(cr, sizeof(cr), "%ld:", crit);
	}
	if (o && o->warn_days > 0) {
		snprintf(cw, sizeof(cw), "%ld:", o->warn_days);
	}
	if (!o || o->sig_warn_days >= 0) {
		snprintf(sw, sizeof(sw),
			 "%ld:", o && o->sig_warn_days ? o->sig_warn_days : 7L);
	}
	if (s.cert_min) {
		nag_perf(&n, "cert_days", days_left(s.cert_min, now), 2, NULL,
			 cw, cr, NULL, NULL);
	}
	if (s.sig_min) {
		nag_perf(&n, "rrsig_days", days_left(s.sig_min, now), 2, NULL,
			 sw, cr, NULL, NULL);
	}
	nag_perf(&n, "records", (double)s.records, 0, NULL, NULL, NULL, "0",
		 NULL);
	nag_perf(&n, "records_usable", (double)s.usable, 0, NULL, NULL, NULL,
		 "0", NULL);
	nag_perf(&n, "addresses_verified", (double)s.verified, 0, NULL, NULL,
		 NULL, "0", NULL);
	nag_perf(&n, "addresses_failed", (double)s.failed, 0, NULL, "0", NULL,
		 "0", NULL);
	nag_perf(&n, "time", took, 3, "s", NULL, NULL, "0", NULL);
	if (s.handshake > 0) {
		nag_perf(&n, "handshake", s.handshake, 3, "s", NULL, NULL, "0",
			 NULL);
	}
	for (size_t i = 0; i < rep->nhosts; i++) {
		const struct dk_dane_host *h = dk_dane_report_host(rep, i);
		char host[300];

		nag_detail(&n, "%s: %s, TLSA %s, %zu record%s (%zu usable)%s%s",
			   nodot(h->name, host, sizeof(host)),
			   dk_dane_verdict_name(h->verdict),
			   h->tlsa_owner ? dnssec_word(h->tlsa_status) : "-",
			   h->nrecords, h->nrecords == 1 ? "" : "s", h->nusable,
			   h->why ? ": " : "", h->why ? h->why : "");
		for (size_t j = 0; j < h->naddrs; j++) {
			const struct dk_dane_addr *a = dk_dane_host_addr(h, j);

			nag_detail(&n, "  %s port %u: %s%s%s", a->address,
				   a->port, dk_dane_addr_status_name(a->status),
				   a->why ? ": " : "", a->why ? a->why : "");
		}
	}
	for (size_t i = 0; i < rep->nfindings; i++) {
		const struct dk_dane_finding *f =
			dk_dane_report_finding(rep, i);

		if (f->severity >= DK_DANE_WARNING) {
			nag_detail(&n, "%s %s: %s",
				   dk_dane_severity_name(f->severity), f->code,
				   f->message);
		}
	}
	return nag_close(cli, &n);
}

/* ------------------------------------------------------------------ */
/* rollover */

static const char *rollover_stages[DK_ROLLOVER_BROKEN + 1];

/* "3 1 1 <hex>" (the data cut after 64 bytes), in @buf. */
static const char *record_text(const struct dk_tlsa *t, char *buf, size_t len)
{
	size_t n = 0, dl = 0, off;
	const uint8_t *d = dk_tlsa_data(t, &dl);

	off = (size_t)snprintf(buf, len, "%u %u %u ", dk_tlsa_usage(t),
			       dk_tlsa_selector(t), dk_tlsa_mtype(t));
	for (n = 0; d && n < dl && n < 64 && off + 3 < len; n++) {
		off += (size_t)snprintf(buf + off, len - off, "%02x", d[n]);
	}
	if (n < dl && off + 4 < len) {
		snprintf(buf + off, len - off, "...");
	}
	return buf;
}

int mon_rollover(const struct cli *cli, const struct dk_rollover_report *rep,
		 const char *host, unsigned port, const char *next_path)
{
	struct prom p = { .n = 0 };
	struct nag n;
	char ports[8], rec[200];
	const char *stage = dk_rollover_stage_name(rep->stage);
	size_t ncur = 0, nnext = 0, nsame = 0;
	long unsafe = cli->unsafe_hours ? cli->unsafe_hours : MON_UNSAFE_HOURS;
	long age = rep->age;
	struct stat st;
	time_t now = time(NULL);
	int rc;

	service_name = "ROLLOVER";
	for (int i = 0; i <= DK_ROLLOVER_BROKEN; i++) {
		rollover_stages[i] =
			dk_rollover_stage_name((enum dk_rollover_stage)i);
	}
	snprintf(ports, sizeof(ports), "%u", port);
	prom_stateset(
		&p, "danekit_rollover_stage",
		"Stage of the key rollover (state set).", rollover_stages,
		sizeof(rollover_stages) / sizeof(rollover_stages[0]), stage,
		(const char *const[]){ "host", host, "port", ports, NULL });
	prom_sample(&p, "danekit_rollover_safe", "gauge",
		    "1 when the next certificate may be live (ready, retire, "
		    "done).",
		    dk_rollover_stage_safe(rep->stage) ? 1 : 0, "host", host,
		    "port", ports, NULL);
	prom_sample(&p, "danekit_rollover_timestamp_seconds", "gauge",
		    "When the rollover check ran (Unix time).", (double)now,
		    "host", host, "port", ports, NULL);
	prom_sample(&p, "danekit_rollover_records", "gauge",
		    "Records of the TLSA RRset.", (double)rep->nrecords, "host",
		    host, "port", ports, NULL);
	if (rep->age >= 0) {
		prom_sample(&p, "danekit_rollover_next_age_seconds", "gauge",
			    "Time since the next key's records were first seen "
			    "on every name server.",
			    (double)rep->age, "host", host, "port", ports,
			    NULL);
	}
	prom_sample(&p, "danekit_rollover_min_age_seconds", "gauge",
		    "Minimum age of the next key's records before it is safe "
		    "to deploy.",
		    (double)rep->min_age, "host", host, "port", ports, NULL);
	for (size_t i = 0; i < rep->nrecords; i++) {
		const struct dk_rollover_record *r =
			dk_rollover_report_record(rep, i);
		const char *key = r->current && r->next ? "both"
				  : r->current		? "current"
				  : r->next		? "next"
							: "neither";

		ncur += r->current ? 1 : 0;
		nnext += r->next ? 1 : 0;
		if (r->first_seen > 0) {
			prom_sample(&p,
				    "danekit_tlsa_first_seen_timestamp_seconds",
				    "gauge",
				    "When the TLSA record was first seen "
				    "published on every name server (Unix "
				    "time).",
				    (double)r->first_seen, "host", host, "port",
				    ports, "record",
				    record_text(r->tlsa, rec, sizeof(rec)),
				    "key", key, NULL);
		}
	}
	if (cli->prometheus) {
		rc = prom_write(cli, &p);
		if (rc != EXIT_OK) {
			return rc;
		}
	} else {
		prom_free(&p);
	}
	if (!cli->nagios) {
		return EXIT_OK;
	}
	for (size_t i = 0; i < rep->nservers; i++) {
		nsame +=
			dk_rollover_report_server(rep, i)->state == DK_AUTH_SAME
				? 1
				: 0;
	}
	/* how long the rollover has been under way: the next key's records,
	 * or the next key's file itself */
	if (next_path && stat(next_path, &st) == 0 && st.st_mtime < now &&
	    (long)(now - st.st_mtime) > age) {
		age = (long)(now - st.st_mtime);
	}
	if (nag_open(&n) < 0) {
		return nag_close(cli, &n);
	}
	switch (rep->stage) {
	case DK_ROLLOVER_READY:
	case DK_ROLLOVER_RETIRE:
	case DK_ROLLOVER_DONE:
		n.state = rep->nwarnings ? MON_WARNING : MON_OK;
		break;
	case DK_ROLLOVER_WAITING:
		n.state = MON_OK;
		break;
	case DK_ROLLOVER_NEXT_MISSING:
	case DK_ROLLOVER_PROPAGATING:
		n.state = MON_WARNING;
		break;
	case DK_ROLLOVER_BROKEN:
		n.state = MON_CRITICAL;
		break;
	case DK_ROLLOVER_NOT_SECURE:
		n.state =
			rep->status == DK_DNSSEC_INSECURE
				? (cli->allow_insecure ? MON_OK : MON_CRITICAL)
			: rep->status == DK_DNSSEC_BOGUS ? MON_CRITICAL
							 : MON_UNKNOWN;
		break;
	default:
		n.state = MON_UNKNOWN;
		break;
	}
	if ((rep->stage == DK_ROLLOVER_NEXT_MISSING ||
	     rep->stage == DK_ROLLOVER_PROPAGATING ||
	     rep->stage == DK_ROLLOVER_WAITING) &&
	    age > unsafe * 3600) {
		nag_raise(&n, MON_CRITICAL);
		nag_summary(&n, "%s: %s for %ld hours (over %ld): %s", host,
			    stage, age / 3600, unsafe,
			    rep->why ? rep->why : "");
	} else {
		nag_summary(&n, "%s: %s: %s", host, stage,
			    rep->why ? rep->why : "");
	}
	nag_perf(&n, "records", (double)rep->nrecords, 0, NULL, NULL, NULL, "0",
		 NULL);
	nag_perf(&n, "records_current", (double)ncur, 0, NULL, NULL, NULL, "0",
		 NULL);
	nag_perf(&n, "records_next", (double)nnext, 0, NULL, "1:", NULL, "0",
		 NULL);
	if (rep->age >= 0) {
		nag_perf(&n, "next_age", (double)rep->age, 0, "s", NULL, NULL,
			 "0", NULL);
	}
	nag_perf(&n, "min_age", (double)rep->min_age, 0, "s", NULL, NULL, "0",
		 NULL);
	nag_perf(&n, "servers", (double)rep->nservers, 0, NULL, NULL, NULL, "0",
		 NULL);
	nag_perf(&n, "servers_same", (double)nsame, 0, NULL, NULL, NULL, "0",
		 NULL);
	nag_detail(&n, "owner %s, TLSA %s, live certificate: %s",
		   rep->owner ? rep->owner : "?", dnssec_word(rep->status),
		   dk_rollover_live_name(rep->live));
	for (size_t i = 0; i < rep->nrecords; i++) {
		const struct dk_rollover_record *r =
			dk_rollover_report_record(rep, i);

		nag_detail(&n, "record %s:%s%s",
			   record_text(r->tlsa, rec, sizeof(rec)),
			   r->current ? " current" : "",
			   r->next ? " next" : "");
	}
	for (size_t i = 0; i < rep->nwarnings; i++) {
		nag_detail(&n, "warning: %s", rep->warnings[i]);
	}
	for (size_t i = 0; i < rep->nservers; i++) {
		const struct dk_rollover_server *sv =
			dk_rollover_report_server(rep, i);

		if (sv->state != DK_AUTH_SAME) {
			nag_detail(&n, "server %s %s: %s", sv->name,
				   sv->address, sv->why ? sv->why : "");
		}
	}
	return nag_close(cli, &n);
}

/* ------------------------------------------------------------------ */
/* audit */

static const char *const area_states[] = { "ok", "warning", "error", "critical",
					   "not_checked" };

int mon_audit(const struct cli *cli, const struct dk_mail_report *rep)
{
	struct prom p = { .n = 0 };
	struct nag n;
	size_t count[4] = { 0 };
	const struct dk_mail_finding *first = NULL;
	int worst = dk_mail_report_worst(rep), rc;
	char dom[300];

	service_name = "AUDIT";
	nodot(dk_mail_report_domain(rep), dom, sizeof(dom));
	for (size_t i = 0; i < dk_mail_report_finding_count(rep); i++) {
		const struct dk_mail_finding *f =
			dk_mail_report_finding(rep, i);

		if (f->severity <= DK_MAIL_CRITICAL) {
			count[f->severity]++;
		}
		if (f->severity >= DK_MAIL_WARNING &&
		    (int)f->severity == worst && !first) {
			first = f;
		}
	}
	for (int sv = DK_MAIL_INFO; sv <= DK_MAIL_CRITICAL; sv++) {
		prom_sample(&p, "danekit_audit_findings", "gauge",
			    "Findings of the mail DNS audit, by severity.",
			    (double)count[sv], "domain", dom, "severity",
			    dk_mail_severity_name(sv), NULL);
	}
	prom_sample(&p, "danekit_audit_complete", "gauge",
		    "1 when the audit could finish.",
		    dk_mail_report_complete(rep) ? 1 : 0, "domain", dom, NULL);
	prom_sample(&p, "danekit_audit_timestamp_seconds", "gauge",
		    "When the audit ran (Unix time).", (double)time(NULL),
		    "domain", dom, NULL);
	for (int a = 0; a < DK_MAIL_AREA_COUNT; a++) {
		int w = dk_mail_report_area_worst(rep, a);
		const char *st = !dk_mail_report_area_checked(rep, a)
					 ? "not_checked"
				 : w <= DK_MAIL_INFO ? "ok"
						     : dk_mail_severity_name(w);

		prom_stateset(&p, "danekit_audit_area",
			      "Worst finding of one area of the audit (state "
			      "set).",
			      area_states, 5, st,
			      (const char *const[]){ "domain", dom, "area",
						     dk_mail_area_name(a),
						     NULL });
	}
	rc = prom_finish(cli, &p);
	if (rc != EXIT_OK || !cli->nagios) {
		return rc;
	}
	if (nag_open(&n) < 0) {
		return nag_close(cli, &n);
	}
	if (!dk_mail_report_complete(rep)) {
		n.state = MON_UNKNOWN;
		nag_summary(&n, "%s: could not finish: %s", dom,
			    dk_mail_report_why(rep) ? dk_mail_report_why(rep)
						    : "");
	} else {
		n.state = worst >= DK_MAIL_ERROR     ? MON_CRITICAL
			  : worst == DK_MAIL_WARNING ? MON_WARNING
						     : MON_OK;
		if (first) {
			nag_summary(&n,
				    "%s: %zu critical, %zu error%s, %zu "
				    "warning%s; %s: %s",
				    dom, count[3], count[2],
				    count[2] == 1 ? "" : "s", count[1],
				    count[1] == 1 ? "" : "s", first->code,
				    first->message);
		} else {
			nag_summary(&n, "%s: no warning, %zu finding%s", dom,
				    count[0], count[0] == 1 ? "" : "s");
		}
	}
	nag_perf(&n, "critical", (double)count[3], 0, NULL, NULL, "0", "0",
		 NULL);
	nag_perf(&n, "errors", (double)count[2], 0, NULL, NULL, "0", "0", NULL);
	nag_perf(&n, "warnings", (double)count[1], 0, NULL, "0", NULL, "0",
		 NULL);
	nag_perf(&n, "info", (double)count[0], 0, NULL, NULL, NULL, "0", NULL);
	nag_perf(&n, "queries", (double)dk_mail_report_queries(rep), 0, NULL,
		 NULL, NULL, "0", NULL);
	for (size_t i = 0; i < dk_mail_report_finding_count(rep); i++) {
		const struct dk_mail_finding *f =
			dk_mail_report_finding(rep, i);

		if (f->severity >= DK_MAIL_WARNING) {
			nag_detail(&n, "%s %s %s: %s",
				   dk_mail_severity_name(f->severity), f->code,
				   f->subject ? f->subject : "", f->message);
		}
	}
	return nag_close(cli, &n);
}

/* ------------------------------------------------------------------ */
/* doctor */

static const char *doctor_states[DK_DOCTOR_OK + 1];

int mon_doctor(const struct cli *cli, const struct dk_doctor *d)
{
	struct prom p = { .n = 0 };
	struct nag n;
	size_t count[4] = { 0 }; /* by enum dk_doctor_status */
	enum dk_doctor_status v = dk_doctor_verdict(d);
	int64_t skew = 0;
	int have_skew = dk_doctor_clock_skew(d, &skew) == 1, rc;

	service_name = "DOCTOR";
	for (int i = 0; i <= DK_DOCTOR_OK; i++) {
		doctor_states[DK_DOCTOR_OK - i] =
			dk_doctor_status_name((enum dk_doctor_status)i);
	}
	prom_stateset(&p, "danekit_doctor_verdict",
		      "Is the resolver set-up fit for DANE (state set).",
		      doctor_states, 4, dk_doctor_status_name(v), NULL);
	for (size_t i = 0; i < dk_doctor_check_count(d); i++) {
		enum dk_doctor_status s = dk_doctor_check_status(d, i);

		if ((int)s >= 0 && s <= DK_DOCTOR_OK) {
			count[s]++;
		}
		prom_stateset(&p, "danekit_doctor_check",
			      "Outcome of one check of the resolver set-up "
			      "(state set).",
			      doctor_states, 4, dk_doctor_status_name(s),
			      (const char *const[]){ "check",
						     dk_doctor_check_id(d, i),
						     NULL });
	}
	prom_sample(&p, "danekit_doctor_timestamp_seconds", "gauge",
		    "When the doctor ran (Unix time).", (double)time(NULL),
		    NULL);
	if (have_skew) {
		prom_sample(&p, "danekit_doctor_clock_skew_seconds", "gauge",
			    "How far the clock is outside the validity of the "
			    "anchor zones' DNSKEY RRSIGs (0 inside).",
			    (double)skew, NULL);
	}
	rc = prom_finish(cli, &p);
	if (rc != EXIT_OK || !cli->nagios) {
		return rc;
	}
	if (nag_open(&n) < 0) {
		return nag_close(cli, &n);
	}
	switch (v) {
	case DK_DOCTOR_OK:
		n.state = MON_OK;
		break;
	case DK_DOCTOR_WARNING:
		n.state = MON_WARNING;
		break;
	case DK_DOCTOR_FAIL:
		n.state = MON_CRITICAL;
		break;
	default:
		n.state = MON_UNKNOWN;
		break;
	}
	nag_summary(&n,
		    "%s: %zu checks, %zu failed, %zu warning%s, %zu not "
		    "tested",
		    v == DK_DOCTOR_FAIL ? "unfit for DANE" : "fit for DANE",
		    dk_doctor_check_count(d), count[DK_DOCTOR_FAIL],
		    count[DK_DOCTOR_WARNING],
		    count[DK_DOCTOR_WARNING] == 1 ? "" : "s",
		    count[DK_DOCTOR_UNKNOWN]);
	nag_perf(&n, "checks", (double)dk_doctor_check_count(d), 0, NULL, NULL,
		 NULL, "0", NULL);
	nag_perf(&n, "failed", (double)count[DK_DOCTOR_FAIL], 0, NULL, NULL,
		 "0", "0", NULL);
	nag_perf(&n, "warnings", (double)count[DK_DOCTOR_WARNING], 0, NULL, "0",
		 NULL, "0", NULL);
	nag_perf(&n, "unknown", (double)count[DK_DOCTOR_UNKNOWN], 0, NULL, NULL,
		 NULL, "0", NULL);
	if (have_skew) {
		nag_perf(&n, "clock_skew", (double)skew, 0, "s", NULL, NULL,
			 NULL, NULL);
	}
	for (size_t i = 0; i < dk_doctor_check_count(d); i++) {
		nag_detail(&n, "%s %s: %s",
			   dk_doctor_status_name(dk_doctor_check_status(d, i)),
			   dk_doctor_check_id(d, i), dk_doctor_check_why(d, i));
	}
	return nag_close(cli, &n);
}

int mon_scan(const struct cli *cli, const char *const *names,
	     const uint64_t *verdicts, size_t n, uint64_t errors,
	     uint64_t skipped, double seconds)
{
	struct prom p = { .n = 0 };

	if (!cli->prometheus) {
		return EXIT_OK;
	}
	for (size_t i = 0; i < n; i++) {
		prom_sample(&p, "danekit_scan_domains", "gauge",
			    "Domains of the last scan by verdict.",
			    (double)verdicts[i], "danekit_scan_verdict",
			    names[i], NULL);
	}
	prom_sample(&p, "danekit_scan_errors", "gauge",
		    "Domains of the last scan that could not be checked "
		    "(bad names, lookups that failed).",
		    (double)errors, NULL);
	prom_sample(&p, "danekit_scan_skipped", "gauge",
		    "Domains of the last scan left out by --skip-done.",
		    (double)skipped, NULL);
	prom_sample(&p, "danekit_scan_duration_seconds", "gauge",
		    "How long the last scan took.", seconds, NULL);
	prom_sample(&p, "danekit_scan_timestamp_seconds", "gauge",
		    "When the last scan ended (Unix time).", (double)time(NULL),
		    NULL);
	return prom_write(cli, &p);
}
