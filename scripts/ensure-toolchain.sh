#!/usr/bin/env bash
# Installs the build toolchain (JDK 17 and Maven) from Debian's packages where it is missing.
set -euo pipefail
missing=()
command -v java >/dev/null 2>&1 || missing+=(openjdk-17-jdk-headless)
command -v mvn >/dev/null 2>&1 || missing+=(maven)
command -v psql >/dev/null 2>&1 || missing+=(postgresql-client)
"$(dirname "$0")/install-packages.sh" ${missing[@]+"${missing[@]}"}
