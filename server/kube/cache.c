/* SPDX-License-Identifier: ISC */
/*
 * The live-object cache: for every kind gitopsd manages, a LIST and then
 * a WATCH that keeps a map of "namespace/name" to the object, so
 * comparing an application reads memory and not the network.
 *
 * The hard part is staying right across gaps. A watch resumes from the
 * last resourceVersion it saw (events and bookmarks both move it), so a
 * dropped connection loses nothing. When the server no longer has that
 * version (410) the map is rebuilt from a fresh LIST, replaced in one
 * swap under the lock, so a reader never sees a half-built kind.
 *
 * Memory stays bounded by mirroring only the kinds and namespaces asked
 * for, dropping metadata.managedFields (the largest field nobody reads
 * here), and keeping each object as compact JSON text rather than a
 * jansson tree: bench/kube measured a Deployment at about 1.5 KB as text
 * and 30 KB as a tree. Reads parse, so every caller gets its own copy and
 * may change it.
 *
 * Locking: one mutex per cache guards every kind's map and the kinds
 * array; the watch threads hold it only to swap or update an entry.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kube_int.h"

#define KIND_MAGIC      0x6b696e64u
#define WATCH_TIMEOUT_S 300
#define RETRY_MAX_MS    30000

struct cache_kind {
	unsigned magic;
	struct gd_kube_cache *cache;
	char *api_version;
	char *kind;
	char *namespace; /* NULL: every namespace */
	json_t *objs; /* key -> JSON string of the object's compact text */
	size_t bytes;
	struct gd_kube_watch_pos pos;
	pthread_t thread;
	bool running;
};

struct gd_kube_cache {
	struct gd_kube *kube;
	pthread_mutex_t lock;
	pthread_cond_t cond; /* signalled on stop */
	struct cache_kind **kinds;
	size_t nkinds;
	volatile bool stop;
	gd_kube_change_fn fn; /* the subscriber */
	void *fn_arg;
};

struct gd_kube_cache *
gd_kube_cache_new(struct gd_kube *kube)
{
	struct gd_kube_cache *c = xcalloc(1, sizeof(*c));

	c->kube = kube;
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->cond, NULL);
	return c;
}

static void
kind_free(struct cache_kind *ck)
{
	if (ck == NULL)
		return;
	free(ck->api_version);
	free(ck->kind);
	free(ck->namespace);
	json_decref(ck->objs);
	free(ck->pos.rv);
	free(ck);
}

