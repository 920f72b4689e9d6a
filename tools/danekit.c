/* SPDX-License-Identifier: BSD-3-Clause */
/* danekit: the command-line front end. Only main() exits. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <danekit/common.h>

#include "cli.h"
#include "monitor.h"

static const char main_help[] =
	"Usage: danekit [GLOBAL OPTIONS] COMMAND [ARGS]\n"
	"\n"
	"DANE made safe: TLSA records, validated DNSSEC lookups, live checks.\n"
	"\n"
	"Commands:\n"
	"  tlsa      make TLSA records from certificates, chains, keys, CSRs "
	"(offline)\n"
	"  lookup    validated lookup of NAME [TYPE], with its DNSSEC status\n"
	"  chain     the DNSSEC chain of trust for NAME, link by link, with "
	"diagnosis\n"
	"  check     DANE check of live services (check smtp DOMAIN, check tls "
	"HOST[:PORT])\n"
	"  rollover  are the current and the next key both published and "
	"secure?\n"
	"  hook      ACME renewal hook: certbot | acme.sh | dehydrated | lego\n"
	"  publish   add or remove TLSA records by DNS UPDATE (RFC 2136, "
	"TSIG)\n"
	"  doctor    is this resolver set-up fit for DANE? (anchor, "
	"self-test,\n"
	"            clock, algorithms, SHA-1, NSEC3, UDP and TCP)\n"
	"  audit     mail DNS audit: MX, SPF, DKIM, DMARC, BIMI, reverse DNS\n"
	"  scan      check smtp over many domains (a file or stdin) on one "
	"event\n"
	"            loop; JSON lines; --shard K/N for batch engines\n"
	"\n"
	"Global options:\n"
	"  --anchor FILE          trust anchor file (DS/DNSKEY lines or an RFC "
	"5011\n"
	"                         state file); default: the system root "
	"anchor\n"
	"                         (the anchor's zone must validate: a set-up "
	"that\n"
	"                         cannot validate is an error, never "
	"'insecure')\n"
	"  --unbound-conf FILE    an unbound.conf for libunbound (stub/forward "
	"zones,\n"
	"                         trust anchors, options)\n"
	"  --resolver ADDR[@PORT] send queries to this resolver; validation "
	"stays local\n"
	"                         (a numeric address, port 1-65535)\n"
	"  --timeout SECONDS      limit for each network operation (default "
	"10)\n"
	"  --json                 machine-readable output (one JSON document)\n"
	"  -q, --quiet            checks print only their verdict or status "
	"line;\n"
	"                         tlsa, publish and hook print nothing (the "
	"exit\n"
	"                         status tells)\n"
	"  -v, --verbose          more detail (not with -q)\n"
	"  -h, --help             this help; 'danekit COMMAND --help' for a "
	"command\n"
	"  --version              print the version (also after a command)\n"
	"Monitoring (check, rollover, audit, doctor):\n"
	"  --nagios               Monitoring Plugins status line and "
	"perfdata;\n"
	"                         exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN\n"
	"  --prometheus FILE      also write node_exporter textfile metrics\n"
	"                         (danekit_*) to FILE, atomically\n"
	"  --crit-days N          (--nagios, check) CRITICAL when a "
	"certificate or\n"
	"                         RRSIG expires within N days (default 3)\n"
	"  --allow-insecure       (--nagios, check, rollover) DANE not "
	"applicable\n"
	"                         is OK\n"
	"  --unsafe-hours H       (--nagios, rollover) an unsafe stage older "
	"than H\n"
	"                         hours is CRITICAL (default 24)\n"
	"Options that exclude each other are a usage error, never ignored.\n"
	"\n"
	"Exit status: 0 all passed; 1 a check failed; 2 DANE does not apply;\n"
	"64 usage error; 65 bad input data; 66 input missing or unreadable;\n"
	"70 internal error; 75 could not finish (network), try again later.\n"
	"See danekit(1).\n";

struct command {
	const char *name;
	int (*run)(struct cli *cli, int argc, char **argv);
};

static const struct command commands[] = {
	{ "tlsa", cmd_tlsa },	      { "lookup", cmd_lookup },
	{ "chain", cmd_chain },	      { "check", cmd_check },
	{ "rollover", cmd_rollover }, { "hook", cmd_hook },
	{ "publish", cmd_publish },   { "doctor", cmd_doctor },
	{ "audit", cmd_audit },	      { "scan", cmd_scan },
};

int main(int argc, char **argv)
{
	static const struct option longopts[] = { CLI_GLOBAL_LONGOPTS,
						  { NULL, 0, NULL, 0 } };
	struct cli cli = { .timeout = 10.0, .cmd = NULL };
	int opt;

	signal(SIGPIPE, SIG_IGN);
	mon_prescan(&cli, argc, argv);
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+:qvh", longopts, NULL)) != -1) {
		int r;

		if (opt == 'h') {
			return cli_help(main_help);
		}
		if (opt == OPT_VERSION) {
			return cli_version();
		}
		if (opt == '?') {
			return mon_exit(
				&cli,
				cli_usage(&cli,
					  "unknown option '%s' (see danekit "
					  "--help)",
					  argv[optind - 1]));
		}
		if (opt == ':') {
			return mon_exit(&cli, cli_usage(&cli,
							"option '%s' needs a "
							"value",
							argv[optind - 1]));
		}
		r = cli_global_option(&cli, opt, optarg);
		if (r > 1) {
			return mon_exit(&cli, r);
		}
	}
	if (optind >= argc) {
		return mon_exit(&cli, cli_usage(&cli, "no command given (see "
						      "danekit --help)"));
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[optind], commands[i].name) == 0) {
			int ci = optind;

			cli.cmd = commands[i].name;
			/* The command sees argv[0] = its own name. */
			optind = 0;
			if (mon_command(&cli) != EXIT_OK) {
				return mon_exit(&cli, EXIT_USAGE);
			}
			return mon_exit(&cli, commands[i].run(&cli, argc - ci,
							      argv + ci));
		}
	}
	return mon_exit(&cli, cli_usage(&cli,
					"unknown command '%s' (see danekit "
					"--help)",
					argv[optind]));
}
