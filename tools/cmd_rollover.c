/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * danekit rollover: where is a key rollover (RFC 7671 section 8)? And
 * rollover --prepare-next: the next key, its CSR and its TLSA records.
 *
 * The helpers renew_cli_*() are shared with cmd_hook.c and cmd_publish.c
 * (declared there).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/pem.h>

#include <danekit/dane.h>

#include "cli.h"
#include "json.h"
#include "monitor.h"

static const char rollover_help[] =
	"Usage: danekit [GLOBAL OPTIONS] rollover --host HOST [--port 25]\n"
	"                 --current CERT|KEY --next CERT|KEY [OPTIONS]\n"
	"       danekit rollover --prepare-next --key-out FILE --host HOST\n"
	"                 [--name NAME]... [--csr-out FILE] [--key-type T] "
	"[--force]\n"
	"\n"
	"Say which stage a key rollover is in (RFC 7671 section 8, \"current "
	"+\n"
	"next\"). The TLSA RRset at _PORT._tcp.HOST must be DNSSEC-secure, "
	"and\n"
	"every address of every name server of its zone must serve the same\n"
	"RRset. Stages:\n"
	"  not-secure    the TLSA RRset is not secure: insecure (exit 2) or "
	"bogus\n"
	"                (exit 1); no stage is safe, and it could not be "
	"looked up\n"
	"                (SERVFAIL, time-out) is exit 75\n"
	"  incomplete    an authoritative server could not be asked "
	"(time-out,\n"
	"                refused, SERVFAIL): try again later (exit 75)\n"
	"  next-missing  the next key has no record yet: the records to add "
	"are\n"
	"                printed (exit 1)\n"
	"  propagating   the name servers disagree (a secondary lags) (exit "
	"1)\n"
	"  waiting       both keys are published everywhere, but for less "
	"than\n"
	"                twice the TTL (exit 1)\n"
	"  ready         safe to deploy the next certificate (exit 0)\n"
	"  retire        the next certificate is live; the records of the "
	"current\n"
	"                key can go: they are printed (exit 0)\n"
	"  done          the next certificate is published and live, nothing "
	"of\n"
	"                the current key is left (exit 0)\n"
	"  broken        the chain the service presents matches no record "
	"(exit 1)\n"
	"Usages 3 (DANE-EE) and 2 (DANE-TA) are weighed: the next chain is "
	"covered\n"
	"when any usage 3 or 2 record covers it (a 2 1 1 of the issuer covers "
	"a new\n"
	"key under the same issuer), and its age is that of the oldest such "
	"record.\n"
	"When it is covered by fewer kinds of record than the current chain, "
	"a\n"
	"warning names the record to add. Full records (2 1 0, 2 0 0) cover "
	"every\n"
	"certificate their key signed. Give chain files (fullchain.pem) or "
	"the\n"
	"issuers (--ca, --current-ca); the live service's chain is fetched and "
	"judged\n"
	"too. A CNAME'd owner is checked at its target.\n"
	"\n"
	"Options:\n"
	"      --host HOST         the service host (TLSA owner "
	"_PORT._tcp.HOST)\n"
	"      --port PORT         the service port (default 25)\n"
	"      --current FILE      certificate, chain or key in service now\n"
	"      --next FILE         certificate, chain, CSR or key to deploy "
	"next\n"
	"      --ca FILE           issuer certificate of the next certificate\n"
	"      --current-ca FILE   issuer certificate of the current "
	"certificate\n"
	"      --auth-port PORT    port of the authoritative servers (default "
	"53)\n"
	"      --no-auth-check     do not ask the authoritative servers "
	"directly\n"
	"                          (not with --auth-port)\n"
	"      --state FILE        state file (default "
	"$XDG_STATE_HOME/danekit/\n"
	"                          rollover.state or "
	"~/.local/state/danekit/...);\n"
	"                          only a file danekit wrote (or an empty "
	"one) is used\n"
	"      --min-age SECONDS   minimum age of the next records (default: "
	"twice\n"
	"                          the TTL; the first sight is kept in the "
	"state file)\n"
	"      --connect ADDR[:PORT]  fetch the live certificate there instead "
	"of\n"
	"                          the addresses of HOST ([v6]:port for IPv6)\n"
	"      --starttls smtp|none  exchange before TLS (default smtp for "
	"ports\n"
	"                          25 and 587, else none)\n"
	"      --no-connect        do not fetch the live certificate (not "
	"with\n"
	"                          --connect or --starttls)\n"
	"      --ttl N             TTL of the printed records (default: the "
	"RRset's;\n"
	"                          --prepare-next looks it up, else 3600)\n"
	"      --json              one JSON document\n"
	"  -q, --quiet             only the stage line ('; OWNER: STAGE'); "
	"with\n"
	"                          --prepare-next nothing (the files are "
	"written)\n"
	"  -v, --verbose           also when each record was first seen\n"
	"  -h, --help              this help\n"
	"  --nagios, --prometheus FILE, --unsafe-hours H, --allow-insecure:\n"
	"                          monitoring output (danekit --help)\n"
	"\n"
	"Preparing the next key:\n"
	"      --prepare-next      make the next key and print its TLSA "
	"records\n"
	"      --key-out FILE      where to write the key (mode 0600; an "
	"existing\n"
	"                          file is never replaced without --force;\n"
	"                          only regular files are ever replaced)\n"
	"      --csr-out FILE      also write a CSR for HOST and every --name\n"
	"      --name NAME         another name for the CSR (repeatable)\n"
	"      --key-type T        ec-p256 (default), rsa2048, rsa3072, "
	"ed25519\n"
	"      --force             replace an existing key file\n"
	"\n"
	"Exit status: 0 safe (ready, retire, done) or key made; 1 not safe\n"
	"(next-missing, propagating, waiting, broken, bogus RRset); 2 the "
	"RRset\n"
	"is insecure (DANE does not apply); 64 usage error (also: the key "
	"file\n"
	"exists, an output or state file is not a regular file); 65 bad "
	"input\n"
	"(also: the state file is not danekit's); 66 input missing; 75 a "
	"lookup or\n"
	"a name server failed (incomplete), try again later.\n";

