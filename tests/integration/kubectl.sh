#!/bin/sh
# The real kubectl against kubesim: proof that kubesim speaks the API the
# way kubectl expects. Every test gets a fresh HOME (kubectl caches
# discovery there). Covers get (table and -o json), apply --server-side
# (new, changed, conflict without --force-conflicts), diff --server-side,
# rollout status until done and until the progress deadline, delete
# --cascade=foreground, watch, client-side apply, the PATCH types, TLS with
# a bearer token, and injected faults. Fails, never skips, when kubectl,
# kubesim or openssl is missing (scripts/install-deps installs them). Three
# checks need kubectl >= 1.26 (it reads OpenAPI v3 for dry-run) and are
# reported as SKIP with Debian's older kubernetes-client only.
set -u
KUBESIM=${KUBESIM:-./tests/kubesim/kubesim}
SRC=${GD_SRCDIR:-$(dirname "$0")/../..}
FIX=$SRC/tests/fixtures/kubesim
command -v kubectl >/dev/null 2>&1 || { echo "not ok - no kubectl: run scripts/install-deps"; exit 1; }
[ -x "$KUBESIM" ] || { echo "not ok - no $KUBESIM: build it with make"; exit 1; }

tmp=$(mktemp -d /tmp/gd-kubectl-XXXXXX)
pids=""
pass=0
failed=0
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	[ -n "${KEEP:-}" ] || rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

ok() { pass=$((pass + 1)); echo "ok - $*"; }
bad() { failed=$((failed + 1)); echo "not ok - $*"; }
check() { # description, command...
	d=$1; shift
	if "$@"; then ok "$d"; else bad "$d"; fi
}

# start NAME ARGS...: runs kubesim on a free port (it binds port 0 and
# prints the address), writes $tmp/NAME.url.
start() {
	name=$1; shift
	"$KUBESIM" --listen 127.0.0.1:0 "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
	pids="$pids $!"
	i=0
	while [ $i -lt 100 ]; do
		url=$(sed -n 's/^kubesim: listening on //p' "$tmp/$name.out" 2>/dev/null)
		[ -n "$url" ] && { echo "$url" >"$tmp/$name.url"; return 0; }
		sleep 0.1
		i=$((i + 1))
	done
	echo "kubesim did not start:"; cat "$tmp/$name.err"
	return 1
}

# fresh NAME [USER-YAML] [CLUSTER-EXTRA-YAML]: a new HOME and kubeconfig
# for one test.
fresh() {
	h=$tmp/home-$1-$$-$(date +%s%N)
	mkdir -p "$h"
	cat >"$h/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: sim
  cluster:
    server: $(cat "$tmp/${KS:-main}.url")
${3:-}
contexts:
- name: sim
  context: {cluster: sim, user: me, namespace: default}
current-context: sim
users:
- name: me
  user: ${2:-{\}}
EOF
	export HOME="$h" KUBECONFIG="$h/kubeconfig"
	# Each test in its own namespace (kubectl create ns sends protobuf).
	printf 'apiVersion: v1\nkind: Namespace\nmetadata: {name: t-%s}\n' "$1" |
	    kubectl apply --server-side -f - >/dev/null 2>&1 &&
	    kubectl config set-context sim --namespace "t-$1" >/dev/null
}

# Debian's kubectl 1.20 reads OpenAPI v2 for dry-run support, which kubesim
# serves empty: the tests built on server dry-run need a newer one.
minor=$(kubectl version --client -o json 2>/dev/null | jq -r .clientVersion.minor | tr -dc 0-9)
new_kubectl() { [ "${minor:-0}" -ge 26 ]; }
skip() { echo "ok - # SKIP $* (kubectl 1.${minor:-?})"; }
smf=""
new_kubectl && smf=--show-managed-fields

start main --step-ms 50 --deadline-scale 0.005 --stuck-image '*:never*' \
    --history 64 --bookmark-ms 300 ||
	exit 1

# --- get ---------------------------------------------------------------
fresh get
check "get ns prints the server's table" \
	sh -c 'kubectl get ns | grep -Eq "^default +Active +[0-9]+s"'
