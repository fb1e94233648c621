#!/bin/sh
# The three chart sources, end to end with the real binaries: the example
# chart (examples/charts/myapp) pushed with scripts/push-chart to Debian's
# docker-registry on a loopback port, served as a Helm repository by
# lighttpd (scripts/package-chart + scripts/helm-repo-index), and committed
# in the gitops repository itself. Applications deploy it with one value
# file: oci://harbor.local/charts through the config's registries: alias
# (by tag, and by the digest push-chart printed), registries behind Basic
# auth and behind the bearer-token flow (push-chart and gitopsd both log in),
# the Helm repository (with absolute and with relative urls in its index),
# and the git path.
# `gitopsd render --app` must print the same objects for all of them
# (Deployment, Service, Ingress, HorizontalPodAutoscaler), the daemon must
# serve them at /api/v1/applications/<app>/manifests, and a missing
# version and a stopped registry must give errors a user can act on. A
# missing tool fails the test: it never skips.
set -u
GITOPSD=${GITOPSD:-./gitopsd}
SRC=${GD_SRCDIR:-.}
tmp=$(mktemp -d /tmp/gd-sources-XXXXXX)
regpid="" authpid="" tokpid="" webpid="" pid=""
pass=0
failed=0
cleanup() {
	for p in $pid $regpid $authpid $tokpid $webpid; do
		kill "$p" 2>/dev/null
	done
	# GD_KEEP=1 keeps the outputs and logs to look at
	if [ -n "${GD_KEEP:-}" ]; then echo "# kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT INT TERM

ok() { pass=$((pass + 1)); echo "ok - $*"; }
bad() { failed=$((failed + 1)); echo "not ok - $*"; }
check() { # description, command...
	d=$1; shift
	if "$@"; then ok "$d"; else bad "$d"; fi
}
for t in git curl jq tar gzip sha256sum docker-registry lighttpd perl openssl; do
	command -v $t >/dev/null || { echo "not ok - no $t: run scripts/install-deps"; exit 1; }
done
[ -x "$GITOPSD" ] || { echo "not ok - no gitopsd at $GITOPSD"; exit 1; }

# A loopback port nothing listens on a moment ago.
free_port() {
	p=$(( 20000 + ($$ * 7 + $1) % 20000 ))
	while curl -s -o /dev/null -m 1 "http://127.0.0.1:$p/"; [ $? -ne 7 ]; do
		p=$((p + 1))
	done
	echo $p
}
# waits up to $1 tenths of a second for the command after it to succeed
wait_for() {
	n=$1; shift
	i=0
	until "$@"; do
		i=$((i + 1))
		[ $i -lt "$n" ] || return 1
		sleep 0.1
	done
}

# --- the registry, with myapp 1.3.0 pushed -----------------------------------
rport=$(free_port 1)
mkdir "$tmp/registry"
cat >"$tmp/registry.yml" <<YAML
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $tmp/registry
http:
  addr: 127.0.0.1:$rport
  secret: sources-test
YAML
docker-registry serve "$tmp/registry.yml" >"$tmp/registry.log" 2>&1 &
regpid=$!
is_registry() {
	curl -s -o /dev/null -D - "http://127.0.0.1:$rport/v2/" |
		grep -qi '^docker-distribution-api-version: registry/2'
}
wait_for 100 is_registry || { cat "$tmp/registry.log"; echo "not ok - docker-registry does not start"; exit 1; }

digest=$("$SRC/scripts/push-chart" "$SRC/examples/charts/myapp" 1.3.0 \
    "oci://127.0.0.1:$rport/charts" --plain-http 2>"$tmp/push.err")
is_digest() { echo "$1" | grep -Eq '^sha256:[0-9a-f]{64}$'; }
check "push-chart prints the manifest digest" is_digest "$digest"
manifest=$(curl -s -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
    "http://127.0.0.1:$rport/v2/charts/myapp/manifests/1.3.0")
check "the pushed manifest has helm's media types" test "$(echo "$manifest" | jq -r \
	'[.config.mediaType, .layers[0].mediaType,
	  .annotations["org.opencontainers.image.version"]] | join(" ")')" = \
	"application/vnd.cncf.helm.config.v1+json application/vnd.cncf.helm.chart.content.v1.tar+gzip 1.3.0"
