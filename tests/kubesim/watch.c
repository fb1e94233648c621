/* SPDX-License-Identifier: ISC */
/*
 * WATCH: a chunked stream of {"type":...,"object":...} lines, one per
 * event, replayed from the store's event ring after the resourceVersion
 * the client gives, then live. It sends BOOKMARKs when asked, an ERROR
 * with a 410 Expired Status when the version is older than the ring
 * holds, the synthetic ADDED events of a watch from "" or "0" (and of
 * sendInitialEvents), and ends at timeoutSeconds, at shutdown, or when
 * the admin endpoint drops every watch.
 *
 * The hard part is the cursor: the ring moves on while a client reads,
 * so each wake-up finds its place again by resourceVersion (the ring is
 * sorted), and a reader that fell behind the ring's tail gets the same
 * 410 a late starter gets rather than a silent gap.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kubesim.h"

#define WATCH_MAGIC 0x6b737761u /* "kswa" */

struct ks_watch {
	unsigned magic;
	char *coll;
	char *kind;
	char *gv;
	char *ns; /* NULL: all namespaces */
	json_t *sel;
	json_t *initial; /* objects to send as ADDED first */
	bool initial_bookmark; /* sendInitialEvents: mark their end */
	uint64_t cursor; /* last resourceVersion sent or skipped */
	bool bookmarks;
	uint64_t deadline_ms;
	uint64_t next_bookmark_ms;
	unsigned epoch;
	struct gd_buf out;
	size_t off;
	bool done;
};

static bool
watch_wants(const struct ks_watch *w, const char *coll, const char *ns,
    const json_t *obj)
{
	if (strcmp(coll, w->coll) != 0)
		return false;
	if (w->ns != NULL && strcmp(ns, w->ns) != 0)
		return false;
	return w->sel == NULL || ks_select_match(w->sel, obj);
}

static void
watch_line(struct ks_watch *w, const char *type, const json_t *obj)
{
	json_t *ev = json_pack("{s:s, s:O}", "type", type, "object", obj);
	char *s = json_dumps(ev, JSON_COMPACT);

	gd_buf_adds(&w->out, s);
	gd_buf_addc(&w->out, '\n');
	free(s);
	json_decref(ev);
}

static void
watch_expired(struct ks_watch *w, uint64_t rv)
{
	struct ks_resp r = { 0 };

	ks_resp_status(&r, 410, "Expired", NULL,
	    "too old resource version: %llu (%llu)", (unsigned long long)rv,
	    (unsigned long long)(ks.ring_len > 0 ? ks.ring[ks.ring_head].rv :
						   ks.rv));
	watch_line(w, "ERROR", r.body);
	json_decref(r.body);
	w->done = true;
}

static void
watch_bookmark(struct ks_watch *w, bool initial_end)
{
	char rv[32];
	json_t *o;

	snprintf(rv, sizeof(rv), "%llu", (unsigned long long)ks.rv);
	o = json_pack("{s:s, s:s, s:{s:s}}", "kind", w->kind, "apiVersion",
	    w->gv, "metadata", "resourceVersion", rv);
	if (initial_end)
		json_object_set_new(json_object_get(o, "metadata"),
		    "annotations",
		    json_pack("{s:s}", "k8s.io/initial-events-end", "true"));
	watch_line(w, "BOOKMARK", o);
	json_decref(o);
}

void
ks_watch_start(const struct ks_resource *r, const char *ns,
    const struct ks_req *req, struct ks_resp *resp)
{
	const char *rv = ks_req_arg(req, "resourceVersion");
	const char *tmo = ks_req_arg(req, "timeoutSeconds");
	const char *bm = ks_req_arg(req, "allowWatchBookmarks");
	const char *sie = ks_req_arg(req, "sendInitialEvents");
	struct gd_err err = { 0 };
	struct ks_watch *w;
	json_t *sel = NULL, *o;
	const char *k, *ons;
	unsigned long long from = 0;
	char *end;
	long secs = 1800;

	if (ks_select_parse(&sel, ks_req_arg(req, "labelSelector"),
		ks_req_arg(req, "fieldSelector"), &err) < 0) {
		ks_resp_status(resp, 400, "BadRequest", NULL, "%s", err.msg);
		return;
	}
	if (rv != NULL && *rv != '\0') {
		errno = 0;
		from = strtoull(rv, &end, 10);
		if (errno != 0 || *end != '\0') {
			json_decref(sel);
			ks_resp_status(resp, 400, "BadRequest", NULL,
			    "resourceVersion: invalid value \"%s\"", rv);
			return;
		}
	}
	if (tmo != NULL && *tmo != '\0') {
		secs = strtol(tmo, &end, 10);
		if (*end != '\0' || secs < 0)
			secs = 1800;
	}
	w = xcalloc(1, sizeof(*w));
	w->magic = WATCH_MAGIC;
	w->coll = xstrdup(r->key);
	w->kind = xstrdup(r->kind);
	w->gv = xstrdup(r->gv);
	w->ns = ns != NULL ? xstrdup(ns) : NULL;
	w->sel = sel;
	w->bookmarks = bm != NULL && strcmp(bm, "true") == 0;
	w->deadline_ms = gd_time_mono_ms() + (uint64_t)secs * 1000;
	w->next_bookmark_ms = gd_time_mono_ms() + ks.conf.bookmark_ms;
	w->epoch = ks.watch_epoch;
	gd_buf_init(&w->out);
	if (from == 0 || (sie != NULL && strcmp(sie, "true") == 0)) {
		/* From "now": the current objects first, as ADDED. */
		w->initial = json_array();
		json_object_foreach(ks_store_coll(r), k, o) {
			ons = ks_str(o, "metadata.namespace");
			if (watch_wants(w, r->key, ons != NULL ? ons : "", o))
				json_array_append(w->initial, o);
		}
		w->initial_bookmark = sie != NULL && strcmp(sie, "true") == 0;
		w->cursor = ks.rv;
	} else {
		w->cursor = from;
		if (ks.ring_len > 0 && from + 1 < ks.ring[ks.ring_head].rv)
			watch_expired(w, from);
	}
	resp->status = 200;
	resp->watch = w;
}

