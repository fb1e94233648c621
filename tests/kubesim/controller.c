/* SPDX-License-Identifier: ISC */
/*
 * The controller loop: what kube-controller-manager and the kubelet would
 * do, enough for rollout and health checks. Every --step-ms it moves each
 * Deployment one step through a rollout (observedGeneration, updated,
 * then available replicas, the Progressing and Available conditions, the
 * revision annotation), settles StatefulSets, DaemonSets, ReplicaSets,
 * Jobs and Pods, gives LoadBalancer Services and Ingresses an address,
 * binds claims and marks HPAs able to scale. Images matching --stuck-image
 * never become available: their Deployment ends in
 * ProgressDeadlineExceeded after progressDeadlineSeconds times
 * --deadline-scale.
 *
 * The hard part is cost with 100,000 objects: the loop visits only the
 * objects written since they last settled (ks.pending, filled by every
 * put), and a status is written only when it differs, with condition
 * times kept unless the condition changed, so a settled object leaves
 * the set and costs nothing until it is written again.
 */
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kubesim.h"

#define CTRL_MANAGER "kube-controller-manager"

/* Per-Deployment rollout memory, keyed by uid. */
static json_t *ctrl_rollouts;

static json_int_t
ctrl_int(const json_t *o, const char *a, const char *b, json_int_t def)
{
	json_t *v = json_object_get(json_object_get(o, a), b);

	return json_is_integer(v) ? json_integer_value(v) : def;
}

static bool
ctrl_stuck(const json_t *podspec)
{
	json_t *cs = json_object_get(podspec, "containers"), *c;
	const char *img;
	size_t i;

	if (ks.conf.stuck_image == NULL)
		return false;
	json_array_foreach(cs, i, c) {
		img = json_string_value(json_object_get(c, "image"));
		if (img != NULL && fnmatch(ks.conf.stuck_image, img, 0) == 0)
			return true;
	}
	return false;
}

static const json_t *
ctrl_podspec(const json_t *obj)
{
	return json_object_get(
	    json_object_get(json_object_get(obj, "spec"), "template"), "spec");
}

/* Sets a condition, keeping its times when nothing about it changed. */
static void
ctrl_cond(json_t *st, const char *type, const char *status, const char *reason,
    const char *msg, bool update_times)
{
	json_t *conds = json_object_get(st, "conditions"), *c = NULL;
	char ts[GD_TIME_LEN];
	size_t i;

	gd_time_format(ts, time(NULL));
	if (!json_is_array(conds)) {
		conds = json_array();
		json_object_set_new(st, "conditions", conds);
	}
	json_array_foreach(conds, i, c)
		if (strcmp(json_string_value(json_object_get(c, "type")) ?
			    json_string_value(json_object_get(c, "type")) :
			    "",
			type) == 0)
			break;
	if (i == json_array_size(conds)) {
		c = json_pack(
		    "{s:s, s:s}", "type", type, "lastTransitionTime", ts);
		json_array_append_new(conds, c);
	}
	if (ks_str(c, "status") == NULL || strcmp(ks_str(c, "status"), status))
		json_object_set_new(c, "lastTransitionTime", json_string(ts));
	if (update_times &&
	    (ks_str(c, "reason") == NULL ||
		strcmp(ks_str(c, "reason"), reason) != 0))
		json_object_set_new(c, "lastUpdateTime", json_string(ts));
	json_object_set_new(c, "status", json_string(status));
	json_object_set_new(c, "reason", json_string(reason));
	json_object_set_new(c, "message", json_string(msg));
}

