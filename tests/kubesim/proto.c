/* SPDX-License-Identifier: ISC */
/*
 * Protobuf request bodies. kubectl's typed commands ("kubectl create
 * namespace|configmap|secret|serviceaccount") send
 * application/vnd.kubernetes.protobuf with no JSON fallback, so kubesim
 * decodes the "k8s\0" envelope (runtime.Unknown: typeMeta, raw) and the
 * object inside for those few kinds, into the same JSON every other body
 * becomes. Other kinds get 415 with a hint to use apply.
 *
 * The hard part is that protobuf carries field numbers, not names: each
 * message is a table of number -> (JSON name, type) taken from the
 * Kubernetes generated.proto files, and anything not in a table is
 * skipped by its wire type, so an unknown field never misparses the rest.
 */
#include <stdio.h>
#include <string.h>

#include "kubesim.h"

enum proto_type {
	P_STR,
	P_B64, /* bytes, shown base64 in JSON */
	P_INT,
	P_BOOL,
	P_MSG,
	P_MAP_STR, /* map<string,string> */
	P_MAP_B64, /* map<string,bytes> */
	P_REP_STR, /* repeated string */
};

struct proto_field {
	unsigned num;
	const char *name;
	enum proto_type type;
	const struct proto_field *sub; /* P_MSG */
};

static const struct proto_field proto_meta[] = {
	{ 1, "name", P_STR, NULL },
	{ 2, "generateName", P_STR, NULL },
	{ 3, "namespace", P_STR, NULL },
	{ 6, "resourceVersion", P_STR, NULL },
	{ 11, "labels", P_MAP_STR, NULL },
	{ 12, "annotations", P_MAP_STR, NULL },
	{ 14, "finalizers", P_REP_STR, NULL },
	{ 0, NULL, P_STR, NULL },
};

static const struct proto_field proto_nsspec[] = {
	{ 1, "finalizers", P_REP_STR, NULL },
	{ 0, NULL, P_STR, NULL },
};

static const struct proto_field proto_namespace[] = {
	{ 1, "metadata", P_MSG, proto_meta },
	{ 2, "spec", P_MSG, proto_nsspec },
	{ 0, NULL, P_STR, NULL },
};

static const struct proto_field proto_configmap[] = {
	{ 1, "metadata", P_MSG, proto_meta },
	{ 2, "data", P_MAP_STR, NULL },
	{ 3, "binaryData", P_MAP_B64, NULL },
	{ 4, "immutable", P_BOOL, NULL },
	{ 0, NULL, P_STR, NULL },
};

static const struct proto_field proto_secret[] = {
	{ 1, "metadata", P_MSG, proto_meta },
	{ 2, "data", P_MAP_B64, NULL },
	{ 3, "type", P_STR, NULL },
	{ 4, "stringData", P_MAP_STR, NULL },
	{ 5, "immutable", P_BOOL, NULL },
	{ 0, NULL, P_STR, NULL },
};

static const struct proto_field proto_sa[] = {
	{ 1, "metadata", P_MSG, proto_meta },
	{ 4, "automountServiceAccountToken", P_BOOL, NULL },
	{ 0, NULL, P_STR, NULL },
};

static const struct {
	const char *kind;
	const struct proto_field *fields;
} proto_kinds[] = {
	{ "Namespace", proto_namespace },
	{ "ConfigMap", proto_configmap },
	{ "Secret", proto_secret },
	{ "ServiceAccount", proto_sa },
};

struct proto_in {
	const unsigned char *p;
	const unsigned char *end;
};

static int
proto_varint(struct proto_in *in, uint64_t *v, struct gd_err *err)
{
	unsigned shift = 0;

	*v = 0;
	while (in->p < in->end && shift < 64) {
		*v |= (uint64_t)(*in->p & 0x7f) << shift;
		if ((*in->p++ & 0x80) == 0)
			return 0;
		shift += 7;
	}
	return gd_err_set(err, GD_EINVAL, "protobuf: truncated varint");
}

