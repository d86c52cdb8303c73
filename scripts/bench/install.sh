#!/usr/bin/env bash
# Installs what `make bench` needs besides the build: wrk (Debian package) and Portkey's open-source gateway (npm,
# pinned, into benchmarks/.portkey, which git ignores). Does nothing for what is already there.
set -euo pipefail
cd "$(dirname "$0")/../.."

PORTKEY_VERSION=${BENCH_PORTKEY_VERSION:-1.15.2}
PORTKEY_DIR=benchmarks/.portkey

missing=()
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
command -v rabbitmqctl >/dev/null 2>&1 || { echo "rabbitmqctl (the broker's CLI) is needed to create vhosts" >&2; exit 1; }
scripts/install-packages.sh ${missing[@]+"${missing[@]}"}

installed=$(node -p "try { require('./$PORTKEY_DIR/node_modules/@portkey-ai/gateway/package.json').version } catch (e) { '' }")
if [ "$installed" != "$PORTKEY_VERSION" ]; then
  echo "installing @portkey-ai/gateway@$PORTKEY_VERSION into $PORTKEY_DIR" >&2
  mkdir -p "$PORTKEY_DIR"
  npm install --prefix "$PORTKEY_DIR" --no-audit --no-fund --no-save --loglevel=error \
    "@portkey-ai/gateway@$PORTKEY_VERSION" >&2
fi
