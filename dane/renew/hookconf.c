/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The configuration of one service's renewal hook: which TLSA names cover
 * it, where it reads its chain and key (the deploy location), how it is
 * reloaded, where the staged pair waits, and how records are published.
 * One "key = value" a line; '#' starts a comment.
 */
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dane/renew/internal.h"

enum kind {
	K_STR,	 /* a string, replaced */
	K_PATH,	 /* a path, replaced; relative to the config file */
	K_PATHS, /* a path, repeatable */
	K_NAMES, /* a TLSA owner name, repeatable */
	K_BOOL,
	K_PORT,
	K_SECONDS, /* min-age: seconds, or "auto" */
	K_TTL,
	K_MODE,
	K_OWNER,
	K_VIA, /* publish-via */
};

#define OFF(f) offsetof(struct dk_hook_conf, f)

static const struct key {
	const char *name;
	enum kind kind;
	size_t off;  /* the field */
	size_t noff; /* its count (repeatable kinds) */
} keys[] = {
	{ "tlsa-name", K_NAMES, OFF(tlsa_names), OFF(ntlsa_names) },
	{ "dane-ta", K_BOOL, OFF(dane_ta), 0 },
	{ "cert", K_PATHS, OFF(certs), OFF(ncerts) },
	{ "next-key", K_PATHS, OFF(next_keys), OFF(nnext_keys) },
	{ "deploy-fullchain", K_PATH, OFF(deploy_fullchain), 0 },
	{ "deploy-cert", K_PATH, OFF(deploy_cert), 0 },
	{ "deploy-chain", K_PATH, OFF(deploy_chain), 0 },
	{ "deploy-key", K_PATH, OFF(deploy_key), 0 },
	{ "deploy-combined", K_PATH, OFF(deploy_combined), 0 },
	{ "owner", K_OWNER, 0, 0 },
	{ "key-mode", K_MODE, OFF(key_mode), 0 },
	{ "cert-mode", K_MODE, OFF(cert_mode), 0 },
	{ "reload", K_STR, OFF(reload), 0 },
	{ "state-dir", K_PATH, OFF(state_dir), 0 },
	{ "state", K_PATH, OFF(state_file), 0 },
	{ "auth-port", K_PORT, OFF(auth_port), 0 },
	{ "no-auth-check", K_BOOL, OFF(no_auth_check), 0 },
	{ "min-age", K_SECONDS, OFF(min_age), 0 },
	{ "publish-via", K_VIA, OFF(publish_via), 0 },
	{ "tsig-key", K_PATH, OFF(tsig_key), 0 },
	{ "api-url", K_STR, OFF(api_url), 0 },
	{ "api-key-file", K_PATH, OFF(api_key_file), 0 },
	{ "publish-exec", K_STR, OFF(publish_exec), 0 },
	{ "server", K_STR, OFF(server), 0 },
	{ "zone", K_STR, OFF(zone), 0 },
	{ "ttl", K_TTL, OFF(ttl), 0 },
	{ "live-address", K_STR, OFF(live_address), 0 },
	{ "unbound-conf", K_PATH, OFF(unbound_conf), 0 },
	{ "anchor", K_PATH, OFF(anchor), 0 },
	{ "resolver", K_STR, OFF(resolver), 0 },
};

int dk_hook_conf_new(struct dk_hook_conf **ret_conf)
{
	struct dk_hook_conf *c;

	if (!ret_conf) {
		return DK_EINVAL;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		return DK_ENOMEM;
	}
	c->owner_uid = -1;
	c->group_gid = -1;
	c->key_mode = 0600;
	c->cert_mode = 0644;
	c->min_age = -1;
	*ret_conf = c;
	return 0;
}

static void free_list(char **a, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(a[i]);
	}
	free(a);
}

void dk_hook_conf_free(struct dk_hook_conf *c)
{
	if (!c) {
		return;
	}
	free(c->path);
	free(c->name);
	free_list(c->tlsa_names, c->ntlsa_names);
	free_list(c->certs, c->ncerts);
	free_list(c->next_keys, c->nnext_keys);
	free(c->deploy_fullchain);
	free(c->deploy_cert);
	free(c->deploy_chain);
	free(c->deploy_key);
	free(c->deploy_combined);
	free(c->reload);
	free(c->state_dir);
	free(c->state_file);
	free(c->tsig_key);
	free(c->api_url);
	free(c->api_key_file);
	free(c->publish_exec);
	free(c->server);
	free(c->zone);
	free(c->live_address);
	free(c->unbound_conf);
	free(c->anchor);
	free(c->resolver);
	free(c);
}

