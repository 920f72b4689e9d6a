/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * danekit hook certbot|acme.sh|dehydrated|lego: the ACME renewal hook, and
 * danekit hook resume: the timer that finishes staged renewals. The
 * policy (staging, installing, publishing, retiring) is the library's
 * (dk_hook_deploy(), dk_hook_resume()); this file reads the options and
 * prints the outcome.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include <danekit/dane.h>

#include "cli.h"
#include "json.h"

static const char hook_help[] =
	"Usage: danekit [GLOBAL OPTIONS] hook CLIENT --config FILE [OPTIONS] "
	"[HOOK ARGS]\n"
	"       danekit [GLOBAL OPTIONS] hook resume --config FILE "
	"[OPTIONS]\n"
	"\n"
	"Staged deployment of renewed certificates. The service reads its "
	"chain\n"
	"and key from a deploy location that only danekit writes "
	"(deploy-*\n"
	"settings); the ACME client keeps its own files.\n"
	"\n"
	"hook CLIENT (certbot, acme.sh, dehydrated or lego) runs as the\n"
	"client's hook. It reads the renewed chain and key, publishes their\n"
	"records when a publisher is set (tsig-key, or publish-via pdns-api\n"
	"or exec), and installs the pair (atomically) and reloads the service\n"
	"only when every TLSA name has a DNSSEC-secure record for it, served\n"
	"by every authoritative server for at least twice the TTL. Otherwise\n"
	"the pair is staged in the state folder and the hook exits 0, saying\n"
	"what it waits for and from when it expects to deploy. A newer\n"
	"renewal replaces a staged one.\n"
	"  certbot     --deploy-hook: "
	"$RENEWED_LINEAGE/{fullchain,privkey}.pem\n"
	"  acme.sh     --reloadcmd: $CERT_FULLCHAIN_PATH, $CERT_KEY_PATH "
	"(and\n"
	"              $CERT_KEY_PATH.next, the next key, when there is one)\n"
	"  dehydrated  HOOK arguments: deploy_cert DOMAIN KEYFILE CERTFILE\n"
	"              FULLCHAINFILE CHAINFILE TIMESTAMP (privkey.roll.pem "
	"next\n"
	"              to KEYFILE is the next key); other verbs: nothing done\n"
	"  lego        --run-hook / --renew-hook: $LEGO_CERT_PATH, "
	"$LEGO_CERT_KEY_PATH\n"
	"              (v4), $LEGO_HOOK_CERT_PATH... (v5)\n"
	"\n"
	"hook resume (from a timer: contrib/) installs every staged pair "
	"whose\n"
	"records have become safe, retries publishing and a failed reload, "
	"and\n"
	"once the new chain has been live for twice the TTL removes the old\n"
	"key's records (or prints them when no publisher is set).\n"
	"\n"
	"Options (each is also a config file key, without the dashes):\n"
	"      --config FILE         the service's settings, 'key = value' "
	"lines\n"
	"      --tlsa-name NAME      a TLSA owner name to keep covered "
	"(repeatable):\n"
	"                            _PORT._PROTO.HOST, e.g. "
	"_25._tcp.mail.example.com\n"
	"      --dane-ta             also a 2 1 1 record of the issuing CA\n"
	"      --deploy-fullchain F  the deploy location: chain (leaf + "
	"intermediates)\n"
	"      --deploy-key F        ... private key (mode key-mode, default "
	"0600)\n"
	"      --deploy-cert F       ... leaf only; --deploy-chain F: "
	"intermediates\n"
	"      --deploy-combined F   ... key then chain in one file (Postfix\n"
	"                            smtpd_tls_chain_files): replaced in one "
	"step\n"
	"      --owner USER[:GROUP]  owner of the deployed files; --key-mode, "
	"--cert-mode\n"
	"      --reload CMD          run with /bin/sh -c after installing\n"
	"      --state-dir DIR       staged pair and state (default\n"
	"                            /var/lib/danekit/NAME for root, else\n"
	"                            ~/.local/state/danekit/NAME; NAME: the "
	"config\n"
	"                            file's name without .conf)\n"
	"      --publish-via P       the publisher: rfc2136 (default), "
	"pdns-api "
	"or exec\n"
	"      --tsig-key FILE       rfc2136: DNS UPDATE signed with this key\n"
	"      --api-url URL         pdns-api: http[s]://HOST[:PORT] of the "
	"PowerDNS\n"
	"                            API; --api-key-file FILE: its key\n"
	"      --publish-exec CMD    exec: run with /bin/sh -c, the changes as "
	"JSON\n"
	"                            on stdin (see danekit publish --help)\n"
	"      --server ADDR[@PORT]  UPDATE server (default: the SOA MNAME); "
	"--zone\n"
	"      --ttl SECONDS         TTL of published records (default: the "
	"RRset's)\n"
	"      --next-key FILE       a key prepared for the next renewal: its "
	"record\n"
	"                            is published ahead; also the key of a "
	"CSR-mode\n"
	"                            certificate (repeatable)\n"
	"      --cert FILE           another certificate of the service (RSA "
	"next\n"
	"                            to ECDSA) that must stay covered "
	"(repeatable)\n"
	"      --live-address ADDR   before old records go, the service there "
	"must\n"
	"                            present the new key\n"
	"      --auth-port PORT      port of the authoritative servers "
	"(default "
	"53)\n"
	"      --no-auth-check       do not ask the authoritative servers "
	"directly\n"
	"                            (not with --auth-port)\n"
	"      --min-age SECONDS     minimum age of records (default: 2 x "
	"TTL)\n"
	"      --state FILE          rollover state file (default: in the "
	"state folder)\n"
	"      --json                one JSON document (the reload command's "
	"output\n"
	"                            goes to stderr)\n"
	"  -q, --quiet               print nothing: the exit status tells, "
	"and a\n"
	"                            failure is one line on stderr (cron)\n"
	"  -v, --verbose             also the rollover check of every TLSA "
	"name\n"
	"  -h, --help                this help\n"
	"Config keys unbound-conf, anchor and resolver set the global "
	"options.\n"
	"\n"
	"Exit status: 0 deployed, staged (waiting), or nothing to do; 1 not\n"
	"deployed and a person must act (bogus records, publishing refused,\n"
	"the deploy location not writable, the reload failed); 2 the TLSA\n"
	"records are insecure (never deployed); 64 usage error; 65 bad\n"
	"certificate, key or config line, or the client handed over too "
	"little;\n"
	"66 a file is missing; 75 (resume) a lookup or server could not be\n"
	"reached, try again later.\n";

