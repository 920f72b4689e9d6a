/* SPDX-License-Identifier: BSD-3-Clause */
/* Helpers of the renew tests: commands, the lab, certificates. */
#ifndef DK_TEST_RENEW_HELPERS_H
#define DK_TEST_RENEW_HELPERS_H

#include <stddef.h>

/* Output of a command. */
struct run {
	int status; /* exit status, or -1 */
	char *out;  /* stdout, NUL-terminated */
	char *err;  /* stderr */
};

/* Run @cmd with /bin/sh -c (printf-style); caller frees with run_free(). */
struct run run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void run_free(struct run *r);

/* Start the lab and the primary (idempotent, serialised between tests);
 * fills the globals below. Fails the test when they cannot start. */
void lab_up(void);

extern char *lab_conf;	  /* DK_LAB_CONF */
extern char *lab_port;	  /* DK_LAB_PORT */
extern char *lab_pki;	  /* DK_LAB_PKI */
extern char *prim_conf;	  /* DK_PRIMARY_CONF */
extern char *prim_port;	  /* DK_PRIMARY_PORT */
extern char *prim_server; /* DK_PRIMARY_SERVER */
extern char *prim_key;	  /* DK_PRIMARY_KEY */
extern char *prim_badkey; /* DK_PRIMARY_BADKEY */
extern char *prim_addr;	  /* DK_PRIMARY_ADDR: ns.dyn.test. (the primary) */
extern char *prim_addr2;  /* DK_PRIMARY_ADDR2: ns2.dyn.test. (lags) */
extern char *prim_lock;	  /* DK_PRIMARY_SYNC_LOCK */

/*
 * ns2.dyn.test. (testzones/primary) serves a frozen copy of dyn.test.: it
 * lags behind every DNS UPDATE until secondary_sync(). A test that runs
 * `danekit rollover` (or a hook) after a publish calls secondary_sync()
 * first, unless the lag is what it tests: then it holds the lag with
 * secondary_hold() (no secondary_sync() of any test or process proceeds
 * until secondary_release()).
 */
void secondary_sync(void);
int secondary_hold(void);
void secondary_release(int fd);

/*
 * danekit publish --host @host SPECS to the primary (dyn.test.) with the
 * TSIG key, SPECS printf-style (e.g. "--add %s/cur.pem --ttl 60"); fails
 * the test unless it succeeds. publish_ok() then lets ns2 catch up.
 */
void publish_ok(const char *host, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void publish_nosync(const char *host, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The danekit binary ($DANEKIT). */
const char *danekit(void);

/* A fresh temporary folder, malloc()ed path. */
char *tmpdir(void);

/* rm -rf @dir and free it. */
void tmpdir_free(char *dir);

/* Does @path exist? */
int exists(const char *path);

/* Sign @csr with the lab intermediate into @cert (leaf) and @full (leaf +
 * intermediate). 0 or -1. */
int lab_sign(const char *csr, const char *cert, const char *full);

/* Start `openssl s_server` with @cert/@key on 127.0.0.1; returns its pid
 * and the port in *@port, or -1. s_server sends the first certificate of
 * @cert only. */
int tls_server_start(const char *cert, const char *key, int *port);
/* The same, sending the certificates of @chain after the leaf
 * (s_server -cert_chain); @chain NULL: the leaf only. */
int tls_server_start_chain(const char *cert, const char *key, const char *chain,
			   int *port);
void tls_server_stop(int pid);

/*
 * Association data computed by the openssl command line (never by
 * danekit), as lower-case hex, malloc()ed; the test fails if openssl
 * does. @path is a PEM certificate (its first one) or a PEM key.
 *   openssl_spki_sha256: SHA-256 of the SubjectPublicKeyInfo (x 1 1)
 *   openssl_spki_der:    the SubjectPublicKeyInfo itself (x 1 0)
 *   openssl_cert_der:    the certificate itself (x 0 0)
 */
char *openssl_spki_sha256(const char *path);
char *openssl_spki_der(const char *path);
char *openssl_cert_der(const char *path);

/*
 * A DNS UPDATE of dyn.test. on the primary with nsupdate(1), signed with
 * the lab's TSIG key: @lines are nsupdate commands ("update add ...").
 * Fails the test when nsupdate does.
 */
void primary_nsupdate(const char *lines);

#endif
