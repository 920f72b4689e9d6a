/* SPDX-License-Identifier: BSD-3-Clause */
/* Helpers of the renew module: atomic files, zone lookup, direct queries. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include "dane/renew/internal.h"

static int errno_dk(int e)
{
	switch (e) {
	case ENOENT:
	case ENOTDIR:
		return DK_ENOENT;
	case EACCES:
	case EPERM:
	case EROFS:
		return DK_EACCES;
	case EEXIST:
		return DK_EEXIST;
	case EISDIR:
		return DK_EISDIR;
	case ENOMEM:
		return DK_ENOMEM;
	default:
		return DK_EIO;
	}
}

const char *dkr_file_kind(unsigned mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG:
		return "a regular file";
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

/*
 * May @path be replaced (or created)? Only a regular file is ever
 * replaced: never a folder, device, FIFO, socket or symbolic link (lstat:
 * nothing is opened, so a FIFO never blocks).
 */
static int replaceable(const char *path, int exclusive, struct dk_diag *diag)
{
	struct stat st;

	if (lstat(path, &st) != 0) {
		return 0;
	}
	if (!S_ISREG(st.st_mode)) {
		dki_diagf(diag,
			  "%s is %s, not a regular file: only regular files "
			  "are ever replaced",
			  path, dkr_file_kind((unsigned)st.st_mode));
		return DK_EEXIST;
	}
	if (exclusive) {
		dki_diagf(diag, "%s exists", path);
		return DK_EEXIST;
	}
	return 0;
}

int dkr_write_fd(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t w = write(fd, p, len);

		if (w < 0) {
			if (errno == EINTR) {
				continue;
			}
			return -1;
		}
		p += w;
		len -= (size_t)w;
	}
	return fsync(fd);
}

int dkr_write_file(const char *path, const void *buf, size_t len, unsigned mode,
		   int exclusive, struct dk_diag *diag)
{
	size_t plen;
	char *tmp;
	int fd, e, r;

	if (!path || !*path || (!buf && len)) {
		return DK_EINVAL;
	}
	r = replaceable(path, exclusive, diag);
	if (r < 0) {
		return r;
	}
	plen = strlen(path) + 32;
	tmp = malloc(plen);
	if (!tmp) {
		return DK_ENOMEM;
	}
	snprintf(tmp, plen, "%s.tmp.XXXXXX", path);
	fd = mkstemp(tmp);
	if (fd < 0) {
		e = errno;
		dki_diagf(diag, "cannot create a file next to %s: %s", path,
			  strerror(e));
		free(tmp);
		return errno_dk(e);
	}
	if (fchmod(fd, (mode_t)mode) != 0) {
		goto fail;
	}
	if (dkr_write_fd(fd, buf, len) != 0) {
		goto fail;
	}
	if (close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (exclusive) {
		/* link() fails if @path appeared meanwhile: never replaced. */
		if (link(tmp, path) != 0) {
			e = errno;
			unlink(tmp);
			free(tmp);
			if (e == EEXIST) {
				dki_diagf(diag, "%s exists", path);
				return DK_EEXIST;
			}
			dki_diagf(diag, "cannot create %s: %s", path,
				  strerror(e));
			return errno_dk(e);
		}
		unlink(tmp);
	} else if ((r = replaceable(path, 0, diag)) < 0) {
		/* something else appeared meanwhile: it stays */
		unlink(tmp);
		free(tmp);
		return r;
	} else if (rename(tmp, path) != 0) {
		goto fail;
	}
	free(tmp);
	return 0;
fail:
	e = errno;
	if (fd >= 0) {
		close(fd);
	}
	unlink(tmp);
	free(tmp);
	dki_diagf(diag, "cannot write %s: %s", path, strerror(e));
	return errno_dk(e);
}

int dkr_push(void ***arr, size_t *n, void *p)
{
	void **a = realloc(*arr, (*n + 1) * sizeof(*a));

	if (!a) {
		return DK_ENOMEM;
	}
	a[(*n)++] = p;
	*arr = a;
	return 0;
}

char *dkr_absolute(const char *name)
{
	size_t n;
	char *s;

	if (!name) {
		return NULL;
	}
	n = strlen(name);
	s = malloc(n + 2);
	if (!s) {
		return NULL;
	}
	memcpy(s, name, n + 1);
	if (n == 0 || s[n - 1] != '.') {
		s[n] = '.';
		s[n + 1] = '\0';
	}
	return s;
}

/* The SOA owner in the authority section of a negative answer. */
static char *soa_owner(const ldns_pkt *pkt)
{
	ldns_rr_list *l;

	if (!pkt) {
		return NULL;
	}
	l = ldns_pkt_answer(pkt);
	for (size_t i = 0; i < ldns_rr_list_rr_count(l); i++) {
		ldns_rr *rr = ldns_rr_list_rr(l, i);

		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA) {
			return ldns_rdf2str(ldns_rr_owner(rr));
		}
	}
	l = ldns_pkt_authority(pkt);
	for (size_t i = 0; i < ldns_rr_list_rr_count(l); i++) {
		ldns_rr *rr = ldns_rr_list_rr(l, i);

		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA) {
			return ldns_rdf2str(ldns_rr_owner(rr));
		}
	}
	return NULL;
}