enum {
	OPT_HOST = OPT_FIRST_COMMAND_OPTION,
	OPT_PORT,
	OPT_CURRENT,
	OPT_NEXT,
	OPT_CA,
	OPT_CURRENT_CA,
	OPT_AUTH_PORT,
	OPT_NO_AUTH_CHECK,
	OPT_STATE,
	OPT_MIN_AGE,
	OPT_CONNECT,
	OPT_STARTTLS,
	OPT_NO_CONNECT,
	OPT_TTL,
	OPT_PREPARE,
	OPT_KEY_OUT,
	OPT_CSR_OUT,
	OPT_NAME,
	OPT_KEY_TYPE,
	OPT_FORCE,
};

int renew_cli_stage_exit(const struct dk_rollover_report *rep)
{
	switch (rep->stage) {
	case DK_ROLLOVER_NOT_SECURE:
		return rep->status == DK_DNSSEC_INSECURE ? EXIT_NODANE
		       : rep->status == DK_DNSSEC_BOGUS	 ? EXIT_FAIL
							 : EXIT_TEMPFAIL;
	case DK_ROLLOVER_INCOMPLETE:
		return EXIT_TEMPFAIL;
	case DK_ROLLOVER_READY:
	case DK_ROLLOVER_RETIRE:
	case DK_ROLLOVER_DONE:
		return EXIT_OK;
	default:
		return EXIT_FAIL;
	}
}

static void print_zone_lines(FILE *out, const char *prefix,
			     struct dk_tlsa *const *arr, size_t n,
			     const char *owner, uint32_t ttl)
{
	for (size_t i = 0; i < n; i++) {
		char *line = NULL;

		if (dk_tlsa_format(arr[i], DK_TLSA_FMT_ZONE, owner, ttl,
				   &line) == 0) {
			fprintf(out, "%s%s\n", prefix, line);
		}
		free(line);
	}
}

/*
 * Print one report: text to @out, or (when @jarr is not NULL) a JSON
 * object appended to @jarr. Returns an exit status (0 or 70).
 */
