/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The tlsa module as a library: association data of every input against
 * openssl's (expected.tsv), chains, matching, parsing, printing, the
 * RFC 7218 mnemonics, and invalid arguments.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include <danekit/tlsa.h>

#include "helpers.h"

/* ---- association data: every input x usage x selector x mtype ---- */

static int kind_of(const char *name)
{
	if (strcmp(name, "cert") == 0) {
		return DK_INPUT_CERTS;
	}
	if (strcmp(name, "privkey") == 0) {
		return DK_INPUT_PRIVKEY;
	}
	if (strcmp(name, "pubkey") == 0) {
		return DK_INPUT_PUBKEY;
	}
	if (strcmp(name, "csr") == 0) {
		return DK_INPUT_CSR;
	}
	cr_assert_fail("unknown kind %s", name);
	return 0;
}

/* The data of @t is that of row @r. */
static void d_hex_eq(const struct dk_tlsa *t, const struct fx_row *r)
{
	size_t len;
	const uint8_t *d = dk_tlsa_data(t, &len);
	char *hex = fx_hex(d, len);

	cr_assert_str_eq(hex, r->hex, "%s %d %d %d: wrong data", r->file,
			 r->usage, r->selector, r->mtype);
	free(hex);
}

/* Check every row of the files whose name starts with @prefix. */
static void check_matrix(const char *prefix, size_t min_files)
{
	size_t n, checked = 0, files = 0;
	const struct fx_row *rows = fx_rows(&n);
	const char *last = NULL;
	struct dk_input *in = NULL, *in_mem = NULL;

	for (size_t i = 0; i < n; i++) {
		const struct fx_row *r = &rows[i];
		struct dk_diag diag = { "" };
		struct dk_tlsa *t = NULL, *t2 = NULL;
		int rc;

		if (strncmp(r->file, prefix, strlen(prefix)) != 0) {
			continue;
		}
		if (!last || strcmp(last, r->file) != 0) {
			char *path = fx_path(r->file);
			size_t len;
			char *buf = fx_slurp(path, &len);

			dk_input_free(in);
			dk_input_free(in_mem);
			in = in_mem = NULL;
			rc = dk_input_read_file(path, &in, &diag);
			cr_assert_eq(rc, 0, "%s: %s (%s)", r->file,
				     dk_strerror(rc), diag.why);
			cr_assert_not_null(buf);
			rc = dk_input_load((const uint8_t *)buf, len, &in_mem,
					   &diag);
			cr_assert_eq(rc, 0, "%s (memory): %s", r->file,
				     diag.why);
			free(buf);
			free(path);
			cr_assert_eq((int)dk_input_kind(in), kind_of(r->kind),
				     "%s: kind %d, expected %s", r->file,
				     dk_input_kind(in), r->kind);
			cr_assert_eq(dk_input_kind(in_mem), dk_input_kind(in));
			cr_assert_eq((int)dk_input_cert_count(in),
				     fx_ncerts(r->file), "%s: %zu certificates",
				     r->file, dk_input_cert_count(in));
			cr_assert_not_null(dk_input_get0_pubkey(in));
			last = r->file;
			files++;
		}
		rc = dk_tlsa_make(in, (uint8_t)r->usage, (uint8_t)r->selector,
				  (uint8_t)r->mtype, -1, &t, &diag);
		if ((r->usage == 0 || r->usage == 2) && fx_lone_leaf(r->file)) {
			/* a lone leaf names no trust anchor: refused, unless
			 * the certificate is picked by its index */
			cr_assert_eq(rc, DK_EDATA, "%s %d %d %d: %d", r->file,
				     r->usage, r->selector, r->mtype, rc);
			cr_assert_null(t);
			cr_assert(strstr(diag.why, "needs the issuing CA"),
				  "%s: '%s'", r->file, diag.why);
			rc = dk_tlsa_make(in, (uint8_t)r->usage,
					  (uint8_t)r->selector,
					  (uint8_t)r->mtype, 0, &t, &diag);
			cr_assert_eq(rc, 0, "%s: %s", r->file, diag.why);
			d_hex_eq(t, r);
			dk_tlsa_free(t);
			checked++;
			continue;
		}
		if (strcmp(r->hex, "-") == 0) {
			cr_assert_eq(rc, DK_ESELECTOR,
				     "%s %d %d %d: %d, expected DK_ESELECTOR",
				     r->file, r->usage, r->selector, r->mtype,
				     rc);
			cr_assert_null(t);
			cr_assert(strstr(diag.why, "selector 0") &&
					  strstr(diag.why, "public key"),
				  "%s: the reason does not say why: '%s'",
				  r->file, diag.why);
		} else {
			size_t len;
			const uint8_t *d;
			char *hex;

			cr_assert_eq(rc, 0, "%s %d %d %d: %s (%s)", r->file,
				     r->usage, r->selector, r->mtype,
				     dk_strerror(rc), diag.why);
			cr_assert_eq(dk_tlsa_usage(t), r->usage);
			cr_assert_eq(dk_tlsa_selector(t), r->selector);
			cr_assert_eq(dk_tlsa_mtype(t), r->mtype);
			d = dk_tlsa_data(t, &len);
			hex = fx_hex(d, len);
			cr_assert_str_eq(hex, r->hex, "%s %d %d %d: wrong data",
					 r->file, r->usage, r->selector,
					 r->mtype);
			free(hex);
			/* the same from memory */
			rc = dk_tlsa_make(in_mem, (uint8_t)r->usage,
					  (uint8_t)r->selector,
					  (uint8_t)r->mtype, -1, &t2, NULL);
			cr_assert_eq(rc, 0);
			cr_assert_eq(dk_tlsa_cmp(t, t2), 0);
			dk_tlsa_free(t2);
		}
		dk_tlsa_free(t);
		checked++;
	}
	dk_input_free(in);
	dk_input_free(in_mem);
	cr_assert_geq(files, min_files, "only %zu files with prefix %s", files,
		      prefix);
	cr_assert_eq(checked, files * 24);
}

Test(lib_make, rsa)
{
	check_matrix("rsa.", 11);
}
Test(lib_make, p256)
{
	check_matrix("p256.", 10);
}
Test(lib_make, p384)
{
	check_matrix("p384.", 10);
}
Test(lib_make, p521)
{
	check_matrix("p521.", 10);
}
Test(lib_make, ed25519)
{
	check_matrix("ed25519.", 8);
}
Test(lib_make, ed448)
{
	check_matrix("ed448.", 8);
}
Test(lib_make, chain_certs)
{
	check_matrix("leaf.", 2);
}
Test(lib_make, chain_bundle)
{
	check_matrix("chain", 2);
}
Test(lib_make, combined_key_and_cert)
{
	check_matrix("combo.", 1);
}

/* --cert-index: certificate N of the chain for every usage. */
Test(lib_make, cert_index)
{
	static const struct {
		const char *chain;
		int idx;
		const char *cert;
	} t[] = {
		{ "chain.pem", 0, "leaf.crt.pem" },
		{ "chain.pem", 1, "int.crt.pem" },
		{ "chain.pem", 2, "ca.crt.pem" },
		{ "chain2.pem", 0, "leaf.crt.pem" },
		{ "chain2.pem", 1, "int.crt.pem" },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char *path = fx_path(t[i].chain);
		struct dk_input *in = NULL;

		cr_assert_eq(dk_input_read_file(path, &in, NULL), 0);
		for (int u = 0; u < 4; u++) {
			for (int s = 0; s < 2; s++) {
				for (int m = 0; m < 3; m++) {
					const struct fx_row *r =
						fx_find(t[i].cert, u, s, m);
					struct dk_tlsa *tl = NULL;
					size_t len;
					char *hex;

					cr_assert_not_null(r);
					cr_assert_eq(
						dk_tlsa_make(
							in, (uint8_t)u,
							(uint8_t)s, (uint8_t)m,
							t[i].idx, &tl, NULL),
						0);
					const uint8_t *d =
						dk_tlsa_data(tl, &len);

					hex = fx_hex(d, len);
					cr_assert_str_eq(
						hex, r->hex,
						"%s index %d: %d %d %d",
						t[i].chain, t[i].idx, u, s, m);
					free(hex);
					dk_tlsa_free(tl);
				}
			}
		}
		/* one past the end */
		{
			struct dk_diag diag = { "" };
			struct dk_tlsa *tl = NULL;
			int n = fx_ncerts(t[i].chain);

			cr_assert_eq(dk_tlsa_make(in, 3, 1, 1, n, &tl, &diag),
				     DK_ERANGE);
			cr_assert_null(tl);
			cr_assert(strstr(diag.why, "out of range"), "%s",
				  diag.why);
			cr_assert_eq(
				dk_tlsa_make(in, 2, 0, 1, 1000000, &tl, NULL),
				DK_ERANGE);
		}
		dk_input_get0_cert(in, 0);
		cr_assert_null(
			dk_input_get0_cert(in, (size_t)fx_ncerts(t[i].chain)));
		dk_input_free(in);
		free(path);
	}
}

