#!/bin/sh
# The real gitopsd on a gitops repository made from examples/gitops-repo:
# it lists the four applications and the project over the API, a new
# commit shows up at once through the webhook (GitHub signature and all)
# and within the poll interval without it, and a fetch failure shows on
# the apps as a condition while the last good catalog stays. The git
# binary builds the test repository; gitopsd itself never runs git.
set -u
GITOPSD=${GITOPSD:-./gitopsd}
SRC=${GD_SRCDIR:-.}
tmp=$(mktemp -d /tmp/gd-gitops-XXXXXX)
pid=""
pass=0
failed=0
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

ok() { pass=$((pass + 1)); echo "ok - $*"; }
bad() { failed=$((failed + 1)); echo "not ok - $*"; }
check() { # description, command...
	d=$1; shift
	if "$@"; then ok "$d"; else bad "$d"; fi
}
for t in git node curl; do
	command -v $t >/dev/null || { echo "not ok - no $t: run scripts/install-deps"; exit 1; }
done

g() { git -C "$tmp/work" -c user.name=ci -c user.email=ci@example.com "$@"; }
cp -r "$SRC/examples/gitops-repo" "$tmp/work"
git init -q -b main "$tmp/work"
g add -A && g commit -qm "example" && git clone -q --bare "$tmp/work" "$tmp/remote.git"
g remote add origin "$tmp/remote.git"

port=$(( 20000 + ($$ + 7) % 20000 ))
printf 'hook secret\n' >"$tmp/secret"
cat >"$tmp/gitopsd.yaml" <<YAML
listen: 127.0.0.1:$port
data_dir: $tmp/data
poll_interval: 5s
gitops:
  repo: file://$tmp/remote.git
  branch: main
  include: ["apps/**/*.yaml", "platform/**/*.yaml"]
webhook:
  github_secret_file: $tmp/secret
YAML
"$GITOPSD" -c "$tmp/gitopsd.yaml" >"$tmp/log" 2>&1 &
pid=$!
api() { curl -s "http://127.0.0.1:$port$1"; }
names() { # the metadata.name of each item, in order (node is in install-deps)
	api "$1" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>
		console.log(JSON.parse(s).items.map(i=>i.metadata.name).join(" ")))'
}
# waits up to $1 tenths of a second for app $2 to appear
wait_app() {
	i=0
	while [ $i -lt "$1" ]; do
		api "/api/v1/applications/$2" | grep -q '"metadata"' && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

check "the catalog loads" wait_app 100 myapp-staging
check "lists the four applications" test "$(names /api/v1/applications)" = \
	"myapp-prod myapp-staging payments-api-prod payments-api-staging"
check "lists the project and default" test "$(names /api/v1/projects)" = "default myteam"
check "project filter" test "$(names '/api/v1/applications?projects=myteam&selector=env%3Dprod')" = \
	"myapp-prod payments-api-prod"

# a new commit, announced by a signed GitHub push webhook
sed 's/myapp-/hooked-/g' "$tmp/work/apps/myapp/application.yaml" >"$tmp/work/apps/myapp/hooked.yaml"
g add -A && g commit -qm hooked && g push -q origin main
body="{\"ref\":\"refs/heads/main\",\"repository\":{\"clone_url\":\"file://$tmp/remote.git\"}}"
sig=$(node -e 'process.stdout.write(require("crypto").createHmac("sha256",
	"hook secret").update(process.argv[1]).digest("hex"))' "$body")
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'X-GitHub-Event: push' \
	-H "X-Hub-Signature-256: sha256=$sig" -d "$body" "http://127.0.0.1:$port/api/webhook")
check "a signed push webhook is accepted" test "$code" = 200
check "the new commit shows at once after the webhook" wait_app 20 hooked-staging
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'X-GitHub-Event: push' \
	-H "X-Hub-Signature-256: sha256=00$sig" -d "$body" "http://127.0.0.1:$port/api/webhook")
check "a bad signature is 401" test "$code" = 401

# a new commit without a webhook: within the poll interval (5 s + jitter)
sed 's/myapp-/polled-/g' "$tmp/work/apps/myapp/application.yaml" >"$tmp/work/apps/myapp/polled.yaml"
g add -A && g commit -qm polled && g push -q origin main
check "the next commit shows within the poll interval" wait_app 80 polled-staging

# the remote goes away: the apps stay and say why
mv "$tmp/remote.git" "$tmp/remote.gone"
sleep 6.5
out=$(api /api/v1/applications/myapp-staging)
check "a failed fetch keeps the catalog" test -n "$(echo "$out" | grep myapp-staging)"
check "and is reported on the app" test -n "$(echo "$out" | grep ComparisonError)"
mv "$tmp/remote.gone" "$tmp/remote.git"

kill "$pid"
wait "$pid"
rc=$?
pid=""
check "stops cleanly" test $rc -eq 0
echo "gitops.sh: $pass passed, $failed failed"
[ $failed -eq 0 ]