int renew_cli_print_report(const struct cli *cli,
			   const struct dk_rollover_report *rep, FILE *out,
			   json_t *jarr)
{
	uint32_t ttl = rep->add_ttl ? rep->add_ttl : rep->ttl ? rep->ttl : 3600;
	/* records are added and removed where they are: at the target of
	 * an alias */
	const char *at = rep->target ? rep->target : rep->owner;

	if (jarr) {
		json_t *recs = json_array(), *srvs = json_array();
		json_t *add = json_array(), *rem = json_array(), *o;
		json_t *warn = json_array();

		for (size_t i = 0; recs && i < rep->nrecords; i++) {
			const struct dk_rollover_record *r = &rep->records[i];

			json_t *o = cli_json_tlsa(r->tlsa, NULL, 0);

			if (o) {
				json_object_set_new(o, "current",
						    json_boolean(r->current));
				json_object_set_new(o, "next",
						    json_boolean(r->next));
				json_object_set_new(
					o, "first_seen",
					cli_json_time((time_t)r->first_seen));
			}
			json_array_append_new(recs, o);
		}
		for (size_t i = 0; srvs && i < rep->nservers; i++) {
			const struct dk_rollover_server *s = &rep->servers[i];

			json_array_append_new(
				srvs,
				json_pack("{s:s, s:s, s:i, s:s, s:s?, s:s?}",
					  "name", s->name, "address",
					  s->address, "port", (int)s->port,
					  "state",
					  s->state == DK_AUTH_SAME ? "same"
					  : s->state == DK_AUTH_DIFFERENT
						  ? "different"
						  : "unreachable",
					  "why", s->why, "qname", s->qname));
		}
		for (size_t i = 0; add && i < rep->nadd; i++) {
			json_array_append_new(
				add, cli_json_tlsa(rep->add[i], at, ttl));
		}
		for (size_t i = 0; rem && i < rep->nremove; i++) {
			json_array_append_new(
				rem, cli_json_tlsa(rep->remove[i], at, ttl));
		}
		for (size_t i = 0; warn && i < rep->nwarnings; i++) {
			json_array_append_new(warn,
					      json_string(rep->warnings[i]));
		}
		o = json_pack(
			"{s:s, s:s?, s:s?, s:s, s:s?, s:b, "
			"s:{s:s, s:o, s:I, s:o}, s:I, s:I, s:s, s:o, s:o, "
			"s:o, s:o}",
			"owner", rep->owner, "target", rep->target, "zone",
			rep->zone, "verdict",
			dk_rollover_stage_name(rep->stage), "why", rep->why,
			"safe", dk_rollover_stage_safe(rep->stage), "tlsa",
			"dnssec", dk_dnssec_status_name(rep->status), "why",
			cli_json_str(rep->status_why), "ttl",
			(json_int_t)rep->ttl, "records",
			recs ? recs : json_array(), "age", (json_int_t)rep->age,
			"min_age", (json_int_t)rep->min_age, "live",
			dk_rollover_live_name(rep->live), "servers",
			srvs ? srvs : json_array(), "add",
			add ? add : json_array(), "remove",
			rem ? rem : json_array(), "warnings",
			warn ? warn : json_array());
		if (!o || json_array_append_new(jarr, o) != 0) {
			cli_err(cli, "out of memory");
			return EXIT_SOFTWARE;
		}
		return EXIT_OK;
	}
	/* the stage line: with -q, the only one */
	fprintf(out, "; %s: %s\n", rep->owner,
		dk_rollover_stage_name(rep->stage));
	if (cli->verbosity < 0) {
		return EXIT_OK;
	}
	fprintf(out, "; dnssec: %s", dk_dnssec_status_name(rep->status));
	if (rep->status_why) {
		fprintf(out, " (%s)", rep->status_why);
	}
	if (rep->target) {
		fprintf(out, "; alias of %s", rep->target);
	}
	if (rep->zone) {
		fprintf(out, "; zone %s", rep->zone);
	}
	if (rep->ttl) {
		fprintf(out, "; ttl %u", rep->ttl);
	}
	fputc('\n', out);
	for (size_t i = 0; i < rep->nservers; i++) {
		const struct dk_rollover_server *s = &rep->servers[i];
		int alias = s->qname && rep->target &&
			    strcmp(s->qname, rep->target) != 0;

		fprintf(out, "; server %s %s port %u: %s%s%s%s%s%s\n", s->name,
			s->address, s->port,
			s->state == DK_AUTH_SAME
				? (alias ? "same CNAME" : "same RRset")
			: s->state == DK_AUTH_DIFFERENT
				? (alias ? "different CNAME"
					 : "different RRset")
				: "no answer",
			rep->target && s->qname ? " (asked for " : "",
			rep->target && s->qname ? s->qname : "",
			rep->target && s->qname ? ")" : "", s->why ? ": " : "",
			s->why ? s->why : "");
	}
	for (size_t i = 0; i < rep->nrecords; i++) {
		const struct dk_rollover_record *r = &rep->records[i];
		char *rd = NULL;

		if (dk_tlsa_format(r->tlsa, DK_TLSA_FMT_RDATA, NULL, 0, &rd) <
		    0) {
			continue;
		}
		fprintf(out, "; record %s  %s", rd,
			r->current && r->next ? "(current and next)"
			: r->current	      ? "(current)"
			: r->next	      ? "(next)"
					      : "(neither)");
		if (cli->verbosity > 0) {
			/* -v: the age the stage is judged by */
			char seen[40] = "not yet";
			struct tm tm;
			time_t t = r->first_seen;

			if (t && gmtime_r(&t, &tm)) {
				strftime(seen, sizeof(seen),
					 "%Y-%m-%dT%H:%M:%SZ", &tm);
			}
			fprintf(out, ", first seen %s", seen);
		}
		fputc('\n', out);
		free(rd);
	}
	if (rep->live != DK_LIVE_UNKNOWN) {
		fprintf(out, "; live certificate: %s\n",
			dk_rollover_live_name(rep->live));
	}
	if (rep->why) {
		fprintf(out, "; %s\n", rep->why);
	}
	for (size_t i = 0; i < rep->nwarnings; i++) {
		fprintf(out, "; warning: %s\n", rep->warnings[i]);
	}
	if (rep->nwarnings == 0 && (rep->stage == DK_ROLLOVER_NEXT_MISSING ||
				    rep->stage == DK_ROLLOVER_BROKEN)) {
		if (rep->nadd) {
			fprintf(out, "; publish:\n");
		}
		print_zone_lines(out, "", rep->add, rep->nadd, at, ttl);
	} else if (rep->nadd) {
		/* not needed for safety: the warnings say why */
		fprintf(out, "; publish as well:\n");
		print_zone_lines(out, ";   ", rep->add, rep->nadd, at, ttl);
	}
	if (rep->stage == DK_ROLLOVER_RETIRE) {
		fprintf(out, "; remove:\n");
		print_zone_lines(out, "", rep->remove, rep->nremove, at, ttl);
	}
	if (rep->stage == DK_ROLLOVER_READY && rep->nremove) {
		fprintf(out, "; once the next certificate is live, remove:\n");
		print_zone_lines(out, ";   ", rep->remove, rep->nremove, at,
				 ttl);
	}
	return EXIT_OK;
}

