#!/usr/bin/env bash
# HTTP baseline: the cost of the framework itself, for later work to be held against.
# Builds the release binary, starts `tianzhang serve` on a fresh SQLite data folder, and reports
# - idle resident memory (VmRSS) after start-up, and after the load;
# - requests per second of GET /healthz (no database) and of an authenticated GET /api/v1/me
#   (token verification plus two SQLite reads), measured with wrk on loopback.
# wrk shares the machine's cores with the server, so figures are for comparing runs on the
# same machine. Usage: bench/http.sh [seconds per run, default 10]
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-10}
connections=${CONNECTIONS:-64}
port=${PORT:-18181}
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }

cargo build --release -q -p tianzhang-server
bin=target/release/tianzhang
data=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$data"; }
trap cleanup EXIT

$bin --data-dir "$data" region add --code 360124 --name 进贤县 >/dev/null
echo "bench password" | $bin --data-dir "$data" user add --username bench \
  --role county_auditor --region 360124 >/dev/null

RUST_LOG=warn $bin --data-dir "$data" serve --listen "127.0.0.1:$port" &
pid=$!
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
sleep 2
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$pid/status"; }
idle=$(rss_kib)

token=$(curl -sf -X POST "http://127.0.0.1:$port/api/v1/auth/login" \
  -H 'content-type: application/json' \
  -d '{"username":"bench","password":"bench password"}' | sed 's/.*"access_token":"\([^"]*\)".*/\1/')

run() {
  local name=$1; shift
  local out
  out=$(wrk -t2 -c"$connections" -d"${seconds}s" --latency "$@")
  local rps p50 p99
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  if grep -q "Non-2xx" <<<"$out"; then echo "$name: non-2xx responses" >&2; echo "$out" >&2; exit 1; fi
  printf '%-28s %10s req/s   p50 %-8s p99 %s\n' "$name" "$rps" "$p50" "$p99"
}

echo "tianzhang HTTP baseline ($(nproc) cores, wrk -t2 -c$connections -d${seconds}s, SQLite)"
printf 'idle RSS after start-up      %10s MiB\n' "$(awk -v k="$idle" 'BEGIN {printf "%.1f", k/1024}')"
run "GET /healthz" "http://127.0.0.1:$port/healthz"
run "GET /api/v1/me (JWT)" -H "Authorization: Bearer $token" "http://127.0.0.1:$port/api/v1/me"
printf 'RSS after the load           %10s MiB\n' "$(awk -v k="$(rss_kib)" 'BEGIN {printf "%.1f", k/1024}')"
