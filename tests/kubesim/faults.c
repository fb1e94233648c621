/* SPDX-License-Identifier: ISC */
/*
 * Fault injection for client tests, driven through a small admin
 * endpoint so a test can arm a fault between two calls:
 *
 *   POST   /kubesim/faults  {"count":2,"status":429,"retryAfter":1}
 *   POST   /kubesim/faults  {"count":1,"mode":"reset"}      (or "timeout")
 *   POST   /kubesim/faults  {"latencyMs":300}
 *   POST   /kubesim/faults  {"match":"/deployments", ...}   (path substring)
 *   POST   /kubesim/drop-watches                             (ends all watches)
 *   GET    /kubesim/faults  (what is armed)   DELETE /kubesim/faults (clear)
 *
 * The hard part is only that the admin requests themselves must never be
 * failed or slowed, or a test could not disarm what it armed.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kubesim.h"

static pthread_mutex_t faults_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	int count; /* requests left to fail */
	int status; /* 500, 429, 503 ... */
	int retry_after;
	char mode[16]; /* status, timeout, reset */
	unsigned hang_ms; /* how long "timeout" holds the request */
	unsigned latency_ms;
	char match[256];
} faults = { 0, 500, 0, "status", 5000, 0, "" };

unsigned
ks_faults_latency(void)
{
	unsigned ms;

	pthread_mutex_lock(&faults_lock);
	ms = faults.latency_ms;
	pthread_mutex_unlock(&faults_lock);
	return ms;
}

bool
ks_faults_take(const struct ks_req *req, struct ks_resp *resp)
{
	char mode[16];
	int status, retry;
	unsigned hang;

	if (strncmp(req->path, "/kubesim/", 9) == 0)
		return false;
	pthread_mutex_lock(&faults_lock);
	if (faults.count <= 0 ||
	    (faults.match[0] != '\0' &&
		strstr(req->path, faults.match) == NULL)) {
		pthread_mutex_unlock(&faults_lock);
		return false;
	}
	faults.count--;
	snprintf(mode, sizeof(mode), "%s", faults.mode);
	status = faults.status;
	retry = faults.retry_after;
	hang = faults.hang_ms;
	pthread_mutex_unlock(&faults_lock);

	if (strcmp(mode, "reset") == 0) {
		resp->reset = true;
		return true;
	}
	if (strcmp(mode, "timeout") == 0) {
		usleep(hang * 1000u);
		resp->reset = true;
		return true;
	}
	switch (status) {
	case 429:
		ks_resp_status(resp, 429, "TooManyRequests",
		    json_pack("{s:i}", "retryAfterSeconds", retry),
		    "the server has received too many requests and has asked "
		    "us to try again later");
		break;
	case 503:
		ks_resp_status(resp, 503, "ServiceUnavailable", NULL,
		    "the server is currently unable to handle the request");
		break;
	case 504:
		ks_resp_status(resp, 504, "Timeout", NULL,
		    "the server was unable to return a response in the time "
		    "allotted");
		break;
	default:
		ks_resp_status(resp, status, "InternalError", NULL,
		    "an error on the server (\"injected by kubesim\") has "
		    "prevented the request from succeeding");
	}
	resp->retry_after = retry;
	return true;
}

static json_t *
faults_json(void)
{
	return json_pack("{s:i, s:i, s:i, s:s, s:i, s:i, s:s}", "count",
	    faults.count, "status", faults.status, "retryAfter",
	    faults.retry_after, "mode", faults.mode, "hangMs",
	    (int)faults.hang_ms, "latencyMs", (int)faults.latency_ms, "match",
	    faults.match);
}

static bool
faults_set(const json_t *cfg, char *msg, size_t len)
{
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)cfg, k, v) {
		if (strcmp(k, "mode") == 0 || strcmp(k, "match") == 0) {
			if (!json_is_string(v))
				goto bad;
			if (strcmp(k, "mode") == 0) {
				if (strcmp(json_string_value(v), "status") !=
					0 &&
				    strcmp(json_string_value(v), "timeout") !=
					0 &&
				    strcmp(json_string_value(v), "reset") != 0)
					goto bad;
				snprintf(faults.mode, sizeof(faults.mode), "%s",
				    json_string_value(v));
			} else
				snprintf(faults.match, sizeof(faults.match),
				    "%s", json_string_value(v));
			continue;
		}
		if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    json_integer_value(v) > 3600000)
			goto bad;
		if (strcmp(k, "count") == 0)
			faults.count = (int)json_integer_value(v);
		else if (strcmp(k, "status") == 0 &&
		    json_integer_value(v) >= 400 && json_integer_value(v) < 600)
			faults.status = (int)json_integer_value(v);
		else if (strcmp(k, "retryAfter") == 0)
			faults.retry_after = (int)json_integer_value(v);
		else if (strcmp(k, "hangMs") == 0)
			faults.hang_ms = (unsigned)json_integer_value(v);
		else if (strcmp(k, "latencyMs") == 0)
			faults.latency_ms = (unsigned)json_integer_value(v);
		else
			goto bad;
	}
	return true;
bad:
	snprintf(msg, len, "faults: bad value for \"%s\"", k);
	return false;
}

void
ks_faults_serve(const struct ks_req *req, struct ks_resp *resp)
{
	json_t *cfg;
	char msg[128];

	if (strcmp(req->path, "/kubesim/drop-watches") == 0 &&
	    strcmp(req->method, "POST") == 0) {
		pthread_mutex_lock(&ks.lock);
		ks.watch_epoch++;
		pthread_cond_broadcast(&ks.changed);
		pthread_mutex_unlock(&ks.lock);
		ks_resp_status(resp, 200, "", NULL, "watches dropped");
		return;
	}
	if (strcmp(req->path, "/kubesim/faults") != 0) {
		ks_resp_status(resp, 404, "NotFound", NULL,
		    "no admin endpoint %s", req->path);
		return;
	}
	pthread_mutex_lock(&faults_lock);
	if (strcmp(req->method, "DELETE") == 0) {
		faults.count = 0;
		faults.status = 500;
		faults.retry_after = 0;
		faults.latency_ms = 0;
		faults.hang_ms = 5000;
		faults.match[0] = '\0';
		snprintf(faults.mode, sizeof(faults.mode), "status");
	} else if (strcmp(req->method, "POST") == 0) {
		cfg = json_loadb(req->body, req->body_len, 0, NULL);
		if (!json_is_object(cfg)) {
			json_decref(cfg);
			pthread_mutex_unlock(&faults_lock);
			ks_resp_status(resp, 400, "BadRequest", NULL,
			    "faults: the body must be a JSON object");
			return;
		}
		if (!faults_set(cfg, msg, sizeof(msg))) {
			json_decref(cfg);
			pthread_mutex_unlock(&faults_lock);
			ks_resp_status(
			    resp, 400, "BadRequest", NULL, "%s", msg);
			return;
		}
		json_decref(cfg);
	}
	resp->body = faults_json();
	pthread_mutex_unlock(&faults_lock);
}
