/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * danekit hook certbot|acme.sh|dehydrated|lego: the ACME renewal hook.
 * Reload the service only when every configured TLSA name has a secure
 * record, served by every authoritative server for long enough, that
 * matches the renewed certificate (each certificate of a dual RSA/ECDSA
 * set); otherwise say what to publish and change nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include <danekit/dane.h>

#include "cli.h"

static const char hook_help[] =
	"Usage: danekit [GLOBAL OPTIONS] hook CLIENT [OPTIONS] [HOOK ARGS]\n"
	"\n"
	"ACME renewal hook. CLIENT is certbot, acme.sh, dehydrated or lego; "
	"the\n"
	"renewed certificate is found through the client's documented hook\n"
	"interface:\n"
	"  certbot     --deploy-hook: "
	"$RENEWED_LINEAGE/{fullchain,cert,privkey,\n"
	"              chain}.pem, $RENEWED_DOMAINS\n"
	"  acme.sh     --reloadcmd or --renew-hook: $CERT_PATH, "
	"$CERT_KEY_PATH,\n"
	"              $CA_CERT_PATH, $CERT_FULLCHAIN_PATH, $Le_Domain\n"
	"  dehydrated  HOOK arguments: deploy_cert DOMAIN KEYFILE CERTFILE\n"
	"              FULLCHAINFILE CHAINFILE TIMESTAMP (other verbs: exit "
	"0,\n"
	"              nothing done)\n"
	"  lego        v5: $LEGO_HOOK_CERT_PATH, $LEGO_HOOK_CERT_KEY_PATH,\n"
	"              $LEGO_HOOK_ISSUER_CERT_PATH, $LEGO_HOOK_CERT_DOMAINS;\n"
	"              v4: $LEGO_CERT_PATH, $LEGO_CERT_KEY_PATH,\n"
	"              $LEGO_ISSUER_CERT_PATH, $LEGO_CERT_DOMAIN\n"
	"\n"
	"The reload command runs only when every TLSA name has a "
	"DNSSEC-secure\n"
	"record matching the new certificate (and every extra --cert), served "
	"by\n"
	"every authoritative server for at least twice the TTL (--min-age).\n"
	"Otherwise nothing is reloaded, the records to publish are printed "
	"and\n"
	"the exit status is 1.\n"
	"\n"
	"Options:\n"
	"      --tlsa-name NAME    a TLSA owner name to check, e.g.\n"
	"                          _25._tcp.mail.example.com (repeatable)\n"
	"      --reload CMD        command to run (with /bin/sh -c) when safe\n"
	"      --config FILE       read the settings below from FILE\n"
	"      --cert FILE         another certificate of the same service "
	"(the\n"
	"                          RSA one next to the ECDSA one...) "
	"(repeatable)\n"
	"      --auth-port PORT    port of the authoritative servers (default "
	"53)\n"
	"      --no-auth-check     do not ask the authoritative servers "
	"directly\n"
	"      --state FILE        rollover state file (see danekit rollover "
	"--help)\n"
	"      --min-age SECONDS   minimum age of the records (default: 2 x "
	"TTL)\n"
	"      --json              one JSON document\n"
	"  -h, --help              this help\n"
	"\n"
	"Config file: one 'key = value' a line, '#' starts a comment; keys:\n"
	"tlsa-name, reload, cert (repeatable), auth-port, min-age, state,\n"
	"unbound-conf, anchor, resolver. Command-line options add to it "
	"(names,\n"
	"certs) or override it. Example for Postfix:\n"
	"    tlsa-name = _25._tcp.mail.example.com\n"
	"    reload = systemctl reload postfix\n"
	"\n"
	"Exit status: 0 reloaded (or nothing to do); 1 not safe, nothing\n"
	"reloaded (or the reload command failed); 64 usage error; 65 bad\n"
	"certificate or key; 66 a file is missing; 75 a lookup or a name "
	"server\n"
	"failed, try again later.\n";

enum {
	OPT_TLSA_NAME = OPT_FIRST_COMMAND_OPTION,
	OPT_RELOAD,
	OPT_CONFIG,
	OPT_CERT,
	OPT_AUTH_PORT,
	OPT_NO_AUTH_CHECK,
	OPT_STATE,
	OPT_MIN_AGE,
};