void
gd_kube_cache_free(struct gd_kube_cache *c)
{
	size_t i;

	if (c == NULL)
		return;
	pthread_mutex_lock(&c->lock);
	c->stop = true;
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
	for (i = 0; i < c->nkinds; i++) {
		if (c->kinds[i]->running)
			pthread_join(c->kinds[i]->thread, NULL);
		kind_free(c->kinds[i]);
	}
	free(c->kinds);
	pthread_cond_destroy(&c->cond);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

/* "ns/name", or "name" for cluster-scoped objects. Caller frees. */
static char *
obj_key(const json_t *obj)
{
	const json_t *md = json_object_get(obj, "metadata");
	const char *ns = json_string_value(json_object_get(md, "namespace"));
	const char *name = json_string_value(json_object_get(md, "name"));
	char *k;

	if (name == NULL)
		return NULL;
	if (ns != NULL && ns[0] != '\0')
		xasprintf(&k, "%s/%s", ns, name);
	else
		k = xstrdup(name);
	return k;
}

/* Drops what the cache does not keep; obj is modified in place. */
static void
obj_trim(json_t *obj)
{
	json_object_del(json_object_get(obj, "metadata"), "managedFields");
}

/* Stores obj as text under its key; obj is trimmed in place. */
static void
map_put(json_t *objs, size_t *bytes, json_t *obj)
{
	char *key = obj_key(obj), *text;
	json_t *old;

	if (key == NULL)
		return;
	obj_trim(obj);
	if ((old = json_object_get(objs, key)) != NULL)
		*bytes -= json_string_length(old);
	text = json_dumps(obj, JSON_COMPACT);
	*bytes += strlen(text);
	json_object_set_new(objs, key, json_string_nocheck(text));
	free(text);
	free(key);
}

static void
map_del(json_t *objs, size_t *bytes, const json_t *obj)
{
	char *key = obj_key(obj);
	json_t *old;

	if (key == NULL)
		return;
	if ((old = json_object_get(objs, key)) != NULL)
		*bytes -= json_string_length(old);
	json_object_del(objs, key);
	free(key);
}

/* The object stored as text, parsed: a new reference, or NULL. */
static json_t *
map_obj(const json_t *text)
{
	return json_loadb(
	    json_string_value(text), json_string_length(text), 0, NULL);
}

static void
kind_ref(const struct cache_kind *ck, struct gd_kube_ref *ref)
{
	ref->api_version = ck->api_version;
	ref->kind = ck->kind;
	ref->namespace = ck->namespace;
	ref->name = NULL;
}

/* What a relist builds before it is swapped in. */
struct relist {
	json_t *objs;
	size_t bytes;
};

static int
relist_item(void *arg, json_t *item)
{
	struct relist *r = arg;

	if (item == NULL) {
		json_object_clear(r->objs);
		r->bytes = 0;
	} else
		map_put(r->objs, &r->bytes, item);
	return 0;
}

/* A fresh LIST, page by page into text, swapped in whole. */
static int
kind_relist(struct cache_kind *ck, struct gd_err *err)
{
	struct gd_kube_cache *c = ck->cache;
	struct gd_kube_ref ref;
	struct relist r = { json_object(), 0 };
	char *rv = NULL;
	int rc;

	kind_ref(ck, &ref);
	if ((rc = gd_kube_list_each(
		 c->kube, &rv, &ref, NULL, relist_item, &r, err)) < 0) {
		json_decref(r.objs);
		return rc;
	}
	pthread_mutex_lock(&c->lock);
	json_decref(ck->objs);
	ck->objs = r.objs;
	ck->bytes = r.bytes;
	free(ck->pos.rv);
	ck->pos.rv = rv;
	ck->pos.expired = false;
	pthread_mutex_unlock(&c->lock);
	return 0;
}

/* Tells the subscriber, outside the lock. */
static void
kind_notify(struct cache_kind *ck, enum gd_kube_event ev, const json_t *obj)
{
	struct gd_kube_cache *c = ck->cache;
	gd_kube_change_fn fn;
	void *arg;

	pthread_mutex_lock(&c->lock);
	fn = c->fn;
	arg = c->fn_arg;
	pthread_mutex_unlock(&c->lock);
	if (fn != NULL)
		fn(arg, ev, ck->api_version, ck->kind, obj);
}

static int
kind_event(void *arg, enum gd_kube_event ev, json_t *obj)
{
	struct cache_kind *ck = arg;
	struct gd_kube_cache *c;

	GD_CHECK_OBJ(ck, KIND_MAGIC);
	c = ck->cache;
	if (ev == GD_KUBE_BOOKMARK)
		return 0;
	pthread_mutex_lock(&c->lock);
	if (ev == GD_KUBE_DELETED)
		map_del(ck->objs, &ck->bytes, obj);
	else
		map_put(ck->objs, &ck->bytes, obj);
	pthread_mutex_unlock(&c->lock);
	kind_notify(ck, ev, obj);
	return 0;
}

void
gd_kube_cache_subscribe(
    struct gd_kube_cache *c, gd_kube_change_fn fn, void *arg)
{
	pthread_mutex_lock(&c->lock);
	c->fn = fn;
	c->fn_arg = arg;
	pthread_mutex_unlock(&c->lock);
}

/* Sleeps ms unless the cache stops first; true when stopping. */
static bool
cache_pause(struct gd_kube_cache *c, int ms)
{
	struct timespec ts;
	bool stop;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&c->lock);
	while (!c->stop &&
	    pthread_cond_timedwait(&c->cond, &c->lock, &ts) != ETIMEDOUT)
		;
	stop = c->stop;
	pthread_mutex_unlock(&c->lock);
	return stop;
}

/*
 * The kind's thread: watch, resume, and list again after a 410. Failures
 * are logged here, the top of this job, and retried with backoff.
 */
static void *
kind_main(void *arg)
{
	struct cache_kind *ck = arg;
	struct gd_kube_cache *c = ck->cache;
	struct gd_kube_ref ref;
	struct gd_err err;
	uint64_t t0;
	bool watched;
	int fails = 0, rc;

	GD_CHECK_OBJ(ck, KIND_MAGIC);
	kind_ref(ck, &ref);
	while (!c->stop) {
		gd_err_clear(&err);
		t0 = gd_time_mono_ms();
		watched = !ck->pos.expired && ck->pos.rv != NULL;
		if (!watched) {
			/* After a gap: whatever changed in it is unknown. */
			if ((rc = kind_relist(ck, &err)) == 0)
				kind_notify(ck, GD_KUBE_MODIFIED, NULL);
		} else
			rc = gd_kube_watch(c->kube, &ck->pos, &ref, NULL,
			    WATCH_TIMEOUT_S, &c->stop, kind_event, ck, &err);
		if (rc == 0) {
			fails = 0;
			/* A server that ends watches at once is not spun on. */
			if (watched && gd_time_mono_ms() - t0 < 1000 &&
			    cache_pause(c, 200))
				break;
			continue;
		}
		log_warnx("kube: cache %s %s: %s", ck->api_version, ck->kind,
		    err.msg);
		if (cache_pause(c, gd_kube_backoff_ms(500, fails++)))
			break;
	}
	return NULL;
}

