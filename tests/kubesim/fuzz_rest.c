/* SPDX-License-Identifier: ISC */
/*
 * Fuzz target for kubesim's request handling below HTTP: one request per
 * input, "METHOD /path?query\nContent-Type\nbody", through discovery and
 * the REST verbs (selectors, the four PATCH types, server-side apply,
 * DELETE options, watch start). Every answer must be a Status or an
 * object, never a crash; the store is rebuilt every 256 inputs so it
 * stays small.
 */
#include <stdlib.h>
#include <string.h>

#include "kubesim.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
fuzz_query(json_t *q, char *s)
{
	char *kv, *eq;

	while ((kv = strsep(&s, "&")) != NULL) {
		if (*kv == '\0')
			continue;
		eq = strchr(kv, '=');
		if (eq != NULL)
			*eq++ = '\0';
		json_object_set_new(q, kv, json_string(eq != NULL ? eq : ""));
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned runs;
	struct ks_req req = { 0 };
	struct ks_resp resp = { 0 };
	char *text, *line1, *ct, *sp, *qm, *p;

	if (runs++ % 256 == 0) {
		if (runs == 1) {
			gd_core_init_json();
			log_init(GD_LOG_ERROR);
			pthread_mutex_init(&ks.lock, NULL);
			pthread_cond_init(&ks.changed, NULL);
			ks_discovery_init();
			ks.conf.history = 64;
			ks.conf.continue_ttl = 300;
			ks.conf.bookmark_ms = 10;
			ks.conf.lb_ip = "192.0.2.10";
			ks.conf.minor = "32";
		} else
			ks_store_dispose();
		ks_store_init();
	}
	text = xstrndup((const char *)data, size);
	p = text;
	line1 = strsep(&p, "\n");
	ct = p != NULL ? strsep(&p, "\n") : NULL;
	sp = strchr(line1, ' ');
	if (sp == NULL)
		goto out;
	*sp = '\0';
	req.method = line1;
	req.path = sp + 1;
	req.query = json_object();
	if ((qm = strchr(sp + 1, '?')) != NULL) {
		*qm = '\0';
		fuzz_query(req.query, qm + 1);
	}
	/* A watch would wait for events: end it at once. */
	json_object_set_new(req.query, "timeoutSeconds", json_string("0"));
	req.content_type = ct;
	req.body = p != NULL ? p : "";
	req.body_len = strlen(req.body);
	resp.status = 200;
	pthread_mutex_lock(&ks.lock);
	if (!ks_discovery_serve(&req, &resp))
		ks_rest_serve(&req, &resp);
	ks_gc_run();
	pthread_mutex_unlock(&ks.lock);
	if (resp.watch != NULL) {
		char buf[4096];

		while (ks_watch_read(resp.watch, buf, sizeof(buf)) >= 0)
			;
		ks_watch_free(resp.watch);
	} else if (resp.status >= 400 &&
	    !json_is_string(json_object_get(resp.body, "message")))
		__builtin_trap(); /* every error is a Status with a message */
	json_decref(resp.body);
	json_decref(req.query);
out:
	free(text);
	return 0;
}
