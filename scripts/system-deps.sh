#!/usr/bin/env bash
# Debian packages the test suite drives for real: PostgreSQL (initdb/pg_ctl for a
# throw-away cluster) and Chromium (the dashboard tests). Installed only when
# missing, and only where we may (root); otherwise say what is missing.
set -euo pipefail

need=()
if ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    need+=(postgresql)
fi
if ! command -v chromium >/dev/null 2>&1; then
    need+=(chromium)
fi
if [ ${#need[@]} -eq 0 ]; then
    exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "system-deps: missing ${need[*]}; install them (Debian: apt-get install --no-install-recommends ${need[*]})" >&2
    echo "system-deps: tests that need them will say so and skip" >&2
    exit 0
fi
echo "system-deps: installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