Test(lib_make, cert_index_of_key_and_single_cert)
{
	struct dk_input *in = NULL;
	struct dk_tlsa *t = NULL;
	char *key = fx_path("p256.key.pem");
	char *crt = fx_path("p256.crt.pem");
	struct dk_diag diag = { "" };

	cr_assert_eq(dk_input_read_file(key, &in, NULL), 0);
	cr_assert_eq(dk_tlsa_make(in, 3, 1, 1, 0, &t, NULL), 0);
	dk_tlsa_free(t);
	t = NULL;
	cr_assert_eq(dk_tlsa_make(in, 3, 1, 1, 1, &t, &diag), DK_ERANGE);
	cr_assert_null(t);
	cr_assert(strstr(diag.why, "private key"), "%s", diag.why);
	dk_input_free(in);
	in = NULL;
	cr_assert_eq(dk_input_read_file(crt, &in, NULL), 0);
	cr_assert_eq(dk_tlsa_make(in, 3, 1, 1, 1, &t, NULL), DK_ERANGE);
	cr_assert_eq(dk_tlsa_make(in, 0, 0, 0, 0, &t, NULL), 0);
	dk_tlsa_free(t);
	dk_input_free(in);
	free(key);
	free(crt);
}

Test(lib_make, fields_out_of_range)
{
	struct dk_input *in = NULL;
	struct dk_tlsa *t = NULL;
	char *crt = fx_path("p256.crt.pem");
	struct dk_diag diag = { "" };

	cr_assert_eq(dk_input_read_file(crt, &in, NULL), 0);
	cr_assert_eq(dk_tlsa_make(in, 4, 1, 1, -1, &t, &diag), DK_ERANGE);
	cr_assert(strstr(diag.why, "RFC 6698"), "%s", diag.why);
	cr_assert_eq(dk_tlsa_make(in, 255, 1, 1, -1, &t, NULL), DK_ERANGE);
	cr_assert_eq(dk_tlsa_make(in, 3, 2, 1, -1, &t, NULL), DK_ERANGE);
	cr_assert_eq(dk_tlsa_make(in, 3, 1, 3, -1, &t, NULL), DK_ERANGE);
	cr_assert_null(t);
	dk_input_free(in);
	free(crt);
}

/* dk_tlsa_assoc_data against openssl, straight from the X509/EVP_PKEY. */
Test(lib_make, assoc_data)
{
	struct dk_input *in = NULL;
	char *crt = fx_path("rsa.crt.pem");

	cr_assert_eq(dk_input_read_file(crt, &in, NULL), 0);
	for (int s = 0; s < 2; s++) {
		for (int m = 0; m < 3; m++) {
			uint8_t *d = NULL;
			size_t len = 0;
			char *hex;

			cr_assert_eq(dk_tlsa_assoc_data(
					     dk_input_get0_cert(in, 0), NULL,
					     (uint8_t)s, (uint8_t)m, &d, &len),
				     0);
			hex = fx_hex(d, len);
			cr_assert_str_eq(hex,
					 fx_find("rsa.crt.pem", 3, s, m)->hex);
			free(hex);
			free(d);
			if (s == 1) {
				cr_assert_eq(dk_tlsa_assoc_data(
						     NULL,
						     dk_input_get0_pubkey(in),
						     1, (uint8_t)m, &d, &len),
					     0);
				hex = fx_hex(d, len);
				cr_assert_str_eq(
					hex,
					fx_find("rsa.pub.der", 3, 1, m)->hex);
				free(hex);
				free(d);
			}
		}
	}
	dk_input_free(in);
	free(crt);
}

/* ---- inputs: kinds, bad inputs ---- */

Test(lib_input, kind_names)
{
	cr_assert_str_eq(dk_input_kind_name(DK_INPUT_CSR), "CSR");
	cr_assert_str_eq(dk_input_kind_name(DK_INPUT_PRIVKEY), "private key");
	cr_assert_str_eq(dk_input_kind_name(DK_INPUT_PUBKEY), "public key");
	cr_assert_not_null(dk_input_kind_name(DK_INPUT_CERTS));
	cr_assert_str_eq(dk_input_kind_name((enum dk_input_kind)0), "unknown");
	cr_assert_str_eq(dk_input_kind_name((enum dk_input_kind)99), "unknown");
}

static void expect_bad(const char *rel, int want, const char *why_part)
{
	char *path = fx_path(rel);
	struct dk_input *in = (struct dk_input *)0x1;
	struct dk_diag diag = { "" };
	int rc = dk_input_read_file(path, &in, &diag);

	cr_assert_eq(rc, want, "%s: %d (%s), expected %d (%s)", rel, rc,
		     dk_strerror(rc), want, dk_strerror(want));
	cr_assert_eq(in, (struct dk_input *)0x1,
		     "%s: output touched on failure", rel);
	cr_assert(diag.why[0], "%s: no reason given", rel);
	cr_assert_null(strchr(diag.why, '\n'), "%s: reason is not one line",
		       rel);
	if (why_part) {
		cr_assert(strcasestr(diag.why, why_part),
			  "%s: reason '%s' does not mention '%s'", rel,
			  diag.why, why_part);
	}
	free(path);
}

Test(lib_input, bad_files)
{
	expect_bad("bad/missing.pem", DK_ENOENT, NULL);
	expect_bad("bad/missing-dir/x.pem", DK_ENOENT, NULL);
	expect_bad("bad/dir", DK_EISDIR, "directory");
	expect_bad("bad/empty.pem", DK_EEMPTY, "empty");
	expect_bad("bad/truncated.pem", DK_EDATA, NULL);
	expect_bad("bad/truncated-chain.pem", DK_EDATA, "block 2");
	expect_bad("bad/corrupt-base64.pem", DK_EDATA, NULL);
	expect_bad("bad/corrupt-der.pem", DK_EDATA, "certificate");
	expect_bad("bad/unknown-label.pem", DK_EDATA, "FOO");
	expect_bad("bad/truncated.der", DK_EDATA, NULL);
	expect_bad("bad/trailing.der", DK_EDATA, NULL);
	expect_bad("bad/trailing.pem", DK_EDATA, "block 1");
	expect_bad("bad/random.bin", DK_EDATA, NULL);
	expect_bad("bad/text.txt", DK_EDATA, NULL);
	expect_bad("bad/big.bin", DK_ETOOBIG, "limit");
	expect_bad("bad/encrypted.pem", DK_EENCRYPTED, "encrypted");
	expect_bad("bad/encrypted.der", DK_EENCRYPTED, "encrypted");
	expect_bad("bad/encrypted-trad.pem", DK_EENCRYPTED, "encrypted");
	expect_bad("bad/two-keys.pem", DK_EDATA, "second key");
}

Test(lib_input, bad_memory)
{
	struct dk_input *in = NULL;
	struct dk_diag diag = { "" };
	static const char foo[] =
		"-----BEGIN FOO-----\nAAAA\n-----END FOO-----\n";
	static const char noblock[] = "-----BEGIN CERTIFICATE";
	uint8_t *big = calloc(1, DK_INPUT_MAX + 1);

	cr_assert_eq(dk_input_load((const uint8_t *)"", 0, &in, &diag),
		     DK_EEMPTY);
	cr_assert_eq(dk_input_load(NULL, 0, &in, &diag), DK_EEMPTY);
	cr_assert_eq(dk_input_load((const uint8_t *)foo, sizeof(foo) - 1, &in,
				   &diag),
		     DK_EDATA);
	cr_assert(strstr(diag.why, "FOO"));
	cr_assert_eq(dk_input_load((const uint8_t *)noblock,
				   sizeof(noblock) - 1, &in, &diag),
		     DK_EDATA);
	cr_assert_eq(dk_input_load((const uint8_t *)"\x30\x03\x02\x01\x01", 5,
				   &in, &diag),
		     DK_EDATA);
	cr_assert_not_null(big);
	cr_assert_eq(dk_input_load(big, DK_INPUT_MAX + 1, &in, &diag),
		     DK_ETOOBIG);
	cr_assert_null(in);
	free(big);
}

