/* SPDX-License-Identifier: BSD-3-Clause */
/* Error strings and version: the lowest layer, shared by every module. */
#include <string.h>

#include <danekit/common.h>

const char *dk_version(void)
{
	return DANEKIT_VERSION_STRING;
}

const char *dk_strerror(int err)
{
	switch (err) {
	case DK_OK:
		return "success";
	case DK_EINVAL:
		return "invalid argument";
	case DK_ENOMEM:
		return "out of memory";
	case DK_ENOENT:
		return "no such file";
	case DK_EACCES:
		return "permission denied";
	case DK_EISDIR:
		return "is a directory";
	case DK_EIO:
		return "read error";
	case DK_ETIMEDOUT:
		return "timed out";
	case DK_ECONNREFUSED:
		return "connection refused";
	case DK_EDATA:
		return "malformed input";
	case DK_EENCRYPTED:
		return "private key is encrypted";
	case DK_ETOOBIG:
		return "input too large";
	case DK_EEMPTY:
		return "input is empty";
	case DK_ESELECTOR:
		return "selector 0 (full certificate) needs a certificate";
	case DK_ERANGE:
		return "value out of range";
	case DK_ERESOLVER:
		return "resolver failure";
	case DK_ESERVFAIL:
		return "server failure (SERVFAIL)";
	case DK_ECRYPTO:
		return "cryptographic library failure";
	case DK_ENOANCHOR:
		return "no trust anchor";
	case DK_ETLS:
		return "TLS connection failed";
	case DK_EPROTO:
		return "protocol error";
	case DK_ENOSTARTTLS:
		return "the server offers no STARTTLS";
	case DK_EUNFIT:
		return "the resolver set-up cannot validate DNSSEC";
	case DK_EEXIST:
		return "file exists";
	case DK_EREFUSED:
		return "the server refused the update";
	case DK_ECONFLICT:
		return "the records changed meanwhile (prerequisite failed)";
	default:
		return "unknown error";
	}
}

#include <stdio.h>

#include <openssl/err.h>

#include "internal.h"

void dki_diagf(struct dk_diag *diag, const char *fmt, ...)
{
	va_list ap;

	if (!diag) {
		return;
	}
	va_start(ap, fmt);
	vsnprintf(diag->why, sizeof(diag->why), fmt, ap);
	va_end(ap);
}

void dki_hex(const uint8_t *d, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[d[i] >> 4];
		out[2 * i + 1] = digits[d[i] & 15];
	}
	out[2 * n] = '\0';
}

const char *dki_openssl_reason(char *buf, size_t len)
{
	unsigned long e = ERR_peek_last_error();
	const char *r = e ? ERR_reason_error_string(e) : NULL;

	snprintf(buf, len, "%s", r ? r : "unknown reason");
	ERR_clear_error();
	return buf;
}