/* Every config key is also a long option. */
static const struct {
	const char *key;
	int has_arg;
} conf_opts[] = {
	{ "tlsa-name", required_argument },
	{ "dane-ta", no_argument },
	{ "cert", required_argument },
	{ "next-key", required_argument },
	{ "deploy-fullchain", required_argument },
	{ "deploy-cert", required_argument },
	{ "deploy-chain", required_argument },
	{ "deploy-key", required_argument },
	{ "deploy-combined", required_argument },
	{ "owner", required_argument },
	{ "key-mode", required_argument },
	{ "cert-mode", required_argument },
	{ "reload", required_argument },
	{ "state-dir", required_argument },
	{ "state", required_argument },
	{ "auth-port", required_argument },
	{ "no-auth-check", no_argument },
	{ "min-age", required_argument },
	{ "publish-via", required_argument },
	{ "tsig-key", required_argument },
	{ "api-url", required_argument },
	{ "api-key-file", required_argument },
	{ "publish-exec", required_argument },
	{ "server", required_argument },
	{ "zone", required_argument },
	{ "ttl", required_argument },
	{ "live-address", required_argument },
};

#define NCONF (sizeof(conf_opts) / sizeof(conf_opts[0]))

enum {
	OPT_CONFIG = OPT_FIRST_COMMAND_OPTION,
	OPT_CONF_BASE, /* OPT_CONF_BASE + i: conf_opts[i] */
};

struct setting {
	const char *key;
	const char *value;
};

static json_t *str_array(char **a, size_t n)
{
	json_t *j = json_array();

	for (size_t i = 0; j && i < n; i++) {
		json_array_append_new(j, json_string(a[i]));
	}
	return j ? j : json_null();
}

/* Record lines as record objects. */
static json_t *rec_array(char **a, size_t n)
{
	json_t *j = json_array();

	for (size_t i = 0; j && i < n; i++) {
		json_array_append_new(j, cli_json_rr_line(a[i]));
	}
	return j ? j : json_null();
}

static int result_exit(const struct dk_hook_result *res, int resume)
{
	switch (res->action) {
	case DK_HOOK_FAILED:
		return res->dnssec == DK_DNSSEC_INSECURE ? EXIT_NODANE
							 : EXIT_FAIL;
	case DK_HOOK_STAGED:
	case DK_HOOK_NOTHING:
	case DK_HOOK_DEPLOYED:
	case DK_HOOK_ALREADY:
		return resume && res->tempfail ? EXIT_TEMPFAIL : EXIT_OK;
	}
	return EXIT_SOFTWARE;
}