static int parse_bool(const char *v)
{
	if (!strcasecmp(v, "yes") || !strcasecmp(v, "true") ||
	    !strcasecmp(v, "on") || !strcmp(v, "1")) {
		return 1;
	}
	if (!strcasecmp(v, "no") || !strcasecmp(v, "false") ||
	    !strcasecmp(v, "off") || !strcmp(v, "0")) {
		return 0;
	}
	return -1;
}

static int parse_ulong(const char *v, int base, unsigned long max,
		       unsigned long *ret)
{
	char *end;
	unsigned long n;

	if (!*v || *v == '-' || *v == '+' || *v == ' ') {
		return -1;
	}
	errno = 0;
	n = strtoul(v, &end, base);
	if (errno || *end || n > max) {
		return -1;
	}
	*ret = n;
	return 0;
}

/* @value as a path: relative to @base (a folder) unless absolute. */
static char *make_path(const char *base, const char *value)
{
	char *s = NULL, cwd[PATH_MAX];

	if (value[0] == '/') {
		return strdup(value);
	}
	if (!base) {
		if (!getcwd(cwd, sizeof(cwd))) {
			return NULL;
		}
		base = cwd;
	}
	if (asprintf(&s, "%s/%s", base, value) < 0) {
		return NULL;
	}
	return s;
}

static int set_owner(struct dk_hook_conf *c, const char *v,
		     struct dk_diag *diag)
{
	char *user = strdup(v), *group;
	unsigned long n;
	long uid = -1, gid = -1;
	int r = 0;

	if (!user) {
		return DK_ENOMEM;
	}
	group = strchr(user, ':');
	if (group) {
		*group++ = '\0';
	}
	if (*user) {
		struct passwd *pw = getpwnam(user);

		if (pw) {
			uid = (long)pw->pw_uid;
		} else if (parse_ulong(user, 10, 0x7fffffffUL, &n) == 0) {
			uid = (long)n;
		} else {
			dki_diagf(diag, "owner: no user '%s'", user);
			r = DK_EINVAL;
		}
	}
	if (!r && group && *group) {
		struct group *gr = getgrnam(group);

		if (gr) {
			gid = (long)gr->gr_gid;
		} else if (parse_ulong(group, 10, 0x7fffffffUL, &n) == 0) {
			gid = (long)n;
		} else {
			dki_diagf(diag, "owner: no group '%s'", group);
			r = DK_EINVAL;
		}
	}
	if (!r && uid < 0 && gid < 0) {
		dki_diagf(diag, "owner: '%s' names no user or group", v);
		r = DK_EINVAL;
	}
	free(user);
	if (!r) {
		c->owner_uid = uid;
		c->group_gid = gid;
	}
	return r;
}