/* Deployment: one rollout step. Returns true while more steps remain. */
static bool
ctrl_deployment(json_t *obj)
{
	json_t *st = ks_obj(obj, "status"), *info, *ann;
	const char *uid = ks_str(obj, "metadata.uid");
	const char *name = ks_str(obj, "metadata.name");
	json_int_t gen = ctrl_int(obj, "metadata", "generation", 1);
	json_int_t want = ctrl_int(obj, "spec", "replicas", 1);
	json_int_t dl = ctrl_int(obj, "spec", "progressDeadlineSeconds", 600);
	json_int_t upd, avail, rev, total;
	char *tmpl, msg[256], revs[32];
	uint64_t now = gd_time_mono_ms();
	bool stuck = ctrl_stuck(ctrl_podspec(obj)), paused;

	paused = json_is_true(
	    json_object_get(json_object_get(obj, "spec"), "paused"));
	info = json_object_get(ctrl_rollouts, uid);
	tmpl = json_dumps(
	    json_object_get(json_object_get(obj, "spec"), "template"),
	    JSON_COMPACT | JSON_SORT_KEYS);
	if (info == NULL) {
		info = json_pack("{s:I, s:I, s:s, s:I}", "gen", (json_int_t)0,
		    "rev", (json_int_t)0, "tmpl", "", "start", (json_int_t)now);
		json_object_set_new(ctrl_rollouts, uid, info);
	}
	if (strcmp(ks_str(info, "tmpl"), tmpl) != 0) {
		/* A new template is a new rollout. */
		json_object_set_new(info, "tmpl", json_string(tmpl));
		json_object_set_new(info, "rev",
		    json_integer(
			json_integer_value(json_object_get(info, "rev")) + 1));
		json_object_set_new(
		    info, "start", json_integer((json_int_t)now));
		json_object_set_new(st, "updatedReplicas", json_integer(0));
		ctrl_cond(st, "Progressing", "True", "ReplicaSetUpdated",
		    "ReplicaSet is progressing.", true);
	}
	free(tmpl);
	rev = json_integer_value(json_object_get(info, "rev"));
	snprintf(revs, sizeof(revs), "%lld", (long long)rev);
	ann = ks_obj(ks_obj(obj, "metadata"), "annotations");
	json_object_set_new(
	    ann, "deployment.kubernetes.io/revision", json_string(revs));
	json_object_set_new(st, "observedGeneration", json_integer(gen));
	upd = ctrl_int(obj, "status", "updatedReplicas", 0);
	avail = ctrl_int(obj, "status", "availableReplicas", 0);
	if (!paused && upd < want)
		upd++;
	if (upd > want)
		upd = want;
	/*
	 * Stuck: the new pods never become available, so the old ones
	 * (counted in availableReplicas) are never scaled down.
	 */
	total = want;
	if (stuck) {
		if (avail > want)
			avail = want;
		total = upd + avail;
	} else if (!paused && avail < upd)
		avail++;
	else if (avail > upd)
		avail = upd;
	json_object_set_new(st, "replicas", json_integer(total));
	json_object_set_new(st, "updatedReplicas", json_integer(upd));
	if (avail > 0) {
		json_object_set_new(st, "readyReplicas", json_integer(avail));
		json_object_set_new(
		    st, "availableReplicas", json_integer(avail));
	} else {
		json_object_del(st, "readyReplicas");
		json_object_del(st, "availableReplicas");
	}
	if (want - avail > 0)
		json_object_set_new(
		    st, "unavailableReplicas", json_integer(want - avail));
	else
		json_object_del(st, "unavailableReplicas");
	if (avail >= want)
		ctrl_cond(st, "Available", "True", "MinimumReplicasAvailable",
		    "Deployment has minimum availability.", true);
	else
		ctrl_cond(st, "Available", "False",
		    "MinimumReplicasUnavailable",
		    "Deployment does not have minimum availability.", true);
	if (!stuck && upd == want && avail == want) {
		snprintf(msg, sizeof(msg),
		    "ReplicaSet \"%s-%lld\" has successfully progressed.", name,
		    (long long)rev);
		ctrl_cond(st, "Progressing", "True", "NewReplicaSetAvailable",
		    msg, true);
		return false;
	}
	if (stuck && !paused &&
	    now - (uint64_t)json_integer_value(json_object_get(info, "start")) >
		(uint64_t)((double)dl * 1000.0 * ks.conf.deadline_scale)) {
		snprintf(msg, sizeof(msg),
		    "ReplicaSet \"%s-%lld\" has timed out progressing.", name,
		    (long long)rev);
		ctrl_cond(st, "Progressing", "False",
		    "ProgressDeadlineExceeded", msg, true);
		return false;
	}
	return !paused;
}

static void
ctrl_update(json_t *st, json_t *fields)
{
	json_object_update(st, fields);
	json_decref(fields);
}

