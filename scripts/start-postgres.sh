#!/usr/bin/env bash
# Makes sure a PostgreSQL server answers on 127.0.0.1:5432 (the Debian cluster, started if it
# is down) and prints the URL the test suite should use. Fails loudly when it cannot.
set -euo pipefail

host=127.0.0.1
port=${PGPORT:-5432}

if pg_isready -q -h "$host" -p "$port"; then
  echo "postgres://postgres@$host:$port/postgres"
  exit 0
fi

cluster=$(pg_lsclusters --no-header 2>/dev/null | awk -v p="$port" '$3 == p {print $1" "$2; exit}')
if [ -z "$cluster" ]; then
  echo "no PostgreSQL cluster on port $port; install one with scripts/install-deps.sh --with-postgres" >&2
  exit 1
fi
# shellcheck disable=SC2086
pg_ctlcluster --skip-systemctl-redirect $cluster start >&2

for _ in $(seq 1 30); do
  if pg_isready -q -h "$host" -p "$port"; then
    echo "postgres://postgres@$host:$port/postgres"
    exit 0
  fi
  sleep 1
done
echo "PostgreSQL did not come up on $host:$port" >&2
exit 1