check "the registry stored it under that digest" test "$(curl -s -o /dev/null -D - \
	-H 'Accept: application/vnd.oci.image.manifest.v1+json' \
	"http://127.0.0.1:$rport/v2/charts/myapp/manifests/1.3.0" | tr -d '\r' |
	sed -n 's/^[Dd]ocker-[Cc]ontent-[Dd]igest: //p')" = "$digest"
again=$("$SRC/scripts/push-chart" "$SRC/examples/charts/myapp" 1.3.0 \
    "oci://127.0.0.1:$rport/charts" --plain-http 2>/dev/null)
check "pushing again gives the same digest (reproducible archive)" test "$again" = "$digest"

# --- a second registry, behind Basic auth (htpasswd) ------------------------
aport=$(free_port 4)
mkdir "$tmp/registry-auth"
# bcrypt, the only hash docker-registry takes, from libcrypt through perl
perl -e 'print "ci:", crypt("s3cret", q($2b$05$gitopsdsourcestestsalt)), "\n"' \
    >"$tmp/htpasswd"
printf 's3cret\n' >"$tmp/password"
printf 'wrong\n' >"$tmp/badpassword"
sed -e "s|127.0.0.1:$rport|127.0.0.1:$aport|" \
    -e "s|rootdirectory: .*|rootdirectory: $tmp/registry-auth|" "$tmp/registry.yml" \
    >"$tmp/registry-auth.yml"
printf 'auth:\n  htpasswd:\n    realm: sources-test\n    path: %s\n' \
    "$tmp/htpasswd" >>"$tmp/registry-auth.yml"
docker-registry serve "$tmp/registry-auth.yml" >"$tmp/registry-auth.log" 2>&1 &
authpid=$!
wait_for 100 curl -s -o /dev/null -f -u ci:s3cret "http://127.0.0.1:$aport/v2/" ||
	{ cat "$tmp/registry-auth.log"; echo "not ok - docker-registry with htpasswd does not start"; exit 1; }
push_auth() { # push-chart options...: stderr in $tmp/push-auth.err
	"$SRC/scripts/push-chart" "$SRC/examples/charts/myapp" 1.3.0 \
	    "oci://127.0.0.1:$aport/charts" --plain-http "$@" 2>"$tmp/push-auth.err"
}
push_auth >/dev/null
check "push-chart without credentials says the registry wants some" \
	grep -q 'asks for a password: give --username and --password-file' "$tmp/push-auth.err"
push_auth --username ci --password-file "$tmp/badpassword" >/dev/null
check "a wrong password is refused, naming the user" \
	grep -q 'authentication refused for user ci' "$tmp/push-auth.err"
check "the right one pushes the same manifest" \
	test "$(push_auth --username ci --password-file "$tmp/password")" = "$digest"
check "and no message holds the password" \
	test "$(grep -c s3cret "$tmp/push-auth.err")" = 0

# --- the Helm repository -----------------------------------------------------
hport=$(free_port 2)
mkdir -p "$tmp/www/charts"
"$SRC/scripts/package-chart" "$SRC/examples/charts/myapp" 1.3.0 "$tmp/www/charts" >/dev/null
"$SRC/scripts/package-chart" "$SRC/examples/charts/myapp" 1.2.0 "$tmp/www/charts" >/dev/null
"$SRC/scripts/helm-repo-index" "$tmp/www/charts" "http://127.0.0.1:$hport/charts" >/dev/null
# and one whose index has relative urls, as an empty BASE_URL writes them
mkdir "$tmp/www/rel"
cp "$tmp/www/charts/myapp-1.3.0.tgz" "$tmp/www/rel/"
"$SRC/scripts/helm-repo-index" "$tmp/www/rel" "" >/dev/null
cat >"$tmp/lighttpd.conf" <<CONF
server.document-root = "$tmp/www"
server.bind = "127.0.0.1"
server.port = $hport
server.errorlog = "$tmp/lighttpd.err"
server.modules = ( "mod_cgi" )
cgi.assign = ( "/token" => "" )
mimetype.assign = ( ".yaml" => "application/yaml", ".tgz" => "application/gzip" )
CONF
lighttpd -D -f "$tmp/lighttpd.conf" >/dev/null 2>&1 &
webpid=$!
wait_for 50 curl -sf -o /dev/null "http://127.0.0.1:$hport/charts/index.yaml" ||
	{ echo "not ok - lighttpd does not serve the Helm repository"; exit 1; }
