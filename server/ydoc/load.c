/* SPDX-License-Identifier: ISC */
/*
 * The YAML loader: libyaml's event stream turned into json_t the way
 * sigs.k8s.io/yaml (go-yaml v2 underneath) reads Kubernetes manifests and
 * Helm values: plain scalars typed by ydoc_resolve, keys made strings,
 * anchors, aliases and << merges expanded, duplicate keys refused, and
 * every error prefixed with "name:line:col: ".
 *
 * The hard part is aliases. The tree we hand out must not share nodes (a
 * shared subtree would be changed through two paths by whoever edits it
 * next), but copying at each alias makes a billion-laughs file cost
 * a million copies before it is refused. So while parsing an alias only
 * takes a reference, and each anchor records the node count and height of
 * its subtree (aliases inside it counted), which are checked against
 * max_alias_nodes and the depth limit at every alias; only when the whole
 * document has passed does load_unshare copy every node held twice.
 *
 * Merges follow the YAML merge-key rules (which go-yaml v3 implements):
 * keys written in the mapping win over merged ones wherever the << sits,
 * and in "<<: [*a, *b]" *a wins over *b. Merged keys are added when the
 * mapping ends, so the duplicate check only ever sees written keys.
 *
 * Marks: a JSON pointer per node, for a mapping entry the position of
 * its key. An alias is marked where it is written; the nodes copied
 * from the anchor and the keys a merge brings in get no mark (the
 * caller falls back to the nearest marked parent). Duplicate keys are
 * reported with the first key's position. With marks that is a lookup;
 * without, the first run notes the duplicate's pointer and a second run
 * notes where that pointer was last seen before the duplicate, so the
 * common path pays nothing for it.
 *
 * Where this departs from sigs.k8s.io/yaml (each on purpose):
 * - Duplicate keys are an error, as in its YAMLToJSONStrict; plain
 *   YAMLToJSON keeps one of them silently.
 * - A null key becomes "null" (sigs.k8s.io/yaml refuses the document).
 * - !!binary keeps the base64 text (go-yaml v2 decodes it).
 * - .nan, .inf and -.inf values are an error, as JSON cannot hold them
 *   (sigs.k8s.io/yaml fails later, in json.Marshal); as keys they become
 *   ".nan", ".inf" and "-.inf", as there.
 * - Anchors are per document, as in go-yaml.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "ydoc_int.h"

#define LOAD_MAX_BYTES ((size_t)16 << 20)
#define LOAD_MAX_DEPTH 256
#define LOAD_MAX_ALIAS ((size_t)1 << 20)
#define LOAD_RERUN     1 /* internal: run again to find a first key */
#define LOAD_SHOW      48 /* bytes of a key or value quoted in a message */

/*
 * Marks inside a merge value go under this segment, then are dropped:
 * "~2" is not a valid escape, so no real key can produce it.
 */
#define LOAD_MERGE_SEG "/~2merge"

#define LOAD_TAG_MERGE "tag:yaml.org,2002:merge"

struct load_anchor {
	char *name;
	json_t *value; /* NULL for .nan/.inf, kept for keys */
	const char *nonfinite; /* its key spelling when value is NULL */
	size_t nodes; /* nodes an alias to it copies */
	size_t height; /* collections nested in it */
};

struct load_frame {
	json_t *node; /* the object or array being filled */
	char *anchor; /* registered when the node ends */
	json_t *merges; /* objects from "<<", applied when a map ends */
	char *key; /* pending key of a map */
	size_t keylen;
	bool have_key;
	bool key_merge; /* the pending key is "<<" */
	yaml_mark_t key_mark;
	size_t path_len; /* length of this node's JSON pointer */
	size_t index; /* next list index */
	size_t nodes;
	size_t height;
	bool is_map;
};

/* What a run that found a duplicate key tells the run after it. */
struct load_want {
	struct gd_buf path; /* the duplicate's JSON pointer */
	size_t doc; /* in this document */
	bool set;
};

struct load_ctx {
	const char *name;
	const char *buf;
	size_t len;
	struct gd_ydoc_limits lim;
	yaml_parser_t parser;
	bool parser_open;
	struct load_frame *stack;
	size_t depth;
	size_t stack_cap;
	struct load_anchor *anchors;
	size_t nanchors;
	size_t anchors_cap;
	json_t *anchor_index; /* name -> index in anchors */
	size_t alias_nodes;
	json_t *docs;
	json_t *marks; /* the caller's marks, or NULL */
	json_t *doc_marks; /* this document's, when tracking */
	bool track; /* record marks: the caller wants them */
	struct load_want *want;
	yaml_mark_t first; /* last key seen at want's pointer */
	bool have_first;
	bool merge_paths; /* doc_marks has LOAD_MERGE_SEG paths */
	json_t *root;
	struct gd_buf path;
	struct gd_err *err;
};