struct ro_opts {
	const char *host, *current, *next, *ca, *current_ca, *state;
	const char *connect, *starttls, *key_out, *csr_out;
	const char **names;
	size_t nnames;
	unsigned long port, auth_port, ttl;
	long min_age;
	int no_auth_check, no_connect, prepare, force, key_type, ttl_set;
	int auth_port_set, min_age_set;
};

static const char *file_kind(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFDIR:
		return "a folder";
	case S_IFLNK:
		return "a symbolic link";
	case S_IFCHR:
		return "a character device";
	case S_IFBLK:
		return "a block device";
	case S_IFIFO:
		return "a FIFO";
	case S_IFSOCK:
		return "a socket";
	default:
		return "not a regular file";
	}
}

/* The real folder of @p (links resolved) and its last name, malloc()ed. */
static char *canon_path(const char *p)
{
	const char *slash = strrchr(p, '/'), *base = slash ? slash + 1 : p;
	char *dir, *real, *out = NULL;

	if (!slash) {
		dir = strdup(".");
	} else if (slash == p) {
		dir = strdup("/");
	} else {
		dir = strndup(p, (size_t)(slash - p));
	}
	real = dir ? realpath(dir, NULL) : NULL;
	if (real &&
	    asprintf(&out, "%s/%s", strcmp(real, "/") ? real : "", base) < 0) {
		out = NULL;
	}
	free(real);
	free(dir);
	return out;
}

/* Do @a and @b name the same file, perhaps by other paths? */
static int same_file(const char *a, const char *b)
{
	struct stat sa, sb;
	char *ca, *cb;
	int same;

	if (strcmp(a, b) == 0) {
		return 1;
	}
	if (stat(a, &sa) == 0 && stat(b, &sb) == 0) {
		return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
	}
	ca = canon_path(a);
	cb = canon_path(b);
	same = ca && cb && strcmp(ca, cb) == 0;
	free(ca);
	free(cb);
	return same;
}

/*
 * May @path (the value of @opt) be written? Only a regular file is ever
 * replaced, and a key file only with --force (@must_be_new 0). lstat()
 * only: nothing is opened, so a FIFO never blocks. EXIT_OK or a usage
 * error (printed).
 */
static int check_output(const struct cli *cli, const char *opt,
			const char *path, int must_be_new)
{
	struct stat st;

	if (!*path) {
		return cli_usage(cli, "%s: an empty file name", opt);
	}
	if (lstat(path, &st) != 0) {
		return EXIT_OK;
	}
	if (!S_ISREG(st.st_mode)) {
		return cli_usage(cli,
				 "%s: %s is %s, not a regular file: only "
				 "regular files are ever replaced",
				 opt, path, file_kind(st.st_mode));
	}
	if (must_be_new) {
		return cli_usage(cli,
				 "%s: %s exists; a key file is never "
				 "overwritten (use --force to replace it)",
				 opt, path);
	}
	return EXIT_OK;
}

/*
 * The TTL for the record of the next key: --ttl, else that of the TLSA
 * RRset published at @owner (through the resolver of the global options),
 * else 3600. *@ret_target gets the target when @owner is an alias. @note
 * says where the TTL came from. Only a resolver the user set up and that
 * cannot be made is an error (its exit status); a failed lookup is not.
 */
static int next_ttl(const struct cli *cli, const struct ro_opts *o,
		    const char *owner, uint32_t *ret_ttl, char **ret_target,
		    char *note, size_t nlen)
{
	struct dk_resolver *res = NULL;
	struct dk_diag d = { "" };
	uint32_t ttl = 0;
	int r, rc;

	*ret_ttl = 3600;
	*ret_target = NULL;
	if (o->ttl_set) {
		*ret_ttl = (uint32_t)o->ttl;
		snprintf(note, nlen, "TTL %lu from --ttl", o->ttl);
		return EXIT_OK;
	}
	if (cli->anchor || cli->unbound_conf || cli->resolver) {
		rc = cli_resolver(cli, &res);
		if (rc != EXIT_OK) {
			return rc;
		}
	} else {
		struct dk_resolver_opts ro = { 0 };

		ro.timeout = cli->timeout;
		r = dk_resolver_new(&ro, &res, &d);
		if (r < 0) {
			snprintf(note, nlen,
				 "TTL 3600: the RRset at %s could not be "
				 "looked up (%s)",
				 owner, d.why[0] ? d.why : dk_strerror(r));
			return EXIT_OK;
		}
	}
	r = dk_rollover_owner_ttl(res, owner, &ttl, ret_target, &d);
	dk_resolver_free(res);
	if (r < 0) {
		snprintf(note, nlen,
			 "TTL 3600: the RRset at %s could not be looked up "
			 "(%s)",
			 owner, d.why[0] ? d.why : dk_strerror(r));
	} else if (ttl == 0) {
		snprintf(note, nlen,
			 "TTL 3600: there is no TLSA RRset at %s yet",
			 *ret_target ? *ret_target : owner);
	} else {
		*ret_ttl = ttl;
		snprintf(note, nlen, "TTL %u: that of the TLSA RRset at %s",
			 ttl, *ret_target ? *ret_target : owner);
	}
	return EXIT_OK;
}