check "get -o json gives the object with kind and uid" \
	sh -c 'kubectl get ns default -o json >"$0" &&
	    [ "$(jq -r .kind "$0")" = Namespace ] &&
	    [ "$(jq -r .metadata.uid "$0" | wc -c)" -gt 30 ]' "$tmp/ns.json"
check "get of a missing object says NotFound" \
	sh -c 'kubectl get deploy nope 2>&1 |
	    grep -q "Error from server (NotFound): deployments.apps \"nope\" not found"'

# --- apply --server-side -------------------------------------------------
fresh apply
check "apply --server-side creates" \
	sh -c 'kubectl apply --server-side -f "$0/web.yaml" | grep -q "serverside-applied"' "$FIX"
check "a new object has generation 1 and defaults" \
	sh -c '[ "$(kubectl get deploy web -o jsonpath="{.metadata.generation} {.spec.strategy.type} {.spec.template.spec.containers[0].imagePullPolicy}")" = "1 RollingUpdate IfNotPresent" ]'
check "rollout status waits until done" \
	sh -c 'kubectl rollout status deploy/web --timeout=30s | tail -1 | grep -q "successfully rolled out"'
check "the table shows the rollout" \
	sh -c 'kubectl get deploy web | grep -Eq "^web +3/3 +3 +3 "'
if new_kubectl; then
	check "diff --server-side of the same manifest finds nothing" \
		kubectl diff --server-side -f "$FIX/web.yaml"
	check "diff --server-side of a change shows it (exit 1)" \
		sh -c 'kubectl diff --server-side -f "$0/web-v2.yaml" >"$1"; [ $? -eq 1 ] && grep -q "^+ *image: nginx:1.27" "$1"' "$FIX" "$tmp/diff.out"
else
	skip "diff --server-side"
fi
check "apply --server-side of a change bumps generation" \
	sh -c 'kubectl apply --server-side -f "$0/web-v2.yaml" >/dev/null &&
	    [ "$(kubectl get deploy web -o jsonpath={.metadata.generation})" = 2 ]' "$FIX"
check "another manager changing an owned field conflicts" \
	sh -c '! kubectl apply --server-side --field-manager=other -f "$0/web-scaled.yaml" 2>"$1" &&
	    grep -q "conflict with \"kubectl\" using apps/v1: .spec.replicas" "$1"' "$FIX" "$tmp/conflict.err"
check "the conflict left the object alone" \
	sh -c '[ "$(kubectl get deploy web -o jsonpath={.spec.replicas})" = 3 ]'