GD_PRINTF(4, 5)
static int
load_fail(
    struct load_ctx *ctx, int code, const yaml_mark_t *m, const char *fmt, ...)
{
	char msg[sizeof(ctx->err->msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return gd_err_set(ctx->err, code, "%s:%zu:%zu: %s", ctx->name,
	    m->line + 1, m->column + 1, msg);
}

/* A key or value for a message: cut on a UTF-8 boundary, "..." if cut. */
static const char *
load_show(char out[LOAD_SHOW + 4], const char *s, size_t len)
{
	size_t n = len;

	if (n > LOAD_SHOW) {
		n = LOAD_SHOW;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	memcpy(out, s, n);
	memcpy(out + n, n < len ? "..." : "", n < len ? 4 : 1);
	/* A NUL inside would end the message early; show it as a space. */
	while (n-- > 0)
		if (out[n] == '\0')
			out[n] = ' ';
	return out;
}

/* --- JSON pointers and marks ---------------------------------------------- */

static void
load_path_cut(struct load_ctx *ctx, size_t len)
{
	ctx->path.len = len;
	if (ctx->path.data != NULL)
		ctx->path.data[len] = '\0';
}

static void
load_path_key(struct load_ctx *ctx, const char *key, size_t len)
{
	size_t i, start = 0;

	gd_buf_addc(&ctx->path, '/');
	for (i = 0; i < len; i++) {
		if (key[i] != '~' && key[i] != '/')
			continue;
		gd_buf_add(&ctx->path, key + start, i - start);
		gd_buf_adds(&ctx->path, key[i] == '~' ? "~0" : "~1");
		start = i + 1;
	}
	gd_buf_add(&ctx->path, key + start, len - start);
}

static void
load_mark(struct load_ctx *ctx, const yaml_mark_t *m)
{
	json_t *pos;

	if (ctx->doc_marks == NULL)
		return;
	pos = json_array();
	json_array_append_new(pos, json_integer((json_int_t)m->line + 1));
	json_array_append_new(pos, json_integer((json_int_t)m->column + 1));
	json_object_setn_new_nocheck(ctx->doc_marks,
	    ctx->path.data != NULL ? ctx->path.data : "", ctx->path.len, pos);
}

/* Drops the marks recorded inside merge values. */
static void
load_marks_prune(json_t *marks)
{
	const char *k;
	size_t klen;
	json_t *v;
	void *tmp;
	size_t i;

	json_object_keylen_foreach_safe(marks, tmp, k, klen, v)
	{
		(void)v;
		/* Escaping never makes "~2", so it can only be the segment. */
		for (i = 0; i + 1 < klen; i++)
			if (k[i] == '~' && k[i + 1] == '2')
				break;
		if (i + 1 < klen)
			json_object_deln(marks, k, klen);
	}
}

/* --- anchors -------------------------------------------------------------- */

static void
load_anchors_reset(struct load_ctx *ctx)
{
	size_t i;

	for (i = 0; i < ctx->nanchors; i++) {
		free(ctx->anchors[i].name);
		json_decref(ctx->anchors[i].value);
	}
	ctx->nanchors = 0;
	json_object_clear(ctx->anchor_index);
}

/* Records name -> v (a new reference is taken); a later one replaces it. */
static void
load_anchor_add(struct load_ctx *ctx, const char *name, json_t *v,
    const char *nonfinite, size_t nodes, size_t height)
{
	struct load_anchor *a;

	if (ctx->nanchors == ctx->anchors_cap) {
		ctx->anchors_cap = ctx->anchors_cap ? ctx->anchors_cap * 2 : 16;
		ctx->anchors = xreallocarray(
		    ctx->anchors, ctx->anchors_cap, sizeof(*ctx->anchors));
	}
	a = &ctx->anchors[ctx->nanchors];
	a->name = xstrdup(name);
	a->value = json_incref(v);
	a->nonfinite = nonfinite;
	a->nodes = nodes;
	a->height = height;
	json_object_set_new(
	    ctx->anchor_index, name, json_integer((json_int_t)ctx->nanchors));
	ctx->nanchors++;
}

/*
 * The anchor an alias names. go-yaml registers an anchor when its node
 * starts, so an alias inside the node it names refers to itself.
 */
static int
load_anchor_find(
    struct load_ctx *ctx, const yaml_event_t *ev, struct load_anchor **out)
{
	const char *name = (const char *)ev->data.alias.anchor;
	json_t *i;
	size_t d;

	for (d = ctx->depth; d > 0; d--)
		if (ctx->stack[d - 1].anchor != NULL &&
		    strcmp(ctx->stack[d - 1].anchor, name) == 0)
			return load_fail(ctx, GD_EINVAL, &ev->start_mark,
			    "anchor '%s' value contains itself", name);
	if ((i = json_object_get(ctx->anchor_index, name)) == NULL)
		return load_fail(ctx, GD_EINVAL, &ev->start_mark,
		    "unknown anchor '%s' referenced", name);
	*out = &ctx->anchors[json_integer_value(i)];
	return 0;
}

/* A deep copy; the caller has checked its size and depth. */
static json_t *
load_copy(json_t *v)
{
	const char *k;
	json_t *c, *e;
	size_t i, klen;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		c = json_object();
		json_object_keylen_foreach(v, k, klen, e)
		    json_object_setn_new_nocheck(c, k, klen, load_copy(e));
		return c;
	case JSON_ARRAY:
		c = json_array();
		json_array_foreach(v, i, e)
			json_array_append_new(c, load_copy(e));
		return c;
	case JSON_STRING:
		return json_stringn_nocheck(
		    json_string_value(v), json_string_length(v));
	default:
		return json_deep_copy(v);
	}
}

/* Held by two parents? true, false and null are shared singletons. */
static bool
load_is_shared(const json_t *v)
{
	return json_typeof(v) != JSON_TRUE && json_typeof(v) != JSON_FALSE &&
	    json_typeof(v) != JSON_NULL && v->refcount > 1;
}

/*
 * Replaces every node that aliases put in more than one place with its
 * own copy. Run once anchors are dropped, so the only references left are
 * the tree's own: the first parent to be visited gets the copy, the last
 * keeps the original (whose refcount has fallen to one by then).
 */
static void
load_unshare(json_t *v)
{
	const char *k;
	json_t *e;
	size_t i, klen;

	if (json_is_object(v)) {
		json_object_keylen_foreach(v, k, klen, e)
		{
			if (load_is_shared(e))
				json_object_setn_new_nocheck(
				    v, k, klen, load_copy(e));
			else
				load_unshare(e);
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, e) {
			if (load_is_shared(e))
				json_array_set_new(v, i, load_copy(e));
			else
				load_unshare(e);
		}
	}
}

/* --- scalars and keys ----------------------------------------------------- */

static const char *
load_kind_name(enum ydoc_kind kind)
{
	switch (kind) {
	case YDOC_STR:
		return "str";
	case YDOC_NULL:
		return "null";
	case YDOC_BOOL:
		return "bool";
	case YDOC_INT:
		return "int";
	case YDOC_FLOAT:
		return "float";
	case YDOC_TIMESTAMP:
		return "timestamp";
	case YDOC_MERGE:
		return "merge";
	}
	return "?";
}

/* The kind a tag of go-yaml's resolvable set asks for, or -1. */
static int
load_tag_kind(const char *tag)
{
	static const struct {
		const char *tag;
		enum ydoc_kind kind;
	} tags[] = {
		{ YAML_NULL_TAG, YDOC_NULL },
		{ YAML_BOOL_TAG, YDOC_BOOL },
		{ YAML_INT_TAG, YDOC_INT },
		{ YAML_FLOAT_TAG, YDOC_FLOAT },
		{ YAML_TIMESTAMP_TAG, YDOC_TIMESTAMP },
	};
	size_t i;

	for (i = 0; i < sizeof(tags) / sizeof(tags[0]); i++)
		if (strcmp(tag, tags[i].tag) == 0)
			return (int)tags[i].kind;
	return -1;
}

/*
 * A scalar's value, as go-yaml v2's decoder types it: plain and untagged
 * goes through the resolver; quoted, block and !!str, !!binary or unknown
 * tags stay text; !!int, !!bool... must resolve to that kind (an int is
 * accepted as a !!float). *out is NULL for .nan and .inf.
 */
static int
load_scalar(struct load_ctx *ctx, const yaml_event_t *ev, json_t **out,
    enum ydoc_kind *kindp)
{
	const char *s = (const char *)ev->data.scalar.value;
	const char *tag = (const char *)ev->data.scalar.tag;
	size_t len = ev->data.scalar.length;
	char show[LOAD_SHOW + 4];
	enum ydoc_kind kind;
	int want;

	*out = NULL;
	want = tag != NULL ? load_tag_kind(tag) : -1;
	if ((tag == NULL && !ev->data.scalar.plain_implicit) ||
	    (tag != NULL && want == -1)) {
		if ((*out = json_stringn(s, len)) == NULL)
			return load_fail(ctx, GD_EINVAL, &ev->start_mark,
			    "invalid UTF-8 in a string");
		*kindp = YDOC_STR;
		return 0;
	}
	kind = ydoc_resolve(s, len, out);
	if (want != -1 && (int)kind != want) {
		if (want == YDOC_FLOAT && kind == YDOC_INT) {
			if (json_is_integer(*out)) {
				json_t *r =
				    json_real((double)json_integer_value(*out));
				json_decref(*out);
				*out = r;
			}
			kind = YDOC_FLOAT;
		} else {
			json_decref(*out);
			*out = NULL;
			return load_fail(ctx, GD_EINVAL, &ev->start_mark,
			    "cannot decode !!%s `%s` as a !!%s",
			    load_kind_name(kind), load_show(show, s, len),
			    load_kind_name((enum ydoc_kind)want));
		}
	}
	*kindp = kind;
	return 0;
}

/* How .nan/.inf/-.inf read as a key: go's FormatFloat spelling, mapped. */
static const char *
load_nonfinite_key(const char *s)
{
	if (s[0] == '-')
		return "-.inf";
	if (s[1] == 'n' || s[1] == 'N')
		return ".nan";
	return ".inf";
}

/*
 * A float key as sigs.k8s.io/yaml spells it: strconv.FormatFloat(f, 'g',
 * -1, 32), the shortest digits that read back as the same float32, in %e
 * form when the exponent is below -4 or at least 6.
 */
static void
load_float_key(char out[48], double d)
{
	char e[32], digits[16];
	float f = (float)d;
	int p, exp, nd, dp, i, n = 0;
	const char *m;

	if (isnan(f) || isinf(f)) {
		snprintf(out, 48, "%s",
		    isnan(f)  ? ".nan" :
			f > 0 ? ".inf" :
				"-.inf");
		return;
	}
	if (f == 0) {
		snprintf(out, 48, "%s", signbit(f) ? "-0" : "0");
		return;
	}
	for (p = 1; p < 9; p++) {
		snprintf(e, sizeof(e), "%.*e", p - 1, (double)f);
		if (strtof(e, NULL) == f)
			break;
	}
	snprintf(e, sizeof(e), "%.*e", p - 1, (double)f);
	m = e[0] == '-' ? e + 1 : e;
	for (nd = 0; *m != 'e'; m++)
		if (*m != '.')
			digits[nd++] = *m;
	exp = (int)strtol(m + 1, NULL, 10);
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	if (f < 0)
		out[n++] = '-';
	if (exp < -4 || exp >= 6) {
		out[n++] = digits[0];
		if (nd > 1)
			out[n++] = '.';
		for (i = 1; i < nd; i++)
			out[n++] = digits[i];
		snprintf(out + n, (size_t)(48 - n), "e%c%02d",
		    exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
		return;
	}
	dp = exp + 1;
	if (dp <= 0)
		out[n++] = '0';
	for (i = 0; i < dp; i++)
		out[n++] = i < nd ? digits[i] : '0';
	if (nd > dp) {
		out[n++] = '.';
		for (i = dp; i < nd; i++)
			out[n++] = i < 0 ? '0' : digits[i];
	}
	out[n] = '\0';
}

/*
 * A scalar key as sigs.k8s.io/yaml makes it a string. A uint64 past
 * INT64_MAX is a real here and comes out in float form (sigs.k8s.io/yaml
 * refuses such keys).
 */
static void
load_key_string(
    const json_t *v, const char *nonfinite, char **key, size_t *keylen)
{
	char num[48];

	if (v == NULL) {
		*key = xstrdup(nonfinite);
		*keylen = strlen(nonfinite);
		return;
	}
	switch (json_typeof(v)) {
	case JSON_STRING:
		/* Not xstrndup: a key may hold a NUL ("\0" in quotes). */
		*keylen = json_string_length(v);
		*key = xmalloc(*keylen + 1);
		memcpy(*key, json_string_value(v), *keylen);
		(*key)[*keylen] = '\0';
		return;
	case JSON_INTEGER:
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
		break;
	case JSON_REAL:
		load_float_key(num, json_real_value(v));
		break;
	case JSON_TRUE:
		snprintf(num, sizeof(num), "true");
		break;
	case JSON_FALSE:
		snprintf(num, sizeof(num), "false");
		break;
	default:
		snprintf(num, sizeof(num), "null");
		break;
	}
	*key = xstrdup(num);
	*keylen = strlen(num);
}

/* --- building the tree ---------------------------------------------------- */

/* A merge key's value: a map, or a list of maps written in place. */
static int
load_merge_add(
    struct load_ctx *ctx, struct load_frame *top, json_t *v, bool alias)
{
	json_t *e;
	size_t i;
	int rc = 0;

	if (top->merges == NULL)
		top->merges = json_array();
	if (json_is_object(v))
		json_array_append(top->merges, v);
	else if (json_is_array(v) && !alias) {
		json_array_foreach(v, i, e) {
			if (!json_is_object(e))
				break;
			json_array_append(top->merges, e);
		}
		if (i < json_array_size(v))
			rc = -1;
	} else
		rc = -1;
	json_decref(v);
	if (rc < 0)
		return load_fail(ctx, GD_EINVAL, &top->key_mark,
		    "map merge requires map or sequence of maps as the value");
	return 0;
}

/* Keys already there (written, or from an earlier merge) win. */
static void
load_merge_apply(json_t *obj, json_t *merges)
{
	const char *k;
	json_t *src, *v;
	size_t i, klen;

	json_array_foreach(merges, i, src) {
		json_object_keylen_foreach(src, k, klen, v)
		{
			if (json_object_getn(obj, k, klen) == NULL)
				json_object_setn_nocheck(obj, k, klen, v);
		}
	}
}

/* Sets the pointer of the value about to start, and marks it. */
static void
load_value_begin(struct load_ctx *ctx, const yaml_mark_t *m)
{
	struct load_frame *top;

	if (ctx->depth == 0) {
		load_path_cut(ctx, 0);
		load_mark(ctx, m);
		return;
	}
	top = &ctx->stack[ctx->depth - 1];
	if (top->is_map)
		return; /* the key set the pointer and the mark */
	load_path_cut(ctx, top->path_len);
	gd_buf_printf(&ctx->path, "/%zu", top->index);
	load_mark(ctx, m);
}

/* Hands v (a new reference, taken over) to its parent. */
static int
load_value_done(
    struct load_ctx *ctx, json_t *v, size_t nodes, size_t height, bool alias)
{
	struct load_frame *top;

	if (ctx->depth == 0) {
		json_decref(ctx->root);
		ctx->root = v;
		return 0;
	}
	top = &ctx->stack[ctx->depth - 1];
	top->nodes += nodes;
	if (height + 1 > top->height)
		top->height = height + 1;
	if (!top->is_map) {
		json_array_append_new(top->node, v);
		top->index++;
		return 0;
	}
	top->have_key = false;
	if (top->key_merge) {
		top->key_merge = false;
		return load_merge_add(ctx, top, v, alias);
	}
	/* Keys come from json strings or numbers: valid UTF-8. */
	json_object_setn_new_nocheck(top->node, top->key, top->keylen, v);
	free(top->key);
	top->key = NULL;
	return 0;
}

static int
load_duplicate(struct load_ctx *ctx, const struct load_frame *top)
{
	char show[LOAD_SHOW + 4];
	yaml_mark_t first;
	json_t *pos;

	load_show(show, top->key, top->keylen);
	if (ctx->doc_marks != NULL &&
	    (pos = json_object_getn(
		 ctx->doc_marks, ctx->path.data, ctx->path.len)) != NULL) {
		first.line = (size_t)json_integer_value(json_array_get(pos, 0));
		first.column =
		    (size_t)json_integer_value(json_array_get(pos, 1));
	} else if (ctx->have_first) {
		first.line = ctx->first.line + 1;
		first.column = ctx->first.column + 1;
	} else if (!ctx->want->set) {
		gd_buf_add(&ctx->want->path, ctx->path.data, ctx->path.len);
		ctx->want->doc = json_array_size(ctx->docs);
		ctx->want->set = true;
		return LOAD_RERUN;
	} else
		return load_fail(ctx, GD_EINVAL, &top->key_mark,
		    "duplicate key \"%s\"", show);
	return load_fail(ctx, GD_EINVAL, &top->key_mark,
	    "duplicate key \"%s\" (first at %zu:%zu)", show, first.line,
	    first.column);
}

/*
 * In the run after a duplicate was found: notes each key at its pointer.
 * The last one before the duplicate is in the same mapping, even when a
 * pointer repeats (two merge values of one mapping share a segment).
 */
static void
load_note_key(struct load_ctx *ctx, const yaml_mark_t *m)
{
	struct load_want *w = ctx->want;

	if (w->set && w->doc == json_array_size(ctx->docs) &&
	    w->path.len == ctx->path.len &&
	    memcmp(w->path.data, ctx->path.data, ctx->path.len) == 0) {
		ctx->first = *m;
		ctx->have_first = true;
	}
}

static bool
load_is_merge_key(const yaml_event_t *ev)
{
	const char *tag = (const char *)ev->data.scalar.tag;

	return ev->data.scalar.length == 2 &&
	    memcmp(ev->data.scalar.value, "<<", 2) == 0 &&
	    (ev->data.scalar.plain_implicit ||
		(tag != NULL && strcmp(tag, LOAD_TAG_MERGE) == 0));
}

/* A node in key position of the map on top of the stack. */
static int
load_key(struct load_ctx *ctx, const yaml_event_t *ev)
{
	struct load_frame *top = &ctx->stack[ctx->depth - 1];
	const char *nonfinite = NULL, *anchor;
	struct load_anchor *a;
	enum ydoc_kind kind;
	json_t *v = NULL;
	int rc;

	if (ev->type == YAML_MAPPING_START_EVENT ||
	    ev->type == YAML_SEQUENCE_START_EVENT)
		return load_fail(ctx, GD_EINVAL, &ev->start_mark,
		    "a mapping key must be a scalar, not a %s",
		    ev->type == YAML_MAPPING_START_EVENT ? "mapping" :
							   "sequence");
	top->key_mark = ev->start_mark;
	load_path_cut(ctx, top->path_len);
	if (ev->type == YAML_ALIAS_EVENT) {
		if ((rc = load_anchor_find(ctx, ev, &a)) < 0)
			return rc;
		if (json_is_object(a->value) || json_is_array(a->value))
			return load_fail(ctx, GD_EINVAL, &ev->start_mark,
			    "a mapping key must be a scalar, not *%s",
			    (const char *)ev->data.alias.anchor);
		v = json_incref(a->value);
		nonfinite = a->nonfinite;
	} else if (load_is_merge_key(ev)) {
		top->have_key = top->key_merge = true;
		gd_buf_adds(&ctx->path, LOAD_MERGE_SEG);
		ctx->merge_paths = true;
		return 0;
	} else {
		if ((rc = load_scalar(ctx, ev, &v, &kind)) < 0)
			return rc;
		if (v == NULL)
			nonfinite = load_nonfinite_key(
			    (const char *)ev->data.scalar.value);
		if ((anchor = (const char *)ev->data.scalar.anchor) != NULL)
			load_anchor_add(ctx, anchor, v, nonfinite, 1, 0);
	}
	load_key_string(v, nonfinite, &top->key, &top->keylen);
	json_decref(v);
	top->have_key = true;
	load_path_key(ctx, top->key, top->keylen);
	if (json_object_getn(top->node, top->key, top->keylen) != NULL &&
	    !ctx->lim.allow_duplicates)
		return load_duplicate(ctx, top);
	load_note_key(ctx, &ev->start_mark);
	load_mark(ctx, &ev->start_mark);
	return 0;
}

static int
load_scalar_value(struct load_ctx *ctx, const yaml_event_t *ev)
{
	char show[LOAD_SHOW + 4];
	enum ydoc_kind kind;
	const char *anchor;
	json_t *v;
	int rc;

	if ((rc = load_scalar(ctx, ev, &v, &kind)) < 0)
		return rc;
	if (v == NULL)
		return load_fail(ctx, GD_EINVAL, &ev->start_mark,
		    "%s cannot be represented in JSON",
		    load_show(show, (const char *)ev->data.scalar.value,
			ev->data.scalar.length));
	if ((anchor = (const char *)ev->data.scalar.anchor) != NULL)
		load_anchor_add(ctx, anchor, v, NULL, 1, 0);
	load_value_begin(ctx, &ev->start_mark);
	return load_value_done(ctx, v, 1, 0, false);
}

static int
load_alias_value(struct load_ctx *ctx, const yaml_event_t *ev)
{
	const char *name = (const char *)ev->data.alias.anchor;
	struct load_anchor *a;
	int rc;

	if ((rc = load_anchor_find(ctx, ev, &a)) < 0)
		return rc;
	if (a->value == NULL)
		return load_fail(ctx, GD_EINVAL, &ev->start_mark,
		    "*%s is %s, which JSON cannot represent", name,
		    a->nonfinite);
	if (a->nodes > ctx->lim.max_alias_nodes - ctx->alias_nodes)
		return load_fail(ctx, GD_EINVAL, &ev->start_mark,
		    "aliases expand to more than %zu nodes at *%s",
		    ctx->lim.max_alias_nodes, name);
	if (ctx->depth + a->height > ctx->lim.max_depth)
		return load_fail(ctx, GD_EINVAL, &ev->start_mark,
		    "*%s nests deeper than %zu levels", name,
		    ctx->lim.max_depth);
	ctx->alias_nodes += a->nodes;
	load_value_begin(ctx, &ev->start_mark);
	/* Shared for now; load_unshare copies it at the document's end. */
	return load_value_done(
	    ctx, json_incref(a->value), a->nodes, a->height, true);
}

static int
load_collection_start(struct load_ctx *ctx, const yaml_event_t *ev, bool is_map)
{
	const yaml_char_t *anchor = is_map ? ev->data.mapping_start.anchor :
					     ev->data.sequence_start.anchor;
	struct load_frame *f;

	if (ctx->depth >= ctx->lim.max_depth)
		return load_fail(ctx, GD_EINVAL, &ev->start_mark,
		    "nesting deeper than %zu levels", ctx->lim.max_depth);
	load_value_begin(ctx, &ev->start_mark);
	if (ctx->depth == ctx->stack_cap) {
		ctx->stack_cap = ctx->stack_cap ? ctx->stack_cap * 2 : 16;
		ctx->stack = xreallocarray(
		    ctx->stack, ctx->stack_cap, sizeof(*ctx->stack));
	}
	f = &ctx->stack[ctx->depth++];
	memset(f, 0, sizeof(*f));
	f->node = is_map ? json_object() : json_array();
	f->anchor = anchor != NULL ? xstrdup((const char *)anchor) : NULL;
	f->path_len = ctx->path.len;
	f->nodes = 1;
	f->height = 1;
	f->is_map = is_map;
	return 0;
}

static int
load_collection_end(struct load_ctx *ctx)
{
	struct load_frame f = ctx->stack[--ctx->depth];

	if (f.merges != NULL) {
		load_merge_apply(f.node, f.merges);
		json_decref(f.merges);
	}
	if (f.anchor != NULL) {
		load_anchor_add(ctx, f.anchor, f.node, NULL, f.nodes, f.height);
		free(f.anchor);
	}
	free(f.key);
	return load_value_done(ctx, f.node, f.nodes, f.height, false);
}

static void
load_document_start(struct load_ctx *ctx)
{
	load_anchors_reset(ctx);
	ctx->merge_paths = false;
	load_path_cut(ctx, 0);
	if (ctx->track)
		ctx->doc_marks = json_object();
}

static void
load_document_end(struct load_ctx *ctx)
{
	load_anchors_reset(ctx);
	if (ctx->root != NULL)
		load_unshare(ctx->root);
	json_array_append_new(
	    ctx->docs, ctx->root != NULL ? ctx->root : json_null());
	ctx->root = NULL;
	if (ctx->doc_marks != NULL && ctx->marks != NULL) {
		if (ctx->merge_paths)
			load_marks_prune(ctx->doc_marks);
		json_array_append_new(ctx->marks, ctx->doc_marks);
	} else
		json_decref(ctx->doc_marks);
	ctx->doc_marks = NULL;
}

static int
load_event(struct load_ctx *ctx, const yaml_event_t *ev)
{
	struct load_frame *top;

	top = ctx->depth > 0 ? &ctx->stack[ctx->depth - 1] : NULL;
	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		load_document_start(ctx);
		return 0;
	case YAML_DOCUMENT_END_EVENT:
		load_document_end(ctx);
		return 0;
	case YAML_MAPPING_END_EVENT:
	case YAML_SEQUENCE_END_EVENT:
		return load_collection_end(ctx);
	case YAML_SCALAR_EVENT:
	case YAML_ALIAS_EVENT:
	case YAML_MAPPING_START_EVENT:
	case YAML_SEQUENCE_START_EVENT:
		if (top != NULL && top->is_map && !top->have_key)
			return load_key(ctx, ev);
		if (ev->type == YAML_SCALAR_EVENT)
			return load_scalar_value(ctx, ev);
		if (ev->type == YAML_ALIAS_EVENT)
			return load_alias_value(ctx, ev);
		return load_collection_start(
		    ctx, ev, ev->type == YAML_MAPPING_START_EVENT);
	default:
		return 0;
	}
}

/* --- errors from libyaml and the driver ----------------------------------- */

/* Reader errors come with a byte offset only; count lines up to it. */
static void
load_offset_mark(struct load_ctx *ctx, size_t off, yaml_mark_t *m)
{
	size_t i;
	char c;

	memset(m, 0, sizeof(*m));
	for (i = 0; i < off && i < ctx->len; i++) {
		c = ctx->buf[i];
		if (c == '\r' && i + 1 < ctx->len && ctx->buf[i + 1] == '\n')
			continue;
		if (c == '\n' || c == '\r') {
			m->line++;
			m->column = 0;
		} else if (((unsigned char)c & 0xc0) != 0x80)
			m->column++;
	}
}

static int
load_parse_error(struct load_ctx *ctx)
{
	const yaml_parser_t *p = &ctx->parser;
	const char *problem = p->problem != NULL ? p->problem : "bad YAML";
	yaml_mark_t m;

	switch (p->error) {
	case YAML_MEMORY_ERROR:
		fatalx("ydoc: %s: out of memory in libyaml", ctx->name);
	case YAML_READER_ERROR:
		load_offset_mark(ctx, p->problem_offset, &m);
		if (p->problem_value == -1)
			return load_fail(ctx, GD_EINVAL, &m, "%s", problem);
		if (strstr(problem, "octet") != NULL)
			return load_fail(ctx, GD_EINVAL, &m, "%s (byte 0x%02X)",
			    problem, (unsigned)p->problem_value);
		return load_fail(ctx, GD_EINVAL, &m, "%s (U+%04X)", problem,
		    (unsigned)p->problem_value);
	default:
		if (p->context == NULL)
			return load_fail(
			    ctx, GD_EINVAL, &p->problem_mark, "%s", problem);
		return load_fail(ctx, GD_EINVAL, &p->problem_mark,
		    "%s (%s at %zu:%zu)", problem, p->context,
		    p->context_mark.line + 1, p->context_mark.column + 1);
	}
}

static int
load_run(struct load_ctx *ctx)
{
	yaml_event_t ev;
	bool done = false;
	int rc;

	if (!yaml_parser_initialize(&ctx->parser))
		fatalx("ydoc: cannot initialise libyaml");
	ctx->parser_open = true;
	yaml_parser_set_input_string(
	    &ctx->parser, (const unsigned char *)ctx->buf, ctx->len);
	while (!done) {
		if (!yaml_parser_parse(&ctx->parser, &ev))
			return load_parse_error(ctx);
		done = ev.type == YAML_STREAM_END_EVENT;
		rc = load_event(ctx, &ev);
		yaml_event_delete(&ev);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static void
load_ctx_dispose(struct load_ctx *ctx)
{
	struct load_frame *f;
	size_t i;

	for (i = 0; i < ctx->depth; i++) {
		f = &ctx->stack[i];
		json_decref(f->node);
		json_decref(f->merges);
		free(f->anchor);
		free(f->key);
	}
	free(ctx->stack);
	load_anchors_reset(ctx);
	free(ctx->anchors);
	json_decref(ctx->anchor_index);
	json_decref(ctx->docs);
	json_decref(ctx->marks);
	json_decref(ctx->doc_marks);
	json_decref(ctx->root);
	gd_buf_dispose(&ctx->path);
	if (ctx->parser_open)
		yaml_parser_delete(&ctx->parser);
}

static int
load_once(json_t **docs, json_t **marks, const char *buf, size_t len,
    const char *name, const struct gd_ydoc_limits *lim, struct load_want *want,
    struct gd_err *err)
{
	struct load_ctx ctx;
	int rc;

	memset(&ctx, 0, sizeof(ctx));
	ctx.name = name;
	ctx.buf = buf;
	ctx.len = len;
	ctx.lim = *lim;
	ctx.err = err;
	ctx.anchor_index = json_object();
	ctx.docs = json_array();
	ctx.marks = marks != NULL ? json_array() : NULL;
	ctx.track = marks != NULL;
	ctx.want = want;
	gd_buf_init(&ctx.path);
	if ((rc = load_run(&ctx)) == 0) {
		*docs = ctx.docs;
		ctx.docs = NULL;
		if (marks != NULL) {
			*marks = ctx.marks;
			ctx.marks = NULL;
		}
	}
	load_ctx_dispose(&ctx);
	return rc;
}

static void
load_limits(struct gd_ydoc_limits *lim, const struct gd_ydoc_limits *in)
{
	memset(lim, 0, sizeof(*lim));
	if (in != NULL)
		*lim = *in;
	if (lim->max_bytes == 0)
		lim->max_bytes = LOAD_MAX_BYTES;
	if (lim->max_depth == 0)
		lim->max_depth = LOAD_MAX_DEPTH;
	if (lim->max_alias_nodes == 0)
		lim->max_alias_nodes = LOAD_MAX_ALIAS;
}

int
gd_ydoc_load(json_t **docs, json_t **marks, const char *buf, size_t len,
    const char *name, const struct gd_ydoc_limits *limits, struct gd_err *err)
{
	struct gd_ydoc_limits lim;
	struct load_want want;
	json_t *doc;
	int rc;

	*docs = NULL;
	if (marks != NULL)
		*marks = NULL;
	if (name == NULL)
		name = "<input>";
	if (buf == NULL)
		buf = "";
	load_limits(&lim, limits);
	if (len > lim.max_bytes)
		return gd_err_set(err, GD_ETOOBIG,
		    "%s: %zu bytes is over the limit of %zu", name, len,
		    lim.max_bytes);
	/* Block-style YAML (rendered manifests) needs no libyaml. */
	if (marks == NULL && ydoc_fast_load(&doc, buf, len, lim.max_depth)) {
		*docs = json_array();
		json_array_append_new(*docs, doc);
		return 0;
	}
	gd_buf_init(&want.path);
	want.set = false;
	rc = load_once(docs, marks, buf, len, name, &lim, &want, err);
	if (rc == LOAD_RERUN)
		rc = load_once(docs, marks, buf, len, name, &lim, &want, err);
	if (rc == LOAD_RERUN) /* the second run knows the key: cannot be */
		rc = gd_err_set(err, GD_EINTERNAL, "%s: duplicate key", name);
	gd_buf_dispose(&want.path);
	return rc;
}

int
gd_ydoc_load_one(json_t **doc, const char *buf, size_t len, const char *name,
    struct gd_err *err)
{
	json_t *docs = NULL;
	int rc;

	*doc = NULL;
	if ((rc = gd_ydoc_load(&docs, NULL, buf, len, name, NULL, err)) < 0)
		return rc;
	if (json_array_size(docs) > 1)
		rc = gd_err_set(err, GD_EINVAL,
		    "%s: expected one YAML document, found %zu",
		    name != NULL ? name : "<input>", json_array_size(docs));
	else if (json_array_size(docs) == 1)
		*doc = json_incref(json_array_get(docs, 0));
	else
		*doc = json_null();
	json_decref(docs);
	return rc;
}

int
gd_ydoc_load_file(json_t **docs, json_t **marks, const char *path,
    const struct gd_ydoc_limits *limits, struct gd_err *err)
{
	struct gd_ydoc_limits lim;
	struct gd_buf b;
	int rc;

	*docs = NULL;
	if (marks != NULL)
		*marks = NULL;
	load_limits(&lim, limits);
	gd_buf_init(&b);
	if ((rc = gd_buf_read_file(&b, path, lim.max_bytes, err)) == 0)
		rc = gd_ydoc_load(docs, marks, b.data != NULL ? b.data : "",
		    b.len, path, &lim, err);
	gd_buf_dispose(&b);
	return rc;
}