static int prepare_next(struct cli *cli, struct ro_opts *o, const char *owner)
{
	struct dk_diag diag = { "" };
	EVP_PKEY *key = NULL;
	X509_REQ *csr = NULL;
	struct dk_tlsa *t = NULL;
	struct dk_input *in = NULL;
	unsigned char *der = NULL;
	char *buf = NULL, *line = NULL, *target = NULL;
	char note[600] = "";
	struct stat st;
	size_t len = 0;
	uint32_t ttl;
	FILE *out;
	int r, n, rc = EXIT_OK, key_is_new;

	/* Every output is checked before anything is made or written. */
	if (o->csr_out && same_file(o->key_out, o->csr_out)) {
		return cli_usage(cli,
				 "--key-out and --csr-out name the same file "
				 "(%s): give two files",
				 o->csr_out);
	}
	rc = check_output(cli, "--key-out", o->key_out, !o->force);
	if (rc == EXIT_OK && o->csr_out) {
		rc = check_output(cli, "--csr-out", o->csr_out, 0);
	}
	if (rc != EXIT_OK) {
		return rc;
	}
	rc = next_ttl(cli, o, owner, &ttl, &target, note, sizeof(note));
	if (rc != EXIT_OK) {
		return rc;
	}
	r = dk_renew_keygen((enum dk_key_type)o->key_type, &key, &diag);
	if (r < 0) {
		cli_err(cli, "%s", diag.why[0] ? diag.why : dk_strerror(r));
		free(target);
		return cli_exit_for(r);
	}
	/* The record comes from the public half, through the tlsa module. */
	n = i2d_PUBKEY(key, &der);
	if (n <= 0 || dk_input_load(der, (size_t)n, &in, &diag) < 0 ||
	    dk_tlsa_make(in, DK_TLSA_DANE_EE, DK_TLSA_SPKI, DK_TLSA_SHA256, -1,
			 &t, &diag) < 0 ||
	    dk_tlsa_format(t, cli->json ? DK_TLSA_FMT_RDATA : DK_TLSA_FMT_ZONE,
			   target ? target : owner, ttl, &line) < 0) {
		cli_err(cli, "cannot make the TLSA record of the new key%s%s",
			diag.why[0] ? ": " : "", diag.why);
		rc = EXIT_SOFTWARE;
		goto out;
	}
	if (o->csr_out) {
		const char **names = calloc(o->nnames + 1, sizeof(*names));

		if (!names) {
			rc = EXIT_SOFTWARE;
			goto out;
		}
		names[0] = o->host;
		for (size_t i = 0; i < o->nnames; i++) {
			names[i + 1] = o->names[i];
		}
		r = dk_renew_csr(key, names, o->nnames + 1, &csr, &diag);
		free(names);
		if (r < 0) {
			cli_err(cli, "%s",
				diag.why[0] ? diag.why : dk_strerror(r));
			rc = cli_exit_for(r);
			goto out;
		}
	}
	/* The key first: it must never be overwritten by accident. */
	key_is_new = lstat(o->key_out, &st) != 0;
	r = dk_renew_write_key(key, o->key_out, o->force, &diag);
	if (r < 0) {
		cli_err(cli, "%s", diag.why[0] ? diag.why : dk_strerror(r));
		rc = cli_exit_for(r);
		goto out;
	}
	if (csr) {
		r = dk_renew_write_csr(csr, o->csr_out, &diag);
		if (r < 0) {
			cli_err(cli, "%s",
				diag.why[0] ? diag.why : dk_strerror(r));
			rc = cli_exit_for(r);
			/* nothing is left behind: a key without its CSR */
			if (key_is_new) {
				unlink(o->key_out);
			}
			goto out;
		}
	}
	out = open_memstream(&buf, &len);
	if (!out) {
		rc = EXIT_SOFTWARE;
		goto out;
	}
	if (cli->json) {
		json_t *doc = cli_json_doc(
			"rollover", EXIT_OK,
			json_pack(
				"{s:s, s:s?, s:s, s:s?, s:s, s:I, s:[o]}",
				"owner", owner, "target", target, "key",
				o->key_out, "csr", o->csr_out, "key_type",
				dk_key_type_name((enum dk_key_type)o->key_type),
				"ttl", (json_int_t)ttl, "publish",
				cli_json_tlsa(t, target ? target : owner,
					      ttl)));

		rc = cli_finish(cli, out, &buf, &len, doc);
		json_decref(doc);
		goto out;
	}
	if (cli->verbosity >= 0) {
		fprintf(out, "; next key (%s) written to %s%s%s\n",
			dk_key_type_name((enum dk_key_type)o->key_type),
			o->key_out, csr ? ", CSR to " : "",
			csr ? o->csr_out : "");
		if (target) {
			fprintf(out,
				"; %s is an alias of %s: the record goes "
				"there\n",
				owner, target);
		}
		fprintf(out, "; %s\n", note);
		fprintf(out,
			"; publish now, next to the current record; deploy "
			"the new certificate only when\n; 'danekit "
			"rollover' says it is safe:\n");
	}
	if (cli->verbosity >= 0) {
		/* -q: nothing but the exit status; the files are written */
		fprintf(out, "%s\n", line);
	}
	rc = cli_finish(cli, out, &buf, &len, NULL);
out:
	free(line);
	free(target);
	OPENSSL_free(der);
	dk_tlsa_free(t);
	dk_input_free(in);
	X509_REQ_free(csr);
	EVP_PKEY_free(key);
	return rc;
}