/* Reads one field header and, for wire type 2, its payload. */
static int
proto_next(struct proto_in *in, unsigned *num, unsigned *wire, uint64_t *v,
    struct proto_in *sub, struct gd_err *err)
{
	uint64_t key;
	int rc;

	if ((rc = proto_varint(in, &key, err)) < 0)
		return rc;
	*num = (unsigned)(key >> 3);
	*wire = (unsigned)(key & 7);
	switch (*wire) {
	case 0:
		return proto_varint(in, v, err);
	case 1:
	case 5:
		if ((size_t)(in->end - in->p) < (*wire == 1 ? 8u : 4u))
			return gd_err_set(
			    err, GD_EINVAL, "protobuf: truncated");
		in->p += *wire == 1 ? 8 : 4;
		return 0;
	case 2:
		if ((rc = proto_varint(in, v, err)) < 0)
			return rc;
		if (*v > (uint64_t)(in->end - in->p))
			return gd_err_set(err, GD_EINVAL,
			    "protobuf: field %u overruns the body", *num);
		sub->p = in->p;
		sub->end = in->p + *v;
		in->p += *v;
		return 0;
	default:
		return gd_err_set(err, GD_EINVAL,
		    "protobuf: unsupported wire type %u", *wire);
	}
}

static json_t *
proto_b64(const unsigned char *p, size_t n)
{
	static const char tbl[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	struct gd_buf b;
	json_t *s;
	size_t i;
	uint32_t v;

	gd_buf_init(&b);
	for (i = 0; i + 2 < n; i += 3) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		gd_buf_addc(&b, tbl[v >> 18 & 63]);
		gd_buf_addc(&b, tbl[v >> 12 & 63]);
		gd_buf_addc(&b, tbl[v >> 6 & 63]);
		gd_buf_addc(&b, tbl[v & 63]);
	}
	if (n - i == 1) {
		v = (uint32_t)p[i] << 16;
		gd_buf_printf(
		    &b, "%c%c==", tbl[v >> 18 & 63], tbl[v >> 12 & 63]);
	} else if (n - i == 2) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
		gd_buf_printf(&b, "%c%c%c=", tbl[v >> 18 & 63],
		    tbl[v >> 12 & 63], tbl[v >> 6 & 63]);
	}
	s = json_string(b.data != NULL ? b.data : "");
	gd_buf_dispose(&b);
	return s;
}

static json_t *
proto_str(const struct proto_in *s)
{
	return json_stringn((const char *)s->p, (size_t)(s->end - s->p));
}

/* A map entry message: 1 key, 2 value. */
static int
proto_entry(json_t *map, struct proto_in *in, bool b64, struct gd_err *err)
{
	struct proto_in sub, key = { NULL, NULL }, val = { NULL, NULL };
	unsigned num, wire;
	uint64_t v;
	char *k;
	int rc;

	while (in->p < in->end) {
		if ((rc = proto_next(in, &num, &wire, &v, &sub, err)) < 0)
			return rc;
		if (wire == 2 && num == 1)
			key = sub;
		else if (wire == 2 && num == 2)
			val = sub;
	}
	if (key.p == NULL)
		return gd_err_set(
		    err, GD_EINVAL, "protobuf: map entry without key");
	k = xstrndup((const char *)key.p, (size_t)(key.end - key.p));
	if (val.p == NULL)
		json_object_set_new(map, k, json_string(""));
	else if (b64)
		json_object_set_new(
		    map, k, proto_b64(val.p, (size_t)(val.end - val.p)));
	else
		json_object_set_new(map, k, proto_str(&val));
	free(k);
	return 0;
}