check "the index lists both versions, newest first, with the archive digest" \
	test "$(grep -E '^ +(version|digest):' "$tmp/www/charts/index.yaml" | head -2 |
	sed 's/^ *//' | tr '\n' ' ')" = \
	"version: \"1.3.0\" digest: \"$(sha256sum <"$tmp/www/charts/myapp-1.3.0.tgz" | cut -d' ' -f1)\" "

# --- a third registry, behind the bearer-token flow (as Harbor) -------------
# lighttpd runs its token service: a CGI that checks the Basic credentials
# and signs a JWT for the scope asked (RS256, the certificate in x5c), as
# docker-registry's token auth verifies them.
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/token.key" \
    -out "$tmp/token.crt" -days 1 -subj /CN=sources-test >/dev/null 2>&1 ||
	{ echo "not ok - openssl makes no token key"; exit 1; }
cat >"$tmp/www/token" <<'CGI'
#!/bin/sh
d=$(dirname "$SCRIPT_FILENAME")/..
b64url() { base64 -w0 | tr '+/' '-_' | tr -d '='; }
if [ "${HTTP_AUTHORIZATION:-}" != "Basic $(printf 'ci:s3cret' | base64 -w0)" ]; then
	printf 'Status: 401\r\nContent-Type: application/json\r\n\r\n{}'
	exit 0
fi
scope=$(printf '%s' "$QUERY_STRING" | tr '&' '\n' | sed -n 's/^scope=//p' |
	sed 's/%3A/:/g; s/%2F/\//g; s/%2C/,/g')
name=$(echo "$scope" | cut -d: -f2)
actions=$(echo "$scope" | cut -d: -f3 | sed 's/,/","/g')
now=$(date +%s)
x5c=$(openssl x509 -in "$d/token.crt" -outform DER | base64 -w0)
h=$(printf '{"typ":"JWT","alg":"RS256","x5c":["%s"]}' "$x5c" | b64url)
p=$(printf '{"iss":"sources-test","sub":"ci","aud":"sources-registry","exp":%d,"nbf":%d,"iat":%d,"jti":"%s","access":[{"type":"repository","name":"%s","actions":["%s"]}]}' \
	$((now + 300)) $((now - 10)) "$now" "$now$$" "$name" "$actions" | b64url)
sig=$(printf '%s.%s' "$h" "$p" | openssl dgst -sha256 -sign "$d/token.key" | b64url)
printf 'Content-Type: application/json\r\n\r\n{"token":"%s.%s.%s","expires_in":300}' "$h" "$p" "$sig"
CGI
chmod +x "$tmp/www/token"
tport=$(free_port 5)
mkdir "$tmp/registry-token"
sed -e "s|127.0.0.1:$rport|127.0.0.1:$tport|" \
    -e "s|rootdirectory: .*|rootdirectory: $tmp/registry-token|" "$tmp/registry.yml" \
    >"$tmp/registry-token.yml"
printf 'auth:\n  token:\n    realm: %s\n    service: %s\n    issuer: %s\n    rootcertbundle: %s\n' \
    "http://127.0.0.1:$hport/token" sources-registry sources-test "$tmp/token.crt" \
    >>"$tmp/registry-token.yml"
docker-registry serve "$tmp/registry-token.yml" >"$tmp/registry-token.log" 2>&1 &
tokpid=$!
wait_for 100 sh -c "curl -s -o /dev/null -D - http://127.0.0.1:$tport/v2/ | grep -qi '^www-authenticate: bearer'" ||
	{ cat "$tmp/registry-token.log"; echo "not ok - docker-registry with token auth does not start"; exit 1; }
push_token() { # push-chart options...: stderr in $tmp/push-token.err
	"$SRC/scripts/push-chart" "$SRC/examples/charts/myapp" 1.3.0 \
	    "oci://127.0.0.1:$tport/charts" --plain-http "$@" 2>"$tmp/push-token.err"
}
check "push-chart gets a token and pushes the same manifest" \
	test "$(push_token --username ci --password-file "$tmp/password")" = "$digest"
