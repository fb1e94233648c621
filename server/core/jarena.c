/* SPDX-License-Identifier: ISC */
/*
 * Chunk arena for jansson (see core.h). Reading a rendered chart back into
 * json_t is most of a render's allocations: a few hundred small blocks per
 * document, each malloc'd and later freed one by one. Between
 * gd_jarena_open and gd_jarena_close a thread takes jansson's small blocks
 * from its current 16 KiB chunk instead, with a bump of a pointer. Blocks
 * are freed as before, from any thread: a free only counts down its
 * chunk's live count, and the chunk goes back to the pool when the count
 * reaches zero and its thread has moved on.
 *
 * All chunks live in one address range reserved at start (PROT_NONE,
 * committed chunk by chunk), so telling an arena block from a malloc'd one
 * is two comparisons and needs no header on either. When the range is used
 * up, or could not be reserved, blocks come from malloc as before.
 *
 * Under AddressSanitizer the arena is off by default: LeakSanitizer does
 * not look inside the range for pointers, and freed blocks would not be
 * poisoned. gd_jarena_set_enabled turns it on for the arena's own tests.
 */
#include <sys/mman.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "gitopsd/core.h"

#if defined(__SANITIZE_ADDRESS__)
#define JA_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define JA_ASAN 1
#endif
#endif
#ifndef JA_ASAN
#define JA_ASAN 0
#endif

#define JA_CHUNK  ((size_t)16 * 1024)
#define JA_BIG    ((size_t)2 * 1024) /* larger blocks come from malloc */
#define JA_REGION ((size_t)4 << 30)
#define JA_KEEP   64 /* free chunks kept committed; past this, pages go back */

struct ja_chunk {
	/* blocks not yet freed, plus one while it is a thread's chunk */
	atomic_long live;
	struct ja_chunk *next; /* on the free list */
	size_t used; /* bytes handed out, header included; owner only */
};

#define JA_HDR ((sizeof(struct ja_chunk) + 7) & ~(size_t)7)

static char *ja_base, *ja_end; /* set once, before any thread */
static bool ja_enabled;

static pthread_mutex_t ja_lock = PTHREAD_MUTEX_INITIALIZER;
static char *ja_top; /* first chunk never handed out */
static struct ja_chunk *ja_free;
static size_t ja_nfree, ja_nused;

static __thread struct ja_chunk *ja_cur;
static __thread unsigned ja_depth;

void
gd_jarena_init(void)
{
	void *p;

	if (ja_base != NULL)
		return;
	p = mmap(NULL, JA_REGION, PROT_NONE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED) {
		log_debug("json arena: cannot reserve address space, off");
		return;
	}
	ja_base = ja_top = p;
	ja_end = ja_base + JA_REGION;
	ja_enabled = !JA_ASAN;
}

bool
gd_jarena_set_enabled(bool on)
{
	bool was = ja_enabled;

	ja_enabled = on && ja_base != NULL;
	return was;
}

static struct ja_chunk *
ja_get(void)
{
	struct ja_chunk *c = NULL;

	pthread_mutex_lock(&ja_lock);
	if (ja_free != NULL) {
		c = ja_free;
		ja_free = c->next;
		ja_nfree--;
	} else if (ja_top < ja_end &&
	    mprotect(ja_top, JA_CHUNK, PROT_READ | PROT_WRITE) == 0) {
		c = (struct ja_chunk *)(void *)ja_top;
		ja_top += JA_CHUNK;
	}
	if (c != NULL)
		ja_nused++;
	pthread_mutex_unlock(&ja_lock);
	if (c != NULL) {
		atomic_init(&c->live, 1);
		c->next = NULL;
		c->used = JA_HDR;
	}
	return c;
}

static void
ja_recycle(struct ja_chunk *c)
{
	long page = sysconf(_SC_PAGESIZE);

	pthread_mutex_lock(&ja_lock);
	ja_nused--;
	if (ja_nfree >= JA_KEEP && page > 0 && (size_t)page < JA_CHUNK)
		(void)madvise(
		    (char *)c + page, JA_CHUNK - (size_t)page, MADV_DONTNEED);
	c->next = ja_free;
	ja_free = c;
	ja_nfree++;
	pthread_mutex_unlock(&ja_lock);
}

static void
ja_put(struct ja_chunk *c)
{
	if (atomic_fetch_sub_explicit(&c->live, 1, memory_order_acq_rel) == 1)
		ja_recycle(c);
}

void
gd_jarena_open(void)
{
	ja_depth++;
}

void
gd_jarena_close(void)
{
	assert(ja_depth > 0);
	if (--ja_depth == 0 && ja_cur != NULL) {
		ja_put(ja_cur);
		ja_cur = NULL;
	}
}

void *
gd_jarena_malloc(size_t size)
{
	struct ja_chunk *c;
	void *p;

	if (ja_depth == 0 || !ja_enabled || size > JA_BIG)
		return xmalloc(size);
	size = (size + 7) & ~(size_t)7;
	if ((c = ja_cur) == NULL || c->used + size > JA_CHUNK) {
		if (c != NULL)
			ja_put(c);
		if ((c = ja_cur = ja_get()) == NULL)
			return xmalloc(size);
	}
	p = (char *)c + c->used;
	c->used += size;
	atomic_fetch_add_explicit(&c->live, 1, memory_order_relaxed);
	return p;
}

void
gd_jarena_free(void *p)
{
	/* as integers: p may be any pointer, not one into the range */
	uintptr_t q = (uintptr_t)p, base = (uintptr_t)ja_base;

	if (q >= base && q < (uintptr_t)ja_end) {
		ja_put((struct ja_chunk *)(void *)(ja_base +
		    (q - base) / JA_CHUNK * JA_CHUNK));
		return;
	}
	free(p);
}

void
gd_jarena_stats(size_t *used, size_t *idle)
{
	pthread_mutex_lock(&ja_lock);
	*used = ja_nused;
	*idle = ja_nfree;
	pthread_mutex_unlock(&ja_lock);
}
