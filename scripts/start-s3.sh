#!/usr/bin/env bash
# Makes sure an S3-compatible server answers on 127.0.0.1:9000 for the upload tests (moto's
# server, in memory, installed from PyPI if missing), starting it if it is down, and prints its
# endpoint. `scripts/start-s3.sh --stop` stops the server this script started.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
host=127.0.0.1
port=${S3_PORT:-9000}
endpoint="http://$host:$port"
state="$root/target/s3"
pid_file="$state/moto.pid"

if [ "${1:-}" = "--stop" ]; then
  if [ -f "$pid_file" ]; then
    kill "$(cat "$pid_file")" 2>/dev/null || true
    rm -f "$pid_file"
  fi
  exit 0
fi

# An S3 server lists its buckets at the root.
answers() {
  curl -s --max-time 2 "$endpoint/" 2>/dev/null | grep -q ListAllMyBucketsResult
}

if answers; then
  echo "$endpoint"
  exit 0
fi

if ! python3 -c 'import moto.server' 2>/dev/null; then
  "$root/scripts/install-deps.sh" --with-test-tools >&2
fi
mkdir -p "$state"
# Detached, with its output in a file, so that it holds none of the caller's pipes.
setsid python3 -m moto.server -H "$host" -p "$port" >"$state/moto.log" 2>&1 </dev/null &
echo $! >"$pid_file"

for _ in $(seq 1 30); do
  if answers; then
    echo "$endpoint"
    exit 0
  fi
  sleep 1
done
echo "the S3 server did not come up on $endpoint; see $state/moto.log" >&2
exit 1