/* Certificates in a bundle keep their order. */
Test(lib_input, chain_order)
{
	char *path = fx_path("chain.pem");
	struct dk_input *in = NULL;
	static const char *const certs[] = { "leaf.crt.pem", "int.crt.pem",
					     "ca.crt.pem" };

	cr_assert_eq(dk_input_read_file(path, &in, NULL), 0);
	cr_assert_eq(dk_input_cert_count(in), 3);
	for (size_t i = 0; i < 3; i++) {
		uint8_t *d = NULL;
		size_t len;
		char *hex;

		cr_assert_eq(dk_tlsa_assoc_data(dk_input_get0_cert(in, i), NULL,
						0, 1, &d, &len),
			     0);
		hex = fx_hex(d, len);
		cr_assert_str_eq(hex, fx_find(certs[i], 0, 0, 1)->hex,
				 "certificate %zu", i);
		free(hex);
		free(d);
	}
	cr_assert_null(dk_input_get0_cert(in, 3));
	dk_input_free(in);
	free(path);
}

/* ---- matching ---- */

static struct dk_tlsa *row_tlsa(const struct fx_row *r, int flip)
{
	size_t len;
	uint8_t *d = fx_unhex(r->hex, &len);
	struct dk_tlsa *t = NULL;

	cr_assert_not_null(d);
	if (flip) {
		d[len - 1] ^= 0x01;
	}
	cr_assert_eq(dk_tlsa_new((uint8_t)r->usage, (uint8_t)r->selector,
				 (uint8_t)r->mtype, d, len, &t),
		     0);
	free(d);
	return t;
}

Test(lib_match, every_row)
{
	size_t n, checked = 0;
	const struct fx_row *rows = fx_rows(&n);
	const char *last = NULL;
	struct dk_input *in = NULL;

	for (size_t i = 0; i < n; i++) {
		const struct fx_row *r = &rows[i];
		struct dk_tlsa *t;
		size_t depth = 12345, want_depth;
		int rc;

		if (strcmp(r->hex, "-") == 0) {
			continue;
		}
		if (!last || strcmp(last, r->file) != 0) {
			char *path = fx_path(r->file);

			dk_input_free(in);
			in = NULL;
			cr_assert_eq(dk_input_read_file(path, &in, NULL), 0);
			free(path);
			last = r->file;
		}
		want_depth = 0;
		if ((r->usage == 0 || r->usage == 2) &&
		    fx_ncerts(r->file) > 1) {
			want_depth = (size_t)fx_ncerts(r->file) - 1;
		}
		t = row_tlsa(r, 0);
		rc = dk_tlsa_match(t, in, &depth);
		cr_assert_eq(rc, 1, "%s %d %d %d: no match (%d)", r->file,
			     r->usage, r->selector, r->mtype, rc);
		cr_assert_eq(depth, want_depth, "%s %d %d %d: depth %zu",
			     r->file, r->usage, r->selector, r->mtype, depth);
		cr_assert_eq(dk_tlsa_match(t, in, NULL), 1);
		dk_tlsa_free(t);
		t = row_tlsa(r, 1);
		cr_assert_eq(dk_tlsa_match(t, in, NULL), 0,
			     "%s %d %d %d: a changed record still matches",
			     r->file, r->usage, r->selector, r->mtype);
		dk_tlsa_free(t);
		checked++;
	}
	dk_input_free(in);
	cr_assert_gt(checked, 900);
}

Test(lib_match, chain_depths)
{
	char *path = fx_path("chain.pem");
	char *keypath = fx_path("leaf.key.pem");
	struct dk_input *in = NULL, *key = NULL;
	struct dk_tlsa *t;
	size_t depth = 99;

	cr_assert_eq(dk_input_read_file(path, &in, NULL), 0);
	cr_assert_eq(dk_input_read_file(keypath, &key, NULL), 0);
	/* the intermediate: a TA usage matches at depth 1, an EE usage not */
	for (int u = 0; u < 4; u++) {
		struct fx_row r = *fx_find("int.crt.pem", u, 0, 1);

		t = row_tlsa(&r, 0);
		depth = 99;
		if (u == 0 || u == 2) {
			cr_assert_eq(dk_tlsa_match(t, in, &depth), 1,
				     "usage %d", u);
			cr_assert_eq(depth, 1);
		} else {
			cr_assert_eq(dk_tlsa_match(t, in, &depth), 0,
				     "usage %d", u);
			cr_assert_eq(depth, 99,
				     "depth written without a match");
		}
		dk_tlsa_free(t);
	}
	/* the leaf with a TA usage: depth 0 */
	{
		struct fx_row r = *fx_find("leaf.crt.pem", 2, 1, 2);

		t = row_tlsa(&r, 0);
		cr_assert_eq(dk_tlsa_match(t, in, &depth), 1);
		cr_assert_eq(depth, 0);
		/* the leaf's key matches SPKI records of the leaf */
		cr_assert_eq(dk_tlsa_match(t, key, &depth), 1);
		cr_assert_eq(depth, 0);
		dk_tlsa_free(t);
	}
	/* a key never matches a selector 0 record */
	{
		struct fx_row r = *fx_find("leaf.crt.pem", 3, 0, 1);

		t = row_tlsa(&r, 0);
		cr_assert_eq(dk_tlsa_match(t, key, NULL), 0);
		dk_tlsa_free(t);
	}
	/* unusable records match nothing (RFC 7671 section 4) */
	{
		const struct fx_row *r = fx_find("leaf.crt.pem", 3, 1, 1);
		size_t len;
		uint8_t *d = fx_unhex(r->hex, &len);

		cr_assert_eq(dk_tlsa_new(4, 1, 1, d, len, &t), 0);
		cr_assert_eq(dk_tlsa_match(t, in, NULL), 0);
		cr_assert_eq(dk_tlsa_match(t, key, NULL), 0);
		dk_tlsa_free(t);
		cr_assert_eq(dk_tlsa_new(3, 1, 3, d, len, &t), 0);
		cr_assert_eq(dk_tlsa_match(t, in, NULL), 0);
		dk_tlsa_free(t);
		/* wrong length */
		cr_assert_eq(dk_tlsa_new(3, 1, 1, d, len - 1, &t), 0);
		cr_assert_eq(dk_tlsa_match(t, in, NULL), 0);
		dk_tlsa_free(t);
		free(d);
	}
	dk_input_free(in);
	dk_input_free(key);
	free(path);
	free(keypath);
}

/* ---- the record: parse, format, wire ---- */

/* RFC 6698 section 2.3, first example. */
#define RFC_HEX \
	"d2abde240d7cd3ee6b4b28c54df034b97983a1d16e8a410e4561cb106618e971"

static struct dk_tlsa *parse_ok(const char *text, char **owner)
{
	struct dk_tlsa *t = NULL;
	struct dk_diag diag = { "" };
	int rc = dk_tlsa_parse(text, &t, owner, &diag);

	cr_assert_eq(rc, 0, "'%s': %s (%s)", text, dk_strerror(rc), diag.why);
	cr_assert_not_null(t);
	return t;
}

static void expect_fields(const struct dk_tlsa *t, int u, int s, int m,
			  const char *hex)
{
	size_t len;
	const uint8_t *d = dk_tlsa_data(t, &len);
	char *h = fx_hex(d, len);

	cr_assert_eq(dk_tlsa_usage(t), u);
	cr_assert_eq(dk_tlsa_selector(t), s);
	cr_assert_eq(dk_tlsa_mtype(t), m);
	cr_assert_str_eq(h, hex);
	free(h);
}

Test(lib_parse, rdata)
{
	static const char *const texts[] = {
		"0 0 1 " RFC_HEX,
		"0 0 1 " RFC_HEX "\n",
		"  0\t0  1 " RFC_HEX "\r\n",
		"PKIX-TA Cert SHA2-256 " RFC_HEX,
		"pkix-ta cert sha2-256 " RFC_HEX,
		"PKIX-TA CERT Sha2-256 " RFC_HEX,
		"0 0 1 "
		"D2ABDE240D7CD3EE6B4B28C54DF034B97983A1D16E8A410E4561CB106618E9"
		"71",
	};

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		char *owner = (char *)0x1;
		struct dk_tlsa *t = parse_ok(texts[i], &owner);

		expect_fields(t, 0, 0, 1, RFC_HEX);
		cr_assert_null(owner, "'%s': rdata alone has no owner",
			       texts[i]);
		dk_tlsa_free(t);
	}
}

Test(lib_parse, mnemonics_every_value)
{
	static const char *const u[] = { "PKIX-TA", "PKIX-EE", "DANE-TA",
					 "DANE-EE" };
	static const char *const s[] = { "Cert", "SPKI" };
	static const char *const m[] = { "Full", "SHA2-256", "SHA2-512" };

	for (int a = 0; a < 4; a++) {
		for (int b = 0; b < 2; b++) {
			for (int c = 0; c < 3; c++) {
				char text[256];
				struct dk_tlsa *t;

				snprintf(text, sizeof(text),
					 "%s %s %s abcdef01", u[a], s[b], m[c]);
				t = parse_ok(text, NULL);
				expect_fields(t, a, b, c, "abcdef01");
				dk_tlsa_free(t);
			}
		}
	}
}

