/* SPDX-License-Identifier: ISC */
/*
 * Server defaulting: the fields the real API server fills in when a
 * built-in object is written without them (Deployment strategy,
 * revisionHistoryLimit, progressDeadlineSeconds; Service clusterIP,
 * sessionAffinity, ipFamilies; pod template restartPolicy, dnsPolicy,
 * schedulerName; container imagePullPolicy, terminationMessagePath ...),
 * so a differ meets the same noise a real cluster adds.
 *
 * The hard part is that defaulting runs on every write and must be
 * idempotent and must never overwrite a value the client set, and that
 * allocated values (a Service's clusterIP, nodePorts) must survive later
 * writes that omit them: a patch starts from the stored object, so they
 * are only allocated when absent.
 */
#include <stdio.h>
#include <string.h>

#include "kubesim.h"

static void
def_set(json_t *o, const char *k, json_t *v)
{
	if (json_object_get(o, k) == NULL)
		json_object_set_new(o, k, v);
	else
		json_decref(v);
}

static void
def_container(json_t *c)
{
	const char *image = json_string_value(json_object_get(c, "image"));
	const char *slash, *tag;
	json_t *ports, *p;
	size_t i;

	if (image != NULL) {
		slash = strrchr(image, '/');
		tag = strchr(slash != NULL ? slash : image, ':');
		def_set(c, "imagePullPolicy",
		    json_string(tag == NULL || strcmp(tag, ":latest") == 0 ?
			    "Always" :
			    "IfNotPresent"));
	}
	def_set(
	    c, "terminationMessagePath", json_string("/dev/termination-log"));
	def_set(c, "terminationMessagePolicy", json_string("File"));
	def_set(c, "resources", json_object());
	ports = json_object_get(c, "ports");
	json_array_foreach(ports, i, p)
		def_set(p, "protocol", json_string("TCP"));
}

static void
def_podspec(json_t *spec)
{
	json_t *cs, *c;
	size_t i;

	if (!json_is_object(spec))
		return;
	def_set(spec, "restartPolicy", json_string("Always"));
	def_set(spec, "terminationGracePeriodSeconds", json_integer(30));
	def_set(spec, "dnsPolicy", json_string("ClusterFirst"));
	def_set(spec, "securityContext", json_object());
	def_set(spec, "schedulerName", json_string("default-scheduler"));
	cs = json_object_get(spec, "containers");
	json_array_foreach(cs, i, c)
		def_container(c);
	cs = json_object_get(spec, "initContainers");
	json_array_foreach(cs, i, c)
		def_container(c);
}

static void
def_template(json_t *spec)
{
	json_t *t = json_object_get(spec, "template");

	if (!json_is_object(t))
		return;
	/* The real server prints this null in every template. */
	def_set(ks_obj(t, "metadata"), "creationTimestamp", json_null());
	def_podspec(json_object_get(t, "spec"));
}

static void
def_service(json_t *obj)
{
	json_t *spec = ks_obj(obj, "spec"), *ports, *p;
	const char *type, *cip;
	char ip[32];
	size_t i;

	def_set(spec, "type", json_string("ClusterIP"));
	type = json_string_value(json_object_get(spec, "type"));
	if (type == NULL)
		type = "ClusterIP";
	def_set(spec, "sessionAffinity", json_string("None"));
	if (strcmp(type, "ExternalName") != 0) {
		if (json_object_get(spec, "clusterIP") == NULL ||
		    strcmp(ks_str(obj, "spec.clusterIP") != NULL ?
			    ks_str(obj, "spec.clusterIP") :
			    "",
			"") == 0) {
			ks.next_ip++;
			snprintf(ip, sizeof(ip), "10.96.%u.%u",
			    (ks.next_ip / 250) % 250, ks.next_ip % 250 + 1);
			json_object_set_new(spec, "clusterIP", json_string(ip));
		}
		cip = json_string_value(json_object_get(spec, "clusterIP"));
		def_set(spec, "clusterIPs", json_pack("[s]", cip ? cip : ""));
		def_set(spec, "ipFamilies", json_pack("[s]", "IPv4"));
		def_set(spec, "ipFamilyPolicy", json_string("SingleStack"));
		def_set(spec, "internalTrafficPolicy", json_string("Cluster"));
	}
	if (strcmp(type, "NodePort") == 0 || strcmp(type, "LoadBalancer") == 0)
		def_set(spec, "externalTrafficPolicy", json_string("Cluster"));
	if (strcmp(type, "LoadBalancer") == 0)
		def_set(spec, "allocateLoadBalancerNodePorts", json_true());
	ports = json_object_get(spec, "ports");
	json_array_foreach(ports, i, p) {
		def_set(p, "protocol", json_string("TCP"));
		if (json_object_get(p, "port") != NULL)
			def_set(p, "targetPort",
			    json_deep_copy(json_object_get(p, "port")));
		if (strcmp(type, "NodePort") == 0 ||
		    strcmp(type, "LoadBalancer") == 0) {
			ks.next_ip++;
			def_set(p, "nodePort",
			    json_integer(30000 + ks.next_ip % 2768));
		}
	}
	ks_obj(ks_obj(obj, "status"), "loadBalancer");
}

