/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The hook interfaces of ACME clients, as each documents it:
 *  - certbot --deploy-hook: RENEWED_LINEAGE (the live/NAME folder with
 *    cert.pem, chain.pem, fullchain.pem, privkey.pem) and RENEWED_DOMAINS
 *    (space-separated);
 *  - acme.sh --reloadcmd / --renew-hook: CERT_PATH, CERT_KEY_PATH,
 *    CA_CERT_PATH, CERT_FULLCHAIN_PATH, Le_Domain;
 *  - dehydrated HOOK: "deploy_cert DOMAIN KEYFILE CERTFILE FULLCHAINFILE
 *    CHAINFILE TIMESTAMP"; every other verb is for someone else;
 *  - lego: v5 LEGO_HOOK_CERT_PATH, LEGO_HOOK_CERT_KEY_PATH,
 *    LEGO_HOOK_ISSUER_CERT_PATH, LEGO_HOOK_CERT_DOMAINS; v4 LEGO_CERT_PATH,
 *    LEGO_CERT_KEY_PATH, LEGO_ISSUER_CERT_PATH, LEGO_CERT_DOMAIN.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dane/renew/internal.h"

int dk_acme_client_parse(const char *name)
{
	if (!name) {
		return DK_EINVAL;
	}
	if (strcasecmp(name, "certbot") == 0) {
		return DK_ACME_CERTBOT;
	}
	if (strcasecmp(name, "acme.sh") == 0 ||
	    strcasecmp(name, "acmesh") == 0) {
		return DK_ACME_ACMESH;
	}
	if (strcasecmp(name, "dehydrated") == 0) {
		return DK_ACME_DEHYDRATED;
	}
	if (strcasecmp(name, "lego") == 0) {
		return DK_ACME_LEGO;
	}
	return DK_EINVAL;
}

const char *dk_acme_client_name(enum dk_acme_client client)
{
	switch (client) {
	case DK_ACME_CERTBOT:
		return "certbot";
	case DK_ACME_ACMESH:
		return "acme.sh";
	case DK_ACME_DEHYDRATED:
		return "dehydrated";
	case DK_ACME_LEGO:
		return "lego";
	}
	return NULL;
}

void dk_acme_hook_free(struct dk_acme_hook *h)
{
	if (!h) {
		return;
	}
	free(h->verb);
	free(h->domain);
	for (size_t i = 0; i < h->ndomains; i++) {
		free(h->domains[i]);
	}
	free(h->domains);
	free(h->cert);
	free(h->key);
	free(h->fullchain);
	free(h->chain);
	free(h->next_key);
	free(h);
}

static const char *plain_getenv(const char *name)
{
	return getenv(name);
}

/* An environment value, NULL when unset or empty. */
static const char *env(const char *(*ge)(const char *), const char *name)
{
	const char *v = ge(name);

	return v && *v ? v : NULL;
}

static int dup_to(char **dst, const char *src)
{
	if (!src) {
		return 0;
	}
	*dst = strdup(src);
	return *dst ? 0 : DK_ENOMEM;
}

static int path_in(char **dst, const char *dir, const char *file)
{
	if (asprintf(dst, "%s/%s", dir, file) < 0) {
		*dst = NULL;
		return DK_ENOMEM;
	}
	return 0;
}

/* @path with @suffix appended; NULL @path: nothing. */
static int with_suffix(char **dst, const char *path, const char *suffix)
{
	if (!path) {
		return 0;
	}
	if (asprintf(dst, "%s%s", path, suffix) < 0) {
		*dst = NULL;
		return DK_ENOMEM;
	}
	return 0;
}

/* The file @file in the folder of @path; NULL @path: nothing. */
static int beside(char **dst, const char *path, const char *file)
{
	const char *slash;

	if (!path) {
		return 0;
	}
	slash = strrchr(path, '/');
	if (asprintf(dst, "%.*s%s", slash ? (int)(slash - path + 1) : 0, path,
		     file) < 0) {
		*dst = NULL;
		return DK_ENOMEM;
	}
	return 0;
}

/* Split @list at spaces and commas into h->domains. */
static int split_domains(struct dk_acme_hook *h, const char *list)
{
	const char *p = list;

	while (p && *p) {
		size_t n;
		char *d;

		p += strspn(p, " ,\t\n");
		n = strcspn(p, " ,\t\n");
		if (!n) {
			break;
		}
		d = strndup(p, n);
		if (!d ||
		    dkr_push((void ***)&h->domains, &h->ndomains, d) < 0) {
			free(d);
			return DK_ENOMEM;
		}
		p += n;
	}
	if (!h->domain && h->ndomains) {
		return dup_to(&h->domain, h->domains[0]);
	}
	return 0;
}

int dk_acme_hook_read(enum dk_acme_client client, int argc, char *const *argv,
		      const char *(*getenv_fn)(const char *),
		      struct dk_acme_hook **ret_hook, struct dk_diag *diag)
{
	const char *(*ge)(const char *) = getenv_fn ? getenv_fn : plain_getenv;
	struct dk_acme_hook *h;
	const char *v;
	int r = 0;

