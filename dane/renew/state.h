/* SPDX-License-Identifier: BSD-3-Clause */
/* The rollover state file (dane/renew/state.c). */
#ifndef DANEKIT_RENEW_STATE_H
#define DANEKIT_RENEW_STATE_H

#include <time.h>

#include "dane/renew/internal.h"

/* The start of the first line of every state file danekit writes. */
#define DKR_STATE_MAGIC "# danekit rollover state"

struct dkr_state_ent {
	char *owner; /* absolute */
	char *rdata; /* "3 1 1 <hex>" */
	time_t first_seen;
};

struct dkr_state {
	struct dkr_state_ent *ents;
	size_t n;
};

/*
 * Load @path (a missing file is an empty state). 0; DK_EIO (unreadable);
 * DK_EEXIST (not a regular file), DK_EDATA (not a state file); DK_ENOMEM.
 * Never blocks on a FIFO.
 */
int dkr_state_load(const char *path, struct dkr_state *st,
		   struct dk_diag *diag);

/*
 * Save atomically, making the folder (0700) if needed; only over a
 * missing file or a state file (a symbolic link: over the file it names).
 */
int dkr_state_save(const char *path, const struct dkr_state *st,
		   struct dk_diag *diag);

/* First sight of @owner/@rdata; records it as @now if new (*changed = 1). */
time_t dkr_state_seen(struct dkr_state *st, const char *owner,
		      const char *rdata, time_t now, int *changed);

/* Forget the records of @owner that are not in @keep. */
void dkr_state_prune(struct dkr_state *st, const char *owner,
		     const char *const *keep, size_t nkeep, int *changed);

void dkr_state_free(struct dkr_state *st);

#endif