Test(lib_parse, rr_lines)
{
	static const char *const texts[] = {
		"_25._tcp.mail.example.com. 3600 IN TLSA 3 1 1 " RFC_HEX,
		"_25._tcp.mail.example.com. IN TLSA 3 1 1 " RFC_HEX,
		"_25._tcp.mail.example.com. 3600 IN TLSA DANE-EE SPKI "
		"SHA2-256 " RFC_HEX,
		"_25._tcp.mail.example.com.\t3600\tIN\tTLSA\tdane-ee spki "
		"sha2-256 " RFC_HEX,
		"_25._tcp.mail.example.com. 3600 IN tlsa 3 1 1 " RFC_HEX,
		/* RFC 3597 generic forms */
		"_25._tcp.mail.example.com. 3600 IN TYPE52 \\# 35 "
		"030101" RFC_HEX,
		"_25._tcp.mail.example.com. 3600 IN TLSA \\# 35 030101" RFC_HEX,
		"_25._tcp.mail.example.com. 3600 CLASS1 TYPE52 \\# 35 "
		"030101" RFC_HEX,
	};

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		char *owner = NULL;
		struct dk_tlsa *t = parse_ok(texts[i], &owner);

		expect_fields(t, 3, 1, 1, RFC_HEX);
		cr_assert_not_null(owner, "'%s'", texts[i]);
		cr_assert_str_eq(owner, "_25._tcp.mail.example.com.", "'%s'",
				 texts[i]);
		free(owner);
		dk_tlsa_free(t);
	}
}

Test(lib_parse, bad)
{
	static const char *const texts[] = {
		"",
		"\n",
		"3 1 1",
		"3 1 1 abc", /* odd number of digits */
		"3 1 1 ab c",
		"_25._tcp.example.com. 3600 IN TLSA 3 1 1 abcde",
		"3 1 1 zz",
		"4x 1 1 ab",
		"DANE-XX 1 1 ab",
		"3 SPKIX 1 ab",
		"3 1 SHA2-384 ab",
		"256 1 1 ab",
		"3 1 1 ab\n3 1 1 cd", /* two lines */
		"example.com. 3600 IN A 192.0.2.1",
		"example.com. 3600 IN TXT \"3 1 1 ab\"",
		"_25._tcp.example.com. 3600 IN TLSA 3 1",
		"_25._tcp.example.com. 3600 IN TLSA DANE-XX 1 1 ab",
		"_25._tcp.example.com. 3600 IN TYPE52 \\# 2 0301",
		"_25._tcp.example.com. 3600 IN TYPE52 \\# 5 030101",
		"garbage",
		"_25._tcp.b\xc3\xbc.example. 3600 IN TLSA 3 1 1 ab", /* 8-bit */
		"3 1 1 ab\x01"
		"cd",				    /* control character */
		"example. 3600 IN CERT 0 0 0 AA==", /* another type */
	};

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		struct dk_tlsa *t = (struct dk_tlsa *)0x1;
		struct dk_diag diag = { "" };
		int rc = dk_tlsa_parse(texts[i], &t, NULL, &diag);

		cr_assert_eq(rc, DK_EDATA, "'%s' gave %d, expected DK_EDATA",
			     texts[i], rc);
		cr_assert_eq(t, (struct dk_tlsa *)0x1, "'%s': output touched",
			     texts[i]);
		cr_assert(diag.why[0], "'%s': no reason", texts[i]);
	}
}

/* Fields above the defined values still parse (a record may carry them). */
Test(lib_parse, unassigned_values)
{
	struct dk_tlsa *t = parse_ok("255 254 253 00", NULL);

	expect_fields(t, 255, 254, 253, "00");
	dk_tlsa_free(t);
}

Test(lib_parse, long_data)
{
	const struct fx_row *r = fx_find("rsa.crt.pem", 3, 0, 0);
	char *text = NULL;
	struct dk_tlsa *t;

	cr_assert(asprintf(&text,
			   "_443._tcp.www.example.org. 300 IN TLSA 3 0 0 %s",
			   r->hex) > 0);
	t = parse_ok(text, NULL);
	expect_fields(t, 3, 0, 0, r->hex);
	dk_tlsa_free(t);
	free(text);
}

static char *format_ok(const struct dk_tlsa *t, enum dk_tlsa_format f,
		       const char *owner, uint32_t ttl)
{
	char *s = NULL;
	int rc = dk_tlsa_format(t, f, owner, ttl, &s);

	cr_assert_eq(rc, 0, "format %d: %s", f, dk_strerror(rc));
	cr_assert_not_null(s);
	cr_assert_null(strchr(s, '\n'), "format %d: '%s' has a newline", f, s);
	return s;
}

/* Every format, exact line, for SHA-256, SHA-512 and full data. */
Test(lib_format, exact_lines)
{
	static const char *const files[] = { "p256.crt.pem", "ed448.pub.der",
					     "rsa.crt.der", "chain.pem" };
	static const char owner[] = "_25._tcp.mail.example.com.";

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		for (int u = 0; u < 4; u++) {
			for (int s = 0; s < 2; s++) {
				for (int m = 0; m < 3; m++) {
					const struct fx_row *r =
						fx_find(files[i], u, s, m);
					struct dk_tlsa *t;
					char *want = NULL, *got;
					size_t len = strlen(r->hex) / 2;

					if (strcmp(r->hex, "-") == 0) {
						continue;
					}
					t = row_tlsa(r, 0);
					got = format_ok(t, DK_TLSA_FMT_RDATA,
							NULL, 0);
					cr_assert(asprintf(&want, "%d %d %d %s",
							   u, s, m,
							   r->hex) > 0);
					cr_assert_str_eq(got, want);
					free(got);
					free(want);

					got = format_ok(t, DK_TLSA_FMT_ZONE,
							owner, 3600);
					cr_assert(asprintf(&want,
							   "%s 3600 IN TLSA %d "
							   "%d %d %s",
							   owner, u, s, m,
							   r->hex) > 0);
					cr_assert_str_eq(got, want);
					free(got);
					free(want);

					got = format_ok(t, DK_TLSA_FMT_GENERIC,
							owner, 3600);
					cr_assert(asprintf(&want,
							   "%s 3600 IN TYPE52 "
							   "\\# %zu "
							   "%02x%02x%02x%s",
							   owner, len + 3, u, s,
							   m, r->hex) > 0);
					cr_assert_str_eq(got, want);
					free(got);
					free(want);

					got = format_ok(t, DK_TLSA_FMT_NSUPDATE,
							owner, 3600);
					cr_assert(
						asprintf(
							&want,
							"update add %s 3600 IN "
							"TLSA %d %d %d %s",
							owner, u, s, m,
							r->hex) > 0);
					cr_assert_str_eq(got, want);
					free(got);
					free(want);
					dk_tlsa_free(t);
				}
			}
		}
	}
}

Test(lib_format, issue_example)
{
	struct dk_tlsa *t = parse_ok("3 1 1 " RFC_HEX, NULL);
	char *s;

	s = format_ok(t, DK_TLSA_FMT_ZONE, "_25._tcp.mail.example.com.", 3600);
	cr_assert_str_eq(
		s, "_25._tcp.mail.example.com. 3600 IN TLSA 3 1 1 " RFC_HEX);
	free(s);
	s = format_ok(t, DK_TLSA_FMT_GENERIC, "_25._tcp.mail.example.com.",
		      3600);
	cr_assert_str_eq(s, "_25._tcp.mail.example.com. 3600 IN TYPE52 \\# 35 "
			    "030101" RFC_HEX);
	free(s);
	s = format_ok(t, DK_TLSA_FMT_NSUPDATE, "_25._tcp.mail.example.com.", 0);
	cr_assert_str_eq(s, "update add _25._tcp.mail.example.com. 0 IN TLSA 3 "
			    "1 1 " RFC_HEX);
	free(s);
	s = format_ok(t, DK_TLSA_FMT_RDATA, NULL, 0);
	cr_assert_str_eq(s, "3 1 1 " RFC_HEX);
	free(s);
	s = format_ok(t, DK_TLSA_FMT_ZONE, "_443._tcp.www.example.org.",
		      2147483647);
	cr_assert_str_eq(
		s,
		"_443._tcp.www.example.org. 2147483647 IN TLSA 3 1 1 " RFC_HEX);
	free(s);
	dk_tlsa_free(t);
}