static void print_list(FILE *out, const char *label, char **a, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		fprintf(out, "%s %s\n", label, a[i]);
	}
}

static int print_result(const struct cli *cli, const char *client,
			const struct dk_hook_result *res, int rc)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	json_t *doc = NULL;
	char when[40];
	int r = EXIT_OK;

	if (!out) {
		cli_err(cli, "out of memory");
		return EXIT_SOFTWARE;
	}
	if (cli->json) {
		json_t *checks = json_array();

		for (size_t i = 0; checks && i < res->nreports && r == EXIT_OK;
		     i++) {
			r = renew_cli_print_report(cli, res->reports[i], out,
						   checks);
		}
		doc = json_pack(
			"{s:s, s:s, s:s?, s:s?, s:s, s:o, "
			"s:o, s:b, s:b, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
			"client", client, "verdict",
			dk_hook_action_name(res->action), "why", res->why,
			"fingerprint", res->fingerprint, "dnssec",
			dk_dnssec_status_name(res->dnssec), "staged_at",
			cli_json_time(res->staged_at), "deploy_from",
			cli_json_time(res->deploy_from), "reloaded",
			res->reloaded, "tempfail", res->tempfail, "published",
			rec_array(res->published, res->npublished), "pending",
			rec_array(res->pending, res->npending), "retired",
			rec_array(res->retired, res->nretired), "to_retire",
			rec_array(res->to_retire, res->nto_retire),
			"retire_from", cli_json_time(res->retire_from), "notes",
			str_array(res->notes, res->nnotes), "checks",
			checks ? checks : json_array());
		doc = cli_json_doc("hook", rc, doc);
		if (!doc) {
			r = EXIT_SOFTWARE;
		}
	} else {
		if (cli->verbosity > 0) {
			for (size_t i = 0; i < res->nreports && r == EXIT_OK;
			     i++) {
				r = renew_cli_print_report(cli, res->reports[i],
							   out, NULL);
			}
		}
		if (cli->verbosity >= 0) {
			print_list(out, "published", res->published,
				   res->npublished);
			print_list(out, "publish", res->pending, res->npending);
			print_list(out, "removed", res->retired, res->nretired);
			print_list(out, "remove", res->to_retire,
				   res->nto_retire);
			if (res->retire_from && !res->nto_retire) {
				struct tm tm;

				if (gmtime_r(&res->retire_from, &tm) &&
				    strftime(when, sizeof(when),
					     "%Y-%m-%dT%H:%M:%SZ", &tm)) {
					fprintf(out,
						"; old records go from %s\n",
						when);
				}
			}
			for (size_t i = 0; i < res->nnotes; i++) {
				fprintf(out, "; %s\n", res->notes[i]);
			}
		}
		/* -q: nothing (a cron line mails only what goes wrong, on
		 * stderr); else the outcome line */
		if (cli->verbosity >= 0) {
			fprintf(out, "%s: %s\n",
				dk_hook_action_name(res->action),
				res->why ? res->why : "");
		}
	}
	if (r != EXIT_OK) {
		fclose(out);
		free(buf);
		json_decref(doc);
		cli_err(cli, "out of memory");
		return r;
	}
	r = cli_finish(cli, out, &buf, &len, doc);
	json_decref(doc);
	return r;
}

