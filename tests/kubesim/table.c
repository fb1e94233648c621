/* SPDX-License-Identifier: ISC */
/*
 * Table output (meta.k8s.io/v1 Table), which "kubectl get" asks for in
 * its Accept header and prints as-is: the columns per kind that the real
 * server prints (Deployment READY/UP-TO-DATE/AVAILABLE, Pod STATUS,
 * Service TYPE/CLUSTER-IP/PORT(S), ...), then AGE.
 *
 * The hard part is that each row must carry the object's metadata as a
 * PartialObjectMetadata with its kind: a row object without a kind makes
 * kubectl give up on the whole Table and print NAME/AGE from nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kubesim.h"

bool
ks_table_wanted(const struct ks_req *req)
{
	return req->accept != NULL && strstr(req->accept, "as=Table") != NULL;
}

static void
table_age(char *out, size_t len, const json_t *obj)
{
	const char *ts = ks_str(obj, "metadata.creationTimestamp");
	time_t t;
	long d;

	if (ts == NULL || gd_time_parse(&t, ts, NULL) < 0) {
		snprintf(out, len, "<unknown>");
		return;
	}
	d = (long)(time(NULL) - t);
	if (d < 0)
		d = 0;
	if (d < 120)
		snprintf(out, len, "%lds", d);
	else if (d < 7200)
		snprintf(out, len, "%ldm", d / 60);
	else if (d < 172800)
		snprintf(out, len, "%ldh", d / 3600);
	else
		snprintf(out, len, "%ldd", d / 86400);
}

static json_int_t
table_int(const json_t *obj, const char *a, const char *b)
{
	return json_integer_value(json_object_get(json_object_get(obj, a), b));
}

static void
table_cols(json_t *defs, const char *names)
{
	char *copy = xstrdup(names), *p = copy, *w;

	while ((w = strsep(&p, ",")) != NULL)
		json_array_append_new(defs,
		    json_pack("{s:s, s:s, s:s, s:s, s:i}", "name", w, "type",
			"string", "format",
			strcmp(w, "Name") == 0 ? "name" : "", "description", w,
			"priority", 0));
	free(copy);
}

static const char *
table_columns(const struct ks_resource *r)
{
	if (strcmp(r->kind, "Deployment") == 0)
		return "Name,Ready,Up-to-date,Available,Age";
	if (strcmp(r->kind, "Pod") == 0)
		return "Name,Ready,Status,Restarts,Age";
	if (strcmp(r->kind, "Service") == 0)
		return "Name,Type,Cluster-IP,External-IP,Port(s),Age";
	if (strcmp(r->kind, "Namespace") == 0)
		return "Name,Status,Age";
	if (strcmp(r->kind, "ReplicaSet") == 0)
		return "Name,Desired,Current,Ready,Age";
	return "Name,Age";
}

static void
table_ports(struct gd_buf *b, const json_t *svc)
{
	json_t *ports = json_object_get(json_object_get(svc, "spec"), "ports");
	json_t *p;
	const char *proto;
	size_t i;

	json_array_foreach(ports, i, p) {
		proto = json_string_value(json_object_get(p, "protocol"));
		if (i > 0)
			gd_buf_addc(b, ',');
		gd_buf_printf(b, "%lld",
		    (long long)json_integer_value(json_object_get(p, "port")));
		if (json_object_get(p, "nodePort") != NULL)
			gd_buf_printf(b, ":%lld",
			    (long long)json_integer_value(
				json_object_get(p, "nodePort")));
		gd_buf_printf(b, "/%s", proto != NULL ? proto : "TCP");
	}
	if (b->len == 0)
		gd_buf_adds(b, "<none>");
}

static json_t *
table_row(const struct ks_resource *r, const json_t *obj)
{
	json_t *cells = json_array(), *ing;
	char age[32], buf[64];
	struct gd_buf ports;
	const char *s;

	json_array_append_new(cells, json_string(ks_str(obj, "metadata.name")));
	table_age(age, sizeof(age), obj);
	if (strcmp(r->kind, "Deployment") == 0) {
		snprintf(buf, sizeof(buf), "%lld/%lld",
		    (long long)table_int(obj, "status", "readyReplicas"),
		    (long long)table_int(obj, "spec", "replicas"));
		json_array_append_new(cells, json_string(buf));
		json_array_append_new(cells,
		    json_integer(table_int(obj, "status", "updatedReplicas")));
		json_array_append_new(cells,
		    json_integer(
			table_int(obj, "status", "availableReplicas")));
	} else if (strcmp(r->kind, "ReplicaSet") == 0) {
		json_array_append_new(
		    cells, json_integer(table_int(obj, "spec", "replicas")));
		json_array_append_new(
		    cells, json_integer(table_int(obj, "status", "replicas")));
		json_array_append_new(cells,
		    json_integer(table_int(obj, "status", "readyReplicas")));
	} else if (strcmp(r->kind, "Pod") == 0) {
		s = ks_str(obj, "status.phase");
		json_array_append_new(cells,
		    json_string(s != NULL && strcmp(s, "Running") == 0 ?
			    "1/1" :
			    "0/1"));
		json_array_append_new(
		    cells, json_string(s != NULL ? s : "Pending"));
		json_array_append_new(cells, json_integer(0));
	} else if (strcmp(r->kind, "Service") == 0) {
		s = ks_str(obj, "spec.type");
		json_array_append_new(
		    cells, json_string(s != NULL ? s : "ClusterIP"));
		s = ks_str(obj, "spec.clusterIP");
		json_array_append_new(
		    cells, json_string(s != NULL ? s : "<none>"));
		ing = json_array_get(
		    json_object_get(
			json_object_get(
			    json_object_get(obj, "status"), "loadBalancer"),
			"ingress"),
		    0);
		s = json_string_value(json_object_get(ing, "ip"));
		json_array_append_new(cells,
		    json_string(s != NULL ? s :
			    ks_str(obj, "spec.type") &&
				strcmp(ks_str(obj, "spec.type"),
				    "LoadBalancer") == 0 ?
					    "<pending>" :
					    "<none>"));
		gd_buf_init(&ports);
		table_ports(&ports, obj);
		json_array_append_new(cells, json_string(ports.data));
		gd_buf_dispose(&ports);
	} else if (strcmp(r->kind, "Namespace") == 0) {
		s = ks_str(obj, "metadata.deletionTimestamp") != NULL ?
		    "Terminating" :
		    "Active";
		json_array_append_new(cells, json_string(s));
	}
	json_array_append_new(cells, json_string(age));
	/* includeObject=Metadata, the default: kubectl needs the kind. */
	return json_pack("{s:o, s:{s:s, s:s, s:O}}", "cells", cells, "object",
	    "kind", "PartialObjectMetadata", "apiVersion", "meta.k8s.io/v1",
	    "metadata", json_object_get(obj, "metadata"));
}

json_t *
ks_table(const struct ks_resource *r, const json_t *list_or_obj)
{
	json_t *defs = json_array(), *rows = json_array(), *items, *it, *t;
	const char *rv, *cont;
	size_t i;

	table_cols(defs, table_columns(r));
	items = json_object_get(list_or_obj, "items");
	if (json_is_array(items)) {
		json_array_foreach(items, i, it)
			json_array_append_new(rows, table_row(r, it));
	} else
		json_array_append_new(rows, table_row(r, list_or_obj));
	t = json_pack("{s:s, s:s, s:{}, s:o, s:o}", "kind", "Table",
	    "apiVersion", "meta.k8s.io/v1", "metadata", "columnDefinitions",
	    defs, "rows", rows);
	rv = ks_str(list_or_obj, "metadata.resourceVersion");
	cont = ks_str(list_or_obj, "metadata.continue");
	if (rv != NULL)
		json_object_set_new(json_object_get(t, "metadata"),
		    "resourceVersion", json_string(rv));
	if (cont != NULL)
		json_object_set_new(json_object_get(t, "metadata"), "continue",
		    json_string(cont));
	return t;
}