struct hook_opts {
	char **names;
	size_t nnames;
	char **certs;
	size_t ncerts;
	char *reload;
	char *state;
	unsigned long auth_port;
	long min_age;
	int no_auth_check;
	/* strings read from the config file, freed at the end */
	char **strs;
	size_t nstrs;
};

static int push_str(char ***arr, size_t *n, char *s)
{
	char **a = realloc(*arr, (*n + 1) * sizeof(*a));

	if (!a) {
		return -1;
	}
	a[(*n)++] = s;
	*arr = a;
	return 0;
}

static char *keep(struct hook_opts *o, const char *s)
{
	char *d = strdup(s);

	if (d && push_str(&o->strs, &o->nstrs, d) < 0) {
		free(d);
		return NULL;
	}
	return d;
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t') {
		s++;
	}
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' ||
			 e[-1] == '\r')) {
		*--e = '\0';
	}
	return s;
}

static int read_config(struct cli *cli, struct hook_opts *o, const char *path)
{
	FILE *f = fopen(path, "re");
	char line[4096];
	unsigned lineno = 0;
	int rc = EXIT_OK;

	if (!f) {
		cli_err(cli, "%s: %s", path, strerror(errno));
		return EXIT_NOINPUT;
	}
	while (rc == EXIT_OK && fgets(line, sizeof(line), f)) {
		char *k, *v, *eq, *s;
		unsigned long n;

		lineno++;
		k = trim(line);
		if (!*k || *k == '#') {
			continue;
		}
		eq = strchr(k, '=');
		if (!eq) {
			cli_err(cli, "%s line %u: expected 'key = value'", path,
				lineno);
			rc = EXIT_DATAERR;
			break;
		}
		*eq = '\0';
		v = trim(eq + 1);
		k = trim(k);
		s = keep(o, v);
		if (!s) {
			rc = EXIT_SOFTWARE;
			break;
		}
		if (strcmp(k, "tlsa-name") == 0) {
			if (push_str(&o->names, &o->nnames, s) < 0) {
				rc = EXIT_SOFTWARE;
			}
		} else if (strcmp(k, "cert") == 0) {
			if (push_str(&o->certs, &o->ncerts, s) < 0) {
				rc = EXIT_SOFTWARE;
			}
		} else if (strcmp(k, "reload") == 0) {
			if (!o->reload) {
				o->reload = s;
			}
		} else if (strcmp(k, "state") == 0) {
			if (!o->state) {
				o->state = s;
			}
		} else if (strcmp(k, "auth-port") == 0) {
			if (cli_parse_ulong(s, 1, 65535, &n) < 0) {
				cli_err(cli,
					"%s line %u: auth-port '%s' is not a "
					"port",
					path, lineno, s);
				rc = EXIT_DATAERR;
			} else if (!o->auth_port) {
				o->auth_port = n;
			}
		} else if (strcmp(k, "min-age") == 0) {
			if (cli_parse_ulong(s, 0, 315360000UL, &n) < 0) {
				cli_err(cli,
					"%s line %u: min-age '%s' is not a "
					"number "
					"of seconds",
					path, lineno, s);
				rc = EXIT_DATAERR;
			} else if (o->min_age < 0) {
				o->min_age = (long)n;
			}
		} else if (strcmp(k, "unbound-conf") == 0) {
			if (!cli->unbound_conf) {
				cli->unbound_conf = s;
			}
		} else if (strcmp(k, "anchor") == 0) {
			if (!cli->anchor) {
				cli->anchor = s;
			}
		} else if (strcmp(k, "resolver") == 0) {
			if (!cli->resolver) {
				cli->resolver = s;
			}
		} else {
			cli_err(cli, "%s line %u: unknown key '%s'", path,
				lineno, k);
			rc = EXIT_DATAERR;
		}
	}
	fclose(f);
	return rc;
}