static struct cache_kind *
kind_find(
    struct gd_kube_cache *c, const char *av, const char *kind, const char *ns)
{
	struct cache_kind *ck;
	size_t i;

	for (i = 0; i < c->nkinds; i++) {
		ck = c->kinds[i];
		if (strcmp(ck->api_version, av) != 0 ||
		    strcmp(ck->kind, kind) != 0)
			continue;
		/* A kind mirrored in every namespace serves any of them. */
		if (ck->namespace == NULL ||
		    (ns != NULL && strcmp(ck->namespace, ns) == 0))
			return ck;
	}
	return NULL;
}

int
gd_kube_cache_track(struct gd_kube_cache *c, const char *av, const char *kind,
    const char *ns, struct gd_err *err)
{
	struct cache_kind *ck = NULL;
	int rc;

	if (av == NULL || kind == NULL)
		return gd_err_set(
		    err, GD_EINVAL, "cache: no apiVersion or kind");
	pthread_mutex_lock(&c->lock);
	ck = kind_find(c, av, kind, ns);
	pthread_mutex_unlock(&c->lock);
	if (ck != NULL)
		return 0;
	ck = xcalloc(1, sizeof(*ck));
	ck->magic = KIND_MAGIC;
	ck->cache = c;
	ck->api_version = xstrdup(av);
	ck->kind = xstrdup(kind);
	ck->namespace = ns != NULL ? xstrdup(ns) : NULL;
	if ((rc = kind_relist(ck, err)) < 0) {
		gd_err_wrap(err, "cache %s", kind);
		kind_free(ck);
		return rc;
	}
	pthread_mutex_lock(&c->lock);
	/* Another thread may have tracked it while we listed. */
	if (kind_find(c, av, kind, ns) != NULL) {
		pthread_mutex_unlock(&c->lock);
		kind_free(ck);
		return 0;
	}
	c->kinds = xreallocarray(c->kinds, c->nkinds + 1, sizeof(*c->kinds));
	c->kinds[c->nkinds++] = ck;
	if (pthread_create(&ck->thread, NULL, kind_main, ck) == 0)
		ck->running = true;
	pthread_mutex_unlock(&c->lock);
	if (!ck->running)
		return gd_err_set(
		    err, GD_EINTERNAL, "cache %s: cannot start a thread", kind);
	return 0;
}

int
gd_kube_cache_list(struct gd_kube_cache *c, json_t **out, const char *av,
    const char *kind, const char *ns, struct gd_err *err)
{
	struct cache_kind *ck;
	const char *key;
	json_t *obj, *arr;
	size_t nslen = ns != NULL ? strlen(ns) : 0;

	*out = NULL;
	pthread_mutex_lock(&c->lock);
	if ((ck = kind_find(c, av, kind, ns)) == NULL) {
		pthread_mutex_unlock(&c->lock);
		return gd_err_set(
		    err, GD_ENOTFOUND, "cache: %s %s not tracked", av, kind);
	}
	arr = json_array();
	json_object_foreach(ck->objs, key, obj) {
		if (ns != NULL &&
		    (strncmp(key, ns, nslen) != 0 || key[nslen] != '/'))
			continue;
		json_array_append_new(arr, map_obj(obj));
	}
	pthread_mutex_unlock(&c->lock);
	*out = arr;
	return 0;
}

int
gd_kube_cache_get(struct gd_kube_cache *c, json_t **out,
    const struct gd_kube_ref *ref, struct gd_err *err)
{
	struct cache_kind *ck;
	json_t *obj;
	char *key;

	*out = NULL;
	if (ref->name == NULL)
		return gd_err_set(err, GD_EINVAL, "cache: no name");
	if (ref->namespace != NULL)
		xasprintf(&key, "%s/%s", ref->namespace, ref->name);
	else
		key = xstrdup(ref->name);
	pthread_mutex_lock(&c->lock);
	if ((ck = kind_find(c, ref->api_version, ref->kind, ref->namespace)) !=
		NULL &&
	    (obj = json_object_get(ck->objs, key)) != NULL)
		*out = map_obj(obj);
	pthread_mutex_unlock(&c->lock);
	free(key);
	if (ck == NULL)
		return gd_err_set(err, GD_ENOTFOUND, "cache: %s %s not tracked",
		    ref->api_version, ref->kind);
	if (*out == NULL)
		return gd_err_set(
		    err, GD_ENOTFOUND, "%s %s not found", ref->kind, ref->name);
	return 0;
}

void
gd_kube_cache_stats(struct gd_kube_cache *c, size_t *objects, size_t *bytes)
{
	size_t i;

	*objects = *bytes = 0;
	pthread_mutex_lock(&c->lock);
	for (i = 0; i < c->nkinds; i++) {
		*objects += json_object_size(c->kinds[i]->objs);
		*bytes += c->kinds[i]->bytes;
	}
	pthread_mutex_unlock(&c->lock);
}
