/* SPDX-License-Identifier: ISC */
/*
 * Reading objects: GET, LIST across pages, and WATCH.
 *
 * Two API quirks are handled here so no caller meets them. Items of a
 * built-in list carry no kind or apiVersion (kubernetes#3030), so they are
 * filled from the list. And a watch is a never-ending chunked body of one
 * JSON event per line, which arrives in arbitrary pieces: the bytes are
 * gathered until a newline, each line is one event, and the position
 * (resourceVersion) moves with every event and bookmark so the next watch
 * resumes exactly there. A 410, as a status or an ERROR event, means the
 * history is gone and the caller must LIST again.
 */
#include <stdlib.h>
#include <string.h>

#include "kube_int.h"

#define WATCH_LINE_MAX (64u << 20)
#define WATCH_EXPIRED  (-1000) /* internal: stop the stream, not an error */

void
gd_kube_item_fill(json_t *item, const char *list_kind, const char *api_version)
{
	size_t n;
	char *kind;

	if (!json_is_object(item))
		return;
	if (json_object_get(item, "apiVersion") == NULL && api_version != NULL)
		json_object_set_new(
		    item, "apiVersion", json_string(api_version));
	if (json_object_get(item, "kind") != NULL || list_kind == NULL)
		return;
	n = strlen(list_kind);
	if (n > 4 && strcmp(list_kind + n - 4, "List") == 0) {
		kind = xstrndup(list_kind, n - 4);
		json_object_set_new(item, "kind", json_string(kind));
		free(kind);
	}
}

int
gd_kube_get(struct gd_kube *k, json_t **out, const struct gd_kube_ref *ref,
    struct gd_err *err)
{
	json_t *obj = NULL;
	char *path = NULL;
	int rc;

	*out = NULL;
	if (ref->name == NULL)
		return gd_err_set(err, GD_EINVAL, "get %s: no name", ref->kind);
	if ((rc = gd_kube_path(k, &path, ref, err)) < 0 ||
	    (rc = gd_kube_request(
		 k, &obj, NULL, "GET", path, NULL, NULL, 0, err)) < 0)
		goto out;
	if (!json_is_object(obj)) {
		rc = gd_err_set(
		    err, GD_EUPSTREAM, "GET %s: not an object", path);
		goto out;
	}
	if (json_object_get(obj, "kind") == NULL)
		json_object_set_new(obj, "kind", json_string(ref->kind));
	if (json_object_get(obj, "apiVersion") == NULL)
		json_object_set_new(
		    obj, "apiVersion", json_string(ref->api_version));
	*out = obj;
	obj = NULL;
out:
	json_decref(obj);
	free(path);
	return rc;
}

/* The query of a LIST or WATCH: selectors, then what the caller adds. */
static void
add_selectors(struct gd_buf *b, const struct gd_kube_list_opts *o)
{
	if (o == NULL)
		return;
	if (o->label_selector != NULL && o->label_selector[0] != '\0') {
		gd_buf_adds(b, "&labelSelector=");
		gd_kube_query_escape(b, o->label_selector);
	}
	if (o->field_selector != NULL && o->field_selector[0] != '\0') {
		gd_buf_adds(b, "&fieldSelector=");
		gd_kube_query_escape(b, o->field_selector);
	}
}

/* One page; *cont is the next page's token (NULL at the end). */
static int
list_page(struct gd_kube *k, char **rv, char **cont, long *status,
    const char *path, const struct gd_kube_ref *ref,
    const struct gd_kube_list_opts *o, kube_item_fn fn, void *arg,
    struct gd_err *err)
{
	struct gd_buf q;
	json_t *doc = NULL, *arr, *it;
	const char *lkind, *lav, *s;
	size_t i;
	int rc;

	gd_buf_init(&q);
	gd_buf_printf(&q, "%s?limit=%ld", path,
	    o != NULL && o->limit > 0 ? o->limit : 500);
	add_selectors(&q, o);
	if (*cont != NULL) {
		gd_buf_adds(&q, "&continue=");
		gd_kube_query_escape(&q, *cont);
		free(*cont);
		*cont = NULL;
	}
	if ((rc = gd_kube_request(
		 k, &doc, status, "GET", q.data, NULL, NULL, 0, err)) < 0)
		goto out;
	arr = json_object_get(doc, "items");
	if (!json_is_array(arr) && !json_is_null(arr) && arr != NULL) {
		rc = gd_err_set(err, GD_EUPSTREAM, "LIST %s: no items", path);
		goto out;
	}
	lkind = json_string_value(json_object_get(doc, "kind"));
	lav = json_string_value(json_object_get(doc, "apiVersion"));
	json_array_foreach(arr, i, it) {
		gd_kube_item_fill(
		    it, lkind, lav != NULL ? lav : ref->api_version);
		if (json_object_get(it, "kind") == NULL)
			json_object_set_new(it, "kind", json_string(ref->kind));
		if ((rc = fn(arg, it)) < 0)
			goto out;
	}
	s = json_string_value(json_object_get(
	    json_object_get(doc, "metadata"), "resourceVersion"));
	if (s != NULL && rv != NULL) {
		free(*rv);
		*rv = xstrdup(s);
	}
	s = json_string_value(
	    json_object_get(json_object_get(doc, "metadata"), "continue"));
	if (s != NULL && s[0] != '\0')
		*cont = xstrdup(s);
out:
	json_decref(doc);
	gd_buf_dispose(&q);
	return rc;
}