push_token >/dev/null
check "without credentials the token service's refusal is explained" \
	grep -q 'no anonymous token (401): give --username' "$tmp/push-token.err"

# --- the gitops repository ---------------------------------------------------
g() { git -C "$tmp/work" -c user.name=ci -c user.email=ci@example.com "$@"; }
mkdir -p "$tmp/work/apps" "$tmp/work/charts"
cp -r "$SRC/examples/charts/myapp" "$tmp/work/charts/myapp"
# ingress and autoscaling on: all four kinds of the chart
cp "$SRC/examples/gitops-repo/apps/myapp/values-prod.yaml" "$tmp/work/apps/values-prod.yaml"
chmod -R u+w "$tmp/work"	# make distcheck's source tree is read-only
app() { # name, source lines
	cat <<YAML
---
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: $1
spec:
  project: default
  source:
$2
    helm:
      releaseName: myapp
      valueFiles:
        - values-prod.yaml
  destination:
    server: https://kubernetes.default.svc
    namespace: myteam-prod
YAML
}
{
	app myapp-oci '    repoURL: oci://harbor.local/charts
    chart: myapp
    targetRevision: "1.3.0"'
	app myapp-helmrepo "    repoURL: http://127.0.0.1:$hport/charts
    chart: myapp
    targetRevision: 1.3.0"
	app myapp-helmrel "    repoURL: http://127.0.0.1:$hport/rel
    chart: myapp
    targetRevision: 1.3.0"
	app myapp-git "    repoURL: file://$tmp/remote.git
    path: charts/myapp
    targetRevision: main"
	app myapp-digest "    repoURL: oci://harbor.local/charts
    chart: myapp
    targetRevision: $digest"
	app myapp-auth '    repoURL: oci://secure.local/charts
    chart: myapp
    targetRevision: "1.3.0"'
	app myapp-token '    repoURL: oci://token.local/charts
    chart: myapp
    targetRevision: "1.3.0"'
	app myapp-noauth '    repoURL: oci://nopassword.local/charts
    chart: myapp
    targetRevision: "1.3.0"'
	app myapp-missing '    repoURL: oci://harbor.local/charts
    chart: myapp
    targetRevision: 9.9.9'
} >"$tmp/work/apps/apps.yaml"
git init -q -b main "$tmp/work"
g add -A && g commit -qm "three sources of one chart" &&
	git clone -q --bare "$tmp/work" "$tmp/remote.git"

port=$(free_port 3)
conf() { # data dir
	cat <<YAML
listen: 127.0.0.1:$port
data_dir: $1
poll_interval: 5s
gitops:
  repo: file://$tmp/remote.git
  branch: main
registries:
  - host: harbor.local
    endpoint: http://127.0.0.1:$rport
  - host: secure.local
    endpoint: http://127.0.0.1:$aport
    username: ci
    password_file: $tmp/password
  - host: token.local
    endpoint: http://127.0.0.1:$tport
    username: ci
    password_file: $tmp/password
  - host: nopassword.local
    endpoint: http://127.0.0.1:$aport
YAML
}
conf "$tmp/data" >"$tmp/gitopsd.yaml"
conf "$tmp/data2" >"$tmp/gitopsd2.yaml"

# --- gitopsd render --app, once per source -----------------------------------
render() { # app, config: stdout to $tmp/<app>.yaml, stderr to $tmp/<app>.err
	"$GITOPSD" render --app "$1" -c "$2" >"$tmp/$1.yaml" 2>"$tmp/$1.err"
}
kinds() { # the kinds in a rendered YAML stream, sorted
	sed -n 's/^kind: //p' "$1" | sort | tr '\n' ' '
}
# each with a data dir of its own: the registry and the Helm repository
# serve one archive (one digest), and no render may take it from the
# chart store another one filled
for a in myapp-oci myapp-helmrepo myapp-helmrel myapp-git myapp-auth \
    myapp-token; do
	conf "$tmp/data-$a" >"$tmp/$a.conf"
	if render $a "$tmp/$a.conf"; then
		ok "render --app $a"
	else
		bad "render --app $a"
		sed 's/^/# /' "$tmp/$a.err"
	fi
