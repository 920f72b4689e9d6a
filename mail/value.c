/* SPDX-License-Identifier: BSD-3-Clause */
/* Typed values (the shapes of JSON) for evidence and records. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mail/internal.h"

static struct dk_mail_value *value_new(enum dk_mail_value_type type)
{
	struct dk_mail_value *v = calloc(1, sizeof(*v));

	if (v) {
		v->type = type;
	}
	return v;
}

struct dk_mail_value *dkm_null(void)
{
	return value_new(DK_MAIL_VALUE_NULL);
}

struct dk_mail_value *dkm_bool(bool b)
{
	struct dk_mail_value *v = value_new(DK_MAIL_VALUE_BOOL);

	if (v) {
		v->i = b ? 1 : 0;
	}
	return v;
}

struct dk_mail_value *dkm_int(int64_t i)
{
	struct dk_mail_value *v = value_new(DK_MAIL_VALUE_INT);

	if (v) {
		v->i = i;
	}
	return v;
}

struct dk_mail_value *dkm_strn(const char *s, size_t n)
{
	struct dk_mail_value *v;

	if (!s) {
		return dkm_null();
	}
	v = value_new(DK_MAIL_VALUE_STRING);
	if (v) {
		v->s = strndup(s, n);
		if (!v->s) {
			free(v);
			return NULL;
		}
	}
	return v;
}

struct dk_mail_value *dkm_str(const char *s)
{
	return s ? dkm_strn(s, strlen(s)) : dkm_null();
}

struct dk_mail_value *dkm_strf(const char *fmt, ...)
{
	struct dk_mail_value *v;
	char *s = NULL;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (r < 0) {
		return NULL;
	}
	v = value_new(DK_MAIL_VALUE_STRING);
	if (!v) {
		free(s);
		return NULL;
	}
	v->s = s;
	return v;
}

struct dk_mail_value *dkm_arr(void)
{
	return value_new(DK_MAIL_VALUE_ARRAY);
}

struct dk_mail_value *dkm_obj(void)
{
	return value_new(DK_MAIL_VALUE_OBJECT);
}

void dkm_value_free(struct dk_mail_value *v)
{
	if (!v) {
		return;
	}
	for (size_t i = 0; i < v->n; i++) {
		if (v->keys) {
			free(v->keys[i]);
		}
		dkm_value_free(v->items[i]);
	}
	free(v->keys);
	free(v->items);
	free(v->s);
	free(v);
}

struct dk_mail_value *dkm_value_dup(const struct dk_mail_value *v)
{
	struct dk_mail_value *c;

	if (!v) {
		return NULL;
	}
	switch (v->type) {
	case DK_MAIL_VALUE_BOOL:
		return dkm_bool(v->i != 0);
	case DK_MAIL_VALUE_INT:
		return dkm_int(v->i);
	case DK_MAIL_VALUE_STRING:
		return dkm_str(v->s);
	case DK_MAIL_VALUE_ARRAY:
	case DK_MAIL_VALUE_OBJECT:
		c = value_new(v->type);
		for (size_t i = 0; c && i < v->n; i++) {
			if (v->type == DK_MAIL_VALUE_ARRAY) {
				dkm_push(c, dkm_value_dup(v->items[i]));
			} else {
				dkm_set(c, v->keys[i],
					dkm_value_dup(v->items[i]));
			}
		}
		return c;
	default:
		return dkm_null();
	}
}

static int grow(struct dk_mail_value *v)
{
	size_t cap;
	struct dk_mail_value **items;

	if (v->n < v->cap) {
		return 0;
	}
	cap = v->cap ? v->cap * 2 : 4;
	items = realloc(v->items, cap * sizeof(*items));
	if (!items) {
		return -1;
	}
	v->items = items;
	if (v->type == DK_MAIL_VALUE_OBJECT) {
		char **keys = realloc(v->keys, cap * sizeof(*keys));

		if (!keys) {
			return -1;
		}
		v->keys = keys;
	}
	v->cap = cap;
	return 0;
}

struct dk_mail_value *dkm_push(struct dk_mail_value *v,
			       struct dk_mail_value *item)
{
	if (!v || v->type != DK_MAIL_VALUE_ARRAY || grow(v) < 0) {
		dkm_value_free(item);
		return v;
	}
	v->items[v->n++] = item ? item : dkm_null();
	return v;
}

struct dk_mail_value *dkm_set(struct dk_mail_value *v, const char *key,
			      struct dk_mail_value *item)
{
	char *k;

	if (!v || v->type != DK_MAIL_VALUE_OBJECT || grow(v) < 0) {
		dkm_value_free(item);
		return v;
	}
	for (size_t i = 0; i < v->n; i++) {
		if (strcmp(v->keys[i], key) == 0) {
			dkm_value_free(v->items[i]);
			v->items[i] = item ? item : dkm_null();
			return v;
		}
	}
	k = strdup(key);
	if (!k) {
		dkm_value_free(item);
		return v;
	}
	v->keys[v->n] = k;
	v->items[v->n++] = item ? item : dkm_null();
	return v;
}

enum dk_mail_value_type dk_mail_value_type(const struct dk_mail_value *v)
{
	return v ? v->type : DK_MAIL_VALUE_NULL;
}

int64_t dk_mail_value_int(const struct dk_mail_value *v)
{
	if (!v ||
	    (v->type != DK_MAIL_VALUE_INT && v->type != DK_MAIL_VALUE_BOOL)) {
		return 0;
	}
	return v->i;
}

const char *dk_mail_value_string(const struct dk_mail_value *v)
{
	return v && v->type == DK_MAIL_VALUE_STRING ? v->s : NULL;
}

size_t dk_mail_value_count(const struct dk_mail_value *v)
{
	if (!v || (v->type != DK_MAIL_VALUE_ARRAY &&
		   v->type != DK_MAIL_VALUE_OBJECT)) {
		return 0;
	}
	return v->n;
}

const struct dk_mail_value *dk_mail_value_item(const struct dk_mail_value *v,
					       size_t i)
{
	if (i >= dk_mail_value_count(v)) {
		return NULL;
	}
	return v->items[i];
}

const char *dk_mail_value_key(const struct dk_mail_value *v, size_t i)
{
	if (!v || v->type != DK_MAIL_VALUE_OBJECT || i >= v->n) {
		return NULL;
	}
	return v->keys[i];
}

const struct dk_mail_value *dk_mail_value_get(const struct dk_mail_value *v,
					      const char *key)
{
	if (!v || !key || v->type != DK_MAIL_VALUE_OBJECT) {
		return NULL;
	}
	for (size_t i = 0; i < v->n; i++) {
		if (strcmp(v->keys[i], key) == 0) {
			return v->items[i];
		}
	}
	return NULL;
}
