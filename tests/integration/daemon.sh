#!/bin/sh
# The real gitopsd binary, started as a person would start it: it serves
# the shell page and /api/version, answers -n, refuses a taken port and an
# unwritable data dir with a clear message, and stops cleanly on SIGTERM
# and SIGINT (exit 0, "stopped" logged, database closed so its WAL is gone).
set -u
GITOPSD=${GITOPSD:-./gitopsd}
tmp=$(mktemp -d /tmp/gd-daemon-XXXXXX)
pids=""
pass=0
failed=0
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

ok() { pass=$((pass + 1)); echo "ok - $*"; }
bad() { failed=$((failed + 1)); echo "not ok - $*"; }
check() { # description, command...
	d=$1; shift
	if "$@"; then ok "$d"; else bad "$d"; fi
}

# A free port: bind to 0 through gitopsd itself is not visible from here,
# so pick one from a range and retry on the unlikely clash.
port=$(( 20000 + $$ % 20000 ))

start() { # log file, extra args...
	log=$1; shift
	"$GITOPSD" --data-dir "$tmp/data" --listen "127.0.0.1:$port" "$@" >"$log" 2>&1 &
	pid=$!
	pids="$pids $pid"
	i=0
	while [ $i -lt 100 ]; do
		grep -q "listening on" "$log" 2>/dev/null && return 0
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# 1. a config check
cat >"$tmp/good.yaml" <<YAML
listen: 127.0.0.1:$port
log_level: debug
YAML
printf 'listen: 127.0.0.1:1\nlisten_typo: 2\n' >"$tmp/bad.yaml"
check "-n accepts a good config" "$GITOPSD" -n -c "$tmp/good.yaml"
out=$("$GITOPSD" -n -c "$tmp/bad.yaml" 2>&1)
rc=$?
check "-n refuses a bad config with file:line:col" \
	test $rc -ne 0 -a -n "$(echo "$out" | grep -F "$tmp/bad.yaml:2:1: unknown key \"listen_typo\"")"

# 2. it starts, serves the UI shell and the API
check "starts and logs where it listens" start "$tmp/run1.log"
pid1=$pid
body=$(curl -s "http://127.0.0.1:$port/")
check "GET / serves the shell page" test -n "$(echo "$body" | grep -i '<script type="module"')"
ver=$(curl -s "http://127.0.0.1:$port/api/version")
check "GET /api/version answers JSON with Version" test -n "$(echo "$ver" | grep '"Version"')"
check "the database is in the data dir" test -f "$tmp/data/gitopsd.db"

# 3. a second instance on the same port is refused, clearly
"$GITOPSD" --data-dir "$tmp/data2" --listen "127.0.0.1:$port" >"$tmp/taken.log" 2>&1
rc=$?
check "a taken port is refused" test $rc -ne 0
check "and the message says so" grep -qi "address already in use" "$tmp/taken.log"

# 4. SIGTERM stops it cleanly
kill -TERM "$pid1"
wait "$pid1"
rc=$?
check "SIGTERM exits 0" test $rc -eq 0
check "SIGTERM is logged as a clean stop" grep -q "gitopsd: stopped" "$tmp/run1.log"
check "the database was closed (no WAL left)" test ! -s "$tmp/data/gitopsd.db-wal"

# 5. SIGINT too, and the data survives a restart
check "restarts on the same data dir" start "$tmp/run2.log"
kill -INT "$pid"
wait "$pid"
check "SIGINT exits 0" test $? -eq 0

# 6. an unwritable data dir is refused before the port is bound
"$GITOPSD" --data-dir /proc/gitopsd-cannot-exist --listen "127.0.0.1:$port" >"$tmp/ro.log" 2>&1
rc=$?
check "an unwritable data dir is refused" test $rc -ne 0
check "and the message names it" grep -q "/proc/gitopsd-cannot-exist" "$tmp/ro.log"

# 7. bad flags and the help
"$GITOPSD" --no-such-flag >/dev/null 2>&1
check "an unknown flag exits 2" test $? -eq 2
check "-h config lists the keys" sh -c "'$GITOPSD' -h config | grep -q poll_interval"

echo "daemon: $pass passed, $failed failed"
[ $failed -eq 0 ]