int
gd_kube_list_each(struct gd_kube *k, char **rv, const struct gd_kube_ref *ref,
    const struct gd_kube_list_opts *o, kube_item_fn fn, void *arg,
    struct gd_err *err)
{
	struct gd_kube_ref coll = *ref;
	char *path = NULL, *cont = NULL, *lrv = NULL;
	long status;
	int rc, pages = 0, restarts = 0;

	if (rv != NULL)
		*rv = NULL;
	coll.name = NULL;
	if ((rc = gd_kube_path(k, &path, &coll, err)) < 0)
		goto out;
	do {
		status = 0;
		rc = list_page(
		    k, &lrv, &cont, &status, path, ref, o, fn, arg, err);
		/* A continue token expired between pages: start over, once. */
		if (rc < 0 && status == 410 && pages > 0 && restarts++ == 0) {
			free(cont);
			cont = NULL;
			pages = 0;
			if ((rc = fn(arg, NULL)) < 0)
				goto out;
			rc = list_page(k, &lrv, &cont, &status, path, ref, o,
			    fn, arg, err);
		}
		if (rc < 0)
			goto out;
		pages++;
	} while (cont != NULL);
	if (rv != NULL) {
		*rv = lrv;
		lrv = NULL;
	}
out:
	free(path);
	free(cont);
	free(lrv);
	return rc;
}

static int
list_append(void *arg, json_t *item)
{
	json_t *items = arg;

	if (item == NULL)
		json_array_clear(items);
	else
		json_array_append(items, item);
	return 0;
}

int
gd_kube_list(struct gd_kube *k, json_t **out, char **rv,
    const struct gd_kube_ref *ref, const struct gd_kube_list_opts *o,
    struct gd_err *err)
{
	json_t *items = json_array();
	int rc;

	*out = NULL;
	if ((rc = gd_kube_list_each(k, rv, ref, o, list_append, items, err)) <
	    0) {
		json_decref(items);
		return rc;
	}
	*out = items;
	return 0;
}

/* --- watch ------------------------------------------------------------ */

#define WATCH_MAGIC 0x77617463u

struct watch {
	unsigned magic;
	struct gd_buf line;
	struct gd_kube_watch_pos *pos;
	const struct gd_kube_ref *ref;
	gd_kube_watch_fn fn;
	void *arg;
	struct gd_err *err;
};

static void
watch_rv(struct watch *w, const json_t *obj)
{
	const char *rv = json_string_value(json_object_get(
	    json_object_get(obj, "metadata"), "resourceVersion"));

	if (rv != NULL && rv[0] != '\0') {
		free(w->pos->rv);
		w->pos->rv = xstrdup(rv);
	}
}

/* One event line. */
static int
watch_event(struct watch *w, const char *data, size_t len)
{
	json_t *ev, *obj;
	const char *type;
	char *st;
	enum gd_kube_event t;
	int rc = 0;

	if ((ev = json_loadb(data, len, 0, NULL)) == NULL)
		return gd_err_set(w->err, GD_EUPSTREAM,
		    "watch %s: an event is not JSON", w->ref->kind);
	type = json_string_value(json_object_get(ev, "type"));
	obj = json_object_get(ev, "object");
	if (type == NULL || !json_is_object(obj)) {
		rc = gd_err_set(w->err, GD_EUPSTREAM,
		    "watch %s: an event has no type or object", w->ref->kind);
		goto out;
	}
	if (strcmp(type, "ERROR") == 0) {
		if (json_integer_value(json_object_get(obj, "code")) == 410) {
			w->pos->expired = true;
			rc = WATCH_EXPIRED;
		} else {
			st = json_dumps(obj, JSON_COMPACT);
			rc = gd_kube_status_err(w->err,
			    (long)json_integer_value(
				json_object_get(obj, "code")),
			    st, strlen(st));
			free(st);
		}
		goto out;
	}
	if (strcmp(type, "ADDED") == 0)
		t = GD_KUBE_ADDED;
	else if (strcmp(type, "MODIFIED") == 0)
		t = GD_KUBE_MODIFIED;
	else if (strcmp(type, "DELETED") == 0)
		t = GD_KUBE_DELETED;
	else if (strcmp(type, "BOOKMARK") == 0)
		t = GD_KUBE_BOOKMARK;
	else
		goto out; /* a newer event type: skip it */
	if (t != GD_KUBE_BOOKMARK) {
		if (json_object_get(obj, "kind") == NULL)
			json_object_set_new(
			    obj, "kind", json_string(w->ref->kind));
		if (json_object_get(obj, "apiVersion") == NULL)
			json_object_set_new(obj, "apiVersion",
			    json_string(w->ref->api_version));
	}
	watch_rv(w, obj);
	if (w->fn != NULL)
		rc = w->fn(w->arg, t, obj);
out:
	json_decref(ev);
	return rc;
}