static int
proto_msg(json_t *obj, const struct proto_field *fields, struct proto_in *in,
    int depth, struct gd_err *err)
{
	const struct proto_field *f;
	struct proto_in sub;
	unsigned num, wire;
	uint64_t v;
	json_t *child;
	int rc;

	if (depth > 8)
		return gd_err_set(err, GD_EINVAL, "protobuf: nested too deep");
	while (in->p < in->end) {
		if ((rc = proto_next(in, &num, &wire, &v, &sub, err)) < 0)
			return rc;
		for (f = fields; f->name != NULL && f->num != num; f++)
			;
		if (f->name == NULL)
			continue; /* not ours: skipped by its wire type */
		/* Varints for numbers, length-delimited for the rest. */
		if (wire != (f->type == P_INT || f->type == P_BOOL ? 0u : 2u))
			return gd_err_set(err, GD_EINVAL,
			    "protobuf: field %s has wire type %u", f->name,
			    wire);
		switch (f->type) {
		case P_STR:
			/* Go writes empty strings; JSON omits them. */
			if (sub.end > sub.p)
				json_object_set_new(
				    obj, f->name, proto_str(&sub));
			break;
		case P_B64:
			json_object_set_new(obj, f->name,
			    proto_b64(sub.p, (size_t)(sub.end - sub.p)));
			break;
		case P_INT:
			json_object_set_new(
			    obj, f->name, json_integer((json_int_t)v));
			break;
		case P_BOOL:
			json_object_set_new(obj, f->name, json_boolean(v != 0));
			break;
		case P_MSG:
			if ((rc = proto_msg(ks_obj(obj, f->name), f->sub, &sub,
				 depth + 1, err)) < 0)
				return rc;
			break;
		case P_MAP_STR:
		case P_MAP_B64:
			if ((rc = proto_entry(ks_obj(obj, f->name), &sub,
				 f->type == P_MAP_B64, err)) < 0)
				return rc;
			break;
		case P_REP_STR:
			child = json_object_get(obj, f->name);
			if (!json_is_array(child)) {
				child = json_array();
				json_object_set_new(obj, f->name, child);
			}
			json_array_append_new(child, proto_str(&sub));
			break;
		}
	}
	return 0;
}

int
ks_proto_decode(json_t **out, const void *buf, size_t len, struct gd_err *err)
{
	struct proto_in in, sub, tm = { NULL, NULL }, raw = { NULL, NULL };
	json_t *type = NULL, *obj = NULL;
	const char *kind = NULL, *av;
	unsigned num, wire;
	uint64_t v;
	size_t i;
	int rc = 0;

	*out = NULL;
	if (len < 4 || memcmp(buf, "k8s\0", 4) != 0)
		return gd_err_set(err, GD_EINVAL,
		    "protobuf: body does not start with the k8s magic");
	in.p = (const unsigned char *)buf + 4;
	in.end = (const unsigned char *)buf + len;
	while (in.p < in.end) {
		if ((rc = proto_next(&in, &num, &wire, &v, &sub, err)) < 0)
			return rc;
		if (wire == 2 && num == 1)
			tm = sub;
		else if (wire == 2 && num == 2)
			raw = sub;
	}
	type = json_object();
	if (tm.p != NULL)
		rc = proto_msg(type,
		    (const struct proto_field[]){
			{ 1, "apiVersion", P_STR, NULL },
			{ 2, "kind", P_STR, NULL }, { 0, NULL, P_STR, NULL } },
		    &tm, 0, err);
	kind = json_string_value(json_object_get(type, "kind"));
	av = json_string_value(json_object_get(type, "apiVersion"));
	if (rc < 0)
		goto out;
	if (kind == NULL || raw.p == NULL) {
		rc = gd_err_set(err, GD_EINVAL, "protobuf: no kind or object");
		goto out;
	}
	for (i = 0; i < sizeof(proto_kinds) / sizeof(proto_kinds[0]); i++)
		if (strcmp(proto_kinds[i].kind, kind) == 0)
			break;
	if (i == sizeof(proto_kinds) / sizeof(proto_kinds[0])) {
		rc = gd_err_set(err, GD_EINVAL,
		    "kubesim reads protobuf only for Namespace, ConfigMap, "
		    "Secret and ServiceAccount, not %s: use kubectl apply",
		    kind);
		goto out;
	}
	obj = json_pack(
	    "{s:s, s:s}", "apiVersion", av != NULL ? av : "v1", "kind", kind);
	if ((rc = proto_msg(obj, proto_kinds[i].fields, &raw, 0, err)) < 0)
		goto out;
	*out = obj;
	obj = NULL;
out:
	json_decref(obj);
	json_decref(type);
	return rc;
}