/* Index (from the ring's head) of the first event after rv. */
static size_t
watch_find(uint64_t rv)
{
	size_t lo = 0, hi = ks.ring_len, mid;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (ks.ring[(ks.ring_head + mid) % ks.conf.history].rv <= rv)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Collects what is due into w->out. Lock held. */
static void
watch_collect(struct ks_watch *w)
{
	struct ks_event *e;
	json_t *o;
	size_t i;
	bool now, was;

	if (w->initial != NULL) {
		json_array_foreach(w->initial, i, o)
			watch_line(w, "ADDED", o);
		json_decref(w->initial);
		w->initial = NULL;
		if (w->initial_bookmark)
			watch_bookmark(w, true);
	}
	if (ks.ring_len > 0 && w->cursor + 1 < ks.ring[ks.ring_head].rv) {
		watch_expired(w, w->cursor);
		return;
	}
	for (i = watch_find(w->cursor); i < ks.ring_len; i++) {
		e = &ks.ring[(ks.ring_head + i) % ks.conf.history];
		w->cursor = e->rv;
		now = watch_wants(w, e->coll, e->ns, e->obj);
		was =
		    e->prev != NULL && watch_wants(w, e->coll, e->ns, e->prev);
		if (strcmp(e->type, "MODIFIED") != 0 || w->sel == NULL) {
			if (now)
				watch_line(w, e->type, e->obj);
		} else if (now)
			/* Entering the selector is ADDED, leaving DELETED. */
			watch_line(w, was ? "MODIFIED" : "ADDED", e->obj);
		else if (was)
			watch_line(w, "DELETED", e->obj);
	}
}

long
ks_watch_read(struct ks_watch *w, char *buf, size_t max)
{
	struct timespec ts;
	uint64_t now, until;
	size_t n;

	GD_CHECK_OBJ(w, WATCH_MAGIC);
	pthread_mutex_lock(&ks.lock);
	while (w->off == w->out.len && !w->done) {
		gd_buf_reset(&w->out);
		w->off = 0;
		if (ks.stopping || w->epoch != ks.watch_epoch) {
			w->done = true;
			break;
		}
		watch_collect(w);
		if (w->out.len > 0)
			break;
		now = gd_time_mono_ms();
		if (now >= w->deadline_ms) {
			w->done = true;
			break;
		}
		if (w->bookmarks && now >= w->next_bookmark_ms) {
			watch_bookmark(w, false);
			w->next_bookmark_ms = now + ks.conf.bookmark_ms;
			break;
		}
		until = w->deadline_ms;
		if (w->bookmarks && w->next_bookmark_ms < until)
			until = w->next_bookmark_ms;
		if (until > now + 1000)
			until = now + 1000;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += (time_t)((until - now) / 1000);
		ts.tv_nsec += (long)((until - now) % 1000) * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&ks.changed, &ks.lock, &ts);
	}
	pthread_mutex_unlock(&ks.lock);
	if (w->off == w->out.len)
		return -1;
	n = w->out.len - w->off;
	if (n > max)
		n = max;
	memcpy(buf, w->out.data + w->off, n);
	w->off += n;
	return (long)n;
}

void
ks_watch_free(struct ks_watch *w)
{
	if (w == NULL)
		return;
	GD_CHECK_OBJ(w, WATCH_MAGIC);
	free(w->coll);
	free(w->kind);
	free(w->gv);
	free(w->ns);
	json_decref(w->sel);
	json_decref(w->initial);
	gd_buf_dispose(&w->out);
	free(w);
}