/*
 * Options that exclude each other: a usage error naming both. --name
 * values are host names (checked here: they go into the CSR).
 */
static int check_conflicts(const struct cli *cli, const struct ro_opts *o)
{
	static const char *const check_only[] = {
		"--connect", "--no-connect", "--starttls",
		"--state",   "--min-age",    "--auth-port",
		"--ca",	     "--current-ca", "--no-auth-check",
	};
	const int given[] = {
		o->connect != NULL, o->no_connect,	   o->starttls != NULL,
		o->state != NULL,   o->min_age_set,	   o->auth_port_set,
		o->ca != NULL,	    o->current_ca != NULL, o->no_auth_check,
	};

	if (o->no_connect && o->connect) {
		return cli_conflict(cli, "--no-connect", "--connect");
	}
	if (o->no_connect && o->starttls) {
		return cli_conflict(cli, "--no-connect", "--starttls");
	}
	if (o->no_auth_check && o->auth_port_set) {
		return cli_conflict(cli, "--no-auth-check", "--auth-port");
	}
	if (o->prepare) {
		for (size_t i = 0; i < sizeof(given) / sizeof(given[0]); i++) {
			if (given[i]) {
				return cli_conflict(cli, "--prepare-next",
						    check_only[i]);
			}
		}
	}
	for (size_t i = 0; i < o->nnames; i++) {
		struct dk_diag d = { "" };

		if (dk_tlsa_check_host(o->names[i], &d) < 0) {
			return cli_usage(cli, "--name '%s': %s", o->names[i],
					 d.why);
		}
	}
	return EXIT_OK;
}

/* "ADDR", "ADDR:PORT", "[V6]:PORT" or "V6". */
static int parse_connect(const char *s, char *addr, size_t alen,
			 unsigned long *port)
{
	const char *c;

	if (s[0] == '[') {
		const char *e = strchr(s, ']');

		if (!e || (size_t)(e - s - 1) >= alen) {
			return -1;
		}
		memcpy(addr, s + 1, (size_t)(e - s - 1));
		addr[e - s - 1] = '\0';
		if (e[1] == ':') {
			return cli_parse_ulong(e + 2, 1, 65535, port);
		}
		return e[1] ? -1 : 0;
	}
	c = strrchr(s, ':');
	if (c && strchr(s, ':') == c) {
		if ((size_t)(c - s) >= alen) {
			return -1;
		}
		memcpy(addr, s, (size_t)(c - s));
		addr[c - s] = '\0';
		return cli_parse_ulong(c + 1, 1, 65535, port);
	}
	if (strlen(s) >= alen) {
		return -1;
	}
	strcpy(addr, s);
	return 0;
}

