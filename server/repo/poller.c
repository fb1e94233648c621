/* SPDX-License-Identifier: ISC */
/*
 * The poller: one thread that fetches every repository on an interval
 * with jitter and at once when a webhook asks. The hard part is the
 * waiting. The thread sleeps on a condition variable with a deadline, so
 * a trigger or a stop wakes it at once; triggers that arrive while a
 * fetch runs are remembered per repository and served in the next round
 * rather than lost; stop waits only for the fetch in progress.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "repo_int.h"

struct poll_item {
	struct gd_repo *repo;
	char *key; /* gd_repo_url_key */
	bool wanted; /* triggered since its last fetch */
};

struct gd_repo_poller {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct poll_item *items;
	size_t n;
	long interval;
	gd_repo_poll_fn fn;
	void *arg;
	bool stop;
	bool started;
	unsigned long rounds;
};

static void
poll_deadline(struct timespec *ts, long interval)
{
	long jitter_ms = 0;

	/* Up to 10% more, so replicas do not all fetch at once. */
	if (interval >= 10)
		jitter_ms =
		    (long)randombytes_uniform((uint32_t)(interval * 100));
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += interval + jitter_ms / 1000;
	ts->tv_nsec += (jitter_ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* Fetches the items that are due: all of them, or only those wanted. */
static void
poll_round(struct gd_repo_poller *p, bool all)
{
	struct gd_repo *repo;
	struct gd_err err;
	size_t i;
	int rc;

	for (i = 0;; i++) {
		pthread_mutex_lock(&p->lock);
		if (p->stop || i >= p->n) {
			pthread_mutex_unlock(&p->lock);
			break;
		}
		if (!all && !p->items[i].wanted) {
			pthread_mutex_unlock(&p->lock);
			continue;
		}
		p->items[i].wanted = false;
		repo = p->items[i].repo;
		pthread_mutex_unlock(&p->lock);
		gd_err_clear(&err);
		rc = gd_repo_fetch(repo, &err);
		if (p->fn != NULL)
			p->fn(p->arg, repo, rc, &err);
	}
	pthread_mutex_lock(&p->lock);
	p->rounds++;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
}

static bool
poll_any_wanted(struct gd_repo_poller *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (p->items[i].wanted)
			return true;
	return false;
}

static void *
poll_main(void *arg)
{
	struct gd_repo_poller *p = arg;
	struct timespec deadline;
	bool all = true;
	int rc;

	for (;;) {
		poll_round(p, all);
		pthread_mutex_lock(&p->lock);
		poll_deadline(&deadline, p->interval);
		rc = 0;
		while (!p->stop && !poll_any_wanted(p) && rc == 0)
			rc = pthread_cond_timedwait(
			    &p->cond, &p->lock, &deadline);
		/* the interval ran out: everyone; else only those asked for */
		all = rc != 0 || !poll_any_wanted(p);
		if (p->stop) {
			pthread_mutex_unlock(&p->lock);
			break;
		}
		pthread_mutex_unlock(&p->lock);
	}
	return NULL;
}

int
gd_repo_poller_new(struct gd_repo_poller **out, long interval,
    gd_repo_poll_fn fn, void *arg, struct gd_err *err)
{
	struct gd_repo_poller *p;
	pthread_condattr_t ca;

	*out = NULL;
	if (interval < 1)
		return gd_err_set(err, GD_EINVAL,
		    "poll interval %ld: want at least 1 second", interval);
	p = xcalloc(1, sizeof(*p));
	p->interval = interval;
	p->fn = fn;
	p->arg = arg;
	pthread_mutex_init(&p->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&p->cond, &ca);
	pthread_condattr_destroy(&ca);
	*out = p;
	return 0;
}

void
gd_repo_poller_add(struct gd_repo_poller *p, struct gd_repo *repo)
{
	int rc;

	pthread_mutex_lock(&p->lock);
	p->items = xreallocarray(p->items, p->n + 1, sizeof(*p->items));
	p->items[p->n].repo = repo;
	p->items[p->n].key = gd_repo_url_key(gd_repo_url(repo));
	p->items[p->n].wanted = false;
	p->n++;
	/* The thread starts with the first repository. */
	if (!p->started) {
		if ((rc = pthread_create(&p->thread, NULL, poll_main, p)) != 0)
			fatalx("poller: pthread_create: %s", strerror(rc));
		p->started = true;
	}
	pthread_mutex_unlock(&p->lock);
}

int
gd_repo_poller_trigger(struct gd_repo_poller *p, const char *url)
{
	char *key = url != NULL ? gd_repo_url_key(url) : NULL;
	size_t i;
	int n = 0;

	pthread_mutex_lock(&p->lock);
	for (i = 0; i < p->n; i++)
		if (key == NULL || strcmp(key, p->items[i].key) == 0) {
			p->items[i].wanted = true;
			n++;
		}
	if (n > 0)
		pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	free(key);
	return n;
}

unsigned long
gd_repo_poller_rounds(struct gd_repo_poller *p)
{
	unsigned long n;

	pthread_mutex_lock(&p->lock);
	n = p->rounds;
	pthread_mutex_unlock(&p->lock);
	return n;
}

void
gd_repo_poller_free(struct gd_repo_poller *p)
{
	size_t i;

	if (p == NULL)
		return;
	pthread_mutex_lock(&p->lock);
	p->stop = true;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	if (p->started)
		pthread_join(p->thread, NULL);
	for (i = 0; i < p->n; i++)
		free(p->items[i].key);
	free(p->items);
	pthread_cond_destroy(&p->cond);
	pthread_mutex_destroy(&p->lock);
	free(p);
}