/* The settled status of the simpler workloads. */
static bool
ctrl_workload(const char *kind, json_t *obj)
{
	json_t *st = ks_obj(obj, "status");
	json_int_t gen = ctrl_int(obj, "metadata", "generation", 1);
	json_int_t want = ctrl_int(obj, "spec", "replicas", 1);
	bool stuck = ctrl_stuck(ctrl_podspec(obj));
	json_int_t ready = stuck ? 0 : want;
	char ts[GD_TIME_LEN], rev[300];

	if (strcmp(kind, "StatefulSet") == 0) {
		snprintf(rev, sizeof(rev), "%s-%lld",
		    ks_str(obj, "metadata.name"), (long long)gen);
		ctrl_update(st,
		    json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:s, s:s, s:i}",
			"observedGeneration", gen, "replicas", want,
			"readyReplicas", ready, "currentReplicas", want,
			"updatedReplicas", want, "availableReplicas", ready,
			"currentRevision", rev, "updateRevision", rev,
			"collisionCount", 0));
	} else if (strcmp(kind, "DaemonSet") == 0) {
		ctrl_update(st,
		    json_pack("{s:I, s:i, s:i, s:I, s:i, s:I, s:i}",
			"observedGeneration", gen, "currentNumberScheduled", 1,
			"desiredNumberScheduled", 1, "numberAvailable",
			stuck ? (json_int_t)0 : (json_int_t)1,
			"numberMisscheduled", 0, "numberReady",
			stuck ? (json_int_t)0 : (json_int_t)1,
			"updatedNumberScheduled", 1));
	} else if (strcmp(kind, "ReplicaSet") == 0) {
		ctrl_update(st,
		    json_pack("{s:I, s:I, s:I, s:I, s:I}", "observedGeneration",
			gen, "replicas", want, "fullyLabeledReplicas", want,
			"readyReplicas", ready, "availableReplicas", ready));
	} else if (strcmp(kind, "Job") == 0) {
		gd_time_format(ts, time(NULL));
		if (json_object_get(st, "startTime") == NULL) {
			json_object_set_new(st, "startTime", json_string(ts));
			json_object_set_new(st, "active", json_integer(1));
			json_object_set_new(st, "ready", json_integer(0));
			return true;
		}
		if (!stuck && json_object_get(st, "completionTime") == NULL) {
			json_object_del(st, "active");
			json_object_set_new(
			    st, "completionTime", json_string(ts));
			json_object_set_new(st, "succeeded",
			    json_integer(
				ctrl_int(obj, "spec", "completions", 1)));
			ctrl_cond(st, "SuccessCriteriaMet", "True",
			    "CompletionsReached",
			    "Reached expected number of "
			    "succeeded pods",
			    false);
			ctrl_cond(st, "Complete", "True", "CompletionsReached",
			    "Reached expected number of succeeded pods", false);
		}
	}
	return false;
}

static void
ctrl_pod(json_t *obj)
{
	json_t *st = ks_obj(obj, "status"), *cs = json_array(), *c;
	const json_t *spec = json_object_get(obj, "spec");
	bool stuck = ctrl_stuck(spec);
	size_t i;

	json_array_foreach(json_object_get(spec, "containers"), i, c) {
		if (stuck)
			json_array_append_new(cs,
			    json_pack("{s:O, s:O, s:b, s:i, s:{s:{s:s, s:s}}}",
				"name", json_object_get(c, "name"), "image",
				json_object_get(c, "image"), "ready", 0,
				"restartCount", 0, "state", "waiting", "reason",
				"ImagePullBackOff", "message",
				"Back-off pulling image"));
		else
			json_array_append_new(cs,
			    json_pack("{s:O, s:O, s:b, s:i, s:{s:{}}}", "name",
				json_object_get(c, "name"), "image",
				json_object_get(c, "image"), "ready", 1,
				"restartCount", 0, "state", "running"));
	}
	json_object_set_new(st, "containerStatuses", cs);
	json_object_set_new(
	    st, "phase", json_string(stuck ? "Pending" : "Running"));
	ctrl_cond(st, "Ready", stuck ? "False" : "True",
	    stuck ? "ContainersNotReady" : "", "", false);
	json_object_set_new(st, "podIP", json_string("10.244.0.10"));
}

/*
 * A client that wrote status itself (PUT or PATCH of /status) is playing
 * the controller for this object, as a test that sets a Deployment's
 * status does: the loop leaves the object alone from then on.
 */
static bool
ctrl_hands_off(const json_t *obj)
{
	json_t *mf = json_object_get(
		   json_object_get(obj, "metadata"), "managedFields"),
	       *e;
	const char *m, *sub;
	size_t i;

	json_array_foreach(mf, i, e) {
		m = json_string_value(json_object_get(e, "manager"));
		sub = json_string_value(json_object_get(e, "subresource"));
		if (m != NULL && sub != NULL && strcmp(sub, "status") == 0 &&
		    strcmp(m, CTRL_MANAGER) != 0)
			return true;
	}
	return false;
}

