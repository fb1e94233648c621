#!/bin/sh
# bench/http.sh: requests per second on GET /api/version with keep-alive,
# wrk against a real gitopsd on loopback. Prints each round and the median.
# Usage: bench/http.sh BUILD_DIR [ROUNDS] [SECONDS]   (needs Debian's wrk)
set -eu
build=${1:?usage: bench/http.sh BUILD_DIR [ROUNDS] [SECONDS]}
rounds=${2:-3}
secs=${3:-5}
command -v wrk >/dev/null || { echo "bench/http.sh: apt-get install wrk" >&2; exit 2; }
tmp=$(mktemp -d /tmp/gd-bench-http-XXXXXX)
port=$(( 30000 + $$ % 20000 ))
"$build/gitopsd" --data-dir "$tmp" --listen "127.0.0.1:$port" -c /dev/null >/dev/null 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; rm -rf "$tmp"' EXIT
sleep 0.5
out=""
i=0
while [ $i -lt "$rounds" ]; do
	r=$(wrk -t1 -c10 -d"${secs}s" "http://127.0.0.1:$port/api/version" | awk '/Requests\/sec/ {print int($2)}')
	echo "round $((i + 1)): $r req/s"
	out="$out $r"
	i=$((i + 1))
done
echo "$out" | tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print "http: median " a[int((NR+1)/2)] " req/s (GET /api/version, wrk -t1 -c10, keep-alive)"}'