void
ks_defaults(const struct ks_resource *r, json_t *obj)
{
	json_t *spec, *ru, *meta;
	const char *k = r->kind;

	if (!ks_is_builtin(r))
		return;
	if (strcmp(k, "Deployment") == 0) {
		spec = ks_obj(obj, "spec");
		def_set(spec, "replicas", json_integer(1));
		def_set(spec, "revisionHistoryLimit", json_integer(10));
		def_set(spec, "progressDeadlineSeconds", json_integer(600));
		def_set(spec, "strategy", json_object());
		ru = json_object_get(spec, "strategy");
		def_set(ru, "type", json_string("RollingUpdate"));
		if (ks_str(obj, "spec.strategy.type") != NULL &&
		    strcmp(ks_str(obj, "spec.strategy.type"),
			"RollingUpdate") == 0)
			def_set(ru, "rollingUpdate",
			    json_pack("{s:s, s:s}", "maxSurge", "25%",
				"maxUnavailable", "25%"));
		def_template(spec);
	} else if (strcmp(k, "StatefulSet") == 0) {
		spec = ks_obj(obj, "spec");
		def_set(spec, "replicas", json_integer(1));
		def_set(
		    spec, "podManagementPolicy", json_string("OrderedReady"));
		def_set(spec, "revisionHistoryLimit", json_integer(10));
		def_set(spec, "updateStrategy",
		    json_pack("{s:s, s:{s:i}}", "type", "RollingUpdate",
			"rollingUpdate", "partition", 0));
		def_set(spec, "persistentVolumeClaimRetentionPolicy",
		    json_pack("{s:s, s:s}", "whenDeleted", "Retain",
			"whenScaled", "Retain"));
		def_template(spec);
	} else if (strcmp(k, "DaemonSet") == 0) {
		spec = ks_obj(obj, "spec");
		def_set(spec, "revisionHistoryLimit", json_integer(10));
		def_set(spec, "updateStrategy",
		    json_pack("{s:s, s:{s:i, s:i}}", "type", "RollingUpdate",
			"rollingUpdate", "maxUnavailable", 1, "maxSurge", 0));
		def_template(spec);
	} else if (strcmp(k, "ReplicaSet") == 0) {
		spec = ks_obj(obj, "spec");
		def_set(spec, "replicas", json_integer(1));
		def_template(spec);
	} else if (strcmp(k, "Job") == 0) {
		spec = ks_obj(obj, "spec");
		def_set(spec, "backoffLimit", json_integer(6));
		def_set(spec, "completions", json_integer(1));
		def_set(spec, "parallelism", json_integer(1));
		def_set(spec, "completionMode", json_string("NonIndexed"));
		def_set(spec, "suspend", json_false());
		def_template(spec);
	} else if (strcmp(k, "CronJob") == 0) {
		spec = ks_obj(obj, "spec");
		def_set(spec, "concurrencyPolicy", json_string("Allow"));
		def_set(spec, "suspend", json_false());
		def_set(spec, "successfulJobsHistoryLimit", json_integer(3));
		def_set(spec, "failedJobsHistoryLimit", json_integer(1));
		def_template(ks_obj(ks_obj(spec, "jobTemplate"), "spec"));
	} else if (strcmp(k, "Pod") == 0)
		def_podspec(ks_obj(obj, "spec"));
	else if (strcmp(k, "Service") == 0)
		def_service(obj);
	else if (strcmp(k, "Secret") == 0)
		def_set(obj, "type", json_string("Opaque"));
	else if (strcmp(k, "Namespace") == 0) {
		meta = ks_obj(obj, "metadata");
		def_set(ks_obj(meta, "labels"), "kubernetes.io/metadata.name",
		    json_string(ks_str(obj, "metadata.name")));
		def_set(ks_obj(obj, "spec"), "finalizers",
		    json_pack("[s]", "kubernetes"));
		def_set(ks_obj(obj, "status"), "phase", json_string("Active"));
	} else if (strcmp(k, "PersistentVolumeClaim") == 0)
		def_set(ks_obj(obj, "spec"), "volumeMode",
		    json_string("Filesystem"));
}
