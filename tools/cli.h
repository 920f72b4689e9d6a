/* SPDX-License-Identifier: BSD-3-Clause */
/* The danekit command line: shared state, exit codes, output helpers. */
#ifndef DANEKIT_CLI_H
#define DANEKIT_CLI_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#include <jansson.h>

#include <danekit/common.h>

/* Exit status, DESIGN.md: the same for every command. */
enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,	    /* a check failed */
	EXIT_NODANE = 2,    /* DANE does not apply */
	EXIT_USAGE = 64,    /* EX_USAGE */
	EXIT_DATAERR = 65,  /* EX_DATAERR */
	EXIT_NOINPUT = 66,  /* EX_NOINPUT */
	EXIT_SOFTWARE = 70, /* EX_SOFTWARE */
	EXIT_TEMPFAIL = 75, /* EX_TEMPFAIL */
};

/* Global options (DESIGN.md), also accepted after the command name. */
struct cli {
	const char *anchor;
	const char *unbound_conf;
	const char *resolver;
	double timeout;
	bool json;
	int verbosity;	 /* -1 quiet, 0 normal, 1+ verbose */
	const char *cmd; /* name of the command, for messages */
	/* Monitoring (tools/monitor.c): --nagios, --prometheus FILE,
	 * --crit-days N, --allow-insecure, --unsafe-hours H. */
	bool nagios;
	const char *prometheus;
	bool crit_days_set;
	long crit_days;
	bool allow_insecure;
	long unsafe_hours; /* 0: not given */
};

/* Long option values of the global options, shared by every command. */
enum {
	OPT_ANCHOR = 1000,
	OPT_UNBOUND_CONF,
	OPT_RESOLVER,
	OPT_TIMEOUT,
	OPT_JSON,
	OPT_HELP,
	OPT_VERSION,
	OPT_NAGIOS,
	OPT_PROMETHEUS,
	OPT_CRIT_DAYS,
	OPT_ALLOW_INSECURE,
	OPT_UNSAFE_HOURS,
	OPT_FIRST_COMMAND_OPTION = 1100,
};

/* clang-format off */
#define CLI_GLOBAL_LONGOPTS                                             \
	{ "anchor", required_argument, NULL, OPT_ANCHOR },              \
		{ "unbound-conf", required_argument, NULL, OPT_UNBOUND_CONF }, \
		{ "resolver", required_argument, NULL, OPT_RESOLVER },  \
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },    \
		{ "json", no_argument, NULL, OPT_JSON },                \
		{ "quiet", no_argument, NULL, 'q' },                    \
		{ "verbose", no_argument, NULL, 'v' },                  \
		{ "help", no_argument, NULL, 'h' },                     \
		{ "version", no_argument, NULL, OPT_VERSION },          \
		{ "nagios", no_argument, NULL, OPT_NAGIOS },            \
		{ "prometheus", required_argument, NULL, OPT_PROMETHEUS }, \
		{ "crit-days", required_argument, NULL, OPT_CRIT_DAYS }, \
		{ "allow-insecure", no_argument, NULL, OPT_ALLOW_INSECURE }, \
		{ "unsafe-hours", required_argument, NULL, OPT_UNSAFE_HOURS }
/* clang-format on */

/*
 * Handle a global option seen by any getopt loop. Returns 1 if @opt was a
 * global option (handled), 0 if not, or an exit status > 1 (usage error:
 * -q with -v or with --json). 'h' and --version are left to the caller
 * (cli_help(), cli_version()), so that both work after any command.
 */
int cli_global_option(struct cli *cli, int opt, const char *arg);

/* --version: "danekit VERSION" on stdout, exit status 0 (70 if it fails). */
int cli_version(void);

/* Two options that exclude each other: a usage error naming both (64). */
int cli_conflict(const struct cli *cli, const char *a, const char *b);

