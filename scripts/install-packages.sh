#!/usr/bin/env bash
# Installs the given Debian packages (as root), or says how to when not root. Does nothing without arguments.
set -euo pipefail
[ $# -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "missing: $*; install them (e.g. sudo apt-get install $*)" >&2
  exit 1
fi
apt-get update -q
DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@"
