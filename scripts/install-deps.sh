#!/usr/bin/env bash
# Installs the system packages Tianzhang builds and tests with (Debian/Ubuntu), if missing:
# libpq for the PostgreSQL driver, pkg-config, and a PostgreSQL server for the test suite.
# SQLite needs nothing: it is compiled into the binary.
set -euo pipefail

missing=()
dpkg -s libpq-dev >/dev/null 2>&1 || missing+=(libpq-dev)
dpkg -s pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
if [ "${1:-}" = "--with-postgres" ] && ! command -v pg_ctlcluster >/dev/null 2>&1; then
  missing+=(postgresql)
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}"
fi