int cmd_rollover(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_GLOBAL_LONGOPTS,
		{ "host", required_argument, NULL, OPT_HOST },
		{ "port", required_argument, NULL, OPT_PORT },
		{ "current", required_argument, NULL, OPT_CURRENT },
		{ "next", required_argument, NULL, OPT_NEXT },
		{ "ca", required_argument, NULL, OPT_CA },
		{ "current-ca", required_argument, NULL, OPT_CURRENT_CA },
		{ "auth-port", required_argument, NULL, OPT_AUTH_PORT },
		{ "no-auth-check", no_argument, NULL, OPT_NO_AUTH_CHECK },
		{ "state", required_argument, NULL, OPT_STATE },
		{ "min-age", required_argument, NULL, OPT_MIN_AGE },
		{ "connect", required_argument, NULL, OPT_CONNECT },
		{ "starttls", required_argument, NULL, OPT_STARTTLS },
		{ "no-connect", no_argument, NULL, OPT_NO_CONNECT },
		{ "ttl", required_argument, NULL, OPT_TTL },
		{ "prepare-next", no_argument, NULL, OPT_PREPARE },
		{ "key-out", required_argument, NULL, OPT_KEY_OUT },
		{ "csr-out", required_argument, NULL, OPT_CSR_OUT },
		{ "name", required_argument, NULL, OPT_NAME },
		{ "key-type", required_argument, NULL, OPT_KEY_TYPE },
		{ "force", no_argument, NULL, OPT_FORCE },
		{ NULL, 0, NULL, 0 }
	};
	struct ro_opts o = { .port = 25, .min_age = -1 };
	struct dk_input *cur = NULL, *next = NULL, *ca = NULL, *cca = NULL;
	struct dk_resolver *res = NULL;
	struct dk_rollover_opts ro = { 0 };
	struct dk_rollover_report *rep = NULL;
	struct dk_diag diag = { "" };
	char *owner = NULL, *state = NULL, *buf = NULL;
	char caddr[128] = "";
	unsigned long cport = 0, v;
	struct dk_input *live = NULL;
	const char *live_note = NULL;
	char live_why[600] = "";
	size_t len = 0;
	json_t *doc = NULL;
	FILE *out = NULL;
	int opt, r, rc = EXIT_OK;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":qvh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'h':
			free(o.names);
			return cli_help(rollover_help);
		case OPT_VERSION:
			free(o.names);
			return cli_version();
		case '?':
			free(o.names);
			return cli_bad_option(cli, opt, argv);
		case ':':
			free(o.names);
			return cli_bad_option(cli, opt, argv);
		case OPT_HOST:
			o.host = optarg;
			break;
		case OPT_PORT:
			if (cli_parse_ulong(optarg, 1, 65535, &o.port) < 0) {
				free(o.names);
				return cli_usage(cli,
						 "--port: '%s' is not a port "
						 "(1-65535)",
						 optarg);
			}
			break;
		case OPT_AUTH_PORT:
			o.auth_port_set = 1;
			if (cli_parse_ulong(optarg, 1, 65535, &o.auth_port) <
			    0) {
				free(o.names);
				return cli_usage(cli,
						 "--auth-port: '%s' is not a "
						 "port (1-65535)",
						 optarg);
			}
			break;
		case OPT_TTL:
			if (cli_parse_ulong(optarg, 0, 2147483647UL, &o.ttl) <
			    0) {
				free(o.names);
				return cli_usage(cli,
						 "--ttl: '%s' is not a TTL",
						 optarg);
			}
			o.ttl_set = 1;
			break;
		case OPT_MIN_AGE:
			if (cli_parse_ulong(optarg, 0, 315360000UL, &v) < 0) {
				free(o.names);
				return cli_usage(cli,
						 "--min-age: '%s' is not a "
						 "number of seconds",
						 optarg);
			}
			o.min_age = (long)v;
			o.min_age_set = 1;
			break;
		case OPT_CURRENT:
			o.current = optarg;
			break;
		case OPT_NEXT:
			o.next = optarg;
			break;
		case OPT_CA:
			o.ca = optarg;
			break;
		case OPT_CURRENT_CA:
			o.current_ca = optarg;
			break;
		case OPT_NO_AUTH_CHECK:
			o.no_auth_check = 1;
			break;
		case OPT_STATE:
			o.state = optarg;
			break;
		case OPT_CONNECT:
			o.connect = optarg;
			break;
		case OPT_STARTTLS:
			if (strcmp(optarg, "smtp") != 0 &&
			    strcmp(optarg, "none") != 0) {
				free(o.names);
				return cli_usage(cli,
						 "--starttls: '%s' is not smtp "
						 "or none",
						 optarg);
			}
			o.starttls = optarg;
			break;
		case OPT_NO_CONNECT:
			o.no_connect = 1;
			break;
		case OPT_PREPARE:
			o.prepare = 1;
			break;
		case OPT_KEY_OUT:
			o.key_out = optarg;
			break;
		case OPT_CSR_OUT:
			o.csr_out = optarg;
			break;
		case OPT_NAME: {
			const char **n =
				realloc(o.names, (o.nnames + 1) * sizeof(*n));

			if (!n) {
				free(o.names);
				cli_err(cli, "out of memory");
				return EXIT_SOFTWARE;
			}
			n[o.nnames++] = optarg;
			o.names = n;
			break;
		}
		case OPT_KEY_TYPE:
			o.key_type = dk_key_type_parse(optarg);
			if (o.key_type < 0) {
				free(o.names);
				return cli_usage(cli,
						 "--key-type: '%s' is not "
						 "ec-p256, rsa2048, rsa3072 "
						 "or ed25519",
						 optarg);
			}
			break;
		case OPT_FORCE:
			o.force = 1;
			break;
		default:
			r = cli_global_option(cli, opt, optarg);
			if (r > 1) {
				free(o.names);
				return r;
			}
		}
	}
	if (optind < argc) {
		free(o.names);
		return cli_usage(cli,
				 "unexpected argument '%s' (see danekit "
				 "rollover --help)",
				 argv[optind]);
	}
	if (!o.host) {
		free(o.names);
		return cli_usage(cli, "--host is required");
	}
	r = dk_tlsa_owner(o.host, (unsigned)o.port, "tcp", &owner, &diag);
	if (r < 0) {
		free(o.names);
		return cli_usage(cli, "--host: %s",
				 diag.why[0] ? diag.why : dk_strerror(r));
	}
	if ((rc = check_conflicts(cli, &o)) != EXIT_OK ||
	    (rc = mon_ready(cli)) != EXIT_OK) {
		free(owner);
		free(o.names);
		return rc;
	}
	if (o.prepare) {
		if (!o.key_out) {
			rc = cli_usage(cli,
				       "--prepare-next needs --key-out FILE");
		} else if (o.current || o.next) {
			rc = cli_usage(cli,
				       "--prepare-next makes the next key: "
				       "--current and --next do not apply");
		} else if (cli->nagios || cli->prometheus) {
			rc = cli_usage(cli,
				       "--nagios and --prometheus report "
				       "on a rollover, not --prepare-next");
		} else {
			rc = prepare_next(cli, &o, owner);
		}
		free(owner);
		free(o.names);
		return rc;
	}
	if (o.key_out || o.csr_out || o.nnames || o.force) {
		rc = cli_usage(cli,
			       "--key-out, --csr-out, --name and --force go "
			       "with --prepare-next");
		goto out;
	}
	if (!o.next) {
		rc = cli_usage(cli, "--next is required (or --prepare-next)");
		goto out;
	}
	if (!o.current) {
		rc = cli_usage(cli, "--current is required");
		goto out;
	}
	if (o.connect &&
	    parse_connect(o.connect, caddr, sizeof(caddr), &cport) < 0) {
		rc = cli_usage(cli, "--connect: '%s' is not ADDR[:PORT]",
			       o.connect);
		goto out;
	}
	if ((rc = cli_load_input(cli, o.current, &cur)) != EXIT_OK ||
	    (rc = cli_load_input(cli, o.next, &next)) != EXIT_OK ||
	    (o.ca && (rc = cli_load_input(cli, o.ca, &ca)) != EXIT_OK) ||
	    (o.current_ca &&
	     (rc = cli_load_input(cli, o.current_ca, &cca)) != EXIT_OK)) {
		goto out;
	}
	state = o.state ? cli_abspath(o.state)
			: dk_rollover_default_state_file();
	/* a state file that must not be touched: say so before any lookup */
	if (state && (r = dk_rollover_state_check(state, &diag)) < 0) {
		cli_err(cli, "%s%s", o.state ? "--state: " : "",
			diag.why[0] ? diag.why : dk_strerror(r));
		rc = cli_exit_for(r);
		goto out;
	}
	rc = cli_resolver(cli, &res);
	if (rc != EXIT_OK) {
		goto out;
	}
	if (!o.no_connect) {
		int smtp = o.starttls ? strcmp(o.starttls, "smtp") == 0
				      : (o.port == 25 || o.port == 587);

		/* the whole chain: usage 2 records are judged on what the
		 * service really sends */
		r = dk_renew_fetch_chain(res, o.host, o.connect ? caddr : NULL,
					 (unsigned)(cport ? cport : o.port),
					 smtp, cli->timeout, &live, &diag);
		if (r < 0) {
			snprintf(live_why, sizeof(live_why), "%s",
				 diag.why[0] ? diag.why : dk_strerror(r));
			live_note = live_why;
			live = NULL;
		}
		diag.why[0] = '\0';
	}
	ro.current = cur;
	ro.current_ca = cca;
	ro.next = next;
	ro.next_ca = ca;
	ro.live = live ? dk_input_get0_cert(live, 0) : NULL;
	ro.live_chain = live;
	ro.auth_port = (unsigned)o.auth_port;
	ro.no_auth_check = o.no_auth_check;
	ro.min_age = o.min_age;
	ro.state_file = state;
	ro.ttl = (uint32_t)o.ttl;
	r = dk_rollover_check(res, owner, &ro, &rep, &diag);
	if (r < 0) {
		cli_err(cli, "%s", diag.why[0] ? diag.why : dk_strerror(r));
		rc = cli_exit_for(r);
		goto out;
	}
	if (cli->nagios || cli->prometheus) {
		rc = mon_rollover(cli, rep, o.host, (unsigned)o.port, o.next);
		if (cli->nagios || rc != EXIT_OK) {
			goto out;
		}
	}
	out = open_memstream(&buf, &len);
	if (!out) {
		cli_err(cli, "out of memory");
		rc = EXIT_SOFTWARE;
		goto out;
	}
	if (cli->json) {
		json_t *arr = json_array();

		rc = renew_cli_print_report(cli, rep, out, arr);
		doc = json_array_get(arr, 0);
		json_incref(doc);
		json_decref(arr);
		if (doc && live_note) {
			json_object_set_new(doc, "live_why",
					    json_string(live_note));
		}
		doc = cli_json_doc("rollover", renew_cli_stage_exit(rep), doc);
	} else {
		if (!state && cli->verbosity >= 0) {
			fprintf(out,
				"; no state file (set HOME, XDG_STATE_HOME or "
				"--state): the age of records is not kept\n");
		}
		if (live_note && cli->verbosity >= 0) {
			fprintf(out, "; live certificate: unknown (%s)\n",
				live_note);
		}
		rc = renew_cli_print_report(cli, rep, out, NULL);
	}
	if (rc == EXIT_OK) {
		rc = cli_finish(cli, out, &buf, &len, doc);
		out = NULL;
		if (rc == EXIT_OK) {
			rc = renew_cli_stage_exit(rep);
		}
	}
out:
	if (out) {
		fclose(out);
	}
	free(buf);
	json_decref(doc);
	dk_rollover_report_free(rep);
	dk_input_free(live);
	dk_resolver_free(res);
	dk_input_free(cur);
	dk_input_free(next);
	dk_input_free(ca);
	dk_input_free(cca);
	free(state);
	free(owner);
	free(o.names);
	return rc;
}