/* Does the private key file hold the key of @in? 1 yes, 0 no, -1 unknown. */
static int key_matches(const char *keyfile, const struct dk_input *in)
{
	struct dk_input *k = NULL;
	int r;

	if (!keyfile || access(keyfile, R_OK) != 0) {
		return -1;
	}
	if (dk_input_read_file(keyfile, &k, NULL) < 0) {
		return -1;
	}
	{
		EVP_PKEY *a = dk_input_get0_pubkey(k);
		EVP_PKEY *b = dk_input_get0_pubkey(in);

		/* EVP_PKEY_eq(NULL, NULL) is 1 in OpenSSL 3.0. */
		r = a && b ? EVP_PKEY_eq(a, b) == 1 : -1;
	}
	dk_input_free(k);
	return r;
}

static int run_reload(const struct cli *cli, const char *cmd, int cwd_fd)
{
	pid_t pid;
	int st = 0;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		cli_err(cli, "cannot run the reload command: %s",
			strerror(errno));
		return EXIT_SOFTWARE;
	}
	if (pid == 0) {
		/* libunbound may have changed the working directory */
		if (cwd_fd >= 0 && fchdir(cwd_fd) != 0) {
			_exit(127);
		}
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR) {
			cli_err(cli, "waiting for the reload command: %s",
				strerror(errno));
			return EXIT_SOFTWARE;
		}
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		cli_err(cli, "the reload command '%s' failed (%s %d)", cmd,
			WIFEXITED(st) ? "exit status" : "signal",
			WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

static void free_opts(struct hook_opts *o)
{
	for (size_t i = 0; i < o->nstrs; i++) {
		free(o->strs[i]);
	}
	free(o->strs);
	free(o->names);
	free(o->certs);
}

int cmd_hook(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_GLOBAL_LONGOPTS,
		{ "tlsa-name", required_argument, NULL, OPT_TLSA_NAME },
		{ "reload", required_argument, NULL, OPT_RELOAD },
		{ "config", required_argument, NULL, OPT_CONFIG },
		{ "cert", required_argument, NULL, OPT_CERT },
		{ "auth-port", required_argument, NULL, OPT_AUTH_PORT },
		{ "no-auth-check", no_argument, NULL, OPT_NO_AUTH_CHECK },
		{ "state", required_argument, NULL, OPT_STATE },
		{ "min-age", required_argument, NULL, OPT_MIN_AGE },
		{ NULL, 0, NULL, 0 }
	};
	struct hook_opts o = { .min_age = -1 };
	const char *client_name = NULL, *config = NULL;
	struct dk_acme_hook *hook = NULL;
	struct dk_input **ins = NULL, *issuer = NULL;
	char **in_paths = NULL;
	size_t nins = 0;
	struct dk_resolver *res = NULL;
	struct dk_rollover_report **reps = NULL;
	size_t nreps = 0;
	struct dk_diag diag = { "" };
	char *state = NULL, *buf = NULL;
	size_t len = 0;
	FILE *out = NULL;
	json_t *doc = NULL, *jarr = NULL;
	int opt, r, rc = EXIT_OK, client, safe = 1, worst = EXIT_OK;
	int cwd_fd = -1;
	unsigned long v;

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
			free_opts(&o);
			return cli_help(hook_help);
		case '?':
		case ':':
			free_opts(&o);
			return cli_bad_option(cli, opt, argv);
		case OPT_TLSA_NAME:
			if (push_str(&o.names, &o.nnames, optarg) < 0) {
				rc = EXIT_SOFTWARE;
			}
			break;
		case OPT_CERT:
			if (push_str(&o.certs, &o.ncerts, optarg) < 0) {
				rc = EXIT_SOFTWARE;
			}
			break;
		case OPT_RELOAD:
			o.reload = optarg;
			break;
		case OPT_CONFIG:
			config = optarg;
			break;
		case OPT_STATE:
			o.state = optarg;
			break;
		case OPT_NO_AUTH_CHECK:
			o.no_auth_check = 1;
			break;
		case OPT_AUTH_PORT:
			if (cli_parse_ulong(optarg, 1, 65535, &o.auth_port) <
			    0) {
				free_opts(&o);
				return cli_usage(cli,
						 "--auth-port: '%s' is not a "
						 "port (1-65535)",
						 optarg);
			}
			break;
		case OPT_MIN_AGE:
			if (cli_parse_ulong(optarg, 0, 315360000UL, &v) < 0) {
				free_opts(&o);
				return cli_usage(cli,
						 "--min-age: '%s' is not a "
						 "number of seconds",
						 optarg);
			}
			o.min_age = (long)v;
			break;
		default:
			r = cli_global_option(cli, opt, optarg);
			if (r > 1) {
				free_opts(&o);
				return r;
			}
		}
		if (rc != EXIT_OK) {
			free_opts(&o);
			cli_err(cli, "out of memory");
			return rc;
		}
	}
	if (!client_name) {
		free_opts(&o);
		return cli_usage(cli, "no ACME client given (danekit hook "
				      "certbot|acme.sh|dehydrated|lego)");
	}
	client = dk_acme_client_parse(client_name);
	if (client < 0) {
		free_opts(&o);
		return cli_usage(cli,
				 "'%s' is not certbot, acme.sh, dehydrated "
				 "or lego",
				 client_name);
	}
	if (client != DK_ACME_DEHYDRATED && optind < argc) {
		free_opts(&o);
		return cli_usage(cli,
				 "unexpected argument '%s' (only dehydrated "
				 "passes hook arguments)",
				 argv[optind]);
	}
	if (config && (rc = read_config(cli, &o, config)) != EXIT_OK) {
		goto out;
	}
	r = dk_acme_hook_read((enum dk_acme_client)client, argc - optind,
			      argv + optind, NULL, &hook, &diag);
	if (r < 0) {
		cli_err(cli, "%s: %s", client_name,
			diag.why[0] ? diag.why : dk_strerror(r));
		rc = r == DK_EDATA ? EXIT_USAGE : EXIT_SOFTWARE;
		goto out;
	}
	if (!hook->deploy) {
		rc = EXIT_OK; /* a dehydrated verb that is not ours */
		goto out;
	}
	if (o.nnames == 0) {
		rc = cli_usage(cli,
			       "no TLSA name to check: give --tlsa-name "
			       "(e.g. _25._tcp.%s) or tlsa-name in --config",
			       hook->domain ? hook->domain
					    : "mail.example.com");
		goto out;
	}
	/* The renewed certificate (with its chain when there is one), then
	 * the other certificates of the set. */
	{
		const char *main_path =
			hook->fullchain && access(hook->fullchain, F_OK) == 0
				? hook->fullchain
				: hook->cert;

		ins = calloc(o.ncerts + 1, sizeof(*ins));
		in_paths = calloc(o.ncerts + 1, sizeof(*in_paths));
		if (!ins || !in_paths) {
			cli_err(cli, "out of memory");
			rc = EXIT_SOFTWARE;
			goto out;
		}
		rc = cli_load_input(cli, main_path, &ins[0]);
		if (rc != EXIT_OK) {
			goto out;
		}
		in_paths[0] = (char *)main_path;
		nins = 1;
		if (dk_input_kind(ins[0]) != DK_INPUT_CERTS) {
			cli_err(cli, "%s: a %s, not a certificate", main_path,
				dk_input_kind_name(dk_input_kind(ins[0])));
			rc = EXIT_DATAERR;
			goto out;
		}
		if (key_matches(hook->key, ins[0]) == 0) {
			cli_err(cli, "%s does not hold the key of %s",
				hook->key, main_path);
			rc = EXIT_DATAERR;
			goto out;
		}
		if (hook->chain && access(hook->chain, R_OK) == 0 &&
		    dk_input_read_file(hook->chain, &issuer, NULL) < 0) {
			issuer = NULL;
		}
		for (size_t i = 0; i < o.ncerts; i++) {
			rc = cli_load_input(cli, o.certs[i], &ins[nins]);
			if (rc != EXIT_OK) {
				goto out;
			}
			in_paths[nins++] = o.certs[i];
		}
	}
	state = o.state ? cli_abspath(o.state)
			: dk_rollover_default_state_file();
	cwd_fd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	rc = cli_resolver(cli, &res);
	if (rc != EXIT_OK) {
		goto out;
	}
	reps = calloc(o.nnames * nins, sizeof(*reps));
	if (!reps) {
		cli_err(cli, "out of memory");
		rc = EXIT_SOFTWARE;
		goto out;
	}
	for (size_t n = 0; n < o.nnames; n++) {
		for (size_t i = 0; i < nins; i++) {
			struct dk_rollover_opts ro = { 0 };

			ro.next = ins[i];
			ro.next_ca = i == 0 ? issuer : NULL;
			ro.auth_port = (unsigned)o.auth_port;
			ro.no_auth_check = o.no_auth_check;
			ro.min_age = o.min_age;
			ro.state_file = state;
			diag.why[0] = '\0';
			r = dk_rollover_check(res, o.names[n], &ro,
					      &reps[nreps], &diag);
			if (r < 0) {
				cli_err(cli, "%s: %s", o.names[n],
					diag.why[0] ? diag.why
						    : dk_strerror(r));
				rc = r == DK_EINVAL ? EXIT_USAGE
						    : cli_exit_for(r);
				goto out;
			}
			if (!dk_rollover_stage_safe(reps[nreps]->stage)) {
				int e = renew_cli_stage_exit(reps[nreps]);

				safe = 0;
				if (e == EXIT_TEMPFAIL || worst == EXIT_OK) {
					worst = e == EXIT_TEMPFAIL ? e
								   : EXIT_FAIL;
				}
			}
			nreps++;
		}
	}
	out = open_memstream(&buf, &len);
	if (!out) {
		cli_err(cli, "out of memory");
		rc = EXIT_SOFTWARE;
		goto out;
	}
	if (cli->json) {
		jarr = json_array();
	}
	for (size_t i = 0; i < nreps; i++) {
		if (!cli->json && cli->verbosity >= 0) {
			fprintf(out, "; certificate %s\n", in_paths[i % nins]);
		}
		rc = renew_cli_print_report(cli, reps[i], out, jarr);
		if (rc != EXIT_OK) {
			goto out;
		}
	}
	if (cli->json) {
		doc = json_pack(
			"{s:s, s:s?, s:b, s:b, s:o}", "client",
			dk_acme_client_name((enum dk_acme_client)client),
			"domain", hook->domain, "safe", safe, "reloaded",
			safe && o.reload, "checks", jarr);
		jarr = NULL;
	} else if (cli->verbosity >= 0) {
		fprintf(out, "; %s\n",
			safe ? (o.reload ? "safe: reloading"
					 : "safe (no reload command)")
			     : "not safe: nothing reloaded");
	}
	rc = cli_finish(cli, out, &buf, &len, doc);
	out = NULL;
	if (rc != EXIT_OK) {
		goto out;
	}
	if (!safe) {
		for (size_t i = 0; i < nreps; i++) {
			const struct dk_rollover_report *rep = reps[i];
			char *line = NULL;

			if (dk_rollover_stage_safe(rep->stage)) {
				continue;
			}
			if (rep->nadd) {
				dk_tlsa_format(rep->add[0], DK_TLSA_FMT_ZONE,
					       rep->owner,
					       rep->ttl ? rep->ttl : 3600,
					       &line);
			}
			cli_err(cli, "%s: %s: %s%s%s; nothing reloaded",
				in_paths[i % nins],
				dk_rollover_stage_name(rep->stage),
				rep->why ? rep->why : "not safe",
				line ? "; publish " : "", line ? line : "");
			free(line);
		}
		rc = worst;
		goto out;
	}
	if (o.reload) {
		rc = run_reload(cli, o.reload, cwd_fd);
	}
out:
	if (out) {
		fclose(out);
	}
	free(buf);
	json_decref(doc);
	json_decref(jarr);
	for (size_t i = 0; i < nreps; i++) {
		dk_rollover_report_free(reps[i]);
	}
	free(reps);
	for (size_t i = 0; i < nins; i++) {
		dk_input_free(ins[i]);
	}
	free(ins);
	free(in_paths);
	dk_input_free(issuer);
	dk_resolver_free(res);
	dk_acme_hook_free(hook);
	free(state);
	if (cwd_fd >= 0) {
		close(cwd_fd);
	}
	free_opts(&o);
	return rc;
}
