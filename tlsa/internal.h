/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Private helpers of the base layer (tlsa/), also used by dnssec/ and
 * dane/: never installed, never part of the ABI.
 */
#ifndef DANEKIT_TLSA_INTERNAL_H
#define DANEKIT_TLSA_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <danekit/common.h>
#include <danekit/tlsa.h>

#if defined(__GNUC__)
#define DK_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define DK_PRINTF(a, b)
#endif

/* Write a formatted one-line reason into @diag (which may be NULL). */
void dki_diagf(struct dk_diag *diag, const char *fmt, ...) DK_PRINTF(2, 3);

/* Lower-case hex of @n bytes into @out (2n+1 bytes). */
void dki_hex(const uint8_t *d, size_t n, char *out);

/*
 * The most relevant OpenSSL error reason on the queue, as text, then clear
 * the queue. Never NULL.
 */
const char *dki_openssl_reason(char *buf, size_t len);

#endif