int dkr_find_zone(struct dk_resolver *res, const char *name, char **ret_zone,
		  struct dk_diag *diag)
{
	char *abs = dkr_absolute(name);
	const char *p;
	int r = 0;

	if (!abs) {
		return DK_ENOMEM;
	}
	p = abs;
	for (;;) {
		struct dk_answer *a = NULL;
		char *zone;
		const ldns_rr_list *rrs;

		r = dk_lookup(res, p, LDNS_RR_TYPE_SOA, &a, diag);
		if (r < 0) {
			break;
		}
		rrs = dki_answer_get0_rrset(a);
		if (ldns_rr_list_rr_count(rrs) > 0) {
			zone = ldns_rdf2str(
				ldns_rr_owner(ldns_rr_list_rr(rrs, 0)));
		} else {
			zone = soa_owner(dki_answer_get0_packet(a));
		}
		dk_answer_free(a);
		if (zone) {
			*ret_zone = zone;
			free(abs);
			return 0;
		}
		/* one label up */
		p = strchr(p, '.');
		if (!p || !p[1]) {
			dki_diagf(diag, "no zone found above %s", abs);
			r = DK_ERESOLVER;
			break;
		}
		p++;
	}
	free(abs);
	return r;
}

int dkr_query(const char *addr, unsigned port, const char *name, uint16_t type,
	      double timeout, ldns_pkt **ret_pkt, struct dk_diag *diag)
{
	ldns_resolver *res;
	ldns_rdf *ns, *qname;
	ldns_pkt *pkt = NULL;
	ldns_status st;
	struct timeval tv;

	ns = ldns_rdf_new_frm_str(
		strchr(addr, ':') ? LDNS_RDF_TYPE_AAAA : LDNS_RDF_TYPE_A, addr);
	if (!ns) {
		dki_diagf(diag, "'%s' is not a numeric IP address", addr);
		return DK_EINVAL;
	}
	qname = ldns_dname_new_frm_str(name);
	res = ldns_resolver_new();
	if (!qname || !res) {
		ldns_rdf_deep_free(ns);
		ldns_rdf_deep_free(qname);
		ldns_resolver_free(res);
		return DK_ENOMEM;
	}
	if (timeout <= 0) {
		timeout = 10;
	}
	tv.tv_sec = (time_t)timeout;
	tv.tv_usec = (suseconds_t)((timeout - (double)tv.tv_sec) * 1e6);
	ldns_resolver_push_nameserver(res, ns);
	ldns_rdf_deep_free(ns);
	ldns_resolver_set_port(res, (uint16_t)port);
	ldns_resolver_set_recursive(res, false);
	ldns_resolver_set_dnssec(res, false);
	ldns_resolver_set_retry(res, 1);
	ldns_resolver_set_retrans(res, 1);
	ldns_resolver_set_timeout(res, tv);
	ldns_resolver_set_fallback(res, true);
	ldns_resolver_set_edns_udp_size(res, 1232);
	st = ldns_resolver_send(&pkt, res, qname, (ldns_rr_type)type,
				LDNS_RR_CLASS_IN, 0);
	ldns_rdf_deep_free(qname);
	ldns_resolver_deep_free(res);
	if (st != LDNS_STATUS_OK || !pkt) {
		ldns_pkt_free(pkt);
		dki_diagf(diag, "no answer from %s port %u: %s", addr, port,
			  ldns_get_errorstr_by_id(st));
		if (st == LDNS_STATUS_NETWORK_ERR ||
		    st == LDNS_STATUS_SOCKET_ERROR) {
			return DK_ECONNREFUSED;
		}
		if (st == LDNS_STATUS_MEM_ERR) {
			return DK_ENOMEM;
		}
		return DK_ETIMEDOUT;
	}
	*ret_pkt = pkt;
	return 0;
}