/* What dk_tlsa_format prints, dk_tlsa_parse reads back. */
Test(lib_format, round_trip)
{
	size_t n;
	const struct fx_row *rows = fx_rows(&n);
	size_t checked = 0;

	for (size_t i = 0; i < n; i += 5) {
		const struct fx_row *r = &rows[i];
		struct dk_tlsa *t;

		if (strcmp(r->hex, "-") == 0) {
			continue;
		}
		t = row_tlsa(r, 0);
		for (int f = DK_TLSA_FMT_RDATA; f <= DK_TLSA_FMT_NSUPDATE;
		     f++) {
			char *s = format_ok(t, (enum dk_tlsa_format)f,
					    "_25._tcp.mx.example.net.", 300);
			const char *text = s;
			char *owner = NULL;
			struct dk_tlsa *back;

			if (f == DK_TLSA_FMT_NSUPDATE) {
				cr_assert(strncmp(s, "update add ", 11) == 0);
				text += 11;
			}
			back = parse_ok(text, &owner);
			cr_assert_eq(dk_tlsa_cmp(t, back), 0, "'%s'", s);
			if (f == DK_TLSA_FMT_RDATA) {
				cr_assert_null(owner);
			} else {
				cr_assert_str_eq(owner,
						 "_25._tcp.mx.example.net.");
			}
			free(owner);
			dk_tlsa_free(back);
			free(s);
		}
		dk_tlsa_free(t);
		checked++;
	}
	cr_assert_gt(checked, 100);
}

Test(lib_format, wire)
{
	static const uint8_t rdata[] = { 3, 1, 1, 0xde, 0xad, 0xbe, 0xef };
	struct dk_tlsa *t = NULL, *t2 = NULL;
	uint8_t *w = NULL;
	size_t len = 0;
	char *s;

	cr_assert_eq(dk_tlsa_from_wire(rdata, sizeof(rdata), &t), 0);
	expect_fields(t, 3, 1, 1, "deadbeef");
	cr_assert_eq(dk_tlsa_to_wire(t, &w, &len), 0);
	cr_assert_eq(len, sizeof(rdata));
	cr_assert_arr_eq(w, rdata, sizeof(rdata));
	free(w);
	cr_assert_eq(dk_tlsa_from_wire(rdata, 3, &t2), 0);
	cr_assert_eq(dk_tlsa_data(t2, &len) != NULL, 1);
	cr_assert_eq(len, 0);
	dk_tlsa_free(t2);
	cr_assert_eq(dk_tlsa_from_wire(rdata, 2, &t2), DK_EDATA);
	s = format_ok(t, DK_TLSA_FMT_GENERIC, "example.", 60);
	cr_assert_str_eq(s, "example. 60 IN TYPE52 \\# 7 030101deadbeef");
	free(s);
	dk_tlsa_free(t);
}

Test(lib_format, new_dup_cmp)
{
	static const uint8_t a[] = { 1, 2, 3 }, b[] = { 1, 2, 4 };
	struct dk_tlsa *x = NULL, *y = NULL, *z = NULL, *d;

	cr_assert_eq(dk_tlsa_new(3, 1, 1, a, sizeof(a), &x), 0);
	cr_assert_eq(dk_tlsa_new(3, 1, 1, b, sizeof(b), &y), 0);
	cr_assert_eq(dk_tlsa_new(3, 1, 1, a, 2, &z), 0);
	d = dk_tlsa_dup(x);
	cr_assert_not_null(d);
	cr_assert_neq(d, x);
	cr_assert_eq(dk_tlsa_cmp(x, d), 0);
	cr_assert_lt(dk_tlsa_cmp(x, y), 0);
	cr_assert_gt(dk_tlsa_cmp(y, x), 0);
	cr_assert_gt(dk_tlsa_cmp(x, z), 0); /* longer after its prefix */
	cr_assert_lt(dk_tlsa_cmp(z, x), 0);
	dk_tlsa_free(y);
	cr_assert_eq(dk_tlsa_new(2, 1, 1, b, sizeof(b), &y), 0);
	cr_assert_gt(dk_tlsa_cmp(x, y), 0); /* usage first */
	dk_tlsa_free(y);
	cr_assert_eq(dk_tlsa_new(3, 0, 2, b, sizeof(b), &y), 0);
	cr_assert_gt(dk_tlsa_cmp(x, y), 0); /* then selector */
	dk_tlsa_free(y);
	cr_assert_eq(dk_tlsa_new(3, 1, 2, a, 1, &y), 0);
	cr_assert_lt(dk_tlsa_cmp(x, y), 0); /* then mtype */
	dk_tlsa_free(y);
	/* the data is copied */
	{
		uint8_t buf[2] = { 9, 9 };

		cr_assert_eq(dk_tlsa_new(3, 1, 1, buf, 2, &y), 0);
		buf[0] = 0;
		expect_fields(y, 3, 1, 1, "0909");
		dk_tlsa_free(y);
	}
	cr_assert_eq(dk_tlsa_new(3, 1, 1, NULL, 0, &y), 0);
	dk_tlsa_free(y);
	dk_tlsa_free(x);
	dk_tlsa_free(z);
	dk_tlsa_free(d);
}

/* ---- RFC 7218 mnemonics ---- */

Test(lib_field, mnemonic_table)
{
	static const struct {
		enum dk_tlsa_field f;
		const char *name;
		int v;
	} t[] = {
		{ DK_TLSA_FIELD_USAGE, "PKIX-TA", 0 },
		{ DK_TLSA_FIELD_USAGE, "PKIX-EE", 1 },
		{ DK_TLSA_FIELD_USAGE, "DANE-TA", 2 },
		{ DK_TLSA_FIELD_USAGE, "DANE-EE", 3 },
		{ DK_TLSA_FIELD_SELECTOR, "Cert", 0 },
		{ DK_TLSA_FIELD_SELECTOR, "SPKI", 1 },
		{ DK_TLSA_FIELD_MTYPE, "Full", 0 },
		{ DK_TLSA_FIELD_MTYPE, "SHA2-256", 1 },
		{ DK_TLSA_FIELD_MTYPE, "SHA2-512", 2 },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char lower[32], upper[32], mixed[32];
		size_t k;

		for (k = 0; t[i].name[k]; k++) {
			lower[k] = (char)tolower((unsigned char)t[i].name[k]);
			upper[k] = (char)toupper((unsigned char)t[i].name[k]);
			mixed[k] = k % 2 ? lower[k] : upper[k];
		}
		lower[k] = upper[k] = mixed[k] = '\0';
		cr_assert_eq(dk_tlsa_field_parse(t[i].f, t[i].name), t[i].v,
			     "%s", t[i].name);
		cr_assert_eq(dk_tlsa_field_parse(t[i].f, lower), t[i].v, "%s",
			     lower);
		cr_assert_eq(dk_tlsa_field_parse(t[i].f, upper), t[i].v, "%s",
			     upper);
		cr_assert_eq(dk_tlsa_field_parse(t[i].f, mixed), t[i].v, "%s",
			     mixed);
		cr_assert_str_eq(dk_tlsa_field_name(t[i].f, (unsigned)t[i].v),
				 t[i].name);
		/* a mnemonic of one field is not valid for another */
		for (int g = 0; g < 3; g++) {
			if ((enum dk_tlsa_field)g != t[i].f) {
				cr_assert_eq(dk_tlsa_field_parse(
						     (enum dk_tlsa_field)g,
						     t[i].name),
					     DK_EINVAL, "%s as field %d",
					     t[i].name, g);
			}
		}
	}
	cr_assert_null(dk_tlsa_field_name(DK_TLSA_FIELD_USAGE, 4));
	cr_assert_null(dk_tlsa_field_name(DK_TLSA_FIELD_SELECTOR, 2));
	cr_assert_null(dk_tlsa_field_name(DK_TLSA_FIELD_MTYPE, 3));
	cr_assert_null(dk_tlsa_field_name(DK_TLSA_FIELD_MTYPE, 255));
	cr_assert_null(dk_tlsa_field_name((enum dk_tlsa_field)7, 0));
}