/* One object; true while it needs more steps. Lock held. */
static bool
ctrl_visit(struct ks_resource *r, const json_t *old)
{
	json_t *obj = json_deep_copy(old), *st, *lb;
	const char *k = r->kind, *type;
	bool more = false;

	if (ks_str(old, "metadata.deletionTimestamp") != NULL ||
	    ctrl_hands_off(old)) {
		json_decref(obj);
		return false;
	}
	if (strcmp(k, "Deployment") == 0) {
		more = ctrl_deployment(obj);
		ks_children_deployment(obj,
		    json_string_value(json_object_get(
			json_object_get(
			    json_object_get(obj, "metadata"), "annotations"),
			"deployment.kubernetes.io/revision")),
		    ctrl_int(obj, "status", "replicas", -1) ==
			    ctrl_int(obj, "spec", "replicas", 1) &&
			ctrl_int(obj, "status", "availableReplicas", -1) ==
			    ctrl_int(obj, "spec", "replicas", 1));
	} else if (strcmp(k, "ReplicaSet") == 0) {
		more = ctrl_workload(k, obj);
		ks_children_replicaset(obj);
	} else if (strcmp(k, "StatefulSet") == 0 ||
	    strcmp(k, "DaemonSet") == 0 || strcmp(k, "Job") == 0)
		more = ctrl_workload(k, obj);
	else if (strcmp(k, "Pod") == 0)
		ctrl_pod(obj);
	else if (strcmp(k, "Service") == 0 || strcmp(k, "Ingress") == 0) {
		type = ks_str(obj, "spec.type");
		if (strcmp(k, "Ingress") == 0 ||
		    (type != NULL && strcmp(type, "LoadBalancer") == 0)) {
			lb = ks_obj(ks_obj(obj, "status"), "loadBalancer");
			if (json_array_size(json_object_get(lb, "ingress")) ==
			    0)
				json_object_set_new(lb, "ingress",
				    json_pack("[{s:s}]", "ip", ks.conf.lb_ip));
		}
	} else if (strcmp(k, "HorizontalPodAutoscaler") == 0) {
		st = ks_obj(obj, "status");
		json_object_set_new(st, "currentReplicas",
		    json_integer(ctrl_int(obj, "spec", "minReplicas", 1)));
		json_object_set_new(st, "desiredReplicas",
		    json_integer(ctrl_int(obj, "spec", "minReplicas", 1)));
		ctrl_cond(st, "AbleToScale", "True", "ReadyForNewScale",
		    "recommended size matches current size", false);
		ctrl_cond(st, "ScalingActive", "True", "ValidMetricFound",
		    "the HPA was able to successfully calculate a replica "
		    "count",
		    false);
		ctrl_cond(st, "ScalingLimited", "False", "DesiredWithinRange",
		    "the desired count is within the acceptable range", false);
	} else if (strcmp(k, "PersistentVolumeClaim") == 0) {
		st = ks_obj(obj, "status");
		json_object_set_new(st, "phase", json_string("Bound"));
		json_object_set(st, "accessModes",
		    json_object_get(
			json_object_get(obj, "spec"), "accessModes"));
	} else {
		json_decref(obj);
		return false;
	}
	if (!json_equal(obj, old)) {
		ks_apply_update(obj, old, CTRL_MANAGER, "status");
		ks_store_put(r, obj, false);
		obj = NULL; /* now owned by the store */
	}
	json_decref(obj);
	return more;
}

static void
ctrl_tick(void)
{
	json_t *keys = json_array(), *coll, *o, *k;
	struct ks_resource *r;
	const char *key, *nl, *slash, *av, *kind;
	char cname[256], okey[600];
	void *tmp;
	size_t i;

	ks_gc_run();
	json_object_foreach_safe(ks.pending, tmp, key, o) {
		json_array_append_new(keys, json_string(key));
		json_object_del(ks.pending, key);
	}
	json_array_foreach(keys, i, k) {
		key = json_string_value(k);
		nl = strchr(key, '\n');
		if (nl == NULL || (size_t)(nl - key) >= sizeof(cname))
			continue;
		snprintf(cname, sizeof(cname), "%.*s", (int)(nl - key), key);
		slash = strchr(nl + 1, '/');
		if (slash == nl + 1)
			snprintf(okey, sizeof(okey), "%s", slash + 1);
		else
			snprintf(okey, sizeof(okey), "%s", nl + 1);
		coll = json_object_get(ks.colls, cname);
		o = json_object_get(coll, okey);
		if (o == NULL)
			continue;
		av = ks_str(o, "apiVersion");
		kind = ks_str(o, "kind");
		if (av == NULL || kind == NULL ||
		    (r = ks_discovery_find_kind(av, kind)) == NULL)
			continue;
		json_incref(o);
		/* A write puts it back in pending by itself. */
		if (ctrl_visit(r, o))
			json_object_set_new(ks.pending, key, json_true());
		json_decref(o);
	}
	json_decref(keys);
}

static void *
ctrl_main(void *arg)
{
	(void)arg;
	while (!ks.stopping) {
		usleep(ks.conf.step_ms * 1000u);
		pthread_mutex_lock(&ks.lock);
		ctrl_tick();
		pthread_mutex_unlock(&ks.lock);
	}
	return NULL;
}

void
ks_controller_start(void)
{
	pthread_t t;

	ctrl_rollouts = json_object();
	if (pthread_create(&t, NULL, ctrl_main, NULL) != 0)
		fatalx("kubesim: cannot start the controller thread");
	pthread_detach(t);
}
