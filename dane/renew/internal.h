/* SPDX-License-Identifier: BSD-3-Clause */
/* Private helpers of the renew module (dane/renew/). */
#ifndef DANEKIT_RENEW_INTERNAL_H
#define DANEKIT_RENEW_INTERNAL_H

#include <danekit/dane.h>

#include "dnssec/internal.h"
#include "tlsa/internal.h"

/*
 * Write @len bytes to @path through a temporary file in the same folder
 * with @mode; @exclusive: never replace an existing @path (DK_EEXIST).
 * Only a regular file is ever replaced: a folder, device, FIFO, socket or
 * symbolic link at @path gives DK_EEXIST (+ @diag), with nothing written.
 */
int dkr_write_file(const char *path, const void *buf, size_t len, unsigned mode,
		   int exclusive, struct dk_diag *diag);

/* "a folder", "a FIFO"... of a st_mode. Static storage. */
const char *dkr_file_kind(unsigned mode);

/* Write all of @buf to @fd, then fsync(): 0, or -1 with errno. */
int dkr_write_fd(int fd, const void *buf, size_t len);

/* Append @p to a growing pointer array; 0 or DK_ENOMEM. */
int dkr_push(void ***arr, size_t *n, void *p);

/* The zone that holds @name (absolute, malloc()ed): SOA lookups upward. */
int dkr_find_zone(struct dk_resolver *res, const char *name, char **ret_zone,
		  struct dk_diag *diag);

/* An absolute copy of @name (trailing dot added), malloc()ed. */
char *dkr_absolute(const char *name);

/*
 * Ask @addr@port (numeric) for @name/@type without recursion; *@ret_pkt
 * gets the reply. 0, DK_ETIMEDOUT, DK_ECONNREFUSED, DK_EPROTO, DK_ENOMEM.
 */
int dkr_query(const char *addr, unsigned port, const char *name, uint16_t type,
	      double timeout, ldns_pkt **ret_pkt, struct dk_diag *diag);

/* The TLSA records of type @type in the answer section of @pkt at @owner. */
int dkr_tlsa_from_pkt(const ldns_pkt *pkt, const char *owner,
		      struct dk_tlsa ***ret, size_t *ret_n, uint32_t *ret_ttl);

/* Free an array of records. */
void dkr_tlsa_array_free(struct dk_tlsa **arr, size_t n);

/* Sort records with dk_tlsa_cmp(). */
void dkr_tlsa_sort(struct dk_tlsa **arr, size_t n);

/* "3 1 1 <hex>" of @t, malloc()ed. */
char *dkr_rdata(const struct dk_tlsa *t);

/*
 * A plan with what its publisher needs beyond the public fields; every
 * dk_publish_plan is the first member of one (update.c allocates them).
 */
struct dkr_plan {
	struct dk_publish_plan pub;
	char *api_key; /* PDNS_API: wiped when freed */
	char **argv;   /* EXEC: NULL-terminated */
	double timeout;
};

/* The plan around @plan. */
#define DKR_PLAN(plan) ((struct dkr_plan *)(void *)(plan))

/* PDNS_API (publish.c): the zone's URL of @api_url into @p->pub.server,
 * or DK_EINVAL (+ @diag). */
int dkr_pdns_url(struct dkr_plan *p, const char *api_url, struct dk_diag *diag);

/* PDNS_API: the enabled TLSA records at the owner, read with GET, into
 * before/nbefore/before_ttl. */
int dkr_pdns_read(struct dkr_plan *p, struct dk_diag *diag);

/* PDNS_API: check the RRset again, then PATCH it. */
int dkr_pdns_send(const struct dkr_plan *p, double timeout,
		  struct dk_diag *diag);

/* EXEC: run the command with the plan's JSON document on its stdin. */
int dkr_exec_send(const struct dkr_plan *p, double timeout,
		  struct dk_diag *diag);

/* The JSON document of a plan (the exec publisher's input), malloc()ed
 * text with a final newline, or NULL (out of memory). */
char *dkr_plan_json(const struct dk_publish_plan *plan);

/* PDNS_API: the request for --dry-run ("PATCH URL" and the JSON body),
 * or NULL. */
char *dkr_pdns_script(const struct dkr_plan *p);

#endif