Test(lib_field, numbers)
{
	for (int f = 0; f < 3; f++) {
		char buf[8];

		for (int v = 0; v <= 255; v++) {
			snprintf(buf, sizeof(buf), "%d", v);
			cr_assert_eq(
				dk_tlsa_field_parse((enum dk_tlsa_field)f, buf),
				v);
		}
		cr_assert_eq(dk_tlsa_field_parse((enum dk_tlsa_field)f, "256"),
			     DK_EINVAL);
		cr_assert_eq(dk_tlsa_field_parse((enum dk_tlsa_field)f,
						 "99999999999999999999"),
			     DK_EINVAL);
		cr_assert_eq(dk_tlsa_field_parse((enum dk_tlsa_field)f, "-1"),
			     DK_EINVAL);
		cr_assert_eq(dk_tlsa_field_parse((enum dk_tlsa_field)f, "1x"),
			     DK_EINVAL);
		cr_assert_eq(dk_tlsa_field_parse((enum dk_tlsa_field)f, ""),
			     DK_EINVAL);
		cr_assert_eq(dk_tlsa_field_parse((enum dk_tlsa_field)f, " "),
			     DK_EINVAL);
		cr_assert_eq(dk_tlsa_field_parse((enum dk_tlsa_field)f, NULL),
			     DK_EINVAL);
	}
	cr_assert_eq(dk_tlsa_field_parse(DK_TLSA_FIELD_USAGE, "DANE_EE"),
		     DK_EINVAL);
	cr_assert_eq(dk_tlsa_field_parse(DK_TLSA_FIELD_USAGE, "DANE-EE "),
		     DK_EINVAL);
	cr_assert_eq(dk_tlsa_field_parse(DK_TLSA_FIELD_MTYPE, "SHA256"),
		     DK_EINVAL);
	cr_assert_eq(dk_tlsa_field_parse(DK_TLSA_FIELD_MTYPE, "SHA2-384"),
		     DK_EINVAL);
	cr_assert_eq(dk_tlsa_field_parse((enum dk_tlsa_field)3, "1"),
		     DK_EINVAL);
	cr_assert_eq(dk_tlsa_field_parse((enum dk_tlsa_field) - 1, "1"),
		     DK_EINVAL);
}

/* ---- host names and owner names ---- */

Test(lib_host, good)
{
	static const char *const ok[] = {
		"mail.example.com",
		"mail.example.com.",
		"a",
		"xn--bcher-kva.example",
		"_25._tcp.example",
		"a-b.c-d.e",
		"0.example",
		"MAIL.Example.COM",
	};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct dk_diag diag = { "" };

		cr_assert_eq(dk_tlsa_check_host(ok[i], &diag), 0, "%s: %s",
			     ok[i], diag.why);
	}
}

