/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * danekit: error codes, version and the diagnostic buffer shared by every
 * module. Self-contained; no build-option #if.
 */
#ifndef DANEKIT_COMMON_H
#define DANEKIT_COMMON_H

#include <errno.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#pragma GCC visibility push(default)
#endif

#define DANEKIT_VERSION_MAJOR 0
#define DANEKIT_VERSION_MINOR 3
#define DANEKIT_VERSION_PATCH 0
#define DANEKIT_VERSION_STRING "0.3.0"

/**
 * The library's version string, e.g. "0.3.0". Static storage; never NULL.
 */
const char *dk_version(void);

/*
 * Errors are negative values. Where an errno value says it, the code is
 * that errno negated; the rest sit above errno's range.
 */
#define DK_OK 0
#define DK_EINVAL (-EINVAL)	  /* invalid argument (a bug in the caller) */
#define DK_ENOMEM (-ENOMEM)	  /* out of memory */
#define DK_ENOENT (-ENOENT)	  /* input file does not exist */
#define DK_EACCES (-EACCES)	  /* input file not readable */
#define DK_EISDIR (-EISDIR)	  /* input is a directory */
#define DK_EIO (-EIO)		  /* read error */
#define DK_ETIMEDOUT (-ETIMEDOUT) /* network time-out */
#define DK_ECONNREFUSED (-ECONNREFUSED) /* peer unreachable */
#define DK_EBASE (-1000)
#define DK_EDATA (DK_EBASE - 1)	       /* malformed input data */
#define DK_EENCRYPTED (DK_EBASE - 2)   /* private key is encrypted */
#define DK_ETOOBIG (DK_EBASE - 3)      /* input larger than the limit */
#define DK_EEMPTY (DK_EBASE - 4)       /* input is empty */
#define DK_ESELECTOR (DK_EBASE - 5)    /* selector 0 asked of a key or CSR */
#define DK_ERANGE (DK_EBASE - 6)       /* index or value out of range */
#define DK_ERESOLVER (DK_EBASE - 7)    /* resolver set-up or query failed */
#define DK_ESERVFAIL (DK_EBASE - 8)    /* SERVFAIL with no validation reason */
#define DK_ECRYPTO (DK_EBASE - 9)      /* OpenSSL failed internally */
#define DK_ENOANCHOR (DK_EBASE - 10)   /* no trust anchor could be found */
#define DK_ETLS (DK_EBASE - 11)	       /* TLS connection or handshake failed */
#define DK_EPROTO (DK_EBASE - 12)      /* peer spoke the protocol wrongly */
#define DK_ENOSTARTTLS (DK_EBASE - 13) /* the server offers no STARTTLS */
#define DK_EUNFIT (DK_EBASE - 14)      /* the resolver set-up cannot validate */
#define DK_EEXIST (-EEXIST)	       /* a file not to overwrite exists */
#define DK_EREFUSED (DK_EBASE - 40)    /* a DNS UPDATE was refused */
#define DK_ECONFLICT (DK_EBASE - 41)   /* an UPDATE prerequisite failed */

/**
 * A short English description of a DK_E* code (negative) or 0.
 * Static storage; never NULL; unknown codes give "unknown error".
 */
const char *dk_strerror(int err);

/**
 * A caller-owned buffer in which a failing function writes one line that
 * says what was wrong with the input ("PEM block 2 is truncated"), without
 * a trailing newline. Functions that take a `struct dk_diag *` accept NULL.
 * The buffer is only written on failure (or by functions that say so).
 */
struct dk_diag {
	char why[512];
};

#if defined(__GNUC__)
#pragma GCC visibility pop
#endif

#ifdef __cplusplus
}
#endif

#endif