int cmd_hook(struct cli *cli, int argc, char **argv)
{
	struct option longopts[NCONF + 16] = { CLI_GLOBAL_LONGOPTS };
	struct setting *sets = NULL;
	size_t nsets = 0, nl = 0;
	const char *client_name = NULL, *config = NULL;
	struct dk_hook_conf *conf = NULL;
	struct dk_acme_hook *hook = NULL;
	struct dk_hook_result *res = NULL;
	struct dk_resolver *res_ctx = NULL;
	struct dk_diag diag = { "" };
	int opt, r, rc = EXIT_OK, client = -1, resume = 0;

	while (longopts[nl].name) {
		nl++;
	}
	longopts[nl++] = (struct option){ "config", required_argument, NULL,
					  OPT_CONFIG };
	for (size_t i = 0; i < NCONF; i++) {
		longopts[nl++] =
			(struct option){ conf_opts[i].key, conf_opts[i].has_arg,
					 NULL, OPT_CONF_BASE + (int)i };
	}
	longopts[nl] = (struct option){ NULL, 0, NULL, 0 };
	sets = calloc((size_t)argc + 1, sizeof(*sets));
	if (!sets) {
		cli_err(cli, "out of memory");
		return EXIT_SOFTWARE;
	}
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+:qvh", longopts, NULL)) != -1 ||
	       (!client_name && optind < argc &&
		strcmp(argv[optind - 1], "--") != 0)) {
		if (opt == -1) {
			/* the first word is the client; options may follow */
			client_name = argv[optind++];
			continue;
		}
		switch (opt) {
		case 'h':
			free(sets);
			return cli_help(hook_help);
		case OPT_VERSION:
			free(sets);
			return cli_version();
		case '?':
		case ':':
			free(sets);
			return cli_bad_option(cli, opt, argv);
		case OPT_CONFIG:
			config = optarg;
			break;
		default:
			if (opt >= OPT_CONF_BASE &&
			    opt < OPT_CONF_BASE + (int)NCONF) {
				sets[nsets].key =
					conf_opts[opt - OPT_CONF_BASE].key;
				sets[nsets].value = optarg ? optarg : "yes";
				nsets++;
				break;
			}
			r = cli_global_option(cli, opt, optarg);
			if (r > 1) {
				free(sets);
				return r;
			}
		}
	}
	if (!client_name) {
		free(sets);
		return cli_usage(cli,
				 "no ACME client given (danekit hook "
				 "certbot|acme.sh|dehydrated|lego|resume)");
	}
	if (strcmp(client_name, "resume") == 0) {
		resume = 1;
	} else {
		client = dk_acme_client_parse(client_name);
		if (client < 0) {
			free(sets);
			return cli_usage(cli,
					 "'%s' is not certbot, acme.sh, "
					 "dehydrated, lego or resume",
					 client_name);
		}
	}
	if (client != DK_ACME_DEHYDRATED && optind < argc) {
		free(sets);
		return cli_usage(cli,
				 "unexpected argument '%s' (only dehydrated "
				 "passes hook arguments)",
				 argv[optind]);
	}
	if (dk_hook_conf_new(&conf) < 0) {
		free(sets);
		cli_err(cli, "out of memory");
		return EXIT_SOFTWARE;
	}
	/* the config file first; the options add to it or override it */
	if (config) {
		r = dk_hook_conf_read(conf, config, &diag);
		if (r < 0) {
			cli_err(cli, "%s: %s", config,
				diag.why[0] ? diag.why : dk_strerror(r));
			rc = cli_exit_for(r);
			goto out;
		}
	}
	for (size_t i = 0; i < nsets; i++) {
		diag.why[0] = '\0';
		r = dk_hook_conf_set(conf, sets[i].key, sets[i].value, &diag);
		if (r < 0) {
			cli_err(cli, "--%s",
				diag.why[0] ? diag.why : dk_strerror(r));
			rc = cli_exit_for(r);
			goto out;
		}
	}
	diag.why[0] = '\0';
	r = dk_hook_conf_finish(conf, &diag);
	if (r < 0) {
		cli_err(cli, "%s%s%s", diag.why[0] ? diag.why : dk_strerror(r),
			config ? " in " : "", config ? config : "");
		rc = cli_exit_for(r);
		goto out;
	}
	if (!resume) {
		diag.why[0] = '\0';
		r = dk_acme_hook_read((enum dk_acme_client)client,
				      argc - optind, argv + optind, NULL, &hook,
				      &diag);
		if (r < 0) {
			cli_err(cli, "%s: %s", client_name,
				diag.why[0] ? diag.why : dk_strerror(r));
			rc = cli_exit_for(r);
			goto out;
		}
		if (!hook->deploy) {
			goto out; /* a dehydrated verb that is not ours */
		}
	}
	if (!cli->unbound_conf) {
		cli->unbound_conf = conf->unbound_conf;
	}
	if (!cli->anchor) {
		cli->anchor = conf->anchor;
	}
	if (!cli->resolver) {
		cli->resolver = conf->resolver;
	}
	rc = cli_resolver(cli, &res_ctx);
	if (rc != EXIT_OK) {
		goto out;
	}
	diag.why[0] = '\0';
	r = resume ? dk_hook_resume(res_ctx, conf, &res, &diag)
		   : dk_hook_deploy(res_ctx, conf, hook, &res, &diag);
	if (r < 0) {
		cli_err(cli, "%s", diag.why[0] ? diag.why : dk_strerror(r));
		rc = cli_exit_for(r);
		goto out;
	}
	rc = result_exit(res, resume);
	r = print_result(cli, client_name, res, rc);
	if (r != EXIT_OK) {
		rc = r;
	} else if (rc != EXIT_OK && res->why) {
		cli_err(cli, "%s", res->why);
	}
out:
	dk_hook_result_free(res);
	dk_resolver_free(res_ctx);
	dk_acme_hook_free(hook);
	dk_hook_conf_free(conf);
	free(sets);
	return rc;
}