/* One setting; relative paths are taken from @base (NULL: the cwd). */
static int set_one(struct dk_hook_conf *c, const char *base, const char *k,
		   const char *v, struct dk_diag *diag)
{
	const struct key *key = NULL;
	char *s, **slot, ***list;
	unsigned long n;
	int b;

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (strcmp(keys[i].name, k) == 0) {
			key = &keys[i];
			break;
		}
	}
	if (!key) {
		dki_diagf(diag, "unknown key '%s'", k);
		return DK_EINVAL;
	}
	if (!*v) {
		dki_diagf(diag, "%s: no value", k);
		return DK_EINVAL;
	}
	switch (key->kind) {
	case K_STR:
	case K_PATH:
		s = key->kind == K_PATH ? make_path(base, v) : strdup(v);
		if (!s) {
			return DK_ENOMEM;
		}
		slot = (char **)((char *)c + key->off);
		free(*slot);
		*slot = s;
		return 0;
	case K_NAMES:
		/* a TLSA owner name: _PORT._PROTO.HOST (RFC 6698 section 3) */
		if (dk_tlsa_check_owner(v, diag) < 0) {
			char why[sizeof(diag->why)];

			if (diag) {
				snprintf(why, sizeof(why), "%s", diag->why);
				dki_diagf(diag, "%s: %s", k, why);
			}
			return DK_EINVAL;
		}
		/* fall through */
	case K_PATHS:
		s = key->kind == K_PATHS ? make_path(base, v) : strdup(v);
		if (!s) {
			return DK_ENOMEM;
		}
		list = (char ***)((char *)c + key->off);
		if (dkr_push((void ***)list, (size_t *)((char *)c + key->noff),
			     s) < 0) {
			free(s);
			return DK_ENOMEM;
		}
		return 0;
	case K_BOOL:
		b = parse_bool(v);
		if (b < 0) {
			dki_diagf(diag, "%s: '%s' is not yes or no", k, v);
			return DK_EINVAL;
		}
		*(int *)((char *)c + key->off) = b;
		return 0;
	case K_PORT:
		if (parse_ulong(v, 10, 65535, &n) < 0 || n == 0) {
			dki_diagf(diag, "%s: '%s' is not a port (1-65535)", k,
				  v);
			return DK_EINVAL;
		}
		*(unsigned *)((char *)c + key->off) = (unsigned)n;
		return 0;
	case K_SECONDS:
		if (strcmp(v, "auto") == 0) {
			c->min_age = -1;
			return 0;
		}
		if (parse_ulong(v, 10, 315360000UL, &n) < 0) {
			dki_diagf(diag, "%s: '%s' is not a number of seconds",
				  k, v);
			return DK_EINVAL;
		}
		c->min_age = (long)n;
		return 0;
	case K_TTL:
		if (parse_ulong(v, 10, 2147483647UL, &n) < 0) {
			dki_diagf(diag, "%s: '%s' is not a TTL in seconds", k,
				  v);
			return DK_EINVAL;
		}
		c->ttl = (uint32_t)n;
		return 0;
	case K_MODE:
		if (parse_ulong(v, 8, 07777, &n) < 0) {
			dki_diagf(diag, "%s: '%s' is not an octal file mode", k,
				  v);
			return DK_EINVAL;
		}
		if (n & 06000) {
			dki_diagf(diag, "%s: %s: no set-id bits", k, v);
			return DK_EINVAL;
		}
		*(unsigned *)((char *)c + key->off) = (unsigned)n;
		return 0;
	case K_VIA: {
		int via = dk_publish_via_parse(v);

		if (via < 0) {
			dki_diagf(diag,
				  "%s: '%s' is not rfc2136, pdns-api or exec",
				  k, v);
			return DK_EINVAL;
		}
		*(enum dk_publish_via *)(void *)((char *)c + key->off) =
			(enum dk_publish_via)via;
		return 0;
	}
	case K_OWNER:
		return set_owner(c, v, diag);
	}
	return DK_EINVAL;
}

int dk_hook_conf_set(struct dk_hook_conf *c, const char *key, const char *value,
		     struct dk_diag *diag)
{
	if (!c || !key || !value) {
		return DK_EINVAL;
	}
	return set_one(c, NULL, key, value, diag);
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

int dk_hook_conf_read(struct dk_hook_conf *c, const char *path,
		      struct dk_diag *diag)
{
	char *line = NULL, *base = NULL, *slash;
	size_t cap = 0;
	unsigned lineno = 0;
	struct stat st;
	FILE *f;
	int r = 0;

