/* SPDX-License-Identifier: ISC */
/*
 * The render cache: rendered objects by the digest of every input that
 * decides them, least recently used evicted past a count. Values are
 * immutable json_t handed out by reference, so a hit costs a lookup and
 * an incref, and an entry evicted while a caller still holds it lives
 * on until that caller lets go (jansson's refcounts are atomic). The
 * hard part is only keeping the hash chains and the recency list in step;
 * the caller holds the source's lock around every call.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "source_int.h"

static size_t
lru_hash(const struct src_lru *l, const char *key)
{
	uint64_t h = 1469598103934665603ull;

	for (; *key != '\0'; key++)
		h = (h ^ (unsigned char)*key) * 1099511628211ull;
	return (size_t)(h % l->nbuckets);
}

void
src_lru_init(struct src_lru *l, size_t max)
{
	memset(l, 0, sizeof(*l));
	l->max = max > 0 ? max : 1;
	l->nbuckets = 64;
	while (l->nbuckets < l->max && l->nbuckets < (1u << 20))
		l->nbuckets *= 2;
	l->buckets = xcalloc(l->nbuckets, sizeof(*l->buckets));
}

void
src_lru_dispose(struct src_lru *l)
{
	struct src_lru_ent *e, *next;

	for (e = l->head; e != NULL; e = next) {
		next = e->next;
		json_decref(e->val);
		free(e);
	}
	free(l->buckets);
	memset(l, 0, sizeof(*l));
}

static struct src_lru_ent *
lru_find(const struct src_lru *l, const char *key)
{
	struct src_lru_ent *e;

	for (e = l->buckets[lru_hash(l, key)]; e != NULL; e = e->hnext)
		if (strcmp(e->key, key) == 0)
			return e;
	return NULL;
}

static void
lru_unlink(struct src_lru *l, struct src_lru_ent *e)
{
	if (e->prev != NULL)
		e->prev->next = e->next;
	else
		l->head = e->next;
	if (e->next != NULL)
		e->next->prev = e->prev;
	else
		l->tail = e->prev;
	e->prev = e->next = NULL;
}

static void
lru_push_front(struct src_lru *l, struct src_lru_ent *e)
{
	e->next = l->head;
	e->prev = NULL;
	if (l->head != NULL)
		l->head->prev = e;
	l->head = e;
	if (l->tail == NULL)
		l->tail = e;
}

static void
lru_remove(struct src_lru *l, struct src_lru_ent *e)
{
	struct src_lru_ent **pp;

	for (pp = &l->buckets[lru_hash(l, e->key)]; *pp != e;
	     pp = &(*pp)->hnext)
		;
	*pp = e->hnext;
	lru_unlink(l, e);
	json_decref(e->val);
	free(e);
	l->n--;
}

json_t *
src_lru_get(struct src_lru *l, const char *key)
{
	struct src_lru_ent *e = lru_find(l, key);

	if (e == NULL)
		return NULL;
	lru_unlink(l, e);
	lru_push_front(l, e);
	return json_incref(e->val);
}

size_t
src_lru_put(struct src_lru *l, const char *key, json_t *val)
{
	struct src_lru_ent *e = lru_find(l, key);
	size_t h, evicted = 0;

	if (e != NULL) {
		json_decref(e->val);
		e->val = val;
		lru_unlink(l, e);
		lru_push_front(l, e);
		return 0;
	}
	e = xcalloc(1, sizeof(*e));
	snprintf(e->key, sizeof(e->key), "%s", key);
	e->val = val;
	h = lru_hash(l, e->key);
	e->hnext = l->buckets[h];
	l->buckets[h] = e;
	lru_push_front(l, e);
	l->n++;
	while (l->n > l->max) {
		lru_remove(l, l->tail);
		evicted++;
	}
	return evicted;
}

/* --- digests ------------------------------------------------------------- */

void
src_digest_init(struct src_digest *d)
{
	crypto_hash_sha256_init(&d->st);
}

void
src_digest_str(struct src_digest *d, const char *s)
{
	if (s == NULL)
		crypto_hash_sha256_update(
		    &d->st, (const unsigned char *)"\1", 2);
	else
		crypto_hash_sha256_update(
		    &d->st, (const unsigned char *)s, strlen(s) + 1);
}

void
src_digest_final(struct src_digest *d, char out[SRC_KEY_LEN])
{
	unsigned char h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256_final(&d->st, h);
	sodium_bin2hex(out, SRC_KEY_LEN, h, sizeof(h));
}
