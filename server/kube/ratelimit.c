/* SPDX-License-Identifier: ISC */
/*
 * Client-side rate limit and retry delays, kept apart from HTTP so the
 * arithmetic can be tested without a server or a clock.
 *
 * The bucket is client-go's token bucket: it holds up to burst tokens,
 * refills at qps per second, and a request takes one. Tokens may go
 * negative: a caller that finds none still takes one and is told how long
 * to sleep, so concurrent callers line up instead of all waking at once
 * and racing for the next token.
 */
#include "kube_int.h"

void
gd_kube_bucket_init(struct kube_bucket *b, double qps, int burst)
{
	pthread_mutex_init(&b->lock, NULL);
	b->qps = qps > 0 ? qps : 50;
	b->burst = burst > 0 ? burst : 100;
	b->tokens = b->burst;
	b->last_ms = 0;
}

void
gd_kube_bucket_dispose(struct kube_bucket *b)
{
	pthread_mutex_destroy(&b->lock);
}

uint64_t
gd_kube_bucket_take(struct kube_bucket *b, uint64_t now_ms)
{
	uint64_t wait = 0;

	pthread_mutex_lock(&b->lock);
	if (b->last_ms != 0 && now_ms > b->last_ms) {
		b->tokens += (double)(now_ms - b->last_ms) * b->qps / 1000.0;
		if (b->tokens > b->burst)
			b->tokens = b->burst;
	}
	if (b->last_ms == 0 || now_ms > b->last_ms)
		b->last_ms = now_ms;
	b->tokens -= 1.0;
	if (b->tokens < 0)
		wait = (uint64_t)(-b->tokens * 1000.0 / b->qps + 0.999);
	pthread_mutex_unlock(&b->lock);
	return wait;
}

int
gd_kube_backoff_ms(int base_ms, int n)
{
	long d = base_ms > 0 ? base_ms : 200;

	while (n-- > 0 && d < 30000)
		d *= 2;
	return d > 30000 ? 30000 : (int)d;
}