	if (!c || !path) {
		return DK_EINVAL;
	}
	f = fopen(path, "re");
	if (!f) {
		int e = errno;

		dki_diagf(diag, "%s", strerror(e));
		return e == ENOENT   ? DK_ENOENT
		       : e == EACCES ? DK_EACCES
				     : DK_EIO;
	}
	if (fstat(fileno(f), &st) == 0 && !S_ISREG(st.st_mode)) {
		fclose(f);
		dki_diagf(diag, "not a regular file");
		return S_ISDIR(st.st_mode) ? DK_EISDIR : DK_EIO;
	}
	base = make_path(NULL, path);
	if (!base) {
		fclose(f);
		return DK_ENOMEM;
	}
	slash = strrchr(base, '/');
	*slash = '\0';
	if (!*base) {
		strcpy(base, "/");
	}
	free(c->path);
	c->path = make_path(NULL, path);
	if (!c->path) {
		r = DK_ENOMEM;
	}
	while (!r && getline(&line, &cap, f) > 0) {
		char *k, *v, *eq;
		struct dk_diag d = { "" };

		lineno++;
		k = trim(line);
		if (!*k || *k == '#') {
			continue;
		}
		eq = strchr(k, '=');
		if (!eq) {
			dki_diagf(diag, "line %u: expected 'key = value'",
				  lineno);
			r = DK_EDATA;
			break;
		}
		*eq = '\0';
		v = trim(eq + 1);
		k = trim(k);
		r = set_one(c, base, k, v, &d);
		if (r == DK_EINVAL) {
			dki_diagf(diag, "line %u: %s", lineno, d.why);
			r = DK_EDATA;
		}
	}
	if (!r && ferror(f)) {
		dki_diagf(diag, "read error");
		r = DK_EIO;
	}
	free(line);
	free(base);
	fclose(f);
	return r;
}

/* The default state folder of service @name. */
static char *default_state_dir(const char *name)
{
	const char *x = getenv("XDG_STATE_HOME");
	const char *h = getenv("HOME");
	char *s = NULL;
	int n = -1;

	if (geteuid() == 0) {
		n = asprintf(&s, "/var/lib/danekit/%s", name);
	} else if (x && *x == '/') {
		n = asprintf(&s, "%s/danekit/%s", x, name);
	} else if (h && *h) {
		n = asprintf(&s, "%s/.local/state/danekit/%s", h, name);
	}
	return n < 0 ? NULL : s;
}

int dk_hook_conf_finish(struct dk_hook_conf *c, struct dk_diag *diag)
{
	const char *cert_files[] = { c ? c->deploy_fullchain : NULL,
				     c ? c->deploy_cert : NULL,
				     c ? c->deploy_chain : NULL,
				     c ? c->deploy_key : NULL,
				     c ? c->deploy_combined : NULL };

	if (!c) {
		return DK_EINVAL;
	}
	if (c->ntlsa_names == 0) {
		dki_diagf(diag, "no TLSA name: set tlsa-name (e.g. "
				"_25._tcp.mail.example.com)");
		return DK_EINVAL;
	}
	if (!c->deploy_combined &&
	    (!c->deploy_key || (!c->deploy_fullchain && !c->deploy_cert))) {
		dki_diagf(diag,
			  "no deploy location: set deploy-key and "
			  "deploy-fullchain (or deploy-combined), the files "
			  "the service reads; the ACME client's own files "
			  "must not be what the service reads");
		return DK_EINVAL;
	}
	if (c->deploy_chain && !c->deploy_cert) {
		dki_diagf(diag, "deploy-chain needs deploy-cert");
		return DK_EINVAL;
	}
	if (c->no_auth_check && c->auth_port) {
		dki_diagf(diag, "no-auth-check and auth-port exclude each "
				"other: give one");
		return DK_EINVAL;
	}
	{
		/* the keys of each publisher, and what each one needs */
		const char *via = dk_publish_via_name(c->publish_via);
		const char *stray =
			c->publish_via != DK_PUBLISH_VIA_UPDATE && c->tsig_key
				? "tsig-key"
			: c->publish_via != DK_PUBLISH_VIA_PDNS_API &&
					c->api_url
				? "api-url"
			: c->publish_via != DK_PUBLISH_VIA_PDNS_API &&
					c->api_key_file
				? "api-key-file"
			: c->publish_via != DK_PUBLISH_VIA_EXEC &&
					c->publish_exec
				? "publish-exec"
			: c->publish_via == DK_PUBLISH_VIA_PDNS_API && c->server
				? "server"
				: NULL;

		if (stray) {
			dki_diagf(diag,
				  "%s is not a setting of publish-via = %s",
				  stray, via ? via : "?");
			return DK_EINVAL;
		}
		if (c->publish_via == DK_PUBLISH_VIA_PDNS_API &&
		    (!c->api_url || !c->api_key_file)) {
			dki_diagf(diag, "publish-via = pdns-api needs api-url "
					"and api-key-file");
			return DK_EINVAL;
		}
		if (c->publish_via == DK_PUBLISH_VIA_EXEC && !c->publish_exec) {
			dki_diagf(diag,
				  "publish-via = exec needs publish-exec");
			return DK_EINVAL;
		}
	}
	for (size_t i = 0; i < 5; i++) {
		for (size_t k = i + 1; k < 5; k++) {
			if (cert_files[i] && cert_files[k] &&
			    strcmp(cert_files[i], cert_files[k]) == 0) {
				dki_diagf(diag,
					  "%s is named twice in the deploy "
					  "location",
					  cert_files[i]);
				return DK_EINVAL;
			}
		}
	}
	if (!c->name) {
		const char *p = c->path ? strrchr(c->path, '/') : NULL;
		size_t n;

		p = p ? p + 1 : c->path ? c->path : "default";
		n = strlen(p);
		if (n > 5 && strcmp(p + n - 5, ".conf") == 0) {
			n -= 5;
		}
		c->name = n ? strndup(p, n) : strdup("default");
		if (!c->name) {
			return DK_ENOMEM;
		}
	}
	if (!c->state_dir) {
		c->state_dir = default_state_dir(c->name);
		if (!c->state_dir) {
			dki_diagf(diag, "no state folder: set state-dir (HOME "
					"is not set)");
			return DK_EINVAL;
		}
	}
	if (!c->state_file &&
	    asprintf(&c->state_file, "%s/rollover.state", c->state_dir) < 0) {
		c->state_file = NULL;
		return DK_ENOMEM;
	}
	return 0;
}