check "--force-conflicts takes the field over" \
	sh -c 'kubectl apply --server-side --field-manager=other --force-conflicts -f "$0/web-scaled.yaml" >/dev/null &&
	    [ "$(kubectl get deploy web -o jsonpath={.spec.replicas})" = 5 ] &&
	    kubectl get deploy web -o json $2 >"$1" &&
	    [ "$(jq -r "[.metadata.managedFields[] | select(.manager==\"other\") | .fieldsV1.\"f:spec\" | has(\"f:replicas\")] | .[0]" "$1")" = true ]' "$FIX" "$tmp/mf.json" "$smf"
check "a field the manager stops applying is removed" \
	sh -c 'kubectl apply --server-side -f "$0/web-nolabel.yaml" >/dev/null &&
	    [ -z "$(kubectl get deploy web -o jsonpath={.metadata.labels.tier})" ]' "$FIX"
new_kubectl || skip "apply --dry-run=server"
new_kubectl && check "apply --server-side --dry-run=server stores nothing" \
	sh -c 'kubectl apply --server-side --dry-run=server -f "$0/web-v2.yaml" --force-conflicts >/dev/null &&
	    kubectl apply --server-side --dry-run=server -f "$0/cm.yaml" >/dev/null &&
	    ! kubectl get cm settings 2>/dev/null' "$FIX"

# --- rollout to the deadline, and delete ---------------------------------
fresh deadline
check "rollout status fails at the progress deadline" \
	sh -c 'kubectl apply --server-side -f "$0/stuck.yaml" >/dev/null &&
	    ! kubectl rollout status deploy/stuck --timeout=30s 2>"$1" &&
	    grep -q "exceeded its progress deadline" "$1"' "$FIX" "$tmp/deadline.err"
check "delete --cascade=foreground removes the object" \
	sh -c 'kubectl delete deploy stuck --cascade=foreground | grep -q "deleted" &&
	    ! kubectl get deploy stuck 2>/dev/null'

if new_kubectl; then
	check "a status a client writes stays (the controller steps aside)" \
		sh -c 'kubectl apply --server-side -f "$0/web.yaml" >/dev/null &&
		    kubectl rollout status deploy/web --timeout=20s >/dev/null &&
		    kubectl patch deploy web --subresource=status --type=merge -p "{\"status\":{\"availableReplicas\":1}}" >/dev/null &&
		    sleep 0.5 &&
		    [ "$(kubectl get deploy web -o jsonpath={.status.availableReplicas})" = 1 ]' "$FIX"
else
	skip "patch --subresource=status"
fi

# --- rollout history and undo (ReplicaSets per template) -------------------------
fresh undo
check "rollout undo goes back to the old template as a new revision" \
	sh -c 'kubectl apply --server-side -f "$0/web.yaml" >/dev/null &&
	    kubectl rollout status deploy/web --timeout=20s >/dev/null &&
	    kubectl apply --server-side -f "$0/web-v2.yaml" >/dev/null &&
	    kubectl rollout status deploy/web --timeout=20s >/dev/null &&
	    [ "$(kubectl get rs -o name | wc -l)" -eq 2 ] &&
	    kubectl rollout undo deploy/web >/dev/null &&
	    kubectl rollout status deploy/web --timeout=20s >/dev/null &&
	    [ "$(kubectl get deploy web -o jsonpath="{.spec.template.spec.containers[0].image}")" = nginx:1.25 ] &&
	    [ "$(kubectl rollout history deploy/web | awk "/^[0-9]/ {print \$1}" | tr "\n" " ")" = "2 3 " ]' "$FIX"

# --- other workloads and addresses ---------------------------------------------
fresh workloads
check "StatefulSet, DaemonSet and Job roll out" \
	sh -c 'kubectl apply --server-side -f "$0/workloads.yaml" >/dev/null &&
	    kubectl rollout status sts/db --timeout=20s >/dev/null &&
	    kubectl rollout status ds/agent --timeout=20s >/dev/null &&
	    kubectl wait --for=condition=complete job/migrate --timeout=20s >/dev/null' "$FIX"
check "LoadBalancer, Ingress and HPA get status" \
	sh -c 'i=0; while [ $i -lt 100 ]; do
		[ "$(kubectl get svc/lb ing/ing -o jsonpath="{.items[*].status.loadBalancer.ingress[0].ip}")" = "192.0.2.10 192.0.2.10" ] &&
		    [ "$(kubectl get hpa web -o jsonpath="{.status.conditions[?(@.type==\"AbleToScale\")].status}")" = True ] &&
		    exit 0
		sleep 0.2; i=$((i + 1)); done; exit 1'

# --- typed create commands (protobuf bodies) -----------------------------------
fresh create
check "kubectl create namespace, configmap, secret, serviceaccount" \
	sh -c 'kubectl create ns made-by-create >/dev/null &&
	    kubectl -n made-by-create create configmap c1 --from-literal=a=b >/dev/null &&
	    kubectl -n made-by-create create secret generic s1 --from-literal=pw=hunter2 >/dev/null &&
	    kubectl -n made-by-create create serviceaccount bot >/dev/null &&
	    [ "$(kubectl -n made-by-create get cm c1 -o jsonpath={.data.a})" = b ] &&
	    [ "$(kubectl -n made-by-create get secret s1 -o jsonpath={.data.pw} | base64 -d)" = hunter2 ]'
check "kubectl create of an existing namespace is AlreadyExists" \
	sh -c 'kubectl create ns made-by-create 2>&1 | grep -q "(AlreadyExists)"'

# --- client-side apply and the patch types --------------------------------
fresh patch
check "client-side apply creates and then patches" \
	sh -c 'kubectl apply -f "$0/cm.yaml" | grep -q created &&
	    kubectl apply -f "$0/cm-v2.yaml" | grep -q configured &&
	    [ "$(kubectl get cm settings -o jsonpath={.data.mode})" = fast ] &&
	    [ -z "$(kubectl get cm settings -o jsonpath={.data.old})" ]' "$FIX"
check "strategic merge patch merges containers by name" \
	sh -c 'kubectl apply --server-side -f "$0/web.yaml" >/dev/null &&
	    kubectl patch deploy web -p "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"side\",\"image\":\"busybox\"}]}}}}" >/dev/null &&
	    [ "$(kubectl get deploy web -o jsonpath="{.spec.template.spec.containers[*].name}")" = "web side" ]' "$FIX"
check "json patch and merge patch" \
	sh -c 'kubectl patch deploy web --type=json -p "[{\"op\":\"replace\",\"path\":\"/spec/replicas\",\"value\":1}]" >/dev/null &&
	    kubectl patch deploy web --type=merge -p "{\"metadata\":{\"labels\":{\"x\":\"y\"}}}" >/dev/null &&
	    [ "$(kubectl get deploy web -o jsonpath="{.spec.replicas} {.metadata.labels.x}")" = "1 y" ]'
check "label and field selectors" \
	sh -c '[ "$(kubectl get deploy -l x=y -o name)" = deployment.apps/web ] &&
	    [ -z "$(kubectl get deploy -l "x notin (y)" -o name 2>/dev/null)" ] &&
	    [ "$(kubectl get deploy --field-selector metadata.name=web -o name)" = deployment.apps/web ]'
check "a namespace must exist" \
	sh -c 'kubectl -n nowhere apply --server-side -f "$0/cm.yaml" 2>&1 | grep -q "namespaces \"nowhere\" not found"' "$FIX"

# --- watch ----------------------------------------------------------------
fresh watch
(timeout 5 kubectl get cm -w --output-watch-events >"$tmp/watch.out" 2>&1 &)
sleep 1.5
kubectl apply --server-side -f "$FIX/cm.yaml" >/dev/null
kubectl delete cm settings >/dev/null
sleep 4
check "get -w sees ADDED and DELETED" \
	sh -c 'grep -Eq "^ADDED +settings" "$0" && grep -Eq "^DELETED +settings" "$0"' "$tmp/watch.out"

# --- finalizers ---------------------------------------------------------------
fresh final
check "a finalizer holds a deleted object with a deletionTimestamp" \
	sh -c 'kubectl apply --server-side -f "$0/held.yaml" >/dev/null &&
	    kubectl delete cm held --wait=false >/dev/null &&
	    [ -n "$(kubectl get cm held -o jsonpath={.metadata.deletionTimestamp})" ]' "$FIX"
check "removing the finalizer lets it go" \
	sh -c 'kubectl patch cm held --type=merge -p "{\"metadata\":{\"finalizers\":null}}" >/dev/null &&
	    ! kubectl get cm held 2>/dev/null'

# --- watch over raw HTTP: bookmarks, replay, 410 ------------------------------
url=$(cat "$tmp/main.url")
rv=$(curl -sf "$url/api/v1/namespaces/default/configmaps" | jq -r .metadata.resourceVersion)
curl -sf -N --max-time 3 "$url/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=$rv&allowWatchBookmarks=true&timeoutSeconds=2" >"$tmp/bm.out"
check "an idle watch sends BOOKMARKs and ends at timeoutSeconds" \
	sh -c '[ "$(jq -r .type "$0" | sort -u)" = BOOKMARK ]' "$tmp/bm.out"
curl -sf -N --max-time 5 "$url/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=1&timeoutSeconds=1" >"$tmp/old.out"
check "a watch from a version older than the history gets 410 Expired" \
	sh -c 'jq -se "length == 1 and .[0].type == \"ERROR\" and .[0].object.code == 410" "$0" >/dev/null' "$tmp/old.out"

# --- faults ---------------------------------------------------------------
fresh faults
url=$(cat "$tmp/main.url")
curl -sf -X POST -d '{"count":1,"status":500,"match":"/namespaces/default"}' \
    "$url/kubesim/faults" >/dev/null
check "an injected 500 reaches kubectl" \
	sh -c 'kubectl get --raw /api/v1/namespaces/default 2>&1 | grep -q "an error on the server"'
check "the fault endpoint counts it off" \
	sh -c '[ "$(curl -sf "$0/kubesim/faults" | jq .count)" = 0 ]' "$url"
check "the next request succeeds" \
	sh -c 'kubectl get ns default -o name | grep -q namespace/default'
curl -sf -X POST -d '{"count":1,"status":429,"retryAfter":1,"match":"/namespaces/kube-public"}' \
    "$url/kubesim/faults" >/dev/null
check "a 429 carries Retry-After and kubectl retries through it" \
	sh -c 'curl -s -D "$1" -o /dev/null "$0/api/v1/namespaces/kube-public" &&
	    grep -qi "^Retry-After: 1" "$1" &&
	    kubectl get ns kube-public -o name | grep -q namespace/kube-public' "$url" "$tmp/429.h"
curl -sf -X POST -d '{"count":1,"mode":"reset","match":"/namespaces/kube-system"}' \
    "$url/kubesim/faults" >/dev/null
check "a reset connection is an empty reply" \
	sh -c 'curl -s "$0/api/v1/namespaces/kube-system"; [ $? -eq 52 ]' "$url"
curl -sf -X DELETE "$url/kubesim/faults" >/dev/null

# --- TLS and a bearer token --------------------------------------------------
if command -v openssl >/dev/null 2>&1; then
	tlsd=$tmp/tls
	mkdir -p "$tlsd"
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=kubesim-ca \
	    -keyout "$tlsd/ca.key" -out "$tlsd/ca.crt" >/dev/null 2>&1
	openssl req -newkey rsa:2048 -nodes -subj /CN=kubesim \
	    -keyout "$tlsd/srv.key" -out "$tlsd/srv.csr" >/dev/null 2>&1
	printf 'subjectAltName=IP:127.0.0.1\n' >"$tlsd/ext"
	openssl x509 -req -in "$tlsd/srv.csr" -CA "$tlsd/ca.crt" -CAkey "$tlsd/ca.key" \
	    -CAcreateserial -days 2 -extfile "$tlsd/ext" -out "$tlsd/srv.crt" >/dev/null 2>&1
	start tls --tls-cert "$tlsd/srv.crt" --tls-key "$tlsd/srv.key" --token s3cret
	ca=$(base64 -w0 <"$tlsd/ca.crt")
	KS=tls fresh tls "{token: s3cret}" "    certificate-authority-data: $ca"
	check "kubectl over TLS with a token" \
	    sh -c 'kubectl get ns default -o name | grep -q namespace/default'
	KS=tls fresh tls-bad "{token: wrong}" "    certificate-authority-data: $ca"
	check "a wrong token is Unauthorized" \
	    sh -c 'kubectl get ns default 2>&1 | grep -q "You must be logged in"'

	# client certificates signed by --client-ca log in too
	openssl req -newkey rsa:2048 -nodes -subj /CN=alice/O=devs \
	    -keyout "$tlsd/alice.key" -out "$tlsd/alice.csr" >/dev/null 2>&1
	openssl x509 -req -in "$tlsd/alice.csr" -CA "$tlsd/ca.crt" -CAkey "$tlsd/ca.key" \
	    -CAcreateserial -days 2 -out "$tlsd/alice.crt" >/dev/null 2>&1
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=mallory \
	    -keyout "$tlsd/mallory.key" -out "$tlsd/mallory.crt" >/dev/null 2>&1
	start mtls --tls-cert "$tlsd/srv.crt" --tls-key "$tlsd/srv.key" \
	    --client-ca "$tlsd/ca.crt"
	KS=mtls fresh mtls "{client-certificate: $tlsd/alice.crt, client-key: $tlsd/alice.key}" \
	    "    certificate-authority-data: $ca"
	check "kubectl with a client certificate" \
	    sh -c 'kubectl get ns default -o name | grep -q namespace/default'
	KS=mtls fresh mtls-bad "{client-certificate: $tlsd/mallory.crt, client-key: $tlsd/mallory.key}" \
	    "    certificate-authority-data: $ca"
	check "a certificate from another CA is refused" \
	    sh -c 'kubectl get ns default 2>&1 | grep -q "You must be logged in"'
else
	failed=$((failed + 1))
	echo "not ok - TLS: no openssl (scripts/install-deps installs it)"
fi

echo "# $pass passed, $failed failed"
[ "$failed" -eq 0 ]
