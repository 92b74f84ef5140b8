#!/usr/bin/env bash
# Installs what Tianzhang builds and tests with (Debian/Ubuntu), if missing: libpq for the
# PostgreSQL driver and pkg-config; cmake and nasm, which build the libjpeg-turbo that photo
# renditions are made with; with --with-postgres a PostgreSQL server for the test suite; with
# --with-test-tools the Python tools the upload tests drive: tuspy (a stock tus client) and
# moto's S3-compatible server (scripts/start-s3.sh starts it), and exiftool, which checks the
# EXIF the tests write; with --with-bench-tools libvips's vipsthumbnail, which the thumbnail
# benchmark compares with.
# SQLite needs nothing: it is compiled into the binary.
set -euo pipefail

with_postgres=false
with_test_tools=false
with_bench_tools=false
for arg in "$@"; do
  case "$arg" in
    --with-postgres) with_postgres=true ;;
    --with-test-tools) with_test_tools=true ;;
    --with-bench-tools) with_bench_tools=true ;;
    *) echo "unknown option $arg (expected --with-postgres, --with-test-tools, --with-bench-tools)" >&2; exit 2 ;;
  esac
done

sudo_cmd=""
[ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"

missing=()
dpkg -s libpq-dev >/dev/null 2>&1 || missing+=(libpq-dev)
dpkg -s pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
command -v cmake >/dev/null 2>&1 || missing+=(cmake)
command -v nasm >/dev/null 2>&1 || missing+=(nasm)
if $with_postgres && ! command -v pg_ctlcluster >/dev/null 2>&1; then
  missing+=(postgresql)
fi
if $with_test_tools && ! command -v python3 >/dev/null 2>&1; then
  missing+=(python3 python3-pip)
fi
if $with_test_tools && ! command -v exiftool >/dev/null 2>&1; then
  missing+=(libimage-exiftool-perl)
fi
if $with_bench_tools && ! command -v vipsthumbnail >/dev/null 2>&1; then
  missing+=(libvips-tools)
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}"
fi

if $with_test_tools; then
  wanted=()
  python3 -c 'import tusclient' 2>/dev/null || wanted+=('tuspy>=1.1,<2')
  python3 -c 'import moto.server' 2>/dev/null || wanted+=('moto[server]>=5,<6')
  if [ ${#wanted[@]} -gt 0 ]; then
    echo "installing from PyPI: ${wanted[*]}"
    # A Python of the distribution's own refuses installs outside a virtual environment.
    python3 -m pip install --quiet --disable-pip-version-check "${wanted[@]}" 2>/dev/null ||
      python3 -m pip install --quiet --disable-pip-version-check --break-system-packages "${wanted[@]}"
  fi
fi