void dkr_tlsa_array_free(struct dk_tlsa **arr, size_t n)
{
	for (size_t i = 0; arr && i < n; i++) {
		dk_tlsa_free(arr[i]);
	}
	free(arr);
}

static int cmp_ptr(const void *a, const void *b)
{
	return dk_tlsa_cmp(*(struct dk_tlsa *const *)a,
			   *(struct dk_tlsa *const *)b);
}

void dkr_tlsa_sort(struct dk_tlsa **arr, size_t n)
{
	if (arr && n > 1) {
		qsort(arr, n, sizeof(*arr), cmp_ptr);
	}
}

int dkr_tlsa_from_pkt(const ldns_pkt *pkt, const char *owner,
		      struct dk_tlsa ***ret, size_t *ret_n, uint32_t *ret_ttl)
{
	ldns_rr_list *ans = ldns_pkt_answer(pkt);
	ldns_rdf *o = ldns_dname_new_frm_str(owner);
	struct dk_tlsa **arr = NULL;
	size_t n = 0;
	uint32_t ttl = 0;
	int r = 0;

	if (!o) {
		return DK_ENOMEM;
	}
	for (size_t i = 0; i < ldns_rr_list_rr_count(ans); i++) {
		ldns_rr *rr = ldns_rr_list_rr(ans, i);
		ldns_buffer *b;
		struct dk_tlsa *t = NULL;

		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_TLSA ||
		    ldns_dname_compare(ldns_rr_owner(rr), o) != 0) {
			continue;
		}
		b = ldns_buffer_new(256);
		if (!b) {
			r = DK_ENOMEM;
			break;
		}
		for (size_t k = 0; k < ldns_rr_rd_count(rr); k++) {
			ldns_rdf2buffer_wire(b, ldns_rr_rdf(rr, k));
		}
		r = dk_tlsa_from_wire(ldns_buffer_begin(b),
				      ldns_buffer_position(b), &t);
		ldns_buffer_free(b);
		if (r < 0) {
			break;
		}
		if (ttl == 0 || ldns_rr_ttl(rr) > ttl) {
			ttl = ldns_rr_ttl(rr);
		}
		r = dkr_push((void ***)&arr, &n, t);
		if (r < 0) {
			dk_tlsa_free(t);
			break;
		}
	}
	ldns_rdf_deep_free(o);
	if (r < 0) {
		dkr_tlsa_array_free(arr, n);
		return r;
	}
	dkr_tlsa_sort(arr, n);
	*ret = arr;
	*ret_n = n;
	if (ret_ttl) {
		*ret_ttl = ttl;
	}
	return 0;
}

char *dkr_rdata(const struct dk_tlsa *t)
{
	char *s = NULL;

	if (dk_tlsa_format(t, DK_TLSA_FMT_RDATA, NULL, 0, &s) < 0) {
		return NULL;
	}
	return s;
}
