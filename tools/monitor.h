/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Monitoring output of the commands (tools/monitor.c): --nagios (a
 * Monitoring Plugins status line with perfdata, exit 0 OK, 1 WARNING, 2
 * CRITICAL, 3 UNKNOWN) and --prometheus FILE (a node_exporter textfile
 * collector file, written atomically). The data comes from the library's
 * reports, never from our own JSON.
 */
#ifndef DANEKIT_MONITOR_H
#define DANEKIT_MONITOR_H

#include <stdbool.h>
#include <stdint.h>

#include "cli.h"

/* Monitoring Plugins states (exit statuses under --nagios). */
enum {
	MON_OK = 0,
	MON_WARNING = 1,
	MON_CRITICAL = 2,
	MON_UNKNOWN = 3,
};

/* Default of --crit-days (certificate and RRSIG expiry). */
#define MON_CRIT_DAYS 3
/* Default of --unsafe-hours (rollover). */
#define MON_UNSAFE_HOURS 24

/*
 * main(): look for --nagios in @argv before anything is parsed, so that
 * even the first usage error comes as a Monitoring Plugins line.
 */
void mon_prescan(struct cli *cli, int argc, char **argv);

/*
 * A monitoring option seen by cli_global_option(): 1 handled, 0 not one
 * of ours, or an exit status > 1 (a usage error, printed).
 */
int mon_option(struct cli *cli, int opt, const char *arg);

/*
 * main(), once the command is known: --nagios or --prometheus given before
 * a command that has no such output is a usage error (printed).
 */
int mon_command(const struct cli *cli);

/*
 * After a command's options are parsed, before any work: do the
 * monitoring options fit together and with the command (@what: "check",
 * "rollover", "audit", "doctor")? May the --prometheus file be written?
 * EXIT_OK or a usage error (printed).
 */
int mon_ready(const struct cli *cli);

/*
 * Under --nagios, print an error line (from cli_err()/cli_usage()) as
 * the UNKNOWN status line on stdout, once. 1 when printed there, 0 when
 * the caller prints it on stderr as usual.
 */
int mon_error_line(const struct cli *cli, const char *msg);

/* main(): the exit status under --nagios (0-3), else @rc. */
int mon_exit(const struct cli *cli, int rc);

/* The clock starts (check: the time the check takes). */
void mon_start(void);

/*
 * The hooks of the commands, called with the library's report when
 * --nagios or --prometheus is given: write the --prometheus file, then
 * under --nagios print the status line, perfdata and detail lines.
 * Return the exit status: under --nagios the state, else EXIT_OK (the
 * command goes on with its own output) or the status of a failed write
 * (printed).
 */
struct dk_resolver;
struct dk_dane_report;
struct dk_rollover_report;
struct dk_mail_report;
struct dk_doctor;

/* @o: the check's options (--warn-days, --sig-warn-days), or NULL. */
struct dk_dane_opts;
int mon_dane(const struct cli *cli, struct dk_resolver *res,
	     const struct dk_dane_report *rep, int allow_partial,
	     const struct dk_dane_opts *o);

/* @host, @port: the service; @next_path: the --next file (its age). */
int mon_rollover(const struct cli *cli, const struct dk_rollover_report *rep,
		 const char *host, unsigned port, const char *next_path);

int mon_audit(const struct cli *cli, const struct dk_mail_report *rep);

int mon_doctor(const struct cli *cli, const struct dk_doctor *doc);

/*
 * scan: the totals of a run for --prometheus (--nagios is refused: a
 * survey is not a check). @verdicts[i] domains ended with the verdict
 * named @names[i] (@n of them); @errors could not be checked (bad names,
 * lookups that failed), @skipped were left out (--skip-done); @seconds
 * the run's duration. An exit status.
 */
int mon_scan(const struct cli *cli, const char *const *names,
	     const uint64_t *verdicts, size_t n, uint64_t errors,
	     uint64_t skipped, double seconds);

#endif