done
same() { [ -s "$1" ] && cmp -s "$1" "$2"; }
check "the OCI app renders the chart's four kinds" test \
	"$(kinds "$tmp/myapp-oci.yaml")" = "Deployment HorizontalPodAutoscaler Ingress Service "
check "with the value file's host and no replicas (the autoscaler's)" \
	test "$(grep -c 'myapp.myteam.example.com\|^  replicas:' "$tmp/myapp-oci.yaml")" = 1
check "the Helm repository gives the same objects" \
	same "$tmp/myapp-oci.yaml" "$tmp/myapp-helmrepo.yaml"
check "so does an index with relative urls" \
	same "$tmp/myapp-oci.yaml" "$tmp/myapp-helmrel.yaml"
check "the git path gives the same objects" \
	same "$tmp/myapp-oci.yaml" "$tmp/myapp-git.yaml"
pinned() { # renders myapp-digest with the OCI app's chart store
	[ -s "$tmp/myapp-oci.yaml" ] && "$GITOPSD" render --app myapp-digest \
	    -c "$tmp/myapp-oci.conf" 2>&1 | cmp -s - "$tmp/myapp-oci.yaml"
}
check "the digest push-chart printed pins the same chart" pinned
check "a registry behind a password, with the config's credentials, too" \
	same "$tmp/myapp-oci.yaml" "$tmp/myapp-auth.yaml"
check "and one behind the token flow" \
	same "$tmp/myapp-oci.yaml" "$tmp/myapp-token.yaml"
conf "$tmp/data-noauth" >"$tmp/noauth.conf"
render myapp-noauth "$tmp/noauth.conf"
rc=$?
check "without them it fails" test $rc -ne 0 -a $rc -lt 128
check "saying so, with the ref" grep -qi \
	'oci://nopassword.local/charts/myapp:1.3.0: .*\(unauthorized\|authentication\)' \
	"$tmp/myapp-noauth.err"
sed 's/^/# /' "$tmp/myapp-noauth.err"

# --- errors a user can act on ------------------------------------------------
render myapp-missing "$tmp/gitopsd.yaml"
rc=$?
check "a missing version fails" test $rc -ne 0 -a $rc -lt 128
check "naming the ref and what is wrong" grep -q \
	'oci://harbor.local/charts/myapp:9.9.9: .*\(manifest unknown\|not found\)' "$tmp/myapp-missing.err"
sed 's/^/# /' "$tmp/myapp-missing.err"

# --- the daemon's manifests endpoint -----------------------------------------
"$GITOPSD" -c "$tmp/gitopsd.yaml" >"$tmp/log" 2>&1 &
pid=$!
manifests() {
	curl -s -o "$tmp/manifests.json" -w '%{http_code}' \
	    "http://127.0.0.1:$port/api/v1/applications/myapp-oci/manifests" |
		grep -q '^200$'
}
check "GET .../myapp-oci/manifests answers" wait_for 150 manifests
check "with four objects, sourceType Helm and revision 1.3.0" test "$(jq -r \
	'[(.manifests | map(fromjson | .kind) | sort | join(",")), .sourceType,
	  .revision] | join(" ")' "$tmp/manifests.json" 2>&1)" = \
	"Deployment,HorizontalPodAutoscaler,Ingress,Service Helm 1.3.0"
kill "$pid"
wait "$pid"
rc=$?
pid=""
check "the daemon stops cleanly" test $rc -eq 0

# --- the registry stops ------------------------------------------------------
kill "$regpid"
wait "$regpid" 2>/dev/null
regpid=""
render myapp-oci "$tmp/gitopsd2.yaml"
rc=$?
check "with the registry stopped, a render that must pull fails" test $rc -ne 0 -a $rc -lt 128
check "naming the ref and where the registry was (its port)" grep -q \
	"oci://harbor.local/charts/myapp:1.3.0: .*[^0-9]$rport\([^0-9]\|$\)" "$tmp/myapp-oci.err"
sed 's/^/# /' "$tmp/myapp-oci.err"

echo "sources.sh: $pass passed, $failed failed"
[ $failed -eq 0 ]