	if (!ret_hook || argc < 0 || (argc > 0 && !argv)) {
		return DK_EINVAL;
	}
	h = calloc(1, sizeof(*h));
	if (!h) {
		return DK_ENOMEM;
	}
	h->client = client;
	h->deploy = 1;
	switch (client) {
	case DK_ACME_CERTBOT:
		v = env(ge, "RENEWED_LINEAGE");
		if (!v) {
			dki_diagf(diag,
				  "RENEWED_LINEAGE is not set: run this as "
				  "certbot's --deploy-hook");
			r = DK_EDATA;
			break;
		}
		if ((r = path_in(&h->cert, v, "cert.pem")) < 0 ||
		    (r = path_in(&h->key, v, "privkey.pem")) < 0 ||
		    (r = path_in(&h->fullchain, v, "fullchain.pem")) < 0 ||
		    (r = path_in(&h->chain, v, "chain.pem")) < 0) {
			break;
		}
		r = split_domains(h, env(ge, "RENEWED_DOMAINS"));
		break;
	case DK_ACME_ACMESH:
		v = env(ge, "CERT_PATH");
		if (!v) {
			dki_diagf(diag,
				  "CERT_PATH is not set: run this as acme.sh's "
				  "--reloadcmd or --renew-hook");
			r = DK_EDATA;
			break;
		}
		if ((r = dup_to(&h->cert, v)) < 0 ||
		    (r = dup_to(&h->key, env(ge, "CERT_KEY_PATH"))) < 0 ||
		    (r = dup_to(&h->fullchain,
				env(ge, "CERT_FULLCHAIN_PATH"))) < 0 ||
		    (r = dup_to(&h->chain, env(ge, "CA_CERT_PATH"))) < 0) {
			break;
		}
		/* --always-force-new-domain-key makes the next key ahead,
		 * as KEY.next; acme.sh 3.1 names it in Le_Next_Domain_Key
		 * (set even when the feature is off: the file is missing) */
		if ((r = dup_to(&h->next_key, env(ge, "Le_Next_Domain_Key"))) <
			    0 ||
		    (!h->next_key &&
		     (r = with_suffix(&h->next_key, h->key, ".next")) < 0)) {
			break;
		}
		r = split_domains(h, env(ge, "Le_Domain"));
		break;
	case DK_ACME_DEHYDRATED:
		if (argc < 1 || !argv[0]) {
			dki_diagf(
				diag,
				"no hook verb: dehydrated calls its HOOK "
				"with arguments (deploy_cert DOMAIN KEYFILE "
				"CERTFILE FULLCHAINFILE CHAINFILE TIMESTAMP)");
			r = DK_EDATA;
			break;
		}
		if ((r = dup_to(&h->verb, argv[0])) < 0) {
			break;
		}
		if (strcmp(argv[0], "deploy_cert") != 0) {
			h->deploy = 0; /* another hook's business: do nothing */
			break;
		}
		if (argc < 6) {
			dki_diagf(diag,
				  "deploy_cert needs DOMAIN KEYFILE CERTFILE "
				  "FULLCHAINFILE CHAINFILE (got %d argument%s)",
				  argc - 1, argc == 2 ? "" : "s");
			r = DK_EDATA;
			break;
		}
		if ((r = dup_to(&h->domain, argv[1])) < 0 ||
		    (r = dup_to(&h->key, argv[2])) < 0 ||
		    (r = dup_to(&h->cert, argv[3])) < 0 ||
		    (r = dup_to(&h->fullchain, argv[4])) < 0 ||
		    (r = dup_to(&h->chain, argv[5])) < 0) {
			break;
		}
		/* PRIVATE_KEY_ROLLOVER=yes: the next key, made ahead */
		if ((r = beside(&h->next_key, h->key, "privkey.roll.pem")) <
		    0) {
			break;
		}
		r = split_domains(h, argv[1]);
		break;
	case DK_ACME_LEGO:
		/* v5 names first; v4 names when the v5 ones are not set */
		v = env(ge, "LEGO_HOOK_CERT_PATH");
		if (v) {
			if ((r = dup_to(&h->cert, v)) < 0 ||
			    (r = dup_to(&h->key,
					env(ge, "LEGO_HOOK_CERT_KEY_PATH"))) <
				    0 ||
			    (r = dup_to(
				     &h->chain,
				     env(ge, "LEGO_HOOK_ISSUER_CERT_PATH"))) <
				    0) {
				break;
			}
			r = split_domains(h, env(ge, "LEGO_HOOK_CERT_DOMAINS"));
			break;
		}
		v = env(ge, "LEGO_CERT_PATH");
		if (!v) {
			dki_diagf(diag,
				  "neither LEGO_HOOK_CERT_PATH (lego v5) nor "
				  "LEGO_CERT_PATH (lego v4) is set: run this "
				  "as lego's hook");
			r = DK_EDATA;
			break;
		}
		if ((r = dup_to(&h->cert, v)) < 0 ||
		    (r = dup_to(&h->key, env(ge, "LEGO_CERT_KEY_PATH"))) < 0 ||
		    (r = dup_to(&h->chain, env(ge, "LEGO_ISSUER_CERT_PATH"))) <
			    0) {
			break;
		}
		/* lego before 4.17 never sets LEGO_ISSUER_CERT_PATH: its
		 * issuer file is NAME.issuer.crt beside NAME.crt */
		if (!h->chain && strlen(v) > 4 &&
		    strcmp(v + strlen(v) - 4, ".crt") == 0) {
			if (asprintf(&h->chain, "%.*s.issuer.crt",
				     (int)strlen(v) - 4, v) < 0) {
				h->chain = NULL;
				r = DK_ENOMEM;
				break;
			}
		}
		r = split_domains(h, env(ge, "LEGO_CERT_DOMAIN"));
		break;
	default:
		r = DK_EINVAL;
	}
	if (r < 0) {
		dk_acme_hook_free(h);
		return r;
	}
	*ret_hook = h;
	return 0;
}