static char *repeat(char c, size_t n)
{
	char *s = malloc(n + 1);

	cr_assert(s);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

Test(lib_host, limits)
{
	char *l63 = repeat('a', 63), *l64 = repeat('a', 64);
	char name[512];
	struct dk_diag diag = { "" };

	snprintf(name, sizeof(name), "%s.example", l63);
	cr_assert_eq(dk_tlsa_check_host(name, NULL), 0);
	snprintf(name, sizeof(name), "%s.example", l64);
	cr_assert_eq(dk_tlsa_check_host(name, &diag), DK_EDATA);
	cr_assert(strstr(diag.why, "63"), "%s", diag.why);
	/* 253 octets in all: 4 labels of 63 + dots = 255; shorten */
	snprintf(name, sizeof(name), "%s.%s.%s.%.61s", l63, l63, l63, l63);
	cr_assert_eq(strlen(name), 253);
	cr_assert_eq(dk_tlsa_check_host(name, NULL), 0);
	strcat(name, ".");
	cr_assert_eq(dk_tlsa_check_host(name, NULL), 0, "trailing dot");
	snprintf(name, sizeof(name), "%s.%s.%s.%.62s", l63, l63, l63, l63);
	cr_assert_eq(strlen(name), 254);
	cr_assert_eq(dk_tlsa_check_host(name, &diag), DK_EDATA);
	cr_assert(strstr(diag.why, "253"), "%s", diag.why);
	free(l63);
	free(l64);
}

Test(lib_host, bad)
{
	static const struct {
		const char *host;
		const char *why;
	} bad[] = {
		{ "", "empty" },
		{ ".", "empty label" },
		{ "a..b", "empty label" },
		{ ".example.com", "empty label" },
		{ "example.com..", "empty label" },
		{ "b\xc3\xbc"
		  "cher.example",
		  "A-label" },
		{ "\xe4\xbe\x8b.jp", "xn--" },
		{ "mail example.com", "character" },
		{ "mail/example.com", "character" },
		{ "mail@example.com", "character" },
		{ "-mail.example.com", "-" },
		{ "mail-.example.com", "-" },
		{ "mail.example-", "-" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct dk_diag diag = { "" };

		cr_assert_eq(dk_tlsa_check_host(bad[i].host, &diag), DK_EDATA,
			     "'%s' accepted", bad[i].host);
		cr_assert(strstr(diag.why, bad[i].why),
			  "'%s': reason '%s' lacks '%s'", bad[i].host, diag.why,
			  bad[i].why);
	}
}

Test(lib_host, owner)
{
	static const struct {
		const char *host;
		unsigned port;
		const char *proto;
		const char *want;
	} t[] = {
		{ "mail.example.com", 25, "tcp", "_25._tcp.mail.example.com." },
		{ "mail.example.com.", 25, "tcp",
		  "_25._tcp.mail.example.com." },
		{ "MAIL.Example.com", 443, "udp",
		  "_443._udp.mail.example.com." },
		{ "x", 65535, "sctp", "_65535._sctp.x." },
		{ "x", 1, "tcp", "_1._tcp.x." },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char *owner = NULL;

		cr_assert_eq(dk_tlsa_owner(t[i].host, t[i].port, t[i].proto,
					   &owner, NULL),
			     0);
		cr_assert_str_eq(owner, t[i].want);
		free(owner);
	}
	{
		char *owner = (char *)0x1;
		char *l63 = repeat('a', 63);
		char name[300];
		struct dk_diag diag = { "" };

		cr_assert_eq(dk_tlsa_owner("x", 0, "tcp", &owner, NULL),
			     DK_EINVAL);
		cr_assert_eq(dk_tlsa_owner("x", 65536, "tcp", &owner, NULL),
			     DK_EINVAL);
		cr_assert_eq(dk_tlsa_owner("x", 25, "TCP", &owner, NULL),
			     DK_EINVAL);
		cr_assert_eq(dk_tlsa_owner("x", 25, "icmp", &owner, NULL),
			     DK_EINVAL);
		cr_assert_eq(dk_tlsa_owner("a..b", 25, "tcp", &owner, &diag),
			     DK_EDATA);
		/* a valid host whose owner name would be too long */
		snprintf(name, sizeof(name), "%s.%s.%s.%.55s", l63, l63, l63,
			 l63);
		cr_assert_eq(dk_tlsa_check_host(name, NULL), 0);
		cr_assert_eq(dk_tlsa_owner(name, 25, "tcp", &owner, &diag),
			     DK_EDATA);
		cr_assert(strstr(diag.why, "253"), "%s", diag.why);
		cr_assert_eq(owner, (char *)0x1, "output touched on failure");
		free(l63);
	}
}

/* ---- invalid arguments of every public function ---- */

Test(lib_args, null_and_invalid)
{
	struct dk_tlsa *t = NULL, *out = (struct dk_tlsa *)0x1;
	struct dk_input *in = NULL, *iout = (struct dk_input *)0x1;
	char *crt = fx_path("p256.crt.pem");
	char *s = (char *)0x1;
	uint8_t *w = (uint8_t *)0x1;
	size_t len = 77;
	static const uint8_t data[] = { 1, 2, 3 };

	cr_assert_eq(dk_tlsa_new(3, 1, 1, data, 3, &t), 0);
	cr_assert_eq(dk_input_read_file(crt, &in, NULL), 0);

	/* fields */
	cr_assert_eq(dk_tlsa_field_parse(DK_TLSA_FIELD_USAGE, NULL), DK_EINVAL);
	cr_assert_null(dk_tlsa_field_name((enum dk_tlsa_field)42, 0));

	/* records */
	cr_assert_eq(dk_tlsa_new(3, 1, 1, data, 3, NULL), DK_EINVAL);
	cr_assert_eq(dk_tlsa_new(3, 1, 1, NULL, 3, &out), DK_EINVAL);
	cr_assert_eq(dk_tlsa_new(3, 1, 1, data, 65536, &out), DK_EINVAL);
	cr_assert_eq(out, (struct dk_tlsa *)0x1);
	dk_tlsa_free(NULL);
	cr_assert_null(dk_tlsa_dup(NULL));
	cr_assert_eq(dk_tlsa_usage(NULL), 0);
	cr_assert_eq(dk_tlsa_selector(NULL), 0);
	cr_assert_eq(dk_tlsa_mtype(NULL), 0);
	cr_assert_null(dk_tlsa_data(NULL, &len));
	cr_assert_eq(len, 0);
	cr_assert_null(dk_tlsa_data(NULL, NULL));
	cr_assert_not_null(dk_tlsa_data(t, NULL));
	cr_assert_eq(dk_tlsa_cmp(NULL, NULL), 0);
	cr_assert_lt(dk_tlsa_cmp(NULL, t), 0);
	cr_assert_gt(dk_tlsa_cmp(t, NULL), 0);

	cr_assert_eq(dk_tlsa_parse(NULL, &out, NULL, NULL), DK_EINVAL);
	cr_assert_eq(dk_tlsa_parse("3 1 1 ab", NULL, NULL, NULL), DK_EINVAL);
	cr_assert_eq(dk_tlsa_from_wire(NULL, 5, &out), DK_EINVAL);
	cr_assert_eq(dk_tlsa_from_wire(data, 3, NULL), DK_EINVAL);
	cr_assert_eq(dk_tlsa_to_wire(NULL, &w, &len), DK_EINVAL);
	cr_assert_eq(dk_tlsa_to_wire(t, NULL, &len), DK_EINVAL);
	cr_assert_eq(dk_tlsa_to_wire(t, &w, NULL), DK_EINVAL);
	cr_assert_eq(w, (uint8_t *)0x1);
	cr_assert_eq(out, (struct dk_tlsa *)0x1);

	cr_assert_eq(dk_tlsa_format(NULL, DK_TLSA_FMT_RDATA, NULL, 0, &s),
		     DK_EINVAL);
	cr_assert_eq(dk_tlsa_format(t, DK_TLSA_FMT_RDATA, NULL, 0, NULL),
		     DK_EINVAL);
	cr_assert_eq(dk_tlsa_format(t, DK_TLSA_FMT_ZONE, NULL, 0, &s),
		     DK_EINVAL);
	cr_assert_eq(dk_tlsa_format(t, DK_TLSA_FMT_GENERIC, NULL, 0, &s),
		     DK_EINVAL);
	cr_assert_eq(dk_tlsa_format(t, DK_TLSA_FMT_NSUPDATE, NULL, 0, &s),
		     DK_EINVAL);
	{
		char *l64 = repeat('a', 64), *bad = NULL;

		cr_assert(asprintf(&bad, "%s.example.", l64) > 0);
		cr_assert_eq(dk_tlsa_format(t, DK_TLSA_FMT_ZONE, bad, 0, &s),
			     DK_EINVAL, "bad owner name accepted");
		free(bad);
		free(l64);
	}
	cr_assert_eq(dk_tlsa_format(t, (enum dk_tlsa_format)4, "x.", 0, &s),
		     DK_EINVAL, "unknown format accepted");
	cr_assert_eq(dk_tlsa_format(t, (enum dk_tlsa_format) - 1, "x.", 0, &s),
		     DK_EINVAL, "unknown format accepted");
	cr_assert_eq(s, (char *)0x1, "output touched on failure");

	cr_assert_eq(dk_tlsa_check_host(NULL, NULL), DK_EINVAL);
	cr_assert_eq(dk_tlsa_check_owner(NULL, NULL), DK_EINVAL);
	cr_assert_eq(dk_tlsa_check_record(NULL, NULL), DK_EINVAL);
	cr_assert_eq(dk_tlsa_owner(NULL, 25, "tcp", &s, NULL), DK_EINVAL);
	cr_assert_eq(dk_tlsa_owner("x", 25, NULL, &s, NULL), DK_EINVAL);
	cr_assert_eq(dk_tlsa_owner("x", 25, "tcp", NULL, NULL), DK_EINVAL);
	cr_assert_eq(s, (char *)0x1);

	/* inputs */
	cr_assert_eq(dk_input_load(data, 3, NULL, NULL), DK_EINVAL);
	cr_assert_eq(dk_input_load(NULL, 3, &iout, NULL), DK_EINVAL);
	cr_assert_eq(dk_input_read_file(NULL, &iout, NULL), DK_EINVAL);
	cr_assert_eq(dk_input_read_file(crt, NULL, NULL), DK_EINVAL);
	cr_assert_eq(iout, (struct dk_input *)0x1);
	dk_input_free(NULL);
	cr_assert_eq((int)dk_input_kind(NULL), 0);
	cr_assert_eq(dk_input_cert_count(NULL), 0);
	cr_assert_null(dk_input_get0_cert(NULL, 0));
	cr_assert_null(dk_input_get0_pubkey(NULL));

	cr_assert_eq(dk_tlsa_make(NULL, 3, 1, 1, -1, &out, NULL), DK_EINVAL);
	cr_assert_eq(dk_tlsa_make(in, 3, 1, 1, -1, NULL, NULL), DK_EINVAL);
	cr_assert_eq(out, (struct dk_tlsa *)0x1);

	cr_assert_eq(dk_tlsa_assoc_data(NULL, NULL, 1, 1, &w, &len), DK_EINVAL);
	cr_assert_eq(dk_tlsa_assoc_data(dk_input_get0_cert(in, 0),
					dk_input_get0_pubkey(in), 1, 1, &w,
					&len),
		     DK_EINVAL);
	cr_assert_eq(dk_tlsa_assoc_data(dk_input_get0_cert(in, 0), NULL, 2, 1,
					&w, &len),
		     DK_EINVAL);
	cr_assert_eq(dk_tlsa_assoc_data(dk_input_get0_cert(in, 0), NULL, 1, 3,
					&w, &len),
		     DK_EINVAL);
	cr_assert_eq(dk_tlsa_assoc_data(dk_input_get0_cert(in, 0), NULL, 1, 1,
					NULL, &len),
		     DK_EINVAL);
	cr_assert_eq(dk_tlsa_assoc_data(dk_input_get0_cert(in, 0), NULL, 1, 1,
					&w, NULL),
		     DK_EINVAL);
	cr_assert_eq(dk_tlsa_assoc_data(NULL, dk_input_get0_pubkey(in), 0, 1,
					&w, &len),
		     DK_ESELECTOR);
	cr_assert_eq(w, (uint8_t *)0x1);

	cr_assert_eq(dk_tlsa_match(NULL, in, NULL), DK_EINVAL);
	cr_assert_eq(dk_tlsa_match(t, NULL, NULL), DK_EINVAL);

	/* errors have names */
	cr_assert_str_neq(dk_strerror(DK_ESELECTOR), "unknown error");
	cr_assert_str_neq(dk_strerror(DK_EENCRYPTED), "unknown error");
	cr_assert_str_eq(dk_strerror(-424242), "unknown error");

	dk_tlsa_free(t);
	dk_input_free(in);
	free(crt);
}

/* ldns would pad an odd number of hex digits with a 0: refused instead. */
Test(lib_parse, odd_hex_digits)
{
	static const char *const texts[] = {
		"3 1 1 abc",
		"3 1 1 ab cd e",
		"_25._tcp.example.com. 3600 IN TLSA DANE-EE SPKI SHA2-256 0",
	};

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		struct dk_tlsa *t = NULL;
		struct dk_diag diag = { "" };

		cr_assert_eq(dk_tlsa_parse(texts[i], &t, NULL, &diag), DK_EDATA,
			     "'%s'", texts[i]);
		cr_assert(strstr(diag.why, "odd"), "'%s': %s", texts[i],
			  diag.why);
	}
	/* hex split by blanks is one field (RFC 6698 section 2.2) */
	{
		struct dk_tlsa *t = parse_ok("3 1 1 ab cd\tef 01", NULL);

		expect_fields(t, 3, 1, 1, "abcdef01");
		dk_tlsa_free(t);
	}
}

/* ---- records that can never be right (RFC 6698 section 2.1) ---- */

static struct dk_tlsa *rec(uint8_t u, uint8_t sel, uint8_t m, size_t len,
			   const uint8_t *data)
{
	static const uint8_t zero[128];
	struct dk_tlsa *t = NULL;

	cr_assert_eq(dk_tlsa_new(u, sel, m, data ? data : zero, len, &t), 0);
	return t;
}

Test(lib_check_record, fields_and_lengths)
{
	static const struct {
		uint8_t u, s, m;
		size_t len;
		const char *why; /* NULL: the record is fine */
	} t[] = {
		{ 0, 0, 1, 32, NULL },
		{ 3, 1, 1, 32, NULL },
		{ 2, 1, 2, 64, NULL },
		{ 4, 1, 1, 32, "usage 4" },
		{ 255, 1, 1, 32, "usage 255" },
		{ 3, 2, 1, 32, "selector 2" },
		{ 3, 1, 3, 32, "matching type 3" },
		{ 3, 1, 1, 31, "32 bytes" },
		{ 3, 1, 1, 33, "32 bytes" },
		{ 3, 1, 1, 0, "32 bytes" },
		{ 3, 1, 2, 32, "64 bytes" },
		{ 3, 1, 2, 65, "64 bytes" },
		{ 3, 1, 0, 0, "empty" },
		{ 3, 1, 0, 32, "not one" },
		{ 3, 0, 0, 32, "not one" },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct dk_tlsa *r = rec(t[i].u, t[i].s, t[i].m, t[i].len, NULL);
		struct dk_diag diag = { "" };
		int rc = dk_tlsa_check_record(r, &diag);

		if (!t[i].why) {
			cr_assert_eq(rc, 0, "%zu: %s", i, diag.why);
		} else {
			cr_assert_eq(rc, DK_EDATA, "%zu: accepted", i);
			cr_assert(strstr(diag.why, t[i].why), "%zu: '%s'", i,
				  diag.why);
		}
		dk_tlsa_free(r);
	}
}

/* Every record of expected.tsv (data from openssl) passes: the DER of a
 * certificate and of a key for Full, digests of the right length. */
Test(lib_check_record, openssl_records_pass)
{
	size_t n, checked = 0;
	const struct fx_row *rows = fx_rows(&n);

	for (size_t i = 0; i < n; i++) {
		struct dk_diag diag = { "" };
		struct dk_tlsa *t;

		if (strcmp(rows[i].hex, "-") == 0) {
			continue;
		}
		t = row_tlsa(&rows[i], 0);
		cr_assert_eq(dk_tlsa_check_record(t, &diag), 0,
			     "%s %d %d %d: %s", rows[i].file, rows[i].usage,
			     rows[i].selector, rows[i].mtype, diag.why);
		dk_tlsa_free(t);
		checked++;
	}
	cr_assert_gt(checked, 900);
}

/* Full data must be the DER the selector names: a certificate is not an
 * SPKI, an SPKI is not a certificate, a cut DER is neither. */
Test(lib_check_record, full_der)
{
	const struct fx_row *cert = fx_find("rsa.crt.der", 3, 0, 0);
	const struct fx_row *spki = fx_find("rsa.crt.der", 3, 1, 0);
	size_t clen, slen;
	uint8_t *c = fx_unhex(cert->hex, &clen),
		*k = fx_unhex(spki->hex, &slen);
	struct dk_diag diag = { "" };
	struct dk_tlsa *t;

	t = rec(3, 1, 0, clen, c);
	cr_assert_eq(dk_tlsa_check_record(t, &diag), DK_EDATA,
		     "a certificate passed as an SPKI");
	dk_tlsa_free(t);
	t = rec(3, 0, 0, slen, k);
	cr_assert_eq(dk_tlsa_check_record(t, &diag), DK_EDATA,
		     "an SPKI passed as a certificate");
	dk_tlsa_free(t);
	t = rec(3, 0, 0, clen - 1, c);
	cr_assert_eq(dk_tlsa_check_record(t, &diag), DK_EDATA, "cut DER");
	dk_tlsa_free(t);
	free(c);
	free(k);
}

/* ---- TLSA owner names as users give them (RFC 6698 section 3) ---- */

Test(lib_owner_check, good_and_bad)
{
	static const char *const ok[] = {
		"_25._tcp.mail.example.com",
		"_25._tcp.mail.example.com.",
		"_443._TCP.WWW.example",
		"_65535._sctp.a",
		"_1._udp.b",
	};
	static const struct {
		const char *name;
		const char *why;
	} bad[] = {
		{ "mail.example.com", "_25._tcp.mail.example.com" },
		{ "_25.mail.example.com", "_PORT._PROTO" },
		{ "_tcp.mail.example.com", "_PORT._PROTO" },
		{ "_0._tcp.x.example", "_PORT._PROTO" },
		{ "_025._tcp.x.example", "_PORT._PROTO" },
		{ "_65536._tcp.x.example", "_PORT._PROTO" },
		{ "_25._icmp.x.example", "_PORT._PROTO" },
		{ "_25._tcp", "_PORT._PROTO" },
		{ "_25._tcp.", "no host name" },
		{ "_25._tcp.192.0.2.1", "IP address" },
		{ "_25._tcp.a..b", "empty label" },
		{ "", "_PORT._PROTO" },
	};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct dk_diag diag = { "" };

		cr_assert_eq(dk_tlsa_check_owner(ok[i], &diag), 0, "%s: %s",
			     ok[i], diag.why);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct dk_diag diag = { "" };

		cr_assert_eq(dk_tlsa_check_owner(bad[i].name, &diag), DK_EDATA,
			     "'%s' accepted", bad[i].name);
		cr_assert(strstr(diag.why, bad[i].why), "'%s': '%s'",
			  bad[i].name, diag.why);
	}
}