static int
watch_chunk(void *p, const char *data, size_t len)
{
	struct watch *w = p;
	const char *nl;
	size_t n;
	int rc;

	GD_CHECK_OBJ(w, WATCH_MAGIC);
	while (len > 0) {
		nl = memchr(data, '\n', len);
		n = nl != NULL ? (size_t)(nl - data) : len;
		if (w->line.len + n > WATCH_LINE_MAX)
			return gd_err_set(w->err, GD_ETOOBIG,
			    "watch %s: an event over %u bytes", w->ref->kind,
			    WATCH_LINE_MAX);
		gd_buf_add(&w->line, data, n);
		if (nl == NULL)
			break;
		if (w->line.len > 0 &&
		    (rc = watch_event(w, w->line.data, w->line.len)) < 0)
			return rc;
		gd_buf_reset(&w->line);
		data += n + 1;
		len -= n + 1;
	}
	return 0;
}

int
gd_kube_watch_feed(struct gd_kube_watch_pos *pos, const struct gd_kube_ref *ref,
    const char *data, size_t len, size_t chunk, gd_kube_watch_fn fn, void *arg,
    struct gd_err *err)
{
	struct watch w;
	size_t off, n;
	int rc = 0;

	memset(&w, 0, sizeof(w));
	w.magic = WATCH_MAGIC;
	gd_buf_init(&w.line);
	w.pos = pos;
	w.ref = ref;
	w.fn = fn;
	w.arg = arg;
	w.err = err;
	pos->expired = false;
	if (chunk == 0)
		chunk = len;
	for (off = 0; rc == 0 && off < len; off += n) {
		n = len - off < chunk ? len - off : chunk;
		rc = watch_chunk(&w, data + off, n);
	}
	if (rc == 0 && w.line.len > 0)
		rc = watch_event(&w, w.line.data, w.line.len);
	if (rc == WATCH_EXPIRED)
		rc = 0;
	gd_buf_dispose(&w.line);
	return rc;
}

int
gd_kube_watch(struct gd_kube *k, struct gd_kube_watch_pos *pos,
    const struct gd_kube_ref *ref, const struct gd_kube_list_opts *o,
    int timeout_s, const volatile bool *stop, gd_kube_watch_fn fn, void *arg,
    struct gd_err *err)
{
	struct gd_kube_ref coll = *ref;
	struct watch w;
	struct gd_buf q;
	char *path = NULL;
	long status = 0;
	int rc;

	memset(&w, 0, sizeof(w));
	w.magic = WATCH_MAGIC;
	gd_buf_init(&w.line);
	gd_buf_init(&q);
	w.pos = pos;
	w.ref = ref;
	w.fn = fn;
	w.arg = arg;
	w.err = err;
	pos->expired = false;
	coll.name = NULL;
	if (timeout_s <= 0)
		timeout_s = 300;
	if ((rc = gd_kube_path(k, &path, &coll, err)) < 0)
		goto out;
	gd_buf_printf(&q,
	    "%s?watch=true&allowWatchBookmarks=true"
	    "&timeoutSeconds=%d",
	    path, timeout_s);
	if (pos->rv != NULL) {
		gd_buf_adds(&q, "&resourceVersion=");
		gd_kube_query_escape(&q, pos->rv);
	}
	add_selectors(&q, o);
	rc = gd_kube_stream(
	    k, &status, q.data, timeout_s, stop, watch_chunk, &w, err);
	if (rc == WATCH_EXPIRED || status == 410) {
		pos->expired = true;
		rc = 0;
	}
	/* A last event without its newline when the stream ended. */
	if (rc == 0 && !pos->expired && w.line.len > 0)
		rc = watch_event(&w, w.line.data, w.line.len);
	if (rc == WATCH_EXPIRED)
		rc = 0;
out:
	gd_buf_dispose(&w.line);
	gd_buf_dispose(&q);
	free(path);
	return rc;
}