/* "danekit: CMD: message" on stderr. */
void cli_err(const struct cli *cli, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A usage error: one line on stderr and EXIT_USAGE. */
int cli_usage(const struct cli *cli, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * The NAME [TYPE] operands after the options (TYPE defaults to A): a
 * usage error (64) when missing, too many, or TYPE is no RR type.
 */
int cli_name_type(const struct cli *cli, int argc, char **argv,
		  const char **ret_name, int *ret_type);

/* Exit status of a DNSSEC status: secure 0, insecure 2, bogus 1, else 75. */
int cli_status_exit(int status);

/*
 * The one table from a library code to an exit status (DESIGN.md): 0 or
 * a negative DK_E* code. Commands never map codes by hand: where a
 * command needs another meaning, the library returns a more precise code.
 */
int cli_exit_for(int dk_err);

/*
 * HOST, HOST:PORT, an IPv4 address (ADDR or ADDR:PORT) or an IPv6 address
 * ([ADDR], [ADDR]:PORT, or ADDR alone, without a port). The host or the
 * address (without brackets) goes to @host (@hlen bytes); *@port is set
 * only when a port is given (1-65535); *@is_addr says whether it is an
 * address literal. 0, or -1 (bad syntax, or too long).
 */
int cli_host_port(const char *arg, char *host, size_t hlen, unsigned long *port,
		  int *is_addr);

/*
 * An RFC 3339 section 5.6 moment, strictly: full-date alone (midnight
 * UTC), or full-date "T" (or "t", or a space) partial-time time-offset,
 * the offset being "Z" or +HH:MM / -HH:MM (not optional). Every field must
 * be on the calendar (2026-02-30 is not; a leap second only at :59).
 * 0 and *@ret, or -1.
 */
int cli_parse_rfc3339(const char *s, time_t *ret);

/* Parse an unsigned decimal within [min, max]; 0 ok, -1 bad. */
int cli_parse_ulong(const char *s, unsigned long min, unsigned long max,
		    unsigned long *ret);

/* Write @len bytes to stdout and flush; an error line + 70 on failure. */
int cli_write_stdout(const struct cli *cli, const char *buf, size_t len);

/* --help of a command: @text on stdout, exit status 0 (70 if stdout fails). */
int cli_help(const char *text);

/*
 * getopt's '?' (unknown option) or ':' (missing value) as a one-line
 * usage error naming the option: exit status 64.
 */
int cli_bad_option(const struct cli *cli, int opt, char **argv);

/*
 * Close the memstream @out (or, when @doc is not NULL, print @doc as JSON
 * instead) and write the result to stdout; frees *@bufp. Returns an exit
 * status.
 */
int cli_finish(const struct cli *cli, FILE *out, char **bufp, size_t *lenp,
	       json_t *doc);

/*
 * An absolute copy of @path (malloc()ed): libunbound changes the working
 * directory to the "directory:" of an unbound.conf, so relative paths are
 * fixed before the resolver is made.
 */
char *cli_abspath(const char *path);

/* Read an input (certificate, key, CSR) or print why not: exit status. */
struct dk_input;
int cli_load_input(const struct cli *cli, const char *path,
		   struct dk_input **ret);

/* Renewal reports, shared by rollover and hook (cmd_rollover.c). */
struct dk_rollover_report;
int renew_cli_stage_exit(const struct dk_rollover_report *rep);
int renew_cli_print_report(const struct cli *cli,
			   const struct dk_rollover_report *rep, FILE *out,
			   json_t *jarr);

/* Commands. */
int cmd_tlsa(struct cli *cli, int argc, char **argv);
int cmd_lookup(struct cli *cli, int argc, char **argv);
int cmd_chain(struct cli *cli, int argc, char **argv);
int cmd_check(struct cli *cli, int argc, char **argv);
int cmd_rollover(struct cli *cli, int argc, char **argv);
int cmd_hook(struct cli *cli, int argc, char **argv);
int cmd_publish(struct cli *cli, int argc, char **argv);
int cmd_doctor(struct cli *cli, int argc, char **argv);
int cmd_audit(struct cli *cli, int argc, char **argv);
int cmd_scan(struct cli *cli, int argc, char **argv);

/*
 * Make the resolver of the global options (--anchor, --unbound-conf,
 * --resolver, --timeout). Returns an exit status; on failure the error is
 * printed.
 */
struct dk_resolver;
int cli_resolver(const struct cli *cli, struct dk_resolver **ret);

/* The same, an event resolver on a loop of its own (scan, check smtp). */
int cli_resolver_event(const struct cli *cli, struct dk_resolver **ret);

/* check smtp's JSON document and exit status of a report (cmd_check.c);
 * scan prints the same. */
struct dk_dane_report;
json_t *check_json_report(const struct dk_dane_report *r);
int check_report_exit(const struct dk_dane_report *r);

/* audit --json's document of a report and its exit status (cmd_audit.c);
 * scan --audit prints the same. */
struct dk_mail_report;
json_t *audit_json_report(const struct dk_mail_report *r, int *ret_exit);

/*
 * check smtp of one domain as a scan of one domain (cmd_scan.c): the
 * same code and loop as danekit scan. Returns 0 and *@ret, or a DK_E*
 * code with @diag.
 */
struct dk_dane_opts;
struct dk_diag;
int scan_one(struct dk_resolver *res, const char *domain,
	     const struct dk_dane_opts *o, struct dk_dane_report **ret,
	     struct dk_diag *diag);

#endif