/* An address has no TLSA owner name; the prefix is never doubled. */
Test(lib_owner_check, addresses_and_doubled_prefix)
{
	static const char *const addrs[] = {
		"192.0.2.1",	"192.0.2.1.",  "::1",	     "[::1]",
		"2001:db8::25", "[192.0.2.1]", "10.0.0.256",
	};
	char *owner = (char *)0x1;
	struct dk_diag diag = { "" };

	for (size_t i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
		diag.why[0] = '\0';
		cr_assert_eq(dk_tlsa_check_host(addrs[i], &diag), DK_EDATA,
			     "'%s' accepted", addrs[i]);
		cr_assert(strstr(diag.why, "address") ||
				  strstr(diag.why, "digits"),
			  "'%s': '%s'", addrs[i], diag.why);
		cr_assert_eq(dk_tlsa_owner(addrs[i], 25, "tcp", &owner, NULL),
			     DK_EDATA, "'%s'", addrs[i]);
	}
	cr_assert_eq(dk_tlsa_owner("_25._tcp.mail.example.com", 25, "tcp",
				   &owner, &diag),
		     DK_EDATA);
	cr_assert(strstr(diag.why, "already a TLSA owner name") &&
			  strstr(diag.why, "(mail.example.com)"),
		  "%s", diag.why);
	cr_assert_eq(owner, (char *)0x1, "output touched on failure");
	/* a service label alone is not the prefix: allowed as before */
	cr_assert_eq(
		dk_tlsa_owner("_dane.example.com", 25, "tcp", &owner, NULL), 0);
	cr_assert_str_eq(owner, "_25._tcp._dane.example.com.");
	free(owner);
}

/* ---- usage 0 and 2 name a trust anchor ---- */

Test(lib_make, trust_anchor_usages)
{
	static const struct {
		const char *file;
		int ok;		  /* usage 2 with the default certificate */
		const char *cert; /* whose 2 1 1 it is */
	} t[] = {
		{ "leaf.crt.pem", 0, NULL },
		{ "combo.pem", 0, NULL },
		{ "chain2.pem", 1, "int.crt.pem" },
		{ "chain.pem", 1, "ca.crt.pem" },
		{ "int.crt.pem", 1, "int.crt.pem" },
		{ "ca.crt.pem", 1, "ca.crt.pem" },
		{ "p256.crt.pem", 1, "p256.crt.pem" }, /* self-signed */
		{ "p256.key.pem", 1, "p256.key.pem" }, /* a key: not judged */
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char *path = fx_path(t[i].file);
		struct dk_input *in = NULL;
		struct dk_tlsa *tl = NULL;
		struct dk_diag diag = { "" };
		int rc;

		cr_assert_eq(dk_input_read_file(path, &in, NULL), 0);
		for (int u = 0; u <= 2; u += 2) {
			rc = dk_tlsa_make(in, (uint8_t)u, 1, 1, -1, &tl, &diag);
			if (!t[i].ok) {
				cr_assert_eq(rc, DK_EDATA, "%s usage %d",
					     t[i].file, u);
				cr_assert(strstr(diag.why, "needs the issuing "
							   "CA: give the "
							   "chain"),
					  "%s", diag.why);
				cr_assert_null(tl);
				/* picked by index: whatever it is */
				cr_assert_eq(dk_tlsa_make(in, (uint8_t)u, 1, 1,
							  0, &tl, NULL),
					     0);
			} else {
				char *hex;
				size_t len;
				const uint8_t *d;

				cr_assert_eq(rc, 0, "%s: %s", t[i].file,
					     diag.why);
				d = dk_tlsa_data(tl, &len);
				hex = fx_hex(d, len);
				cr_assert_str_eq(
					hex, fx_find(t[i].cert, 3, 1, 1)->hex,
					"%s", t[i].file);
				free(hex);
			}
			dk_tlsa_free(tl);
			tl = NULL;
		}
		/* usages 1 and 3 take the leaf, as before */
		cr_assert_eq(dk_tlsa_make(in, 3, 1, 1, -1, &tl, NULL), 0);
		dk_tlsa_free(tl);
		dk_input_free(in);
		free(path);
	}
}
